/*
 * Unit tests of lib/normalize: seed 004's four payload formats, from the
 * files in tests/data/alerts/ (run from the repository root).  One line
 * per case, "ok - name" or "not ok - name"; exits 0 only when all pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "normalize.h"
#include "check.h"


/* A payload from tests/data/alerts/; the caller frees it. */
static json_t *
payload_new(const char *name)
{
	char	 path[256];

	snprintf(path, sizeof(path), "tests/data/alerts/%s.json", name);
	return check_json_new(path);
}

/* Normalizes a file's payload; 0 or -1 (reported as a failed case). */
static int
normalize_file(const char *name, const char *pinned, const json_t *mapping,
    struct incident *inc)
{
	json_t	*payload;
	char	 err[256] = "";
	int	 rc = -1;

	memset(inc, 0, sizeof(*inc));
	if ((payload = payload_new(name)) == NULL)
		goto out;
	rc = normalize_alert(payload, pinned, mapping, inc, err, sizeof(err));
	if (rc == -1)
		fprintf(stderr, "%s: %s\n", name, err);
out:
	json_decref(payload);
	return rc;
}

static void
test_detect(void)
{
	static const struct {
		const char	*file, *format;
	} cases[] = {
		{ "generic", "generic" },
		{ "generic_test_event", "generic" },
		{ "generic_empty", "generic" },
		{ "generic_full", "generic" },
		{ "generic_eventtype_only", "generic" },
		{ "defender", "defender" },
		{ "defender_malware", "defender" },
		{ "defender_category_only", "defender" },
		{ "crowdstrike", "crowdstrike" },
		{ "crowdstrike_full", "crowdstrike" },
		{ "crowdstrike_minimal", "crowdstrike" },
		{ "splunk", "splunk" },
		{ "splunk_urgency", "splunk" },
		{ "splunk_nohost", "splunk" },
	};
	json_t	*payload;
	size_t	 i;

	for (i = 0; i < NITEMS(cases); i++) {
		payload = payload_new(cases[i].file);
		check(payload != NULL && str_eq(normalize_detect(payload),
		    cases[i].format), "detect %s is %s", cases[i].file,
		    cases[i].format);
		json_decref(payload);
	}
	payload = json_loads("[1,2]", 0, NULL);
	check(str_eq(normalize_detect(payload), "generic"),
	    "detect non-object falls back to generic");
	json_decref(payload);
	check(str_eq(normalize_detect(NULL), "generic"),
	    "detect NULL falls back to generic");
	/* Detection needs the whole shape, not just one key. */
	payload = json_loads("{\"metadata\":{\"eventType\":\"x\"},"
	    "\"event\":\"not an object\"}", 0, NULL);
	check(str_eq(normalize_detect(payload), "generic"),
	    "detect crowdstrike needs object event");
	json_decref(payload);
	payload = json_loads("{\"search_name\":\"x\",\"result\":[]}", 0,
	    NULL);
	check(str_eq(normalize_detect(payload), "generic"),
	    "detect splunk needs object result");
	json_decref(payload);
	payload = json_loads("{\"eventType\":\"x\",\"entityType\":\"Email\"}",
	    0, NULL);
	check(str_eq(normalize_detect(payload), "defender"),
	    "detect defender by eventType and entityType");
	json_decref(payload);
}

