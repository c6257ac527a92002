#!/bin/sh
# GET /api/stats (issue 11, the console's health page): requests received
# and refused per source and delivery attempts sent and failed with their
# latency, in time buckets.  Exact figures after known traffic (a user's
# trigger: accepted and refused requests; its subscriptions: a delivered
# and a failed attempt), rows placed in known buckets, the bucket sizes,
# bad parameters (400 invalid_field), 401 without a credential, and
# isolation: a user sees only its own triggers' and subscriptions' figures.
. "$TOP/tests/lib.sh"
. "$TOP/tests/data/triggers/helpers.sh"

req GET /api/stats
expect "no credential: 401" 401 '.error.code == "unauthorized"'
# Digits only: strtoll alone would take a leading space or sign ("+" is a
# space in a query string, %2B a plus).
for q in hours=0 hours=169 hours=abc hours= hours=-1 hours=1.5 \
    hours=99999999999999999999999 hours=%20%2B6 hours=%2B6 hours=+6 \
    hours=%206 hours=6%20 hours=-0 hours=0x6 hours; do
	admin GET "/api/stats?$q"
	expect "?$q: 400 invalid_field" 400 '.error.code == "invalid_field" and (.error.message | test("hours"))'
done
admin GET "/api/stats?hours=%36&x=1"
expect "?hours=%36 (a percent-encoded 6): 6 hours" 200 '.hours == 6 and .bucket_seconds == 300'
admin GET /api/stats
expect "no hours: the last 24 h in 24 hourly buckets" 200 \
    '.hours == 24 and .bucket_seconds == 3600 and (.buckets | length) == 24 and (.deliveries.sent_by_bucket | length) == 24'

# The worker half (deliveries) and the fixed rows run once.
[ "$SERVER" = lighttpd ] || exit 0

OWNER=stats-$RUN
OTHER=stats-other-$RUN
admin POST /api/tokens "{\"role\":\"user\",\"owner_id\":\"$OWNER\"}"
UT=$(jget .token)
admin POST /api/tokens "{\"role\":\"user\",\"owner_id\":\"$OTHER\"}"
VT=$(jget .token)
[ -n "$UT" ] && [ -n "$VT" ] && ok "setup: two user tokens" || fail "setup: two user tokens" "$BODY"

# --- inbound: a trigger of the user's, 3 accepted and 2 refused --------
REF=$(printf 'stats-%s.hook' "$RUN" | tr 'A-Z' 'a-z')
as "$UT" POST /api/v1/triggers "{\"ref\":\"$REF\",\"payload_schema\":{\"type\":\"object\",\"required\":[\"n\"]}}"
expect "setup: the user's trigger" 201 ".data.owner_id == \"$OWNER\""
as "$UT" POST "/api/v1/triggers/$REF/webhooks/enable" ''
KEY=$(jget .data.webhook_key)
for i in 1 2 3; do
	hit "$KEY" "{\"n\":$i}"
	case $STATUS in 2??) ;; *) fail "setup: an accepted request" "$STATUS $BODY" ;; esac
done
for i in 1 2; do
	hit "$KEY" '{"no":"n"}'
	case $STATUS in 4??) ;; *) fail "setup: a refused request" "$STATUS $BODY" ;; esac
done
n=$(psql_q "SELECT count(*) || '/' || count(*) FILTER (WHERE http_status >= 400) FROM hookpost.requests WHERE kind = 'trigger' AND source = '$REF'")
[ "$n" = 5/2 ] && ok "setup: 5 audit rows, 2 refused" || fail "setup: 5 audit rows, 2 refused" "$n"

# --- deliveries: two subscriptions of the user's, 200 and 500 -----------
LOG=$(mktemp)
start_sink "$LOG" || fail "the test receiver starts"
trap 'kill $SINK 2>/dev/null; rm -f "$LOG"' EXIT
R=http://127.0.0.1:$PORT
for p in status/200 status/500; do
	as "$UT" POST /admin/webhooks/subscriptions "{\"name\":\"stats $p $RUN\",\"url\":\"$R/$p\",\"events\":[\"threat_model.created\"]}"
	[ "$STATUS" = 201 ] || fail "setup: the user's subscription to /$p" "$STATUS $BODY"
	psql_q "UPDATE hookpost.subscriptions SET status = 'active' WHERE id = '$(jget .id)'" >/dev/null
