"""
jira: an emulator of the Jira REST API subsets hookpost uses, Jira Cloud
(v3 and v2) and Jira Data Center (v2) at once (developer.atlassian.com:
Jira Cloud platform REST API v3 and v2, groups Myself, Projects, Issues,
Issue comments, Issue search; Jira Data Center REST API 10 "myself",
"project", "issue", "search"; "Atlassian Document Format").

Authentication decides which Jira answers:
    Authorization: Basic base64(email:api_token)   Jira Cloud
    Authorization: Bearer <personal access token>  Jira Data Center
Users are made with the control route below.  A request without valid
credentials gets Jira's 401: Cloud's text "Client must be authenticated
to access this resource." (with WWW-Authenticate and
X-Seraph-LoginReason: AUTHENTICATED_FAILED), Data Center's JSON
{"message": ..., "status-code": 401}.

Routes (Cloud: /rest/api/2 and /rest/api/3; Data Center: /rest/api/2
only, /rest/api/3 is 404 there), under an optional context path of one
segment (/jira/rest/api/2/...), as a Data Center site may have:
    GET    /rest/api/N/myself
    GET    /rest/api/N/project/KEY          404 "No project could be
                                            found with key 'KEY'."
    POST   /rest/api/N/issue                201 {"id", "key", "self"}
    GET    /rest/api/N/issue/KEY            (or by id; fields=a,b: those)
    DELETE /rest/api/N/issue/KEY            204
    POST   /rest/api/N/issue/KEY/comment    201 the comment
    GET    /rest/api/N/issue/KEY/comment
    GET    /rest/api/N/issue/KEY/transitions
    POST   /rest/api/N/issue/KEY/transitions  204
    GET    /rest/api/N/search/jql           Cloud's enhanced search:
                                            {"issues", "isLast"}; ids
                                            only unless fields are asked
                                            for; unbounded JQL refused
    GET    /rest/api/2/search               Data Center's search:
                                            {"startAt", "maxResults",
                                            "total", "issues"}; on Cloud
                                            410, removed on 2025-08-01
                                            (CHANGE-2046)

Create is checked as Jira checks it, with its answer
{"errorMessages": [...], "errors": {"field": "message"}}: project and
issuetype must exist (the type in the project); summary required, at
most 255 characters ("Summary must be less than 255 characters."),
one line; description an Atlassian Document (type doc, version 1,
known nodes and marks, text nodes non-empty) on v3 and a string on v2
("Operation value must be ..."),
at most 32767 characters; labels strings without spaces, at most 255
characters; priority one of Highest, High, Medium, Low, Lowest;
components the project's; any other field "cannot be set".  Comments:
body required, ADF on v3, a string on v2, at most 32767 characters.
Rights: a user without CREATE_ISSUES or DELETE_ISSUES gets 403 (the
emulator's reading of the documented "403: the user does not have the
necessary permission"); without BROWSE_PROJECTS a project and its issues
are 404, as Jira hides them.

JQL subset: clauses "field = value", "field != value", "field in (v,
...)" joined by AND, then an optional ORDER BY created|key ASC|DESC;
fields project, key, labels, status, issuetype; values quoted ("..." or
'...') or bare words.  Anything else: 400 as Jira's parser says it.

Workflow (a project's simple one): To Do (new), In Progress
(indeterminate), Done (done).  Transitions: 21 "Start Progress" To Do ->
In Progress, 11 "Stop Progress" In Progress -> To Do, 31 "Done" To Do|In
Progress -> Done (its screen takes fields.resolution, default "Done"),
41 "Reopen" Done -> To Do (the resolution cleared).  A transition not
available from the issue's status: 400 "Transition id 'N' is not valid
for this issue."

Projects: SEC (Bug, Task, Story, Epic; components Backend, Frontend, API)
and OPS (Task only), unless made with the control route.

Search is eventually consistent on Jira Cloud (Atlassian's "Search After
Write with Search And Reconcile": search/jql "doesn't provide
read-after-write consistency by default", a change shows "from a few
seconds to minutes" later), while GET /issue/KEY reads the issue itself.
The emulator can be made so: with a search delay of N seconds, an issue
is missing from every search for N seconds after its creation, and is at
once readable by key or id.  The default is 0 (consistent).

Control (vendor-specific, beside emu.py's /_emu/ routes):
    POST /_jira/user     {"email", "api_token"} (Cloud) or {"pat"} (Data
                         Center), "permissions" (default all of
                         BROWSE_PROJECTS, CREATE_ISSUES, DELETE_ISSUES)
    POST /_jira/project  {"key", "issue_types": [...], "components": [...]}
    POST /_jira/consistency  {"search_delay_s": N}: new issues invisible
                         to search for N seconds (0: at once)
State (GET /_emu/state): {"projects", "issues": [{"id", "key", "project",
"summary", "issuetype", "priority", "labels", "components", "description",
"format": "adf"|"wiki", "status", "resolution", "comments": [{"id",
"body", "format"}], "api": 2|3, "deployment": "cloud"|"dc", "indexed_at":
epoch seconds it is searchable from}], "deleted": [issues deleted, as they
were], "searches": n, "search_delay_s": n}.  Credentials are never in
the state.
"""
import base64
import json
import os
import re
import sys
import time
from urllib.parse import unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu  # noqa: E402

