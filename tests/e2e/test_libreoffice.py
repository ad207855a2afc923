#!/usr/bin/env python3
"""test_libreoffice.py -- the CSV export opens in LibreOffice Calc intact.

Signs rows full of what breaks spreadsheets (Khmer and accented names,
commas, quotes, newlines, formula payloads), exports the CSV, converts it with
`soffice --headless --convert-to ods` (reading it as UTF-8 CSV, as the Text
Import dialog does when UTF-8 is chosen), converts the sheet back to CSV and
compares every cell with what was submitted. Skipped when LibreOffice is not
installed (Debian: libreoffice-calc-nogui).

Note: LibreOffice 7.4 in headless mode ignores a byte order mark and reads
CSV as Windows-1252 unless told the character set, hence --infilter.
"""
import csv
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

ROWS = [
    {"name": "សុខ ដារ៉ា", "email": "dara@example.org", "country": "KH",
     "comment": "ខ្ញុំគាំទ្រញត្តិនេះ។", "public": "1", "updates": "", "public_name": "ដារ៉ា"},
    {"name": "Zoë Ñúñez, \"Jr\"", "email": "Zoe.Nunez@Example.org", "country": "ES",
     "comment": "line one\nline two, with a comma and \"quotes\"", "public": "", "updates": "1"},
    {"name": "=HYPERLINK(\"http://evil.example\",\"x\")", "email": "f@example.org",
     "country": "FR", "comment": "+1 -1 @SUM(A1)", "public": "", "updates": ""},
    {"name": "Nguyễn Thị Minh Khai", "email": "minh@example.org", "country": "VN",
     "comment": "", "public": "1", "updates": "1", "public_name": "=Minh, \"K\""},
]


def soffice():
    for name in ("soffice", "libreoffice"):
        p = shutil.which(name)
        if p:
            return p
    return None


def main(t):
    exe = soffice()
    if exe is None:
        print("1..0 # SKIP LibreOffice (soffice) is not installed")
        sys.exit(0)
    work = tempfile.mkdtemp(prefix="petitiond-lo-")
    try:
        with H.Server() as srv:
            for r in ROWS:
                st, _, _ = srv.sign(r)
                t.eq(st, 303, "signed %r" % r["email"])
            st, h, b = srv.request("GET", "/admin/export.csv", headers=srv.auth_header())
            t.eq(st, 200, "export 200")
        src = os.path.join(work, "signatures.csv")
        with open(src, "wb") as f:
            f.write(b)
        profile = "file://" + os.path.join(work, "profile")
        env = dict(os.environ, HOME=work)
        common = [exe, "-env:UserInstallation=" + profile, "--headless", "--norestore"]
        p = subprocess.run(common + ["--infilter=CSV:44,34,76,1", "--convert-to", "ods",
                                     "--outdir", work, src],
                           capture_output=True, timeout=120, env=env)
        ods = os.path.join(work, "signatures.ods")
        t.ok(p.returncode == 0 and os.path.exists(ods), "soffice converts the CSV to ODS",
             p.stderr.decode(errors="replace"))
        back = os.path.join(work, "back")
        p = subprocess.run(common + ["--convert-to",
                                     "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false",
                                     "--outdir", back, ods],
                           capture_output=True, timeout=120, env=env)
        out = os.path.join(back, "signatures.csv")
        t.ok(p.returncode == 0 and os.path.exists(out), "soffice converts the ODS back to CSV",
             p.stderr.decode(errors="replace"))
        with open(out, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        t.eq(rows[0], ["id", "signed_at", "name", "email", "country", "comment", "public",
                       "updates", "public_name", "source", "confirmed"], "the sheet's header row")
        got = {r[3]: r for r in rows[1:]}
        for r in ROWS:
            g = got.get(r["email"])
            t.ok(g is not None, "row for %s present in the sheet" % r["email"], rows)
            if g is None:
                continue
            name = r["name"]
            if name and name[0] in "=+-@":
                name = "'" + name
            comment = r["comment"]
            if comment and comment[0] in "=+-@":
                comment = "'" + comment
            t.eq(g[2], name, "name cell intact for %s" % r["email"])
            t.eq(g[4], r["country"], "country cell for %s" % r["email"])
            t.eq(g[5], comment, "comment cell intact for %s" % r["email"])
            t.eq(g[6], "1" if r["public"] else "0", "public cell for %s" % r["email"])
            t.eq(g[7], "1" if r["updates"] else "0", "updates cell for %s" % r["email"])
            pname = r.get("public_name", "") if r["public"] else ""
            if pname and pname[0] in "=+-@":
                pname = "'" + pname
            t.eq(g[8] if len(g) > 8 else None, pname, "public_name cell intact for %s" % r["email"])
            t.eq(g[9:11], ["online", "1"], "source and confirmed cells for %s" % r["email"])
        formula = got.get("f@example.org")
        t.ok(formula is not None and not formula[2].startswith("="),
             "the formula payload is text in the sheet, not a formula", formula)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    H.run(main, limit=200)