done
psql_q "SELECT hookpost.emit('threat_model.created', 'threat_model', 'tm-$RUN', 'tm-$RUN', '$OWNER', '{}')" >/dev/null
$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_RETRY_JITTER=0 \
    "$TOP/bin/hookpost-deliver" -1 -n "st-$RUN" 2>/dev/null
n=$(psql_q "SELECT string_agg(a.status_code::text, ',' ORDER BY a.status_code) FROM hookpost.delivery_attempts a JOIN hookpost.deliveries d ON d.id = a.delivery_id WHERE d.owner_id = '$OWNER'")
[ "$n" = 200,500 ] && ok "setup: one attempt answered 200, one 500" || fail "setup: one attempt answered 200, one 500" "$n"

# by_bucket SECONDS COLUMN FROM-WHERE: {"<bucket start, UTC>": rows} by
# the rows' own timestamps, as the route buckets them: a check holds when
# an hour (or 5 minutes) turns between the traffic and the check.
by_bucket() {
	psql_q "SELECT coalesce(json_object_agg(b, n), '{}') FROM (SELECT to_char(to_timestamp(floor(extract(epoch FROM $2) / $1) * $1) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') AS b, count(*) AS n FROM $3 GROUP BY 1) x"
}
REQS="hookpost.requests WHERE kind = 'trigger' AND source = '$REF'"
ATTS="hookpost.delivery_attempts a JOIN hookpost.deliveries d ON d.id = a.delivery_id WHERE d.owner_id = '$OWNER'"
RB=$(by_bucket 3600 received_at "$REQS")
FB=$(by_bucket 3600 received_at "$REQS AND http_status >= 400")
SB=$(by_bucket 3600 a.started_at "$ATTS AND a.status_code BETWEEN 200 AND 299")
XB=$(by_bucket 3600 a.started_at "$ATTS AND a.status_code NOT BETWEEN 200 AND 299")
# jq: each *_by_bucket array as the rows' own buckets say.
PER="(.buckets | map(.[0:19])) as \$b | ($RB) as \$rb | ($FB) as \$fb | ($SB) as \$sb | ($XB) as \$xb"

# --- what the user sees -------------------------------------------------
as "$UT" GET /api/stats
expect "the user: its trigger's 5 requests, 2 refused, and nothing else" 200 \
    ".inbound.received == 5 and .inbound.refused == 2 and (.inbound.sources | length) == 1 and .inbound.sources[0].kind == \"trigger\" and .inbound.sources[0].source == \"$REF\" and .inbound.sources[0].received == 5 and .inbound.sources[0].refused == 2"
expect_json "the user: 1 attempt sent, 1 failed, latencies given" \
    '.deliveries.sent == 1 and .deliveries.failed == 1 and (.deliveries.latency_ms.p50 | type) == "number" and (.deliveries.latency_ms.p95 >= .deliveries.latency_ms.p50) and (.deliveries.latency_ms.avg | type) == "number"'
expect_json "the user: each request and attempt in the bucket of its own time" \
    "$PER | .inbound.sources[0].received_by_bucket == (\$b | map(\$rb[.] // 0)) and .inbound.sources[0].refused_by_bucket == (\$b | map(\$fb[.] // 0)) and .deliveries.sent_by_bucket == (\$b | map(\$sb[.] // 0)) and .deliveries.failed_by_bucket == (\$b | map(\$xb[.] // 0)) and ([.deliveries.p50_ms_by_bucket[] | select(. != null)] | length) == ([\$b[] | select(\$sb[.] != null or \$xb[.] != null)] | length) and .deliveries.p50_ms_by_bucket[0] == null"
