#!/bin/sh
# Email integrations end to end (issue 10, seed 003 "Email") against a
# real SMTP server the test starts itself: tests/emu/smtpd.py, Debian's
# python3-aiosmtpd, with STARTTLS required before AUTH, AUTH PLAIN/LOGIN
# against one user, an implicit-TLS (smtps) listener and a plain one, and
# a certificate made here with openssl, trusted through HOOKPOST_CA_BUNDLE
# (scripts/check.sh points it at $HOOKPOST_VAR/test-ca.pem).  Made through
# POST /api/integrations: settings refused at write (tls none with a
# password, bad addresses, a web URL); the email as received, read with
# Python's email package (headers, the severity in the subject, RFC 2047,
# both parts, quoted-printable, HTML escaped, CRLF, line lengths, dots);
# STARTTLS and AUTH used, never skipped; a wrong password failing for
# good; 451 retried on the schedule, 550 failed for good; smtps; Test
# Connection sending a test email; the CLI; the password in no log line,
# no API answer and no clear column.  Workers don't depend on the web
# server, so this runs once, under lighttpd.
. "$TOP/tests/lib.sh"
# A connector's (or the workers') behaviour does not depend on the web
# server: it runs once, under lighttpd; 78_integrations_api checks the
# routes behind every server.
[ "$SERVER" = lighttpd ] || exit 0
[ "$SERVER" = lighttpd ] || exit 0

MAILDIR=$(mktemp -d)
ERR=$(mktemp)
ANSWERS=$(mktemp)
chmod 755 "$MAILDIR"
trap 'kill $SMTPD 2>/dev/null; rm -rf "$MAILDIR" "$ERR" "$ANSWERS"' EXIT

# --- the SMTP server --------------------------------------------------------
SMTP_USER=alerts@tw.example
PW=smtp-$(openssl rand -hex 12)
WRONG=wrong-$(openssl rand -hex 12)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$MAILDIR/key.pem" -out "$MAILDIR/cert.pem" -days 2 \
    -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    2>/dev/null && ok "setup: a self-signed certificate" || fail "setup: a self-signed certificate"
if [ -n "${HOOKPOST_CA_BUNDLE:-}" ] && cp "$MAILDIR/cert.pem" "$HOOKPOST_CA_BUNDLE" &&
    chmod 644 "$HOOKPOST_CA_BUNDLE"; then
	ok "setup: the certificate is HOOKPOST_CA_BUNDLE's trust anchor"
else
	fail "setup: HOOKPOST_CA_BUNDLE is set (scripts/check.sh) and written" "${HOOKPOST_CA_BUNDLE:-unset}"
fi
# start_smtpd: three listeners from SMTP_PORT (STARTTLS, smtps, plain).
start_smtpd() {
	SMTP_PORT=$((20600 + $$ % 500 * 3))
	for _try in 1 2 3 4 5 6 7 8; do
		rm -f "$MAILDIR/ready"
		SMTPD_USER=$SMTP_USER SMTPD_PASSWORD=$PW /usr/bin/python3 \
		    "$TOP/tests/emu/smtpd.py" -p $SMTP_PORT -d "$MAILDIR" \
		    --cert "$MAILDIR/cert.pem" --key "$MAILDIR/key.pem" 2>>"$MAILDIR/smtpd.err" &
		SMTPD=$!
		for _w in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
			[ -s "$MAILDIR/ready" ] && return 0
			kill -0 $SMTPD 2>/dev/null || break
			sleep 0.2
		done
		kill $SMTPD 2>/dev/null
		SMTP_PORT=$((SMTP_PORT + 31))
	done
	return 1
}
start_smtpd && ok "setup: the SMTP server (aiosmtpd) listens" || fail "setup: the SMTP server listens" "$(tail -5 "$MAILDIR/smtpd.err")"
STARTTLS_URL=smtp://127.0.0.1:$SMTP_PORT
SMTPS_URL=smtps://127.0.0.1:$((SMTP_PORT + 1))
PLAIN_URL=smtp://127.0.0.1:$((SMTP_PORT + 2))

