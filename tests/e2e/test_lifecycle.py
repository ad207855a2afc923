#!/usr/bin/env python3
"""test_lifecycle.py -- open, paused, closed; the deadline; the goal and its
next milestone; the organizer's time zone; /admin/settings.

Each action from the settings page (plain form posts, as a browser without
JavaScript sends them) and what signers then see: the page, the widget,
POST /sign (403 with {"ok":false,"error":"paused"|"closed"}, nothing
stored) and /api/stats ("status", "closes_at", "goal", "milestone"); a
deadline a few seconds ahead closing signing by itself (the cached page
re-rendered at that moment, an old ETag not answered 304); the date line in
English and in Khmer (Khmer digits and month names); the audit lines;
persistence over a restart with a different --goal (the saved goal wins);
and the refusal paths: no or wrong credentials, cross-site posts, wrong
content type, oversize bodies and messages, bad values (422, nothing
saved), unknown zones (422), hostile message text shown escaped."""

import datetime
import os
import re
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SETTINGS = "/admin/settings"
KM_DIGITS = "០១២៣៤៥៦៧៨៩"
KM_MONTHS = ["មករា", "កុម្ភៈ", "មីនា", "មេសា", "ឧសភា", "មិថុនា", "កក្កដា", "សីហា", "កញ្ញា",
             "តុលា", "វិច្ឆិកា", "ធ្នូ"]
EN_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
PP = datetime.timezone(datetime.timedelta(hours=7))  # Asia/Phnom_Penh: UTC+7, no DST


def km_digits(s):
    return "".join(KM_DIGITS[int(c)] if c.isdigit() else c for c in s)


def post(srv, fields, headers=None, raw=None, auth=True):
    """POST /admin/settings as a form (fields: list of pairs or dict)."""
    body = raw if raw is not None else H.urlencode(
        list(fields.items()) if isinstance(fields, dict) else fields)
    h = {"Content-Type": H.FORM_CT}
    if auth:
        h.update(srv.auth_header())
    if headers:
        h.update(headers)
    return srv.request("POST", SETTINGS, body, h)


def settings_page(srv, query=""):
    st, h, b = srv.request("GET", SETTINGS + query, headers=srv.auth_header())
    return st, b.decode("utf-8", "replace")


def sign_json(srv, email, name="Lifecycle Tester"):
    return srv.sign({"name": name, "email": email, "country": "KH"}, json=True)


def audit(srv):
    """The audit trail's (admin, action, detail) rows, read-only. All three
    are TEXT columns: as str on both engines (psql's output of a detail made
    of digits alone would otherwise read as an int)."""
    return [tuple(None if v is None else str(v) for v in r)
            for r in srv.query("SELECT admin, action, detail FROM audit ORDER BY id")]


def has_form(html):
    return H.sign_form(html) is not None


