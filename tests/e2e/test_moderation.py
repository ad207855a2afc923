#!/usr/bin/env python3
"""test_moderation.py -- /admin/signatures: organizers browse, search, hide,
show again, keep anonymous and delete signatures.

The server starts on a database left by petitiond 0.2 (schema 3) with 140
signatures, some of them public from before public names existed, some
with hostile names (HTML, a right-to-left override) that no form would take
today but an old or imported row may hold; it migrates it, and more
signatures come in through the form. Then: the list (newest first, 50 a
page, keyset links both ways), searches by name (Latin with and without
accents, Khmer), by email address (whole and its beginning) and by country,
a signature signed a moment ago found at once, hide and show (the public
list changes, the count does not), the decision about old anonymous rows,
deletion with its confirmation page (count, list, export, search index and
audit trail; the redirect and the audit carry no personal data; a reload
does nothing), the refusal paths, and hostile text rendered inert."""
import os
import re
import sqlite3
import sys
import tempfile
import time
import urllib.parse
from html import unescape

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

REPO = H.REPO
FORM = {"Content-Type": H.FORM_CT}
LEGACY = 140          # rows in the old database
NOW = int(time.time())
EVIL_HTML = "<script>alert(1)</script>Evil Name"
EVIL_BIDI = "Dara\u202eevil.com"
RTL_NAME = "\u05d0\u05d1\u05d9 \u05db\u05d4\u05df"  # Hebrew, right to left
EVIL_COMMENT = "<img src=x onerror=alert(1)>\nsecond line"


def legacy_rows():
    """The LEGACY signatures of the old database, in id order, as
    (signed_at, name, email, email_norm, country, comment, public, updates)."""
    countries = ["KH", "US", "FR", "AU", "TH"]
    out = []
    for i in range(1, LEGACY + 1):
        name, comment = "Bulk Signer %03d" % i, "comment %d" % i
        if i == 20:
            name = EVIL_HTML
        elif i == 21:
            name, comment = EVIL_BIDI, EVIL_COMMENT
        elif i == 22:
            name = RTL_NAME
        email = "bulk%03d@example.org" % i
        out.append((NOW - (LEGACY - i) * 300 - 3600, name, email, email, countries[i % 5], comment,
                    1 if i % 7 == 0 else 0, i % 2))
    return out


def legacy_db(path):
    """A database as petitiond 0.2 left it: schema 3, LEGACY signatures over
    the last days; every 7th public with no public name (what 0.2 showed
    as "a signer from COUNTRY"), three hostile rows."""
    db = sqlite3.connect(path)
    with open(os.path.join(REPO, "db", "001_init.sql"), encoding="utf-8") as f:
        db.executescript(f.read())
    for r in legacy_rows():
        db.execute("INSERT INTO signatures (signed_at, name, email, email_norm, country, comment,"
                   " public, updates) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", r)
    for mig in ("002_meta.sql", "003_flag_counters.sql"):
        with open(os.path.join(REPO, "db", mig), encoding="utf-8") as f:
            db.executescript(f.read())
    db.execute("PRAGMA user_version = 3")
    db.commit()
    db.close()


def legacy_pg(srv):
    """PostgreSQL has no 0.2 database to migrate: the same LEGACY rows go
    into the (stopped) server's fresh database as they stand after the
    migrations -- public rows with no public name, from before the column --
    with every counter, day, quarter hour and country figure the migrations
    (002, 003, 004, 009) would have derived from them."""
    rows = legacy_rows()
    srv.execute("INSERT INTO signatures (signed_at, name, email, email_norm, country, comment,"
                " public, updates) VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * len(rows)),
                [v for r in rows for v in r])
    for name, where in (("signatures", "TRUE"), ("accepted", "TRUE"), ("public", "public = 1"),
                        ("updates", "updates = 1")):
        srv.execute("UPDATE counters SET value = value + (SELECT count(*) FROM signatures WHERE %s)"
                    " WHERE name = ?" % where, (name,))
    srv.execute("INSERT INTO daily (day, n) SELECT to_char(to_timestamp(signed_at) AT TIME ZONE 'UTC',"
                " 'YYYY-MM-DD'), count(*) FROM signatures GROUP BY 1"
                " ON CONFLICT (day) DO UPDATE SET n = daily.n + excluded.n")
    srv.execute("INSERT INTO agg_slot (t, n) SELECT signed_at - signed_at % 900, count(*) FROM signatures"
                " GROUP BY 1 ON CONFLICT (t) DO UPDATE SET n = agg_slot.n + excluded.n")
    srv.execute("INSERT INTO agg_country (country, n) SELECT country, count(*) FROM signatures"
                " GROUP BY 1 ON CONFLICT (country) DO UPDATE SET n = agg_country.n + excluded.n")


