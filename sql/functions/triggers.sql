-- Webhook-enabled triggers (seed 002, issue 3): the admin API's views of
-- a trigger, its keys, and the trigger receiver's one write.

-- A trigger as the admin API shows it.  webhook_key_enc and each key's
-- key_enc are opened by the handler (crypt_secret_open) and replaced by
-- the key and its URL; the HMAC secret never leaves.
CREATE OR REPLACE FUNCTION hookpost.trigger_json(t hookpost.triggers)
RETURNS json LANGUAGE sql STABLE AS $$
	SELECT json_build_object('id', t.id, 'ref', t.ref,
	    'owner_id', t.owner_id, 'description', t.description,
	    'payload_schema', t.payload_schema,
	    'payload_mapping', t.payload_mapping, 'preset', t.preset,
	    'webhook_enabled', t.webhook_enabled,
	    'webhook_key_enc', (SELECT k.key_enc FROM hookpost.trigger_keys k
	        WHERE k.trigger_id = t.id AND k.revoked_at IS NULL
	        ORDER BY k.created_at DESC, k.id LIMIT 1),
	    'hmac', json_build_object('enabled', t.hmac_enabled,
	        'algorithm', t.hmac_algorithm, 'scheme', t.hmac_scheme,
	        'dedupe', t.hmac_dedupe,
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
		    (SELECT w.received_at FROM hookpost.requests w
		     WHERE w.kind = 'trigger' AND w.source = t.ref
		       AND w.source_id = k.id
		     ORDER BY w.received_at DESC LIMIT 1) AS last_used_at
		FROM hookpost.trigger_keys k
		JOIN hookpost.triggers t ON t.id = k.trigger_id
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

-- A trigger's settings changed as p_set says (the admin API's canonical
-- trigger body, checked by the handler: handlers/triggers/security.c):
-- description, payload_schema, payload_mapping, preset, owner_id, the
-- groups hmac, rate_limit, ip_allowlist, payload_limit_kb, and
-- webhook_enabled.  A member absent is left as it is; null clears the
-- schema, the mapping, the preset, the owner.  Giving a group's settings
-- turns it on unless its "enabled" says otherwise.  p_secret_enc: a given
-- HMAC secret, sealed; p_generated_enc: one the handler generated, used
-- only when HMAC ends on without a secret (generated: shown once);
-- p_key_hash, p_key_enc: a key for webhook_enabled true, used only if
-- the trigger has none.  The row is written only if something differs.
-- Returns the trigger as the admin API shows it (NULL: no such trigger),
-- and whether anything changed.
CREATE OR REPLACE FUNCTION hookpost.trigger_configure(p_id bigint,
	p_set json, p_secret_enc text, p_generated_enc text,
	p_key_hash text, p_key_enc text,
	OUT trigger json, OUT changed boolean, OUT generated boolean)
LANGUAGE plpgsql AS $$
DECLARE
	o	hookpost.triggers;
	n	hookpost.triggers;
	s	json;
	on_	boolean;
BEGIN
	SELECT * INTO o FROM hookpost.triggers WHERE id = p_id FOR UPDATE;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	n := o;
	generated := false;
	n.description := coalesce(p_set->>'description', n.description);
	IF p_set->'payload_schema' IS NOT NULL THEN
		n.payload_schema := CASE json_typeof(p_set->'payload_schema')
		    WHEN 'null' THEN NULL ELSE p_set->'payload_schema' END;
	END IF;
	IF p_set->'payload_mapping' IS NOT NULL THEN
		n.payload_mapping := CASE json_typeof(p_set->'payload_mapping')
		    WHEN 'null' THEN NULL ELSE p_set->'payload_mapping' END;
	END IF;
	IF p_set->'preset' IS NOT NULL THEN
		-- A preset names a signature scheme: verification is on from
		-- the start, and refuses everything until a secret is set.
		n.preset := p_set->>'preset';
		n.hmac_enabled := n.hmac_enabled OR n.preset IS NOT NULL;
	END IF;
	IF p_set->'owner_id' IS NOT NULL THEN
		n.owner_id := p_set->>'owner_id';
	END IF;
	s := p_set->'hmac';
	IF s IS NOT NULL THEN
		n.hmac_enabled := coalesce((s->>'enabled')::boolean, true);
		n.hmac_algorithm := coalesce(s->>'algorithm', n.hmac_algorithm);
		n.hmac_scheme := coalesce(s->>'scheme', n.hmac_scheme);
		n.hmac_dedupe := coalesce(s->>'dedupe', n.hmac_dedupe);
	END IF;
	IF p_secret_enc IS NOT NULL THEN
		n.hmac_secret_enc := p_secret_enc;
	ELSIF s IS NOT NULL AND n.hmac_enabled AND n.hmac_secret_enc IS NULL
	    AND p_generated_enc IS NOT NULL THEN
		n.hmac_secret_enc := p_generated_enc;
		generated := true;
	END IF;
	s := p_set->'rate_limit';
	IF s IS NOT NULL THEN
		n.rate_limit_enabled := coalesce((s->>'enabled')::boolean, true);
		n.rate_limit_requests := coalesce((s->>'requests')::integer,
		    n.rate_limit_requests);
		n.rate_limit_window_seconds := coalesce(
		    (s->>'window_seconds')::integer, n.rate_limit_window_seconds);
	END IF;
	s := p_set->'ip_allowlist';
	IF s IS NOT NULL THEN
		-- Enabled with no CIDRs admits no one (fail closed).
		n.ip_allowlist_enabled := coalesce((s->>'enabled')::boolean, true);
		IF s->'cidrs' IS NOT NULL THEN
			n.ip_allowlist := ARRAY(SELECT json_array_elements_text(
			    s->'cidrs'));
		END IF;
	END IF;
	n.payload_limit_kb := coalesce((p_set->>'payload_limit_kb')::integer,
	    n.payload_limit_kb);
	-- json has no equality: compare the rows' texts (a schema's key
	-- order is kept as written, so a reordered schema is a change).
	changed := row_to_json(n)::text IS DISTINCT FROM row_to_json(o)::text;
	IF changed THEN
		UPDATE hookpost.triggers SET description = n.description,
		    payload_schema = n.payload_schema,
		    payload_mapping = n.payload_mapping, preset = n.preset,
		    owner_id = n.owner_id, hmac_enabled = n.hmac_enabled,
		    hmac_algorithm = n.hmac_algorithm,
		    hmac_scheme = n.hmac_scheme,
		    hmac_dedupe = n.hmac_dedupe,
		    hmac_secret_enc = n.hmac_secret_enc,
		    rate_limit_enabled = n.rate_limit_enabled,
		    rate_limit_requests = n.rate_limit_requests,
		    rate_limit_window_seconds = n.rate_limit_window_seconds,
		    ip_allowlist_enabled = n.ip_allowlist_enabled,
		    ip_allowlist = n.ip_allowlist,
		    payload_limit_kb = n.payload_limit_kb, updated_at = now()
		WHERE id = p_id;
	END IF;
	on_ := (p_set->>'webhook_enabled')::boolean;
	IF on_ THEN
		changed := hookpost.trigger_webhook_enable(p_id, p_key_hash,
		    p_key_enc) OR changed;
	ELSIF NOT on_ THEN
		changed := hookpost.trigger_webhook_disable(p_id) > 0 OR
		    o.webhook_enabled OR changed;
	END IF;
	SELECT hookpost.trigger_json(t) INTO trigger
	FROM hookpost.triggers t WHERE t.id = p_id;
