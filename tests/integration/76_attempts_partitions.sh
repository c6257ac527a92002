#!/bin/sh
# delivery_attempts partitioned by day (sql/027, issue 13): an attempt
# lands in its UTC day's partition, one outside every day in the default
# partition (never lost); a day's partition is made with the default
# partition's rows of that day; hookpost-cleanup drops a day past
# retention, moving aside the attempts of a delivery still kept, and
# deletes the default partition's old rows whose delivery is gone; the
# delivery's attempts and GET /api/stats still see them; migrate makes
# today's partitions and changes nothing the second time.  Runs once.
. "$TOP/tests/lib.sh"
[ "$SERVER" = lighttpd ] || exit 0

OWNER=ap-$RUN
day() {	# OFFSET: the partition of today (UTC) + OFFSET days
	psql_q "SELECT 'delivery_attempts_p' || to_char((now() AT TIME ZONE 'UTC')::date + $1, 'YYYYMMDD')"
}
where() {	# ID: the partition that holds attempt ID ("none": no row)
	psql_q "SELECT coalesce((SELECT c.relname FROM hookpost.delivery_attempts a JOIN pg_class c ON c.oid = a.tableoid WHERE a.id = $1), 'none')"
}
parts() { psql_q "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'hookpost.delivery_attempts'::regclass"; }
T0=$(day 0) T40=$(day -40) T10=$(day 10)

ex() { psql_q "SELECT to_regclass('hookpost.$1') IS NOT NULL"; }
n=$(ex "$(day 0)")$(ex "$(day 1)")$(ex "$(day 2)")$(ex "$(day 3)")$(ex delivery_attempts_default)$(psql_q "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'hookpost.delivery_attempts'::regclass")
[ "$n" = tttttr ] && ok "migrate made today's partition, the next 3 days' and the default one" || fail "today's partitions" "$n"

admin POST /api/tokens "{\"role\":\"user\",\"owner_id\":\"$OWNER\"}"
UT=$(jget .token)
[ -n "$UT" ] && ok "setup: a user token" || fail "setup: a user token" "$BODY"
seal=$(psql_q "SELECT secret_enc FROM hookpost.sources LIMIT 1")
sub=$(psql_q "INSERT INTO hookpost.subscriptions (owner_id, name, url, events, secret_enc, status) VALUES ('$OWNER', 'parts $RUN', 'https://example.com/h', '{note.created}', '$seal', 'active') RETURNING id")
ev=$(psql_q "INSERT INTO hookpost.events (event_type, payload) VALUES ('note.created', '{}') RETURNING id")
dlv() {	# STATUS CREATED_AGE: a delivery of the subscription's
	psql_q "INSERT INTO hookpost.deliveries (event_id, subscription_id, owner_id, event_type, status, next_attempt_at, created_at, completed_at) VALUES ('$ev', '$sub', '$OWNER', 'note.created', '$1', now() + interval '1 hour', now() - interval '$2', CASE WHEN '$1' = 'delivered' THEN now() END) RETURNING id"
}
# live: pending since 41 days (a long retry by hand): its attempts are
# older than retention and must stay.  done: today's.
live=$(dlv pending '41 days') done=$(dlv delivered '1 minute')
att() {	# DELIVERY ATTEMPT STARTED_AT STATUS: an attempt's id
	psql_q "INSERT INTO hookpost.delivery_attempts (delivery_id, attempt, started_at, status_code, response_ms) VALUES ('$1', $2, $3, $4, 12.5) RETURNING id"
}
d_fail=$(att "$done" 1 "now() - interval '1 minute'" 500)
d_ok=$(att "$done" 2 "now()" 200)
[ "$(where "$d_fail")/$(where "$d_ok")" = "$T0/$T0" ] &&
    ok "today's attempts land in today's partition" ||
    fail "today's partition" "$(where "$d_fail")/$(where "$d_ok") vs $T0"

# Outside every day's partition: kept, in the default partition.
l_2000=$(att "$live" 1 "'2000-01-01 12:00Z'" 500)
o_2000=$(att "$(psql_q "SELECT gen_random_uuid()")" 1 "'2000-01-01 12:00Z'" 500)
o_fut=$(att "$(psql_q "SELECT gen_random_uuid()")" 1 "now() + interval '10 days'" 500)
n=$(where "$l_2000")/$(where "$o_2000")/$(where "$o_fut")
[ "$n" = delivery_attempts_default/delivery_attempts_default/delivery_attempts_default ] &&
    ok "an attempt of a day with no partition is kept, in the default partition" ||
    fail "default partition" "$n"

# A day's partition, made when the default partition holds rows of it.
n=$(psql_q "SELECT hookpost.day_partition_add('delivery_attempts', 'started_at', (now() AT TIME ZONE 'UTC')::date + 10)")/$(psql_q "SELECT hookpost.day_partition_add('delivery_attempts', 'started_at', (now() AT TIME ZONE 'UTC')::date + 10)")
[ "$n" = t/f ] && ok "a day's partition is made once" || fail "partition made once" "$n"
[ "$(where "$o_fut")" = "$T10" ] &&
    ok "and takes the default partition's rows of its day" ||
    fail "rows moved into a new day" "$(where "$o_fut") vs $T10"
psql_q "DROP TABLE hookpost.$T10" >/dev/null

