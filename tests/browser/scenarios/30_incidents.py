"""Incidents (seed 004): two Defender phishing alerts sent from a source's
page (the stored-XSS probe in their subject, hence the title) that the
phishing_triage playbook merges into one incident; generic alerts from a
second source; the list filtered by status, severity and source through
the filter form, and paged; the incident's view: its fields, triage steps,
indicators, entities, the merged alert and the raw payload, all as text;
readable at phone width."""

import importlib
import json
import time

from webdriver import ENTER

_sources = importlib.import_module("20_sources")
send, reload, start = _sources.send, _sources.reload, _sources.start

READY = ("const p = document.querySelector('#page .page');"
         "return p && p.dataset.ready === '1' && ")

ROWS = """
return [...document.querySelectorAll('#incident-rows tr')].map(r =>
    [...r.cells].map(c => c.textContent));
"""

KV = """
const r = {};
for (const dd of document.querySelectorAll(arguments[0] + ' dd'))
    r[dd.dataset.k] = dd.textContent;
return r;
"""


def test_event(t, body):
    """Types body into the source page's test event and sends it; the
    answer's fields and JSON."""
    wd = t.wd
    wd.js("document.querySelector('.test-answer').replaceChildren();")
    t.fill(".test-event textarea", json.dumps(body))
    t.click("button.send-test")
    res = wd.wait("const r = {};"
                  "for (const dd of document.querySelectorAll("
                  "'.test-answer dd')) r[dd.dataset.k] = dd.textContent;"
                  "const p = document.querySelector('.test-answer pre');"
                  "return r['Status code'] && p && "
                  "[r, JSON.parse(p.textContent)];", 10.0)
    return res or [{}, {}]


def apply_filters(t, values):
    """Sets the filter form (selects by value, text by typing) and
    submits it with Enter in the Source field."""
    wd = t.wd
    wd.js("const f = document.querySelector('form.filters');"
          "for (const s of f.querySelectorAll('select'))"
          "  s.value = arguments[0][s.name] || '';", values)
    for k in ("tag", "since", "until", "source"):
        t.fill("form.filters [name=%s]" % k, values.get(k, ""))
    wd.js("window.hpOld = document.querySelector('#page .page');")
    wd.type(wd.find("form.filters [name=source]"), ENTER)
    return wd.wait(READY + "p !== window.hpOld && "
                   "document.querySelector('#incident-rows');", 10.0)


