#!/bin/sh
# The receiver POST /api/v1/webhooks/:webhook_key (seed 002, issue 3):
# each check and their order -- 1 key, 2 size, 3 IP allow
# list, 4 rate limit, 5 HMAC, 6 JSON and payload_schema -- each refusal
# audited; then dedupe, payload mapping, the audit log and metrics.
. "$TOP/tests/lib.sh"
. "$TOP/tests/data/triggers/helpers.sh"

R=rx$RUN.check
trigger_new "$R" '"payload_schema":{"type":"object","required":["ref"],"properties":{"ref":{"type":"string"},"commits":{"type":"array","items":{"type":"object","required":["id"],"properties":{"id":{"type":"string"}}}}}}'
K=$KEY
hit "$K" '{"ref":"refs/heads/main","commits":[{"id":"abc"}]}'
expect "a valid event is 200 with its id" 200 '.data.event_id | test("^[0-9a-f-]{36}$")'
E0=$(jget .data.event_id)
admin GET "/api/v1/events/$E0"
expect "seed: the event's metadata names its webhook_key by its first characters only" 200 \
  ".data.metadata.webhook_key == \"$(printf '%.9s' "$K")...\" and .data.metadata.source == \"webhook\" and (.data.metadata.webhook_key_id | test(\"^[0-9a-f-]{36}\$\"))"

# --- 1. key -----------------------------------------------------------------
hit "wh_00000000000000000000000000000000" '{"ref":"x"}'
expect "an unknown key is 404" 404 '.error.code == "not_found"'
hit "not-a-key" '{"ref":"x"}'
expect "a malformed key is 404" 404 '.error.code == "not_found"'
n=$(psql_q "SELECT count(*) FROM hookpost.webhook_requests WHERE kind = 'trigger' AND error_code = 'not_found' AND source IS NULL AND received_at > now() - interval '1 minute'")
[ "$n" -ge 2 ] && ok "unknown keys are audited, with no key stored" || fail "unknown keys are audited" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.webhook_requests WHERE source LIKE 'wh_%'")
[ "$n" = 0 ] && ok "no key is ever written to the audit log" || fail "no key is ever written to the audit log" "$n"

# --- 2. size, decided from the length ----------------------------------------
admin PUT "/api/v1/triggers/$R/webhooks/payload-limit" '{"kb":1}'
expect "payload limit per trigger" 200 '.data.payload_limit_kb == 1'
admin PUT "/api/v1/triggers/$R/webhooks/payload-limit" '{"kb":4096}'
expect "a limit above HOOKPOST_MAX_BODY is refused" 400 '.error.message | contains("HOOKPOST_MAX_BODY")'
big=$(head -c 1025 /dev/zero | tr '\0' 'a')
hit "$K" "$big"
expect "1025 bytes over a 1 KiB limit: 413" 413 '.error.code == "payload_too_large" and (.error.message | contains("1024"))'
edge=$(head -c 1024 /dev/zero | tr '\0' 'a')
hit "$K" "$edge"
expect "1024 bytes pass the size check (then: not JSON)" 400 '.error.code == "invalid_json"'
n=$(psql_q "SELECT count(*) FROM hookpost.webhook_requests WHERE kind = 'trigger' AND source = '$R' AND error_code = 'payload_too_large' AND body_sha256 IS NULL AND body_size = 1025")
[ "$n" = 1 ] && ok "a too-large body is audited by its length, never read or hashed" || fail "a too-large body is audited by its length" "$n"
# An unknown key is 404 even with a body over the server's limit.
huge=$(mktemp)
head -c 1200000 /dev/zero | tr '\0' 'a' >"$huge"
req POST "/api/v1/webhooks/wh_11111111111111111111111111111111" -H 'Content-Type: application/json' --data-binary @"$huge"
expect "order 1 before 2: an unknown key with a 1.2 MB body is 404" 404 '.error.code == "not_found"'
rm -f "$huge"
# Disabling removes the keys (seed 002 "Disable webhooks -> verify key
# removed"): the old key is an unknown one; enabling makes a new key.
apost "/api/v1/triggers/$R/webhooks/disable"
hit "$K" "$big"
expect "order 1 before 2: a disabled trigger's old key with a large body is 404" 404 '.error.code == "not_found"'
apost "/api/v1/triggers/$R/webhooks/enable"
K=$(jget .data.webhook_key)

