-- Create a session and add it to its owner's index, dropping the oldest past the cap.
-- KEYS[1] session hash, KEYS[2] owner's session index, KEYS[3] the user hash (user owners
-- only; all one hash tag)
-- ARGV[1] session id, ARGV[2] client id, ARGV[3] scope, ARGV[4] SHA-256 of the refresh token,
-- ARGV[5] idle TTL ms, ARGV[6] absolute lifetime ms, ARGV[7] session key prefix, ARGV[8] cap,
-- ARGV[9] the user's session generation the login read before checking the password ('' = any)
-- Returns the absolute expiry (ms since the epoch, Redis's clock), or 0: the user is gone,
-- disabled, or had every session ended since the login read it (nothing created).
if KEYS[3] then
  if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
  local u = redis.call('HMGET', KEYS[3], 'disabled', 'gen')
  if u[1] == '1' then return 0 end
  if ARGV[9] ~= '' and (u[2] or '0') ~= ARGV[9] then return 0 end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ae = now + tonumber(ARGV[6])
-- The absolute expiry lives only in the index (its score): one copy, and a smaller hash; 't'
-- is the creation time in seconds (what operators list).
redis.call('HSET', KEYS[1], 'cid', ARGV[2], 'scope', ARGV[3], 'cur', ARGV[4], 't', t[1])
redis.call('PEXPIRE', KEYS[1], math.min(tonumber(ARGV[5]), tonumber(ARGV[6])))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], ae, ARGV[1])
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[8])
if excess > 0 then
  local old = redis.call('ZRANGE', KEYS[2], 0, excess - 1)
  for _, sid in ipairs(old) do
    redis.call('DEL', ARGV[7] .. sid)
  end
  redis.call('ZREM', KEYS[2], unpack(old))
end
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[2], last[2])
return ae
