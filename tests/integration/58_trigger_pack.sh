#!/bin/sh
# `hookpost pack import` and POST /api/v1/packs/import (issue 8, seed 002
# "Pack Definition"): the seed's three example files as printed, loaded
# idempotently (again: nothing changes, and it says so; a changed
# description updates); a pack of triggers; all or nothing; owners.
. "$TOP/tests/lib.sh"
. "$TOP/tests/data/triggers/helpers.sh"

export HOOKPOST_URL=$BASE HOOKPOST_TOKEN=$TOKEN
P=$TOP/tests/data/packs
hp() { OUT=$("$TOP/bin/hookpost" "$@" 2>/tmp/hp.err.$$); RC=$?; ERR=$(cat /tmp/hp.err.$$); rm -f /tmp/hp.err.$$; }
has() { case $OUT in *"$2"*) ok "$1" ;; *) fail "$1" "rc=$RC out=$OUT err=$ERR" ;; esac; }
err_has() { case $ERR in *"$2"*) ok "$1" ;; *) fail "$1" "rc=$RC out=$OUT err=$ERR" ;; esac; }
rc_is() { [ "$RC" = "$2" ] && ok "$1" || fail "$1" "rc=$RC (want $2) out=$OUT err=$ERR"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The seed's refs are fixed (github.push is also the README walkthrough's,
# 59, under lighttpd): start from none of them, and leave none.
SEEDS="github.push stripe.payment_succeeded myapp.deployment_complete"
for r in $SEEDS; do admin DELETE "/api/v1/triggers/$r"; done

# --- the seed's files, verbatim -------------------------------------------------
hp pack import "$P/seed-github-push.yaml" "$P/seed-stripe-payment_succeeded.yaml" "$P/seed-myapp-deployment_complete.yaml"
rc_is "seed: import the three example pack files" 0
has "each is created" "created github.push
created stripe.payment_succeeded
created myapp.deployment_complete
3 created, 0 updated, 0 unchanged"
admin GET /api/v1/triggers/github.push
expect "the trigger is the seed's: description and payload_schema as written" 200 \
  '.data.description == "Triggered when code is pushed to a repository" and .data.payload_schema == {"type":"object","properties":{"ref":{"type":"string","description":"Git reference (branch/tag)"},"commits":{"type":"array","description":"Array of commits"},"repository":{"type":"object","description":"Repository information"}}} and .data.webhook_enabled == false and .data.owner_id == null'
U0=$(psql_q "SELECT string_agg(updated_at::text, ',' ORDER BY ref) FROM hookpost.triggers WHERE ref IN ('github.push','stripe.payment_succeeded','myapp.deployment_complete')")

hp pack import "$P/seed-github-push.yaml" "$P/seed-stripe-payment_succeeded.yaml" "$P/seed-myapp-deployment_complete.yaml"
rc_is "importing again succeeds" 0
has "and says nothing changed" "unchanged github.push
unchanged stripe.payment_succeeded
unchanged myapp.deployment_complete
nothing changed: 3 triggers already as declared"
U1=$(psql_q "SELECT string_agg(updated_at::text, ',' ORDER BY ref) FROM hookpost.triggers WHERE ref IN ('github.push','stripe.payment_succeeded','myapp.deployment_complete')")
[ -n "$U0" ] && [ "$U0" = "$U1" ] && ok "a second import writes no row" || fail "a second import writes no row" "$U0 / $U1"

# The user's part is kept: enabled webhook, key, settings.
apost /api/v1/triggers/myapp.deployment_complete/webhooks/enable
KEY=$(jget .data.webhook_key)
admin PUT /api/v1/triggers/myapp.deployment_complete/webhooks/rate-limit '{"requests":7}'
sed 's/^description: .*/description: "Triggered when a deployment completes (v2)"/' \
    "$P/seed-myapp-deployment_complete.yaml" >"$tmp/deployment_complete.yaml"
hp pack import "$P/seed-github-push.yaml" "$tmp/deployment_complete.yaml"
rc_is "a changed description imports" 0
has "the changed trigger is updated, the other unchanged" "unchanged github.push
updated myapp.deployment_complete
0 created, 1 updated, 1 unchanged"
admin GET /api/v1/triggers/myapp.deployment_complete
expect "the description is the file's; webhook, key and rate limit are kept" 200 \
  ".data.description == \"Triggered when a deployment completes (v2)\" and .data.webhook_enabled == true and .data.webhook_key == \"$KEY\" and .data.rate_limit.requests == 7"
hit "$KEY" '{"environment":"prod","status":"success"}'
expect "the imported payload_schema is in force (enum)" 400 '.error.code == "invalid_payload"'
hit "$KEY" '{"environment":"production","version":"v2.1.0","deployed_by":"jenkins","status":"success"}'
expect "the seed's deployment event passes it" 200 '.data.event_id | test("^[0-9a-f-]{36}$")'

hp --json pack import "$P/seed-github-push.yaml"
rc_is "--json" 0
BODY=$OUT
expect_json "--json prints the server's answer" '.data == {"created":0,"updated":0,"unchanged":1,"triggers":[{"ref":"github.push","id":.data.triggers[0].id,"action":"unchanged"}]}'
for r in $SEEDS; do admin DELETE "/api/v1/triggers/$r"; done

# --- a pack of triggers -----------------------------------------------------------
sed "s/^ref: ci\$/ref: ci$RUN/; s/ref: ci\\.released/ref: ci$RUN.released/" "$P/ci.yaml" >"$tmp/ci.yaml"
hp pack import "$tmp/ci.yaml"
rc_is "a pack file of two triggers" 0
has "a trigger without a ref gets PACK.NAME" "created ci$RUN.build_finished"
admin GET "/api/v1/triggers/ci$RUN.build_finished"
expect "typed YAML became typed JSON in its schema" 200 '.data.payload_schema.properties.duration_s.minimum == 0 and .data.payload_schema.additionalProperties == false and .data.payload_schema.required == ["status"]'
admin GET "/api/v1/triggers/ci$RUN.released"
expect "its mapping is loaded" 200 '.data.payload_mapping == {"version":"$.release.tag_name","url":"$.release.html_url"}'

# --- all or nothing -------------------------------------------------------------------
sed "s/^ref: cibad\$/ref: cibad$RUN/" "$P/ci-bad-second.yaml" >"$tmp/ci-bad-second.yaml"
hp pack import "$tmp/ci-bad-second.yaml"
rc_is "a pack with one bad trigger fails" 1
err_has "the error names the bad trigger's file and line" "ci-bad-second.yaml:8: invalid_field: triggers[1] (cibad$RUN.second): Field 'type' must be one of: webhook"
admin GET "/api/v1/triggers/cibad$RUN.first"
expect "the good trigger before it is not created" 404 '.error.code == "not_found"'
printf 'ref: nd%s.first\ndescription: "fine"\n' "$RUN" >"$tmp/first.yaml"
printf 'ref: nd%s.second\npayload_schema:\n  type: object\n  pattern: "^x"\n' "$RUN" >"$tmp/second.yaml"
hp pack import "$tmp/first.yaml" "$tmp/second.yaml"
rc_is "two files, the second's schema unsupported: fails" 1
err_has "the error names the second file" "second.yaml:1: invalid_field: triggers[1] (nd$RUN.second): payload_schema"
admin GET "/api/v1/triggers/nd$RUN.first"
expect "nothing of the first file is loaded" 404 '.error.code == "not_found"'
admin POST /api/v1/packs/import "{\"triggers\":[{\"ref\":\"dup$RUN.a\"},{\"ref\":\"dup$RUN.a\"}]}"
expect "one ref twice in a pack is 400" 400 '.error.message | contains("triggers[1]") and contains("triggers[0]")'
admin POST /api/v1/packs/import "{\"triggers\":[{\"name\":\"push\",\"ref\":\"nm$RUN.pull\"}]}"
expect "a name that is not the ref's last part is 400" 400 '.error.code == "invalid_field" and (.error.message | contains("last part"))'
admin POST /api/v1/packs/import "{\"triggers\":[{\"ref\":\"hm$RUN.a\",\"hmac\":{\"enabled\":true}}]}"
expect "a pack declares triggers, not their webhook settings" 400 '.error.code == "invalid_field" and (.error.message | contains("hmac"))'
admin POST /api/v1/packs/import '{"triggers":[]}'
expect "an empty pack is 400" 400 '.error.code == "invalid_field"'

# --- owners -----------------------------------------------------------------------------
mktoken() {
	admin POST /api/tokens "{\"name\":\"$1\",\"role\":\"user\",\"owner_id\":\"$1\"}"
	jget .token
}
UA=pka-$RUN UB=pkb-$RUN
TA=$(mktoken "$UA") TB=$(mktoken "$UB")
printf 'ref: pk%s\ntriggers:\n  - name: one\n  - name: two\n' "$RUN" >"$tmp/owned.yaml"
HOOKPOST_TOKEN=$TA hp pack import "$tmp/owned.yaml"
rc_is "a user imports a pack" 0
admin GET "/api/v1/triggers/pk$RUN.one"
expect "its triggers are the user's" 200 ".data.owner_id == \"$UA\""
HOOKPOST_TOKEN=$TA hp pack import "$tmp/owned.yaml"
has "the user imports it again: unchanged" "nothing changed: 2 triggers"
printf 'ref: pk%s\ntriggers:\n  - name: three\n  - name: one\n    description: "taken over?"\n' "$RUN" >"$tmp/theirs.yaml"
HOOKPOST_TOKEN=$TB hp pack import "$tmp/theirs.yaml"
rc_is "another user's pack naming A's trigger fails" 1
err_has "as a ref that exists (409)" "triggers[1] (pk$RUN.one): Trigger 'pk$RUN.one' already exists"
admin GET "/api/v1/triggers/pk$RUN.three"
expect "and creates none of its triggers" 404 '.error.code == "not_found"'
admin GET "/api/v1/triggers/pk$RUN.one"
expect "A's trigger is untouched" 200 '.data.description == "" and .data.owner_id == "'"$UA"'"'
HOOKPOST_TOKEN=$TB hp pack import "$tmp/owned.yaml" --owner "$UA"
rc_is "a user cannot import for another owner" 1
err_has "forbidden" "forbidden"
hp pack import "$tmp/theirs.yaml" --owner "$UB"
rc_is "an admin imports for an owner, and may change any trigger" 0
has "what it creates and what it changes" "created pk$RUN.three
updated pk$RUN.one"
admin GET "/api/v1/triggers/pk$RUN.three"
expect "the created one is the named owner's" 200 ".data.owner_id == \"$UB\""
admin GET "/api/v1/triggers/pk$RUN.one"
expect "a changed one keeps its owner" 200 ".data.owner_id == \"$UA\" and .data.description == \"taken over?\""

# --- the README's packs walkthrough (the seed's stripe file) ------------------------
admin DELETE /api/v1/triggers/stripe.payment_succeeded
readme_walkthrough walkthrough-packs "packs walkthrough" 20 \
    "created stripe.payment_succeeded" "nothing changed: 1 trigger already as declared" "/api/v1/webhooks/wh_"
admin DELETE /api/v1/triggers/stripe.payment_succeeded
expect_status "the walkthrough's trigger was there" 204