END $$;

-- A new trigger of p_owner (NULL: none, admins only), its ref
-- registered as an outbound event type (seed 000 catalog,
-- sql/003_outbound.sql) so that subscriptions may name it, and the rest
-- of p_set applied by trigger_configure (the same arguments).  A taken
-- ref is a unique violation (23505).
CREATE OR REPLACE FUNCTION hookpost.trigger_create(p_ref text, p_owner text,
	p_set json, p_secret_enc text, p_generated_enc text,
	p_key_hash text, p_key_enc text,
	OUT trigger json, OUT generated boolean)
LANGUAGE plpgsql AS $$
DECLARE
	tid	bigint;
	descr	text := coalesce(p_set->>'description', '');
BEGIN
	INSERT INTO hookpost.triggers (ref, owner_id, description)
	VALUES (p_ref, p_owner, descr)
	RETURNING id INTO tid;
	INSERT INTO hookpost.event_types (name, description)
	VALUES (p_ref, left('Trigger event: ' || coalesce(nullif(descr, ''),
	    p_ref), 1024))
	ON CONFLICT (name) DO NOTHING;
	SELECT c.trigger, c.generated INTO trigger, generated
	FROM hookpost.trigger_configure(tid, p_set, p_secret_enc,
	    p_generated_enc, p_key_hash, p_key_enc) c;
