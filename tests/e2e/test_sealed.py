#!/usr/bin/env python3
"""test_sealed.py -- a seized, hacked or leaked server reveals no signer.

The real server in sealed mode (--seal-key FILE.public from `petitiond
keygen`), with email confirmation on against a loopback SMTP sink: signers
with Latin, Khmer and emoji names and comments sign, some confirm, some stay
pending, one signs twice. Then no byte sequence of any name, email or
comment may appear in the database file, its WAL, a backup, the server's
logs or the exports; `unseal` with the secret key gives the exact rows back
(Khmer and emoji intact); a wrong key fails without output; duplicates are
counted once; the server refuses another key and a sealed database without
one. Retention (--retention-days) erases the personal fields once the
petition has been closed that long and keeps the counts.

On PostgreSQL (PETITIOND_TEST_ENGINE=pg) the database searched is a pg_dump
and, when the data directory can be read here, the database's own files
(dead rows included); petitiond backup and the -wal file are SQLite's and
skipped there, saying so."""
import csv
import io
import os
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import pgtest  # noqa: E402
from smtpsink import SmtpSink, make_ca  # noqa: E402

PUBLIC = "https://petition.example"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

SIGNERS = [
    ("Sokha Chan", "sokha.chan@example.org", "KH", "For my grandmother, who remembers 1991."),
    ("សុខា ចាន់ថា", "chantha.khmer@example.org", "KH", "សូមគោរពកិច្ចព្រមព្រៀងទីក្រុងប៉ារីស"),
    ("Dara 🌺 Kim", "dara.emoji@example.net", "US", "Free them all ✊🏽"),
    ("Pending Person", "never.confirms@example.org", "AU", "still waiting"),
]


def run(args, **kw):
    return subprocess.run([H.server_bin()] + args, env=H.clean_env(), capture_output=True,
                          timeout=60, **kw)


def needles():
    out = []
    for name, email, _, comment in SIGNERS:
        for v in (name, email, email.lower(), email.split("@")[0], comment):
            if v and len(v.encode()) >= 6:
                out.append(v.encode("utf-8"))
        # Words of a name are searchable things too.
        for w in name.split():
            if len(w.encode()) >= 5:
                out.append(w.encode("utf-8"))
    return out


def leaks(data, what):
    return [n.decode() for n in what if n in data]


def link(msg, kind):
    m = re.search(r"%s/%s\?t=([A-Za-z0-9_-]{43})" % (re.escape(PUBLIC), kind),
                  msg.get_body(("plain",)).get_content())
    return m.group(1) if m else None


