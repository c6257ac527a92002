#!/bin/sh
# Queued mode: the receiver verifies and stores; bin/hookpost-ingest
# (cron) makes the incidents.  A crash mid-batch loses and duplicates
# nothing.
. "$TOP/tests/lib.sh"

Q=queue-$RUN
admin POST /api/webhooks "{\"source\":\"$Q\",\"secret\":\"queue-secret\",\"mode\":\"queue\",\"auto_triage\":true,\"playbook\":\"malware_triage\"}"
expect_status "setup: queued source" 201

ts=$(date +%s)
b='{"event_type":"security_alert","data":{"alert_id":"q0","severity":"high"}}'
hook "$Q" queue-secret "$b" "$ts"
expect "a queued source answers 202 queued" 202 '.status == "queued" and .message == "Event queued for processing" and (.queue_id | length) > 0'
FIRST=$BODY
hook "$Q" queue-secret "$b" "$ts"
[ "$BODY" = "$FIRST" ] && ok "a queued replay answers the original result" || fail "a queued replay answers the original result" "$BODY vs $FIRST"
n=$(psql_q "SELECT count(*) FROM hookpost.inbound_queue q JOIN hookpost.sources s ON s.id = q.source_id WHERE s.name = '$Q'")
[ "$n" = 1 ] && ok "a replayed delivery is queued once" || fail "a replayed delivery is queued once" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = '$Q'")
[ "$n" = 0 ] && ok "queued events make no incident before ingest" || fail "queued events make no incident before ingest" "$n"

for i in 1 2 3; do
	hook "$Q" queue-secret "{\"event_type\":\"security_alert\",\"data\":{\"alert_id\":\"q$i\",\"severity\":\"low\"}}"
done

# Crash after 2 committed events, with the third one's incident written
# but not committed.
$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" HOOKPOST_TEST_CRASH_AFTER=2 \
    "$TOP/bin/hookpost-ingest" -1 2>/dev/null
rc=$?
[ "$rc" = 9 ] && ok "the ingest worker crashed mid-batch (fault injection)" || fail "the ingest worker crashed mid-batch (fault injection)" "rc=$rc"
n=$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = '$Q'")
[ "$n" = 2 ] && ok "only committed events became incidents" || fail "only committed events became incidents" "$n"

$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$TOP/bin/hookpost-ingest" -1
rc=$?
[ "$rc" = 0 ] && ok "ingest runs to the end" || fail "ingest runs to the end" "rc=$rc"
n=$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = '$Q'")
[ "$n" = 4 ] && ok "after the crash every queued event became exactly one incident" || fail "after the crash every queued event became exactly one incident" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.inbound_queue q JOIN hookpost.sources s ON s.id = q.source_id WHERE s.name = '$Q' AND (q.processed_at IS NULL OR q.incident_id IS NULL)")
[ "$n" = 0 ] && ok "no queued event is left or lost" || fail "no queued event is left or lost" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = '$Q' AND status = 'triaged' AND queue = 'endpoint-security'")
[ "$n" = 4 ] && ok "ingest runs the source's playbook" || fail "ingest runs the source's playbook" "$n"

# Two workers at once: each event still becomes one incident.
for i in $(seq 10 29); do
	hook "$Q" queue-secret "{\"event_type\":\"security_alert\",\"data\":{\"alert_id\":\"p$i\",\"severity\":\"low\"}}"
done
$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$TOP/bin/hookpost-ingest" -1 &
$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$TOP/bin/hookpost-ingest" -1 &
wait
$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$TOP/bin/hookpost-ingest" -1
n=$(psql_q "SELECT count(*), count(DISTINCT raw_payload) FROM hookpost.incidents WHERE source = '$Q'")
[ "$n" = "24|24" ] && ok "concurrent ingest makes each incident once" || fail "concurrent ingest makes each incident once" "$n"
