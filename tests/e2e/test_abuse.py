#!/usr/bin/env python3
"""test_abuse.py -- limits and abuse: rate limit and client keys behind a
trusted proxy, bot traps (honeypot, HMAC form token with a minimum fill
time) answered exactly like success, cross-site refusal (Origin: null
included), IPv4-mapped client addresses, the admin token throttle,
security headers on every kind of answer, 431 / 413 / dropped chunked
bodies, idle connections, the --admin-token length check, direct TLS with
HSTS, and an online backup during a burst of signatures."""

import base64
import http.client
import os
import re
import select
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

_n = [0]


def fields(tag, **over):
    _n[0] += 1
    d = {"name": "Abuse %s %d" % (tag, _n[0]), "email": "abuse-%s-%d@example.com" % (tag, _n[0]),
         "country": "KH"}
    d.update(over)
    return d


def post_sign(srv, f, headers=None, json=False, hidden=None):
    """POST /sign of the fields (plus hidden ones) with extra headers."""
    pairs = list((hidden or {}).items()) + [(k, v) for k, v in f.items() if k not in (hidden or {})]
    h = {"Content-Type": H.FORM_CT, "Accept": "application/json" if json else "text/html"}
    h.update(headers or {})
    return srv.request("POST", "/sign", H.urlencode(pairs), h)


def retry_after(h):
    v = h.get("retry-after", "")
    return int(v) if re.fullmatch(r"[0-9]+", v or "") else None


def header_problems(h, frameable=False):
    """What is missing from the security headers of one answer."""
    bad = []
    csp = h.get("content-security-policy", "")
    if "default-src 'self'" not in csp:
        bad.append("CSP default-src 'self' (CSP %r)" % csp)
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        bad.append("CSP allows unsafe-inline/eval")
    if "form-action 'self'" not in csp:
        bad.append("CSP form-action 'self'")
    fa = re.search(r"frame-ancestors\s+([^;]+)", csp)
    fa = fa.group(1).strip() if fa else None
    if frameable:
        if fa != "*":
            bad.append("frame-ancestors * (got %r)" % fa)
        if h.get("x-frame-options", "").upper() == "DENY":
            bad.append("X-Frame-Options DENY on a frameable page")
    else:
        if fa != "'none'":
            bad.append("frame-ancestors 'none' (got %r)" % fa)
        if h.get("x-frame-options", "").upper() != "DENY":
            bad.append("X-Frame-Options: DENY (got %r)" % h.get("x-frame-options"))
    if h.get("x-content-type-options", "").lower() != "nosniff":
        bad.append("X-Content-Type-Options: nosniff")
    if not h.get("referrer-policy"):
        bad.append("Referrer-Policy")
    if not h.get("permissions-policy"):
        bad.append("Permissions-Policy")
    return bad


def admin_bots(srv):
    """The 'refused as automated' counter of the admin dashboard, or None."""
    st, h, b = srv.request("GET", "/admin", headers=srv.auth_header())
    m = re.search(r"Refused as automated[^<]*</dt>\s*<dd>([\d,\s]+)</dd>", b.decode("utf-8", "replace"))
    return int(re.sub(r"\D", "", m.group(1))) if st == 200 and m else None


def same_shape(a, b):
    """(problems) comparing two (status, headers, body) answers: status,
    Location, header names (without Date) and the body (or, for JSON, its
    keys and 'ok')."""
    sa, ha, ba = a
    sb, hb, bb = b
    out = []
    if sa != sb:
        out.append("status %r vs %r" % (sa, sb))
    if ha.get("location") != hb.get("location"):
        out.append("Location %r vs %r" % (ha.get("location"), hb.get("location")))
    skip_h = {"date", "content-length"}
    if sorted(set(ha) - skip_h) != sorted(set(hb) - skip_h):
        out.append("header names %r vs %r" % (sorted(set(ha) - skip_h), sorted(set(hb) - skip_h)))
    if "json" in ha.get("content-type", ""):
        try:
            ja, jb = H.jsonlib.loads(ba), H.jsonlib.loads(bb)
            if sorted(ja) != sorted(jb) or ja.get("ok") is not True or jb.get("ok") is not True:
                out.append("JSON %r vs %r" % (ja, jb))
        except ValueError:
            out.append("JSON bodies %r vs %r" % (ba[:100], bb[:100]))
    elif ba != bb:
        out.append("body %r vs %r" % (ba[:100], bb[:100]))
    return out


# --------------------------------------------------------------------------


