/*
 * outbound: typed integrations (seed 003, issue 9), /api/integrations
 * [/:id[/test|/deliveries]], and the create/update core that seed 003's
 * own webhook routes (integration_webhook.c) share.  An integration is a
 * subscription with a type other than 'hookpost' (sql/018): its settings
 * are checked by its connector (lib/connector.h), its secret settings
 * sealed into config_secret_enc and shown only as hints.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "auth.h"
#include "cfg.h"
#include "connector.h"
#include "crypt.h"
#include "db.h"
#include "log.h"
#include "page.h"
#include "req.h"
#include "util.h"
#include "valid.h"
#include "outbound.h"

#define NAME_MAX_CHARS		256
#define DESCRIPTION_MAX_CHARS	1024
/* Before tags are stripped: what a stripped text could come from. */
#define TEXT_RAW_MAX		8192
#define RETRY_COUNT_MAX		10
#define RETRY_COUNT_DEFAULT	3
/* A hint shows the last 4 characters of a secret this long or longer. */
#define HINT_MIN_CHARS		12
/* The test's send: the worker's timeout, and at most 30 s (an API call). */
#define TEST_TIMEOUT_MS		10000	/* a person waits for the answer */

/* Integration JSON (contract "The HTTP API"); secrets as their hints. */
#define INTEG_JSON \
	"json_build_object('id', s.id, 'type', s.type, 'name', s.name," \
	" 'description', s.description, 'events', s.events," \
	" 'enabled', s.status = 'active', 'status', s.status," \
	" 'severity_threshold', s.severity_threshold," \
	" 'retry_count', coalesce(cardinality(s.retry_schedule), 0)," \
	" 'config', s.config || s.config_hints, 'owner_id', s.owner_id," \
	" 'created_at', s.created_at, 'modified_at', s.modified_at," \
	" 'last_successful_use', s.last_successful_use," \
	" 'publication_failures', s.publication_failures)"

/* severity_threshold: seed 003's severities, as connectors read them. */
#define severities	conn_severities

static const struct vfield integ_create_fields[] = {
	{ "type", V_STRING, 1, 1, 32, NULL, 0 },
	{ "name", V_STRING, 1, 1, TEXT_RAW_MAX, NULL, 0 },
	{ "description", V_STRING, 0, 0, TEXT_RAW_MAX, NULL, 1 },
	{ "events", V_ARRAY, 1, 1, 100, NULL, 0 },
	{ "enabled", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "severity_threshold", V_ENUM, 0, 0, 0, severities, 1 },
	{ "retry_count", V_INT, 0, 0, RETRY_COUNT_MAX, NULL, 0 },
	{ "config", V_OBJECT, 1, 0, 0, NULL, 0 },
};

static const struct vfield integ_update_fields[] = {
	{ "name", V_STRING, 0, 1, TEXT_RAW_MAX, NULL, 0 },
	{ "description", V_STRING, 0, 0, TEXT_RAW_MAX, NULL, 1 },
	{ "events", V_ARRAY, 0, 1, 100, NULL, 0 },
	{ "enabled", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "severity_threshold", V_ENUM, 0, 0, 0, severities, 1 },
	{ "retry_count", V_INT, 0, 0, RETRY_COUNT_MAX, NULL, 0 },
	{ "config", V_OBJECT, 0, 0, 0, NULL, 0 },
};

/*
 * seed 003 "Retry Logic" for retryCount n (0 to 10): the delays of its n
 * retries, 30 s, 2 min, 10 min as the seed lists them, then each five
 * times the one before (50 min, ~4.2 h, ~20.8 h) as its exponential
 * backoff goes on, none over 24 h (the worker's ceiling).  Written into
 * buf as the integer[] literal of subscriptions.retry_schedule: "{30,120,
 * 600}" for 3, "{}" for 0 (no retry).  n out of range is taken as the
 * nearest bound.
 */
void
integ_retry_schedule(int n, char *buf, size_t bufsz)
{
	static const long first[] = { 30, 120, 600 };
	long		 delay = 0;
	size_t		 len;
	int		 i;

	if (n < 0)
		n = 0;
	if (n > RETRY_COUNT_MAX)
		n = RETRY_COUNT_MAX;
	snprintf(buf, bufsz, "{");
	for (i = 0; i < n; i++) {
		delay = i < 3 ? first[i] : delay * 5;
		if (delay > 86400)
			delay = 86400;
		len = strlen(buf);
		snprintf(buf + len, bufsz - len, "%s%ld", i ? "," : "", delay);
	}
	len = strlen(buf);
	snprintf(buf + len, bufsz - len, "}");
}

/* The types the API takes, for its error message. */
static void
types_list(struct buf *b)
{
	size_t	 i;

	for (i = 0; connectors[i] != NULL; i++)
		if (!connectors[i]->internal)
			buf_appendf(b, "%s%s", b->len ? ", " : "",
			    connectors[i]->type);
}

