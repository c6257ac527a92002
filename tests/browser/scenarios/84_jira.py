"""Integrations, Jira (seed 003's five steps) against the Jira emulator
(tests/emu/jira.py): 1 Connection (a required field stops Next), 2 Project
mapping (the seed's severity table filled in), 3 Field mapping, 4 Test
connection: a wrong API token fails at "authentication" (the steps after
it not reached) and step 5 is refused (Next and its tab, said so); once
saved the token leaves the page (blank keeps it); fixed from step 1 (the
API version emptied there: removed, sent as null) an unknown project
fails at "project" (fixed from step 2), a Jira answering 503 is blamed
on no step, then every step passes; 5 Enable auto-creation with a
severity threshold; the detail shows the token as its hint only; a critical finding emitted and sent by the worker opens an
issue that the Tickets table lists and links.  Keyboard: Next, Back and
the buttons are pressed with Enter.  The stored-XSS probe in name and
description; a screenshot at phone width."""

import json
import secrets
import urllib.request

STEPPER = """
const w = document.querySelector('.stepper');
if (!w) return null;
const vis = [...w.querySelectorAll('section.step')].filter(s => !s.hidden);
const res = {};
for (const dd of w.querySelectorAll('.test-result dd')) res[dd.dataset.k] = dd.textContent;
return {step: vis.length === 1 ? vis[0].dataset.step : null,
        current: (w.querySelector('ol.steps button[aria-current=step]') || {}).textContent,
        tabs: [...w.querySelectorAll('ol.steps button')].map(b => b.textContent),
        heading: vis.length === 1 ? vis[0].querySelector('h3').textContent : null,
        focus: document.activeElement && document.activeElement.textContent,
        status: w.querySelector('.form-status').textContent,
        result: res,
        fates: [...w.querySelectorAll('.test-steps li')].map(l =>
                [l.dataset.step, l.dataset.fate]),
        id: w.dataset.id || null};
"""

DETAIL = """
const p = document.querySelector('.integration');
if (!p) return null;
const kv = {};
for (const dd of p.querySelectorAll('dl.settings dd')) kv[dd.dataset.k] = dd.textContent;
const tk = p.querySelector('table.tickets');
return {id: p.dataset.id, name: p.querySelector('h3').textContent,
        settings: kv,
        rows: [...p.querySelectorAll('table.log tbody tr')].map(r =>
                [...r.cells].map(c => c.textContent)),
        tickets: tk ? [...tk.tBodies[0].rows].map(r =>
                [...r.cells].map(c => c.textContent)) : null,
        ticket_links: tk ? [...tk.querySelectorAll('tbody a')].map(a =>
                a.getAttribute('href')) : null};
"""


def stepper(t, cond="true", timeout=8.0):
    return t.wd.wait("const s = (function(){%s})();"
                     "return s && (%s) && s;" % (STEPPER, cond), timeout)


def detail(t, cond="true", timeout=10.0):
    return t.wd.wait("const p = (function(){%s})();"
                     "return p && (%s) && p;" % (DETAIL, cond), timeout)


def post(url, body):
    rq = urllib.request.Request(url, data=json.dumps(body).encode(),
                                method="POST")
    return urllib.request.urlopen(rq, timeout=5).read()


