#!/bin/sh
# seed 003 integrations from the CLI (hookpost integration, and hookpost
# deliveries for their deliveries) against the running server and a real
# local receiver (bin/bench-sink); then, under Apache only (make run's
# server; it uses fixed names), the README's integrations walkthrough.
. "$TOP/tests/lib.sh"
export HOOKPOST_URL=$BASE HOOKPOST_TOKEN=$TOKEN
HP=$TOP/bin/hookpost

T_ERR=$(mktemp)
SINKLOG=$(mktemp)
start_sink "$SINKLOG" || fail "the test receiver starts"
EMU=
trap 'kill $SINK $EMU 2>/dev/null; rm -f "$T_ERR" "$SINKLOG"' EXIT
R=http://127.0.0.1:$PORT

# run NAME CMD...: the command must exit 0; its stdout is in OUT.
run() {
	_n=$1; shift
	OUT=$("$@" 2>"$T_ERR"); _rc=$?
	[ $_rc = 0 ] && ok "$_n" || fail "$_n" "rc=$_rc $OUT $(cat "$T_ERR")"
}
# refused NAME RC TEXT CMD...: exit status RC, TEXT on stderr.
refused() {
	_n=$1 _want=$2 _text=$3; shift 3
	OUT=$("$@" 2>"$T_ERR"); _rc=$?
	if [ $_rc = "$_want" ] && grep -qF -- "$_text" "$T_ERR"; then ok "$_n"
	else fail "$_n" "rc=$_rc (want $_want), want '$_text' in: $(cat "$T_ERR") $OUT"; fi
}
# hint S: what the API shows of a secret setting S of 12 or more bytes.
hint() { printf '…%s' "$(printf '%s' "$1" | tail -c 4)"; }
# has NAME JQ: the JSON in OUT satisfies JQ.
has() {
	printf '%s' "$OUT" | jq -e "$2" >/dev/null 2>&1 && ok "$1" || fail "$1" "jq '$2' on: $OUT"
}

# --- add: every option, secrets from the environment and stdin --------
export TW_SECRET="cli-secret-$RUN-9f3a"
run "integration add webhook with every option" $HP --json integration add webhook "CLI <b>hook</b> $RUN" \
    --events finding.created,scan.completed --events 'sla.*' \
    --config url="$R/ok" --config secret=@env:TW_SECRET \
    --config headers:='{"X-Team":"secops-header-value"}' \
    --severity-threshold high --retry-count 2 --description 'made by <i>78</i>'
I=$(printf '%s' "$OUT" | jq -r .id)
has "add sends each field (name and description without tags)" \
    ".type == \"webhook\" and .name == \"CLI hook $RUN\" and .description == \"made by 78\" and .events == [\"finding.created\",\"scan.completed\",\"sla.*\"] and .severity_threshold == \"high\" and .retry_count == 2 and .enabled == true and .status == \"active\" and .config.url == \"$R/ok\""
has "the secret from @env:NAME is shown as its hint only" '.config.secret == "…9f3a"'
case $OUT in *"$TW_SECRET"*|*secops-header-value*) fail "add prints no secret setting" "$OUT" ;; *) ok "add prints no secret setting" ;; esac
n=$(psql_q "SELECT count(*) FROM hookpost.subscriptions WHERE id = '$I' AND config_secret_enc IS NOT NULL AND config_secret_enc NOT LIKE '%9f3a%' AND config::text NOT LIKE '%secops-header-value%'")
[ "$n" = 1 ] && ok "the secret settings are sealed at rest" || fail "the secret settings are sealed at rest" "$n"

OUT=$(printf 'stdin-secret-%s-77e1\n' "$RUN" | $HP --json integration add webhook "stdin $RUN" \
    --events scan.failed --config url="$R/ok" --config secret=@- --disabled 2>"$T_ERR")
has "KEY=@- reads the first line of stdin; --disabled" '.config.secret == "…77e1" and .enabled == false and .status == "disabled"'
I2=$(printf '%s' "$OUT" | jq -r .id)

