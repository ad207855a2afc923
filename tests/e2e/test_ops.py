#!/usr/bin/env python3
"""test_ops.py -- the operator's commands cannot destroy data.

backup (swapped arguments, an existing file, the database itself), the lock
(a second server), quick_check at start (a damaged page), restore (the
corruption the old "copy it over the database" procedure caused after a
kill -9, and restore avoiding it), file modes, healthcheck, check, and
--user / the refusal to serve as root. TAP; standard library only; every
server on 127.0.0.1, every wait bounded.

On PostgreSQL (PETITIOND_TEST_ENGINE=pg) backup and restore refuse, naming
pg_dump and pg_restore; a second server on the same database is another
node and serves; check and --user run there too. What is about the SQLite
file (its lock, modes, pages, WAL, restore) is skipped, saying so.
"""

import glob
import hashlib
import http.client
import os
import pwd
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from test_durability import burst, join_all  # noqa: E402

CMD_TIMEOUT = 30  # seconds, any subcommand
TEST_USER = "petitiond-e2e"  # a system user the --user tests make when missing
SANITIZER = []  # sanitizer reports from subcommands (an ASan/UBSan build)


def cli(args, cwd=None, env=None, timeout=CMD_TIMEOUT):
    """Runs petitiond with args; returns (exit status, stdout, stderr)."""
    try:
        p = subprocess.run([H.server_bin()] + args, cwd=cwd or tempfile.gettempdir(),
                           env=env if env is not None else H.clean_env(),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
        err = p.stderr.decode("utf-8", "replace")
        rep = H.sanitizer_report(err)
        if rep is not None:
            SANITIZER.append("%r: %s" % (args, rep))
        return p.returncode, p.stdout.decode("utf-8", "replace"), err
    except subprocess.TimeoutExpired:
        return "timeout", "", ""


def sign_n(srv, n, tag):
    """Signs n times, each with a new e-mail; returns the e-mails acknowledged."""
    hidden = srv.hidden_fields()
    acked = []
    for i in range(n):
        email = "%s-%d@example.org" % (tag, i)
        st, _, _ = srv.sign({"name": "Ops %s %d" % (tag, i), "email": email, "country": "KH"},
                            json=True, hidden=hidden)
        if st == 201:
            acked.append(email)
    return acked


def db_facts(path):
    """(rows, counter, integrity) of a database file, read-only; None on error."""
    try:
        con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
        try:
            rows = con.execute("SELECT count(*) FROM signatures").fetchone()[0]
            counter = con.execute("SELECT value FROM counters WHERE name = 'signatures'").fetchone()[0]
            ic = con.execute("PRAGMA integrity_check").fetchone()[0]
            return rows, counter, ic
        finally:
            con.close()
    except sqlite3.Error as e:
        return ("error", str(e))


def emails_in(path):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    try:
        return set(r[0] for r in con.execute("SELECT email FROM signatures"))
    finally:
        con.close()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def start_fails(argv, cwd, env, timeout=20):
    """Starts a server that should refuse to start; returns (exit status, stderr)."""
    try:
        p = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
        return p.returncode, p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return "timeout (it started)", ""


def healthy(port):
    """GET /healthz on port answers 200."""
    try:
        return H.request(port, "GET", "/healthz", timeout=5)[0] == 200
    except (OSError, http.client.HTTPException):
        return False


def server_argv(db, port, *extra):
    return [H.server_bin(), "--bind", H.HOST, "--port", str(port), "--db", db,
            "--admin-token", H.ADMIN_TOKEN] + list(extra)


# --------------------------------------------------------------------------


def test_usage(t):
    rc, out, _ = cli(["--help"])
    t.ok(rc == 0 and all(c in out for c in ("backup FILE", "restore BACKUP", "check", "healthcheck")),
         "petitiond --help lists backup, restore, check and healthcheck", out[-800:])
    for c in ("backup", "restore", "check", "healthcheck"):
        rc, out, _ = cli([c, "--help"])
        t.ok(rc == 0 and ("petitiond " + c) in out and "Exit status" in out,
             "petitiond %s --help: usage on stdout, exit 0" % c, "rc %r out %r" % (rc, out[:300]))
    for args, why in ((["backup"], "backup without FILE"), (["restore"], "restore without BACKUP"),
                      (["backup", "a.db", "b.db"], "backup with two files"),
                      (["check", "--force"], "--force outside backup"),
                      (["healthcheck", "--url", "ftp://x/"], "healthcheck --url that is not http://"),
                      (["frobnicate"], "an unknown command")):
        rc, out, err = cli(args)
        t.ok(rc == 2 and err.strip() and len(err.strip().splitlines()) == 1,
             "%s: exit 2 with one line on stderr" % why, "rc %r err %r" % (rc, err))


def test_backup_guards_pg(t):
    """PostgreSQL: backup and restore refuse at once, naming PostgreSQL's
    own tools, and nothing changes."""
    with H.Server() as srv:
        first = sign_n(srv, 30, "early")
        old = os.path.join(srv.dir, "old.db")
        rc, out, err = cli(["backup", old, "--db", srv.db])
        t.ok(rc == 1 and "pg_dump" in err and not os.path.exists(old),
             "backup FILE --db URL: refused (exit 1), naming pg_dump, nothing written",
             "rc %r out %r err %r" % (rc, out, err))
        # A SQLite file that would pass for a backup.
        con = sqlite3.connect(old)
        con.execute("CREATE TABLE t (x)")
        con.commit()
        con.close()
        rc, out, err = cli(["restore", old, "--db", srv.db])
        t.ok(rc == 1 and "pg_restore" in err, "restore BACKUP --db URL: refused (exit 1), naming "
             "pg_restore", "rc %r out %r err %r" % (rc, out, err))
        t.eq(srv.count(), 30, "after them the server still counts 30")
        t.eq(set(r["email"] for r in srv.csv_dicts()), set(first), "the very rows acknowledged")
        H.check_clean_exit(t, srv, "the server exits 0 on SIGTERM, no sanitizer reports")
    t.skip("backup guards: swapped arguments, ./petition.db, an existing FILE, the database itself, "
           "file modes", "SQLite only: petitiond backup copies SQLite files (PostgreSQL: pg_dump)")


def test_backup_guards(t):
    """Swapped arguments, a leftover ./petition.db, an existing file, the
    database itself: refused while the server runs, nothing changes."""
    if H.engine() == "pg":
        test_backup_guards_pg(t)
        return
    with H.Server() as srv:
        first = sign_n(srv, 30, "early")
        old = os.path.join(srv.dir, "old.db")
        rc, out, err = cli(["backup", old, "--db", srv.db])
        t.ok(rc == 0 and os.path.isfile(old), "backup FILE --db LIVE: exit 0", "rc %r out %r err %r" % (rc, out, err))
        t.ok("read" in out and "wrote" in out and os.path.realpath(srv.db) in out and
             os.path.realpath(old) in out and " 30 signatures" in out and "integrity_check ok" in out,
             "backup prints what it read and wrote, with the row count and the integrity result", out)
        t.eq(mode(old), 0o600, "the backup file is 0600")
        t.eq(db_facts(old)[:3], (30, 30, "ok"), "the backup holds the 30 signatures, integrity ok")
        later = sign_n(srv, 20, "later")
        t.eq(len(first) + len(later), 50, "50 signatures acknowledged")

        # The accident of the issue: FILE and --db swapped while the server runs.
        for extra in ([], ["--force"]):
            rc, out, err = cli(["backup", srv.db, "--db", old] + extra)
            t.ok(rc == 1 and "running petitiond" in err and "swap" in err,
                 "swapped arguments%s: refused (exit 1), naming the running server and the swap"
                 % (" with --force" if extra else ""), "rc %r out %r err %r" % (rc, out, err))
        t.eq(srv.count(), 50, "after the swapped backups the server still counts 50")
        rows = srv.csv_dicts()
        t.eq(len(rows), 50, "and its export has the 50 rows")
        t.eq(set(r["email"] for r in rows), set(first + later), "the very rows acknowledged")

        # A leftover ./petition.db in the folder where the backup is run.
        work = tempfile.mkdtemp(prefix="petitiond-ops-")
        try:
            shutil.copyfile(old, os.path.join(work, "petition.db"))
            rc, out, err = cli(["backup", srv.db], cwd=work)
            t.ok(rc == 1 and "running petitiond" in err,
                 "backup LIVE_DB run beside a leftover ./petition.db: refused", "rc %r err %r" % (rc, err))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        t.eq(srv.count(), 50, "the live database still counts 50")

        # An existing file: refused without --force, replaced with it.
        b1 = os.path.join(srv.dir, "b1.db")
        rc, _, _ = cli(["backup", b1, "--db", srv.db])
        before = sha256(b1)
        sign_n(srv, 5, "more")
        rc, out, err = cli(["backup", b1, "--db", srv.db])
        t.ok(rc == 1 and "exists" in err and "--force" in err, "an existing FILE without --force: refused",
             "rc %r err %r" % (rc, err))
        t.eq(sha256(b1), before, "and the existing file is untouched")
        rc, out, err = cli(["backup", b1, "--db", srv.db, "--force"])
        t.ok(rc == 0 and "replaced" in out and "held 50 signatures" in out and " 55 signatures" in out,
             "with --force it is replaced, and the output says what it held", out + err)
        t.eq(db_facts(b1)[:3], (55, 55, "ok"), "the replaced backup holds 55 signatures")

        # The database itself, by another spelling, through a link, its WAL.
        link = os.path.join(srv.dir, "link.db")
        os.symlink(srv.db, link)
        for dst, why in ((srv.db, "the database itself"),
                         (os.path.join(srv.dir, ".", "..", os.path.basename(srv.dir), "sig.db"),
                          "the database by another path"),
                         (link, "a symbolic link to the database"),
                         (srv.db + "-wal", "the database's -wal file")):
            rc, out, err = cli(["backup", dst, "--db", srv.db, "--force"])
            t.ok(rc == 1 and ("database itself" in err or "database's" in err or "running" in err),
                 "backup onto %s: refused" % why, "rc %r err %r" % (rc, err))
        t.eq(srv.count(), 55, "the server counts 55 after all of it")
        t.eq(db_facts(srv.db)[2], "ok", "the live database passes integrity_check")

        # Modes of the files the server made, whatever umask it was started with.
        for suffix in ("", "-wal", "-shm", ".lock"):
            p = srv.db + suffix
            t.ok(os.path.exists(p) and mode(p) == 0o600, "sig.db%s is 0600" % suffix,
                 "mode %o" % mode(p) if os.path.exists(p) else "missing")
        H.check_clean_exit(t, srv, "the server exits 0 on SIGTERM, no sanitizer reports")


def test_second_server(t):
    pg = H.engine() == "pg"
    with H.Server() as srv:
        sign_n(srv, 3, "lock")
        if pg:
            # PostgreSQL: another node on the same database (issue 15).
            node = H.Server(pg=False)
            node.db = srv.db
            try:
                node.start()
                t.eq(node.count(), 3, "a second server on the same PostgreSQL database serves "
                     "(another node), with the same count")
            finally:
                node.stop()
                node.cleanup()
        else:
            rc, err = start_fails(server_argv(srv.db, H.free_port()), srv.dir, H.clean_env())
            t.ok(rc == 1 and "in use" in err and str(srv.proc.pid) in err,
                 "a second server on the same database refuses to start, naming the first one's pid",
                 "rc %r err %r" % (rc, err[-600:]))
        t.eq(srv.count(), 3, "the first server still serves, count intact")

    # Two servers started at once on a fresh database: one serves, one refuses
    # (PostgreSQL: both serve), and the token printed is the one whose hash
    # is stored.
    work = tempfile.mkdtemp(prefix="petitiond-ops-")
    procs = []
    holder = H.Server() if pg else None  # owns a fresh PostgreSQL database
    try:
        db = holder.db if pg else os.path.join(work, "fresh.db")
        for k in range(2):
            port = H.free_port()
            argv = [H.server_bin(), "--bind", H.HOST, "--port", str(port), "--db", db]
            procs.append((port, subprocess.Popen(argv, cwd=work, env=H.clean_env(), stdin=subprocess.DEVNULL,
                                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)))
        time.sleep(3)
        alive = [(port, p) for port, p in procs if p.poll() is None]
        dead = [p for _, p in procs if p.poll() is not None]
        if pg:
            t.ok(len(alive) == 2 and all(healthy(port) for port, _ in alive),
                 "two servers started together on a fresh PostgreSQL database: both serve",
                 "alive %d, exit codes %r" % (len(alive), [p.returncode for _, p in procs]))
        else:
            t.ok(len(alive) == 1 and len(dead) == 1 and dead[0].returncode == 1,
                 "two servers started together on a fresh database: one serves, the other exits 1",
                 "alive %d, exit codes %r" % (len(alive), [p.returncode for _, p in procs]))
        for _, p in alive:
            p.terminate()
        outs = []
        for _, p in procs:
            try:
                o, e = p.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                o, e = p.communicate(timeout=5)
            outs.append(o.decode("utf-8", "replace"))
        tokens = [line.strip() for o in outs for line in o.splitlines()
                  if len(line.strip()) >= 32 and all(c in "0123456789abcdef" for c in line.strip())]
        if pg:
            got = holder.query("SELECT token_sha256 FROM admins WHERE name = 'owner'")
        else:
            con = sqlite3.connect(db)
            got = con.execute("SELECT token_sha256 FROM admins WHERE name = 'owner'").fetchall()
            con.close()
        stored = got[0] if got else None
        t.ok(len(tokens) == 1 and stored is not None and
             hashlib.sha256(tokens[0].encode()).hexdigest() == stored[0],
             "exactly one admin token was printed, and it is the one whose hash is stored",
             "tokens %r stored %r" % (tokens, stored))
    finally:
        for _, p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)
        if holder is not None:
            holder.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def corrupt_copy(src, dst):
    """Copies the database src (closed, no WAL) to dst and overwrites the
    root page of the signatures table with garbage using dd."""
    shutil.copyfile(src, dst)
    con = sqlite3.connect("file:%s?mode=ro" % dst, uri=True)
    root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = 'signatures'").fetchone()[0]
    psize = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    junk = dst + ".junk"
    with open(junk, "wb") as f:
        f.write(bytes((i * 37 + 11) % 256 for i in range(psize)))
    subprocess.run(["dd", "if=" + junk, "of=" + dst, "bs=%d" % psize, "seek=%d" % (root - 1),
                    "count=1", "conv=notrunc"], check=True, capture_output=True, timeout=30)
    os.unlink(junk)


