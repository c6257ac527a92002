#!/bin/sh
# make lint (STYLE 13): banned calls, and == / memcmp on secrets; the
# man pages (issue 12): mandoc -Tlint clean, and covering every option
# and HOOKPOST_* variable the programs read.
# Prints "ok - lint: ..." / "not ok - lint: ..." lines like the tests.
cd "$(dirname "$0")/.." || exit 1
SRC=$(ls lib/*.c lib/*.h handlers/*.c handlers/*/*.c handlers/*/*.h cron/*.c cli/*.c cli/*.h bench/*.c 2>/dev/null)
rc=0
for fn in sprintf vsprintf strcpy strcat strtok gets atoi atol sscanf system popen; do
	hits=$(grep -nE "(^|[^_a-zA-Z0-9.>])$fn[[:space:]]*\(" $SRC | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*)')
	if [ -n "$hits" ]; then
		echo "not ok - lint: $fn is banned"
		printf '#   %s\n' $hits | head -5
		rc=1
	else
		echo "ok - lint: no $fn"
	fi
done
# Secrets, signatures, MACs and token hashes: CRYPTO_memcmp only.
hits=$(grep -nE '(^|[^_])(memcmp|strcmp|strncmp|bcmp)\([^;]*(secret|sig|mac|token|hash|digest)[a-z_]*[,)]' $SRC |
    grep -vE 'strn?cmp\([^,]*, *"[^"]*"')
if [ -n "$hits" ]; then
	echo "not ok - lint: secrets compared without CRYPTO_memcmp"
	printf '#   %s\n' "$hits" | head -5
	rc=1
else
	echo "ok - lint: secrets compared in constant time"
fi

# --- man pages (man/): lint-clean, and nothing the programs read missing.
# Lint: mandoc (Debian's mandoc, scripts/deps.sh), else groff.
for page in man/*.[158]; do
	if command -v mandoc >/dev/null 2>&1; then
		out=$(mandoc -Tlint -Wwarning "$page" 2>&1)
	elif command -v groff >/dev/null 2>&1; then
		out=$(groff -mandoc -ww -z "$page" 2>&1)
	else
		out="neither mandoc nor groff is installed (make deps)"
	fi
	if [ -n "$out" ]; then
		echo "not ok - lint: $page lints clean"
		printf '#   %s\n' "$out" | head -5
		rc=1
	else
		echo "ok - lint: $page lints clean"
	fi
done
# missing PAGE VAR...: the variables PAGE does not name (as a word).
missing() {
	_page=$1; shift
	for _w in "$@"; do
		grep -qE -- "(^|[^A-Z_])$_w([^A-Z_]|\$)" "$_page" ||
		    printf ' %s' "$_w"
	done
}
# verdict WHAT MISSING: one ok / not ok line.
verdict() {
	if [ -n "$2" ]; then
		echo "not ok - lint: $1"
		echo "#   missing:$2"
		rc=1
	else
		echo "ok - lint: $1"
	fi
}
# The variables source files read: cfg_get("HOOKPOST_X"), cfg_num or getenv;
# HOOKPOST_TEST_* are the tests' fault injection, not for operators.
vars_read() {
	cat "$@" | grep -oE '(cfg_get|cfg_num|getenv)\("HOOKPOST_[A-Z_]+"' |
	    grep -oE 'HOOKPOST_[A-Z_]+' | grep -v '^HOOKPOST_TEST_' | sort -u
}

# Each worker: a page, its getopt letters (the skeleton's by its flags,
# its own optstring, every "  -x" line of its usage) and its variables.
for src in cron/*.c; do
	name=hookpost-$(basename "$src" .c)
	page=man/$name.8
	if [ ! -f "$page" ]; then
		verdict "$page exists" " $page"
		continue
	fi
	letters=h
	grep -q 'WORKER_ONCE' "$src" && letters="$letters 1"
	grep -q 'WORKER_DEADLINE' "$src" && letters="$letters t"
	grep -q 'WORKER_LOCKNAME' "$src" && letters="$letters n"
	own=$(sed -n 's/.*\.optstring = "\([^"]*\)".*/\1/p' "$src" | tr -d ':' | sed 's/./& /g')
	usage=$(grep -oE '"  -[a-zA-Z0-9] ' "$src" | cut -c5)
	letters=$(printf '%s\n' $letters $own $usage | sort -u)
	miss=""
	for l in $letters; do
		grep -qE "Fl $l([^a-zA-Z0-9]|\$)" "$page" || miss="$miss -$l"
	done
	verdict "$page names every option of $name (-$(echo $letters | tr -d ' '))" "$miss"
	miss=$(missing "$page" $(vars_read "$src"))
	verdict "$page names every HOOKPOST_* variable $name reads" "$miss"
done

# The CLI: every --option its sources name, as "Fl -option".
opts=$(grep -ohE '"[^"]*"' cli/*.c | grep -oE '(^|[^a-z0-9-])--[a-z][a-z0-9-]*' |
    sed 's/^[^-]*--//' | sort -u)
miss=""
for o in $opts; do
	grep -qE -- "Fl -$o([^a-z0-9-]|\$)" man/hookpost.1 || miss="$miss --$o"
done
verdict "man/hookpost.1 names every option of hookpost ($(echo $opts | wc -w))" "$miss"
miss=$(missing man/hookpost.1 $(vars_read cli/*.c))
verdict "man/hookpost.1 names every HOOKPOST_* variable the CLI reads" "$miss"

# hookpost.conf(5): every variable lib/cfg.c names, and every other
# setting read through cfg_get (lib/, handlers/, the workers, the CLI).
cfg_vars=$(grep -oE '"HOOKPOST_[A-Z_]+"' lib/cfg.c | tr -d '"' | sort -u)
miss=$(missing man/hookpost.conf.5 $cfg_vars)
verdict "man/hookpost.conf.5 names every HOOKPOST_* variable lib/cfg.c reads ($(echo $cfg_vars | wc -w))" "$miss"
cfg_only=$(cat lib/*.c handlers/*.c handlers/*/*.c cron/*.c cli/*.c 2>/dev/null |
    grep -oE 'cfg_get\("HOOKPOST_[A-Z_]+"\)' | grep -oE 'HOOKPOST_[A-Z_]+' |
    grep -v '^HOOKPOST_TEST_' | sort -u)
miss=$(missing man/hookpost.conf.5 $cfg_only)
verdict "man/hookpost.conf.5 names every setting read with cfg_get ($(echo $cfg_only | wc -w))" "$miss"
exit $rc
