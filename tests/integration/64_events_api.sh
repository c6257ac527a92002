#!/bin/sh
# Publishing over HTTP (POST /api/events = hookpost.emit) and the event
# catalog (/api/event-types): fan-out reaches matching active
# subscriptions only.
. "$TOP/tests/lib.sh"
SUBS=/admin/webhooks/subscriptions

as() {
	_t=$1; shift
	if [ $# -ge 3 ]; then
		req "$1" "$2" -H "Authorization: Bearer $_t" \
		    -H 'Content-Type: application/json' --data-binary "$3"
	else
		req "$1" "$2" -H "Authorization: Bearer $_t"
	fi
}
EO=ev-$RUN
admin POST /api/tokens "{\"name\":\"u-$EO\",\"role\":\"user\",\"owner_id\":\"$EO\"}"
UT=$(jget .token)
admin POST /api/tokens "{\"name\":\"svc-$RUN\",\"role\":\"service\"}"
ST=$(jget .token)

# --- the catalog ---
as "$UT" GET "/api/event-types?limit=1000"
expect "any token lists the event types" 200 \
    '(.data | map(.name)) as $n | ($n | index("threat_model.created")) != null and ($n | index("survey_response.deleted")) != null and ($n | index("addon.invoked")) != null and ($n | index("incident.created")) != null and ($n | index("incident.triaged")) != null'
expect_json "the seed's 10 resources x 3 actions are built in" \
    '[.data[] | select(.builtin and (.name | test("^(threat_model|diagram|document|threat|note|repository|asset|metadata|survey|survey_response)\\.(created|updated|deleted)$")))] | length == 30'
req GET /api/event-types
expect "the catalog needs a token" 401 '.error.code == "unauthorized"'
admin GET "/api/event-types?limit=2"
expect "the catalog pages" 200 '(.data | length) == 2 and (.next_cursor | type) == "string"'

CT=scan$(echo "$RUN" | tr -dc 'a-z0-9')
admin POST /api/event-types "{\"name\":\"$CT.finished\",\"description\":\"A scan finished\"}"
expect "admin adds an event type" 201 ".name == \"$CT.finished\" and .builtin == false and .description == \"A scan finished\""
admin POST /api/event-types "{\"name\":\"$CT.finished\"}"
expect "adding it twice is 409" 409 '.error.code == "conflict"'
for n in Scan.Finished scan nodot. '*.x' 'a..b' 'scan.*'; do
	admin POST /api/event-types "{\"name\":\"$n\"}"
	expect "event type name '$n' is 400" 400 '.error.code == "invalid_field"'
done
as "$UT" POST /api/event-types '{"name":"user.added"}'
expect "a user token may not add event types" 403 '.error.code == "forbidden"'

# --- publishing: who may, and input checks ---
as "$UT" POST /api/events '{"event_type":"threat.created"}'
expect "a user token may not publish" 403 '.error.code == "forbidden"'
as "$ST" POST /api/events "{\"event_type\":\"threat.created\",\"owner_id\":\"$EO\"}"
expect "a service token publishes" 202 '(.event_id | test("^[0-9a-f-]{36}$")) and .event_type == "threat.created"'
admin POST /api/events '{"event_type":"threat.exploded"}'
expect "an event type outside the catalog is 400" 400 '.error.code == "invalid_field" and (.error.message | test("threat.exploded"))'
admin POST /api/events '{"data":{}}'
expect "event_type is required" 400 '.error.code == "invalid_field"'
admin POST /api/events '{"event_type":"threat.created","data":[1]}'
expect "data must be an object" 400 '.error.code == "invalid_field"'
admin POST /api/events '{"event_type":"threat.created","colour":"red"}'
expect "an unknown field is 400" 400 '.error.code == "invalid_field"'
admin POST /api/events '[1,2]'
expect "a non-object body is 400 invalid_json" 400 '.error.code == "invalid_json"'
req POST /api/events -H 'Content-Type: application/json' --data-binary '{"event_type":"threat.created"}'
expect "publishing needs a token" 401 '.error.code == "unauthorized"'

# --- fan-out: matching ACTIVE subscriptions only ---
mk() {	# mk NAME EVENTS-JSON [extra json members]: an id
	admin POST $SUBS "{\"name\":\"$1\",\"url\":\"https://ev-$RUN.example.com/$1\",\"events\":$2,\"owner_id\":\"${OWNER:-$EO}\"${3:+,$3}}"
	jget .id
}
activate() { psql_q "UPDATE hookpost.subscriptions SET status = 'active' WHERE id = '$1'" >/dev/null; }
A=$(mk exact '["threat_model.created"]'); activate "$A"
B=$(mk pattern '["threat_model.*"]'); activate "$B"
C=$(mk pending '["*"]')
D=$(mk other-type '["diagram.created"]'); activate "$D"
E=$(mk other-tm '["threat_model.created"]' '"threat_model_id":"tm-other"'); activate "$E"
F=$(mk same-tm '["*"]' '"threat_model_id":"tm-1"'); activate "$F"
G=$(OWNER=evx-$RUN mk other-owner '["*"]'); activate "$G"
H=$(mk disabled '["*"]'); psql_q "UPDATE hookpost.subscriptions SET status = 'disabled' WHERE id = '$H'" >/dev/null
I=$(mk custom "[\"$CT.*\"]"); activate "$I"

admin POST /api/events "{\"event_type\":\"threat_model.created\",\"object_type\":\"threat_model\",\"object_id\":\"tm-1\",\"threat_model_id\":\"tm-1\",\"owner_id\":\"$EO\",\"data\":{\"name\":\"Production API Threat Model\"}}"
expect "the seed's threat_model.created is accepted" 202 '.event_id != null'
EV=$(jget .event_id)
got=$(psql_q "SELECT coalesce(string_agg(s.name, ',' ORDER BY s.name), '') FROM hookpost.deliveries d JOIN hookpost.subscriptions s ON s.id = d.subscription_id WHERE d.event_id = '$EV' AND s.owner_id IN ('$EO', 'evx-$RUN')")
[ "$got" = "exact,pattern,same-tm" ] && ok "one delivery per matching active subscription (exact, pattern, threat model)" ||
    fail "one delivery per matching active subscription (exact, pattern, threat model)" "got: $got"
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries WHERE event_id = '$EV' AND status = 'pending' AND owner_id = '$EO'")
[ "$n" = 3 ] && ok "the deliveries are pending" || fail "the deliveries are pending" "$n"
n=$(psql_q "SELECT (payload::jsonb->>'event_type') || '|' || (payload::jsonb->>'owner_id') || '|' || (payload::jsonb->'data'->>'name') FROM hookpost.events WHERE id = '$EV'")
[ "$n" = "threat_model.created|$EO|Production API Threat Model" ] && ok "the event payload has the seed's shape" || fail "the event payload has the seed's shape" "$n"

admin POST /api/events "{\"event_type\":\"$CT.finished\",\"owner_id\":\"$EO\"}"
expect "an admin-added type is published" 202 '.event_id != null'
EV2=$(jget .event_id)
got=$(psql_q "SELECT coalesce(string_agg(s.name, ','), '') FROM hookpost.deliveries d JOIN hookpost.subscriptions s ON s.id = d.subscription_id WHERE d.event_id = '$EV2' AND s.owner_id = '$EO'")
[ "$got" = "custom" ] && ok "a pattern on an admin-added resource matches it" || fail "a pattern on an admin-added resource matches it" "got: $got"

# A subscription of a user's own receives that owner's events only.
as "$UT" POST $SUBS "{\"name\":\"mine\",\"url\":\"https://ev-$RUN.example.com/mine\",\"events\":[\"note.*\"]}"
M=$(jget .id); activate "$M"
as "$ST" POST /api/events "{\"event_type\":\"note.updated\",\"owner_id\":\"someone-else-$RUN\"}"
EV3=$(jget .event_id)
as "$ST" POST /api/events "{\"event_type\":\"note.updated\",\"owner_id\":\"$EO\"}"
EV4=$(jget .event_id)
n=$(psql_q "SELECT count(*) FILTER (WHERE event_id = '$EV3') || ',' || count(*) FILTER (WHERE event_id = '$EV4') FROM hookpost.deliveries WHERE subscription_id = '$M'")
[ "$n" = "0,1" ] && ok "a user's subscription gets its owner's events only" || fail "a user's subscription gets its owner's events only" "$n"

for id in $A $B $C $D $E $F $G $H $I $M; do admin DELETE "$SUBS/$id"; done
expect_status "cleanup" 204
