-- Webhook-enabled triggers (seed 002, issue 3): the admin API's views of
-- a trigger, its keys, and the trigger receiver's one write.

-- A trigger as the admin API shows it.  webhook_key_enc and each key's
-- key_enc are opened by the handler (crypt_secret_open) and replaced by
-- the key and its URL; the HMAC secret never leaves.
CREATE OR REPLACE FUNCTION hookpost.trigger_json(t hookpost.triggers)
RETURNS json LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', t.id, 'ref', t.ref,
	    'description', t.description,
	    'payload_schema', t.payload_schema,
	    'payload_mapping', t.payload_mapping, 'preset', t.preset,
	    'webhook_enabled', t.webhook_enabled,
	    'webhook_key_enc', (SELECT k.key_enc FROM hookpost.trigger_keys k
	        WHERE k.trigger_id = t.id AND k.revoked_at IS NULL
	        ORDER BY k.created_at DESC, k.id LIMIT 1),
	    'hmac', json_build_object('enabled', t.hmac_enabled,
	        'algorithm', t.hmac_algorithm,
	        'secret_set', t.hmac_secret_enc IS NOT NULL),
	    'rate_limit', json_build_object('enabled', t.rate_limit_enabled,
	        'requests', t.rate_limit_requests,
	        'window_seconds', t.rate_limit_window_seconds),
	    'ip_allowlist', json_build_object('enabled',
	        t.ip_allowlist_enabled, 'cidrs', to_json(t.ip_allowlist)),
	    'payload_limit_kb', t.payload_limit_kb,
	    'created_at', t.created_at, 'updated_at', t.updated_at)
$$;

-- Seed 002 "Get Webhook Info": enabled, key, created_at, last_used_at,
-- total_events; and every active key with its label and last use (the
-- last request that presented it, found through the index above).
CREATE OR REPLACE FUNCTION hookpost.trigger_webhook_info(p_trigger_id bigint)
RETURNS json LANGUAGE sql STABLE AS $$
	WITH keys AS (
		SELECT k.id, k.label, k.key_enc, k.created_at,
		    (SELECT w.received_at FROM hookpost.webhook_requests w
		     WHERE w.kind = 'trigger' AND w.source_id = k.id
		     ORDER BY w.received_at DESC LIMIT 1) AS last_used_at
		FROM hookpost.trigger_keys k
		WHERE k.trigger_id = p_trigger_id AND k.revoked_at IS NULL)
	SELECT json_build_object('id', t.id, 'ref', t.ref,
	    'enabled', t.webhook_enabled, 'webhook_enabled', t.webhook_enabled,
	    'webhook_key_enc', (SELECT u.key_enc FROM keys u
	        ORDER BY u.created_at DESC, u.id LIMIT 1),
	    'created_at', t.webhook_enabled_at,
	    'last_used_at', (SELECT max(u.last_used_at) FROM keys u),
	    'total_events', (SELECT count(*) FROM hookpost.trigger_events e
	        WHERE e.trigger_ref = t.ref),
	    'keys', coalesce((SELECT json_agg(json_build_object('id', u.id,
	        'label', u.label, 'key_enc', u.key_enc,
	        'created_at', u.created_at, 'last_used_at', u.last_used_at)
	        ORDER BY u.created_at, u.id) FROM keys u), '[]'))
	FROM hookpost.triggers t WHERE t.id = p_trigger_id
$$;

-- A new trigger, its ref registered as an outbound event type (seed 000
-- catalog, sql/003_outbound.sql) so that subscriptions may name it.
CREATE OR REPLACE FUNCTION hookpost.trigger_create(p_ref text,
	p_description text,
	p_schema json, p_mapping json, p_preset text)
RETURNS hookpost.triggers LANGUAGE plpgsql AS $$
DECLARE
	t	hookpost.triggers;
BEGIN
	-- A preset names a signature scheme: verification is on from the
	-- start, and refuses everything until a secret is set.
	INSERT INTO hookpost.triggers (ref, description, payload_schema,
	    payload_mapping, preset, hmac_enabled)
	VALUES (p_ref, coalesce(p_description, ''), p_schema, p_mapping,
	    p_preset, p_preset IS NOT NULL)
	RETURNING * INTO t;
	INSERT INTO hookpost.event_types (name, description)
	VALUES (p_ref, left('Trigger event: ' || coalesce(nullif(p_description,
	    ''), p_ref), 1024))
	ON CONFLICT (name) DO NOTHING;
	RETURN t;
END $$;

