-- Set fields of a live client record: never of a deleted client's tombstone, never re-creating
-- a record that is gone.
-- KEYS[1] the client hash
-- ARGV field, value pairs
-- Returns 1 set, 0 no such client (or a tombstone; nothing changed).
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'deleted') == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
