#!/bin/sh
# Payload formats (seed 004): each tests/data/inbound/NAME.json is posted,
# signed, to an auto-detecting source; every line of NAME.expect is a jq
# expression that must hold on the incident ($raw is the body as sent).
. "$TOP/tests/lib.sh"

S=fmt-$RUN
admin POST /api/webhooks "{\"source\":\"$S\",\"secret\":\"format-secret\"}"
expect_status "setup: source" 201

for f in "$TOP"/tests/data/inbound/*.json; do
	name=$(basename "$f" .json)
	raw=$(cat "$f")
	hook "$S" format-secret "$raw"
	if [ "$STATUS" != 200 ]; then
		fail "$name: accepted" "$STATUS $BODY"
		continue
	fi
	id=$(jget .incident_id)
	admin GET "/api/incidents/$id"
	while IFS= read -r e; do
		[ -n "$e" ] || continue
		if printf '%s' "$BODY" | jq -e --arg raw "$raw" "$e" >/dev/null 2>&1; then
			ok "$name: $e"
		else
			fail "$name: $e" "$BODY"
		fi
	done <"${f%.json}.expect"
done

# A source may pin a format; then the pinned parser is used.
P=pin-$RUN
admin POST /api/webhooks "{\"source\":\"$P\",\"secret\":\"format-secret\",\"format\":\"splunk\"}"
hook "$P" format-secret "$(cat "$TOP/tests/data/inbound/splunk.json")"
expect "a source pinned to splunk accepts Splunk alerts" 200 '.status == "accepted"'
hook "$P" format-secret '{"event_type":"x","data":{}}'
expect "a source pinned to splunk refuses other payloads" 400 '.error.code == "invalid_payload"'

# severity_mapping applies after normalization.
M=map-$RUN
admin POST /api/webhooks "{\"source\":\"$M\",\"secret\":\"format-secret\",\"severity_mapping\":{\"high\":\"critical\",\"medium\":\"low\"}}"
hook "$M" format-secret "$(cat "$TOP/tests/data/inbound/crowdstrike.json")"
id=$(jget .incident_id)
admin GET "/api/incidents/$id"
expect "severity_mapping maps CrowdStrike 4 (high) to critical" 200 '.severity == "critical"'
hook "$M" format-secret "$(cat "$TOP/tests/data/inbound/splunk.json")"
id=$(jget .incident_id)
admin GET "/api/incidents/$id"
expect "severity_mapping maps medium to low" 200 '.severity == "low"'

# Incidents API: filters and cursor pagination.
admin GET "/api/incidents?source=$S&limit=2"
expect "incidents filter by source and page" 200 "(.data | length) == 2 and (.next_cursor | type) == \"string\" and all(.data[]; .source == \"$S\")"
C=$(jget .next_cursor)
FIRSTIDS=$(jget '[.data[].id] | join(",")')
admin GET "/api/incidents?source=$S&limit=2&cursor=$C"
expect "the next page holds other incidents" 200 "(.data | length) == 2 and ([.data[].id] | join(\",\")) != \"$FIRSTIDS\""
admin GET "/api/incidents?source=$S&severity=critical"
expect "incidents filter by severity" 200 '(.data | length) >= 1 and all(.data[]; .severity == "critical")'
admin GET "/api/incidents?cursor=nothex"
expect "a bad cursor is 400" 400 '.error.code == "invalid_field"'
admin GET "/api/incidents?since=yesterday-ish"
expect "a bad since is 400" 400 '.error.code == "invalid_field"'
admin GET "/api/incidents/00000000-0000-0000-0000-000000000000"
expect "an unknown incident is 404" 404 '.error.code == "not_found"'
