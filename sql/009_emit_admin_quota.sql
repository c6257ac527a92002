-- hookpost schema, part 9: admin subscriptions (all_owners: made by an
-- admin for every owner's events) are not held to the per-minute event
-- quota, as admins are not held to the subscription quotas; this also
-- spares emit the per-owner count of the last minute's deliveries, whose
-- cost grows with that volume (a 20,000-event burst took ~25 s).

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
	INSERT INTO hookpost.deliveries (event_id, subscription_id, owner_id,
	    event_type, next_attempt_at)
	SELECT eid, s.id, s.owner_id, p_event_type,
	    CASE WHEN s.all_owners THEN now()
	    ELSE now() + make_interval(mins => (SELECT count(*)
	        FROM hookpost.deliveries d WHERE d.owner_id = s.owner_id
	        AND d.created_at > now() - interval '1 minute')::integer
	        / (hookpost.quota_for(s.owner_id)).max_events_per_minute) END
	FROM hookpost.subscriptions s
	WHERE s.status = 'active'
	  AND hookpost.event_matches(s.events, p_event_type)
	  AND (s.threat_model_id IS NULL OR s.threat_model_id = p_threat_model_id)
	  AND (s.all_owners OR s.owner_id = p_owner_id);
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		PERFORM pg_notify('hookpost_delivery', '');
	END IF;
	RETURN eid;
END $$;

