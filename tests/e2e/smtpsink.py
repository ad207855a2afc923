"""smtpsink.py -- a loopback SMTP relay for the tests: aiosmtpd (Debian's
python3-aiosmtpd) in a thread, with STARTTLS, implicit TLS or neither, and
optional AUTH. It keeps every message it accepts.

    ca, cert, key = make_ca(tmpdir)          # a CA and a certificate for
                                             # 127.0.0.1, ::1 and localhost
    sink = SmtpSink(mode="starttls", certdir=tmpdir, auth=("user", "pass"))
    sink.start()                             # listens on 127.0.0.1:sink.port
    ... petitiond --smtp-url smtp://user@127.0.0.1:PORT --smtp-ca-file ca ...
    msgs = sink.wait(1, timeout=10)          # [email.message.EmailMessage]
    sink.stop(); sink.start()                # down, then up on the same port

SmtpSink(mode, certdir=None, auth=None, port=None)
  mode      "starttls": offers STARTTLS and refuses MAIL before it;
            "implicit": TLS from the first byte (smtps://);
            "plain":    no TLS at all (petitiond must refuse to send there).
  certdir   a directory holding make_ca()'s files (needed unless "plain").
  auth      ("user", "password"): AUTH PLAIN/LOGIN required before MAIL.
  port      None: a free port, chosen once and kept across stop()/start().
Attributes (read them; the lists only grow, from the sink's thread):
  port        the TCP port on 127.0.0.1
  messages    email.message.EmailMessage (policy=default) per accepted message
  raw         the bytes of each accepted message, as received (CRLF)
  envelopes   (mail_from, [rcpt, ...]) per accepted message
  helos       the EHLO/HELO name of each accepted message's connection
  logins      the user names that signed in (AUTH succeeded)
  connections how many distinct connections delivered at least one message
  refused     (code, stage) of each answer reject_next() made
Methods:
  start(), stop()         stop() closes the listener and every connection
  wait(n, timeout)        until n messages arrived (or timeout s): the list
  reject_next(code=450, n=1, stage="rcpt")
                          answer RCPT TO (stage "rcpt") or the end of DATA
                          (stage "data") with code for the next n messages
  delay_data(seconds)     wait this long before answering each message's
                          DATA (a slow relay); 0 turns it off
  reset()                 forget the messages and the counters

Only 127.0.0.1; every wait is bounded.
"""

import asyncio
import email
import email.policy
import os
import socket
import ssl
import subprocess
import sys
import threading
import time

try:
    import aiosmtpd  # noqa: F401
except ImportError:
    # Debian installs it for its own python3; a python3 from elsewhere
    # (pyenv) finds the same pure-Python package here.
    sys.path.append("/usr/lib/python3/dist-packages")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, LoginPassword  # noqa: E402

HOST = "127.0.0.1"
OPENSSL_TIMEOUT = 30  # seconds, each openssl command
START_TIMEOUT = 5.0  # seconds until the listener answers


def _openssl(args, cwd):
    subprocess.run(["openssl"] + args, cwd=cwd, check=True, timeout=OPENSSL_TIMEOUT,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def make_ca(dirpath):
    """Makes, with the openssl command, a test CA and a server certificate
    it signed for 127.0.0.1, ::1 and localhost (P-256 keys, 30 days).
    Returns the paths (ca_pem, cert_pem, key_pem); reuses them when present."""
    ca = os.path.join(dirpath, "ca.pem")
    cert = os.path.join(dirpath, "server.pem")
    key = os.path.join(dirpath, "server.key")
    if all(os.path.exists(p) for p in (ca, cert, key)):
        return ca, cert, key
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
              "-subj", "/CN=Test relay CA",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dirpath)
    _openssl(["req"] + ec + ["-keyout", "server.key", "-out", "server.csr",
              "-subj", "/CN=localhost"], dirpath)
    with open(os.path.join(dirpath, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n"
                "basicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n")
    _openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
              "-CAcreateserial", "-out", "server.pem", "-days", "30",
              "-extfile", "server.ext"], dirpath)
    return ca, cert, key


def _free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((HOST, 0))
        return s.getsockname()[1]
    finally:
        s.close()


