-- bench/wrk/replay.lua — replays pre-signed requests from a request file.
--   wrk -t T -c C -d Ds --timeout 30s -s bench/wrk/replay.lua http://127.0.0.1:PORT -- REQFILE [BODY]
-- REQFILE holds records "<length>\n<bytes>", each a complete request head
-- (signed ahead of time by bench/run.py, so no signing happens during the run).
-- With BODY, that many synthesized bytes follow every head (PUT); the head
-- must carry a matching Content-Length. Requests are cycled; each wrk thread
-- starts at its own offset.
-- wrk hangs on HEAD responses (it waits for the Content-Length body): HEAD
-- cells use bench/loadgen instead. done() prints one JSON line prefixed "JSON ".
local threads = {}
local counter = 0

function setup(thread)
   thread:set("tid", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   local f = assert(io.open(args[1], "rb"))
   local data = f:read("*a")
   f:close()
   local body = ""
   if args[2] then body = string.rep("x", tonumber(args[2])) end
   reqs = {}
   local pos = 1
   while pos <= #data do
      local nl = string.find(data, "\n", pos, true)
      local len = tonumber(string.sub(data, pos, nl - 1))
      reqs[#reqs + 1] = string.sub(data, nl + 1, nl + len) .. body
      pos = nl + 1 + len
   end
   idx = ((tid or 0) * 7919) % #reqs
end

function request()
   idx = idx + 1
   if idx > #reqs then idx = 1 end
   return reqs[idx]
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'JSON {"requests":%d,"seconds":%.4f,"ops":%.2f,"bytes_in":%d,"p50_ms":%.4f,' ..
      '"p99_ms":%.4f,"max_ms":%.4f,"non2xx":%d,"socket_errors":%d}\n',
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      summary.bytes, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
      latency.max / 1e3, e.status, e.connect + e.read + e.write + e.timeout))
end
