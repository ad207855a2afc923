#!/usr/bin/env python3
"""test_delete.py -- an organizer erases a signature on a signer's request.

POST /admin/delete (admin auth, same-site only) removes the row whose email
matches (trimmed, any case), the count goes down, the CSV no longer has it,
the per-day figures stay consistent, and the address may sign again."""
import os
import sqlite3
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

        st, h, b = srv.request("POST", "/admin/delete", b"email=erase.me%40example.org", form)
        t.eq(st, 401, "delete without credentials: 401")
        t.ok("www-authenticate" in h, "401 asks for credentials", h)
        t.eq(srv.count(), 4, "nothing deleted without credentials")

        hdr = dict(form, **srv.auth_header())
        st, h, b = srv.request("POST", "/admin/delete", b"email=erase.me%40example.org",
                               dict(hdr, Origin="https://evil.example"))
        t.eq(st, 403, "delete posted from another site: 403")
        t.eq(srv.count(), 4, "nothing deleted by the cross-site post")

        st, h, b = srv.request("POST", "/admin/delete", b"email=+ERASE.me%40example.org+", hdr)
        t.eq(st, 200, "delete with the token: 200")
        t.ok(b"was deleted" in b, "the dashboard says the signature was deleted", b[:300])
        t.eq(srv.count(), 3, "count went down to 3")
        emails = [r["email"] for r in srv.csv_dicts()]
        t.ok("Erase.Me@Example.org" not in emails and len(emails) == 3,
             "the CSV no longer holds the erased signature", emails)

        st, h, b = srv.request("POST", "/admin/delete", b"email=erase.me%40example.org", hdr)
        t.eq(st, 200, "deleting again: 200")
        t.ok(b"nothing was deleted" in b, "the dashboard says nothing matched", b[:300])
        t.eq(srv.count(), 3, "count unchanged by a delete that matched nothing")

        st, h, b = srv.request("POST", "/admin/delete", b"email=", hdr)
        t.eq(st, 422, "empty email: 422")
        st, h, b = srv.request("POST", "/admin/delete", b"email=x", dict(hdr, **{
            "Content-Type": "text/plain"}))
        t.eq(st, 415, "wrong content type: 415")

        st, _, _ = srv.sign({"name": "Erase Me", "email": "erase.me@example.org", "country": "US"})
        t.eq(st, 303, "the erased address may sign again")
        t.eq(srv.count(), 4, "and is counted again")
        con = sqlite3.connect(srv.db)
        try:
            daily = con.execute("SELECT sum(n) FROM daily").fetchone()[0]
            rows = con.execute("SELECT count(*) FROM signatures").fetchone()[0]
            counter = con.execute("SELECT value FROM counters WHERE name='signatures'").fetchone()[0]
            ic = con.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            con.close()
        t.ok(daily == rows == counter == 4, "per-day sum, rows and counter agree (4)",
             "daily %r rows %r counter %r" % (daily, rows, counter))
        t.eq(ic, "ok", "integrity_check ok")


if __name__ == "__main__":
    H.run(main)
