-- Count one login attempt before the password is checked, unless the limit is reached.
-- KEYS[1] one failure counter (an account's or a source's; each its own slot)
-- ARGV[1] the limit, ARGV[2] the window in seconds (it starts at the first attempt)
-- Returns {1, count} counted, or {0, ttl seconds} refused: the limit is reached, nothing counted.
-- A counter found without a TTL gets the window, so none can lock an account forever.
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then
  local ttl = redis.call('TTL', KEYS[1])
  if ttl < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
  return {0, ttl}
end
n = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return {1, n}