printf '{"url": "%s/ok", "secret": "file-secret-%s-c0de"}\n' "$R" "$RUN" >"$T_ERR.json"
run "--config-file, with a --config flag over one of its keys" $HP --json integration add webhook "file $RUN" \
    --events scan.failed --config-file "$T_ERR.json" --config url="$R/status/500"
has "the file's settings, the flag winning" ".config.url == \"$R/status/500\" and .config.secret == \"…c0de\""
I3=$(printf '%s' "$OUT" | jq -r .id)
rm -f "$T_ERR.json"

refused "an unknown type: exit 1 with the server's invalid_field" 1 invalid_field \
    $HP integration add fax "fax $RUN" --events scan.failed --config url="$R/ok"
refused "a bad setting: exit 1, the server names it" 1 invalid_field \
    $HP integration add webhook "bad $RUN" --events scan.failed --config url="$R/ok" --config secret=short
refused "a usage error is 2, before any request" 2 "--events is required" \
    $HP integration add webhook "x $RUN" --config url="$R/ok"

# --- list, show ------------------------------------------------------
run "integration list --type webhook" $HP integration list --type webhook --limit 200
if printf '%s\n' "$OUT" | grep -q "^ID  *TYPE  *NAME  *STATUS" &&
    printf '%s\n' "$OUT" | grep "^$I " | grep -q "webhook  *CLI hook $RUN  *active"; then
	ok "list prints a table with the integration"
else
	fail "list prints a table with the integration" "$OUT"
fi
run "integration list --enabled false --json" $HP --json integration list --enabled false --limit 200
has "--enabled false: the disabled one, not the enabled one (the server's envelope)" \
    "(.data | map(.id) | index(\"$I2\") != null and index(\"$I\") == null) and has(\"next_cursor\")"
run "integration list --all --limit 1 --type webhook" $HP --json integration list --all --limit 1 --type webhook
has "--all follows next_cursor: one array, each of ours once" \
    "type == \"array\" and (map(.id) | (index(\"$I\") != null) and (index(\"$I2\") != null) and (index(\"$I3\") != null) and length == (unique | length))"
run "integration show" $HP integration show "$I"
case $OUT in *"severity_threshold:"*high*"config.url:"*"$R/ok"*"config.secret:"*"…9f3a"*"config.headers:"*"X-Team=…alue"*) ok "show prints the settings, the secret as its hint" ;;
*) fail "show prints the settings, the secret as its hint" "$OUT" ;; esac

# --- update ----------------------------------------------------------
OUT=$(printf 'rotated-%s-5e7b\n' "$RUN" | $HP --json integration update "$I" --name "renamed $RUN" \
    --config secret=@- --config headers:=null --severity-threshold none --retry-count 0 2>"$T_ERR")
has "update: a new secret from stdin, headers removed, threshold none, retries 0" \
    ".name == \"renamed $RUN\" and .config.secret == \"…5e7b\" and (.config | has(\"headers\") | not) and .severity_threshold == null and .retry_count == 0 and .config.url == \"$R/ok\""
run "update --disabled" $HP --json integration update "$I" --disabled
has "disabled" '.enabled == false and .status == "disabled"'
run "update --enabled" $HP --json integration update "$I" --enabled --events finding.created
has "enabled again, events replaced, the secret kept" '.enabled == true and .events == ["finding.created"] and .config.secret == "…5e7b"'
refused "a new URL without its secret: exit 1, secret_required" 1 secret_required \
    $HP integration update "$I" --config url="$R/ok?moved"
OUT=$(printf 'rotated-%s-5e7b\n' "$RUN" | $HP --json integration update "$I" --config url="$R/ok" --config secret=@- 2>"$T_ERR")
has "a new URL with its secret given again" ".config.url == \"$R/ok\" and .config.secret == \"…5e7b\""

