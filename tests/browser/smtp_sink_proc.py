#!/usr/bin/env python3
"""smtp_sink_proc.py -- the e2e tests' SMTP sink (tests/e2e/smtpsink.py) as a
process of its own, for the browser suite (confirm.mjs), which is Node.js.

    python3 tests/browser/smtp_sink_proc.py --dir D [--limit SECONDS]

Makes a test CA in D (make_ca), listens on a free 127.0.0.1 port with
STARTTLS required, and prints one line of JSON on stdout once it listens:
{"port": N, "ca": "D/ca.pem"}. Each message it accepts is written as
D/mail-N.eml (the bytes as received) and D/mail-N.json (decoded: to,
subject, content_language, text, html), N from 1, each file complete when
it appears (written aside, then renamed).

It exits when its stdin closes (the parent went away, however it ended),
on SIGTERM or SIGINT, or after --limit seconds (default 300): it never
outlives the run that started it."""
import argparse
import json
import os
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from smtpsink import SmtpSink, make_ca  # noqa: E402

POLL_S = 0.05  # how often new messages are looked for


def part_text(msg, kind):
    part = msg.get_body((kind,))
    return part.get_content() if part is not None else ""


def write_aside(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def save(d, n, raw, msg):
    write_aside(os.path.join(d, "mail-%d.eml" % n), raw)
    doc = {
        "n": n,
        "to": str(msg["To"] or "").strip(),
        "subject": str(msg["Subject"] or ""),
        "content_language": str(msg["Content-Language"] or ""),
        "content_type": msg.get_content_type(),
        "text": part_text(msg, "plain"),
        "html": part_text(msg, "html"),
    }
    write_aside(os.path.join(d, "mail-%d.json" % n),
                json.dumps(doc, ensure_ascii=False).encode("utf-8"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True, help="where the CA and the messages go")
    ap.add_argument("--limit", type=float, default=300.0, help="seconds before it exits anyway")
    args = ap.parse_args()
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())

    def watch_stdin():
        try:
            sys.stdin.buffer.read()
        finally:
            done.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    ca, _, _ = make_ca(args.dir)
    sink = SmtpSink(mode="starttls", certdir=args.dir).start()
    print(json.dumps({"port": sink.port, "ca": ca}), flush=True)
    written = 0
    try:
        deadline = time.monotonic() + args.limit
        while not done.is_set() and time.monotonic() < deadline:
            raw, msgs = list(sink.raw), list(sink.messages)
            while written < min(len(raw), len(msgs)):
                save(args.dir, written + 1, raw[written], msgs[written])
                written += 1
            done.wait(POLL_S)
    finally:
        sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
