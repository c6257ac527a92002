/*
 * Unit tests of lib/connector.c and the seed-003 custom webhook
 * (lib/connector_webhook.c): the table, what connectors read of an
 * event, the shared outcome rules, truncation by characters, the custom
 * headers' checks and the request the webhook renders (its X-TW-Signature
 * checked by an HMAC computed here, apart from lib/sig.c's signer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "check.h"
#include "connector.h"
#include "crypt.h"
#include "util.h"
#include "valid.h"

static const char payload[] = "{\"event_type\":\"finding.created\","
    "\"threat_model_id\":null,\"object_id\":\"F-7\",\"object_type\":"
    "\"finding\",\"owner_id\":\"o1\",\"timestamp\":"
    "\"2026-12-07T01:02:03.004Z\",\"data\":{\"severity\":\"HIGH\","
    "\"title\":\"SQL injection\",\"url\":\"https://tw.example/f/7\"}}";

static void
event_init(struct conn_event *ev, json_t **parsed, const char *type,
    const char *body, json_t *config)
{
	memset(ev, 0, sizeof(*ev));
	*parsed = json_loads(body, 0, NULL);
	ev->delivery_id = "0190e0c0-0000-7000-8000-000000000001";
	ev->event_id = "0190e0c0-0000-7000-8000-0000000000e1";
	ev->subscription_id = "0190e0c0-0000-7000-8000-0000000000a1";
	ev->event_type = type;
	ev->payload = body;
	ev->event = *parsed;
	ev->config = config;
	ev->url = "https://hooks.example/in";
	ev->ts = 1796000000;
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

static void
test_table(void)
{
	const struct connector	*c;
	size_t			 i, j;

	check(connector_find("hookpost") != NULL, "table: hookpost");
	check(connector_find("webhook") != NULL, "table: webhook");
	check(connector_find("nosuch") == NULL, "table: unknown type");
	check(connector_find(NULL) == NULL, "table: NULL type");
	for (i = 0; connectors[i] != NULL; i++) {
		c = connectors[i];
		check(c->render != NULL && c->classify != NULL &&
		    c->title != NULL, "table: %s has render, classify, title",
		    c->type);
		for (j = i + 1; connectors[j] != NULL; j++)
			check(strcmp(c->type, connectors[j]->type) != 0,
			    "table: %s once", c->type);
		/* Every secret is a declared setting. */
		for (j = 0; c->secrets != NULL && c->secrets[j] != NULL; j++) {
			size_t	 k;

			for (k = 0; k < c->nfields; k++)
				if (strcmp(c->fields[k].name,
				    c->secrets[j]) == 0)
					break;
			check(k < c->nfields, "table: %s secret %s declared",
			    c->type, c->secrets[j]);
		}
	}
	c = connector_find("webhook");
	check(connector_is_secret(c, "secret") &&
	    connector_is_secret(c, "headers") &&
	    !connector_is_secret(c, "url"), "webhook: secrets are secret and "
	    "headers, not url");
}