static void
test_fields(void)
{
	static const struct {
		const char	*file, *format, *title, *severity;
		const char	*occurred_at, *dedupe_key;
	} cases[] = {
		{ "generic", "generic", "security_alert", "high",
		    "2024-01-15T10:00:00Z", "alert-123" },
		{ "generic_test_event", "generic", "test", "medium", "",
		    NULL },
		{ "generic_empty", "generic", "Alert", "medium", "", NULL },
		{ "generic_full", "generic",
		    "Credential harvesting link clicked", "low",
		    "2024-01-15T10:00:00Z", "98765" },
		{ "generic_description", "generic",
		    "Sensitive file shared externally", "high",
		    "2024-01-15T12:00:00Z", NULL },
		{ "generic_alert_name", "generic", "USB mass storage",
		    "medium", "", NULL },
		{ "generic_eventtype_only", "generic", "Alert", "critical", "",
		    NULL },
		{ "defender", "defender",
		    "PhishingEmail: Urgent Action Required", "high",
		    "2024-01-15T10:00:00Z", "AAMkAGI2..." },
		{ "defender_malware", "defender", "MalwareEmail", "info",
		    "2024-03-01T08:15:30Z", "AAMkAGI2-mal-7" },
		{ "defender_phishsim", "defender",
		    "PhishingEmail: Quarterly bonus", "medium",
		    "2024-01-15T10:05:00Z", "AAMkSIM-1" },
		{ "defender_category_only", "defender", "SuspiciousLogin",
		    "high", "", NULL },
		{ "crowdstrike", "crowdstrike", "Malicious File Detected",
		    "high", "2024-01-15T12:00:00Z", "ldt:abc123" },
		{ "crowdstrike_full", "crowdstrike",
		    "Ransomware Behavior Detected", "critical",
		    "2024-03-01T08:15:30Z", "ldt:ransom-77" },
		{ "crowdstrike_minimal", "crowdstrike",
		    "AuthActivityAuditEvent", "medium", "", NULL },
		{ "splunk", "splunk", "Failed Login Alert", "medium",
		    "2024-01-15T12:00:00Z", "Failed Login Alert|server-01" },
		{ "splunk_urgency", "splunk", "Brute Force Detected",
		    "critical", "2024-01-15T12:01:00Z",
		    "Brute Force Detected|dc-01" },
		{ "splunk_nohost", "splunk", "Impossible Travel", "info", "",
		    "Impossible Travel|" },
	};
	struct incident	 inc;
	size_t		 i;
	int		 rc;

	for (i = 0; i < NITEMS(cases); i++) {
		rc = normalize_file(cases[i].file, NULL, NULL, &inc);
		check(rc == 0, "%s normalizes", cases[i].file);
		check(rc == 0 && str_eq(inc.format, cases[i].format),
		    "%s format %s", cases[i].file, cases[i].format);
		check(rc == 0 && str_eq(inc.title, cases[i].title),
		    "%s title \"%s\" (got \"%s\")", cases[i].file,
		    cases[i].title, inc.title ? inc.title : "(null)");
		check(rc == 0 && str_eq(inc.severity, cases[i].severity),
		    "%s severity %s (got %s)", cases[i].file,
		    cases[i].severity, inc.severity);
		check(rc == 0 && str_eq(inc.occurred_at, cases[i].occurred_at),
		    "%s occurred_at \"%s\" (got \"%s\")", cases[i].file,
		    cases[i].occurred_at, inc.occurred_at);
		check(rc == 0 && str_eq(inc.dedupe_key, cases[i].dedupe_key),
		    "%s dedupe_key %s (got %s)", cases[i].file,
		    cases[i].dedupe_key ? cases[i].dedupe_key : "NULL",
		    inc.dedupe_key ? inc.dedupe_key : "NULL");
		check(rc == 0 && str_eq(inc.status, "new") &&
		    inc.queue == NULL && inc.triage == NULL &&
		    inc.merge_window_s == 0 && json_is_array(inc.tags) &&
		    json_array_size(inc.tags) == 0 &&
		    json_is_object(inc.indicators) &&
		    json_object_size(inc.indicators) == 0 &&
		    json_is_object(inc.entities),
		    "%s starts new, untagged, unqueued, untriaged",
		    cases[i].file);
		incident_free(&inc);
	}
}

