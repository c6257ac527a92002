#!/bin/sh
# make bench (ARCHITECTURE.md §3, bench/README.md): inbound throughput of the
# signed receiver through Apache and through lighttpd, side by side, each
# against two references served by the same server in the same run:
#   null      bin/bench-null, a FastCGI handler that does nothing: the
#             transport limit of the server + FastCGI on this machine
#   ideal     bin/bench-ideal, verify the HMAC and one prepared INSERT
#             over a persistent connection: the least a durable,
#             verifying receiver must do (one round trip, one commit)
#   hookpost  POST /api/webhooks/bench: verify, audit, incident, one commit
#   trigger   POST /api/v1/webhooks/<key>: a seed-002 trigger, HMAC of the body
#   node      bench/node/server.js, a peer: Node.js express + pg, one
#             process, the ideal handler's work (HMAC + one INSERT),
#             listening itself on BENCH_NODE_PORT (no web server)
# with the CPU each spends per request (handler, web server, PostgreSQL;
# from /proc over the measured window) beside the req/s.
# Each at 16 and 64 connections, runs interleaved (each repetition runs
# every server in turn), medians of several runs (ARCHITECTURE.md §5),
# then hookpost's req/s as a ratio to both, and the p99 of each server
# side by side.
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
#   BENCH_SERVERS  ["apache lighttpd"]   which servers the inbound half uses
#   BENCH_DURATION [8]   measured seconds per run
#   BENCH_WARMUP   [2]   warm-up seconds before each run
#   BENCH_REPEAT   [3]   runs per target and connection count
#   BENCH_CONNS    ["16 64"]
#   BENCH_THREADS  [1]   load generator threads
#   BENCH_OUT_EVENTS [20000]  deliveries per outbound run
#   BENCH_OUT_REPEAT [$BENCH_REPEAT]  outbound runs per connection count
#   BENCH_OUT_CONNS  [$BENCH_CONNS]   worker concurrency (-c)
#   BENCH_CONNECTORS ["webhook slack teams pagerduty"]  integrations
#                    whose deliveries are measured beside plain webhooks
#   BENCH_LAT_RATE   [200]  events/s of the latency run
#   BENCH_LAT_DURATION [10] seconds of the latency run
#   BENCH_KEEP     [0]   1 leaves the stack running afterwards
#   BENCH_TARGETS  ["null ideal hookpost trigger node"]  inbound targets
#   BENCH_PORT [18090], BENCH_PGPORT [54391], BENCH_SINK_PORT [18091],
#   BENCH_NODE_PORT [18092]
#                        ports, for a bench beside another on one machine
#   BENCH_VAR      [var/bench]  its state: PostgreSQL, sockets, logs,
#                        results (a second bench from the same tree needs
#                        its own, beside its own ports)
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
SERVERS=${BENCH_SERVERS:-apache lighttpd}
OUT_EVENTS=${BENCH_OUT_EVENTS:-20000}
OUT_REPEAT=${BENCH_OUT_REPEAT:-$REPEAT}
OUT_CONNS=${BENCH_OUT_CONNS:-$CONNS}
LAT_RATE=${BENCH_LAT_RATE:-200}
CONNECTORS=${BENCH_CONNECTORS-webhook slack teams pagerduty}
LAT_DURATION=${BENCH_LAT_DURATION:-10}
SECRET=bench-secret
SOURCE=bench
SINK_PORT=${BENCH_SINK_PORT:-18091}
NODE_PORT=${BENCH_NODE_PORT:-18092}
TARGETS=${BENCH_TARGETS:-null ideal hookpost trigger node}

export HOOKPOST_VAR=${BENCH_VAR:-$TOP/var/bench} HOOKPOST_PORT=${BENCH_PORT:-18090}
export HOOKPOST_PGPORT=${BENCH_PGPORT:-54391}
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

# Processes this script starts besides the stack, ended by their pids
# (the reference pools by their process group, recorded in refs.pgid).
SINK_PID=
WORKER_PID=
NODE_PID=
stack_stop() {
	[ -z "$WORKER_PID" ] || kill "$WORKER_PID" 2>/dev/null || true
	# A BENCH_KEEP run's Node.js peer, left running with the stack.
	[ -n "$NODE_PID" ] || [ ! -s "$VAR/node.pid" ] ||
		NODE_PID=$(cat "$VAR/node.pid")
	rm -f "$VAR/node.pid"
	# NODE_PID is runuser's (as root) or node's; node itself, its child
	# under runuser, must go too, or it keeps the port.
	[ -z "$NODE_PID" ] || { pkill -P "$NODE_PID" 2>/dev/null
		kill "$NODE_PID" 2>/dev/null; } || true
	[ -z "$SINK_PID" ] || kill "$SINK_PID" 2>/dev/null || true
	refs_stop
	scripts/stack.sh stop >/dev/null 2>&1 || true
}
refs_stop() {
	for f in "$VAR"/refs-*.pgid; do
		[ ! -s "$f" ] || kill -TERM "-$(cat "$f")" 2>/dev/null || true
		rm -f "$f"
	done
}

has_part() {
	case " $PARTS " in *" $1 "*) return 0 ;; esac
	return 1
}

for b in bin/bench-load bin/bench-null bin/bench-ideal bin/sources.fcgi \
    bin/bench-sink bin/bench-refpost bin/bench-emitlat bin/hookpost-deliver \
    bin/outbound.fcgi; do
	[ -x "$b" ] || die "$b is not built: run make"
done

# The references run in the same kind of pool as the receiver: one
# program that forks -n processes after its start-up (lib/pool.h).  Being
# single-threaded, one request in hand each, they get REF_POOL processes:
# 16, a process for each connection at the aim's 16, and the best of 2,
# 6 and 16 for the ideal handler on a 2-core machine (2,990 / 4,165 /
# 4,345 req/s, bench/README.md); the receivers run in the pools the
# shipped configs give them.  lighttpd's bench pools are checked against REF_POOL;
# Apache's are started below with it.
REF_POOL=16
pool_n() {	# file program -> the -n of its bin-path, and its max-procs
	sed -n "/\"bin-path\".*bin\/$2 /,/\"max-procs\"/p" "$1" | sed -n \
	    -e 's/.*"bin-path".* -n \([0-9]*\)".*/\1/p' \
	    -e 's/.*"max-procs"[^0-9]*\([0-9]*\).*/max-procs=\1/p' | tr '\n' ' '
}
want="$REF_POOL max-procs=1 "
for r in null ideal; do
	[ "$(pool_n httpd-conf/lighttpd-bench.conf bench-$r)" = "$want" ] ||
		die "httpd-conf/lighttpd-bench.conf: bench-$r's pool" \
		    "($(pool_n httpd-conf/lighttpd-bench.conf bench-$r))" \
		    "differs from REF_POOL ($want) in scripts/bench.sh"
