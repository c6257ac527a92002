"""
pagerduty: an emulator of PagerDuty's Events API v2, alert events
(developer.pagerduty.com: Events API v2 "Overview", "Send an Alert
Event", "Rate Limits"; PagerDuty/api-schema reference/events-v2).

    POST /v2/enqueue      (or any path ending in /v2/enqueue: a test may
                          give each integration its own prefix, so that
                          /_emu/script answers reach only that one)

Each request is checked as PagerDuty documents it: a JSON object
(Content-Type application/json), at most 512 KB; routing_key the 32
character integration key; event_action trigger, acknowledge or resolve;
dedup_key at most 255 characters, required unless triggering; a trigger's
payload with summary (1..1024 characters), source, severity (critical,
error, warning, info), an optional ISO 8601 timestamp, optional
component, group, class strings and custom_details object; links and
images as documented.  Answers are PagerDuty's:

    202 {"status": "success", "message": "Event processed",
         "dedup_key": ...}          (a UUID made when a trigger has none)
    400 {"status": "invalid event", "message": "Event object is invalid",
         "errors": [...]}           (the messages PagerDuty writes)
    400 {"status": "Unrecognized object", "message": "Event object format
         is unrecognized", "errors": ["JSON parse error"]}
    413 a body over 512 KB (PagerDuty documents the limit, not the
        answer: this one is an assumption)
    429 more than 120 events in 60 s for one routing key (PagerDuty's
        documented per-key limit), or a key marked below

Control (vendor-specific, beside emu.py's /_emu/ routes):
    POST /_pd/rate_limit  {"routing_key": k, "count": n, "retry_after":
                          s|null}: the next n events of key k get 429
                          (with Retry-After: s when given)

State (GET /_emu/state), PagerDuty's alert de-duplication: an event
applies to the open incident of the same routing_key and dedup_key; a
trigger without one opens a new incident; acknowledge and resolve
without one are dropped:
    {"incidents": [{"routing_key", "dedup_key", "status": "triggered" |
      "acknowledged" | "resolved", "events": triggers grouped,
      "actions": [...], "summary", "severity", "source", "timestamp",
      "custom_details", "links"}],
     "dropped": n, "accepted": n, "refused": n}
"""
import json
import os
import re
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu  # noqa: E402

BODY_MAX = 512000           # "Events API payloads are limited to 512 KB"
KEY_LEN = 32                # "the 32 character Integration Key"
DEDUP_MAX = 255
SUMMARY_MAX = 1024
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
RATE_PER_MINUTE = 120       # "approximately 120 calls/minute per key"
ISO8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?"
                     r"(Z|[+-]\d{2}(:?\d{2})?)?$")

JSON_HDR = {"Content-Type": "application/json"}
recent = {}                 # routing_key -> [times of accepted requests]


def answer(status, obj, headers=None):
    h = dict(JSON_HDR)
    h.update(headers or {})
    return status, h, json.dumps(obj)


def invalid(errors):
    return answer(400, {"status": "invalid event",
                        "message": "Event object is invalid",
                        "errors": errors})


def unrecognized(why):
    return answer(400, {"status": "Unrecognized object",
                        "message": "Event object format is unrecognized",
                        "errors": [why]})


def blank(v):
    return not isinstance(v, str) or v.strip() == ""


def check_links(ev, errors):
    links = ev.get("links")
    if links is not None:
        if not isinstance(links, list):
            errors.append("'links' must be an array")
        else:
            for i, ln in enumerate(links):
                if not isinstance(ln, dict) or blank(ln.get("href")):
                    errors.append("'links[%d].href' is missing or blank" % i)
                elif "text" in ln and not isinstance(ln["text"], str):
                    errors.append("'links[%d].text' must be a string" % i)
    images = ev.get("images")
    if images is not None:
        if not isinstance(images, list):
            errors.append("'images' must be an array")
        else:
            for i, im in enumerate(images):
                if not isinstance(im, dict) or blank(im.get("src")):
                    errors.append("'images[%d].src' is missing or blank" % i)
                elif not im["src"].startswith("https://"):
                    errors.append("'images[%d].src' must be served via "
                                  "HTTPS" % i)


def check_payload(p, errors):
    if not isinstance(p, dict):
        errors.append("'payload' is missing or blank")
        return
    s = p.get("summary")
    if blank(s):
        errors.append("'payload.summary' is missing or blank")
    elif len(s) > SUMMARY_MAX:
        errors.append("Length of 'payload.summary' is incorrect (should "
                      "be at most %d characters)" % SUMMARY_MAX)
    if blank(p.get("source")):
        errors.append("'payload.source' is missing or blank")
    sev = p.get("severity")
    if blank(sev):
        errors.append("'payload.severity' is missing or blank")
    elif sev not in SEVERITIES:
        errors.append("'payload.severity' is invalid (must be one of the "
                      "following: 'critical', 'warning', 'error' or "
                      "'info')")
    ts = p.get("timestamp")
    if ts is not None and (not isinstance(ts, str) or not ISO8601.match(ts)):
        errors.append("'payload.timestamp' is invalid (must be an ISO "
                      "8601 timestamp)")
    for k in ("component", "group", "class"):
        if k in p and not isinstance(p[k], str):
            errors.append("'payload.%s' must be a string" % k)
    if "custom_details" in p and not isinstance(p["custom_details"], dict):
        errors.append("'payload.custom_details' must be an object")


