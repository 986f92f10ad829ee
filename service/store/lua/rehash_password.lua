-- Replace a user's password hash only if it is still the one the login verified: a rehash on
-- login must not undo a password change made meanwhile.
-- KEYS[1] the user hash
-- ARGV[1] the hash the login verified, ARGV[2] the new hash (same password, current parameters)
-- Returns 1 replaced, 0 not (the password changed, or the user is gone).
if redis.call('HGET', KEYS[1], 'pw') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'pw', ARGV[2])
return 1
