-- paced.lua -- a fixed offered rate instead of "as fast as possible", so
-- latency is measured at a load the server can carry (a saturated run only
-- shows queueing). Debian has no wrk2; the pacing is done here (lib.pacer).
-- Arguments: RATE (requests/s over all threads) THREADS KIND TAG
--   KIND: post (POST /sign, unique e-mails), get, get-gzip
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")
local kind, tag, pace = "post", "p", nil

function init(args)
  local rate, nthreads = tonumber(args[1]), tonumber(args[2])
  kind, tag = args[3] or kind, args[4] or tag
  pace = lib.pacer(1e6 * nthreads / rate)
  if kind == "get-gzip" then wrk.headers["Accept-Encoding"] = "gzip" end
end
-- wrk looks for delay() and request() when it loads the script: define both here.
function delay() return pace() end
function request()
  if kind == "post" then return lib.sign_request(tag, tid) end
  return wrk.format("GET", "/")
end
setup = lib.setup
done = lib.done
