#!/bin/sh
# Outbound delivery as seed 000's operators see it (issue 8): an async
# delivery whose callback never comes expires after 4 hours (failed,
# counted in /metrics, a late callback refused); the retry table is exact
# with HOOKPOST_RETRY_JITTER=0; and the workers' log lines are the ones the
# seed's operations guide greps for ("challenge worker", "delivering
# webhook", "ERROR.*webhook"), with no secret in them.  Workers don't
# depend on the web server, so this runs once, under lighttpd.
. "$TOP/tests/lib.sh"
[ "$SERVER" = lighttpd ] || exit 0

SINKLOG=$(mktemp)
ERR=$(mktemp)
LOGF=$(mktemp)
chmod 666 "$LOGF"	# the workers may run as another user ($RUNAS)
start_sink "$SINKLOG" || fail "the test receiver starts"
trap 'kill $SINK 2>/dev/null; rm -f "$SINKLOG" "$ERR" "$LOGF"' EXIT
R=http://127.0.0.1:$PORT
W="$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_DELIVERY_TIMEOUT_MS=1500 HOOKPOST_CHALLENGE_INTERVAL=1"
# deliver [VAR=value...]: one run of the delivery worker, its log in $ERR.
deliver() { $W "$@" "$TOP/bin/hookpost-deliver" -1 -n "o-$RUN" 2>"$ERR"; }

subscribe() {	# NAME URL EVENTS [extra json]: sets SUB and SECRET
	admin POST /admin/webhooks/subscriptions "{\"name\":\"$1\",\"url\":\"$2\",\"events\":$3${4:+,$4}}"
	SUB=$(jget .id); SECRET=$(jget .secret)
}
activate() { psql_q "UPDATE hookpost.subscriptions SET status = 'active' WHERE id = '$SUB'" >/dev/null; }
emit() { psql_q "SELECT hookpost.emit('$1', '$2', '$3', NULL, 'o1', '{}')" >/dev/null; }
metric() {	# the value of webhook_deliveries_expired_total
	v=$(curl -s "$BASE/metrics" | grep -F 'webhook_deliveries_expired_total{reason="callback_timeout"}' | awk '{print $2}')
	echo "${v:-absent}"
}
# callback DELIVERY BODY: POST its status, signed as its receiver would.
callback() {
	_ts=$(date +%s)
	req POST "/webhook-deliveries/$1/status" -H 'Content-Type: application/json' \
	    -H "X-Webhook-Timestamp: $_ts" \
	    -H "X-Webhook-Signature: sha256=$(hmac sha256 "$SECRET" "$1.$_ts.$2")" --data-binary "$2"
}

# waits SUB: the subscription's callback waits (sql/026) as
# "<delivery id>=<since is its updated_at>", sorted, or "none".
waits() {
	psql_q "SELECT coalesce(string_agg(w.delivery_id || '=' || (w.since = d.updated_at), ' ' ORDER BY w.delivery_id), 'none') FROM hookpost.delivery_callback_waits w JOIN hookpost.deliveries d ON d.id = w.delivery_id WHERE d.subscription_id = '$1'"
}

admin PUT /admin/quotas/webhooks/admin '{"max_subscriptions":1000,"max_subscription_requests_per_minute":1000,"max_subscription_requests_per_day":10000,"max_events_per_minute":100000}'
case $STATUS in 200|201) ok "setup: quota" ;; *) fail "setup: quota" "$STATUS $BODY" ;; esac

