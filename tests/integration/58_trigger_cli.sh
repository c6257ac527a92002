#!/bin/sh
# `hookpost trigger ...` against the server under test (issue 3: triggers
# and their security settings "through the API and CLI").
. "$TOP/tests/lib.sh"
. "$TOP/tests/data/triggers/helpers.sh"

export HOOKPOST_URL=$BASE HOOKPOST_TOKEN=$TOKEN
hp() { OUT=$("$TOP/bin/hookpost" "$@" 2>/tmp/hp.err.$$); RC=$?; ERR=$(cat /tmp/hp.err.$$); rm -f /tmp/hp.err.$$; }
has() { case $OUT in *"$2"*) ok "$1" ;; *) fail "$1" "rc=$RC out=$OUT err=$ERR" ;; esac; }
rc_is() { [ "$RC" = "$2" ] && ok "$1" || fail "$1" "rc=$RC (want $2) out=$OUT err=$ERR"; }

C=cli$RUN.deploy_complete
schema=$(mktemp)
cat >"$schema" <<'JSON'
{"type":"object","properties":{"environment":{"type":"string","enum":["dev","staging","production"]},"version":{"type":"string"},"deployed_by":{"type":"string"},"status":{"type":"string","enum":["success","failure"]}},"required":["environment","status"]}
JSON
hp trigger create "$C" --description "Triggered when application deployment completes" --schema "$schema" --enable
rc_is "trigger create --enable" 0
has "create --enable prints the webhook URL" "/api/v1/webhooks/wh_"
rm -f "$schema"
hp --json trigger show "$C"
rc_is "trigger show" 0
BODY=$OUT
expect_json "show --json is the API's answer" ".data.ref == \"$C\" and .data.payload_schema.required == [\"environment\",\"status\"]"
KEY=$(jget .data.webhook_key)

# seed 002 "Custom Application Events": the CI pipeline's curl.
BODY=$(curl -s -X POST "$BASE/api/v1/webhooks/$KEY" \
  -H "Content-Type: application/json" \
  -d '{
    "environment": "production",
    "version": "v2.1.0",
    "deployed_by": "jenkins",
    "status": "success"
  }')
expect_json "seed: the deployment_complete curl creates an event" '.data.event_id | test("^[0-9a-f-]{36}$")'

hp trigger send "$C" --data '{"environment":"prod","status":"success"}'
rc_is "trigger send exits 1 when refused" 1
has "trigger send prints the refusal" "invalid_payload"
hp trigger hmac "$C" --enable --secret cli-secret-1234
rc_is "trigger hmac --enable --secret" 0
hp trigger send "$C" --data '{"environment":"dev","status":"failure"}' --secret cli-secret-1234
rc_is "trigger send --secret signs as the trigger expects" 0
has "send prints the answer" "event_id"
hp trigger send "$C" --data '{"environment":"dev","status":"failure"}' --secret wrong-secret
rc_is "a wrong --secret is refused" 1
hp trigger hmac "$C" --disable
rc_is "trigger hmac --disable" 0
hp trigger hmac "$C"
rc_is "hmac needs --enable or --disable (usage, 2)" 2

