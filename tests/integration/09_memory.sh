#!/bin/sh
# Handler memory (issue 13): after serving requests, every resident
# handler process has a peak RSS (VmHWM) under 8 MiB, and each route
# group runs as one supervisor and the pool it forked after start-up
# (lib/pool.h), behind lighttpd as behind Apache: a process that the web
# server executes itself maps 9-10 MiB (bench/README.md).  The bench's
# memory table measures the same after its load; this is the cheap check.
# apache-cgi runs a process per request, nothing resident: skipped.
. "$TOP/tests/lib.sh"

LIMIT=8192	# KiB

if [ "$SERVER" = apache-cgi ]; then
	ok "skipped: plain CGI keeps no handler process"
	exit 0
fi

S=mem-$RUN
SECRET=mem-secret-$RUN
admin POST /api/webhooks "{\"source\":\"$S\",\"secret\":\"$SECRET\"}"
expect_status "setup: source" 201

# Work for every group, 8 requests at a time, so that the processes of
# each pool serve some: signed alerts (sources), the admin API (admin),
# /healthz and /metrics (ops), triggers (triggers), subscriptions (outbound).
one() {
	hook "$S" "$SECRET" "{\"event_type\":\"memory\",\"data\":{\"n\":\"$1\"}}"
	admin GET "/api/incidents?limit=5"
	req GET /healthz
	req GET /metrics
	admin GET /api/v1/triggers
	admin GET /admin/webhooks/subscriptions
}
i=0
while [ $i -lt 8 ]; do
	( j=0; while [ $j -lt 6 ]; do one "$i-$j"; j=$((j + 1)); done ) \
	    >/dev/null 2>&1 &
	i=$((i + 1))
done
wait
n=$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = '$S'")
[ "$n" = 48 ] && ok "48 alerts accepted in parallel" ||
	fail "48 alerts accepted in parallel" "$n incidents"

# pids GROUP: the processes of this stack's pool of GROUP.
pids() {
	for _p in $(pgrep -x "$1.fcgi"); do
		tr '\0' '\n' <"/proc/$_p/environ" 2>/dev/null |
		    grep -qxF "HOOKPOST_CONFIG=$HOOKPOST_VAR/hookpost.conf" &&
		    echo "$_p"
	done
}

# The pool sizes are apache.conf's "pool" lines (lighttpd.conf's -n, -t):
# processes, and threads in each, as scripts/stack.sh reads them.
"$TOP/scripts/stack.sh" pools >"$HOOKPOST_VAR/pools.txt"
[ "$(wc -l <"$HOOKPOST_VAR/pools.txt")" = 5 ] &&
    ok "apache.conf names the 5 pools" ||
    fail "apache.conf names the 5 pools" "$(cat "$HOOKPOST_VAR/pools.txt")"
while read -r group size threads; do
	set -- $(pids "$group")
	sup= kids=0 worst=0 where= supkib=0 kidkib=0 thr=0
	for p in "$@"; do
		pp=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status")
		hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status")
		case " $* " in
		*" $pp "*)
			kids=$((kids + 1))
			t=$(awk '/^Threads:/ { print $2 }' "/proc/$p/status")
			[ "${t:-0}" = "$threads" ] || thr=$t
			[ "${hwm:-0}" -le $kidkib ] || kidkib=$hwm ;;
		*)	sup=$p supkib=${hwm:-0} ;;
		esac
		[ "${hwm:-0}" -le "$worst" ] || { worst=$hwm; where=$p; }
	done
	echo "# $SERVER $group: $# processes; peak RSS, KiB: supervisor" \
	    "$supkib, largest of the pool $kidkib"
	[ $# = $((size + 1)) ] && [ -n "$sup" ] && [ $kids = "$size" ] &&
	    ok "$group: a supervisor and the $size processes it forked" ||
	    fail "$group: a supervisor and the $size processes it forked" \
		"$# processes, $kids forked by another of them"
	[ "$thr" = 0 ] &&
	    ok "$group: $threads thread(s) in each process of the pool" ||
	    fail "$group: $threads thread(s) in each process of the pool" \
		"a process with $thr"
	[ $# -gt 0 ] && [ "$worst" -lt $LIMIT ] &&
	    ok "$group: peak RSS under $LIMIT KiB in every process ($worst)" ||
	    fail "$group: peak RSS under $LIMIT KiB in every process" \
		"$worst KiB in pid $where ($(tr '\0' ' ' <"/proc/$where/cmdline" 2>/dev/null))"
done <"$HOOKPOST_VAR/pools.txt"

admin DELETE "/api/webhooks/$S"
