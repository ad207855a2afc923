#!/usr/bin/env python3
"""test_export.py -- a long CSV export while signatures keep arriving.

With 150,000 rows in the database, a client downloads the export slowly
while 8 threads keep signing. Checks: signing is not blocked (every signature
answered, none slower than 2 s), the export is one consistent snapshot (the
rows that existed when it began, none signed during it, ids strictly
increasing, no torn rows), and the WAL, which cannot be checkpointed past the
export's snapshot while it runs, shrinks back once the export is over."""
import http.client
import os
import socket
import sqlite3
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

ROWS = 150000
WAL_LIMIT = 8 * 1024 * 1024  # STORE_WAL_LIMIT_BYTES in server/store.h


def fill(srv, n):
    """n signatures written straight into the stopped server's database, the
    signatures counter and the day's figure moved by n (as the writer
    would). SQLite: one transaction of executemany; PostgreSQL: the same rows
    from generate_series, in three statements."""
    if srv.engine == "pg":
        srv.execute(
            "INSERT INTO signatures (signed_at, name, email, email_norm, country, comment, public, updates)"
            " SELECT 1700000000 + i, 'Filler ' || i, 'fill' || i || '@example.org',"
            " 'fill' || i || '@example.org', 'KH', 'comment, with \"quotes\" ' || i, 0, 0"
            " FROM generate_series(0, ? - 1) AS i ORDER BY i", (n,))
        srv.execute("UPDATE counters SET value = value + ? WHERE name = 'signatures'", (n,))
        srv.execute("INSERT INTO daily (day, n) VALUES ('2023-11-14', ?)"
                    " ON CONFLICT (day) DO UPDATE SET n = daily.n + excluded.n", (n,))
        return
    con = sqlite3.connect(srv.db, isolation_level=None)
    try:
        con.execute("BEGIN")
        con.executemany(
            "INSERT INTO signatures (signed_at, name, email, email_norm, country, comment, public, updates)"
            " VALUES (?, ?, ?, ?, ?, ?, 0, 0)",
            ((1700000000 + i, "Filler %d" % i, "fill%d@example.org" % i, "fill%d@example.org" % i,
              "KH", "comment, with \"quotes\" %d" % i) for i in range(n)))
        con.execute("UPDATE counters SET value = value + ? WHERE name = 'signatures'", (n,))
        con.execute("INSERT INTO daily (day, n) VALUES ('2023-11-14', ?)"
                    " ON CONFLICT (day) DO UPDATE SET n = n + excluded.n", (n,))
        con.execute("COMMIT")
    finally:
        con.close()


