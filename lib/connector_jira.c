/*
 * connector jira: seed 003's "Jira Integration Setup" in its five steps,
 * and one Jira issue per object (issue 10).
 *
 * 1. Connection: url (the site: https://acme.atlassian.net, or a Data
 *    Center base URL with its context path), and either email and
 *    api_token (Jira Cloud: HTTP Basic of "email:api_token", Atlassian's
 *    "Basic auth for REST APIs") or pat (Jira Data Center: a personal
 *    access token sent as "Authorization: Bearer", Atlassian's "Using
 *    Personal Access Tokens").  api_version 3 (the Cloud default: rich
 *    text in the Atlassian Document Format) or 2 (wiki markup; the only
 *    version Data Center has, so the default with pat, and 3 is refused
 *    with pat).
 * 2. Project mapping: project_key, and mapping: severity to issue_type and
 *    priority, the seed's table by default (critical Bug/Highest, high
 *    Bug/High, medium Task/Medium, low Task/Low; info Task/Lowest is
 *    ours).  A priority of null leaves the field out.
 * 3. Field mapping: summary (the title, and " on " the affected asset when
 *    data.asset is given), description (severity, asset, event, object,
 *    link, then Details, Evidence, Remediation and Compliance sections
 *    when the event carries them: data.description|details|message,
 *    data.evidence, data.remediation|remediation_guidance|solution,
 *    data.compliance|compliance_references), labels (severity, data.type,
 *    data.module; always "hookpost" and the object's label, below) and
 *    components (only when configured).  fields.summary and
 *    fields.description are JSONPath expressions over the event
 *    (lib/jsonpath.h); fields.labels and fields.components are lists
 *    whose entries are names, or JSONPath expressions when they start with
 *    "$" (a string, or an array of strings, each a name).
 * 4. Test Connection (event integration.test) names the step that failed:
 *    authentication (GET /myself), project (GET /project/KEY), issue type
 *    (the type mapped for each severity that may open an issue is one of
 *    the project's issueTypes), permission (a test issue, of the least
 *    severe kind that opens one, created, POST /issue, and deleted at
 *    once, DELETE /issue/KEY: the seed's check of write permission).
 * 5. Auto-creation: an object without an issue gets one only when its
 *    severity is at or above auto_create_threshold (default low); events
 *    of an object that has one always reach it.
 *
 * Lifecycle, the Alertmanager/JIRAlert way: the object's issue is found
 * by its label, "hookpost-" and 20 hex digits of SHA-256(integration id,
 * "\n", object key), with a JQL search (labels = "...", oldest first).  The
 * search comes first in every attempt, so a worker killed between Jira
 * creating the issue and hookpost recording it finds that issue on the
 * retry and comments on it instead of creating another.  Then:
 *   not found, a resolution              delivered, no issue
 *   not found, below the threshold       delivered, no issue
 *   not found                            create
 *   found, open, an update               comment
 *   found, open, a resolution            transition resolve_transition
 *                                        ("Done") and comment when
 *                                        auto_resolve, else comment
 *   found, resolved, a resolution        comment
 *   found, resolved, an update           transition reopen_transition
 *                                        ("Reopen") and comment, unless
 *                                        its resolution is
 *                                        wont_fix_resolution ("Won't
 *                                        Fix"): then left alone
 * A transition is found by name (the transition's, else its target
 * status's) in GET /issue/KEY/transitions: ids differ per workflow.  The
 * comment is a request of its own after the transition (a transition's
 * own comment is dropped when the transition has no screen).  "Resolved"
 * is Jira's: a resolution set, or a status in the "done" category.  The
 * result names the issue (key, id, a /browse/KEY link, open or resolved):
 * the worker records it under the object (hookpost.integration_tickets).
 * Search is eventually consistent on Jira Cloud (an issue just created
 * may be missing from it for seconds), so search is the fallback, not
 * the first step, whenever hookpost has the object's issue recorded
 * (ev->ticket_ref_id, ev->ticket_ref): the attempt starts with GET
 * /issue/<id>?fields=status,resolution,labels, which is strongly
 * consistent, and searches only when that answers 404 (deleted, or
 * another site behind the url now) or the issue no longer carries the
 * object's label.  Only a create whose outcome is unknown (a transport
 * error, a 5xx: Jira may have made the issue) leaves an issue unrecorded;
 * its retry comes 60 s later at the earliest, once search has indexed
 * it, and a retry after a crash a lease (2 minutes) later.
 *
 * Search: Jira Cloud removed GET /rest/api/{2,3}/search on 2025-08-01
 * (Atlassian changelog CHANGE-2046, "Avoiding Pitfalls: A Guide to Smooth
 * Migration to Enhanced JQL APIs") for GET /rest/api/{2,3}/search/jql
 * ("enhanced search": issue ids only unless fields are asked for,
 * nextPageToken paging, unbounded JQL refused); Data Center has only
 * GET /rest/api/2/search.  So Cloud (email and api_token) uses search/jql,
 * Data Center (pat) uses search.
 *
 * Event text is never markup: in ADF it is only ever the text of text
 * nodes (newlines as hardBreak nodes); in wiki markup every character the
 * Atlassian renderer unescapes (- # * _ + ? ^ ~ | % { } [ ] ( ) ! @,
 * its BackslashEscapeRendererComponent) is backslash-escaped, a backslash
 * is written &#92; (a "\\" would be a line break), and "hN." or "bq." at a
 * line's start gets its first letter as an entity so it is no heading or
 * quote.  The summary (plain text, one line: Jira refuses newlines) has
 * its control characters turned to spaces and is cut to 255 characters;
 * labels have no whitespace (Jira refuses spaces) and at most 255
 * characters.
 *
 * Answers: 2xx per step as documented (200 JSON, 201 JSON for create and
 * comment, 204 for transition and delete); 429 and 503 retried after
 * Retry-After, 5xx, 408 and transport errors on the schedule; any other
 * 4xx (400 bad request, 401 authentication, 403 permission, 404 unknown
 * project or issue) fails the delivery for good, with Jira's own
 * {"errorMessages": [...], "errors": {...}} (or its text) in the reason,
 * which names the step; 410 disables the integration (an API Jira
 * removed).  A 2xx that is not Jira's JSON (a wrong url) fails.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "connector.h"
#include "crypt.h"
#include "jsonpath.h"
#include "util.h"

#define JIRA_SUMMARY_MAX	255	/* characters */
#define JIRA_LABEL_MAX		255	/* characters */
#define JIRA_NAME_MAX		255	/* issue type, priority, component */
/* Ours: a ticket's labels, components, list items; event text kept. */
#define LABELS_MAX		20
#define COMPONENTS_MAX		10
#define FIELD_ENTRIES_MAX	10	/* fields.labels, fields.components */
#define ITEMS_MAX		20
#define SECTION_MAX		2500	/* characters of one section */
#define LINE_MAX_CHARS		1000	/* title, asset, status */
#define JIRA_TEXT_MAX		32767	/* a text field, in characters */
#define SEARCH_MAX		"5"
#define OBJECT_LABEL_HEX	20
#define KEY_MAX			64
/* Seconds before a create whose outcome is unknown is tried again. */
#define JIRA_CREATE_RETRY_MIN	60

#define severities	conn_severities

/* The defaults of settings, here only (the code and docs read them). */
#define THRESHOLD_DEFAULT	"low"
#define RESOLVE_DEFAULT		"Done"
#define REOPEN_DEFAULT		"Reopen"
#define WONT_FIX_DEFAULT	"Won't Fix"
#define JSTR(s)			"\"" s "\""

/* seed 003 "Step 2: Configure Project Mapping"; info is ours. */
static const struct {
	const char	*severity;
	const char	*issue_type;
	const char	*priority;
} mapping_default[] = {
	{ "critical", "Bug", "Highest" },
	{ "high", "Bug", "High" },
	{ "medium", "Task", "Medium" },
	{ "low", "Task", "Low" },
	{ "info", "Task", "Lowest" },
};

static const struct vfield fields[] = {
	{ "url", V_STRING, 1, 1, 2048, NULL, 0 },
	{ "email", V_STRING, 0, 3, 254, NULL, 1 },
	{ "api_token", V_STRING, 0, 1, 1024, NULL, 1 },
	{ "pat", V_STRING, 0, 1, 1024, NULL, 1 },
	{ "api_version", V_INT, 0, 2, 3, NULL, 1 },
	{ "project_key", V_STRING, 1, 1, 255, NULL, 0 },
	{ "mapping", V_OBJECT, 0, 0, 0, NULL, 1 },
	{ "fields", V_OBJECT, 0, 0, 0, NULL, 1 },
	{ "auto_create_threshold", V_ENUM, 0, 0, 0, severities, 1 },
	{ "auto_resolve", V_BOOL, 0, 0, 0, NULL, 1 },
	{ "resolve_transition", V_STRING, 0, 1, JIRA_NAME_MAX, NULL, 1 },
	{ "reopen_transition", V_STRING, 0, 1, JIRA_NAME_MAX, NULL, 1 },
	{ "wont_fix_resolution", V_STRING, 0, 1, JIRA_NAME_MAX, NULL, 1 },
};

