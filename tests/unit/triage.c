/*
 * Unit tests of lib/triage: the built-in playbooks exactly as
 * sql/002_playbooks.sql stores them, every step and condition, and the
 * validator.  Payloads come from tests/data/alerts/ (run from the
 * repository root).  One line per case; exits 0 only when all pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "normalize.h"
#include "triage.h"
#include "check.h"


/* A payload from tests/data/alerts/; the caller frees it. */
static json_t *
payload_new(const char *name)
{
	char	 path[256];

	snprintf(path, sizeof(path), "tests/data/alerts/%s.json", name);
	return check_json_new(path);
}

static json_t *
parse(const char *text)
{
	json_error_t	 e;
	json_t		*v;

	if ((v = json_loads(text, JSON_DECODE_ANY, &e)) == NULL)
		fprintf(stderr, "test JSON: %s: %s\n", e.text, text);
	return v;
}

/*
 * The steps of a built-in playbook, read from the migration itself so the
 * tests run what the database gets: the text between "'[" and "]'::jsonb"
 * after the playbook's quoted name, with SQL's doubled quotes undone.
 */
static json_t *
playbook_load(const char *name)
{
	FILE	*f;
	json_t	*steps = NULL;
	char	*sql = NULL, *p, *start, *end, *text = NULL, quoted[80];
	size_t	 len, n = 0;

	if ((f = fopen("sql/002_playbooks.sql", "r")) == NULL)
		goto out;
	sql = calloc(1, 1 << 16);
	len = fread(sql, 1, (1 << 16) - 1, f);
	fclose(f);
	sql[len] = '\0';
	snprintf(quoted, sizeof(quoted), "'%s'", name);
	if ((p = strstr(sql, quoted)) == NULL ||
	    (start = strstr(p, "'[")) == NULL ||
	    (end = strstr(start, "]'::jsonb")) == NULL)
		goto out;
	text = malloc((size_t)(end - start) + 1);
	for (p = start + 1; p <= end; p++) {
		text[n++] = *p;
		if (p[0] == '\'' && p[1] == '\'')
			p++;
	}
	text[n] = '\0';
	steps = parse(text);
out:
	free(text);
	free(sql);
	return steps;
}

/* Normalizes a file and runs steps over it: 0 or -1. */
static int
triage_file(const char *file, const char *playbook, const json_t *steps,
    struct incident *inc)
{
	json_t	*payload;
	char	 err[256] = "";
	int	 rc = -1;