done
APACHE_POOL=$REF_POOL
for s in $SERVERS; do
	case $s in apache|lighttpd) ;; *) die "BENCH_SERVERS: unknown $s" ;; esac
done

# A fresh stack each time: every run starts from the same empty tables.
stack_stop
rm -rf "$VAR"
if [ "${BENCH_KEEP:-0}" != 1 ]; then
	trap stack_stop EXIT
	trap 'exit 130' INT TERM
fi

# Apache's reference pools, started as stack.sh starts the handlers'
# (bin/<program> -s SOCKET -n N, the same environment), each in a session
# (and process group) of its own that stack_stop ends.
refs_start() {
	for r in null ideal; do
		[ ! -s "$VAR/refs-$r.pgid" ] || continue
		rm -f "$VAR/run/bench-$r.sock"
		as_user env $(scripts/stack.sh handler-env) \
		    HOOKPOST_CONFIG="$VAR/hookpost.conf" \
		    BENCH_SECRET="$SECRET" setsid sh -c 'echo $$ >"$1"; shift;
		    exec "$@"' sh "$VAR/refs-$r.pgid" "$TOP/bin/bench-$r" \
		    -s "$VAR/run/bench-$r.sock" -n "$APACHE_POOL" \
		    >>"$VAR/log/bench-refs.log" 2>&1 &
		i=0
		until [ -S "$VAR/run/bench-$r.sock" ]; do
			i=$((i + 1))
			[ $i -lt 100 ] || die "bench-$r pool: no socket;" \
			    "$(tail -n 1 "$VAR/log/bench-refs.log")"
			sleep 0.05
		done
	done
}

# server_start SERVER: the stack's server with its bench config (the
# shipped config plus the two references), through stack.sh, which also
# writes its pid files so that stack.sh stop ends it.
server_start() {
	# Apache's reference pools live in Apache's turn only, as stack.sh
	# ends its handler pools when lighttpd starts (else the memory
	# table would count them in lighttpd's row).
	if [ "$1" = apache ]; then refs_start; else refs_stop; fi
	HOOKPOST_TRIGGER_RATE_PER_IP=100000000 \
	    HOOKPOST_TRIGGER_RATE_GLOBAL=100000000 \
	    HOOKPOST_SERVER=$1 HOOKPOST_HTTPD_CONF="$TOP/httpd-conf/$1-bench.conf" \
	    BENCH_SECRET="$SECRET" scripts/stack.sh start >/dev/null ||
		die "$1 did not start: logs in $VAR/log"
	CURRENT=$1
}

log "bench: starting PostgreSQL (durable settings) on $VAR/run;" \
    "servers: $SERVERS on $BASE"
# The trigger receiver's per-IP and global limits (1,000 and 10,000 a
# minute) would refuse the bench, which comes from one address: they
# count every request, as deployed, but never refuse.
HOOKPOST_TRIGGER_RATE_PER_IP=100000000 HOOKPOST_TRIGGER_RATE_GLOBAL=100000000 \
    HOOKPOST_SERVER=none scripts/stack.sh start >/dev/null ||
	die "the stack did not start"
set -- $SERVERS
server_start "$1"

TOKEN=$(cat "$VAR/admin.token")
code=$(curl -s -o "$VAR/source.json" -w '%{http_code}' -X PUT \
    "$BASE/api/webhooks/$SOURCE" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "{\"secret\":\"$SECRET\"}")
case $code in
200|201) ;;
*)	die "registering source $SOURCE: HTTP $code $(cat "$VAR/source.json")" ;;
esac

# seed 002 trigger: keyed URL, HMAC-SHA256 of "<X-Webhook-Timestamp>.<body>"
# (the timestamped scheme of new triggers, signed as the sources are),
# the key's rate limit off (the bench is the flood a limit exists to refuse).
auth_api() {	# method path json
	curl -s -o "$VAR/trigger.json" -w '%{http_code}' -X "$1" "$BASE$2" \
	    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	    -d "$3"
}
case $(auth_api POST /api/v1/triggers '{"ref":"bench.push","description":"make bench"}') in
200|201|409) ;;
*)	die "creating the bench trigger: $(cat "$VAR/trigger.json")" ;;
esac
auth_api POST /api/v1/triggers/bench.push/webhooks/enable '{}' >/dev/null
TRIGGER_KEY=$(curl -s "$BASE/api/v1/triggers/bench.push/webhook" \
    -H "Authorization: Bearer $TOKEN" | jq -r .data.webhook_key)
case $TRIGGER_KEY in wh_*) ;; *) die "no trigger key" ;; esac
auth_api POST /api/v1/triggers/bench.push/webhooks/hmac/enable \
    "{\"algorithm\":\"sha256\",\"secret\":\"$SECRET\"}" >/dev/null
auth_api PUT /api/v1/triggers/bench.push/webhooks/rate-limit \
    '{"requests":100,"window_seconds":60,"enabled":false}' >/dev/null

url_of() {
	case $1 in
	null)		echo "$BASE/bench/null" ;;
	ideal)		echo "$BASE/bench/ideal" ;;
	hookpost)	echo "$BASE/api/webhooks/$SOURCE" ;;
	trigger)	echo "$BASE/api/v1/webhooks/$TRIGGER_KEY" ;;
	node)		echo "http://127.0.0.1:$NODE_PORT/hook" ;;
	esac
}

