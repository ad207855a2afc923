#!/usr/bin/env python3
"""test_links.py -- the petition's own address in share links and QR codes.

- --public-url is normalised when parsed: https://host/ (trailing slash) gives
  the same links and QR code as https://host, never https://host//; one with a
  query or fragment, or without a host, is refused (exit 2, one line naming
  the flag), as flag and as environment variable.
- Without --public-url, links follow the request's Host; X-Forwarded-Proto is
  believed only from a trusted proxy; the QR code made from them is never
  cached publicly (private, Vary: Host, X-Forwarded-Proto); the server says at
  start that links follow the Host header.
"""
import os
import re
import subprocess
import sys
import urllib.parse
from html import unescape

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

BASE = "https://petition.example"


def share_url(html):
    """The address the thanks page shares (data-url, percent-decoded)."""
    m = re.search(r'data-url="([^"]*)"', html)
    return urllib.parse.unquote(unescape(m.group(1))) if m else None


def qr(srv, headers=None):
    st, h, b = srv.get("/qr.svg", headers)
    return st, h, b


def test_trailing_slash(t):
    with H.Server(extra_args=["--public-url", BASE]) as plain, \
            H.Server(extra_args=["--public-url", BASE + "/"]) as slash, \
            H.Server(extra_args=["--public-url", BASE + "//"]) as slashes:
        st0, h0, q0 = qr(plain)
        st1, h1, q1 = qr(slash)
        st2, h2, q2 = qr(slashes)
        t.ok(st0 == st1 == st2 == 200 and q0.startswith(b"<") and q0 == q1 == q2,
             "/qr.svg with --public-url %s/ and %s// is the QR code of %s/ (same SVG as without the slash)"
             % (BASE, BASE, BASE), "statuses %r %r %r, same %r %r" % (st0, st1, st2, q0 == q1, q0 == q2))
        t.ok("public" in h1.get("cache-control", ""),
             "with --public-url the QR code may be cached publicly", h1.get("cache-control"))
        for srv, label in ((slash, BASE + "/"), (slashes, BASE + "//")):
            thanks = srv.page("/thanks")
            url = share_url(thanks)
            t.ok(url is not None and url.startswith(BASE + "/") and "//" not in url[len("https://"):],
                 "--public-url %s: the thanks page shares %r" % (label, url), thanks[:300])
            bad = [p for p in ("/", "/thanks", "/embed", "/?lang=km")
                   if "petition.example//" in srv.page(p)
                   or "petition.example%2F%2F" in srv.page(p)]
            t.ok(not bad, "--public-url %s: no page links to %s//" % (label, BASE), bad)
            index = srv.page("/")
            t.ok('content="%s/"' % BASE in index, "--public-url %s: og:url is %s/" % (label, BASE),
                 re.findall(r'<meta property="og:url"[^>]*>', index))
            embed = srv.page("/embed")
            t.ok('href="%s/?lang=' % BASE in embed, "--public-url %s: the widget's button goes to %s/" % (label, BASE),
                 re.findall(r'<a class="button"[^>]*>', embed))
        for srv in (plain, slash, slashes):
            H.check_clean_exit(t, srv, "public-url server exits 0, no sanitizer reports")


def test_refused(t):
    cases = [(BASE + "/?utm_source=leaflet", "query"), (BASE + "/#sign", "fragment"),
             (BASE + "?x", "query without path"), ("https://", "no host"), ("https:///path", "no host")]
    for url, why in cases:
        for via_env in (False, True):
            env = H.clean_env()
            argv = [H.server_bin(), "--port", "1", "--db", "/nonexistent/never.db"]
            if via_env:
                env["PETITIOND_PUBLIC_URL"] = url
            else:
                argv += ["--public-url", url]
            try:
                p = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
                rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
            except subprocess.TimeoutExpired:
                rc, err = None, "timeout"
            t.ok(rc == 2 and err.count("\n") == 1 and "--public-url" in err,
                 "--public-url %r (%s%s): exit 2, one line naming the flag" % (url, why, ", as env" if via_env else ""),
                 "exit %r stderr %r" % (rc, err))


def test_host_and_proto(t):
    # --trust-proxy none: the loopback peer is nobody's proxy.
    with H.Server(extra_args=["--trust-proxy", "none"]) as srv:
        t.ok("--public-url" in srv.stderr() and "Host" in srv.stderr(),
             "without --public-url the server says at start that links follow the request's Host",
             srv.stderr()[-600:])
        host = {"Host": "signers.example"}
        forged = {"Host": "signers.example", "X-Forwarded-Proto": "https"}
        url = share_url(srv.get("/thanks", forged)[2].decode())
        t.ok(url is not None and url.startswith("http://signers.example/"),
             "untrusted peer: X-Forwarded-Proto is ignored, links are http://<Host>/ (%r)" % url)
        st, h, q_plain = qr(srv, host)
        st2, h2, q_forged = qr(srv, forged)
        t.ok(st == st2 == 200 and q_plain == q_forged,
             "untrusted peer: X-Forwarded-Proto does not change the QR code")
        cc = h.get("cache-control", "")
        vary = [v.strip().lower() for v in h.get("vary", "").split(",")]
        t.ok("public" not in cc and ("private" in cc or "no-store" in cc),
             "without --public-url the QR code is not cached publicly (Cache-Control %r)" % cc)
        t.ok("host" in vary and "x-forwarded-proto" in vary,
             "... and varies with Host and X-Forwarded-Proto (Vary %r)" % h.get("vary"))
        st3, _, q_other = qr(srv, {"Host": "elsewhere.example"})
        t.ok(st3 == 200 and q_other != q_plain, "the QR code follows the Host the client used")
        H.check_clean_exit(t, srv, "untrusted-peer server exits 0, no sanitizer reports")
    # Default: loopback is a trusted proxy.
    with H.Server() as srv:
        forged = {"Host": "signers.example", "X-Forwarded-Proto": "https"}
        url = share_url(srv.get("/thanks", forged)[2].decode())
        t.ok(url is not None and url.startswith("https://signers.example/"),
             "trusted proxy: X-Forwarded-Proto https gives https links (%r)" % url)
        st, h, q_https = qr(srv, forged)
        st2, h2, q_http = qr(srv, {"Host": "signers.example", "X-Forwarded-Proto": "http"})
        t.ok(st == st2 == 200 and q_https != q_http, "trusted proxy: the QR code follows X-Forwarded-Proto")
        H.check_clean_exit(t, srv, "trusted-proxy server exits 0, no sanitizer reports")


def main(t):
    test_trailing_slash(t)
    test_refused(t)
    test_host_and_proto(t)


if __name__ == "__main__":
    H.run(main, limit=60)
