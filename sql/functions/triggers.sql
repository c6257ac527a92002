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
	        'algorithm', t.hmac_algorithm, 'scheme', t.hmac_scheme,
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
 * Whether a trigger audit row counts toward its key's rate limit: it does
 * when its request got past the limiter, that is unless it was refused
 * before it (handlers/triggers/receive.c checks 1-3: 403 webhook_disabled
 * or ip_not_allowed, 413 payload_too_large) or by it (429).  The one
 * place that knows which statuses those are.  Inlined where called.
 */
CREATE OR REPLACE FUNCTION hookpost.trigger_rate_counted(p_status integer)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT p_status NOT IN (403, 413, 429)
$$;

-- The clock minute the per-IP and global counts are kept by (Unix time
-- / 60, rounded down).  Inlined where called.
CREATE OR REPLACE FUNCTION hookpost.trigger_rate_minute()
RETURNS bigint LANGUAGE sql STABLE AS $$
	SELECT floor(extract(epoch FROM now()) / 60)::bigint
$$;

/*
 * The rate limits a trigger request is over (seed 002 "Rate Limiting"),
 * as the error code it is refused with and the seconds until it may be
 * sent again; no row when it is under all of them.  Of several, the one
 * with the longest wait, so that Retry-After is when every limit it hit
 * allows it again.
 *
 * rate_limited: the key's own limit (p_key_on; p_requests per p_window
 * seconds), a sliding log read from the audit rows the receiver writes
 * anyway: the key's requests that got past the limiter
 * (trigger_rate_counted) inside the window, counted through
 * webhook_requests_trigger_key and stopping at the limit, so the cost is
 * bounded by the limit and no row is shared by a key's requests.  The
 * wait: until the oldest of its last p_requests leaves the window.
 *
 * ip_rate_limited, global_rate_limited: p_ip_limit requests a minute from
 * the client address p_ip, p_global_limit from everyone (0: off), read
 * from trigger_rate_counts (sql/017), fixed clock minutes; the wait: until
 * the minute ends.
 *
 * The price of not locking: requests in flight at the same moment do not
 * see each other, so under concurrency a limit may be passed by as many
 * requests as run at once (at most the handler processes), which for
 * limits meant to stop floods is the right trade.  Inlined where called.
 */
CREATE OR REPLACE FUNCTION hookpost.trigger_rate_limited(p_key_id uuid,
	p_key_on boolean, p_requests integer, p_window integer, p_ip text,
	p_ip_limit integer, p_global_limit integer)
RETURNS TABLE (code text, retry_after integer) LANGUAGE sql STABLE AS $$
	SELECT l.code, l.retry_after
	FROM (SELECT 'rate_limited'::text AS code,
		greatest(1, ceil(extract(epoch FROM nth.received_at +
		    make_interval(secs => p_window) - now())))::integer
		    AS retry_after
	    FROM (SELECT w.received_at FROM hookpost.webhook_requests w
		WHERE p_key_on AND w.kind = 'trigger' AND w.source_id = p_key_id
		  AND w.received_at > now() - make_interval(secs => p_window)
		  AND hookpost.trigger_rate_counted(w.http_status)
		ORDER BY w.received_at DESC
		OFFSET p_requests - 1 LIMIT 1) nth
	    UNION ALL
	    SELECT c.scope || '_rate_limited',
		(60 - floor(extract(epoch FROM now()))::bigint % 60)::integer
	    FROM hookpost.trigger_rate_counts c
	    WHERE c.minute = hookpost.trigger_rate_minute()
	      AND ((c.scope = 'ip' AND c.subject = p_ip AND p_ip_limit > 0) OR
		  (c.scope = 'global' AND c.subject = '' AND p_global_limit > 0))
	    GROUP BY c.scope
	    HAVING sum(c.n) >= CASE c.scope WHEN 'ip' THEN p_ip_limit
		ELSE p_global_limit END) l
	ORDER BY l.retry_after DESC
	LIMIT 1
$$;

/*
 * Counts a request that got past the limiter toward the per-IP (p_ip_on,
 * the address p_ip) and global (p_global_on) limits, in this backend's
 * own rows of the current minute (sql/017 says why).  A row begun is this
 * process's first request of the minute for it: then the rows of past
 * minutes go, deleted by one backend at a time (the others skip, never
 * wait), so the table holds about a minute of counts.
 */