# A day 40 days ago: an attempt of the kept delivery, one of a gone one.
psql_q "SELECT hookpost.day_partition_add('delivery_attempts', 'started_at', (now() AT TIME ZONE 'UTC')::date - 40)" >/dev/null
l_40=$(att "$live" 2 "now() - interval '40 days'" 500)
o_40=$(att "$(psql_q "SELECT gen_random_uuid()")" 1 "now() - interval '40 days'" 500)
[ "$(where "$l_40")/$(where "$o_40")" = "$T40/$T40" ] &&
    ok "setup: two attempts 40 days ago, in that day's partition" ||
    fail "setup: the day 40 days ago" "$(where "$l_40")/$(where "$o_40")"
# What a cleanup with -d 7 keeps: every partition but the days that
# ended 7 days ago or more.
keep_parts=$(psql_q "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'hookpost.delivery_attempts'::regclass AND NOT (c.relname ~ '^delivery_attempts_p[0-9]{8}\$' AND (to_date(substr(c.relname, 20), 'YYYYMMDD') + 1)::timestamp AT TIME ZONE 'UTC' <= now() - interval '7 days')")

$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$TOP/bin/hookpost-cleanup" 2>"$HOOKPOST_VAR/76_ap.log" &&
    ok "hookpost-cleanup runs" || fail "hookpost-cleanup runs" "$(cat "$HOOKPOST_VAR/76_ap.log")"
n=$(psql_q "SELECT to_regclass('hookpost.$T40') IS NULL")
[ "$n" = t ] && ok "the partition of 40 days ago is dropped (-d 7)" || fail "old partition dropped" "$n"
n=$(grep -c 'attempt partitions: 0 made, [1-9][0-9]* dropped ([1-9][0-9]* attempts of kept deliveries moved to the default partition, [1-9][0-9]* removed from it)' "$HOOKPOST_VAR/76_ap.log")
[ "$n" = 1 ] && ok "its log line counts the drop, the move and the removal" || fail "cleanup log line" "$(cat "$HOOKPOST_VAR/76_ap.log")"
n=$(where "$l_40")/$(where "$o_40")
[ "$n" = delivery_attempts_default/none ] &&
    ok "with it the attempt of a gone delivery; the kept delivery's moves to the default partition" ||
    fail "drop keeps a kept delivery's attempt" "$n"
n=$(psql_q "SELECT delivery_id || '|' || attempt || '|' || started_at::date || '|' || status_code || '|' || response_ms FROM hookpost.delivery_attempts WHERE id = $l_40")
want="$live|2|$(psql_q "SELECT (now() - interval '40 days')::date")|500|12.5"
[ "$n" = "$want" ] && ok "unchanged, under the same id" || fail "moved attempt unchanged" "$n vs $want"
n=$(where "$l_2000")/$(where "$o_2000")
[ "$n" = delivery_attempts_default/none ] &&
    ok "the default partition's old attempt of a gone delivery is deleted, the kept delivery's stays" ||
    fail "default partition retention" "$n"
n=$(where "$d_fail")/$(where "$d_ok")
[ "$n" = "$T0/$T0" ] && ok "today's attempts stay" || fail "today's attempts stay" "$n"
after=$(parts)
[ "$after" = "$keep_parts" ] && ok "the days past retention dropped, no other partition made or dropped" || fail "other partitions" "$after vs $keep_parts"

# What reads them: a delivery's attempts, and the stats.
admin GET "/admin/webhooks/deliveries/$live"
expect "a delivery's attempts from the default partition" 200 \
    '[.attempts[] | [.attempt, .status_code, (.started_at | .[0:4])]] == [[1, 500, "2000"], [2, 500, ((now - 40 * 86400) | todate | .[0:4])]]'
admin GET "/admin/webhooks/deliveries/$done"
expect "and from today's" 200 '[.attempts[] | [.attempt, .status_code]] == [[1, 500], [2, 200]]'
as "$UT" GET "/api/stats?hours=1"
expect "GET /api/stats counts today's attempts: 1 sent, 1 failed" 200 \
    '.deliveries.sent == 1 and .deliveries.failed == 1 and .deliveries.latency_ms.p50 == 12.5'

# Two at once take turns; then migrate twice: the second changes nothing.
$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$TOP/bin/hookpost-cleanup" 2>/dev/null & p1=$!
$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$TOP/bin/hookpost-cleanup" 2>/dev/null & p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
[ "$r1/$r2/$(parts)" = "0/0/$after" ] && ok "two cleanups at once: both exit 0, nothing changes" || fail "two cleanups at once" "$r1/$r2/$(parts)"
count() { psql_q "SELECT count(*) || '/' || coalesce(sum(id), 0) FROM hookpost.delivery_attempts"; }
c0=$(count)
m1=$($RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$TOP/bin/hookpost" db migrate 2>&1)
m2=$($RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$TOP/bin/hookpost" db migrate 2>&1)
[ "$m1|$m2|$(parts)|$(count)" = "up to date|up to date|$after|$c0" ] &&
    ok "migrate twice: up to date, the same partitions and attempts" ||
    fail "migrate twice" "$m1|$m2|$(parts)|$(count) vs $after|$c0"
psql_q "DELETE FROM hookpost.deliveries WHERE subscription_id = '$sub'; DELETE FROM hookpost.subscriptions WHERE id = '$sub'" >/dev/null
