#!/bin/sh
# Jira integrations end to end (issue 10, seed 003 "Jira Integration
# Setup") against the Jira emulator (tests/emu/jira.py: the v3 and v2
# subsets of Jira Cloud and Data Center, with their auth and error
# answers): made through POST /api/integrations with url pointing at the
# emulator; the five steps (connection, the seed's mapping table, field
# mapping, Test Connection creating and deleting a test issue and naming
# the step that failed, auto-creation at a threshold); ADF (v3) and wiki
# (v2) descriptions with event text kept as text; one issue per object
# across updates (comments), resolved only with auto_resolve, reopened on
# recurrence, won't-fix left alone; GET /api/integrations/:id/tickets;
# retries and permanent failures; a worker killed between Jira creating
# an issue and hookpost recording it makes no second issue; the api_token
# and pat in no log line and no answer.  Workers don't depend on the web
# server, so this runs once, under lighttpd.
. "$TOP/tests/lib.sh"
# A connector's (or the workers') behaviour does not depend on the web
# server: it runs once, under lighttpd; 78_integrations_api checks the
# routes behind every server.
[ "$SERVER" = lighttpd ] || exit 0
[ "$SERVER" = lighttpd ] || exit 0

EMULOG=$(mktemp)
ERR=$(mktemp)
ANSWERS=$(mktemp)
start_emu jira "$EMULOG" || fail "the Jira emulator starts"
trap 'kill $EMU 2>/dev/null; rm -f "$EMULOG" "$ERR" "$ANSWERS"' EXIT
E=http://127.0.0.1:$EMU_PORT

W="$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_RETRY_JITTER=0 HOOKPOST_DELIVERY_TIMEOUT_MS=3000"
# deliver: one run of the worker; its log lines gathered in $ERR.
deliver() { $W "$TOP/bin/hookpost-deliver" -1 -n "jira-$RUN" 2>>"$ERR"; }
# api METHOD PATH [json]: an admin request whose answer is kept (to look
# for the credentials in every answer at the end).
api() { admin "$@"; printf '%s\n' "$BODY" >>"$ANSWERS"; }
api_post() { req POST "$1" -H "Authorization: Bearer $TOKEN" -d ''; printf '%s\n' "$BODY" >>"$ANSWERS"; }
# emit TYPE OBJECT_ID DATA: one finding-like event of owner o1.
emit() { psql_q "SELECT hookpost.emit('$1', '${1%%.*}', '$2', NULL, 'o1', '$3')" >/dev/null; }
state() { curl -s "$E/_emu/state"; }
# script PREFIX ANSWER...: the emulator's next answers under PREFIX.
script() {
	_p=$1; shift
	_a=$(printf '%s\n' "$@" | jq -sc .)
	curl -s "$E/_emu/script" -d "{\"path\":\"$_p\",\"answers\":$_a}" >/dev/null
}
# label SUB OBJECT_KEY: the object's label, computed here.
label() { printf 'hookpost-%s' "$(printf '%s\n%s' "$1" "$2" | sha256sum | cut -c1-20)"; }
# issues LABEL: the emulator's live issues with that label (a JSON array).
issues() { state | jq -c "[.issues[] | select(.labels | index(\"$1\"))]"; }
# dstatus SUB [OBJECT_ID]: "status:attempts" of its deliveries (Test
# Connection's aside), oldest first.
dstatus() {
	psql_q "SELECT string_agg(d.status || ':' || d.attempts, ' ' ORDER BY d.created_at, d.id) FROM hookpost.deliveries d JOIN hookpost.events e ON e.id = d.event_id WHERE d.subscription_id = '$1' AND d.event_type <> 'integration.test'${2:+ AND e.object_id = '$2'}"
}
# lasterr SUB OBJECT_ID: the error of its last attempt.
lasterr() {
	psql_q "SELECT a.error FROM hookpost.delivery_attempts a JOIN hookpost.deliveries d ON d.id = a.delivery_id JOIN hookpost.events e ON e.id = d.event_id WHERE d.subscription_id = '$1' AND e.object_id = '$2' ORDER BY a.attempt DESC, a.started_at DESC LIMIT 1"
}
due() {
	psql_q "UPDATE hookpost.deliveries SET next_attempt_at = now() WHERE subscription_id = '$1' AND status = 'pending'" >/dev/null
}
delay() {
	psql_q "SELECT trim_scale(extract(epoch FROM d.next_attempt_at - d.updated_at)) FROM hookpost.deliveries d JOIN hookpost.events e ON e.id = d.event_id WHERE d.subscription_id = '$1' AND e.object_id = '$2'"
}
# jira NAME EVENTS CONFIG [extra json]: a Jira integration; sets J.
jira() {
	api POST /api/integrations "{\"type\":\"jira\",\"name\":\"$1\",\"events\":$2,\"config\":$3${4:+,$4}}"
	J=$(jget .id)
}
# off ID...: integrations done with (emit passes them by from then on).
off() { for _i in "$@"; do api PUT "/api/integrations/$_i" '{"enabled":false}'; done; }
# As a person in Jira would: Basic auth of the Cloud user.
as_jira() { curl -s -u "$EMAIL:$TOK" -H 'Content-Type: application/json' "$@"; }

admin PUT /admin/quotas/webhooks/admin '{"max_subscriptions":1000,"max_subscription_requests_per_minute":1000,"max_subscription_requests_per_day":10000,"max_events_per_minute":100000}'
case $STATUS in 200|201) ok "setup: quota" ;; *) fail "setup: quota" "$STATUS $BODY" ;; esac