	memset(inc, 0, sizeof(*inc));
	if ((payload = payload_new(file)) == NULL)
		goto out;
	if (normalize_alert(payload, NULL, NULL, inc, err, sizeof(err)) == -1)
		goto out;
	if (triage_run(playbook, steps, payload, inc, err, sizeof(err)) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		fprintf(stderr, "%s: %s\n", file, err);
	json_decref(payload);
	return rc;
}

/* arr holds exactly the strings of want (a JSON array), in any order. */
static int
same_strings(const json_t *arr, const char *want)
{
	json_t	*w, *v;
	size_t	 i;
	int	 ok;

	if ((w = parse(want)) == NULL)
		return 0;
	ok = json_is_array(arr) && json_array_size(arr) == json_array_size(w);
	json_array_foreach(w, i, v)
		if (!normalize_strarray_has(arr, json_string_value(v)))
			ok = 0;
	json_decref(w);
	return ok;
}

/* The "applied" flag triage recorded for step i, or -1. */
static int
applied(const struct incident *inc, size_t i)
{
	json_t	*step;

	step = json_array_get(json_object_get(inc->triage, "steps"), i);
	if (!json_is_boolean(json_object_get(step, "applied")))
		return -1;
	return json_is_true(json_object_get(step, "applied"));
}

static const char *
outcome(const struct incident *inc)
{
	return json_string_value(json_object_get(inc->triage, "outcome"));
}

static json_t *
indicators(const struct incident *inc, const char *kind)
{
	return json_object_get(inc->indicators, kind);
}

static void
test_phishing(const json_t *steps)
{
	struct incident	 inc;
	json_t		*done;
	int		 rc;

	rc = triage_file("defender", "phishing_triage", steps, &inc);
	check(rc == 0, "phishing_triage runs on the seed's defender alert");
	check(rc == 0 && same_strings(indicators(&inc, "sender_domain"),
	    "[\"malicious.com\"]"), "phishing sender_domain malicious.com");
	check(rc == 0 && same_strings(indicators(&inc, "email"),
	    "[\"phisher@malicious.com\", \"user@company.com\"]"),
	    "phishing email indicators");
	check(rc == 0 && indicators(&inc, "url") == NULL &&
	    indicators(&inc, "host") == NULL,
	    "phishing finds no urls, extracts no hosts");
	check(rc == 0 && same_strings(inc.tags, "[\"phishing\", \"email\"]"),
	    "phishing tags");
	check(rc == 0 && str_eq(inc.queue, "email-security"),
	    "phishing queue email-security");
	check(rc == 0 && str_eq(inc.severity, "high") && applied(&inc, 4) == 0,
	    "phishing keeps high severity (set_severity not applied)");
	check(rc == 0 && str_eq(inc.dedupe_key,
	    "phisher@malicious.com|Urgent Action Required") &&
	    inc.merge_window_s == 3600, "phishing merges sender|subject, 60 min");
	check(rc == 0 && str_eq(inc.status, "triaged") &&
	    str_eq(outcome(&inc), "triaged"), "phishing outcome triaged");
	done = json_object_get(inc.triage, "steps");
	check(rc == 0 && str_eq(json_string_value(json_object_get(inc.triage,
	    "playbook")), "phishing_triage") && json_array_size(done) == 7 &&
	    applied(&inc, 0) == 1 && applied(&inc, 1) == 0 &&
	    applied(&inc, 6) == 1 && str_eq(json_string_value(json_object_get(
	    json_array_get(done, 5), "action")), "merge") &&
	    json_object_get(inc.triage, "reason") == NULL,
	    "phishing triage record lists all 7 steps");
	incident_free(&inc);

	rc = triage_file("defender_low", "phishing_triage", steps, &inc);
	check(rc == 0 && str_eq(inc.severity, "high") && applied(&inc, 4) == 1,
	    "phishing raises low Phish to high");
	check(rc == 0 && str_eq(inc.dedupe_key,
	    "phisher@malicious.com|Password \\| expiry"),
	    "phishing merge key escapes '|' in values");
	incident_free(&inc);

	rc = triage_file("defender_malware", "phishing_triage", steps, &inc);
	check(rc == 0 && str_eq(inc.severity, "high"),
	    "phishing raises info Malware mail to high");
	check(rc == 0 && str_eq(inc.dedupe_key, "AAMkAGI2-mal-7") &&
	    inc.merge_window_s == 3600,
	    "phishing merge without subject keeps the vendor id");
	check(rc == 0 && same_strings(indicators(&inc, "sender_domain"),
	    "[\"evil-corp.example\"]"),
	    "phishing sender_domain from a display-name sender");
	incident_free(&inc);

	rc = triage_file("defender_phishsim", "phishing_triage", steps, &inc);
	check(rc == 0 && str_eq(inc.status, "suppressed") &&
	    str_eq(outcome(&inc), "suppressed"),
	    "phishing suppresses the simulation (mixed-case domain)");
	check(rc == 0 && same_strings(inc.tags, "[\"suppressed\"]") &&
	    inc.queue == NULL && str_eq(inc.dedupe_key, "AAMkSIM-1") &&
	    inc.merge_window_s == 0, "suppression stops the later steps");
	check(rc == 0 && json_array_size(json_object_get(inc.triage,
	    "steps")) == 2 && applied(&inc, 1) == 1 &&
	    str_eq(json_string_value(json_object_get(inc.triage, "reason")),
	    "known-benign phishing simulation"),
	    "suppression recorded with its reason");
	incident_free(&inc);

	rc = triage_file("generic_full", "phishing_triage", steps, &inc);
	check(rc == 0 && str_eq(inc.severity, "low") && applied(&inc, 4) == 0,
	    "phishing leaves severity without a category");
	check(rc == 0 && str_eq(inc.dedupe_key, "Billing Team "
	    "<billing@Pay-Pal-Secure.example.net>|Your invoice"),
	    "phishing merge key from generic entities");
	incident_free(&inc);
}

static void
test_malware(const json_t *steps)
{
	struct incident	 inc;
	int		 rc;

	rc = triage_file("crowdstrike", "malware_triage", steps, &inc);
	check(rc == 0, "malware_triage runs on the seed's crowdstrike alert");
	check(rc == 0 && same_strings(indicators(&inc, "host"),
	    "[\"workstation-01\"]"), "malware host indicator lower-cased");
	check(rc == 0 && same_strings(inc.tags, "[\"malware\", \"endpoint\"]"),
	    "malware tags");
	check(rc == 0 && str_eq(inc.queue, "endpoint-security"),
	    "malware queue endpoint-security");
	check(rc == 0 && str_eq(inc.severity, "high") && applied(&inc, 3) == 0,
	    "malware keeps high without ransomware");
	check(rc == 0 && str_eq(inc.dedupe_key,
	    "WORKSTATION-01|Malicious File Detected") &&
	    inc.merge_window_s == 1800, "malware merges host|detection, 30 min");
	check(rc == 0 && str_eq(outcome(&inc), "triaged") &&
	    json_array_size(json_object_get(inc.triage, "steps")) == 6,
	    "malware outcome triaged after 6 steps");
	incident_free(&inc);

	rc = triage_file("crowdstrike_full", "malware_triage", steps, &inc);
	check(rc == 0 && str_eq(inc.severity, "critical") &&
	    applied(&inc, 3) == 1, "malware makes ransomware critical");
	check(rc == 0 && same_strings(indicators(&inc, "hash"),
	    "[\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f0"
	    "0a08\", \"098f6bcd4621d373cade4e832627b4f6\"]"),
	    "malware hashes lower-cased");
	check(rc == 0 && same_strings(indicators(&inc, "ip"),
	    "[\"10.0.0.42\", \"10.0.0.5\"]"), "malware ips");
	check(rc == 0 && same_strings(indicators(&inc, "url"),
	    "[\"https://evil.example.com/payload.exe\"]"),
	    "malware url from the command line");
	check(rc == 0 && same_strings(indicators(&inc, "domain"),
	    "[\"evil.example.com\"]"), "malware domain of the url");
	check(rc == 0 && same_strings(indicators(&inc, "host"),
	    "[\"fin-srv-02\"]"), "malware host from Hostname");
	check(rc == 0 && indicators(&inc, "email") == NULL,
	    "malware extracts no emails");
	incident_free(&inc);

	rc = triage_file("splunk_urgency", "malware_triage", steps, &inc);
	check(rc == 0 && str_eq(inc.dedupe_key, "Brute Force Detected|dc-01")
	    && inc.merge_window_s == 1800,
	    "malware merge without detection keeps splunk's key");
	check(rc == 0 && same_strings(indicators(&inc, "ip"),
	    "[\"192.0.2.10\", \"10.1.2.3\"]") &&
	    same_strings(indicators(&inc, "host"), "[\"dc-01\"]"),
	    "malware splunk ips and host");
	incident_free(&inc);
}

/*
 * Each condition guards a set_queue step that runs after an indicator
 * extraction and a tag, so conditions on tags and indicators see them.
 */
static void
test_conditions(void)
{
	static const struct {
		const char	*file, *when;
		int		 holds;
	} cases[] = {
		{ "defender", "{\"field\":\"severity\",\"equals\":\"high\"}", 1 },
		{ "defender", "{\"field\":\"severity\",\"equals\":\"low\"}", 0 },
		{ "defender", "{\"field\":\"severity\",\"equals\":\"HIGH\"}", 0 },
		{ "defender", "{\"field\":\"status\",\"equals\":\"new\"}", 1 },
		{ "defender", "{\"field\":\"format\",\"equals\":\"defender\"}",
		    1 },
		{ "defender", "{\"field\":\"title\",\"contains\":\"URGENT\"}",
		    1 },
		{ "defender", "{\"field\":\"title\",\"contains\":\"invoice\"}",
		    0 },
		{ "defender", "{\"field\":\"title\",\"in\":[\"x\","
		    "\"PhishingEmail: Urgent Action Required\"]}", 1 },
		{ "defender", "{\"field\":\"dedupe_key\",\"equals\":"
		    "\"AAMkAGI2...\"}", 1 },
		{ "defender", "{\"field\":\"queue\",\"exists\":false}", 1 },
		{ "defender", "{\"field\":\"queue\",\"exists\":true}", 0 },
		{ "defender", "{\"field\":\"queue\",\"equals\":\"q\"}", 0 },
		{ "defender", "{\"field\":\"tags\",\"equals\":\"seen\"}", 1 },
		{ "defender", "{\"field\":\"tags\",\"in\":[\"a\",\"seen\"]}", 1 },
		{ "defender", "{\"field\":\"tags\",\"equals\":\"unseen\"}", 0 },
		{ "defender", "{\"field\":\"entities.recipients\","
		    "\"equals\":\"user@company.com\"}", 1 },
		{ "defender", "{\"field\":\"entities.recipients\","
		    "\"contains\":\"COMPANY\"}", 1 },
		{ "defender", "{\"field\":\"entities.category\","
		    "\"in\":[\"Malware\",\"Phish\"]}", 1 },
		{ "defender", "{\"field\":\"entities.category\","
		    "\"in\":[\"Malware\"]}", 0 },
		{ "defender", "{\"field\":\"entities.sender\",\"exists\":true}",
		    1 },
		{ "defender", "{\"field\":\"entities.nothing\",\"exists\":true}",
		    0 },
		{ "defender", "{\"field\":\"entities.nothing\","
		    "\"exists\":false}", 1 },
		{ "defender", "{\"field\":\"entities.nothing\","
		    "\"equals\":\"x\"}", 0 },
		{ "defender", "{\"field\":\"indicators.email\","
		    "\"contains\":\"@MALICIOUS\"}", 1 },
		{ "defender", "{\"field\":\"indicators.sender_domain\","
		    "\"equals\":\"malicious.com\"}", 1 },
		{ "defender", "{\"field\":\"indicators.url\",\"exists\":true}",
		    0 },
		{ "defender", "{\"field\":\"severity\",\"at_least\":\"high\"}",
		    1 },
		{ "defender", "{\"field\":\"severity\",\"at_least\":\"medium\"}",
		    1 },
		{ "defender", "{\"field\":\"severity\","
		    "\"at_least\":\"critical\"}", 0 },
		{ "defender", "{\"field\":\"payload.severity\","
		    "\"at_least\":\"info\"}", 1 },
		{ "defender", "{\"field\":\"payload.data.subject\","
		    "\"equals\":\"Urgent Action Required\"}", 1 },
		{ "defender", "{\"field\":\"payload.data.recipients.0\","
		    "\"equals\":\"user@company.com\"}", 1 },
		{ "defender", "{\"field\":\"payload.data.recipients.1\","
		    "\"exists\":true}", 0 },
		{ "defender", "{\"field\":\"payload.data.recipients.x\","
		    "\"exists\":true}", 0 },
		{ "defender", "{\"field\":\"payload.missing.path\","
		    "\"equals\":\"x\"}", 0 },
		{ "defender", "{\"field\":\"payload.data\",\"equals\":\"x\"}",
		    0 },
		{ "defender", "{\"field\":\"payload.data\",\"exists\":true}", 1 },
		{ "defender", "{\"all\":[{\"field\":\"severity\","
		    "\"equals\":\"high\"},{\"field\":\"format\","
		    "\"equals\":\"defender\"}]}", 1 },
		{ "defender", "{\"all\":[{\"field\":\"severity\","
		    "\"equals\":\"high\"},{\"field\":\"format\","
		    "\"equals\":\"splunk\"}]}", 0 },
		{ "defender", "{\"any\":[{\"field\":\"severity\","
		    "\"equals\":\"low\"},{\"field\":\"format\","
		    "\"equals\":\"defender\"}]}", 1 },
		{ "defender", "{\"any\":[{\"field\":\"severity\","
		    "\"equals\":\"low\"},{\"field\":\"format\","
		    "\"equals\":\"splunk\"}]}", 0 },
		{ "defender", "{\"any\":[{\"all\":[{\"field\":\"status\","
		    "\"equals\":\"new\"},{\"field\":\"tags\",\"equals\":\"seen\"}"
		    "]},{\"field\":\"title\",\"contains\":\"zzz\"}]}", 1 },
		{ "crowdstrike", "{\"field\":\"payload.event.Severity\","
		    "\"equals\":4}", 1 },
		{ "crowdstrike", "{\"field\":\"payload.event.Severity\","
		    "\"equals\":\"4\"}", 1 },
		{ "crowdstrike", "{\"field\":\"payload.event.Severity\","
		    "\"in\":[1,2,3]}", 0 },
		{ "crowdstrike", "{\"field\":\"payload.event.Severity\","
		    "\"at_least\":\"high\"}", 1 },
		{ "crowdstrike", "{\"field\":\"entities.host\","
		    "\"contains\":\"station\"}", 1 },
		{ "crowdstrike", "{\"field\":\"format\","
		    "\"in\":[\"crowdstrike\",\"splunk\"]}", 1 },
		{ "splunk_urgency", "{\"field\":\"entities.event_code\","
		    "\"equals\":\"4625\"}", 1 },
		{ "splunk_urgency", "{\"field\":\"entities.event_code\","
		    "\"in\":[4624,4625]}", 1 },
		{ "generic_full", "{\"field\":\"indicators.hash\","
		    "\"exists\":true}", 1 },
		{ "generic_full", "{\"field\":\"payload.data.alert_id\","
		    "\"equals\":98765}", 1 },
	};
	struct incident	 inc;
	json_t		*steps, *when;
	size_t		 i;
	int		 rc;

	for (i = 0; i < NITEMS(cases); i++) {
		steps = parse("[{\"action\":\"extract_indicators\","
		    "\"kinds\":[\"email\",\"sender_domain\",\"hash\"]},"
		    "{\"action\":\"add_tags\",\"tags\":[\"seen\"]},"
		    "{\"action\":\"set_queue\",\"value\":\"hit\"}]");
		when = parse(cases[i].when);
		json_object_set_new(json_array_get(steps, 2), "when", when);
		rc = triage_file(cases[i].file, "conditions", steps, &inc);
		check(when != NULL && rc == 0 &&
		    applied(&inc, 2) == cases[i].holds &&
		    str_eq(inc.queue, cases[i].holds ? "hit" : NULL),
		    "%s: %s %s", cases[i].file, cases[i].when,
		    cases[i].holds ? "holds" : "does not hold");
		incident_free(&inc);
		json_decref(steps);
	}
}

static void
test_steps(void)
{
	static const char *const statuses[] = { "new", "triaged",
	    "investigating", "suppressed", "resolved", "closed" };
	struct incident	 inc;
	json_t		*steps;
	char		 text[256];
	size_t		 i;
	int		 rc;

	steps = parse("[{\"action\":\"set_severity\",\"value\":\"critical\"},"
	    "{\"action\":\"set_severity\",\"value\":\"info\","
	    "\"when\":{\"field\":\"severity\",\"equals\":\"high\"}}]");
	rc = triage_file("defender", "sev", steps, &inc);
	check(rc == 0 && str_eq(inc.severity, "critical") &&
	    applied(&inc, 0) == 1 && applied(&inc, 1) == 0,
	    "set_severity, and a later step sees the new severity");
	check(rc == 0 && str_eq(outcome(&inc), "new"),
	    "outcome is the final status, even untouched");
	incident_free(&inc);
	json_decref(steps);

	for (i = 0; i < NITEMS(statuses); i++) {
		snprintf(text, sizeof(text), "[{\"action\":\"set_status\","
		    "\"value\":\"%s\"}]", statuses[i]);
		steps = parse(text);
		rc = triage_file("splunk", "status", steps, &inc);
		check(rc == 0 && str_eq(inc.status, statuses[i]) &&
		    str_eq(outcome(&inc), statuses[i]),
		    "set_status %s, outcome %s", statuses[i], statuses[i]);
		incident_free(&inc);
		json_decref(steps);
	}

	steps = parse("[{\"action\":\"set_queue\",\"value\":\"first\"},"
	    "{\"action\":\"set_queue\",\"value\":\"soc.tier-2\"}]");
	rc = triage_file("generic", "queue", steps, &inc);
	check(rc == 0 && str_eq(inc.queue, "soc.tier-2"),
	    "set_queue, the last one wins");
	incident_free(&inc);
	json_decref(steps);

	steps = parse("[{\"action\":\"add_tags\",\"tags\":[\"a\",\"b\",\"a\"]},"
	    "{\"action\":\"add_tags\",\"tags\":[\"b\",\"T1566:phishing\"]}]");
	rc = triage_file("generic", "tags", steps, &inc);
	check(rc == 0 && json_array_size(inc.tags) == 3 &&
	    str_eq(json_string_value(json_array_get(inc.tags, 0)), "a") &&
	    str_eq(json_string_value(json_array_get(inc.tags, 1)), "b") &&
	    str_eq(json_string_value(json_array_get(inc.tags, 2)),
	    "T1566:phishing"), "add_tags keeps order, drops duplicates");
	incident_free(&inc);
	json_decref(steps);

	steps = parse("[{\"action\":\"merge\",\"fields\":[\"title\","
	    "\"entities.recipients\",\"payload.category\",\"severity\"],"
	    "\"window_minutes\":10080}]");
	rc = triage_file("defender", "merge", steps, &inc);
	check(rc == 0 && str_eq(inc.dedupe_key, "PhishingEmail: Urgent Action "
	    "Required|user@company.com|Phish|high") &&
	    inc.merge_window_s == 10080L * 60,
	    "merge joins title, array, payload and severity fields");
	incident_free(&inc);
	json_decref(steps);

	steps = parse("[{\"action\":\"merge\",\"fields\":[\"entities.sender\","
	    "\"entities.nothing\"],\"window_minutes\":1}]");
	rc = triage_file("defender", "merge", steps, &inc);
	check(rc == 0 && str_eq(inc.dedupe_key, "AAMkAGI2...") &&
	    inc.merge_window_s == 60,
	    "merge with a missing field keeps the dedupe key, sets the window");
	incident_free(&inc);
	rc = triage_file("generic_empty", "merge", steps, &inc);
	check(rc == 0 && inc.dedupe_key == NULL && inc.merge_window_s == 60,
	    "merge with a missing field and no vendor id leaves none");
	incident_free(&inc);
	json_decref(steps);

	steps = parse("[{\"action\":\"merge\",\"fields\":[\"entities.recipients\""
	    "],\"window_minutes\":5}]");
	rc = triage_file("generic_full", "merge", steps, &inc);
	check(rc == 0 && str_eq(inc.dedupe_key,
	    "alice@company.com,bob@company.com"),
	    "merge joins array elements with ','");
	incident_free(&inc);
	json_decref(steps);

	steps = parse("[{\"action\":\"add_tags\",\"tags\":[\"before\"]},"
	    "{\"action\":\"suppress\"},"
	    "{\"action\":\"add_tags\",\"tags\":[\"after\"]}]");
	rc = triage_file("splunk", "mute", steps, &inc);
	check(rc == 0 && str_eq(inc.status, "suppressed") &&
	    same_strings(inc.tags, "[\"before\", \"suppressed\"]") &&
	    json_array_size(json_object_get(inc.triage, "steps")) == 2 &&
	    json_object_get(inc.triage, "reason") == NULL &&
	    str_eq(outcome(&inc), "suppressed"),
	    "suppress without when or reason stops at once");
	incident_free(&inc);
	json_decref(steps);

	steps = parse("[{\"action\":\"suppress\",\"reason\":\"noise\","
	    "\"when\":{\"field\":\"severity\",\"equals\":\"info\"}},"
	    "{\"action\":\"set_status\",\"value\":\"investigating\"}]");
	rc = triage_file("splunk", "mute", steps, &inc);
	check(rc == 0 && str_eq(inc.status, "investigating") &&
	    applied(&inc, 0) == 0 && applied(&inc, 1) == 1 &&
	    json_array_size(inc.tags) == 0 &&
	    str_eq(outcome(&inc), "investigating"),
	    "suppress whose condition fails lets the playbook go on");
	incident_free(&inc);
	json_decref(steps);

	/* A second run replaces the record and adds to indicators. */
	steps = parse("[{\"action\":\"extract_indicators\","
	    "\"kinds\":[\"host\"]}]");
	rc = triage_file("crowdstrike", "first", steps, &inc);
	json_decref(steps);
	steps = parse("[{\"action\":\"extract_indicators\","
	    "\"kinds\":[\"host\",\"ip\"]},{\"action\":\"add_tags\","
	    "\"tags\":[\"x\"]}]");
	if (rc == 0)
		rc = triage_run(NULL, steps, NULL, &inc, NULL, 0);
	check(rc == 0 && json_is_null(json_object_get(inc.triage,
	    "playbook")) && json_array_size(json_object_get(inc.triage,
	    "steps")) == 2 && same_strings(indicators(&inc, "host"),
	    "[\"workstation-01\"]") && indicators(&inc, "ip") == NULL,
	    "re-run replaces the record; NULL playbook and payload");
	incident_free(&inc);
	json_decref(steps);
}

static void
test_extract(void)
{
	static const struct {
		const char	*file, *kind, *want;	/* want NULL: none */
	} cases[] = {
		{ "generic_full", "email", "[\"billing@pay-pal-secure.example."
		    "net\", \"alice@company.com\", \"bob@company.com\"]" },
		{ "generic_full", "sender_domain",
		    "[\"pay-pal-secure.example.net\"]" },
		{ "generic_full", "url", "[\"https://pay-pal-secure.example.net"
		    "/Login?next=%2Fhome\", \"http://203.0.113.9/x\"]" },
		{ "generic_full", "domain", "[\"pay-pal-secure.example.net\"]" },
		{ "generic_full", "ip", "[\"203.0.113.9\", \"198.51.100.23\"]" },
		{ "generic_full", "hash",
		    "[\"d41d8cd98f00b204e9800998ecf8427e\"]" },
		{ "generic_full", "host", "[\"laptop-7\"]" },
		{ "defender_malware", "hash", "[\"e3b0c44298fc1c149afbf4c8996fb"
		    "92427ae41e4649b934ca495991b7852b855\", \"2cf24dba5fb0a30e26"
		    "e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\", \"5d41402"
		    "abc4b2a76b9719d911017c592\"]" },
		{ "defender_malware", "email",
		    "[\"hr@evil-corp.example\", \"carol@company.com\"]" },
		{ "defender_malware", "url",
		    "[\"https://evil-corp.example/payload\"]" },
		{ "splunk", "host", "[\"server-01\"]" },
		{ "splunk", "ip", NULL },
		{ "splunk", "sender_domain", NULL },
		{ "generic_indicators", "email",
		    "[\"x@y.com\", \"trailing.dot@example.com\"]" },
		{ "generic_indicators", "url", "[\"https://example.com:8443"
		    "/Path/To?q=1\", \"http://sub.example.org/\", "
		    "\"http://[2001:db8::1]/v6\", \"https://deep.example.net/a\"]" },
		{ "generic_indicators", "domain", "[\"example.com\", "
		    "\"sub.example.org\", \"deep.example.net\"]" },
		{ "generic_indicators", "ip", "[\"10.0.0.1\"]" },
		{ "generic_indicators", "hash",
		    "[\"0cc175b9c0f1b6a831c399e269772661\", "
		    "\"a9993e364706816aba3e25717850c26c9cd0d89d\", "
		    "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f2"
		    "0015ad\"]" },
		{ "generic_indicators", "host", NULL },
	};
	struct incident	 inc;
	json_t		*steps;
	char		 text[256];
	size_t		 i;
	int		 rc;

	for (i = 0; i < NITEMS(cases); i++) {
		snprintf(text, sizeof(text), "[{\"action\":"
		    "\"extract_indicators\",\"kinds\":[\"%s\"]}]",
		    cases[i].kind);
		steps = parse(text);
		rc = triage_file(cases[i].file, "extract", steps, &inc);
		check(rc == 0 && (cases[i].want == NULL ?
		    json_object_size(inc.indicators) == 0 :
		    json_object_size(inc.indicators) == 1 &&
		    same_strings(indicators(&inc, cases[i].kind),
		    cases[i].want)), "extract_indicators %s from %s: %s",
		    cases[i].kind, cases[i].file,
		    cases[i].want != NULL ? cases[i].want : "none");
		incident_free(&inc);
		json_decref(steps);
	}
}

/* Indicators are capped at 100 per kind. */
static void
test_extract_bounds(void)
{
	struct incident	 inc;
	json_t		*payload, *list, *steps;
	char		 ip[32], err[256];
	int		 i, rc;

	payload = payload_new("generic");
	list = json_array();
	for (i = 0; i < 150; i++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 100, i % 100 + 1);
		json_array_append_new(list, json_string(ip));
	}
	json_object_set_new(json_object_get(payload, "data"), "peers", list);
	steps = parse("[{\"action\":\"extract_indicators\","
	    "\"kinds\":[\"ip\"]}]");
	rc = normalize_alert(payload, NULL, NULL, &inc, err, sizeof(err));
	if (rc == 0)
		rc = triage_run("bounds", steps, payload, &inc, err,
		    sizeof(err));
	check(rc == 0 && json_array_size(indicators(&inc, "ip")) == 100,
	    "extract_indicators keeps at most 100 per kind");
	incident_free(&inc);
	json_decref(steps);
	json_decref(payload);
}

