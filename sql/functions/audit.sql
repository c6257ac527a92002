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
