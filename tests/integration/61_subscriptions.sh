#!/bin/sh
# Outbound subscriptions (seed 000 "Create a subscription", "URL
# requirements", secrets, owner scoping): /admin/webhooks/subscriptions.
. "$TOP/tests/lib.sh"
SUBS=/admin/webhooks/subscriptions

# as TOKEN METHOD PATH [json]: a request with another bearer token.
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
ALICE=alice-$RUN BOB=bob-$RUN
AT=$(mktoken "$ALICE"); BT=$(mktoken "$BOB")
URL=https://hooks-$RUN.example.com/tmi

req GET $SUBS
expect "no token is 401" 401 '.error.code == "unauthorized"'

# The seed's own request and response shape.
admin POST $SUBS "{\"name\":\"My Integration\",\"url\":\"$URL\",\"events\":[\"threat_model.created\",\"threat_model.updated\"],\"secret\":\"your-shared-secret-for-hmac\"}"
expect "the seed's create answers 201 pending_verification" 201 \
    '.status == "pending_verification" and .name == "My Integration" and .url == "'"$URL"'" and .events == ["threat_model.created","threat_model.updated"] and .secret == "your-shared-secret-for-hmac"'
expect_json "the response has the seed's fields" \
    'has("id") and has("owner_id") and has("created_at") and has("modified_at") and has("threat_model_id") and .publication_failures == 0 and .last_successful_use == null and .max_concurrency == 4'
expect_json "an admin subscription without owner_id receives all owners' events" '.owner_id == "admin" and .all_owners == true'
S1=$(jget .id)
n=$(psql_q "SELECT count(*) FROM hookpost.subscriptions WHERE id = '$S1' AND secret_enc LIKE 'v1:%' AND strpos(secret_enc, 'your-shared-secret') = 0")
[ "$n" = 1 ] && ok "the secret is stored sealed" || fail "the secret is stored sealed" "$n"

admin GET "$SUBS/$S1"
expect "GET shows the subscription without its secret" 200 ".id == \"$S1\" and (has(\"secret\") | not)"
admin GET "$SUBS?limit=200"
expect "the list has it, without secrets" 200 "(.data | map(select(.id == \"$S1\")) | length) == 1 and (.data | map(has(\"secret\")) | any | not) and has(\"next_cursor\")"

admin POST $SUBS "{\"name\":\"gen\",\"url\":\"$URL\",\"events\":[\"*\"]}"
expect "without a secret one is generated: whsec_ + base64 of 24 bytes" 201 \
    '(.secret | test("^whsec_[A-Za-z0-9+/]{32}$"))'
SG=$(jget .id); GEN=$(jget .secret)

# --- input validation ---
bad() {	# bad NAME JSON [CODE]
	admin POST $SUBS "$2"
	expect "$1" 400 ".error.code == \"${3:-invalid_field}\""
}
bad "missing name is 400" "{\"url\":\"$URL\",\"events\":[\"*\"]}"
bad "empty name is 400" "{\"name\":\"\",\"url\":\"$URL\",\"events\":[\"*\"]}"
long=$(head -c 257 /dev/zero | tr '\0' a)
bad "a 257-byte name is 400" "{\"name\":\"$long\",\"url\":\"$URL\",\"events\":[\"*\"]}"
bad "missing url is 400" '{"name":"x","events":["*"]}'
bad "no events is 400" "{\"name\":\"x\",\"url\":\"$URL\",\"events\":[]}"
bad "an unknown event type is 400" "{\"name\":\"x\",\"url\":\"$URL\",\"events\":[\"threat_model.exploded\"]}"
bad "a pattern of an unknown resource is 400" "{\"name\":\"x\",\"url\":\"$URL\",\"events\":[\"spaceship.*\"]}"
bad "a malformed pattern is 400" "{\"name\":\"x\",\"url\":\"$URL\",\"events\":[\"threat*\"]}"
bad "a non-string event is 400" "{\"name\":\"x\",\"url\":\"$URL\",\"events\":[42]}"
bad "a duplicated event is 400" "{\"name\":\"x\",\"url\":\"$URL\",\"events\":[\"threat.created\",\"threat.created\"]}"
bad "a short secret is 400" "{\"name\":\"x\",\"url\":\"$URL\",\"events\":[\"*\"],\"secret\":\"short\"}"
bad "a negative retry delay is 400" "{\"name\":\"x\",\"url\":\"$URL\",\"events\":[\"*\"],\"retry_schedule\":[-1]}"
bad "a retry delay over a day is 400" "{\"name\":\"x\",\"url\":\"$URL\",\"events\":[\"*\"],\"retry_schedule\":[86401]}"
bad "21 retry delays are 400" "{\"name\":\"x\",\"url\":\"$URL\",\"events\":[\"*\"],\"retry_schedule\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}"
bad "max_concurrency 0 is 400" "{\"name\":\"x\",\"url\":\"$URL\",\"events\":[\"*\"],\"max_concurrency\":0}"
bad "max_concurrency 65 is 400" "{\"name\":\"x\",\"url\":\"$URL\",\"events\":[\"*\"],\"max_concurrency\":65}"
bad "an unknown field is 400" "{\"name\":\"x\",\"url\":\"$URL\",\"events\":[\"*\"],\"evnets\":[]}"
bad "invalid JSON is 400 invalid_json" '{"name":' invalid_json

