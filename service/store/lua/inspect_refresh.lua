-- Introspect a refresh token without using it (RFC 7662).
-- KEYS[1] session hash, KEYS[2] owner's session index, KEYS[3] the session's grace key,
-- KEYS[4] the user hash (user owners only; all one hash tag)
-- ARGV[1] session id, ARGV[2] digest of the presented token
-- Returns {0} inactive (also when the user is gone or disabled),
-- {1, client id, scope, ttl ms, absolute expiry ms}.
local s = redis.call('HMGET', KEYS[1], 'cid', 'scope', 'cur', 'prev')
if not s[1] then return {0} end
local ae = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not ae then return {0} end
if KEYS[4] and (redis.call('EXISTS', KEYS[4]) == 0
    or redis.call('HGET', KEYS[4], 'disabled') == '1') then
  return {0}
end
if ARGV[2] == s[3] or (s[4] and ARGV[2] == s[4] and redis.call('EXISTS', KEYS[3]) == 1) then
  return {1, s[1], s[2], redis.call('PTTL', KEYS[1]), ae}
end
return {0}