/*
 * The connector of a type the API manages: every connector but seed
 * 000's 'hookpost' (its subscriptions stay at /admin/webhooks/).
 * Returns it, or NULL after answering 400.
 */
static const struct connector *
integ_connector(struct req *r, const char *type)
{
	const struct connector	*c;
	struct buf		 b = { 0 };

	if ((c = connector_find(type)) != NULL && !c->internal)
		return c;
	types_list(&b);
	resp_error(r, 400, "invalid_field", "Field 'type' must be one of: %s"
	    "%s", b.data != NULL ? b.data : "",
	    c != NULL ? " ('hookpost' subscriptions are made at "
	    "/admin/webhooks/subscriptions)" : "");
	buf_free(&b);
	return NULL;
}

/* What the API shows of a secret: "…" and its last 4 characters. */
static json_t *
hint_new(const json_t *v)
{
	const char	*s, *k;
	const json_t	*m;
	json_t		*o;
	size_t		 n, i;

	if (json_is_object(v)) {
		/* Custom headers: each name with its value's hint. */
		o = json_object();
		json_object_foreach((json_t *)v, k, m)
			json_object_set_new(o, k, hint_new(m));
		return o;
	}
	if ((s = json_string_value(v)) == NULL ||
	    utf8_chars(s) < HINT_MIN_CHARS)
		return json_string("\xe2\x80\xa6");
	/* Back to the start of the fourth character from the end. */
	for (i = strlen(s), n = 0; i > 0; i--)
		if (((unsigned char)s[i - 1] & 0xc0) != 0x80 && ++n == 4)
			break;
	return json_sprintf("\xe2\x80\xa6%s", s + i - 1);
}

/*
 * The origin of a URL ("https://hooks.slack.com"), without userinfo,
 * followed by "/…": what subscriptions.url shows of a URL that is itself
 * a secret.  New.
 */
static char *
url_masked_new(const char *url)
{
	const char	*host, *end, *at;

	if ((host = strstr(url, "://")) == NULL)
		return xstrdup("\xe2\x80\xa6");
	host += 3;
	end = host + strcspn(host, "/?#");
	if ((at = memchr(host, '@', (size_t)(end - host))) != NULL)
		host = at + 1;
	return xasprintf("%.*s%.*s/\xe2\x80\xa6", (int)(strstr(url, "://") +
	    3 - url), url, (int)(end - host), host);
}

/* A name or description with its tags stripped: new, or NULL. */
static char *
text_clean_new(struct req *r, const json_t *v, const char *field,
    size_t min, size_t max)
{
	char	*s;
	size_t	 n;

	if (json_string_value(v) == NULL)
		return NULL;
	s = html_strip_new(json_string_value(v));
	n = utf8_chars(s);
	if (n < min || n > max) {
		resp_error(r, 400, "invalid_field", "Field '%s' must be %zu to "
		    "%zu characters once HTML tags are removed", field, min,
		    max);
		free(s);
		return NULL;
	}
	return s;
}

void
integ_input_free(struct integ_input *in)
{
	json_decref(in->config);
	memset(in, 0, sizeof(*in));
}

/*
 * The settings after a write: the current ones (cur, opened; NULL on
 * create) with the given keys put in (null removes one).  A new
 * reference.
 */
static json_t *
config_merge_new(const json_t *cur, const json_t *given)
{
	const char	*k;
	json_t		*out, *v;

	out = cur != NULL ? json_deep_copy(cur) : json_object();
	if (given == NULL)
		return out;
	json_object_foreach((json_t *)given, k, v) {
		if (json_is_null(v))
			json_object_del(out, k);
		else
			json_object_set(out, k, v);
	}
	return out;
}

/*
 * A changed URL is a new host to trust: the secrets set for the old one
 * (a token, a routing key, custom headers) are not sent there unless the
 * request gives them again, or anyone allowed to change the settings
 * could send them to a host of their choosing.  The URL itself, when it
 * is the secret (Slack, Teams), is given by the change.  Returns 0, or -1
 * after answering 400 secret_required.
 */
static int
secrets_follow_url(struct req *r, const struct connector *c,
    const json_t *cur, const json_t *merged, const json_t *given)
{
	const char	*was, *now, *k;
	json_t		*v;

	if (cur == NULL || c->url_key == NULL)
		return 0;
	if ((was = json_string_value(json_object_get(cur, c->url_key))) ==
	    NULL)
		was = c->url_default;
	if ((now = json_string_value(json_object_get(merged, c->url_key))) ==
	    NULL)
		now = c->url_default;
	if (was == NULL || now == NULL || strcmp(was, now) == 0)
		return 0;
	json_object_foreach((json_t *)cur, k, v) {
		if (!connector_is_secret(c, k) || strcmp(k, c->url_key) == 0 ||
		    json_object_get(merged, k) == NULL)
			continue;
		if (given == NULL || json_object_get(given, k) == NULL) {
			resp_error(r, 400, "secret_required", "Field "
			    "'config.%s' must be given again when the URL "
			    "changes: a secret is never sent to a new host "
			    "unless it is given for it", k);
			return -1;
		}
	}
	return 0;
}

