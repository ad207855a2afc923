"""harness.py -- shared helpers for the petitiond end-to-end tests.

Python 3 standard library only. Every network call goes to 127.0.0.1 and has
a timeout; every process wait has a timeout; only processes started here are
ever signalled (by PID, through subprocess.Popen).

Contents:
  Server      context manager: free loopback port, temp dir with sig.db,
              starts the binary ($PETITIOND_BIN, else build/petitiond of this
              checkout), waits for GET /healthz, stops it with SIGTERM
              (SIGKILL after 10 s); restartable on the same database.
  TAP         a tiny TAP producer: ok(cond, desc, diag=None), skip(desc, reason),
              done() -> exit code.
  helpers     HTML text extraction, form parsing, CSV parsing, urlencoding of
              raw bytes, thousands formatting, standalone numbers in text,
              JSON bodies, the environment without PETITIOND_* settings,
              sanitizer reports.
"""

import csv
import gzip
import http.client
import io
import json as jsonlib
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
from html import unescape
from html.parser import HTMLParser

import pgtest

HOST = "127.0.0.1"
ADMIN_TOKEN = "e2e-admin-token-0123456789abcdefghijklmnopqrstuvwxyz"  # 53 chars
REQUEST_TIMEOUT = 10.0  # seconds, every HTTP request
START_TIMEOUT = 10.0  # seconds until GET /healthz answers 200
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL

FIELDS = ("name", "email", "country", "comment", "public", "updates")
FORM_CT = "application/x-www-form-urlencoded"

# The checkout this file belongs to (tests/e2e/harness.py -> the repository),
# and the binary `meson setup build && meson compile -C build` makes there.
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BIN = os.path.join(REPO, "build", "petitiond")


def server_bin():
    """$PETITIOND_BIN, else build/petitiond of this checkout."""
    return os.environ.get("PETITIOND_BIN", DEFAULT_BIN)


def engine():
    """The storage engine the servers of this run use: "pg" when
    PETITIOND_TEST_ENGINE=pg (meson's e2e-pg-* tests, with a PostgreSQL
    server in PETITIOND_TEST_PG), else "sqlite"."""
    return "pg" if os.environ.get("PETITIOND_TEST_ENGINE") == "pg" else "sqlite"


def db_is_url(db):
    """The --db value names a PostgreSQL database."""
    return db.startswith("postgres://") or db.startswith("postgresql://")


def pg_skip(tap):
    """In a PostgreSQL run without a server: records a skip saying why and
    returns True (the script then ends). Otherwise False."""
    if engine() != "pg":
        return False
    why = pgtest.skip_reason()
    if why is None:
        return False
    tap.skip("the e2e suite against PostgreSQL", why)
    return True


def sanitizer_build():
    """The sanitizer the server binary was built with ("address", "thread"),
    or None. Timing and memory figures mean nothing under a sanitizer (it
    slows every access and adds shadow memory), so tests that measure them
    skip those checks there; every functional check still runs."""
    try:
        with open(server_bin(), "rb") as f:
            data = f.read()
    except OSError:
        return None
    if b"__tsan_init" in data:
        return "thread"
    if b"__asan_init" in data:
        return "address"
    return None


