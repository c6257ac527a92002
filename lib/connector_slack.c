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

/* s with & < > escaped for mrkdwn, new. */
static char *
escape_new(const char *s)
{
	struct buf	 b;

	memset(&b, 0, sizeof(b));
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			buf_append(&b, "&amp;", 5);
			break;
		case '<':
			buf_append(&b, "&lt;", 4);
			break;
		case '>':
			buf_append(&b, "&gt;", 4);
			break;
		default:
			buf_append(&b, s, 1);
		}
	buf_append(&b, "", 1);
	return b.data;
}

/*
 * s escaped for mrkdwn in at most max characters, new: cut (with "…") by
 * conn_truncate_new before escaping, so that no entity is cut in half, at
 * the most characters whose escaped text still fits (found by halving:
 * the escaped length grows with the characters kept).
 */
static char *
mrkdwn_new(const char *s, size_t max)
{
	char	*cut, *esc, *best;
	size_t	 lo = 0, hi, mid;

	esc = escape_new(s);
	if (utf8_chars(esc) <= max)
		return esc;
	free(esc);
	/* lo characters fit; more than hi do not. */
	hi = max;
	best = xstrdup("");
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		cut = conn_truncate_new(s, mid);
		esc = escape_new(cut);
		free(cut);
		if (utf8_chars(esc) <= max) {
			free(best);
			best = esc;
			lo = mid;
		} else {
			free(esc);
			hi = mid - 1;
		}
	}
	return best;
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

static json_t *
mrkdwn_obj(const char *text)
{
	return json_pack("{s:s,s:s,s:b}", "type", "mrkdwn", "text", text,
	    "verbatim", 1);
}

/*
 * Appends "*key*\nvalue" in at most max characters (more than
 * DATA_KEY_MAX + 3); the characters used.
 */
static size_t
field_add(json_t *arr, const char *key, const char *value, size_t max)
{
	char	*k, *v, *t;
	size_t	 n;

	k = mrkdwn_new(key, DATA_KEY_MAX);
	/* "*", "*\n" around the key, and the value in the rest. */
	v = mrkdwn_new(value, max - utf8_chars(k) - 3);
	t = xasprintf("*%s*\n%s", k, v);
	n = utf8_chars(t);
	json_array_append_new(arr, mrkdwn_obj(t));
	free(t);
	free(v);
	free(k);
	return n;
}

/*
 * The time as Slack's date token, shown in each reader's time zone, with
 * the UTC text as its fallback; or the text escaped when it is not the
 * worker's ISO 8601 form.  New.
 */
