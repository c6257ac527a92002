/*
 * Unit tests of the Microsoft Teams connector (lib/connector_teams.c)
 * through its row in the connector table: the message and its Adaptive
 * Card (shape, colours, facts, the link), cutting by characters and the
 * 24 KB budget, Unicode kept whole, Markdown in event data made inert,
 * the settings check, and the classification of Workflows' answers with
 * the signed URL kept out of every reason.  One line per case, "ok -
 * name" or "not ok - name"; exits 0 only when all pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "connector.h"
#include "util.h"

#define SIG	"Xk3vQ9pL2mN8rT5wY7zA1bC4dE6fG0hJ-_iKoUsVxWq"
#define HOOK	"https://prod-27.westus.logic.azure.com:443/workflows/" \
		"0123456789abcdef0123456789abcdef/triggers/manual/paths/" \
		"invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun" \
		"&sv=1.0&sig=" SIG
#define BODY_MAX	(24 * 1024)
/* The powerplatform.com shape of a Workflows URL, before its query. */
#define PP	"https://x.environment.api.powerplatform.com:443/" \
		"powerautomate/automations/direct/workflows/" \
		"86ffea6392fe4f3f9555f5e8f9b1f06e/triggers/manual/paths/invoke"

static const struct connector	*teams;

/*
 * Renders an event (its stored payload as JSON text) of type etype:
 * the parsed body, or NULL (and *rc -1) when render refused.  rq is
 * left for the caller to free.
 */
static json_t *
render_json(const char *payload, const char *etype, struct conn_request *rq,
    int *rc, char *err, size_t errsz)
{
	struct conn_event	 ev;
	json_t			*event, *config, *body = NULL;

	memset(&ev, 0, sizeof(ev));
	memset(rq, 0, sizeof(*rq));
	event = json_loads(payload, 0, NULL);
	config = json_pack("{s:s}", "webhook_url", HOOK);
	ev.delivery_id = "3d0b7d0e-5b8e-4c1e-9a57-1a2b3c4d5e6f";
	ev.event_id = "7e4f1c2a-0000-4000-8000-000000000001";
	ev.subscription_id = "5c7d3f10-0000-4000-8000-000000000002";
	ev.event_type = etype;
	ev.payload = payload;
	ev.event = event;
	ev.config = config;
	ev.url = "https://teams.invalid/";
	ev.ts = 1700000000;
	err[0] = '\0';
	*rc = teams->render(&ev, rq, err, errsz);
	if (*rc == 0)
		body = json_loadb(rq->body, rq->bodylen, JSON_REJECT_DUPLICATES,
		    NULL);
	json_decref(event);
	json_decref(config);
	return body;
}

/* The card of a rendered message (borrowed), or NULL. */
static json_t *
card_of(json_t *msg)
{
	return json_object_get(json_array_get(json_object_get(msg,
	    "attachments"), 0), "content");
}

static const char *
body_text(json_t *msg, size_t i)
{
	return json_string_value(json_object_get(json_array_get(
	    json_object_get(card_of(msg), "body"), i), "text"));
}

