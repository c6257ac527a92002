#!/bin/sh
# Errors the web server answers itself, before or instead of a handler, in
# the API's error shape {"error":{"code","message"}} with Content-Type
# application/json (ARCHITECTURE.md §3, §5): Apache's ErrorDocument block
# (apache.conf, htaccess, htaccess-cgi) and lighttpd's error files
# (httpd-conf/errors/).  Requests go as raw bytes over a socket, so that
# they reach the server exactly as written (no client fixes them up).
#
# The table gives, per server, STATUS:CODE (JSON with that .error.code),
# STATUS:html (the server's own HTML page, where no setting of ours can
# reach: under apache-cgi, errors found before the .htaccess is read are
# the host's), or "-" (not checked: the host's own behaviour).
. "$TOP/tests/lib.sh"

PORT=${BASE##*:}

# raw FILE: sends the file to the server as it is; sets STATUS, CTYPE and
# BODY (de-chunked).
raw() {
	_out=$(mktemp)
	perl -e '
		use strict; use IO::Socket::INET;
		$SIG{PIPE} = "IGNORE";
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1",
		    PeerPort => $ARGV[0], Timeout => 10) or die "connect: $!\n";
		binmode STDIN; binmode $s;
		local $/; my $req = <STDIN>;
		print $s $req;
		my ($resp, $buf) = ("", "");
		eval {
			local $SIG{ALRM} = sub { die "timeout\n" };
			alarm 20;
			while (sysread($s, $buf, 65536)) { $resp .= $buf }
			alarm 0;
		};
		my ($head, $body) = split /\r\n\r\n/, $resp, 2;
		$head //= ""; $body //= "";
		my ($status) = $head =~ m{^HTTP/\S+ (\d{3})};
		my ($ctype) = $head =~ m{\r\nContent-Type:[ \t]*([^\r\n]*)}i;
		if ($head =~ m{\r\nTransfer-Encoding:[ \t]*chunked}i) {
			my $plain = "";
			while ($body =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
				my $n = hex $1;
				last if $n == 0;
				$plain .= substr($body, 0, $n, "");
				$body =~ s/^\r\n//;
			}
			$body = $plain;
		}
		print(($status // "000"), "\n", ($ctype // "-"), "\n", $body);
	' "$PORT" <"$1" >"$_out" 2>&1
	STATUS=$(sed -n 1p "$_out")
	CTYPE=$(sed -n 2p "$_out")
	BODY=$(sed '1,2d' "$_out")
	rm -f "$_out"
}

H='Host: 127.0.0.1\r\nConnection: close\r\n'
J='Content-Type: application/json\r\n'

# request CASE: the raw request of each case in the table.
request() {
	case $1 in
	bad-percent)
		printf "GET /api/webhooks/%%zz HTTP/1.1\r\n$H\r\n" ;;
	bad-percent-root)
		printf "GET /%%zz HTTP/1.1\r\n$H\r\n" ;;
	dotdot)
		printf "GET /api/../etc/passwd HTTP/1.1\r\n$H\r\n" ;;
	dotdot-encoded)
		printf "GET /api/webhooks/%%2e%%2e/x HTTP/1.1\r\n$H\r\n" ;;
	dotdot-above-root)
		printf "GET /../../etc/passwd HTTP/1.1\r\n$H\r\n" ;;
	encoded-slash)
		printf "GET /api/webhooks/a%%2fb HTTP/1.1\r\n$H\r\n" ;;
	encoded-nul)
		printf "GET /api/webhooks/a%%00b HTTP/1.1\r\n$H\r\n" ;;
	header-20k)
		printf "GET /healthz HTTP/1.1\r\n${H}X-Big: %s\r\n\r\n" \
		    "$(head -c 20000 /dev/zero | tr '\0' A)" ;;
	headers-1000)
		printf "GET /healthz HTTP/1.1\r\n$H"
		i=0
		while [ $i -lt 1000 ]; do printf 'X-H%d: v\r\n' $i; i=$((i + 1)); done
		printf '\r\n' ;;
	uri-10k)
		printf "GET /api/webhooks/%s HTTP/1.1\r\n$H\r\n" \
		    "$(head -c 10000 /dev/zero | tr '\0' a)" ;;
	length-negative)
		printf "POST /api/webhooks/x HTTP/1.1\r\n$H${J}Content-Length: -1\r\n\r\n" ;;
	length-huge)
		printf "POST /api/webhooks/x HTTP/1.1\r\n$H${J}Content-Length: 99999999999999999999\r\n\r\n{}" ;;
	length-not-a-number)
		printf "POST /api/webhooks/x HTTP/1.1\r\n$H${J}Content-Length: 12abc\r\n\r\n{}" ;;
	body-3mib)
		printf "POST /api/webhooks/x HTTP/1.1\r\n$H${J}Content-Length: 3145728\r\n\r\n"
		head -c 3145728 /dev/zero | tr '\0' a ;;
	bad-chunk)
		printf "POST /api/webhooks/x HTTP/1.1\r\n$H${J}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n" ;;
	unknown-method)
		printf "FOO /api/webhooks HTTP/1.1\r\n$H\r\n" ;;
	unknown-method-unrouted)
		printf "FOO /nothing HTTP/1.1\r\n$H\r\n" ;;
	trace)
		printf "TRACE /api/webhooks HTTP/1.1\r\n$H\r\n" ;;
	bodyless-post)
		printf "POST /api/v1/triggers/none-$RUN/webhook/enable HTTP/1.1\r\n${H}Authorization: Bearer $TOKEN\r\n\r\n" ;;
	garbage-request-line)
		printf "HELLO\r\n\r\n" ;;
	bad-version)
		printf "GET /healthz HTTP/1.x\r\n$H\r\n" ;;
	no-host)
		printf "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n" ;;
	bad-header-line)
		printf "GET /healthz HTTP/1.1\r\n${H}Bad Header Line\r\n\r\n" ;;
	bad-expect)
		printf "POST /api/webhooks/x HTTP/1.1\r\n$H${J}Expect: bogus\r\nContent-Length: 2\r\n\r\n{}" ;;
	unrouted)
		printf "GET /nothing HTTP/1.1\r\n$H\r\n" ;;
	root)
		printf "GET / HTTP/1.1\r\n$H\r\n" ;;
	esac
}

