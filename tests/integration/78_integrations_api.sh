#!/bin/sh
# Integrations over HTTP (seed 003, issue 9): the typed routes
# /api/integrations and the seed's own /api/integrations/webhooks, one
# core beneath both.  Validation (types, settings, the SSRF guard,
# dangerous custom headers), secrets shown only as hints and never
# logged, the manage_settings permission and owners, the connectors
# module gate, HTML stripped from names, Test Connection against a local
# receiver, retryCount as a schedule, the seed's delivery log and manual
# retry.  Under lighttpd also one webhook end to end through the worker:
# the seed's body, X-TW-Signature checked by openssl, custom headers, and
# the seed's retry schedule (30 s, 2 min, 10 min, then failed).
. "$TOP/tests/lib.sh"

LOG=$(mktemp)
start_sink "$LOG" || fail "the test receiver starts"
trap 'kill $SINK 2>/dev/null; rm -f "$LOG"' EXIT
R=http://127.0.0.1:$PORT
SECRET="tw-secret-$RUN-0123456789"
AUTHZ="Bearer hdr-$RUN-credential-XYZW"
hint() { printf '…%s' "$(printf '%s' "$1" | tail -c 4)"; }

admin PUT /admin/quotas/webhooks/admin '{"max_subscriptions":1000,"max_subscription_requests_per_minute":1000,"max_subscription_requests_per_day":10000,"max_events_per_minute":100000}'
case $STATUS in 200|201) ok "setup: quota" ;; *) fail "setup: quota" "$STATUS $BODY" ;; esac

# --- typed integrations ----------------------------------------------------
admin POST /api/integrations "{\"type\":\"webhook\",\"name\":\"<b>Ops</b> hook $RUN<img src=x onerror=alert(1)>\",\"description\":\"<i>for</i> ops\",\"events\":[\"finding.created\",\"scan.*\"],\"severity_threshold\":\"high\",\"config\":{\"url\":\"$R/ok\",\"secret\":\"$SECRET\",\"headers\":{\"Authorization\":\"$AUTHZ\",\"X-Team\":\"blue\"}}}"
expect "POST /api/integrations creates a webhook integration" 201 \
    ".type == \"webhook\" and .enabled == true and .status == \"active\" and .retry_count == 3 and .severity_threshold == \"high\" and .owner_id == \"admin\" and .config.url == \"$R/ok\""
I1=$(jget .id)
expect_json "HTML tags are stripped from name and description" ".name == \"Ops hook $RUN\" and .description == \"for ops\""
expect_json "the secret and header values are hints in the POST answer" \
    ".config.secret == \"$(hint "$SECRET")\" and .config.headers.Authorization == \"$(hint "$AUTHZ")\" and .config.headers[\"X-Team\"] == \"…\""
case $BODY in *"$SECRET"*|*"$AUTHZ"*) fail "no secret in the POST answer" "$BODY" ;; *) ok "no secret in the POST answer" ;; esac
n=$(psql_q "SELECT (config ? 'secret')::text || ':' || (config_secret_enc IS NOT NULL)::text || ':' || (config_secret_enc LIKE '%$SECRET%')::text || ':' || url FROM hookpost.subscriptions WHERE id = '$I1'")
[ "$n" = "false:true:false:$R/ok" ] && ok "secrets are sealed apart from config (config_secret_enc), url kept" || fail "secrets are sealed apart from config" "$n"
n=$(psql_q "SELECT retry_schedule::text FROM hookpost.subscriptions WHERE id = '$I1'")
[ "$n" = "{30,120,600}" ] && ok "retry_count 3 is the seed's 30 s, 2 min, 10 min" || fail "retry_count 3 is the seed's schedule" "$n"

admin GET "/api/integrations/$I1"
expect "GET /api/integrations/:id shows hints" 200 ".id == \"$I1\" and .config.secret == \"$(hint "$SECRET")\" and (.last_successful_use == null) and .publication_failures == 0"
case $BODY in *"$SECRET"*|*"$AUTHZ"*) fail "no secret in GET" "$BODY" ;; *) ok "no secret in GET" ;; esac
admin GET "/api/integrations?type=webhook&limit=200"
expect "GET /api/integrations lists it in an envelope" 200 "(.data | map(.id) | index(\"$I1\")) != null and has(\"next_cursor\")"
case $BODY in *"$SECRET"*|*"$AUTHZ"*) fail "no secret in the list" ;; *) ok "no secret in the list" ;; esac
admin GET "/api/integrations?enabled=maybe"
expect "?enabled= must be true or false" 400 '.error.code == "invalid_field"'

