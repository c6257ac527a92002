#!/bin/sh
# Provider presets (issue 3): github, stripe, slack and standard, each
# with its own signature scheme, delivery id and handshake, checked with
# the providers' published examples (tests/data/triggers/providers has
# them all for the unit tests) and with fresh requests signed by each
# provider's documented recipe.
. "$TOP/tests/lib.sh"
. "$TOP/tests/data/triggers/helpers.sh"

now=$(date +%s)

# --- github ------------------------------------------------------------------
G=gh$RUN.push
trigger_new "$G" '"preset":"github"'
GK=$KEY
admin POST "/api/v1/triggers/$G/webhooks/hmac/enable" "{\"secret\":\"It's a Secret to Everybody\"}"
expect "github: set the secret" 200 '.data.preset == "github" and .data.hmac.secret_set == true'
# GitHub Docs "Validating webhook deliveries": the published example.
req POST "/api/v1/webhooks/$GK" -H 'Content-Type: application/json' \
  -H 'X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' \
  --data-binary 'Hello, World!'
expect "github: the docs' example signature verifies (then: not JSON, 400)" 400 '.error.code == "invalid_json"'
req POST "/api/v1/webhooks/$GK" -H 'Content-Type: application/json' \
  -H 'X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' \
  --data-binary 'Hello, World?'
expect "github: the example with the body changed is 401" 401 '.error.code == "invalid_signature"'
P='{"zen":"Design for failure.","hook_id":42,"hook":{"type":"Repository"}}'
hit "$GK" "$P" -H 'X-GitHub-Event: ping' -H "X-GitHub-Delivery: ping-$RUN" \
  -H "X-Hub-Signature-256: sha256=$(hmac sha256 "It's a Secret to Everybody" "$P")"
expect "github: ping is answered with pong" 200 '.data.message == "pong" and .data.hook_id == 42'
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_events WHERE trigger_ref = '$G'")
[ "$n" = 0 ] && ok "github: ping makes no event" || fail "github: ping makes no event" "$n"
P='{"ref":"refs/heads/main","head_commit":{"id":"6113728f27ae82c7b1a177c8d03f9e96e0adf246"}}'
DELIV=72d3162e-cc78-11e3-81ab-$RUN
hit "$GK" "$P" -H 'X-GitHub-Event: push' -H "X-GitHub-Delivery: $DELIV" -H 'X-GitHub-Hook-ID: 42' \
  -H "X-Hub-Signature-256: sha256=$(hmac sha256 "It's a Secret to Everybody" "$P")"
expect "github: a signed push is an event" 200 '.data.event_id | test("^[0-9a-f-]{36}$")'
E=$(jget .data.event_id)
admin GET "/api/v1/events/$E"
expect "github: X-GitHub-Event and X-GitHub-Delivery are kept" 200 \
  ".data.metadata.headers[\"X-GitHub-Event\"] == \"push\" and .data.metadata.headers[\"X-GitHub-Delivery\"] == \"$DELIV\" and .data.metadata.preset == \"github\" and .data.delivery_id == \"$DELIV\" and (.data.metadata.headers | has(\"X-Hub-Signature-256\") | not)"
hit "$GK" "$P" -H 'X-GitHub-Event: push' -H "X-GitHub-Delivery: $DELIV" \
  -H "X-Hub-Signature-256: sha256=$(hmac sha256 "It's a Secret to Everybody" "$P")"
expect "github: a redelivery is the first event" 200 ".data.event_id == \"$E\" and .data.duplicate == true"
hit "$GK" "$P" -H "X-Webhook-Signature: sha256=$(hmac sha256 "It's a Secret to Everybody" "$P")"
expect "github: the preset reads X-Hub-Signature-256 only" 401 '.error.code == "invalid_signature"'

