#!/bin/sh
# Fault suite, outbound: the delivery worker killed with SIGKILL every
# second while N events are delivered to a local receiver (bin/bench-sink,
# which logs every request it gets); a loop starts it again each time
# (short: 300 events, full: 5,000).  Nothing may be lost: every delivery
# reaches the receiver at least once and ends delivered; the duplicates
# (a send whose result the kill cut off, sent again after its lease) are
# counted, and each one must be on record as an attempt.
. "$TOP/tests/lib.sh"
. "$TOP/tests/faults/10_outbound.inc"

case ${FAULT_SCALE:-short} in
full)	N=5000 LIMIT=600 ;;
*)	N=300 LIMIT=40 ;;
esac
LEASE=2		# a killed worker's claims are taken over this much later
CONC=32

LOG=$(mktemp) WLOG=$(mktemp)
W=
# stop_worker SIGNAL: the worker (under $RUNAS: runuser's child) signalled
# by its own process id, then waited for.
stop_worker() {
	[ -n "$W" ] || return 0
	if [ -n "$RUNAS" ]; then pkill "-$1" -P "$W"; else kill "-$1" "$W"; fi 2>/dev/null
	wait "$W" 2>/dev/null
	W=
}
trap 'stop_worker KILL; kill $SINK 2>/dev/null; rm -f "$LOG" "$WLOG"' EXIT
start_sink "$LOG" || { fail "the receiver starts"; exit 0; }

fault_quota
# Each send takes 200 ms at the receiver, so that kills land while
# sends are in flight; a failed attempt is retried a second later.
admin POST /admin/webhooks/subscriptions "{\"name\":\"kill $RUN\",\"url\":\"http://127.0.0.1:$PORT/slow/200\",\"events\":[\"note.created\"],\"max_concurrency\":64,\"retry_schedule\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}"
SUB=$(jget .id)
[ "$STATUS" = 201 ] && ok "setup: subscription" || fail "setup: subscription" "$STATUS $BODY"
# An event type of this file alone: no other subscription gets these.
psql_q "UPDATE hookpost.subscriptions SET status = 'active', events = '{faultkill.event}' WHERE id = '$SUB'; SELECT hookpost.emit('faultkill.event', 'note', 'k' || g, NULL, 'o1', '{}') FROM generate_series(1, $N) g" >/dev/null
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries WHERE subscription_id = '$SUB'")
[ "$n" = "$N" ] && ok "$N deliveries queued" || fail "$N deliveries queued" "$n"

open_n() {	# deliveries not yet delivered, failed or cancelled
	psql_q "SELECT count(*) FROM hookpost.deliveries WHERE subscription_id = '$SUB' AND status NOT IN ('delivered', 'failed', 'cancelled')"
}
ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(ms)
kills=0
while [ "$(open_n)" != 0 ]; do
	[ $(($(ms) - t0)) -lt $((LIMIT * 1000)) ] || break
	$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" HOOKPOST_DELIVERY_LEASE=$LEASE \
	    HOOKPOST_DELIVERY_TIMEOUT_MS=1500 \
	    "$TOP/bin/hookpost-deliver" -t 600 -c $CONC -n "fk-$RUN" 2>>"$WLOG" &
	W=$!
	sleep 1
	stop_worker KILL
	kills=$((kills + 1))
done
t=$(($(ms) - t0))
secs=$((t / 1000)).$((t % 1000 / 100))

jq -r "select(.headers[\"x-webhook-subscription-id\"] == \"$SUB\") | .headers[\"x-webhook-delivery-id\"]" "$LOG" | sort >"$LOG.sent"
# Each delivery: id, attempts on record, attempt count, status, queued.
psql_q "SELECT d.id || ' ' || count(a.id) || ' ' || d.attempts || ' ' || d.status || ' ' || EXISTS (SELECT 1 FROM hookpost.delivery_queue q WHERE q.delivery_id = d.id) FROM hookpost.deliveries d LEFT JOIN hookpost.delivery_attempts a ON a.delivery_id = d.id WHERE d.subscription_id = '$SUB' GROUP BY d.id" | sort >"$LOG.rec"
cut -d' ' -f1 "$LOG.rec" >"$LOG.all"
received=$(wc -l <"$LOG.sent")
distinct=$(sort -u "$LOG.sent" | wc -l)
lost=$(sort -u "$LOG.sent" | comm -23 "$LOG.all" - | wc -l)
dups=$((received - distinct))
delivered=$(awk '$4 == "delivered"' "$LOG.rec" | wc -l)
left=$(awk '$4 != "delivered" && $4 != "failed" && $4 != "cancelled"' "$LOG.rec" | wc -l)

[ "$kills" -ge 3 ] && ok "the worker was SIGKILLed every second ($kills times)" || fail "the worker was SIGKILLed at least 3 times" "$kills"
[ "$lost" = 0 ] && [ "$distinct" = "$N" ] && ok "lost 0: each of $N deliveries reached the receiver at least once" ||
    fail "lost 0: each delivery reached the receiver" "lost $lost, $distinct of $N distinct"
[ "$left" = 0 ] && [ "$delivered" = "$N" ] && ok "every delivery is terminal: $delivered of $N delivered" ||
    fail "every delivery is terminal and delivered" "$delivered delivered, $left open after ${secs}s: $(tail -5 "$WLOG")"
n=$(awk '$5 == "t"' "$LOG.rec" | wc -l)
[ "$n" = 0 ] && ok "nothing of them is left in the queue" || fail "nothing left in the queue" "$n rows"
# A send cut off by a kill is an attempt the receiver saw: it is on
# record, and the delivery's attempt count is the attempts on record.
n=$(uniq -c "$LOG.sent" | awk '{ print $2, $1 }' | join - "$LOG.rec" | awk '$2 > $3' | wc -l)
[ "$n" = 0 ] && ok "every send the receiver saw is recorded as an attempt ($dups duplicates)" ||
    fail "every send the receiver saw is recorded as an attempt" "$n deliveries sent more often than their attempts on record, e.g. $(uniq -c "$LOG.sent" | awk '{ print $2, $1 }' | join - "$LOG.rec" | awk '$2 > $3 { print $1, $2, $3 }' | head -3 | tr '\n' ';') (id, sent, on record)"
n=$(awk '$2 != $3' "$LOG.rec" | wc -l)
[ "$n" = 0 ] && ok "each delivery's attempt count is its attempts on record" ||
    fail "each delivery's attempt count is its attempts on record" "$n differ, e.g. $(awk '$2 != $3 { print $1, $2, $3 }' "$LOG.rec" | head -3 | tr '\n' ';') (id, on record, attempt count)"
rm -f "$LOG.sent" "$LOG.all" "$LOG.rec"
psql_q "UPDATE hookpost.subscriptions SET status = 'disabled' WHERE id = '$SUB'" >/dev/null

echo "# | worker SIGKILLed every 1 s | events $N | kills $kills | delivered $delivered | lost $lost | duplicates $dups | seconds $secs"
