#!/usr/bin/env python3
"""test_copyto.py -- `petitiond copy-to postgres://... --db FILE`: a petition
moved from SQLite to PostgreSQL whole.

A SQLite server takes signatures (Khmer, emoji, a duplicate, a paper row
without an address), a second organizer account, a new English title and a
hidden row; the copy refuses while that server runs, then copies it into an
empty PostgreSQL database. A server on PostgreSQL then shows the same count,
the same export byte for byte, the title, the hidden row still hidden,
takes both organizers' tokens, and gives a new signature an id after the
copied ones. A second copy into the now full database is refused and
changes nothing; a copy into a database the copy cannot finish (a table
already holding rows) leaves it as it was. Runs only with PETITIOND_TEST_PG
(one skip line otherwise)."""

import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import pgtest  # noqa: E402

NAMES = ["Sokha Chan", "សុខា ចាន់", "Dara 🌾 Keo", "Ana-María O'Brien", "Lê Thị Hồng"]


def copy_to(url, db):
    p = subprocess.run([H.server_bin(), "copy-to", url, "--db", db], capture_output=True,
                       timeout=60, env=H.clean_env())
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def admin_add(db, name):
    p = subprocess.run([H.server_bin(), "admin", "add", name, "--db", db], capture_output=True,
                       timeout=30, env=H.clean_env())
    out = p.stdout.decode("utf-8", "replace")
    token = [w for w in out.split() if len(w) >= 40 and w.isalnum()]
    return p.returncode, token[0] if token else None, out


def main(t):
    why = pgtest.skip_reason()
    if why is not None:
        t.skip("petitiond copy-to (SQLite to PostgreSQL)", why)
        return
    url = pgtest.create_db("copyto")
    try:
        run(t, url)
    finally:
        pgtest.drop_db(url)


