"""Tokens (issue 11): the admin creates a user token from the form
(keyboard; its name holds the XSS probe): the token is shown once, in a
secret box with a warning, and never again; the list shows its name,
role, owner and no secret.  A user token without an owner is refused in
the form.  Signed in with the new token, the browser shows that user's
view: no admin-only links, its own figures and its own session only.
The admin revokes that browser's session from the sessions list (the
browser, back with its cookie, is signed out), then the token (the API
refuses it), the focus on what each Revoke said, each button naming its
row; the tokens list pages (Show more, ?limit=2 in the hash); and finally
the admin revokes its own session (back to the sign-in form)."""

TOKENS = """return [...document.querySelectorAll('#token-rows tr')].map(r =>
    [r.dataset.id].concat([...r.cells].slice(0, 7).map(c => c.textContent)));"""
SESSIONS = """return [...document.querySelectorAll('#session-rows tr')].map(r =>
    [r.dataset.id].concat([...r.cells].map(c => c.textContent)));"""


def rows(t, js, key, cond="true", timeout=8.0):
    return t.wd.wait("const r = (function(){%s})().find(x => x[0] === "
                     "arguments[0]); return r && (%s) && r;" % (js, cond),
                     timeout, key)


def cookie(t):
    for c in t.wd.cmd("GET", "/cookie"):
        if c["name"] == "hookpost_session":
            return c
    return None




