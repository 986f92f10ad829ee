-- Set fields of a hash only if it exists, so a deleted record is never half re-created.
-- KEYS[1] the hash (a user record)
-- ARGV field, value pairs
-- Returns 1 set, 0 no such hash (nothing changed).
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
