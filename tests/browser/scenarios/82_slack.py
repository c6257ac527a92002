"""Integrations, Slack (seed 003): "Add integration" → Slack, the form
made from GET /api/integrations/types (the webhook URL a password field),
against the Slack emulator (tests/emu/slack.py); the detail shows the URL
only as its hint; Test connection → delivered; an event emitted and sent
by the worker is in the delivery log; a revoked webhook (the emulator
scripted to answer 403 invalid_token) shows the failure's reason and the
integration disabled.  The stored-XSS probe in name and description."""

import json
import urllib.request

# The detail of one integration: its settings (dd by key), the test
# result (dd by key), the delivery log's rows.
DETAIL = """
const p = document.querySelector('.integration');
if (!p) return null;
const kv = (sel) => { const o = {};
    for (const dd of p.querySelectorAll(sel + ' dd')) o[dd.dataset.k] = dd.textContent;
    return o; };
return {id: p.dataset.id, name: p.querySelector('h3').textContent,
        meta: p.querySelector('.meta').textContent,
        settings: kv('dl.settings'), result: kv('.test-result'),
        loaded: p.querySelector('table.log tbody').children.length > 0 ||
                !p.querySelector('.log-empty').hidden,
        rows: [...p.querySelectorAll('table.log tbody tr')].map(r =>
                [...r.cells].map(c => c.textContent)),
        links: [...p.querySelectorAll('table.log tbody tr a')].map(a =>
                a.getAttribute('href'))};
"""


def detail(t, cond, timeout=10.0):
    return t.wd.wait("const p = (function(){%s})();"
                     "return p && (%s) && p;" % (DETAIL, cond), timeout)


def emu_script(base, path, answers):
    rq = urllib.request.Request(base + "/_emu/script", data=json.dumps(
        {"path": path, "answers": answers}).encode(), method="POST")
    urllib.request.urlopen(rq, timeout=5).read()


