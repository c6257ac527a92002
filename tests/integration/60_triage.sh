#!/bin/sh
# Auto-triage (seed 004 "Configuring Auto-Triage"): playbooks are data,
# run on each new incident of a source with auto_triage on.
. "$TOP/tests/lib.sh"

P=phish-$RUN
admin POST /api/webhooks "{\"source\":\"$P\",\"secret\":\"triage-secret\",\"auto_triage\":true,\"playbook\":\"phishing_triage\"}"
expect_status "setup: phishing source" 201

mail() {	# sender subject severity
	printf '{"eventType":"PhishingEmail","id":"%s","creationTime":"2024-01-15T10:00:00Z","severity":"%s","category":"Phish","entityType":"Email","data":{"sender":"%s","subject":"%s","recipients":["user@company.com"],"urls":["https://evil.example.net/login"]}}' \
	    "id-$(date +%s%N)" "$3" "$1" "$2"
}

hook "$P" triage-secret "$(mail "phisher@malicious.com" "Urgent $RUN" medium)"
expect "a phishing alert is accepted" 200 '.status == "accepted" and (has("merged") | not)'
ID1=$(jget .incident_id)
admin GET "/api/incidents/$ID1"
expect_json "phishing_triage triages it" '.status == "triaged" and .triage.playbook == "phishing_triage"'
expect_json "it is tagged phishing" '.tags | index("phishing") != null'
expect_json "it is routed to the email-security queue" '.queue == "email-security"'
expect_json "the sender domain is extracted" '.indicators.sender_domain | index("malicious.com") != null'
expect_json "URLs are extracted" '.indicators.url | index("https://evil.example.net/login") != null'
expect_json "a medium Phish is raised to high" '.severity == "high"'

hook "$P" triage-secret "$(mail "phisher@malicious.com" "Urgent $RUN" low)"
expect "the same sender and subject merge into the open incident" 200 ".merged == true and .incident_id == \"$ID1\""
admin GET "/api/incidents/$ID1"
expect_json "the merged incident counts two occurrences" '.occurrences == 2 and (.merged_alerts | length) == 1'

hook "$P" triage-secret "$(mail "phisher@malicious.com" "Other $RUN" low)"
expect "another subject makes a new incident" 200 "(has(\"merged\") | not) and .incident_id != \"$ID1\""

hook "$P" triage-secret "$(mail "training@phishsim.example" "Simulated $RUN" high)"
id=$(jget .incident_id)
admin GET "/api/incidents/$id"
expect_json "a known-benign simulation is suppressed" '.status == "suppressed" and .triage.outcome == "suppressed"'

admin GET "/api/incidents?source=$P&status=suppressed"
expect "incidents filter by status" 200 '(.data | length) == 1'

# Without auto_triage nothing runs.
N=notriage-$RUN
admin POST /api/webhooks "{\"source\":\"$N\",\"secret\":\"triage-secret\",\"auto_triage\":false,\"playbook\":\"phishing_triage\"}"
hook "$N" triage-secret "$(mail "phisher@malicious.com" "Urgent $RUN" medium)"
id=$(jget .incident_id)
admin GET "/api/incidents/$id"
expect_json "with auto_triage off the incident stays new" '.status == "new" and .triage == null'

# Malware playbook on CrowdStrike.
E=edr-$RUN
admin POST /api/webhooks "{\"source\":\"$E\",\"secret\":\"triage-secret\",\"auto_triage\":true,\"playbook\":\"malware_triage\"}"
hook "$E" triage-secret '{"metadata":{"eventType":"DetectionSummaryEvent","eventCreationTime":1705320000000},"event":{"DetectId":"ldt:r1","Severity":3,"HostnameField":"WS-9","DetectName":"Ransomware Behavior","SHA256String":"'"$(printf x | sha256sum | cut -c1-64)"'"}}'
id=$(jget .incident_id)
admin GET "/api/incidents/$id"
expect_json "malware_triage makes ransomware critical" '.severity == "critical" and .queue == "endpoint-security" and .status == "triaged"'
expect_json "malware_triage extracts the hash and host" '(.indicators.hash | length) >= 1 and (.indicators.host | index("ws-9") != null or index("WS-9") != null)'

# Playbooks are managed through the API.
B=book-$RUN
admin POST /api/playbooks "{\"name\":\"$B\",\"description\":\"test\",\"steps\":[{\"action\":\"add_tags\",\"tags\":[\"custom\"]},{\"action\":\"set_status\",\"value\":\"investigating\"}]}"
expect "an admin adds a playbook" 201 ".name == \"$B\" and (.steps | length) == 2"
admin POST /api/playbooks "{\"name\":\"$B\",\"steps\":[{\"action\":\"add_tags\",\"tags\":[\"x\"]}]}"
expect "adding it twice is 409" 409 '.error.code == "conflict"'
admin POST /api/playbooks "{\"name\":\"bad-$RUN\",\"steps\":[{\"action\":\"launch_missiles\"}]}"
expect "an unknown step is 400" 400 '.error.code == "invalid_field"'
admin POST /api/playbooks "{\"name\":\"bad-$RUN\",\"steps\":[{\"action\":\"set_severity\",\"value\":\"apocalyptic\"}]}"
expect "a bad step value is 400" 400 '.error.code == "invalid_field"'
C=custom-$RUN
admin POST /api/webhooks "{\"source\":\"$C\",\"secret\":\"triage-secret\",\"auto_triage\":true,\"playbook\":\"$B\"}"
hook "$C" triage-secret '{"event_type":"security_alert","data":{"alert_id":"c1","severity":"low"}}'
id=$(jget .incident_id)
admin GET "/api/incidents/$id"
expect_json "a custom playbook runs" '.status == "investigating" and (.tags | index("custom") != null)'
admin PUT "/api/playbooks/$B" '{"steps":[{"action":"set_queue","value":"changed"}]}'
expect "an admin changes a playbook" 200 '.steps[0].action == "set_queue"'
hook "$C" triage-secret '{"event_type":"security_alert","data":{"alert_id":"c2","severity":"low"}}'
id=$(jget .incident_id)
admin GET "/api/incidents/$id"
expect_json "the changed playbook applies to the next incident" '.queue == "changed"'
admin DELETE "/api/playbooks/$B"
expect "a playbook in use cannot be deleted" 409 '.error.code == "conflict"'
admin GET /api/playbooks/phishing_triage
expect "the built-in playbooks ship as data" 200 '.builtin == true and (.steps | length) > 3'
