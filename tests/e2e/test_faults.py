#!/usr/bin/env python3
"""test_faults.py -- the disk fails under petitiond; nothing acknowledged is lost.

Uses tests/fault/faultfs.c (LD_PRELOAD, path in $FAULTFS_LIB): while a flag
file exists, every write/sync on the database files fails with ENOSPC
("disk full") or EIO. Checks: a signature that cannot be committed gets 503
with Retry-After and is not stored (no partial row); the page and the stats
keep serving; signing recovers by itself once the disk is healed; the
database passes PRAGMA integrity_check afterwards.
"""
import os
import shutil
import sqlite3
import tempfile
import time

import harness
from harness import Server


def main(tap):
    lib = os.environ.get("FAULTFS_LIB")
    if not lib or not os.path.exists(lib):
        tap.ok(False, "faultfs shim built (FAULTFS_LIB=%r)" % lib)
        return
    workdir = tempfile.mkdtemp(prefix="petitiond-faults-")
    flag = os.path.join(workdir, "fault-flag")
    os.environ["LD_PRELOAD"] = lib
    # Under AddressSanitizer the shim comes before the ASan runtime: allowed.
    opts = os.environ.get("ASAN_OPTIONS", "")
    os.environ["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "verify_asan_link_order=0"
    os.environ["FAULTFS_FLAG"] = flag
    os.environ["FAULTFS_MATCH"] = os.path.join(workdir, "sig.db")
    try:
        with Server(workdir=workdir) as srv:
            st, h, _ = srv.sign({"name": "Before Fault", "email": "before@example.org",
                                 "country": "KH"})
            tap.eq(st, 303, "healthy disk: signature accepted")
            base = srv.count()

            for mode, label in (("F", "disk full (ENOSPC)"), ("I", "I/O error (EIO)"),
                                ("S", "fsync fails (EIO)")):
                with open(flag, "w") as f:
                    f.write(mode)
                st, h, body = srv.sign({"name": "During Fault", "email":
                                        "fault-%s@example.org" % mode, "country": "FR"})
                tap.eq(st, 503, "%s: signing answers 503" % label)
                tap.ok(h.get("retry-after", "").isdigit(), "%s: 503 carries Retry-After" % label,
                       h)
                st, h, body = srv.sign({"name": "During Fault", "email":
                                        "fault-json-%s@example.org" % mode, "country": "FR"},
                                       json=True)
                tap.eq(st, 503, "%s: JSON signing answers 503 too" % label)
                tap.ok(b'"ok":true' not in body, "%s: nothing acknowledged" % label, body)
                st, _, _ = srv.request("GET", "/")
                tap.eq(st, 200, "%s: the page keeps serving" % label)
                tap.eq(srv.count(), base, "%s: count unchanged" % label)
                os.remove(flag)
                # The writer pauses briefly after a failed commit; recovery
                # must come by itself, without a restart.
                deadline = time.time() + 10
                st = None
                n = 0
                while time.time() < deadline:
                    n += 1
                    st, _, _ = srv.sign({"name": "After Fault", "email":
                                         "after-%s-%d@example.org" % (mode, n), "country": "US"})
                    if st == 303:
                        break
                    time.sleep(0.2)
                tap.eq(st, 303, "%s: signing recovers once the disk is healed" % label)
                base += 1
                tap.eq(srv.count(), base, "%s: count counts the recovered signature" % label)
            rows = srv.csv_dicts()
            emails = sorted(r["email"] for r in rows)
            tap.ok(not any(e.startswith("fault-") for e in emails),
                   "no signature from the faulty periods is stored", emails)
            tap.eq(len(rows), base, "CSV rows equal the count")
        db = sqlite3.connect(os.path.join(workdir, "sig.db"))
        try:
            res = db.execute("PRAGMA integrity_check").fetchone()[0]
            n = db.execute("SELECT count(*) FROM signatures").fetchone()[0]
            c = db.execute("SELECT value FROM counters WHERE name='signatures'").fetchone()[0]
        finally:
            db.close()
        tap.eq(res, "ok", "integrity_check is ok after the faults")
        tap.eq(c, n, "stored counter equals the rows")
    finally:
        for k in ("LD_PRELOAD", "FAULTFS_FLAG", "FAULTFS_MATCH"):
            os.environ.pop(k, None)
        if not os.environ.get("PETITIOND_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    harness.run(main, limit=100)
