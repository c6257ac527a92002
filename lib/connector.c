/*
 * connector: the table of connectors, and what they share (connector.h).
 * A connector is a file lib/connector_<type>.c defining one struct
 * connector, and a row below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "connector.h"
#include "crypt.h"
#include "urlguard.h"
#include "util.h"

extern const struct connector connector_email;
extern const struct connector connector_hookpost;
extern const struct connector connector_jira;
extern const struct connector connector_pagerduty;
extern const struct connector connector_servicenow;
extern const struct connector connector_slack;
extern const struct connector connector_teams;
extern const struct connector connector_webhook;

/* One row per connector (ARCHITECTURE.md §6.4). */
const struct connector *const connectors[] = {
	&connector_hookpost,	/* seed 000 subscriptions */
	&connector_webhook,	/* seed 003 custom webhooks */
	&connector_slack,	/* seed 003 Slack */
	&connector_pagerduty,	/* seed 003 PagerDuty (Events API v2) */
	&connector_teams,	/* seed 003 Microsoft Teams (Workflows) */
	&connector_jira,	/* seed 003 Jira (issue 10: tickets) */
	&connector_servicenow,	/* seed 003 ServiceNow (Table API) */
	&connector_email,	/* seed 003 email (SMTP) */
	NULL
};

/* seed 003's severities, most severe first (conn_severity). */
const char *const conn_severities[] = { "critical", "high", "medium", "low",
    "info", NULL };

const struct connector *
connector_find(const char *type)
{
	size_t	 i;

	if (type == NULL)
		return NULL;
	for (i = 0; connectors[i] != NULL; i++)
		if (strcmp(connectors[i]->type, type) == 0)
			return connectors[i];
	return NULL;
}

int
connector_is_secret(const struct connector *c, const char *key)
{
	size_t	 i;

	for (i = 0; c->secrets != NULL && c->secrets[i] != NULL; i++)
		if (strcmp(c->secrets[i], key) == 0)
			return 1;
	return 0;
}

/* A vfield's type as the types route names it. */
static const char *
vtype_name(enum vtype t)
{
	switch (t) {
	case V_STRING:
	case V_NAME:
		return "string";
	case V_BOOL:
		return "boolean";
	case V_INT:
		return "integer";
	case V_ENUM:
		return "enum";
	case V_OBJECT:
		return "object";
	case V_ARRAY:
		return "array";
	case V_ANY:
		break;
	}
	return "any";
}