JSON_HDR = {"Content-Type": "application/json;charset=UTF-8"}
SUMMARY_MAX = 255           # Jira: "Summary must be less than 255 characters."
TEXT_MAX = 32767            # Jira's text field limit
LABEL_MAX = 255
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")
RESOLUTIONS = ("Done", "Won't Fix", "Duplicate", "Cannot Reproduce")
PERMISSIONS = ("BROWSE_PROJECTS", "CREATE_ISSUES", "DELETE_ISSUES")
STATUS_CATEGORY = {"To Do": "new", "In Progress": "indeterminate",
                   "Done": "done"}
CATEGORY_NAME = {"new": "To Do", "indeterminate": "In Progress",
                 "done": "Done"}
TRANSITIONS = [
    {"id": "21", "name": "Start Progress", "from": ["To Do"],
     "to": "In Progress", "screen": False},
    {"id": "11", "name": "Stop Progress", "from": ["In Progress"],
     "to": "To Do", "screen": False},
    {"id": "31", "name": "Done", "from": ["To Do", "In Progress"],
     "to": "Done", "screen": True},
    {"id": "41", "name": "Reopen", "from": ["Done"], "to": "To Do",
     "screen": False},
]
ADF_BLOCKS = ("paragraph", "heading", "bulletList", "orderedList",
              "codeBlock", "blockquote", "rule")
ADF_MARKS = ("strong", "em", "code", "strike", "underline", "link")
ADF_INVALID = ("Operation value must be an Atlassian Document (see the "
               "Atlassian Document Format)")
STRING_INVALID = "Operation value must be a string"
TOO_LONG = ("The entered text is too long. It exceeds the allowed limit "
            "of 32,767 characters.")

users = []                  # kept out of the state: credentials


def answer(status, obj=None, headers=None):
    h = dict(JSON_HDR)
    h.update(headers or {})
    return status, h, "" if obj is None else json.dumps(obj)


def errors(status, messages=(), fields=None):
    return answer(status, {"errorMessages": list(messages),
                           "errors": fields or {}})


def no_content():
    return 204, {}, ""


def init(st):
    st.update({
        "projects": {
            "SEC": {"id": "10000", "key": "SEC", "name": "Security",
                    "issue_types": ["Bug", "Task", "Story", "Epic"],
                    "components": ["Backend", "Frontend", "API"]},
            "OPS": {"id": "10001", "key": "OPS", "name": "Operations",
                    "issue_types": ["Task"], "components": []},
        },
        "issues": [], "deleted": [], "searches": 0, "next_id": 10100,
        "next_comment": 20000, "counters": {}, "search_delay_s": 0})
    del users[:]


# --- authentication ---------------------------------------------------------

def unauthorized(dc):
    if dc:
        return answer(401, {"message": "Client must be authenticated to "
                                       "access this resource.",
                            "status-code": 401})
    return 401, {"Content-Type": "text/plain;charset=UTF-8",
                 "WWW-Authenticate": 'Basic realm="protected-area"',
                 "X-Seraph-LoginReason": "AUTHENTICATED_FAILED"}, \
        "Client must be authenticated to access this resource."


