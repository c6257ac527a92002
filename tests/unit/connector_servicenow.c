/*
 * Unit tests of lib/connector_servicenow.c: its settings (Basic or
 * Bearer, sys_id references, the table), the requests of each step (the
 * search by correlation_id, the create with the severity table and the
 * 160-character short_description, the work note, the resolve, the
 * reopen), the decisions taken on the record found, what each answer
 * ServiceNow documents becomes (the error body in the reason, 4xx for
 * good, 429 and 5xx retried) and Test Connection's read, create and
 * delete with the failed step named.  One line per case; exits 0 only
 * when all pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "check.h"
#include "connector.h"
#include "util.h"

#define SUB	"33333333-3333-4333-8333-333333333333"
#define INST	"https://acme.service-now.com"
#define SYSID	"a9e30c7dc61122760116894de7bcc7bd"
#define GROUP	"287ebd7da9fe198100f92cc8d1d2154e"
#define CALLER	"46c6f9efa9fe198101ddf5eed9adf6e7"
/* "hookpost-" + SHA-256(SUB "\n" "finding/f1"), first 20 hex digits */
#define CORR_F1	"hookpost-c12b4424c54558fab032"
#define BASIC	"{\"instance_url\":\"" INST "/\",\"username\":\"admin\"," \
		"\"password\":\"s3cret-pass\"}"
#define BASIC_AUTH	"Authorization: Basic YWRtaW46czNjcmV0LXBhc3M="
#define AUTO	"{\"instance_url\":\"" INST "/\",\"username\":\"admin\"," \
		"\"password\":\"s3cret-pass\",\"auto_resolve\":true}"

static const struct connector *sn;

struct tev {
	struct conn_event	 ev;
	json_t			*event, *config, *state;
	char			*payload;
};

static void
tev_init(struct tev *t, const char *type, const char *otype,
    const char *oid, const char *data, const char *config)
{
	json_error_t	 e;

	memset(t, 0, sizeof(*t));
	t->event = json_pack("{s:s,s:s?,s:s?,s:s,s:s}", "event_type", type,
	    "object_type", otype, "object_id", oid, "owner_id", "o1",
	    "timestamp", "2024-05-01T12:00:00.000Z");
	json_object_set_new(t->event, "data", json_loads(data, 0, &e));
	t->config = json_loads(config, 0, &e);
	t->state = json_object();
	t->payload = json_dumps(t->event, JSON_COMPACT);
	t->ev.delivery_id = "11111111-1111-4111-8111-111111111111";
	t->ev.event_id = "22222222-2222-4222-8222-222222222222";
	t->ev.subscription_id = SUB;
	t->ev.event_type = type;
	t->ev.payload = t->payload;
	t->ev.event = t->event;
	t->ev.config = t->config;
	t->ev.url = INST;
	t->ev.ts = 1714564800;
	t->ev.state = t->state;
}

static void
tev_free(struct tev *t)
{
	json_decref(t->event);
	json_decref(t->config);
	json_decref(t->state);
	free(t->payload);
}

/* One request of step: rendered into rq (0), or refused (-1). */
static int
step(struct tev *t, int n, struct conn_request *rq, char *err, size_t errsz)
{
	memset(rq, 0, sizeof(*rq));
	err[0] = '\0';
	t->ev.step = n;
	return sn->render(&t->ev, rq, err, errsz);
}

/* The outcome of an answer (status, body) to the last request. */
static void
answer(struct tev *t, long status, const char *body, long retry_after,
    struct conn_result *res)
{
	struct conn_answer	 a;

	memset(&a, 0, sizeof(a));
	a.status = status;
	a.body = body;
	a.bodylen = body != NULL ? strlen(body) : 0;
	a.retry_after = retry_after;
	sn->classify(&t->ev, &a, res);
}

static int
has_header(const struct conn_request *rq, const char *h)
{
	const struct curl_slist	*l;

	for (l = rq->headers; l != NULL; l = l->next)
		if (strcmp(l->data, h) == 0)
			return 1;
	return 0;
}

static json_t *
body_of(const struct conn_request *rq)
{
	return rq->body != NULL ? json_loadb(rq->body, rq->bodylen,
	    JSON_REJECT_DUPLICATES, NULL) : NULL;
}

