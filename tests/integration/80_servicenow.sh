#!/bin/sh
# ServiceNow integrations end to end (issue 10, seed 003: "Incident and
# change management for vulnerability remediation") against the Table
# API emulator (tests/emu/servicenow.py): integrations made through POST
# /api/integrations with instance_url pointing at the emulator; one
# record per object, found by its correlation_id before anything is
# created; updates as work notes; a resolution resolves it (state,
# close_code, close_notes) with auto_resolve, else adds a work note; a
# recurrence reopens a resolved record, and opens a new one after a
# closed record (Closed is final); change_request;
# Test Connection creating and deleting a test record, or naming the
# step that failed; GET /api/integrations/:id/tickets; 429 and 5xx
# retried, 4xx failed at once; a worker killed between ServiceNow's
# create and hookpost's record of it leaves exactly one record; the
# password and token in no log line and no answer.  Workers don't depend
# on the web server, so this runs once, under lighttpd.
. "$TOP/tests/lib.sh"
# A connector's (or the workers') behaviour does not depend on the web
# server: it runs once, under lighttpd; 78_integrations_api checks the
# routes behind every server.
[ "$SERVER" = lighttpd ] || exit 0
[ "$SERVER" = lighttpd ] || exit 0

LOG=$(mktemp)
ERR=$(mktemp)
start_emu servicenow "$LOG" || fail "the ServiceNow emulator starts"
trap 'kill $EMU 2>/dev/null; rm -f "$LOG" "$ERR"' EXIT
E=http://127.0.0.1:$EMU_PORT
W="$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_DELIVERY_TIMEOUT_MS=3000 HOOKPOST_RETRY_JITTER=0"
# deliver: one run of the delivery worker; its log lines gathered in $ERR.
deliver() { $W "$TOP/bin/hookpost-deliver" -1 -n "sn-$RUN" 2>>"$ERR"; }
state() { curl -s "$E/_emu/state"; }
# emulog: the emulator's requests, one JSON object a line.
emulog() { curl -s "$E/_emu/log" | jq -c '.[]'; }
# script PREFIX ANSWER...: the emulator's next answers under PREFIX.
script() {
	_p=$1; shift
	_a=$(printf '%s\n' "$@" | jq -sc .)
	curl -s "$E/_emu/script" -d "{\"path\":\"$_p\",\"answers\":$_a}" >/dev/null
}
# account JSON: a ServiceNow account (credentials, denied operations).
account() { curl -s "$E/_sn/account" -d "$1" >/dev/null; }
# corr SUB OBJECT_KEY: the correlation_id hookpost gives the object.
corr() { printf 'hookpost-%s' "$(printf '%s\n%s' "$1" "$2" | sha256sum | cut -c1-20)"; }
hint() { printf '\342\200\246%s' "${1#"${1%????}"}"; }	# "…" + last 4
# rec TABLE CORR: the emulator's records of that correlation_id.
rec() { state | jq -c "[.records.$1[] | select(.correlation_id == \"$2\")]"; }

# api METHOD PATH [json]: an admin request whose answer must hold no
# secret of this file ($SECRETS); a leak is remembered in $LEAKS.
SECRETS= LEAKS=
leaks() {
	for _k in $SECRETS; do
		case $BODY in *"$_k"*) LEAKS="$LEAKS $1 $2;" ;; esac
	done
}
api() { admin "$@"; leaks "$1" "$2"; }
api_post() { req POST "$1" -H "Authorization: Bearer $TOKEN" -d ''; leaks POST "$1"; }

# integration NAME PREFIX EVENTS CONFIG-EXTRA [extra json]: an integration
# sending to the emulator under PREFIX; sets SN.
integration() {
	api POST /api/integrations "{\"type\":\"servicenow\",\"name\":\"$1\",\"events\":$3,\"config\":{\"instance_url\":\"$E$2\",$4}${5:+,$5}}"
	SN=$(jget .id)
}
# emit TYPE OBJECT_ID DATA: one finding-like event of owner o1.
emit() {
	psql_q "SELECT hookpost.emit('$1', '${1%%.*}', '$2', NULL, 'o1', '$3')" >/dev/null
}
# dstatus SUB [OBJECT_ID]: "status:attempts" of its deliveries, oldest first.
dstatus() {
	psql_q "SELECT string_agg(d.status || ':' || d.attempts, ' ' ORDER BY d.created_at, d.id) FROM hookpost.deliveries d JOIN hookpost.events e ON e.id = d.event_id WHERE d.subscription_id = '$1'${2:+ AND e.object_id = '$2'}"
}
# lasterr SUB OBJECT_ID: the last attempt's status code and error.
lasterr() {
	psql_q "SELECT coalesce(a.status_code::text, '-') || '|' || coalesce(a.error, '') FROM hookpost.delivery_attempts a JOIN hookpost.deliveries d ON d.id = a.delivery_id JOIN hookpost.events e ON e.id = d.event_id WHERE d.subscription_id = '$1' AND e.object_id = '$2' ORDER BY a.started_at DESC LIMIT 1"
}
due() {
	psql_q "UPDATE hookpost.deliveries SET next_attempt_at = now() WHERE subscription_id = '$1' AND status = 'pending'" >/dev/null
}
delay() {
	psql_q "SELECT trim_scale(extract(epoch FROM d.next_attempt_at - d.updated_at)) FROM hookpost.deliveries d JOIN hookpost.events e ON e.id = d.event_id WHERE d.subscription_id = '$1' AND e.object_id = '$2'"
}

