/*
 * connector pagerduty: seed 003's "On-call escalation for critical
 * vulnerability discoveries", through PagerDuty's Events API v2 (an
 * alert event POSTed to https://events.pagerduty.com/v2/enqueue).
 *
 * One object is one alert: every event of an object carries the same
 * dedup_key ("hookpost/<resource>/<id>"), so PagerDuty groups a finding's
 * events into one incident, and its resolution ("*.resolved", or
 * data.status resolved/closed) resolves it.  A trigger carries the
 * PD-CEF payload (summary, source, severity, timestamp, component,
 * group, class, custom_details), a link to the object when the event has
 * one, and client "hookpost"; a resolve carries only routing_key,
 * event_action and dedup_key, as PagerDuty's example does.
 *
 * The limits are PagerDuty's (developer.pagerduty.com, Events API v2,
 * "Send an Alert Event" and "Overview"): routing_key is the integration's
 * 32-character key; dedup_key at most 255 characters; payload.summary at
 * most 1024 characters; severity one of critical, error, warning, info;
 * a request at most 512 KB.  Answers ("Response Codes & Retry Logic"):
 * 202 accepted, with the dedup_key, kept as the delivery's external_ref;
 * 400 invalid event, not retried (PagerDuty: "Retry? No"), its errors
 * recorded; 429 and 5xx retried, after Retry-After when given, else on
 * the integration's schedule; network errors retried.  Answers PagerDuty
 * does not document follow conn_classify_vendor (another 4xx is not
 * retried, 410 disables the integration); a 2xx without PagerDuty's
 * {"status": "success"} is not PagerDuty (a wrong events_url): failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "connector.h"
#include "util.h"

#define PD_EVENTS_URL		"https://events.pagerduty.com/v2/enqueue"
#define PD_ROUTING_KEY_LEN	32	/* "the 32 character Integration Key" */
#define PD_DEDUP_MAX		255	/* characters */
#define PD_SUMMARY_MAX		1024	/* characters */
/*
 * "Events API payloads are limited to 512 KB": read as 512,000 bytes,
 * the smaller of the two readings.
 */
#define PD_BODY_MAX		512000
/*
 * source, component, group and class have no documented ceiling:
 * hookpost's own, short enough for a hostname or a label.
 */
#define PD_FIELD_MAX		255
#define PD_SOURCE_DEFAULT	"hookpost"
#define PD_CLIENT		"hookpost"
#define PD_DEDUP_PREFIX		"hookpost/"

static const struct vfield fields[] = {
	{ "routing_key", V_STRING, 1, PD_ROUTING_KEY_LEN, PD_ROUTING_KEY_LEN,
	    NULL, 0 },
	{ "events_url", V_STRING, 0, 1, 2048, NULL, 1 },
	{ "source", V_STRING, 0, 1, PD_FIELD_MAX, NULL, 1 },
	{ "component", V_STRING, 0, 1, PD_FIELD_MAX, NULL, 1 },
	{ "group", V_STRING, 0, 1, PD_FIELD_MAX, NULL, 1 },
	{ "class", V_STRING, 0, 1, PD_FIELD_MAX, NULL, 1 },
};

/* The routing key opens the service to anyone holding it: sealed. */
static const char *const secrets[] = { "routing_key", NULL };

