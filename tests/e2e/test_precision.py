#!/usr/bin/env python3
"""test_precision.py -- --time-precision hour|minute|second: how precisely
the signing times are kept (sign_time in server/sign.c).

The time stored for an online signature is the time of signing rounded
down to the hour (the default), the minute or the second, in the petition's
time zone: a leaked database then cannot be matched against a provider's
connection records, while the per-hour charts stay right. Checked for each
precision in the default zone (Asia/Phnom_Penh, UTC+07:00) and in a zone
with a quarter-hour offset (Asia/Kathmandu, UTC+05:45, whose local hours
start at a quarter past the UTC hour), against the database (either engine), the
CSV and JSON exports, /api/history?interval=hour and the dashboard's
per-hour table. A bad value is bad usage: exit 2, naming the flag."""
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from zoneinfo import ZoneInfo

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

STEP = {"hour": 3600, "minute": 60, "second": 1}
DEFAULT_ZONE = "Asia/Phnom_Penh"  # TZ_DEFAULT in server/tz.h
NPT = "Asia/Kathmandu"
CLI_TIMEOUT = 10  # seconds, a command that should exit at once


def utc_offset(t, zone):
    """The zone's offset from UTC at Unix time t, in seconds."""
    return int(datetime.datetime.fromtimestamp(t, ZoneInfo(zone)).utcoffset().total_seconds())


def floor_local(t, step, zone):
    """t rounded down to a multiple of step seconds of local time."""
    return t - (t + utc_offset(t, zone)) % step


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def local_hour(t, zone):
    """The dashboard's label of the local hour holding t ("YYYY-MM-DD HH:00")."""
    lt = datetime.datetime.fromtimestamp(t, ZoneInfo(zone))
    return lt.strftime("%Y-%m-%d %H:00")


def sign_some(t, srv, n, tag):
    """n signatures. Returns their emails and the whole seconds they were
    made in (the clock may turn a second, a minute or an hour meanwhile)."""
    t0 = int(time.time())
    emails, sts = [], []
    for i in range(n):
        e = "%s%d@example.org" % (tag, i)
        st, _, _ = srv.sign({"name": "Signer %s %d" % (tag, i), "email": e, "country": "KH"})
        sts.append(st)
        emails.append(e)
    t1 = int(time.time())
    t.ok(all(s == 303 for s in sts), "%s: %d signatures accepted" % (tag, n), sts)
    return emails, range(t0, t1 + 1)


def db_times(srv):
    """{email: signed_at} straight from the database."""
    return dict(srv.query("SELECT email, signed_at FROM signatures"))


def export_times(srv):
    """{email: signed_at} of the CSV export and of the JSON export."""
    csv_t = {r["email"]: r["signed_at"] for r in srv.csv_dicts()}
    st, _, b = srv.request("GET", "/admin/export.json", headers=srv.auth_header())
    try:
        arr = json.loads(b.decode("utf-8")) if st == 200 else []
    except ValueError:
        arr = []
    return csv_t, {o.get("email"): o.get("signed_at") for o in arr}


def check_times(t, srv, emails, secs, prec, zone, label):
    """The stored times of emails are the seconds they were signed in,
    rounded down to prec in zone; both exports say the same. Returns
    {email: stored time}."""
    step = STEP[prec]
    db = db_times(srv)
    got = {e: db.get(e) for e in emails}
    want = sorted({floor_local(s, step, zone) for s in secs})
    t.ok(all(v in want for v in got.values()),
         "%s: the database keeps the time of signing rounded down to the %s (%s)" % (label, prec, zone),
         {"want one of": [iso(w) for w in want],
          "got": {e: iso(v) if v is not None else None for e, v in got.items()}})
    t.ok(all(v is not None and (v + utc_offset(v, zone)) % step == 0 for v in got.values()),
         "%s: every stored time is a whole %s of local time" % (label, prec), got)
    csv_t, json_t = export_times(srv)
    t.ok(all(v is not None and csv_t.get(e) == iso(v) for e, v in got.items()),
         "%s: export.csv signed_at is the stored time, in UTC" % label,
         {e: csv_t.get(e) for e in emails})
    t.ok(all(v is not None and json_t.get(e) == iso(v) for e, v in got.items()),
         "%s: export.json signed_at is the stored time, in UTC" % label,
         {e: json_t.get(e) for e in emails})
    return got


