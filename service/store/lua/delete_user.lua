-- Delete a user record and end every session of the user, in one step.
-- KEYS[1] the user hash, KEYS[2] the user's session index (one hash tag)
-- ARGV[1] session key prefix, ARGV[2] grace key prefix
-- Returns {number of sessions ended, field, value, ...} with the record as it was (its
-- e-mail and identities name the keys the caller gives back), or {0} when there was none.
local record = redis.call('HGETALL', KEYS[1])
local sids = redis.call('ZRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[1], KEYS[2])
for _, sid in ipairs(sids) do
  redis.call('DEL', ARGV[1] .. sid, ARGV[2] .. sid)
end
return {#sids, unpack(record)}
