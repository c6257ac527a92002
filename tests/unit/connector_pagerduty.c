/*
 * Unit tests of lib/connector_pagerduty.c: what render makes of an event
 * (PagerDuty Events API v2 trigger and resolve bodies, the severity
 * table, the summary cut at 1024 characters, the dedup key of an object,
 * the 512 KB bound) and what classify makes of each answer PagerDuty
 * documents.  One line per case; exits 0 only when all pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "check.h"
#include "connector.h"
#include "util.h"

#define KEY	"e93facc04764012d7bfb002500d5d1a6"
#define EMU	"http://127.0.0.1:1/v2/enqueue"
#define PD_URL	"https://events.pagerduty.com/v2/enqueue"

static const struct connector *pd;

/* One event being rendered: its parts, owned here. */
struct tev {
	struct conn_event	 ev;
	json_t			*event, *config;
	char			*payload;
};

/*
 * An event of type with object (object_type/object_id, or NULL), data
 * (JSON text) and the config (JSON text) into t.
 */
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
	t->payload = json_dumps(t->event, JSON_COMPACT);
	t->ev.delivery_id = "11111111-1111-4111-8111-111111111111";
	t->ev.event_id = "22222222-2222-4222-8222-222222222222";
	t->ev.subscription_id = "33333333-3333-4333-8333-333333333333";
	t->ev.event_type = type;
	t->ev.payload = t->payload;
	t->ev.event = t->event;
	t->ev.config = t->config;
	t->ev.url = "";
	t->ev.ts = 1714564800;
}

static void
tev_free(struct tev *t)
{
	json_decref(t->event);
	json_decref(t->config);
	free(t->payload);
}

/* Renders t: the body parsed (NULL when render refused), rq kept. */
static json_t *
tev_render(struct tev *t, struct conn_request *rq, char *err, size_t errsz)
{
	memset(rq, 0, sizeof(*rq));
	err[0] = '\0';
	if (pd->render(&t->ev, rq, err, errsz) == -1)
		return NULL;
	return json_loadb(rq->body, rq->bodylen, JSON_REJECT_DUPLICATES, NULL);
}

/* The body of one event (NULL when refused), request freed. */
static json_t *
render_body(const char *type, const char *otype, const char *oid,
    const char *data, const char *config)
{
	struct tev		 t;
	struct conn_request	 rq;
	char			 err[256];
	json_t			*b;

	tev_init(&t, type, otype, oid, data, config);
	b = tev_render(&t, &rq, err, sizeof(err));
	conn_request_free(&rq);
	tev_free(&t);
	return b;
}

/* The keys of object o, sorted, ","-joined into buf. */
static const char *
keys(const json_t *o, char *buf, size_t bufsz)
{
	const char	*k, *names[32];
	json_t		*v;
	size_t		 n = 0, i, j, len = 0;

	json_object_foreach((json_t *)o, k, v)
		if (n < NITEMS(names))
			names[n++] = k;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			k = names[j];
			names[j] = names[j - 1];
			names[j - 1] = k;
		}
	buf[0] = '\0';
	for (i = 0; i < n && len < bufsz; i++)
		len += (size_t)snprintf(buf + len, bufsz - len, "%s%s",
		    i ? "," : "", names[i]);
	return buf;
}

static const char *
sget(const json_t *o, const char *path)
{
	char		 part[64];
	const char	*dot;

	while ((dot = strchr(path, '.')) != NULL) {
		snprintf(part, sizeof(part), "%.*s", (int)(dot - path), path);
		o = json_object_get(o, part);
		path = dot + 1;
	}
	return json_string_value(json_object_get(o, path));
}

