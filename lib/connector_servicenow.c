/*
 * connector servicenow: seed 003's "Incident and change management for
 * vulnerability remediation", through ServiceNow's Table API
 * (/api/now/table/<table>; the "Table API" reference of the ServiceNow
 * docs: GET a list, POST a record, PATCH a record by sys_id, DELETE).
 *
 * One object, one open record.  Every record hookpost makes carries the
 * object's stable id in correlation_id ("hookpost-" and the first 20 hex
 * digits of SHA-256(integration id "\n" object key)) and "hookpost" in
 * correlation_display.  Each attempt finds the record first: the one
 * hookpost recorded for the object (ev->ticket_ref_id), read by its
 * sys_id (GET <table>/<sys_id>), unless that answers 404, holds another
 * correlation_id or is closed (then a newer one may follow it); else a
 * search (GET with sysparm_query=correlation_id=<id>^ORDERBYDESC
 * sys_created_on, sysparm_limit=1, sysparm_fields=sys_id,number,state:
 * the newest).  It creates one only when there is none, so a worker
 * killed between ServiceNow's create and hookpost's record of it finds
 * the record on the retry instead of opening a second one.  Then, by the
 * event and the record's state:
 *
 *   no record, a resolution        nothing (delivered, no record)
 *   no record, any other event     POST: short_description (the title,
 *                                  and the asset, cut to 160 characters),
 *                                  description (plain text, 4000 at
 *                                  most), urgency and impact from the
 *                                  severity, assignment_group and the
 *                                  caller when set, correlation_id and
 *                                  correlation_display
 *   open, an update                PATCH work_notes
 *   open, a resolution             with auto_resolve (default false):
 *                                  PATCH state (resolve_state), close_code,
 *                                  close_notes and a work note; without,
 *                                  a work note only
 *   resolved, an update            the recurrence: PATCH state
 *                                  (reopen_state: In Progress for an
 *                                  incident) and a work note; a work note
 *                                  only when the table has no reopen_state
 *   closed, an update              a NEW record (as for none): Closed is
 *                                  final, ServiceNow reopens no closed
 *                                  incident ("Reopening an incident") and
 *                                  a closed change request is the end of
 *                                  its state model; the newest record is
 *                                  the one the search finds from then on
 *   resolved or closed, resolution nothing more
 *   canceled                       left alone: ServiceNow's "won't fix"
 *                                  (a duplicate, or not an incident)
 *
 * Severity to urgency/impact (ServiceNow's 1 High, 2 Medium, 3 Low; its
 * priority lookup makes P1, P2, P3, P5 of them):
 *
 *   critical 1/1   high 1/2   medium 2/2   low 3/3   info 3/3
 *
 * States (ServiceNow's base system): incident 1 New, 2 In Progress,
 * 3 On Hold, 6 Resolved, 7 Closed (final), 8 Canceled; change_request -5
 * New ... 0 Review, 3 Closed (final), 4 Canceled.  Resolving needs
 * close_code and close_notes (the "close info mandatory" data policy):
 * incident default "Solved (Permanently)" (newer releases list "Solution
 * provided" among their choices: set close_code to one your instance
 * lists), change_request default "successful".
 *
 * The record is kept under the object (res->ref the number, ref_id the
 * sys_id, ref_url <instance>/nav_to.do?uri=<table>.do?sys_id=<sys_id>).
 * Test Connection reads the table (authentication, table), creates a
 * test record (permission to create) and deletes it (permission to
 * delete), and names the step that failed.
 *
 * Answers ("REST API HTTP response codes"): 200/201/204 as documented;
 * a failure carries {"error": {"message", "detail"}, "status":
 * "failure"}, written into the reason; 400, 401, 403 and 404 are not
 * retried (a bad request, credentials, an ACL or data policy, an unknown
 * table or record); 429 (inbound rate limit, with Retry-After) and 5xx
 * are retried, as is a 2xx that is not ServiceNow's JSON (a hibernating
 * developer instance answers 200 with a web page).  Every request asks
 * for three fields back (sysparm_fields): an answer stays far below the
 * bytes the worker keeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "connector.h"
#include "crypt.h"
#include "util.h"

#define SN_API			"/api/now/table/"
#define SN_SHORT_MAX		160	/* task.short_description */
#define SN_TEXT_MAX		4000	/* description, close_notes, notes */
#define SN_CLOSE_CODE_MAX	40	/* task.close_code */
#define SN_SYS_ID_LEN		32
#define SN_NUMBER_MAX		40
#define SN_CORR_PREFIX		"hookpost-"
#define SN_CORR_HEX		20
#define SN_DISPLAY		"hookpost"
/* The table when none is set: sn_tables[0] (table_of). */
#define SN_TABLE_DEFAULT	"incident"
#define SN_FIELDS		"sys_id,number,state"
#define SN_KNOWN_FIELDS		"sys_id,number,state,correlation_id"
#define SN_URL_MAX		2048

/* What the table's records mean to hookpost (ServiceNow base system). */
struct sn_table {
	const char		*name;
	int			 resolve_state;
	const char		*close_code;
	int			 reopen_state;	/* SN_NONE: not reopened */
	const char *const	*done;		/* resolved, may be reopened */
	const char *const	*final;		/* closed: never reopened */
	const char *const	*canceled;
	const char		*caller;	/* the field caller_id fills */
};