static void
test_entities(void)
{
	static const struct {
		const char	*file, *key, *json;	/* json NULL: absent */
	} cases[] = {
		{ "generic", "alert_id", "\"alert-123\"" },
		{ "generic", "event_type", "\"security_alert\"" },
		{ "generic", "details", NULL },
		{ "generic", "source", NULL },
		{ "generic_full", "alert_id", "98765" },
		{ "generic_full", "sender",
		    "\"Billing Team <billing@Pay-Pal-Secure.example.net>\"" },
		{ "generic_full", "recipients",
		    "[\"alice@company.com\", \"bob@company.com\"]" },
		{ "generic_full", "subject", "\"Your invoice\"" },
		{ "generic_full", "host", "\"LAPTOP-7\"" },
		{ "generic_full", "user", "\"alice\"" },
		{ "generic_full", "urls",
		    "[\"https://Pay-Pal-Secure.example.net/Login?next=%2Fhome\","
		    " \"http://203.0.113.9/x\"]" },
		{ "generic_full", "ip", "\"198.51.100.23\"" },
		{ "generic_full", "hash",
		    "\"D41D8CD98F00B204E9800998ECF8427E\"" },
		{ "generic_full", "file_name", "\"invoice.pdf.exe\"" },
		{ "generic_full", "ignored_field", NULL },
		{ "generic_full", "title", NULL },
		{ "defender", "alert_id", "\"AAMkAGI2...\"" },
		{ "defender", "category", "\"Phish\"" },
		{ "defender", "entity_type", "\"Email\"" },
		{ "defender", "sender", "\"phisher@malicious.com\"" },
		{ "defender", "subject", "\"Urgent Action Required\"" },
		{ "defender", "recipients", "[\"user@company.com\"]" },
		{ "defender", "urls", NULL },
		{ "defender_malware", "urls",
		    "[\"https://evil-corp.example/payload\"]" },
		{ "defender_malware", "file_name",
		    "[\"payroll.xlsm\", \"readme.txt\"]" },
		{ "defender_malware", "sha256",
		    "[\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B"
		    "7852B855\", \"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7"
		    "425e73043362938b9824\"]" },
		{ "defender_malware", "md5",
		    "[\"5d41402abc4b2a76b9719d911017c592\"]" },
		{ "defender_malware", "sha1", NULL },
		{ "defender_malware", "subject", NULL },
		{ "crowdstrike", "detect_id", "\"ldt:abc123\"" },
		{ "crowdstrike", "host", "\"WORKSTATION-01\"" },
		{ "crowdstrike", "detection", "\"Malicious File Detected\"" },
		{ "crowdstrike", "user", NULL },
		{ "crowdstrike_full", "host", "\"FIN-SRV-02\"" },
		{ "crowdstrike_full", "user", "\"CORP\\\\svc_backup\"" },
		{ "crowdstrike_full", "file_name", "\"locker.exe\"" },
		{ "crowdstrike_full", "sha256",
		    "\"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B"
		    "0F00A08\"" },
		{ "crowdstrike_full", "md5",
		    "\"098f6bcd4621d373cade4e832627b4f6\"" },
		{ "crowdstrike_full", "command_line",
		    "\"locker.exe --c2 https://Evil.Example.com/payload.exe "
		    "--peer 10.0.0.5\"" },
		{ "crowdstrike_full", "ip", "\"10.0.0.42\"" },
		{ "splunk", "search_name", "\"Failed Login Alert\"" },
		{ "splunk", "host", "\"server-01\"" },
		{ "splunk", "log_source", "\"WinEventLog:Security\"" },
		{ "splunk", "sourcetype", "\"WinEventLog\"" },
		{ "splunk", "event_code", "\"4625\"" },
		{ "splunk", "_raw", NULL },
		{ "splunk", "src_ip", NULL },
		{ "splunk_urgency", "event_code", "4625" },
		{ "splunk_urgency", "user", "\"administrator\"" },
		{ "splunk_urgency", "src_ip", "\"192.0.2.10\"" },
		{ "splunk_urgency", "dest_ip", "\"10.1.2.3\"" },
	};
	struct incident	 inc;
	json_t		*want;
	size_t		 i;
	int		 rc, ok;

	for (i = 0; i < NITEMS(cases); i++) {
		rc = normalize_file(cases[i].file, NULL, NULL, &inc);
		want = cases[i].json != NULL ? json_loads(cases[i].json,
		    JSON_DECODE_ANY, NULL) : NULL;
		if (cases[i].json == NULL)
			ok = rc == 0 &&
			    json_object_get(inc.entities, cases[i].key) == NULL;
		else
			ok = rc == 0 && want != NULL && json_equal(want,
			    json_object_get(inc.entities, cases[i].key));
		check(ok, "%s entities.%s %s", cases[i].file, cases[i].key,
		    cases[i].json != NULL ? cases[i].json : "absent");
		json_decref(want);
		incident_free(&inc);
	}
}

