"""
attempts: a receiver that misbehaves on purpose, for the attempt-log tests
(tests/integration/74_attempts.sh, issue 12).  Raw sockets, one thread per
connection, HTTP/1.1 keep-alive, so that a test controls exactly when a
connection dies.  What it answers depends on the path:

    /ok              200
    /reset-second    200 to the first request of a connection; the second
                     one is read whole, then the connection is reset (RST):
                     a reused connection that died before any answer
    /ra/N            503 with Retry-After: N to a delivery id's first
                     request, then 200
    /hang[/...]      no answer (the connection stays open)
    /_emu/state      200 {} (the harness's start_emu probe)

Each request is appended to LOGFILE as one JSON line: t (its arrival,
epoch seconds), path, id (X-Webhook-Delivery-Id), conn (the connection's
number), n (the request's number on it), and answered (epoch seconds the
answer was written, or null).

Run:  /usr/bin/python3 tests/emu/attempts.py -p PORT [-l LOGFILE]
Only the Python standard library is used.
"""
import getopt
import json
import socket
import struct
import sys
import threading
import time

LOG = None
LOCK = threading.Lock()
SEEN = {}
CONNS = [0]


def log(rec):
    if LOG is None:
        return
    with LOCK:
        with open(LOG, "a") as f:
            f.write(json.dumps(rec) + "\n")


def read_request(s, buf):
    """One request from s: (head, body, rest of buf), or None at EOF."""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            return None
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    n = int(hdrs.get("content-length", "0"))
    while len(buf) < n:
        d = s.recv(65536)
        if not d:
            return None
        buf += d
    return lines[0], hdrs, buf[:n], buf[n:]


def answer(s, status, extra=""):
    body = b"ok"
    s.sendall(("HTTP/1.1 %d X\r\nContent-Type: text/plain\r\n"
               "Content-Length: %d\r\n%s\r\n" % (status, len(body), extra))
              .encode() + body)


def serve(s):
    with LOCK:
        CONNS[0] += 1
        conn = CONNS[0]
    buf = b""
    n = 0
    try:
        while True:
            got = read_request(s, buf)
            if got is None:
                return
            line, hdrs, _body, buf = got
            n += 1
            path = line.split(" ")[1] if " " in line else "/"
            did = hdrs.get("x-webhook-delivery-id")
            rec = {"t": time.time(), "path": path, "id": did, "conn": conn,
                   "n": n, "answered": None}
            if path == "/_emu/state":
                answer(s, 200)
                continue
            if path.startswith("/hang"):
                log(rec)
                while s.recv(65536):
                    pass
                return
            if path == "/reset-second" and n == 2:
                log(rec)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
                return
            status, extra = 200, ""
            if path.startswith("/ra/"):
                with LOCK:
                    SEEN[did] = SEEN.get(did, 0) + 1
                    first = SEEN[did] == 1
                if first:
                    status = 503
                    extra = "Retry-After: %s\r\n" % path[4:]
            answer(s, status, extra)
            rec["answered"] = time.time()
            rec["status"] = status
            log(rec)
    except OSError:
        return
    finally:
        s.close()


def main():
    global LOG
    port = 0
    opts, _ = getopt.getopt(sys.argv[1:], "p:l:")
    for o, a in opts:
        if o == "-p":
            port = int(a)
        elif o == "-l":
            LOG = a
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    while True:
        s, _ = ls.accept()
        threading.Thread(target=serve, args=(s,), daemon=True).start()


if __name__ == "__main__":
    main()