# --- test: the outcome, and the exit status -----------------------------
: >"$SINKLOG"
run "integration test of a receiver that answers 200" $HP integration test "$I"
case $OUT in *"ok:"*true*"outcome:"*delivered*"status_code:"*200*"response_ms:"*) ok "test prints outcome, status code and time" ;;
*) fail "test prints outcome, status code and time" "$OUT" ;; esac
d=$(jq -c 'select(.path == "/ok")' "$SINKLOG" | tail -n 1)
body=$(printf '%s' "$d" | jq -r .body)
want="sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "rotated-$RUN-5e7b" | sed 's/^.*= //')"
[ -n "$body" ] && [ "$(printf '%s' "$d" | jq -r '.headers["x-tw-signature"]')" = "$want" ] &&
    printf '%s' "$d" | jq -e '.headers["x-tw-event"] == "integration.test"' >/dev/null &&
    ok "the test message is signed with the rotated secret (X-TW-Signature)" ||
    fail "the test message is signed with the rotated secret (X-TW-Signature)" "$d"
refused "integration test of a receiver that answers 500: exit 1" 1 "the test was not delivered" \
    $HP integration test "$I3"
case $OUT in *"ok:"*false*"status_code:"*500*) ok "and prints the failed outcome" ;; *) fail "and prints the failed outcome" "$OUT" ;; esac
OUT=$($HP --json integration test "$I3" 2>/dev/null); rc=$?
[ $rc = 1 ] && has "test --json: the server's answer, still exit 1" '.ok == false and .status_code == 500 and (.error | type == "string")' ||
    fail "test --json: the server's answer, still exit 1" "rc=$rc $OUT"

# Slack and Teams: the webhook URL is the secret, from stdin or a file;
# the local receiver answers 200 "ok", which both take.
OUT=$(printf '%s/ok\n' "$R" | $HP --json integration add slack "#alerts $RUN" --events finding.created \
    --severity-threshold high --config webhook_url=@- 2>"$T_ERR")
has "integration add slack, webhook_url from stdin, shown as its hint" \
    ".type == \"slack\" and .severity_threshold == \"high\" and .config.webhook_url == \"$(hint "$R/ok")\""
SL=$(printf '%s' "$OUT" | jq -r .id)
case $OUT in *"$R"*) fail "the Slack webhook URL is not shown" "$OUT" ;; *) ok "the Slack webhook URL is not shown" ;; esac
: >"$SINKLOG"
run "integration test of Slack" $HP integration test "$SL"
jq -e 'select(.path == "/ok") | .body | fromjson | (.blocks | length) > 0 and (.text | type == "string")' "$SINKLOG" >/dev/null &&
    ok "the Slack test is a Block Kit message" || fail "the Slack test is a Block Kit message" "$(cat "$SINKLOG")"
printf '{"webhook_url": "%s/ok?api-version=2016-06-01&sp=%%2Ftriggers%%2Fmanual%%2Frun&sv=1.0&sig=c2lnbmF0dXJl"}\n' "$R" >"$T_ERR.json"
run "integration add teams --config-file" $HP --json integration add teams "Teams $RUN" --events 'sla.*' --config-file "$T_ERR.json"
has "the Teams URL is its hint" '.type == "teams" and .config.webhook_url == "…dXJl"'
TM=$(printf '%s' "$OUT" | jq -r .id)
rm -f "$T_ERR.json"
: >"$SINKLOG"
run "integration test of Teams" $HP integration test "$TM"
jq -e 'select(.path | startswith("/ok?")) | .body | fromjson | .type == "message" and .attachments[0].contentType == "application/vnd.microsoft.card.adaptive"' "$SINKLOG" >/dev/null &&
    ok "the Teams test is an Adaptive Card message" || fail "the Teams test is an Adaptive Card message" "$(cat "$SINKLOG")"
$HP integration rm "$SL" >/dev/null 2>&1
$HP integration rm "$TM" >/dev/null 2>&1