/* Either opens the site to anyone holding it: sealed, never shown. */
static const char *const secrets[] = { "api_token", "pat", NULL };

/* For people (GET /api/integrations/types): seed 003's five steps. */
static const struct conn_setting_doc docs[] = {
	{ "url", "Jira URL", "Your Jira site, e.g. https://yourcompany."
	    "atlassian.net (Data Center: with its context path).", NULL,
	    "connection", NULL },
	{ "email", "Email (Jira Cloud)", "The Jira account hookpost acts as.",
	    NULL, "connection", NULL },
	{ "api_token", "API token (Jira Cloud)", "From your Atlassian account: Account > "
	    "Security > API tokens.", NULL, "connection", NULL },
	{ "pat", "Personal access token (Data Center)", "Instead of email "
	    "and API token.", NULL, "connection", NULL },
	{ "api_version", "API version", "3 (Jira Cloud, the default) or 2 "
	    "(Data Center's only one).", NULL, "connection", NULL },
	{ "project_key", "Project key", "The project issues are created in "
	    "(e.g. SEC).", NULL, "project", NULL },
	{ "mapping", "Severity mapping", "Each severity's issue type and "
	    "priority.", NULL, "project", "severity_map" },
	{ "fields", "Field mapping", "Summary and description: JSONPath over "
	    "the event (blank: hookpost's); labels and components: names or "
	    "JSONPath, comma separated.", NULL, "fields", "field_map" },
	{ "auto_create_threshold", "Create issues from severity",
	    "An object gets an issue only from an event at least this "
	    "severe.", JSTR(THRESHOLD_DEFAULT), "auto-creation", NULL },
	{ "auto_resolve", "Resolve issues", "A resolution transitions the "
	    "issue (else it adds a comment).", "false", "lifecycle", NULL },
	{ "resolve_transition", "Resolve transition", NULL,
	    JSTR(RESOLVE_DEFAULT), "lifecycle", NULL },
	{ "reopen_transition", "Reopen transition", NULL,
	    JSTR(REOPEN_DEFAULT), "lifecycle", NULL },
	{ "wont_fix_resolution", "Won't fix resolution", NULL,
	    JSTR(WONT_FIX_DEFAULT), "lifecycle", NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

/* seed 003's steps of a setup: the groups docs name, in order. */
static const struct conn_group groups[] = {
	{ "connection", "Connection", "One credential is required: email "
	    "and API token (Jira Cloud), or a personal access token (Data "
	    "Center)." },
	{ "project", "Project mapping", NULL },
	{ "fields", "Field mapping", NULL },
	{ "auto-creation", "Auto-creation", NULL },
	{ "lifecycle", "Lifecycle", NULL },
	{ NULL, NULL, NULL }
};

/*
 * seed 003 "Step 4: Test Connection": its steps (conn_result.step is 1 +
 * the index), each with the group where what it checks is set.
 */
enum { STEP_NONE, STEP_AUTH, STEP_PROJECT, STEP_ISSUE_TYPE, STEP_PERMISSION };
static const struct conn_test_step test_steps[] = {
	{ "authentication", "connection" },
	{ "project", "project" },
	{ "issue type", "project" },
	{ "permission", "connection" },
	{ NULL, NULL }
};
/* A step's name, as reasons start with it. */
#define STEP(n)		(test_steps[(n) - 1].name)

/* The event's text sections, each from the first data key present. */
static const struct {
	const char	*title;
	const char	*keys[4];
} sections[] = {
	{ "Details", { "description", "details", "message", NULL } },
	{ "Evidence", { "evidence", NULL } },
	{ "Remediation", { "remediation", "remediation_guidance", "solution",
	    NULL } },
	{ "Compliance", { "compliance", "compliance_references", NULL } },
};

/* --- settings ------------------------------------------------------------ */

static const char *
cfg_str(const json_t *config, const char *key)
{
	const char	*s;

	s = json_string_value(json_object_get(config, key));
	return s != NULL && *s != '\0' ? s : NULL;
}

/* 1 when the settings are Data Center's (a personal access token). */
static int
is_dc(const json_t *config)
{
	return cfg_str(config, "pat") != NULL;
}

static int
api_version(const json_t *config)
{
	const json_t	*v = json_object_get(config, "api_version");

	if (json_is_integer(v) && (json_integer_value(v) == 2 ||
	    json_integer_value(v) == 3))
		return (int)json_integer_value(v);
	return is_dc(config) ? 2 : 3;
}

static const char *
setting(const struct conn_event *ev, const char *key, const char *dflt)
{
	const char	*s;

	return (s = conn_config_str(ev, key)) != NULL ? s : dflt;
}

/* Jira's project keys: a letter, then letters, digits, underscores. */
static int
project_key_ok(const char *k)
{
	size_t	 i;

	if (k == NULL || !(k[0] >= 'A' && k[0] <= 'Z'))
		return 0;
	for (i = 1; k[i] != '\0'; i++)
		if (!((k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= '0' &&
		    k[i] <= '9') || k[i] == '_'))
			return 0;
	return i <= JIRA_NAME_MAX;
}

/* An issue key as Jira makes them (PROJ-123), safe in a URL path. */
static int
issue_key_ok(const char *k)
{
	const char	*dash;
	size_t		 i;

	if (k == NULL || strlen(k) >= KEY_MAX ||
	    (dash = strrchr(k, '-')) == NULL || dash == k ||
	    dash[1] == '\0')
		return 0;
	for (i = 0; k + i < dash; i++)
		if (!((k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= '0' &&
		    k[i] <= '9') || k[i] == '_'))
			return 0;
	for (i = 1; dash[i] != '\0'; i++)
		if (dash[i] < '0' || dash[i] > '9')
			return 0;
	return 1;
}

/* A name (issue type, priority, label, component): no control chars. */
static int
name_ok(const char *s, int spaces)
{
	if (s == NULL || *s == '\0' || utf8_chars(s) > JIRA_NAME_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f ||
		    (!spaces && *s == ' '))
			return 0;
	return 1;
}

static int
check_mapping(const json_t *m, char *err, size_t errsz)
{
	const char	*sev, *k;
	json_t		*e, *v;

	if (m == NULL || json_is_null(m))
		return 0;
	json_object_foreach((json_t *)m, sev, e) {
		if (!valid_enum(severities, sev)) {
			errf(err, errsz, "'mapping' takes the severities "
			    "critical, high, medium, low, info, not '%.32s'",
			    sev);
			return -1;
		}
		if (!json_is_object(e)) {
			errf(err, errsz, "'mapping.%s' must be an object "
			    "{\"issue_type\", \"priority\"}", sev);
			return -1;
		}
		json_object_foreach(e, k, v) {
			if (strcmp(k, "issue_type") == 0 && name_ok(
			    json_string_value(v), 1))
				continue;
			if (strcmp(k, "priority") == 0 && (json_is_null(v) ||
			    name_ok(json_string_value(v), 1)))
				continue;
			errf(err, errsz, "'mapping.%s' takes issue_type (a "
			    "name) and priority (a name, or null), not "
			    "'%.32s' as given", sev, k);
			return -1;
		}
	}
	return 0;
}

/* fields.labels or fields.components: names or JSONPath expressions. */
static int
check_list(const char *key, const json_t *l, int spaces, char *err,
    size_t errsz)
{
	const json_t	*e;
	const char	*s;
	char		 why[128];
	size_t		 i;

	if (!json_is_array(l) || json_array_size(l) > FIELD_ENTRIES_MAX) {
		errf(err, errsz, "'fields.%s' must be a list of at most %d "
		    "names or JSONPath expressions", key, FIELD_ENTRIES_MAX);
		return -1;
	}
	json_array_foreach(l, i, e) {
		s = json_string_value(e);
		if (s != NULL && s[0] == '$') {
			if (jsonpath_valid(s, why, sizeof(why)) == 0)
				continue;
			errf(err, errsz, "'fields.%s[%zu]': %s", key, i, why);
			return -1;
		}
		if (!name_ok(s, spaces)) {
			errf(err, errsz, "'fields.%s[%zu]' must be a name of 1 "
			    "to %d characters%s, or a JSONPath expression", key,
			    i, JIRA_NAME_MAX, spaces ? "" : " without spaces");
			return -1;
		}
	}
	return 0;
}

static int
check_fields(const json_t *f, char *err, size_t errsz)
{
	const char	*k, *s;
	json_t		*v;
	char		 why[128];

	if (f == NULL || json_is_null(f))
		return 0;
	json_object_foreach((json_t *)f, k, v) {
		if (strcmp(k, "summary") == 0 ||
		    strcmp(k, "description") == 0) {
			if ((s = json_string_value(v)) == NULL ||
			    jsonpath_valid(s, why, sizeof(why)) == -1) {
				errf(err, errsz, "'fields.%s' must be a "
				    "JSONPath expression over the event%s%s",
				    k, s != NULL ? ": " : "", s != NULL ? why :
				    "");
				return -1;
			}
		} else if (strcmp(k, "labels") == 0) {
			/* Jira: a label contains no spaces. */
			if (check_list(k, v, 0, err, errsz) == -1)
				return -1;
		} else if (strcmp(k, "components") == 0) {
			if (check_list(k, v, 1, err, errsz) == -1)
				return -1;
		} else {
			errf(err, errsz, "'fields' takes summary, description, "
			    "labels and components, not '%.32s'", k);
			return -1;
		}
	}
	return 0;
}

/* 1 when s is visible ASCII only (no space, no control character). */
static int
visible_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static int
check(const json_t *config, char *err, size_t errsz)
{
	static const char *const creds[] = { "pat", "api_token", "email" };
	const char	*k;
	size_t		 i;
	int		 basic, dc;

	basic = cfg_str(config, "email") != NULL ||
	    cfg_str(config, "api_token") != NULL;
	dc = cfg_str(config, "pat") != NULL;
	if (basic && dc) {
		errf(err, errsz, "give either 'email' and 'api_token' (Jira "
		    "Cloud) or 'pat' (Jira Data Center), not both");
		return -1;
	}
	if (!dc && (cfg_str(config, "email") == NULL ||
	    cfg_str(config, "api_token") == NULL)) {
		errf(err, errsz, "'email' and 'api_token' (Jira Cloud) or "
		    "'pat' (Jira Data Center) are required");
		return -1;
	}
	if (dc && json_integer_value(json_object_get(config,
	    "api_version")) == 3) {
		errf(err, errsz, "Jira Data Center ('pat') has REST API "
		    "version 2 only: 'api_version' 3 is Jira Cloud's");
		return -1;
	}
	/*
	 * The pat goes into the Authorization header as it is (libcurl
	 * sends a CR or LF in it as it is: a header injected), the others
	 * into Basic's base64; Atlassian's tokens and an account's email
	 * are visible ASCII (RFC 6750 2.1's b64token is a subset).  Never
	 * the value in the message: the API answers with it.
	 */
	for (i = 0; i < sizeof(creds) / sizeof(creds[0]); i++)
		if ((k = cfg_str(config, creds[i])) != NULL &&
		    !visible_ascii(k)) {
			errf(err, errsz, "'%s' must be visible ASCII characters "
			    "only (no space, no control character)", creds[i]);
			return -1;
		}
	/* HTTP Basic (RFC 7617): the user-id holds no colon. */
	if (basic && strchr(cfg_str(config, "email"), ':') != NULL) {
		errf(err, errsz, "'email' must not contain ':'");
		return -1;
	}
	/* The site's base: paths are appended to it. */
	if ((k = cfg_str(config, "url")) != NULL && strpbrk(k, "?#") != NULL) {
		errf(err, errsz, "'url' must be the site's base URL, without "
		    "a query or fragment");
		return -1;
	}
	k = cfg_str(config, "project_key");
	if (k != NULL && !project_key_ok(k)) {
		errf(err, errsz, "'project_key' must be a Jira project key: "
		    "upper-case letters, digits and underscores, starting "
		    "with a letter");
		return -1;
	}
	if (check_mapping(json_object_get(config, "mapping"), err,
	    errsz) == -1 || check_fields(json_object_get(config, "fields"),
	    err, errsz) == -1)
		return -1;
	return 0;
}

/*
 * The issue type and priority of a severity: the setting's, else the
 * seed's table; *priority NULL when the setting says null.
 */
static void
mapping_get(const json_t *config, const char *sev, const char **type,
    const char **priority)
{
	const json_t	*m, *v;
	size_t		 i;

	*type = "Task";
	*priority = NULL;
	for (i = 0; i < sizeof(mapping_default) / sizeof(mapping_default[0]);
	    i++)
		if (strcmp(mapping_default[i].severity, sev) == 0) {
			*type = mapping_default[i].issue_type;
			*priority = mapping_default[i].priority;
		}
	m = json_object_get(json_object_get(config, "mapping"), sev);
	if (!json_is_object(m))
		return;
	if ((v = json_object_get(m, "issue_type")) != NULL &&
	    name_ok(json_string_value(v), 1))
		*type = json_string_value(v);
	if ((v = json_object_get(m, "priority")) != NULL) {
		if (json_is_null(v))
			*priority = NULL;
		else if (name_ok(json_string_value(v), 1))
			*priority = json_string_value(v);
	}
}

static int
severity_rank(const char *s)
{
	int	 i;

	for (i = 0; severities[i] != NULL; i++)
		if (s != NULL && strcmp(severities[i], s) == 0)
			return i;
	return 4;
}

/* --- the event --------------------------------------------------------- */

static int
is_test(const struct conn_event *ev)
{
	return strcmp(ev->event_type, "integration.test") == 0;
}

/*
 * The label that finds the object's issue: "hookpost-" and the first 20
 * hex digits of SHA-256(integration id "\n" object key), into buf.
 */
static const char *
object_label(const struct conn_event *ev, char *buf, size_t bufsz)
{
	char	 key[CONN_REF_MAX], hex[65], *in;

	conn_object_key(ev, key, sizeof(key));
	in = xasprintf("%s\n%s", ev->subscription_id != NULL ?
	    ev->subscription_id : "", key);
	crypt_sha256_hex(in, strlen(in), hex);
	free(in);
	snprintf(buf, bufsz, "hookpost-%.*s", OBJECT_LABEL_HEX, hex);
	return buf;
}

/* A data string (non-empty), or NULL. */
static const char *
data_str(const struct conn_event *ev, const char *key)
{
	const char	*s;

	s = json_string_value(json_object_get(conn_data(ev), key));
	return s != NULL && *s != '\0' ? s : NULL;
}

/* A value as text, new: a string as it is, anything else as JSON. */
static char *
value_text_new(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY);
}

/* s on one line: control characters as spaces, trimmed; new. */
static char *
one_line_new(const char *s)
{
	char	*t, *p, *e;

	t = xstrdup(s);
	for (p = t; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	for (e = t + strlen(t); e > t && e[-1] == ' '; e--)
		e[-1] = '\0';
	for (p = t; *p == ' '; p++)
		;
	memmove(t, p, strlen(p) + 1);
	return t;
}

/*
 * The summary: fields.summary's value, else the title and " on " the
 * asset; one line, at most 255 characters; new.
 */
static char *
summary_new(const struct conn_event *ev)
{
	const char	*path, *asset;
	char		*text = NULL, *line, *out;

	if ((path = json_string_value(json_object_get(json_object_get(
	    ev->config, "fields"), "summary"))) != NULL)
		text = value_text_new(jsonpath_get(ev->event, path));
	if (text == NULL || *text == '\0') {
		free(text);
		asset = data_str(ev, "asset");
		text = xasprintf("%s%s%s", conn_title(ev), asset != NULL ?
		    " on " : "", asset != NULL ? asset : "");
	}
	line = one_line_new(text);
	free(text);
	if (*line == '\0') {
		free(line);
		line = xstrdup(ev->event_type);
	}
	out = conn_truncate_new(line, JIRA_SUMMARY_MAX);
	free(line);
	return out;
}

/* --- descriptions and comments: ADF (v3) or wiki markup (v2) ----------- */

/*
 * A rich text being written, in one of Jira's two formats.  Event text
 * goes in only through doc_text (and the list and code writers), which
 * never let it become markup.
 */
struct doc {
	int		 adf;
	size_t		 max;		/* characters of one field of event
					 * text (a section, a list) */
	json_t		*blocks;	/* ADF: the doc's content */
	json_t		*para;		/* ADF: the open paragraph's content */
	struct buf	 wiki;
	int		 line_start;	/* wiki: at a line's start */
};

static void
doc_init(struct doc *d, int adf, size_t max)
{
	memset(d, 0, sizeof(*d));
	d->adf = adf;
	d->max = max;
	d->blocks = json_array();
	d->line_start = 1;
}

static void
doc_free(struct doc *d)
{
	json_decref(d->blocks);
	json_decref(d->para);
	buf_free(&d->wiki);
}

static void
wiki_raw(struct doc *d, const char *s)
{
	size_t	 n = strlen(s);

	buf_append(&d->wiki, s, n);
	if (n > 0)
		d->line_start = s[n - 1] == '\n';
}

#define WIKI_MULTILINE	0x1	/* newlines kept (else spaces) */
#define WIKI_OURS	0x2	/* our own words (labels): ':' as it is */

/*
 * Appends s to the wiki text as text: the characters the Atlassian
 * renderer unescapes are backslash-escaped, a backslash is an entity, a
 * heading or quote at a line's start is defused, and a colon is "&#58;"
 * unless the words are ours: the renderer links a bare URL in text
 * ("http://...", "mailto:..."), and no scheme survives without its
 * colon, so event text never becomes a link.  Newlines become spaces
 * without WIKI_MULTILINE.
 */
static void
wiki_escaped(struct doc *d, const char *s, int flags)
{
	static const char special[] = "-#*_+?^~|%{}[]()!@";
	char		 c;
	int		 multiline = flags & WIKI_MULTILINE;

	for (; *s != '\0'; s++) {
		c = *s;
		if (c == '\r' && s[1] == '\n')
			continue;
		if (c == '\r')
			c = '\n';
		if (c == '\n' && !multiline)
			c = ' ';
		if (c == '\n') {
			buf_append(&d->wiki, "\n", 1);
			d->line_start = 1;
			continue;
		}
		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = ' ';
		if (d->line_start && c != ' ') {
			/* "h1. " to "h6. ", "bq. ": no heading, no quote. */
			if (c == 'h' && s[1] >= '1' && s[1] <= '6' &&
			    s[2] == '.') {
				wiki_raw(d, "&#104;");
				continue;
			}
			if (c == 'b' && s[1] == 'q' && s[2] == '.') {
				wiki_raw(d, "&#98;");
				continue;
			}
			d->line_start = 0;
		}
		if (c == '\\')
			buf_append(&d->wiki, "&#92;", 5);
		else if (c == ':' && !(flags & WIKI_OURS))
			buf_append(&d->wiki, "&#58;", 5);
		else {
			if (strchr(special, c) != NULL)
				buf_append(&d->wiki, "\\", 1);
			buf_append(&d->wiki, &c, 1);
		}
	}
}

static void
adf_inline(struct doc *d, json_t *node)
{
	if (d->para == NULL)
		d->para = json_array();
	json_array_append_new(d->para, node);
}

static void
doc_para_end(struct doc *d)
{
	if (d->adf) {
		if (d->para != NULL && json_array_size(d->para) > 0)
			json_array_append_new(d->blocks, json_pack("{s:s,s:o}",
			    "type", "paragraph", "content", d->para));
		else
			json_decref(d->para);
		d->para = NULL;
		return;
	}
	/* Wiki: a blank line ends a paragraph. */
	if (d->wiki.len == 0)
		return;
	if (d->wiki.data[d->wiki.len - 1] != '\n')
		wiki_raw(d, "\n");
	if (d->wiki.len < 2 || d->wiki.data[d->wiki.len - 2] != '\n')
		wiki_raw(d, "\n");
}

static void
doc_break(struct doc *d)
{
	if (d->adf)
		adf_inline(d, json_pack("{s:s}", "type", "hardBreak"));
	else
		wiki_raw(d, "\n");
}

/*
 * Text (a newline is a line break), at most max characters of it, strong
 * (ours only: labels) or not.
 */
static void
doc_text(struct doc *d, const char *s, size_t max, int strong)
{
	char	*t, *p, *nl;
	json_t	*node;

	t = conn_truncate_new(s, max);
	if (!d->adf) {
		if (strong)
			wiki_raw(d, "*");
		wiki_escaped(d, t, strong ? WIKI_OURS : WIKI_MULTILINE);
		if (strong)
			wiki_raw(d, "*");
		free(t);
		return;
	}
	for (p = t; p != NULL; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		/* ADF's text nodes: no control characters, never empty. */
		{
			char	*q;

			for (q = p; *q != '\0'; q++)
				if ((unsigned char)*q < 0x20 || *q == 0x7f)
					*q = ' ';
		}
		if (*p != '\0') {
			node = json_pack("{s:s,s:s}", "type", "text", "text",
			    p);
			if (strong)
				json_object_set_new(node, "marks",
				    json_pack("[{s:s}]", "type", "strong"));
			adf_inline(d, node);
		}
		if (nl != NULL)
			doc_break(d);
	}
	free(t);
}

/* "Label: value" on its own line of the open paragraph. */
static void
doc_field(struct doc *d, const char *label, const char *value, int first)
{
	char	*l;

	if (value == NULL || *value == '\0')
		return;
	if (!first)
		doc_break(d);
	l = xasprintf("%s:", label);
	doc_text(d, l, 64, 1);
	free(l);
	doc_text(d, " ", 1, 0);
	doc_text(d, value, d->max < LINE_MAX_CHARS ? d->max : LINE_MAX_CHARS,
	    0);
}

/*
 * A link to href (conn_link's: http(s), no character that breaks a
 * link's syntax), shown as text.
 */
static void
doc_link(struct doc *d, const char *label, const char *href)
{
	char	*l;

	doc_break(d);
	l = xasprintf("%s:", label);
	doc_text(d, l, 64, 1);
	free(l);
	doc_text(d, " ", 1, 0);
	if (d->adf) {
		adf_inline(d, json_pack("{s:s,s:s,s:[{s:s,s:{s:s}}]}", "type",
		    "text", "text", href, "marks", "type", "link", "attrs",
		    "href", href));
		return;
	}
	/* Wiki: [href], unless href has what ends the link early. */
	if (strpbrk(href, "[]|{} \t") == NULL) {
		wiki_raw(d, "[");
		wiki_raw(d, href);
		wiki_raw(d, "]");
	} else
		wiki_escaped(d, href, 0);
}

static void
doc_heading(struct doc *d, const char *title)
{
	doc_para_end(d);
	if (d->adf)
		json_array_append_new(d->blocks, json_pack("{s:s,s:{s:i},"
		    "s:[{s:s,s:s}]}", "type", "heading", "attrs", "level", 3,
		    "content", "type", "text", "text", title));
	else {
		wiki_raw(d, "h3. ");
		wiki_escaped(d, title, WIKI_OURS);
		wiki_raw(d, "\n");
	}
}

/* A bullet list of the array's items (strings, or JSON), bounded. */
static void
doc_list(struct doc *d, const json_t *arr)
{
	const json_t	*v;
	json_t		*items = NULL;
	char		*t, *c, *line;
	size_t		 i, used = 0, n;

	if (d->adf || !d->line_start)
		doc_para_end(d);
	if (d->adf)
		items = json_array();
	json_array_foreach(arr, i, v) {
		if (i >= ITEMS_MAX || used >= d->max)
			break;
		if ((t = value_text_new(v)) == NULL)
			continue;
		line = one_line_new(t);
		free(t);
		c = conn_truncate_new(line, d->max - used);
		free(line);
		n = utf8_chars(c);
		used += n;
		if (n == 0) {
			free(c);
			continue;
		}
		if (d->adf)
			json_array_append_new(items, json_pack("{s:s,s:[{s:s,"
			    "s:[{s:s,s:s}]}]}", "type", "listItem", "content",
			    "type", "paragraph", "content", "type", "text",
			    "text", c));
		else {
			wiki_raw(d, "* ");
			wiki_escaped(d, c, 0);
			wiki_raw(d, "\n");
		}
		free(c);
	}
	if (d->adf && json_array_size(items) > 0)
		json_array_append_new(d->blocks, json_pack("{s:s,s:o}", "type",
		    "bulletList", "content", items));
	else
		json_decref(items);
	if (!d->adf)
		wiki_raw(d, "\n");
}

/* JSON text as code: an ADF codeBlock, or escaped lines in wiki. */
static void
doc_code(struct doc *d, const char *text)
{
	char	*c, *p;

	doc_para_end(d);
	c = conn_truncate_new(text, d->max);
	if (d->adf) {
		for (p = c; *p != '\0'; p++)
			if (((unsigned char)*p < 0x20 && *p != '\n') ||
			    *p == 0x7f)
				*p = ' ';
		if (*c != '\0')
			json_array_append_new(d->blocks, json_pack(
			    "{s:s,s:{s:s},s:[{s:s,s:s}]}", "type", "codeBlock",
			    "attrs", "language", "json", "content", "type",
			    "text", "text", c));
	} else {
		wiki_escaped(d, c, WIKI_MULTILINE);
		doc_para_end(d);
	}
	free(c);
}

/* A section of event text: a string, a list, or anything else as JSON. */
static void
doc_section(struct doc *d, const char *title, const json_t *v)
{
	char	*t;

	if (v == NULL || json_is_null(v) || (json_is_string(v) &&
	    json_string_length(v) == 0) || (json_is_array(v) &&
	    json_array_size(v) == 0))
		return;
	doc_heading(d, title);
	if (json_is_string(v)) {
		doc_text(d, json_string_value(v), d->max, 0);
		doc_para_end(d);
	} else if (json_is_array(v))
		doc_list(d, v);
	else if ((t = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS |
	    JSON_ENCODE_ANY)) != NULL) {
		doc_code(d, t);
		free(t);
	}
}

/* The doc as Jira takes it (an ADF object, or a string): new. */
static json_t *
doc_finish(struct doc *d)
{
	json_t	*out;

	doc_para_end(d);
	if (d->adf) {
		if (json_array_size(d->blocks) == 0)
			json_array_append_new(d->blocks, json_pack("{s:s,s:[]}",
			    "type", "paragraph", "content"));
		out = json_pack("{s:s,s:i,s:O}", "type", "doc", "version", 1,
		    "content", d->blocks);
	} else {
		while (d->wiki.len > 0 && d->wiki.data[d->wiki.len - 1] == '\n')
			d->wiki.len--;
		out = json_stringn(d->wiki.len > 0 ? d->wiki.data : "",
		    d->wiki.len);
	}
	return out;
}

/* The value of a section: fields.description for Details, else data. */
static const json_t *
section_value(const struct conn_event *ev, size_t i)
{
	const json_t	*v;
	const char	*path;
	size_t		 k;

	if (i == 0 && (path = json_string_value(json_object_get(
	    json_object_get(ev->config, "fields"), "description"))) != NULL &&
	    (v = jsonpath_get(ev->event, path)) != NULL)
		return v;
	for (k = 0; sections[i].keys[k] != NULL; k++)
		if ((v = json_object_get(conn_data(ev),
		    sections[i].keys[k])) != NULL && !json_is_null(v))
			return v;
	return NULL;
}

/* The facts of the event, as a paragraph of "Label: value" lines. */
static void
doc_facts(struct doc *d, const struct conn_event *ev, int full)
{
	const char	*link;
	char		 key[CONN_REF_MAX];

	doc_field(d, "Title", conn_title(ev), 1);
	doc_field(d, "Severity", conn_severity(ev), 0);
	doc_field(d, "Asset", data_str(ev, "asset"), 0);
	if (!full)
		doc_field(d, "Status", data_str(ev, "status"), 0);
	doc_field(d, "Event", ev->event_type, 0);
	if (full)
		doc_field(d, "Object", conn_object_key(ev, key, sizeof(key)),
		    0);
	if ((link = conn_link(ev)) != NULL)
		doc_link(d, "Link", link);
	doc_para_end(d);
}

/* seed 003 "Description": the finding, max characters a field. */
static json_t *
description_at(const struct conn_event *ev, size_t max)
{
	struct doc	 d;
	json_t		*out;
	char		 label[64], *foot;
	size_t		 i;

	doc_init(&d, api_version(ev->config) == 3, max);
	doc_facts(&d, ev, 1);
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		doc_section(&d, sections[i].title, section_value(ev, i));
	doc_para_end(&d);
	foot = xasprintf("Opened by hookpost; this object's later events "
	    "are comments here. Label: %s", object_label(ev, label,
	    sizeof(label)));
	doc_text(&d, foot, 256, 0);
	free(foot);
	out = doc_finish(&d);
	doc_free(&d);
	return out;
}

/* A comment: what happened (note), the facts, the details. */
static json_t *
comment_at(const struct conn_event *ev, const char *note, size_t max)
{
	struct doc	 d;
	json_t		*out;

	doc_init(&d, api_version(ev->config) == 3, max);
	doc_text(&d, note, 256, 1);
	doc_para_end(&d);
	doc_facts(&d, ev, 0);
	doc_section(&d, sections[0].title, section_value(ev, 0));
	out = doc_finish(&d);
	doc_free(&d);
	return out;
}

/* The characters Jira counts of a rich text: the string, or ADF's JSON. */
static size_t
text_chars(const json_t *t)
{
	char	*s;
	size_t	 n;

	if (json_is_string(t))
		return utf8_chars(json_string_value(t));
	if ((s = json_dumps(t, JSON_COMPACT)) == NULL)
		return (size_t)-1;
	n = utf8_chars(s);
	free(s);
	return n;
}

/*
 * A description or comment within Jira's 32767 characters: event text
 * escapes (wiki) or nests (ADF's hardBreak nodes) into more characters
 * than it has, so each field gets less until the whole fits.
 */
static const size_t field_limits[] = { SECTION_MAX, 1000, 400, 100, 20 };

static json_t *
description_new(const struct conn_event *ev)
{
	json_t	*out = NULL;
	size_t	 i;

	for (i = 0; i < sizeof(field_limits) / sizeof(field_limits[0]); i++) {
		json_decref(out);
		out = description_at(ev, field_limits[i]);
		if (text_chars(out) <= JIRA_TEXT_MAX)
			break;
	}
	return out;
}

static json_t *
comment_new(const struct conn_event *ev, const char *note)
{
	json_t	*out = NULL;
	size_t	 i;

	for (i = 0; i < sizeof(field_limits) / sizeof(field_limits[0]); i++) {
		json_decref(out);
		out = comment_at(ev, note, field_limits[i]);
		if (text_chars(out) <= JIRA_TEXT_MAX)
			break;
	}
	return out;
}

/* --- labels and components ---------------------------------------------- */

/* s as a label (no whitespace; 255 characters), appended unless known. */
static void
label_add(json_t *labels, const char *s)
{
	char		*t, *p, *c;
	const json_t	*v;
	size_t		 i;

	if (s == NULL || json_array_size(labels) >= LABELS_MAX)
		return;
	t = xstrdup(s);
	for (p = t; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			*p = '_';
	c = conn_truncate_new(t, JIRA_LABEL_MAX);
	free(t);
	json_array_foreach(labels, i, v)
		if (strcmp(json_string_value(v), c) == 0)
			break;
	if (*c != '\0' && i == json_array_size(labels))
		json_array_append_new(labels, json_string(c));
	free(c);
}

/* Each name an entry of fields.<key> gives, to add(out, name). */
static void
entries_each(const struct conn_event *ev, const json_t *list, json_t *out,
    void (*add)(json_t *, const char *))
{
	const json_t	*e, *v, *x;
	const char	*s;
	size_t		 i, k;
	char		*t;

	json_array_foreach(list, i, e) {
		if ((s = json_string_value(e)) == NULL)
			continue;
		if (s[0] != '$') {
			add(out, s);
			continue;
		}
		v = jsonpath_get(ev->event, s);
		if (json_is_array(v)) {
			json_array_foreach(v, k, x)
				if (k < ITEMS_MAX && (t = value_text_new(x)) !=
				    NULL) {
					add(out, t);
					free(t);
				}
		} else if ((t = value_text_new(v)) != NULL) {
			add(out, t);
			free(t);
		}
	}
}

/*
 * seed 003 "Labels": "hookpost", the object's label, then fields.labels
 * or the severity, data.type and data.module.
 */
static json_t *
labels_new(const struct conn_event *ev)
{
	const json_t	*conf;
	json_t		*l = json_array();
	char		 label[64];
	const char	*s;

	label_add(l, "hookpost");
	label_add(l, object_label(ev, label, sizeof(label)));
	conf = json_object_get(json_object_get(ev->config, "fields"),
	    "labels");
	if (json_is_array(conf)) {
		entries_each(ev, conf, l, label_add);
		return l;
	}
	label_add(l, conn_severity(ev));
	if ((s = data_str(ev, "type")) != NULL ||
	    (s = data_str(ev, "vulnerability_type")) != NULL)
		label_add(l, s);
	label_add(l, data_str(ev, "module"));
	return l;
}

static void
component_add(json_t *comps, const char *s)
{
	char		*line, *c;
	const json_t	*v;
	size_t		 i;

	if (s == NULL || json_array_size(comps) >= COMPONENTS_MAX)
		return;
	line = one_line_new(s);
	c = conn_truncate_new(line, JIRA_NAME_MAX);
	free(line);
	json_array_foreach(comps, i, v)
		if (strcmp(json_string_value(json_object_get(v, "name")),
		    c) == 0)
			break;
	if (*c != '\0' && i == json_array_size(comps))
		json_array_append_new(comps, json_pack("{s:s}", "name", c));
	free(c);
}

/* --- requests ------------------------------------------------------------ */

static const char *
state_str(const struct conn_event *ev, const char *key)
{
	return json_string_value(json_object_get(ev->state, key));
}

static void
state_set(const struct conn_event *ev, const char *key, const char *v)
{
	json_object_set_new(ev->state, key, json_string(v));
}

/* The site's base URL, without a trailing slash: new. */
static char *
base_new(const struct conn_event *ev)
{
	const char	*u;
	size_t		 n;

	u = setting(ev, "url", ev->url != NULL ? ev->url : "");
	n = strlen(u);
	while (n > 0 && u[n - 1] == '/')
		n--;
	return xstrndup(u, n);
}

static char *
api_url_new(const struct conn_event *ev, const char *path)
{
	char	*base, *u;

	base = base_new(ev);
	u = xasprintf("%s/rest/api/%d%s", base, api_version(ev->config),
	    path);
	free(base);
	return u;
}

/* RFC 3986: everything but the unreserved characters percent-encoded. */
static void
query_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char	 c;
	char		 e[3];

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			buf_append(b, s, 1);
		else {
			e[0] = '%';
			e[1] = hex[c >> 4];
			e[2] = hex[c & 15];
			buf_append(b, e, 3);
		}
	}
}

