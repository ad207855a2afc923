-- page.lua -- GET / as fast as possible (a static request: no Lua per request).
-- Argument: "gzip" to send Accept-Encoding: gzip.
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")

function init(args)
  if args[1] == "gzip" then wrk.headers["Accept-Encoding"] = "gzip" end
end
setup = lib.setup
done = lib.done
