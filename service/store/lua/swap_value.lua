-- Compare and set one string key (an e-mail's user id): claim, release or take over.
-- KEYS[1] the key
-- ARGV[1] the value expected ('' = the key must not exist), ARGV[2] the new value ('' = delete)
-- Returns 1 swapped, 0 the key held something else (nothing changed).
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
return 1
