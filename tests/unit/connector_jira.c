/*
 * Unit tests of lib/connector_jira.c: the settings it takes, what render
 * makes at each step (search, create, comment, transitions, and Test
 * Connection's myself, project, create, delete) for REST API v3 (ADF) and
 * v2 (wiki markup), Cloud (Basic) and Data Center (Bearer); event text
 * that stays text in both formats; the seed's mapping table; the
 * object's label; and what classify makes of each answer, step by step.
 * One line per case; exits 0 only when all pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "check.h"
#include "connector.h"
#include "crypt.h"
#include "util.h"

#define SUB	"33333333-3333-4333-8333-333333333333"
#define SITE	"https://acme.atlassian.net"
#define CLOUD	"{\"url\":\"" SITE "/\",\"email\":\"bot@acme.example\"," \
		"\"api_token\":\"ATATT3xFfGF0-token\",\"project_key\":\"SEC\"}"
#define CLOUD2	"{\"url\":\"" SITE "\",\"email\":\"bot@acme.example\"," \
		"\"api_token\":\"ATATT3xFfGF0-token\",\"project_key\":" \
		"\"SEC\",\"api_version\":2}"
#define DC	"{\"url\":\"https://jira.example.com/jira\",\"pat\":" \
		"\"NjM0-pat-token\",\"project_key\":\"SEC\"}"

static const struct connector *jira;

/* One event on its way: its parts, owned here. */
struct tev {
	struct conn_event	 ev;
	json_t			*event, *config, *state;
	char			*payload;
	struct conn_request	 rq;
	struct conn_result	 res;
	char			 err[256];
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
	if (t->config == NULL)
		check(0, "test config parses: %s", e.text);
	t->state = json_object();
	t->payload = json_dumps(t->event, JSON_COMPACT);
	t->ev.delivery_id = "11111111-1111-4111-8111-111111111111";
	t->ev.event_id = "22222222-2222-4222-8222-222222222222";
	t->ev.subscription_id = SUB;
	t->ev.event_type = type;
	t->ev.payload = t->payload;
	t->ev.event = t->event;
	t->ev.config = t->config;
	t->ev.url = "";
	t->ev.ts = 1714564800;
	t->ev.state = t->state;
}

static void
tev_free(struct tev *t)
{
	conn_request_free(&t->rq);
	json_decref(t->event);
	json_decref(t->config);
	json_decref(t->state);
	free(t->payload);
}

/* Renders the next request: 0, or -1 (t->err). */
static int
tev_render(struct tev *t)
{
	conn_request_free(&t->rq);
	t->err[0] = '\0';
	return jira->render(&t->ev, &t->rq, t->err, sizeof(t->err));
}

/* The request's body, parsed (a new reference), or NULL. */
static json_t *
tev_body(struct tev *t)
{
	if (t->rq.body == NULL)
		return NULL;
	return json_loadb(t->rq.body, t->rq.bodylen, JSON_REJECT_DUPLICATES,
	    NULL);
}

/* Classifies an answer to the last request; the outcome. */
static enum conn_outcome
tev_answer(struct tev *t, long status, const char *body, long retry_after)
{
	struct conn_answer	 a;

	memset(&a, 0, sizeof(a));
	a.status = status;
	a.body = body;
	a.bodylen = body != NULL ? strlen(body) : 0;
	a.retry_after = retry_after;
	jira->classify(&t->ev, &a, &t->res);
	if (t->res.outcome == CONN_NEXT)
		t->ev.step++;
	return t->res.outcome;
}

static enum conn_outcome
tev_error(struct tev *t, const char *error)
{
	struct conn_answer	 a;

	memset(&a, 0, sizeof(a));
	a.error = error;
	a.retry_after = -1;
	jira->classify(&t->ev, &a, &t->res);
	return t->res.outcome;
}

static const char *
header(const struct curl_slist *l, const char *name)
{
	size_t	 n = strlen(name);

	for (; l != NULL; l = l->next)
		if (strncasecmp(l->data, name, n) == 0 && l->data[n] == ':')
			return l->data + n + 2;
	return NULL;
}

