#!/usr/bin/python3
"""A small W3C WebDriver client (standard library only) and the runner of
the console's browser scenarios (tests/browser/scenarios/NN_name.py),
driven by tests/integration/86_console.sh.

    webdriver.py BASE SHOTDIR SERVER [SCENARIO ...]   (stdin: admin token)

starts chromedriver on a free local port and headless Chromium with a
fresh profile (--no-sandbox when root), then runs each scenario module's
run(t) in file-name order (or only those named), in one browser.  A
scenario runs under every server when it sets ALL_SERVERS = True, else
only under lighttpd (the tour scenario proves every page under Apache and
shared hosting).  Output is one line per assertion, "ok NAME" or
"not ok NAME: DETAIL", which the shell test turns into its own lines; a
scenario that raises is a "not ok" with the exception and where it was
raised, and the runner goes on with the next.  The last line is "ok all
N scenarios ran" only when every selected scenario ran to its end (the
shell test fails without it).

After each scenario the runner fails it on every browser console message
of level SEVERE (CSP violations and failed requests included) and every
request the page made that was answered >= 400, except the 401 of GET
/api/session that tells the page nobody is signed in and what the
scenario declared with t.allow(status, path).  Screenshots: t.shot(name)
writes SHOTDIR/NN-scenario-name.png.

What a scenario gets (class T): t.wd (the Session), t.check(name, cond,
detail), t.base, t.token (admin), t.api(method, path, body, token) for
setup over HTTP, t.user_token(owner, permissions), t.signin(token),
t.signout(), t.open(hash) (navigates the console and waits until the
page root's data-hash is that hash and it is data-ready; the same hash
again renders the page anew), t.sink() (a local HTTP receiver: status per path, requests
recorded), t.emu(vendor) (tests/emu/VENDOR.py on a free port), t.worker(
program, *args) (runs bin/hookpost-deliver or hookpost-challenge once, as
the stack's user), t.run_id (unique per run), t.probe (the stored-XSS
string), t.no_injection(where), t.must(what, js, timeout) (a wait
whose outcome is a check) and t.phone(name, css) (a screenshot at 390 px,
the page not scrolling sideways).  t.open reports a page that never rendered.
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

ENTER = "\ue007"


class WebDriverError(Exception):
    pass


class Session:
    """One chromedriver process and one browser session."""

    def __init__(self, chromium="/usr/bin/chromium",
                 driver="/usr/bin/chromedriver"):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.profile = tempfile.mkdtemp(prefix="hookpost-chromium-")
        self.proc = subprocess.Popen(
            [driver, "--port=%d" % self.port, "--allowed-ips=127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = "http://127.0.0.1:%d" % self.port
        for _ in range(100):
            try:
                self._call("GET", "/status")
                break
            except (OSError, WebDriverError):
                time.sleep(0.05)
        else:
            self.close()
            raise WebDriverError("chromedriver did not start")
        args = ["--headless=new", "--disable-gpu", "--window-size=1280,900",
                "--disable-dev-shm-usage", "--no-first-run",
                "--disable-extensions", "--user-data-dir=" + self.profile]
        if os.getuid() == 0:
            args.append("--no-sandbox")
        caps = {"browserName": "chrome",
                "unhandledPromptBehavior": "ignore",
                "goog:chromeOptions": {"binary": chromium, "args": args},
                "goog:loggingPrefs": {"browser": "ALL"}}
        v = self._call("POST", "/session",
                       {"capabilities": {"alwaysMatch": caps}})
        self.sid = v["sessionId"]

    def _call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        rq = urllib.request.Request(self.base + path, data=data,
                                    method=method)
        if data is not None:
            rq.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(rq, timeout=30) as r:
                v = json.load(r)
        except urllib.error.HTTPError as e:
            try:
                v = json.load(e)
            except ValueError:
                v = {"value": {"error": "http %d" % e.code}}
        v = v.get("value")
        if isinstance(v, dict) and "error" in v:
            raise WebDriverError("%s: %s" % (v["error"],
                                            str(v.get("message", ""))[:300]))
        return v

    def cmd(self, method, path, body=None):
        return self._call(method, "/session/%s%s" % (self.sid, path), body)

    def get(self, url):
        self.cmd("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync",
                        {"script": script, "args": list(args)})

    def find(self, css):
        v = self.cmd("POST", "/element", {"using": "css selector",
                                          "value": css})
        return next(iter(v.values()))

    def type(self, el, text):
        self.cmd("POST", "/element/%s/value" % el, {"text": text})

    def wait(self, script, timeout=8.0, *args):
        """Polls until the script returns a true value; returns it."""
        end = time.time() + timeout
        while True:
            v = self.js(script, *args)
            if v or time.time() > end:
                return v
            time.sleep(0.05)

    def alert_text(self):
        """The text of an open alert/confirm/prompt, or None."""
        try:
            return self.cmd("GET", "/alert/text")
        except WebDriverError as e:
            if str(e).startswith("no such alert"):
                return None
            raise

    def log(self):
        return self.cmd("POST", "/se/log", {"type": "browser"})

    def screenshot(self, path):
        png = base64.b64decode(self.cmd("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)

    def close(self):
        try:
            if getattr(self, "sid", None):
                self.cmd("DELETE", "")
        except (OSError, WebDriverError):
            pass
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        shutil.rmtree(self.profile, ignore_errors=True)




class Report:
    def __init__(self):
        self.failed = 0

    def check(self, name, cond, detail=""):
        if cond:
            print("ok %s" % name)
        else:
            self.failed += 1
            print("not ok %s: %s" % (name, repr(detail)[:1500]))
        sys.stdout.flush()


# Requests the page made that were answered >= 400 (Resource Timing's
# responseStatus), the navigation included.  The entries belong to the
# document: T.get collects them before every navigation.
FAILED_REQUESTS = """
return performance.getEntriesByType('navigation')
    .concat(performance.getEntriesByType('resource'))
    .filter(e => e.responseStatus >= 400 || e.responseStatus === 0)
    .map(e => e.responseStatus + ' ' + e.name);
