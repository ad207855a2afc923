#!/usr/bin/env python3
"""test_backup_timer.py -- scheduled backups (deploy/petitiond-backup with its .service and
.timer) and the shape of deploy/litestream.yml, as far as a machine without systemd as PID 1
and without Litestream allows.

- `systemd-analyze verify` accepts the service and the timer (the script's installed path
  pointed at deploy/petitiond-backup, since verify checks that it exists);
  `systemd-analyze security --offline=true` rates the service below 1.0; the unit's
  ExecStart= matches the script's own defaults (database, folder, 48 kept); skipped with a
  reason where systemd-analyze is missing;
- deploy/petitiond-backup against a real server ($PETITIOND_BIN): dated files
  (NAME-YYYYMMDDTHHMMSSZ.db, sorting in time order), mode 0600 in a folder it makes 0700,
  `PRAGMA integrity_check` ok, as many rows as the server counted, taken while signatures
  keep coming; with --keep 2 the oldest go, never one in use as a database (a -journal
  beside it); a leftover temporary file from an interrupted run is removed; a failed backup
  (not a database, no database, no binary) deletes nothing and leaves no file; a second run
  while one holds the folder's lock exits 75; bad arguments exit 2 and touch nothing; the
  newest backup restores with `petitiond restore`;
- deploy/litestream.yml: parsed (a small YAML-subset reader, cross-checked with PyYAML when
  it is installed): the unit's database path, one replica of type s3 with a bucket, an
  endpoint and sync-interval 1s, snapshot interval and retention, no credentials in the
  file (keys only through the environment).
tests/container/systemd-run runs the service and the timer under a real systemd.
"""

import calendar
import fcntl
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

DEPLOY = os.path.join(H.REPO, "deploy")
SCRIPT = os.path.join(DEPLOY, "petitiond-backup")
SERVICE = os.path.join(DEPLOY, "petitiond-backup.service")
TIMER = os.path.join(DEPLOY, "petitiond-backup.timer")
LITESTREAM = os.path.join(DEPLOY, "litestream.yml")
MAIN_UNIT = os.path.join(DEPLOY, "petitiond.service")
INSTALLED_SCRIPT = "/usr/local/bin/petitiond-backup"
EXPOSURE = 1.0  # the service measures 0.2 with systemd 252
RUN_TIMEOUT = 60  # seconds, one run of the script
NAME_RE = re.compile(r"^sig-(\d{8}T\d{6}Z)\.db$")


