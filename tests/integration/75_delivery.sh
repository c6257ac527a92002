#!/bin/sh
# Outbound delivery end to end (seed 000) against a real local receiver
# (bin/bench-sink): challenge, signed delivery, retries, 410, timeouts,
# Retry-After, async callbacks, SSRF at delivery time, crash safety and
# two workers at once.  Workers don't depend on the web server, so the
# worker half runs once, under lighttpd.
. "$TOP/tests/lib.sh"
[ "$SERVER" = lighttpd ] || exit 0

LOG=$(mktemp)
start_sink "$LOG" || fail "the test receiver starts"
trap 'kill $SINK 2>/dev/null; rm -f "$LOG"' EXIT
R=http://127.0.0.1:$PORT
W="$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_DELIVERY_TIMEOUT_MS=1500 HOOKPOST_CHALLENGE_INTERVAL=1"
deliver() { $W "$@" "$TOP/bin/hookpost-deliver" -1 -n "t-$RUN" 2>/dev/null; }
challenge() { $W "$TOP/bin/hookpost-challenge" -1 2>/dev/null; }
sinklog() { jq -c "select(.path == \"$1\")" "$LOG"; }

# subscribe NAME PATH EVENTS [extra json]: an active subscription (the
# challenge worker verifies it against the sink).
subscribe() {
	admin POST /admin/webhooks/subscriptions "{\"name\":\"$1\",\"url\":\"$R$2\",\"events\":$3${4:+,$4}}"
	SUB=$(jget .id); SECRET=$(jget .secret)
}

# activate: $SUB active at once, without a challenge round.
activate() { psql_q "UPDATE hookpost.subscriptions SET status = 'active' WHERE id = '$SUB'" >/dev/null; }

# emit_simple TYPE OBJECT_TYPE OBJECT_ID: one event of owner o1, with no
# threat model and an empty payload.
emit_simple() { psql_q "SELECT hookpost.emit('$1', '$2', '$3', NULL, 'o1', '{}')" >/dev/null; }

# This file makes many subscriptions: lift the admin owner's quotas.
admin PUT /admin/quotas/webhooks/admin '{"max_subscriptions":1000,"max_subscription_requests_per_minute":1000,"max_subscription_requests_per_day":10000,"max_events_per_minute":100000}'
case $STATUS in 200|201) ok "setup: quota" ;; *) fail "setup: quota" "$STATUS $BODY" ;; esac

# --- the seed's flow ---------------------------------------------------
admin POST /admin/webhooks/subscriptions "{\"name\":\"My Integration $RUN\",\"url\":\"$R/challenge\",\"events\":[\"threat_model.created\",\"threat_model.updated\"],\"secret\":\"your-shared-secret-for-hmac\"}"
expect "a subscription starts pending_verification" 201 '.status == "pending_verification" and .secret == "your-shared-secret-for-hmac"'
S1=$(jget .id)
challenge
admin GET "/admin/webhooks/subscriptions/$S1"
expect "the challenge verifies it: active" 200 '.status == "active"'
c=$(sinklog /challenge | head -1)
printf '%s' "$c" | jq -e '(.body | fromjson | .type == "webhook.challenge" and (.challenge | length) >= 16)' >/dev/null &&
    ok "the challenge is the seed's {type, challenge}" || fail "the challenge is the seed's {type, challenge}" "$c"

psql_q "BEGIN; SELECT hookpost.emit('threat_model.created', 'threat_model', 'tm-rb-$RUN', 'tm-rb-$RUN', 'o1', '{\"name\":\"rolled back\"}'); ROLLBACK;" >/dev/null
psql_q "SELECT hookpost.emit('threat_model.created', 'threat_model', 'tm-$RUN', 'tm-$RUN', 'o1', '{\"name\":\"Production API Threat Model\"}')" >/dev/null
psql_q "SELECT hookpost.emit('diagram.created', 'diagram', 'd-$RUN', 'tm-$RUN', 'o1', '{}')" >/dev/null
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries WHERE subscription_id = '$S1'")
[ "$n" = 1 ] && ok "fan-out: one delivery for the matching committed event only" || fail "fan-out: one delivery for the matching committed event only" "$n"
deliver
d=$(sinklog /challenge | jq -c 'select(.headers["x-webhook-event"] == "threat_model.created")' | head -1)
body=$(printf '%s' "$d" | jq -r .body)
printf '%s' "$body" | jq -e ".event_type == \"threat_model.created\" and .object_id == \"tm-$RUN\" and .threat_model_id == \"tm-$RUN\" and .object_type == \"threat_model\" and .owner_id == \"o1\" and (.timestamp | test(\"Z\$\")) and .data.name == \"Production API Threat Model\"" >/dev/null &&
    ok "the payload has the seed's shape" || fail "the payload has the seed's shape" "$d"
