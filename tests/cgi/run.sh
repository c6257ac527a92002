#!/bin/sh
# tests/cgi/run.sh [asan] [valgrind]: every handler as plain CGI (RFC
# 3875: environment + stdin, no server), built with ASan+UBSan by
# scripts/asan.sh, then the hot paths once more under valgrind; both
# parts when none is named.  A sanitizer report, a leak or a wrong status
# fails the case.
# Needs the database of scripts/check.sh (HOOKPOST_CONFIG, TOKEN, RUNAS).
set -u
. "$TOP/tests/lib.sh"
SERVER=cgi
ASAN=$TOP/bin/asan
PARTS=${*:-asan valgrind}

export ASAN_OPTIONS=abort_on_error=0:halt_on_error=1:detect_leaks=1:exitcode=86
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=87
WRAP=

# cgi NAME PROGRAM METHOD URI BODY WANT_STATUS [VAR=value...]
cgi() {
	_name=$1 _prog=$2 _m=$3 _uri=$4 _body=$5 _want=$6; shift 6
	_out=$(mktemp); _err=$(mktemp)
	printf '%s' "$_body" | $RUNAS env -i PATH=/usr/bin:/bin \
	    ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
	    HOOKPOST_CONFIG="$HOOKPOST_CONFIG" GATEWAY_INTERFACE=CGI/1.1 \
	    REQUEST_METHOD="$_m" REQUEST_URI="$_uri" REMOTE_ADDR=127.0.0.1 \
	    SERVER_PROTOCOL=HTTP/1.1 HTTP_USER_AGENT=cgi-test \
	    CONTENT_LENGTH="${CL:-${#_body}}" CONTENT_TYPE=application/json \
	    "$@" $WRAP "$_prog" >"$_out" 2>"$_err"
	_rc=$?
	_status=$(head -n 1 "$_out" | sed -n 's/^Status: \([0-9]*\).*/\1/p')
	if [ "$_rc" = 0 ] && [ "$_status" = "$_want" ] &&
	    ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|definitely lost: [1-9]|Invalid (read|write)' "$_err"; then
		ok "$_name"
	else
		fail "$_name" "rc=$_rc status=$_status want=$_want: $(cat "$_out" | tail -c 300) $(grep -E 'ERROR|runtime error|lost|Invalid' "$_err" | head -5)"
	fi
	CGI_HEAD=$(sed '/^\r*$/q' "$_out" | tr -d '\r')
	CGI_BODY=$(sed '1,/^\r*$/d' "$_out")
	rm -f "$_out" "$_err"
}

AUTH="HTTP_AUTHORIZATION=Bearer $TOKEN"
# The configuration without HOOKPOST_PUBLIC_URL: URLs from the request.
NOPUB=$(mktemp)
grep -v '^HOOKPOST_PUBLIC_URL=' "$HOOKPOST_CONFIG" >"$NOPUB"
chmod 644 "$NOPUB"
trap 'rm -f "$NOPUB"' EXIT

# cgi_link NAME WANT: the last answer's Link header is <WANT + a cursor>;
# rel="next" (RFC 8288), or with WANT "" there is none.
cgi_link() {
	_l=$(printf '%s\n' "$CGI_HEAD" | sed -n 's/^Link: //p')
	if [ -z "$2" ]; then [ -z "$_l" ]
	else case $_l in "<$2"[0-9a-f]*'>; rel="next"') true ;; *) false ;; esac
	fi && ok "$1" || fail "$1" "Link: $_l"
}

S=cgi-$(date +%s)
TS=$(date +%s)
B='{"event_type":"test","data":{}}'
SIG="sha256=$(sign cgi-secret "$TS" "$B")"
D='{"eventType":"PhishingEmail","id":"AAMk1","creationTime":"2024-01-15T10:00:00Z","severity":"high","category":"Phish","entityType":"Email","data":{"sender":"phisher@malicious.com","subject":"Urgent","recipients":["user@company.com"],"urls":["http://evil.example/x"]}}'
DSIG="sha256=$(sign cgi-secret "$TS" "$D")"