static const char *
sget(const json_t *o, const char *path)
{
	char		 key[64];
	const char	*dot;
	const json_t	*v = o;

	while ((dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		v = json_object_get(v, key);
		path = dot + 1;
	}
	return json_string_value(json_object_get(v, path));
}

/* The object's label as the connector must make it, computed here. */
static void
label_of(const char *sub, const char *objkey, char out[64])
{
	char	 hex[65], *in;

	in = xasprintf("%s\n%s", sub, objkey);
	crypt_sha256_hex(in, strlen(in), hex);
	free(in);
	snprintf(out, 64, "hookpost-%.20s", hex);
}

/* 1 when the labels array holds s. */
static int
has_label(const json_t *labels, const char *s)
{
	const json_t	*v;
	size_t		 i;

	json_array_foreach(labels, i, v)
		if (str_eq(json_string_value(v), s))
			return 1;
	return 0;
}

/* The text of every ADF text node under n, concatenated into b. */
static void
adf_text(const json_t *n, struct buf *b)
{
	const json_t	*c;
	size_t		 i;

	if (str_eq(sget(n, "type"), "text"))
		buf_appendf(b, "%s", sget(n, "text"));
	if (str_eq(sget(n, "type"), "hardBreak"))
		buf_append(b, "\n", 1);
	json_array_foreach(json_object_get(n, "content"), i, c)
		adf_text(c, b);
}

/*
 * 1 when every node under n is one of ADF's the connector may use, and
 * no text node is empty or has a mark other than strong and link.
 */
static int
adf_only_known(const json_t *n)
{
	static const char *const types[] = { "doc", "paragraph", "text",
	    "hardBreak", "heading", "bulletList", "listItem", "codeBlock",
	    NULL };
	const json_t	*c, *m;
	const char	*ty = sget(n, "type");
	size_t		 i;

	if (ty == NULL || !valid_enum(types, ty))
		return 0;
	if (strcmp(ty, "text") == 0 && (sget(n, "text") == NULL ||
	    *sget(n, "text") == '\0'))
		return 0;
	json_array_foreach(json_object_get(n, "marks"), i, m)
		if (!str_eq(sget(m, "type"), "strong") &&
		    !str_eq(sget(m, "type"), "link"))
			return 0;
	json_array_foreach(json_object_get(n, "content"), i, c)
		if (!adf_only_known(c))
			return 0;
	return 1;
}

/* 1 when some node under n has type ty and (text NULL or) that text. */
static int
adf_has(const json_t *n, const char *ty, const char *text)
{
	const json_t	*c;
	struct buf	 b;
	size_t		 i;
	int		 hit;

	if (str_eq(sget(n, "type"), ty)) {
		if (text == NULL)
			return 1;
		memset(&b, 0, sizeof(b));
		adf_text(n, &b);
		buf_append(&b, "", 1);
		hit = strstr(b.data, text) != NULL;
		buf_free(&b);
		if (hit)
			return 1;
	}
	json_array_foreach(json_object_get(n, "content"), i, c)
		if (adf_has(c, ty, text))
			return 1;
	return 0;
}

/* --- settings ------------------------------------------------------------ */

static int
config_ok(const char *text, char *err, size_t errsz)
{
	json_t	*c = json_loads(text, 0, NULL);
	int	 rc;

	err[0] = '\0';
	rc = c != NULL ? jira->check(c, err, errsz) : -2;
	json_decref(c);
	return rc;
}

static void
test_settings(void)
{
	char	 err[CONN_REASON_MAX];
	size_t	 i;
	int	 rc;
	static const struct {
		const char	*config, *want, *name;
	} bad[] = {
		{ "{\"url\":\"" SITE "\",\"email\":\"a@b\",\"api_token\":\"t\","
		    "\"pat\":\"p\",\"project_key\":\"SEC\"}", "not both",
		    "Basic and Bearer at once refused" },
		{ "{\"url\":\"" SITE "\",\"project_key\":\"SEC\"}",
		    "are required", "no credentials refused" },
		{ "{\"url\":\"" SITE "\",\"email\":\"a@b\",\"project_key\":"
		    "\"SEC\"}", "are required", "email without api_token "
		    "refused" },
		{ "{\"url\":\"" SITE "\",\"pat\":\"p\",\"project_key\":\"SEC\","
		    "\"api_version\":3}", "version 2 only",
		    "Data Center with api_version 3 refused" },
		{ "{\"url\":\"" SITE "\",\"email\":\"a:b@c\",\"api_token\":"
		    "\"t\",\"project_key\":\"SEC\"}", "':'",
		    "an email with a colon refused (RFC 7617)" },
		{ "{\"url\":\"" SITE "?x=1\",\"pat\":\"p\",\"project_key\":"
		    "\"SEC\"}", "base URL", "a url with a query refused" },
		{ "{\"url\":\"" SITE "\",\"pat\":\"p\",\"project_key\":"
		    "\"sec key\"}", "project_key", "a project key with a "
		    "space refused" },
		{ "{\"url\":\"" SITE "\",\"pat\":\"p\",\"project_key\":"
		    "\"SEC\\\" OR x\"}", "project_key", "a project key with "
		    "JQL in it refused" },
		{ "{\"url\":\"" SITE "\",\"pat\":\"p\",\"project_key\":\"SEC\","
		    "\"mapping\":{\"urgent\":{\"issue_type\":\"Bug\"}}}",
		    "'urgent'", "mapping: an unknown severity refused" },
		{ "{\"url\":\"" SITE "\",\"pat\":\"p\",\"project_key\":\"SEC\","
		    "\"mapping\":{\"high\":{\"type\":\"Bug\"}}}", "'type'",
		    "mapping: an unknown key refused" },
		{ "{\"url\":\"" SITE "\",\"pat\":\"p\",\"project_key\":\"SEC\","
		    "\"mapping\":{\"high\":\"Bug\"}}", "mapping.high",
		    "mapping: a string for an entry refused" },
		{ "{\"url\":\"" SITE "\",\"pat\":\"p\",\"project_key\":\"SEC\","
		    "\"fields\":{\"summary\":\"$.data[\"}}", "fields.summary",
		    "fields.summary: a malformed JSONPath refused" },
		{ "{\"url\":\"" SITE "\",\"pat\":\"p\",\"project_key\":\"SEC\","
		    "\"fields\":{\"labels\":[\"two words\"]}}",
		    "without spaces",
		    "fields.labels: a label with a space refused" },
		{ "{\"url\":\"" SITE "\",\"pat\":\"p\",\"project_key\":\"SEC\","
		    "\"fields\":{\"labels\":\"sev\"}}", "fields.labels",
		    "fields.labels: not a list refused" },
		{ "{\"url\":\"" SITE "\",\"pat\":\"p\",\"project_key\":\"SEC\","
		    "\"fields\":{\"assignee\":\"$.data.owner\"}}", "'assignee'",
		    "fields: an unknown field refused" },
		{ "{\"url\":\"" SITE "\",\"pat\":\"NjM0\\r\\nX-Injected: 1\","
		    "\"project_key\":\"SEC\"}", "'pat' must be visible ASCII",
		    "a pat with CR LF refused (a header injected otherwise)" },
		{ "{\"url\":\"" SITE "\",\"pat\":\"NjM0\\n\",\"project_key\":"
		    "\"SEC\"}", "'pat' must be visible ASCII",
		    "a pat with a LF refused" },
		{ "{\"url\":\"" SITE "\",\"pat\":\"a b\",\"project_key\":"
		    "\"SEC\"}", "'pat' must be visible ASCII",
		    "a pat with a space refused" },
		{ "{\"url\":\"" SITE "\",\"pat\":\"tok\u00e9n\",\"project_key\":"
		    "\"SEC\"}", "'pat' must be visible ASCII",
		    "a pat with a non-ASCII character refused" },
		{ "{\"url\":\"" SITE "\",\"email\":\"a@b\",\"api_token\":"
		    "\"ATATT\\r\\nX: y\",\"project_key\":\"SEC\"}",
		    "'api_token' must be visible ASCII",
		    "an api_token with CR LF refused" },
		{ "{\"url\":\"" SITE "\",\"email\":\"a@b\\u0001x\",\"api_token\":"
		    "\"t\",\"project_key\":\"SEC\"}", "'email' must be visible",
		    "an email with a control character refused" },
		{ "{\"url\":\"" SITE "\",\"email\":\"a b@c\",\"api_token\":"
		    "\"t\",\"project_key\":\"SEC\"}", "'email' must be visible",
		    "an email with a space refused" },
	};

	rc = config_ok(CLOUD, err, sizeof(err));
	check(rc == 0, "settings: Jira Cloud (email, api_token)%s%s",
	    err[0] ? ": " : "", err);
	rc = config_ok(DC, err, sizeof(err));
	check(rc == 0, "settings: Data Center (pat)%s%s", err[0] ? ": " : "",
	    err);
	rc = config_ok("{\"url\":\"" SITE "\",\"pat\":\"p\",\"project_key\":"
	    "\"SEC\",\"mapping\":{\"critical\":{\"issue_type\":\"Incident\","
	    "\"priority\":null},\"low\":{\"priority\":\"Lowest\"}},\"fields\":"
	    "{\"summary\":\"$.data.name\",\"description\":\"$.data.body\","
	    "\"labels\":[\"secops\",\"$.data.tags\"],\"components\":["
	    "\"Web App\",\"$.data.component\"]},\"auto_create_threshold\":"
	    "\"high\",\"auto_resolve\":true,\"resolve_transition\":"
	    "\"Close Issue\"}", err, sizeof(err));
	check(rc == 0, "settings: mapping, fields, threshold, transitions%s%s",
	    err[0] ? ": " : "", err);
	for (i = 0; i < NITEMS(bad); i++) {
		rc = config_ok(bad[i].config, err, sizeof(err));
		check(rc == -1 && strstr(err, bad[i].want) != NULL,
		    "settings: %s (%s)", bad[i].name, err);
	}
	rc = config_ok("{\"url\":\"" SITE "\",\"email\":\"a@b\","
	    "\"api_token\":\"secret-token-123\",\"pat\":\"p\",\"project_key\":"
	    "\"SEC\"}", err, sizeof(err));
	check(rc == -1 && strstr(err, "secret-token-123") == NULL,
	    "settings: a refusal never quotes a secret");
	rc = config_ok("{\"url\":\"" SITE "\",\"pat\":\"NjM0-secret\\n\","
	    "\"project_key\":\"SEC\"}", err, sizeof(err));
	check(rc == -1 && strstr(err, "NjM0") == NULL,
	    "settings: a pat refused, not quoted");
}

/* --- the search, step 0 -------------------------------------------------- */

static void
test_search_request(void)
{
	struct tev	 t;
	char		 want[512], label[64], *b64, *auth;

	label_of(SUB, "finding/F-1", label);
	tev_init(&t, "finding.created", "finding", "F-1", "{\"title\":\"x\","
	    "\"severity\":\"high\"}", CLOUD);
	check(tev_render(&t) == 0, "search v3: rendered %s", t.err);
	snprintf(want, sizeof(want), SITE "/rest/api/3/search/jql?jql=labels"
	    "%%20%%3D%%20%%22%s%%22%%20ORDER%%20BY%%20created%%20ASC&fields="
	    "status%%2Cresolution&maxResults=5", label);
	check(str_eq(t.rq.url, want), "search v3 (Cloud): GET "
	    "/rest/api/3/search/jql by the object's label, oldest first: %s",
	    t.rq.url);
	check(str_eq(t.rq.method, "GET") && t.rq.body == NULL,
	    "search: a GET without a body");
	b64 = crypt_b64_new("bot@acme.example:ATATT3xFfGF0-token",
	    strlen("bot@acme.example:ATATT3xFfGF0-token"));
	auth = xasprintf("Basic %s", b64);
	check(str_eq(header(t.rq.headers, "Authorization"), auth),
	    "Cloud: Authorization Basic base64(email:api_token)");
	check(str_eq(header(t.rq.headers, "Accept"), "application/json"),
	    "Accept: application/json");
	check(str_eq(sget(t.state, "op"), "search"), "state: op search");
	free(b64);
	free(auth);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD2);
	tev_render(&t);
	check(strncmp(t.rq.url, SITE "/rest/api/2/search/jql?", 40) == 0,
	    "search v2 on Cloud: /rest/api/2/search/jql: %s", t.rq.url);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", DC);
	tev_render(&t);
	check(strncmp(t.rq.url, "https://jira.example.com/jira/rest/api/2/"
	    "search?jql=", 52) == 0, "search on Data Center: "
	    "/rest/api/2/search (its only search), under the context path: %s",
	    t.rq.url);
	check(str_eq(header(t.rq.headers, "Authorization"),
	    "Bearer NjM0-pat-token"), "Data Center: Authorization Bearer pat");
	tev_free(&t);
}

