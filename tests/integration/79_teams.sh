#!/bin/sh
# Microsoft Teams integrations end to end (issue 9, seed 003 "Microsoft
# Teams: team channel notifications for security events"): an integration
# made through POST /api/integrations, events emitted in the database, the
# delivery worker posting Adaptive Cards to a Workflows webhook (the
# emulator tests/emu/teams.py checks each as the service would): a valid
# card, event text that cannot make links or mentions, the severity
# threshold, 429 with Retry-After, 5xx on the seed's schedule (30 s, then
# 2 min), 4xx failed for good with the service's reason, the API's test
# message, and the webhook URL's signature in no log line and no answer.
# The worker does not depend on the web server: this runs under lighttpd.
. "$TOP/tests/lib.sh"
# A connector's (or the workers') behaviour does not depend on the web
# server: it runs once, under lighttpd; 78_integrations_api checks the
# routes behind every server.
[ "$SERVER" = lighttpd ] || exit 0
[ "$SERVER" = lighttpd ] || exit 0

EMULOG=$(mktemp)
ERR=$(mktemp)
ALLERR=$(mktemp)
ANSWERS=$(mktemp)
start_emu teams "$EMULOG" || fail "the Teams emulator starts"
trap 'kill $EMU 2>/dev/null; rm -f "$EMULOG" "$ERR" "$ALLERR" "$ANSWERS"' EXIT
E=http://127.0.0.1:$EMU_PORT
W="$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_RETRY_JITTER=0 HOOKPOST_DELIVERY_TIMEOUT_MS=5000"
# deliver: one run of the worker; its log lines kept in $ALLERR.
deliver() { $W "$TOP/bin/hookpost-deliver" -1 -n "teams-$RUN" 2>"$ERR"; cat "$ERR" >>"$ALLERR"; }
# api METHOD PATH [json]: an admin request whose answer is kept, to look
# for signatures in every answer at the end.
api() { admin "$@"; printf '%s\n' "$BODY" >>"$ANSWERS"; }

# A workflow id (32 hex digits) per name, its signature as the emulator
# makes it, and its webhook URL (the Logic Apps shape).
wfid() { printf '%s' "$1-$RUN" | openssl dgst -md5 | sed 's/^.*= //'; }
wfsig() { printf '%s' "$1" | openssl dgst -sha256 -hmac hookpost-emu-teams -binary | b64url; }
hook_url() { echo "$E/workflows/$1/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${2:-$(wfsig "$1")}"; }
SIGS=""
# teams NAME WORKFLOW EVENTS [extra json] [sig]: a Teams integration
# posting to WORKFLOW; sets INT (its id) and URL.
teams() {
	URL=$(hook_url "$2" "${5:-}")
	SIGS="$SIGS ${URL##*sig=}"
	api POST /api/integrations "{\"type\":\"teams\",\"name\":\"$1 $RUN\",\"events\":$3,\"config\":{\"webhook_url\":\"$URL\"}${4:+,$4}}"
	INT=$(jget .id)
}
# emit TYPE ID DATA: an event of owner o1 about scan ID.
emit() { psql_q "SELECT hookpost.emit('$1', 'scan', '$2', NULL, 'o1', '$3')" >/dev/null; }
# cards WORKFLOW: the cards the emulator took for it, as a JSON array.
cards() { curl -s "$E/_emu/state" | jq -c "[.cards[]? | select(.workflow == \"$1\")]"; }
# script WORKFLOW ANSWERS: the emulator's next answers to it.
script() { curl -s -X POST "$E/_emu/script" -d "{\"path\":\"/workflows/$1/\",\"answers\":$2}" >/dev/null; }
# dq SQL-EXPR: a column expression of the integration's one delivery.
dq() { psql_q "SELECT $1 FROM hookpost.deliveries WHERE subscription_id = '$INT'"; }
due_now() { psql_q "UPDATE hookpost.deliveries SET next_attempt_at = now() WHERE subscription_id = '$INT' AND status = 'pending'" >/dev/null; }
# next_in: seconds from now to the delivery's next attempt.
next_in() { dq "round(extract(epoch FROM next_attempt_at - now()))::int"; }

# --- making one -----------------------------------------------------------
WF=$(wfid main)
teams "Security channel" "$WF" '["scan.completed","finding.created","finding.resolved"]' '"description":"the SOC channel"'
expect "POST /api/integrations makes a Teams integration" 201 \
    '.type == "teams" and .enabled == true and .status == "active" and .severity_threshold == null and (.config.webhook_url | startswith("…"))'