/* The written settings, split as sql/018 keeps them. */
struct config_split {
	char	*plain;		/* config: JSON text, no secrets */
	char	*sealed;	/* config_secret_enc, or NULL */
	char	*hints;		/* config_hints: JSON text */
	char	*url;		/* subscriptions.url */
};

static void
config_split_free(struct config_split *cs)
{
	free(cs->plain);
	free(cs->sealed);
	free(cs->hints);
	free(cs->url);
	memset(cs, 0, sizeof(*cs));
}

/*
 * Checks a whole settings object against its connector (fields, check(),
 * the URL through the SSRF guard and the deny list when it is new) and
 * splits it.  Returns 0, or -1 after answering.
 */
static int
config_check_split(struct req *r, const struct connector *c,
    const json_t *config, const char *cur_url, struct config_split *out)
{
	json_t		*plain = NULL, *secrets = NULL, *hints = NULL, *v;
	const char	*k, *url;
	char		 err[CONN_REASON_MAX], *text = NULL;
	int		 rc = -1;

	if (valid_object_at(r, "config.", config, c->fields,
	    c->nfields) == -1)
		return -1;
	err[0] = '\0';
	if (c->check != NULL && c->check(config, err, sizeof(err)) == -1) {
		resp_error(r, 400, "invalid_field", "Field 'config': %s", err);
		return -1;
	}
	url = c->url_key != NULL ? json_string_value(json_object_get(config,
	    c->url_key)) : NULL;
	if (url == NULL)
		url = c->url_default;
	if (url == NULL) {
		resp_error(r, 400, "invalid_field", "Field 'config.%s' is "
		    "required", c->url_key != NULL ? c->url_key : "url");
		return -1;
	}
	/* A URL written before is checked again when it is sent to. */
	if (cur_url == NULL || strcmp(cur_url, url) != 0) {
		snprintf(err, sizeof(err), "config.%s", c->url_key != NULL ?
		    c->url_key : "url");
		if ((c->smtp ? url_check_mail(r, err, url) :
		    url_check(r, err, url)) == -1)
			return -1;
	}

	plain = json_object();
	secrets = json_object();
	hints = json_object();
	json_object_foreach((json_t *)config, k, v) {
		if (connector_is_secret(c, k)) {
			json_object_set(secrets, k, v);
			json_object_set_new(hints, k, hint_new(v));
		} else
			json_object_set(plain, k, v);
	}
	if (json_object_size(secrets) > 0) {
		text = json_dumps(secrets, JSON_COMPACT);
		if (text == NULL || (out->sealed =
		    crypt_secret_seal(text)) == NULL) {
			resp_error(r, 503, "unavailable", "Secret storage "
			    "unavailable (HOOKPOST_SECRET_KEY_FILE)");
			goto out;
		}
	}
	out->plain = json_dumps(plain, JSON_COMPACT);
	out->hints = json_dumps(hints, JSON_COMPACT);
	out->url = c->url_key != NULL && connector_is_secret(c, c->url_key) ?
	    url_masked_new(url) : xstrdup(url);
	rc = 0;
out:
	crypt_secret_free(text);
	json_decref(plain);
	json_decref(secrets);
	json_decref(hints);
	return rc;
}

/*
 * The one create/update of an integration, for the typed and the seed
 * 003 routes: id NULL creates.  Name and description lose their HTML
 * tags; events are checked against the catalog; the settings are merged
 * (update), checked by the connector and split into plain, sealed and
 * hints, in one transaction with the owner's quota.  Returns the
 * integration's id (new, the caller frees), or NULL after answering.
 */
