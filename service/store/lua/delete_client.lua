-- Delete a client record, leaving a tombstone in its place: a deleted client's id never comes
-- back, since sessions and tokens elsewhere may still name it.
-- KEYS[1] the client hash
-- ARGV[1] the deletion time (seconds since the epoch)
-- Returns 1 deleted, 0 no such client (or already deleted).
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'deleted') == 1 then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'deleted', ARGV[1])
return 1
