-- refresh_token, chained: every request presents a refresh token returned by an earlier
-- response of the same session, so each rotation is real. Sessions wait in a pool; a request
-- takes one and its response puts the successor back, so no session is ever refreshed twice at
-- once. Seed at least twice as many sessions as connections.
-- Arguments after "--": <file of refresh tokens, one a line> <client_id> <wrk thread count>
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

local pool = {}
local client_id
local dead = "u-x.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

function init(args)
  client_id = args[2]
  local threads = tonumber(args[3] or "1")
  local i = 0
  for line in io.lines(args[1]) do
    if line ~= "" then
      if i % threads == thread_index then table.insert(pool, line) end
      i = i + 1
    end
  end
  starved = 0
end

function request()
  local token = table.remove(pool)
  if token == nil then
    starved = starved + 1
    token = dead
  end
  return wrk.format("POST", nil, { ["Content-Type"] = "application/x-www-form-urlencoded" },
    "grant_type=refresh_token&client_id=" .. client_id .. "&refresh_token=" .. token)
end

function response(status, headers, body)
  count(status)
  if status == 200 then
    local token = body:match('"refresh_token":"([^"]+)"')
    if token then table.insert(pool, token) end
  end
end
