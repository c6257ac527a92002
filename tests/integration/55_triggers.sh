#!/bin/sh
# Triggers and their keys (seed 002, issue 3): create / list / get /
# update / delete, enable / disable / regenerate in both of the seed's
# spellings, several keys per trigger with rotation, the seed's
# manual-testing curl sequence, events, stats, and the outbound emit.
. "$TOP/tests/lib.sh"
. "$TOP/tests/data/triggers/helpers.sh"

R=t$RUN.push

# --- triggers -----------------------------------------------------------
admin POST /api/v1/triggers "{\"ref\":\"$R\",\"description\":\"Triggered when code is pushed to a repository\",\"payload_schema\":{\"type\":\"object\",\"properties\":{\"ref\":{\"type\":\"string\",\"description\":\"Git reference (branch/tag)\"},\"commits\":{\"type\":\"array\"},\"repository\":{\"type\":\"object\"}}}}"
expect "create a trigger: 201 in the seed's data envelope" 201 \
  ".data.ref == \"$R\" and (.data.id | type == \"number\") and .data.webhook_enabled == false and .data.webhook_key == null"
ID=$(jget .data.id)
expect_json "a new trigger has the seed's defaults" \
  '.data.rate_limit == {"enabled":true,"requests":100,"window_seconds":60} and .data.payload_limit_kb == 1024 and .data.hmac.enabled == false and .data.ip_allowlist.enabled == false'
admin POST /api/v1/triggers "{\"ref\":\"$R\"}"
expect "a second trigger with the same ref is 409" 409 '.error.code == "conflict"'
admin POST /api/v1/triggers '{"ref":"NoDots"}'
expect "a ref must look like github.push" 400 '.error.code == "invalid_field"'
admin POST /api/v1/triggers "{\"ref\":\"x$RUN.a\",\"bogus\":1}"
expect "unknown fields are refused" 400 '.error.code == "invalid_field" and (.error.message | contains("bogus"))'
admin POST /api/v1/triggers "{\"ref\":\"x$RUN.a\",\"payload_schema\":{\"type\":\"object\",\"pattern\":\"x\"}}"
expect "an unsupported schema keyword is refused at create" 400 '.error.message | contains("pattern")'
admin POST /api/v1/triggers "{\"ref\":\"x$RUN.a\",\"payload_mapping\":{\"sha\":\"head_commit.id\"}}"
expect "a mapping that is not JSONPath is refused" 400 '.error.message | contains("payload_mapping")'
admin POST /api/v1/triggers "{\"ref\":\"x$RUN.a\",\"preset\":\"gitlab\"}"
expect "an unknown preset is refused" 400 '.error.message | contains("github")'
req POST /api/v1/triggers -H 'Content-Type: application/json' -d "{\"ref\":\"x$RUN.b\"}"
expect "trigger management needs a token" 401 '.error.code == "unauthorized"'

admin GET "/api/v1/triggers/$R"
expect "get by ref" 200 ".data.id == $ID"
admin GET "/api/v1/triggers/$ID"
expect "get by the seed's numeric id" 200 ".data.ref == \"$R\""
admin GET "/api/v1/triggers/no$RUN.such"
expect "an unknown trigger is 404" 404 '.error.code == "not_found"'
admin PUT "/api/v1/triggers/$R" '{"description":"pushes"}'
expect "PUT changes the given fields only" 200 '.data.description == "pushes" and .data.payload_schema.type == "object"'
admin PUT "/api/v1/triggers/$R" "{\"ref\":\"other$RUN.ref\"}"
expect "a ref cannot change" 400 '.error.code == "invalid_field"'
admin POST /api/v1/triggers "{\"ref\":\"two$RUN.push\"}"
admin GET "/api/v1/triggers?limit=1"
expect "list pages with a cursor" 200 '(.data | length) == 1 and (.next_cursor | type == "string")'
C=$(jget .next_cursor)
admin GET "/api/v1/triggers?limit=1&cursor=$C"
expect "the next page" 200 '(.data | length) == 1'

# The ref is registered as an outbound event type (seed 000 catalog).
n=$(psql_q "SELECT count(*) FROM hookpost.event_types WHERE name = '$R'")
[ "$n" = 1 ] && ok "the ref is registered as an event type" || fail "the ref is registered as an event type" "$n"