/* 1 when s is valid UTF-8 (no overlongs checked: none are made). */
static int
utf8_ok(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	int			 n;

	while (*p != '\0') {
		n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 :
		    (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0)
			return 0;
		for (p++; n > 0; n--, p++)
			if ((*p & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

static void
test_table(void)
{
	pd = connector_find("pagerduty");
	check(pd != NULL, "the table has a pagerduty connector");
	if (pd == NULL)
		return;
	check(pd->test_resolves == 1, "its test is resolved right after "
	    "(test_resolves)");
	check(connector_is_secret(pd, "routing_key") &&
	    !connector_is_secret(pd, "events_url"), "routing_key is its one "
	    "secret setting");
	check(str_eq(pd->url_key, "events_url") && str_eq(pd->url_default,
	    PD_URL), "events_url, default %s", PD_URL);
}

static void
test_check(void)
{
	static const struct {
		const char	*config;
		int		 want;
	} cases[] = {
		{ "{\"routing_key\":\"" KEY "\"}", 0 },
		{ "{\"routing_key\":\"R015LK0GS2LFAH4JZOX7EZ2TF6ZDKLNQ\"}", 0 },
		{ "{\"routing_key\":\"e93facc04764012d7bfb002500d5d1a\"}", -1 },
		{ "{\"routing_key\":\"e93facc04764012d7bfb002500d5d1a6x\"}",
		    -1 },
		{ "{\"routing_key\":\"e93facc04764012d7bfb002500d5d1a-\"}",
		    -1 },
		{ "{\"routing_key\":\"e93facc04764012d7bfb002500d5d1\\n\"}",
		    -1 },
		{ "{\"routing_key\":32}", -1 },
		{ "{\"events_url\":\"" EMU "\"}", 0 },
	};
	json_t	*c;
	char	 err[256];
	size_t	 i;
	int	 rc;

	for (i = 0; i < NITEMS(cases); i++) {
		c = json_loads(cases[i].config, 0, NULL);
		err[0] = '\0';
		rc = pd->check(c, err, sizeof(err));
		check(rc == cases[i].want && (rc == 0 || (err[0] != '\0' &&
		    strstr(err, "e93facc047") == NULL)), "check %s: %s",
		    cases[i].config, rc == 0 ? "accepted" : err);
		json_decref(c);
	}
}

static void
test_trigger(void)
{
	static const struct {
		const char	*ts;
		int		 ok;
	} stamps[] = {
		{ "2024-05-01T12:00:00Z", 1 },
		{ "2024-05-01T12:00:00.123456Z", 1 },
		{ "2024-05-01T12:00:00-0530", 1 },
		{ "2024-05-01T12:00:00+02:0x", 0 },
		{ "2024-05-01T12:00:00+02:000", 0 },
		{ "2024-05-01 12:00:00Z", 0 },
		{ "2024-05-01T12:00:00", 0 },
		{ "2024-05-01", 0 },
		{ "", 0 },
	};
	size_t			 i;
	struct tev		 t;
	struct conn_request	 rq;
	struct curl_slist	*h;
	json_t			*b, *p;
	char			 err[256], k[256];
	int			 ct = 0;

	tev_init(&t, "finding.created", "finding", "F1",
	    "{\"title\":\"SQL injection\",\"severity\":\"critical\","
	    "\"asset\":\"api.example.com\",\"url\":\"https://tw.example.com/"
	    "findings/F1\",\"cvss\":9.8}",
	    "{\"routing_key\":\"" KEY "\",\"events_url\":\"" EMU "\","
	    "\"component\":\"web\",\"group\":\"prod\",\"class\":\"sqli\"}");
	b = tev_render(&t, &rq, err, sizeof(err));
	check(b != NULL, "a trigger renders (%s)", err);
	if (b == NULL)
		goto out;
	check(str_eq(keys(b, k, sizeof(k)),
	    "client,dedup_key,event_action,links,payload,routing_key"),
	    "trigger keys: %s", k);
	check(str_eq(sget(b, "routing_key"), KEY) &&
	    str_eq(sget(b, "event_action"), "trigger") &&
	    str_eq(sget(b, "dedup_key"), "hookpost/finding/F1") &&
	    str_eq(sget(b, "client"), "hookpost"),
	    "routing_key, trigger, dedup_key hookpost/finding/F1, client");
	p = json_object_get(b, "payload");
	check(str_eq(keys(p, k, sizeof(k)), "class,component,custom_details,"
	    "group,severity,source,summary,timestamp"), "payload keys: %s", k);
	check(str_eq(sget(p, "summary"), "SQL injection on api.example.com "
	    "(finding.created finding/F1)"), "summary: title, asset, what "
	    "happened to which object: %s", sget(p, "summary"));
	check(str_eq(sget(p, "source"), "hookpost") &&
	    str_eq(sget(p, "severity"), "critical") &&
	    str_eq(sget(p, "timestamp"), "2024-05-01T12:00:00.000Z") &&
	    str_eq(sget(p, "component"), "web") &&
	    str_eq(sget(p, "group"), "prod") && str_eq(sget(p, "class"),
	    "sqli"), "source (default), severity, the event's timestamp, "
	    "component, group, class");
	check(json_equal(json_object_get(p, "custom_details"),
	    json_object_get(t.event, "data")), "custom_details is the event "
	    "data");
	check(json_array_size(json_object_get(b, "links")) == 1 &&
	    str_eq(sget(json_array_get(json_object_get(b, "links"), 0),
	    "href"), "https://tw.example.com/findings/F1") &&
	    str_eq(sget(json_array_get(json_object_get(b, "links"), 0),
	    "text"), "finding/F1"), "links: the object's link");
	check(str_eq(rq.url, EMU), "sent to events_url");
	for (h = rq.headers; h != NULL; h = h->next)
		if (strcmp(h->data, "Content-Type: application/json") == 0)
			ct = 1;
	check(ct, "Content-Type: application/json");
	json_decref(b);
out:
	conn_request_free(&rq);
	tev_free(&t);

	/* The defaults: no settings but the key, no link, no asset. */
	tev_init(&t, "scan.completed", "scan", "S1", "{}",
	    "{\"routing_key\":\"" KEY "\",\"source\":\"scanner-1\"}");
	b = tev_render(&t, &rq, err, sizeof(err));
	p = json_object_get(b, "payload");
	check(b != NULL && str_eq(keys(b, k, sizeof(k)),
	    "client,dedup_key,event_action,payload,routing_key") &&
	    str_eq(keys(p, k, sizeof(k)), "custom_details,severity,source,"
	    "summary,timestamp"), "no link, component, group or class when "
	    "unset: %s", k);
	check(str_eq(sget(p, "summary"), "scan.completed (scan.completed "
	    "scan/S1)") && str_eq(sget(p, "source"), "scanner-1") &&
	    str_eq(sget(p, "severity"), "info"), "no title: the event type; "
	    "source set; no severity: info");
	check(str_eq(rq.url, PD_URL), "no events_url: %s", PD_URL);
	json_decref(b);
	conn_request_free(&rq);
	t.ev.url = "https://events.eu.pagerduty.com/v2/enqueue";
	b = tev_render(&t, &rq, err, sizeof(err));
	check(str_eq(rq.url, t.ev.url), "no events_url: the integration's "
	    "url column when set");
	json_decref(b);
	conn_request_free(&rq);
	tev_free(&t);

	b = render_body("finding.created", "finding", "F1",
	    "{\"url\":\"javascript:alert(1)\"}", "{\"routing_key\":\"" KEY
	    "\"}");
	check(b != NULL && json_object_get(b, "links") == NULL,
	    "a link that is not http(s) is left out");
	json_decref(b);

	tev_init(&t, "finding.created", "finding", "F1", "{}",
	    "{\"routing_key\":\"" KEY "\"}");
	json_object_set_new(t.event, "timestamp", json_string("yesterday"));
	b = tev_render(&t, &rq, err, sizeof(err));
	check(b != NULL && json_object_get(json_object_get(b, "payload"),
	    "timestamp") == NULL, "a timestamp that is not ISO 8601 is left "
	    "out (PagerDuty stamps the alert)");
	json_decref(b);
	conn_request_free(&rq);
	json_object_set_new(t.event, "timestamp",
	    json_string("2024-05-01T12:00:00+02:00"));
	b = tev_render(&t, &rq, err, sizeof(err));
	check(str_eq(sget(b, "payload.timestamp"), "2024-05-01T12:00:00+02:00"),
	    "an ISO 8601 timestamp with an offset is kept");
	json_decref(b);
	conn_request_free(&rq);
	for (i = 0; i < NITEMS(stamps); i++) {
		json_object_set_new(t.event, "timestamp",
		    json_string(stamps[i].ts));
		b = tev_render(&t, &rq, err, sizeof(err));
		check(str_eq(sget(b, "payload.timestamp"), stamps[i].ok ?
		    stamps[i].ts : NULL), "timestamp '%s': %s", stamps[i].ts,
		    stamps[i].ok ? "kept" : "left out");
		json_decref(b);
		conn_request_free(&rq);
	}
	tev_free(&t);
}

static void
test_resolve(void)
{
	json_t	*b, *t;
	char	 k[256];

	t = render_body("finding.created", "finding", "F1",
	    "{\"severity\":\"critical\"}", "{\"routing_key\":\"" KEY "\"}");
	b = render_body("finding.resolved", "finding", "F1",
	    "{\"title\":\"SQL injection\",\"url\":\"https://x.example/\"}",
	    "{\"routing_key\":\"" KEY "\",\"component\":\"web\"}");
	check(b != NULL && str_eq(keys(b, k, sizeof(k)),
	    "dedup_key,event_action,routing_key"), "a resolve carries only "
	    "routing_key, event_action, dedup_key: %s", k);
	check(str_eq(sget(b, "event_action"), "resolve") &&
	    str_eq(sget(b, "routing_key"), KEY), "finding.resolved: resolve");
	check(t != NULL && str_eq(sget(b, "dedup_key"), sget(t, "dedup_key")),
	    "the resolve names the trigger's dedup_key");
	json_decref(b);
	b = render_body("finding.status_changed", "finding", "F1",
	    "{\"status\":\"closed\"}", "{\"routing_key\":\"" KEY "\"}");
	check(str_eq(sget(b, "event_action"), "resolve") &&
	    str_eq(sget(b, "dedup_key"), sget(t, "dedup_key")),
	    "data.status closed: resolve, same dedup_key");
	json_decref(b);
	b = render_body("integration.test.resolved", "integration", "I1",
	    "{}", "{\"routing_key\":\"" KEY "\"}");
	check(str_eq(sget(b, "event_action"), "resolve") &&
	    str_eq(sget(b, "dedup_key"), "hookpost/integration/I1"),
	    "integration.test.resolved resolves the test's alert");
	json_decref(b);
	json_decref(t);
}

static void
test_severity(void)
{
	static const struct {
		const char	*data, *want;
	} cases[] = {
		{ "{\"severity\":\"critical\"}", "critical" },
		{ "{\"severity\":\"high\"}", "error" },
		{ "{\"severity\":\"medium\"}", "warning" },
		{ "{\"severity\":\"low\"}", "info" },
		{ "{\"severity\":\"info\"}", "info" },
		{ "{\"severity\":\"HIGH\"}", "error" },
		{ "{\"severity\":\"urgent\"}", "info" },
		{ "{\"severity\":5}", "info" },
		{ "{}", "info" },
	};
	json_t	*b;
	size_t	 i;

	for (i = 0; i < NITEMS(cases); i++) {
		b = render_body("finding.created", "finding", "F1",
		    cases[i].data, "{\"routing_key\":\"" KEY "\"}");
		check(str_eq(sget(b, "payload.severity"), cases[i].want),
		    "severity %s -> %s (%s)", cases[i].data, cases[i].want,
		    sget(b, "payload.severity"));
		json_decref(b);
	}
}

static void
test_summary(void)
{
	static const char *const units[] = { "a", "\xc3\xa9", "\xe6\xbc\xa2",
	    "\xf0\x9f\x94\xa5" };
	struct buf	 title;
	json_t		*data, *b;
	char		*dtext;
	const char	*s;
	size_t		 i, n, u;

	for (u = 0; u < NITEMS(units); u++) {
		for (n = 0; n < 2; n++) {
			/* 2000 characters, and exactly as many as fit. */
			memset(&title, 0, sizeof(title));
			for (i = 0; i < (n == 0 ? 2000u : 1024u -
			    strlen(" (finding.created finding/F1)")); i++)
				buf_append(&title, units[u], strlen(units[u]));
			buf_append(&title, "", 1);
			data = json_pack("{s:s}", "title", title.data);
			dtext = json_dumps(data, JSON_COMPACT);
			b = render_body("finding.created", "finding", "F1",
			    dtext, "{\"routing_key\":\"" KEY "\"}");
			s = sget(b, "payload.summary");
			if (n == 0)
				check(s != NULL && utf8_chars(s) == 1024 &&
				    utf8_ok(s) && strcmp(s + strlen(s) - 3,
				    "\xe2\x80\xa6") == 0 && strncmp(s,
				    title.data, strlen(s) - 3) == 0,
				    "a %zu-byte character title of 2000: "
				    "summary cut to 1024 characters ending "
				    "with an ellipsis, valid UTF-8 (%zu)",
				    strlen(units[u]), s ? utf8_chars(s) : 0);
			else
				check(s != NULL && utf8_chars(s) == 1024 &&
				    strstr(s, "\xe2\x80\xa6") == NULL &&
				    strstr(s, "(finding.created finding/F1)")
				    != NULL, "a %zu-byte character title "
				    "of exactly 1024 characters of summary: "
				    "not cut", strlen(units[u]));
			json_decref(b);
			json_decref(data);
			free(dtext);
			buf_free(&title);
		}
	}
}

static void
test_dedup(void)
{
	static const struct {
		const char	*type, *otype, *oid, *data;
	} same[] = {
		{ "finding.created", "finding", "F1", "{}" },
		{ "finding.created", "finding", "F1",
		    "{\"severity\":\"high\",\"title\":\"other\"}" },
		{ "finding.status_changed", "finding", "F1",
		    "{\"status\":\"in_progress\"}" },
		{ "finding.resolved", "finding", "F1", "{}" },
		{ "finding.created", NULL, NULL, "{\"id\":\"F1\"}" },
		{ "finding.created", NULL, NULL, "{\"finding_id\":\"F1\"}" },
	};
	json_t	*b, *o;
	char	*first = NULL, big[400];
	size_t	 i;
	int	 stable = 1;

	for (i = 0; i < NITEMS(same); i++) {
		b = render_body(same[i].type, same[i].otype, same[i].oid,
		    same[i].data, "{\"routing_key\":\"" KEY "\"}");
		if (first == NULL && sget(b, "dedup_key") != NULL)
			first = xstrdup(sget(b, "dedup_key"));
		else if (!str_eq(first, sget(b, "dedup_key")))
			stable = 0;
		json_decref(b);
	}
	check(stable && str_eq(first, "hookpost/finding/F1"), "one object, "
	    "one dedup_key across its events (%s)", first);
	b = render_body("finding.created", "finding", "F2", "{}",
	    "{\"routing_key\":\"" KEY "\"}");
	o = render_body("asset.created", "asset", "F1", "{}",
	    "{\"routing_key\":\"" KEY "\"}");
	check(!str_eq(first, sget(b, "dedup_key")) &&
	    !str_eq(first, sget(o, "dedup_key")) &&
	    !str_eq(sget(b, "dedup_key"), sget(o, "dedup_key")),
	    "another object (id or resource), another dedup_key");
	json_decref(b);
	json_decref(o);
	free(first);

	/* The longest object key there is stays within 255. */
	memset(big, 'x', 159);
	big[159] = '\0';
	b = render_body("finding.created", "abcdefghijabcdefghijabcdefghij"
	    "abcdefghijabcdefghijabcdefghijabc", big, "{}",
	    "{\"routing_key\":\"" KEY "\"}");
	check(sget(b, "dedup_key") != NULL && strlen(sget(b, "dedup_key")) <=
	    255 && strstr(sget(b, "dedup_key"), big) != NULL,
	    "a long object key stays whole within 255 characters (%zu)",
	    sget(b, "dedup_key") ? strlen(sget(b, "dedup_key")) : 0);
	json_decref(b);
	b = render_body("note.created", NULL, NULL, "{}",
	    "{\"routing_key\":\"" KEY "\"}");
	check(str_eq(sget(b, "dedup_key"),
	    "hookpost/event/22222222-2222-4222-8222-222222222222"),
	    "no object: the event's own key (%s)", sget(b, "dedup_key"));
	json_decref(b);
}

static void
test_bound(void)
{
	static const char *const fill[] = { "x", "\"", "\xc3\xa9", "\x01" };
	struct tev		 t;
	struct conn_request	 rq;
	struct buf		 v;
	json_t			*b, *cd;
	char			 err[256], *dtext;
	size_t			 i, f;

	for (f = 0; f < NITEMS(fill); f++) {
		memset(&v, 0, sizeof(v));
		for (i = 0; i < 700000 / strlen(fill[f]); i++)
			buf_append(&v, fill[f], strlen(fill[f]));
		buf_append(&v, "", 1);
		tev_init(&t, "finding.created", "finding", "F1", "{}",
		    "{\"routing_key\":\"" KEY "\"}");
		json_object_set_new(json_object_get(t.event, "data"), "blob",
		    json_string(v.data));
		json_object_set_new(json_object_get(t.event, "data"), "title",
		    json_string("big"));
		b = tev_render(&t, &rq, err, sizeof(err));
		cd = json_object_get(json_object_get(b, "payload"),
		    "custom_details");
		dtext = json_dumps(json_object_get(t.event, "data"),
		    JSON_COMPACT);
		check(b != NULL && rq.bodylen <= 512000 && rq.bodylen > 400000 &&
		    json_is_true(json_object_get(cd, "truncated")) &&
		    json_integer_value(json_object_get(cd, "data_bytes")) ==
		    (json_int_t)strlen(dtext) && sget(cd, "data_excerpt") !=
		    NULL && strncmp(dtext, sget(cd, "data_excerpt"),
		    strlen(sget(cd, "data_excerpt"))) == 0 &&
		    str_eq(sget(b, "payload.summary"), "big (finding.created "
		    "finding/F1)"), "700 KB of data ('%s' written as %zu "
		    "bytes): the body stays within 512000 bytes (%zu), "
		    "custom_details an excerpt of the data", f == 1 ? "\\\"" :
		    f == 3 ? "\\u0001" : fill[f], f == 3 ? 6 : f == 1 ? 2 :
		    strlen(fill[f]), rq.bodylen);
		free(dtext);
		json_decref(b);
		conn_request_free(&rq);
		tev_free(&t);
		buf_free(&v);
	}
	b = render_body("finding.created", "finding", "F1",
	    "{\"a\":\"small\"}", "{\"routing_key\":\"" KEY "\"}");
	check(str_eq(sget(b, "payload.custom_details.a"), "small"),
	    "small data is sent whole");
	json_decref(b);
}

static void
test_refused(void)
{
	static const char *const configs[] = { "{}",
	    "{\"routing_key\":\"short\"}",
	    "{\"routing_key\":\"e93facc04764012d7bfb002500d5d1a!\"}" };
	struct tev		 t;
	struct conn_request	 rq;
	char			 err[256];
	size_t			 i;
	json_t			*b;

	for (i = 0; i < NITEMS(configs); i++) {
		tev_init(&t, "finding.created", "finding", "F1", "{}",
		    configs[i]);
		b = tev_render(&t, &rq, err, sizeof(err));
		check(b == NULL && rq.body == NULL && err[0] != '\0' &&
		    strstr(err, "e93facc") == NULL && strstr(err, "short") ==
		    NULL, "config %s: not rendered (%s), the key not in the "
		    "reason", configs[i], err);
		conn_request_free(&rq);
		tev_free(&t);
	}
}

static void
test_classify(void)
{
	static const struct {
		long		 status;
		const char	*error, *body;
		long		 retry_after;
		enum conn_outcome want;
		long		 delay;
		const char	*ref, *reason;
	} cases[] = {
		{ 202, NULL, "{\"status\":\"success\",\"message\":\"Event "
		    "processed\",\"dedup_key\":\"hookpost/finding/F1\"}", -1,
		    CONN_DELIVERED, -1, "hookpost/finding/F1", "" },
		{ 202, NULL, "{\"status\":\"success\",\"message\":\"Event "
		    "processed\",\"dedup_key\":\"srv01/HTTP\"}", -1,
		    CONN_DELIVERED, -1, "srv01/HTTP", "" },
		{ 202, NULL, "{\"status\":\"success\"}", -1, CONN_DELIVERED,
		    -1, "hookpost/finding/F1", "" },
		{ 200, NULL, "<html>ok</html>", -1, CONN_FAILED, -1, "",
		    "HTTP 200 without PagerDuty's {\"status\": \"success\"}" },
		{ 202, NULL, "", -1, CONN_FAILED, -1, "", "HTTP 202 without" },
		{ 400, NULL, "{\"status\":\"invalid event\",\"message\":\"Event "
		    "object is invalid\",\"errors\":[\"Length of 'routing_key' "
		    "is incorrect (should be 32 characters)\",\"'payload."
		    "summary' is missing or blank\"]}", -1, CONN_FAILED, -1, "",
		    "HTTP 400 invalid event: Event object is invalid: Length "
		    "of 'routing_key' is incorrect (should be 32 characters); "
		    "'payload.summary' is missing or blank" },
		{ 400, NULL, "{\"status\":\"invalid event\",\"message\":\"bad "
		    "key " KEY "\",\"errors\":[\"key " KEY " unknown\"]}", -1,
		    CONN_FAILED, -1, "", "HTTP 400 invalid event: bad key "
		    "\xe2\x80\xa6" "d1a6: key \xe2\x80\xa6" "d1a6 unknown" },
		{ 400, NULL, "not json", -1, CONN_FAILED, -1, "", "HTTP 400" },
		{ 429, NULL, "", -1, CONN_RETRY, -1, "", "HTTP 429" },
		{ 429, NULL, "{\"status\":\"throttle event\"}", 7, CONN_RETRY,
		    7, "", "HTTP 429 throttle event" },
		{ 429, NULL, "", 0, CONN_RETRY, 1, "", "HTTP 429" },
		{ 429, NULL, "", 86400, CONN_RETRY, 3600, "", "HTTP 429" },
		{ 500, NULL, "", -1, CONN_RETRY, -1, "", "HTTP 500" },
		{ 502, NULL, "", -1, CONN_RETRY, -1, "", "HTTP 502" },
		{ 503, NULL, "", 20, CONN_RETRY, 20, "", "HTTP 503" },
		{ 408, NULL, "", -1, CONN_RETRY, -1, "", "HTTP 408" },
		{ 404, NULL, "", -1, CONN_FAILED, -1, "", "HTTP 404" },
		{ 413, NULL, "", -1, CONN_FAILED, -1, "", "HTTP 413" },
		{ 403, NULL, "", -1, CONN_FAILED, -1, "", "HTTP 403" },
		{ 410, NULL, "", -1, CONN_GONE, -1, "", "HTTP 410" },
		{ 0, "Connection refused", NULL, -1, CONN_RETRY, -1, "",
		    "Connection refused" },
	};
	static const char *const names[] = { "delivered", "async", "retry",
	    "failed", "gone" };
	struct tev		 t;
	struct conn_answer	 a;
	struct conn_result	 res;
	size_t			 i;

	tev_init(&t, "finding.created", "finding", "F1", "{}",
	    "{\"routing_key\":\"" KEY "\"}");
	for (i = 0; i < NITEMS(cases); i++) {
		memset(&a, 0, sizeof(a));
		a.status = cases[i].status;
		a.error = cases[i].error;
		a.body = cases[i].body;
		a.bodylen = cases[i].body ? strlen(cases[i].body) : 0;
		a.retry_after = cases[i].retry_after;
		memset(&res, 0xa5, sizeof(res));
		pd->classify(&t.ev, &a, &res);
		check(res.outcome == cases[i].want && res.delay ==
		    cases[i].delay && str_eq(res.ref, cases[i].ref) &&
		    strncmp(res.reason, cases[i].reason,
		    strlen(cases[i].reason)) == 0 && (cases[i].reason[0] !=
		    '\0' || res.reason[0] == '\0') && strstr(res.reason, KEY)
		    == NULL, "HTTP %ld%s%s: %s, delay %ld, ref '%s', reason "
		    "'%s'", cases[i].status, cases[i].retry_after >= 0 ?
		    " Retry-After" : "", cases[i].error ? " (no answer)" : "",
		    names[res.outcome], res.delay, res.ref, res.reason);
	}
	/* A long explanation is cut at a character, the key masked first. */
	{
		struct buf	 lb;

		memset(&lb, 0, sizeof(lb));
		buf_appendf(&lb, "{\"status\":\"invalid event\",\"message\":"
		    "\"Event object is invalid\",\"errors\":[\"");
		for (i = 0; i < 99; i++)
			buf_appendf(&lb, "\xc3\xa9");
		buf_appendf(&lb, "%s", KEY);
		for (i = 0; i < 300; i++)
			buf_appendf(&lb, "\xc3\xa9");
		buf_appendf(&lb, "\"]}");
		memset(&a, 0, sizeof(a));
		a.status = 400;
		a.body = lb.data;
		a.bodylen = lb.len;
		a.retry_after = -1;
		pd->classify(&t.ev, &a, &res);
		check(res.outcome == CONN_FAILED && strlen(res.reason) <= 255 &&
		    strlen(res.reason) >= 250 && utf8_ok(res.reason) &&
		    strstr(res.reason, "e93facc") == NULL &&
		    strstr(res.reason, "\xe2\x80\xa6" "d1a6") != NULL,
		    "a long 400 reason: cut at a character within 255 bytes "
		    "(%zu), the key in it masked", strlen(res.reason));
		buf_free(&lb);
	}

	/* A 2xx that says async (seed 000's header) is still delivered:
	 * PagerDuty never calls back. */
	memset(&a, 0, sizeof(a));
	a.status = 202;
	a.body = "{\"status\":\"success\",\"dedup_key\":\"k\"}";
	a.bodylen = strlen(a.body);
	a.retry_after = -1;
	a.async = 1;
	pd->classify(&t.ev, &a, &res);
	check(res.outcome == CONN_DELIVERED && str_eq(res.ref, "k"),
	    "202 with X-Webhook-Callback: async: delivered, not left waiting");
	tev_free(&t);
}

int
main(void)
{
	test_table();
	if (pd == NULL)
		return check_done();
	test_check();
	test_trigger();
	test_resolve();
	test_severity();
	test_summary();
	test_dedup();
	test_bound();
	test_refused();
	test_classify();
	return check_done();
}