# --- 3. IP allow list (the client is 127.0.0.1) -------------------------------
admin PUT "/api/v1/triggers/$R/webhooks/ip-allowlist" '{"cidrs":["192.30.252.1/22","2001:db8::/32"]}'
expect "allow list: stored canonical, enabled by giving cidrs" 200 '.data.ip_allowlist == {"enabled":true,"cidrs":["192.30.252.0/22","2001:db8::/32"]}'
hit "$K" '{"ref":"x"}'
expect "a client outside the allow list is 403 ip_not_allowed" 403 '.error.code == "ip_not_allowed"'
hit "$K" "$big"
expect "order 2 before 3: a too-large body from a disallowed IP is 413" 413 '.error.code == "payload_too_large"'
hit "$K" '{"ref":"x"}' -H 'X-Forwarded-For: 192.30.252.7'
expect "X-Forwarded-For is not believed from an untrusted peer" 403 '.error.code == "ip_not_allowed"'
admin PUT "/api/v1/triggers/$R/webhooks/ip-allowlist" '{"cidrs":["10.0.0.0/8","127.0.0.0/8"]}'
hit "$K" '{"ref":"x"}'
expect_status "a client inside an IPv4 block is admitted" 200
admin PUT "/api/v1/triggers/$R/webhooks/ip-allowlist" '{"cidrs":["::ffff:127.0.0.1/128"]}'
expect_json "an IPv4-mapped block is stored in IPv4 form" '.data.ip_allowlist.cidrs == ["127.0.0.1/32"]'
hit "$K" '{"ref":"x"}'
expect_status "an IPv4-mapped allow entry admits the IPv4 client" 200
admin PUT "/api/v1/triggers/$R/webhooks/ip-allowlist" '{"cidrs":["::/0"]}'
hit "$K" '{"ref":"x"}'
expect_status "::/0 admits every address" 200
admin PUT "/api/v1/triggers/$R/webhooks/ip-allowlist" '{"cidrs":[]}'
hit "$K" '{"ref":"x"}'
expect "enabled with no CIDRs admits no one (fail closed)" 403 '.error.code == "ip_not_allowed"'
admin PUT "/api/v1/triggers/$R/webhooks/ip-allowlist" '{"cidrs":["300.1.1.1/8"]}'
expect "a malformed CIDR is refused, naming its index" 400 '.error.message | contains("cidrs[0]")'
admin PUT "/api/v1/triggers/$R/webhooks/ip-allowlist" '{"enabled":false}'
expect "the list can be switched off and keeps its CIDRs" 200 '.data.ip_allowlist == {"enabled":false,"cidrs":[]}'
hit "$K" '{"ref":"x"}'
expect_status "with the list off everyone is admitted" 200

# --- 5. HMAC (seed 002 "Optional Signature Verification") ----------------------
apost "/api/v1/triggers/$R/webhooks/hmac/enable"
expect "enable HMAC: a secret is generated and shown once" 200 '.data.hmac.enabled == true and .data.hmac.secret_set == true and (.data.hmac.secret | startswith("whsec_"))'
SEC=$(jget .data.hmac.secret)
expect_json "a new trigger signs timestamped" '.data.hmac.scheme == "timestamped"'
admin GET "/api/v1/triggers/$R"
expect_json "the secret is never shown again" '.data.hmac | has("secret") | not'
B='{"ref":"refs/heads/main"}'

