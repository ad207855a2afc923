#!/usr/bin/env python3
"""test_admins.py -- organizers' accounts, sign-in sessions and the audit trail.

  * `petitiond admin add|list|revoke|rotate` against a running server: exit
    codes, a token printed once and stored only as its SHA-256, the running
    server accepting a new account and refusing a revoked or rotated token at
    once, without a restart;
  * the sign-in form: the session cookie's exact attributes (HttpOnly,
    SameSite=Strict, Path=/admin, Secure behind an https proxy), the session
    opening pages and POSTs, sign-out ending it, idle expiry, wrong and empty
    tokens, cross-site posts refused, no open redirect;
  * the 401 of an organizers' page: still Basic, its body the sign-in form;
  * no cookie ever on the signers' pages;
  * a second organizer added from a browser (the token shown once, never in
    a URL or the log), who may do what, confirmations, hostile input;
  * the audit trail: every action with the organizer's name, paged, never a
    signer's personal data.
"""

import base64
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

FORM = {"Content-Type": H.FORM_CT}
TOKEN_RE = re.compile(r"^\s*([0-9a-f]{48})\s*$", re.M)
COOKIE_RE = re.compile(r"^petitiond_admin=([0-9a-f]{64}); Path=/admin; HttpOnly; SameSite=Strict$")
CLEAR_RE = re.compile(r"^petitiond_admin=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Strict(; Secure)?$")

# Wrong tokens are throttled per client (the first 5 in 15 minutes answered at
# once): each check that sends one comes from its own address, named by
# X-Forwarded-For (the loopback peer is a trusted proxy by default).
_client = [0]


def client():
    _client[0] += 1
    return {"X-Forwarded-For": "198.51.100.%d" % _client[0]}


CLI_STDERR = []  # every command's stderr, checked for sanitizer reports at the end


def cli(srv, *args, env=None):
    p = subprocess.run([srv.bin, "admin"] + list(args) + ["--db", srv.db],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=20,
                       env=env or H.clean_env())
    err = p.stderr.decode("utf-8", "replace")
    CLI_STDERR.append(err)
    return p.returncode, p.stdout.decode("utf-8", "replace"), err


def one_token(out):
    toks = TOKEN_RE.findall(out)
    return toks[0] if len(toks) == 1 else None


def bearer(tok):
    return {"Authorization": "Bearer " + tok}


def basic(tok, user="anyone"):
    return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, tok)).encode()).decode()}


def same_origin(srv):
    return {"Origin": "http://%s:%d" % (H.HOST, srv.port), "Sec-Fetch-Site": "same-origin"}


def login(srv, token, next_=None, headers=None):
    fields = [("token", token)] + ([("next", next_)] if next_ is not None else [])
    h = dict(FORM, **same_origin(srv))
    h.update(headers or {})
    return srv.request("POST", "/admin/login", H.urlencode(fields), h)


def session_of(h):
    m = COOKIE_RE.match(h.get("set-cookie", ""))
    return m.group(1) if m else None


def with_cookie(sid, extra=None):
    h = {"Cookie": "petitiond_admin=" + sid}
    h.update(extra or {})
    return h


def audit_rows(srv, auth, before=None):
    st, h, b = srv.get("/admin/audit" + ("?before=%d" % before if before else ""), auth)
    text = b.decode("utf-8", "replace")
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", text)
    return st, text, [tuple(H.unescape(c) for c in r) for r in rows]


def db_rows(srv, sql):
    return srv.query(sql)


