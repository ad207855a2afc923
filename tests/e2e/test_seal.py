#!/usr/bin/env python3
"""test_seal.py -- sealed mode's commands on the real binary.

`petitiond keygen OUT` writes OUT.public (0644) and OUT.secret (0600) and
prints the fingerprint; it never replaces a file. `petitiond seal --key
FILE.public --db PATH` converts a stopped server's database in place: names,
emails and comments become sealed boxes, duplicate keys keyed hashes, the
search index is emptied, and the file is vacuumed so that no byte of the
clear text stays in it or its WAL; it refuses a secret key, another key
than the database's, and a database a server is using. `petitiond unseal
--key FILE.secret` turns the sealed export back into the very bytes the
export gave before sealing (Khmer, emoji, the formula guard); a wrong key or
a damaged cell: exit 1 and nothing on stdout. And the conversion survives
kill -9 at random moments, 20 times over, on 20,000 rows: no row lost,
doubled or half sealed, and the end result opens to the original export.

On PostgreSQL (PETITIOND_TEST_ENGINE=pg) "the file" is what pg_dump gives
of the database; the search index (FTS5), the WAL and PRAGMA
integrity_check are SQLite's and skipped there, saying so."""
import base64
import hashlib
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import pgtest  # noqa: E402

CLI_TIMEOUT = 120  # seconds, any one command
BULK_ROWS = 20000
KILL_ROUNDS = 20
T0 = 1767225600  # 2026-01-01T00:00:00Z

PEOPLE = [  # name, email, country, comment, public_name (published: not personal)
    ("Sokunthea Vannarith", "Sokunthea.V@Example.org", "KH", "Free them all, now", "A friend"),
    ("សុខ វណ្ណារិទ្ធ", "khmer.signer@example.org", "KH", "ដោះលែងពួកគេ ឥឡូវនេះ", None),
    ("Dara 🌾 Chanthou", "dara.emoji@example.org", "FR", "✊🏽 solidarity from Lyon 👩‍🌾", None),
    ("=HYPERLINK(\"http://evil\")Bopha", "formula.bopha@example.org", "US",
     "+855 12 345 678 call me", None),
    ("Quoted \"Rithy\" Comma, Ltd", "rithy.quoted@example.org", "KH",
     "She said \"free them\",\nthen left", "Rithy Q"),
    ("Nary Emptycomment", "nary.empty@example.org", "TH", "", None),
]
PAPER = ("Paper Kosal Signer", "KH", "signed on paper at the market")


STDERR = []  # every command's stderr, for the sanitizers' reports


def cli(*args, stdin=None, env=None, timeout=CLI_TIMEOUT):
    """Runs petitiond ARGS. Returns (exit status, stdout bytes, stderr text)."""
    p = subprocess.run([H.server_bin()] + list(args),
                       stdin=stdin if stdin is not None else subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       env=env or H.clean_env())
    err = p.stderr.decode("utf-8", "replace")
    STDERR.append(err)
    return p.returncode, p.stdout, err


def unseal(key, csv_path):
    with open(csv_path, "rb") as f:
        return cli("unseal", "--key", key, stdin=f)


def pg_dump(url):
    """A plain pg_dump of the PostgreSQL database of url (every table's
    rows, as text)."""
    p = subprocess.run(["pg_dump", "--no-owner", "-d", url], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=CLI_TIMEOUT,
                       env=dict(os.environ, PGCONNECT_TIMEOUT="5"))
    if p.returncode != 0:
        raise RuntimeError("pg_dump failed: %s" % p.stderr.decode("utf-8", "replace"))
    return p.stdout


def file_bytes(path):
    """The database file and its WAL, as they are on disk (PostgreSQL: a
    pg_dump of the database)."""
    if H.db_is_url(path):
        return pg_dump(path)
    out = b""
    for p in (path, path + "-wal"):
        if os.path.exists(p):
            with open(p, "rb") as f:
                out += f.read()
    return out


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def db_sha(db):
    """The database's fingerprint: its file's bytes, or on PostgreSQL those
    of a pg_dump (every row, every sequence)."""
    if H.db_is_url(db):
        # pg_dump frames its output with a random \restrict key each run.
        text = re.sub(rb"(?m)^\\(un)?restrict \S+$", b"", pg_dump(db))
        return hashlib.sha256(text).hexdigest()
    return sha(db)


