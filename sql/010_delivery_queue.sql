-- hookpost schema, part 10: the delivery worker's queue leaves the
-- deliveries table.
--
-- Every delivery is updated at least twice (claimed, then finished), and
-- each update changed a column that an index of deliveries covers:
-- status (in the predicates of deliveries_due, _lease and _terminal),
-- next_attempt_at, lease_until, completed_at.  So no update could be HOT
-- and each wrote a new entry into all seven indexes, and each attempt's
-- foreign key locked its delivery once more: measured, two thirds of the
-- database's work per delivery.
--
-- Now the work to do lives in hookpost.delivery_queue, one small row per
-- delivery still pending or sending: due_at is next_attempt_at while
-- pending and lease_until while sending, so an expired lease is simply
-- due again.  Triggers on deliveries keep it exact whoever writes
-- deliveries (emit, the worker, the retry and callback routes, cleanup,
-- an operator's UPDATE), and deliveries keeps only indexes on columns
-- that never change: its updates are HOT.  delivery_attempts loses its
-- foreign key the same way 007 took incidents' (the deletion trigger
-- below removes a delivery's attempts, as ON DELETE CASCADE did).
-- Applied by `hookpost db migrate` in one transaction; 001-009 are never
-- edited.

-- No delivery may change between the queue's fill below and the
-- triggers that keep it: writers of deliveries wait for this migration
-- (readers don't).
LOCK TABLE hookpost.deliveries IN EXCLUSIVE MODE;

CREATE TABLE hookpost.delivery_queue (
	delivery_id	uuid PRIMARY KEY,
	due_at		timestamptz NOT NULL
) WITH (fillfactor = 70);
CREATE INDEX delivery_queue_due ON hookpost.delivery_queue (due_at);

-- The queue row a delivery row asks for (NULL: none).
CREATE FUNCTION hookpost.delivery_due(p_status text, p_next timestamptz,
	p_lease timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE p_status WHEN 'pending' THEN p_next
	    WHEN 'sending' THEN coalesce(p_lease, p_next) END
$$;

INSERT INTO hookpost.delivery_queue (delivery_id, due_at)
SELECT id, hookpost.delivery_due(status, next_attempt_at, lease_until)
FROM hookpost.deliveries WHERE status IN ('pending', 'sending');

CREATE FUNCTION hookpost.deliveries_queue_ins() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO hookpost.delivery_queue (delivery_id, due_at)
	SELECT n.id, hookpost.delivery_due(n.status, n.next_attempt_at,
	    n.lease_until)
	FROM new_rows n WHERE n.status IN ('pending', 'sending');
	RETURN NULL;
END $$;

-- Rows whose due time changed: upserted; rows no longer queued: removed.
CREATE FUNCTION hookpost.deliveries_queue_upd() RETURNS trigger
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
	RETURN NULL;
END $$;

CREATE FUNCTION hookpost.deliveries_queue_del() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	DELETE FROM hookpost.delivery_queue q USING old_rows o
	WHERE q.delivery_id = o.id AND o.status IN ('pending', 'sending');
	DELETE FROM hookpost.delivery_attempts a USING old_rows o
	WHERE a.delivery_id = o.id;
	RETURN NULL;
END $$;

-- TRUNCATE fires no DELETE triggers: empty the queue with it.  Truncate
-- delivery_attempts in the same statement, as the foreign key required.
CREATE FUNCTION hookpost.deliveries_queue_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	TRUNCATE hookpost.delivery_queue;
	RETURN NULL;
END $$;

CREATE TRIGGER deliveries_queue_truncate AFTER TRUNCATE
	ON hookpost.deliveries
	FOR EACH STATEMENT EXECUTE FUNCTION hookpost.deliveries_queue_truncate();
CREATE TRIGGER deliveries_queue_ins AFTER INSERT ON hookpost.deliveries
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT
	WHEN (current_setting('hookpost.queue_direct', true)
	    IS DISTINCT FROM 'on')
	EXECUTE FUNCTION hookpost.deliveries_queue_ins();
-- emit() and the worker's own statements keep the queue themselves
-- (QUEUE_DIRECT below), cheaper than this general form.
CREATE TRIGGER deliveries_queue_upd AFTER UPDATE ON hookpost.deliveries
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT
	WHEN (current_setting('hookpost.queue_direct', true)
	    IS DISTINCT FROM 'on')
	EXECUTE FUNCTION hookpost.deliveries_queue_upd();
CREATE TRIGGER deliveries_queue_del AFTER DELETE ON hookpost.deliveries
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION hookpost.deliveries_queue_del();

ALTER TABLE hookpost.delivery_attempts
	DROP CONSTRAINT delivery_attempts_delivery_id_fkey;
DROP INDEX hookpost.deliveries_due;
DROP INDEX hookpost.deliveries_lease;
DROP INDEX hookpost.deliveries_terminal;
-- 006's, unused, and without deliveries_due a scan of every delivery.
DROP FUNCTION hookpost.deliveries_next_due();
-- Room on each page for the new versions of its rows (HOT).
ALTER TABLE hookpost.deliveries SET (fillfactor = 70);

/*
 * QUEUE_DIRECT: emit(), deliveries_claim and deliveries_finish know which
 * queue rows their one INSERT or UPDATE of deliveries moves, and move
 * them in the same statement; for that statement alone they set
 * hookpost.queue_direct, and the general triggers step aside.
 *
 * 006's claim, from the queue: the due rows, locked SKIP LOCKED (a row
 * another worker holds is skipped, never waited for), then their
 * deliveries, also SKIP LOCKED so that a claim never waits at all (every
 * other writer locks a delivery before its queue row; a claim that
 * waited could deadlock with them).  A due sending row is an expired
 * lease: taken over, its old claim fenced off by the new claim id.
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
	max_concurrency integer, sub_status text)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM set_config('hookpost.queue_direct', 'on', true);
	RETURN QUERY
	WITH due AS (
		SELECT q.delivery_id FROM hookpost.delivery_queue q
		WHERE q.due_at <= now()
		ORDER BY q.due_at
		LIMIT p_limit FOR UPDATE SKIP LOCKED
	), locked AS (
		SELECT d2.id, hookpost.delivery_due(d2.status,
		    d2.next_attempt_at, d2.lease_until) AS due_at
		FROM hookpost.deliveries d2
		JOIN due ON due.delivery_id = d2.id
		FOR UPDATE OF d2 SKIP LOCKED
	), claimed AS (
		UPDATE hookpost.deliveries d SET status = 'sending',
		    claim_id = p_claim,
		    lease_until = now() + make_interval(secs => p_lease),
		    attempts = d.attempts + 1, updated_at = now()
		FROM locked l
		WHERE d.id = l.id AND l.due_at <= now()
		RETURNING d.id, d.attempts, d.event_type, d.subscription_id,
		    d.event_id, d.lease_until
	), leased AS (
		UPDATE hookpost.delivery_queue q SET due_at = c.lease_until
		FROM claimed c WHERE q.delivery_id = c.id
	), repaired AS (
		UPDATE hookpost.delivery_queue q SET due_at = l.due_at
		FROM locked l WHERE q.delivery_id = l.id AND l.due_at > now()
	), dropped AS (
		DELETE FROM hookpost.delivery_queue q USING due
		WHERE q.delivery_id = due.delivery_id
		  AND (due.delivery_id IN (SELECT l.id FROM locked l
		      WHERE l.due_at IS NULL)
		    OR NOT EXISTS (SELECT 1 FROM hookpost.deliveries d3
		      WHERE d3.id = due.delivery_id))
	)
	SELECT c.id, c.attempts, c.event_type, c.subscription_id, e.payload,
	    s.url, s.secret_enc,
	    CASE WHEN s.previous_secret_expires_at > now()
	        THEN s.previous_secret_enc END,
	    s.retry_schedule, s.max_concurrency, s.status
	FROM claimed c
	JOIN hookpost.events e ON e.id = c.event_id
	JOIN hookpost.subscriptions s ON s.id = c.subscription_id;
	PERFORM set_config('hookpost.queue_direct', 'off', true);
END $$;

-- 008's deliveries_finish, keeping the queue itself (QUEUE_DIRECT above):
-- a retry's row is due again at next_attempt_at, any other outcome's row
-- leaves the queue.  A result fenced off (its lease was taken over) moves
-- nothing, as before.  New outcome "released": a claimed delivery the
-- worker did not send (held back by its subscription's max_concurrency
-- until its lease was nearly over) goes back to pending as it was, its
-- attempt not counted and not recorded.
CREATE OR REPLACE FUNCTION hookpost.deliveries_finish(p_results jsonb)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	n	integer;
	ok_subs	uuid[];
	fail_subs uuid[];
	gone_subs uuid[];
	sub	uuid;
BEGIN
	PERFORM set_config('hookpost.queue_direct', 'on', true);
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
		FROM r WHERE r.outcome <> 'released'
	), upd AS (
		UPDATE hookpost.deliveries d SET
		    status = CASE r.outcome WHEN 'delivered' THEN 'delivered'
		        WHEN 'async' THEN 'in_progress' WHEN 'retry' THEN 'pending'
		        WHEN 'released' THEN 'pending'
		        WHEN 'cancelled' THEN 'cancelled' ELSE 'failed' END,
		    next_attempt_at = coalesce(r.next_attempt_at, d.next_attempt_at),
		    attempts = CASE r.outcome WHEN 'released' THEN d.attempts - 1
		        ELSE d.attempts END,
		    last_status_code = CASE r.outcome WHEN 'released'
		        THEN d.last_status_code ELSE r.status_code END,
		    last_error = CASE r.outcome WHEN 'released' THEN d.last_error
		        ELSE r.error END,
		    claim_id = NULL, lease_until = NULL, updated_at = now(),
		    completed_at = CASE WHEN r.outcome IN ('delivered', 'failed',
		        'gone', 'cancelled') THEN now() END
		FROM r
		WHERE d.id = r.id AND d.claim_id = r.claim_id
		  AND d.status = 'sending'
		RETURNING d.id, d.subscription_id, d.status, d.next_attempt_at,
		    r.outcome
	), requeued AS (
		INSERT INTO hookpost.delivery_queue AS q (delivery_id, due_at)
		SELECT u.id, u.next_attempt_at FROM upd u
		WHERE u.status = 'pending'
		ON CONFLICT (delivery_id) DO UPDATE SET due_at = excluded.due_at
	), done AS (
		DELETE FROM hookpost.delivery_queue q USING upd u
		WHERE q.delivery_id = u.id AND u.status <> 'pending'
	)
	SELECT count(*),
	    array_agg(DISTINCT u.subscription_id) FILTER (WHERE u.outcome IN ('delivered', 'async')),
	    array_agg(u.subscription_id) FILTER (WHERE u.outcome IN ('retry', 'failed')),
	    array_agg(DISTINCT u.subscription_id) FILTER (WHERE u.outcome = 'gone')
	INTO n, ok_subs, fail_subs, gone_subs
	FROM upd u;
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

-- 009's emit, queueing its deliveries itself (QUEUE_DIRECT above).
CREATE OR REPLACE FUNCTION hookpost.emit(p_event_type text, p_object_type text,
	p_object_id text, p_threat_model_id text, p_owner_id text,
	p_data jsonb)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
	eid	uuid := gen_random_uuid();
	body	text;
	n	integer;
BEGIN
	IF p_event_type IS NULL OR p_event_type !~ '^[a-z0-9_-]+(\.[a-z0-9_-]+)+$' THEN
		RAISE EXCEPTION 'invalid event type %', p_event_type
		    USING ERRCODE = '22023';
	END IF;
	body := jsonb_build_object('event_type', p_event_type,
	    'threat_model_id', p_threat_model_id, 'object_id', p_object_id,
	    'object_type', p_object_type, 'owner_id', p_owner_id,
	    'timestamp', to_char(now() AT TIME ZONE 'UTC',
	        'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
	    'data', coalesce(p_data, '{}'::jsonb))::text;
	INSERT INTO hookpost.events (id, event_type, object_type, object_id,
	    threat_model_id, owner_id, payload)
	VALUES (eid, p_event_type, p_object_type, p_object_id,
	    p_threat_model_id, p_owner_id, body);
	PERFORM set_config('hookpost.queue_direct', 'on', true);
	WITH d AS (
		INSERT INTO hookpost.deliveries (event_id, subscription_id,
		    owner_id, event_type, next_attempt_at)
		SELECT eid, s.id, s.owner_id, p_event_type,
		    CASE WHEN s.all_owners THEN now()
		    ELSE now() + make_interval(mins => (SELECT count(*)
		        FROM hookpost.deliveries d WHERE d.owner_id = s.owner_id
		        AND d.created_at > now() - interval '1 minute')::integer
		        / (hookpost.quota_for(s.owner_id)).max_events_per_minute) END
		FROM hookpost.subscriptions s
		WHERE s.status = 'active'
		  AND hookpost.event_matches(s.events, p_event_type)
		  AND (s.threat_model_id IS NULL OR
		      s.threat_model_id = p_threat_model_id)
		  AND (s.all_owners OR s.owner_id = p_owner_id)
		RETURNING id, next_attempt_at
	)
	INSERT INTO hookpost.delivery_queue (delivery_id, due_at)
	SELECT d.id, d.next_attempt_at FROM d;
	GET DIAGNOSTICS n = ROW_COUNT;
	PERFORM set_config('hookpost.queue_direct', 'off', true);
	IF n > 0 THEN
		PERFORM pg_notify('hookpost_delivery', '');
	END IF;
	RETURN eid;
END $$;
