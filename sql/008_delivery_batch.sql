-- hookpost schema, part 8: deliveries_finish set-based (one INSERT of all
-- attempts, one UPDATE of all deliveries, one per outcome for subscriptions)
-- instead of a statement per result: measured about half the recording time.

CREATE OR REPLACE FUNCTION hookpost.deliveries_finish(p_results jsonb)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	n	integer;
	ok_subs	uuid[];
	fail_subs uuid[];
	gone_subs uuid[];
	sub	uuid;
BEGIN
	WITH r AS (
		SELECT * FROM jsonb_to_recordset(p_results) AS x(id uuid,
		    claim_id uuid, attempt integer, started_at timestamptz,
		    status_code integer, response_ms real, error text, body text,
		    outcome text, next_attempt_at timestamptz)
	), att AS (
		INSERT INTO hookpost.delivery_attempts (delivery_id, attempt,
		    started_at, status_code, response_ms, error, response_body,
		    claim_id)
		SELECT r.id, r.attempt, coalesce(r.started_at, now()),
		    r.status_code, r.response_ms, r.error, left(r.body, 4096),
		    r.claim_id
		FROM r
	), upd AS (
		UPDATE hookpost.deliveries d SET
		    status = CASE r.outcome WHEN 'delivered' THEN 'delivered'
		        WHEN 'async' THEN 'in_progress' WHEN 'retry' THEN 'pending'
		        WHEN 'cancelled' THEN 'cancelled' ELSE 'failed' END,
		    next_attempt_at = coalesce(r.next_attempt_at, d.next_attempt_at),
		    last_status_code = r.status_code, last_error = r.error,
		    claim_id = NULL, lease_until = NULL, updated_at = now(),
		    completed_at = CASE WHEN r.outcome IN ('delivered', 'failed',
		        'gone', 'cancelled') THEN now() END
		FROM r
		WHERE d.id = r.id AND d.claim_id = r.claim_id
		  AND d.status = 'sending'
		RETURNING d.subscription_id, r.outcome
	)
	SELECT count(*),
	    array_agg(DISTINCT u.subscription_id) FILTER (WHERE u.outcome IN ('delivered', 'async')),
	    array_agg(u.subscription_id) FILTER (WHERE u.outcome IN ('retry', 'failed')),
	    array_agg(DISTINCT u.subscription_id) FILTER (WHERE u.outcome = 'gone')
	INTO n, ok_subs, fail_subs, gone_subs
	FROM upd u;
	IF ok_subs IS NOT NULL THEN
		UPDATE hookpost.subscriptions SET last_successful_use = now(),
		    publication_failures = 0
		WHERE id = ANY (ok_subs) AND (publication_failures <> 0 OR
		    last_successful_use IS NULL OR
		    last_successful_use < now() - interval '1 second');
	END IF;
	IF fail_subs IS NOT NULL THEN
		UPDATE hookpost.subscriptions s
		SET publication_failures = s.publication_failures + f.n
		FROM (SELECT u AS id, count(*) AS n FROM unnest(fail_subs) u
		    GROUP BY u) f
		WHERE s.id = f.id;
	END IF;
	FOREACH sub IN ARRAY coalesce(gone_subs, '{}') LOOP
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
	END LOOP;
	RETURN n;
END $$;