# --- stripe ------------------------------------------------------------------
S=st$RUN.payment_succeeded
trigger_new "$S" '"preset":"stripe","payload_schema":{"type":"object","required":["id","type"]}'
SK=$KEY
admin POST "/api/v1/triggers/$S/webhooks/hmac/enable" '{"secret":"whsec_test_secret"}'
P="{\"id\":\"evt_$RUN\",\"object\":\"event\",\"type\":\"payment_intent.succeeded\",\"data\":{\"object\":{\"amount\":2000,\"currency\":\"usd\"}}}"
v1=$(hmac sha256 whsec_test_secret "$now.$P")
hit "$SK" "$P" -H "Stripe-Signature: t=$now,v1=$v1"
expect "stripe: t=,v1= over \"<t>.<body>\" verifies" 200 '.data.event_id | test("^[0-9a-f-]{36}$")'
E=$(jget .data.event_id)
hit "$SK" "$P" -H "Stripe-Signature: t=$now,v1=$(hmac sha256 whsec_rolled "$now.$P"),v1=$v1,v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"
expect "stripe: several v1 (secret roll), and a resend of the event id is the first event" 200 ".data.event_id == \"$E\" and .data.duplicate == true"
P2="{\"id\":\"evt_old_$RUN\",\"object\":\"event\",\"type\":\"charge.failed\"}"
old=$((now - 301))
hit "$SK" "$P2" -H "Stripe-Signature: t=$old,v1=$(hmac sha256 whsec_test_secret "$old.$P2")"
expect "stripe: 5 minute tolerance (301 s old is 401 timestamp_expired)" 401 '.error.code == "timestamp_expired"'
hit "$SK" "$P2" -H "Stripe-Signature: t=$now,v0=$(hmac sha256 whsec_test_secret "$now.$P2")"
expect "stripe: a v0 signature alone is refused" 401 '.error.code == "invalid_signature"'
hit "$SK" "$P2" -H "Stripe-Signature: t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"
expect "stripe: the docs' example header under another secret is refused" 401 '.error.code == "invalid_signature"'
P3='{"object":"event"}'
hit "$SK" "$P3" -H "Stripe-Signature: t=$now,v1=$(hmac sha256 whsec_test_secret "$now.$P3")"
expect "stripe: the schema still applies (no id)" 400 '.error.path == "$.id"'
# A body without an event id has only its MAC to tell a replay by (issue
# 12): the same signed request again answers the first event.
S2=st$RUN.noid
trigger_new "$S2" '"preset":"stripe"'
S2K=$KEY
admin POST "/api/v1/triggers/$S2/webhooks/hmac/enable" '{"secret":"whsec_test_secret"}'
expect "stripe: dedupe on the MAC is the default" 200 '.data.hmac.dedupe == "mac"'
v1=$(hmac sha256 whsec_test_secret "$now.$P3")
hit "$S2K" "$P3" -H "Stripe-Signature: t=$now,v1=$v1"
expect "stripe: a body without id is an event" 200 '(.data.event_id | test("^[0-9a-f-]{36}$")) and (.data | has("duplicate") | not)'
E=$(jget .data.event_id)
hit "$S2K" "$P3" -H "Stripe-Signature: t=$now,v1=$v1"
expect "stripe: the same request without id again is the first event" 200 ".data.event_id == \"$E\" and .data.duplicate == true"
P4='{"object":"event","type":"other"}'
hit "$S2K" "$P4" -H "Stripe-Signature: t=$now,v1=$(hmac sha256 whsec_test_secret "$now.$P4")"
expect "stripe: another body without id is another event" 200 ".data.event_id != \"$E\" and (.data | has(\"duplicate\") | not)"
admin POST "/api/v1/triggers/$S2/webhooks/hmac/enable" '{"dedupe":"id"}'
expect "stripe: dedupe \"id\" is kept" 200 '.data.hmac.dedupe == "id" and .data.hmac.enabled == true'
P5='{"object":"event","type":"third"}'
v1=$(hmac sha256 whsec_test_secret "$now.$P5")
hit "$S2K" "$P5" -H "Stripe-Signature: t=$now,v1=$v1"
E=$(jget .data.event_id)
hit "$S2K" "$P5" -H "Stripe-Signature: t=$now,v1=$v1"
expect "stripe: with dedupe \"id\" the same request without id is accepted again (README)" 200 ".data.event_id != \"$E\" and (.data | has(\"duplicate\") | not)"
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_events WHERE trigger_ref = '$S2'")
[ "$n" = 4 ] && ok "stripe: 4 events from 5 requests" || fail "stripe: 4 events from 5 requests" "$n"
admin POST "/api/v1/triggers/$S2/webhooks/hmac/enable" '{"dedupe":"body"}'
expect "stripe: dedupe is mac or id" 400 '.error.code == "invalid_field"'
admin POST "/api/v1/triggers/$G/webhooks/hmac/enable" '{"dedupe":"id"}'
expect "github: dedupe is refused (its delivery id dedupes)" 400 '.error.code == "invalid_field" and (.error.message | contains("stripe and slack"))'

