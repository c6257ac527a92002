#!/bin/sh
# Every attempt logged, and retries never early (issue 12, "Found under
# faults"), against tests/emu/attempts.py, a receiver that hangs, resets
# a reused connection, or answers Retry-After.  A worker killed (SIGKILL)
# mid-send leaves its try to the claim that takes it over, which records
# it cut_off; libcurl's re-send of a POST after a reused connection died
# is its own cut_off row; attempt_count counts sends; a try that sent
# nothing is not_sent; claimed deliveries a stopped worker never started
# are given back unrecorded; a retry after Retry-After: 2 starts 2.000 s
# or more after the attempt before it ended.  Workers don't depend on
# the web server: runs once, under lighttpd.
. "$TOP/tests/lib.sh"
[ "$SERVER" = lighttpd ] || exit 0

ELOG=$(mktemp)
start_emu attempts "$ELOG" || fail "the misbehaving receiver starts"
trap 'kill $EMU 2>/dev/null; rm -f "$ELOG"' EXIT
R=http://127.0.0.1:$EMU_PORT
W="$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG"

# sub NAME PATH EVENT [extra json]: an active subscription of PATH that
# takes EVENT (a type of this file's own, outside the catalog, so that no
# other file's subscription takes these events; set after the API's
# check).
sub() {
	admin POST /admin/webhooks/subscriptions "{\"name\":\"$1 $RUN\",\"url\":\"$R$2\",\"events\":[\"note.created\"]${4:+,$4}}"
	SUB=$(jget .id)
	psql_q "UPDATE hookpost.subscriptions SET status = 'active', events = '{$3}' WHERE id = '$SUB'" >/dev/null
}
# emit TYPE N: N events of TYPE.
emit() { psql_q "SELECT hookpost.emit('$1', 'attempt', 'a' || g || '-$RUN', NULL, 'o1', '{}') FROM generate_series(1, $2) g" >/dev/null; }
# kinds DELIVERY: its attempts as "attempt:kind:status" in order.
kinds() { psql_q "SELECT string_agg(a.attempt || ':' || a.kind || ':' || coalesce(a.status_code::text, '-'), ' ' ORDER BY a.attempt, a.id) FROM hookpost.delivery_attempts a WHERE a.delivery_id = '$1'"; }
# received DELIVERY: how many times the receiver got it.
received() { jq -r --arg d "$1" 'select(.id == $d) | .id' "$ELOG" | grep -c .; }
# worker_pid NAME: the pid of the worker started with -n NAME ($RUNAS may
# have started it under runuser).
worker_pid() { pgrep -f "^$TOP/bin/hookpost-deliver -1 .*-n $1\$"; }

admin PUT /admin/quotas/webhooks/admin '{"max_subscriptions":1000,"max_subscription_requests_per_minute":1000,"max_subscription_requests_per_day":10000,"max_events_per_minute":100000}'
case $STATUS in 200|201) ok "setup: quota" ;; *) fail "setup: quota" "$STATUS $BODY" ;; esac

