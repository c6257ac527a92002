#!/bin/sh
# The console (issue 11): /console/ served as static files with a strict
# CSP, nosniff and real types (under lighttpd, Apache and shared hosting's
# .htaccess); /admin/integrations opens its integrations page; then the
# browser scenarios of tests/browser/scenarios in headless Chromium
# through chromedriver (tests/browser/webdriver.py): all of them under
# lighttpd, the sign-in and the tour of every page under the others.  Any
# browser console error or failed request fails a scenario.  Screenshots
# in $HOOKPOST_VAR/screenshots/<server>/.
. "$TOP/tests/lib.sh"

CSP="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
hdr() { printf '%s\n' "$HDRS" | tr -d '\r' | sed -n "s/^$1: //Ip" | head -n 1; }

# --- the static files ----------------------------------------------------------
req GET /console/
if [ "$STATUS" = 200 ] && [ "$(hdr Content-Type)" = "text/html; charset=utf-8" ]; then
	ok "GET /console/ serves index.html as text/html"
else
	fail "GET /console/ serves index.html as text/html" "$STATUS $(hdr Content-Type)"
fi
[ "$(hdr Content-Security-Policy)" = "$CSP" ] && ok "/console/ has the strict CSP" ||
    fail "/console/ has the strict CSP" "$(hdr Content-Security-Policy)"
[ "$(hdr X-Content-Type-Options)" = nosniff ] && ok "/console/ has nosniff" ||
    fail "/console/ has nosniff" "$HDRS"
case $BODY in
*'<script type="module" src="console.js"></script>'*) ok "index.html loads console.js as a module" ;;
*) fail "index.html loads console.js as a module" "$BODY" ;;
esac
# No inline script, style or handler anywhere in the console's files.
if grep -Eiq '<script>|<script [^>]*>[^<]|<style|style=| on[a-z]+=' "$TOP"/console/*.html; then
	fail "no inline script, style or handler in console/*.html"
else
	ok "no inline script, style or handler in console/*.html"
fi
# The console's own code (vendored libraries under console/vendor are
# npm's, pinned): no HTML insertion, evaluation or browser storage.
JS=$(find "$TOP/console" -name '*.js' -not -path '*/vendor/*')
PAT='innerHTML|outerHTML|insertAdjacentHTML|document\.write|localStorage|sessionStorage|eval\(|new Function'
if grep -Eq "$PAT" $JS; then
	fail "console JS never inserts HTML, evaluates or stores" "$(grep -En "$PAT" $JS)"
else
	ok "console JS never inserts HTML, evaluates or stores ($(echo $JS | wc -w) files)"
fi
req GET /console/pages/integrations.js
[ "$STATUS" = 200 ] && [ "$(hdr Content-Type)" = "text/javascript; charset=utf-8" ] &&
    ok "a page module (pages/integrations.js) is served as text/javascript" ||
    fail "a page module (pages/integrations.js) is served as text/javascript" "$STATUS $(hdr Content-Type)"
req GET /console/console.js
[ "$STATUS" = 200 ] && [ "$(hdr Content-Type)" = "text/javascript; charset=utf-8" ] &&
    [ "$(hdr X-Content-Type-Options)" = nosniff ] &&
    ok "console.js is text/javascript with nosniff" ||
    fail "console.js is text/javascript with nosniff" "$STATUS $(hdr Content-Type)"
req GET /console/console.css
[ "$STATUS" = 200 ] && [ "$(hdr Content-Type)" = "text/css; charset=utf-8" ] &&
    ok "console.css is text/css" || fail "console.css is text/css" "$STATUS $(hdr Content-Type)"
req GET /console
case $STATUS in
301|302|308) case $(hdr Location) in
	*/console/) ok "/console redirects to /console/" ;;
	*) fail "/console redirects to /console/" "$(hdr Location)" ;;
	esac ;;
*) fail "/console redirects to /console/" "$STATUS" ;;
esac
req GET /console/nothing-here.js
expect_status "a missing console file is a 404" 404
req GET /console/pages/
case $STATUS in
403|404) ok "no directory listing under /console/ ($STATUS)" ;;
*) fail "no directory listing under /console/" "$STATUS $BODY" ;;
esac
# /admin/integrations opens the console's page, taken before the outbound
# group (which answers the rest of /admin/, as the next request shows).
req GET /admin/integrations
case $STATUS in
302) case $(hdr Location) in
	/console/#/integrations|http://*/console/#/integrations)
		ok "/admin/integrations redirects to /console/#/integrations" ;;
	*) fail "/admin/integrations redirects to /console/#/integrations" "$(hdr Location)" ;;
	esac ;;
*) fail "/admin/integrations redirects to /console/#/integrations" "$STATUS $BODY" ;;
esac
req GET /admin/webhooks/subscriptions
expect "the rest of /admin/ is still the outbound group's (JSON 401)" 401 '.error.code == "unauthorized"'

# --- the browser ---------------------------------------------------------------
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ]; then
	fail "chromium and chromium-driver are installed (make deps)"
	exit 0
fi
SHOTS=$HOOKPOST_VAR/screenshots/$SERVER
rm -rf "$SHOTS"
# CHECK_BROWSER="sources triggers" runs only those scenarios.
OUT=$(printf '%s\n' "$TOKEN" | timeout 600 /usr/bin/python3 \
    "$TOP/tests/browser/webdriver.py" "$BASE" "$SHOTS" "$SERVER" \
    ${CHECK_BROWSER:-} 2>&1)
rc=$?
printf '%s\n' "$OUT" | while IFS= read -r line; do
	case $line in
	"ok "*) ok "browser: ${line#ok }" ;;
	"not ok "*) fail "browser: ${line#not ok }" ;;
	*) printf '#   %s\n' "$line" ;;
	esac
done
# Every selected scenario ran to its end (the runner's last line) and
# the runner said all went well: a crash, a timeout or a scenario that
# raised fails here even when no "not ok" line came out.
last=$(printf '%s\n' "$OUT" | grep -E '^(ok|not ok) ' | tail -n 1)
case $last in
"ok all "*" scenarios ran") ;;
*) fail "browser: the runner's last line is 'ok all N scenarios ran'" "rc $rc: $last" ;;
esac
[ "$rc" = 0 ] && ok "browser: the runner exited 0" ||
    fail "browser: the runner exited 0" "rc $rc"
# Five at least for the whole run; one at least when CHECK_BROWSER chose.
n=$(ls "$SHOTS"/*.png 2>/dev/null | wc -l)
[ "$n" -ge "$([ -n "${CHECK_BROWSER:-}" ] && echo 1 || echo 5)" ] &&
    ok "a screenshot of each page ($n in $SHOTS)" ||
    fail "a screenshot of each page" "$n in $SHOTS"

