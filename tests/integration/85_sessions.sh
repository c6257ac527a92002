#!/bin/sh
# Console sessions (issue 11): an API token exchanged for a cookie
# (POST /api/session) that is HttpOnly, SameSite=Strict, Path=/, with a
# Max-Age, and Secure over HTTPS; a session authenticates every handler
# group as its token would (owner scope included); a write on a cookie
# needs X-Hookpost-Console: 1 and no foreign Origin; sign-out, expiry,
# an admin's revocation and the token's revocation each end it; the
# database keeps only the secret's SHA-256 and no log holds the secret.
. "$TOP/tests/lib.sh"

JARS=$(mktemp -d)
trap 'rm -rf "$JARS"' EXIT
C=X-Hookpost-Console:\ 1
J='Content-Type: application/json'
OWNER=sess-$RUN

# cj JAR METHOD PATH [curl args...]: a request with a cookie jar.
cj() { _j=$JARS/$1; shift; _cm=$1 _cp=$2; shift 2; req "$_cm" "$_cp" -b "$_j" -c "$_j" "$@"; }
# cookie: the Set-Cookie line of the last answer, without CR.
cookie() { printf '%s\n' "$HDRS" | tr -d '\r' | grep -i '^set-cookie: hookpost_session=' | head -n 1; }
secret_of() { printf '%s' "$1" | sed 's/^[^=]*=\([^;]*\).*$/\1/'; }
has_attr() {	# NAME COOKIE ATTR: the cookie carries the attribute
	case "; $(printf '%s' "$2" | sed 's/^[^;]*; //'); " in *"; $3; "*) ok "$1" ;; *) fail "$1" "$2" ;; esac
}

admin POST /api/tokens "{\"role\":\"user\",\"owner_id\":\"$OWNER\",\"permissions\":[\"manage_settings\"]}"
expect "setup: a user token" 201 '.token | startswith("hp_")'
UT=$(jget .token)
admin PUT "/admin/quotas/webhooks/$OWNER" '{"max_subscriptions":100,"max_subscription_requests_per_minute":1000,"max_subscription_requests_per_day":10000,"max_events_per_minute":1000}'
case $STATUS in 200|201) ok "setup: the owner's quota" ;; *) fail "setup: the owner's quota" "$STATUS $BODY" ;; esac
admin POST /api/integrations "{\"type\":\"webhook\",\"name\":\"admin's $RUN\",\"events\":[\"finding.created\"],\"config\":{\"url\":\"http://127.0.0.1:9/a\"}}"
expect "setup: an admin's integration" 201 '.owner_id == "admin"'
AI=$(jget .id)
as "$UT" POST /api/integrations "{\"type\":\"webhook\",\"name\":\"user's $RUN\",\"events\":[\"finding.created\"],\"config\":{\"url\":\"http://127.0.0.1:9/u\"}}"
expect "setup: the user's integration" 201 ".owner_id == \"$OWNER\""
UI=$(jget .id)

# --- sign-in -----------------------------------------------------------------
cj admin POST /api/session -H "$J" --data-binary "{\"token\":\"$TOKEN\"}"
expect "POST /api/session with an admin token: 201" 201 \
    '.role == "admin" and (.expires_at | type) == "string" and has("permissions") and has("owner_id")'
SA=$(jget .id)
CK=$(cookie)
ASEC=$(secret_of "$CK")
case $ASEC in hps_?????????????????????????????????????????*) ok "the cookie holds a long random secret" ;; *) fail "the cookie holds a long random secret" "$CK" ;; esac
has_attr "the cookie is HttpOnly" "$CK" HttpOnly
has_attr "the cookie is SameSite=Strict" "$CK" SameSite=Strict
has_attr "the cookie's Path is /" "$CK" Path=/
has_attr "the cookie has Max-Age (8 h by default)" "$CK" Max-Age=28800
case $CK in *Secure*) fail "no Secure over plain http" "$CK" ;; *) ok "no Secure over plain http" ;; esac
case $BODY in *"$ASEC"*) fail "the body does not repeat the secret" ;; *) ok "the body does not repeat the secret" ;; esac
n=$(psql_q "SELECT extract(epoch FROM expires_at - created_at)::int FROM hookpost.console_sessions WHERE id = '$SA'")
[ "$n" = 28800 ] && ok "expires_at is 8 h after sign-in" || fail "expires_at is 8 h after sign-in" "$n"