# The Node.js peer: its npm packages (bench/node/package-lock.json) once,
# then one process on the stack's database, as the stack's user.
node_start() {
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
		die "the Node.js peer needs node and npm (make deps)"
	if [ ! -f bench/node/node_modules/express/package.json ] ||
	    [ ! -f bench/node/node_modules/pg/package.json ]; then
		log "bench: npm ci in bench/node (express, pg)"
		(cd bench/node && npm ci --no-audit --no-fund --silent) \
		    >"$VAR/log/bench-node-npm.log" 2>&1 ||
			die "npm ci in bench/node: $(tail -n 3 "$VAR/log/bench-node-npm.log")"
	fi
	db=$(sed -n 's/^HOOKPOST_DATABASE_URL=//p' "$VAR/hookpost.conf")
	kv() { printf '%s\n' "$db" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
	as_user env BENCH_SECRET="$SECRET" BENCH_NODE_PORT="$NODE_PORT" \
	    PGHOST="$(kv host)" PGPORT="$(kv port)" PGDATABASE="$(kv dbname)" \
	    PGUSER="$(kv user)" node bench/node/server.js \
	    >>"$VAR/log/bench-node.log" 2>&1 &
	NODE_PID=$!
	echo "$NODE_PID" >"$VAR/node.pid"
	i=0
	until grep -q listening "$VAR/log/bench-node.log" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 100 ] && kill -0 "$NODE_PID" 2>/dev/null ||
			die "the Node.js peer did not start: $(tail -n 3 \
			    "$VAR/log/bench-node.log")"
		sleep 0.1
	done
}

mode_of() {	# how each target is signed: all as seed 004
	echo signed
}

psql_bench() {
	as_user psql -h "$VAR/run" -p "$HOOKPOST_PGPORT" -d hookpost -qAt \
	    -v ON_ERROR_STOP=1 "$@"
}

pg_setting() {
	psql_bench -c "SHOW $1" 2>/dev/null || echo '?'
}
log "bench: fsync=$(pg_setting fsync) synchronous_commit=$(pg_setting \
synchronous_commit); parts: $PARTS"

# Medians over the runs; errors are summed.
median_of() {	# target conns column(4 req/s, 5 p50, 6 p99; 8, 9, 10 CPU
		# microseconds per request: handler, server, database) -> median
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
# CPU per request, from /proc: the clock ticks (utime + stime) of the
# processes named after the target's program, of the web server's, and
# of PostgreSQL's (the postmaster of var/bench/pg and its children),
# sampled when the measured window opens and when it closes.
TICK=$(getconf CLK_TCK)
prog_of() {	# target -> its processes' name (comm)
	case $1 in
	null)		echo bench-null ;;
	ideal)		echo bench-ideal ;;
	hookpost)	echo sources.fcgi ;;
	trigger)	echo triggers.fcgi ;;
	node)		echo node ;;
	esac
}
cpu_ticks() {	# program server -> "handler server database" ticks
	pm=$(head -n 1 "$VAR/pg/postmaster.pid" 2>/dev/null || echo 0)
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v p="($1)" -v s="($2)" \
	    -v pm="$pm" '{
		# comm is field 2, in parentheses, without spaces for ours
		t = $14 + $15
		if ($2 == p) h += t
		else if ($2 == s) w += t
		if ($1 == pm || $4 == pm) d += t
		# A child that ended (an autovacuum worker, a backend) moves
		# its ticks to the postmaster cutime + cstime: counted there,
		# so the database total never goes back.
		if ($1 == pm) d += $16 + $17
	} END { print h + 0, w + 0, d + 0 }'
}
# mem_of prog: the largest peak RSS (VmHWM) and PSS (smaps_rollup: shared
# pages divided among the processes mapping them) of its processes, KiB,
# and how many there are (a pool: its supervisor and the N it forked).
# Only this bench's: a process whose environment names this bench's
# hookpost.conf (every pool gets HOOKPOST_CONFIG), not another bench's
# on the same machine, nor a stack run by `make run`.
mem_of() {
	for p in $(pgrep -x "$1"); do
		tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null |
		    grep -qxF "HOOKPOST_CONFIG=$VAR/hookpost.conf" || continue
		printf '%s %s\n' \
		    "$(awk '/^VmHWM:/ { print $2 }' /proc/$p/status 2>/dev/null)" \
		    "$(awk '/^Pss:/ { print $2 }' /proc/$p/smaps_rollup 2>/dev/null)"
	done | awk 'NF == 2 { if ($1 > r) r = $1; if ($2 > s) s = $2; n++ }
	    END { print r + 0, s + 0, n + 0 }'
}

# load_run target conns url: bench-load's line, then the target's CPU per
# request in microseconds: handler, web server, database.
load_run() {
	srvname=$CURRENT
	[ "$srvname" = apache ] && srvname=apache2
	bin/bench-load -c "$2" -t "$THREADS" -d "$DURATION" -w "$WARMUP" \
	    -s "$SECRET" -m "$(mode_of "$1")" -u "$3" \
	    >"$VAR/load.out" 2>>"$VAR/log/bench-load.log" &
	lp=$!
	sleep "$WARMUP"
	c0=$(cpu_ticks "$(prog_of "$1")" "$srvname")
	sleep "$DURATION"
	c1=$(cpu_ticks "$(prog_of "$1")" "$srvname")
	wait $lp || return 1
	line=$(cat "$VAR/load.out")
	echo "$line $c0 $c1" | awk -v d="$DURATION" -v k="$TICK" '{
		n = $1 * d; us = n > 0 ? 1e6 / k / n : 0
		printf "%s %s %s %s %.0f %.0f %.0f\n", $1, $2, $3, $4,
		    ($8 - $5) * us, ($9 - $6) * us, ($10 - $7) * us }'
}

ratio() {	# a b -> "  0.42x" (a / b), or "-"
	awk -v h="$1" -v r="$2" \
	    'BEGIN { if (r > 0) printf "%11.2fx", h / r; else printf "%12s", "-" }'
}

: >"$RESULTS"
total_errors=0

inbound_runs() {
	node_start
	: >"$VAR/mem.txt"
	log "bench: inbound, ${REPEAT} x ${WARMUP}+${DURATION} s per server," \
	    "target and connection count"
	rep=1
	while [ $rep -le "$REPEAT" ]; do
		for srv in $SERVERS; do
			[ "$CURRENT" = "$srv" ] || server_start "$srv"
			# One signed request each first: a misconfiguration
			# fails here, loudly.
			[ $rep -gt 1 ] || for t in $TARGETS; do
				bin/bench-load -1 -m "$(mode_of $t)" -s "$SECRET" \
				    -u "$(url_of $t)" >"$VAR/preflight-$t.txt" ||
					die "$srv $t: the signed request failed:" \
					    "$(cat "$VAR/preflight-$t.txt")"
			done
			for c in $CONNS; do
				for t in $TARGETS; do
					line=$(load_run $t "$c" "$(url_of $t)") ||
						die "$srv $t at $c connections: $(tail \
						    -n 1 "$VAR/log/bench-load.log")"
					echo "$srv/$t $c $rep $line" >>"$RESULTS"
					log "  run $rep/$REPEAT  $srv  $t  $c conns:" \
					    "$line (req/s p50_ms p99_ms errors," \
					    "CPU us/request: handler server database)"
				done
			done
			# issue 13: each receiver process's memory after the
			# load (the largest of its pool).
			for t in hookpost trigger ideal; do
				case " $TARGETS " in *" $t "*) ;; *) continue ;; esac
				echo "$srv $t $(mem_of "$(prog_of $t)")" >>"$VAR/mem.txt"
			done
		done
		rep=$((rep + 1))
	done
}

