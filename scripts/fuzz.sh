#!/bin/sh
# scripts/fuzz.sh: builds the libFuzzer harnesses (fuzz/<name>.c ->
# bin/fuzz/<name>, `make fuzzers`), gives each a seed corpus drawn from
# tests/data plus its regression inputs (tests/data/fuzz/<name>/, which
# every run replays first), and runs each for FUZZ_SECONDS (2 by
# default; `make fuzz`: 60) under ASan, UBSan and LeakSanitizer, two at
# a time.  Prints per harness
#   ok - fuzz <name>: N execs in S s
#   not ok - fuzz <name>: crash|leak|timeout|oom, reproducer <file>
# (then the report's first lines, "# "), and "# fuzz: H harnesses, N
# executions".  Work corpora and reproducers: var/fuzz/<name>/ (not
# committed).  Replay one: bin/fuzz/<name> <reproducer>.
#
#   scripts/fuzz.sh [name...]   only these harnesses
#   FUZZ_JOBS=2                 harnesses run at once
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
SECS=${FUZZ_SECONDS:-2}
WORK=$TOP/var/fuzz

# One harness: $1 its name.  Writes $WORK/$1/result (one line for the
# TAP output, then "# " lines) and $WORK/$1/execs.
run_one() {
	name=$1
	w=$WORK/$name
	rm -rf "$w/seed" "$w/log" "$w"/crash-* "$w"/leak-* "$w"/timeout-* \
	    "$w"/oom-*
	mkdir -p "$w/corpus" "$w/seed"
	seed "$name" "$w/seed"
	reg=tests/data/fuzz/$name
	[ -d "$reg" ] || reg=
	t0=$(date +%s)
	UBSAN_OPTIONS=print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	    "bin/fuzz/$name" -max_total_time="$SECS" -timeout=10 \
	    -rss_limit_mb=1024 -malloc_limit_mb=1024 -detect_leaks=1 \
	    -print_final_stats=1 -artifact_prefix="$w/" \
	    "$w/corpus" "$w/seed" $reg >"$w/log" 2>&1
	rc=$?
	t=$(($(date +%s) - t0))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$w/log" |
	    tail -1)
	echo "${execs:-0}" >"$w/execs"
	art=$(ls "$w"/crash-* "$w"/leak-* "$w"/timeout-* "$w"/oom-* \
	    2>/dev/null | head -1)
	if [ "$rc" -eq 0 ] && [ -z "$art" ]; then
		echo "ok - fuzz $name: ${execs:-0} execs in $t s" >"$w/result"
		return
	fi
	case $(basename "${art:-crash}") in
	leak-*) what=leak ;; timeout-*) what=timeout ;; oom-*) what=oom ;;
	*) what=crash ;;
	esac
	if [ -n "$art" ]; then
		art=${art#"$TOP"/}
		how="reproducer $art (replay: bin/fuzz/$name $art)"
	else
		how="exit $rc, no reproducer (var/fuzz/$name/log)"
	fi
	{
		echo "not ok - fuzz $name: $what, $how"
		# The report's first lines: what, where (our frames).
		grep -E 'ERROR|SUMMARY|runtime error|^ *#[0-9]+ ' "$w/log" |
		    grep -vE 'fuzzer::|__sanitizer|libc\.so|_start | in main ' |
		    head -8 | sed 's/^/# /'
	} >"$w/result"
}