cj user POST /api/session -H "Authorization: Bearer $UT" --data-binary ''
expect "POST /api/session with a user token in the header: 201" 201 \
    ".role == \"user\" and .owner_id == \"$OWNER\" and .permissions == [\"manage_settings\"]"
SU=$(jget .id)
USEC=$(secret_of "$(cookie)")

req POST /api/session -H "$J" --data-binary '{"token":"hp_not-a-token"}'
expect "a wrong token: 401, no cookie" 401 '.error.code == "unauthorized"'
[ -z "$(cookie)" ] && ok "a refused sign-in sets no cookie" || fail "a refused sign-in sets no cookie" "$HDRS"
req POST /api/session -H "$J" -H 'Origin: https://evil.example' --data-binary "{\"token\":\"$TOKEN\"}"
expect "a sign-in from a foreign Origin: 403 csrf_refused (login CSRF)" 403 '.error.code == "csrf_refused"'
[ -z "$(cookie)" ] && ok "and no cookie" || fail "and no cookie" "$HDRS"
req POST /api/session -H "$J" -H "Origin: $BASE" --data-binary "{\"token\":\"$UT\"}"
expect "a sign-in from our own Origin: 201" 201 '.role == "user"'
req POST /api/session -H "$J" --data-binary '{"token":"x","extra":1}'
expect "an unknown field: 400" 400 '.error.code == "invalid_field"'
J2=$(jwt "{\"sub\":\"$OWNER\",\"role\":\"user\",\"exp\":$(($(date +%s) + 600))}" "$HOOKPOST_JWT_SECRET")
req POST /api/session -H "$J" --data-binary "{\"token\":\"$J2\"}"
expect "a JWT signs in too" 201 ".role == \"user\" and .owner_id == \"$OWNER\" and .permissions == []"
n=$(psql_q "SELECT coalesce(api_token_id::text, 'null') FROM hookpost.console_sessions WHERE id = '$(jget .id)'")
[ "$n" = null ] && ok "a JWT's session has no API token" || fail "a JWT's session has no API token" "$n"

# --- who the cookie is, on every handler group ----------------------------------
cj admin GET /api/session
expect "GET /api/session: the admin's session" 200 ".id == \"$SA\" and .role == \"admin\" and .active == true"
cj user GET /api/session
expect "GET /api/session: the user's session" 200 ".id == \"$SU\" and .owner_id == \"$OWNER\""
req GET /api/session
expect "GET /api/session without a cookie: 401" 401 '.error.code == "unauthorized"'
admin GET /api/session
expect "GET /api/session with a Bearer token: 401 (no session)" 401 '.error.code == "unauthorized"'
req GET /api/session -H "Cookie: hookpost_session=hps_notasessionatall"
expect "an unknown cookie: 401" 401 '.error.code == "unauthorized"'
cj admin GET /admin/webhooks/subscriptions
expect "the admin's session lists subscriptions (outbound group)" 200 'type == "array"'
cj admin GET /api/incidents
expect "the admin's session lists incidents (admin group)" 200 '.data | type == "array"'
cj admin GET "/api/integrations?limit=200"
expect "the admin's session sees every owner's integrations" 200 \
    "(.data | map(.id) | index(\"$AI\")) != null and (.data | map(.id) | index(\"$UI\")) != null"
cj user GET "/api/integrations?limit=200"
expect "the user's session sees only its owner's" 200 "(.data | map(.id)) == [\"$UI\"]"
cj user GET "/api/integrations/$AI"
expect "and not the admin's by id" 404 '.error.code == "not_found"'
cj user GET /api/incidents
expect "the user's session is no admin" 403 '.error.code == "forbidden"'
cj user GET /api/sessions
expect "GET /api/sessions is for admins" 403 '.error.code == "forbidden"'