char *
integ_write(struct req *r, const char *id, const struct integ_input *in)
{
	static const char sql_cur[] = "SELECT s.type, s.config::text,"
	    " s.config_secret_enc, s.owner_id, s.url"
	    " FROM hookpost.subscriptions s WHERE s.id = $1::uuid"
	    " AND ($2::text IS NULL OR s.owner_id = $2)"
	    " AND s.type <> 'hookpost' AND ($3::text IS NULL OR s.type = $3)"
	    " FOR UPDATE";
	static const char sql_ins[] = "INSERT INTO hookpost.subscriptions AS s"
	    " (owner_id, all_owners, type, name, description, url, events,"
	    "  config, config_secret_enc, config_hints, severity_threshold,"
	    "  retry_schedule, status, serial_objects)"
	    " VALUES ($1, $2::boolean, $3, $4, coalesce($5, ''), $6,"
	    "  ARRAY(SELECT x.v FROM jsonb_array_elements_text($7::jsonb)"
	    "  WITH ORDINALITY x(v, i) ORDER BY x.i), $8::jsonb, $9,"
	    "  $10::jsonb, $11, $12::integer[],"
	    "  CASE WHEN $13::boolean THEN 'disabled' ELSE 'active' END,"
	    "  $14::boolean)"
	    " RETURNING s.id::text";
	static const char sql_upd[] = "UPDATE hookpost.subscriptions s SET"
	    " name = coalesce($3, s.name),"
	    " description = CASE WHEN $4::boolean THEN coalesce($5, '')"
	    "  ELSE s.description END,"
	    " events = CASE WHEN $6::jsonb IS NULL THEN s.events"
	    "  ELSE ARRAY(SELECT x.v FROM jsonb_array_elements_text($6::jsonb)"
	    "  WITH ORDINALITY x(v, i) ORDER BY x.i) END,"
	    " url = $7, config = $8::jsonb, config_secret_enc = $9,"
	    " config_hints = $10::jsonb,"
	    " severity_threshold = CASE WHEN $11::boolean THEN $12"
	    "  ELSE s.severity_threshold END,"
	    " retry_schedule = coalesce($13::integer[], s.retry_schedule),"
	    " status = CASE $14::boolean WHEN true THEN 'active'"
	    "  WHEN false THEN 'disabled' ELSE s.status END,"
	    " disabled_reason = CASE WHEN $14::boolean IS NULL"
	    "  THEN s.disabled_reason WHEN $14::boolean THEN NULL"
	    "  ELSE 'disabled through the API' END,"
	    " modified_at = now()"
	    " WHERE s.id = $1::uuid AND ($2::text IS NULL OR s.owner_id = $2)"
	    " RETURNING s.id::text";
	const struct connector	*c = NULL;
	struct config_split	 cs;
	PGresult		*cur = NULL, *res = NULL;
	json_t			*opened = NULL, *config = NULL;
	char			*name = NULL, *descr = NULL, *events = NULL;
	char			*out = NULL, rs[128];
	const char		*owner, *type, *cur_url = NULL, *p[14];
	int			 in_tx = 0, all_owners = 0;

	memset(&cs, 0, sizeof(cs));
	if (in->name != NULL && (name = text_clean_new(r, in->name, "name", 1,
	    NAME_MAX_CHARS)) == NULL)
		goto out;
	if (in->description != NULL && !json_is_null(in->description) &&
	    (descr = text_clean_new(r, in->description, "description", 0,
	    DESCRIPTION_MAX_CHARS)) == NULL)
		goto out;
	if (in->events != NULL) {
		events = json_param_new(in->events);
		if (events_check(r, in->events, events) == -1)
			goto out;
	}
	if (id == NULL && (c = integ_connector(r, in->type)) == NULL)
		goto out;

	if (db_tx_begin() == -1) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		goto out;
	}
	in_tx = 1;
	if (id != NULL) {
		p[0] = id;
		p[1] = auth_scope(r);
		p[2] = in->type;
		if ((cur = db_exec("integ_current", sql_cur, 3, p)) == NULL) {
			resp_db_error(r);
			goto out;
		}
		if (PQntuples(cur) == 0) {
			resp_error(r, 404, "not_found", "No such integration");
			goto out;
		}
		type = PQgetvalue(cur, 0, 0);
		if ((c = integ_connector(r, type)) == NULL)
			goto out;
		if ((opened = conn_config_open_new(PQgetvalue(cur, 0, 1),
		    db_get(cur, 0, 2))) == NULL) {
			resp_error(r, 503, "unavailable", "Secret storage "
			    "unavailable (HOOKPOST_SECRET_KEY_FILE)");
			goto out;
		}
		owner = PQgetvalue(cur, 0, 3);
		cur_url = PQgetvalue(cur, 0, 4);
	} else if (r->auth.admin || r->auth.owner_id == NULL) {
		/* An admin's (or ownerless service token's): every owner's. */
		owner = "admin";
		all_owners = 1;
	} else
		owner = r->auth.owner_id;

	config = config_merge_new(opened, in->config);
	if (secrets_follow_url(r, c, opened, config, in->config) == -1 ||
	    config_check_split(r, c, config, cur_url, &cs) == -1)
		goto out;
	if (quota_take(r, owner, id == NULL) == -1)
		goto out;
	rs[0] = '\0';
	if (in->retry_count >= 0)
		integ_retry_schedule(in->retry_count, rs, sizeof(rs));
	else if (id == NULL)
		integ_retry_schedule(RETRY_COUNT_DEFAULT, rs, sizeof(rs));

	if (id == NULL) {
		p[0] = owner;
		p[1] = all_owners ? "t" : "f";
		p[2] = c->type;
		p[3] = name;
		p[4] = descr;
		p[5] = cs.url;
		p[6] = events;
		p[7] = cs.plain;
		p[8] = cs.sealed;
		p[9] = cs.hints;
		p[10] = in->severity_given ? in->severity : NULL;
		p[11] = rs;
		p[12] = in->enabled == 0 ? "t" : "f";
		/* sql/019: a ticketing connector's events of one object are
		 * sent one at a time, oldest first. */
		p[13] = c->tickets ? "t" : "f";
		res = db_exec("integ_create", sql_ins, 14, p);
	} else {
		p[0] = id;
		p[1] = auth_scope(r);
		p[2] = name;
		p[3] = in->description != NULL ? "t" : "f";
		p[4] = descr;
		p[5] = events;
		p[6] = cs.url;
		p[7] = cs.plain;
		p[8] = cs.sealed;
		p[9] = cs.hints;
		p[10] = in->severity_given ? "t" : "f";
		p[11] = in->severity;
		p[12] = rs[0] != '\0' ? rs : NULL;
		p[13] = in->enabled < 0 ? NULL : in->enabled ? "t" : "f";
		res = db_exec("integ_update", sql_upd, 14, p);
	}
	if (res == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (PQntuples(res) != 1) {
		resp_error(r, 404, "not_found", "No such integration");
		goto out;
	}
	if (db_tx_commit() == -1) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		goto out;
	}
	in_tx = 0;
	out = xstrdup(PQgetvalue(res, 0, 0));