W="$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_RETRY_JITTER=0 HOOKPOST_DELIVERY_TIMEOUT_MS=5000"
# deliver: one run of the worker; its log lines gathered in $ERR.
deliver() { $W "$TOP/bin/hookpost-deliver" -1 -n "em-$RUN" 2>>"$ERR"; }
# api METHOD PATH [json]: an admin request whose answer is kept (to look
# for a password in every answer at the end).
api() { admin "$@"; printf '%s\n' "$BODY" >>"$ANSWERS"; }
api_post() { req POST "$1" -H "Authorization: Bearer $TOKEN" -d ''; printf '%s\n' "$BODY" >>"$ANSWERS"; }
# emit TYPE OBJECT_ID DATA: one finding-like event of owner o1.
emit() {
	psql_q "SELECT hookpost.emit('$1', '${1%%.*}', '$2', NULL, 'o1', '$3')" >/dev/null
}
# dstatus SUB: "status:attempts" of its deliveries, oldest first.
dstatus() {
	psql_q "SELECT string_agg(d.status || ':' || d.attempts, ' ' ORDER BY d.created_at, d.id) FROM hookpost.deliveries d WHERE d.subscription_id = '$1' AND d.event_type <> 'integration.test'"
}
# attempts SUB: "status_code|error" of each of its attempts, oldest first.
attempts() {
	psql_q "SELECT string_agg(coalesce(a.status_code::text, '-') || '|' || coalesce(a.error, ''), ' / ' ORDER BY a.attempt) FROM hookpost.delivery_attempts a JOIN hookpost.deliveries d ON d.id = a.delivery_id WHERE d.subscription_id = '$1'"
}
due() {
	psql_q "UPDATE hookpost.deliveries SET next_attempt_at = now() WHERE subscription_id = '$1' AND status = 'pending'" >/dev/null
}
delay() {
	psql_q "SELECT trim_scale(extract(epoch FROM d.next_attempt_at - d.updated_at)) FROM hookpost.deliveries d WHERE d.subscription_id = '$1' AND d.status = 'pending'"
}
# mails: every message the server accepted, as a mail reader sees it (one
# JSON array): the envelope, the decoded headers, each part's type,
# charset, transfer encoding and decoded text, and the raw message's
# shape (CRLF only, the longest header and body lines).
mails() {
	/usr/bin/python3 - "$MAILDIR/messages.jsonl" <<'PY'
import base64, json, sys
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
out = []
try:
    lines = open(sys.argv[1]).read().splitlines()
except OSError:
    lines = []
for line in lines:
    rec = json.loads(line)
    raw = base64.b64decode(rec["data_b64"])
    head, _, body = raw.partition(b"\r\n\r\n")
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    try:
        date_ok = parsedate_to_datetime(msg["date"]).utcoffset() is not None
    except (TypeError, ValueError):
        date_ok = False
    parts = []
    for p in msg.walk():
        if p.is_multipart():
            continue
        parts.append({"type": p.get_content_type(),
                      "charset": p.get_content_charset(),
                      "cte": p.get("content-transfer-encoding"),
                      "text": p.get_content().replace("\r\n", "\n")})
    stripped = raw.replace(b"\r\n", b"")
    out.append({
        "port": rec["port"], "tls": rec["tls"], "auth": rec["auth"],
        "mail_from": rec["mail_from"], "rcpt_tos": rec["rcpt_tos"],
        "subject": str(msg["subject"]), "raw_subject": msg.get("subject")
        and head.decode("ascii", "replace").split("Subject:", 1)[1]
        .split("\r\n", 1)[0].strip(),
        "from": str(msg["from"]), "to": str(msg["to"]),
        "date_ok": date_ok, "message_id": str(msg["message-id"]),
        "mime_version": str(msg["mime-version"]),
        "content_type": msg.get_content_type(),
        "auto_submitted": str(msg["auto-submitted"]),
        "x_event": str(msg["x-hookpost-event"]),
        "parts": parts,
        "defects": len(msg.defects) + sum(len(p.defects) for p in msg.walk()),
        "crlf_only": b"\r" not in stripped and b"\n" not in stripped,
        "ascii_only": all(c < 128 for c in raw),
        "max_header_line": max(len(l) for l in head.split(b"\r\n")),
        "max_body_line": max(len(l) for l in body.split(b"\r\n")),
    })
print(json.dumps(out))
PY
}
# mail JQ-FILTER: the messages (mails) that pass a select, as an array.
mail() { mails | jq -c "[.[] | select($1)]"; }
nmail() { mails | jq "[.[] | select($1)] | length"; }
# events JQ-FILTER: the server's AUTH and scripted-reply records.
events() { jq -sc "[.[] | select($1)]" "$MAILDIR/events.jsonl" 2>/dev/null || echo '[]'; }
# script JSON: replies for the next RCPT TO of each address.
script() { printf '%s' "$1" >"$MAILDIR/script.json"; }
hint() { printf '\342\200\246%s' "${1#"${1%????}"}"; }	# "…" + last 4

