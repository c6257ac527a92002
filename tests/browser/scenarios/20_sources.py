"""Sources (seed 004): register a source from the page (the stored-XSS
probe in its severity mapping, the one free-text field a source has); its
generated secret shown once, really the one that verifies, and gone after a
reload; rotate it through the confirmation dialog (Escape cancels), the old
secret refused and the new one taken; disable (a test event then answers
403 webhook_disabled) and enable; send a test event signed server-side and
see the 200 answer; follow it to the incident; delete a source through the
dialog.  A user token: the API refuses it the sources, and the page says
so without any admin control."""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from webdriver import ENTER

READY = ("const p = document.querySelector('#page .page');"
         "return p && p.dataset.ready === '1' && ")

# The dd values of a definition list by key, under css.
KV = """
const r = {};
for (const dd of document.querySelectorAll(arguments[0] + ' dd'))
    r[dd.dataset.k] = dd.textContent;
return r;
"""


def send(t, name, secret, body):
    """POSTs body to the receiver signed with secret, as a sender would:
    (status, parsed answer)."""
    raw = json.dumps(body).encode()
    ts = str(int(time.time()))
    sig = hmac.new(secret.encode(), ts.encode() + b"." + raw,
                   hashlib.sha256).hexdigest()
    rq = urllib.request.Request(t.base + "/api/webhooks/" + name, data=raw,
                                method="POST")
    rq.add_header("Content-Type", "application/json")
    rq.add_header("X-Webhook-Timestamp", ts)
    rq.add_header("X-Webhook-Signature", "sha256=" + sig)
    try:
        with urllib.request.urlopen(rq, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.load(e)
        except ValueError:
            return e.code, None


def start(t):
    """On the console, signed in as the admin, whatever the scenario
    before left (or when run alone)."""
    wd = t.wd
    if not wd.js("return !!document.getElementById('who');"):
        t.get(t.base + "/console/")
    t.must("the console shows the sign-in form or a page", "return !document.getElementById('signin').hidden || "
           "!document.getElementById('who').hidden;", 10.0)
    if not t.signed_in() or t.text("#who-role") != "admin":
        t.signin()


def reload(t, hash=""):
    """Loads the console afresh (the session stays) on #/HASH, or on its
    home page: the refusals the scenario provoked are collected while
    still allowed, and the next scenario starts on a fresh document."""
    # Another URL than the current one (not only its #), so a real load.
    t.get(t.base + "/console/" + ("?fresh=%d#/%s" % (time.time(), hash)
                                  if hash else ""))
    t.must("the console loaded afresh and the page is ready", READY + "true;", 10.0)


def alert(tag):
    return {"eventType": "PhishingEmail", "id": "check-%s-%s" % (
        tag, time.time()), "creationTime": "2026-01-15T10:00:00Z",
        "severity": "medium", "category": "Phish", "entityType": "Email",
        "data": {"sender": "check@sender.example",
                 "subject": "secret check %s" % tag}}


def run(t):
    wd = t.wd
    start(t)
    name = "console-src-%s" % t.run_id
    t.open("sources")
    t.check("the sources page is headed Sources",
            t.text("#page .page h2") == "Sources", t.text("#page .page h2"))
    labels = wd.js("return [...document.querySelectorAll('form.register "
                   "label')].map(l => l.textContent);")
    t.check("the register form's fields are labelled", labels[:4] == [
        "Name", "Format", "Mode", "Playbook"] and
        "Severity mapping (JSON, optional)" in labels, labels)

    # Register: typed in, selects set as a keyboard would leave them.
    t.fill("form.register [name=source]", name)
    wd.js("const f = document.querySelector('form.register');"
          "f.format.value = 'defender'; f.playbook.value = 'phishing_triage';"
          "f.auto_triage.checked = true;")
    t.fill("form.register [name=severity_mapping]",
           json.dumps({t.probe: "high", "Sev 1": "critical"}))
    t.shot("register-form")
    t.click("form.register button[type=submit]")
    got = wd.wait("const c = document.querySelector('.source-created "
                  "[data-secret]');"
                  "return c && [c.textContent, document.querySelector("
                  "'.source-created .warning').textContent];", 10.0)
    secret = got[0] if got else ""
    t.check("registered: the generated secret is shown once, with a warning",
            bool(got) and secret.startswith("whsec_") and
            "shown this once" in got[1], [got, t.text("form.register")])
    row = wd.wait("const r = document.querySelector('#source-rows "
                  "tr[data-source=\"' + arguments[0] + '\"]');"
                  "return r && [...r.cells].map(c => c.textContent);",
                  5.0, name)
    t.check("the list shows the new source (format, mode, playbook, "
            "auto-triage, enabled, never rotated)",
            bool(row) and row[:7] == [name, "defender", "sync",
                                      "phishing_triage", "yes", "yes",
                                      "never"], row)
    code, v = send(t, name, secret, alert("shown"))
    t.check("the secret shown is the one the receiver verifies (200)",
            code == 200 and v.get("status") == "accepted", [code, v])
    t.shot("registered")

    # Hide / Show by keyboard: the secret is masked, then shown again.
    t.click(".source-created .secret button.toggle")
    hidden = t.text(".source-created [data-secret]")
    t.click(".source-created .secret button.toggle")
    t.check("Hide masks the secret, Show shows it again",
            secret not in hidden and
            t.text(".source-created [data-secret]") == secret, hidden)

    # A reload: the secret is nowhere.
    reload(t, "sources")
    back = wd.wait(READY + "document.querySelector('#source-rows');", 10.0)
    shown = wd.js("return [document.body.textContent.includes(arguments[0]),"
                  " document.querySelectorAll('[data-secret]').length];",
                  secret)
    t.check("after a reload the secret is not shown again",
            bool(back) and shown == [False, 0], [back, shown])

    # The source's own view, by keyboard from its row.
    t.click("#source-rows tr[data-source=\"%s\"] a" % name)
    ok = wd.wait(READY + "document.querySelector('.source-detail[data-"
                 "source=\"' + arguments[0] + '\"]');", 10.0, name)
    kv = wd.js(KV, ".source-settings")
    t.check("the source's view: its settings", bool(ok) and
            kv.get("Receiver") == "POST /api/webhooks/" + name and
            kv.get("Enabled") == "yes" and kv.get("Format") == "defender" and
            kv.get("Playbook") == "phishing_triage" and
            kv.get("Secret rotated") == "never", [ok, kv])
    mapping = sorted((kv.get("Severity mapping") or "").split("; "))
    t.check("the probe in the severity mapping is shown as text",
            mapping == sorted(["%s → high" % t.probe, "Sev 1 → critical"]),
            kv.get("Severity mapping"))
    t.no_injection("source view")
    t.check("the view shows no secret",
            wd.js("return document.querySelectorAll('[data-secret]').length"
                  " === 0 && !document.body.textContent.includes('whsec_');"))
    t.shot("detail")

    # Rotate: Escape cancels, then confirmed with the keyboard.
    t.click("button.rotate")
    dlg = wd.wait("const d = document.querySelector('dialog.confirm');"
                  "return d && d.open && [d.querySelector('p').textContent,"
                  " document.activeElement.textContent];")
    t.check("Rotate asks first, the focus on Cancel", bool(dlg) and
            dlg[0].startswith("Rotate the secret of " + name) and
            dlg[1] == "Cancel", dlg)
    t.shot("rotate-confirm")
    wd.type(wd.find("dialog.confirm .confirm-cancel"), "\ue00c")  # Escape
    gone = wd.wait("return !document.querySelector('dialog.confirm');")
    t.check("Escape cancels: no dialog, no new secret", gone and
            wd.js("return !document.querySelector('.secret-once "
                  "[data-secret]');") and
            wd.js(KV, ".source-settings").get("Secret rotated") == "never")
    t.click("button.rotate")
    t.must("the dialog has the focus on Cancel", "return document.activeElement.classList.contains("
           "'confirm-cancel');")
    t.click("dialog.confirm .confirm-ok")
    got = wd.wait("const c = document.querySelector('.secret-once "
                  "[data-secret]');"
                  "return c && [c.textContent, document.querySelector("
                  "'.secret-once .warning').textContent];", 10.0)
    new = got[0] if got else ""
    t.check("rotated: the new secret shown once, with a warning",
            bool(got) and new.startswith("whsec_") and new != secret and
            "shown this once" in got[1], got)
    kv = wd.js(KV, ".source-settings")
    t.check("the settings say when the secret was rotated",
            kv.get("Secret rotated", "never") not in ("never", "—"), kv)
    code, v = send(t, name, secret, alert("old"))
    code2, v2 = send(t, name, new, alert("new"))
    t.check("the old secret is refused (401 invalid_signature), the new "
            "one taken (200)", code == 401 and
            v["error"]["code"] == "invalid_signature" and code2 == 200,
            [code, v, code2, v2])
    t.shot("rotated")

    # Disable: a test event is refused, and the page shows it.
    t.click("button.toggle-enabled")
    dis = wd.wait("const b = document.querySelector('button.toggle-enabled');"
                  "return b.textContent === 'Enable' && b;", 10.0)
    kv = wd.js(KV, ".source-settings")
    t.check("Disable: the source is disabled, the button says Enable, "
            "said in the status line", bool(dis) and
            kv.get("Enabled") == "no" and t.text(".action-status") ==
            "Source %s disabled: its receiver answers 403 webhook_disabled."
            % name, [kv, t.text(".action-status")])
    t.check("the rotated secret stays shown until the page is left",
            t.text(".secret-once [data-secret]") == new)
    t.allow(403, "/api/webhooks/" + name)
    t.click("button.send-test")
    res = wd.wait("const r = {};"
                  "for (const dd of document.querySelectorAll("
                  "'.test-answer dd')) r[dd.dataset.k] = dd.textContent;"
                  "return r['Status code'] && r;", 10.0)
    t.check("a test event to a disabled source: 403 webhook_disabled shown",
            bool(res) and res.get("Status code") == "403" and
            "(webhook_disabled)" in res.get("Error", ""), res)
    t.shot("disabled")
    t.click("button.toggle-enabled")
    en = wd.wait("return document.querySelector('button.toggle-enabled')"
                 ".textContent === 'Disable';", 10.0)
    t.check("Enable: enabled again", en and
            wd.js(KV, ".source-settings").get("Enabled") == "yes")

    # The test event: the prefilled sample, signed by the server.
    sample = json.loads(wd.js("return document.querySelector("
                              "'.test-event textarea').value;"))
    t.check("the test event is prefilled with a Defender sample",
            sample.get("eventType") == "PhishingEmail" and
            sample["data"].get("subject") == "Urgent Action Required",
            sample)
    t.click("button.send-test")
    res = wd.wait("const r = {};"
                  "for (const dd of document.querySelectorAll("
                  "'.test-answer dd')) r[dd.dataset.k] = dd.textContent;"
                  "return r['Status code'] === '200' && r;", 10.0)
    answer = wd.js("const p = document.querySelector('.test-answer pre');"
                   "return p && JSON.parse(p.textContent);") or {}
    t.check("the test event is accepted: 200, accepted, its incident "
            "number; the JSON answer shown",
            bool(res) and res.get("Status") == "accepted" and
            res.get("Incident", "").startswith("INC-") and
            answer.get("incident_number") == res.get("Incident"),
            [res, answer])
    wd.js("document.querySelector('.test-answer').scrollIntoView();")
    t.shot("test-event")
    t.click(".test-answer a.incident-link")
    ok = wd.wait(READY + "document.querySelector('.incident-detail');", 10.0)
    t.check("the link opens the incident it made",
            bool(ok) and wd.js("return document.querySelector("
                               "'.incident-detail').dataset.id;") ==
            answer.get("incident_id") and
            wd.js("return location.hash;") == "#/incidents/" +
            str(answer.get("incident_id")), wd.js("return location.hash;"))
    t.shot("incident")

    # Delete, through the dialog: a source made for it.
    gone_name = "console-del-%s" % t.run_id
    code, v = t.api("POST", "/api/webhooks", {"source": gone_name})
    t.check("setup: a source to delete", code == 201, v)
    t.open("sources/" + gone_name)
    t.click("button.delete")
    t.must("Delete asks first (a dialog)", "return document.querySelector('dialog.confirm');")
    t.shot("delete-confirm")
    t.click("dialog.confirm .confirm-ok")
    ok = wd.wait(READY + "location.hash === '#/sources' && "
                 "document.querySelector('#source-rows');", 10.0)
    rows = wd.js("return [...document.querySelectorAll('#source-rows tr')]"
                 ".map(r => r.dataset.source);")
    t.check("deleted: back on the list, its row gone",
            bool(ok) and gone_name not in rows and name in rows, rows)
    code, v = t.api("GET", "/api/webhooks/" + gone_name)
    t.check("deleted in the API too (404)", code == 404, [code, v])
    wd.cmd("POST", "/window/rect", {"width": 390, "height": 900})
    over = wd.wait("return document.documentElement.scrollWidth <= "
                   "document.documentElement.clientWidth;", 3.0)
    t.check("the list at phone width: no sideways scroll of the page", over,
            wd.js("return document.documentElement.scrollWidth;"))
    t.shot("list-phone")
    wd.cmd("POST", "/window/rect", {"width": 1280, "height": 900})

    # A queued source: the test event answers 202, no incident yet.
    qname = "console-q-%s" % t.run_id
    code, v = t.api("POST", "/api/webhooks", {"source": qname,
                                              "mode": "queue",
                                              "format": "generic"})
    t.check("setup: a queued source", code == 201, v)
    t.open("sources/" + qname)
    t.click("button.send-test")
    res = wd.wait("const r = {};"
                  "for (const dd of document.querySelectorAll("
                  "'.test-answer dd')) r[dd.dataset.k] = dd.textContent;"
                  "return r['Status code'] && r;", 10.0) or {}
    t.check("a queued source's test event: 202 queued, its queue id, no "
            "incident link yet", res.get("Status code") == "202" and
            res.get("Status") == "queued" and
            len(res.get("Queued as", "")) == 36 and
            wd.js("return !document.querySelector('.incident-link');"), res)
    wd.js("document.querySelector('.test-answer').scrollIntoView();")
    t.shot("queued")

    # Paging, one a page (two sources at least): by name.
    t.open("sources?limit=1")
    first = wd.js("return [...document.querySelectorAll('#source-rows tr')]"
                  ".map(r => r.dataset.source);")
    seen = list(first)
    for _ in range(200):
        if not wd.js("return [...document.querySelectorAll('.paging a')]"
                     ".some(a => a.textContent === 'Next page');"):
            break
        wd.js("window.hpOld = document.querySelector('#page .page');")
        t.click(".paging a:last-child")
        t.must("Next page renders the next page", READY + "p !== window.hpOld;", 10.0)
        seen += wd.js("return [...document.querySelectorAll('#source-rows "
                      "tr')].map(r => r.dataset.source);")
    code, v = t.api("GET", "/api/webhooks?limit=200")
    names = [x["source"] for x in v["data"]] if code == 200 else None
    t.check("one a page, Next page to the end: every source once, by name",
            len(first) == 1 and seen == names and name in seen,
            [first, seen, names])
    links = wd.js("return [location.hash, [...document.querySelectorAll("
                  "'.paging a')].map(a => a.textContent)];")
    t.check("past the first page: a First page link",
            "First page" in links[1], links)

    # A user token: sources are the admin's; the API says no, the page
    # says so and offers nothing an admin would.
    owner = "console-user-%s" % t.run_id
    utoken = t.user_token(owner)
    t.open("sources")
    who = t.signin(utoken)
    t.check("a user token signs in", bool(who) and who[0] == "user", who)
    t.allow(403, "/api/webhooks?limit=50")
    t.open("sources")
    view = wd.js("return [document.querySelector('#page .note') && "
                 "document.querySelector('#page .note').textContent,"
                 " !!document.querySelector('#source-rows'),"
                 " !!document.querySelector('form.register'),"
                 " document.body.textContent.includes(arguments[0])];", name)
    t.check("the user sees no source: the API's refusal said, no list, no "
            "register form", bool(view) and view[0] is not None and
            view[0].startswith("Only an admin can see sources") and
            view[1:] == [False, False, False], view)
    t.shot("user")
    t.signin()
    reload(t)