# The timestamped scheme (issue 8): X-Webhook-Timestamp inside the MAC.
now=$(date +%s)
TSIG="X-Webhook-Signature: sha256=$(hmac sha256 "$SEC" "$now.$B")"
hit "$K" "$B" -H "X-Webhook-Timestamp: $now" -H "$TSIG" -H "X-Webhook-Delivery-Id: ts1-$RUN"
expect "timestamped: HMAC of \"<X-Webhook-Timestamp>.<body>\" is accepted" 200 '(.data.event_id | test("^[0-9a-f-]{36}$")) and .data.duplicate == null'
ET=$(jget .data.event_id)
hit "$K" "$B" -H "X-Webhook-Timestamp: $now" -H "$TSIG" -H "X-Webhook-Delivery-Id: ts2-$RUN"
expect "timestamped: the captured request with another delivery id makes no second event" 200 ".data.event_id == \"$ET\" and .data.duplicate == true"
hit "$K" "$B" -H "X-Webhook-Timestamp: $now" -H "X-Webhook-Signature: sha256=$(hmac sha256 "$SEC" "$now.$B" | tr a-f A-F)"
expect "timestamped: the same MAC spelled in upper case is the same request" 200 ".data.event_id == \"$ET\" and .data.duplicate == true"
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_events WHERE trigger_ref = '$R' AND metadata->>'delivery_id' LIKE 'ts%-$RUN'")
[ "$n" = 1 ] && ok "timestamped: one event for the request and its replays" || fail "timestamped: one event for the request and its replays" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.webhook_requests WHERE kind = 'trigger' AND source = '$R' AND outcome = 'duplicate'")
[ "$n" = 2 ] && ok "timestamped: the replays are audited as duplicates" || fail "timestamped: the replays are audited as duplicates" "$n"
B2='{"ref":"refs/heads/second"}'
hit "$K" "$B2" -H "X-Webhook-Timestamp: $now" -H "X-Webhook-Signature: sha256=$(hmac sha256 "$SEC" "$now.$B2")"
expect "timestamped: another body at the same second is another event" 200 ".data.event_id != \"$ET\" and .data.duplicate == null"
old=$((now - 301))
hit "$K" "$B" -H "X-Webhook-Timestamp: $old" -H "X-Webhook-Signature: sha256=$(hmac sha256 "$SEC" "$old.$B")"
expect "timestamped: a timestamp 301 s old is 401 timestamp_expired" 401 '.error.code == "timestamp_expired"'
hit "$K" "$B" -H "X-Webhook-Timestamp: $((now + 1))" -H "$TSIG"
expect "timestamped: another timestamp than the signed one is 401" 401 '.error.code == "invalid_signature"'
hit "$K" "$B" -H "X-Webhook-Signature: sha256=$(hmac sha256 "$SEC" "$B")"
expect "timestamped: a body-only signature is refused" 401 '.error.code == "invalid_signature"'
hit "$K" "$B" -H "X-Webhook-Timestamp: $now" -H "X-Webhook-Signature: sha256=$(hmac sha256 "$SEC" "$B")"
expect "timestamped: a body-only signature beside a timestamp is refused" 401 '.error.code == "invalid_signature"'