static void
test_label(void)
{
	struct tev	 a, b;
	json_t		*la, *lb;
	char		 want[64];

	/* Two events of one object, created then updated: one label. */
	tev_init(&a, "finding.created", "finding", "F-1", "{\"severity\":"
	    "\"critical\"}", CLOUD);
	tev_init(&b, "finding.status_changed", "finding", "F-1",
	    "{\"severity\":\"low\",\"status\":\"open\"}", CLOUD);
	json_object_set_new(a.state, "op", json_string("create"));
	json_object_set_new(b.state, "op", json_string("create"));
	tev_render(&a);
	tev_render(&b);
	la = tev_body(&a);
	lb = tev_body(&b);
	label_of(SUB, "finding/F-1", want);
	check(has_label(json_object_get(json_object_get(la, "fields"),
	    "labels"), want) && has_label(json_object_get(json_object_get(lb,
	    "fields"), "labels"), want), "label: hookpost- and 20 hex digits "
	    "of SHA-256(integration id, object key), the same across events "
	    "(%s)", want);
	json_decref(la);
	json_decref(lb);
	tev_free(&b);

	tev_init(&b, "finding.created", "finding", "F-2", "{}", CLOUD);
	json_object_set_new(b.state, "op", json_string("create"));
	tev_render(&b);
	lb = tev_body(&b);
	check(!has_label(json_object_get(json_object_get(lb, "fields"),
	    "labels"), want), "label: another object, another label");
	json_decref(lb);
	tev_free(&b);

	tev_init(&b, "finding.created", "finding", "F-1", "{}", CLOUD);
	b.ev.subscription_id = "44444444-4444-4444-8444-444444444444";
	json_object_set_new(b.state, "op", json_string("create"));
	tev_render(&b);
	lb = tev_body(&b);
	check(!has_label(json_object_get(json_object_get(lb, "fields"),
	    "labels"), want), "label: another integration, another label "
	    "(two integrations on one project keep their own issues)");
	json_decref(lb);
	tev_free(&b);
	tev_free(&a);
}

/* --- classify the search ------------------------------------------------- */

static const char found_open[] = "{\"issues\":[{\"id\":\"10100\",\"key\":"
    "\"SEC-7\",\"fields\":{\"status\":{\"name\":\"To Do\","
    "\"statusCategory\":{\"key\":\"new\"}},\"resolution\":null}},"
    "{\"id\":\"10200\",\"key\":\"SEC-9\",\"fields\":{}}],\"isLast\":true}";
static const char found_done[] = "{\"issues\":[{\"id\":\"10100\",\"key\":"
    "\"SEC-7\",\"fields\":{\"status\":{\"name\":\"Done\","
    "\"statusCategory\":{\"key\":\"done\"}},\"resolution\":{\"name\":"
    "\"Done\"}}}]}";
static const char found_wontfix[] = "{\"issues\":[{\"id\":\"10100\","
    "\"key\":\"SEC-7\",\"fields\":{\"status\":{\"name\":\"Done\","
    "\"statusCategory\":{\"key\":\"done\"}},\"resolution\":{\"name\":"
    "\"won't fix\"}}}]}";
static const char found_closed[] = "{\"issues\":[{\"id\":\"10100\","
    "\"key\":\"SEC-7\",\"fields\":{\"status\":{\"name\":\"Closed\","
    "\"statusCategory\":{\"key\":\"done\"}},\"resolution\":null}}]}";
static const char none[] = "{\"issues\":[],\"isLast\":true}";

/* The outcome and next op after a search answer for one event. */
static void
search_case(const char *type, const char *data, const char *config,
    const char *answer, enum conn_outcome want, const char *want_op,
    const char *want_note, const char *name)
{
	struct tev	 t;
	enum conn_outcome o;

	tev_init(&t, type, "finding", "F-1", data, config);
	tev_render(&t);
	o = tev_answer(&t, 200, answer, -1);
	check(o == want && (want_op == NULL || str_eq(sget(t.state, "op"),
	    want_op)) && (want_note == NULL || str_eq(sget(t.state, "note"),
	    want_note)), "lifecycle: %s (outcome %d, op %s, reason %s)", name,
	    o, sget(t.state, "op"), t.res.reason);
	tev_free(&t);
}

static void
test_lifecycle(void)
{
	struct tev	 t;
	const char	*auto_on = "{\"url\":\"" SITE "\",\"pat\":\"p\","
	    "\"project_key\":\"SEC\",\"auto_resolve\":true}";
	const char	*custom = "{\"url\":\"" SITE "\",\"pat\":\"p\","
	    "\"project_key\":\"SEC\",\"auto_resolve\":true,"
	    "\"auto_create_threshold\":\"high\",\"resolve_transition\":"
	    "\"Close Issue\",\"reopen_transition\":\"Back to work\","
	    "\"wont_fix_resolution\":\"Declined\"}";

	search_case("finding.created", "{\"severity\":\"critical\"}", CLOUD,
	    none, CONN_NEXT, "create", NULL, "not found: create");
	search_case("finding.resolved", "{\"severity\":\"critical\"}", CLOUD,
	    none, CONN_DELIVERED, NULL, NULL, "not found, a resolution: "
	    "delivered, nothing to resolve");
	search_case("finding.status_changed", "{\"severity\":\"high\","
	    "\"status\":\"closed\"}", CLOUD, none, CONN_DELIVERED, NULL, NULL,
	    "not found, data.status closed: delivered");
	search_case("finding.created", "{\"severity\":\"low\"}", CLOUD, none,
	    CONN_NEXT, "create", NULL, "not found, low: at the default "
	    "threshold (low): create");
	search_case("finding.created", "{\"severity\":\"info\"}", CLOUD, none,
	    CONN_DELIVERED, NULL, NULL, "not found, info: below the default "
	    "threshold: delivered, no issue");
	search_case("finding.created", "{\"severity\":\"medium\"}", custom,
	    none, CONN_DELIVERED, NULL, NULL, "not found, medium under "
	    "auto_create_threshold high: no issue");
	search_case("finding.created", "{\"severity\":\"info\"}", CLOUD,
	    found_open, CONN_NEXT, "comment", NULL, "found, open, an update "
	    "below the threshold: still a comment");
	search_case("finding.resolved", "{}", CLOUD, found_open, CONN_NEXT,
	    "comment", "resolved_here", "found, open, a resolution, "
	    "auto_resolve off: a comment, no transition");
	search_case("finding.resolved", "{}", auto_on, found_open, CONN_NEXT,
	    "transitions", "resolved", "found, open, a resolution, "
	    "auto_resolve: the transitions");
	search_case("finding.created", "{}", CLOUD, found_done, CONN_NEXT,
	    "transitions", "reopened", "found, resolved (Done), an update: "
	    "reopen");
	search_case("finding.created", "{}", CLOUD, found_closed, CONN_NEXT,
	    "transitions", "reopened", "found, status category done without "
	    "a resolution: resolved, reopened");
	search_case("finding.resolved", "{}", auto_on, found_done, CONN_NEXT,
	    "comment", "resolved_again", "found, resolved, a resolution: a "
	    "comment, no transition");
	search_case("finding.created", "{}", CLOUD, found_wontfix,
	    CONN_DELIVERED, NULL, NULL, "found, resolved as Won't Fix (any "
	    "case): left alone");
	search_case("finding.created", "{}", custom, found_wontfix, CONN_NEXT,
	    "transitions", "reopened", "wont_fix_resolution Declined: a "
	    "Won't Fix issue is reopened");

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	tev_render(&t);
	tev_answer(&t, 200, found_wontfix, -1);
	check(str_eq(t.res.ref, "SEC-7") && str_eq(t.res.ref_id, "10100") &&
	    str_eq(t.res.ref_state, "resolved") && str_eq(t.res.ref_url, SITE
	    "/browse/SEC-7"), "won't fix: the issue is still recorded, "
	    "resolved, with its link (%s %s %s)", t.res.ref, t.res.ref_state,
	    t.res.ref_url);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	tev_render(&t);
	tev_answer(&t, 200, found_open, -1);
	check(str_eq(sget(t.state, "key"), "SEC-7"), "several found: the "
	    "oldest (the first of ORDER BY created ASC)");
	tev_free(&t);

	tev_init(&t, "finding.resolved", "finding", "F-1", "{}", custom);
	tev_render(&t);
	tev_answer(&t, 200, found_open, -1);
	check(str_eq(sget(t.state, "want"), "Close Issue"),
	    "resolve_transition is the one wanted");
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", custom);
	tev_render(&t);
	tev_answer(&t, 200, found_done, -1);
	check(str_eq(sget(t.state, "want"), "Back to work"),
	    "reopen_transition is the one wanted");
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	tev_render(&t);
	check(tev_answer(&t, 200, "<html>login</html>", -1) == CONN_FAILED &&
	    strstr(t.res.reason, "without Jira's") != NULL,
	    "search: a 2xx that is not Jira's JSON fails (%s)", t.res.reason);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	tev_render(&t);
	check(tev_answer(&t, 200, "{\"issues\":[{\"id\":\"1\",\"key\":"
	    "\"../../x\"}]}", -1) == CONN_FAILED, "search: a key Jira would "
	    "not make is never put in a URL");
	tev_free(&t);
}

