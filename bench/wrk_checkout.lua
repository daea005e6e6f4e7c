-- wrk script: every connection walks complete checkouts, one after another, as a customer.
-- A state machine per thread; run it with as many threads as connections (-tN -cN), so that
-- every connection is one customer and waits for each answer before the next call.
-- At the end prints one line "BENCH_JSON {...}" with the figures bench/checkout.py reads
-- (the keys of bench/wrk_cycle.lua, plus the checkouts and their durations).
--
--   wrk -t4 -c4 -d10s -s bench/wrk_checkout.lua http://127.0.0.1:8000 -- /api/v1 ids.txt tokens.txt RUN
--
-- /api/v1: the API's path prefix; ids.txt: product ids, one a line (thread k starts at
-- line k and takes the next one each checkout); tokens.txt: customer bearer tokens, one a
-- line (thread k sends line k); RUN: a word unique to this run, so Idempotency-Key
-- (RUN-k-n) is unique per checkout.
--
-- One checkout is 8 calls, each must answer 2xx (the order 201):
--   POST /api/v1/basket/items, POST /api/v1/checkout, PUT .../shipping-address,
--   PUT .../billing-address, PUT .../payment-type, PUT .../delivery-option,
--   POST .../payment, POST .../order (Idempotency-Key).
-- Any other answer (a 200 where 201 is due, too) is counted by status in non_2xx, which
-- fails the measurement, and the connection starts a new checkout.

local ffi = require("ffi")
ffi.cdef [[
   typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
   int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bench_timespec")

local function now_us()
   ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
   return tonumber(timespec.tv_sec) * 1000000 + tonumber(timespec.tv_nsec) / 1000
end

local ADDRESS = '{"address":{"first_name":"Ada","last_name":"Lovelace","line1":"Unter den Linden 1",' ..
                '"postal_code":"10117","city":"Berlin","country":"DE"}}'
local CARD = '{"card":{"number":"4242424242424242","expiry_month":12,"expiry_year":2031,"cvc":"123"}}'
-- step: method, path after /api/v1/checkout/{id} (nil: a path of its own), body, expected status
local STEPS = {
   {"POST", nil, nil, 200},                     -- basket add: path and body set below
   {"POST", nil, "{}", 201},                    -- open the checkout
   {"PUT", "/shipping-address", ADDRESS, 200},
   {"PUT", "/billing-address", '{"same_as_shipping":true}', 200},
   {"PUT", "/payment-type", '{"payment_type":"card"}', 200},
   {"PUT", "/delivery-option", '{"delivery_option_id":"dhl-standard"}', 200},
   {"POST", "/payment", CARD, 200},
   {"POST", "/order", "{}", 201},
}

local threads_started = 0
local threads = {}

function setup(thread)
   threads_started = threads_started + 1
   thread:set("thread_number", threads_started)
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

function init(args)
   local ids_file, tokens_file, run
   api, ids_file, tokens_file, run = args[1], args[2], args[3], args[4]
   if api == nil or ids_file == nil or tokens_file == nil or run == nil then
      error("usage: wrk -tN -cN ... -s wrk_checkout.lua URL -- API_PREFIX IDS_FILE TOKENS_FILE RUN")
   end
   local number = thread_number or 1
   local tokens = read_lines(tokens_file)
   token = tokens[number] or error("tokens file " .. tokens_file .. " has " .. #tokens .. " lines, thread " .. number .. " needs one")
   products = read_lines(ids_file)
   if #products == 0 then
      error("no ids in " .. ids_file)
   end
   key_prefix = run .. "-" .. number .. "-"
   product_index = (number - 1) % #products
   step, checkout_id, started_us, checkouts = 1, nil, 0, 0
   durations = {}
   unexpected, statuses = 0, {}
end

function request()
   local method, suffix, body = STEPS[step][1], STEPS[step][2], STEPS[step][3]
   local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
   local path
   if step == 1 then
      started_us = now_us()
      product_index = product_index % #products + 1
      path = api .. "/basket/items"
      body = '{"product_id":"' .. products[product_index] .. '","quantity":1}'
   elseif step == 2 then
      path = api .. "/checkout"
   else
      path = api .. "/checkout/" .. checkout_id .. suffix
      if step == #STEPS then
         headers["Idempotency-Key"] = key_prefix .. (checkouts + 1)
      end
   end
   return wrk.format(method, path, headers, body)
end

local function unexpected_answer(key)
   unexpected = unexpected + 1
   statuses[key] = (statuses[key] or 0) + 1
   step, checkout_id = 1, nil  -- start over with a new checkout
end

function response(status, headers, body)
   local expected = STEPS[step][4]
   if status ~= expected then
      if status >= 200 and status <= 299 then
         unexpected_answer(status .. " (expected " .. expected .. ")")
      else
         unexpected_answer(tostring(status))
      end
      return
   end
   if step == 2 then
      checkout_id = string.match(body, '"id":"(chk_[%w_]+)"')
      if checkout_id == nil then
         unexpected_answer("201 without a checkout id")
         return
      end
   end
   if step == #STEPS then
      checkouts = checkouts + 1
      durations[checkouts] = math.floor(now_us() - started_us)
      step, checkout_id = 1, nil
   else
      step = step + 1
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   local unexpected_total, checkouts_total, totals, by_status, all_durations, by_connection = 0, 0, {}, {}, {}, {}
   for _, thread in ipairs(threads) do
      unexpected_total = unexpected_total + thread:get("unexpected")
      checkouts_total = checkouts_total + thread:get("checkouts")
      by_connection[#by_connection + 1] = string.format("%d", thread:get("checkouts"))
      for status, count in pairs(thread:get("statuses")) do
         totals[status] = (totals[status] or 0) + count
      end
      for _, duration in ipairs(thread:get("durations")) do
         all_durations[#all_durations + 1] = string.format("%d", duration)
      end
   end
   for status, count in pairs(totals) do
      by_status[#by_status + 1] = string.format('"%s":%d', status, count)
   end
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
      '"mean_us":%.1f,"max_us":%d,"errors_connect":%d,"errors_read":%d,"errors_write":%d,' ..
      '"errors_status":%d,"errors_timeout":%d,"non_2xx":%d,"non_2xx_by_status":{%s},' ..
      '"calls_per_checkout":%d,"checkouts":%d,"checkouts_by_connection":[%s],"checkout_us":[%s]}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout,
      unexpected_total, table.concat(by_status, ","), #STEPS, checkouts_total,
      table.concat(by_connection, ","), table.concat(all_durations, ",")))
end