def check_as_root(t, db):
    """`check` run as root with neither --user nor PETITIOND_ALLOW_ROOT=1: it
    says the server would refuse (exit 1); skipped when not root."""
    rc, out, err = cli(["check", "--db", db], env=H.clean_env(PETITIOND_ALLOW_ROOT=""))
    if os.geteuid() == 0:
        t.ok(rc == 1 and "refusing to serve as root" in out,
             "check as root without --user or PETITIOND_ALLOW_ROOT=1: exit 1 (the server would refuse)",
             out + err)
    else:
        t.skip("check as root without --user", "not running as root")


def test_check_pg(t):
    """check on PostgreSQL: the live database, a stopped one, an empty one;
    the SQLite file's checks (pages, restore's refusals) skipped."""
    with H.Server() as srv:
        sign_n(srv, 40, "qc")
        rc, out, err = cli(["check", "--db", srv.db])
        t.ok(rc == 0 and "schema version" in out and "signatures: 40" in out,
             "check on the live PostgreSQL database: exit 0, 40 signatures", out + err)
        t.ok(" mode 0" not in out and "owner root" not in out,
             "check on a PostgreSQL database shows no file owner or mode (it is not a file)", out)
        srv.stop()
        rc, out, err = cli(["check", "--db", srv.db])
        t.ok(rc == 0 and "schema version" in out and "admin accounts" in out and "ok:" in out,
             "check on the stopped database: exit 0, schema and settings shown", out + err)
        empty = H.Server()  # a fresh, empty database, never started
        try:
            rc, out, err = cli(["check", "--db", empty.db])
            t.ok(rc == 0 and "no petitiond schema yet" in out, "check on a database still to be "
                 "made (empty, no schema): exit 0", out + err)
        finally:
            empty.cleanup()
        check_as_root(t, srv.db)
    t.skip("quick_check at start, check and restore on a damaged or foreign file",
           "SQLite only: a damaged page of the file, PRAGMA quick_check/integrity_check, "
           "petitiond restore (PostgreSQL: pg_restore)")


