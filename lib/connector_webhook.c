/*
 * connector webhook: seed 003's custom webhooks ("Webhook Payload").  An
 * HTTP POST of {"id", "event", "timestamp", "data"}; X-TW-Event and
 * X-TW-Delivery; X-TW-Signature (sha256=<hex HMAC-SHA256 of the body>)
 * when a secret is set, and the Standard Webhooks headers beside it; the
 * custom headers first, so that none can stand in for ours.  Any failed
 * answer is retried on the integration's schedule (seed 003 "Retry
 * Logic"); 410 Gone disables it, as seed 000's do.  An async answer
 * counts as delivered: nothing calls back for a seed-003 webhook.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "connector.h"
#include "sig.h"
#include "util.h"

#define HEADERS_MAX		20
#define HEADER_NAME_MAX		64
#define HEADER_VALUE_MAX	1024
#define HEADERS_BYTES_MAX	8192

static const struct vfield fields[] = {
	{ "url", V_STRING, 1, 1, 2048, NULL, 0 },
	{ "secret", V_STRING, 0, 8, 512, NULL, 1 },
	{ "headers", V_OBJECT, 0, 0, 0, NULL, 1 },
};

/* The custom headers may carry credentials (Authorization): sealed. */
static const char *const secrets[] = { "secret", "headers", NULL };

/* For people (GET /api/integrations/types). */
static const struct conn_setting_doc docs[] = {
	{ "url", "URL", "Where each event is POSTed (http or https).", NULL,
	    NULL, NULL },
	{ "secret", "Signing secret", "8 to 512 bytes: signs X-TW-Signature "
	    "(HMAC-SHA256 of the body). Recommended.", NULL, NULL, NULL },
	{ "headers", "Custom headers", "Sent with each delivery; values are "
	    "shown only as their last 4 characters.", NULL, NULL, "headers" },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

/*
 * Never a custom header: hop-by-hop headers (RFC 9110 7.6.1), the ones
 * libcurl writes from the request itself, and the signature and event
 * headers this connector writes (any X-TW-*, Standard Webhooks').
 */
static const char *const refused[] = { "connection", "keep-alive",
    "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
    "trailer", "trailers", "transfer-encoding", "upgrade", "host",
    "content-length", "content-type", "content-encoding", "expect",
    "webhook-id", "webhook-timestamp", "webhook-signature", NULL };

static int
header_name_ok(const char *n)
{
	static const char tchar[] = "!#$%&'*+-.^_`|~";
	size_t	 i;

	/* RFC 9110 5.6.2 token */
	for (i = 0; n[i] != '\0'; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' &&
		    n[i] <= 'Z') || (n[i] >= '0' && n[i] <= '9') ||
		    strchr(tchar, n[i]) != NULL))
			return 0;
	return i > 0 && i <= HEADER_NAME_MAX;
}

static int
check(const json_t *config, char *err, size_t errsz)
{
	const json_t	*h, *v;
	const char	*name, *s;
	size_t		 i, total = 0;

	h = json_object_get(config, "headers");
	if (h == NULL || json_is_null(h))
		return 0;
	if (json_object_size(h) > HEADERS_MAX) {
		errf(err, errsz, "'headers' holds at most %d headers",
		    HEADERS_MAX);
		return -1;
	}
	json_object_foreach((json_t *)h, name, v) {
		if (!header_name_ok(name)) {
			errf(err, errsz, "'headers': '%.64s' is not a header "
			    "name (1 to %d token characters)", name,
			    HEADER_NAME_MAX);
			return -1;
		}
		for (i = 0; refused[i] != NULL; i++)
			if (strcasecmp(name, refused[i]) == 0)
				break;
		if (refused[i] != NULL || strncasecmp(name, "x-tw-", 5) == 0) {
			errf(err, errsz, "'headers': '%s' may not be set "
			    "(hop-by-hop, set by the request itself, or one of "
			    "the signature headers)", name);
			return -1;
		}
		if ((s = json_string_value(v)) == NULL ||
		    strlen(s) > HEADER_VALUE_MAX ||
		    strlen(s) != json_string_length(v)) {
			errf(err, errsz, "'headers': the value of '%s' must "
			    "be a string of at most %d bytes, without NUL", name,
			    HEADER_VALUE_MAX);
			return -1;
		}
		for (i = 0; s[i] != '\0'; i++)
			if (((unsigned char)s[i] < 0x20 && s[i] != '\t') ||
			    s[i] == 0x7f) {
				errf(err, errsz, "'headers': the value of '%s' "
				    "holds a control character (CR, LF, ...)",
				    name);
				return -1;
			}
		total += strlen(name) + strlen(s) + 4;
	}
	if (total > HEADERS_BYTES_MAX) {
		errf(err, errsz, "'headers' may hold at most %d bytes",
		    HEADERS_BYTES_MAX);
		return -1;
	}
	return 0;
}

