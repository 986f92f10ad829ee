-- The operator of a live session, if that operator may still act: present, not disabled, and
-- not disabled since the session started (the same session generation).
-- KEYS[1] the session's hash, KEYS[2] the hash of the operator the session named when the
-- caller read it (one hash tag, {operators})
-- ARGV[1] that operator's id
-- Returns {0} no such session, another operator's, or an operator who may not act;
-- {1, field, value, ...} the operator's record.
local s = redis.call('HMGET', KEYS[1], 'op', 'gen')
if not s[1] or s[1] ~= ARGV[1] then return {0} end
local o = redis.call('HMGET', KEYS[2], 'disabled', 'gen')
if redis.call('EXISTS', KEYS[2]) == 0 or o[1] == '1' or (o[2] or '0') ~= s[2] then
  return {0}
end
return {1, unpack(redis.call('HGETALL', KEYS[2]))}
