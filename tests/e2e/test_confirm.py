#!/usr/bin/env python3
"""test_confirm.py -- email confirmation (double opt-in) and withdrawal by mail.

The real binary with --confirm required against a loopback SMTP sink with
STARTTLS and a test CA (smtpsink.py): a signature is stored unconfirmed and
counts only once its signer presses Confirm on the page the mailed link
opens (a GET never confirms: mail scanners fetch every link); a typed code
does the same; links are single-use, expire, and a forged one is refused;
every mail carries a withdrawal link whose POST erases the signature; the
answer to /sign is the same for a new, a pending and a confirmed address,
and a pending address gets at most 3 messages a day; asking for a link by
address answers the same whether or not the address signed; the relay
down then up loses and doubles nothing; kill -9 while sending never sends
a message twice; Khmer mail is encoded correctly; counts, the public list
and exports tell confirmed from pending."""
import os
import re
import signal
import statistics
import sys
import tempfile
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
from smtpsink import SmtpSink, make_ca  # noqa: E402

PUBLIC = "https://petition.example"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def mail_args(sink, ca, extra=()):
    return ["--smtp-url", "smtp://127.0.0.1:%d" % sink.port, "--smtp-ca-file", ca,
            "--mail-from", "Petition Team <team@petition.example>", "--confirm", "required",
            "--public-url", PUBLIC] + list(extra)


def text_of(msg):
    return msg.get_body(("plain",)).get_content()


def html_of(msg):
    part = msg.get_body(("html",))
    return part.get_content() if part is not None else ""


def link(msg, kind):
    m = re.search(r"%s/%s\?t=([A-Za-z0-9_-]{43})" % (re.escape(PUBLIC), kind), text_of(msg))
    return m.group(1) if m else None


def code_of(msg):
    m = re.search(r"\b([2-9A-Z]{5}-[2-9A-Z]{5})\b", text_of(msg))
    return m.group(1) if m else None


def to_of(msg):
    return str(msg["To"]).strip().lower()


def mails_to(sink, addr):
    return [m for m in list(sink.messages) if to_of(m) == addr.lower()]


