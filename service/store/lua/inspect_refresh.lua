-- Introspect a refresh token without using it (RFC 7662).
-- KEYS[1] session hash, KEYS[2] owner's session index
-- ARGV[1] session id, ARGV[2] SHA-256 of the presented token
-- Returns {0} inactive, {1, client id, scope, ttl ms, created ms}.
local s = redis.call('HMGET', KEYS[1], 'cid', 'scope', 'cur', 'prev', 'pu', 'ct')
if not s[1] then return {0} end
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return {0} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[2] == s[3] or (s[4] and ARGV[2] == s[4] and now < tonumber(s[5])) then
  return {1, s[1], s[2], redis.call('PTTL', KEYS[1]), s[6]}
end
return {0}
