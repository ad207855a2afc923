#!/usr/bin/env python3
"""test_migrate.py -- a database from an older petitiond opens and upgrades.

Builds databases as versions 1 and 2 of the schema left them (from the
migration files in db/), with signatures in them, then starts the current
binary on each: it must apply the missing migrations in order, keep every
row, and derive the counters (total, per day, public, updates) from the rows.
A database from a newer petitiond is refused with a clear message."""
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

DB_DIR = os.path.join(H.REPO, "db")
MIGRATIONS = sorted(f for f in os.listdir(DB_DIR) if f.endswith(".sql"))


def make_db(path, version, rows):
    con = sqlite3.connect(path, isolation_level=None)
    try:
        for name in MIGRATIONS[:version]:
            with open(os.path.join(DB_DIR, name), encoding="utf-8") as f:
                con.executescript(f.read())
        con.executemany(
            "INSERT INTO signatures (signed_at, name, email, email_norm, country, comment, public, updates)"
            " VALUES (?, ?, ?, ?, ?, '', ?, ?)", rows)
        if version >= 2:  # counters kept by the writer of that version
            con.execute("UPDATE counters SET value = ? WHERE name = 'signatures'", (len(rows),))
            con.execute("DELETE FROM daily")
            con.execute("INSERT INTO daily (day, n) SELECT date(signed_at, 'unixepoch'), count(*)"
                        " FROM signatures GROUP BY 1")
        if version >= 3:  # and the flag counters
            con.execute("UPDATE counters SET value = (SELECT count(*) FROM signatures WHERE public = 1)"
                        " WHERE name = 'public'")
            con.execute("UPDATE counters SET value = (SELECT count(*) FROM signatures WHERE updates = 1)"
                        " WHERE name = 'updates'")
        if version >= 4:  # and the count of accepted submissions
            con.execute("UPDATE counters SET value = ? WHERE name = 'accepted'", (len(rows),))
        con.execute("PRAGMA user_version = %d" % version)
    finally:
        con.close()


def main(t):
    t.ok(len(MIGRATIONS) >= 3 and MIGRATIONS[0].startswith("001_"),
         "migrations are numbered files under db/", MIGRATIONS)
    rows = [(1700000000 + 86400 * (i % 3), "Old %d" % i, "old%d@example.org" % i,
             "old%d@example.org" % i, "KH", i % 2, 1 if i % 5 == 0 else 0) for i in range(25)]
    for version in range(1, len(MIGRATIONS)):
        work = tempfile.mkdtemp(prefix="petitiond-migrate-")
        make_db(os.path.join(work, "sig.db"), version, rows)
        with H.Server(workdir=work) as srv:
            t.eq(srv.count(), 25, "from version %d: the count is derived from the rows" % version)
            emails = sorted(r["email"] for r in srv.csv_dicts())
            t.eq(emails, sorted(r[2] for r in rows), "from version %d: every row kept" % version)
            st, _, _ = srv.sign({"name": "New", "email": "new@example.org", "country": "FR",
                                 "public": "1", "updates": "1", "public_name": "Newcomer"})
            t.eq(st, 303, "from version %d: signing works after the upgrade" % version)
            st, _, body = srv.request("GET", "/admin", headers=srv.auth_header())
            t.eq(st, 200, "from version %d: dashboard answers" % version)
            con = sqlite3.connect(srv.db)
            try:
                uv = con.execute("PRAGMA user_version").fetchone()[0]
                c = dict(con.execute("SELECT name, value FROM counters"))
                daily = con.execute("SELECT sum(n) FROM daily").fetchone()[0]
                ic = con.execute("PRAGMA integrity_check").fetchone()[0]
                pnames = dict(con.execute("SELECT email, public_name FROM signatures"))
            finally:
                con.close()
            t.eq(uv, len(MIGRATIONS), "from version %d: user_version is now %d" % (version, len(MIGRATIONS)))
            t.eq(c.get("signatures"), 26, "from version %d: total counter" % version)
            t.eq(c.get("public"), 12 + 1, "from version %d: public counter from the rows" % version)
            t.eq(c.get("updates"), 5 + 1, "from version %d: updates counter from the rows" % version)
            t.eq(daily, 26, "from version %d: per-day counts add up" % version)
            t.eq(ic, "ok", "from version %d: integrity_check ok" % version)
            t.ok(pnames.get("new@example.org") == "Newcomer"
                 and all(pnames.get(r[2]) is None for r in rows),
                 "from version %d: public_name added; old rows have none, the new public signer's kept"
                 % version, repr(sorted(pnames.items())[:5]))
            t.eq(c.get("accepted"), 26, "from version %d: 'accepted' starts at the old total, +1" % version)
            t.eq(c.get("bots_refused"), 0, "from version %d: 'bots_refused' starts at 0" % version)
            page = srv.page("/")
            for _ in range(60):  # the page is re-rendered at most every 250 ms
                if "Newcomer" in page:
                    break
                time.sleep(0.05)
                page = srv.page("/")
            listed = H.html_text(page).split("Recent signers")[-1]
            t.ok("Old" not in listed and "A signer from Cambodia" in listed and "Newcomer" in listed,
                 "from version %d: old public rows listed as 'A signer from Cambodia', never by name"
                 % version, H.html_text(page)[-400:])

    # A database from the future is refused, untouched.
    work = tempfile.mkdtemp(prefix="petitiond-migrate-")
    db = os.path.join(work, "sig.db")
    make_db(db, len(MIGRATIONS), rows)
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version = %d" % (len(MIGRATIONS) + 1))
    con.close()
    p = subprocess.run([H.server_bin(), "--bind", "127.0.0.1", "--port", str(H.free_port()),
                        "--db", db, "--admin-token", H.ADMIN_TOKEN],
                       capture_output=True, timeout=20, cwd=work, env=H.clean_env())
    t.ok(p.returncode != 0 and b"newer" in p.stderr,
         "a database from a newer petitiond is refused with a clear message",
         "rc %r stderr %r" % (p.returncode, p.stderr[-300:]))
    con = sqlite3.connect(db)
    try:
        uv = con.execute("PRAGMA user_version").fetchone()[0]
    finally:
        con.close()
    t.eq(uv, len(MIGRATIONS) + 1, "and left untouched")


if __name__ == "__main__":
    H.run(main)
