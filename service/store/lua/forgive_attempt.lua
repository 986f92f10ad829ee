-- Give counted login attempts back: all of them (an account after a success) or one (the
-- source's attempt of a login that succeeded, or of one the other counter refused).
-- KEYS[1] one failure counter
-- ARGV[1] 'all' or 'one'
-- Returns the count left; the window (TTL) is kept.
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if ARGV[1] == 'all' or n <= 1 then
  redis.call('DEL', KEYS[1])
  return 0
end
return redis.call('DECR', KEYS[1])