admin POST $SUBS "{\"name\":\"pat\",\"url\":\"$URL\",\"events\":[\"threat.*\",\"diagram.created\"],\"retry_schedule\":[0,30,300],\"max_concurrency\":8,\"threat_model_id\":\"tm-$RUN\"}"
expect "patterns, retry schedule, concurrency and threat model are kept" 201 \
    '.events == ["threat.*","diagram.created"] and .retry_schedule == [0,30,300] and .max_concurrency == 8 and .threat_model_id == "tm-'"$RUN"'"'
SP=$(jget .id)

# --- URL rules (seed 000; the test config allows http and 127.0.0.0/8) ---
admin POST $SUBS '{"name":"loop","url":"http://127.0.0.1:9/x","events":["*"]}'
expect "http to an allow-listed 127.0.0.1 is accepted" 201 '.url == "http://127.0.0.1:9/x"'
for u in http://10.0.0.1/ http://localhost/ https://169.254.169.254/ \
    https://metadata.google.internal/ http://192.168.1.1/ ftp://hooks.example.com/ \
    'https://user:pw@hooks.example.com/' https://-bad-.example.com/ not-a-url; do
	admin POST $SUBS "{\"name\":\"ssrf\",\"url\":\"$u\",\"events\":[\"*\"]}"
	expect "URL $u is refused" 400 '.error.code == "invalid_field" and (.error.message | test("url"; "i"))'
done

# The deny list (admin): a new entry refuses a matching host at once.
BLOCK=blocked-$RUN.example.net
admin POST /admin/webhooks/deny-list "{\"pattern\":\"*.$BLOCK\",\"pattern_type\":\"glob\",\"description\":\"test $RUN\"}"
expect "admin adds a glob to the deny list" 201 ".pattern == \"*.$BLOCK\" and .pattern_type == \"glob\""
DG=$(jget .id)
admin POST $SUBS "{\"name\":\"denied\",\"url\":\"https://hooks.$BLOCK/x\",\"events\":[\"*\"]}"
expect "a host matching a deny-list glob is refused" 400 '.error.code == "invalid_field" and (.error.message | test("deny"))'
admin POST /admin/webhooks/deny-list "{\"pattern\":\"^evil[0-9]+-$RUN\\\\.example\\\\.org\$\",\"pattern_type\":\"regex\"}"
expect "admin adds a regex to the deny list" 201 '.pattern_type == "regex"'
DR=$(jget .id)
admin POST $SUBS "{\"name\":\"denied\",\"url\":\"https://evil42-$RUN.example.org/\",\"events\":[\"*\"]}"
expect "a host matching a deny-list regex is refused" 400 '.error.code == "invalid_field"'
admin POST /admin/webhooks/deny-list '{"pattern":"([a-z","pattern_type":"regex"}'
expect "an invalid regex is 400" 400 '.error.code == "invalid_field"'
admin POST /admin/webhooks/deny-list "{\"pattern\":\"*.$BLOCK\",\"pattern_type\":\"glob\"}"
expect "a duplicate deny-list entry is 409" 409 '.error.code == "conflict"'
admin GET "/admin/webhooks/deny-list?limit=1000"
expect "the deny list lists the seed's typical entries and ours" 200 \
    "(.data | map(.pattern) | index(\"metadata.google.internal\") != null) and (.data | map(.id) | index($DG) != null)"
as "$AT" GET /admin/webhooks/deny-list
expect "a user token may not read the deny list" 403 '.error.code == "forbidden"'
as "$AT" POST /admin/webhooks/deny-list '{"pattern":"x.example"}'
expect "a user token may not change the deny list" 403 '.error.code == "forbidden"'
admin DELETE "/admin/webhooks/deny-list/$DG"
expect_status "admin removes a deny-list entry" 204
admin DELETE "/admin/webhooks/deny-list/$DR"
admin DELETE "/admin/webhooks/deny-list/$DG"
expect "removing it again is 404" 404 '.error.code == "not_found"'
admin POST $SUBS "{\"name\":\"undenied\",\"url\":\"https://hooks.$BLOCK/x\",\"events\":[\"*\"]}"
expect "without the entry the host is accepted" 201 '.status == "pending_verification"'

