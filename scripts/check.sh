#!/bin/sh
# make check: unit tests; handlers in CGI mode under ASan+UBSan and
# valgrind; the HTTP suite behind real lighttpd, real Apache (mod_proxy_fcgi)
# and Apache with plain CGI from an .htaccess; ends "N passed, N failed".
# Runs its own PostgreSQL and servers on other ports than `make run`.
#
#   scripts/check.sh [SECTION...]   all sections when none is named:
#     lint      scripts/lint.sh
#     unit      bin/test-* and the CLI cases (tests/data/cli), no database
#     valgrind  bin/test-* and the handlers in CGI mode under valgrind
#     install   make install into a temporary PREFIX
#     fuzz      scripts/fuzz.sh: every libFuzzer harness (fuzz/) for
#               FUZZ_SECONDS each (2 here; `make fuzz`: 60)
#     asan      scripts/asan.sh's build: bin/asan/test-* and the handlers
#               in CGI mode under ASan+UBSan
#     http      the HTTP suite (tests/integration) behind CHECK_SERVERS
#     faults    the fault suite (tests/faults) behind lighttpd, at
#               FAULT_SCALE=short (`make faults`: full); ends with the
#               table of figures its files print as "# | ..." lines
# `make unit`, `make valgrind`, `make asan` and `make integration` run
# one section each (integration is http); the sections that need the
# database (valgrind, asan, http) start their own.
#
# For a quick loop while working (not for CI):
#   CHECK_SERVERS="apache"   which servers run the HTTP suite
#   CHECK_TESTS="55_* 56_*"  only these integration files (globs over
#                            tests/integration/*.sh, tests/data/http/*.cases)
#   CHECK_LOG=FILE           keep every ok / not ok line there (to count)
#   CHECK_QUICK=1            skip lint, unit, valgrind, install and asan
#   CHECK_PGPORT, CHECK_HTTP_PORT  ports, for two checks on one machine
#   CHECK_TIMES=FILE         append each test file's seconds there
#   CHECK_FULL=1             every integration file behind every server
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
export HOOKPOST_VAR=$TOP/var/check
export HOOKPOST_PGPORT=${CHECK_PGPORT:-54329}
export HOOKPOST_CRON=0 HOOKPOST_PG_FAST=1 HOOKPOST_QUIET=1 HOOKPOST_TEST_FAULTS=1
export HOOKPOST_JWT_SECRET=check-jwt-secret-0123456789
# The CAs outbound TLS trusts: the email test's own SMTP server writes
# its self-signed certificate here (tests/integration/80_email.sh).
export HOOKPOST_CA_BUNDLE=$HOOKPOST_VAR/test-ca.pem
SERVERS=${CHECK_SERVERS:-lighttpd apache apache-cgi}
RESULTS=$(mktemp)
trap 'rm -f "$RESULTS"' EXIT

if [ "$(id -u)" = 0 ]; then RUNAS="runuser -u hookpost --"; else RUNAS=; fi
export RUNAS
# psql as the database's owner role directly (the test cluster trusts
# local connections, scripts/stack.sh): not through runuser, which costs
# ~20 ms a call, and the suite makes thousands.
PGROLE=$( [ "$(id -u)" = 0 ] && echo hookpost || id -un)
export PSQL="psql -h $HOOKPOST_VAR/run -p $HOOKPOST_PGPORT -U $PGROLE -d hookpost"
export TOP

run_file() {	# a test file; its ok/not ok lines are counted
	_t0=$(date +%s)
	"$@" 2>&1 | tee -a "$RESULTS" | grep -E '^(not ok|#)' || true
	[ -z "${CHECK_TIMES:-}" ] ||
	    echo "# $(($(date +%s) - _t0)) s: $*" >>"$CHECK_TIMES"
}

# Section headers say when each began, seconds into the run: make check
# must stay under 15 minutes on a 2-core machine (CI), so where the time
# goes is printed with the results.
T0=$(date +%s)
section() { echo "== $* (at $(($(date +%s) - T0)) s)"; }

QUICK=${CHECK_QUICK:-0}
if [ $# -gt 0 ]; then
	SECTIONS=$*
elif [ "$QUICK" = 1 ]; then
	SECTIONS=http
else
	SECTIONS="lint unit fuzz valgrind install asan http faults"
fi
for sec in $SECTIONS; do
	case $sec in lint|unit|fuzz|valgrind|install|asan|http|faults) ;;
	*) echo "check: unknown section $sec" >&2; exit 2 ;; esac
done

want() {	# is section $1 to run?
	case " $SECTIONS " in *" $1 "*) return 0 ;; esac
	return 1
}

