"""
servicenow: an emulator of ServiceNow's Table API, the subset hookpost's
connector uses (the ServiceNow docs: "Table API", "REST API HTTP response
codes", "Inbound REST API rate limiting"; the incident and change
request state models of the base system).

    GET    /api/now/table/<table>             a list: sysparm_query
                                              (field=value, field!=value,
                                              ^ between them, ORDERBY<f>,
                                              ORDERBYDESC<f>), sysparm_limit
                                              (default 10000),
                                              sysparm_offset, sysparm_fields
    POST   /api/now/table/<table>             201 {"result": the record}
    GET    /api/now/table/<table>/<sys_id>    200 {"result": ...}
    PATCH  /api/now/table/<table>/<sys_id>    (PUT too) 200 {"result": ...}
    DELETE /api/now/table/<table>/<sys_id>    204, no body

(/api/now/v2/table/... alike, and under any path prefix: a test gives
each integration its own, so that /_emu/script answers reach only it).  Tables: incident (numbers INC0010001 on)
and change_request (CHG0030001 on).  As ServiceNow: every value comes
back as a string; sysparm_fields and query conditions naming no field
are ignored (so is an unknown field in a body: recorded in the state's
"ignored_fields"); sys_* fields are not written; work_notes and comments
are journal fields (each write a new entry, read back as ""); priority
follows impact x urgency; a resolved or closed record needs close_code
and close_notes (the "close info mandatory" data policy, 403).  A closed
record (incident 7, change_request 3) is final: ServiceNow reopens no
closed incident ("Reopening an incident": "If the incident is already
closed, you cannot reopen that incident"), and its base system leaves a
closed record read-only to all but admins through the table's write ACL,
so any PATCH or PUT of one is refused as an ACL refuses it (403 "ACL
Exception Update Failed due to security constraints").

Checks the emulator makes where ServiceNow's answer is not documented
(assumptions, so that a test sees hookpost's bounds): short_description
at most 160 characters, description, close_notes, work_notes and
comments at most 4000, correlation_id and correlation_display 100,
close_code 40 (400 "Field value too long"); urgency and impact 1 to 3,
state one of the table's (400 "Invalid field value").

Authentication: Basic or Bearer, against the accounts made with

    POST /_sn/account  {"username": u, "password": p, "deny": [...]}
                       or {"token": t, "deny": [...]}; deny any of
                       "read", "create", "write", "delete" (an ACL)

(kept apart from /_emu/state, which never shows a credential).  Answers
are ServiceNow's, {"error": {"message", "detail"}, "status": "failure"}:

    401 User Not Authenticated: Required to provide Auth information
    403 Insufficient rights to query records (detail null);
        Operation Failed: ACL Exception Insert|Update|Delete Failed due
        to security constraints; Operation Failed: Data Policy Exception
    400 Invalid table <t>: Table <t> does not exist;
        Requested URI does not represent any resource
    404 No Record found: Record doesn't exist or ACL restricts the record
        retrieval
    415 a body that is not JSON (Content-Type)
    429 Rate limit exceeded (with Retry-After) through /_emu/script

State (GET /_emu/state):
    {"records": {"incident": [...], "change_request": [...]} (each with
     "journal": [{"element", "value"}]), "deleted": [{"table", "sys_id",
     "number"}], "ignored_fields": [...], "counters": {...}}
"""
import base64
import json
import os
import re
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu  # noqa: E402

JSON_HDR = {"Content-Type": "application/json;charset=UTF-8"}

# A task's fields (the subset of the task table a record shows here).
TASK_FIELDS = ("sys_id", "number", "state", "short_description",
               "description", "urgency", "impact", "priority",
               "assignment_group", "correlation_id", "correlation_display",
               "work_notes", "comments", "close_code", "close_notes",
               "active", "opened_at", "sys_created_on", "sys_updated_on",
               "sys_created_by", "sys_updated_by", "sys_class_name",
               "sys_mod_count")
