#!/bin/sh
# hookpost-cleanup (seed 000 "Cleanup Worker") and the per-minute event
# quota (events beyond it are delayed, never dropped).  Runs once.
. "$TOP/tests/lib.sh"
[ "$SERVER" = lighttpd ] || exit 0

# Rows made straight in SQL: what matters is what cleanup does to them.
seal=$(psql_q "SELECT secret_enc FROM hookpost.sources LIMIT 1")
mk() {	# name status failures last_success_age created_age -> id
	psql_q "INSERT INTO hookpost.subscriptions (owner_id, name, url, events, secret_enc, status, publication_failures, last_successful_use, created_at) VALUES ('cl-$RUN', '$1', 'https://example.com/h', '{note.created}', '$seal', '$2', $3, now() - interval '$4', now() - interval '$5') RETURNING id"
}
failing=$(mk "failing $RUN" active 12 '8 days' '30 days')
# Someone who takes subscription.disabled: emit writes no event nobody
# can receive (issue 13).
listener=$(psql_q "INSERT INTO hookpost.subscriptions (owner_id, name, url, events, secret_enc, status) VALUES ('cl-$RUN', 'listener $RUN', 'https://example.com/h', '{subscription.*}', '$seal', 'active') RETURNING id")
recent=$(mk "recent $RUN" active 12 '2 days' '30 days')
few=$(mk "few $RUN" active 3 '20 days' '30 days')
doomed=$(mk "doomed $RUN" pending_delete 0 '0 days' '1 hour')
stale=$(mk "stale $RUN" pending_verification 0 '0 days' '2 days')
fresh=$(mk "fresh $RUN" pending_verification 0 '0 days' '1 hour')
ev=$(psql_q "INSERT INTO hookpost.events (event_type, payload, created_at) VALUES ('note.created', '{}', now() - interval '9 days') RETURNING id")
old=$(psql_q "INSERT INTO hookpost.deliveries (event_id, subscription_id, owner_id, event_type, status, created_at, completed_at) VALUES ('$ev', '$recent', 'cl-$RUN', 'note.created', 'delivered', now() - interval '8 days 1 hour', now() - interval '8 days') RETURNING id")
new=$(psql_q "INSERT INTO hookpost.deliveries (event_id, subscription_id, owner_id, event_type, status, created_at, completed_at) VALUES ('$ev', '$recent', 'cl-$RUN', 'note.created', 'failed', now() - interval '8 days', now() - interval '1 day') RETURNING id")
pend=$(psql_q "INSERT INTO hookpost.deliveries (event_id, subscription_id, owner_id, event_type, status, next_attempt_at, created_at) VALUES ('$ev', '$recent', 'cl-$RUN', 'note.created', 'pending', now() + interval '1 hour', now() - interval '9 days') RETURNING id")
# An attempt whose delivery is gone (a late result), one whose is not;
# trigger events past the 90-day retention and within it.
orphan=$(psql_q "SELECT gen_random_uuid()")
psql_q "INSERT INTO hookpost.delivery_attempts (delivery_id, attempt) VALUES ('$orphan', 1), ('$new', 1)" >/dev/null
tev() { psql_q "INSERT INTO hookpost.trigger_events (trigger_ref, payload, metadata, received_at) VALUES ('cl.$RUN', '{}', '{}', now() - interval '$1') RETURNING id"; }
tev_old=$(tev '91 days') tev_new=$(tev '89 days')

$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$TOP/bin/hookpost-cleanup" 2>/dev/null &&
    ok "hookpost-cleanup runs" || fail "hookpost-cleanup runs"
