-- Is a session alive (key present, listed in its owner's index, its user present and not
-- disabled) and the access token not revoked?
-- KEYS[1] session hash, KEYS[2] owner's session index, KEYS[3] the token's revocation key,
-- KEYS[4] the user hash (user owners only; all one hash tag)
-- ARGV[1] session id
-- Returns {0} dead or revoked, {1, client id, scope, ttl ms}.
if redis.call('EXISTS', KEYS[3]) == 1 then return {0} end
local s = redis.call('HMGET', KEYS[1], 'cid', 'scope')
if not s[1] then return {0} end
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return {0} end
if KEYS[4] and (redis.call('EXISTS', KEYS[4]) == 0
    or redis.call('HGET', KEYS[4], 'disabled') == '1') then
  return {0}
end
return {1, s[1], s[2], redis.call('PTTL', KEYS[1])}