def test_quick_check_and_check(t):
    if H.engine() == "pg":
        test_check_pg(t)
        return
    with H.Server() as srv:
        sign_n(srv, 40, "qc")
        rc, out, err = cli(["check", "--db", srv.db])
        t.ok(rc == 0 and "integrity_check: ok" in out and "in use now by pid %d" % srv.proc.pid in out and
             "signatures: 40" in out, "check on the live database: exit 0, integrity ok, 40 signatures, "
             "the server that uses it named", out + err)
        srv.stop()
        good = srv.db
        rc, out, err = cli(["check", "--db", good])
        t.ok(rc == 0 and "schema version" in out and "admin accounts" in out and "ok:" in out,
             "check on the stopped database: exit 0, schema and settings shown", out + err)
        bad = os.path.join(srv.dir, "damaged.db")
        corrupt_copy(good, bad)
        rc, err = start_fails(server_argv(bad, H.free_port()), srv.dir, H.clean_env())
        t.ok(rc == 1 and "quick_check" in err and "petitiond restore" in err and "petitiond check" in err,
             "a server on a database with a damaged page refuses to start, naming quick_check, "
             "`petitiond check` and `petitiond restore`", "rc %r err %r" % (rc, err[-800:]))
        rc, out, err = cli(["check", "--db", bad])
        t.ok(rc == 1 and "FAILED" in out and "integrity_check" in out,
             "check on the damaged copy: exit 1, integrity_check named", out + err)
        rc, out, err = cli(["check", "--db", os.path.join(srv.dir, "new.db")])
        t.ok(rc == 0 and "does not exist yet" in out, "check on a database still to be made: exit 0", out + err)
        check_as_root(t, good)
        # restore refuses the damaged copy as a backup, leaving the database alone.
        before = sha256(good)
        rc, out, err = cli(["restore", bad, "--db", good])
        t.ok(rc == 1 and "integrity_check" in err, "restore refuses a damaged backup",
             "rc %r out %r err %r" % (rc, out, err))
        t.eq(sha256(good), before, "and leaves the database as it was")
        t.eq(glob.glob(good + ".before-restore-*"), [], "and moves nothing aside")
        # Not a petitiond database; one from a newer petitiond.
        other = os.path.join(srv.dir, "other.db")
        con = sqlite3.connect(other)
        con.execute("CREATE TABLE t (x)")
        con.commit()
        con.close()
        rc, out, err = cli(["restore", other, "--db", good])
        t.ok(rc == 1 and "not a petitiond database" in err, "restore refuses a database that is not petitiond's",
             err)
        newer = os.path.join(srv.dir, "newer.db")
        shutil.copyfile(good, newer)
        con = sqlite3.connect(newer)
        con.execute("PRAGMA user_version = 999")
        con.commit()
        con.close()
        rc, out, err = cli(["restore", newer, "--db", good])
        t.ok(rc == 1 and "newer" in err, "restore refuses a backup from a newer petitiond", err)
        t.eq(sha256(good), before, "the database is still as it was")