/* Authorization: Basic of email:api_token, or Bearer pat. */
static int
auth_add(const struct conn_event *ev, struct conn_request *out, char *err,
    size_t errsz)
{
	const char	*email, *token, *pat;
	char		*cred, *b64, *h;

	if ((pat = conn_config_str(ev, "pat")) != NULL) {
		if (!visible_ascii(pat)) {
			/* check() refuses it; a header is never injected. */
			errf(err, errsz, "'pat' holds a character other than "
			    "visible ASCII");
			return -1;
		}
		h = xasprintf("Bearer %s", pat);
		out->headers = conn_header_add(out->headers, "Authorization",
		    h);
		explicit_bzero(h, strlen(h));
		free(h);
		return 0;
	}
	email = conn_config_str(ev, "email");
	token = conn_config_str(ev, "api_token");
	if (email == NULL || token == NULL) {
		errf(err, errsz, "the integration has no 'email' and "
		    "'api_token' or 'pat'");
		return -1;
	}
	cred = xasprintf("%s:%s", email, token);
	b64 = crypt_b64_new(cred, strlen(cred));
	h = xasprintf("Basic %s", b64);
	out->headers = conn_header_add(out->headers, "Authorization", h);
	explicit_bzero(cred, strlen(cred));
	explicit_bzero(b64, strlen(b64));
	explicit_bzero(h, strlen(h));
	free(cred);
	free(b64);
	free(h);
	return 0;
}

