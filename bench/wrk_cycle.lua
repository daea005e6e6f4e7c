-- wrk script: requests cycling over the ids in a file (one a line), so the requests
-- are spread over many records; each thread starts at another offset.
-- At the end prints one line "BENCH_JSON {...}" with the figures bench/http.py reads.
--
--   wrk -t2 -c50 -d10s -s bench/wrk_cycle.lua http://127.0.0.1:8000 -- /api/v1/products/ ids.txt
--
-- sends GET <prefix><id>. Options may follow, as name=value:
--
--   method=POST         the method (default GET)
--   body=TEMPLATE       a JSON body in which {id} stands for the id; the path is then the
--                       prefix alone, and Content-Type is application/json
--   header=NAME         with values=FILE: thread k sends header NAME with line k of FILE
--   values=FILE         (k from 1), so with as many threads as connections (-tN -cN)
--                       every connection has a value of its own (a basket token, say)
--   statuses=1          count every answer outside 200-299 by status (wrk itself counts
--                       only status >= 400); costs wrk a Lua call per answer
--
--   wrk -t4 -c4 -d10s -s bench/wrk_cycle.lua http://127.0.0.1:8000 -- /api/v1/basket/items ids.txt \
--       method=POST 'body={"product_id":"{id}","quantity":1}' header=X-Basket-Token values=tokens.txt statuses=1

local threads_started = 0
local threads = {}

function setup(thread)
   thread:set("offset", threads_started * 97)
   thread:set("thread_number", threads_started + 1)
   threads_started = threads_started + 1
   threads[#threads + 1] = thread
end

local function read_lines(path)
   local lines = {}
   for line in io.lines(path) do
      if line ~= "" then
         lines[#lines + 1] = line
      end
   end
   return lines
end

local function counted_response(status, headers, body)
   if status < 200 or status > 299 then
      unexpected = unexpected + 1
      local key = tostring(status)
      statuses[key] = (statuses[key] or 0) + 1
   end
end

function init(args)
   local prefix, path = args[1], args[2]
   if prefix == nil or path == nil then
      error("usage: wrk ... -s wrk_cycle.lua URL -- PATH_PREFIX IDS_FILE [name=value ...]")
   end
   local options = {}
   for i = 3, #args do
      local name, value = string.match(args[i], "^([%w_]+)=(.*)$")
      if name == nil then
         error("option " .. args[i] .. " is not name=value")
      end
      options[name] = value
   end
   local method = options.method or "GET"
   local headers = {}
   if options.body then
      headers["Content-Type"] = "application/json"
   end
   if options.header then
      local values = read_lines(options.values or error("header= needs values=FILE"))
      local value = values[thread_number or 1]
      if value == nil then
         error("values file " .. options.values .. " has " .. #values .. " lines, thread " .. thread_number .. " needs one")
      end
      headers[options.header] = value
   end
   if options.statuses == "1" then
      unexpected, statuses = 0, {}
      response = counted_response  -- defined before wrk asks whether the script wants answers
   end
   requests = {}
   for _, id in ipairs(read_lines(path)) do
      if options.body then
         local body = string.gsub(options.body, "{id}", (string.gsub(id, "%%", "%%%%")))
         requests[#requests + 1] = wrk.format(method, prefix, headers, body)
      else
         requests[#requests + 1] = wrk.format(method, prefix .. id, headers)
      end
   end
   if #requests == 0 then
      error("no ids in " .. path)
   end
   index = (offset or 0) % #requests
end

function request()
   index = index + 1
   if index > #requests then
      index = 1
   end
   return requests[index]
end

function done(summary, latency, requests)
   local e = summary.errors
   -- answers outside 200-299, all threads together ("-1": not counted, statuses=1 not given)
   local unexpected_total, totals, by_status = -1, {}, {}
   for _, thread in ipairs(threads) do
      local counted = thread:get("unexpected")
      if counted ~= nil then
         unexpected_total = math.max(unexpected_total, 0) + counted
         for status, count in pairs(thread:get("statuses")) do
            totals[status] = (totals[status] or 0) + count
         end
      end
   end
   for status, count in pairs(totals) do
      by_status[#by_status + 1] = string.format('"%s":%d', status, count)
   end
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
      '"mean_us":%.1f,"max_us":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
      '"errors_status":%d,"errors_timeout":%d,"non_2xx":%d,"non_2xx_by_status":{%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout,
      unexpected_total, table.concat(by_status, ",")))
end