static const char *
sget(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static const char *
found(const char *state)
{
	static char	 buf[256];

	snprintf(buf, sizeof(buf), "{\"result\":[{\"sys_id\":\"" SYSID "\","
	    "\"number\":\"INC0010046\",\"state\":\"%s\"}]}", state);
	return buf;
}

static void
test_table(void)
{
	sn = connector_find("servicenow");
	check(sn != NULL, "the table has a servicenow connector");
	if (sn == NULL)
		return;
	check(sn->tickets == 1 && sn->test_resolves == 0, "it keeps tickets "
	    "(.tickets), and its test cleans up itself");
	check(connector_is_secret(sn, "password") &&
	    connector_is_secret(sn, "token") &&
	    !connector_is_secret(sn, "username") &&
	    !connector_is_secret(sn, "instance_url"), "password and token are "
	    "its secret settings");
	check(str_eq(sn->url_key, "instance_url") && sn->url_default == NULL,
	    "instance_url is its URL, without a default");
}

static void
test_check(void)
{
	static const struct {
		const char	*config;
		int		 want;
	} cases[] = {
		{ BASIC, 0 },
		{ "{\"instance_url\":\"" INST "\",\"token\":\"abc.DEF-_~+/=\"}",
		    0 },
		{ "{\"instance_url\":\"" INST "\",\"token\":\"t\","
		    "\"username\":\"u\",\"password\":\"p\"}", -1 },
		{ "{\"instance_url\":\"" INST "\",\"username\":\"u\"}", -1 },
		{ "{\"instance_url\":\"" INST "\",\"password\":\"p\"}", -1 },
		{ "{\"instance_url\":\"" INST "\"}", -1 },
		{ "{\"instance_url\":\"" INST "\",\"username\":\"a:b\","
		    "\"password\":\"p\"}", -1 },
		{ "{\"instance_url\":\"" INST "\",\"username\":\"u\","
		    "\"password\":\"p\\r\\nX: y\"}", -1 },
		{ "{\"instance_url\":\"" INST "\",\"token\":\"a b\"}", -1 },
		{ "{\"instance_url\":\"" INST "\",\"token\":\"a\\nb\"}", -1 },
		{ "{\"instance_url\":\"" INST "?x=1\",\"token\":\"t\"}", -1 },
		{ "{\"instance_url\":\"ftp://acme\",\"token\":\"t\"}", -1 },
		{ "{\"instance_url\":\"" INST "\",\"token\":\"t\","
		    "\"assignment_group\":\"" GROUP "\",\"caller_id\":\""
		    CALLER "\"}", 0 },
		{ "{\"instance_url\":\"" INST "\",\"token\":\"t\","
		    "\"assignment_group\":\"zzzzzzzzzzzzzzzz"
		    "zzzzzzzzzzzzzzzz\"}", -1 },
	};
	json_t	*c;
	char	 err[256];
	size_t	 i;
	int	 rc;

	for (i = 0; i < NITEMS(cases); i++) {
		c = json_loads(cases[i].config, 0, NULL);
		err[0] = '\0';
		rc = sn->check(c, err, sizeof(err));
		check(rc == cases[i].want && (rc == 0 || (err[0] != '\0' &&
		    strstr(err, "s3cret") == NULL)), "check %s: %s",
		    cases[i].config, rc == 0 ? "accepted" : err);
		json_decref(c);
	}
}

/* A new object's first event: search, none found, create, recorded. */
static void
test_create(void)
{
	struct tev		 t;
	struct conn_request	 rq;
	struct conn_result	 res;
	char			 err[256];
	json_t			*b;

	tev_init(&t, "finding.created", "finding", "f1",
	    "{\"title\":\"SQL injection in /login\",\"severity\":\"critical\","
	    "\"asset\":\"api.example.com\",\"url\":\"https://tw.example.com/"
	    "f/1\",\"remediation\":\"Use bound parameters\",\"compliance\":"
	    "[\"PCI DSS 6.5.1\",\"OWASP A03\"]}", "{\"instance_url\":\"" INST
	    "/\",\"username\":\"admin\",\"password\":\"s3cret-pass\","
	    "\"assignment_group\":\"" GROUP "\",\"caller_id\":\"" CALLER
	    "\"}");
	check(step(&t, 0, &rq, err, sizeof(err)) == 0, "step 0 renders: %s",
	    err);
	check(str_eq(rq.method, "GET") && str_eq(rq.url, INST
	    "/api/now/table/incident?sysparm_query=correlation_id%3D" CORR_F1
	    "%5EORDERBYDESCsys_created_on&sysparm_limit=1&sysparm_fields="
	    "sys_id,number,state"), "step 0 searches by correlation_id, the "
	    "newest first: %s",
	    rq.url);
	check(rq.body == NULL && has_header(&rq, BASIC_AUTH) &&
	    has_header(&rq, "Accept: application/json"), "a GET with Basic "
	    "auth and Accept: application/json");
	conn_request_free(&rq);
	answer(&t, 200, "{\"result\":[]}", -1, &res);
	check(res.outcome == CONN_NEXT && res.ref[0] == '\0', "none found: "
	    "another request");
	check(step(&t, 1, &rq, err, sizeof(err)) == 0 && str_eq(rq.method,
	    "POST") && str_eq(rq.url, INST "/api/now/table/incident?"
	    "sysparm_fields=sys_id,number,state&sysparm_exclude_reference_link"
	    "=true") && has_header(&rq, "Content-Type: application/json"),
	    "step 1 creates (POST, three fields back)");
	b = body_of(&rq);
	check(str_eq(sget(b, "short_description"), "SQL injection in /login "
	    "on api.example.com") && str_eq(sget(b, "urgency"), "1") &&
	    str_eq(sget(b, "impact"), "1") && str_eq(sget(b, "correlation_id"),
	    CORR_F1) && str_eq(sget(b, "correlation_display"), "hookpost") &&
	    str_eq(sget(b, "assignment_group"), GROUP) &&
	    str_eq(sget(b, "caller_id"), CALLER) &&
	    json_object_size(b) == 8, "the record: short_description, "
	    "urgency/impact 1/1, correlation, group, caller: %s", rq.body);
	check(sget(b, "description") != NULL &&
	    strstr(sget(b, "description"), "Severity: critical\n") != NULL &&
	    strstr(sget(b, "description"), "Object: finding/f1\n") != NULL &&
	    strstr(sget(b, "description"), "Link: https://tw.example.com/f/1")
	    != NULL && strstr(sget(b, "description"), "Remediation: Use "
	    "bound parameters") != NULL && strstr(sget(b, "description"),
	    "Compliance: PCI DSS 6.5.1, OWASP A03") != NULL,
	    "the description: severity, object, link, remediation, "
	    "compliance");
	json_decref(b);
	conn_request_free(&rq);
	answer(&t, 201, "{\"result\":{\"sys_id\":\"" SYSID "\",\"number\":"
	    "\"INC0010002\",\"state\":\"1\"}}", -1, &res);
	check(res.outcome == CONN_DELIVERED && str_eq(res.ref, "INC0010002")
	    && str_eq(res.ref_id, SYSID) && str_eq(res.ref_url, INST
	    "/nav_to.do?uri=incident.do?sys_id=" SYSID) &&
	    str_eq(res.ref_state, "open"), "201: delivered, number, sys_id "
	    "and link recorded: %s %s", res.ref, res.ref_url);
	tev_free(&t);
}

/* One event rendered to its create body (step 1 after "none found"). */
static json_t *
create_body(const char *type, const char *data, const char *config)
{
	struct tev		 t;
	struct conn_request	 rq;
	struct conn_result	 res;
	char			 err[256];
	json_t			*b = NULL;

	tev_init(&t, type, "finding", "f1", data, config);
	if (step(&t, 0, &rq, err, sizeof(err)) == 0) {
		conn_request_free(&rq);
		answer(&t, 200, "{\"result\":[]}", -1, &res);
		if (res.outcome == CONN_NEXT && step(&t, 1, &rq, err,
		    sizeof(err)) == 0) {
			b = body_of(&rq);
			conn_request_free(&rq);
		}
	}
	tev_free(&t);
	return b;
}

static void
test_fields(void)
{
	static const struct {
		const char	*sev, *urgency, *impact;
	} map[] = {
		{ "critical", "1", "1" }, { "high", "1", "2" },
		{ "medium", "2", "2" }, { "low", "3", "3" },
		{ "info", "3", "3" }, { "bogus", "3", "3" },
	};
	char	 data[512], *title;
	json_t	*b;
	size_t	 i, n;

	for (i = 0; i < NITEMS(map); i++) {
		snprintf(data, sizeof(data), "{\"title\":\"t\",\"severity\":"
		    "\"%s\"}", map[i].sev);
		b = create_body("finding.created", data, BASIC);
		check(str_eq(sget(b, "urgency"), map[i].urgency) &&
		    str_eq(sget(b, "impact"), map[i].impact), "severity %s: "
		    "urgency %s, impact %s", map[i].sev, map[i].urgency,
		    map[i].impact);
		json_decref(b);
	}
	/* 200 characters, every other one two bytes. */
	title = xmalloc(301);
	for (i = 0, n = 0; i < 200; i++)
		n += (size_t)snprintf(title + n, 301 - n, "%s", i % 2 ?
		    "\xc3\xa9" : "a");
	snprintf(data, sizeof(data), "{\"title\":\"%s\"}", title);
	b = create_body("finding.created", data, BASIC);
	check(sget(b, "short_description") != NULL &&
	    utf8_chars(sget(b, "short_description")) == 160 &&
	    strstr(sget(b, "short_description"), "\xe2\x80\xa6") != NULL,
	    "a long title is cut to 160 characters, ending with an ellipsis");
	json_decref(b);
	free(title);
	b = create_body("finding.created", "{\"title\":\"[code]<img src=x "
	    "onerror=alert(1)>[/CODE]\\u0007 bell\"}", BASIC);
	check(str_eq(sget(b, "short_description"), "[ code]<img src=x "
	    "onerror=alert(1)>[/ CODE]  bell"), "journal markup and control "
	    "characters in the title are neutralised: %s",
	    sget(b, "short_description"));
	json_decref(b);
	b = create_body("finding.created", "{\"title\":\"t\"}",
	    "{\"instance_url\":\"" INST "\",\"token\":\"tok\",\"table\":"
	    "\"change_request\",\"caller_id\":\"" CALLER "\"}");
	check(sget(b, "requested_by") != NULL && sget(b, "caller_id") ==
	    NULL && str_eq(sget(b, "requested_by"), CALLER),
	    "change_request: the caller goes into requested_by");
	json_decref(b);
	b = create_body("finding.created", "{\"title\":\"t\"}", BASIC);
	check(sget(b, "assignment_group") == NULL && sget(b, "caller_id") ==
	    NULL && json_object_size(b) == 6, "group and caller only when "
	    "set");
	json_decref(b);
}

/*
 * An event of type with data on a record found in state: what the
 * second request is (method, body in *body), and what its answer makes.
 */
static void
lifecycle(const char *name, const char *type, const char *config,
    const char *state, const char *want_method, const char *want_keys,
    const char *want_state, const char *want_ref_state)
{
	struct tev		 t;
	struct conn_request	 rq;
	struct conn_result	 res;
	char			 err[256], keys[256];
	const char		*k;
	json_t			*b, *v;
	size_t			 n = 0;

	tev_init(&t, type, "finding", "f1", "{\"title\":\"SQLi\","
	    "\"severity\":\"high\"}", config);
	if (step(&t, 0, &rq, err, sizeof(err)) == -1) {
		check(0, "%s: renders: %s", name, err);
		tev_free(&t);
		return;
	}
	conn_request_free(&rq);
	answer(&t, 200, found(state), -1, &res);
	if (want_method == NULL) {
		check(res.outcome == CONN_DELIVERED && str_eq(res.ref,
		    "INC0010046") && str_eq(res.ref_state, want_ref_state),
		    "%s: delivered without a change, ref_state %s", name,
		    res.ref_state);
		tev_free(&t);
		return;
	}
	check(res.outcome == CONN_NEXT, "%s: another request", name);
	if (step(&t, 1, &rq, err, sizeof(err)) == -1) {
		check(0, "%s: step 1 renders: %s", name, err);
		tev_free(&t);
		return;
	}
	b = body_of(&rq);
	keys[0] = '\0';
	json_object_foreach(b, k, v)
		n += (size_t)snprintf(keys + n, sizeof(keys) - n, "%s%s",
		    n ? "," : "", k);
	check(str_eq(rq.method, want_method) && str_eq(rq.url, INST
	    "/api/now/table/incident/" SYSID "?sysparm_fields=sys_id,number,"
	    "state&sysparm_exclude_reference_link=true") &&
	    str_eq(keys, want_keys) && str_eq(sget(b, "state"), want_state),
	    "%s: %s {%s} state %s", name, rq.method, keys,
	    sget(b, "state") ? sget(b, "state") : "-");
	json_decref(b);
	conn_request_free(&rq);
	answer(&t, 200, "{\"result\":{\"sys_id\":\"" SYSID "\",\"number\":"
	    "\"INC0010046\",\"state\":\"2\"}}", -1, &res);
	check(res.outcome == CONN_DELIVERED && str_eq(res.ref, "INC0010046")
	    && str_eq(res.ref_state, want_ref_state), "%s: delivered, "
	    "ref_state %s", name, res.ref_state);
	tev_free(&t);
}

/*
 * A recurrence on a record found closed (state): step 1 creates a new
 * record naming the closed one (number), and the new one is recorded.
 */
static void
closed_recurrence(const char *name, const char *state, const char *number,
    const char *config)
{
	struct tev		 t;
	struct conn_request	 rq;
	struct conn_result	 res;
	char			 err[256];
	json_t			*b;

	tev_init(&t, "finding.created", "finding", "f1", "{\"title\":"
	    "\"SQLi\",\"severity\":\"high\"}", config);
	step(&t, 0, &rq, err, sizeof(err));
	conn_request_free(&rq);
	answer(&t, 200, found(state), -1, &res);
	check(res.outcome == CONN_NEXT && res.ref[0] == '\0', "%s: closed "
	    "(%s) + recurrence: another request", name, state);
	if (step(&t, 1, &rq, err, sizeof(err)) == -1) {
		check(0, "%s: step 1 renders: %s", name, err);
		tev_free(&t);
		return;
	}
	b = body_of(&rq);
	check(str_eq(rq.method, "POST") && strstr(rq.url, "?sysparm_fields=")
	    != NULL && strstr(rq.url, SYSID) == NULL && sget(b, "state") ==
	    NULL && str_eq(sget(b, "correlation_id"), CORR_F1) &&
	    sget(b, "description") != NULL && strstr(sget(b, "description"),
	    number) != NULL, "%s: closed is final: a NEW record (POST), with "
	    "the same correlation_id, naming the closed one: %s %s", name,
	    rq.method, rq.url);
	json_decref(b);
	conn_request_free(&rq);
	answer(&t, 201, "{\"result\":{\"sys_id\":\"" "0123456789abcdef0123456789"
	    "abcdef\",\"number\":\"INC0010047\",\"state\":\"1\"}}", -1, &res);
	check(res.outcome == CONN_DELIVERED && str_eq(res.ref, "INC0010047") &&
	    str_eq(res.ref_id, "0123456789abcdef0123456789abcdef") &&
	    str_eq(res.ref_state, "open"), "%s: the new record is the "
	    "object's (%s %s)", name, res.ref, res.ref_state);
	tev_free(&t);
}

static void
test_lifecycle(void)
{
	struct tev		 t;
	struct conn_request	 rq;
	struct conn_result	 res;
	char			 err[256];
	json_t			*b;

	lifecycle("open + update", "finding.status_changed", BASIC, "2",
	    "PATCH", "work_notes", NULL, "open");
	lifecycle("new + update", "finding.created", BASIC, "1", "PATCH",
	    "work_notes", NULL, "open");
	lifecycle("open + resolved, auto_resolve", "finding.resolved", AUTO,
	    "2", "PATCH", "work_notes,state,close_code,close_notes", "6",
	    "resolved");
	lifecycle("open + resolved, auto_resolve not set (default false): a "
	    "work note", "finding.resolved", BASIC, "2", "PATCH", "work_notes",
	    NULL, "open");
	lifecycle("open + resolved, auto_resolve off", "finding.resolved",
	    "{\"instance_url\":\"" INST "\",\"token\":\"t\",\"auto_resolve\":"
	    "false}", "2", "PATCH", "work_notes", NULL, "open");
	lifecycle("resolved + recurrence", "finding.created", BASIC, "6",
	    "PATCH", "work_notes,state", "2", "open");
	lifecycle("resolved + resolved", "finding.resolved", AUTO, "6",
	    NULL, NULL, NULL, "resolved");
	lifecycle("closed + resolved: nothing to do", "finding.resolved", AUTO,
	    "7", NULL, NULL, NULL, "resolved");
	lifecycle("canceled + recurrence (won't fix)", "finding.created",
	    BASIC, "8", NULL, NULL, NULL, "resolved");
	lifecycle("resolve_state 7", "finding.resolved", "{\"instance_url\":"
	    "\"" INST "\",\"token\":\"t\",\"resolve_state\":7,\"reopen_state\""
	    ":1,\"auto_resolve\":true}", "2", "PATCH",
	    "work_notes,state,close_code,close_notes", "7", "resolved");
	lifecycle("reopen_state 1", "finding.created", "{\"instance_url\":"
	    "\"" INST "\",\"token\":\"t\",\"reopen_state\":1}", "6", "PATCH",
	    "work_notes,state", "1", "open");

	/* The resolve's close fields: defaults, then settings. */
	tev_init(&t, "finding.resolved", "finding", "f1", "{}", AUTO);
	step(&t, 0, &rq, err, sizeof(err));
	conn_request_free(&rq);
	answer(&t, 200, found("1"), -1, &res);
	step(&t, 1, &rq, err, sizeof(err));
	b = body_of(&rq);
	check(str_eq(sget(b, "close_code"), "Solved (Permanently)") &&
	    str_eq(sget(b, "close_notes"), "Resolved by hookpost: "
	    "finding.resolved for finding/f1 at 2024-05-01T12:00:00.000Z."),
	    "default close_code and close_notes: %s", rq.body);
	json_decref(b);
	conn_request_free(&rq);
	tev_free(&t);
	tev_init(&t, "finding.resolved", "finding", "f1", "{}",
	    "{\"instance_url\":\"" INST "\",\"token\":\"t\",\"close_code\":"
	    "\"Solution provided\",\"close_notes\":\"Fixed upstream\","
	    "\"auto_resolve\":true}");
	step(&t, 0, &rq, err, sizeof(err));
	conn_request_free(&rq);
	answer(&t, 200, found("3"), -1, &res);
	step(&t, 1, &rq, err, sizeof(err));
	b = body_of(&rq);
	check(str_eq(sget(b, "close_code"), "Solution provided") &&
	    str_eq(sget(b, "close_notes"), "Fixed upstream") &&
	    str_eq(sget(b, "state"), "6") && has_header(&rq,
	    "Authorization: Bearer t"), "close_code and close_notes as set; "
	    "Bearer token");
	json_decref(b);
	conn_request_free(&rq);
	tev_free(&t);

	/* Closed is final: a recurrence opens the object's next record. */
	closed_recurrence("incident", "7", "INC0010046", BASIC);
	closed_recurrence("incident, resolve_state 7", "7", "INC0010046",
	    "{\"instance_url\":\"" INST "\",\"token\":\"t\",\"resolve_state\":"
	    "7,\"reopen_state\":1}");
	closed_recurrence("change_request", "3", "INC0010046",
	    "{\"instance_url\":\"" INST "\",\"token\":\"t\",\"table\":"
	    "\"change_request\"}");
	closed_recurrence("change_request, reopen_state set", "3",
	    "INC0010046", "{\"instance_url\":\"" INST "\",\"token\":\"t\","
	    "\"table\":\"change_request\",\"reopen_state\":-1}");

	/* A change request resolved into a state before Closed. */
	tev_init(&t, "finding.created", "finding", "f1", "{}",
	    "{\"instance_url\":\"" INST "\",\"token\":\"t\",\"table\":"
	    "\"change_request\",\"resolve_state\":0}");
	step(&t, 0, &rq, err, sizeof(err));
	check(rq.url != NULL && strstr(rq.url, "/api/now/table/change_request"
	    "?sysparm_query=") != NULL, "change_request: searched in its "
	    "table");
	conn_request_free(&rq);
	answer(&t, 200, found("0"), -1, &res);
	check(res.outcome == CONN_NEXT, "change_request resolved (Review, "
	    "its resolve_state) + recurrence: a request");
	step(&t, 1, &rq, err, sizeof(err));
	b = body_of(&rq);
	check(str_eq(rq.method, "PATCH") && json_object_size(b) == 1 &&
	    sget(b, "work_notes") != NULL && strstr(sget(b, "work_notes"),
	    "not reopened") != NULL, "... a work note only (no reopen_state "
	    "for a change request)");
	json_decref(b);
	conn_request_free(&rq);
	answer(&t, 200, "{\"result\":{\"sys_id\":\"" SYSID "\"}}", -1, &res);
	check(res.outcome == CONN_DELIVERED && str_eq(res.ref_state,
	    "resolved") && str_eq(res.ref_url, INST "/nav_to.do?uri="
	    "change_request.do?sys_id=" SYSID), "... and it stays resolved");
	tev_free(&t);
	tev_init(&t, "finding.resolved", "finding", "f1", "{}",
	    "{\"instance_url\":\"" INST "\",\"token\":\"t\",\"table\":"
	    "\"change_request\",\"auto_resolve\":true}");
	step(&t, 0, &rq, err, sizeof(err));
	conn_request_free(&rq);
	answer(&t, 200, found("-1"), -1, &res);
	step(&t, 1, &rq, err, sizeof(err));
	b = body_of(&rq);
	check(str_eq(sget(b, "state"), "3") && str_eq(sget(b, "close_code"),
	    "successful"), "change_request resolved: state 3 (Closed), "
	    "close_code successful");
	json_decref(b);
	conn_request_free(&rq);
	tev_free(&t);

	/* No record and a resolution: nothing to resolve. */
	tev_init(&t, "finding.resolved", "finding", "f1", "{}", BASIC);
	step(&t, 0, &rq, err, sizeof(err));
	conn_request_free(&rq);
	answer(&t, 200, "{\"result\":[]}", -1, &res);
	check(res.outcome == CONN_DELIVERED && res.ref[0] == '\0',
	    "no record + resolved: delivered, no record made");
	tev_free(&t);
	tev_init(&t, "finding.updated", "finding", "f1", "{\"status\":"
	    "\"closed\"}", BASIC);
	step(&t, 0, &rq, err, sizeof(err));
	conn_request_free(&rq);
	answer(&t, 200, "{\"result\":[]}", -1, &res);
	check(res.outcome == CONN_DELIVERED && res.ref[0] == '\0',
	    "no record + data.status closed: the same");
	tev_free(&t);
}

/*
 * The outcome and reason of an answer after the answers prior (each
 * "<status> <body>", NULL-terminated) led an event of type on.
 */
static void
refused(const char *name, const char *type, const char *const *prior,
    long status, const char *body, long retry_after,
    enum conn_outcome want, long want_delay, const char *want_reason)
{
	struct tev		 t;
	struct conn_request	 rq;
	struct conn_result	 res;
	char			 err[256], *rest;
	long			 st;
	int			 i;

	tev_init(&t, type, "finding", "f1", "{\"title\":\"x\"}", BASIC);
	for (i = 0; ; i++) {
		if (step(&t, i, &rq, err, sizeof(err)) == -1) {
			check(0, "%s: step %d renders: %s", name, i, err);
			break;
		}
		conn_request_free(&rq);
		if (prior[i] == NULL)
			break;
		st = strtol(prior[i], &rest, 10);
		answer(&t, st, rest + 1, -1, &res);
	}
	answer(&t, status, body, retry_after, &res);
	check(res.outcome == want && res.delay == want_delay &&
	    str_eq(res.reason, want_reason) && res.ref[0] == '\0',
	    "%s: outcome %d delay %ld reason '%s'", name, res.outcome,
	    res.delay, res.reason);
	tev_free(&t);
}

static const char *const at_search[] = { NULL };
static const char *const at_create[] = { "200 {\"result\":[]}", NULL };
static const char *const at_update[] = { "200 {\"result\":[{\"sys_id\":\""
    SYSID "\",\"number\":\"INC0010046\",\"state\":\"2\"}]}", NULL };
static const char *const at_test_create[] = { "200 {\"result\":[]}", NULL };
static const char *const at_test_delete[] = { "200 {\"result\":[]}",
    "201 {\"result\":{\"sys_id\":\"" SYSID "\",\"number\":"
    "\"INC0010099\"}}", NULL };

#define ERR401	"{\"error\":{\"message\":\"User Not Authenticated\"," \
		"\"detail\":\"Required to provide Auth information\"}," \
		"\"status\":\"failure\"}"
#define ERR400T	"{\"error\":{\"message\":\"Invalid table incident\"," \
		"\"detail\":\"Table incident does not exist\"}," \
		"\"status\":\"failure\"}"
#define ERR403C	"{\"error\":{\"message\":\"Operation Failed\",\"detail\":" \
		"\"ACL Exception Insert Failed due to security constraints\"}" \
		",\"status\":\"failure\"}"
#define ERR403D	"{\"error\":{\"message\":\"Operation Failed\",\"detail\":" \
		"\"ACL Exception Delete Failed due to security constraints\"}" \
		",\"status\":\"failure\"}"
#define ERR403P	"{\"error\":{\"message\":\"Operation Failed\",\"detail\":" \
		"\"Data Policy Exception: \\n\\tThe following fields are " \
		"mandatory: Resolution code\\n\"},\"status\":\"failure\"}"
#define ERR429	"{\"error\":{\"message\":\"Rate limit exceeded\"," \
		"\"detail\":\"Rate limit of 10 requests per hour for Table " \
		"API exceeded\"},\"status\":\"failure\"}"

#define FC	"finding.created"
#define IT	"integration.test"

static void
test_answers(void)
{
	refused("search 401", FC, at_search, 401, ERR401, -1, CONN_FAILED, -1,
	    "authentication: HTTP 401 User Not Authenticated: Required to "
	    "provide Auth information");
	refused("search 400 invalid table", FC, at_search, 400, ERR400T, -1,
	    CONN_FAILED, -1, "table: HTTP 400 Invalid table incident: Table "
	    "incident does not exist");
	refused("create 403", FC, at_create, 403, ERR403C, -1, CONN_FAILED,
	    -1, "permission: HTTP 403 Operation Failed: ACL Exception Insert "
	    "Failed due to security constraints");
	refused("create 400", FC, at_create, 400, "{\"error\":{\"message\":"
	    "\"Field value too long\",\"detail\":null},\"status\":"
	    "\"failure\"}", -1, CONN_FAILED, -1, "create: HTTP 400 Field "
	    "value too long");
	refused("update 403 data policy", FC, at_update, 403, ERR403P, -1,
	    CONN_FAILED, -1, "permission: HTTP 403 Operation Failed: Data "
	    "Policy Exception:   The following fields are mandatory: "
	    "Resolution code ");
	refused("update 404", FC, at_update, 404, "{\"error\":{\"message\":"
	    "\"No Record found\",\"detail\":\"Record doesn't exist or ACL "
	    "restricts the record retrieval\"},\"status\":\"failure\"}", -1,
	    CONN_FAILED, -1, "update: HTTP 404 No Record found: Record "
	    "doesn't exist or ACL restricts the record retrieval");
	refused("search 429 Retry-After 7", FC, at_search, 429, ERR429, 7,
	    CONN_RETRY, 7, "search: HTTP 429 Rate limit exceeded: Rate limit "
	    "of 10 requests per hour for Table API exceeded");
	refused("create 429 without Retry-After", FC, at_create, 429, ERR429,
	    -1, CONN_RETRY, -1, "create: HTTP 429 Rate limit exceeded: Rate "
	    "limit of 10 requests per hour for Table API exceeded");
	refused("create 500", FC, at_create, 500, "<html>oops</html>", -1,
	    CONN_RETRY, -1, "create: HTTP 500");
	refused("search 503", FC, at_search, 503, "", -1, CONN_RETRY, -1,
	    "search: HTTP 503");
	refused("search 200 not the Table API", FC, at_search, 200,
	    "<html>Instance Hibernating page</html>", -1, CONN_RETRY, -1,
	    "search: HTTP 200 without ServiceNow's {\"result\": ...} (not "
	    "the Table API, or an instance asleep)");
	refused("create 201 without a sys_id", FC, at_create, 201,
	    "{\"result\":{\"sys_id\":\"../../x\"}}", -1, CONN_RETRY, -1,
	    "create: HTTP 201 without ServiceNow's {\"result\": ...} (not "
	    "the Table API, or an instance asleep)");
	refused("search finds a record with a bad sys_id", FC, at_search, 200,
	    "{\"result\":[{\"sys_id\":\"x/../y\",\"number\":\"N\"}]}", -1,
	    CONN_RETRY, -1, "search: HTTP 200 without ServiceNow's "
	    "{\"result\": ...} (not the Table API, or an instance asleep)");
	refused("test: read 401", IT, at_search, 401, ERR401, -1, CONN_FAILED,
	    -1, "authentication: HTTP 401 User Not Authenticated: Required "
	    "to provide Auth information");
	refused("test: read 400", IT, at_search, 400, ERR400T, -1,
	    CONN_FAILED, -1, "table: HTTP 400 Invalid table incident: Table "
	    "incident does not exist");
	refused("test: create 403", IT, at_test_create, 403, ERR403C, -1,
	    CONN_FAILED, -1, "permission: HTTP 403 Operation Failed: ACL "
	    "Exception Insert Failed due to security constraints");
	refused("test: delete 403", IT, at_test_delete, 403, ERR403D, -1,
	    CONN_FAILED, -1, "permission: HTTP 403: the test record "
	    "INC0010099 is left behind: Operation Failed: ACL Exception "
	    "Delete Failed due to security constraints");
}

static void
test_transport(void)
{
	struct tev		 t;
	struct conn_request	 rq;
	struct conn_answer	 a;
	struct conn_result	 res;
	char			 err[256];

	tev_init(&t, "finding.created", "finding", "f1", "{}", BASIC);
	step(&t, 0, &rq, err, sizeof(err));
	conn_request_free(&rq);
	memset(&a, 0, sizeof(a));
	a.error = "Connection refused";
	a.retry_after = -1;
	sn->classify(&t.ev, &a, &res);
	check(res.outcome == CONN_RETRY && str_eq(res.reason,
	    "search: Connection refused"), "a transport error: retried (%s)",
	    res.reason);
	tev_free(&t);
	tev_init(&t, "finding.created", "finding", "f1", "{}", BASIC);
	t.ev.state = NULL;
	check(step(&t, 0, &rq, err, sizeof(err)) == -1, "no attempt state: "
	    "refused (%s)", err);
	conn_request_free(&rq);
	tev_free(&t);
}

/* The record as GET <table>/<sys_id> answers it. */
static const char *
known_answer(const char *state, const char *corr)
{
	static char	 buf[512];

	snprintf(buf, sizeof(buf), "{\"result\":{\"sys_id\":\"" SYSID "\","
	    "\"number\":\"INC0010046\",\"state\":\"%s\",\"correlation_id\":"
	    "\"%s\"}}", state, corr);
	return buf;
}

/*
 * An event whose object has a recorded record: step 0 reads it by sys_id,
 * then answer (status, body) leads to want_op next (or delivered).
 */
static void
known_case(const char *name, const char *type, const char *config,
    long status, const char *body, enum conn_outcome want,
    const char *want_op)
{
	struct tev		 t;
	struct conn_request	 rq;
	struct conn_result	 res;
	char			 err[256];

	tev_init(&t, type, "finding", "f1", "{\"title\":\"x\"}", config);
	t.ev.ticket_ref = "INC0010046";
	t.ev.ticket_ref_id = SYSID;
	t.ev.ticket_state = "open";
	step(&t, 0, &rq, err, sizeof(err));
	conn_request_free(&rq);
	answer(&t, status, body, -1, &res);
	check(res.outcome == want && (want_op == NULL ||
	    str_eq(sget(t.state, "op"), want_op)), "recorded record: %s "
	    "(outcome %d, op %s, reason %s)", name, res.outcome,
	    sget(t.state, "op"), res.reason);
	tev_free(&t);
}

static void
test_known(void)
{
	struct tev		 t;
	struct conn_request	 rq;
	struct conn_result	 res;
	char			 err[256];
	int			 rc;

	tev_init(&t, "finding.status_changed", "finding", "f1", "{\"title\":"
	    "\"x\"}", BASIC);
	t.ev.ticket_ref = "INC0010046";
	t.ev.ticket_ref_id = SYSID;
	t.ev.ticket_state = "open";
	rc = step(&t, 0, &rq, err, sizeof(err));
	check(rc == 0 && str_eq(rq.method,
	    "GET") && str_eq(rq.url, INST "/api/now/table/incident/" SYSID
	    "?sysparm_fields=sys_id,number,state,correlation_id"
	    "&sysparm_exclude_reference_link=true") && rq.body == NULL,
	    "a recorded record: step 0 reads it by sys_id, no search: %s",
	    rq.url);
	conn_request_free(&rq);
	answer(&t, 200, known_answer("2", CORR_F1), -1, &res);
	check(res.outcome == CONN_NEXT && str_eq(sget(t.state, "op"),
	    "update") && str_eq(sget(t.state, "sys_id"), SYSID),
	    "... open, the object's correlation_id: a work note next");
	step(&t, 1, &rq, err, sizeof(err));
	check(str_eq(rq.method, "PATCH") && strstr(rq.url, SYSID) != NULL,
	    "... PATCH on it");
	conn_request_free(&rq);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "f1", "{}", BASIC);
	t.ev.ticket_ref_id = "../x";
	step(&t, 0, &rq, err, sizeof(err));
	check(str_eq(sget(t.state, "op"), "find") && strstr(rq.url,
	    "sysparm_query=") != NULL, "a recorded id that is no sys_id is "
	    "never put in a URL: the search");
	conn_request_free(&rq);
	tev_free(&t);

	known_case("resolved, a recurrence: reopened", "finding.created",
	    BASIC, 200, known_answer("6", CORR_F1), CONN_NEXT, "reopen");
	known_case("open, a resolution with auto_resolve: resolved",
	    "finding.resolved", AUTO, 200, known_answer("1", CORR_F1),
	    CONN_NEXT, "resolve");
	known_case("404 (deleted): the search decides", "finding.created",
	    BASIC, 404, "{\"error\":{\"message\":\"No Record found\","
	    "\"detail\":\"Record doesn't exist or ACL restricts the record "
	    "retrieval\"},\"status\":\"failure\"}", CONN_NEXT, "find");
	known_case("another correlation_id: the search decides",
	    "finding.created", BASIC, 200, known_answer("1",
	    "hookpost-00000000000000000000"), CONN_NEXT, "find");
	known_case("closed, a recurrence: the search finds the newest (a "
	    "newer record may follow)", "finding.created", BASIC, 200,
	    known_answer("7", CORR_F1), CONN_NEXT, "find");
	known_case("closed, a resolution: nothing more", "finding.resolved",
	    AUTO, 200, known_answer("7", CORR_F1), CONN_DELIVERED, NULL);
	known_case("401: failed", "finding.created", BASIC, 401, ERR401,
	    CONN_FAILED, NULL);
	known_case("503: retried", "finding.created", BASIC, 503, "", CONN_RETRY,
	    NULL);
	known_case("200 that is not the Table API: retried", "finding.created",
	    BASIC, 200, "<html>Hibernating</html>", CONN_RETRY, NULL);

	/* 404, then the search finds none: a new record. */
	tev_init(&t, "finding.created", "finding", "f1", "{\"title\":\"x\"}",
	    BASIC);
	t.ev.ticket_ref_id = SYSID;
	step(&t, 0, &rq, err, sizeof(err));
	conn_request_free(&rq);
	answer(&t, 404, "{}", -1, &res);
	step(&t, 1, &rq, err, sizeof(err));
	check(str_eq(rq.method, "GET") && strstr(rq.url, "ORDERBYDESC") !=
	    NULL, "after the 404: the search");
	conn_request_free(&rq);
	answer(&t, 200, "{\"result\":[]}", -1, &res);
	check(res.outcome == CONN_NEXT && str_eq(sget(t.state, "op"),
	    "create"), "... none: create");
	tev_free(&t);
}

