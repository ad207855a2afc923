#!/usr/bin/env python3
"""tests/arch/hardening.py -- the binary is built hardened (TAP).

Usage: hardening.py BINARY FORTIFY(0|1)

Reads the ELF with readelf: a position-independent executable (type DYN with
an interpreter), full RELRO (a GNU_RELRO segment and BIND_NOW), the stack
protector (__stack_chk_fail imported) and, when the build is optimized
without sanitizers (FORTIFY=1), fortified libc calls (*_chk imported).
"""
import re
import subprocess
import sys


def readelf(*args):
    return subprocess.run(["readelf", "-W"] + list(args), capture_output=True, text=True,
                          check=True).stdout


def main():
    binary, fortify = sys.argv[1], sys.argv[2] == "1"
    header = readelf("-h", binary)
    segments = readelf("-l", binary)
    dynamic = readelf("-d", binary)
    syms = readelf("--dyn-syms", binary)
    checks = [
        ("PIE: ELF type DYN", re.search(r"Type:\s+DYN", header) is not None),
        ("PIE: has a program interpreter", "INTERP" in segments),
        ("RELRO: GNU_RELRO segment", "GNU_RELRO" in segments),
        ("full RELRO: BIND_NOW", re.search(r"\(FLAGS\).*BIND_NOW|\(FLAGS_1\).*NOW|\(BIND_NOW\)",
                                            dynamic) is not None),
        ("stack protector: __stack_chk_fail", "__stack_chk_fail" in syms),
    ]
    chk = sorted(set(re.findall(r"\b(__\w+_chk)\b", syms)) - {"__stack_chk_fail"})
    if fortify:
        checks.append(("fortified libc calls (%s)" % ", ".join(chk[:6]), len(chk) > 0))
    print("1..%d" % len(checks))
    for i, (desc, cond) in enumerate(checks, 1):
        print("%s %d - %s" % ("ok" if cond else "not ok", i, desc))
    if not fortify:
        print("# fortify not expected in this build (unoptimized or sanitized)")
    return 0 if all(c for _, c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