def run(t):
    wd = t.wd
    slack = t.emu("slack")
    token = "Xk%s" % t.run_id[-12:].replace("-", "")
    token = (token + "abcdefgh12345678")[:24]
    path = "/services/T0HOOKPOST/B0CONSOLE/" + token
    hook_url = slack + path
    # Tags are stripped on write (seed 003's stripHtmlTags); the escaped
    # form survives and must reach the page as those very characters.
    esc = "&lt;img src=x onerror=alert(1)&gt;"
    name = "slack %s %s %s" % (t.run_id, esc, t.probe)

    if not t.signed_in():
        t.signin()
    t.open("integrations")
    t.click("button.add-integration")
    ok = wd.wait("return location.hash === '#/integrations/new' && "
                 "document.querySelector('.page').dataset.ready === '1' && "
                 "document.getElementById('integration-type') !== null;")
    t.check("Add integration opens the type choice", bool(ok))
    opts = wd.js("return [...document.querySelectorAll("
                 "'#integration-type option')].map(o => o.value);")
    t.check("every type is offered (from the types route)",
            opts == ["", "webhook", "slack", "pagerduty", "teams", "jira",
                     "servicenow", "email"], opts)
    t.shot("choose-type")
    # Every type's form is made from its settings in the types route:
    # one labelled control per setting, secrets as password fields.
    code, types = t.api("GET", "/api/integrations/types")
    bad = []
    for ty in (types or {}).get("data", []):
        if ty["type"] == "jira":
            continue
        wd.js("const s = document.getElementById('integration-type');"
              "s.value = arguments[0]; s.dispatchEvent(new Event('change'));",
              ty["type"])
        got = wd.wait("const f = document.querySelector('form.create');"
                      "return f && f.dataset.type === arguments[0] && "
                      "[...f.querySelectorAll('fieldset.settings label')]"
                      ".map(l => [l.textContent.replace(' (optional)', ''),"
                      " document.getElementById(l.htmlFor).type]);",
                      8.0, ty["type"])
        want = [[x["label"], "password" if x["secret"] and
                 x["type"] == "string" else
                 {"boolean": "checkbox", "integer": "number",
                  "enum": "select-one"}.get(x["type"], "textarea"
                  if x["type"] == "object" else "text")]
                for x in ty["settings"]]
        if got != want:
            bad.append([ty["type"], got, want])
    t.check("every type's form: a labelled control per setting of the "
            "types route, secrets as password fields", code == 200 and
            not bad, bad)
    wd.js("const s = document.getElementById('integration-type');"
          "s.focus(); s.value = 'slack';"
          "s.dispatchEvent(new Event('change'));")
    f = wd.wait("const f = document.querySelector('form.create');"
                "const u = f && f.querySelector('input[name=webhook_url]');"
                "return u && {type: u.type, required: u.required,"
                " label: f.querySelector('label[for=\"' + u.id + '\"]')"
                ".textContent, title: f.querySelector('h3').textContent};")
    t.check("the Slack form: the webhook URL a required password field, "
            "labelled", f == {"type": "password", "required": True,
                              "label": "Incoming webhook URL",
                              "title": "New Slack integration"}, f)
    t.fill("form.create input[name=name]", name)
    t.fill("form.create textarea[name=description]",
           "desc %s %s %s" % (t.run_id, esc, t.probe))
    t.fill("form.create input[name=webhook_url]", hook_url)
    wd.js("for (const c of document.querySelectorAll("
          "'form.create input[name=events]'))"
          " c.checked = c.value === 'sync.completed';")
    wd.js("const s = document.querySelector("
          "'form.create select[name=severity_threshold]');"
          "s.value = ''; s.dispatchEvent(new Event('change'));")
    t.shot("form")
    t.click("form.create button[type=submit]")
    d = detail(t, "p.loaded", 15.0)
    t.check("Create: the integration's detail opens, the name as stored "
            "(tags stripped, escapes kept)",
            bool(d) and d["name"] == "slack %s %s" % (t.run_id, esc) and
            wd.js("return location.hash;") == "#/integrations/" + d["id"], d)
    if not d:
        return
    sid = d["id"]
    s = d["settings"]
    t.check("its settings: type, enabled, events, the URL as its hint only",
            s.get("Type") == "Slack" and s.get("Enabled") == "yes" and
            s.get("Events") == "sync.completed" and
            s.get("Incoming webhook URL") == "…" + token[-4:], s)
    txt = t.text("#page")
    t.check("the webhook URL's token is nowhere on the page",
            token not in txt, txt[:300])
    t.check("the escaped markup in name and description shows as text",
            txt.count(esc) >= 2 and
            ("desc %s %s" % (t.run_id, esc)) in txt, txt[:300])
    t.no_injection("slack detail")
    t.shot("detail")

    t.click(".integration button.test")
    d = detail(t, "p.result.OK && p.rows.length > 0", 15.0)
    t.check("Test connection: ok, delivered, 200, no failed step",
            bool(d) and d["result"] == {
                "OK": "yes", "Outcome": "delivered", "Status code": "200",
                "Failed step": "—", "Error": "—"}, d)
    t.check("the test delivery in the log (integration.test, delivered, "
            "200, 1 attempt), linked to its delivery",
            bool(d) and d["rows"][0][1:] == ["integration.test", "delivered",
                                             "200", "1", ""] and
            d["links"][0].startswith("#/deliveries/"), d)
    wd.js("document.querySelector('.integration .test-result, "
          ".integration table.log').scrollIntoView();")
    t.shot("test-ok")

    code, v = t.api("POST", "/api/events", {
        "event_type": "sync.completed", "object_type": "sync",
        "object_id": "S-%s" % t.run_id,
        "data": {"title": "Sync %s %s" % (t.run_id, t.probe),
                 "severity": "high"}})
    t.check("setup: an event emitted (202)", code == 202, v)
    rc = t.worker("hookpost-deliver", "-1", "-n", "x")
    t.check("the worker ran (exit status 0)", rc == 0, rc)
    t.open("integrations")
    t.open("integrations/" + sid)
    d = detail(t, "p.rows.length >= 2")
    t.check("the event's delivery heads the log (sync.completed, "
            "delivered, 200)",
            bool(d) and d["rows"][0][1:4] == ["sync.completed", "delivered",
                                              "200"], d)
    st = json.load(urllib.request.urlopen(slack + "/_emu/state", timeout=5))
    t.check("the emulator accepted the test and the event",
            st.get("accepted") == 2, st)
    wd.js("document.querySelector('.integration .test-result, "
          ".integration table.log').scrollIntoView();")
    t.shot("delivered")

    # A revoked webhook: Slack answers 403 invalid_token.
    code, v = t.api("POST", "/api/integrations", {
        "type": "slack", "name": "revoked %s" % t.run_id,
        "events": ["sync.failed"], "config": {"webhook_url": hook_url}})
    t.check("setup: a second Slack integration", code == 201, v)
    bad = v["id"]
    emu_script(slack, "/services/", [{"status": 403,
                                       "body": "invalid_token"}])
    t.open("integrations/" + bad)
    t.click(".integration button.test")
    d = detail(t, "p.result.OK && p.rows.length > 0", 15.0)
    t.check("the page says the integration was disabled",
            (t.text(".integration .test-result .gone") or "").endswith(
                "hookpost has disabled it."), t.text(".integration"))
    t.check("Test connection shows the failure: no, gone, 403, "
            "HTTP 403: invalid_token",
            bool(d) and d["result"] == {
                "OK": "no", "Outcome": "gone", "Status code": "403",
                "Failed step": "—", "Error": "HTTP 403: invalid_token"}, d)
    t.check("the failed test in the log with its reason",
            bool(d) and len(d["rows"]) == 1 and
            d["rows"][0][1:] == ["integration.test", "failed", "403", "1",
                                 "HTTP 403: invalid_token"], d)
    wd.js("document.querySelector('.integration .test-result, "
          ".integration table.log').scrollIntoView();")
    t.shot("test-failed")
    t.open("integrations")
    row = wd.js("const r = document.querySelector("
                "'#integrations-rows tr[data-id=\"' + arguments[0] + '\"]');"
                "return r && [...r.cells].map(c => c.textContent);", bad)
    t.check("the list shows it disabled (a dead webhook)",
            row == ["revoked %s" % t.run_id, "slack", "disabled", "no"], row)
    wd.cmd("POST", "/window/rect", {"width": 390, "height": 844})
    t.open("integrations/" + bad)
    d = detail(t, "p.loaded")
    over = wd.js("return document.documentElement.scrollWidth > "
                 "document.documentElement.clientWidth;")
    t.check("at 390 px the detail does not scroll sideways; it shows the "
            "integration disabled", over is False and bool(d) and
            d["settings"].get("Status") == "disabled", [over, d])
    wd.js("document.querySelector('.integration table.log')"
          ".scrollIntoView();")
    t.shot("detail-phone")
    wd.cmd("POST", "/window/rect", {"width": 1280, "height": 900})

    # Edit: a new name, the secret left blank (kept).
    t.open("integrations/" + sid)
    t.click(".integration button.edit")
    u = wd.wait("const f = document.querySelector('.edit-form');"
                "const u = f && !f.closest('.edit-box').hidden && "
                "f.querySelector('input[name=webhook_url]');"
                "return u && [u.type, u.value, u.required];")
    t.check("Edit: the webhook URL blank (a password field, optional)",
            u == ["password", "", False], u)
    t.fill(".edit-form input[name=name]", "slack edited %s" % t.run_id)
    t.shot("edit")
    t.click(".edit-form button[type=submit]")
    d = detail(t, "p.name === 'slack edited %s'" % t.run_id)
    t.check("saved: the new name, the webhook URL unchanged",
            bool(d) and d["settings"].get("Incoming webhook URL") ==
            "…" + token[-4:], d)

    # Enable / disable and delete from the detail.
    t.click(".integration button.toggle")
    d = detail(t, "p.settings.Enabled === 'no' && "
                  "document.activeElement.textContent === 'Enable'")
    t.check("Disable: the detail shows it disabled, the focus on Enable",
            bool(d) and d["meta"] == "Slack, disabled" and
            wd.js("return document.activeElement.textContent;") == "Enable",
            d)
    t.click(".integration button.delete")
    wd.wait("return document.querySelector('dialog.confirm') !== null;")
    t.shot("delete-confirm")
    t.click("dialog.confirm button.confirm-ok")
    ok = wd.wait("return location.hash === '#/integrations' && "
                 "document.querySelector('.page').dataset.ready === '1';")
    code, _ = t.api("GET", "/api/integrations/" + sid)
    t.check("Delete (confirmed) removes it and returns to the list",
            bool(ok) and code == 404, code)
    t.api("DELETE", "/api/integrations/" + bad)
