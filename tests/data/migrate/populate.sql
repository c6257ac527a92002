-- Rows in every main table, written through the functions of the schema
-- the fixture was built with (make-fixture.sh), so that the fixture holds
-- what a live database holds: sources, incidents (made, merged, queued,
-- ingested), audit rows and counters, subscriptions, events, deliveries
-- and attempts, triggers, keys and trigger events.
\set ON_ERROR_STOP 1
INSERT INTO hookpost.api_tokens (name, token_hash, role, owner_id) VALUES
	('admin', repeat('a', 64), 'admin', NULL),
	('alice', repeat('b', 64), 'user', 'alice');
INSERT INTO hookpost.quotas VALUES ('alice', 3, 5, 5, 10, now(), now());
INSERT INTO hookpost.sources (id, name, secret_enc, auto_triage, playbook,
    severity_mapping, format, mode)
VALUES ('11111111-1111-4111-8111-111111111111', 'splunk-prod', 'v1:sealed',
	true, 'phishing_triage', '{"urgent": "critical"}', 'splunk', 'sync'),
       ('22222222-2222-4222-8222-222222222222', 'edr-queue', 'v1:sealed2',
	false, NULL, '{}', 'generic', 'queue');
INSERT INTO hookpost.subscriptions (id, owner_id, all_owners, name, url,
    events, secret_enc, status)
VALUES ('33333333-3333-4333-8333-333333333333', 'admin', true, 'soc',
	'https://soc.example/hook', '{incident.*,github.push}', 'v1:s', 'active'),
       ('44444444-4444-4444-8444-444444444444', 'alice', false, 'alice',
	'https://alice.example/hook', '{note.created}', 'v1:t', 'active');

-- Sync alerts: two incidents, one merged alert, one replay.
SELECT hookpost.alert_accept('11111111-1111-4111-8111-111111111111',
    'splunk-prod', NULL, 1764000000, repeat('01', 32), '10.0.0.1', 'curl',
    1.5, repeat('c', 64), 10, 'splunk', 'Phish one', 'high', 'triaged',
    'email-security', '["phishing"]', '{"sender": "x@y"}', '{}', 'k1', 3600,
    '{"playbook": "phishing_triage"}', '{"a": 1}', now());
SELECT hookpost.alert_accept('11111111-1111-4111-8111-111111111111',
    'splunk-prod', NULL, 1764000001, repeat('02', 32), '10.0.0.1', 'curl',
    1.5, repeat('d', 64), 10, 'splunk', 'Phish one again', 'high', 'triaged',
    'email-security', '["email"]', '{"sender": "x@y"}', '{}', 'k1', 3600,
    NULL, '{"a": 2}', now());
SELECT hookpost.alert_accept('11111111-1111-4111-8111-111111111111',
    'splunk-prod', NULL, 1764000002, repeat('03', 32), '10.0.0.2', 'curl',
    2.5, repeat('e', 64), 12, 'splunk', 'Other', 'low', 'new', NULL, '[]',
    '{}', '{}', NULL, 0, NULL, '{"b": 1}', now());
SELECT hookpost.alert_accept('11111111-1111-4111-8111-111111111111',
    'splunk-prod', NULL, 1764000002, repeat('03', 32), '10.0.0.2', 'curl',
    2.5, repeat('e', 64), 12, 'splunk', 'Other', 'low', 'new', NULL, '[]',
    '{}', '{}', NULL, 0, NULL, '{"b": 1}', now());
SELECT hookpost.alert_queue('22222222-2222-4222-8222-222222222222',
    'edr-queue', NULL, 1764000003, repeat('04', 32), '10.0.0.3', 'curl', 1,
    repeat('f', 64), 8, '{"q": 1}');
SELECT hookpost.request_log('source', 'nope', NULL, '10.0.0.9', 'scan', 404,
    'rejected', 'unknown_source', 0.1, repeat('0', 64), 0, NULL, NULL);
SELECT hookpost.incident_create('22222222-2222-4222-8222-222222222222',
    'edr-queue', 'generic', 'Ingested', 'medium', 'new', NULL, '{edr}',
    '{}', '{}', NULL, 0, NULL, '{"q": 1}', now());
UPDATE hookpost.inbound_queue SET processed_at = now(), attempts = 1;
CALL hookpost.metrics_rollup();
SELECT hookpost.request_log('source', 'splunk-prod',
    '11111111-1111-4111-8111-111111111111', '10.0.0.1', 'curl', 401,
    'rejected', 'invalid_signature', 0.2, repeat('1', 64), 3, NULL, NULL);

-- Outbound: events, deliveries claimed and finished, a test delivery.
SELECT hookpost.emit('note.created', 'note', 'n1', NULL, 'alice',
    '{"text": "hello"}');
SELECT hookpost.emit('note.created', 'note', 'n2', 'tm1', 'alice', NULL);
SELECT hookpost.emit_to('44444444-4444-4444-8444-444444444444',
    'webhook.test', '{"test": true}');
SELECT count(*) FROM hookpost.deliveries_claim(
    '55555555-5555-4555-8555-555555555555', 2, 60);
SELECT hookpost.deliveries_finish(jsonb_agg(jsonb_build_object('id', d.id,
    'claim_id', d.claim_id, 'attempt', d.attempts, 'status_code', 500,
    'response_ms', 12.5, 'error', 'HTTP 500', 'body', 'oops',
    'outcome', 'retry', 'next_attempt_at', now() + interval '1 minute')))
FROM hookpost.deliveries d WHERE d.status = 'sending';

-- Triggers: one with keys, events (one a duplicate), a refusal.
SELECT (hookpost.trigger_create('github.push', 'Pushes', '{"type": "object"}',
    NULL, 'github')).id;
SELECT hookpost.trigger_webhook_enable(1, repeat('7', 64), 'v1:key1');
SELECT hookpost.trigger_key_add(1, 'second', repeat('8', 64), 'v1:key2');
SELECT hookpost.trigger_receive(1, 'github.push', k.id, true, 100, 60, NULL,
    NULL, '{"ref": "main"}', '{"headers": {}}', 'd-1', '10.0.0.5', 'GitHub',
    3.0, repeat('9', 64), 20)
FROM hookpost.trigger_keys k WHERE k.label = 'default';
SELECT hookpost.trigger_receive(1, 'github.push', k.id, true, 100, 60, NULL,
    NULL, '{"ref": "main"}', '{"headers": {}}', 'd-1', '10.0.0.5', 'GitHub',
    3.0, repeat('9', 64), 20)
FROM hookpost.trigger_keys k WHERE k.label = 'default';
SELECT hookpost.trigger_receive(1, 'github.push', k.id, true, 100, 60,
    '{"http_status": 401, "body": {"error": {"code": "invalid_signature"}}}',
    NULL, NULL, NULL, NULL, '10.0.0.6', 'x', 0.3, repeat('9', 64), 20)
FROM hookpost.trigger_keys k WHERE k.label = 'second';
SELECT (hookpost.trigger_create('ci.build', '', NULL, '{"x": "$.y"}',
    NULL)).id;
