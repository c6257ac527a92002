-- hookpost schema, part 3: the outbound side (seed 000).  Events are an
-- outbox written in the emitter's own transaction; fan-out to matching
-- subscriptions happens in that same transaction (one delivery row each),
-- so an event that commits is certain to be delivered and one that rolls
-- back never is (ARCHITECTURE.md §1).  Workers claim deliveries with
-- FOR UPDATE SKIP LOCKED and a lease fenced by a claim id.

-- Event catalog (seed 000: {resource}.{action}); admins add types.
CREATE TABLE hookpost.event_types (
	name		text PRIMARY KEY
			CHECK (name ~ '^[a-z0-9_-]+(\.[a-z0-9_-]+)+$'),
	description	text NOT NULL DEFAULT '',
	builtin		boolean NOT NULL DEFAULT false,
	created_at	timestamptz NOT NULL DEFAULT now()
);
INSERT INTO hookpost.event_types (name, description, builtin)
SELECT r || '.' || a, initcap(replace(r, '_', ' ')) || ' ' || a, true
FROM unnest(ARRAY['threat_model', 'diagram', 'document', 'threat', 'note',
    'repository', 'asset', 'metadata', 'survey', 'survey_response']) r,
    unnest(ARRAY['created', 'updated', 'deleted']) a;
INSERT INTO hookpost.event_types (name, description, builtin) VALUES
	('addon.invoked', 'An add-on was invoked', true),
	('incident.created', 'An inbound alert became an incident', true),
	('incident.triaged', 'A playbook triaged an incident', true),
	('webhook.test', 'A test delivery to one subscription', true),
	('subscription.disabled', 'A subscription was disabled after persistent failures', true);

