#!/bin/sh
# make bench (DESIGN.md §3, bench/README.md): inbound throughput of the
# signed receiver through lighttpd, against two references served by the
# same lighttpd process in the same run:
#   null      bin/bench-null, a FastCGI handler that does nothing: the
#             transport limit of lighttpd + FastCGI on this machine
#   ideal     bin/bench-ideal, verify the HMAC and one prepared INSERT
#             over a persistent connection: the least a durable,
#             verifying receiver must do (one round trip, one commit)
#   hookpost  POST /api/webhooks/bench: verify, audit, incident, one commit
# Each at 16 and 64 connections, runs interleaved, medians of several
# runs (DESIGN.md §5), then hookpost's req/s as a ratio to both.
#
# Then outbound delivery, into bin/bench-sink (no web server involved):
#   hookpost  N events emitted in one transaction (hookpost.emit, fan-out
#             to one active subscription), then `hookpost-deliver -1 -c C`
#             timed until all N are delivered: claim, sign, send, record
#   refpost   bin/bench-refpost: the same bodies and signed headers, POSTed
#             with libcurl multi at the same concurrency, no database:
#             the delivery limit of libcurl, the sink and this machine
# and the latency from an emit's commit to its first attempt, with the
# worker running and events emitted one per transaction at a steady rate.
#
# Environment (defaults in brackets):
#   BENCH_PARTS    ["inbound outbound"]  which halves to run
#   BENCH_DURATION [8]   measured seconds per run
#   BENCH_WARMUP   [2]   warm-up seconds before each run
#   BENCH_REPEAT   [3]   runs per target and connection count
#   BENCH_CONNS    ["16 64"]
#   BENCH_THREADS  [1]   load generator threads
#   BENCH_OUT_EVENTS [10000]  deliveries per outbound run
#   BENCH_OUT_REPEAT [$BENCH_REPEAT]  outbound runs per connection count
#   BENCH_OUT_CONNS  [$BENCH_CONNS]   worker concurrency (-c)
#   BENCH_LAT_RATE   [200]  events/s of the latency run
#   BENCH_LAT_DURATION [10] seconds of the latency run
#   BENCH_KEEP     [0]   1 leaves the stack running afterwards
# PostgreSQL keeps its durable settings (no HOOKPOST_PG_FAST): the commit
# is the cost being measured.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"

DURATION=${BENCH_DURATION:-8}
WARMUP=${BENCH_WARMUP:-2}
REPEAT=${BENCH_REPEAT:-3}
CONNS=${BENCH_CONNS:-16 64}
THREADS=${BENCH_THREADS:-1}
PARTS=${BENCH_PARTS:-inbound outbound}
OUT_EVENTS=${BENCH_OUT_EVENTS:-10000}
OUT_REPEAT=${BENCH_OUT_REPEAT:-$REPEAT}
OUT_CONNS=${BENCH_OUT_CONNS:-$CONNS}
LAT_RATE=${BENCH_LAT_RATE:-200}
LAT_DURATION=${BENCH_LAT_DURATION:-10}
SECRET=bench-secret
SOURCE=bench
SINK_PORT=18091

export HOOKPOST_VAR=$TOP/var/bench HOOKPOST_PORT=18090 HOOKPOST_PGPORT=54391
export HOOKPOST_CRON=0 HOOKPOST_QUIET=1
unset HOOKPOST_PG_FAST
VAR=$HOOKPOST_VAR
BASE=http://127.0.0.1:$HOOKPOST_PORT
RESULTS=$VAR/bench-results.txt

if [ "$(id -u)" = 0 ]; then
	as_user() { runuser -u hookpost -- "$@"; }
else
	as_user() { "$@"; }
fi

log() { printf '%s\n' "$*" >&2; }
die() { log "bench: $*"; exit 1; }

# Processes this script starts besides the stack, ended by their pids.
SINK_PID=
WORKER_PID=
stack_stop() {
	[ -z "$WORKER_PID" ] || kill "$WORKER_PID" 2>/dev/null || true
	[ -z "$SINK_PID" ] || kill "$SINK_PID" 2>/dev/null || true
	scripts/stack.sh stop >/dev/null 2>&1 || true
}

has_part() {
	case " $PARTS " in *" $1 "*) return 0 ;; esac
	return 1
}

for b in bin/bench-load bin/bench-null bin/bench-ideal bin/webhooks.fcgi \
    bin/bench-sink bin/bench-refpost bin/bench-emitlat bin/hookpost-deliver \
    bin/outbound.fcgi; do
	[ -x "$b" ] || die "$b is not built: run make"