static const struct conn_setting_doc *
setting_doc(const struct connector *c, const char *name)
{
	const struct conn_setting_doc	*d;

	for (d = c->docs; d != NULL && d->name != NULL; d++)
		if (strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

/* A string member, or null. */
static json_t *
str_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

/* Appends v to a (which takes it): 0, or -1. */
static int
append_new(json_t *a, json_t *v)
{
	return v == NULL ? -1 : json_array_append_new(a, v);
}

/* Sets key of o to v (which o takes): 0, or -1. */
static int
set_new(json_t *o, const char *key, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(o, key, v);
}

/* One setting of c as the types route shows it, or NULL. */
static json_t *
setting_new(const struct connector *c, const struct vfield *f)
{
	const struct conn_setting_doc	*d;
	json_t				*s, *e = NULL, *dv = NULL;
	size_t				 k;

	if (f->name == NULL)
		return NULL;
	d = setting_doc(c, f->name);
	if (d != NULL && d->defval != NULL &&
	    (dv = json_loads(d->defval, JSON_DECODE_ANY, NULL)) == NULL)
		return NULL;
	if (f->type == V_ENUM) {
		if ((e = json_array()) == NULL)
			goto fail;
		for (k = 0; f->enums != NULL && f->enums[k] != NULL; k++)
			if (append_new(e, json_string(f->enums[k])) == -1)
				goto fail;
	}
	/* "o" takes each value's reference, on failure too. */
	s = json_pack("{s:s,s:s,s:b,s:b,s:b,s:o,s:s,s:o,s:o,s:o,s:o}",
	    "name", f->name, "type", vtype_name(f->type),
	    "required", f->required, "nullable", f->nullable,
	    "secret", connector_is_secret(c, f->name),
	    "enum", e != NULL ? e : json_null(),
	    "label", d != NULL && d->label != NULL ? d->label : f->name,
	    "hint", str_or_null(d != NULL ? d->hint : NULL),
	    "default", dv != NULL ? dv : json_null(),
	    "group", str_or_null(d != NULL ? d->group : NULL),
	    "widget", str_or_null(d != NULL ? d->widget : NULL));
	if (s == NULL)
		return NULL;
	if ((f->type == V_STRING || f->type == V_INT ||
	    f->type == V_ARRAY) && (set_new(s, "min",
	    json_integer(f->min)) == -1 || set_new(s, "max",
	    json_integer(f->max)) == -1)) {
		json_decref(s);
		return NULL;
	}
	return s;
fail:
	json_decref(e);
	json_decref(dv);
	return NULL;
}

json_t *
connector_describe_new(const struct connector *c)
{
	const struct conn_test_step	*ts;
	const struct conn_group		*g;
	json_t				*out, *settings, *steps, *groups;
	size_t				 i;

	if ((out = json_pack("{s:s,s:s,s:b,s:[],s:[],s:n}", "type",
	    c->type, "title", c->title, "tickets", c->tickets, "settings",
	    "groups", "test_steps")) == NULL)
		return NULL;
	settings = json_object_get(out, "settings");
	groups = json_object_get(out, "groups");
	for (g = c->groups; g != NULL && g->name != NULL; g++)
		if (append_new(groups, json_pack("{s:s,s:s,s:o}", "name",
		    g->name, "title", g->title != NULL ? g->title : g->name,
		    "hint", str_or_null(g->hint))) == -1)
			goto fail;
	if (c->test_steps != NULL) {
		if ((steps = json_array()) == NULL ||
		    json_object_set_new(out, "test_steps", steps) == -1)
			goto fail;
		for (ts = c->test_steps; ts->name != NULL; ts++)
			if (append_new(steps, json_pack("{s:s,s:o}", "name",
			    ts->name, "group", str_or_null(ts->group))) == -1)
				goto fail;
	}
	for (i = 0; i < c->nfields; i++)
		if (append_new(settings, setting_new(c,
		    &c->fields[i])) == -1)
			goto fail;
	if (c->describe != NULL && c->describe(settings) == -1)
		goto fail;
	return out;
fail:
	json_decref(out);
	return NULL;
}

const char *
connector_failed_step(const struct connector *c,
    const struct conn_result *res)
{
	int	 i;

	if (c->test_steps == NULL || res->step <= 0 ||
	    (res->outcome != CONN_FAILED && res->outcome != CONN_GONE))
		return NULL;
	for (i = 0; c->test_steps[i].name != NULL; i++)
		if (i == res->step - 1)
			return c->test_steps[i].name;
	return NULL;
}

void
conn_request_free(struct conn_request *rq)
{
	free(rq->method);
	free(rq->url);
	curl_slist_free_all(rq->headers);
	if (rq->body != NULL) {
		explicit_bzero(rq->body, rq->bodylen);
		free(rq->body);
	}
	free(rq->mail_from);
	curl_slist_free_all(rq->mail_rcpt);
	free(rq->username);
	if (rq->password != NULL) {
		explicit_bzero(rq->password, strlen(rq->password));
		free(rq->password);
	}
	memset(rq, 0, sizeof(*rq));
}

struct curl_slist *
conn_header_add(struct curl_slist *l, const char *name, const char *value)
{
	char	*h;

	h = xasprintf("%s: %s", name, value);
	l = curl_slist_append(l, h);
	explicit_bzero(h, strlen(h));	/* a custom header may be a credential */
	free(h);
	return l;
}

int
conn_sign(struct conn_request *out, struct sig_request *rq,
    enum sig_scheme scheme, char *err, size_t errsz)
{
	struct sig_headers	 sh;
	size_t			 i;
	int			 rc;

	rq->scheme = scheme;
	if ((rc = sig_sign(rq, &sh)) == 0)
		for (i = 0; i < sh.n; i++)
			out->headers = conn_header_add(out->headers,
			    sh.h[i].name, sh.h[i].value);
	else
		errf(err, errsz, "the secret cannot sign");
	sig_headers_free(&sh);
	return rc;
}

/* --- outcomes ----------------------------------------------------------- */

static void
classify(const struct conn_answer *a, struct conn_result *res, int vendor)
{
	memset(res, 0, sizeof(*res));
	res->delay = -1;
	if (a->error != NULL) {
		res->outcome = CONN_RETRY;
		snprintf(res->reason, sizeof(res->reason), "%s", a->error);
		return;
	}
	if (a->status >= 200 && a->status <= 299) {
		res->outcome = a->async ? CONN_ASYNC : CONN_DELIVERED;
		return;
	}
	snprintf(res->reason, sizeof(res->reason), "HTTP %ld", a->status);
	if (a->status == 410) {
		res->outcome = CONN_GONE;
		return;
	}
	res->outcome = CONN_RETRY;
	if ((a->status == 429 || a->status == 503) && a->retry_after >= 0)
		res->delay = a->retry_after < 1 ? 1 : a->retry_after > 3600 ?
		    3600 : a->retry_after;
	else if (vendor && a->status >= 400 && a->status <= 499 &&
	    a->status != 408 && a->status != 429)
		res->outcome = CONN_FAILED;
}

void
conn_classify_http(const struct conn_event *ev, const struct conn_answer *a,
    struct conn_result *res)
{
	(void)ev;
	classify(a, res, 0);
}

void
conn_classify_vendor(const struct conn_event *ev, const struct conn_answer *a,
    struct conn_result *res)
{
	(void)ev;
	classify(a, res, 1);
}

/* --- the event, as connectors read it ----------------------------------- */

const json_t *
conn_data(const struct conn_event *ev)
{
	static json_t	*empty;
	const json_t	*d;

	d = json_object_get(ev->event, "data");
	if (json_is_object(d))
		return d;
	if (empty == NULL)
		empty = json_object();
	return empty;
}

static const char *
data_str(const struct conn_event *ev, const char *key)
{
	const char	*s;

	s = json_string_value(json_object_get(conn_data(ev), key));
	return s != NULL && *s != '\0' ? s : NULL;
}

const char *
conn_severity(const struct conn_event *ev)
{
	const char	*s;
	size_t		 i;

	if ((s = data_str(ev, "severity")) != NULL)
		for (i = 0; conn_severities[i] != NULL; i++)
			if (strcasecmp(s, conn_severities[i]) == 0)
				return conn_severities[i];
	return "info";
}

const char *
conn_title(const struct conn_event *ev)
{
	const char	*s;

	return (s = data_str(ev, "title")) != NULL ? s : ev->event_type;
}

const char *
conn_timestamp(const struct conn_event *ev)
{
	const char	*s;

	s = json_string_value(json_object_get(ev->event, "timestamp"));
	return s != NULL ? s : "";
}

/* A string or integer member as text into buf, or NULL. */
static const char *
id_text(const json_t *v, char *buf, size_t bufsz)
{
	if (json_is_string(v) && json_string_length(v) > 0 &&
	    json_string_length(v) < bufsz) {
		snprintf(buf, bufsz, "%s", json_string_value(v));
		return buf;
	}
	if (json_is_integer(v)) {
		snprintf(buf, bufsz, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return buf;
	}
	return NULL;
}

const char *
conn_object_key(const struct conn_event *ev, char *buf, size_t bufsz)
{
	const char	*ot, *dot;
	char		 res[64], key[96], id[160];

	if (ev->object_key != NULL && *ev->object_key != '\0') {
		snprintf(buf, bufsz, "%s", ev->object_key);
		return buf;
	}
	ot = json_string_value(json_object_get(ev->event, "object_type"));
	if (ot != NULL && *ot != '\0' && strlen(ot) < sizeof(res) &&
	    id_text(json_object_get(ev->event, "object_id"), id,
	    sizeof(id)) != NULL) {
		snprintf(buf, bufsz, "%s/%s", ot, id);
		return buf;
	}
	dot = strchr(ev->event_type, '.');
	snprintf(res, sizeof(res), "%.*s", dot != NULL ?
	    (int)(dot - ev->event_type) : (int)strlen(ev->event_type),
	    ev->event_type);
	snprintf(key, sizeof(key), "%s_id", res);
	if (id_text(json_object_get(conn_data(ev), "id"), id,
	    sizeof(id)) != NULL || id_text(json_object_get(conn_data(ev),
	    key), id, sizeof(id)) != NULL)
		snprintf(buf, bufsz, "%s/%s", res, id);
	else
		snprintf(buf, bufsz, "event/%s", ev->event_id != NULL ?
		    ev->event_id : ev->delivery_id);
	return buf;
}

const char *
conn_link(const struct conn_event *ev)
{
	const char	*link, *s;

	if ((link = data_str(ev, "url")) == NULL)
		link = data_str(ev, "link");
	if (link == NULL || strlen(link) > 2048 ||
	    (strncasecmp(link, "https://", 8) != 0 &&
	    strncasecmp(link, "http://", 7) != 0))
		return NULL;
	for (s = link; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f || *s == '<' ||
		    *s == '>' || *s == '|' || *s == '"')
			return NULL;	/* would break out of a link's syntax */
	return link;
}

int
conn_is_resolution(const struct conn_event *ev)
{
	size_t		 n = strlen(ev->event_type);
	const char	*st;

	if (n > 9 && strcmp(ev->event_type + n - 9, ".resolved") == 0)
		return 1;
	st = data_str(ev, "status");
	return st != NULL && (strcasecmp(st, "resolved") == 0 ||
	    strcasecmp(st, "closed") == 0);
}

const char *
conn_config_str(const struct conn_event *ev, const char *key)
{
	const char	*s;

	s = json_string_value(json_object_get(ev->config, key));
	return s != NULL && *s != '\0' ? s : NULL;
}

/*
 * The length of the well-formed UTF-8 sequence at p (before end), or 0:
 * jansson's rules (utf.c), no overlong forms, surrogates or code points
 * past U+10FFFF.
 */
static size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned int	 cp;
	size_t		 n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
	} else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000))
		return 0;
	return n;
}

