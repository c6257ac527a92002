#!/bin/sh
# Every handler as plain CGI (RFC 3875: environment + stdin, no server),
# built with ASan+UBSan, then the hot paths once more under valgrind.
# A sanitizer report, a leak or a wrong status fails the case.
# Needs the database of scripts/check.sh (HOOKPOST_CONFIG, TOKEN, RUNAS).
set -u
. "$TOP/tests/lib.sh"
SERVER=cgi
ASAN=$TOP/bin/asan
mkdir -p "$ASAN"

SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
CFLAGS="-std=c11 -D_GNU_SOURCE -DHOOKPOST_VERSION=\"check\" -Wall -Wextra -Werror -Wno-unused-parameter -O1 -g -I$TOP/lib -I$(pg_config --includedir)"
LIBS="-lfcgi -lpq -ljansson -lcrypto -lcurl -lyaml -lm"
for h in webhooks admin ops; do
	cc $CFLAGS $SAN -o "$ASAN/$h.cgi" "$TOP/handlers/$h.c" "$TOP"/lib/*.c $LIBS ||
		{ fail "build $h with ASan+UBSan"; exit 0; }
done
cc $CFLAGS $SAN -o "$ASAN/hookpost-ingest" "$TOP/cron/ingest.c" "$TOP"/lib/*.c $LIBS ||
	fail "build hookpost-ingest with ASan+UBSan"
chmod -R o+rx "$ASAN" 2>/dev/null
ok "handlers build with ASan+UBSan"

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
	CGI_BODY=$(sed '1,/^\r*$/d' "$_out")
	rm -f "$_out" "$_err"
}

AUTH="HTTP_AUTHORIZATION=Bearer $TOKEN"
S=cgi-$(date +%s)
TS=$(date +%s)
B='{"event_type":"test","data":{}}'
SIG="sha256=$(sign cgi-secret "$TS" "$B")"
D='{"eventType":"PhishingEmail","id":"AAMk1","creationTime":"2024-01-15T10:00:00Z","severity":"high","category":"Phish","entityType":"Email","data":{"sender":"phisher@malicious.com","subject":"Urgent","recipients":["user@company.com"],"urls":["http://evil.example/x"]}}'
DSIG="sha256=$(sign cgi-secret "$TS" "$D")"

run_cases() {
	cgi "GET /healthz" "$1/ops.cgi" GET /healthz "" 200
	cgi "GET /metrics" "$1/ops.cgi" GET /metrics "" 200
	cgi "create a source" "$1/webhooks.cgi" POST /api/webhooks \
	    "{\"source\":\"$S$2\",\"secret\":\"cgi-secret\",\"auto_triage\":true,\"playbook\":\"phishing_triage\"}" 201 "$AUTH"
	cgi "signed alert accepted" "$1/webhooks.cgi" POST "/api/webhooks/$S$2" "$B" 200 \
	    "HTTP_X_WEBHOOK_SIGNATURE=$SIG" "HTTP_X_WEBHOOK_TIMESTAMP=$TS"
	cgi "Defender alert triaged" "$1/webhooks.cgi" POST "/api/webhooks/$S$2" "$D" 200 \
	    "HTTP_X_WEBHOOK_SIGNATURE=$DSIG" "HTTP_X_WEBHOOK_TIMESTAMP=$TS"
	cgi "bad signature refused" "$1/webhooks.cgi" POST "/api/webhooks/$S$2" "$B" 401 \
	    "HTTP_X_WEBHOOK_SIGNATURE=sha256=00" "HTTP_X_WEBHOOK_TIMESTAMP=$TS"
	cgi "unknown source" "$1/webhooks.cgi" POST /api/webhooks/nobody "$B" 404
	cgi "list sources" "$1/webhooks.cgi" GET "/api/webhooks?limit=2" "" 200 "$AUTH"
	cgi "no token" "$1/webhooks.cgi" GET /api/webhooks "" 401
	cgi "invalid JSON" "$1/webhooks.cgi" POST /api/webhooks '{"source":' 400 "$AUTH"
	CL=5000000 cgi "declared length over the limit" "$1/webhooks.cgi" POST "/api/webhooks/$S$2" "$B" 413
	cgi "wrong method" "$1/webhooks.cgi" PATCH /api/webhooks "" 405
	cgi "list incidents" "$1/admin.cgi" GET "/api/incidents?limit=3" "" 200 "$AUTH"
	cgi "audit log" "$1/admin.cgi" GET "/api/audit/webhooks?limit=3" "" 200 "$AUTH"
	cgi "invalid playbook" "$1/admin.cgi" POST /api/playbooks \
	    '{"name":"x-bad","steps":[{"action":"nope"}]}' 400 "$AUTH"
	cgi "playbook get" "$1/admin.cgi" GET /api/playbooks/phishing_triage "" 200 "$AUTH"
}

run_cases "$ASAN" a

# The ingest worker under ASan+UBSan: a queued event becomes an incident.
cgi "create a queued source" "$ASAN/webhooks.cgi" POST /api/webhooks \
    "{\"source\":\"${S}q\",\"secret\":\"cgi-secret\",\"mode\":\"queue\",\"auto_triage\":true,\"playbook\":\"phishing_triage\"}" 201 "$AUTH"
cgi "queued alert" "$ASAN/webhooks.cgi" POST "/api/webhooks/${S}q" "$D" 202 \
    "HTTP_X_WEBHOOK_SIGNATURE=$DSIG" "HTTP_X_WEBHOOK_TIMESTAMP=$TS"
if $RUNAS env ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
    HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$ASAN/hookpost-ingest" -1 2>/dev/null &&
    [ "$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = '${S}q'")" = 1 ]; then
	ok "hookpost-ingest under ASan+UBSan"
else
	fail "hookpost-ingest under ASan+UBSan"
fi
# valgrind: the release build, the same cases.
mkdir -p "$TOP/bin/cgi"
for h in webhooks admin ops; do ln -sf "../$h.fcgi" "$TOP/bin/cgi/$h.cgi"; done
WRAP="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99"
run_cases "$TOP/bin/cgi" v
