-- Start an operator's browser session, only for an operator who exists and is not disabled,
-- naming the operator's current session generation.
-- KEYS[1] the session's hash, KEYS[2] the operator's hash (one hash tag, {operators})
-- ARGV[1] the operator id, ARGV[2] the session's lifetime in ms
-- Returns 1 started, 0 refused: the operator is gone or disabled (nothing stored).
if redis.call('EXISTS', KEYS[2]) == 0 then return 0 end
local o = redis.call('HMGET', KEYS[2], 'disabled', 'gen')
if o[1] == '1' then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'op', ARGV[1], 'gen', o[2] or '0')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