int
conn_json_esc(struct buf *b, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p = (const unsigned char *)s, *end = p + n;
	const unsigned char	*run = p;
	char			 u[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t			 k;

	while (p < end) {
		if (*p >= 0x80) {
			if ((k = utf8_seq(p, end)) == 0)
				return -1;
			p += k;
			continue;
		}
		if (*p >= 0x20 && *p != '"' && *p != '\\') {
			p++;
			continue;
		}
		buf_append(b, run, (size_t)(p - run));
		switch (*p) {
		case '"':
			buf_append(b, "\\\"", 2);
			break;
		case '\\':
			buf_append(b, "\\\\", 2);
			break;
		case '\b':
			buf_append(b, "\\b", 2);
			break;
		case '\f':
			buf_append(b, "\\f", 2);
			break;
		case '\n':
			buf_append(b, "\\n", 2);
			break;
		case '\r':
			buf_append(b, "\\r", 2);
			break;
		case '\t':
			buf_append(b, "\\t", 2);
			break;
		default:
			u[4] = hex[*p >> 4];
			u[5] = hex[*p & 0xf];
			buf_append(b, u, sizeof(u));
			break;
		}
		run = ++p;
	}
	buf_append(b, run, (size_t)(p - run));
	return 0;
}

char *
conn_truncate_new(const char *s, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 chars = 0, i;
	char			*out;

	if (max == 0)
		return xstrdup("");
	if (utf8_chars(s) <= max)
		return xstrdup(s);
	/* max - 1 characters, then the ellipsis. */
	for (i = 0; p[i] != '\0'; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			if (chars == max - 1)
				break;
			chars++;
		}
	}
	out = xmalloc(i + 4);
	memcpy(out, s, i);
	memcpy(out + i, "\xe2\x80\xa6", 4);
	return out;
}

