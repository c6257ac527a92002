-- The outbox (seed 000): events and their fan-out to subscriptions.

-- Subscription pattern match: exact type, "resource.*", or "*".
CREATE OR REPLACE FUNCTION hookpost.event_matches(p_patterns text[],
	p_type text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT p_type = ANY (p_patterns) OR '*' = ANY (p_patterns)
	    OR EXISTS (SELECT 1 FROM unnest(p_patterns) p
	        WHERE right(p, 2) = '.*'
	        AND left(p_type, length(p) - 1) = left(p, length(p) - 1))
$$;

/*
 * seed 003: an event's severity is data.severity; an integration with a
 * severity_threshold takes the events at or above it.  An event without
 * one (or with another word) ranks as info.  A resolution (an event type
 * ending in ".resolved", or data.status "resolved" or "closed": the rule
 * of lib/connector.c conn_is_resolution) passes every threshold: the integration that
 * was told of the object is told it is over (PagerDuty's resolve), and a
 * resolve for an object it never heard of changes nothing there.
 */
CREATE OR REPLACE FUNCTION hookpost.severity_rank(p_severity text)
RETURNS integer LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE lower(p_severity) WHEN 'critical' THEN 4 WHEN 'high' THEN 3
	    WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END
$$;

CREATE OR REPLACE FUNCTION hookpost.severity_passes(p_threshold text,
	p_event_type text, p_data jsonb)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT p_threshold IS NULL OR p_event_type LIKE '%.resolved'
	    OR lower(p_data->>'status') IN ('resolved', 'closed')
	    OR hookpost.severity_rank(p_data->>'severity') >=
	        hookpost.severity_rank(p_threshold)
$$;

/*
 * The object an event is about, as "<resource>/<id>" (sql/019): the
 * event's object_type and object_id, else its type's resource and
 * data.id or data.<resource>_id (a non-empty string or an integer), else
 * the event itself.  Integrations keep one ticket per object under it,
 * a ticketing integration sends one object's events one at a time, and
 * connectors read it (lib/connector.c conn_object_key, whose own
 * computation, the same rule, serves only where no delivery row exists).
 */
CREATE OR REPLACE FUNCTION hookpost.json_id(p jsonb)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE jsonb_typeof(p)
	    WHEN 'string' THEN nullif(p #>> '{}', '')
	    WHEN 'number' THEN CASE WHEN (p #>> '{}') ~ '^-?[0-9]+$'
	        THEN p #>> '{}' END END
$$;

CREATE OR REPLACE FUNCTION hookpost.object_key(p_event_type text,
	p_object_type text, p_object_id text, p_data jsonb, p_event_id uuid)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT left(CASE
	    WHEN coalesce(p_object_type, '') <> ''
	        AND coalesce(p_object_id, '') <> ''
	        THEN p_object_type || '/' || p_object_id
	    ELSE coalesce(split_part(p_event_type, '.', 1) || '/' ||
	        coalesce(hookpost.json_id(p_data -> 'id'),
	        hookpost.json_id(p_data -> (split_part(p_event_type, '.', 1)
	        || '_id'))), 'event/' || p_event_id::text) END, 256)
$$;

/*
 * The subscription patterns that match an event type (event_matches from
 * the type's side): the type, "*", and "<prefix>.*" for each of its
 * prefixes.  "a.b.c": {a.b.c, *, a.*, a.b.*}.  plpgsql, without a query:
 * a SQL function with a subquery is never inlined, and PostgreSQL plans
 * its body anew on every call.
 */
CREATE OR REPLACE FUNCTION hookpost.event_patterns(p_type text)
RETURNS text[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	parts	text[] := string_to_array(p_type, '.');
	pre	text := '';
	r	text[] := ARRAY[p_type, '*'];
BEGIN
	FOR i IN 1 .. coalesce(cardinality(parts), 0) - 1 LOOP
		pre := pre || parts[i] || '.';
		r := r || (pre || '*');
	END LOOP;
	RETURN r;
END $$;

/*
 * The subscriptions an event may go to: active, naming one of its type's
 * patterns, for its threat model and owner (severity aside: a superset
 * of emit's match).  Through subscriptions_events (GIN, active only): a
 * probe, current in the caller's snapshot, whatever the number of
 * subscriptions.  Used as EXISTS (SELECT 1 FROM ...), inlined.
 */
CREATE OR REPLACE FUNCTION hookpost.event_subscribers(p_event_type text,
	p_threat_model_id text, p_owner_id text)
RETURNS TABLE (id uuid) LANGUAGE sql STABLE AS $$
	SELECT s.id FROM hookpost.subscriptions s
	WHERE s.status = 'active'
	  AND s.events && hookpost.event_patterns(p_event_type)
	  AND (s.threat_model_id IS NULL OR
	      s.threat_model_id = p_threat_model_id)
	  AND (s.all_owners OR s.owner_id = p_owner_id)
$$;

/*
 * hookpost.emit: the host application calls this inside its own
 * transaction.  The event, its payload (seed 000's shape) and one
 * delivery per matching active subscription are written together; the
 * NOTIFY is delivered only if the transaction commits; an event no
 * subscription can take (event_subscribers) writes nothing.  Events beyond an
 * owner's per-minute quota are scheduled into later minutes: delayed,
 * never dropped; admin (all_owners) subscriptions are not held to it
 * (sql/009).  The deliveries are queued in the same statement
 * (QUEUE_DIRECT, deliveries.sql).
 */
CREATE OR REPLACE FUNCTION hookpost.emit(p_event_type text, p_object_type text,
	p_object_id text, p_threat_model_id text, p_owner_id text,
	p_data jsonb)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
	eid	uuid := hookpost.uuid_time_ordered();	-- appends to events_pkey
	body	text;
	n	integer;
BEGIN
	IF p_event_type IS NULL OR p_event_type !~ '^[a-z0-9_-]+(\.[a-z0-9_-]+)+$' THEN
		RAISE EXCEPTION 'invalid event type %', p_event_type
		    USING ERRCODE = '22023';
	END IF;
	-- An event no subscription can take is not written (issue 13): the
	-- outbox row and its fan-out cost as much as a receiver's own record.
	-- Its id is returned all the same; nothing reads an event but its
	-- deliveries.
	IF NOT EXISTS (SELECT 1 FROM hookpost.event_subscribers(p_event_type,
	    p_threat_model_id, p_owner_id)) THEN
		RETURN eid;
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
		    owner_id, event_type, object_key, next_attempt_at)
		SELECT eid, s.id, s.owner_id, p_event_type,
		    CASE WHEN s.type <> 'hookpost' THEN hookpost.object_key(
		        p_event_type, p_object_type, p_object_id, p_data, eid) END,
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
		  AND hookpost.severity_passes(s.severity_threshold,
		      p_event_type, p_data)
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

-- One event to one subscription only (POST .../subscriptions/{id}/test):
-- webhook.test, whatever the subscription's filters.  Returns the delivery.
CREATE OR REPLACE FUNCTION hookpost.emit_to(p_subscription_id uuid,
	p_event_type text,
	p_data jsonb)
RETURNS uuid LANGUAGE plpgsql AS $$
DECLARE
	s	hookpost.subscriptions;
	eid	uuid := gen_random_uuid();
	did	uuid;
BEGIN
	SELECT * INTO s FROM hookpost.subscriptions WHERE id = p_subscription_id;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	INSERT INTO hookpost.events (id, event_type, object_type, object_id,
	    threat_model_id, owner_id, payload)
	VALUES (eid, p_event_type, 'subscription', s.id::text,
	    s.threat_model_id, s.owner_id, jsonb_build_object(
	    'event_type', p_event_type, 'threat_model_id', s.threat_model_id,
	    'object_id', s.id, 'object_type', 'subscription',
	    'owner_id', s.owner_id, 'timestamp', to_char(now() AT TIME ZONE
	    'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
	    'data', coalesce(p_data, '{}'::jsonb))::text);
	INSERT INTO hookpost.deliveries (event_id, subscription_id, owner_id,
	    event_type)
	VALUES (eid, s.id, s.owner_id, p_event_type) RETURNING id INTO did;
	PERFORM pg_notify('hookpost_delivery', '');
	RETURN did;
END $$;