# PUT: keys given replace; a secret left out keeps its value; null removes.
admin PUT "/api/integrations/$I1" '{"name":"renamed <em>x</em>","retry_count":5,"enabled":false,"config":{"headers":{"X-Team":"red-team-header"}}}'
expect "PUT changes the fields given" 200 '.name == "renamed x" and .retry_count == 5 and .enabled == false and .status == "disabled" and .config.headers["X-Team"] == "…ader" and (.config.headers | has("Authorization") | not)'
expect_json "PUT: a secret left out keeps its value" ".config.secret == \"$(hint "$SECRET")\""
n=$(psql_q "SELECT retry_schedule::text FROM hookpost.subscriptions WHERE id = '$I1'")
[ "$n" = "{30,120,600,3000,15000}" ] && ok "retry_count 5: then 5x the previous" || fail "retry_count 5: then 5x the previous" "$n"
admin PUT "/api/integrations/$I1" '{"retry_count":10,"enabled":true,"severity_threshold":null,"config":{"secret":null}}'
expect "PUT: null removes a secret; enabled again" 200 '(.config | has("secret") | not) and .enabled == true and .severity_threshold == null'
n=$(psql_q "SELECT retry_schedule::text || ':' || coalesce(config_secret_enc, 'none') FROM hookpost.subscriptions WHERE id = '$I1'")
case $n in "{30,120,600,3000,15000,75000,86400,86400,86400,86400}:"*) ok "retry_count 10: capped at 24 h" ;; *) fail "retry_count 10: capped at 24 h" "$n" ;; esac
admin PUT "/api/integrations/$I1" "{\"config\":{\"secret\":\"$SECRET\",\"headers\":{\"Authorization\":\"$AUTHZ\"}}}"
expect "PUT: the secret set again" 200 ".config.secret == \"$(hint "$SECRET")\""
case $BODY in *"$SECRET"*) fail "no secret in the PUT answer" ;; *) ok "no secret in the PUT answer" ;; esac

# --- validation ------------------------------------------------------------
bad() {	# NAME JSON [code]: POST is refused 400 (invalid_field)
	admin POST /api/integrations "$2"
	expect "refused: $1" 400 ".error.code == \"${3:-invalid_field}\""
}
ev='"events":["finding.created"]'
bad "an unknown type" "{\"type\":\"carrier-pigeon\",\"name\":\"x\",$ev,\"config\":{}}"
bad "type hookpost (seed 000's route)" "{\"type\":\"hookpost\",\"name\":\"x\",$ev,\"config\":{\"url\":\"$R/ok\"}}"
bad "a missing config key" "{\"type\":\"webhook\",\"name\":\"x\",$ev,\"config\":{}}"
bad "an unknown config key" "{\"type\":\"webhook\",\"name\":\"x\",$ev,\"config\":{\"url\":\"$R/ok\",\"colour\":\"red\"}}"
bad "an unknown event type" "{\"type\":\"webhook\",\"name\":\"x\",\"events\":[\"nope.never\"],\"config\":{\"url\":\"$R/ok\"}}"
bad "a name only of tags" "{\"type\":\"webhook\",\"name\":\"<b></b>\",$ev,\"config\":{\"url\":\"$R/ok\"}}"
bad "retry_count 11" "{\"type\":\"webhook\",\"name\":\"x\",$ev,\"retry_count\":11,\"config\":{\"url\":\"$R/ok\"}}"
bad "the cloud metadata address (SSRF guard)" "{\"type\":\"webhook\",\"name\":\"x\",$ev,\"config\":{\"url\":\"http://169.254.169.254/latest/meta-data\"}}"
bad "a private address (SSRF guard)" "{\"type\":\"webhook\",\"name\":\"x\",$ev,\"config\":{\"url\":\"http://10.1.2.3/hook\"}}"
# The allow list (127.0.0.0/8) covers exactly the address connected to:
# not the NAT64 or IPv4-compatible IPv6 addresses embedding 127.0.0.1.
bad "NAT64 of an allow-listed address (SSRF guard)" "{\"type\":\"webhook\",\"name\":\"x\",$ev,\"config\":{\"url\":\"http://[64:ff9b::7f00:1]:$PORT/ok\"}}"
bad "IPv4-compatible ::127.0.0.1 (SSRF guard)" "{\"type\":\"webhook\",\"name\":\"x\",$ev,\"config\":{\"url\":\"http://[::127.0.0.1]:$PORT/ok\"}}"
bad "a deny-listed name" "{\"type\":\"webhook\",\"name\":\"x\",$ev,\"config\":{\"url\":\"http://metadata.google.internal/x\"}}"
for h in Host Content-Length Connection Transfer-Encoding X-TW-Signature; do
	bad "custom header $h" "{\"type\":\"webhook\",\"name\":\"x\",$ev,\"config\":{\"url\":\"$R/ok\",\"headers\":{\"$h\":\"v\"}}}"
