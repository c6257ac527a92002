"""Audit log (seed 004, admin): a test event sent from a source's page
(accepted) and a request with a bad signature sent straight to the
receiver (refused, 401 invalid_signature) are both in the receivers' audit
log: filtered by source, by outcome and by error code and status through
the filter form, paged, the accepted row linking to its incident.  A user
token has no Audit log in its navigation, and the API's refusal is said."""

import hashlib
import importlib
import json
import time
import urllib.error
import urllib.request

from webdriver import ENTER

_sources = importlib.import_module("20_sources")
reload, start = _sources.reload, _sources.start

READY = ("const p = document.querySelector('#page .page');"
         "return p && p.dataset.ready === '1' && ")

ROWS = """
return [...document.querySelectorAll('#audit-rows tr')].map(r =>
    [...r.cells].map(c => c.textContent));
"""

# The columns: Time, Kind, Source, Status, Outcome, Error code, Address,
# User agent, ms, Bytes, Body SHA-256, Incident.


def apply_filters(t, values):
    wd = t.wd
    wd.js("const f = document.querySelector('form.filters');"
          "for (const s of f.querySelectorAll('select'))"
          "  s.value = arguments[0][s.name] || '';", values)
    for k in ("status", "code", "source"):
        t.fill("form.filters [name=%s]" % k, values.get(k, ""))
    wd.js("window.hpOld = document.querySelector('#page .page');")
    wd.type(wd.find("form.filters [name=source]"), ENTER)
    return wd.wait(READY + "p !== window.hpOld && "
                   "document.querySelector('#audit-rows');", 10.0)