static char *
time_text_new(const char *iso)
{
	struct tm	 tm;
	const char	*rest;
	time_t		 t;

	memset(&tm, 0, sizeof(tm));
	if ((rest = strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL ||
	    strspn(rest, "0123456789.Z") != strlen(rest) ||
	    (t = timegm(&tm)) == (time_t)-1)
		return mrkdwn_new(*iso != '\0' ? iso : "-", 200);
	return xasprintf("<!date^%lld^{date_short_pretty} {time_secs}|%s>",
	    (long long)t, iso);
}

/* A data value as text: strings as they are, anything else as JSON. */
static char *
value_text_new(const json_t *v)
{
	char	*s;

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return xstrdup("?");
	return s;
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
 * fields and DATA_CHARS_MAX characters; how many were left out.
 */
static size_t
data_sections(const struct conn_event *ev, json_t *blocks)
{
	const json_t	*data = conn_data(ev);
	json_t		*v, *row = NULL;
	const char	*key;
	char		*text;
	size_t		 nfields = 0, chars = 0, left = 0, room;

	json_object_foreach((json_t *)data, key, v) {
		if (*key == '\0' || is_shown(key) || json_is_null(v))
			continue;
		if (nfields == DATA_FIELDS_MAX ||
		    DATA_CHARS_MAX - chars < DATA_FIELD_MIN) {
			left++;
			continue;
		}
		if (row == NULL || json_array_size(row) ==
		    SLACK_FIELDS_MAX) {
			row = json_array();
			json_array_append_new(blocks, json_pack("{s:s,s:o}",
			    "type", "section", "fields", row));
		}
		text = value_text_new(v);
		/* The last field gets what is left of the budget. */
		room = DATA_CHARS_MAX - chars;
		chars += field_add(row, key, text, room < SLACK_FIELD_MAX ?
		    room : SLACK_FIELD_MAX);
		nfields++;
		free(text);
	}
	return left;
}

static const char *
data_text(const struct conn_event *ev, const char *key)
{
	const char	*s;

	s = json_string_value(json_object_get(conn_data(ev), key));
	return s != NULL && *s != '\0' ? s : NULL;
}

/* The message for an event, new. */
static json_t *
message_new(const struct conn_event *ev)
{
	const char	*sev, *label = "Info", *emoji = ":white_circle:";
	const char	*link, *desc;
	json_t		*blocks, *msg, *main_fields;
	char		 key[256], *title, *header, *s, *t, *u, *k;
	size_t		 i, left;
	int		 resolved;

	sev = conn_severity(ev);
	for (i = 0; i < sizeof(severities) / sizeof(severities[0]); i++)
		if (strcmp(severities[i].severity, sev) == 0) {
			label = severities[i].label;
			emoji = severities[i].emoji;
		}
	resolved = conn_is_resolution(ev);
	conn_object_key(ev, key, sizeof(key));
	blocks = json_array();

	/* header: plain_text, one line, never empty */
	title = one_line_new(conn_title(ev));
	if (title[strspn(title, " ")] == '\0') {
		free(title);
		title = one_line_new(ev->event_type);
	}
	header = conn_truncate_new(title, SLACK_HEADER_MAX);
	json_array_append_new(blocks, json_pack("{s:s,s:{s:s,s:s,s:b}}",
	    "type", "header", "text", "type", "plain_text", "text", header,
	    "emoji", 1));
	free(header);

	/* the severity, the link; resource, event, time */
	k = mrkdwn_new(key, 200);
	if (resolved)
		s = xasprintf(":white_check_mark: *Resolved* (severity: %s)",
		    label);
	else
		s = xasprintf("%s *Severity: %s*", emoji, label);
	if ((link = conn_link(ev)) != NULL) {
		/* conn_link refused < > | and spaces; & is escaped. */
		u = escape_new(link);
		t = xasprintf("%s\n<%s|Open %s>", s, u, k);
		free(u);
		free(s);
		s = t;
	}
	main_fields = json_array();
	t = xasprintf("*Resource*\n%s", k);
	json_array_append_new(main_fields, mrkdwn_obj(t));
	free(t);
	u = mrkdwn_new(ev->event_type, 200);
	t = xasprintf("*Event*\n%s", u);
	json_array_append_new(main_fields, mrkdwn_obj(t));
	free(t);
	free(u);
	u = time_text_new(conn_timestamp(ev));
	t = xasprintf("*Time*\n%s", u);
	json_array_append_new(main_fields, mrkdwn_obj(t));
	free(t);
	free(u);
	json_array_append_new(blocks, json_pack("{s:s,s:o,s:o}", "type",
	    "section", "text", mrkdwn_obj(s), "fields", main_fields));
	free(s);

	/* the description */
	if ((desc = data_text(ev, "description")) != NULL ||
	    (desc = data_text(ev, "message")) != NULL) {
		s = mrkdwn_new(desc, SLACK_SECTION_MAX);
		json_array_append_new(blocks, json_pack("{s:s,s:o}", "type",
		    "section", "text", mrkdwn_obj(s)));
		free(s);
	}

	/* the rest of the data, then the context */
	left = data_sections(ev, blocks);
	u = mrkdwn_new(ev->delivery_id != NULL ? ev->delivery_id : "-", 64);
	if (left > 0)
		s = xasprintf("hookpost \xc2\xb7 delivery %s \xc2\xb7 %zu more "
		    "field%s not shown", u, left, left == 1 ? "" : "s");
	else
		s = xasprintf("hookpost \xc2\xb7 delivery %s", u);
	json_array_append_new(blocks, json_pack("{s:s,s:[o]}", "type",
	    "context", "elements", mrkdwn_obj(s)));
	free(s);
	free(u);

	/* the notification text: "[Critical] title (finding/F-1)" */
	s = xasprintf("[%s] %s (%s)", resolved ? "RESOLVED" : label, title,
	    key);
	t = mrkdwn_new(s, FALLBACK_MAX);
	msg = json_pack("{s:s,s:o}", "text", t, "blocks", blocks);
	free(t);
	free(s);
	free(k);
	free(title);
	return msg;
}

static int
render(const struct conn_event *ev, struct conn_request *out, char *err,
    size_t errsz)
{
	const char	*url;
	json_t		*msg;

	if ((url = conn_config_str(ev, "webhook_url")) == NULL) {
		errf(err, errsz, "the integration has no webhook_url");
		return -1;
	}
	if ((msg = message_new(ev)) == NULL ||
	    json_array_size(json_object_get(msg, "blocks")) >
	    SLACK_BLOCKS_MAX || (out->body = json_dumps(msg,
	    JSON_COMPACT)) == NULL) {
		json_decref(msg);
		errf(err, errsz, "the event cannot be written as a Slack "
		    "message");
		return -1;
	}
	json_decref(msg);
	out->bodylen = strlen(out->body);
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
	.url_key = "webhook_url",
	.render = render,
	.classify = classify,
};