static void
test_event(void)
{
	struct conn_event	 ev;
	json_t			*p, *cfg = json_object();
	char			 key[128];

	event_init(&ev, &p, "finding.created", payload, cfg);
	check(str_eq(conn_severity(&ev), "high"), "severity: case folded");
	check(str_eq(conn_title(&ev), "SQL injection"), "title: data.title");
	check(str_eq(conn_object_key(&ev, key, sizeof(key)), "finding/F-7"),
	    "object key: object_type/object_id");
	check(str_eq(conn_link(&ev), "https://tw.example/f/7"), "link");
	check(str_eq(conn_timestamp(&ev), "2026-12-07T01:02:03.004Z"),
	    "timestamp");
	check(!conn_is_resolution(&ev), "created is no resolution");
	json_decref(p);

	event_init(&ev, &p, "finding.resolved", "{\"data\":{\"id\":42,"
	    "\"severity\":\"urgent\",\"url\":\"javascript:alert(1)\"}}", cfg);
	check(str_eq(conn_severity(&ev), "info"), "severity: unknown is info");
	check(str_eq(conn_title(&ev), "finding.resolved"),
	    "title: the event type without data.title");
	check(str_eq(conn_object_key(&ev, key, sizeof(key)), "finding/42"),
	    "object key: data.id (integer)");
	check(conn_link(&ev) == NULL, "link: javascript: refused");
	check(conn_is_resolution(&ev), "resolved is a resolution");
	json_decref(p);

	event_init(&ev, &p, "scan.completed", "{\"data\":{\"scan_id\":\"S-1\","
	    "\"url\":\"https://x.example/a|b>\",\"status\":\"closed\"}}", cfg);
	check(str_eq(conn_object_key(&ev, key, sizeof(key)), "scan/S-1"),
	    "object key: data.<resource>_id");
	check(conn_link(&ev) == NULL, "link: | and > refused");
	check(conn_is_resolution(&ev), "status closed is a resolution");
	json_decref(p);

	event_init(&ev, &p, "sla.breach_warning", "{\"data\":[1]}", cfg);
	check(str_eq(conn_object_key(&ev, key, sizeof(key)),
	    "event/0190e0c0-0000-7000-8000-0000000000e1"),
	    "object key: the event id without an object");
	check(json_object_size(conn_data(&ev)) == 0, "data: not an object");
	json_decref(p);
	json_decref(cfg);
}