static void
test_severity_normalize(void)
{
	static const struct {
		const char	*raw, *name;
	} cases[] = {
		{ "critical", "critical" }, { "Critical", "critical" },
		{ "HIGH", "high" }, { "High", "high" }, { " medium ", "medium" },
		{ "Moderate", "medium" }, { "low", "low" },
		{ "informational", "info" }, { "Informational", "info" },
		{ "info", "info" },
		{ "1", "info" }, { "2", "low" }, { "3", "medium" },
		{ "4", "high" }, { "5", "critical" },
		{ "sev1", "critical" }, { "SEV2", "high" }, { "sev3", "medium" },
		{ "sev4", "low" }, { "sev5", "info" }, { "P1", "critical" },
		{ "0", NULL }, { "6", NULL }, { "banana", NULL }, { "", NULL },
		{ "   ", NULL }, { "high-ish", NULL },
		{ "a very long severity string that fits no buffer at all",
		    NULL },
	};
	static const struct {
		const char	*name;
		int		 rank;
	} ranks[] = {
		{ "info", SEV_INFO }, { "low", SEV_LOW },
		{ "medium", SEV_MEDIUM }, { "high", SEV_HIGH },
		{ "critical", SEV_CRITICAL }, { "High", -1 }, { "4", -1 },
		{ "", -1 },
	};
	size_t	 i;

	for (i = 0; i < NITEMS(cases); i++)
		check(str_eq(severity_normalize(cases[i].raw), cases[i].name),
		    "severity_normalize(\"%s\") is %s", cases[i].raw,
		    cases[i].name != NULL ? cases[i].name : "NULL");
	check(severity_normalize(NULL) == NULL, "severity_normalize(NULL)");
	for (i = 0; i < NITEMS(ranks); i++)
		check(severity_rank(ranks[i].name) == ranks[i].rank,
		    "severity_rank(\"%s\") is %d", ranks[i].name,
		    ranks[i].rank);
	check(severity_rank(NULL) == -1, "severity_rank(NULL) is -1");
}

/* CrowdStrike's Severity 1-5, as a number and as a numeric string. */
static void
test_crowdstrike_scale(void)
{
	static const char *const names[] = { "info", "low", "medium", "high",
	    "critical" };
	struct incident	 inc;
	json_t		*payload, *event;
	char		*text, err[256];
	int		 n, rc;

	for (n = 1; n <= 5; n++) {
		payload = payload_new("crowdstrike");
		event = json_object_get(payload, "event");
		json_object_set_new(event, "Severity", json_integer(n));
		rc = normalize_alert(payload, NULL, NULL, &inc, err,
		    sizeof(err));
		check(rc == 0 && str_eq(inc.severity, names[n - 1]),
		    "crowdstrike Severity %d is %s", n, names[n - 1]);
		incident_free(&inc);
		text = NULL;
		if (asprintf(&text, "%d", n) != -1)
			json_object_set_new(event, "Severity",
			    json_string(text));
		free(text);
		rc = normalize_alert(payload, NULL, NULL, &inc, err,
		    sizeof(err));
		check(rc == 0 && str_eq(inc.severity, names[n - 1]),
		    "crowdstrike Severity \"%d\" is %s", n, names[n - 1]);
		incident_free(&inc);
		json_decref(payload);
	}
	/* An unknown Severity gives way to a known SeverityName. */
	payload = payload_new("crowdstrike");
	event = json_object_get(payload, "event");
	json_object_set_new(event, "Severity", json_integer(0));
	json_object_set_new(event, "SeverityName", json_string("Low"));
	rc = normalize_alert(payload, NULL, NULL, &inc, err, sizeof(err));
	check(rc == 0 && str_eq(inc.severity, "low"),
	    "crowdstrike unknown Severity falls to SeverityName");
	incident_free(&inc);
	json_object_del(event, "SeverityName");
	json_object_set_new(event, "Severity", json_integer(99));
	rc = normalize_alert(payload, NULL, NULL, &inc, err, sizeof(err));
	check(rc == 0 && str_eq(inc.severity, "medium"),
	    "crowdstrike Severity 99 is medium");
	incident_free(&inc);
	json_decref(payload);
}

