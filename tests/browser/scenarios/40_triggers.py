"""Triggers (seed 002 "Web UI Integration", "Phase 4"): a trigger created
from the page with the stored-XSS probe in its description; webhooks
turned on with the switch (keyboard); the URL copied; the key hidden, then
shown; Regenerate asks first (Cancel keeps the key), then the old key's URL
answers 404 and the new one 200; rate limit and IP allow list saved (and
their refusals shown); a test webhook accepted and seen in the event log
(paged) and its payload in the event's view; HMAC on shows its secret once,
the test is then signed on the server and accepted, and sent unsigned
refused 401 and counted in the stats; a
rotation key added and deleted; webhooks off; a user token sees only its
owner's triggers."""

import json
import re
import urllib.error
import urllib.request

VALUE = "const e = document.querySelector(arguments[0]);" \
        "return e ? e.textContent : null;"
READY = "const p = document.querySelector('#page .page');" \
        "return p && p.dataset.ready === '1' && location.hash === arguments[0]"


def post_hook(t, key, body):
    """(status, JSON) of a POST to a webhook URL, as an outside sender."""
    rq = urllib.request.Request(t.base + "/api/v1/webhooks/" + key,
                                data=json.dumps(body).encode(), method="POST")
    rq.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(rq, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, None


def dd(t, k):
    return t.text('.stats-list dd[data-k="%s"]' % k)


def webhook_key(t, ref):
    code, v = t.api("GET", "/api/v1/triggers/%s/webhook" % ref)
    return v["data"]["webhook_key"] if code == 200 else None


def dialog_open(t):
    return t.wd.wait("return !!document.querySelector('dialog.confirm[open]');")


def run(t):
    wd = t.wd
    ref = "console.t%s" % t.run_id
    tp = "/api/v1/triggers/" + ref
    desc = "xss-%s %s" % (t.run_id, t.probe)
    if not t.signed_in():
        t.signin()

    # --- the list and the create form ------------------------------------
    t.check("the triggers page loads", t.open("triggers"))
    t.check("its heading is Triggers", t.text("#page h2") == "Triggers",
            t.text("#page h2"))
    t.check("the create form has an owner field for an admin",
            wd.js("return !!document.querySelector("
                  "'#trigger-create input[name=owner_id]');"))
    t.allow(400, "/api/v1/triggers")
    t.fill("#trigger-create input[name=ref]", "Not A Ref")
    t.click("#trigger-create button[type=submit]")
    msg = wd.wait("const s = document.querySelector('#trigger-create .form-status');"
                  "return s.textContent && s.classList.contains('error') && "
                  "s.textContent;")
    t.check("a ref the API refuses: its error code in the form's status",
            bool(msg) and msg.startswith("Not created: ") and
            msg.endswith("(invalid_field)"), msg)
    t.fill("#trigger-create input[name=ref]", ref)
    t.fill("#trigger-create textarea[name=description]", desc)
    t.shot("create")
    t.click("#trigger-create button[type=submit]")
    t.check("Create trigger opens the new trigger's page",
            wd.wait(READY + " && document.querySelector('.trigger-ref')",
                    10.0, "#/triggers/" + ref), wd.js("return location.hash"))
    code, v = t.api("GET", tp)
    t.check("the API has the trigger with the probe as its description",
            code == 200 and v["data"]["description"] == desc, v)
    got = t.text('.trigger-meta dd[data-k="Description"]')
    t.check("the description is shown as text, the probe's very characters",
            got == desc, got)
    t.no_injection("trigger detail")
    sw = wd.js("const b = document.getElementById('webhook-switch');"
               "return [b.tagName, b.getAttribute('aria-pressed'), "
               "b.textContent];")
    t.check("the Webhooks switch is a button, not pressed, Off",
            sw == ["BUTTON", "false", "Off"], sw)
    t.check("no URL while webhooks are off",
            t.text("#webhook-url") is None)
    t.shot("detail-off")

    # --- webhooks on -------------------------------------------------------
    t.click("#webhook-switch")
    sw = wd.wait("const b = document.getElementById('webhook-switch');"
                 "return b && b.getAttribute('aria-pressed') === 'true' && "
                 "document.getElementById('webhook-url') && "
                 "[b.textContent, document.activeElement === b];")
    t.check("Enter on the switch turns webhooks on (pressed, On, focus "
            "kept)", sw == ["On", True], sw)
    key1 = webhook_key(t, ref)
    url = t.text("#webhook-url")
    t.check("the URL shown is the trigger's, with its wh_ key",
            bool(key1) and re.fullmatch(r"wh_[A-Za-z0-9]{32}", key1) and
            url == t.base + "/api/v1/webhooks/" + key1[:9] + "…",
            [url, key1])
    shown = t.text(".webhook-key code")
    t.check("the key is hidden by default", shown and key1 not in shown and
            set(shown) == {"•"}, shown)
    t.check("the page does not show the key anywhere while hidden (the "
            "URL shows its first 6 characters)",
            key1 not in wd.js("return document.body.innerText;"))
    url = t.base + "/api/v1/webhooks/" + key1
    warn = t.text(".webhook .warning")
    t.check("the seed's security warning is shown",
            warn == "Keep this key secret. Anyone with this key can trigger "
            "events. If compromised, regenerate immediately.", warn)
    t.shot("detail-on")

    # Copy URL: the clipboard where the browser lets us read it, else the
    # selection the fallback leaves.
    try:
        for perm in ("clipboard-read", "clipboard-write"):
            wd.cmd("POST", "/permissions", {"descriptor": {"name": perm},
                                             "state": "granted"})
    except Exception:
        pass
    t.click("button.copy-url")
    msg = wd.wait("const c = document.querySelector('.url-box .copied');"
                  "return c && c.textContent;")
    if msg == "Copied.":
        try:
            clip = wd.js("return navigator.clipboard.readText();")
        except Exception as e:
            clip = "unreadable: %s" % e
        t.check("Copy URL puts the URL on the clipboard", clip == url, clip)
    else:
        sel = wd.js("return window.getSelection().toString();")
        t.check("Copy URL selects the URL (no clipboard here)",
                msg == "Selected: press Ctrl+C to copy." and sel == url,
                [msg, sel])

    t.click(".webhook-key button.toggle")
    got = wd.wait("const c = document.querySelector('.webhook-key code');"
                  "return c && c.textContent.startsWith('wh_') && "
                  "[c.textContent, document.querySelector("
                  "'.webhook-key button.toggle').textContent];")
    t.check("Show reveals the key (and the button says Hide) and the "
            "whole URL", got == [key1, "Hide"] and
            t.text("#webhook-url") == url, [got, t.text("#webhook-url")])
    t.shot("key-shown")
    t.click(".webhook-key button.toggle")
    t.check("Hide hides it again, the URL too",
            key1 not in wd.js("return document.body.innerText;"))

    # --- regenerate ----------------------------------------------------
    t.click("button.regenerate")
    t.check("Regenerate asks first", dialog_open(t))
    t.shot("regenerate-confirm")
    t.click("dialog.confirm .confirm-cancel")
    t.must("the dialog closed", "return !document.querySelector('dialog.confirm');")
    t.check("Cancel leaves the key as it was", webhook_key(t, ref) == key1)
    t.click("button.regenerate")
    dialog_open(t)
    t.click("dialog.confirm .confirm-ok")
    got = wd.wait("const m = document.querySelector('.regenerated');"
                  "const c = document.querySelector('.webhook-key code');"
                  "return m && c && [c.textContent, "
                  "document.getElementById('webhook-url').textContent];")
    key2 = webhook_key(t, ref)
    t.check("Regenerate makes a new key, shown at once with its URL",
            bool(key2) and key2 != key1 and
            got == [key2, t.base + "/api/v1/webhooks/" + key2], [got, key2])
    t.shot("regenerated")
    code, v = post_hook(t, key1, {"old": True})
    t.check("the old key's URL is refused (404 not_found)",
            code == 404 and v["error"]["code"] == "not_found", [code, v])
    code, v = post_hook(t, key2, {"console": t.run_id, "n": 0})
    t.check("the new key's URL is accepted", code == 200 and
            bool(v["data"]["event_id"]), [code, v])

    # --- rate limit, IP allow list (and their refusals) ----------------
    rl = tp + "/webhooks/rate-limit"
    t.allow(400, rl)
    t.fill(".rate-limit input[name=requests]", "0")
    t.click(".rate-limit button[type=submit]")
    msg = wd.wait("const s = document.querySelector('.rate-limit .form-status');"
                  "return s.textContent && s.classList.contains('error') && "
                  "s.textContent;")
    t.check("a refused rate limit shows the API's error code",
            bool(msg) and msg.startswith("Refused: ") and
            msg.endswith("(invalid_field)"), msg)
    t.fill(".rate-limit input[name=requests]", "50")
    t.fill(".rate-limit input[name=window_seconds]", "120")
    wd.js("document.querySelector('.rate-limit input[name=enabled]')"
          ".checked = true;")
    t.click(".rate-limit button[type=submit]")
    msg = wd.wait("const s = document.querySelector('.rate-limit .form-status');"
                  "return s.textContent.startsWith('Saved') && s.textContent;")
    code, v = t.api("GET", tp)
    t.check("the rate limit is saved (50 per 120 s)",
            msg == "Saved: 50 requests per 120 s." and
            v["data"]["rate_limit"] == {"enabled": True, "requests": 50,
                                        "window_seconds": 120}, [msg, v])
    ipl = tp + "/webhooks/ip-allowlist"
    t.allow(400, ipl)
    t.fill(".ip-allowlist textarea", "not-a-cidr")
    t.click(".ip-allowlist button[type=submit]")
    msg = wd.wait("const s = document.querySelector('.ip-allowlist .form-status');"
                  "return s.textContent && s.classList.contains('error') && "
                  "s.textContent;")
    t.check("a refused allow list shows the API's error code",
            bool(msg) and msg.startswith("Refused: ") and "(invalid_" in msg,
            msg)
    t.fill(".ip-allowlist textarea", "127.0.0.0/8\n::1/128")
    wd.js("document.querySelector('.ip-allowlist input[name=enabled]')"
          ".checked = true;")
    t.click(".ip-allowlist button[type=submit]")
    msg = wd.wait("const s = document.querySelector('.ip-allowlist .form-status');"
                  "return s.textContent.startsWith('Saved') && s.textContent;")
    code, v = t.api("GET", tp)
    t.check("the allow list is saved (2 ranges, on)",
            msg == "Saved: on, 2 ranges." and
            v["data"]["ip_allowlist"]["enabled"] is True and
            len(v["data"]["ip_allowlist"]["cidrs"]) == 2, [msg, v])
    t.fill(".payload-limit input[name=kb]", "512")
    t.click(".payload-limit button[type=submit]")
    msg = wd.wait("const s = document.querySelector('.payload-limit .form-status');"
                  "return s.textContent.startsWith('Saved') && s.textContent;")
    code, v = t.api("GET", tp)
    t.check("the payload limit is saved (512 KB)",
            msg == "Saved: 512 KB." and v["data"]["payload_limit_kb"] == 512,
            [msg, v])
    t.shot("settings")

    # --- test webhook, event log, stats --------------------------------
    payload = {"console": t.run_id, "note": t.probe, "n": 1}
    t.fill(".test-form textarea", json.dumps(payload))
    t.click(".test-form button[type=submit]")
    got = wd.wait("const r = document.querySelector('.test-result');"
                  "return r && !r.hidden && [r.querySelector('dd').textContent,"
                  " r.querySelector('pre').textContent];", 10.0)
    ans = json.loads(got[1]) if got else {}
    eid = ans.get("data", {}).get("event_id")
    t.check("the test webhook is accepted: status 200 and its event id",
            bool(got) and got[0] == "200" and bool(eid) and
            ans["data"]["trigger_ref"] == ref, got)
    row = wd.wait("return !!document.querySelector("
                  "'.events-table tr[data-id=\"' + arguments[0] + '\"]');",
                  10.0, eid)
    t.check("the event log shows the test event", row)
    n = wd.wait("const d = document.querySelector("
                "'.stats-list dd[data-k=\"Events received\"]');"
                "return d && d.textContent === '2' && d.textContent;")
    t.check("the stats count both events (Events received 2, Accepted 2)",
            n == "2" and dd(t, "Accepted") == "2", [n, dd(t, "Accepted")])
    t.no_injection("event log")
    wd.js("document.querySelector('.test-webhook').scrollIntoView();")
    t.shot("test-sent")

    # Paging: 10 more events make two pages of 10.
    for i in range(2, 12):
        post_hook(t, key2, {"console": t.run_id, "n": i})
    t.open("triggers")
    t.open("triggers/" + ref)
    rows = wd.wait("const r = document.querySelectorAll('.events-table tbody tr');"
                   "return r.length > 0 && [r.length, document.querySelector("
                   "'.pager .page-no').textContent, document.querySelector("
                   "'.pager .older').hidden, document.querySelector("
                   "'.pager .newer').hidden];")
    t.check("the event log's first page: 10 rows, Older, no Newer",
            rows == [10, "Page 1", False, True], rows)
    t.click(".pager .older")
    rows = wd.wait("const r = document.querySelectorAll('.events-table tbody tr');"
                   "return document.querySelector('.pager .page-no')"
                   ".textContent === 'Page 2' && [r.length, "
                   "[...r].some(x => x.dataset.id === arguments[0])];", 8.0, eid)
    t.check("Older: page 2 has the last 2 events, the test one among them",
            rows == [2, True], rows)
    t.click(".pager .newer")
    rows = wd.wait("return document.querySelector('.pager .page-no')"
                   ".textContent === 'Page 1' && "
                   "document.querySelectorAll('.events-table tbody tr').length;")
    t.check("Newer: back to page 1", rows == 10, rows)
    t.check("Events received counts all 12", dd(t, "Events received") == "12",
            dd(t, "Events received"))

    # One event: its payload as text.
    t.open("triggers/%s/events/%s" % (ref, eid))
    pre = t.text("pre.payload")
    t.check("the event's view shows its payload as JSON text",
            pre is not None and json.loads(pre) == payload and
            t.text('.event-meta dd[data-k="Trigger"]') == ref, pre)
    t.check("and where it came from (source webhook, 127.0.0.1)",
            t.text('.event-meta dd[data-k="Source"]') == "webhook" and
            t.text('.event-meta dd[data-k="Source IP"]') in ("127.0.0.1",
                                                            "::1"),
            t.text(".event-meta"))
    t.no_injection("event view")
    t.shot("event")

    # --- HMAC: the secret once; the console's unsigned test refused ----
    t.open("triggers/" + ref)
    t.click(".hmac button[type=submit]")
    sec = wd.wait("const c = document.querySelector('.hmac-secret code');"
                  "return c && c.textContent;")
    code, v = t.api("GET", tp)
    h = v["data"]["hmac"] if code == 200 else {}
    t.check("Enable HMAC shows the generated secret once (whsec_)",
            bool(sec) and sec.startswith("whsec_") and h.get("enabled") and
            "secret" not in h, [sec, h])
    t.check("the state line says on, sha256, timestamped",
            t.text(".hmac-now") == "Now: on, sha256, timestamped",
            t.text(".hmac-now"))
    wd.js("document.querySelector('.hmac').scrollIntoView();")
    t.shot("hmac-secret")
    t.check("the test tool offers to sign on the server, checked",
            wd.js("const c = document.querySelector("
                  "'.test-form input[name=sign]');"
                  "return !!c && c.checked;"))
    payload2 = {"console": t.run_id, "signed": True}
    t.fill(".test-form textarea", json.dumps(payload2))
    t.click(".test-form button[type=submit]")
    got = wd.wait("const r = document.querySelector('.test-result');"
                  "const d = r && [...r.querySelectorAll('dd')];"
                  "return r && !r.hidden && d[0].textContent === '200' && "
                  "[d[1].textContent, r.querySelector('pre').textContent];",
                  10.0)
    ans = json.loads(got[1]) if got else {}
    eid2 = ans.get("data", {}).get("event_id")
    t.check("the signed test is accepted (signed on the server: "
            "X-Webhook-Timestamp, X-Webhook-Signature)",
            bool(got) and got[0] == "X-Webhook-Timestamp, X-Webhook-Signature"
            and bool(eid2), got)
    row = wd.wait("return !!document.querySelector("
                  "'.events-table tr[data-id=\"' + arguments[0] + '\"]');",
                  10.0, eid2)
    t.check("the signed test's event is in the event log", row)
    t.allow(401, "/api/v1/webhooks/" + key2)
    wd.js("document.querySelector('.test-form input[name=sign]')"
          ".checked = false;")
    t.click(".test-form button[type=submit]")
    got = wd.wait("const r = document.querySelector('.test-result');"
                  "const d = r && [...r.querySelectorAll('dd')];"
                  "return r && !r.hidden && d[0].textContent === '401' && "
                  "[d[0].textContent, d[1].textContent, "
                  "document.querySelector('.test-form .form-status')"
                  ".textContent];", 10.0)
    t.check("sent unsigned, it is refused: 401 invalid_signature shown",
            got == ["401", "no", "Refused: invalid_signature"], got)
    reasons = wd.wait("const d = document.querySelector("
                      "'.stats-list dd[data-k=\"Refusals by reason\"]');"
                      "return d && d.textContent.includes('invalid_signature')"
                      " && d.textContent;")
    t.check("the stats count the refusal and the 13 events",
            reasons == "invalid_signature: 1" and dd(t, "Refused") == "1" and
            dd(t, "Events received") == "13",
            [reasons, dd(t, "Refused"), dd(t, "Events received")])
    t.shot("hmac-refused")

    # --- a rotation key --------------------------------------------------
    t.fill(".add-key input[name=label]", "rotation-2")
    t.click(".add-key button[type=submit]")
    got = wd.wait("const c = document.querySelector('.new-key code');"
                  "return c && [c.textContent, document.querySelectorAll("
                  "'.keys-table tbody tr').length];")
    t.check("Add key shows the new key and lists two keys",
            bool(got) and got[0].startswith("wh_") and got[1] == 2, got)
    t.check("the HMAC secret is no longer on the page once it re-rendered",
            bool(sec) and sec not in wd.js("return document.body.innerText;"))
    code, v = post_hook(t, got[0] if got else "wh_x", {"n": 99})
    t.check("the rotation key's URL reaches the trigger (401: unsigned)",
            code == 401, [code, v])
    t.shot("keys")
    t.click('.keys-table tr:last-child button.delete-key')
    dialog_open(t)
    t.click("dialog.confirm .confirm-ok")
    n = wd.wait("const r = document.querySelectorAll('.keys-table tbody tr');"
                "return r.length === 1 && r.length;")
    t.check("Delete key (confirmed) leaves one key", n == 1, n)

    # --- phone width -----------------------------------------------------
    wd.cmd("POST", "/window/rect", {"width": 390, "height": 844})
    wide = wd.wait("return document.documentElement.scrollWidth <= "
                   "window.innerWidth;")
    t.check("at 390 px the page does not scroll sideways", wide,
            wd.js("return [document.documentElement.scrollWidth, "
                  "window.innerWidth];"))
    wd.js("window.scrollTo(0, 0);")
    t.shot("phone")
    wd.js("document.querySelector('.keys').scrollIntoView();")
    t.shot("phone-keys")
    wd.js("document.querySelector('.test-webhook').scrollIntoView();")
    t.shot("phone-test")
    wd.cmd("POST", "/window/rect", {"width": 1280, "height": 900})

    # --- webhooks off ----------------------------------------------------
    t.click("#webhook-switch")
    dialog_open(t)
    t.click("dialog.confirm .confirm-ok")
    sw = wd.wait("const b = document.getElementById('webhook-switch');"
                 "return b && b.getAttribute('aria-pressed') === 'false' && "
                 "b.textContent;")
    t.check("the switch turns webhooks off (after asking)", sw == "Off", sw)
    code, v = post_hook(t, key2, {"n": 100})
    t.check("the key's URL then answers 404", code == 404, [code, v])

    # The list: the row with its state and counts.
    t.open("triggers")
    row = wd.wait("const r = document.querySelector("
                  "'#trigger-rows tr[data-ref=\"' + arguments[0] + '\"]');"
                  "return r && r.cells[4].textContent !== '…' && "
                  "[...r.cells].map(c => c.textContent);", 8.0, ref)
    t.check("the list shows the trigger: description, no owner, off, 13 "
            "events, a last event",
            bool(row) and row[:5] == [ref, desc, "(none)", "off", "13"] and
            row[5].endswith(" UTC"), row)
    t.no_injection("trigger list")
    t.shot("list")

    # --- a stripe trigger: the Duplicates choice (hmac.dedupe) ----------
    sref = "pay.s%s" % t.run_id
    code, v = t.api("POST", "/api/v1/triggers", {"ref": sref,
                    "preset": "stripe"})
    t.check("setup: a trigger with the stripe preset", code == 201, v)
    t.open("triggers/" + sref)
    cur = wd.wait("const s = document.querySelector("
                  "'.hmac select[name=dedupe]'); return s && s.value;")
    t.check("a stripe trigger offers Duplicates, on the signature by default",
            cur == "mac", cur)
    wd.js("const s = document.querySelector('.hmac select[name=dedupe]');"
          "s.value = 'id'; s.dispatchEvent(new Event('change'));")
    t.click(".hmac button[type=submit]")
    now = wd.wait("const p = document.querySelector('.hmac-now');"
                  "return p && p.textContent.startsWith('Now: on') && "
                  "p.textContent;")
    code, v = t.api("GET", "/api/v1/triggers/" + sref)
    h = v["data"]["hmac"] if code == 200 else {}
    t.check("Enable HMAC with 'by the sender's id only' saves dedupe id",
            now == "Now: on, sha256, preset stripe" and
            h.get("dedupe") == "id", [now, h])
    t.shot("hmac-stripe-dedupe")
    t.open("triggers")
    t.api("DELETE", "/api/v1/triggers/" + sref)

    # --- a user token: only its owner's triggers --------------------------
    owner = "tr-%s" % t.run_id
    utoken = t.user_token(owner)
    uref = "user.t%s" % t.run_id
    code, v = t.api("POST", "/api/v1/triggers", {"ref": uref,
                    "description": "user's " + t.probe}, utoken)
    t.check("setup: the user's own trigger", code == 201, v)
    who = t.signin(utoken)
    t.check("a user token signs in", bool(who) and who[0] == "user", who)
    t.open("triggers")
    refs = wd.wait("const r = [...document.querySelectorAll('#trigger-rows tr')];"
                   "return r.length > 0 && r.every(x => x.cells[4].textContent"
                   " !== '…') && r.map(x => x.dataset.ref);")
    t.check("the user sees only its owner's trigger", refs == [uref], refs)
    t.check("and no owner field in the create form",
            wd.js("return !document.querySelector("
                  "'#trigger-create input[name=owner_id]');"))
    t.no_injection("user's trigger list")
    t.shot("user")
    t.allow(404, tp)
    t.allow(404, tp + "/webhook")
    t.open("triggers/" + ref)
    msg = t.text("#page .trigger .error")
    t.check("the admin's trigger is not found for the user",
            (msg or "").startswith("Could not load trigger %s: " % ref) and
            msg.endswith("(not_found)"), msg)
    t.shot("user-refused")
    t.signout()
    t.signin()