# target_table HEAD WIDTH CELL: a row per target, a column per connection
# count and server, each cell what "CELL target conns server" prints.
target_table() {
	printf '%-10s' "$1"
	for c in $CONNS; do
		for srv in $SERVERS; do printf "%$2s" "$srv $c"; done
	done
	echo
	for t in $TARGETS; do
		printf '%-10s' $t
		for c in $CONNS; do
			for srv in $SERVERS; do
				printf "%$2s" "$($3 "$t" "$c" "$srv")"
			done
		done
		echo
	done
}
p99_cell() { printf '%.2f' "$(median_of "$3/$1" "$2" 6)"; }
cpu_cell() {
	echo "$(median_of "$3/$1" "$2" 8) / $(median_of "$3/$1" "$2" 9) /" \
	    "$(median_of "$3/$1" "$2" 10)"
}

inbound_table() {
	echo
	echo "make bench: signed seed-004 alerts and seed-002 trigger posts through" \
	    "$(echo $SERVERS | sed 's/ / and /g') ($(nproc) cores, medians of" \
	    "$REPEAT runs of ${DURATION} s)"
	echo "(node: the Node.js express + pg peer on its own port, no web" \
	    "server in front; measured in each server's turn)"
	printf '%-9s %-10s %6s %10s %9s %9s %7s\n' server target conns req/s \
	    "p50 ms" "p99 ms" errors
	for c in $CONNS; do
		for srv in $SERVERS; do
			for t in $TARGETS; do
				e=$(errors "$srv/$t" "$c")
				total_errors=$((total_errors + e))
				printf '%-9s %-10s %6s %10.1f %9.2f %9.2f %7s\n' \
				    "$srv" $t "$c" \
				    "$(median_of "$srv/$t" "$c" 4)" \
				    "$(median_of "$srv/$t" "$c" 5)" \
				    "$(median_of "$srv/$t" "$c" 6)" "$e"
			done
		done
	done
	echo
	# p99 side by side: the tail each server adds under the same load.
	target_table "p99 ms" 12 p99_cell
	echo
	# CPU per request (issue 13): where each target spends, medians.
	echo "CPU per request, microseconds (medians; /proc ticks of the" \
	    "window): handler / web server / database"
	target_table target 20 cpu_cell
	echo
	printf '%-25s' "req/s ratio"
	for c in $CONNS; do printf '%12s' "$c conns"; done
	echo
	for srv in $SERVERS; do
		for h in hookpost trigger; do
			for ref in ideal null node; do
				printf '%-25s' "$srv $h/$ref"
				for c in $CONNS; do
					ratio "$(median_of "$srv/$h" "$c" 4)" \
					    "$(median_of "$srv/$ref" "$c" 4)"
				done
				echo
			done
		done
		printf '%-25s' "$srv ideal/null"
		for c in $CONNS; do
			ratio "$(median_of "$srv/ideal" "$c" 4)" \
			    "$(median_of "$srv/null" "$c" 4)"
		done
		echo
	done
	echo
	# The aims, at 16 connections (issue 3), and no one-second tail at 64.
	case " $CONNS " in
	*" 16 "*)
		for srv in $SERVERS; do
			awk -v s="$srv" -v h="$(median_of "$srv/hookpost" 16 4)" \
			    -v i="$(median_of "$srv/ideal" 16 4)" \
			    -v p="$(median_of "$srv/hookpost" 16 6)" 'BEGIN {
				r = i > 0 ? h / i : 0
				printf "aim at 16 conns, %s: hookpost/ideal >= 0.90 (%.2f, %s), ",
				    s, r, (r >= 0.9 ? "met" : "not met")
				printf "p99 < 20 ms (%.2f, %s)\n", p,
				    (p < 20 ? "met" : "not met")
			}'
			# issue 13: the trigger receiver at 0.8x the ideal too.
			awk -v s="$srv" -v h="$(median_of "$srv/trigger" 16 4)" \
			    -v i="$(median_of "$srv/ideal" 16 4)" \
			    -v p="$(median_of "$srv/trigger" 16 6)" \
			    -v q="$(median_of "$srv/hookpost" 16 4)" 'BEGIN {
				r = i > 0 ? h / i : 0; a = i > 0 ? q / i : 0
				printf "aim at 16 conns, %s: hookpost/ideal >= 0.80 (%.2f, %s), trigger/ideal >= 0.80 (%.2f, %s), trigger p99 < 20 ms (%.2f, %s)\n",
				    s, a, (a >= 0.8 ? "met" : "not met"), r,
				    (r >= 0.8 ? "met" : "not met"), p,
				    (p < 20 ? "met" : "not met")
			}'
			# issue 13: both receivers ahead of the Node.js peer.
			for h in hookpost trigger; do
				awk -v s="$srv" -v t="$h" \
				    -v h="$(median_of "$srv/$h" 16 4)" \
				    -v n="$(median_of "$srv/node" 16 4)" 'BEGIN {
					r = n > 0 ? h / n : 0
					printf "aim at 16 conns, %s: %s/node > 1 (%.2f, %s)\n",
					    s, t, r, (r > 1 ? "met" : "not met")
				}'
			done
		done
		;;
	esac
	for c in $CONNS; do
		for srv in $SERVERS; do
			worst=0
			for t in $TARGETS; do
				worst=$(awk -v a="$worst" -v b="$(median_of "$srv/$t" "$c" 6)" \
				    'BEGIN { print (b > a ? b : a) }')
			done
			awk -v s="$srv" -v c="$c" -v w="$worst" 'BEGIN {
				printf "no one-second tail at %s conns, %s: worst p99 %.2f ms < 500 (%s)\n",
				    c, s, w, (w < 500 ? "met" : "not met")
			}'
		done
	done
	# issue 13: handler RSS under 8 MiB per process.  RSS counts the
	# shared libraries' pages each process touched (libcrypto, libpq and
	# its Kerberos/LDAP/GnuTLS); PSS divides those among the processes.
	echo
	echo "handler memory per process after the load, KiB (largest of the" \
	    "pool, supervisor included, and of the runs): peak RSS / PSS"
	for srv in $SERVERS; do
		for t in hookpost trigger ideal; do
			awk -v s="$srv" -v t="$t" '$1 == s && $2 == t {
				if ($3 > r) r = $3; if ($4 > p) p = $4
				if ($5 > k) k = $5; n++ }
			    END {
				if (n == 0) exit
				a = ""
				if (t != "ideal" && r < 8192)
					a = "   (aim RSS < 8192: met)"
				else if (t != "ideal")
					a = "   (aim RSS < 8192: not met)"
				printf "%-9s %-10s %8d / %-5d %2d processes%s\n",
				    s, t, r, p, k, a
			    }' "$VAR/mem.txt"
		done
	done
	echo "raw runs: $RESULTS; load generator messages: $VAR/log/bench-load.log"
}

