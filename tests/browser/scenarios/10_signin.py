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
    wd.type(wd.find("#signout"), ENTER)
    back = wd.wait("return !document.getElementById('signin').hidden &&"
                   " document.getElementById('who').hidden &&"
                   " document.getElementById('page').children.length === 0;")
    t.check("signed out: the sign-in form again, the page gone", back,
            wd.js("return document.body.innerText"))
    t.get(t.base + "/console/")
    t.check("after a reload the session is gone",
            wd.wait("return !document.getElementById('signin').hidden;"))
