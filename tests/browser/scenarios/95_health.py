"""Health (issue 11, the home page): after traffic the scenario sends
itself (a user's trigger: 3 accepted and 2 refused requests; a request to
an unknown source named with the XSS probe; a test delivery answered 200
and one answered 500), GET /api/stats has grown by exactly that, and the
console opens on #/health: /healthz, three charts (canvas) and, as text,
the route's figures: totals, latency, the sources, per-bucket rows adding
up to the totals and equal to the route's, bucket by bucket.  The time
range, chosen with the arrow keys, changes nothing until Show (the focus
stays); Show opens it with its own buckets; the page fits 390
px; the user sees its own trigger's figures only (5 received, 2 refused,
no delivery)."""

import json
import re
import urllib.error
import urllib.parse
import urllib.request

# The figures the page shows: summary lists by key, the sources table,
# the bucket table, the canvases.
FIGURES = """
const kv = (sel) => { const o = {};
    for (const dd of document.querySelectorAll(sel + ' dd'))
        o[dd.dataset.k] = dd.textContent;
    return o; };
const rows = (sel) => [...document.querySelectorAll(sel + ' tbody tr')].map(
    r => [...r.cells].map(c => c.textContent));
return {healthz: kv('#healthz'), inbound: kv('#health-inbound .summary'),
        deliveries: kv('#health-deliveries .summary'),
        sources: rows('#health-sources'), buckets: rows('#health-bucket-rows'),
        canvases: document.querySelectorAll('#page .chart canvas').length,
        captions: [...document.querySelectorAll('#page .chart figcaption')]
            .map(c => c.textContent),
        meta: (document.querySelector('#page p.meta') || {}).textContent,
        errors: document.querySelectorAll('#page .error').length};
"""


def raw(t, method, path, body=b"", token=None, ctype="application/json"):
    """(status, JSON) of a request with this exact body (b"": an empty
    one with its Content-Length, as lighttpd wants)."""
    rq = urllib.request.Request(t.base + path, data=body, method=method)
    if token is not False:
        rq.add_header("Authorization", "Bearer " + (token or t.token))
    rq.add_header("Content-Type", ctype)
    try:
        with urllib.request.urlopen(rq, timeout=30) as r:
            data, code = r.read(), r.status
    except urllib.error.HTTPError as e:
        data, code = e.read(), e.code
    try:
        return code, json.loads(data) if data else None
    except ValueError:
        return code, None


def when(v):
    """The page's form of an API time (lib.js when())."""
    s = re.sub(r"\.\d+", "", str(v).replace("T", " "))
    return re.sub(r"\+00(:00)?$|Z$", " UTC", s)


def ms(v):
    """The page's form of a latency (lib.js formatMs(): to a tenth)."""
    return "—" if v is None else "%.1f ms" % v


