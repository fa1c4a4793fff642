-- bench/server/post.lua — wrk script of `make bench-server`: POST JSON bodies
-- read from a file, one body per line, each connection taking them in turn.
--
--   wrk ... -s post.lua URL -- BODIES_FILE PATH
--
-- Requests are formatted once, in init, so the client spends its time on
-- the wire and not in Lua. done() prints one JSON line that the runner
-- (bench.js) reads: counts, the duration, errors (socket errors and non-2xx
-- answers) and latency percentiles in microseconds.
local requests, count, turn = {}, 0, 0

function init(args)
  local file, path = args[1], args[2]
  if not file or not path then
    error("post.lua: usage: wrk ... -s post.lua URL -- BODIES_FILE PATH")
  end
  local headers = { ["Content-Type"] = "application/json" }
  for line in io.lines(file) do
    if #line > 0 then
      count = count + 1
      requests[count] = wrk.format("POST", path, headers, line)
    end
  end
  if count == 0 then
    error("post.lua: " .. file .. " holds no request bodies")
  end
end

function request()
  turn = turn % count + 1
  return requests[turn]
end

function done(summary, latency, requests_)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"socket_errors":%d,"status_errors":%d,' ..
    '"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,
    e.status, latency:percentile(50), latency:percentile(99), latency.max))
end