# --- an async delivery's callback never comes --------------------------
subscribe "expiry $RUN" "$R/async" '["document.created"]'
activate
for i in 1 2 3; do emit document.created document "doc$i-$RUN"; done
deliver
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries WHERE subscription_id = '$SUB' AND status = 'in_progress'")
[ "$n" = 3 ] && ok "setup: three deliveries wait for their callback" || fail "setup: three in_progress deliveries" "$n"
OLD=$(psql_q "SELECT id FROM hookpost.deliveries WHERE subscription_id = '$SUB' AND event_type = 'document.created' ORDER BY id LIMIT 1")
EDGE=$(psql_q "SELECT id FROM hookpost.deliveries WHERE subscription_id = '$SUB' AND id <> '$OLD' ORDER BY id LIMIT 1")
NEW=$(psql_q "SELECT id FROM hookpost.deliveries WHERE subscription_id = '$SUB' AND id NOT IN ('$OLD', '$EDGE')")
w=$(waits "$SUB")
want=$(printf '%s=true\n' "$OLD" "$EDGE" "$NEW" | LC_ALL=C sort | tr '\n' ' ' | sed 's/ $//')
[ "$w" = "$want" ] && ok "each async delivery waits in delivery_callback_waits, since its last word" || fail "the finish records the callback waits" "$w vs $want"
# The receiver's last word: 4 hours and a minute ago, 3 h 59 min ago, now.
psql_q "UPDATE hookpost.deliveries SET updated_at = now() - interval '4 hours 1 minute' WHERE id = '$OLD'" >/dev/null
psql_q "UPDATE hookpost.deliveries SET updated_at = now() - interval '3 hours 59 minutes' WHERE id = '$EDGE'" >/dev/null
w=$(waits "$SUB")
[ "$w" = "$want" ] && ok "an UPDATE of updated_at moves the wait with it (the queue trigger)" || fail "the trigger keeps the waits' since" "$w vs $want"
fails0=$(psql_q "SELECT publication_failures FROM hookpost.subscriptions WHERE id = '$SUB'")
m0=$(metric)
case $m0 in [0-9]*) ;; *) m0=0 ;; esac	# absent: counted from 0 below
curl -s "$BASE/metrics" | grep -qF 'webhook_deliveries_expired_total{reason="callback_timeout"}' && ok "webhook_deliveries_expired_total is in /metrics before any expiry" || fail "the expiry counter is shown from the start" "$(curl -s "$BASE/metrics" | grep expired)"

deliver
admin GET "/admin/webhooks/deliveries/$OLD"
expect "past 4 hours without a callback: failed, callback_status expired, the reason in last_error" 200 \
    '.status == "failed" and .callback_status == "expired" and .last_error == "callback not received within 4 hours" and .completed_at != null'
n=$(psql_q "SELECT status FROM hookpost.deliveries WHERE id = '$EDGE'")
[ "$n" = in_progress ] && ok "3 h 59 min without a callback: still in_progress" || fail "a delivery within the TTL stays" "$n"
n=$(psql_q "SELECT status FROM hookpost.deliveries WHERE id = '$NEW'")
[ "$n" = in_progress ] && ok "a fresh async delivery stays in_progress" || fail "a fresh async delivery stays" "$n"
m1=$(metric)
[ "$m1" = $((m0 + 1)) ] && ok "the expiry is counted: webhook_deliveries_expired_total $m0 -> $m1" || fail "the expiry is counted in /metrics" "$m0 -> $m1"
n=$(psql_q "SELECT publication_failures FROM hookpost.subscriptions WHERE id = '$SUB'")
[ "$n" = $((fails0 + 1)) ] && ok "and counts one publication failure of its subscription" || fail "an expiry counts a publication failure" "$fails0 -> $n"
grep -q "ERROR: webhook delivery $OLD failed: callback not received within 4 hours" "$ERR" &&
    ok "the worker logs it: ERROR: webhook delivery <id> failed: callback not received within 4 hours" || fail "the expiry is logged as an ERROR" "$(cat "$ERR")"

callback "$OLD" '{"status":"completed","message":"late"}'
expect "a late callback is refused: 409 conflict" 409 '.error.code == "conflict" and (.error.message | test("failed"))'
n=$(psql_q "SELECT status || ':' || callback_status FROM hookpost.deliveries WHERE id = '$OLD'")
[ "$n" = failed:expired ] && ok "and changes nothing" || fail "a late callback changes nothing" "$n"
callback "$NEW" '{"status":"completed","message":"on time"}'
expect "a callback in time still completes its delivery" 200 '.status == "delivered"'
w=$(waits "$SUB")
[ "$w" = "$EDGE=true" ] && ok "the expired and the completed deliveries wait no more" || fail "expiry and callback leave the waits" "$w"
deliver
n=$(psql_q "SELECT status FROM hookpost.deliveries WHERE id = '$EDGE'")
m2=$(metric)
[ "$n" = in_progress ] && [ "$m2" = "$m1" ] && ok "a second run expires nothing more (and counts nothing)" || fail "expiry is idempotent" "$n $m1 -> $m2"