#define SN_NONE		1000

static const char *const incident_done[] = { "6", NULL };
static const char *const incident_final[] = { "7", NULL };
static const char *const incident_canceled[] = { "8", NULL };
static const char *const change_done[] = { NULL };
static const char *const change_final[] = { "3", NULL };
static const char *const change_canceled[] = { "4", NULL };

static const struct sn_table sn_tables[] = {
	{ SN_TABLE_DEFAULT, 6, "Solved (Permanently)", 2, incident_done,
	    incident_final, incident_canceled, "caller_id" },
	{ "change_request", 3, "successful", SN_NONE, change_done,
	    change_final, change_canceled, "requested_by" },
};

static const char *const table_names[] = { SN_TABLE_DEFAULT,
    "change_request", NULL };

/* The groups docs name, in the order a form shows them. */
static const struct conn_group groups[] = {
	{ "connection", "Connection", "Username and password, or a token: "
	    "one of the two is required." },
	{ "records", "Records", NULL },
	{ "lifecycle", "Lifecycle", NULL },
	{ NULL, NULL, NULL }
};

static const struct vfield fields[] = {
	{ "instance_url", V_STRING, 1, 1, SN_URL_MAX, NULL, 0 },
	{ "username", V_STRING, 0, 1, 255, NULL, 1 },
	{ "password", V_STRING, 0, 1, 1024, NULL, 1 },
	{ "token", V_STRING, 0, 1, 4096, NULL, 1 },
	{ "table", V_ENUM, 0, 0, 0, table_names, 1 },
	{ "assignment_group", V_STRING, 0, SN_SYS_ID_LEN, SN_SYS_ID_LEN, NULL,
	    1 },
	{ "caller_id", V_STRING, 0, SN_SYS_ID_LEN, SN_SYS_ID_LEN, NULL, 1 },
	{ "auto_resolve", V_BOOL, 0, 0, 0, NULL, 1 },
	{ "resolve_state", V_INT, 0, -99, 99, NULL, 1 },
	{ "reopen_state", V_INT, 0, -99, 99, NULL, 1 },
	{ "close_code", V_STRING, 0, 1, SN_CLOSE_CODE_MAX, NULL, 1 },
	{ "close_notes", V_STRING, 0, 1, SN_TEXT_MAX, NULL, 1 },
};

/* The password and the OAuth token each open the instance: sealed. */
static const char *const secrets[] = { "password", "token", NULL };