def table(page, tid):
    """The rows of <table id=tid> as {row header: first data-value}."""
    m = re.search(r'<table id="%s">(.*?)</table>' % re.escape(tid), page, re.S)
    if not m:
        return None
    out = {}
    for th, td in re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", m.group(1), re.S):
        v = re.findall(r'data-value="(-?\d+)"', td)
        out[th] = int(v[0]) if v else None
    return out


def check_hours(t, srv, signed, zone, label):
    """/api/history?interval=hour counts every row in the UTC hour of its
    stored time; the dashboard's per-hour table counts every row in the
    local hour of its stored time, which for the signatures of signed
    ({email: the seconds it was signed in}) is the local hour they were made
    in."""
    db = db_times(srv)
    # The server caches /api/history for a while: each server here asks
    # once, after its signatures.
    st, h, b = srv.get("/api/history?interval=hour")
    try:
        hh = json.loads(b.decode("utf-8"))
    except ValueError:
        hh = {}
    got = {k: v for k, v in zip(hh.get("starts", []), hh.get("counts", [])) if v}
    want = Counter(iso(v - v % 3600) for v in db.values())
    t.ok(st == 200 and got == dict(want),
         "%s: /api/history?interval=hour counts each signature in its stored time's UTC hour" % label,
         {"want": dict(want), "got": got})

    st, _, b = srv.request("GET", "/admin", headers=srv.auth_header())
    page = b.decode("utf-8", "replace")
    hours = table(page, "table-hour") or {}
    right = all(local_hour(db.get(e, 0), zone) in {local_hour(s, zone) for s in secs}
                for e, secs in signed.items())
    t.ok(right, "%s: every stored time is in the local hour the signature was made in" % label,
         {e: (iso(db.get(e, 0)), sorted({local_hour(s, zone) for s in secs}))
          for e, secs in signed.items()})
    want = Counter(local_hour(v, zone) for v in db.values())
    # the dashboard shows the last 48 local hours; the hour may turn between
    # here and its render, so compare the hours both sides know
    common = [k for k in want if k in hours]
    t.ok(st == 200 and len(hours) == 48 and common == list(want) and
         all(hours[k] == want[k] for k in common) and sum(v or 0 for v in hours.values()) == len(db),
         "%s: the dashboard's per-hour table counts them in their local hours" % label,
         {"want": dict(want), "got": {k: v for k, v in hours.items() if v}})
    fig = re.search(r'id="fig-last24">([^<]*)<', page)
    t.eq(fig.group(1) if fig else None, str(len(db)),
         "%s: the last 24 hours' figure counts them all" % label)


def bad_usage(t):
    """Bad values: exit 2 at once, the flag named, nothing created."""
    work = tempfile.mkdtemp(prefix="petitiond-precision-")
    db = os.path.join(work, "never.db")
    cases = [(["--time-precision", v], "--time-precision %r" % v, {})
             for v in ("day", "", "Hour", "3600", "seconds", "millisecond")]
    cases.append((["--time-precision"], "--time-precision without a value", {}))
    cases.append(([], "PETITIOND_TIME_PRECISION=day", {"PETITIOND_TIME_PRECISION": "day"}))
    try:
        for args, desc, env in cases:
            try:
                p = subprocess.run([H.server_bin(), "--db", db] + args,
                                   stdin=subprocess.DEVNULL, capture_output=True,
                                   timeout=CLI_TIMEOUT, env=H.clean_env(**env))
                rc, err = p.returncode, p.stderr.decode("utf-8", "replace")
            except subprocess.TimeoutExpired:
                rc, err = None, "still running after %d s (killed)" % CLI_TIMEOUT
            t.ok(rc == 2 and "--time-precision" in err and not os.path.exists(db),
                 "%s: exit 2, the flag named, no database created" % desc, (rc, err))
        p = subprocess.run([H.server_bin(), "--help"], stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=CLI_TIMEOUT, env=H.clean_env())
        out = p.stdout.decode("utf-8", "replace")
        t.ok(p.returncode == 0 and re.search(r"--time-precision\s+hour\|minute\|second", out),
             "--help names --time-precision hour|minute|second", out[-2000:])
    finally:
        for f in os.listdir(work):
            os.unlink(os.path.join(work, f))
        os.rmdir(work)