def main(t):
    d = tempfile.mkdtemp(prefix="petitiond-sealed-")
    keys = os.path.join(d, "org")
    r = run(["keygen", keys])
    t.ok(r.returncode == 0 and b"SHA256:" in r.stdout, "keygen writes a key pair and prints "
         "its fingerprint", r.stderr)
    fp = re.search(rb"SHA256:[A-Za-z0-9+/]+", r.stdout).group(0).decode()
    t.eq(oct(os.stat(keys + ".secret").st_mode & 0o777), "0o600", "the secret key is 0600")

    certdir = os.path.join(d, "certs")
    os.mkdir(certdir)
    ca, _, _ = make_ca(certdir)
    sink = SmtpSink(mode="starttls", certdir=certdir)
    sink.start()
    workdir = os.path.join(d, "srv")
    os.mkdir(workdir)
    args = ["--seal-key", keys + ".public", "--smtp-url", "smtp://127.0.0.1:%d" % sink.port,
            "--smtp-ca-file", ca, "--mail-from", "Team <team@petition.example>",
            "--confirm", "required", "--public-url", PUBLIC]
    srv = H.Server(extra_args=args, workdir=workdir)
    try:
        srv.start()
        st, _, b = srv.request("GET", "/admin", headers=srv.auth_header())
        t.ok(fp.encode() in b and b"Sealed mode" in b,
             "the dashboard says sealed mode and shows the key's fingerprint")
        for name, email, cc, comment in SIGNERS:
            st, _, _ = srv.sign({"name": name, "email": email, "country": cc,
                                 "comment": comment, "public": "1",
                                 "public_name": "Friend %d" % len(name)})
            t.eq(st, 303, "signing in sealed mode: %s" % name)
        st, _, _ = srv.sign({"name": "Sokha Again", "email": "SOKHA.CHAN@example.org",
                             "country": "KH"})
        t.eq(st, 303, "a repeated address (another case) answered alike")
        # (One client: its first 5 messages a minute leave at once.)
        msgs = sink.wait(len(SIGNERS) + 1, 20)
        t.eq(len(msgs), len(SIGNERS) + 1, "every confirmation message arrives")
        confirmed = 0
        for m in msgs:
            to = str(m["To"]).lower()
            if "never.confirms" in to or link(m, "confirm") is None:
                continue
            st, _, _ = srv.request("POST", "/confirm",
                                   ("t=" + link(m, "confirm")).encode(), FORM)
            confirmed += st == 200
        t.eq(srv.count(), len(SIGNERS) - 1, "the confirmed signatures count, each once")
        rows = db_rows(srv)
        t.eq(len(rows), len(SIGNERS), "one row per address: the duplicate is caught by the "
             "keyed hash")
        t.ok(all(r[0].startswith("sealed:") and r[1].startswith("sealed:") for r in rows),
             "every name and email is a sealed box")
        t.ok(all(r[2].startswith("h:") and len(r[2]) == 66 for r in rows),
             "every duplicate key is a keyed hash")
        t.ok(sum(1 for r in rows if r[3] == 0) == 1, "the pending row is there, unconfirmed")

        # The exports, while it runs.
        st, _, exp = srv.request("GET", "/admin/export.csv", headers=srv.auth_header())
        t.eq(st, 200, "the CSV export in sealed mode")
        cli = run(["export", "--db", srv.db])
        t.eq(cli.returncode, 0, "petitiond export beside the running server")
        st, _, page = srv.request("GET", "/admin/signatures", headers=srv.auth_header())
        t.ok(st == 200 and b"(sealed)" in page, "the signatures page shows '(sealed)'")
        t.ok(not leaks(page, needles()), "the organizers' list shows no identity",
             leaks(page, needles()))
        st, _, page = srv.request("GET", "/admin/signatures?q=Dara.Emoji%40example.net",
                                  headers=srv.auth_header())
        t.ok(st == 200 and page.count(b'<tr id="sig-') == 1,
             "searching a whole address finds its sealed signature (by the hash)")
        st, _, page = srv.request("GET", "/admin/signatures?q=dara.emoji%40",
                                  headers=srv.auth_header())
        t.ok(st == 200 and page.count(b'<tr id="sig-') == 0,
             "the beginning of an address finds nothing in sealed mode")
        bk = os.path.join(d, "backup.db")
        if srv.engine == "pg":
            t.skip("a backup while it runs", "SQLite only: petitiond backup copies a SQLite "
                   "file (PostgreSQL: pg_dump, whose output is checked below)")
        else:
            b_ = run(["backup", bk, "--db", srv.db])
            t.eq(b_.returncode, 0, "a backup while it runs")
        time.sleep(1.5)  # the sender drains the outbox and truncates the WAL
        dbfile = db_bytes(srv)
        t.ok(not leaks(dbfile, needles()), "no name, email or comment in the database %s"
             % ("(pg_dump of every table)" if srv.engine == "pg" else "file"),
             leaks(dbfile, needles()))
        if srv.engine == "pg":
            t.skip("none in the WAL (outbox drained)", "SQLite only: the database's own -wal "
                   "file; PostgreSQL's WAL is the whole cluster's (pg_wal) and keeps old text "
                   "until recycled: README")
        else:
            wal = read(srv.db + "-wal")
            t.ok(not leaks(wal, needles()), "none in the WAL (outbox drained)",
                 leaks(wal, needles()))
        srv.stop()
        logs = b"".join(read(p) for pair in srv.logs for p in pair)
        seen = [("the HTTP export", exp), ("the CLI export", cli.stdout),
                ("the server's logs", logs)]
        if srv.engine == "pg":
            seen.append(("the database after a clean stop (pg_dump)", db_bytes(srv)))
        else:
            seen += [("the backup", read(bk)),
                     ("the database after a clean stop", read(srv.db)),
                     ("the WAL after a clean stop", read(srv.db + "-wal"))]
        for label, data in seen:
            t.ok(not leaks(data, needles()), "no name, email or comment in %s" % label,
                 leaks(data, needles()))
        if srv.engine == "pg":
            for label in ("the backup", "the WAL after a clean stop"):
                t.skip("no name, email or comment in %s" % label, "SQLite only: petitiond "
                       "backup and the -wal file are SQLite's (pg_dump checked above)")
            heap = pgtest.data_files(srv.db)
            if heap is None:
                t.skip("no name, email or comment in the database's files after a clean stop",
                       "PostgreSQL's data directory cannot be read from here")
            else:
                t.ok(not leaks(heap, needles()), "no name, email or comment in the database's "
                     "files after a clean stop (its base/ directory in PostgreSQL's data "
                     "directory, dead rows included; not pg_wal)", leaks(heap, needles()))

        # unseal, offline, with the secret key: the exact rows back.
        un = subprocess.run([H.server_bin(), "unseal", "--key", keys + ".secret"], input=exp,
                            capture_output=True, env=H.clean_env(), timeout=30)
        t.eq(un.returncode, 0, "unseal with the secret key")
        plain = list(csv.DictReader(io.StringIO(un.stdout.decode("utf-8-sig"))))
        got = sorted((r["name"], r["email"], r["country"], r["comment"], r["confirmed"])
                     for r in plain)
        want = sorted((n, e, c, m, "0" if "never" in e else "1") for n, e, c, m in SIGNERS)
        t.eq(got, want, "unseal round-trips every name, email and comment exactly (Khmer, "
             "emoji), with the confirmed column")
        other = os.path.join(d, "other")
        run(["keygen", other])
        bad = subprocess.run([H.server_bin(), "unseal", "--key", other + ".secret"], input=exp,
                             capture_output=True, env=H.clean_env(), timeout=30)
        t.ok(bad.returncode == 1 and bad.stdout == b"" and bad.stderr,
             "unseal with another key: exit 1, nothing on stdout, a reason on stderr",
             bad.stderr)

        # The server refuses another key, and no key.
        r = run(["--db", srv.db, "--port", str(H.free_port()), "--bind", "127.0.0.1",
                 "--seal-key", other + ".public"])
        t.ok(r.returncode != 0 and b"sealed for the key" in r.stderr,
             "another --seal-key: refused", r.stderr[-300:])
        r = run(["--db", srv.db, "--port", str(H.free_port()), "--bind", "127.0.0.1"])
        t.ok(r.returncode != 0 and b"sealed" in r.stderr, "a sealed database without "
             "--seal-key: refused", r.stderr[-300:])
        r = run(["--db", srv.db, "--port", str(H.free_port()), "--bind", "127.0.0.1",
                 "--seal-key", keys + ".secret"])
        t.ok(r.returncode != 0 and b"secret" in r.stderr, "the secret key given to the "
             "server: refused", r.stderr[-300:])

        # delete --email finds a sealed signature by its hash.
        r = run(["delete", "--email", "Dara.Emoji@example.net", "--db", srv.db])
        t.ok(r.returncode == 0 and len(db_rows(srv)) == len(SIGNERS) - 1,
             "petitiond delete --email erases a sealed signature", r.stdout + r.stderr)

        # Paper signatures into a sealed database: sealed too, with the key.
        paper = os.path.join(d, "paper.csv")
        with open(paper, "w", encoding="utf-8") as f:
            f.write("name,email,country,comment\nPaper Signerson,paper.signer@example.org,KH,"
                    "written by hand\nNo Email Person,,KH,\n")
        r = run(["import", paper, "--db", srv.db])
        t.ok(r.returncode == 1 and b"sealed" in r.stderr, "import into a sealed database "
             "without --seal-key: refused, nothing written", r.stderr)
        r = run(["import", paper, "--db", srv.db, "--seal-key", keys + ".public"])
        t.eq(r.returncode, 0, "import with --seal-key")
        rows = db_rows(srv)
        t.ok(all(x[0].startswith("sealed:") for x in rows) and
             not leaks(db_bytes(srv) + (b"" if srv.engine == "pg" else read(srv.db + "-wal")),
                       [b"Paper Signerson", b"paper.signer", b"written by hand"]),
             "imported rows are sealed, no clear text in the %s"
             % ("database (pg_dump)" if srv.engine == "pg" else "file"))
        SIGNERS.append(("Paper Signerson", "paper.signer@example.org", "KH", "written by hand"))

        # Retention: closed long enough -> the personal fields go, counts stay.
        srv.extra_args = args + ["--retention-days", "0"]
        srv.start()
        st, _, b = srv.request("GET", "/admin", headers=srv.auth_header())
        t.ok(b'id="retention-note"' in b and b"after the petition closes" in b,
             "before closing, the dashboard says when the data will be erased")
        before = srv.stats()
        srv.stop()
        now = int(time.time())
        srv.execute("INSERT INTO settings (key, value) VALUES ('life.state', 'closed')"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value")
        srv.execute("INSERT INTO settings (key, value) VALUES ('life.changed_at', ?)"
                    " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(now - 5),))
        srv.start()
        end = time.time() + 15
        while time.time() < end:
            left = db_one(srv, "SELECT count(*) FROM signatures WHERE name <> ''"
                          " OR email <> '' OR comment <> ''")
            if left == 0:
                break
            time.sleep(0.2)
        t.eq(left, 0, "retention: every name, email and comment erased")
        after = srv.stats()
        t.eq((after["count"], after.get("by_country")), (before["count"], before.get("by_country")),
             "the count and the countries stay")
        t.eq(db_one(srv, "SELECT count(*) FROM signatures WHERE confirmed = 0"), 0,
             "unconfirmed signatures are gone")
        t.ok(db_one(srv, "SELECT count(*) FROM audit WHERE action = 'retention'") == 1,
             "an audit line 'retention'")
        st, _, b = srv.request("GET", "/admin", headers=srv.auth_header())
        t.ok(b"were erased" in b, "the dashboard says the data was erased")
        st, _, b = srv.request("GET", "/admin/export.csv", headers=srv.auth_header())
        rows = list(csv.DictReader(io.StringIO(b.decode("utf-8-sig"))))
        t.ok(rows and all(r["name"] == "" and r["email"] == "" for r in rows) and
             all(r["country"] for r in rows), "the export keeps countries and dates, no names")
        srv.stop()
    finally:
        sink.stop()
        if srv.proc is not None and srv.proc.poll() is None:
            srv.stop()
        srv.cleanup()


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return b""


def db_rows(srv):
    return srv.query("SELECT name, email, email_norm, confirmed, comment FROM signatures")


def db_one(srv, sql):
    return srv.query(sql)[0][0]


def db_bytes(srv):
    """What the database holds, as bytes to search: the SQLite file, or on
    PostgreSQL a plain pg_dump of the test's database (every table's rows)."""
    if srv.engine != "pg":
        return read(srv.db)
    p = subprocess.run(["pg_dump", "--no-owner", "-d", srv.db], capture_output=True,
                       timeout=60, env=dict(os.environ, PGCONNECT_TIMEOUT="5"))
    if p.returncode != 0 or b"COPY public.signatures" not in p.stdout:
        raise RuntimeError("pg_dump failed: %s" % p.stderr.decode("utf-8", "replace"))
    return p.stdout


if __name__ == "__main__":
    H.run(main, limit=150)
