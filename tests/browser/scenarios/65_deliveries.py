"""Deliveries (seed 000): an event published to two verified
subscriptions, one whose endpoint answers 500 (no retries: it fails at
once); the list filtered by status, event type and subscription; the
failed delivery's attempt (time, 500, response time, error, the start of
the answer); the endpoint fixed, Retry from the page shows it pending, the
worker sends it, and the detail shows it delivered with both attempts (500
then 200); the list a page at a time (?limit=2 in the hash: Show more
follows the API's Link rel="next", the filters kept, gone on the last
page); a user token sees none of them and the refusal of another's."""

import json

from webdriver import ENTER

ROWS = """
return [...document.querySelectorAll('#deliveries-rows tr')].map(r =>
    [r.dataset.id].concat([...r.cells].map(c => c.textContent)));
"""

DETAIL = """
const s = document.querySelector('#page section.delivery');
if (!s) return null;
const kv = {};
for (const dd of s.querySelectorAll(':scope > dl.kv dd')) kv[dd.dataset.k] = dd.textContent;
return {id: s.dataset.id, kv: kv,
        notice: (s.querySelector('.notice') || {}).textContent || null,
        retry: !!s.querySelector('button.retry'),
        payload: (s.querySelector('.payload pre') || {}).textContent || '',
        attempts: [...document.querySelectorAll('#attempts-rows tr')].map(r =>
                  [...r.cells].map(c => c.textContent))};
"""


# The list's paging: its rows' ids, the count it shows, whether Show more
# is there and what has the focus.
PAGING = """
const more = document.querySelector('#page p.more');
const b = more && more.querySelector('button');
const a = document.activeElement;
return {ids: [...document.querySelectorAll('#deliveries-rows tr')]
              .map(r => r.dataset.id),
        count: more && !more.hidden ? more.querySelector('.count').textContent
               : null,
        more: !!(more && !more.hidden && b && !b.hidden),
        focus: a === b ? 'button' : a && a.closest('#deliveries-rows tr') ?
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


def apply_filters(t, values):
    """Sets the filter bar's selects and presses Enter on Apply."""
    t.wd.js("for (const [k, v] of Object.entries(arguments[0]))"
            " document.querySelector('form.filters [name=' + k + ']').value = v;",
            values)
    t.click("form.filters button[type=submit]")
    t.must("the filters render the filtered list",
           "const p = document.querySelector('#page .page');"
           "return p && p.dataset.ready === '1' && "
           "p.dataset.hash === location.hash && "
           "location.hash.startsWith('#/deliveries');")


