-- hookpost schema, part 29 (issue 13): the receivers' audit table,
-- webhook_requests, partitioned by day as delivery_attempts is (sql/027),
-- so that its retention is a partition drop instead of a DELETE.
--
-- Its retention was a row DELETE: hookpost-cleanup deleted the rows
-- older than -a days (90 by default) and folded into the metrics rollup,
-- 5000 at a time, one dead row and one entry in each index per request
-- received.  Now the table is range-partitioned on received_at, one
-- partition per UTC day (webhook_requests_pYYYYMMDD), and
-- hookpost-cleanup drops a day's partition once the whole day is older
-- than -a days and every row in it is folded
-- (hookpost.audit_partitions(), sql/functions/audit.sql).  The DEFAULT
-- partition takes every row already on record and any received_at
-- outside the days made; its rows still go by the batched DELETE.  The
-- partitions' shared mechanics are sql/functions/partitions.sql.
--
-- A day a partition: retention is set in days (-a), so a day is the
-- finest step a drop can keep.  At -a 90 that is about 95 partitions: a
-- query by time (the rate limiter, GET /api/stats, the DEFAULT
-- partition's purge) reads only the partitions of its window; one by
-- another key (GET /api/audit/webhooks by id, a key's last use) probes
-- each partition's small index.  A generic plan (trigger_receive's)
-- still locks every partition before it prunes them: the key rate
-- limiter (trigger_key_limited) took about 0.03 ms more a call with 97
-- partitions than unpartitioned (pgbench, force_generic_plan, 2 cores:
-- 0.05 -> 0.08 ms), and as much as before with 15 (-a 10).
--
-- The primary key must hold the partition key: (id, received_at).  id
-- is still drawn from webhook_requests_id_seq, which also numbers the
-- audit rows of trigger_events and incidents (sql/025), so it stays
-- unique by itself; nothing looks an audit row up by id alone but the
-- reads by id range (GET /api/audit/webhooks, the metrics rollup).
--
-- The replay guard moves out.  A unique index of a partitioned table
-- must hold its partition key, and webhook_requests_replay (sql/007) held
-- received_at's day for no reason a replay knows of: a replay arriving
-- after midnight is stored in another day's partition, where a unique
-- index per partition would not see the first request.  The guard of the
-- requests stored by the audit row (merges, queued alerts: alert_guard,
-- sql/functions/alerts.sql) is now hookpost.alert_guards below, written
-- in the same statement as the audit row; the fast statement's, the
-- incident, is unchanged (incidents_replay, sql/025), so an accepted
-- alert writes nothing more.
--
-- The copy holds the table locked: the receivers' refusals, replays,
-- merges and queued alerts wait for it; accepted alerts and trigger
-- events do not write here.

-- First, so that every writer of an audit row has finished, and no new
-- one starts, before the rows are read.
LOCK TABLE hookpost.webhook_requests IN ACCESS EXCLUSIVE MODE;

-- The two views over the table (hookpost.requests, sql/025, and
-- webhook_stats_detailed, which reads it too) name the old table: they
-- are made again over the new one below, from their definitions as they
-- stand (read here, before the rename changes the name they print).
CREATE TEMPORARY TABLE audit_views_029 ON COMMIT DROP AS
SELECT v.ord, v.name, pg_get_viewdef(v.name::regclass) AS def
FROM (VALUES (1, 'hookpost.requests'),
    (2, 'hookpost.webhook_stats_detailed')) v (ord, name);
DROP VIEW hookpost.webhook_stats_detailed;
DROP VIEW hookpost.requests;

ALTER TABLE hookpost.webhook_requests
	RENAME TO webhook_requests_unpartitioned;
ALTER INDEX hookpost.webhook_requests_pkey
	RENAME TO webhook_requests_unpartitioned_pkey;
ALTER INDEX hookpost.webhook_requests_time
	RENAME TO webhook_requests_unpartitioned_time;
ALTER INDEX hookpost.webhook_requests_source
	RENAME TO webhook_requests_unpartitioned_source;
ALTER INDEX hookpost.webhook_requests_trigger_key
	RENAME TO webhook_requests_unpartitioned_trigger_key;
ALTER INDEX hookpost.webhook_requests_replay
	RENAME TO webhook_requests_unpartitioned_replay;
-- The ids go on from where they were.
ALTER SEQUENCE hookpost.webhook_requests_id_seq OWNED BY NONE;

-- The columns as they stand (sql/001, 007), in the same order, with
-- their defaults (the id's from the sequence) and NOT NULLs: a row's
-- text form and SELECT * stay as they were.  The key is made after the
-- copy, with the other indexes.
CREATE TABLE hookpost.webhook_requests
	(LIKE hookpost.webhook_requests_unpartitioned INCLUDING DEFAULTS)
	PARTITION BY RANGE (received_at);
ALTER SEQUENCE hookpost.webhook_requests_id_seq
	OWNED BY hookpost.webhook_requests.id;
CREATE TABLE hookpost.webhook_requests_default
	PARTITION OF hookpost.webhook_requests DEFAULT;

INSERT INTO hookpost.webhook_requests
SELECT * FROM hookpost.webhook_requests_unpartitioned;

/*
 * The replay guard of the alerts whose first answer is an audit row
 * (alert_guard: merged, queued, and accepted by alert_accept): one row
 * per request, unique on the key webhook_requests_replay had, holding
 * that first answer (the audit row's fields alert_prior reads), so that
 * a replay finds it whichever day's partition holds the audit row, or
 * after the audit row is gone.  signed_at leads the key, as it did
 * (sql/007): new rows land at the index's right edge.  A guard is needed
 * only while its request's timestamp is inside the tolerance (a replay
 * later is refused as timestamp_expired before any write):
 * hookpost-cleanup deletes it after twice the tolerance.
 */
CREATE TABLE hookpost.alert_guards (
	signed_at	bigint NOT NULL,
	source_id	uuid NOT NULL,
	signature	bytea NOT NULL,
	http_status	integer NOT NULL,
	outcome		text NOT NULL,
	merged		boolean,
	incident_id	uuid,
	incident_number	text,
	queue_id	uuid,
	PRIMARY KEY (signed_at, source_id, signature)
);
-- The guards a replay may still reach: signed within twice the largest
-- tolerance HOOKPOST_TIMESTAMP_TOLERANCE takes (a day), the rest being
-- refused by the timestamp check anyway.
INSERT INTO hookpost.alert_guards (signed_at, source_id, signature,
    http_status, outcome, merged, incident_id, incident_number, queue_id)
SELECT w.signed_at, w.source_id, w.signature, w.http_status, w.outcome,
    w.merged, w.incident_id, w.incident_number, w.queue_id
FROM hookpost.webhook_requests_unpartitioned w
WHERE w.signature IS NOT NULL AND w.source_id IS NOT NULL
  AND w.signed_at >= extract(epoch FROM now())::bigint - 2 * 86400;

DROP TABLE hookpost.webhook_requests_unpartitioned;

-- The indexes, on every partition (made after the copy: cheaper than
-- kept during it).  The queries each one serves:
--   webhook_requests_pkey (id, received_at): GET /api/audit/webhooks
--     (id DESC, handlers/admin.c), the metrics rollup's highest id and
--     its fold of the ids above the watermark (metrics.sql), a day's
--     highest id before its drop (audit_partitions).
--   webhook_requests_source (source, received_at DESC):
--     GET /api/audit/webhooks?source=, a trigger's refusals by reason
--     (webhook_stats_detailed).
--   webhook_requests_trigger_key (source_id, received_at DESC) INCLUDE
--     (http_status) WHERE kind = 'trigger': the key rate limiter
--     (trigger_key_limited), a key's last use (trigger_webhook_info), an
--     owner's GET /api/stats (sql/004).
--   webhook_requests_received_brin (received_at): an admin's
--     GET /api/stats and the other reads by time, within the partitions
--     of their window; the purge of the default partition; the move of a
--     day's rows out of the default partition.  It replaces the b-tree
--     webhook_requests_time (received_at DESC, id DESC): no query reads
--     the log in time order, and rows are appended in time order, which
--     is what a BRIN needs.
-- webhook_requests_replay is hookpost.alert_guards' primary key now.
ALTER TABLE hookpost.webhook_requests ADD PRIMARY KEY (id, received_at);
CREATE INDEX webhook_requests_source ON hookpost.webhook_requests
	(source, received_at DESC);
CREATE INDEX webhook_requests_trigger_key ON hookpost.webhook_requests
	(source_id, received_at DESC) INCLUDE (http_status)
	WHERE kind = 'trigger';
CREATE INDEX webhook_requests_received_brin ON hookpost.webhook_requests
	USING brin (received_at) WITH (autosummarize = on);

-- The views again, as they were, over the new table.
DO $$
DECLARE
	v	record;
BEGIN
	FOR v IN SELECT * FROM audit_views_029 ORDER BY ord LOOP
		EXECUTE format('CREATE VIEW %s AS %s', v.name, v.def);
	END LOOP;
END $$;

-- The shared day-partition function takes its place (partitions.sql).
DROP FUNCTION IF EXISTS hookpost.attempts_partition_add(date);

-- Each day's partition is made by hookpost.audit_partitions()
-- (sql/functions/audit.sql), which migrate runs after this file: today
-- and 3 days ahead; today's rows move out of the default partition then.