out:
	if (in_tx)
		db_tx_abort();
	PQclear(cur);
	PQclear(res);
	conn_config_free(opened);
	conn_config_free(config);
	config_split_free(&cs);
	free(name);
	free(descr);
	free(events);
	return out;
}

/* Answers integration id as the typed routes show it. */
static void
integ_answer(struct req *r, int status, const char *id)
{
	static const char sql[] = "SELECT " INTEG_JSON "::text"
	    " FROM hookpost.subscriptions s WHERE s.id = $1::uuid";
	const char	*p[1];
	PGresult	*res;

	p[0] = id;
	if ((res = db_exec("integ_answer", sql, 1, p)) == NULL) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		return;
	}
	resp_row(r, status, res, "integration");
	PQclear(res);
}

/* A typed body's members as the core takes them. */
static void
integ_input_read(const json_t *body, struct integ_input *in)
{
	json_t	*v;

	memset(in, 0, sizeof(*in));
	in->type = json_string_value(json_object_get(body, "type"));
	in->name = json_object_get(body, "name");
	in->description = json_object_get(body, "description");
	in->events = json_object_get(body, "events");
	in->enabled = (v = json_object_get(body, "enabled")) == NULL ? -1 :
	    json_is_true(v);
	if ((v = json_object_get(body, "severity_threshold")) != NULL) {
		in->severity_given = 1;
		in->severity = json_string_value(v);
	}
	in->retry_count = (v = json_object_get(body, "retry_count")) == NULL ?
	    -1 : (int)json_integer_value(v);
	if ((v = json_object_get(body, "config")) != NULL)
		in->config = json_incref(v);
}

void
integ_create(struct req *r)
{
	struct integ_input	 in;
	json_t			*body;
	char			*id = NULL;

	memset(&in, 0, sizeof(in));
	if ((body = valid_body_new(r, VFIELDS(integ_create_fields))) == NULL)
		return;
	integ_input_read(body, &in);
	if ((id = integ_write(r, NULL, &in)) != NULL)
		integ_answer(r, 201, id);
	free(id);
	integ_input_free(&in);
	json_decref(body);
}

void
integ_update(struct req *r)
{
	struct integ_input	 in;
	json_t			*body = NULL;
	char			*id = NULL;

	memset(&in, 0, sizeof(in));
	if (id_check(r, "integration") == -1)
		return;
	if ((body = valid_body_new(r, VFIELDS(integ_update_fields))) == NULL)
		return;
	if (json_object_size(body) == 0)
		resp_error(r, 400, "invalid_field", "Nothing to change");
	else {
		integ_input_read(body, &in);
		if ((id = integ_write(r, r->params[0], &in)) != NULL)
			integ_answer(r, 200, id);
	}
	free(id);
	integ_input_free(&in);
	json_decref(body);
}

/*
 * GET /api/integrations/types: each type the API manages, its title and
 * settings as its connector declares them (connector_describe_new), so
 * that a form is made from the one home of the rule.  No database.
 */
void
integ_types(struct req *r)
{
	json_t	*out, *list, *t, *sev;
	size_t	 i;

	/*
	 * Beside the types, what every integration shares: the severities
	 * (severity_threshold, most severe first) and retry_count's range
	 * and default.
	 */
	if ((out = json_pack("{s:[],s:[],s:{s:i,s:i,s:i}}", "data",
	    "severities", "retry_count", "default", RETRY_COUNT_DEFAULT,
	    "min", 0, "max", RETRY_COUNT_MAX)) == NULL) {
		resp_error(r, 500, "internal", "Out of memory");
		goto out;
	}
	list = json_object_get(out, "data");
	sev = json_object_get(out, "severities");
	for (i = 0; conn_severities[i] != NULL; i++)
		if (json_array_append_new(sev,
		    json_string(conn_severities[i])) == -1) {
			resp_error(r, 500, "internal", "Out of memory");
			goto out;
		}
	for (i = 0; connectors[i] != NULL; i++) {
		if (connectors[i]->internal)
			continue;
		if ((t = connector_describe_new(connectors[i])) == NULL ||
		    json_array_append_new(list, t) == -1) {
			resp_error(r, 500, "internal", "Could not describe "
			    "the type '%s'", connectors[i]->type);
			goto out;
		}
	}
	resp_json(r, 200, out);
	out = NULL;
out:
	json_decref(out);
}