done
bad "a header value with CR/LF" "{\"type\":\"webhook\",\"name\":\"x\",$ev,\"config\":{\"url\":\"$R/ok\",\"headers\":{\"X-A\":\"a\\r\\nX-Injected: 1\"}}}"
many=$(seq 1 21 | awk '{ printf "%s\"X-H%d\":\"v\"", (NR > 1 ? "," : ""), $1 }')
bad "too many headers" "{\"type\":\"webhook\",\"name\":\"x\",$ev,\"config\":{\"url\":\"$R/ok\",\"headers\":{$many}}}"
admin PUT "/api/integrations/$I1" '{"config":{"headers":{"Host":"evil"}}}'
expect "PUT checks the merged settings too" 400 '.error.code == "invalid_field"'

# --- seed 000's subscriptions do not show integrations, and vice versa -------
admin GET "/admin/webhooks/subscriptions/$I1"
expect "an integration is not a seed 000 subscription" 404 '.error.code == "not_found"'
admin GET "/admin/webhooks/subscriptions?limit=200"
expect "nor listed there" 200 "map(.id) | index(\"$I1\") == null"
admin DELETE "/admin/webhooks/subscriptions/$I1"
expect "nor deleted there" 404 '.error.code == "not_found"'
admin POST /admin/webhooks/subscriptions "{\"name\":\"classic $RUN\",\"url\":\"$R/challenge\",\"events\":[\"note.created\"]}"
HP=$(jget .id)
admin GET "/api/integrations/$HP"
expect "a seed 000 subscription is not an integration" 404 '.error.code == "not_found"'

