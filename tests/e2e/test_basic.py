#!/usr/bin/env python3
"""test_basic.py -- the page, the static contract and the HTTP edges.

GET / (content type, form, fields, count, Khmer, petition text, ETag/304,
gzip, nothing third-party, nosniff), /api/stats, /healthz, 404, 405 + Allow,
415, 413, HEAD, and the command line (--help, --version, bad flags)."""

import json
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

KHMER = re.compile("[\u1780-\u17ff]")


def petition_lines():
    """The lines of the built-in English text, as a fresh server publishes it:
    the short fields of assets/content/en.json and the Markdown of en.md (the
    one source: nothing to keep in step by hand)."""
    d = os.path.join(H.REPO, "assets", "content")
    try:
        with open(os.path.join(d, "en.json"), encoding="utf-8") as f:
            fields = json.load(f)
        with open(os.path.join(d, "en.md"), encoding="utf-8") as f:
            body = f.read()
    except (OSError, ValueError):
        return None, []
    lines = [fields.get(k, "") for k in ("title", "petitioners", "recipients")]
    lines += body.splitlines()
    for k in ("closing", "contact"):
        lines += fields.get(k, "").splitlines()
    return os.path.join(d, "en.{md,json}"), lines


def norm_line(line):
    """A line of Markdown as the page shows its text: no heading or list
    marker, no emphasis, links as their text, escapes resolved."""
    s = line.strip()
    s = re.sub(r"^#{1,6}\s+", "", s)
    s = re.sub(r"^(\d+[.)]|[-*+])\s+", "", s)
    s = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", s)
    s = re.sub(r"<((?:https?:|mailto:)?[^<>\s]+@?[^<>\s]*)>", lambda m: re.sub(r"^mailto:", "", m.group(1)), s)
    s = s.replace("**", "").replace("__", "")
    s = re.sub(r"(?<![\w*])[*_]([^*_]+)[*_](?![\w*])", r"\1", s)
    s = re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", s)
    return H.collapse(s)


def cli_checks(t):
    b = H.server_bin()
    env = H.clean_env()

    def run(args):
        try:
            p = subprocess.run([b] + args, stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=10, env=env, cwd="/tmp")
            return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            return "timeout", "", ""

    rc, out, err = run(["--help"])
    t.ok(rc == 0 and "--port" in out, "--help: usage on stdout (mentions --port), exit 0",
         "rc=%r stdout=%r stderr=%r" % (rc, out[:300], err[:300]))
    rc, out, err = run(["--version"])
    t.ok(rc == 0 and re.search(r"\d+\.\d+", out), "--version: version on stdout, exit 0",
         "rc=%r stdout=%r stderr=%r" % (rc, out[:300], err[:300]))
    rc, out, err = run(["--no-such-flag"])
    t.ok(rc == 2 and "--no-such-flag" in err and len(err.strip().splitlines()) == 1,
         "unknown flag: one-line error on stderr naming it, exit 2",
         "rc=%r stderr=%r" % (rc, err[:300]))
    rc, out, err = run(["--port", "notanumber", "--db", "/nonexistent-dir/x.db"])
    t.ok(rc == 2 and "port" in err and len(err.strip().splitlines()) == 1,
         "bad value (--port notanumber): one-line error naming the flag, exit 2",
         "rc=%r stderr=%r" % (rc, err[:300]))