def test_cli(t, srv):
    owner = srv.token
    # ---- usage ------------------------------------------------------------
    for args, why in ((["frob"], "an unknown action"), (["add"], "add without NAME"),
                      (["add", "bad name!"], "a name with a space and '!'"),
                      (["add", "-x"], "a name that looks like a flag"),
                      (["add", "a" * 33], "a name of 33 characters"),
                      (["list", "extra"], "list with a NAME"), (["rotate"], "rotate without NAME")):
        rc, out, err = cli(srv, *args)
        t.eq(rc, 2, "admin %s: %s is bad usage, exit 2" % (" ".join(a[:12] for a in args), why))
    p = subprocess.run([srv.bin, "admin", "--db", srv.db], capture_output=True, timeout=10,
                       env=H.clean_env())
    t.eq(p.returncode, 2, "admin without an action: exit 2")
    p = subprocess.run([srv.bin, "admin", "--help"], capture_output=True, timeout=10, env=H.clean_env())
    t.ok(p.returncode == 0 and b"rotate NAME" in p.stdout, "admin --help: exit 0 and the usage")

    # ---- list, add ----------------------------------------------------------
    rc, out, err = cli(srv, "list")
    t.ok(rc == 0 and re.search(r"^owner\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+never\s+active$", out, re.M),
         "admin list while the server runs: exit 0, the account owner active, never signed in", out + err)

    rc, out, err = cli(srv, "add", "alice")
    alice = one_token(out)
    t.ok(rc == 0 and alice is not None, "admin add alice: exit 0 and one 48-hex-digit token printed", out + err)
    t.ok(alice is not None and alice not in err, "the token is printed on stdout only")
    rows = db_rows(srv, "SELECT name, token_sha256, revoked_at FROM admins WHERE name = 'alice'")
    t.ok(rows and rows[0][1] == hashlib.sha256(alice.encode()).hexdigest() and rows[0][2] is None,
         "the database holds alice's token as its SHA-256 only", rows)
    blob = srv.stored_bytes()
    t.ok(blob and alice.encode() not in blob, "the token itself is nowhere in the database or its WAL")

    st, h, b = srv.get("/admin", bearer(alice))
    t.ok(st == 200 and b"Signed in as" in b and b"<strong>alice</strong>" in b,
         "the running server accepts alice's token at once, no restart (Bearer), and names her", st)
    st, h, b = srv.get("/admin/export.csv", basic(alice))
    t.eq(st, 200, "alice's token as the Basic password opens the export")

    rc, out, err = cli(srv, "add", "ALICE")
    t.ok(rc == 1 and one_token(out) is None and "exists already" in err,
         "admin add of an existing name (any case): exit 1, no token", out + err)

    # ---- rotate ---------------------------------------------------------------
    rc, out, err = cli(srv, "rotate", "alice")
    alice2 = one_token(out)
    t.ok(rc == 0 and alice2 and alice2 != alice, "admin rotate alice: exit 0, a new token printed once", out + err)
    st, _, _ = srv.get("/admin", dict(bearer(alice), **client()))
    t.eq(st, 401, "the old token is refused at once by the running server")
    st, _, _ = srv.get("/admin", bearer(alice2))
    t.eq(st, 200, "the new token opens the dashboard")

    # ---- revoke ---------------------------------------------------------------
    rc, out, err = cli(srv, "revoke", "alice")
    t.ok(rc == 0 and one_token(out) is None, "admin revoke alice: exit 0, no token printed", out + err)
    st, _, _ = srv.get("/admin", dict(bearer(alice2), **client()))
    t.eq(st, 401, "a revoked token is refused by the running server without a restart")
    rc, out, err = cli(srv, "revoke", "alice")
    t.eq(rc, 1, "revoking again: exit 1")
    rc, out, err = cli(srv, "rotate", "alice")
    t.ok(rc == 1 and one_token(out) is None, "rotating a revoked account: exit 1, no token")
    rc, out, err = cli(srv, "revoke", "nobody")
    t.eq(rc, 1, "revoking an unknown name: exit 1")
    rc, out, err = cli(srv, "rotate", "nobody")
    t.eq(rc, 1, "rotating an unknown name: exit 1")
    rc, out, err = cli(srv, "list")
    t.ok(rc == 0 and re.search(r"^alice\s+.*\srevoked \d{4}-\d\d-\d\d \d\d:\d\d UTC$", out, re.M),
         "admin list shows alice revoked, with when", out)

    rc, out, err = cli(srv, "add", "alice")
    alice3 = one_token(out)
    t.ok(rc == 0 and alice3 not in (None, alice, alice2), "a revoked name can be added again, with a new token")
    st, _, _ = srv.get("/admin", bearer(alice3))
    t.eq(st, 200, "and that token works at once")
    st, _, _ = srv.get("/admin", bearer(owner))
    t.eq(st, 200, "the owner (--admin-token) still works throughout")
    return alice3


