"""Event catalog (seed 000): the built-in types listed (name,
description, built in); an admin registers a type with the stored-XSS
probe in its description and sees it listed as text, and a malformed name
refused with the API's message; the new type is offered when creating a
subscription; a user token sees the list and no register form."""

ROWS = """
return [...document.querySelectorAll('#event-types-rows tr')].map(r =>
    [...r.cells].map(c => c.textContent));
"""


def run(t):
    wd = t.wd
    if not t.signed_in():
        t.signin()
    t.open("events")
    rows = wd.js(ROWS) or []
    by_name = {r[0]: r for r in rows}
    t.check("the catalog lists the built-in types: name, description, "
            "built in", by_name.get("webhook.test", [])[:3] == [
                "webhook.test", "A test delivery to one subscription",
                "yes"] and "threat_model.created" in by_name, rows[:5])
    t.check("an admin has the register form",
            wd.js("return !!document.getElementById('event-type-create');"))
    t.shot("list")
    t.phone("event catalog")

    # A malformed name: the API's refusal, in the form.
    t.allow(400, "/api/event-types")
    t.fill("#event-type-create input[name=name]", "Not A Type")
    t.click("#event-type-create button[type=submit]")
    msg = wd.wait("return document.querySelector('#event-type-create "
                  ".form-status').textContent;")
    t.check("a malformed name is refused with the API's message",
            bool(msg) and msg.startswith("Could not register the event "
                                         "type: Field 'name' must be") and
            msg.endswith("(invalid_field)"), msg)
    t.shot("refused")

    name = "console_%s.finished" % t.run_id
    desc = "xss-%s %s" % (t.run_id, t.probe)
    t.fill("#event-type-create input[name=name]", name)
    t.fill("#event-type-create textarea[name=description]", desc)
    t.click("#event-type-create button[type=submit]")
    note = wd.wait("const n = document.querySelector('#page .notice');"
                   "return n && n.textContent;")
    t.check("registered: the page says so", note == "Registered %s." % name,
            note)
    t.must("the new type is listed", "return document.querySelector('#event-types-rows "
           "tr[data-name=\"' + arguments[0] + '\"]');", 8.0, name)
    rows = wd.js(ROWS) or []
    mine = [r for r in rows if r[0] == name]
    t.check("the new type is listed: the description as text, not built in",
            len(mine) == 1 and mine[0][1:3] == [desc, "no"] and
            mine[0][3].endswith(" UTC"), mine)
    code, v = t.api("GET", "/api/event-types?limit=1000")
    t.check("the API has it", code == 200 and any(
        e["name"] == name and e["description"] == desc for e in v["data"]),
        code)
    t.no_injection("event catalog")
    wd.js("document.querySelector('#event-types-rows tr[data-name=\"' + "
          "arguments[0] + '\"]').scrollIntoView();", name)
    t.shot("registered")

    t.open("subscriptions")
    t.check("the new type is offered when creating a subscription",
            wd.js("return !!document.querySelector('#subscription-create "
                  "input[type=checkbox][value=\"' + arguments[0] + '\"]');",
                  name))

    # A user: the list, no form.
    utoken = t.user_token("events-%s" % t.run_id)
    who = t.signin(utoken)
    t.check("a user token signs in", bool(who) and who[0] == "user", who)
    t.open("events")
    rows = wd.js(ROWS) or []
    t.check("the user sees the catalog, the new type with it, and no "
            "register form",
            any(r[0] == name and r[1] == desc for r in rows) and
            "webhook.test" in [r[0] for r in rows] and
            not wd.js("return !!document.getElementById('event-type-create');"),
            len(rows))
    t.no_injection("event catalog (user)")
    t.shot("user")
    t.signin()
