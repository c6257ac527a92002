#!/bin/sh
# webhook_requests partitioned by day (sql/029, issue 13): migrate made
# today's partitions; a refusal lands in today's; the replay guard
# (hookpost.alert_guards) answers a replay with the first answer across
# a day boundary and after the audit row is gone, and stores two at once
# once; an accepted alert writes neither; hookpost-cleanup drops a day
# past retention whose rows are folded into the metrics rollup, holds a
# day with a row above the watermark until it is folded, and deletes the
# default partition's rows by the same rule.  Runs once.
. "$TOP/tests/lib.sh"
[ "$SERVER" = lighttpd ] || exit 0

day() {	# OFFSET: the partition of today (UTC) + OFFSET days
	psql_q "SELECT 'webhook_requests_p' || to_char((now() AT TIME ZONE 'UTC')::date + $1, 'YYYYMMDD')"
}
add() {	# OFFSET: that day's partition made (t) or there already (f)
	psql_q "SELECT hookpost.day_partition_add('webhook_requests', 'received_at', (now() AT TIME ZONE 'UTC')::date + $1)"
}
where() {	# ID: the partition that holds audit row ID ("none": no row)
	psql_q "SELECT coalesce((SELECT c.relname FROM hookpost.webhook_requests w JOIN pg_class c ON c.oid = w.tableoid WHERE w.id = $1), 'none')"
}
own() {	# ID: the day partition named by audit row ID's own received_at
	psql_q "SELECT 'webhook_requests_p' || to_char(received_at AT TIME ZONE 'UTC', 'YYYYMMDD') FROM hookpost.webhook_requests WHERE id = $1"
}
ex() { psql_q "SELECT to_regclass('hookpost.$1') IS NOT NULL"; }
cleanup() {	# LOG: hookpost-cleanup with its defaults (-a 90)
	$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$TOP/bin/hookpost-cleanup" 2>"$1"
}
T0=$(day 0)

n=$(ex "$T0")$(ex "$(day 1)")$(ex "$(day 2)")$(ex "$(day 3)")$(ex webhook_requests_default)$(psql_q "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'hookpost.webhook_requests'::regclass")
[ "$n" = tttttr ] && ok "migrate made today's partition, the next 3 days' and the default one" || fail "today's partitions" "$n"

req POST "/api/webhooks/nosuch-$RUN" -H 'Content-Type: application/json' --data-binary '{}'
id=$(psql_q "SELECT max(id) FROM hookpost.webhook_requests WHERE source = 'nosuch-$RUN'")
# (Its own day, not T0: a run may cross midnight UTC in between.)
[ "$STATUS/$(where "$id")" = "404/$(own "$id")" ] && ok "a refusal's audit row lands in today's partition" || fail "refusal in today's partition" "$STATUS/$(where "$id") vs $(own "$id")"

# The hot path: an accepted alert (the fast statement) writes its
# incident, which is its audit row and guard, and nothing here.
S=ap-s-$RUN
admin POST /api/webhooks "{\"source\":\"$S\",\"secret\":\"s-secret\"}"
expect_status "setup: a sync source" 201
rows() { psql_q "SELECT (SELECT count(*) FROM hookpost.webhook_requests) || '/' || (SELECT count(*) FROM hookpost.alert_guards)"; }
r0=$(rows)
hook "$S" s-secret '{"event_type":"security_alert","data":{"alert_id":"ap1","severity":"high"}}'
r1=$(rows)
[ "$STATUS/$(jget .status)/$r1" = "200/accepted/$r0" ] && ok "an accepted alert writes no audit table row and no guard" || fail "accepted alert writes" "$STATUS $BODY, rows/guards $r0 -> $r1"