END $$;

-- One trigger of a pack (hookpost pack import, handlers/triggers/pack.c):
-- created for p_owner when its ref is new, else changed by p_set.  A
-- caller scoped to an owner (p_scope) may change only its own triggers.
-- action: created, updated, unchanged, or conflict (the ref is taken by
-- a trigger the caller may not change).
CREATE OR REPLACE FUNCTION hookpost.trigger_pack_apply(p_scope text,
	p_owner text, p_ref text, p_set json,
	OUT action text, OUT id bigint)
LANGUAGE plpgsql AS $$
DECLARE
	o	hookpost.triggers;
	ch	boolean;
BEGIN
	SELECT * INTO o FROM hookpost.triggers t WHERE t.ref = p_ref
	FOR UPDATE;
	IF NOT FOUND THEN
		SELECT (c.trigger->>'id')::bigint INTO id
		FROM hookpost.trigger_create(p_ref, p_owner, p_set, NULL, NULL,
		    NULL, NULL) c;
		action := 'created';
		RETURN;
	END IF;
	IF p_scope IS NOT NULL AND o.owner_id IS DISTINCT FROM p_scope THEN
		action := 'conflict';
		RETURN;
	END IF;
	SELECT c.changed INTO ch FROM hookpost.trigger_configure(o.id, p_set,
	    NULL, NULL, NULL, NULL) c;
	action := CASE WHEN ch THEN 'updated' ELSE 'unchanged' END;
	id := o.id;
END $$;