# integration NAME URL EVENTS [extra config] [extra fields]: sets EM.
integration() {
	api POST /api/integrations "{\"type\":\"email\",\"name\":\"$1\",\"events\":$3,\"config\":{\"smtp_url\":\"$2\",\"from\":\"hookpost@tw.example\",\"to\":[\"secops@example.test\",\"oncall@example.test\"]${4:+,$4}}${5:+,$5}}"
	EM=$(jget .id)
}

admin PUT /admin/quotas/webhooks/admin '{"max_subscriptions":1000,"max_subscription_requests_per_minute":1000,"max_subscription_requests_per_day":10000,"max_events_per_minute":100000}'
case $STATUS in 200|201) ok "setup: quota" ;; *) fail "setup: quota" "$STATUS $BODY" ;; esac

# --- settings refused at write ----------------------------------------------
AUTHCFG="\"username\":\"$SMTP_USER\",\"password\":\"$PW\""
integration "none $RUN" "$PLAIN_URL" '["finding.created"]' "\"tls\":\"none\",$AUTHCFG"
expect "tls none with a username and password is refused at write" 400 \
    '.error.code == "invalid_field" and (.error.message | contains("in clear"))'
integration "web $RUN" "https://smtp.example.com/" '["finding.created"]'
expect "an https:// smtp_url is refused" 400 '.error.code == "invalid_field" and (.error.message | contains("smtp"))'
integration "implicit $RUN" "$STARTTLS_URL" '["finding.created"]' '"tls":"implicit"'
expect "tls implicit with an smtp:// URL is refused" 400 '.error.code == "invalid_field" and (.error.message | contains("smtps://"))'
api POST /api/integrations "{\"type\":\"email\",\"name\":\"crlf $RUN\",\"events\":[\"finding.created\"],\"config\":{\"smtp_url\":\"$STARTTLS_URL\",\"from\":\"hookpost@tw.example\",\"to\":[\"a@example.test\\r\\nBcc: x@evil.example\"]}}"
expect "a recipient with CRLF is refused" 400 '.error.code == "invalid_field" and (.error.message | contains("to"))'
api POST /api/integrations "{\"type\":\"email\",\"name\":\"many $RUN\",\"events\":[\"finding.created\"],\"config\":{\"smtp_url\":\"$STARTTLS_URL\",\"from\":\"hookpost@tw.example\",\"to\":$(seq 1 51 | jq -R '"r\(.)@example.test"' | jq -sc .)}}"
expect "51 recipients are refused" 400 '.error.code == "invalid_field" and (.error.message | contains("to"))'
api POST /api/integrations "{\"type\":\"email\",\"name\":\"nofrom $RUN\",\"events\":[\"finding.created\"],\"config\":{\"smtp_url\":\"$STARTTLS_URL\",\"to\":[\"a@example.test\"]}}"
expect "from is required" 400 '.error.code == "invalid_field" and (.error.message | contains("from"))'
integration "user only $RUN" "$STARTTLS_URL" '["finding.created"]' "\"username\":\"$SMTP_USER\""
expect "a username without a password is refused" 400 '.error.code == "invalid_field" and (.error.message | contains("together"))'

# --- STARTTLS and AUTH: the email as received -------------------------------
integration "Security mail $RUN" "$STARTTLS_URL" '["finding.created","finding.resolved"]' "$AUTHCFG"
expect "POST /api/integrations: an email integration, the password shown as a hint" 201 \
    ".type == \"email\" and .status == \"active\" and .config.password == \"$(hint "$PW")\" and .config.username == \"$SMTP_USER\" and .config.smtp_url == \"$STARTTLS_URL\" and (.config.to | length) == 2"
