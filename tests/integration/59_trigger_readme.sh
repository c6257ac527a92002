#!/bin/sh
# The README's "Triggers (seed 002)" walkthrough, pasted as a user would,
# against the server under test.  It uses fixed names (github.push), so
# it runs once per database, under make run's default server (Apache).
. "$TOP/tests/lib.sh"
[ "$SERVER" = apache ] || exit 0

readme_walkthrough walkthrough-triggers "triggers walkthrough" 30 \
    '"webhook_enabled":true' '"webhook_key":"wh_' '"event_id":' '"key": "default"' \
    '"path":"$.ref"' '"duplicate":true' 'rotation-2' 'total_events' \
    '"webhook_key": "wh_' '"scheme":"timestamped"' \
    'webhook_received_total{source="github.push",status="accepted"}'
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_events WHERE trigger_ref = 'github.push' AND delivery_id = '72d3162e-cc78-11e3-81ab-4c9367dc0958'")
[ "$n" = 1 ] && ok "the walkthrough's redelivery made one event" || fail "the walkthrough's redelivery made one event" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_events WHERE trigger_ref = 'ci.deploy'")
[ "$n" = 1 ] && ok "the walkthrough's timestamped replay made one event" || fail "the walkthrough's timestamped replay made one event" "$n"
