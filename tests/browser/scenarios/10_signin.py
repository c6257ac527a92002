"""Sign in with the admin token (keyboard only), see the role and owner,
nothing stored in the browser, sign out and see the form again; after a
reload the session is gone server-side too."""

ALL_SERVERS = True

from webdriver import ENTER


def run(t):
    wd = t.wd
    t.get(t.base + "/console/")
    t.check("the sign-in form is shown, the token field focused",
            wd.wait("const f = document.getElementById('signin');"
                    "return f && !f.hidden && "
                    "document.activeElement.id === 'token';"),
            wd.js("return document.body.innerText"))
    lab = t.text("label[for=token]")
    t.check("the token field is labelled", lab == "API token", lab)
    t.shot("form")
    # Keyboard only: the field has the focus, Enter submits.
    wd.type(wd.find("#token"), t.token + ENTER)
    who = wd.wait("const w = document.getElementById('who');"
                  "const p = document.querySelector('#page .page');"
                  "return !w.hidden && p && p.dataset.ready === '1' && "
                  "[document.getElementById('who-role').textContent,"
                  " document.getElementById('who-owner').textContent];", 10.0)
    t.check("signed in: the role and owner are shown",
            who == ["admin", "(none)"],
            "%r; page: %r" % (who, wd.js("return document.body.innerText")))
    stored = wd.js("return [localStorage.length, sessionStorage.length,"
                   " document.cookie];")
    t.check("no token in localStorage, sessionStorage or a script-readable "
            "cookie", stored == [0, 0, ""], stored)
    nav = wd.js("return [...document.querySelectorAll('#nav-links a')]"
                ".map(a => a.textContent);")
    t.check("the navigation lists the pages", len(nav) >= 8 and
            "Integrations" in nav and "Sources" in nav, nav)
    foc = wd.js("return document.activeElement.id;")
    t.check("the sign-out button has the focus after sign-in",
            foc == "signout", foc)
    t.shot("home")
    # The install's base path (shared hosting under a subdirectory): the
    # path before /console/, put in front of every API call.
    got = wd.cmd("POST", "/execute/async", {"script": """
        const done = arguments[arguments.length - 1];
        import(location.pathname.replace(/[^/]*$/, '') + 'lib.js').then((m) =>
            done([m.basePath('/hookpost/console/'),
                  m.basePath('/a/b/console/index.html'),
                  m.basePath('/console/'), m.url('/api/session'),
                  m.url('https://x.example/api'),
                  m.basePath(location.pathname)]))
        .catch((e) => done(String(e)));""", "args": []})
    t.check("the base path is the path before /console/ (/hookpost, /a/b, "
            "none at the root); url() puts it in front of /api/...",
            got == ["/hookpost", "/a/b", "", "/api/session",
                    "https://x.example/api", ""], got)
    # A navigation: the focus goes to the new page's heading.
    t.click("#nav-links a[data-page=events]")
    foc = t.must("a navigation renders the page and focuses its heading",
                 "const p = document.querySelector('#page .page');"
                 "const a = document.activeElement;"
                 "return p && p.dataset.hash === '#/events' && "
                 "p.dataset.ready === '1' && a.tagName === 'H2' && "
                 "a.textContent;", 10.0)
    t.check("the focused heading is the page's", foc == "Event catalog", foc)
    # t.open of the hash already shown renders the page anew.
    wd.js("document.querySelector('#page .page').dataset.old = '1';")
    t.check("t.open of the same hash renders the page again",
            t.open("events") and
            wd.js("return !document.querySelector('#page .page').dataset.old;"))
    wd.type(wd.find("#signout"), ENTER)
    back = wd.wait("return !document.getElementById('signin').hidden &&"
                   " document.getElementById('who').hidden &&"
                   " document.getElementById('page').children.length === 0;")
    t.check("signed out: the sign-in form again, the page gone", back,
            wd.js("return document.body.innerText"))
    t.get(t.base + "/console/")
    t.check("after a reload the session is gone",
            wd.wait("return !document.getElementById('signin').hidden;"))