static void
test_truncate(void)
{
	char	*s;

	s = conn_truncate_new("short", 10);
	check(str_eq(s, "short"), "truncate: shorter kept");
	free(s);
	s = conn_truncate_new("abcdef", 4);
	check(str_eq(s, "abc\xe2\x80\xa6"), "truncate: 3 + ellipsis");
	free(s);
	/* "ééééé" (2 bytes each) to 3 characters. */
	s = conn_truncate_new("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3);
	check(str_eq(s, "\xc3\xa9\xc3\xa9\xe2\x80\xa6") && utf8_chars(s) == 3,
	    "truncate: by characters, never inside one");
	free(s);
}

static void
test_classify(void)
{
	static const struct {
		long		 status;
		const char	*error;
		long		 retry_after;
		int		 vendor;
		enum conn_outcome want;
		long		 delay;
	} t[] = {
		{ 200, NULL, -1, 0, CONN_DELIVERED, -1 },
		{ 204, NULL, -1, 1, CONN_DELIVERED, -1 },
		{ 0, "Connection refused", -1, 1, CONN_RETRY, -1 },
		{ 500, NULL, -1, 1, CONN_RETRY, -1 },
		{ 400, NULL, -1, 0, CONN_RETRY, -1 },
		{ 400, NULL, -1, 1, CONN_FAILED, -1 },
		{ 404, NULL, -1, 1, CONN_FAILED, -1 },
		{ 408, NULL, -1, 1, CONN_RETRY, -1 },
		{ 429, NULL, 7, 1, CONN_RETRY, 7 },
		{ 429, NULL, -1, 1, CONN_RETRY, -1 },
		{ 503, NULL, 0, 0, CONN_RETRY, 1 },
		{ 503, NULL, 99999, 0, CONN_RETRY, 3600 },
		{ 500, NULL, 30, 0, CONN_RETRY, -1 },
		{ 410, NULL, -1, 0, CONN_GONE, -1 },
		{ 410, NULL, -1, 1, CONN_GONE, -1 },
	};
	struct conn_answer	 a;
	struct conn_result	 res;
	size_t			 i;

	for (i = 0; i < NITEMS(t); i++) {
		memset(&a, 0, sizeof(a));
		a.status = t[i].status;
		a.error = t[i].error;
		a.retry_after = t[i].retry_after;
		if (t[i].vendor)
			conn_classify_vendor(NULL, &a, &res);
		else
			conn_classify_http(NULL, &a, &res);
		check(res.outcome == t[i].want && res.delay == t[i].delay &&
		    (res.outcome == CONN_DELIVERED || res.reason[0] != '\0'),
		    "classify %s: %ld%s", t[i].vendor ? "vendor" : "http",
		    t[i].status, t[i].error ? " (transport)" : "");
	}
	memset(&a, 0, sizeof(a));
	a.status = 200;
	a.async = 1;
	conn_classify_http(NULL, &a, &res);
	check(res.outcome == CONN_ASYNC, "classify: async answer");
}

static int
check_cfg(const char *json)
{
	const struct connector	*c = connector_find("webhook");
	json_t			*cfg = json_loads(json, JSON_ALLOW_NUL, NULL);
	char			 err[256];
	int			 rc;

	rc = c->check(cfg, err, sizeof(err));
	json_decref(cfg);
	return rc;
}

static void
test_headers(void)
{
	static const char *const bad[] = { "Host", "content-length",
	    "Connection", "Transfer-Encoding", "Upgrade", "TE", "Expect",
	    "X-TW-Signature", "x-tw-event", "X-TW-Anything", "webhook-id",
	    "Content-Type", "Proxy-Authorization", "Keep-Alive", "Bad Name",
	    "" };
	char		 js[256];
	size_t		 i;
	struct buf	 b = { 0 };

	check(check_cfg("{\"url\":\"https://x\",\"headers\":{\"Authorization\":"
	    "\"Bearer t\",\"X-Custom-Header\":\"v\"}}") == 0,
	    "headers: ordinary ones accepted");
	check(check_cfg("{\"url\":\"https://x\"}") == 0, "headers: none");
	for (i = 0; i < NITEMS(bad); i++) {
		snprintf(js, sizeof(js), "{\"url\":\"u\",\"headers\":{\"%s\":"
		    "\"v\"}}", bad[i]);
		check(check_cfg(js) == -1, "headers: '%s' refused", bad[i]);
	}
	check(check_cfg("{\"url\":\"u\",\"headers\":{\"X-A\":\"a\\r\\nX-B: b\"}}")
	    == -1, "headers: CR LF in a value refused");
	check(check_cfg("{\"url\":\"u\",\"headers\":{\"X-A\":\"a\\u0000\"}}")
	    == -1, "headers: NUL in a value refused");
	check(check_cfg("{\"url\":\"u\",\"headers\":{\"X-A\":5}}") == -1,
	    "headers: a value not a string refused");
	buf_appendf(&b, "{\"url\":\"u\",\"headers\":{");
	for (i = 0; i < 21; i++)
		buf_appendf(&b, "%s\"X-H%zu\":\"v\"", i ? "," : "", i);
	buf_appendf(&b, "}}");
	buf_append(&b, "", 1);
	check(check_cfg(b.data) == -1, "headers: 21 refused (20 at most)");
	buf_free(&b);
	memset(&b, 0, sizeof(b));
	buf_appendf(&b, "{\"url\":\"u\",\"headers\":{\"X-A\":\"");
	for (i = 0; i < 1025; i++)
		buf_append(&b, "a", 1);
	buf_appendf(&b, "\"}}");
	buf_append(&b, "", 1);
	check(check_cfg(b.data) == -1, "headers: a value over 1 KiB refused");
	buf_free(&b);
}

static void
test_webhook_render(void)
{
	const struct connector	*c = connector_find("webhook");
	struct conn_event	 ev;
	struct conn_request	 rq;
	json_t			*p, *cfg, *body;
	unsigned char		 mac[32];
	unsigned int		 maclen = 0;
	char			 hex[65], want[80], err[256];
	const char		*sig;

	cfg = json_pack("{s:s,s:s,s:{s:s}}", "url", "https://r.example/h",
	    "secret", "your-secret-key", "headers", "X-Custom-Header", "v1");
	event_init(&ev, &p, "finding.created", payload, cfg);
	memset(&rq, 0, sizeof(rq));
	check(c->render(&ev, &rq, err, sizeof(err)) == 0, "webhook: renders");
	body = json_loads(rq.body, 0, NULL);
	check(str_eq(json_string_value(json_object_get(body, "event")),
	    "finding.created") && str_eq(json_string_value(json_object_get(
	    body, "timestamp")), "2026-12-07T01:02:03.004Z") &&
	    str_eq(json_string_value(json_object_get(json_object_get(body,
	    "data"), "title")), "SQL injection") &&
	    str_eq(json_string_value(json_object_get(body, "id")),
	    ev.event_id), "webhook: body {id, event, timestamp, data}");
	check(str_eq(rq.url, "https://r.example/h"), "webhook: config url");
	check(str_eq(header(rq.headers, "X-TW-Event"), "finding.created"),
	    "webhook: X-TW-Event");
	check(str_eq(header(rq.headers, "X-Custom-Header"), "v1"),
	    "webhook: custom header");
	check(header(rq.headers, "webhook-signature") != NULL &&
	    str_eq(header(rq.headers, "webhook-id"), ev.delivery_id),
	    "webhook: Standard Webhooks headers");
	HMAC(EVP_sha256(), "your-secret-key", 15,
	    (const unsigned char *)rq.body, rq.bodylen, mac, &maclen);
	crypt_hex(mac, maclen, hex);
	snprintf(want, sizeof(want), "sha256=%s", hex);
	sig = header(rq.headers, "X-TW-Signature");
	check(str_eq(sig, want), "webhook: X-TW-Signature is HMAC-SHA256 of "
	    "the body (%s)", sig ? sig : "none");
	json_decref(body);
	conn_request_free(&rq);
	json_decref(p);
	json_decref(cfg);

	/* No secret: no signature headers, still a delivery. */
	cfg = json_pack("{s:s}", "url", "https://r.example/h");
	event_init(&ev, &p, "scan.failed", "{\"data\":{}}", cfg);
	memset(&rq, 0, sizeof(rq));
	check(c->render(&ev, &rq, err, sizeof(err)) == 0 &&
	    header(rq.headers, "X-TW-Signature") == NULL &&
	    header(rq.headers, "webhook-signature") == NULL,
	    "webhook: unsigned without a secret");
	conn_request_free(&rq);
	json_decref(p);
	json_decref(cfg);
}

/* 1 when the group name is one of c's groups. */
static int
has_group(const struct connector *c, const char *name)
{
	const struct conn_group	*g;

	for (g = c->groups; g != NULL && g->name != NULL; g++)
		if (strcmp(g->name, name) == 0)
			return 1;
	return 0;
}

/* 1 when v, a setting's default, is a value f takes. */
static int
default_ok(const struct vfield *f, const json_t *v)
{
	size_t	 n;

	switch (f->type) {
	case V_STRING:
	case V_NAME:
		if (!json_is_string(v))
			return 0;
		n = json_string_length(v);
		return (long long)n >= f->min && (long long)n <= f->max;
	case V_ENUM:
		return json_is_string(v) &&
		    valid_enum(f->enums, json_string_value(v));
	case V_BOOL:
		return json_is_boolean(v);
	case V_INT:
		return json_is_integer(v) && json_integer_value(v) >= f->min &&
		    json_integer_value(v) <= f->max;
	case V_OBJECT:
		return json_is_object(v);
	case V_ARRAY:
		return json_is_array(v);
	case V_ANY:
		break;
	}
	return 1;
}

/*
 * connector_describe_new (GET /api/integrations/types): every field of
 * every connector has its docs row and a label; defaults parse and are
 * values the field takes; groups and test steps name declared groups;
 * a failed step is named only for a failure for good.
 */
static void
test_describe(void)
{
	const struct connector		*c;
	const struct conn_setting_doc	*d;
	const struct conn_test_step	*ts;
	struct conn_result		 res;
	json_t				*o, *s, *st;
	size_t				 i, k, n;
	int				 ok;

	for (i = 0; connectors[i] != NULL; i++) {
		c = connectors[i];
		for (k = 0; k < c->nfields; k++) {
			for (d = c->docs; d != NULL && d->name != NULL; d++)
				if (strcmp(d->name, c->fields[k].name) == 0)
					break;
			check(d != NULL && d->name != NULL &&
			    d->label != NULL && d->label[0] != '\0',
			    "describe: %s.%s has a docs row with a label",
			    c->type, c->fields[k].name);
		}
		for (d = c->docs; d != NULL && d->name != NULL; d++) {
			for (k = 0; k < c->nfields; k++)
				if (strcmp(d->name, c->fields[k].name) == 0)
					break;
			check(k < c->nfields, "describe: %s's docs row %s is "
			    "a setting", c->type, d->name);
			check(d->group == NULL || has_group(c, d->group),
			    "describe: %s.%s's group is declared", c->type,
			    d->name);
		}
		for (ts = c->test_steps; ts != NULL && ts->name != NULL; ts++)
			check(ts->group == NULL || has_group(c, ts->group),
			    "describe: %s's test step %s names a group",
			    c->type, ts->name);
		o = connector_describe_new(c);
		check(o != NULL, "describe: %s described", c->type);
		if (o == NULL)
			continue;
		st = json_object_get(o, "settings");
		check(json_array_size(st) == c->nfields,
		    "describe: %s: one entry per setting", c->type);
		ok = 1;
		json_array_foreach(st, n, s) {
			const json_t	*dv = json_object_get(s, "default");

			if (n >= c->nfields)
				break;
			if (strcmp(json_string_value(json_object_get(s,
			    "label")), c->fields[n].name) == 0)
				ok = 0;
			check(json_is_null(dv) ||
			    default_ok(&c->fields[n], dv),
			    "describe: %s.%s's default is a valid value",
			    c->type, c->fields[n].name);
		}
		check(ok, "describe: %s: every label is a label, not a name",
		    c->type);
		check(json_is_array(json_object_get(o, "groups")),
		    "describe: %s: groups", c->type);
		json_decref(o);
	}
	/* The internal connector is flagged; the others are not. */
	check(connector_find("hookpost")->internal &&
	    !connector_find("jira")->internal, "describe: hookpost internal");
	/* Jira: test steps as {name, group}, its mapping's rows. */
	c = connector_find("jira");
	o = connector_describe_new(c);
	s = json_array_get(json_object_get(o, "test_steps"), 0);
	check(s != NULL && strcmp(json_string_value(json_object_get(s,
	    "name")), "authentication") == 0 && strcmp(json_string_value(
	    json_object_get(s, "group")), "connection") == 0,
	    "describe: jira's first test step, authentication (connection)");
	ok = 0;
	json_array_foreach(json_object_get(o, "settings"), n, s)
		if (strcmp(json_string_value(json_object_get(s, "name")),
		    "mapping") == 0)
			ok = json_array_size(json_object_get(s, "keys")) == 5 &&
			    json_object_size(json_object_get(s,
			    "default")) == 5;
	check(ok, "describe: jira's mapping: five rows and their defaults");
	json_decref(o);
	memset(&res, 0, sizeof(res));
	res.outcome = CONN_FAILED;
	res.step = 2;
	check(connector_failed_step(c, &res) != NULL &&
	    strcmp(connector_failed_step(c, &res), "project") == 0,
	    "failed step: 2 is project");
	res.outcome = CONN_RETRY;
	check(connector_failed_step(c, &res) == NULL,
	    "failed step: none for a retryable failure");
	res.outcome = CONN_FAILED;
	res.step = 99;
	check(connector_failed_step(c, &res) == NULL,
	    "failed step: none out of range");
	res.step = 0;
	check(connector_failed_step(c, &res) == NULL,
	    "failed step: none when 0");
}

int
main(void)
{
	test_table();
	test_describe();
	test_event();
	test_truncate();
	test_classify();
	test_headers();
	test_webhook_render();
	return check_done();
}