def run(t):
    wd = t.wd
    sink = t.sink()
    sink.status["/bad"] = 500
    code, before = t.api("GET", "/api/stats?hours=24")
    t.check("setup: the figures before", code == 200, before)

    # Inbound: a user's trigger, 3 accepted, 2 refused by its schema.
    owner = "health-%s" % t.run_id
    utoken = t.user_token(owner)
    ref = ("health-%s.hook" % t.run_id).lower()
    code, v = t.api("POST", "/api/v1/triggers", {
        "ref": ref, "payload_schema": {"type": "object", "required": ["n"]}},
        utoken)
    t.check("setup: the user's trigger", code == 201, v)
    code, v = raw(t, "POST", "/api/v1/triggers/%s/webhooks/enable" % ref,
                  token=utoken)
    key = (v or {}).get("data", {}).get("webhook_key")
    t.check("setup: its receiver enabled", code == 200 and bool(key), v)
    got = [raw(t, "POST", "/api/v1/webhooks/" + key,
               json.dumps(b).encode(), token=False)[0]
           for b in ({"n": 1}, {"n": 2}, {"n": 3}, {"x": 1}, {"x": 2})]
    t.check("setup: 3 requests accepted, 2 refused",
            [c < 300 for c in got] == [True] * 3 + [False] * 2, got)
    # A source name is the caller's word: the probe, if the audit keeps it.
    code, _ = raw(t, "POST", "/api/webhooks/" + urllib.parse.quote(
        "xss-" + t.probe, safe=""), b"{}", token=False)
    t.check("setup: a request to an unknown source is refused", code >= 400,
            code)

    # Deliveries: Test connection on a 200 and on a 500 receiver.
    ids = []
    for p in ("/ok", "/bad"):
        code, v = t.api("POST", "/api/integrations", {
            "type": "webhook", "name": "health %s %s" % (p, t.run_id),
            "events": ["finding.created"], "config": {"url": sink.url + p}})
        t.check("setup: a webhook integration to %s" % p, code == 201, v)
        ids.append(v["id"])
    res = [raw(t, "POST", "/api/integrations/%s/test" % i)[1] for i in ids]
    t.check("setup: one test delivered, one not",
            [r and r.get("ok") for r in res] == [True, False], res)

    code, after = t.api("GET", "/api/stats?hours=24")
    di = {k: after["inbound"][k] - before["inbound"][k]
          for k in ("received", "refused")}
    t.check("the route: 6 more requests, 3 more refused", di == {
        "received": 6, "refused": 3}, di)
    dd = {k: after["deliveries"][k] - before["deliveries"][k]
          for k in ("sent", "failed")}
    t.check("the route: one more attempt sent, one more failed",
            dd == {"sent": 1, "failed": 1}, dd)

    # The console opens on the health page.
    t.get(t.base + "/console/")
    t.must("the console shows the sign-in form or a page",
           "return !document.getElementById('signin').hidden || "
           "!document.getElementById('who').hidden;")
    if not t.signed_in():
        t.signin()
    ready = wd.wait("const p = document.querySelector('#page .page');"
                    "return p && p.dataset.ready === '1' && p.dataset.page;",
                    10.0)
    t.check("the home page is Health", ready == "health", ready)
    t.check("the Health link is the current one", t.text(
        "#nav-links a[aria-current=page]") == "Health")
    f = wd.wait("const f = (function(){%s})(); return f.canvases === 3 && f;"
                % FIGURES, 10.0)
    t.check("three charts are drawn (canvas)", bool(f), f)
    f = f or wd.js(FIGURES)
    t.check("each chart has a caption", f["captions"] == [
        "Requests per 1 hour, by source", "Delivery attempts per 1 hour",
        "Delivery latency"], f["captions"])
    t.check("/healthz: ok, database reachable", f["healthz"] == {
        "Status": "ok", "Database": "reachable"}, f["healthz"])
    code, now = t.api("GET", "/api/stats?hours=24")
    t.check("nothing else came in meanwhile", now["inbound"] == after["inbound"]
            and now["deliveries"] == after["deliveries"])
    i, d = now["inbound"], now["deliveries"]
    t.check("the page's request totals are the route's", f["inbound"] == {
        "Received": str(i["received"]), "Refused": str(i["refused"]),
        "Sources": str(len(i["sources"]))}, [f["inbound"], i])
    t.check("the page's delivery figures are the route's", f["deliveries"] == {
        "Sent": str(d["sent"]), "Failed": str(d["failed"]),
        "Latency p50": ms(d["latency_ms"]["p50"]),
        "Latency p95": ms(d["latency_ms"]["p95"]),
        "Latency mean": ms(d["latency_ms"]["avg"])}, [f["deliveries"], d])
    t.check("the sources table is the route's, row by row",
            f["sources"] == [[s["source"] or "(unknown)", s["kind"],
                              str(s["received"]), str(s["refused"])]
                             for s in i["sources"]], f["sources"])
    cols = list(zip(*f["buckets"])) if f["buckets"] else [()] * 5
    t.check("the bucket rows add up to the totals",
            [sum(int(x) for x in cols[k]) for k in (1, 2, 3, 4)] ==
            [i["received"], i["refused"], d["sent"], d["failed"]], f["buckets"])
    # Bucket by bucket: the rows with something in them, as the route
    # answered (compared in the window the page drew: an hour may turn
    # between the page and this call).
    meta = f["meta"] or ""
    if ("From " + when(now["since"]) + " ") not in meta:
        t.open("health?hours=24")  # a new hash: the page again
        f = wd.wait("const f = (function(){%s})(); return f.canvases === 3 "
                    "&& f;" % FIGURES, 10.0) or wd.js(FIGURES)
        code, now = t.api("GET", "/api/stats?hours=24")
    d = now["deliveries"]
    want = []
    for k, b in enumerate(now["buckets"]):
        rec = now["inbound"]["received_by_bucket"][k]
        rfd = now["inbound"]["refused_by_bucket"][k]
        if rec + rfd + d["sent_by_bucket"][k] + d["failed_by_bucket"][k]:
            want.append([when(b), str(rec), str(rfd),
                         str(d["sent_by_bucket"][k]),
                         str(d["failed_by_bucket"][k]),
                         ms(d["p50_ms_by_bucket"][k]),
                         ms(d["p95_ms_by_bucket"][k])])
    t.check("the bucket rows are the route's, bucket by bucket",
            bool(want) and f["buckets"] == want, [f["buckets"], want])
    t.check("no error shown", f["errors"] == 0, f)
    t.no_injection("health")
    t.shot("home")
    wd.js("document.getElementById('health-deliveries').scrollIntoView();")
    t.shot("deliveries")

    # Keyboard: the time range.  Arrow keys change the choice only (WCAG
    # 3.2.2); Show opens it, and the focus stays on Show.
    wd.js("document.querySelector('.health-range select').focus();")
    wd.type(wd.find(".health-range select"), "\ue013")  # ArrowUp
    st = wd.js("const s = document.querySelector('.health-range select');"
               "return [s.value, document.activeElement === s, "
               "location.hash];")
    t.check("ArrowUp picks 'Last 6 hours' and stays: same page, the focus "
            "on the select", st[:2] == ["6", True] and
            "hours=" not in st[2], st)
    t.click(".health-range button[type=submit]")
    went = wd.wait("const p = document.querySelector('#page .page');"
                   "return location.hash === '#/health?hours=6' && p && "
                   "p.dataset.ready === '1' && "
                   "document.activeElement.matches('.health-range "
                   "button[type=submit]');")
    t.check("Show opens #/health?hours=6, the focus back on Show",
            bool(went), wd.js("return [location.hash, document."
                              "activeElement.outerHTML.slice(0, 80)];"))
    t.open("health?hours=6")
    f = wd.wait("const f = (function(){%s})(); return f.canvases === 3 && f;"
                % FIGURES, 10.0)
    t.check("the last 6 hours: 5-minute buckets",
            bool(f) and "in buckets of 5 minutes" in f["meta"] and
            f["captions"][0] == "Requests per 5 minutes, by source", f)
    code, six = t.api("GET", "/api/stats?hours=6")
    t.check("the 6-hour totals are the route's",
            bool(f) and f["inbound"]["Received"] ==
            str(six["inbound"]["received"]) and f["deliveries"]["Sent"] ==
            str(six["deliveries"]["sent"]) and len(f["sources"]) ==
            len(six["inbound"]["sources"]), [f, six["inbound"]])
    t.shot("six-hours")

    # Phone width: the charts shrink to the window (a resize redraws
    # them); nothing scrolls sideways but the tables.
    wd.cmd("POST", "/window/rect", {"width": 390, "height": 844})
    t.must("at 390 px the charts fit the width",
           "const c = document.querySelector('.chart canvas');"
           "return window.innerWidth <= 400 && c && "
           "c.getBoundingClientRect().right <= "
           "document.documentElement.clientWidth;", 5.0)
    t.phone("health")
    t.phone("health chart", ".chart")

    # The user: its own trigger's figures only (no hookpost subscription:
    # no delivery; integrations are the admin's here).
    t.signin(utoken)
    t.open("health")
    f = wd.wait("const f = (function(){%s})(); return f.canvases === 3 && "
                "f.inbound.Received !== undefined && f;" % FIGURES, 10.0)
    t.check("the user sees its trigger's 5 requests, 2 refused, and "
            "nothing of the admin's",
            bool(f) and f["inbound"] == {"Received": "5", "Refused": "2",
                                         "Sources": "1"} and
            f["sources"] == [[ref, "trigger", "5", "2"]] and
            f["deliveries"]["Sent"] == "0" and f["deliveries"]["Failed"] ==
            "0" and f["errors"] == 0, f)
    t.shot("user")
    t.signin()
