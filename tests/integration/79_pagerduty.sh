#!/bin/sh
# PagerDuty integrations end to end (issue 9, seed 003: "On-call
# escalation for critical vulnerability discoveries") against the Events
# API v2 emulator (tests/emu/pagerduty.py): created through POST
# /api/integrations with events_url pointing at the emulator; one
# incident per finding, its events grouped under one dedup_key and
# resolved by finding.resolved; the dedup_key kept as the delivery's
# external_ref; severity_threshold; 400 not retried, 429 and 5xx retried
# on the integration's schedule (30 s first) or after Retry-After; the
# API's Test Connection leaves no incident open; the routing key never in
# a log line nor in an API answer.  Workers don't depend on the web
# server, so this runs once, under lighttpd.
. "$TOP/tests/lib.sh"
# A connector's (or the workers') behaviour does not depend on the web
# server: it runs once, under lighttpd; 78_integrations_api checks the
# routes behind every server.
[ "$SERVER" = lighttpd ] || exit 0
[ "$SERVER" = lighttpd ] || exit 0

LOG=$(mktemp)
ERR=$(mktemp)
start_emu pagerduty "$LOG" || fail "the PagerDuty emulator starts"
trap 'kill $EMU 2>/dev/null; rm -f "$LOG" "$ERR"' EXIT
E=http://127.0.0.1:$EMU_PORT
W="$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_DELIVERY_TIMEOUT_MS=3000 HOOKPOST_RETRY_JITTER=0"
# deliver: one run of the delivery worker; its log lines gathered in $ERR.
deliver() { $W "$TOP/bin/hookpost-deliver" -1 -n "pd-$RUN" 2>>"$ERR"; }
state() { curl -s "$E/_emu/state"; }
# emulog PATH: the emulator's requests to PATH, one JSON object a line.
emulog() { curl -s "$E/_emu/log" | jq -c ".[] | select(.path == \"$1\")"; }
# script PREFIX ANSWER...: the emulator's next answers under PREFIX.
script() {
	_p=$1; shift
	_a=$(printf '%s\n' "$@" | jq -sc .)
	curl -s "$E/_emu/script" -d "{\"path\":\"$_p\",\"answers\":$_a}" >/dev/null
}
# An integration key as PagerDuty makes them: 32 hex digits.
newkey() { openssl rand -hex 16; }
hint() { printf '\342\200\246%s' "${1#"${1%????}"}"; }	# "…" + last 4

# api METHOD PATH [json]: an admin request whose answer must hold no
# routing key of this file ($KEYS); a leak is remembered in $LEAKS.
KEYS= LEAKS=
leaks() {
	for _k in $KEYS; do
		case $BODY in *"$_k"*) LEAKS="$LEAKS $1 $2;" ;; esac
	done
}
api() { admin "$@"; leaks "$1" "$2"; }
# api_post PATH: a body-less admin POST (lighttpd wants Content-Length: 0).
api_post() { req POST "$1" -H "Authorization: Bearer $TOKEN" -d ''; leaks POST "$1"; }

# integration NAME KEY PATH EVENTS [extra json]: a PagerDuty integration
# sending to the emulator at PATH; sets PD.
integration() {
	KEYS="$KEYS $2"
	api POST /api/integrations "{\"type\":\"pagerduty\",\"name\":\"$1\",\"events\":$4,\"config\":{\"routing_key\":\"$2\",\"events_url\":\"$E$3\"}${5:+,$5}}"
	PD=$(jget .id)
}

# emit TYPE OBJECT_ID DATA: one finding-like event of owner o1.
emit() {
	psql_q "SELECT hookpost.emit('$1', '${1%%.*}', '$2', NULL, 'o1', '$3')" >/dev/null
}
# dstatus SUB [OBJECT_ID]: "status:attempts" of its deliveries, oldest first.
dstatus() {
	psql_q "SELECT string_agg(d.status || ':' || d.attempts, ' ' ORDER BY d.created_at, d.id) FROM hookpost.deliveries d JOIN hookpost.events e ON e.id = d.event_id WHERE d.subscription_id = '$1'${2:+ AND e.object_id = '$2'}"
}
# due SUB: its pending deliveries due now (as if their delay had passed).
due() {
	psql_q "UPDATE hookpost.deliveries SET next_attempt_at = now() WHERE subscription_id = '$1' AND status = 'pending'" >/dev/null
}
# delay SUB OBJECT_ID: seconds from its last attempt to its next.
delay() {
	psql_q "SELECT trim_scale(extract(epoch FROM d.next_attempt_at - d.updated_at)) FROM hookpost.deliveries d JOIN hookpost.events e ON e.id = d.event_id WHERE d.subscription_id = '$1' AND e.object_id = '$2'"
}

