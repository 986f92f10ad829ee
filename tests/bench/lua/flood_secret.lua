-- Flood: an integration client's id with a wrong secret, from many source addresses
-- (X-Forwarded-For through one trusted proxy), so only the per-client limiter and the argon2
-- bound protect the service. Arguments after "--": <integration client id>
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local client_id

function init(args)
  client_id = args[1]
  math.randomseed(os.time() + thread_index)
end

function request()
  local secret = string.format("wrong-%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  local basic = "Basic " .. base64(client_id .. ":" .. secret)
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = basic,
    ["X-Forwarded-For"] = random_ip(),
  }, "grant_type=client_credentials&scope=integ")
end

function response(status, headers, body)
  count(status)
end

local b = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
function base64(data)
  return ((data:gsub(".", function(x)
    local r, byte = "", x:byte()
    for i = 8, 1, -1 do r = r .. (byte % 2 ^ i - byte % 2 ^ (i - 1) > 0 and "1" or "0") end
    return r
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(x)
    if #x < 6 then return "" end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return b:sub(c + 1, c + 1)
  end) .. ({ "", "==", "=" })[#data % 3 + 1])
end