done

# The references must run in the same pool as the receiver.
want=$(sed -n '/webhooks\.sock/,/max-procs/p' httpd-conf/lighttpd.conf |
    sed -n 's/.*"max-procs"[^0-9]*\([0-9]*\).*/\1/p')
for n in $(sed -n 's/.*"max-procs"[^0-9]*\([0-9]*\).*/\1/p' \
    httpd-conf/lighttpd-bench.conf); do
	[ "$n" = "$want" ] || die "httpd-conf/lighttpd-bench.conf: max-procs" \
	    "$n differs from the webhooks pool's $want in lighttpd.conf"
done

# A fresh stack each time: every run starts from the same empty tables.
stack_stop
rm -rf "$VAR"
if [ "${BENCH_KEEP:-0}" != 1 ]; then
	trap stack_stop EXIT
	trap 'exit 130' INT TERM
fi

log "bench: starting PostgreSQL (durable settings) and lighttpd on $BASE"
HOOKPOST_SERVER=none scripts/stack.sh start >/dev/null ||
	die "the stack did not start"
# One lighttpd for all three targets: lighttpd.conf plus the bench pools.
# It writes the stack's pid file, so stack.sh stop ends it.
as_user env HOOKPOST_ROOT="$TOP" HOOKPOST_VAR="$VAR" \
    HOOKPOST_PORT="$HOOKPOST_PORT" BENCH_SECRET="$SECRET" \
    /usr/sbin/lighttpd -f "$TOP/httpd-conf/lighttpd-bench.conf" ||
	die "lighttpd did not start: see $VAR/log/lighttpd-error.log"
i=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || die "GET /healthz did not answer 200; logs in $VAR/log"
	sleep 0.1
done

TOKEN=$(cat "$VAR/admin.token")
code=$(curl -s -o "$VAR/source.json" -w '%{http_code}' -X PUT \
    "$BASE/api/webhooks/$SOURCE" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "{\"secret\":\"$SECRET\"}")
case $code in
200|201) ;;
*)	die "registering source $SOURCE: HTTP $code $(cat "$VAR/source.json")" ;;
esac

url_of() {
	case $1 in
	null)		echo "$BASE/bench/null" ;;
	ideal)		echo "$BASE/bench/ideal" ;;
	hookpost)	echo "$BASE/api/webhooks/$SOURCE" ;;
	esac
}

psql_bench() {
	as_user psql -h "$VAR/run" -p "$HOOKPOST_PGPORT" -d hookpost -qAt \
	    -v ON_ERROR_STOP=1 "$@"
}

# sql/001_init.sql numbers incidents with lpad(nextval, 4, '0'), and lpad
# truncates: from the 10,000th incident of a year every number repeats an
# earlier one (INC-YYYY-1000 again), incidents_number_key refuses the
# INSERT and the receiver answers 503.  A bench run makes tens of
# thousands of incidents, so until a migration fixes it, the bench's own
# throwaway database gets the fix (same statements, same cost) and says so.
NOTE=
if [ "$(psql_bench -c "SELECT count(*) FROM pg_proc WHERE proname =
    'incident_number_next' AND prosrc LIKE '%lpad(nextval(seq)::text, 4,%'")" = 1 ]; then
	psql_bench >/dev/null <<'SQL' || die "cannot patch incident_number_next"
CREATE OR REPLACE FUNCTION hookpost.incident_number_next() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	y	integer := extract(year FROM now() AT TIME ZONE 'UTC');
	seq	text := 'hookpost.incident_seq_' || y;
	n	bigint;
BEGIN
	IF to_regclass(seq) IS NULL THEN
		BEGIN
			EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %s', seq);
		EXCEPTION WHEN duplicate_table OR unique_violation THEN
			NULL;
		END;
	END IF;
	n := nextval(seq);
	RETURN format('INC-%s-%s', y, lpad(n::text, greatest(4, length(n::text)), '0'));
END $$;
SQL
	NOTE="note: hookpost.incident_number_next() truncates numbers past 9999
      (lpad(..., 4, '0')), so the 10,000th incident of a year and every
      later one fail with 503; this run patched its private database."
fi

pg_setting() {
	psql_bench -c "SHOW $1" 2>/dev/null || echo '?'
}
log "bench: fsync=$(pg_setting fsync) synchronous_commit=$(pg_setting \
synchronous_commit); parts: $PARTS"

