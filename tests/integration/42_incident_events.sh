#!/bin/sh
# Inbound meets outbound (issue 4 "Event catalog"): an alert's new
# incident is emitted as incident.created, and incident.triaged when a
# playbook ran, to the subscriptions that want them, in the alert's own
# commit; nothing is written when nobody subscribes.
. "$TOP/tests/lib.sh"

S=ie-$RUN T=iet-$RUN
admin POST /api/webhooks "{\"source\":\"$S\",\"secret\":\"ie-secret\"}"
expect_status "setup: a plain source" 201
admin POST /api/webhooks "{\"source\":\"$T\",\"secret\":\"ie-secret\",\"auto_triage\":true,\"playbook\":\"phishing_triage\"}"
expect_status "setup: a triaged source" 201
admin POST /admin/webhooks/subscriptions "{\"name\":\"incidents $RUN\",\"url\":\"https://ie-$RUN.example.com/h\",\"events\":[\"incident.*\"]}"
expect_status "setup: an admin subscription to incident.*" 201
SUB=$(jget .id)
psql_q "UPDATE hookpost.subscriptions SET status = 'active' WHERE id = '$SUB'" >/dev/null

events() {	# incident id -> its event types, in order
	psql_q "SELECT coalesce(string_agg(event_type, ',' ORDER BY event_type), '')
	    FROM hookpost.events WHERE object_type = 'incident' AND object_id = '$1'"
}
alert() {	# alert id
	printf '{"event_type":"security_alert","timestamp":"2024-01-15T10:00:00Z","data":{"alert_id":"%s","severity":"high","title":"Event test %s"}}' "$1" "$RUN"
}

hook "$S" ie-secret "$(alert "a1-$RUN")"
expect "an alert is accepted" 200 '.status == "accepted"'
I1=$(jget .incident_id) N1=$(jget .incident_number)
[ "$(events "$I1")" = incident.created ] && ok "its incident is emitted as incident.created" ||
    fail "its incident is emitted as incident.created" "$(events "$I1")"
got=$(psql_q "SELECT e.payload::jsonb->'data'->>'incident_number' || ' ' || (e.payload::jsonb->'data'->>'severity') || ' ' || (e.payload::jsonb->'data'->>'source')
    FROM hookpost.events e WHERE e.object_id = '$I1'")
[ "$got" = "$N1 high $S" ] && ok "the event carries the incident's number, severity and source" ||
    fail "the event carries the incident's summary" "$got"
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries d JOIN hookpost.events e ON e.id = d.event_id
    WHERE d.subscription_id = '$SUB' AND e.object_id = '$I1' AND d.status = 'pending'")
[ "$n" = 1 ] && ok "one delivery to the subscription, pending" || fail "one delivery to the subscription" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.delivery_queue q JOIN hookpost.deliveries d ON d.id = q.delivery_id
    JOIN hookpost.events e ON e.id = d.event_id WHERE e.object_id = '$I1'")
[ "$n" = 1 ] && ok "and it is queued for the worker" || fail "and it is queued for the worker" "$n"

# The replay of that request makes no second incident and no second event.
TS=$(date +%s)
hook "$S" ie-secret "$(alert "a2-$RUN")" "$TS"
I2=$(jget .incident_id)
hook "$S" ie-secret "$(alert "a2-$RUN")" "$TS"
expect "a replay answers the first incident" 200 ".incident_id == \"$I2\""
[ "$(events "$I2")" = incident.created ] && ok "a replay emits nothing more" ||
    fail "a replay emits nothing more" "$(events "$I2")"

mail() {	# subject
	printf '{"eventType":"PhishingEmail","id":"%s","creationTime":"2024-01-15T10:00:00Z","severity":"medium","category":"Phish","entityType":"Email","data":{"sender":"x@bad.example","subject":"%s","recipients":["u@company.com"]}}' \
	    "id-$(date +%s%N)" "$1"
}
hook "$T" ie-secret "$(mail "Event $RUN")"
expect "a triaged alert is accepted" 200 '.status == "accepted"'
I3=$(jget .incident_id)
[ "$(events "$I3")" = incident.created,incident.triaged ] && ok "a triaged incident is emitted as incident.created and incident.triaged" ||
    fail "created and triaged emitted" "$(events "$I3")"
hook "$T" ie-secret "$(mail "Event $RUN")"
expect "the same alert again merges" 200 ".merged == true and .incident_id == \"$I3\""
[ "$(events "$I3")" = incident.created,incident.triaged ] && ok "a merge emits no second incident.created" ||
    fail "a merge emits nothing" "$(events "$I3")"

admin DELETE "/admin/webhooks/subscriptions/$SUB"
expect_status "the subscription is deleted" 204
hook "$S" ie-secret "$(alert "a3-$RUN")"
expect "with nobody subscribed an alert is accepted" 200 '.status == "accepted"'
I4=$(jget .incident_id)
[ "$(events "$I4")" = "" ] && ok "and no event is written for it" || fail "no event without subscribers" "$(events "$I4")"