/* For people (GET /api/integrations/types). */
static const struct conn_setting_doc docs[] = {
	{ "instance_url", "Instance URL", "https://<instance>.service-now.com",
	    NULL, "connection", NULL },
	{ "username", "Username", "Basic auth, with the password; or give a "
	    "token instead.", NULL, "connection", NULL },
	{ "password", "Password", NULL, NULL, "connection", NULL },
	{ "token", "OAuth token", "Sent as Authorization: Bearer.", NULL,
	    "connection", NULL },
	{ "table", "Table", NULL, "\"" SN_TABLE_DEFAULT "\"", "records",
	    NULL },
	{ "assignment_group", "Assignment group", "The sys_id (32 hex "
	    "digits) of a sys_user_group.", NULL, "records", NULL },
	{ "caller_id", "Caller", "The sys_id (32 hex digits) of a sys_user.",
	    NULL, "records", NULL },
	{ "auto_resolve", "Resolve records", "A resolution resolves the "
	    "record (else it adds a work note).", "false", "lifecycle", NULL },
	{ "resolve_state", "Resolve state", "6 (Resolved) for an incident, 3 "
	    "(Closed) for a change request.", NULL, "lifecycle", NULL },
	{ "reopen_state", "Reopen state", "2 (In Progress) for an incident.",
	    NULL, "lifecycle", NULL },
	{ "close_code", "Close code", "Solved (Permanently) for an incident, "
	    "successful for a change request.", NULL, "lifecycle", NULL },
	{ "close_notes", "Close notes", NULL, NULL, "lifecycle", NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

/*
 * The requests of one attempt (ev->state "op"): the record hookpost
 * recorded, read by its sys_id, or the search, then one write; Test
 * Connection's read, create and delete.
 */
enum sn_op {
	OP_FIND,
	OP_CREATE,
	OP_UPDATE,	/* a work note */
	OP_RESOLVE,
	OP_REOPEN,
	OP_TEST_READ,
	OP_TEST_CREATE,
	OP_TEST_DELETE,
	OP_KNOWN,	/* the recorded record, by sys_id */
	OP__MAX
};

static const char *const op_names[OP__MAX] = { "search", "create",
    "update", "resolve", "reopen", "table", "create", "delete", "record" };
static const char *const op_keys[OP__MAX] = { "find", "create", "update",
    "resolve", "reopen", "test_read", "test_create", "test_delete",
    "known" };

static const struct sn_table *
table_of(const json_t *config)
{
	const char	*t;
	size_t		 i;

	t = json_string_value(json_object_get(config, "table"));
	for (i = 0; t != NULL && i < sizeof(sn_tables) / sizeof(sn_tables[0]);
	    i++)
		if (strcmp(sn_tables[i].name, t) == 0)
			return &sn_tables[i];
	return &sn_tables[0];	/* incident, the default */
}

static int
is_hex(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	return s[n] == '\0';
}

/* 1 when s has no control character (a header or a log line's). */
static int
no_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static const char *
cstr(const json_t *config, const char *key)
{
	const char	*s;

	s = json_string_value(json_object_get(config, key));
	return s != NULL && *s != '\0' ? s : NULL;
}

static int
check(const json_t *config, char *err, size_t errsz)
{
	const char	*url, *user, *pass, *token, *k;
	size_t		 i;

	url = cstr(config, "instance_url");
	if (url != NULL && (strncasecmp(url, "https://", 8) != 0 &&
	    strncasecmp(url, "http://", 7) != 0)) {
		errf(err, errsz, "'instance_url' must be the instance's "
		    "https:// URL");
		return -1;
	}
	if (url != NULL && strpbrk(url, "?#") != NULL) {
		errf(err, errsz, "'instance_url' is the instance's address "
		    "alone (https://<instance>.service-now.com), without a "
		    "query or fragment");
		return -1;
	}
	user = cstr(config, "username");
	pass = cstr(config, "password");
	token = cstr(config, "token");
	/* Never a secret in the message: the API answers with it. */
	if (token != NULL && (user != NULL || pass != NULL)) {
		errf(err, errsz, "either 'username' and 'password' (Basic) or "
		    "'token' (OAuth bearer), not both");
		return -1;
	}
	if (token == NULL && (user == NULL || pass == NULL)) {
		errf(err, errsz, "'username' and 'password' (Basic), or "
		    "'token' (an OAuth bearer token), are required");
		return -1;
	}
	/* RFC 7617 2: a user-id holds no colon; neither holds a CTL. */
	if (user != NULL && (strchr(user, ':') != NULL || !no_ctl(user))) {
		errf(err, errsz, "'username' must hold no colon and no "
		    "control character");
		return -1;
	}
	if (pass != NULL && !no_ctl(pass)) {
		errf(err, errsz, "'password' must hold no control character");
		return -1;
	}
	/* RFC 6750 2.1 b64token: visible ASCII, goes into a header. */
	for (i = 0; token != NULL && token[i] != '\0'; i++)
		if ((unsigned char)token[i] <= 0x20 ||
		    (unsigned char)token[i] >= 0x7f) {
			errf(err, errsz, "'token' must be visible ASCII "
			    "characters (an OAuth access token)");
			return -1;
		}
	/* Reference fields take a sys_id (no display value lookup). */
	for (i = 0; i < 2; i++) {
		k = i == 0 ? "assignment_group" : "caller_id";
		if (cstr(config, k) != NULL && !is_hex(cstr(config, k),
		    SN_SYS_ID_LEN)) {
			errf(err, errsz, "'%s' must be a sys_id (32 hex "
			    "digits)", k);
			return -1;
		}
	}
	return 0;
}

/* --- the event as ServiceNow text -------------------------------------- */

/*
 * Plain text for a ServiceNow field: control characters other than
 * newline and tab become spaces, and the journal's [code]...[/code]
 * markup (which would show HTML in a work note) is broken up as
 * "[ code]": event text is never markup.  Cut to max characters.  New.
 */
static char *
sn_text_new(const char *s, size_t max)
{
	struct buf	 b = { 0 };
	char		*out;
	size_t		 skip;

	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t') {
			buf_append(&b, " ", 1);
			continue;
		}
		if (*s == 0x7f) {
			buf_append(&b, " ", 1);
			continue;
		}
		skip = s[1] == '/' ? 1 : 0;
		if (*s == '[' && strncasecmp(s + 1 + skip, "code]", 5) == 0) {
			buf_append(&b, s, 1 + skip);
			buf_append(&b, " ", 1);
			s += skip;
			continue;
		}
		buf_append(&b, s, 1);
	}
	buf_append(&b, "", 1);
	out = conn_truncate_new(b.data, max);
	buf_free(&b);
	return out;
}

static const char *
data_text(const struct conn_event *ev, const char *key)
{
	const char	*s;

	s = json_string_value(json_object_get(conn_data(ev), key));
	return s != NULL && *s != '\0' ? s : NULL;
}

/* The title, and the asset when the event names one. */
static void
title_append(struct buf *b, const struct conn_event *ev)
{
	const char	*asset = data_text(ev, "asset");

	buf_appendf(b, "%s", conn_title(ev));
	if (asset != NULL)
		buf_appendf(b, " on %s", asset);
}

/*
 * The lines every text carries: severity, event, object, link, time;
 * then the finding's details when the event has them, and its data.
 */