want="sha256=$(printf '%s' "$body" | openssl dgst -sha256 -hmac your-shared-secret-for-hmac | sed 's/^.*= //')"
got=$(printf '%s' "$d" | jq -r '.headers["x-webhook-signature"]')
[ "$got" = "$want" ] && ok "X-Webhook-Signature verifies with the seed's recipe" || fail "X-Webhook-Signature verifies with the seed's recipe" "$got vs $want"
DID=$(printf '%s' "$d" | jq -r '.headers["x-webhook-delivery-id"]')
printf '%s' "$d" | jq -e ".headers[\"x-webhook-subscription-id\"] == \"$S1\" and (.headers[\"user-agent\"] | startswith(\"hookpost/\")) and .headers[\"webhook-id\"] == \"$DID\" and (.headers[\"webhook-signature\"] | startswith(\"v1,\")) and (.headers[\"content-type\"] == \"application/json\")" >/dev/null &&
    ok "seed and Standard Webhooks headers are sent" || fail "seed and Standard Webhooks headers are sent" "$d"
# Standard Webhooks: HMAC-SHA256 over "<id>.<timestamp>.<body>", base64.
wts=$(printf '%s' "$d" | jq -r '.headers["webhook-timestamp"]')
sw="v1,$(printf '%s' "$DID.$wts.$body" | openssl dgst -sha256 -hmac your-shared-secret-for-hmac -binary | openssl base64 -A)"
[ "$(printf '%s' "$d" | jq -r '.headers["webhook-signature"]')" = "$sw" ] && ok "webhook-signature verifies (Standard Webhooks)" || fail "webhook-signature verifies (Standard Webhooks)"
admin GET "/admin/webhooks/deliveries/$DID"
expect "the delivery is delivered, its attempt recorded" 200 '.status == "delivered" and (.attempts | length) == 1 and .attempts[0].status_code == 200 and (.attempts[0].response_ms | type == "number")'
admin GET "/admin/webhooks/subscriptions/$S1"
expect_json "last_successful_use is kept current" '.last_successful_use != null and .publication_failures == 0'

# The Standard Webhooks reference library (npm standardwebhooks) verifies
# it as a receiver would (a non-whsec secret is used raw).
JS=$HOOKPOST_VAR/js
if "$TOP/tests/js/setup.sh" "$JS" >/dev/null 2>&1; then
	printf '%s' "$body" >"$JS/body"
	out=$(node "$JS/verify.mjs" your-shared-secret-for-hmac "$JS/body" "$DID" "$wts" "$(printf '%s' "$d" | jq -r '.headers["webhook-signature"]')" raw 2>&1)
	[ "$out" = verified ] && ok "npm standardwebhooks verifies a delivery (raw secret)" || fail "npm standardwebhooks verifies a delivery (raw secret)" "$out"
else
	fail "npm standardwebhooks could be installed"
fi

# A generated whsec_ secret: the Standard Webhooks key is its base64 part.
subscribe "whsec $RUN" /challenge '["diagram.*"]'
challenge
emit_simple diagram.updated diagram d2-$RUN
deliver
d=$(sinklog /challenge | jq -c "select(.headers[\"x-webhook-subscription-id\"] == \"$SUB\")" | tail -1)
body=$(printf '%s' "$d" | jq -r .body); id=$(printf '%s' "$d" | jq -r '.headers["webhook-id"]'); wts=$(printf '%s' "$d" | jq -r '.headers["webhook-timestamp"]')
keyhex=$(printf '%s' "${SECRET#whsec_}" | openssl base64 -d -A | od -An -tx1 | tr -d ' \n')
sw="v1,$(printf '%s' "$id.$wts.$body" | openssl dgst -sha256 -mac HMAC -macopt hexkey:$keyhex -binary | openssl base64 -A)"
[ "$(printf '%s' "$d" | jq -r '.headers["webhook-signature"]')" = "$sw" ] && ok "a whsec_ secret signs as Standard Webhooks expects; resource.* matches" || fail "a whsec_ secret signs as Standard Webhooks expects" "$d"
printf '%s' "$body" >"$JS/body"
out=$(node "$JS/verify.mjs" "$SECRET" "$JS/body" "$id" "$wts" "$(printf '%s' "$d" | jq -r '.headers["webhook-signature"]')" 2>&1)
[ "$out" = verified ] && ok "npm standardwebhooks verifies a delivery (whsec_ secret)" || fail "npm standardwebhooks verifies a delivery (whsec_ secret)" "$out"
printf '%s' "$body x" >"$JS/body"
out=$(node "$JS/verify.mjs" "$SECRET" "$JS/body" "$id" "$wts" "$(printf '%s' "$d" | jq -r '.headers["webhook-signature"]')" 2>&1)
[ "$out" != verified ] && ok "npm standardwebhooks refuses a tampered body" || fail "npm standardwebhooks refuses a tampered body" "$out"