# --- permissions and owners -------------------------------------------------
admin POST /api/tokens "{\"role\":\"user\",\"owner_id\":\"int-$RUN\",\"permissions\":[\"manage_settings\"]}"
expect "POST /api/tokens grants manage_settings" 201 '.permissions == ["manage_settings"]'
UT=$(jget .token)
admin POST /api/tokens "{\"role\":\"user\",\"owner_id\":\"int-$RUN\"}"
PLAIN=$(jget .token)
admin POST /api/tokens '{"role":"user","owner_id":"x","permissions":["root"]}'
expect "an unknown permission is refused" 400 '.error.code == "invalid_field"'
as "$PLAIN" GET /api/integrations
expect "without manage_settings: 403" 403 '.error.code == "forbidden"'
req GET /api/integrations
expect "without a token: 401" 401 '.error.code == "unauthorized"'
as "$UT" POST /api/integrations "{\"type\":\"webhook\",\"name\":\"mine $RUN\",$ev,\"config\":{\"url\":\"$R/ok\"}}"
expect "with manage_settings: a user creates its own" 201 ".owner_id == \"int-$RUN\""
U1=$(jget .id)
as "$UT" GET /api/integrations
expect "and sees only its own" 200 "(.data | map(.id)) == [\"$U1\"]"
# An integration's deliveries are seen through /api/integrations only:
# seed 000's delivery routes show them to admins, not to a token of the
# same owner without manage_settings (review of issue 9).
as "$UT" POST "/api/integrations/$U1/test" ''
expect "a user's own Test Connection" 200 '.ok == true'
UD=$(jget .delivery_id)
as "$PLAIN" GET "/admin/webhooks/deliveries?subscription_id=$U1"
expect "seed 000's list hides an integration's deliveries from a token without manage_settings" 200 'length == 0'
as "$PLAIN" GET "/admin/webhooks/deliveries/$UD"
expect "and its delivery: 404" 404 '.error.code == "not_found"'
as "$PLAIN" POST "/admin/webhooks/deliveries/$UD/retry" ''
expect "and its retry: 404" 404 '.error.code == "not_found"'
as "$PLAIN" GET "/webhook-deliveries/$UD"
expect "and its callback route: 404" 404 '.error.code == "not_found"'
as "$UT" GET "/api/integrations/$U1/deliveries"
expect "the integration's own route shows it" 200 ".data[0].id == \"$UD\""
admin GET "/admin/webhooks/deliveries/$UD"
expect "an admin sees it in seed 000's routes too" 200 ".id == \"$UD\" and .subscription_type == \"webhook\""
as "$UT" GET "/api/integrations/$I1"
expect "another owner's is 404" 404 '.error.code == "not_found"'
as "$UT" DELETE "/api/integrations/$I1"
expect "and cannot be deleted" 404 '.error.code == "not_found"'
J=$(jwt "{\"sub\":\"int-$RUN\",\"role\":\"user\",\"permissions\":[\"MANAGE_SETTINGS\"],\"exp\":$(($(date +%s) + 600))}" "$HOOKPOST_JWT_SECRET")
as "$J" GET "/api/integrations/$U1"
expect "a JWT with the permissions claim (any case)" 200 ".id == \"$U1\""
J=$(jwt "{\"sub\":\"int-$RUN\",\"role\":\"user\",\"exp\":$(($(date +%s) + 600))}" "$HOOKPOST_JWT_SECRET")
as "$J" GET "/api/integrations/$U1"
expect "a JWT without it: 403" 403 '.error.code == "forbidden"'

# The connectors module: one request as plain CGI with HOOKPOST_MODULES
# set (the environment overrides the configuration file).
cgi() {	# MODULES: outbound.fcgi as CGI, GET /api/integrations
	(cd /tmp && $RUNAS env -i HOOKPOST_CONFIG="$HOOKPOST_CONFIG" HOOKPOST_MODULES="$1" \
	    REQUEST_METHOD=GET REQUEST_URI=/api/integrations \
	    HTTP_AUTHORIZATION="Bearer $TOKEN" "$TOP/bin/outbound.fcgi" </dev/null 2>/dev/null)
}
out=$(cgi "reports")
case $out in *"Status: 403"*module_disabled*) ok "without the connectors module: 403 module_disabled" ;;
*) fail "without the connectors module: 403 module_disabled" "$out" ;; esac
out=$(cgi "reports, connectors")
case $out in *"Status: 200"*) ok "with it in the list: 200" ;; *) fail "with it in the list: 200" "$out" ;; esac

# --- seed 003's webhook routes ---------------------------------------------
admin POST /api/integrations/webhooks "{\"name\":\"Seed <b>hook</b> $RUN\",\"url\":\"$R/ok\",\"events\":[\"scan.completed\"],\"secret\":\"$SECRET\",\"headers\":{\"X-Team\":\"seed-team-header\"},\"retryCount\":2}"
expect "POST /api/integrations/webhooks (the seed's fields)" 201 \
    ".name == \"Seed hook $RUN\" and .url == \"$R/ok\" and .hasSecret == true and .retryCount == 2 and .enabled == true and .headers[\"X-Team\"] == \"…ader\" and has(\"createdAt\") and has(\"updatedAt\")"
