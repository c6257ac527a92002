/*
 * connector slack: a Slack incoming webhook (seed 003 "Slack: real-time
 * notifications for new findings, scan completions, and SLA breaches").
 *
 * One setting, webhook_url, the URL Slack gave the app ("Sending messages
 * using incoming webhooks", api.slack.com/messaging/webhooks).  It is a
 * credential (anyone holding it can post to the channel): sealed at rest,
 * never shown, never logged; the SSRF guard checks it at every send.  The
 * channel, username and icon overrides are not taken: Slack documents them
 * for legacy custom-integration webhooks only ("You cannot override the
 * default channel, username, or icon when you're using incoming webhooks";
 * app webhooks ignore them).
 *
 * The message is Block Kit: a header (the title), a section with the
 * severity (an emoji per severity), a link to the object when the event
 * gives one, and fields for the resource, the event and the time; the
 * description; the event's other data as fields; a context line.  A plain
 * "text" is the fallback notifications show.  Slack's limits, enforced
 * here by characters (docs.slack.dev/reference/block-kit): a message holds
 * at most 50 blocks; header text (plain_text) 150; section text 3000;
 * section fields at most 10, each 2000; context elements at most 10, text
 * objects 3000; "text" is cut by Slack past 40000 (changelog 2018-04
 * "truncating really long messages").  The data fields hold 6000
 * characters in all, so that a whole message stays under 10000, below the
 * about 13000 that chat.postMessage was seen to refuse as
 * msg_blocks_too_long (slackapi/bolt-js#2509; undocumented).
 *
 * Event text is the user's, never markup: in mrkdwn, & < > are escaped to
 * &amp; &lt; &gt; (docs "Formatting text for app surfaces": escaping), so
 * no <!channel>, <@U...> or <url|text> can come from event data, and every
 * mrkdwn text object is verbatim (no bare URL or name is auto-linked).
 * The header is plain_text, which Slack shows as it is.
 *
 * Answers (api.slack.com/changelog/2016-05-17-changes-to-errors-for-
 * incoming-webhooks, and the "Handling errors" table of the webhooks page):
 * 200 "ok" delivered; 429 retried after Retry-After; 5xx (rollup_error)
 * retried on the schedule (so is 408); any other 4xx refuses this message
 * for good, its reason "HTTP 400: invalid_blocks".  The answers that say
 * the webhook itself leads nowhere any more -- no_service (disabled,
 * removed or invalid), no_service_id, no_team, team_disabled,
 * invalid_token, channel_not_found, and channel_is_archived (410) --
 * disable the integration (CONN_GONE), as seed 000's 410 does: every later
 * message would fail the same way until someone makes a new webhook.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "connector.h"
#include "util.h"

/* Slack's Block Kit limits, in characters (see the top of this file). */
#define SLACK_BLOCKS_MAX	50
#define SLACK_HEADER_MAX	150
#define SLACK_SECTION_MAX	3000
#define SLACK_FIELDS_MAX	10
#define SLACK_FIELD_MAX		2000
#define SLACK_CONTEXT_MAX	10
#define SLACK_TEXT_MAX		40000

/* Ours, within them. */
#define FALLBACK_MAX		3000	/* the notification text */
#define DATA_FIELDS_MAX		20	/* two sections of ten */
#define DATA_CHARS_MAX		6000	/* all data fields together */
#define DATA_FIELD_MIN		200	/* room below which none is added */
#define DATA_KEY_MAX		100
#define ERROR_CODE_MAX		64

static const struct vfield fields[] = {
	{ "webhook_url", V_STRING, 1, 1, 2048, NULL, 0 },
};

static const char *const secrets[] = { "webhook_url", NULL };

