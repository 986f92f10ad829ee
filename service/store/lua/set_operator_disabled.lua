-- Disable or enable an operator. Disabling advances the session generation, so every session
-- the operator started before ends for good (enabling again does not bring them back).
-- KEYS[1] the operator's hash
-- ARGV[1] '1' disable, '0' enable
-- Returns 1 set, 0 no such operator (nothing changed).
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'disabled', ARGV[1])
if ARGV[1] == '1' then redis.call('HINCRBY', KEYS[1], 'gen', 1) end
return 1