def validate(ev):
    errors = []
    key = ev.get("routing_key")
    if blank(key):
        errors.append("'routing_key' is missing or blank")
    elif len(key) != KEY_LEN:
        errors.append("Length of 'routing_key' is incorrect (should be "
                      "%d characters)" % KEY_LEN)
    action = ev.get("event_action")
    if blank(action):
        errors.append("'event_action' is missing or blank")
    elif action not in ACTIONS:
        errors.append("'event_action' is invalid (must be one of the "
                      "following: 'trigger', 'acknowledge' or 'resolve')")
    dk = ev.get("dedup_key")
    if dk is not None and not isinstance(dk, str):
        errors.append("'dedup_key' must be a string")
    elif isinstance(dk, str) and len(dk) > DEDUP_MAX:
        errors.append("Length of 'dedup_key' is incorrect (should be at "
                      "most %d characters)" % DEDUP_MAX)
    elif action in ("acknowledge", "resolve") and blank(dk):
        errors.append("'dedup_key' is missing or blank")
    if action == "trigger":
        check_payload(ev.get("payload"), errors)
        check_links(ev, errors)
        for k in ("client", "client_url"):
            if k in ev and not isinstance(ev[k], str):
                errors.append("'%s' must be a string" % k)
    return errors


def open_incident(state, key, dk):
    for inc in state["incidents"]:
        if (inc["routing_key"] == key and inc["dedup_key"] == dk
                and inc["status"] != "resolved"):
            return inc
    return None


def apply(state, ev):
    """PagerDuty's alert de-duplication; returns the dedup_key."""
    key, action = ev["routing_key"], ev["event_action"]
    dk = ev.get("dedup_key") or ""
    if action == "trigger" and dk == "":
        dk = str(uuid.uuid4())  # "a unique UUID"
    inc = open_incident(state, key, dk)
    if action == "trigger":
        p = ev["payload"]
        if inc is None:
            inc = {"routing_key": key, "dedup_key": dk,
                   "status": "triggered", "events": 0, "actions": []}
            state["incidents"].append(inc)
        inc["events"] += 1
        for k in ("summary", "severity", "source", "timestamp",
                  "custom_details"):
            if k in p:
                inc[k] = p[k]
        if "links" in ev:
            inc["links"] = ev["links"]
    elif inc is None:
        state["dropped"] += 1   # nothing open: dropped, still accepted
        return dk
    elif action == "acknowledge":
        inc["status"] = "acknowledged"
    else:
        inc["status"] = "resolved"
    inc["actions"].append(action)
    return dk


def rate_limited(state, key):
    """429 headers (a dict) when key is over its limit, else None."""
    mark = state["marks"].get(key)
    if mark and mark["count"] > 0:
        mark["count"] -= 1
        ra = mark.get("retry_after")
        return {"Retry-After": str(ra)} if ra is not None else {}
    now = time.monotonic()
    times = [t for t in recent.get(key, []) if now - t < 60]
    if len(times) >= RATE_PER_MINUTE:
        recent[key] = times
        return {}
    times.append(now)
    recent[key] = times
    return None


def handle(e, req):
    st = e.state
    if "incidents" not in st:
        st.update({"incidents": [], "dropped": 0, "accepted": 0,
                   "refused": 0, "marks": {}})
        recent.clear()
    if req.path == "/_pd/rate_limit" and req.method == "POST":
        m = req.json if isinstance(req.json, dict) else {}
        n, ra = m.get("count", 1), m.get("retry_after")
        if (not isinstance(m.get("routing_key"), str)
                or not isinstance(n, int) or
                (ra is not None and not isinstance(ra, int))):
            return answer(400, {"error": "want {routing_key: string, "
                                         "count: int, retry_after: "
                                         "int|null}"})
        st["marks"][m["routing_key"]] = {"count": n, "retry_after": ra}
        return answer(200, {})
    if not req.path.endswith("/v2/enqueue"):
        return answer(404, {"status": "Not Found",
                            "message": "Not Found"})
    if req.method != "POST":
        return answer(405, {"status": "Method Not Allowed",
                            "message": "Method Not Allowed"})
    if len(req.body) > BODY_MAX:
        st["refused"] += 1
        return answer(413, {"status": "invalid event",
                            "message": "Event object is too large",
                            "errors": ["Request body is larger than "
                                       "512 KB"]})
    ctype = req.headers.get("content-type", "")
    if ctype.split(";")[0].strip().lower() != "application/json":
        st["refused"] += 1
        return unrecognized("Content-Type must be application/json")
    if not isinstance(req.json, dict):
        st["refused"] += 1
        return unrecognized("JSON parse error")
    errors = validate(req.json)
    if errors:
        st["refused"] += 1
        return invalid(errors)
    limited = rate_limited(st, req.json["routing_key"])
    if limited is not None:
        return answer(429, {"status": "throttle event",
                            "message": "Requests for this service are "
                                       "arriving too quickly.  Please "
                                       "retry later."}, limited)
    dk = apply(st, req.json)
    st["accepted"] += 1
    return answer(202, {"status": "success", "message": "Event processed",
                        "dedup_key": dk})


if __name__ == "__main__":
    emu.main(handle)