# --- failures ------------------------------------------------------------
subscribe "fail $RUN" /status/500 '["note.created"]' '"retry_schedule":[1,1]'
activate
emit_simple note.created note n-$RUN
deliver; sleep 1.3; deliver; sleep 1.3; deliver
n=$(psql_q "SELECT d.status || ':' || d.attempts || ':' || (SELECT count(*) FROM hookpost.delivery_attempts a WHERE a.delivery_id = d.id AND a.status_code = 500) FROM hookpost.deliveries d WHERE d.subscription_id = '$SUB'")
[ "$n" = "failed:3:3" ] && ok "a custom schedule: 3 attempts, then failed, each attempt recorded" || fail "a custom schedule: 3 attempts, then failed" "$n"
admin GET "/admin/webhooks/subscriptions/$SUB"
expect_json "publication_failures counts failures" '.publication_failures == 3'

# An empty schedule: no retries, the first failure is final (the console's
# Retry then starts the delivery over).
subscribe "noretry $RUN" /status/500 '["survey_response.deleted"]' '"retry_schedule":[]'
expect_json "retry_schedule [] is accepted and kept" '.retry_schedule == []'
activate
emit_simple survey_response.deleted survey_response sr-$RUN
deliver
n=$(psql_q "SELECT d.status || ':' || d.attempts || ':' || (SELECT count(*) FROM hookpost.delivery_attempts a WHERE a.delivery_id = d.id) FROM hookpost.deliveries d WHERE d.subscription_id = '$SUB'")
[ "$n" = "failed:1:1" ] && ok "retry_schedule []: failed after its one attempt" || fail "retry_schedule []: failed after its one attempt" "$n"

subscribe "sched $RUN" /status/500 '["note.updated"]'
activate
emit_simple note.updated note n-$RUN
deliver
n=$(psql_q "SELECT extract(epoch FROM next_attempt_at - now())::int FROM hookpost.deliveries WHERE subscription_id = '$SUB'")
[ "$n" -ge 45 ] && [ "$n" -le 73 ] && ok "the seed's schedule: the 2nd attempt ~1 min later (+-20%)" || fail "the seed's schedule: 2nd attempt ~1 min later" "$n s"
psql_q "UPDATE hookpost.deliveries SET attempts = 4, next_attempt_at = now() WHERE subscription_id = '$SUB'" >/dev/null
deliver
n=$(psql_q "SELECT status FROM hookpost.deliveries WHERE subscription_id = '$SUB'")
[ "$n" = failed ] && ok "the seed's schedule: failed after 5 attempts" || fail "failed after 5 attempts" "$n"

subscribe "ra $RUN" /retry-after/7 '["note.deleted"]'
activate
emit_simple note.deleted note n-$RUN
deliver
n=$(psql_q "SELECT extract(epoch FROM next_attempt_at - now())::int FROM hookpost.deliveries WHERE subscription_id = '$SUB'")
[ "$n" -ge 4 ] && [ "$n" -le 8 ] && ok "Retry-After is honoured" || fail "Retry-After is honoured" "$n s"

# Someone who takes subscription.disabled: emit writes no event nobody
# can receive (issue 13).
subscribe "listen $RUN" /status/200 '["subscription.disabled"]'
activate
LISTEN=$SUB
subscribe "gone $RUN" /status/410 '["asset.created"]'
activate
emit_simple asset.created asset a-$RUN
deliver
n=$(psql_q "SELECT s.status || ':' || d.status FROM hookpost.subscriptions s JOIN hookpost.deliveries d ON d.subscription_id = s.id WHERE s.id = '$SUB'")
[ "$n" = "disabled:failed" ] && ok "410 Gone disables the subscription" || fail "410 Gone disables the subscription" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.events WHERE event_type = 'subscription.disabled' AND object_id = '$SUB'")
[ "$n" = 1 ] && ok "a subscription.disabled event is emitted" || fail "a subscription.disabled event is emitted" "$n"
psql_q "DELETE FROM hookpost.subscriptions WHERE id = '$LISTEN'" >/dev/null