/* --- create -------------------------------------------------------------- */

static json_t *
create_body(const char *data, const char *config, const char *type)
{
	struct tev	 t;
	json_t		*b;

	tev_init(&t, type != NULL ? type : "finding.created", "finding",
	    "F-1", data, config);
	tev_render(&t);
	tev_answer(&t, 200, none, -1);
	if (tev_render(&t) == -1 || !str_eq(t.rq.method, "POST") ||
	    (!str_eq(t.rq.url, SITE "/rest/api/3/issue") &&
	    !str_eq(t.rq.url, SITE "/rest/api/2/issue") &&
	    !str_eq(t.rq.url, "https://jira.example.com/jira/rest/api/2/"
	    "issue")))
		check(0, "create: POST /rest/api/N/issue (%s %s)", t.rq.method,
		    t.rq.url);
	if (!str_eq(header(t.rq.headers, "Content-Type"), "application/json"))
		check(0, "create: Content-Type application/json");
	b = tev_body(&t);
	tev_free(&t);
	return b;
}

static void
test_mapping(void)
{
	static const char *const table[][3] = {
		{ "critical", "Bug", "Highest" }, { "high", "Bug", "High" },
		{ "medium", "Task", "Medium" }, { "low", "Task", "Low" },
	};
	json_t		*b;
	char		 data[64];
	size_t		 i;

	for (i = 0; i < NITEMS(table); i++) {
		snprintf(data, sizeof(data), "{\"severity\":\"%s\"}",
		    table[i][0]);
		b = create_body(data, CLOUD, NULL);
		check(str_eq(sget(b, "fields.issuetype.name"), table[i][1]) &&
		    str_eq(sget(b, "fields.priority.name"), table[i][2]) &&
		    str_eq(sget(b, "fields.project.key"), "SEC"),
		    "mapping (seed 003 step 2): %s is %s / %s", table[i][0],
		    sget(b, "fields.issuetype.name"),
		    sget(b, "fields.priority.name"));
		json_decref(b);
	}
	b = create_body("{\"severity\":\"critical\"}", "{\"url\":\"" SITE
	    "\",\"email\":\"a@b\",\"api_token\":\"t\",\"project_key\":"
	    "\"SEC\",\"auto_create_threshold\":\"info\",\"mapping\":"
	    "{\"critical\":{\"issue_type\":\"Incident\",\"priority\":null},"
	    "\"info\":{\"priority\":\"Low\"}}}", NULL);
	check(str_eq(sget(b, "fields.issuetype.name"), "Incident") &&
	    json_object_get(json_object_get(b, "fields"), "priority") == NULL,
	    "mapping: a type of one's own, priority null leaves it out");
	json_decref(b);
	b = create_body("{\"severity\":\"info\"}", "{\"url\":\"" SITE
	    "\",\"email\":\"a@b\",\"api_token\":\"t\",\"project_key\":"
	    "\"SEC\",\"auto_create_threshold\":\"info\",\"mapping\":"
	    "{\"info\":{\"priority\":\"Low\"}}}", NULL);
	check(str_eq(sget(b, "fields.issuetype.name"), "Task") &&
	    str_eq(sget(b, "fields.priority.name"), "Low"),
	    "mapping: an entry's missing key keeps the table's (info: Task)");
	json_decref(b);
}

static void
test_fields(void)
{
	json_t		*b, *labels;
	char		 label[64], *s;
	const char	*sum;

	b = create_body("{\"title\":\"SQL injection in /login\",\"severity\":"
	    "\"critical\",\"asset\":\"api.example.com\",\"type\":\"sqli\","
	    "\"module\":\"auth service\"}", CLOUD, NULL);
	check(str_eq(sget(b, "fields.summary"), "SQL injection in /login on "
	    "api.example.com"), "summary (step 3): the title on the asset: %s",
	    sget(b, "fields.summary"));
	labels = json_object_get(json_object_get(b, "fields"), "labels");
	label_of(SUB, "finding/F-1", label);
	check(json_array_size(labels) == 5 && has_label(labels, "hookpost") &&
	    has_label(labels, label) && has_label(labels, "critical") &&
	    has_label(labels, "sqli") && has_label(labels, "auth_service"),
	    "labels (step 3): hookpost, the object's, severity, type, module "
	    "(its space an underscore)");
	check(json_object_get(json_object_get(b, "fields"), "components") ==
	    NULL, "components: none unless configured");
	json_decref(b);

	b = create_body("{\"title\":\"Weak TLS\",\"severity\":\"high\","
	    "\"tags\":[\"pci dss\",\"tls\",\"tls\"],\"component\":\"Edge\","
	    "\"name\":\"Custom summary\"}", "{\"url\":\"" SITE "\",\"email\":"
	    "\"a@b\",\"api_token\":\"t\",\"project_key\":\"SEC\",\"fields\":{"
	    "\"summary\":\"$.data.name\",\"labels\":[\"secops\","
	    "\"$.data.tags\",\"$.data.nothing\"],\"components\":[\"Backend\","
	    "\"$.data.component\",\"$.data.none\"]}}", NULL);
	labels = json_object_get(json_object_get(b, "fields"), "labels");
	check(str_eq(sget(b, "fields.summary"), "Custom summary"),
	    "fields.summary: a JSONPath over the event");
	check(json_array_size(labels) == 5 && has_label(labels, "secops") &&
	    has_label(labels, "pci_dss") && has_label(labels, "tls") &&
	    !has_label(labels, "high"), "fields.labels: names and JSONPath "
	    "(arrays spread, repeats once), instead of the defaults");
	s = json_dumps(json_object_get(json_object_get(b, "fields"),
	    "components"), JSON_COMPACT);
	check(str_eq(s, "[{\"name\":\"Backend\"},{\"name\":\"Edge\"}]"),
	    "fields.components: names and JSONPath (step 3, when "
	    "configured): %s", s);
	free(s);
	json_decref(b);

	b = create_body("{\"title\":\"line one\\nline two\\t\\u0007x\","
	    "\"severity\":\"high\"}", CLOUD, NULL);
	check(str_eq(sget(b, "fields.summary"), "line one line two  x"),
	    "summary: one line (Jira refuses newlines), control characters "
	    "as spaces: %s", sget(b, "fields.summary"));
	json_decref(b);
	s = xstrdup("{\"title\":\"");
	{
		struct buf	 t = { 0 };
		int		 i;

		buf_appendf(&t, "%s", s);
		for (i = 0; i < 300; i++)
			buf_append(&t, "\xc3\xa9", 2);
		buf_appendf(&t, "\",\"severity\":\"high\"}");
		buf_append(&t, "", 1);
		b = create_body(t.data, CLOUD, NULL);
		buf_free(&t);
	}
	free(s);
	sum = sget(b, "fields.summary");
	check(sum != NULL && utf8_chars(sum) == 255 && strstr(sum,
	    "\xe2\x80\xa6") != NULL, "summary: cut to Jira's 255 characters "
	    "(not bytes), with an ellipsis");
	json_decref(b);
}