# Jira's users: a Cloud account (email, API token), a Data Center
# personal access token, and a Cloud account that may only browse.
EMAIL=bot-$RUN@acme.example
TOK=ATATT$(openssl rand -hex 16)
PAT=NjM0$(openssl rand -hex 16)
ROTOK=ATATT$(openssl rand -hex 16)
BADTOK=ATATT$(openssl rand -hex 16)
curl -s "$E/_jira/user" -d "{\"email\":\"$EMAIL\",\"api_token\":\"$TOK\"}" >/dev/null
curl -s "$E/_jira/user" -d "{\"pat\":\"$PAT\"}" >/dev/null
curl -s "$E/_jira/user" -d "{\"email\":\"ro-$EMAIL\",\"api_token\":\"$ROTOK\",\"permissions\":[\"BROWSE_PROJECTS\"]}" >/dev/null
SECRETS="$TOK $PAT $ROTOK $BADTOK"
CLOUD="\"url\":\"$E\",\"email\":\"$EMAIL\",\"api_token\":\"$TOK\""

# --- step 1: connection settings -----------------------------------------
api POST /api/integrations "{\"type\":\"jira\",\"name\":\"nokey $RUN\",\"events\":[\"finding.*\"],\"config\":{$CLOUD}}"
expect "project_key is required" 400 '.error.code == "invalid_field" and (.error.message | test("project_key"))'
api POST /api/integrations "{\"type\":\"jira\",\"name\":\"both $RUN\",\"events\":[\"finding.*\"],\"config\":{$CLOUD,\"pat\":\"$PAT\",\"project_key\":\"SEC\"}}"
expect "email+api_token and pat at once are refused" 400 '.error.code == "invalid_field" and (.error.message | test("not both"))'
api POST /api/integrations "{\"type\":\"jira\",\"name\":\"dc3 $RUN\",\"events\":[\"finding.*\"],\"config\":{\"url\":\"$E\",\"pat\":\"$PAT\",\"project_key\":\"SEC\",\"api_version\":3}}"
expect "Data Center (pat) with api_version 3 is refused" 400 '.error.message | test("version 2 only")'
api POST /api/integrations "{\"type\":\"jira\",\"name\":\"map $RUN\",\"events\":[\"finding.*\"],\"config\":{$CLOUD,\"project_key\":\"SEC\",\"mapping\":{\"urgent\":{\"issue_type\":\"Bug\"}}}}"
expect "a mapping for an unknown severity is refused" 400 '.error.message | test("urgent")'
api POST /api/integrations "{\"type\":\"jira\",\"name\":\"path $RUN\",\"events\":[\"finding.*\"],\"config\":{$CLOUD,\"project_key\":\"SEC\",\"fields\":{\"summary\":\"$.data[\"}}}"
expect "a malformed JSONPath in fields is refused" 400 '.error.message | test("fields.summary")'
api POST /api/integrations "{\"type\":\"jira\",\"name\":\"crlf $RUN\",\"events\":[\"finding.*\"],\"config\":{\"url\":\"$E\",\"pat\":\"$PAT\\r\\nX-Injected: 1\",\"project_key\":\"SEC\"}}"
expect "a pat with CR LF (a header injected) is refused, not quoted" 400 ".error.code == \"invalid_field\" and (.error.message | test(\"'pat' must be visible ASCII\")) and (tostring | contains(\"$PAT\") | not)"
api POST /api/integrations "{\"type\":\"jira\",\"name\":\"crlf2 $RUN\",\"events\":[\"finding.*\"],\"config\":{\"url\":\"$E\",\"email\":\"$EMAIL\",\"api_token\":\"$TOK\\n\",\"project_key\":\"SEC\"}}"
expect "an api_token with a LF is refused" 400 ".error.code == \"invalid_field\" and (.error.message | test(\"'api_token' must be visible ASCII\"))"

jira "Jira Cloud $RUN" '["finding.*"]' "{$CLOUD,\"project_key\":\"SEC\"}"
expect "POST /api/integrations: a jira integration, active, api_token shown as a hint" 201 \
    ".type == \"jira\" and .status == \"active\" and .config.email == \"$EMAIL\" and .config.project_key == \"SEC\" and (.config.api_token | startswith(\"…\")) and .config.url == \"$E\""
J1=$J
SUB1=$J1

# --- step 4: Test Connection ---------------------------------------------
curl -s -X POST "$E/_emu/reset" >/dev/null
curl -s "$E/_jira/user" -d "{\"email\":\"$EMAIL\",\"api_token\":\"$TOK\"}" >/dev/null
curl -s "$E/_jira/user" -d "{\"pat\":\"$PAT\"}" >/dev/null
curl -s "$E/_jira/user" -d "{\"email\":\"ro-$EMAIL\",\"api_token\":\"$ROTOK\",\"permissions\":[\"BROWSE_PROJECTS\"]}" >/dev/null
api_post "/api/integrations/$J1/test"
expect "Test Connection: ok, delivered (the test issue deleted: 204)" 200 '.ok == true and .outcome == "delivered" and .status_code == 204 and .error == null'
steps=$(curl -s "$E/_emu/log" | jq -r '[.[] | select(.path | startswith("/rest/")) | "\(.method) \(.path) \(.status)"] | join(", ")')
case $steps in
"GET /rest/api/3/myself 200, GET /rest/api/3/project/SEC 200, POST /rest/api/3/issue 201, DELETE /rest/api/3/issue/SEC-1 204")
	ok "Test Connection's steps: authentication, project, a test issue created and deleted at once" ;;