static void
details_append(struct buf *b, const struct conn_event *ev, int full)
{
	static const char *const parts[][2] = {
		{ "description", NULL }, { "details", NULL },
		{ "evidence", "Evidence" }, { "remediation", "Remediation" },
	};
	const json_t	*c, *v;
	const char	*s, *link;
	char		 key[CONN_REF_MAX], *data;
	size_t		 i, n = 0;

	buf_appendf(b, "Severity: %s\nEvent: %s\nObject: %s\n",
	    conn_severity(ev), ev->event_type, conn_object_key(ev, key,
	    sizeof(key)));
	if ((link = conn_link(ev)) != NULL)
		buf_appendf(b, "Link: %s\n", link);
	if (*conn_timestamp(ev) != '\0')
		buf_appendf(b, "Time: %s\n", conn_timestamp(ev));
	if (!full)
		goto data;
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if ((s = data_text(ev, parts[i][0])) != NULL)
			buf_appendf(b, "\n%s%s%s\n", parts[i][1] ? parts[i][1] :
			    "", parts[i][1] ? ": " : "", s);
	c = json_object_get(conn_data(ev), "compliance");
	if ((s = json_string_value(c)) != NULL && *s != '\0')
		buf_appendf(b, "\nCompliance: %s\n", s);
	else if (json_is_array(c)) {
		json_array_foreach(c, i, v)
			if ((s = json_string_value(v)) != NULL)
				buf_appendf(b, "%s%s", n++ ? ", " :
				    "\nCompliance: ", s);
		if (n > 0)
			buf_append(b, "\n", 1);
	}
data:
	if (json_object_size(conn_data(ev)) > 0 && (data = json_dumps(
	    conn_data(ev), JSON_INDENT(2))) != NULL) {
		buf_appendf(b, "\nEvent data:\n%s\n", data);
		free(data);
	}
}

/* The record's short_description: the title, and the asset; 160 at most. */
static char *
short_new(const struct conn_event *ev)
{
	struct buf	 b = { 0 };
	char		*s;

	title_append(&b, ev);
	buf_append(&b, "", 1);
	s = sn_text_new(b.data, SN_SHORT_MAX);
	buf_free(&b);
	return s;
}

/* previous: the object's closed record this one follows, or NULL. */
static char *
description_new(const struct conn_event *ev, const char *previous)
{
	struct buf	 b = { 0 };
	char		*s;

	title_append(&b, ev);
	buf_append(&b, "\n\n", 2);
	if (previous != NULL)
		buf_appendf(&b, "The object is back: this record follows %s, "
		    "which is closed (a closed record is never reopened).\n\n",
		    previous);
	details_append(&b, ev, 1);
	buf_append(&b, "", 1);
	s = sn_text_new(b.data, SN_TEXT_MAX);
	buf_free(&b);
	return s;
}

/* A work note: what hookpost did and why, then the event. */
static char *
note_new(const struct conn_event *ev, const char *what)
{
	struct buf	 b = { 0 };
	char		*s;

	buf_appendf(&b, "hookpost: %s\n", what);
	title_append(&b, ev);
	buf_append(&b, "\n", 1);
	details_append(&b, ev, 0);
	buf_append(&b, "", 1);
	s = sn_text_new(b.data, SN_TEXT_MAX);
	buf_free(&b);
	return s;
}

/* seed 003 severities to ServiceNow's urgency and impact (1 High). */
static void
severity_map(const char *sev, const char **urgency, const char **impact)
{
	static const char *const map[][3] = {
		{ "critical", "1", "1" }, { "high", "1", "2" },
		{ "medium", "2", "2" }, { "low", "3", "3" },
		{ "info", "3", "3" },
	};
	size_t	 i;

	*urgency = *impact = "3";
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(sev, map[i][0]) == 0) {
			*urgency = map[i][1];
			*impact = map[i][2];
		}
}

/*
 * The record's correlation_id for the event's object, into buf:
 * "hookpost-" and 20 hex digits of SHA-256(integration id "\n" object
 * key).  Stable across events, retries and workers.
 */
static const char *
correlation_id(const struct conn_event *ev, char *buf, size_t bufsz)
{
	char	 key[CONN_REF_MAX], hex[65], *in;

	conn_object_key(ev, key, sizeof(key));
	in = xasprintf("%s\n%s", ev->subscription_id != NULL ?
	    ev->subscription_id : "", key);
	crypt_sha256_hex(in, strlen(in), hex);
	free(in);
	snprintf(buf, bufsz, "%s%.*s", SN_CORR_PREFIX, SN_CORR_HEX, hex);
	return buf;
}

/* --- requests ---------------------------------------------------------- */

static int
is_test(const struct conn_event *ev)
{
	return strcmp(ev->event_type, "integration.test") == 0;
}

static enum sn_op
op_get(const struct conn_event *ev)
{
	const char	*s;
	int		 i;

	s = json_string_value(json_object_get(ev->state, "op"));
	for (i = 0; s != NULL && i < OP__MAX; i++)
		if (strcmp(s, op_keys[i]) == 0)
			return (enum sn_op)i;
	return is_test(ev) ? OP_TEST_READ : OP_FIND;
}

static void
op_set(const struct conn_event *ev, enum sn_op op)
{
	json_object_set_new(ev->state, "op", json_string(op_keys[op]));
}

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

/* The instance's address without a trailing slash, into buf. */
static const char *
instance(const struct conn_event *ev, char *buf, size_t bufsz)
{
	const char	*u;
	size_t		 n;

	if ((u = conn_config_str(ev, "instance_url")) == NULL)
		u = ev->url != NULL ? ev->url : "";
	n = strlen(u);
	while (n > 0 && u[n - 1] == '/')
		n--;
	snprintf(buf, bufsz, "%.*s", (int)n, u);
	return buf;
}

