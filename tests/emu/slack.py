"""
slack: an emulator of Slack's incoming webhooks (tests/emu/emu.py).

POST /services/T.../B.../<token> with a JSON message, checked as Slack
documents it ("Sending messages using incoming webhooks",
api.slack.com/messaging/webhooks; Block Kit reference,
docs.slack.dev/reference/block-kit) and answered as Slack answers
(api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks):

    200 "ok"                    accepted (text/html, as Slack sends it)
    400 "invalid_payload"       not JSON, not an object, not
                                application/json, a field of the wrong type
    400 "no_text"               neither text nor blocks
    400 "invalid_blocks"        blocks breaking a Block Kit rule (below)
    400 "msg_too_long"          text over 40000 characters (Slack cuts it;
                                the emulator refuses so that tests notice)
    404 "no_service"            a path that is no webhook, or one ending in
                                /gone (a webhook removed)
    410 "channel_is_archived"   a path ending in /archived
    405                         not a POST (Slack documents none; any
                                refusal makes a test notice)

Block Kit rules checked, for the blocks hookpost sends (any other type is
refused): at most 50 blocks; header: a plain_text of 1..150 characters;
section: text (1..3000) and/or fields (1..10, each 1..2000), an optional
button accessory; context: 1..10 elements (text 1..3000); divider;
actions: 1..25 buttons; button: plain_text text 1..75, url 1..3000,
value 2000, action_id and block_id 255; no unknown member in a block or
text object (Slack answers invalid_blocks).

Forced answers (429 with Retry-After, 500) come from /_emu/script.

/_emu/state holds what a reader would see parsed as markup:
    "mentions": special mentions (<!channel>, <!here>, <!everyone>,
                <!subteam^..>, <@U..>, <#C..>) found in mrkdwn or in text,
    "links":    the URLs of <url|text> links found there,
    "ignored":  top-level members Slack's app webhooks ignore (channel,
                username, icon_emoji, icon_url: legacy overrides), and
                unknown ones,
    "accepted": the number of messages answered 200.
"""
import re

import emu

HOOK = re.compile(r"^/services/(T[A-Z0-9]{2,20})/(B[A-Z0-9]{2,20})/"
                  r"([A-Za-z0-9]{8,64})(/gone|/archived)?$")

TEXT_MAX = 40000
BLOCKS_MAX = 50
TOP = {"text", "blocks", "attachments", "thread_ts", "mrkdwn",
       "unfurl_links", "unfurl_media", "metadata"}
LEGACY = {"channel", "username", "icon_emoji", "icon_url"}
HTML = {"Content-Type": "text/html"}

MARKUP = re.compile(r"<([^<>]*)>")


class Invalid(Exception):
    pass


def chars(s):
    return len(s)


def text_obj(t, where, max_len, plain_only=False):
    if not isinstance(t, dict):
        raise Invalid(where + ": not a text object")
    kind = t.get("type")
    if kind not in ("plain_text", "mrkdwn"):
        raise Invalid(where + ": type must be plain_text or mrkdwn")
    if plain_only and kind != "plain_text":
        raise Invalid(where + ": must be plain_text")
    allowed = {"type", "text", "emoji"} if kind == "plain_text" else \
        {"type", "text", "verbatim"}
    if set(t) - allowed:
        raise Invalid(where + ": unknown member " + str(set(t) - allowed))
    s = t.get("text")
    if not isinstance(s, str) or not 1 <= chars(s) <= max_len:
        raise Invalid("%s: text of 1..%d characters" % (where, max_len))
    for k in ("emoji", "verbatim"):
        if k in t and not isinstance(t[k], bool):
            raise Invalid(where + ": " + k + " must be a boolean")
    return s if kind == "mrkdwn" else None


def button(e, where):
    if set(e) - {"type", "text", "url", "value", "action_id", "style",
                 "accessibility_label", "confirm"}:
        raise Invalid(where + ": unknown member")
    text_obj(e.get("text"), where + ".text", 75, plain_only=True)
    for k, m in (("url", 3000), ("value", 2000), ("action_id", 255)):
        if k in e and (not isinstance(e[k], str) or not 1 <= len(e[k]) <= m):
            raise Invalid("%s.%s: 1..%d characters" % (where, k, m))
    if "style" in e and e["style"] not in ("primary", "danger"):
        raise Invalid(where + ".style: primary or danger")
    return e.get("url")


