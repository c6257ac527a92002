/*
 * connector teams: a Microsoft Teams channel, through a Workflows webhook
 * (Power Automate's "When a Teams webhook request is received" trigger,
 * which posts each attachment's card to the channel).  The retired
 * Microsoft 365 connector ("Incoming Webhook", MessageCard) is not the
 * target: Workflows take Adaptive Cards only.
 *
 * The one setting, webhook_url, is a credential: the URL carries the
 * trigger's shared access signature (sig=...), so it is sealed at rest,
 * never logged, never shown, and an answer that repeats it has it cut
 * out of the reason kept.
 *
 * The request (Microsoft Learn, "Create and send messages" and "Send
 * Adaptive Cards using an Incoming Webhook"): POST of
 *   {"type": "message", "attachments": [{"contentType":
 *    "application/vnd.microsoft.card.adaptive", "contentUrl": null,
 *    "content": <AdaptiveCard>}]}
 * The card: version 1.4, the newest a Workflows-posted card displays
 * (1.5 shows "We're sorry, this card couldn't be displayed":
 * microsoft/AdaptiveCards#8965, #7676, MicrosoftDocs/msteams-docs#9801;
 * nothing here needs 1.5); a title TextBlock coloured by severity, a
 * FactSet (severity, object, event, time), the description when there is
 * one, an Action.OpenUrl to the object when the event links it, and
 * "msteams": {"width": "Full"} (Teams' full-width cards).
 *
 * Limits: Teams refuses a message over 28 KB ("Limits and specifications
 * for Microsoft Teams"; MicrosoftDocs add-incoming-webhook.md).  Texts
 * are cut by characters (conn_truncate_new: the title and each fact at
 * 256, the description at 8000), and the body is kept under
 * TEAMS_BODY_MAX, leaving room for what the flow adds when it posts the
 * card, by cutting the description further until it fits.
 *
 * Event text is shown, never interpreted: Teams renders TextBlock and
 * FactSet text as Markdown, so event data could make links ([x](url),
 * <url>, bare scheme://), emphasis, code or mentions (<at>).  Backslash
 * escapes are not rendered alike by every Teams client
 * (microsoft/AdaptiveCards#5590, #4677, MicrosoftDocs/msteams-docs#5793),
 * so each Markdown-special ASCII character becomes its fullwidth form
 * (Unicode "Halfwidth and Fullwidth Forms", U+FF01-U+FF5E): it looks
 * the same, counts as one character, and means nothing to Markdown.
 *
 * Answers: Workflows accept with 202 Accepted (200 counts too); 429 is
 * retried after its Retry-After, 5xx and 408 on the schedule; any other
 * 4xx (400 TriggerInputSchemaMismatch, 401 DirectApiAuthorization...,
 * 403, 404 WorkflowNotFound, 413) fails for good, with the service's
 * error code and message kept as the reason; 410 disables the
 * integration, as for every connector.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "connector.h"
#include "util.h"

#define TEAMS_MESSAGE_MAX	(28 * 1024)	/* Teams' documented limit */
#define TEAMS_BODY_MAX		(24 * 1024)	/* ours: 4 KB left for the
						 * flow's own wrapping */
_Static_assert(TEAMS_BODY_MAX < TEAMS_MESSAGE_MAX, "room for the flow");
#define TEAMS_TITLE_CHARS	256
#define TEAMS_FACT_CHARS	256
#define TEAMS_DESC_CHARS	8000	/* then cut to the budget */
#define TEAMS_DESC_MIN_CHARS	64	/* shorter than this: left out */

static const struct vfield fields[] = {
	{ "webhook_url", V_STRING, 1, 1, 2048, NULL, 0 },
};

static const char *const secrets[] = { "webhook_url", NULL };

/*
 * The value of the query parameter sig of url (the trigger's shared
 * access signature): its start, with its length in *len, or NULL.
 */
