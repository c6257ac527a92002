"""Every page of the navigation, as the admin: it loads (data-ready),
shows its heading and no error, at laptop width and at phone width (no
sideways scroll of the page itself); a screenshot of each.  Then the
same as a user token (role user, manage_settings, an owner of its own):
no admin-only page in its navigation, and each of its pages loads
without an error (what it may not see is left out, not refused).  The
layout and the user's view do not depend on the web server: under
Apache and shared hosting the tour is the admin's, at laptop width."""

ALL_SERVERS = True


def run(t):
    wd = t.wd
    if not t.signed_in():
        t.get(t.base + "/console/")
        t.signin()
    pages = wd.js("return [...document.querySelectorAll('#nav-links a')]"
                  ".map(a => [a.dataset.page, a.textContent]);")
    t.check("the tour: the navigation has pages", len(pages) >= 8, pages)
    widths = ((1280, "laptop"), (390, "phone"))
    if t.server != "lighttpd":
        widths = widths[:1]
    for width, label in widths:
        wd.cmd("POST", "/window/rect", {"width": width, "height": 900})
        for hash, title in pages:
            ok = t.open(hash, 15.0)
            h = t.text("#page .page h2")
            err = wd.js("return [...document.querySelectorAll("
                        "'#page .error')].map(e => e.textContent);")
            t.check("%s at %s width: loads, headed %r, no error" % (
                hash, label, title), ok and h == title and err == [],
                [ok, h, err])
            over = wd.js("return document.documentElement.scrollWidth - "
                         "document.documentElement.clientWidth;")
            t.check("%s at %s width: no sideways scroll of the page" % (
                hash, label), over <= 0, over)
            t.shot("%s-%s" % (hash, label))
    wd.cmd("POST", "/window/rect", {"width": 1280, "height": 900})
    if t.server != "lighttpd":
        return

    utoken = t.user_token("tour-%s" % t.run_id, ["manage_settings"])
    who = t.signin(utoken)
    t.check("the tour: a user token signs in", bool(who) and
            who[0] == "user", who)
    upages = wd.js("return [...document.querySelectorAll('#nav-links a')]"
                   ".map(a => [a.dataset.page, a.textContent]);")
    admin_only = {"sources", "incidents", "audit", "quotas", "deny-list"}
    t.check("the tour: the user's navigation has no admin-only page",
            len(upages) >= 6 and not admin_only & {p for p, _ in upages},
            upages)
    for hash, title in upages:
        ok = t.open(hash, 15.0)
        h = t.text("#page .page h2")
        err = wd.js("return [...document.querySelectorAll("
                    "'#page .error')].map(e => e.textContent);")
        t.check("%s as a user: loads, headed %r, no error" % (hash, title),
                ok and h == title and err == [], [ok, h, err])
        t.shot("%s-user" % hash)
    t.signin()
