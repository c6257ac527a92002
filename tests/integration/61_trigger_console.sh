#!/bin/sh
# The console's test webhook tool (seed 002 phase 4 "Real-time webhook
# testing tool"): POST /api/v1/triggers/:ref/webhooks/sign answers the
# headers that sign a body as the trigger's sender would, made on the
# server with the stored secret, which the answer never holds; the
# receiver accepts the signed body (a timestamped signature once).  409
# while verification is off; another owner's trigger is 404.
. "$TOP/tests/lib.sh"
. "$TOP/tests/data/triggers/helpers.sh"

REF="console.sign$RUN"
SECRET="console-secret-$RUN"
B='{"test":"payload","value":123}'

trigger_new "$REF"
admin POST "/api/v1/triggers/$REF/webhooks/sign" "{\"body\":\"x\"}"
expect "sign: 409 while signature verification is off" 409 \
    '.error.code == "conflict"'

admin POST "/api/v1/triggers/$REF/webhooks/hmac/enable" \
    "{\"secret\":\"$SECRET\",\"algorithm\":\"sha256\"}"
expect_status "setup: HMAC on with a secret" 200
BJSON=$(printf '%s' "$B" | jq -Rs .)
admin POST "/api/v1/triggers/$REF/webhooks/sign" "{\"body\":$BJSON}"
expect "sign: the timestamped headers" 200 \
    '.data.scheme == "timestamped" and (.data.headers | keys) ==
     ["X-Webhook-Signature", "X-Webhook-Timestamp"] and
     (.data.headers["X-Webhook-Timestamp"] == (.data.timestamp | tostring))'
case $BODY in *"$SECRET"*) fail "sign: the answer holds no secret" "$BODY" ;;
*) ok "sign: the answer holds no secret" ;; esac
TS=$(jget '.data.headers["X-Webhook-Timestamp"]')
SIG=$(jget '.data.headers["X-Webhook-Signature"]')
WANT=$(printf '%s' "$TS.$B" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
if [ "$SIG" = "sha256=$WANT" ]; then
	ok "sign: HMAC-SHA256 of \"<timestamp>.<body>\" with the stored secret"
else
	fail "sign: HMAC-SHA256 of \"<timestamp>.<body>\" with the stored secret" \
	    "$SIG, want sha256=$WANT"
fi
hit "$KEY" "$B" -H "X-Webhook-Timestamp: $TS" -H "X-Webhook-Signature: $SIG"
expect "the receiver accepts the signed body" 200 \
    '.data.event_id != null and (.data.duplicate | not)'
hit "$KEY" "$B" -H "X-Webhook-Timestamp: $TS" -H "X-Webhook-Signature: $SIG"
expect "the same signature again is a duplicate" 200 '.data.duplicate == true'
hit "$KEY" '{"test":"other"}' -H "X-Webhook-Timestamp: $TS" \
    -H "X-Webhook-Signature: $SIG"
expect "another body under it is refused" 401 '.error.code == "invalid_signature"'

admin POST "/api/v1/triggers/$REF/webhooks/sign" '{}'
expect "sign: body is required" 400 '.error.code == "invalid_field"'
admin POST "/api/v1/triggers/$REF/webhooks/sign" '{"body":"x","secret":"y"}'
expect "sign: an unknown field is refused" 400 '.error.code == "invalid_field"'
admin POST "/api/v1/triggers/$REF/webhook/sign" '{"body":"x"}'
expect_status "sign: seed 002's .../webhook/sign spelling" 200

# A preset signs as its provider: GitHub's X-Hub-Signature-256.
GREF="console.signgh$RUN"
trigger_new "$GREF" "\"preset\":\"github\",\"hmac\":{\"secret\":\"$SECRET\"}"
admin POST "/api/v1/triggers/$GREF/webhooks/sign" "{\"body\":$BJSON}"
WANT=$(printf '%s' "$B" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.*= //')
expect "sign: the github preset's X-Hub-Signature-256" 200 \
    ".data.scheme == \"github\" and
     .data.headers[\"X-Hub-Signature-256\"] == \"sha256=$WANT\""
hit "$KEY" "$B" -H "X-Hub-Signature-256: sha256=$WANT" \
    -H "X-GitHub-Event: push" -H "X-GitHub-Delivery: console-$RUN"
expect "the receiver accepts it" 200 '.data.event_id != null'

# Owners: a user signs for its own triggers only.
admin POST /api/tokens "{\"role\":\"user\",\"owner_id\":\"sign-$RUN\"}"
UTOKEN=$(jget .token)
as "$UTOKEN" POST "/api/v1/triggers/$REF/webhooks/sign" '{"body":"x"}'
expect "sign: another owner's trigger is 404" 404 '.error.code == "not_found"'
UREF="console.signuser$RUN"
as "$UTOKEN" POST /api/v1/triggers \
    "{\"ref\":\"$UREF\",\"hmac\":{\"secret\":\"$SECRET\"}}"
as "$UTOKEN" POST "/api/v1/triggers/$UREF/webhooks/sign" '{"body":"x"}'
expect "sign: the user's own trigger" 200 '.data.headers["X-Webhook-Signature"] != null'