/* --- settings ----------------------------------------------------------- */

json_t *
conn_config_open_new(const char *config, const char *secret_enc)
{
	json_t	*c, *s;
	char	*plain;

	c = config != NULL ? json_loads(config, 0, NULL) : NULL;
	if (!json_is_object(c)) {
		json_decref(c);
		c = json_object();
	}
	if (secret_enc == NULL || *secret_enc == '\0')
		return c;
	if ((plain = crypt_secret_open(secret_enc)) == NULL) {
		json_decref(c);
		return NULL;
	}
	s = json_loads(plain, 0, NULL);
	crypt_secret_free(plain);
	if (!json_is_object(s)) {
		json_decref(s);
		json_decref(c);
		return NULL;
	}
	json_object_update(c, s);
	json_decref(s);
	return c;
}

static void
wipe(json_t *j)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	if (json_is_string(j))
		explicit_bzero((char *)json_string_value(j),
		    json_string_length(j));
	else if (json_is_object(j))
		json_object_foreach(j, k, v)
			wipe(v);
	else if (json_is_array(j))
		json_array_foreach(j, i, v)
			wipe(v);
}

void
conn_config_free(json_t *config)
{
	if (config == NULL)
		return;
	if (config->refcount == 1)
		wipe(config);
	json_decref(config);
}

