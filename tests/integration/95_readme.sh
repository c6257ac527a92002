#!/bin/sh
# The README's walkthrough, pasted as a user would, against the server
# under test.  It registers fixed names, so it runs once per database
# (under the first server, lighttpd).
. "$TOP/tests/lib.sh"
[ "$SERVER" = lighttpd ] || exit 0

dir=$(mktemp -d)
mkdir -p "$dir/var"
cat >"$dir/var/env" <<ENV
export HOOKPOST_URL=$BASE
export HOOKPOST_TOKEN=$TOKEN
export HOOKPOST_CONFIG=$HOOKPOST_CONFIG
export PATH="$TOP/bin:\$PATH"
ENV
awk '/<!-- walkthrough/ { on = 1; next } on && /^```sh/ { grab = 1; next } grab && /^```/ { exit } grab { print }' \
    "$TOP/README.md" >"$dir/walk.sh"
[ -s "$dir/walk.sh" ] && ok "the README has a walkthrough" || fail "the README has a walkthrough"
out=$(cd "$dir" && $RUNAS_WALK bash walk.sh 2>&1)
rc=$?
[ $rc = 0 ] && ok "the walkthrough runs to the end" || fail "the walkthrough runs to the end" "rc=$rc $out"
for want in '"status":"accepted"' 'INC-' '"severity": "high"' '"status": "triaged"' 'email-security' \
    invalid_signature unknown_source '"status":"queued"' 'webhook_received_total{' \
    'webhook_errors_total{'; do
	case $out in *"$want"*) ok "walkthrough output shows $want" ;; *) fail "walkthrough output shows $want" "$(printf '%s' "$out" | tail -20)" ;; esac
done
n=$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = 'siem'")
[ "$n" = 1 ] && ok "the walkthrough's queued alert became an incident" || fail "the walkthrough's queued alert became an incident" "$n"
rm -rf "$dir"
