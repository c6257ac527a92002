"""Every page of the navigation, as the admin: it loads (data-ready),
shows its heading and no error, at laptop width and at phone width (no
sideways scroll of the page itself); a screenshot of each."""

ALL_SERVERS = True


def run(t):
    wd = t.wd
    if not t.signed_in():
        t.get(t.base + "/console/")
        t.signin()
    pages = wd.js("return [...document.querySelectorAll('#nav-links a')]"
                  ".map(a => [a.dataset.page, a.textContent]);")
    t.check("the tour: the navigation has pages", len(pages) >= 8, pages)
    for width, label in ((1280, "laptop"), (390, "phone")):
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