/* Basic (username:password, RFC 7617) or Bearer (RFC 6750). */
static int
auth_header(const struct conn_event *ev, struct conn_request *out,
    char *err, size_t errsz)
{
	const char	*user, *pass, *token;
	char		*pair, *b64, *h;

	token = conn_config_str(ev, "token");
	user = conn_config_str(ev, "username");
	pass = conn_config_str(ev, "password");
	if (token != NULL) {
		out->headers = conn_header_add(out->headers, "Authorization",
		    (h = xasprintf("Bearer %s", token)));
		explicit_bzero(h, strlen(h));
		free(h);
		return 0;
	}
	if (user == NULL || pass == NULL) {
		errf(err, errsz, "no credentials: 'username' and 'password', "
		    "or 'token'");
		return -1;
	}
	pair = xasprintf("%s:%s", user, pass);
	b64 = crypt_b64_new(pair, strlen(pair));
	explicit_bzero(pair, strlen(pair));
	free(pair);
	h = xasprintf("Basic %s", b64);
	explicit_bzero(b64, strlen(b64));
	free(b64);
	out->headers = conn_header_add(out->headers, "Authorization", h);
	explicit_bzero(h, strlen(h));
	free(h);
	return 0;
}

/* The body of a new record (the event's, or Test Connection's). */
static json_t *
record_new(const struct conn_event *ev)
{
	const struct sn_table	*t = table_of(ev->config);
	const char		*urgency, *impact, *v;
	char			 cid[64], *sd, *desc;
	json_t			*o;

	severity_map(conn_severity(ev), &urgency, &impact);
	sd = short_new(ev);
	if (is_test(ev))
		desc = xstrdup("A test record from hookpost's Test Connection "
		    "(seed 003): it is deleted at once.");
	else
		desc = description_new(ev, state_str(ev, "previous"));
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "short_description", sd,
	    "description", desc, "urgency", urgency, "impact", impact,
	    "correlation_id", correlation_id(ev, cid, sizeof(cid)),
	    "correlation_display", SN_DISPLAY);
	if (o != NULL && (v = conn_config_str(ev, "assignment_group")) != NULL)
		json_object_set_new(o, "assignment_group", json_string(v));
	if (o != NULL && (v = conn_config_str(ev, "caller_id")) != NULL)
		json_object_set_new(o, t->caller, json_string(v));
	free(sd);
	free(desc);
	return o;
}

