"""
smtpd: a real SMTP server for the email connector's tests (issue 10: "a
real SMTP server the suite starts itself"), built on Debian's
python3-aiosmtpd (scripts/deps.sh), run with /usr/bin/python3.

Three listeners on 127.0.0.1, one process:
    PORT      SMTP with STARTTLS (RFC 3207), required before anything
              but EHLO/HELO, NOOP, QUIT and STARTTLS; AUTH PLAIN and
              LOGIN (RFC 4954) only inside TLS, then required for MAIL
    PORT+1    SMTPS: TLS from the first byte (RFC 8314 implicit TLS),
              AUTH required
    PORT+2    plain SMTP without STARTTLS and without AUTH (a server a
              "starttls" integration must refuse to send to)
The certificate and key (PEM) are made by the test with openssl.  The
one user is SMTPD_USER / SMTPD_PASSWORD from the environment (never on
the command line, where ps would show it).

Written to DIR, one JSON object a line:
    messages.jsonl  each message accepted: {"port", "tls", "auth",
                    "mail_from", "rcpt_tos", "data_b64"} (data_b64: the
                    DATA as received, dots unstuffed, base64)
    events.jsonl    each AUTH ({"event": "auth", "port", "tls", "login",
                    "ok"}) and each scripted reply ({"event": "rcpt",
                    "address", "reply"})
    ready           written once all three listen
Scripted replies: DIR/script.json, {"address": ["451 4.3.0 Try again
later", ...], ...}, read at each RCPT TO: the first reply queued for the
address is answered instead of accepting it, and taken off the queue
(written back), so a test sees a temporary (4xx) or permanent (5xx)
refusal, then acceptance once the queue is empty.

Run: SMTPD_USER=u SMTPD_PASSWORD=p /usr/bin/python3 tests/emu/smtpd.py \
         -p PORT -d DIR --cert CERT --key KEY
"""
import argparse
import base64
import json
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

MAX_MESSAGE = 8 * 1024 * 1024


class Store:
    """The files in DIR, written under one lock (three listeners)."""

    def __init__(self, directory):
        self.dir = directory
        self.lock = threading.Lock()

    def append(self, name, obj):
        with self.lock:
            with open(os.path.join(self.dir, name), "a") as f:
                f.write(json.dumps(obj) + "\n")

    def scripted_reply(self, address):
        path = os.path.join(self.dir, "script.json")
        with self.lock:
            try:
                with open(path) as f:
                    script = json.load(f)
            except (OSError, ValueError):
                return None
            queue = script.get(address.lower()) or script.get(address)
            if not queue:
                return None
            reply = queue.pop(0)
            with open(path + ".tmp", "w") as f:
                json.dump(script, f)
            os.replace(path + ".tmp", path)
            return reply


class Handler:
    def __init__(self, store, port, implicit=False):
        self.store = store
        self.port = port
        self.implicit = implicit

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        reply = self.store.scripted_reply(address)
        if reply is not None:
            self.store.append("events.jsonl", {"event": "rcpt",
                                               "port": self.port,
                                               "address": address,
                                               "reply": reply})
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content or envelope.content or b""
        auth = session.auth_data
        login = (auth.login.decode("utf-8", "replace")
                 if session.authenticated and
                 isinstance(auth, LoginPassword) else None)
        self.store.append("messages.jsonl", {
            "port": self.port,
            "tls": self.implicit or session.ssl is not None,
            "auth": login,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "data_b64": base64.b64encode(data).decode("ascii"),
        })
        return "250 2.0.0 OK: queued as H%d" % (hash(data) & 0xffffff)


class Authenticator:
    def __init__(self, store, port, user, password, implicit=False):
        self.store = store
        self.port = port
        self.implicit = implicit
        self.user = user
        self.password = password

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and
              auth_data.login == self.user and
              auth_data.password == self.password)
        login = (auth_data.login.decode("utf-8", "replace")
                 if isinstance(auth_data, LoginPassword) else None)
        self.store.append("events.jsonl", {"event": "auth",
                                           "port": self.port,
                                           "tls": self.implicit or
                                           session.ssl is not None,
                                           "mechanism": mechanism,
                                           "login": login, "ok": ok})
        # handled=False: aiosmtpd answers 535 5.7.8 itself on failure.
        return AuthResult(success=ok, handled=False,
                          auth_data=auth_data if ok else None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-p", "--port", type=int, required=True)
    ap.add_argument("-d", "--dir", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    a = ap.parse_args()
    user = os.environ.get("SMTPD_USER", "").encode()
    password = os.environ.get("SMTPD_PASSWORD", "").encode()
    if not user or not password:
        sys.exit("smtpd: SMTPD_USER and SMTPD_PASSWORD are required")
    store = Store(a.dir)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(a.cert, a.key)

    controllers = [
        Controller(Handler(store, a.port), hostname="127.0.0.1",
                   port=a.port, server_hostname="smtpd.test",
                   tls_context=tls, require_starttls=True,
                   auth_required=True, auth_require_tls=True,
                   authenticator=Authenticator(store, a.port, user,
                                               password),
                   data_size_limit=MAX_MESSAGE),
        # aiosmtpd 1.4 counts only STARTTLS as TLS for AUTH: on the
        # implicit-TLS listener every byte is inside TLS already.
        Controller(Handler(store, a.port + 1, True), hostname="127.0.0.1",
                   port=a.port + 1, server_hostname="smtpd.test",
                   ssl_context=tls, auth_required=True,
                   auth_require_tls=False,
                   authenticator=Authenticator(store, a.port + 1, user,
                                               password, True),
                   data_size_limit=MAX_MESSAGE),
        Controller(Handler(store, a.port + 2), hostname="127.0.0.1",
                   port=a.port + 2, server_hostname="smtpd.test",
                   data_size_limit=MAX_MESSAGE),
    ]
    started = []
    try:
        for c in controllers:
            c.start()
            started.append(c)
    except Exception as e:  # a port in use: the test tries others
        for c in started:
            c.stop()
        sys.exit("smtpd: %s" % e)
    with open(os.path.join(a.dir, "ready"), "w") as f:
        f.write("%d\n" % a.port)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    done.wait()
    for c in controllers:
        c.stop()


if __name__ == "__main__":
    main()