def test_login(t, srv, alice):
    owner = srv.token
    # ---- the 401 of an organizers' page ---------------------------------------
    for path in ("/admin", "/admin/admins", "/admin/audit", "/admin/export.csv"):
        st, h, b = srv.get(path)
        t.ok(st == 401 and re.match(r'Basic realm="petitiond"', h.get("www-authenticate", ""))
             and b'action="/admin/login"' in b and b'name="token"' in b and "set-cookie" not in h,
             "%s without credentials: 401, WWW-Authenticate Basic, the sign-in form as the body" % path,
             (st, h))
    st, h, b = srv.get("/admin/audit")
    t.ok(b'name="next" value="/admin/audit"' in b, "the form there comes back to the page asked for")

    st, h, b = srv.get("/admin/login")
    t.ok(st == 200 and b'<form method="post" action="/admin/login">' in b and b'type="password"' in b
         and "set-cookie" not in h and "no-store" in h.get("cache-control", ""),
         "GET /admin/login: the form, no cookie, not cached", (st, h))
    st, h, b = srv.get("/admin/login?lang=km")
    t.ok(st == 200 and 'lang="km"'.encode() in b, "the sign-in form in Khmer")

    # ---- wrong, empty, cross-site -------------------------------------------
    st, h, b = login(srv, "x" * 48, headers=client())
    t.ok(st == 422 and b'aria-invalid="true"' in b and "set-cookie" not in h and b'name="token"' in b,
         "a wrong token on the form: 422, the form again with the error, no cookie", (st, h))
    st, h, b = login(srv, "  ", headers=client())
    t.ok(st == 422 and "set-cookie" not in h, "an empty token: 422, no cookie")
    st, h, b = srv.request("POST", "/admin/login", H.urlencode([("token", owner)]),
                           dict(FORM, Origin="http://evil.example"))
    t.ok(st == 403 and "set-cookie" not in h, "sign-in posted from another site (Origin): 403, no cookie", st)
    st, h, b = srv.request("POST", "/admin/login", H.urlencode([("token", owner)]),
                           dict(FORM, **{"Sec-Fetch-Site": "cross-site"}))
    t.ok(st == 403 and "set-cookie" not in h, "sign-in posted cross-site (Sec-Fetch-Site): 403, no cookie")
    st, h, b = srv.request("POST", "/admin/login", b'{"token":"x"}',
                           {"Content-Type": "application/json"})
    t.eq(st, 415, "sign-in with another content type: 415")
    st, h, b = srv.request("POST", "/admin/login", b"token=" + b"a" * (17 * 1024), FORM)
    t.eq(st, 413, "an oversize sign-in body: 413")

    # ---- the right token ------------------------------------------------------
    st, h, b = login(srv, "  " + owner + "\n")
    sid = session_of(h)
    t.ok(st == 303 and h.get("location") == "/admin" and sid,
         "the owner's token (pasted with spaces): 303 to /admin and the session cookie", (st, h))
    t.ok(COOKIE_RE.match(h.get("set-cookie", "")),
         "cookie exactly petitiond_admin=<64 hex>; Path=/admin; HttpOnly; SameSite=Strict (no Secure over http)",
         h.get("set-cookie"))
    rows = db_rows(srv, "SELECT id_sha256 FROM admin_sessions")
    t.ok(sid and (hashlib.sha256(sid.encode()).hexdigest(),) in rows and (sid,) not in rows,
         "the database holds the session id's hash, not the id", rows)

    st, h, b = login(srv, owner, headers={"X-Forwarded-Proto": "https"})
    t.ok(st == 303 and h.get("set-cookie", "").endswith("; HttpOnly; SameSite=Strict; Secure")
         and session_of({"set-cookie": h.get("set-cookie", "")[:-len("; Secure")]}),
         "behind a loopback proxy saying X-Forwarded-Proto: https the cookie is Secure", h.get("set-cookie"))

    st, h, b = login(srv, owner, next_="/admin/audit")
    t.ok(st == 303 and h.get("location") == "/admin/audit", "next=/admin/audit: back to that page", h)
    for evil in ("https://evil.example/", "//evil.example/admin", "/admin/../x", "/adminx", "/admin/a?b=c",
                 "/\\evil.example"):
        st, h, b = login(srv, owner, next_=evil)
        t.ok(st == 303 and h.get("location") == "/admin", "next=%r: to /admin, never elsewhere" % evil, h)

    # ---- the session opens pages and POSTs --------------------------------------
    st, h, b = srv.get("/admin", with_cookie(sid))
    t.ok(st == 200 and b"<strong>owner</strong>" in b, "the session opens the dashboard, as owner", st)
    t.ok(b'<form class="admin-who" method="post" action="/admin/logout">' in b,
         "its navigation has the sign-out button")
    st, h, b = srv.get("/admin/export.csv", with_cookie(sid))
    t.ok(st == 200 and b.lstrip(b"\xef\xbb\xbf").startswith(b"id,signed_at"), "and the CSV export", st)
    st, h, b = srv.request("POST", "/admin/admins", b"action=add&name=viasession",
                           dict(FORM, **with_cookie(sid, same_origin(srv))))
    t.ok(st == 303 and db_rows(srv, "SELECT name FROM admins WHERE name = 'viasession'"),
         "and a POST from the same site (adding an organizer)", st)
    st, h, b = srv.request("POST", "/admin/admins", b"action=add&name=viaevil",
                           dict(FORM, **with_cookie(sid, {"Origin": "http://evil.example"})))
    t.ok(st == 403 and not db_rows(srv, "SELECT name FROM admins WHERE name = 'viaevil'"),
         "the same POST from another site with the cookie: 403, nothing added", st)
    st, h, b = srv.get("/admin/login", with_cookie(sid))
    t.ok(st == 303 and h.get("location") == "/admin", "the sign-in page, signed in: on to /admin", h)
    st, h, b = srv.get("/admin", with_cookie("0" * 64))
    t.ok(st == 401 and CLEAR_RE.match(h.get("set-cookie", "")),
         "a cookie that opens nothing: 401, and it is dropped (Max-Age=0)", h.get("set-cookie"))

    # ---- sign-out -----------------------------------------------------------------
    st, h, b = srv.request("POST", "/admin/logout", b"", dict(FORM, **with_cookie(sid, {"Origin": "http://evil.example"})))
    t.eq(st, 403, "sign-out posted from another site: 403")
    st, h, b = srv.get("/admin", with_cookie(sid))
    t.eq(st, 200, "and the session still works")
    st, h, b = srv.request("POST", "/admin/logout", b"", dict(FORM, **with_cookie(sid, same_origin(srv))))
    t.ok(st == 303 and h.get("location") == "/admin/login?out=1" and CLEAR_RE.match(h.get("set-cookie", "")),
         "sign-out: 303 to the sign-in page, the cookie dropped", h)
    st, h, b = srv.get("/admin", with_cookie(sid))
    t.eq(st, 401, "the old cookie opens nothing any more (ended in the database)")
    st, h, b = srv.get("/admin/login?out=1")
    t.ok(st == 200 and b"You have signed out." in b, "the sign-in page says so")

    # ---- revoke / rotate end sessions --------------------------------------------
    st, h, b = login(srv, alice)
    asid = session_of(h)
    t.ok(st == 303 and asid, "alice signs in with the form")
    rc, out, err = cli(srv, "list")
    t.ok(re.search(r"^alice\s+\S+ \S+ UTC\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+active$", out, re.M),
         "admin list shows alice's last sign-in", out)
    rc, out, err = cli(srv, "rotate", "alice")
    alice_new = one_token(out)
    st, h, b = srv.get("/admin", with_cookie(asid))
    t.eq(st, 401, "rotating alice's token from the command line ends her session at once")
    st, h, b = login(srv, alice_new)
    asid = session_of(h)
    rc, out, err = cli(srv, "revoke", "alice")
    st, h, b = srv.get("/admin", with_cookie(asid))
    t.ok(rc == 0 and st == 401, "revoking alice ends her session at once")
    st, h, b = login(srv, alice_new, headers=client())
    t.ok(st == 422 and "set-cookie" not in h, "a revoked token cannot sign in: 422")
    return owner


