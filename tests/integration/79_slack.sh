#!/bin/sh
# Slack integrations end to end (seed 003 "Slack"; issue 9): made through
# POST /api/integrations, sent by the delivery worker to the Slack
# emulator (tests/emu/slack.py checks each message against Slack's
# incoming-webhook and Block Kit rules): a valid message, the severity
# threshold, no markup injected from event data, Slack's 429 Retry-After,
# 5xx retried on the seed's schedule (30 s first), invalid_blocks failed
# for good, no_service and channel_is_archived disabling the integration,
# Test Connection; and the webhook URL -- a credential -- never in a log
# line, an API answer or a clear database column.  Workers don't depend on
# the web server, so this runs once, under lighttpd.
. "$TOP/tests/lib.sh"
# A connector's (or the workers') behaviour does not depend on the web
# server: it runs once, under lighttpd; 78_integrations_api checks the
# routes behind every server.
[ "$SERVER" = lighttpd ] || exit 0
[ "$SERVER" = lighttpd ] || exit 0

EMULOG=$(mktemp)
ERR=$(mktemp)
LOGF=$(mktemp)
ANSWERS=$(mktemp)
chmod 666 "$LOGF"	# the worker may run as another user ($RUNAS)
start_emu slack "$EMULOG" || fail "the Slack emulator starts"
trap 'kill $EMU 2>/dev/null; rm -f "$EMULOG" "$ERR" "$LOGF" "$ANSWERS"' EXIT
E=http://127.0.0.1:$EMU_PORT
# A webhook URL as Slack makes them; its last part is the credential.
TOK=$(openssl rand -hex 12)
HOOK=$E/services/T0HOOKPOST/B0$(date +%s)/$TOK

W="$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_RETRY_JITTER=0 HOOKPOST_DELIVERY_TIMEOUT_MS=3000"
# deliver: one run of the worker; its log lines in $LOGF, stderr in $ERR.
deliver() { $W HOOKPOST_LOG_FILE="$LOGF" "$TOP/bin/hookpost-deliver" -1 -n "sl-$RUN" 2>>"$ERR"; }
# api METHOD PATH [json]: an admin request whose answer is kept (to look
# for the webhook URL in every answer at the end).
api() { admin "$@"; printf '%s\n' "$BODY" >>"$ANSWERS"; }
# emit TYPE ID DATA: one finding-like event of owner o1.
emit() { psql_q "SELECT hookpost.emit('$1', '${1%%.*}', '$2', NULL, 'o1', '$3')" >/dev/null; }
emu() { curl -s -X "$1" "$E/_emu/$2" ${3:+--data-binary "$3"}; }
# sent N: the N-th last message the emulator received (JSON of its log).
sent() { tail -n "${1:-1}" "$EMULOG" | head -n 1; }
last_delivery() { psql_q "SELECT id FROM hookpost.deliveries WHERE subscription_id = '$1' ORDER BY created_at DESC LIMIT 1"; }
# row DELIVERY: status:attempts:last status code:last error
row() {
	psql_q "SELECT d.status || ':' || d.attempts || ':' || coalesce(a.status_code::text, '') || ':' || coalesce(a.error, '') FROM hookpost.deliveries d LEFT JOIN LATERAL (SELECT * FROM hookpost.delivery_attempts x WHERE x.delivery_id = d.id ORDER BY x.attempt DESC LIMIT 1) a ON true WHERE d.id = '$1'"
}
# create NAME EVENTS URL [extra json]: a Slack integration; sets SID.
create() {
	api POST /api/integrations "{\"type\":\"slack\",\"name\":\"$1\",\"events\":$2,\"config\":{\"webhook_url\":\"$3\"}${4:+,$4}}"
	SID=$(jget .id)
}