def kill9_under_load(srv, tag, seconds=1.5):
    """Signs from 8 threads, kills the server with SIGKILL mid-burst.
    Returns the e-mails acknowledged."""
    acked, lock, stats = [], threading.Lock(), {}
    ts = burst(srv.port, tag, seconds + 1.0, acked, lock, stats)
    time.sleep(seconds)
    srv.kill()
    join_all(ts, 15)
    return acked


def test_restore(t):
    if H.engine() == "pg":
        t.skip("restore after kill -9 under load, and what the old procedure did",
               "SQLite only: petitiond restore installs a SQLite file beside its -wal/-shm "
               "(PostgreSQL: pg_restore; its refusal is checked with backup's)")
        return
    with H.Server() as srv:
        sign_n(srv, 40, "base")
        backup = os.path.join(srv.dir, "backup.db")
        rc, out, err = cli(["backup", backup, "--db", srv.db])
        t.ok(rc == 0, "a backup of 40 signatures", out + err)
        base_emails = emails_in(backup)

        # restore is refused while the server runs.
        rc, out, err = cli(["restore", backup, "--db", srv.db])
        t.ok(rc == 1 and "in use" in err and "stop the server" in err,
             "restore while the server runs: refused (exit 1)", "rc %r err %r" % (rc, err))
        t.eq(srv.count(), 40, "and the server still counts 40")

        acked = kill9_under_load(srv, "load")
        t.ok(len(acked) > 50, "kill -9 under load after %d more acknowledged signatures" % len(acked))
        t.ok(os.path.exists(srv.db + "-wal") and os.path.getsize(srv.db + "-wal") > 0,
             "the killed server left a -wal file with its last transactions")
        crashed = tempfile.mkdtemp(prefix="petitiond-ops-crashed-")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(srv.db + suffix):
                shutil.copyfile(srv.db + suffix, os.path.join(crashed, "sig.db" + suffix))

        # The old README procedure: copy the backup over the database, start it.
        old_way = tempfile.mkdtemp(prefix="petitiond-ops-oldway-")
        try:
            for f in os.listdir(crashed):
                shutil.copyfile(os.path.join(crashed, f), os.path.join(old_way, f))
            shutil.copyfile(backup, os.path.join(old_way, "sig.db"))  # cp backup.db sig.db
            with H.Server(workdir=old_way) as bad:
                served = bad.count()
            started = True
        except H.ServerError as e:
            started = False
            why = str(e)
        facts = db_facts(os.path.join(old_way, "sig.db"))
        wrong = (not started) or served != 40 or facts[:3] != (40, 40, "ok")
        t.ok(wrong, "the old procedure (cp backup over the database after kill -9, old -wal/-shm left) "
             "does not give back the backup: %s" % (
                 "the server refused it (%s)" % ("quick_check" if "quick_check" in why else why[-200:])
                 if not started else "it served a count of %d; rows/counter/integrity %r; the backup "
                 "had 40/40/ok" % (served, facts)),
             "facts %r" % (facts,))
        shutil.rmtree(old_way, ignore_errors=True)

        # The new one: petitiond restore.
        rc, out, err = cli(["restore", backup, "--db", srv.db])
        t.ok(rc == 0 and "moved aside" in out and "installed" in out and " 40 signatures" in out,
             "petitiond restore after the kill -9: exit 0, says what it moved aside and installed", out + err)
        t.eq(db_facts(srv.db)[:3], (40, 40, "ok"), "the restored database: 40 rows, counter 40, integrity ok")
        t.eq(mode(srv.db), 0o600, "the restored database is 0600")
        t.ok(not os.path.exists(srv.db + "-wal") and not os.path.exists(srv.db + "-shm"),
             "no -wal/-shm of the old database is left beside it")
        aside = sorted(glob.glob(srv.db + ".before-restore-*"))
        t.ok(len(aside) == 3 and any(a.endswith("-wal") for a in aside) and any(a.endswith("-shm") for a in aside),
             "the old database, -wal and -shm are kept aside as sig.db.before-restore-TIMESTAMP[-wal|-shm]", aside)
        kept = [a for a in aside if not a.endswith(("-wal", "-shm"))]
        if kept:
            shutil.copyfile(kept[0], os.path.join(crashed, "aside.db"))
            shutil.copyfile(kept[0] + "-wal", os.path.join(crashed, "aside.db-wal"))
            got = emails_in(os.path.join(crashed, "aside.db"))
            t.ok(set(acked) <= got and base_emails <= got,
                 "the set moved aside still opens with every signature the killed server acknowledged "
                 "(%d)" % len(got))
        srv.start()
        t.eq(srv.count(), 40, "a server started on the restored database counts 40")
        t.eq(set(r["email"] for r in srv.csv_dicts()), base_emails, "and exports the backup's rows")
        sign_n(srv, 2, "after")
        t.eq(srv.count(), 42, "and takes new signatures")
        srv.stop()
        t.eq(db_facts(srv.db)[:3], (42, 42, "ok"), "integrity ok after serving from the restored database")
        rep = H.sanitizer_report(srv.all_stderr())
        t.ok(rep is None, "no sanitizer report from the servers of the restore test", rep)
        shutil.rmtree(crashed, ignore_errors=True)