#define REDACTED	"[redacted]"
#define REDACT_MIN	6

/* Replaces every occurrence of secret in *s (a new string each time). */
static void
redact_one(char **s, const char *secret)
{
	struct buf	 b = { 0 };
	const char	*p, *hit;
	size_t		 n = strlen(secret);

	if (n < REDACT_MIN || strstr(*s, secret) == NULL)
		return;
	for (p = *s; (hit = strstr(p, secret)) != NULL; p = hit + n) {
		buf_append(&b, p, (size_t)(hit - p));
		buf_append(&b, REDACTED, sizeof(REDACTED) - 1);
	}
	buf_append(&b, p, strlen(p) + 1);
	explicit_bzero(*s, strlen(*s));
	free(*s);
	*s = b.data;
}

char *
conn_redact_new(const struct connector *c, const json_t *config,
    const char *s)
{
	const char	*k;
	json_t		*v, *e;
	char		*out = xstrdup(s);
	size_t		 i;

	for (i = 0; c != NULL && c->secrets != NULL && c->secrets[i] != NULL;
	    i++) {
		v = json_object_get(config, c->secrets[i]);
		if (json_is_string(v))
			redact_one(&out, json_string_value(v));
		else if (json_is_object(v))
			json_object_foreach(v, k, e)
				if (json_is_string(e))
					redact_one(&out, json_string_value(e));
	}
	return out;
}

/* --- transfers ---------------------------------------------------------- */

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct conn_transfer	*t = arg;
	size_t			 len = size * n, room;

	/* Keep the first bytes; read (and drop) the rest. */
	room = t->resp.len < CONN_BODY_KEEP ? CONN_BODY_KEEP - t->resp.len : 0;
	if (room > 0)
		buf_append(&t->resp, data, len < room ? len : room);
	return len;
}

/* Counts each request written on a connection, a re-send too. */
static int
on_request(void *arg, char *ip, char *local_ip, int port, int local_port)
{
	struct conn_transfer	*t = arg;

	(void)ip;
	(void)local_ip;
	(void)port;
	(void)local_port;
	t->requests++;
	return CURL_PREREQFUNC_OK;
}

size_t
conn_transfer_header(char *data, size_t size, size_t n, void *arg)
{
	struct conn_transfer	*t = arg;
	size_t			 len = size * n;
	char			 line[256], *v, *e;
	long long		 secs;
	time_t			 when;

	if (len >= sizeof(line))
		return len;
	memcpy(line, data, len);
	line[len] = '\0';
	if ((v = strchr(line, ':')) == NULL)
		return len;
	*v++ = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	for (e = v + strlen(v); e > v && (e[-1] == '\r' || e[-1] == '\n' ||
	    e[-1] == ' '); e--)
		*(e - 1) = '\0';
	if (strcasecmp(line, "Retry-After") == 0) {
		/* RFC 9110 10.2.3: delay-seconds or an HTTP-date. */
		if (parse_int(v, 0, 1LL << 31, &secs) == 0)
			t->retry_after = (long)secs;
		else if ((when = curl_getdate(v, NULL)) != -1)
			t->retry_after = (long)(when - time(NULL));
	} else if ((strcasecmp(line, "X-Webhook-Callback") == 0 ||
	    strcasecmp(line, "X-TMI-Callback") == 0) &&
	    strcasecmp(v, "async") == 0)
		t->async = 1;
	return len;
}

