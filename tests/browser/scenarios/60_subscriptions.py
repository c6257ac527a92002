"""Subscriptions (seed 000): create one from the page (the stored-XSS
probe in its name, events picked from the catalog and a pattern), its
signing secret shown once; the challenge worker verifies it against a
local receiver and the page shows pending_verification turn active;
Send test shows the queued delivery, which the worker delivers and the
subscription's recent deliveries show; rotate the secret (confirmed, the
new one shown once); disable and enable; the list and its status filter;
the list a page at a time (?limit=2 in the hash: Show more follows the
API's Link rel="next", the filters kept, gone on the last page);
delete (confirmed); a user token sees only its own subscription, no
admin control, and a refusal for another's."""

import json

from webdriver import ENTER

# The subscription detail's values by key, its buttons and whether a
# secret is shown.
DETAIL = """
const s = document.querySelector('#page section.subscription');
if (!s) return null;
const kv = {};
for (const dd of s.querySelectorAll(':scope > dl.kv dd')) kv[dd.dataset.k] = dd.textContent;
const code = s.querySelector('.secret code');
return {id: s.dataset.id, name: s.querySelector('h3').textContent, kv: kv,
        buttons: [...s.querySelectorAll('.actions button')].map(b => b.textContent),
        secret: code ? code.textContent : null,
        help: (s.querySelector('.verify-help') || {}).textContent || '',
        test: Object.fromEntries([...s.querySelectorAll('.test-result dd')]
              .map(d => [d.dataset.k, d.textContent])),
        recent: [...document.querySelectorAll('#sub-deliveries-rows tr')].map(r =>
                [...r.cells].map(c => c.textContent))};
"""

ROWS = """
return [...document.querySelectorAll('#subscriptions-rows tr')].map(r =>
    [r.dataset.id].concat([...r.cells].map(c => c.textContent)));
"""


# The list's paging: its rows' ids, the count it shows, whether Show more
# is there and what has the focus.
PAGING = """
const more = document.querySelector('#page p.more');
const b = more && more.querySelector('button');
const a = document.activeElement;
return {ids: [...document.querySelectorAll('#subscriptions-rows tr')]
              .map(r => r.dataset.id),
        count: more && !more.hidden ? more.querySelector('.count').textContent
               : null,
        more: !!(more && !more.hidden && b && !b.hidden),
        focus: a === b ? 'button' : a && a.closest('#subscriptions-rows tr') ?
               a.closest('tr').dataset.id : null};
"""


def show_more(t):
    """Presses Show more (keyboard) and waits for the next page's rows."""
    n = len(t.wd.js(PAGING)["ids"])
    t.click("#page p.more button")
    return t.wd.wait("const v = (function(){%s})();"
                     "const b = document.querySelector('#page p.more button');"
                     "return v.ids.length > %d && !b.hasAttribute('aria-busy') && v;"
                     % (PAGING, n))


def detail(t, cond="true", timeout=10.0):
    return t.wd.wait("const d = (function(){%s})();"
                     "const p = document.querySelector('#page .page');"
                     "return d && p && p.dataset.ready === '1' && (%s) && d;"
                     % (DETAIL, cond), timeout)


def echo_challenge(method, path, headers, body):
    """A receiver that passes seed 000's challenge: 200 echoing it."""
    try:
        v = json.loads(body or b"{}")
    except ValueError:
        v = {}
    if v.get("type") == "webhook.challenge":
        return 200, json.dumps({"challenge": v.get("challenge")}).encode()
    return 200, b'{"received":true}'


def press_button(t, label):
    """Focuses the subscription's action button with this text and
    presses Enter."""
    t.wd.js("[...document.querySelectorAll('#page .actions button')]"
            ".find(b => b.textContent === arguments[0]).focus();", label)
    ref = t.wd.js("return document.activeElement;")
    t.wd.type(next(iter(ref.values())), ENTER)


