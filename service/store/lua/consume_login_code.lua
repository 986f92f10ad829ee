-- Consume a login-as authorization code: the first call gets its record, later calls learn
-- that it was used (RFC 6749 §4.1.2: a code is single use). The code expires with the key.
-- KEYS[1] the code's hash (<p>code:<digest>)
-- ARGV[1] the jti of the access token this redemption will issue if it succeeds, ARGV[2] the
-- id of the session it will open
-- Returns {0} unknown or expired, {1, field, value, ...} the record (first use; the hash is
-- marked used and keeps its TTL), {2, jti, session id, user id} used before (what the first
-- use named, and the user of the record).
local used = redis.call('HMGET', KEYS[1], 'used', 'used_sid', 'user_id')
if used[1] then return {2, used[1], used[2] or '', used[3] or ''} end
local record = redis.call('HGETALL', KEYS[1])
if #record == 0 then return {0} end
redis.call('HSET', KEYS[1], 'used', ARGV[1], 'used_sid', ARGV[2])
return {1, unpack(record)}
