"""
emu: the base of hookpost's vendor emulators (tests/emu/<vendor>.py).

A service hookpost cannot reach from a test (Slack, Teams, PagerDuty, ...)
is emulated on 127.0.0.1 by a small HTTP server that checks each request
against the vendor's documented API and answers as the vendor does,
errors and 429s included.  A vendor module defines

    def handle(emu, req):  -> (status, headers: dict, body: str|bytes)

where req has .method, .path, .query (dict of lists), .headers (a dict with
lower-cased names), .body (bytes) and .json (the parsed body or None).

Control routes (under /_emu/, never the vendor's):
    GET  /_emu/log       every request so far, one JSON object each:
                         {method, path, headers, body, status, answer}
    POST /_emu/reset     forget the log, the script and the state
    POST /_emu/script    queue forced answers for the next requests to
                         a path prefix: {"path": "/services/", "answers":
                         [{"status": 429, "headers": {"Retry-After": "2"},
                           "body": "rate_limited"}, ...]}
                         an answer without "status" lets the vendor handle
                         the request as usual; "delay_ms" holds the answer
                         back that long after the request was handled (a
                         worker killed in between: the crash tests)
    GET  /_emu/state     the vendor's own state (emu.state), as JSON

Run:  /usr/bin/python3 tests/emu/<vendor>.py -p PORT [-l LOGFILE]
It prints nothing; LOGFILE (optional) gets the log as JSON lines too.
Only the Python standard library is used.
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

MAX_BODY = 4 * 1024 * 1024


class Req:
    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None


class Emu:
    def __init__(self, handle, logfile=None):
        self.handle = handle
        self.lock = threading.Lock()
        self.log = []
        self.script = []        # [(prefix, answer)]
        self.state = {}
        self.logfile = open(logfile, "a") if logfile else None

    def scripted(self, path):
        for i, (prefix, ans) in enumerate(self.script):
            if path.startswith(prefix):
                del self.script[i]
                return ans
        return None

    def record(self, req, status, answer):
        body = req.body.decode("utf-8", "replace")
        entry = {"method": req.method, "path": req.path,
                 "headers": req.headers, "body": body,
                 "status": status, "answer": answer}
        self.log.append(entry)
        if self.logfile:
            self.logfile.write(json.dumps(entry) + "\n")
            self.logfile.flush()


def make_handler(emu):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, status, headers, body):
            if isinstance(body, str):
                body = body.encode()
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def control(self, path, body):
            with emu.lock:
                if path == "/_emu/log":
                    return 200, json.dumps(emu.log)
                if path == "/_emu/state":
                    return 200, json.dumps(emu.state)
                if path == "/_emu/reset":
                    emu.log, emu.script, emu.state = [], [], {}
                    return 200, "{}"
                if path == "/_emu/script":
                    s = json.loads(body)
                    for a in s["answers"]:
                        emu.script.append((s["path"], a))
                    return 200, "{}"
            return 404, "{}"

        def any(self):
            u = urlsplit(self.path)
            n = int(self.headers.get("Content-Length") or 0)
            if n > MAX_BODY:
                self.answer(413, {}, "request too large")
                return
            body = self.rfile.read(n) if n else b""
            if u.path.startswith("/_emu/"):
                st, b = self.control(u.path, body)
                self.answer(st, {"Content-Type": "application/json"}, b)
                return
            req = Req(self.command, u.path, parse_qs(u.query),
                      {k.lower(): v for k, v in self.headers.items()}, body)
            delay = 0
            with emu.lock:
                forced = emu.scripted(u.path)
                if forced is not None and "status" in forced:
                    st = forced.get("status", 200)
                    hd = forced.get("headers", {})
                    b = forced.get("body", "")
                else:
                    st, hd, b = emu.handle(emu, req)
                if forced is not None:
                    delay = forced.get("delay_ms", 0) / 1000.0
                emu.record(req, st, b if isinstance(b, str)
                           else b.decode("utf-8", "replace"))
            if delay > 0:
                time.sleep(delay)   # done, not yet answered (a crash test)
            self.answer(st, hd, b)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = any

    return H


def main(handle):
    ap = argparse.ArgumentParser()
    ap.add_argument("-p", "--port", type=int, required=True)
    ap.add_argument("-l", "--log")
    a = ap.parse_args()
    emu = Emu(handle, a.log)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), make_handler(emu))
    srv.daemon_threads = True
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)
