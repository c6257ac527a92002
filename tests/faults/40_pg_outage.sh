#!/bin/sh
# PostgreSQL restarted (-m fast), then stopped (-m immediate) for a while
# and started again, under signed inbound load (issue 12): several
# clients, each request with a unique id, to a seed-004 source receiver
# and a trigger receiver.
#   - no request answered 2xx is missing from the database afterwards;
#   - while the database is down the handlers answer 503 JSON with the
#     stable code "unavailable" (nothing else, no HTML);
#   - they answer 2xx again within a few seconds of its return, with no
#     restart of the web server (figure: seconds from pg_ctl's "ready" to
#     the first 2xx);
#   - the 503s, which the audit log could not take, are counted in
#     hookpost_requests_refused_total once it is back (lib/refused.h).
# FAULT_SCALE=short: 3 s down, 2+1 clients; full: 10 s down, 4+2 clients.
. "$TOP/tests/lib.sh"
. "$TOP/tests/faults/40_inbound.inc"

case ${FAULT_SCALE:-short} in
full) DOWN=10 PHASE=3 NSRC=4 NTRG=2 ;;
*) DOWN=3 PHASE=0.5 NSRC=2 NTRG=1 ;;
esac

# The test cluster runs with synchronous_commit off (HOOKPOST_PG_FAST),
# which loses the last commits of a crash, and -m immediate is one: for
# this file the database commits as a deployment's does (the sessions
# made after the fast restart below take it).
psql_q "ALTER DATABASE hookpost SET synchronous_commit = on" >/dev/null
load_setup
refused0=$(refused_total)
[ -n "$refused0" ] && ok "GET /metrics shows hookpost_requests_refused_total ($refused0)" ||
    fail "GET /metrics shows hookpost_requests_refused_total" "$(curl -s "$BASE/metrics" | tail -5)"
lighttpd0=$(cat "$HOOKPOST_VAR/lighttpd.pid" 2>/dev/null)

load_start $NSRC $NTRG
sleep $PHASE
started=$(psql_q "SELECT pg_postmaster_start_time()")
pg_ctl_do -m fast restart
[ "$(psql_q "SELECT pg_postmaster_start_time()")" != "$started" ] &&
    ok "PostgreSQL restarted (-m fast) under load" ||
    fail "PostgreSQL restarted (-m fast) under load" "$(tail -3 "$HOOKPOST_VAR/log/postgresql.log")"
sleep $PHASE
pg_ctl_do -m immediate stop &&
    ok "PostgreSQL stopped (-m immediate) under load" ||
    fail "PostgreSQL stopped (-m immediate) under load"
down_ms=$(date +%s%3N)
sleep $DOWN
# The outage ends when the start begins: pg_ctl sees the server ready
# only at its next poll, and a request may be served before that.
up_ms=$(date +%s%3N)
# restart: postmaster.opts keeps the options stack.sh started it with.
pg_ctl_do restart &&
    ok "PostgreSQL started again after $DOWN s" ||
    fail "PostgreSQL started again after $DOWN s" "$(tail -3 "$HOOKPOST_VAR/log/postgresql.log")"
back_ms=$(date +%s%3N)
# Until a 2xx that ended after the return, or 20 s; then a little more.
i=0
while [ $i -lt 200 ] && [ "$(cat "$LOAD"/*.log | awk -v t="$back_ms" '$3 ~ /^2/ && $5 > t { n++ } END { print n + 0 }')" = 0 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep $PHASE
load_stop

sent=$(load_count 1)
ok2=$(load_count '$3 ~ /^2/')
n503=$(load_count '$3 == 503')
other=$((sent - ok2 - n503))
missing=$(load_missing | wc -l)
first=$(awk -v t="$back_ms" '$3 ~ /^2/ && $5 > t { if (m == "" || $5 < m) m = $5 } END { print m }' "$LOAD/all")
if [ -n "$first" ]; then
	recovery=$(awk -v a="$first" -v b="$back_ms" 'BEGIN { printf "%.2f", (a - b) / 1000 }')
else
	recovery=never
fi
# The requests sent after the stop that ended before the start.
down503=$(awk -v a="$down_ms" -v b="$up_ms" '$8 > a && $5 < b { n++; if ($3 == 503 && $4 == "unavailable") u++ }
    END { print u + 0 "/" n + 0 }' "$LOAD/all")

[ "$missing" = 0 ] && [ "$ok2" -gt 0 ] &&
    ok "no request answered 2xx is missing from the database ($ok2 answered 2xx)" ||
    fail "no request answered 2xx is missing from the database" "$missing of $ok2 missing: $(load_missing | head -5 | tr '\n' ' ')"
bad=$(awk '$3 == 503 && $4 != "unavailable"' "$LOAD/all" | head -3)
[ "$n503" -gt 0 ] && [ -z "$bad" ] &&
    ok "every 503 is JSON with the code unavailable ($n503)" ||
    fail "every 503 is JSON with the code unavailable" "$n503 503s; $bad"
[ "${down503%/*}" = "${down503#*/}" ] && [ "${down503#*/}" -gt 0 ] &&
    ok "while PostgreSQL is down every answer is 503 unavailable ($down503)" ||
    fail "while PostgreSQL is down every answer is 503 unavailable" "$down503: $(awk -v a="$down_ms" -v b="$up_ms" '$8 > a && $5 < b && !($3 == 503 && $4 == "unavailable")' "$LOAD/all" | head -3)"
[ "$other" = 0 ] && ok "no answer other than 2xx and 503 unavailable" ||
    fail "no answer other than 2xx and 503 unavailable" "$(awk '$3 !~ /^2/ && $3 != 503 { print $3, $4 }' "$LOAD/all" | sort | uniq -c | tr '\n' ' ')"
case $recovery in
never) fail "2xx again after PostgreSQL's return" ;;
*) awk -v r="$recovery" 'BEGIN { exit !(r < 5) }' &&
    ok "2xx again within 5 s of PostgreSQL's return ($recovery s)" ||
    fail "2xx again within 5 s of PostgreSQL's return" "$recovery s" ;;
esac
[ "$(cat "$HOOKPOST_VAR/lighttpd.pid" 2>/dev/null)" = "$lighttpd0" ] &&
    kill -0 "$lighttpd0" 2>/dev/null &&
    ok "the web server was not restarted" || fail "the web server was not restarted"

# The refusals, counted once the database is back: one each.
refused1=$(refused_total)
counted=$(( ${refused1:-0} - ${refused0:-0} ))
[ "$counted" = "$n503" ] &&
    ok "GET /metrics counts every 503 of the outage in hookpost_requests_refused_total ($counted)" ||
    fail "GET /metrics counts every 503 of the outage" "counted $counted, clients saw $n503"
[ ! -s "$HOOKPOST_VAR/run/refused" ] &&
    ok "the refusal spool is empty once folded" ||
    fail "the refusal spool is empty once folded" "$(wc -c <"$HOOKPOST_VAR/run/refused") bytes"

echo "# | PostgreSQL fast restart + ${DOWN} s down (immediate), $NSRC+$NTRG signed clients | sent $sent | 2xx $ok2 | 503 $n503 | other $other | missing $missing | recovery ${recovery} s | refusals counted $counted |"
psql_q "ALTER DATABASE hookpost RESET synchronous_commit" >/dev/null
admin DELETE "/api/webhooks/$SRC" >/dev/null
admin DELETE "/api/v1/triggers/$TRG" >/dev/null