def test_idle(t):
    with H.Server(extra_args=["--admin-session-idle", "3"]) as srv:
        st, h, b = login(srv, srv.token)
        sid = session_of(h)
        t.ok(st == 303 and sid, "idle test server (--admin-session-idle 3): signed in")
        ok = True
        for i in range(5):  # 5 s of use, each request 1 s after the last
            time.sleep(1.0)
            st, _, _ = srv.get("/admin", with_cookie(sid))
            ok = ok and st == 200
        t.ok(ok, "a session in use outlives its idle time (5 s of requests 1 s apart, idle 3 s)")
        time.sleep(3.6)
        st, h, b = srv.get("/admin", with_cookie(sid))
        t.ok(st == 401 and b"session has ended" in b and CLEAR_RE.match(h.get("set-cookie", "")),
             "after 3.6 s unused it has ended: 401, 'your session has ended', cookie dropped", (st, h))
        st, h, b = srv.get("/admin/login")
        t.ok(b"3 seconds" in b, "the sign-in page says how long a session lasts unused")
        H.check_clean_exit(t, srv, "idle test server: exit 0, no sanitizer reports")


def test_no_signer_cookie(t, srv):
    bad = []
    for method, path in (("GET", "/"), ("GET", "/?lang=km"), ("GET", "/thanks"), ("GET", "/embed"),
                         ("GET", "/api/stats"), ("GET", "/qr.svg"), ("GET", "/healthz"), ("GET", "/nope")):
        st, h, b = srv.request(method, path)
        if "set-cookie" in h:
            bad.append(path)
    st, h, b = srv.sign({"name": "Sok Dara", "email": "dara.cookie@example.org", "country": "KH",
                         "comment": "private comment"})
    if "set-cookie" in h:
        bad.append("POST /sign")
    st2, h, b = srv.sign({"name": "Sok Dara", "email": "dara.json@example.org", "country": "KH"}, json=True)
    if "set-cookie" in h:
        bad.append("POST /sign (JSON)")
    t.ok(st == 303 and st2 == 201 and not bad,
         "no cookie on any signer page: /, /thanks, /embed, /api/stats, POST /sign (form and JSON), 404", bad)


