#!/bin/sh
# tests/data/cli/run.sh [BIN]: runs every cases/*.case against the CLI
# (default bin/hookpost), with no server and no database: help, usage
# errors, and `webhook import --dry-run` over the YAML files here.
#
# A case file holds, one per line:
#   # a comment saying what it checks
#   args: webhook import --dry-run webhook_config.yaml
#   env: NAME=value ...            (optional; the only environment)
#   exit: 0
#   stdout-has: text               (optional, repeatable)
#   stderr-has: text               (optional, repeatable)
#   stdout:                        (optional; the rest of the file is
#   <exact expected stdout>         the exact expected stdout)
#
# Cases run in this directory, so file names in messages are stable.
# HP_WRAP prefixes the command, e.g. HP_WRAP="valgrind -q
# --error-exitcode=99 --leak-check=full".  Ends with "N passed, N failed".

set -u
here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-$here/../../../bin/hookpost}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

for c in "$here"/cases/*.case; do
	name=$(basename "$c" .case)
	args=$(sed -n 's/^args: //p' "$c")
	envs=$(sed -n 's/^env: //p' "$c")
	want=$(sed -n 's/^exit: //p' "$c")
	# An empty environment but PATH: nothing of the caller's HOOKPOST_*.
	# No globbing of args: they are split on spaces only.
	(set -f; cd "$here" && env -i PATH="$PATH" HOME=/nonexistent LC_ALL=C $envs \
	    ${HP_WRAP:-} "$bin" $args >"$tmp/out" 2>"$tmp/err" </dev/null)
	got=$?
	why=
	[ "$got" = "$want" ] || why="exit $got, want $want"
	if grep -q '^stdout:$' "$c"; then
		sed '1,/^stdout:$/d' "$c" >"$tmp/want"
		cmp -s "$tmp/want" "$tmp/out" || why="$why${why:+; }stdout differs"
	fi
	sed -n 's/^stdout-has: //p' "$c" >"$tmp/has"
	while IFS= read -r s; do
		grep -qF -- "$s" "$tmp/out" || why="$why${why:+; }stdout lacks '$s'"
	done <"$tmp/has"
	sed -n 's/^stderr-has: //p' "$c" >"$tmp/has"
	while IFS= read -r s; do
		grep -qF -- "$s" "$tmp/err" || why="$why${why:+; }stderr lacks '$s'"
	done <"$tmp/has"
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		echo "ok - cli/$name"
		continue
	fi
	fail=$((fail + 1))
	echo "not ok - cli/$name: $why"
	if grep -q '^stdout:$' "$c"; then
		diff -u "$tmp/want" "$tmp/out" | sed 's/^/    /'
	fi
	sed 's/^/    stderr: /' "$tmp/err" | head -5
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
