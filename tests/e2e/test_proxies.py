#!/usr/bin/env python3
"""test_proxies.py -- deploy/nginx.conf and deploy/Caddyfile, run for real in front of
petitiond over HTTPS on loopback.

The shipped files themselves are run: only the host name, the ports, the certificate paths
and the upstream port are substituted (each substitution must match exactly where expected,
so a changed file cannot silently test something else). Each proxy gets its own directory,
its own loopback ports and a self-signed certificate for petition.test; nothing is installed
and no system service is touched. A proxy that is not installed is skipped (the whole script
prints "1..0 # SKIP" when neither is).

Checked through each proxy: the page, signing, one rate-limit bucket per client address
(clients bound to different 127.x addresses; a forged X-Forwarded-For changes nothing),
Strict-Transport-Security exactly once, the admin export with the Bearer token, the HTTP
port (redirect; nginx: the certbot webroot), client errors (404, oversize body, garbage
request, plain HTTP to the HTTPS port, failed TLS handshakes), an upstream failure (502),
and the exact forwarded headers (a recorder takes petitiond's port). Then every file either
proxy wrote, and its stdout and stderr, must hold none of the client addresses, the
User-Agent, the probe path or the signers' emails.
"""

import http.client
import http.server
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

DEPLOY = os.path.join(H.REPO, "deploy")
NAME = "petition.test"
UA = "ProxyProbe/7.3 (uniq-ua-5d1c7e)"
PROBE = "/no-such-page-9b2f41"
RATE = 2  # signatures per minute per client
TIMEOUT = 10.0
CLIENTS = {"nginx": ("127.0.0.2", "127.0.0.3"), "caddy": ("127.0.0.4", "127.0.0.5")}


# --------------------------------------------------------------------------
# TAP with skips


class TAP(H.TAP):
    """harness.TAP plus skip(): a TAP line with a SKIP directive."""

    def skip(self, desc, reason):
        self.results.append((True, desc, []))
        self.results[-1][2].append("\0SKIP " + reason)

    def done(self):
        n = len(self.results)
        out = sys.stdout
        out.write("1..%d\n" % n)
        for line in self.notes:
            out.write("# %s\n" % line)
        skipped = 0
        for i, (cond, desc, lines) in enumerate(self.results, 1):
            desc = desc.replace("\n", " ").replace("#", "\\#")
            skip = [ln[6:] for ln in lines if ln.startswith("\0SKIP ")]
            if skip:
                skipped += 1
                out.write("ok %d - %s # SKIP %s\n" % (i, desc, skip[0]))
                continue
            out.write("%s %d - %s\n" % ("ok" if cond else "not ok", i, desc))
            for line in lines:
                out.write("# %s\n" % line)
        nf = self.failed()
        out.write("# %d passed, %d failed, %d skipped\n" % (n - nf - skipped, nf, skipped))
        out.flush()
        return 1 if nf or n == skipped else 0


# --------------------------------------------------------------------------
# Helpers


def substitute(text, pairs, what):
    """Replaces each (old, new, count) in text; raises if old occurs another number of
    times, so the test never runs a file it did not mean to."""
    for old, new, count in pairs:
        got = text.count(old)
        if got != count:
            raise AssertionError("%s: expected %r %d time(s), found %d" % (what, old, count, got))
        text = text.replace(old, new)
    return text


def have_ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        try:
            s.bind(("::1", 0))
            return True
        finally:
            s.close()
    except OSError:
        return False


def free_port():
    """A TCP port free on every address (IPv6 and IPv4), as far as binding tells."""
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        addr = ("::", 0)
    except OSError:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        addr = ("", 0)
    try:
        s.bind(addr)
        return s.getsockname()[1]
    finally:
        s.close()


def make_cert(d):
    """Self-signed certificate for NAME (openssl CLI). Returns (cert, key)."""
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=" + NAME,
                    "-addext", "subjectAltName=DNS:" + NAME],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   check=True, timeout=60)
    return cert, key


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name lower-cased, value)
        self.body = body

    def get(self, name, default=None):
        vals = [v for k, v in self.headers if k == name]
        return ", ".join(vals) if vals else default

    def count(self, name):
        return sum(1 for k, _ in self.headers if k == name)

    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "<%s %r %r>" % (self.status, self.headers[:12], self.body[:200])


