#!/bin/sh
# Issue 8, "Done when": every curl and jq line of the five seeds, run as
# the seeds print them (tests/data/seeds/lines.txt, byte for byte) against
# the server under test, with only the host, the token and the
# placeholders substituted; the answers are checked against what the
# seeds show.  First: each step is still the seed's text at its line, and
# every curl and jq line of every seed is in a step (so no line can be
# "fixed" here to pass, and none can be left out).
#
# Substituted, and nothing else:
#   hosts   https://api.tmi.dev, http://localhost:8080,
#           https://attune.example.com -> $BASE
#   tokens  $TOKEN in seed 002 and tw_xxx (seeds 001, 004) -> an admin API
#           token; seed 000 ("All webhook management endpoints require
#           admin privileges (JWT authentication)"): $YOUR_JWT_TOKEN,
#           $ADMIN_JWT_TOKEN and $TOKEN -> an admin HS256 JWT whose sub is
#           the seed's owner_id.  $VARS are set in the step's environment,
#           so their lines stay untouched; tw_xxx is replaced in the text.
#   placeholders  {id} -> the subscription made by the first step,
#           {user_id} -> the JWT's owner, and the elided key "wh_xyz789..."
#           (the seed's "..." as in its "wh_abc123xyz789...") -> a key
#           that begins wh_xyz789, installed for the pack's trigger.
# Literal values are made true by setup instead: trigger 123 exists (its
# id sequence is set so the trigger made is 123), and its key is the
# seed's wh_k7j2n9p4m8q1r5w3x6z0a2b5c8d1e4f7.  hookpost makes keys and
# has no way to import one, so that is a SQL fixture (install_key).
# Seed 004's recipe signs with "your-secret" while its registration
# example registers "your-secret-key": run as printed, the recipe gets the
# seed's own Invalid Signature answer (checked), then setup sets the
# source's secret to "your-secret" and the recipe is run again: accepted.
#
# The steps run under bash (the seeds' ```bash blocks) in an empty
# directory, with a .curlrc (CURL_HOME) that only adds --silent,
# --show-error, --max-time 30 and --dump-header (for the status).
# Under lighttpd a POST with no body and no Content-Length is refused by
# lighttpd itself with 411 (README): there such a step is checked to get
# 411 and setup does what it would have done.
#
# The seeds use fixed names (email-gateway, trigger 123, the seed's
# owner): every run deletes them before and after, so each server of
# `make check` runs every step against the one database.
. "$TOP/tests/lib.sh"

SEEDS=$TOP/docs/seeds
LINES=$TOP/tests/data/seeds/lines.txt
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/steps" "$WORK/cwd"
UUID='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

seedfile() { ls "$SEEDS/$1"_*.txt 2>/dev/null | head -n 1; }

# --- the steps: $WORK/steps/SEED.NAME (text, no final newline), index --
awk -v dir="$WORK/steps" '
function flush(  i) {
	if (f == "") return
	while (k > 0 && L[k] == "") k--
	printf "" > f
	for (i = 1; i <= k; i++) printf "%s%s", L[i], (i < k ? "\n" : "") > f
	close(f); f = ""; k = 0
}
/^@@ / { flush(); f = dir "/" $2 "." $4; print $2, $3, $4, $5 > (dir "/index"); next }
/^@( |$)/ { next }
f != "" { L[++k] = $0 }
END { flush() }' "$LINES"

# --- 1. each step is the seed's text from its line on --------------------
while read -r seed line name _; do
	f=$WORK/steps/$seed.$name
	src=$(seedfile "$seed")
	n=$(wc -c <"$f")
	if [ -n "$src" ] && [ "$n" -gt 0 ] &&
	    tail -n +"$line" "$src" | head -c "$n" | cmp -s - "$f"; then
		ok "seed $seed line $line ($name): the step is the seed's text, byte for byte"
	else
		fail "seed $seed line $line ($name): the step is the seed's text, byte for byte" \
		    "$(tail -n +"$line" "$src" | head -c "$n" | diff - "$f" | head -20)"
	fi
	# The seed lines this step covers.
	nl=$(awk 'END { print NR }' "$f")
	seq "$line" $((line + nl - 1)) | sed "s/^/$seed /" >>"$WORK/covered"