def test_browser_admins(t, srv):
    owner = srv.token
    st, h, b = login(srv, owner)
    osid = session_of(h)
    oh = with_cookie(osid, same_origin(srv))
    post = dict(FORM, **oh)

    st, h, b = srv.get("/admin/admins", with_cookie(osid))
    t.ok(st == 200 and b"<th scope=\"row\">owner" in b and b'name="action" value="add"' in b,
         "/admin/admins for the owner: the list and the add form", st)
    st, h, b = srv.get("/admin/admins?lang=km", with_cookie(osid))
    t.ok(st == 200 and 'lang="km"'.encode() in b, "/admin/admins in Khmer")

    # ---- add a second organizer --------------------------------------------------
    st, h, b = srv.request("POST", "/admin/admins", "action=add&name=bob", post)
    loc = h.get("location", "")
    t.ok(st == 303 and loc.startswith("/admin/admins?done=added&shown="), "adding bob: 303 to the result page", (st, h))
    st, h, b = srv.get(loc, with_cookie(osid))
    page = b.decode()
    toks = re.findall(r'<code class="token">([0-9a-f]{48})</code>', page)
    bob = toks[0] if len(toks) == 1 else None
    t.ok(st == 200 and bob and "The organizer was added." in page, "the result page shows bob's token once", st)
    t.ok(bob and bob not in loc, "the token is not in the result page's URL")
    st, h, b = srv.get(loc, with_cookie(osid))
    t.ok(st == 200 and bob and bob.encode() not in b and b"can no longer be shown" in b,
         "the same URL again: the token is gone")
    st, h, b = srv.get("/admin", bearer(bob))
    t.ok(st == 200 and b"<strong>bob</strong>" in b, "bob's token opens the dashboard, as bob")
    rows = db_rows(srv, "SELECT token_sha256 FROM admins WHERE name = 'bob'")
    t.ok(rows == [(hashlib.sha256(bob.encode()).hexdigest(),)], "only its hash is stored")

    st, h, b = srv.request("POST", "/admin/admins", "action=add&name=BOB", post)
    t.ok(st == 422 and b"exists already" in b, "adding bob again (any case): 422")
    st, h, b = srv.request("POST", "/admin/admins", "action=add&name=%3Cscript%3Ealert(1)%3C%2Fscript%3E", post)
    t.ok(st == 422 and b"<script>alert" not in b, "a hostile name: 422, not reflected")
    st, h, b = srv.request("POST", "/admin/admins", "action=add&name=" + "a" * 33, post)
    t.eq(st, 422, "a name of 33 characters: 422")
    st, h, b = srv.request("POST", "/admin/admins", "action=add&name=", post)
    t.eq(st, 422, "an empty name: 422")
    st, h, b = srv.request("POST", "/admin/admins", "action=frob&name=x", post)
    t.eq(st, 400, "an unknown action: 400")
    st, h, b = srv.request("POST", "/admin/admins", "action=add&name=x" + "y" * 17000, post)
    t.eq(st, 413, "an oversize body: 413")
    st, h, b = srv.request("POST", "/admin/admins", "action=add&name=carol", dict(oh, **{"Content-Type": "text/plain"}))
    t.eq(st, 415, "another content type: 415")
    st, h, b = srv.request("POST", "/admin/admins", "action=add&name=carol",
                           dict(FORM, **with_cookie(osid, {"Origin": "http://evil.example"})))
    t.eq(st, 403, "adding from another site: 403")
    st, h, b = srv.request("POST", "/admin/admins", "action=add&name=carol", dict(FORM, **client()))
    t.eq(st, 401, "adding without credentials: 401")
    rows = db_rows(srv, "SELECT name FROM admins WHERE name = 'carol'")
    t.eq(rows, [], "none of those made an account")

    # ---- bob: not the owner -----------------------------------------------------------
    st, h, b = login(srv, bob)
    bsid = session_of(h)
    bpost = dict(FORM, **with_cookie(bsid, same_origin(srv)))
    st, h, b = srv.get("/admin/admins", with_cookie(bsid))
    t.ok(st == 200 and b'value="add"' not in b and b"confirm=rotate&amp;name=bob" in b
         and b"confirm=revoke" not in b, "bob sees the list, no add form, only his own 'Replace token'")
    st, h, b = srv.request("POST", "/admin/admins", "action=add&name=mallory", bpost)
    t.eq(st, 403, "bob cannot add an organizer: 403")
    st, h, b = srv.get("/admin/admins?confirm=revoke&name=owner", with_cookie(bsid))
    t.ok(st == 200 and b'name="confirm"' not in b, "bob is not offered a confirmation he could not use")
    st, h, b = srv.request("POST", "/admin/admins", "action=revoke&name=owner&confirm=1", bpost)
    t.eq(st, 403, "bob cannot revoke the owner: 403")
    st, h, b = srv.request("POST", "/admin/admins", "action=rotate&name=owner&confirm=1", bpost)
    t.eq(st, 403, "bob cannot replace the owner's token: 403")
    st, h, b = srv.get("/admin", bearer(owner))
    t.eq(st, 200, "the owner's token still works")

    # bob replaces his own token, from his session
    st, h, b = srv.request("POST", "/admin/admins", "action=rotate&name=bob", bpost)
    t.ok(st == 303 and h.get("location") == "/admin/admins?confirm=rotate&name=bob",
         "replacing a token without confirm=1: 303 to the confirmation step", h)
    st, h, b = srv.get(h.get("location", "/"), with_cookie(bsid))
    t.ok(st == 200 and b'name="confirm" value="1"' in b and b'name="action" value="rotate"' in b,
         "the confirmation step: a form with confirm=1")
    st, h, b = srv.request("POST", "/admin/admins", "action=rotate&name=bob&confirm=1", bpost)
    loc = h.get("location", "")
    st2, h2, b2 = srv.get(loc, with_cookie(bsid))
    toks = re.findall(r'<code class="token">([0-9a-f]{48})</code>', b2.decode())
    bob2 = toks[0] if len(toks) == 1 else None
    t.ok(st == 303 and st2 == 200 and bob2 and bob2 != bob,
         "bob replaces his own token: his session stays and shows the new one once", (st, st2))
    st, _, _ = srv.get("/admin", dict(bearer(bob), **client()))
    st2, _, _ = srv.get("/admin", bearer(bob2))
    t.ok(st == 401 and st2 == 200, "the old token is refused, the new one works", (st, st2))

    # ---- the owner revokes bob -----------------------------------------------------------
    st, h, b = srv.request("POST", "/admin/admins", "action=revoke&name=owner&confirm=1", post)
    t.ok(st == 422 and b"cannot be revoked from a browser" in b, "the owner cannot be revoked from a browser: 422")
    st, h, b = srv.request("POST", "/admin/admins", "action=revoke&name=bob", post)
    t.ok(st == 303 and h.get("location") == "/admin/admins?confirm=revoke&name=bob", "revoking: confirmation first", h)
    st, h, b = srv.get("/admin", with_cookie(bsid))
    t.eq(st, 200, "before confirming, bob is still signed in")
    st, h, b = srv.request("POST", "/admin/admins", "action=revoke&name=bob&confirm=1", post)
    t.ok(st == 303 and h.get("location") == "/admin/admins?done=revoked", "revoking bob, confirmed: 303", h)
    st, h, b = srv.get("/admin", with_cookie(bsid))
    st2, _, _ = srv.get("/admin", dict(bearer(bob2), **client()))
    t.ok(st == 401 and st2 == 401, "bob's session and token are refused at once", (st, st2))
    st, h, b = srv.request("POST", "/admin/admins", "action=revoke&name=bob&confirm=1", post)
    t.ok(st == 422 and b"no active organizer" in b, "revoking bob again: 422")
    st, h, b = srv.get("/admin/admins", with_cookie(osid))
    t.ok(re.search(rb'<th scope="row">bob</th>.*?Revoked \d{4}-\d\d-\d\d', b), "the list shows bob revoked")

    # the owner replaces their own token with a session: stays signed in
    st, h, b = srv.request("POST", "/admin/admins", "action=rotate&name=owner&confirm=1", post)
    st2, h2, b2 = srv.get(h.get("location", "/"), with_cookie(osid))
    toks = re.findall(r'<code class="token">([0-9a-f]{48})</code>', b2.decode())
    t.ok(st == 303 and st2 == 200 and len(toks) == 1, "the owner replaces their own token from the browser")
    if toks:
        srv.token = toks[0]
    st, _, _ = srv.get("/admin", dict(bearer(owner), **client()))
    st2, _, _ = srv.get("/admin", bearer(srv.token))
    t.ok(st == 401 and st2 == 200, "the old owner token is refused, the new one works", (st, st2))

    # with a token only (no session), one's own new token is on the answer itself
    st, h, b = srv.request("POST", "/admin/admins", "action=rotate&name=owner&confirm=1",
                           dict(FORM, **bearer(srv.token)))
    toks = re.findall(r'<code class="token">([0-9a-f]{48})</code>', b.decode())
    t.ok(st == 200 and len(toks) == 1 and "location" not in h,
         "rotating one's own token with Bearer: the new token on the answer (the next page would need it)", st)
    if toks:
        srv.token = toks[0]
    st, _, _ = srv.get("/admin", bearer(srv.token))
    t.eq(st, 200, "and it works")
    st, _, _ = srv.get("/admin", with_cookie(osid))
    t.eq(st, 401, "and the owner's browser session, made with the old token, has ended")
    st, h, b = login(srv, srv.token)
    return session_of(h)


