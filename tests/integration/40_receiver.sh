#!/bin/sh
# The receiver POST /api/webhooks/:source (seed 004): signatures,
# timestamps, errors exactly as the seed's "Error Handling", replay,
# limits, and the audit row of every request.
. "$TOP/tests/lib.sh"

S=rx-$RUN
admin POST /api/webhooks "{\"source\":\"$S\",\"secret\":\"your-secret\"}"
expect_status "setup: source" 201

# seed 004 "Send Test Event", as written (only the host and source differ).
TIMESTAMP=$(date +%s)
BODY='{"event_type":"test","data":{}}'
SIGNATURE=$(echo -n "${TIMESTAMP}.${BODY}" | openssl dgst -sha256 -hmac "your-secret")
req POST "/api/webhooks/$S" \
  -H "Content-Type: application/json" \
  -H "X-Webhook-Signature: sha256=${SIGNATURE}" \
  -H "X-Webhook-Timestamp: ${TIMESTAMP}" \
  -d "${BODY}"
expect "the seed's Send Test Event recipe is accepted" 200 \
  '.status == "accepted" and (.incident_id | test("^[0-9a-f-]{36}$")) and (.incident_number | test("^INC-[0-9]{4}-[0-9]{4,}$"))'
FIRST=$BODY
YEAR=$(date -u +%Y)
expect_json "the incident number carries this year" ".incident_number | startswith(\"INC-$YEAR-\")"
# One row per accepted alert (issue 13): the incident is its audit row.
IID=$(jget .incident_id)
n=$(psql_q "SELECT count(*) FROM hookpost.webhook_requests WHERE source = '$S'")/$(psql_q "SELECT kind || ' ' || outcome || ' ' || http_status || ' ' || (incident_id = '$IID') || ' ' || (body_size > 0) || ' ' || (signature IS NOT NULL) FROM hookpost.requests WHERE source = '$S'")
[ "$n" = "0/source accepted 200 true true true" ] && ok "an accepted alert writes one row: its incident, which is its audit row" || fail "an accepted alert writes one row" "$n"

# The same request again: a replay creates nothing, answers the original.
before=$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = '$S'")
req POST "/api/webhooks/$S" -H "Content-Type: application/json" \
  -H "X-Webhook-Signature: sha256=${SIGNATURE}" -H "X-Webhook-Timestamp: ${TIMESTAMP}" \
  -d '{"event_type":"test","data":{}}'
expect_status "a replay answers 200" 200
[ "$BODY" = "$FIRST" ] && ok "a replay answers with the original result" || fail "a replay answers with the original result" "$BODY vs $FIRST"
after=$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = '$S'")
[ "$before" = "$after" ] && ok "a replay creates no incident" || fail "a replay creates no incident" "$before -> $after"

# Bare hex is accepted too.
ts=$(date +%s); b='{"event_type":"bare","data":{}}'
req POST "/api/webhooks/$S" -H "X-Webhook-Signature: $(sign your-secret "$ts" "$b")" \
  -H "X-Webhook-Timestamp: $ts" -H 'Content-Type: application/json' --data-binary "$b"
expect "a bare hex signature is accepted" 200 '.status == "accepted"'

SIGERR='{"error":{"code":"invalid_signature","message":"Webhook signature verification failed"}}'
TSERR='{"error":{"code":"timestamp_expired","message":"Webhook timestamp is too old (>5 minutes)"}}'
is_body() { [ "$(printf '%s' "$BODY" | jq -cS .)" = "$(printf '%s' "$1" | jq -cS .)" ]; }

hook "$S" "wrong-secret" '{"event_type":"x","data":{}}'
[ "$STATUS" = 401 ] && is_body "$SIGERR" && ok "a wrong signature is the seed's 401 invalid_signature" || fail "a wrong signature is the seed's 401 invalid_signature" "$STATUS $BODY"

ts=$(date +%s)
req POST "/api/webhooks/$S" -H "X-Webhook-Timestamp: $ts" -H 'Content-Type: application/json' -d '{"a":1}'
[ "$STATUS" = 401 ] && is_body "$SIGERR" && ok "a missing signature is 401 invalid_signature" || fail "a missing signature is 401 invalid_signature" "$STATUS $BODY"

b='{"event_type":"x","data":{}}'
req POST "/api/webhooks/$S" -H "X-Webhook-Signature: sha256=$(sign your-secret 0 "$b")" -H 'Content-Type: application/json' --data-binary "$b"
[ "$STATUS" = 401 ] && is_body "$SIGERR" && ok "a missing timestamp is 401 invalid_signature" || fail "a missing timestamp is 401 invalid_signature" "$STATUS $BODY"

req POST "/api/webhooks/$S" -H "X-Webhook-Signature: sha256=zz$(sign your-secret 1 x | cut -c3-)" -H "X-Webhook-Timestamp: $(date +%s)" --data-binary "$b"
expect "a non-hex signature is 401" 401 '.error.code == "invalid_signature"'