/* CURLOPT_READFUNCTION of an SMTP transfer: the message, in pieces. */
static size_t
on_read(char *dst, size_t size, size_t n, void *arg)
{
	struct conn_transfer	*t = arg;
	size_t			 len = size * n;

	if (len > t->rq.bodylen - t->uploaded)
		len = t->rq.bodylen - t->uploaded;
	memcpy(dst, t->rq.body + t->uploaded, len);
	t->uploaded += len;
	return len;
}

#define SMTP_REPLY_KEEP	1024	/* bytes of one reply kept */

/*
 * CURLOPT_HEADERFUNCTION of an SMTP transfer: libcurl hands each reply
 * line of the server here ("250-..." goes on, "250 ..." ends a reply,
 * RFC 5321 4.2.1).  The last two replies are kept, lines joined by
 * "\n": the one that decided the transfer may be followed by QUIT's.
 */
static size_t
on_reply(char *data, size_t size, size_t n, void *arg)
{
	struct conn_transfer	*t = arg;
	struct buf		 swap;
	size_t			 len = size * n, line = len;

	while (line > 0 && (data[line - 1] == '\r' || data[line - 1] == '\n'))
		line--;
	if (!t->reply_open) {
		swap = t->prev_reply;
		t->prev_reply = t->reply;
		t->reply = swap;
		t->reply.len = 0;
		buf_append(&t->reply, "", 0);
	} else if (t->reply.len < SMTP_REPLY_KEEP)
		buf_append(&t->reply, "\n", 1);
	if (t->reply.len < SMTP_REPLY_KEEP)
		buf_append(&t->reply, data, line < SMTP_REPLY_KEEP -
		    t->reply.len ? line : SMTP_REPLY_KEEP - t->reply.len);
	t->reply_open = line >= 4 && data[3] == '-';
	return len;
}

/* The SMTP part of a transfer (conn_request's mail fields). */
static int
smtp_prepare(struct conn_transfer *t)
{
	CURLcode	 cc;

	/*
	 * RFC 3207: with STARTTLS required libcurl refuses a server that
	 * does not offer it rather than going on in clear (never
	 * opportunistic); on smtps:// TLS comes first anyway.  One
	 * connection per message, closed with QUIT: no session, and no
	 * server's state, is shared between integrations.
	 */
	if ((cc = curl_easy_setopt(t->h, CURLOPT_USE_SSL,
	    t->rq.tls == CONN_TLS_NONE ? (long)CURLUSESSL_NONE :
	    (long)CURLUSESSL_ALL)) != CURLE_OK ||
	    (cc = curl_easy_setopt(t->h, CURLOPT_MAIL_FROM,
	    t->rq.mail_from)) != CURLE_OK ||
	    (cc = curl_easy_setopt(t->h, CURLOPT_MAIL_RCPT,
	    t->rq.mail_rcpt)) != CURLE_OK ||
	    (cc = curl_easy_setopt(t->h, CURLOPT_UPLOAD, 1L)) != CURLE_OK ||
	    (cc = curl_easy_setopt(t->h, CURLOPT_INFILESIZE_LARGE,
	    (curl_off_t)t->rq.bodylen)) != CURLE_OK ||
	    (cc = curl_easy_setopt(t->h, CURLOPT_READFUNCTION, on_read)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(t->h, CURLOPT_READDATA, t)) != CURLE_OK ||
	    (cc = curl_easy_setopt(t->h, CURLOPT_HEADERFUNCTION, on_reply)) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(t->h, CURLOPT_HEADERDATA, t)) != CURLE_OK ||
	    (cc = curl_easy_setopt(t->h, CURLOPT_FORBID_REUSE, 1L)) !=
	    CURLE_OK) {
		snprintf(t->errbuf, sizeof(t->errbuf), "curl: %s",
		    curl_easy_strerror(cc));
		return -1;
	}
	if (t->rq.tls == CONN_TLS_NONE && (t->rq.username != NULL ||
	    t->rq.password != NULL)) {
		snprintf(t->errbuf, sizeof(t->errbuf), "a password is never "
		    "sent without TLS");
		return -1;
	}
	if ((t->rq.username != NULL && (cc = curl_easy_setopt(t->h,
	    CURLOPT_USERNAME, t->rq.username)) != CURLE_OK) ||
	    (t->rq.password != NULL && (cc = curl_easy_setopt(t->h,
	    CURLOPT_PASSWORD, t->rq.password)) != CURLE_OK)) {
		snprintf(t->errbuf, sizeof(t->errbuf), "curl: %s",
		    curl_easy_strerror(cc));
		return -1;
	}
	return 0;
}