# Integrations count as the admin owner's subscriptions: room for them.
admin PUT /admin/quotas/webhooks/admin '{"max_subscriptions":1000,"max_subscription_requests_per_minute":1000,"max_subscription_requests_per_day":10000,"max_events_per_minute":100000}'
case $STATUS in 200|201) ok "setup: quota" ;; *) fail "setup: quota" "$STATUS $BODY" ;; esac

# --- settings ------------------------------------------------------------
api POST /api/integrations "{\"type\":\"slack\",\"name\":\"no url $RUN\",\"events\":[\"finding.created\"],\"config\":{}}"
expect "webhook_url is required" 400 '.error.code == "invalid_field" and (.error.message | test("webhook_url"))'
api POST /api/integrations "{\"type\":\"slack\",\"name\":\"legacy $RUN\",\"events\":[\"finding.created\"],\"config\":{\"webhook_url\":\"$HOOK\",\"channel\":\"#general\"}}"
expect "channel is not a setting (app webhooks ignore it: legacy only)" 400 '.error.code == "invalid_field" and (.error.message | test("channel"))'
api POST /api/integrations "{\"type\":\"slack\",\"name\":\"ftp $RUN\",\"events\":[\"finding.created\"],\"config\":{\"webhook_url\":\"ftp://hooks.example/services/x\"}}"
expect_status "a webhook_url that is not http(s) is refused" 400

create "Slack $RUN" '["finding.created","finding.resolved"]' "$HOOK" '"severity_threshold":"high","retry_count":3'
expect "a Slack integration is created" 201 ".type == \"slack\" and .status == \"active\" and .severity_threshold == \"high\" and .retry_count == 3 and .config.webhook_url == \"…${TOK#"${TOK%????}"}\""
MAIN=$SID
api GET "/api/integrations/$MAIN"
expect "GET shows the webhook URL as a hint only" 200 ".config.webhook_url == \"…${TOK#"${TOK%????}"}\" and (.config | keys) == [\"webhook_url\"]"
api GET "/api/integrations?type=slack"
expect "the list shows it, the URL as a hint" 200 "[.data[] | select(.id == \"$MAIN\")] | length == 1"
n=$(psql_q "SELECT count(*) FROM hookpost.subscriptions WHERE id = '$MAIN' AND (url LIKE '%$TOK%' OR config::text LIKE '%$TOK%' OR config_hints::text LIKE '%$TOK%' OR config_secret_enc LIKE '%$TOK%')")
[ "$n" = 0 ] && ok "the webhook URL is stored sealed only" || fail "the webhook URL is stored sealed only" "$n"

# --- a message --------------------------------------------------------------
: >"$EMULOG"
emit finding.created "F-1-$RUN" '{"severity":"critical","title":"SQL injection in /login","cwe":"CWE-89","url":"https://tw.example/findings/F-1"}'
D=$(last_delivery "$MAIN")
deliver
m=$(sent)
printf '%s' "$m" | jq -e ".path == \"/services/T0HOOKPOST/${HOOK##*/services/T0HOOKPOST/}\" and .status == 200 and .answer == \"ok\" and .method == \"POST\" and (.headers[\"content-type\"] == \"application/json\")" >/dev/null &&
    ok "the worker POSTs JSON to the webhook URL; Slack's emulator answers 200 ok" || fail "a message reaches the emulator" "$m $(cat "$ERR")"
body=$(printf '%s' "$m" | jq -r .body)
printf '%s' "$body" | jq -e '.blocks[0] == {"type":"header","text":{"type":"plain_text","text":"SQL injection in /login","emoji":true}} and .text == "[Critical] SQL injection in /login (finding/F-1-'"$RUN"')"' >/dev/null &&
    ok "a header block with the title, and the fallback text" || fail "header and fallback text" "$body"