static const char evil[] = "*bold* _em_ [link|http://evil.example] "
    "{color:red}x{color} !img.png! @here [~admin] \\\\ h1. not";

static void
test_adf(void)
{
	json_t		*b, *d;
	struct buf	 all;
	char		*data;

	data = xasprintf("{\"title\":\"%s\",\"severity\":\"critical\","
	    "\"asset\":\"db-1\",\"url\":\"https://tw.example/f/1\","
	    "\"description\":\"Line one\\nh1. Line two\",\"evidence\":["
	    "\"GET /login?u='--\",{\"status\":500}],\"remediation\":"
	    "\"Use bound parameters.\",\"compliance\":{\"pci\":\"6.5.1\"}}",
	    "*bold* _em_ [link|http://evil.example] {color:red}x{color} "
	    "!img.png! @here [~admin] \\\\\\\\ h1. not");
	b = create_body(data, CLOUD, NULL);
	free(data);
	d = json_object_get(json_object_get(b, "fields"), "description");
	check(str_eq(sget(d, "type"), "doc") && json_integer_value(
	    json_object_get(d, "version")) == 1, "v3 description: an ADF "
	    "doc, version 1");
	check(adf_only_known(d), "v3 description: only paragraph, heading, "
	    "list, codeBlock, text and hardBreak nodes; marks strong and link");
	check(adf_has(d, "text", evil), "v3: the title, markup characters and "
	    "all, is one text node's text (never markup)");
	check(adf_has(d, "heading", "Details") && adf_has(d, "heading",
	    "Evidence") && adf_has(d, "heading", "Remediation") &&
	    adf_has(d, "heading", "Compliance"), "v3: Details, Evidence, "
	    "Remediation, Compliance sections (the event carries them)");
	check(adf_has(d, "paragraph", "Line one\nh1. Line two"),
	    "v3: a newline in event text is a hardBreak node");
	check(adf_has(d, "bulletList", "GET /login?u='--") &&
	    adf_has(d, "bulletList", "{\"status\":500}"), "v3: a list "
	    "(evidence) is a bulletList, a non-string item its JSON");
	check(adf_has(d, "codeBlock", "\"pci\": \"6.5.1\""), "v3: an object "
	    "(compliance) is a JSON codeBlock");
	memset(&all, 0, sizeof(all));
	adf_text(d, &all);
	buf_append(&all, "", 1);
	check(strstr(all.data, "https://tw.example/f/1") != NULL &&
	    strstr(all.data, "db-1") != NULL && strstr(all.data,
	    "finding/F-1") != NULL, "v3: the facts (link, asset, object)");
	buf_free(&all);
	{
		char	*s = json_dumps(d, JSON_COMPACT);

		check(strstr(s, "{\"type\":\"link\",\"attrs\":{\"href\":"
		    "\"https://tw.example/f/1\"}}") != NULL, "v3: the link is "
		    "a link mark on its text");
		free(s);
	}
	json_decref(b);

	b = create_body("{\"severity\":\"high\"}", CLOUD, NULL);
	d = json_object_get(json_object_get(b, "fields"), "description");
	check(!adf_has(d, "heading", NULL), "v3: no section the event does "
	    "not carry");
	json_decref(b);
}

static void
test_wiki(void)
{
	json_t		*b;
	const char	*d;
	char		*data;

	data = xasprintf("{\"title\":\"%s\",\"severity\":\"critical\","
	    "\"url\":\"https://tw.example/f/1\",\"description\":"
	    "\"h3. fake\\n* item\\n# one\\n----\\nbq. quote\\n  h1. x\","
	    "\"evidence\":[\"a|b\", \"see https://evil.example/x\"],"
	    "\"remediation\":{\"ref\":\"mailto:a@evil.example\"}}",
	    "*bold* _em_ [link|http://evil.example] {color:red}x{color} "
	    "!img.png! @here [~admin] \\\\\\\\ h1. not");
	b = create_body(data, DC, NULL);
	free(data);
	d = sget(b, "fields.description");
	check(d != NULL, "v2 description: a string (wiki markup)");
	if (d == NULL)
		d = "";
	check(strstr(d, "\\*bold\\* \\_em\\_ \\[link\\|http&#58;//evil.example"
	    "\\] \\{color&#58;red\\}x\\{color\\} \\!img.png\\! \\@here "
	    "\\[\\~admin\\] &#92;&#92; h1. not") != NULL, "v2: markup "
	    "characters backslash-escaped, a backslash &#92; (\\\\ is a line "
	    "break), a colon &#58;");
	check(strstr(d, "\n&#104;3. fake\n\\* item\n\\# one\n\\-\\-\\-\\-\n"
	    "&#98;q. quote\n  &#104;1. x") != NULL, "v2: a heading or quote "
	    "at a line's start defused, list and rule characters escaped");
	check(strstr(d, "h3. Details\n") != NULL && strstr(d, "h3. Evidence\n"
	    "* a\\|b") != NULL, "v2: our own headings and lists are markup");
	check(strstr(d, "*Link:* [https://tw.example/f/1]") != NULL,
	    "v2: the link as [url]");
	check(strstr(d, "* see https&#58;//evil.example/x\n") != NULL &&
	    strstr(d, "mailto&#58;a\\@evil.example") != NULL,
	    "v2: a bare URL in event text (a list item, JSON code) loses its "
	    "scheme's colon: the renderer links no scheme:// in text");
	{
		const char	*p = d;
		int		 n = 0;

		while ((p = strstr(p, "://")) != NULL) {
			n++;
			p += 3;
		}
		check(n == 1 && strstr(d, "mailto:") == NULL, "v2: the one "
		    "\"://\" in the description is the finding's link (%d)", n);
	}
	check(strstr(d, "*Severity:* critical") != NULL, "v2: the facts, "
	    "labels bold");
	json_decref(b);
}

/* Event text that grows when written: backslashes, newlines, quotes. */
static void
test_bounds(void)
{
	struct buf	 data = { 0 };
	json_t		*b, *d;
	char		*s;
	size_t		 i, k;
	static const char *const keys[] = { "description", "evidence",
	    "remediation", "compliance" };
	static const char *const configs[] = { CLOUD, DC };

	buf_appendf(&data, "{\"severity\":\"high\",\"title\":\"");
	for (i = 0; i < 3000; i++)
		buf_append(&data, "\\\\", 2);
	buf_appendf(&data, "\"");
	for (k = 0; k < NITEMS(keys); k++) {
		buf_appendf(&data, ",\"%s\":\"", keys[k]);
		for (i = 0; i < 3000; i++)
			buf_append(&data, i % 2 ? "\\n" : "\\\\", 2);
		buf_appendf(&data, "\"");
	}
	buf_appendf(&data, "}");
	buf_append(&data, "", 1);
	for (k = 0; k < NITEMS(configs); k++) {
		b = create_body(data.data, configs[k], NULL);
		d = json_object_get(json_object_get(b, "fields"),
		    "description");
		s = json_is_string(d) ? xstrdup(json_string_value(d)) :
		    json_dumps(d, JSON_COMPACT);
		check(s != NULL && utf8_chars(s) <= 32767 && utf8_chars(s) >
		    1000, "%s: a description of text that grows when written "
		    "still fits Jira's 32767 characters (%zu)", k == 0 ? "v3" :
		    "v2", s != NULL ? utf8_chars(s) : 0);
		free(s);
		json_decref(b);
	}
	buf_free(&data);
}

/* --- the rest of the lifecycle ------------------------------------------- */