static const char *
url_sig(const char *url, size_t *len)
{
	const char	*p, *end;

	if (url == NULL || (p = strchr(url, '?')) == NULL)
		return NULL;
	for (p++; *p != '\0'; p = *end == '&' ? end + 1 : end) {
		if ((end = strchr(p, '&')) == NULL)
			end = p + strlen(p);
		if (strncmp(p, "sig=", 4) == 0 && end - p > 4) {
			*len = (size_t)(end - p - 4);
			return p + 4;
		}
		if (*end == '\0')
			break;
	}
	return NULL;
}

/*
 * A Workflows URL is usable only with its signature: a trigger that
 * anyone may call has one; one restricted to the tenant's users wants an
 * Entra ID token instead, which this connector has not got, and would
 * refuse every delivery with 401.
 */
static int
check(const json_t *config, char *err, size_t errsz)
{
	const char	*url;
	size_t		 len;

	url = json_string_value(json_object_get(config, "webhook_url"));
	if (url == NULL)
		return 0;	/* required: fields say so */
	if (url_sig(url, &len) == NULL) {
		errf(err, errsz, "'webhook_url' must be a Teams Workflows "
		    "webhook URL with its signature (...&sig=...): set the "
		    "flow's trigger to be callable by anyone, and copy its "
		    "URL");
		return -1;
	}
	return 0;
}

/* 1 when c means something to Teams' Markdown. */
static int
md_special(unsigned char c)
{
	return c != '\0' && strchr("*_[]<>`", c) != NULL;
}

/* Appends the fullwidth form of ASCII c (U+FF01 + c - '!') to b. */
static void
put_fullwidth(struct buf *b, unsigned char c)
{
	unsigned int	 cp = 0xff00u + c - 0x20u;
	char		 u[3];

	u[0] = (char)0xef;
	u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	u[2] = (char)(0x80 | (cp & 0x3f));
	buf_append(b, u, 3);
}

/*
 * s as text Teams shows as written (see the top of this file): the
 * Markdown-special characters, a '#' opening a line and the ':' of a
 * "://" in their fullwidth forms; control characters as spaces, except
 * line breaks when multiline, which become one empty line each.  Within
 * a line, one character in, one out, so a length in characters holds.
 * A new string.
 */
static char *
md_plain_new(const char *s, int multiline)
{
	const unsigned char	*p = (const unsigned char *)s;
	struct buf		 b = { NULL, 0, 0 };
	int			 line_start = 1;
	size_t			 i;

	for (i = 0; p[i] != '\0'; i++) {
		if ((p[i] == '\n' || p[i] == '\r') && multiline) {
			/* A line break in a TextBlock takes an empty line
			 * (Markdown; microsoft/AdaptiveCards#5538). */
			while (p[i + 1] == '\n' || p[i + 1] == '\r')
				i++;
			buf_append(&b, "\n\n", 2);
			line_start = 1;
			continue;
		}
		if (p[i] < 0x20 || p[i] == 0x7f)
			buf_append(&b, " ", 1);
		else if (md_special(p[i]) || (p[i] == '#' && line_start) ||
		    (p[i] == ':' && p[i + 1] == '/' && p[i + 2] == '/'))
			put_fullwidth(&b, p[i]);
		else
			buf_append(&b, &p[i], 1);
		if (p[i] != ' ' && p[i] != '\t')
			line_start = 0;
	}
	buf_append(&b, "", 1);
	return b.data;
}

/* Event text cut to max characters, then made plain: a new string. */
static char *
text_new(const char *s, size_t max, int multiline)
{
	char	*cut, *out;

	cut = conn_truncate_new(s, max);
	out = md_plain_new(cut, multiline);
	free(cut);
	return out;
}

/* The card's description: data.description, else data.message. */
static const char *
description(const struct conn_event *ev)
{
	const char	*s;

	s = json_string_value(json_object_get(conn_data(ev), "description"));
	if (s == NULL || *s == '\0')
		s = json_string_value(json_object_get(conn_data(ev),
		    "message"));
	return s != NULL && *s != '\0' ? s : NULL;
}

/* A TextBlock colour (Adaptive Cards' "color"), or NULL for default. */
static const char *
severity_color(const struct conn_event *ev)
{
	const char	*sev = conn_severity(ev);

	if (conn_is_resolution(ev))
		return "Good";
	if (strcmp(sev, "critical") == 0 || strcmp(sev, "high") == 0)
		return "Attention";
	if (strcmp(sev, "medium") == 0)
		return "Warning";
	return NULL;
}