def clean_env(**extra):
    """The environment without any PETITIOND_* setting (so a server or a
    subcommand gets only what the test gives it), plus extra -- except
    PETITIOND_ALLOW_ROOT=1: the tests run as root in CI, and petitiond
    refuses to serve as root without --user unless it is set (test_ops.py
    checks that refusal with PETITIOND_ALLOW_ROOT="")."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PETITIOND_")}
    env["PETITIOND_ALLOW_ROOT"] = "1"
    env.update(extra)
    return env


# --------------------------------------------------------------------------
# TAP


class TAP:
    """Collects results and prints them as TAP (plan first) in done().

    Output is buffered so that the plan line can come first; a watchdog
    (see watchdog()) makes sure done() still runs if something hangs."""

    def __init__(self):
        self.results = []  # (ok, desc, [diag lines])
        self.notes = []

    def ok(self, cond, desc, diag=None):
        cond = bool(cond)
        lines = []
        if not cond and diag is not None:
            lines = _diag_lines(diag)
        self.results.append((cond, desc, lines))
        return cond

    def note(self, text):
        """A diagnostic line attached after the latest result."""
        lines = _diag_lines(text)
        if self.results:
            self.results[-1][2].extend(lines)
        else:
            self.notes.extend(lines)

    def eq(self, got, want, desc):
        return self.ok(got == want, desc, "expected: %r\ngot:      %r" % (want, got))

    def skip(self, desc, reason):
        """A passing result carrying a TAP '# SKIP reason' directive."""
        clean = desc.replace("\n", " ").replace("#", "\\#")
        self.results.append((True, _SkipDesc("%s # SKIP %s" % (clean, reason)), []))

    def failed(self):
        return sum(1 for r in self.results if not r[0])

    def done(self):
        out = sys.stdout
        n = len(self.results)
        out.write("1..%d\n" % n)
        for line in self.notes:
            out.write("# %s\n" % line)
        for i, (cond, desc, lines) in enumerate(self.results, 1):
            desc = desc.replace("\n", " ").replace("#", "\\#")
            out.write("%s %d - %s\n" % ("ok" if cond else "not ok", i, desc))
            for line in lines:
                out.write("# %s\n" % line)
        nf = self.failed()
        out.write("# %d passed, %d failed\n" % (n - nf, nf))
        out.flush()
        return 1 if nf or n == 0 else 0


class _SkipDesc(str):
    """A description that already carries a TAP '# SKIP' directive: TAP.done()
    escapes '#' in descriptions, so this one leaves itself as it is."""

    def replace(self, *a, **k):  # noqa: D401
        return self


def _diag_lines(diag):
    text = diag if isinstance(diag, str) else repr(diag)
    lines = text.splitlines() or [""]
    # keep diagnostics readable
    out = []
    for line in lines[:60]:
        out.append(line if len(line) <= 400 else line[:400] + "...")
    if len(lines) > 60:
        out.append("... (%d more lines)" % (len(lines) - 60))
    return out


class Watchdog(Exception):
    pass


def watchdog(seconds):
    """Raises Watchdog in the main thread after `seconds`."""

    def _fire(signum, frame):
        raise Watchdog("watchdog: test script exceeded %d s" % seconds)

    signal.signal(signal.SIGALRM, _fire)
    signal.alarm(int(seconds))


def run(main, limit=50):
    """Runs main(tap) with a watchdog; any exception becomes a failed
    assertion. Exits with TAP's exit code."""
    tap = TAP()
    watchdog(limit)
    try:
        if not pg_skip(tap):
            main(tap)
    except BaseException as e:  # noqa: B902 -- report everything, then exit
        if isinstance(e, SystemExit):
            raise
        tap.ok(False, "test script ran to completion", traceback.format_exc())
    finally:
        signal.alarm(0)
    sys.exit(tap.done())


# --------------------------------------------------------------------------
# Server


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((HOST, 0))
        return s.getsockname()[1]
    finally:
        s.close()


class ServerError(Exception):
    pass