W1=$(jget .id)
case $BODY in *"$SECRET"*|*seed-team-header*) fail "no secret in the seed's answer" ;; *) ok "no secret in the seed's answer" ;; esac
admin GET /api/integrations/webhooks
expect "GET .../webhooks: webhooks and availableEvents" 200 \
    "(.webhooks | map(.id) | index(\"$W1\")) != null and (.webhooks | map(.id) | index(\"$HP\")) == null and (.availableEvents | map(.type) | index(\"finding.created\")) != null and (.availableEvents[0] | has(\"description\"))"
admin GET "/api/integrations/webhooks/$W1"
expect "GET .../webhooks/:id" 200 ".id == \"$W1\" and .hasSecret == true"
admin PUT "/api/integrations/webhooks/$W1" '{"secret":null,"retryCount":0,"name":"seed renamed"}'
expect "PUT .../webhooks/:id: secret null removes it" 200 '.hasSecret == false and .retryCount == 0 and .name == "seed renamed"'
n=$(psql_q "SELECT retry_schedule::text FROM hookpost.subscriptions WHERE id = '$W1'")
[ "$n" = "{}" ] && ok "retryCount 0: no retries" || fail "retryCount 0: no retries" "$n"
admin PUT "/api/integrations/webhooks/$W1" '{"headers":{"Transfer-Encoding":"chunked"}}'
expect "PUT .../webhooks/:id refuses a dangerous header" 400 '.error.code == "invalid_field"'
admin GET "/api/integrations/webhooks/$U1"
expect "the typed and the seed's routes are one" 200 ".id == \"$U1\""

# --- Test Connection ----------------------------------------------------------
admin POST "/api/integrations/$I1/test" ''
expect "test against /ok: ok true" 200 '.ok == true and .outcome == "delivered" and .status_code == 200 and (.response_ms | type == "number") and .error == null'
TD=$(jget .delivery_id)
d=$(jq -c "select(.path == \"/ok\" and .headers[\"x-tw-event\"] == \"integration.test\")" "$LOG" | tail -1)
printf '%s' "$d" | jq -e "(.body | fromjson | .event == \"integration.test\" and .data.title == \"hookpost test message\") and .headers.authorization == \"$AUTHZ\"" >/dev/null &&
    ok "the test message reached the receiver, custom headers with it" || fail "the test message reached the receiver" "$d"
admin GET "/api/integrations/$I1/deliveries"
expect "the test is recorded in the integration's deliveries" 200 \
    ".data[0].id == \"$TD\" and .data[0].status == \"delivered\" and .data[0].event_type == \"integration.test\" and .data[0].last_status_code == 200 and .data[0].attempt_count == 1 and has(\"next_cursor\")"
n=$(psql_q "SELECT count(*) FROM hookpost.delivery_attempts WHERE delivery_id = '$TD' AND status_code = 200")
[ "$n" = 1 ] && ok "with its attempt" || fail "with its attempt" "$n"
# A new URL is a new host: the secrets set for the old one go there only
# when given again (review of issue 9).
admin PUT "/api/integrations/webhooks/$W1" "{\"url\":\"$R/status/500\"}"
expect "a changed URL without its secrets: 400 secret_required" 400 '.error.code == "secret_required" and (.error.message | test("config[.](secret|headers)"))'
admin PUT "/api/integrations/webhooks/$W1" "{\"url\":\"$R/status/500\",\"secret\":\"$SECRET\",\"headers\":{\"X-Team\":\"seed-team-header\"}}"
expect "a changed URL with its secrets given again: 200" 200 ".url == \"$R/status/500\" and .hasSecret == true"
admin POST "/api/integrations/$W1/test" ''
expect "test against /status/500: ok false" 200 '.ok == false and .outcome == "retry" and .status_code == 500 and (.error | test("500"))'
FD=$(jget .delivery_id)
admin GET "/api/integrations/webhooks/deliveries?webhookId=$W1"
expect "GET .../webhooks/deliveries: the seed's fields" 200 \
    ".deliveries[0].id == \"$FD\" and .deliveries[0].webhookId == \"$W1\" and .deliveries[0].event == \"integration.test\" and .deliveries[0].status == \"failed\" and .deliveries[0].success == false and .deliveries[0].statusCode == 500 and (.deliveries[0].responseTimeMs | type == \"number\") and (.deliveries[0].error | test(\"500\")) and .deliveries[0].attempts == 1 and .deliveries[0].completedAt != null and has(\"next_cursor\")"