/* The value of the fact titled title, or NULL. */
static const char *
fact(json_t *msg, const char *title)
{
	json_t	*facts, *f;
	size_t	 i;

	facts = json_object_get(json_array_get(json_object_get(card_of(msg),
	    "body"), 1), "facts");
	json_array_foreach(facts, i, f)
		if (str_eq(json_string_value(json_object_get(f, "title")),
		    title))
			return json_string_value(json_object_get(f, "value"));
	return NULL;
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

/* 1 when s holds none of the bytes of set. */
static int
none_of(const char *s, const char *set)
{
	return s != NULL && strpbrk(s, set) == NULL;
}

/* s repeated n times: a new string. */
static char *
repeat_new(const char *s, size_t n)
{
	struct buf	 b = { NULL, 0, 0 };
	size_t		 i;

	for (i = 0; i < n; i++)
		buf_append(&b, s, strlen(s));
	buf_append(&b, "", 1);
	return b.data;
}

/* 1 when every UTF-8 sequence in s is whole (nothing cut in two). */
static int
utf8_whole(const char *s)
{
	char	*copy;
	int	 same;

	copy = xstrdup(s);
	utf8_sanitize(copy, strlen(copy));
	same = strcmp(copy, s) == 0;
	free(copy);
	return same;
}

static void
test_shape(void)
{
	static const char ev[] = "{\"event_type\":\"scan.completed\","
	    "\"object_type\":\"scan\",\"object_id\":\"S-1\","
	    "\"owner_id\":\"o1\","
	    "\"timestamp\":\"2024-05-01T10:00:00.000Z\",\"data\":{\"severity\":"
	    "\"high\",\"title\":\"Weekly scan\",\"description\":\"3 new "
	    "findings\",\"url\":\"https://tw.example.com/scans/S-1\"}}";
	struct conn_request	 rq;
	json_t			*m, *card, *b0, *act;
	char			 err[256];
	int			 rc;

	m = render_json(ev, "scan.completed", &rq, &rc, err, sizeof(err));
	check(rc == 0 && m != NULL, "render: a scan event renders (%s)", err);
	card = card_of(m);
	check(str_eq(json_string_value(json_object_get(m, "type")),
	    "message") &&
	    json_array_size(json_object_get(m, "attachments")) == 1,
	    "render: a message with one attachment");
	check(str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(m, "attachments"), 0), "contentType")),
	    "application/vnd.microsoft.card.adaptive") &&
	    json_is_null(json_object_get(json_array_get(json_object_get(m,
	    "attachments"), 0), "contentUrl")),
	    "render: the attachment is an Adaptive Card, contentUrl null");
	check(str_eq(json_string_value(json_object_get(card, "type")),
	    "AdaptiveCard") && str_eq(json_string_value(json_object_get(card,
	    "version")), "1.4") && str_eq(json_string_value(json_object_get(
	    card, "$schema")), "http://adaptivecards.io/schemas/"
	    "adaptive-card.json"), "render: AdaptiveCard 1.4 with its $schema");
	check(str_eq(json_string_value(json_object_get(json_object_get(card,
	    "msteams"), "width")), "Full"), "render: msteams width Full");
	b0 = json_array_get(json_object_get(card, "body"), 0);
	check(str_eq(json_string_value(json_object_get(b0, "type")),
	    "TextBlock") && str_eq(body_text(m, 0), "Weekly scan") &&
	    str_eq(json_string_value(json_object_get(b0, "weight")),
	    "Bolder") &&
	    str_eq(json_string_value(json_object_get(b0, "size")), "Medium") &&
	    json_is_true(json_object_get(b0, "wrap")),
	    "render: the title is a bold, medium, wrapped TextBlock");
	check(str_eq(json_string_value(json_object_get(b0, "color")),
	    "Attention"), "render: high is coloured attention");
	check(str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(card, "body"), 1), "type")), "FactSet") &&
	    str_eq(fact(m, "Severity"), "High") &&
	    str_eq(fact(m, "Object"), "scan/S-1") &&
	    str_eq(fact(m, "Event"), "scan.completed") &&
	    str_eq(fact(m, "Time"), "2024-05-01T10:00:00.000Z"),
	    "render: a FactSet of severity, object, event type and time");
	check(str_eq(body_text(m, 2), "3 new findings") &&
	    json_array_size(json_object_get(card, "body")) == 3,
	    "render: the description is the third block");
	act = json_array_get(json_object_get(card, "actions"), 0);
	check(json_array_size(json_object_get(card, "actions")) == 1 &&
	    str_eq(json_string_value(json_object_get(act, "type")),
	    "Action.OpenUrl") && str_eq(json_string_value(json_object_get(act,
	    "url")), "https://tw.example.com/scans/S-1"),
	    "render: an Action.OpenUrl to data.url");
	check(str_eq(rq.url, HOOK) && has_header(&rq,
	    "Content-Type: application/json") && rq.method == NULL,
	    "render: POST of application/json to the webhook URL");
	check(strstr(rq.body, SIG) == NULL,
	    "render: the signature is not in the body");
	json_decref(m);
	conn_request_free(&rq);
}