*)	fail "Test Connection's steps" "$steps" ;;
esac
st=$(state)
printf '%s' "$st" | jq -e '(.issues | length) == 0 and (.deleted | length) == 1 and .deleted[0].summary == "hookpost test message"' >/dev/null &&
    ok "no test issue is left in Jira" || fail "no test issue is left" "$st"

# These subscribe to events no other section emits.
jira "bad token $RUN" '["sync.failed"]' "{\"url\":\"$E\",\"email\":\"$EMAIL\",\"api_token\":\"$BADTOK\",\"project_key\":\"SEC\"}"
JB=$J
api_post "/api/integrations/$JB/test"
expect "a bad token fails at authentication, with Jira's words" 200 \
    '.ok == false and .outcome == "failed" and .status_code == 401 and .error == "authentication: HTTP 401: Client must be authenticated to access this resource."'
jira "no project $RUN" '["sla.breach_confirmed"]' "{$CLOUD,\"project_key\":\"NOPE\"}"
api_post "/api/integrations/$J/test"
expect "an unknown project fails at project" 200 \
    ".ok == false and .status_code == 404 and .error == \"project: HTTP 404: No project could be found with key 'NOPE'.\""
jira "ops $RUN" '["sla.breach_confirmed"]' "{$CLOUD,\"project_key\":\"OPS\"}"
api_post "/api/integrations/$J/test"
expect "a mapped issue type the project lacks fails at issue type" 200 \
    ".ok == false and .error == \"issue type: 'Bug' (severity critical) is not an issue type of project OPS (it has: Task)\""
jira "read only $RUN" '["sla.breach_confirmed"]' "{\"url\":\"$E\",\"email\":\"ro-$EMAIL\",\"api_token\":\"$ROTOK\",\"project_key\":\"SEC\"}"
api_post "/api/integrations/$J/test"
expect "no create permission fails at permission" 200 \
    '.ok == false and .status_code == 403 and .error == "permission: creating a test issue: HTTP 403: You do not have permission to create issues in this project."'
api GET "/api/integrations/$JB/deliveries"
expect "the failed test is in the delivery log, its reason recorded" 200 \
    '[.data[] | select(.status == "failed")] | length == 1'

# --- steps 2, 3, 5: mapping, fields, auto-creation (v3, ADF) ----------------
C=c-$RUN H=h-$RUN M=m-$RUN L=l-$RUN I=i-$RUN
EVIL='*bold* [x|http://evil.example] {color:red}r{color} @here <b>&amp;'
emit finding.created "$C" "{\"title\":\"SQL injection in /login\",\"severity\":\"critical\",\"asset\":\"api.example.com\",\"type\":\"sqli\",\"module\":\"auth service\",\"url\":\"https://tw.example/f/1\",\"description\":\"$EVIL\",\"evidence\":[\"GET /login?u=admin--\"],\"remediation\":\"Use bound parameters.\",\"compliance\":[\"PCI DSS 6.5.1\",\"OWASP A03\"]}"
emit finding.created "$H" '{"title":"Weak TLS","severity":"high"}'
emit finding.created "$M" '{"title":"Verbose errors","severity":"medium"}'
emit finding.created "$L" '{"title":"Missing header","severity":"low"}'
emit finding.created "$I" '{"title":"Banner","severity":"info"}'
deliver
[ "$(dstatus "$J1")" = "delivered:1 delivered:1 delivered:1 delivered:1 delivered:1" ] &&
    ok "five findings delivered" || fail "five findings delivered" "$(dstatus "$J1") $(tail -5 "$ERR")"