REFERENCES = ("assignment_group", "caller_id", "requested_by")
JOURNALS = ("work_notes", "comments")
TABLES = {
    "incident": {
        "prefix": "INC", "first": 10001,
        "fields": TASK_FIELDS + ("caller_id", "reopen_count",
                                 "resolved_at", "closed_at", "category"),
        "states": ("1", "2", "3", "6", "7", "8"), "new": "1",
        "closing": ("6", "7"), "inactive": ("7", "8"), "final": ("7",),
        "mandatory": "Resolution code, Resolution notes",
    },
    "change_request": {
        "prefix": "CHG", "first": 30001,
        "fields": TASK_FIELDS + ("requested_by", "type", "risk",
                                 "closed_at"),
        "states": ("-5", "-4", "-3", "-2", "-1", "0", "3", "4"),
        "new": "-5", "closing": ("3",), "inactive": ("3", "4"),
        "final": ("3",),
        "mandatory": "Close code, Close notes",
    },
}
MAX_LEN = {"short_description": 160, "description": 4000,
           "close_notes": 4000, "work_notes": 4000, "comments": 4000,
           "correlation_id": 100, "correlation_display": 100,
           "close_code": 40}
PRIORITY = {("1", "1"): "1", ("1", "2"): "2", ("2", "1"): "2",
            ("1", "3"): "3", ("2", "2"): "3", ("3", "1"): "3",
            ("2", "3"): "4", ("3", "2"): "4", ("3", "3"): "5"}

accounts = {"basic": {}, "bearer": {}}


def now():
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def answer(status, obj, headers=None):
    h = dict(JSON_HDR)
    h.update(headers or {})
    return status, h, json.dumps(obj)


def failure(status, message, detail, headers=None):
    return answer(status, {"error": {"message": message, "detail": detail},
                           "status": "failure"}, headers)


def unauthenticated():
    return failure(401, "User Not Authenticated",
                   "Required to provide Auth information")