# The seed's own body-only scheme, selected per trigger.
admin POST "/api/v1/triggers/$R/webhooks/hmac/enable" '{"scheme":"body"}'
expect "the body scheme can be selected; the secret is kept" 200 '.data.hmac.scheme == "body" and .data.hmac.secret_set == true and (.data.hmac | has("secret") | not)'
admin POST "/api/v1/triggers/$R/webhooks/hmac/enable" '{"scheme":"none"}'
expect "an unknown scheme is refused" 400 '.error.code == "invalid_field"'
hit "$K" "$B" -H "X-Webhook-Signature: sha256=$(hmac sha256 "$SEC" "$B")"
expect_status "seed: X-Webhook-Signature: sha256=<hex>" 200
hit "$K" "$B" -H "X-Webhook-Signature: $(hmac sha256 "$SEC" "$B")"
expect_status "seed: bare hex" 200
hit "$K" "$B" -H "X-Hub-Signature-256: sha256=$(hmac sha256 "$SEC" "$B")"
expect_status "seed: X-Hub-Signature-256" 200
hit "$K" "$B"
expect "no signature: 401 invalid_signature" 401 '.error.code == "invalid_signature"'
hit "$K" "$B" -H "X-Webhook-Signature: sha256=$(hmac sha256 wrong-secret "$B")"
expect "a wrong signature: 401" 401 '.error.code == "invalid_signature"'
hit "$K" '{"ref":"refs/heads/evil"}' -H "X-Webhook-Signature: sha256=$(hmac sha256 "$SEC" "$B")"
expect "a signature of another body: 401" 401 '.error.code == "invalid_signature"'
hit "$K" 'not json' -H "X-Webhook-Signature: sha256=00"
expect "order 5 before 6: bad signature and bad JSON is 401" 401 '.error.code == "invalid_signature"'
hit "$K" 'not json' -H "X-Webhook-Signature: sha256=$(hmac sha256 "$SEC" 'not json')"
expect "6: a signed body that is not JSON is 400 invalid_json" 400 '.error.code == "invalid_json"'
hit "$K" "$B" -H "X-Webhook-Signature: sha256=$(hmac sha256 "$SEC" "$B")" -H "X-Webhook-Delivery-Id: body1-$RUN"
E1=$(jget .data.event_id)
hit "$K" "$B" -H "X-Webhook-Signature: sha256=$(hmac sha256 "$SEC" "$B")" -H "X-Webhook-Delivery-Id: body2-$RUN"
expect "body: as documented, a captured request replays with another delivery id" 200 ".data.event_id != \"$E1\" and .data.duplicate == null"
now=$(date +%s)
hit "$K" "$B" -H "X-Webhook-Timestamp: $now" -H "X-Webhook-Signature: sha256=$(hmac sha256 "$SEC" "$now.$B")" -H "X-Webhook-Delivery-Id: body3-$RUN"
expect "body: a timestamped signature is accepted too (senders move first)" 200 '.data.event_id | test("^[0-9a-f-]{36}$")'
ET=$(jget .data.event_id)
hit "$K" "$B" -H "X-Webhook-Timestamp: $now" -H "X-Webhook-Signature: sha256=$(hmac sha256 "$SEC" "$now.$B")" -H "X-Webhook-Delivery-Id: body4-$RUN"
expect "body: ... and then guarded against replays like the timestamped scheme" 200 ".data.event_id == \"$ET\" and .data.duplicate == true"
admin POST "/api/v1/triggers/$R/webhooks/hmac/enable" '{"algorithm":"sha512","secret":"seed-002-secret"}'
expect "HMAC with a chosen algorithm and secret; the scheme is kept" 200 '.data.hmac.algorithm == "sha512" and .data.hmac.scheme == "body" and (.data.hmac | has("secret") | not)'
hit "$K" "$B" -H "X-Webhook-Signature: sha512=$(hmac sha512 seed-002-secret "$B")"
expect_status "SHA-512" 200
hit "$K" "$B" -H "X-Webhook-Signature: sha256=$(hmac sha256 seed-002-secret "$B")"
expect "a SHA-256 signature on a SHA-512 trigger is refused" 401 '.error.code == "invalid_signature"'
admin POST "/api/v1/triggers/$R/webhooks/hmac/enable" '{"algorithm":"sha1"}'
hit "$K" "$B" -H "X-Hub-Signature: sha1=$(hmac sha1 seed-002-secret "$B")"
expect_status "SHA-1 in X-Hub-Signature, the secret kept" 200
admin POST "/api/v1/triggers/$R/webhooks/hmac/enable" '{"algorithm":"md5"}'
expect "an unknown algorithm is refused" 400 '.error.code == "invalid_field"'
apost "/api/v1/triggers/$R/webhooks/hmac/disable"
expect "disable HMAC keeps the secret" 200 '.data.hmac == {"enabled":false,"algorithm":"sha1","scheme":"body","dedupe":"mac","secret_set":true}'
hit "$K" "$B"
expect_status "without HMAC unsigned events pass" 200
admin POST "/api/v1/triggers/$R/webhooks/hmac/enable" '{"algorithm":"sha256","secret":"seed-002-secret"}'

