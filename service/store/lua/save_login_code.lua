-- Store a new login-as authorization code's record with its lifetime, in one step.
-- KEYS[1] the code's hash (<p>code:<digest>)
-- ARGV[1] lifetime in ms, ARGV[2..] field, value, field, value, ...
-- Returns 1 when stored, 0 when the key already existed (left unchanged).
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
