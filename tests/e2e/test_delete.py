#!/usr/bin/env python3
"""test_delete.py -- an organizer erases a signature on a signer's request.

The dashboard's form posts the email address to POST /admin/delete (admin
auth, same-site only). That deletes nothing yet: it answers 303 to the
signature's confirmation page (by id: the address never goes into a URL),
or to the list saying no signature has that address. The confirmation page
posts the id to /admin/signatures/delete, which deletes it and answers 303
to the list (POST/redirect/GET: a reload does nothing). Scripts may confirm
in the same request with confirm=1. Either way the row whose email matches
(trimmed, any case) is removed, the count goes down, the CSV no longer has
it, the per-day figures stay consistent, the audit trail names the row by
number only, and the address may sign again."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402


def main(t):
    with H.Server() as srv:
        for i in range(3):
            st, _, _ = srv.sign({"name": "Keep %d" % i, "email": "keep%d@example.org" % i,
                                 "country": "KH"})
            t.eq(st, 303, "signature %d accepted" % i)
        st, _, _ = srv.sign({"name": "Erase Me", "email": "Erase.Me@Example.org",
                             "country": "US", "comment": "please forget me"})
        t.eq(st, 303, "the signature to erase is accepted")
        t.eq(srv.count(), 4, "count is 4")
        form = {"Content-Type": "application/x-www-form-urlencoded"}

        st, h, b = srv.request("GET", "/admin", headers=srv.auth_header())
        page = b.decode("utf-8", "replace")
        t.ok(st == 200 and 'action="/admin/delete"' in page and "Find the signature to delete" in page,
             "the dashboard's form posts to /admin/delete and says a confirmation follows")

        st, h, b = srv.request("POST", "/admin/delete", b"email=erase.me%40example.org", form)
        t.eq(st, 401, "delete without credentials: 401")
        t.ok("www-authenticate" in h, "401 asks for credentials", h)
        t.eq(srv.count(), 4, "nothing deleted without credentials")

        hdr = dict(form, **srv.auth_header())
        st, h, b = srv.request("POST", "/admin/delete", b"email=erase.me%40example.org",
                               dict(hdr, Origin="https://evil.example"))
        t.eq(st, 403, "delete posted from another site: 403")
        t.eq(srv.count(), 4, "nothing deleted by the cross-site post")
        st, h, b = srv.request("POST", "/admin/delete", b"email=erase.me%40example.org&confirm=1",
                               dict(hdr, Origin="https://evil.example"))
        t.ok(st == 403 and srv.count() == 4, "a confirmed delete from another site: 403, nothing deleted")

        # Step 1: find the signature; nothing is deleted yet.
        st, h, b = srv.request("POST", "/admin/delete", b"email=+ERASE.me%40example.org+", hdr)
        loc = h.get("location", "")
        t.ok(st == 303 and loc.startswith("/admin/signatures/delete?id="),
             "delete by email: 303 to the signature's confirmation page", (st, loc))
        t.ok("erase" not in loc.lower() and "example" not in loc, "the address is not in the URL", loc)
        t.eq(srv.count(), 4, "finding the signature deletes nothing")
        st, h, b = srv.request("GET", loc, headers=srv.auth_header())
        page = b.decode("utf-8", "replace")
        text = H.html_text(page)
        t.ok(st == 200 and "Erase Me" in text and "Erase.Me@Example.org" in text and
             "please forget me" in text, "the confirmation page shows what will be deleted", text[:300])
        sid = loc.split("id=")[1]
        t.ok('action="/admin/signatures/delete"' in page and 'name="id" value="%s"' % sid in page,
             "its form posts the row's id")

        # Step 2: confirm.
        st, h, b = srv.request("POST", "/admin/signatures/delete", b"id=" + sid.encode(), hdr)
        loc = h.get("location", "")
        t.ok(st == 303 and loc == "/admin/signatures?done=deleted&id=%s" % sid,
             "confirmed: 303 to the list, naming the row by number only", (st, loc))
        t.eq(srv.count(), 3, "count went down to 3")
        st, h, b = srv.request("GET", loc, headers=srv.auth_header())
        t.ok(st == 200 and b"was deleted" in b, "the list says the signature was deleted", b[:300])
        st, h, b = srv.request("GET", loc, headers=srv.auth_header())
        t.ok(st == 200 and srv.count() == 3, "reloading the result deletes nothing more")
        emails = [r["email"] for r in srv.csv_dicts()]
        t.ok("Erase.Me@Example.org" not in emails and len(emails) == 3,
             "the CSV no longer holds the erased signature", emails)

        st, h, b = srv.request("POST", "/admin/delete", b"email=erase.me%40example.org", hdr)
        loc = h.get("location", "")
        t.ok(st == 303 and loc == "/admin/signatures?done=notfound", "deleting again: 303, none found",
             (st, loc))
        st, h, b = srv.request("GET", loc, headers=srv.auth_header())
        t.ok(b"nothing was deleted" in b, "the list says nothing matched", b[:300])
        t.eq(srv.count(), 3, "count unchanged by a delete that matched nothing")

        st, h, b = srv.request("POST", "/admin/delete", b"email=", hdr)
        t.eq(st, 422, "empty email: 422")
        st, h, b = srv.request("POST", "/admin/delete", b"email=not-an-address", hdr)
        t.eq(st, 422, "not an address: 422")
        st, h, b = srv.request("POST", "/admin/delete", b"email=x", dict(hdr, **{
            "Content-Type": "text/plain"}))
        t.eq(st, 415, "wrong content type: 415")
        st, h, b = srv.request("GET", "/admin/delete", headers=srv.auth_header())
        t.ok(st == 405 and "POST" in h.get("allow", ""), "GET /admin/delete: 405, Allow: POST")

        st, _, _ = srv.sign({"name": "Erase Me", "email": "erase.me@example.org", "country": "US"})
        t.eq(st, 303, "the erased address may sign again")
        t.eq(srv.count(), 4, "and is counted again")

        # Scripts confirm in the same request; the same deletion runs.
        st, h, b = srv.request("POST", "/admin/delete", b"email=ERASE.ME%40example.org&confirm=1", hdr)
        loc = h.get("location", "")
        t.ok(st == 303 and loc.startswith("/admin/signatures?done=deleted&id=") and "erase" not in loc.lower(),
             "email with confirm=1: deleted at once, 303 to the list", (st, loc))
        t.eq(srv.count(), 3, "count went down to 3 again")
        st, h, b = srv.request("POST", "/admin/delete", b"email=erase.me%40example.org&confirm=1", hdr)
        t.ok(st == 303 and h.get("location") == "/admin/signatures?done=notfound" and srv.count() == 3,
             "confirm=1 for an address no signature has: none found, nothing deleted")
        daily = srv.query("SELECT sum(n) FROM daily")[0][0]
        rows = srv.query("SELECT count(*) FROM signatures")[0][0]
        counter = srv.query("SELECT value FROM counters WHERE name='signatures'")[0][0]
        audit = srv.query("SELECT admin, action, detail FROM audit WHERE action = 'delete' ORDER BY id")
        everything = " ".join(" ".join(map(str, r)) for r in
                              srv.query("SELECT * FROM audit")).lower()
        t.ok(daily == rows == counter == 3, "per-day sum, rows and counter agree (3)",
             "daily %r rows %r counter %r" % (daily, rows, counter))
        if srv.engine == "pg":
            t.skip("integrity_check ok", "SQLite only: PRAGMA integrity_check checks the database file")
        else:
            t.eq(srv.query("PRAGMA integrity_check")[0][0], "ok", "integrity_check ok")
        t.ok(len(audit) == 2 and audit[0] == ("owner", "delete", "#" + sid) and
             audit[1][2].endswith("(by email address)"),
             "audit: two deletions by owner, each naming the row by number", audit)
        t.ok("erase" not in everything and "example" not in everything and "forget" not in everything,
             "the audit trail holds no name, address or comment")


if __name__ == "__main__":
    H.run(main)