finish() {	# the count of every section run, and the exit status
	[ -z "${CHECK_LOG:-}" ] || cp "$RESULTS" "$CHECK_LOG"
	passed=$(grep -c '^ok ' "$RESULTS")
	failed=$(grep -c '^not ok ' "$RESULTS")
	echo "# done in $(($(date +%s) - T0)) s"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
	exit
}

# The server matrix: lighttpd runs every file; the two Apache setups run
# the files about what the web server does (routing of every group, its
# errors and limits, auth and cookies passed through, the seeds' and the
# README's curl lines, the console), since the handlers' logic is the
# same code under any server (and runs as plain CGI under ASan and
# valgrind in tests/cgi).  CHECK_FULL=1 (make check-full) runs every file
# behind every server.
SERVER_FACING="06_* 07_* 08_* 09_* 10_* 12_* 20_* 40_* 56_* 59_* 85_* 86_* 95_*"
on_server() {	# does integration file $2 run behind server $1?
	[ "$1" = lighttpd ] || [ -n "${CHECK_TESTS:-}" ] ||
	    [ "${CHECK_FULL:-0}" = 1 ] && return 0
	for pat in $SERVER_FACING; do
		case $(basename "$2") in $pat) return 0 ;; esac
	done
	return 1
}

selected() {	# is integration file $1 in CHECK_TESTS (all when unset)?
	[ -z "${CHECK_TESTS:-}" ] && return 0
	for pat in $CHECK_TESTS; do
		case $(basename "$1") in $pat) return 0 ;; esac
	done
	return 1
}

if want lint; then
	section "lint"
	run_file scripts/lint.sh
fi

if want unit; then
	section "unit tests"
	for t in bin/test-*; do
		[ -x "$t" ] || continue
		run_file "$t"
	done

	section "CLI cases (no server)"
	run_file sh tests/data/cli/run.sh bin/hookpost
fi

# The fuzzers: here when run alone (make fuzz); with valgrind, beside its
# CGI pass, on the core the ASan pass leaves idle (below).
FUZZ_SECONDS=${FUZZ_SECONDS:-2}
export FUZZ_SECONDS
if want fuzz && ! want valgrind; then
	section "fuzzers, $FUZZ_SECONDS s each"
	run_file scripts/fuzz.sh
fi

if want valgrind; then
	section "unit tests under valgrind (two at a time)"
	printf '%s\n' bin/test-* | xargs -P 2 -I{} sh -c '
	    [ -x "$1" ] || exit 0
	    if valgrind -q --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		"$1" >/dev/null 2>"$1.vg"; then
		    echo "ok - valgrind: $1"
	    else
		    { echo "not ok - valgrind: $1"; head -20 "$1.vg" |
			sed "s/^/#   /"; } | cat
	    fi
	    rm -f "$1.vg"' sh {} >"$RESULTS.vgu"
	tee -a "$RESULTS" <"$RESULTS.vgu" | grep -E '^(not ok|#)'
	rm -f "$RESULTS.vgu"
fi

if want install; then
	section "make install"
	inst=$(mktemp -d)
	if make -s install PREFIX="$inst" >/dev/null 2>&1 && [ -x "$inst/bin/hookpost" ] &&
	    [ -x "$inst/bin/sources.fcgi" ] && [ -x "$inst/bin/hookpost-ingest" ] &&
	    [ -f "$inst/share/hookpost/sql/001_init.sql" ] &&
	    [ -f "$inst/share/hookpost/sql/functions/emit.sql" ] &&
	    [ -f "$inst/share/hookpost/sql/postgresql.conf" ] &&
	    [ -f "$inst/share/hookpost/httpd-conf/htaccess" ] &&
	    [ -f "$inst/share/hookpost/cron/crontab" ] &&
	    [ -f "$inst/share/hookpost/openapi.json" ] &&
	    [ -f "$inst/share/man/man1/hookpost.1" ] &&
	    [ -f "$inst/share/man/man5/hookpost.conf.5" ] &&
	    [ -f "$inst/share/man/man8/hookpost-deliver.8" ]; then
		echo "ok - make install PREFIX= installs binaries, SQL, httpd-conf, crontab, openapi.json, man pages" >>"$RESULTS"
	else
		echo "not ok - make install PREFIX=" | tee -a "$RESULTS"
fi
# The installed ops program serves GET /openapi.json from share/hookpost/.
if env -i REQUEST_METHOD=GET REQUEST_URI=/openapi.json "$inst/bin/ops.fcgi" \
    </dev/null 2>/dev/null | head -n 1 | grep -q '^Status: 200'; then
	echo "ok - installed ops.fcgi finds share/hookpost/openapi.json" >>"$RESULTS"