def run(t):
    wd = t.wd
    owner = "tok-%s" % t.run_id
    name = "xss-%s %s" % (t.run_id, t.probe)
    # A fresh document, signed in as the admin.
    t.get(t.base + "/console/")
    t.must("the console shows the sign-in form or a page",
           "return !document.getElementById('signin').hidden || "
           "!document.getElementById('who').hidden;")
    if not t.signed_in():
        t.signin()
    t.open("tokens")
    t.check("the Tokens page: the form, the tokens, the sessions",
            t.text("#page h2") == "Tokens" and
            t.text(".token-form h3") == "Create a token" and
            t.text("section.tokens h3") == "API tokens" and
            t.text("section.sessions h3") == "Console sessions")
    labels = wd.js("return [...document.querySelectorAll('.token-form label')]"
                   ".map(l => l.textContent + '=' + !!document.getElementById("
                   "l.htmlFor));")
    t.check("every field is labelled", labels == [
        "Name=true", "Role=true", "Owner id=true",
        "May manage integrations (manage_settings)=true"], labels)

    # A user token without an owner: refused, in the form.
    t.allow(400, "/api/tokens")
    t.fill(".token-form input[name=name]", "no owner %s" % t.run_id)
    t.click(".token-form button[type=submit]")
    msg = wd.wait("const s = document.querySelector('.token-form "
                  ".form-status').textContent;"
                  "return s.startsWith('Could not') && s;")
    t.check("a user token without an owner is refused in the form",
            msg == "Could not create the token: A user token needs "
            "'owner_id' (invalid_field)", msg)

    # Create: shown once.
    t.fill(".token-form input[name=name]", name)
    t.fill(".token-form input[name=owner_id]", owner)
    t.click(".token-form button[type=submit]")
    got = wd.wait("const c = document.querySelector('.token-created');"
                  "const code = c && c.querySelector('code[data-secret]');"
                  "return code && [c.dataset.id, code.textContent,"
                  " c.querySelector('.warning').textContent,"
                  " document.activeElement.textContent];", 8.0)
    token = got and got[1]
    t.check("the new token is shown once, in full, with a warning",
            bool(got) and token.startswith("hp_") and len(token) > 40 and
            got[2].startswith("Copy this token now: it is shown only once"),
            got)
    foc = wd.wait("return document.activeElement.textContent === 'Copy';")
    t.check("the focus is on Copy", bool(foc),
            wd.js("return document.activeElement.outerHTML;"))
    tid = got and got[0]
    r = rows(t, TOKENS, tid)
    t.check("the list: its name (the probe, as text), role, owner, active",
            bool(r) and r[1:4] == [name, "user", owner] and r[7] == "active",
            r)
    t.check("the list holds no secret", token and token not in
            wd.js("return document.getElementById('token-rows').textContent;"))
    t.no_injection("tokens")
    t.shot("created")
    t.phone("tokens")
    wd.js("document.querySelector('.token-created .toggle').focus();")
    wd.type(wd.find(".token-created .toggle"), "\ue007")
    t.check("Hide masks it", t.text(".token-created code") != token)
    t.open("tokens")
    t.check("after a reload the token is nowhere on the page",
            token and token not in wd.js("return document.body.textContent;"))

    # Signed in with it: the user's view.
    who = t.signin(token)
    t.check("the new token signs in as that user", who == ["user", owner],
            who)
    nav = wd.js("return [...document.querySelectorAll('#nav-links a')]"
                ".map(a => a.textContent);")
    t.check("the user has no admin-only links (Audit log, Quotas, Deny list)",
            not {"Audit log", "Quotas", "Deny list"} & set(nav) and
            "Tokens" in nav and "Health" in nav, nav)
    t.open("health")
    t.check("its Health page shows its own (empty) figures",
            t.text('#health-inbound dd[data-k="Received"]') == "0" and
            t.text('#health-deliveries dd[data-k="Sent"]') == "0")
    t.shot("user-home")
    t.open("tokens")
    mine = wd.js("const o = {}; for (const dd of document.querySelectorAll("
                 "'#my-session-info dd')) o[dd.dataset.k] = dd.textContent;"
                 "return [o, !!document.querySelector('#page .error'),"
                 " !!document.querySelector('#page form, #token-rows,"
                 " #session-rows'), document.querySelector('#page .note')"
                 ".textContent];")
    t.check("the user's Tokens page: a note and its own session, no error, "
            "no lists", mine[0].get("Role") == "user" and
            mine[0].get("Owner") == owner and mine[1] is False and
            mine[2] is False and mine[3].startswith(
                "API tokens and console sessions are managed by an admin"),
            mine)
    t.shot("user-tokens")

    # The admin revokes this browser's session.
    ucookie = cookie(t)
    code, v = t.api("GET", "/api/sessions?limit=50")
    usess = [s["id"] for s in (v or {}).get("data", [])
             if s["owner_id"] == owner and s["active"]]
    t.check("setup: the user's one active session", len(usess) == 1, v)
    wd.cmd("DELETE", "/cookie/hookpost_session")
    t.get(t.base + "/console/?fresh")
    t.signin()
    t.open("tokens")
    r = rows(t, SESSIONS, usess[0] if usess else "")
    t.check("the sessions list shows the user's, active", bool(r) and
            r[1:3] == ["user", owner] and r[8] == "active", r)
    mine = wd.js("return [...document.querySelectorAll('#session-rows tr')]"
                 ".filter(r => r.cells[7].textContent === 'active (you)')"
                 ".map(r => r.dataset.id);")
    t.check("the admin's own session is marked", len(mine) == 1, mine)
    lab = wd.js("return document.querySelector('#session-rows tr[data-id="
                "\"' + arguments[0] + '\"] button.revoke').getAttribute("
                "'aria-label');", usess[0] if usess else "")
    t.check("the session's Revoke names it", bool(lab) and lab.startswith(
        "Revoke the session of user, %s, signed in " % owner), lab)
    t.click('#session-rows tr[data-id="%s"] button.revoke' % usess[0])
    dlg = wd.wait("const d = document.querySelector('dialog.confirm[open]');"
                  "return d && d.querySelector('p').textContent;")
    t.check("Revoke asks first", dlg == "End this console session (user, "
            "%s)? Its browser is signed out." % owner, dlg)
    t.shot("revoke-session")
    t.click("dialog.confirm .confirm-ok")
    r = rows(t, SESSIONS, usess[0], "r[8] === 'revoked'")
    t.check("the session is listed revoked, without its button", bool(r) and
            not wd.js("return !!document.querySelector('#session-rows "
                      "tr[data-id=\"' + arguments[0] + '\"] button');",
                      usess[0]), r)
    said = wd.wait("const a = document.activeElement;"
                   "return a.matches('section.sessions p.notice') && "
                   "a.textContent;")
    t.check("the focus is on what Revoke did", said ==
            "Revoked the session (user, %s)." % owner, said)
    # The user's browser comes back with its cookie: signed out.
    acookie = cookie(t)
    wd.cmd("DELETE", "/cookie/hookpost_session")
    wd.cmd("POST", "/cookie", {"cookie": {
        "name": ucookie["name"], "value": ucookie["value"], "path": "/",
        "httpOnly": True, "sameSite": "Strict"}})
    # (a query string: a new document, not a move within this one)
    t.get(t.base + "/console/?back#/tokens")
    t.check("the revoked session's browser is back at the sign-in form",
            bool(wd.wait("return !document.getElementById('signin').hidden "
                         "&& document.getElementById('who').hidden;")))
    t.shot("revoked-browser")
    wd.cmd("DELETE", "/cookie/hookpost_session")
    wd.cmd("POST", "/cookie", {"cookie": {
        "name": acookie["name"], "value": acookie["value"], "path": "/",
        "httpOnly": True, "sameSite": "Strict"}})
    t.get(t.base + "/console/?admin")
    t.check("the admin's own session is still on", bool(wd.wait(
        "return !document.getElementById('who').hidden;")))

    # Revoke the token.
    t.open("tokens")
    lab = wd.js("return document.querySelector('#token-rows tr[data-id="
                "\"' + arguments[0] + '\"] button.revoke').getAttribute("
                "'aria-label');", tid)
    t.check("the token's Revoke names it", lab == "Revoke the token " + name,
            lab)
    t.click('#token-rows tr[data-id="%s"] button.revoke' % tid)
    dlg = wd.wait("const d = document.querySelector('dialog.confirm[open]');"
                  "return d && d.querySelector('p').textContent;")
    t.check("Revoke token asks first", bool(dlg) and
            dlg.startswith("Revoke the token %s?" % name), dlg)
    t.click("dialog.confirm .confirm-ok")
    r = rows(t, TOKENS, tid, "r[7].startsWith('revoked')")
    t.check("the token is listed revoked", bool(r), r)
    said = wd.wait("const a = document.activeElement;"
                   "return a.matches('section.tokens p.notice') && "
                   "a.textContent;")
    t.check("the focus is on what Revoke token did", said ==
            "Revoked %s." % name, said)
    code, v = t.api("GET", "/api/stats", None, token)
    t.check("the API refuses the revoked token", code == 401, [code, v])
    t.shot("revoked-token")

    # Paging: two tokens a page; Show more appends the next two.
    code, v = t.api("GET", "/api/tokens?limit=4")
    four = [k["id"] for k in (v or {}).get("data", [])]
    t.open("tokens?limit=2")
    ids = "return [...document.querySelectorAll('#token-rows tbody tr')]" \
        ".map(r => r.dataset.id);"
    first = wd.js("return [(function(){%s})(), document.querySelector("
                  "'section.tokens p.more .count').textContent];" % ids)
    t.check("?limit=2: the two newest tokens, '2 tokens shown'",
            first == [four[:2], "2 tokens shown"], [first, four])
    t.click("section.tokens button.show-more")
    got = wd.wait("const r = (function(){%s})(); return r.length > 2 && "
                  "[r, document.querySelector('section.tokens p.more "
                  ".count').textContent];" % ids)
    t.check("Show more: the next two, in the API's order",
            got == [four, "4 tokens shown"], [got, four])
    t.shot("tokens-paged")
    t.open("tokens")

    # Revoking one's own session signs this browser out (the list's
    # reload is refused: 401).
    t.allow(401, "/api/sessions?limit=200")
    t.click('#session-rows tr[data-id="%s"] button.revoke' % mine[0])
    t.must("Revoke asks first", "return !!document.querySelector("
           "'dialog.confirm[open]');")
    t.click("dialog.confirm .confirm-ok")
    t.check("revoking one's own session: the sign-in form", bool(wd.wait(
        "return !document.getElementById('signin').hidden;")))
    t.signin()
    # A fresh document: the refusals above stay this scenario's.
    t.get(t.base + "/console/")
    t.check("signed in as the admin again", t.open("health"))