# --- slack --------------------------------------------------------------------
L=sl$RUN.events
trigger_new "$L" '"preset":"slack"'
LK=$KEY
admin POST "/api/v1/triggers/$L/webhooks/hmac/enable" '{"secret":"8f742231b10e8888abcd99yyyzzz85a5"}'
# Slack's worked example ("Verifying requests from Slack"), as published:
# authentic, but from 2018, so it is refused as expired, not as forged.
SLASH='token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c'
req POST "/api/v1/webhooks/$LK" -H 'Content-Type: application/x-www-form-urlencoded' \
  -H 'X-Slack-Request-Timestamp: 1531420618' \
  -H 'X-Slack-Signature: v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503' \
  --data-binary "$SLASH"
expect "slack: the docs' example verifies and is refused as too old" 401 '.error.code == "timestamp_expired"'
req POST "/api/v1/webhooks/$LK" -H 'Content-Type: application/x-www-form-urlencoded' \
  -H 'X-Slack-Request-Timestamp: 1531420618' \
  -H 'X-Slack-Signature: v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503' \
  --data-binary "${SLASH}x"
expect "slack: the example with the body changed is forged, not old" 401 '.error.code == "invalid_signature"'
req POST "/api/v1/webhooks/$LK" -H 'Content-Type: application/x-www-form-urlencoded' \
  -H "X-Slack-Request-Timestamp: $now" \
  -H "X-Slack-Signature: v0=$(hmac sha256 8f742231b10e8888abcd99yyyzzz85a5 "v0:$now:$SLASH")" \
  --data-binary "$SLASH"
expect "slack: the same slash command signed now is an event" 200 '.data.event_id | test("^[0-9a-f-]{36}$")'
E=$(jget .data.event_id)
admin GET "/api/v1/events/$E"
expect_json "slack: a form body becomes an object" '.data.payload.command == "/webhook-collect" and .data.payload.user_name == "roadrunner"'
req POST "/api/v1/webhooks/$LK" -H 'Content-Type: application/x-www-form-urlencoded' \
  -H "X-Slack-Request-Timestamp: $now" \
  -H "X-Slack-Signature: v0=$(hmac sha256 8f742231b10e8888abcd99yyyzzz85a5 "v0:$now:$SLASH")" \
  --data-binary "$SLASH"
expect "slack: a slash command (no id) sent again is the first event (MAC dedupe)" 200 ".data.event_id == \"$E\" and .data.duplicate == true"
INTER="payload=%7B%22type%22%3A%22block_actions%22%2C%22trigger_id%22%3A%22$RUN%22%7D"
isig=$(hmac sha256 8f742231b10e8888abcd99yyyzzz85a5 "v0:$now:$INTER")
req POST "/api/v1/webhooks/$LK" -H 'Content-Type: application/x-www-form-urlencoded' \
  -H "X-Slack-Request-Timestamp: $now" -H "X-Slack-Signature: v0=$isig" --data-binary "$INTER"
E2=$(jget .data.event_id)
req POST "/api/v1/webhooks/$LK" -H 'Content-Type: application/x-www-form-urlencoded' \
  -H "X-Slack-Request-Timestamp: $now" -H "X-Slack-Signature: v0=$isig" --data-binary "$INTER"
expect "slack: an interactivity payload sent again is the first event" 200 ".data.event_id == \"$E2\" and .data.event_id != \"$E\" and .data.duplicate == true"
admin PUT "/api/v1/triggers/$L" '{"hmac":{"dedupe":"id"}}'
expect "slack: dedupe \"id\" by PUT" 200 '.data.hmac.dedupe == "id"'
ts1=$((now - 1))
for i in 1 2; do
	req POST "/api/v1/webhooks/$LK" -H 'Content-Type: application/x-www-form-urlencoded' \
	  -H "X-Slack-Request-Timestamp: $ts1" \
	  -H "X-Slack-Signature: v0=$(hmac sha256 8f742231b10e8888abcd99yyyzzz85a5 "v0:$ts1:$SLASH")" \
	  --data-binary "$SLASH"
	eval "E_$i=\$(jget .data.event_id)"
done
[ "$STATUS" = 200 ] && [ -n "$E_1" ] && [ "$E_1" != "$E_2" ] && [ "$E_2" != null ] &&
  ok "slack: with dedupe \"id\" a slash command is accepted twice (README)" ||
  fail "slack: with dedupe \"id\" a slash command is accepted twice" "$E_1 $E_2 $BODY"
