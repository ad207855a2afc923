#!/usr/bin/env python3
"""test_metrics.py -- GET /metrics in the Prometheus text format.

On the main port /metrics is an organizer's page (admin auth: a Prometheus
sends the token as a Bearer). With --metrics-bind ADDR:PORT a second small
daemon answers GET /metrics there without credentials, and nothing else.
Every name is prefixed petitiond_; the figures are checked against known
traffic (signatures accepted, refused by reason, requests by route and
status class, writer batches, sizes), and the whole answer with `promtool
check metrics` (Debian's prometheus package; skipped with a message when it
is absent)."""
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

LINE = re.compile(r'^(petitiond_[a-z_]+)(\{[^}]*\})? (\S+)$')


def parse(text):
    """{(name, labels-string): float} of every sample; raises on a bad line."""
    out = {}
    for ln in text.splitlines():
        if not ln or ln.startswith("#"):
            continue
        m = LINE.match(ln)
        if not m:
            raise ValueError("not a petitiond_ sample line: %r" % ln)
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def promtool(t, text, what):
    tool = shutil.which("promtool")
    if tool is None:
        t.skip("promtool check metrics: %s" % what,
               "promtool not installed (apt-get install prometheus, or make test-deps)")
        return
    p = subprocess.run([tool, "check", "metrics"], input=text.encode("utf-8"),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    t.ok(p.returncode == 0, "promtool check metrics: %s" % what,
         p.stdout.decode("utf-8", "replace")[-2000:])


def main(t):
    mport = H.free_port()
    with H.Server(extra_args=["--metrics-bind", "127.0.0.1:%d" % mport]) as srv:
        for i in range(3):
            st, _, _ = srv.sign({"name": "Metric %d" % i, "email": "m%d@example.org" % i,
                                 "country": "KH"})
            t.eq(st, 303, "signature %d accepted" % i)
        st, _, _ = srv.sign({"name": "", "email": "bad", "country": "KH"})
        t.eq(st, 422, "an invalid signature: 422")
        st, _, _ = srv.sign({"name": "X", "email": "x@example.org", "country": "KH"},
                            headers={"Origin": "https://evil.example"})
        t.eq(st, 403, "a cross-site signature: 403")
        st, _, _ = srv.sign({"name": "Bot", "email": "bot@example.org", "country": "KH",
                             "website": "http://spam.example/"})
        t.eq(st, 303, "the honeypot's catch is answered like a success")
        st, _, _ = srv.get("/no-such-page")
        t.eq(st, 404, "an unknown path: 404")

        st, h, b = srv.get("/metrics")
        t.eq(st, 401, "GET /metrics without credentials on the main port: 401")
        st, h, b = srv.request("GET", "/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"})
        t.ok(st in (401, 403), "GET /metrics with a wrong token: refused", st)
        st, h, b = srv.request("GET", "/metrics", headers=srv.auth_header())
        text = b.decode("utf-8")
        t.eq(st, 200, "GET /metrics with the admin token: 200")
        t.ok(h.get("content-type", "").startswith("text/plain; version=0.0.4"),
             "the Prometheus text format's content type", h.get("content-type"))
        try:
            m = parse(text)
            t.ok(True, "every sample line is a petitiond_ metric")
        except ValueError as e:
            m = {}
            t.ok(False, "every sample line is a petitiond_ metric", str(e))
        names = {ln.split()[2] for ln in text.splitlines() if ln.startswith("# TYPE ")}
        t.ok(names and all(n.startswith("petitiond_") for n in names),
             "every metric name is prefixed petitiond_", sorted(names))
        for want in ("petitiond_build_info", "petitiond_http_requests_total",
                     "petitiond_signatures_accepted_total", "petitiond_signatures_refused_total",
                     "petitiond_writer_batch_size", "petitiond_writer_commit_seconds",
                     "petitiond_writer_queue_depth", "petitiond_open_connections",
                     "petitiond_database_bytes", "petitiond_wal_bytes", "petitiond_signatures"):
            t.ok(want in names, "has %s" % want)
        t.eq(m.get(("petitiond_signatures_accepted_total", "")), 3.0,
             "accepted: the three signatures (the honeypot's catch not among them)")
        t.eq(m.get(("petitiond_signatures_refused_total", '{reason="automated"}')), 1.0,
             "refused as automated: the honeypot's catch")
        t.eq(m.get(("petitiond_signatures_refused_total", '{reason="invalid"}')), 1.0,
             "refused as invalid: one")
        t.eq(m.get(("petitiond_signatures_refused_total", '{reason="forbidden"}')), 1.0,
             "refused as forbidden (cross-site): one")
        t.eq(m.get(("petitiond_signatures", "")), 3.0, "signatures stored: 3")
        t.eq(m.get(("petitiond_http_requests_total", '{route="/sign",method="POST",code="3xx"}')),
             4.0, "requests: POST /sign 3xx = 4 (three people and the bot)")
        t.eq(m.get(("petitiond_http_requests_total", '{route="/sign",method="POST",code="4xx"}')),
             2.0, "requests: POST /sign 4xx = 2")
        t.ok((m.get(("petitiond_http_requests_total", '{route="none",method="any",code="4xx"}'))
              or 0) >= 1, "requests: the 404 counted under route none")
        t.ok((m.get(("petitiond_http_requests_total", '{route="/",method="GET",code="2xx"}'))
              or 0) >= 6, "requests: the form's page fetched for each signature")
        t.ok((m.get(("petitiond_http_requests_total", '{route="/metrics",method="GET",code="4xx"}'))
              or 0) >= 1, "requests: the refused /metrics counted")
        cnt = m.get(("petitiond_writer_batch_size_count", ""), 0)
        t.ok(1 <= cnt <= 4 and m.get(("petitiond_writer_batch_size_sum", "")) == 4.0,
             "writer batches: 4 items committed in 1 to 4 batches", (cnt,))
        t.eq(m.get(("petitiond_writer_batch_size_bucket", '{le="+Inf"}')), cnt,
             "batch histogram: +Inf bucket = count")
        t.eq(m.get(("petitiond_writer_commit_seconds_count", "")), cnt,
             "commit latency histogram: one per batch")
        t.ok(0 < m.get(("petitiond_writer_commit_seconds_sum", ""), 0) < 10,
             "commit latency: a plausible sum")
        t.eq(m.get(("petitiond_writer_queue_depth", "")), 0.0, "queue: empty")
        t.ok(m.get(("petitiond_open_connections", ""), 0) >= 1, "open connections: this one at least")
        if srv.engine == "pg":
            why = "SQLite only: the database file and its -wal (PostgreSQL keeps its own files)"
            t.skip("database size: the file's", why)
            t.skip("WAL size: the file's", why)
            # Its counterparts there: the database's size as PostgreSQL
            # reports it (a page or so may change between the two reads),
            # and no WAL of petitiond's own.
            size = srv.query("SELECT pg_database_size(current_database())")[0][0]
            got = m.get(("petitiond_database_bytes", ""), 0)
            t.ok(abs(got - size) <= max(0.1 * size, 1 << 20),
                 "database size (PostgreSQL): pg_database_size's", (got, size))
            t.eq(m.get(("petitiond_wal_bytes", "")), 0.0, "WAL size (PostgreSQL): 0, the WAL is the server's")
        else:
            t.eq(m.get(("petitiond_database_bytes", "")), float(os.path.getsize(srv.db)),
                 "database size: the file's")
            wal = srv.db + "-wal"
            t.eq(m.get(("petitiond_wal_bytes", "")),
                 float(os.path.getsize(wal) if os.path.exists(wal) else 0), "WAL size: the file's")
        t.ok(m.get(("petitiond_database_bytes", ""), 0) + m.get(("petitiond_wal_bytes", ""), 0)
             > 4096, "database and WAL hold something")
        t.ok(any(k[0] == "petitiond_build_info" and 'version="' in k[1] and v == 1.0
                 for k, v in m.items()), "build info with the version")
        t.ok("example.org" not in text and "Metric 0" not in text, "no signer's data in the metrics")
        promtool(t, text, "the main port's /metrics")

        # --metrics-bind: open, only /metrics.
        st, h, b = H.request(mport, "GET", "/metrics")
        t.eq(st, 200, "--metrics-bind: GET /metrics without credentials: 200")
        t.ok(h.get("content-type", "").startswith("text/plain; version=0.0.4"),
             "--metrics-bind: the Prometheus content type")
        promtool(t, b.decode("utf-8"), "the --metrics-bind daemon's /metrics")
        m2 = parse(b.decode("utf-8"))
        t.eq(m2.get(("petitiond_signatures_accepted_total", "")), 3.0,
             "--metrics-bind: the same figures")
        for path in ("/", "/admin", "/admin/export.csv", "/metrics/../admin"):
            st, _, b = H.request(mport, "GET", path)
            t.ok(st == 404 and b"petitiond_" not in b, "--metrics-bind: GET %s: 404" % path, st)
        st, h, _ = H.request(mport, "POST", "/metrics", body=b"x=1",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        t.ok(st == 405 and "GET" in h.get("allow", ""), "--metrics-bind: POST /metrics: 405", st)
        st, _, b = H.request(mport, "HEAD", "/metrics")
        t.eq(st, 200, "--metrics-bind: HEAD /metrics: 200")

        # The main port still asks for the token.
        st, _, _ = srv.get("/metrics")
        t.eq(st, 401, "the main port's /metrics still needs the token")

    # Bad --metrics-bind: refused before serving.
    for bad, code in (("9464", 2), ("127.0.0.1:0", 2), ("127.0.0.1:70000", 2),
                      ("localhost:9464", 1)):
        srv2 = H.Server(extra_args=["--metrics-bind", bad])
        try:
            p = subprocess.run(srv2.argv(H.free_port()), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20,
                               cwd=srv2.dir, env=H.clean_env())
            t.ok(p.returncode == code and b"metrics-bind" in p.stderr,
                 "--metrics-bind %s: refused with exit %d, naming the flag" % (bad, code),
                 (p.returncode, p.stderr[-300:]))
        finally:
            srv2.cleanup()


if __name__ == "__main__":
    H.run(main, limit=120)
