#!/bin/sh
# Fault suite, outbound: two delivery workers (hookpost-deliver, lock
# names apart, as on two hosts) and two challenge workers
# (hookpost-challenge) at once on the same queue, while events are
# emitted and subscriptions created (short: 400 events and 20
# subscriptions, full: 5,000 and 100).  The receiver (bin/bench-sink)
# must get each delivery exactly once and each subscription's challenge
# exactly once; both delivery workers must have sent some.
. "$TOP/tests/lib.sh"
. "$TOP/tests/faults/10_outbound.inc"

case ${FAULT_SCALE:-short} in
full)	N=5000 BATCH=250 M=100 LIMIT=300 ;;
*)	N=400 BATCH=50 M=20 LIMIT=30 ;;
esac

D=$(mktemp -d)
chmod 755 "$D"
LOG=$D/sink.log
PIDS=
stop_all() {	# SIGNAL: the workers (under $RUNAS: runuser's child), by id
	for p in $PIDS; do
		if [ -n "$RUNAS" ]; then pkill "-$1" -P "$p"; else kill "-$1" "$p"; fi 2>/dev/null
	done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	PIDS=
}
trap 'stop_all KILL; kill $SINK 2>/dev/null; rm -rf "$D"' EXIT
start_sink "$LOG" || { fail "the receiver starts"; exit 0; }
R=http://127.0.0.1:$PORT

fault_quota
admin POST /admin/webhooks/subscriptions "{\"name\":\"two $RUN\",\"url\":\"$R/ok\",\"events\":[\"note.created\"],\"max_concurrency\":64}"
SUB=$(jget .id)
[ "$STATUS" = 201 ] && ok "setup: subscription" || fail "setup: subscription" "$STATUS $BODY"
psql_q "UPDATE hookpost.subscriptions SET status = 'active', events = '{faulttwo.event}' WHERE id = '$SUB'" >/dev/null

ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(ms)
for w in a b; do
	$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$TOP/bin/hookpost-deliver" -t 600 -c 16 -n "f$w-$RUN" 2>"$D/deliver-$w.log" &
	PIDS="$PIDS $!"
	$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" HOOKPOST_CHALLENGE_INTERVAL=1 "$TOP/bin/hookpost-challenge" -t 600 2>"$D/challenge-$w.log" &
	PIDS="$PIDS $!"
done
# The events in batches, and the subscriptions one by one, while the
# workers run.
(i=0; while [ $i -lt $N ]; do
	psql_q "SELECT hookpost.emit('faulttwo.event', 'note', 't' || g, NULL, 'o1', '{}') FROM generate_series($((i + 1)), $((i + BATCH))) g" >/dev/null
	i=$((i + BATCH))
done) &
E=$!
# Four requests at a time, each answered 201 or not.
seq "$M" | xargs -P 4 -I{} curl -sS -o /dev/null -w '%{http_code}\n' --max-time 30 \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary "{\"name\":\"two c{} $RUN\",\"url\":\"$R/challenge/c{}\",\"events\":[\"note.created\"]}" \
    "$BASE/admin/webhooks/subscriptions" >"$D/made" 2>&1
made=$(grep -c '^201$' "$D/made")
wait $E
[ "$made" = "$M" ] && ok "$M subscriptions made while the workers run" || fail "$M subscriptions made" "$made"

open_n() {
	psql_q "SELECT (SELECT count(*) FROM hookpost.deliveries WHERE subscription_id = '$SUB' AND status NOT IN ('delivered', 'failed', 'cancelled')) + (SELECT count(*) FROM hookpost.subscriptions WHERE name LIKE 'two c% $RUN' AND status = 'pending_verification')"
}
while [ "$(open_n)" != 0 ] && [ $(($(ms) - t0)) -lt $((LIMIT * 1000)) ]; do
	sleep 0.3
done
t=$(($(ms) - t0))
stop_all TERM