void
integ_get(struct req *r)
{
	static const char sql[] = "SELECT " INTEG_JSON "::text"
	    " FROM hookpost.subscriptions s"
	    " WHERE s.id = $1::uuid AND ($2::text IS NULL OR s.owner_id = $2)"
	    " AND s.type <> 'hookpost'";

	owned_answer(r, "integration", "integ_get", sql);
}

/*
 * DELETE of an integration the caller may see, of that type when type is
 * given: 204, or 404.
 */
void
integ_remove(struct req *r, const char *type)
{
	static const char sql[] = "DELETE FROM hookpost.subscriptions s"
	    " WHERE s.id = $1::uuid AND ($2::text IS NULL OR s.owner_id = $2)"
	    " AND s.type <> 'hookpost' AND ($3::text IS NULL OR s.type = $3)";
	const char	*p[3];
	PGresult	*res;

	if (id_check(r, "integration") == -1)
		return;
	p[0] = r->params[0];
	p[1] = auth_scope(r);
	p[2] = type;
	if ((res = db_exec("integ_delete", sql, 3, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	resp_deleted(r, res, type != NULL ? type : "integration");
	PQclear(res);
}

void
integ_delete(struct req *r)
{
	integ_remove(r, NULL);
}

/* ?type= a type, ?enabled= true or false. */
static int
integ_filters_check(struct req *r, const char **p)
{
	if (p[1] != NULL && strcmp(p[1], "true") != 0 &&
	    strcmp(p[1], "false") != 0) {
		resp_error(r, 400, "invalid_field", "enabled must be true or "
		    "false");
		return -1;
	}
	return 0;
}

static const struct page_filter integ_filters[] = {
	{ "type", 33 },
	{ "enabled", 8 },
};

const struct page_list integ_list = {
	.name = "integ_list",
	.sql = "SELECT " INTEG_JSON "::text,"
	    " s.created_at::text, s.id::text FROM hookpost.subscriptions s"
	    " WHERE ($1::text IS NULL OR s.owner_id = $1)"
	    " AND s.type <> 'hookpost'"
	    " AND ($2::text IS NULL OR s.type = $2)"
	    " AND ($3::boolean IS NULL OR (s.status = 'active') = $3::boolean)"
	    " AND ($4::timestamptz IS NULL OR"
	    "  (s.created_at, s.id) < ($4::timestamptz, $5::uuid))"
	    " ORDER BY s.created_at DESC, s.id DESC LIMIT $6",
	.limit_default = 50, .limit_max = 200,
	.key = PAGE_KEY_TIME_UUID,
	.scoped = 1,
	PAGE_FILTERS(integ_filters),
	.check = integ_filters_check,
};

/*
 * The :id of .../:id/deliveries as the list's first parameter: the
 * integration must be one the caller may see (else 404).
 */
static int
integ_deliveries_check(struct req *r, const char **p)
{
	static const char sql[] = "SELECT 1 FROM hookpost.subscriptions s"
	    " WHERE s.id = $1::uuid AND ($2::text IS NULL OR s.owner_id = $2)"
	    " AND s.type <> 'hookpost'";
	PGresult	*res;
	int		 rc = -1;

	if ((res = owned_exec(r, "integration", "integ_exists", sql)) == NULL)
		return -1;
	if (PQntuples(res) == 0)
		resp_error(r, 404, "not_found", "No such integration");
	else {
		p[0] = r->params[0];
		rc = 0;
	}
	PQclear(res);
	return rc;
}

static const struct page_filter integ_delivery_filters[] = {
	{ "integration_id", 1 },	/* the URL's :id (check above) */
};

const struct page_list integ_delivery_list = {
	.name = "integ_delivery_list",
	.sql = "SELECT json_build_object(" DELIVERY_FIELDS ","
	    " 'external_ref', d.external_ref)::text,"
	    " d.created_at::text, d.id::text FROM hookpost.deliveries d"
	    " WHERE ($1::text IS NULL OR d.owner_id = $1)"
	    " AND d.subscription_id = $2::uuid"
	    " AND ($3::timestamptz IS NULL OR"
	    "  (d.created_at, d.id) < ($3::timestamptz, $4::uuid))"
	    " ORDER BY d.created_at DESC, d.id DESC LIMIT $5",
	.limit_default = 50, .limit_max = 500,
	.key = PAGE_KEY_TIME_UUID,
	.scoped = 1,
	PAGE_FILTERS(integ_delivery_filters),
	.check = integ_deliveries_check,
};

/*
 * GET /api/integrations/:id/tickets (issue 10): the tickets a ticketing
 * integration keeps, one per object (sql/019), by object key.
 */
const struct page_list integ_ticket_list = {
	.name = "integ_ticket_list",
	.sql = "SELECT json_build_object('object_key', t.object_key,"
	    " 'ref', t.ref, 'ref_id', t.ref_id, 'url', t.url,"
	    " 'state', t.state, 'last_delivery_id', t.last_delivery_id,"
	    " 'created_at', t.created_at, 'updated_at', t.updated_at)::text,"
	    " t.object_key, '' FROM hookpost.integration_tickets t"
	    " JOIN hookpost.subscriptions s ON s.id = t.subscription_id"
	    " WHERE ($1::text IS NULL OR s.owner_id = $1)"
	    " AND t.subscription_id = $2::uuid"
	    " AND ($3::text IS NULL OR t.object_key > $3)"
	    " ORDER BY t.object_key LIMIT $4",
	.limit_default = 50, .limit_max = 500,
	.key = PAGE_KEY_TEXT,
	.scoped = 1,
	PAGE_FILTERS(integ_delivery_filters),
	.check = integ_deliveries_check,
};

/* --- Test Connection ----------------------------------------------------- */

static const char *
outcome_name(enum conn_outcome o)
{
	switch (o) {
	case CONN_DELIVERED:
	case CONN_ASYNC:
		return "delivered";
	case CONN_RETRY:
		return "retry";
	case CONN_GONE:
		return "gone";
	case CONN_FAILED:
	case CONN_NEXT:		/* never left by connector_send */
		break;
	}
	return "failed";
}

/*
 * Sends one test event of type event_type to the integration and records
 * it (sql/functions/integrations.sql): a new JSON object {ok, outcome,
 * status_code, response_ms, error, delivery_id}, or NULL after answering.
 * A test answered "retry" is recorded failed: it is not sent again unless
 * asked (manual retry).
 */
static json_t *
test_send_new(struct req *r, const struct connector *c, const char *id,
    const char *url, const json_t *config, const char *event_type,
    long timeout_ms)
{
	static const char sql_start[] = "SELECT event_id::text,"
	    " delivery_id::text, payload"
	    " FROM hookpost.integration_test_start($1::uuid, $2, $3::jsonb,"
	    " $4::uuid, $5::integer)";
	static const char sql_finish[] = "SELECT hookpost.deliveries_finish("
	    "$1::jsonb)";
	struct conn_event	 ev;
	struct conn_result	 cr;
	PGresult		*res = NULL, *fin = NULL;
	json_t			*data = NULL, *event = NULL, *rec = NULL;
	json_t			*out = NULL;
	const char		*p[5], *outcome, *v;
	char			 claim[37], lease[24];
	char			*d = NULL, *recs = NULL, *redacted;
	long			 status = 0;
	double			 ms = 0;
	int			 sent;

	data = json_pack("{s:s,s:s,s:s}", "title", "hookpost test message",
	    "severity", "info", "message", "A test message from hookpost: "
	    "this integration is connected.");
	d = json_dumps(data, JSON_COMPACT);
	if (uuid_new(claim) == -1) {
		resp_error(r, 500, "internal", "No randomness");
		goto out;
	}
	snprintf(lease, sizeof(lease), "%ld", timeout_ms / 1000 + 60);
	p[0] = id;
	p[1] = event_type;
	p[2] = d;
	p[3] = claim;
	p[4] = lease;
	if ((res = db_exec("integ_test_start", sql_start, 5, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (PQntuples(res) != 1) {
		resp_error(r, 404, "not_found", "No such integration");
		goto out;
	}
	event = json_loads(PQgetvalue(res, 0, 2), 0, NULL);
	memset(&ev, 0, sizeof(ev));
	ev.delivery_id = PQgetvalue(res, 0, 1);
	ev.event_id = PQgetvalue(res, 0, 0);
	ev.subscription_id = id;
	ev.event_type = event_type;
	ev.payload = PQgetvalue(res, 0, 2);
	ev.event = event;
	ev.config = config;
	ev.url = url;
	ev.ts = (long long)time(NULL);
	sent = connector_send(c, &ev, cfg.allow_private, timeout_ms, &cr,
	    &status, &ms);
	(void)sent;	/* not sent: cr says why, as for an answer */
	/* A reason may quote what the service echoed: never a secret. */
	redacted = conn_redact_new(c, config, cr.reason);
	snprintf(cr.reason, sizeof(cr.reason), "%s", redacted);
	free(redacted);
	switch (cr.outcome) {
	case CONN_DELIVERED:
		outcome = "delivered";
		break;
	case CONN_ASYNC:
		outcome = "async";
		break;
	case CONN_GONE:
		outcome = "gone";
		break;
	case CONN_RETRY:
	case CONN_FAILED:
	default:
		outcome = "failed";
		break;
	}
	rec = json_pack("[{s:s,s:s,s:i,s:f,s:s}]", "id", ev.delivery_id,
	    "claim_id", claim, "attempt", 1, "response_ms", ms, "outcome",
	    outcome);
	if (status > 0)
		json_object_set_new(json_array_get(rec, 0), "status_code",
		    json_integer(status));
	if (cr.reason[0] != '\0') {
		utf8_sanitize(cr.reason, strlen(cr.reason));
		json_object_set_new(json_array_get(rec, 0), "error",
		    json_string(cr.reason));
	}
	if (cr.ref[0] != '\0')
		json_object_set_new(json_array_get(rec, 0), "ref",
		    json_string(cr.ref));
	recs = json_dumps(rec, JSON_COMPACT);
	p[0] = recs;
	if ((fin = db_exec("integ_test_finish", sql_finish, 1, p)) == NULL) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		goto out;
	}
	out = json_pack("{s:b,s:s,s:o,s:f,s:o,s:s}", "ok",
	    cr.outcome == CONN_DELIVERED || cr.outcome == CONN_ASYNC,
	    "outcome", outcome_name(cr.outcome), "status_code", status > 0 ?
	    json_integer(status) : json_null(), "response_ms", ms, "error",
	    cr.reason[0] != '\0' ? json_string(cr.reason) : json_null(),
	    "delivery_id", ev.delivery_id);
	/*
	 * seed 003 Jira "Step 4": which step failed, as the connector says
	 * (none when the service did not answer: a retryable failure).
	 */
	if (out != NULL && json_object_set_new(out, "step", (v =
	    connector_failed_step(c, &cr)) != NULL ? json_string(v) :
	    json_null()) == -1) {
		json_decref(out);
		out = NULL;
	}
out:
	PQclear(res);
	PQclear(fin);
	json_decref(data);
	json_decref(event);
	json_decref(rec);
	free(d);
	free(recs);
	return out;
}

/*
 * POST /api/integrations/:id/test ("Test Connection"): integration.test
 * sent synchronously, through the connector the worker uses, whatever
 * the integration's events and status; for a connector whose test leaves
 * state behind (test_resolves), integration.test.resolved right after.
 * 200 with the first send's outcome, and the second's as "resolve" when
 * it failed.
 */
void
integ_test(struct req *r)
{
	static const char sql[] = "SELECT s.type, s.config::text,"
	    " s.config_secret_enc, s.url, s.owner_id"
	    " FROM hookpost.subscriptions s"
	    " WHERE s.id = $1::uuid AND ($2::text IS NULL OR s.owner_id = $2)"
	    " AND s.type <> 'hookpost'";
	const struct connector	*c;
	PGresult		*res;
	json_t			*config = NULL, *first = NULL;
	json_t			*second = NULL;
	const char		*v;
	long long		 n;
	long			 timeout_ms = TEST_TIMEOUT_MS;

	if ((res = owned_exec(r, "integration", "integ_test", sql)) == NULL)
		return;
	if (PQntuples(res) == 0) {
		resp_error(r, 404, "not_found", "No such integration");
		goto out;
	}
	if ((c = connector_find(PQgetvalue(res, 0, 0))) == NULL) {
		resp_error(r, 500, "internal", "No connector for type '%s'",
		    PQgetvalue(res, 0, 0));
		goto out;
	}
	if ((config = conn_config_open_new(PQgetvalue(res, 0, 1),
	    db_get(res, 0, 2))) == NULL) {
		resp_error(r, 503, "unavailable", "Secret storage unavailable "
		    "(HOOKPOST_SECRET_KEY_FILE)");
		goto out;
	}
	if ((v = cfg_get("HOOKPOST_DELIVERY_TIMEOUT_MS")) != NULL &&
	    parse_int(v, 100, TEST_TIMEOUT_MS, &n) == 0)
		timeout_ms = (long)n;
	/*
	 * A test holds this handler process while it waits: it counts as a
	 * request against the owner's seed-000 quota (per minute, per day).
	 */
	if (db_tx_begin() == -1) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		goto out;
	}
	if (quota_take(r, PQgetvalue(res, 0, 4), 0) == -1) {
		db_tx_abort();
		goto out;
	}
	if (db_tx_commit() == -1) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		goto out;
	}
	if ((first = test_send_new(r, c, r->params[0], PQgetvalue(res, 0, 3),
	    config, "integration.test", timeout_ms)) == NULL)
		goto out;
	if (c->test_resolves) {
		if ((second = test_send_new(r, c, r->params[0],
		    PQgetvalue(res, 0, 3), config, "integration.test.resolved",
		    timeout_ms)) == NULL)
			goto out;
		if (!json_is_true(json_object_get(second, "ok")))
			json_object_set(first, "resolve", second);
	}
	resp_json(r, 200, first);
	first = NULL;
out:
	PQclear(res);
	conn_config_free(config);
	json_decref(first);
	json_decref(second);
}