admin PUT /admin/quotas/webhooks/admin '{"max_subscriptions":1000,"max_subscription_requests_per_minute":1000,"max_subscription_requests_per_day":10000,"max_events_per_minute":100000}'
case $STATUS in 200|201) ok "setup: quota" ;; *) fail "setup: quota" "$STATUS $BODY" ;; esac

# --- settings ------------------------------------------------------------
K1=$(newkey) K2=$(newkey) K3=$(newkey) K4=$(newkey)
KEYS="$K1 $K2 $K3 $K4"
api POST /api/integrations "{\"type\":\"pagerduty\",\"name\":\"short $RUN\",\"events\":[\"finding.created\"],\"config\":{\"routing_key\":\"${K1%?}\"}}"
expect "a routing key of 31 characters is refused" 400 '.error.code == "invalid_field" and (.error.message | contains("routing_key"))'
api POST /api/integrations "{\"type\":\"pagerduty\",\"name\":\"bad $RUN\",\"events\":[\"finding.created\"],\"config\":{\"routing_key\":\"${K1%?}-\"}}"
expect "a routing key that is not letters and digits is refused" 400 '.error.code == "invalid_field" and (.error.message | contains("routing_key"))'
api POST /api/integrations "{\"type\":\"pagerduty\",\"name\":\"nokey $RUN\",\"events\":[\"finding.created\"],\"config\":{}}"
expect "a routing key is required" 400 '.error.code == "invalid_field" and (.error.message | contains("routing_key"))'

integration "PD all $RUN" "$K1" /all/v2/enqueue '["finding.created","finding.resolved"]'
expect "POST /api/integrations: a pagerduty integration, active, its key shown as a hint" 201 \
    ".type == \"pagerduty\" and .status == \"active\" and .config.routing_key == \"$(hint "$K1")\" and .config.events_url == \"$E/all/v2/enqueue\""
PD1=$PD
integration "PD critical $RUN" "$K2" /crit/v2/enqueue '["finding.created","finding.resolved"]' '"severity_threshold":"critical"'
expect "an integration with severity_threshold critical" 201 '.severity_threshold == "critical"'
PD2=$PD
api GET "/api/integrations/$PD2"
expect "GET shows the hint, never the key" 200 ".config.routing_key == \"$(hint "$K2")\""
api GET "/api/integrations?type=pagerduty"
expect "the list shows pagerduty integrations with hints" 200 \
    "[.data[] | select(.id == \"$PD1\" or .id == \"$PD2\") | .config.routing_key] | sort == ([\"$(hint "$K1")\", \"$(hint "$K2")\"] | sort)"