def fingerprint(public_path):
    """The fingerprint as petitiond prints it: SHA256: and the unpadded
    base64 of the SHA-256 of the 32-byte public key."""
    with open(public_path, "rb") as f:
        tag, b64 = f.read().decode().split()
    pk = base64.b64decode(b64)
    return tag, len(pk), "SHA256:" + base64.b64encode(hashlib.sha256(pk).digest()).decode().rstrip("=")


def dump(db):
    """The signatures and the settings, as stored (but the mark of a
    conversion under way, which a killed run leaves on purpose)."""
    return (q(db, "SELECT * FROM signatures ORDER BY id"),
            q(db, "SELECT * FROM settings WHERE key <> 'seal_unfinished' ORDER BY key"))


def q(db, sql, args=()):
    """The rows of sql on the database db (a SQLite path, or a PostgreSQL
    URL: psql, values as sqlite3 gives them)."""
    if H.db_is_url(db):
        return pgtest.rows(db, sql, args)
    con = sqlite3.connect(db, timeout=10)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


# The rows, and how many are sealed (CASE: PostgreSQL has no sum of a boolean).
SEALED_COUNT = ("SELECT count(*), sum(CASE WHEN name LIKE 'sealed:%' THEN 1 ELSE 0 END)"
                " FROM signatures")

# A row is sealed whole or not at all: its name marks it.
HALF_SEALED = """SELECT count(*) FROM signatures WHERE
  CASE WHEN name LIKE 'sealed:%' THEN NOT (
         (email = '' OR email LIKE 'sealed:%') AND (comment = '' OR comment LIKE 'sealed:%')
         AND (email_norm LIKE 'h:%' OR (email_norm LIKE '#%' AND email = '')))
       ELSE (email LIKE 'sealed:%' OR comment LIKE 'sealed:%' OR email_norm LIKE 'h:%') END"""


def test_keygen(t, d):
    out = os.path.join(d, "org")
    rc, so, se = cli("keygen", out)
    text = so.decode()
    t.eq(rc, 0, "keygen: exit 0")
    t.ok(os.stat(out + ".secret").st_mode & 0o777 == 0o600, "keygen: OUT.secret is 0600")
    t.ok(os.stat(out + ".public").st_mode & 0o777 == 0o644, "keygen: OUT.public is 0644")
    tag, n, fp = fingerprint(out + ".public")
    t.ok(tag == "petitiond-seal-public-1" and n == 32, "keygen: the public file holds a 32-byte key",
         (tag, n))
    t.ok(fp in text, "keygen: prints the fingerprint (SHA-256 of the public key)", (fp, text))
    t.ok(out + ".public" in text and out + ".secret" in text, "keygen: names both files", text)
    t.ok(re.search(r"secret OFF the server", text) is not None,
         "keygen: says to keep the secret key off the server", text)
    with open(out + ".secret", "rb") as f:
        sec = f.read()
    t.ok(sec.startswith(b"petitiond-seal-secret-1 ") and len(base64.b64decode(sec.split()[1])) == 64,
         "keygen: the secret file holds the 64 bytes sk||pk")
    before = (sha(out + ".public"), sha(out + ".secret"))
    rc, so, se = cli("keygen", out)
    t.ok(rc == 1 and "exists" in se and so == b"", "keygen: refuses an existing pair (exit 1)",
         (rc, so, se))
    t.eq((sha(out + ".public"), sha(out + ".secret")), before, "keygen: the pair is unchanged")
    os.rename(out + ".public", out + ".moved")
    rc, so, se = cli("keygen", out)
    t.ok(rc == 1 and not os.path.exists(out + ".public"),
         "keygen: an existing OUT.secret alone is refused too, nothing written", (rc, se))
    os.rename(out + ".moved", out + ".public")
    rc, _, _ = cli("keygen", os.path.join(d, "other"))
    t.eq(rc, 0, "keygen: a second pair (another key)")
    return out, os.path.join(d, "other")