static void
test_create_answer(void)
{
	struct tev	 t;

	tev_init(&t, "finding.created", "finding", "F-1", "{\"severity\":"
	    "\"high\"}", CLOUD);
	tev_render(&t);
	tev_answer(&t, 200, none, -1);
	tev_render(&t);
	check(tev_answer(&t, 201, "{\"id\":\"10100\",\"key\":\"SEC-12\","
	    "\"self\":\"" SITE "/rest/api/3/issue/10100\"}", -1) ==
	    CONN_DELIVERED && str_eq(t.res.ref, "SEC-12") &&
	    str_eq(t.res.ref_id, "10100") && str_eq(t.res.ref_url, SITE
	    "/browse/SEC-12") && str_eq(t.res.ref_state, "open"),
	    "create 201: delivered; the issue's key, id, link, open "
	    "(%s %s %s %s)", t.res.ref, t.res.ref_id, t.res.ref_url,
	    t.res.ref_state);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{\"severity\":"
	    "\"high\"}", CLOUD);
	tev_render(&t);
	tev_answer(&t, 200, none, -1);
	tev_render(&t);
	check(tev_answer(&t, 400, "{\"errorMessages\":[\"Bad thing\"],"
	    "\"errors\":{\"summary\":\"You must specify a summary of the "
	    "issue.\",\"priority\":\"The priority selected is invalid.\"}}",
	    -1) == CONN_FAILED && str_eq(t.res.reason, "create: HTTP 400: Bad "
	    "thing; summary: You must specify a summary of the issue.; "
	    "priority: The priority selected is invalid.") &&
	    t.res.ref[0] == '\0',
	    "create 400: failed for good, Jira's errorMessages and errors in "
	    "the reason: %s", t.res.reason);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{\"severity\":"
	    "\"high\"}", CLOUD);
	tev_render(&t);
	tev_answer(&t, 200, none, -1);
	tev_render(&t);
	check(tev_answer(&t, 500, "{\"errorMessages\":[\"Internal server "
	    "error\"],\"errors\":{}}", -1) == CONN_RETRY &&
	    t.res.delay == -1 && t.res.min_delay == 60 &&
	    str_eq(t.res.reason, "create: HTTP 500: Internal server error"),
	    "create 500 (the issue may exist): the schedule's step, 60 s at "
	    "the earliest, when search sees it (%ld, %ld; %s)", t.res.delay,
	    t.res.min_delay, t.res.reason);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{\"severity\":"
	    "\"high\"}", CLOUD);
	tev_render(&t);
	tev_answer(&t, 200, none, -1);
	tev_render(&t);
	check(tev_error(&t, "Operation timed out after 3000 milliseconds") ==
	    CONN_RETRY && t.res.min_delay == 60, "create timed out: retried "
	    "60 s later at the earliest (%ld)", t.res.min_delay);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{\"severity\":"
	    "\"high\"}", CLOUD);
	tev_render(&t);
	tev_answer(&t, 200, none, -1);
	tev_render(&t);
	check(tev_answer(&t, 503, "", 300) == CONN_RETRY && t.res.delay ==
	    300, "create 503 with Retry-After 300: 300 s (%ld)", t.res.delay);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{\"severity\":"
	    "\"high\"}", CLOUD);
	tev_render(&t);
	tev_answer(&t, 200, none, -1);
	tev_render(&t);
	check(tev_answer(&t, 429, "", 7) == CONN_RETRY && t.res.delay == 7,
	    "create 429 (refused, nothing made): Retry-After as said (%ld)",
	    t.res.delay);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{\"severity\":"
	    "\"high\"}", CLOUD);
	tev_render(&t);
	check(tev_answer(&t, 500, "", -1) == CONN_RETRY && t.res.delay == -1,
	    "search 500: the schedule (nothing made)");
	tev_free(&t);
}

static void
test_transitions(void)
{
	struct tev	 t;
	json_t		*b;
	const char	*trs = "{\"transitions\":[{\"id\":\"21\",\"name\":"
	    "\"Start Progress\",\"to\":{\"name\":\"In Progress\"}},{\"id\":"
	    "\"31\",\"name\":\"Done\",\"to\":{\"name\":\"Done\"}}]}";
	const char	*auto_on = "{\"url\":\"" SITE "\",\"email\":\"a@b\","
	    "\"api_token\":\"t\",\"project_key\":\"SEC\",\"auto_resolve\":"
	    "true}";

	tev_init(&t, "finding.resolved", "finding", "F-1", "{\"title\":"
	    "\"SQLi\"}", auto_on);
	tev_render(&t);
	tev_answer(&t, 200, found_open, -1);
	tev_render(&t);
	check(str_eq(t.rq.method, "GET") && str_eq(t.rq.url, SITE
	    "/rest/api/3/issue/SEC-7/transitions"), "resolve: GET the issue's "
	    "transitions (%s)", t.rq.url);
	check(tev_answer(&t, 200, trs, -1) == CONN_NEXT &&
	    str_eq(sget(t.state, "transition_id"), "31"), "resolve: the "
	    "transition found by its name (Done: id 31)");
	tev_render(&t);
	b = tev_body(&t);
	check(str_eq(t.rq.method, "POST") && str_eq(t.rq.url, SITE
	    "/rest/api/3/issue/SEC-7/transitions") && str_eq(sget(b,
	    "transition.id"), "31") && json_object_size(b) == 1,
	    "resolve: POST {\"transition\": {\"id\": \"31\"}}");
	json_decref(b);
	check(tev_answer(&t, 204, NULL, -1) == CONN_NEXT &&
	    str_eq(sget(t.state, "op"), "comment"), "transition 204: then "
	    "the comment");
	tev_render(&t);
	b = tev_body(&t);
	check(str_eq(t.rq.url, SITE "/rest/api/3/issue/SEC-7/comment") &&
	    str_eq(sget(b, "body.type"), "doc") && adf_has(json_object_get(b,
	    "body"), "text", "Resolved") && adf_has(json_object_get(b, "body"),
	    "text", "SQLi"), "comment v3: POST .../comment, an ADF body saying "
	    "it was resolved");
	json_decref(b);
	check(tev_answer(&t, 201, "{\"id\":\"20000\"}", -1) ==
	    CONN_DELIVERED && str_eq(t.res.ref, "SEC-7") &&
	    str_eq(t.res.ref_state, "resolved"), "comment 201: delivered, the "
	    "issue recorded resolved");
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	tev_render(&t);
	tev_answer(&t, 200, found_done, -1);
	tev_render(&t);
	check(tev_answer(&t, 200, "{\"transitions\":[{\"id\":\"41\",\"name\":"
	    "\"Back to work\",\"to\":{\"name\":\"Reopen\"}}]}", -1) ==
	    CONN_NEXT && str_eq(sget(t.state, "transition_id"), "41"),
	    "reopen: found by the target status's name when no transition "
	    "has it");
	tev_render(&t);
	tev_answer(&t, 204, NULL, -1);
	tev_render(&t);
	b = tev_body(&t);
	check(adf_has(json_object_get(b, "body"), "text", "Reopened"),
	    "reopen: the comment says so");
	json_decref(b);
	check(tev_answer(&t, 201, "{\"id\":\"1\"}", -1) == CONN_DELIVERED &&
	    str_eq(t.res.ref_state, "open"), "reopen: recorded open again");
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	tev_render(&t);
	tev_answer(&t, 200, found_done, -1);
	tev_render(&t);
	check(tev_answer(&t, 200, trs, -1) == CONN_FAILED &&
	    strstr(t.res.reason, "transition 'Reopen' of SEC-7: not available "
	    "(available: 'Start Progress', 'Done')") != NULL &&
	    str_eq(t.res.ref, "SEC-7"), "a transition not offered: failed, "
	    "the ones offered named, the issue still recorded (%s)",
	    t.res.reason);
	tev_free(&t);

	tev_init(&t, "finding.status_changed", "finding", "F-1", "{\"status\":"
	    "\"in_progress\",\"title\":\"t\"}", DC);
	tev_render(&t);
	tev_answer(&t, 200, found_open, -1);
	tev_render(&t);
	b = tev_body(&t);
	check(str_eq(t.rq.url, "https://jira.example.com/jira/rest/api/2/"
	    "issue/SEC-7/comment") && json_is_string(json_object_get(b,
	    "body")) && strstr(sget(b, "body"), "*Updated*") != NULL &&
	    strstr(sget(b, "body"), "*Status:* in\\_progress") != NULL,
	    "comment v2: a wiki string, event text escaped");
	json_decref(b);
	check(tev_answer(&t, 404, "{\"errorMessages\":[\"Issue does not exist "
	    "or you do not have permission to see it.\"],\"errors\":{}}", -1) ==
	    CONN_FAILED && str_eq(t.res.reason, "comment on SEC-7: HTTP 404: "
	    "Issue does not exist or you do not have permission to see it."),
	    "comment 404: failed, the step and Jira's words: %s",
	    t.res.reason);
	tev_free(&t);
}