def auth(srv, **extra):
    h = dict(srv.auth_header())
    h.update(extra)
    return h


def get(srv, path, **hdr):
    st, h, b = srv.request("GET", path, headers=auth(srv, **hdr))
    return st, h, b.decode("utf-8", "replace")


def post(srv, path, pairs, headers=None):
    h = auth(srv, **FORM)
    if headers is not None:
        h = headers
    return srv.request("POST", path, H.urlencode(pairs), h)


def row_ids(html):
    return [int(x) for x in re.findall(r'<tr id="sig-(\d+)">', html)]


def link(html, rel):
    m = re.search(r'<a rel="%s" href="([^"]*)"' % rel, html)
    return unescape(m.group(1)) if m else None


def search(srv, **params):
    st, h, html = get(srv, "/admin/signatures?" + urllib.parse.urlencode(params))
    return st, html, row_ids(html)


def q1(srv, sql, args=()):
    """The first row of sql's result, or None (either engine)."""
    r = srv.query(sql, args)
    return r[0] if r else None


def state(srv, sid):
    """The row's moderation state: 'hidden', 'kept' or None."""
    r = q1(srv, "SELECT state FROM moderation WHERE id = ?", (sid,))
    return r[0] if r else None


def id_of(srv, email):
    r = q1(srv, "SELECT id FROM signatures WHERE email_norm = ?", (email.lower(),))
    return r[0] if r else None


def recent_text(srv, lang=None):
    html = srv.page("/" if lang is None else "/?lang=" + lang)
    m = re.search(r'<section class="recent".*?</section>', html, re.S)
    return H.html_text(m.group(0)) if m else ""


def poll(fn, timeout=3.0):
    end = time.monotonic() + timeout
    v = fn()
    while not v and time.monotonic() < end:
        time.sleep(0.05)
        v = fn()
    return v


def sign_all(t, srv):
    hid = srv.hidden_fields()
    people = [
        ("Sokha Chan", "sokha.chan@example.org", "KH", "", "1", "Sokha C."),
        ("សុខ ចាន់ថា", "chantha@example.org", "KH", "សូមគាំទ្រ", "1", "ចាន់ថា"),
        ("Trần Hữu Phước", "tran.phuoc@example.org", "VN", "", "", ""),
        ("Erase Me", "Erase.Me@Example.org", "US", "please forget me", "1", "Erase M."),
    ]
    ok = True
    for name, email, cc, comment, public, pname in people:
        f = {"name": name, "email": email, "country": cc, "comment": comment}
        if public:
            f.update(public="1", public_name=pname)
        st, _, _ = srv.sign(f, hidden=hid)
        ok &= st == 303
    t.ok(ok, "four signatures through the form: 303 each")