CREATE OR REPLACE FUNCTION hookpost.trigger_rate_count(p_ip text,
	p_ip_on boolean, p_global_on boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	m	bigint := hookpost.trigger_rate_minute();
	begun	boolean;
BEGIN
	WITH up AS (
		INSERT INTO hookpost.trigger_rate_counts AS c (minute, scope,
		    subject, backend, n)
		SELECT m, v.scope, v.subject, pg_backend_pid(), 1
		FROM (VALUES ('ip', coalesce(p_ip, ''), p_ip_on),
		    ('global', '', p_global_on)) v (scope, subject, wanted)
		WHERE v.wanted
		ON CONFLICT (minute, scope, subject, backend)
		DO UPDATE SET n = c.n + 1
		RETURNING c.n)
	SELECT bool_or(up.n = 1) INTO begun FROM up;
	IF begun AND pg_try_advisory_xact_lock(1752133483, 17) THEN
		DELETE FROM hookpost.trigger_rate_counts c WHERE c.minute < m;
	END IF;
END $$;

/*
 * The receiver's one write (issue 3: "one round of database work"), after
 * its one read.  The handler has decided checks 1-3 (key, enabled, size,
 * IP allow list) itself, answering refusals of those with a single
 * request_log; it computes checks 5-6 (HMAC, JSON, payload_schema) and
 * passes their refusal, if any, as its status and code; this applies
 * them in the issue's order:
 *   4. the rate limits (trigger_rate_limited): the key's (p_rate_*), the
 *      client address's (p_ip_limit a minute, 0 off) and everyone's
 *      (p_global_limit); a request past them is counted
 *      (trigger_rate_count),
 *   5-6. the handler's refusal, if any,
 *   then a handshake (GitHub's ping, Slack's url_verification), or
 *   dedupe by delivery id or by timestamped signature (p_signature, the
 *   hex MAC of a timestamped scheme: its replay guard), the event, its
 *   outbound emit, the audit row and the counters, all in this one
 *   statement and one commit.
 *
 * Returns facts, never HTTP: one record of OUT parameters (a set would
 * cost a tuplestore and one more query per request): outcome, code,
 * retry_after, event_id, received_at; outcome one of rate_limited (code:
 * which limit, as trigger_rate_limited names it; retry_after: seconds
 * until it may be sent again), refused, handshake, duplicate (the first
 * event's id and time: the same delivery id, or a replayed signature) or
 * accepted (the event's).  received_at is in JSON's form.  p_status: what
 * the handler answers a request that passes (the audit row's status; a
 * rate-limited one is 429, which the limiter does not count).
 */
CREATE OR REPLACE FUNCTION hookpost.trigger_receive(
	p_trigger_id bigint, p_ref text, p_key_id uuid,
	p_rate_enabled boolean, p_rate_requests integer, p_rate_window integer,
	p_ip_limit integer, p_global_limit integer,
	p_refusal_status integer, p_refusal_code text, p_handshake boolean,
	p_payload jsonb, p_metadata jsonb, p_delivery_id text,
	p_signature text, p_remote text, p_ua text, p_ms real, p_sha text,
	p_size bigint, p_status integer,
	OUT outcome text, OUT code text, OUT retry_after integer,
	OUT event_id uuid, OUT received_at text)
LANGUAGE plpgsql AS $$
DECLARE
	limit_code	text;
	wait		integer;
	eid		uuid;
	rat		timestamptz;
	sig		bytea := decode(p_signature, 'hex');
BEGIN
	IF p_rate_enabled OR p_ip_limit > 0 OR p_global_limit > 0 THEN
		SELECT l.code, l.retry_after INTO limit_code, wait
		FROM hookpost.trigger_rate_limited(p_key_id, p_rate_enabled,
		    p_rate_requests, p_rate_window, p_remote, p_ip_limit,
		    p_global_limit) l;
		IF FOUND THEN
			PERFORM hookpost.request_log('trigger', p_ref, p_key_id,
			    p_remote, p_ua, 429, 'rejected', limit_code, p_ms,
			    p_sha, p_size, NULL, NULL);
			outcome := 'rate_limited';
			code := limit_code;
			retry_after := wait;
			RETURN;
		END IF;
		IF p_ip_limit > 0 OR p_global_limit > 0 THEN
			PERFORM hookpost.trigger_rate_count(p_remote,
			    p_ip_limit > 0, p_global_limit > 0);
		END IF;
	END IF;
	IF p_refusal_status IS NOT NULL THEN
		PERFORM hookpost.request_log('trigger', p_ref, p_key_id,
		    p_remote, p_ua, p_refusal_status, 'rejected', p_refusal_code,
		    p_ms, p_sha, p_size, NULL, NULL);
		outcome := 'refused';
		code := p_refusal_code;
		RETURN;
	END IF;
	IF p_handshake THEN
		PERFORM hookpost.request_log('trigger', p_ref, p_key_id,
		    p_remote, p_ua, p_status, 'handshake', NULL, p_ms, p_sha,
		    p_size, NULL, NULL);
		outcome := 'handshake';
		RETURN;
	END IF;

	-- Any unique key taken means seen before: the delivery id
	-- (trigger_events_delivery) or the signature (trigger_events_signature).
	INSERT INTO hookpost.trigger_events AS e (trigger_id, trigger_ref,
	    key_id, payload, metadata, delivery_id, signature)
	VALUES (p_trigger_id, p_ref, p_key_id, p_payload,
	    p_metadata || jsonb_build_object('received_at', now()),
	    p_delivery_id, sig)
	ON CONFLICT DO NOTHING
	RETURNING e.id, e.received_at INTO eid, rat;
	IF NOT FOUND THEN
		-- Seen before: no second event; the first one's id.
		SELECT e.id, e.received_at INTO eid, rat
		FROM hookpost.trigger_events e
		WHERE e.trigger_id = p_trigger_id
		  AND (e.delivery_id = p_delivery_id OR e.signature = sig)
		ORDER BY e.received_at
		LIMIT 1;
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