# --- writes: the custom header and the Origin ------------------------------------
NEW="{\"type\":\"webhook\",\"name\":\"via cookie $RUN\",\"events\":[\"finding.created\"],\"config\":{\"url\":\"http://127.0.0.1:9/c\"}}"
cj user POST /api/integrations -H "$J" --data-binary "$NEW"
expect "a cookie write without X-Hookpost-Console: 403 csrf_refused" 403 '.error.code == "csrf_refused"'
cj user POST /api/integrations -H "$J" -H 'X-Hookpost-Console: 0' --data-binary "$NEW"
expect "X-Hookpost-Console must be 1" 403 '.error.code == "csrf_refused"'
cj user POST /api/integrations -H "$J" -H "$C" -H 'Origin: https://evil.example' --data-binary "$NEW"
expect "a cookie write from a foreign Origin: 403 csrf_refused" 403 '.error.code == "csrf_refused"'
cj user POST /api/integrations -H "$J" -H "$C" -H 'Origin: null' --data-binary "$NEW"
expect "Origin: null is foreign" 403 '.error.code == "csrf_refused"'
n=$(psql_q "SELECT count(*) FROM hookpost.subscriptions WHERE name = 'via cookie $RUN'")
[ "$n" = 0 ] && ok "a refused write changed nothing" || fail "a refused write changed nothing" "$n"
cj user POST /api/integrations -H "$J" -H "$C" -H "Origin: $BASE" --data-binary "$NEW"
expect "with the header and our own Origin: 201, the user's own" 201 ".owner_id == \"$OWNER\""
CI=$(jget .id)
cj user DELETE "/api/integrations/$CI" -H "$C"
expect "with the header and no Origin: a DELETE goes through" 204 'true'
cj admin DELETE "/api/integrations/$AI"
expect "the admin's cookie DELETE without the header: 403" 403 '.error.code == "csrf_refused"'
as "$UT" POST /api/integrations "{\"type\":\"webhook\",\"name\":\"bearer $RUN\",\"events\":[\"finding.created\"],\"config\":{\"url\":\"http://127.0.0.1:9/b\"}}"
expect "Bearer writes need no header (unchanged)" 201 ".owner_id == \"$OWNER\""
as "$UT" DELETE "/api/integrations/$(jget .id)"
expect_status "Bearer DELETE unchanged" 204

# --- the admin's view --------------------------------------------------------------
admin GET "/api/sessions?limit=200"
expect "GET /api/sessions lists the sessions" 200 \
    "(.data | map(.id) | index(\"$SA\")) != null and (.data | map(.id) | index(\"$SU\")) != null and has(\"next_cursor\")"
expect_json "with token, owner, user agent and address, and no secret or hash" \
    "(.data | map(select(.id == \"$SU\"))[0] | .owner_id == \"$OWNER\" and (.token_id | type) == \"string\" and (.user_agent | startswith(\"curl\")) and .client_addr == \"127.0.0.1\" and (has(\"session_hash\") | not))"
case $BODY in *"$ASEC"*|*"$USEC"*) fail "the list holds no secret" ;; *) ok "the list holds no secret" ;; esac
cj admin GET /api/sessions
expect "an admin's session lists them too" 200 '.data | length >= 2'

# --- only the hash is kept --------------------------------------------------------
H=$(printf '%s' "$USEC" | openssl dgst -sha256 | sed 's/^.*= //')
n=$(psql_q "SELECT count(*) FROM hookpost.console_sessions WHERE id = '$SU' AND session_hash = '$H'")
[ "$n" = 1 ] && ok "the database keeps the secret's SHA-256" || fail "the database keeps the secret's SHA-256" "$n $H"
n=$(psql_q "SELECT count(*) FROM hookpost.console_sessions s WHERE s::text LIKE '%$USEC%' OR s::text LIKE '%$ASEC%'")
[ "$n" = 0 ] && ok "and never the secret" || fail "and never the secret" "$n"

# --- the end of a session ------------------------------------------------------------
cj user DELETE /api/session
expect "sign-out is a write: it needs the header" 403 '.error.code == "csrf_refused"'
cj user DELETE /api/session -H "$C"
expect_status "DELETE /api/session signs out: 204" 204
CK=$(cookie)
case $CK in *"hookpost_session=;"*Max-Age=0*) ok "sign-out clears the cookie (Max-Age=0)" ;; *) fail "sign-out clears the cookie (Max-Age=0)" "$HDRS" ;; esac
n=$(psql_q "SELECT revoked_at IS NOT NULL FROM hookpost.console_sessions WHERE id = '$SU'")
[ "$n" = t ] && ok "sign-out revokes the session" || fail "sign-out revokes the session" "$n"
req GET /api/integrations -H "Cookie: hookpost_session=$USEC"
expect "after sign-out the old secret is 401" 401 '.error.code == "unauthorized"'
cj user GET /api/session
expect "and the jar holds no session" 401 '.error.code == "unauthorized"'

cj exp POST /api/session -H "$J" --data-binary "{\"token\":\"$UT\"}"
expect "setup: another session" 201 'true'
SE=$(jget .id)
cj exp GET /api/session
expect "it works" 200 ".id == \"$SE\""
psql_q "UPDATE hookpost.console_sessions SET expires_at = now() - interval '1 second' WHERE id = '$SE'"
cj exp GET /api/session
expect "an expired session: 401" 401 '.error.code == "unauthorized"'
cj exp GET /api/integrations
expect "on every route" 401 '.error.code == "unauthorized"'

