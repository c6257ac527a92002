"""
teams: an emulator of a Microsoft Teams Workflows webhook (Power
Automate's "When a Teams webhook request is received" trigger), for
lib/connector_teams.c.  Standard library only; the base is emu.py.

The URL (Microsoft Learn, "Create and send messages"; Azure Logic Apps,
"Call, trigger, or nest workflows with HTTPS endpoints"), either shape:
    /workflows/<id>/triggers/manual/paths/invoke
    /powerautomate/automations/direct/workflows/<id>/triggers/manual/
        paths/invoke
  ?api-version=...&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=<signature>
A workflow id is 32 hex digits.  Its signature, here, is the unpadded
base64url HMAC-SHA256 of the id under KEY (the service signs with the
workflow's own access key), so a test computes it with openssl:
    printf %s "$ID" | openssl dgst -sha256 -hmac hookpost-emu-teams \
        -binary | openssl base64 -A | tr '+/' '-_' | tr -d =
An id starting "dead" is a workflow that was deleted.

Answers, as Logic Apps gives them ({"error": {"code", "message"}}):
  202 Accepted, empty body, x-ms-workflow-run-id: the card was taken; it
      is kept in /_emu/state "cards" ({workflow, card, links}), where
      links lists what Teams would render as a link or mention in the
      card's text (Markdown [x](y), <url>, a bare scheme://, <at>).
  400 MissingApiVersionParameter; 400 TriggerInputSchemaMismatch for a
      body that is not a JSON object (a Content-Type other than
      application/json makes it a string) or not a message with
      Adaptive Card attachments;
  401 DirectApiAuthorizationRequired (no sig), 401
      DirectApiInvalidAuthorizationSignature (a wrong sig, sp or sv);
  404 WorkflowNotFound, WorkflowTriggerNotFound; 405 for a method other
      than POST; 413 for a message over Teams' 28 KB.
The real service checks only the trigger's schema before its 202; a card
Teams cannot show fails later, in the flow's run.  The emulator refuses
such a card at once (400 TriggerInputSchemaMismatch, details saying
what is wrong), so that a test sees it.  429 (with Retry-After) and 5xx
come from /_emu/script.
"""
import base64
import hashlib
import hmac
import json
import re
import uuid
from urllib.parse import urlsplit

from emu import main

KEY = b"hookpost-emu-teams"
MESSAGE_MAX = 28 * 1024          # "Limits and specifications for Teams"
PATH = re.compile(r"^(?:/powerautomate/automations/direct)?/workflows/"
                  r"([^/]+)/triggers/([^/]+)/paths/invoke$")
WORKFLOW_ID = re.compile(r"^[0-9a-f]{32}$")
ADAPTIVE = "application/vnd.microsoft.card.adaptive"
# Teams shows 1.5, but a card a flow posts shows only up to 1.4 (1.5:
# "We're sorry, this card couldn't be displayed"; microsoft/AdaptiveCards
# #8965, #7676, MicrosoftDocs/msteams-docs#9801).
VERSIONS = ("1.0", "1.1", "1.2", "1.3", "1.4")

ELEMENTS = {"TextBlock", "RichTextBlock", "Image", "ImageSet", "Media",
            "Container", "ColumnSet", "FactSet", "ActionSet", "Table",
            "Input.Text", "Input.Number", "Input.Date", "Input.Time",
            "Input.Toggle", "Input.ChoiceSet"}
ACTIONS = {"Action.OpenUrl", "Action.Submit", "Action.ShowCard",
           "Action.ToggleVisibility", "Action.Execute"}
COLORS = {"default", "dark", "light", "accent", "good", "warning",
          "attention"}
SIZES = {"default", "small", "medium", "large", "extralarge"}
WEIGHTS = {"default", "lighter", "bolder"}
MAX_DEPTH = 10

# What Teams' Markdown would make a link or a mention of.
LINKS = re.compile(r"\[[^\]]*\]\([^)]*\)|<[a-z][a-z0-9+.-]*:[^>]*>|"
                   r"<at>|[a-z][a-z0-9+.-]*://", re.I)