def run_script(args, env_extra=None):
    """Runs deploy/petitiond-backup through /bin/sh (as the unit's ExecStart= would run
    the installed copy). Returns (exit status, stdout + stderr)."""
    env = H.clean_env(PETITIOND_BIN=H.server_bin())
    env.update(env_extra or {})
    p = subprocess.run(["sh", SCRIPT] + args, env=env, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def backups(folder):
    """The dated backup names in folder, oldest first."""
    try:
        return sorted(n for n in os.listdir(folder) if NAME_RE.match(n))
    except OSError:
        return []


def listing(folder):
    try:
        return sorted(os.listdir(folder))
    except OSError as e:
        return repr(e)


def integrity(path):
    """PRAGMA integrity_check of path: with the sqlite3 shell when installed (what an
    operator would type), else Python's module. Returns its first line."""
    if shutil.which("sqlite3"):
        p = subprocess.run(["sqlite3", "-readonly", path, "PRAGMA integrity_check"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        out = (p.stdout + p.stderr).decode("utf-8", "replace").strip()
        return out.splitlines()[0] if out else "(nothing, exit %d)" % p.returncode
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def rows(path):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    try:
        return con.execute("SELECT count(*) FROM signatures").fetchone()[0]
    finally:
        con.close()


def sign_n(srv, n, tag):
    hidden = srv.hidden_fields()
    good = 0
    for i in range(n):
        st, _, _ = srv.sign({"name": "Backup %s %d" % (tag, i), "email": "%s-%d@example.org" % (tag, i),
                             "country": "KH"}, json=True, hidden=hidden)
        good += st == 201
    return good


def wait_count(srv, n, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if srv.count() == n:
            return True
        time.sleep(0.05)
    return srv.count() == n


def directives(text, key):
    return [ln.split("=", 1)[1].strip() for ln in text.splitlines()
            if ln.startswith(key + "=") and not ln.startswith("#")]


def analyze(args):
    r = subprocess.run(["systemd-analyze"] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    return r.returncode, r.stdout.decode("utf-8", "replace")


# --------------------------------------------------------------------------
# the units


def test_units(t, work):
    with open(SERVICE) as f:
        service = f.read()
    with open(TIMER) as f:
        timer = f.read()
    with open(MAIN_UNIT) as f:
        main_unit = f.read()

    execs = directives(service, "ExecStart")
    t.eq(len(execs), 1, "the service has one ExecStart=")
    argv = execs[0].split() if execs else []
    t.ok(argv[:1] == [INSTALLED_SCRIPT], "the service runs %s" % INSTALLED_SCRIPT, execs)
    opts = dict(zip(argv[1::2], argv[2::2]))
    main_db = re.search(r"--db (\S+)", "".join(directives(main_unit, "ExecStart")))
    t.ok(main_db and opts.get("--db") == main_db.group(1),
         "the service backs up the database petitiond.service serves (%s)" % opts.get("--db"),
         "service %r, petitiond.service %r" % (opts, main_db and main_db.group(1)))
    with open(SCRIPT) as f:
        script = f.read()
    defaults = {"--db": r"PETITIOND_DB:-(\S+)\}", "--dir": r"PETITIOND_BACKUP_DIR:-(\S+)\}",
                "--keep": r"PETITIOND_BACKUP_KEEP:-(\S+)\}"}
    same = {k: (opts.get(k), (re.search(v, script) or [None, None])[1]) for k, v in defaults.items()}
    t.ok(all(a == b and a for a, b in same.values()),
         "the service's --db, --dir and --keep are the script's own defaults", same)
    t.ok(opts.get("--dir") == "/var/lib/" + "".join(directives(service, "StateDirectory")).split()[-1],
         "the backup folder is the service's own StateDirectory (under /var/lib/private, 0700)",
         "%r %r" % (opts.get("--dir"), directives(service, "StateDirectory")))
    t.ok(directives(service, "User") == ["petitiond"] and directives(service, "DynamicUser") == ["yes"]
         and "DynamicUser=yes" in main_unit and not directives(main_unit, "User"),
         "the service runs as petitiond.service's dynamic user (named after that unit)")
    t.ok(directives(timer, "Persistent") == ["true"] and directives(timer, "OnCalendar"),
         "the timer has OnCalendar= and Persistent=true", timer)
    t.ok("timers.target" in "".join(directives(timer, "WantedBy")), "the timer is wanted by timers.target")
    t.ok(os.access(SCRIPT, os.X_OK), "deploy/petitiond-backup is executable")

    if not shutil.which("systemd-analyze"):
        t.skip("systemd-analyze verify and security", "systemd-analyze not installed (apt-get install systemd)")
        return
    d = os.path.join(work, "units")
    os.makedirs(d)
    with open(os.path.join(d, "petitiond-backup.service"), "w") as f:
        f.write(service.replace("ExecStart=" + INSTALLED_SCRIPT, "ExecStart=" + SCRIPT))
    shutil.copy(TIMER, os.path.join(d, "petitiond-backup.timer"))
    rc, out = analyze(["verify", os.path.join(d, "petitiond-backup.service"),
                       os.path.join(d, "petitiond-backup.timer")])
    t.ok(rc == 0 and "petitiond-backup" not in out,
         "systemd-analyze verify deploy/petitiond-backup.service and .timer", out)
    rc, out = analyze(["security", "--offline=true", os.path.join(d, "petitiond-backup.service")])
    m = re.search(r"Overall exposure level for petitiond-backup\.service:\s*([\d.]+)", out)
    e = float(m.group(1)) if m else None
    t.ok(e is not None and e < EXPOSURE,
         "systemd-analyze security --offline=true: exposure %s, below %.1f" % (e, EXPOSURE), out[-2500:])
    cal = directives(timer, "OnCalendar")[0]
    rc, out = analyze(["calendar", cal])
    t.ok(rc == 0 and "Next elapse" in out, "systemd-analyze calendar %s: a valid schedule" % cal, out)


# --------------------------------------------------------------------------
# the script against a real server


def test_script(t, work):
    folder = os.path.join(work, "backups")
    with H.Server() as srv:
        t.eq(sign_n(srv, 3, "first"), 3, "3 signatures acknowledged")

        # 1: a first backup; the folder is made 0700.
        rc, out = run_script(["--db", srv.db, "--dir", folder, "--keep", "2"])
        names = backups(folder)
        t.ok(rc == 0 and len(names) == 1, "first run: exit 0, one dated backup", "exit %r\n%s\n%r"
             % (rc, out, listing(folder)))
        t.ok(os.path.isdir(folder) and stat.S_IMODE(os.stat(folder).st_mode) == 0o700,
             "the folder it made is 0700", oct(os.stat(folder).st_mode) if os.path.isdir(folder) else "none")
        if not names:
            return
        first = os.path.join(folder, names[0])
        st = os.stat(first)
        t.eq(stat.S_IMODE(st.st_mode), 0o600, "the backup is mode 0600")
        t.eq(st.st_uid, os.getuid(), "the backup belongs to the user who ran it")
        stamp = NAME_RE.match(names[0]).group(1)
        t.ok(abs(calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ")) - time.time()) < 120,
             "its name is the UTC time of the run (%s)" % names[0])
        t.eq(integrity(first), "ok", "sqlite3 %s 'PRAGMA integrity_check': ok" % names[0])
        t.eq(rows(first), 3, "it holds the 3 signatures")
        t.ok("wrote" in out and names[0] in out, "the run says what it wrote", out)
        t.ok(sorted(os.listdir(folder)) == [".petitiond-backup.lock", names[0]],
             "nothing else in the folder (no temporary file)", listing(folder))

        # 2: taken while signatures keep coming (online); the row count is what the
        # snapshot saw, at least the 3 before and at most what was acknowledged.
        done = []
        signer = threading.Thread(target=lambda: done.append(sign_n(srv, 40, "during")))
        signer.start()
        rc, out = run_script(["--db", srv.db, "--dir", folder, "--keep", "2"])
        signer.join(60)
        names = backups(folder)
        t.ok(rc == 0 and len(names) == 2, "second run, during 40 signatures: exit 0, two backups",
             "exit %r\n%s\n%r" % (rc, out, listing(folder)))
        if len(names) == 2:
            second = os.path.join(folder, names[1])
            n = rows(second)
            t.ok(integrity(second) == "ok" and 3 <= n <= 3 + (done[0] if done else 40),
                 "the backup taken under load: integrity ok, %d rows (between 3 and %s)"
                 % (n, 3 + (done[0] if done else 40)), integrity(second))
        t.ok(done and done[0] == 40 and wait_count(srv, 43), "all 40 acknowledged; the server counts 43",
             "%r, count %r" % (done, srv.count()))

        # 3: keep 2 -- the first goes; the new one has every row; a leftover temporary
        # file of an interrupted run goes too.
        stale = os.path.join(folder, "sig-20200101T000000Z.db.tmp-AbC123")
        with open(stale, "w") as f:
            f.write("half a copy")
        before = names
        rc, out = run_script(["--db", srv.db, "--dir", folder, "--keep", "2"])
        names = backups(folder)
        t.ok(rc == 0 and len(names) == 2 and names[0] == before[1] and names[1] not in before,
             "third run with --keep 2: exit 0, the oldest deleted, the two newest kept",
             "exit %r\n%s\nbefore %r, after %r" % (rc, out, before, names))
        t.ok("deleted" in out and before[0] in out, "the run names what it deleted", out)
        t.ok(not os.path.exists(stale), "the temporary file an interrupted run left is removed", out)
        newest = os.path.join(folder, names[-1])
        t.ok(integrity(newest) == "ok" and rows(newest) == srv.count() == 43,
             "the newest backup: integrity ok, 43 rows, as the server counts",
             "rows %r, count %r" % (rows(newest), srv.count()))
        t.ok(len(set(names)) == len(names) and names == sorted(names) and names[-1] > before[-1],
             "names are distinct and sort in the order the runs were made", names)

        # 4: failures delete nothing. Not a database, under the same name (sig.db).
        keep_before = backups(folder)
        bad = os.path.join(work, "bad")
        os.makedirs(bad)
        with open(os.path.join(bad, "sig.db"), "wb") as f:
            f.write(b"this is not an SQLite database, " * 200)
        rc, out = run_script(["--db", os.path.join(bad, "sig.db"), "--dir", folder, "--keep", "1"])
        t.ok(rc == 1 and backups(folder) == keep_before,
             "a failed backup (not a database) with --keep 1: exit 1, the previous backups untouched",
             "exit %r\n%s\n%r" % (rc, out, listing(folder)))
        t.ok(sorted(os.listdir(folder)) == sorted(keep_before + [".petitiond-backup.lock"]),
             "and no new or temporary file", listing(folder))
        t.ok("no backup deleted" in out, "it says that nothing was deleted", out)
        rc, out = run_script(["--db", os.path.join(work, "nothing.db"), "--dir", folder, "--keep", "1"])
        t.ok(rc == 1 and backups(folder) == keep_before and "no database" in out,
             "no database: exit 1, nothing deleted", "exit %r\n%s" % (rc, out))
        rc, out = run_script(["--db", srv.db, "--dir", folder, "--keep", "1",
                              "--bin", os.path.join(work, "no-petitiond")])
        t.ok(rc == 1 and backups(folder) == keep_before and "no petitiond binary" in out,
             "no petitiond binary: exit 1, nothing deleted", "exit %r\n%s" % (rc, out))

        # 5: bad usage: exit 2, nothing read or written.
        for args, why in ((["--keep", "0"], "--keep 0"), (["--keep", "two"], "--keep two"),
                          (["--keep", "-1"], "--keep -1"), (["--keep"], "--keep without a value"),
                          (["--frobnicate"], "an unknown option")):
            rc, out = run_script(["--db", srv.db, "--dir", folder] + args)
            t.ok(rc == 2 and backups(folder) == keep_before and ("usage" in out or "must be" in out),
                 "%s: exit 2, nothing written or deleted" % why, "exit %r\n%s" % (rc, out))

        # 6: one at a time: while another holds the folder's lock, exit 75, nothing done.
        lock = open(os.path.join(folder, ".petitiond-backup.lock"), "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            rc, out = run_script(["--db", srv.db, "--dir", folder, "--keep", "1"])
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()
        t.ok(rc == 75 and backups(folder) == keep_before and "another" in out,
             "a run while another holds the folder's lock: exit 75, nothing written or deleted",
             "exit %r\n%s" % (rc, out))

        # 7: a backup in use as a database (someone opened it and is writing: a -journal
        # beside it) is never deleted, even past --keep.
        oldest = os.path.join(folder, keep_before[0])
        with open(oldest + "-journal", "wb") as f:
            f.write(b"")
        rc, out = run_script(["--db", srv.db, "--dir", folder, "--keep", "1"])
        names = backups(folder)
        t.ok(rc == 0 and keep_before[0] in names and keep_before[1] not in names and len(names) == 2,
             "--keep 1 with the oldest in use (a -journal beside it): that one kept, the other "
             "old one deleted", "exit %r\n%s\n%r" % (rc, out, listing(folder)))
        t.ok("kept" in out and "in use" in out, "the run says why it kept it", out)
        os.unlink(oldest + "-journal")
        rc, out = run_script(["--db", srv.db, "--dir", folder, "--keep", "1"])
        names = backups(folder)
        t.ok(rc == 0 and len(names) == 1 and keep_before[0] not in names,
             "once no longer in use, the next run deletes it (one left)", "exit %r\n%s\n%r"
             % (rc, out, listing(folder)))

        # 8: the environment instead of flags (how the unit's Environment= could set them).
        env_folder = os.path.join(work, "env-backups")
        rc, out = run_script([], {"PETITIOND_DB": srv.db, "PETITIOND_BACKUP_DIR": env_folder,
                                  "PETITIOND_BACKUP_KEEP": "1"})
        t.ok(rc == 0 and len(backups(env_folder)) == 1,
             "PETITIOND_DB, PETITIOND_BACKUP_DIR, PETITIOND_BACKUP_KEEP work like the flags",
             "exit %r\n%s" % (rc, out))
        final = os.path.join(folder, names[-1]) if names else ""

    # 9: the newest backup restores (the server stopped).
    if final:
        target = os.path.join(work, "restored", "sig.db")
        os.makedirs(os.path.dirname(target))
        p = subprocess.run([H.server_bin(), "restore", final, "--db", target], env=H.clean_env(),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=RUN_TIMEOUT)
        t.ok(p.returncode == 0 and rows(target) == 43,
             "petitiond restore of the newest backup: exit 0, 43 signatures",
             (p.stdout + p.stderr).decode("utf-8", "replace"))


# --------------------------------------------------------------------------
# deploy/litestream.yml


def parse_yaml_subset(text):
    """Parses the YAML that deploy/litestream.yml uses: block mappings, block lists of
    mappings or scalars, plain or quoted scalars, comments. Raises ValueError on anything
    else (tabs, flow collections, anchors, multi-line scalars)."""
    lines = []
    for no, raw in enumerate(text.splitlines(), 1):
        if "\t" in raw:
            raise ValueError("line %d: a tab (YAML indents with spaces)" % no)
        s = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if s.strip():
            lines.append((no, len(s) - len(s.lstrip(" ")), s.strip()))

    def scalar(v, no):
        if v[:1] in "[{&*|>!%@`":
            raise ValueError("line %d: unsupported value %r" % (no, v))
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
            return v[1:-1]
        return v

    def block(i, indent):
        """Parses lines[i:] at this indent; returns (value, next i)."""
        if i < len(lines) and lines[i][2].startswith("- "):
            out = []
            while i < len(lines) and lines[i][1] == indent and lines[i][2].startswith("- "):
                no, _, s = lines[i]
                rest = s[2:].strip()
                inner = indent + 2
                if re.match(r"^[A-Za-z0-9_.-]+:(\s|$)", rest):
                    lines[i] = (no, inner, rest)  # the item's first key, re-read as a mapping
                    v, i = block(i, inner)
                else:
                    v, i = scalar(rest, no), i + 1
                out.append(v)
            return out, i
        out = {}
        while i < len(lines) and lines[i][1] == indent:
            no, _, s = lines[i]
            m = re.match(r"^([A-Za-z0-9_.-]+):(?:\s+(.*))?$", s)
            if not m:
                raise ValueError("line %d: not a key: value line: %r" % (no, s))
            key, val = m.group(1), (m.group(2) or "").strip()
            if key in out:
                raise ValueError("line %d: %s given twice" % (no, key))
            if val:
                out[key], i = scalar(val, no), i + 1
            elif i + 1 < len(lines) and (lines[i + 1][1] > indent or
                                         (lines[i + 1][1] == indent and lines[i + 1][2].startswith("- "))):
                out[key], i = block(i + 1, lines[i + 1][1])
            else:
                out[key], i = None, i + 1
        return out, i

    value, i = block(0, 0) if lines else ({}, 0)
    if i != len(lines):
        raise ValueError("line %d: unexpected indentation" % lines[i][0])
    return value


def stringify(v):
    """PyYAML's result with every scalar as the text it was written as."""
    if isinstance(v, dict):
        return {str(k): stringify(x) for k, x in v.items()}
    if isinstance(v, list):
        return [stringify(x) for x in v]
    return None if v is None else str(v)


def test_litestream(t):
    with open(LITESTREAM) as f:
        text = f.read()
    try:
        conf = parse_yaml_subset(text)
        t.ok(isinstance(conf, dict), "deploy/litestream.yml parses (block mappings and lists, spaces)")
    except ValueError as e:
        t.ok(False, "deploy/litestream.yml parses (block mappings and lists, spaces)", str(e))
        return
    try:
        import yaml  # PyYAML, when installed: the same tree
    except ImportError:
        t.skip("PyYAML reads the same tree", "PyYAML not installed (python3-yaml)")
    else:
        try:
            theirs = stringify(yaml.safe_load(text))
        except yaml.YAMLError as e:
            theirs = "error: %s" % e
        t.ok(theirs == conf, "PyYAML reads the same tree", "ours %r\nPyYAML %r" % (conf, theirs))

    dbs = conf.get("dbs")
    t.ok(isinstance(dbs, list) and len(dbs) == 1 and isinstance(dbs[0], dict),
         "one database under dbs", dbs)
    db = dbs[0] if isinstance(dbs, list) and dbs and isinstance(dbs[0], dict) else {}
    with open(MAIN_UNIT) as f:
        main_db = re.search(r"--db (\S+)", "".join(directives(f.read(), "ExecStart")))
    t.ok(main_db and db.get("path") == main_db.group(1),
         "its path is petitiond.service's database (%s)" % db.get("path"))
    t.ok(db.get("meta-path", "").startswith("/var/lib/litestream/"),
         "Litestream's bookkeeping is kept outside petitiond's state folder", db.get("meta-path"))
    t.eq(db.get("busy-timeout"), "5s", "busy-timeout 5s, as petitiond's STORE_BUSY_TIMEOUT_MS")
    with open(os.path.join(H.REPO, "server", "store.h")) as f:
        m = re.search(r"#define STORE_BUSY_TIMEOUT_MS (\d+)", f.read())
    t.ok(m and int(m.group(1)) == 5000, "and store.h still says 5000 ms", m and m.group(0))
    rep = db.get("replica")
    t.ok(isinstance(rep, dict) and "replicas" not in db,
         "one replica, the 0.5 form (replica:, not the deprecated replicas: list)", db)
    rep = rep if isinstance(rep, dict) else {}
    t.eq(rep.get("type"), "s3", "replica type s3")
    t.ok(rep.get("bucket") and rep.get("path"), "a bucket and a path in it", rep)
    t.ok(re.match(r"^https://[A-Za-z0-9.-]+(:\d+)?/?$", rep.get("endpoint") or ""),
         "an https endpoint (S3-compatible storage)", rep.get("endpoint"))
    t.eq(rep.get("sync-interval"), "1s", "sync-interval 1s (Litestream's default, the lag the README gives)")
    snap = conf.get("snapshot") or {}
    t.ok(snap.get("interval") == "1h" and snap.get("retention") == "24h",
         "snapshot interval 1h, retention 24h (global, as Litestream 0.5 reads them)", snap)

    def keys(v, path=""):
        if isinstance(v, dict):
            for k, x in v.items():
                yield path + k, x
                yield from keys(x, path + k + ".")
        elif isinstance(v, list):
            for x in v:
                yield from keys(x, path)
    secret_keys = [k for k, v in keys(conf) if re.search(r"(access-key|secret|password|token|"
                                                        r"account-key|sse-customer-key$)", k.split(".")[-1])]
    t.ok(not secret_keys, "no credential keys in the file (access-key-id, secret-access-key, ...)",
         secret_keys)
    t.ok(not re.search(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b", text) and
         not re.search(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])", text),
         "nothing that looks like an AWS key id or secret, even in comments")
    t.ok("LITESTREAM_ACCESS_KEY_ID" in text and "LITESTREAM_SECRET_ACCESS_KEY" in text
         and "EnvironmentFile=" in text,
         "the comments say where the keys go (LITESTREAM_* variables, a drop-in's EnvironmentFile=)")


def main(t):
    work = tempfile.mkdtemp(prefix="petitiond-backup-")
    try:
        test_units(t, work)
        test_script(t, work)
        test_litestream(t)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    H.run(main, limit=100)
