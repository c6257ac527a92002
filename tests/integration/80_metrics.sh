#!/bin/sh
# GET /metrics (seed 004 "Monitoring Webhooks"): counters by source and
# status / code, exact across handler processes and restarts.
. "$TOP/tests/lib.sh"

M=met-$RUN
admin POST /api/webhooks "{\"source\":\"$M\",\"secret\":\"metric-secret\"}"
expect_status "setup: source" 201

metric() {	# name labels -> value (0 when absent)
	v=$(curl -s "$BASE/metrics" | grep -F "$1{$2}" | awk '{print $2}')
	echo "${v:-0}"
}

# Parallel senders spread over several handler processes.
for i in $(seq 1 12); do
	hook "$M" metric-secret "{\"event_type\":\"m\",\"data\":{\"i\":$i}}" &
done
wait
for i in 1 2 3; do hook "$M" wrong "{\"event_type\":\"m\",\"data\":{\"bad\":$i}}"; done
hook "$M" metric-secret '{"event_type":"m","data":{}}' "$(( $(date +%s) - 1000 ))"

a=$(metric webhook_received_total "source=\"$M\",status=\"accepted\"")
[ "$a" = 12 ] && ok "webhook_received_total counts accepted requests exactly" || fail "webhook_received_total counts accepted requests exactly" "$a"
r=$(metric webhook_received_total "source=\"$M\",status=\"rejected\"")
[ "$r" = 4 ] && ok "webhook_received_total counts rejected requests" || fail "webhook_received_total counts rejected requests" "$r"
e=$(metric webhook_errors_total "source=\"$M\",code=\"invalid_signature\"")
[ "$e" = 3 ] && ok "webhook_errors_total counts by code" || fail "webhook_errors_total counts by code" "$e"
e=$(metric webhook_errors_total "source=\"$M\",code=\"timestamp_expired\"")
[ "$e" = 1 ] && ok "webhook_errors_total counts timestamp_expired" || fail "webhook_errors_total counts timestamp_expired" "$e"
hook "no-such-$RUN" x '{}'
u=$(metric webhook_errors_total 'source="unknown",code="unknown_source"')
[ "$u" -ge 1 ] && ok "unregistered names count under source=\"unknown\"" || fail "unregistered names count under source=\"unknown\"" "$u"
curl -s "$BASE/metrics" | grep -q "no-such-$RUN" && fail "unregistered names do not become labels" || ok "unregistered names do not become labels"

rows=$(psql_q "SELECT count(*) FROM hookpost.metric_counters WHERE labels LIKE '%$M%' AND metric = 'webhook_received_total'")
[ "$rows" -ge 1 ] && ok "counters are sharded rows, not one hot row" || fail "counters are sharded rows" "$rows"

# Restart the web server (all handler processes): the counters stay.
"$TOP/scripts/stack.sh" stop-http >/dev/null 2>&1
"$TOP/scripts/stack.sh" start >/dev/null 2>&1
a2=$(metric webhook_received_total "source=\"$M\",status=\"accepted\"")
[ "$a2" = 12 ] && ok "counters survive a restart" || fail "counters survive a restart" "$a2"
hook "$M" metric-secret '{"event_type":"m","data":{"after":1}}'
a3=$(metric webhook_received_total "source=\"$M\",status=\"accepted\"")
[ "$a3" = 13 ] && ok "counters keep counting after a restart" || fail "counters keep counting after a restart" "$a3"
