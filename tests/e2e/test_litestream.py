#!/usr/bin/env python3
"""test_litestream.py -- petitiond --wal-checkpoint external under a real Litestream.

A short version of the trial behind the README's "Continuous replication with Litestream":
petitiond started with --wal-checkpoint external (it never checkpoints the WAL, Litestream
does), `litestream replicate` following its database into a local folder (type: file, no
network), a burst of signatures on 4 keep-alive connections, then `litestream restore` and
`petitiond restore`. Two rounds, each on a fresh server and a fresh replica:

- the restored copy is whole: `PRAGMA integrity_check` ok, exactly as many rows as
  signatures acknowledged (201), every acknowledged email among them (read without
  indexes, so a damaged index cannot hide a row), and `petitiond restore` accepts it,
  its `stats` giving the same count;
- the first round also restores while both programs still run (the README's drill) and
  checks that copy's integrity;
- with --wal-checkpoint external a clean stop leaves the -wal beside the database (no
  checkpoint at close: the frames stay for Litestream), and both programs exit 0.

Under the default (--wal-checkpoint auto) the same trial with 20,000 signatures sometimes left
replicas that failed integrity_check (README); this test runs only the supported setting.

LITESTREAM_TRIAL=CLIENTSxPERxROUNDS runs it at another size: 8x2500x7 is the README's trial
(20,000 signatures a round, 7 rounds).

Needs a `litestream` binary: $LITESTREAM_BIN, else `litestream` on PATH; without one the
test is skipped (nothing is downloaded). The yml uses `replicas:`, which Litestream 0.3
reads and 0.5 still accepts. Only processes started here are signalled, by PID.
"""

import http.client
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

ROUNDS = 2
CLIENTS = 4
PER_CLIENT = 750          # 3,000 signatures a round
LS_START_TIMEOUT = 10.0   # seconds until Litestream has written into the replica folder
LS_STOP_TIMEOUT = 40.0    # Litestream uploads what is pending on SIGTERM (0.5: up to 30 s)
CMD_TIMEOUT = 60          # seconds, any one command
SETTLE = 2.5              # seconds after the burst: Litestream syncs every second


def trial_size():
    """(clients, signatures per client, rounds): LITESTREAM_TRIAL, else the short test."""
    v = os.environ.get("LITESTREAM_TRIAL", "")
    parts = v.split("x")
    if len(parts) == 3 and all(p.isdigit() and int(p) > 0 for p in parts):
        return tuple(int(p) for p in parts)
    return CLIENTS, PER_CLIENT, ROUNDS


def find_litestream():
    """(path, None), or (None, the reason to skip)."""
    env = os.environ.get("LITESTREAM_BIN")
    if env:
        if os.path.isfile(env) and os.access(env, os.X_OK):
            return env, None
        return None, "LITESTREAM_BIN=%s is not an executable file" % env
    found = shutil.which("litestream")
    if found:
        return found, None
    # `make litestream-deps` (run by .ci/run) installs it here from npm.
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "litestream",
                        "node_modules", "@flydotio", "litestream-linux-x64", "litestream")
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return os.path.normpath(here), None
    return None, ("no litestream binary: set LITESTREAM_BIN or put litestream on PATH "
                  "(not a Debian package; npm @flydotio/litestream-linux-x64 has 0.3.13)")


def write_config(path, db, replica):
    with open(path, "w") as f:
        f.write("dbs:\n"
                "  - path: %s\n"
                "    replicas:\n"
                "      - type: file\n"
                "        path: %s\n"
                "        sync-interval: 1s\n" % (db, replica))


def folder_has_files(path):
    for _, _, files in os.walk(path):
        if files:
            return True
    return False


def burst(port, tag, clients, per_client):
    """`clients` keep-alive connections sign `per_client` times each. Returns (the emails
    acknowledged with 201, {status: count})."""
    acked, codes = [], {}
    lock = threading.Lock()

    def client(k):
        conn = http.client.HTTPConnection(H.HOST, port, timeout=H.REQUEST_TIMEOUT)
        try:
            for i in range(per_client):
                email = "ls-%s-%d-%d@example.org" % (tag, k, i)
                body = urllib.parse.urlencode({"name": "Replica %s %d %d" % (tag, k, i),
                                               "email": email, "country": "KH"})
                try:
                    conn.request("POST", "/sign", body, {"Content-Type": H.FORM_CT,
                                                         "Accept": "application/json"})
                    r = conn.getresponse()
                    r.read()
                    st = r.status
                except (OSError, http.client.HTTPException) as e:
                    st = type(e).__name__
                    conn.close()
                    conn = http.client.HTTPConnection(H.HOST, port, timeout=H.REQUEST_TIMEOUT)
                with lock:
                    codes[st] = codes.get(st, 0) + 1
                    if st == 201:
                        acked.append(email)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return acked, codes


def ls_restore(ls, conf, db, out):
    p = subprocess.run([ls, "restore", "-config", conf, "-o", out, db], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=CMD_TIMEOUT)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def open_copy(path):
    """(integrity_check's first line, row count, set of emails) of a restored file, read
    without indexes."""
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
        emails = [r[0] for r in con.execute("SELECT email FROM signatures NOT INDEXED")]
        return integrity, len(emails), set(emails)
    finally:
        con.close()


