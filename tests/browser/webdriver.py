#!/usr/bin/python3
"""A small W3C WebDriver client (standard library only) and the console's
browser scenarios, driven by tests/integration/86_console.sh.

    webdriver.py console BASE PROBE SHOTDIR HOOK_ID USER_NAME
        (stdin: the admin token, then a user token's, one a line)

starts chromedriver on a free local port, headless Chromium with a fresh
profile (--no-sandbox when root), runs the scenario and prints one line per
assertion, "ok NAME" or "not ok NAME: DETAIL", which the shell test turns
into its own ok/fail lines.  Every console message of level SEVERE (which
includes CSP violations and failed requests) and every request answered
>= 400 fails the run, except the 401 of the first GET /api/session that
tells the page nobody is signed in.  Screenshots of each page go to
SHOTDIR.  HOOK_ID is an admin's webhook integration whose URL answers 200
(Test connection must deliver); USER_NAME the name of the only integration
the user token (role user, manage_settings, another owner) may see.
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
# responseStatus), the navigation included.
FAILED_REQUESTS = """
return performance.getEntriesByType('navigation')
    .concat(performance.getEntriesByType('resource'))
    .filter(e => e.responseStatus >= 400 || e.responseStatus === 0)
    .map(e => e.responseStatus + ' ' + e.name);
"""

# Elements that are not the page's own: an injected <img>, <script>,
# <iframe>, <svg> or any on* attribute.
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


def signin(wd, token):
    """Types the token into the focused sign-in field and presses Enter;
    returns [role, owner] once the integrations page shows."""
    wd.wait("return document.activeElement.id === 'token';")
    wd.type(wd.find("#token"), token + ENTER)
    return wd.wait("const w = document.getElementById('who');"
                   "const t = document.getElementById('integrations');"
                   "return !w.hidden && !t.hidden && "
                   "[document.getElementById('who-role').textContent,"
                   " document.getElementById('who-owner').textContent];")


def signout(wd):
    wd.js("document.getElementById('signout').focus();")
    wd.type(wd.find("#signout"), ENTER)
    return wd.wait("return !document.getElementById('signin').hidden;")


# The part of the integrations page of one integration, by id: its name,
# whether its delivery log has loaded, the log's rows, the test result.
PART = """
const p = document.querySelector('.integration[data-id="' + arguments[0] + '"]');
if (!p) return null;
const res = {};
for (const dd of p.querySelectorAll('.test-result dd'))
    res[dd.dataset.k] = dd.textContent;
return {name: p.querySelector('h3').textContent,
        button: p.querySelector('button.test').textContent,
        loaded: p.querySelector('tbody').children.length > 0 ||
                !p.querySelector('.log-empty').hidden,
        rows: [...p.querySelectorAll('tbody tr')].map(r =>
                [...r.cells].map(c => c.textContent)),
        result: res};
"""


def integrations_scenario(wd, rep, base, token, utoken, hook, uname, shots):
    """/admin/integrations, Test connection and the delivery log as the
    admin; then a user token's view.  Returns the failed requests seen."""
    wd.get(base + "/admin/integrations")
    url = wd.js("return location.pathname + location.hash;")
    rep.check("/admin/integrations opens /console/#/integrations",
              url == "/console/#/integrations", url)
    who = signin(wd, token)
    rep.check("signed in from /admin/integrations: the integrations page",
              who == ["admin", "(none)"] and
              wd.js("return location.hash;") == "#/integrations",
              "%r; page: %r" % (who, wd.js("return document.body.innerText")))
    part = wd.wait("const p = (function(){%s}).apply(null, arguments);"
                   "return p && p.loaded && p;" % PART, 8.0, hook)
    rep.check("the webhook's part: its name, Test connection and an empty "
              "delivery log", bool(part) and part["button"] ==
              "Test connection" and part["rows"] == [], part)

    # Keyboard: focus the button, Enter presses it.
    sel = '.integration[data-id="%s"] button.test' % hook
    wd.js("document.querySelector(arguments[0]).focus();", sel)
    wd.type(wd.find(sel), ENTER)
    got = wd.wait("const p = (function(){%s}).apply(null, arguments);"
                  "return p && p.result.OK && p.rows.length > 0 && p;" %
                  PART, 15.0, hook)
    res = got and got["result"]
    rep.check("Test connection shows ok, delivered, 200, no error",
              bool(res) and res == {"OK": "yes", "Outcome": "delivered",
                                    "Status code": "200", "Error": "—"},
              got)
    rows = got["rows"] if got else []
    rep.check("the delivery log shows the test delivery (integration.test, "
              "delivered, 200, 1 attempt, no error)",
              len(rows) == 1 and rows[0][0] != "" and
              rows[0][1:] == ["integration.test", "delivered", "200", "1",
                              ""], rows)
    foc = wd.js("const a = document.activeElement;"
                "return a.classList.contains('test') && "
                "a.closest('.integration').dataset.id;")
    rep.check("the focus stays on Test connection", foc == hook, foc)
    wd.js("document.querySelector(arguments[0]).closest('.integration')"
          ".scrollIntoView();", sel)
    wd.screenshot(os.path.join(shots, "04-integrations-test.png"))
    fails = wd.js(FAILED_REQUESTS)

    # A user token (role user, manage_settings, another owner): only its
    # owner's integration, as the API decides.
    rep.check("signed out of the admin's session", signout(wd))
    who = signin(wd, utoken)
    rep.check("a user token signs in (role user)",
              bool(who) and who[0] == "user", who)
    wd.wait("return document.querySelectorAll('#integrations-rows tr')"
            ".length > 0 && [...document.querySelectorAll('.integration')]"
            ".every(p => p.querySelector('tbody').children.length > 0 || "
            "!p.querySelector('.log-empty').hidden);")
    names = wd.js("return [[...document.querySelectorAll("
                  "'#integrations-rows tr')].map(r => r.cells[0].textContent),"
                  " [...document.querySelectorAll('.integration')].map("
                  "p => p.dataset.id)];")
    rep.check("the user sees only its own integration",
              names[0] == [uname] and hook not in names[1] and
              len(names[1]) == 1, names)
    wd.screenshot(os.path.join(shots, "05-user-integrations.png"))
    rep.check("the user signs out", signout(wd))
    fails += wd.js(FAILED_REQUESTS)
    return fails