EM1=$EM
F1=f1-$RUN
emit finding.created "$F1" '{"title":"Überprüfung fehlgeschlagen: <script>alert(1)</script> — 日本語のタイトル mit einem langen Betreff, der gefaltet wird","severity":"critical","url":"https://tw.example.com/findings/1?a=1&b=2","description":"Line one & <b>not bold</b>\n.\nA line after a lone dot\n..two dots","asset":"api.example.com","cvss":9.8}'
deliver
[ "$(dstatus "$EM1")" = "delivered:1" ] && ok "the finding is delivered by email" || fail "the finding is delivered" "$(dstatus "$EM1") $(tail -3 "$ERR")"
n=$(attempts "$EM1")
case $n in "250|") ok "the attempt records the SMTP reply code 250" ;; *) fail "the attempt records 250" "$n" ;; esac
m=$(mail ".port == $SMTP_PORT and (.rcpt_tos | index(\"secops@example.test\"))")
printf '%s' "$m" | jq -e "length == 1 and .[0].tls == true and .[0].auth == \"$SMTP_USER\" and
    .[0].mail_from == \"hookpost@tw.example\" and .[0].rcpt_tos == [\"secops@example.test\", \"oncall@example.test\"]" >/dev/null &&
    ok "one message, sent inside STARTTLS after AUTH, to both recipients from hookpost@tw.example" || fail "the message's envelope, TLS and AUTH" "$m"
printf '%s' "$m" | jq -e '.[0] | .subject == "[CRITICAL] Überprüfung fehlgeschlagen: <script>alert(1)</script> — 日本語のタイトル mit einem langen Betreff, der gefaltet wird" and
    (.raw_subject | startswith("=?UTF-8?B?"))' >/dev/null &&
    ok "Subject: the severity and the title, non-ASCII in RFC 2047 words, read back whole" || fail "the subject" "$m"
printf '%s' "$m" | jq -e '.[0] | .from == "hookpost <hookpost@tw.example>" and .to == "secops@example.test, oncall@example.test" and
    .date_ok and (.message_id | test("^<[0-9a-f]{32}@tw\\.example>$")) and .mime_version == "1.0" and
    .content_type == "multipart/alternative" and .auto_submitted == "auto-generated" and .x_event == "finding.created"' >/dev/null &&
    ok "From, To, Date, Message-ID at the from domain, MIME-Version, multipart/alternative, Auto-Submitted" || fail "the headers" "$m"
mid=$(printf '%s' "$m" | jq -r '.[0].message_id | ltrimstr("<") | rtrimstr(">")')
n=$(psql_q "SELECT external_ref FROM hookpost.deliveries WHERE subscription_id = '$EM1'")
[ -n "$mid" ] && [ "$n" = "$mid" ] && ok "the Message-ID is the delivery's external_ref" || fail "the Message-ID is the external_ref" "$n / $mid"
printf '%s' "$m" | jq -e '.[0] | .defects == 0 and .crlf_only and .ascii_only and .max_header_line <= 78 and .max_body_line <= 76' >/dev/null &&
    ok "the raw message: CRLF lines only, 7-bit, headers within 78 and bodies within 76 characters, no defects" || fail "the raw message's shape" "$(printf '%s' "$m" | jq -c '.[0] | {defects, crlf_only, ascii_only, max_header_line, max_body_line}')"
printf '%s' "$m" | jq -e '.[0].parts | length == 2 and .[0].type == "text/plain" and .[1].type == "text/html" and
    all(.charset == "utf-8" and .cte == "quoted-printable")' >/dev/null &&
    ok "two parts: text/plain and text/html, UTF-8, quoted-printable" || fail "the parts" "$(printf '%s' "$m" | jq -c '[.[0].parts[] | {type, charset, cte}]')"
printf '%s' "$m" | jq -e '.[0].parts[0].text | contains("[CRITICAL] Überprüfung fehlgeschlagen: <script>alert(1)</script>") and
    contains("Severity: Critical") and contains("Resource: finding/'"$F1"'") and contains("Link:     https://tw.example.com/findings/1?a=1&b=2") and
    contains("Line one & <b>not bold</b>\n.\nA line after a lone dot\n..two dots\n") and contains("  asset: api.example.com") and contains("  cvss: 9.8")' >/dev/null &&
    ok "the text part: title, severity, resource, link, the description with its dot lines intact (libcurl stuffed them), the details" || fail "the text part" "$(printf '%s' "$m" | jq -r '.[0].parts[0].text')"