static void
test_plain_event(void)
{
	static const char ev[] = "{\"event_type\":\"sync.failed\","
	    "\"timestamp\":\"2024-05-01T10:00:00Z\",\"data\":{\"message\":"
	    "\"Tenable unreachable\",\"url\":\"javascript:alert(1)\"}}";
	static const char bare[] = "{\"event_type\":\"sync.completed\","
	    "\"timestamp\":\"2024-05-01T10:00:00Z\"}";
	struct conn_request	 rq;
	json_t			*m, *card;
	char			 err[256];
	int			 rc;

	m = render_json(ev, "sync.failed", &rq, &rc, err, sizeof(err));
	card = card_of(m);
	check(rc == 0 && str_eq(body_text(m, 0), "sync.failed"),
	    "render: no data.title: the event type is the title");
	check(json_object_get(card, "actions") == NULL,
	    "render: a link that is not http(s) makes no action");
	check(str_eq(body_text(m, 2), "Tenable unreachable"),
	    "render: data.message when there is no description");
	check(json_object_get(json_array_get(json_object_get(card, "body"), 0),
	    "color") == NULL && str_eq(fact(m, "Severity"), "Info"),
	    "render: no severity: info, default colour");
	json_decref(m);
	conn_request_free(&rq);

	m = render_json(bare, "sync.completed", &rq, &rc, err, sizeof(err));
	check(rc == 0 && json_array_size(json_object_get(card_of(m),
	    "body")) == 2 && fact(m, "Object") != NULL &&
	    strncmp(fact(m, "Object"), "sync/", 5) != 0,
	    "render: no data: title and facts only");
	json_decref(m);
	conn_request_free(&rq);
}

static void
test_colors(void)
{
	static const struct {
		const char	*etype, *data, *want;
	} cases[] = {
		{ "finding.created", "{\"severity\":\"critical\"}",
		    "Attention" },
		{ "finding.created", "{\"severity\":\"HIGH\"}", "Attention" },
		{ "finding.created", "{\"severity\":\"medium\"}", "Warning" },
		{ "finding.created", "{\"severity\":\"low\"}", NULL },
		{ "finding.created", "{\"severity\":\"info\"}", NULL },
		{ "finding.created", "{\"severity\":\"bogus\"}", NULL },
		{ "finding.resolved", "{\"severity\":\"critical\"}", "Good" },
		{ "finding.status_changed", "{\"severity\":\"high\","
		    "\"status\":\"closed\"}", "Good" },
	};
	struct conn_request	 rq;
	json_t			*m;
	const char		*got;
	char			 ev[512], err[256];
	size_t			 i;
	int			 rc;

	for (i = 0; i < NITEMS(cases); i++) {
		snprintf(ev, sizeof(ev), "{\"event_type\":\"%s\",\"data\":%s}",
		    cases[i].etype, cases[i].data);
		m = render_json(ev, cases[i].etype, &rq, &rc, err, sizeof(err));
		got = json_string_value(json_object_get(json_array_get(
		    json_object_get(card_of(m), "body"), 0), "color"));
		check(rc == 0 && str_eq(got, cases[i].want),
		    "colour: %s %s: %s (got %s)", cases[i].etype,
		    cases[i].data, cases[i].want ? cases[i].want : "default",
		    got ? got : "default");
		json_decref(m);
		conn_request_free(&rq);
	}
}