def test_list(t, srv):
    total = srv.count()
    maxid = q1(srv, "SELECT max(id) FROM signatures")[0]
    st, h, html = get(srv, "/admin/signatures")
    t.eq(st, 200, "GET /admin/signatures with the token: 200")
    t.ok("no-store" in h.get("cache-control", ""), "the list is not cached", h.get("cache-control"))
    ids = row_ids(html)
    t.ok(len(ids) == 50 and ids == sorted(ids, reverse=True) and ids[0] == maxid,
         "page 1: 50 rows, newest first, starting with the newest", ids[:5])
    t.ok(H.thousands(total) in H.html_text(html), "the page says how many signatures there are")
    t.ok('aria-current="page"' in html and "/admin/signatures" in html, "the organizers' navigation marks this page")
    older = link(html, "next")
    t.ok(older is not None and "before=%d" % ids[-1] in older, "page 1 links to older rows by id", older)
    t.ok(link(html, "prev") is None, "page 1 has no newer link")
    st, _, html2 = get(srv, older)
    ids2 = row_ids(html2)
    t.ok(st == 200 and len(ids2) == 50 and ids2 == sorted(ids2, reverse=True) and ids2[0] < ids[-1],
         "page 2: the next 50, older than page 1, newest first", ids2[:3])
    st, _, html3 = get(srv, link(html2, "next"))
    ids3 = row_ids(html3)
    t.ok(st == 200 and len(ids3) == total - 100 and (not ids3 or ids3[0] < ids2[-1]),
         "page 3: the rest (%d)" % (total - 100), len(ids3))
    t.ok(link(html3, "next") is None, "the last page has no older link")
    t.eq(len(set(ids) | set(ids2) | set(ids3)), total, "three pages: every signature once")
    newer = link(html2, "prev")
    st, _, back = get(srv, newer)
    t.ok(st == 200 and row_ids(back) == ids, "page 2's newer link gives page 1 again", newer)
    st, h, b = srv.request("HEAD", "/admin/signatures", headers=srv.auth_header())
    t.ok(st == 200 and b == b"", "HEAD /admin/signatures: 200, no body")
    st, _, km = get(srv, "/admin/signatures?lang=km")
    t.ok(st == 200 and "ហត្ថលេខា" in km and len(row_ids(km)) == 50, "the list in Khmer")


def test_search(t, srv):
    sokha = id_of(srv, "sokha.chan@example.org")
    chantha = id_of(srv, "chantha@example.org")
    tran = id_of(srv, "tran.phuoc@example.org")
    st, html, ids = search(srv, q="Sokha")
    t.ok(st == 200 and ids == [sokha], "name search 'Sokha': the one signer", ids)
    st, html, ids = search(srv, q="sokha c")
    t.ok(ids == [sokha], "two words, the second a beginning ('sokha c')", ids)
    st, html, ids = search(srv, q="ចាន់")
    t.ok(ids == [chantha], "Khmer: the beginning of a word ('ចាន់')", ids)
    st, html, ids = search(srv, q="សុខ")
    t.ok(ids == [chantha], "Khmer: a whole word ('សុខ')", ids)
    st, html, ids = search(srv, q="tran huu")
    t.ok(ids == [tran], "accents ignored: 'tran huu' finds 'Trần Hữu Phước'", ids)
    st, html, ids = search(srv, q="TRẦN")
    t.ok(ids == [tran], "case ignored: 'TRẦN'", ids)
    st, html, ids = search(srv, q="Bulk Signer 13")
    want = sorted(id_of(srv, "bulk%03d@example.org" % i) for i in range(130, 140))
    t.ok(sorted(ids) == want, "old rows are searchable after the migration ('Bulk Signer 13':"
         " the words begin 'bulk', 'signer', '13': rows 130-139)", ids)
    st, html, ids = search(srv, q=" Tran.Phuoc@Example.org ")
    t.ok(ids == [tran], "email: a whole address, any case, blanks trimmed", ids)
    st, html, ids = search(srv, q="tran.ph@")
    t.ok(ids == [], "email: another address's beginning finds nothing", ids)
    st, html, ids = search(srv, q="tran.phuoc@exa")
    t.ok(ids == [tran], "email: the beginning of the address", ids)
    st, html, ids = search(srv, q="nobody@example.org")
    t.ok(st == 200 and ids == [] and "No signatures here." in html, "email: no match, said so")
    st, html, ids = search(srv, country="VN")
    t.ok(ids == [tran], "country VN: only the signer from Viet Nam", ids)
    st, html, ids = search(srv, country="fr")
    want = q1(srv, "SELECT count(*) FROM signatures WHERE country = 'FR'")[0]
    cs = {r[0] for r in srv.query("SELECT country FROM signatures WHERE id IN (%s)" %
                                  ",".join(str(i) for i in ids or [0]))}
    t.ok(len(ids) == want and cs == {"FR"}, "country fr (any case): the %d signers from France" % want,
         (len(ids), cs))
    st, html, ids = search(srv, q="sokha", country="US")
    t.ok(ids == [], "a name and another country: nothing", ids)
    st, html, ids = search(srv, q="sokha", country="KH")
    t.ok(ids == [sokha], "a name and its country", ids)
    st, html, ids = search(srv, q="bulk", country="KH", view="")
    want = q1(srv, "SELECT count(*) FROM signatures WHERE name LIKE 'Bulk %' AND country = 'KH'")[0]
    t.ok(len(ids) == want and link(html, "next") is None, "'bulk' in Cambodia: %d rows, one page" % want,
         len(ids))
    # Signed a moment ago, found at once: the search brings the index up to date first.
    st, _, _ = srv.sign({"name": "Quillon Newcomer", "email": "quillon@example.org", "country": "KH"})
    st, html, ids = search(srv, q="quillon")
    t.ok(ids == [id_of(srv, "quillon@example.org")] and "not in the search index" not in html,
         "a signature from a moment ago is found at once", ids)
    # What was typed is shown back, escaped; query syntax is only words.
    st, html, ids = search(srv, q='<b>"x" OR y*</b>')
    t.ok(st == 200 and '<b>"x"' not in html and "&lt;b&gt;&quot;x&quot; OR y*&lt;/b&gt;" in html,
         "search text shown back escaped in the box", st)
    st, html, ids = search(srv, q="x" * 401)
    t.ok(st == 422 and "400 characters" in html, "search text over 400 bytes: 422 with a message", st)
    st, html, ids = search(srv, q="a b c d e f g h i")
    t.eq(st, 422, "nine words: 422")


