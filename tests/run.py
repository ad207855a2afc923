#!/usr/bin/env python3
"""tests/run.py -- run every test of the suite through meson and print one total.

Each meson test speaks TAP; this counts the individual assertions ("ok" /
"not ok" lines) of every test, plus one failure for a test that crashed or
timed out without reporting a failed assertion. The last line printed is
"N passed, N failed", which is what CI reads.

Usage: tests/run.py BUILD_DIR [meson test args...]
"""
import json
import os
import re
import subprocess
import sys


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    extra = sys.argv[2:]
    log = os.path.join(build, "meson-logs", "testlog.json")
    if os.path.exists(log):
        os.remove(log)
    rc = subprocess.call(["meson", "test", "-C", build, "--print-errorlogs"] + extra)
    passed = failed = skipped = 0
    if not os.path.exists(log):
        print("tests/run.py: meson wrote no test log")
        print("0 passed, 1 failed")
        return 1
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
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 0 if failed == 0 and rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
