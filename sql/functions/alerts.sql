-- The inbound receiver's store (seed 004): the replay guard, which is the
-- audit row of the accepted request (sql/007_fast_ingest.sql), the
-- incident or the queued event, in one statement and one commit.

-- A replay: the request is recorded as replayed (no signature of its own)
-- and answered as the first one was.
CREATE OR REPLACE FUNCTION hookpost.alert_replay(p_source text,
	p_source_id uuid,
	p_remote text, p_ua text, p_ms real, p_sha text, p_size bigint,
	p_status integer, p_body jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
	PERFORM hookpost.request_log('source', p_source, p_source_id, p_remote,
	    p_ua, p_status, 'replayed', NULL, p_ms, p_sha, p_size,
	    (p_body->>'incident_id')::uuid, (p_body->>'queue_id')::uuid);
	RETURN jsonb_build_object('http_status', p_status, 'body', p_body,
	    'replayed', true);
END $$;

-- The answer a first request got, from its audit row.
CREATE OR REPLACE FUNCTION hookpost.alert_result(w hookpost.webhook_requests)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN w.outcome = 'queued' THEN jsonb_build_object(
	    'status', 'queued', 'queue_id', w.queue_id,
	    'message', 'Event queued for processing')
	ELSE jsonb_build_object('status', 'accepted', 'incident_id',
	    w.incident_id, 'incident_number', w.incident_number) ||
	    CASE WHEN w.merged THEN '{"merged": true}'::jsonb
	    ELSE '{}'::jsonb END END
$$;

-- An earlier answer to this request, from the audit row that guards it
-- (or, for requests of before this migration, from replay_guard); NULL.
CREATE OR REPLACE FUNCTION hookpost.alert_prior(p_source_id uuid,
	p_signed_at bigint,
	p_signature text, OUT http_status integer, OUT body jsonb)
LANGUAGE plpgsql AS $$
BEGIN
	SELECT w.http_status, hookpost.alert_result(w) INTO http_status, body
	FROM hookpost.webhook_requests w
	WHERE w.signed_at = p_signed_at AND w.source_id = p_source_id
	  AND w.signature = decode(p_signature, 'hex')
	  AND w.signature IS NOT NULL;
	IF NOT FOUND AND p_signed_at <= hookpost.replay_guard_horizon() THEN
		SELECT g.http_status, g.result INTO http_status, body
		FROM hookpost.replay_guard g
		WHERE g.source_id = p_source_id AND g.signature = p_signature;
	END IF;
END $$;

/*
 * The receiver's one write for a sync source (seed 004), after its
 * checks: audit row, replay guard, incident (or merge), in one statement
 * and one commit.  Returns {"http_status":..,"body":{..}} ("replayed":
 * true for a replay), or {"stale": true} and writes nothing when
 * p_version, the source version the handler worked from (lib/source.h
 * SOURCE_VERSION; NULL: unchecked), is no longer the source's: the
 * handler then reads the source again and decides afresh, so a rotated
 * secret or a disabled source takes effect at once.
 *
 * p_signed_at and p_signature: the request's X-Webhook-Timestamp and the
 * hex HMAC it carried.  p_tags: a JSON array of strings.
 *
 * The hot path is a handful of statements, none a nested function call:
 * one read (version, and whether anyone subscribes to incident events),
 * the audit row, the incident.  The incident's id and number are made
 * before the audit row, which names them, and a merge is decided first.
 */
CREATE OR REPLACE FUNCTION hookpost.alert_accept(
	p_source_id uuid, p_source text, p_version text, p_signed_at bigint,
	p_signature text, p_remote text, p_ua text, p_ms real, p_sha text,
	p_size bigint, p_format text, p_title text, p_severity text,
	p_status text, p_queue text, p_tags jsonb, p_entities jsonb,
	p_indicators jsonb, p_dedupe_key text, p_merge_window integer,
	p_triage jsonb, p_raw text, p_occurred_at timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	version		text;
	subscribed	boolean;
	iid		uuid;
	num		text;
	merged		boolean := false;
	tags		text[] := '{}';
	prior		record;
	y		integer;
	n		bigint;
BEGIN
	-- The version, and INCIDENT_SUBSCRIBED (incidents.sql, incident_emit).
	SELECT (SELECT s.xmin::text || '/' || coalesce(p.xmin::text, '')
	        FROM hookpost.sources s
	        LEFT JOIN hookpost.playbooks p ON p.name = s.playbook
	        WHERE s.id = p_source_id),
	    EXISTS (SELECT 1 FROM hookpost.subscriptions s
	        WHERE s.status = 'active' AND s.events &&
	            '{incident.created,incident.triaged,incident.*,*}'
	          AND s.threat_model_id IS NULL AND s.all_owners)
	INTO version, subscribed;
	IF p_version IS DISTINCT FROM version AND p_version IS NOT NULL THEN
		RETURN '{"stale": true}';
	END IF;
	IF p_tags IS NOT NULL AND p_tags <> '[]' THEN
		tags := ARRAY(SELECT jsonb_array_elements_text(p_tags));
	END IF;

	IF p_merge_window > 0 AND p_dedupe_key IS NOT NULL THEN
		-- Serialize alerts of one key only, so two can't both create.
		PERFORM pg_advisory_xact_lock(hashtextextended(
		    p_source_id::text || '/' || p_dedupe_key, 0));
		SELECT i.id, i.number INTO iid, num FROM hookpost.incidents i
		WHERE i.source_id = p_source_id AND i.dedupe_key = p_dedupe_key
		  AND i.status NOT IN ('suppressed', 'resolved', 'closed')
		  AND i.created_at > now() - make_interval(secs => p_merge_window)
		ORDER BY i.created_at DESC LIMIT 1 FOR UPDATE;
		merged := FOUND;
	END IF;
	IF NOT merged THEN
		-- hookpost.incident_number_next(), inline; NULL until the
		-- year's first incident has made the year's sequence.
		y := extract(year FROM now() AT TIME ZONE 'UTC');
		n := nextval(to_regclass('hookpost.incident_seq_' || y));
		IF n IS NULL THEN
			num := hookpost.incident_number_next();
		ELSE
			num := format('INC-%s-%s', y, lpad(n::text,
			    greatest(4, length(n::text)), '0'));
		END IF;
		iid := hookpost.uuid_time_ordered();
	END IF;

	IF p_signed_at <= hookpost.replay_guard_horizon() THEN
		prior := hookpost.alert_prior(p_source_id, p_signed_at,
		    p_signature);
		IF prior.http_status IS NOT NULL THEN
			RETURN hookpost.alert_replay(p_source, p_source_id,
			    p_remote, p_ua, p_ms, p_sha, p_size,
			    prior.http_status, prior.body);
		END IF;
	END IF;
	-- The audit lock (sql/007_fast_ingest.sql, metrics).  The audit
	-- row is the replay guard: a conflict is a replay.
	IF NOT pg_try_advisory_xact_lock_shared(1752133483, 1) THEN
		PERFORM pg_advisory_xact_lock_shared(1752133483, 1);
	END IF;
	INSERT INTO hookpost.webhook_requests (kind, source, source_id,
	    remote_addr, user_agent, http_status, outcome, processing_ms,
	    body_sha256, body_size, incident_id, incident_number, merged,
	    signed_at, signature)
	VALUES ('source', p_source, p_source_id, p_remote, left(p_ua, 256),
	    200, 'accepted', p_ms, p_sha, p_size, iid, num, merged OR NULL,
	    p_signed_at, decode(p_signature, 'hex'))
	ON CONFLICT (signed_at, source_id, signature)
	    WHERE signature IS NOT NULL DO NOTHING;
	IF NOT FOUND THEN
		prior := hookpost.alert_prior(p_source_id, p_signed_at,
		    p_signature);
		RETURN hookpost.alert_replay(p_source, p_source_id, p_remote,
		    p_ua, p_ms, p_sha, p_size, prior.http_status, prior.body);
	END IF;

	IF merged THEN
		PERFORM hookpost.incident_merge(iid, tags, p_raw);
		RETURN jsonb_build_object('http_status', 200, 'body',
		    jsonb_build_object('status', 'accepted', 'incident_id', iid,
		    'incident_number', num, 'merged', true));
	END IF;
	INSERT INTO hookpost.incidents (id, number, source_id, source, format,
	    title, severity, status, queue, tags, entities, indicators,
	    dedupe_key, triage, raw_payload, occurred_at)
	SELECT iid, num, p_source_id, p_source, p_format, p_title, p_severity,
	    p_status, p_queue, tags, p_entities, p_indicators, p_dedupe_key,
	    p_triage, p_raw, coalesce(p_occurred_at, now())
	WHERE EXISTS (SELECT 1 FROM hookpost.sources s
	    WHERE s.id = p_source_id);
	IF NOT FOUND THEN
		PERFORM hookpost.source_gone(p_source_id);
	END IF;
	IF subscribed THEN
		PERFORM hookpost.incident_emit(iid, num, p_source, p_format,
		    p_title, p_severity, p_status, p_queue, tags, p_entities,
		    p_triage, coalesce(p_occurred_at, now()));
	END IF;
	RETURN jsonb_build_object('http_status', 200, 'body',
	    jsonb_build_object('status', 'accepted', 'incident_id', iid,
	    'incident_number', num));
END $$;

-- Queued mode: store the verified raw event; bin/hookpost-ingest makes
-- the incident later.
CREATE OR REPLACE FUNCTION hookpost.alert_queue(
	p_source_id uuid, p_source text, p_version text, p_signed_at bigint,
	p_signature text, p_remote text, p_ua text, p_ms real, p_sha text,
	p_size bigint, p_raw text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	qid	uuid := hookpost.uuid_time_ordered();
	prior	record;
	body	jsonb;
BEGIN
	IF p_version IS NOT NULL AND p_version IS DISTINCT FROM (SELECT
	    s.xmin::text || '/' || coalesce(p.xmin::text, '')
	    FROM hookpost.sources s
	    LEFT JOIN hookpost.playbooks p ON p.name = s.playbook
	    WHERE s.id = p_source_id) THEN
		RETURN '{"stale": true}';
	END IF;
	IF p_signed_at <= hookpost.replay_guard_horizon() THEN
		prior := hookpost.alert_prior(p_source_id, p_signed_at,
		    p_signature);
		IF prior.http_status IS NOT NULL THEN
			RETURN hookpost.alert_replay(p_source, p_source_id,
			    p_remote, p_ua, p_ms, p_sha, p_size,
			    prior.http_status, prior.body);
		END IF;
	END IF;
	IF NOT pg_try_advisory_xact_lock_shared(1752133483, 1) THEN
		PERFORM pg_advisory_xact_lock_shared(1752133483, 1);
	END IF;
	INSERT INTO hookpost.webhook_requests (kind, source, source_id,
	    remote_addr, user_agent, http_status, outcome, processing_ms,
	    body_sha256, body_size, queue_id, signed_at, signature)
	VALUES ('source', p_source, p_source_id, p_remote, left(p_ua, 256),
	    202, 'queued', p_ms, p_sha, p_size, qid, p_signed_at,
	    decode(p_signature, 'hex'))
	ON CONFLICT (signed_at, source_id, signature)
	    WHERE signature IS NOT NULL DO NOTHING;
	IF NOT FOUND THEN
		prior := hookpost.alert_prior(p_source_id, p_signed_at,
		    p_signature);
		RETURN hookpost.alert_replay(p_source, p_source_id, p_remote,
		    p_ua, p_ms, p_sha, p_size, prior.http_status, prior.body);
	END IF;
	INSERT INTO hookpost.inbound_queue (id, source_id, raw_payload)
	VALUES (qid, p_source_id, p_raw);
	body := jsonb_build_object('status', 'queued', 'queue_id', qid,
	    'message', 'Event queued for processing');
	PERFORM pg_notify('hookpost_inbound', '');	-- wakes hookpost-ingest
	RETURN jsonb_build_object('http_status', 202, 'body', body);
END $$;
