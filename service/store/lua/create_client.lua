-- Create an application (OAuth client) unless its id is taken.
-- KEYS[1] the client hash
-- ARGV[1] kind, ARGV[2] name, ARGV[3] secret (argon2id hash, '' for none), ARGV[4] created (s)
-- Returns 1 created, 0 the id is taken (nothing changed).
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'kind', ARGV[1], 'name', ARGV[2], 'secret', ARGV[3],
  'created', ARGV[4])
return 1
