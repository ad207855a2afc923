-- nodes.lua -- POST /sign spread over several petitiond nodes, a new e-mail
-- address on every request. BENCH_NODES (environment) lists the nodes' ports
-- on 127.0.0.1, comma-separated; wrk thread i talks to node (i - 1) % n + 1
-- only, so with as many threads as nodes (or a multiple) every node gets the
-- same number of connections (wrk gives each thread connections / threads).
-- Without BENCH_NODES it is post.lua: every thread talks to the URL's server.
-- Argument: a tag unique to this run (addresses never repeat across runs).
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")
local tag = "r"

-- Read when wrk loads the script, before setup(): script arguments only
-- reach init(), which runs in the threads after their address is fixed.
local ports = {}
for p in (os.getenv("BENCH_NODES") or ""):gmatch("%d+") do ports[#ports + 1] = p end
local nthreads = 0

function setup(thread)
  lib.setup(thread)
  if #ports > 0 then
    thread.addr = wrk.lookup("127.0.0.1", ports[nthreads % #ports + 1])[1]
  end
  nthreads = nthreads + 1
end

function init(args) tag = args[1] or tag end
function request() return lib.sign_request(tag, tid) end
done = lib.done