done <"$WORK/steps/index"

# --- 2. every curl and jq line of every seed is in a step ----------------
for src in "$SEEDS"/[0-9][0-9][0-9]_*.txt; do
	seed=$(basename "$src" | cut -c1-3)
	want=$(grep -n -w -e curl -e jq "$src" | cut -d: -f1 | tr '\n' ' ')
	have=$(awk -v s="$seed" '$1 == s { print $2 }' "$WORK/covered" | sort -n |
	    while read -r l; do
		sed -n "${l}p" "$src" | grep -q -w -e curl -e jq && echo "$l"
	    done | tr '\n' ' ')
	n=$(printf '%s' "$want" | wc -w)
	[ "$want" = "$have" ] && ok "seed $seed: its $n curl/jq lines are all steps" ||
	    fail "seed $seed: its curl/jq lines are all steps" "seed lines: $want; in steps: $have"
done
# The copies in docs/seeds are the shared seeds (where those are present).
if [ -d "$TOP/../shared/seeds" ]; then
	for f in "$TOP"/../shared/seeds/*; do
		cmp -s "$f" "$SEEDS/$(basename "$f")" &&
		    ok "docs/seeds/$(basename "$f") is the shared seed" ||
		    fail "docs/seeds/$(basename "$f") is the shared seed"
	done
fi

# --- the runner ----------------------------------------------------------
cat >"$WORK/.curlrc" <<EOF
silent
show-error
max-time = 30
dump-header = "$WORK/hdrs"
EOF

# subst FILE FROM TO: every FROM in FILE becomes TO (plain text).
subst() {
	awk -v f="$2" -v t="$3" '{
		out = ""
		while ((i = index($0, f)) > 0) {
			out = out substr($0, 1, i - 1) t
			$0 = substr($0, i + length(f))
		}
		print out $0
	}' "$1" >"$1.new" && mv "$1.new" "$1"
}

# step SEED.NAME [FROM TO]...: runs the step with the substitutions above
# and these placeholders; sets STATUS (0: no answer), BODY (the output),
# HDRS, RC (the shell's exit status) and AT ("seed S line L").
step() {
	_id=$1; shift
	_seed=${_id%%.*}
	AT="seed $_seed line $(awk -v s="$_seed" -v n="${_id#*.}" '$1 == s && $3 == n { print $2 }' "$WORK/steps/index")"
	_run=$WORK/run.sh
	STATUS=0 BODY= HDRS= RC=1
	if ! [ -s "$WORK/steps/$_id" ]; then
		fail "$_id is a step of $LINES"
		return
	fi
	cp "$WORK/steps/$_id" "$_run" && echo >>"$_run"
	subst "$_run" https://api.tmi.dev "$BASE"
	subst "$_run" http://localhost:8080 "$BASE"
	subst "$_run" https://attune.example.com "$BASE"
	subst "$_run" tw_xxx "$TOKEN"
	while [ $# -ge 2 ]; do subst "$_run" "$1" "$2"; shift 2; done
	if awk -v s="$_seed" -v n="${_id#*.}" '$1 == s && $3 == n && $4 == "flat" { f = 1 } END { exit !f }' "$WORK/steps/index"; then
		awk '{ gsub(/ \\ /, " \\\n"); print }' "$_run" >"$_run.new" && mv "$_run.new" "$_run"
	fi
	if [ "$_seed" = 000 ]; then _tok=$JWT; else _tok=$TOKEN; fi
	rm -f "$WORK/hdrs"
	(cd "$WORK/cwd" && env CURL_HOME="$WORK" TOKEN="$_tok" \
	    YOUR_JWT_TOKEN="$JWT" ADMIN_JWT_TOKEN="$JWT" \
	    bash "$_run" >"$WORK/out" 2>"$WORK/err")
	RC=$?
	BODY=$(cat "$WORK/out")
	HDRS=$(cat "$WORK/hdrs" 2>/dev/null)
	STATUS=$(awk '/^HTTP\// { s = $2 } END { print s + 0 }' "$WORK/hdrs" 2>/dev/null)
	[ -n "$STATUS" ] || STATUS=0
}

# bodyless SEED.NAME: the step POSTs with no -d (no body, no Content-Length).
bodyless() {
	grep -q -e '-X POST' "$WORK/steps/$1" &&
	    ! grep -q -E '(^|[[:space:]])(-d|--data[a-z-]*)([[:space:]]|$)' "$WORK/steps/$1"
}

# status_any NAME CODES JQ: the status is one of CODES and JQ holds.
status_any() {
	case " $2 " in *" $STATUS "*) _st=1 ;; *) _st=0 ;; esac
	if [ $_st = 1 ] && printf '%s' "$BODY" | jq -e "$3" >/dev/null 2>&1; then ok "$1"
	else fail "$1" "status $STATUS (want $2), jq '$3' on: $BODY $(cat "$WORK/err")"; fi
}

# install_key TRIGGER_ID KEY: the trigger's active key becomes KEY.  The
# sealed copy is made by the product itself (crypt_secret_seal) as the
# secret of a scratch source; the rest is SQL (no route imports a key).
install_key() {
	_src=seed-key-$RUN
	admin POST /api/webhooks "{\"source\":\"$_src\",\"secret\":\"$2\"}"
	_st=$STATUS
	psql_q "DELETE FROM hookpost.trigger_keys WHERE key_hash = encode(sha256(convert_to('$2', 'UTF8')), 'hex')" >/dev/null
	_n=$(psql_q "UPDATE hookpost.trigger_keys SET key_hash = encode(sha256(convert_to('$2', 'UTF8')), 'hex'), key_enc = (SELECT secret_enc FROM hookpost.sources WHERE name = '$_src') WHERE trigger_id = $1 AND revoked_at IS NULL RETURNING id" | wc -l)
	admin DELETE "/api/webhooks/$_src"
	[ "$_st" = 201 ] && [ "$_n" = 1 ] && ok "setup: trigger $1's key is $2" ||
	    fail "setup: trigger $1's key is $2" "source $_st, keys $_n"
}

# --- seed 000 (TMI, outbound) --------------------------------------------
OWNER=a1b2c3d4-e5f6-7890-abcd-ef1234567890	# the seed's owner_id
if [ -z "${HOOKPOST_JWT_SECRET:-}" ]; then
	fail "HOOKPOST_JWT_SECRET is set (make check sets it)"
fi
JWT=$(jwt "{\"sub\":\"$OWNER\",\"role\":\"admin\",\"exp\":$(($(date +%s) + 3600))}" "${HOOKPOST_JWT_SECRET:-}")
admin DELETE "/admin/quotas/webhooks/$OWNER"

step 000.subscription-create
expect "$AT: create a subscription: 201 pending_verification, the seed's fields" 201 \
    "(.id | test(\"$UUID\")) and .owner_id == \"$OWNER\" and .status == \"pending_verification\" and .name == \"My Integration\" and .url == \"https://your-domain.com/webhooks/tmi\" and .events == [\"threat_model.created\", \"threat_model.updated\"] and .secret == \"your-shared-secret-for-hmac\" and (.created_at | type == \"string\") and (.modified_at | type == \"string\")"
SUB=$(jget .id)

step 000.quota-put '{user_id}' "$OWNER"
expect "$AT: set the owner's quota: the seed's four limits" 201 \
    ".owner_id == \"$OWNER\" and .max_subscriptions == 50 and .max_subscription_requests_per_minute == 10 and .max_subscription_requests_per_day == 500 and .max_events_per_minute == 1000 and .custom == true"

step 000.subscription-get '{id}' "$SUB"
expect "$AT: check subscription status: pending_verification, no secret" 200 \
    ".id == \"$SUB\" and .status == \"pending_verification\" and .name == \"My Integration\" and (has(\"secret\") | not)"

# A delivery that failed, for "Check failure reasons": the subscription
# active (as the challenge worker would make it), an event emitted, its
# delivery failed as the delivery worker records it after the last retry.
psql_q "UPDATE hookpost.subscriptions SET status = 'active' WHERE id = '$SUB'" >/dev/null
psql_q "SELECT hookpost.emit('threat_model.created', 'threat_model', 'tm-seed-$RUN', 'tm-seed-$RUN', '$OWNER', '{\"name\": \"Production API\"}')" >/dev/null
DLV=$(psql_q "SELECT id FROM hookpost.deliveries WHERE subscription_id = '$SUB'")
psql_q "UPDATE hookpost.deliveries SET status = 'failed', attempts = 5, last_status_code = 503, last_error = 'HTTP 503', completed_at = now() WHERE id = '$DLV'" >/dev/null
[ -n "$DLV" ] && ok "setup: a failed delivery of the seed's subscription" ||
    fail "setup: a failed delivery of the seed's subscription"

step 000.deliveries
expect "$AT: check recent deliveries: a JSON array, the failed one in it" 200 \
    "type == \"array\" and any(.[]; .id == \"$DLV\" and .status == \"failed\")"
step 000.deliveries-flat
expect "$AT: query deliveries (the flattened line): a JSON array" 200 \
    "type == \"array\" and any(.[]; .id == \"$DLV\")"
step 000.deliveries-failed
if [ "$STATUS" = 200 ] && [ "$RC" = 0 ] && [ -n "$BODY" ] &&
    printf '%s' "$BODY" | jq -e -s "all(.[]; type == \"object\" and .status == \"failed\") and any(.[]; .id == \"$DLV\" and .last_error == \"HTTP 503\")" >/dev/null 2>&1; then
	ok "$AT: | jq '.[] | select(.status==\"failed\")' prints the failed deliveries, with their reason"
else
	fail "$AT: | jq '.[] | select(.status==\"failed\")' prints the failed deliveries, with their reason" \
	    "status $STATUS rc $RC: $BODY $(cat "$WORK/err")"
fi

admin DELETE "/admin/webhooks/subscriptions/$SUB"
expect_status "cleanup: the seed's subscription" 204
admin DELETE "/admin/quotas/webhooks/$OWNER"
expect_status "cleanup: the seed's owner's quota" 204

# --- seeds 001 and 004 (ThreatWeaver, inbound): the same page twice -----
INVALID='{"error":{"code":"invalid_signature","message":"Webhook signature verification failed"}}'
for seed in 001 004; do
	admin DELETE /api/webhooks/email-gateway	# the seed's fixed name

	step $seed.register
	expect "$AT: register email-gateway (no Content-Type, as printed)" 201 \
	    '.source == "email-gateway" and .auto_triage == true and .playbook == "phishing_triage" and (has("secret") | not)'

	step $seed.send-test-event
	expect "$AT: the recipe signs with \"your-secret\", not the registered \"your-secret-key\": the seed's Invalid Signature answer" \
	    401 ". == $INVALID"
	admin PUT /api/webhooks/email-gateway '{"secret":"your-secret"}'
	expect_status "setup: email-gateway's secret is the recipe's \"your-secret\"" 200
	step $seed.send-test-event
	expect "$AT: the signed test event is accepted: an incident number" 200 \
	    ".status == \"accepted\" and (.incident_id | test(\"$UUID\")) and (.incident_number | test(\"^INC-[0-9]{4}-[0-9]{4,}\$\"))"
	n=$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE number = '$(jget .incident_number)' AND source = 'email-gateway'")
	[ "$n" = 1 ] && ok "$AT: the incident exists" || fail "$AT: the incident exists" "$n"
done
admin DELETE /api/webhooks/email-gateway
expect_status "cleanup: email-gateway" 204

# --- seed 002 (Attune triggers) ------------------------------------------
admin DELETE /api/v1/triggers/myapp.deployment_complete
admin DELETE /api/v1/triggers/123	# a trigger 123 of an earlier server's run

# "Custom Application Events": the pack's trigger (its payload_schema as
# JSON), webhooks enabled (workflow steps 1-2), a key beginning wh_xyz789.
admin POST /api/v1/triggers '{"ref":"myapp.deployment_complete","description":"Triggered when application deployment completes","payload_schema":{"type":"object","properties":{"environment":{"type":"string","enum":["dev","staging","production"]},"version":{"type":"string"},"deployed_by":{"type":"string"},"status":{"type":"string","enum":["success","failure"]}}}}'
expect_status "setup: the pack's trigger myapp.deployment_complete" 201
CI=$(jget .data.id)
req POST /api/v1/triggers/myapp.deployment_complete/webhooks/enable \
    -H "Authorization: Bearer $TOKEN" -d ''
expect_status "setup: its webhooks enabled" 200
CIKEY=wh_xyz7890123456789abcdefghijklmnop
install_key "$CI" "$CIKEY"
step 002.ci-deploy wh_xyz789... "$CIKEY"
expect "$AT: the CI pipeline's curl: 200, an event" 200 ".data.event_id | test(\"$UUID\")"
p=$(psql_q "SELECT payload FROM hookpost.trigger_events WHERE id = '$(jget .data.event_id)' AND trigger_ref = 'myapp.deployment_complete'")
[ "$(printf '%s' "$p" | jq -cS . 2>/dev/null)" = '{"deployed_by":"jenkins","environment":"production","status":"success","version":"v2.1.0"}' ] &&
    ok "$AT: the event carries the pipeline's payload" || fail "$AT: the event carries the pipeline's payload" "$p"

# "Manual Testing": trigger 123.  Its id sequence set so the trigger made
# is 123, then put back past every id in use.  hookpost never reuses a
# trigger id, and events outlive their trigger: the events of this file's
# trigger 123 under an earlier server are removed, so 123 starts new.
psql_q "DELETE FROM hookpost.trigger_events WHERE trigger_id = 123 AND trigger_ref = 'myapp.manual_test'" >/dev/null
psql_q "SELECT setval(pg_get_serial_sequence('hookpost.triggers', 'id'), 122)" >/dev/null
admin POST /api/v1/triggers '{"ref":"myapp.manual_test","description":"seed 002 Manual Testing"}'
expect "setup: trigger 123" 201 '.data.id == 123'
psql_q "SELECT setval(pg_get_serial_sequence('hookpost.triggers', 'id'), (SELECT max(id) FROM hookpost.triggers))" >/dev/null

step 002.enable
if [ "$SERVER" = lighttpd ] && bodyless 002.enable; then
	expect_status "$AT: lighttpd refuses a POST with no body and no Content-Length: 411 (README)" 411
	req POST /api/v1/triggers/123/webhook/enable -H "Authorization: Bearer $TOKEN" -d ''
fi
expect "$AT: enable webhooks for trigger 123: the seed's data envelope" 200 \
    ".data.id == 123 and .data.ref == \"myapp.manual_test\" and .data.webhook_enabled == true and (.data.webhook_key | test(\"^wh_[A-Za-z0-9]{32}\$\")) and .data.webhook_url == \"$BASE/api/v1/webhooks/\" + .data.webhook_key"

KEY=wh_k7j2n9p4m8q1r5w3x6z0a2b5c8d1e4f7
install_key 123 "$KEY"
step 002.info
expect "$AT: get webhook info: enabled, the key, its URL, counts" 200 \
    ".data.enabled == true and .data.webhook_key == \"$KEY\" and .data.webhook_url == \"$BASE/api/v1/webhooks/$KEY\" and (.data.created_at | type == \"string\") and .data.total_events == 0"

step 002.send
expect "$AT: send test webhook: 200, an event" 200 ".data.event_id | test(\"$UUID\")"
case $HDRS in *[Cc]ontent-[Tt]ype:\ application/json*) ok "$AT: the answer is application/json" ;;
*) fail "$AT: the answer is application/json" "$HDRS" ;; esac
EV=$(jget .data.event_id)

step 002.events
expect "$AT: verify event was created: the newest event is it" 200 \
    ".data | length == 1 and .[0].id == \"$EV\" and .[0].trigger_ref == \"myapp.manual_test\" and .[0].payload == {\"test\": \"payload\", \"value\": 123} and .[0].metadata.source == \"webhook\""

admin DELETE /api/v1/triggers/123
expect_status "cleanup: trigger 123" 204
admin DELETE /api/v1/triggers/myapp.deployment_complete
expect_status "cleanup: myapp.deployment_complete" 204