def wait_mails(sink, addr, n, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        got = mails_to(sink, addr)
        if len(got) >= n:
            return got
        time.sleep(0.05)
    return mails_to(sink, addr)


def post(srv, path, fields, headers=None):
    h = dict(FORM)
    if headers:
        h.update(headers)
    return srv.request("POST", path, urllib.parse.urlencode(fields).encode(), h)


def h1(body):
    m = re.search(rb"<h1[^>]*>(.*?)</h1>", body, re.S)
    return m.group(1).decode() if m else ""


def sign(srv, name, addr, country="KH", lang=None, json=False, **more):
    f = {"name": name, "email": addr, "country": country}
    f.update(more)
    return srv.sign(f, json=json, lang=lang)


def db_one(srv, sql, *args):
    """The first row of sql on the server's database (either engine), or None."""
    rows = srv.query(sql, args)
    return rows[0] if rows else None


def db_exec(srv, sql, *args):
    srv.execute(sql, args)


def test_refusals(t, sink, ca):
    import subprocess
    env = H.clean_env()
    bin_ = H.server_bin()
    r = subprocess.run([bin_, "--confirm", "required"], env=env, capture_output=True,
                       text=True, timeout=10)
    t.ok(r.returncode == 2 and "--confirm" in r.stderr and "smtp-url" in r.stderr,
         "--confirm required without --smtp-url: exit 2 naming what is missing", r.stderr)
    r = subprocess.run([bin_, "--confirm", "required", "--smtp-url", "smtp://127.0.0.1:1",
                        "--mail-from", "a@b.example"], env=env, capture_output=True, text=True,
                       timeout=10)
    t.ok(r.returncode == 2 and "public-url" in r.stderr,
         "--confirm required without --public-url: exit 2", r.stderr)
    r = subprocess.run([bin_, "--smtp-url", "smtp://127.0.0.1:1"], env=env,
                       capture_output=True, text=True, timeout=10)
    t.ok(r.returncode == 2 and "mail-from" in r.stderr, "--smtp-url without --mail-from: exit 2",
         r.stderr)
    r = subprocess.run([bin_, "--confirm", "maybe"], env=env, capture_output=True, text=True,
                       timeout=10)
    t.ok(r.returncode == 2 and "--confirm" in r.stderr, "--confirm maybe: exit 2", r.stderr)
    # Without a relay the routes are not there.
    with H.Server() as srv:
        st, _, _ = srv.get("/confirm?t=" + "A" * 43)
        t.eq(st, 404, "no relay: GET /confirm is 404")
        st, _, _ = post(srv, "/withdraw", {"email": "a@b.example"})
        t.eq(st, 404, "no relay: POST /withdraw is 404")
        st, _, b = srv.get("/thanks")
        t.ok(b"/withdraw" not in b and b"/confirm" not in b,
             "no relay: the thanks page offers no mail")


def test_flow(t, sink, ca):
    with H.Server(extra_args=mail_args(sink, ca)) as srv:
        st, h, b = sign(srv, "Sokha Chan", "sokha@example.org", public="1",
                        public_name="Sokha")
        t.eq(st, 303, "signing with confirmation: 303 to /thanks")
        t.eq(srv.count(), 0, "an unconfirmed signature does not count")
        st, _, thanks = srv.get("/thanks")
        t.ok(b"Check your inbox" in thanks, "the thanks page asks to check the inbox")
        t.ok(b'action="/withdraw"' in thanks and b'action="/confirm"' in thanks,
             "the thanks page offers a new message and a withdrawal link")
        page = srv.page("/")
        t.ok("Sokha" not in page, "the public list does not show an unconfirmed signer")
        rows = srv.csv_dicts()
        t.ok(len(rows) == 1 and rows[0]["confirmed"] == "0",
             "the export has the row with confirmed 0", rows)
        st, h, text, csvrows = srv.export_csv()
        t.eq(csvrows[0][-1], "confirmed", "confirmed is the last CSV column")

        msgs = wait_mails(sink, "sokha@example.org", 1)
        t.eq(len(msgs), 1, "one confirmation message arrives")
        msg = msgs[0]
        subj = str(msg["Subject"])
        t.eq(subj, "Confirm your request", "the subject is neutral")
        body = text_of(msg) + html_of(msg)
        t.ok("petition" not in subj.lower() and "cambodia" not in subj.lower(),
             "nothing in the subject names a petition or the cause")
        urls = re.findall(r"https?://[^\s\"'<>]+", body)
        t.ok(urls and all(u.startswith(PUBLIC + "/") for u in urls),
             "every link in the message is ours", urls)
        html = html_of(msg)
        t.ok(html and "<img" not in html.lower() and "src=" not in html.lower(),
             "HTML part without images or remote content")
        t.ok(msg.get_content_type() == "multipart/alternative",
             "plain text plus HTML", msg.get_content_type())
        tok = link(msg, "confirm")
        wtok = link(msg, "withdraw")
        t.ok(tok and wtok and code_of(msg), "the message has a confirm link, a code and a "
             "withdrawal link")

        # A mail scanner fetches every link: nothing is confirmed.
        for u in urls:
            path = u[len(PUBLIC):]
            srv.request("GET", path)
            srv.request("HEAD", path)
        t.eq(srv.count(), 0, "GET and HEAD of every link in the mail confirm nothing")
        st, _, b = srv.get("/confirm?t=" + tok)
        t.ok(st == 200 and b'method="post"' in b and tok.encode() in b,
             "GET /confirm shows a form that posts the token", st)
        st, _, b = srv.get("/withdraw?t=" + wtok)
        t.ok(st == 200 and b"Sokha Chan" in b and b'action="/withdraw"' in b,
             "GET /withdraw shows what would be removed and a button", st)
        t.eq(srv.count(), 0, "still 0 after the GETs")

        st, _, b = post(srv, "/confirm", {"t": tok}, {"Origin": "https://evil.example"})
        t.ok(st == 403 and srv.count() == 0, "a confirmation posted from another site: 403")
        st, _, b = post(srv, "/confirm", {"t": tok})
        t.ok(st == 200 and "confirmed" in h1(b), "POST /confirm confirms", (st, h1(b)))
        t.eq(srv.count(), 1, "the count moves by one")
        t.ok("Sokha" in srv.page("/"), "the public list shows the confirmed signer")
        rows = srv.csv_dicts()
        t.ok(rows[0]["confirmed"] == "1", "the export says confirmed 1")
        st, _, b = post(srv, "/confirm", {"t": tok})
        t.ok(st == 200 and "already" in h1(b) and srv.count() == 1,
             "the link used again: 'already confirmed', count unchanged", h1(b))
        st, _, b = post(srv, "/confirm", {"t": "B" * 43})
        t.ok(st == 400 and "does not work" in h1(b) and b'name="email"' in b,
             "a forged token: 400, a clear page that offers a new message", (st, h1(b)))
        st, _, b = post(srv, "/confirm", {"t": "../../etc"})
        t.eq(st, 400, "a malformed token: 400")
        stats = srv.stats()
        t.eq(stats["count"], 1, "/api/stats counts confirmed signatures")

        # Code entry, from another device, in any case and spacing.
        st, _, _ = sign(srv, "Dara Kim", "dara@example.org", country="US")
        msgs = wait_mails(sink, "dara@example.org", 1)
        code = code_of(msgs[0]) if msgs else None
        t.ok(code is not None, "the second signer's message has a code")
        st, _, b = srv.get("/confirm")
        t.ok(st == 200 and b'name="code"' in b, "GET /confirm without a link: the code form")
        st, _, b = post(srv, "/confirm", {"code": " " + (code or "").lower().replace("-", " ")})
        t.ok(st == 200 and "confirmed" in h1(b), "the code, typed in lower case with spaces, "
             "confirms", h1(b))
        t.eq(srv.count(), 2, "count 2")
        st, _, b = post(srv, "/confirm", {"code": "ZZZZZ-ZZZZZ"})
        t.eq(st, 400, "a wrong code: 400")

        # Expired: a link older than 7 days.
        st, _, _ = sign(srv, "Old Link", "old@example.org")
        msgs = wait_mails(sink, "old@example.org", 1)
        otok = link(msgs[0], "confirm") if msgs else ""
        db_exec(srv, "UPDATE mail_tokens SET expires_at = 1 WHERE purpose = 1 AND sig_id ="
                " (SELECT id FROM signatures WHERE email_norm = 'old@example.org')")
        st, _, b = post(srv, "/confirm", {"t": otok})
        t.ok(st == 400 and b"expired" in b and b'name="email"' in b and srv.count() == 2,
             "an expired link: a clear page offering a new one, nothing counted", st)
        st, _, b = post(srv, "/confirm", {"email": "old@example.org"})
        t.ok(st == 200 and "inbox" in h1(b).lower(), "asking for a new message: 'check your "
             "inbox'", h1(b))
        msgs = wait_mails(sink, "old@example.org", 2)
        ntok = link(msgs[-1], "confirm") if len(msgs) >= 2 else None
        t.ok(ntok and ntok != otok, "a new message with a new link arrives")
        st, _, b = post(srv, "/confirm", {"t": ntok or ""})
        t.ok(st == 200 and srv.count() == 3, "the new link confirms", st)

        # Withdrawal: GET shows, POST erases, the count drops, no personal
        # data in the audit trail.
        st, _, b = post(srv, "/withdraw", {"t": wtok})
        t.ok(st == 200 and "withdrawn" in h1(b), "POST /withdraw erases the signature", h1(b))
        t.eq(srv.count(), 2, "the count drops by one")
        t.ok("Sokha" not in srv.page("/"), "the withdrawn signer leaves the public list")
        t.ok(all(r["email"] != "sokha@example.org" for r in srv.csv_dicts()),
             "the export no longer has the row")
        st, _, b = post(srv, "/withdraw", {"t": wtok})
        t.eq(st, 400, "the withdrawal link used again: 400")
        row = db_one(srv, "SELECT count(*) FROM signatures WHERE email_norm = 'sokha@example.org'")
        t.eq(row[0], 0, "the row is gone from the database")
        # group_concat is SQLite's, string_agg PostgreSQL's: join here.
        audit = "|".join(r[0] for r in srv.query(
            "SELECT admin || ' ' || action || ' ' || detail FROM audit"
            " WHERE action = 'withdraw' ORDER BY id"))
        t.ok("withdraw" in audit and "sokha" not in audit.lower() and "example" not in audit,
             "an audit line 'withdraw' without personal data", audit)

        # The withdrawal link by address (thanks page), answered alike.
        sink.reset()
        st1, h1_, b1 = post(srv, "/withdraw", {"email": "dara@example.org"})
        st2, h2_, b2 = post(srv, "/withdraw", {"email": "nobody@example.org"})
        t.ok(st1 == st2 == 200 and b1 == b2, "asking for a withdrawal link: the same answer "
             "for a signer and a stranger")
        msgs = wait_mails(sink, "dara@example.org", 1)
        time.sleep(0.5)
        t.ok(len(msgs) == 1 and not mails_to(sink, "nobody@example.org"),
             "only the signer gets a message")
        dtok = link(msgs[0], "withdraw") if msgs else ""
        st, _, b = post(srv, "/withdraw", {"t": dtok})
        t.ok(st == 200 and srv.count() == 1, "its link withdraws", st)
        st, _, b = post(srv, "/withdraw", {"email": "not an address"})
        t.eq(st, 422, "a withdrawal request with a bad address: 422")

        # The dashboard's figures.
        st, _, b = srv.request("GET", "/admin", headers=srv.auth_header())
        page = b.decode()
        t.ok(st == 200 and 'id="fig-pending"' in page and 'id="fig-queued"' in page and
             'id="fig-sent"' in page and 'id="fig-oldest"' in page,
             "the dashboard shows pending, queued, sent and the oldest waiting")
        m = re.search(r'id="fig-sent">([0-9,]+)<', page)
        t.ok(m and int(m.group(1).replace(",", "")) >= 5, "the dashboard counts the sent mail",
             m and m.group(1))


def test_identical(t, sink, ca):
    """A new, a pending and a confirmed address get the same answer; a
    pending address gets at most 3 messages a day."""
    with H.Server(extra_args=mail_args(sink, ca)) as srv:
        hidden = srv.hidden_fields()

        def s(addr, json=False):
            st, h, b = srv.sign({"name": "Same Person", "email": addr, "country": "KH"},
                                json=json, hidden=hidden)
            h = {k: v for k, v in h.items() if k not in ("date",)}
            return st, h, b

        new = s("new@example.org")
        pend = s("new@example.org")
        t.ok(new == pend, "a pending address signing again: the same status, headers and body",
             (new, pend))
        msgs = wait_mails(sink, "new@example.org", 2)
        tok = link(msgs[0], "confirm")
        post(srv, "/confirm", {"t": tok})
        conf = s("new@example.org")
        t.ok(new == conf, "a confirmed address signing again: the same answer")
        t.eq(srv.count(), 1, "counted once")
        jn = s("json-new@example.org", json=True)
        jr = s("json-new@example.org", json=True)
        t.ok(jn == jr and jn[0] == 201, "JSON: the same 201 for new and repeated", (jn, jr))
        # The daily quota: 3 messages per address (the first, then 2 more).
        # (This client queued more than 5 messages this minute: the later
        # ones wait in the outbox, deferred; count both.)
        for _ in range(5):
            s("quota@example.org")
        time.sleep(1.5)
        got = len(mails_to(sink, "quota@example.org")) + db_one(
            srv, "SELECT count(*) FROM outbox WHERE rcpt = 'quota@example.org'")[0]
        t.eq(got, 3, "5 signings of one pending address: 3 messages that day")
        stats = db_one(srv, "SELECT value FROM counters WHERE name = 'mail_skipped'")[0]
        t.ok(stats >= 2, "the skipped ones are counted", stats)

        # Timing: a repeated pending address answers as fast as a new one.
        if H.sanitizer_build():
            t.skip("new and repeated answer alike in time", "sanitizer build")
        else:
            tn, tr = [], []
            for i in range(30):
                a = time.perf_counter()
                s("t%d@example.org" % i)
                tn.append(time.perf_counter() - a)
                a = time.perf_counter()
                s("t%d@example.org" % i)
                tr.append(time.perf_counter() - a)
            mn, mr = statistics.median(tn), statistics.median(tr)
            t.ok(0.5 < mr / mn < 2.0, "median time new %.2f ms vs repeated %.2f ms" %
                 (mn * 1e3, mr * 1e3))


def test_khmer(t, sink, ca):
    with H.Server(extra_args=mail_args(sink, ca)) as srv:
        st, _, _ = srv.sign({"name": "សុខា ចាន់", "email": "khmer@example.org", "country": "KH",
                             "lang": "km"}, lang="km")
        t.eq(st, 303, "signing from the Khmer page")
        msgs = wait_mails(sink, "khmer@example.org", 1)
        t.eq(len(msgs), 1, "a message arrives")
        if not msgs:
            return
        raw = [r for r in sink.raw if b"khmer@example.org" in r][0]
        head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
        t.ok(all(ord(c) < 128 for c in head), "the headers are pure ASCII")
        subj_raw = re.search(r"^Subject: (.*(?:\r\n[ \t].*)*)", head, re.M).group(1)
        t.ok("=?UTF-8?B?" in subj_raw or "=?utf-8?b?" in subj_raw.lower(),
             "the Khmer subject is an RFC 2047 encoded-word", subj_raw)
        t.eq(str(msgs[0]["Subject"]), "បញ្ជាក់សំណើរបស់អ្នក", "the subject decodes to the Khmer text")
        t.ok(re.search(r"^Content-Language: km", head, re.M), "Content-Language: km")
        msg = msgs[0]
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                t.ok(part.get_content_charset() == "utf-8", "%s is UTF-8" %
                     part.get_content_type())
        txt = text_of(msg)
        t.ok("ដើម្បីបញ្ជាក់ហត្ថលេខារបស់អ្នក" in txt, "the body decodes to Khmer")
        t.ok("&lang=km" in txt, "the links open the Khmer page")
        tok = link(msg, "confirm")
        st, _, b = srv.get("/confirm?t=%s&lang=km" % tok)
        t.ok(st == 200 and "បញ្ជាក់" in b.decode(), "the confirm page is in Khmer")


def test_relay_down(t, sink, ca):
    """The relay down: signing goes on, mail waits; back up: each message
    once."""
    sink.stop()
    with H.Server(extra_args=mail_args(sink, ca)) as srv:
        for i in range(3):
            st, _, _ = sign(srv, "Down %d" % i, "down%d@example.org" % i)
            t.eq(st, 303, "signing %d while the relay is down: 303" % i)
        time.sleep(1.5)
        q = db_one(srv, "SELECT count(*) FROM outbox")[0]
        t.eq(q, 3, "the three messages wait in the outbox")
        t.eq(db_one(srv, "SELECT value FROM counters WHERE name = 'outbox'")[0], 3,
             "the outbox's counter (kept by triggers) says 3")
        sink.start()
        end = time.time() + 60
        while time.time() < end and len([m for m in sink.messages
                                         if to_of(m).startswith("down")]) < 3:
            time.sleep(0.2)
        time.sleep(1)
        got = sorted(to_of(m) for m in sink.messages if to_of(m).startswith("down"))
        t.eq(got, ["down0@example.org", "down1@example.org", "down2@example.org"],
             "relay back: each message delivered once")
        left = db_one(srv, "SELECT count(*) FROM outbox")[0]
        t.eq(left, 0, "the outbox is empty: rows (addresses, tokens) deleted once sent")
        t.eq(db_one(srv, "SELECT value FROM counters WHERE name = 'outbox'")[0], 0,
             "and its counter says 0")
        st, _, b = srv.request("GET", "/admin", headers=srv.auth_header())
        t.ok(b'id="fig-queued">0<' in b, "the dashboard shows nothing waiting")


def test_kill9(t, sink, ca):
    """kill -9 while the outbox is being sent: at most once."""
    d = tempfile.mkdtemp(prefix="petitiond-confirm-")
    srv = H.Server(extra_args=mail_args(sink, ca), workdir=d)
    sink.reset()
    sink.delay_data(0.4)
    try:
        srv.start()
        # Five: one client's first five messages a minute leave at once
        # (more would wait APP_MAIL_DEFER_S).
        n = 5
        for i in range(n):
            sign(srv, "Kill %d" % i, "kill%d@example.org" % i)
        time.sleep(1.0)
        srv.kill()
        sink.delay_data(0)
        before = len(sink.messages)
        if srv.engine == "pg":
            # PostgreSQL: a message taken less than STORE_OUTBOX_STALE_S
            # (600 s) ago may be another node's, still being sent; a
            # starting node counts only older ones as unsure. Age the one
            # the killed server took as if it had been gone that long.
            srv.execute("UPDATE outbox SET next_at = next_at - 601 WHERE state = 1")
        srv.start()
        end = time.time() + 40
        while time.time() < end:
            left = db_one(srv, "SELECT count(*) FROM outbox")[0]
            if left == 0:
                break
            time.sleep(0.2)
        time.sleep(1)
        tos = [to_of(m) for m in sink.messages if to_of(m).startswith("kill")]
        dup = {a for a in tos if tos.count(a) > 1}
        t.ok(not dup, "no message delivered twice after kill -9", sorted(tos))
        unsure = db_one(srv, "SELECT value FROM counters WHERE name = 'mail_unsure'")[0]
        t.ok(len(set(tos)) + unsure >= n and unsure <= 1,
             "every message delivered, but at most the one being sent (unsure: %d)" % unsure,
             (len(set(tos)), before, unsure))
        pend = db_one(srv, "SELECT count(*) FROM signatures WHERE confirmed = 0")[0]
        t.eq(pend, n, "every acknowledged signature is stored (pending)")
    finally:
        sink.delay_data(0)
        try:
            srv.stop()
        finally:
            srv.cleanup()


def test_purge_and_limits(t, sink, ca):
    with H.Server(extra_args=mail_args(sink, ca, ["--pending-days", "1"])) as srv:
        sign(srv, "Stale Person", "stale@example.org")
        wait_mails(sink, "stale@example.org", 1)
        db_exec(srv, "UPDATE signatures SET signed_at = signed_at - 3 * 86400"
                " WHERE email_norm = 'stale@example.org'")
        srv.restart()
        end = time.time() + 10
        while time.time() < end:
            n = db_one(srv, "SELECT count(*) FROM signatures WHERE email_norm ="
                       " 'stale@example.org'")[0]
            if n == 0:
                break
            time.sleep(0.2)
        t.eq(n, 0, "an unconfirmed signature older than --pending-days is erased")
        pend = db_one(srv, "SELECT value FROM counters WHERE name = 'pending'")[0]
        t.eq(pend, 0, "the pending counter follows")
        a = db_one(srv, "SELECT detail FROM audit WHERE action = 'purge'")
        t.ok(a and "stale" not in a[0], "an audit line 'purge' without personal data", a)

        # One client queueing many messages: the first 5 a minute leave at
        # once, the rest wait in the outbox (signing is not slowed).
        sink.reset()
        t0 = time.time()
        for i in range(9):
            st, _, _ = sign(srv, "Flood %d" % i, "flood%d@example.org" % i)
        t.ok(time.time() - t0 < 5, "nine signings are not slowed by the mail limit")
        time.sleep(3)
        sent = len([m for m in sink.messages if to_of(m).startswith("flood")])
        waiting = db_one(srv, "SELECT count(*) FROM outbox WHERE next_at > ?",
                         int(time.time()))[0]
        t.ok(sent == 5 and waiting == 4, "one client: 5 messages at once, 4 deferred in the "
             "outbox", (sent, waiting))

        # One recipient domain: at most 60 messages a minute; the others
        # wait their turn while another domain's mail goes on. Each signer
        # is its own client here (X-Forwarded-For from the trusted loopback).
        sink.reset()
        hidden = srv.hidden_fields()
        # The pacing counts per clock minute: start early in one.
        while time.time() % 60 > 30:
            time.sleep(0.5)
        for i in range(64):
            srv.sign({"name": "Same Domain %d" % i, "email": "p%d@one.example" % i,
                      "country": "KH"}, hidden=hidden,
                     headers={"X-Forwarded-For": "10.9.%d.%d" % (i // 200, i % 200 + 1)})
        srv.sign({"name": "Other Domain", "email": "q@two.example", "country": "KH"},
                 hidden=hidden, headers={"X-Forwarded-For": "10.8.0.1"})
        end = time.time() + 20
        while time.time() < end and (
                len([m for m in sink.messages if to_of(m).endswith("@one.example")]) < 60 or
                not mails_to(sink, "q@two.example")):
            time.sleep(0.1)
        time.sleep(1.5)
        one = len([m for m in sink.messages if to_of(m).endswith("@one.example")])
        t.ok(one == 60 and mails_to(sink, "q@two.example"),
             "one domain: 60 messages in the minute, the rest wait; another domain's goes on",
             (one, len(mails_to(sink, "q@two.example"))))


def main(t):
    with tempfile.TemporaryDirectory(prefix="petitiond-sink-") as d:
        ca, _, _ = make_ca(d)
        sink = SmtpSink(mode="starttls", certdir=d)
        sink.start()
        try:
            test_refusals(t, sink, ca)
            test_flow(t, sink, ca)
            sink.reset()
            test_identical(t, sink, ca)
            sink.reset()
            test_khmer(t, sink, ca)
            sink.reset()
            test_relay_down(t, sink, ca)
            test_kill9(t, sink, ca)
            sink.reset()
            test_purge_and_limits(t, sink, ca)
        finally:
            sink.stop()


if __name__ == "__main__":
    H.run(main, limit=240)
