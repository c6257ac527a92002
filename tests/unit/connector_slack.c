/*
 * Unit tests of lib/connector_slack.c: the Block Kit message rendered for
 * several events (long titles, unicode, many and long data fields, links,
 * resolutions, mrkdwn injection from the title and the data) checked
 * against Slack's limits, and the classification of Slack's answers.
 * One line per case, "ok - name" or "not ok - name"; exits 0 only when all
 * pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "connector.h"
#include "util.h"

#define HOOK	"https://hooks.slack.com/services/T000/B000/XXXXXXXX"

static const struct connector	*slack;

/*
 * Renders payload (seed 000's event shape) with config: 0 and the body
 * parsed into *msg (the caller json_decrefs it) and the request in rq
 * (freed by the caller), or -1 with err set.
 */
static int
render_event(const char *payload, const char *config, json_t **msg,
    struct conn_request *rq, char *err, size_t errsz)
{
	struct conn_event	 ev;
	json_t			*event, *cfg;
	int			 rc;

	*msg = NULL;
	memset(rq, 0, sizeof(*rq));
	event = json_loads(payload, 0, NULL);
	cfg = json_loads(config, 0, NULL);
	if (event == NULL || cfg == NULL) {
		snprintf(err, errsz, "bad test data");
		json_decref(event);
		json_decref(cfg);
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.delivery_id = "0b9e4c1e-6b57-4f0c-9d59-5d1a0f0e7a11";
	ev.event_id = "2f1e4c1e-6b57-4f0c-9d59-5d1a0f0e7a22";
	ev.subscription_id = "3c1e4c1e-6b57-4f0c-9d59-5d1a0f0e7a33";
	ev.event_type = json_string_value(json_object_get(event,
	    "event_type"));
	ev.payload = payload;
	ev.event = event;
	ev.config = cfg;
	ev.ts = 1700000000;
	err[0] = '\0';
	if ((rc = slack->render(&ev, rq, err, errsz)) == 0 &&
	    (*msg = json_loads(rq->body, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL) {
		snprintf(err, errsz, "the body is not JSON");
		rc = -1;
	}
	json_decref(event);
	json_decref(cfg);
	return rc;
}

/* A payload of one event of owner o1 at a fixed time. */
static char *
payload_new(const char *type, const char *otype, const char *oid,
    json_t *data)
{
	json_t	*p;
	char	*s;

	p = json_pack("{s:s,s:s?,s:s?,s:s,s:s,s:o}", "event_type", type,
	    "object_type", otype, "object_id", oid, "owner_id", "o1",
	    "timestamp", "2024-05-01T12:34:56.789Z", "data", data);
	s = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return s;
}

static size_t
chars(const char *s)
{
	return s != NULL ? utf8_chars(s) : 0;
}

static int
text_obj_ok(const json_t *t, const char *type, size_t max)
{
	const char	*s = json_string_value(json_object_get(t, "text"));
	const char	*ty = json_string_value(json_object_get(t, "type"));

	if (s == NULL || ty == NULL || chars(s) < 1 || chars(s) > max)
		return 0;
	if (type != NULL && strcmp(ty, type) != 0)
		return 0;
	return strcmp(ty, "plain_text") == 0 || strcmp(ty, "mrkdwn") == 0;
}

/*
 * The message against the Block Kit rules for the blocks this connector
 * sends (Slack's limits); NULL when it keeps them, else what is wrong.
 * Every mrkdwn text (and the top-level text) is appended to texts.
 */
static const char *
kit_check(const json_t *msg, json_t *texts)
{
	const json_t	*blocks, *b, *f, *e;
	const char	*type, *text;
	size_t		 i, j;

	text = json_string_value(json_object_get(msg, "text"));
	if (text == NULL || chars(text) < 1 || chars(text) > 40000)
		return "text: a fallback of 1..40000 characters";
	json_array_append_new(texts, json_string(text));
	blocks = json_object_get(msg, "blocks");
	if (!json_is_array(blocks) || json_array_size(blocks) < 1 ||
	    json_array_size(blocks) > 50)
		return "blocks: 1..50";
	if (json_object_size(msg) != 2)
		return "only text and blocks";
	json_array_foreach(blocks, i, b) {
		type = json_string_value(json_object_get(b, "type"));
		if (type == NULL)
			return "a block without a type";
		if (strcmp(type, "header") == 0) {
			if (json_object_size(b) != 2 ||
			    !text_obj_ok(json_object_get(b, "text"),
			    "plain_text", 150))
				return "header: plain_text of 1..150";
		} else if (strcmp(type, "section") == 0) {
			if (json_object_get(b, "text") == NULL &&
			    json_object_get(b, "fields") == NULL)
				return "section: text or fields";
			if ((e = json_object_get(b, "text")) != NULL) {
				if (!text_obj_ok(e, "mrkdwn", 3000))
					return "section text: 1..3000";
				json_array_append(texts, json_object_get(e,
				    "text"));
			}
			f = json_object_get(b, "fields");
			if (f != NULL && (!json_is_array(f) ||
			    json_array_size(f) < 1 || json_array_size(f) > 10))
				return "section fields: 1..10";
			json_array_foreach(f, j, e) {
				if (!text_obj_ok(e, "mrkdwn", 2000))
					return "section field: 1..2000";
				json_array_append(texts, json_object_get(e,
				    "text"));
			}
		} else if (strcmp(type, "context") == 0) {
			f = json_object_get(b, "elements");
			if (!json_is_array(f) || json_array_size(f) < 1 ||
			    json_array_size(f) > 10)
				return "context elements: 1..10";
			json_array_foreach(f, j, e) {
				if (!text_obj_ok(e, "mrkdwn", 3000))
					return "context element: 1..3000";
				json_array_append(texts, json_object_get(e,
				    "text"));
			}
		} else
			return "an unexpected block type";
	}
	return NULL;
}

/*
 * 1 when every '<' of the mrkdwn texts opens one of the connector's own
 * constructs -- a date token or a link to want (NULL: none) -- so that
 * nothing of the event's text became markup.
 */
static int
markup_only_ours(const json_t *texts, const char *want)
{
	const json_t	*t;
	const char	*s, *p, *end;
	char		 link[512];
	size_t		 i;

	snprintf(link, sizeof(link), "<%s|", want != NULL ? want : "");
	json_array_foreach(texts, i, t) {
		s = json_string_value(t);
		for (p = s; (p = strchr(p, '<')) != NULL; p++) {
			if ((end = strchr(p, '>')) == NULL)
				return 0;
			if (strncmp(p, "<!date^", 7) == 0 &&
			    strcspn(p + 1, "<") > (size_t)(end - p - 1))
				continue;
			if (want != NULL && strncmp(p, link,
			    strlen(link)) == 0)
				continue;
			return 0;
		}
	}
	return 1;
}

/* The blocks of msg of the given type, in order: the n-th one. */
static const json_t *
block_nth(const json_t *msg, const char *type, size_t n)
{
	const json_t	*b;
	size_t		 i;

	json_array_foreach(json_object_get(msg, "blocks"), i, b)
		if (str_eq(json_string_value(json_object_get(b, "type")),
		    type) && n-- == 0)
			return b;
	return NULL;
}

static const char *
header_text(const json_t *msg)
{
	return json_string_value(json_object_get(json_object_get(
	    block_nth(msg, "header", 0), "text"), "text"));
}

static const char *
section_text(const json_t *msg, size_t n)
{
	return json_string_value(json_object_get(json_object_get(
	    block_nth(msg, "section", n), "text"), "text"));
}

/* 1 when some mrkdwn text of msg equals want. */
static int
has_text(const json_t *texts, const char *want)
{
	const json_t	*t;
	size_t		 i;

	json_array_foreach(texts, i, t)
		if (str_eq(json_string_value(t), want))
			return 1;
	return 0;
}

/* The characters of all the texts together. */
static size_t
texts_chars(const json_t *texts)
{
	const json_t	*t;
	size_t		 i, n = 0;

	json_array_foreach(texts, i, t)
		n += chars(json_string_value(t));
	return n;
}

static int
ends_with(const char *s, const char *tail)
{
	size_t	 n = strlen(s), m = strlen(tail);

	return n >= m && strcmp(s + n - m, tail) == 0;
}

/* Renders one event and checks it keeps the rules; *texts, *msg new. */
static int
case_render(const char *name, const char *type, const char *otype,
    const char *oid, json_t *data, json_t **msg, json_t **texts)
{
	struct conn_request	 rq;
	char			 err[256], *p;
	const char		*why;
	int			 rc;

	p = payload_new(type, otype, oid, data);
	*texts = json_array();
	rc = render_event(p, "{\"webhook_url\":\"" HOOK "\"}", msg, &rq, err,
	    sizeof(err));
	free(p);
	check(rc == 0, "%s: renders%s%s", name, err[0] != '\0' ? ": " : "",
	    err);
	if (rc != 0) {
		conn_request_free(&rq);
		return -1;
	}
	why = kit_check(*msg, *texts);
	check(why == NULL, "%s: keeps Slack's block kit limits%s%s", name,
	    why != NULL ? ": " : "", why != NULL ? why : "");
	conn_request_free(&rq);
	return 0;
}

static void
test_basic(void)
{
	struct conn_request	 rq;
	json_t			*msg, *texts;
	const json_t		*sec;
	struct curl_slist	*h;
	const char		*s;
	char			 err[256], *p;
	int			 ct = 0, nh = 0, rc;

	p = payload_new("finding.created", "finding", "F-1",
	    json_pack("{s:s,s:s}", "severity", "critical", "title",
	    "SQL injection in /login"));
	rc = render_event(p, "{\"webhook_url\":\"" HOOK "\"}", &msg, &rq,
	    err, sizeof(err));
	check(rc == 0, "basic: renders%s%s", err[0] != '\0' ? ": " : "",
	    err);
	free(p);
	check(str_eq(rq.url, HOOK), "basic: sent to the webhook URL");
	check(rq.method == NULL, "basic: a POST");
	for (h = rq.headers; h != NULL; h = h->next, nh++)
		if (strcmp(h->data, "Content-Type: application/json") == 0)
			ct = 1;
	check(ct && nh == 1, "basic: Content-Type: application/json, and no "
	    "other header");
	texts = json_array();
	s = kit_check(msg, texts);
	check(s == NULL, "basic: keeps the block kit limits%s%s",
	    s != NULL ? ": " : "", s != NULL ? s : "");
	check(str_eq(header_text(msg), "SQL injection in /login"),
	    "basic: the header is the title");
	check(str_eq(json_string_value(json_object_get(msg, "text")),
	    "[Critical] SQL injection in /login (finding/F-1)"),
	    "basic: the fallback text names severity, title and object");
	check(str_eq(section_text(msg, 0), ":red_circle: *Severity: "
	    "Critical*"), "basic: the severity with its emoji");
	sec = block_nth(msg, "section", 0);
	check(json_array_size(json_object_get(sec, "fields")) == 3 &&
	    has_text(texts, "*Resource*\nfinding/F-1") &&
	    has_text(texts, "*Event*\nfinding.created"),
	    "basic: resource and event fields");
	/* 2024-05-01T12:34:56Z is 1714566896 */
	check(has_text(texts, "*Time*\n<!date^1714566896^{date_short_pretty} "
	    "{time_secs}|2024-05-01T12:34:56.789Z>"),
	    "basic: the time as a Slack date token, UTC as its fallback");
	check(json_is_true(json_object_get(json_array_get(json_object_get(sec,
	    "fields"), 0), "verbatim")) && json_is_true(json_object_get(
	    json_object_get(sec, "text"), "verbatim")),
	    "basic: mrkdwn is verbatim (nothing auto-linked)");
	s = json_string_value(json_object_get(json_array_get(json_object_get(
	    block_nth(msg, "context", 0), "elements"), 0), "text"));
	check(s != NULL && strstr(s, "0b9e4c1e-6b57-4f0c-9d59-5d1a0f0e7a11") !=
	    NULL, "basic: the context names the delivery");
	check(markup_only_ours(texts, NULL), "basic: no markup but the date");
	check(strstr(rq.body, "hooks.slack.com") == NULL,
	    "basic: the webhook URL is not in the message");
	json_decref(texts);
	json_decref(msg);
	conn_request_free(&rq);

	p = payload_new("finding.created", "finding", "F-1", json_object());
	rc = render_event(p, "{}", &msg, &rq, err, sizeof(err));
	check(rc == -1 && strstr(err, "webhook_url") != NULL,
	    "no webhook_url: not rendered, and said why");
	free(p);
	conn_request_free(&rq);
	json_decref(msg);
}

static void
test_titles(void)
{
	json_t		*msg, *texts;
	const char	*h, *t;
	char		 big[6001];
	char		*han;
	size_t		 i;

	memset(big, 'A', 500);
	big[500] = '\0';
	if (case_render("long title", "scan.completed", "scan", "S-1",
	    json_pack("{s:s}", "title", big), &msg, &texts) == 0) {
		h = header_text(msg);
		check(chars(h) == 150 && ends_with(h, "\xe2\x80\xa6"),
		    "long title: the header cut at 150 characters with "
		    "an ellipsis");
		t = json_string_value(json_object_get(msg, "text"));
		check(strstr(t, big) != NULL, "long title: the fallback text "
		    "keeps all 500 characters");
		json_decref(msg);
		json_decref(texts);
	}

	memset(big, 'B', 6000);
	big[6000] = '\0';
	if (case_render("very long title", "scan.completed", "scan", "S-1",
	    json_pack("{s:s}", "title", big), &msg, &texts) == 0) {
		t = json_string_value(json_object_get(msg, "text"));
		check(chars(t) == 3000 && ends_with(t, "\xe2\x80\xa6"),
		    "very long title: the fallback text cut at 3000");
		json_decref(msg);
		json_decref(texts);
	}

	/* Escaping makes 5 of each &: the cut is made on the escaped text. */
	memset(big, '&', 3000);
	big[3000] = '\0';
	if (case_render("title of ampersands", "scan.completed", "scan", "S-1",
	    json_pack("{s:s}", "title", big), &msg, &texts) == 0) {
		t = json_string_value(json_object_get(msg, "text"));
		check(chars(t) <= 3000 && strstr(t, "&amp;&amp;") != NULL &&
		    ends_with(t, "&amp;\xe2\x80\xa6"),
		    "title of ampersands: escaped, cut between entities, "
		    "within 3000");
		json_decref(msg);
		json_decref(texts);
	}

	if (case_render("unicode title", "finding.created", "finding", "F-2",
	    json_pack("{s:s,s:s}", "title", "Ünïcödé 🔥 日本語 — naïve café",
	    "severity", "HIGH"), &msg, &texts) == 0) {
		check(str_eq(header_text(msg), "Ünïcödé 🔥 日本語 — naïve café"),
		    "unicode title: kept as it is");
		check(str_eq(section_text(msg, 0), ":large_orange_circle: "
		    "*Severity: High*"), "unicode title: severity is read in "
		    "any case");
		json_decref(msg);
		json_decref(texts);
	}

	han = xmalloc(300 * 3 + 1);
	for (i = 0; i < 300; i++)
		memcpy(han + i * 3, "\xe6\x97\xa5", 3);
	han[900] = '\0';
	if (case_render("long unicode title", "finding.created", "finding",
	    "F-3", json_pack("{s:s}", "title", han), &msg, &texts) == 0) {
		h = header_text(msg);
		check(chars(h) == 150 && strlen(h) == 149 * 3 + 3,
		    "long unicode title: cut by characters, not bytes");
		json_decref(msg);
		json_decref(texts);
	}
	free(han);

	if (case_render("blank title", "scan.failed", "scan", "S-2",
	    json_pack("{s:s}", "title", " \n\t "), &msg, &texts) == 0) {
		check(str_eq(header_text(msg), "scan.failed"),
		    "blank title: the event type instead");
		json_decref(msg);
		json_decref(texts);
	}

	if (case_render("no title", "sync.completed", NULL, NULL,
	    json_object(), &msg, &texts) == 0) {
		check(str_eq(header_text(msg), "sync.completed"),
		    "no title: the event type");
		check(str_eq(section_text(msg, 0), ":white_circle: "
		    "*Severity: Info*"), "no severity: info");
		check(has_text(texts, "*Resource*\nevent/"
		    "2f1e4c1e-6b57-4f0c-9d59-5d1a0f0e7a22"),
		    "no object: the event is the resource");
		json_decref(msg);
		json_decref(texts);
	}

	if (case_render("multi-line title", "scan.failed", "scan", "S-3",
	    json_pack("{s:s}", "title", "line one\nline two\r\n"), &msg,
	    &texts) == 0) {
		check(str_eq(header_text(msg), "line one line two  "),
		    "multi-line title: one line in the header");
		json_decref(msg);
		json_decref(texts);
	}
}

static void
test_injection(void)
{
	static const char evil[] = "<!channel> <!here|here> <@U024BE7LH> "
	    "<#C024BE7LR> <https://evil.example|click me> & *bold*";
	json_t		*msg, *texts, *data;
	const char	*t;

	data = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "title", evil,
	    "severity", "critical", "description", evil, "note", evil,
	    "<!everyone>", "key", "url", "https://evil.example/|x");
	if (case_render("injection", "finding.created", "finding",
	    "<!channel>", data, &msg, &texts) == 0) {
		check(markup_only_ours(texts, NULL), "injection: no mention, "
		    "link or other markup from the title, data, keys or ids");
		check(strstr(json_string_value(json_object_get(msg, "text")),
		    "&lt;!channel&gt; &lt;!here|here&gt; &lt;@U024BE7LH&gt;") !=
		    NULL, "injection: the fallback text escapes & < >");
		check(has_text(texts, "&lt;!channel&gt; &lt;!here|here&gt; "
		    "&lt;@U024BE7LH&gt; &lt;#C024BE7LR&gt; "
		    "&lt;https://evil.example|click me&gt; &amp; *bold*"),
		    "injection: the description is escaped");
		check(has_text(texts, "*note*\n&lt;!channel&gt; &lt;!here|here"
		    "&gt; &lt;@U024BE7LH&gt; &lt;#C024BE7LR&gt; "
		    "&lt;https://evil.example|click me&gt; &amp; *bold*"),
		    "injection: a data field is escaped");
		check(has_text(texts, "*&lt;!everyone&gt;*\nkey"),
		    "injection: a data key is escaped");
		check(has_text(texts, "*Resource*\nfinding/&lt;!channel&gt;"),
		    "injection: the object id is escaped");
		t = header_text(msg);
		check(str_eq(t, evil), "injection: the header is plain_text, "
		    "shown as it is (Slack parses no markup in it)");
		check(str_eq(section_text(msg, 0), ":red_circle: *Severity: "
		    "Critical*"), "injection: a URL holding | gives no link");
		json_decref(msg);
		json_decref(texts);
	}
}

static void
test_links(void)
{
	json_t		*msg, *texts;

	if (case_render("link", "finding.created", "finding", "F-1",
	    json_pack("{s:s,s:s}", "severity", "medium", "url",
	    "https://tw.example/findings/F-1?tab=a&x=1"), &msg,
	    &texts) == 0) {
		check(str_eq(section_text(msg, 0), ":large_yellow_circle: "
		    "*Severity: Medium*\n<https://tw.example/findings/F-1?"
		    "tab=a&amp;x=1|Open finding/F-1>"),
		    "link: a mrkdwn link to the object, & escaped");
		check(markup_only_ours(texts,
		    "https://tw.example/findings/F-1?tab=a&amp;x=1"),
		    "link: the only markup is the link and the date");
		json_decref(msg);
		json_decref(texts);
	}
	if (case_render("javascript link", "finding.created", "finding", "F-1",
	    json_pack("{s:s}", "link", "javascript:alert(1)"), &msg,
	    &texts) == 0) {
		check(markup_only_ours(texts, NULL),
		    "javascript link: no link");
		json_decref(msg);
		json_decref(texts);
	}
	if (case_render("link text", "finding.created", "finding", "F<&>",
	    json_pack("{s:s}", "link", "http://tw.example/f"), &msg,
	    &texts) == 0) {
		check(str_eq(section_text(msg, 0), ":white_circle: *Severity: "
		    "Info*\n<http://tw.example/f|Open finding/F&lt;&amp;&gt;>"),
		    "link text: data.link, its text escaped");
		json_decref(msg);
		json_decref(texts);
	}
}

static void
test_data(void)
{
	json_t		*msg, *texts, *data;
	const json_t	*b;
	const char	*s;
	char		 key[16], *big;
	int		 i;

	data = json_object();
	for (i = 0; i < 30; i++) {
		snprintf(key, sizeof(key), "k%02d", i);
		json_object_set_new(data, key, json_integer(i));
	}
	if (case_render("30 data fields", "scan.completed", "scan", "S-1",
	    data, &msg, &texts) == 0) {
		check(json_array_size(json_object_get(block_nth(msg, "section",
		    1), "fields")) == 10 && json_array_size(json_object_get(
		    block_nth(msg, "section", 2), "fields")) == 10 &&
		    block_nth(msg, "section", 3) == NULL,
		    "30 data fields: two sections of ten");
		check(has_text(texts, "*k00*\n0") && has_text(texts,
		    "*k19*\n19") && !has_text(texts, "*k20*\n20"),
		    "30 data fields: the first twenty, in order");
		s = json_string_value(json_object_get(json_array_get(
		    json_object_get(block_nth(msg, "context", 0), "elements"),
		    0), "text"));
		check(s != NULL && strstr(s, "10 more fields not shown") !=
		    NULL, "30 data fields: the context says 10 are left out");
		json_decref(msg);
		json_decref(texts);
	}

	big = xmalloc(10001);
	memset(big, '<', 10000);
	big[10000] = '\0';
	data = json_pack("{s:s,s:s,s:s,s:s,s:s}", "description", big,
	    "evidence", big, "more", big, "again", big, "last", big);
	if (case_render("long data", "finding.created", "finding", "F-9",
	    data, &msg, &texts) == 0) {
		s = section_text(msg, 1);
		check(s != NULL && chars(s) <= 3000 && chars(s) > 2900 &&
		    strchr(s, '<') == NULL && ends_with(s, "\xe2\x80\xa6"),
		    "long data: the description escaped and cut within 3000");
		b = block_nth(msg, "section", 2);
		s = json_string_value(json_object_get(json_array_get(
		    json_object_get(b, "fields"), 0), "text"));
		check(s != NULL && chars(s) <= 2000 && chars(s) > 1900 &&
		    ends_with(s, "\xe2\x80\xa6"),
		    "long data: a field cut within 2000");
		check(json_array_size(json_object_get(b, "fields")) == 3,
		    "long data: fields stop at the message's text budget");
		check(texts_chars(texts) < 10000, "long data: the message's "
		    "text stays under 10000 characters (%zu)",
		    texts_chars(texts));
		json_decref(msg);
		json_decref(texts);
	}
	free(big);

	data = json_pack("{s:[s,s],s:f,s:b,s:n,s:{s:i},s:s}", "tags", "a",
	    "b", "cvss", 9.5, "fixed", 0, "gone", "nested", "n", 1,
	    "message", "hookpost test message body");
	if (case_render("typed data", "integration.test", "integration",
	    "I-1", data, &msg, &texts) == 0) {
		check(has_text(texts, "*tags*\n[\"a\",\"b\"]") &&
		    has_text(texts, "*cvss*\n9.5") &&
		    has_text(texts, "*fixed*\nfalse") &&
		    has_text(texts, "*nested*\n{\"n\":1}"),
		    "typed data: arrays, numbers, booleans, objects as JSON");
		check(!has_text(texts, "*gone*\nnull"),
		    "typed data: a null is left out");
		check(str_eq(section_text(msg, 1),
		    "hookpost test message body"),
		    "typed data: data.message is the description");
		json_decref(msg);
		json_decref(texts);
	}
}

static void
test_severities(void)
{
	static const struct {
		const char	*sev, *want;
	} t[] = {
		{ "critical", ":red_circle: *Severity: Critical*" },
		{ "high", ":large_orange_circle: *Severity: High*" },
		{ "medium", ":large_yellow_circle: *Severity: Medium*" },
		{ "low", ":large_blue_circle: *Severity: Low*" },
		{ "info", ":white_circle: *Severity: Info*" },
		{ "bogus", ":white_circle: *Severity: Info*" },
	};
	json_t		*msg, *texts;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++)
		if (case_render(t[i].sev, "finding.created", "finding", "F-1",
		    json_pack("{s:s}", "severity", t[i].sev), &msg,
		    &texts) == 0) {
			check(str_eq(section_text(msg, 0), t[i].want),
			    "severity %s: %s", t[i].sev, t[i].want);
			json_decref(msg);
			json_decref(texts);
		}
	if (case_render("resolved", "finding.resolved", "finding", "F-1",
	    json_pack("{s:s,s:s}", "severity", "high", "title", "XSS"), &msg,
	    &texts) == 0) {
		check(str_eq(section_text(msg, 0), ":white_check_mark: "
		    "*Resolved* (severity: High)"), "resolved: said so");
		check(str_eq(json_string_value(json_object_get(msg, "text")),
		    "[RESOLVED] XSS (finding/F-1)"),
		    "resolved: in the fallback text too");
		json_decref(msg);
		json_decref(texts);
	}
}

static void
test_time(void)
{
	json_t		*p, *msg, *texts;
	struct conn_request rq;
	char		 err[256], *s;

	p = json_pack("{s:s,s:s,s:{}}", "event_type", "scan.started",
	    "timestamp", "yesterday <b>|x", "data");
	s = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	texts = json_array();
	if (render_event(s, "{\"webhook_url\":\"" HOOK "\"}", &msg, &rq, err,
	    sizeof(err)) == 0) {
		check(kit_check(msg, texts) == NULL &&
		    has_text(texts, "*Time*\nyesterday &lt;b&gt;|x") &&
		    markup_only_ours(texts, NULL),
		    "a timestamp not ISO 8601: shown escaped, no date token");
		json_decref(msg);
	} else
		check(0, "odd timestamp: renders (%s)", err);
	json_decref(texts);
	conn_request_free(&rq);
	free(s);
}

struct cls_case {
	long		 status;
	const char	*body;
	long		 retry_after;
	const char	*error;
	int		 async;
	enum conn_outcome want;
	long		 delay;
	const char	*reason;
};

static const char *
outcome_name(enum conn_outcome o)
{
	switch (o) {
	case CONN_DELIVERED:
		return "delivered";
	case CONN_ASYNC:
		return "async";
	case CONN_RETRY:
		return "retry";
	case CONN_FAILED:
		return "failed";
	case CONN_GONE:
		return "gone";
	case CONN_NEXT:
		return "next";
	}
	return "?";
}

static void
test_classify(void)
{
	static const struct cls_case c[] = {
		{ 200, "ok", -1, NULL, 0, CONN_DELIVERED, -1, "" },
		{ 200, "ok", -1, NULL, 1, CONN_DELIVERED, -1, "" },
		{ 204, "", -1, NULL, 0, CONN_DELIVERED, -1, "" },
		{ 429, "rate_limited", 7, NULL, 0, CONN_RETRY, 7,
		    "HTTP 429: rate_limited" },
		{ 429, "", -1, NULL, 0, CONN_RETRY, -1, "HTTP 429" },
		{ 429, "no_service", 0, NULL, 0, CONN_RETRY, 1,
		    "HTTP 429: no_service" },
		{ 503, "", 90000, NULL, 0, CONN_RETRY, 3600, "HTTP 503" },
		{ 500, "rollup_error", -1, NULL, 0, CONN_RETRY, -1,
		    "HTTP 500: rollup_error" },
		{ 500, "no_service", -1, NULL, 0, CONN_RETRY, -1,
		    "HTTP 500: no_service" },
		{ 502, "<html>Bad Gateway</html>", -1, NULL, 0, CONN_RETRY, -1,
		    "HTTP 502" },
		{ 408, "", -1, NULL, 0, CONN_RETRY, -1, "HTTP 408" },
		{ 301, "", -1, NULL, 0, CONN_RETRY, -1, "HTTP 301" },
		{ 0, NULL, -1, "Connection refused", 0, CONN_RETRY, -1,
		    "Connection refused" },
		{ 400, "invalid_payload", -1, NULL, 0, CONN_FAILED, -1,
		    "HTTP 400: invalid_payload" },
		{ 400, "invalid_blocks", -1, NULL, 0, CONN_FAILED, -1,
		    "HTTP 400: invalid_blocks" },
		{ 400, "invalid_blocks\n", -1, NULL, 0, CONN_FAILED, -1,
		    "HTTP 400: invalid_blocks" },
		{ 400, "{\"ok\":false,\"error\":\"invalid_blocks_format\"}", -1,
		    NULL, 0, CONN_FAILED, -1,
		    "HTTP 400: invalid_blocks_format" },
		{ 400, "too_many_attachments", -1, NULL, 0, CONN_FAILED, -1,
		    "HTTP 400: too_many_attachments" },
		{ 400, "user_not_found", -1, NULL, 0, CONN_FAILED, -1,
		    "HTTP 400: user_not_found" },
		{ 400, "no_text", -1, NULL, 0, CONN_FAILED, -1,
		    "HTTP 400: no_text" },
		{ 403, "action_prohibited", -1, NULL, 0, CONN_FAILED, -1,
		    "HTTP 403: action_prohibited" },
		{ 403, "posting_to_general_channel_denied", -1, NULL, 0,
		    CONN_FAILED, -1,
		    "HTTP 403: posting_to_general_channel_denied" },
		{ 404, "<html>Not Found</html>", -1, NULL, 0, CONN_FAILED, -1,
		    "HTTP 404" },
		{ 400, "Invalid Payload!", -1, NULL, 0, CONN_FAILED, -1,
		    "HTTP 400" },
		{ 404, "no_service", -1, NULL, 0, CONN_GONE, -1,
		    "HTTP 404: no_service" },
		{ 400, "no_service_id", -1, NULL, 0, CONN_GONE, -1,
		    "HTTP 400: no_service_id" },
		{ 404, "no_team", -1, NULL, 0, CONN_GONE, -1,
		    "HTTP 404: no_team" },
		{ 403, "team_disabled", -1, NULL, 0, CONN_GONE, -1,
		    "HTTP 403: team_disabled" },
		{ 403, "invalid_token", -1, NULL, 0, CONN_GONE, -1,
		    "HTTP 403: invalid_token" },
		{ 404, "channel_not_found", -1, NULL, 0, CONN_GONE, -1,
		    "HTTP 404: channel_not_found" },
		{ 410, "channel_is_archived", -1, NULL, 0, CONN_GONE, -1,
		    "HTTP 410: channel_is_archived" },
		{ 410, "", -1, NULL, 0, CONN_GONE, -1, "HTTP 410" },
	};
	struct conn_event	 ev;
	struct conn_answer	 a;
	struct conn_result	 res;
	char			 shown[64], *p;
	size_t			 i;

	memset(&ev, 0, sizeof(ev));
	ev.event_type = "finding.created";
	for (i = 0; i < NITEMS(c); i++) {
		memset(&a, 0, sizeof(a));
		a.status = c[i].status;
		a.body = c[i].body;
		a.bodylen = c[i].body != NULL ? strlen(c[i].body) : 0;
		a.retry_after = c[i].retry_after;
		a.error = c[i].error;
		a.async = c[i].async;
		slack->classify(&ev, &a, &res);
		snprintf(shown, sizeof(shown), "%s", c[i].body != NULL ?
		    c[i].body : c[i].error);
		for (p = shown; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		check(res.outcome == c[i].want && res.delay == c[i].delay &&
		    strcmp(res.reason, c[i].reason) == 0,
		    "classify %ld %s: %s, delay %ld, \"%s\" (got %s, %ld, "
		    "\"%s\")", c[i].status, shown, outcome_name(c[i].want),
		    c[i].delay, c[i].reason, outcome_name(res.outcome),
		    res.delay, res.reason);
	}
}

int
main(void)
{
	slack = connector_find("slack");
	check(slack != NULL, "the slack connector is in the table");
	if (slack == NULL)
		return check_done();
	check(slack->nfields == 1 && str_eq(slack->fields[0].name,
	    "webhook_url") && slack->fields[0].required,
	    "settings: webhook_url, required, nothing else");
	check(connector_is_secret(slack, "webhook_url") &&
	    str_eq(slack->url_key, "webhook_url") && slack->url_default ==
	    NULL, "settings: the webhook URL is a secret and the URL sent to");
	test_basic();
	test_titles();
	test_injection();
	test_links();
	test_data();
	test_severities();
	test_time();
	test_classify();
	return check_done();
}