admin GET "/api/integrations/webhooks/deliveries?status=bogus"
expect "?status= is checked" 400 '.error.code == "invalid_field"'
admin POST "/api/integrations/webhooks/deliveries/$FD/retry" ''
expect "manual retry of a failed delivery: 202" 202 ".id == \"$FD\" and .status == \"pending\""
admin POST "/api/integrations/webhooks/deliveries/$FD/retry" ''
expect "a pending one cannot be retried" 409 '.error.code == "conflict"'
admin POST "/api/integrations/webhooks/deliveries/$TD/retry" ''
expect "a delivered one neither" 409 '.error.code == "conflict"'
admin GET "/api/integrations/$HP/deliveries"
expect "no integration deliveries for a seed 000 subscription" 404 '.error.code == "not_found"'

# --- the types and their settings (the console's forms) ---------------------
admin GET /api/integrations/types
expect "GET /api/integrations/types: every type but hookpost, from the connector table" 200 \
    '(.data | map(.type)) == ["webhook","slack","pagerduty","teams","jira","servicenow","email"] and (.data | map(.title) | all(length > 0))'
expect_json "slack: webhook_url, required, secret, labelled" \
    '(.data[] | select(.type == "slack") | .settings) == [{"name":"webhook_url","type":"string","required":true,"nullable":false,"secret":true,"enum":null,"label":"Incoming webhook URL","hint":(.data[] | select(.type == "slack") | .settings[0].hint),"default":null,"group":null,"widget":null,"min":1,"max":2048}]'
expect_json "jira: the seed's steps as groups, its mapping default, its test steps" \
    '(.data[] | select(.type == "jira")) as $j | $j.tickets == true and $j.test_steps == [{"name":"authentication","group":"connection"},{"name":"project","group":"project"},{"name":"issue type","group":"project"},{"name":"permission","group":"connection"}] and ($j.groups | map(.name)) == ["connection","project","fields","auto-creation","lifecycle"] and ($j.groups[0].title == "Connection") and ($j.settings | map(select(.secret) | .name)) == ["api_token","pat"] and ($j.settings[] | select(.name == "mapping") | .default.critical == {"issue_type":"Bug","priority":"Highest"} and .default.medium == {"issue_type":"Task","priority":"Medium"} and .widget == "severity_map" and .group == "project") and ($j.settings[] | select(.name == "auto_create_threshold") | .enum == ["critical","high","medium","low","info"] and .default == "low" and .group == "auto-creation")'
expect_json "pagerduty: defaults shown" '(.data[] | select(.type == "pagerduty") | .settings[] | select(.name == "events_url") | .default) == "https://events.pagerduty.com/v2/enqueue"'
expect_json "beside the types: the severities and retry_count's default and range" \
    '.severities == ["critical","high","medium","low","info"] and .retry_count == {"default":3,"min":0,"max":10}'
expect_json "every setting of every type has a label; slack names no test steps" \
    '([.data[].settings[] | select((.label | type) != "string" or .label == "")] | length) == 0 and (.data[] | select(.type == "slack") | .test_steps) == null'
as "$UT" GET /api/integrations/types
expect "a manage_settings token reads the types" 200 '(.data | length) == 7'
as "$PLAIN" GET /api/integrations/types
expect "without manage_settings: 403" 403 '.error.code == "forbidden"'
admin POST "/api/integrations/$I1/test" ''
expect "a test answer has step (null when none failed)" 200 '.ok == true and has("step") and .step == null'

