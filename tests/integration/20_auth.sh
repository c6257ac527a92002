#!/bin/sh
# Admin auth (DESIGN.md §3): API tokens stored hashed, roles, JWT.
. "$TOP/tests/lib.sh"

req GET /api/webhooks
expect "no token is 401 unauthorized" 401 '.error.code == "unauthorized"'

req GET /api/webhooks -H "Authorization: Bearer hp_wrongwrongwrong"
expect "a wrong token is 401" 401 '.error.code == "unauthorized"'

req GET /api/webhooks -H "Authorization: Basic Zm9vOmJhcg=="
expect "a non-bearer scheme is 401" 401 '.error.code == "unauthorized"'

admin GET /api/webhooks
expect "the admin token lists sources" 200 '.data | type == "array"'

admin POST /api/tokens '{"name":"u1","role":"user","owner_id":"alice"}'
expect "admin creates a user token" 201 '.role == "user" and (.token | startswith("hp_"))'
UTOK=$(jget .token); UID_=$(jget .id)

req GET /api/webhooks -H "Authorization: Bearer $UTOK"
expect "a user token on an admin route is 403 forbidden" 403 '.error.code == "forbidden"'
req GET /api/incidents -H "Authorization: Bearer $UTOK"
expect "a user token on incidents is 403" 403 '.error.code == "forbidden"'

n=$(psql_q "SELECT count(*) FROM hookpost.api_tokens WHERE token_hash = encode(sha256('$UTOK'::bytea), 'hex')")
[ "$n" = 1 ] && ok "tokens are stored as their SHA-256" || fail "tokens are stored as their SHA-256" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.api_tokens WHERE token_hash LIKE '%$UTOK%'")
[ "$n" = 0 ] && ok "no token is stored in the clear" || fail "no token is stored in the clear"

admin POST /api/tokens '{"role":"user"}'
expect "a user token without owner is 400" 400 '.error.code == "invalid_field"'
admin POST /api/tokens '{"role":"root"}'
expect "an unknown role is 400" 400 '.error.code == "invalid_field"'

admin DELETE "/api/tokens/$UID_"
expect_status "admin revokes a token" 204
req GET /api/webhooks -H "Authorization: Bearer $UTOK"
expect "a revoked token is 401" 401 '.error.code == "unauthorized"'

# JWT (HS256) when HOOKPOST_JWT_SECRET is set (check.sh sets it).
if [ -n "${HOOKPOST_JWT_SECRET:-}" ]; then
	b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
	jwt() {
		h=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
		p=$(printf '%s' "$1" | b64url)
		s=$(printf '%s' "$h.$p" | openssl dgst -sha256 -hmac "$2" -binary | b64url)
		echo "$h.$p.$s"
	}
	exp=$(( $(date +%s) + 600 ))
	J=$(jwt "{\"sub\":\"ops\",\"role\":\"admin\",\"exp\":$exp}" "$HOOKPOST_JWT_SECRET")
	req GET /api/webhooks -H "Authorization: Bearer $J"
	expect_status "an admin JWT is accepted" 200
	J=$(jwt "{\"sub\":\"ops\",\"role\":\"admin\",\"exp\":$exp}" "not-the-secret")
	req GET /api/webhooks -H "Authorization: Bearer $J"
	expect "a JWT with a wrong signature is 401" 401 '.error.code == "unauthorized"'
	J=$(jwt "{\"sub\":\"ops\",\"role\":\"admin\",\"exp\":1000}" "$HOOKPOST_JWT_SECRET")
	req GET /api/webhooks -H "Authorization: Bearer $J"
	expect "an expired JWT is 401" 401 '.error.code == "unauthorized"'
	J=$(jwt "{\"sub\":\"bob\",\"role\":\"user\",\"exp\":$exp}" "$HOOKPOST_JWT_SECRET")
	req GET /api/webhooks -H "Authorization: Bearer $J"
	expect "a user JWT on an admin route is 403" 403 '.error.code == "forbidden"'
fi

admin POST /api/tokens '{"role":"user","owner_id":"admin"}'
expect "the owner id 'admin' is reserved" 400 '.error.code == "invalid_field"'