def act(srv, what, sid, extra=()):
    return post(srv, "/admin/signatures/" + what, [("id", str(sid))] + list(extra))


def counters(srv):
    c = dict(srv.query("SELECT name, value FROM counters"))
    c["rows"] = q1(srv, "SELECT count(*) FROM signatures")[0]
    c["shown"] = q1(srv, "SELECT count(*) FROM signatures s WHERE public = 1 AND NOT EXISTS"
                         " (SELECT 1 FROM moderation m WHERE m.id = s.id AND state = 'hidden')")[0]
    c["orphans"] = q1(srv, "SELECT count(*) FROM moderation WHERE id NOT IN"
                           " (SELECT id FROM signatures)")[0]
    c["daily"] = q1(srv, "SELECT sum(n) FROM daily")[0]
    return c


def audit_rows(srv):
    """(admin, action, detail), all TEXT: as str on both engines (psql's
    output of a detail made of digits alone would otherwise read as an int)."""
    return [tuple(None if v is None else str(v) for v in r)
            for r in srv.query("SELECT admin, action, detail FROM audit ORDER BY id")]


def test_hide_show(t, srv):
    sid = id_of(srv, "sokha.chan@example.org")
    c0 = srv.count()
    pub0 = counters(srv)["public"]
    t.ok("Sokha C." in poll(lambda: (lambda x: x if "Sokha C." in x else "")(recent_text(srv))),
         "before: the public list shows 'Sokha C.'")
    st, h, b = act(srv, "hide", sid, [("q", "sokha"), ("country", "KH")])
    loc = h.get("location", "")
    t.ok(st == 303 and loc.startswith("/admin/signatures?") and "done=hidden" in loc and
         "id=%d" % sid in loc, "hide: 303 to the list, message by key and id", (st, loc))
    t.ok("q=sokha" in loc and "country=KH" in loc, "hide: back to the same search", loc)
    st, _, html = get(srv, loc.split("#")[0])  # a browser keeps the #fragment to itself
    t.ok(st == 200 and "Signature #%d is hidden from the public list" % sid in html,
         "the list says which signature was hidden (by number)")
    t.ok("Hidden by organizers" in html and "Show again" in html, "the row says hidden, offers Show again")
    t.eq(srv.count(), c0, "hiding changes no count")
    txt = poll(lambda: (lambda x: x if "Sokha C." not in x else "")(recent_text(srv)))
    t.ok(txt and "Sokha C." not in txt, "the public list no longer shows 'Sokha C.'", txt[:300])
    t.eq(state(srv, sid), "hidden", "the row is marked hidden")
    c = counters(srv)
    t.ok(c["public"] == pub0 - 1 == c["shown"], "'public' counts rows the list shows (one fewer)",
         (pub0, c["public"], c["shown"]))
    other = id_of(srv, "chantha@example.org")
    st, h, b = act(srv, "hide", other)
    loc2 = h.get("location", "")
    t.ok(st == 303 and loc2 == "/admin/signatures?done=hidden&id=%d#sig-%d" % (other, other),
         "hide from the unfiltered list: the redirect names the row by number only", loc2)
    st, h, b = act(srv, "hide", id_of(srv, "tran.phuoc@example.org"))
    t.ok(st == 303 and "done=unchanged" in h.get("location", ""),
         "hiding a signer who is not in the public list: nothing to hide")
    st, h, b = act(srv, "hide", sid)
    t.ok(st == 303 and "done=unchanged" in h.get("location", ""), "hiding again: nothing changes, said so")
    st, html, ids = search(srv, view="hidden")
    t.ok(sid in ids and all(state(srv, i) == "hidden" for i in ids),
         "view=hidden lists hidden rows only", ids)
    st, h, b = act(srv, "show", sid)
    t.ok(st == 303 and "done=shown" in h.get("location", ""), "show again: 303, done=shown")
    txt = poll(lambda: (lambda x: x if "Sokha C." in x else "")(recent_text(srv)))
    t.ok("Sokha C." in txt, "the public list shows 'Sokha C.' again", txt[:300])
    t.eq(srv.count(), c0, "showing changes no count")
    c = counters(srv)
    t.ok(c["public"] == pub0 - 1 == c["shown"], "counter right after show (the other row stays hidden)",
         (pub0, c))
    acts = [(a, d) for _, a, d in audit_rows(srv) if a in ("hide", "show")]
    t.ok(("hide", "#%d" % sid) in acts and ("show", "#%d" % sid) in acts,
         "audit: 'hide' and 'show' naming the row by number", acts)
    t.ok(all(r[0] == "owner" for r in audit_rows(srv) if r[1] in ("hide", "show")),
         "audit: the organizer's account is named")