printf '%s' "$m" | jq -e '.[0].parts[1].text | (contains("<script>") | not) and (contains("<b>not") | not) and
    contains("&lt;script&gt;alert(1)&lt;/script&gt;") and contains("Line one &amp; &lt;b&gt;not bold&lt;/b&gt;") and
    contains("<a href=\"https://tw.example.com/findings/1?a=1&amp;b=2\">") and contains("日本語のタイトル")' >/dev/null &&
    ok "the HTML part: every value escaped, no markup from the event, the link" || fail "the HTML part" "$(printf '%s' "$m" | jq -r '.[0].parts[1].text')"
n=$(events '.event == "auth" and .port == '"$SMTP_PORT"' and .ok')
printf '%s' "$n" | jq -e 'length >= 1 and all(.tls and .login == "'"$SMTP_USER"'")' >/dev/null &&
    ok "AUTH happened inside TLS, as the user" || fail "AUTH inside TLS" "$n"

emit finding.resolved "$F1" '{"title":"Überprüfung fehlgeschlagen","severity":"critical"}'
deliver
n=$(nmail '.subject == "[RESOLVED] [CRITICAL] Überprüfung fehlgeschlagen"')
[ "$n" = 1 ] && ok "a resolution's subject: [RESOLVED] [CRITICAL] title" || fail "the resolution's subject" "$(mails | jq -c '[.[].subject]')"

# --- the server's certificate is checked ------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$MAILDIR/other-key.pem" -out "$MAILDIR/other.pem" -days 2 \
    -subj /CN=127.0.0.1 -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
chmod 644 "$MAILDIR/other.pem"
integration "untrusted $RUN" "$STARTTLS_URL" '["assessment.completed"]' "$AUTHCFG"
EMX=$EM
before=$(nmail 'true')
nauth=$(events '.event == "auth"' | jq length)
emit assessment.completed "a1-$RUN" '{"title":"Assessment done","severity":"info"}'
$W HOOKPOST_CA_BUNDLE="$MAILDIR/other.pem" "$TOP/bin/hookpost-deliver" -1 -n "em-$RUN" 2>>"$ERR"
[ "$(dstatus "$EMX")" = "pending:1" ] && [ "$(nmail 'true')" = "$before" ] &&
    [ "$(events '.event == "auth"' | jq length)" = "$nauth" ] &&
    ok "a certificate no trusted CA signed: no AUTH, nothing sent, retried" || fail "the certificate is verified" "$(dstatus "$EMX") $(attempts "$EMX")"
case $(attempts "$EMX") in *"|"*certificate*) ok "the reason names the certificate" ;; *) fail "the reason names the certificate" "$(attempts "$EMX")" ;; esac
api DELETE "/api/integrations/$EMX"

# --- STARTTLS is required, never skipped -------------------------------------
integration "plain server $RUN" "$PLAIN_URL" '["scan.completed"]' "$AUTHCFG"
EM2=$EM
before=$(nmail 'true')
emit scan.completed "s1-$RUN" '{"title":"Scan done","severity":"info"}'
deliver
[ "$(dstatus "$EM2")" = "pending:1" ] && [ "$(nmail 'true')" = "$before" ] &&
    ok "starttls to a server without STARTTLS: nothing sent in clear, retried" || fail "STARTTLS required" "$(dstatus "$EM2") $(attempts "$EM2")"
case $(attempts "$EM2") in *"|"*STARTTLS*) ok "the reason names STARTTLS" ;; *) fail "the reason names STARTTLS" "$(attempts "$EM2")" ;; esac
api DELETE "/api/integrations/$EM2"

# --- implicit TLS (smtps) and no TLS ----------------------------------------
integration "smtps $RUN" "$SMTPS_URL" '["scan.completed"]' "$AUTHCFG"
expect "an smtps:// integration (tls implicit by default)" 201 '.config.smtp_url | startswith("smtps://")'
EM3=$EM
integration "relay $RUN" "$PLAIN_URL" '["scan.completed"]' '"tls":"none"'
expect "tls none without credentials is accepted (an internal relay)" 201 '.config.tls == "none"'
EM4=$EM
emit scan.completed "s2-$RUN" '{"title":"Weekly scan","severity":"low"}'
deliver
[ "$(dstatus "$EM3")" = "delivered:1" ] && [ "$(dstatus "$EM4")" = "delivered:1" ] &&
    ok "smtps and the plain relay both delivered" || fail "smtps and plain delivered" "$(dstatus "$EM3") / $(dstatus "$EM4") $(tail -3 "$ERR")"