# --- owner scoping ---
as "$AT" POST $SUBS "{\"name\":\"alice's\",\"url\":\"$URL\",\"events\":[\"threat_model.*\"]}"
expect "a user creates a subscription under its own owner" 201 ".owner_id == \"$ALICE\" and .all_owners == false and (.secret | startswith(\"whsec_\"))"
SA=$(jget .id)
as "$AT" POST $SUBS "{\"name\":\"x\",\"url\":\"$URL\",\"events\":[\"*\"],\"owner_id\":\"$BOB\"}"
expect "a user may not create for another owner" 403 '.error.code == "forbidden"'
as "$AT" GET "$SUBS/$SA"
expect "the owner reads its subscription" 200 ".id == \"$SA\""
as "$BT" GET "$SUBS/$SA"
expect "another owner gets 404, not 403" 404 '.error.code == "not_found"'
as "$BT" PUT "$SUBS/$SA" '{"name":"stolen"}'
expect "another owner cannot update it (404)" 404 '.error.code == "not_found"'
as "$BT" DELETE "$SUBS/$SA"
expect "another owner cannot delete it (404)" 404 '.error.code == "not_found"'
as "$BT" POST "$SUBS/$SA/test" ''
expect "another owner cannot test it (404)" 404 '.error.code == "not_found"'
as "$BT" GET "$SUBS/$S1"
expect "a user cannot see an admin subscription" 404 '.error.code == "not_found"'
as "$BT" GET "$SUBS?limit=200"
expect "another owner's list does not show it" 200 "(.data | map(.id) | index(\"$SA\")) == null"
as "$AT" GET "$SUBS?limit=200"
expect "the owner's list shows only its own" 200 "(.data | length) >= 1 and (.data | all(.owner_id == \"$ALICE\"))"
as "$AT" GET "$SUBS?owner_id=$BOB"
expect "a user's owner_id filter cannot widen its scope" 200 '.data == []'
admin GET "$SUBS?owner_id=$ALICE"
expect "admin filters by owner" 200 "(.data | map(.id)) == [\"$SA\"]"
admin GET "$SUBS?owner_id=$ALICE&status=active"
expect "admin filters by status" 200 '.data == []'
admin GET "$SUBS/not-a-uuid"
expect "a malformed id is 404" 404 '.error.code == "not_found"'

# --- pagination ---
admin GET "$SUBS?limit=1"
expect "limit=1 gives one row and a cursor" 200 '(.data | length) == 1 and (.next_cursor | type) == "string"'
first=$(jget '.data[0].id'); cur=$(jget .next_cursor)
admin GET "$SUBS?limit=1&cursor=$cur"
expect "the cursor gives the next row" 200 "(.data | length) == 1 and .data[0].id != \"$first\""
admin GET "$SUBS?limit=0"
expect "limit=0 is 400" 400 '.error.code == "invalid_field"'
admin GET "$SUBS?cursor=zz"
expect "a bad cursor is 400" 400 '.error.code == "invalid_field"'

# --- update ---
as "$AT" PUT "$SUBS/$SA" '{"name":"renamed","events":["threat_model.created"],"max_concurrency":2}'
expect "the owner renames and changes events" 200 '.name == "renamed" and .events == ["threat_model.created"] and .max_concurrency == 2 and (has("secret") | not)'
as "$AT" PUT "$SUBS/$SA" '{}'
expect "an empty update is 400" 400 '.error.code == "invalid_field"'
as "$AT" PUT "$SUBS/$SA" '{"events":["nope.nope"]}'
expect "update validates events" 400 '.error.code == "invalid_field"'
as "$AT" PUT "$SUBS/$SA" '{"url":"http://localhost/x"}'
expect "update validates the URL" 400 '.error.code == "invalid_field"'
as "$AT" PUT "$SUBS/$SA" '{"status":"active"}'
expect "a user cannot activate a subscription" 403 '.error.code == "forbidden"'
as "$AT" PUT "$SUBS/$SA" '{"threat_model_id":"tm-a","retry_schedule":[1,2]}'
expect "threat_model_id and retry_schedule are set" 200 '.threat_model_id == "tm-a" and .retry_schedule == [1,2]'
as "$AT" PUT "$SUBS/$SA" '{"threat_model_id":null,"retry_schedule":null}'
expect "null clears threat_model_id and retry_schedule" 200 '.threat_model_id == null and .retry_schedule == null'