run_cases() {
	cgi "GET /healthz" "$1/ops.cgi" GET /healthz "" 200
	cgi "GET /healthz without a database is 503" "$1/ops.cgi" GET /healthz "" 503 \
	    "HOOKPOST_DATABASE_URL=host=/nonexistent port=1 dbname=none connect_timeout=2"
	case $CGI_BODY in *'"status":"unavailable"'*) ok "healthz says the database is unavailable" ;;
	*) fail "healthz says the database is unavailable" "$CGI_BODY" ;; esac
	cgi "GET /metrics" "$1/ops.cgi" GET /metrics "" 200
	cgi "GET /openapi.json" "$1/ops.cgi" GET /openapi.json "" 200
	cgi "create a source" "$1/sources.cgi" POST /api/webhooks \
	    "{\"source\":\"$S$2\",\"secret\":\"cgi-secret\",\"auto_triage\":true,\"playbook\":\"phishing_triage\"}" 201 "$AUTH"
	cgi "signed alert accepted" "$1/sources.cgi" POST "/api/webhooks/$S$2" "$B" 200 \
	    "HTTP_X_WEBHOOK_SIGNATURE=$SIG" "HTTP_X_WEBHOOK_TIMESTAMP=$TS"
	cgi "Defender alert triaged" "$1/sources.cgi" POST "/api/webhooks/$S$2" "$D" 200 \
	    "HTTP_X_WEBHOOK_SIGNATURE=$DSIG" "HTTP_X_WEBHOOK_TIMESTAMP=$TS"
	cgi "bad signature refused" "$1/sources.cgi" POST "/api/webhooks/$S$2" "$B" 401 \
	    "HTTP_X_WEBHOOK_SIGNATURE=sha256=00" "HTTP_X_WEBHOOK_TIMESTAMP=$TS"
	cgi "unknown source" "$1/sources.cgi" POST /api/webhooks/nobody "$B" 404
	cgi "list sources" "$1/sources.cgi" GET "/api/webhooks?limit=2" "" 200 "$AUTH"
	cgi "no token" "$1/sources.cgi" GET /api/webhooks "" 401
	cgi "invalid JSON" "$1/sources.cgi" POST /api/webhooks '{"source":' 400 "$AUTH"
	CL=5000000 cgi "declared length over the limit" "$1/sources.cgi" POST "/api/webhooks/$S$2" "$B" 413
	cgi "wrong method" "$1/sources.cgi" PATCH /api/webhooks "" 405
	# POST /api/webhooks/_import (no sync: the other cases' sources stay)
	_I="{\"sources\":{\"$S$2-i1\":{\"secret\":\"cgi-secret-1\",\"severity_mapping\":{\"P1\":\"high\"}},\"$S$2-i2\":{}}"
	cgi "import: dry run" "$1/sources.cgi" POST /api/webhooks/_import \
	    "$_I,\"dry_run\":true}" 200 "$AUTH"
	cgi "import: creates, a secret generated" "$1/sources.cgi" POST \
	    /api/webhooks/_import "$_I}" 200 "$AUTH"
	cgi "import: again, secrets compared, unchanged" "$1/sources.cgi" POST \
	    /api/webhooks/_import "$_I}" 200 "$AUTH"
	case $CGI_BODY in *'"action":"created"'*) fail "import: nothing created the second time" "$CGI_BODY" ;;
	*) ok "import: nothing created the second time" ;; esac
	cgi "import: a changed secret is an update" "$1/sources.cgi" POST \
	    /api/webhooks/_import "{\"sources\":{\"$S$2-i1\":{\"secret\":\"cgi-secret-2\"}}}" 200 "$AUTH"
	cgi "import: a missing playbook of a second source" "$1/sources.cgi" POST \
	    /api/webhooks/_import "{\"sources\":{\"$S$2-i3\":{},\"$S$2-i4\":{\"playbook\":\"nope\"}}}" 400 "$AUTH"
	cgi "import: an unknown setting" "$1/sources.cgi" POST \
	    /api/webhooks/_import "{\"sources\":{\"$S$2-i3\":{\"x\":1}}}" 400 "$AUTH"
	cgi "list incidents" "$1/admin.cgi" GET "/api/incidents?limit=3" "" 200 "$AUTH"
	cgi "audit log" "$1/admin.cgi" GET "/api/audit/webhooks?limit=3" "" 200 "$AUTH"
	cgi "invalid playbook" "$1/admin.cgi" POST /api/playbooks \
	    '{"name":"x-bad","steps":[{"action":"nope"}]}' 400 "$AUTH"
	cgi "playbook get" "$1/admin.cgi" GET /api/playbooks/phishing_triage "" 200 "$AUTH"
	# Outbound (seed 000): subscriptions, deliveries, callback, quotas.
	cgi "create a subscription" "$1/outbound.cgi" POST /admin/webhooks/subscriptions \
	    "{\"name\":\"cgi\",\"url\":\"https://$S$2.example.com/h\",\"events\":[\"threat.*\"],\"retry_schedule\":[0,60]}" 201 "$AUTH"
	_sub=$(printf '%s' "$CGI_BODY" | jq -r .id)
	cgi "update a subscription, rotating its secret" "$1/outbound.cgi" PUT "/admin/webhooks/subscriptions/$_sub" \
	    '{"rotate_secret":true,"name":"cgi2"}' 200 "$AUTH"
	cgi "refused subscription URL" "$1/outbound.cgi" POST /admin/webhooks/subscriptions \
	    '{"name":"cgi","url":"http://localhost/","events":["*"]}' 400 "$AUTH"
	cgi "unknown event type" "$1/outbound.cgi" POST /admin/webhooks/subscriptions \
	    "{\"name\":\"cgi\",\"url\":\"https://$S$2.example.com/h\",\"events\":[\"nope.nope\"]}" 400 "$AUTH"
	cgi "list subscriptions" "$1/outbound.cgi" GET "/admin/webhooks/subscriptions?limit=2" "" 200 "$AUTH"
	cgi "subscriptions need a token" "$1/outbound.cgi" GET /admin/webhooks/subscriptions "" 401
	cgi "test delivery" "$1/outbound.cgi" POST "/admin/webhooks/subscriptions/$_sub/test" "" 202 "$AUTH"
	_dlv=$(printf '%s' "$CGI_BODY" | jq -r .delivery_id)
	cgi "delivery with attempts" "$1/outbound.cgi" GET "/admin/webhooks/deliveries/$_dlv" "" 200 "$AUTH"
	cgi "list deliveries" "$1/outbound.cgi" GET "/admin/webhooks/deliveries?subscription_id=$_sub" "" 200 "$AUTH"
	cgi "retry a pending delivery" "$1/outbound.cgi" POST "/admin/webhooks/deliveries/$_dlv/retry" "" 409 "$AUTH"
	cgi "callback with a bad signature" "$1/outbound.cgi" POST "/webhook-deliveries/$_dlv/status" \
	    '{"status":"completed"}' 401 "HTTP_X_WEBHOOK_SIGNATURE=sha256=00"
	cgi "publish an event" "$1/outbound.cgi" POST /api/events \
	    '{"event_type":"threat.created","data":{"title":"x"}}' 202 "$AUTH"
	cgi "event catalog" "$1/outbound.cgi" GET /api/event-types "" 200 "$AUTH"
	cgi "effective quota" "$1/outbound.cgi" GET "/admin/quotas/webhooks/cgi-$2" "" 200 "$AUTH"
	cgi "deny list" "$1/outbound.cgi" GET /admin/webhooks/deny-list?limit=1000 "" 200 "$AUTH"
	cgi_link "its last page has no Link" ""
	# seed 000's /admin/ lists: the next page in a Link header, built on
	# HOOKPOST_PUBLIC_URL, the query kept but escaped where it was raw.
	cgi "a list page" "$1/outbound.cgi" GET '/admin/webhooks/deny-list?limit=1&q=a<b>"c%20d%zz\&&cursor' "" 200 \
	    "$AUTH" "HTTP_HOST=evil.example" "HOOKPOST_PUBLIC_URL=https://api.example.com/hp/"
	cgi_link "its Link is on the public URL, the query escaped" \
	    'https://api.example.com/hp/admin/webhooks/deny-list?limit=1&q=a%3Cb%3E%22c%20d%25zz%5C&cursor='
	cgi "a list page, no public URL" "$1/outbound.cgi" GET '/admin/webhooks/deny-list?limit=1' "" 200 \
	    "$AUTH" "HOOKPOST_CONFIG=$NOPUB" "HTTP_HOST=api.test:8443" "HTTPS=on"
	cgi_link "without a public URL the Link is on the request's host" \
	    'https://api.test:8443/admin/webhooks/deny-list?limit=1&cursor='
	cgi "a list page, a forged Host" "$1/outbound.cgi" GET '/admin/webhooks/deny-list?limit=1' "" 200 \
	    "$AUTH" "HOOKPOST_CONFIG=$NOPUB" 'HTTP_HOST=evil.example/x>; rel="next", <http://evil.example'
	cgi_link "a Host that is not a plain host[:port] is not echoed" \
	    '/admin/webhooks/deny-list?limit=1&cursor='
	cgi "delete a subscription" "$1/outbound.cgi" DELETE "/admin/webhooks/subscriptions/$_sub" "" 204 "$AUTH"
}