def test_healthcheck(t):
    with H.Server() as srv:
        rc, out, err = cli(["healthcheck", "--port", str(srv.port), "--bind", H.HOST])
        t.ok(rc == 0 and "healthy (200)" in out and len(out.strip().splitlines()) == 1,
             "healthcheck with the server up: exit 0, one line", "rc %r out %r err %r" % (rc, out, err))
        rc, out, err = cli(["healthcheck"], env=H.clean_env(PETITIOND_PORT=str(srv.port), PETITIOND_BIND=H.HOST))
        t.ok(rc == 0, "healthcheck from PETITIOND_PORT and PETITIOND_BIND: exit 0", out + err)
        rc, out, err = cli(["healthcheck", "--url", "http://127.0.0.1:%d/healthz" % srv.port])
        t.ok(rc == 0, "healthcheck --url: exit 0", out + err)
        rc, out, err = cli(["healthcheck", "--url", "http://127.0.0.1:%d/no-such-page" % srv.port])
        t.ok(rc == 1 and "404" in err, "healthcheck of a URL answering 404: exit 1, the status shown", out + err)
        port = srv.port
    rc, out, err = cli(["healthcheck", "--port", str(port), "--bind", H.HOST])
    t.ok(rc == 1 and "unhealthy" in err and len(err.strip().splitlines()) == 1,
         "healthcheck with the server down: exit 1, one line", "rc %r out %r err %r" % (rc, out, err))
    # A server that accepts and never answers: exit 1 within the 5 s timeout.
    ls = socket.socket()
    ls.bind((H.HOST, 0))
    ls.listen(4)
    try:
        t0 = time.monotonic()
        rc, out, err = cli(["healthcheck", "--url", "http://127.0.0.1:%d/healthz" % ls.getsockname()[1]])
        took = time.monotonic() - t0
        t.ok(rc == 1 and "5 s" in err and 4.5 <= took < 8,
             "healthcheck of a server that never answers: exit 1 after ~5 s (%.1f s)" % took, err)
    finally:
        ls.close()


