"""Quotas (seed 000, admin): an owner's quota set from the form (keyboard)
shows in the list with its four limits, Edit loads it back, a change
saves, Show effective quota tells the defaults from an own quota, Clear
asks first (Cancel keeps it) and then removes it (the API agrees), the
focus on what it says; a limit that is not a number is refused in the
form (not saved as the default); a refusal (a limit out of range) is
shown in the form; the list pages (Show more, ?limit=2 in the hash) to
the API's last row, the focus then on its first owner (a link to its
subscriptions); nothing is injected; a user has no Quotas link."""

ROWS = """return [...document.querySelectorAll('#quota-rows tr')].map(r =>
    [r.dataset.owner].concat([...r.cells].slice(0, 5).map(c => c.textContent)));"""


def row(t, owner, cond="true", timeout=8.0):
    return t.wd.wait("const r = (function(){%s})().find(x => x[0] === "
                     "arguments[0]); return r && (%s) && r;" % (ROWS, cond),
                     timeout, owner)


def form_say(t):
    return t.text(".quota-form .form-status")




def run(t):
    wd = t.wd
    owner = "quota-%s" % t.run_id
    qpath = "/admin/quotas/webhooks/"
    # A fresh document, signed in as the admin.
    t.get(t.base + "/console/")
    t.must("the console shows the sign-in form or a page",
           "return !document.getElementById('signin').hidden || "
           "!document.getElementById('who').hidden;")
    if not t.signed_in():
        t.signin()
    t.open("quotas")
    t.check("the Quotas page, with its form", t.text("#page h2") == "Quotas"
            and t.text(".quota-form h3") == "Set an owner's quota")
    labels = wd.js("return [...document.querySelectorAll('.quota-form label')]"
                   ".map(l => l.textContent + '=' + !!document.getElementById("
                   "l.htmlFor));")
    t.check("every field is labelled", labels == [
        "Owner id=true", "Subscriptions=true", "Events per minute=true",
        "Subscription writes per minute=true",
        "Subscription writes per day=true"], labels)

    # Set, from the keyboard.
    t.fill(".quota-form input[name=owner_id]", owner)
    t.fill(".quota-form input[name=max_subscriptions]", "3")
    t.fill(".quota-form input[name=max_events_per_minute]", "40")
    t.click(".quota-form button[type=submit]")
    r = row(t, owner)
    t.check("the owner's row: 3 subscriptions, 40 events/min, the other "
            "two the defaults (10, 20)", r == [owner, owner, "3", "40",
                                              "10", "20"], r)
    href = wd.js("return document.querySelector('#quota-rows tr[data-owner=\"'"
                 " + arguments[0] + '\"] a').getAttribute('href');", owner)
    t.check("the owner links to its subscriptions",
            href == "#/subscriptions?owner_id=" + owner, href)
    t.check("the form says it saved", form_say(t) ==
            "Saved the quota of %s." % owner, form_say(t))
    code, v = t.api("GET", qpath + owner)
    t.check("the API has it", code == 200 and v["custom"] is True and
            v["max_subscriptions"] == 3 and v["max_events_per_minute"] == 40,
            v)
    t.shot("set")
    t.phone("quotas")

    # Edit loads the row; a change saves.
    t.click('#quota-rows tr[data-owner="%s"] button.edit' % owner)
    vals = wd.js("return [...document.querySelectorAll('.quota-form input')]"
                 ".map(i => i.value);")
    t.check("Edit fills the form from the row", vals == [owner, "3", "40",
                                                         "10", "20"], vals)
    t.check("and focuses the owner field",
            wd.js("return document.activeElement.name;") == "owner_id")
    t.fill(".quota-form input[name=max_subscription_requests_per_day]", "99")
    t.click(".quota-form button[type=submit]")
    r = row(t, owner, "r[5] === '99'")
    t.check("the change shows in the list", r == [owner, owner, "3", "40",
                                                  "10", "99"], r)

    t.check("the row's buttons name their owner", wd.js(
        "return [...document.querySelectorAll('#quota-rows tr[data-owner=\"'"
        " + arguments[0] + '\"] button')].map(b => b.getAttribute("
        "'aria-label'));", owner) == ["Edit the quota of " + owner,
                                      "Clear the quota of " + owner])

    # A number field that cannot be read ("1e") is refused, not saved as
    # the default.
    t.fill(".quota-form input[name=max_events_per_minute]", "1e")
    bad = wd.js("return document.querySelector('.quota-form input[name=max_"
                "events_per_minute]').validity.badInput;")
    t.check("setup: '1e' is a bad input to a number field", bad is True, bad)
    t.click(".quota-form button[type=submit]")
    msg = wd.wait("const s = document.querySelector('.quota-form "
                  ".form-status').textContent;"
                  "return s.startsWith('Not saved') && [s, "
                  "document.activeElement.name, document.activeElement."
                  "getAttribute('aria-invalid')];")
    t.check("a limit that is not a number: refused in the form, the focus "
            "on it", msg == ["Not saved: Events per minute must be a whole "
                             "number (or blank for the default).",
                             "max_events_per_minute", "true"], msg)
    code, v = t.api("GET", qpath + owner)
    t.check("and nothing saved: still 40 events/min", code == 200 and
            v["max_events_per_minute"] == 40, v)
    t.shot("bad-number")

    # A refusal is shown in the form (0 events per minute is below 1).
    t.allow(400, qpath + owner)
    t.fill(".quota-form input[name=max_events_per_minute]", "0")
    wd.js("document.querySelector('.quota-form input[name=max_events_per_"
          "minute]').min = '';")
    t.click(".quota-form button[type=submit]")
    msg = wd.wait("const s = document.querySelector('.quota-form "
                  ".form-status').textContent;"
                  "return s.startsWith('Could not') && s;")
    t.check("a refused value: the API's message in the form",
            bool(msg) and "(invalid_field)" in msg, msg)

    # Effective quota: an owner without a row has the defaults.
    t.fill(".quota-form input[name=owner_id]", "nobody-%s" % t.run_id)
    t.click(".quota-form button.look")
    eff = wd.wait("const o = {}; for (const dd of document.querySelectorAll("
                  "'.quota-effective dd')) o[dd.dataset.k] = dd.textContent;"
                  "return o.Owner && o;")
    t.check("Show effective quota: the defaults for an owner without one",
            eff == {"Owner": "nobody-%s" % t.run_id,
                    "Own quota": "no (the defaults)", "Subscriptions": "10",
                    "Events per minute": "12",
                    "Subscription writes per minute": "10",
                    "Subscription writes per day": "20"}, eff)
    t.shot("effective")

    # Quotas have no free-text field (an owner id travels in the URL's
    # path); the list is checked for injection all the same.
    t.no_injection("quotas")

    # Clear: Cancel keeps it, Confirm removes it.
    t.click('#quota-rows tr[data-owner="%s"] button.clear' % owner)
    dlg = wd.wait("const d = document.querySelector('dialog.confirm[open]');"
                  "return d && [d.querySelector('p').textContent,"
                  " document.activeElement.textContent];")
    t.check("Clear asks first, the focus on Cancel", dlg == [
        "Clear the quota of %s? It goes back to the defaults." % owner,
        "Cancel"], dlg)
    t.shot("confirm")
    t.click("dialog.confirm .confirm-cancel")
    t.check("Cancel keeps the row", bool(row(t, owner)))
    t.click('#quota-rows tr[data-owner="%s"] button.clear' % owner)
    t.must("Clear asks again", "return !!document.querySelector("
           "'dialog.confirm[open]');")
    t.click("dialog.confirm .confirm-ok")
    gone = wd.wait("return !(function(){%s})().some(x => x[0] === "
                   "arguments[0]);" % ROWS, 8.0, owner)
    t.check("Clear removes the row", bool(gone))
    said = wd.wait("const a = document.activeElement;"
                   "return a.matches('#page p.notice') && a.textContent;")
    t.check("the focus is on what Clear did", said ==
            "Cleared the quota of %s: it has the defaults." % owner, said)
    code, v = t.api("GET", qpath + owner)
    t.check("the API: back to the defaults", code == 200 and
            v["custom"] is False and v["max_subscriptions"] == 10, v)
    t.shot("cleared")

    # Paging: two rows a page; Show more appends the next page until
    # the API's last.
    made = ["%s-p%d" % (owner, i) for i in (1, 2, 3)]
    for o in made:
        t.api("PUT", qpath + o, {"max_subscriptions": 5})
    code, every = t.api("GET", "/admin/quotas/webhooks?limit=500")
    every = [q["owner_id"] for q in every or []]
    t.check("setup: at least 3 quotas", code == 200 and len(every) >= 3,
            every)
    t.open("quotas?limit=2")
    first = wd.js("return [(function(){%s})().map(r => r[0]).filter(x => x), "
                  "document.querySelector('#page p.more .count')"
                  ".textContent];" % ROWS)
    t.check("?limit=2: the first two rows, '2 owners shown'",
            first == [every[:2], "2 owners shown"], first)
    for _ in range(len(every)):
        if not wd.js("const b = document.querySelector('#page p.more "
                     "button'); return b && !b.hidden;"):
            break
        n = wd.js("return document.querySelectorAll('#quota-rows tr')"
                  ".length;")
        t.click("#page p.more button")
        t.must("Show more adds the next page's rows",
               "return document.querySelectorAll('#quota-rows tr')"
               ".length > arguments[0];", 8.0, n)
    got = wd.js("return [(function(){%s})().map(r => r[0]).filter(x => x), "
                "document.querySelector('#page p.more .count')"
                ".textContent, document.activeElement.getAttribute("
                "'aria-label')];" % ROWS)
    t.check("Show more up to the last page: every row, in the API's order",
            got[:2] == [every, "All %d owners shown" % len(every)], got)
    last = every[(len(every) - 1) // 2 * 2]
    t.check("then the focus is on the last page's first row (its owner)",
            got[2] == "Subscriptions of " + last, [got, last])
    stray = wd.js("return [...document.querySelector('#quota-rows').closest("
                  "'section').childNodes].filter(n => n.nodeType === 3 && "
                  "n.textContent.trim()).map(n => n.textContent);")
    t.check("no stray text beside the list", stray == [], stray)
    t.shot("paged")
    for o in made:
        t.api("DELETE", qpath + o)

    # A user has no Quotas link (the page says so if opened anyway).
    utoken = t.user_token("quota-user-%s" % t.run_id)
    t.signin(utoken)
    nav = wd.js("return [...document.querySelectorAll('#nav-links a')]"
                ".map(a => a.textContent);")
    t.check("a user has no Quotas link", "Quotas" not in nav and
            "Health" in nav, nav)
    t.open("quotas")
    t.check("opened anyway: a note, no form, no error",
            t.text("#page .page p") == "Quotas are managed by an admin." and
            not wd.js("return !!document.querySelector('#page form, "
                      "#page .error');"))
    t.signin()
    # A fresh document: the refusal above stays this scenario's.
    t.get(t.base + "/console/")
    t.check("signed in as the admin again", t.open("health"))