def run(t):
    wd = t.wd
    sink = t.sink()
    state = {"flaky": 500}

    def receiver(method, path, headers, body):
        try:
            v = json.loads(body or b"{}")
        except ValueError:
            v = {}
        if v.get("type") == "webhook.challenge":
            return 200, json.dumps({"challenge": v.get("challenge")}).encode()
        if path.startswith("/flaky") and state["flaky"] >= 400:
            return state["flaky"], b'{"error":"flaky endpoint down"}'
        return 200, b'{"received":true}'
    sink.reply["/ok"] = receiver
    sink.reply["/flaky"] = receiver

    code, v = t.api("POST", "/admin/webhooks/subscriptions", {
        "name": "deliveries ok %s" % t.run_id, "url": sink.url + "/ok",
        "events": ["document.created"]})
    t.check("setup: a subscription to a working endpoint", code == 201, v)
    ok_sub = v["id"]
    code, v = t.api("POST", "/admin/webhooks/subscriptions", {
        "name": "deliveries flaky %s" % t.run_id, "url": sink.url + "/flaky",
        "events": ["document.created"], "retry_schedule": []})
    t.check("setup: a subscription to a failing endpoint, no retries",
            code == 201, v)
    flaky_sub = v["id"]
    t.worker("hookpost-challenge", "-1")
    states = [t.api("GET", "/admin/webhooks/subscriptions/" + s)[1]["status"]
              for s in (ok_sub, flaky_sub)]
    t.check("setup: the challenge worker verified both", states ==
            ["active", "active"], states)
    code, v = t.api("POST", "/api/events", {
        "event_type": "document.created", "object_type": "document",
        "object_id": "doc-%s" % t.run_id, "data": {"title": "console"}})
    t.check("setup: an event published (202)", code == 202, v)
    rc = t.worker("hookpost-deliver", "-1", "-n", "dl-" + t.run_id)
    t.check("setup: the delivery worker ran", rc == 0, rc)
    _, lst = t.api("GET", "/admin/webhooks/deliveries?subscription_id=" +
                   flaky_sub)
    failed = lst[0]["id"] if lst else ""
    _, lst = t.api("GET", "/admin/webhooks/deliveries?subscription_id=" +
                   ok_sub)
    delivered = lst[0]["id"] if lst else ""

    # --- the list and its filters -------------------------------------------
    if not t.signed_in():
        t.signin()
    t.open("deliveries")
    rows = wd.js(ROWS) or []
    by_id = {r[0]: r for r in rows}
    t.check("the list shows both: event, subscription, status, code, "
            "attempts, error",
            by_id.get(failed, [])[2:] == [
                "document.created", "deliveries flaky %s" % t.run_id,
                "failed", "500", "1", "", "HTTP 500"] and
            by_id.get(delivered, [])[2:] == [
                "document.created", "deliveries ok %s" % t.run_id,
                "delivered", "200", "1", "", ""], [by_id.get(failed),
                                                   by_id.get(delivered)])
    t.shot("list")
    t.phone("deliveries list")
    apply_filters(t, {"status": "failed", "event_type": "document.created"})
    rows = wd.js(ROWS) or []
    t.check("filter status=failed, event document.created: the failed one, "
            "not the delivered",
            wd.js("return location.hash;") ==
            "#/deliveries?status=failed&event_type=document.created" and
            failed in [r[0] for r in rows] and
            delivered not in [r[0] for r in rows] and
            all(r[4] == "failed" and r[2] == "document.created"
                for r in rows), rows)
    t.shot("filtered-failed")
    apply_filters(t, {"status": "", "event_type": "",
                      "subscription_id": ok_sub})
    rows = wd.js(ROWS) or []
    t.check("filter by subscription: only its delivery",
            [r[0] for r in rows] == [delivered], rows)
    apply_filters(t, {"status": "cancelled", "subscription_id": ok_sub})
    empty = t.text("#page p.empty")
    t.check("a filter matching nothing says so",
            wd.js(ROWS) == [] and empty == "No deliveries match these "
            "filters.", empty)

    # --- the failed delivery's attempt -----------------------------------------
    t.open("deliveries?status=failed")
    t.click('#deliveries-rows tr[data-id="%s"] a' % failed)
    d = detail(t, "d.id === '%s'" % failed)
    t.check("the link opens the delivery", bool(d) and
            wd.js("return location.hash;") == "#/deliveries/" + failed, d)
    kv = d["kv"] if d else {}
    t.check("its state: failed, 1 attempt, HTTP 500, Retry offered",
            kv.get("Status") == "failed" and kv.get("Attempts") == "1" and
            kv.get("Last status code") == "500" and
            kv.get("Last error") == "HTTP 500" and bool(d and d["retry"]),
            d)
    att = d["attempts"] if d else []
    t.check("its attempt: time, 500, response time, error, the answer's "
            "start", len(att) == 1 and att[0][0] == "1" and
            att[0][1].endswith(" UTC") and att[0][2] == "500" and
            att[0][3].endswith(" ms") and att[0][4] == "HTTP 500" and
            att[0][5] == '{"error":"flaky endpoint down"}' and
            att[0][6] == "sent", att)
    t.check("the payload it sends is shown", bool(d) and
            '"object_id": "doc-%s"' % t.run_id in d["payload"], d)
    t.shot("failed")

    # --- fixed, then Retry ---------------------------------------------------
    state["flaky"] = 200
    t.click("#page button.retry")
    d = detail(t, "d.notice !== null")
    t.check("Retry shows the new state: pending, no Retry button",
            bool(d) and d["kv"].get("Status") == "pending" and
            d["notice"].startswith("Retried: the delivery is pending") and
            not d["retry"], d)
    foc = t.must("after Retry the focus is on what it did (the notice)",
                 "const a = document.activeElement;"
                 "return a && a.matches('.delivery .notice') && "
                 "a.textContent;")
    t.check("the focused notice is the retry's", bool(foc) and
            foc.startswith("Retried:"), foc)
    t.shot("retried")
    rc = t.worker("hookpost-deliver", "-1", "-n", "dl-" + t.run_id)
    t.open("deliveries")
    t.open("deliveries/" + failed)
    d = detail(t)
    t.check("after the worker: delivered, HTTP 200", bool(d) and
            d["kv"].get("Status") == "delivered" and
            d["kv"].get("Last status code") == "200" and
            d["kv"].get("Completed", "—") != "—" and not d["retry"], d)
    att = d["attempts"] if d else []
    t.check("both attempts: 500 then 200, each with time and response time; "
            "the error and answer of each",
            len(att) == 2 and [a[2] for a in att] == ["500", "200"] and
            att[0][0] == "1" and att[1][0].startswith("2") and
            all(a[1].endswith(" UTC") and a[3].endswith(" ms") for a in att)
            and att[0][4] == "HTTP 500" and att[1][4] == "—" and
            att[1][5] == '{"received":true}' and
            [a[6] for a in att] == ["sent", "sent"], att)
    t.shot("delivered")
    t.phone("delivery detail", "#page table.attempts")

    # --- the list a page at a time (the API's Link rel="next") ----------------
    for i in range(4):
        code, v = t.api("POST", "/api/events", {
            "event_type": "document.created", "object_type": "document",
            "object_id": "doc-%s-%d" % (t.run_id, i), "data": {"n": i}})
        t.check("setup: paging event %d published (202)" % i, code == 202, v)
    _, every = t.api("GET", "/admin/webhooks/deliveries?subscription_id=%s"
                     "&limit=500" % ok_sub)
    every = [d["id"] for d in every or []]
    _, pending = t.api("GET", "/admin/webhooks/deliveries?subscription_id=%s"
                       "&status=pending&limit=500" % ok_sub)
    pending = [d["id"] for d in pending or []]
    t.check("setup: the working subscription has 5 deliveries, 4 pending",
            len(every) == 5 and pending == every[:4] and
            every[4] == delivered, [every, pending])
    t.open("deliveries?subscription_id=%s&limit=2" % ok_sub)
    v = wd.js(PAGING)
    t.check("?limit=2: the first page, 2 rows, 2 shown, Show more",
            v["ids"] == every[:2] and v["count"] == "2 deliveries shown" and
            v["more"], v)
    t.shot("paged-1")
    v = show_more(t) or wd.js(PAGING)
    t.check("Show more appends the next page: 4 rows in order, the focus "
            "stays on Show more", v["ids"] == every[:4] and v["count"] ==
            "4 deliveries shown" and v["more"] and v["focus"] == "button", v)
    v = show_more(t) or wd.js(PAGING)
    t.check("the last page: all 5 rows once each, no Show more, the focus "
            "on the first new row", v["ids"] == every and
            len(set(v["ids"])) == 5 and v["count"] ==
            "All 5 deliveries shown" and not v["more"] and
            v["focus"] == every[4], v)
    subs = wd.js("return [...document.querySelectorAll('#deliveries-rows tr')]"
                 ".map(r => r.cells[2].textContent);")
    t.check("every page kept the subscription filter", subs ==
            ["deliveries ok %s" % t.run_id] * 5, subs)
    t.shot("paged-all")
    t.phone("deliveries paged", "#page p.more")
    apply_filters(t, {"status": "pending"})
    t.check("a filter keeps the subscription and the page size",
            wd.js("return location.hash;") == "#/deliveries?status=pending"
            "&subscription_id=%s&limit=2" % ok_sub,
            wd.js("return location.hash;"))
    v = wd.js(PAGING)
    t.check("filtered, first page: 2 rows, Show more",
            v["ids"] == pending[:2] and v["more"], v)
    v = show_more(t) or wd.js(PAGING)
    statuses = wd.js("return [...document.querySelectorAll("
                     "'#deliveries-rows tr')].map(r => r.cells[3]"
                     ".textContent);")
    t.check("the next page keeps the filter: the 4 pending ones, not the "
            "delivered; a full last page has no Show more",
            v["ids"] == pending and statuses == ["pending"] * 4 and
            v["count"] == "All 4 deliveries shown" and not v["more"],
            [v, statuses])
    t.open("deliveries?subscription_id=%s&limit=5" % ok_sub)
    v = wd.js(PAGING)
    t.check("one page holding them all: no Show more, no count",
            v["ids"] == every and v["count"] is None and not v["more"], v)
    # Nothing left pending for the scenarios after this one.
    rc = t.worker("hookpost-deliver", "-1", "-n", "dl-" + t.run_id)
    _, left = t.api("GET", "/admin/webhooks/deliveries?subscription_id=%s"
                    "&status=pending" % ok_sub)
    t.check("the worker sent the paging deliveries", rc == 0 and left == [],
            [rc, left])

    # --- a user token -------------------------------------------------------
    utoken = t.user_token("deliveries-%s" % t.run_id)
    who = t.signin(utoken)
    t.check("a user token signs in", bool(who) and who[0] == "user", who)
    t.open("deliveries")
    rows = wd.js(ROWS) or []
    t.check("the user sees none of the admin's deliveries",
            rows == [] and t.text("#page p.empty") == "No deliveries yet.",
            rows)
    t.shot("user")
    t.allow(404, "/admin/webhooks/deliveries/" + failed)
    t.open("deliveries/" + failed)
    err = t.text("#page p.error")
    t.check("another owner's delivery: the API's refusal is shown",
            err == "Could not show the delivery: No such delivery "
            "(not_found)", err)
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