static void
test_severity_mapping(void)
{
	static const struct {
		const char	*file, *mapping, *severity, *name;
	} cases[] = {
		{ "crowdstrike", "{\"4\": \"critical\"}", "critical",
		    "raw crowdstrike value" },
		{ "crowdstrike", "{\"high\": \"low\"}", "low",
		    "normalized name when raw absent" },
		{ "crowdstrike", "{\"4\": \"medium\", \"high\": \"critical\"}",
		    "medium", "raw wins over normalized" },
		{ "defender", "{\"HIGH\": \"info\"}", "info",
		    "keys compared case-insensitively" },
		{ "defender", "{\"low\": \"critical\"}", "high",
		    "unmatched mapping keeps severity" },
		{ "generic_alert_name", "{\"banana\": \"critical\"}", "critical",
		    "unknown vendor severity mapped" },
		{ "generic_test_event", "{\"medium\": \"low\"}", "low",
		    "missing severity's default mapped" },
		{ "splunk_urgency", "{\"critical\": \"high\"}", "high",
		    "splunk urgency mapped" },
		{ "generic", "{\"critical\": \"critical\", \"high\": \"high\", "
		    "\"medium\": \"medium\", \"low\": \"low\"}", "high",
		    "seed 004 identity mapping" },
		{ "generic", "{}", "high", "empty mapping" },
	};
	struct incident	 inc;
	json_t		*mapping;
	size_t		 i;
	int		 rc;

	for (i = 0; i < NITEMS(cases); i++) {
		mapping = json_loads(cases[i].mapping, 0, NULL);
		rc = normalize_file(cases[i].file, "auto", mapping, &inc);
		check(rc == 0 && str_eq(inc.severity, cases[i].severity),
		    "severity_mapping %s: %s is %s (got %s)", cases[i].name,
		    cases[i].file, cases[i].severity, inc.severity);
		incident_free(&inc);
		json_decref(mapping);
	}
}

static void
test_severity_mapping_valid(void)
{
	static const struct {
		const char	*mapping;
		int		 rc;
		const char	*err;
	} cases[] = {
		{ "{}", 0, NULL },
		{ "{\"sev1\": \"critical\", \"4\": \"high\", \"\": \"info\"}", 0,
		    NULL },
		{ "{\"high\": \"urgent\"}", -1, "severity_mapping.high" },
		{ "{\"high\": \"High\"}", -1, "severity_mapping.high" },
		{ "{\"high\": 4}", -1, "severity_mapping.high" },
		{ "[]", -1, "must be an object" },
		{ "\"high\"", -1, "must be an object" },
	};
	struct incident	 inc;
	json_t		*mapping, *payload;
	char		 err[256];
	size_t		 i;
	int		 rc;

	for (i = 0; i < NITEMS(cases); i++) {
		mapping = json_loads(cases[i].mapping, JSON_DECODE_ANY, NULL);
		err[0] = '\0';
		rc = severity_mapping_valid(mapping, err, sizeof(err));
		check(rc == cases[i].rc && (cases[i].err == NULL ||
		    strstr(err, cases[i].err) != NULL),
		    "severity_mapping_valid %s is %d", cases[i].mapping,
		    cases[i].rc);
		json_decref(mapping);
	}
	check(severity_mapping_valid(NULL, NULL, 0) == 0,
	    "severity_mapping_valid(NULL) is 0");
	payload = payload_new("defender");
	mapping = json_loads("{\"high\": \"extreme\"}", 0, NULL);
	memset(&inc, 0, sizeof(inc));
	rc = normalize_alert(payload, NULL, mapping, &inc, err, sizeof(err));
	check(rc == -1 && strstr(err, "severity_mapping") != NULL &&
	    inc.title == NULL, "normalize_alert refuses an invalid mapping");
	json_decref(mapping);
	json_decref(payload);
}

