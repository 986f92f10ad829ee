-- Shared by every per-grant script (loaded with dofile): counts answers by status in each
-- wrk thread and prints one machine-readable line from done(). Loaded from BENCH_LUA_DIR.
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

ok, s401, s429, s503, s4xx, s5xx, other = 0, 0, 0, 0, 0, 0, 0

function count(status)
  if status >= 200 and status < 300 then ok = ok + 1
  elseif status == 401 then s401 = s401 + 1
  elseif status == 429 then s429 = s429 + 1
  elseif status == 503 then s503 = s503 + 1
  elseif status >= 400 and status < 500 then s4xx = s4xx + 1
  elseif status >= 500 then s5xx = s5xx + 1
  else other = other + 1 end
end

function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function random_ip()
  -- A documentation-range-free private address: the flood looks like many sources.
  return string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
end

function done(summary, latency, requests)
  local t = { ok = 0, s401 = 0, s429 = 0, s503 = 0, s4xx = 0, s5xx = 0, other = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
  end
  local starved = 0
  for _, thread in ipairs(threads) do starved = starved + (thread:get("starved") or 0) end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"ok":%d,"status_401":%d,"status_429":%d,' ..
    '"status_503":%d,"status_4xx_other":%d,"status_5xx_other":%d,"status_other":%d,"starved":%d,' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, t.ok, t.s401, t.s429, t.s503, t.s4xx, t.s5xx, t.other, starved,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean))
end