cj rev POST /api/session -H "$J" --data-binary "{\"token\":\"$UT\"}"
SR=$(jget .id)
admin DELETE "/api/sessions/$SR"
expect_status "an admin revokes a session: 204" 204
cj rev GET /api/session
expect "a revoked session: 401" 401 '.error.code == "unauthorized"'
admin DELETE "/api/sessions/$SR"
expect "revoking it again: 404" 404 '.error.code == "not_found"'
admin DELETE /api/sessions/not-a-uuid
expect "a malformed id: 404" 404 '.error.code == "not_found"'

admin POST /api/tokens "{\"role\":\"user\",\"owner_id\":\"$OWNER\"}"
T2=$(jget .token) T2ID=$(jget .id)
cj tok POST /api/session -H "$J" --data-binary "{\"token\":\"$T2\"}"
expect "setup: a session of a second token" 201 '.permissions == []'
cj tok GET /admin/webhooks/subscriptions
expect "it works" 200 'type == "array"'
admin DELETE "/api/tokens/$T2ID"
expect_status "setup: the token is revoked" 204
cj tok GET /admin/webhooks/subscriptions
expect "a revoked API token ends its sessions" 401 '.error.code == "unauthorized"'
cj tok GET /api/session
expect "GET /api/session then 401" 401 '.error.code == "unauthorized"'
admin GET "/api/sessions?limit=200"
expect "the admin's list shows it inactive" 200 "(.data | map(select(.id == \"$SR\" or .id == \"$SE\")) | map(.active)) == [false, false]"

# --- Secure over HTTPS: admin.fcgi as plain CGI (RFC 3875), as the server runs it ----
signin_cgi() {	# ENV...: POST /api/session as CGI with these variables
	_b="{\"token\":\"$TOKEN\"}"
	printf '%s' "$_b" | (cd /tmp && $RUNAS env -i HOOKPOST_CONFIG="$HOOKPOST_CONFIG" \
	    REQUEST_METHOD=POST REQUEST_URI=/api/session CONTENT_TYPE=application/json \
	    CONTENT_LENGTH=${#_b} REMOTE_ADDR=127.0.0.1 "$@" "$TOP/bin/admin.fcgi" 2>/dev/null) |
	    tr -d '\r' | grep -i '^set-cookie:'
}
CK=$(signin_cgi HTTPS=on)
case $CK in *"; Secure"*) ok "HTTPS=on: the cookie is Secure" ;; *) fail "HTTPS=on: the cookie is Secure" "$CK" ;; esac
CK=$(signin_cgi HOOKPOST_TRUSTED_PROXIES=127.0.0.1 HTTP_X_FORWARDED_PROTO=https)
case $CK in *"; Secure"*) ok "X-Forwarded-Proto https from a trusted proxy: Secure" ;; *) fail "X-Forwarded-Proto https from a trusted proxy: Secure" "$CK" ;; esac
CK=$(signin_cgi HOOKPOST_TRUSTED_PROXIES=10.0.0.0/8 HTTP_X_FORWARDED_PROTO=https)
case $CK in *hookpost_session=hps_*) case $CK in *Secure*) fail "X-Forwarded-Proto from an untrusted peer: not believed" "$CK" ;; *) ok "X-Forwarded-Proto from an untrusted peer: not believed" ;; esac ;;
*) fail "X-Forwarded-Proto from an untrusted peer: not believed" "$CK" ;; esac
CK=$(signin_cgi HOOKPOST_SESSION_TTL=600)
case $CK in *"Max-Age=600"*) ok "HOOKPOST_SESSION_TTL sets Max-Age" ;; *) fail "HOOKPOST_SESSION_TTL sets Max-Age" "$CK" ;; esac

# --- no secret in any log -------------------------------------------------------------
if [ -z "$ASEC" ] || [ -z "$USEC" ]; then
	fail "no session secret in the logs" "no secret to look for"
elif grep -rqF -e "$ASEC" -e "$USEC" "$HOOKPOST_VAR/log" 2>/dev/null; then
	fail "no session secret in the logs" "$(grep -rlF -e "$ASEC" -e "$USEC" "$HOOKPOST_VAR/log")"
else
	ok "no session secret in the logs"
fi
