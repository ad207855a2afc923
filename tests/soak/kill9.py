#!/usr/bin/env python3
"""kill9.py -- kill -9 petitiond at random moments under a steady stream of
signatures, many rounds over, and check nothing acknowledged is lost.

Not part of `make test` (it runs for minutes); `make test` runs three rounds
of the same check in tests/e2e/test_durability.py.

Each round: 8 clients sign in a loop; after a random 0.3-2.0 s the server is
killed with SIGKILL; it is restarted on the same database with no manual
repair; then every signature that had received a 303/201 must be in the CSV,
PRAGMA integrity_check must say ok, and the stored counter must equal the rows.

Usage: PETITIOND_BIN=build/petitiond tests/soak/kill9.py [ROUNDS]   (default 25)
Prints one line per round and a summary; exits 1 on any loss.
"""
import os
import random
import signal
import sqlite3
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.dont_write_bytecode = True
import harness as H  # noqa: E402
from test_durability import burst, join_all  # noqa: E402


def check_db(path):
    con = sqlite3.connect(path, timeout=10)
    try:
        ic = con.execute("PRAGMA integrity_check").fetchone()[0]
        rows = con.execute("SELECT count(*) FROM signatures").fetchone()[0]
        counter = con.execute("SELECT value FROM counters WHERE name='signatures'").fetchone()[0]
    finally:
        con.close()
    return ic, rows, counter


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 25
    rng = random.Random(int(os.environ.get("SEED", time.time())))
    failures = 0
    all_acked = []
    t0 = time.monotonic()
    with H.Server() as srv:
        for rnd in range(1, rounds + 1):
            acked, lock, stats, events = [], threading.Lock(), {}, []
            ts = burst(srv.port, "k9r%d" % rnd, 3.0, acked, lock, stats, events)
            time.sleep(rng.uniform(0.3, 2.0))
            srv.kill()
            join_all(ts, 10)
            all_acked.extend(acked)
            ic, rows, counter = check_db(srv.db)  # server is down: a cold look
            srv.start()
            have = {r["email"] for r in srv.csv_dicts()}
            lost = [e for e in all_acked if e not in have]
            ok = not lost and ic == "ok" and rows == counter == len(have)
            failures += not ok
            print("round %2d: %5d acknowledged in all, %5d rows, integrity %s, counter %s, lost %d%s"
                  % (rnd, len(all_acked), rows, ic, "ok" if rows == counter else "MISMATCH %d" % counter,
                     len(lost), "" if ok else "  <-- FAIL"), flush=True)
        rc = srv.stop()
    print("%d rounds in %.0f s: %d acknowledged signatures, %d rounds failed; final SIGTERM exit %s"
          % (rounds, time.monotonic() - t0, len(all_acked), failures, rc))
    return 1 if failures or rc != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
