#!/bin/sh
# The README's "Triggers (seed 002)" walkthrough, pasted as a user would,
# against the server under test.  It uses fixed names (github.push), so
# it runs once per database, under the first server (lighttpd).
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
awk '/<!-- walkthrough-triggers/ { on = 1; next } on && /^```sh/ { grab = 1; next } grab && /^```/ { exit } grab { print }' \
    "$TOP/README.md" >"$dir/walk.sh"
[ -s "$dir/walk.sh" ] && ok "the README has a triggers walkthrough" || fail "the README has a triggers walkthrough"
out=$(cd "$dir" && bash walk.sh 2>&1)
rc=$?
[ $rc = 0 ] && ok "the triggers walkthrough runs to the end" || fail "the triggers walkthrough runs to the end" "rc=$rc $out"
for want in '"webhook_enabled":true' '"webhook_key":"wh_' '"event_id":' '"key": "default"' \
    '"path":"$.ref"' '"duplicate":true' 'rotation-2' 'total_events' \
    'webhook_received_total{source="github.push",status="accepted"}'; do
	case $out in *"$want"*) ok "triggers walkthrough output shows $want" ;; *) fail "triggers walkthrough output shows $want" "$(printf '%s' "$out" | tail -30)" ;; esac
done
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_events WHERE trigger_ref = 'github.push' AND delivery_id = '72d3162e-cc78-11e3-81ab-4c9367dc0958'")
[ "$n" = 1 ] && ok "the walkthrough's redelivery made one event" || fail "the walkthrough's redelivery made one event" "$n"
rm -rf "$dir"
