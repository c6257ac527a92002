-- hookpost schema, part 18 (issue 9, seed 003): integrations.  An
-- integration is a subscription with a type: the same emit fan-out,
-- delivery rows, worker, retries, attempt log and cleanup as seed 000's
-- webhooks.  What differs per type is a connector (lib/connector.c's
-- table, ARCHITECTURE.md §6.4), which reads the settings below.

/*
 * type: the connector.  'hookpost' is seed 000's challenge-verified,
 * X-Webhook-Signature subscription (every row made before this one);
 * 'webhook' is seed 003's custom webhook (X-TW-Signature, no challenge);
 * the others are services (slack, teams, pagerduty; jira, servicenow and
 * email next).
 * config: the connector's settings, secrets left out.
 * config_secret_enc: the secret settings (tokens, routing keys, and the
 * Slack and Teams webhook URLs, which are secrets) as one JSON object,
 * sealed like every other secret (lib/crypt.c); NULL when there is none.
 * config_hints: what the API shows of each secret setting instead ("…"
 * and its last 4 characters), made when it is written.
 * severity_threshold: only events whose data.severity is at least this
 * one reach the integration (hookpost.severity_rank below).
 * secret_enc: seed 003 makes a webhook's secret optional (no signature
 * without one); seed 000's subscriptions always have one.
 */
ALTER TABLE hookpost.subscriptions
	ADD COLUMN type text NOT NULL DEFAULT 'hookpost'
		CHECK (type ~ '^[a-z][a-z0-9_]{0,31}$'),
	ADD COLUMN description text NOT NULL DEFAULT ''
		CHECK (length(description) <= 1024),
	ADD COLUMN config jsonb NOT NULL DEFAULT '{}'
		CHECK (jsonb_typeof(config) = 'object'),
	ADD COLUMN config_secret_enc text,
	ADD COLUMN config_hints jsonb NOT NULL DEFAULT '{}',
	ADD COLUMN severity_threshold text
		CHECK (severity_threshold IN ('critical', 'high', 'medium',
		    'low', 'info')),
	ALTER COLUMN secret_enc DROP NOT NULL;
ALTER TABLE hookpost.subscriptions ADD CONSTRAINT subscriptions_secret
	CHECK (type <> 'hookpost' OR secret_enc IS NOT NULL);
CREATE INDEX subscriptions_type ON hookpost.subscriptions (type, created_at);

-- What the service returned for a delivery: a PagerDuty dedup_key, a
-- ticket key (kept for the object's next events).
-- The constraint NOT VALID: every existing row is NULL, and checking them
-- would scan the whole table under this ALTER's exclusive lock.
ALTER TABLE hookpost.deliveries ADD COLUMN external_ref text;
ALTER TABLE hookpost.deliveries ADD CONSTRAINT deliveries_external_ref_length
	CHECK (length(external_ref) <= 256) NOT VALID;

-- Permissions beyond a token's role (seed 003: MANAGE_SETTINGS).  An
-- admin has them all.
ALTER TABLE hookpost.api_tokens ADD COLUMN permissions text[] NOT NULL
	DEFAULT '{}' CHECK (permissions <@ ARRAY['manage_settings']);

-- seed 003 "Event Types", as {resource}.{action}.
INSERT INTO hookpost.event_types (name, description, builtin) VALUES
	('finding.created', 'A new finding was created', true),
	('finding.status_changed', 'A finding''s status changed', true),
	('finding.resolved', 'A finding was resolved', true),
	('scan.started', 'A scan started', true),
	('scan.completed', 'A scan completed', true),
	('scan.failed', 'A scan failed', true),
	('sla.breach_warning', 'An SLA breach is near', true),
	('sla.breach_confirmed', 'An SLA was breached', true),
	('sync.completed', 'A sync (e.g. Tenable) completed', true),
	('sync.failed', 'A sync (e.g. Tenable) failed', true),
	('assessment.completed', 'An AppSec assessment completed', true),
	('assessment.critical_finding', 'An assessment found a critical finding', true),
	('integration.test', 'A test message to one integration (Test Connection)', true),
	('integration.test.resolved', 'The end of a test message to one integration', true)
ON CONFLICT (name) DO NOTHING;	-- an operator's own type of that name stays

-- The claim's result gains columns (sql/functions/deliveries.sql makes
-- it anew in the same transaction).
DROP FUNCTION IF EXISTS hookpost.deliveries_claim(uuid, integer, integer);
