-- mixed.lua -- a viral spike: nine page views (gzip, as browsers ask) for
-- every signature, on the same connections at once. The share is exact: each
-- thread sends requests in the repeating order GET x9, POST x1.
-- Argument: a tag unique to this run.
local lib = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "lib.lua")
local tag, i, get = "m", 0, nil

function init(args)
  tag = args[1] or tag
  get = wrk.format("GET", "/", { ["Accept-Encoding"] = "gzip" })
end
function request()
  i = i + 1
  if i % 10 == 0 then return lib.sign_request(tag, tid) end
  return get
end
setup = lib.setup
done = lib.done