def console_scenario(base, token, probe, shots, utoken="", hook="",
                     uname=""):
    rep = Report()
    os.makedirs(shots, exist_ok=True)
    wd = Session()
    try:
        wd.get(base + "/console/")
        rep.check("the sign-in form is shown",
                  wd.wait("const f = document.getElementById('signin');"
                          "return f && !f.hidden && "
                          "document.activeElement.id === 'token';"),
                  wd.js("return document.body.innerText"))
        lab = wd.js("const l = document.querySelector('label[for=token]');"
                    "return l ? l.textContent : null;")
        rep.check("the token field is labelled", lab == "API token", lab)
        wd.screenshot(os.path.join(shots, "01-signin.png"))

        # Keyboard only: the field has the focus, Enter submits.
        wd.type(wd.find("#token"), token + ENTER)
        who = wd.wait("const w = document.getElementById('who');"
                      "const t = document.getElementById('integrations');"
                      "return !w.hidden && !t.hidden && "
                      "[document.getElementById('who-role').textContent,"
                      " document.getElementById('who-owner').textContent];")
        rep.check("signed in: the role and owner are shown",
                  who == ["admin", "(none)"],
                  "%r; page: %r" % (who, wd.js("return document.body.innerText")))
        stored = wd.js("return [localStorage.length, sessionStorage.length,"
                       " document.cookie];")
        rep.check("no token in localStorage, sessionStorage or a script-"
                  "readable cookie", stored == [0, 0, ""], stored)
        rows = wd.js("return [...document.querySelectorAll("
                     "'#integrations-rows tr')].map(r => "
                     "[...r.cells].map(c => c.textContent));") or []
        mine = [r for r in rows if probe in r[0]]
        rep.check("the integration list shows the probe's row as text "
                  "(name, type, status)",
                  len(mine) == 1 and mine[0][1:] == ["webhook", "active"],
                  rows)
        txt = wd.js("return document.getElementById('integrations')"
                    ".textContent;")
        rep.check("the probe's escaped markup is shown as those very "
                  "characters", "&lt;img src=x onerror=alert(1)&gt;" in txt,
                  txt[:500])
        wd.screenshot(os.path.join(shots, "02-integrations.png"))
        inj = wd.js(INJECTED)
        rep.check("no element or handler was injected", inj == [], inj)
        al = wd.alert_text()
        rep.check("no dialog opened", al is None, al)

        # Sign out with the keyboard: the button has the focus.
        foc = wd.js("return document.activeElement.id;")
        rep.check("the sign-out button has the focus after sign-in",
                  foc == "signout", foc)
        wd.type(wd.find("#signout"), ENTER)
        back = wd.wait("return !document.getElementById('signin').hidden &&"
                       " document.getElementById('who').hidden &&"
                       " document.getElementById('integrations-rows')"
                       ".children.length === 0;")
        rep.check("signed out: the sign-in form again, the list gone",
                  back, wd.js("return document.body.innerText"))
        wd.screenshot(os.path.join(shots, "03-signed-out.png"))
        fails = wd.js(FAILED_REQUESTS)
        # The reload proves the cookie is gone server-side too.
        wd.get(base + "/console/")
        again = wd.wait("return !document.getElementById('signin').hidden;")
        rep.check("after a reload the session is gone", again)
        fails += wd.js(FAILED_REQUESTS)
        fails += integrations_scenario(wd, rep, base, token, utoken, hook,
                                       uname, shots)

        expected = base + "/api/session"
        fails = [f for f in fails if f != "401 " + expected]
        rep.check("no failed request (beyond the first GET /api/session "
                  "401)", fails == [], fails)
        log = wd.log()
        first = [e for e in log
                 if e.get("source") == "network" and
                 e.get("message", "").startswith(expected + " - ") and
                 "status of 401" in e.get("message", "")]
        # Proves the log is read at all: the one expected entry is there.
        rep.check("the browser log holds the first GET /api/session 401",
                  len(first) >= 1, log)
        errs = [e for e in log
                if e.get("level") == "SEVERE" and e not in first]
        rep.check("no browser console error", errs == [],
                  [e.get("message") for e in errs])
        al = wd.alert_text()
        rep.check("still no dialog at the end", al is None, al)
    except WebDriverError as e:
        rep.check("the browser scenario ran", False, e)
        try:
            wd.screenshot(os.path.join(shots, "99-error.png"))
        except (OSError, WebDriverError):
            pass
    finally:
        wd.close()
    return rep.failed


def main():
    if len(sys.argv) != 7 or sys.argv[1] != "console":
        print("usage: webdriver.py console BASE PROBE SHOTDIR HOOK_ID "
              "USER_NAME <tokens", file=sys.stderr)
        return 2
    token = sys.stdin.readline().strip()
    utoken = sys.stdin.readline().strip()
    try:
        return 1 if console_scenario(sys.argv[2], token, sys.argv[3],
                                     sys.argv[4], utoken, sys.argv[5],
                                     sys.argv[6]) else 0
    except (OSError, WebDriverError) as e:
        print("not ok the browser started: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
