"""
chaos: a misbehaving webhook receiver for the fault suite (tests/faults).

What it answers depends on the path (N a number):
    /ok                 200
    /status/N           N
    /ra/N               503 with Retry-After: N
    /ra-date/N          503 with Retry-After: an HTTP-date N s or a little
                        more ahead (a whole second: it is logged as "until")
    /hang/N             nothing for N ms (past the worker's timeout), then 200
    /reset              reads the request, then resets the connection (RST)
    /seq/A,B,...        per delivery id, the k-th attempt gets the k-th
                        answer (the last repeats): ok, 500 (any status),
                        raN, rdN (ra-date), hangN, reset
    /challenge...       echoes a webhook.challenge, else 200

Each request is logged as one JSON line when it has been read, before it
is answered: {"t": seconds since the epoch, "path", "id": its
X-Webhook-Delivery-Id (or null), "n": the how-manieth attempt of that id
to that path, "answer"}.  A request coming again less than 0.5 s after a
reset (libcurl resends a request at once when a reused connection is
reset before any answer) is the same attempt, and is logged with
"resend": true.

Run:  /usr/bin/python3 tests/faults/chaos.py -P PORTFILE -l LOGFILE
It listens on 127.0.0.1 on a port the kernel picks (never one an earlier
receiver of the run had) and writes that port to PORTFILE.  Only the
Python standard library is used.
"""
import argparse
import email.utils
import json
import math
import os
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESEND_S = 0.5	# a request this soon after a reset: the same attempt
lock = threading.Lock()
counts = {}
logf = None


def log(rec):
    with lock:
        logf.write(json.dumps(rec) + "\n")
        logf.flush()


def answer_of(path, did, n):
    """The answer word for this request: ok, NNN, raN, rdN, hangN or reset."""
    if path.startswith("/seq/"):
        steps = path[5:].split(",")
        return steps[min(n, len(steps)) - 1]
    if path.startswith("/status/"):
        return path[8:]
    if path.startswith("/ra/"):
        return "ra" + path[4:]
    if path.startswith("/ra-date/"):
        return "rd" + path[9:]
    if path.startswith("/hang/"):
        return "hang" + path[6:]
    if path == "/reset":
        return "reset"
    return "ok"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"ok", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def reset(self):
        """Closes the connection with a RST (SO_LINGER 0)."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RD)
        except OSError:
            pass
        self.connection.close()

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        t = time.time()
        did = self.headers.get("X-Webhook-Delivery-Id")
        path = self.path
        with lock:
            key = (did, path)
            k, last_t, last_word = counts.get(key, (0, 0, ""))
            # libcurl sends a request again at once when a reused
            # connection is reset before any answer: the same attempt.
            resend = last_word == "reset" and t - last_t < RESEND_S
            if not resend:
                k += 1
            word = "ok"
            if not path.startswith("/challenge"):
                word = answer_of(path, did, k)
            counts[key] = (k, t, word)
        rec = {"t": t, "path": path, "id": did, "n": k, "answer": word}
        if word.startswith("rd"):
            rec["until"] = math.ceil(t + int(word[2:]))
        if resend:
            rec["resend"] = True
        log(rec)
        if path.startswith("/challenge"):
            try:
                c = json.loads(body).get("challenge")
            except (ValueError, AttributeError):
                c = None
            self.reply(200, json.dumps({"challenge": c}).encode()
                       if isinstance(c, str) else b"ok")
        elif word == "ok":
            self.reply(200)
        elif word == "reset":
            self.reset()
        elif word.startswith("rd"):
            self.reply(503, b"busy", {"Retry-After": email.utils.formatdate(
                rec["until"], usegmt=True)})
        elif word.startswith("ra"):
            self.reply(503, b"busy", {"Retry-After": word[2:]})
        elif word.startswith("hang"):
            time.sleep(int(word[4:]) / 1000.0)
            try:
                self.reply(200)
            except OSError:
                self.close_connection = True
        else:
            self.reply(int(word), b"chaos")

    do_PUT = do_POST

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass


def main():
    global logf
    ap = argparse.ArgumentParser()
    ap.add_argument("-P", required=True, help="file to write the port to")
    ap.add_argument("-l", required=True, help="the request log")
    a = ap.parse_args()
    logf = open(a.l, "a")
    srv = Server(("127.0.0.1", 0), Handler)
    with open(a.P + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(a.P + ".tmp", a.P)
    srv.serve_forever()


if __name__ == "__main__":
    main()
