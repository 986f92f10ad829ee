-- Create an operator: the record and its e-mail entry in one step (one hash tag, {operators}).
-- KEYS[1] the operator's hash, KEYS[2] the e-mail's entry
-- ARGV[1] the operator id, ARGV[2..] field, value pairs of the record
-- Returns 1 created, 0 the e-mail (or the id) is taken (nothing changed).
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('SET', KEYS[2], ARGV[1])
return 1