# Triggers (seed 002): the receiver's checks, presets and the admin API.
run_trigger_cases() {
	_t=cgi$2$(date +%s).push
	cgi "create a trigger" "$1/triggers.cgi" POST /api/v1/triggers \
	    "{\"ref\":\"$_t\",\"payload_schema\":{\"type\":\"object\",\"required\":[\"ref\"]},\"payload_mapping\":{\"branch\":\"\$.ref\"}}" 201 "$AUTH"
	cgi "enable its webhook" "$1/triggers.cgi" POST "/api/v1/triggers/$_t/webhooks/enable" "" 200 "$AUTH"
	_k=$(printf '%s' "$CGI_BODY" | jq -r .data.webhook_key)
	cgi "an event" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" '{"ref":"main"}' 200 \
	    "HTTP_X_WEBHOOK_DELIVERY_ID=d1"
	cgi "a duplicate delivery" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" '{"ref":"main"}' 200 \
	    "HTTP_X_WEBHOOK_DELIVERY_ID=d1"
	cgi "a schema failure" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" '{"x":1}' 400
	cgi "not JSON" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" '{"ref":' 400
	cgi "an unknown key" "$1/triggers.cgi" POST /api/v1/webhooks/wh_00000000000000000000000000000000 '{}' 404
	cgi "set a 1 KiB limit" "$1/triggers.cgi" PUT "/api/v1/triggers/$_t/webhooks/payload-limit" '{"kb":1}' 200 "$AUTH"
	CL=5000000 cgi "a declared length over the trigger's limit" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" '{"ref":"x"}' 413
	_big=$(head -c 1100 /dev/zero | tr '\0' 'a')
	cgi "no Content-Length: over the limit while reading" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" "$_big" 413 \
	    "CONTENT_LENGTH="
	cgi "an allow list" "$1/triggers.cgi" PUT "/api/v1/triggers/$_t/webhooks/ip-allowlist" \
	    '{"cidrs":["203.0.113.0/24","2001:db8::/32"]}' 200 "$AUTH"
	cgi "X-Forwarded-For from an untrusted peer is ignored" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" '{"ref":"x"}' 403 \
	    "HTTP_X_FORWARDED_FOR=203.0.113.9"
	cgi "X-Forwarded-For from a trusted proxy" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" '{"ref":"x"}' 200 \
	    "HTTP_X_FORWARDED_FOR=198.51.100.1, 203.0.113.9" "HOOKPOST_TRUSTED_PROXIES=127.0.0.0/8"
	cgi "an unparseable forwarded address fails closed" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" '{"ref":"x"}' 403 \
	    "HTTP_X_FORWARDED_FOR=bogus" "HOOKPOST_TRUSTED_PROXIES=127.0.0.0/8"
	cgi "a rate limit" "$1/triggers.cgi" PUT "/api/v1/triggers/$_t/webhooks/rate-limit" '{"requests":1,"window_seconds":60}' 200 "$AUTH"
	cgi "over the rate limit" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" '{"ref":"x"}' 429 \
	    "HTTP_X_FORWARDED_FOR=203.0.113.9" "HOOKPOST_TRUSTED_PROXIES=127.0.0.0/8"
	cgi "the allow list off" "$1/triggers.cgi" PUT "/api/v1/triggers/$_t/webhooks/ip-allowlist" '{"enabled":false}' 200 "$AUTH"
	cgi "the rate limit off" "$1/triggers.cgi" PUT "/api/v1/triggers/$_t/webhooks/rate-limit" '{"enabled":false}' 200 "$AUTH"
	# Issue 8: the timestamped scheme and its replay guard, the body
	# scheme, and the per-IP limit (1 a minute for this address).
	cgi "hmac, timestamped" "$1/triggers.cgi" POST "/api/v1/triggers/$_t/webhooks/hmac/enable" '{"secret":"cgi-trigger-secret"}' 200 "$AUTH"
	_ts=$(date +%s); _b='{"ref":"ts"}'
	_sig="HTTP_X_WEBHOOK_SIGNATURE=sha256=$(hmac sha256 cgi-trigger-secret "$_ts.$_b")"
	cgi "a timestamped event" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" "$_b" 200 \
	    "HTTP_X_WEBHOOK_TIMESTAMP=$_ts" "$_sig" "HTTP_X_WEBHOOK_DELIVERY_ID=t1"
	cgi "its replay under another delivery id" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" "$_b" 200 \
	    "HTTP_X_WEBHOOK_TIMESTAMP=$_ts" "$_sig" "HTTP_X_WEBHOOK_DELIVERY_ID=t2"
	case $CGI_BODY in *'"duplicate":true'*) ok "the replay is the first event" ;;
	*) fail "the replay is the first event" "$CGI_BODY" ;; esac
	cgi "a stale timestamp" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" "$_b" 401 \
	    "HTTP_X_WEBHOOK_TIMESTAMP=$((_ts - 400))" "HTTP_X_WEBHOOK_SIGNATURE=sha256=$(hmac sha256 cgi-trigger-secret "$((_ts - 400)).$_b")"
	cgi "hmac, body" "$1/triggers.cgi" POST "/api/v1/triggers/$_t/webhooks/hmac/enable" '{"scheme":"body"}' 200 "$AUTH"
	cgi "a body-signed event" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" "$_b" 200 \
	    "HTTP_X_WEBHOOK_SIGNATURE=sha256=$(hmac sha256 cgi-trigger-secret "$_b")"
	cgi "hmac off" "$1/triggers.cgi" POST "/api/v1/triggers/$_t/webhooks/hmac/disable" "" 200 "$AUTH"
	_ip="HTTP_X_FORWARDED_FOR=198.51.100.$( [ "$2" = a ] && echo 201 || echo 202)"
	_s=$(date +%S); _s=${_s#0}
	[ "$_s" -lt 50 ] || sleep $((61 - _s))	# both in one clock minute
	cgi "one request of the minute from an address" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" '{"ref":"x"}' 200 \
	    "$_ip" "HOOKPOST_TRUSTED_PROXIES=127.0.0.0/8" "HOOKPOST_TRIGGER_RATE_PER_IP=1"
	cgi "over the per-IP limit" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k" '{"ref":"x"}' 429 \
	    "$_ip" "HOOKPOST_TRUSTED_PROXIES=127.0.0.0/8" "HOOKPOST_TRIGGER_RATE_PER_IP=1"
	cgi "stripe preset" "$1/triggers.cgi" PUT "/api/v1/triggers/$_t" '{"preset":"stripe"}' 200 "$AUTH"
	cgi "its secret" "$1/triggers.cgi" POST "/api/v1/triggers/$_t/webhooks/hmac/enable" '{"secret":"whsec_test_secret"}' 200 "$AUTH"
	cgi "add a key" "$1/triggers.cgi" POST "/api/v1/triggers/$_t/webhooks/keys" '{"label":"two"}' 201 "$AUTH"
	_k2=$(printf '%s' "$CGI_BODY" | jq -r .data.key)
	_ts=$(date +%s); _b="{\"id\":\"evt_$2\",\"ref\":\"main\"}"
	cgi "a Stripe-signed event" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k2" "$_b" 200 \
	    "HTTP_STRIPE_SIGNATURE=t=$_ts,v1=$(printf '%s' "$_ts.$_b" | openssl dgst -sha256 -hmac whsec_test_secret | sed 's/^.*= //')"
	cgi "a forged Stripe signature" "$1/triggers.cgi" POST "/api/v1/webhooks/$_k2" "$_b" 401 \
	    "HTTP_STRIPE_SIGNATURE=t=$_ts,v1=00"
	cgi "webhook info" "$1/triggers.cgi" GET "/api/v1/triggers/$_t/webhook" "" 200 "$AUTH"
	cgi "regenerate" "$1/triggers.cgi" POST "/api/v1/triggers/$_t/webhook/regenerate" "" 200 "$AUTH"
	cgi "stats" "$1/triggers.cgi" GET "/api/v1/triggers/$_t/stats" "" 200 "$AUTH"
	cgi "events" "$1/triggers.cgi" GET "/api/v1/events?trigger=$_t&limit=1" "" 200 "$AUTH"
	cgi "list triggers" "$1/triggers.cgi" GET "/api/v1/triggers?limit=2" "" 200 "$AUTH"
	cgi "triggers need a token" "$1/triggers.cgi" GET /api/v1/triggers "" 401
	cgi "delete the trigger" "$1/triggers.cgi" DELETE "/api/v1/triggers/$_t" "" 204 "$AUTH"
	# Issue 8: settings in a trigger body by seed 002's names, disable
	# removing the keys, packs.
	cgi "a trigger with its settings by seed 002's names" "$1/triggers.cgi" POST /api/v1/triggers \
	    "{\"ref\":\"a$_t\",\"webhook_enabled\":true,\"webhook_ip_whitelist\":[\"10.0.0.1/8\"],\"webhook_hmac_enabled\":true,\"webhook_rate_limit_requests\":5,\"webhook_payload_size_limit_kb\":8}" 201 "$AUTH"
	cgi "a seed name and ours for one setting" "$1/triggers.cgi" PUT "/api/v1/triggers/a$_t" \
	    '{"webhook_secret":"abcdefgh1","hmac":{"secret":"abcdefgh2"}}' 400 "$AUTH"
	cgi "a settings route by seed 002's names" "$1/triggers.cgi" PUT "/api/v1/triggers/a$_t/webhooks/ip-allowlist" \
	    '{"webhook_ip_whitelist":["192.30.252.0/22"],"webhook_ip_whitelist_enabled":false}' 200 "$AUTH"
	cgi "disable removes the keys" "$1/triggers.cgi" POST "/api/v1/triggers/a$_t/webhooks/disable" "" 200 "$AUTH"
	cgi "no key while disabled" "$1/triggers.cgi" POST "/api/v1/triggers/a$_t/webhooks/regenerate" "" 409 "$AUTH"
	cgi "a pack" "$1/triggers.cgi" POST /api/v1/packs/import \
	    "{\"triggers\":[{\"name\":\"one\",\"ref\":\"pk$_t.one\",\"type\":\"webhook\",\"payload_schema\":{\"type\":\"object\"}},{\"ref\":\"pk$_t.two\"}]}" 200 "$AUTH"
	cgi "a pack with a bad trigger" "$1/triggers.cgi" POST /api/v1/packs/import \
	    "{\"triggers\":[{\"ref\":\"pk$_t.three\"},{\"ref\":\"pk$_t.four\",\"type\":\"timer\"}]}" 400 "$AUTH"
	cgi "delete the second trigger" "$1/triggers.cgi" DELETE "/api/v1/triggers/a$_t" "" 204 "$AUTH"
}