static void
test_timestamps(void)
{
	static const struct {
		const char	*json, *occurred_at;
	} cases[] = {
		{ "\"2024-01-15T10:00:00Z\"", "2024-01-15T10:00:00Z" },
		{ "\"2024-01-15T10:00:00.123456789Z\"", "2024-01-15T10:00:00Z" },
		{ "\"2024-01-15t10:00:00z\"", "2024-01-15T10:00:00Z" },
		{ "\"2024-01-15 10:00:00Z\"", "2024-01-15T10:00:00Z" },
		{ "\"2024-01-15T12:30:00+02:30\"", "2024-01-15T10:00:00Z" },
		{ "\"2024-01-15T05:00:00-05:00\"", "2024-01-15T10:00:00Z" },
		{ "\"2024-01-01T00:30:00+01:00\"", "2023-12-31T23:30:00Z" },
		{ "\"2023-12-31T23:30:00.5-01:00\"", "2024-01-01T00:30:00Z" },
		{ "\"2024-02-29T00:00:00Z\"", "2024-02-29T00:00:00Z" },
		{ "\"1970-01-01T00:00:00Z\"", "1970-01-01T00:00:00Z" },
		{ "\"9999-12-31T23:59:59Z\"", "9999-12-31T23:59:59Z" },
		{ "1705320000", "2024-01-15T12:00:00Z" },
		{ "\"1705320000\"", "2024-01-15T12:00:00Z" },
		{ "1705320000.75", "2024-01-15T12:00:00Z" },
		{ "\"1969-12-31T23:59:59Z\"", "" },
		{ "\"1970-01-01T00:30:00+01:00\"", "" },
		{ "\"9999-12-31T23:59:59-01:00\"", "" },
		{ "\"0000-01-01T00:00:00Z\"", "" },
		{ "\"2023-02-29T00:00:00Z\"", "" },
		{ "\"2024-13-01T00:00:00Z\"", "" },
		{ "\"2024-01-32T00:00:00Z\"", "" },
		{ "\"2024-01-15T24:00:00Z\"", "" },
		{ "\"2024-01-15T10:60:00Z\"", "" },
		{ "\"2024-01-15T10:00:00\"", "" },
		{ "\"2024-01-15T10:00:00.Z\"", "" },
		{ "\"2024-01-15T10:00:00+0200\"", "" },
		{ "\"2024-01-15T10:00:00Zjunk\"", "" },
		{ "\"2024-01-15\"", "" },
		{ "\"yesterday\"", "" },
		{ "\"0x65a4ff80\"", "" },
		{ "\"nan\"", "" },
		{ "\" 1705320000\"", "" },
		{ "\"\"", "" },
		{ "-1", "" },
		{ "\"-1\"", "" },
		{ "253402300800", "" },
		{ "1e300", "" },
		{ "true", "" },
		{ "null", "" },
		{ "{}", "" },
	};
	struct incident	 inc;
	json_t		*payload, *ts;
	char		 err[256];
	size_t		 i;
	int		 rc;

	for (i = 0; i < NITEMS(cases); i++) {
		payload = payload_new("generic");
		ts = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
		json_object_set_new(payload, "timestamp", ts);
		rc = normalize_alert(payload, NULL, NULL, &inc, err,
		    sizeof(err));
		check(ts != NULL && rc == 0 &&
		    str_eq(inc.occurred_at, cases[i].occurred_at),
		    "timestamp %s gives \"%s\" (got \"%s\")", cases[i].json,
		    cases[i].occurred_at, rc == 0 ? inc.occurred_at : "-");
		incident_free(&inc);
		json_decref(payload);
	}

	/* Each format reads its own time field, in its own unit. */
	payload = payload_new("crowdstrike");
	json_object_set_new(json_object_get(payload, "metadata"),
	    "eventCreationTime", json_integer(1705320000999LL));
	json_object_set_new(payload, "timestamp",
	    json_string("2001-01-01T00:00:00Z"));
	rc = normalize_alert(payload, NULL, NULL, &inc, err, sizeof(err));
	check(rc == 0 && str_eq(inc.occurred_at, "2024-01-15T12:00:00Z"),
	    "crowdstrike eventCreationTime is milliseconds, timestamp ignored");
	incident_free(&inc);
	json_object_set_new(json_object_get(payload, "metadata"),
	    "eventCreationTime", json_integer(253402300800000LL));
	rc = normalize_alert(payload, NULL, NULL, &inc, err, sizeof(err));
	check(rc == 0 && str_eq(inc.occurred_at, ""),
	    "crowdstrike eventCreationTime past 9999 is \"\"");
	incident_free(&inc);
	json_decref(payload);

	payload = payload_new("splunk");
	json_object_set_new(payload, "creationTime",
	    json_string("2001-01-01T00:00:00Z"));
	json_object_set_new(payload, "trigger_time", json_string("1705320000"));
	rc = normalize_alert(payload, "splunk", NULL, &inc, err, sizeof(err));
	check(rc == 0 && str_eq(inc.occurred_at, "2024-01-15T12:00:00Z"),
	    "splunk trigger_time as a numeric string");
	incident_free(&inc);
	json_decref(payload);

	payload = payload_new("defender");
	json_object_set_new(payload, "timestamp", json_integer(0));
	json_object_set_new(payload, "creationTime",
	    json_string("2024-06-30T23:59:59.9999999+00:00"));
	rc = normalize_alert(payload, NULL, NULL, &inc, err, sizeof(err));
	check(rc == 0 && str_eq(inc.occurred_at, "2024-06-30T23:59:59Z"),
	    "defender creationTime with 7 fractional digits");
	incident_free(&inc);
	json_decref(payload);
}

