-- Count one login attempt before the password is checked, unless the limit is reached.
-- KEYS[1] one failure counter (an account's or a source's; each its own slot)
-- KEYS[2] (optional) its attempts in flight: a key whose hash tag is KEYS[1], so one slot
-- ARGV[1] the limit, ARGV[2] the window in seconds (it starts at the first attempt),
-- ARGV[3] seconds an in-flight count outlives its last attempt (with KEYS[2])
-- Returns {1, count} counted (and, with KEYS[2], in flight), {0, ttl seconds} refused: the
-- limit is reached, nothing counted, or {2, in flight} with KEYS[2]: the limit is reached
-- only because attempts still in flight are counted: nothing counted, ask again when one ends.
-- A counter found without a TTL gets the window, so none can lock an account forever.
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then
  if KEYS[2] then
    local busy = tonumber(redis.call('GET', KEYS[2]) or '0')
    if busy > 0 and n - busy < tonumber(ARGV[1]) then return {2, busy} end
  end
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
if KEYS[2] then
  redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return {1, n}
