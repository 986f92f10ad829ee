-- Validate a refresh token and rotate it, in one step (graceful rotation, RFC 9700 §4.14.2).
-- KEYS[1] session hash, KEYS[2] owner's session index (same hash tag)
-- ARGV[1] session id, ARGV[2] SHA-256 of the presented token, ARGV[3] client id,
-- ARGV[4] SHA-256 of the new token, ARGV[5] the new token's secret wrapped under the presented
-- token, ARGV[6] grace ms, ARGV[7] idle TTL ms, ARGV[8] requested scope ('' = the session's)
-- Returns {0} invalid (nothing changed), {1, scope, ttl ms} rotated,
-- {2, scope, ttl ms, wrap} previous token within the grace window (current token unchanged),
-- {3} reuse after the grace window: the session is revoked, {4} wider scope (nothing changed).
local s = redis.call('HMGET', KEYS[1], 'cid', 'scope', 'cur', 'prev', 'pu', 'wrap', 'ae')
if not s[1] then return {0} end
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then return {0} end
if s[1] ~= ARGV[3] then return {0} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ae = tonumber(s[7])
if now >= ae then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {0}
end
local current
if ARGV[2] == s[3] then
  current = true
elseif s[4] and ARGV[2] == s[4] then
  if now >= tonumber(s[5]) then
    redis.call('DEL', KEYS[1])
    redis.call('ZREM', KEYS[2], ARGV[1])
    return {3}
  end
  current = false
else
  return {0}
end
if ARGV[8] ~= '' then
  local have = {}
  for w in string.gmatch(s[2], '%S+') do have[w] = true end
  for w in string.gmatch(ARGV[8], '%S+') do
    if not have[w] then return {4} end
  end
end
local ttl = math.min(tonumber(ARGV[7]), ae - now)
if current then
  redis.call('HSET', KEYS[1], 'prev', s[3], 'cur', ARGV[4], 'wrap', ARGV[5],
             'pu', now + tonumber(ARGV[6]))
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {1, s[2], ttl}
end
redis.call('PEXPIRE', KEYS[1], ttl)
return {2, s[2], ttl, s[6]}