/* For people (GET /api/integrations/types). */
static const struct conn_setting_doc docs[] = {
	{ "webhook_url", "Incoming webhook URL", "The https://hooks.slack.com/"
	    "services/... URL Slack gave the app; it is itself a credential.",
	    NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

/* Shown elsewhere in the message, so not repeated as data fields. */
static const char *const shown[] = { "title", "severity", "url", "link",
    "description", "message", NULL };

static const struct {
	const char	*severity;
	const char	*label;
	const char	*emoji;
} severities[] = {
	{ "critical", "Critical", ":red_circle:" },
	{ "high", "High", ":large_orange_circle:" },
	{ "medium", "Medium", ":large_yellow_circle:" },
	{ "low", "Low", ":large_blue_circle:" },
	{ "info", "Info", ":white_circle:" },
};

/*
 * Slack's answers that mean the webhook is dead, not the message bad:
 * the integration is disabled.
 */
static const char *const gone_errors[] = { "no_service", "no_service_id",
    "no_team", "team_disabled", "invalid_token", "channel_not_found",
    "channel_is_archived", NULL };

/*
 * The message is written as JSON text straight away, not built as a json_t
 * and dumped: the worker renders every delivery, and objects by the dozen
 * per message cost more than the rest of its work (conn_json_esc writes
 * the same text json_dumps would).
 */
struct msg {
	struct buf	 body;		/* the JSON written so far */
	struct buf	 text;		/* one text object's text, unescaped */
	size_t		 nblocks;
	int		 bad;		/* a text was not UTF-8 */
};

#define PUT(b, lit)	buf_append((b), (lit), sizeof(lit) - 1)

/* Appends the n bytes at s to b with & < > escaped for mrkdwn. */
static void
escape_put(struct buf *b, const char *s, size_t n)
{
	const char	*run = s, *end = s + n, *p;

	for (p = s; p < end; p++) {
		switch (*p) {
		case '&':
			buf_append(b, run, (size_t)(p - run));
			PUT(b, "&amp;");
			break;
		case '<':
			buf_append(b, run, (size_t)(p - run));
			PUT(b, "&lt;");
			break;
		case '>':
			buf_append(b, run, (size_t)(p - run));
			PUT(b, "&gt;");
			break;
		default:
			continue;
		}
		run = p + 1;
	}
	buf_append(b, run, (size_t)(end - run));
}

/* The characters escaping c for mrkdwn adds ("&" is "&amp;"). */
static size_t
escape_extra(unsigned char c)
{
	return c == '&' ? 4 : c == '<' || c == '>' ? 3 : 0;
}

/*
 * Appends s escaped for mrkdwn to b in at most max characters; returns
 * the characters appended.  A text too long is cut before escaping, so
 * that no entity is cut in half: its first k characters and "…" (as
 * conn_truncate_new cuts), k the most that fit once escaped, and fewer
 * than the characters of s.  The escaped width only grows with k: one
 * pass finds it.
 */
static size_t
mrkdwn_put(struct buf *b, const char *s, size_t max)
{
	const unsigned char	*p, *q = (const unsigned char *)s;
	size_t			 chars = 0, extra = 0, k, kmax, width, w;

	for (p = q; *p != '\0'; p++) {
		if ((*p & 0xc0) != 0x80)
			chars++;
		extra += escape_extra(*p);
	}
	if (chars + extra <= max) {
		escape_put(b, s, (size_t)(p - q));
		return chars + extra;
	}
	if (max == 0 || chars < 2)
		return 0;	/* not even one character and the "…" */
	kmax = (max < chars ? max : chars - 1) - 1;
	for (k = 0, width = 0; k < kmax; k++) {
		w = 1 + escape_extra(*q);
		if (width + w > max - 1)
			break;
		width += w;
		for (q++; (*q & 0xc0) == 0x80; q++)
			;
	}
	escape_put(b, s, (size_t)(q - (const unsigned char *)s));
	PUT(b, "\xe2\x80\xa6");
	return width + 1;
}

/* s on one line (control characters as spaces), new. */
static char *
one_line_new(const char *s)
{
	char	*t, *p;

	t = xstrdup(s);
	for (p = t; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return t;
}

/* Appends the n bytes at s as JSON string text (no quotes) to the body. */
static void
json_put(struct msg *m, const char *s, size_t n)
{
	if (conn_json_esc(&m->body, s, n) == -1)
		m->bad = 1;
}

/* Moves the text gathered in m->text into the body, as JSON text. */
static void
text_flush(struct msg *m)
{
	if (m->text.len > 0)
		json_put(m, m->text.data, m->text.len);
	m->text.len = 0;
}

/* Appends the text gathered in m->text as a mrkdwn text object. */
static void
mrkdwn_obj_put(struct msg *m)
{
	PUT(&m->body, "{\"type\":\"mrkdwn\",\"text\":\"");
	text_flush(m);
	PUT(&m->body, "\",\"verbatim\":true}");
}

/*
 * Appends the field "*key*\nvalue" in at most max characters (more than
 * DATA_KEY_MAX + 3); the characters used.
 */
static size_t
field_put(struct msg *m, const char *key, const char *value, size_t max)
{
	size_t	 nk, nv;

	PUT(&m->text, "*");
	nk = mrkdwn_put(&m->text, key, DATA_KEY_MAX);
	PUT(&m->text, "*\n");
	/* "*", "*\n" around the key, and the value in the rest. */
	nv = mrkdwn_put(&m->text, value, max - nk - 3);
	mrkdwn_obj_put(m);
	return nk + nv + 3;
}

/*
 * Appends the time as Slack's date token, shown in each reader's time
 * zone, with the UTC text as its fallback; or the text escaped when it is
 * not the worker's ISO 8601 form.
 */
static void
time_put(struct buf *b, const char *iso)
{
	struct tm	 tm;
	const char	*rest;
	time_t		 t;
	char		 secs[24];

	memset(&tm, 0, sizeof(tm));
	if ((rest = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL ||
	    strspn(rest, "0123456789.Z") != strlen(rest) ||
	    (t = timegm(&tm)) == (time_t)-1) {
		mrkdwn_put(b, *iso != '\0' ? iso : "-", 200);
		return;
	}
	snprintf(secs, sizeof(secs), "%lld", (long long)t);
	PUT(b, "<!date^");
	buf_append(b, secs, strlen(secs));
	PUT(b, "^{date_short_pretty} {time_secs}|");
	buf_append(b, iso, strlen(iso));
	PUT(b, ">");
}

static int
is_shown(const char *key)
{
	size_t	 i;

	for (i = 0; shown[i] != NULL; i++)
		if (strcmp(shown[i], key) == 0)
			return 1;
	return 0;
}

/*
 * The event's other data as sections of fields, up to DATA_FIELDS_MAX
 * fields and DATA_CHARS_MAX characters; how many were left out.  A value
 * is its string, or its JSON when not a string.
 */
static size_t
data_sections(const struct conn_event *ev, struct msg *m)
{
	const json_t	*data = conn_data(ev);
	json_t		*v;
	const char	*key, *text;
	char		*dumped;
	size_t		 nfields = 0, chars = 0, left = 0, room, inrow = 0;

	json_object_foreach((json_t *)data, key, v) {
		if (*key == '\0' || is_shown(key) || json_is_null(v))
			continue;
		if (nfields == DATA_FIELDS_MAX ||
		    DATA_CHARS_MAX - chars < DATA_FIELD_MIN) {
			left++;
			continue;
		}
		if (inrow == SLACK_FIELDS_MAX) {
			PUT(&m->body, "]}");
			inrow = 0;
		}
		if (inrow == 0) {
			PUT(&m->body, ",{\"type\":\"section\",\"fields\":[");
			m->nblocks++;
		} else
			PUT(&m->body, ",");
		dumped = NULL;
		if ((text = json_string_value(v)) == NULL)
			text = (dumped = json_dumps(v, JSON_COMPACT |
			    JSON_ENCODE_ANY)) != NULL ? dumped : "?";
		/* The last field gets what is left of the budget. */
		room = DATA_CHARS_MAX - chars;
		chars += field_put(m, key, text, room < SLACK_FIELD_MAX ?
		    room : SLACK_FIELD_MAX);
		free(dumped);
		nfields++;
		inrow++;
	}
	if (inrow > 0)
		PUT(&m->body, "]}");
	return left;
}

static const char *
data_text(const struct conn_event *ev, const char *key)
{
	const char	*s;

	s = json_string_value(json_object_get(conn_data(ev), key));
	return s != NULL && *s != '\0' ? s : NULL;
}

/* Writes the message for an event into m. */
static void
message_put(const struct conn_event *ev, struct msg *m)
{
	const char	*sev, *label = "Info", *emoji = ":white_circle:";
	const char	*link, *desc;
	char		 key[256], num[24], *title, *header, *s;
	size_t		 i, left, n;
	int		 resolved;

	sev = conn_severity(ev);
	for (i = 0; i < sizeof(severities) / sizeof(severities[0]); i++)
		if (strcmp(severities[i].severity, sev) == 0) {
			label = severities[i].label;
			emoji = severities[i].emoji;
		}
	resolved = conn_is_resolution(ev);
	conn_object_key(ev, key, sizeof(key));
	/* The title: one line, never empty. */
	title = one_line_new(conn_title(ev));
	if (title[strspn(title, " ")] == '\0') {
		free(title);
		title = one_line_new(ev->event_type);
	}

	/* the notification text: "[Critical] title (finding/F-1)" */
	s = xasprintf("[%s] %s (%s)", resolved ? "RESOLVED" : label, title,
	    key);
	PUT(&m->body, "{\"text\":\"");
	mrkdwn_put(&m->text, s, FALLBACK_MAX);
	text_flush(m);
	free(s);

	/* header: plain_text, in at most SLACK_HEADER_MAX characters */
	PUT(&m->body, "\",\"blocks\":[{\"type\":\"header\",\"text\":"
	    "{\"type\":\"plain_text\",\"text\":\"");
	if (strlen(title) <= SLACK_HEADER_MAX)
		json_put(m, title, strlen(title));
	else {
		header = conn_truncate_new(title, SLACK_HEADER_MAX);
		json_put(m, header, strlen(header));
		free(header);
	}
	PUT(&m->body, "\",\"emoji\":true}}");
	m->nblocks++;

	/* the severity, the link; resource, event, time */
	PUT(&m->body, ",{\"type\":\"section\",\"text\":");
	if (resolved) {
		PUT(&m->text, ":white_check_mark: *Resolved* (severity: ");
		buf_append(&m->text, label, strlen(label));
		PUT(&m->text, ")");
	} else {
		buf_append(&m->text, emoji, strlen(emoji));
		PUT(&m->text, " *Severity: ");
		buf_append(&m->text, label, strlen(label));
		PUT(&m->text, "*");
	}
	if ((link = conn_link(ev)) != NULL) {
		/* conn_link refused < > | and spaces; & is escaped. */
		PUT(&m->text, "\n<");
		escape_put(&m->text, link, strlen(link));
		PUT(&m->text, "|Open ");
		mrkdwn_put(&m->text, key, 200);
		PUT(&m->text, ">");
	}
	mrkdwn_obj_put(m);
	PUT(&m->body, ",\"fields\":[");
	PUT(&m->text, "*Resource*\n");
	mrkdwn_put(&m->text, key, 200);
	mrkdwn_obj_put(m);
	PUT(&m->body, ",");
	PUT(&m->text, "*Event*\n");
	mrkdwn_put(&m->text, ev->event_type, 200);
	mrkdwn_obj_put(m);
	PUT(&m->body, ",");
	PUT(&m->text, "*Time*\n");
	time_put(&m->text, conn_timestamp(ev));
	mrkdwn_obj_put(m);
	PUT(&m->body, "]}");
	m->nblocks++;

	/* the description */
	if ((desc = data_text(ev, "description")) != NULL ||
	    (desc = data_text(ev, "message")) != NULL) {
		PUT(&m->body, ",{\"type\":\"section\",\"text\":");
		mrkdwn_put(&m->text, desc, SLACK_SECTION_MAX);
		mrkdwn_obj_put(m);
		PUT(&m->body, "}");
		m->nblocks++;
	}

	/* the rest of the data, then the context */
	left = data_sections(ev, m);
	PUT(&m->body, ",{\"type\":\"context\",\"elements\":[");
	PUT(&m->text, "hookpost \xc2\xb7 delivery ");
	mrkdwn_put(&m->text, ev->delivery_id != NULL ? ev->delivery_id : "-",
	    64);
	if (left > 0) {
		n = (size_t)snprintf(num, sizeof(num), "%zu", left);
		PUT(&m->text, " \xc2\xb7 ");
		buf_append(&m->text, num, n);
		if (left == 1)
			PUT(&m->text, " more field not shown");
		else
			PUT(&m->text, " more fields not shown");
	}
	mrkdwn_obj_put(m);
	PUT(&m->body, "]}]}");
	m->nblocks++;
	free(title);
}

static int
render(const struct conn_event *ev, struct conn_request *out, char *err,
    size_t errsz)
{
	const char	*url;
	struct msg	 m;

	if ((url = conn_config_str(ev, "webhook_url")) == NULL) {
		errf(err, errsz, "the integration has no webhook_url");
		return -1;
	}
	memset(&m, 0, sizeof(m));
	m.body.cap = 2048;
	m.body.data = xmalloc(m.body.cap);
	message_put(ev, &m);
	buf_free(&m.text);
	if (m.bad || m.nblocks > SLACK_BLOCKS_MAX) {
		buf_free(&m.body);
		errf(err, errsz, "the event cannot be written as a Slack "
		    "message");
		return -1;
	}
	out->body = m.body.data;
	out->bodylen = m.body.len;
	out->url = xstrdup(url);
	out->headers = conn_header_add(out->headers, "Content-Type",
	    "application/json");
	return 0;
}

/*
 * Slack's error code in an answer: the plain-text body ("invalid_blocks"),
 * or the "error" of a JSON one; into code, or "" when there is none.
 */
static void
error_code(const struct conn_answer *a, char *code, size_t codesz)
{
	const char	*s, *e;
	json_t		*j;
	size_t		 n;

	code[0] = '\0';
	if (a->body == NULL)
		return;
	for (s = a->body; *s == ' ' || *s == '\t' || *s == '\r' ||
	    *s == '\n'; s++)
		;
	for (e = s; (*e >= 'a' && *e <= 'z') || (*e >= '0' && *e <= '9') ||
	    *e == '_'; e++)
		;
	n = (size_t)(e - s);
	if (n > 0 && n <= ERROR_CODE_MAX && e[strspn(e, " \t\r\n")] == '\0') {
		snprintf(code, codesz, "%.*s", (int)n, s);
		return;
	}
	if (*s == '{' && (j = json_loadb(a->body, a->bodylen, 0, NULL)) !=
	    NULL) {
		s = json_string_value(json_object_get(j, "error"));
		if (s != NULL && *s != '\0' && strlen(s) <= ERROR_CODE_MAX &&
		    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") ==
		    strlen(s))
			snprintf(code, codesz, "%s", s);
		json_decref(j);
	}
}

static void
classify(const struct conn_event *ev, const struct conn_answer *a,
    struct conn_result *res)
{
	char	 code[ERROR_CODE_MAX + 1];
	size_t	 i;

	conn_classify_vendor(ev, a, res);
	if (a->error != NULL)
		return;
	if (a->status >= 200 && a->status <= 299) {
		/* Slack has no callbacks: an async header means nothing. */
		res->outcome = CONN_DELIVERED;
		return;
	}
	error_code(a, code, sizeof(code));
	if (code[0] == '\0')
		return;
	snprintf(res->reason, sizeof(res->reason), "HTTP %ld: %s", a->status,
	    code);
	if (a->status >= 400 && a->status <= 499 && a->status != 408 &&
	    a->status != 429)
		for (i = 0; gone_errors[i] != NULL; i++)
			if (strcmp(code, gone_errors[i]) == 0)
				res->outcome = CONN_GONE;
}

const struct connector connector_slack = {
	.type = "slack",
	.title = "Slack",
	.fields = fields,
	.nfields = sizeof(fields) / sizeof(fields[0]),
	.secrets = secrets,
	.docs = docs,
	.url_key = "webhook_url",
	.render = render,
	.classify = classify,
};