printf '%s' "$body" | jq -e '.blocks[1].text.text == ":red_circle: *Severity: Critical*\n<https://tw.example/findings/F-1|Open finding/F-1-'"$RUN"'>" and ([.blocks[1].fields[].text] | .[0] == "*Resource*\nfinding/F-1-'"$RUN"'" and .[1] == "*Event*\nfinding.created" and (.[2] | startswith("*Time*\n<!date^")))' >/dev/null &&
    ok "severity with its emoji, the link, resource, event and time" || fail "the severity section" "$body"
printf '%s' "$body" | jq -e '[.blocks[] | .fields[]?.text] | index("*cwe*\nCWE-89") != null' >/dev/null &&
    ok "the event's other data as fields" || fail "data fields" "$body"
printf '%s' "$body" | jq -e '.blocks[-1].type == "context"' >/dev/null && ok "a context block ends it" || fail "a context block" "$body"
[ "$(row "$D")" = "delivered:1:200:" ] && ok "the delivery is delivered, HTTP 200 recorded" || fail "delivered" "$(row "$D")"
st=$(emu GET state)
printf '%s' "$st" | jq -e '.accepted == 1 and .mentions == null and .ignored == null and .links == ["https://tw.example/findings/F-1"]' >/dev/null &&
    ok "Slack would see no mention, only our link, no ignored field" || fail "emulator state" "$st"

# --- severity threshold ----------------------------------------------------
emit finding.created "F-low-$RUN" '{"severity":"low","title":"low one"}'
emit finding.created "F-none-$RUN" '{"title":"no severity: info"}'
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries WHERE subscription_id = '$MAIN'")
[ "$n" = 1 ] && ok "severity_threshold high: low and info events are not sent" || fail "severity threshold" "$n deliveries"
emit finding.resolved "F-low-$RUN" '{"severity":"low","title":"low one"}'
D=$(last_delivery "$MAIN")
deliver
[ "$(row "$D")" = "delivered:1:200:" ] && sent | jq -e '.body | fromjson | .text == "[RESOLVED] low one (finding/F-low-'"$RUN"')"' >/dev/null &&
    ok "a resolution passes any threshold, and says it is resolved" || fail "resolution sent" "$(row "$D") $(sent)"

# --- nothing of the event becomes markup -------------------------------
emu POST reset >/dev/null
emit finding.created "<!channel>" '{"severity":"high","title":"<!channel> <@U024BE7LH> & <https://evil.example|click>","description":"<!here> see <https://evil.example/x|this>","note":"<!subteam^S123|@team>","url":"https://evil.example/|x"}'
D=$(last_delivery "$MAIN")
deliver
st=$(emu GET state)
[ "$(row "$D")" = "delivered:1:200:" ] && printf '%s' "$st" | jq -e '.accepted == 1 and .mentions == null and .links == null' >/dev/null &&
    ok "mentions and links in the title, data and object id are escaped: Slack parses none" || fail "injection" "$(row "$D") $st $(sent)"
sent | jq -e '.body | fromjson | .text | startswith("[High] &lt;!channel&gt; &lt;@U024BE7LH&gt; &amp; &lt;https://evil.example|click&gt;")' >/dev/null &&
    ok "the fallback text is escaped too" || fail "escaped fallback" "$(sent)"

# A big event: a long unicode title, a long description, 25 long fields.
emu POST reset >/dev/null
psql_q "SELECT hookpost.emit('finding.created', 'finding', 'F-big-$RUN', NULL, 'o1', (SELECT jsonb_object_agg('field_' || g, repeat('x<&>', 700)) FROM generate_series(1, 25) g) || jsonb_build_object('severity', 'critical', 'title', repeat('Ü🔥', 200), 'description', repeat('<!channel> ', 600)))" >/dev/null
D=$(last_delivery "$MAIN")
deliver
st=$(emu GET state)
[ "$(row "$D")" = "delivered:1:200:" ] && printf '%s' "$st" | jq -e '.accepted == 1 and .mentions == null and .invalid == null' >/dev/null &&
    ok "a big event is cut to Slack's limits: the emulator accepts it" || fail "a big event" "$(row "$D") $st"
