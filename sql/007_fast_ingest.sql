-- hookpost schema, part 7: the inbound receiver's fast path (seed 004).
-- Per accepted alert the receiver now writes two rows: the audit row,
-- which is also the replay guard, and the incident.  Counters are derived
-- from the audit log instead of a counter row updated per request; an
-- incident's outbound events are written only when a subscription will
-- receive them.  The functions are sql/functions/{alerts,audit,incidents,
-- metrics}.sql.

-- First, so that no receiver writes the audit log while the counters
-- change hands (metrics below): ALTER TABLE waits for every transaction
-- that wrote an audit row, and their counter increments, to finish, and
-- holds the others off until this migration commits.
--
-- The replay guard moves into the audit row of the accepted request
-- (webhook_requests_replay below); the replayed request's own row has no
-- signature.  signed_at is the request's X-Webhook-Timestamp: it leads
-- the unique key so that new entries land at the index's right edge, as
-- the signature is random and the audit log is kept for 90 days.  Equal
-- signatures have equal timestamps, which the signature covers, so the
-- key is as unique as (source_id, signature).  incident_number and merged
-- let a replay answer exactly what the first request was answered.
ALTER TABLE hookpost.webhook_requests
	ADD COLUMN signed_at bigint,
	ADD COLUMN signature bytea,
	ADD COLUMN incident_number text,
	ADD COLUMN merged boolean;
CREATE UNIQUE INDEX webhook_requests_replay ON hookpost.webhook_requests
	(signed_at, source_id, signature) WHERE signature IS NOT NULL;

/*
 * incidents.source_id keeps 001's meaning (the source, or NULL once the
 * source is deleted) without its foreign key.  The key's check locked the
 * source row FOR KEY SHARE in every alert's transaction, and as all of a
 * source's alerts lock the same row, concurrent ones shared it through a
 * new MultiXact each time: two more WAL records per alert and a hot
 * buffer lock, the single costliest part of storing an alert.
 *
 * What the key guaranteed is kept by a lock protocol instead.  Writers of
 * incidents insert only if the source exists, tested in the INSERT itself
 * (hookpost.alert_accept, incident_create), and raise 23503 as the key did
 * if it does not.  Deleting a source takes SHARE ROW EXCLUSIVE on
 * incidents, which waits for the writers in flight and holds new ones off
 * until the deletion commits; as an INSERT takes its lock before its
 * snapshot, a writer either commits first, and its incident is detached
 * below, or sees the source gone.  ON DELETE SET NULL becomes this
 * trigger; like the key's action it scans incidents (no index leads with
 * source_id), which is fine for a rare admin action.
 */
ALTER TABLE hookpost.incidents DROP CONSTRAINT incidents_source_id_fkey;

-- The trigger that replaces the key's ON DELETE SET NULL is attached
-- beside its function, in sql/functions/incidents.sql.

/*
 * Counters (seed 004 "Monitoring Webhooks") come from the audit log, which
 * has one row per receiver request anyway, instead of a counter row that
 * every request updates: those rows were the receiver's hottest lock.
 *
 *   value = metric_counters (the rollup) + the audit rows above
 *           metric_rollup_state.last_request_id (live)
 *
 * hookpost.metrics_rollup() folds the live rows into metric_counters and
 * moves the watermark in one transaction, so every scrape sees each
 * request exactly once: counted live or folded, never both, never
 * neither.  hookpost-cleanup folds before it deletes audit rows past
 * retention, and deletes only folded ones, so totals survive retention;
 * they live in the database, so they survive restarts of anything else.
 *
 * A watermark over a sequence is only safe if no transaction still holds
 * an id below it.  Every writer of audit rows therefore holds the shared
 * advisory lock (1752133483, 1), "the audit lock", from before it takes
 * an id until it commits (request_log, alert_accept, alert_queue; any new
 * writer must do the same).  The rollup takes it exclusively for a
 * moment, which waits out the transactions in flight, and reads the
 * highest id then: everything up to it is committed or never will be.
 *
 * The rows of shards 0-15 written by 001's per-request increments hold the
 * counts of every audit row up to the watermark this migration sets; they
 * are summed into shard 0, where the rollup adds from now on.
 */
CREATE TABLE hookpost.metric_rollup_state (
	singleton	boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	last_request_id	bigint NOT NULL,
	folded_at	timestamptz NOT NULL DEFAULT now()
);
INSERT INTO hookpost.metric_rollup_state (last_request_id)
SELECT coalesce(max(id), 0) FROM hookpost.webhook_requests;

CREATE TEMPORARY TABLE metric_counters_001 ON COMMIT DROP AS
SELECT metric, labels, sum(value)::bigint AS value
FROM hookpost.metric_counters GROUP BY metric, labels;
DELETE FROM hookpost.metric_counters;
INSERT INTO hookpost.metric_counters (metric, labels, shard, value)
SELECT metric, labels, 0, value FROM metric_counters_001;

/*
 * Until this migration, accepted requests were guarded in replay_guard.
 * A replay of one of those carries a timestamp no later than the last
 * guard plus the largest tolerance (HOOKPOST_TIMESTAMP_TOLERANCE, at most
 * a day), so only requests signed before that horizon look there too; on
 * a fresh database the horizon is 0 and nothing ever does.
 */
DO $$
BEGIN
	EXECUTE format('CREATE FUNCTION hookpost.replay_guard_horizon()'
	    ' RETURNS bigint LANGUAGE sql IMMUTABLE AS %L',
	    format('SELECT %s::bigint', (SELECT coalesce(extract(epoch FROM
	    max(g.created_at))::bigint + 2 * 86400, 0)
	    FROM hookpost.replay_guard g)));
END $$;