# --- a worker killed mid-send -------------------------------------------
sub kill /hang attempts.kill
KSUB=$SUB
emit attempts.kill 1
D=$(psql_q "SELECT id FROM hookpost.deliveries WHERE subscription_id = '$KSUB'")
$W HOOKPOST_DELIVERY_LEASE=2 "$TOP/bin/hookpost-deliver" -1 -n "ak-$RUN" 2>/dev/null &
K=$!
for _i in $(seq 40); do [ "$(received "$D")" -ge 1 ] && break; sleep 0.05; done
kill -KILL "$(worker_pid "ak-$RUN")" 2>/dev/null
wait $K 2>/dev/null
n=$(psql_q "SELECT status || ':' || attempts || ':' || (SELECT count(*) FROM hookpost.delivery_attempts a WHERE a.delivery_id = d.id) FROM hookpost.deliveries d WHERE id = '$D'")
[ "$n" = "sending:1:0" ] && [ "$(received "$D")" = 1 ] && ok "SIGKILL mid-send: the request reached the receiver, the delivery is left sending, nothing recorded yet" || fail "SIGKILL mid-send leaves it sending" "$n, received $(received "$D")"
# The receiver is well again; after the lease another worker takes over.
psql_q "UPDATE hookpost.subscriptions SET url = '$R/ok' WHERE id = '$KSUB'" >/dev/null
sleep "$(psql_q "SELECT greatest(0, extract(epoch FROM lease_until - now())) + 0.05 FROM hookpost.deliveries WHERE id = '$D'")"
$W HOOKPOST_DELIVERY_LEASE=2 "$TOP/bin/hookpost-deliver" -1 -n "ak2-$RUN" 2>/dev/null
n=$(kinds "$D")
[ "$n" = "1:cut_off:- 2:sent:200" ] && ok "after the lease: the cut-off try and the next one are both attempts" || fail "the cut-off try is recorded" "$n"
n=$(psql_q "SELECT a.error || '|' || (a.claim_id IS NOT NULL) || '|' || (a.started_at < (SELECT b.started_at FROM hookpost.delivery_attempts b WHERE b.delivery_id = a.delivery_id AND b.attempt = 2)) FROM hookpost.delivery_attempts a WHERE a.delivery_id = '$D' AND a.attempt = 1")
[ "$n" = "worker died during the send (or before it): no answer recorded|true|true" ] && ok "its error says the worker died during the send; started_at is its claim's" || fail "the cut-off try's error" "$n"
admin GET "/admin/webhooks/deliveries/$D"
expect "the API shows the kinds; attempt_count counts the sends (2, as received)" 200 ".status == \"delivered\" and .attempt_count == 2 and .attempt_count == $(received "$D") and ([.attempts[].kind] == [\"cut_off\", \"sent\"]) and .attempts[0].status_code == null"

# A worker stalled (SIGSTOP) past its lease is taken over like a dead
# one; its late result, fenced by the claim id, moves nothing but
# completes the cut_off row of its try instead of adding a second row.
sub late /hang/late attempts.late
LSUB=$SUB
emit attempts.late 1
L=$(psql_q "SELECT id FROM hookpost.deliveries WHERE subscription_id = '$LSUB'")
$W HOOKPOST_DELIVERY_LEASE=1 HOOKPOST_DELIVERY_TIMEOUT_MS=1500 "$TOP/bin/hookpost-deliver" -1 -n "al-$RUN" 2>/dev/null &
K=$!
for _i in $(seq 40); do [ "$(received "$L")" -ge 1 ] && break; sleep 0.05; done
P=$(worker_pid "al-$RUN")
kill -STOP "$P"
psql_q "UPDATE hookpost.subscriptions SET url = '$R/ok' WHERE id = '$LSUB'" >/dev/null
sleep "$(psql_q "SELECT greatest(0, extract(epoch FROM lease_until - now())) + 0.05 FROM hookpost.deliveries WHERE id = '$L'")"
$W HOOKPOST_DELIVERY_LEASE=1 "$TOP/bin/hookpost-deliver" -1 -n "al2-$RUN" 2>/dev/null
n1=$(kinds "$L")
# (runuser, under $RUNAS, stops itself when its child stops: it too.)
kill -CONT "$P" $K 2>/dev/null
wait $K 2>/dev/null
n2=$(kinds "$L")
n=$(psql_q "SELECT d.status || ':' || d.sends || ':' || (a.error LIKE '%timed out%') FROM hookpost.deliveries d JOIN hookpost.delivery_attempts a ON a.delivery_id = d.id AND a.attempt = 1 WHERE d.id = '$L'")
[ "$n1" = "1:cut_off:- 2:sent:200" ] && [ "$n2" = "1:sent:- 2:sent:200" ] && [ "$n" = "delivered:2:true" ] && ok "a stalled worker's late result completes its cut_off row (one row per send), moving nothing" || fail "a late result completes its cut_off row" "$n1 / $n2 / $n"

