-- hookpost schema, part 25 (issue 13): one row per accepted request.
--
-- An accepted request used to write its audit row (webhook_requests, five
-- indexes) beside its record: a trigger's event, an alert's incident.
-- Measured with pgbench on the bench's PostgreSQL, the audit row was a
-- third of the database's work for an alert and, with hookpost.emit's
-- outbox row for an event nobody subscribes to, half of it for a trigger
-- request.  Now the record carries the audit fields and is the audit row:
-- an accepted trigger request writes its trigger_events row, an alert
-- stored by the receiver's fast statement its incident.  Refusals,
-- handshakes, duplicates, replays, merges and queued alerts still write
-- a webhook_requests row, as before.
--
-- request_id: the audit id, from webhook_requests' own sequence, taken
-- under the audit lock like every audit id (sql/007), so the metrics
-- rollup's watermark and GET /admin/audit's paging (by id) cover the
-- three tables as one.  hookpost.requests is the audit log as one
-- relation; every reader of the log reads it.
ALTER TABLE hookpost.trigger_events
	ADD COLUMN request_id bigint,
	ADD COLUMN remote_addr text,
	ADD COLUMN user_agent text,
	ADD COLUMN http_status integer,
	ADD COLUMN processing_ms real,
	ADD COLUMN body_sha256 text,
	ADD COLUMN body_size bigint;
-- GET /admin/audit (id DESC) and the metrics rollup (id above the
-- watermark); ids are taken in time order, so the inserts append.
CREATE UNIQUE INDEX trigger_events_request ON hookpost.trigger_events
	(request_id) WHERE request_id IS NOT NULL;

ALTER TABLE hookpost.incidents
	ADD COLUMN request_id bigint,
	ADD COLUMN remote_addr text,
	ADD COLUMN user_agent text,
	ADD COLUMN processing_ms real,
	ADD COLUMN body_sha256 text,
	ADD COLUMN body_size bigint,
	ADD COLUMN signed_at bigint,
	ADD COLUMN signature bytea;
CREATE UNIQUE INDEX incidents_request ON hookpost.incidents (request_id)
	WHERE request_id IS NOT NULL;
-- The replay guard of the alerts stored by the fast statement, as
-- webhook_requests_replay is of the others (sql/007).
CREATE UNIQUE INDEX incidents_replay ON hookpost.incidents
	(signed_at, source_id, signature) WHERE signature IS NOT NULL;

/*
 * The audit log: every request to a receiver, one row each.  An
 * incident's audit row says what the fast statement answered, 200
 * accepted.  Filters on id, received_at, kind, source and source_id reach
 * each table's indexes (the planner pushes them into every branch):
 * webhook_requests_time / trigger_events_page / incidents_page for time,
 * *_request for id, webhook_requests_source / trigger_events_ref for a
 * trigger's rows.
 */
CREATE VIEW hookpost.requests AS
	SELECT w.id, w.received_at, w.kind, w.source, w.source_id,
	    w.remote_addr, w.user_agent, w.http_status, w.outcome,
	    w.error_code, w.processing_ms, w.body_sha256, w.body_size,
	    w.incident_id, w.queue_id, w.signed_at, w.signature,
	    w.incident_number, w.merged
	FROM hookpost.webhook_requests w
	UNION ALL
	SELECT e.request_id, e.received_at, 'trigger', e.trigger_ref, e.key_id,
	    e.remote_addr, e.user_agent, e.http_status, 'accepted', NULL,
	    e.processing_ms, e.body_sha256, e.body_size, NULL, NULL, NULL,
	    NULL, NULL, NULL
	FROM hookpost.trigger_events e
	WHERE e.request_id IS NOT NULL
	UNION ALL
	SELECT i.request_id, i.created_at, 'source', i.source, i.source_id,
	    i.remote_addr, i.user_agent, 200, 'accepted', NULL,
	    i.processing_ms, i.body_sha256, i.body_size, i.id, NULL,
	    i.signed_at, i.signature, i.number, NULL
	FROM hookpost.incidents i
	WHERE i.request_id IS NOT NULL;

-- seed 002 "webhook_stats_detailed" (sql/004) from the log as one: an
-- accepted request is its event now.  Refusals (error_code) are
-- webhook_requests rows only.  The trigger's ref reaches the indexes.
CREATE OR REPLACE VIEW hookpost.webhook_stats_detailed AS
SELECT t.id AS trigger_id, t.ref AS trigger_ref,
    t.webhook_enabled,
    ev.total_events, ev.events_last_24h, ev.first_event_at,
    ev.last_event_at,
    coalesce(rq.total_requests, 0) AS total_requests,
    coalesce(rq.requests_last_24h, 0) AS requests_last_24h,
    coalesce(rq.accepted, 0) AS accepted,
    coalesce(rq.duplicates, 0) AS duplicates,
    coalesce(rq.refused, 0) AS refused,
    coalesce(rf.refusals_by_reason, '{}') AS refusals_by_reason,
    rq.median_processing_ms, rq.last_request_at
FROM hookpost.triggers t
CROSS JOIN LATERAL (
	SELECT count(*) AS total_events,
	    count(*) FILTER (WHERE e.received_at > now() - interval '24 hours')
	        AS events_last_24h,
	    min(e.received_at) AS first_event_at,
	    max(e.received_at) AS last_event_at
	FROM hookpost.trigger_events e WHERE e.trigger_ref = t.ref) ev
CROSS JOIN LATERAL (
	SELECT count(*) AS total_requests,
	    count(*) FILTER (WHERE w.received_at > now() - interval '24 hours')
	        AS requests_last_24h,
	    count(*) FILTER (WHERE w.outcome = 'accepted') AS accepted,
	    count(*) FILTER (WHERE w.outcome = 'duplicate') AS duplicates,
	    count(*) FILTER (WHERE w.outcome = 'rejected') AS refused,
	    percentile_cont(0.5) WITHIN GROUP (ORDER BY w.processing_ms)
	        AS median_processing_ms,
	    max(w.received_at) AS last_request_at
	FROM hookpost.requests w
	WHERE w.kind = 'trigger' AND w.source = t.ref AND w.source_id IN (SELECT k.id
	    FROM hookpost.trigger_keys k WHERE k.trigger_id = t.id)) rq
CROSS JOIN LATERAL (
	SELECT jsonb_object_agg(x.code, x.n) AS refusals_by_reason
	FROM (SELECT w.error_code AS code, count(*) AS n
	    FROM hookpost.webhook_requests w
	    WHERE w.kind = 'trigger' AND w.source = t.ref
	      AND w.error_code IS NOT NULL
	      AND w.source_id IN (SELECT k.id FROM hookpost.trigger_keys k
	          WHERE k.trigger_id = t.id)
	    GROUP BY w.error_code) x) rf;

-- The limiter now reads the log by the trigger's ref too (triggers.sql).
DROP FUNCTION IF EXISTS hookpost.trigger_rate_limited(uuid, boolean, integer,
	integer, text, integer, integer);

-- The receiver's write takes the version of its cached copy of the key
-- (handlers/triggers/cache.c; triggers.sql makes the new one).
DROP FUNCTION IF EXISTS hookpost.trigger_receive(bigint, text, uuid, boolean,
	integer, integer, integer, integer, integer, text, boolean, jsonb,
	jsonb, text, text, text, text, real, text, bigint, integer);