# --- 6. schema -----------------------------------------------------------------
S='{"ref":"refs/heads/main","commits":[{"id":"a"},{"id":7}]}'
hit "$K" "$S" -H "X-Webhook-Signature: sha256=$(hmac sha256 seed-002-secret "$S")"
expect "a payload failing payload_schema is 400 with the failing path" 400 \
  '.error.code == "invalid_payload" and .error.path == "$.commits[1].id" and (.error.message | contains("$.commits[1].id"))'
S='{"commits":[]}'
hit "$K" "$S" -H "X-Webhook-Signature: sha256=$(hmac sha256 seed-002-secret "$S")"
expect "a missing required member is reported at its path" 400 '.error.path == "$.ref"'
deep=$(printf '{"a":%.0s' $(seq 1 40))1$(printf '}%.0s' $(seq 1 40))
hit "$K" "$deep" -H "X-Webhook-Signature: sha256=$(hmac sha256 seed-002-secret "$deep")"
expect "a body nested 40 deep is 400 invalid_json" 400 '.error.code == "invalid_json"'

# --- 4. rate limit, and its place in the order ---------------------------------
L=rl$RUN.limited
trigger_new "$L"
LK=$KEY
admin PUT "/api/v1/triggers/$L/webhooks/rate-limit" '{"requests":3,"window_seconds":60}'
expect "configure the rate limit" 200 '.data.rate_limit == {"enabled":true,"requests":3,"window_seconds":60}'
admin PUT "/api/v1/triggers/$L/webhooks/ip-allowlist" '{"cidrs":["10.0.0.0/8"]}'
for i in 1 2 3 4 5; do hit "$LK" '{"n":0}'; done
expect "refused by the allow list: 403, not 429" 403 '.error.code == "ip_not_allowed"'
admin PUT "/api/v1/triggers/$L/webhooks/ip-allowlist" '{"enabled":false}'
hit "$LK" '{"n":1}'; s1=$STATUS
hit "$LK" '{"n":2}'; s2=$STATUS
hit "$LK" '{"n":3}'; s3=$STATUS
[ "$s1$s2$s3" = 200200200 ] && ok "requests refused before the limiter did not use up the limit" || fail "requests refused before the limiter did not use up the limit" "$s1 $s2 $s3"
hit "$LK" '{"n":4}'
expect "the 4th request in the window is 429 rate_limited" 429 '.error.code == "rate_limited"'
ra=$(header Retry-After)
[ -n "$ra" ] && [ "$ra" -ge 1 ] && [ "$ra" -le 60 ] && ok "429 carries Retry-After ($ra s)" || fail "429 carries Retry-After" "$HDRS"
admin PUT "/api/v1/triggers/$L/webhooks/ip-allowlist" '{"cidrs":["10.0.0.0/8"]}'
hit "$LK" '{"n":5}'
expect "order 3 before 4: a disallowed IP is 403 even when limited" 403 '.error.code == "ip_not_allowed"'
admin PUT "/api/v1/triggers/$L/webhooks/ip-allowlist" '{"enabled":false}'
admin POST "/api/v1/triggers/$L/webhooks/hmac/enable" '{"secret":"limited-secret","scheme":"body"}'
hit "$LK" '{"n":6}' -H 'X-Webhook-Signature: sha256=00'
expect "order 4 before 5: limited with a bad signature is 429" 429 '.error.code == "rate_limited"'
admin POST "/api/v1/triggers/$L/webhooks/keys" '{"label":"other"}'
LK2=$(jget .data.key)
hit "$LK2" '{"n":7}' -H "X-Webhook-Signature: sha256=$(hmac sha256 limited-secret '{"n":7}')"
expect_status "the limit is per key: another key of the trigger is not limited" 200
admin PUT "/api/v1/triggers/$L/webhooks/rate-limit" '{"enabled":false}'
expect_json "the limit can be switched off" '.data.rate_limit.enabled == false and .data.rate_limit.requests == 3'
hit "$LK" '{"n":8}' -H "X-Webhook-Signature: sha256=$(hmac sha256 limited-secret '{"n":8}')"
expect_status "with the limit off the key is admitted" 200
admin PUT "/api/v1/triggers/$L/webhooks/rate-limit" '{"requests":0}'
expect "a limit of 0 requests is refused" 400 '.error.code == "invalid_field"'