sent | jq -e '.body | fromjson | (.blocks[0].text.text | length) == 150 and ([.blocks[] | select(.fields) | .fields | length] | max) <= 10 and (.blocks | length) <= 50' >/dev/null &&
    ok "the header is cut to 150 characters, fields to 10 a section" || fail "big event cut" "$(sent | head -c 600)"

# --- Slack's answers ------------------------------------------------------
# 429 with Retry-After: the next attempt comes after it, not the schedule.
emu POST script '{"path":"/services/","answers":[{"status":429,"headers":{"Retry-After":"42"},"body":"rate_limited"}]}' >/dev/null
emit finding.created "F-429-$RUN" '{"severity":"high","title":"rate limited"}'
D=$(last_delivery "$MAIN")
deliver
n=$(psql_q "SELECT trim_scale(extract(epoch FROM next_attempt_at - updated_at)) FROM hookpost.deliveries WHERE id = '$D'")
[ "$(row "$D")" = "pending:1:429:HTTP 429: rate_limited" ] && [ "$n" = 42 ] &&
    ok "429 Retry-After: 42 is honoured (next attempt 42 s later)" || fail "429 Retry-After" "$(row "$D") next in $n"
psql_q "UPDATE hookpost.deliveries SET next_attempt_at = now() WHERE id = '$D'" >/dev/null
deliver
[ "$(row "$D")" = "delivered:2:200:" ] && ok "and the retry is delivered" || fail "429 then delivered" "$(row "$D")"

# 5xx: retried on the seed's schedule (retry_count 3: 30 s, 2 min, 10 min).
n=$(psql_q "SELECT retry_schedule FROM hookpost.subscriptions WHERE id = '$MAIN'")
[ "$n" = "{30,120,600}" ] && ok "retry_count 3 is the seed's schedule 30 s, 2 min, 10 min" || fail "retry schedule" "$n"
emu POST script '{"path":"/services/","answers":[{"status":500,"body":"rollup_error"},{"status":503,"body":""}]}' >/dev/null
emit finding.created "F-500-$RUN" '{"severity":"high","title":"server error"}'
D=$(last_delivery "$MAIN")
deliver
n=$(psql_q "SELECT trim_scale(extract(epoch FROM next_attempt_at - updated_at)) FROM hookpost.deliveries WHERE id = '$D'")
[ "$(row "$D")" = "pending:1:500:HTTP 500: rollup_error" ] && [ "$n" = 30 ] &&
    ok "500 rollup_error: retried 30 s later (the seed's first retry)" || fail "500 retried" "$(row "$D") next in $n"
psql_q "UPDATE hookpost.deliveries SET next_attempt_at = now() WHERE id = '$D'" >/dev/null
deliver
n=$(psql_q "SELECT trim_scale(extract(epoch FROM next_attempt_at - updated_at)) FROM hookpost.deliveries WHERE id = '$D'")
[ "$(row "$D")" = "pending:2:503:HTTP 503" ] && [ "$n" = 120 ] &&
    ok "503: the second retry 2 min later" || fail "503 retried" "$(row "$D") next in $n"
psql_q "UPDATE hookpost.deliveries SET next_attempt_at = now() WHERE id = '$D'" >/dev/null
deliver
[ "$(row "$D")" = "delivered:3:200:" ] && ok "and the third attempt is delivered" || fail "delivered after 5xx" "$(row "$D")"

# 400 invalid_blocks / invalid_payload: failed for good, the reason kept.
for code in invalid_blocks invalid_payload; do
	emu POST script "{\"path\":\"/services/\",\"answers\":[{\"status\":400,\"body\":\"$code\"}]}" >/dev/null
	emit finding.created "F-$code-$RUN" '{"severity":"high","title":"refused"}'
	D=$(last_delivery "$MAIN")
	deliver
	n=$(psql_q "SELECT count(*) FROM hookpost.delivery_queue WHERE delivery_id = '$D'")
	[ "$(row "$D")" = "failed:1:400:HTTP 400: $code" ] && [ "$n" = 0 ] &&
	    ok "400 $code: failed, not retried, the reason recorded" || fail "400 $code" "$(row "$D") queued $n"
