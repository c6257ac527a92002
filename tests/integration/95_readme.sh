#!/bin/sh
# The README's walkthrough, pasted as a user would, against the server
# under test.  It registers fixed names, so it runs once per database,
# under make run's default server (Apache).
. "$TOP/tests/lib.sh"
[ "$SERVER" = apache ] || exit 0

readme_walkthrough walkthrough walkthrough 20 \
    '"status":"accepted"' 'INC-' '"severity": "high"' '"status": "triaged"' 'email-security' \
    invalid_signature unknown_source '"status":"queued"' 'webhook_received_total{' \
    'webhook_errors_total{'
n=$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = 'siem'")
[ "$n" = 1 ] && ok "the walkthrough's queued alert became an incident" || fail "the walkthrough's queued alert became an incident" "$n"