# The TTL is HOOKPOST_CALLBACK_TTL (seconds).
deliver HOOKPOST_CALLBACK_TTL=600
admin GET "/admin/webhooks/deliveries/$EDGE"
expect "HOOKPOST_CALLBACK_TTL=600 expires it after 10 minutes instead" 200 \
    '.status == "failed" and .last_error == "callback not received within 10 minutes"'

w=$(waits "$SUB")
[ "$w" = none ] && ok "HOOKPOST_CALLBACK_TTL's expiry leaves the waits empty" || fail "the last wait is gone" "$w"

# sql/026: no index of deliveries covers (as a key, an expression or a
# predicate) a column that a claim, a result, a callback or an expiry
# changes, so that all their updates can be HOT.
n=$(psql_q "SELECT coalesce(string_agg(DISTINCT i.indexrelid::regclass || '.' || a.attname, ' '), 'none') FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum > 0 WHERE i.indrelid = 'hookpost.deliveries'::regclass AND a.attname IN ('status', 'attempts', 'sends', 'next_attempt_at', 'claim_id', 'lease_until', 'last_status_code', 'last_error', 'callback_status', 'callback_message', 'updated_at', 'completed_at', 'external_ref') AND (a.attnum = ANY (i.indkey::int2[]) OR pg_get_expr(i.indexprs, i.indrelid) ~ ('\m' || a.attname || '\M') OR pg_get_expr(i.indpred, i.indrelid) ~ ('\m' || a.attname || '\M'))")
[ "$n" = none ] && ok "no index of deliveries covers a column its worker updates (HOT)" || fail "an index of deliveries blocks HOT updates" "$n"

# --- the seed's retry table, exact with HOOKPOST_RETRY_JITTER=0 ---------
subscribe "exact $RUN" "$R/status/500" '["document.updated"]'
activate
emit document.updated document "d-$RUN"
got=
for want in 60 300 900 1800; do
	deliver HOOKPOST_RETRY_JITTER=0
	got="$got $(psql_q "SELECT trim_scale(extract(epoch FROM next_attempt_at - updated_at)) FROM hookpost.deliveries WHERE subscription_id = '$SUB'")"
	psql_q "UPDATE hookpost.deliveries SET next_attempt_at = now() WHERE subscription_id = '$SUB'" >/dev/null
done
[ "$got" = " 60 300 900 1800" ] && ok "HOOKPOST_RETRY_JITTER=0: attempts 2-5 come exactly 60, 300, 900, 1800 s after a failure" || fail "the retry table is exact without jitter" "$got"
deliver HOOKPOST_RETRY_JITTER=0
n=$(psql_q "SELECT status || ':' || attempts FROM hookpost.deliveries WHERE subscription_id = '$SUB'")
[ "$n" = failed:5 ] && ok "and the 5th failure is final" || fail "failed after 5 attempts" "$n"

