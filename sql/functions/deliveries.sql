-- The delivery worker's queue and statements (seed 000): claim a batch,
-- record a batch of results; hookpost.delivery_queue holds the work to
-- do (sql/010_delivery_queue.sql says why).

-- The queue row a delivery row asks for (NULL: none).
CREATE OR REPLACE FUNCTION hookpost.delivery_due(p_status text,
	p_next timestamptz,
	p_lease timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_status WHEN 'pending' THEN p_next
	    WHEN 'sending' THEN coalesce(p_lease, p_next) END
$$;

-- The queue follows deliveries' rows (the triggers below), whoever
-- writes them.
CREATE OR REPLACE FUNCTION hookpost.deliveries_queue_ins() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO hookpost.delivery_queue (delivery_id, due_at)
	SELECT n.id, hookpost.delivery_due(n.status, n.next_attempt_at,
	    n.lease_until)
	FROM new_rows n WHERE n.status IN ('pending', 'sending');
	INSERT INTO hookpost.delivery_callback_waits (delivery_id, since)
	SELECT n.id, n.updated_at FROM new_rows n
	WHERE n.status = 'in_progress';
	RETURN NULL;
END $$;

-- Rows whose due time changed: upserted; rows no longer queued: removed.
CREATE OR REPLACE FUNCTION hookpost.deliveries_queue_upd() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO hookpost.delivery_queue AS q (delivery_id, due_at)
	SELECT n.id, hookpost.delivery_due(n.status, n.next_attempt_at,
	    n.lease_until)
	FROM new_rows n JOIN old_rows o ON o.id = n.id
	WHERE n.status IN ('pending', 'sending')
	  AND hookpost.delivery_due(n.status, n.next_attempt_at,
	      n.lease_until) IS DISTINCT FROM hookpost.delivery_due(o.status,
	      o.next_attempt_at, o.lease_until)
	ON CONFLICT (delivery_id) DO UPDATE SET due_at = excluded.due_at;
	DELETE FROM hookpost.delivery_queue q USING new_rows n, old_rows o
	WHERE q.delivery_id = n.id AND o.id = n.id
	  AND o.status IN ('pending', 'sending')
	  AND n.status NOT IN ('pending', 'sending');
	-- The callback waits (sql/026): the receiver's last word is
	-- updated_at, whoever wrote it (the callback route, an operator).
	INSERT INTO hookpost.delivery_callback_waits AS w (delivery_id, since)
	SELECT n.id, n.updated_at
	FROM new_rows n JOIN old_rows o ON o.id = n.id
	WHERE n.status = 'in_progress'
	  AND (o.status <> 'in_progress' OR o.updated_at <> n.updated_at)
	ON CONFLICT (delivery_id) DO UPDATE SET since = excluded.since;
	DELETE FROM hookpost.delivery_callback_waits w USING new_rows n,
	    old_rows o
	WHERE w.delivery_id = n.id AND o.id = n.id
	  AND o.status = 'in_progress' AND n.status <> 'in_progress';
	RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION hookpost.deliveries_queue_del() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM hookpost.delivery_queue q USING old_rows o
	WHERE q.delivery_id = o.id AND o.status IN ('pending', 'sending');
	DELETE FROM hookpost.delivery_callback_waits w USING old_rows o
	WHERE w.delivery_id = o.id AND o.status = 'in_progress';
	-- A delivery's attempts are not deleted with it: they go with their
	-- day's partition (sql/027, hookpost.attempts_partitions()).
	RETURN NULL;
END $$;

-- TRUNCATE fires no DELETE triggers: empty the queue and the callback
-- waits with it.
CREATE OR REPLACE FUNCTION hookpost.deliveries_queue_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	TRUNCATE hookpost.delivery_queue, hookpost.delivery_callback_waits;
	RETURN NULL;
END $$;

-- The triggers, attached here beside their functions (CREATE OR REPLACE,
-- so every migrate states them again and the last word is this file's).
-- emit() and the worker's own statements keep the queue themselves
-- (QUEUE_DIRECT below), cheaper than this general form.
CREATE OR REPLACE TRIGGER deliveries_queue_truncate AFTER TRUNCATE
	ON hookpost.deliveries
	FOR EACH STATEMENT EXECUTE FUNCTION hookpost.deliveries_queue_truncate();
CREATE OR REPLACE TRIGGER deliveries_queue_ins AFTER INSERT
	ON hookpost.deliveries
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT
	WHEN (current_setting('hookpost.queue_direct', true)
	    IS DISTINCT FROM 'on')
	EXECUTE FUNCTION hookpost.deliveries_queue_ins();
CREATE OR REPLACE TRIGGER deliveries_queue_upd AFTER UPDATE
	ON hookpost.deliveries
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT
	WHEN (current_setting('hookpost.queue_direct', true)
	    IS DISTINCT FROM 'on')
	EXECUTE FUNCTION hookpost.deliveries_queue_upd();
CREATE OR REPLACE TRIGGER deliveries_queue_del AFTER DELETE
	ON hookpost.deliveries
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION hookpost.deliveries_queue_del();

/*
 * QUEUE_DIRECT: emit(), deliveries_claim and deliveries_finish know which
 * queue rows their one INSERT or UPDATE of deliveries moves, and move
 * them in the same statement; for that statement alone they set
 * hookpost.queue_direct, and the general triggers step aside.
 *
 * The claim, from the queue: up to p_limit due rows, locked SKIP LOCKED (a row
 * another worker holds is skipped, never waited for), then their
 * deliveries, also SKIP LOCKED so that a claim never waits at all (every
 * other writer locks a delivery before its queue row; a claim that
 * waited could deadlock with them).  A due sending row is an expired
 * lease: taken over, its old claim fenced off by the new claim id, and
 * that claim's try recorded as an attempt of kind cut_off (issue 12:
 * every attempt logged): its worker died, or lost the database for the
 * whole lease, during the send or before it, and whether the receiver
 * got the request is unknown, so it counts as a send.  Its started_at is
 * the old claim's time (deliveries.updated_at, set by the claim).
 *
 * Claimed rows are leased for p_lease seconds; the worker's claim id
 * p_claim fences its results (deliveries_finish).
 *
 * A due row whose delivery is not due after all (which the triggers
 * never leave, but a hand-edited queue might) would otherwise come first
 * in every claim forever: with its delivery locked, the claim puts it
 * right -- due when its delivery is, or gone, as is a row whose delivery
 * no longer exists.
 */
CREATE OR REPLACE FUNCTION hookpost.deliveries_claim(p_claim uuid,
	p_limit integer, p_lease integer)
RETURNS TABLE (id uuid, attempts integer, event_type text,
	subscription_id uuid, payload text, url text, secret_enc text,
	previous_secret_enc text, retry_schedule integer[],
	max_concurrency integer, sub_status text, event_id uuid,
	sub_type text, config text, config_secret_enc text, object_key text,
	ticket_ref text, ticket_ref_id text, ticket_state text)
LANGUAGE plpgsql AS $$
DECLARE
	due_ids	uuid[];
BEGIN
	PERFORM set_config('hookpost.queue_direct', 'on', true);
	/*
	 * The due queue rows first, in a statement of their own (issue 13):
	 * the statement below then reads an array, which its plan takes
	 * for a few rows whatever p_limit is, so that its generic plan (by
	 * primary keys) is cached and reused.  Planned with LIMIT p_limit
	 * unknown it joined by sequential scans of deliveries and the
	 * queue, so each claim was planned anew: about 1 ms, as much as a
	 * claim of 30 deliveries takes to run.
	 */
	SELECT array_agg(q.delivery_id) INTO due_ids
	FROM (SELECT q2.delivery_id FROM hookpost.delivery_queue q2
	    WHERE q2.due_at <= now()
	    ORDER BY q2.due_at
	    LIMIT p_limit FOR UPDATE SKIP LOCKED) q;
	IF due_ids IS NULL THEN
		PERFORM set_config('hookpost.queue_direct', 'off', true);
		RETURN;
	END IF;
	RETURN QUERY
	WITH due AS (
		SELECT u.delivery_id FROM unnest(due_ids) AS u(delivery_id)
	), locked AS (
		/*
		 * sql/019: a ticketing integration's delivery waits while an
		 * older one of its object is pending or sending (blocked);
		 * it is looked at again a second later.
		 */
		SELECT d2.id, hookpost.delivery_due(d2.status,
		    d2.next_attempt_at, d2.lease_until) AS due_at,
		    d2.status AS old_status, d2.claim_id AS old_claim,
		    d2.attempts AS old_attempts, d2.updated_at AS old_claimed_at,
		    d2.object_key IS NOT NULL AND EXISTS (SELECT 1
		        FROM hookpost.subscriptions s2
		        WHERE s2.id = d2.subscription_id AND s2.serial_objects)
		    AND EXISTS (SELECT 1 FROM hookpost.deliveries d4
		        WHERE d4.subscription_id = d2.subscription_id
		          AND d4.object_key = d2.object_key
		          AND (d4.created_at, d4.id) < (d2.created_at, d2.id)
		          AND d4.status IN ('pending', 'sending', 'in_progress'))
		    AS blocked
		FROM hookpost.deliveries d2
		JOIN due ON due.delivery_id = d2.id
		FOR UPDATE OF d2 SKIP LOCKED
	), claimed AS (
		UPDATE hookpost.deliveries d SET status = 'sending',
		    claim_id = p_claim,
		    lease_until = now() + make_interval(secs => p_lease),
		    attempts = d.attempts + 1, updated_at = now(),
		    sends = CASE WHEN l.old_status = 'sending'
		        THEN coalesce(d.sends, d.attempts - 1) + 1
		        ELSE d.sends END
		FROM locked l
		WHERE d.id = l.id AND l.due_at <= now() AND NOT l.blocked
		RETURNING d.id, d.attempts, d.event_type, d.subscription_id,
		    d.event_id, d.lease_until, d.object_key, l.old_status,
		    l.old_claim, l.old_attempts, l.old_claimed_at
	), cut AS (
		INSERT INTO hookpost.delivery_attempts (delivery_id, attempt,
		    started_at, error, claim_id, kind)
		SELECT c.id, c.old_attempts, c.old_claimed_at,
		    'worker died during the send (or before it): no answer '
		    'recorded', c.old_claim, 'cut_off'
		FROM claimed c WHERE c.old_status = 'sending'
	), leased AS (
		UPDATE hookpost.delivery_queue q SET due_at = c.lease_until
		FROM claimed c WHERE q.delivery_id = c.id
	), repaired AS (
		UPDATE hookpost.delivery_queue q SET due_at = CASE
		    WHEN l.due_at > now() THEN l.due_at
		    ELSE now() + interval '1 second' END
		FROM locked l WHERE q.delivery_id = l.id
		  AND l.due_at IS NOT NULL AND (l.due_at > now() OR l.blocked)
	), dropped AS (
		-- A due row missing from locked is another claim's (locked
		-- by it) or has no delivery: only those are looked up.
		DELETE FROM hookpost.delivery_queue q USING due
		WHERE q.delivery_id = due.delivery_id
		  AND (due.delivery_id IN (SELECT l.id FROM locked l
		      WHERE l.due_at IS NULL)
		    OR (due.delivery_id NOT IN (SELECT l.id FROM locked l)
		      AND NOT EXISTS (SELECT 1 FROM hookpost.deliveries d3
		      WHERE d3.id = due.delivery_id)))
	)
	SELECT c.id, c.attempts, c.event_type, c.subscription_id, e.payload,
	    s.url, s.secret_enc,
	    CASE WHEN s.previous_secret_expires_at > now()
	        THEN s.previous_secret_enc END,
	    s.retry_schedule, s.max_concurrency, s.status, c.event_id,
	    s.type, s.config::text, s.config_secret_enc, c.object_key,
	    t.ref, t.ref_id, t.state
	FROM claimed c
	JOIN hookpost.events e ON e.id = c.event_id
	JOIN hookpost.subscriptions s ON s.id = c.subscription_id
	LEFT JOIN hookpost.integration_tickets t
	    ON t.subscription_id = c.subscription_id
	    AND t.object_key = c.object_key;
	PERFORM set_config('hookpost.queue_direct', 'off', true);
END $$;

/*
 * The error of a cut_off attempt libcurl sent again on a new connection
 * (the reused one closed before an answer): the one wording of both
 * places that record such re-sends in deliveries_finish.  Inlined.
 */
CREATE OR REPLACE FUNCTION hookpost.attempt_resent_error() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT 'the connection closed before an answer (a reused one); '
	    'libcurl sent the request again on a new one'::text
$$;

/*
 * Records a batch of attempt results, set-based (one INSERT of all
 * attempts, one UPDATE of all deliveries, one per outcome for
 * subscriptions), fenced by claim id: a result whose lease was lost
 * (taken over by another worker) is still logged as an attempt but moves
 * nothing; it completes the cut_off row the takeover wrote for its try
 * (deliveries_claim) rather than adding a second one.  Each result: id,
 * claim_id, attempt, started_at, kind (sent, or not_sent when no request
 * left; absent: sent), resends (libcurl's re-sends of the request on a
 * fresh connection: each one cut_off row before the result's; counted in
 * deliveries.sends with the result's own send), status_code,
 * response_ms, error, body (first 4 KiB), ref (what the service
 * returned, e.g. PagerDuty's dedup_key: deliveries.external_ref; with
 * object_key, ref_id, ref_url and ref_state, a ticket kept in
 * hookpost.integration_tickets), and outcome: delivered | async
 * | retry (with retry_in: due that many seconds after now(), fractions
 * kept, so that the schedule's delays are exact, issues 8 and 12; a
 * worker of an older release
 * sends next_attempt_at instead) | failed | gone (410: the subscription
 * is disabled) | cancelled | released.  It keeps the queue itself
 * (QUEUE_DIRECT above): a retry's row is due again at next_attempt_at,
 * any other outcome's row leaves the queue.  "released": a claimed
 * delivery the worker did not send (held back by its subscription's
 * max_concurrency until its lease was nearly over) goes back to pending
 * as it was, its attempt not counted and not recorded.
 */
CREATE OR REPLACE FUNCTION hookpost.deliveries_finish(p_results jsonb)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	n	integer;
	ok_subs	uuid[];
	fail_subs uuid[];
	gone_subs uuid[];
	woke	integer;
	lost	integer;
	moved	uuid[];
	sub	uuid;
BEGIN
	PERFORM set_config('hookpost.queue_direct', 'on', true);
	WITH r AS (
		SELECT * FROM jsonb_to_recordset(p_results) AS x(id uuid,
		    claim_id uuid, attempt integer, started_at timestamptz,
		    status_code integer, response_ms real, error text, body text,
		    outcome text, retry_in double precision,
		    next_attempt_at timestamptz, ref text, object_key text,
		    ref_id text, ref_url text, ref_state text, kind text,
		    resends integer)
	), upd AS (
		UPDATE hookpost.deliveries d SET
		    status = CASE r.outcome WHEN 'delivered' THEN 'delivered'
		        WHEN 'async' THEN 'in_progress' WHEN 'retry' THEN 'pending'
		        WHEN 'released' THEN 'pending'
		        WHEN 'cancelled' THEN 'cancelled' ELSE 'failed' END,
		    next_attempt_at = coalesce(now() + make_interval(secs =>
		        r.retry_in), r.next_attempt_at, d.next_attempt_at),
		    attempts = CASE r.outcome WHEN 'released' THEN d.attempts - 1
		        ELSE d.attempts END,
		    sends = CASE WHEN r.outcome = 'released' THEN d.sends
		        ELSE coalesce(d.sends, d.attempts - 1) +
		        CASE WHEN r.kind = 'not_sent' THEN 0
		            ELSE 1 + coalesce(r.resends, 0) END END,
		    last_status_code = CASE r.outcome WHEN 'released'
		        THEN d.last_status_code ELSE r.status_code END,
		    last_error = CASE r.outcome WHEN 'released' THEN d.last_error
		        ELSE r.error END,
		    external_ref = coalesce(left(r.ref, 256), d.external_ref),
		    claim_id = NULL, lease_until = NULL, updated_at = now(),
		    completed_at = CASE WHEN r.outcome IN ('delivered', 'failed',
		        'gone', 'cancelled') THEN now() END
		FROM r
		WHERE d.id = r.id AND d.claim_id = r.claim_id
		  AND d.status = 'sending'
		RETURNING d.id, d.subscription_id, d.status, d.next_attempt_at,
		    r.outcome, d.object_key
	), att AS (
		-- The attempts of the results that moved their delivery; a
		-- result whose lease was lost is recorded below.
		INSERT INTO hookpost.delivery_attempts (delivery_id, attempt,
		    started_at, status_code, response_ms, error, response_body,
		    claim_id, kind)
		SELECT r.id, r.attempt, coalesce(r.started_at, now()), NULL,
		    NULL, hookpost.attempt_resent_error(), NULL,
		    r.claim_id, 'cut_off'
		FROM r JOIN upd u ON u.id = r.id
		CROSS JOIN generate_series(1, r.resends)
		WHERE r.resends > 0 AND r.outcome <> 'released'
		UNION ALL
		SELECT r.id, r.attempt, coalesce(r.started_at, now()),
		    r.status_code, r.response_ms, r.error, left(r.body, 4096),
		    r.claim_id, coalesce(r.kind, 'sent')
		FROM r JOIN upd u ON u.id = r.id WHERE r.outcome <> 'released'
	), tickets AS (
		-- sql/019: one ticket per object, as the connector found or
		-- made it.
		INSERT INTO hookpost.integration_tickets AS t (subscription_id,
		    object_key, ref, ref_id, url, state, last_delivery_id)
		-- One row per ticket (a batch may hold two events of one
		-- object): the later attempt's.
		-- The object is the delivery's own (sql/019), the one the
		-- claim serialises on; a state the table refuses is "open"
		-- rather than a batch that can never be written.
		SELECT DISTINCT ON (u.subscription_id, k.key)
		    u.subscription_id, k.key,
		    left(r.ref, 256), left(r.ref_id, 256), left(r.ref_url, 1024),
		    CASE WHEN r.ref_state ~ '^[a-z_]{1,32}$' THEN r.ref_state
		        ELSE 'open' END, u.id
		FROM upd u JOIN r ON r.id = u.id
		CROSS JOIN LATERAL (SELECT left(coalesce(u.object_key,
		    r.object_key), 256) AS key) k
		WHERE k.key IS NOT NULL AND r.ref IS NOT NULL
		ORDER BY u.subscription_id, k.key,
		    r.started_at DESC NULLS LAST
		ON CONFLICT (subscription_id, object_key) DO UPDATE SET
		    ref = excluded.ref,
		    ref_id = coalesce(excluded.ref_id, t.ref_id),
		    url = coalesce(excluded.url, t.url), state = excluded.state,
		    last_delivery_id = excluded.last_delivery_id,
		    updated_at = now()
	), woken AS (
		-- sql/019: a ticketing integration's next event of an object
		-- the claim held back is due as soon as the one before it is
		-- done (and its workers are told).
		UPDATE hookpost.delivery_queue q
		SET due_at = greatest(now(), d5.next_attempt_at)
		FROM upd u, hookpost.deliveries d5
		WHERE u.object_key IS NOT NULL AND u.status <> 'pending'
		  AND d5.subscription_id = u.subscription_id
		  AND d5.object_key = u.object_key AND d5.id <> u.id
		  AND d5.status = 'pending' AND q.delivery_id = d5.id
		RETURNING d5.next_attempt_at <= now() AS due_now
	), requeued AS (
		INSERT INTO hookpost.delivery_queue AS q (delivery_id, due_at)
		SELECT u.id, u.next_attempt_at FROM upd u
		WHERE u.status = 'pending'
		ON CONFLICT (delivery_id) DO UPDATE SET due_at = excluded.due_at
	), done AS (
		DELETE FROM hookpost.delivery_queue q USING upd u
		WHERE q.delivery_id = u.id AND u.status <> 'pending'
	), waits AS (
		-- An async answer: waiting for its callback (sql/026).
		INSERT INTO hookpost.delivery_callback_waits AS w (delivery_id,
		    since)
		SELECT u.id, now() FROM upd u WHERE u.status = 'in_progress'
		ON CONFLICT (delivery_id) DO UPDATE SET since = excluded.since
	)
	SELECT count(*),
	    array_agg(DISTINCT u.subscription_id) FILTER (WHERE u.outcome IN ('delivered', 'async')),
	    array_agg(u.subscription_id) FILTER (WHERE u.outcome IN ('retry', 'failed')),
	    array_agg(DISTINCT u.subscription_id) FILTER (WHERE u.outcome = 'gone')
	    , (SELECT count(*) FROM woken w WHERE w.due_now),
	    (SELECT count(*) FROM r WHERE r.outcome <> 'released'
	      AND NOT EXISTS (SELECT 1 FROM upd u2 WHERE u2.id = r.id)),
	    array_agg(u.id)
	INTO n, ok_subs, fail_subs, gone_subs, woke, lost, moved
	FROM upd u;
	/*
	 * Results whose try was taken over (or whose delivery left sending
	 * meanwhile) moved nothing; each is still an attempt.  One that a
	 * takeover recorded cut_off (deliveries_claim) completes that row
	 * rather than adding a second one.  Rare, so a statement of its
	 * own: in the one above, the search for cut_off rows was planned
	 * as a scan of every attempt, in every batch (issue 13).
	 */
	IF lost > 0 THEN
		WITH r AS (
			SELECT * FROM jsonb_to_recordset(p_results) AS x(id uuid,
			    claim_id uuid, attempt integer,
			    started_at timestamptz, status_code integer,
			    response_ms real, error text, body text,
			    outcome text, kind text, resends integer)
		), lr AS MATERIALIZED (
			SELECT r.* FROM r WHERE r.outcome <> 'released'
			  AND r.id <> ALL (coalesce(moved, '{}'))
		), late AS (
			UPDATE hookpost.delivery_attempts a SET
			    kind = coalesce(lr.kind, 'sent'),
			    started_at = coalesce(lr.started_at, a.started_at),
			    status_code = lr.status_code,
			    response_ms = lr.response_ms, error = lr.error,
			    response_body = left(lr.body, 4096)
			FROM lr
			WHERE a.delivery_id = lr.id AND a.attempt = lr.attempt
			  AND a.claim_id = lr.claim_id AND a.kind = 'cut_off'
			RETURNING a.delivery_id, a.claim_id
		)
		INSERT INTO hookpost.delivery_attempts (delivery_id, attempt,
		    started_at, status_code, response_ms, error, response_body,
		    claim_id, kind)
		SELECT lr.id, lr.attempt, coalesce(lr.started_at, now()), NULL,
		    NULL, hookpost.attempt_resent_error(), NULL,
		    lr.claim_id, 'cut_off'
		FROM lr CROSS JOIN generate_series(1, lr.resends)
		WHERE lr.resends > 0
		  AND NOT EXISTS (SELECT 1 FROM late l
		      WHERE l.delivery_id = lr.id AND l.claim_id = lr.claim_id)
		UNION ALL
		SELECT lr.id, lr.attempt, coalesce(lr.started_at, now()),
		    lr.status_code, lr.response_ms, lr.error, left(lr.body, 4096),
		    lr.claim_id, coalesce(lr.kind, 'sent')
		FROM lr WHERE NOT EXISTS (SELECT 1 FROM late l
		    WHERE l.delivery_id = lr.id AND l.claim_id = lr.claim_id);
	END IF;
	IF woke > 0 THEN
		PERFORM pg_notify('hookpost_delivery', '');
	END IF;
	PERFORM set_config('hookpost.queue_direct', 'off', true);
	-- The subscriptions below are updated in id order, locked first:
	-- two workers finishing batches for the same subscriptions would
	-- otherwise lock them in opposite orders and deadlock.
	PERFORM 1 FROM hookpost.subscriptions s
	WHERE s.id = ANY (coalesce(ok_subs, '{}') || coalesce(fail_subs, '{}')
	    || coalesce(gone_subs, '{}'))
	ORDER BY s.id FOR NO KEY UPDATE;
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

/*
 * The async callback's deadline (seed 000: "active records expire after 4
 * hours"): up to p_limit in_progress deliveries whose receiver has said
 * nothing for p_ttl seconds (since its async answer or its last
 * in_progress callback) become failed, with callback_status 'expired' and
 * last_error saying why; each counts one publication failure, as a
 * "failed" callback does, and one webhook_deliveries_expired_total in
 * /metrics.  A late callback then finds the delivery failed (409).  Rows
 * a callback holds are skipped, never waited for; run by hookpost-deliver
 * at the start of each run.  Returns the deliveries it failed and the
 * error it gave them.
 */
CREATE OR REPLACE FUNCTION hookpost.deliveries_expire(p_ttl integer,
	p_limit integer)
RETURNS TABLE (id uuid, subscription_id uuid, error text)
LANGUAGE plpgsql AS $$
DECLARE
	n	integer := CASE WHEN p_ttl % 3600 = 0 THEN p_ttl / 3600
	    WHEN p_ttl % 60 = 0 THEN p_ttl / 60 ELSE p_ttl END;
	msg	text := format('callback not received within %s %s%s', n,
	    CASE WHEN p_ttl % 3600 = 0 THEN 'hour'
	        WHEN p_ttl % 60 = 0 THEN 'minute' ELSE 'second' END,
	    CASE WHEN n = 1 THEN '' ELSE 's' END);
	ids	uuid[];
	subs	uuid[];
BEGIN
	-- The waits (sql/026) in the order of the receivers' last word;
	-- the delivery itself says whether it is still waiting.  Its
	-- update leaves the waits through the trigger.
	WITH due AS (
		SELECT d.id FROM hookpost.delivery_callback_waits w
		JOIN hookpost.deliveries d ON d.id = w.delivery_id
		WHERE w.since < now() - make_interval(secs => p_ttl)
		  AND d.status = 'in_progress'
		  AND d.updated_at < now() - make_interval(secs => p_ttl)
		ORDER BY w.since
		LIMIT p_limit FOR UPDATE OF d SKIP LOCKED
	), expired AS (
		UPDATE hookpost.deliveries d SET status = 'failed',
		    callback_status = 'expired', last_error = msg,
		    completed_at = now(), updated_at = now()
		FROM due WHERE d.id = due.id
		RETURNING d.id, d.subscription_id
	)
	SELECT array_agg(e.id), array_agg(e.subscription_id)
	INTO ids, subs FROM expired e;
	IF ids IS NULL THEN
		RETURN;
	END IF;
	-- In id order, as deliveries_finish locks them (no deadlock).
	PERFORM 1 FROM hookpost.subscriptions s WHERE s.id = ANY (subs)
	ORDER BY s.id FOR NO KEY UPDATE;
	UPDATE hookpost.subscriptions s
	SET publication_failures = s.publication_failures + f.n
	FROM (SELECT u AS sid, count(*) AS n FROM unnest(subs) u GROUP BY u) f
	WHERE s.id = f.sid;
	INSERT INTO hookpost.metric_counters AS c (metric, labels, shard, value)
	VALUES ('webhook_deliveries_expired_total', 'reason="callback_timeout"',
	    0, cardinality(ids))
	ON CONFLICT (metric, labels, shard)
	DO UPDATE SET value = c.value + excluded.value;
	RETURN QUERY SELECT x.id, x.sid, msg
	FROM unnest(ids, subs) AS x(id, sid);
END $$;