asan_part() {
	_err=$(mktemp)
	if ! "$TOP/scripts/asan.sh" 2>"$_err"; then
		fail "build the handlers with ASan+UBSan" "$(head -c 1500 "$_err")"
		rm -f "$_err"
		return 0
	fi
	rm -f "$_err"
	ok "handlers build with ASan+UBSan"
	run_cases "$ASAN" a
	run_trigger_cases "$ASAN" a

	# The ingest worker under ASan+UBSan: a queued event becomes an incident.
	cgi "create a queued source" "$ASAN/sources.cgi" POST /api/webhooks \
	    "{\"source\":\"${S}q\",\"secret\":\"cgi-secret\",\"mode\":\"queue\",\"auto_triage\":true,\"playbook\":\"phishing_triage\"}" 201 "$AUTH"
	cgi "queued alert" "$ASAN/sources.cgi" POST "/api/webhooks/${S}q" "$D" 202 \
	    "HTTP_X_WEBHOOK_SIGNATURE=$DSIG" "HTTP_X_WEBHOOK_TIMESTAMP=$TS"
	if $RUNAS env ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
	    HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$ASAN/hookpost-ingest" -1 2>/dev/null &&
	    [ "$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = '${S}q'")" = 1 ]; then
		ok "hookpost-ingest under ASan+UBSan"
	else
		fail "hookpost-ingest under ASan+UBSan"
	fi
}

valgrind_part() {
	# valgrind: the release build, the same cases.
	mkdir -p "$TOP/bin/cgi"
	for h in sources admin ops outbound triggers; do ln -sf "../$h.fcgi" "$TOP/bin/cgi/$h.cgi"; done
	WRAP="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99"
	run_cases "$TOP/bin/cgi" v
	run_trigger_cases "$TOP/bin/cgi" v
}

case " $PARTS " in *" asan "*) asan_part ;; esac
case " $PARTS " in *" valgrind "*) valgrind_part ;; esac