def check_blocks(blocks):
    """The mrkdwn texts and button URLs of valid blocks, else Invalid."""
    texts, urls = [], []
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= BLOCKS_MAX:
        raise Invalid("blocks: an array of 1..%d" % BLOCKS_MAX)
    for i, b in enumerate(blocks):
        w = "blocks[%d]" % i
        if not isinstance(b, dict):
            raise Invalid(w + ": not an object")
        kind = b.get("type")
        if "block_id" in b and (not isinstance(b["block_id"], str) or
                                not 1 <= len(b["block_id"]) <= 255):
            raise Invalid(w + ".block_id: 1..255 characters")
        extra = set(b) - {"type", "block_id"}
        if kind == "header":
            if extra != {"text"}:
                raise Invalid(w + ": a header holds text only")
            text_obj(b["text"], w + ".text", 150, plain_only=True)
        elif kind == "section":
            if extra - {"text", "fields", "accessory", "expand"}:
                raise Invalid(w + ": unknown member")
            if "text" not in b and "fields" not in b:
                raise Invalid(w + ": text or fields")
            if "text" in b:
                texts.append(text_obj(b["text"], w + ".text", 3000))
            if "fields" in b:
                f = b["fields"]
                if not isinstance(f, list) or not 1 <= len(f) <= 10:
                    raise Invalid(w + ".fields: 1..10 items")
                for j, t in enumerate(f):
                    texts.append(text_obj(t, "%s.fields[%d]" % (w, j),
                                          2000))
            if "accessory" in b:
                a = b["accessory"]
                if not isinstance(a, dict) or a.get("type") != "button":
                    raise Invalid(w + ".accessory: a button")
                urls.append(button(a, w + ".accessory"))
        elif kind == "context":
            if extra != {"elements"}:
                raise Invalid(w + ": a context holds elements only")
            el = b["elements"]
            if not isinstance(el, list) or not 1 <= len(el) <= 10:
                raise Invalid(w + ".elements: 1..10 items")
            for j, t in enumerate(el):
                texts.append(text_obj(t, "%s.elements[%d]" % (w, j), 3000))
        elif kind == "divider":
            if extra:
                raise Invalid(w + ": a divider holds nothing")
        elif kind == "actions":
            if extra != {"elements"}:
                raise Invalid(w + ": actions hold elements only")
            el = b["elements"]
            if not isinstance(el, list) or not 1 <= len(el) <= 25:
                raise Invalid(w + ".elements: 1..25 items")
            for j, e in enumerate(el):
                if not isinstance(e, dict) or e.get("type") != "button":
                    raise Invalid("%s.elements[%d]: a button" % (w, j))
                urls.append(button(e, "%s.elements[%d]" % (w, j)))
        else:
            raise Invalid(w + ": unknown block type %r" % (kind,))
    return [t for t in texts if t is not None], [u for u in urls if u]


def markup(state, text):
    """What Slack would parse as markup in mrkdwn text, into state."""
    for m in MARKUP.finditer(text):
        inner = m.group(1)
        target = inner.split("|", 1)[0]
        if target.startswith(("!date^",)):
            continue
        if target.startswith(("!", "@", "#")):
            state.setdefault("mentions", []).append(inner)
        else:
            state.setdefault("links", []).append(target)


def handle(e, req):
    st = e.state
    m = HOOK.match(req.path)
    if req.method != "POST":
        return 405, HTML, "invalid_method"
    if m is None or m.group(4) == "/gone":
        return 404, HTML, "no_service"
    if m.group(4) == "/archived":
        return 410, HTML, "channel_is_archived"
    ctype = req.headers.get("content-type", "")
    if ctype.split(";")[0].strip().lower() != "application/json":
        return 400, HTML, "invalid_payload"
    msg = req.json
    if not isinstance(msg, dict):
        return 400, HTML, "invalid_payload"
    for k in msg:
        if k not in TOP:
            st.setdefault("ignored", []).append(k)
    if "text" not in msg and "blocks" not in msg:
        return 400, HTML, "no_text"
    text = msg.get("text")
    if text is not None and not isinstance(text, str):
        return 400, HTML, "invalid_payload"
    if text is not None and chars(text) > TEXT_MAX:
        return 400, HTML, "msg_too_long"
    texts = []
    if "blocks" in msg:
        try:
            texts, urls = check_blocks(msg["blocks"])
        except Invalid as why:
            st.setdefault("invalid", []).append(str(why))
            return 400, HTML, "invalid_blocks"
        for u in urls:
            st.setdefault("links", []).append(u)
    if text:
        texts.append(text)
    for t in texts:
        markup(st, t)
    st["accepted"] = st.get("accepted", 0) + 1
    return 200, HTML, "ok"


if __name__ == "__main__":
    emu.main(handle)