# --- libcurl's re-send after a reused connection died --------------------
# Two deliveries, one transfer at a time: the second goes on the first's
# kept-alive connection, which the receiver resets once it has read it;
# libcurl sends it again on a new connection, answered 200.
# In the same run, a try that sends nothing: the SSRF guard refuses
# 0.0.0.0 before any connection.
sub none /ok attempts.none
NSUB=$SUB
psql_q "UPDATE hookpost.subscriptions SET url = 'http://0.0.0.0:$EMU_PORT/ok', retry_schedule = '{60}' WHERE id = '$NSUB'" >/dev/null
emit attempts.none 1
sub reset /reset-second attempts.reset '"max_concurrency":1'
emit attempts.reset 2
$W "$TOP/bin/hookpost-deliver" -1 -c 1 -n "ar-$RUN" 2>/dev/null
n=$(psql_q "SELECT d.status || ':' || d.attempts || ':' || d.sends || ':' || a.kind FROM hookpost.deliveries d JOIN hookpost.delivery_attempts a ON a.delivery_id = d.id WHERE d.subscription_id = '$NSUB'")
[ "$n" = "pending:1:0:not_sent" ] && ok "a refused try is an attempt of kind not_sent, not a send (attempt_count 0), still a step of the schedule" || fail "a refused try is not_sent" "$n"
n=$(psql_q "SELECT string_agg(x, ' ' ORDER BY x) FROM (SELECT d.status || '/' || coalesce(d.sends, -1) || '/' || (SELECT string_agg(a.kind || ':' || coalesce(a.status_code::text, '-'), ',' ORDER BY a.id) FROM hookpost.delivery_attempts a WHERE a.delivery_id = d.id) AS x FROM hookpost.deliveries d WHERE d.subscription_id = '$SUB') y")
[ "$n" = "delivered/1/sent:200 delivered/2/cut_off:-,sent:200" ] && ok "a re-send on a fresh connection is its own attempt (cut_off, then sent); sends 2" || fail "libcurl's re-send is recorded" "$n"
RD=$(psql_q "SELECT id FROM hookpost.deliveries WHERE subscription_id = '$SUB' AND sends = 2")
n=$(jq -r --arg d "$RD" 'select(.id == $d) | "\(.conn).\(.n)"' "$ELOG" | tr '\n' ' ')
[ "$(printf '%s' "$n" | wc -w)" = 2 ] && ok "the receiver got it twice, as recorded (connection.request: $n)" || fail "the receiver got the re-sent delivery twice" "$n"
n=$(psql_q "SELECT a.error FROM hookpost.delivery_attempts a WHERE a.delivery_id = '$RD' AND a.kind = 'cut_off'")
case $n in *"libcurl sent the request again"*) ok "the cut-off send says libcurl sent it again" ;; *) fail "the re-send's error" "$n" ;; esac

# --- claimed, never started: given back on SIGTERM -----------------------
sub held /hang/held attempts.held '"max_concurrency":1'
HSUB=$SUB
emit attempts.held 3
$W HOOKPOST_DELIVERY_TIMEOUT_MS=500 "$TOP/bin/hookpost-deliver" -1 -c 4 -n "ah-$RUN" 2>/dev/null &
K=$!
for _i in $(seq 40); do grep -q '"/hang/held"' "$ELOG" && break; sleep 0.05; done
kill -TERM "$(worker_pid "ah-$RUN")" 2>/dev/null
wait $K 2>/dev/null
n=$(psql_q "SELECT string_agg(x, ' ' ORDER BY x) FROM (SELECT d.status || ':' || d.attempts || ':' || (SELECT count(*) FROM hookpost.delivery_attempts a WHERE a.delivery_id = d.id) AS x FROM hookpost.deliveries d WHERE d.subscription_id = '$HSUB') y")
[ "$n" = "pending:0:0 pending:0:0 pending:1:1" ] && ok "SIGTERM: the try in flight ends (timed out, recorded); the two never started are given back unrecorded" || fail "SIGTERM gives back what it never started" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries d WHERE d.subscription_id = '$HSUB' AND d.attempts = 0 AND d.next_attempt_at <= now() AND d.claim_id IS NULL")
[ "$n" = 2 ] && ok "and they are due again at once, not after a lease" || fail "given back due at once" "$n"
psql_q "UPDATE hookpost.subscriptions SET status = 'disabled' WHERE id = '$HSUB'" >/dev/null

