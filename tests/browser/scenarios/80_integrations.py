"""Integrations (seed 003): /admin/integrations opens the page; the
stored-XSS probe in a name shows as text; an integration's detail
(#/integrations/<id>): Test connection on a webhook pointed at a local
receiver shows ok/delivered/200 and the delivery log the test delivery;
Edit: "Remove Signing secret" sends null (the secret gone) and Retries
left blank saves the API's default (3, as on create); a user token
(manage_settings, another owner) sees only its own integration, and
another's detail is refused (404, shown)."""

# An integration's detail, by id: its name, whether its delivery log has
# loaded, the log's rows, the test result.
PART = """
const p = document.querySelector('.integration[data-id="' + arguments[0] + '"]');
if (!p) return null;
const res = {};
for (const dd of p.querySelectorAll('.test-result dd'))
    res[dd.dataset.k] = dd.textContent;
return {name: p.querySelector('h3').textContent,
        button: p.querySelector('button.test').textContent,
        loaded: p.querySelector('table.log tbody').children.length > 0 ||
                !p.querySelector('.log-empty').hidden,
        rows: [...p.querySelectorAll('table.log tbody tr')].map(r =>
                [...r.cells].map(c => c.textContent)),
        result: res};
"""


def part(t, hook, cond, timeout=10.0):
    return t.wd.wait("const p = (function(){%s}).apply(null, arguments);"
                     "return p && (%s) && p;" % (PART, cond), timeout, hook)