static void
test_invalid(void)
{
	static const struct {
		const char	*steps, *err;
	} cases[] = {
		{ "{}", "steps:" },
		{ "[]", "steps:" },
		{ "[1]", "steps[0]: must be an object" },
		{ "[{}]", "steps[0].action" },
		{ "[{\"action\":7}]", "steps[0].action" },
		{ "[{\"action\":\"explode\"}]", "steps[0].action: unknown" },
		{ "[{\"action\":\"set_queue\",\"value\":\"q\"},"
		    "{\"action\":\"set_queue\",\"value\":\"q\",\"vaule\":1}]",
		    "steps[1].vaule" },
		{ "[{\"action\":\"set_severity\",\"value\":\"urgent\"}]",
		    "steps[0].value" },
		{ "[{\"action\":\"set_severity\",\"value\":\"High\"}]",
		    "steps[0].value" },
		{ "[{\"action\":\"set_severity\"}]", "steps[0].value" },
		{ "[{\"action\":\"set_status\",\"value\":\"done\"}]",
		    "steps[0].value" },
		{ "[{\"action\":\"set_queue\",\"value\":\"Bad Queue!\"}]",
		    "steps[0].value" },
		{ "[{\"action\":\"set_queue\",\"value\":3}]", "steps[0].value" },
		{ "[{\"action\":\"set_queue\",\"tags\":[\"x\"],"
		    "\"value\":\"q\"}]", "steps[0].tags" },
		{ "[{\"action\":\"add_tags\",\"tags\":[]}]", "steps[0].tags" },
		{ "[{\"action\":\"add_tags\",\"tags\":\"x\"}]",
		    "steps[0].tags" },
		{ "[{\"action\":\"add_tags\",\"tags\":[\"ok\",\"not ok\"]}]",
		    "steps[0].tags[1]" },
		{ "[{\"action\":\"add_tags\",\"tags\":[\"ok\",5]}]",
		    "steps[0].tags[1]" },
		{ "[{\"action\":\"extract_indicators\",\"kinds\":[\"phone\"]}]",
		    "steps[0].kinds[0]" },
		{ "[{\"action\":\"extract_indicators\",\"kinds\":[]}]",
		    "steps[0].kinds" },
		{ "[{\"action\":\"extract_indicators\"}]", "steps[0].kinds" },
		{ "[{\"action\":\"merge\",\"fields\":[\"title\"]}]",
		    "steps[0].window_minutes" },
		{ "[{\"action\":\"merge\",\"fields\":[\"title\"],"
		    "\"window_minutes\":0}]", "steps[0].window_minutes" },
		{ "[{\"action\":\"merge\",\"fields\":[\"title\"],"
		    "\"window_minutes\":10081}]", "steps[0].window_minutes" },
		{ "[{\"action\":\"merge\",\"fields\":[\"title\"],"
		    "\"window_minutes\":\"60\"}]", "steps[0].window_minutes" },
		{ "[{\"action\":\"merge\",\"fields\":[\"title\"],"
		    "\"window_minutes\":1.5}]", "steps[0].window_minutes" },
		{ "[{\"action\":\"merge\",\"fields\":[],"
		    "\"window_minutes\":60}]", "steps[0].fields" },
		{ "[{\"action\":\"merge\",\"fields\":[\"title\",\"sender\"],"
		    "\"window_minutes\":60}]", "steps[0].fields[1]" },
		{ "[{\"action\":\"suppress\",\"reason\":5}]",
		    "steps[0].reason" },
		{ "[{\"action\":\"suppress\",\"value\":\"x\"}]",
		    "steps[0].value" },
		{ "[{\"action\":\"suppress\",\"when\":\"always\"}]",
		    "steps[0].when: must be an object" },
		{ "[{\"action\":\"suppress\",\"when\":{\"field\":\"severity\"}}]",
		    "steps[0].when: needs one of" },
		{ "[{\"action\":\"suppress\",\"when\":{\"equals\":\"x\"}}]",
		    "steps[0].when.field" },
		{ "[{\"action\":\"suppress\",\"when\":{\"field\":\"severty\","
		    "\"equals\":\"x\"}}]", "steps[0].when.field: unknown field "
		    "path \"severty\"" },
		{ "[{\"action\":\"suppress\",\"when\":{\"field\":\"entities.\","
		    "\"equals\":\"x\"}}]", "steps[0].when.field" },
		{ "[{\"action\":\"suppress\",\"when\":{\"field\":"
		    "\"payload.a..b\",\"equals\":\"x\"}}]", "steps[0].when.field" },
		{ "[{\"action\":\"suppress\",\"when\":{\"field\":"
		    "\"indicators.phone\",\"exists\":true}}]",
		    "steps[0].when.field" },
		{ "[{\"action\":\"suppress\",\"when\":{\"field\":\"title\","
		    "\"equals\":\"x\",\"contains\":\"y\"}}]",
		    "steps[0].when.contains: one operator" },
		{ "[{\"action\":\"suppress\",\"when\":{\"field\":\"title\","
		    "\"matches\":\"x\"}}]", "steps[0].when.matches: unknown" },
		{ "[{\"action\":\"suppress\",\"when\":{\"field\":\"title\","
		    "\"equals\":[\"x\"]}}]", "steps[0].when.equals" },
		{ "[{\"action\":\"suppress\",\"when\":{\"field\":\"title\","
		    "\"equals\":null}}]", "steps[0].when.equals" },
		{ "[{\"action\":\"suppress\",\"when\":{\"field\":\"title\","
		    "\"in\":[]}}]", "steps[0].when.in" },
		{ "[{\"action\":\"suppress\",\"when\":{\"field\":\"title\","
		    "\"in\":[{}]}}]", "steps[0].when.in" },
		{ "[{\"action\":\"suppress\",\"when\":{\"field\":\"title\","
		    "\"contains\":\"\"}}]", "steps[0].when.contains" },
		{ "[{\"action\":\"suppress\",\"when\":{\"field\":\"title\","
		    "\"exists\":\"yes\"}}]", "steps[0].when.exists" },
		{ "[{\"action\":\"suppress\",\"when\":{\"field\":\"severity\","
		    "\"at_least\":\"4\"}}]", "steps[0].when.at_least" },
		{ "[{\"action\":\"suppress\",\"when\":{\"all\":[]}}]",
		    "steps[0].when.all" },
		{ "[{\"action\":\"suppress\",\"when\":{\"any\":{}}}]",
		    "steps[0].when.any" },
		{ "[{\"action\":\"suppress\",\"when\":{\"all\":[{\"field\":"
		    "\"title\",\"exists\":true}],\"any\":[]}}]",
		    "steps[0].when.any: unknown field" },
		{ "[{\"action\":\"suppress\",\"when\":{\"all\":[{\"field\":"
		    "\"title\",\"exists\":true}],\"field\":\"title\"}}]",
		    "steps[0].when.field: unknown field" },
		{ "[{\"action\":\"add_tags\",\"tags\":[\"a\"]},"
		    "{\"action\":\"suppress\",\"when\":{\"any\":[{\"field\":"
		    "\"title\",\"exists\":true},{\"all\":[{\"field\":\"title\","
		    "\"equals\":\"x\"},{\"field\":\"nope\",\"equals\":\"x\"}]}]}}]",
		    "steps[1].when.any[1].all[1].field" },
		{ "[{\"action\":\"suppress\",\"when\":{\"all\":[{\"all\":[{"
		    "\"all\":[{\"all\":[{\"all\":[{\"all\":[{\"all\":[{\"all\":[{"
		    "\"all\":[{\"field\":\"title\",\"exists\":true}]}]}]}]}]}]}]}]"
		    "}]}}]", "nested deeper" },
	};
	struct incident	 inc;
	json_t		*steps, *payload;
	char		 err[256];
	size_t		 i;
	int		 rc;

	for (i = 0; i < NITEMS(cases); i++) {
		steps = parse(cases[i].steps);
		err[0] = '\0';
		rc = triage_steps_valid(steps, err, sizeof(err));
		check(steps != NULL && rc == -1 &&
		    strstr(err, cases[i].err) != NULL,
		    "invalid %s: %s", cases[i].steps, err);
		json_decref(steps);
	}
	check(triage_steps_valid(NULL, NULL, 0) == -1,
	    "invalid NULL steps without an err buffer");

	steps = json_array();
	for (i = 0; i <= TRIAGE_STEPS_MAX; i++)
		json_array_append_new(steps, parse("{\"action\":\"add_tags\","
		    "\"tags\":[\"x\"]}"));
	err[0] = '\0';
	check(triage_steps_valid(steps, err, sizeof(err)) == -1 &&
	    strstr(err, "steps:") != NULL, "invalid: 65 steps");
	json_array_remove(steps, 0);
	check(triage_steps_valid(steps, err, sizeof(err)) == 0,
	    "valid: 64 steps");
	json_decref(steps);

	/* An invalid playbook changes nothing, even its valid first steps. */
	payload = payload_new("defender");
	steps = parse("[{\"action\":\"set_queue\",\"value\":\"q\"},"
	    "{\"action\":\"set_status\",\"value\":\"nope\"}]");
	memset(&inc, 0, sizeof(inc));
	rc = normalize_alert(payload, NULL, NULL, &inc, err, sizeof(err));
	err[0] = '\0';
	if (rc == 0)
		rc = triage_run("bad", steps, payload, &inc, err, sizeof(err));
	check(rc == -1 && strstr(err, "steps[1].value") != NULL &&
	    inc.queue == NULL && inc.triage == NULL &&
	    str_eq(inc.status, "new"), "triage_run refuses invalid steps");
	incident_free(&inc);
	json_decref(steps);
	json_decref(payload);
}

int
main(void)
{
	json_t	*phishing, *malware;
	char	 err[256] = "";

	phishing = playbook_load("phishing_triage");
	malware = playbook_load("malware_triage");
	check(phishing != NULL && triage_steps_valid(phishing, err,
	    sizeof(err)) == 0, "sql phishing_triage loads and is valid %s",
	    err);
	check(malware != NULL && triage_steps_valid(malware, err,
	    sizeof(err)) == 0, "sql malware_triage loads and is valid %s",
	    err);
	if (phishing != NULL)
		test_phishing(phishing);
	if (malware != NULL)
		test_malware(malware);
	test_conditions();
	test_steps();
	test_extract();
	test_extract_bounds();
	test_invalid();
	json_decref(phishing);
	json_decref(malware);
	return check_done();
}