def set_zone(srv, zone):
    """The petition's time zone, as the settings page stores it (the
    server stopped)."""
    srv.execute("INSERT INTO settings (key, value) VALUES ('timezone', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (zone,))


def main(t):
    # -- the default: the hour, in the default zone (whole UTC hours) ------
    with H.Server() as srv:
        emails, secs = sign_some(t, srv, 3, "default")
        got = check_times(t, srv, emails, secs, "hour", DEFAULT_ZONE, "default")
        t.ok(all(v is not None and iso(v).endswith(":00:00Z") for v in got.values()),
             "default: Phnom Penh's hours start on the UTC hour (HH:00:00Z)",
             [iso(v) for v in got.values() if v is not None])
        check_hours(t, srv, {e: secs for e in emails}, DEFAULT_ZONE, "default")
        H.check_clean_exit(t, srv, "default: clean exit")

    # -- explicit precisions ------------------------------------------------
    for prec in ("minute", "second", "hour"):
        with H.Server(extra_args=["--time-precision", prec]) as srv:
            emails, secs = sign_some(t, srv, 3, prec)
            check_times(t, srv, emails, secs, prec, DEFAULT_ZONE, "--time-precision " + prec)
            if prec == "second":
                # the seconds are really kept: within the few seconds of signing
                db = db_times(srv)
                t.ok(all(secs[0] <= db.get(e, -1) <= secs[-1] for e in emails),
                     "--time-precision second: the stored times are the seconds of signing",
                     ([iso(db.get(e, 0)) for e in emails], iso(secs[0]), iso(secs[-1])))
            check_hours(t, srv, {e: secs for e in emails}, DEFAULT_ZONE, "--time-precision " + prec)

    # -- a quarter-hour zone: Kathmandu, UTC+05:45 --------------------------
    with H.Server() as srv:
        before, _ = sign_some(t, srv, 2, "pp")
        srv.stop()
        set_zone(srv, NPT)
        srv.start()
        emails, secs = sign_some(t, srv, 3, "npt")
        got = check_times(t, srv, emails, secs, "hour", NPT, "Kathmandu, hour")
        # Local hh:00 at +05:45 is (hh-6):15 UTC: a quarter past the UTC hour.
        t.ok(all(v is not None and time.gmtime(v).tm_min == 15 and time.gmtime(v).tm_sec == 0
                 for v in got.values()),
             "Kathmandu, hour: the stored times are a quarter past a UTC hour (HH:15:00Z)",
             [iso(v) for v in got.values() if v is not None])
        db = db_times(srv)
        t.ok(all(db.get(e, 1) % 3600 == 0 for e in before),
             "Kathmandu: the signatures made in Phnom Penh time keep their stored times",
             {e: db.get(e) for e in before})
        # (the earlier ones were rounded in Phnom Penh's hours: counted where
        # they are stored, but their Kathmandu hour may be the one before)
        check_hours(t, srv, {e: secs for e in emails}, NPT, "Kathmandu, hour")

        srv.stop()
        srv.extra_args = ["--time-precision", "minute"]
        srv.start()
        memails, msecs = sign_some(t, srv, 2, "nptmin")
        check_times(t, srv, memails, msecs, "minute", NPT, "Kathmandu, minute")
        H.check_clean_exit(t, srv, "Kathmandu: clean exit")

    bad_usage(t)


if __name__ == "__main__":
    H.run(main, limit=100)
