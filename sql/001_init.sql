-- hookpost schema, part 1: tokens, inbound sources, incidents, playbooks,
-- the receiver's audit log, replay guard, queue and metrics (seed 004).
-- Applied once by `hookpost db migrate`; the functions over these tables
-- are sql/functions/*.sql, applied after the schema on every run.

CREATE SCHEMA IF NOT EXISTS hookpost;

-- API tokens (ARCHITECTURE.md §3): "hp_" + random, stored only as SHA-256 hex.
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