# Where a handler answers (it was reached), its own JSON error is expected:
# lighttpd passes a bad escape, %2f and Expect through to the handler, and
# Apache passes an unknown method on a route to it (405 with Allow).
CASES='
# case                    apache                      lighttpd                    apache-cgi
bad-percent               400:bad_request             401:unauthorized            400:html
bad-percent-root          400:bad_request             404:not_found               400:html
dotdot                    404:not_found               404:not_found               404:not_found
dotdot-encoded            404:not_found               404:not_found               404:not_found
dotdot-above-root         400:bad_request             404:not_found               400:html
encoded-slash             404:not_found               401:unauthorized            404:html
encoded-nul               404:not_found               400:bad_request             404:html
header-20k                400:bad_request             431:header_too_large        400:html
headers-1000              400:bad_request             431:header_too_large        400:html
uri-10k                   414:uri_too_long            431:header_too_large        414:html
length-negative           400:bad_request             400:bad_request             400:html
length-huge               400:bad_request             400:bad_request             400:html
length-not-a-number       400:bad_request             400:bad_request             400:html
body-3mib                 413:payload_too_large       413:payload_too_large       413:payload_too_large
bad-chunk                 400:bad_request             400:bad_request             400:bad_request
unknown-method            405:method_not_allowed      501:not_implemented         405:method_not_allowed
unknown-method-unrouted   501:not_implemented         501:not_implemented         501:not_implemented
trace                     405:method_not_allowed      405:method_not_allowed      -
bodyless-post             404:not_found               411:length_required         404:not_found
garbage-request-line      400:bad_request             400:bad_request             400:html
bad-version               400:bad_request             505:http_version_not_supported 400:html
no-host                   400:bad_request             400:bad_request             400:html
bad-header-line           400:bad_request             400:bad_request             400:html
bad-expect                417:expectation_failed      404:unknown_source          417:html
unrouted                  404:not_found               404:not_found               404:not_found
root                      404:not_found               403:forbidden               404:not_found
'
REQ=$(mktemp)
trap 'rm -f "$REQ"' EXIT
case $SERVER in
apache) col=2 ;;
lighttpd) col=3 ;;
apache-cgi) col=4 ;;
*) fail "a column for server $SERVER"; exit 0 ;;
esac

printf '%s\n' "$CASES" | grep -v -e '^#' -e '^$' |
while read -r line; do
	set -- $line
	name=$1
	eval "want=\${$col}"
	[ "$want" = - ] && continue
	st=${want%%:*} code=${want#*:}
	request "$name" >"$REQ"
	raw "$REQ"
	if [ "$code" = html ]; then
		# The host's page: only the status is ours to check.
		[ "$STATUS" = "$st" ] && ok "$name: $st (the host's page: before the .htaccess is read)" ||
			fail "$name: $st" "status $STATUS: $BODY"
		continue
	fi
	if [ "$STATUS" = "$st" ] && case $CTYPE in application/json*) true ;; *) false ;; esac &&
	    printf '%s' "$BODY" | jq -e --arg c "$code" '.error.code == $c and (.error.message | type == "string")' >/dev/null 2>&1; then
		ok "$name: $st $code, application/json"
	else
		fail "$name: $st $code, application/json" "status $STATUS, type $CTYPE: $(printf '%s' "$BODY" | head -c 300)"
	fi
	case $name in dotdot*)
		case $BODY in *root:*) fail "$name: no file outside the API is served" "$BODY" ;;
		*) ok "$name: no file outside the API is served" ;; esac ;;
	esac
done