-- Enables webhooks; the first enable makes a key labelled "default"
-- (p_hash, p_enc: a key the handler generated, used only if needed).
CREATE OR REPLACE FUNCTION hookpost.trigger_webhook_enable(p_trigger_id bigint,
	p_hash text, p_enc text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	UPDATE hookpost.triggers SET webhook_enabled = true,
	    webhook_enabled_at = coalesce(webhook_enabled_at, now()),
	    updated_at = now()
	WHERE id = p_trigger_id;
	-- The trigger row is now locked: two enables cannot both add a key.
	IF NOT EXISTS (SELECT 1 FROM hookpost.trigger_keys
	    WHERE trigger_id = p_trigger_id AND revoked_at IS NULL) THEN
		INSERT INTO hookpost.trigger_keys (trigger_id, label, key_hash,
		    key_enc)
		VALUES (p_trigger_id, 'default', p_hash, p_enc);
	END IF;
END $$;

-- seed 002 "Regenerate Webhook Key": every active key is revoked at once
-- and one new key replaces them.  Returns how many were revoked.
CREATE OR REPLACE FUNCTION hookpost.trigger_webhook_regenerate(
	p_trigger_id bigint, p_label text, p_hash text, p_enc text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	n	integer;
BEGIN
	PERFORM 1 FROM hookpost.triggers WHERE id = p_trigger_id FOR UPDATE;
	UPDATE hookpost.trigger_keys SET revoked_at = now()
	WHERE trigger_id = p_trigger_id AND revoked_at IS NULL;
	GET DIAGNOSTICS n = ROW_COUNT;
	INSERT INTO hookpost.trigger_keys (trigger_id, label, key_hash, key_enc)
	VALUES (p_trigger_id, coalesce(p_label, 'default'), p_hash, p_enc);
	UPDATE hookpost.triggers SET updated_at = now()
	WHERE id = p_trigger_id;
	RETURN n;
END $$;

-- One more active key (rotation without downtime), at most 10 per
-- trigger.  Raises P0001 'too_many_keys'; a taken label is 23505.
-- Returns the key as the admin API shows it (key_enc still sealed).
CREATE OR REPLACE FUNCTION hookpost.trigger_key_add(p_trigger_id bigint,
	p_label text, p_hash text, p_enc text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	k	hookpost.trigger_keys;
BEGIN
	PERFORM 1 FROM hookpost.triggers WHERE id = p_trigger_id FOR UPDATE;
	IF (SELECT count(*) FROM hookpost.trigger_keys
	    WHERE trigger_id = p_trigger_id AND revoked_at IS NULL) >= 10 THEN
		RAISE EXCEPTION 'too_many_keys';
	END IF;
	INSERT INTO hookpost.trigger_keys (trigger_id, label, key_hash, key_enc)
	VALUES (p_trigger_id, p_label, p_hash, p_enc)
	RETURNING * INTO k;
	RETURN json_build_object('id', k.id, 'label', k.label,
	    'key_enc', k.key_enc, 'created_at', k.created_at,
	    'last_used_at', NULL);
END $$;

/*
 * The rate limit of a trigger's key (seed 002: per key, N requests per
 * window), a sliding log read from the audit rows the receiver writes
 * anyway: the requests of the key that got past the limiter (answered
 * other than 403, 413 or 429) inside the window, counted through
 * webhook_requests_trigger_key and stopping at the limit, so the cost is
 * bounded by the limit and there is no extra write and no row that every
 * request of a key must lock: a hot counter row would serialize all of a
 * key's requests, which is the load the limit exists for.  The price is
 * that requests in flight at the same moment do not see each other:
 * under concurrency a key may pass its limit by as many requests as run
 * at once (at most the handler processes), which for a limit meant to
 * stop floods is the right trade.
 *
 * One row when the key is at its limit: the seconds until the oldest of
 * its last p_requests leaves the window.  Inlined where called.
 */
CREATE OR REPLACE FUNCTION hookpost.trigger_rate_limited(p_key_id uuid,
	p_requests integer, p_window integer)
RETURNS TABLE (retry_after integer) LANGUAGE sql STABLE AS $$
	SELECT greatest(1, ceil(extract(epoch FROM nth.received_at +
	    make_interval(secs => p_window) - now())))::integer
	FROM (SELECT w.received_at FROM hookpost.webhook_requests w
	    WHERE w.kind = 'trigger' AND w.source_id = p_key_id
	      AND w.received_at > now() - make_interval(secs => p_window)
	      AND w.http_status NOT IN (403, 413, 429)
	    ORDER BY w.received_at DESC
	    OFFSET p_requests - 1 LIMIT 1) nth
$$;

/*
 * The receiver's one write (issue 3: "one round of database work"), after
 * its one read.  The handler has decided checks 1-3 (key, enabled, size,
 * IP allow list) itself, answering refusals of those with a single
 * request_log; it computes checks 5-6 (HMAC, JSON, payload_schema) and
 * passes their refusal, if any, as its status and code; this applies
 * them in the issue's order:
 *   4. the rate limit of the key (trigger_rate_limited),
 *   5-6. the handler's refusal, if any,
 *   then a handshake (GitHub's ping, Slack's url_verification), or
 *   dedupe by delivery id, the event, its outbound emit, the audit row
 * and the counters, all in this one statement and one commit.
 *
 * Returns facts, never HTTP: one record of OUT parameters (a set would
 * cost a tuplestore and one more query per request): outcome,
 * retry_after, event_id, received_at; outcome one of rate_limited
 * (retry_after: seconds until the key may send again), refused,
 * handshake, duplicate (the first event's id and time) or accepted (the
 * event's).  received_at is in
 * JSON's form.  p_status: what the handler answers a request that passes
 * (the audit row's status; a rate-limited one is 429, which the limiter
 * counts).
 */
CREATE OR REPLACE FUNCTION hookpost.trigger_receive(
	p_trigger_id bigint, p_ref text, p_key_id uuid,
	p_rate_enabled boolean, p_rate_requests integer, p_rate_window integer,
	p_refusal_status integer, p_refusal_code text, p_handshake boolean,
	p_payload jsonb, p_metadata jsonb, p_delivery_id text,
	p_remote text, p_ua text, p_ms real, p_sha text, p_size bigint,
	p_status integer,
	OUT outcome text, OUT retry_after integer, OUT event_id uuid,
	OUT received_at text)
LANGUAGE plpgsql AS $$
DECLARE
	wait	integer;
	eid	uuid;
	rat	timestamptz;
BEGIN
	IF p_rate_enabled THEN
		SELECT l.retry_after INTO wait FROM hookpost.trigger_rate_limited(
		    p_key_id, p_rate_requests, p_rate_window) l;
		IF FOUND THEN
			PERFORM hookpost.request_log('trigger', p_ref, p_key_id,
			    p_remote, p_ua, 429, 'rejected', 'rate_limited',
			    p_ms, p_sha, p_size, NULL, NULL);
			outcome := 'rate_limited';
			retry_after := wait;
			RETURN;
		END IF;
	END IF;
	IF p_refusal_status IS NOT NULL THEN
		PERFORM hookpost.request_log('trigger', p_ref, p_key_id,
		    p_remote, p_ua, p_refusal_status, 'rejected', p_refusal_code,
		    p_ms, p_sha, p_size, NULL, NULL);
		outcome := 'refused';
		RETURN;
	END IF;
	IF p_handshake THEN
		PERFORM hookpost.request_log('trigger', p_ref, p_key_id,
		    p_remote, p_ua, p_status, 'handshake', NULL, p_ms, p_sha,
		    p_size, NULL, NULL);
		outcome := 'handshake';
		RETURN;
	END IF;

	INSERT INTO hookpost.trigger_events AS e (trigger_id, trigger_ref,
	    key_id, payload, metadata, delivery_id)
	VALUES (p_trigger_id, p_ref, p_key_id, p_payload,
	    p_metadata || jsonb_build_object('received_at', now()),
	    p_delivery_id)
	ON CONFLICT (trigger_id, delivery_id) WHERE delivery_id IS NOT NULL
	DO NOTHING
	RETURNING e.id, e.received_at INTO eid, rat;
	IF NOT FOUND THEN
		-- Seen before: no second event; the first one's id.
		SELECT e.id, e.received_at INTO eid, rat
		FROM hookpost.trigger_events e
		WHERE e.trigger_id = p_trigger_id
		  AND e.delivery_id = p_delivery_id;
		PERFORM hookpost.request_log('trigger', p_ref, p_key_id,
		    p_remote, p_ua, p_status, 'duplicate', NULL, p_ms, p_sha,
		    p_size, NULL, NULL);
		outcome := 'duplicate';
		event_id := eid;
		received_at := to_json(rat) #>> '{}';
		RETURN;
	END IF;
	-- Issue 3: every trigger event is also an outbound event whose type
	-- is the ref, in this same transaction (the outbox, emit.sql).
	PERFORM hookpost.emit(p_ref, 'trigger_event', eid::text, NULL, NULL,
	    p_payload);
	PERFORM hookpost.request_log('trigger', p_ref, p_key_id, p_remote,
	    p_ua, p_status, 'accepted', NULL, p_ms, p_sha, p_size, NULL, NULL);
	outcome := 'accepted';
	event_id := eid;
	received_at := to_json(rat) #>> '{}';
END $$;