def tls_context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    return ctx


def https(proxy, method, path, src, body=None, headers=None):
    """One request over HTTPS to proxy from source address src, SNI and Host NAME."""
    raw = socket.create_connection(("127.0.0.1", proxy.https_port), timeout=TIMEOUT,
                                   source_address=(src, 0))
    try:
        s = tls_context(proxy.cert).wrap_socket(raw, server_hostname=NAME)
    except BaseException:
        raw.close()
        raise
    conn = http.client.HTTPConnection(NAME, proxy.https_port, timeout=TIMEOUT)
    conn.sock = s
    try:
        h = {"User-Agent": UA}
        h.update(headers or {})
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, [(k.lower(), v) for k, v in r.getheaders()], data)
    finally:
        conn.close()


def http_plain(port, method, path, src, host):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT, source_address=(src, 0))
    try:
        conn.request(method, path, headers={"Host": host, "User-Agent": UA})
        r = conn.getresponse()
        data = r.read()
        return Resp(r.status, [(k.lower(), v) for k, v in r.getheaders()], data)
    finally:
        conn.close()


def tls_raw(proxy, src, payload, verify=True, sni=NAME, ctx=None):
    """Sends raw bytes over TLS; returns what came back (b"" on any TLS/socket error)."""
    raw = socket.create_connection(("127.0.0.1", proxy.https_port), timeout=5,
                                   source_address=(src, 0))
    data = b""
    try:
        if ctx is None:
            ctx = tls_context(proxy.cert) if verify else ssl._create_unverified_context()
        s = ctx.wrap_socket(raw, server_hostname=sni)
        s.sendall(payload)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            got = s.recv(65536)
            if not got:
                break
            data += got
    except (OSError, ssl.SSLError):
        pass
    finally:
        raw.close()
    return data


def tcp_raw(port, src, payload):
    raw = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(src, 0))
    data = b""
    try:
        raw.sendall(payload)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            got = raw.recv(65536)
            if not got:
                break
            data += got
    except OSError:
        pass
    finally:
        raw.close()
    return data


def sign(proxy, src, email, extra_headers=None):
    """GET / then POST /sign with the page's hidden fields, as a browser on our origin."""
    page = https(proxy, "GET", "/", src)
    if page.status != 200:
        return page
    hidden = H.form_hidden(page.text())
    fields = [("name", "Proxy Signer"), ("email", email), ("country", "KH"), ("comment", ""),
              ("public", ""), ("updates", "")]
    body = H.urlencode([(k, v) for k, v in hidden.items()] + fields)
    h = {"Content-Type": "application/x-www-form-urlencoded",
         "Accept": "text/html,application/xhtml+xml",
         "Origin": "https://%s:%d" % (NAME, proxy.https_port),
         "Sec-Fetch-Site": "same-origin"}
    h.update(extra_headers or {})
    return https(proxy, "POST", "/sign", src, body, h)


class Recorder:
    """A plain HTTP server on 127.0.0.1:port that records each request's headers."""

    def __init__(self, port):
        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                seen.append([(k.lower(), v) for k, v in self.headers.items()])
                body = b"recorded\n"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        http.server.HTTPServer.allow_reuse_address = True
        self.srv = http.server.HTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.srv.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()
        self.thread.join(5)


# --------------------------------------------------------------------------
# Proxies


