#!/bin/sh
# The trigger receiver's per-IP and global rate limits (seed 002 "Rate
# Limiting": per IP 1,000 and global 10,000 requests a minute, issue 8),
# beside the per-key one of 56_trigger_receiver: 429 with Retry-After and
# the error body, audited and counted in /metrics; one client's count
# does not limit another, and X-Forwarded-For names the client only from
# HOOKPOST_TRUSTED_PROXIES.  The limits are set low through the
# configuration (HOOKPOST_TRIGGER_RATE_PER_IP, _GLOBAL, which
# scripts/stack.sh writes to hookpost.conf) by restarting the web server,
# and restored (with the counts cleared) at the end.
. "$TOP/tests/lib.sh"
. "$TOP/tests/data/triggers/helpers.sh"

restart() {	# [NAME=value...]: the stack again, with these settings
	env "$@" "$TOP/scripts/stack.sh" start >/dev/null 2>&1 ||
	    fail "restart the stack with $*"
}
# The defaults again, and no count left to limit the tests after this.
finish() {
	restart
	psql_q "DELETE FROM hookpost.trigger_rate_counts" >/dev/null
}
trap finish EXIT

metric() {	# name labels -> value (0 when absent)
	v=$(curl -s "$BASE/metrics" | grep -F "$1{$2}" | awk '{print $2}')
	echo "${v:-0}"
}
# A phase starts with no counts, and early enough in a clock minute to
# end in it (the counts are per minute).
phase_start() {
	psql_q "DELETE FROM hookpost.trigger_rate_counts" >/dev/null
	_s=$(date +%S)
	_s=${_s#0}
	[ "$_s" -lt 54 ] || sleep $((61 - _s))
}

# until_limited KEY MAX [curl args...]: sends until a 429, at most MAX
# requests; PASSED: how many got through before it.
until_limited() {
	_k=$1 _max=$2 _i=0
	shift 2
	PASSED=0
	while [ $_i -lt "$_max" ]; do
		_i=$((_i + 1))
		hit "$_k" "{\"n\":$_i}" "$@"
		[ "$STATUS" = 429 ] && return 0
		[ "$STATUS" = 200 ] && PASSED=$((PASSED + 1))
	done
}

retry_after_ok() {	# NAME: the last answer's Retry-After is 1..60
	_ra=$(header Retry-After)
	if [ -n "$_ra" ] && [ "$_ra" -ge 1 ] && [ "$_ra" -le 60 ]; then
		ok "$1 ($_ra s)"
	else
		fail "$1" "$HDRS"
	fi
}

T=lim$RUN.flood
trigger_new "$T"
TK=$KEY
U=lim$RUN.other
trigger_new "$U"
UK=$KEY

# --- per IP, no trusted proxy: the peer is the client -------------------------
restart HOOKPOST_TRIGGER_RATE_PER_IP=3 HOOKPOST_TRIGGER_RATE_GLOBAL=0
phase_start
until_limited "$TK" 12
expect "per IP: over 3 a minute from one address is 429 ip_rate_limited" 429 \
  '.error.code == "ip_rate_limited" and (.error.message | contains("3 requests per minute"))'
[ "$PASSED" -ge 3 ] && ok "per IP: the first 3 of the minute passed" || fail "per IP: the first 3 of the minute passed" "$PASSED"
retry_after_ok "per IP: 429 carries Retry-After until the minute ends"
hit "$UK" '{"other":"trigger"}'
expect "per IP: the count is the address's, over every trigger" 429 '.error.code == "ip_rate_limited"'
hit "$TK" '{"n":"x"}' -H 'X-Forwarded-For: 198.51.100.77'
expect "per IP: X-Forwarded-For from an untrusted peer makes no other client" 429 '.error.code == "ip_rate_limited"'
n=$(psql_q "SELECT count(*) FROM hookpost.webhook_requests WHERE kind = 'trigger' AND source = '$T' AND error_code = 'ip_rate_limited' AND http_status = 429 AND remote_addr = '127.0.0.1'")
[ "$n" -ge 2 ] && ok "per IP: each 429 is audited with its address" || fail "per IP: each 429 is audited with its address" "$n"
m=$(metric webhook_errors_total "source=\"$T\",code=\"ip_rate_limited\"")
[ "$m" = "$n" ] && ok "per IP: /metrics counts them ($m)" || fail "per IP: /metrics counts them" "$m, audit $n"

# --- per IP through a trusted proxy, and global ---------------------------------
restart HOOKPOST_TRIGGER_RATE_PER_IP=3 HOOKPOST_TRIGGER_RATE_GLOBAL=10 \
    HOOKPOST_TRUSTED_PROXIES=127.0.0.0/8
phase_start
A=198.51.100.1
until_limited "$TK" 12 -H "X-Forwarded-For: $A"
expect "per IP: the client behind a trusted proxy is limited" 429 '.error.code == "ip_rate_limited"'
hit "$TK" '{"client":"b"}' -H 'X-Forwarded-For: 198.51.100.2'
expect "per IP: another client is not limited by the first one's count" 200 '.data.event_id | test("^[0-9a-f-]{36}$")'
n=$(psql_q "SELECT count(*) FROM hookpost.webhook_requests WHERE kind = 'trigger' AND source = '$T' AND error_code = 'ip_rate_limited' AND remote_addr = '$A'")
[ "$n" = 1 ] && ok "per IP: the audit row names the forwarded client" || fail "per IP: the audit row names the forwarded client" "$n"

# Counted in rows of each process and minute; past minutes go by themselves.
psql_q "INSERT INTO hookpost.trigger_rate_counts VALUES (hookpost.trigger_rate_minute() - 5, 'ip', '192.0.2.9', 1, 1)" >/dev/null
hit "$TK" '{"client":"c"}' -H 'X-Forwarded-For: 198.51.100.3'
expect_status "per IP: a third client passes" 200
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_rate_counts WHERE minute < hookpost.trigger_rate_minute()")
[ "$n" = 0 ] && ok "the counts of past minutes are deleted by the receiver" || fail "the counts of past minutes are deleted by the receiver" "$n"

i=0
while [ $i -lt 30 ]; do
	i=$((i + 1))
	hit "$UK" "{\"g\":$i}" -H "X-Forwarded-For: 203.0.113.$i"
	[ "$STATUS" = 429 ] && break
done
expect "global: over 10 a minute from everyone is 429 global_rate_limited" 429 \
  '.error.code == "global_rate_limited" and (.error.message | contains("10 requests per minute"))'
retry_after_ok "global: 429 carries Retry-After until the minute ends"
hit "$TK" '{"fresh":1}' -H 'X-Forwarded-For: 192.0.2.200'
expect "global: a client never seen is refused too" 429 '.error.code == "global_rate_limited"'
n=$(psql_q "SELECT count(*) FROM hookpost.webhook_requests WHERE kind = 'trigger' AND source IN ('$T', '$U') AND error_code = 'global_rate_limited' AND http_status = 429")
[ "$n" -ge 2 ] && ok "global: each 429 is audited" || fail "global: each 429 is audited" "$n"
m1=$(metric webhook_errors_total "source=\"$T\",code=\"global_rate_limited\"")
m2=$(metric webhook_errors_total "source=\"$U\",code=\"global_rate_limited\"")
[ $((m1 + m2)) = "$n" ] && ok "global: /metrics counts them ($m1 + $m2)" || fail "global: /metrics counts them" "$m1 + $m2, audit $n"
admin GET "/api/v1/triggers/$T"
expect_status "global: admin routes are not limited" 200

# --- requests at once: group commit (lib/db.c db_group) ---------------------------
# A process writes the requests it has in hand in one transaction, each
# through trigger_receive.  40 at once from one address at a limit of 25:
# none refused below the limit, none lost, and at most the documented
# slack (7 a process) past it.
restart HOOKPOST_TRIGGER_RATE_PER_IP=25 HOOKPOST_TRIGGER_RATE_GLOBAL=0
phase_start
cfg=$(mktemp)
i=0
while [ $i -lt 40 ]; do
	[ $i = 0 ] || echo next >>"$cfg"
	printf 'url = "%s"\nheader = "Content-Type: application/json"\ndata = "{\\"at_once\\":%d}"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
	    "$BASE/api/v1/webhooks/$TK" $i >>"$cfg"
	i=$((i + 1))
done
codes=$(curl -sS --parallel --parallel-immediate --parallel-max 40 \
    --max-time 30 -K "$cfg" 2>/dev/null | sort | uniq -c | awk '{ print $2 "=" $1 }' | tr '\n' ' ')
rm -f "$cfg"
a=$(printf '%s' "$codes" | sed -n 's/.*200=\([0-9]*\).*/\1/p')
l=$(printf '%s' "$codes" | sed -n 's/.*429=\([0-9]*\).*/\1/p')
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_events WHERE trigger_ref = '$T' AND payload ? 'at_once'")
[ "${a:-0}" -ge 25 ] && [ "${a:-0}" -le 39 ] && [ $((${a:-0} + ${l:-0})) = 40 ] &&
    [ "$n" = "${a:-0}" ] &&
    ok "40 at once at a per-IP limit of 25: $a accepted and stored, $l limited" ||
    fail "40 at once at a per-IP limit of 25: 25 to 39 accepted and stored, the rest limited" \
	"$codes, $n stored"

# --- 0 switches a limit off ---------------------------------------------------------
restart HOOKPOST_TRIGGER_RATE_PER_IP=0 HOOKPOST_TRIGGER_RATE_GLOBAL=0
phase_start
psql_q "INSERT INTO hookpost.trigger_rate_counts VALUES (hookpost.trigger_rate_minute(), 'ip', '127.0.0.1', 1, 1000000), (hookpost.trigger_rate_minute(), 'global', '', 1, 1000000)" >/dev/null
hit "$TK" '{"off":1}'
expect "with both limits 0 a client over any count passes" 200 '.data.event_id | test("^[0-9a-f-]{36}$")'
n=$(psql_q "SELECT sum(n) FROM hookpost.trigger_rate_counts")
[ "$n" = 2000000 ] && ok "with both limits 0 nothing is counted" || fail "with both limits 0 nothing is counted" "$n"

# --- the limiter is planned once per connection --------------------------------------
# Left to choose, PostgreSQL planned the key's limiter (inlined in
# trigger_receive) anew on every request, a custom plan folding the key's
# sliding log away ("One-Time Filter: false"): most of the receiver's
# cost.  auto_explain shows the plans of eight calls in one session (a
# per-IP limit of 10, so that each is counted and checked at once); none
# may be such a custom plan (sql/functions/triggers.sql, trigger_receive).
ids=$(psql_q "SELECT t.id || ' ' || k.id FROM hookpost.triggers t JOIN hookpost.trigger_keys k ON k.trigger_id = t.id AND k.revoked_at IS NULL WHERE t.ref = '$T' LIMIT 1")
q="SELECT outcome FROM hookpost.trigger_receive(${ids% *}, '$T', '${ids#* }', true, 100, 60, 10, 0, NULL, NULL, false, '{}', '{}', NULL, NULL, '192.0.2.77', 'plan-test', 1, 'x', 2, 200, NULL);"
plans=$({ echo "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on; SET client_min_messages = log; BEGIN;"
	for i in 1 2 3 4 5 6 7 8; do echo "$q"; done; echo "ROLLBACK;"; } |
    $PSQL -qAt -f - 2>&1)
n=$(printf '%s\n' "$plans" | grep -c 'trigger_rate_counts c')
f=$(printf '%s\n' "$plans" | grep -c 'One-Time Filter: false')
[ "$n" -ge 8 ] && [ "$f" = 0 ] &&
    ok "the rate limiter keeps one generic plan ($n plans seen)" ||
    fail "the rate limiter keeps one generic plan" "limiter plans $n, custom $f: $(printf '%s\n' "$plans" | head -c 600)"

# --- counts held by a backend far below the limits --------------------------------------
# trigger_flood (sql/functions/triggers.sql): far enough below both limits
# a backend writes its counts once in 8 requests (FLOOD_BATCH); near a
# limit it counts and checks each request at once, and the limit holds
# exactly.  One session, rolled back.
flood() {	# LIMIT N: N requests from 192.0.2.88 at a per-IP limit LIMIT
	{ echo "BEGIN;"
	  i=0; while [ $i -lt "$2" ]; do
		echo "SELECT outcome FROM hookpost.trigger_receive(${ids% *}, '$T', '${ids#* }', false, 100, 60, $1, 0, NULL, NULL, false, '{}', '{}', NULL, NULL, '192.0.2.88', 'flood-test', 1, 'x', 2, 200, NULL);"
		i=$((i + 1))
	  done
	  echo "SELECT 'written ' || coalesce(sum(n), 0) FROM hookpost.trigger_rate_counts WHERE scope = 'ip' AND subject = '192.0.2.88';"
	  echo "ROLLBACK;"; } | $PSQL -qAt -f - 2>&1 | sort | uniq -c |
	    awk '{ $1 = $1; print }' | tr '\n' ',' | sed 's/,$//'
}
phase_start
r=$(flood 1000000 20)
[ "$r" = "20 accepted,1 written 17" ] &&
    ok "far below the limit, counts are written once in 8 requests (1 + 8 + 8 of 20)" ||
    fail "far below the limit, counts are written once in 8 requests" "$r"
r=$({ echo "BEGIN;"
	for ip in 192.0.2.88 192.0.2.88 192.0.2.88 192.0.2.88 192.0.2.88 192.0.2.89; do
		echo "SELECT outcome FROM hookpost.trigger_receive(${ids% *}, '$T', '${ids#* }', false, 100, 60, 1000000, 0, NULL, NULL, false, '{}', '{}', NULL, NULL, '$ip', 'flood-test', 1, 'x', 2, 200, NULL);"
	done
	echo "SELECT 'written ' || string_agg(subject || '=' || n, ' ' ORDER BY subject) FROM hookpost.trigger_rate_counts WHERE scope = 'ip' AND subject LIKE '192.0.2.8_';"
	echo "ROLLBACK;"; } | $PSQL -qAt -f - 2>&1 | grep written)
[ "$r" = "written 192.0.2.88=5 192.0.2.89=1" ] &&
    ok "counts held for one address are written when the next request comes from another" ||
    fail "counts held for one address are written when the next request comes from another" "$r"
r=$(flood 25 40)
[ "$r" = "25 accepted,15 rate_limited,1 written 25" ] &&
    ok "near the limit every request is counted at once: 25 of 40 pass a limit of 25" ||
    fail "near the limit every request is counted at once" "$r"
