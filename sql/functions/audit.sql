-- The receivers' audit log, hookpost.webhook_requests: one row per
-- request to a receiver, accepted or refused.  Every writer holds the
-- audit lock (sql/007_fast_ingest.sql, metrics) until it commits.

-- One audit row (refusals, and the trigger receiver).  The counters
-- follow from the row itself (metrics.sql).
CREATE OR REPLACE FUNCTION hookpost.request_log(
	p_kind text, p_source text, p_source_id uuid, p_remote text,
	p_ua text, p_status integer, p_outcome text, p_code text,
	p_ms real, p_sha text, p_size bigint, p_incident uuid, p_queue uuid)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	-- The audit lock (metrics above); trying first keeps the common,
	-- uncontended case a simple expression.
	IF NOT pg_try_advisory_xact_lock_shared(1752133483, 1) THEN
		PERFORM pg_advisory_xact_lock_shared(1752133483, 1);
	END IF;
	INSERT INTO hookpost.webhook_requests (kind, source, source_id,
	    remote_addr, user_agent, http_status, outcome, error_code,
	    processing_ms, body_sha256, body_size, incident_id, queue_id)
	VALUES (p_kind, left(p_source, 128), p_source_id, p_remote,
	    left(p_ua, 256), p_status, p_outcome, p_code, p_ms, p_sha, p_size,
	    p_incident, p_queue);
END $$;