def main(t):
    cli_checks(t)

    with H.Server() as srv:
        # ---- GET / ---------------------------------------------------------
        st, h, body = srv.get("/")
        t.eq(st, 200, "GET / is 200")
        ct = h.get("content-type", "")
        t.ok(re.fullmatch(r"text/html;\s*charset=utf-8", ct, re.I),
             "GET / Content-Type is text/html; charset=utf-8", "got %r" % ct)
        html = body.decode("utf-8", "replace")
        t.ok('<form method="post" action="/sign"' in html,
             'page contains <form method="post" action="/sign"', html[:500])
        form = H.sign_form(html)
        names = {c["name"] for c in form["controls"]} if form else set()
        for f in H.FIELDS:
            t.ok(f in names, "form has an input named %r" % f, "controls: %r" % sorted(n for n in names if n))
        ctrl = {c["name"]: c for c in (form["controls"] if form else [])}
        t.ok(ctrl.get("public", {}).get("type") == "checkbox" and ctrl.get("public", {}).get("value") == "1"
             and ctrl.get("updates", {}).get("type") == "checkbox" and ctrl.get("updates", {}).get("value") == "1",
             "public and updates are checkboxes with value 1",
             "public=%r updates=%r" % (ctrl.get("public", {}).get("attrs"), ctrl.get("updates", {}).get("attrs")))
        text = H.html_text(html)
        stats = srv.stats()
        cnt = stats.get("count")
        t.ok(isinstance(cnt, int) and H.standalone(text, H.thousands(cnt)),
             "page shows the current count (%r)" % cnt, text[:600])
        t.ok(H.standalone(text, H.thousands(1000)), "page shows the goal (1,000)", text[:600])
        m = re.search(r"<html[^>]*\blang=\"([^\"]*)\"", html)
        t.ok(m and m.group(1) == "en", 'default page is <html lang="en">', m and m.group(0))

        # ---- petition text --------------------------------------------------
        path, lines = petition_lines()
        t.ok(lines, "petition text found (%s)" % path, "looked for assets/content/en.md and en.json")
        missing = []
        for line in lines:
            n = norm_line(line)
            if n and n not in text:
                missing.append(n)
        t.ok(lines and not missing, "every non-empty petition line appears in the page text (%d lines)"
             % sum(1 for x in lines if x.strip()),
             "missing %d lines, first: %r" % (len(missing), missing[:3]))

        # ---- Khmer ---------------------------------------------------------
        st, h, b = srv.get("/?lang=km")
        km = b.decode("utf-8", "replace")
        t.eq(st, 200, "GET /?lang=km is 200")
        m = re.search(r"<html[^>]*\blang=\"([^\"]*)\"", km)
        t.ok(m and m.group(1) == "km", '?lang=km gives <html lang="km">', m and m.group(0))
        km_text = H.html_text(km)
        n_km, n_en = len(KHMER.findall(km_text)), len(KHMER.findall(text))
        t.ok(n_km >= n_en + 50, "?lang=km page is in Khmer (%d Khmer letters vs %d in English page)" % (n_km, n_en))
        kf = H.sign_form(km)
        t.ok(kf and {c["name"] for c in kf["controls"]} >= set(H.FIELDS), "Khmer page has the same form fields")
        st, h, b = srv.get("/?lang=en")
        en2 = b.decode("utf-8", "replace")
        m = re.search(r"<html[^>]*\blang=\"([^\"]*)\"", en2)
        t.ok(st == 200 and m and m.group(1) == "en", '?lang=en gives <html lang="en">')

        # ---- ETag / 304 --------------------------------------------------------
        st, h0, _b = srv.get("/")
        etag = h0.get("etag")
        t.ok(etag, "GET / sends an ETag", "headers: %r" % h0)
        if etag:
            st, h, b = srv.get("/", {"If-None-Match": etag})
            t.ok(st == 304 and b == b"", "GET / with If-None-Match: <etag> gets 304 with no body",
                 "status %d, %d body bytes" % (st, len(b)))
            st, h, b = srv.get("/", {"If-None-Match": '"not-the-etag"'})
            t.eq(st, 200, "GET / with a different If-None-Match gets 200")
        else:
            t.ok(False, "GET / with If-None-Match: <etag> gets 304 (no ETag)")
            t.ok(False, "GET / with a different If-None-Match gets 200 (no ETag)")
        st, hk, _b = srv.get("/?lang=km")
        etag_km = hk.get("etag")
        t.ok(etag_km and etag_km != etag, "the Khmer page has its own ETag", "en %r km %r" % (etag, etag_km))

        # ---- gzip --------------------------------------------------------------
        st, hid, ident = srv.get("/", {"Accept-Encoding": "identity"})
        st, hg, gz = srv.get("/", {"Accept-Encoding": "gzip"})
        t.ok(st == 200 and hg.get("content-encoding", "").lower() == "gzip",
             "Accept-Encoding: gzip gets Content-Encoding: gzip", "status %d headers %r" % (st, hg))
        try:
            plain = H.gunzip(gz)
        except Exception as e:  # noqa: BLE001
            plain = None
            t.note("gunzip failed: %r" % e)
        t.ok(plain is not None and plain == ident, "gzip body decompresses to the same page",
             "identity %d bytes, gunzipped %r bytes" % (len(ident), None if plain is None else len(plain)))
        t.ok(hid.get("content-encoding", "identity").lower() == "identity",
             "without gzip in Accept-Encoding the page is not compressed", repr(hid.get("content-encoding")))
        t.ok("accept-encoding" in hg.get("vary", "").lower(), "compressed page says Vary: Accept-Encoding",
             "Vary: %r" % hg.get("vary"))

        # ---- nothing third-party ----------------------------------------------
        doc = H.parse_doc(html)
        external = []
        local = []
        for tg in doc.tags:
            a = tg["attrs"]
            tag = tg["tag"]
            urls = []
            if tag == "link":
                rel = a.get("rel", "").lower().split()
                if rel and all(r in ("canonical", "alternate", "author", "license", "me") for r in rel):
                    continue
                urls.append(a.get("href", ""))
            elif tag in ("script", "img", "iframe", "source", "audio", "video", "embed", "track"):
                urls.append(a.get("src", ""))
                if a.get("srcset"):
                    urls.append(a["srcset"])
            elif tag == "object":
                urls.append(a.get("data", ""))
            for u in urls:
                u = u.strip()
                if re.match(r"(?i)(https?:)?//", u) or re.search(r"(?i)\bhttps?://", u):
                    external.append("<%s> %s" % (tag, u))
                elif u.startswith("/"):
                    local.append(u)
        t.ok(not external, "no third-party URLs in src/href of link/script/img", "\n".join(external))
        bad_assets = []
        for u in sorted(set(local)):
            st, h, b = srv.get(u)
            if st != 200 or not b:
                bad_assets.append("%s -> %d (%d bytes)" % (u, st, len(b)))
            elif "css" in h.get("content-type", "") and re.search(rb"(?i)(url\(\s*['\"]?(https?:)?//|@import\s+['\"]?(url\()?\s*['\"]?https?:)", b):
                bad_assets.append("%s loads an external URL" % u)
        t.ok(local and not bad_assets, "every local asset the page loads answers 200 (and CSS loads nothing external): %d"
             % len(set(local)), "\n".join(bad_assets) or "page references no local asset")

        # ---- security headers --------------------------------------------------
        st, h, b = srv.get("/")
        t.ok(h.get("x-content-type-options", "").lower() == "nosniff", "X-Content-Type-Options: nosniff on GET /",
             repr(h.get("x-content-type-options")))

        # ---- /api/stats, /healthz -----------------------------------------------
        st, h, b = srv.get("/api/stats")
        t.eq(st, 200, "GET /api/stats is 200")
        t.ok(re.match(r"application/json\b", h.get("content-type", "")), "GET /api/stats is application/json",
             repr(h.get("content-type")))
        j = H.json_body(b)
        t.ok(isinstance(j, dict) and type(j.get("count")) is int and type(j.get("goal")) is int,
             "stats has integer count and goal", repr(b[:200]))
        t.ok(isinstance(j, dict) and j.get("goal") == 1000 and j.get("count") == 0,
             "stats: goal is 1000 (from --goal), count 0 on a new database", repr(j))
        st, h, b = srv.get("/healthz")
        t.eq(st, 200, "GET /healthz is 200")

        # ---- 404 / 405 / 415 / 413 ------------------------------------------------
        st, h, b = srv.get("/no-such-page")
        t.eq(st, 404, "GET /no-such-page is 404")
        st, h, b = srv.get("/static/../../../../etc/passwd")
        t.ok(st in (400, 404) and b"root:" not in b, "path traversal under /static is 400/404", "status %d" % st)
        st, h, b = srv.request("DELETE", "/")
        allow = h.get("allow", "")
        t.ok(st == 405 and "GET" in [x.strip() for x in allow.upper().split(",")],
             "DELETE / is 405 with Allow listing GET", "status %d Allow %r" % (st, allow))
        st, h, b = srv.get("/sign")
        allow = h.get("allow", "")
        t.ok(st == 405 and "POST" in [x.strip() for x in allow.upper().split(",")],
             "GET /sign is 405 with Allow listing POST", "status %d Allow %r" % (st, allow))
        st, h, b = srv.request("POST", "/api/stats", b"", {"Content-Type": "application/x-www-form-urlencoded"})
        t.ok(st == 405 and h.get("allow"), "POST /api/stats is 405 with Allow", "status %d Allow %r" % (st, h.get("allow")))

        good = H.urlencode([("name", "Plain Text"), ("email", "plain@example.com"), ("country", "KH")])
        st, h, b = srv.request("POST", "/sign", good, {"Content-Type": "text/plain"})
        t.eq(st, 415, "POST /sign with Content-Type: text/plain is 415")
        st, h, b = srv.request("POST", "/sign", b'{"name":"J"}', {"Content-Type": "application/json"})
        t.eq(st, 415, "POST /sign with Content-Type: application/json is 415")
        t.eq(srv.count(), 0, "nothing stored by the 415 requests")

        req = ("POST /sign HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n"
               "Content-Length: 20000\r\nConnection: close\r\n\r\n" % srv.port).encode()
        data = H.raw_exchange(srv.port, [req, b"name=" + b"x" * 19995], pause_before=1)
        st, h, b = H.parse_raw_response(data)
        t.eq(st, 413, "POST /sign with Content-Length: 20000 is 413")
        data = H.raw_exchange(srv.port, [req.replace(b"20000", b"16385"), b"name=" + b"x" * 16380], pause_before=1)
        st, h, b = H.parse_raw_response(data)
        t.eq(st, 413, "POST /sign with Content-Length: 16385 (16 KiB + 1) is 413")

        # a body of exactly 16 KiB is not refused for its size
        hidden = srv.hidden_fields()
        base = H.urlencode(list(hidden.items()) + [("name", "Exactly Sixteen"), ("email", "sixteen@example.com"),
                                                     ("country", "KH"), ("pad", "")])
        body = base + b"x" * (16384 - len(base))
        st, h, b = srv.request("POST", "/sign", body, {"Content-Type": "application/x-www-form-urlencoded"})
        t.ok(len(body) == 16384 and st != 413, "a body of exactly 16384 bytes is not 413", "status %d" % st)

        # chunked over 16 KiB: refused (413 or connection closed), nothing stored
        c0 = srv.count()
        chunk = b"x" * 4096
        chunks = [("POST /sign HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                   "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()]
        first = H.urlencode(list(hidden.items()) + [("name", "Chunky"), ("email", "chunky@example.com"),
                                                      ("country", "KH"), ("pad", "")])
        chunks.append(b"%x\r\n%s\r\n" % (len(first), first))
        for _ in range(5):
            chunks.append(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        chunks.append(b"0\r\n\r\n")
        data = H.raw_exchange(srv.port, chunks)
        st, h, b = H.parse_raw_response(data)
        t.ok(st in (None, 413) and srv.count() == c0, "chunked body over 16 KiB: 413 (or closed), nothing stored",
             "status %r, count %d -> %d" % (st, c0, srv.count()))

        # ---- HEAD ---------------------------------------------------------------
        req = ("HEAD / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % srv.port).encode()
        data = H.raw_exchange(srv.port, [req], timeout=3)
        st, h, b = H.parse_raw_response(data)
        t.ok(st == 200 and b == b"", "HEAD / is 200 with no body", "status %r, %d body bytes" % (st, len(b)))
        t.ok(h.get("content-type", "").lower().startswith("text/html"), "HEAD / has the page's Content-Type",
             repr(h.get("content-type")))

        # the server is still healthy after all that
        st, h, b = srv.get("/healthz")
        t.eq(st, 200, "GET /healthz still 200 at the end")
        H.check_clean_exit(t, srv)

    # ---- every setting from PETITIOND_* environment variables -----------------
    with H.Server(via_env=True, goal=4321) as es:
        j = es.stats()
        # PETITIOND_DB was honoured: the SQLite file exists, or the
        # PostgreSQL database of the URL holds its settings.
        if es.engine == "pg":
            there = es.query("SELECT count(*) FROM settings")[0][0] > 0
        else:
            there = os.path.isfile(es.db)
        t.ok(j.get("goal") == 4321 and there,
             "settings from PETITIOND_BIND/PORT/DB/GOAL/... environment variables (no flags)",
             "stats %r, database %s used %r" % (j, es.db, there))
        st, h, b = es.get("/admin", es.auth_header())
        t.eq(st, 200, "PETITIOND_ADMIN_TOKEN is the admin token")
        H.check_clean_exit(t, es, "server configured from the environment exits 0 on SIGTERM")


if __name__ == "__main__":
    H.run(main, limit=45)