expect_json "the webhook URL is shown as its hint only" "(.config.webhook_url | length) <= 5 and (tostring | contains(\"$(wfsig "$WF")\") | not) and (tostring | contains(\"/workflows/\") | not)"
MAIN=$INT
api GET "/api/integrations/$MAIN"
expect "GET shows the hint, not the URL" 200 '(.config.webhook_url | startswith("…")) and .type == "teams"'

api POST /api/integrations "{\"type\":\"teams\",\"name\":\"nosig $RUN\",\"events\":[\"scan.completed\"],\"config\":{\"webhook_url\":\"$E/workflows/$WF/triggers/manual/paths/invoke?api-version=1\"}}"
expect "a Workflows URL without its sig is refused" 400 '(.error.message | test("sig")) and (.error.message | test("webhook_url"))'
api POST /api/integrations "{\"type\":\"teams\",\"name\":\"nourl $RUN\",\"events\":[\"scan.completed\"],\"config\":{}}"
expect "webhook_url is required" 400 '.error.message | test("webhook_url")'
api POST /api/integrations "{\"type\":\"teams\",\"name\":\"typo $RUN\",\"events\":[\"scan.completed\"],\"config\":{\"webhook_url\":\"$(hook_url "$WF")\",\"channel\":\"x\"}}"
expect "an unknown setting is refused" 400 '.error.message | test("channel")'

# --- a valid card ---------------------------------------------------------
emit scan.completed "S-1-$RUN" '{"severity":"high","title":"Weekly scan","description":"3 new findings","url":"https://tw.example.com/scans/S-1"}'
deliver
n=$(dq "status || ':' || attempts || ':' || last_status_code")
[ "$n" = "delivered:1:202" ] && ok "the worker posts the card: 202 Accepted, delivered" || fail "the card is delivered" "$n $(cat "$ERR")"
c=$(cards "$WF")
printf '%s' "$c" | jq -e 'length == 1 and (.[0].card | .type == "AdaptiveCard" and .version == "1.4" and .msteams.width == "Full" and .body[0].text == "Weekly scan" and .body[0].color == "Attention" and .body[0].weight == "Bolder" and .body[1].type == "FactSet" and .body[2].text == "3 new findings" and .actions[0].type == "Action.OpenUrl" and .actions[0].url == "https://tw.example.com/scans/S-1")' >/dev/null &&
    ok "the emulator took one valid Adaptive Card: title, colour, facts, description, link" || fail "one valid card" "$c"
printf '%s' "$c" | jq -e --arg run "$RUN" '[.[0].card.body[1].facts[] | {(.title): .value}] | add | .Severity == "High" and .Object == ("scan/S-1-" + $run) and .Event == "scan.completed" and (.Time | test("Z$"))' >/dev/null &&
    ok "its facts: severity, scan/<id>, event type, time" || fail "the card's facts" "$c"
h=$(jq -c "select(.path | startswith(\"/workflows/$WF/\"))" "$EMULOG" | head -1)
printf '%s' "$h" | jq -e '.method == "POST" and .headers["content-type"] == "application/json" and (.headers["user-agent"] | startswith("hookpost/"))' >/dev/null &&
    ok "a POST of application/json" || fail "a POST of application/json" "$h"

# --- event text cannot make links or mentions ------------------------------
emit finding.created "F-1-$RUN" '{"severity":"low","title":"[Click here](https://evil.example/login) <at>Admin</at> **urgent**","description":"see <https://evil.example> or https://evil.example/x\n# not a heading\n![img](https://evil.example/i.png) `code` _it_"}'
deliver
c=$(cards "$WF" | jq -c '.[-1]')
printf '%s' "$c" | jq -e '.links == [] and (.card.body[0].text | contains("Click here")) and (.card.body[0].text | test("[\\[\\]<>*]") | not) and (.card.body[2].text | test("[<>`_\\[\\]]|://") | not)' >/dev/null &&
    ok "Markdown links, autolinks, bare URLs, mentions and emphasis in event data render as plain text" || fail "event text is plain" "$c"
printf '%s' "$c" | jq -e '.card.actions == null' >/dev/null &&
    ok "only data.url makes a link (none here)" || fail "no action without data.url" "$c"

