#!/usr/bin/env python3
"""tests/run.py -- run every test of the suite through meson and print one total.

Each meson test speaks TAP; this counts the individual assertions ("ok" /
"not ok" lines) of every test, plus one failure for a test that crashed or
timed out without reporting a failed assertion. The last line printed is
"N passed, N failed", which is what CI reads.

Usage: tests/run.py BUILD_DIR[:SUITE,SUITE] [BUILD_DIR...] [-- meson test args...]
Several build directories (say a normal and a sanitizer build) are run one
after the other and counted together; ":e2e+unit" after a directory runs only
those suites there (the ThreadSanitizer build runs the suites whose code has
threads).
"""
import json
import os
import re
import subprocess
import sys


def run_one(build, extra):
    """Runs one build's suite; returns (passed, failed, skipped, meson_rc)."""
    log = os.path.join(build, "meson-logs", "testlog.json")
    if os.path.exists(log):
        os.remove(log)
    print("== meson test -C %s" % build, flush=True)
    rc = subprocess.call(["meson", "test", "-C", build, "--print-errorlogs"] + extra)
    passed = failed = skipped = 0
    if not os.path.exists(log):
        print("tests/run.py: meson wrote no test log for %s" % build)
        return 0, 1, 0, rc
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            out = t.get("stdout") or ""
            ok = nok = sk = 0
            for l in out.splitlines():
                if re.match(r"^ok\b", l):
                    if re.search(r"#\s*skip", l, re.I):
                        sk += 1
                    else:
                        ok += 1
                elif re.match(r"^not ok\b", l):
                    if re.search(r"#\s*todo", l, re.I):
                        sk += 1
                    else:
                        nok += 1
            result = t.get("result", "")
            if result not in ("OK", "EXPECTEDFAIL", "SKIP") and nok == 0:
                nok = 1  # crashed, timed out or exited non-zero without saying why
                print("FAILED without a failing assertion: %s (%s)" % (t.get("name"), result))
            if result == "SKIP" and ok == 0 and nok == 0:
                sk += 1
            passed += ok
            failed += nok
            skipped += sk
    print("== %s: %d passed, %d failed, %d skipped" % (build, passed, failed, skipped), flush=True)
    return passed, failed, skipped, rc


def main():
    args = sys.argv[1:] or ["build"]
    extra = []
    if "--" in args:
        i = args.index("--")
        args, extra = args[:i], args[i + 1:]
    builds = args
    passed = failed = skipped = 0
    bad_rc = False
    for b in builds:
        suites = []
        if ":" in b:
            b, only = b.split(":", 1)
            for s in only.replace("+", ",").split(","):
                suites += ["--suite", s]
        p, f, s, rc = run_one(b, extra + suites)
        passed += p
        failed += f
        skipped += s
        bad_rc = bad_rc or rc != 0
    if bad_rc and failed == 0:
        failed = 1
        print("tests/run.py: meson test failed without a failing assertion")
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
