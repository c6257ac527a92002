#!/bin/sh
# Fault suite, outbound: one delivery worker against a misbehaving
# receiver (tests/faults/chaos.py): 500s, 503 with Retry-After (seconds
# or an HTTP-date), answers hanging past the worker's timeout (short:
# HOOKPOST_DELIVERY_TIMEOUT_MS 1000; full: the default 30 s), connection
# resets, and a sequence of all of them ending in a 200.  Each retry must come no earlier than its
# delay (the subscription's schedule, without jitter, or Retry-After)
# after the end of the attempt before, and at most TOL ms later (the
# worker looks for due deliveries once a second); every attempt the
# receiver saw is on record; no delivery is ever seen in `sending` past
# its lease; each delivery ends as its answers say.  FAULT_KEEP=1 keeps
# the receiver's log and the worker's.
. "$TOP/tests/lib.sh"
. "$TOP/tests/faults/10_outbound.inc"

case ${FAULT_SCALE:-short} in
full)	K=20 RA=3 HANG=35000 TIMEOUT=30000 LIMIT=300
	WENV="HOOKPOST_RETRY_JITTER=0" ;;
*)	K=3 RA=2 HANG=2000 TIMEOUT=1000 LIMIT=40
	WENV="HOOKPOST_RETRY_JITTER=0 HOOKPOST_DELIVERY_TIMEOUT_MS=$TIMEOUT HOOKPOST_DELIVERY_LEASE=5" ;;
esac
TOL=2000	# ms a retry may come late: the worker's 1 s timer, a claim, load

D=$(mktemp -d)
chmod 755 "$D"
LOG=$D/chaos.log
W= C= S=
stop_worker() {	# SIGNAL: the worker (under $RUNAS: runuser's child), by its id
	[ -n "$W" ] || return 0
	if [ -n "$RUNAS" ]; then pkill "-$1" -P "$W"; else kill "-$1" "$W"; fi 2>/dev/null
	wait "$W" 2>/dev/null
	W=
}
trap 'stop_worker KILL; rm -f "$D/on"; [ -z "$S" ] || wait $S; [ -z "$C" ] || kill $C 2>/dev/null; [ -z "${FAULT_KEEP:-}" ] && rm -rf "$D" || echo "# kept $D"' EXIT
/usr/bin/python3 "$TOP/tests/faults/chaos.py" -P "$D/port" -l "$LOG" 2>"$D/chaos.err" &
C=$!
for i in $(seq 50); do [ -s "$D/port" ] && break; sleep 0.1; done
[ -s "$D/port" ] && ok "the chaos receiver starts" || { fail "the chaos receiver starts" "$(cat "$D/chaos.err")"; exit 0; }
R=http://127.0.0.1:$(cat "$D/port")

fault_quota

# KIND PATH SCHEDULE FINAL: a subscription of its own per kind, each
# with K deliveries; FINAL is what each of them must end as
# (status:attempts).  The first is made by the API, the others as its
# copies.  A schedule of 0 under Retry-After: only Retry-After delays.
SEQ="reset,500,ra$RA,hang$HANG,ok"
set -- \
	ok	/ok		'{1,2}'		delivered:1 \
	500	/status/500	'{1,2}'		failed:3 \
	ra	/ra/$RA		'{0,0}'		failed:3 \
	radate	/ra-date/$RA	'{0,0}'		failed:3 \
	hang	/hang/$HANG	'{1}'		failed:2 \
	reset	/reset		'{1,2}'		failed:3 \
	seq	"/seq/$SEQ"	'{1,1,0,1}'	delivered:5