# A replay after midnight: the first request's audit row is dated
# yesterday, in yesterday's partition; the replay, today's, is answered
# as the first was.
Q=ap-q-$RUN
admin POST /api/webhooks "{\"source\":\"$Q\",\"secret\":\"q-secret\",\"mode\":\"queue\"}"
expect_status "setup: a queued source" 201
ts=$(date +%s)
b='{"event_type":"security_alert","data":{"alert_id":"ap2","severity":"high"}}'
hook "$Q" q-secret "$b" "$ts"
FIRST=$BODY
[ "$STATUS/$(jget .status)" = 202/queued ] && ok "setup: a queued alert" || fail "setup: a queued alert" "$STATUS $BODY"
add -1 >/dev/null
g=$(psql_q "SELECT id FROM hookpost.webhook_requests WHERE source = '$Q' AND signature IS NOT NULL")
psql_q "UPDATE hookpost.webhook_requests SET received_at = received_at - interval '1 day' WHERE id = $g" >/dev/null
[ "$(where "$g")" = "$(own "$g")" ] && [ "$(own "$g")" != "$(own "$id")" ] && ok "setup: its audit row moved to yesterday's partition" || fail "setup: audit row yesterday" "$(where "$g")"
hook "$Q" q-secret "$b" "$ts"
rp=$(psql_q "SELECT max(id) FROM hookpost.webhook_requests WHERE source = '$Q' AND outcome = 'replayed'")
[ "$STATUS/$BODY/$(where "$rp")" = "202/$FIRST/$(own "$rp")" ] && ok "a replay today is answered with yesterday's first answer, its own audit row in today's partition" || fail "replay across midnight" "$STATUS $BODY vs $FIRST, $(where "$rp")"
psql_q "DELETE FROM hookpost.webhook_requests WHERE id = $g" >/dev/null
hook "$Q" q-secret "$b" "$ts"
n=$(psql_q "SELECT count(*) FROM hookpost.inbound_queue q JOIN hookpost.sources s ON s.id = q.source_id WHERE s.name = '$Q'")
[ "$STATUS/$BODY/$n" = "202/$FIRST/1" ] && ok "and still once its audit row is gone (the guard holds the answer); queued once" || fail "replay without the audit row" "$STATUS $BODY vs $FIRST, queued $n"