# --- Test Connection names the failed step as data (the Jira emulator) ------
# A refusal names its step; a service that did not answer (503) names none.
EMULOG=$(mktemp)
start_emu jira "$EMULOG" || fail "the Jira emulator starts"
trap 'kill $SINK $EMU 2>/dev/null; rm -f "$LOG" "$EMULOG"' EXIT
E=http://127.0.0.1:$EMU_PORT
JEMAIL=bot-$RUN@acme.example
JTOK=ATATT$(openssl rand -hex 16)
curl -s "$E/_jira/user" -d "{\"email\":\"$JEMAIL\",\"api_token\":\"$JTOK\"}" >/dev/null
admin POST /api/integrations "{\"type\":\"jira\",\"name\":\"steps $RUN\",\"events\":[\"sync.failed\"],\"enabled\":false,\"config\":{\"url\":\"$E\",\"email\":\"$JEMAIL\",\"api_token\":\"$JTOK\",\"project_key\":\"NOPE\",\"resolve_transition\":\"Close\"}}"
expect "setup: a jira integration, disabled" 201 '.config.resolve_transition == "Close"'
JS=$(jget .id)
admin POST "/api/integrations/$JS/test" ''
expect "an unknown project: step project" 200 '.ok == false and .step == "project" and .status_code == 404'
admin PUT "/api/integrations/$JS" '{"config":{"project_key":"OPS"}}'
expect_status "setup: project OPS (it has no Bug)" 200
admin POST "/api/integrations/$JS/test" ''
expect "a mapped issue type the project lacks: step issue type" 200 '.ok == false and .step == "issue type"'
admin PUT "/api/integrations/$JS" '{"config":{"project_key":"SEC"}}'
curl -s "$E/_emu/script" -d '{"path":"/rest/api/3/myself","answers":[{"status":503,"body":"down for maintenance"}]}' >/dev/null
admin POST "/api/integrations/$JS/test" ''
expect "a 503 at the first request: no step is blamed, the error says what came back" 200 '.ok == false and .step == null and .status_code == 503 and (.error | test("503"))'
admin PUT "/api/integrations/$JS" '{"config":{"api_token":"ATATTwrong-token-0123456789"}}'
admin POST "/api/integrations/$JS/test" ''
expect "a wrong token: step authentication" 200 '.ok == false and .step == "authentication" and .status_code == 401'
# null removes an optional setting that is not a secret too.
admin PUT "/api/integrations/$JS" '{"config":{"resolve_transition":null}}'
expect "PUT: null removes an optional setting (resolve_transition)" 200 '(.config | has("resolve_transition") | not) and .config.project_key == "SEC"'
admin PUT "/api/integrations/$JS" "{\"config\":{\"url\":\"http://127.0.0.1:$EMU_PORT/other\"}}"
expect "a changed Jira URL needs the token again: secret_required" 400 '.error.code == "secret_required"'
admin DELETE "/api/integrations/$JS"
expect_status "setup: the step integration deleted" 204

admin GET /api/integrations/docs/openapi
expect "GET /api/integrations/docs/openapi: the OpenAPI document" 200 '.openapi | startswith("3.")'
expect_json "documenting the integration routes" '.paths | has("/api/integrations") and has("/api/integrations/webhooks/deliveries/{id}/retry")'

# --- deletes -------------------------------------------------------------------
admin DELETE "/api/integrations/webhooks/$I1"
expect_status "DELETE .../webhooks/:id: 204" 204
admin GET "/api/integrations/$I1"
expect "gone" 404 '.error.code == "not_found"'
admin DELETE "/api/integrations/$U1"
expect_status "DELETE /api/integrations/:id: 204" 204
admin DELETE "/admin/webhooks/subscriptions/$HP" >/dev/null