static void
body_set(struct conn_request *out, json_t *body)
{
	out->body = json_dumps(body, JSON_COMPACT);
	out->bodylen = out->body != NULL ? strlen(out->body) : 0;
	out->headers = conn_header_add(out->headers, "Content-Type",
	    "application/json");
	json_decref(body);
}

/* The fields of a new issue for the event (seed 003 steps 2 and 3). */
static json_t *
issue_new(const struct conn_event *ev)
{
	const char	*type, *priority;
	const json_t	*conf;
	json_t		*f, *comps;
	char		*summary;

	/* The test issue is of the least severe kind that makes one. */
	mapping_get(ev->config, is_test(ev) ? setting(ev,
	    "auto_create_threshold", THRESHOLD_DEFAULT) : conn_severity(ev), &type,
	    &priority);
	summary = summary_new(ev);
	f = json_pack("{s:{s:s},s:{s:s},s:s,s:o,s:o}", "project", "key",
	    setting(ev, "project_key", ""), "issuetype", "name", type,
	    "summary", summary, "description", description_new(ev),
	    "labels", labels_new(ev));
	free(summary);
	if (priority != NULL)
		json_object_set_new(f, "priority", json_pack("{s:s}", "name",
		    priority));
	conf = json_object_get(json_object_get(ev->config, "fields"),
	    "components");
	if (json_is_array(conf)) {
		comps = json_array();
		entries_each(ev, conf, comps, component_add);
		if (json_array_size(comps) > 0)
			json_object_set_new(f, "components", comps);
		else
			json_decref(comps);
	}
	return json_pack("{s:o}", "fields", f);
}

