-- wrk script for bench/bench_checkin.py.
-- With CODES_FILE set: every request checks in the next distinct ticket code of this thread's
-- share (POST JSON, bearer device token); without it: a plain GET of the given URL (the baseline).
-- Both modes count answers in response() so their cost on the client is the same.
local codes_file = os.getenv("CODES_FILE")
local token = os.getenv("DEVICE_TOKEN")
local path = os.getenv("CHECKIN_PATH")
local run_id = os.getenv("RUN_ID") or "0"
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  codes = {}
  idx = 0
  ok, already, other, status_err = 0, 0, 0, 0
  nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
  if codes_file then
    local i = 0
    for line in io.lines(codes_file) do
      if i % nthreads == tid then table.insert(codes, line) end
      i = i + 1
    end
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end

function request()
  if not codes_file then return wrk.format() end
  idx = idx + 1
  local code = codes[((idx - 1) % #codes) + 1]
  local body = '{"code":"' .. code .. '","gate":"Cổng A","scan_id":"b' .. run_id .. '-' .. tid .. '-' .. idx .. '"}'
  return wrk.format("POST", path, nil, body)
end

function response(status, headers, body)
  if status ~= 200 then
    status_err = status_err + 1
  elseif body:find('"result":"ok"', 1, true) then
    ok = ok + 1
  elseif body:find('"result":"already_checked_in"', 1, true) then
    already = already + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local t_ok, t_already, t_other, t_status = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    t_ok = t_ok + thread:get("ok")
    t_already = t_already + thread:get("already")
    t_other = t_other + thread:get("other")
    t_status = t_status + thread:get("status_err")
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"socket_errors":%d,"non_200":%d,"ok":%d,"already":%d,"other":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect + e.read + e.write + e.timeout, t_status,
    t_ok, t_already, t_other))
end
