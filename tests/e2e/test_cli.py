#!/usr/bin/env python3
"""test_cli.py -- the operator's numbers on the command line and the
export's filters on the web.

`petitiond export [--format csv|json] [--since D] [--until D] [--country CC]
[--updates] [--source S] [--confirmed 1|0]` streams the signatures while the server runs;
GET /admin/export.csv and /admin/export.json take the same filters as query
parameters and return the same rows. `petitiond stats [--json]` prints the
count, by country and by day. `petitiond delete --email ADDRESS` erases a
signature beside the running server, with an audit line, and the server's
count follows within about a second. Exit codes: 0 done, 1 failed, 2 bad
usage."""
import csv
import io
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

CLI_TIMEOUT = 60  # seconds, any one command
HEADER = ["id", "signed_at", "name", "email", "country", "comment", "public", "updates",
          "public_name", "source", "confirmed"]
DAY = 86400
T0 = 1767225600  # 2026-01-01T00:00:00Z


def cli(db, *args, env=None):
    """Runs petitiond ARGS --db DB. Returns (exit status, stdout bytes, stderr text)."""
    p = subprocess.run([H.server_bin()] + list(args) + ["--db", db], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=CLI_TIMEOUT,
                       env=env or H.clean_env())
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def fill(srv, n):
    """n signatures written straight into the stopped server's database, and
    the signatures counter set to n. SQLite: one transaction of
    executemany; PostgreSQL: the same rows from generate_series."""
    if srv.engine == "pg":
        srv.execute("INSERT INTO signatures (signed_at, name, email, email_norm, country, comment,"
                    " public, updates)"
                    " SELECT ? + i, 'Signer number ' || i || ' with a longer name',"
                    " 's' || i || '@example.org', 's' || i || '@example.org',"
                    " CASE WHEN i % 3 <> 0 THEN 'KH' ELSE 'TH' END, repeat('c', 40), 0, i % 2"
                    " FROM generate_series(0, ? - 1) AS i ORDER BY i", (T0, n))
        srv.execute("UPDATE counters SET value = ? WHERE name = 'signatures'", (n,))
        return
    con = sqlite3.connect(srv.db, timeout=10)
    with con:
        con.executemany(
            "INSERT INTO signatures (signed_at, name, email, email_norm, country, comment,"
            " public, updates) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
            ((T0 + i, "Signer number %d with a longer name" % i, "s%d@example.org" % i,
              "s%d@example.org" % i, "KH" if i % 3 else "TH", "c" * 40, i % 2)
             for i in range(n)))
        con.execute("UPDATE counters SET value = ? WHERE name = 'signatures'", (n,))
    con.close()


def csv_rows(data):
    text = data.decode("utf-8")
    bom = text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    return bom, rows


def ids_of_csv(rows):
    return [int(r[0]) for r in rows[1:]]


def wait_count(srv, want, seconds=5.0):
    deadline = time.monotonic() + seconds
    got = None
    while time.monotonic() < deadline:
        got = srv.count()
        if got == want:
            return got
        time.sleep(0.1)
    return got


def check_filters(t, srv, ids, cases):
    """Each case (export flags, query string, emails): the command line and
    the web, CSV and JSON, give exactly those rows."""
    for args, query, want in cases:
        want_ids = sorted(ids[e] for e in want)
        rc, out, err = cli(srv.db, "export", *args)
        _, rows = csv_rows(out)
        t.ok(rc == 0 and rows[0] == HEADER and ids_of_csv(rows) == want_ids,
             "export %s: the matching rows" % " ".join(args), (rc, ids_of_csv(rows), want_ids, err))
        rc, out, err = cli(srv.db, "export", "--format", "json", *args)
        try:
            arr = json.loads(out.decode("utf-8"))
        except ValueError as e:
            arr = "not JSON: %r %r" % (e, out[:200])
        t.ok(rc == 0 and isinstance(arr, list) and [o["id"] for o in arr] == want_ids,
             "export --format json %s: the same rows" % " ".join(args), (rc, arr, err))
        st, h, b = srv.request("GET", "/admin/export.csv?" + query, headers=srv.auth_header())
        _, rows = csv_rows(b) if st == 200 else (None, [[]])
        t.ok(st == 200 and rows[0] == HEADER and ids_of_csv(rows) == want_ids,
             "GET /admin/export.csv?%s: the same rows" % query, (st, rows))
        st, h, b = srv.request("GET", "/admin/export.json?" + query, headers=srv.auth_header())
        try:
            arr = json.loads(b.decode("utf-8")) if st == 200 else None
        except ValueError:
            arr = None
        t.ok(st == 200 and isinstance(arr, list) and [o["id"] for o in arr] == want_ids,
             "GET /admin/export.json?%s: the same rows" % query, (st, b[:300]))