def test_audit(t, srv, osid, all_tokens):
    auth = bearer(srv.token)
    st, _, _ = srv.sign({"name": "Chan Sopheap", "email": "sopheap.audit@example.org", "country": "KH",
                         "comment": "secret comment"})
    n = srv.count()
    st2, h, b = srv.request("POST", "/admin/delete", b"email=sopheap.audit%40example.org&confirm=1",
                            dict(FORM, **auth))
    t.ok(st == 303 and st2 in (200, 303) and srv.count() == n - 1,
         "a signature made and deleted by email (the dashboard's form, confirmed)", (st, st2))
    st, h, b = srv.request("GET", "/admin/export.csv", headers=auth)
    t.eq(st, 200, "an export")
    st, text, rows = audit_rows(srv, with_cookie(osid))
    t.ok(st == 200 and rows, "/admin/audit with the session: 200 and rows", st)
    actions = [(r[1], r[2]) for r in rows]
    want = [("owner", "Signed in"), ("cli:%s" % os.environ.get("USER", "root"), "Added an organizer"),
            ("owner", "Added an organizer"), ("owner", "Revoked an organizer"), ("bob", "Replaced a token"),
            ("bob", "Signed in"), ("owner", "Exported the signatures"), ("owner", "Deleted a signature"),
            ("owner", "Signed out")]
    missing = [w for w in want if w not in actions and not (w[0].startswith("cli:") and any(
        a[0].startswith("cli:") and a[1] == w[1] for a in actions))]
    t.ok(not missing, "the trail has sign-in, sign-out, account changes (browser and command line), "
                      "export and delete, each with the organizer's name", missing)
    t.ok(re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC\+07:00$", rows[0][0]),
         "with the time, in the organizers' time zone (Asia/Phnom_Penh by default), labeled", rows[0])
    newest = rows[0]
    t.ok(newest[1] == "owner" and newest[2] == "Exported the signatures" and newest[3] == "csv",
         "newest first: the export just made", newest)
    dele = [r for r in rows if r[2] == "Deleted a signature"]
    t.ok(dele and all("sopheap" not in r[3].lower() and "@" not in r[3] for r in dele),
         "the delete's line names no address", dele)
    low = text.lower()
    t.ok("sopheap" not in low and "chan sopheap" not in low and "secret comment" not in low
         and "dara.cookie" not in low, "no signer's name, email or comment anywhere on the page")
    t.ok(not any(tok in text for tok in all_tokens), "no token anywhere on the page")

    # paging: 55 exports make more than a page
    for _ in range(55):
        srv.request("GET", "/admin/export.csv", headers=auth)
    st, text, rows = audit_rows(srv, auth)
    m = re.search(r'href="/admin/audit\?before=(\d+)"', text)
    t.ok(st == 200 and len(rows) == 50 and m, "a page holds 50 lines and links to older ones", len(rows))
    if m:
        st, text2, rows2 = audit_rows(srv, auth, int(m.group(1)))
        ids1 = {r for r in rows}
        t.ok(st == 200 and rows2 and 'href="/admin/audit"' in text2 and len(rows) + len(rows2) > 50,
             "the next page: older lines and a link back to the newest", len(rows2))
        t.ok(any(r[2] == "Signed in" for r in rows2), "the older page goes back to the first sign-ins")
        del ids1
    st, _, _ = srv.get("/admin/audit?before=abc", auth)
    t.eq(st, 400, "before=abc: 400")
    st, h, b = srv.get("/admin/audit", client())
    t.eq(st, 401, "/admin/audit without credentials: 401")
    st, h, b = srv.get("/admin/audit", dict(auth, **{"Sec-Fetch-Site": "cross-site"}))
    t.eq(st, 403, "/admin/audit asked cross-site: 403")