# Deliveries: each sent exactly once, by one of the two.
psql_q "SELECT id FROM hookpost.deliveries WHERE subscription_id = '$SUB'" | sort >"$D/all"
jq -r "select(.headers[\"x-webhook-subscription-id\"] == \"$SUB\") | .headers[\"x-webhook-delivery-id\"]" "$LOG" | sort >"$D/sent"
total=$(wc -l <"$D/all")
sent=$(wc -l <"$D/sent")
distinct=$(sort -u "$D/sent" | wc -l)
dups=$((sent - distinct))
[ "$total" = "$N" ] && ok "$N deliveries queued" || fail "$N deliveries queued" "$total"
[ "$sent" = "$N" ] && [ "$distinct" = "$N" ] && ok "the receiver got each of $N deliveries exactly once" ||
    fail "the receiver got each delivery exactly once" "$sent requests, $distinct distinct, of $N"
n=$(psql_q "SELECT count(*) FILTER (WHERE d.status = 'delivered' AND d.attempts = 1 AND (SELECT count(*) FROM hookpost.delivery_attempts a WHERE a.delivery_id = d.id) = 1) FROM hookpost.deliveries d WHERE d.subscription_id = '$SUB'")
[ "$n" = "$N" ] && ok "each delivered after one attempt, one attempt on record" || fail "each delivered after one attempt, one on record" "$n of $N"
for w in a b; do
	sed -n 's/.*delivering webhook \([0-9a-f-]*\) .*/\1/p' "$D/deliver-$w.log" | sort | join - "$D/all" >"$D/by-$w"
done
by_a=$(wc -l <"$D/by-a") by_b=$(wc -l <"$D/by-b")
both=$(join "$D/by-a" "$D/by-b" | wc -l)
[ "$by_a" -gt 0 ] && [ "$by_b" -gt 0 ] && [ "$both" = 0 ] && [ $((by_a + by_b)) = "$N" ] &&
    ok "both delivery workers sent ($by_a + $by_b), never the same delivery" ||
    fail "both delivery workers sent, never the same delivery" "a $by_a, b $by_b, by both $both, of $N"

# Challenges: each subscription's exactly once.
sed -n 's|.*"path":"/challenge/\(c[0-9]*\)".*|\1|p' "$LOG" | sort >"$D/chal"
chal=$(wc -l <"$D/chal")
cdistinct=$(sort -u "$D/chal" | wc -l)
[ "$chal" = "$M" ] && [ "$cdistinct" = "$M" ] && ok "each of $M subscriptions challenged exactly once" ||
    fail "each subscription challenged exactly once" "$chal challenges, $cdistinct distinct, of $M: $(uniq -d "$D/chal" | head -5 | tr '\n' ' ')"
n=$(psql_q "SELECT count(*) FROM hookpost.subscriptions WHERE name LIKE 'two c% $RUN' AND status = 'active' AND challenge_attempts = 0")
[ "$n" = "$M" ] && ok "each is active after its one challenge" || fail "each is active after its one challenge" "$n of $M"
psql_q "SELECT id FROM hookpost.subscriptions WHERE name LIKE 'two c% $RUN'" | sort >"$D/subs"
for w in a b; do
	sed -n 's/.*verifying subscription \([0-9a-f-]*\) .*/\1/p' "$D/challenge-$w.log" | sort | join - "$D/subs" >"$D/cby-$w"
done
ca=$(wc -l <"$D/cby-a") cb=$(wc -l <"$D/cby-b")
[ $((ca + cb)) = "$M" ] && ok "the two challenge workers took $ca + $cb" || fail "the two challenge workers took $M together" "$ca + $cb"
psql_q "UPDATE hookpost.subscriptions SET status = 'disabled' WHERE name LIKE 'two % $RUN'" >/dev/null

secs=$((t / 1000)).$((t % 1000 / 100))
echo "# | two delivery and two challenge workers | deliveries $N | sent once $distinct | duplicates $dups | by worker $by_a + $by_b | challenges $M | challenged once $cdistinct | by worker $ca + $cb | seconds $secs"