# PagerDuty resolves its test alert; a resolve that fails leaves it open
# in PagerDuty, which the exit status says.  (The emulator answers as the
# Events API v2 does; its /_emu/script forces the next answers.)
if [ "$SERVER" = lighttpd ]; then
	EMULOG=$(mktemp)
	if start_emu pagerduty "$EMULOG"; then
		E=http://127.0.0.1:$EMU_PORT
		PD_KEY=$(openssl rand -hex 16)
		export PD_KEY
		run "integration add pagerduty, the routing key from @env:" $HP --json integration add pagerduty "pd $RUN" \
		    --events finding.created --severity-threshold critical \
		    --config routing_key=@env:PD_KEY --config events_url="$E/v2/enqueue"
		P=$(printf '%s' "$OUT" | jq -r .id)
		has "the key is its hint" ".config.routing_key == \"…$(printf '%s' "$PD_KEY" | tail -c 4)\""
		run "integration test of PagerDuty" $HP integration test "$P"
		a=$(curl -s "$E/_emu/log" | jq -c '[.[] | select(.path == "/v2/enqueue") | {a: (.body | fromjson | .event_action), k: (.body | fromjson | .dedup_key), s: .status}]')
		printf '%s' "$a" | jq -e 'length == 2 and .[0].a == "trigger" and .[1].a == "resolve" and .[0].k == .[1].k and all(.s == 202)' >/dev/null &&
		    ok "the test alert is triggered, then resolved under the same dedup_key" ||
		    fail "the test alert is triggered, then resolved under the same dedup_key" "$a"
		curl -s "$E/_emu/script" -d '{"path": "/v2/enqueue", "answers": [
		    {"status": 202, "body": "{\"status\":\"success\",\"message\":\"Event processed\",\"dedup_key\":\"k\"}"},
		    {"status": 400, "body": "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\",\"errors\":[\"x\"]}"}]}' >/dev/null
		refused "a test whose resolve fails: exit 1" 1 "resolving it was not" $HP integration test "$P"
		case $OUT in *"ok:"*true*"resolve:"*'"ok":false'*) ok "and prints the resolve's outcome" ;;
		*) fail "and prints the resolve's outcome" "$OUT" ;; esac
		$HP integration rm "$P" >/dev/null 2>&1
		kill $EMU 2>/dev/null; EMU=
	else
		fail "the PagerDuty emulator starts"
	fi
	rm -f "$EMULOG"
fi

# --- delivery logs ---------------------------------------------------
run "integration deliveries" $HP integration deliveries "$I3"
if printf '%s\n' "$OUT" | grep -q "^ID  *STATUS  *EVENT  *ATTEMPTS  *CODE" &&
    [ "$(printf '%s\n' "$OUT" | grep -c 'integration.test  *1  *500')" = 2 ]; then
	ok "deliveries lists the two test attempts with their status code"
else
	fail "deliveries lists the two test attempts with their status code" "$OUT"
fi
run "integration deliveries --limit 1" $HP integration deliveries "$I3" --limit 1
grep -q "^more: hookpost integration deliveries --cursor " "$T_ERR" && [ "$(printf '%s\n' "$OUT" | wc -l)" = 2 ] &&
    ok "a page of one, and the next page's hint" || fail "a page of one, and the next page's hint" "$OUT $(cat "$T_ERR")"
run "integration deliveries --all --json" $HP --json integration deliveries "$I3" --limit 1 --all
has "--all: both, as one array" 'type == "array" and length == 2'
DID=$(printf '%s' "$OUT" | jq -r '.[0].id')
run "deliveries list --integration" $HP deliveries list --integration "$I3"
if printf '%s\n' "$OUT" | grep -q "^ID  *STATUS  *EVENT  *ATTEMPTS  *CODE  *SUBSCRIPTION  *TYPE  *NAME  *CREATED" &&
    printf '%s\n' "$OUT" | grep "^$DID " | grep -q "integration.test  *1  *500  *$I3  *webhook  *file $RUN "; then
	ok "hookpost deliveries lists an integration's deliveries, with its type and name"