def test_first_start(t):
    with H.Server(token=None) as srv:
        toks = TOKEN_RE.findall(srv.stdout())
        t.ok(len(toks) == 1, "first start without --admin-token: one token printed", srv.stdout()[-400:])
        if not toks:
            return
        srv.token = toks[0]
        st, h, b = srv.get("/admin", bearer(toks[0]))
        t.ok(st == 200 and b"<strong>owner</strong>" in b, "it is the account owner's")
        rc, out, err = cli(srv, "list")
        t.ok(rc == 0 and re.search(r"^owner\s", out, re.M), "admin list shows owner")
        srv.restart()
        t.eq(TOKEN_RE.findall(srv.stdout()), [], "a restart prints no new token")
        st, _, _ = srv.get("/admin", bearer(toks[0]))
        t.eq(st, 200, "and the first token still works")
        rc, out, err = cli(srv, "rotate", "owner")
        new = one_token(out)
        st, _, _ = srv.get("/admin", dict(bearer(toks[0]), **client()))
        st2, _, _ = srv.get("/admin", bearer(new or "x"))
        t.ok(rc == 0 and st == 401 and st2 == 200, "admin rotate owner replaces the first start's token")
        srv.stop()
        rc, out, err = cli(srv, "add", "offline")
        t.ok(rc == 0 and one_token(out), "admin add works with the server stopped too")
        srv.start()
        st, _, _ = srv.get("/admin", bearer(one_token(out) or "x"))
        t.eq(st, 200, "and the server started later accepts that account")
        H.check_clean_exit(t, srv, "first-start server: every stop exit 0, no sanitizer reports")


