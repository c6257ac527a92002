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

/* For people (GET /api/integrations/types). */
static const struct conn_setting_doc docs[] = {
	{ "webhook_url", "Workflows webhook URL", "The URL of a Teams "
	    "Workflows \"When a Teams webhook request is received\" flow, "
	    "with its sig.", NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

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
 * Appends s as text Teams shows as written (see the top of this file):
 * the Markdown-special characters, a '#' opening a line and the ':' of a
 * "://" in their fullwidth forms; control characters as spaces, except
 * line breaks when multiline, which become one empty line each.  Within
 * a line, one character in, one out, so a length in characters holds.
 */
static void
md_plain_put(struct buf *b, const char *s, int multiline)
{
	const unsigned char	*p = (const unsigned char *)s, *run = p;
	int			 line_start = 1;
	size_t			 i;

	for (i = 0; p[i] != '\0'; i++) {
		if ((p[i] == '\n' || p[i] == '\r') && multiline) {
			buf_append(b, run, (size_t)(p + i - run));
			/* A line break in a TextBlock takes an empty line
			 * (Markdown; microsoft/AdaptiveCards#5538). */
			while (p[i + 1] == '\n' || p[i + 1] == '\r')
				i++;
			buf_append(b, "\n\n", 2);
			line_start = 1;
			run = p + i + 1;
			continue;
		}
		if (p[i] < 0x20 || p[i] == 0x7f) {
			buf_append(b, run, (size_t)(p + i - run));
			buf_append(b, " ", 1);
			run = p + i + 1;
		} else if (md_special(p[i]) || (p[i] == '#' && line_start) ||
		    (p[i] == ':' && p[i + 1] == '/' && p[i + 2] == '/')) {
			buf_append(b, run, (size_t)(p + i - run));
			put_fullwidth(b, p[i]);
			run = p + i + 1;
		}
		if (p[i] != ' ' && p[i] != '\t')
			line_start = 0;
	}
	buf_append(b, run, (size_t)(p + i - run));
}

/*
 * The message is written as JSON text straight away, not built as a json_t
 * and dumped: the worker renders every delivery, and the objects cost
 * more than the rest of its work (conn_json_esc writes the same text
 * json_dumps would).
 */
struct card {
	struct buf	 body;		/* the JSON written so far */
	struct buf	 text;		/* one text, before its JSON escaping */
	int		 bad;		/* a text was not UTF-8 */
};

#define PUT(b, lit)	buf_append((b), (lit), sizeof(lit) - 1)

/* Appends the n bytes at s to the body as JSON string text (no quotes). */
static void
json_put(struct card *c, const char *s, size_t n)
{
	if (n > 0 && conn_json_esc(&c->body, s, n) == -1)
		c->bad = 1;
}

/*
 * Appends event text cut to max characters, then made plain, as JSON
 * string text.  A text of at most max bytes has at most max characters:
 * nothing to cut.
 */
static void
text_put(struct card *c, const char *s, size_t max, int multiline)
{
	char	*cut = NULL;

	if (strlen(s) > max)
		s = cut = conn_truncate_new(s, max);
	c->text.len = 0;
	md_plain_put(&c->text, s, multiline);
	json_put(c, c->text.data, c->text.len);
	free(cut);
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

/*
 * Appends {"title": title, "value": <plain value>} to the facts (*n
 * written so far), unless value is empty.
 */
static void
fact_put(struct card *c, size_t *n, const char *title, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	if ((*n)++ > 0)
		PUT(&c->body, ",");
	PUT(&c->body, "{\"title\":\"");
	json_put(c, title, strlen(title));
	PUT(&c->body, "\",\"value\":\"");
	text_put(c, value, TEAMS_FACT_CHARS, 0);
	PUT(&c->body, "\"}");
}

/*
 * Writes the whole message for ev into c, its description cut to
 * desc_max characters (0: left out).
 */
static void
message_put(const struct conn_event *ev, struct card *c, size_t desc_max)
{
	const char	*color, *desc, *link;
	char		 key[256];
	size_t		 nfacts = 0;

	PUT(&c->body, "{\"type\":\"message\",\"attachments\":[{"
	    "\"contentType\":\"application/vnd.microsoft.card.adaptive\","
	    "\"contentUrl\":null,\"content\":{"
	    "\"$schema\":"
	    "\"http://adaptivecards.io/schemas/adaptive-card.json\","
	    "\"type\":\"AdaptiveCard\",\"version\":\"1.4\",\"body\":["
	    "{\"type\":\"TextBlock\",\"text\":\"");
	text_put(c, conn_title(ev), TEAMS_TITLE_CHARS, 0);
	PUT(&c->body, "\",\"weight\":\"Bolder\",\"size\":\"Medium\","
	    "\"wrap\":true");
	if ((color = severity_color(ev)) != NULL) {
		PUT(&c->body, ",\"color\":\"");
		json_put(c, color, strlen(color));
		PUT(&c->body, "\"");
	}
	PUT(&c->body, "},{\"type\":\"FactSet\",\"facts\":[");
	fact_put(c, &nfacts, "Severity", severity_label(conn_severity(ev)));
	fact_put(c, &nfacts, "Object", conn_object_key(ev, key,
	    sizeof(key)));
	fact_put(c, &nfacts, "Event", ev->event_type);
	fact_put(c, &nfacts, "Time", conn_timestamp(ev));
	PUT(&c->body, "]}");

	if ((desc = description(ev)) != NULL && desc_max > 0) {
		PUT(&c->body, ",{\"type\":\"TextBlock\",\"text\":\"");
		text_put(c, desc, desc_max, 1);
		PUT(&c->body, "\",\"wrap\":true}");
	}
	PUT(&c->body, "],\"msteams\":{\"width\":\"Full\"}");

	/* conn_link: http(s), checked for characters that break out. */
	if ((link = conn_link(ev)) != NULL) {
		PUT(&c->body, ",\"actions\":[{\"type\":\"Action.OpenUrl\","
		    "\"title\":\"Open\",\"url\":\"");
		json_put(c, link, strlen(link));
		PUT(&c->body, "\"}]");
	}
	PUT(&c->body, "}}]}");
}

static int
render(const struct conn_event *ev, struct conn_request *out, char *err,
    size_t errsz)
{
	const char	*url, *desc;
	struct card	 c;
	size_t		 desc_max = TEAMS_DESC_CHARS, chars, step;
	int		 rc = -1;

	memset(&c, 0, sizeof(c));
	if ((url = conn_config_str(ev, "webhook_url")) == NULL) {
		errf(err, errsz, "the integration has no webhook_url");
		goto out;
	}
	c.body.cap = 2048;
	c.body.data = xmalloc(c.body.cap);
	desc = description(ev);
	for (;;) {
		c.body.len = 0;
		message_put(ev, &c, desc_max);
		if (c.bad) {
			errf(err, errsz, "the card cannot be written as JSON");
			goto out;
		}
		if (c.body.len <= TEAMS_BODY_MAX)
			break;
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
			goto out;
		}
		chars = utf8_chars(desc);
		if (chars > desc_max)
			chars = desc_max;
		step = (c.body.len - TEAMS_BODY_MAX) / 4 + 1;
		desc_max = chars > step ? chars - step : 0;
		if (desc_max < TEAMS_DESC_MIN_CHARS)
			desc_max = 0;
	}
	out->body = c.body.data;
	out->bodylen = c.body.len;
	c.body.data = NULL;
	out->url = xstrdup(url);
	out->headers = conn_header_add(out->headers, "Content-Type",
	    "application/json");
	rc = 0;
out:
	buf_free(&c.body);
	buf_free(&c.text);
	return rc;
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
	.docs = docs,
	.url_key = "webhook_url",
	.check = check,
	.render = render,
	.classify = classify,
};
