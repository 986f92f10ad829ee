-- End or give back counted login attempts.
-- KEYS[1] one failure counter; KEYS[2] (optional) its attempts in flight (hash tag KEYS[1])
-- ARGV[1] 'all': a success clears the counter (the attempts still in flight stay counted),
-- 'one': give this attempt back (the source's attempt of a success, or of one the other
-- counter refused), 'failed': the attempt ends and stays counted (with KEYS[2] only)
-- Returns the count left; the window (TTL) is kept.
local busy = 0
if KEYS[2] then
  busy = tonumber(redis.call('GET', KEYS[2]) or '0')
  if busy > 1 then
    busy = redis.call('DECR', KEYS[2])
  else
    redis.call('DEL', KEYS[2])
    busy = 0
  end
end
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if ARGV[1] == 'failed' then return n end
if ARGV[1] == 'all' then
  if busy > 0 and n > 0 then
    local ttl = redis.call('PTTL', KEYS[1])
    local left = math.min(busy, n)
    if ttl > 0 then
      redis.call('SET', KEYS[1], left, 'PX', ttl)
    else
      redis.call('SET', KEYS[1], left)
    end
    return left
  end
  redis.call('DEL', KEYS[1])
  return 0
end
if n <= 1 then
  redis.call('DEL', KEYS[1])
  return 0
end
return redis.call('DECR', KEYS[1])