# --- Retry-After: 2, to the millisecond ----------------------------------
# The default jitter (20%): each retry 2.000 to 2.400 s after the attempt
# before it ended (its answer came back), never sooner; measured by the
# worker's clock (started_at + response_ms) and by the receiver's (its
# 503 written, the retry received).
sub ra /ra/2 attempts.ra '"max_concurrency":20'
emit attempts.ra 12
# One worker running on, as from cron (ended once all are delivered).
$W "$TOP/bin/hookpost-deliver" -t 10 -n "ra-$RUN" 2>/dev/null &
K=$!
for _i in $(seq 100); do
	[ "$(psql_q "SELECT count(*) FROM hookpost.deliveries WHERE subscription_id = '$SUB' AND status = 'delivered'")" = 12 ] && break
	sleep 0.1
done
kill -TERM "$(pgrep -f "^$TOP/bin/hookpost-deliver -t 10 -n ra-$RUN\$")" 2>/dev/null
wait $K 2>/dev/null
n=$(psql_q "SELECT count(*) FILTER (WHERE status = 'delivered') || '/' || count(*) FROM hookpost.deliveries WHERE subscription_id = '$SUB'")
[ "$n" = 12/12 ] && ok "Retry-After 2: all 12 retried and delivered" || fail "Retry-After 2: all retried" "$n"
gaps=$(psql_q "SELECT string_agg(round(extract(epoch FROM b.started_at - a.started_at) * 1000 - a.response_ms)::text, ' ') FROM hookpost.deliveries d JOIN hookpost.delivery_attempts a ON a.delivery_id = d.id AND a.attempt = 1 JOIN hookpost.delivery_attempts b ON b.delivery_id = d.id AND b.attempt = 2 WHERE d.subscription_id = '$SUB'")
n=$(psql_q "SELECT min(extract(epoch FROM b.started_at - a.started_at) * 1000 - a.response_ms) >= 2000 FROM hookpost.deliveries d JOIN hookpost.delivery_attempts a ON a.delivery_id = d.id AND a.attempt = 1 JOIN hookpost.delivery_attempts b ON b.delivery_id = d.id AND b.attempt = 2 WHERE d.subscription_id = '$SUB'")
[ "$n" = t ] && ok "each retry started >= 2000 ms after its 503 came back (worker's clock, ms: $gaps)" || fail "retries after Retry-After 2 are never early" "$gaps"
rgaps=$(jq -r --arg p /ra/2 'select(.path == $p)' "$ELOG" | jq -s -r 'group_by(.id) | map(select(length == 2) | ((.[1].t - .[0].answered) * 1000 | floor)) | sort | map(tostring) | join(" ")')
rmin=$(printf '%s\n' $rgaps | head -1)
[ -n "$rmin" ] && [ "$rmin" -ge 2000 ] && [ "$(printf '%s\n' $rgaps | grep -c .)" = 12 ] && ok "the receiver saw each retry >= 2000 ms after its 503 (ms: $rgaps)" || fail "the receiver saw no early retry" "$rgaps"
# A delivered retry keeps the due time its 503 gave it (next_attempt_at):
# from the 503's end, 2.000 to 2.400 s, each its own.
n=$(psql_q "SELECT min(x) >= 2000 AND max(x) <= 2400 + 100 AND count(DISTINCT x) >= 8 FROM (SELECT round((extract(epoch FROM d.next_attempt_at - a.started_at) * 1000 - a.response_ms)::numeric, 3) AS x FROM hookpost.deliveries d JOIN hookpost.delivery_attempts a ON a.delivery_id = d.id AND a.attempt = 1 WHERE d.subscription_id = '$SUB') y")
spread=$(psql_q "SELECT string_agg(round((extract(epoch FROM d.next_attempt_at - a.started_at) * 1000 - a.response_ms)::numeric)::text, ' ') FROM hookpost.deliveries d JOIN hookpost.delivery_attempts a ON a.delivery_id = d.id AND a.attempt = 1 WHERE d.subscription_id = '$SUB'")
[ "$n" = t ] && ok "each was due 2000..2400 ms after its 503 (+ the write), jittered to the ms, not rounded (ms: $spread)" || fail "Retry-After 2 due times jittered, never early" "$spread"