static void
test_markdown(void)
{
	static const char ev[] = "{\"event_type\":\"finding.created\","
	    "\"object_type\":\"finding\","
	    "\"object_id\":\"F_1*[x](https://e.vil)\","
	    "\"data\":{\"severity\":\"low\",\"title\":\"# [Click me](https://"
	    "evil.example/p) **now** <at>Bob</at> `rm` _it_ "
	    "![i](http://x/i.png)"
	    "\",\"description\":\"fine\\n# not a heading\\n  # nor this\\n"
	    "see <https://evil.example> and https://evil.example/x\\r\\n"
	    "C# stays; 50% (approx) & more\"}}";
	/* "# [Click me](" */
	static const char want[] = "\xef\xbc\x83 \xef\xbc\xbb" "Click me"
	    "\xef\xbc\xbd(";
	struct conn_request	 rq;
	json_t			*m;
	const char		*t, *d, *o;
	char			 err[256];
	int			 rc;

	m = render_json(ev, "finding.created", &rq, &rc, err, sizeof(err));
	t = body_text(m, 0);
	d = body_text(m, 2);
	o = fact(m, "Object");
	check(rc == 0 && none_of(t, "[]<>*_`#"),
	    "markdown: no link, emphasis, code, heading or mention syntax left "
	    "in the title: %s", t ? t : "(none)");
	check(t != NULL && strstr(t, "://") == NULL && strstr(t,
	    "https\xef\xbc\x9a//evil.example/p") != NULL,
	    "markdown: a bare scheme:// cannot autolink (fullwidth colon)");
	check(t != NULL && strncmp(t, want, strlen(want)) == 0 &&
	    strstr(t, "\xef\xbc\x9c" "at\xef\xbc\x9e" "Bob") != NULL &&
	    strstr(t, "\xef\xbc\x8a\xef\xbc\x8a" "now") != NULL &&
	    strstr(t, "\xef\xbd\x80" "rm") != NULL &&
	    strstr(t, "\xef\xbc\xbf" "it\xef\xbc\xbf") != NULL,
	    "markdown: each special character is its fullwidth form: %s",
	    t ? t : "(none)");
	check(utf8_chars(t) == utf8_chars("# [Click me](https://evil.example/p)"
	    " **now** <at>Bob</at> `rm` _it_ ![i](http://x/i.png)"),
	    "markdown: one character for one (lengths in characters hold)");
	check(d != NULL && none_of(d, "<>\r") && strstr(d, "://") == NULL &&
	    strstr(d, "\n\n\xef\xbc\x83 not a heading\n\n  \xef\xbc\x83 "
	    "nor") != NULL && strstr(d, "C# stays; 50% (approx) & more") !=
	    NULL && strncmp(d, "fine\n\n\xef", 7) == 0 && strstr(d,
	    "/x\n\nC#") != NULL,
	    "markdown: the description keeps its lines (each break an empty "
	    "line, CR LF one break); '#' only opening a line, '<', '>', "
	    "'://' neutralised; the rest as written: %s",
	    d ? d : "(none)");
	check(o != NULL && none_of(o, "[]*_") && strstr(o, "://") == NULL,
	    "markdown: the object fact too: %s", o ? o : "(none)");
	json_decref(m);
	conn_request_free(&rq);
}

