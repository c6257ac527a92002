#!/bin/sh
# Deliveries (seed 000 "Query deliveries", issue 4 retry) and the async
# completion callback (seed 000 "X-TMI-Callback"): by bearer and by HMAC.
. "$TOP/tests/lib.sh"
SUBS=/admin/webhooks/subscriptions
DLV=/admin/webhooks/deliveries

as() {
	_t=$1; shift
	if [ $# -ge 3 ]; then
		req "$1" "$2" -H "Authorization: Bearer $_t" \
		    -H 'Content-Type: application/json' --data-binary "$3"
	else
		req "$1" "$2" -H "Authorization: Bearer $_t"
	fi
}
mktoken() {
	admin POST /api/tokens "{\"name\":\"$1\",\"role\":\"user\",\"owner_id\":\"$1\"}"
	jget .token
}
# hmac SECRET BODY: the seed's recipe, "sha256=<hex>".
hmac() { printf 'sha256=%s' "$(printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" | sed 's/^.*= //')"; }
# signed SECRET METHOD PATH [BODY]: authenticated by X-Webhook-Signature only.
signed() {
	_s=$1 _m=$2 _p=$3 _b=${4:-}
	if [ "$_m" = GET ]; then
		req GET "$_p" -H "X-Webhook-Signature: $(hmac "$_s" "")"
	else
		req "$_m" "$_p" -H 'Content-Type: application/json' \
		    -H "X-Webhook-Signature: $(hmac "$_s" "$_b")" --data-binary "$_b"
	fi
}
dstatus() { psql_q "UPDATE hookpost.deliveries SET status = '$2' WHERE id = '$1'" >/dev/null; }

OWN=dlv-$RUN OTHER=dlvx-$RUN
OT=$(mktoken "$OWN"); XT=$(mktoken "$OTHER")
SECRET="callback-secret-$RUN"
as "$OT" POST $SUBS "{\"name\":\"dlv\",\"url\":\"https://d-$RUN.example.com/h\",\"events\":[\"threat.*\",\"note.created\"],\"secret\":\"$SECRET\"}"
expect "a subscription to deliver to" 201 '.status == "pending_verification"'
S=$(jget .id)
psql_q "UPDATE hookpost.subscriptions SET status = 'active' WHERE id = '$S'" >/dev/null

for t in threat.created threat.updated note.created; do
	admin POST /api/events "{\"event_type\":\"$t\",\"owner_id\":\"$OWN\",\"object_id\":\"o-$t\",\"data\":{\"n\":\"$t\"}}"
done
expect "events are published" 202 '.event_id != null'

as "$OT" GET "$DLV?subscription_id=$S"
expect "the owner lists its subscription's deliveries" 200 '(.data | length) == 3 and (.data | all(.status == "pending" and .attempt_count == 0))'
expect_json "newest first" '.data[0].event_type == "note.created" and .data[2].event_type == "threat.created"'
D1=$(jget '.data[2].id'); D2=$(jget '.data[1].id'); D3=$(jget '.data[0].id')
as "$OT" GET "$DLV?subscription_id=$S&event_type=threat.updated"
expect "filter by event type" 200 "(.data | map(.id)) == [\"$D2\"]"
as "$OT" GET "$DLV?subscription_id=$S&limit=2"
expect "limit 2 gives a cursor" 200 '(.data | length) == 2 and (.next_cursor | type) == "string"'
cur=$(jget .next_cursor)
as "$OT" GET "$DLV?subscription_id=$S&limit=2&cursor=$cur"
expect "the cursor gives the rest" 200 "(.data | map(.id)) == [\"$D1\"] and .next_cursor == null"
as "$OT" GET "$DLV?status=exploded"
expect "an unknown status filter is 400" 400 '.error.code == "invalid_field"'
as "$OT" GET "$DLV?subscription_id=nope"
expect "a malformed subscription_id is 400" 400 '.error.code == "invalid_field"'
as "$XT" GET "$DLV?subscription_id=$S"
expect "another owner sees none of them" 200 '.data == []'
admin GET "$DLV?subscription_id=$S"
expect "admin sees them all" 200 '(.data | length) == 3'
req GET "$DLV"
expect "no token is 401" 401 '.error.code == "unauthorized"'

# One delivery with its attempts and payload.
psql_q "INSERT INTO hookpost.delivery_attempts (delivery_id, attempt, status_code, response_ms, error, response_body) VALUES ('$D1', 2, 500, 12.5, 'HTTP 500', 'oops'), ('$D1', 1, NULL, 30000, 'timeout', NULL)" >/dev/null
as "$OT" GET "$DLV/$D1"
expect "a delivery shows its attempts in order" 200 \
    '.id == "'"$D1"'" and (.attempts | map(.attempt)) == [1,2] and .attempts[1].status_code == 500 and .attempts[1].response_body == "oops" and .attempts[0].error == "timeout"'
expect_json "and the signed payload in the seed's shape" \
    '.payload.event_type == "threat.created" and .payload.owner_id == "'"$OWN"'" and .payload.object_id == "o-threat.created" and .payload.data.n == "threat.created" and (.payload | has("timestamp"))'
as "$XT" GET "$DLV/$D1"
expect "another owner gets 404" 404 '.error.code == "not_found"'
as "$OT" GET "$DLV/00000000-0000-0000-0000-000000000000"
expect "an unknown delivery is 404" 404 '.error.code == "not_found"'

# Retry: only failed or cancelled.
as "$OT" POST "$DLV/$D1/retry" ''
expect "retrying a pending delivery is 409" 409 '.error.code == "conflict"'
psql_q "UPDATE hookpost.deliveries SET status = 'failed', attempts = 5, completed_at = now(), next_attempt_at = now() + interval '1 day' WHERE id = '$D1'" >/dev/null
as "$XT" POST "$DLV/$D1/retry" ''
expect "another owner cannot retry it (404)" 404 '.error.code == "not_found"'
as "$OT" POST "$DLV/$D1/retry" ''
expect "a failed delivery is retried" 202 '.status == "pending" and .attempt_count == 0 and .completed_at == null'
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries WHERE id = '$D1' AND status = 'pending' AND next_attempt_at <= now() + interval '1 second' AND completed_at IS NULL")
[ "$n" = 1 ] && ok "the retried delivery is due now" || fail "the retried delivery is due now" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.delivery_queue WHERE delivery_id = '$D1' AND due_at <= now() + interval '1 second'")
[ "$n" = 1 ] && ok "and back in the worker's queue" || fail "and back in the worker's queue" "$n"
dstatus "$D1" failed
n=$(psql_q "SELECT count(*) FROM hookpost.delivery_queue WHERE delivery_id = '$D1'")
[ "$n" = 0 ] && ok "a delivery set failed by hand leaves the queue" || fail "a delivery set failed by hand leaves the queue" "$n"
dstatus "$D1" cancelled
admin POST "$DLV/$D1/retry" ''
expect "a cancelled delivery is retried by admin" 202 '.status == "pending"'

# --- async completion callback ---
CB=/webhook-deliveries
dstatus "$D1" in_progress
dstatus "$D2" in_progress
req GET "$CB/$D1"
expect "the callback needs a token or a signature" 401 '.error.code == "unauthorized"'
signed "wrong-secret-0000" GET "$CB/$D1"
expect "a signature with the wrong secret is 401" 401 '.error.code == "invalid_signature"'
req GET "$CB/$D1" -H "X-Webhook-Signature: sha256=zz"
expect "a malformed signature is 401" 401 '.error.code == "invalid_signature"'
signed "$SECRET" GET "$CB/$D1"
expect "GET status by HMAC over the empty body" 200 ".id == \"$D1\" and .status == \"in_progress\""
as "$OT" GET "$CB/$D1"
expect "GET status by bearer" 200 ".status == \"in_progress\""
as "$XT" GET "$CB/$D1"
expect "another owner's bearer gets 404" 404 '.error.code == "not_found"'

B='{"status":"in_progress","message":"halfway"}'
as "$OT" POST "$CB/$D1/status" "$B"
expect "a progress report by bearer keeps it in_progress" 200 '.status == "in_progress" and .callback_status == "in_progress" and .callback_message == "halfway"'
B='{"status":"completed","message":"all done"}'
req POST "$CB/$D1/status" -H 'Content-Type: application/json' -H "X-Webhook-Signature: $(hmac "$SECRET" '{"status":"failed"}')" --data-binary "$B"
expect "a signature over another body is 401" 401 '.error.code == "invalid_signature"'
signed "$SECRET" POST "$CB/$D1/status" "$B"
expect "completed by HMAC: delivered" 200 '.status == "delivered" and .callback_status == "completed" and .callback_message == "all done" and .completed_at != null'
n=$(psql_q "SELECT publication_failures || ',' || (last_successful_use > now() - interval '1 minute') FROM hookpost.subscriptions WHERE id = '$S'")
[ "$n" = "0,true" ] && ok "completion sets last_successful_use, failures unchanged" || fail "completion sets last_successful_use, failures unchanged" "$n"
signed "$SECRET" POST "$CB/$D1/status" "$B"
expect "a second callback is 409" 409 '.error.code == "conflict"'
signed "$SECRET" POST "$CB/$D3/status" "$B"
expect "a callback for a pending delivery is 409" 409 '.error.code == "conflict"'

as "$OT" POST "$CB/$D2/status" '{"status":"done"}'
expect "an unknown callback status is 400" 400 '.error.code == "invalid_field"'
as "$OT" POST "$CB/$D2/status" '{"status":"failed","extra":1}'
expect "an unknown callback field is 400" 400 '.error.code == "invalid_field"'
as "$XT" POST "$CB/$D2/status" '{"status":"failed"}'
expect "another owner cannot report (404)" 404 '.error.code == "not_found"'
as "$OT" POST "$CB/$D2/status" '{"status":"failed","message":"receiver gave up"}'
expect "failed by bearer: failed" 200 '.status == "failed" and .callback_status == "failed" and .completed_at != null'
n=$(psql_q "SELECT publication_failures FROM hookpost.subscriptions WHERE id = '$S'")
[ "$n" = 1 ] && ok "a failed callback counts a publication failure" || fail "a failed callback counts a publication failure" "$n"

# Rotation: the previous secret verifies while its grace lasts.
as "$OT" PUT "$SUBS/$S" '{"rotate_secret":true,"grace_seconds":3600}'
NEW=$(jget .secret)
dstatus "$D3" in_progress
signed "$SECRET" GET "$CB/$D3"
expect "the previous secret verifies during the grace" 200 '.status == "in_progress"'
signed "$NEW" GET "$CB/$D3"
expect "the new secret verifies" 200 '.status == "in_progress"'
psql_q "UPDATE hookpost.subscriptions SET previous_secret_expires_at = now() - interval '1 second' WHERE id = '$S'" >/dev/null
signed "$SECRET" GET "$CB/$D3"
expect "the previous secret is refused after the grace" 401 '.error.code == "invalid_signature"'
signed "$NEW" GET "$CB/00000000-0000-0000-0000-000000000000"
expect "an unknown delivery is 404" 404 '.error.code == "not_found"'

as "$OT" DELETE "$SUBS/$S"
expect_status "cleanup" 204