def authenticate(req):
    """(user, deployment) or (None, deployment guessed)."""
    h = req.headers.get("authorization", "")
    if h.startswith("Bearer "):
        pat = h[7:]
        for u in users:
            if u.get("pat") and u["pat"] == pat:
                return u, "dc"
        return None, "dc"
    if h.startswith("Basic "):
        try:
            cred = base64.b64decode(h[6:], validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None, "cloud"
        email, _, token = cred.partition(":")
        for u in users:
            if (u.get("email") == email and u.get("api_token")
                    and u["api_token"] == token):
                return u, "cloud"
    return None, "cloud"


# --- the Atlassian Document Format ------------------------------------------

def adf_inline_ok(n):
    if not isinstance(n, dict):
        return False
    t = n.get("type")
    if t == "hardBreak":
        return set(n) <= {"type", "attrs"}
    if t != "text":
        return False
    if not isinstance(n.get("text"), str) or n["text"] == "":
        return False
    for m in n.get("marks", []):
        if not isinstance(m, dict) or m.get("type") not in ADF_MARKS:
            return False
        if m["type"] == "link" and not isinstance(
                (m.get("attrs") or {}).get("href"), str):
            return False
    return set(n) <= {"type", "text", "marks"}


def adf_block_ok(n):
    if not isinstance(n, dict) or n.get("type") not in ADF_BLOCKS:
        return False
    t, c = n["type"], n.get("content", [])
    if not isinstance(c, list):
        return False
    if t in ("paragraph", "heading"):
        if t == "heading" and (n.get("attrs") or {}).get("level") not in \
                range(1, 7):
            return False
        return all(adf_inline_ok(x) for x in c)
    if t in ("bulletList", "orderedList"):
        return len(c) > 0 and all(
            isinstance(i, dict) and i.get("type") == "listItem" and
            isinstance(i.get("content"), list) and len(i["content"]) > 0
            and all(adf_block_ok(b) for b in i["content"]) for i in c)
    if t == "codeBlock":
        return all(isinstance(x, dict) and x.get("type") == "text" and
                   isinstance(x.get("text"), str) and x["text"] != "" and
                   "marks" not in x for x in c)
    if t == "blockquote":
        return all(adf_block_ok(b) for b in c)
    return t == "rule"


def adf_ok(doc):
    return (isinstance(doc, dict) and doc.get("type") == "doc" and
            doc.get("version") == 1 and isinstance(doc.get("content"), list)
            and all(adf_block_ok(b) for b in doc["content"]))


def rich_text(v, api, field):
    """None if v is right for api (3: ADF, 2: a string), else the error."""
    if api == 3:
        if not adf_ok(v):
            return {field: ADF_INVALID}
        if len(json.dumps(v, ensure_ascii=False)) > TEXT_MAX:
            return {field: TOO_LONG}
    else:
        if not isinstance(v, str):
            return {field: STRING_INVALID}
        if len(v) > TEXT_MAX:
            return {field: TOO_LONG}
    return None


# --- JQL --------------------------------------------------------------------

TOKEN = re.compile(r'\s*(?:(?P<q>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|'
                   r'(?P<op>!=|=|\(|\)|,)|(?P<w>[A-Za-z0-9_.\-]+))')
JQL_FIELDS = ("project", "key", "labels", "status", "issuetype")


class JqlError(Exception):
    pass


def jql_tokens(s):
    out, i = [], 0
    while i < len(s):
        if s[i:].strip() == "":
            break
        m = TOKEN.match(s, i)
        if not m:
            raise JqlError("Error in the JQL Query: The character '%s' is "
                           "a reserved JQL character. (line 1, character "
                           "%d)" % (s[i:].strip()[0], i + 1))
        if m.group("q"):
            out.append(("v", re.sub(r"\\(.)", r"\1", m.group("q")[1:-1])))
        elif m.group("op"):
            out.append(("op", m.group("op")))
        else:
            out.append(("w", m.group("w")))
        i = m.end()
    return out


def jql_parse(s):
    """[(field, op, [values])], (order field, desc)."""
    toks = jql_tokens(s)
    clauses, order, i = [], ("created", False), 0

    def word(j):
        return toks[j][1].lower() if j < len(toks) and toks[j][0] == "w" \
            else None

    while i < len(toks):
        if word(i) == "order":
            if word(i + 1) != "by" or i + 2 >= len(toks):
                raise JqlError("Error in the JQL Query: Expecting 'BY' "
                               "after 'ORDER'.")
            f = toks[i + 2][1].lower()
            if f not in ("created", "key"):
                raise JqlError("Not able to sort using field '%s'." % f)
            desc = word(i + 3) == "desc"
            order = (f, desc)
            i += 4 if word(i + 3) in ("asc", "desc") else 3
            if i < len(toks):
                raise JqlError("Error in the JQL Query: Expecting end of "
                               "query after the ORDER BY clause.")
            break
        if clauses:
            if word(i) != "and":
                raise JqlError("Error in the JQL Query: Expecting either "
                               "'OR' or 'AND' but got '%s'." % toks[i][1])
            i += 1
        if i >= len(toks) or toks[i][0] not in ("w", "v"):
            raise JqlError("Error in the JQL Query: Expecting a field name.")
        field = toks[i][1].lower()
        if field not in JQL_FIELDS:
            raise JqlError("Field '%s' does not exist or you do not have "
                           "permission to view it." % toks[i][1])
        i += 1
        if i < len(toks) and toks[i] == ("op", "="):
            op = "="
        elif i < len(toks) and toks[i] == ("op", "!="):
            op = "!="
        elif word(i) == "in":
            op = "in"
        else:
            raise JqlError("Error in the JQL Query: Expecting operator but "
                           "got '%s'." % (toks[i][1] if i < len(toks)
                                          else "end of query"))
        i += 1
        if op == "in":
            if i >= len(toks) or toks[i] != ("op", "("):
                raise JqlError("Error in the JQL Query: Expecting '('.")
            vals, i = [], i + 1
            while i < len(toks) and toks[i] != ("op", ")"):
                if toks[i][0] in ("w", "v"):
                    vals.append(toks[i][1])
                elif toks[i] != ("op", ","):
                    raise JqlError("Error in the JQL Query: Expecting a "
                                   "value.")
                i += 1
            i += 1
        else:
            if i >= len(toks) or toks[i][0] not in ("w", "v"):
                raise JqlError("Error in the JQL Query: Expecting either a "
                               "value, list or function.")
            vals, i = [toks[i][1]], i + 1
        clauses.append((field, op, vals))
    return clauses, order


def jql_match(issue, clauses):
    for field, op, vals in clauses:
        if field == "labels":
            hit = any(v in issue["labels"] for v in vals)
        else:
            have = {"project": issue["project"], "key": issue["key"],
                    "status": issue["status"],
                    "issuetype": issue["issuetype"]}[field]
            hit = any(v.lower() == have.lower() for v in vals)
        if hit == (op == "!="):
            return False
    return True


# --- issues -----------------------------------------------------------------

def self_url(req, path):
    host = req.headers.get("host", "127.0.0.1")
    return "http://%s%s" % (host, path)


def issue_fields(issue, want):
    all_fields = {
        "summary": issue["summary"],
        "description": issue["description"],
        "labels": issue["labels"],
        "project": {"key": issue["project"]},
        "issuetype": {"name": issue["issuetype"]},
        "priority": ({"name": issue["priority"]} if issue["priority"]
                     else None),
        "components": [{"name": c} for c in issue["components"]],
        "status": {"name": issue["status"], "statusCategory": {
            "key": STATUS_CATEGORY[issue["status"]],
            "name": CATEGORY_NAME[STATUS_CATEGORY[issue["status"]]]}},
        "resolution": ({"name": issue["resolution"]}
                       if issue["resolution"] else None),
    }
    if want is None or "*all" in want or "*navigable" in want:
        return all_fields
    return {k: all_fields[k] for k in want if k in all_fields}


def issue_json(req, issue, api, want=None):
    return {"id": issue["id"], "key": issue["key"],
            "self": self_url(req, "/rest/api/%d/issue/%s" % (api,
                                                            issue["id"])),
            "fields": issue_fields(issue, want)}


def find_issue(st, key, user):
    for i in st["issues"]:
        if (i["key"] == key or i["id"] == key) and \
                "BROWSE_PROJECTS" in user["permissions"]:
            return i
    return None


def not_found_issue():
    return errors(404, ["Issue does not exist or you do not have "
                        "permission to see it."])


def name_of(v):
    if isinstance(v, dict):
        return v.get("name") if isinstance(v.get("name"), str) else None
    return None


def create(st, req, user, api, dep):
    body = req.json
    if not isinstance(body, dict) or not isinstance(body.get("fields"),
                                                    dict):
        return errors(400, ["Can not deserialize instance of "
                            "com.atlassian.jira.rest.v2.issue."
                            "IssueUpdateBean out of the request body."])
    f, errs = body["fields"], {}
    proj = f.get("project")
    pkey = proj.get("key") if isinstance(proj, dict) else None
    project = st["projects"].get(pkey) if isinstance(pkey, str) else None
    if project is None or "BROWSE_PROJECTS" not in user["permissions"]:
        errs["project"] = "valid project is required"
    itype = name_of(f.get("issuetype"))
    if project is not None and itype not in project["issue_types"]:
        errs["issuetype"] = ("Specify a valid issue type" if itype is None
                             else "The issue type selected is invalid.")
    s = f.get("summary")
    if not isinstance(s, str) or s.strip() == "":
        errs["summary"] = "You must specify a summary of the issue."
    elif len(s) > SUMMARY_MAX:
        errs["summary"] = "Summary must be less than 255 characters."
    elif "\n" in s or "\r" in s:
        errs["summary"] = ("The summary is invalid because it contains "
                           "newline characters.")
    if "description" in f and f["description"] is not None:
        e = rich_text(f["description"], api, "description")
        if e:
            errs.update(e)
    labels = f.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(x, str)
                                               for x in labels):
        errs["labels"] = "Operation value must be a string"
    else:
        for x in labels:
            if " " in x or x == "":
                errs["labels"] = ("The label '%s' contains spaces which "
                                  "is invalid." % x)
            elif len(x) > LABEL_MAX:
                errs["labels"] = ("The label '%s' exceeds the maximum "
                                  "length for a single label of 255 "
                                  "characters." % x)
    prio = None
    if "priority" in f:
        prio = name_of(f["priority"])
        if prio not in PRIORITIES:
            errs["priority"] = "The priority selected is invalid."
    comps = []
    if "components" in f:
        if not isinstance(f["components"], list):
            errs["components"] = "Operation value must be an array"
        else:
            for c in f["components"]:
                n = name_of(c)
                if project is not None and n not in project["components"]:
                    errs["components"] = ("Component name '%s' is not "
                                          "valid" % n)
                else:
                    comps.append(n)
    known = ("project", "issuetype", "summary", "description", "labels",
             "priority", "components")
    for k in f:
        if k not in known:
            errs[k] = ("Field '%s' cannot be set. It is not on the "
                       "appropriate screen, or unknown." % k)
    if errs:
        return errors(400, [], errs)
    if "CREATE_ISSUES" not in user["permissions"]:
        return errors(403, ["You do not have permission to create issues "
                            "in this project."])
    n = st["counters"].get(pkey, 0) + 1
    st["counters"][pkey] = n
    iid = str(st["next_id"])
    st["next_id"] += 1
    issue = {"id": iid, "key": "%s-%d" % (pkey, n), "project": pkey,
             "summary": s, "issuetype": itype, "priority": prio,
             "labels": labels, "components": comps,
             "description": f.get("description"),
             "format": "adf" if api == 3 else "wiki",
             "status": "To Do", "resolution": None, "comments": [],
             "api": api, "deployment": dep,
             "indexed_at": time.time() + st.get("search_delay_s", 0)}
    st["issues"].append(issue)
    return answer(201, {"id": iid, "key": issue["key"],
                        "self": self_url(req, "/rest/api/%d/issue/%s"
                                         % (api, iid))})