-- Enables webhooks; a trigger without an active key (the first enable,
-- and every enable after a disable) gets a new one labelled "default"
-- (p_hash, p_enc: a key the handler generated, used only if needed).
-- Returns whether anything changed, NULL for no such trigger.
CREATE OR REPLACE FUNCTION hookpost.trigger_webhook_enable(p_trigger_id bigint,
	p_hash text, p_enc text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	was	boolean;
BEGIN
	-- The trigger row locked: two enables cannot both add a key.
	SELECT webhook_enabled INTO was FROM hookpost.triggers
	WHERE id = p_trigger_id FOR UPDATE;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	IF NOT was THEN
		-- seed 002 "Get Webhook Info" created_at: this key's webhook.
		UPDATE hookpost.triggers SET webhook_enabled = true,
		    webhook_enabled_at = now(), updated_at = now()
		WHERE id = p_trigger_id;
	END IF;
	IF EXISTS (SELECT 1 FROM hookpost.trigger_keys
	    WHERE trigger_id = p_trigger_id AND revoked_at IS NULL) THEN
		RETURN NOT was;
	END IF;
	INSERT INTO hookpost.trigger_keys (trigger_id, label, key_hash, key_enc)
	VALUES (p_trigger_id, 'default', p_hash, p_enc);
	RETURN true;
END $$;

-- seed 002 "Disable webhooks -> verify key removed": webhooks off and
-- every active key revoked at once (the rows stay for the audit trail),
-- so an old key's URL is an unknown key and enabling again makes a new
-- one.  Returns how many keys were revoked.
CREATE OR REPLACE FUNCTION hookpost.trigger_webhook_disable(
	p_trigger_id bigint)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	n	integer;
BEGIN
	PERFORM 1 FROM hookpost.triggers WHERE id = p_trigger_id FOR UPDATE;
	UPDATE hookpost.triggers SET webhook_enabled = false, updated_at = now()
	WHERE id = p_trigger_id AND webhook_enabled;
	UPDATE hookpost.trigger_keys SET revoked_at = now()
	WHERE trigger_id = p_trigger_id AND revoked_at IS NULL;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END $$;

-- seed 002 "Regenerate Webhook Key": every active key is revoked at once
-- and one new key replaces them.  Returns how many were revoked, or NULL
-- when webhooks are disabled (a disabled trigger has no key).
CREATE OR REPLACE FUNCTION hookpost.trigger_webhook_regenerate(
	p_trigger_id bigint, p_label text, p_hash text, p_enc text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	n	integer;
BEGIN
	PERFORM 1 FROM hookpost.triggers WHERE id = p_trigger_id
	    AND webhook_enabled FOR UPDATE;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
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
-- Returns the key as the admin API shows it (key_enc still sealed), or
-- NULL when webhooks are disabled (a disabled trigger has no key).
CREATE OR REPLACE FUNCTION hookpost.trigger_key_add(p_trigger_id bigint,
	p_label text, p_hash text, p_enc text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	k	hookpost.trigger_keys;
BEGIN
	PERFORM 1 FROM hookpost.triggers WHERE id = p_trigger_id
	    AND webhook_enabled FOR UPDATE;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
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
 * sent again; no row when it is under them.  Two functions, so that a
 * limit that is off costs nothing: trigger_receive runs each only when
 * its limit is on (a generic plan of the two together opened every
 * relation and index of hookpost.requests on every call, key limit on or
 * off).  Of
 * several limits hit, trigger_receive answers the longest wait, so that
 * Retry-After is when every limit it hit allows it again.
 *
 * trigger_key_limited: the key's own limit (p_requests per p_window
 * seconds), a sliding log read from the audit rows the receiver writes
 * anyway: the key's requests that got past the limiter
 * (trigger_rate_counted) inside the window (hookpost.requests: the
 * accepted ones are their events, sql/025), counted through
 * webhook_requests_trigger_key and trigger_events_ref, newest first, and
 * stopping at the limit, so the cost is bounded by the limit and no row
 * is shared by a key's requests.  The wait: until the oldest of its last
 * p_requests leaves the window.
 *
 * trigger_flood (below): ip_rate_limited, global_rate_limited, the
 * per-IP and global limits of sql/017, by fixed clock minutes; the wait:
 * until the minute ends.
 *
 * The price of not locking: requests in flight at the same moment do not
 * see each other, so under concurrency a limit may be passed by as many
 * requests as run at once (at most the handler processes), which for
 * limits meant to stop floods is the right trade.  trigger_key_limited
 * is inlined where called.
 */
CREATE OR REPLACE FUNCTION hookpost.trigger_key_limited(p_ref text,
	p_key_id uuid, p_requests integer, p_window integer)
RETURNS TABLE (code text, retry_after integer) LANGUAGE sql STABLE AS $$
	SELECT 'rate_limited'::text,
	    greatest(1, ceil(extract(epoch FROM nth.received_at +
		make_interval(secs => p_window) - now())))::integer
	FROM (SELECT w.received_at FROM hookpost.requests w
	    WHERE w.kind = 'trigger' AND w.source = p_ref
	      AND w.source_id = p_key_id
	      AND w.received_at > now() - make_interval(secs => p_window)
	      AND hookpost.trigger_rate_counted(w.http_status)
	    ORDER BY w.received_at DESC
	    OFFSET p_requests - 1 LIMIT 1) nth
$$;


/*
 * The per-IP and global limits of a request from p_ip (p_ip_limit and
 * p_global_limit requests a minute; 0: off): the limit it is over
 * (ip_rate_limited, global_rate_limited; none: NULL) and, when it is
 * under both and p_count (the key's own limit passed it too), the
 * request counted.
 *
 * Counts are kept in each backend's own rows of the minute (sql/017 says
 * why), and a backend far enough below both limits keeps up to
 * FLOOD_BATCH - 1 (8 - 1) of its counts in its session and writes them
 * with the next (settings hookpost.flood_key: the minute and address
 * held for; flood_held: how many; flood_room: how many more may be, from
 * the counts as last read; trigger_receive holds a request when there
 * is room, with two small expressions, and calls this otherwise): a count and the sums behind it were about a third of
 * a trigger request's database work, and under a flood, when they are
 * busiest, they are written once in FLOOD_BATCH requests.  "Far enough":
 * the counts last read plus FLOOD_BATCH for each backend that counts
 * them (only a backend with a row of the minute may hold counts) and one
 * more are under the limit; closer to a limit every request is counted
 * and checked at once, as with limits of a few requests a minute.  The
 * price, as for requests in flight at the same moment: a backend whose
 * last read is stale by other backends' counts may let up to
 * FLOOD_BATCH - 1 requests through past a limit before it reads again.
 * Counts held in a session end with it (they are worth a minute,
 * sql/017), and go back with a transaction that does (set_config).
 */
CREATE OR REPLACE FUNCTION hookpost.trigger_flood(p_ip text,
	p_ip_limit integer, p_global_limit integer, p_count boolean)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	code	text;
	m	bigint := hookpost.trigger_rate_minute();
	ip	text := coalesce(p_ip, '');
	key	text := current_setting('hookpost.flood_key', true);
	held	integer := coalesce(current_setting('hookpost.flood_held',
	    true), '0')::integer;
	ip_n	bigint;
	all_n	bigint;
	ip_k	bigint;
	all_k	bigint;
	begun	boolean;
BEGIN
	IF key IS DISTINCT FROM m || ' ' || ip THEN
		-- Counts held for another address of this minute: written
		-- first; of a past minute: worth nothing now.
		IF held > 0 AND split_part(key, ' ', 1) = m::text THEN
			INSERT INTO hookpost.trigger_rate_counts AS c (minute,
			    scope, subject, backend, n)
			SELECT m, v.scope, v.subject, pg_backend_pid(), held
			FROM (VALUES ('ip', substr(key, length(m::text) + 2),
			    p_ip_limit > 0), ('global', '', p_global_limit > 0))
			    v (scope, subject, wanted)
			WHERE v.wanted
			ON CONFLICT (minute, scope, subject, backend)
			DO UPDATE SET n = c.n + excluded.n;
		END IF;
		held := 0;
	END IF;
	-- The counts held and this request's, if it is under both limits,
	-- written; the sums as they are now (this request's included).
	WITH s AS (
		SELECT coalesce(sum(c.n) FILTER (WHERE c.scope = 'ip'), 0)
		    + held AS ip_n,
		    coalesce(sum(c.n) FILTER (WHERE c.scope = 'global'), 0)
		    + held AS all_n,
		    count(*) FILTER (WHERE c.scope = 'ip') AS ip_k,
		    count(*) FILTER (WHERE c.scope = 'global') AS all_k
		FROM hookpost.trigger_rate_counts c
		WHERE c.minute = m
		  AND ((c.scope = 'ip' AND c.subject = ip) OR
		      (c.scope = 'global' AND c.subject = ''))
	), up AS (
		INSERT INTO hookpost.trigger_rate_counts AS c (minute, scope,
		    subject, backend, n)
		SELECT m, v.scope, v.subject, pg_backend_pid(),
		    held + x.mine
		FROM s, (VALUES ('ip', ip, p_ip_limit > 0),
		    ('global', '', p_global_limit > 0)) v (scope, subject, wanted),
		    LATERAL (SELECT CASE WHEN p_count AND
			(p_ip_limit = 0 OR s.ip_n < p_ip_limit) AND
			(p_global_limit = 0 OR s.all_n < p_global_limit)
			THEN 1 ELSE 0 END AS mine) x
		WHERE v.wanted AND held + x.mine > 0
		ON CONFLICT (minute, scope, subject, backend)
		DO UPDATE SET n = c.n + excluded.n
		RETURNING c.xmax = 0 AS first
	)
	SELECT s.ip_n, s.all_n, s.ip_k, s.all_k,
	    coalesce((SELECT bool_or(up.first) FROM up), false)
	INTO ip_n, all_n, ip_k, all_k, begun
	FROM s;
	IF p_ip_limit > 0 AND ip_n >= p_ip_limit THEN
		code := 'ip_rate_limited';
	ELSIF p_global_limit > 0 AND all_n >= p_global_limit THEN
		code := 'global_rate_limited';
	END IF;
	IF code IS NULL AND p_count THEN
		ip_n := ip_n + 1;
		all_n := all_n + 1;
	END IF;
	-- Room: how many of the next requests may be held, FLOOD_BATCH - 1
	-- at most, and none that could pass a limit with FLOOD_BATCH held by
	-- each backend that counts (only one with a row of the minute may
	-- hold counts) and one more.
	PERFORM set_config('hookpost.flood_key', m || ' ' || ip, false),
	    set_config('hookpost.flood_held', '0', false),
	    set_config('hookpost.flood_room', greatest(0, least(7,
		CASE WHEN p_ip_limit > 0
		    THEN p_ip_limit - ip_n - 8 * (ip_k + 1) ELSE 7 END,
		CASE WHEN p_global_limit > 0
		    THEN p_global_limit - all_n - 8 * (all_k + 1) ELSE 7 END))::text,
		false);
	-- This backend's first count of the minute: the rows of past
	-- minutes go, deleted by one backend at a time (the others skip,
	-- never wait).
	IF begun AND pg_try_advisory_xact_lock(1752133483, 17) THEN
		DELETE FROM hookpost.trigger_rate_counts c WHERE c.minute < m;
	END IF;
	RETURN code;
END $$;

/*
 * The version of a key as the receiver read it (handlers/triggers/cache.c):
 * the transaction ids that last wrote the trigger's row and the key's, so
 * any change to either (settings, secret, webhooks off, key revoked) makes
 * another version.  Inlined where called.
 */
CREATE OR REPLACE FUNCTION hookpost.trigger_version(p_trigger xid,
	p_key xid)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT p_trigger::text || '/' || p_key::text
$$;

/*
 * The key p_key_id if p_version is still its version and it is not
 * revoked; no row otherwise.  Used as EXISTS (SELECT 1 FROM ...), inlined.
 */
CREATE OR REPLACE FUNCTION hookpost.trigger_current(p_key_id uuid,
	p_version text)
RETURNS TABLE (id uuid) LANGUAGE sql STABLE AS $$
	SELECT k.id FROM hookpost.trigger_keys k
	JOIN hookpost.triggers t ON t.id = k.trigger_id
	WHERE k.id = p_key_id AND k.revoked_at IS NULL
	  AND hookpost.trigger_version(t.xmin, k.xmin) = p_version
$$;

/*
 * The receiver's one write (issue 3: "one round of database work"), after
 * its one read, which a cached copy of the key saves (p_version: the
 * version the handler read; stale when it is no longer the key's, and
 * nothing is written).  The handler has decided checks 1-3 (key, enabled, size,
 * IP allow list) itself, answering refusals of those with a single
 * request_log; it computes checks 5-6 (HMAC, JSON, payload_schema) and
 * passes their refusal, if any, as its status and code; this applies
 * them in the issue's order:
 *   4. the rate limits (trigger_key_limited, trigger_flood):
 *      the key's (p_rate_*), the
 *      client address's (p_ip_limit a minute, 0 off) and everyone's
 *      (p_global_limit); a request past them is counted
 *      (trigger_flood),
 *   5-6. the handler's refusal, if any,
 *   then a handshake (GitHub's ping, Slack's url_verification), or
 *   dedupe by delivery id or by timestamped signature (p_signature, the
 *   hex MAC of a timestamped scheme: its replay guard; for the stripe
 *   and slack presets unless their hmac_dedupe is 'id'), the event,
 *   which is also the request's audit row (sql/025), and its outbound
 *   emit, all in this one statement and one commit.  Every other
 *   outcome writes one audit row (request_log).
 *
 * Returns facts, never HTTP: one record of OUT parameters (a set would
 * cost a tuplestore and one more query per request): outcome, code,
 * retry_after, event_id, received_at; outcome one of stale (nothing
 * written; the handler reads the key again), rate_limited (code:
 * which limit, as trigger_key_limited or trigger_flood name it;
 * retry_after: seconds until it may be sent again), refused, handshake, duplicate (the first
 * event's id and time: the same delivery id, or a replayed signature) or
 * accepted (the event's).  received_at is in JSON's form.  p_status: what
 * the handler answers a request that passes (the audit row's status; a
 * rate-limited one is 429, which the limiter does not count).
 *
 * plan_cache_mode: each of its statements (and those of the functions it
 * calls) is planned once per connection, never per request.  Left to
 * choose, PostgreSQL plans the key limiter (trigger_key_limited, inlined)
 * anew on every call: a key limit that is off folds its sliding log away
 * in a custom plan only, and one that is on gets a generic estimate of
 * the window (a third of the table), so the custom plan always looks
 * cheaper: planning it took the statement from about 0.4 ms to 1.1 ms,
 * and PostgreSQL's CPU per trigger request from 0.9 ms to 1.4 ms.  The
 * generic plans read the same indexes.
 */
CREATE OR REPLACE FUNCTION hookpost.trigger_receive(
	p_trigger_id bigint, p_ref text, p_key_id uuid,
	p_rate_enabled boolean, p_rate_requests integer, p_rate_window integer,
	p_ip_limit integer, p_global_limit integer,
	p_refusal_status integer, p_refusal_code text, p_handshake boolean,
	p_payload jsonb, p_metadata jsonb, p_delivery_id text,
	p_signature text, p_remote text, p_ua text, p_ms real, p_sha text,
	p_size bigint, p_status integer, p_version text,
	OUT outcome text, OUT code text, OUT retry_after integer,
	OUT event_id uuid, OUT received_at text)
LANGUAGE plpgsql SET plan_cache_mode = force_generic_plan AS $$
DECLARE
	limit_code	text;
	wait		integer;
	flood_code	text;
	flood_wait	integer;
	eid		uuid;
	rat		timestamptz;
	sig		bytea := decode(p_signature, 'hex');
	locked		boolean;
BEGIN
	IF p_version IS NOT NULL AND NOT EXISTS (SELECT 1
	    FROM hookpost.trigger_current(p_key_id, p_version)) THEN
		outcome := 'stale';
		RETURN;
	END IF;
	IF p_rate_enabled THEN
		SELECT l.code, l.retry_after INTO limit_code, wait
		FROM hookpost.trigger_key_limited(p_ref, p_key_id,
		    p_rate_requests, p_rate_window) l;
	END IF;
	-- The per-IP and global limits (trigger_flood): the request held in
	-- the session while there is room far below them, else counted and
	-- checked at once.
	IF p_ip_limit > 0 OR p_global_limit > 0 THEN
		IF limit_code IS NULL AND current_setting('hookpost.flood_key',
		    true) = hookpost.trigger_rate_minute() || ' ' ||
		    coalesce(p_remote, '') AND
		    current_setting('hookpost.flood_room', true)::integer > 0
		THEN
			PERFORM set_config('hookpost.flood_room',
			    (current_setting('hookpost.flood_room')::integer
			    - 1)::text, false),
			    set_config('hookpost.flood_held',
			    (current_setting('hookpost.flood_held')::integer
			    + 1)::text, false);
		ELSE
			flood_code := hookpost.trigger_flood(p_remote,
			    p_ip_limit, p_global_limit, limit_code IS NULL);
			-- Its wait: until the minute ends.
			flood_wait := 60 -
			    floor(extract(epoch FROM now()))::bigint % 60;
			IF flood_code IS NOT NULL AND (limit_code IS NULL OR
			    flood_wait > wait) THEN
				limit_code := flood_code;
				wait := flood_wait;
			END IF;
		END IF;
	END IF;
	IF limit_code IS NOT NULL THEN
		PERFORM hookpost.request_log('trigger', p_ref, p_key_id,
		    p_remote, p_ua, 429, 'rejected', limit_code, p_ms,
		    p_sha, p_size, NULL, NULL);
		outcome := 'rate_limited';
		code := limit_code;
		retry_after := wait;
		RETURN;
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
	-- The event is the request's audit row (sql/025): its id is taken
	-- under the audit lock.
	locked := hookpost.audit_lock();
	-- A time-ordered id (UUIDv7): the primary key's inserts append.
	INSERT INTO hookpost.trigger_events AS e (id, trigger_id, trigger_ref,
	    key_id, payload, metadata, delivery_id, signature, request_id,
	    remote_addr, user_agent, http_status, processing_ms, body_sha256,
	    body_size)
	VALUES (hookpost.uuid_time_ordered(), p_trigger_id, p_ref, p_key_id,
	    p_payload,
	    p_metadata || jsonb_build_object('received_at', now()),
	    p_delivery_id, sig,
	    nextval('hookpost.webhook_requests_id_seq'::regclass), p_remote,
	    left(p_ua, 256), p_status, p_ms, p_sha, p_size)
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
	-- is the ref, in this same transaction (the outbox, emit.sql), when
	-- some subscription may take it.
	-- (The probe first, here: emit would make the same test, after a
	-- function call, a type check and an id.)
	IF EXISTS (SELECT 1 FROM hookpost.event_subscribers(p_ref, NULL,
	    NULL)) THEN
		PERFORM hookpost.emit(p_ref, 'trigger_event', eid::text, NULL,
		    NULL, p_payload);
	END IF;
	outcome := 'accepted';
	event_id := eid;
	received_at := to_json(rat) #>> '{}';
END $$;