# --- no usable secret: refuse, never skip ----------------------------------------
N=ns$RUN.nosecret
trigger_new "$N" '"preset":"github"'
admin GET "/api/v1/triggers/$N"
expect_json "a preset trigger starts with HMAC on and no secret" '.data.hmac == {"enabled":true,"algorithm":"sha256","scheme":"timestamped","dedupe":"mac","secret_set":false}'
admin POST "/api/v1/triggers/$N/webhooks/hmac/enable" '{"scheme":"body"}'
expect "a preset trigger takes no scheme of hookpost's" 400 '.error.code == "invalid_field" and (.error.message | contains("github"))'
hit "$KEY" '{"ref":"x"}' -H "X-Hub-Signature-256: sha256=$(hmac sha256 '' '{"ref":"x"}')"
expect "HMAC enabled with no secret refuses everything" 401 '.error.code == "invalid_signature" and (.error.message | contains("no usable secret"))'

# --- dedupe (no preset: X-Webhook-Delivery-Id, webhook-id) ----------------------
D=dd$RUN.dedupe
trigger_new "$D"
# A subscriber for the trigger's outbound events (issue 3); without one,
# emit writes nothing (issue 13, checked below).
seal=unused
dsub=$(psql_q "INSERT INTO hookpost.subscriptions (owner_id, name, url, events, secret_enc, status, all_owners) VALUES ('dd-$RUN', 'dedupe $RUN', 'https://example.com/h', '{$D}', '$seal', 'active', true) RETURNING id")
hit "$KEY" '{"x":1}' -H 'X-Webhook-Delivery-Id: delivery-1'
expect "a first delivery makes an event" 200 '.data.duplicate == null'
E1=$(jget .data.event_id)
hit "$KEY" '{"x":1}' -H 'X-Webhook-Delivery-Id: delivery-1'
expect "the same delivery again: 200 with the first event's id" 200 ".data.event_id == \"$E1\" and .data.duplicate == true"
hit "$KEY" '{"x":1}' -H 'webhook-id: delivery-1'
expect "webhook-id names deliveries too" 200 ".data.event_id == \"$E1\""
hit "$KEY" '{"x":2}' -H 'X-Webhook-Delivery-Id: delivery-2'
expect "another delivery id is another event" 200 ".data.event_id != \"$E1\""
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_events WHERE trigger_ref = '$D'")
o=$(psql_q "SELECT count(*) FROM hookpost.events WHERE event_type = '$D'")
[ "$n" = 2 ] && [ "$o" = 2 ] && ok "duplicates make no second event, inbound or outbound" || fail "duplicates make no second event" "$n events, $o emitted"
psql_q "DELETE FROM hookpost.subscriptions WHERE id = '$dsub'" >/dev/null
hit "$KEY" '{"x":4}' -H 'X-Webhook-Delivery-Id: delivery-4'
expect "with no subscriber, an event is still accepted" 200 '.data.duplicate == null'
E4=$(jget .data.event_id)
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_events WHERE id = '$E4' AND request_id IS NOT NULL AND http_status = 200 AND body_size = 7")
o=$(psql_q "SELECT count(*) FROM hookpost.events WHERE event_type = '$D' AND object_id = '$E4'")
a=$(psql_q "SELECT count(*) FROM hookpost.webhook_requests WHERE kind = 'trigger' AND source = '$D' AND outcome = 'accepted'")
v=$(psql_q "SELECT count(*) FROM hookpost.requests WHERE kind = 'trigger' AND source = '$D' AND outcome = 'accepted' AND http_status = 200")
[ "$n/$o/$a/$v" = 1/0/0/3 ] && ok "one row per accepted request: the event is its audit row, and no outbox row nobody takes" || fail "one row per accepted request" "event $n, outbox $o, webhook_requests $a, requests $v (want 1/0/0/3)"
hit "$KEY" '{"x":3}'
hit "$KEY" '{"x":3}'
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_events WHERE trigger_ref = '$D'")
[ "$n" = 5 ] && ok "without a delivery id every request is an event" || fail "without a delivery id every request is an event" "$n"

