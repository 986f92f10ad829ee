-- Delete an operator and free the e-mail if its entry still names this operator. The
-- operator's sessions end with the record: a session is honoured only while it exists.
-- KEYS[1] the operator's hash, KEYS[2] the e-mail's entry (one hash tag, {operators})
-- ARGV[1] the operator id
-- Returns 1 deleted, 0 no such operator (nothing changed).
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