static void
test_unicode_and_limits(void)
{
	struct conn_request	 rq;
	json_t			*m, *ev;
	const char		*t, *d;
	char			*title, *desc, *payload, err[256];
	size_t			 len;
	int			 rc;

	/* Unicode passes as it is. */
	ev = json_pack("{s:s,s:{s:s,s:s}}", "event_type", "scan.completed",
	    "data", "title", "Scan fini \xc3\xa9\xe6\xbc\xa2\xe5\xad\x97 "
	    "\xf0\x9f\x99\x82", "description", "\xd0\x9f\xd1\x80\xd0\xb8"
	    "\xd0\xb2\xd0\xb5\xd1\x82 \xe2\x80\x94 \xd8\xb3\xd9\x84\xd8\xa7"
	    "\xd9\x85");
	payload = json_dumps(ev, JSON_COMPACT);
	m = render_json(payload, "scan.completed", &rq, &rc, err, sizeof(err));
	check(rc == 0 && str_eq(body_text(m, 0), "Scan fini \xc3\xa9\xe6\xbc"
	    "\xa2\xe5\xad\x97 \xf0\x9f\x99\x82") && str_eq(body_text(m, 2),
	    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xe2\x80\x94 "
	    "\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85"),
	    "unicode: accents, CJK, emoji, Cyrillic, Arabic kept as written");
	check(rc == 0 && strstr(rq.body, "\\u") == NULL,
	    "unicode: sent as UTF-8, not escaped");
	json_decref(m);
	conn_request_free(&rq);
	free(payload);
	json_decref(ev);

	/* A long title: 256 characters, the last "…", whole sequences. */
	title = repeat_new("\xe6\xbc\xa2", 300);
	ev = json_pack("{s:s,s:{s:s}}", "event_type", "scan.completed",
	    "data", "title", title);
	payload = json_dumps(ev, JSON_COMPACT);
	m = render_json(payload, "scan.completed", &rq, &rc, err, sizeof(err));
	t = body_text(m, 0);
	len = t != NULL ? strlen(t) : 0;
	check(rc == 0 && utf8_chars(t) == 256 && len > 3 &&
	    strcmp(t + len - 3, "\xe2\x80\xa6") == 0 && utf8_whole(t),
	    "limits: a 300-character title is cut to 256 characters, "
	    "ending with an ellipsis");
	json_decref(m);
	conn_request_free(&rq);
	free(payload);
	json_decref(ev);
	free(title);

	/* A long ASCII description: cut at 8000 characters. */
	desc = repeat_new("a", 9000);
	ev = json_pack("{s:s,s:{s:s}}", "event_type", "scan.completed",
	    "data", "description", desc);
	payload = json_dumps(ev, JSON_COMPACT);
	m = render_json(payload, "scan.completed", &rq, &rc, err, sizeof(err));
	d = body_text(m, 2);
	check(rc == 0 && utf8_chars(d) == 8000 && rq.bodylen <= BODY_MAX,
	    "limits: a 9000-character description is cut to 8000");
	json_decref(m);
	conn_request_free(&rq);
	free(payload);
	json_decref(ev);
	free(desc);

	/* 4-byte characters: cut further, to the 24 KB budget. */
	desc = repeat_new("\xf0\x9f\x94\xa5", 8000);
	title = repeat_new("\xf0\x9f\x94\xa5", 400);
	ev = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s}}", "event_type",
	    "scan.completed", "timestamp", title, "object_type", "scan",
	    "data", "title", title, "description", desc, "url",
	    "https://tw.example.com/s");
	payload = json_dumps(ev, JSON_COMPACT);
	m = render_json(payload, "scan.completed", &rq, &rc, err, sizeof(err));
	d = body_text(m, 2);
	len = d != NULL ? strlen(d) : 0;
	check(rc == 0 && rq.bodylen <= BODY_MAX && rq.bodylen > BODY_MAX -
	    2048 && d != NULL && utf8_chars(d) < 8000 && utf8_chars(d) > 4000 &&
	    strcmp(d + len - 3, "\xe2\x80\xa6") == 0 && utf8_whole(d),
	    "limits: 8000 emoji are cut to fit 24 KB (%zu bytes, %zu "
	    "characters), not much further", rq.bodylen, d ? utf8_chars(d) : 0);
	check(rq.bodylen <= 28 * 1024, "limits: under Teams' 28 KB");
	json_decref(m);
	conn_request_free(&rq);
	free(payload);
	json_decref(ev);
	free(desc);

	/* Quotes and backslashes take two bytes of JSON each. */
	desc = repeat_new("\"\\", 8000);
	ev = json_pack("{s:s,s:s,s:{s:s,s:s}}", "event_type", "scan.completed",
	    "timestamp", title, "data", "title", title, "description", desc);
	payload = json_dumps(ev, JSON_COMPACT);
	m = render_json(payload, "scan.completed", &rq, &rc, err, sizeof(err));
	check(rc == 0 && rq.bodylen <= BODY_MAX && body_text(m, 2) != NULL,
	    "limits: escaped characters are counted (%zu bytes)", rq.bodylen);
	json_decref(m);
	conn_request_free(&rq);
	free(payload);
	json_decref(ev);
	free(desc);
	free(title);
}

static void
test_render_refusals(void)
{
	struct conn_event	 ev;
	struct conn_request	 rq;
	json_t			*event, *config;
	char			 err[256];

	memset(&ev, 0, sizeof(ev));
	memset(&rq, 0, sizeof(rq));
	event = json_loads("{\"event_type\":\"scan.completed\"}", 0, NULL);
	config = json_object();
	ev.delivery_id = "d";
	ev.event_type = "scan.completed";
	ev.event = event;
	ev.config = config;
	ev.url = "https://teams.invalid/";
	check(teams->render(&ev, &rq, err, sizeof(err)) == -1 &&
	    strstr(err, "webhook_url") != NULL,
	    "render: no webhook_url: refused, not sent elsewhere (%s)", err);
	conn_request_free(&rq);
	json_decref(event);
	json_decref(config);
}