hp trigger key add "$C" --label ci-2
rc_is "trigger key add" 0
hp trigger key list "$C"
has "trigger key list shows both labels" "ci-2"
KID=$(printf '%s\n' "$OUT" | awk '$2 == "default" { print $1 }')
hp trigger key rm "$C" "$KID"
rc_is "trigger key rm" 0
hp --json trigger webhook "$C"
BODY=$OUT
expect_json "one key is left" '.data.keys | length == 1 and .[0].label == "ci-2"'
hp trigger regenerate "$C" --label ci-3
has "trigger regenerate" "previous_key_revoked"
hp trigger rate-limit "$C" --requests 50 --window 30
rc_is "trigger rate-limit" 0
hp trigger rate-limit "$C" --requests lots
rc_is "a bad --requests is usage (2)" 2
hp trigger ip-allowlist "$C" 127.0.0.0/8 ::1/128
has "trigger ip-allowlist" "127.0.0.0/8"
hp trigger ip-allowlist "$C" --enabled false
rc_is "trigger ip-allowlist --enabled false" 0
hp trigger payload-limit "$C" 256
has "trigger payload-limit" "256"
hp --json trigger show "$C"
BODY=$OUT
K0=$(jget .data.webhook_key)
hp trigger disable "$C"
rc_is "trigger disable" 0
hp --json trigger show "$C"
BODY=$OUT
expect_json "after trigger disable the trigger shows no key" '.data.webhook_enabled == false and .data.webhook_key == null'
hp trigger enable "$C"
rc_is "trigger enable" 0
has "trigger enable prints a new key" "wh_"
case $OUT in *"$K0"*) fail "the new key is not the old one" "$OUT" ;; *) ok "the new key is not the old one" ;; esac
hp trigger update "$C" --preset github
has "trigger update --preset" "github"
hp trigger update "$C" --preset none --mapping none
rc_is "trigger update --preset none" 0
hp trigger events --trigger "$C" --limit 5
has "trigger events lists the events" "$C"
EID=$(printf '%s\n' "$OUT" | awk 'NR == 2 { print $1 }')
hp trigger event "$EID"
has "trigger event shows one" "payload"
hp trigger stats "$C"
has "trigger stats" "total_events"
hp trigger list --limit 200
has "trigger list" "$C"

# Owners (seed 002 "keys scoped to identities/organizations").
O=own$RUN.push
hp --json trigger create "$O" --owner "cli-owner-$RUN"
BODY=$OUT
expect_json "trigger create --owner" ".data.owner_id == \"cli-owner-$RUN\""
hp trigger list --owner "cli-owner-$RUN"
has "trigger list --owner shows the owner's" "$O"
case $OUT in *"$C"*) fail "trigger list --owner shows no other's" "$OUT" ;; *) ok "trigger list --owner shows no other's" ;; esac
hp --json trigger update "$O" --owner none
BODY=$OUT
expect_json "trigger update --owner none: no owner" '.data.owner_id == null and .data.ref != null'

# Presets: send signs by the preset's scheme.
G=clig$RUN.push
hp trigger create "$G" --preset standard --enable
hp trigger hmac "$G" --enable
SEC=$(printf '%s\n' "$OUT" | sed -n 's/.*"secret":"\(whsec_[^"]*\)".*/\1/p')
[ -z "$SEC" ] && SEC=$(printf '%s\n' "$OUT" | grep -o 'whsec_[A-Za-z0-9+/=]*' | head -n 1)
has "hmac --enable prints a generated whsec_ secret once" "whsec_"
hp trigger send "$G" --secret "$SEC" --data '{"type":"invoice.paid"}'
rc_is "send signs as a Standard Webhooks sender (webhook-id, -timestamp, -signature)" 0

# --dedupe (stripe and slack presets): sent as hmac.dedupe, shown back.
S=clis$RUN.pay
hp trigger create "$S" --preset stripe --enable
hp --json trigger hmac "$S" --enable --secret cli-stripe-secret-1 --dedupe id
rc_is "hmac --dedupe id" 0
BODY=$OUT
expect_json "hmac --dedupe id is set" '.data.hmac.dedupe == "id"'
hp trigger hmac "$S" --enable --dedupe sometimes
rc_is "hmac --dedupe with a bad value exits 1" 1
case $ERR in *invalid_field*) ok "the bad --dedupe names invalid_field" ;; *) fail "the bad --dedupe names invalid_field" "$ERR" ;; esac
hp trigger hmac "$S" --disable --dedupe mac
rc_is "hmac --disable --dedupe is a usage error" 2
hp trigger rm "$S"

hp trigger show "no$RUN.such"
rc_is "an unknown trigger exits 1" 1
case $ERR in *not_found*) ok "the error names not_found" ;; *) fail "the error names not_found" "$ERR" ;; esac
hp trigger rm "$G"
rc_is "trigger rm" 0
