-- Flood: password grants for unknown users from many source addresses, so neither the account
-- nor the source throttle stops them and each one costs a (dummy) argon2 verification until the
-- bound sheds it. Arguments after "--": <marketplace client id>
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local client_id

function init(args)
  client_id = args[1]
  math.randomseed(os.time() + 7919 * (thread_index + 1))
end

function request()
  local user = string.format("nobody-%08x@example.com", math.random(0, 0x7fffffff))
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Forwarded-For"] = random_ip(),
  }, "grant_type=password&client_id=" .. client_id .. "&username=" .. urlencode(user) ..
     "&password=wrong-password&scope=user")
end

function response(status, headers, body)
  count(status)
end