/*
 * The issue hookpost recorded for the event's object, as a URL path
 * segment: its id (digits), else its key; NULL when none is recorded (or
 * it is not one Jira makes).
 */
static const char *
known_ref(const struct conn_event *ev)
{
	const char	*id = ev->ticket_ref_id;
	size_t		 n;

	if (id != NULL && (n = strspn(id, "0123456789")) > 0 && n < 32 &&
	    id[n] == '\0')
		return id;
	if (issue_key_ok(ev->ticket_ref))
		return ev->ticket_ref;
	return NULL;
}

/* What the comment says happened, per the lifecycle's step. */
static const char *
comment_note(const struct conn_event *ev)
{
	const char	*n = state_str(ev, "note");

	if (n == NULL)
		return "Updated";
	if (strcmp(n, "resolved") == 0)
		return "Resolved";
	if (strcmp(n, "reopened") == 0)
		return "Reopened: it recurred";
	if (strcmp(n, "resolved_here") == 0)
		return "Resolved at the source (not transitioned here: "
		    "auto_resolve is off)";
	if (strcmp(n, "resolved_again") == 0)
		return "Resolved at the source again";
	return "Updated";
}

static int
render(const struct conn_event *ev, struct conn_request *out, char *err,
    size_t errsz)
{
	const char	*op, *key;
	char		 label[64], *path = NULL, *base;
	struct buf	 q;

	if (ev->state == NULL) {
		errf(err, errsz, "no state for a multi-step connector");
		return -1;
	}
	if ((op = state_str(ev, "op")) == NULL) {
		op = is_test(ev) ? "myself" : known_ref(ev) != NULL ? "known" :
		    "search";
		state_set(ev, "op", op);
	}
	if (!project_key_ok(conn_config_str(ev, "project_key"))) {
		errf(err, errsz, "the integration has no valid 'project_key'");
		return -1;
	}
	key = state_str(ev, strncmp(op, "test_", 5) == 0 ? "test_key" :
	    "key");
	if (auth_add(ev, out, err, errsz) == -1)
		return -1;
	out->headers = conn_header_add(out->headers, "Accept",
	    "application/json");
	if (strcmp(op, "myself") == 0) {
		out->method = xstrdup("GET");
		out->url = api_url_new(ev, "/myself");
	} else if (strcmp(op, "project") == 0) {
		out->method = xstrdup("GET");
		path = xasprintf("/project/%s", conn_config_str(ev,
		    "project_key"));
		out->url = api_url_new(ev, path);
	} else if (strcmp(op, "known") == 0 && known_ref(ev) != NULL) {
		/* The recorded issue, read directly: no index involved. */
		out->method = xstrdup("GET");
		path = xasprintf("/issue/%s?fields=status%%2Cresolution%%2C"
		    "labels", known_ref(ev));
		out->url = api_url_new(ev, path);
	} else if (strcmp(op, "search") == 0) {
		memset(&q, 0, sizeof(q));
		base = base_new(ev);
		/* Cloud's enhanced search; Data Center's only search. */
		if (is_dc(ev->config))
			buf_appendf(&q, "%s/rest/api/2/search?jql=", base);
		else
			buf_appendf(&q, "%s/rest/api/%d/search/jql?jql=", base,
			    api_version(ev->config));
		free(base);
		path = xasprintf("labels = \"%s\" ORDER BY created ASC",
		    object_label(ev, label, sizeof(label)));
		query_escape(&q, path);
		buf_appendf(&q, "&fields=status%%2Cresolution&maxResults=%s",
		    SEARCH_MAX);
		buf_append(&q, "", 1);
		out->method = xstrdup("GET");
		out->url = q.data;
	} else if (strcmp(op, "create") == 0 || strcmp(op,
	    "test_create") == 0) {
		out->method = xstrdup("POST");
		out->url = api_url_new(ev, "/issue");
		body_set(out, issue_new(ev));
	} else if (!issue_key_ok(key)) {
		errf(err, errsz, "no issue to %s", op);
		return -1;
	} else if (strcmp(op, "test_delete") == 0) {
		out->method = xstrdup("DELETE");
		path = xasprintf("/issue/%s", key);
		out->url = api_url_new(ev, path);
	} else if (strcmp(op, "comment") == 0) {
		out->method = xstrdup("POST");
		path = xasprintf("/issue/%s/comment", key);
		out->url = api_url_new(ev, path);
		body_set(out, json_pack("{s:o}", "body", comment_new(ev,
		    comment_note(ev))));
	} else if (strcmp(op, "transitions") == 0) {
		out->method = xstrdup("GET");
		path = xasprintf("/issue/%s/transitions", key);
		out->url = api_url_new(ev, path);
	} else if (strcmp(op, "transition") == 0 && state_str(ev,
	    "transition_id") != NULL) {
		out->method = xstrdup("POST");
		path = xasprintf("/issue/%s/transitions", key);
		out->url = api_url_new(ev, path);
		body_set(out, json_pack("{s:{s:s}}", "transition", "id",
		    state_str(ev, "transition_id")));
	} else {
		errf(err, errsz, "no request for step '%.32s'", op);
		return -1;
	}
	free(path);
	if (out->body == NULL && out->method != NULL &&
	    strcmp(out->method, "POST") == 0) {
		errf(err, errsz, "the issue cannot be written as JSON");
		return -1;
	}
	return 0;
}