class _Handler:
    """aiosmtpd's hooks: accept, refuse on request, record."""

    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self.sink._take_reject("rcpt")
        if code is not None:
            return "%d %s.1.1 refused by the test sink" % (code, str(code)[0])
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        delay = self.sink._delay
        if delay > 0:
            await asyncio.sleep(delay)
        code = self.sink._take_reject("data")
        if code is not None:
            return "%d %s.6.0 message refused by the test sink" % (code, str(code)[0])
        self.sink._record(server, session, envelope)
        return "250 2.0.0 accepted by the test sink"


class _Controller(Controller):
    """Remembers each connection's SMTP object, to close them all on stop
    (Python before 3.12 leaves accepted connections open when the
    listener closes)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.servers = []

    def factory(self):
        s = super().factory()
        self.servers.append(s)
        return s

    def close_connections(self):  # in the sink's event loop
        for s in self.servers:
            for t in (getattr(s, "_original_transport", None), s.transport):
                if t is not None:
                    t.abort()
        self.servers = []


class SmtpSink:
    def __init__(self, mode="starttls", certdir=None, auth=None, port=None):
        if mode not in ("starttls", "implicit", "plain"):
            raise ValueError("mode: starttls, implicit or plain")
        self.mode = mode
        self.auth = auth
        self.port = port or _free_port()
        self._ctx = None
        if mode != "plain":
            if certdir is None:
                raise ValueError("certdir is needed for TLS (make_ca)")
            _, cert, key = make_ca(certdir)
            self._ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._ctx.load_cert_chain(cert, key)
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._controller = None
        self._rejects = []  # [code, n, stage]
        self._delay = 0.0
        self.reset()

    # -- control -------------------------------------------------------

    def reset(self):
        with self._lock:
            self.messages = []
            self.raw = []
            self.envelopes = []
            self.helos = []
            self.logins = []
            self.refused = []
            self._servers = []  # the SMTP object (one per connection) of each message

    @property
    def connections(self):
        with self._lock:
            seen = []
            for s in self._servers:
                if not any(s is o for o in seen):
                    seen.append(s)
            return len(seen)

    def _authenticator(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == self.auth[0].encode()
              and auth_data.password == self.auth[1].encode())
        if ok:
            with self._lock:
                self.logins.append(self.auth[0])
        # handled=False: aiosmtpd answers 535 itself (with the default,
        # True, it would answer nothing and the client would hang).
        return AuthResult(success=ok, handled=ok)

    def start(self):
        kw = {"hostname": HOST, "port": self.port, "server_hostname": "sink.test",
              "ready_timeout": START_TIMEOUT}
        if self.mode == "implicit":
            kw["ssl_context"] = self._ctx
        elif self.mode == "starttls":
            kw["tls_context"] = self._ctx
            kw["require_starttls"] = True
        if self.auth is not None:
            kw["authenticator"] = self._authenticator
            kw["auth_required"] = True
            # AUTH only after STARTTLS; with implicit TLS aiosmtpd does not
            # know the connection is encrypted, and "plain" has no TLS.
            kw["auth_require_tls"] = self.mode == "starttls"
        self._controller = _Controller(_Handler(self), **kw)
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # the port may still be closing after stop()
            try:
                self._controller.start()
                break
            except OSError:
                self._controller._thread = None
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        return self

    def stop(self):
        """Closes the listener and every open connection: a client that
        keeps its connection between messages sees the relay go away at
        once, as it would when a real relay restarts."""
        c = self._controller
        if c is not None:
            done = threading.Event()

            def close_all():
                c.close_connections()
                done.set()

            c.loop.call_soon_threadsafe(close_all)
            done.wait(START_TIMEOUT)
            c.stop()
            self._controller = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def wait(self, n, timeout):
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.messages) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(self.messages)

    def reject_next(self, code=450, n=1, stage="rcpt"):
        if stage not in ("rcpt", "data"):
            raise ValueError("stage: rcpt or data")
        with self._lock:
            self._rejects.append([int(code), int(n), stage])

    def delay_data(self, seconds):
        self._delay = float(seconds)

    # -- from the sink's thread ------------------------------------------

    def _take_reject(self, stage):
        with self._lock:
            for r in self._rejects:
                if r[2] == stage and r[1] > 0:
                    r[1] -= 1
                    self.refused.append((r[0], stage))
                    if r[1] == 0:
                        self._rejects.remove(r)
                    return r[0]
        return None

    def _record(self, server, session, envelope):
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        msg = email.message_from_bytes(data, policy=email.policy.default)
        with self._cond:
            self.raw.append(data)
            self.messages.append(msg)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.helos.append(session.host_name)
            self._servers.append(server)
            self._cond.notify_all()