-- Per-owner quotas (seed 000 "Rate Limits"); absent rows mean the defaults
-- of hookpost.quota_for().
CREATE TABLE hookpost.quotas (
	owner_id	text PRIMARY KEY,
	max_subscriptions integer NOT NULL CHECK (max_subscriptions >= 0),
	max_events_per_minute integer NOT NULL
			CHECK (max_events_per_minute > 0),
	max_subscription_requests_per_minute integer NOT NULL
			CHECK (max_subscription_requests_per_minute > 0),
	max_subscription_requests_per_day integer NOT NULL
			CHECK (max_subscription_requests_per_day > 0),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- seed 000 "URL requirements": hostnames matching a pattern are refused.
CREATE TABLE hookpost.webhook_url_deny_list (
	id		bigserial PRIMARY KEY,
	pattern		text NOT NULL,
	pattern_type	text NOT NULL DEFAULT 'glob'
			CHECK (pattern_type IN ('glob', 'regex')),
	description	text NOT NULL DEFAULT '',
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (pattern, pattern_type)
);
INSERT INTO hookpost.webhook_url_deny_list (pattern, pattern_type, description)
VALUES
	('localhost', 'glob', 'loopback name'),
	('*.localhost', 'glob', 'loopback names (RFC 6761)'),
	('localhost.localdomain', 'glob', 'loopback name'),
	('ip6-localhost', 'glob', 'loopback name'),
	('*.local', 'glob', 'mDNS names'),
	('*.internal', 'glob', 'private zones, GCP metadata.google.internal'),
	('metadata', 'glob', 'cloud metadata short name'),
	('metadata.google.internal', 'glob', 'GCP metadata'),
	('instance-data', 'glob', 'AWS metadata name'),
	('instance-data.ec2.internal', 'glob', 'AWS metadata name'),
	('metadata.azure.com', 'glob', 'Azure metadata'),
	('^(127|10|0)\.[0-9.]+$', 'regex', 'loopback, private and this-network IPv4 literals'),
	('^192\.168\.[0-9.]+$', 'regex', 'private IPv4 literals'),
	('^172\.(1[6-9]|2[0-9]|3[01])\.[0-9.]+$', 'regex', 'private IPv4 literals'),
	('^169\.254\.[0-9.]+$', 'regex', 'link-local IPv4, cloud metadata 169.254.169.254'),
	('^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.[0-9.]+$', 'regex', 'CGNAT IPv4 literals');

CREATE TABLE hookpost.subscriptions (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	owner_id	text NOT NULL,
	-- admin subscriptions see every owner's events; a user's only its own
	all_owners	boolean NOT NULL DEFAULT false,
	name		text NOT NULL CHECK (length(name) BETWEEN 1 AND 256),
	url		text NOT NULL CHECK (length(url) <= 2048),
	events		text[] NOT NULL CHECK (cardinality(events) BETWEEN 1 AND 100),
	threat_model_id	text,
	secret_enc	text NOT NULL,
	previous_secret_enc text,		-- rotation grace: signs with both
	previous_secret_expires_at timestamptz,
	status		text NOT NULL DEFAULT 'pending_verification' CHECK (status IN
			('pending_verification', 'active', 'disabled',
			 'pending_delete')),
	challenge_attempts integer NOT NULL DEFAULT 0,
	next_challenge_at timestamptz NOT NULL DEFAULT now(),
	last_challenge_error text,
	retry_schedule	integer[],		-- seconds; NULL: the seed's default
	max_concurrency	integer NOT NULL DEFAULT 4
			CHECK (max_concurrency BETWEEN 1 AND 64),
	publication_failures integer NOT NULL DEFAULT 0,
	last_successful_use timestamptz,
	disabled_reason	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	modified_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_owner ON hookpost.subscriptions (owner_id);
CREATE INDEX subscriptions_events ON hookpost.subscriptions USING gin (events)
	WHERE status = 'active';
CREATE INDEX subscriptions_challenge ON hookpost.subscriptions (next_challenge_at)
	WHERE status = 'pending_verification';

-- Subscription create/update requests, for the per-minute and per-day quotas.
CREATE TABLE hookpost.subscription_requests (
	id		bigserial PRIMARY KEY,
	owner_id	text NOT NULL,
	requested_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscription_requests_owner ON hookpost.subscription_requests
	(owner_id, requested_at);

-- The outbox.  payload is the exact body every delivery sends and signs.
CREATE TABLE hookpost.events (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	event_type	text NOT NULL,
	object_type	text,
	object_id	text,
	threat_model_id	text,
	owner_id	text,
	payload		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_time ON hookpost.events (created_at);

CREATE TABLE hookpost.deliveries (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	event_id	uuid NOT NULL REFERENCES hookpost.events (id)
			ON DELETE CASCADE,
	subscription_id	uuid NOT NULL REFERENCES hookpost.subscriptions (id)
			ON DELETE CASCADE,
	owner_id	text NOT NULL,		-- the subscription's, for quotas
	event_type	text NOT NULL,
	-- pending: due at next_attempt_at; sending: claimed under a lease;
	-- in_progress: the receiver answered async and will call back.
	status		text NOT NULL DEFAULT 'pending' CHECK (status IN
			('pending', 'sending', 'in_progress', 'delivered',
			 'failed', 'cancelled')),
	attempts	integer NOT NULL DEFAULT 0,
	next_attempt_at	timestamptz NOT NULL DEFAULT now(),
	claim_id	uuid,
	lease_until	timestamptz,
	last_status_code integer,
	last_error	text,
	callback_status	text,
	callback_message text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	completed_at	timestamptz
);
CREATE INDEX deliveries_due ON hookpost.deliveries (next_attempt_at)
	WHERE status = 'pending';
CREATE INDEX deliveries_lease ON hookpost.deliveries (lease_until)
	WHERE status = 'sending';
CREATE INDEX deliveries_subscription ON hookpost.deliveries
	(subscription_id, created_at DESC);
CREATE INDEX deliveries_owner_recent ON hookpost.deliveries
	(owner_id, created_at);
CREATE INDEX deliveries_page ON hookpost.deliveries (created_at DESC, id DESC);
CREATE INDEX deliveries_terminal ON hookpost.deliveries (completed_at)
	WHERE status IN ('delivered', 'failed', 'cancelled');

-- Every attempt: time, status code, response time, error, first 4 KiB.
CREATE TABLE hookpost.delivery_attempts (
	id		bigserial PRIMARY KEY,
	delivery_id	uuid NOT NULL REFERENCES hookpost.deliveries (id)
			ON DELETE CASCADE,
	attempt		integer NOT NULL,
	started_at	timestamptz NOT NULL DEFAULT now(),
	status_code	integer,
	response_ms	real,
	error		text,
	response_body	text CHECK (length(response_body) <= 4096),
	claim_id	uuid
);
CREATE INDEX delivery_attempts_delivery ON hookpost.delivery_attempts
	(delivery_id, attempt);