def comment(st, req, issue, api):
    body = req.json
    if not isinstance(body, dict) or "body" not in body or \
            body["body"] in ("", None):
        return errors(400, [], {"comment": "Comment body can not be empty!"})
    e = rich_text(body["body"], api, "comment")
    if e:
        return errors(400, [], e)
    cid = str(st["next_comment"])
    st["next_comment"] += 1
    c = {"id": cid, "body": body["body"],
         "format": "adf" if api == 3 else "wiki"}
    issue["comments"].append(c)
    return answer(201, {"id": cid, "self": self_url(
        req, "/rest/api/%d/issue/%s/comment/%s" % (api, issue["id"], cid)),
        "body": body["body"]})


def transitions_of(issue):
    return [t for t in TRANSITIONS if issue["status"] in t["from"]]


def transition_json(t):
    cat = STATUS_CATEGORY[t["to"]]
    return {"id": t["id"], "name": t["name"], "hasScreen": t["screen"],
            "isAvailable": True,
            "to": {"name": t["to"], "statusCategory": {
                "key": cat, "name": CATEGORY_NAME[cat]}}}


def transition(st, req, issue):
    body = req.json
    tid = None
    if isinstance(body, dict) and isinstance(body.get("transition"), dict):
        tid = body["transition"].get("id")
    if not isinstance(tid, str) or tid == "":
        return errors(400, ["Missing 'transition' identifier"])
    t = next((x for x in transitions_of(issue) if x["id"] == tid), None)
    if t is None:
        return errors(400, ["Transition id '%s' is not valid for this "
                            "issue." % tid])
    fields = body.get("fields") or {}
    resolution = "Done" if t["to"] == "Done" else None
    for k, v in fields.items():
        if k != "resolution" or not t["screen"]:
            return errors(400, [], {k: "Field '%s' cannot be set. It is "
                                       "not on the appropriate screen, or "
                                       "unknown." % k})
        if name_of(v) not in RESOLUTIONS:
            return errors(400, [], {"resolution": "The resolution "
                                                  "selected is invalid."})
        resolution = name_of(v)
    issue["status"] = t["to"]
    issue["resolution"] = resolution
    return no_content()