else
	echo "not ok - installed ops.fcgi finds share/hookpost/openapi.json" | tee -a "$RESULTS"
fi
# The console: every file of console/ (pages, vendored library) installed.
if (cd console && find . -type f | sort) >"$inst/want" &&
    (cd "$inst/share/hookpost/console" 2>/dev/null && find . -type f | sort) >"$inst/got" &&
    cmp -s "$inst/want" "$inst/got" && [ -f "$inst/share/hookpost/httpd-conf/htaccess-console" ]; then
	echo "ok - make install installs the console ($(wc -l <"$inst/want") files) and htaccess-console" >>"$RESULTS"
else
	echo "not ok - make install installs the console" | tee -a "$RESULTS"
fi
rm -rf "$inst"
fi

if ! want asan && ! want valgrind && ! want http && ! want faults; then
	finish
fi

section "database"
scripts/stack.sh stop >/dev/null 2>&1
rm -rf "$HOOKPOST_VAR"
HOOKPOST_SERVER=none scripts/stack.sh start || { echo "0 passed, 1 failed"; exit 1; }
export TOKEN=$(cat "$HOOKPOST_VAR/admin.token")
export HOOKPOST_CONFIG=$HOOKPOST_VAR/hookpost.conf

# valgrind runs beside the ASan pass: each is one process at a time on
# one core (their cases name their objects apart), so together they take
# the time of the longer.
if want valgrind; then
	run_file tests/cgi/run.sh valgrind >"$RESULTS.vg" 2>&1 &
	VG=$!
fi
if want asan; then
	section "handlers as plain CGI (env + stdin) under ASan+UBSan"
	run_file tests/cgi/run.sh asan
	section "unit tests under ASan+UBSan"
	for t in bin/asan/test-*; do
		[ -x "$t" ] || continue
		if ASAN_OPTIONS=detect_leaks=1:exitcode=86 \
		    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=87 \
		    "$t" >/dev/null 2>"$RESULTS.san"; then
			echo "ok - asan: $t" >>"$RESULTS"
		else
			echo "not ok - asan: $t" | tee -a "$RESULTS"
			head -20 "$RESULTS.san"
		fi
		rm -f "$RESULTS.san"
	done
fi
if want fuzz && want valgrind; then
	section "fuzzers, $FUZZ_SECONDS s each (one at a time, beside valgrind)"
	export FUZZ_JOBS=1
	run_file scripts/fuzz.sh
fi
if want valgrind; then
	section "handlers as plain CGI (env + stdin) under valgrind"
	wait $VG
	cat "$RESULTS.vg"
	rm -f "$RESULTS.vg"
fi

port=${CHECK_HTTP_PORT:-18080}
want http || SERVERS=
for s in $SERVERS; do
	section "HTTP suite behind $s"
	export SERVER=$s HOOKPOST_SERVER=$s HOOKPOST_PORT=$port
	export BASE=http://127.0.0.1:$port RUN=$(echo "$s" | tr -dc 'a-z')$(date +%s)
	if ! scripts/stack.sh start; then
		echo "not ok - [$s] server start" | tee -a "$RESULTS"
		continue
	fi
	# Scripts and case files (tests/data/http) in one file-name order.
	for f in $(ls tests/integration/*.sh tests/data/http/*.cases |
	    awk -F/ '{ print $NF, $0 }' | sort | cut -d' ' -f2); do
		selected "$f" && on_server "$s" "$f" || continue
		case $f in
		*.cases) run_file sh tests/data/http/run.sh "$f" ;;
		*) run_file sh "$f" ;;
		esac
	done
	scripts/stack.sh stop-http >/dev/null 2>&1
	port=$((port + 1))
done

# The fault suite: behind lighttpd, each file at FAULT_SCALE (short in
# make check, full in make faults); each prints its figures as lines
# "# | what | figure | ..." which end up in one table.
if want faults; then
	section "fault suite (FAULT_SCALE=${FAULT_SCALE:=short}) behind lighttpd"
	export FAULT_SCALE SERVER=lighttpd HOOKPOST_SERVER=lighttpd HOOKPOST_PORT=$port
	export BASE=http://127.0.0.1:$port RUN=f$(date +%s)
	if scripts/stack.sh start; then
		for f in tests/faults/*.sh; do
			[ -f "$f" ] && selected "$f" || continue
			run_file sh "$f"
		done
		scripts/stack.sh stop-http >/dev/null 2>&1
		section "fault table"
		grep '^# |' "$RESULTS" || echo "# (no figures)"
	else
		echo "not ok - [lighttpd] fault suite: server start" | tee -a "$RESULTS"
	fi
fi
scripts/stack.sh stop >/dev/null 2>&1
finish