# Medians over the runs; errors are summed.
median_of() {	# target conns column(4 req/s, 5 p50, 6 p99) -> median
	awk -v t="$1" -v c="$2" -v k="$3" '$1 == t && $2 == c { print $k }' \
	    "$RESULTS" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) print 0
		else if (NR % 2) print v[(NR + 1) / 2]
		else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
errors() {
	awk -v t="$1" -v c="$2" '$1 == t && $2 == c { n += $7 } END { print n + 0 }' \
	    "$RESULTS"
}
ratio() {	# a b -> "  0.42x" (a / b), or "-"
	awk -v h="$1" -v r="$2" \
	    'BEGIN { if (r > 0) printf "%11.2fx", h / r; else printf "%12s", "-" }'
}

: >"$RESULTS"
total_errors=0

inbound_runs() {
	log "bench: inbound, ${REPEAT} x ${WARMUP}+${DURATION} s per target and" \
	    "connection count"
	# One signed request each first: a misconfiguration fails here, loudly.
	for t in null ideal hookpost; do
		bin/bench-load -1 -s "$SECRET" -u "$(url_of $t)" \
		    >"$VAR/preflight-$t.txt" ||
			die "$t: the signed request failed:" \
			    "$(cat "$VAR/preflight-$t.txt")"
	done
	rep=1
	while [ $rep -le "$REPEAT" ]; do
		for c in $CONNS; do
			for t in null ideal hookpost; do
				line=$(bin/bench-load -c "$c" -t "$THREADS" \
				    -d "$DURATION" -w "$WARMUP" -s "$SECRET" \
				    -u "$(url_of $t)" \
				    2>>"$VAR/log/bench-load.log") ||
					die "$t at $c connections: $(tail -n 1 \
					    "$VAR/log/bench-load.log")"
				echo "$t $c $rep $line" >>"$RESULTS"
				log "  run $rep/$REPEAT  $t  $c conns:  $line" \
				    "(req/s p50_ms p99_ms errors)"
			done
		done
		rep=$((rep + 1))
	done
}

inbound_table() {
	echo
	echo "make bench: signed seed-004 alerts through lighttpd ($(nproc) cores," \
	    "medians of $REPEAT runs of ${DURATION} s)"
	printf '%-10s %6s %10s %9s %9s %7s\n' target conns req/s "p50 ms" \
	    "p99 ms" errors
	for c in $CONNS; do
		for t in null ideal hookpost; do
			e=$(errors $t "$c")
			total_errors=$((total_errors + e))
			printf '%-10s %6s %10.1f %9.2f %9.2f %7s\n' $t "$c" \
			    "$(median_of $t "$c" 4)" "$(median_of $t "$c" 5)" \
			    "$(median_of $t "$c" 6)" "$e"
		done
	done
	echo
	printf '%-16s' "req/s ratio"
	for c in $CONNS; do printf '%12s' "$c conns"; done
	echo
	for ref in ideal null; do
		printf '%-16s' "hookpost/$ref"
		for c in $CONNS; do
			ratio "$(median_of hookpost "$c" 4)" "$(median_of $ref "$c" 4)"
		done
		echo
	done
	printf '%-16s' "ideal/null"
	for c in $CONNS; do
		ratio "$(median_of ideal "$c" 4)" "$(median_of null "$c" 4)"
	done
	echo
	echo
	# The issue's aim, at 16 connections.
	case " $CONNS " in
	*" 16 "*)
		awk -v h="$(median_of hookpost 16 4)" \
		    -v i="$(median_of ideal 16 4)" \
		    -v p="$(median_of hookpost 16 6)" 'BEGIN {
			r = i > 0 ? h / i : 0
			printf "aim at 16 conns: hookpost/ideal >= 0.90 (%.2f, %s), ",
			    r, (r >= 0.9 ? "met" : "not met")
			printf "p99 < 20 ms (%.2f, %s)\n", p,
			    (p < 20 ? "met" : "not met")
		}'
		;;
	esac
	[ -z "$NOTE" ] || echo "$NOTE"
	echo "raw runs: $RESULTS; load generator messages: $VAR/log/bench-load.log"
}

if has_part inbound; then
	inbound_runs
	inbound_table
fi
if has_part outbound; then
	. "$TOP/scripts/bench-outbound.sh"
fi
[ "$total_errors" = 0 ] || die "$total_errors requests failed (see above)"