# The default keeps +-20%: 20 first retries are not all exactly 60 s.
subscribe "jitter $RUN" "$R/status/500" '["document.deleted"]'
activate
psql_q "SELECT hookpost.emit('document.deleted', 'document', 'j' || g, NULL, 'o1', '{}') FROM generate_series(1, 20) g" >/dev/null
deliver
n=$(psql_q "SELECT count(DISTINCT extract(epoch FROM next_attempt_at - updated_at)) || ':' || min(trim_scale(extract(epoch FROM next_attempt_at - updated_at))) || ':' || max(trim_scale(extract(epoch FROM next_attempt_at - updated_at))) FROM hookpost.deliveries WHERE subscription_id = '$SUB'")
cnt=${n%%:*} rest=${n#*:} lo=${rest%%:*} hi=${rest#*:}
[ "$cnt" -gt 1 ] && [ "${lo%.*}" -ge 48 ] && [ "${hi%.*}" -le 72 ] && ok "by default the first retry is jittered within 60 s +-20% ($n)" || fail "default jitter" "$n"

# --- the log lines seed 000's operators grep for ------------------------
# A URL whose query holds a secret: only its host may be logged.
subscribe "logs $RUN" "$R/status/500?token=url-secret-$RUN" '["repository.created"]'
LSUB=$SUB LSECRET=$SECRET
activate
emit repository.created repository "r-$RUN"
LDID=$(psql_q "SELECT id FROM hookpost.deliveries WHERE subscription_id = '$LSUB'")
: >"$LOGF"
deliver HOOKPOST_LOG_FILE="$LOGF"
grep "delivering webhook" "$LOGF" | grep -q "delivering webhook $LDID to 127.0.0.1:$PORT (attempt 1)" &&
    ok "grep 'delivering webhook': delivering webhook <id> to <host> (attempt 1)" || fail "a delivery attempt is logged" "$(cat "$LOGF")"
grep "ERROR.*webhook" "$LOGF" | grep -q "webhook delivery $LDID failed: HTTP 500 (attempt 1 of 5; next in" &&
    ok "grep 'ERROR.*webhook': a failed attempt, its cause and what follows" || fail "a failed delivery is an ERROR line" "$(cat "$LOGF")"
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z hookpost-deliver\[[0-9]+\]: (INFO|ERROR): ' "$LOGF" &&
    ok "HOOKPOST_LOG_FILE: time-stamped lines naming the worker" || fail "log file lines" "$(head -3 "$LOGF")"
[ ! -s "$ERR" ] && ok "and nothing on stderr then" || fail "HOOKPOST_LOG_FILE takes the lines from stderr" "$(cat "$ERR")"

subscribe "challenge ok $RUN" "$R/challenge" '["repository.updated"]'
CSUB=$SUB
subscribe "challenge bad $RUN" "$R/status/404?token=url-secret-$RUN" '["repository.updated"]'
BSUB=$SUB BSECRET=$SECRET
$W HOOKPOST_LOG_FILE="$LOGF" "$TOP/bin/hookpost-challenge" -1 2>/dev/null
grep "challenge worker" "$LOGF" | grep -q "challenge worker: verifying subscription $CSUB at 127.0.0.1:$PORT (attempt 1 of 3)" &&
    ok "grep 'challenge worker': challenge worker: verifying subscription <id> at <host>" || fail "a challenge is logged" "$(grep challenge "$LOGF")"
grep "challenge worker" "$LOGF" | grep -q "INFO: challenge worker: subscription $CSUB verified" &&
    ok "grep 'challenge worker': the verified subscription" || fail "a verified challenge is logged" "$(grep challenge "$LOGF")"
grep "ERROR.*webhook" "$LOGF" | grep -q "challenge worker: webhook challenge to subscription $BSUB failed: answered HTTP 404, not 200 (attempt 1 of 3)" &&
    ok "grep 'ERROR.*webhook': a failed challenge, and why" || fail "a failed challenge is an ERROR line" "$(grep challenge "$LOGF")"

# The seed's own lines, as its operators would type them, on stderr too.
psql_q "UPDATE hookpost.deliveries SET next_attempt_at = now() WHERE subscription_id = '$LSUB'" >/dev/null
deliver
for pat in "delivering webhook" "ERROR.*webhook"; do
	grep -q "$pat" "$ERR" && ok "stderr (cron's mail, make run's var/log/cron.log): grep \"$pat\" finds lines" || fail "stderr has $pat" "$(cat "$ERR")"
done
nolog() {	# NAME TEXT: TEXT is in neither log
	if grep -qF -- "$2" "$LOGF" "$ERR"; then fail "$1"; else ok "$1"; fi
}
nolog "no URL query in the logs" "token="
nolog "no secret of a URL in the logs" "url-secret-$RUN"
nolog "no subscription secret in the logs (delivery)" "$LSECRET"
nolog "no subscription secret in the logs (challenge)" "$BSECRET"