def main(t):
    with H.Server() as srv:
        # ---- the start: open, no deadline, the --goal -------------------------
        s = srv.stats()
        t.ok(s.get("status") == "open" and s.get("closes_at") is None and s.get("goal") == 1000
             and s.get("milestone") is None,
             "stats on a new database: status open, closes_at null, goal 1000 (--goal), "
             "milestone null", repr(s))
        page = srv.page("/")
        t.ok(has_form(page), "open: the page has the signing form")

        # ---- the settings page ------------------------------------------------
        st, html = settings_page(srv)
        text = H.html_text(html)
        t.ok(st == 200 and "Settings" in text and "Asia/Phnom_Penh" in text and "UTC+07:00" in text,
             "GET /admin/settings: 200, names the zone Asia/Phnom_Penh (UTC+07:00)", text[:500])
        doc = H.parse_doc(html)
        ids = {tg["attrs"].get("id") for tg in doc.tags if tg["tag"] in ("input", "textarea")}
        labels = {tg["attrs"].get("for") for tg in doc.tags if tg["tag"] == "label"}
        want = {"msg_paused_en", "msg_paused_km", "msg_closed_en", "msg_closed_km", "closes_at",
                "goal", "milestone", "timezone"}
        t.ok(want <= ids and want <= labels, "settings page: every field has a label",
             "missing: %r" % sorted(want - (ids & labels)))
        mine = [f for f in doc.forms if f["attrs"].get("action") == SETTINGS]
        t.ok(len(mine) >= 5 and all(f["attrs"].get("method") == "post" for f in mine),
             "settings page: plain POST forms to /admin/settings (work without JavaScript)",
             repr([f["attrs"] for f in doc.forms]))
        t.ok("Closing can be undone" in text, "settings page says closing can be undone")
        st, html = settings_page(srv, "?done=%3Cscript%3Ealert(1)%3C/script%3E&confirm=%3Cb%3E")
        t.ok(st == 200 and "<script>alert" not in html and "alert(1)" not in html
             and 'role="status"' not in html.split("<h1>", 1)[-1].split("</h1>", 1)[-1][:200]
             and "Close the petition?" not in html,
             "?done= and ?confirm= with other values: nothing echoed, no message, no step")

        # ---- refusals: credentials, cross-site, content type, sizes ----------
        st, h, b = srv.request("GET", SETTINGS)
        t.eq(st, 401, "GET /admin/settings without credentials: 401")
        st, h, b = post(srv, {"action": "pause"}, auth=False)
        t.eq(st, 401, "POST /admin/settings without credentials: 401")
        st, h, b = post(srv, {"action": "pause"}, auth=False,
                        headers={"Authorization": "Bearer " + "x" * len(srv.token)})
        t.eq(st, 401, "POST /admin/settings with a wrong token: 401")
        st, h, b = post(srv, {"action": "pause"},
                        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
        t.eq(st, 403, "cross-site POST /admin/settings (Origin of another site): 403")
        st, h, b = post(srv, {"action": "pause"}, headers={"Content-Type": "text/plain"})
        t.eq(st, 415, "POST /admin/settings as text/plain: 415")
        st, h, b = post(srv, None, raw=b"action=pause&msg_paused_en=" + b"a" * 17000)
        t.eq(st, 413, "POST /admin/settings over 16 KiB: 413")
        st, h, b = post(srv, {"action": "pause", "msg_paused_en": "x" * 2001})
        t.ok(st == 422 and "At most 2,000 bytes" in H.html_text(b.decode("utf-8", "replace")),
             "a message over 2,000 bytes: 422 with the limit named", "status %d" % st)
        st, h, b = post(srv, {"action": "pause", "msg_paused_en": "bell\x07"})
        t.eq(st, 422, "a message with a control character: 422")
        st, h, b = post(srv, {"action": "explode"})
        t.eq(st, 400, "an unknown action: 400")
        s = srv.stats()
        t.ok(s.get("status") == "open" and has_form(srv.page("/")),
             "after every refusal: still open, form still there", repr(s))
        t.ok(not [r for r in audit(srv) if r[1] in ("pause", "close", "open", "messages")],
             "after every refusal: nothing in the audit trail", repr(audit(srv)))

        # ---- pause with a message ----------------------------------------------
        hostile = 'Back on Monday <script>alert(1)</script> "><img src=x onerror=alert(2)> & more'
        km_msg = "ផ្អាកបណ្ដោះអាសន្ន សូមត្រឡប់មកវិញថ្ងៃច័ន្ទ"
        st, h, b = post(srv, {"action": "pause", "msg_paused_en": hostile + "\r\nSecond line",
                              "msg_paused_km": km_msg})
        t.ok(st == 303 and h.get("location") == SETTINGS + "?done=pause",
             "pause: 303 to /admin/settings?done=pause", "status %d location %r" % (st, h.get("location")))
        st, html = settings_page(srv, "?done=pause")
        t.ok("Signing is paused" in H.html_text(html), "settings page after pausing: says paused")
        page = srv.page("/")
        text = H.html_text(page)
        t.ok(not has_form(page) and "Signing is paused" in text and "Back on Monday" in text
             and "Second line" in text,
             "paused: the page shows the message (two paragraphs), the form is gone", text[:600])
        t.ok("<script>alert(1)" not in page and "<img src=x" not in page
             and "&lt;script&gt;alert(1)&lt;/script&gt;" in page,
             "paused: hostile message text is shown escaped, not as markup")
        page_km = srv.page("/?lang=km")
        t.ok(km_msg in H.html_text(page_km) and not has_form(page_km),
             "paused, Khmer page: the Khmer message, no form")
        s = srv.stats()
        t.eq(s.get("status"), "paused", "paused: /api/stats status is paused")
        before = s.get("count")
        st, h, b = sign_json(srv, "paused@example.org")
        t.ok(st == 403 and H.json_body(b) == {"ok": False, "error": "paused"},
             'paused: POST /sign (JSON) is 403 {"ok":false,"error":"paused"}', "%d %r" % (st, b[:200]))
        st, h, b = srv.sign({"name": "Paused Person", "email": "paused2@example.org", "country": "KH"},
                            hidden={})
        body = b.decode("utf-8", "replace")
        t.ok(st == 403 and "Back on Monday" in H.html_text(body) and not has_form(body),
             "paused: POST /sign (form) is 403 with the message, no form", "status %d" % st)
        t.ok(srv.stats().get("count") == before
             and not [r for r in srv.csv_dicts() if "paused" in r.get("email", "")],
             "paused: nothing stored (count unchanged, not in the export)")
        st, h, b = srv.get("/embed")
        emb = b.decode("utf-8", "replace")
        t.ok("Signing is paused" in H.html_text(emb) and 'target="_blank"' not in emb,
             "paused: the widget says so and has no link to sign")
        st, html = settings_page(srv)
        t.ok("&lt;script&gt;" in html and "<script>alert" not in html,
             "settings page: the hostile message is escaped in its box too")

        # ---- reopen -----------------------------------------------------------
        st, h, b = post(srv, {"action": "open"})
        t.ok(st == 303 and h.get("location") == SETTINGS + "?done=open", "reopen: 303 ?done=open")
        t.ok(srv.stats().get("status") == "open" and has_form(srv.page("/")),
             "reopened: status open, the form is back")
        st, h, b = srv.sign({"name": "First Signer", "email": "first@example.org", "country": "KH"})
        t.eq(st, 303, "reopened: a signature is accepted (303)")
        n_final = srv.stats().get("count")

        # ---- close, with the confirmation step ---------------------------------
        closing = "Delivered to the signatories on 15 January 2027. Thank you!"
        st, h, b = post(srv, {"action": "close", "msg_closed_en": closing, "msg_closed_km": ""})
        t.ok(st == 303 and h.get("location") == SETTINGS + "?confirm=close",
             "close without confirming: 303 to the confirmation step", "%d %r" % (st, h.get("location")))
        t.ok(srv.stats().get("status") == "open" and has_form(srv.page("/")),
             "before confirming: still open")
        st, html = settings_page(srv, "?confirm=close")
        doc = H.parse_doc(html)
        confirm_forms = [f for f in doc.forms if any(c["name"] == "confirm" and c["value"] == "1"
                                                     for c in f["controls"])]
        t.ok(st == 200 and "Close the petition?" in H.html_text(html) and confirm_forms,
             "the confirmation step: a question and a form with confirm=1")
        st, h, b = post(srv, {"action": "close", "confirm": "1"})
        t.ok(st == 303 and h.get("location") == SETTINGS + "?done=close", "confirmed: 303 ?done=close")
        page = srv.page("/")
        text = H.html_text(page)
        t.ok(not has_form(page) and closing in text and "This petition is closed" in text
             and H.standalone(text, H.thousands(n_final)) and "Signing closed on" in text,
             "closed: final count, closing message and date stay; the form is gone", text[:600])
        page_km = srv.page("/?lang=km")
        t.ok("លែងទទួលហត្ថលេខា" in H.html_text(page_km),
             "closed, Khmer page: no Khmer message saved, so the Khmer default")
        st, h, b = sign_json(srv, "late@example.org")
        t.ok(st == 403 and H.json_body(b) == {"ok": False, "error": "closed"},
             'closed: POST /sign (JSON) is 403 {"ok":false,"error":"closed"}', "%d %r" % (st, b[:200]))
        s = srv.stats()
        t.ok(s.get("status") == "closed" and s.get("count") == n_final,
             "closed: stats status closed, count unchanged", repr(s))
        st, html = settings_page(srv)
        t.ok("Reopen signing" in H.html_text(html), "closed: the settings page offers to reopen")
        st, h, b = post(srv, {"action": "open"})
        t.ok(st == 303 and srv.stats().get("status") == "open" and has_form(srv.page("/")),
             "closing is reversible: reopened, the form is back")

        # ---- a deadline a few seconds ahead -------------------------------------
        st, h, b = post(srv, {"action": "deadline", "closes_at": "2020-01-01T10:00"})
        t.ok(st == 422 and "already passed" in H.html_text(b.decode("utf-8", "replace")),
             "a deadline in the past: 422")
        for bad in ("tomorrow", "2027-13-01T10:00", "2027-02-30T10:00", "2027-01-15T25:00",
                    "2027-01-15T10:00:00junk", ""):
            st, h, b = post(srv, {"action": "deadline", "closes_at": bad})
            t.eq(st, 422, "a deadline of %r: 422" % bad)
        t.ok(srv.stats().get("closes_at") is None, "after the refusals: no deadline")

        deadline = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=4)) \
            .replace(microsecond=0)
        local = deadline.astimezone(PP)
        st, h, b = post(srv, {"action": "deadline", "closes_at": local.strftime("%Y-%m-%dT%H:%M:%S")})
        t.ok(st == 303 and h.get("location") == SETTINGS + "?done=deadline", "deadline set: 303")
        s = srv.stats()
        iso = deadline.strftime("%Y-%m-%dT%H:%M:%SZ")
        t.ok(s.get("status") == "open" and s.get("closes_at") == iso,
             "stats: status open, closes_at %s (UTC)" % iso, repr(s))
        st, h, b = srv.get("/")
        page = b.decode("utf-8", "replace")
        etag = h.get("etag")
        want_en = "Signing closes on %d %s %d at %s (Phnom Penh time, UTC+07:00)." % (
            local.day, EN_MONTHS[local.month - 1], local.year, local.strftime("%H:%M"))
        t.ok(want_en in H.html_text(page) and has_form(page),
             "the page: %r, form still there" % want_en, H.html_text(page)[:500])
        want_km = "ការចុះហត្ថលេខានឹងបិទនៅថ្ងៃទី%s ខែ%s ឆ្នាំ%s ម៉ោង %s (ម៉ោងភ្នំពេញ UTC+07:00)។" % (
            km_digits(str(local.day)), KM_MONTHS[local.month - 1], km_digits(str(local.year)),
            km_digits(local.strftime("%H:%M")))
        text_km = H.html_text(srv.page("/?lang=km"))
        t.ok(want_km in text_km, "the Khmer page: %r (Khmer digits and month name)" % want_km,
             text_km[:400])
        st, h, b = srv.get("/embed")
        t.ok(want_en in H.html_text(b.decode("utf-8", "replace")), "the widget shows the deadline")
        st, html = settings_page(srv)
        t.ok(('value="%s"' % local.strftime("%Y-%m-%dT%H:%M:%S")) in html,
             "settings page: the deadline in its box, in Phnom Penh time")
        # Wait for it to pass (bounded).
        while datetime.datetime.now(datetime.timezone.utc) < deadline + datetime.timedelta(seconds=0.3):
            time.sleep(0.1)
        st, h, b = srv.get("/", headers={"If-None-Match": etag or '"none"'})
        page = b.decode("utf-8", "replace")
        text = H.html_text(page)
        t.ok(st == 200 and not has_form(page) and "This petition is closed" in text,
             "deadline passed: the cached page re-rendered at once (200, not 304), form gone",
             "status %d\n%s" % (st, text[:400]))
        want_closed = "Signing closed on %d %s %d at %s (Phnom Penh time, UTC+07:00)." % (
            local.day, EN_MONTHS[local.month - 1], local.year, local.strftime("%H:%M"))
        t.ok(want_closed in text, "deadline passed: %r" % want_closed)
        s = srv.stats()
        t.ok(s.get("status") == "closed" and s.get("closes_at") == iso,
             "deadline passed: stats status closed, closes_at kept", repr(s))
        st, h, b = sign_json(srv, "too-late@example.org")
        t.ok(st == 403 and H.json_body(b) == {"ok": False, "error": "closed"},
             "deadline passed: POST /sign is 403 closed")
        st, html = settings_page(srv)
        t.ok("reopening removes it" in H.html_text(html), "settings page: reopening removes the passed deadline")
        st, h, b = post(srv, {"action": "open"})
        s = srv.stats()
        t.ok(st == 303 and s.get("status") == "open" and s.get("closes_at") is None,
             "reopened after the deadline: open, deadline removed", repr(s))
        # Set and remove a deadline far ahead.
        st, h, b = post(srv, {"action": "deadline", "closes_at": "2027-01-15T18:00"})
        s = srv.stats()
        t.ok(st == 303 and s.get("closes_at") == "2027-01-15T11:00:00Z",
             "deadline 2027-01-15 18:00 Phnom Penh time is 11:00 UTC", repr(s))
        t.ok("Signing closes on 15 January 2027 at 18:00 (Phnom Penh time, UTC+07:00)."
             in H.html_text(srv.page("/")), "the page: 'Signing closes on 15 January 2027 at 18:00 ...'")
        t.ok("ការចុះហត្ថលេខានឹងបិទនៅថ្ងៃទី១៥ ខែមករា ឆ្នាំ២០២៧ ម៉ោង ១៨:០០ (ម៉ោងភ្នំពេញ UTC+07:00)។"
             in H.html_text(srv.page("/?lang=km")), "the Khmer page: 'ថ្ងៃទី១៥ ខែមករា ឆ្នាំ២០២៧ ម៉ោង ១៨:០០'")
        st, h, b = post(srv, {"action": "deadline_clear"})
        t.ok(st == 303 and srv.stats().get("closes_at") is None and "Signing closes on" not in srv.page("/"),
             "deadline removed: closes_at null, no date line")

        # ---- goal and milestone -------------------------------------------------
        n = srv.stats().get("count")
        goal = n + 2
        for bad, why in (({"goal": "0"}, "goal 0"), ({"goal": "abc"}, "goal abc"),
                         ({"goal": "-5"}, "goal -5"), ({"goal": "1000000001"}, "goal above the maximum"),
                         ({"goal": str(goal), "milestone": str(goal)}, "milestone equal to the goal"),
                         ({"goal": str(goal), "milestone": "x"}, "milestone x")):
            st, h, b = post(srv, dict(bad, action="goal"))
            t.eq(st, 422, "%s: 422" % why)
        t.eq(srv.stats().get("goal"), 1000, "after the refusals: the goal is still 1000")
        st, h, b = post(srv, {"action": "goal", "goal": str(goal), "milestone": str(goal + 3)})
        s = srv.stats()
        t.ok(st == 303 and s.get("goal") == goal and s.get("milestone") == goal + 3,
             "goal %d, milestone %d: shown in /api/stats" % (goal, goal + 3), repr(s))
        text = H.html_text(srv.page("/"))
        t.ok("Our goal: %s signatures." % H.thousands(goal) in text and "Next milestone" not in text,
             "the page shows the new goal, no milestone yet", text[:300])
        for i in range(2):
            st, h, b = srv.sign({"name": "Goal Signer %d" % i, "email": "goal%d@example.org" % i,
                                 "country": "KH"})
        time.sleep(0.3)  # the cached page re-renders at most every 250 ms on count changes
        text = H.html_text(srv.page("/"))
        t.ok("We reached our goal of %s signatures." % H.thousands(goal) in text
             and "Next milestone: %s signatures." % H.thousands(goal + 3) in text,
             "goal reached: the page says so and shows the next milestone", text[:400])
        t.ok("គោលដៅបន្ទាប់" in H.html_text(srv.page("/?lang=km")), "goal reached: the Khmer page too")
        st, h, b = post(srv, {"action": "goal", "goal": str(goal), "milestone": ""})
        t.ok(st == 303 and srv.stats().get("milestone") is None
             and "Next milestone" not in H.html_text(srv.page("/")),
             "milestone removed: goal reached, no milestone shown")

        # ---- time zone -----------------------------------------------------------
        for bad in ("Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime", "Europe/", "",
                    "zone.tab", "Europe/Paris\x00x", "A" * 80, "localtime"):
            st, h, b = post(srv, {"action": "timezone", "timezone": bad})
            ok = st == 422 and "Unknown time zone" in H.html_text(b.decode("utf-8", "replace"))
            t.ok(ok, "time zone %r: 422 unknown" % bad[:40], "status %d" % st)
        st, html = settings_page(srv)
        t.ok("Asia/Phnom_Penh" in html, "after the refusals: still Asia/Phnom_Penh")
        st, h, b = post(srv, {"action": "timezone", "timezone": "America/New_York"})
        t.ok(st == 303 and h.get("location") == SETTINGS + "?done=timezone", "time zone America/New_York: 303")
        post(srv, {"action": "deadline", "closes_at": "2027-07-04T12:00"})
        s = srv.stats()
        t.ok(s.get("closes_at") == "2027-07-04T16:00:00Z",
             "a deadline in New York summer time: 12:00 EDT is 16:00 UTC", repr(s))
        text = H.html_text(srv.page("/"))
        t.ok("Signing closes on 4 July 2027 at 12:00 (New York time, UTC-04:00)." in text,
             "the page labels the date with the zone: (New York time, UTC-04:00)", text[:400])
        st, html = settings_page(srv)
        t.ok("America/New_York" in H.html_text(html) and 'value="2027-07-04T12:00:00"' in html,
             "settings page: the zone and the deadline in it")
        post(srv, {"action": "deadline_clear"})
        st, h, b = post(srv, {"action": "timezone", "timezone": "Asia/Phnom_Penh"})
        t.eq(st, 303, "back to Asia/Phnom_Penh: 303")

        # ---- the audit trail -------------------------------------------------------
        acts = [r[1] for r in audit(srv)]
        for a in ("pause", "open", "messages", "close", "deadline", "goal", "timezone"):
            t.ok(a in acts, "audit trail has a %r line" % a, repr(acts))
        rows = audit(srv)
        t.ok(all(r[0] == "owner" for r in rows if r[1] in ("pause", "close", "goal")),
             "audit lines name the organizer (owner)", repr(rows))
        t.ok(("owner", "timezone", "America/New_York") in rows
             and any(r[1] == "goal" and r[2] == "goal %d, next milestone %d" % (goal, goal + 3) for r in rows),
             "audit details: the zone, the goal and milestone", repr(rows))
        t.ok(not any("example.org" in (r[2] or "") for r in rows), "no signer's data in the audit trail")

        # ---- restart: everything kept; the saved goal wins over --goal ---------
        post(srv, {"action": "pause", "msg_paused_en": "Paused over the restart"})
        srv.restart()
        s = srv.stats()
        t.ok(s.get("status") == "paused" and s.get("goal") == goal,
             "after a restart (--goal 1000 given again): still paused, goal %d (the saved one wins)" % goal,
             repr(s))
        t.ok("Paused over the restart" in H.html_text(srv.page("/")), "after a restart: the message kept")
        post(srv, {"action": "open"})
        t.eq(srv.stats().get("status"), "open", "reopened after the restart")
        H.check_clean_exit(t, srv)


if __name__ == "__main__":
    H.run(main, limit=110)