def test_cli_under_load(t, srv):
    """The command line writes beside the server's writer while signatures
    pour in: both wait their turn (BEGIN IMMEDIATE, busy timeout), nothing is
    lost, the database stays whole."""
    hidden = srv.hidden_fields()
    before = srv.count()
    results = []

    def signer(k):
        for i in range(40):
            st, _, _ = srv.sign({"name": "Load %d %d" % (k, i), "email": "load%d.%d@example.org" % (k, i),
                                 "country": "KH"}, hidden=hidden)
            results.append(st)

    threads = [threading.Thread(target=signer, args=(k,)) for k in range(6)]
    for th in threads:
        th.start()
    rcs = []
    for i in range(6):
        rc, out, err = cli(srv, "add", "load%d" % i)
        rcs.append((rc, one_token(out) is not None, err.strip()[:200]))
    for th in threads:
        th.join(60)
    t.ok(all(r[0] == 0 and r[1] for r in rcs), "6 admin add during 240 signatures: each exit 0 with a token", rcs)
    t.ok(len(results) == 240 and all(st == 303 for st in results) and srv.count() == before + 240,
         "every signature made meanwhile acknowledged and counted", (len(results), set(results)))
    if srv.engine == "pg":
        t.skip("integrity_check ok after it", "SQLite only: PRAGMA integrity_check checks the database file")
    else:
        t.eq(db_rows(srv, "PRAGMA integrity_check"), [("ok",)], "integrity_check ok after it")


def test_legacy(t):
    """A database whose one token was kept as the setting admin_token_sha256
    (before accounts): it becomes the account owner's, and keeps working.
    SQLite only: such databases are SQLite files of schema 6 (PostgreSQL
    starts at the accounts' schema)."""
    if H.engine() == "pg":
        why = "SQLite only: migrates a schema-6 SQLite file (before accounts)"
        for desc in ("an upgraded database: no new token printed",
                     "the token kept before accounts is the account owner's",
                     "the old setting is gone (moved, not copied)"):
            t.skip(desc, why)
        return
    db_dir = os.path.join(H.REPO, "db")
    migs = sorted(f for f in os.listdir(db_dir) if f.endswith(".sql"))
    k = [i for i, f in enumerate(migs) if f.startswith("007_")][0]
    work = tempfile.mkdtemp(prefix="petitiond-admins-")
    try:
        con = sqlite3.connect(os.path.join(work, "sig.db"), isolation_level=None)
        for name in migs[:k]:
            with open(os.path.join(db_dir, name), encoding="utf-8") as f:
                con.executescript(f.read())
        legacy = "legacy-first-start-token-" + "ab" * 12
        con.execute("INSERT INTO settings (key, value) VALUES ('admin_token_sha256', ?)",
                    (hashlib.sha256(legacy.encode()).hexdigest(),))
        con.execute("PRAGMA user_version = %d" % k)
        con.close()
        with H.Server(workdir=work, token=None) as srv:
            t.eq(TOKEN_RE.findall(srv.stdout()), [], "an upgraded database: no new token printed")
            st, h, b = srv.get("/admin", bearer(legacy))
            t.ok(st == 200 and b"<strong>owner</strong>" in b,
                 "the token kept before accounts is the account owner's", st)
            t.eq(db_rows(srv, "SELECT count(*) FROM settings WHERE key = 'admin_token_sha256'"), [(0,)],
                 "the old setting is gone (moved, not copied)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(t):
    with H.Server() as srv:
        alice = test_cli(t, srv)
        test_login(t, srv, alice)
        test_no_signer_cookie(t, srv)
        osid = test_browser_admins(t, srv)
        test_audit(t, srv, osid, [srv.token])
        test_cli_under_load(t, srv)
        H.check_clean_exit(t, srv)
        err = srv.all_stderr()
        t.ok(srv.token not in err and not re.search(r"\b[0-9a-f]{48}\b", err),
             "the server's log holds no token", err[-600:])
    test_idle(t)
    test_first_start(t)
    test_legacy(t)
    reports = [H.sanitizer_report(e) for e in CLI_STDERR if H.sanitizer_report(e)]
    t.ok(len(CLI_STDERR) > 20 and not reports,
         "%d admin commands, no sanitizer report" % len(CLI_STDERR), reports)


if __name__ == "__main__":
    H.run(main, limit=110)
