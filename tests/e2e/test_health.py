#!/usr/bin/env python3
"""test_health.py -- /healthz tells the truth, and a broken export looks broken.

- Disk full (the LD_PRELOAD shim of tests/fault, path in $FAULTFS_LIB; on
  PostgreSQL a trigger raising its disk_full error on every INSERT into
  signatures): while the last commit failed, /healthz is 503 with a one-line
  reason in plain text; once a signature commits again, 200.
- A database corrupted under the running server: the export streams its
  first rows, then hits the bad page. The chunked answer must end without its
  terminating empty chunk ("0\\r\\n\\r\\n") -- seen over a raw socket -- so a
  client knows the file is cut; the log carries SQLite's message; and from
  then on /healthz is 503 ("corrupt"), although the counters still read fine.
"""
import http.client
import os
import re
import shutil
import socket
import sqlite3
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

HEALTH_CACHE_S = 1.0  # api.c: the database is read for /healthz at most once a second
ROWS = 1500           # enough CSV for many 64 KiB blocks (export.c) and table pages


def healthz(srv):
    st, h, b = srv.get("/healthz")
    return st, h, b.decode("utf-8", "replace")


def wait_health(srv, want, timeout=5.0):
    """Polls /healthz until its status is want (or timeout); returns the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        r = healthz(srv)
        if r[0] == want or time.monotonic() > deadline:
            return r
        time.sleep(0.2)


def one_line_text(t, label, h, body):
    t.ok(h.get("content-type", "").startswith("text/plain") and body.endswith("\n")
         and body.count("\n") == 1 and len(body) < 300,
         "%s: a short one-line text/plain reason" % label, "content-type %r body %r"
         % (h.get("content-type"), body))


def disk_full_checks(t, srv, fill, heal):
    """The disk-full sequence on a running server, whatever makes the commit
    fail: fill() makes it fail, heal() lets it succeed again."""
    st, _, body = healthz(srv)
    t.eq((st, body), (200, "ok\n"), "healthy disk: /healthz is 200 ok")
    fill()
    st, h, _ = srv.sign({"name": "Disk Full", "email": "full@example.org", "country": "KH"})
    t.eq(st, 503, "disk full: signing answers 503")
    st, h, body = healthz(srv)
    t.ok(st == 503 and "last commit failed" in body,
         "disk full: /healthz is 503 and says the last commit failed", "status %d body %r" % (st, body))
    one_line_text(t, "disk full 503", h, body)
    heal()
    st, h, body = healthz(srv)
    t.eq(st, 503, "disk healed but nothing committed yet: /healthz still 503 (the last commit failed)")
    ok = None
    deadline = time.monotonic() + 10
    n = 0
    while time.monotonic() < deadline:
        n += 1
        ok, _, _ = srv.sign({"name": "Disk Back", "email": "back-%d@example.org" % n, "country": "KH"})
        if ok == 303:
            break
        time.sleep(0.2)
    t.eq(ok, 303, "disk healed: signing recovers")
    st, h, body = healthz(srv)
    t.eq((st, body), (200, "ok\n"), "after a commit succeeds, /healthz is 200 ok again")


class PgDiskFull:
    """PostgreSQL's own answer to a full disk (SQLSTATE 53100, "could not
    extend file ... No space left on device") on every INSERT into
    signatures, from a statement trigger, while on() .. off()."""

    def __init__(self, srv):
        self.srv = srv
        srv.execute("CREATE FUNCTION e2e_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$"
                    " BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'"
                    " USING ERRCODE = 'disk_full'; END $$")

    def on(self):
        self.srv.execute("CREATE TRIGGER e2e_disk_full BEFORE INSERT ON signatures"
                         " FOR EACH STATEMENT EXECUTE FUNCTION e2e_disk_full()")

    def off(self):
        self.srv.execute("DROP TRIGGER IF EXISTS e2e_disk_full ON signatures")


def test_disk_full_pg(t):
    """test_disk_full's checks, the failure coming from PostgreSQL."""
    with H.Server() as srv:
        full = PgDiskFull(srv)
        disk_full_checks(t, srv, full.on, full.off)
        t.ok("No space left on device" in srv.stderr(), "the failed commit is logged with "
             "PostgreSQL's message", srv.stderr()[-1000:])
        H.check_clean_exit(t, srv, "disk-full server exits 0, no sanitizer reports")