admin PUT /admin/quotas/webhooks/admin '{"max_subscriptions":1000,"max_subscription_requests_per_minute":1000,"max_subscription_requests_per_day":10000,"max_events_per_minute":100000}'
case $STATUS in 200|201) ok "setup: quota" ;; *) fail "setup: quota" "$STATUS $BODY" ;; esac

USER=hookpost.integration
PASS=$(openssl rand -hex 12)
TOK=$(openssl rand -hex 24)
RPASS=$(openssl rand -hex 12)
DPASS=$(openssl rand -hex 12)
SECRETS="$PASS $TOK $RPASS $DPASS $(printf '%s:%s' "$USER" "$PASS" | base64)"
account "{\"username\":\"$USER\",\"password\":\"$PASS\"}"
account "{\"token\":\"$TOK\"}"
account "{\"username\":\"reader\",\"password\":\"$RPASS\",\"deny\":[\"create\"]}"
account "{\"username\":\"nodelete\",\"password\":\"$DPASS\",\"deny\":[\"delete\"]}"
GROUP=287ebd7da9fe198100f92cc8d1d2154e
CALLER=46c6f9efa9fe198101ddf5eed9adf6e7
BASIC="\"username\":\"$USER\",\"password\":\"$PASS\""

# --- settings ------------------------------------------------------------
api POST /api/integrations "{\"type\":\"servicenow\",\"name\":\"none $RUN\",\"events\":[\"finding.created\"],\"config\":{$BASIC}}"
expect "instance_url is required" 400 '.error.code == "invalid_field" and (.error.message | contains("instance_url"))'
api POST /api/integrations "{\"type\":\"servicenow\",\"name\":\"nocred $RUN\",\"events\":[\"finding.created\"],\"config\":{\"instance_url\":\"$E\",\"username\":\"$USER\"}}"
expect "a username without a password is refused" 400 '.error.code == "invalid_field" and (.error.message | contains("password"))'
api POST /api/integrations "{\"type\":\"servicenow\",\"name\":\"both $RUN\",\"events\":[\"finding.created\"],\"config\":{\"instance_url\":\"$E\",$BASIC,\"token\":\"$TOK\"}}"
expect "Basic and a token together are refused" 400 '.error.code == "invalid_field" and (.error.message | contains("not both"))'
api POST /api/integrations "{\"type\":\"servicenow\",\"name\":\"table $RUN\",\"events\":[\"finding.created\"],\"config\":{\"instance_url\":\"$E\",$BASIC,\"table\":\"problem\"}}"
expect "a table other than incident and change_request is refused" 400 '.error.code == "invalid_field" and (.error.message | contains("table"))'
api POST /api/integrations "{\"type\":\"servicenow\",\"name\":\"group $RUN\",\"events\":[\"finding.created\"],\"config\":{\"instance_url\":\"$E\",$BASIC,\"assignment_group\":\"Network team\"}}"
expect "assignment_group must be a sys_id" 400 '.error.code == "invalid_field" and (.error.message | contains("assignment_group"))'

integration "SN incidents $RUN" /inc '["finding.*"]' "$BASIC,\"assignment_group\":\"$GROUP\",\"caller_id\":\"$CALLER\",\"auto_resolve\":true"
expect "POST /api/integrations: a servicenow integration, its password shown as a hint" 201 \
    ".type == \"servicenow\" and .status == \"active\" and .config.password == \"$(hint "$PASS")\" and .config.username == \"$USER\" and .config.instance_url == \"$E/inc\""
SN1=$SN

