-- Create a hash (a user or client record) only if its key does not exist yet.
-- KEYS[1] the hash
-- ARGV field, value pairs
-- Returns 1 created, 0 the key exists (nothing changed).
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