def test_disk_full(t):
    if H.engine() == "pg":
        test_disk_full_pg(t)
        return
    lib = os.environ.get("FAULTFS_LIB")
    if not lib or not os.path.exists(lib):
        t.ok(False, "faultfs shim built (FAULTFS_LIB=%r)" % lib)
        return
    workdir = tempfile.mkdtemp(prefix="petitiond-health-")
    flag = os.path.join(workdir, "fault-flag")
    saved = {k: os.environ.get(k) for k in ("LD_PRELOAD", "FAULTFS_FLAG", "FAULTFS_MATCH", "ASAN_OPTIONS")}
    os.environ["LD_PRELOAD"] = lib
    opts = os.environ.get("ASAN_OPTIONS", "")
    os.environ["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "verify_asan_link_order=0"
    os.environ["FAULTFS_FLAG"] = flag
    os.environ["FAULTFS_MATCH"] = os.path.join(workdir, "sig.db")
    try:
        with H.Server(workdir=workdir) as srv:
            def fill():
                with open(flag, "w") as f:
                    f.write("F")

            disk_full_checks(t, srv, fill, lambda: os.remove(flag))
            H.check_clean_exit(t, srv, "disk-full server exits 0, no sanitizer reports")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        if not os.environ.get("PETITIOND_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)


def sign_many(srv, n, tag):
    """Signs n rows with long comments, 8 at a time; returns how many got 303."""
    ok = [0]
    lock = threading.Lock()
    hidden = srv.hidden_fields()

    def worker(k):
        for i in range(k, n, 8):
            st, _, _ = srv.sign({"name": "Health Row %d" % i, "email": "%s-%05d@example.org" % (tag, i),
                                 "country": "KH", "comment": ("row %05d " % i) * 90}, hidden=hidden)
            if st == 303:
                with lock:
                    ok[0] += 1

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    return ok[0]


def corrupt_table_page(path, marker):
    """Zeroes one table-leaf page of the database file that holds marker.
    Returns its page number, or None."""
    with open(path, "r+b") as f:
        data = f.read()
        ps = int.from_bytes(data[16:18], "big")
        ps = 65536 if ps == 1 else ps
        for pno in range(2, len(data) // ps + 1):
            off = (pno - 1) * ps
            page = data[off:off + ps]
            if page[0] == 0x0D and marker in page:
                f.seek(off)
                f.write(b"\0" * ps)
                f.flush()
                os.fsync(f.fileno())
                return pno
    return None


def raw_export(srv, timeout=10.0):
    """GET /admin/export.csv over a raw socket, read until the server closes
    (or timeout). Returns (bytes, closed_by_server)."""
    req = ("GET /admin/export.csv HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
           "Connection: close\r\n\r\n" % (srv.port, srv.token)).encode()
    s = socket.create_connection((H.HOST, srv.port), timeout=timeout)
    data = b""
    closed = False
    try:
        s.sendall(req)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                got = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                closed = True
                break
            if not got:
                closed = True
                break
            data += got
    finally:
        s.close()
    return data, closed


def dechunk(body):
    """(payload, saw_last_chunk) of a chunked body; stops at the first
    malformed or incomplete chunk."""
    out = b""
    i = 0
    while True:
        j = body.find(b"\r\n", i)
        if j < 0:
            return out, False
        m = re.match(rb"[0-9A-Fa-f]+", body[i:j])
        if not m:
            return out, False
        size = int(m.group(0), 16)
        if size == 0:
            return out, body[j + 2:j + 4] == b"\r\n"
        if len(body) < j + 2 + size + 2:
            return out + body[j + 2:j + 2 + size], False
        out += body[j + 2:j + 2 + size]
        i = j + 2 + size + 2


def test_corrupt(t):
    if H.engine() == "pg":
        t.skip("a database corrupted under the running server: the cut export and /healthz",
               "SQLite only: zeroes a page of the database file; PostgreSQL's pages belong "
               "to the whole cluster and sit in its shared buffers")
        return
    with H.Server() as srv:
        n = sign_many(srv, ROWS, "health")
        t.eq(n, ROWS, "%d signatures with long comments stored" % ROWS)
        # The good export first: complete, ends with the last chunk.
        data, closed = raw_export(srv)
        head, _, body = data.partition(b"\r\n\r\n")
        payload, last = dechunk(body)
        t.ok(b" 200 " in head.split(b"\r\n")[0] and b"chunked" in head.lower() and last
             and payload.count(b"\r\n") == ROWS + 1,
             "intact database: the export is 200, chunked, %d lines, ends with the empty last chunk" % (ROWS + 1),
             "head %r, last chunk %r, lines %d" % (head[:200], last, payload.count(b"\r\n")))
        # Move every page into the database file, then break one in the middle.
        db = sqlite3.connect(srv.db, timeout=10)
        try:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            db.close()
        pno = corrupt_table_page(srv.db, b"health-%05d@" % (ROWS // 2))
        t.ok(pno is not None, "found and zeroed the table page holding row %d (page %r)" % (ROWS // 2, pno))
        data, closed = raw_export(srv)
        head, _, body = data.partition(b"\r\n\r\n")
        payload, last = dechunk(body)
        t.ok(b" 200 " in head.split(b"\r\n")[0] and b"chunked" in head.lower() and len(payload) > 0,
             "corrupt page: the export starts (200, chunked, rows streamed before the bad page)",
             "head %r, %d payload bytes" % (head[:200], len(payload)))
        t.ok(closed and not last and not data.endswith(b"0\r\n\r\n"),
             "corrupt page: the server closes the stream without the terminating 0-length chunk",
             "closed %r, last chunk %r, tail %r" % (closed, last, data[-40:]))
        t.ok(b"health-%05d@" % (ROWS - 1) not in payload,
             "corrupt page: the rows after the bad page are not in the (cut) download")
        # What an ordinary HTTP client makes of it: an error, not a short file.
        try:
            conn = http.client.HTTPConnection(H.HOST, srv.port, timeout=10)
            conn.request("GET", "/admin/export.csv", headers=srv.auth_header())
            resp = conn.getresponse()
            resp.read()
            outcome = "complete"
        except (http.client.IncompleteRead, http.client.HTTPException, OSError) as e:
            outcome = type(e).__name__
        finally:
            conn.close()
        t.ok(outcome != "complete", "an HTTP client (http.client) reports the cut download as an error (%s)" % outcome)
        err = srv.stderr()
        t.ok(re.search(r"export: reading the database failed.*malformed", err) is not None,
             "the export's failure is logged with SQLite's message", err[-1000:])
        st, h, body = wait_health(srv, 503, timeout=HEALTH_CACHE_S + 4)
        t.ok(st == 503 and "corrupt" in body,
             "after the corruption was met, /healthz is 503 and says the database is corrupt",
             "status %d body %r" % (st, body))
        one_line_text(t, "corrupt 503", h, body)
        time.sleep(HEALTH_CACHE_S + 0.2)
        st, h, body = healthz(srv)
        t.eq(st, 503, "it stays 503 (the counters still read fine, the corruption is remembered)")
        H.check_clean_exit(t, srv, "corrupt-database server exits 0 on SIGTERM, no sanitizer reports")


def main(t):
    test_disk_full(t)
    test_corrupt(t)


if __name__ == "__main__":
    H.run(main, limit=100)
