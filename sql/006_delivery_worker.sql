-- hookpost schema, part 6: the delivery worker's two statements (claim and
-- finish), so that one worker round trip claims a batch and one records a
-- batch of results: per-delivery commits would cap throughput.

-- Claims up to p_limit due deliveries for claim p_claim (a uuid the worker
-- made), leased for p_lease seconds.  An expired lease is reclaimed: the
-- worker holding it is presumed dead, and its fenced finish will no-op.
CREATE FUNCTION hookpost.deliveries_claim(p_claim uuid, p_limit integer,
	p_lease integer)
RETURNS TABLE (id uuid, attempts integer, event_type text,
	subscription_id uuid, payload text, url text, secret_enc text,
	previous_secret_enc text, retry_schedule integer[],
	max_concurrency integer, sub_status text)
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY
	WITH due AS (
		SELECT d.id FROM hookpost.deliveries d
		WHERE d.status = 'pending' AND d.next_attempt_at <= now()
		ORDER BY d.next_attempt_at
		LIMIT p_limit FOR UPDATE SKIP LOCKED
	), lost AS (
		SELECT d.id FROM hookpost.deliveries d
		WHERE d.status = 'sending' AND d.lease_until < now()
		ORDER BY d.lease_until
		LIMIT p_limit FOR UPDATE SKIP LOCKED
	), claimed AS (
		UPDATE hookpost.deliveries d SET status = 'sending',
		    claim_id = p_claim,
		    lease_until = now() + make_interval(secs => p_lease),
		    attempts = d.attempts + 1, updated_at = now()
		WHERE d.id IN (SELECT due.id FROM due UNION
		    (SELECT lost.id FROM lost LIMIT p_limit))
		RETURNING d.id, d.attempts, d.event_type, d.subscription_id,
		    d.event_id
	)
	SELECT c.id, c.attempts, c.event_type, c.subscription_id, e.payload,
	    s.url, s.secret_enc,
	    CASE WHEN s.previous_secret_expires_at > now()
	        THEN s.previous_secret_enc END,
	    s.retry_schedule, s.max_concurrency, s.status
	FROM claimed c
	JOIN hookpost.events e ON e.id = c.event_id
	JOIN hookpost.subscriptions s ON s.id = c.subscription_id
	LIMIT p_limit;
END $$;

/*
 * Records a batch of attempt results, fenced by claim id: a result whose
 * lease was lost (reclaimed by another worker) is still logged as an
 * attempt but changes nothing.  Each result: id, claim_id, attempt,
 * started_at, status_code, response_ms, error, body (first 4 KiB), and
 * outcome: delivered | async | retry (with next_attempt_at) | failed |
 * gone (410: the subscription is disabled) | cancelled.
 */
CREATE FUNCTION hookpost.deliveries_finish(p_results jsonb)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	r	record;
	sub	uuid;
	n	integer := 0;
BEGIN
	FOR r IN SELECT * FROM jsonb_to_recordset(p_results) AS x(id uuid,
	    claim_id uuid, attempt integer, started_at timestamptz,
	    status_code integer, response_ms real, error text, body text,
	    outcome text, next_attempt_at timestamptz)
	LOOP
		INSERT INTO hookpost.delivery_attempts (delivery_id, attempt,
		    started_at, status_code, response_ms, error, response_body,
		    claim_id)
		VALUES (r.id, r.attempt, coalesce(r.started_at, now()),
		    r.status_code, r.response_ms, r.error, left(r.body, 4096),
		    r.claim_id);
		UPDATE hookpost.deliveries d SET
		    status = CASE r.outcome WHEN 'delivered' THEN 'delivered'
		        WHEN 'async' THEN 'in_progress' WHEN 'retry' THEN 'pending'
		        WHEN 'cancelled' THEN 'cancelled' ELSE 'failed' END,
		    next_attempt_at = coalesce(r.next_attempt_at, d.next_attempt_at),
		    last_status_code = r.status_code, last_error = r.error,
		    claim_id = NULL, lease_until = NULL, updated_at = now(),
		    completed_at = CASE WHEN r.outcome IN ('delivered', 'failed',
		        'gone', 'cancelled') THEN now() END
		WHERE d.id = r.id AND d.claim_id = r.claim_id
		  AND d.status = 'sending'
		RETURNING d.subscription_id INTO sub;
		IF NOT FOUND THEN
			CONTINUE;	-- lease lost: another worker owns it now
		END IF;
		n := n + 1;
		IF r.outcome IN ('delivered', 'async') THEN
			UPDATE hookpost.subscriptions SET last_successful_use = now(),
			    publication_failures = 0
			WHERE id = sub AND (publication_failures <> 0 OR
			    last_successful_use IS NULL OR
			    last_successful_use < now() - interval '1 second');
		ELSIF r.outcome IN ('retry', 'failed') THEN
			UPDATE hookpost.subscriptions
			SET publication_failures = publication_failures + 1
			WHERE id = sub;
		ELSIF r.outcome = 'gone' THEN
			-- seed 000 / RFC 9110: 410 Gone means the endpoint is retired.
			UPDATE hookpost.subscriptions SET status = 'disabled',
			    publication_failures = publication_failures + 1,
			    disabled_reason = 'endpoint answered 410 Gone',
			    modified_at = now()
			WHERE id = sub AND status <> 'disabled';
			IF FOUND THEN
				PERFORM hookpost.emit('subscription.disabled',
				    'subscription', sub::text, NULL,
				    (SELECT owner_id FROM hookpost.subscriptions
				     WHERE id = sub),
				    jsonb_build_object('subscription_id', sub,
				    'reason', 'endpoint answered 410 Gone'));
			END IF;
		END IF;
	END LOOP;
	RETURN n;
END $$;

-- The next moment a pending delivery falls due (the worker's timer).
CREATE FUNCTION hookpost.deliveries_next_due() RETURNS timestamptz
LANGUAGE sql STABLE AS $$
	SELECT least(
	    (SELECT min(next_attempt_at) FROM hookpost.deliveries
	     WHERE status = 'pending'),
	    (SELECT min(lease_until) FROM hookpost.deliveries
	     WHERE status = 'sending'))
$$;
