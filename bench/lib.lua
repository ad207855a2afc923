-- lib.lua -- shared by the wrk scripts in bench/: signature form bodies with
-- an e-mail address unique per run, thread and request, fixed-rate pacing,
-- and a one-line machine-readable summary ("BENCH {json}") that bench/run reads.
local M = {}

-- Names in the scripts petitiond serves (Khmer, Latin, Vietnamese, Chinese),
-- with the romanization their e-mail address is made from.
local people = {
  { "ចាន់ សុខា", "sokha.chan" }, { "ហេង ដារ៉ា", "dara.heng" }, { "លី សុភា", "sophea.ly" },
  { "Sophie Martin", "sophie.martin" }, { "José García", "jose.garcia" },
  { "Nguyễn Văn An", "an.nguyen" }, { "Trần Thị Bích Ngọc", "ngoc.tran" },
  { "王伟", "wang.wei" }, { "李娜", "li.na" }, { "Zoë O'Brien", "zoe.obrien" },
}
local countries = { "KH", "KH", "KH", "KH", "US", "FR", "AU", "CA", "VN", "CN" }
local comments = { "", "", "", "Justice for Cambodia.", "សូមគោរពសិទ្ធិមនុស្ស។",
                   "Please read the \"Paris Peace Agreements\" again, article 15." }

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local enc = {}
for i, p in ipairs(people) do enc[i] = { urlencode(p[1]), p[2] } end
for i, c in ipairs(comments) do comments[i] = urlencode(c) end

local form_headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local n = 0

-- The next POST /sign. tag: unique per run; tid: unique per wrk thread.
function M.sign_request(tag, tid)
  n = n + 1
  local p = enc[n % #enc + 1]
  local body = "name=" .. p[1] ..
    "&email=" .. p[2] .. "." .. tag .. "." .. tid .. "." .. n .. "%40example.org" ..
    "&country=" .. countries[n % #countries + 1] ..
    "&comment=" .. comments[n % #comments + 1] ..
    "&public=1&public_name=" .. p[1] .. "&updates=" .. (n % 3 == 0 and "1" or "") ..
    "&lang=en&token=&website="
  return wrk.format("POST", "/sign", form_headers, body)
end

-- Pacing: a schedule of send slots `interval_us` apart for this thread. Each
-- delay() call takes the next slot; a connection that is late sends at once
-- (so a slow server lowers the achieved rate, which the summary shows).
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end
local next_slot
function M.pacer(interval_us)
  return function()
    local now = now_us()
    if next_slot == nil or next_slot < now - 1e6 then next_slot = now end
    local t = next_slot
    next_slot = next_slot + interval_us
    if t <= now then return 0 end
    return math.floor((t - now) / 1000)
  end
end

-- Registers each thread and gives it a number (used in e-mail addresses).
local threads = {}
function M.setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"p999_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean))
end

return M
