"""Deny list (seed 000, admin): a glob and a regex entry added from the
form (keyboard) are listed with their type and reason, and the API then
refuses a webhook URL the glob matches; an invalid regex is refused in
the form; a reason holding the XSS probe is shown as text; Delete asks
first (Escape keeps it) and then removes the entry, the focus on what it
says; the list pages (Show more, ?limit=2 in the hash) to the API's last
row; a user has no Deny list link."""

ROWS = """return [...document.querySelectorAll('#deny-rows tr')].map(r =>
    [r.dataset.id].concat([...r.cells].slice(0, 3).map(c => c.textContent)));"""


def row(t, pattern, present=True, timeout=8.0):
    return t.wd.wait("const r = (function(){%s})().find(x => x[1] === "
                     "arguments[0]); return %s;" % (
                         ROWS, "r" if present else "!r"), timeout, pattern)


def add(t, pattern, kind, reason):
    t.fill(".deny-form input[name=pattern]", pattern)
    t.wd.js("const s = document.querySelector('.deny-form select');"
            "s.focus();")
    # Keyboard: the first letter picks the option.
    t.wd.type(t.wd.find(".deny-form select"), "R" if kind == "regex" else "G")
    t.fill(".deny-form input[name=description]", reason)
    t.click(".deny-form button[type=submit]")