# --- outbound ---------------------------------------------------------
# Deliveries go to bin/bench-sink's /ok (200, nothing else) on loopback;
# HOOKPOST_ALLOW_PRIVATE_TARGETS (stack.sh: 127.0.0.0/8) lets them through
# the SSRF guard, which still resolves and pins every delivery.
SINK=http://127.0.0.1:$SINK_PORT/ok
OUT_TYPE=threat_model.created
OUT_DATA='{"name":"Production API Threat Model","description":"Payments service, external API"}'

worker() {	# hookpost-deliver as the stack's workers run it
	as_user env HOOKPOST_CONFIG="$VAR/hookpost.conf" bin/hookpost-deliver "$@"
}

api() {	# method path json -> body in $VAR/api.json, status printed
	curl -s -o "$VAR/api.json" -w '%{http_code}' -X "$1" "$BASE$2" \
	    -H "Authorization: Bearer $TOKEN" \
	    -H 'Content-Type: application/json' -d "$3"
}

now_s() {
	date +%s.%N
}

# One active admin subscription (all owners) to the sink, made through
# the admin API like any other; the challenge is skipped (no challenge
# worker runs here) by setting it active, as tests/integration/75 does.
# max_concurrency 64 lets the subscription use every transfer slot.
outbound_setup() {
	log "bench: outbound, bench-sink on 127.0.0.1:$SINK_PORT"
	bin/bench-sink -p "$SINK_PORT" >"$VAR/log/bench-sink.log" 2>&1 &
	SINK_PID=$!
	i=0
	until curl -s -o /dev/null -X POST "$SINK"; do
		i=$((i + 1))
		[ $i -lt 50 ] || die "bench-sink did not start: $(cat \
		    "$VAR/log/bench-sink.log")"
		sleep 0.1
	done
	# seed 000 quotas: emit schedules events past max_events_per_minute
	# into later minutes, which would spread a burst over hours.
	code=$(api PUT /admin/quotas/webhooks/admin '{"max_subscriptions":100,
	    "max_events_per_minute":1000000000,
	    "max_subscription_requests_per_minute":100,
	    "max_subscription_requests_per_day":1000}')
	case $code in
	200|201) ;;
	*)	die "quota: HTTP $code $(cat "$VAR/api.json")" ;;
	esac
	# A generated-style secret (whsec_ + base64 of 24 bytes), so the
	# Standard Webhooks key is decoded as in production.
	OUT_SECRET=whsec_$(openssl rand -base64 24)
	code=$(api POST /admin/webhooks/subscriptions "{\"name\":\"bench\",
	    \"url\":\"$SINK\",\"events\":[\"$OUT_TYPE\"],
	    \"secret\":\"$OUT_SECRET\",\"max_concurrency\":64}")
	[ "$code" = 201 ] ||
		die "subscription: HTTP $code $(cat "$VAR/api.json")"
	OUT_SUB=$(jq -r .id "$VAR/api.json")
	psql_bench -c "UPDATE hookpost.subscriptions SET status = 'active'
	    WHERE id = '$OUT_SUB'" >/dev/null
	# One delivery end to end first: a misconfiguration fails here.
	psql_bench -c "SELECT hookpost.emit('$OUT_TYPE', 'threat_model',
	    'preflight', NULL, 'bench', '$OUT_DATA')" >/dev/null
	worker -1 -c 1 -n bench 2>>"$VAR/log/deliver.log" ||
		die "hookpost-deliver failed: $(tail -n 3 "$VAR/log/deliver.log")"
	[ "$(psql_bench -c "SELECT status || ' ' || coalesce(last_status_code, 0)
	    FROM hookpost.deliveries WHERE subscription_id = '$OUT_SUB'")" = \
	    "delivered 200" ] || die "the preflight delivery failed:" \
	    "$(psql_bench -c "SELECT status, last_error FROM hookpost.deliveries")"
}

# One integration per connector of BENCH_CONNECTORS (seed 003), made
# through POST /api/integrations like any, each sending to the same sink
# (200 "ok" at /ok; PagerDuty's 202 and success body at /pagerduty, which
# its connector requires): the figure is the connector's cost (its
# settings opened, its request rendered, its answer classified) beside a
# plain webhook's, in the same run.  max_concurrency 64 as the bench's
# subscription (the API leaves it at its default).  They subscribe to an
# event the bench never emits: the burst is fanned out to the plain
# webhook alone, then given to each in turn (outbound_point).
outbound_connectors_setup() {
	for t in $CONNECTORS; do
		case $t in
		webhook)	cfg="{\"url\":\"$SINK\",\"secret\":\"$OUT_SECRET\"}" ;;
		slack)		cfg="{\"webhook_url\":\"$SINK\"}" ;;
		# A Workflows URL carries its signature (sig=).
		teams)		cfg="{\"webhook_url\":\"$SINK?api-version=2016-06-01&sig=bench\"}" ;;
		pagerduty)	cfg="{\"routing_key\":\"R0UT1NGKEY0123456789ABCDEFGHIJKL\",
			    \"events_url\":\"${SINK%/ok}/pagerduty\"}" ;;
		*)		die "BENCH_CONNECTORS: no bench settings for $t" ;;
		esac
		code=$(api POST /api/integrations "{\"type\":\"$t\",
		    \"name\":\"bench $t\",\"events\":[\"sync.failed\"],
		    \"config\":$cfg}")
		[ "$code" = 201 ] ||
			die "integration $t: HTTP $code $(cat "$VAR/api.json")"
		id=$(jq -r .id "$VAR/api.json")
		psql_bench -c "UPDATE hookpost.subscriptions SET
		    max_concurrency = 64 WHERE id = '$id'" >/dev/null
		eval "OUT_INT_$t=$id"
	done
}