def slow_export(port, token, out, stop_reading):
    """Reads the CSV 32 KiB at a time with pauses, like a slow phone link."""
    s = socket.create_connection((H.HOST, port), timeout=20)
    s.sendall(("GET /admin/export.csv HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               "Authorization: Bearer %s\r\nConnection: close\r\n\r\n" % token).encode())
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
    chunks = []
    while True:
        b = s.recv(32768)
        if not b:
            break
        chunks.append(b)
        if not stop_reading.is_set():
            time.sleep(0.01)
    s.close()
    out.append(b"".join(chunks))


def dechunk(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    out = bytearray()
    while body:
        line, _, rest = body.partition(b"\r\n")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        body = rest[size + 2:]
    return head, bytes(out)


def main(t):
    with H.Server() as srv:
        srv.stop()
        fill(srv, ROWS)
        srv.start()
        t.eq(srv.count(), ROWS, "server starts with %d rows (counter kept by the fill)" % ROWS)
        wal = srv.db + "-wal"

        out, stop_reading = [], threading.Event()
        exp = threading.Thread(target=slow_export, args=(srv.port, srv.token, out, stop_reading),
                               daemon=True)
        exp.start()
        time.sleep(0.3)  # the export's read transaction is open

        lat, acked, errors, lock = [], [], [], threading.Lock()
        deadline = time.monotonic() + 2.5

        def signer(k):
            i = 0
            conn = http.client.HTTPConnection(H.HOST, srv.port, timeout=10)
            while time.monotonic() < deadline:
                email = "during-%d-%d@example.org" % (k, i)
                i += 1
                body = H.urlencode([("name", "During %d %d" % (k, i)), ("email", email),
                                    ("country", "FR"), ("comment", "x" * 300)])
                t0 = time.monotonic()
                try:
                    conn.request("POST", "/sign", body, {
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Accept": "application/json"})
                    r = conn.getresponse()
                    r.read()
                except (OSError, http.client.HTTPException) as e:
                    with lock:
                        errors.append(repr(e))
                    conn.close()
                    conn = http.client.HTTPConnection(H.HOST, srv.port, timeout=10)
                    continue
                with lock:
                    lat.append(time.monotonic() - t0)
                    if r.status == 201:
                        acked.append(email)
                    else:
                        errors.append(r.status)
            conn.close()

        ths = [threading.Thread(target=signer, args=(k,), daemon=True) for k in range(8)]
        for th in ths:
            th.start()
        for th in ths:
            th.join(15)
        # SQLite only (the -wal file); PostgreSQL has none of ours to measure
        wal_during = os.path.getsize(wal) if srv.engine != "pg" and os.path.exists(wal) else 0
        t.ok(exp.is_alive(), "the export was still running while the signatures came in")
        t.ok(len(acked) > 200 and not errors,
             "signing was not blocked by the export: %d signatures acknowledged" % len(acked),
             "errors %r" % errors[:5])
        t.ok(lat and max(lat) < 2.0, "slowest signature during the export: %.0f ms" %
             (1000 * max(lat) if lat else -1))
        stop_reading.set()
        exp.join(60)
        t.ok(not exp.is_alive() and out, "the export finished")
        head, body = dechunk(out[0]) if out else (b"", b"")
        t.ok(head.startswith(b"HTTP/1.1 200"), "export status 200", head[:100])
        text = body.decode("utf-8-sig")
        rows = H.parse_csv(text)
        data = rows[1:]
        t.eq(len(data), ROWS, "the export holds exactly the rows that existed when it began")
        t.ok(not any(r[3].startswith("during-") for r in data),
             "no signature made during the export is in it (one snapshot)")
        ids = [int(r[0]) for r in data]
        t.ok(all(b > a for a, b in zip(ids, ids[1:])), "ids strictly increasing, no repeats")
        ncols = len(rows[0]) if rows else 0
        t.ok(rows and rows[0][:8] == ["id", "signed_at", "name", "email", "country", "comment", "public",
                                      "updates"] and rows[0][8:] == ["public_name", "source", "confirmed"],
             "header: the eight contract columns, then public_name, source and confirmed appended",
             repr(rows[0] if rows else None))
        t.ok(ncols >= 9 and all(len(r) == ncols for r in data),
             "every row has its %d cells (no torn rows)" % ncols)
        # the filled rows name neither column: the schema's defaults apply
        t.ok(ncols == 11 and all(r[9] == "online" and r[10] == "1" for r in data),
             "every filled row: source online, confirmed 1 (the columns' defaults)",
             repr([r[9:] for r in data if r[9:] != ["online", "1"]][:5]))

        # After the export ends, a few more commits let the checkpoint catch
        # up and restart the WAL, which is then truncated to the limit.
        for i in range(30):
            srv.sign({"name": "After %d" % i, "email": "after%d@example.org" % i,
                      "country": "US"}, hidden=False)
            time.sleep(0.02)
        if srv.engine == "pg":
            t.skip("the WAL shrinks back after the export",
                   "SQLite only: the -wal file and its checkpoint (PostgreSQL manages its own WAL)")
        else:
            wal_after = os.path.getsize(wal) if os.path.exists(wal) else 0
            t.note("WAL during the export %d bytes, after %d bytes" % (wal_during, wal_after))
            t.ok(wal_after <= WAL_LIMIT and (wal_after < wal_during or wal_during <= WAL_LIMIT),
                 "the WAL shrinks back after the export (%d -> %d bytes)" % (wal_during, wal_after))
        have = {r["email"] for r in srv.csv_dicts()}
        t.ok(all(e in have for e in acked), "every signature acknowledged during the export is stored")
        t.eq(srv.count(), ROWS + len(acked) + 30, "count = filled + acknowledged")


if __name__ == "__main__":
    H.run(main, limit=100)