# --- the seed's "Manual Testing" sequence ---------------------------------
# Verbatim but for host and id.  lighttpd 1.4 answers a POST without
# Content-Length with 411 before any handler runs, so there the bodiless
# curl -X POST gets --data '' (Content-Length: 0); Apache takes it as is.
if [ "$SERVER" = lighttpd ]; then EMPTY="--data ''"; else EMPTY=; fi
out=$(sh -c "curl -s -X POST $BASE/api/v1/triggers/$ID/webhook/enable $EMPTY \
  -H \"Authorization: Bearer $TOKEN\"")
BODY=$out
expect_json "seed: enable webhooks for the trigger" \
  ".data.webhook_enabled == true and (.data.webhook_key | test(\"^wh_[A-Za-z0-9]{32}\$\")) and .data.webhook_url == \"$BASE/api/v1/webhooks/\" + .data.webhook_key"
BODY=$(curl -s "$BASE/api/v1/triggers/$ID/webhook" -H "Authorization: Bearer $TOKEN")
expect_json "seed: get webhook info" \
  ".data.enabled == true and (.data.webhook_key | startswith(\"wh_\")) and .data.webhook_url == \"$BASE/api/v1/webhooks/\" + .data.webhook_key and (.data.created_at | type == \"string\") and .data.total_events == 0 and .data.last_used_at == null"
WEBHOOK_KEY=$(jget .data.webhook_key)
# A subscriber for the ref's outbound events (checked below); emit
# writes no event nobody can receive (issue 13).
seal=unused
TSUB=$(psql_q "INSERT INTO hookpost.subscriptions (owner_id, name, url, events, secret_enc, status, all_owners) VALUES ('t-$RUN', 'trigger $RUN', 'https://example.com/h', '{$R}', '$seal', 'active', true) RETURNING id")
BODY=$(curl -s -X POST "$BASE/api/v1/webhooks/$WEBHOOK_KEY" \
  -H "Content-Type: application/json" \
  -d '{"test": "payload", "value": 123}')
expect_json "seed: send test webhook: 200 with the event id" '.data.event_id | test("^[0-9a-f-]{36}$")'
EV=$(jget .data.event_id)
BODY=$(curl -s "$BASE/api/v1/events?limit=1" -H "Authorization: Bearer $TOKEN")
expect_json "seed: verify the event was created (events?limit=1)" \
  ".data | length == 1 and .[0].id == \"$EV\" and .[0].trigger_ref == \"$R\" and .[0].payload == {\"test\":\"payload\",\"value\":123}"
expect_json "the event's metadata: source, key label (never the key), time, ip, agent, headers" \
  ".data[0].metadata | .source == \"webhook\" and .webhook_key_label == \"default\" and (.received_at | type == \"string\") and .source_ip == \"127.0.0.1\" and (.user_agent | startswith(\"curl/\")) and .headers[\"Content-Type\"] == \"application/json\" and (tostring | contains(\"$WEBHOOK_KEY\") | not)"
admin GET "/api/v1/triggers/$R/webhook"
expect_json "info counts the event and the key's last use" '.data.total_events == 1 and (.data.last_used_at | type == "string")'

# --- the outbound hook ----------------------------------------------------
n=$(psql_q "SELECT count(*) FROM hookpost.events WHERE event_type = '$R' AND object_type = 'trigger_event' AND object_id = '$EV'")
[ "$n" = 1 ] && ok "the event is emitted outbound with the ref as its type" || fail "the event is emitted outbound" "$n"
d=$(psql_q "SELECT payload::jsonb->'data' FROM hookpost.events WHERE object_id = '$EV'")
[ "$(printf '%s' "$d" | jq -c .)" = '{"test":"payload","value":123}' ] && ok "the outbound event carries the payload" || fail "the outbound event carries the payload" "$d"
psql_q "DELETE FROM hookpost.subscriptions WHERE id = '$TSUB'" >/dev/null

