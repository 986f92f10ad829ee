-- Change a user's record and the keys that find the user (e-mail, identities) in one step:
-- claim keys for the user, give keys back, check then set or delete fields of the record.
-- KEYS[1] the user hash, KEYS[2..1+n] keys to claim, KEYS[2+n..1+n+r] keys to give back
-- ARGV[1] user id, ARGV[2] 'create' (the hash must not exist) or 'update' (it must exist),
-- ARGV[3] n, ARGV[4] r, ARGV[5] g guards, ARGV[6] d fields to delete, then n holders a
-- claimed key may name instead of nobody (a deleted user's; '' = none), then g field, value
-- pairs the record must hold ('' = absent), then d field names, then field, value pairs to set
-- Returns {0} done, {-1} the hash exists (create) or is missing (update), {-2} a guard failed,
-- {i, holder} the i-th key to claim names another user; nothing changed unless {0}.
local uid, mode = ARGV[1], ARGV[2]
local n, r, g, d = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
if (mode == 'create') == (redis.call('EXISTS', KEYS[1]) == 1) then return {-1} end
local a = 7
for i = 1, n do
  local holder = redis.call('GET', KEYS[1 + i])
  if holder and holder ~= uid and holder ~= ARGV[a + i - 1] then return {i, holder} end
end
a = a + n
for i = 0, g - 1 do
  if (redis.call('HGET', KEYS[1], ARGV[a + 2 * i]) or '') ~= ARGV[a + 2 * i + 1] then
    return {-2}
  end
end
a = a + 2 * g
for i = 1, n do
  redis.call('SET', KEYS[1 + i], uid)
end
for i = 1, r do
  if redis.call('GET', KEYS[1 + n + i]) == uid then redis.call('DEL', KEYS[1 + n + i]) end
end
for i = 0, d - 1 do
  redis.call('HDEL', KEYS[1], ARGV[a + i])
end
a = a + d
if #ARGV >= a then
  redis.call('HSET', KEYS[1], unpack(ARGV, a))
end
return {0}