# --- end to end through the worker (lighttpd only: the worker does not
# depend on the web server) -------------------------------------------------
if [ "$SERVER" = lighttpd ]; then
	W="$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_DELIVERY_TIMEOUT_MS=1500 HOOKPOST_RETRY_JITTER=0"
	deliver() { $W "$TOP/bin/hookpost-deliver" -1 -n "i-$RUN" 2>/dev/null; }
	due_in() {	# DELIVERY: seconds from its last attempt's end to its next
		psql_q "SELECT round(extract(epoch FROM d.next_attempt_at - (a.started_at + a.response_ms * interval '1 ms')))::int FROM hookpost.deliveries d, LATERAL (SELECT started_at, coalesce(response_ms, 0) AS response_ms FROM hookpost.delivery_attempts WHERE delivery_id = d.id ORDER BY id DESC LIMIT 1) a WHERE d.id = '$1'"
	}
	due_now() { psql_q "UPDATE hookpost.deliveries SET next_attempt_at = now() WHERE id = '$1'" >/dev/null; }

	admin POST /api/integrations/webhooks "{\"name\":\"e2e $RUN\",\"url\":\"$R/ok\",\"events\":[\"finding.created\"],\"secret\":\"$SECRET\",\"headers\":{\"X-Team\":\"blue-team\",\"Authorization\":\"$AUTHZ\"}}"
	E1=$(jget .id)
	EV=$(psql_q "SELECT hookpost.emit('finding.created', 'finding', 'f-$RUN', NULL, 'o1', '{\"title\":\"SQL injection\",\"severity\":\"high\"}')")
	deliver
	d=$(jq -c "select(.path == \"/ok\" and .headers[\"x-tw-event\"] == \"finding.created\")" "$LOG" | tail -1)
	body=$(printf '%s' "$d" | jq -r .body)
	printf '%s' "$body" | jq -e "(keys == [\"data\", \"event\", \"id\", \"timestamp\"]) and .id == \"$EV\" and .event == \"finding.created\" and (.timestamp | test(\"Z\$\")) and .data.title == \"SQL injection\" and .data.severity == \"high\"" >/dev/null &&
	    ok "worker: the seed's body {id, event, timestamp, data}" || fail "worker: the seed's body {id, event, timestamp, data}" "$d"
	want="sha256=$(hmac sha256 "$SECRET" "$body")"
	[ "$(printf '%s' "$d" | jq -r '.headers["x-tw-signature"]')" = "$want" ] &&
	    ok "worker: X-TW-Signature verifies (openssl HMAC-SHA256 of the body)" || fail "worker: X-TW-Signature verifies" "$d"
	printf '%s' "$d" | jq -e ".headers[\"x-tw-event\"] == \"finding.created\" and .headers[\"x-team\"] == \"blue-team\" and .headers.authorization == \"$AUTHZ\" and .headers[\"content-type\"] == \"application/json\"" >/dev/null &&
	    ok "worker: X-TW-Event and the custom headers arrive" || fail "worker: X-TW-Event and the custom headers arrive" "$d"
	admin GET "/api/integrations/webhooks/deliveries?webhookId=$E1"
	expect "worker: the delivery log shows it delivered" 200 '.deliveries[0].status == "delivered" and .deliveries[0].success == true and .deliveries[0].statusCode == 200 and .deliveries[0].nextAttemptAt == null'

	# seed 003 "Retry Logic": 30 s, 2 min, 10 min (retryCount 3), then failed.
	admin PUT "/api/integrations/webhooks/$E1" "{\"url\":\"$R/status/500\",\"secret\":\"$SECRET\",\"headers\":{\"X-Team\":\"blue-team\",\"Authorization\":\"$AUTHZ\"}}"
	psql_q "SELECT hookpost.emit('finding.created', 'finding', 'f2-$RUN', NULL, 'o1', '{}')" >/dev/null
	D=$(psql_q "SELECT id FROM hookpost.deliveries WHERE subscription_id = '$E1' AND status = 'pending'")
	sched=
	for i in 1 2 3; do
		deliver
		sched="$sched $(due_in "$D")"
		due_now "$D"
	done
	deliver
	case $sched in " 30 120 600") ok "worker: retries after 30 s, 2 min, 10 min" ;;
	*) fail "worker: retries after 30 s, 2 min, 10 min" "$sched" ;; esac
	admin GET "/api/integrations/webhooks/deliveries?webhookId=$E1&status=failed"
	expect "worker: then failed, 4 attempts, the error logged" 200 ".deliveries[0].id == \"$D\" and .deliveries[0].attempts == 4 and .deliveries[0].statusCode == 500 and .deliveries[0].success == false and .deliveries[0].nextAttemptAt == null"
	admin DELETE "/api/integrations/webhooks/$E1"
fi

# No secret in any log of the server or the handlers.
if grep -rqF -e "$SECRET" -e "$AUTHZ" "$HOOKPOST_VAR/log" 2>/dev/null; then
	fail "no secret in the logs" "$(grep -rlF -e "$SECRET" -e "$AUTHZ" "$HOOKPOST_VAR/log")"
else
	ok "no secret in the logs"
fi