def ensure_user():
    """The test user's passwd entry, made with useradd when missing; or a
    reason it cannot be had."""
    try:
        return pwd.getpwnam(TEST_USER), None
    except KeyError:
        pass
    useradd = shutil.which("useradd") or ("/usr/sbin/useradd" if os.path.exists("/usr/sbin/useradd") else None)
    if useradd is None:
        return None, "useradd is not available"
    p = subprocess.run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", TEST_USER],
                       capture_output=True, timeout=30)
    try:
        return pwd.getpwnam(TEST_USER), None
    except KeyError:
        return None, "useradd failed: %s" % p.stderr.decode("utf-8", "replace").strip()


def low_port():
    """A free port below 1024 on 127.0.0.1 (we are root), or None."""
    for port in range(613, 1024, 7):
        s = socket.socket()
        try:
            s.bind((H.HOST, port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    return None


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.split()
    return out


def test_user(t):
    if os.geteuid() != 0:
        for d in ("refusal to serve as root", "--user drops root", "restore gives the file its owner"):
            t.skip(d, "not running as root")
        return
    pg = H.engine() == "pg"
    work = tempfile.mkdtemp(prefix="petitiond-ops-user-")
    holder = H.Server() if pg else None  # owns a fresh PostgreSQL database
    try:
        db = holder.db if pg else os.path.join(work, "sig.db")
        # Root without --user or PETITIOND_ALLOW_ROOT=1: refused.
        rc, err = start_fails(server_argv(db, H.free_port()), work, H.clean_env(PETITIOND_ALLOW_ROOT=""))
        t.ok(rc == 1 and "refusing to serve as root" in err and "--user" in err and "PETITIOND_ALLOW_ROOT=1" in err,
             "as root without --user or PETITIOND_ALLOW_ROOT=1: refuses to start, saying what to do",
             "rc %r err %r" % (rc, err[-600:]))
        if pg:
            tables = holder.query("SELECT count(*) FROM information_schema.tables"
                                  " WHERE table_schema = 'public'")[0][0]
            t.eq(tables, 0, "and creates no table in the database")
        else:
            t.ok(not os.path.exists(db), "and creates no database")
        pw, why = ensure_user()
        if pw is None:
            t.skip("--user drops root", why)
            return
        data = os.path.join(work, "data")
        os.mkdir(data, 0o700)
        os.chown(data, pw.pw_uid, pw.pw_gid)
        os.chmod(work, 0o755)
        udb = holder.db if pg else os.path.join(data, "sig.db")
        rc, out, err = cli(["check", "--db", udb, "--user", TEST_USER], env=H.clean_env(PETITIOND_ALLOW_ROOT=""))
        t.ok(rc == 0 and "serves as %s" % TEST_USER in out, "check --user on a %s: exit 0"
             % ("PostgreSQL database" if pg else "directory the user owns"), out + err)
        srv = H.Server(workdir=data, extra_args=["--user", TEST_USER], pg=False)
        srv.db = udb
        srv.start()
        try:
            sign_n(srv, 12, "user")
            st = proc_status(srv.proc.pid)
            t.ok(st["Uid"] == [str(pw.pw_uid)] * 4 and st["Gid"] == [str(pw.pw_gid)] * 4,
                 "--user %s: real, effective, saved and file-system UID and GID are the user's" % TEST_USER,
                 "Uid %r Gid %r" % (st["Uid"], st["Gid"]))
            t.ok(st.get("CapEff") == ["0000000000000000"] and st.get("CapPrm") == ["0000000000000000"],
                 "and it holds no capability", "CapEff %r CapPrm %r" % (st.get("CapEff"), st.get("CapPrm")))
            t.ok("0" not in st.get("Groups", []), "and root's group is not among its groups", st.get("Groups"))
            if pg:
                t.skip("the database files belong to the user, mode 0600; root backs them up",
                       "SQLite only: the database's files and petitiond backup")
            else:
                for suffix in ("", "-wal", "-shm", ".lock"):
                    p = udb + suffix
                    ok = os.path.exists(p) and os.stat(p).st_uid == pw.pw_uid and mode(p) == 0o600
                    t.ok(ok, "sig.db%s belongs to %s, mode 0600" % (suffix, TEST_USER),
                         repr(os.stat(p)) if os.path.exists(p) else "missing")
                backup = os.path.join(work, "backup.db")
                rc, out, err = cli(["backup", backup, "--db", udb])
                t.ok(rc == 0 and " 12 signatures" in out, "root backs up the user's database", out + err)
            sign_n(srv, 3, "user-more")
        finally:
            srv.stop()
        if pg:
            t.skip("restore by root gives the file to the database's owner",
                   "SQLite only: petitiond restore (PostgreSQL: pg_restore)")
            want = 15  # nothing restored: the 12 and the 3 more
        else:
            # Restored by root: the file goes to the database's owner.
            rc, out, err = cli(["restore", backup, "--db", udb])
            t.ok(rc == 0 and "owner %s" % TEST_USER in out, "restore by root: exit 0, says the owner", out + err)
            t.ok(os.stat(udb).st_uid == pw.pw_uid and mode(udb) == 0o600,
                 "the restored database belongs to %s, mode 0600" % TEST_USER)
            want = 12
        srv.start()
        try:
            t.eq(srv.count(), want, "--user server on the %s database counts %d"
                 % ("same" if pg else "restored", want))
            sign_n(srv, 1, "user-after")
            t.eq(srv.count(), want + 1, "and can write it")
        finally:
            srv.stop()
            srv.cleanup()
        # A port below 1024: bound while root, then served as the user.
        low = low_port()
        if low is None:
            t.skip("--user with a port below 1024", "no free port between 600 and 1023 on 127.0.0.1")
        else:
            p = subprocess.Popen(server_argv(udb if pg else os.path.join(data, "low.db"), low,
                                             "--user", TEST_USER),
                                 cwd=data, env=H.clean_env(PETITIOND_ALLOW_ROOT=""), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                up = False
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and p.poll() is None and not up:
                    try:
                        up = H.request(low, "GET", "/healthz", timeout=1)[0] == 200
                    except OSError:
                        time.sleep(0.05)
                uid = proc_status(p.pid)["Uid"] if p.poll() is None else None
                t.ok(up and uid == [str(pw.pw_uid)] * 4,
                     "--user with port %d (below 1024): bound as root, serves as %s" % (low, TEST_USER),
                     "up %r uid %r" % (up, uid))
            finally:
                p.terminate()
                try:
                    p.communicate(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.communicate(timeout=5)
        if pg:
            t.skip("check --user on a database root owns", "SQLite only: the file's owner")
        else:
            # A root-owned database the user could not write: check says so.
            rdb = os.path.join(work, "root.db")
            shutil.copyfile(backup, rdb)
            rc, out, err = cli(["check", "--db", rdb, "--user", TEST_USER])
            t.ok(rc == 1 and "cannot write" in out, "check --user on a database root owns: exit 1, says why", out + err)
    finally:
        if holder is not None:
            holder.cleanup()
        shutil.rmtree(work, ignore_errors=True)


def test_wal_external(t):
    """--wal-checkpoint external: petitiond never checkpoints (the WAL stays
    beside a stopped server's database), and the dashboard warns when the WAL
    has grown past 512 MB (Litestream gone?)."""
    if H.engine() == "pg":
        t.skip("--wal-checkpoint external", "SQLite only: the -wal file beside the database "
               "(Litestream); PostgreSQL checkpoints its own WAL")
        return
    with H.Server(extra_args=["--wal-checkpoint", "external"]) as srv:
        for i in range(20):
            st, _, _ = srv.sign({"name": "Wal %d" % i, "email": "wal%d@example.org" % i,
                                 "country": "KH"})
        t.eq(st, 303, "signing with --wal-checkpoint external")
        st, _, b = srv.request("GET", "/admin", headers=srv.auth_header())
        t.ok(st == 200 and b"write-ahead log has grown" not in b, "a small WAL: no warning")
        wal = srv.db + "-wal"
        size = os.path.getsize(wal)
        # Sparse zeros past the last frame: SQLite reads up to the last
        # frame whose checksum holds and ignores the rest.
        os.truncate(wal, 600 * 1024 * 1024)
        st, _, b = srv.request("GET", "/admin", headers=srv.auth_header())
        t.ok(st == 200 and b"write-ahead log has grown to 600 MB" in b,
             "a WAL past 512 MB: the dashboard warns (is Litestream running?)")
        srv.stop()
        t.ok(os.path.exists(wal), "after a clean stop the WAL is still there (nothing "
             "checkpointed it)")
        os.truncate(wal, size)
        srv.start()
        t.eq(srv.count(), 20, "restarted on that WAL: every signature there")


def main(t):
    old = os.umask(0o022)  # what a shell usually has: the server must not rely on it
    try:
        test_usage(t)
        test_backup_guards(t)
        test_second_server(t)
        test_quick_check_and_check(t)
        test_restore(t)
        test_healthcheck(t)
        test_user(t)
        test_wal_external(t)
        t.ok(not SANITIZER, "no sanitizer report from any subcommand", "\n".join(SANITIZER))
    finally:
        os.umask(old)


if __name__ == "__main__":
    H.run(main, limit=110)