static void
test_pinned(void)
{
	static const struct {
		const char	*file, *pinned;
		int		 rc;
		const char	*format;
	} cases[] = {
		{ "defender", "auto", 0, "defender" },
		{ "defender", NULL, 0, "defender" },
		{ "defender", "defender", 0, "defender" },
		{ "defender", "generic", 0, "generic" },
		{ "crowdstrike", "generic", 0, "generic" },
		{ "splunk", "splunk", 0, "splunk" },
		{ "crowdstrike", "defender", -1, NULL },
		{ "defender", "crowdstrike", -1, NULL },
		{ "generic", "splunk", -1, NULL },
		{ "splunk", "crowdstrike", -1, NULL },
		{ "generic", "bogus", -1, NULL },
		{ "generic", "Generic", -1, NULL },
	};
	struct incident	 inc;
	json_t		*payload;
	char		 err[256];
	size_t		 i;
	int		 rc;

	for (i = 0; i < NITEMS(cases); i++) {
		payload = payload_new(cases[i].file);
		memset(&inc, 0, sizeof(inc));
		err[0] = '\0';
		rc = normalize_alert(payload, cases[i].pinned, NULL, &inc, err,
		    sizeof(err));
		check(rc == cases[i].rc && (rc == -1 ? err[0] != '\0' &&
		    inc.title == NULL && inc.format == NULL :
		    str_eq(inc.format, cases[i].format)),
		    "pinned %s on %s %s", cases[i].pinned ? cases[i].pinned :
		    "NULL", cases[i].file, rc == 0 ? "accepted" : err);
		incident_free(&inc);
		json_decref(payload);
	}
	payload = json_loads("[{\"eventType\": \"x\"}]", 0, NULL);
	memset(&inc, 0, sizeof(inc));
	rc = normalize_alert(payload, NULL, NULL, &inc, err, sizeof(err));
	check(rc == -1 && inc.title == NULL, "array payload refused");
	json_decref(payload);
	rc = normalize_alert(NULL, NULL, NULL, &inc, NULL, 0);
	check(rc == -1, "NULL payload refused without an err buffer");
}

/* A string of n bytes ending in a 2-byte UTF-8 sequence at the cut. */
static char *
long_string(size_t n, size_t cut)
{
	char	*s;

	s = malloc(n + 1);
	memset(s, 'a', n);
	s[cut - 1] = (char)0xC3;	/* "é" straddles byte cut */
	s[cut] = (char)0xA9;
	s[n] = '\0';
	return s;
}