static void
test_answers(void)
{
	struct tev	 t;

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	tev_render(&t);
	check(tev_answer(&t, 401, "Client must be authenticated to access "
	    "this resource.", -1) == CONN_FAILED && str_eq(t.res.reason,
	    "search: HTTP 401: Client must be authenticated to access this "
	    "resource."), "401 (Cloud's text answer): failed, quoted: %s",
	    t.res.reason);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", DC);
	tev_render(&t);
	check(tev_answer(&t, 401, "{\"message\":\"Client must be "
	    "authenticated to access this resource.\",\"status-code\":401}",
	    -1) == CONN_FAILED && str_eq(t.res.reason, "search: HTTP 401: "
	    "Client must be authenticated to access this resource."),
	    "401 (Data Center's JSON message): failed, quoted");
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	tev_render(&t);
	check(tev_answer(&t, 429, "", 7) == CONN_RETRY && t.res.delay == 7 &&
	    str_eq(t.res.reason, "search: HTTP 429"), "429: retried after "
	    "Retry-After");
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	tev_render(&t);
	check(tev_answer(&t, 503, "<html>down</html>", -1) == CONN_RETRY &&
	    t.res.delay == -1 && str_eq(t.res.reason, "search: HTTP 503"),
	    "503 without Retry-After: the schedule; an HTML body not quoted");
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	tev_render(&t);
	check(tev_error(&t, "Connection refused") == CONN_RETRY &&
	    str_eq(t.res.reason, "search: Connection refused"),
	    "a transport error: retried");
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	tev_render(&t);
	check(tev_answer(&t, 410, "{\"errorMessages\":[\"The requested API "
	    "has been removed.\"]}", -1) == CONN_GONE, "410 (an API Jira "
	    "removed): the integration is disabled");
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", "{\"url\":"
	    "\"" SITE "\",\"project_key\":\"SEC\"}");
	check(tev_render(&t) == -1 && strstr(t.err, "api_token") != NULL,
	    "render: no credentials, not sent (%s)", t.err);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", "{\"url\":"
	    "\"" SITE "\",\"pat\":\"NjM0\\r\\nX-Injected: 1\","
	    "\"project_key\":\"SEC\"}");
	check(tev_render(&t) == -1 && strstr(t.err, "'pat'") != NULL &&
	    header(t.rq.headers, "X-Injected") == NULL, "render: a pat with "
	    "CR LF (stored before check() refused it) is never sent (%s)",
	    t.err);
	tev_free(&t);
}

/* --- the recorded issue, read before any search ------------------------- */

/* An issue as GET /issue/ID answers, with its labels and status. */
static char *
issue_answer(const char *labels, const char *cat, const char *resolution)
{
	return xasprintf("{\"id\":\"10100\",\"key\":\"SEC-7\",\"fields\":"
	    "{\"labels\":%s,\"status\":{\"name\":\"x\",\"statusCategory\":"
	    "{\"key\":\"%s\"}},\"resolution\":%s}}", labels, cat, resolution);
}

static void
test_known(void)
{
	struct tev	 t;
	char		 label[64], *labels, *ans;
	int		 rc;

	label_of(SUB, "finding/F-1", label);
	labels = xasprintf("[\"hookpost\",\"%s\",\"high\"]", label);

	tev_init(&t, "finding.status_changed", "finding", "F-1",
	    "{\"severity\":\"high\"}", CLOUD);
	t.ev.ticket_ref = "SEC-7";
	t.ev.ticket_ref_id = "10100";
	t.ev.ticket_state = "open";
	rc = tev_render(&t);
	check(rc == 0 && str_eq(t.rq.method, "GET") &&
	    str_eq(t.rq.url, SITE "/rest/api/3/issue/10100?fields=status%2C"
	    "resolution%2Clabels") && str_eq(sget(t.state, "op"), "known"),
	    "a recorded issue: step 0 reads it by id (strongly consistent), "
	    "no search: %s", t.rq.url);
	ans = issue_answer(labels, "new", "null");
	check(tev_answer(&t, 200, ans, -1) == CONN_NEXT &&
	    str_eq(sget(t.state, "op"), "comment") && str_eq(sget(t.state,
	    "key"), "SEC-7") && str_eq(sget(t.state, "id"), "10100"),
	    "the recorded issue, open, with the object's label: a comment");
	free(ans);
	tev_render(&t);
	check(str_eq(t.rq.url, SITE "/rest/api/3/issue/SEC-7/comment"),
	    "... on it");
	check(tev_answer(&t, 201, "{\"id\":\"1\"}", -1) == CONN_DELIVERED &&
	    str_eq(t.res.ref, "SEC-7") && str_eq(t.res.ref_id, "10100"),
	    "... delivered, the issue named");
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", DC);
	t.ev.ticket_ref = "SEC-7";
	tev_render(&t);
	check(str_eq(t.rq.url, "https://jira.example.com/jira/rest/api/2/"
	    "issue/SEC-7?fields=status%2Cresolution%2Clabels"), "no id "
	    "recorded: read by key (v2, Data Center): %s", t.rq.url);
	ans = issue_answer(labels, "done", "{\"name\":\"Done\"}");
	check(tev_answer(&t, 200, ans, -1) == CONN_NEXT &&
	    str_eq(sget(t.state, "op"), "transitions") && str_eq(sget(t.state,
	    "want"), "Reopen"), "the recorded issue resolved, a recurrence: "
	    "reopened");
	free(ans);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	t.ev.ticket_ref = "../../x";
	t.ev.ticket_ref_id = "10100/../1";
	tev_render(&t);
	check(str_eq(sget(t.state, "op"), "search") && strstr(t.rq.url,
	    "/search/jql?") != NULL, "a recorded ref Jira would not make is "
	    "never put in a URL: the search");
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{\"severity\":"
	    "\"high\"}", CLOUD);
	t.ev.ticket_ref_id = "10100";
	tev_render(&t);
	check(tev_answer(&t, 404, "{\"errorMessages\":[\"Issue does not exist "
	    "or you do not have permission to see it.\"],\"errors\":{}}", -1)
	    == CONN_NEXT && str_eq(sget(t.state, "op"), "search") &&
	    t.res.reason[0] == '\0', "the recorded issue 404 (deleted): the "
	    "search decides");
	tev_render(&t);
	check(strstr(t.rq.url, "/rest/api/3/search/jql?jql=labels") != NULL,
	    "... by the object's label");
	check(tev_answer(&t, 200, none, -1) == CONN_NEXT &&
	    str_eq(sget(t.state, "op"), "create"), "... none found: create");
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	t.ev.ticket_ref_id = "10100";
	tev_render(&t);
	ans = issue_answer("[\"hookpost\",\"hookpost-0000000000aaaaaaaaaa\"]",
	    "new", "null");
	check(tev_answer(&t, 200, ans, -1) == CONN_NEXT &&
	    str_eq(sget(t.state, "op"), "search") && sget(t.state, "key") ==
	    NULL, "the recorded id is an issue without the object's label "
	    "(another site, the label removed): the search decides");
	free(ans);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	t.ev.ticket_ref_id = "10100";
	tev_render(&t);
	check(tev_answer(&t, 401, "Client must be authenticated to access "
	    "this resource.", -1) == CONN_FAILED && str_eq(t.res.reason,
	    "issue 10100: HTTP 401: Client must be authenticated to access "
	    "this resource."), "the recorded issue 401: failed, the step "
	    "named (%s)", t.res.reason);
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	t.ev.ticket_ref_id = "10100";
	tev_render(&t);
	check(tev_answer(&t, 503, "", -1) == CONN_RETRY && t.res.delay == -1,
	    "the recorded issue 503: retried on the schedule");
	tev_free(&t);

	tev_init(&t, "finding.created", "finding", "F-1", "{}", CLOUD);
	t.ev.ticket_ref_id = "10100";
	tev_render(&t);
	check(tev_answer(&t, 200, "<html>login</html>", -1) == CONN_FAILED,
	    "the recorded issue: a 2xx that is not Jira's issue fails");
	tev_free(&t);
	free(labels);
}

/* --- Test Connection (seed 003 step 4) ------------------------------------ */