def authenticate(req):
    """The account of the request's credentials, or None."""
    h = req.headers.get("authorization", "")
    if h[:6].lower() == "basic ":
        try:
            user, _, pw = base64.b64decode(h[6:].strip(),
                                           validate=True).decode(
                                               "utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        a = accounts["basic"].get(user)
        return a if a is not None and a["password"] == pw else None
    if h[:7].lower() == "bearer ":
        return accounts["bearer"].get(h[7:].strip())
    return None


def acl_denied(kind):
    if kind == "read":
        return failure(403, "Insufficient rights to query records", None)
    verb = {"create": "Insert", "write": "Update", "delete": "Delete"}[kind]
    return failure(403, "Operation Failed", "ACL Exception %s Failed due "
                   "to security constraints" % verb)


def shown(rec, table, fields, links, host):
    """The record as the Table API shows it: strings, sysparm_fields."""
    names = TABLES[table]["fields"]
    if fields:
        names = [f for f in fields if f in names]
    out = {}
    for f in names:
        v = "" if f in JOURNALS else rec.get(f, "")
        if f in REFERENCES and v and links:
            v = {"link": "http://%s/api/now/table/%s/%s" % (
                host, "sys_user_group" if f == "assignment_group"
                else "sys_user", v), "value": v}
        out[f] = v
    return out


def fields_param(req):
    v = req.query.get("sysparm_fields")
    return [f.strip() for f in v[0].split(",") if f.strip()] if v else None


def links_param(req):
    return req.query.get("sysparm_exclude_reference_link",
                         ["false"])[0] != "true"


def as_text(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return ""
    return str(v)


def write(st, table, rec, body, creating):
    """Applies a body to rec (a copy); returns an error answer or None."""
    t = TABLES[table]
    notes = []
    for k, v in body.items():
        if k.startswith("sys_"):
            continue            # "typically system parameters ... cannot
            # be updated"
        if k not in t["fields"] or k in ("number", "priority", "active"):
            st["ignored_fields"].append({"table": table, "field": k})
            continue
        if isinstance(v, (dict, list)):
            return failure(400, "Invalid field value",
                           "%s: not a string" % k)
        v = as_text(v)
        if k in MAX_LEN and len(v) > MAX_LEN[k]:
            return failure(400, "Field value too long",
                           "%s: %d characters, at most %d" %
                           (k, len(v), MAX_LEN[k]))
        if k in ("urgency", "impact") and v not in ("1", "2", "3"):
            return failure(400, "Invalid field value",
                           "%s: %r is not 1, 2 or 3" % (k, v))
        if k == "state" and v not in t["states"]:
            return failure(400, "Invalid field value",
                           "state: %r is not a state of %s" % (v, table))
        if k in JOURNALS:
            if v != "":
                notes.append({"element": k, "value": v,
                              "sys_created_on": now()})
            continue
        rec[k] = v
    if creating and not rec.get("state"):
        rec["state"] = t["new"]
    if rec.get("state") in t["closing"] and not (rec.get("close_code") and
                                                 rec.get("close_notes")):
        return failure(403, "Operation Failed",
                       "Data Policy Exception: \n\tThe following fields "
                       "are mandatory: %s\n" % t["mandatory"])
    rec["priority"] = PRIORITY.get((rec.get("impact", "3"),
                                    rec.get("urgency", "3")), "5")
    rec["active"] = "false" if rec.get("state") in t["inactive"] else "true"
    rec.setdefault("journal", []).extend(notes)
    return None


def query(records, known, q):
    """sysparm_query: conditions on unknown fields are ignored."""
    conds, order = [], []
    for part in (q or "").split("^"):
        if part.startswith("ORDERBYDESC"):
            order.append((part[11:], True))
        elif part.startswith("ORDERBY"):
            order.append((part[7:], False))
        elif "!=" in part:
            f, v = part.split("!=", 1)
            conds.append((f, v, False))
        elif "=" in part:
            f, v = part.split("=", 1)
            conds.append((f, v, True))
    rows = list(records)
    for f, v, eq in conds:
        if f not in known:
            continue            # "the instance ignores the invalid part"
        rows = [r for r in rows if (r.get(f, "") == v) == eq]
    for f, desc in reversed(order):
        rows.sort(key=lambda r: (r.get(f, ""), r["_seq"]), reverse=desc)
    return rows


def handle(e, req):
    st = e.state
    if "records" not in st:
        st.update({"records": {t: [] for t in TABLES}, "deleted": [],
                   "ignored_fields": [], "seq": 0,
                   "counters": {t: TABLES[t]["first"] for t in TABLES}})
    if req.path == "/_sn/account" and req.method == "POST":
        m = req.json if isinstance(req.json, dict) else {}
        deny = m.get("deny", [])
        if (not isinstance(deny, list) or
                not set(deny) <= {"read", "create", "write", "delete"}):
            return answer(400, {"error": "deny: read, create, write, delete"})
        if isinstance(m.get("token"), str):
            accounts["bearer"][m["token"]] = {"deny": deny}
        elif (isinstance(m.get("username"), str) and
              isinstance(m.get("password"), str)):
            accounts["basic"][m["username"]] = {"password": m["password"],
                                                "deny": deny}
        else:
            return answer(400, {"error": "want {username, password} or "
                                         "{token}"})
        return answer(200, {})
    who = authenticate(req)
    if who is None:
        return unauthenticated()
    m = re.match(r"^(?:/[A-Za-z0-9_.-]+)*?/api/now/(?:v[12]/)?table/"
                 r"([^/]+)(?:/([^/]+))?/?$", req.path)
    if not m:
        return failure(400, "Requested URI does not represent any "
                       "resource", None)
    table, sys_id = m.group(1), m.group(2)
    if table not in TABLES:
        return failure(400, "Invalid table %s" % table,
                       "Table %s does not exist" % table)
    records = st["records"][table]
    host = req.headers.get("host", "127.0.0.1")
    fields, links = fields_param(req), links_param(req)
    if req.method in ("POST", "PUT", "PATCH"):
        ctype = req.headers.get("content-type", "").split(";")[0].strip()
        if ctype.lower() != "application/json":
            return failure(415, "Unsupported Media Type",
                           "Content-Type must be application/json")
        if not isinstance(req.json, dict):
            return failure(400, "Exception while reading request",
                           "The payload is not valid JSON.")
    if sys_id is None:
        if req.method == "GET":
            if "read" in who["deny"]:
                return acl_denied("read")
            try:
                limit = int(req.query.get("sysparm_limit", ["10000"])[0])
                offset = int(req.query.get("sysparm_offset", ["0"])[0])
            except ValueError:
                return failure(400, "Invalid parameter", "sysparm_limit "
                               "and sysparm_offset are numbers")
            rows = query(records, TABLES[table]["fields"],
                         req.query.get("sysparm_query", [""])[0])
            page = rows[offset:offset + max(limit, 0)]
            return answer(200, {"result": [shown(r, table, fields, links,
                                                 host) for r in page]},
                          {"X-Total-Count": str(len(rows))})
        if req.method != "POST":
            return failure(405, "Method not Supported",
                           "%s is not supported here" % req.method)
        if "create" in who["deny"]:
            return acl_denied("create")
        rec = {}
        bad = write(st, table, rec, req.json, True)
        if bad:
            return bad
        n = st["counters"][table]
        st["counters"][table] = n + 1
        st["seq"] += 1
        rec.update({"sys_id": uuid.uuid4().hex,
                    "number": "%s%07d" % (TABLES[table]["prefix"], n),
                    "sys_created_on": now(), "sys_updated_on": now(),
                    "opened_at": now(), "sys_class_name": table,
                    "sys_mod_count": "0", "_seq": st["seq"]})
        records.append(rec)
        return answer(201, {"result": shown(rec, table, fields, links,
                                            host)},
                      {"Location": "http://%s/api/now/table/%s/%s" %
                       (host, table, rec["sys_id"])})
    rec = next((r for r in records if r["sys_id"] == sys_id), None)
    if rec is None:
        return failure(404, "No Record found", "Record doesn't exist or "
                       "ACL restricts the record retrieval")
    if req.method == "GET":
        if "read" in who["deny"]:
            return acl_denied("read")
        return answer(200, {"result": shown(rec, table, fields, links,
                                            host)})
    if req.method in ("PUT", "PATCH"):
        if "write" in who["deny"] or \
                rec.get("state") in TABLES[table]["final"]:
            return acl_denied("write")
        new = dict(rec)
        new["journal"] = list(rec.get("journal", []))
        before = rec.get("state")
        bad = write(st, table, new, req.json, False)
        if bad:
            return bad
        if table == "incident" and before in ("6", "7") and \
                new.get("state") not in ("6", "7", "8"):
            new["reopen_count"] = str(int(new.get("reopen_count") or 0) + 1)
        if table == "incident" and new.get("state") == "6" and \
                before != "6":
            new["resolved_at"] = now()
        new["sys_updated_on"] = now()
        new["sys_mod_count"] = str(int(new.get("sys_mod_count", "0")) + 1)
        rec.clear()
        rec.update(new)
        return answer(200, {"result": shown(rec, table, fields, links,
                                            host)})
    if req.method == "DELETE":
        if "delete" in who["deny"]:
            return acl_denied("delete")
        records.remove(rec)
        st["deleted"].append({"table": table, "sys_id": sys_id,
                              "number": rec.get("number")})
        return 204, {}, ""
    return failure(405, "Method not Supported",
                   "%s is not supported here" % req.method)


if __name__ == "__main__":
    emu.main(handle)