/* For people (GET /api/integrations/types). */
static const struct conn_setting_doc docs[] = {
	{ "routing_key", "Routing key", "The 32-character Events API v2 "
	    "integration key of a service.", NULL, NULL, NULL },
	{ "events_url", "Events API URL", NULL, "\"" PD_EVENTS_URL "\"",
	    NULL, NULL },
	{ "source", "Source", NULL, "\"" PD_SOURCE_DEFAULT "\"", NULL, NULL },
	{ "component", "Component", NULL, NULL, NULL, NULL },
	{ "group", "Group", NULL, NULL, NULL, NULL },
	{ "class", "Class", NULL, NULL, NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

/*
 * PagerDuty's integration keys are 32 letters and digits (a service's
 * are hex, a ruleset's start with "R"); anything else would be refused
 * by PagerDuty at every send.
 */
static int
routing_key_ok(const char *k)
{
	size_t	 i;

	for (i = 0; k[i] != '\0'; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' &&
		    k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9')))
			return 0;
	return i == PD_ROUTING_KEY_LEN;
}

static int
check(const json_t *config, char *err, size_t errsz)
{
	const json_t	*k;

	/* Never the key itself in the message: the API answers with it. */
	k = json_object_get(config, "routing_key");
	if (k != NULL && (!json_is_string(k) ||
	    !routing_key_ok(json_string_value(k)))) {
		errf(err, errsz, "'routing_key' must be the integration key: "
		    "%d letters and digits", PD_ROUTING_KEY_LEN);
		return -1;
	}
	return 0;
}

/*
 * seed 003 severities to PagerDuty's (PD-CEF): critical stays critical,
 * high is an error, medium a warning, low and info are info.
 */
static const char *
pd_severity(const char *sev)
{
	static const char *const map[][2] = {
		{ "critical", "critical" }, { "high", "error" },
		{ "medium", "warning" }, { "low", "info" }, { "info", "info" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(sev, map[i][0]) == 0)
			return map[i][1];
	return "info";
}

/*
 * The alert's key for the event's object into buf: "hookpost/" and the
 * object key, or, should that ever pass 255 bytes, "hookpost/sha256:"
 * and its digest (a cut key could fold two objects into one alert).
 */
static const char *
dedup_key(const struct conn_event *ev, char *buf, size_t bufsz)
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];
	char		 obj[512], hex[2 * SHA256_DIGEST_LENGTH + 1];
	size_t		 i;

	conn_object_key(ev, obj, sizeof(obj));
	if (strlen(PD_DEDUP_PREFIX) + strlen(obj) <= PD_DEDUP_MAX) {
		snprintf(buf, bufsz, "%s%s", PD_DEDUP_PREFIX, obj);
		return buf;
	}
	SHA256((const unsigned char *)obj, strlen(obj), md);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	snprintf(buf, bufsz, "%ssha256:%s", PD_DEDUP_PREFIX, hex);
	return buf;
}

/*
 * The summary: the event's title, the affected asset when the event
 * names one (seed 003: "Vulnerability title and affected asset"), and
 * what happened to which object, cut to PagerDuty's 1024 characters.
 */
static char *
summary_new(const struct conn_event *ev, const char *objkey)
{
	const char	*asset;
	char		*full, *s;

	asset = json_string_value(json_object_get(conn_data(ev), "asset"));
	if (asset != NULL && *asset == '\0')
		asset = NULL;
	full = xasprintf("%s%s%s (%s %s)", conn_title(ev), asset ? " on " :
	    "", asset ? asset : "", ev->event_type, objkey);
	s = conn_truncate_new(full, PD_SUMMARY_MAX);
	free(full);
	return s;
}

static int
digits2(const char *s)
{
	return s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9';
}

/*
 * ISO 8601 as the events carry it (2024-05-01T12:00:00.000Z), or with an
 * offset; anything else is left out and PagerDuty stamps the alert.
 */
static int
timestamp_ok(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	size_t	 i;

	for (i = 0; pat[i] != '\0'; i++)
		if (pat[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pat[i])
			return 0;
	s += i;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	if (strcmp(s, "Z") == 0)
		return 1;
	/* +hh:mm or +hhmm */
	if ((*s != '+' && *s != '-') || !digits2(s + 1))
		return 0;
	s += 3;
	if (*s == ':')
		s++;
	return digits2(s) && s[2] == '\0';
}

/* Adds config[key] to o as key when set. */
static void
set_setting(json_t *o, const struct conn_event *ev, const char *key)
{
	const char	*v;

	if ((v = conn_config_str(ev, key)) != NULL)
		json_object_set_new(o, key, json_string(v));
}

/* Frees a rendering of the body: it holds the routing key. */
static void
body_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/*
 * The body as text, its custom_details bounded so that the whole stays
 * within PD_BODY_MAX: when the event data would pass it, custom_details
 * becomes {"truncated": true, "data_bytes": n, "data_excerpt": the
 * first bytes of the data's JSON text, cut at a character}.  NULL when
 * even that cannot fit.
 */
static char *
body_bounded_new(json_t *body, json_t *payload, const json_t *data)
{
	json_t	*cd;
	char	*out, *text = NULL;
	size_t	 len, room, cut, tries;

	if ((out = json_dumps(body, JSON_COMPACT)) == NULL)
		return NULL;
	if (strlen(out) <= PD_BODY_MAX)
		return out;
	len = strlen(out);
	body_free(out);
	out = NULL;
	if ((text = json_dumps(data, JSON_COMPACT)) == NULL)
		return NULL;
	room = strlen(text);
	for (tries = 0; tries < 16; tries++) {
		/*
		 * Shrink in proportion to what the last try was over (an
		 * excerpt grows when escaped again), and by a byte at least.
		 */
		room = room * PD_BODY_MAX / len;
		room = room > 0 ? room - 1 : 0;
		for (cut = room; cut > 0 &&
		    ((unsigned char)text[cut] & 0xc0) == 0x80; cut--)
			;
		cd = json_pack("{s:b,s:I,s:s%}", "truncated", 1, "data_bytes",
		    (json_int_t)strlen(text), "data_excerpt", text, cut);
		if (cd == NULL)
			break;
		json_object_set_new(payload, "custom_details", cd);
		body_free(out);
		if ((out = json_dumps(body, JSON_COMPACT)) == NULL)
			break;
		if ((len = strlen(out)) <= PD_BODY_MAX)
			break;
		if (room == 0) {
			body_free(out);
			out = NULL;
			break;
		}
	}
	free(text);
	if (out != NULL && strlen(out) > PD_BODY_MAX) {
		body_free(out);
		out = NULL;
	}
	return out;
}

static int
render(const struct conn_event *ev, struct conn_request *out, char *err,
    size_t errsz)
{
	const char	*key, *link, *url;
	char		 dk[PD_DEDUP_MAX + 1], obj[512], *summary = NULL;
	json_t		*body = NULL, *payload;
	int		 rc = -1;

	key = conn_config_str(ev, "routing_key");
	if (key == NULL || !routing_key_ok(key)) {
		errf(err, errsz, "the routing key is missing or not %d "
		    "letters and digits", PD_ROUTING_KEY_LEN);
		goto out;
	}
	body = json_pack("{s:s,s:s,s:s}", "routing_key", key, "event_action",
	    conn_is_resolution(ev) ? "resolve" : "trigger", "dedup_key",
	    dedup_key(ev, dk, sizeof(dk)));
	if (body == NULL) {
		errf(err, errsz, "the event cannot be written as JSON");
		goto out;
	}
	if (!conn_is_resolution(ev)) {
		conn_object_key(ev, obj, sizeof(obj));
		summary = summary_new(ev, obj);
		payload = json_pack("{s:s,s:s,s:s}", "summary", summary,
		    "source", conn_config_str(ev, "source") != NULL ?
		    conn_config_str(ev, "source") : PD_SOURCE_DEFAULT,
		    "severity", pd_severity(conn_severity(ev)));
		if (payload == NULL) {
			errf(err, errsz, "the event cannot be written as JSON");
			goto out;
		}
		json_object_set_new(body, "payload", payload);
		if (timestamp_ok(conn_timestamp(ev)))
			json_object_set_new(payload, "timestamp",
			    json_string(conn_timestamp(ev)));
		set_setting(payload, ev, "component");
		set_setting(payload, ev, "group");
		set_setting(payload, ev, "class");
		json_object_set(payload, "custom_details",
		    (json_t *)conn_data(ev));
		if ((link = conn_link(ev)) != NULL)
			json_object_set_new(body, "links", json_pack("[{s:s,s:s}]",
			    "href", link, "text", obj));
		json_object_set_new(body, "client", json_string(PD_CLIENT));
		out->body = body_bounded_new(body, payload, conn_data(ev));
	} else
		out->body = json_dumps(body, JSON_COMPACT);
	if (out->body == NULL) {
		errf(err, errsz, "the event cannot be written as JSON within "
		    "PagerDuty's %d bytes", PD_BODY_MAX);
		goto out;
	}
	out->bodylen = strlen(out->body);
	if ((url = conn_config_str(ev, "events_url")) == NULL)
		url = ev->url != NULL && *ev->url != '\0' ? ev->url :
		    PD_EVENTS_URL;
	out->url = xstrdup(url);
	out->headers = conn_header_add(out->headers, "Content-Type",
	    "application/json");
	rc = 0;
out:
	free(summary);
	json_decref(body);
	return rc;
}

/*
 * Replaces every copy of the routing key in s with its hint ("…" and
 * its last 4 characters): an answer that echoed it must not put it in
 * the worker's log or the delivery's recorded reason.
 */
static void
mask_key(char *s, size_t sz, const char *key)
{
	char	 hint[16], *p, *from, *rest;
	size_t	 klen;

	if (key == NULL || (klen = strlen(key)) < 4)
		return;
	snprintf(hint, sizeof(hint), "\xe2\x80\xa6%s", key + klen - 4);
	for (from = s; (p = strstr(from, key)) != NULL;
	    from = p + strlen(hint)) {
		rest = xstrdup(p + klen);
		snprintf(p, sz - (size_t)(p - s), "%s%s", hint, rest);
		free(rest);
		if (strlen(s) < (size_t)(p - s) + strlen(hint))
			break;	/* the hint itself was cut at the end */
	}
}

/*
 * The reason of a refusal that PagerDuty explained: "HTTP 400 invalid
 * event: Event object is invalid: <error>; <error>", written whole into
 * big (the strings of an answer are never longer than the answer).
 */
static void
reason_explained(char *big, size_t bigsz, long code, const char *status,
    const char *msg, const json_t *errors)
{
	const json_t	*v;
	size_t		 i, len, n = 0;

	snprintf(big, bigsz, "HTTP %ld %s%s%s", code, status, msg != NULL ?
	    ": " : "", msg != NULL ? msg : "");
	json_array_foreach(errors, i, v) {
		if (!json_is_string(v))
			continue;
		len = strlen(big);
		snprintf(big + len, bigsz - len, "%s%s", n++ > 0 ? "; " : ": ",
		    json_string_value(v));
	}
}

static void
classify(const struct conn_event *ev, const struct conn_answer *a,
    struct conn_result *res)
{
	const char	*status, *msg, *dk;
	char		 ours[PD_DEDUP_MAX + 1];
	char		 big[CONN_BODY_KEEP + CONN_REASON_MAX];
	json_t		*j = NULL;
	size_t		 n;

	/* 429 and 5xx retried (Retry-After), other 4xx failed, 410 gone. */
	conn_classify_vendor(ev, a, res);
	snprintf(big, sizeof(big), "%s", res->reason);
	if (a->error != NULL)
		goto out;
	if (a->body != NULL && a->bodylen > 0)
		j = json_loadb(a->body, a->bodylen, 0, NULL);
	status = json_string_value(json_object_get(j, "status"));
	msg = json_string_value(json_object_get(j, "message"));
	if (a->status >= 200 && a->status <= 299) {
		if (status == NULL || strcmp(status, "success") != 0) {
			/* Not PagerDuty (a wrong events_url): sending again
			 * would not reach it either. */
			res->outcome = CONN_FAILED;
			snprintf(big, sizeof(big), "HTTP %ld without "
			    "PagerDuty's {\"status\": \"success\"}", a->status);
			goto out;
		}
		/* PagerDuty never calls back: delivered, whatever a header
		 * said. */
		res->outcome = CONN_DELIVERED;
		dk = json_string_value(json_object_get(j, "dedup_key"));
		if (dk == NULL || *dk == '\0' || strlen(dk) >= sizeof(res->ref))
			dk = dedup_key(ev, ours, sizeof(ours));
		snprintf(res->ref, sizeof(res->ref), "%s", dk);
		goto out;
	}
	if (status != NULL)
		reason_explained(big, sizeof(big), a->status, status, msg,
		    json_object_get(j, "errors"));
out:
	/* Masked whole, then cut: no part of the key can be left. */
	mask_key(big, sizeof(big), conn_config_str(ev, "routing_key"));
	n = strlen(big);
	if (n >= sizeof(res->reason))	/* cut at a character */
		for (n = sizeof(res->reason) - 1; n > 0 &&
		    ((unsigned char)big[n] & 0xc0) == 0x80; n--)
			;
	memcpy(res->reason, big, n);
	res->reason[n] = '\0';
	json_decref(j);
}

const struct connector connector_pagerduty = {
	.type = "pagerduty",
	.title = "PagerDuty",
	.fields = fields,
	.nfields = sizeof(fields) / sizeof(fields[0]),
	.secrets = secrets,
	.docs = docs,
	.url_key = "events_url",
	.url_default = PD_EVENTS_URL,
	.test_resolves = 1,
	.check = check,
	.render = render,
	.classify = classify,
};