def test_rate_limit(t):
    # behind a trusted proxy: the client is the right-most untrusted XFF entry
    with H.Server(overrides={"rate-limit": "3"}, extra_args=["--trust-proxy", "127.0.0.1/32"]) as srv:
        xa = {"X-Forwarded-For": "203.0.113.5"}
        sts = [post_sign(srv, fields("rl"), xa)[0] for _ in range(3)]
        t.eq(sts, [303, 303, 303], "--rate-limit 3: the first 3 signatures from one client pass")
        c0 = srv.count()
        st, h, b = post_sign(srv, fields("rl"), xa)
        ra = retry_after(h)
        t.ok(st == 429 and ra is not None and ra > 0,
             "the 4th signature within the minute is 429 with a positive integer Retry-After",
             "status %d Retry-After %r" % (st, h.get("retry-after")))
        t.eq(srv.count(), c0, "the 429 signature is not stored")
        t.ok(not header_problems(h), "429 carries the security headers", header_problems(h))
        st, h, b = post_sign(srv, fields("rl"), {"X-Forwarded-For": "198.51.100.9, 203.0.113.5"})
        t.eq(st, 429, "behind the proxy, a forged left-most XFF entry does not change the client (429)")
        st, h, b = post_sign(srv, fields("rl"), {"X-Forwarded-For": "203.0.113.6"})
        t.eq(st, 303, "another client key (X-Forwarded-For 203.0.113.6 via the trusted proxy) still passes")
        st, h, b = post_sign(srv, fields("rl"), {"X-Forwarded-For": "203.0.113.7, 127.0.0.1"})
        t.eq(st, 303, "a trusted proxy in the XFF chain is skipped: client 203.0.113.7 passes")
        t.eq(srv.count(), c0 + 2, "count: 3 + 2 signatures stored")
        st, h, b = post_sign(srv, fields("rl"), xa, json=True)
        t.ok(st == 429 and retry_after(h), "the limited client still gets 429 (JSON) with Retry-After",
             "status %d %r" % (st, h.get("retry-after")))
        H.check_clean_exit(t, srv, "rate-limit server (trusted proxy) exits 0, no sanitizer reports")

    # The peer is no trusted proxy: X-Forwarded-For is anyone's to forge and
    # is ignored. Loopback is trusted by default (a proxy on the same host),
    # so on loopback this needs --trust-proxy none; from a non-loopback
    # address the defaults apply.
    cases = [("--trust-proxy none, loopback peer", lambda: H.Server(
        overrides={"rate-limit": "3"}, extra_args=["--trust-proxy", "none"]))]
    ip = nonloopback_ip()
    if ip:
        cases.append(("default --trust-proxy, peer %s (not loopback)" % ip, lambda: AddrServer(
            ip, overrides={"rate-limit": "3", "bind": ip})))
    for how, make in cases:
        with make() as srv:
            sts = [post_sign(srv, fields("rl2"))[0] for _ in range(3)]
            t.eq(sts, [303, 303, 303], "%s: 3 signatures pass" % how)
            c0 = srv.count()
            st1, h1, _ = post_sign(srv, fields("rl2"), {"X-Forwarded-For": "198.51.100.1"})
            st2, h2, _ = post_sign(srv, fields("rl2"), {"X-Forwarded-For": "198.51.100.2, 198.51.100.3",
                                                         "X-Real-IP": "198.51.100.4", "Forwarded": "for=198.51.100.5"})
            t.ok(st1 == 429 and st2 == 429 and retry_after(h1) and retry_after(h2),
                 "%s: a spoofed X-Forwarded-For (or X-Real-IP, Forwarded) does not escape the limit" % how,
                 "statuses %d %d" % (st1, st2))
            t.eq(srv.count(), c0, "%s: nothing stored from the spoofed requests" % how)
            H.check_clean_exit(t, srv, "%s: server exits 0, no sanitizer reports" % how)
    if not ip:
        t.skip("default --trust-proxy from a non-loopback peer: spoofed X-Forwarded-For ignored",
               "no non-loopback local IPv4 address")


def nonloopback_ip():
    """A local IPv4 address outside 127.0.0.0/8 that this host can listen on
    and connect to, or None."""
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.connect(("192.0.2.1", 9))  # no packet is sent
            ip = u.getsockname()[0]
        finally:
            u.close()
        if not ip or ip.startswith("127.") or ip == "0.0.0.0":
            return None
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            ls.bind((ip, 0))
            ls.listen(1)
            c = socket.create_connection(ls.getsockname(), timeout=2)
            c.close()
        finally:
            ls.close()
        return ip
    except OSError:
        return None


class AddrServer(H.Server):
    """The harness Server listening on (and reached at) another address."""

    def __init__(self, addr, **kw):
        super().__init__(**kw)
        self.addr = addr

    def request(self, method, path, body=None, headers=None, timeout=H.REQUEST_TIMEOUT):
        conn = http.client.HTTPConnection(self.addr, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=dict(headers or {}))
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()


def test_honeypot(t, srv):
    hidden = srv.hidden_fields()
    t.ok("website" in hidden, "the form has the honeypot field 'website'", repr(sorted(hidden)))
    b0 = admin_bots(srv)
    c0 = srv.count()
    real = srv.sign(fields("hp-real"), hidden=hidden)
    t.eq(real[0], 303, "honeypot left empty: 303 (stored)")
    t.eq(srv.count(), c0 + 1, "the real signature is counted")
    fe = fields("hp-bot", website="http://spam.example/")
    fake = srv.sign(fe, hidden=hidden)
    t.ok(not same_shape(real, fake), "honeypot filled: answered exactly like success (status, Location, headers, body)",
         "; ".join(same_shape(real, fake)))
    realj = srv.sign(fields("hp-realj"), hidden=hidden, json=True)
    fakej = srv.sign(fields("hp-botj", website="buy now"), hidden=hidden, json=True)
    t.ok(realj[0] == 201 and not same_shape(realj, fakej),
         "honeypot filled, JSON: 201 with the same shape as a real one", "; ".join(same_shape(realj, fakej)))
    t.eq(srv.count(), c0 + 2, "the honeypot submissions are not stored")
    emails = {d["email"] for d in srv.csv_dicts()}
    t.ok(fe["email"] not in emails, "the bot's email is not in the export")
    b1 = admin_bots(srv)
    t.ok(b0 is not None and b1 == b0 + 2, "the admin dashboard counts the refused bots (+2), without their data",
         "before %r after %r" % (b0, b1))


