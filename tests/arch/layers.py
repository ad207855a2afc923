#!/usr/bin/env python3
"""tests/arch/layers.py -- the server's layers, checked (TAP).

Usage: layers.py SERVER_DIR BUILD_DIR LAYER=mod,mod,... [LAYER=...]...

The layers come from meson.build (the one place they are declared), lowest
first. Checked:
  1. every server/*.c and *.h belongs to exactly one layer (embed.c, the
     build-time generator, is not part of the server);
  2. every #include "x.h" in a server file names a header of its own layer
     or a lower one -- never one above;
  3. only the HTTP layer and the handlers include <microhttpd.h>, only
     the store layer includes <sqlite3.h>, and nothing in the core layer includes a
     header that does I/O (stdio is allowed for snprintf);
  4. every route path of routes.h is written nowhere else in server/;
  5. the object files linked into petitiond (BUILD_DIR/petitiond.p/*.o and
     the members of libpetitiond_core.a), read with `nm`, form no dependency
     cycle: file A depends on B when A uses a symbol B defines.
"""
import os
import re
import subprocess
import sys

results = []


def ok(cond, desc, diag=None):
    results.append((bool(cond), desc, diag))


def module_of(fname):
    return os.path.splitext(os.path.basename(fname))[0]


def main():
    server, build = sys.argv[1], sys.argv[2]
    layers = []
    for arg in sys.argv[3:]:
        name, mods = arg.split("=", 1)
        layers.append((name, [m for m in mods.split(",") if m]))
    rank = {}
    for i, (name, mods) in enumerate(layers):
        for m in mods:
            ok(m not in rank, "module %s is in one layer only" % m)
            rank[m] = i
    files = sorted(f for f in os.listdir(server) if f.endswith((".c", ".h")) and f != "embed.c")
    for f in files:
        ok(module_of(f) in rank, "%s belongs to a layer" % f,
           "add %s to `layers` in meson.build" % module_of(f))
    inc = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
    up = []
    for f in files:
        m = module_of(f)
        if m not in rank:
            continue
        text = open(os.path.join(server, f), encoding="utf-8").read()
        for kind, h in inc.findall(text):
            if kind == '"':
                hm = module_of(h)
                if hm not in rank:
                    up.append("%s includes %s, which is in no layer" % (f, h))
                elif rank[hm] > rank[m]:
                    up.append("%s (%s) includes %s (%s, a higher layer)" %
                              (f, layers[rank[m]][0], h, layers[rank[hm]][0]))
            else:
                if h == "microhttpd.h" and layers[rank[m]][0] not in ("http", "handlers"):
                    up.append("%s includes <microhttpd.h> outside the HTTP layer and handlers" % f)
                if h == "sqlite3.h" and layers[rank[m]][0] != "store":
                    up.append("%s includes <sqlite3.h>; only the store layer may" % f)
                if layers[rank[m]][0] == "core" and h in ("pthread.h", "unistd.h", "fcntl.h",
                                                           "sqlite3.h",
                                                           "microhttpd.h", "time.h"):
                    up.append("%s is pure core code but includes <%s>" % (f, h))
    ok(not up, "every #include goes to the same layer or a lower one", "\n".join(up))

    # Each route's path is written once: in routes.h, nowhere else in server/.
    routes_h = open(os.path.join(server, "routes.h"), encoding="utf-8").read()
    paths = sorted(set(re.findall(r'X\(\s*\w+\s*,\s*"[A-Z]+"\s*,\s*("[^"]*")', routes_h)))
    ok(len(paths) >= 10, "routes.h declares the routes (%d)" % len(paths))
    again = []
    for f in files:
        text = open(os.path.join(server, f), encoding="utf-8").read()
        for pth in paths:
            if f == "routes.h":
                continue  # the one place (a path may have a GET and a POST row)
            n = text.count(pth)
            if n > 0:
                again.append("%s writes %s again (use routes_path())" % (f, pth))
    ok(not again, "every route path appears once in server/ (routes.h)", "\n".join(again))

    # Object-level cycles.
    objdir = os.path.join(build, "petitiond.p")
    objs = [os.path.join(objdir, o) for o in sorted(os.listdir(objdir)) if o.endswith(".o")]
    core = os.path.join(build, "libpetitiond_core.a")
    defined, used = {}, {}

    def read_nm(path):
        out = subprocess.run(["nm", "-A", path], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            # "file:member.o: 0000 T sym" or "file.o:                 U sym"
            parts = line.rsplit(None, 2)
            if len(parts) < 3 and " U " not in line:
                continue
            where = line.split(": ", 1)[0] if ": " in line else line.split(":", 1)[0]
            fields = line.split()
            sym, typ = fields[-1], fields[-2]
            name = where.rsplit(":", 1)[-1]
            name = os.path.basename(name).replace("server_", "").replace(".c.o", "")
            name = re.sub(r"^meson-generated_\.\._", "", name)
            if typ == "U":
                used.setdefault(name, set()).add(sym)
            elif typ in "TDBRC" or typ in "tdbr":
                if typ.isupper():
                    defined.setdefault(sym, name)
    for o in objs:
        read_nm(o)
    if os.path.exists(core):
        read_nm(core)
    graph = {}
    for name, syms in used.items():
        graph[name] = {defined[s] for s in syms if s in defined and defined[s] != name}
    nodes = set(graph) | {d for ds in graph.values() for d in ds}
    ok(len(nodes) > 10, "read the symbols of %d object files" % len(nodes))
    # Tarjan's strongly connected components.
    index, low, stack, on, sccs = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            sccs.append(comp)

    for v in sorted(nodes):
        if v not in index:
            strong(v)
    cycles = [sorted(c) for c in sccs if len(c) > 1]
    ok(not cycles, "no dependency cycle among the object files linked into petitiond",
       "; ".join(" <-> ".join(c) for c in cycles))
    edges = sum(len(v) for v in graph.values())
    print("1..%d" % len(results))
    for i, (c, desc, diag) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if c else "not ok", i, desc))
        if not c and diag:
            for line in str(diag).splitlines():
                print("# " + line)
    print("# %d object files, %d dependency edges" % (len(nodes), edges))
    return 0 if all(r[0] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