# --- the severity threshold -------------------------------------------------
WFH=$(wfid high)
teams "High only" "$WFH" '["scan.completed","finding.resolved"]' '"severity_threshold":"high"'
expect "severity_threshold is taken" 201 '.severity_threshold == "high"'
HIGH=$INT
emit scan.completed "S-2-$RUN" '{"severity":"medium","title":"Medium scan"}'
emit scan.completed "S-3-$RUN" '{"title":"No severity"}'
emit scan.completed "S-4-$RUN" '{"severity":"critical","title":"Critical scan"}'
emit finding.resolved "F-2-$RUN" '{"severity":"low","title":"Fixed"}'
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries WHERE subscription_id = '$HIGH'")
[ "$n" = 2 ] && ok "threshold high: emit makes two deliveries of four events" || fail "the threshold at emit" "$n"
deliver
c=$(cards "$WFH" | jq -c '[.[].card.body[0].text] | sort')
[ "$c" = '["Critical scan","Fixed"]' ] && ok "threshold high: critical passes, medium and none do not, a resolution always does" || fail "the severity threshold" "$c"
c=$(cards "$WFH" | jq -c '[.[].card.body[0].color] | sort')
[ "$c" = '["Attention","Good"]' ] && ok "critical is attention, a resolution good" || fail "colours" "$c"

# --- 429 with Retry-After ------------------------------------------------------
WFR=$(wfid ratelimited)
teams "Rate limited" "$WFR" '["scan.completed"]'
script "$WFR" '[{"status":429,"headers":{"Retry-After":"7","Content-Type":"application/json"},"body":"{\"error\":{\"code\":\"WorkflowTriggerIsThrottled\",\"message\":\"Flow run timed out.\"}}"}]'
emit scan.completed "S-5-$RUN" '{"severity":"info","title":"Throttled"}'
deliver
n=$(next_in)
s=$(dq "status || ':' || attempts || ':' || last_status_code")
[ "$s" = "pending:1:429" ] && [ "$n" -ge 5 ] && [ "$n" -le 7 ] && ok "429: retried after its Retry-After (7 s, not the schedule's 30 s)" || fail "429 honours Retry-After" "$s next in $n s"
e=$(dq last_error)
case $e in *"HTTP 429: WorkflowTriggerIsThrottled"*) ok "429: the service's error code is the reason" ;; *) fail "429 reason" "$e" ;; esac
due_now
deliver
s=$(dq "status || ':' || attempts")
[ "$s" = "delivered:2" ] && [ "$(cards "$WFR" | jq length)" = 1 ] && ok "429: delivered by the retry" || fail "429 then delivered" "$s"

# --- 5xx on the seed's schedule -------------------------------------------------
WF5=$(wfid flaky)
teams "Flaky" "$WF5" '["scan.completed"]' '"retry_count":3'
script "$WF5" '[{"status":500,"body":"{\"error\":{\"code\":\"InternalServerError\",\"message\":\"Encountered internal server error.\"}}"},{"status":502,"body":"<html>502 Bad Gateway</html>"}]'
emit scan.completed "S-6-$RUN" '{"severity":"high","title":"Flaky"}'
deliver
n=$(next_in)
s=$(dq "status || ':' || attempts || ':' || last_status_code")
[ "$s" = "pending:1:500" ] && [ "$n" -ge 28 ] && [ "$n" -le 30 ] && ok "500: retried 30 s later (seed 003 Retry 1)" || fail "500 retried after 30 s" "$s next in $n s"
due_now
deliver
n=$(next_in)
s=$(dq "status || ':' || attempts || ':' || last_status_code")
[ "$s" = "pending:2:502" ] && [ "$n" -ge 118 ] && [ "$n" -le 120 ] && ok "502: retried 2 min later (seed 003 Retry 2)" || fail "502 retried after 2 min" "$s next in $n s"
due_now
deliver
s=$(dq "status || ':' || attempts || ':' || last_status_code")
[ "$s" = "delivered:3:202" ] && [ "$(cards "$WF5" | jq length)" = 1 ] && ok "delivered on the third attempt, once" || fail "5xx then delivered" "$s"
n=$(psql_q "SELECT string_agg(a.status_code::text, ',' ORDER BY a.attempt) FROM hookpost.delivery_attempts a JOIN hookpost.deliveries d ON d.id = a.delivery_id WHERE d.subscription_id = '$INT'")
[ "$n" = "500,502,202" ] && ok "each attempt is recorded" || fail "each attempt is recorded" "$n"