# The seed corpus of harness $1 into directory $2: files of tests/data
# as they are where a harness reads them whole, else made from them.
seed() {
	d=$2
	case $1 in
	normalize)
		cp tests/data/alerts/*.json "$d/"
		for f in tests/data/inbound/*.json; do
			cp "$f" "$d/inbound-${f##*/}"
		done ;;
	provider)
		cp tests/data/triggers/providers/*.vec "$d/" ;;
	yaml)
		cp tests/data/packs/*.yaml tests/data/cli/*.yaml "$d/" ;;
	schema)
		jq -c '.schemas as $s | .validate[] | [$s[.[0]], .[1]]' \
		    tests/data/triggers/schema.json | split -l 1 - "$d/v"
		jq -c '.bad_schemas[] | .[0]' tests/data/triggers/schema.json |
		    split -l 1 - "$d/b" ;;
	jsonpath)
		doc=$(jq -c .doc tests/data/triggers/jsonpath.json)
		i=0
		jq -r '.get[][0], .invalid[]' tests/data/triggers/jsonpath.json |
		    while IFS= read -r p; do i=$((i + 1)); \
		    printf '%s\n%s' "$p" "$doc" >"$d/p$i"; done
		jq -c '.map[][0], .map_invalid[][0]' \
		    tests/data/triggers/jsonpath.json | split -l 1 - "$d/m"
		sed -i '1s/^/$.x\n/' "$d"/m* 2>/dev/null ;;
	cidr)
		# "list \n address \n X-Forwarded-For", from lib/cidr's cases.
		f=tests/data/triggers/cidr.json
		jq -r '(.parse[] | "\(.[0])\n\n"),
		    (.contains[] | "\(.[0])\n\(.[1])\n"),
		    (.list_valid[] | "\(.[0])\n\n"),
		    (.list_match[] | "\(.[0])\n\(.[1])\n"),
		    (.client[] | "\(.[2] // "")\n\(.[0] // "")\n\(.[1] // "")")' \
		    "$f" | split -l 3 - "$d/c" ;;
	urlguard)
		# "allow_private \n url", from the guard's own cases.
		grep -v '^#' tests/data/urlguard/check_url.txt | awk -F'\t' \
		    'NF >= 4 { a = $3 == "-" ? "" : $3; \
		    printf "%s\n%s", a, $4 > (D "/u" NR); close(D "/u" NR) }' \
		    D="$d"
		grep -v '^#' tests/data/urlguard/addr.txt | awk -F'\t' \
		    'NF >= 3 { a = $2 == "-" ? "" : $2; \
		    printf "%s\n%s", a, $3 > (D "/a" NR); close(D "/a" NR) }' \
		    D="$d" ;;
	idna)
		grep -v '^#' tests/data/urlguard/check_url.txt |
		    awk -F'\t' 'NF >= 4 { print $4 }' |
		    sed -n 's|^[a-zA-Z]*://\([^/:?#]*\).*|\1|p' | sort -u |
		    split -l 1 - "$d/h" ;;
	triage)
		# Each playbook of the HTTP cases on each alert.
		i=0
		sed -n 's/^body: //p' tests/data/http/60_triage.cases |
		    jq -c 'select(.steps) | .steps' 2>/dev/null |
		    while IFS= read -r s; do
			for a in tests/data/alerts/*.json; do
				i=$((i + 1))
				printf '%s\n' "$s" | cat - "$a" >"$d/t$i"
			done
		    done ;;
	route|request|sig|classify) ;;	# tests/data/fuzz/<name>/ only
	esac
}

if [ "${FUZZ_ONE:-}" = 1 ]; then	# xargs's child, below
	run_one "$1"
	exit 0
fi
NAMES=${*:-$(ls fuzz/*.c | sed 's|fuzz/\(.*\)\.c|\1|')}
mkdir -p "$WORK"
# The build: lib/ once with clang, then one link per harness.
if ! make -s -j2 --no-print-directory fuzzers >"$WORK/build.log" 2>&1
then
	echo "not ok - fuzz: build (var/fuzz/build.log)"
	sed 's/^/# /' "$WORK/build.log" | tail -15
	exit 1
fi
for n in $NAMES; do rm -f "$WORK/$n/result"; done
# Two at a time on two cores: each is one process.
echo $NAMES | tr ' ' '\n' |
    FUZZ_ONE=1 xargs -P "${FUZZ_JOBS:-2}" -I{} "$TOP/scripts/fuzz.sh" {}
total=0
count=0
for n in $NAMES; do
	if [ -f "$WORK/$n/result" ]; then
		cat "$WORK/$n/result"
	else
		echo "not ok - fuzz $n: did not run"
	fi
	total=$((total + $(cat "$WORK/$n/execs" 2>/dev/null || echo 0)))
	count=$((count + 1))
done
echo "# fuzz: $count harnesses, $total executions"