def error(status, code, message, headers=None):
    body = json.dumps({"error": {"code": code, "message": message}})
    h = {"Content-Type": "application/json; charset=utf-8"}
    h.update(headers or {})
    return status, h, body


def signature(workflow):
    mac = hmac.new(KEY, workflow.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


class Bad(Exception):
    pass


def want(cond, what):
    if not cond:
        raise Bad(what)


def check_url(u, what):
    want(isinstance(u, str), what + " must be a string")
    p = urlsplit(u)
    want(p.scheme in ("http", "https") and p.netloc, what +
         " must be an absolute http(s) URL")


def check_text(el, where, links):
    want(isinstance(el.get("text"), str), where + ".text must be a string")
    for k, allowed in (("color", COLORS), ("size", SIZES),
                       ("weight", WEIGHTS)):
        if k in el:
            want(isinstance(el[k], str) and el[k].lower() in allowed,
                 "%s.%s '%s' is not one of %s" % (where, k, el[k],
                                                   sorted(allowed)))
    if "wrap" in el:
        want(isinstance(el["wrap"], bool), where + ".wrap must be a boolean")
    links.extend(LINKS.findall(el["text"]))


def check_actions(acts, where, links, depth):
    want(isinstance(acts, list), where + " must be an array")
    for i, a in enumerate(acts):
        w = "%s[%d]" % (where, i)
        want(isinstance(a, dict), w + " must be an object")
        want(a.get("type") in ACTIONS, "%s.type '%s' is not an action "
             "type" % (w, a.get("type")))
        if "title" in a:
            want(isinstance(a["title"], str), w + ".title must be a string")
        if a["type"] == "Action.OpenUrl":
            check_url(a.get("url"), w + ".url")
        if a["type"] == "Action.ShowCard":
            check_card(a.get("card"), w + ".card", links, depth + 1)


def check_elements(items, where, links, depth):
    want(depth <= MAX_DEPTH, where + " nests too deep")
    want(isinstance(items, list), where + " must be an array")
    for i, el in enumerate(items):
        w = "%s[%d]" % (where, i)
        want(isinstance(el, dict), w + " must be an object")
        t = el.get("type")
        want(t in ELEMENTS, "%s.type '%s' is not an element type" % (w, t))
        if t == "TextBlock":
            check_text(el, w, links)
        elif t == "FactSet":
            facts = el.get("facts")
            want(isinstance(facts, list) and facts, w +
                 ".facts must be a non-empty array")
            for j, f in enumerate(facts):
                fw = "%s.facts[%d]" % (w, j)
                want(isinstance(f, dict) and isinstance(f.get("title"), str)
                     and isinstance(f.get("value"), str), fw +
                     " must have a string title and value")
                links.extend(LINKS.findall(f["title"] + " " + f["value"]))
        elif t == "Container":
            check_elements(el.get("items"), w + ".items", links, depth + 1)
        elif t == "ColumnSet":
            for j, c in enumerate(el.get("columns", [])):
                cw = "%s.columns[%d]" % (w, j)
                want(isinstance(c, dict) and c.get("type", "Column") ==
                     "Column", cw + " must be a Column")
                check_elements(c.get("items", []), cw + ".items", links,
                               depth + 1)
        elif t == "ActionSet":
            check_actions(el.get("actions"), w + ".actions", links, depth)
        elif t == "Image":
            check_url(el.get("url"), w + ".url")


def check_card(card, where, links, depth=0):
    want(isinstance(card, dict), where + " must be an object")
    want(card.get("type") == "AdaptiveCard", where + ".type must be "
         "'AdaptiveCard'")
    want(card.get("version") in VERSIONS, "%s.version '%s' is not one "
         "a Workflows card shows (%s)" % (where, card.get("version"),
                                  ", ".join(VERSIONS)))
    if "$schema" in card:
        want(isinstance(card["$schema"], str), where + ".$schema must be "
             "a string")
    want(isinstance(card.get("body"), list) and card["body"], where +
         ".body must be a non-empty array")
    check_elements(card["body"], where + ".body", links, depth + 1)
    if "actions" in card:
        check_actions(card["actions"], where + ".actions", links, depth)
    ms = card.get("msteams")
    if ms is not None:
        want(isinstance(ms, dict), where + ".msteams must be an object")
        if "width" in ms:
            want(ms["width"] == "Full", where + ".msteams.width must be "
                 "'Full'")


def check_message(m):
    """The cards of a message, with the links in each, or raises Bad."""
    want(isinstance(m, dict), "Invalid type. Expected Object")
    want(m.get("type") == "message", "type must be 'message'")
    att = m.get("attachments")
    want(isinstance(att, list) and att, "attachments must be a non-empty "
         "array")
    cards = []
    for i, a in enumerate(att):
        w = "attachments[%d]" % i
        want(isinstance(a, dict), w + " must be an object")
        want(a.get("contentType") == ADAPTIVE, "%s.contentType must be "
             "'%s' (Workflows post Adaptive Cards only)" % (w, ADAPTIVE))
        want(a.get("contentUrl") is None, w + ".contentUrl must be null")
        links = []
        check_card(a.get("content"), w + ".content", links)
        cards.append((a["content"], links))
    return cards


def schema_mismatch(detail):
    return error(400, "TriggerInputSchemaMismatch",
                 "The input body for trigger 'manual' of type 'Request' did "
                 "not match its schema definition. Error details: '%s'."
                 % detail)


def handle(emu, req):
    m = PATH.match(req.path)
    if m is None:
        return error(404, "NotFound", "The requested resource '%s' was not "
                     "found." % req.path)
    workflow, trigger = m.group(1), m.group(2)
    if not WORKFLOW_ID.match(workflow) or workflow.startswith("dead"):
        return error(404, "WorkflowNotFound", "The workflow '%s' could not "
                     "be found." % workflow)
    if trigger != "manual":
        return error(404, "WorkflowTriggerNotFound", "The workflow trigger "
                     "'%s' could not be found." % trigger)
    q = {k: v[-1] for k, v in req.query.items()}
    if not q.get("api-version"):
        return error(400, "MissingApiVersionParameter", "The api-version "
                     "query parameter (?api-version=) is required for all "
                     "requests.")
    if "sig" not in q:
        return error(401, "DirectApiAuthorizationRequired", "The request "
                     "must be authenticated only by Shared Access scheme.")
    if (q.get("sp") != "/triggers/manual/run" or q.get("sv") != "1.0" or
            not hmac.compare_digest(q["sig"], signature(workflow))):
        return error(401, "DirectApiInvalidAuthorizationSignature",
                     "The provided authorization signature is not valid.")
    if req.method != "POST":
        return error(405, "TriggerRequestMethodNotValid", "The HTTP method "
                     "for this request is not valid: expected 'Post' and "
                     "actual '%s'." % req.method.capitalize())
    if len(req.body) > MESSAGE_MAX:
        return error(413, "MessageSizeExceeded", "The message is %d bytes; "
                     "Teams takes at most %d." % (len(req.body),
                                                  MESSAGE_MAX))
    ctype = req.headers.get("content-type", "").split(";")[0].strip()
    if ctype.lower() != "application/json" or req.json is None:
        return schema_mismatch("Invalid type. Expected Object but got "
                               "String.")
    try:
        cards = check_message(req.json)
    except Bad as e:
        return schema_mismatch(str(e))
    runs = emu.state.setdefault("cards", [])
    for card, links in cards:
        runs.append({"workflow": workflow, "card": card, "links": links})
    run = "08584%015d%s" % (len(runs), uuid.uuid4().hex[:8].upper())
    return 202, {"x-ms-workflow-run-id": run,
                 "x-ms-correlation-id": str(uuid.uuid4()),
                 "x-ms-workflow-version": "08584000000000000000"}, ""


if __name__ == "__main__":
    main(handle)