"""

# Elements that are not the page's own: an injected <img>, <iframe>,
# <object>, <embed>, <svg>, a script other than console.js, or any on*
# attribute anywhere.
INJECTED = """
const bad = [];
for (const el of document.querySelectorAll('*')) {
    const t = el.tagName.toLowerCase();
    if (['img', 'iframe', 'object', 'embed', 'svg'].includes(t))
        bad.push(t);
    if (t === 'script' && !/\\/console\\.js$/.test(el.src))
        bad.push('script');
    for (const a of el.attributes)
        if (/^on/i.test(a.name)) bad.push(t + '[' + a.name + ']');
}
return bad;
"""

# The stored-XSS probe: what scenarios put in every free-text field.
PROBE = "<img src=x onerror=alert(1)>"


class Sink:
    """A local HTTP receiver in a thread: answers each path with the
    status set in .status (default 200, body {"ok":true}), or with what
    .reply[path](method, path, headers, body) returns as (status, bytes);
    records (method, path, headers, body) in .requests."""

    def __init__(self):
        import http.server
        import threading
        sink = self
        self.status = {}
        self.reply = {}
        self.requests = []

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                sink.requests.append((self.command, self.path,
                                      dict(self.headers), body))
                path = self.path.split("?")[0]
                if path in sink.reply:
                    code, out = sink.reply[path](self.command, self.path,
                                                 dict(self.headers), body)
                else:
                    code = sink.status.get(path, 200)
                    out = (b'{"ok":true}' if code < 400 else
                           b'{"error":"refused"}')
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = _any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class T:
    """One run: the browser, the report and what scenarios share."""

    def __init__(self, wd, rep, base, token, shots, server):
        self.wd, self.rep, self.base, self.token = wd, rep, base, token
        self.shots, self.server = shots, server
        self.top = os.environ.get("TOP", os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "..", ".."))
        self.run_id = "%s%d" % (server.replace("-", ""), int(time.time()))
        self.probe = PROBE
        self.scenario = "run"
        self.nshot = 0
        self.allowed = []
        self.failed_requests = []
        self.closers = []

    def check(self, name, cond, detail=""):
        self.rep.check(name, cond, detail)
        return cond

    # --- setup over HTTP ---------------------------------------------
    def api(self, method, path, body=None, token=None):
        """(status, parsed JSON or None) of one API call."""
        data = None if body is None else json.dumps(body).encode()
        rq = urllib.request.Request(self.base + path, data=data,
                                    method=method)
        rq.add_header("Authorization", "Bearer " + (token or self.token))
        if data is not None:
            rq.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(rq, timeout=30) as r:
                raw, code = r.read(), r.status
        except urllib.error.HTTPError as e:
            raw, code = e.read(), e.code
        try:
            return code, json.loads(raw) if raw else None
        except ValueError:
            return code, None

    def user_token(self, owner, permissions=None):
        body = {"role": "user", "owner_id": owner}
        if permissions:
            body["permissions"] = permissions
        code, v = self.api("POST", "/api/tokens", body)
        if code != 201:
            raise WebDriverError("user token: %d %r" % (code, v))
        return v["token"]

    def sink(self):
        s = Sink()
        self.closers.append(s.close)
        return s

    def emu(self, vendor):
        """Starts tests/emu/VENDOR.py; returns its base URL."""
        log = tempfile.NamedTemporaryFile(prefix="hookpost-emu-",
                                          delete=False)
        log.close()
        for _ in range(10):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            s.close()
            p = subprocess.Popen(["/usr/bin/python3", os.path.join(
                self.top, "tests", "emu", vendor + ".py"), "-p", str(port),
                "-l", log.name], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
            url = "http://127.0.0.1:%d" % port
            for _ in range(40):
                try:
                    urllib.request.urlopen(url + "/_emu/state", timeout=2)
                    self.closers.append(lambda p=p: (p.terminate(), p.wait()))
                    return url
                except OSError:
                    if p.poll() is not None:
                        break
                    time.sleep(0.05)
            p.kill()
            p.wait()
        raise WebDriverError("emulator %s did not start" % vendor)

    def worker(self, program, *args):
        """Runs bin/PROGRAM once (e.g. "hookpost-deliver", "-1", "-n",
        "x") as the stack's user; returns its exit status."""
        cmd = "%s env HOOKPOST_CONFIG=%s HOOKPOST_RETRY_JITTER=0 %s %s" % (
            os.environ.get("RUNAS", ""),
            os.environ.get("HOOKPOST_CONFIG", ""),
            os.path.join(self.top, "bin", program),
            " ".join("'%s'" % a.replace("'", "") for a in args))
        try:
            return subprocess.call(["sh", "-c", cmd],
                                   stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, timeout=120)
        except subprocess.TimeoutExpired:
            raise WebDriverError("%s %s did not end within 120 s" %
                                 (program, " ".join(args)))

    # --- the browser -------------------------------------------------
    def get(self, url):
        """Navigates (a new document): the old one's failed requests are
        collected first."""
        self.collect()
        self.wd.get(url)

    def collect(self):
        """Takes the failed requests seen so far and clears the resource
        entries (the console stays one document across scenarios)."""
        try:
            for f in self.wd.js(FAILED_REQUESTS) or []:
                if f not in self.failed_requests:
                    self.failed_requests.append(f)
            self.wd.js("performance.clearResourceTimings();")
        except WebDriverError:
            pass

    def allow(self, status, path):
        """A request the scenario makes fail on purpose (a refusal the
        page shows): "STATUS BASE+PATH" is not a failure."""
        self.allowed.append("%d %s%s" % (status, self.base, path))

    def signed_in(self):
        return self.wd.js("return !document.getElementById('who').hidden;")

    def signin(self, token=None):
        """From the sign-in form (focused), types the token and presses
        Enter; returns [role, owner] once a page is shown."""
        wd = self.wd
        if self.signed_in():
            self.signout()
        wd.wait("return document.activeElement.id === 'token';")
        wd.type(wd.find("#token"), (token or self.token) + ENTER)
        return wd.wait("const w = document.getElementById('who');"
                       "const p = document.querySelector('#page .page');"
                       "return !w.hidden && p && p.dataset.ready === '1' && "
                       "[document.getElementById('who-role').textContent,"
                       " document.getElementById('who-owner').textContent];",
                       10.0)

    def signout(self):
        wd = self.wd
        wd.js("document.getElementById('signout').focus();")
        wd.type(wd.find("#signout"), ENTER)
        return wd.wait("return !document.getElementById('signin').hidden;")

    def open(self, hash, timeout=10.0):
        """Goes to #/HASH in the console and waits until the page root
        says it rendered that very hash (data-hash) and has loaded
        (data-ready); returns True when it did.  When the console is on
        that hash already, the page is rendered anew (a hashchange)."""
        want = self.wd.js(
            "const h = arguments[0];"
            "const p = document.querySelector('#page .page');"
            "if (p) delete p.dataset.ready;"
            "if (location.hash === h ||"
            "    decodeURIComponent(location.hash) === h) {"
            "  window.dispatchEvent(new HashChangeEvent('hashchange'));"
            "} else { location.hash = h; }"
            "return location.hash;", "#/" + hash.lstrip("#/"))
        ok = bool(self.wd.wait(
            "const p = document.querySelector('#page .page');"
            "return p && p.dataset.hash === arguments[0] && "
            "p.dataset.ready === '1';", timeout, want))
        if not ok:
            self.check("%s: %s rendered and ready" % (self.scenario, want),
                       False, self.wd.js(
                           "const p = document.querySelector('#page .page');"
                           "return p && [p.dataset.hash, p.dataset.ready];"))
        return ok

    def must(self, what, script, timeout=8.0, *args):
        """wd.wait, checked: waits for the script to return a true value
        and reports "ok WHAT" or "not ok WHAT"; returns the value."""
        v = self.wd.wait(script, timeout, *args)
        self.check("%s: %s" % (self.scenario, what), bool(v), v)
        return v

    def phone(self, name, show=None):
        """A screenshot at phone width (390 px), scrolled to the element
        show (a CSS selector) if given, checking that the page itself does
        not scroll sideways; then back to the laptop size."""
        self.wd.cmd("POST", "/window/rect", {"width": 390, "height": 844})
        self.must("the window is phone-wide",
                  "return window.innerWidth <= 400;")
        if show:
            self.wd.js("document.querySelector(arguments[0])"
                       ".scrollIntoView();", show)
        wide = self.wd.js("const d = document.documentElement;"
                          "return d.scrollWidth - d.clientWidth;")
        self.check("%s at 390 px: the page does not scroll sideways" % name,
                   wide is not None and wide <= 0, wide)
        self.shot(name.replace(" ", "-") + "-phone")
        self.wd.cmd("POST", "/window/rect", {"width": 1280, "height": 900})
        self.must("the window is laptop-wide again",
                  "return window.innerWidth > 1000;")

    def shot(self, name):
        self.nshot += 1
        self.wd.screenshot(os.path.join(self.shots, "%03d-%s-%s.png" % (
            self.nshot, self.scenario, name)))

    def no_injection(self, where):
        inj = self.wd.js(INJECTED)
        self.check("%s: no element or handler injected by the probe" %
                   where, inj == [], inj)
        al = self.wd.alert_text()
        self.check("%s: no dialog opened" % where, al is None, al)

    def text(self, css):
        """The textContent of the first element matching css, or None."""
        return self.wd.js("const e = document.querySelector(arguments[0]);"
                          "return e ? e.textContent : null;", css)

    def click(self, css):
        """Focuses the element and presses Enter (keyboard use)."""
        self.wd.js("document.querySelector(arguments[0]).focus();", css)
        self.wd.type(self.wd.find(css), ENTER)

    def fill(self, css, value):
        """Clears a field and types into it."""
        self.wd.js("const e = document.querySelector(arguments[0]);"
                   "e.value = ''; e.focus();", css)
        self.wd.type(self.wd.find(css), value)

    # --- after each scenario -----------------------------------------
    def finish_scenario(self, name):
        self.collect()
        expected = self.base + "/api/session"
        fails = [f for f in self.failed_requests
                 if f != "401 " + expected and f not in self.allowed]
        self.check("%s: no failed request (beyond those it expects)" % name,
                   fails == [], fails)
        log = self.wd.log()
        bad = []
        for e in log:
            if e.get("level") != "SEVERE":
                continue
            m = e.get("message", "")
            if e.get("source") == "network" and any(
                    m.startswith(a.split(" ", 1)[1] + " - ") and
                    ("status of %s" % a.split(" ", 1)[0]) in m
                    for a in self.allowed + ["401 " + expected]):
                continue
            bad.append(m)
        self.check("%s: no browser console error" % name, bad == [], bad)
        al = self.wd.alert_text()
        self.check("%s: no dialog left open" % name, al is None, al)
        self.failed_requests = []
        self.allowed = []

    def close(self):
        for c in reversed(self.closers):
            try:
                c()
            except Exception:
                pass