n=$(mail '.subject == "[LOW] Weekly scan"')
printf '%s' "$n" | jq -e "length == 2 and (map(select(.port == $((SMTP_PORT + 1)) and .tls and .auth == \"$SMTP_USER\")) | length == 1) and
    (map(select(.port == $((SMTP_PORT + 2)) and (.tls | not) and .auth == null)) | length == 1)" >/dev/null &&
    ok "smtps: TLS from the first byte and AUTH; none: in clear, no AUTH" || fail "smtps and none as received" "$n"
api DELETE "/api/integrations/$EM3"
api DELETE "/api/integrations/$EM4"

# --- a wrong password: failed for good ---------------------------------------
integration "wrong password $RUN" "$STARTTLS_URL" '["sla.breach_warning"]' "\"username\":\"$SMTP_USER\",\"password\":\"$WRONG\""
EM5=$EM
before=$(nmail 'true')
emit sla.breach_warning "w1-$RUN" '{"title":"SLA at risk","severity":"high"}'
deliver
[ "$(dstatus "$EM5")" = "failed:1" ] && [ "$(nmail 'true')" = "$before" ] &&
    ok "a wrong password: 535, failed after one attempt, nothing sent" || fail "a wrong password fails for good" "$(dstatus "$EM5") $(attempts "$EM5")"
case $(attempts "$EM5") in "535|SMTP 535 5.7.8 Authentication credentials invalid") ok "the reason is the server's reply" ;; *) fail "the 535's reason" "$(attempts "$EM5")" ;; esac
n=$(events '.event == "auth" and (.ok | not)')
printf '%s' "$n" | jq -e 'length == 1 and .[0].tls' >/dev/null && ok "the server saw one failed AUTH, inside TLS" || fail "one failed AUTH" "$n"
grep -q "failed: SMTP 535 .*(attempt 1; not retried)" "$ERR" && ok "the worker logs the 535 as not retried" || fail "the worker logs the 535" "$(tail -3 "$ERR")"

# --- 451 retried, 550 failed for good ----------------------------------------
integration "temp $RUN" "$STARTTLS_URL" '["sync.failed"]' "$AUTHCFG" '"retry_count":2'
EM6=$EM
api PUT "/api/integrations/$EM6" '{"config":{"to":["busy@example.test"]}}'
expect "PUT: new recipients, the password kept" 200 ".config.to == [\"busy@example.test\"] and .config.password == \"$(hint "$PW")\""
script '{"busy@example.test": ["451 4.3.0 Mailbox busy, try again later"]}'
emit sync.failed "y1-$RUN" '{"title":"Tenable sync failed","severity":"medium"}'
deliver
[ "$(dstatus "$EM6")" = "pending:1" ] && [ "$(delay "$EM6")" = 30 ] &&
    ok "451: retried 30 s later, the schedule's first step" || fail "451 retried on the schedule" "$(dstatus "$EM6") $(delay "$EM6") $(attempts "$EM6")"
case $(attempts "$EM6") in "451|SMTP 451 4.3.0 Mailbox busy, try again later") ok "the 451 and its text are recorded" ;; *) fail "the 451 is recorded" "$(attempts "$EM6")" ;; esac
due "$EM6"
deliver
[ "$(dstatus "$EM6")" = "delivered:2" ] && [ "$(nmail '.rcpt_tos == ["busy@example.test"]')" = 1 ] &&
    ok "then delivered on the retry, once" || fail "451, then delivered" "$(dstatus "$EM6") $(attempts "$EM6")"

integration "perm $RUN" "$STARTTLS_URL" '["sync.failed"]' "$AUTHCFG"
EM7=$EM
api PUT "/api/integrations/$EM7" '{"config":{"to":["ok@example.test","gone@example.test"]}}'
script '{"gone@example.test": ["550 5.1.1 No such user here"]}'
emit sync.failed "y2-$RUN" '{"title":"Qualys sync failed","severity":"medium"}'
deliver
[ "$(dstatus "$EM7")" = "failed:1" ] && ok "550 for one recipient: failed after one attempt" || fail "550 fails for good" "$(dstatus "$EM7") $(attempts "$EM7")"
case $(attempts "$EM7") in "550|SMTP 550 5.1.1 No such user here") ok "the 550 and its text are recorded" ;; *) fail "the 550 is recorded" "$(attempts "$EM7")" ;; esac
[ "$(nmail '.rcpt_tos | index("ok@example.test")')" = 0 ] && ok "and the message went to no one (all recipients or none)" || fail "nothing sent on a 550" "$(mails | jq -c '[.[].rcpt_tos]')"
n=$(psql_q "SELECT count(*) FROM hookpost.delivery_queue q JOIN hookpost.deliveries d ON d.id = q.delivery_id WHERE d.subscription_id = '$EM7'")
[ "$n" = 0 ] && ok "nothing left to send after the 550" || fail "nothing left after the 550" "$n"