def run(t):
    wd = t.wd
    jira = t.emu("jira")
    email = "bot-%s@acme.example" % t.run_id
    token = "ATATT" + secrets.token_hex(16)
    wrong = "ATATT" + secrets.token_hex(16)
    post(jira + "/_jira/user", {"email": email, "api_token": token})
    # Tags are stripped on write; the escaped form must show as text.
    esc = "&lt;img src=x onerror=alert(1)&gt;"
    name = "jira %s %s %s" % (t.run_id, esc, t.probe)
    S = ".stepper section.step[data-step='%d'] "

    if not t.signed_in():
        t.signin()
    t.open("integrations/new/jira")
    s = stepper(t)
    t.check("Jira opens as the seed's five steps, step 1 shown",
            bool(s) and s["tabs"] == [
                "1. Connection", "2. Project mapping", "3. Field mapping",
                "4. Test connection", "5. Enable auto-creation"] and
            s["step"] == "1" and s["current"] == "1. Connection" and
            s["heading"] == "Step 1 of 5: Connection", s)
    labels = wd.js("return [...document.querySelectorAll("
                   "\".stepper section.step[data-step='1'] label\")].map("
                   "l => [l.textContent, document.getElementById(l.htmlFor)"
                   ".type]);")
    t.check("step 1's fields, labelled: URL, email, API token (a password "
            "field), the token of Data Center", labels[:6] == [
                ["Name", "text"], ["Description (optional)", "textarea"],
                ["Jira URL", "text"], ["Email (Jira Cloud)", "text"],
                ["API token (Jira Cloud)", "password"],
                ["Personal access token (Data Center)", "password"]], labels)
    gh = t.text(S % 1 + "p.group-hint")
    t.check("step 1 says one credential is required",
            gh.startswith("One credential is required: email and API token"),
            gh)
    t.fill(S % 1 + "input[name=name]", name)
    t.fill(S % 1 + "textarea[name=description]",
           "desc %s %s %s" % (t.run_id, esc, t.probe))
    t.fill(S % 1 + "input[name=email]", email)
    t.fill(S % 1 + "input[name=api_token]", wrong)
    t.fill(S % 1 + "input[name=api_version]", "3")
    t.click(".stepper button.next")
    s = stepper(t)
    inv = wd.js("const a = document.activeElement;"
                "return [a.name, a.validity.valueMissing];")
    t.check("Next with the Jira URL empty stays on step 1, the URL field "
            "focused as missing", bool(s) and s["step"] == "1" and
            inv == ["url", True], [s, inv])
    t.fill(S % 1 + "input[name=url]", jira)
    t.no_injection("jira step 1")
    t.shot("step1-connection")
    t.click(".stepper button.next")
    s = stepper(t, "s.step === '2'")
    t.check("Next: step 2, its heading focused",
            bool(s) and s["current"] == "2. Project mapping" and
            s["focus"] == "Step 2 of 5: Project mapping", s)
    rows = wd.js("return [...document.querySelectorAll("
                 "'table.mapping tbody tr')].map(r => [r.cells[0].textContent,"
                 " r.cells[1].firstChild.value, r.cells[2].firstChild.value,"
                 " r.cells[1].firstChild.getAttribute('aria-label')]);")
    t.check("the seed's mapping filled in: severity → issue type, priority",
            rows == [["critical", "Bug", "Highest", "critical: issue type"],
                     ["high", "Bug", "High", "high: issue type"],
                     ["medium", "Task", "Medium", "medium: issue type"],
                     ["low", "Task", "Low", "low: issue type"],
                     ["info", "Task", "Lowest", "info: issue type"]], rows)
    t.fill(S % 2 + "input[name=project_key]", "SEC")
    t.shot("step2-project-mapping")
    wd.cmd("POST", "/window/rect", {"width": 390, "height": 844})
    over = wd.js("return document.documentElement.scrollWidth > "
                 "document.documentElement.clientWidth;")
    t.check("at 390 px the page does not scroll sideways", over is False,
            over)
    wd.js("document.querySelector('table.mapping').scrollIntoView();")
    t.shot("step2-phone")
    wd.cmd("POST", "/window/rect", {"width": 1280, "height": 900})
    t.click(".stepper button.next")
    s = stepper(t, "s.step === '3'")
    t.check("step 3: field mapping", bool(s), s)
    t.fill(S % 3 + "input[name='fields.labels']", "secops, $.data.module")
    t.fill(S % 3 + "input[name='fields.components']", "Backend")
    t.shot("step3-field-mapping")
    t.click(".stepper button.next")
    s = stepper(t, "s.step === '4'")
    t.check("step 4: test connection", bool(s), s)

    # The wrong token: authentication fails; nothing after it is tried.
    t.click(".stepper button.test")
    s = stepper(t, "s.result.OK && s.fates.length", 20.0)
    t.check("a wrong token: the test names the failed step, authentication",
            bool(s) and s["result"] == {
                "OK": "no", "Outcome": "failed", "Status code": "401",
                "Failed step": "authentication",
                "Error": "authentication: HTTP 401: Client must be "
                         "authenticated to access this resource."}, s)
    t.check("the steps: authentication failed, the others not reached",
            bool(s) and s["fates"] == [
                ["authentication", "failed"], ["project", "not reached"],
                ["issue type", "not reached"],
                ["permission", "not reached"]], s)
    jid = s and s["id"]
    code, v = t.api("GET", "/api/integrations/%s" % jid)
    t.check("saved, not yet enabled",
            code == 200 and v["enabled"] is False and
            v["config"]["api_token"] == "…" + wrong[-4:] and
            v["config"].get("api_version") == 3, v)
    wd.js("document.querySelector('.stepper .test-result').scrollIntoView();")
    t.shot("step4-test-failed")

    # A failed test: step 5 is not reachable, by Next or by its tab.
    t.click(".stepper button.next")
    s = stepper(t, "s.status.startsWith('Step 5 needs')")
    t.check("after a failed test, Next is refused and says why",
            bool(s) and s["step"] == "4" and s["status"] ==
            "Step 5 needs a test that passed with these settings: fix what "
            "the test names, then test again (step 4).", s)
    t.click(".stepper ol.steps li:nth-child(5) button")
    s = stepper(t)
    t.check("... and so is the tab of step 5", bool(s) and s["step"] == "4",
            s)
    # The token left the page once saved: blank keeps the stored one.
    tok = wd.js("const i = document.querySelector(\"" + S % 1 +
                "input[name=api_token]\");"
                "return [i.value, i.required, document.getElementById("
                "i.getAttribute('aria-describedby')).textContent];")
    t.check("once saved, the token field is empty, its hint the stored "
            "token's last 4", tok[0] == "" and tok[1] is False and
            ("Set (…%s); leave blank to keep it." % wrong[-4:]) in tok[2],
            tok)

    # Back to step 1 (the failure's own link), fix the token, test again.
    fix = t.text(".stepper .test-result button.fix-step")
    t.check("the failure links to where it is fixed",
            fix == "Fix it in step 1: Connection", fix)
    t.click(".stepper .test-result button.fix-step")
    s = stepper(t, "s.step === '1'")
    t.check("it goes back to step 1, its heading focused", bool(s) and
            s["focus"] == "Step 1 of 5: Connection", s)
    t.fill(S % 1 + "input[name=api_token]", token)
    t.fill(S % 1 + "input[name=api_version]", "")
    t.click(".stepper button.next")
    stepper(t, "s.step === '2'")
    t.fill(S % 2 + "input[name=project_key]", "NOPE")
    for n in (3, 4):
        t.click(".stepper button.next")
        stepper(t, "s.step === '%d'" % n)
    t.click(".stepper button.test")
    s = stepper(t, "s.result['Failed step'] === 'project'", 20.0)
    t.check("an unknown project: the test names the step project (404)",
            bool(s) and s["result"].get("Status code") == "404" and
            s["fates"] == [["authentication", "passed"],
                           ["project", "failed"],
                           ["issue type", "not reached"],
                           ["permission", "not reached"]], s)
    fix = t.text(".stepper .test-result button.fix-step")
    t.check("... fixed in step 2", fix == "Fix it in step 2: Project "
            "mapping", fix)
    t.shot("step4-project-failed")
    t.click(".stepper .test-result button.fix-step")
    stepper(t, "s.step === '2'")
    t.fill(S % 2 + "input[name=project_key]", "SEC")
    for n in (3, 4):
        t.click(".stepper button.next")
        stepper(t, "s.step === '%d'" % n)
    # Jira busy (503): no step is to blamed, the page says so.
    post(jira + "/_emu/script", {"path": "/rest/api/3/myself", "answers": [
        {"status": 503, "body": "maintenance"}]})
    t.click(".stepper button.test")
    s = stepper(t, "s.result['Status code'] === '503'", 20.0)
    na = t.text(".stepper .test-result p.no-answer")
    t.check("a 503: no failed step, no fix link, 'did not answer'",
            bool(s) and s["result"].get("Failed step") == "—" and
            wd.js("return document.querySelector('.stepper .test-result "
                  "button.fix-step');") is None and
            na.startswith("The service did not answer as expected") and
            s["status"].startswith("The test failed: Jira did not answer"),
            [s, na])
    # A changed URL: the stored token is never sent to it; the page asks
    # for it again (the API's 400 secret_required, provoked here).
    t.allow(400, "/api/integrations/%s" % jid)
    t.click(".stepper ol.steps li:nth-child(1) button")
    stepper(t, "s.step === '1'")
    t.fill(S % 1 + "input[name=url]", jira + "/jira")
    for n in (2, 3, 4):
        t.click(".stepper button.next")
        stepper(t, "s.step === '%d'" % n)
    t.click(".stepper button.test")
    s = stepper(t, "s.step === '1' && s.status.startsWith('The Jira URL')")
    foc = wd.js("return document.activeElement.name;")
    t.check("a changed URL without the token: back to step 1, said so, the "
            "token field focused", bool(s) and s["status"] ==
            "The Jira URL changed: enter the API token (or personal access "
            "token) again in step 1. hookpost never sends a stored secret "
            "to a new address." and foc == "api_token", [s, foc])
    t.shot("step1-secret-required")
    t.fill(S % 1 + "input[name=url]", jira)
    for n in (2, 3, 4):
        t.click(".stepper button.next")
        stepper(t, "s.step === '%d'" % n)
    t.click(".stepper button.test")
    s = stepper(t, "s.result.OK === 'yes'", 20.0)
    t.check("the right token: ok, delivered, 204 (the test issue deleted)",
            bool(s) and s["result"] == {
                "OK": "yes", "Outcome": "delivered", "Status code": "204",
                "Failed step": "—", "Error": "—"} and s["id"] == jid, s)
    t.check("every step passed",
            bool(s) and s["fates"] == [
                ["authentication", "passed"], ["project", "passed"],
                ["issue type", "passed"], ["permission", "passed"]], s)
    st = json.load(urllib.request.urlopen(jira + "/_emu/state", timeout=5))
    t.check("no test issue left in Jira", st.get("issues") == [] and
            len(st.get("deleted", [])) == 1, st)
    code, v = t.api("GET", "/api/integrations/%s" % jid)
    t.check("the API version emptied in step 1 was removed (sent as null); "
            "the token kept from the field", code == 200 and
            "api_version" not in v["config"] and
            v["config"]["api_token"] == "…" + token[-4:], v)
    wd.js("document.querySelector('.stepper .test-result').scrollIntoView();")
    t.shot("step4-test-ok")

    t.click(".stepper button.next")
    s = stepper(t, "s.step === '5'")
    t.check("step 5 after the test passed, its heading focused",
            bool(s) and s["focus"] == "Step 5 of 5: Enable auto-creation", s)
    thr = wd.js("const s = document.querySelector(\"" + S % 5 +
                "select[name=auto_create_threshold]\");"
                "return [...s.options].map(o => o.value + '=' + o.text);")
    t.check("the threshold: the connector's default and the severities",
            thr == ["=Default (low)", "critical=critical", "high=high",
                    "medium=medium", "low=low", "info=info"], thr)
    wd.js("const s = document.querySelector(\"" + S % 5 +
          "select[name=auto_create_threshold]\"); s.value = 'high';")
    evs = wd.js("return [...document.querySelectorAll(\"" + S % 5 +
                "input[name=events]\")].filter(c => c.checked)"
                ".map(c => c.value);")
    t.check("a finding's events chosen by default",
            evs == ["finding.created", "finding.resolved",
                    "finding.status_changed"] or
            sorted(evs) == ["finding.created", "finding.resolved",
                            "finding.status_changed"], evs)
    t.shot("step5-auto-creation")
    t.click(".stepper button.finish")
    d = detail(t, "p.tickets !== null")
    t.check("Finish: the detail, enabled, the token as its hint only",
            bool(d) and d["id"] == jid and
            d["name"] == "jira %s %s" % (t.run_id, esc) and
            d["settings"].get("Enabled") == "yes" and
            d["settings"].get("Project key") == "SEC" and
            d["settings"].get("API token (Jira Cloud)") == "…" + token[-4:]
            and
            d["settings"].get("Create issues from severity") == "high", d)
    txt = t.text("#page")
    t.check("neither token is on the page; the escaped markup shows as "
            "text", token not in txt and wrong not in txt and
            ("desc %s %s" % (t.run_id, esc)) in txt, txt[:200])
    t.check("no tickets yet", bool(d) and d["tickets"] == [], d)
    t.no_injection("jira detail")
    t.shot("detail")

    oid = "F-%s" % t.run_id
    code, v = t.api("POST", "/api/events", {
        "event_type": "finding.created", "object_type": "finding",
        "object_id": oid,
        "data": {"title": "SQL injection %s %s" % (t.run_id, t.probe),
                 "severity": "critical", "module": "auth"}})
    t.check("setup: a critical finding emitted", code == 202, v)
    rc = t.worker("hookpost-deliver", "-1", "-n", "x")
    t.check("the worker ran (exit status 0)", rc == 0, rc)
    st = json.load(urllib.request.urlopen(jira + "/_emu/state", timeout=5))
    issues = st.get("issues") or []
    key = issues[0]["key"] if len(issues) == 1 else None
    t.check("Jira has the finding's issue (Bug, Highest, labels, "
            "component)", key is not None and
            issues[0]["issuetype"] == "Bug" and
            issues[0]["priority"] == "Highest" and
            "secops" in issues[0]["labels"] and "auth" in issues[0]["labels"]
            and issues[0]["components"] == ["Backend"], issues)
    t.open("integrations")
    t.open("integrations/" + jid)
    d = detail(t, "p.tickets && p.tickets.length > 0")
    t.check("the Tickets table lists it (object, key, open)",
            bool(d) and len(d["tickets"]) == 1 and
            d["tickets"][0][:3] == ["finding/" + oid, key, "open"], d)
    t.check("linked to Jira's /browse/ page",
            bool(d) and d["ticket_links"] == [jira + "/browse/" + str(key)],
            d)
    t.check("the delivery heads the log (finding.created, delivered)",
            bool(d) and d["rows"][0][1:3] == ["finding.created",
                                              "delivered"], d)
    t.no_injection("jira tickets")
    wd.js("document.querySelector('table.tickets').scrollIntoView();")
    t.shot("tickets")
    t.api("PUT", "/api/integrations/" + jid, {"enabled": False})