static void
test_check(void)
{
	static const struct {
		const char	*url;
		int		 want;
	} cases[] = {
		{ HOOK, 0 },
		{ PP "?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0"
		    "&sig=abc", 0 },
		{ PP "?api-version=1", -1 },
		{ "https://x.example/invoke?sig=", -1 },
		{ "https://x.example/invoke?notsig=abc", -1 },
		{ "https://x.example/sig=abc", -1 },
	};
	json_t	*config;
	char	 err[256];
	size_t	 i;
	int	 rc;

	for (i = 0; i < NITEMS(cases); i++) {
		config = json_pack("{s:s}", "webhook_url", cases[i].url);
		err[0] = '\0';
		rc = teams->check(config, err, sizeof(err));
		check(rc == cases[i].want && (rc == 0 || strstr(err, "sig") !=
		    NULL), "check: %s: %s", cases[i].want ? "refused" : "taken",
		    cases[i].url);
		json_decref(config);
	}
	check(connector_is_secret(teams, "webhook_url") &&
	    str_eq(teams->url_key, "webhook_url") && teams->url_default == NULL,
	    "check: webhook_url is the URL, a secret, with no default");
}

static void
test_classify(void)
{
	static const char schema[] = "{\"error\":{\"code\":"
	    "\"TriggerInputSchemaMismatch\",\"message\":\"The input body for "
	    "trigger 'manual' of type 'Request' did not match its schema "
	    "definition.\"}}";
	static const struct {
		long		 status;
		const char	*error, *body;
		long		 retry_after;
		enum conn_outcome want;
		long		 delay;
		const char	*reason;	/* a part of it */
	} cases[] = {
		{ 202, NULL, "", -1, CONN_DELIVERED, -1, "" },
		{ 200, NULL, "", -1, CONN_DELIVERED, -1, "" },
		{ 429, NULL,
		    "{\"error\":{\"code\":\"WorkflowTriggerIsThrottled\"}}", 7,
		    CONN_RETRY, 7, "HTTP 429: WorkflowTriggerIsThrottled" },
		{ 429, NULL, "", -1, CONN_RETRY, -1, "HTTP 429" },
		{ 429, NULL, "", 86400, CONN_RETRY, 3600, "HTTP 429" },
		{ 500, NULL, "oops", -1, CONN_RETRY, -1, "HTTP 500: oops" },
		{ 502, NULL, "<html>Bad Gateway</html>", -1, CONN_RETRY, -1,
		    "HTTP 502: <html>Bad Gateway" },
		{ 503, NULL, "", 30, CONN_RETRY, 30, "HTTP 503" },
		{ 504, NULL, "", -1, CONN_RETRY, -1, "HTTP 504" },
		{ 408, NULL, "", -1, CONN_RETRY, -1, "HTTP 408" },
		{ 400, NULL, schema, -1, CONN_FAILED, -1, "HTTP 400: "
		    "TriggerInputSchemaMismatch: The input body for trigger" },
		{ 401, NULL, "{\"error\":{\"code\":"
		    "\"DirectApiInvalidAuthorizationSignature\",\"message\":"
		    "\"The provided authorization signature is not valid.\"}}",
		    -1,
		    CONN_FAILED, -1, "HTTP 401: DirectApiInvalidAuthorization"
		    "Signature: The provided" },
		{ 403, NULL, "Forbidden", -1, CONN_FAILED, -1,
		    "HTTP 403: Forbidden" },
		{ 404, NULL, "{\"error\":{\"code\":\"WorkflowNotFound\","
		    "\"message\":\"The workflow could not be found.\"}}", -1,
		    CONN_FAILED, -1,
		    "HTTP 404: WorkflowNotFound: The workflow" },
		{ 413, NULL, "", -1, CONN_FAILED, -1, "HTTP 413" },
		{ 410, NULL, "", -1, CONN_GONE, -1, "HTTP 410" },
		{ 0, "Failed to connect to prod-27.westus.logic.azure.com",
		    NULL, -1, CONN_RETRY, -1, "Failed to connect" },
	};
	struct conn_event	 ev;
	struct conn_answer	 a;
	struct conn_result	 res;
	json_t			*config;
	size_t			 i;

	memset(&ev, 0, sizeof(ev));
	config = json_pack("{s:s}", "webhook_url", HOOK);
	ev.event_type = "scan.completed";
	ev.config = config;
	for (i = 0; i < NITEMS(cases); i++) {
		memset(&a, 0, sizeof(a));
		a.status = cases[i].status;
		a.error = cases[i].error;
		a.body = cases[i].body;
		a.bodylen = cases[i].body ? strlen(cases[i].body) : 0;
		a.retry_after = cases[i].retry_after;
		teams->classify(&ev, &a, &res);
		check(res.outcome == cases[i].want && res.delay ==
		    cases[i].delay && (*cases[i].reason == '\0' ?
		    res.reason[0] == '\0' : strstr(res.reason,
		    cases[i].reason) == res.reason),
		    "classify: %ld%s%s: outcome %d, delay %ld, reason \"%s\"",
		    cases[i].status, cases[i].error ? " " : "",
		    cases[i].error ? cases[i].error : "", res.outcome,
		    res.delay, res.reason);
	}

	/* An answer repeating the signed URL: cut out of the reason. */
	{
		static const char echo[] = "{\"error\":{\"code\":"
		    "\"BadRequest\",\"message\":\"Request to " HOOK
		    " failed; sig " SIG
		    " refused\"}}";
		char	*longer, *dots;

		memset(&a, 0, sizeof(a));
		a.status = 400;
		a.body = echo;
		a.bodylen = strlen(echo);
		a.retry_after = -1;
		teams->classify(&ev, &a, &res);
		check(res.outcome == CONN_FAILED && strstr(res.reason, SIG) ==
		    NULL && strstr(res.reason, "sig \xe2\x80\xa6 refused") !=
		    NULL && strstr(res.reason, "Request to \xe2\x80\xa6 "
		    "failed") != NULL, "classify: the URL and its sig are cut "
		    "out of the reason: %s", res.reason);

		/* Across the end of the reason: cut out before the reason
		 * is shortened, or a part would stay. */
		dots = repeat_new(".", 200);
		longer = xasprintf("%s%s", dots, SIG);
		free(dots);
		a.body = longer;
		a.bodylen = strlen(longer);
		teams->classify(&ev, &a, &res);
		check(strstr(res.reason, SIG) == NULL && strstr(res.reason,
		    "Xk3v") == NULL, "classify: no part of the sig either: %s",
		    res.reason);
		free(longer);
	}

	/* A long multibyte body: whole characters, within the reason. */
	{
		char	*big;

		big = repeat_new("\xd0\x96\n", 3000);
		memset(&a, 0, sizeof(a));
		a.status = 400;
		a.body = big;
		a.bodylen = strlen(big);
		a.retry_after = -1;
		teams->classify(&ev, &a, &res);
		check(strlen(res.reason) < CONN_REASON_MAX &&
		    strlen(res.reason) > CONN_REASON_MAX - 8 &&
		    utf8_whole(res.reason) && strchr(res.reason, '\n') == NULL,
		    "classify: a long answer is cut to whole characters, "
		    "on one line (%zu bytes)", strlen(res.reason));
		free(big);
	}
	json_decref(config);
}

int
main(void)
{
	if ((teams = connector_find("teams")) == NULL) {
		check(0, "the teams connector is in the table");
		return check_done();
	}
	check(str_eq(teams->title, "Microsoft Teams") &&
	    teams->test_resolves == 0 && teams->payload_only == 0,
	    "the teams connector is in the table");
	test_shape();
	test_plain_event();
	test_colors();
	test_markdown();
	test_unicode_and_limits();
	test_render_refusals();
	test_check();
	test_classify();
	return check_done();
}