static void
test_bounds(void)
{
	struct incident	 inc;
	json_t		*payload, *data, *arr;
	char		*s, err[256];
	size_t		 i;
	int		 rc;

	payload = payload_new("generic");
	data = json_object_get(payload, "data");
	s = long_string(2000, NORMALIZE_TITLE_MAX);
	json_object_set_new(data, "title", json_string(s));
	free(s);
	s = long_string(3000, NORMALIZE_STRING_MAX);
	json_object_set_new(data, "subject", json_string(s));
	free(s);
	arr = json_array();
	for (i = 0; i < 150; i++)
		json_array_append_new(arr, json_integer((json_int_t)i));
	json_object_set_new(data, "recipients", arr);
	s = long_string(2000, 10);
	json_object_set_new(data, "alert_id", json_string(s));
	free(s);
	rc = normalize_alert(payload, NULL, NULL, &inc, err, sizeof(err));
	check(rc == 0 && strlen(inc.title) == NORMALIZE_TITLE_MAX - 1,
	    "title cut to 512 bytes on a UTF-8 boundary");
	check(rc == 0 && json_string_length(json_object_get(inc.entities,
	    "subject")) == NORMALIZE_STRING_MAX - 1,
	    "entity string cut to 1024 bytes on a UTF-8 boundary");
	check(rc == 0 && json_array_size(json_object_get(inc.entities,
	    "recipients")) == NORMALIZE_ARRAY_MAX,
	    "entity array capped at 100 items");
	check(rc == 0 && inc.dedupe_key != NULL &&
	    strncmp(inc.dedupe_key, "sha256:", 7) == 0 &&
	    strlen(inc.dedupe_key) == 7 + 64,
	    "long dedupe key hashed");
	incident_free(&inc);
	json_decref(payload);

	payload = payload_new("generic");
	s = malloc(NORMALIZE_TITLE_MAX + 1);
	memset(s, 'b', NORMALIZE_TITLE_MAX);
	s[NORMALIZE_TITLE_MAX] = '\0';
	json_object_set_new(json_object_get(payload, "data"), "title",
	    json_string(s));
	rc = normalize_alert(payload, NULL, NULL, &inc, err, sizeof(err));
	check(rc == 0 && str_eq(inc.title, s), "512-byte title kept whole");
	free(s);
	incident_free(&inc);
	json_decref(payload);

	check(normalize_utf8_cut("h\xc3\xa9llo", 2) == 1 &&
	    normalize_utf8_cut("h\xc3\xa9llo", 3) == 3 &&
	    normalize_utf8_cut("\xe2\x82\xac", 2) == 0 &&
	    normalize_utf8_cut("abc", 10) == 3,
	    "normalize_utf8_cut keeps sequences whole");
}

static void
test_free(void)
{
	struct incident	 inc;

	memset(&inc, 0, sizeof(inc));
	incident_free(&inc);
	incident_free(&inc);
	incident_free(NULL);
	check(1, "incident_free accepts a zeroed struct and NULL");
	if (normalize_file("defender", NULL, NULL, &inc) == 0) {
		incident_free(&inc);
		incident_free(&inc);
	}
	check(inc.title == NULL && inc.tags == NULL,
	    "incident_free zeroes what it freed");
}

/*
 * The format names the API and CLI accept are "auto" and exactly the
 * formats the table knows: a format added to one and not the other fails.
 */
static void
test_format_names(void)
{
	static const char *const every[] = { "generic", "defender",
	    "crowdstrike", "splunk" };
	size_t	 i, n = 0;

	check(strcmp(normalize_format_names[0], "auto") == 0 &&
	    !normalize_format_known("auto"), "format names: auto first, "
	    "not a format of its own");
	for (i = 1; normalize_format_names[i] != NULL; i++, n++)
		check(normalize_format_known(normalize_format_names[i]),
		    "format names: %s is a format", normalize_format_names[i]);
	check(n == normalize_format_count() && n == NITEMS(every),
	    "format names: as many as the table's formats");
	for (i = 0; i < NITEMS(every); i++)
		check(normalize_format_known(every[i]),
		    "format %s is in the table", every[i]);
	check(!normalize_format_known("sentinel"), "an unknown name is not");
}

int
main(void)
{
	test_detect();
	test_format_names();
	test_fields();
	test_entities();
	test_severity_normalize();
	test_crowdstrike_scale();
	test_severity_mapping();
	test_severity_mapping_valid();
	test_timestamps();
	test_pinned();
	test_bounds();
	test_free();
	return check_done();
}
