-- Revoke the session a refresh token belongs to, if the token is one of its live tokens and
-- the caller is its client (RFC 7009 §2.1). A forged or foreign token revokes nothing.
-- KEYS[1] session hash, KEYS[2] owner's session index, KEYS[3] the session's grace key
-- ARGV[1] session id, ARGV[2] digest of the presented token, ARGV[3] client id
-- Returns 1 revoked, 0 nothing done.
local s = redis.call('HMGET', KEYS[1], 'cid', 'cur', 'prev')
if not s[1] or s[1] ~= ARGV[3] then return 0 end
if ARGV[2] ~= s[2] and ARGV[2] ~= s[3] then return 0 end
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