static const char *
severity_label(const char *sev)
{
	static const char *const names[][2] = { { "critical", "Critical" },
	    { "high", "High" }, { "medium", "Medium" }, { "low", "Low" },
	    { "info", "Info" } };
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(sev, names[i][0]) == 0)
			return names[i][1];
	return "Info";
}

/* Appends {"title": title, "value": <plain value>} to facts. */
static void
fact_add(json_t *facts, const char *title, const char *value)
{
	char	*v;

	if (value == NULL || *value == '\0')
		return;
	v = text_new(value, TEAMS_FACT_CHARS, 0);
	json_array_append_new(facts, json_pack("{s:s,s:s}", "title", title,
	    "value", v));
	free(v);
}

/*
 * The whole message for ev, its description cut to desc_max characters
 * (0: left out).  A new reference.
 */
static json_t *
message_new(const struct conn_event *ev, size_t desc_max)
{
	json_t		*card, *body, *facts, *title_block, *actions;
	const char	*color, *desc, *link;
	char		*title, *text, key[256];

	body = json_array();
	title = text_new(conn_title(ev), TEAMS_TITLE_CHARS, 0);
	title_block = json_pack("{s:s,s:s,s:s,s:s,s:b}", "type", "TextBlock",
	    "text", title, "weight", "Bolder", "size", "Medium", "wrap", 1);
	free(title);
	if ((color = severity_color(ev)) != NULL)
		json_object_set_new(title_block, "color", json_string(color));
	json_array_append_new(body, title_block);

	facts = json_array();
	fact_add(facts, "Severity", severity_label(conn_severity(ev)));
	fact_add(facts, "Object", conn_object_key(ev, key, sizeof(key)));
	fact_add(facts, "Event", ev->event_type);
	fact_add(facts, "Time", conn_timestamp(ev));
	json_array_append_new(body, json_pack("{s:s,s:o}", "type", "FactSet",
	    "facts", facts));

	if ((desc = description(ev)) != NULL && desc_max > 0) {
		text = text_new(desc, desc_max, 1);
		json_array_append_new(body, json_pack("{s:s,s:s,s:b}", "type",
		    "TextBlock", "text", text, "wrap", 1));
		free(text);
	}

	card = json_pack("{s:s,s:s,s:s,s:o,s:{s:s}}", "$schema",
	    "http://adaptivecards.io/schemas/adaptive-card.json", "type",
	    "AdaptiveCard", "version", "1.4", "body", body, "msteams",
	    "width", "Full");
	/* conn_link: http(s), checked for characters that break out. */
	if ((link = conn_link(ev)) != NULL) {
		actions = json_pack("[{s:s,s:s,s:s}]", "type", "Action.OpenUrl",
		    "title", "Open", "url", link);
		json_object_set_new(card, "actions", actions);
	}
	return json_pack("{s:s,s:[{s:s,s:n,s:o}]}", "type", "message",
	    "attachments", "contentType",
	    "application/vnd.microsoft.card.adaptive", "contentUrl",
	    "content", card);
}

