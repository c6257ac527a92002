-- GET /api/stats (issue 11, the console's health page): requests received
-- and refused per source, and delivery attempts sent and failed with
-- their latency, in time buckets, for people without Prometheus.

/*
 * The last p_hours hours (1..168) in aligned buckets: 5 minutes up to 6
 * hours (at most 72), else 1 hour (at most 168); the last bucket is the
 * current one.  p_owner NULL: everything (an admin); else that owner's
 * own: the audit rows of its triggers' keys (sources have no owner, as
 * their API is the admin's) and the attempts of its hookpost
 * subscriptions' deliveries (as GET /api/webhook-deliveries scopes them).
 *
 * A request is refused when it was answered >= 400.  An attempt is sent
 * when the receiver answered 2xx, else failed (an error, no answer, any
 * other status).  Latency: the attempts' response_ms (p50, p95, mean).
 *
 * Cost: the audit log (hookpost.requests, sql/025) through the time
 * indexes of its tables (an admin) or the trigger ref's
 * (webhook_requests_source, trigger_events_ref: an owner); an owner's
 * attempts through
 * its deliveries; an admin's through delivery_attempts_started_brin
 * (sql/021: BRIN, since attempts are appended in time order).
 * At most 50 sources are listed, the busiest first.
 */
CREATE OR REPLACE FUNCTION hookpost.stats(p_hours integer, p_owner text)
RETURNS json LANGUAGE sql STABLE AS $$
	WITH win AS (
		SELECT x.b, x.n, to_timestamp((floor(extract(epoch FROM now())
		    / x.b) + 1 - x.n) * x.b) AS since
		FROM (SELECT s.b, p_hours * 3600 / s.b AS n
		      FROM (SELECT CASE WHEN p_hours <= 6 THEN 300 ELSE 3600
		          END AS b) s) x),
	slots AS (
		SELECT i FROM win, generate_series(0, win.n - 1) i),
	-- An admin's by time, an owner's by its triggers' refs and keys;
	-- the branch not taken is
	-- skipped at run time (its one-time filter is false).
	req AS (
		SELECT r.kind, r.source, r.received_at, r.http_status
		FROM win, hookpost.requests r
		WHERE p_owner IS NULL AND r.received_at >= win.since
		UNION ALL
		SELECT r.kind, r.source, r.received_at, r.http_status
		FROM win, hookpost.triggers t
		JOIN hookpost.trigger_keys k ON k.trigger_id = t.id
		JOIN hookpost.requests r ON r.kind = 'trigger' AND
		    r.source = t.ref AND r.source_id = k.id
		WHERE p_owner IS NOT NULL AND t.owner_id = p_owner AND
		    r.received_at >= win.since),
	rq AS (
		SELECT r.kind, r.source,
		    least(floor(date_part('epoch', r.received_at - win.since)
		        / win.b)::integer, win.n - 1) AS i,
		    count(*) AS received,
		    count(*) FILTER (WHERE r.http_status >= 400) AS refused
		FROM win, req r
		GROUP BY 1, 2, 3),
	-- (a row written after this transaction began counts in the last)
	src AS (
		SELECT q.kind, q.source, sum(q.received)::bigint AS received,
		    sum(q.refused)::bigint AS refused
		FROM rq q GROUP BY 1, 2
		ORDER BY 3 DESC, 1, 2 NULLS LAST LIMIT 51),
	src_series AS (
		SELECT s.kind, s.source, s.received, s.refused,
		    json_agg(coalesce(q.received, 0) ORDER BY sl.i) AS rb,
		    json_agg(coalesce(q.refused, 0) ORDER BY sl.i) AS fb
		FROM (SELECT * FROM src ORDER BY received DESC, kind, source
		      NULLS LAST LIMIT 50) s
		CROSS JOIN slots sl
		LEFT JOIN rq q ON q.kind = s.kind AND
		    q.source IS NOT DISTINCT FROM s.source AND q.i = sl.i
		GROUP BY 1, 2, 3, 4),
	-- Every source's requests per slot (the sources' list stops at 50).
	rq_b AS (
		SELECT sl.i, coalesce(sum(q.received), 0)::bigint AS received,
		    coalesce(sum(q.refused), 0)::bigint AS refused
		FROM slots sl LEFT JOIN rq q ON q.i = sl.i
		GROUP BY sl.i),
	-- An owner's attempts through its deliveries (deliveries_owner_recent,
	-- then delivery_attempts_delivery); an admin's by time, through
	-- delivery_attempts_started_brin (sql/021): a bitmap scan with
	-- win.since as its run-time key (EXPLAIN on 20000 attempts over two
	-- weeks: 157 of 413 heap pages for 24 hours; pages written since the
	-- last (auto)vacuum are not summarized yet and are always read).
	att AS (
		SELECT least(floor(date_part('epoch', a.started_at - win.since)
		        / win.b)::integer, win.n - 1) AS i,
		    a.status_code BETWEEN 200 AND 299 AS sent, a.response_ms
		FROM win, hookpost.delivery_attempts a
		WHERE p_owner IS NULL AND a.started_at >= win.since
		UNION ALL
		SELECT least(floor(date_part('epoch', a.started_at - win.since)
		        / win.b)::integer, win.n - 1),
		    a.status_code BETWEEN 200 AND 299, a.response_ms
		FROM win, hookpost.deliveries d
		JOIN hookpost.subscriptions s ON s.id = d.subscription_id AND
		    s.type = 'hookpost'
		JOIN hookpost.delivery_attempts a ON a.delivery_id = d.id
		WHERE p_owner IS NOT NULL AND d.owner_id = p_owner AND
		    a.started_at >= win.since),
	att_b AS (
		SELECT sl.i,
		    count(a.i) FILTER (WHERE a.sent) AS sent,
		    count(a.i) FILTER (WHERE a.sent IS NOT TRUE) AS failed,
		    round(percentile_cont(0.5) WITHIN GROUP (ORDER BY
		        a.response_ms)::numeric, 1) AS p50,
		    round(percentile_cont(0.95) WITHIN GROUP (ORDER BY
		        a.response_ms)::numeric, 1) AS p95
		FROM slots sl LEFT JOIN att a ON a.i = sl.i
		GROUP BY sl.i)
	SELECT json_build_object(
	    'hours', p_hours, 'bucket_seconds', win.b,
	    'since', win.since, 'until', win.since + win.n * win.b *
	        interval '1 second',
	    'buckets', (SELECT json_agg(win.since + sl.i * win.b *
	        interval '1 second' ORDER BY sl.i) FROM slots sl),
	    'inbound', json_build_object(
		'received', (SELECT coalesce(sum(q.received), 0)::bigint
		    FROM rq q),
		'refused', (SELECT coalesce(sum(q.refused), 0)::bigint
		    FROM rq q),
		'sources', coalesce((SELECT json_agg(json_build_object(
		    'kind', s.kind, 'source', s.source,
		    'received', s.received, 'refused', s.refused,
		    'received_by_bucket', s.rb, 'refused_by_bucket', s.fb)
		    ORDER BY s.received DESC, s.kind, s.source NULLS LAST)
		    FROM src_series s), '[]'),
		'sources_truncated', (SELECT count(*) > 50 FROM src),
		'received_by_bucket', (SELECT json_agg(b.received ORDER BY b.i)
		    FROM rq_b b),
		'refused_by_bucket', (SELECT json_agg(b.refused ORDER BY b.i)
		    FROM rq_b b)),
	    'deliveries', json_build_object(
		'sent', (SELECT count(*) FILTER (WHERE a.sent) FROM att a),
		'failed', (SELECT count(*) FILTER (WHERE a.sent IS NOT TRUE)
		    FROM att a),
		'latency_ms', (SELECT json_build_object(
		    'p50', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY
		        a.response_ms)::numeric, 1),
		    'p95', round(percentile_cont(0.95) WITHIN GROUP (ORDER BY
		        a.response_ms)::numeric, 1),
		    'avg', round(avg(a.response_ms)::numeric, 1)) FROM att a),
		'sent_by_bucket', (SELECT json_agg(b.sent ORDER BY b.i)
		    FROM att_b b),
		'failed_by_bucket', (SELECT json_agg(b.failed ORDER BY b.i)
		    FROM att_b b),
		'p50_ms_by_bucket', (SELECT json_agg(b.p50 ORDER BY b.i)
		    FROM att_b b),
		'p95_ms_by_bucket', (SELECT json_agg(b.p95 ORDER BY b.i)
		    FROM att_b b)))
	FROM win
$$;