def test_round_trip(t, d, org, other):
    srv = H.Server(workdir=d)
    pg = srv.engine == "pg"
    try:
        srv.start()
        for name, email, cc, comment, pub in PEOPLE:
            f = {"name": name, "email": email, "country": cc, "comment": comment, "updates": "1"}
            if pub:
                f.update({"public": "1", "public_name": pub})
            st, _, _ = srv.sign(f)
            t.eq(st, 303, "signed: %s" % email)
        # The search index holds the names' words: fill it (a search does).
        st, _, b = srv.get("/admin/signatures?q=sokunthea", headers=srv.auth_header())
        t.ok(st == 200 and "Sokunthea" in b.decode("utf-8", "replace"),
             "before: the organizers' search finds a name")
        if pg:
            t.skip("before: the search index holds the name's words",
                   "SQLite only: the FTS5 index (PostgreSQL searches the rows)")
        else:
            t.eq(q(srv.db, "SELECT count(*) FROM signatures_search WHERE signatures_search MATCH "
                           "'sokunthea'")[0][0], 1, "before: the search index holds the name's words")
        # seal while the server runs: refused, nothing changed.
        rc, so, se = cli("seal", "--key", org + ".public", "--db", srv.db)
        t.ok(rc == 1 and "stop the server" in se, "seal: refused while a server runs (exit 1)",
             (rc, se))
        t.eq(q(srv.db, "SELECT count(*) FROM settings WHERE key LIKE 'seal%'")[0][0], 0,
             "seal refused: the database is not marked sealed")
        srv.stop()
    finally:
        if srv.proc is not None:
            srv.stop()
    db = srv.db
    # A paper signer without an email (duplicate key '#' || id).
    paper = os.path.join(d, "paper.csv")
    with open(paper, "w", encoding="utf-8", newline="") as f:
        f.write("name,country,comment\r\n%s,%s,%s\r\n" % PAPER)
    rc, so, se = cli("import", paper, "--db", db)
    t.eq(rc, 0, "a paper signature without email imported")
    names = [p[0] for p in PEOPLE] + [PAPER[0]]
    secrets = names + [p[1] for p in PEOPLE] + [p[1].lower() for p in PEOPLE] + \
        [p[3] for p in PEOPLE if p[3]] + [PAPER[2]]
    raw = file_bytes(db)
    t.ok(all(s.encode() in raw for s in names),
         "before: the names are in the database %s in clear (the check below can see them)"
         % ("(pg_dump)" if pg else "file"))

    rc, before, se = cli("export", "--db", db)
    t.eq(rc, 0, "export before sealing")
    before_path = os.path.join(d, "before.csv")
    with open(before_path, "wb") as f:
        f.write(before)

    # Refusals first: the secret key given to seal.
    h0 = db_sha(db)
    rc, so, se = cli("seal", "--key", org + ".secret", "--db", db)
    t.ok(rc == 1 and "SECRET" in se and "never be on the server" in se,
         "seal: a secret key file is refused, saying why", (rc, se))
    t.eq(db_sha(db), h0, "seal with a secret key: the database is untouched")
    if pg:
        empty = H.Server()  # a fresh database without petitiond's schema, never started
        try:
            rc, so, se = cli("seal", "--key", org + ".public", "--db", empty.db)
            made = empty.query("SELECT count(*) FROM information_schema.tables"
                               " WHERE table_schema = 'public'")[0][0]
        finally:
            empty.cleanup()
        t.ok(rc == 1 and "no database" in se and made == 0,
             "seal: a database petitiond never made is refused, no table created",
             (rc, se, made))
    else:
        rc, so, se = cli("seal", "--key", org + ".public", "--db", os.path.join(d, "none.db"))
        t.ok(rc == 1 and "no database" in se and not os.path.exists(os.path.join(d, "none.db")),
             "seal: a missing database is refused, not created", (rc, se))

    rc, so, se = cli("seal", "--key", org + ".public", "--db", db)
    text = so.decode()
    n = len(PEOPLE) + 1
    _, _, fp = fingerprint(org + ".public")
    t.eq(rc, 0, "seal: exit 0")
    t.ok(("%d signatures: %d sealed now, 0 were sealed already" % (n, n)) in text and fp in text,
         "seal: says how many rows it sealed, and the key's fingerprint", text + se)
    t.ok("%d email addresses replaced" % len(PEOPLE) in text, "seal: the paper row has no address "
         "to hash", text)

    raw = file_bytes(db)
    leaks = [s for s in secrets if s.encode() in raw]
    t.ok(not leaks, "after seal: no name, email or comment in the database %s"
         % ("(pg_dump)" if pg else "file or WAL"), leaks)
    if pg:
        heap = pgtest.data_files(db)
        if heap is None:
            t.skip("after seal: no name, email or comment in the database's files",
                   "PostgreSQL's data directory cannot be read from here")
        else:
            left = [s for s in secrets if s.encode() in heap]
            t.ok(not left, "after seal: no name, email or comment in the database's files (its "
                 "base/ directory in PostgreSQL's data directory, dead rows included; not pg_wal)",
                 left)
    if pg:
        t.skip("after seal: the WAL is gone or empty", "SQLite only: the database's -wal file "
               "(PostgreSQL's pg_wal is the cluster's and keeps old text until recycled: README)")
    else:
        t.ok(not os.path.exists(db + "-wal") or os.path.getsize(db + "-wal") == 0,
             "after seal: the WAL is gone or empty")
    t.eq(q(db, HALF_SEALED)[0][0], 0, "after seal: every row sealed whole")
    norms = [r[0] for r in q(db, "SELECT email_norm FROM signatures ORDER BY id")]
    t.ok(all(re.fullmatch(r"h:[0-9a-f]{64}", x) for x in norms[:-1]) and
         re.fullmatch(r"#\d+", norms[-1]), "after seal: duplicate keys are keyed hashes ('#id' for "
         "the paper row)", norms)
    if pg:
        t.skip("after seal: the search index is empty", "SQLite only: the FTS5 index")
    else:
        t.eq(q(db, "SELECT count(*) FROM signatures_search WHERE signatures_search MATCH "
                   "'sokunthea'")[0][0], 0, "after seal: the search index is empty")
    t.eq(q(db, "SELECT value FROM settings WHERE key = 'seal_fingerprint'"), [(fp,)],
         "after seal: the database records the key's fingerprint")
    t.eq(q(db, "SELECT count(*) FROM settings WHERE key = 'seal_unfinished'")[0][0], 0,
         "after seal: not marked unfinished")
    audit = q(db, "SELECT admin, detail FROM audit WHERE action = 'seal'")
    t.ok(len(audit) == 1 and audit[0][1].startswith("%d sealed" % n) and
         not any(s in audit[0][1] for s in secrets), "after seal: one audit line, counts only",
         audit)

    rc, sealed, se = cli("export", "--db", db)
    sealed_path = os.path.join(d, "sealed.csv")
    with open(sealed_path, "wb") as f:
        f.write(sealed)
    rows = [r.split(",") for r in sealed.decode("utf-8-sig").split("\r\n")[1:] if r]
    t.ok(rc == 0 and len(rows) == n and all(r[2].startswith("sealed:") for r in rows),
         "the export after sealing carries sealed boxes", sealed[:400])
    t.ok(rows[-1][3] == "" and rows[5][5] == "", "an empty email or comment stays empty", rows[-1])
    t.ok(not any(s.encode() in sealed for s in secrets), "the sealed export holds no clear text")

    rc, opened, se = unseal(org + ".secret", sealed_path)
    t.eq(rc, 0, "unseal: exit 0")
    t.ok(opened == before, "unseal: the very bytes of the export before sealing (Khmer, emoji, "
         "quotes, line breaks, the formula guard)",
         "before: %r\nopened: %r" % (before[:600], opened[:600]))
    t.ok("opened %d sealed cells" % (3 * n - 2) in se, "unseal: says how many cells it opened", se)

    # LF line ends and no final line end (an export passed through another
    # tool): kept as they are, the cells opened all the same.
    lf_path = os.path.join(d, "lf.csv")
    with open(lf_path, "wb") as f:
        f.write(sealed.replace(b"\r\n", b"\n").rstrip(b"\n"))
    rc, opened, se = unseal(org + ".secret", lf_path)
    t.ok(rc == 0 and opened == before.replace(b"\r\n", b"\n").rstrip(b"\n"),
         "unseal: LF line ends and a last line without one are kept", opened[-200:])

    rc, out, se = unseal(other + ".secret", sealed_path)
    t.ok(rc == 1 and out == b"" and "another key" in se,
         "unseal with another key: exit 1, nothing on stdout, a clear message", (rc, out[:80], se))
    damaged = bytearray(sealed)
    i = sealed.index(b"sealed:", len(sealed) // 2) + 20
    damaged[i] = ord("A") if damaged[i] != ord("A") else ord("B")
    dpath = os.path.join(d, "damaged.csv")
    with open(dpath, "wb") as f:
        f.write(bytes(damaged))
    rc, out, se = unseal(org + ".secret", dpath)
    t.ok(rc == 1 and out == b"" and "line" in se, "unseal of a damaged cell: exit 1, nothing on "
         "stdout, the line named", (rc, se))
    rc, out, se = unseal(org + ".public", sealed_path)
    t.ok(rc == 1 and out == b"" and "PUBLIC" in se, "unseal with the public key: refused", se)
    with open(dpath, "wb") as f:
        f.write(sealed + b'99,"unclosed\r\n')
    rc, out, se = unseal(org + ".secret", dpath)
    t.ok(rc == 1 and out == b"", "unseal of a broken CSV: exit 1, nothing on stdout", se)

    # Refusal of another key, and a second run that finds nothing to do.
    d0 = dump(db)
    rc, so, se = cli("seal", "--key", other + ".public", "--db", db)
    t.ok(rc == 1 and "sealed for another key" in se, "seal with another key: refused", (rc, se))
    t.ok(dump(db) == d0, "seal with another key: no row or setting changed")
    rc, so, se = cli("seal", "--key", org + ".public", "--db", db)
    t.ok(rc == 0 and ("0 sealed now, %d were sealed already" % n) in so.decode(),
         "seal again: nothing sealed twice", so.decode() + se)
    rc, again, se = cli("export", "--db", db)
    rc2, opened, _ = unseal(org + ".secret", sealed_path)
    t.ok(again == sealed and opened == before, "seal again: the same sealed export, opening the same")
    srv.cleanup()


def make_bulk(db, n):
    """n signatures written straight into a migrated database: every third
    name Khmer, every fifth comment empty, every 50th a paper row without an
    email. Each clear value holds a fragment (Nimol, @ex-mail, Comment-, the
    Khmer name) that base64 cannot contain, so searching the file for the
    fragments finds any of them."""
    if H.db_is_url(db):
        # The same rows, in the same order, from one INSERT ... SELECT.
        pgtest.rows(db, """
WITH g AS (SELECT i, i % 50 = 49 AS paper, lpad(i::text, 5, '0') AS n5
           FROM generate_series(0, ? - 1) AS i),
r AS (SELECT i, paper, n5,
             CASE WHEN paper THEN '' ELSE 'Kc' || n5 || '@ex-mail.org' END AS email FROM g)
INSERT INTO signatures (signed_at, name, email, email_norm, country, comment, updates, source)
SELECT ? + 60 * i,
       CASE WHEN i % 3 = 0 THEN 'សុខា Nimol ' ELSE 'Nimol Signer ' END || n5,
       email,
       CASE WHEN email = '' THEN '#p' || i ELSE lower(email) END,
       (ARRAY['KH', 'US', 'FR', 'TH'])[i % 4 + 1],
       CASE WHEN i % 5 = 4 THEN '' ELSE 'Comment-' || i || ' ✊ free them, "all"' END,
       i % 2,
       CASE WHEN paper THEN 'paper' ELSE 'online' END
FROM r ORDER BY i""", (n, T0), timeout=120)
        pgtest.rows(db, "UPDATE signatures SET email_norm = '#' || id WHERE email = ''")
        pgtest.rows(db, "UPDATE counters SET value = (SELECT count(*) FROM signatures) "
                        "WHERE name = 'signatures'")
        return
    rows = []
    for i in range(n):
        name = ("សុខា Nimol %05d" if i % 3 == 0 else "Nimol Signer %05d") % i
        paper = i % 50 == 49
        email = "" if paper else "Kc%05d@ex-mail.org" % i
        comment = "" if i % 5 == 4 else "Comment-%d ✊ free them, \"all\"" % i
        rows.append((T0 + 60 * i, name, email, email.lower() or "#p%d" % i,
                     ["KH", "US", "FR", "TH"][i % 4], comment, i % 2, "paper" if paper else "online"))
    con = sqlite3.connect(db)
    with con:
        con.executemany("INSERT INTO signatures (signed_at, name, email, email_norm, country, "
                        "comment, updates, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("UPDATE signatures SET email_norm = '#' || id WHERE email = ''")
        con.execute("UPDATE counters SET value = (SELECT count(*) FROM signatures) "
                    "WHERE name = 'signatures'")
    con.close()


FRAGMENTS = [b"Nimol", b"@ex-mail", b"ex-mail.org", b"Comment-", "សុខា".encode()]


def copy_db(srv, d):
    """A copy of the stopped server's database: the file, or on PostgreSQL
    a database made from it as a template. Returns its path or URL."""
    if srv.engine != "pg":
        copy = os.path.join(d, "copy.db")
        shutil.copyfile(srv.db, copy)
        return copy
    name = "%s_copy" % pgtest.db_name(srv.db)
    pgtest.query(pgtest.url(), 'CREATE DATABASE "%s" TEMPLATE "%s"' % (name, pgtest.db_name(srv.db)))
    return pgtest.with_db(srv.db, name)


def test_kill_rounds(t, d, org):
    srv = H.Server(workdir=d)
    pg = srv.engine == "pg"
    srv.start()
    srv.stop()
    db = srv.db
    try:
        kill_rounds(t, d, org, srv, db)
    finally:
        if pg and H.db_is_url(srv.db):
            try:
                pgtest.drop_db(pgtest.with_db(srv.db, "%s_copy" % pgtest.db_name(srv.db)))
            except pgtest.PgError:
                pass
        srv.cleanup()


def kill_rounds(t, d, org, srv, db):
    pg = srv.engine == "pg"
    make_bulk(db, BULK_ROWS)
    rc, orig, se = cli("export", "--db", db)
    t.ok(rc == 0 and orig.count(b"\r\n") == BULK_ROWS + 1, "bulk: %d rows exported" % BULK_ROWS)
    raw = file_bytes(db)
    t.ok(all(f in raw for f in FRAGMENTS), "bulk: the clear fragments are in the file before")

    # How long one whole conversion takes here, on a copy: the kills are
    # spread over it.
    copy = copy_db(srv, d)
    t0 = time.monotonic()
    rc, so, se = cli("seal", "--key", org + ".public", "--db", copy)
    whole = time.monotonic() - t0
    t.ok(rc == 0, "bulk: a whole conversion on a copy takes %.2f s" % whole, se)

    seed = int(time.time())
    rnd = random.Random(seed)

    # kill -9 in the last steps (VACUUM, checkpoints): a second run on the
    # sealed copy does little else. Nothing may change, the file stays sound.
    d0 = dump(copy)
    t0 = time.monotonic()
    rc, so, se = cli("seal", "--key", org + ".public", "--db", copy)
    rerun = time.monotonic() - t0
    changed = []
    for r in range(3):
        p = subprocess.Popen([H.server_bin(), "seal", "--key", org + ".public", "--db", copy],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=H.clean_env())
        time.sleep(rnd.uniform(rerun / 3, rerun))
        p.kill()
        p.wait(timeout=10)
        if dump(copy) != d0 or (not pg and q(copy, "PRAGMA integrity_check") != [("ok",)]):
            changed.append(r)
    if pg:
        t.ok(rc == 0 and not changed, "kill -9 during a second run on a sealed copy (a run takes "
             "%.2f s): nothing changed" % rerun, (rc, se, changed))
        t.skip("kill -9 during the VACUUM of a sealed copy: integrity ok",
               "SQLite only: VACUUM of the file and PRAGMA integrity_check")
    else:
        t.ok(rc == 0 and not changed, "kill -9 during the VACUUM of a sealed copy (a run takes %.2f "
             "s): nothing changed, integrity ok" % rerun, (rc, se, changed))
    progress, mid, bad = [], 0, []
    for r in range(KILL_ROUNDS):
        p = subprocess.Popen([H.server_bin(), "seal", "--key", org + ".public", "--db", db],
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=H.clean_env())
        time.sleep(rnd.uniform(0.0, whole / 8))
        p.kill()
        p.wait(timeout=10)
        count, sealed = q(db, SEALED_COUNT)[0]
        half = q(db, HALF_SEALED)[0][0]
        sealed = sealed or 0
        progress.append(sealed)
        marked = q(db, "SELECT count(*) FROM settings WHERE key = 'seal_unfinished'")[0][0]
        if 0 < sealed < BULK_ROWS:
            mid += 1
        if count != BULK_ROWS or half != 0 or (0 < sealed < BULK_ROWS and not marked):
            bad.append((r, count, half, marked))
    t.ok(not bad, "kill -9 x%d (seed %d): after each, every row is there, none half sealed, and "
         "the database says the conversion is unfinished" % (KILL_ROUNDS, seed), bad)
    t.ok(progress == sorted(progress), "kill -9: the sealed rows only grow (each batch committed "
         "stays)", progress)
    t.ok(mid >= 3, "kill -9: at least 3 of the kills landed half-way through the rows (%d)" % mid,
         progress)
    rc, so, se = cli("seal", "--key", org + ".public", "--db", db)
    text = so.decode()
    t.ok(rc == 0 and ("%d signatures:" % BULK_ROWS) in text, "then a run to the end: exit 0",
         text + se)
    count, sealed = q(db, SEALED_COUNT)[0]
    t.ok(count == BULK_ROWS and sealed == BULK_ROWS and q(db, HALF_SEALED)[0][0] == 0,
         "the count is unchanged and every row is sealed", (count, sealed))
    t.eq(q(db, "SELECT count(*) FROM (SELECT email_norm FROM signatures GROUP BY email_norm) AS g")
         [0][0], BULK_ROWS, "every duplicate key is still distinct")
    raw = file_bytes(db)
    t.ok(not any(f in raw for f in FRAGMENTS), "no clear fragment left in the database %s"
         % ("(pg_dump)" if pg else "file or WAL"),
         [f for f in FRAGMENTS if f in raw])
    if pg:
        heap = pgtest.data_files(db)
        if heap is None:
            t.skip("no clear fragment left in the database's files",
                   "PostgreSQL's data directory cannot be read from here")
        else:
            t.ok(not any(f in heap for f in FRAGMENTS), "no clear fragment left in the database's "
                 "files (its base/ directory in PostgreSQL's data directory, dead rows "
                 "included; not pg_wal)", [f for f in FRAGMENTS if f in heap])
    rc, sealed_csv, se = cli("export", "--db", db)
    path = os.path.join(d, "bulk-sealed.csv")
    with open(path, "wb") as f:
        f.write(sealed_csv)
    t.ok(not any(f in sealed_csv for f in FRAGMENTS), "the sealed export holds no clear fragment")
    rc, opened, se = unseal(org + ".secret", path)
    t.ok(rc == 0 and opened == orig, "unseal gives back the original export, byte for byte",
         se)


def main(t):
    d = tempfile.mkdtemp(prefix="petitiond-seal-")
    try:
        org, other = test_keygen(t, d)
        rt = os.path.join(d, "rt")
        os.mkdir(rt)
        test_round_trip(t, rt, org, other)
        bulk = os.path.join(d, "bulk")
        os.mkdir(bulk)
        test_kill_rounds(t, bulk, org)
        rep = H.sanitizer_report("".join(STDERR))
        t.ok(rep is None, "no sanitizer report from any command", rep)
    finally:
        if not os.environ.get("PETITIOND_KEEP"):
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    H.run(main, limit=280)