def search(st, req, user, api, dep, enhanced):
    st["searches"] += 1
    jql = (req.query.get("jql") or [""])[0]
    if enhanced and jql.strip() == "":
        return errors(400, ["Unbounded JQL queries are not allowed here. "
                            "Please add a search restriction to your "
                            "query."])
    try:
        clauses, (ofield, desc) = jql_parse(jql)
    except JqlError as e:
        return answer(400, {"errorMessages": [str(e)], "errors": {},
                            "warningMessages": []})
    if enhanced and not clauses:
        return errors(400, ["Unbounded JQL queries are not allowed here. "
                            "Please add a search restriction to your "
                            "query."])
    try:
        maxr = int((req.query.get("maxResults") or ["50"])[0])
    except ValueError:
        return errors(400, ["The value of maxResults must be an integer."])
    want = None
    if req.query.get("fields"):
        want = [x for v in req.query["fields"] for x in v.split(",") if x]
    # The index: an issue is searchable once indexed (eventual mode).
    hits = [i for i in st["issues"] if jql_match(i, clauses) and
            "BROWSE_PROJECTS" in user["permissions"] and
            i.get("indexed_at", 0) <= time.time()]
    if ofield == "key":
        hits.sort(key=lambda i: (i["project"], int(i["key"].split("-")[1])),
                  reverse=desc)
    else:
        hits.sort(key=lambda i: int(i["id"]), reverse=desc)
    page = hits[:max(0, min(maxr, 100))]
    if enhanced:
        if want is None:
            issues = [{"id": i["id"]} for i in page]
        else:
            issues = [issue_json(req, i, api, want) for i in page]
        out = {"issues": issues, "isLast": len(page) == len(hits)}
    else:
        out = {"startAt": 0, "maxResults": maxr, "total": len(hits),
               "issues": [issue_json(req, i, api, want) for i in page]}
    return answer(200, out)