class Proxy:
    """One proxy process in its own directory. Subclasses: config() and argv()."""

    name = "?"

    def __init__(self, upstream_port, cert, key):
        self.dir = tempfile.mkdtemp(prefix="petitiond-%s-" % self.name)
        os.chmod(self.dir, 0o755)  # nginx workers run as nobody when the test runs as root
        self.upstream_port = upstream_port
        self.cert = os.path.join(self.dir, "cert.pem")
        self.key = os.path.join(self.dir, "key.pem")
        shutil.copyfile(cert, self.cert)
        shutil.copyfile(key, self.key)
        os.chmod(self.key, 0o600)
        self.http_port = free_port()
        self.https_port = free_port()
        self.proc = None
        self.out = os.path.join(self.dir, "stdout.log")
        self.err = os.path.join(self.dir, "stderr.log")

    def start(self):
        with open(self.out, "wb") as fo, open(self.err, "wb") as fe:
            self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=fo,
                                         stderr=fe, cwd=self.dir, env=self.env(),
                                         start_new_session=True)
        deadline = time.monotonic() + 15
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise H.ServerError("%s exited with %s during start-up: %s"
                                    % (self.name, self.proc.returncode, self.read(self.err)[-1500:]))
            try:
                r = https(self, "GET", "/healthz", "127.0.0.1")
                if r.status == 200:
                    return
                last = r.status
            except (OSError, ssl.SSLError, http.client.HTTPException) as e:
                last = repr(e)
            time.sleep(0.1)
        raise H.ServerError("%s did not answer /healthz through HTTPS within 15 s (last: %s)\n%s"
                            % (self.name, last, self.read(self.err)[-1500:]))

    def env(self):
        return dict(os.environ)

    def stop(self, sig):
        """Stops the proxy (sig first, SIGKILL to its process group after 10 s)."""
        p = self.proc
        if p is None:
            return None
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(p.pid, signal.SIGKILL)  # its own group: workers left behind, if any
        except OSError:
            pass
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.proc = None
        return p.returncode

    @staticmethod
    def read(path):
        try:
            with open(path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def written_files(self):
        """Every regular file under the proxy's directory, except those the test put there."""
        mine = {self.cert, self.key} | set(self.inputs())
        out = []
        for root, dirs, files in os.walk(self.dir):
            for f in files:
                p = os.path.join(root, f)
                if p not in mine and os.path.isfile(p) and not os.path.islink(p):
                    out.append(p)
        return sorted(out)

    def inputs(self):
        return []

    def cleanup(self):
        if self.proc is not None:
            self.stop(signal.SIGTERM)
        if not os.environ.get("PETITIOND_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


class Nginx(Proxy):
    name = "nginx"

    def __init__(self, upstream_port, cert, key):
        super().__init__(upstream_port, cert, key)
        self.logs = os.path.join(self.dir, "logs")
        self.webroot = os.path.join(self.dir, "webroot")
        os.makedirs(self.logs)
        os.makedirs(os.path.join(self.webroot, ".well-known", "acme-challenge"))
        for d in (self.webroot, os.path.join(self.webroot, ".well-known"),
                  os.path.join(self.webroot, ".well-known", "acme-challenge")):
            os.chmod(d, 0o755)
        self.token = "acme-token-4c2e"
        tok = os.path.join(self.webroot, ".well-known", "acme-challenge", self.token)
        with open(tok, "w") as f:
            f.write(self.token + ".keyauth\n")
        os.chmod(tok, 0o644)
        self.site = os.path.join(self.dir, "petition.conf")
        self.main = os.path.join(self.dir, "nginx.conf")
        with open(os.path.join(DEPLOY, "nginx.conf")) as f:
            shipped = f.read()
        v6 = have_ipv6_loopback()
        site = substitute(shipped, [
            ("listen 80;", "listen 127.0.0.1:%d;" % self.http_port, 1),
            ("listen [::]:80;", ("listen [::1]:%d;" % self.http_port) if v6 else "", 1),
            ("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % self.https_port, 1),
            ("listen [::]:443 ssl http2;",
             ("listen [::1]:%d ssl http2;" % self.https_port) if v6 else "", 1),
            ("/etc/letsencrypt/live/petition.example.org/fullchain.pem", self.cert, 1),
            ("/etc/letsencrypt/live/petition.example.org/privkey.pem", self.key, 1),
            ("server_name petition.example.org;", "server_name %s;" % NAME, 2),
            ("root /var/www/html;", "root %s;" % self.webroot, 1),
            ("proxy_pass http://127.0.0.1:8080;", "proxy_pass http://127.0.0.1:%d;" % upstream_port, 1),
        ], "deploy/nginx.conf")
        with open(self.site, "w") as f:
            f.write(site)
        tmp = os.path.join(self.dir, "tmp")
        os.makedirs(tmp)
        os.chmod(tmp, 0o777)
        temps = "".join("\t%s_temp_path %s;\n" % (k, os.path.join(tmp, k))
                        for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        # Like Debian's /etc/nginx/nginx.conf: a main error log and an http-level access log
        # (both on), so anything the site file fails to switch off ends up here. The main
        # log is at "info", lower than Debian's "error", to be strict.
        with open(self.main, "w") as f:
            f.write("worker_processes 1;\n"
                    "daemon off;\n"
                    "pid %s;\n"
                    "error_log %s info;\n"
                    "events { worker_connections 128; }\n"
                    "http {\n"
                    "\taccess_log %s;\n"
                    "%s"
                    "\tinclude %s;\n"
                    "}\n" % (os.path.join(self.dir, "nginx.pid"), os.path.join(self.logs, "error.log"),
                             os.path.join(self.logs, "access.log"), temps, self.site))

    def inputs(self):
        return [self.site, self.main,
                os.path.join(self.webroot, ".well-known", "acme-challenge", self.token)]

    def base_argv(self):
        return ["nginx", "-p", self.dir, "-c", self.main, "-e", os.path.join(self.logs, "startup.log")]

    def argv(self):
        return self.base_argv()

    def check_config(self):
        r = subprocess.run(self.base_argv() + ["-t"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        return r.returncode, r.stdout.decode("utf-8", "replace")

    def stop(self, sig=signal.SIGQUIT):
        return super().stop(sig)


class Caddy(Proxy):
    name = "caddy"

    def __init__(self, upstream_port, cert, key):
        super().__init__(upstream_port, cert, key)
        self.home = os.path.join(self.dir, "home")
        os.makedirs(self.home)
        self.file = os.path.join(self.dir, "Caddyfile")
        with open(os.path.join(DEPLOY, "Caddyfile")) as f:
            shipped = f.read()
        if not re.search(r"(?m)^\{$", shipped):
            raise AssertionError("deploy/Caddyfile: no global options block")
        # Test-only global options: loopback only, our ports, no admin endpoint, and no OCSP
        # stapling (a self-signed certificate has no responder).
        extra = ("{\n\tadmin off\n\tdefault_bind 127.0.0.1\n\thttp_port %d\n\thttps_port %d\n"
                 "\tocsp_stapling off\n" % (self.http_port, self.https_port))
        text = re.sub(r"(?m)^\{\n", lambda m: extra, shipped, count=1)
        text = substitute(text, [
            ("petition.example.org {\n", "%s {\n\ttls %s %s\n" % (NAME, self.cert, self.key), 1),
            ("reverse_proxy 127.0.0.1:8080\n", "reverse_proxy 127.0.0.1:%d\n" % upstream_port, 1),
        ], "deploy/Caddyfile")
        with open(self.file, "w") as f:
            f.write(text)

    def inputs(self):
        return [self.file]

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
        env.update({"HOME": self.home, "XDG_DATA_HOME": os.path.join(self.home, "data"),
                    "XDG_CONFIG_HOME": os.path.join(self.home, "config")})
        return env

    def argv(self):
        return ["caddy", "run", "--config", self.file, "--adapter", "caddyfile"]

    def stop(self, sig=signal.SIGTERM):
        return super().stop(sig)


# --------------------------------------------------------------------------
# The checks


def check_shipped(t, kind):
    """Static checks of the shipped file, before running it."""
    if kind == "nginx":
        with open(os.path.join(DEPLOY, "nginx.conf")) as f:
            text = f.read()
        t.ok(not re.search(r"(?mi)^[^#]*Strict-Transport-Security", text),
             "deploy/nginx.conf does not add Strict-Transport-Security (petitiond sends it)")
        code = re.sub(r"#[^\n]*", "", text)
        servers = len(re.findall(r"(?m)^server\s*\{", code))
        el = re.findall(r"\berror_log\s+([^;]*);", code)
        al = re.findall(r"\baccess_log\s+([^;]*);", code)
        t.ok(servers >= 1 and len(el) == servers and set(el) == {"/dev/null"}
             and len(al) == servers and set(al) == {"off"},
             "deploy/nginx.conf: every server block has access_log off and error_log /dev/null "
             "(the test cannot see a log written elsewhere)",
             "servers %d, error_log %r, access_log %r" % (servers, el, al))
        t.ok(re.search(r"X-Forwarded-For\s+\$remote_addr;", text) is not None,
             "deploy/nginx.conf sends X-Forwarded-For $remote_addr (the client's own header dropped)")
        return
    with open(os.path.join(DEPLOY, "Caddyfile")) as f:
        text = f.read()
    t.ok(not re.search(r"(?mi)^[^#]*Strict-Transport-Security", text),
         "deploy/Caddyfile does not add Strict-Transport-Security (petitiond sends it)")
    r = subprocess.run(["caddy", "adapt", "--config", os.path.join(DEPLOY, "Caddyfile")],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30, env=dict(os.environ, HOME=tempfile.gettempdir()))
    err = r.stderr.decode("utf-8", "replace")
    t.ok(r.returncode == 0 and "warn" not in err.lower(),
         "caddy adapt deploy/Caddyfile: no error, no warning", "rc %d\n%s" % (r.returncode, err[-1500:]))
    r = subprocess.run(["caddy", "fmt", os.path.join(DEPLOY, "Caddyfile")], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    t.ok(r.returncode == 0 and r.stdout.decode("utf-8", "replace") == text,
         "deploy/Caddyfile is as `caddy fmt` formats it (else Caddy warns at every start)",
         r.stdout.decode("utf-8", "replace")[-800:])


def exercise(t, px, srv, state):
    """Everything a signer, an admin and a stranger do through one running proxy."""
    a, b = CLIENTS[px.name]
    n = px.name

    r = https(px, "GET", "/", a)
    t.ok(r.status == 200 and "text/html" in r.get("content-type", ""), "%s: GET / over HTTPS is 200 text/html" % n, r)
    t.eq(r.count("strict-transport-security"), 1, "%s: GET / has Strict-Transport-Security exactly once" % n)
    t.ok((r.get("strict-transport-security") or "").startswith("max-age=31536000"),
         "%s: HSTS max-age=31536000" % n, r.get("strict-transport-security"))
    t.ok(not re.search(r"\d", r.get("server", "")), "%s: Server header shows no version" % n,
         "Server: %r" % r.get("server"))

    # Signing, one bucket per client address.
    sts = [sign(px, a, "%s.a%d@example.org" % (n, i)) for i in range(RATE)]
    t.ok(all(s.status == 303 and s.get("location") == "/thanks" for s in sts),
         "%s: client %s signs %d times: 303 to /thanks each" % (n, a, RATE), [s for s in sts])
    t.eq(sts[0].count("strict-transport-security"), 1, "%s: POST /sign answer has HSTS exactly once" % n)
    state["emails"] += ["%s.a%d@example.org" % (n, i) for i in range(RATE)]
    r = sign(px, a, "%s.a-over@example.org" % n)
    t.eq(r.status, 429, "%s: client %s, signature %d within the minute: 429" % (n, a, RATE + 1))
    r = sign(px, a, "%s.a-forged@example.org" % n, {"X-Forwarded-For": "198.51.100.%d" % len(n)})
    t.eq(r.status, 429, "%s: client %s with a forged X-Forwarded-For is still rate-limited (429)" % (n, a))
    r = sign(px, b, "%s.b0@example.org" % n)
    t.ok(r.status == 303, "%s: client %s (another address) still signs: 303" % (n, b), r)
    state["emails"].append("%s.b0@example.org" % n)

    # The admin export.
    r = https(px, "GET", "/admin/export.csv", a, headers={"Authorization": "Bearer " + H.ADMIN_TOKEN})
    text = r.body.decode("utf-8-sig", "replace")
    want = ["%s.a0@example.org" % n, "%s.a1@example.org" % n, "%s.b0@example.org" % n]
    t.ok(r.status == 200 and all(w in text for w in want) and "%s.a-over@" % n not in text,
         "%s: admin export through the proxy (Bearer token) lists exactly the accepted signatures" % n,
         "status %d\n%s" % (r.status, text[:800]))
    r = https(px, "GET", "/admin/export.csv", b)
    t.ok(r.status in (401, 403), "%s: export without the token: %d" % (n, r.status))

    # Client errors.
    r = https(px, "GET", PROBE, a)
    t.eq(r.status, 404, "%s: unknown path: 404" % n)
    # petitiond answers 413 from Content-Length and closes without reading
    # the body; when the proxy is still sending it, the kernel may reset the
    # connection before the proxy read the answer, and Caddy then reports
    # 502. That race is the proxy's, not petitiond's answer: try up to three
    # times, and require the 413.
    for _ in range(3):
        r = https(px, "POST", "/sign", b, b"x=" + b"a" * 20000,
                  {"Content-Type": "application/x-www-form-urlencoded"})
        if r.status != 502:
            break
    t.eq(r.status, 413, "%s: 20 000-byte body: 413" % n)
    got = tls_raw(px, a, b"G@T " + PROBE.encode() + b" HTTP/1.1\r\nHost: " + NAME.encode()
                  + b"\r\nUser-Agent: " + UA.encode() + b"\r\n\r\n")
    t.ok(got.startswith(b"HTTP/1.1 400"), "%s: garbage request line: 400" % n, got[:200])
    got = tcp_raw(px.https_port, b, b"GET " + PROBE.encode() + b" HTTP/1.1\r\nHost: " + NAME.encode()
                  + b"\r\nUser-Agent: " + UA.encode() + b"\r\n\r\n")
    t.ok(got.startswith(b"HTTP/1.") and b" 400 " in got[:20], "%s: plain HTTP to the HTTPS port: 400" % n, got[:200])
    # Failed handshakes: no SNI, an unknown name, and no cipher in common (RSA certificate).
    tls_raw(px, a, b"", verify=False, sni=None)
    tls_raw(px, b, b"", verify=False, sni="other.invalid")
    ctx = ssl._create_unverified_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
    tls_raw(px, a, b"", ctx=ctx)

    # The HTTP port.
    r = http_plain(px.http_port, "GET", PROBE, a, "%s:%d" % (NAME, px.http_port))
    t.ok(r.status in (301, 308) and (r.get("location") or "").startswith("https://%s" % NAME),
         "%s: HTTP port redirects to https://%s" % (n, NAME), r)
    if n == "nginx":
        r = http_plain(px.http_port, "GET", "/.well-known/acme-challenge/" + px.token, b,
                       "%s:%d" % (NAME, px.http_port))
        t.ok(r.status == 200 and r.body == (px.token + ".keyauth\n").encode(),
             "nginx: HTTP port serves the certbot webroot (/.well-known/acme-challenge/)", r)


def upstream_down(t, px):
    a, b = CLIENTS[px.name]
    r = https(px, "GET", "/", a)
    t.ok(r.status in (502, 503, 504), "%s: petitiond stopped: GET / answers %d (502/503/504)" % (px.name, r.status), r)
    r = https(px, "POST", "/sign", b, b"name=x", {"Content-Type": "application/x-www-form-urlencoded"})
    t.ok(r.status in (502, 503, 504), "%s: petitiond stopped: POST /sign answers %d" % (px.name, r.status), r)


def forwarded_headers(t, px, rec):
    a, _ = CLIENTS[px.name]
    before = len(rec.seen)
    r = https(px, "GET", "/recorded", a, headers={"X-Forwarded-For": "198.51.100.7, 127.0.0.1",
                                                  "X-Forwarded-Proto": "http"})
    got = dict(rec.seen[before]) if len(rec.seen) > before else {}
    t.ok(r.status == 200 and got.get("x-forwarded-for") == a,
         "%s: upstream gets X-Forwarded-For: %s exactly (the client's forged one dropped)" % (px.name, a),
         "status %d, headers %r" % (r.status, got))
    t.ok(got.get("x-forwarded-proto") == "https", "%s: upstream gets X-Forwarded-Proto: https" % px.name,
         repr(got.get("x-forwarded-proto")))
    t.ok(got.get("host") == "%s:%d" % (NAME, px.https_port),
         "%s: upstream gets the Host the client used (port included)" % px.name, repr(got.get("host")))


def no_leaks(t, px, needles):
    files = px.written_files()
    found = []
    for p in files:
        try:
            with open(p, "rb") as f:
                data = f.read()
        except OSError:
            continue
        for nd in needles:
            i = data.find(nd)
            if i >= 0:
                found.append("%s: %r in ...%r..." % (os.path.relpath(p, px.dir), nd,
                                                     data[max(0, i - 200):i + 60]))
    t.ok(not found, "%s: no client address, User-Agent, probe path or email in any file it wrote (%d files: %s)"
         % (px.name, len(files), ", ".join(os.path.relpath(p, px.dir) for p in files)), "\n".join(found))
    return files


def main(t):
    kinds = [k for k in ("nginx", "caddy") if shutil.which(k)]
    missing = [k for k in ("nginx", "caddy") if k not in kinds]
    if not kinds:
        print("1..0 # SKIP nginx and caddy not installed (apt-get install nginx caddy)")
        sys.exit(0)
    if not shutil.which("openssl"):
        print("1..0 # SKIP openssl not installed")
        sys.exit(0)
    for k in missing:
        t.skip("%s in front of petitiond" % k, "%s not installed (apt-get install %s)" % (k, k))
    for k in kinds:
        check_shipped(t, k)

    work = tempfile.mkdtemp(prefix="petitiond-proxies-")
    proxies = []
    rec = None
    try:
        cert, key = make_cert(work)
        with H.Server(overrides={"rate-limit": str(RATE), "min-fill-time": "0"},
                      extra_args=["--trust-proxy", "127.0.0.1/32", "--hsts", "31536000"]) as srv:
            for k in kinds:
                for attempt in range(3):  # a port taken between probe and bind: others
                    px = Nginx(srv.port, cert, key) if k == "nginx" else Caddy(srv.port, cert, key)
                    proxies.append(px)
                    if k == "nginx" and attempt == 0:
                        rc, out = px.check_config()
                        t.ok(rc == 0 and "[warn]" not in out and "[emerg]" not in out,
                             "nginx -t on deploy/nginx.conf (test ports and certificate): ok, no warning",
                             out[-1500:])
                    try:
                        px.start()
                        break
                    except H.ServerError as e:
                        if attempt == 2 or "in use" not in str(e):
                            raise
                        proxies.remove(px)
                        px.cleanup()
                t.ok(True, "%s started in front of petitiond (HTTPS on 127.0.0.1:%d)" % (k, px.https_port))
            state = {"emails": []}
            for px in proxies:
                exercise(t, px, srv, state)
            srv.stop()
            for px in proxies:
                upstream_down(t, px)
            rec = Recorder(srv.port)
            for px in proxies:
                forwarded_headers(t, px, rec)
            rec.close()
            rec = None
        for px in proxies:
            px.stop()
            if px.name == "caddy":
                err = px.read(px.err)
                t.ok('"level":"info"' in err and "Unnecessary" not in err and "not formatted" not in err,
                     "caddy: start-up messages are kept; no warning about the configuration",
                     err[-1500:])
            else:
                t.ok(os.path.getsize(os.path.join(px.logs, "error.log")) > 0,
                     "nginx: the main error log was written (so the search below reads a live log)")
        needles = [c.encode() for k in kinds for c in CLIENTS[k]]
        needles += [UA.encode(), b"uniq-ua-5d1c7e", PROBE.encode()]
        needles += [e.encode() for e in state["emails"]]
        for px in proxies:
            no_leaks(t, px, needles)
    finally:
        if rec is not None:
            rec.close()
        for px in proxies:
            px.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    tap = TAP()
    H.watchdog(150)
    # Under PETITIOND_TEST_ENGINE=pg without a server: one skip, exit 0.
    pg_skipped = False
    try:
        pg_skipped = H.pg_skip(tap)
        if not pg_skipped:
            main(tap)
    except BaseException as e:  # noqa: B902 -- report everything, then exit
        if isinstance(e, SystemExit):
            raise
        import traceback
        tap.ok(False, "test script ran to completion", traceback.format_exc())
    finally:
        signal.alarm(0)
    rc = tap.done()
    sys.exit(0 if pg_skipped and not tap.failed() else rc)