admin PUT "/api/v1/triggers/$L" '{"hmac":{"dedupe":"mac"}}'
expect_status "slack: back to dedupe \"mac\"" 200
P='{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}'
hit "$LK" "$P" -H "X-Slack-Request-Timestamp: $now" \
  -H "X-Slack-Signature: v0=$(hmac sha256 8f742231b10e8888abcd99yyyzzz85a5 "v0:$now:$P")"
[ "$STATUS" = 200 ] && [ "$BODY" = '{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}' ] &&
  ok "slack: url_verification's challenge is answered as Slack reads it" || fail "slack: url_verification's challenge is answered" "$STATUS $BODY"
hit "$LK" "$P" -H "X-Slack-Request-Timestamp: $now" -H "X-Slack-Signature: v0=00"
expect "slack: an unsigned url_verification is refused" 401 '.error.code == "invalid_signature"'
P="{\"type\":\"event_callback\",\"event_id\":\"Ev$RUN\",\"event\":{\"type\":\"app_mention\",\"text\":\"hi\"}}"
sig=$(hmac sha256 8f742231b10e8888abcd99yyyzzz85a5 "v0:$now:$P")
hit "$LK" "$P" -H "X-Slack-Request-Timestamp: $now" -H "X-Slack-Signature: v0=$sig"
E=$(jget .data.event_id)
hit "$LK" "$P" -H "X-Slack-Request-Timestamp: $now" -H "X-Slack-Signature: v0=$sig" -H 'X-Slack-Retry-Num: 1'
expect "slack: a retry of the same event_id is the first event" 200 ".data.event_id == \"$E\" and .data.duplicate == true"

# --- standard (Standard Webhooks) ------------------------------------------------
W=sw$RUN.hook
trigger_new "$W" '"preset":"standard"'
WK=$KEY
admin POST "/api/v1/triggers/$W/webhooks/hmac/enable" '{"secret":"not base64!"}'
expect "standard: a secret that is not whsec_<base64> is refused" 400 '.error.message | contains("whsec_")'
SEC=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
admin POST "/api/v1/triggers/$W/webhooks/hmac/enable" "{\"secret\":\"$SEC\"}"
expect_status "standard: set the secret" 200
# The specification's test vector, as published (2021): authentic, old.
req POST "/api/v1/webhooks/$WK" -H 'Content-Type: application/json' \
  -H 'webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek' -H 'webhook-timestamp: 1614265330' \
  -H 'webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' \
  --data-binary '{"test": 2432232314}'
expect "standard: the spec's vector verifies and is refused as too old" 401 '.error.code == "timestamp_expired"'
P='{"type":"invoice.paid","data":{"id":"in_1"}}'
MID=msg_$RUN
sig=$(hmac_b64key "$SEC" "$MID.$now.$P")
hit "$WK" "$P" -H "webhook-id: $MID" -H "webhook-timestamp: $now" -H "webhook-signature: v1,$sig"
expect "standard: id.timestamp.body signed with the decoded secret" 200 '.data.event_id | test("^[0-9a-f-]{36}$")'
E=$(jget .data.event_id)
hit "$WK" "$P" -H "webhook-id: $MID" -H "webhook-timestamp: $now" \
  -H "webhook-signature: v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1,$sig"
expect "standard: several signatures, one matching; webhook-id dedupes" 200 ".data.event_id == \"$E\" and .data.duplicate == true"
hit "$WK" "$P" -H "webhook-id: other-$MID" -H "webhook-timestamp: $now" -H "webhook-signature: v1,$sig"
expect "standard: the id is signed" 401 '.error.code == "invalid_signature"'
old=$((now - 600))
hit "$WK" "$P" -H "webhook-id: old-$MID" -H "webhook-timestamp: $old" \
  -H "webhook-signature: v1,$(hmac_b64key "$SEC" "old-$MID.$old.$P")"
expect "standard: a timestamp 10 minutes old is refused" 401 '.error.code == "timestamp_expired"'
apost "/api/v1/triggers/$W/webhooks/hmac/enable"
expect_json "standard: enabling again keeps the secret (none shown)" '.data.hmac | has("secret") | not'

# --- presets by PUT ---------------------------------------------------------------
admin PUT "/api/v1/triggers/$W" '{"preset":"github"}'
expect "a preset can be changed by PUT" 200 '.data.preset == "github" and .data.hmac.enabled == true'
admin PUT "/api/v1/triggers/$W" '{"preset":null}'
expect "and removed" 200 '.data.preset == null'
