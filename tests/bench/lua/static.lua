-- One fixed request, repeated: anonymous and integration client_credentials, token_exchange,
-- password. Arguments after "--": <form body> [<Authorization header value>]
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")

function init(args)
  wrk.method = "POST"
  wrk.body = args[1]
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  if args[2] and args[2] ~= "" then wrk.headers["Authorization"] = args[2] end
end

function response(status, headers, body)
  count(status)
end