/* --- answers ------------------------------------------------------------- */

/* Appends Jira's own words from an error answer to b. */
static void
jira_words(struct buf *b, const json_t *j, const struct conn_answer *a)
{
	const json_t	*v;
	const char	*k, *s;
	size_t		 i, n = 0, len;

	json_array_foreach(json_object_get(j, "errorMessages"), i, v)
		if ((s = json_string_value(v)) != NULL && *s != '\0')
			buf_appendf(b, "%s%s", n++ ? "; " : ": ", s);
	json_object_foreach((json_t *)json_object_get(j, "errors"), k, v)
		if ((s = json_string_value(v)) != NULL)
			buf_appendf(b, "%s%s: %s", n++ ? "; " : ": ", k, s);
	if (n == 0 && (s = json_string_value(json_object_get(j,
	    "message"))) != NULL) {
		buf_appendf(b, ": %s", s);
		n++;
	}
	if (n > 0 || j != NULL || a->body == NULL || a->bodylen == 0 ||
	    a->body[0] == '<')
		return;
	/* A text answer (Cloud's 401): its first line. */
	len = strcspn(a->body, "\r\n");
	if (len > 200)
		len = 200;
	if (len > 0)
		buf_appendf(b, ": %.*s", (int)len, a->body);
}

/* Copies s into the reason, cut at a character. */
static void
reason_set(struct conn_result *res, const char *s)
{
	size_t	 n = strlen(s);

	if (n >= sizeof(res->reason))
		for (n = sizeof(res->reason) - 1; n > 0 &&
		    ((unsigned char)s[n] & 0xc0) == 0x80; n--)
			;
	memcpy(res->reason, s, n);
	res->reason[n] = '\0';
}