def test_legacy_decisions(t, srv):
    legacy = [r[0] for r in srv.query(
        "SELECT id FROM signatures WHERE public = 1 AND public_name IS NULL ORDER BY id DESC")]
    st, html, ids = search(srv)
    t.ok("before it asked for a public name" in html and "view=undecided" in html,
         "the list points at the old anonymous rows awaiting a decision")
    st, html, ids = search(srv, view="undecided")
    t.ok(st == 200 and ids == legacy and len(ids) == LEGACY // 7, "view=undecided: exactly those %d rows"
         % (LEGACY // 7), ids)
    t.ok("A signer from" in html and "Keep anonymous" in html, "each shows how it appears and offers the choice")
    keep, hide = legacy[0], legacy[1]
    c0, before = srv.count(), recent_text(srv)
    st, h, b = act(srv, "keep", keep, [("view", "undecided")])
    t.ok(st == 303 and "done=kept" in h.get("location", "") and "view=undecided" in h.get("location", ""),
         "keep anonymous: 303 back to the undecided view")
    st, h, b = act(srv, "hide", hide, [("view", "undecided")])
    t.eq(st, 303, "hide an old anonymous row: 303")
    st, html, ids = search(srv, view="undecided")
    t.ok(keep not in ids and hide not in ids and len(ids) == len(legacy) - 2,
         "both decided rows leave the undecided view", ids)
    t.eq(state(srv, keep), "kept", "the kept row: 'kept' (shown)")
    t.eq(state(srv, hide), "hidden", "the hidden row: 'hidden'")
    st, h, b = act(srv, "keep", keep)
    t.ok("done=unchanged" in h.get("location", ""), "keeping again: unchanged")
    st, h, b = act(srv, "keep", id_of(srv, "sokha.chan@example.org"))
    t.ok("done=unchanged" in h.get("location", ""), "keep on a row with a public name: unchanged")
    t.eq(srv.count(), c0, "decisions change no count")
    t.ok(q1(srv, "SELECT count(*) FROM audit WHERE action = 'keep' AND detail = ?", ("#%d" % keep,))[0] == 1,
         "audit: one 'keep' line for the row")
    pub = counters(srv)["public"]
    st, h, b = act(srv, "show", hide)
    t.ok("done=shown" in h.get("location", "") and state(srv, hide) == "kept" and counters(srv)["public"] == pub + 1,
         "showing a hidden old anonymous row again keeps it (a decision), counted as shown")
    act(srv, "hide", hide)
    pub = counters(srv)["public"]
    st, h, b = post(srv, "/admin/signatures/delete", [("id", str(hide))])
    c = counters(srv)
    t.ok(st == 303 and c["public"] == pub and c["signatures"] == c0 - 1 and state(srv, hide) is None,
         "deleting a hidden row: the count drops, 'public' does not (it was not shown), its state goes",
         (st, pub, c))


def test_delete(t, srv):
    sid = id_of(srv, "erase.me@example.org")
    c0 = srv.count()
    st, h, html = get(srv, "/admin/signatures/delete?id=%d&q=erase" % sid)
    text = H.html_text(html)
    t.ok(st == 200 and "Erase Me" in text and "Erase.Me@Example.org" in text and "please forget me" in text
         and "Erase M." in text, "confirmation page shows what will be deleted", text[:400])
    t.ok('action="/admin/signatures/delete"' in html and 'name="id" value="%d"' % sid in html and
         'name="q" value="erase"' in html, "its form posts the id (and the list's state)")
    t.ok(H.thousands(c0 - 1) in text, "it says the count after the deletion", text[:300])
    t.eq(srv.count(), c0, "showing the confirmation deletes nothing")
    st, h, b = post(srv, "/admin/signatures/delete", [("id", str(sid))])
    loc = h.get("location", "")
    t.ok(st == 303 and loc == "/admin/signatures?done=deleted&id=%d" % sid,
         "delete: 303 to the list with a key and the id only", (st, loc))
    t.ok("erase" not in loc.lower() and "example" not in loc, "no personal data in the redirect")
    t.eq(srv.count(), c0 - 1, "the count drops by one")
    st, _, html = get(srv, loc)
    t.ok(st == 200 and "Signature #%d was deleted" % sid in html and sid not in row_ids(html),
         "the list says it was deleted and no longer has it")
    st, _, html = get(srv, loc)
    t.ok(st == 200 and srv.count() == c0 - 1, "reloading the result page does nothing")
    t.ok(all(r["email"] != "Erase.Me@Example.org" for r in srv.csv_dicts()), "gone from the CSV export")
    st, html, ids = search(srv, q="erase")
    t.ok(ids == [], "gone from the search index ('erase')", ids)
    st, html, ids = search(srv, q="Erase.Me@example.org")
    t.ok(ids == [], "gone from the email search", ids)
    t.ok("Erase M." not in recent_text(srv), "gone from the public list")
    rows = audit_rows(srv)
    t.ok(("owner", "delete", "#%d" % sid) in rows, "audit: 'delete #%d' by owner" % sid, rows[-3:])
    flat = " ".join(" ".join(r) for r in rows).lower()
    t.ok("erase" not in flat and "example" not in flat and "forget" not in flat,
         "the audit trail holds no name, address or comment")
    st, h, b = post(srv, "/admin/signatures/delete", [("id", str(sid))])
    t.ok(st == 303 and "done=missing" in h.get("location", "") and srv.count() == c0 - 1,
         "posting the deletion again: 303 'missing', nothing more deleted")
    st, h, html = get(srv, "/admin/signatures/delete?id=%d" % sid)
    t.eq(st, 404, "the confirmation page of a deleted row: 404")


def test_refusals(t, srv):
    sid = id_of(srv, "sokha.chan@example.org")
    c0 = srv.count()
    st, h, b = srv.request("GET", "/admin/signatures")
    t.ok(st == 401 and "www-authenticate" in h, "list without credentials: 401 asking for them")
    bad = {"Authorization": "Bearer wrong-token-0123456789abcdefghijkl"}
    st, h, b = srv.request("GET", "/admin/signatures", headers=bad)
    t.eq(st, 401, "list with a wrong token: 401")
    st, h, b = srv.request("GET", "/admin/signatures/delete?id=%d" % sid)
    t.eq(st, 401, "confirmation page without credentials: 401")
    for what in ("hide", "show", "keep", "delete"):
        st, h, b = srv.request("POST", "/admin/signatures/" + what, H.urlencode([("id", str(sid))]), FORM)
        t.eq(st, 401, "POST %s without credentials: 401" % what)
    st, h, b = post(srv, "/admin/signatures/hide", [("id", str(sid))],
                    auth(srv, Origin="https://evil.example", **FORM))
    t.eq(st, 403, "hide posted from another site: 403")
    st, h, b = post(srv, "/admin/signatures/delete", [("id", str(sid))],
                    auth(srv, **{"Sec-Fetch-Site": "cross-site"}, **FORM))
    t.eq(st, 403, "delete posted from another site: 403")
    t.ok(srv.count() == c0 and state(srv, sid) is None,
         "nothing changed by the refused posts")
    for q, want, desc in [("id=abc", 400, "id=abc"), ("id=0", 400, "id=0"), ("id=-3", 400, "id=-3"),
                          ("", 400, "no id"), ("id=1e3", 400, "id=1e3"),
                          ("id=99999999", 404, "an id no row has")]:
        st, h, b = get(srv, "/admin/signatures/delete?" + q)
        t.eq(st, want, "confirmation page, %s: %d" % (desc, want))
    for body, desc in [([("id", "abc")], "id=abc"), ([], "no id"), ([("id", "12345678901234567890")],
                                                                    "an id of 20 digits")]:
        st, h, b = post(srv, "/admin/signatures/hide", body)
        t.eq(st, 400, "hide, %s: 400" % desc)
    st, h, b = post(srv, "/admin/signatures/delete", [("id", "x")])
    t.eq(st, 400, "delete, id=x: 400")
    st, h, b = post(srv, "/admin/signatures/hide", [("id", "99999999")])
    t.ok(st == 303 and "done=missing" in h.get("location", ""), "hide an id no row has: 303 'missing'")
    for q in ("before=abc", "before=1&after=2", "view=bogus", "country=ZZ", "after=-1"):
        st, h, b = get(srv, "/admin/signatures?" + q)
        t.eq(st, 400, "list with %s: 400" % q)
    for what in ("hide", "show", "keep"):
        st, h, b = get(srv, "/admin/signatures/" + what)
        t.ok(st == 405 and "POST" in h.get("allow", ""), "GET /admin/signatures/%s: 405, Allow: POST" % what,
             (st, h.get("allow")))
    st, h, b = srv.request("PUT", "/admin/signatures", b"", auth(srv))
    t.ok(st == 405 and "GET" in h.get("allow", ""), "PUT /admin/signatures: 405, Allow: GET")
    st, h, b = srv.request("POST", "/admin/signatures/hide", b"id=%d" % sid,
                           auth(srv, **{"Content-Type": "text/plain"}))
    t.eq(st, 415, "hide with a text/plain body: 415")
    st, h, b = srv.request("POST", "/admin/signatures/hide", b"id=1&" + b"x" * 17000, auth(srv, **FORM))
    t.eq(st, 413, "hide with a body over 16 KiB: 413")
    t.ok(srv.count() == c0 and state(srv, sid) is None,
         "nothing changed by the refused requests")


def test_hostile(t, srv):
    st, html, ids = search(srv, q="evil")
    evil = id_of(srv, "bulk020@example.org")
    bidi = id_of(srv, "bulk021@example.org")
    t.ok(evil in ids and bidi in ids, "hostile names are found ('evil')", ids)
    t.ok("<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;Evil Name" in html,
         "an HTML name is shown as text")
    t.ok("<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html,
         "an HTML comment is shown as text")
    m = re.search(r'<tr id="sig-%d">(.*?)</tr>' % bidi, html, re.S)
    row = m.group(1) if m else ""
    cells = re.findall(r"<bdi[^>]*>(.*?)</bdi>", row, re.S)
    t.ok("Dara\u202eevil.com" in cells and "\u202e" not in re.sub(r"<bdi[^>]*>.*?</bdi>", "", row, flags=re.S),
         "a right-to-left override stays inside its own <bdi>", row[:400])
    t.ok(any("second line" in c and "\n" in c for c in cells), "a comment's line break is kept, inside <bdi>")
    st, html, ids = search(srv, q=RTL_NAME.split()[0])
    t.ok(ids == [id_of(srv, "bulk022@example.org")] and "<bdi id=\"sig-%d-n\">%s</bdi>" % (ids[0] if ids else 0,
                                                                                    RTL_NAME) in html,
         "a right-to-left name: found, isolated", ids)
    st, h, html = get(srv, "/admin/signatures/delete?id=%d" % bidi)
    t.ok(st == 200 and "<bdi>Dara\u202eevil.com</bdi>" in html and "<img src=x" not in html,
         "the confirmation page isolates and escapes too")


def test_consistency(t, srv):
    c = counters(srv)
    t.ok(c["signatures"] == c["rows"] == c["daily"], "counter, rows and per-day sum agree",
         {k: c[k] for k in ("signatures", "rows", "daily")})
    t.eq(c["public"], c["shown"], "'public' counter = rows the public list may show")
    t.eq(c["orphans"], 0, "no moderation state outlives its signature")
    if srv.engine == "pg":
        t.skip("integrity_check ok", "SQLite only: PRAGMA integrity_check checks the database file")
        t.skip("the search index passes its own integrity check",
               "SQLite only: the FTS5 index (PostgreSQL searches the table itself)")
        return
    con = sqlite3.connect(srv.db)
    try:
        ic = con.execute("PRAGMA integrity_check").fetchone()[0]
        try:
            con.execute("INSERT INTO signatures_search (signatures_search) VALUES ('integrity-check')")
            fts = "ok"
        except sqlite3.DatabaseError as e:
            fts = str(e)
    finally:
        con.close()
    t.eq(ic, "ok", "integrity_check ok")
    t.eq(fts, "ok", "the search index passes its own integrity check")


def main(t):
    d = tempfile.mkdtemp(prefix="petitiond-moderation-")
    if H.engine() != "pg":
        legacy_db(os.path.join(d, "sig.db"))
    try:
        with H.Server(workdir=d) as srv:
            if srv.engine == "pg":
                t.skip("a 0.2 database migrates with its %d signatures" % LEGACY,
                       "SQLite only: petitiond 0.2 left SQLite files (the rows are written"
                       " into the PostgreSQL database instead)")
                srv.stop()
                legacy_pg(srv)
                srv.start()
                t.eq(srv.count(), LEGACY, "the %d old rows written into the database are counted" % LEGACY)
            else:
                t.eq(srv.count(), LEGACY, "a 0.2 database migrates with its %d signatures" % LEGACY)
            sign_all(t, srv)
            test_list(t, srv)
            test_search(t, srv)
            test_hide_show(t, srv)
            test_legacy_decisions(t, srv)
            test_delete(t, srv)
            test_refusals(t, srv)
            test_hostile(t, srv)
            test_consistency(t, srv)
            H.check_clean_exit(t, srv, "server exits 0 after moderation")
    finally:
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        os.rmdir(d)


if __name__ == "__main__":
    H.run(main, limit=110)
