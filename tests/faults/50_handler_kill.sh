#!/bin/sh
# FastCGI handler processes killed (SIGKILL) under signed inbound load
# (issue 12): every process of the sources.fcgi and triggers.fcgi pools
# (forked by the program lighttpd starts for each group), in rounds,
# while clients send requests with unique ids; in each round the
# requests in flight are held inside their handlers (a table lock) so
# that the kill finds them mid-request.
#   - no request answered 2xx is lost (missing from the database);
#   - a request cut off by the kill is answered by the server itself,
#     5xx JSON handler_failed (httpd-conf/errors/), never HTML;
#   - the pool's supervisor starts new processes: requests are answered
#     2xx after the last kill;
#   - each cut-off request, sent again exactly as it was (same signature
#     and timestamp), is answered 2xx, and in the end every request sent
#     is stored exactly once (README "Retrying").
# FAULT_SCALE=short: 2 rounds, 2+1 clients; full: 12 rounds, 4+2 clients.
. "$TOP/tests/lib.sh"
. "$TOP/tests/faults/40_inbound.inc"

case ${FAULT_SCALE:-short} in
full) ROUNDS=12 NSRC=4 NTRG=2 ;;
*) ROUNDS=2 NSRC=2 NTRG=1 ;;
esac
LPID=$(cat "$HOOKPOST_VAR/lighttpd.pid" 2>/dev/null)

# pool: the pids of the sources and triggers handler processes: the
# processes each group's supervisor (the program lighttpd starts, which
# forks its pool, lib/pool.h) forked, which serve the requests.
pool() {
	for sup in $(ps -o pid=,args= --ppid "$LPID" 2>/dev/null |
	    awk -v a="$TOP/bin/sources.fcgi" -v b="$TOP/bin/triggers.fcgi" \
	    '$2 == a || $2 == b { print $1 }'); do
		ps -o pid= --ppid "$sup" 2>/dev/null
	done
}

# A round: the tables both receivers read first are locked, so that the
# requests in flight wait inside their handlers (mid-request, a
# statement sent); every process of both pools is killed; the lock ends.
lock_held() {
	psql_q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a
	    USING (pid) WHERE l.granted AND a.application_name =
	    'hookpost-fault-lock' AND l.relation = 'hookpost.sources'::regclass"
}

load_setup
load_start $NSRC $NTRG
sleep 1
killed=0 busy=0
k=0
while [ $k -lt $ROUNDS ]; do
	$PSQL -qc "SET application_name = 'hookpost-fault-lock'; BEGIN;
	    LOCK TABLE hookpost.sources, hookpost.trigger_keys IN ACCESS
	    EXCLUSIVE MODE; SELECT pg_sleep(30)" >/dev/null 2>&1 &
	holder=$!
	w=0
	while [ "$(lock_held)" != 1 ] && [ $w -lt 50 ]; do sleep 0.1; w=$((w + 1)); done
	sleep 0.5
	busy=$((busy + $(psql_q "SELECT count(*) FROM pg_stat_activity
	    WHERE wait_event_type = 'Lock' AND datname = 'hookpost'")))
	for pid in $(pool); do
		kill -KILL "$pid" 2>/dev/null && killed=$((killed + 1))
	done
	psql_q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
	    WHERE application_name = 'hookpost-fault-lock'" >/dev/null
	wait $holder
	k=$((k + 1))
	sleep 0.5
done
last_ms=$(date +%s%3N)
sleep 1.5
load_stop

sent=$(load_count 1)
ok2=$(load_count '$3 ~ /^2/')
errs=$(awk '$3 !~ /^2/ { print $3 ($4 == "-" ? "" : " " $4) }' "$LOAD/all" | sort | uniq -c |
    awk '{ printf "%s%s x%s", (NR > 1 ? ", " : ""), $2 ($3 == "" ? "" : " " $3), $1 }')
lost=$(load_missing | wc -l)
after=$(awk -v t="$last_ms" '$3 ~ /^2/ && $5 > t' "$LOAD/all" | wc -l)

[ "$killed" -gt 0 ] && [ "$busy" -gt 0 ] &&
    ok "killed $killed handler processes (SIGKILL) under load, $busy of them mid-request" ||
    fail "killed handler processes under load, some mid-request" "$killed killed, $busy mid-request, lighttpd $LPID"
[ "$lost" = 0 ] && [ "$ok2" -gt 0 ] &&
    ok "no request answered 2xx is lost ($ok2 answered 2xx)" ||
    fail "no request answered 2xx is lost" "$lost of $ok2: $(load_missing | head -5 | tr '\n' ' ')"
bad=$(awk '$3 !~ /^2/ && !($3 ~ /^5/ && $4 == "handler_failed")' "$LOAD/all" | head -3)
[ -z "$bad" ] && ok "every request cut off is answered 5xx JSON handler_failed (${errs:-none})" ||
    fail "every request cut off is answered 5xx JSON handler_failed" "$bad"
[ "$after" -gt 0 ] && ok "2xx after the last kill: the pools started new processes ($after)" ||
    fail "2xx after the last kill"

# Every request not answered 2xx, sent again as it was.
retried=0 retried_ok=0
while read -r kind uid st code end ts sig start; do
	case $st in 2??) continue ;; esac
	retried=$((retried + 1))
	case $(load_send "$kind" "$uid" "$ts" "$sig" "$LOAD/retry.body") in
	2??) retried_ok=$((retried_ok + 1)) ;;
	esac
done <"$LOAD/all"
[ "$retried_ok" = "$retried" ] &&
    ok "each cut-off request sent again as it was is answered 2xx ($retried)" ||
    fail "each cut-off request sent again is answered 2xx" "$retried_ok of $retried"
load_stored >"$LOAD/stored.all"
dups=$(uniq -d "$LOAD/stored.all" | wc -l)
cut -d' ' -f2 "$LOAD/all" | sort >"$LOAD/sent"
unstored=$(sort -u "$LOAD/stored.all" | comm -23 "$LOAD/sent" - | wc -l)
[ "$dups" = 0 ] && [ "$unstored" = 0 ] &&
    ok "then every request sent is stored exactly once ($sent)" ||
    fail "then every request sent is stored exactly once" "$unstored not stored, $dups twice"

echo "# | handler processes killed (SIGKILL), $NSRC+$NTRG signed clients | sent $sent | 2xx $ok2 | errors ${errs:-none} | killed $killed ($busy mid-request) | lost $lost | retried $retried, stored once $((sent - unstored - dups)) |"
admin DELETE "/api/webhooks/$SRC" >/dev/null
admin DELETE "/api/v1/triggers/$TRG" >/dev/null