def confirm(t, ok=True):
    t.must("a confirmation dialog opened", "return document.querySelector('dialog.confirm[open]');")
    t.shot("confirm")
    t.click("dialog.confirm .confirm-ok" if ok else
            "dialog.confirm .confirm-cancel")
    t.must("the dialog closed", "return !document.querySelector('dialog.confirm');")


def run(t):
    wd = t.wd
    sink = t.sink()
    sink.reply["/hook"] = echo_challenge
    # /user answers 200 {"ok":true}, no echo: its challenge fails.
    sink.reply["/gone"] = echo_challenge
    owner = "subs-%s" % t.run_id
    utoken = t.user_token(owner)
    uname = "user sub %s" % t.run_id
    code, v = t.api("POST", "/admin/webhooks/subscriptions", {
        "name": uname, "url": sink.url + "/user",
        "events": ["note.created"]}, utoken)
    t.check("setup: the user's own subscription", code == 201, v)
    usub = v["id"]

    # --- create from the page ------------------------------------------
    if not t.signed_in():
        t.signin()
    t.open("subscriptions")
    t.check("the page shows the create form with the catalog's events",
            wd.js("return !!document.querySelector('#subscription-create "
                  "input[type=checkbox][value=\"threat_model.created\"]');"))
    name = "sub xss-%s %s" % (t.run_id, t.probe)
    t.fill("#subscription-create input[name=name]", name)
    t.fill("#subscription-create input[name=url]", sink.url + "/hook")
    # Keyboard: Space ticks a checkbox.
    for ev in ("threat_model.created", "threat_model.updated"):
        css = ("#subscription-create input[type=checkbox][value=\"%s\"]" %
               ev)
        wd.js("document.querySelector(arguments[0]).focus();", css)
        wd.type(wd.find(css), " ")
    t.fill("#subscription-create input[name=patterns]", "diagram.*")
    t.shot("create-form")
    t.click("#subscription-create button[type=submit]")
    d = detail(t, "d.secret !== null")
    t.check("created: the page goes to the new subscription",
            bool(d) and wd.js("return location.hash;") ==
            "#/subscriptions/" + d["id"], d)
    sid = d["id"] if d else ""
    code, api_sub = t.api("GET", "/admin/webhooks/subscriptions/" + sid)
    t.check("the API has it with the name, URL and events given",
            code == 200 and api_sub["name"] == name and
            api_sub["url"] == sink.url + "/hook" and api_sub["events"] ==
            ["threat_model.created", "threat_model.updated", "diagram.*"],
            api_sub)
    secret1 = d["secret"] if d else ""
    t.check("the signing secret is shown once, a whsec_ secret",
            secret1.startswith("whsec_") and len(secret1) > 20, secret1)
    t.check("the detail shows the name as text, pending_verification and "
            "how to verify", bool(d) and d["name"] == name and
            d["kv"].get("Verification") == "pending_verification" and
            d["kv"].get("Enabled") == "yes" and
            "echoing the challenge" in d["help"], d)
    t.no_injection("subscription detail")
    t.shot("created-secret")
    t.phone("subscription detail", "#page .verify-help")
    # Shown once: the next render has no secret.
    press_button(t, "Check again")
    d = detail(t, "d.secret === null")
    t.check("the secret is not shown again", bool(d) and
            secret1 not in (t.text("#page") or ""), d)

    # --- the challenge worker verifies it ------------------------------
    rc = t.worker("hookpost-challenge", "-1")
    t.check("the challenge worker ran", rc == 0, rc)
    challenged = [r for r in sink.requests if r[1] == "/hook" and
                  b"webhook.challenge" in r[3]]
    t.check("the receiver got the challenge", len(challenged) == 1,
            sink.requests)
    press_button(t, "Check again")
    d = detail(t, "d.kv.Verification === 'active'")
    said = t.text("#status")
    t.check("Check again says the new status", said ==
            "Verification checked: active.", said)
    t.check("the page shows it verified: active, challenge attempts 1",
            bool(d) and d["kv"].get("Challenge attempts") in ("0", "1") and
            d["help"].startswith("Verified"), d)
    t.shot("verified")

    # --- Send test -------------------------------------------------------
    press_button(t, "Send test")
    d = detail(t, "d.test.Test")
    test = d["test"] if d else {}
    t.check("Send test shows the answer: queued, webhook.test, a delivery "
            "link, active", test.get("Test") == "queued (HTTP 202)" and
            test.get("Event") == "webhook.test" and
            len(test.get("Delivery", "")) == 36 and
            test.get("Subscription status") == "active", test)
    tid = test.get("Delivery", "")
    wd.js("document.querySelector('#page .test-result').scrollIntoView();")
    t.shot("test")
    rc = t.worker("hookpost-deliver", "-1", "-n", "subs-" + t.run_id)
    got = [r for r in sink.requests if r[1] == "/hook" and
           r[2].get("X-Webhook-Event") == "webhook.test"]
    t.check("the worker delivered the test to the receiver",
            rc == 0 and len(got) == 1, [r[:2] for r in sink.requests])
    t.open("subscriptions")
    t.open("subscriptions/" + sid)
    d = detail(t)
    t.check("its recent deliveries show the test: webhook.test, delivered, "
            "200, 1 attempt", bool(d) and len(d["recent"]) == 1 and
            d["recent"][0][1:] == ["webhook.test", "delivered", "200", "1",
                                   ""], d and d["recent"])
    href = wd.js("const a = document.querySelector('#sub-deliveries-rows a');"
                 "return a && a.getAttribute('href');")
    t.check("the row links to the delivery", href == "#/deliveries/" + tid,
            href)

    # --- rotate the secret (confirmed; shown once) -----------------------
    press_button(t, "Rotate secret")
    confirm(t, ok=False)
    d = detail(t)
    t.check("Cancel keeps the secret (nothing shown)", bool(d) and
            d["secret"] is None, d)
    press_button(t, "Rotate secret")
    confirm(t)
    d = detail(t, "d.secret !== null")
    secret2 = d["secret"] if d else ""
    t.check("the rotated secret is shown once, a new one",
            secret2.startswith("whsec_") and secret2 != secret1, secret2)
    t.check("the previous secret's grace is shown",
            bool(d) and d["kv"].get("Previous secret signs until", "—")
            not in ("", "—"), d)
    foc = t.must("after Rotate the focus is on the new secret's Copy",
                 "const a = document.activeElement;"
                 "return a && a.matches('.once .secret button.copy') && "
                 "a.getAttribute('aria-label');")
    t.check("the focused Copy names the signing secret",
            foc == "Copy Signing secret", foc)
    live = t.wd.js("return [...document.querySelectorAll('[aria-live], "
                   "[role=status]')].some(e => e.querySelector('.secret'));")
    t.check("the secret is in no live region", live is False, live)
    t.shot("rotated")

    # --- disable, enable ---------------------------------------------------
    press_button(t, "Disable")
    d = detail(t, "d.kv.Verification === 'disabled'")
    foc = t.must("after Disable the focus is on its equivalent, Enable",
                 "const a = document.activeElement;"
                 "return a && a.matches('button.toggle') && a.textContent;")
    t.check("the focused control is Enable", foc == "Enable", foc)
    t.check("Disable: disabled, not enabled, Enable offered",
            bool(d) and d["kv"].get("Enabled") == "no" and
            "Enable" in d["buttons"] and "Verify again" in d["buttons"], d)
    t.shot("disabled")
    press_button(t, "Enable")
    d = detail(t, "d.kv.Verification === 'active'")
    t.check("Enable: active again", bool(d) and
            d["kv"].get("Enabled") == "yes" and "Disable" in d["buttons"], d)

    # --- the list and its filter -------------------------------------------
    t.open("subscriptions")
    rows = wd.js(ROWS) or []
    mine = [r for r in rows if r[0] == sid]
    t.check("the list shows it: name as text, URL, events, active, enabled",
            len(mine) == 1 and mine[0][1:6] == [
                name, sink.url + "/hook",
                "threat_model.created, threat_model.updated, diagram.*",
                "active", "yes"], mine)
    t.check("the admin's list shows the user's subscription too, with its "
            "owner", any(r[0] == usub and r[6] == owner for r in rows), rows)
    t.no_injection("subscriptions list")
    t.shot("list")
    t.phone("subscriptions list")
    wd.js("const s = document.querySelector('form.filters select[name=status]');"
          "s.value = 'pending_verification';")
    t.click("form.filters button[type=submit]")
    t.must("the status filter renders the filtered list",
           "const p = document.querySelector('#page .page');"
           "return p.dataset.hash === "
           "'#/subscriptions?status=pending_verification'"
           " && p.dataset.ready === '1';")
    rows = wd.js(ROWS) or []
    t.check("filtered by status pending_verification: the user's, not ours",
            any(r[0] == usub for r in rows) and
            not any(r[0] == sid for r in rows) and
            all(r[4] == "pending_verification" for r in rows), rows)
    t.shot("filtered")

    # --- the list a page at a time (the API's Link rel="next") ----------------
    paged = "paged-%s" % t.run_id
    made = []
    for i in range(5):
        code, v = t.api("POST", "/admin/webhooks/subscriptions", {
            "name": "paged %d %s %s" % (i, t.run_id, t.probe),
            "url": sink.url + "/paged", "events": ["note.created"],
            "owner_id": paged})
        made.append(v["id"] if code == 201 else "")
    code, _ = t.api("PUT", "/admin/webhooks/subscriptions/" + made[1],
                    {"status": "disabled"})
    t.check("setup: five subscriptions of one owner, one disabled",
            all(made) and code == 200, made)
    _, every = t.api("GET", "/admin/webhooks/subscriptions?owner_id=%s"
                     "&limit=200" % paged)
    every = [s["id"] for s in every or []]
    pending = [i for i in every if i != made[1]]
    t.check("setup: the API lists them newest first",
            every == made[::-1] and len(pending) == 4, every)
    t.open("subscriptions?owner_id=%s&limit=2" % paged)
    v = wd.js(PAGING)
    t.check("?limit=2: the first page, 2 rows, 2 shown, Show more",
            v["ids"] == every[:2] and v["count"] == "2 subscriptions shown"
            and v["more"], v)
    t.no_injection("subscriptions list, paged")
    t.shot("paged-1")
    v = show_more(t) or wd.js(PAGING)
    t.check("Show more appends the next page: 4 rows in order, the focus "
            "stays on Show more", v["ids"] == every[:4] and v["count"] ==
            "4 subscriptions shown" and v["more"] and v["focus"] == "button",
            v)
    v = show_more(t) or wd.js(PAGING)
    t.check("the last page: all 5 rows once each, no Show more, the focus "
            "on the first new row", v["ids"] == every and
            len(set(v["ids"])) == 5 and v["count"] ==
            "All 5 subscriptions shown" and not v["more"] and
            v["focus"] == every[4], v)
    t.check("the page stayed where it was (no navigation)",
            wd.js("return location.hash;") ==
            "#/subscriptions?owner_id=%s&limit=2" % paged)
    t.shot("paged-all")
    t.phone("subscriptions paged", "#page p.more")
    wd.js("document.querySelector('form.filters select[name=status]')"
          ".value = 'pending_verification';")
    t.click("form.filters button[type=submit]")
    t.must("the status filter renders the filtered page",
           "const p = document.querySelector('#page .page');"
           "return p.dataset.hash.includes('status=') && "
           "p.dataset.ready === '1';")
    t.check("a filter keeps the owner and the page size",
            wd.js("return location.hash;") == "#/subscriptions?status="
            "pending_verification&owner_id=%s&limit=2" % paged,
            wd.js("return location.hash;"))
    v = wd.js(PAGING)
    t.check("filtered, first page: 2 rows, Show more",
            v["ids"] == pending[:2] and v["more"], v)
    v = show_more(t) or wd.js(PAGING)
    statuses = wd.js("return [...document.querySelectorAll("
                     "'#subscriptions-rows tr')].map(r => r.cells[3]"
                     ".textContent);")
    t.check("the next page keeps the filter: the 4 pending ones, not the "
            "disabled; a full last page has no Show more",
            v["ids"] == pending and statuses == ["pending_verification"] * 4
            and v["count"] == "All 4 subscriptions shown" and
            not v["more"], [v, statuses])
    t.open("subscriptions?owner_id=%s&limit=5" % paged)
    v = wd.js(PAGING)
    t.check("one page holding them all: no Show more, no count",
            v["ids"] == every and v["count"] is None and not v["more"], v)
    for i in made:
        t.api("DELETE", "/admin/webhooks/subscriptions/" + i)

    # --- delete (confirmed) ---------------------------------------------------
    code, v = t.api("POST", "/admin/webhooks/subscriptions", {
        "name": "to delete %s" % t.run_id, "url": sink.url + "/gone",
        "events": ["note.deleted"]})
    gone = v["id"] if code == 201 else ""
    t.open("subscriptions/" + gone)
    press_button(t, "Delete")
    confirm(t)
    ok = wd.wait("return location.hash === '#/subscriptions' && "
                 "document.querySelector('#page .page').dataset.ready === '1'"
                 " && (document.querySelector('#page .notice') || {}).textContent;")
    t.check("Delete: back to the list, saying so",
            ok == 'Subscription "to delete %s" deleted.' % t.run_id, ok)
    code, _ = t.api("GET", "/admin/webhooks/subscriptions/" + gone)
    rows = wd.js(ROWS) or []
    t.check("it is gone (API 404, not listed)", code == 404 and
            not any(r[0] == gone for r in rows), code)

    # --- a user token: its own only -------------------------------------------
    who = t.signin(utoken)
    t.check("a user token signs in", bool(who) and who[0] == "user", who)
    t.open("subscriptions")
    rows = wd.js(ROWS) or []
    cols = wd.js("return [...document.querySelectorAll('#page thead th')]"
                 ".map(th => th.textContent);")
    t.check("the user sees only its own subscription, no Owner column",
            [r[0] for r in rows] == [usub] and rows[0][1] == uname and
            "Owner" not in cols, [rows, cols])
    t.shot("user-list")
    t.open("subscriptions/" + usub)
    d = detail(t)
    t.check("its own detail: no Disable (admin only), Test and Rotate there;"
            " still pending, the challenge's failure shown",
            bool(d) and d["kv"].get("Verification") ==
            "pending_verification" and d["kv"].get("Challenge attempts") ==
            "1" and d["kv"].get("Last challenge error", "—") != "—" and "Disable" not in d["buttons"] and
            "Send test" in d["buttons"] and "Rotate secret" in d["buttons"],
            d)
    t.shot("user-detail")
    t.allow(404, "/admin/webhooks/subscriptions/" + sid)
    t.allow(404, "/admin/webhooks/deliveries?subscription_id=%s&limit=20" %
            sid)
    t.open("subscriptions/" + sid)
    err = t.text("#page p.error")
    t.check("another owner's subscription: the API's refusal is shown",
            err == "Could not show the subscription: No such subscription "
            "(not_found)", err)
    t.check("nothing of it is shown", name not in (t.text("#page") or ""))
    t.shot("user-refused")
    # A new document: the refusals above are collected now, while they are
    # allowed, and not again by the next scenario in this same document.
    t.open("events")
    t.collect()
    t.wd.js("window.oldDocument = true; location.reload();")
    t.must("the console reloaded", "return !window.oldDocument && "
           "document.readyState === 'complete' && "
           "(!document.getElementById('who').hidden || "
           "!document.getElementById('signin').hidden);")
    t.signin()