# --- routes -----------------------------------------------------------------

def control(st, req):
    m = req.json if isinstance(req.json, dict) else {}
    if req.path == "/_jira/user":
        u = {"permissions": m.get("permissions", list(PERMISSIONS)),
             "name": m.get("name", "hookpost bot")}
        if isinstance(m.get("pat"), str):
            u["pat"] = m["pat"]
        elif isinstance(m.get("email"), str) and isinstance(
                m.get("api_token"), str):
            u["email"], u["api_token"] = m["email"], m["api_token"]
        else:
            return answer(400, {"error": "want {email, api_token} or "
                                         "{pat}, permissions"})
        u["accountId"] = "5b10a2844c20165700ede%03d" % len(users)
        users.append(u)
        return answer(200, {"accountId": u["accountId"]})
    if req.path == "/_jira/consistency":
        d = m.get("search_delay_s")
        if not isinstance(d, (int, float)) or isinstance(d, bool) or \
                d < 0 or d > 600:
            return answer(400, {"error": "want {search_delay_s: 0..600}"})
        st["search_delay_s"] = d
        return answer(200, {})
    if req.path == "/_jira/project":
        if not isinstance(m.get("key"), str):
            return answer(400, {"error": "want {key, issue_types, "
                                         "components}"})
        st["projects"][m["key"]] = {
            "id": str(10002 + len(st["projects"])), "key": m["key"],
            "name": m.get("name", m["key"]),
            "issue_types": m.get("issue_types", ["Task"]),
            "components": m.get("components", [])}
        return answer(200, {})
    return answer(404, {})