# The lighttpd 411 (README "lighttpd and body-less POSTs"): the same
# body-less POST with -d '' (Content-Length: 0) reaches the handler.
if [ "$SERVER" = lighttpd ]; then
	printf "POST /api/v1/triggers/none-$RUN/webhook/enable HTTP/1.1\r\n${H}Authorization: Bearer $TOKEN\r\nContent-Length: 0\r\n\r\n" >"$REQ"
	raw "$REQ"
	[ "$STATUS" = 404 ] && ok "lighttpd: with Content-Length: 0 the body-less POST reaches the handler" ||
		fail "lighttpd: with Content-Length: 0 the body-less POST reaches the handler" "$STATUS $BODY"
fi

# The error documents themselves, once: the block is the same in the three
# Apache files, and lighttpd's file for each status has Apache's code.
if [ "$SERVER" = apache ]; then
	C=$TOP/httpd-conf
	block() { sed -n '/^# BEGIN hookpost error documents/,/^# END hookpost error documents/p' "$1"; }
	BLOCK=$(mktemp)
	block "$C/apache.conf" >"$BLOCK"
	for f in htaccess htaccess-cgi; do
		if [ -s "$BLOCK" ] && block "$C/$f" | cmp -s - "$BLOCK"; then
			ok "httpd-conf/$f has apache.conf's error documents"
		else
			fail "httpd-conf/$f has apache.conf's error documents"
		fi
	done
	bad=
	n=0
	for f in "$C"/errors/*.html; do
		st=$(basename "$f" .html)
		acode=$(sed -n "s/^ErrorDocument $st \"{\\\\\"error\\\\\":{\\\\\"code\\\\\":\\\\\"\\([a-z_]*\\)\\\\\".*/\\1/p" "$BLOCK")
		lcode=$(jq -r .error.code "$f" 2>/dev/null)
		n=$((n + 1))
		[ -n "$acode" ] && [ "$acode" = "$lcode" ] || bad="$bad $st($acode/$lcode)"
	done
	docs=$(grep -c '^ErrorDocument' "$BLOCK")
	rm -f "$BLOCK"
	[ -z "$bad" ] && [ "$n" = "$docs" ] &&
		ok "httpd-conf/errors/ has one JSON file per ErrorDocument, with Apache's code ($n)" ||
		fail "httpd-conf/errors/ has one JSON file per ErrorDocument, with Apache's code" "files $n, documents $docs:$bad"
fi

# A handler that dies mid-request (issue 12): the alert is stored, then
# the process dies before its answer leaves (lib/srv.c's fault injection,
# armed by HOOKPOST_TEST_FAULTS=1, which scripts/check.sh sets).  The
# server answers its own 5xx as JSON handler_failed, and the same signed
# request sent again is answered with the stored result: one incident.
S=die-$RUN
admin PUT "/api/webhooks/$S" '{"secret":"die-secret"}'
expect_status "handler death: a source" 201
ts=$(date +%s)
b="{\"event_type\":\"die\",\"data\":{\"run\":\"$S\"}}"
sig="X-Webhook-Signature: sha256=$(sign die-secret "$ts" "$b")"
req POST "/api/webhooks/$S" -H 'Content-Type: application/json' \
    -H "X-Webhook-Timestamp: $ts" -H "$sig" -H 'X-Hookpost-Test-Fault: die' \
    --data-binary "$b"
ctype=$(printf '%s\n' "$HDRS" | tr -d '\r' | sed -n 's/^[Cc]ontent-[Tt]ype: *//p' | tail -n 1)
case $STATUS:$ctype in
5??:application/json*)
	printf '%s' "$BODY" | jq -e '.error.code == "handler_failed" and (.error.message | contains("retrying the same signed request is safe"))' >/dev/null 2>&1 &&
	    ok "handler death: the server's $STATUS is JSON handler_failed (retry is safe)" ||
	    fail "handler death: the server's 5xx is JSON handler_failed" "$STATUS $BODY" ;;
*)	fail "handler death: the server's 5xx is JSON handler_failed" "status $STATUS, type $ctype: $(printf '%s' "$BODY" | head -c 300)" ;;
esac
n=$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = '$S'")
[ "$n" = 1 ] && ok "handler death: the alert was stored before the handler died" ||
    fail "handler death: the alert was stored before the handler died" "$n incidents"
req POST "/api/webhooks/$S" -H 'Content-Type: application/json' \
    -H "X-Webhook-Timestamp: $ts" -H "$sig" --data-binary "$b"
id=$(psql_q "SELECT id FROM hookpost.incidents WHERE source = '$S'")
expect "handler death: the same signed request again answers the stored result" 200 \
    ".status == \"accepted\" and .incident_id == \"$id\""
n=$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = '$S'")
[ "$n" = 1 ] && ok "handler death: the retry made no second incident" ||
    fail "handler death: the retry made no second incident" "$n incidents"
admin DELETE "/api/webhooks/$S"