psql_q "UPDATE hookpost.subscriptions SET status = 'active', challenge_attempts = 2 WHERE id = '$SA'" >/dev/null
as "$AT" PUT "$SUBS/$SA" '{"name":"same url"}'
expect "an update without a new URL keeps it active" 200 '.status == "active"'
as "$AT" PUT "$SUBS/$SA" "{\"url\":\"https://other-$RUN.example.com/hook\"}"
expect "a changed URL returns to pending_verification" 200 ".status == \"pending_verification\" and .challenge_attempts == 0 and .url == \"https://other-$RUN.example.com/hook\""
admin PUT "$SUBS/$SA" '{"status":"disabled"}'
expect "admin disables a subscription" 200 '.status == "disabled" and .disabled_reason != null'
as "$AT" PUT "$SUBS/$SA" '{"status":"active"}'
expect "a user cannot re-activate a disabled one" 403 '.error.code == "forbidden"'
as "$AT" PUT "$SUBS/$SA" '{"status":"pending_verification"}'
expect "a user asks for a disabled one to be verified again" 200 '.status == "pending_verification" and .disabled_reason == null'
admin PUT "$SUBS/$SA" '{"status":"active"}'
expect "admin activates" 200 '.status == "active"'
admin PUT "$SUBS/$SA" '{"status":"pending_delete"}'
expect "status pending_delete is not settable" 400 '.error.code == "invalid_field"'

# --- secrets: shown once, rotation with grace ---
as "$AT" PUT "$SUBS/$SA" '{"rotate_secret":true}'
expect "rotate_secret shows a new generated secret once" 200 '(.secret | startswith("whsec_")) and .previous_secret_expires_at != null'
R1=$(jget .secret)
n=$(psql_q "SELECT round(extract(epoch FROM previous_secret_expires_at - modified_at)) FROM hookpost.subscriptions WHERE id = '$SA'")
[ "$n" = 86400 ] && ok "the old secret's grace defaults to 24 h" || fail "the old secret's grace defaults to 24 h" "$n"
as "$AT" GET "$SUBS/$SA"
expect "GET after rotation hides the secret" 200 'has("secret") | not'
as "$AT" PUT "$SUBS/$SA" '{"secret":"given-secret-0123456789","grace_seconds":600}'
expect "a given secret rotates too, and is shown" 200 '.secret == "given-secret-0123456789"'
n=$(psql_q "SELECT round(extract(epoch FROM previous_secret_expires_at - modified_at)) FROM hookpost.subscriptions WHERE id = '$SA'")
[ "$n" = 600 ] && ok "grace_seconds sets the grace" || fail "grace_seconds sets the grace" "$n"
[ "$R1" != "$GEN" ] && ok "rotated secrets differ" || fail "rotated secrets differ"
as "$AT" PUT "$SUBS/$SA" '{"secret":"given-secret-0123456789","rotate_secret":true}'
expect "secret and rotate_secret together are 400" 400 '.error.code == "invalid_field"'
as "$AT" PUT "$SUBS/$SA" '{"grace_seconds":60}'
expect "grace_seconds alone is 400" 400 '.error.code == "invalid_field"'
as "$AT" PUT "$SUBS/$SA" '{"rotate_secret":true,"grace_seconds":604801}'
expect "a grace over 7 days is 400" 400 '.error.code == "invalid_field"'
as "$AT" PUT "$SUBS/$SA" '{"rotate_secret":true,"grace_seconds":0}'
expect "grace 0 drops the old secret at once" 200 '.previous_secret_expires_at == null'

# --- test delivery ---
as "$AT" POST "$SUBS/$SA/test" ''
expect "test queues a webhook.test delivery" 202 '(.delivery_id | test("^[0-9a-f-]{36}$")) and .event_type == "webhook.test"'
D=$(jget .delivery_id)
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries d JOIN hookpost.events e ON e.id = d.event_id WHERE d.id = '$D' AND d.subscription_id = '$SA' AND d.event_type = 'webhook.test' AND e.payload::jsonb->'data'->>'message' = 'hookpost test delivery'")
[ "$n" = 1 ] && ok "the test delivery row is for this subscription alone" || fail "the test delivery row is for this subscription alone" "$n"

# --- delete ---
as "$AT" DELETE "$SUBS/$SA"
expect_status "the owner deletes its subscription" 204
as "$AT" GET "$SUBS/$SA"
expect "a deleted subscription is 404" 404 '.error.code == "not_found"'
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries WHERE id = '$D'")
[ "$n" = 0 ] && ok "its deliveries go with it" || fail "its deliveries go with it" "$n"
for id in $S1 $SG $SP; do admin DELETE "$SUBS/$id"; done
expect_status "admin deletes any subscription" 204
admin PATCH "$SUBS/$S1" '{}'
expect "PATCH is 405" 405 '.error.code == "method_not_allowed"'
