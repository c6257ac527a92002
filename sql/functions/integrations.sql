-- Integrations (seed 003): what the API's "Test Connection" records.

/*
 * POST /api/integrations/:id/test sends one event to one integration
 * synchronously (lib/connector.c connector_send) and records it as every
 * delivery is recorded: an event, a delivery and its attempt, visible in
 * the delivery logs.  This starts it: the event (payload in emit's
 * shape, object_type 'integration', object_id the integration) and its
 * delivery, already 'sending' under the caller's claim p_claim with
 * attempts 1 and a lease of p_lease seconds.  The caller records the
 * outcome with hookpost.deliveries_finish() (deliveries.sql), fenced by
 * that claim; should it never do so (its process died), the lease
 * expires and the worker takes the delivery over, as it takes over any
 * lost lease.  Whatever the integration's events and status: a test is
 * asked for.  Returns the ids and the payload, or no row when there is
 * no such integration.
 */
CREATE OR REPLACE FUNCTION hookpost.integration_test_start(p_id uuid,
	p_event_type text, p_data jsonb, p_claim uuid, p_lease integer)
RETURNS TABLE (event_id uuid, delivery_id uuid, payload text)
LANGUAGE plpgsql AS $$
DECLARE
	s	hookpost.subscriptions;
	eid	uuid := gen_random_uuid();
	body	text;
	did	uuid;
BEGIN
	SELECT * INTO s FROM hookpost.subscriptions x WHERE x.id = p_id;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	body := jsonb_build_object('event_type', p_event_type,
	    'threat_model_id', NULL, 'object_id', s.id::text,
	    'object_type', 'integration', 'owner_id', s.owner_id,
	    'timestamp', to_char(now() AT TIME ZONE 'UTC',
	        'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
	    'data', coalesce(p_data, '{}'::jsonb))::text;
	INSERT INTO hookpost.events (id, event_type, object_type, object_id,
	    owner_id, payload)
	VALUES (eid, p_event_type, 'integration', s.id::text, s.owner_id,
	    body);
	INSERT INTO hookpost.deliveries (event_id, subscription_id, owner_id,
	    event_type, object_key, status, attempts, claim_id, lease_until)
	VALUES (eid, s.id, s.owner_id, p_event_type, 'integration/' || s.id,
	    'sending', 1, p_claim, now() + make_interval(secs => p_lease))
	RETURNING id INTO did;
	RETURN QUERY SELECT eid, did, body;
END $$;