# --- payload mapping (seed "Payload Transformation") ----------------------------
M=map$RUN.push
trigger_new "$M" '"payload_mapping":{"commit_sha":"$.head_commit.id","branch":"$.ref","author":"$.head_commit.author.name","first":"$.commits[0].id","repo":"$.repository[\"full name\"]","none":"$.missing"}'
hit "$KEY" '{"ref":"refs/heads/main","head_commit":{"id":"6113728f","author":{"name":"Monalisa Octocat"}},"commits":[{"id":"c1"}],"repository":{"full name":"octo/hello"}}'
E=$(jget .data.event_id)
admin GET "/api/v1/events/$E"
expect "the mapping builds the event payload" 200 '.data.payload == {"commit_sha":"6113728f","branch":"refs/heads/main","author":"Monalisa Octocat","first":"c1","repo":"octo/hello","none":null}'
admin PUT "/api/v1/triggers/$M" '{"payload_mapping":null}'
expect "a mapping can be removed" 200 '.data.payload_mapping == null'
hit "$KEY" '{"ref":"refs/heads/dev"}'
admin GET "/api/v1/events/$(jget .data.event_id)"
expect_json "without a mapping the payload passes through" '.data.payload == {"ref":"refs/heads/dev"}'

# --- the key itself is repeated nowhere ------------------------------------------
# It is a bearer secret: only the trigger's own webhook routes show it.
for path in "/api/v1/events?trigger=$R&limit=500" "/api/v1/events/$E0" \
    "/api/v1/triggers/$R/stats" "/api/audit/webhooks?source=$R&limit=200" /metrics; do
	admin GET "$path"
	case $BODY in
	*"$K"*) fail "the key is not in GET ${path%%\?*}" "$BODY" ;;
	*) [ "$STATUS" = 200 ] && ok "the key is not in GET ${path%%\?*}" || fail "GET $path" "$STATUS $BODY" ;;
	esac