static int
render(const struct conn_event *ev, struct conn_request *out, char *err,
    size_t errsz)
{
	const char	*url, *desc;
	json_t		*msg;
	size_t		 desc_max = TEAMS_DESC_CHARS, len, chars, step;
	char		*body;

	if ((url = conn_config_str(ev, "webhook_url")) == NULL) {
		errf(err, errsz, "the integration has no webhook_url");
		return -1;
	}
	desc = description(ev);
	for (;;) {
		if ((msg = message_new(ev, desc_max)) == NULL ||
		    (body = json_dumps(msg, JSON_COMPACT)) == NULL) {
			json_decref(msg);
			errf(err, errsz, "the card cannot be written as JSON");
			return -1;
		}
		json_decref(msg);
		if ((len = strlen(body)) <= TEAMS_BODY_MAX)
			break;
		free(body);
		/*
		 * Too big: only the description can be (every other text
		 * is capped well below the budget).  A character is 1 to
		 * 4 bytes of JSON here (UTF-8; '"' and '\\' escaped), so
		 * cutting a quarter of the excess in characters never
		 * cuts more than needed, and a few rounds make it fit.
		 */
		if (desc == NULL || desc_max == 0) {
			errf(err, errsz, "the card is larger than %d bytes",
			    TEAMS_BODY_MAX);
			return -1;
		}
		chars = utf8_chars(desc);
		if (chars > desc_max)
			chars = desc_max;
		step = (len - TEAMS_BODY_MAX) / 4 + 1;
		desc_max = chars > step ? chars - step : 0;
		if (desc_max < TEAMS_DESC_MIN_CHARS)
			desc_max = 0;
	}
	out->body = body;
	out->bodylen = len;
	out->url = xstrdup(url);
	out->headers = conn_header_add(out->headers, "Content-Type",
	    "application/json");
	return 0;
}

/* Cuts every occurrence of the n bytes at secret out of s ("…"). */
static void
redact(char *s, const char *secret, size_t n)
{
	char	*p;

	if (secret == NULL || n < 8)
		return;	/* not a secret worth the name; never widens s */
	while ((p = memmem(s, strlen(s), secret, n)) != NULL) {
		memcpy(p, "\xe2\x80\xa6", 3);
		memmove(p + 3, p + n, strlen(p + n) + 1);
	}
}

/*
 * What the service said: Logic Apps' error object ({"error": {"code",
 * "message"}}) as "code: message", else the body.  A new string, or NULL
 * when the body is empty.
 */
static char *
answer_text_new(const struct conn_answer *a)
{
	json_t		*j, *e;
	const char	*code, *msg;
	char		*s;

	if (a->body == NULL || a->bodylen == 0)
		return NULL;
	j = json_loadb(a->body, a->bodylen, 0, NULL);
	e = json_object_get(j, "error");
	code = json_string_value(json_object_get(e, "code"));
	msg = json_string_value(json_object_get(e, "message"));
	if (code != NULL || msg != NULL)
		s = xasprintf("%s%s%s", code != NULL ? code : "",
		    code != NULL && msg != NULL ? ": " : "",
		    msg != NULL ? msg : "");
	else
		s = xstrndup(a->body, a->bodylen);
	json_decref(j);
	return s;
}

static void
classify(const struct conn_event *ev, const struct conn_answer *a,
    struct conn_result *res)
{
	const char	*url, *sig;
	char		*said, *why, *cut, *c;
	size_t		 n = 0;

	conn_classify_vendor(ev, a, res);
	if (res->outcome == CONN_DELIVERED || res->outcome == CONN_ASYNC) {
		res->outcome = CONN_DELIVERED;	/* no callbacks here */
		return;
	}
	if (a->error != NULL)
		why = xstrdup(a->error);
	else if ((said = answer_text_new(a)) != NULL) {
		why = xasprintf("HTTP %ld: %s", a->status, said);
		free(said);
	} else
		why = xasprintf("HTTP %ld", a->status);
	/*
	 * The reason is logged and shown: never with the credential, cut
	 * out before the reason is shortened (which could leave a part).
	 */
	url = conn_config_str(ev, "webhook_url");
	if (url != NULL)
		redact(why, url, strlen(url));
	if ((sig = url_sig(url, &n)) != NULL)
		redact(why, sig, n);
	for (c = why; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	/* As many whole characters as res->reason holds. */
	for (n = sizeof(res->reason) - 1; ; n -= n / 8 + 1) {
		cut = conn_truncate_new(why, n);
		if (strlen(cut) < sizeof(res->reason))
			break;
		free(cut);
	}
	snprintf(res->reason, sizeof(res->reason), "%s", cut);
	free(cut);
	free(why);
}

const struct connector connector_teams = {
	.type = "teams",
	.title = "Microsoft Teams",
	.fields = fields,
	.nfields = sizeof(fields) / sizeof(fields[0]),
	.secrets = secrets,
	.url_key = "webhook_url",
	.check = check,
	.render = render,
	.classify = classify,
};