# A Data Center site may live under a context path (/jira): one segment
# before /rest is taken, so a test may give each integration its own.
ROUTE = re.compile(r"^(?:/[A-Za-z0-9_-]+)?/rest/api/(2|3)(/.*)$")


def handle(e, req):
    st = e.state
    if "projects" not in st:
        init(st)
    if req.path.startswith("/_jira/") and req.method == "POST":
        return control(st, req)
    m = ROUTE.match(req.path)
    if not m:
        return errors(404, ["null for uri: %s" % req.path])
    api, path = int(m.group(1)), unquote(m.group(2))
    user, dep = authenticate(req)
    if dep == "dc" and api == 3:
        return errors(404, ["null for uri: %s" % req.path])
    if user is None:
        return unauthorized(dep == "dc")
    if req.method in ("POST", "PUT"):
        ctype = req.headers.get("content-type", "").split(";")[0].strip()
        if ctype.lower() != "application/json":
            return 415, {"Content-Type": "text/plain"}, \
                "Unsupported Media Type"
        if req.json is None:
            return errors(400, ["Unexpected character in the request "
                                "body: not JSON."])
    if path == "/myself" and req.method == "GET":
        out = {"accountId": user["accountId"],
               "displayName": user["name"], "active": True,
               "self": self_url(req, req.path)}
        if dep == "dc":
            out["name"] = user["name"]
        else:
            out["emailAddress"] = user["email"]
        return answer(200, out)
    if path.startswith("/project/") and req.method == "GET":
        key = path[len("/project/"):]
        p = st["projects"].get(key)
        if p is None or "BROWSE_PROJECTS" not in user["permissions"]:
            return errors(404, ["No project could be found with key "
                                "'%s'." % key])
        return answer(200, {
            "id": p["id"], "key": p["key"], "name": p["name"],
            "self": self_url(req, req.path),
            "issueTypes": [{"id": str(10000 + n), "name": t,
                            "subtask": False}
                           for n, t in enumerate(p["issue_types"])],
            "components": [{"name": c} for c in p["components"]]})
    if path in ("/search/jql", "/search") and req.method == "GET":
        if path == "/search" and dep == "cloud":
            return errors(410, ["The requested API has been removed. "
                                "Please migrate to the /rest/api/3/search/"
                                "jql API. A full migration guideline is "
                                "available at https://developer.atlassian."
                                "com/changelog/#CHANGE-2046"])
        if path == "/search/jql" and dep == "dc":
            return errors(404, ["null for uri: %s" % req.path])
        return search(st, req, user, api, dep, path == "/search/jql")
    if path == "/issue" and req.method == "POST":
        return create(st, req, user, api, dep)
    im = re.match(r"^/issue/([^/]+)(/comment|/transitions)?$", path)
    if not im:
        return errors(404, ["null for uri: %s" % req.path])
    issue = find_issue(st, im.group(1), user)
    if issue is None:
        return not_found_issue()
    sub = im.group(2)
    if sub is None and req.method == "GET":
        want = None
        if req.query.get("fields"):
            want = [x for v in req.query["fields"] for x in v.split(",")
                    if x]
        return answer(200, issue_json(req, issue, api, want))
    if sub is None and req.method == "DELETE":
        if "DELETE_ISSUES" not in user["permissions"]:
            return errors(403, ["You do not have permission to delete "
                                "issues in this project."])
        st["issues"].remove(issue)
        st["deleted"].append(issue)
        return no_content()
    if sub == "/comment" and req.method == "POST":
        return comment(st, req, issue, api)
    if sub == "/comment" and req.method == "GET":
        return answer(200, {"startAt": 0, "total": len(issue["comments"]),
                            "comments": issue["comments"]})
    if sub == "/transitions" and req.method == "GET":
        return answer(200, {"expand": "transitions", "transitions": [
            transition_json(t) for t in transitions_of(issue)]})
    if sub == "/transitions" and req.method == "POST":
        return transition(st, req, issue)
    return 405, {"Content-Type": "text/plain"}, "Method Not Allowed"


if __name__ == "__main__":
    emu.main(handle)
