#!/bin/sh
# A PostgreSQL restart costs no failed request (issue 8): every handler
# process holds a connection, which the restart closes while it is idle;
# the next statement must go to a new connection (lib/db.c db_conn()),
# not answer 503.  The test cluster is restarted between two rounds of
# requests of each kind: GET /healthz (ops), an admin GET (admin), a
# signed receiver POST (sources).
#
# Apache's mod_fcgid pool and lighttpd's max-procs run several processes
# of one program, and a server hands sequential requests to the same
# one.  So each round is also a burst of parallel requests held on a
# table lock: while it is held every request waits in its process, the
# server starts or uses every process of the pool, and each process
# answers one of them.  Before the restart that gives every process a
# connection; after it, every process must replace its own.
. "$TOP/tests/lib.sh"

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
SRC=restart-$RUN
SECRET=restart-secret-$RUN
BURST=12

case $SERVER in
# Apache's pools (scripts/stack.sh) keep each program's stderr.
apache) LOG="ops admin sources" ;;
# lighttpd keeps no stderr of its FastCGI programs: statuses only.
*) LOG= ;;	# apache-cgi: a process per request, nothing held
esac

# one KIND TAG: one request of KIND; prints "KIND STATUS".
one() {
	case $1 in
	healthz)
		_st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 \
		    "$BASE/healthz") ;;
	admin)
		_st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 \
		    -H "Authorization: Bearer $TOKEN" "$BASE/api/incidents?limit=1") ;;
	receiver)
		_b="{\"event_type\":\"restart\",\"data\":{\"n\":\"$2\"}}"
		_ts=$(date +%s)
		_st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 \
		    -H 'Content-Type: application/json' \
		    -H "X-Webhook-Timestamp: $_ts" \
		    -H "X-Webhook-Signature: sha256=$(sign "$SECRET" "$_ts" "$_b")" \
		    --data-binary "$_b" "$BASE/api/webhooks/$SRC") ;;
	esac
	echo "$1 $_st"
}

# held TAG: $BURST requests of each kind at once, while the tables the
# admin GET and the receiver read are locked; the lock ends once they
# have had 3 s to reach their processes.  Prints the statuses.
held() {
	$PSQL -qc "SET application_name = 'hookpost-test-lock'; BEGIN;
	    LOCK TABLE hookpost.api_tokens, hookpost.sources IN ACCESS
	    EXCLUSIVE MODE; SELECT pg_sleep(60)" >/dev/null 2>&1 &
	_holder=$!
	_w=0
	while [ "$(psql_q "SELECT count(*) FROM pg_locks l JOIN
	    pg_stat_activity a USING (pid) WHERE l.granted AND
	    a.application_name = 'hookpost-test-lock' AND
	    l.relation = 'hookpost.sources'::regclass")" != 1 ] &&
	    [ $_w -lt 100 ]; do
		sleep 0.1
		_w=$((_w + 1))
	done
	_i=0
	while [ $_i -lt $BURST ]; do
		for _k in healthz admin receiver; do
			one $_k "$1-$_i" &
		done
		_i=$((_i + 1))
	done
	sleep 3
	psql_q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity
	    WHERE application_name = 'hookpost-test-lock'" >/dev/null
	wait
}

# all_200 WHEN STATUSES: one case per kind.
all_200() {
	for _k in healthz admin receiver; do
		_got=$(printf '%s\n' "$2" | sed -n "s/^$_k //p")
		_n=$(printf '%s\n' "$_got" | grep -c '^200$')
		[ "$_n" = $BURST ] && ok "$1: $BURST parallel $_k requests answer 200" ||
		    fail "$1: $BURST parallel $_k requests answer 200" \
		    "$(printf '%s\n' "$_got" | sort | uniq -c | tr '\n' ' ')"
	done
}

admin PUT "/api/webhooks/$SRC" "{\"secret\":\"$SECRET\"}"
expect_status "a source for the receiver" 201

# Warm: several processes of each program hold a connection.
all_200 "before the restart" "$(held warm)"

started=$(psql_q "SELECT pg_postmaster_start_time()")
for g in $LOG; do	# each pool log's length before the restart
	eval "lines_$g=\$(wc -l <\"\$HOOKPOST_VAR/log/pool-$g.log\")"
done
new_lines() {	# what the pools logged since
	for g in $LOG; do
		eval "_n=\$lines_$g"
		tail -n +"$((_n + 1))" "$HOOKPOST_VAR/log/pool-$g.log"
	done
}
if $RUNAS "$PGBIN/pg_ctl" -D "$HOOKPOST_VAR/pg" -m fast -w -t 60 \
    -l "$HOOKPOST_VAR/log/postgresql.log" restart >/dev/null 2>&1 &&
    [ "$(psql_q "SELECT pg_postmaster_start_time()")" != "$started" ]; then
	ok "the test cluster restarted"
else
	fail "the test cluster restarted" "$(tail -5 "$HOOKPOST_VAR/log/postgresql.log")"
fi

# The very next request of each kind, one at a time.
req GET /healthz
expect_status "the first GET /healthz after the restart answers 200" 200
admin GET "/api/incidents?limit=1"
expect_status "the first admin GET after the restart answers 200" 200
hook "$SRC" "$SECRET" '{"event_type":"restart","data":{"n":"first"}}'
expect_status "the first receiver POST after the restart answers 200" 200

# Then every process of each pool, at once.
all_200 "after the restart" "$(held after)"

# The path was taken: the processes logged that they replaced a
# connection the restart had closed, at least one of each program.
if [ -n "$LOG" ]; then
	pids=$(new_lines | grep 'connection closed while idle' |
	    sed -n 's/.*hookpost\[\([0-9]*\)\].*/\1/p' | sort -u | wc -l)
	procs=$(ps -eo args | grep -cE "^$TOP/bin/(ops|admin|sources)\.fcgi")
	[ "$pids" -ge 3 ] && ok "each program's processes replaced their connection ($pids of $procs)" ||
	    fail "each program's processes replaced their connection" "$pids of $procs in pool-{ops,admin,sources}.log"
fi

admin DELETE "/api/webhooks/$SRC"