def main(t):
    with H.Server() as srv:
        people = [  # name, email, country, updates
            ("Sok Dara", "dara@example.org", "KH", True),
            ("Chan Srey", "srey@example.org", "KH", False),
            ("Lina Fox", "lina@example.org", "US", True),
            ("=cmd|' /C calc'!A0", "formula@example.org", "FR", False),
            ("Quote \"Q\" Back\\slash", "quote@example.org", "KH", True),
            ("Erase Me", "Erase.Me@Example.org", "US", False),
        ]
        for name, email, cc, upd in people:
            f = {"name": name, "email": email, "country": cc, "comment": "line1\nline2"}
            if upd:
                f["updates"] = "1"
            st, _, _ = srv.sign(f)
            t.eq(st, 303, "signature of %s accepted" % email)
        t.eq(srv.count(), 6, "six signatures")
        # Hand-made dates and sources, beside the running server (SQLite:
        # WAL, the busy timeout waits for its writer).
        rows = srv.query("SELECT id, email FROM signatures ORDER BY id")
        byemail = {e: i for i, e in rows}
        dates = {"dara@example.org": T0, "srey@example.org": T0 + DAY - 1,
                 "lina@example.org": T0 + DAY, "formula@example.org": T0 + 5 * DAY,
                 "quote@example.org": T0 + 40 * DAY, "Erase.Me@Example.org": T0 + 41 * DAY}
        for e, ts in dates.items():
            srv.execute("UPDATE signatures SET signed_at = ? WHERE email = ?", (ts, e))
        srv.execute("UPDATE signatures SET source = 'paper' WHERE email IN (?, ?)",
                    ("srey@example.org", "quote@example.org"))
        ids = {e: byemail[e] for e in byemail}

        # -- export, no filter, while the server runs -------------------
        rc, out, err = cli(srv.db, "export")
        bom, rows = csv_rows(out)
        t.eq(rc, 0, "export: exit 0 while the server runs")
        t.ok(bom, "export: CSV starts with the byte order mark")
        t.eq(rows[0] if rows else None, HEADER,
             "export: the contract's columns, then public_name, source, confirmed")
        t.eq(len(rows) - 1, 6, "export: every signature")
        t.ok("6 signatures" in err, "export: says how many on stderr", err)
        t.ok(out.count(b"\r\n") == 7, "export: CRLF line ends (7 lines)")
        byid = {int(r[0]): dict(zip(HEADER, r)) for r in rows[1:]}
        f = byid.get(ids["formula@example.org"], {})
        t.ok(f.get("name", "").startswith("'="), "export: the formula guard holds", f.get("name"))
        t.eq(byid.get(ids["srey@example.org"], {}).get("source"), "paper", "export: source column")
        t.eq(sorted({r.get("confirmed") for r in byid.values()}), ["1"],
             "export: confirmed column, 1 for every row (no --confirm)")
        t.eq(byid.get(ids["srey@example.org"], {}).get("signed_at"), "2026-01-01T23:59:59Z",
             "export: signed_at in UTC")

        # -- the filters, on the command line and on the web --------------
        cases = [
            (["--country", "KH"], "country=KH",
             ["dara@example.org", "srey@example.org", "quote@example.org"]),
            (["--country", "kh"], "country=kh",
             ["dara@example.org", "srey@example.org", "quote@example.org"]),
            (["--updates"], "updates=1",
             ["dara@example.org", "lina@example.org", "quote@example.org"]),
            (["--since", "2026-01-02"], "since=2026-01-02",
             ["lina@example.org", "formula@example.org", "quote@example.org",
              "Erase.Me@Example.org"]),
            (["--until", "2026-01-01"], "until=2026-01-01",
             ["dara@example.org", "srey@example.org"]),
            (["--since", "2026-01-02", "--until", "2026-01-06"], "since=2026-01-02&until=2026-01-06",
             ["lina@example.org", "formula@example.org"]),
            (["--source", "paper"], "source=paper", ["srey@example.org", "quote@example.org"]),
            (["--source", "online", "--country", "US", "--updates"],
             "source=online&country=US&updates=1", ["lina@example.org"]),
            (["--source", "event"], "source=event", []),
        ]
        check_filters(t, srv, ids, cases)

        # confirmed=1|0: one row waits for its signer's confirmation for a
        # moment (the purge of old pending rows runs only at start and every
        # 10 minutes), then counts again, so the counters stay right.
        srv.execute("UPDATE signatures SET confirmed = 0 WHERE email = ?", ("lina@example.org",))
        check_filters(t, srv, ids, [
            (["--confirmed", "0"], "confirmed=0", ["lina@example.org"]),
            (["--confirmed", "1"], "confirmed=1",
             ["dara@example.org", "srey@example.org", "formula@example.org", "quote@example.org",
              "Erase.Me@Example.org"]),
            (["--confirmed", "1", "--country", "US"], "confirmed=1&country=US", ["Erase.Me@Example.org"]),
            (["--confirmed", "0", "--source", "paper"], "confirmed=0&source=paper", []),
        ])
        rc, out, err = cli(srv.db, "export")
        _, rows = csv_rows(out)
        t.ok(rc == 0 and {r[3]: r[10] for r in rows[1:] if len(r) > 10}.get("lina@example.org") == "0"
             and len(rows) == 7, "export without a filter: the pending row too, confirmed 0",
             (rc, rows, err))
        st, h, b = srv.request("GET", "/admin/export.json?confirmed=0", headers=srv.auth_header())
        try:
            arr = json.loads(b.decode("utf-8")) if st == 200 else None
        except ValueError:
            arr = None
        t.ok(isinstance(arr, list) and len(arr) == 1 and arr[0].get("confirmed") is False,
             "export.json?confirmed=0: \"confirmed\": false", (st, b[:300]))
        srv.execute("UPDATE signatures SET confirmed = 1 WHERE email = ?", ("lina@example.org",))

        # JSON: the values, typed and escaped.
        st, h, b = srv.request("GET", "/admin/export.json", headers=srv.auth_header())
        t.ok(st == 200 and h.get("content-type", "").startswith("application/json"),
             "export.json: application/json", h.get("content-type"))
        t.ok("attachment" in h.get("content-disposition", "") and ".json" in
             h.get("content-disposition", ""), "export.json: a .json attachment",
             h.get("content-disposition"))
        t.eq(h.get("cache-control"), "no-store", "export.json: not cached")
        arr = json.loads(b.decode("utf-8"))
        q = [o for o in arr if o["email"] == "quote@example.org"]
        t.ok(q and q[0]["name"] == "Quote \"Q\" Back\\slash" and q[0]["comment"] == "line1\nline2"
             and q[0]["updates"] is True and q[0]["public"] is False and q[0]["public_name"] is None
             and q[0]["source"] == "paper" and q[0]["signed_at"] == "2026-02-10T00:00:00Z"
             and q[0]["confirmed"] is True,
             "export.json: strings escaped, booleans, null, source, UTC time, confirmed", q)
        t.eq(sorted(arr[0].keys()), sorted(HEADER), "export.json: the CSV's keys")

        # Refusals on the web.
        st, _, _ = srv.request("GET", "/admin/export.json")
        t.eq(st, 401, "export.json without credentials: 401")
        st, _, _ = srv.request("GET", "/admin/export.csv?country=KH")
        t.eq(st, 401, "export.csv with a filter, without credentials: 401")
        for bad in ("since=2026-13-01", "until=yesterday", "country=KHM", "country=1A",
                    "source=web", "updates=yes", "since=2026-02-30", "confirmed=yes", "confirmed=2"):
            st, _, b = srv.request("GET", "/admin/export.csv?" + bad, headers=srv.auth_header())
            t.eq(st, 400, "export.csv?%s: 400" % bad)
        st, _, b = srv.request("GET", "/admin/export.json?country=%3Cscript%3E",
                               headers=srv.auth_header())
        t.ok(st == 400 and b"<script>" not in b, "a hostile filter: 400, not echoed", b[:200])
        st, h, b = srv.request("GET", "/admin/export.csv?bom=0&country=US",
                               headers=srv.auth_header())
        t.ok(st == 200 and b.startswith(b"id,signed_at,"), "export.csv?bom=0: no byte order mark",
             b[:20])

        # -- bad usage: exit 2, nothing on stdout ---------------------------
        for args, why in ((["export", "--format", "xml"], "unknown format"),
                          (["export", "--since", "2026-1-1"], "bad date"),
                          (["export", "--until", "2026-02-29"], "no such day"),
                          (["export", "--country", "K"], "bad country"),
                          (["export", "--source", "web"], "bad source"),
                          (["export", "--confirmed", "yes"], "bad confirmed"),
                          (["export", "--since", "2026-02-01", "--until", "2026-01-01"],
                           "until before since"),
                          (["export", "--colour"], "unknown flag"),
                          (["export", "--country"], "missing value"),
                          (["stats", "--updates"], "a flag of another command"),
                          (["delete"], "no --email"),
                          (["delete", "--email", "not-an-address"], "not an address"),
                          (["delete", "--email", "a@b.org", "extra"], "extra argument")):
            rc, out, err = cli(srv.db, *args)
            t.ok(rc == 2 and out == b"" and err.strip() != "",
                 "%s (%s): exit 2, a message on stderr" % (" ".join(args), why), (rc, out[:100], err))
        for cmd in ("export", "stats", "delete"):
            rc, out, err = cli(srv.db, cmd, "--help")
            t.ok(rc == 0 and b"Usage: petitiond " + cmd.encode() in out and b"Exit status" in out,
                 "%s --help: exit 0 with usage" % cmd, (rc, out[:200]))
        missing = os.path.join(srv.dir, "nothing-here.db")
        for cmd in (["export"], ["stats"], ["delete", "--email", "a@b.org"]):
            rc, out, err = cli(missing, *cmd)
            t.ok(rc == 1 and "no database" in err and not os.path.exists(missing),
                 "%s on a missing database: exit 1, nothing created" % cmd[0], (rc, err))

        # -- stats --------------------------------------------------------
        rc, out, err = cli(srv.db, "stats", "--json")
        try:
            s = json.loads(out.decode("utf-8"))
        except ValueError:
            s = {}
        t.eq(rc, 0, "stats --json: exit 0")
        t.eq(s.get("count"), 6, "stats --json: count")
        t.eq(s.get("by_country"), {"KH": 3, "US": 2, "FR": 1}, "stats --json: by country")
        t.ok(isinstance(s.get("by_day"), list) and sum(d["count"] for d in s["by_day"]) == 6 and
             all(len(d["day"]) == 10 for d in s["by_day"]),
             "stats --json: by day adds up to the count", s.get("by_day"))
        t.eq(list(s.get("by_country", {}).keys())[:1], ["KH"], "stats --json: largest country first")
        rc, out, err = cli(srv.db, "stats")
        text = out.decode("utf-8")
        t.ok(rc == 0 and text.startswith("signatures: 6\n") and "  KH   3" in text and
             "by day (UTC):" in text, "stats: text with count, countries, days", text)

        # -- delete --email beside the running server ------------------------
        before = srv.count()
        rc, out, err = cli(srv.db, "delete", "--email", "  ERASE.me@example.ORG ")
        t.ok(rc == 0 and b"deleted signature #%d" % ids["Erase.Me@Example.org"] in out,
             "delete --email: exit 0, names the row by number", (rc, out, err))
        t.ok(b"Erase" not in out and b"example.org" not in out.lower(),
             "delete: the output names no person", out)
        got = wait_count(srv, before - 1, 5.0)
        t.eq(got, before - 1, "the running server's count follows the deletion (within 5 s)")
        want = b'<strong id="count">%d</strong>' % (before - 1)
        deadline = time.monotonic() + 5.0
        while True:
            st, _, b = srv.request("GET", "/")
            if want in b or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        t.ok(st == 200 and want in b, "the page shows the new count (within 5 s)")
        rc, out, err = cli(srv.db, "export")
        _, rows = csv_rows(out)
        t.ok(all(r[3].lower() != "erase.me@example.org" for r in rows[1:]) and len(rows) == 6,
             "the export no longer has the erased signature")
        # TEXT columns, as str on both engines (psql's output of digits
        # alone reads as an int)
        aud = [tuple(None if v is None else str(v) for v in r)
               for r in srv.query("SELECT admin, action, detail FROM audit ORDER BY id")]
        dels = [a for a in aud if a[1] == "delete"]
        t.ok(len(dels) == 1 and dels[0][0].startswith("cli:") and
             dels[0][2] == "#%d (by email address)" % ids["Erase.Me@Example.org"],
             "the audit trail: one 'delete' by cli:USER naming the row only", dels)
        exps = [a for a in aud if a[1] == "export"]
        t.ok(any(a[0].startswith("cli:") and "country=KH" in a[2] for a in exps) and
             any(not a[0].startswith("cli:") and a[2].startswith("json") for a in exps),
             "the audit trail: the command line's and the web's exports, with their filters",
             exps[-3:])
        t.ok(all("example" not in a[2] and "Erase" not in a[2] for a in aud),
             "no audit detail holds an address or a name")
        rc, out, err = cli(srv.db, "delete", "--email", "erase.me@example.org")
        t.ok(rc == 0 and b"no signature has that address" in out,
             "delete of an address not there: exit 0, says so", (rc, out, err))
        t.eq(srv.count(), before - 1, "nothing else deleted")
        st, _, _ = srv.sign({"name": "Erase Me", "email": "erase.me@example.org", "country": "US"})
        t.ok(st == 303 and wait_count(srv, before) == before, "the erased address may sign again")

        # -- with the server stopped: delete takes the database's lock -----
        srv.stop()
        rc, out, err = cli(srv.db, "delete", "--email", "lina@example.org")
        t.ok(rc == 0 and b"deleted signature" in out, "delete with the server stopped: exit 0",
             (rc, out, err))
        srv.start()
        t.eq(srv.count(), before - 1, "the restarted server counts the deletion")

    # -- a big export streams in constant memory -------------------------------
    with H.Server() as srv:
        srv.stop()
        n = 200000
        fill(srv, n)
        srv.start()
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        p = subprocess.Popen([H.server_bin(), "export", "--db", srv.db], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=H.clean_env())
        lines = 0
        size = 0
        for chunk in iter(lambda: p.stdout.read(1 << 16), b""):
            lines += chunk.count(b"\n")
            size += len(chunk)
        p.wait(timeout=CLI_TIMEOUT)
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t.ok(p.returncode == 0 and lines == n + 1, "export of %d rows: every row" % n,
             (p.returncode, lines))
        if H.sanitizer_build():
            t.skip("export of %.0f MB: peak memory (< 40 MB)" % (size / 1e6),
                   "the %s sanitizer's shadow memory" % H.sanitizer_build())
        else:
            t.ok(rss < 40 * 1024, "export of %.0f MB: peak memory %d KB (< 40 MB)" %
                 (size / 1e6, rss), (before, rss))
        st, h, b = srv.request("GET", "/admin/export.json?country=TH", headers=srv.auth_header(),
                               timeout=60)
        arr = json.loads(b.decode("utf-8")) if st == 200 else []
        t.eq(len(arr), (n + 2) // 3, "export.json?country=TH of %d rows: every Thai row" % n)


if __name__ == "__main__":
    H.run(main, limit=240)