def cli(*args):
    p = subprocess.run([H.server_bin()] + list(args), stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=CMD_TIMEOUT,
                       env=H.clean_env())
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def stop_litestream(proc):
    """SIGTERM, then SIGKILL after LS_STOP_TIMEOUT. Returns the exit status (None: killed)."""
    if proc.poll() is not None:
        return proc.returncode
    proc.terminate()
    try:
        return proc.wait(timeout=LS_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
        return None


def one_round(t, ls, n, clients, per_client):
    name = "round %d: " % n
    with H.Server(extra_args=["--wal-checkpoint", "external"]) as srv:
        conf = os.path.join(srv.dir, "litestream.yml")
        replica = os.path.join(srv.dir, "replica")
        lslog = os.path.join(srv.dir, "litestream.log")
        write_config(conf, srv.db, replica)
        t.ok("WAL checkpoints left to another program" in srv.stderr(),
             name + "petitiond says it leaves WAL checkpoints to another program",
             srv.stderr()[-1500:])
        with open(lslog, "wb") as f:
            proc = subprocess.Popen([ls, "replicate", "-config", conf], stdin=subprocess.DEVNULL,
                                    stdout=f, stderr=subprocess.STDOUT, cwd=srv.dir)
        try:
            deadline = time.monotonic() + LS_START_TIMEOUT
            while time.monotonic() < deadline and proc.poll() is None \
                    and not folder_has_files(replica):
                time.sleep(0.1)
            if not t.ok(proc.poll() is None and folder_has_files(replica),
                        name + "litestream replicate runs and writes into the replica folder",
                        open(lslog, "rb").read().decode("utf-8", "replace")[-2000:]):
                return
            wal_peak = [0]
            done = threading.Event()

            def sample():
                while not done.is_set():
                    try:
                        wal_peak[0] = max(wal_peak[0], os.path.getsize(srv.db + "-wal"))
                    except OSError:
                        pass
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample)
            sampler.start()
            t0 = time.monotonic()
            try:
                acked, codes = burst(srv.port, "r%d" % n, clients, per_client)
            finally:
                elapsed = time.monotonic() - t0
                done.set()
                sampler.join(timeout=5)
            want = clients * per_client
            t.eq(len(acked), want, name + "every signature of the burst acknowledged (201)")
            t.note("%d signatures in %.1f s (%.0f/s), statuses %r, WAL peak %.1f MB"
                   % (len(acked), elapsed, len(acked) / max(elapsed, 0.001), codes,
                      wal_peak[0] / 1e6))
            time.sleep(SETTLE)

            if n == 1:
                drill = os.path.join(srv.dir, "drill.db")
                rc, out = ls_restore(ls, conf, srv.db, drill)
                ok = rc == 0 and os.path.exists(drill)
                t.ok(ok, name + "litestream restore while both run (the drill) exits 0",
                     out[-1500:])
                if ok:
                    integrity, rows, _ = open_copy(drill)
                    t.eq(integrity, "ok", name + "the drill's copy passes integrity_check")
                    t.ok(0 < rows <= len(acked), name + "the drill's copy holds signatures, "
                         "no more than were acknowledged", rows)

            rc = srv.stop()
            t.eq(rc, 0, name + "petitiond exits 0 on SIGTERM")
            t.ok(os.path.exists(srv.db + "-wal"),
                 name + "--wal-checkpoint external: the -wal stays after a clean stop "
                 "(no checkpoint at close)")
            rc = stop_litestream(proc)
            t.eq(rc, 0, name + "litestream exits 0 on SIGTERM")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)

        restored = os.path.join(srv.dir, "restored.db")
        rc, out = ls_restore(ls, conf, srv.db, restored)
        if not t.ok(rc == 0 and os.path.exists(restored),
                    name + "litestream restore exits 0 and writes the copy", out[-1500:]):
            return
        integrity, rows, emails = open_copy(restored)
        t.eq(integrity, "ok", name + "the restored copy passes integrity_check")
        t.eq(rows, len(acked), name + "the restored copy holds as many rows as signatures "
             "acknowledged")
        missing = [e for e in acked if e not in emails]
        t.ok(not missing, name + "every acknowledged signature is in the restored copy",
             "%d missing, e.g. %r" % (len(missing), missing[:5]))

        newdb = os.path.join(srv.dir, "new", "petition.db")
        os.makedirs(os.path.dirname(newdb))
        rc, out, err = cli("restore", restored, "--db", newdb)
        t.eq(rc, 0, name + "petitiond restore accepts the copy")
        if rc != 0:
            t.note(err[-1500:])
            return
        rc, out, err = cli("stats", "--json", "--db", newdb)
        count = (H.json_body(out.encode("utf-8")) or {}).get("count") if rc == 0 else None
        t.eq(count, len(acked), name + "petitiond stats on the restored database counts them all")


def main(t):
    ls, reason = find_litestream()
    if ls is None:
        t.skip("Litestream replication and restore with --wal-checkpoint external", reason)
        return
    p = subprocess.run([ls, "version"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=CMD_TIMEOUT)
    t.ok(p.returncode == 0, "litestream version answers", p.stdout[-500:])
    t.note("litestream %s (%s)" % (p.stdout.decode("utf-8", "replace").strip(), ls))
    clients, per_client, rounds = trial_size()
    for n in range(1, rounds + 1):
        one_round(t, ls, n, clients, per_client)


if __name__ == "__main__":
    # The short test takes about 20 s; a larger LITESTREAM_TRIAL gets room in proportion
    # (at least 500 signatures a second, 60 s of starts, stops and restores a round).
    c, p, r = trial_size()
    H.run(main, limit=max(110, r * (c * p // 500 + 60)))
