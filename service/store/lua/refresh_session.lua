-- Validate a refresh token and rotate it, in one step (graceful rotation, RFC 9700 §4.14.2).
-- KEYS[1] session hash, KEYS[2] owner's session index, KEYS[3] the session's grace key,
-- KEYS[4] the user hash (user owners only; all one hash tag). The grace key holds the current
-- token's secret wrapped under the previous token and expires with the grace window: while it
-- exists the previous token still works. A user who is gone or disabled has no live session.
-- ARGV[1] session id, ARGV[2] digest of the presented token, ARGV[3] client id,
-- ARGV[4] digest of the new token, ARGV[5] the new token's secret wrapped under the presented
-- token, ARGV[6] grace ms (0 = strict single use), ARGV[7] idle TTL ms,
-- ARGV[8] requested scope ('' = the session's)
-- Returns {0} invalid (nothing changed), {1, scope, ttl ms} rotated,
-- {2, scope, ttl ms, wrap} previous token within the grace window (current token unchanged),
-- {3} reuse after the grace window: the session is revoked, {4} wider scope (nothing changed).
local s = redis.call('HMGET', KEYS[1], 'cid', 'scope', 'cur', 'prev')
if not s[1] then return {0} end
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])  -- the absolute expiry
if not score then return {0} end
if KEYS[4] and (redis.call('EXISTS', KEYS[4]) == 0
    or redis.call('HGET', KEYS[4], 'disabled') == '1') then
  return {0}
end
if s[1] ~= ARGV[3] then return {0} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ae = tonumber(score)
if now >= ae then
  redis.call('DEL', KEYS[1], KEYS[3])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return {0}
end
local wrap
if ARGV[2] ~= s[3] then
  if not s[4] or ARGV[2] ~= s[4] then return {0} end
  wrap = redis.call('GET', KEYS[3])
  if not wrap then  -- the previous token after its grace window: treated as stolen
    redis.call('DEL', KEYS[1], KEYS[3])
    redis.call('ZREM', KEYS[2], ARGV[1])
    return {3}
  end
end
if ARGV[8] ~= '' then
  local have = {}
  for w in string.gmatch(s[2], '%S+') do have[w] = true end
  for w in string.gmatch(ARGV[8], '%S+') do
    if not have[w] then return {4} end
  end
end
local ttl = math.min(tonumber(ARGV[7]), ae - now)
if wrap then
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {2, s[2], ttl, wrap}
end
-- The first write must be one that needs memory: Redis refuses it when out of memory (and
-- stops checking once a script has written), so a full Redis rotates nothing.
redis.call('HSET', KEYS[1], 'prev', s[3], 'cur', ARGV[4])
if tonumber(ARGV[6]) > 0 then
  redis.call('SET', KEYS[3], ARGV[5], 'PX', math.min(tonumber(ARGV[6]), ttl))
else
  redis.call('DEL', KEYS[3])
end
redis.call('PEXPIRE', KEYS[1], ttl)
return {1, s[2], ttl}