# Gives the whole burst to one subscription (the plain webhook's or an
# integration's), as emit would have fanned it out to it alone.
outbound_point() {
	psql_bench -c "UPDATE hookpost.deliveries SET subscription_id = '$1'
	    WHERE subscription_id <> '$1'" >/dev/null
}

# The burst every throughput run delivers: N events emitted in one
# transaction (fan-out: one delivery each), timed.  Emitted once: emit
# counts the owner's deliveries of the last minute for every event
# (sql/003 quotas), so its cost grows with N squared, and emitting per run
# would take most of the bench's time.
outbound_emit() {
	psql_bench -c "TRUNCATE hookpost.events, hookpost.deliveries,
	    hookpost.delivery_attempts" >/dev/null
	log "bench: emitting $OUT_EVENTS events in one transaction"
	t0=$(now_s)
	psql_bench -c "SELECT count(hookpost.emit('$OUT_TYPE', 'threat_model',
	    'bench-' || g, NULL, 'bench', '$OUT_DATA'))
	    FROM generate_series(1, $OUT_EVENTS) g" >/dev/null
	t1=$(now_s)
	emit_rate=$(awk -v n="$OUT_EVENTS" -v a="$t0" -v b="$t1" \
	    'BEGIN { printf "%.1f %.1f", n / (b - a), b - a }')
	echo "emit 0 1 $emit_rate" >>"$RESULTS"
	log "  emit: $emit_rate (events/s seconds)"
	# The reference sends the same bytes: one of these payloads.
	psql_bench -c "SELECT payload FROM hookpost.events LIMIT 1" |
	    tr -d '\n' >"$VAR/out-body.json"
}

# Puts the burst back as emit left it: every delivery pending and due,
# no attempts, and (VACUUM) no dead row versions from the previous run.
# ANALYZE is what autovacuum does soon after such a burst; done here so
# that every run's claim is planned from the same statistics.
outbound_reset() {
	psql_bench -c "TRUNCATE hookpost.delivery_attempts" -c "UPDATE
	    hookpost.deliveries SET status = 'pending', attempts = 0,
	    next_attempt_at = now(), claim_id = NULL, lease_until = NULL,
	    last_status_code = NULL, last_error = NULL, completed_at = NULL,
	    updated_at = now()" >/dev/null
	psql_bench -c "VACUUM ANALYZE hookpost.deliveries" \
	    -c "VACUUM ANALYZE hookpost.events" >/dev/null
}