# --- 4xx: failed for good, the reason kept -----------------------------------------
WF4=$(wfid refused)
teams "Refused" "$WF4" '["scan.completed"]'
script "$WF4" '[{"status":400,"headers":{"Content-Type":"application/json"},"body":"{\"error\":{\"code\":\"TriggerInputSchemaMismatch\",\"message\":\"The input body for trigger '"'"'manual'"'"' of type '"'"'Request'"'"' did not match its schema definition.\"}}"}]'
emit scan.completed "S-7-$RUN" '{"severity":"high","title":"Refused"}'
deliver
s=$(dq "status || ':' || attempts || ':' || last_status_code")
e=$(dq last_error)
[ "$s" = "failed:1:400" ] && ok "400: failed after one attempt, not retried" || fail "400 not retried" "$s"
case $e in "HTTP 400: TriggerInputSchemaMismatch: The input body for trigger 'manual'"*) ok "400: the service's code and message are the reason" ;; *) fail "400 reason" "$e" ;; esac
grep -q "failed: HTTP 400: TriggerInputSchemaMismatch.*not retried" "$ERR" && ok "400: logged once as not retried" || fail "400 log line" "$(cat "$ERR")"
api GET "/api/integrations/$INT/deliveries"
expect "the delivery log shows it (status code, error)" 200 '.data[0].status == "failed" and ((.data[0].status_code // .data[0].statusCode // .data[0].last_status_code) == 400) and ((.data[0].error // .data[0].last_error) | test("TriggerInputSchemaMismatch"))'

# A wrong signature and a deleted workflow, from the emulator itself.
teams "Wrong sig" "$WF4" '["scan.completed"]' "" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
WRONG=$INT
WFD=dead$(wfid deleted | cut -c5-)
teams "Deleted" "$WFD" '["scan.completed"]'
DELETED=$INT
emit scan.completed "S-8-$RUN" '{"severity":"high","title":"Nobody"}'
deliver
INT=$WRONG
s=$(dq "status || ':' || attempts || ':' || last_status_code || ':' || last_error")
case $s in "failed:1:401:HTTP 401: DirectApiInvalidAuthorizationSignature"*) ok "401 (a wrong sig): failed for good, with the service's reason" ;; *) fail "401 not retried" "$s" ;; esac
INT=$DELETED
s=$(dq "status || ':' || attempts || ':' || last_status_code || ':' || last_error")
case $s in "failed:1:404:HTTP 404: WorkflowNotFound"*) ok "404 (a deleted workflow): failed for good, with the service's reason" ;; *) fail "404 not retried" "$s" ;; esac

# --- Test Connection -----------------------------------------------------------------
api POST "/api/integrations/$MAIN/test" '{}'
expect "POST /api/integrations/:id/test sends a test card" 200 '.ok == true and .outcome == "delivered" and .status_code == 202 and .error == null'
c=$(cards "$WF" | jq -c '.[-1].card')
printf '%s' "$c" | jq -e '.body[0].text == "hookpost test message" and ([.body[1].facts[] | select(.title == "Event")][0].value == "integration.test")' >/dev/null &&
    ok "the test card reached the channel" || fail "the test card" "$c"
api POST "/api/integrations/$WRONG/test" '{}'
expect "a test of a wrong sig says why" 200 '.ok == false and .outcome == "failed" and .status_code == 401 and (.error | test("DirectApiInvalidAuthorizationSignature"))'

# --- the signature is a secret ---------------------------------------------------------
api GET "/api/integrations?type=teams"
expect "the list shows Teams integrations with hints" 200 "[.data[] | select(.id == \"$MAIN\")][0].config.webhook_url | startswith(\"…\")"
api GET "/api/integrations/$MAIN/deliveries"
api GET "/api/integrations/$WRONG/deliveries"
api PUT "/api/integrations/$MAIN" '{"description":"still the SOC channel"}'
expect "a PUT without config keeps the URL" 200 '(.config.webhook_url | startswith("…")) and .description == "still the SOC channel"'
emit scan.completed "S-9-$RUN" '{"severity":"high","title":"After PUT"}'
deliver
[ "$(cards "$WF" | jq -c '[.[].card.body[0].text] | index("After PUT") != null')" = true ] && ok "and it still delivers" || fail "delivers after PUT" "$(cards "$WF")"
leaks=""
for s in $SIGS; do
	grep -qF "$s" "$ALLERR" && leaks="$leaks worker-log:$s"
	grep -qF "$s" "$ANSWERS" && leaks="$leaks answer:$s"
	f=$(find "$HOOKPOST_VAR" -type f \( -name '*.log' -o -path '*/log/*' \) -exec grep -lF "$s" {} + 2>/dev/null)
	[ -z "$f" ] || leaks="$leaks $f:$s"
done
[ -s "$ALLERR" ] && [ -s "$ANSWERS" ] && [ -z "$leaks" ] && ok "no signature in any worker log line, server log or API answer" || fail "signatures leaked" "$leaks"
n=$(psql_q "SELECT count(*) FROM hookpost.subscriptions WHERE type = 'teams' AND (config::text LIKE '%sig=%' OR url LIKE '%sig=%' OR config_hints::text LIKE '%sig=%')")
[ "$n" = 0 ] && ok "the URL is sealed at rest: not in config, url or hints" || fail "the URL is sealed at rest" "$n rows"