# Two at once, made certain: the first holds its transaction open while
# the second arrives, which waits on the guard's key and is a replay.
sid=$(psql_q "SELECT id FROM hookpost.sources WHERE name = '$Q'")
sig=$(sign q-secret "$ts" two-at-once)
call="SELECT outcome || ' ' || coalesce(prior, '-') || ' ' || queue_id FROM hookpost.alert_queue('$sid', '$Q', NULL, $ts, '$sig', '127.0.0.1', 'test', 1, NULL, 2, 202, '{}')"
$PSQL -qAt -c "$call" -c "SELECT pg_sleep(2)" -c COMMIT --set=AUTOCOMMIT=off >"$HOOKPOST_VAR/76_first.out" 2>&1 &
hold=$!
sleep 0.5
second=$(psql_q "$call")
wait $hold
first=$(head -1 "$HOOKPOST_VAR/76_first.out")
qid=${first##* }
n=$(psql_q "SELECT count(*) FROM hookpost.alert_guards WHERE source_id = '$sid' AND signed_at = $ts AND signature = decode('$sig', 'hex')")/$(psql_q "SELECT count(*) FROM hookpost.inbound_queue WHERE id = '$qid'")
[ "$first|$second|$n" = "queued - $qid|replay queued $qid|1/1" ] && ok "two at once: one stored, the other a replay answered with its queue id" || fail "two at once" "$first|$second|$n"

# And over HTTP: eight identical requests at once, one answer, stored once.
b='{"event_type":"security_alert","data":{"alert_id":"ap3","severity":"low"}}'
ts=$(date +%s)
i=0
while [ $i -lt 8 ]; do
	( hook "$Q" q-secret "$b" "$ts"; echo "$STATUS $BODY" >"$HOOKPOST_VAR/76_burst.$i" ) &
	i=$((i + 1))
done
wait
n=$(cat "$HOOKPOST_VAR"/76_burst.* | sort -u | wc -l)/$(cat "$HOOKPOST_VAR"/76_burst.* | sort -u | cut -c1-4)
qid=$(sed 's/^202 //' "$HOOKPOST_VAR/76_burst.0" | jq -r .queue_id)
m=$(psql_q "SELECT count(*) FROM hookpost.inbound_queue WHERE id = '$qid'")/$(psql_q "SELECT count(*) FROM hookpost.inbound_queue q WHERE q.source_id = '$sid' AND q.raw_payload = '$b'")
[ "$n/$m" = "1/202 /1/1" ] && ok "eight identical requests at once: one answer, queued once" || fail "eight at once" "$n/$m: $(cat "$HOOKPOST_VAR"/76_burst.*)"
rm -f "$HOOKPOST_VAR"/76_burst.* "$HOOKPOST_VAR/76_first.out"

# Retention (-a 90).  Folded rows: one 100 days ago (its own day's
# partition), one of 2000 (the default partition).
[ "$(add -100)$(add -95)" = tt ] && ok "setup: the partitions of 100 and 95 days ago" || fail "setup: old partitions"
ins() {	# RECEIVED_AT: an audit row's id
	psql_q "INSERT INTO hookpost.webhook_requests (kind, source, http_status, outcome, received_at) VALUES ('source', 'ap-old-$RUN', 401, 'rejected', $1) RETURNING id"
}
a100=$(ins "now() - interval '100 days'")
d2000=$(ins "'2000-01-01 12:00Z'")
psql_q "CALL hookpost.metrics_rollup()" >/dev/null
# Rows above the watermark: the audit lock held (a writer in flight),
# so that no fold moves it past them (metrics.sql).
$PSQL -qAt -c "SET application_name = 'ap-hold-$RUN'" -c "SELECT pg_advisory_xact_lock_shared(1752133483, 1)" -c "SELECT pg_sleep(60)" --set=AUTOCOMMIT=off >/dev/null 2>&1 &
hold=$!
i=0
until [ "$(psql_q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE a.application_name = 'ap-hold-$RUN' AND l.locktype = 'advisory' AND l.granted")" = 1 ] || [ $i -ge 50 ]; do
	sleep 0.1; i=$((i + 1))
done
a95=$(ins "now() - interval '95 days'")
d2001=$(ins "'2001-01-01 12:00Z'")
w=$(psql_q "SELECT ($a100 <= last_request_id) || '/' || ($d2000 <= last_request_id) || '/' || ($a95 > last_request_id) || '/' || ($d2001 > last_request_id) FROM hookpost.metric_rollup_state")
[ "$w" = "true/true/true/true" ] && ok "setup: two rows folded, two above the watermark" || fail "setup: watermark" "$w"
[ "$(where "$a100")/$(where "$a95")/$(where "$d2000")/$(where "$d2001")" = "$(day -100)/$(day -95)/webhook_requests_default/webhook_requests_default" ] &&
    ok "setup: rows in their days' partitions and the default one" || fail "setup: rows' partitions" "$(where "$a100")/$(where "$a95")/$(where "$d2000")/$(where "$d2001")"

# Guards: one of a request signed 1000 s ago (past twice the tests'
# 300 s tolerance), one of now.
gs=$(date +%s)
psql_q "INSERT INTO hookpost.alert_guards (signed_at, source_id, signature, http_status, outcome) VALUES ($gs - 1000, '$sid', '\\x01', 202, 'queued'), ($gs, '$sid', '\\x02', 202, 'queued')" >/dev/null
guards() { psql_q "SELECT string_agg(encode(signature, 'hex'), ',' ORDER BY signature) FROM hookpost.alert_guards WHERE source_id = '$sid' AND signed_at IN ($gs - 1000, $gs)"; }
[ "$(guards)" = 01,02 ] && ok "setup: an old guard and a new one" || fail "setup: guards" "$(guards)"

cleanup "$HOOKPOST_VAR/76_audit.log" && ok "hookpost-cleanup runs" || fail "hookpost-cleanup runs" "$(cat "$HOOKPOST_VAR/76_audit.log")"
n=$(ex "$(day -100)")/$(ex "$(day -95)")
[ "$n" = f/t ] && ok "the folded day past retention is dropped; the day with a row above the watermark is held" || fail "drop and hold" "$n"
n=$(grep -c 'audit partitions: 0 made, 1 dropped (1 past retention held for rows not yet folded)' "$HOOKPOST_VAR/76_audit.log")
[ "$n" = 1 ] && ok "its log line counts the drop and the hold" || fail "cleanup log line" "$(cat "$HOOKPOST_VAR/76_audit.log")"
n=$(where "$a100")/$(where "$a95")/$(where "$d2000")/$(where "$d2001")
[ "$n" = "none/$(day -95)/none/webhook_requests_default" ] && ok "the default partition's old folded row is deleted, the one above the watermark kept" || fail "rows after cleanup" "$n"
[ "$(where "$id")/$(where "$rp")" = "$(own "$id")/$(own "$rp")" ] && ok "today's rows stay" || fail "today's rows stay" "$(where "$id")/$(where "$rp")"
[ "$(guards)" = 02 ] && ok "a guard past twice the tolerance is deleted, a new one kept" || fail "guard purge" "$(guards)"

psql_q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'ap-hold-$RUN'" >/dev/null
wait $hold
cleanup "$HOOKPOST_VAR/76_audit.log" && ok "hookpost-cleanup runs again" || fail "hookpost-cleanup runs again" "$(cat "$HOOKPOST_VAR/76_audit.log")"
n=$(ex "$(day -95)")/$(where "$a95")/$(where "$d2001")
[ "$n" = f/none/none ] && ok "once folded, the held day is dropped and the default partition's row deleted" || fail "folded later" "$n"

# Migrate again: up to date, the partitions as they are.
parts() { psql_q "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'hookpost.webhook_requests'::regclass"; }
p0=$(parts)
m=$($RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$TOP/bin/hookpost" db migrate 2>&1)
[ "$m|$(parts)" = "up to date|$p0" ] && ok "migrate again: up to date, the same partitions" || fail "migrate again" "$m|$(parts) vs $p0"