static int
state_setting(const struct conn_event *ev, const char *key, int dflt)
{
	const json_t	*v = json_object_get(ev->config, key);

	return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

/* The body of a PATCH: a work note, and the state change of op. */
static json_t *
patch_new(const struct conn_event *ev, enum sn_op op)
{
	const struct sn_table	*t = table_of(ev->config);
	const char		*what, *code;
	char			 key[CONN_REF_MAX], st[16], *note, *closing;
	json_t			*o;

	switch (op) {
	case OP_RESOLVE:
		what = "resolved";
		break;
	case OP_REOPEN:
		what = "the object is back: reopened";
		break;
	default:
		if (conn_is_resolution(ev))
			what = "resolved at the source; not resolved here "
			    "(auto_resolve is off)";
		else if (state_str(ev, "kind") != NULL &&
		    strcmp(state_str(ev, "kind"), "resolved") == 0)
			what = "the object is back; this record is resolved "
			    "and is not reopened (reopen_state is not set)";
		else
			what = "update";
		break;
	}
	note = note_new(ev, what);
	o = json_pack("{s:s}", "work_notes", note);
	free(note);
	if (o == NULL)
		return NULL;
	if (op == OP_RESOLVE) {
		snprintf(st, sizeof(st), "%d", state_setting(ev,
		    "resolve_state", t->resolve_state));
		if ((code = conn_config_str(ev, "close_code")) == NULL)
			code = t->close_code;
		if (conn_config_str(ev, "close_notes") != NULL)
			closing = sn_text_new(conn_config_str(ev,
			    "close_notes"), SN_TEXT_MAX);
		else {
			closing = xasprintf("Resolved by hookpost: %s for %s "
			    "at %s.", ev->event_type, conn_object_key(ev, key,
			    sizeof(key)), *conn_timestamp(ev) != '\0' ?
			    conn_timestamp(ev) : "an unknown time");
			note = sn_text_new(closing, SN_TEXT_MAX);
			free(closing);
			closing = note;
		}
		json_object_set_new(o, "state", json_string(st));
		json_object_set_new(o, "close_code", json_string(code));
		json_object_set_new(o, "close_notes", json_string(closing));
		free(closing);
	} else if (op == OP_REOPEN) {
		snprintf(st, sizeof(st), "%d", state_setting(ev,
		    "reopen_state", t->reopen_state));
		json_object_set_new(o, "state", json_string(st));
	}
	return o;
}

/* The sys_id of the record hookpost recorded for the object, or NULL. */
static const char *
known_sys_id(const struct conn_event *ev)
{
	const char	*id = ev->ticket_ref_id;

	return id != NULL && is_hex(id, SN_SYS_ID_LEN) ? id : NULL;
}

static int
render(const struct conn_event *ev, struct conn_request *out, char *err,
    size_t errsz)
{
	const struct sn_table	*t = table_of(ev->config);
	const char		*sys_id;
	char			 base[SN_URL_MAX + 1], cid[64];
	json_t			*body = NULL;
	enum sn_op		 op;
	int			 rc = -1;

	if (ev->state == NULL) {
		errf(err, errsz, "no attempt state (a multi-step connector)");
		return -1;
	}
	if (ev->step == 0) {
		json_object_clear(ev->state);
		op_set(ev, is_test(ev) ? OP_TEST_READ : known_sys_id(ev) !=
		    NULL ? OP_KNOWN : OP_FIND);
	}
	op = op_get(ev);
	instance(ev, base, sizeof(base));
	if (*base == '\0') {
		errf(err, errsz, "no instance_url");
		goto out;
	}
	sys_id = state_str(ev, "sys_id");
	switch (op) {
	case OP_FIND:
		/*
		 * Encoded query "correlation_id=<id>^ORDERBYDESC
		 * sys_created_on": the newest record made for the object (a
		 * closed one is followed by a new one).
		 */
		out->method = xstrdup("GET");
		out->url = xasprintf("%s" SN_API "%s?sysparm_query="
		    "correlation_id%%3D%s%%5EORDERBYDESCsys_created_on"
		    "&sysparm_limit=1&sysparm_fields=" SN_FIELDS, base, t->name,
		    correlation_id(ev, cid, sizeof(cid)));
		break;
	case OP_TEST_READ:
		out->method = xstrdup("GET");
		out->url = xasprintf("%s" SN_API "%s?sysparm_limit=1"
		    "&sysparm_fields=sys_id", base, t->name);
		break;
	case OP_KNOWN:
		if (known_sys_id(ev) == NULL) {
			errf(err, errsz, "record: none recorded");
			goto out;
		}
		/* The Table API reads a record by sys_id as it is now. */
		out->method = xstrdup("GET");
		out->url = xasprintf("%s" SN_API "%s/%s?sysparm_fields="
		    SN_KNOWN_FIELDS "&sysparm_exclude_reference_link=true",
		    base, t->name, known_sys_id(ev));
		break;
	case OP_CREATE:
	case OP_TEST_CREATE:
		out->method = xstrdup("POST");
		out->url = xasprintf("%s" SN_API "%s?sysparm_fields=" SN_FIELDS
		    "&sysparm_exclude_reference_link=true", base, t->name);
		body = record_new(ev);
		break;
	case OP_UPDATE:
	case OP_RESOLVE:
	case OP_REOPEN:
	case OP_TEST_DELETE:
		if (sys_id == NULL || !is_hex(sys_id, SN_SYS_ID_LEN)) {
			errf(err, errsz, "%s: no record to change",
			    op_names[op]);
			goto out;
		}
		out->method = xstrdup(op == OP_TEST_DELETE ? "DELETE" :
		    "PATCH");
		out->url = xasprintf("%s" SN_API "%s/%s%s", base, t->name,
		    sys_id, op == OP_TEST_DELETE ? "" : "?sysparm_fields="
		    SN_FIELDS "&sysparm_exclude_reference_link=true");
		if (op != OP_TEST_DELETE)
			body = patch_new(ev, op);
		break;
	case OP__MAX:
		goto out;
	}
	if ((op == OP_CREATE || op == OP_TEST_CREATE || op == OP_UPDATE ||
	    op == OP_RESOLVE || op == OP_REOPEN) && (body == NULL ||
	    (out->body = json_dumps(body, JSON_COMPACT)) == NULL)) {
		errf(err, errsz, "%s: the record cannot be written as JSON",
		    op_names[op]);
		goto out;
	}
	if (out->body != NULL) {
		out->bodylen = strlen(out->body);
		out->headers = conn_header_add(out->headers, "Content-Type",
		    "application/json");
	}
	out->headers = conn_header_add(out->headers, "Accept",
	    "application/json");
	if (auth_header(ev, out, err, errsz) == -1)
		goto out;
	rc = 0;
out:
	json_decref(body);
	return rc;
}

/* --- answers ----------------------------------------------------------- */

/*
 * The reason into res: big written whole, control characters as spaces
 * (ServiceNow's details hold newlines and tabs), cut at a character.
 */
static void
reason_set(struct conn_result *res, const char *big)
{
	size_t	 n = strlen(big), i;

	if (n >= sizeof(res->reason))
		for (n = sizeof(res->reason) - 1; n > 0 &&
		    ((unsigned char)big[n] & 0xc0) == 0x80; n--)
			;
	memcpy(res->reason, big, n);
	res->reason[n] = '\0';
	for (i = 0; i < n; i++)
		if ((unsigned char)res->reason[i] < 0x20 ||
		    res->reason[i] == 0x7f)
			res->reason[i] = ' ';
}

/*
 * The record's class: "open", "resolved", "closed" (final: a state no
 * record leaves, whatever resolve_state says), "canceled".
 */
static const char *
record_kind(const struct conn_event *ev, const char *state)
{
	const struct sn_table	*t = table_of(ev->config);
	char			 rs[16];
	size_t			 i;

	snprintf(rs, sizeof(rs), "%d", state_setting(ev, "resolve_state",
	    t->resolve_state));
	for (i = 0; t->canceled[i] != NULL; i++)
		if (strcmp(state, t->canceled[i]) == 0)
			return "canceled";
	for (i = 0; t->final[i] != NULL; i++)
		if (strcmp(state, t->final[i]) == 0)
			return "closed";
	if (strcmp(state, rs) == 0)
		return "resolved";
	for (i = 0; t->done[i] != NULL; i++)
		if (strcmp(state, t->done[i]) == 0)
			return "resolved";
	return "open";
}

/* What the record found means for this event: the next op, or -1. */
static int
decide(const struct conn_event *ev, const char *kind)
{
	const struct sn_table	*t = table_of(ev->config);
	const json_t		*ar = json_object_get(ev->config,
				    "auto_resolve");

	if (strcmp(kind, "canceled") == 0)
		return -1;	/* "won't fix": left alone */
	if (conn_is_resolution(ev)) {
		if (strcmp(kind, "open") != 0)
			return -1;
		/* The contract: resolved only when auto_resolve is on. */
		return json_is_true(ar) ? OP_RESOLVE : OP_UPDATE;
	}
	if (strcmp(kind, "closed") == 0)
		return OP_CREATE;	/* final: the object's next record */
	if (strcmp(kind, "resolved") == 0)
		return state_setting(ev, "reopen_state", t->reopen_state) !=
		    SN_NONE ? OP_REOPEN : OP_UPDATE;
	return OP_UPDATE;
}

/* The record of an answer's "result" (an object, or a list's first). */
static const json_t *
result_record(const json_t *j, int list)
{
	const json_t	*r = json_object_get(j, "result");

	if (list)
		return json_is_array(r) ? json_array_get(r, 0) : NULL;
	return json_is_object(r) ? r : NULL;
}

/* Keeps a record's sys_id, number and state in the attempt's state. */
static int
record_keep(const struct conn_event *ev, const json_t *rec)
{
	const char	*id, *num, *st;

	id = json_string_value(json_object_get(rec, "sys_id"));
	num = json_string_value(json_object_get(rec, "number"));
	st = json_string_value(json_object_get(rec, "state"));
	if (id == NULL || !is_hex(id, SN_SYS_ID_LEN))
		return -1;
	json_object_set_new(ev->state, "sys_id", json_string(id));
	if (num != NULL && *num != '\0' && strlen(num) <= SN_NUMBER_MAX &&
	    no_ctl(num))
		json_object_set_new(ev->state, "number", json_string(num));
	if (st != NULL && strlen(st) < 16)
		json_object_set_new(ev->state, "state", json_string(st));
	return 0;
}

/* The record as the result names it: number, sys_id, link, state. */
static void
ticket_set(const struct conn_event *ev, struct conn_result *res,
    const char *ref_state)
{
	const struct sn_table	*t = table_of(ev->config);
	const char		*id, *num;
	char			 base[SN_URL_MAX + 1];
	int			 n;

	id = state_str(ev, "sys_id");
	num = state_str(ev, "number");
	if (id == NULL)
		return;
	snprintf(res->ref, sizeof(res->ref), "%s", num != NULL ? num : id);
	snprintf(res->ref_id, sizeof(res->ref_id), "%s", id);
	n = snprintf(res->ref_url, sizeof(res->ref_url),
	    "%s/nav_to.do?uri=%s.do?sys_id=%s", instance(ev, base,
	    sizeof(base)), t->name, id);
	if (n < 0 || (size_t)n >= sizeof(res->ref_url))
		res->ref_url[0] = '\0';	/* a cut link leads nowhere */
	snprintf(res->ref_state, sizeof(res->ref_state), "%s", ref_state);
}

/* The next request of the attempt. */
static void
next(const struct conn_event *ev, struct conn_result *res, enum sn_op op)
{
	op_set(ev, op);
	res->outcome = CONN_NEXT;
	res->reason[0] = '\0';
}

/*
 * ServiceNow's explanation of a refusal: "<step>: HTTP <code> <message>:
 * <detail>", the step named as Test Connection reports it
 * (authentication, table, permission) or as the request it was.
 */
static void
refusal(const struct conn_event *ev, const struct conn_answer *a,
    const json_t *j, enum sn_op op, struct conn_result *res)
{
	const json_t	*e = json_object_get(j, "error");
	const char	*msg, *detail, *what, *num;
	char		 big[CONN_BODY_KEEP + CONN_REASON_MAX];

	msg = json_string_value(json_object_get(e, "message"));
	detail = json_string_value(json_object_get(e, "detail"));
	if (a->status == 401)
		what = "authentication";
	else if (a->status == 403)
		what = "permission";
	else if ((a->status == 400 || a->status == 404) && (op == OP_FIND ||
	    op == OP_TEST_READ || op == OP_KNOWN))
		what = "table";
	else
		what = op_names[op];
	snprintf(big, sizeof(big), "%s: HTTP %ld%s%s%s%s", what, a->status,
	    msg != NULL && *msg != '\0' ? " " : "", msg != NULL ? msg : "",
	    detail != NULL && *detail != '\0' ? ": " : "", detail != NULL ?
	    detail : "");
	if (op == OP_TEST_DELETE && (num = state_str(ev, "number")) != NULL) {
		/* Said first: a long detail must not cut it off. */
		snprintf(big, sizeof(big), "%s: HTTP %ld: the test record %s "
		    "is left behind%s%s%s%s", what, a->status, num,
		    msg != NULL && *msg != '\0' ? ": " : "", msg != NULL ?
		    msg : "", detail != NULL && *detail != '\0' ? ": " : "",
		    detail != NULL ? detail : "");
	}
	reason_set(res, big);
}

/*
 * The object's record (kept in the state by record_keep) decides the
 * attempt's next request, or its end.
 */
static void
record_found(const struct conn_event *ev, struct conn_result *res)
{
	const char	*kind;
	int		 nx;

	kind = record_kind(ev, state_str(ev, "state") != NULL ?
	    state_str(ev, "state") : "");
	json_object_set_new(ev->state, "kind", json_string(kind));
	if ((nx = decide(ev, kind)) == OP_CREATE) {
		/* Closed for good: a new record follows it. */
		if (state_str(ev, "number") != NULL)
			state_set(ev, "previous", state_str(ev, "number"));
		json_object_del(ev->state, "sys_id");
		json_object_del(ev->state, "number");
		json_object_del(ev->state, "state");
		next(ev, res, OP_CREATE);
	} else if (nx >= 0)
		next(ev, res, (enum sn_op)nx);
	else
		ticket_set(ev, res, strcmp(kind, "open") == 0 ? "open" :
		    "resolved");
}

static void
classify(const struct conn_event *ev, const struct conn_answer *a,
    struct conn_result *res)
{
	const json_t	*rec;
	const char	*kind, *cid;
	char		 big[CONN_REASON_MAX + 64], corr[64];
	json_t		*j = NULL;
	enum sn_op	 op = op_get(ev);

	/* 429, 5xx and transport errors retried, other 4xx failed. */
	conn_classify_vendor(ev, a, res);
	if (a->error != NULL) {
		snprintf(big, sizeof(big), "%s: %s", op == OP_TEST_READ ?
		    "connection" : op_names[op], a->error);
		reason_set(res, big);
		return;
	}
	if (a->body != NULL && a->bodylen > 0)
		j = json_loadb(a->body, a->bodylen, 0, NULL);
	if (op == OP_KNOWN && a->status == 404) {
		/* Deleted (or not in this table now): the search decides. */
		next(ev, res, OP_FIND);
		goto out;
	}
	if (a->status < 200 || a->status > 299) {
		refusal(ev, a, j, op, res);
		goto out;
	}
	res->outcome = CONN_DELIVERED;	/* ServiceNow never calls back */
	switch (op) {
	case OP_FIND:
	case OP_TEST_READ:
		if (!json_is_array(json_object_get(j, "result")))
			goto not_sn;
		if (op == OP_TEST_READ) {
			next(ev, res, OP_TEST_CREATE);
			break;
		}
		if ((rec = result_record(j, 1)) == NULL) {
			/* None yet: a resolution has nothing to resolve. */
			if (!conn_is_resolution(ev))
				next(ev, res, OP_CREATE);
			break;
		}
		if (record_keep(ev, rec) == -1)
			goto not_sn;
		record_found(ev, res);
		break;
	case OP_KNOWN:
		if ((rec = result_record(j, 0)) == NULL)
			goto not_sn;
		cid = json_string_value(json_object_get(rec,
		    "correlation_id"));
		if (cid == NULL || strcmp(cid, correlation_id(ev, corr,
		    sizeof(corr))) != 0) {
			/* Not the object's (another instance behind the
			 * url, the id changed by hand): the search decides. */
			next(ev, res, OP_FIND);
			break;
		}
		if (record_keep(ev, rec) == -1)
			goto not_sn;
		if (strcmp(record_kind(ev, state_str(ev, "state") != NULL ?
		    state_str(ev, "state") : ""), "closed") == 0 &&
		    !conn_is_resolution(ev)) {
			/* A newer record may follow it: the search finds the
			 * newest. */
			json_object_clear(ev->state);
			next(ev, res, OP_FIND);
			break;
		}
		record_found(ev, res);
		break;
	case OP_CREATE:
	case OP_TEST_CREATE:
		if ((rec = result_record(j, 0)) == NULL ||
		    record_keep(ev, rec) == -1)
			goto not_sn;
		if (op == OP_TEST_CREATE)
			next(ev, res, OP_TEST_DELETE);
		else
			ticket_set(ev, res, "open");
		break;
	case OP_UPDATE:
	case OP_RESOLVE:
	case OP_REOPEN:
		if (result_record(j, 0) == NULL)
			goto not_sn;
		kind = state_str(ev, "kind");
		ticket_set(ev, res, op == OP_RESOLVE ? "resolved" :
		    op == OP_REOPEN || kind == NULL || strcmp(kind, "open") ==
		    0 ? "open" : "resolved");
		break;
	case OP_TEST_DELETE:
		break;	/* 204, no body */
	case OP__MAX:
		goto not_sn;
	}
	goto out;
not_sn:
	/*
	 * A 2xx that is not the Table API's answer: a hibernating instance's
	 * page, a proxy.  Retried: the search finds whatever was made.
	 */
	res->outcome = CONN_RETRY;
	res->delay = -1;
	snprintf(big, sizeof(big), "%s: HTTP %ld without ServiceNow's "
	    "{\"result\": ...} (not the Table API, or an instance asleep)",
	    op_names[op], a->status);
	reason_set(res, big);
out:
	json_decref(j);
}

const struct connector connector_servicenow = {
	.type = "servicenow",
	.title = "ServiceNow",
	.fields = fields,
	.nfields = sizeof(fields) / sizeof(fields[0]),
	.secrets = secrets,
	.docs = docs,
	.groups = groups,
	.url_key = "instance_url",
	.tickets = 1,
	.check = check,
	.render = render,
	.classify = classify,
};