static void
test_connection(void)
{
	struct tev		 t;
	struct conn_request	 rq;
	struct conn_result	 res;
	char			 err[256];
	json_t			*b;

	tev_init(&t, "integration.test", "integration", SUB, "{\"title\":"
	    "\"hookpost test message\",\"severity\":\"info\"}", BASIC);
	step(&t, 0, &rq, err, sizeof(err));
	check(str_eq(rq.method, "GET") && str_eq(rq.url, INST
	    "/api/now/table/incident?sysparm_limit=1&sysparm_fields=sys_id"),
	    "test step 0 reads the table");
	conn_request_free(&rq);
	answer(&t, 200, "{\"result\":[]}", -1, &res);
	check(res.outcome == CONN_NEXT, "an empty table is fine");
	step(&t, 1, &rq, err, sizeof(err));
	b = body_of(&rq);
	check(str_eq(rq.method, "POST") && str_eq(sget(b,
	    "short_description"), "hookpost test message") && str_eq(sget(b,
	    "correlation_id"), "hookpost-9075c69267a793f6a537") &&
	    str_eq(sget(b, "urgency"), "3"), "test step 1 creates a test "
	    "record");
	json_decref(b);
	conn_request_free(&rq);
	answer(&t, 201, "{\"result\":{\"sys_id\":\"" SYSID "\",\"number\":"
	    "\"INC0010003\",\"state\":\"1\"}}", -1, &res);
	check(res.outcome == CONN_NEXT, "created: another request");
	step(&t, 2, &rq, err, sizeof(err));
	check(str_eq(rq.method, "DELETE") && str_eq(rq.url, INST
	    "/api/now/table/incident/" SYSID) && rq.body == NULL,
	    "test step 2 deletes it");
	conn_request_free(&rq);
	answer(&t, 204, "", -1, &res);
	check(res.outcome == CONN_DELIVERED && res.ref[0] == '\0' &&
	    res.reason[0] == '\0', "204: delivered, nothing recorded");
	tev_free(&t);
}

int
main(void)
{
	test_table();
	if (sn == NULL)
		return check_done();
	test_check();
	test_create();
	test_fields();
	test_lifecycle();
	test_answers();
	test_transport();
	test_known();
	test_connection();
	return check_done();
}