def run(t):
    wd = t.wd
    start(t)
    phish = "console-inc-%s" % t.run_id
    other = "console-gen-%s" % t.run_id
    secret = "console-secret-%s" % t.run_id
    code, v = t.api("POST", "/api/webhooks", {
        "source": phish, "secret": secret, "format": "defender",
        "auto_triage": True, "playbook": "phishing_triage"})
    t.check("setup: a Defender source with the phishing playbook",
            code == 201, v)
    code, v = t.api("POST", "/api/webhooks", {
        "source": other, "secret": secret, "format": "generic"})
    t.check("setup: a generic source without a playbook", code == 201, v)

    # Two alerts from the page, same sender and subject: merged.
    subject = "Invoice %s %s" % (t.run_id, t.probe)
    first = {"eventType": "PhishingEmail", "id": "inc1-%s" % t.run_id,
             "creationTime": "2026-01-15T10:00:00Z", "severity": "medium",
             "category": "Phish", "entityType": "Email",
             "data": {"sender": "billing@phish-%s.example" % t.run_id,
                      "subject": subject,
                      "recipients": ["victim@company.example"],
                      "urls": ["http://phish-%s.example/pay" % t.run_id]}}
    second = dict(first, id="inc2-%s" % t.run_id,
                  creationTime="2026-01-15T10:05:00Z")
    t.open("sources/" + phish)
    res, ans = test_event(t, first)
    t.check("the first alert: 200 accepted, a new incident",
            res.get("Status code") == "200" and
            res.get("Status") == "accepted" and "Merged" not in res and
            ans.get("incident_number", "").startswith("INC-"), [res, ans])
    inc = ans.get("incident_id")
    number = ans.get("incident_number")
    res, ans2 = test_event(t, second)
    t.check("the second alert: 200 accepted, merged into the same incident",
            res.get("Status code") == "200" and
            res.get("Merged") == "yes: into an open incident" and
            ans2.get("incident_id") == inc and ans2.get("merged") is True,
            [res, ans2])
    t.no_injection("test event answer")
    t.shot("merged-answer")

    # Two generic alerts, straight to the receiver: two incidents.
    nums = []
    for n, sev in ((1, "low"), (2, "low")):
        code, v = send(t, other, secret, {
            "event_type": "test", "data": {
                "title": "Generic %d %s %s" % (n, t.run_id, t.probe),
                "severity": sev, "alert_id": "gen%d-%s" % (n, t.run_id)}})
        t.check("setup: generic alert %d accepted" % n, code == 200, v)
        nums.append(v.get("incident_number") if v else None)
        time.sleep(0.01)

    # The list, filtered through the form.
    t.open("incidents")
    labels = wd.js("return [...document.querySelectorAll('form.filters "
                   "label')].map(l => l.textContent);")
    t.check("the filters are labelled (status, severity, source, tag, "
            "since, until)", labels == ["Status", "Severity", "Source", "Tag",
                                       "Since (ISO 8601)", "Until (ISO 8601)"],
            labels)
    ok = apply_filters(t, {"status": "triaged", "severity": "high",
                           "source": phish})
    h = wd.js("return location.hash;")
    rows = wd.js(ROWS)
    title = "PhishingEmail: " + subject
    t.check("filtered by status, severity and source: the query in the hash",
            bool(ok) and h == "#/incidents?status=triaged&severity=high&"
            "source=" + phish, h)
    t.check("one row: the merged incident (number, title as text, high, "
            "triaged, source, queue, 2 alerts)",
            len(rows) == 1 and rows[0][:6] == [number, title, "high",
                                               "triaged", phish,
                                               "email-security"] and
            sorted(rows[0][6].split(", ")) == ["email", "phishing"] and
            rows[0][7] == "2", rows)
    t.no_injection("incidents list")
    t.shot("filtered")
    ok = apply_filters(t, {"severity": "critical", "source": phish})
    t.check("no critical incident from that source: an empty list, said",
            bool(ok) and wd.js(ROWS) == [] and
            t.text("#page .empty") == "No incident matches these filters.",
            wd.js(ROWS))
    ok = apply_filters(t, {"severity": "low", "source": other})
    rows = wd.js(ROWS)
    t.check("the generic source's two incidents, newest first",
            bool(ok) and [r[0] for r in rows] == nums[::-1] and
            [r[1] for r in rows] == ["Generic %d %s %s" % (n, t.run_id,
                                                           t.probe)
                                     for n in (2, 1)] and
            {r[3] for r in rows} == {"new"}, rows)
    t.no_injection("incidents list (generic)")

    # Paging: one a page.
    t.open("incidents?source=%s&limit=1" % other)
    first_page = wd.js(ROWS)
    nxt = wd.js("const a = [...document.querySelectorAll('.paging a')]"
                ".find(a => a.textContent === 'Next page');"
                "return a && a.getAttribute('href');")
    t.check("one a page: the newest, and a Next page link",
            [r[0] for r in first_page] == nums[1:] and bool(nxt), [first_page,
                                                                    nxt])
    wd.js("window.hpOld = document.querySelector('#page .page');")
    t.click(".paging a:last-child")
    t.must("Next page renders the next page", READY + "p !== window.hpOld;", 10.0)
    second_page = wd.js(ROWS)
    links = wd.js("return [...document.querySelectorAll('.paging a')]"
                  ".map(a => a.textContent);")
    t.check("Next page: the older one, and a First page link",
            [r[0] for r in second_page] == nums[:1] and
            "First page" in links, [second_page, links])
    t.shot("paged")

    # The incident's view, by keyboard from its row.
    t.open("incidents?source=" + phish)
    t.click("#incident-rows tr[data-id=\"%s\"] a" % inc)
    ok = wd.wait(READY + "document.querySelector('.incident-detail');", 10.0)
    kv = wd.js(KV, ".incident-fields")
    t.check("the incident's view: number, title as text, severity, status, "
            "queue, 2 alerts", bool(ok) and kv.get("Number") == number and
            kv.get("Title") == title and kv.get("Severity") == "high" and
            kv.get("Status") == "triaged" and
            kv.get("Queue") == "email-security" and kv.get("Alerts") == "2" and
            kv.get("Source") == phish, kv)
    t.check("its heading is its number and title",
            t.text(".incident-detail h3") == number + ": " + title,
            t.text(".incident-detail h3"))
    tri = wd.js(KV, ".triage-summary")
    steps = wd.js("return [...document.querySelectorAll('.triage-steps "
                  "tbody tr')].map(r => [...r.cells].map(c => "
                  "c.textContent));")
    t.check("triage: the playbook, its outcome, one merged alert",
            tri.get("Playbook") == "phishing_triage" and
            tri.get("Outcome") == "triaged" and
            tri.get("Merged alerts") == "1", tri)
    t.check("triage steps in order, each applied or not",
            [s[1] for s in steps] == [
                "extract_indicators", "suppress", "add_tags", "set_queue",
                "set_severity", "merge", "set_status"] and
            steps[1][2] == "no" and steps[2][2] == "yes" and
            steps[6][2] == "yes", steps)
    ind = wd.js("return [...document.querySelectorAll('.indicators-table "
                "tbody tr')].map(r => [...r.cells].map(c => "
                "c.textContent));")
    dom = "phish-%s.example" % t.run_id
    t.check("indicators: the sender's domain, address and the URL",
            ["sender_domain", dom] in ind and
            ["email", "billing@" + dom] in ind and
            ["url", "http://%s/pay" % dom] in ind, ind)
    ent = wd.js("return [...document.querySelectorAll('.entities-table "
                "tbody tr')].map(r => [...r.cells].map(c => "
                "c.textContent));")
    t.check("entities: the subject with the probe, as text",
            ["subject", subject] in ent, ent)
    merged = wd.js("return [...document.querySelectorAll('.merged-alerts "
                   "tbody tr')].map(r => JSON.parse(r.cells[1].textContent)"
                   ".id);")
    raw = json.loads(t.text(".raw-payload") or "{}")
    t.check("merged alerts: the second alert; the raw payload: the first",
            merged == [second["id"]] and raw.get("id") == first["id"],
            [merged, raw.get("id")])
    t.no_injection("incident view")
    t.shot("detail")
    wd.js("document.querySelector('.incident-detail .triage')"
          ".scrollIntoView();")
    t.shot("detail-triage")
    wd.js("document.querySelector('.incident-detail .merged')"
          ".scrollIntoView();")
    t.shot("detail-merged")
    wd.cmd("POST", "/window/rect", {"width": 390, "height": 900})
    over = wd.wait("return document.documentElement.scrollWidth <= "
                   "document.documentElement.clientWidth;", 3.0)
    t.check("the incident's view at phone width: no sideways scroll", over,
            wd.js("return document.documentElement.scrollWidth;"))
    t.shot("detail-phone")
    wd.cmd("POST", "/window/rect", {"width": 1280, "height": 900})

    # An unknown incident: said, not a crash.
    t.allow(404, "/api/incidents/INC-1999-9999")
    t.open("incidents/INC-1999-9999")
    t.check("an unknown incident is said so",
            (t.text("#page .error") or "").startswith(
                "No incident INC-1999-9999"), t.text("#page .error"))
    reload(t)