#define PUT(b, lit)	buf_append((b), (lit), sizeof(lit) - 1)

/* json_dump_callback's writer: appends to a struct buf. */
static int
dump_put(const char *s, size_t n, void *arg)
{
	buf_append(arg, s, n);
	return 0;
}

/*
 * The body, written as JSON text straight away (conn_json_esc writes
 * the strings as json_dumps would), the event's data dumped into it:
 * not an object built around the data, then dumped.  0, or -1.
 */
static int
body_put(const struct conn_event *ev, struct buf *b)
{
	const char	*ts = conn_timestamp(ev);

	if (ev->event_type == NULL)
		return -1;
	if (ev->event_id != NULL) {
		PUT(b, "{\"id\":\"");
		if (conn_json_esc(b, ev->event_id, strlen(ev->event_id)) == -1)
			return -1;
		PUT(b, "\"");
	} else
		PUT(b, "{\"id\":null");
	PUT(b, ",\"event\":\"");
	if (conn_json_esc(b, ev->event_type, strlen(ev->event_type)) == -1)
		return -1;
	PUT(b, "\",\"timestamp\":\"");
	if (conn_json_esc(b, ts, strlen(ts)) == -1)
		return -1;
	PUT(b, "\",\"data\":");
	if (json_dump_callback(conn_data(ev), dump_put, b, JSON_COMPACT) == -1)
		return -1;
	PUT(b, "}");
	return 0;
}

static int
render(const struct conn_event *ev, struct conn_request *out, char *err,
    size_t errsz)
{
	struct sig_request	 rq;
	struct buf		 body;
	const json_t		*h, *v;
	const char		*name, *secret;

	body.len = 0;
	body.cap = 1024;
	body.data = xmalloc(body.cap);
	if (body_put(ev, &body) == -1) {
		buf_free(&body);
		errf(err, errsz, "the event cannot be written as JSON");
		return -1;
	}
	out->body = body.data;
	out->bodylen = body.len;
	out->url = xstrdup(conn_config_str(ev, "url") != NULL ?
	    conn_config_str(ev, "url") : ev->url);
	if ((h = json_object_get(ev->config, "headers")) != NULL &&
	    check(ev->config, err, errsz) == -1)
		return -1;	/* checked when written; checked again */
	json_object_foreach((json_t *)h, name, v)
		out->headers = conn_header_add(out->headers, name,
		    json_string_value(v));
	out->headers = conn_header_add(out->headers, "Content-Type",
	    "application/json");
	out->headers = conn_header_add(out->headers, "X-TW-Event",
	    ev->event_type);
	out->headers = conn_header_add(out->headers, "X-TW-Delivery",
	    ev->delivery_id);
	if ((secret = conn_config_str(ev, "secret")) == NULL)
		return 0;
	memset(&rq, 0, sizeof(rq));
	rq.secrets[0] = secret;
	rq.raw_key = 1;
	rq.id = ev->delivery_id;
	rq.ts = ev->ts;
	rq.body = out->body;
	rq.bodylen = out->bodylen;
	if (conn_sign(out, &rq, SIG_TW, err, errsz) == -1 ||
	    conn_sign(out, &rq, SIG_STANDARD, err, errsz) == -1)
		return -1;
	return 0;
}

/*
 * seed 003's webhooks have no completion callback (and, without a
 * subscription secret, no way to sign one): an "async" answer is a
 * delivered one, never a delivery left waiting.
 */
static void
classify(const struct conn_event *ev, const struct conn_answer *a,
    struct conn_result *res)
{
	conn_classify_http(ev, a, res);
	if (res->outcome == CONN_ASYNC)
		res->outcome = CONN_DELIVERED;
}

const struct connector connector_webhook = {
	.type = "webhook",
	.title = "Custom webhook",
	.fields = fields,
	.nfields = sizeof(fields) / sizeof(fields[0]),
	.secrets = secrets,
	.docs = docs,
	.url_key = "url",
	.check = check,
	.render = render,
	.classify = classify,
};