def scenarios(only):
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "scenarios")
    sys.path.insert(0, here)
    names = sorted(f[:-3] for f in os.listdir(here)
                   if f.endswith(".py") and f[0].isdigit())
    if only:
        names = [n for n in names if n.split("_", 1)[1] in only or n in only]
    return names


def main():
    if len(sys.argv) < 4:
        print("usage: webdriver.py BASE SHOTDIR SERVER [SCENARIO ...] "
              "<admin-token", file=sys.stderr)
        return 2
    base, shots, server = sys.argv[1:4]
    token = sys.stdin.readline().strip()
    os.makedirs(shots, exist_ok=True)
    rep = Report()
    try:
        wd = Session()
    except (OSError, WebDriverError) as e:
        print("not ok the browser started: %s" % e)
        return 1
    t = T(wd, rep, base, token, shots, server)
    import importlib
    only = sys.argv[4:]
    names = scenarios(only)
    ran = failed = 0
    for o in only:
        if not any(n.split("_", 1)[1] == o or n == o for n in names):
            t.check("scenario %s exists" % o, False, "no such scenario")
            failed += 1
    try:
        for name in names:
            t.scenario = name.split("_", 1)[1]
            try:
                mod = importlib.import_module(name)
            except Exception as e:
                t.check("%s: the scenario loads" % t.scenario, False,
                        why(e))
                failed += 1
                continue
            if server != "lighttpd" and not getattr(mod, "ALL_SERVERS",
                                                    False):
                continue
            ran += 1
            try:
                mod.run(t)
            except Exception as e:
                failed += 1
                t.check("%s: the scenario ran to its end" % t.scenario,
                        False, why(e))
                try:
                    t.shot("error")
                except Exception:
                    pass
            try:
                t.finish_scenario(t.scenario)
            except Exception as e:
                failed += 1
                t.check("%s: its requests and console were checked" %
                        t.scenario, False, why(e))
    finally:
        t.close()
        wd.close()
    if failed == 0:
        print("ok all %d scenarios ran" % ran)
    return 1 if rep.failed else 0


def why(e):
    """An exception as a line: its type, message and the last frames."""
    tb = traceback.extract_tb(e.__traceback__)[-3:]
    where = " <- ".join("%s:%d %s" % (os.path.basename(f.filename),
                                      f.lineno, f.name)
                        for f in reversed(tb))
    return "%s: %s (at %s)" % (type(e).__name__, e, where)


if __name__ == "__main__":
    sys.exit(main())