# --- Test Connection ---------------------------------------------------------
api_post "/api/integrations/$EM1/test"
expect "POST .../test: a test email, delivered with 250" 200 '.ok == true and .outcome == "delivered" and .status_code == 250 and .error == null'
n=$(mail '.subject == "[INFO] hookpost test message" and .port == '"$SMTP_PORT")
printf '%s' "$n" | jq -e "length == 1 and .[0].tls and .[0].auth == \"$SMTP_USER\" and .[0].x_event == \"integration.test\" and
    (.[0].parts[0].text | contains(\"this integration is connected\"))" >/dev/null &&
    ok "the server received the test email, over STARTTLS with AUTH" || fail "the test email as received" "$n"
api_post "/api/integrations/$EM5/test"
expect "Test Connection with the wrong password: failed, the server's reply" 200 \
    '.ok == false and .outcome == "failed" and .status_code == 535 and (.error | startswith("SMTP 535"))'

# --- the CLI (README "Email (SMTP)") -----------------------------------------
export HOOKPOST_URL=$BASE HOOKPOST_TOKEN=$TOKEN
out=$(SMTP_PASSWORD=$PW "$TOP/bin/hookpost" --json integration add email "CLI mail $RUN" \
    --events finding.created --severity-threshold high \
    --config smtp_url="$STARTTLS_URL" --config from=hookpost@tw.example \
    --config 'to:=["cli@example.test"]' --config username="$SMTP_USER" \
    --config password=@env:SMTP_PASSWORD 2>&1)
printf '%s\n' "$out" >>"$ANSWERS"
printf '%s' "$out" | jq -e ".type == \"email\" and .config.password == \"$(hint "$PW")\" and .severity_threshold == \"high\"" >/dev/null &&
    ok "hookpost integration add email: created, the password from the environment" || fail "the CLI adds an email integration" "$out"
CLI_ID=$(printf '%s' "$out" | jq -r .id)
out=$("$TOP/bin/hookpost" integration test "$CLI_ID" 2>&1)
[ "$(nmail '.rcpt_tos == ["cli@example.test"]')" = 1 ] && ok "hookpost integration test: the test email arrives" || fail "the CLI's test email" "$out"

# --- a new server needs the password again ---------------------------------------
api PUT "/api/integrations/$EM1" "{\"config\":{\"smtp_url\":\"$SMTPS_URL\"}}"
expect "PUT a new smtp_url without the password: 400 secret_required" 400 '.error.code == "secret_required"'

# --- the password: never logged, never answered ------------------------------
for id in $EM1 $EM5 $EM6 $EM7 $CLI_ID; do
	api GET "/api/integrations/$id"
	api GET "/api/integrations/$id/deliveries"
done
api GET "/api/integrations?type=email"
leak=
for s in "$PW" "$WRONG"; do
	grep -qF "$s" "$ANSWERS" && leak="$leak API"
	grep -qF "$s" "$ERR" && leak="$leak worker"
	f=$(grep -rlF "$s" "$HOOKPOST_VAR/log" 2>/dev/null) && leak="$leak $f"
done
[ -z "$leak" ] && ok "no password in an API answer or a log line (worker, servers, handlers, PostgreSQL)" || fail "no password leaks" "$leak"
n=$(psql_q "SELECT count(*) FROM hookpost.subscriptions WHERE type = 'email' AND (config::text LIKE '%$PW%' OR config::text LIKE '%$WRONG%' OR config_hints::text LIKE '%$PW%' OR coalesce(config_secret_enc, '') LIKE '%$PW%' OR config ? 'password')")
m=$(psql_q "SELECT count(*) FROM hookpost.subscriptions WHERE id IN ('$EM1', '$EM5', '$EM6', '$EM7') AND config_secret_enc IS NOT NULL")
[ "$n" = 0 ] && [ "$m" = 4 ] && ok "the password is sealed at rest, no clear copy" || fail "the password is sealed" "$n $m"