def run(t):
    wd = t.wd
    sink = t.sink()
    # Names lose their tags on write (78_integrations_api); what survives
    # is the escaped form, which must reach the page as those very
    # characters (innerHTML would turn &lt; into <).
    probe = "xss-%s &lt;img src=x onerror=alert(1)&gt; %s" % (t.run_id,
                                                              t.probe)
    code, v = t.api("POST", "/api/integrations", {
        "type": "webhook", "name": probe, "events": ["finding.created"],
        "config": {"url": "http://127.0.0.1:9/console"}})
    t.check("setup: an integration named with the probe", code == 201, v)
    code, v = t.api("POST", "/api/integrations", {
        "type": "webhook", "name": "console hook %s" % t.run_id,
        "events": ["finding.created"], "retry_count": 5,
        "config": {"url": sink.url + "/ok",
                   "secret": "sig-%s-0123456789" % t.run_id}})
    t.check("setup: an admin's webhook integration to the receiver, "
            "signed", code == 201 and v["config"].get("secret", "")
            .startswith("…"), v)
    hook = v["id"]
    owner = "console-%s" % t.run_id
    utoken = t.user_token(owner, ["manage_settings"])
    uname = "console user hook %s" % t.run_id
    code, v = t.api("POST", "/api/integrations", {
        "type": "webhook", "name": uname, "events": ["finding.created"],
        "config": {"url": sink.url + "/ok"}}, utoken)
    t.check("setup: the user's own integration", code == 201, v)

    if t.signed_in():
        t.signout()
    t.get(t.base + "/admin/integrations")
    url = wd.js("return location.pathname + location.hash;")
    t.check("/admin/integrations opens /console/#/integrations",
            url == "/console/#/integrations", url)
    who = t.signin()
    t.check("signed in from /admin/integrations: the integrations page",
            who == ["admin", "(none)"] and
            wd.js("return location.hash;") == "#/integrations", who)
    rows = wd.js("return [...document.querySelectorAll("
                 "'#integrations-rows tr')].map(r => "
                 "[...r.cells].map(c => c.textContent));") or []
    mine = [r for r in rows if ("xss-" + t.run_id) in r[0]]
    t.check("the list shows the probe's row as text (name, type, status, "
            "enabled)", len(mine) == 1 and
            mine[0][1:] == ["webhook", "active", "yes"], rows)
    txt = t.text("#page")
    t.check("the probe's escaped markup is shown as those very characters",
            "&lt;img src=x onerror=alert(1)&gt;" in txt, txt[:500])
    t.no_injection("integrations")
    t.shot("list")
    href = wd.js("const r = document.querySelector("
                 "'#integrations-rows tr[data-id=\"' + arguments[0] + '\"] a');"
                 "return r && r.getAttribute('href');", hook)
    t.check("a row links to the integration's detail",
            href == "#/integrations/" + hook, href)
    t.click('#integrations-rows tr[data-id="%s"] a' % hook)
    p = part(t, hook, "p.loaded")
    t.check("the webhook's part: its name, Test connection and an empty "
            "delivery log", bool(p) and p["button"] == "Test connection" and
            p["rows"] == [], p)
    t.shot("detail")

    # Keyboard: focus the button, Enter presses it.
    t.click('.integration[data-id="%s"] button.test' % hook)
    got = part(t, hook, "p.result.OK && p.rows.length > 0", 15.0)
    res = got and got["result"]
    t.check("Test connection shows ok, delivered, 200, no failed step, "
            "no error", bool(res) and res == {
                "OK": "yes", "Outcome": "delivered", "Status code": "200",
                "Failed step": "—", "Error": "—"}, got)
    rows = got["rows"] if got else []
    t.check("the delivery log shows the test delivery (integration.test, "
            "delivered, 200, 1 attempt, no error)",
            len(rows) == 1 and rows[0][0] != "" and
            rows[0][1:] == ["integration.test", "delivered", "200", "1", ""],
            rows)
    foc = wd.wait("const a = document.activeElement;"
                  "return a.classList.contains('test') && "
                  "a.closest('.integration').dataset.id;")
    t.check("the focus stays on Test connection", foc == hook, foc)
    wd.js("document.querySelector('.integration[data-id=\"' + arguments[0] +"
          " '\"]').scrollIntoView();", hook)
    t.shot("test-connection")

    # Edit: the stored secret's Remove box sends null; Retries blank is
    # the API's default, as on create.
    t.click('.integration[data-id="%s"] button.edit' % hook)
    rm = wd.wait("const f = document.querySelector('.edit-form');"
                 "const c = f && !f.closest('.edit-box').hidden && "
                 "f.querySelector('input[name=\"secret.remove\"]');"
                 "if (!c) return null;"
                 "const pw = f.querySelector('input[name=secret]');"
                 "return [document.querySelector('label[for=\"' + c.id + "
                 "'\"]').textContent, pw.type, pw.value, pw.disabled,"
                 " f.querySelector('input[name=retry_count]').value];")
    t.check("Edit: the stored secret blank, with a Remove box; Retries 5",
            rm == ["Remove Signing secret", "password", "", False, "5"], rm)
    dis = wd.js("const c = document.querySelector('.edit-form "
                "input[name=\"secret.remove\"]'); c.click();"
                "document.querySelector('.edit-form input[name=retry_count]')"
                ".value = '';"
                "return document.querySelector('.edit-form input[name=secret]')"
                ".disabled;")
    t.check("ticking Remove disables the secret's field", dis is True, dis)
    wd.js("document.querySelector('.edit-form .remove-secret')"
          ".scrollIntoView({block: 'center'});")
    t.shot("edit-remove-secret")
    t.click(".edit-form button[type=submit]")
    gone = wd.wait("const p = document.querySelector('.integration');"
                   "const k = p && [...p.querySelectorAll('dl.settings dt')]"
                   ".map(d => d.textContent);"
                   "return k && !k.includes('Signing secret') && k;")
    t.check("the detail no longer lists the signing secret", bool(gone),
            gone)
    code, v = t.api("GET", "/api/integrations/%s" % hook)
    t.check("saved: the secret removed (null), retry_count 3 (the default)",
            code == 200 and "secret" not in v["config"] and
            v["retry_count"] == 3, v)

    # A user token: only its owner's integration, as the API decides.
    who = t.signin(utoken)
    t.check("a user token signs in (role user)", bool(who) and
            who[0] == "user", who)
    t.open("integrations")
    names = wd.js("return [[...document.querySelectorAll("
                  "'#integrations-rows tr')].map(r => r.cells[0].textContent),"
                  " [...document.querySelectorAll('#integrations-rows tr')]"
                  ".map(r => r.dataset.id)];")
    t.check("the user sees only its own integration",
            names[0] == [uname] and hook not in names[1] and
            len(names[1]) == 1, names)
    t.shot("user")
    t.allow(404, "/api/integrations/" + hook)
    t.open("integrations/" + hook)
    err = t.text("#page .error")
    t.check("another owner's integration: refused, and said so",
            bool(err) and err.startswith("Could not load the integration: ")
            and "not_found" in err, err)
    # A new document: the refused request stays this scenario's (the
    # browser keeps a document's requests for the scenarios after it).
    # (a query: a URL differing only in its hash is no new document.)
    t.get(t.base + "/console/?new#/integrations")
    wd.wait("const p = document.querySelector('#page .page');"
            "return p && p.dataset.ready === '1';", 10.0)
    t.check("the user signs out", t.signout())
    t.signin()