/* The issue the attempt works on, as the worker records it. */
static void
ref_set(const struct conn_event *ev, struct conn_result *res)
{
	const char	*key = state_str(ev, "key"), *id = state_str(ev, "id");
	char		*base;

	if (key == NULL)
		return;
	snprintf(res->ref, sizeof(res->ref), "%s", key);
	if (id != NULL)
		snprintf(res->ref_id, sizeof(res->ref_id), "%s", id);
	base = base_new(ev);
	snprintf(res->ref_url, sizeof(res->ref_url), "%s/browse/%s", base,
	    key);
	free(base);
	snprintf(res->ref_state, sizeof(res->ref_state), "%s",
	    json_is_true(json_object_get(ev->state, "resolved")) ? "resolved" :
	    "open");
}

/*
 * The Test Connection step (1 + its index in test_steps) whose request
 * op is, STEP_NONE when op is no test's: a failure there names it.
 */
static int
test_step_of(const char *op, const json_t *j)
{
	if (strcmp(op, "myself") == 0)
		return STEP_AUTH;
	if (strcmp(op, "project") == 0)
		return STEP_PROJECT;
	if (strcmp(op, "test_create") == 0)
		return json_object_get(json_object_get(j, "errors"),
		    "issuetype") != NULL ? STEP_ISSUE_TYPE : STEP_PERMISSION;
	if (strcmp(op, "test_delete") == 0)
		return STEP_PERMISSION;
	return STEP_NONE;
}

/* What the step is called in a reason. */
static char *
step_name_new(const struct conn_event *ev, const char *op, const json_t *j)
{
	const char	*key = state_str(ev, "key");

	if (strcmp(op, "myself") == 0)
		return xstrdup(STEP(STEP_AUTH));
	if (strcmp(op, "known") == 0)
		return xasprintf("issue %s", known_ref(ev) != NULL ?
		    known_ref(ev) : "");
	if (strcmp(op, "project") == 0)
		return xstrdup(STEP(STEP_PROJECT));
	if (strcmp(op, "test_create") == 0)
		return xasprintf("%s: creating a test issue",
		    STEP(test_step_of(op, j)));
	if (strcmp(op, "test_delete") == 0)
		return xasprintf("%s: deleting test issue %s",
		    STEP(STEP_PERMISSION),
		    state_str(ev, "test_key"));
	if (strcmp(op, "comment") == 0)
		return xasprintf("comment on %s", key);
	if (strcmp(op, "transitions") == 0)
		return xasprintf("transitions of %s", key);
	if (strcmp(op, "transition") == 0)
		return xasprintf("transition '%s' of %s", state_str(ev,
		    "want") != NULL ? state_str(ev, "want") : "", key);
	return xstrdup(op);
}

/* Another request in this attempt: op next. */
static void
next(const struct conn_event *ev, struct conn_result *res, const char *op)
{
	state_set(ev, "op", op);
	res->outcome = CONN_NEXT;
	res->reason[0] = '\0';
}

