-- Delete a user record and end every session of the user, in one step.
-- KEYS[1] the user hash, KEYS[2] the user's session index (one hash tag)
-- ARGV[1] session key prefix, ARGV[2] grace key prefix
-- Returns the number of sessions ended.
local sids = redis.call('ZRANGE', KEYS[2], 0, -1)
redis.call('DEL', KEYS[1], KEYS[2])
for _, sid in ipairs(sids) do
  redis.call('DEL', ARGV[1] .. sid, ARGV[2] .. sid)
end
return #sids