# --- disable, enable, regenerate, in both spellings ----------------------
# seed 002's test_webhook_enable_disable: "Disable webhooks -> Verify key
# removed"; enabling again issues a new key.
apost "/api/v1/triggers/$ID/webhook/enable"
expect "enable while enabled keeps the key" 200 ".data.webhook_key == \"$WEBHOOK_KEY\""
apost "/api/v1/triggers/$R/webhooks/disable"
expect "seed: disable (plural spelling): the key is removed" 200 '.data.webhook_enabled == false and .data.webhook_key == null and .data.webhook_url == null and .data.keys == [] and .data.keys_revoked == 1'
admin GET "/api/v1/triggers/$R"
expect "the disabled trigger shows no webhook_key" 200 '.data.webhook_enabled == false and .data.webhook_key == null and .data.webhook_url == null'
admin GET "/api/v1/triggers/$R/webhook"
expect "its webhook info shows no key" 200 '.data.enabled == false and .data.webhook_key == null and .data.keys == []'
hit "$WEBHOOK_KEY" '{"a":1}'
expect "the removed key's URL is an unknown key (404, as the seed's invalid key)" 404 '.error.code == "not_found"'
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_keys WHERE trigger_id = $ID AND revoked_at IS NOT NULL")
[ "$n" = 1 ] && ok "the removed key's row stays, revoked, for the audit trail" || fail "the removed key's row stays, revoked" "$n"
apost "/api/v1/triggers/$R/webhooks/disable"
expect "disable twice: nothing more to revoke" 200 '.data.webhook_enabled == false and .data.keys_revoked == 0'
apost "/api/v1/triggers/$ID/webhook/regenerate"
expect "a disabled trigger gets no key by regenerate (409)" 409 '.error.code == "conflict" and (.error.message | contains("enable"))'
admin POST "/api/v1/triggers/$R/webhooks/keys" '{"label":"while-off"}'
expect "nor by adding one (409)" 409 '.error.code == "conflict"'
apost "/api/v1/triggers/$ID/webhook/enable"
expect "enable again issues a new key" 200 ".data.webhook_enabled == true and (.data.webhook_key | test(\"^wh_[A-Za-z0-9]{32}\$\")) and .data.webhook_key != \"$WEBHOOK_KEY\" and (.data.keys | length) == 1"
OLD=$WEBHOOK_KEY
WEBHOOK_KEY=$(jget .data.webhook_key)
hit "$WEBHOOK_KEY" '{"a":2}'
expect_status "the new key works" 200
hit "$OLD" '{"a":2}'
expect "the old key stays removed" 404 '.error.code == "not_found"'

apost "/api/v1/triggers/$ID/webhook/regenerate"
expect "seed: regenerate webhook key" 200 \
  ".data.previous_key_revoked == true and (.data.webhook_key | startswith(\"wh_\")) and .data.webhook_key != \"$WEBHOOK_KEY\" and .data.webhook_url == \"$BASE/api/v1/webhooks/\" + .data.webhook_key"
NEW=$(jget .data.webhook_key)
hit "$WEBHOOK_KEY" '{"a":3}'
expect "the old key stops working at once (404)" 404 '.error.code == "not_found"'
hit "$NEW" '{"a":4}'
expect_status "the new key works" 200
apost "/api/v1/triggers/$R/webhooks/regenerate" '{"label":"second gen"}'
expect "regenerate with a label" 200 '.data.keys | length == 1 and .[0].label == "second gen"'
NEW=$(jget .data.webhook_key)

# --- several keys: rotation without downtime ------------------------------
admin POST "/api/v1/triggers/$R/webhooks/keys" '{"label":"rotation-2"}'
expect "add a second key with a label" 201 ".data.label == \"rotation-2\" and (.data.key | startswith(\"wh_\")) and .data.url == \"$BASE/api/v1/webhooks/\" + .data.key"
K2=$(jget .data.key); K2ID=$(jget .data.id)
admin POST "/api/v1/triggers/$R/webhooks/keys" '{"label":"rotation-2"}'
expect "a label is unique among active keys" 409 '.error.code == "conflict"'
admin POST "/api/v1/triggers/$R/webhooks/keys" '{}'
expect "a key needs a label" 400 '.error.code == "invalid_field"'
hit "$NEW" '{"k":1}'
expect_status "during rotation the first key works" 200
hit "$K2" '{"k":2}'
expect_status "during rotation the second key works" 200
admin GET "/api/v1/events?trigger=$R&limit=1"
expect_json "the event names the key it came with by label" '.data[0].metadata.webhook_key_label == "rotation-2"'
admin GET "/api/v1/triggers/$R/webhooks/keys"
expect "list the active keys" 200 '(.data | length) == 2 and ([.data[].label] | sort) == ["rotation-2","second gen"]'
OLDID=$(printf '%s' "$BODY" | jq -r '.data[] | select(.label == "second gen") | .id')
admin DELETE "/api/v1/triggers/$R/webhooks/keys/$OLDID"
expect_status "retire the first key" 204
hit "$NEW" '{"k":3}'
expect "the retired key is refused" 404 '.error.code == "not_found"'
hit "$K2" '{"k":4}'
expect_status "the second key carries on" 200
admin DELETE "/api/v1/triggers/$R/webhooks/keys/$OLDID"
expect "retiring it twice is 404" 404 '.error.code == "not_found"'
admin DELETE "/api/v1/triggers/$R/webhooks/keys/not-a-uuid"
expect "a malformed key id is 404" 404 '.error.code == "not_found"'
admin GET "/api/v1/triggers/$R"
expect_json "the trigger shows its current key" ".data.webhook_key == \"$K2\""