done
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_events WHERE metadata::text LIKE '%$K%' OR payload::text LIKE '%$K%'")
[ "$n" = 0 ] && ok "no event stores the key" || fail "no event stores the key" "$n"
n=$(grep -c "POST /api/v1/webhooks/wh_\.\.\. " "$HOOKPOST_VAR"/log/*access.log 2>/dev/null | awk -F: '{ n += $NF } END { print n + 0 }')
if [ "$SERVER" != apache-cgi ] && [ "$n" -lt 20 ]; then
	fail "the access log has the receiver's requests, without their key" "$n"
elif f=$(grep -rlF "$K" "$HOOKPOST_VAR/log" 2>/dev/null); then
	fail "the key is in no log, the web server's access log included" "$f"
else
	ok "the key is in no log, the web server's access log included"
fi

# --- audit and metrics ------------------------------------------------------------
for c in payload_too_large ip_not_allowed invalid_signature invalid_json invalid_payload; do
	n=$(audit_count "$R" "$c")
	[ "$n" -ge 1 ] && ok "the audit log records $c" || fail "the audit log records $c" "$n"
done
n=$(audit_count "$L" rate_limited)
[ "$n" = 2 ] && ok "the audit log records rate_limited" || fail "the audit log records rate_limited" "$n"
admin GET "/api/audit/webhooks?source=$R&limit=200"
expect "the audit API lists trigger requests" 200 '(.data | length) >= 20 and all(.data[]; .kind == "trigger")'
m=$(curl -s "$BASE/metrics" | grep -F "webhook_errors_total{source=\"$L\",code=\"rate_limited\"}" | awk '{print $2}')
[ "$m" = 2 ] && ok "/metrics counts trigger refusals by code" || fail "/metrics counts trigger refusals by code" "$m"
m=$(curl -s "$BASE/metrics" | grep -F "webhook_received_total{source=\"$D\",status=\"duplicate\"}" | awk '{print $2}')
[ "$m" = 2 ] && ok "/metrics counts duplicates" || fail "/metrics counts duplicates" "$m"
m=$(curl -s "$BASE/metrics" | grep -F "webhook_received_total{source=\"$D\",status=\"accepted\"}" | awk '{print $2}')
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_events WHERE trigger_ref = '$D'")
[ "$m" = "$n" ] && [ "$n" = 5 ] && ok "/metrics counts accepted events, whose audit row is the event" || fail "/metrics counts accepted trigger requests" "$m of $n"

# --- the receiver's copies of keys (issue 13) ---------------------------------------
# Every handler process keeps the keys it has read; a change to the key or
# its trigger takes effect at the very next request all the same.
C=cc$RUN.cache
trigger_new "$C"
i=0; while [ $i -lt 24 ]; do hit "$KEY" "{\"n\":$i}" >/dev/null; i=$((i + 1)); done
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_events WHERE trigger_ref = '$C'")
[ "$n" = 24 ] && ok "setup: 24 events, the key now cached by the handler processes" || fail "setup: 24 events" "$n"
admin PUT "/api/v1/triggers/$C/webhooks/payload-limit" '{"kb":1}'
hit "$KEY" "{\"a\":\"$(head -c 1100 /dev/zero | tr '\0' 'a')\"}"
expect "a lowered payload limit holds at once" 413 '.error.code == "payload_too_large" and (.error.message | contains("1024"))'
apost "/api/v1/triggers/$C/webhooks/hmac/enable" '{"algorithm":"sha256","secret":"cache-secret"}'
hit "$KEY" '{"n":"unsigned"}'
expect "HMAC turned on holds at once: an unsigned request is refused" 401 '.error.code == "invalid_signature"'
apost "/api/v1/triggers/$C/webhooks/hmac/disable"
hit "$KEY" '{"n":"again"}'
expect "HMAC turned off holds at once" 200 '.data.event_id != null'
old=$KEY
apost "/api/v1/triggers/$C/webhooks/regenerate"
new=$(jget .data.webhook_key)
ok_all=1
for i in 1 2 3 4 5 6 7 8; do
	hit "$old" '{"n":"old"}'
	[ "$STATUS" = 404 ] || ok_all=0
done
[ $ok_all = 1 ] && ok "a revoked key is unknown at once, in every handler process" || fail "a revoked key is unknown at once" "$STATUS $BODY"
hit "$new" '{"n":"new"}'
expect "the new key works" 200 '.data.event_id != null'
apost "/api/v1/triggers/$C/webhooks/disable"
hit "$new" '{"n":"off"}'
expect "webhooks disabled: the key is unknown at once" 404 '.error.code == "not_found"'
