-- hookpost schema, part 1: tokens, inbound sources, incidents, playbooks,
-- the receiver's audit log, replay guard, queue and metrics (seed 004).
-- Applied by `hookpost db migrate` in one transaction.

CREATE SCHEMA IF NOT EXISTS hookpost;

-- API tokens (DESIGN.md §3): "hp_" + random, stored only as SHA-256 hex.
CREATE TABLE hookpost.api_tokens (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name		text NOT NULL DEFAULT '',
	token_hash	text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
	role		text NOT NULL CHECK (role IN ('admin', 'user', 'service')),
	owner_id	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_used_at	timestamptz,
	revoked_at	timestamptz,
	CHECK (role <> 'user' OR owner_id IS NOT NULL)
);

-- Triage playbooks are data: an ordered array of steps (lib/triage.c).
CREATE TABLE hookpost.playbooks (
	name		text PRIMARY KEY
			CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
	description	text NOT NULL DEFAULT '',
	steps		jsonb NOT NULL CHECK (jsonb_typeof(steps) = 'array'),
	builtin		boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- Inbound sources (seed 004 "Registering Webhook Sources").
CREATE TABLE hookpost.sources (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name		text NOT NULL UNIQUE
			CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
	secret_enc	text NOT NULL,		-- crypt_secret_seal()
	auto_triage	boolean NOT NULL DEFAULT false,
	playbook	text REFERENCES hookpost.playbooks (name)
			ON UPDATE CASCADE ON DELETE RESTRICT,
	severity_mapping jsonb NOT NULL DEFAULT '{}'
			CHECK (jsonb_typeof(severity_mapping) = 'object'),
	format		text NOT NULL DEFAULT 'auto' CHECK (format IN
			('auto', 'generic', 'defender', 'crowdstrike', 'splunk')),
	mode		text NOT NULL DEFAULT 'sync'
			CHECK (mode IN ('sync', 'queue')),
	enabled		boolean NOT NULL DEFAULT true,
	secret_rotated_at timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE hookpost.incidents (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	number		text NOT NULL UNIQUE,	-- INC-YYYY-NNNN
	source_id	uuid REFERENCES hookpost.sources (id) ON DELETE SET NULL,
	source		text NOT NULL,
	format		text NOT NULL,
	title		text NOT NULL,
	severity	text NOT NULL CHECK (severity IN
			('critical', 'high', 'medium', 'low', 'info')),
	status		text NOT NULL DEFAULT 'new' CHECK (status IN
			('new', 'triaged', 'investigating', 'suppressed',
			 'resolved', 'closed')),
	queue		text,
	tags		text[] NOT NULL DEFAULT '{}',
	entities	jsonb NOT NULL DEFAULT '{}',
	indicators	jsonb NOT NULL DEFAULT '{}',
	dedupe_key	text,
	occurrences	integer NOT NULL DEFAULT 1,
	triage		jsonb,
	raw_payload	text NOT NULL,		-- verbatim, as received
	occurred_at	timestamptz NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	last_seen_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_page ON hookpost.incidents (created_at DESC, id DESC);
CREATE INDEX incidents_open_dedupe ON hookpost.incidents
	(source_id, dedupe_key, created_at DESC)
	WHERE dedupe_key IS NOT NULL AND status NOT IN
	('suppressed', 'resolved', 'closed');

-- Alerts merged into an existing incident keep their payloads here.
CREATE TABLE hookpost.incident_alerts (
	id		bigserial PRIMARY KEY,
	incident_id	uuid NOT NULL REFERENCES hookpost.incidents (id)
			ON DELETE CASCADE,
	raw_payload	text NOT NULL,
	received_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_alerts_incident ON hookpost.incident_alerts (incident_id);

-- Replay guard: a (source, signature) seen inside the window answers with
-- the first result.  Rows expire after the timestamp window (cleanup).
CREATE TABLE hookpost.replay_guard (
	source_id	uuid NOT NULL REFERENCES hookpost.sources (id)
			ON DELETE CASCADE,
	signature	text NOT NULL,
	http_status	integer,
	result		jsonb,
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (source_id, signature)
);

-- Queued mode: verified raw events waiting for bin/hookpost-ingest.
CREATE TABLE hookpost.inbound_queue (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	source_id	uuid NOT NULL REFERENCES hookpost.sources (id)
			ON DELETE CASCADE,
	raw_payload	text NOT NULL,
	received_at	timestamptz NOT NULL DEFAULT now(),
	attempts	integer NOT NULL DEFAULT 0,
	last_error	text,
	processed_at	timestamptz,
	incident_id	uuid
);
CREATE INDEX inbound_queue_pending ON hookpost.inbound_queue (received_at)
	WHERE processed_at IS NULL;

-- Audit: every request to a receiver, accepted or refused.
CREATE TABLE hookpost.webhook_requests (
	id		bigserial PRIMARY KEY,
	received_at	timestamptz NOT NULL DEFAULT now(),
	kind		text NOT NULL DEFAULT 'source',
	source		text,
	source_id	uuid,
	remote_addr	text,
	user_agent	text,
	http_status	integer NOT NULL,
	outcome		text NOT NULL,
	error_code	text,
	processing_ms	real,
	body_sha256	text,
	body_size	bigint,
	incident_id	uuid,
	queue_id	uuid
);
CREATE INDEX webhook_requests_time ON hookpost.webhook_requests
	(received_at DESC, id DESC);
CREATE INDEX webhook_requests_source ON hookpost.webhook_requests
	(source, received_at DESC);

-- Prometheus counters, sharded by backend so that concurrent handler
-- processes never queue on one hot row; /metrics sums the shards.
CREATE TABLE hookpost.metric_counters (
	metric		text NOT NULL,
	labels		text NOT NULL,	-- Prometheus label set, escaped
	shard		smallint NOT NULL,
	value		bigint NOT NULL DEFAULT 0,
	PRIMARY KEY (metric, labels, shard)
);

CREATE FUNCTION hookpost.prom_label(v text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT replace(replace(replace(coalesce(v, ''), '\', '\\'), '"', '\"'),
	    E'\n', '\n')
$$;

CREATE FUNCTION hookpost.metric_inc(p_metric text, p_labels text)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO hookpost.metric_counters (metric, labels, shard, value)
	VALUES (p_metric, p_labels, (pg_backend_pid() % 16)::smallint, 1)
	ON CONFLICT (metric, labels, shard)
	DO UPDATE SET value = hookpost.metric_counters.value + 1
$$;

-- One audit row and its counters.  Unregistered names are counted as
-- "unknown" so that a scanner cannot grow the label set without bound.
CREATE FUNCTION hookpost.request_log(
	p_kind text, p_source text, p_source_id uuid, p_remote text,
	p_ua text, p_status integer, p_outcome text, p_code text,
	p_ms real, p_sha text, p_size bigint, p_incident uuid, p_queue uuid)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	lbl text := CASE WHEN p_source_id IS NULL THEN 'unknown'
	    ELSE hookpost.prom_label(p_source) END;
BEGIN
	INSERT INTO hookpost.webhook_requests (kind, source, source_id,
	    remote_addr, user_agent, http_status, outcome, error_code,
	    processing_ms, body_sha256, body_size, incident_id, queue_id)
	VALUES (p_kind, left(p_source, 128), p_source_id, p_remote,
	    left(p_ua, 256), p_status, p_outcome, p_code, p_ms, p_sha, p_size,
	    p_incident, p_queue);
	PERFORM hookpost.metric_inc('webhook_received_total',
	    format('source="%s",status="%s"', lbl, p_outcome));
	IF p_code IS NOT NULL THEN
		PERFORM hookpost.metric_inc('webhook_errors_total',
		    format('source="%s",code="%s"', lbl, p_code));
	END IF;
END $$;

-- INC-YYYY-NNNN from a per-year sequence: unique, never a locked row.
CREATE FUNCTION hookpost.incident_number_next() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	y	integer := extract(year FROM now() AT TIME ZONE 'UTC');
	seq	text := 'hookpost.incident_seq_' || y;
BEGIN
	IF to_regclass(seq) IS NULL THEN
		BEGIN
			EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %s', seq);
		EXCEPTION WHEN duplicate_table OR unique_violation THEN
			NULL;	-- another backend created it first
		END;
	END IF;
	RETURN format('INC-%s-%s', y, lpad(nextval(seq)::text, 4, '0'));
END $$;

-- Creates an incident, or merges the alert into an open incident of the
-- same source with the same dedupe key created inside the merge window.
CREATE FUNCTION hookpost.incident_create(
	p_source_id uuid, p_source text, p_format text, p_title text,
	p_severity text, p_status text, p_queue text, p_tags text[],
	p_entities jsonb, p_indicators jsonb, p_dedupe_key text,
	p_merge_window integer, p_triage jsonb, p_raw text,
	p_occurred_at timestamptz,
	OUT id uuid, OUT number text, OUT merged boolean)
LANGUAGE plpgsql AS $$
BEGIN
	merged := false;
	IF p_merge_window > 0 AND p_dedupe_key IS NOT NULL THEN
		-- Serialize alerts of one key only, so two can't both create.
		PERFORM pg_advisory_xact_lock(hashtextextended(
		    p_source_id::text || '/' || p_dedupe_key, 0));
		SELECT i.id, i.number INTO id, number FROM hookpost.incidents i
		WHERE i.source_id = p_source_id AND i.dedupe_key = p_dedupe_key
		  AND i.status NOT IN ('suppressed', 'resolved', 'closed')
		  AND i.created_at > now() - make_interval(secs => p_merge_window)
		ORDER BY i.created_at DESC LIMIT 1 FOR UPDATE;
		IF FOUND THEN
			UPDATE hookpost.incidents i SET occurrences =
			    i.occurrences + 1, last_seen_at = now(),
			    updated_at = now(),
			    tags = ARRAY(SELECT DISTINCT unnest(i.tags || p_tags)),
			    triage = coalesce(i.triage, '{}'::jsonb) ||
			        jsonb_build_object('merged_alerts',
			        coalesce((i.triage->>'merged_alerts')::int, 0) + 1)
			WHERE i.id = incident_create.id;
			INSERT INTO hookpost.incident_alerts (incident_id, raw_payload)
			VALUES (incident_create.id, p_raw);
			merged := true;
			RETURN;
		END IF;
	END IF;
	number := hookpost.incident_number_next();
	INSERT INTO hookpost.incidents AS i (number, source_id, source, format,
	    title, severity, status, queue, tags, entities, indicators,
	    dedupe_key, triage, raw_payload, occurred_at)
	VALUES (number, p_source_id, p_source, p_format, p_title, p_severity,
	    p_status, p_queue, coalesce(p_tags, '{}'), p_entities,
	    p_indicators, p_dedupe_key, p_triage, p_raw, p_occurred_at)
	RETURNING i.id INTO id;
END $$;

-- The receiver's one write: replay guard, incident, audit, counters, in
-- one statement and one commit.  Returns {"http_status":..,"body":{..}}.
CREATE FUNCTION hookpost.alert_accept(
	p_source_id uuid, p_source text, p_signature text, p_remote text,
	p_ua text, p_ms real, p_sha text, p_size bigint,
	p_format text, p_title text, p_severity text, p_status text,
	p_queue text, p_tags text[], p_entities jsonb, p_indicators jsonb,
	p_dedupe_key text, p_merge_window integer, p_triage jsonb, p_raw text,
	p_occurred_at timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	g	hookpost.replay_guard;
	inc	record;
	body	jsonb;
BEGIN
	INSERT INTO hookpost.replay_guard (source_id, signature)
	VALUES (p_source_id, p_signature) ON CONFLICT DO NOTHING;
	IF NOT FOUND THEN
		SELECT * INTO g FROM hookpost.replay_guard
		WHERE source_id = p_source_id AND signature = p_signature;
		PERFORM hookpost.request_log('source', p_source, p_source_id,
		    p_remote, p_ua, g.http_status, 'replayed', NULL, p_ms, p_sha,
		    p_size, (g.result->>'incident_id')::uuid,
		    (g.result->>'queue_id')::uuid);
		RETURN jsonb_build_object('http_status', g.http_status,
		    'body', g.result, 'replayed', true);
	END IF;
	inc := hookpost.incident_create(p_source_id, p_source, p_format,
	    p_title, p_severity, p_status, p_queue, p_tags, p_entities,
	    p_indicators, p_dedupe_key, p_merge_window, p_triage, p_raw,
	    p_occurred_at);
	body := jsonb_build_object('status', 'accepted', 'incident_id', inc.id,
	    'incident_number', inc.number);
	IF inc.merged THEN
		body := body || '{"merged": true}';
	END IF;
	UPDATE hookpost.replay_guard SET http_status = 200, result = body
	WHERE source_id = p_source_id AND signature = p_signature;
	PERFORM hookpost.request_log('source', p_source, p_source_id, p_remote,
	    p_ua, 200, 'accepted', NULL, p_ms, p_sha, p_size, inc.id, NULL);
	RETURN jsonb_build_object('http_status', 200, 'body', body);
END $$;

-- Queued mode: store the verified raw event; bin/hookpost-ingest makes
-- the incident later.
CREATE FUNCTION hookpost.alert_queue(
	p_source_id uuid, p_source text, p_signature text, p_remote text,
	p_ua text, p_ms real, p_sha text, p_size bigint, p_raw text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	g	hookpost.replay_guard;
	qid	uuid;
	body	jsonb;
BEGIN
	INSERT INTO hookpost.replay_guard (source_id, signature)
	VALUES (p_source_id, p_signature) ON CONFLICT DO NOTHING;
	IF NOT FOUND THEN
		SELECT * INTO g FROM hookpost.replay_guard
		WHERE source_id = p_source_id AND signature = p_signature;
		PERFORM hookpost.request_log('source', p_source, p_source_id,
		    p_remote, p_ua, g.http_status, 'replayed', NULL, p_ms, p_sha,
		    p_size, (g.result->>'incident_id')::uuid,
		    (g.result->>'queue_id')::uuid);
		RETURN jsonb_build_object('http_status', g.http_status,
		    'body', g.result, 'replayed', true);
	END IF;
	INSERT INTO hookpost.inbound_queue (source_id, raw_payload)
	VALUES (p_source_id, p_raw) RETURNING id INTO qid;
	body := jsonb_build_object('status', 'queued', 'queue_id', qid,
	    'message', 'Event queued for processing');
	UPDATE hookpost.replay_guard SET http_status = 202, result = body
	WHERE source_id = p_source_id AND signature = p_signature;
	PERFORM hookpost.request_log('source', p_source, p_source_id, p_remote,
	    p_ua, 202, 'queued', NULL, p_ms, p_sha, p_size, NULL, qid);
	PERFORM pg_notify('hookpost_inbound', '');	-- wakes hookpost-ingest
	RETURN jsonb_build_object('http_status', 202, 'body', body);
END $$;