# One run at concurrency $1, repetition $2: the worker timed until it
# has delivered the whole burst (claim, sign, send, record).
outbound_run_hookpost() {
	c=$1 rep=$2 target=${3:-hookpost}
	outbound_reset
	t0=$(now_s)
	worker -1 -c "$c" -n bench 2>>"$VAR/log/deliver.log" ||
		die "hookpost-deliver failed: $(tail -n 3 "$VAR/log/deliver.log")"
	t1=$(now_s)
	# Delivered per second; the attempts' own times (response_ms: from
	# building the request to recording its result); errors: deliveries
	# not delivered plus attempts that failed.
	line=$(psql_bench -F ' ' -c "SELECT
	    round((SELECT count(*) FROM hookpost.deliveries
	        WHERE status = 'delivered') / ($t1 - $t0)::numeric, 1),
	    round(percentile_cont(0.5) WITHIN GROUP (ORDER BY a.response_ms)
	        ::numeric, 2),
	    round(percentile_cont(0.99) WITHIN GROUP (ORDER BY a.response_ms)
	        ::numeric, 2),
	    $OUT_EVENTS - (SELECT count(*) FROM hookpost.deliveries
	        WHERE status = 'delivered') +
	        count(*) FILTER (WHERE a.status_code IS NULL OR
	        a.status_code NOT BETWEEN 200 AND 299)
	    FROM hookpost.delivery_attempts a")
	echo "out-$target $c $rep $line" >>"$RESULTS"
	log "  run $rep/$OUT_REPEAT  $target  $c conns:  $line" \
	    "(deliv/s p50_ms p99_ms errors)"
}

# The burst through each connector, right after the plain webhook's run
# at the same concurrency; the ratio is taken within the repetition.
outbound_run_connectors() {
	c=$1 rep=$2
	for t in $CONNECTORS; do
		eval "id=\$OUT_INT_$t"
		outbound_point "$id"
		outbound_run_hookpost "$c" "$rep" "$t"
		pair=$(awk -v c="$c" -v r="$rep" -v t="out-$t" '
		    $1 == "out-hookpost" && $2 == c && $3 == r { h = $4 }
		    $1 == t && $2 == c && $3 == r { x = $4 }
		    END { if (h > 0) print "con-ratio-" substr(t, 5), c, r, x / h }' \
		    "$RESULTS")
		[ -z "$pair" ] || echo "$pair" >>"$RESULTS"
	done
	[ -z "$CONNECTORS" ] || outbound_point "$OUT_SUB"
}

outbound_run_refpost() {
	c=$1 rep=$2
	line=$(bin/bench-refpost -u "$SINK" -b "$VAR/out-body.json" \
	    -s "$OUT_SECRET" -e "$OUT_TYPE" -n "$OUT_EVENTS" -c "$c" \
	    2>>"$VAR/log/bench-refpost.log") ||
		die "bench-refpost at $c: $(tail -n 1 "$VAR/log/bench-refpost.log")"
	echo "out-refpost $c $rep $line" >>"$RESULTS"
	# The pair's ratio: refpost runs right after hookpost, so a machine
	# busy with something else weighs on both (ARCHITECTURE.md §5).
	pair=$(awk -v c="$c" -v r="$rep" '
	    $1 == "out-hookpost" && $2 == c && $3 == r { h = $4 }
	    $1 == "out-refpost" && $2 == c && $3 == r { p = $4 }
	    END { if (p > 0) print "out-ratio", c, r, h / p }' "$RESULTS")
	[ -z "$pair" ] || echo "$pair" >>"$RESULTS"
	log "  run $rep/$OUT_REPEAT  refpost   $c conns:  $line" \
	    "(deliv/s p50_ms p99_ms errors)"
}

# The worker's memory with RSS_CONNS (256) transfers in flight: the burst
# once more, spread over four subscriptions to the sink (subscribed, as
# the integrations are, to an event the bench never emits; a subscription's
# max_concurrency is 64 at most, which would cap the transfers in flight
# at 64), `hookpost-deliver -1 -c 256` run under time(1) for its peak RSS
# (else VmHWM polled from /proc), and how many transfers it had in flight
# at most (its last log line says).
RSS_CONNS=256
outbound_rss() {
	subs="'$OUT_SUB'"
	for i in 2 3 4; do
		code=$(api POST /admin/webhooks/subscriptions "{\"name\":\"bench $i\",
		    \"url\":\"$SINK\",\"events\":[\"sync.failed\"],
		    \"secret\":\"$OUT_SECRET\",\"max_concurrency\":64}")
		[ "$code" = 201 ] ||
			die "subscription $i: HTTP $code $(cat "$VAR/api.json")"
		subs="$subs, '$(jq -r .id "$VAR/api.json")'"
	done
	psql_bench -c "UPDATE hookpost.subscriptions SET status = 'active'
	    WHERE id IN ($subs)" -c "UPDATE hookpost.deliveries d
	    SET subscription_id = (ARRAY[$subs]::uuid[])[1 +
	        abs(hashtext(d.id::text)) % 4]" >/dev/null
	outbound_reset
	log "bench: worker RSS, hookpost-deliver -1 -c $RSS_CONNS"
	rm -f "$VAR/rss.txt" "$VAR/rss-deliver.log"
	if [ -x /usr/bin/time ]; then
		as_user env HOOKPOST_CONFIG="$VAR/hookpost.conf" /usr/bin/time \
		    -f %M -o "$VAR/rss.txt" bin/hookpost-deliver -1 \
		    -c "$RSS_CONNS" -n bench 2>"$VAR/rss-deliver.log" ||
			die "hookpost-deliver -c $RSS_CONNS failed:" \
			    "$(tail -n 3 "$VAR/rss-deliver.log")"
		kib=$(tail -n 1 "$VAR/rss.txt")
	else
		as_user env HOOKPOST_CONFIG="$VAR/hookpost.conf" \
		    bin/hookpost-deliver -1 -c "$RSS_CONNS" -n bench \
		    2>"$VAR/rss-deliver.log" &
		pid=$!
		kib=0
		while kill -0 "$pid" 2>/dev/null; do
			for p in $pid $(pgrep -P "$pid"); do
				v=$(awk '$1 == "VmHWM:" { print $2 }' \
				    "/proc/$p/status" 2>/dev/null || true)
				[ -z "$v" ] || [ "$v" -le "$kib" ] || kib=$v
			done
			sleep 0.05
		done
		wait "$pid" || die "hookpost-deliver -c $RSS_CONNS failed:" \
		    "$(tail -n 3 "$VAR/rss-deliver.log")"
	fi
	cat "$VAR/rss-deliver.log" >>"$VAR/log/deliver.log"
	peak=$(sed -n 's/.*, \([0-9]*\) in flight at most.*/\1/p' \
	    "$VAR/rss-deliver.log" | tail -n 1)
	delivered=$(psql_bench -c "SELECT count(*) FROM hookpost.deliveries
	    WHERE status = 'delivered'")
	outbound_point "$OUT_SUB"
	echo "rss $RSS_CONNS 1 ${kib:-0} ${peak:-0} $delivered" >>"$RESULTS"
	log "  worker RSS at ${peak:-?} in flight: ${kib:-?} KiB" \
	    "($delivered delivered)"
}

# Latency from an emit's commit to the start of its first attempt: the
# worker runs as cron runs it (-t), woken by NOTIFY; bench-emitlat emits
# one event per transaction at a steady rate and logs when each commit
# returned.  Also from the emit call (events.created_at, the emitting
# transaction's start), which adds the emit and its commit.
outbound_latency() {
	psql_bench -c "TRUNCATE hookpost.events, hookpost.deliveries,
	    hookpost.delivery_attempts" >/dev/null
	log "bench: latency, $LAT_RATE events/s for $LAT_DURATION s, one" \
	    "transaction each, hookpost-deliver -c 64 running"
	worker -t $((LAT_DURATION + 50)) -c 64 -n bench-lat \
	    2>>"$VAR/log/deliver.log" &
	WORKER_PID=$!
	# Wait until the worker listens: a warm-up event gets delivered.
	psql_bench -c "SELECT hookpost.emit('$OUT_TYPE', 'threat_model',
	    'warmup', NULL, 'bench', '$OUT_DATA')" >/dev/null
	i=0
	until [ "$(psql_bench -c "SELECT count(*) FROM hookpost.deliveries
	    WHERE status = 'delivered'")" = 1 ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || die "the latency worker delivers nothing:" \
		    "$(tail -n 3 "$VAR/log/deliver.log")"
		sleep 0.1
	done
	line=$(as_user env HOOKPOST_CONFIG="$VAR/hookpost.conf" \
	    bin/bench-emitlat -p lat -r "$LAT_RATE" -d "$LAT_DURATION" \
	    -e "$OUT_TYPE" -o bench -w "$VAR/lat-commits.tsv" \
	    2>>"$VAR/log/bench-emitlat.log") ||
		die "bench-emitlat: $(tail -n 1 "$VAR/log/bench-emitlat.log")"
	log "  emitted: $line (events events/s emit_p50_ms emit_p99_ms" \
	    "emit_max_ms errors)"
	emitted=${line%% *}
	# The last events need a moment to be attempted.
	i=0
	while [ "$(psql_bench -c "SELECT count(DISTINCT a.delivery_id)
	    FROM hookpost.delivery_attempts a JOIN hookpost.deliveries d
	    ON d.id = a.delivery_id JOIN hookpost.events e ON e.id = d.event_id
	    WHERE e.object_id LIKE 'lat-%'")" -lt "$emitted" ] &&
	    [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	# SIGTERM to the worker itself (as root, runuser's child): it finishes
	# what it holds and exits 0.
	kill "$(pgrep -P "$WORKER_PID" || echo "$WORKER_PID")" 2>/dev/null || true
	wait "$WORKER_PID" || true
	WORKER_PID=
	# From the commit (bench-emitlat's clock when COMMIT returned) and
	# from the start of the emitting transaction (events.created_at):
	# count, p50, p99, max of each, then the events never attempted.  The
	# worker truncates started_at to the millisecond: + 0.5 ms puts it in
	# the middle of its millisecond.
	lat=$(psql_bench -F ' ' -c "CREATE TEMP TABLE lat_commits
	    (object_id text PRIMARY KEY, committed_at double precision)" \
	    -c "\\copy lat_commits FROM '$VAR/lat-commits.tsv'" \
	    -c "SELECT count(x.from_commit),
	    round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x.from_commit)
	        ::numeric, 2),
	    round(percentile_cont(0.99) WITHIN GROUP (ORDER BY x.from_commit)
	        ::numeric, 2),
	    round(max(x.from_commit)::numeric, 2),
	    count(x.from_emit),
	    round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x.from_emit)
	        ::numeric, 2),
	    round(percentile_cont(0.99) WITHIN GROUP (ORDER BY x.from_emit)
	        ::numeric, 2),
	    round(max(x.from_emit)::numeric, 2),
	    count(*) - count(x.from_emit)
	    FROM hookpost.events e JOIN hookpost.deliveries d ON d.event_id = e.id
	    LEFT JOIN lat_commits c ON c.object_id = e.object_id
	    LEFT JOIN LATERAL (SELECT (extract(epoch FROM a.started_at) -
	        c.committed_at) * 1000 + 0.5 AS from_commit,
	        extract(epoch FROM a.started_at - e.created_at) * 1000 + 0.5
	        AS from_emit
	        FROM hookpost.delivery_attempts a
	        WHERE a.delivery_id = d.id AND a.attempt = 1) x ON true
	    WHERE e.object_id LIKE 'lat-%'")
	echo "latency 64 1 $lat $line" >>"$RESULTS"
}

outbound_table() {
	echo
	echo "make bench: outbound deliveries, emit -> hookpost-deliver ->" \
	    "bench-sink ($(nproc) cores, medians of $OUT_REPEAT runs of" \
	    "$OUT_EVENTS deliveries)"
	printf '%-10s %6s %10s %9s %9s %7s\n' target conns deliv/s "p50 ms" \
	    "p99 ms" errors
	for c in $OUT_CONNS; do
		for t in refpost hookpost $CONNECTORS; do
			e=$(errors out-$t "$c")
			total_errors=$((total_errors + e))
			printf '%-10s %6s %10.1f %9.2f %9.2f %7s\n' $t "$c" \
			    "$(median_of out-$t "$c" 4)" \
			    "$(median_of out-$t "$c" 5)" \
			    "$(median_of out-$t "$c" 6)" "$e"
		done
	done
	printf '%-10s %6s %10.1f  events/s: %s hookpost.emit in one' \
	    emit - "$(median_of emit 0 4)" "$OUT_EVENTS"
	printf ' transaction, %.1f s\n' "$(median_of emit 0 5)"
	echo
	printf '%-16s' "deliv/s ratio"
	for c in $OUT_CONNS; do printf '%12s' "$c conns"; done
	echo
	printf '%-16s' "hookpost/refpost"
	for c in $OUT_CONNS; do
		printf '%11.2fx' "$(median_of out-ratio "$c" 4)"
	done
	echo "   (median of each run's pair)"
	for t in $CONNECTORS; do
		printf '%-16s' "$t/hookpost"
		for c in $OUT_CONNS; do
			printf '%11.2fx' "$(median_of con-ratio-$t "$c" 4)"
		done
		echo "   (a connector beside the plain webhook; aim >= 0.80)"
	done
	echo
	set -- $(awk '$1 == "rss" { print $4, $5, $6 }' "$RESULTS")
	if [ $# -ge 2 ]; then
		printf 'worker RSS at %s in flight: %s KiB (aim < 32768, %s)' \
		    "$2" "$1" "$([ "$1" -lt 32768 ] && [ "$2" -ge "$RSS_CONNS" ] &&
		    echo met || echo not met)"
		echo "; hookpost-deliver -1 -c $RSS_CONNS, $3 of $OUT_EVENTS delivered"
		[ "$3" = "$OUT_EVENTS" ] ||
			total_errors=$((total_errors + OUT_EVENTS - $3))
	fi
	echo
	echo "latency to the first attempt ($LAT_RATE events/s for" \
	    "$LAT_DURATION s, one transaction each; hookpost-deliver -c 64)"
	printf '%-16s %7s %9s %9s %9s %12s\n' from events "p50 ms" "p99 ms" \
	    "max ms" unattempted
	set -- $(awk '$1 == "latency" { print $4, $5, $6, $7, $8, $9, $10,
	    $11, $12 }' "$RESULTS")
	printf '%-16s %7s %9.2f %9.2f %9.2f %12s\n' "emit commit" "${1:-0}" \
	    "${2:-0}" "${3:-0}" "${4:-0}" "${9:-0}"
	printf '%-16s %7s %9.2f %9.2f %9.2f\n' "emit call" "${5:-0}" \
	    "${6:-0}" "${7:-0}" "${8:-0}"
	total_errors=$((total_errors + ${9:-0}))
	echo
	awk -v x="$(median_of out-ratio 64 4)" -v p50="${2:-0}" \
	    -v p99="${3:-0}" 'BEGIN {
		printf "aim: hookpost/refpost >= 0.40 at 64 conns (%.2f, %s); ",
		    x, (x >= 0.4 ? "met" : "not met")
		printf "from commit p50 < 50 ms (%.2f, %s), p99 < 250 ms (%.2f, %s)\n",
		    p50, (p50 < 50 ? "met" : "not met"), p99,
		    (p99 < 250 ? "met" : "not met")
	}'
	echo "raw runs: $RESULTS; worker messages: $VAR/log/deliver.log"
}

if has_part inbound; then
	inbound_runs
	inbound_table
fi
if has_part outbound; then
	outbound_setup
	outbound_connectors_setup
	outbound_emit
	rep=1
	while [ $rep -le "$OUT_REPEAT" ]; do
		for c in $OUT_CONNS; do
			outbound_run_hookpost "$c" $rep
			outbound_run_refpost "$c" $rep
			outbound_run_connectors "$c" $rep
		done
		rep=$((rep + 1))
	done
	outbound_rss
	outbound_latency
	outbound_table
fi
[ "$total_errors" = 0 ] || die "$total_errors requests failed (see above)"