class Server:
    """Runs petitiond on a free loopback port with a database in a temp dir.

    with Server() as srv:
        status, headers, body = srv.request("GET", "/")
        srv.restart()            # same port? no: a fresh free port, same db
    """

    def __init__(self, extra_args=(), token=ADMIN_TOKEN, goal=1000, workdir=None,
                 overrides=None, via_env=False, pg=None):
        """extra_args: appended to the command line. token=None: no
        --admin-token (the server generates one). overrides: {flag: value}
        replacing the default flags ("rate-limit": "3"). via_env: give the
        settings as PETITIOND_<NAME> environment variables, not flags."""
        self.bin = server_bin()
        self.extra_args = list(extra_args)
        self.token = token
        self.goal = goal
        self.overrides = dict(overrides or {})
        self.via_env = via_env
        self._own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="petitiond-e2e-")
        self.db = os.path.join(self.dir, "sig.db")
        # PETITIOND_TEST_ENGINE=pg (meson's e2e-pg-* tests): a fresh database
        # on the PostgreSQL server of PETITIOND_TEST_PG instead of the file,
        # dropped at cleanup (pg=False keeps the file: a test of SQLite's
        # own features).
        self.engine = engine()
        self._pg_db = None
        if self.overrides.get("db"):
            self.db = self.overrides["db"]  # a database the test made itself
        if self.engine == "pg" and pg is not False and not self.overrides.get("db"):
            # A second Server on the same workdir is the same database.
            mark = os.path.join(self.dir, "pg-url")
            if os.path.exists(mark):
                with open(mark) as f:
                    self.db = f.read().strip()
            else:
                self._pg_db = self.db = pgtest.create_db("e2e")
                with open(mark, "w") as f:
                    f.write(self.db)
        self.proc = None
        self.port = None
        self.starts = 0
        self.exit_codes = []  # return codes of every stop, in order
        self.logs = []  # (stdout path, stderr path) per start

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(self, *exc):
        try:
            if self.proc is not None:
                self.stop()
        finally:
            self.cleanup()
        return False

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self._kill_hard()
        if self._pg_db is not None and not os.environ.get("PETITIOND_KEEP"):
            try:
                pgtest.drop_db(self._pg_db)
            except pgtest.PgError:
                pass
            self._pg_db = None
        if self._own_dir and not os.environ.get("PETITIOND_KEEP"):
            for root, dirs, files in os.walk(self.dir, topdown=False):
                for f in files:
                    try:
                        os.unlink(os.path.join(root, f))
                    except OSError:
                        pass
                for d in dirs:
                    try:
                        os.rmdir(os.path.join(root, d))
                    except OSError:
                        pass
            try:
                os.rmdir(self.dir)
            except OSError:
                pass

    def settings(self, port):
        opts = [("bind", HOST), ("port", str(port)), ("db", self.db),
                ("admin-token", self.token), ("goal", str(self.goal)),
                ("rate-limit", "0"), ("min-fill-time", "0")]
        opts = [(k, self.overrides.get(k, v)) for k, v in opts]
        return [(k, v) for k, v in opts if v is not None]

    def argv(self, port):
        if self.via_env:
            return [self.bin] + self.extra_args
        out = [self.bin]
        for k, v in self.settings(port):
            out += ["--" + k, v]
        return out + self.extra_args

    def start(self):
        if not os.path.isfile(self.bin) or not os.access(self.bin, os.X_OK):
            raise ServerError("petitiond binary not found or not executable: %s "
                              "(set PETITIOND_BIN)" % self.bin)
        last = None
        for attempt in range(3):  # a port taken between probe and bind: retry
            port = free_port()
            self.starts += 1
            out = os.path.join(self.dir, "stdout.%d.log" % self.starts)
            err = os.path.join(self.dir, "stderr.%d.log" % self.starts)
            self.logs.append((out, err))
            env = clean_env()
            if self.via_env:
                for k, v in self.settings(port):
                    env["PETITIOND_" + k.upper().replace("-", "_")] = v
            with open(out, "wb") as fo, open(err, "wb") as fe:
                self.proc = subprocess.Popen(self.argv(port), stdin=subprocess.DEVNULL,
                                             stdout=fo, stderr=fe, cwd=self.dir, env=env)
            self.port = port
            try:
                self._wait_ready()
                return self
            except ServerError as e:
                last = e
                if self.proc.poll() is None:
                    self._kill_hard()
                    raise
                # exited: maybe the port was taken; retry on another one
                if "address already in use" not in self.stderr().lower():
                    raise
        raise last

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        last = "no answer"
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                raise ServerError("petitiond exited with status %s during start-up\n"
                                  "stderr: %s" % (rc, self.stderr()[-2000:]))
            try:
                st, _, _ = self.request("GET", "/healthz", timeout=1.0)
                if st == 200:
                    return
                last = "status %d" % st
            except (OSError, http.client.HTTPException) as e:
                last = repr(e)
            time.sleep(0.05)
        raise ServerError("GET /healthz did not answer 200 within %.0f s (last: %s)\n"
                          "stderr: %s" % (START_TIMEOUT, last, self.stderr()[-2000:]))

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Sends sig to the server and waits; SIGKILL after timeout.
        Returns the exit status (negative: killed by that signal), or None
        if it had to be killed after the timeout."""
        p = self.proc
        if p is None:
            return None
        rc = p.poll()
        if rc is None:
            p.send_signal(sig)
            try:
                rc = p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill_hard()
                rc = None
        self.exit_codes.append(rc)
        self.proc = None
        return rc

    def send_signal(self, sig):
        """Sends sig without waiting (for mid-burst signals)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout=STOP_TIMEOUT):
        """Waits for the server to exit after signal(); SIGKILL after timeout."""
        p = self.proc
        if p is None:
            return None
        try:
            rc = p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._kill_hard()
            rc = None
        self.exit_codes.append(rc)
        self.proc = None
        return rc

    def kill(self):
        """SIGKILL and reap."""
        return self.stop(sig=signal.SIGKILL)

    def _kill_hard(self):
        p = self.proc
        if p is None:
            return
        try:
            p.kill()
        except OSError:
            pass
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def restart(self, sig=signal.SIGTERM):
        """Stops (if running) and starts again on the same database.
        Returns the exit status of the stop."""
        rc = None
        if self.proc is not None:
            rc = self.stop(sig)
        self.start()
        return rc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stdout(self, which=-1):
        if not self.logs:
            return ""
        try:
            with open(self.logs[which][0], "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stderr(self, which=-1):
        if not self.logs:
            return ""
        try:
            with open(self.logs[which][1], "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def query(self, sql, args=()):
        """The rows of one SQL statement (sqlite3-style ? parameters) on this
        server's database, whichever the engine: a read-only sqlite3
        connection to the file, or psql on the PostgreSQL database. Values
        as sqlite3 gives them (None, int, str)."""
        if db_is_url(self.db):
            return pgtest.rows(self.db, sql, args)
        import sqlite3
        con = sqlite3.connect("file:%s?mode=ro" % self.db, uri=True, timeout=10)
        try:
            return [tuple(r) for r in con.execute(sql, tuple(args)).fetchall()]
        finally:
            con.close()

    def execute(self, sql, args=()):
        """Runs one writing statement on the database (either engine),
        committed when it returns."""
        if db_is_url(self.db):
            pgtest.rows(self.db, sql, args)
            return
        import sqlite3
        con = sqlite3.connect(self.db, timeout=10, isolation_level=None)
        try:
            con.execute(sql, tuple(args))
        finally:
            con.close()

    def stored_bytes(self):
        """Everything the database holds, as bytes to search for a secret.
        SQLite: the file and its -wal / -journal. PostgreSQL: every row of
        every table of the schema in its text form (which holds each of its
        columns), and the decoded bytes of every BYTEA value in it (printed
        as hex there)."""
        if not db_is_url(self.db):
            stored = b""
            for suffix in ("", "-wal", "-journal"):
                try:
                    with open(self.db + suffix, "rb") as f:
                        stored += f.read()
                except OSError:
                    pass
            return stored
        tables = [r[0] for r in self.query("SELECT table_name FROM information_schema.tables"
                                            " WHERE table_schema = 'public' AND"
                                            " table_type = 'BASE TABLE' ORDER BY 1")]
        out = []
        for name in tables:
            ident = '"' + name.replace('"', '""') + '"'
            for (row,) in self.query("SELECT x::text FROM %s x" % ident):
                out.append(str(row))
                # BYTEA prints as \x<hex>: its bytes too, so a token kept
                # in a binary column is found as well
                for m in re.finditer(r"\\x((?:[0-9a-f]{2})+)", str(row)):
                    out.append(bytes.fromhex(m.group(1)).decode("latin-1"))
        return "\n".join(out).encode("utf-8", "replace")

    def all_stderr(self):
        return "".join(self.stderr(i) for i in range(len(self.logs)))

    # -- HTTP --------------------------------------------------------------

    def request(self, method, path, body=None, headers=None, timeout=REQUEST_TIMEOUT):
        """One request on a fresh connection. Returns (status, headers, body):
        header names lower-cased (repeated headers joined with ", "), body bytes."""
        return request(self.port, method, path, body, headers, timeout)

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def page(self, path="/"):
        st, h, b = self.get(path)
        return b.decode("utf-8", "replace")

    def stats(self):
        st, h, b = self.get("/api/stats")
        if st != 200:
            raise ServerError("GET /api/stats: status %d" % st)
        return jsonlib.loads(b.decode("utf-8"))

    def count(self):
        return self.stats()["count"]

    def hidden_fields(self, lang=None):
        path = "/" if lang is None else "/?lang=" + lang
        st, h, b = self.get(path)
        if st != 200:
            raise ServerError("GET %s for hidden fields: status %d" % (path, st))
        return form_hidden(b.decode("utf-8", "replace"))

    def sign(self, fields, json=False, hidden=True, lang=None, headers=None,
             content_type=FORM_CT):
        """POSTs a signature to /sign as application/x-www-form-urlencoded.

        fields: dict or list of (key, value) pairs (values str or bytes), or a
        raw, already-encoded str/bytes body. hidden=True first GETs the page
        and submits every hidden field of its form (a dict may be passed
        instead to reuse fields); the given fields come after them and win.
        json=True sends Accept: application/json."""
        if hidden is True:
            hidden = self.hidden_fields(lang)
        elif not hidden:
            hidden = {}
        if isinstance(fields, (str, bytes)):
            raw = fields.encode("utf-8") if isinstance(fields, str) else fields
            keys = set()
        else:
            pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
            raw = urlencode(pairs)
            keys = {k for k, _ in pairs}
        hid = urlencode([(k, v) for k, v in hidden.items() if k not in keys])
        body = hid + b"&" + raw if hid and raw else hid + raw
        h = {"Content-Type": content_type,
             "Accept": "application/json" if json else "text/html,application/xhtml+xml"}
        if headers:
            h.update(headers)
        return self.request("POST", "/sign", body, h)

    def auth_header(self):
        return {"Authorization": "Bearer " + self.token}

    def export_csv(self):
        """GET /admin/export.csv with the token. Returns (status, headers,
        text, rows) where rows is a list of lists (header first) or None."""
        st, h, b = self.request("GET", "/admin/export.csv", headers=self.auth_header())
        text = b.decode("utf-8-sig", "replace")
        rows = parse_csv(text) if st == 200 else None
        return st, h, text, rows

    def csv_dicts(self):
        st, h, text, rows = self.export_csv()
        if st != 200 or not rows:
            raise ServerError("GET /admin/export.csv: status %d" % st)
        head = rows[0]
        return [dict(zip(head, r)) for r in rows[1:]]


def request(port, method, path, body=None, headers=None, timeout=REQUEST_TIMEOUT):
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn.request(method, path, body=body, headers=dict(headers or {}))
        r = conn.getresponse()
        data = r.read()
        hd = {}
        for k, v in r.getheaders():
            k = k.lower()
            hd[k] = hd[k] + ", " + v if k in hd else v
        return r.status, hd, data
    finally:
        conn.close()


def raw_exchange(port, chunks, timeout=5.0, pause_before=None):
    """Sends raw bytes over a fresh connection and reads until the server
    closes or timeout. chunks: list of bytes sent in order; pause_before: an
    index i -- before sending chunks[i], wait up to 2 s for the server to
    answer (so a response queued early can be seen). Returns the bytes read.
    Send errors (reset, broken pipe) are ignored."""
    s = socket.create_connection((HOST, port), timeout=timeout)
    data = b""
    try:
        for i, c in enumerate(chunks):
            if pause_before is not None and i == pause_before:
                s.settimeout(2.0)
                try:
                    got = s.recv(65536)
                    data += got
                    if got:
                        break
                except socket.timeout:
                    pass
                except OSError:
                    break
                s.settimeout(timeout)
            try:
                s.sendall(c)
            except OSError:
                break
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                got = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                break
            if not got:
                break
            data += got
            if _complete_response(data):
                break
    finally:
        s.close()
    return data


def _complete_response(data):
    """True when data holds a full response with Content-Length (or none)."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return False
    head = data[:end].decode("latin-1").lower()
    m = re.search(r"\r\ncontent-length:\s*(\d+)", head)
    if m:
        return len(data) - end - 4 >= int(m.group(1))
    return False


def parse_raw_response(data):
    """(status, headers dict, body bytes) of a raw HTTP/1.1 response; status
    None when there is no status line."""
    end = data.find(b"\r\n\r\n")
    head = data if end < 0 else data[:end]
    body = b"" if end < 0 else data[end + 4:]
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0] if lines else "")
    if not m:
        return None, {}, body
    hd = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            hd[k.strip().lower()] = v.strip()
    return int(m.group(1)), hd, body


# --------------------------------------------------------------------------
# Encoding


def urlencode(pairs):
    """application/x-www-form-urlencoded bytes of (key, value) pairs; values
    may be bytes (sent as they are, percent-encoded) or str (UTF-8)."""
    out = []
    for k, v in pairs:
        kb = k.encode("utf-8") if isinstance(k, str) else k
        vb = v.encode("utf-8") if isinstance(v, str) else v
        out.append(urllib.parse.quote_plus(kb, safe="") + "=" + urllib.parse.quote_plus(vb, safe=""))
    return "&".join(out).encode("ascii")


def thousands(n):
    return "{:,}".format(n)


def standalone(text, number):
    """True when `number` (already formatted) is in text, not as part of a
    larger number."""
    return re.search(r"(?<![\d.,])" + re.escape(number) + r"(?![\d]|[.,]\d)", text) is not None


def json_body(b):
    """The JSON value of a response body, or None when it is not JSON."""
    try:
        return jsonlib.loads(b.decode("utf-8"))
    except ValueError:  # includes UnicodeDecodeError
        return None


# --------------------------------------------------------------------------
# HTML


BLOCK_TAGS = frozenset("""address article aside blockquote body br dd details dialog div dl dt
fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hr html input label legend li
main nav ol option p pre section select summary table tbody td textarea tfoot th thead title tr ul
button meter progress""".split())


class _Doc(HTMLParser):
    """Parses a page: text (without script/style), every tag with its source
    offset, and the controls of each form."""

    def __init__(self, src):
        super().__init__(convert_charrefs=True)
        self.src = src
        self.linestarts = [0]
        for i, c in enumerate(src):
            if c == "\n":
                self.linestarts.append(i + 1)
        self.text = []
        self.tags = []  # dicts: tag, attrs, start, end
        self.forms = []  # dicts: attrs, start, end, controls
        self._skip = 0
        self._form = None
        self._open = None  # textarea or select being read
        self._option = None

    def _offset(self):
        line, col = self.getpos()
        return self.linestarts[line - 1] + col

    def handle_starttag(self, tag, attrs):
        self._tag(tag, attrs, False)

    def handle_startendtag(self, tag, attrs):
        self._tag(tag, attrs, True)

    def _tag(self, tag, attrs, selfclosing):
        start = self._offset()
        raw = self.get_starttag_text() or ""
        a = {}
        for k, v in attrs:
            a.setdefault(k, "" if v is None else v)
        t = {"tag": tag, "attrs": a, "start": start, "end": start + len(raw)}
        self.tags.append(t)
        if tag in BLOCK_TAGS:
            self.text.append("\n")
        if tag in ("script", "style") and not selfclosing:
            self._skip += 1
        if tag == "form":
            self._form = {"attrs": a, "start": start, "end": len(self.src), "controls": []}
            self.forms.append(self._form)
        elif tag in ("input", "textarea", "select", "button") and self._form is not None:
            c = {"tag": tag, "name": a.get("name"), "type": a.get("type", "text").lower(),
                 "value": a.get("value"), "attrs": a, "start": start, "end": start + len(raw),
                 "checked": "checked" in a, "text": "", "options": []}
            self._form["controls"].append(c)
            if tag in ("textarea", "select") and not selfclosing:
                self._open = c
        elif tag == "option" and self._open is not None and self._open["tag"] == "select":
            o = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
            self._open["options"].append(o)
            self._option = o

    def handle_endtag(self, tag):
        start = self._offset()
        if tag in BLOCK_TAGS:
            self.text.append("\n")
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag == "option":
            self._option = None
        if self._open is not None and tag == self._open["tag"]:
            close = self.src.find(">", start)
            self._open["end"] = (close + 1) if close >= 0 else start
            self._open = None
            self._option = None
        if tag == "form" and self._form is not None:
            self._form["end"] = start
            self._form = None

    def handle_data(self, data):
        if self._open is not None and self._open["tag"] == "textarea":
            self._open["text"] += data
        if self._option is not None:
            self._option["text"] += data
        if not self._skip:
            self.text.append(data)


def parse_doc(html):
    d = _Doc(html)
    d.feed(html)
    d.close()
    return d


def collapse(s):
    return re.sub(r"\s+", " ", s).strip()


def html_text(html):
    """Visible text of an HTML page or fragment: tags removed, entities
    unescaped, script/style dropped, whitespace collapsed."""
    d = parse_doc(html)
    return collapse(unescape("".join(d.text)))


def sign_form(html):
    """The <form> posting to /sign (dict from _Doc), or None."""
    d = parse_doc(html)
    for f in d.forms:
        if f["attrs"].get("action") == "/sign":
            return f
    return None


def form_hidden(html):
    """Every hidden field of the signing form (and any other input that is not
    one of the six visible fields, e.g. a honeypot), with its value."""
    f = sign_form(html)
    out = {}
    if f is None:
        return out
    for c in f["controls"]:
        if c["tag"] != "input" or not c["name"] or c["name"] in FIELDS:
            continue
        if c["type"] in ("submit", "button", "image", "reset", "file"):
            continue
        if c["type"] in ("checkbox", "radio") and not c["checked"]:
            continue
        out.setdefault(c["name"], c["value"] or "")
    return out


def form_values(html):
    """Kept values of the six fields in the signing form:
    name/email (value attribute), country (selected option value),
    comment (textarea text), public/updates (checked -> "1" else "")."""
    f = sign_form(html)
    vals = {}
    if f is None:
        return vals
    for c in f["controls"]:
        n = c["name"]
        if n not in FIELDS or n in vals:
            continue
        if c["tag"] == "textarea":
            t = c["text"]
            if t.startswith("\r\n"):
                t = t[2:]
            elif t.startswith("\n"):
                t = t[1:]
            vals[n] = t
        elif c["tag"] == "select":
            sel = [o for o in c["options"] if o["selected"]]
            vals[n] = (sel[0]["value"] if sel[0]["value"] is not None else sel[0]["text"]) if sel else ""
        elif c["type"] in ("checkbox", "radio"):
            vals[n] = "1" if c["checked"] else ""
        else:
            vals[n] = c["value"] or ""
    return vals


def field_region(html, field):
    """Text of the part of the signing form that belongs to `field`: from the
    end of the previous field's control to the start of the next field's
    control (at the edges: the form's end, and for the first field its
    <label for=...> -- so a form-level error summary above the first field
    is nobody's region -- or the form's start). None if the field is absent."""
    d = parse_doc(html)
    f = None
    for fm in d.forms:
        if fm["attrs"].get("action") == "/sign":
            f = fm
            break
    if f is None:
        return None
    ctl = {}
    for c in f["controls"]:
        if c["name"] in FIELDS and c["name"] not in ctl:
            ctl[c["name"]] = c
    if field not in ctl:
        return None
    order = sorted(ctl.values(), key=lambda c: c["start"])
    i = order.index(ctl[field])
    if i > 0:
        lo = order[i - 1]["end"]
    else:
        lo = f["start"]
        cid = ctl[field]["attrs"].get("id")
        for tg in d.tags:
            if (tg["tag"] == "label" and cid and tg["attrs"].get("for") == cid
                    and f["start"] < tg["start"] < ctl[field]["start"]):
                lo = tg["start"]
                break
    hi = order[i + 1]["start"] if i + 1 < len(order) else f["end"]
    return html_text(html[lo:hi])


# --------------------------------------------------------------------------
# CSV


def parse_csv(text):
    return list(csv.reader(io.StringIO(text, newline=""), strict=True))


def csv_record_ends(text):
    """Line ends outside quoted cells, as a list of the terminator strings
    ("\\r\\n", "\\n" or "\\r")."""
    ends = []
    q = False
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            q = not q
        elif not q and c in "\r\n":
            if c == "\r" and i + 1 < n and text[i + 1] == "\n":
                ends.append("\r\n")
                i += 1
            else:
                ends.append(c)
        i += 1
    return ends


def guard(cell):
    """The CSV formula-injection guard of DESIGN.md."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and cell else cell


def gunzip(b):
    return gzip.decompress(b)


SANITIZER_MARKERS = ("AddressSanitizer", "LeakSanitizer", "runtime error:",
                     "UndefinedBehaviorSanitizer", "ThreadSanitizer")


def sanitizer_report(text):
    """The first sanitizer marker found in text, or None."""
    for marker in SANITIZER_MARKERS:
        if marker in text:
            return marker
    return None


def check_clean_exit(tap, srv, desc="server exits with status 0 on SIGTERM, no sanitizer reports"):
    """Stops srv (if running) and asserts every stop so far returned 0 and
    stderr holds no sanitizer report."""
    if srv.proc is not None:
        srv.stop()
    bad = [rc for rc in srv.exit_codes if rc != 0]
    rep = sanitizer_report(srv.all_stderr())
    return tap.ok(not bad and rep is None, desc,
                  "exit statuses: %r; sanitizer: %r\nstderr tail: %s"
                  % (srv.exit_codes, rep, srv.all_stderr()[-1500:]))