int
conn_transfer_prepare(struct conn_transfer *t, const char *url,
    const char *allow_private, long timeout_ms)
{
	char	 ua[64];
	int	 smtp = t->rq.mail_rcpt != NULL;

	t->retry_after = -1;
	if ((t->h = curl_easy_init()) == NULL) {
		snprintf(t->errbuf, sizeof(t->errbuf), "curl_easy_init failed");
		return -1;
	}
	/* SSRF guard: every resolved address checked, connection pinned. */
	if (urlguard_curl_prepare(t->h, url, smtp ? URLGUARD_MAIL : 0,
	    allow_private, &t->pinned, t->errbuf, sizeof(t->errbuf)) == -1)
		return -1;
	curl_easy_setopt(t->h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(t->h, CURLOPT_CONNECTTIMEOUT_MS,
	    timeout_ms < 10000 ? timeout_ms : 10000);
	curl_easy_setopt(t->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(t->h, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(t->h, CURLOPT_PREREQFUNCTION, on_request);
	curl_easy_setopt(t->h, CURLOPT_PREREQDATA, t);
	if (smtp) {
		if (t->rq.tls == CONN_TLS_IMPLICIT &&
		    strncasecmp(url, "smtps://", 8) != 0) {
			snprintf(t->errbuf, sizeof(t->errbuf), "implicit TLS "
			    "needs an smtps:// URL");
			return -1;
		}
		return smtp_prepare(t);
	}
	snprintf(ua, sizeof(ua), "hookpost/%s", HOOKPOST_VERSION);
	t->rq.headers = curl_slist_append(t->rq.headers, "Expect:");
	curl_easy_setopt(t->h, CURLOPT_USERAGENT, ua);
	curl_easy_setopt(t->h, CURLOPT_HTTPHEADER, t->rq.headers);
	if (t->rq.method != NULL && strcmp(t->rq.method, "POST") != 0)
		curl_easy_setopt(t->h, CURLOPT_CUSTOMREQUEST, t->rq.method);
	if (t->rq.body != NULL) {
		curl_easy_setopt(t->h, CURLOPT_POSTFIELDS, t->rq.body);
		curl_easy_setopt(t->h, CURLOPT_POSTFIELDSIZE,
		    (long)t->rq.bodylen);
	} else if (t->rq.method == NULL || strcmp(t->rq.method, "GET") == 0)
		curl_easy_setopt(t->h, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(t->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(t->h, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(t->h, CURLOPT_HEADERFUNCTION,
	    conn_transfer_header);
	curl_easy_setopt(t->h, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(t->h, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)16 * 1024 * 1024);
	return 0;
}

/* 1 when the reply in b has the code code ("451 4.3.0 ..."). */
static int
reply_is(const struct buf *b, long code)
{
	char	 want[8];

	snprintf(want, sizeof(want), "%03ld", code);
	return b->len >= 3 && strncmp(b->data, want, 3) == 0;
}

/*
 * An SMTP transfer's answer: the last reply code (libcurl's, which QUIT
 * does not change) and that reply's text, when the transfer ended well
 * or a reply refused it (4xx, 5xx); else a transport error.
 */
static void
smtp_answer(struct conn_transfer *t, CURLcode cc, struct conn_answer *a)
{
	const struct buf	*r;
	long			 code = 0;

	if (t->h != NULL)
		curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &code);
	if (cc != CURLE_OK && (code < 400 || code > 599)) {
		a->error = t->errbuf[0] != '\0' ? t->errbuf :
		    curl_easy_strerror(cc);
		return;
	}
	a->status = code;
	r = reply_is(&t->reply, code) || !reply_is(&t->prev_reply, code) ?
	    &t->reply : &t->prev_reply;
	t->resp.len = 0;
	if (r->len > 0)
		buf_append(&t->resp, r->data, r->len);
	buf_append(&t->resp, "", 1);	/* NUL-terminated, not counted */
	t->resp.len--;
	utf8_sanitize(t->resp.data, t->resp.len);
	a->body = t->resp.data;
	a->bodylen = t->resp.len;
}

void
conn_transfer_answer(struct conn_transfer *t, CURLcode cc,
    struct conn_answer *a)
{
	memset(a, 0, sizeof(*a));
	a->retry_after = t->retry_after;
	a->async = t->async;
	if (t->rq.mail_rcpt != NULL) {
		smtp_answer(t, cc, a);
		return;
	}
	if (cc != CURLE_OK) {
		a->error = t->errbuf[0] != '\0' ? t->errbuf :
		    curl_easy_strerror(cc);
		return;
	}
	if (t->h != NULL)
		curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &a->status);
	buf_append(&t->resp, "", 1);	/* NUL-terminated, not counted */
	t->resp.len--;
	utf8_sanitize(t->resp.data, t->resp.len);
	a->body = t->resp.data;
	a->bodylen = t->resp.len;
}

void
conn_transfer_free(struct conn_transfer *t)
{
	if (t->h != NULL)
		curl_easy_cleanup(t->h);
	conn_request_free(&t->rq);
	curl_slist_free_all(t->pinned);
	buf_free(&t->resp);
	buf_free(&t->reply);
	buf_free(&t->prev_reply);
	memset(t, 0, sizeof(*t));
}

int
connector_send(const struct connector *c, struct conn_event *ev,
    const char *allow_private, long timeout_ms, struct conn_result *res,
    long *status, double *response_ms)
{
	struct conn_transfer	 t;
	struct conn_answer	 a;
	char			 err[CONN_REASON_MAX];
	double			 t0, left_ms;
	CURLcode		 cc;
	json_t			*own = NULL;
	int			 rc = -1;

	memset(&t, 0, sizeof(t));
	*status = 0;
	*response_ms = 0;
	if (ev->state == NULL)
		ev->state = own = json_object();
	t0 = now_ms();
	for (ev->step = 0; ; ev->step++) {
		memset(res, 0, sizeof(*res));
		res->delay = -1;
		err[0] = '\0';
		if (c->render(ev, &t.rq, err, sizeof(err)) == -1) {
			res->outcome = CONN_RETRY;	/* as the worker counts it */
			snprintf(res->reason, sizeof(res->reason), "%s", err);
			goto out;
		}
		/* timeout_ms bounds the whole attempt, every request of it. */
		left_ms = (double)timeout_ms - (now_ms() - t0);
		if (left_ms < 1.0) {
			res->outcome = CONN_RETRY;
			snprintf(res->reason, sizeof(res->reason), "no answer "
			    "within %ld ms", timeout_ms);
			goto out;
		}
		if (conn_transfer_prepare(&t, t.rq.url != NULL ? t.rq.url :
		    ev->url, allow_private, (long)left_ms) == -1) {
			res->outcome = CONN_RETRY;
			snprintf(res->reason, sizeof(res->reason), "%s",
			    t.errbuf);
			goto out;
		}
		cc = curl_easy_perform(t.h);
		conn_transfer_answer(&t, cc, &a);
		*status = a.status;
		c->classify(ev, &a, res);
		if (res->outcome != CONN_NEXT)
			break;
		conn_transfer_free(&t);
		if (ev->step + 1 >= CONN_STEPS_MAX) {
			res->outcome = CONN_RETRY;
			snprintf(res->reason, sizeof(res->reason), "more than "
			    "%d requests in one attempt", CONN_STEPS_MAX);
			goto out;
		}
	}
	rc = 0;
out:
	*response_ms = now_ms() - t0;
	conn_transfer_free(&t);
	if (own != NULL) {
		json_decref(own);
		ev->state = NULL;
	}
	return rc;
}