static void
test_connection(void)
{
	struct tev	 t;
	json_t		*b;
	const char	*proj = "{\"id\":\"10000\",\"key\":\"SEC\","
	    "\"issueTypes\":[{\"name\":\"Bug\"},{\"name\":\"Task\"}]}";
	const char	*ops = "{\"url\":\"" SITE "\",\"email\":\"a@b\","
	    "\"api_token\":\"t\",\"project_key\":\"OPS\"}";
	const char	*data = "{\"title\":\"hookpost test message\","
	    "\"severity\":\"info\",\"message\":\"A test message.\"}";

	tev_init(&t, "integration.test", "integration", SUB, data, CLOUD);
	tev_render(&t);
	check(str_eq(t.rq.method, "GET") && str_eq(t.rq.url, SITE
	    "/rest/api/3/myself"), "test step 1: GET /myself");
	check(tev_answer(&t, 401, "Client must be authenticated to access "
	    "this resource.", -1) == CONN_FAILED &&
	    strncmp(t.res.reason, "authentication: HTTP 401", 24) == 0,
	    "test: a bad token fails at authentication: %s", t.res.reason);
	check(t.res.step == 1, "test: ... its step as data: 1 (authentication)");
	tev_free(&t);

	/* The service did not answer: no step is to blame. */
	tev_init(&t, "integration.test", "integration", SUB, data, CLOUD);
	tev_render(&t);
	check(tev_answer(&t, 503, "down", -1) == CONN_RETRY && t.res.step == 0,
	    "test: a 503 at the first request names no step");
	tev_free(&t);
	tev_init(&t, "integration.test", "integration", SUB, data, CLOUD);
	tev_render(&t);
	check(tev_answer(&t, 429, "slow down", -1) == CONN_RETRY &&
	    t.res.step == 0, "test: a 429 names no step");
	tev_free(&t);

	tev_init(&t, "integration.test", "integration", SUB, data, CLOUD);
	tev_render(&t);
	check(tev_answer(&t, 200, "{\"accountId\":\"x\"}", -1) == CONN_NEXT,
	    "test: authenticated, next");
	tev_render(&t);
	check(str_eq(t.rq.url, SITE "/rest/api/3/project/SEC"),
	    "test step 2: GET /project/SEC");
	check(tev_answer(&t, 404, "{\"errorMessages\":[\"No project could be "
	    "found with key 'SEC'.\"],\"errors\":{}}", -1) == CONN_FAILED &&
	    str_eq(t.res.reason, "project: HTTP 404: No project could be found "
	    "with key 'SEC'."), "test: an unknown project fails at project: "
	    "%s", t.res.reason);
	check(t.res.step == 2, "test: ... its step as data: 2 (project)");
	tev_free(&t);

	tev_init(&t, "integration.test", "integration", SUB, data, ops);
	tev_render(&t);
	tev_answer(&t, 200, "{}", -1);
	tev_render(&t);
	check(tev_answer(&t, 200, "{\"key\":\"OPS\",\"issueTypes\":[{\"name\":"
	    "\"Task\"}]}", -1) == CONN_FAILED && str_eq(t.res.reason,
	    "issue type: 'Bug' (severity critical) is not an issue type of "
	    "project OPS (it has: Task)"), "test: a mapped type the project "
	    "lacks fails at issue type: %s", t.res.reason);
	check(t.res.step == 3, "test: ... its step as data: 3 (issue type)");
	tev_free(&t);

	tev_init(&t, "integration.test", "integration", SUB, data, "{\"url\":"
	    "\"" SITE "\",\"pat\":\"p\",\"project_key\":\"OPS\","
	    "\"auto_create_threshold\":\"medium\",\"mapping\":{"
	    "\"critical\":{\"issue_type\":\"Task\"},\"high\":{\"issue_type\":"
	    "\"Task\"},\"low\":{\"issue_type\":\"Chore\"}}}");
	tev_render(&t);
	tev_answer(&t, 200, "{}", -1);
	tev_render(&t);
	check(tev_answer(&t, 200, "{\"key\":\"OPS\",\"issueTypes\":[{\"name\":"
	    "\"Task\"}]}", -1) == CONN_NEXT, "test: only the types of "
	    "severities at or above auto_create_threshold are checked (low's "
	    "Chore is not)");
	tev_render(&t);
	b = tev_body(&t);
	check(str_eq(sget(b, "fields.issuetype.name"), "Task") &&
	    str_eq(sget(b, "fields.priority.name"), "Medium"), "test: the test "
	    "issue is of the threshold's kind (medium: Task/Medium)");
	json_decref(b);
	tev_free(&t);

	tev_init(&t, "integration.test", "integration", SUB, data, CLOUD);
	tev_render(&t);
	tev_answer(&t, 200, "{}", -1);
	tev_render(&t);
	check(tev_answer(&t, 200, proj, -1) == CONN_NEXT, "test: the project "
	    "has every mapped type, next");
	tev_render(&t);
	b = tev_body(&t);
	check(str_eq(t.rq.method, "POST") && str_eq(t.rq.url, SITE
	    "/rest/api/3/issue") && str_eq(sget(b, "fields.summary"),
	    "hookpost test message") && str_eq(sget(b,
	    "fields.issuetype.name"), "Task") && str_eq(sget(b,
	    "fields.priority.name"), "Low"), "test step 3: a test issue "
	    "created (the mapping of auto_create_threshold, low)");
	json_decref(b);
	check(tev_answer(&t, 403, "{\"errorMessages\":[\"You do not have "
	    "permission to create issues in this project.\"],\"errors\":{}}",
	    -1) == CONN_FAILED && str_eq(t.res.reason, "permission: creating "
	    "a test issue: HTTP 403: You do not have permission to create "
	    "issues in this project."), "test: no create permission fails at "
	    "permission: %s", t.res.reason);
	check(t.res.step == 4, "test: ... its step as data: 4 (permission)");
	tev_free(&t);

	tev_init(&t, "integration.test", "integration", SUB, data, CLOUD);
	tev_render(&t);
	tev_answer(&t, 200, "{}", -1);
	tev_render(&t);
	tev_answer(&t, 200, proj, -1);
	tev_render(&t);
	check(tev_answer(&t, 201, "{\"id\":\"10300\",\"key\":\"SEC-30\"}", -1)
	    == CONN_NEXT, "test: created, next");
	tev_render(&t);
	check(str_eq(t.rq.method, "DELETE") && str_eq(t.rq.url, SITE
	    "/rest/api/3/issue/SEC-30") && t.rq.body == NULL,
	    "test step 4: DELETE the test issue at once");
	check(tev_answer(&t, 204, NULL, -1) == CONN_DELIVERED &&
	    t.res.reason[0] == '\0' && t.res.ref[0] == '\0',
	    "test: deleted, delivered; no ticket recorded");
	tev_free(&t);

	tev_init(&t, "integration.test", "integration", SUB, data, CLOUD);
	tev_render(&t);
	tev_answer(&t, 200, "{}", -1);
	tev_render(&t);
	tev_answer(&t, 200, proj, -1);
	tev_render(&t);
	tev_answer(&t, 201, "{\"id\":\"10300\",\"key\":\"SEC-30\"}", -1);
	tev_render(&t);
	check(tev_answer(&t, 403, "{\"errorMessages\":[\"You do not have "
	    "permission to delete issues in this project.\"]}", -1) ==
	    CONN_FAILED && strncmp(t.res.reason, "permission: deleting test "
	    "issue SEC-30: HTTP 403", 46) == 0, "test: no delete permission "
	    "fails at permission, naming the issue left: %s", t.res.reason);
	tev_free(&t);
}

int
main(void)
{
	if ((jira = connector_find("jira")) == NULL) {
		check(0, "table: jira");
		return check_done();
	}
	check(jira->tickets == 1 && str_eq(jira->url_key, "url") &&
	    connector_is_secret(jira, "api_token") &&
	    connector_is_secret(jira, "pat") &&
	    !connector_is_secret(jira, "email") && !jira->test_resolves,
	    "table: jira keeps tickets; api_token and pat are secrets");
	test_settings();
	test_search_request();
	test_label();
	test_lifecycle();
	test_mapping();
	test_fields();
	test_adf();
	test_wiki();
	test_bounds();
	test_create_answer();
	test_transitions();
	test_answers();
	test_known();
	test_connection();
	return check_done();
}