old=$(( $(date +%s) - 301 ))
hook "$S" your-secret "$b" "$old"
[ "$STATUS" = 401 ] && is_body "$TSERR" && ok "a timestamp 5 min old is the seed's 401 timestamp_expired" || fail "a timestamp 5 min old is the seed's 401 timestamp_expired" "$STATUS $BODY"
future=$(( $(date +%s) + 400 ))
hook "$S" your-secret "$b" "$future"
expect "a timestamp 5 min ahead is 401 timestamp_expired" 401 '.error.code == "timestamp_expired"'
hook "$S" your-secret "$b" "$(( $(date +%s) - 200 ))"
expect_status "a timestamp 200 s old is accepted" 200

hook unknown your-secret "$b"
[ "$STATUS" = 404 ] && is_body '{"error":{"code":"unknown_source","message":"Webhook source '"'unknown'"' is not registered"}}' && ok "an unknown source is the seed's 404 unknown_source" || fail "an unknown source is the seed's 404 unknown_source" "$STATUS $BODY"
hook 'BAD%20name' your-secret "$b"
expect "an invalid source name is 404 unknown_source" 404 '.error.code == "unknown_source"'

hook "$S" your-secret 'this is not json'
expect "a signed non-JSON body is 400 invalid_json" 400 '.error.code == "invalid_json"'
hook "$S" your-secret '[1,2,3]'
expect "a signed JSON array is 400 invalid_json" 400 '.error.code == "invalid_json"'

# Size: over the limit is 413 from the length alone, and the connection
# survives (the body was drained).
big=$(mktemp)
head -c 1100000 /dev/zero | tr '\0' 'a' >"$big"
out=$(curl -sS -o /dev/null -w '%{http_code} %{num_connects}\n' \
  -H 'Content-Type: application/json' -H "X-Webhook-Timestamp: $(date +%s)" \
  -H 'X-Webhook-Signature: sha256=00' --data-binary @"$big" "$BASE/api/webhooks/$S" \
  -H 'Content-Type: application/json' --next -sS -o /dev/null -w '%{http_code} %{num_connects}\n' "$BASE/healthz" 2>&1)
first=$(echo "$out" | sed -n 1p); second=$(echo "$out" | sed -n 2p)
[ "${first%% *}" = 413 ] && ok "a body over 1 MiB is 413" || fail "a body over 1 MiB is 413" "$out"
[ "${second%% *}" = 200 ] && ok "no reset: the client reads the whole 413 and goes on" || fail "no reset after a 413" "$out"
# Apache closes after a 413 by design (ap_status_drops_connection), but
# only after reading the body; lighttpd keeps the connection.
if [ "$SERVER" = lighttpd ]; then
	[ "$second" = "200 0" ] && ok "the connection is kept after a 413" || fail "the connection is kept after a 413" "$out"
fi
req POST "/api/webhooks/$S" -H 'Content-Type: application/json' -H "X-Webhook-Timestamp: $(date +%s)" -H 'X-Webhook-Signature: sha256=00' --data-binary @"$big"
expect "413 carries payload_too_large" 413 '.error.code == "payload_too_large"'
rm -f "$big"
n=$(psql_q "SELECT count(*) FROM hookpost.webhook_requests WHERE source = '$S' AND body_size > 1048576")
[ "$n" = 0 ] && ok "an oversized body is never stored" || fail "an oversized body is never stored" "$n"

admin PUT "/api/webhooks/$S" '{"enabled":false}'
hook "$S" your-secret '{"event_type":"off","data":{}}'
expect "a disabled source is 403 webhook_disabled" 403 '.error.code == "webhook_disabled"'
admin PUT "/api/webhooks/$S" '{"enabled":true}'

# Audit: every request above left a row.
admin GET "/api/audit/webhooks?source=$S&limit=100"
expect "the audit log lists the source's requests" 200 '(.data | length) >= 10'
expect_json "refusals are recorded with their code" '[.data[] | select(.error_code == "invalid_signature")] | length >= 3'
expect_json "timestamp refusals are recorded" '[.data[] | select(.error_code == "timestamp_expired")] | length == 2'
expect_json "replays are recorded" '[.data[] | select(.outcome == "replayed")] | length == 1'
expect_json "rows carry address, agent, status, time and body hash" \
  '.data[0] | (.remote_addr == "127.0.0.1") and (.user_agent | startswith("curl/")) and (.http_status | type == "number") and (.processing_ms | type == "number") and (.body_sha256 | test("^[0-9a-f]{64}$"))'
admin GET "/api/audit/webhooks?source=unknown&limit=5"
expect_json "unknown sources are audited too" '[.data[] | select(.error_code == "unknown_source")] | length >= 1'
admin GET "/api/audit/webhooks?limit=2"
C=$(jget .next_cursor)
admin GET "/api/audit/webhooks?limit=2&cursor=$C"
expect "the audit log pages by cursor" 200 '(.data | length) == 2'

deep=$(printf '{"a":%.0s' $(seq 1 40))1$(printf '}%.0s' $(seq 1 40))
hook "$S" your-secret "$deep"
expect "a body nested 40 deep is 400 invalid_json" 400 '.error.code == "invalid_json"'
