-- The receivers' audit log, hookpost.requests (sql/025): one row per
-- request to a receiver, accepted or refused: a webhook_requests row, or
-- the accepted request's own record (its trigger event or incident).
-- Every writer of an audit id holds the audit lock (sql/007_fast_ingest.sql,
-- metrics) until it commits.

/*
 * The audit lock, shared: every writer of audit rows holds it from before
 * it takes an id until it commits, so that the metrics rollup, which
 * takes it exclusively, may trust its watermark (sql/007_fast_ingest.sql).
 * Trying first keeps the common, uncontended case one cheap call.
 * Returns true once held.  Inlined where called.
 */
CREATE OR REPLACE FUNCTION hookpost.audit_lock() RETURNS boolean
LANGUAGE sql VOLATILE AS $$
	SELECT pg_try_advisory_xact_lock_shared(1752133483, 1)
	    OR pg_advisory_xact_lock_shared(1752133483, 1) IS NOT NULL
$$;

-- One audit row (refusals, and the trigger receiver).  The counters
-- follow from the row itself (metrics.sql).
CREATE OR REPLACE FUNCTION hookpost.request_log(
	p_kind text, p_source text, p_source_id uuid, p_remote text,
	p_ua text, p_status integer, p_outcome text, p_code text,
	p_ms real, p_sha text, p_size bigint, p_incident uuid, p_queue uuid)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	locked	boolean;
BEGIN
	locked := hookpost.audit_lock();
	INSERT INTO hookpost.webhook_requests (kind, source, source_id,
	    remote_addr, user_agent, http_status, outcome, error_code,
	    processing_ms, body_sha256, body_size, incident_id, queue_id)
	VALUES (p_kind, left(p_source, 128), p_source_id, p_remote,
	    left(p_ua, 256), p_status, p_outcome, p_code, p_ms, p_sha, p_size,
	    p_incident, p_queue);
END $$;

/*
 * Partition upkeep and retention of hookpost.webhook_requests (sql/029:
 * one partition per UTC day of received_at, made, found and named by
 * partitions.sql), run by hookpost-cleanup (with its -a) and by migrate
 * (p_keep_days NULL: makes, never drops).
 *
 * Makes the partitions of today (UTC) and the p_ahead_days after it.
 *
 * Retention, with p_keep_days: the rule of the rows' DELETE before
 * sql/029, whole days at a time.  A row goes once it is older than
 * p_keep_days days and folded into the metrics rollup (its id at most
 * metric_rollup_state.last_request_id, sql/007), so the counters of
 * /metrics never lose a request.  A day's partition is dropped once the
 * whole day is older than p_keep_days days and every row in it is
 * folded; a day with a row above the watermark is held, whole, until a
 * later run finds it folded (hookpost-cleanup folds first, so that is
 * the next run).  The default partition's rows (those from before
 * sql/029, and any received_at outside the days made) are deleted by
 * hookpost-cleanup in batches, by the same rule.
 *
 * Locks: the table is locked (ACCESS EXCLUSIVE, as the drop needs it
 * anyway) only when a day is past retention, and each day's highest id
 * is read under that lock, so no row a writer adds meanwhile escapes the
 * check.  It stays locked until the caller's transaction ends:
 * hookpost-cleanup runs this as a statement of its own, once a day
 * drops.  The receivers' audit writes wait that long; the watermark
 * only rises, so it may be read before.
 *
 * Returns the partitions made, dropped, and held for rows not yet
 * folded.  Runs one at a time (day_partitions_make's lock).
 */
CREATE OR REPLACE FUNCTION hookpost.audit_partitions(p_keep_days integer,
	p_ahead_days integer,
	OUT created integer, OUT dropped integer, OUT held integer)
LANGUAGE plpgsql
-- The drop waits for the readers of the table, and those behind it for
-- the drop: better give up and drop at the next run.
SET lock_timeout = '10s'
AS $$
DECLARE
	folded	bigint;
	top	bigint;
	locked	boolean := false;
	p	record;
BEGIN
	created := hookpost.day_partitions_make('webhook_requests',
	    'received_at', p_ahead_days);
	dropped := 0;
	held := 0;
	IF p_keep_days IS NULL THEN
		RETURN;
	END IF;
	SELECT coalesce((SELECT s.last_request_id
	    FROM hookpost.metric_rollup_state s), 0) INTO folded;
	FOR p IN SELECT * FROM hookpost.day_partitions_past('webhook_requests',
	    now() - make_interval(days => p_keep_days)) LOOP
		IF NOT locked THEN
			LOCK TABLE hookpost.webhook_requests IN ACCESS EXCLUSIVE
			    MODE;
			locked := true;
		END IF;
		EXECUTE format('SELECT max(id) FROM hookpost.%I', p.part)
		    INTO top;
		IF top > folded THEN
			held := held + 1;
			CONTINUE;
		END IF;
		EXECUTE format('DROP TABLE hookpost.%I', p.part);
		dropped := dropped + 1;
	END LOOP;
END $$;