# --- events ---------------------------------------------------------------
admin GET "/api/v1/events?trigger=$R&limit=2"
expect "events filtered by trigger, newest first" 200 "(.data | length) == 2 and all(.data[]; .trigger_ref == \"$R\") and (.next_cursor | type == \"string\")"
C=$(jget .next_cursor); FIRST=$(jget '.data[0].id')
admin GET "/api/v1/events?trigger=$R&limit=2&cursor=$C"
expect "the next page of events" 200 "(.data | length) == 2 and (.data[0].id != \"$FIRST\")"
admin GET "/api/v1/events?trigger=$ID&limit=100"
expect "filter by the numeric id" 200 '(.data | length) == 6'
admin GET "/api/v1/events?trigger=$R&since=2999-01-01T00:00:00Z"
expect "since in the future: nothing" 200 '.data == []'
admin GET "/api/v1/events?trigger=$R&until=2000-01-01T00:00:00Z"
expect "until in the past: nothing" 200 '.data == []'
admin GET "/api/v1/events?since=yesterday-ish"
expect "a malformed time is 400" 400 '.error.code == "invalid_field"'
admin GET "/api/v1/events/$EV"
expect "get one event" 200 ".data.id == \"$EV\" and .data.source == \"webhook\""
admin GET "/api/v1/events/00000000-0000-0000-0000-000000000000"
expect "an unknown event is 404" 404 '.error.code == "not_found"'
admin GET "/api/v1/events/not-a-uuid"
expect "a malformed event id is 404" 404 '.error.code == "not_found"'

# --- stats (seed: webhook_stats_detailed) ---------------------------------
admin GET "/api/v1/triggers/$R/stats"
expect "stats: totals, last 24 h, refusals by reason, median time" 200 \
  '.data.total_events == 6 and .data.events_last_24h == 6 and .data.accepted == 6 and .data.refused == 0 and .data.refusals_by_reason == {} and (.data.median_processing_ms | type == "number")'

# --- disable with several keys: every one goes ----------------------------
admin POST "/api/v1/triggers/$R/webhooks/keys" '{"label":"rotation-3"}'
K3=$(jget .data.key)
apost "/api/v1/triggers/$R/webhooks/disable"
expect "disable revokes every active key" 200 '.data.keys_revoked == 2 and .data.keys == [] and .data.webhook_key == null'
hit "$K2" '{}'
expect "the first of them is unknown" 404 '.error.code == "not_found"'
hit "$K3" '{}'
expect "the second too" 404 '.error.code == "not_found"'
apost "/api/v1/triggers/$R/webhooks/enable"
expect "enable makes one new key, neither of them" 200 ".data.keys | length == 1 and .[0].label == \"default\" and .[0].key != \"$K2\" and .[0].key != \"$K3\""


# --- delete ---------------------------------------------------------------
admin POST /api/v1/triggers "{\"ref\":\"del$RUN.me\"}"
trigger_new "del$RUN.gone"
DK=$KEY
admin DELETE "/api/v1/triggers/del$RUN.gone"
expect_status "delete a trigger" 204
hit "$DK" '{}'
expect "a deleted trigger's key is 404" 404 '.error.code == "not_found"'
admin DELETE "/api/v1/triggers/del$RUN.gone"
expect "delete again is 404" 404 '.error.code == "not_found"'
admin PATCH "/api/v1/triggers/$R" '{}'
expect_status "PATCH is 405" 405