# --- one incident per finding ---------------------------------------------
F1=f1-$RUN F2=f2-$RUN F3=f3-$RUN
emit finding.created "$F1" '{"title":"SQL injection in /login","severity":"critical","asset":"api.example.com","url":"https://tw.example.com/findings/1","cvss":9.8}'
emit finding.created "$F1" '{"title":"SQL injection in /login (seen again)","severity":"critical","asset":"api.example.com"}'
emit finding.created "$F2" '{"title":"RCE in upload","severity":"critical"}'
emit finding.created "$F3" '{"title":"Weak TLS","severity":"high"}'
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries d JOIN hookpost.events e ON e.id = d.event_id WHERE d.subscription_id = '$PD2' AND e.object_id = '$F3'")
[ "$n" = 0 ] && ok "severity_threshold critical keeps a high finding away" || fail "severity_threshold critical keeps a high finding away" "$n"
deliver
[ "$(dstatus "$PD2")" = "delivered:1 delivered:1 delivered:1" ] && ok "the critical integration: 3 events delivered" || fail "the critical integration: 3 events delivered" "$(dstatus "$PD2")"
[ "$(dstatus "$PD1")" = "delivered:1 delivered:1 delivered:1 delivered:1" ] && ok "the other integration: 4 events delivered" || fail "the other integration: 4 events delivered" "$(dstatus "$PD1")"
st=$(state)
printf '%s' "$st" | jq -e "[.incidents[] | select(.routing_key == \"$K2\")] | length == 2 and
    (map(select(.dedup_key == \"hookpost/finding/$F1\" and .status == \"triggered\" and .events == 2)) | length == 1) and
    (map(select(.dedup_key == \"hookpost/finding/$F2\" and .events == 1)) | length == 1)" >/dev/null &&
    ok "PagerDuty has 2 incidents, the first finding's 2 events grouped in one" || fail "2 incidents, the first with 2 events" "$st"
printf '%s' "$st" | jq -e "[.incidents[] | select(.routing_key == \"$K1\")] | length == 3 and
    (map(select(.dedup_key == \"hookpost/finding/$F3\" and .severity == \"error\")) | length == 1)" >/dev/null &&
    ok "without a threshold the high finding is an incident too, severity error" || fail "the high finding on the other integration" "$st"
t=$(emulog /crit/v2/enqueue | jq -c 'select(.body | fromjson | .payload.custom_details.cvss == 9.8)' | head -1)
printf '%s' "$t" | jq -e ".headers[\"content-type\"] == \"application/json\" and (.body | fromjson |
    .routing_key == \"$K2\" and .event_action == \"trigger\" and .dedup_key == \"hookpost/finding/$F1\" and .client == \"hookpost\" and
    .payload.summary == \"SQL injection in /login on api.example.com (finding.created finding/$F1)\" and
    .payload.source == \"hookpost\" and .payload.severity == \"critical\" and (.payload.timestamp | test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\$\")) and
    .payload.custom_details.cvss == 9.8 and .payload.custom_details.asset == \"api.example.com\" and
    .links == [{\"href\": \"https://tw.example.com/findings/1\", \"text\": \"finding/$F1\"}])" >/dev/null &&
    ok "a trigger as PagerDuty documents it: summary, source, severity, timestamp, custom_details, links, client" || fail "the trigger's shape" "$t"
n=$(psql_q "SELECT string_agg(DISTINCT coalesce(d.external_ref, 'NULL'), ' ') FROM hookpost.deliveries d JOIN hookpost.events e ON e.id = d.event_id WHERE d.subscription_id = '$PD2' AND e.object_id = '$F1'")
[ "$n" = "hookpost/finding/$F1" ] && ok "deliveries.external_ref holds PagerDuty's dedup_key" || fail "deliveries.external_ref holds the dedup_key" "$n"

# --- resolved -----------------------------------------------------------
emit finding.resolved "$F1" '{"title":"SQL injection in /login"}'
deliver
n=$(psql_q "SELECT d.status || ':' || coalesce(d.external_ref, 'NULL') FROM hookpost.deliveries d WHERE d.subscription_id = '$PD2' AND d.event_type = 'finding.resolved'")
[ "$n" = "delivered:hookpost/finding/$F1" ] && ok "finding.resolved passes the critical threshold, delivered, the same dedup_key" || fail "finding.resolved reaches the critical integration" "$n"
st=$(state)
printf '%s' "$st" | jq -e "[.incidents[] | select(.routing_key == \"$K2\" and .dedup_key == \"hookpost/finding/$F1\")] |
    length == 1 and .[0].status == \"resolved\" and .[0].actions == [\"trigger\", \"trigger\", \"resolve\"]" >/dev/null &&
    ok "the incident is resolved under the same dedup_key" || fail "the incident is resolved" "$st"
printf '%s' "$st" | jq -e "[.incidents[] | select(.dedup_key == \"hookpost/finding/$F2\")] | all(.status == \"triggered\")" >/dev/null &&
    ok "the other finding's incident stays open" || fail "the other finding's incident stays open" "$st"
t=$(emulog /crit/v2/enqueue | tail -1)
printf '%s' "$t" | jq -e ".body | fromjson | (keys == [\"dedup_key\", \"event_action\", \"routing_key\"]) and .event_action == \"resolve\"" >/dev/null &&
    ok "a resolve carries only routing_key, event_action and dedup_key" || fail "the resolve's shape" "$t"

# --- settings changed, the key kept ----------------------------------------
api PUT "/api/integrations/$PD2" '{"config":{"source":"tw-prod","component":"scanner"}}'
expect "PUT config without the key keeps it (hint unchanged)" 200 \
    ".config.routing_key == \"$(hint "$K2")\" and .config.source == \"tw-prod\""
emit finding.created "$F2" '{"title":"RCE in upload (again)","severity":"critical"}'
deliver
t=$(emulog /crit/v2/enqueue | tail -1)
printf '%s' "$t" | jq -e ".body | fromjson | .routing_key == \"$K2\" and .payload.source == \"tw-prod\" and .payload.component == \"scanner\"" >/dev/null &&
    ok "the next trigger has the new settings and the kept key" || fail "the next trigger after PUT" "$t"

# --- Test Connection --------------------------------------------------------
api_post "/api/integrations/$PD2/test"
expect "POST .../test: ok, delivered" 200 '.ok == true and .outcome == "delivered" and .status_code == 202'
st=$(state)
printf '%s' "$st" | jq -e "[.incidents[] | select(.dedup_key == \"hookpost/integration/$PD2\")] |
    length == 1 and .[0].status == \"resolved\" and .[0].actions == [\"trigger\", \"resolve\"] and .[0].severity == \"info\"" >/dev/null &&
    ok "the test's incident is resolved right after: none left open" || fail "the test leaves no open incident" "$st"
api GET "/api/integrations/$PD2/deliveries"
expect "the test is in the delivery log" 200 '[.data[] | select(.event_type == "integration.test" or .event == "integration.test")] | length >= 1'

# --- 400: invalid event, not retried ----------------------------------------
integration "PD bad $RUN" "$K3" /bad/v2/enqueue '["sync.failed"]'
PD3=$PD
script /bad/ '{"status":400,"headers":{"Content-Type":"application/json"},"body":"{\"status\":\"invalid event\",\"message\":\"Event object is invalid\",\"errors\":[\"'"'"'payload.summary'"'"' is missing or blank\"]}"}'
emit sync.failed "s1-$RUN" '{"title":"Tenable sync failed","severity":"high"}'
deliver
[ "$(dstatus "$PD3")" = "failed:1" ] && ok "400 invalid event: failed after one attempt" || fail "400 is not retried" "$(dstatus "$PD3")"
n=$(psql_q "SELECT a.status_code || '|' || a.error FROM hookpost.delivery_attempts a JOIN hookpost.deliveries d ON d.id = a.delivery_id WHERE d.subscription_id = '$PD3'")
[ "$n" = "400|HTTP 400 invalid event: Event object is invalid: 'payload.summary' is missing or blank" ] &&
    ok "the reason is recorded with PagerDuty's errors" || fail "the 400's reason is recorded" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.delivery_queue q JOIN hookpost.deliveries d ON d.id = q.delivery_id WHERE d.subscription_id = '$PD3'")
deliver
[ "$n" = 0 ] && [ "$(emulog /bad/v2/enqueue | grep -c .)" = 1 ] && ok "nothing left to send: PagerDuty saw it once" || fail "a 400 is sent once" "$n $(emulog /bad/v2/enqueue | grep -c .)"
grep -q "failed: HTTP 400 invalid event: .*(attempt 1; not retried)" "$ERR" && ok "the worker logs the 400 as not retried" || fail "the worker logs the 400" "$(tail -5 "$ERR")"

# --- 429 and 5xx: retried ---------------------------------------------------
integration "PD retry $RUN" "$K4" /rl/v2/enqueue '["scan.*"]'
PD4=$PD
curl -s "$E/_pd/rate_limit" -d "{\"routing_key\":\"$K4\",\"count\":1}" >/dev/null
emit scan.completed "c1-$RUN" '{"title":"Scan done","severity":"info"}'
deliver
[ "$(dstatus "$PD4" "c1-$RUN")" = "pending:1" ] && [ "$(delay "$PD4" "c1-$RUN")" = 30 ] &&
    ok "429 (key rate-limited, no Retry-After): retried 30 s later, the schedule's first step" || fail "429 retried on the schedule" "$(dstatus "$PD4") $(delay "$PD4" "c1-$RUN")"
n=$(psql_q "SELECT a.error FROM hookpost.delivery_attempts a JOIN hookpost.deliveries d ON d.id = a.delivery_id WHERE d.subscription_id = '$PD4'")
case $n in "HTTP 429 throttle event"*) ok "the 429's reason is recorded" ;; *) fail "the 429's reason is recorded" "$n" ;; esac
due "$PD4"
deliver
[ "$(dstatus "$PD4" "c1-$RUN")" = "delivered:2" ] && ok "429, then delivered on the retry" || fail "429, then delivered" "$(dstatus "$PD4")"

script /rl/ '{"status":429,"headers":{"Retry-After":"7","Content-Type":"application/json"},"body":"{\"status\":\"throttle event\",\"message\":\"Requests for this service are arriving too quickly.\"}"}'
emit scan.completed "c2-$RUN" '{"title":"Scan done","severity":"info"}'
deliver
[ "$(dstatus "$PD4" "c2-$RUN")" = "pending:1" ] && [ "$(delay "$PD4" "c2-$RUN")" = 7 ] &&
    ok "429 with Retry-After: 7: retried 7 s later" || fail "429 honours Retry-After" "$(dstatus "$PD4" "c2-$RUN") $(delay "$PD4" "c2-$RUN")"
due "$PD4"
deliver
[ "$(dstatus "$PD4" "c2-$RUN")" = "delivered:2" ] && ok "and delivered on the retry" || fail "delivered after Retry-After" "$(dstatus "$PD4" "c2-$RUN")"

script /rl/ '{"status":500,"headers":{"Content-Type":"application/json"},"body":"{\"status\":\"error\",\"message\":\"Internal Server Error\"}"}' \
    '{"status":503,"body":""}'
emit scan.failed "c3-$RUN" '{"title":"Scan failed","severity":"medium"}'
deliver
[ "$(dstatus "$PD4" "c3-$RUN")" = "pending:1" ] && [ "$(delay "$PD4" "c3-$RUN")" = 30 ] &&
    ok "500: retried 30 s later" || fail "500 retried on the schedule" "$(dstatus "$PD4" "c3-$RUN") $(delay "$PD4" "c3-$RUN")"
psql_q "UPDATE hookpost.deliveries d SET next_attempt_at = now() FROM hookpost.events e WHERE e.id = d.event_id AND d.subscription_id = '$PD4' AND e.object_id = 'c3-$RUN'" >/dev/null
deliver
[ "$(dstatus "$PD4" "c3-$RUN")" = "pending:2" ] && [ "$(delay "$PD4" "c3-$RUN")" = 120 ] &&
    ok "then 503: retried 2 min later, the schedule's second step" || fail "the schedule's second step" "$(dstatus "$PD4" "c3-$RUN") $(delay "$PD4" "c3-$RUN")"
due "$PD4"
deliver
[ "$(dstatus "$PD4")" = "delivered:2 delivered:2 delivered:3" ] && ok "every retried event is delivered in the end" || fail "retried events delivered" "$(dstatus "$PD4")"
st=$(state)
printf '%s' "$st" | jq -e "[.incidents[] | select(.routing_key == \"$K4\")] | length == 3 and all(.events == 1)" >/dev/null &&
    ok "one incident per scan, each event counted once" || fail "one incident per retried event" "$st"

# --- the routing key: never logged, never answered ----------------------------
api GET "/api/integrations/$PD4/deliveries"
api GET "/api/integrations/$PD3/deliveries"
api GET "/api/integrations?type=pagerduty"
[ -z "$LEAKS" ] && ok "no API answer holds a routing key" || fail "no API answer holds a routing key" "$LEAKS"
leak=
for k in $KEYS; do
	grep -qF "$k" "$ERR" && leak="$leak worker"
	f=$(grep -rlF "$k" "$HOOKPOST_VAR/log" 2>/dev/null) && leak="$leak $f"
done
[ -z "$leak" ] && ok "no routing key in a log line (worker, servers, handlers, PostgreSQL)" || fail "no routing key in the logs" "$leak"
n=$(psql_q "SELECT count(*) FROM hookpost.subscriptions WHERE id IN ('$PD1', '$PD2', '$PD3', '$PD4') AND config_secret_enc IS NOT NULL AND NOT config ? 'routing_key'")
[ "$n" = 4 ] && ok "the routing key is sealed at rest, not in config" || fail "the routing key is sealed" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.subscriptions WHERE id IN ('$PD1', '$PD2', '$PD3', '$PD4') AND (config::text LIKE '%$K1%' OR config::text LIKE '%$K2%' OR config_secret_enc LIKE '%$K1%' OR config_hints::text LIKE '%$K2%')")
[ "$n" = 0 ] && ok "and no copy of it in plain text" || fail "no plain copy of the key" "$n"