# --- one record per object: create, update, resolve, recurrence -----------
F1=f1-$RUN F2=f2-$RUN
C1=$(corr "$SN1" "finding/$F1")
emit finding.created "$F1" '{"title":"SQL injection in /login","severity":"critical","asset":"api.example.com","url":"https://tw.example.com/findings/1","remediation":"Use bound parameters","compliance":["PCI DSS 6.5.1"]}'
deliver
[ "$(dstatus "$SN1" "$F1")" = "delivered:1" ] && ok "finding.created delivered in one attempt" || fail "finding.created delivered" "$(dstatus "$SN1") $(tail -3 "$ERR")"
r=$(rec incident "$C1")
printf '%s' "$r" | jq -e "length == 1 and (.[0] | .number == \"INC0010001\" and .short_description == \"SQL injection in /login on api.example.com\" and
    .urgency == \"1\" and .impact == \"1\" and .priority == \"1\" and .state == \"1\" and .assignment_group == \"$GROUP\" and .caller_id == \"$CALLER\" and
    .correlation_display == \"hookpost\" and (.description | contains(\"Severity: critical\") and contains(\"Object: finding/$F1\") and
    contains(\"Link: https://tw.example.com/findings/1\") and contains(\"Remediation: Use bound parameters\") and contains(\"Compliance: PCI DSS 6.5.1\")))" >/dev/null &&
    ok "one incident: short_description, urgency/impact 1/1 (priority 1), group, caller, correlation, description" || fail "the incident as created" "$r"
n=$(state | jq -c '.ignored_fields')
[ "$n" = "[]" ] && ok "no field ServiceNow would ignore" || fail "no ignored field" "$n"
t=$(emulog | jq -sc "[.[] | select(.path | startswith(\"/inc/\"))] | map(.method)")
[ "$t" = '["GET","POST"]' ] && ok "the search came first, then the create" || fail "search, then create" "$t"
t=$(emulog | jq -c 'select(.method == "GET" and (.path | startswith("/inc/")))' | head -1)
printf '%s' "$t" | jq -e ".headers.authorization == \"Basic $(printf '%s:%s' "$USER" "$PASS" | base64)\" and .headers.accept == \"application/json\"" >/dev/null &&
    ok "Basic auth and Accept: application/json" || fail "the request's headers" "$t"
SYS1=$(printf '%s' "$r" | jq -r '.[0].sys_id')
api GET "/api/integrations/$SN1/tickets"
expect "GET /api/integrations/:id/tickets: the record under its object" 200 \
    "[.data[] | select(.object_key == \"finding/$F1\")] | length == 1 and .[0].ref == \"INC0010001\" and .[0].ref_id == \"$SYS1\" and .[0].state == \"open\" and .[0].url == \"$E/inc/nav_to.do?uri=incident.do?sys_id=$SYS1\""
out=$(env HOOKPOST_URL="$BASE" HOOKPOST_TOKEN="$TOKEN" "$TOP/bin/hookpost" integration tickets "$SN1" 2>&1)
case $out in *"finding/$F1"*INC0010001*open*) ok "hookpost integration tickets lists it" ;; *) fail "hookpost integration tickets" "$out" ;; esac
n=$(psql_q "SELECT d.external_ref FROM hookpost.deliveries d JOIN hookpost.events e ON e.id = d.event_id WHERE d.subscription_id = '$SN1' AND e.object_id = '$F1'")
[ "$n" = INC0010001 ] && ok "deliveries.external_ref holds the number" || fail "external_ref" "$n"

emit finding.status_changed "$F1" '{"title":"SQL injection in /login","severity":"critical","status":"in_review"}'
deliver
r=$(rec incident "$C1")
printf '%s' "$r" | jq -e 'length == 1 and (.[0] | .state == "1" and (.journal | length == 1) and .journal[0].element == "work_notes" and
    (.journal[0].value | startswith("hookpost: update\nSQL injection in /login") and contains("Event: finding.status_changed")))' >/dev/null &&
    ok "an update adds a work note to the same incident" || fail "an update is a work note" "$r"
t=$(emulog | jq -sc '[.[] | select(.path | startswith("/inc/"))] | .[-2:] | map(.method + " " + .path)')
[ "$t" = "[\"GET /inc/api/now/table/incident/$SYS1\",\"PATCH /inc/api/now/table/incident/$SYS1\"]" ] &&
    ok "the recorded incident is read by its sys_id first, no search" || fail "the recorded incident read first" "$t"

# Two events of a new object in one run: one record, created then noted.
emit finding.created "$F2" '{"title":"Weak TLS","severity":"medium"}'
emit finding.status_changed "$F2" '{"title":"Weak TLS","severity":"medium","status":"confirmed"}'
deliver
C2=$(corr "$SN1" "finding/$F2")
r=$(rec incident "$C2")
printf '%s' "$r" | jq -e 'length == 1 and (.[0] | .urgency == "2" and .impact == "2" and (.journal | length == 1) and (.journal[0].value | contains("finding.status_changed")))' >/dev/null &&
    [ "$(dstatus "$SN1" "$F2")" = "delivered:1 delivered:1" ] &&
    ok "two events of one new object in one run: one incident (2/2), the second a work note" || fail "two events of one object in one run" "$r $(dstatus "$SN1" "$F2")"

