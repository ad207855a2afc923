#!/usr/bin/env python3
"""test_mail.py -- `petitiond mail-test ADDRESS` against a loopback SMTP
sink (smtpsink.py): the mail settings the server uses, end to end.

STARTTLS with the test CA (--smtp-ca-file) delivers a message that Python's
email package reads back (subject, From, To, both parts); implicit TLS
(smtps://) too; the system CA store refuses the test relay; a relay without
STARTTLS gets nothing, not even the password; AUTH with the password from
--smtp-password-file (never in the output, nor in the process's arguments);
a wrong password, a refusing relay (4xx temporary, 5xx permanent) and a
relay that is down all fail with exit 1 and one clear line, quickly.
Exit codes: 0 sent, 1 failed, 2 bad usage."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

try:
    import smtpsink  # noqa: E402
except ImportError as e:  # python3-aiosmtpd missing: say so, fail nothing
    smtpsink = None
    MISSING = str(e)

CLI_TIMEOUT = 30  # seconds, any one command
WAIT = 5.0  # seconds for a message to reach the sink
QUICK = 5.0  # seconds a refusal or an unreachable relay may take at most
TO = "dara@example.com"
FROM_ADDR = "team@example.org"
KHMER_NAME = "\u1780\u17d2\u179a\u17bb\u1798"  # "group"
PASSWORD = "Pa55-w0rd-e2e-\u00e9t\u00e9"  # non-ASCII too: sent as UTF-8
USER = "mailer"


def mail_test(*args, address=TO):
    """Runs petitiond mail-test ADDRESS ARGS. Returns (status, stdout, stderr, seconds)."""
    t0 = time.monotonic()
    p = subprocess.run([H.server_bin(), "mail-test", address] + list(args),
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=CLI_TIMEOUT, env=H.clean_env())
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"), time.monotonic() - t0)


def one_line(text):
    return len(text.strip().splitlines()) == 1


def text_of(msg, subtype):
    part = msg.get_body((subtype,))
    if part is None:
        return None
    return part.get_content().replace("\r\n", "\n")


def check_message(t, sink, label):
    msgs = sink.wait(1, WAIT)
    if not t.ok(len(msgs) == 1, "%s: the sink received one message" % label,
                "got %d" % len(msgs)):
        return
    m = msgs[0]
    raw = sink.raw[0]
    t.eq(str(m["subject"]), "Test message", "%s: Subject" % label)
    t.eq(m["from"].addresses[0].addr_spec, FROM_ADDR, "%s: From address" % label)
    t.eq(m["from"].addresses[0].display_name, KHMER_NAME,
         "%s: the Khmer display name of From decodes back" % label)
    t.eq(str(m["to"]), TO, "%s: To" % label)
    t.eq(m.get_content_type(), "multipart/alternative", "%s: multipart/alternative" % label)
    plain, html = text_of(m, "plain"), text_of(m, "html")
    t.ok(plain is not None and "This is a test message." in plain and "mail settings" in plain,
         "%s: the text part decodes" % label, plain)
    t.ok(html is not None and "<p>This is a test message.</p>" in html,
         "%s: the HTML part decodes" % label, html)
    t.eq(m["auto-submitted"], "auto-generated", "%s: Auto-Submitted" % label)
    t.eq(m["content-language"], "en", "%s: Content-Language" % label)
    t.ok(str(m["message-id"]).endswith("@example.org>"), "%s: Message-ID in the sender's domain"
         % label, m["message-id"])
    t.ok(b"petition" not in raw.lower(), "%s: the test message names no cause" % label)
    t.ok(all(len(line) <= 78 for line in raw.split(b"\r\n")) and b"\n" not in raw.replace(b"\r\n", b""),
         "%s: CRLF lines of at most 78 bytes on the wire" % label)
    t.eq(sink.envelopes[0], (FROM_ADDR, [TO]), "%s: envelope MAIL FROM and RCPT TO" % label)
    t.eq(sink.helos[0], "example.org",
         "%s: EHLO names the sender's domain, not this machine" % label)


def main(t):
    if smtpsink is None or shutil.which("openssl") is None:
        t.skip("petitiond mail-test against a loopback relay",
               "needs python3-aiosmtpd and openssl (%s)" % (MISSING if smtpsink is None
                                                            else "no openssl"))
        return
    tmp = tempfile.mkdtemp(prefix="petitiond-mail-")
    try:
        run_all(t, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_all(t, tmp):
    ca, _, _ = smtpsink.make_ca(tmp)
    sender = "%s <%s>" % (KHMER_NAME, FROM_ADDR)
    pwfile = os.path.join(tmp, "smtp-password")
    with open(pwfile, "w", encoding="utf-8") as f:
        f.write(PASSWORD + "\n")
    badpw = os.path.join(tmp, "wrong-password")
    with open(badpw, "w") as f:
        f.write("not-the-password\n")

    # -- usage ----------------------------------------------------------
    rc, out, err, _ = mail_test()
    t.eq(rc, 2, "without --smtp-url: exit 2")
    t.ok("--smtp-url" in err and one_line(err), "without --smtp-url: one line naming it", err)
    rc, out, err, _ = mail_test("--smtp-url", "smtp://127.0.0.1:1")
    t.eq(rc, 2, "without --mail-from: exit 2")
    t.ok("mail-from" in err, "without --mail-from: says so", err)
    rc, out, err, _ = mail_test("--smtp-url", "smtp://127.0.0.1:1", "--mail-from", sender,
                                address="not-an-address")
    t.eq(rc, 2, "a bad ADDRESS: exit 2")
    t.ok("not-an-address" in err and one_line(err), "a bad ADDRESS: one line naming it", err)

    # -- STARTTLS with the test CA ----------------------------------------
    sink = smtpsink.SmtpSink(mode="starttls", certdir=tmp)
    sink.start()
    try:
        url = "smtp://127.0.0.1:%d" % sink.port
        rc, out, err, secs = mail_test("--smtp-url", url, "--smtp-ca-file", ca,
                                       "--mail-from", sender)
        t.eq(rc, 0, "STARTTLS with --smtp-ca-file: exit 0", )
        t.note("stderr: %s" % err)
        t.ok(out.startswith("sent a test message to %s through 127.0.0.1:%d" % (TO, sink.port)),
             "STARTTLS: says where it went", out)
        t.note("one message, new connection, STARTTLS: %.3f s (the whole command)" % secs)
        check_message(t, sink, "STARTTLS")

        # The system's CA store does not know the test CA: refused, nothing sent.
        sink.reset()
        rc, out, err, secs = mail_test("--smtp-url", url, "--mail-from", sender)
        t.eq(rc, 1, "the system CA store refuses the self-signed relay: exit 1")
        t.ok("certificate" in err and one_line(err), "certificate refusal: one clear line", err)
        t.ok(secs < QUICK, "certificate refusal: quick (%.2f s)" % secs)
        t.eq(len(sink.messages), 0, "certificate refusal: nothing delivered")

        # The relay refuses: 4xx is temporary, 5xx permanent.
        sink.reject_next(450, stage="rcpt")
        rc, out, err, _ = mail_test("--smtp-url", url, "--smtp-ca-file", ca, "--mail-from", sender)
        t.eq(rc, 1, "450 to RCPT: exit 1")
        t.ok("450" in err and "temporary" in err and one_line(err),
             "450 to RCPT: the relay's answer, temporary", err)
        sink.reject_next(550, stage="rcpt")
        rc, out, err, _ = mail_test("--smtp-url", url, "--smtp-ca-file", ca, "--mail-from", sender)
        t.eq(rc, 1, "550 to RCPT: exit 1")
        t.ok("550" in err and "recipient" in err and "permanent" in err,
             "550 to RCPT: the relay's answer, permanent", err)
        sink.reject_next(554, stage="data")
        rc, out, err, _ = mail_test("--smtp-url", url, "--smtp-ca-file", ca, "--mail-from", sender)
        t.eq(rc, 1, "554 to the message: exit 1")
        t.ok("554" in err and "permanent" in err, "554 to the message: permanent", err)
        sink.reject_next(451, stage="data")
        rc, out, err, _ = mail_test("--smtp-url", url, "--smtp-ca-file", ca, "--mail-from", sender)
        t.ok(rc == 1 and "451" in err and "temporary" in err, "451 to the message: temporary", err)
        t.eq(len(sink.messages), 0, "refused messages: none kept by the sink")

        # Down, then up again on the same port.
        sink.stop()
        rc, out, err, secs = mail_test("--smtp-url", url, "--smtp-ca-file", ca,
                                       "--mail-from", sender)
        t.eq(rc, 1, "relay down: exit 1")
        t.ok("cannot reach the relay" in err and one_line(err), "relay down: one clear line", err)
        t.ok(secs < QUICK, "relay down: quick (%.2f s)" % secs)
        sink.start()
        rc, out, err, _ = mail_test("--smtp-url", url, "--smtp-ca-file", ca, "--mail-from", sender)
        t.eq(rc, 0, "relay up again on the same port: exit 0")
        t.eq(len(sink.wait(1, WAIT)), 1, "relay up again: delivered")
    finally:
        sink.stop()

    # -- STARTTLS and AUTH (a submission port, 587) ----------------------------
    sink = smtpsink.SmtpSink(mode="starttls", certdir=tmp, auth=(USER, PASSWORD))
    sink.start()
    try:
        rc, out, err, _ = mail_test("--smtp-url", "smtp://%s@127.0.0.1:%d" % (USER, sink.port),
                                    "--smtp-ca-file", ca, "--smtp-password-file", pwfile,
                                    "--mail-from", sender)
        t.ok(rc == 0 and sink.logins == [USER] and len(sink.wait(1, WAIT)) == 1,
             "STARTTLS then AUTH: signed in after TLS, delivered", err)
    finally:
        sink.stop()

    # -- a port where nothing listens ---------------------------------------
    rc, out, err, secs = mail_test("--smtp-url", "smtps://127.0.0.1:%d" % H.free_port(),
                                   "--smtp-ca-file", ca, "--mail-from", sender)
    t.ok(rc == 1 and "cannot reach" in err and secs < QUICK,
         "nothing listening: exit 1, clear, quick (%.2f s)" % secs, err)

    # -- implicit TLS, with AUTH ------------------------------------------------
    sink = smtpsink.SmtpSink(mode="implicit", certdir=tmp, auth=(USER, PASSWORD))
    sink.start()
    try:
        url = "smtps://%s@127.0.0.1:%d" % (USER, sink.port)
        sink.delay_data(1.0)  # time to look at the running process
        p = subprocess.Popen([H.server_bin(), "mail-test", TO, "--smtp-url", url,
                              "--smtp-ca-file", ca, "--smtp-password-file", pwfile,
                              "--mail-from", sender],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=H.clean_env())
        seen = b""
        deadline = time.monotonic() + QUICK
        while time.monotonic() < deadline and p.poll() is None:
            try:
                with open("/proc/%d/cmdline" % p.pid, "rb") as f:
                    seen = f.read()
                if seen:
                    break
            except OSError:
                break
            time.sleep(0.02)
        try:
            out, err = p.communicate(timeout=CLI_TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate(timeout=5)
        sink.delay_data(0)
        out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
        t.eq(p.returncode, 0, "smtps:// with AUTH from --smtp-password-file: exit 0")
        t.note("stderr: %s" % err)
        t.eq(sink.logins, [USER], "AUTH: the relay saw the user sign in")
        t.ok(b"mail-test" in seen and PASSWORD.encode() not in seen,
             "AUTH: the password is not in the process's arguments (ps)", seen)
        t.ok(PASSWORD not in out and PASSWORD not in err, "AUTH: the password is not in the output")
        check_message(t, sink, "implicit TLS")

        sink.reset()
        rc, out, err, secs = mail_test("--smtp-url", url, "--smtp-ca-file", ca,
                                       "--smtp-password-file", badpw, "--mail-from", sender)
        t.eq(rc, 1, "a wrong password: exit 1")
        t.ok("user name or password" in err and one_line(err), "a wrong password: one clear line",
             err)
        t.ok("not-the-password" not in err and "not-the-password" not in out,
             "a wrong password: not printed")
        t.eq(len(sink.messages), 0, "a wrong password: nothing delivered")

        rc, out, err, _ = mail_test("--smtp-url", "smtps://127.0.0.1:%d" % sink.port,
                                    "--smtp-ca-file", ca, "--smtp-password-file", pwfile,
                                    "--mail-from", sender)
        t.ok(rc == 2 and "user name" in err, "a password file without a user in the URL: exit 2",
             err)
    finally:
        sink.stop()

    # -- a relay without STARTTLS: nothing in clear text ---------------------------
    sink = smtpsink.SmtpSink(mode="plain", auth=(USER, PASSWORD))
    sink.start()
    try:
        url = "smtp://%s@127.0.0.1:%d" % (USER, sink.port)
        rc, out, err, secs = mail_test("--smtp-url", url, "--smtp-password-file", pwfile,
                                       "--mail-from", sender)
        t.eq(rc, 1, "no STARTTLS offered: smtp:// refuses, exit 1")
        t.ok("STARTTLS" in err and one_line(err), "no STARTTLS: one clear line", err)
        t.ok(secs < QUICK, "no STARTTLS: quick (%.2f s)" % secs)
        t.eq((len(sink.messages), sink.logins), (0, []),
             "no STARTTLS: nothing delivered, the password never sent")
        rc, out, err, secs = mail_test("--smtp-url", "smtps://127.0.0.1:%d" % sink.port,
                                       "--mail-from", sender)
        t.ok(rc == 1 and secs < QUICK and len(sink.messages) == 0,
             "smtps:// to a relay without TLS: exit 1, quick, nothing delivered", err)
    finally:
        sink.stop()


if __name__ == "__main__":
    H.run(main, limit=100)
