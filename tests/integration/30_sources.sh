#!/bin/sh
# Inbound source management (seed 004 "Registering Webhook Sources").
. "$TOP/tests/lib.sh"

S=eg-$RUN
# The seed's own request: no Content-Type, so curl sends form-urlencoded.
req POST /api/webhooks -H "Authorization: Bearer $TOKEN" -d "{
    \"source\": \"$S\",
    \"secret\": \"your-secret-key\",
    \"auto_triage\": true,
    \"playbook\": \"phishing_triage\"
  }"
expect "the seed's create request is 201" 201 ".source == \"$S\" and .auto_triage == true and .playbook == \"phishing_triage\""
expect_json "a given secret is not echoed" 'has("secret") | not'
expect_json "defaults: format auto, mode sync, enabled" '.format == "auto" and .mode == "sync" and .enabled == true'

admin POST /api/webhooks "{\"source\":\"$S\",\"secret\":\"another-secret\"}"
expect "creating an existing source is 409" 409 '.error.code == "conflict"'

for bad in 'Bad-Name' '-lead' 'a b' "$(printf 'x%.0s' $(seq 1 65))" ''; do
	admin POST /api/webhooks "{\"source\":\"$bad\",\"secret\":\"your-secret-key\"}"
	expect "source name '$(printf '%.12s' "$bad")' is 400" 400 '.error.code == "invalid_field"'
done

admin POST /api/webhooks "{\"source\":\"x-$RUN\",\"secret\":\"your-secret-key\",\"colour\":1}"
expect "an unknown field is 400 invalid_field" 400 '.error.code == "invalid_field" and (.error.message | contains("colour"))'
admin POST /api/webhooks "{\"source\":\"x-$RUN\",\"secret\":\"your-secret-key\",\"playbook\":\"no_such_book\"}"
expect "an unknown playbook is 400" 400 '.error.code == "invalid_field"'
admin POST /api/webhooks "{\"source\":\"x-$RUN\",\"secret\":\"your-secret-key\",\"severity_mapping\":{\"high\":\"urgent\"}}"
expect "a severity_mapping to an unknown level is 400" 400 '.error.code == "invalid_field"'
admin POST /api/webhooks "{\"source\":\"x-$RUN\",\"secret\":\"your-secret-key\",\"mode\":\"later\"}"
expect "an unknown mode is 400" 400 '.error.code == "invalid_field"'
admin POST /api/webhooks '{"source":'
expect "malformed JSON is 400 invalid_json" 400 '.error.code == "invalid_json"'
admin POST /api/webhooks "{\"source\":\"x-$RUN\",\"source\":\"y-$RUN\",\"secret\":\"your-secret-key\"}"
expect "duplicate keys are 400" 400 '.error.code == "invalid_json"'
req POST /api/webhooks -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/xml' -d '<a/>'
expect "an XML body is 415" 415 '.error.code == "unsupported_media_type"'

G=gen-$RUN
admin POST /api/webhooks "{\"source\":\"$G\"}"
expect "without a secret one is generated and shown once" 201 '.secret | startswith("whsec_")'
admin GET "/api/webhooks/$G"
expect "get never shows the secret" 200 "(has(\"secret\") | not) and .source == \"$G\""
n=$(psql_q "SELECT count(*) FROM hookpost.sources WHERE name = '$G' AND secret_enc LIKE 'v1:%' AND secret_enc NOT LIKE '%whsec%'")
[ "$n" = 1 ] && ok "secrets are encrypted at rest" || fail "secrets are encrypted at rest" "$n"

admin GET /api/webhooks?limit=1
expect "list pages with a cursor" 200 '(.data | length) == 1 and (.next_cursor | type) == "string"'
C=$(jget .next_cursor)
admin GET "/api/webhooks?limit=1&cursor=$C"
expect "the next page differs" 200 "(.data | length) == 1"
admin GET "/api/webhooks?limit=0"
expect "limit 0 is 400" 400 '.error.code == "invalid_field"'

admin PUT "/api/webhooks/$S" '{"auto_triage":false,"severity_mapping":{"high":"critical"},"format":"defender"}'
expect "PUT updates in place" 200 '.auto_triage == false and .severity_mapping.high == "critical" and .format == "defender" and .playbook == "phishing_triage"'
admin PUT "/api/webhooks/$S" '{"playbook":null}'
expect "PUT with playbook null clears it" 200 '.playbook == null'

admin PUT "/api/webhooks/$G" '{"rotate_secret":true}'
expect "rotation returns the new secret once" 200 '.secret | startswith("whsec_")'
NEW=$(jget .secret)
hook "$G" "$NEW" '{"event_type":"test","data":{}}'
expect_status "the rotated secret verifies" 200

admin PUT "/api/webhooks/$G" '{"secret":"a-brand-new-secret"}'
expect "PUT with a secret sets it without echo" 200 'has("secret") | not'
hook "$G" "$NEW" '{"event_type":"test","data":{"n":2}}'
expect "the previous secret stops working at once" 401 '.error.code == "invalid_signature"'

U=up-$RUN
admin PUT "/api/webhooks/$U" '{"secret":"upsert-secret-1","mode":"queue"}'
expect "PUT creates a missing source (upsert)" 201 ".source == \"$U\" and .mode == \"queue\""

admin DELETE "/api/webhooks/$U"
expect_status "delete is 204" 204
admin DELETE "/api/webhooks/$U"
expect "delete again is 404" 404 '.error.code == "not_found"'
admin GET "/api/webhooks/$U"
expect "a deleted source is gone" 404 '.error.code == "not_found"'
