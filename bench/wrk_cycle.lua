-- wrk script: GET <prefix><id> cycling over the ids in a file (one a line), so the
-- requests are spread over many records; each thread starts at another offset.
-- At the end prints one line "BENCH_JSON {...}" with the figures bench/http.py reads.
--
--   wrk -t2 -c50 -d10s -s bench/wrk_cycle.lua http://127.0.0.1:8000 -- /api/v1/products/ ids.txt

local threads_started = 0

function setup(thread)
   thread:set("offset", threads_started * 97)
   threads_started = threads_started + 1
end

function init(args)
   local prefix, path = args[1], args[2]
   if prefix == nil or path == nil then
      error("usage: wrk ... -s wrk_cycle.lua URL -- PATH_PREFIX IDS_FILE")
   end
   paths = {}
   for line in io.lines(path) do
      if line ~= "" then
         paths[#paths + 1] = prefix .. line
      end
   end
   if #paths == 0 then
      error("no ids in " .. path)
   end
   index = (offset or 0) % #paths
end

function request()
   index = index + 1
   if index > #paths then
      index = 1
   end
   return wrk.format("GET", paths[index])
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
      '"mean_us":%.1f,"max_us":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
      '"errors_status":%d,"errors_timeout":%d}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