st() { psql_q "SELECT coalesce((SELECT status FROM hookpost.subscriptions WHERE id = '$1'), 'gone')"; }
[ "$(st "$failing")" = disabled ] && ok "10+ failures and no success for 7 days: disabled, not deleted" || fail "persistent failures disable" "$(st "$failing")"
n=$(psql_q "SELECT count(*) FROM hookpost.events WHERE event_type = 'subscription.disabled' AND object_id = '$failing'")
[ "$n" = 1 ] && ok "and a subscription.disabled event is emitted" || fail "subscription.disabled emitted" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries d JOIN hookpost.events e ON e.id = d.event_id WHERE e.object_id = '$failing' AND d.subscription_id = '$listener'")
[ "$n" = 1 ] && ok "to the subscription that takes it" || fail "subscription.disabled delivered to its listener" "$n"
psql_q "DELETE FROM hookpost.subscriptions WHERE id = '$listener'" >/dev/null
[ "$(st "$recent")" = active ] && ok "a recent success keeps a failing subscription" || fail "recent success keeps it" "$(st "$recent")"
[ "$(st "$few")" = active ] && ok "fewer than 10 failures keeps it" || fail "few failures keep it" "$(st "$few")"
[ "$(st "$doomed")" = gone ] && ok "a subscription marked for deletion is deleted" || fail "pending_delete deleted" "$(st "$doomed")"
[ "$(st "$stale")" = gone ] && ok "an abandoned unverified subscription is deleted" || fail "abandoned unverified deleted" "$(st "$stale")"
[ "$(st "$fresh")" = pending_verification ] && ok "a new unverified subscription stays" || fail "new unverified stays" "$(st "$fresh")"
n=$(psql_q "SELECT string_agg(id::text, ',' ORDER BY id) FROM hookpost.deliveries WHERE id IN ('$old', '$new', '$pend')")
want=$(printf '%s\n%s\n' "$new" "$pend" | sort | paste -sd,)
[ "$n" = "$want" ] && ok "finished deliveries past 7 days are removed, others kept" || fail "delivery retention" "$n vs $want"
# Attempts go by whole days, with their day's partition (sql/027; the
# drop is 76_attempts_partitions.sh): today's stays, delivery or not.
n=$(psql_q "SELECT count(*) FROM hookpost.delivery_attempts WHERE delivery_id = '$orphan'")
[ "$n" = 1 ] && ok "an attempt whose delivery is gone stays until its day is past retention" || fail "orphaned attempt of today kept" "$n"
n=$(psql_q "SELECT count(*) FROM hookpost.delivery_attempts WHERE delivery_id = '$new'")
[ "$n" = 1 ] && ok "a live delivery's attempts are kept" || fail "live attempts kept" "$n"
n=$(psql_q "SELECT string_agg(id::text, ',') FROM hookpost.trigger_events WHERE trigger_ref = 'cl.$RUN'")
[ "$n" = "$tev_new" ] && ok "trigger events past 90 days are removed, newer kept" || fail "trigger event retention" "$n (kept $tev_new, old $tev_old)"
$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" "$TOP/bin/hookpost-cleanup" 2>/dev/null &&
    ok "cleanup is safe to re-run" || fail "cleanup re-run"

# Per-minute event quota: the 13th event of a minute waits a minute.
admin PUT "/admin/quotas/webhooks/eq-$RUN" '{"max_events_per_minute":12}'
psql_q "UPDATE hookpost.subscriptions SET owner_id = 'eq-$RUN', status = 'active', events = '{note.updated}' WHERE id = '$recent'" >/dev/null
psql_q "SELECT hookpost.emit('note.updated', 'note', 'n' || g, NULL, 'eq-$RUN', '{}') FROM generate_series(1, 1) g" >/dev/null
for i in $(seq 2 15); do psql_q "SELECT hookpost.emit('note.updated', 'note', 'n$i', NULL, 'eq-$RUN', '{}')" >/dev/null; done
n=$(psql_q "SELECT count(*) FILTER (WHERE next_attempt_at <= now() + interval '5 seconds') || '/' || count(*) FILTER (WHERE next_attempt_at > now() + interval '50 seconds') FROM hookpost.deliveries WHERE subscription_id = '$recent' AND event_type = 'note.updated'")
[ "$n" = "12/3" ] && ok "events over 12 per minute are delayed a minute, none dropped" || fail "per-minute event quota delays" "$n"
