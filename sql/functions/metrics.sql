-- Receiver counters (seed 004 "Monitoring Webhooks"), derived from the
-- audit log: the rollup in metric_counters plus the audit rows above
-- metric_rollup_state's watermark (sql/007_fast_ingest.sql says why).

-- A Prometheus label value, escaped.
CREATE OR REPLACE FUNCTION hookpost.prom_label(v text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT replace(replace(replace(coalesce(v, ''), '\', '\\'), '"', '\"'),
	    E'\n', '\n')
$$;

-- The counters of audit rows after p_after up to p_upto (NULL: all), as
-- 001's request_log counted them: unregistered names as "unknown", so
-- that a scanner cannot grow the label set without bound.
CREATE OR REPLACE FUNCTION hookpost.metric_rows(p_after bigint, p_upto bigint)
RETURNS TABLE (metric text, labels text, value bigint)
LANGUAGE sql STABLE AS $$
	WITH g AS (
		SELECT CASE WHEN w.source_id IS NULL THEN 'unknown'
		    ELSE hookpost.prom_label(w.source) END AS lbl,
		    w.outcome, w.error_code, count(*) AS n
		FROM hookpost.requests w
		WHERE w.id > p_after AND (p_upto IS NULL OR w.id <= p_upto)
		GROUP BY 1, 2, 3)
	SELECT 'webhook_received_total', format('source="%s",status="%s"',
	    g.lbl, g.outcome), sum(g.n)::bigint
	FROM g GROUP BY 2
	UNION ALL
	SELECT 'webhook_errors_total', format('source="%s",code="%s"',
	    g.lbl, g.error_code), sum(g.n)::bigint
	FROM g WHERE g.error_code IS NOT NULL GROUP BY 2
$$;

-- What GET /metrics shows: the rollup plus the live rows, one snapshot.
-- The expired-callback counter (deliveries_expire adds to it in
-- metric_counters) is shown from 0, so that an alert on its rate has a
-- series before the first expiry.
CREATE OR REPLACE FUNCTION hookpost.metric_values()
RETURNS TABLE (metric text, labels text, value bigint)
LANGUAGE sql STABLE AS $$
	SELECT t.metric, t.labels, sum(t.value)::bigint
	FROM (SELECT c.metric, c.labels, c.value
	      FROM hookpost.metric_counters c
	      UNION ALL
	      SELECT 'webhook_deliveries_expired_total',
	          'reason="callback_timeout"', 0
	      UNION ALL
	      SELECT r.metric, r.labels, r.value
	      FROM hookpost.metric_rollup_state s,
	          hookpost.metric_rows(s.last_request_id, NULL) r) t
	GROUP BY t.metric, t.labels
$$;

/*
 * Folds the live audit rows into the rollup.  A procedure, as the barrier
 * must commit, releasing the audit lock, before the fold, which may read
 * many rows, starts: CALL it outside a transaction block.  Called by GET
 * /metrics, hookpost-cleanup and hookpost-ingest; any number at once.
 *
 * While the barrier waits for the audit lock, new writers queue behind
 * it, so it waits 50 ms at most: writers hold the lock for one short
 * transaction, and one that holds it longer (a session idle in a
 * transaction after request_log) must not stall the receivers.  It then
 * folds nothing this time, which changes no value shown.
 */
CREATE OR REPLACE PROCEDURE hookpost.metrics_rollup()
LANGUAGE plpgsql AS $$
DECLARE
	upto	bigint;
	after	bigint;
BEGIN
	BEGIN
		PERFORM set_config('lock_timeout', '50ms', true);
		PERFORM pg_advisory_xact_lock(1752133483, 1);
		SELECT coalesce(max(w.id), 0) INTO upto
		FROM hookpost.requests w;
	EXCEPTION WHEN lock_not_available THEN
		RETURN;
	END;
	COMMIT;
	-- One fold at a time; a later one finds less or nothing to do.
	SELECT s.last_request_id INTO after
	FROM hookpost.metric_rollup_state s FOR UPDATE;
	IF upto > after THEN
		INSERT INTO hookpost.metric_counters AS c (metric, labels, shard,
		    value)
		SELECT r.metric, r.labels, 0, r.value
		FROM hookpost.metric_rows(after, upto) r
		ON CONFLICT (metric, labels, shard)
		DO UPDATE SET value = c.value + excluded.value;
		UPDATE hookpost.metric_rollup_state SET last_request_id = upto,
		    folded_at = now();
	END IF;
	COMMIT;
END $$;
