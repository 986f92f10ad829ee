-- End every session of an owner in one step. For a user the same step sets fields of the user
-- record (disabled, a new password) and advances its session generation, so a login that read
-- the user before this (its password check still running) creates no session afterwards.
-- KEYS[1] owner's session index, KEYS[2] the user hash (user owners only; one hash tag)
-- ARGV[1] session key prefix, ARGV[2] grace key prefix, ARGV[3..] field, value pairs to set on
-- the user
-- Returns the number of sessions ended, or -1: KEYS[2] names no user (nothing changed).
-- The deletions come first: once a script has written, Redis lets it finish even when out of
-- memory, so ending sessions works on a full Redis too.
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
local sids = redis.call('ZRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
for _, sid in ipairs(sids) do
  redis.call('DEL', ARGV[1] .. sid, ARGV[2] .. sid)
end
if KEYS[2] then
  if #ARGV > 2 then
    redis.call('HSET', KEYS[2], unpack(ARGV, 3))
  end
  redis.call('HINCRBY', KEYS[2], 'gen', 1)
end
return #sids