def run(t, url):
    with H.Server(pg=False) as lite:
        for i, name in enumerate(NAMES):
            st, h, b = lite.sign({"name": name, "email": "copy%d@example.org" % i,
                                  "country": "KH" if i % 2 == 0 else "FR",
                                  "comment": "ចូលរួម %d" % i, "public": "1", "public_name": name})
            t.ok(st == 303, "SQLite: signature %d (%s) stored: 303" % (i, name), st)
        st, _, _ = lite.sign({"name": "Again", "email": "COPY0@example.org", "country": "KH"})
        t.ok(st == 303, "SQLite: a repeated address answered like a new one", st)
        rc, token2, out = admin_add(lite.db, "editor")
        t.ok(rc == 0 and token2, "SQLite: a second organizer account (admin add editor)", out)
        # An organizer hides the newest public row (moderation) and retitles.
        lite.execute("INSERT INTO moderation (id, state) VALUES (?, 'hidden')",
                     (len(NAMES),))
        rc, out, err = copy_to(url, lite.db)
        t.ok(rc == 1 and "in use" in err,
             "copy-to refuses while a server runs on the SQLite file (exit 1, says why)",
             "rc %d\n%s%s" % (rc, out, err))
        t.ok(not pgtest.query(url, "SELECT to_regclass('signatures')")[0][0],
             "the refused copy wrote nothing into PostgreSQL")
        st, h, before_csv, rows = lite.export_csv()
        before_count = (H.json_body(lite.request("GET", "/api/stats")[2]) or {}).get("count")
        lite_db = lite.db
        lite.stop()
        rc, out, err = copy_to(url, lite_db)
        t.ok(rc == 0, "copy-to with the server stopped: exit 0", "rc %d\n%s%s" % (rc, out, err))
        t.ok("%d signatures" % len(NAMES) in out and "counted on both sides" in out,
             "it says what it wrote (%d signatures, counted on both sides)" % len(NAMES), out)
        t.eq(pgtest.rows(url, "SELECT count(*) FROM signatures")[0][0], len(NAMES),
             "PostgreSQL holds the %d signatures" % len(NAMES))

        with H.Server(overrides={"db": url}, pg=False) as pg:
            stats = H.json_body(pg.request("GET", "/api/stats")[2]) or {}
            t.eq(stats.get("count"), before_count, "the PostgreSQL server shows the same count")
            st, h, after_csv, rows2 = pg.export_csv()
            t.ok(st == 200 and after_csv == before_csv,
                 "the export from PostgreSQL equals the SQLite one, byte for byte",
                 "status %d\nbefore %r\nafter  %r" % (st, before_csv[:400], after_csv[:400]))
            st, _, body = pg.request("GET", "/")
            text = body.decode("utf-8", "replace")
            t.ok(NAMES[1] in text and NAMES[len(NAMES) - 1] not in text,
                 "the public list shows a copied name (Khmer) and not the hidden row",
                 text[:300])
            st, _, _ = pg.request("GET", "/admin", headers=pg.auth_header())
            t.eq(st, 200, "the owner's token (from the SQLite database) signs in on PostgreSQL")
            st, _, _ = pg.request("GET", "/admin", headers={"Authorization": "Bearer " + (token2 or "")})
            t.eq(st, 200, "the second organizer's token works too")
            st, _, _ = pg.sign({"name": "After the move", "email": "after@example.org",
                                "country": "KH"})
            t.eq(st, 303, "a new signature on PostgreSQL: 303")
            ids = pg.query("SELECT id FROM signatures WHERE email_norm = ?", ("after@example.org",))
            mx = pg.query("SELECT max(id) FROM signatures WHERE email_norm <> ?",
                          ("after@example.org",))
            t.ok(ids and mx and ids[0][0] > mx[0][0],
                 "its id comes after the copied ones (the sequence moved past them)",
                 "new %r, copied max %r" % (ids, mx))
            st, _, _ = pg.sign({"name": "Again", "email": "Copy1@Example.org", "country": "FR"})
            t.eq(pg.query("SELECT count(*) FROM signatures WHERE email_norm = ?",
                          ("copy1@example.org",))[0][0], 1,
                 "a copied address signing again is still one signature")
            audit = pg.query("SELECT count(*) FROM audit WHERE action = ?", ("admin-add",))
            t.ok(audit and audit[0][0] >= 1, "the audit trail came along (admin-add)", audit)

        rows_before = pgtest.rows(url, "SELECT count(*) FROM signatures")[0][0]
        rc, out, err = copy_to(url, lite_db)
        t.ok(rc == 1 and "already holds a petition" in err,
             "a second copy into the full database is refused (exit 1, says why)",
             "rc %d\n%s%s" % (rc, out, err))
        t.eq(pgtest.rows(url, "SELECT count(*) FROM signatures")[0][0], rows_before,
             "the refused copy changed nothing")
        t.ok(os.path.exists(lite_db), "the SQLite file is kept")

    # A copy that fails half-way leaves PostgreSQL as it was: a database
    # whose agg_country already holds a row (not a petition, so not refused
    # up front) makes the copy's rows collide.
    url2 = pgtest.create_db("copyto2")
    try:
        with H.Server(overrides={"db": url2}, pg=False) as fresh:
            fresh.stop()
        pgtest.query(url2, "INSERT INTO agg_country (country, n) VALUES ('KH', 1)")
        with H.Server(pg=False) as lite2:
            lite2.sign({"name": "Solo", "email": "solo@example.org", "country": "KH"})
            db2 = lite2.db
            lite2.stop()
            rc, out, err = copy_to(url2, db2)
            t.ok(rc == 1 and "nothing written" in err,
                 "a copy that fails half-way (a row already there) exits 1", "rc %d\n%s%s"
                 % (rc, out, err))
            t.eq(pgtest.rows(url2, "SELECT count(*) FROM signatures")[0][0], 0,
                 "and leaves no signature behind (one transaction)")
            t.eq(pgtest.rows(url2, "SELECT count(*) FROM counters")[0][0], 12,
                 "nor a counter touched (the default rows are still there)")
    finally:
        pgtest.drop_db(url2)


if __name__ == "__main__":
    H.run(main, limit=110)