LC=$(label "$SUB1" "finding/$C") LH=$(label "$SUB1" "finding/$H") LM=$(label "$SUB1" "finding/$M")
LL=$(label "$SUB1" "finding/$L") LI=$(label "$SUB1" "finding/$I")
st=$(state)
printf '%s' "$st" | jq -e "
    def one(\$l): [.issues[] | select(.labels | index(\$l))] | select(length == 1) | .[0];
    (one(\"$LC\") | .issuetype == \"Bug\" and .priority == \"Highest\") and
    (one(\"$LH\") | .issuetype == \"Bug\" and .priority == \"High\") and
    (one(\"$LM\") | .issuetype == \"Task\" and .priority == \"Medium\") and
    (one(\"$LL\") | .issuetype == \"Task\" and .priority == \"Low\")" >/dev/null &&
    ok "the seed's mapping table: critical Bug/Highest, high Bug/High, medium Task/Medium, low Task/Low" ||
    fail "the seed's mapping table" "$st"
[ "$(issues "$LI")" = "[]" ] && ok "info is below the default auto_create_threshold (low): delivered, no issue" ||
    fail "info makes no issue" "$(issues "$LI")"
c=$(issues "$LC" | jq -c '.[0]')
printf '%s' "$c" | jq -e ".summary == \"SQL injection in /login on api.example.com\" and .project == \"SEC\" and .api == 3 and .deployment == \"cloud\" and
    (.labels | sort) == ([\"hookpost\", \"$LC\", \"critical\", \"sqli\", \"auth_service\"] | sort) and .components == []" >/dev/null &&
    ok "summary (title on asset), labels (hookpost, the object's, severity, type, module), no components unless configured" ||
    fail "summary and labels" "$c"
printf '%s' "$c" | jq -e '.format == "adf" and .description.type == "doc" and .description.version == 1 and
    ([.description.content[] | select(.type == "heading") | .content[0].text] == ["Details", "Evidence", "Remediation", "Compliance"]) and
    ([.description.content[] | select(.type == "bulletList")] | length == 2)' >/dev/null &&
    ok "v3: the description is ADF, with details, evidence, remediation and compliance sections" || fail "the ADF description" "$c"
printf '%s' "$c" | jq -e --arg evil "$EVIL" '[.. | objects | select(.type == "text") | .text] | index($evil) != null' >/dev/null &&
    ok "v3: event text with markup characters is a text node, as it was" || fail "event text stays text (ADF)" "$c"
printf '%s' "$c" | jq -e '[.. | objects | select(.type == "text" and (.marks // [] | map(.type) | index("link"))) | .marks[] | select(.type == "link") | .attrs.href] == ["https://tw.example/f/1"]' >/dev/null &&
    ok "v3: the finding's link is the one link" || fail "the link" "$c"
KC=$(printf '%s' "$c" | jq -r .key) IDC=$(printf '%s' "$c" | jq -r .id)
n=$(psql_q "SELECT string_agg(DISTINCT coalesce(d.external_ref, 'NULL'), ' ') FROM hookpost.deliveries d JOIN hookpost.events e ON e.id = d.event_id WHERE d.subscription_id = '$J1' AND e.object_id = '$C'")
[ "$n" = "$KC" ] && ok "deliveries.external_ref holds the issue key" || fail "external_ref is the key" "$n $KC"

api GET "/api/integrations/$J1/tickets"
expect "GET /api/integrations/:id/tickets: one ticket per object with an issue, key, id, link, open" 200 \
    "(.data | length) == 4 and ([.data[] | select(.object_key == \"finding/$C\")][0] | .ref == \"$KC\" and .ref_id == \"$IDC\" and .url == \"$E/browse/$KC\" and .state == \"open\") and
     ([.data[].object_key] | index(\"finding/$I\") == null)"

# --- one issue per object: updates are comments --------------------------------
emit finding.status_changed "$C" '{"title":"SQL injection in /login","severity":"critical","status":"in_progress","description":"Fix under review"}'
emit finding.created "$H" '{"title":"Weak TLS (seen again)","severity":"high"}'
deliver
emit finding.status_changed "$C" '{"title":"SQL injection in /login","severity":"info","status":"triaged"}'
deliver
st=$(state)
printf '%s' "$st" | jq -e "(.issues | length) == 4 and
    ([.issues[] | select(.labels | index(\"$LC\"))][0] | (.comments | length) == 2 and all(.comments[]; .format == \"adf\" and .body.type == \"doc\")) and
    ([.issues[] | select(.labels | index(\"$LH\"))][0] | (.comments | length) == 1)" >/dev/null &&
    ok "updates add comments to the object's one issue (an info update too: it has an issue)" || fail "updates are comments" "$st"
printf '%s' "$st" | jq -e "[.issues[] | select(.labels | index(\"$LC\"))][0].comments[0].body | [.. | objects | select(.type == \"text\") | .text] | index(\"Fix under review\") != null and index(\"in_progress\") != null" >/dev/null &&
    ok "a comment says what changed (status, details)" || fail "the comment's content" "$st"

# --- resolution without auto_resolve: a comment, no transition ------------------
emit finding.resolved "$C" '{"title":"SQL injection in /login","severity":"critical"}'
deliver
c=$(issues "$LC" | jq -c '.[0]')
printf '%s' "$c" | jq -e '.status == "To Do" and .resolution == null and (.comments | length) == 3' >/dev/null &&
    ok "auto_resolve off: a resolution is a comment, the issue stays open" || fail "no transition without auto_resolve" "$c"
api GET "/api/integrations/$J1/tickets"
expect "the ticket stays open" 200 "[.data[] | select(.object_key == \"finding/$C\")][0].state == \"open\""
emit finding.resolved "u-$RUN" '{"title":"Never seen","severity":"high"}'
deliver
[ "$(dstatus "$J1" "u-$RUN")" = "delivered:1" ] && [ "$(issues "$(label "$SUB1" "finding/u-$RUN")")" = "[]" ] &&
    ok "a resolution of an object without an issue: delivered, nothing made" || fail "resolution without an issue" "$(dstatus "$J1" "u-$RUN")"

# --- auto_resolve, reopen, won't fix ----------------------------------------
off "$J1"
jira "Jira auto $RUN" '["finding.*"]' "{$CLOUD,\"project_key\":\"SEC\",\"auto_resolve\":true}"
J2=$J
R=r-$RUN WF=w-$RUN
LR=$(label "$J2" "finding/$R") LW=$(label "$J2" "finding/$WF")
emit finding.created "$R" '{"title":"Open redirect","severity":"high"}'
emit finding.created "$WF" '{"title":"Clickjacking","severity":"medium"}'
deliver
emit finding.resolved "$R" '{"title":"Open redirect","severity":"high"}'
deliver
r=$(issues "$LR")
printf '%s' "$r" | jq -e 'length == 1 and .[0].status == "Done" and .[0].resolution == "Done" and (.[0].comments | length) == 1 and
    ([.[0].comments[0].body | .. | objects | select(.type == "text") | .text] | index("Resolved") != null)' >/dev/null &&
    ok "auto_resolve: the resolution transitions the issue (Done) and says so in a comment" || fail "auto_resolve" "$r"
api GET "/api/integrations/$J2/tickets"
expect "the ticket is resolved" 200 "[.data[] | select(.object_key == \"finding/$R\")][0].state == \"resolved\""
emit finding.created "$R" '{"title":"Open redirect (again)","severity":"high"}'
deliver
r=$(issues "$LR")
printf '%s' "$r" | jq -e 'length == 1 and .[0].status == "To Do" and .[0].resolution == null and (.[0].comments | length) == 2 and
    ([.[0].comments[1].body | .. | objects | select(.type == "text") | .text] | index("Reopened: it recurred") != null)' >/dev/null &&
    ok "a recurrence reopens the issue (Reopen) with a comment, no second issue" || fail "reopen" "$r"
api GET "/api/integrations/$J2/tickets"
expect "the ticket is open again" 200 "[.data[] | select(.object_key == \"finding/$R\")][0].state == \"open\""
# Someone closes the other one in Jira as Won't Fix.
KW=$(issues "$LW" | jq -r '.[0].key')
as_jira "$E/rest/api/3/issue/$KW/transitions" -d '{"transition":{"id":"31"},"fields":{"resolution":{"name":"Won'"'"'t Fix"}}}'
emit finding.created "$WF" '{"title":"Clickjacking (again)","severity":"medium"}'
deliver
w=$(issues "$LW")
printf '%s' "$w" | jq -e 'length == 1 and .[0].status == "Done" and .[0].resolution == "Won'"'"'t Fix" and (.[0].comments | length) == 0' >/dev/null &&
    [ "$(dstatus "$J2" "$WF")" = "delivered:1 delivered:1" ] &&
    ok "won't fix: a recurrence leaves the issue alone (no reopen, no comment), delivered" || fail "won't fix left alone" "$w $(dstatus "$J2" "$WF")"
api GET "/api/integrations/$J2/tickets"
expect "the won't-fix ticket is recorded resolved" 200 "[.data[] | select(.object_key == \"finding/$WF\")][0] | .state == \"resolved\" and .ref == \"$KW\""

# --- v2: wiki markup, Data Center (pat) ------------------------------------------
off "$J2"
jira "Jira DC $RUN" '["finding.*"]' "{\"url\":\"$E/jira\",\"pat\":\"$PAT\",\"project_key\":\"SEC\",\"auto_create_threshold\":\"medium\",\"fields\":{\"components\":[\"Backend\",\"\$.data.component\"]}}"
J3=$J
D1=d1-$RUN D2=d2-$RUN
LD=$(label "$J3" "finding/$D1")
curl -s -X POST "$E/_emu/reset" >/dev/null
curl -s "$E/_jira/user" -d "{\"email\":\"$EMAIL\",\"api_token\":\"$TOK\"}" >/dev/null
curl -s "$E/_jira/user" -d "{\"pat\":\"$PAT\"}" >/dev/null
emit finding.created "$D1" "{\"title\":\"XSS in search\",\"severity\":\"high\",\"component\":\"API\",\"description\":\"$EVIL\nh1. not a heading\"}"
emit finding.created "$D2" '{"title":"Cookie flag","severity":"low"}'
deliver
d=$(issues "$LD" | jq -c '.[0]')
printf '%s' "$d" | jq -e '.deployment == "dc" and .api == 2 and .format == "wiki" and (.description | type) == "string" and .components == ["Backend", "API"]' >/dev/null &&
    ok "v2 on Data Center (Bearer pat): a wiki description, components from names and JSONPath" || fail "v2 description" "$d"
printf '%s' "$d" | jq -e '.description | contains("\\*bold\\* \\[x\\|http&#58;//evil.example\\] \\{color&#58;red\\}r\\{color\\} \\@here <b>&amp;\n&#104;1. not a heading") and (contains("http://evil") | not) and contains("h3. Details\n")' >/dev/null &&
    ok "v2: event text escaped for wiki markup (a URL in it loses its colon: never a link), our own headings markup" || fail "wiki escaping" "$d"
searches=$(curl -s "$E/_emu/log" | jq -r '[.[] | select(.path | test("/search")) | .path] | unique | join(" ")')
[ "$searches" = "/jira/rest/api/2/search" ] && ok "Data Center searches /rest/api/2/search (under its context path)" || fail "the Data Center search" "$searches"
[ "$(issues "$(label "$J3" "finding/$D2")")" = "[]" ] && [ "$(dstatus "$J3" "$D2")" = "delivered:1" ] &&
    ok "auto_create_threshold medium: a low finding makes no issue" || fail "the threshold" "$(dstatus "$J3" "$D2")"
emit finding.status_changed "$D1" '{"title":"XSS in search","severity":"high","status":"in_progress"}'
deliver
issues "$LD" | jq -e '.[0].comments | length == 1 and .[0].format == "wiki" and (.[0].body | contains("*Status:* in\\_progress"))' >/dev/null &&
    ok "v2: comments are wiki strings" || fail "v2 comment" "$(issues "$LD")"
api GET "/api/integrations/$J3/tickets"
expect "the Data Center ticket's link is under its context path" 200 \
    "[.data[] | select(.object_key == \"finding/$D1\")][0].url == \"$E/jira/browse/$(issues "$LD" | jq -r '.[0].key')\""
off "$J3"
jira "Jira Cloud v2 $RUN" '["finding.*"]' "{$CLOUD,\"project_key\":\"SEC\",\"api_version\":2}"
J4=$J
emit finding.created "v2-$RUN" '{"title":"Old TLS","severity":"high"}'
deliver
v=$(issues "$(label "$J4" "finding/v2-$RUN")")
s=$(curl -s "$E/_emu/log" | jq -r '[.[] | select(.path | test("/search")) | .path] | unique | join(" ")')
printf '%s' "$v" | jq -e 'length == 1 and .[0].deployment == "cloud" and .[0].format == "wiki"' >/dev/null &&
    [ "$s" = "/jira/rest/api/2/search /rest/api/2/search/jql" ] &&
    ok "api_version 2 on Cloud: wiki text, enhanced search /rest/api/2/search/jql" || fail "v2 on Cloud" "$v $s"

# --- retries and permanent failures -----------------------------------------------
off "$J4"
jira "Jira retry $RUN" '["finding.*"]' "{\"url\":\"$E/jx\",\"email\":\"$EMAIL\",\"api_token\":\"$TOK\",\"project_key\":\"SEC\"}"
JX=$J
script /jx/rest/api/3/search '{"status":429,"headers":{"Retry-After":"7","Content-Type":"application/json"},"body":""}'
emit finding.created "x1-$RUN" '{"title":"Rate limited","severity":"high"}'
deliver
[ "$(dstatus "$JX" "x1-$RUN")" = "pending:1" ] && [ "$(delay "$JX" "x1-$RUN")" = 7 ] && [ "$(lasterr "$JX" "x1-$RUN")" = "search: HTTP 429" ] &&
    ok "429 with Retry-After: 7: retried 7 s later, the step named" || fail "429 honours Retry-After" "$(dstatus "$JX" "x1-$RUN") $(delay "$JX" "x1-$RUN") $(lasterr "$JX" "x1-$RUN")"
due "$JX"
deliver
[ "$(dstatus "$JX" "x1-$RUN")" = "delivered:2" ] && [ "$(issues "$(label "$JX" "finding/x1-$RUN")" | jq length)" = 1 ] &&
    ok "then delivered: one issue" || fail "429, then delivered" "$(dstatus "$JX" "x1-$RUN")"
script /jx/rest/api/3/issue '{"status":500,"headers":{"Content-Type":"application/json"},"body":"{\"errorMessages\":[\"Internal server error\"],\"errors\":{}}"}'
emit finding.created "x2-$RUN" '{"title":"Server error","severity":"high"}'
deliver
[ "$(dstatus "$JX" "x2-$RUN")" = "pending:1" ] && [ "$(delay "$JX" "x2-$RUN")" = 60 ] &&
    [ "$(lasterr "$JX" "x2-$RUN")" = "create: HTTP 500: Internal server error" ] &&
    ok "500 on create (Jira may have made it): retried 60 s later, not the schedule's 30 (search must see it), Jira's words recorded" || fail "500 retried" "$(dstatus "$JX" "x2-$RUN") $(delay "$JX" "x2-$RUN") $(lasterr "$JX" "x2-$RUN")"
due "$JX"
deliver
[ "$(dstatus "$JX" "x2-$RUN")" = "delivered:2" ] && [ "$(issues "$(label "$JX" "finding/x2-$RUN")" | jq length)" = 1 ] &&
    ok "then delivered: one issue" || fail "500, then delivered" "$(dstatus "$JX" "x2-$RUN")"
# The worker starts an attempt's next request only when it can end
# within the lease: here (a lease of 2 s, the search answered after 1.6 s)
# not.
script /jx/rest/api/3/search '{"delay_ms":1600}'
emit finding.created "x5-$RUN" '{"title":"Short lease","severity":"high"}'
$W HOOKPOST_DELIVERY_LEASE=2 "$TOP/bin/hookpost-deliver" -1 -n "jira-$RUN" 2>>"$ERR"
[ "$(dstatus "$JX" "x5-$RUN")" = "pending:1" ] && [ "$(lasterr "$JX" "x5-$RUN")" = "the lease would end before the attempt's next request" ] &&
    [ "$(issues "$(label "$JX" "finding/x5-$RUN")" | jq length)" = 0 ] &&
    ok "an attempt whose next request could outlive its lease stops after the search, retried" ||
    fail "the lease bounds an attempt" "$(dstatus "$JX" "x5-$RUN") $(lasterr "$JX" "x5-$RUN")"
due "$JX"
deliver
[ "$(dstatus "$JX" "x5-$RUN")" = "delivered:2" ] && [ "$(issues "$(label "$JX" "finding/x5-$RUN")" | jq length)" = 1 ] &&
    ok "then delivered with the usual lease: one issue" || fail "delivered after a short lease" "$(dstatus "$JX" "x5-$RUN")"
off "$JX"
jira "Jira bad priority $RUN" '["finding.*"]' "{$CLOUD,\"project_key\":\"SEC\",\"mapping\":{\"critical\":{\"priority\":\"P0\"}}}"
JV=$J
emit finding.created "x3-$RUN" '{"title":"Bad mapping","severity":"critical"}'
deliver
[ "$(dstatus "$JV" "x3-$RUN")" = "failed:1" ] &&
    [ "$(lasterr "$JV" "x3-$RUN")" = "create: HTTP 400: priority: The priority selected is invalid." ] &&
    ok "400 (Jira refuses a field): failed for good, Jira's errors in the reason" || fail "400 not retried" "$(dstatus "$JV" "x3-$RUN") $(lasterr "$JV" "x3-$RUN")"
off "$JV"
emit sync.failed "x4-$RUN" '{"title":"Bad token","severity":"critical"}'
deliver
[ "$(dstatus "$JB" "x4-$RUN")" = "failed:1" ] &&
    [ "$(lasterr "$JB" "x4-$RUN")" = "search: HTTP 401: Client must be authenticated to access this resource." ] &&
    ok "401: failed for good at the search" || fail "401 not retried" "$(dstatus "$JB" "x4-$RUN") $(lasterr "$JB" "x4-$RUN")"
grep -q "failed: create: HTTP 400: priority: .*(attempt 1; not retried)" "$ERR" &&
    ok "the worker logs the refusal as not retried" || fail "the worker's log line" "$(tail -5 "$ERR")"
# Everything else is done: nothing pending from here on but the crash test's.
off "$JB"
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries d JOIN hookpost.subscriptions s ON s.id = d.subscription_id WHERE s.type = 'jira' AND d.status NOT IN ('delivered', 'failed')")
[ "$n" = 0 ] || fail "nothing left pending before the crash test" "$n"

# --- Jira Cloud's search is eventually consistent: the recorded issue is read ---
# The emulator hides a new issue from search for 30 s (as Jira Cloud's
# index may, "from a few seconds to minutes"); an update 1 s after the
# create must reach that issue, read by its recorded id, not make another.
jira "Jira eventual $RUN" '["finding.*"]' "{\"url\":\"$E/ec\",\"email\":\"$EMAIL\",\"api_token\":\"$TOK\",\"project_key\":\"SEC\"}"
JE=$J
EC=ec-$RUN
LE=$(label "$JE" "finding/$EC")
curl -s "$E/_jira/consistency" -d '{"search_delay_s":30}' >/dev/null
emit finding.created "$EC" '{"title":"Eventually consistent","severity":"high"}'
deliver
n=$(as_jira -G "$E/rest/api/3/search/jql" --data-urlencode "jql=labels = \"$LE\"" | jq '.issues | length')
[ "$(issues "$LE" | jq length)" = 1 ] && [ "$n" = 0 ] &&
    ok "the emulator's eventual mode: the new issue exists, and search does not see it yet" || fail "the eventual mode" "$(issues "$LE") search: $n"
sleep 1
emit finding.status_changed "$EC" '{"title":"Eventually consistent","severity":"high","status":"confirmed"}'
deliver
e=$(issues "$LE")
ID=$(printf '%s' "$e" | jq -r '.[0].id')
steps=$(curl -s "$E/_emu/log" | jq -r '[.[] | select(.path | startswith("/ec/")) | "\(.method) \(.path)"] | join(", ")')
[ "$(printf '%s' "$e" | jq 'length')" = 1 ] && [ "$(printf '%s' "$e" | jq '.[0].comments | length')" = 1 ] &&
    [ "$(dstatus "$JE" "$EC")" = "delivered:1 delivered:1" ] &&
    ok "an update 1 s after the create: still one issue, commented on" || fail "one issue though search lags" "$e $(dstatus "$JE" "$EC")"
[ "$steps" = "GET /ec/rest/api/3/search/jql, POST /ec/rest/api/3/issue, GET /ec/rest/api/3/issue/$ID, POST /ec/rest/api/3/issue/$(printf '%s' "$e" | jq -r '.[0].key')/comment" ] &&
    ok "the second attempt read the recorded issue (GET /issue/<id>), no search" || fail "the recorded issue read first" "$steps"
# Deleted in Jira: the recorded issue answers 404, the search decides.
as_jira -X DELETE "$E/rest/api/3/issue/$ID"
curl -s "$E/_jira/consistency" -d '{"search_delay_s":0}' >/dev/null
emit finding.status_changed "$EC" '{"title":"Eventually consistent","severity":"high","status":"reopened"}'
deliver
e=$(issues "$LE")
steps=$(curl -s "$E/_emu/log" | jq -r '[.[] | select(.path | startswith("/ec/")) | "\(.method) \(.status)"] | .[4:] | join(", ")')
[ "$(printf '%s' "$e" | jq 'length')" = 1 ] && [ "$(printf '%s' "$e" | jq -r '.[0].id')" != "$ID" ] &&
    [ "$steps" = "GET 404, GET 200, POST 201" ] &&
    ok "the recorded issue deleted (404): searched, none found, a new issue" || fail "404 falls back to the search" "$e $steps"
api GET "/api/integrations/$JE/tickets"
expect "the object's ticket is the new issue" 200 "[.data[] | select(.object_key == \"finding/$EC\")] | length == 1 and .[0].ref_id == \"$(printf '%s' "$e" | jq -r '.[0].id')\""
off "$JE"

# --- a crash between Jira's create and hookpost's record ---------------------------
jira "Jira crash $RUN" '["finding.*"]' "{$CLOUD,\"project_key\":\"SEC\"}"
JC=$J
K=k-$RUN
LK=$(label "$JC" "finding/$K")
# Jira creates the issue, then its answer is held back 4 s: the worker,
# killed meanwhile, never records it.
script /rest/api/3/issue '{"delay_ms":4000}'
emit finding.created "$K" '{"title":"Crash test","severity":"critical"}'
# A lease of 5 s, so that the retry comes soon (an attempt's further
# requests end within the lease: 2 s each here).
$W HOOKPOST_DELIVERY_LEASE=5 HOOKPOST_DELIVERY_TIMEOUT_MS=2000 "$TOP/bin/hookpost-deliver" -1 -n "jira-crash-$RUN" 2>>"$ERR" &
WPID=$!
for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	[ "$(issues "$LK" | jq length)" = 1 ] && break
	sleep 0.1
done
kill -9 $(pgrep -P "$WPID") "$WPID" 2>/dev/null
wait "$WPID" 2>/dev/null
[ "$(issues "$LK" | jq length)" = 1 ] && ok "Jira made the issue; the worker was killed before its answer" ||
    fail "the create reached Jira before the kill" "$(issues "$LK")"
n=$(psql_q "SELECT d.status || ':' || coalesce(d.external_ref, 'NULL') FROM hookpost.deliveries d JOIN hookpost.events e ON e.id = d.event_id WHERE d.subscription_id = '$JC' AND e.object_id = '$K'")
[ "$n" = "sending:NULL" ] && ok "hookpost recorded nothing (the delivery still leased)" || fail "nothing recorded" "$n"
sleep 5	# the lease ends
$W "$TOP/bin/hookpost-deliver" -1 -n "jira-crash-$RUN" 2>>"$ERR"
k=$(issues "$LK")
[ "$(printf '%s' "$k" | jq length)" = 1 ] && [ "$(dstatus "$JC" "$K")" = "delivered:2" ] &&
    ok "the retry found the issue by its label: exactly one issue, the delivery delivered" || fail "exactly one issue after the crash" "$k $(dstatus "$JC" "$K")"
printf '%s' "$k" | jq -e '.[0].comments | length == 1' >/dev/null && ok "the retry commented instead of creating" || fail "the retry commented" "$k"
api GET "/api/integrations/$JC/tickets"
expect "the ticket is recorded under the object" 200 "[.data[] | select(.object_key == \"finding/$K\")][0].ref == \"$(printf '%s' "$k" | jq -r '.[0].key')\""

# --- the README's Jira walkthrough, against the emulator ---------------------------
off "$JC"
curl -s -X POST "$E/_emu/reset" >/dev/null
curl -s "$E/_jira/user" -d "{\"email\":\"$EMAIL\",\"api_token\":\"$TOK\"}" >/dev/null
curl -s "$E/_jira/user" -d "{\"pat\":\"$PAT\"}" >/dev/null
export JIRA_URL="$E" JIRA_EMAIL="$EMAIL" JIRA_API_TOKEN="$TOK" JIRA_DC_URL="$E/jira" JIRA_PAT="$PAT"
readme_walkthrough walkthrough-jira "Jira walkthrough" 20 \
    "{\"type\":\"jira\",\"name\":\"Security findings\",\"config\":{\"email\":\"$EMAIL\",\"api_token\":\"…${TOK#"${TOK%????}"}\",\"project_key\":\"SEC\"}}" \
    '{"ok":true,"outcome":"delivered","error":null}' \
    "{\"object_key\":\"finding/F-2001\",\"ref\":\"SEC-2\",\"url\":\"$E/browse/SEC-2\",\"state\":\"resolved\"}" \
    "{\"type\":\"jira\",\"config\":{\"pat\":\"…${PAT#"${PAT%????}"}\",\"api_version\":null}}" \
    'outcome' 'delivered' 'Platform (Data Center)'
st=$(state)
printf '%s' "$st" | jq -e '(.deleted | length) == 2 and (.deleted | map(.deployment) | sort) == ["cloud", "dc"] and
    (.issues | length) == 1 and .issues[0].status == "Done" and (.issues[0].comments | length) == 1' >/dev/null &&
    ok "the walkthrough's test issues deleted (Cloud and Data Center), its finding's issue opened and resolved" || fail "the walkthrough in Jira" "$st"
api GET "/api/integrations?type=jira"
expect "the walkthrough's Data Center integration, made by the CLI" 200 \
    "[.data[] | select(.name == \"Platform (Data Center)\")][0].config | (.pat | startswith(\"…\")) and .project_key == \"SEC\" and .auto_create_threshold == \"high\" and .fields.components == [\"Backend\", \"\$.data.component\"]"

# --- the api_token and pat: never logged, never answered ----------------------------
api GET "/api/integrations?type=jira"
api GET "/api/integrations/$J3"
api GET "/api/integrations/$JB/deliveries"
leak=
for s in $SECRETS; do
	grep -qF "$s" "$ANSWERS" && leak="$leak answer"
	grep -qF "$s" "$ERR" && leak="$leak worker"
	f=$(grep -rlF "$s" "$HOOKPOST_VAR/log" 2>/dev/null) && leak="$leak $f"
	n=$(psql_q "SELECT count(*) FROM hookpost.delivery_attempts WHERE error LIKE '%$s%' OR response_body LIKE '%$s%'")
	[ "$n" = 0 ] || leak="$leak attempts"
done
[ -z "$leak" ] && ok "no api_token or pat in an API answer, a log line or an attempt" || fail "credentials leak" "$leak"
n=$(psql_q "SELECT count(*) FROM hookpost.subscriptions WHERE type = 'jira' AND config_secret_enc IS NOT NULL AND NOT (config ? 'api_token') AND NOT (config ? 'pat') AND config::text NOT LIKE '%$TOK%' AND config_hints::text NOT LIKE '%$TOK%'")
m=$(psql_q "SELECT count(*) FROM hookpost.subscriptions WHERE type = 'jira'")
[ "$n" = "$m" ] && ok "api_token and pat sealed at rest, hints only" || fail "credentials sealed" "$n of $m"