else
	fail "hookpost deliveries lists an integration's deliveries, with its type and name" "$OUT"
fi
run "deliveries list --json" $HP --json deliveries list --subscription "$I3" --limit 1
has "the admin list says whose a delivery is" ".[0].subscription_type == \"webhook\" and .[0].subscription_name == \"file $RUN\""
run "deliveries show of an integration delivery" $HP deliveries show "$DID"
case $OUT in *"attempts:"*500*) ok "deliveries show prints its attempt" ;; *) fail "deliveries show prints its attempt" "$OUT" ;; esac

# --- who may ---------------------------------------------------------
U=$($HP token create --role user --owner "o78-$RUN" 2>/dev/null)
M=$($HP token create --role user --owner "o78-$RUN" --permission manage_settings 2>/dev/null)
refused "a user token without manage_settings: exit 1, forbidden" 1 forbidden \
    env HOOKPOST_TOKEN="$U" $HP integration list
run "a user token with manage_settings may" env HOOKPOST_TOKEN="$M" $HP --json integration add webhook "own $RUN" \
    --events scan.failed --config url="$R/ok"
MI=$(printf '%s' "$OUT" | jq -r .id)
has "its integration is its owner's" ".owner_id == \"o78-$RUN\""
run "it lists its own only" env HOOKPOST_TOKEN="$M" $HP --json integration list --all
has "its own, not the admin's" "map(.id) == [\"$MI\"]"
refused "another owner's integration is not found" 1 not_found \
    env HOOKPOST_TOKEN="$M" $HP integration show "$I"

# --- rm ----------------------------------------------------------------
run "integration rm" $HP integration rm "$I2"
[ "$OUT" = "removed $I2" ] && ok "rm prints what it removed" || fail "rm prints what it removed" "$OUT"
refused "show after rm: exit 1, not_found" 1 not_found $HP integration show "$I2"
for x in "$I" "$I3" "$MI"; do $HP integration rm "$x" >/dev/null 2>&1; done

# --- the README's walkthrough -------------------------------------------
[ "$SERVER" = apache ] || exit 0
kill $SINK 2>/dev/null
wait $SINK 2>/dev/null
# The walkthrough starts its own receiver on RECEIVER_PORT: a free one.
RECEIVER_PORT=$PORT
export RECEIVER_PORT
readme_walkthrough walkthrough-integrations "integrations walkthrough" 30 \
    '{"name":"SecOps automation","hasSecret":true,"headers":{"X-Team":"…"}}' \
    '"availableEvents":["' 'X-TW-Signature verified' \
    '{"event":"finding.created","team":"secops","body":{"id":' \
    '"event":"finding.created","status":"delivered","success":true,"statusCode":200' \
    '"status":"failed","success":false,"statusCode":500,"error":"HTTP 500"}' 'retry: HTTP 202' '{"status":"delivered","success":true,"statusCode":200,"attempts":1}' \
    '{"type":"pagerduty","name":"On-call","severity_threshold":"critical","retry_count":3,"config":{' \
    '"routing_key":"…IJKL"' '"events_url":"http://127.0.0.1:' 'outcome:' 'delivered' 'integration.test'
n=$(psql_q "SELECT count(*) FROM hookpost.subscriptions WHERE type = 'webhook' AND name IN ('SecOps automation', 'Ticket bridge') AND cardinality(retry_schedule) = CASE name WHEN 'SecOps automation' THEN 5 ELSE 0 END")
[ "$n" = 2 ] && ok "the walkthrough's webhooks are there, the CLI's update applied" || fail "the walkthrough's webhooks are there, the CLI's update applied" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.api_tokens WHERE name = 'integrations' AND permissions = '{manage_settings}'")
[ "$n" = 1 ] && ok "the walkthrough's token has manage_settings" || fail "the walkthrough's token has manage_settings" "$n"