def run(t):
    wd = t.wd
    start(t)
    name = "console-aud-%s" % t.run_id
    code, v = t.api("POST", "/api/webhooks", {"source": name,
                                              "format": "generic"})
    t.check("setup: a generic source", code == 201, v)

    # The accepted request: a test event from the page.
    t.open("sources/" + name)
    sent = wd.js("return document.querySelector('.test-event textarea')"
                 ".value;")
    t.click("button.send-test")
    ans = wd.wait("const p = document.querySelector('.test-answer pre');"
                  "return p && JSON.parse(p.textContent);", 10.0) or {}
    t.check("a test event from the page is accepted",
            ans.get("status") == "accepted", ans)

    # The refused one: a wrong signature, by urllib (not the page).
    body = json.dumps({"event_type": "forged", "data": {
        "title": "forged %s" % t.run_id}}).encode()
    rq = urllib.request.Request(t.base + "/api/webhooks/" + name, data=body,
                                method="POST")
    rq.add_header("Content-Type", "application/json")
    rq.add_header("X-Webhook-Timestamp", str(int(time.time())))
    rq.add_header("X-Webhook-Signature", "sha256=" + "0" * 64)
    try:
        urllib.request.urlopen(rq, timeout=30)
        code = 200
    except urllib.error.HTTPError as e:
        code = e.code
    t.check("setup: a bad signature is refused (401)", code == 401, code)
    forged_sha = hashlib.sha256(body).hexdigest()

    t.open("audit")
    labels = wd.js("return [...document.querySelectorAll('form.filters "
                   "label')].map(l => l.textContent);")
    t.check("the filters are labelled (source, outcome, HTTP status, error "
            "code)", labels == ["Source", "Outcome", "HTTP status",
                                "Error code"], labels)
    ok = apply_filters(t, {"source": name})
    rows = wd.js(ROWS)
    t.check("filtered by source: its two requests, newest first",
            bool(ok) and len(rows) == 2 and
            wd.js("return location.hash;") == "#/audit?source=" + name,
            [wd.js("return location.hash;"), rows])
    if len(rows) == 2:
        bad, good = rows
        t.check("the refused request: 401, rejected, invalid_signature, "
                "its address, urllib's user agent, size and body hash",
                bad[1:6] == ["source", name, "401", "rejected",
                             "invalid_signature"] and
                bad[6] == "127.0.0.1" and
                bad[7].startswith("Python-urllib/") and
                bad[9] == str(len(body)) and
                bad[10] == forged_sha[:12] + "…" and bad[11] == "", bad)
        t.check("the test event: 200, accepted, no error code, the "
                "browser's user agent, a link to its incident",
                good[1:6] == ["source", name, "200", "accepted", ""] and
                "Chrome" in good[7] and good[11] == "open", good)
        full = wd.js("return document.querySelector('#audit-rows tr')"
                     ".cells[10].title;")
        t.check("the full body hash is the cell's title", full == forged_sha,
                full)
    t.shot("by-source")
    wd.cmd("POST", "/window/rect", {"width": 390, "height": 900})
    over = wd.wait("return document.documentElement.scrollWidth <= "
                   "document.documentElement.clientWidth;", 3.0)
    t.check("the audit log at phone width: no sideways scroll of the page "
            "(the table scrolls inside itself)", over,
            wd.js("return document.documentElement.scrollWidth;"))
    t.shot("by-source-phone")
    wd.cmd("POST", "/window/rect", {"width": 1280, "height": 900})

    ok = apply_filters(t, {"source": name, "outcome": "rejected"})
    rows = wd.js(ROWS)
    t.check("filtered by outcome rejected: only the refused one",
            bool(ok) and len(rows) == 1 and rows[0][4] == "rejected", rows)
    ok = apply_filters(t, {"source": name, "status": "401",
                           "code": "invalid_signature"})
    rows = wd.js(ROWS)
    h = wd.js("return location.hash;")
    t.check("filtered by status 401 and code invalid_signature: the same "
            "row, the filters in the hash", bool(ok) and len(rows) == 1 and
            rows[0][5] == "invalid_signature" and
            h == "#/audit?source=%s&status=401&code=invalid_signature" % name,
            [h, rows])
    t.shot("refused")
    ok = apply_filters(t, {"source": name, "outcome": "queued"})
    t.check("no queued request: an empty log, said",
            bool(ok) and wd.js(ROWS) == [] and
            t.text("#page .empty") == "No request matches these filters.",
            t.text("#page .empty"))

    # Paging, one a page; then the accepted row's incident.
    t.open("audit?source=%s&limit=1" % name)
    p1 = wd.js(ROWS)
    wd.js("window.hpOld = document.querySelector('#page .page');")
    t.click(".paging a:last-child")
    t.must("Next page renders the next page", READY + "p !== window.hpOld;", 10.0)
    p2 = wd.js(ROWS)
    t.check("one a page: the refused request, then Next page the accepted",
            [r[4] for r in p1] == ["rejected"] and
            [r[4] for r in p2] == ["accepted"], [p1, p2])
    t.click("#audit-rows a")
    ok = wd.wait(READY + "document.querySelector('.incident-detail');", 10.0)
    raw = t.text(".raw-payload") or ""
    t.check("the accepted row opens its incident, whose payload is the test "
            "event", bool(ok) and json.loads(raw) == json.loads(sent) and
            wd.js("return document.querySelector('.incident-detail')"
                  ".dataset.id;") == ans.get("incident_id"), raw[:300])
    t.shot("incident")

    # A user token: no Audit log in its navigation; the API refuses it.
    # Signed in on #/audit, the user's first page is this one.
    utoken = t.user_token("console-aud-user-%s" % t.run_id)
    t.open("audit")
    t.allow(403, "/api/audit/webhooks?limit=100")
    who = t.signin(utoken)
    nav = wd.js("return [...document.querySelectorAll('#nav-links a')]"
                ".map(a => a.textContent);")
    t.check("a user token: no Audit log in the navigation",
            bool(who) and "Audit log" not in nav, nav)
    note = t.text("#page .note") or ""
    t.check("opened by hand: the API's refusal said, no rows",
            note.startswith("Only an admin can see the audit log") and
            wd.js("return !document.querySelector('#audit-rows');"), note)
    t.shot("user")
    t.signin()
    reload(t)