def test_min_fill(t):
    with H.Server(overrides={"min-fill-time": "2"}) as srv:
        t_get = time.monotonic()
        hidden = srv.hidden_fields()
        tok = hidden.get("token", "")
        m = re.fullmatch(r"(\d+)\.([0-9a-f]{32})", tok)
        t.ok(m, "the form carries a signed token 'token' (time.mac)", repr(tok))
        c0 = srv.count()
        fast = srv.sign(fields("mf-fast"), hidden=hidden)
        fastj = srv.sign(fields("mf-fastj"), hidden=hidden, json=True)
        # A person who fills the form faster than the minimum fill time is
        # not a bot for sure: the form comes back, values kept, asking to
        # press Sign again (never a silent fake success).
        t.ok(fast[0] == 422 and "Please press" in H.html_text(fast[2].decode("utf-8", "replace")),
             "submitted at once (< 2 s): 422, the form asks to press Sign again",
             "status %d" % fast[0])
        t.ok(fastj[0] == 422 and fastj[2] == b'{"ok":false,"errors":{"form":"resubmit"}}',
             "submitted at once, JSON: 422 {\"ok\":false,\"errors\":{\"form\":\"resubmit\"}}",
             "status %d body %r" % (fastj[0], fastj[2][:200]))
        t.eq(srv.count(), c0, "submitted at once: not stored")
        nohid = {k: v for k, v in hidden.items() if k != "token"}
        st, h, b = srv.sign(fields("mf-notoken"), hidden=nohid)
        t.ok(st == 422 and "Please press" in H.html_text(b.decode("utf-8", "replace")), "missing token: 422, asked to press Sign again",
             "status %d" % st)
        t.eq(srv.count(), c0, "missing token: not stored")
        forged = []
        if m:
            ts, mac = m.group(1), m.group(2)
            flip = mac[:-1] + ("0" if mac[-1] != "0" else "1")
            forged = [("MAC altered", ts + "." + flip),
                      ("time moved 1 hour back, MAC kept", "%d.%s" % (int(ts) - 3600, mac)),
                      ("made up", "%d.%s" % (int(time.time()) - 60, "0" * 32)),
                      ("garbage", "<script>"), ("empty", "")]
        for desc, ftok in forged:
            fh = dict(hidden)
            fh["token"] = ftok
            st, h, b = srv.sign(fields("mf-forged"), hidden=fh)
            t.ok(st == 422 and "Please press" in H.html_text(b.decode("utf-8", "replace")) and srv.count() == c0,
                 "forged token (%s): 422 asked to press Sign again, not stored" % desc,
                 "status %d count %d (want %d)" % (st, srv.count(), c0))
        if not forged:
            t.ok(False, "forged tokens tested (no token to forge)")
        wait = 2.2 - (time.monotonic() - t_get)
        if wait > 0:
            time.sleep(wait)
        real = srv.sign(fields("mf-real"), hidden=hidden)
        t.eq(real[0], 303, "after 2.2 s the page's token signs: 303")
        t.eq(srv.count(), c0 + 1, "after 2.2 s: stored")
        realj = srv.sign(fields("mf-realj"), hidden=hidden, json=True)
        t.ok(realj[0] == 201 and srv.count() == c0 + 2, "after 2.2 s, JSON: 201 and stored",
             "status %d count %d" % (realj[0], srv.count()))
        H.check_clean_exit(t, srv, "min-fill-time server exits 0, no sanitizer reports")