done
n=$(psql_q "SELECT status FROM hookpost.subscriptions WHERE id = '$MAIN'")
[ "$n" = active ] && ok "a refused message leaves the integration active" || fail "still active" "$n"
api GET "/api/integrations/$MAIN/deliveries"
expect "the delivery log shows the refusal" 200 "[.data[] | select(.last_error == \"HTTP 400: invalid_blocks\")] | length == 1"

# no_service (the webhook removed) and channel_is_archived (410): the
# integration is disabled, the delivery failed.
for dead in gone:sync.failed:404:no_service archived:sync.completed:410:channel_is_archived; do
	path=${dead%%:*} rest=${dead#*:}
	ev=${rest%%:*} rest=${rest#*:}
	status=${rest%%:*} code=${rest#*:}
	create "Slack $path $RUN" "[\"$ev\"]" "$HOOK/$path"
	emit "$ev" "S-$path-$RUN" '{"severity":"high","title":"dead hook"}'
	D=$(last_delivery "$SID")
	deliver
	n=$(psql_q "SELECT status FROM hookpost.subscriptions WHERE id = '$SID'")
	[ "$(row "$D")" = "failed:1:$status:HTTP $status: $code" ] && [ "$n" = disabled ] &&
	    ok "$status $code: not retried, the integration disabled" || fail "$code" "$(row "$D") integration $n"
done

# --- Test Connection ------------------------------------------------------
emu POST reset >/dev/null
api POST "/api/integrations/$MAIN/test" ''
expect "Test Connection sends a message and says it was delivered" 200 '.ok == true and .outcome == "delivered" and .status_code == 200 and .error == null'
sent | jq -e '.status == 200 and (.body | fromjson | .blocks[0].text.text == "hookpost test message")' >/dev/null &&
    ok "the test message is a valid Slack message" || fail "test message" "$(sent)"
emu POST script '{"path":"/services/","answers":[{"status":400,"body":"invalid_blocks"}]}' >/dev/null
api POST "/api/integrations/$MAIN/test" ''
expect "a refused test says why" 200 '.ok == false and .outcome == "failed" and .status_code == 400 and .error == "HTTP 400: invalid_blocks"'

# --- the webhook URL is a credential ---------------------------------------
grep -q "delivering webhook .* to 127.0.0.1:$EMU_PORT" "$LOGF" &&
    ok "the worker logs the host it sends to" || fail "the worker's log was captured" "$(head -5 "$LOGF")"
if grep -qF "$TOK" "$LOGF" "$ERR"; then
	fail "the webhook URL is in no log line" "$(grep -F "$TOK" "$LOGF" "$ERR" | head -3)"
else
	ok "the webhook URL is in no log line"
fi
api GET "/api/integrations/$MAIN/deliveries"
api GET "/api/integrations?type=slack"
[ "$(wc -l <"$ANSWERS")" -gt 10 ] && ! grep -qF "$TOK" "$ANSWERS" &&
    ok "the webhook URL is in no API answer ($(wc -l <"$ANSWERS") answers)" || fail "the webhook URL is in no API answer" "$(grep -F "$TOK" "$ANSWERS" | head -3)"
n=$(psql_q "SELECT count(*) FROM hookpost.delivery_attempts a JOIN hookpost.deliveries d ON d.id = a.delivery_id JOIN hookpost.subscriptions s ON s.id = d.subscription_id WHERE s.type = 'slack' AND (a::text LIKE '%$TOK%')")
[ "$n" = 0 ] && ok "nor in any recorded attempt" || fail "the webhook URL in an attempt" "$n"