emit finding.resolved "$F1" '{"title":"SQL injection in /login"}'
deliver
r=$(rec incident "$C1")
printf '%s' "$r" | jq -e "length == 1 and (.[0] | .state == \"6\" and .close_code == \"Solved (Permanently)\" and
    (.close_notes | startswith(\"Resolved by hookpost: finding.resolved for finding/$F1 at \")) and (.journal | length == 2))" >/dev/null &&
    ok "finding.resolved resolves it: state 6, close_code, close_notes" || fail "resolved" "$r"
api GET "/api/integrations/$SN1/tickets"
expect "its ticket is resolved" 200 "[.data[] | select(.object_key == \"finding/$F1\")] | .[0].state == \"resolved\" and .[0].ref == \"INC0010001\""

emit finding.created "$F1" '{"title":"SQL injection in /login (again)","severity":"high"}'
deliver
r=$(rec incident "$C1")
printf '%s' "$r" | jq -e 'length == 1 and (.[0] | .state == "2" and .reopen_count == "1" and (.journal[-1].value | startswith("hookpost: the object is back: reopened")))' >/dev/null &&
    ok "a recurrence reopens it (In Progress) with a work note" || fail "recurrence reopens" "$r"
api GET "/api/integrations/$SN1/tickets"
expect "its ticket is open again; still one per object" 200 "([.data[] | select(.object_key == \"finding/$F1\")] | .[0].state == \"open\") and ([.data[] | select(.object_key | startswith(\"finding/f\"))] | length == 2)"
n=$(state | jq '.records.incident | length')
[ "$n" = 2 ] && ok "five events of two objects: two incidents in all" || fail "two incidents in all" "$n"

# Someone closes it in ServiceNow: Closed is final (ServiceNow reopens no
# closed incident), so the next recurrence opens a new incident.
as_sn() { curl -s -u "$USER:$PASS" -H 'Content-Type: application/json' "$@"; }
as_sn -X PATCH "$E/api/now/table/incident/$SYS1" -d '{"state":"7","close_code":"Solved (Permanently)","close_notes":"Closed by the service desk"}' >/dev/null
t=$(as_sn -X PATCH "$E/api/now/table/incident/$SYS1" -d '{"state":"2"}')
printf '%s' "$t" | jq -e '.status == "failure" and .error.detail == "ACL Exception Update Failed due to security constraints"' >/dev/null &&
    ok "the emulator refuses to move a closed incident out of Closed (403), as ServiceNow does" || fail "closed is read-only in the emulator" "$t"
emit finding.status_changed "$F1" '{"title":"SQL injection in /login","severity":"high","status":"reopened"}'
deliver
r=$(rec incident "$C1")
printf '%s' "$r" | jq -e "length == 2 and (map(select(.sys_id == \"$SYS1\"))[0] | .state == \"7\" and (.journal | length == 3)) and
    (map(select(.sys_id != \"$SYS1\"))[0] | .state == \"1\" and .number == \"INC0010003\" and (.description | contains(\"follows INC0010001, which is closed\")))" >/dev/null &&
    [ "$(dstatus "$SN1" "$F1" | awk '{print $NF}')" = "delivered:1" ] &&
    ok "a recurrence after Closed: a new incident (INC0010003) naming the closed one, which is left alone" || fail "closed is final" "$r $(lasterr "$SN1" "$F1")"
api GET "/api/integrations/$SN1/tickets"
expect "the object's ticket is the new incident, open" 200 "[.data[] | select(.object_key == \"finding/$F1\")] | length == 1 and .[0].ref == \"INC0010003\" and .[0].state == \"open\""
emit finding.status_changed "$F1" '{"title":"SQL injection in /login","severity":"high","status":"confirmed"}'
deliver
r=$(rec incident "$C1")
printf '%s' "$r" | jq -e "length == 2 and (map(select(.number == \"INC0010003\"))[0] | (.journal | length == 1) and (.journal[0].value | startswith(\"hookpost: update\")))" >/dev/null &&
    ok "the next update finds the newest record (ORDERBYDESC): a work note on INC0010003" || fail "the newest record found" "$r"
emit finding.resolved "$F1" '{"title":"SQL injection in /login"}'
deliver
as_sn -X PATCH "$E/api/now/table/incident/$(printf '%s' "$r" | jq -r 'map(select(.number == "INC0010003"))[0].sys_id')" -d '{"state":"7"}' >/dev/null
emit finding.resolved "$F1" '{"title":"SQL injection in /login"}'
deliver
r=$(rec incident "$C1")
printf '%s' "$r" | jq -e 'length == 2 and (map(select(.number == "INC0010003"))[0] | .state == "7")' >/dev/null &&
    [ "$(dstatus "$SN1" "$F1" | awk '{print $NF}')" = "delivered:1" ] &&
    ok "a resolution of an object whose newest record is closed: nothing made, nothing changed" || fail "resolution after closed" "$r $(lasterr "$SN1" "$F1")"

# Someone deletes the other object's incident: its recorded sys_id answers
# 404, the search finds none, a new incident is made.
SYS2=$(rec incident "$C2" | jq -r '.[0].sys_id')
as_sn -X DELETE "$E/api/now/table/incident/$SYS2"
emit finding.status_changed "$F2" '{"title":"Weak TLS","severity":"medium","status":"reopened"}'
deliver
t=$(emulog | jq -sc '[.[] | select(.path | startswith("/inc/"))] | .[-3:] | map(.method + " " + (.status | tostring))')
r=$(rec incident "$C2")
[ "$t" = '["GET 404","GET 200","POST 201"]' ] && printf '%s' "$r" | jq -e "length == 1 and .[0].sys_id != \"$SYS2\"" >/dev/null &&
    ok "the recorded incident deleted (404): searched, none found, a new one" || fail "404 falls back to the search" "$t $r"

# A resolution of an object with no record: nothing made.
emit finding.resolved "f9-$RUN" '{"title":"never opened"}'
deliver
[ "$(dstatus "$SN1" "f9-$RUN")" = "delivered:1" ] && [ "$(state | jq '.records.incident | length')" = 3 ] &&
    ok "a resolution of an object without a record: delivered, nothing made" || fail "resolution without a record" "$(dstatus "$SN1" "f9-$RUN")"

# --- change_request, a bearer token ---------------------------------------
integration "SN changes $RUN" /chg '["finding.*"]' "\"token\":\"$TOK\",\"table\":\"change_request\",\"caller_id\":\"$CALLER\",\"auto_resolve\":true"
expect "a change_request integration with a token, shown as a hint" 201 ".config.token == \"$(hint "$TOK")\" and .config.table == \"change_request\""
SN2=$SN
CH=c1-$RUN
C3=$(corr "$SN2" "finding/$CH")
emit finding.created "$CH" '{"title":"Patch the load balancer","severity":"low"}'
deliver
r=$(rec change_request "$C3")
printf '%s' "$r" | jq -e ".[0] | .number == \"CHG0030001\" and .state == \"-5\" and .requested_by == \"$CALLER\" and .urgency == \"3\" and .impact == \"3\"" >/dev/null &&
    ok "change_request: CHG0030001 made, the caller as requested_by, 3/3" || fail "change_request created" "$r"
t=$(emulog | jq -c 'select(.path | startswith("/chg/"))' | head -1)
printf '%s' "$t" | jq -e ".headers.authorization == \"Bearer $TOK\"" >/dev/null && ok "the token as a Bearer" || fail "Bearer token" "$t"
emit finding.resolved "$CH" '{"title":"Patch the load balancer"}'
deliver
r=$(rec change_request "$C3")
printf '%s' "$r" | jq -e '.[0] | .state == "3" and .close_code == "successful" and .active == "false"' >/dev/null &&
    ok "change_request resolved: state 3 (Closed), close_code successful" || fail "change_request resolved" "$r"
emit finding.created "$CH" '{"title":"Patch the load balancer","severity":"low"}'
deliver
r=$(rec change_request "$C3")
printf '%s' "$r" | jq -e 'length == 2 and (map(select(.number == "CHG0030001"))[0] | .state == "3" and (.journal | length == 1)) and
    (map(select(.number == "CHG0030002"))[0] | .state == "-5" and (.description | contains("follows CHG0030001")))' >/dev/null &&
    ok "a closed change (final) is left alone: the recurrence opens CHG0030002" || fail "closed change, recurrence" "$r"
api GET "/api/integrations/$SN2/tickets"
expect "the change's ticket is the new one, open" 200 "[.data[] | select(.object_key == \"finding/$CH\")] | .[0].state == \"open\" and .[0].ref == \"CHG0030002\" and (.[0] as \$t | \$t.url | endswith(\"/chg/nav_to.do?uri=change_request.do?sys_id=\" + \$t.ref_id))"

# --- Test Connection -------------------------------------------------------
before=$(state | jq '.records.incident | length')
deleted=$(state | jq -c "[.deleted[] | select(.table == \"incident\")] | length")
api_post "/api/integrations/$SN1/test"
expect "POST .../test: ok, delivered" 200 '.ok == true and .outcome == "delivered" and .status_code == 204'
n=$(state | jq -c "[.deleted[] | select(.table == \"incident\")] | length - $deleted")
[ "$(state | jq '.records.incident | length')" = "$before" ] && [ "$n" = 1 ] &&
    ok "the test record was created and deleted" || fail "the test record created and deleted" "$before $n"
t=$(emulog | jq -sc '[.[] | select(.path | startswith("/inc/"))] | .[-3:] | map(.method + " " + (.status | tostring))')
[ "$t" = '["GET 200","POST 201","DELETE 204"]' ] && ok "the test read, created and deleted" || fail "the test's requests" "$t"

integration "SN wrong password $RUN" /bad '["finding.created"]' "\"username\":\"$USER\",\"password\":\"$RPASS-x\""
SNB=$SN
api_post "/api/integrations/$SNB/test"
expect "a wrong password: the test names authentication" 200 '.ok == false and .outcome == "failed" and .status_code == 401 and .error == "authentication: HTTP 401 User Not Authenticated: Required to provide Auth information"'
integration "SN reader $RUN" /ro '["finding.created"]' "\"username\":\"reader\",\"password\":\"$RPASS\""
SNR=$SN
api_post "/api/integrations/$SNR/test"
expect "no right to create: the test names permission" 200 '.ok == false and .status_code == 403 and .error == "permission: HTTP 403 Operation Failed: ACL Exception Insert Failed due to security constraints"'
integration "SN no delete $RUN" /nd '["finding.created"]' "\"username\":\"nodelete\",\"password\":\"$DPASS\""
SND=$SN
api_post "/api/integrations/$SND/test"
expect "no right to delete: the test says which record is left" 200 '.ok == false and .status_code == 403 and (.error | test("^permission: HTTP 403: the test record INC[0-9]{7} is left behind: Operation Failed: ACL Exception Delete Failed due to security constraints$"))'
script /ro/ '{"status":400,"headers":{"Content-Type":"application/json"},"body":"{\"error\":{\"message\":\"Invalid table incident\",\"detail\":\"Table incident does not exist\"},\"status\":\"failure\"}"}'
api_post "/api/integrations/$SNR/test"
expect "an unknown table: the test names the table" 200 '.ok == false and .status_code == 400 and .error == "table: HTTP 400 Invalid table incident: Table incident does not exist"'
api GET "/api/integrations/$SNB/deliveries"
expect "the failed test is in the delivery log" 200 '[.data[] | select(.event_type == "integration.test")] | length >= 1'

# --- permanent failures and retries ----------------------------------------
emit finding.created "f3-$RUN" '{"title":"Open S3 bucket","severity":"high"}'
deliver
[ "$(dstatus "$SNB" "f3-$RUN")" = "failed:1" ] && [ "$(lasterr "$SNB" "f3-$RUN")" = "401|authentication: HTTP 401 User Not Authenticated: Required to provide Auth information" ] &&
    ok "401: failed after one attempt, ServiceNow's error recorded" || fail "401 not retried" "$(dstatus "$SNB") $(lasterr "$SNB" "f3-$RUN")"
[ "$(dstatus "$SNR" "f3-$RUN")" = "failed:1" ] && [ "$(lasterr "$SNR" "f3-$RUN")" = "403|permission: HTTP 403 Operation Failed: ACL Exception Insert Failed due to security constraints" ] &&
    ok "403 on the create: failed after one attempt" || fail "403 not retried" "$(dstatus "$SNR") $(lasterr "$SNR" "f3-$RUN")"
grep -q "failed: permission: HTTP 403 Operation Failed: ACL Exception Insert Failed due to security constraints (attempt 1; not retried)" "$ERR" &&
    ok "the worker logs the 403 as not retried" || fail "the worker logs the 403" "$(tail -5 "$ERR")"

integration "SN retry $RUN" /rt '["scan.*"]' "$BASIC"
SN4=$SN
script /rt/ '{"status":429,"headers":{"Retry-After":"7","Content-Type":"application/json"},"body":"{\"error\":{\"message\":\"Rate limit exceeded\",\"detail\":\"Rate limit of 10 requests per hour for Table API exceeded\"},\"status\":\"failure\"}"}'
emit scan.failed "s1-$RUN" '{"title":"Scan failed","severity":"high"}'
deliver
[ "$(dstatus "$SN4" "s1-$RUN")" = "pending:1" ] && [ "$(delay "$SN4" "s1-$RUN")" = 7 ] &&
    [ "$(lasterr "$SN4" "s1-$RUN")" = "429|search: HTTP 429 Rate limit exceeded: Rate limit of 10 requests per hour for Table API exceeded" ] &&
    ok "429 with Retry-After: 7: retried 7 s later, ServiceNow's error recorded" || fail "429 honours Retry-After" "$(dstatus "$SN4") $(delay "$SN4" "s1-$RUN") $(lasterr "$SN4" "s1-$RUN")"
due "$SN4"
deliver
[ "$(dstatus "$SN4" "s1-$RUN")" = "delivered:2" ] && ok "and delivered on the retry" || fail "delivered after 429" "$(dstatus "$SN4")"
# The search passes, the create answers 500, then 503.
script /rt/ '{}' '{"status":500,"headers":{"Content-Type":"application/json"},"body":"{\"error\":{\"message\":\"Internal error\",\"detail\":null},\"status\":\"failure\"}"}' \
    '{}' '{"status":503,"body":""}'
emit scan.failed "s2-$RUN" '{"title":"Scan failed again","severity":"high"}'
deliver
[ "$(dstatus "$SN4" "s2-$RUN")" = "pending:1" ] && [ "$(delay "$SN4" "s2-$RUN")" = 30 ] &&
    [ "$(lasterr "$SN4" "s2-$RUN")" = "500|create: HTTP 500 Internal error" ] &&
    ok "500 on the create: retried 30 s later, the schedule's first step" || fail "500 retried" "$(dstatus "$SN4" "s2-$RUN") $(delay "$SN4" "s2-$RUN") $(lasterr "$SN4" "s2-$RUN")"
due "$SN4"
deliver
[ "$(dstatus "$SN4" "s2-$RUN")" = "pending:2" ] && [ "$(delay "$SN4" "s2-$RUN")" = 120 ] &&
    ok "then 503: retried 2 min later" || fail "503 retried" "$(dstatus "$SN4" "s2-$RUN") $(delay "$SN4" "s2-$RUN")"
due "$SN4"
deliver
C4=$(corr "$SN4" "scan/s2-$RUN")
[ "$(dstatus "$SN4" "s2-$RUN")" = "delivered:3" ] && [ "$(rec incident "$C4" | jq length)" = 1 ] &&
    ok "delivered on the third attempt, one incident" || fail "delivered after 500, 503" "$(dstatus "$SN4" "s2-$RUN") $(rec incident "$C4")"

# auto_resolve not set (default false): a resolution is a work note.
emit scan.resolved "s1-$RUN" '{"title":"Scan failed"}'
deliver
r=$(rec incident "$(corr "$SN4" "scan/s1-$RUN")")
printf '%s' "$r" | jq -e 'length == 1 and (.[0] | .state == "1" and (.close_code // "") == "" and (.journal[-1].value | startswith("hookpost: resolved at the source; not resolved here (auto_resolve is off)")))' >/dev/null &&
    ok "auto_resolve not set: a resolution adds a work note, the incident stays open" || fail "auto_resolve defaults to false" "$r $(lasterr "$SN4" "s1-$RUN")"

# A long title is cut to ServiceNow's 160 characters (the emulator
# refuses a longer short_description).
long=$(printf 'Cross-site scripting %.0s' 1 2 3 4 5 6 7 8 9 10)
emit scan.completed "s3-$RUN" "{\"title\":\"$long\",\"severity\":\"info\"}"
deliver
r=$(rec incident "$(corr "$SN4" "scan/s3-$RUN")")
printf '%s' "$r" | jq -e 'length == 1 and (.[0].short_description | length == 160 and endswith("…"))' >/dev/null &&
    ok "a 210-character title: a 160-character short_description" || fail "short_description cut" "$r $(lasterr "$SN4" "s3-$RUN")"

# --- a worker killed between the create and its record ----------------------
integration "SN crash $RUN" /crash '["sla.*"]' "$BASIC"
SN5=$SN
FC=fc-$RUN
C5=$(corr "$SN5" "sla/$FC")
# The search answers at once; the create is made, its answer held 4 s.
script /crash/ '{}' '{"delay_ms":4000}'
emit sla.breach_confirmed "$FC" '{"title":"SLA breached: RCE in upload","severity":"critical"}'
$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_DELIVERY_LEASE=2 HOOKPOST_RETRY_JITTER=0 "$TOP/bin/hookpost-deliver" -1 -n "snk-$RUN" 2>>"$ERR" &
K=$!
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
	[ "$(emulog | jq -c 'select(.method == "POST" and (.path | startswith("/crash/")))' | grep -c .)" = 1 ] && break
	sleep 0.1
done
WPID=$(pgrep -P "$K" 2>/dev/null | head -1)
kill -9 "${WPID:-$K}" 2>/dev/null
wait $K 2>/dev/null
[ "$(rec incident "$C5" | jq length)" = 1 ] && [ "$(dstatus "$SN5" "$FC")" = "sending:1" ] &&
    [ "$(psql_q "SELECT count(*) FROM hookpost.integration_tickets WHERE subscription_id = '$SN5'")" = 0 ] &&
    ok "killed after ServiceNow made the record, before hookpost recorded it" || fail "the crash left the record unrecorded" "$(rec incident "$C5") $(dstatus "$SN5" "$FC")"
sleep 2.2
$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_DELIVERY_LEASE=2 HOOKPOST_RETRY_JITTER=0 "$TOP/bin/hookpost-deliver" -1 -n "snk2-$RUN" 2>>"$ERR"
r=$(rec incident "$C5")
[ "$(printf '%s' "$r" | jq length)" = 1 ] && [ "$(dstatus "$SN5" "$FC")" = "delivered:2" ] &&
    [ "$(emulog | jq -c 'select(.method == "POST" and (.path | startswith("/crash/")))' | grep -c .)" = 1 ] &&
    ok "the retry found it by correlation_id: exactly one record, delivered" || fail "exactly one record after the crash" "$r $(dstatus "$SN5" "$FC")"
api GET "/api/integrations/$SN5/tickets"
expect "and hookpost recorded it" 200 ".data | length == 1 and .[0].object_key == \"sla/$FC\" and .[0].ref == $(printf '%s' "$r" | jq '.[0].number')"

# --- two workers (two hosts) and one object ------------------------------------
# Worker A holds the object's first event (its search answered 2.5 s
# late); worker B, another host's, runs meanwhile: it must not take the
# object's second event (sql/019), which A sends after the first.
integration "SN hosts $RUN" /hosts '["finding.*"]' "$BASIC"
SN7=$SN
FH=fh-$RUN
C7=$(corr "$SN7" "finding/$FH")
script /hosts/ '{"delay_ms":2500}'
emit finding.created "$FH" '{"title":"Open S3 bucket","severity":"high"}'
emit finding.status_changed "$FH" '{"title":"Open S3 bucket","severity":"high","status":"confirmed"}'
$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_RETRY_JITTER=0 "$TOP/bin/hookpost-deliver" -1 -n "hostA-$RUN" 2>>"$ERR" &
K=$!
sleep 1.3	# past the 1 s the claim puts the held-back event off by
$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_RETRY_JITTER=0 "$TOP/bin/hookpost-deliver" -1 -n "hostB-$RUN" 2>>"$ERR"
b=$(dstatus "$SN7" "$FH")
wait $K
r=$(rec incident "$C7")
[ "$b" = "sending:1 pending:0" ] && ok "another host's worker leaves the object's second event while the first is sent" ||
    fail "the second event waits for the first, whatever the host" "$b"
printf '%s' "$r" | jq -e 'length == 1 and (.[0].journal | length == 1)' >/dev/null &&
    [ "$(dstatus "$SN7" "$FH")" = "delivered:1 delivered:1" ] &&
    ok "two hosts, one object: one incident, the second event a work note" || fail "two hosts, one object" "$r $(dstatus "$SN7" "$FH")"

# --- the CLI, as the README shows it -------------------------------------------
# The token from the environment (never on the command line), a change
# request table, then Test Connection.
CLIOUT=$(env HOOKPOST_URL="$BASE" HOOKPOST_TOKEN="$TOKEN" SN_OAUTH_TOKEN="$TOK" "$TOP/bin/hookpost" --json \
    integration add servicenow "Remediation changes $RUN" --events 'finding.*' \
    --config instance_url="$E/cli" --config token=@env:SN_OAUTH_TOKEN --config table=change_request \
    --config auto_resolve:=true --config close_code=successful 2>&1)
SN6=$(printf '%s' "$CLIOUT" | jq -r '.id' 2>/dev/null)
printf '%s' "$CLIOUT" | jq -e ".type == \"servicenow\" and .config.token == \"$(hint "$TOK")\" and .config.table == \"change_request\" and .config.auto_resolve == true" >/dev/null &&
    ok "hookpost integration add servicenow, the token from @env" || fail "hookpost integration add servicenow" "$CLIOUT"
case $CLIOUT in *"$TOK"*) LEAKS="$LEAKS cli-add;" ;; esac
CLIOUT=$(env HOOKPOST_URL="$BASE" HOOKPOST_TOKEN="$TOKEN" "$TOP/bin/hookpost" --json integration test "$SN6" 2>&1); rc=$?
[ $rc = 0 ] && printf '%s' "$CLIOUT" | jq -e '.ok == true and .status_code == 204' >/dev/null &&
    [ "$(emulog | jq -sc '[.[] | select(.path | startswith("/cli/"))] | map(.method)')" = '["GET","POST","DELETE"]' ] &&
    ok "hookpost integration test: the test change request made and deleted" || fail "hookpost integration test" "rc=$rc $CLIOUT"
case $CLIOUT in *"$TOK"*) LEAKS="$LEAKS cli-test;" ;; esac

# --- secrets: never logged, never answered ------------------------------------
api GET "/api/integrations?type=servicenow"
api GET "/api/integrations/$SN1"
api GET "/api/integrations/$SN2"
api GET "/api/integrations/$SN1/deliveries"
api GET "/api/integrations/$SNB/deliveries"
api GET "/api/integrations/$SN1/tickets"
[ -z "$LEAKS" ] && ok "no API answer holds a password or token" || fail "no API answer holds a secret" "$LEAKS"
leak=
for k in $SECRETS; do
	grep -qF "$k" "$ERR" && leak="$leak worker"
	f=$(grep -rlF "$k" "$HOOKPOST_VAR/log" 2>/dev/null) && leak="$leak $f"
done
[ -z "$leak" ] && ok "no password or token in a log line (worker, servers, handlers, PostgreSQL)" || fail "no secret in the logs" "$leak"
n=$(psql_q "SELECT count(*) FROM hookpost.subscriptions WHERE id IN ('$SN1', '$SN2') AND config_secret_enc IS NOT NULL AND NOT config ? 'password' AND NOT config ? 'token' AND config::text NOT LIKE '%$PASS%' AND config::text NOT LIKE '%$TOK%'")
[ "$n" = 2 ] && ok "password and token sealed at rest, not in config" || fail "secrets sealed" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.delivery_attempts WHERE error LIKE '%$PASS%' OR response_body LIKE '%$PASS%' OR error LIKE '%$TOK%' OR response_body LIKE '%$TOK%'")
[ "$n" = 0 ] && ok "no secret in a recorded attempt" || fail "no secret in attempts" "$n"