admin POST /admin/webhooks/subscriptions "{\"name\":\"chaos $1 $RUN\",\"url\":\"$R$2\",\"events\":[\"note.created\"],\"max_concurrency\":64,\"retry_schedule\":[1,2]}"
[ "$STATUS" = 201 ] && ok "setup: subscription" || fail "setup: subscription" "$STATUS $BODY"
FIRST=$(jget .id)
KINDS= WANT= ROWS=
while [ $# -ge 4 ]; do
	KINDS="$KINDS $1"
	WANT="$WANT$1 $4 $K;"
	[ "$1" = ok ] || ROWS="$ROWS${ROWS:+, }('chaos $1 $RUN', '$R$2', '$3'::int[])"
	shift 4
done
psql_q "UPDATE hookpost.subscriptions SET status = 'active', events = '{faultchaos.event}' WHERE id = '$FIRST'; INSERT INTO hookpost.subscriptions (owner_id, all_owners, name, url, events, secret_enc, status, retry_schedule, max_concurrency) SELECT s.owner_id, s.all_owners, v.name, v.url, s.events, s.secret_enc, 'active', v.sched, 64 FROM hookpost.subscriptions s, (VALUES $ROWS) v(name, url, sched) WHERE s.id = '$FIRST'" >/dev/null
MINE="s.name LIKE 'chaos % $RUN'"
psql_q "SELECT hookpost.emit('faultchaos.event', 'note', 'c' || g, NULL, 'o1', '{}') FROM generate_series(1, $K) g" >/dev/null

open_n() {
	psql_q "SELECT count(*) FROM hookpost.deliveries d JOIN hookpost.subscriptions s ON s.id = d.subscription_id WHERE $MINE AND d.status NOT IN ('delivered', 'failed', 'cancelled')"
}
# Twice a second: deliveries in `sending` past their lease.
touch "$D/on"
(while [ -f "$D/on" ]; do
	psql_q "SELECT count(*) FILTER (WHERE d.status = 'sending' AND d.lease_until < now()) || ' ' || count(*) FILTER (WHERE d.status = 'sending') FROM hookpost.deliveries d JOIN hookpost.subscriptions s ON s.id = d.subscription_id WHERE $MINE"
	sleep 0.5
done) >"$D/lease" 2>&1 &
S=$!
ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(ms)
$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" $WENV "$TOP/bin/hookpost-deliver" -t 600 -n "fc-$RUN" 2>"$D/worker.log" &
W=$!
while [ "$(open_n)" != 0 ] && [ $(($(ms) - t0)) -lt $((LIMIT * 1000)) ]; do
	sleep 0.5
done
t=$(($(ms) - t0))
stop_worker TERM
rm -f "$D/on"
wait $S
S=
n=$(open_n)
[ "$n" = 0 ] && ok "every delivery is terminal within ${LIMIT}s" || fail "every delivery is terminal within ${LIMIT}s" "$n open: $(tail -5 "$D/worker.log")"

# Each kind's deliveries end as they must.
got=$(psql_q "SELECT split_part(s.name, ' ', 2) || ' ' || string_agg(DISTINCT d.status || ':' || d.attempts, ',') || ' ' || count(*) FROM hookpost.deliveries d JOIN hookpost.subscriptions s ON s.id = d.subscription_id WHERE $MINE GROUP BY s.name" | sort)
for k in $KINDS; do
	want=$(printf '%s' "$WANT" | tr ';' '\n' | grep "^$k ")
	g=$(printf '%s\n' "$got" | grep "^$k ")
	[ "$g" = "$want" ] && ok "$k: each of $K deliveries ends ${want#$k }" || fail "$k: each of $K deliveries ends ${want#$k }" "$g"
done

# The attempts on record (delivery, attempt, its end in ms, the
# schedule's next delay, kind, status code, response ms, error) and the
# requests the receiver saw (delivery, how-manieth, when, its answer).
# A try's last row is its answer: libcurl's re-send of a request whose
# reused connection was reset (README "Attempts") is a row of kind
# cut_off before it, with the same attempt number.
psql_q "SELECT DISTINCT ON (a.delivery_id, a.attempt) a.delivery_id, a.attempt, (extract(epoch FROM a.started_at) * 1000 + coalesce(a.response_ms, 0))::numeric(16,1), coalesce(s.retry_schedule[a.attempt], -1), split_part(s.name, ' ', 2), coalesce(a.status_code, 0), round(a.response_ms), coalesce(a.error, '') ILIKE '%timed out%' FROM hookpost.delivery_attempts a JOIN hookpost.deliveries d ON d.id = a.delivery_id JOIN hookpost.subscriptions s ON s.id = d.subscription_id WHERE $MINE ORDER BY a.delivery_id, a.attempt, a.id DESC" | tr '|' ' ' >"$D/att"
read rows cut <<END
$(psql_q "SELECT count(*) FILTER (WHERE a.kind IN ('sent', 'cut_off')), count(*) FILTER (WHERE a.kind = 'cut_off') FROM hookpost.delivery_attempts a JOIN hookpost.deliveries d ON d.id = a.delivery_id JOIN hookpost.subscriptions s ON s.id = d.subscription_id WHERE $MINE" | tr '|' ' ')
END
sends=$(psql_q "SELECT sum(coalesce(d.sends, d.attempts)) FROM hookpost.deliveries d JOIN hookpost.subscriptions s ON s.id = d.subscription_id WHERE $MINE")
jq -r 'select(.id != null and (.resend | not)) | "\(.id) \(.n) \(.t * 1000) \(.answer) \(.until // 0)"' "$LOG" >"$D/seen"
resends=$(jq -r 'select(.resend) | .id' "$LOG" | wc -l)
heard=$(jq -r 'select(.id != null) | .id' "$LOG" | wc -l)
n=$(wc -l <"$D/att")
m=$(wc -l <"$D/seen")
want=$(((1 + 3 + 3 + 3 + 2 + 3 + 5) * K))	# the FINAL attempts
[ "$n" = "$want" ] && [ "$m" = "$want" ] && ok "every try the receiver saw is on record ($want)" || fail "every try the receiver saw is on record" "$n on record, $m seen, want $want"
# Every request that reached the receiver is an attempt on record, a
# re-send too (libcurl's, on a reused connection reset before any
# answer), and the deliveries' attempt_count (sends) counts them all.
[ "$rows" = "$heard" ] && [ "$sends" = "$heard" ] && ok "every request the receiver got is an attempt on record, and counted ($heard)" ||
    fail "every request the receiver got is an attempt on record, and counted" "$heard requests, $rows attempts sent or cut off, attempt_count total $sends"
[ "$cut" = "$resends" ] && ok "each re-send after a reset is on record, the reset request as cut off ($resends)" ||
    fail "each re-send after a reset is on record, the reset request as cut off" "$resends re-sent, $cut cut off on record"

# The retries: how long after the end of the attempt before each came,
# against the delay it was due after (Retry-After for a 503 of chaos's
# raN, else the schedule's).
awk -v tol=$TOL '
	FNR == NR { t[$1, $2] = $3; a[$1, $2] = $4; u[$1, $2] = $5; next }
	($1, $2 + 1) in t {
		next_t = t[$1, $2 + 1]
		if (a[$1, $2] ~ /^rd/) {	# an HTTP-date: from that time
			g = next_t - u[$1, $2] * 1000
			nrd++
			if (nrd == 1 || g < rdmin) rdmin = g
			if (nrd == 1 || g > rdmax) rdmax = g
			next
		}
		ra = a[$1, $2] ~ /^ra/
		delay = (ra ? substr(a[$1, $2], 3) : $4) * 1000
		dev = next_t - $3 - delay
		n++
		if (n == 1 || dev < min) min = dev
		if (n == 1 || dev > max) max = dev
		if (dev < 0) early++
		if (dev > tol) late++
		if (ra) { nra++; g = next_t - $3; if (nra == 1 || g < rmin) rmin = g }
	}
	END { printf "%d %d %d %d %d %d %d %d %d %d\n", n, min, max, early, late, nra, rmin, nrd, rdmin, rdmax }' "$D/seen" "$D/att" >"$D/dev"
read retries dmin dmax early late nra ramin nrd rdmin rdmax <"$D/dev"
[ "$retries" -gt 0 ] && [ "$early" = 0 ] && ok "no retry before its scheduled delay ($retries retries; earliest ${dmin} ms from due)" ||
    fail "no retry before its scheduled delay" "$early of $retries early, by up to $((-dmin)) ms"
[ "$retries" -gt 0 ] && [ "$late" = 0 ] && ok "no retry more than $TOL ms after it was due (latest ${dmax} ms)" ||
    fail "no retry more than $TOL ms after it was due" "$late of $retries late, by up to $dmax ms"
[ "$nra" -gt 0 ] && [ "$ramin" -ge $((RA * 1000)) ] && ok "Retry-After: $RA honoured (earliest retry after $ramin ms, $nra retries)" ||
    fail "Retry-After: $RA honoured" "earliest retry ${ramin} ms after the 503, of $nra"
# Retry-After as an HTTP-date (a whole second): not before it, and at
# most TOL ms plus the second the date rounds to after it.
[ "$nrd" -gt 0 ] && [ "$rdmin" -ge 0 ] && [ "$rdmax" -le $((TOL + 1000)) ] &&
    ok "Retry-After: <HTTP-date> honoured (retries $rdmin to $rdmax ms after it, $nrd retries)" ||
    fail "Retry-After: <HTTP-date> honoured" "retries $rdmin to $rdmax ms after the date, of $nrd"

# The hanging answers: cut at the worker's timeout, recorded as timed out.
h=$(awk -v to=$TIMEOUT '($5 == "hang" && $2 <= 2) || ($5 == "seq" && $2 == 4) { n++; if ($6 == 0 && $8 == "t" && $7 >= to - 5 && $7 < to + 1000) good++ }
	END { print n + 0, good + 0 }' "$D/att")
[ "$h" = "$((3 * K)) $((3 * K))" ] && ok "a hanging receiver is cut at ${TIMEOUT} ms, a timed-out attempt" || fail "a hanging receiver is cut at ${TIMEOUT} ms" "$h (hangs, cut right)"
r=$(awk '($5 == "reset" && $6 == 0) || ($5 == "seq" && $2 == 1 && $6 == 0) { n++ } END { print n + 0 }' "$D/att")
[ "$r" = "$((4 * K))" ] && ok "a reset connection is a failed attempt without a status" || fail "a reset connection is a failed attempt without a status" "$r of $((4 * K))"

# Leases: never a delivery in `sending` past its lease, none left after.
late_lease=$(awk '$1 > 0' "$D/lease" | wc -l)
samples=$(wc -l <"$D/lease")
busy=$(awk '$2 > 0' "$D/lease" | wc -l)
[ "$samples" -gt 0 ] && [ "$late_lease" = 0 ] && ok "no delivery seen in sending past its lease ($samples samples, $busy with sends)" ||
    fail "no delivery seen in sending past its lease" "$late_lease of $samples samples: $(awk '$1 > 0' "$D/lease" | head -3)"
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries d JOIN hookpost.subscriptions s ON s.id = d.subscription_id WHERE $MINE AND d.status = 'sending'")
[ "$n" = 0 ] && ok "nothing is left in sending" || fail "nothing is left in sending" "$n"
psql_q "UPDATE hookpost.subscriptions s SET status = 'disabled' WHERE $MINE" >/dev/null

secs=$((t / 1000)).$((t % 1000 / 100))
attempts=$(wc -l <"$D/att")
echo "# | chaos receiver, timeout ${TIMEOUT} ms | deliveries $((7 * K)) | attempts $attempts | retries $retries | resent at once after a reset $resends, on record $cut | schedule deviation ${dmin}..${dmax} ms | early $early | late $late | seconds $secs"
echo "# | chaos receiver: Retry-After $RA s | retries $nra | earliest retry after ${ramin} ms | Retry-After date: retries $nrd, ${rdmin}..${rdmax} ms after it | sending past lease $late_lease of $samples samples"
