# Helpers for the trigger suites (tests/integration/5x_*.sh), sourced
# after tests/lib.sh.  Signing recipes are the providers' own, run with
# openssl(1), so the server is checked against an independent
# implementation.

# A POST with an empty body that every server accepts: lighttpd 1.4
# answers 411 to a POST without Content-Length (curl -X POST alone), so
# send "Content-Length: 0" the way curl -d '' does.
apost() { admin POST "$1" "${2:-}"; }

# trigger_new REF [EXTRA-JSON-MEMBERS]: creates and enables a trigger;
# sets TID and KEY.
trigger_new() {
	admin POST /api/v1/triggers "{\"ref\":\"$1\"${2:+,$2}}"
	TID=$(jget .data.id)
	apost "/api/v1/triggers/$1/webhooks/enable"
	KEY=$(jget .data.webhook_key)
}

# hit KEY BODY [curl args...]: POST to the receiver.
hit() {
	_k=$1 _b=$2
	shift 2
	req POST "/api/v1/webhooks/$_k" -H 'Content-Type: application/json' \
	    --data-binary "$_b" "$@"
}

# hmac_b64key SECRET DATA: base64 HMAC-SHA256 keyed with the base64
# secret less "whsec_" (Standard Webhooks).
hmac_b64key() {
	_hex=$(printf '%s' "${1#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
	printf '%s' "$2" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$_hex" -binary | base64
}

# header NAME: a response header's value from the last request.
header() { printf '%s' "$HDRS" | tr -d '\r' | sed -n "s/^$1: *//Ip" | head -n 1; }

# audit_count REF CODE: the trigger's audit rows with that error code.
audit_count() {
	psql_q "SELECT count(*) FROM hookpost.webhook_requests WHERE kind = 'trigger' AND source = '$1' AND error_code = '$2'"
}