def run(t):
    wd = t.wd
    host = "deny-%s.example" % t.run_id.lower()
    glob = "*.%s" % host
    regex = "^evil-%s\\.example$" % t.run_id.lower()
    # A fresh document, signed in as the admin.
    t.get(t.base + "/console/")
    t.must("the console shows the sign-in form or a page",
           "return !document.getElementById('signin').hidden || "
           "!document.getElementById('who').hidden;")
    if not t.signed_in():
        t.signin()
    t.open("deny-list")
    t.check("the Deny list page, with its form",
            t.text("#page h2") == "Deny list" and
            t.text(".deny-form h3") == "Add an entry")
    labels = wd.js("return [...document.querySelectorAll('.deny-form label')]"
                   ".map(l => l.textContent + '=' + !!document.getElementById("
                   "l.htmlFor));")
    t.check("every field is labelled", labels == [
        "Pattern=true", "Pattern type=true", "Reason=true"], labels)

    add(t, glob, "glob", "internal hosts of %s" % t.run_id)
    r = row(t, glob)
    t.check("the glob is listed: pattern, type, reason", bool(r) and
            r[1:] == [glob, "glob", "internal hosts of %s" % t.run_id], r)
    gid = r and r[0]
    t.check("the form says it was added", t.text(".deny-form .form-status")
            == "Added %s." % glob)
    probe = "xss-%s %s" % (t.run_id, t.probe)
    add(t, regex, "regex", probe)
    r = row(t, regex)
    t.check("the regex is listed with the probe as its reason, as text",
            bool(r) and r[1:] == [regex, "regex", probe], r)
    rid = r and r[0]
    t.no_injection("deny list")
    t.shot("list")
    t.phone("denylist")

    # The API now refuses a URL the glob matches.
    code, v = t.api("POST", "/admin/webhooks/subscriptions", {
        "name": "deny %s" % t.run_id, "url": "https://a.%s/hook" % host,
        "events": ["threat_model.created"]})
    t.check("a subscription to a denied URL is refused", code == 400 and
            "deny list" in str(v), [code, v])
    sub = v.get("id") if code == 201 else None

    # An invalid regex: the API's refusal in the form.
    t.allow(400, "/admin/webhooks/deny-list")
    add(t, "(unclosed", "regex", "bad")
    msg = wd.wait("const s = document.querySelector('.deny-form "
                  ".form-status').textContent;"
                  "return s.startsWith('Could not add') && s;")
    t.check("an invalid regex is refused in the form",
            bool(msg) and "(invalid_field)" in msg, msg)
    t.check("and not listed", bool(row(t, "(unclosed", False)))
    t.shot("refused")

    # Delete: Cancel keeps it; Confirm removes it.
    t.check("the Delete button names its entry", wd.js(
        "return document.querySelector('#deny-rows tr[data-id=\"' + "
        "arguments[0] + '\"] button.delete').getAttribute('aria-label');",
        gid) == "Delete " + glob)
    t.click('#deny-rows tr[data-id="%s"] button.delete' % gid)
    dlg = wd.wait("const d = document.querySelector('dialog.confirm[open]');"
                  "return d && [d.querySelector('p').textContent,"
                  " document.activeElement.textContent];")
    t.check("Delete asks first, the focus on Cancel", dlg == [
        "Delete the deny-list entry %s? Hosts it matches are accepted again."
        % glob, "Cancel"], dlg)
    t.shot("confirm")
    wd.type(wd.find("dialog.confirm .confirm-cancel"), "\ue00c")  # Escape
    t.check("Escape cancels: the entry stays", bool(row(t, glob)) and
            not wd.js("return !!document.querySelector('dialog[open]');"))
    t.click('#deny-rows tr[data-id="%s"] button.delete' % gid)
    t.must("Delete asks again", "return !!document.querySelector("
           "'dialog.confirm[open]');")
    t.click("dialog.confirm .confirm-ok")
    t.check("Confirm deletes it", bool(row(t, glob, False)))
    said = wd.wait("const a = document.activeElement;"
                   "return a.matches('#page p.notice') && a.textContent;")
    t.check("the focus is on what Delete did", said == "Deleted %s." % glob,
            said)
    code, v = t.api("GET", "/admin/webhooks/deny-list?limit=1000")
    t.check("the API agrees: the glob gone, the regex there",
            code == 200 and not any(e["id"] == int(gid) for e in v) and
            any(e["id"] == int(rid) for e in v), v)
    t.shot("deleted")

    # Paging: two rows a page; Show more appends the next page until
    # the API's last.
    for i in (1, 2):
        t.api("POST", "/admin/webhooks/deny-list", {
            "pattern": "page%d-%s.example" % (i, t.run_id.lower()),
            "pattern_type": "glob", "description": "paging"})
    code, entries = t.api("GET", "/admin/webhooks/deny-list?limit=1000")
    every = [str(e["id"]) for e in entries or []]
    t.check("setup: at least 3 entries", code == 200 and len(every) >= 3,
            every)
    t.open("deny-list?limit=2")
    first = wd.js("return [(function(){%s})().map(r => r[0]).filter(x => x), "
                  "document.querySelector('#page p.more .count')"
                  ".textContent];" % ROWS)
    t.check("?limit=2: the first two rows, '2 entries shown'",
            first == [every[:2], "2 entries shown"], first)
    for _ in range(len(every)):
        if not wd.js("const b = document.querySelector('#page p.more "
                     "button'); return b && !b.hidden;"):
            break
        n = wd.js("return document.querySelectorAll('#deny-rows tr')"
                  ".length;")
        t.click("#page p.more button")
        t.must("Show more adds the next page's rows",
               "return document.querySelectorAll('#deny-rows tr')"
               ".length > arguments[0];", 8.0, n)
    got = wd.js("return [(function(){%s})().map(r => r[0]).filter(x => x), "
                "document.querySelector('#page p.more .count')"
                ".textContent, document.activeElement.getAttribute("
                "'aria-label')];" % ROWS)
    t.check("Show more up to the last page: every row, in the API's order",
            got[:2] == [every, "All %d entries shown" % len(every)], got)
    last = entries[(len(every) - 1) // 2 * 2]["pattern"] if every else None
    t.check("then the focus is on the last page's first row (its Delete)",
            got[2] == "Delete %s" % last, [got, last])
    stray = wd.js("return [...document.querySelector('#deny-rows').closest("
                  "'section').childNodes].filter(n => n.nodeType === 3 && "
                  "n.textContent.trim()).map(n => n.textContent);")
    t.check("no stray text beside the list", stray == [], stray)
    t.shot("paged")
    code, v = t.api("GET", "/admin/webhooks/deny-list?limit=1000")
    for e in v or []:
        if e["description"] == "paging" and t.run_id.lower() in e["pattern"]:
            t.api("DELETE", "/admin/webhooks/deny-list/%s" % e["id"])
    t.api("DELETE", "/admin/webhooks/deny-list/%s" % rid)
    code, v = t.api("DELETE", "/admin/webhooks/subscriptions/%s" % sub) \
        if sub else (0, None)

    utoken = t.user_token("deny-user-%s" % t.run_id)
    t.signin(utoken)
    nav = wd.js("return [...document.querySelectorAll('#nav-links a')]"
                ".map(a => a.textContent);")
    t.check("a user has no Deny list link", "Deny list" not in nav and
            "Health" in nav, nav)
    t.signin()
    # A fresh document: the refusals above stay this scenario's.
    t.get(t.base + "/console/")
    t.check("signed in as the admin again", t.open("health"))
