-- Consume a login-as authorization code: the first call gets its record, later calls learn
-- that it was used (RFC 6749 §4.1.2: a code is single use). The code expires with the key.
-- KEYS[1] the code's hash (<p>code:<digest>)
-- ARGV[1] the jti of the access token this redemption will issue if it succeeds
-- Returns {0} unknown or expired, {1, field, value, ...} the record (first use; the hash is
-- marked used and keeps its TTL), {2, jti} used before (the jti the first use named).
local used = redis.call('HGET', KEYS[1], 'used')
if used then return {2, used} end
local record = redis.call('HGETALL', KEYS[1])
if #record == 0 then return {0} end
redis.call('HSET', KEYS[1], 'used', ARGV[1])
return {1, unpack(record)}
