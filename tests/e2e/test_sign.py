#!/usr/bin/env python3
"""test_sign.py -- POST /sign: success, JSON, duplicates, every validation
error (422 with the form shown again), Unicode names, HTML escaping and the
public list of recent signers (the public name a signer chose, never their
name)."""

import os
import re
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PREFILL = 40  # signatures before the counted ones: counts 40/41 are not in the petition text


def poll(fn, timeout=3.0):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(0.05)


def loc_path(h):
    loc = h.get("location", "")
    u = urllib.parse.urlsplit(loc)
    return u.path if (not u.netloc or u.netloc.startswith("127.0.0.1")) else "(foreign) " + loc


def valid(i, **over):
    d = {"name": "Signer %d" % i, "email": "signer%d@example.com" % i, "country": "KH",
         "comment": "", "public": "", "updates": ""}
    d.update(over)
    return {k: v for k, v in d.items() if v is not None}


def main(t):
    with H.Server() as srv:
        # ---- prefill ---------------------------------------------------------
        sts = [srv.sign(valid(i))[0] for i in range(PREFILL)]
        t.ok(all(s == 303 for s in sts), "%d valid signatures are each answered 303" % PREFILL,
             "statuses: %r" % sorted(set(sts)))
        t.eq(srv.count(), PREFILL, "/api/stats count is %d after them" % PREFILL)
        st, h0, b = srv.get("/")
        etag0 = h0.get("etag")
        text0 = H.html_text(b.decode("utf-8", "replace"))
        # the page is re-rendered at most every few hundred ms (DESIGN.md): allow 3 s
        t.ok(poll(lambda: H.standalone(H.html_text(srv.page("/")), str(PREFILL))),
             "page shows the count %d (within 3 s)" % PREFILL, H.html_text(srv.page("/"))[:600])
        text0 = H.html_text(srv.page("/"))
        t.ok(not H.standalone(text0, str(PREFILL + 1)), "page does not show %d yet" % (PREFILL + 1))
        etag0 = srv.get("/")[1].get("etag")

        # ---- one valid signature ------------------------------------------------
        st, h, b = srv.sign({"name": "Ada Lovelace", "email": "ada@example.com", "country": "GB",
                             "comment": "For democracy.", "public": "1", "updates": "1",
                             "public_name": "Ada"})
        t.eq(st, 303, "valid signature: 303")
        t.ok(h.get("location") == "/thanks", "valid signature: Location: /thanks",
             "Location: %r" % h.get("location"))
        n1 = PREFILL + 1
        t.ok(poll(lambda: srv.count() == n1), "/api/stats count +1 (%d)" % n1, "count %r" % srv.count())
        t.ok(poll(lambda: H.standalone(H.html_text(srv.page("/")), str(n1))), "page shows the new count %d (within 3 s)" % n1,
             H.html_text(srv.page("/"))[:600])
        if etag0:
            st, h, b = srv.get("/", {"If-None-Match": etag0})
            t.ok(st == 200 and h.get("etag") != etag0, "after a signature, the old ETag no longer gets 304",
                 "status %d etag %r (old %r)" % (st, h.get("etag"), etag0))
        else:
            t.ok(False, "after a signature, the old ETag no longer gets 304 (GET / sent no ETag)")
        st, h, b = srv.get("/thanks")
        tt = H.html_text(b.decode("utf-8", "replace"))
        t.ok(st == 200 and h.get("content-type", "").lower().startswith("text/html"),
             "GET /thanks is 200 text/html", "status %d ct %r" % (st, h.get("content-type")))
        t.ok(H.standalone(tt, str(n1)), "GET /thanks shows the count %d" % n1, tt[:600])

        # ---- JSON ---------------------------------------------------------------
        st, h, b = srv.sign(valid(100, email="json.signer@example.com"), json=True)
        j = H.json_body(b)
        t.eq(st, 201, "JSON signature: 201")
        t.ok(re.match(r"application/json\b", h.get("content-type", "")), "JSON signature: application/json",
             repr(h.get("content-type")))
        t.ok(b == b'{"ok":true}' and j == {"ok": True},
             'JSON signature: exactly {"ok":true} (no count: it would tell new from repeated)', repr(b[:200]))

        st, h, b = srv.sign(valid(101, email="charset@example.com"),
                            content_type="application/x-www-form-urlencoded; charset=UTF-8")
        t.eq(st, 303, "Content-Type with '; charset=UTF-8' parameter is accepted (303)")
        n = n1 + 2
        t.eq(srv.count(), n, "count is %d" % n)

        # ---- duplicates ------------------------------------------------------------
        st1, h1, b1 = srv.sign(valid(102, email="dup.person@example.com"))
        n += 1
        st2, h2, b2 = srv.sign(valid(103, name="Someone Else", email="  DUP.Person@EXAMPLE.com  "))
        skip = {"date", "content-length"}
        t.ok(st1 == 303 and st2 == st1 and h2.get("location") == h1.get("location")
             and sorted(set(h1) - skip) == sorted(set(h2) - skip) and b1 == b2,
             "duplicate email (other case, spaces): same status, Location, header names and body",
             "new: %d %r %r %r\ndup: %d %r %r %r" % (st1, h1.get("location"), sorted(h1), b1[:100],
                                                      st2, h2.get("location"), sorted(h2), b2[:100]))
        t.eq(srv.count(), n, "duplicate not counted (count stays %d)" % n)
        st3, h3, b3 = srv.sign(valid(104, email="json.dup@example.com"), json=True)
        n += 1
        st4, h4, b4 = srv.sign(valid(105, email="JSON.Dup@Example.com "), json=True)
        t.ok(st3 == 201 and st4 == 201 and b3 == b4 == b'{"ok":true}',
             'JSON duplicate: 201 and the same bytes as a new one, {"ok":true}',
             "new: %d %r\ndup: %d %r" % (st3, b3[:200], st4, b4[:200]))
        t.eq(srv.count(), n, "JSON duplicate not counted (count stays %d)" % n)

        # ---- invalid input ------------------------------------------------------------
        baseline = srv.page("/")
        long_local = "x" * 64
        email254 = long_local + "@" + "a" * 63 + "." + "b" * 63 + "." + "c" * 61
        email255 = long_local + "@" + "a" * 63 + "." + "b" * 63 + "." + "c" * 62
        assert len(email254) == 254 and len(email255) == 255

        def inv(i, field, desc, keep_field=True, **over):
            d = {"name": "Invalid Case %d" % i, "email": "invalid%d@example.com" % i, "country": "KH",
                 "comment": "comment %d" % i, "public": "1", "updates": "1", "public_name": "Case %d" % i}
            d.update(over)
            return (desc, field, {k: v for k, v in d.items() if v is not None}, keep_field)

        cases = [
            inv(1, "name", "missing name", name=None),
            inv(2, "name", "empty name after trimming", name="   "),
            inv(3, "name", "101-character name", name="N" * 101),
            inv(4, "name", "name with a control character (\\x01)", keep_field=False, name="Bad\x01Name"),
            inv(5, "name", "invalid UTF-8 name (%C0%80, overlong)", keep_field=False, name=b"A\xc0\x80B"),
            inv(6, "name", "invalid UTF-8 name (%ED%A0%80, surrogate)", keep_field=False, name=b"A\xed\xa0\x80B"),
            inv(7, "name", "invalid UTF-8 name (%FF)", keep_field=False, name=b"A\xffB"),
            inv(8, "email", "email 'foo'", email="foo"),
            inv(9, "email", "email 'a@'", email="a@"),
            inv(10, "email", "email 'a@b..c'", email="a@b..c"),
            inv(11, "email", "255-byte email", email=email255),
            inv(12, "email", "missing email", email=None),
            inv(13, "country", "unknown country XX", keep_field=False, country="XX"),
            inv(14, "country", "missing country", country=None),
            inv(15, "comment", "1001-character comment", comment="c" * 1001),
            inv(16, "public", "public=yes", keep_field=False, public="yes"),
            inv(17, "name", "name with NUL (%00)", keep_field=False, name="A\x00B"),
            inv(18, "name", "name with DEL (\\x7f)", keep_field=False, name="A\x7fB"),
            inv(19, "name", "name with a C1 control (U+0085)", keep_field=False, name="A\u0085B"),
            inv(20, "name", "name with a line feed inside", keep_field=False, name="Line\nFeed"),
            inv(21, "email", "email 'a@-b.com' (label starts with '-')", email="a@-b.com"),
            inv(22, "email", "email with a non-ASCII local part", email="\u00e4@example.com"),
            inv(23, "email", "email with a space inside", email="a b@example.com"),
            inv(24, "name", "name with a right-to-left override (U+202E)", keep_field=False,
                name="Dara\u202eevil.example"),
            inv(25, "name", "name of zero-width spaces only", keep_field=False, name="\u200b\u200b"),
            inv(26, "name", "name with a tag character", keep_field=False, name="Sok\U000E0041"),
        ]
        for desc, field, fields, keep_field in cases:
            c0 = srv.count()
            st, h, b = srv.sign(fields)
            html = b.decode("utf-8", "replace")
            t.ok(st == 422 and h.get("content-type", "").lower().startswith("text/html")
                 and H.sign_form(html) is not None,
                 "%s: 422 with the form shown again" % desc,
                 "status %d ct %r" % (st, h.get("content-type")))
            stj, hj, bj = srv.sign(fields, json=True)
            j = H.json_body(bj)
            errs = j.get("errors") if isinstance(j, dict) else None
            t.ok(stj == 422 and isinstance(j, dict) and j.get("ok") is False and isinstance(errs, dict) and set(errs) == {field}
                 and isinstance(errs.get(field), str) and errs[field].strip(),
                 '%s: JSON 422 {"ok":false,"errors":{"%s":"..."}}' % (desc, field),
                 "status %d body %r" % (stj, bj[:300]))
            msg = errs.get(field).strip() if isinstance(errs, dict) and isinstance(errs.get(field), str) else None
            where = []
            ok_near = False
            if msg and st == 422 and H.sign_form(html) is not None:
                r422 = H.field_region(html, field)
                r0 = H.field_region(baseline, field)
                ok_near = r422 is not None and r0 is not None and r422.count(msg) > r0.count(msg)
                # fields two or more places away: their regions do not touch this one
                order = [c["name"] for c in sorted((c for c in H.sign_form(html)["controls"]
                                                    if c["name"] in H.FIELDS), key=lambda c: c["start"])]
                for other in H.FIELDS:
                    if other == field or (other in order and field in order
                                          and abs(order.index(other) - order.index(field)) < 2):
                        continue
                    a, z = H.field_region(html, other), H.field_region(baseline, other)
                    if a is not None and z is not None and a.count(msg) > z.count(msg):
                        where.append(other)
                if not ok_near:
                    where.append("not near %s: region text %r" % (field, r422))
            t.ok(ok_near and not where, "%s: error message %r shown next to the %s field (not by far-away fields)" % (desc, msg, field),
                 "; ".join(where) or "no message to look for")
            kept = H.form_values(html)
            want = {}
            for k in H.FIELDS:
                if k == field and not keep_field:
                    continue
                v = fields.get(k, "")
                if k == "country" and k not in fields:
                    continue
                want[k] = v.strip() if isinstance(v, str) else v
            diff = {k: (want[k], kept.get(k)) for k in want if kept.get(k) != want[k]}
            t.ok(st == 422 and not diff, "%s: submitted values kept in the form" % desc,
                 "field: (sent, shown) %r" % {k: (str(a)[:60], str(b_)[:60]) for k, (a, b_) in diff.items()})
            t.eq(srv.count(), c0, "%s: nothing stored (count %d)" % (desc, c0))
            if desc.startswith("name with a right-to-left override"):
                t.ok(msg and "U+202E" in msg and re.search(r"\b5\b", msg) and "U+202E" in H.html_text(html),
                     "%s: the message names the character and its position (5)" % desc, repr(msg))

        # public without a public name: the one error is on public_name
        c0 = srv.count()
        st, h, b = srv.sign(valid(27, email="no.public.name@example.com", public="1"), json=True)
        j = H.json_body(b)
        t.ok(st == 422 and isinstance(j, dict) and set(j.get("errors", {})) == {"public_name"},
             "public ticked without public_name: JSON 422 on public_name only", "status %d body %r" % (st, b[:300]))
        st, h, b = srv.sign(valid(27, email="no.public.name@example.com", public="1"))
        html = b.decode("utf-8", "replace")
        t.ok(st == 422 and j and j.get("errors", {}).get("public_name", "-") in html,
             "public ticked without public_name: 422 page with the message", "status %d" % st)
        t.eq(srv.count(), c0, "public ticked without public_name: nothing stored")

        # two errors at once
        st, h, b = srv.sign({"email": "nope", "country": "KH"}, json=True)
        j = H.json_body(b)
        t.ok(st == 422 and isinstance(j, dict) and isinstance(j.get("errors"), dict)
             and set(j["errors"]) == {"name", "email"},
             "missing name and bad email: both reported in errors", "status %d body %r" % (st, b[:300]))

        # Khmer re-display stays Khmer
        st, h, b = srv.sign({"name": "", "email": "km.invalid@example.com", "country": "KH", "lang": "km"},
                            lang="km")
        m = re.search(r"<html[^>]*\blang=\"([^\"]*)\"", b.decode("utf-8", "replace"))
        t.ok(st == 422 and m and m.group(1) == "km", '422 from the Khmer form is shown in Khmer (lang="km")',
             "status %d, %r" % (st, m and m.group(0)))

        # ---- HTML in the input is escaped -----------------------------------------------
        xss = [("name", "<script>alert(1)</script>"),
               ("name", '"><img src=x onerror=alert(1)>'),
               ("comment", "</textarea><script>alert(2)</script>")]
        for fld, payload in xss:
            c0 = srv.count()
            fields = {"name": "Escaper", "email": "not-an-email", "country": "KH", fld: payload}
            st, h, b = srv.sign(fields)
            html = b.decode("utf-8", "replace")
            kept = H.form_values(html)
            t.ok(st == 422 and payload not in html and kept.get(fld) == payload,
                 "%s %r with a bad email: 422, echoed escaped (value kept, never raw)" % (fld, payload),
                 "status %d, raw present: %r, kept: %r" % (st, payload in html, kept.get(fld)))
            t.eq(srv.count(), c0, "%s %r: nothing stored" % (fld, payload))

        # ---- boundaries and Unicode that must be accepted ----------------------------------
        goods = [
            ("100-character name", valid(200, name="H" * 100, email="hundred@example.com")),
            ("1000-character comment", valid(201, email="thousand@example.com", comment="m" * 1000)),
            ("254-byte email", valid(202, email=email254)),
            ("Khmer name", valid(203, name="សុខ ដារ៉ា", email="sok.dara@example.com")),
            ("accented name", valid(204, name="Zoë Ñúñez", email="zoe@example.com", country="ES")),
            ("email with +tag", valid(206, email="user+tag@example.com")),
            ("email with a one-label domain (WHATWG-valid)", valid(207, email="someone@localhost")),
            ("all optional fields absent", {"name": "Minimal Person", "email": "minimal@example.com",
                                            "country": "US"}),
        ]
        for desc, fields in goods:
            c0 = srv.count()
            st, h, b = srv.sign(fields)
            t.ok(st == 303 and srv.count() == c0 + 1, "%s accepted (303, counted)" % desc,
                 "status %d count %d -> %d body %r" % (st, c0, srv.count(), b[:300]))
        st, h, b = srv.sign(valid(205, name="Khmer Form Signer", email="km.signer@example.com"), lang="km")
        t.ok(st == 303 and loc_path(h) == "/thanks", "signing from the Khmer form: 303 to /thanks",
             "status %d Location %r" % (st, h.get("location")))

        # ---- the same email from many connections at once: counted once -------------
        import threading
        c0 = srv.count()
        res, lock = [], threading.Lock()
        hid = srv.hidden_fields()
        gate = threading.Event()

        def same(k):
            gate.wait(5)
            r = srv.sign(valid(400 + k, email=" " * (k % 3) + ("Same.Time@example.com" if k % 2 else "same.time@EXAMPLE.com")), hidden=hid)
            with lock:
                res.append(r[0])
        ths = [threading.Thread(target=same, args=(k,), daemon=True) for k in range(12)]
        for th in ths:
            th.start()
        gate.set()
        for th in ths:
            th.join(10)
        t.ok(sorted(res) == [303] * 12 and srv.count() == c0 + 1,
             "12 simultaneous signatures with one email: all 303, counted once",
             "statuses %r, count %d -> %d" % (sorted(res), c0, srv.count()))

        # ---- the public list of recent signers ---------------------------------------------
        # It shows the public name a signer chose and the country: nothing of the name.
        st_a, _, _ = srv.sign(valid(300, name="Secretxyzzy Person", email="secret@example.com", public="",
                                    public_name="Strayxyzzy"))
        st_b, _, _ = srv.sign(valid(301, name="Fullname Publicperson", email="bold@example.com", public="1",
                                    public_name="<b>Bold</b>"))
        st_c, _, _ = srv.sign(valid(302, name="ចាន់ សុភា", email="chan.sophea@example.com", public="1",
                                    public_name="សុភា"))
        t.ok(st_a == st_b == st_c == 303, "three more signatures (one not public) accepted")

        def recent_ok():
            text = H.html_text(srv.page("/"))
            return "សុភា" in text and "<b>Bold</b>" in text
        t.ok(poll(recent_ok), "public signers' chosen public names appear on the page", H.html_text(srv.page("/"))[-800:])
        html = srv.page("/")
        t.ok("<b>Bold</b>" not in html, "a public name with HTML is escaped on the page, never raw")
        pages = html + srv.page("/thanks") + srv.page("/?lang=km")
        t.ok("Fullname" not in pages and "Publicperson" not in pages and "ចាន់" not in pages,
             "no part of a public signer's name is shown, only the public name")
        t.ok("Secretxyzzy" not in pages and "Strayxyzzy" not in pages,
             "a signer who did not tick public is never shown (not even a public_name sent)")

        # ---- what was stored ----------------------------------------------------------------
        rows = srv.csv_dicts()
        by_email = {}
        for r in rows:
            by_email.setdefault(r.get("email", "").lower().strip().lstrip("'"), []).append(r)
        t.eq(len(rows), srv.count(), "CSV has one row per counted signature")
        t.ok([r["name"] for r in by_email.get("sok.dara@example.com", [])] == ["សុខ ដារ៉ា"],
             "Khmer name stored and exported exactly", repr(by_email.get("sok.dara@example.com")))
        t.ok([r["name"] for r in by_email.get("zoe@example.com", [])] == ["Zoë Ñúñez"],
             "accented name stored and exported exactly", repr(by_email.get("zoe@example.com")))
        t.ok([r["name"] for r in by_email.get("hundred@example.com", [])] == ["H" * 100],
             "100-character name stored whole")
        t.ok([r["comment"] for r in by_email.get("thousand@example.com", [])] == ["m" * 1000],
             "1000-character comment stored whole")
        t.ok(len(by_email.get(email254, [])) == 1, "254-byte email stored")
        dups = by_email.get("dup.person@example.com", [])
        t.ok(len(dups) == 1 and dups[0]["email"] == "dup.person@example.com" and dups[0]["name"] == "Signer 102",
             "duplicate email stored once, as first entered", repr(dups))
        t.ok(len(by_email.get("json.dup@example.com", [])) == 1, "JSON duplicate stored once")
        t.ok([r.get("public_name") for r in by_email.get("bold@example.com", [])] == ["<b>Bold</b>"]
             and [r.get("public_name") for r in by_email.get("secret@example.com", [])] == [""],
             "public_name stored for the public signer only",
             repr((by_email.get("bold@example.com"), by_email.get("secret@example.com"))))
        t.ok(len(by_email.get("same.time@example.com", [])) == 1, "simultaneous duplicates stored once",
             repr(by_email.get("same.time@example.com")))
        stray = sorted(set(r.get("email") for r in rows
                           if re.match(r"(invalid\d+|km\.invalid)@", r.get("email", ""))
                           or r.get("name") in ("Escaper", "Invalid Case 1")
                           or r.get("name", "").startswith("Invalid Case")))
        t.ok(not stray, "no refused signature is in the export", repr(stray))
        H.check_clean_exit(t, srv)

    # ---- --rate-limit ---------------------------------------------------------------
    with H.Server(overrides={"rate-limit": "3"}) as rs:
        res = [rs.sign(valid(500 + i, email="rate%d@example.com" % i)) for i in range(4)]
        sts = [r[0] for r in res]
        ra = res[3][1].get("retry-after", "")
        t.ok(sts[:3] == [303, 303, 303] and sts[3] == 429 and ra.strip().isdigit() and int(ra) > 0,
             "--rate-limit 3: the 4th signature in a minute from one client is 429 with Retry-After",
             "statuses %r Retry-After %r" % (sts, ra))
        t.eq(rs.count(), 3, "--rate-limit 3: the refused signature is not stored")
        H.check_clean_exit(t, rs, "rate-limited server exits 0 on SIGTERM")


if __name__ == "__main__":
    H.run(main, limit=50)