def test_cross_site(t, srv, seen):
    host = "127.0.0.1:%d" % srv.port
    c0 = srv.count()
    st, h, b = post_sign(srv, fields("xs"), {"Sec-Fetch-Site": "cross-site"})
    t.eq(st, 403, "POST /sign with Sec-Fetch-Site: cross-site is 403")
    seen.setdefault(403, ("POST /sign cross-site", h))
    st2, h2, b2 = post_sign(srv, fields("xs"), {"Origin": "https://evil.example"})
    t.eq(st2, 403, "POST /sign with a foreign Origin is 403")
    st3, _, _ = post_sign(srv, fields("xs"), {"Origin": "http://%s@evil.example" % host})
    t.eq(st3, 403, "POST /sign with Origin 'http://<host>@evil.example' is 403")
    st4, _, _ = post_sign(srv, fields("xs"), {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"})
    t.eq(st4, 403, "a foreign Origin is 403 even with Sec-Fetch-Site: same-origin")
    t.eq(srv.count(), c0, "nothing stored from cross-site posts")
    # Origin: null is an opaque origin (a sandboxed frame, a data: URL, a
    # cross-site redirect, old Safari without Sec-Fetch-Site): cross-site.
    st, _, _ = post_sign(srv, fields("xs-null"), {"Origin": "null"})
    t.eq(st, 403, "POST /sign with Origin: null is 403 (an opaque origin is cross-site)")
    st, _, _ = post_sign(srv, fields("xs-null"), {"Origin": "null"}, json=True)
    t.eq(st, 403, "POST /sign (JSON) with Origin: null is 403")
    t.eq(srv.count(), c0, "nothing stored from Origin: null posts")
    st, _, _ = post_sign(srv, fields("xs-ok"), {"Origin": "http://" + host, "Sec-Fetch-Site": "same-origin"})
    t.eq(st, 303, "same-origin post (Origin matches Host) is 303")
    t.eq(srv.count(), c0 + 1, "the same-site signature is stored")
    for path in ("/admin", "/admin/export.csv"):
        hd = dict(srv.auth_header())
        hd["Sec-Fetch-Site"] = "cross-site"
        st, h, b = srv.request("GET", path, headers=hd)
        t.ok(st == 403 and b"id,signed_at" not in b, "%s with the right token but Sec-Fetch-Site: cross-site is 403" % path,
             "status %d" % st)
        hd = dict(srv.auth_header())
        hd["Origin"] = "https://evil.example"
        st, h, b = srv.request("GET", path, headers=hd)
        t.ok(st == 403 and b"id,signed_at" not in b, "%s with the right token but a foreign Origin is 403" % path,
             "status %d" % st)
    basic = {"Authorization": "Basic " + base64.b64encode(("organizer:" + srv.token).encode()).decode()}
    for path in ("/admin", "/admin/export.csv"):
        for how, auth in (("Bearer", srv.auth_header()), ("Basic", basic)):
            hd = dict(auth)
            hd["Origin"] = "null"
            st, h, b = srv.request("GET", path, headers=hd)
            t.ok(st == 403 and b"id,signed_at" not in b,
                 "%s with the right token (%s) but Origin: null is 403" % (path, how), "status %d" % st)
    # The deletion that was carried out with Basic auth and Origin: null.
    victim = fields("xs-victim")
    st, _, _ = srv.sign(victim)
    n_before = srv.count()
    hd = dict(basic)
    hd.update({"Origin": "null", "Content-Type": H.FORM_CT})
    st, h, b = srv.request("POST", "/admin/delete", H.urlencode([("email", victim["email"])]), hd)
    t.ok(st == 403 and srv.count() == n_before,
         "POST /admin/delete with Basic auth and Origin: null is 403 and deletes nothing",
         "status %d, count %d -> %d" % (st, n_before, srv.count()))
    st, _, _ = srv.request("GET", "/admin", headers=srv.auth_header())
    t.eq(st, 200, "the same admin request from the same site is 200")
    st, _, _ = srv.request("GET", "/admin", headers=basic)
    t.eq(st, 200, "the same admin request with Basic auth from the same site is 200")


# server/admin.c: wrong tokens answered at once per client and window, and
# in all per minute; later ones are slowed to at least ADMIN_SLOW_MIN_S and
# leave at most one per ADMIN_SLOW_GAP_S.
ADMIN_FREE_FAILURES = 5
ADMIN_GLOBAL_FREE = 20
ADMIN_SLOW_MIN_S = 1.0
ADMIN_SLOW_GAP_S = 0.1
FAST_S = 0.5  # "at once", with room for a slow machine


def timed(fn, *a, **k):
    t0 = time.monotonic()
    r = fn(*a, **k)
    return r + (time.monotonic() - t0,)


def test_admin_backoff(t):
    """The token is checked first: wrong guesses are slowed, never the right
    token, so whoever shares the organizer's client key cannot lock the
    organizer out."""
    with H.Server() as srv:
        wrong = {"Authorization": "Bearer " + "w" * 40}
        basic = {"Authorization": "Basic " + base64.b64encode(("organizer:" + srv.token).encode()).decode()}
        first = [timed(srv.get, "/admin", wrong) for _ in range(ADMIN_FREE_FAILURES)]
        t.ok(all(r[0] == 401 and r[3] < FAST_S for r in first),
             "the first %d wrong tokens from a client are 401 at once" % ADMIN_FREE_FAILURES,
             [(r[0], round(r[3], 3)) for r in first])
        st, h, b, dt = timed(srv.get, "/admin", wrong)
        t.ok(st == 401 and dt >= ADMIN_SLOW_MIN_S - 0.05 and "basic" in h.get("www-authenticate", "").lower(),
             "the next wrong token is 401 with WWW-Authenticate, answered only after >= %.1f s"
             % ADMIN_SLOW_MIN_S, "status %d after %.3f s, headers %r" % (st, dt, h))
        t.ok(not header_problems(h), "the slowed 401 carries the security headers", header_problems(h))
        # The organizer shares this client key (Tor, CGNAT, a Docker network):
        # the right token still passes, at once, in both forms.
        st, h, b, dt = timed(srv.get, "/admin", srv.auth_header())
        t.ok(st == 200 and dt < FAST_S,
             "while that client's wrong tokens are slowed, the right token from the same client is 200 at once",
             "status %d after %.3f s" % (st, dt))
        st, h, b, dt = timed(srv.get, "/admin", basic)
        t.ok(st == 200 and dt < FAST_S, "... and with Basic auth (any user name) too",
             "status %d after %.3f s" % (st, dt))
        st, h, b, dt = timed(srv.request, "GET", "/admin/export.csv", None, srv.auth_header())
        t.ok(st == 200 and b"id,signed_at" in b and dt < FAST_S, "... and the export is 200",
             "status %d after %.3f s" % (st, dt))
        st, h, b, dt = timed(srv.get, "/admin")
        t.ok(st == 401 and dt < FAST_S, "a request without Authorization is 401 at once (nothing to guess)",
             "status %d after %.3f s" % (st, dt))

        # Many guesses at once (one connection each): every one is 401, and
        # they leave no faster than one per ADMIN_SLOW_GAP_S, while a right
        # token sent in the middle of them passes at once.
        n = 10
        results = [None] * n

        def guess(i):
            try:
                results[i] = timed(srv.get, "/admin", {"Authorization": "Bearer guess-%02d-%s" % (i, "x" * 30)})
            except Exception as e:  # noqa: BLE001 -- reported below
                results[i] = ("error", repr(e), None, 0.0)

        t0 = time.monotonic()
        threads = [threading.Thread(target=guess, args=(i,)) for i in range(n)]
        for th in threads:
            th.start()
        time.sleep(0.3)
        st, h, b, dt = timed(srv.get, "/admin", srv.auth_header())
        for th in threads:
            th.join(15)
        total = time.monotonic() - t0
        t.ok(st == 200 and dt < FAST_S, "the right token passes at once while %d wrong guesses wait" % n,
             "status %d after %.3f s" % (st, dt))
        statuses = [r[0] for r in results]
        want = ADMIN_SLOW_MIN_S + (n - 1) * ADMIN_SLOW_GAP_S
        t.ok(statuses == [401] * n and total >= want - 0.1,
             "%d parallel wrong guesses: all 401, the last after >= %.1f s (at most 1 per %.1f s)"
             % (n, want, ADMIN_SLOW_GAP_S), "statuses %r, %.3f s" % (statuses, total))
        err = srv.stderr()
        tail = err.split("wrong token", 1)[1][:300] if "wrong token" in err else ""
        t.ok("wrong token" in err and "answer slowed" in err and "127.0.0.1" not in tail,
             "wrong tokens are counted in the log (slowed ones marked), without the client's address", err[-800:])

        # A slowed answer pending at shutdown: resumed before the daemon
        # stops (libmicrohttpd aborts on a suspended connection).
        pending = []

        def slowed():
            try:
                pending.append(timed(srv.get, "/admin", wrong))
            except (OSError, http.client.HTTPException) as e:
                pending.append(("closed", repr(e)))

        th = threading.Thread(target=slowed)
        th.start()
        time.sleep(0.3)
        t0 = time.monotonic()
        rc = srv.stop()
        th.join(15)
        t.ok(rc == 0 and time.monotonic() - t0 < 5,
             "SIGTERM while a slowed 401 waits: the server exits 0 promptly",
             "exit %r after %.2f s; client got %r\n%s" % (rc, time.monotonic() - t0, pending[:1], srv.stderr()[-600:]))
        H.check_clean_exit(t, srv, "admin throttle server exits 0, no sanitizer reports")

    # The global budget: wrong tokens from many clients (X-Forwarded-For from
    # the trusted loopback proxy, one client key each) are slowed once all of
    # them together pass ADMIN_GLOBAL_FREE a minute; a right token is not.
    with H.Server() as srv:
        quick = []
        for i in range(ADMIN_GLOBAL_FREE):
            hd = {"Authorization": "Bearer " + "v" * 40, "X-Forwarded-For": "198.51.100.%d" % (i + 1)}
            quick.append(timed(srv.get, "/admin", hd))
        t.ok(all(r[0] == 401 and r[3] < FAST_S for r in quick),
             "%d wrong tokens from %d clients: 401 at once" % (ADMIN_GLOBAL_FREE, ADMIN_GLOBAL_FREE),
             [(r[0], round(r[3], 3)) for r in quick])
        hd = {"Authorization": "Bearer " + "v" * 40, "X-Forwarded-For": "198.51.100.200"}
        st, h, b, dt = timed(srv.get, "/admin", hd)
        t.ok(st == 401 and dt >= ADMIN_SLOW_MIN_S - 0.05,
             "past the global budget, a wrong token from a new client is slowed too (>= %.1f s)" % ADMIN_SLOW_MIN_S,
             "status %d after %.3f s" % (st, dt))
        hd = dict(srv.auth_header())
        hd["X-Forwarded-For"] = "198.51.100.201"
        st, h, b, dt = timed(srv.get, "/admin", hd)
        t.ok(st == 200 and dt < FAST_S, "the right token from any client still passes at once",
             "status %d after %.3f s" % (st, dt))
        H.check_clean_exit(t, srv, "global-budget server exits 0, no sanitizer reports")


ADMIN_MAX_SLOWED = 512  # server/admin.c: slowed answers held at once


def test_admin_throttle_cap(t):
    """The throttle holds at most ADMIN_MAX_SLOWED connections: past that a
    wrong token is answered at once rather than let guessers take every
    connection of the server; a right token passes all along."""
    with H.Server() as srv:
        req = ("GET /admin HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n"
               % ("z" * 40)).encode()
        extra = 100
        n = ADMIN_MAX_SLOWED + ADMIN_FREE_FAILURES + ADMIN_GLOBAL_FREE + extra
        socks = []
        answered = set()
        try:
            t0 = time.monotonic()
            for _ in range(n):
                c = socket.create_connection((H.HOST, srv.port), timeout=10)
                c.sendall(req)
                socks.append(c)
            # Which answers come at once? The free ones, and those past the cap
            # (less the few slowed ones that left meanwhile, 10 a second).
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                ready, _, _ = select.select([c for c in socks if c not in answered], [], [], 0.1)
                for c in ready:
                    answered.add(c)
            took = time.monotonic() - t0
            quick = len(answered)
            want = ADMIN_FREE_FAILURES + ADMIN_GLOBAL_FREE + extra // 2
            t.ok(quick >= want and quick < n - ADMIN_MAX_SLOWED // 2,
                 "%d wrong tokens at once: about %d held (the cap), the rest answered at once (%d answered "
                 "within %.1f s, want >= %d)" % (n, ADMIN_MAX_SLOWED, quick, took, want))
            st, h, b, dt = timed(srv.get, "/admin", srv.auth_header())
            t.ok(st == 200 and dt < FAST_S, "with the throttle full, the right token is 200 at once",
                 "status %d after %.3f s" % (st, dt))
            t.ok("NOT slowed" in srv.stderr(), "the full throttle is logged", srv.stderr()[-600:])
            t0 = time.monotonic()
            rc = srv.stop()
            t.ok(rc == 0 and time.monotonic() - t0 < 8,
                 "SIGTERM with hundreds of slowed answers waiting: exit 0 within seconds",
                 "exit %r after %.2f s" % (rc, time.monotonic() - t0))
            got = 0
            for c in socks:
                if c in answered:
                    continue
                c.settimeout(2)
                try:
                    if c.recv(64).startswith(b"HTTP/1.1 401"):
                        got += 1
                except OSError:
                    pass
            t.ok(got >= (n - quick) // 2,
                 "the waiting guessers got their 401 at shutdown (%d of %d)" % (got, n - quick))
        finally:
            for c in socks:
                c.close()
        H.check_clean_exit(t, srv, "throttle-cap server exits 0, no sanitizer reports")


def test_mapped_ipv4(t):
    """IPv4-mapped IPv6 (a proxy on [::] with ipv6only=off writes
    ::ffff:a.b.c.d) is keyed as the IPv4 address it carries, not by its
    first 64 bits (all zero: every IPv4 visitor in one bucket)."""
    with H.Server(overrides={"rate-limit": "2", "min-fill-time": "0"}) as srv:
        m5 = {"X-Forwarded-For": "::ffff:203.0.113.5"}
        m6 = {"X-Forwarded-For": "::ffff:203.0.113.6"}
        got = [post_sign(srv, fields("m5"), m5)[0] for _ in range(2)]
        t.eq(got, [303, 303], "::ffff:203.0.113.5 via the trusted proxy: 2 signatures (the limit) pass")
        st, h, _ = post_sign(srv, fields("m5"), m5)
        t.ok(st == 429 and retry_after(h), "::ffff:203.0.113.5: the 3rd in the minute is 429", "status %d" % st)
        st, _, _ = post_sign(srv, fields("m6"), m6)
        t.eq(st, 303, "::ffff:203.0.113.6 has a bucket of its own (303, not 429)")
        st, _, _ = post_sign(srv, fields("p5"), {"X-Forwarded-For": "203.0.113.5"})
        t.eq(st, 429, "203.0.113.5 shares its bucket with ::ffff:203.0.113.5 (429)")
        st, _, _ = post_sign(srv, fields("p6"), {"X-Forwarded-For": "203.0.113.6"})
        t.eq(st, 303, "203.0.113.6 takes the second place of ::ffff:203.0.113.6's bucket (303)")
        st, _, _ = post_sign(srv, fields("m6"), m6)
        t.eq(st, 429, "... after which ::ffff:203.0.113.6 is at its limit (429)")
        H.check_clean_exit(t, srv, "mapped-address server exits 0, no sanitizer reports")


def test_headers(t, srv, seen):
    def keep(status, desc, r):
        st, h, b = r
        if st == status:
            seen.setdefault(status, (desc, h))
        return r

    keep(200, "GET /", srv.get("/"))
    keep(200, "GET /healthz", srv.get("/healthz"))
    st, h, b = srv.get("/")
    etag = h.get("etag")
    r = srv.get("/", {"If-None-Match": etag or '"none"'})
    keep(304, "GET / If-None-Match", r)
    t.eq(r[0], 304, "GET / with its ETag is 304")
    keep(303, "POST /sign", srv.sign(fields("hdr")))
    keep(401, "GET /admin without auth", srv.get("/admin"))
    keep(404, "GET /nope", srv.get("/nope"))
    r = keep(405, "DELETE /", srv.request("DELETE", "/"))
    t.ok(r[0] == 405 and "GET" in r[1].get("allow", ""), "DELETE / is 405 with Allow", "status %d Allow %r" % (r[0], r[1].get("allow")))
    keep(415, "POST /sign text/plain", srv.request("POST", "/sign", b"name=x", {"Content-Type": "text/plain"}))
    keep(422, "POST /sign invalid", srv.sign(fields("hdr", email="nope")))
    # 413: the answer comes from Content-Length, before the body is read
    head = (b"POST /sign HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 20000\r\nConnection: close\r\n\r\n")
    c0 = srv.count()
    data = H.raw_exchange(srv.port, [head, b"name=Big&email=big@example.com&country=KH&pad=" + b"x" * 19954],
                          timeout=5, pause_before=1)
    st, h, b = H.parse_raw_response(data)
    t.eq(st, 413, "POST /sign with Content-Length 20000 is 413 (answered before the body)")
    t.eq(srv.count(), c0, "the 413 body is not stored")
    if st == 413:
        seen.setdefault(413, ("POST /sign Content-Length 20000", h))
    st, h, b = srv.get("/static/style.css")
    seen.setdefault("static", ("GET /static/style.css", h))
    st, h, b = srv.get("/embed")
    t.eq(st, 200, "GET /embed is 200")
    t.ok(not header_problems(h, frameable=True), "/embed: frame-ancestors * and no X-Frame-Options DENY, other headers present",
         header_problems(h, frameable=True))
    t.ok("strict-transport-security" not in h, "no Strict-Transport-Security over plain HTTP by default",
         repr(h.get("strict-transport-security")))


def check_seen(t, seen):
    for status in (200, 303, 304, 401, 403, 404, 405, 413, 415, 422, 429, "static"):
        if status not in seen:
            t.ok(False, "security headers on a %s answer (no such answer was seen)" % status)
            continue
        desc, h = seen[status]
        p = header_problems(h)
        t.ok(not p, "security headers on %s (%s)" % (status, desc), "; ".join(p))


def test_limits(t, srv):
    # 431: request headers past the per-connection memory
    data = H.raw_exchange(srv.port, [b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 40000
                                     + b"\r\nConnection: close\r\n\r\n"], timeout=5)
    st, h, b = H.parse_raw_response(data)
    t.eq(st, 431, "a 40 KB request header is answered 431")
    t.eq(srv.get("/healthz")[0], 200, "after the 431 the server keeps serving")

    # chunked body past 16 KiB: the connection is dropped, nothing stored
    c0 = srv.count()
    body = H.urlencode(list(fields("chunk").items())) + b"&pad=" + b"x" * 20000
    s = socket.create_connection((H.HOST, srv.port), timeout=5)
    got = b""
    closed = False
    try:
        s.sendall(b"POST /sign HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                  b"Accept: text/html\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for i in range(0, len(body), 4096):
                part = body[i:i + 4096]
                s.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
                time.sleep(0.01)
            s.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            got += chunk
    finally:
        s.close()
    stc = H.parse_raw_response(got)[0] if got else None
    t.ok(closed and (stc is None or stc >= 400),
         "a chunked body past 16 KiB: the connection is dropped, no success answer",
         "closed %r, answer %r" % (closed, got[:120]))
    t.eq(srv.count(), c0, "the oversized chunked body is not stored")
    st, _, _ = srv.sign(fields("after-chunk"))
    t.ok(st == 303 and srv.get("/healthz")[0] == 200, "after the dropped connection the server keeps serving (303)",
         "status %d" % st)

    # many idle connections (from another loopback address, so a per-address
    # limit does not hide the effect) and a few slowloris ones
    socks = []
    src = "127.0.0.2"
    opened = 0
    try:
        for i in range(220):
            try:
                so = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                so.settimeout(2)
                try:
                    so.bind((src, 0))
                except OSError:
                    pass
                so.connect((H.HOST, srv.port))
                if i >= 200:
                    so.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                socks.append(so)
                opened += 1
            except OSError:
                so.close()
        time.sleep(0.3)
        t0 = time.monotonic()
        st, h, b = srv.get("/")
        st2, _, _ = srv.sign(fields("idle"))
        dt = time.monotonic() - t0
        t.ok(opened >= 200 and st == 200 and st2 == 303 and dt < 5,
             "with %d idle/slow connections open, GET / is 200 and a signature 303 (%.2f s)" % (opened, dt),
             "opened %d, GET %d, sign %d, %.2f s" % (opened, st, st2, dt))
    finally:
        for so in socks:
            so.close()
    time.sleep(0.2)
    t.eq(srv.get("/healthz")[0], 200, "after the idle connections close, /healthz is 200")


def test_short_token(t):
    d = tempfile.mkdtemp(prefix="petitiond-e2e-")
    try:
        env = H.clean_env()
        for how, argv, e in (
                ("flag", [H.server_bin(), "--admin-token", "short-token-19chars", "--db", os.path.join(d, "a.db"),
                          "--port", str(H.free_port()), "--bind", H.HOST], env),
                ("environment", [H.server_bin(), "--db", os.path.join(d, "b.db"), "--port", str(H.free_port()),
                                 "--bind", H.HOST], dict(env, PETITIOND_ADMIN_TOKEN="tooshort"))):
            try:
                p = subprocess.run(argv, env=e, cwd=d, stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
                rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
            except subprocess.TimeoutExpired:
                rc, err = "timeout (still running)", ""
            lines = [x for x in err.splitlines() if x.strip()]
            t.ok(rc == 2 and "--admin-token" in err and len(lines) == 1,
                 "an admin token shorter than 20 characters (%s): exit 2, one line on stderr naming --admin-token" % how,
                 "exit %r stderr %r" % (rc, err[:400]))
    finally:
        shutil.rmtree(d, ignore_errors=True)


class TLSServer(H.Server):
    """The harness Server speaking HTTPS (its readiness probe too)."""

    def __init__(self, ctx, **kw):
        super().__init__(**kw)
        self.ctx = ctx

    def request(self, method, path, body=None, headers=None, timeout=H.REQUEST_TIMEOUT):
        conn = http.client.HTTPSConnection(H.HOST, self.port, timeout=timeout, context=self.ctx)
        try:
            conn.request(method, path, body=body, headers=dict(headers or {}))
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()


def test_tls(t):
    names = ["TLS: GET /healthz over HTTPS (trusting the self-signed cert) is 200",
             "TLS: Strict-Transport-Security with a max-age on HTTPS answers",
             "TLS: a signature over HTTPS is 303",
             "TLS: plain HTTP to the HTTPS port gets no HTTP answer",
             "TLS: server exits 0, no sanitizer reports"]
    if shutil.which("openssl") is None:
        for n in names:
            t.skip(n, "openssl not found")
        return
    d = tempfile.mkdtemp(prefix="petitiond-tls-")
    try:
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                            "-keyout", key, "-out", cert], capture_output=True, timeout=30)
        if p.returncode != 0:
            t.ok(False, "openssl made a self-signed certificate", p.stderr.decode("utf-8", "replace")[-500:])
            return
        ctx = ssl.create_default_context(cafile=cert)
        with TLSServer(ctx, extra_args=["--tls-cert", cert, "--tls-key", key]) as srv:
            st, h, b = srv.get("/healthz")
            t.eq(st, 200, names[0])
            hsts = h.get("strict-transport-security", "")
            m = re.match(r"max-age=(\d+)", hsts)
            t.ok(m and int(m.group(1)) > 0, names[1], repr(hsts))
            st, h, b = srv.sign(fields("tls"))
            t.eq(st, 303, names[2])
            data = H.raw_exchange(srv.port, [b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"], timeout=3)
            t.ok(not data.startswith(b"HTTP/1.1 200"), names[3], repr(data[:80]))
            H.check_clean_exit(t, srv, names[4])
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_hsts_flag(t):
    with H.Server(extra_args=["--hsts", "600"]) as srv:
        st, h, b = srv.get("/healthz")
        t.ok(st == 200 and h.get("strict-transport-security", "").startswith("max-age=600"),
             "--hsts 600 over plain HTTP (TLS at the proxy): Strict-Transport-Security: max-age=600",
             repr(h.get("strict-transport-security")))
        H.check_clean_exit(t, srv, "--hsts server exits 0")


def test_backup(t, srv):
    acked = []  # (monotonic time of the answer, email)
    lock = threading.Lock()
    stop = threading.Event()
    stats = {}

    def worker(k):
        i = 0
        conn = None
        while not stop.is_set():
            i += 1
            email = "burst-%d-%d@example.com" % (k, i)
            body = H.urlencode([("name", "Burst %d %d" % (k, i)), ("email", email), ("country", "KH")])
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(H.HOST, srv.port, timeout=10)
                conn.request("POST", "/sign", body, {"Content-Type": H.FORM_CT, "Accept": "text/html"})
                r = conn.getresponse()
                r.read()
                with lock:
                    stats[r.status] = stats.get(r.status, 0) + 1
                    if r.status == 303:
                        acked.append((time.monotonic(), email))
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    stats[type(e).__name__] = stats.get(type(e).__name__, 0) + 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(4)]
    for th in threads:
        th.start()
    pg = srv.engine == "pg"
    copy = os.path.join(srv.dir, "backup-copy.sql" if pg else "backup-copy.db")
    try:
        time.sleep(1.0)
        t_start = time.monotonic()
        with lock:
            before = [e for (ts, e) in acked if ts <= t_start]
        env = H.clean_env()
        if pg:
            # petitiond backup copies SQLite files; on PostgreSQL its refusal
            # names pg_dump, PostgreSQL's online copy: that one, then.
            argv = ["pg_dump", "--data-only", "--table=signatures", "-f", copy, "-d", srv.db]
            env["PGCONNECT_TIMEOUT"] = "5"
        else:
            argv = [H.server_bin(), "backup", copy, "--db", srv.db]
        try:
            p = subprocess.run(argv, env=env, cwd=srv.dir,
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
            rc, out = p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            rc, out = "timeout", ""
        time.sleep(0.3)
    finally:
        stop.set()
        for th in threads:
            th.join(timeout=15)
    with lock:
        n_after = sum(1 for (ts, e) in acked if ts > t_start)
    t.ok(len(before) >= 20 and n_after > 0,
         "a burst of signatures ran across the backup (%d acknowledged before it, %d during/after)" % (len(before), n_after),
         "stats %r" % stats)
    integrity, emails, nrows = None, set(), None
    if pg:
        t.eq(rc, 0, "pg_dump of the signatures during the burst exits 0")
        t.note("pg_dump output: %s" % out.strip()[:300])
        refused = os.path.join(srv.dir, "backup-refused.db")
        p = subprocess.run([H.server_bin(), "backup", refused, "--db", srv.db], env=H.clean_env(),
                           cwd=srv.dir, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
        err = p.stderr.decode("utf-8", "replace")
        t.ok(p.returncode == 1 and "pg_dump" in err and not os.path.exists(refused),
             "petitiond backup FILE --db URL: exit 1 naming pg_dump, nothing written",
             "exit %r: %r" % (p.returncode, err[:300]))
        t.skip("the backup copy passes PRAGMA integrity_check",
               "SQLite only: PRAGMA integrity_check of a SQLite copy (pg_dump wrote SQL text)")
        emails, nrows = copy_emails(copy)
    else:
        t.eq(rc, 0, "petitiond backup FILE --db PATH during the burst exits 0")
        t.note("backup output: %s" % out.strip()[:300])
    if not pg and os.path.exists(copy):
        try:
            con = sqlite3.connect("file:%s?mode=ro" % copy, uri=True)
            try:
                integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
                emails = {r[0] for r in con.execute("SELECT email FROM signatures")}
                nrows = len(emails)
            finally:
                con.close()
        except sqlite3.Error as e:
            integrity = "error: %r" % e
    if not pg:
        t.eq(integrity, "ok", "the backup copy passes PRAGMA integrity_check")
    missing = [e for e in before if e not in emails]
    t.ok(before and not missing, "the copy holds every signature acknowledged before the backup began (%d)" % len(before),
         "%d missing, e.g. %r; copy has %r rows" % (len(missing), missing[:3], nrows))
    st, _, _ = srv.sign(fields("after-backup"))
    t.eq(st, 303, "the server keeps signing after the backup")


def copy_emails(path):
    """The emails of the signatures in a pg_dump --data-only file (its COPY
    block) and how many rows it has; (set(), None) without one."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
    except OSError:
        return set(), None
    emails, n, col = set(), 0, None
    for line in lines:
        if col is None:
            m = re.match(r"COPY public\.signatures \((.*)\) FROM stdin;$", line)
            if m:
                col = [c.strip() for c in m.group(1).split(",")].index("email")
            continue
        if line == "\\.":
            return emails, n
        emails.add(line.split("\t")[col])
        n += 1
    return emails, None


def main(t):
    seen = {}
    with H.Server() as srv:
        test_honeypot(t, srv)
        test_cross_site(t, srv, seen)
        test_headers(t, srv, seen)
        test_limits(t, srv)
        test_backup(t, srv)
        H.check_clean_exit(t, srv, "main server exits 0 on SIGTERM, no sanitizer reports")

    # rate limit servers also provide the 429 for the header check
    with H.Server(overrides={"rate-limit": "1"}) as srv:
        post_sign(srv, fields("rl429"))
        r = post_sign(srv, fields("rl429"))
        if r[0] == 429:
            seen.setdefault(429, ("POST /sign over the rate limit", r[1]))
        H.check_clean_exit(t, srv, "rate-limit 1 server exits 0")
    check_seen(t, seen)

    test_rate_limit(t)
    test_mapped_ipv4(t)
    test_min_fill(t)
    test_admin_backoff(t)
    test_admin_throttle_cap(t)
    test_short_token(t)
    test_tls(t)
    test_hsts_flag(t)


if __name__ == "__main__":
    H.run(main, limit=90)