expect_json "buckets are aligned on the hour, 1 h apart, the last one now" \
    '(.buckets | map(.[14:19]) | unique) == ["00:00"] and .since == .buckets[0] and (.until | .[0:19] + "Z" | fromdate) - (.buckets[-1] | .[0:19] + "Z" | fromdate) == 3600'

as "$VT" GET /api/stats
expect "another user sees none of it" 200 \
    '.inbound.received == 0 and .inbound.sources == [] and .deliveries.sent == 0 and .deliveries.failed == 0 and .deliveries.latency_ms.p50 == null and (.deliveries.sent_by_bucket | add) == 0'

admin GET /api/stats
expect "the admin sees the user's trigger with the same figures" 200 \
    "$PER | [.inbound.sources[] | select(.source == \"$REF\")] == [{kind: \"trigger\", source: \"$REF\", received: 5, refused: 2, received_by_bucket: (\$b | map(\$rb[.] // 0)), refused_by_bucket: (\$b | map(\$fb[.] // 0))}]"
expect_json "the admin's totals include the user's" \
    '.inbound.received >= 5 and .inbound.refused >= 2 and .deliveries.sent >= 1 and .deliveries.failed >= 1'

# --- bucketing: rows 3 h and 30 h ago ------------------------------------
KID=$(psql_q "SELECT k.id FROM hookpost.trigger_keys k JOIN hookpost.triggers t ON t.id = k.trigger_id WHERE t.ref = '$REF'")
# The buckets expected from the rows' own received_at, in the statement
# that writes them (a separate now() could fall in the next bucket).
HF=$(psql_q "WITH ins AS (INSERT INTO hookpost.webhook_requests (kind, source, source_id, http_status, outcome, error_code, received_at) VALUES ('trigger', '$REF', '$KID', 401, 'rejected', 'invalid_signature', now() - interval '3 hours'), ('trigger', '$REF', '$KID', 200, 'accepted', NULL, now() - interval '30 hours') RETURNING http_status, received_at) SELECT to_char(to_timestamp(floor(extract(epoch FROM received_at) / 3600) * 3600) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || ' ' || to_char(to_timestamp(floor(extract(epoch FROM received_at) / 300) * 300) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') FROM ins WHERE http_status = 401")
H=${HF% *}
F=${HF#* }
as "$UT" GET /api/stats?hours=24
expect "hours=24: the row 3 h ago in its hour's bucket, the one 30 h ago left out" 200 \
    "(.buckets | map(.[0:19]) | index(\"$H\")) as \$i | \$i != null and .inbound.received == 6 and .inbound.refused == 3 and .inbound.sources[0].refused_by_bucket[\$i] == 1 and .inbound.sources[0].received_by_bucket[\$i] == 1 and (.inbound.sources[0].received_by_bucket | add) == 6 and .inbound.received_by_bucket == .inbound.sources[0].received_by_bucket and .inbound.refused_by_bucket == .inbound.sources[0].refused_by_bucket"
as "$UT" GET /api/stats?hours=6
expect "hours=6: 72 buckets of 5 minutes, the row 3 h ago in its own" 200 \
    "(.buckets | map(.[0:19]) | index(\"$F\")) as \$i | .bucket_seconds == 300 and (.buckets | length) == 72 and \$i != null and .inbound.sources[0].refused_by_bucket[\$i] == 1 and .inbound.received == 6"
as "$UT" GET /api/stats?hours=1
expect "hours=1: 12 buckets, only this run's live traffic" 200 \
    '.bucket_seconds == 300 and (.buckets | length) == 12 and .inbound.received == 5 and .inbound.refused == 2'
as "$UT" GET /api/stats?hours=48
expect "hours=48: the row 30 h ago too" 200 \
    '(.buckets | length) == 48 and .inbound.received == 7 and .inbound.refused == 3'
as "$UT" GET /api/stats?hours=168
expect "hours=168: a week of hourly buckets" 200 '(.buckets | length) == 168 and .bucket_seconds == 3600'