subscribe "slow $RUN" /slow/3000 '["asset.updated"]'
activate
emit_simple asset.updated asset a-$RUN
deliver
n=$(psql_q "SELECT d.status || ':' || (a.error ILIKE '%timed out%') FROM hookpost.deliveries d JOIN hookpost.delivery_attempts a ON a.delivery_id = d.id WHERE d.subscription_id = '$SUB'")
[ "$n" = "pending:true" ] && ok "a receiver slower than the timeout is a failed attempt, retried" || fail "timeout is a failed attempt" "$n"

# --- async completion (seed X-TMI-Callback) --------------------------------
for path in /async /tmi-async; do
	subscribe "async $path $RUN" $path '["asset.deleted"]'
	activate
	emit_simple asset.deleted asset a-$RUN
	deliver
	did=$(psql_q "SELECT id FROM hookpost.deliveries WHERE subscription_id = '$SUB'")
	n=$(psql_q "SELECT status FROM hookpost.deliveries WHERE id = '$did'")
	[ "$n" = in_progress ] && ok "$path: an async answer leaves the delivery in_progress" || fail "$path: async leaves in_progress" "$n"
	b='{"status":"completed","message":"done"}'
	ts=$(date +%s)
	sig=$(printf '%s' "$did.$ts.$b" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
	req POST "/webhook-deliveries/$did/status" -H 'Content-Type: application/json' -H "X-Webhook-Timestamp: $ts" -H "X-Webhook-Signature: sha256=$sig" --data-binary "$b"
	expect_status "$path: the receiver completes it by an HMAC-signed callback" 200
	n=$(psql_q "SELECT status FROM hookpost.deliveries WHERE id = '$did'")
	[ "$n" = delivered ] && ok "$path: the callback completes the delivery" || fail "$path: the callback completes the delivery" "$n"
done

# --- SSRF at delivery time -------------------------------------------------
sid=$(psql_q "INSERT INTO hookpost.subscriptions (owner_id, all_owners, name, url, events, secret_enc, status) SELECT 'o1', true, 'ssrf $RUN', 'http://0.0.0.0:$PORT/ok', '{survey.created}', secret_enc, 'active' FROM hookpost.subscriptions WHERE id = '$S1' RETURNING id")
sid2=$(psql_q "INSERT INTO hookpost.subscriptions (owner_id, all_owners, name, url, events, secret_enc, status) SELECT 'o1', true, 'ssrf2 $RUN', 'http://localhost:$PORT/ok', '{survey.created}', secret_enc, 'active' FROM hookpost.subscriptions WHERE id = '$S1' RETURNING id")
emit_simple survey.created survey s-$RUN
before=$(wc -l <"$LOG")
$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_ALLOW_PRIVATE_TARGETS=192.0.2.0/24 "$TOP/bin/hookpost-deliver" -1 -n "t-$RUN" 2>/dev/null
after=$(wc -l <"$LOG")
[ "$before" = "$after" ] && ok "nothing reaches a refused address" || fail "nothing reaches a refused address" "$before -> $after"
n=$(psql_q "SELECT count(*) FROM hookpost.delivery_attempts a JOIN hookpost.deliveries d ON d.id = a.delivery_id WHERE d.subscription_id IN ('$sid', '$sid2') AND a.status_code IS NULL AND a.error IS NOT NULL")
[ "$n" = 2 ] && ok "an IP literal and a name resolving to loopback are refused at delivery" || fail "SSRF refusals at delivery" "$n"
psql_q "UPDATE hookpost.subscriptions SET status = 'disabled' WHERE id IN ('$sid', '$sid2')" >/dev/null

# --- crash safety and concurrency ----------------------------------------
subscribe "crash $RUN" /slow/1500 '["survey_response.created"]' '"max_concurrency":64'
activate
psql_q "SELECT hookpost.emit('survey_response.created', 'survey_response', 'r' || g, NULL, 'o1', '{}') FROM generate_series(1, 20) g" >/dev/null
$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_DELIVERY_LEASE=2 "$TOP/bin/hookpost-deliver" -1 -n "k-$RUN" 2>/dev/null &
K=$!
sleep 0.7
pkill -KILL -f "hookpost-deliver -1 -n k-$RUN"
wait $K 2>/dev/null
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries WHERE subscription_id = '$SUB' AND status = 'sending'")
[ "$n" -ge 1 ] && ok "SIGKILL left claimed deliveries behind ($n)" || fail "SIGKILL left claimed deliveries behind" "$n"
sleep 2.2
$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_DELIVERY_LEASE=2 "$TOP/bin/hookpost-deliver" -1 -n "k2-$RUN" 2>/dev/null
n=$(psql_q "SELECT count(*) FILTER (WHERE status = 'delivered') || '/' || count(*) FROM hookpost.deliveries WHERE subscription_id = '$SUB'")
[ "$n" = "20/20" ] && ok "after a SIGKILL mid-batch every delivery is delivered (expired leases reclaimed)" || fail "after a SIGKILL every delivery is delivered" "$n"

subscribe "pair $RUN" /ok '["metadata.created"]' '"max_concurrency":64'
activate
psql_q "SELECT hookpost.emit('metadata.created', 'metadata', 'm' || g, NULL, 'o1', '{}') FROM generate_series(1, 200) g" >/dev/null
$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG "$TOP/bin/hookpost-deliver" -1 -c 8 -n "a-$RUN" 2>/dev/null &
A=$!
$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG "$TOP/bin/hookpost-deliver" -1 -c 8 -n "b-$RUN" 2>/dev/null &
B=$!
wait $A $B
sent=$(sinklog /ok | jq -r "select(.headers[\"x-webhook-subscription-id\"] == \"$SUB\") | .headers[\"x-webhook-delivery-id\"]" | sort)
total=$(printf '%s\n' "$sent" | grep -c .)
uniq=$(printf '%s\n' "$sent" | sort -u | grep -c .)
[ "$total" = 200 ] && [ "$uniq" = 200 ] && ok "two workers at once send each of 200 deliveries exactly once" || fail "two workers at once: each delivery once" "$total sent, $uniq distinct"

# A queue out of step with its deliveries (edited by hand: a row for a
# delivery that is gone, one for a delivery already delivered) is put
# right by the next claim instead of filling every claim forever.
subscribe "repair $RUN" /ok '["asset.created"]'
activate
done1=$(psql_q "SELECT id FROM hookpost.deliveries WHERE status = 'delivered' LIMIT 1")
psql_q "INSERT INTO hookpost.delivery_queue VALUES (gen_random_uuid(), now() - interval '1 day'), ('$done1', now() - interval '1 day')" >/dev/null
emit_simple asset.created asset a-$RUN
for i in 1 2; do
	$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG "$TOP/bin/hookpost-deliver" -1 -c 1 -n "r-$RUN" 2>/dev/null
done
n=$(psql_q "SELECT count(*) FROM hookpost.delivery_queue WHERE due_at < now() - interval '1 hour'")
[ "$n" = 0 ] && ok "stray queue rows are removed by the claim" || fail "stray queue rows are removed by the claim" "$n"
n=$(psql_q "SELECT status FROM hookpost.deliveries WHERE subscription_id = '$SUB'")
[ "$n" = delivered ] && ok "and the real delivery behind them is delivered" || fail "the real delivery behind stray rows is delivered" "$n"

# Deliveries held back by max_concurrency until their lease is nearly
# over are given back uncounted and sent by a later claim, not sent under
# an expiring lease (where another worker could send them too).
subscribe "held $RUN" /slow/1200 '["diagram.created"]' '"max_concurrency":1'
activate
psql_q "SELECT hookpost.emit('diagram.created', 'diagram', 'd' || g, NULL, 'o1', '{}') FROM generate_series(1, 4) g" >/dev/null
$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_DELIVERY_LEASE=4 "$TOP/bin/hookpost-deliver" -1 -c 4 -n "h-$RUN" 2>/dev/null
n=$(psql_q "SELECT count(*) FILTER (WHERE status = 'delivered' AND attempts = 1) || '/' || count(*) FROM hookpost.deliveries WHERE subscription_id = '$SUB'")
[ "$n" = 4/4 ] && ok "held-back deliveries are given back and delivered later, each attempt counted once" || fail "held-back deliveries given back" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.delivery_attempts a JOIN hookpost.deliveries d ON d.id = a.delivery_id WHERE d.subscription_id = '$SUB'")
[ "$n" = 4 ] && ok "and one attempt is recorded for each" || fail "one attempt recorded each" "$n"
