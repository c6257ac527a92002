-- hookpost schema, part 2: the built-in triage playbooks (seed 004
-- "Configuring Auto-Triage").  Playbooks are data: lib/triage.h documents
-- the step language, lib/triage.c runs it, and tests/unit/triage.c runs
-- these very steps.  An operator's edits survive re-running this file.

INSERT INTO hookpost.playbooks (name, description, steps, builtin) VALUES (
	'phishing_triage',
	'Reported or detected phishing e-mail: indicators, known simulations suppressed, routed to email-security, grouped by sender and subject for an hour.',
	'[
		{"action": "extract_indicators",
		 "kinds": ["sender_domain", "email", "url", "domain", "ip", "hash"]},
		{"action": "suppress",
		 "when": {"field": "indicators.sender_domain",
			  "in": ["phishsim.example", "knowbe4.com"]},
		 "reason": "known-benign phishing simulation"},
		{"action": "add_tags", "tags": ["phishing", "email"]},
		{"action": "set_queue", "value": "email-security"},
		{"action": "set_severity", "value": "high",
		 "when": {"all": [
			{"field": "entities.category", "in": ["Phish", "Malware"]},
			{"field": "severity", "in": ["info", "low", "medium"]}]}},
		{"action": "merge",
		 "fields": ["entities.sender", "entities.subject"],
		 "window_minutes": 60},
		{"action": "set_status", "value": "triaged"}
	]'::jsonb,
	true
) ON CONFLICT (name) DO NOTHING;

INSERT INTO hookpost.playbooks (name, description, steps, builtin) VALUES (
	'malware_triage',
	'Endpoint malware detection: indicators, routed to endpoint-security, ransomware made critical, grouped by host and detection for 30 minutes.',
	'[
		{"action": "extract_indicators",
		 "kinds": ["hash", "host", "ip", "url", "domain"]},
		{"action": "add_tags", "tags": ["malware", "endpoint"]},
		{"action": "set_queue", "value": "endpoint-security"},
		{"action": "set_severity", "value": "critical",
		 "when": {"field": "title", "contains": "ransomware"}},
		{"action": "merge",
		 "fields": ["entities.host", "entities.detection"],
		 "window_minutes": 30},
		{"action": "set_status", "value": "triaged"}
	]'::jsonb,
	true
) ON CONFLICT (name) DO NOTHING;