static void
failed(struct conn_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
failed(struct conn_result *res, const char *fmt, ...)
{
	va_list	 ap;
	char	 big[1024];

	va_start(ap, fmt);
	vsnprintf(big, sizeof(big), fmt, ap);
	va_end(ap);
	res->outcome = CONN_FAILED;
	res->delay = -1;
	reason_set(res, big);
}

/*
 * The object's issue (a search's first, or the recorded one read
 * directly: {"id", "key", "fields": {"status", "resolution"}}) into the
 * state; then the lifecycle's next step.  what names the request in a
 * reason.
 */
static void
issue_found(const struct conn_event *ev, const json_t *is, const char *what,
    struct conn_result *res)
{
	const json_t	*f, *resolution, *cat;
	const char	*key, *id, *rname;
	int		 resolved, resolution_event;

	resolution_event = conn_is_resolution(ev);
	key = json_string_value(json_object_get(is, "key"));
	id = json_string_value(json_object_get(is, "id"));
	if (!issue_key_ok(key)) {
		failed(res, "%s: an issue without a key Jira makes (is 'url' "
		    "the Jira site?)", what);
		return;
	}
	state_set(ev, "key", key);
	if (id != NULL && strlen(id) < 32)
		state_set(ev, "id", id);
	f = json_object_get(is, "fields");
	resolution = json_object_get(f, "resolution");
	cat = json_object_get(json_object_get(json_object_get(f, "status"),
	    "statusCategory"), "key");
	resolved = json_is_object(resolution) || (json_string_value(cat) !=
	    NULL && strcmp(json_string_value(cat), "done") == 0);
	rname = json_string_value(json_object_get(resolution, "name"));
	json_object_set_new(ev->state, "resolved", json_boolean(resolved));
	if (resolved && rname != NULL && strcasecmp(rname, setting(ev,
	    "wont_fix_resolution", WONT_FIX_DEFAULT)) == 0) {
		/* "Won't fix": left alone, whatever happens. */
		res->outcome = CONN_DELIVERED;
		ref_set(ev, res);
		return;
	}
	if (resolution_event && !resolved && json_is_true(json_object_get(
	    ev->config, "auto_resolve"))) {
		state_set(ev, "want", setting(ev, "resolve_transition",
		    RESOLVE_DEFAULT));
		state_set(ev, "note", "resolved");
		json_object_set_new(ev->state, "to_resolved", json_true());
		next(ev, res, "transitions");
	} else if (resolution_event) {
		state_set(ev, "note", resolved ? "resolved_again" :
		    "resolved_here");
		next(ev, res, "comment");
	} else if (resolved) {
		state_set(ev, "want", setting(ev, "reopen_transition",
		    REOPEN_DEFAULT));
		state_set(ev, "note", "reopened");
		json_object_set_new(ev->state, "to_resolved", json_false());
		next(ev, res, "transitions");
	} else
		next(ev, res, "comment");
}

/*
 * A search's answer: the object's issue (the oldest), or none; then the
 * lifecycle's next step.
 */
static void
searched(const struct conn_event *ev, const json_t *j,
    struct conn_result *res)
{
	const json_t	*issues;
	const char	*threshold;

	issues = json_object_get(j, "issues");
	if (!json_is_array(issues)) {
		failed(res, "search: an answer without Jira's \"issues\" (is "
		    "'url' the Jira site?)");
		return;
	}
	if (json_array_size(issues) == 0) {
		threshold = setting(ev, "auto_create_threshold", THRESHOLD_DEFAULT);
		if (conn_is_resolution(ev) || severity_rank(conn_severity(ev)) >
		    severity_rank(threshold)) {
			/* Nothing to resolve; or not worth an issue. */
			res->outcome = CONN_DELIVERED;
			return;
		}
		next(ev, res, "create");
		return;
	}
	issue_found(ev, json_array_get(issues, 0), "search", res);
}

/*
 * The recorded issue as Jira has it now: the object's while it carries
 * the object's label, else (the label removed, or another site behind
 * the url with an issue of that id) the search decides.
 */
static void
known_got(const struct conn_event *ev, const json_t *j,
    struct conn_result *res)
{
	const json_t	*v;
	char		 label[64];
	size_t		 i;

	if (!json_is_object(j) || !json_is_object(json_object_get(j,
	    "fields"))) {
		failed(res, "issue %s: an answer without Jira's issue (is "
		    "'url' the Jira site?)", known_ref(ev));
		return;
	}
	object_label(ev, label, sizeof(label));
	json_array_foreach(json_object_get(json_object_get(j, "fields"),
	    "labels"), i, v)
		if (json_is_string(v) && strcmp(json_string_value(v),
		    label) == 0) {
			issue_found(ev, j, "issue", res);
			return;
		}
	next(ev, res, "search");
}

/* The transition named as wanted (else one to a status of that name). */
static void
transitions_got(const struct conn_event *ev, const json_t *j,
    struct conn_result *res)
{
	const json_t	*ts, *t, *to;
	const char	*want = state_str(ev, "want"), *id = NULL, *name;
	struct buf	 avail;
	size_t		 i;
	int		 pass;

	ts = json_object_get(j, "transitions");
	if (want == NULL) {
		failed(res, "transitions of %s: no transition wanted",
		    state_str(ev, "key"));
		return;
	}
	if (!json_is_array(ts)) {
		failed(res, "transitions of %s: an answer without Jira's "
		    "\"transitions\"", state_str(ev, "key"));
		return;
	}
	for (pass = 0; pass < 2 && id == NULL; pass++)
		json_array_foreach(ts, i, t) {
			to = json_object_get(t, "to");
			name = json_string_value(json_object_get(pass == 0 ? t :
			    to, "name"));
			if (name != NULL && strcasecmp(name, want) == 0) {
				id = json_string_value(json_object_get(t,
				    "id"));
				break;
			}
		}
	if (id == NULL || *id == '\0' || strlen(id) > 32) {
		memset(&avail, 0, sizeof(avail));
		json_array_foreach(ts, i, t)
			if ((name = json_string_value(json_object_get(t,
			    "name"))) != NULL)
				buf_appendf(&avail, "%s'%s'", avail.len ? ", " :
				    "", name);
		failed(res, "transition '%s' of %s: not available (%s%s)", want,
		    state_str(ev, "key"), avail.len ? "available: " : "none "
		    "available", avail.len ? avail.data : "");
		buf_free(&avail);
		ref_set(ev, res);
		return;
	}
	state_set(ev, "transition_id", id);
	next(ev, res, "transition");
}

/*
 * seed 003 step 4: every issue type the mapping gives a severity that
 * may open an issue (auto_create_threshold) is one of the project's.
 */
static void
project_got(const struct conn_event *ev, const json_t *j,
    struct conn_result *res)
{
	const json_t	*types, *t;
	const char	*type, *prio, *name;
	struct buf	 have;
	size_t		 k;
	int		 i, last;

	if (!json_is_object(j) || json_object_get(j, "key") == NULL) {
		failed(res, "%s: an answer without Jira's project (is "
		    "'url' the Jira site?)", STEP(STEP_PROJECT));
		res->step = STEP_PROJECT;
		return;
	}
	types = json_object_get(j, "issueTypes");
	/* The severities that may open an issue. */
	last = severity_rank(setting(ev, "auto_create_threshold", THRESHOLD_DEFAULT));
	for (i = 0; json_is_array(types) && i <= last; i++) {
		mapping_get(ev->config, severities[i], &type, &prio);
		json_array_foreach(types, k, t)
			if ((name = json_string_value(json_object_get(t,
			    "name"))) != NULL && strcasecmp(name, type) == 0)
				break;
		if (k < json_array_size(types))
			continue;
		memset(&have, 0, sizeof(have));
		json_array_foreach(types, k, t)
			if ((name = json_string_value(json_object_get(t,
			    "name"))) != NULL)
				buf_appendf(&have, "%s%s", have.len ? ", " : "",
				    name);
		failed(res, "%s: '%s' (severity %s) is not an issue "
		    "type of project %s (it has: %s)", STEP(STEP_ISSUE_TYPE),
		    type, severities[i],
		    conn_config_str(ev, "project_key"), have.len ? have.data :
		    "none");
		res->step = STEP_ISSUE_TYPE;
		buf_free(&have);
		return;
	}
	next(ev, res, "test_create");
}

static void
classify(const struct conn_event *ev, const struct conn_answer *a,
    struct conn_result *res)
{
	const char	*op = state_str(ev, "op"), *key, *id;
	json_t		*j = NULL;
	struct buf	 b;
	char		*step;

	conn_classify_vendor(ev, a, res);
	if (op == NULL)
		op = "request";
	if (a->error == NULL && a->body != NULL && a->bodylen > 0)
		j = json_loadb(a->body, a->bodylen, 0, NULL);
	if (strcmp(op, "known") == 0 && a->error == NULL && a->status == 404) {
		/* Deleted (or not on this site): the search decides. */
		next(ev, res, "search");
		goto out;
	}
	if (a->error != NULL || a->status < 200 || a->status > 299) {
		/*
		 * Retried or failed as conn_classify_vendor said; a create
		 * that may have made the issue (no answer, a 5xx) is retried
		 * 60 s later at the earliest: its search must see the issue,
		 * and Jira Cloud's index is eventually consistent.
		 */
		if (res->outcome == CONN_RETRY && strcmp(op, "create") == 0 &&
		    (a->error != NULL || a->status >= 500))
			res->min_delay = JIRA_CREATE_RETRY_MIN;
		if (res->outcome == CONN_FAILED || res->outcome == CONN_GONE)
			res->step = test_step_of(op, j);
		step = step_name_new(ev, op, j);
		memset(&b, 0, sizeof(b));
		if (a->error != NULL)
			buf_appendf(&b, "%s: %s", step, a->error);
		else {
			buf_appendf(&b, "%s: HTTP %ld", step, a->status);
			jira_words(&b, j, a);
		}
		buf_append(&b, "", 1);
		reason_set(res, b.data);
		buf_free(&b);
		free(step);
		ref_set(ev, res);
		goto out;
	}
	res->outcome = CONN_DELIVERED;
	res->reason[0] = '\0';
	if (strcmp(op, "myself") == 0) {
		if (!json_is_object(j)) {
			failed(res, "%s: HTTP %ld without Jira's user (is "
			    "'url' the Jira site?)", STEP(STEP_AUTH), a->status);
			res->step = STEP_AUTH;
		} else
			next(ev, res, "project");
	} else if (strcmp(op, "project") == 0)
		project_got(ev, j, res);
	else if (strcmp(op, "search") == 0)
		searched(ev, j, res);
	else if (strcmp(op, "known") == 0)
		known_got(ev, j, res);
	else if (strcmp(op, "create") == 0 || strcmp(op, "test_create") == 0) {
		key = json_string_value(json_object_get(j, "key"));
		id = json_string_value(json_object_get(j, "id"));
		if (!issue_key_ok(key)) {
			failed(res, "%s%s: HTTP %ld without the new issue's key",
			    strcmp(op, "create") == 0 ? "create" :
			    STEP(STEP_PERMISSION), strcmp(op, "create") == 0 ?
			    "" : ": creating a test issue", a->status);
			res->step = test_step_of(op, NULL);
			goto out;
		}
		if (strcmp(op, "test_create") == 0) {
			state_set(ev, "test_key", key);
			next(ev, res, "test_delete");
			goto out;
		}
		state_set(ev, "key", key);
		if (id != NULL && strlen(id) < 32)
			state_set(ev, "id", id);
		json_object_set_new(ev->state, "resolved", json_false());
		ref_set(ev, res);
	} else if (strcmp(op, "transitions") == 0)
		transitions_got(ev, j, res);
	else if (strcmp(op, "transition") == 0) {
		json_object_set(ev->state, "resolved", json_object_get(
		    ev->state, "to_resolved"));
		next(ev, res, "comment");
	} else if (strcmp(op, "comment") == 0)
		ref_set(ev, res);
	else if (strcmp(op, "test_delete") != 0)
		failed(res, "an answer to an unknown step '%.32s'", op);
out:
	json_decref(j);
}

/*
 * GET /api/integrations/types: the mapping's default is the seed's table
 * above (mapping_default), so that the console's table and the rule are
 * one.
 */
/* The parts of "fields" (step 3), each with what blank means. */
static const struct {
	const char	*name, *label, *placeholder, *hint;
	int		 list;
} field_parts[] = {
	{ "summary", "Summary", "$.data.title", "Blank: the vulnerability "
	    "title and affected asset.", 0 },
	{ "description", "Description", "$.data.description", "Blank: full "
	    "finding details with evidence, remediation guidance and "
	    "compliance references.", 0 },
	{ "labels", "Labels", "secops, $.data.tags", "Blank: severity, "
	    "vulnerability type, affected module. Names or JSONPath, comma "
	    "separated.", 1 },
	{ "components", "Components", "Backend", "Blank: none. The affected "
	    "system component, if configured.", 1 },
};

static int
describe_fields(json_t *s)
{
	json_t	*parts;
	size_t	 k;

	if ((parts = json_array()) == NULL ||
	    json_object_set_new(s, "parts", parts) == -1)
		return -1;
	for (k = 0; k < sizeof(field_parts) / sizeof(field_parts[0]); k++)
		if (json_array_append_new(parts, json_pack("{s:s,s:s,s:s,s:s,"
		    "s:b}", "name", field_parts[k].name, "label",
		    field_parts[k].label, "placeholder",
		    field_parts[k].placeholder, "hint", field_parts[k].hint,
		    "list", field_parts[k].list)) == -1)
			return -1;
	return 0;
}

static int
describe(json_t *settings)
{
	json_t		*s, *map, *keys;
	const char	*name;
	size_t		 i, k;

	json_array_foreach(settings, i, s) {
		if ((name = json_string_value(json_object_get(s, "name"))) ==
		    NULL)
			return -1;
		/* One of the two credentials is required (check()). */
		if ((strcmp(name, "email") == 0 ||
		    strcmp(name, "api_token") == 0 ||
		    strcmp(name, "pat") == 0) &&
		    json_object_set_new(s, "credential", json_true()) == -1)
			return -1;
		if (strcmp(name, "fields") == 0 && describe_fields(s) == -1)
			return -1;
		if (strcmp(name, "mapping") != 0)
			continue;
		if ((map = json_object()) == NULL)
			return -1;
		if (json_object_set_new(s, "default", map) == -1)
			return -1;
		for (k = 0; k < sizeof(mapping_default) /
		    sizeof(mapping_default[0]); k++)
			if (json_object_set_new(map, mapping_default[k].severity,
			    json_pack("{s:s,s:s}", "issue_type",
			    mapping_default[k].issue_type, "priority",
			    mapping_default[k].priority)) == -1)
				return -1;
		/* The rows of the table, in order: the severities. */
		if ((keys = json_array()) == NULL ||
		    json_object_set_new(s, "keys", keys) == -1)
			return -1;
		for (k = 0; severities[k] != NULL; k++)
			if (json_array_append_new(keys,
			    json_string(severities[k])) == -1)
				return -1;
	}
	return 0;
}

const struct connector connector_jira = {
	.type = "jira",
	.title = "Jira",
	.fields = fields,
	.nfields = sizeof(fields) / sizeof(fields[0]),
	.secrets = secrets,
	.docs = docs,
	.groups = groups,
	.test_steps = test_steps,
	.describe = describe,
	.url_key = "url",
	.tickets = 1,
	.check = check,
	.render = render,
	.classify = classify,
};
