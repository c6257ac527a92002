/*
 * triggers: webhook-enabled triggers (seed 002, issue 3), everything
 * under /api/v1/.
 *   POST /api/v1/webhooks/:webhook_key        the receiver
 *   /api/v1/triggers[/:ref]                   triggers (admin); :ref may
 *                                             be the numeric id too
 *   /api/v1/triggers/:ref/webhook[s]/...      enable, disable, regenerate,
 *                                             keys, hmac, rate-limit,
 *                                             ip-allowlist, payload-limit
 *   GET /api/v1/triggers/:ref/stats           webhook_stats_detailed
 *   GET /api/v1/events[/:id]                  trigger events
 * Answers in seed 002's {"data": ...} envelope; errors in the shared
 * {"error":{"code","message"}} shape.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "auth.h"
#include "cfg.h"
#include "cidr.h"
#include "crypt.h"
#include "db.h"
#include "jsonpath.h"
#include "log.h"
#include "page.h"
#include "provider.h"
#include "req.h"
#include "schema.h"
#include "srv.h"
#include "util.h"
#include "valid.h"

#define KEY_PREFIX	"wh_"
#define KEY_RANDOM	32	/* seed 002: wh_ + 32 random alphanumerics */
#define KEY_LEN		(sizeof(KEY_PREFIX) - 1 + KEY_RANDOM)
#define REF_MAX		128
#define ALLOWLIST_MAX	256

enum route {
	ROUTE_RECEIVE,
	ROUTE_TRIGGER_LIST,
	ROUTE_TRIGGER_CREATE,
	ROUTE_TRIGGER_GET,
	ROUTE_TRIGGER_PUT,
	ROUTE_TRIGGER_DELETE,
	ROUTE_WEBHOOK_INFO,
	ROUTE_WEBHOOK_ENABLE,
	ROUTE_WEBHOOK_DISABLE,
	ROUTE_WEBHOOK_REGENERATE,
	ROUTE_HMAC_ENABLE,
	ROUTE_HMAC_DISABLE,
	ROUTE_RATE_LIMIT,
	ROUTE_IP_ALLOWLIST,
	ROUTE_PAYLOAD_LIMIT,
	ROUTE_KEY_LIST,
	ROUTE_KEY_ADD,
	ROUTE_KEY_REVOKE,
	ROUTE_STATS,
	ROUTE_EVENT_LIST,
	ROUTE_EVENT_GET,
	ROUTE__MAX
};

#define T	"/api/v1/triggers/:ref"

/*
 * Seed 002 spells the management routes both ways: ".../webhook/enable"
 * (its API section, with an :id) and ".../webhooks/enable" (its phase 2
 * list, with a :ref).  Both are served, by the same route ids.
 */
static const struct srv_route routes[] = {
	{ ROUTE_RECEIVE, "POST", "/api/v1/webhooks/:key", SRV_LAZY },
	{ ROUTE_TRIGGER_LIST, "GET", "/api/v1/triggers", 0 },
	{ ROUTE_TRIGGER_CREATE, "POST", "/api/v1/triggers", SRV_BODY },
	{ ROUTE_TRIGGER_GET, "GET", T, 0 },
	{ ROUTE_TRIGGER_PUT, "PUT", T, SRV_BODY },
	{ ROUTE_TRIGGER_DELETE, "DELETE", T, 0 },
	{ ROUTE_WEBHOOK_INFO, "GET", T "/webhook", 0 },
	{ ROUTE_WEBHOOK_INFO, "GET", T "/webhooks", 0 },
	{ ROUTE_WEBHOOK_ENABLE, "POST", T "/webhook/enable", 0 },
	{ ROUTE_WEBHOOK_ENABLE, "POST", T "/webhooks/enable", 0 },
	{ ROUTE_WEBHOOK_DISABLE, "POST", T "/webhook/disable", 0 },
	{ ROUTE_WEBHOOK_DISABLE, "POST", T "/webhooks/disable", 0 },
	{ ROUTE_WEBHOOK_REGENERATE, "POST", T "/webhook/regenerate", SRV_BODY },
	{ ROUTE_WEBHOOK_REGENERATE, "POST", T "/webhooks/regenerate", SRV_BODY },
	{ ROUTE_HMAC_ENABLE, "POST", T "/webhook/hmac/enable", SRV_BODY },
	{ ROUTE_HMAC_ENABLE, "POST", T "/webhooks/hmac/enable", SRV_BODY },
	{ ROUTE_HMAC_DISABLE, "POST", T "/webhook/hmac/disable", 0 },
	{ ROUTE_HMAC_DISABLE, "POST", T "/webhooks/hmac/disable", 0 },
	{ ROUTE_RATE_LIMIT, "PUT", T "/webhook/rate-limit", SRV_BODY },
	{ ROUTE_RATE_LIMIT, "PUT", T "/webhooks/rate-limit", SRV_BODY },
	{ ROUTE_IP_ALLOWLIST, "PUT", T "/webhook/ip-allowlist", SRV_BODY },
	{ ROUTE_IP_ALLOWLIST, "PUT", T "/webhooks/ip-allowlist", SRV_BODY },
	{ ROUTE_PAYLOAD_LIMIT, "PUT", T "/webhook/payload-limit", SRV_BODY },
	{ ROUTE_PAYLOAD_LIMIT, "PUT", T "/webhooks/payload-limit", SRV_BODY },
	{ ROUTE_KEY_LIST, "GET", T "/webhook/keys", 0 },
	{ ROUTE_KEY_LIST, "GET", T "/webhooks/keys", 0 },
	{ ROUTE_KEY_ADD, "POST", T "/webhook/keys", SRV_BODY },
	{ ROUTE_KEY_ADD, "POST", T "/webhooks/keys", SRV_BODY },
	{ ROUTE_KEY_REVOKE, "DELETE", T "/webhook/keys/:id", 0 },
	{ ROUTE_KEY_REVOKE, "DELETE", T "/webhooks/keys/:id", 0 },
	{ ROUTE_STATS, "GET", T "/stats", 0 },
	{ ROUTE_STATS, "GET", T "/webhooks/stats", 0 },
	{ ROUTE_EVENT_LIST, "GET", "/api/v1/events", 0 },
	{ ROUTE_EVENT_GET, "GET", "/api/v1/events/:id", 0 },
};

#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

/* --- shared ------------------------------------------------------------- */

/* "github.push": the outbound event-type shape (sql/003_outbound.sql). */
static int
ref_valid(const char *s)
{
	size_t	 i, seg = 0, dots = 0;

	if (s == NULL || strlen(s) > REF_MAX)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '.') {
			if (seg == 0)
				return 0;
			seg = 0;
			dots++;
		} else if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-')
			seg++;
		else
			return 0;
	}
	return dots > 0 && seg > 0;
}

/*
 * A trigger named in a URL, by ref or (seed 002's spelling) numeric id:
 * p[0] is the id or NULL, p[1] the ref or NULL, for
 * "WHERE t.id = $1 OR t.ref = $2".
 */
struct tref {
	const char	*p[2];
	char		 id[24];
};

static int
tref_parse(struct req *r, const char *s, struct tref *t)
{
	long long	 id;

	t->p[0] = t->p[1] = NULL;
	if (s != NULL && isdigit((unsigned char)s[0]) &&
	    parse_int(s, 1, (1LL << 62), &id) == 0) {
		snprintf(t->id, sizeof(t->id), "%lld", id);
		t->p[0] = t->id;
		return 0;
	}
	if (!ref_valid(s)) {
		resp_error(r, 404, "not_found", "Trigger '%.128s' does not "
		    "exist", s ? s : "");
		return -1;
	}
	t->p[1] = s;
	return 0;
}

static void
not_found(struct req *r)
{
	resp_error(r, 404, "not_found", "Trigger '%.128s' does not exist",
	    r->params[0]);
}

/* The base of webhook URLs: HOOKPOST_PUBLIC_URL, else this request's. */
static char *
base_url_new(const struct req *r)
{
	const char	*host, *https;
	char		*b;
	size_t		 n;

	if (cfg.public_url != NULL && *cfg.public_url != '\0')
		b = xstrdup(cfg.public_url);
	else {
		host = req_header(r, "Host");
		https = req_env(r, "HTTPS");
		b = xasprintf("%s://%s%s", https != NULL &&
		    strcmp(https, "on") == 0 ? "https" : "http",
		    host != NULL ? host : "localhost",
		    cfg.base_path != NULL ? cfg.base_path : "");
	}
	n = strlen(b);
	while (n > 0 && b[n - 1] == '/')
		b[--n] = '\0';
	return b;
}

/*
 * Replaces the sealed key at o[enc_name] by the key (o[key_name]) and its
 * webhook URL (o[url_name]); null when there is none.  0 or -1.
 */
static int
key_unseal(json_t *o, const char *enc_name, const char *key_name,
    const char *url_name, const char *base)
{
	const char	*enc;
	char		*key, *url;

	enc = json_string_value(json_object_get(o, enc_name));
	if (enc == NULL) {
		json_object_set_new(o, key_name, json_null());
		json_object_set_new(o, url_name, json_null());
		json_object_del(o, enc_name);
		return 0;
	}
	if ((key = crypt_secret_open(enc)) == NULL)
		return -1;
	url = xasprintf("%s/api/v1/webhooks/%s", base, key);
	json_object_set_new(o, key_name, json_string(key));
	json_object_set_new(o, url_name, json_string(url));
	json_object_del(o, enc_name);
	explicit_bzero(key, strlen(key));
	free(key);
	free(url);
	return 0;
}

/*
 * A trigger, webhook-info or key row (sql/004_triggers.sql) made
 * presentable: sealed keys opened into webhook_key/webhook_url, key/url
 * and keys[].key/url.
 * Returns a new reference, or NULL after answering.
 */
static json_t *
row_present(struct req *r, const char *text)
{
	json_t	*j, *k;
	char	*base;
	size_t	 i;
	int	 rc = 0;

	if ((j = json_loads(text, 0, NULL)) == NULL) {
		resp_error(r, 500, "internal", "Malformed row");
		return NULL;
	}
	base = base_url_new(r);
	if (json_object_get(j, "webhook_key_enc") != NULL)
		rc |= key_unseal(j, "webhook_key_enc", "webhook_key",
		    "webhook_url", base);
	if (json_object_get(j, "key_enc") != NULL)
		rc |= key_unseal(j, "key_enc", "key", "url", base);
	json_array_foreach(json_object_get(j, "keys"), i, k)
		rc |= key_unseal(k, "key_enc", "key", "url", base);
	free(base);
	if (rc != 0) {
		json_decref(j);
		resp_error(r, 503, "unavailable", "Key storage unavailable "
		    "(HOOKPOST_SECRET_KEY_FILE)");
		return NULL;
	}
	return j;
}

/* Answers {"data": row} with the keys opened. */
static void
answer_row(struct req *r, int status, const char *text)
{
	json_t	*j;

	if ((j = row_present(r, text)) != NULL)
		resp_json(r, status, json_pack("{s:o}", "data", j));
}

/* A new key: its text, SHA-256 hex for lookup, sealed copy.  0 or -1. */
struct newkey {
	char	*key;
	char	 hash[65];
	char	*sealed;
};

static int
newkey_make(struct req *r, struct newkey *k)
{
	memset(k, 0, sizeof(*k));
	if ((k->key = crypt_token_new(KEY_PREFIX, KEY_RANDOM)) == NULL) {
		resp_error(r, 500, "internal", "No randomness");
		return -1;
	}
	crypt_sha256_hex(k->key, strlen(k->key), k->hash);
	if ((k->sealed = crypt_secret_seal(k->key)) == NULL) {
		resp_error(r, 503, "unavailable", "Key storage unavailable "
		    "(HOOKPOST_SECRET_KEY_FILE)");
		return -1;
	}
	return 0;
}

static void
newkey_free(struct newkey *k)
{
	if (k->key != NULL) {
		explicit_bzero(k->key, strlen(k->key));
		free(k->key);
	}
	free(k->sealed);
	memset(k, 0, sizeof(*k));
}

/* Key labels: [A-Za-z0-9][A-Za-z0-9 ._:-]{0,63}. */
static int
label_valid(const char *s)
{
	size_t	 i;

	if (s == NULL || !isalnum((unsigned char)s[0]))
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i == 64)
			return 0;
		if (!isalnum((unsigned char)s[i]) && strchr(" ._:-", s[i]) ==
		    NULL)
			return 0;
	}
	return 1;
}

/* The JSON body when there may be none: NULL and no answer if empty. */
static int
optional_body(struct req *r, json_t **out)
{
	size_t	 i;

	*out = NULL;
	for (i = 0; i < r->bodylen; i++)
		if (!isspace((unsigned char)r->body[i]))
			break;
	if (i == r->bodylen)
		return 0;
	return (*out = req_json_object(r)) == NULL ? -1 : 0;
}

/* --- the receiver --------------------------------------------------------- */

/* What the receiver knows of the key's trigger after its one read. */
struct rtrig {
	char		*trigger_id, *ref, *key_id;
	char		*label, *algorithm, *secret_enc, *allowlist;
	char		*rate_requests, *rate_window;
	int		 enabled, hmac_enabled, allowlist_enabled;
	int		 rate_enabled;
	int		 unreadable;	/* a stored schema or mapping */
	long long	 limit_kb;
	enum provider	 preset;
	json_t		*mapping, *schema;
};

/* The one read: the key joined with its trigger's whole configuration. */
#define RECV_READ \
	"SELECT k.id, k.label, t.id, t.ref, t.webhook_enabled," \
	" t.payload_limit_kb, t.ip_allowlist_enabled," \
	" array_to_string(t.ip_allowlist, ','), t.rate_limit_enabled," \
	" t.rate_limit_requests, t.rate_limit_window_seconds," \
	" t.hmac_enabled, t.hmac_algorithm, t.hmac_secret_enc, t.preset," \
	" t.payload_mapping, t.payload_schema" \
	" FROM hookpost.trigger_keys k" \
	" JOIN hookpost.triggers t ON t.id = k.trigger_id" \
	" WHERE k.key_hash = $1 AND k.revoked_at IS NULL"

static char *
dup_or_null(const PGresult *res, int col)
{
	const char	*v = db_get(res, 0, col);

	return v != NULL ? xstrdup(v) : NULL;
}

static void
rtrig_fill(const PGresult *res, struct rtrig *t)
{
	long long	 n;
	const char	*v;

	t->key_id = dup_or_null(res, 0);
	t->label = dup_or_null(res, 1);
	t->trigger_id = dup_or_null(res, 2);
	t->ref = dup_or_null(res, 3);
	t->enabled = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
	t->limit_kb = parse_int(PQgetvalue(res, 0, 5), 1, 65536, &n) == 0 ?
	    n : 1024;
	t->allowlist_enabled = strcmp(PQgetvalue(res, 0, 6), "t") == 0;
	t->allowlist = dup_or_null(res, 7);
	t->rate_enabled = strcmp(PQgetvalue(res, 0, 8), "t") == 0;
	t->rate_requests = dup_or_null(res, 9);
	t->rate_window = dup_or_null(res, 10);
	t->hmac_enabled = strcmp(PQgetvalue(res, 0, 11), "t") == 0;
	t->algorithm = dup_or_null(res, 12);
	t->secret_enc = dup_or_null(res, 13);
	if (provider_parse(db_get(res, 0, 14), &t->preset) == -1)
		t->preset = PROVIDER_NONE;
	/* A schema that cannot be read must not mean "no schema". */
	if ((v = db_get(res, 0, 15)) != NULL &&
	    (t->mapping = json_loads(v, 0, NULL)) == NULL)
		t->unreadable = 1;
	if ((v = db_get(res, 0, 16)) != NULL &&
	    (t->schema = json_loads(v, 0, NULL)) == NULL)
		t->unreadable = 1;
	if (t->unreadable)
		log_error("trigger %s: stored payload_schema or payload_mapping "
		    "is not JSON", t->ref);
}

static void
rtrig_free(struct rtrig *t)
{
	free(t->trigger_id);
	free(t->ref);
	free(t->key_id);
	free(t->label);
	free(t->algorithm);
	free(t->secret_enc);
	free(t->allowlist);
	free(t->rate_requests);
	free(t->rate_window);
	json_decref(t->mapping);
	json_decref(t->schema);
	memset(t, 0, sizeof(*t));
}

/* One receiver request, for the audit row. */
struct recv {
	struct req	*r;
	struct rtrig	 t;
	int		 found;
	char		 ip[64];	/* the client (lib/cidr), else the peer */
	int		 ip_ok;
	char		 sha[65];
	const char	*sha_p;		/* NULL until the body is read */
	char		 size[24];
	const char	*size_p;
};

static const char *
recv_header(void *ctx, const char *name)
{
	return req_header(ctx, name);
}

/*
 * Refuses at checks 1-3, which come before the rate limiter: drain the
 * body, write the audit row and counters (one statement), answer.
 */
static void
recv_refuse(struct recv *rv, int status, const char *code, const char *msg)
{
	static const char sql[] = "SELECT hookpost.request_log('trigger', $1,"
	    " $2, $3, $4, $5, 'rejected', $6, $7, $8, $9, NULL, NULL)";
	char		 st[8], ms[32];
	const char	*p[9];
	PGresult	*res;

	srv_body_drain(rv->r);
	snprintf(st, sizeof(st), "%d", status);
	snprintf(ms, sizeof(ms), "%.3f", req_elapsed_ms(rv->r));
	p[0] = rv->found ? rv->t.ref : NULL;
	p[1] = rv->found ? rv->t.key_id : NULL;
	p[2] = rv->ip;
	p[3] = rv->r->user_agent;
	p[4] = st;
	p[5] = code;
	p[6] = ms;
	p[7] = rv->sha_p;
	p[8] = rv->size_p;
	if ((res = db_exec("trig_refuse", sql, 9, p)) != NULL)
		PQclear(res);
	resp_error(rv->r, status, code, "%s", msg);
}

/* {"http_status": s, "body": {"error": {...}}} for trigger_receive(). */
static json_t *
refusal_new(int status, const char *code, const char *msg, const char *path)
{
	json_t	*err;

	err = json_pack("{s:s,s:s}", "code", code, "message", msg);
	if (path != NULL)
		json_object_set_new(err, "path", json_string(path));
	return json_pack("{s:i,s:{s:o}}", "http_status", status, "body",
	    "error", err);
}

/* Checks 5-6 and the event: a refusal, a handshake, or the payload. */
struct outcome {
	json_t		*refusal, *handshake, *payload, *metadata;
	const char	*delivery_id;
	json_t		*source;	/* the parsed body, owns delivery_id */
};

static void
outcome_free(struct outcome *o)
{
	json_decref(o->refusal);
	json_decref(o->handshake);
	json_decref(o->payload);
	json_decref(o->metadata);
	json_decref(o->source);
	memset(o, 0, sizeof(*o));
}

/* seed 002 "Webhook Event Metadata": never the key itself. */
static json_t *
metadata_new(const struct recv *rv, const char *delivery_id)
{
	json_t		*m, *h;
	const char	*v;
	size_t		 i;

	h = json_object();
	for (i = 0; provider_kept_headers[i] != NULL; i++)
		if ((v = req_header(rv->r, provider_kept_headers[i])) != NULL)
			json_object_set_new(h, provider_kept_headers[i],
			    json_string(v));
	m = json_pack("{s:s,s:s,s:s,s:s,s:s?,s:o}", "source", "webhook",
	    "webhook_key_id", rv->t.key_id, "webhook_key_label",
	    rv->t.label, "source_ip", rv->ip, "user_agent",
	    rv->r->user_agent, "headers", h);
	if (m == NULL)
		return NULL;
	if (provider_name(rv->t.preset) != NULL)
		json_object_set_new(m, "preset",
		    json_string(provider_name(rv->t.preset)));
	if (delivery_id != NULL)
		json_object_set_new(m, "delivery_id", json_string(delivery_id));
	return m;
}

static void
checks_after_limit(struct recv *rv, struct outcome *o)
{
	struct req		*r = rv->r;
	struct provider_msg	 m;
	enum provider_verdict	 v;
	const char		*why;
	char			*secret = NULL, path[SCHEMA_PATH_MAX];
	char			 err[256], msg[640];
	json_t			*reply = NULL;
	int			 env;

	m.header = recv_header;
	m.ctx = r;
	m.body = r->body;
	m.bodylen = r->bodylen;
	m.now = (long long)time(NULL);
	m.tolerance = PROVIDER_TOLERANCE;

	/* 5. HMAC; a preset's scheme, or seed 002's own. */
	if (rv->t.hmac_enabled) {
		if (rv->t.secret_enc != NULL)
			secret = crypt_secret_open(rv->t.secret_enc);
		v = provider_verify(rv->t.preset, rv->t.algorithm, secret, &m,
		    &why);
		if (secret != NULL) {
			explicit_bzero(secret, strlen(secret));
			free(secret);
		}
		if (v != PROVIDER_OK) {
			o->refusal = refusal_new(401, v == PROVIDER_EXPIRED ?
			    "timestamp_expired" : "invalid_signature", why,
			    NULL);
			return;
		}
	}

	/* 6. JSON, then payload_schema. */
	o->source = provider_payload_new(rv->t.preset,
	    req_env(r, "CONTENT_TYPE"), r->body, r->bodylen);
	if (o->source == NULL) {
		o->refusal = refusal_new(400, "invalid_json",
		    "Request body is not valid JSON", NULL);
		return;
	}
	if (!valid_depth(o->source, JSON_MAX_DEPTH)) {
		o->refusal = refusal_new(400, "invalid_json", "Request body "
		    "nests deeper than 32 levels", NULL);
		return;
	}
	if (provider_handshake(rv->t.preset, &m, o->source, &reply, &env)) {
		o->handshake = env ? json_pack("{s:o}", "data", reply) : reply;
		return;
	}
	if (rv->t.schema != NULL && schema_validate(rv->t.schema, o->source,
	    path, sizeof(path), err, sizeof(err)) == -1) {
		snprintf(msg, sizeof(msg), "Payload does not match the "
		    "trigger's payload_schema at %s: %s", path, err);
		o->refusal = refusal_new(400, "invalid_payload", msg, path);
		return;
	}

	/* seed 002 "Payload Transformation": pass-through or JSONPath. */
	o->payload = rv->t.mapping != NULL ?
	    jsonpath_map_apply(rv->t.mapping, o->source) :
	    json_incref(o->source);
	o->delivery_id = provider_delivery_id(rv->t.preset, &m, o->source);
	o->metadata = metadata_new(rv, o->delivery_id);
}

static char *
dumps_or_null(const json_t *j)
{
	return j != NULL ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) :
	    NULL;
}

/* Answers what trigger_receive() returned. */
static void
recv_answer(struct req *r, const char *result)
{
	json_t		*j;
	char		*body, hdr[64];
	json_int_t	 status, wait;

	if ((j = json_loads(result, 0, NULL)) == NULL) {
		resp_error(r, 500, "internal", "Malformed result");
		return;
	}
	status = json_integer_value(json_object_get(j, "http_status"));
	wait = json_integer_value(json_object_get(j, "retry_after"));
	body = json_dumps(json_object_get(j, "body"), JSON_COMPACT);
	json_decref(j);
	if (body == NULL || status < 200 || status > 599) {
		free(body);
		resp_error(r, 500, "internal", "Malformed result");
		return;
	}
	hdr[0] = '\0';
	/* RFC 9110 10.2.3 / RFC 6585 4: when to come back. */
	if (wait > 0)
		snprintf(hdr, sizeof(hdr), "Retry-After: %lld\r\n",
		    (long long)wait);
	resp_send(r, (int)status, "application/json", hdr[0] ? hdr : NULL,
	    body, strlen(body));
	free(body);
}

/* 1 when key is "wh_" + 32 alphanumerics. */
static int
key_shape_ok(const char *key)
{
	size_t	 i;

	if (strlen(key) != KEY_LEN || strncmp(key, KEY_PREFIX,
	    sizeof(KEY_PREFIX) - 1) != 0)
		return 0;
	for (i = sizeof(KEY_PREFIX) - 1; i < KEY_LEN; i++)
		if (!isalnum((unsigned char)key[i]))
			return 0;
	return 1;
}

/*
 * POST /api/v1/webhooks/:webhook_key.  Issue 3's checks, in order: 1 key
 * unknown 404 / trigger disabled 403; 2 size 413, from the length before
 * the body is read; 3 IP allow list 403; 4 rate limit 429; 5 HMAC 401;
 * 6 JSON and payload_schema 400.  One read, then one write
 * (hookpost.trigger_receive applies 4, then the outcome of 5-6 computed
 * here, and makes the event).
 */
static void
receive(struct req *r)
{
	static const char sql_write[] = "SELECT hookpost.trigger_receive($1,"
	    " $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
	    " $16)";
	struct recv		 rv;
	struct outcome		 o;
	struct cidr_addr	 addr;
	PGresult		*res = NULL;
	const char		*key, *p[16];
	char			 hash[65], ms[32];
	char			*refusal = NULL, *handshake = NULL;
	char			*payload = NULL, *metadata = NULL;
	size_t			 limit;

	memset(&rv, 0, sizeof(rv));
	memset(&o, 0, sizeof(o));
	rv.r = r;
	key = r->params[0];
	if (r->content_length >= 0) {
		snprintf(rv.size, sizeof(rv.size), "%lld", r->content_length);
		rv.size_p = rv.size;
	}
	rv.ip_ok = cidr_client_addr(r->remote_addr,
	    req_header(r, "X-Forwarded-For"), cfg.trusted_proxies, &addr,
	    rv.ip, sizeof(rv.ip)) == 0;
	if (!rv.ip_ok)
		snprintf(rv.ip, sizeof(rv.ip), "%s", r->remote_addr ?
		    r->remote_addr : "");

	/* 1. The key, then whether its trigger takes webhooks. */
	if (!key_shape_ok(key)) {
		recv_refuse(&rv, 404, "not_found", "Unknown webhook key");
		goto out;
	}
	crypt_sha256_hex(key, strlen(key), hash);
	p[0] = hash;
	if ((res = db_exec("trig_read", RECV_READ, 1, p)) == NULL) {
		srv_body_drain(r);
		resp_db_error(r);
		goto out;
	}
	if (PQntuples(res) == 0) {
		recv_refuse(&rv, 404, "not_found", "Unknown webhook key");
		goto out;
	}
	rtrig_fill(res, &rv.t);
	rv.found = 1;
	PQclear(res);
	res = NULL;
	if (!rv.t.enabled) {
		recv_refuse(&rv, 403, "webhook_disabled",
		    "Webhooks are disabled for this trigger");
		goto out;
	}
	if (rv.t.unreadable) {
		srv_body_drain(r);
		resp_error(r, 500, "internal", "The trigger's configuration "
		    "cannot be read");
		goto out;
	}

	/* 2. Size: from Content-Length before reading, else while reading. */
	limit = (size_t)rv.t.limit_kb * 1024;
	if (limit > cfg.max_body)
		limit = cfg.max_body;
	if (srv_body_read(r, limit) == -1) {
		char	 msg[96];

		snprintf(msg, sizeof(msg), "Request body exceeds this "
		    "trigger's %zu byte limit", limit);
		recv_refuse(&rv, 413, "payload_too_large", msg);
		goto out;
	}
	crypt_sha256_hex(r->body, r->bodylen, rv.sha);
	rv.sha_p = rv.sha;
	snprintf(rv.size, sizeof(rv.size), "%zu", r->bodylen);
	rv.size_p = rv.size;

	/* 3. IP allow list; an address we cannot tell is refused. */
	if (rv.t.allowlist_enabled) {
		if (!rv.ip_ok) {
			recv_refuse(&rv, 403, "ip_not_allowed", "The client "
			    "address could not be determined");
			goto out;
		}
		if (!cidr_list_contains(rv.t.allowlist, &addr)) {
			recv_refuse(&rv, 403, "ip_not_allowed", "The client "
			    "address is not in this trigger's IP allow list");
			goto out;
		}
	}

	/* 5-6 here; 4 and the rest in the one write. */
	checks_after_limit(&rv, &o);
	refusal = dumps_or_null(o.refusal);
	handshake = dumps_or_null(o.handshake);
	payload = dumps_or_null(o.payload);
	metadata = dumps_or_null(o.metadata);
	snprintf(ms, sizeof(ms), "%.3f", req_elapsed_ms(r));
	p[0] = rv.t.trigger_id;
	p[1] = rv.t.ref;
	p[2] = rv.t.key_id;
	p[3] = rv.t.rate_enabled ? "t" : "f";
	p[4] = rv.t.rate_requests;
	p[5] = rv.t.rate_window;
	p[6] = refusal;
	p[7] = handshake;
	p[8] = payload;
	p[9] = metadata;
	p[10] = o.delivery_id;
	p[11] = rv.ip;
	p[12] = r->user_agent;
	p[13] = ms;
	p[14] = rv.sha_p;
	p[15] = rv.size_p;
	if (refusal == NULL && handshake == NULL &&
	    (payload == NULL || metadata == NULL)) {
		resp_error(r, 500, "internal", "Cannot build the event");
		goto out;
	}
	if ((res = db_exec("trig_write", sql_write, 16, p)) == NULL) {
		resp_error(r, 503, "unavailable", "Database unavailable; the "
		    "event was not accepted, retry later");
		goto out;
	}
	recv_answer(r, PQgetvalue(res, 0, 0));
out:
	PQclear(res);
	free(refusal);
	free(handshake);
	free(payload);
	free(metadata);
	outcome_free(&o);
	rtrig_free(&rv.t);
}

/* --- triggers (admin) ----------------------------------------------------- */

static const struct vfield trigger_fields[] = {
	{ "ref", V_STRING, 0, 3, REF_MAX, NULL, 0 },
	{ "description", V_STRING, 0, 0, 1024, NULL, 0 },
	{ "payload_schema", V_OBJECT, 0, 0, 0, NULL, 1 },
	{ "payload_mapping", V_OBJECT, 0, 0, 0, NULL, 1 },
	{ "preset", V_ENUM, 0, 0, 0, provider_names, 1 },
};

/*
 * Checks what a create or update may set beyond its types: the ref's
 * shape, the schema (lib/schema subset), the mapping (JSONPath).  Fills
 * the JSON texts (new strings, or NULL).  Returns 0, or -1 after
 * answering 400.
 */
static int
trigger_body_check(struct req *r, json_t *body, char **schema,
    char **mapping)
{
	const char	*ref;
	json_t		*v;
	char		 err[512];

	*schema = *mapping = NULL;
	if (valid_object(r, body, trigger_fields, sizeof(trigger_fields) /
	    sizeof(trigger_fields[0])) == -1)
		return -1;
	ref = json_string_value(json_object_get(body, "ref"));
	if (ref != NULL && !ref_valid(ref)) {
		resp_error(r, 400, "invalid_field", "Field 'ref' must look like "
		    "github.push: lower-case words of [a-z0-9_-] joined by dots");
		return -1;
	}
	if ((v = json_object_get(body, "payload_schema")) != NULL &&
	    !json_is_null(v)) {
		if (schema_check(v, err, sizeof(err)) == -1) {
			resp_error(r, 400, "invalid_field", "payload_schema: %s",
			    err);
			return -1;
		}
		*schema = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	if ((v = json_object_get(body, "payload_mapping")) != NULL &&
	    !json_is_null(v)) {
		if (jsonpath_map_valid(v, err, sizeof(err)) == -1) {
			resp_error(r, 400, "invalid_field", "payload_mapping: %s",
			    err);
			free(*schema);
			*schema = NULL;
			return -1;
		}
		*mapping = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	return 0;
}

static void
trigger_create(struct req *r)
{
	static const char sql[] = "SELECT hookpost.trigger_json(t)::text"
	    " FROM hookpost.trigger_create($1, $2, $3::json, $4::json, $5) t";
	json_t		*body = NULL;
	char		*schema = NULL, *mapping = NULL;
	const char	*p[5];
	PGresult	*res = NULL;

	if (auth_require(r, AUTH_ADMIN) == -1 ||
	    (body = req_json_object(r)) == NULL ||
	    trigger_body_check(r, body, &schema, &mapping) == -1)
		goto out;
	if ((p[0] = json_string_value(json_object_get(body, "ref"))) == NULL) {
		resp_error(r, 400, "invalid_field", "Field 'ref' is required");
		goto out;
	}
	p[1] = json_string_value(json_object_get(body, "description"));
	p[2] = schema;
	p[3] = mapping;
	p[4] = json_string_value(json_object_get(body, "preset"));
	if ((res = db_exec("trig_create", sql, 5, p)) == NULL) {
		if (strcmp(db_last_sqlstate(), "23505") == 0)
			resp_error(r, 409, "conflict", "Trigger '%s' already "
			    "exists", p[0]);
		else
			resp_db_error(r);
		goto out;
	}
	answer_row(r, 201, PQgetvalue(res, 0, 0));
out:
	PQclear(res);
	json_decref(body);
	free(schema);
	free(mapping);
}

/* PUT: changes the fields given; null clears schema, mapping, preset. */
static void
trigger_put(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.triggers t SET"
	    " description = coalesce($3, t.description),"
	    " payload_schema = CASE WHEN $4 THEN $5::json"
	    "  ELSE t.payload_schema END,"
	    " payload_mapping = CASE WHEN $6 THEN $7::json"
	    "  ELSE t.payload_mapping END,"
	    " preset = CASE WHEN $8 THEN $9 ELSE t.preset END,"
	    " hmac_enabled = t.hmac_enabled OR ($8 AND $9 IS NOT NULL),"
	    " updated_at = now()"
	    " WHERE t.id = $1 OR t.ref = $2"
	    " RETURNING hookpost.trigger_json(t)::text";
	struct tref	 tr;
	json_t		*body = NULL, *v;
	char		*schema = NULL, *mapping = NULL;
	const char	*p[9], *ref;
	PGresult	*res = NULL;

	if (auth_require(r, AUTH_ADMIN) == -1 ||
	    tref_parse(r, r->params[0], &tr) == -1 ||
	    (body = req_json_object(r)) == NULL ||
	    trigger_body_check(r, body, &schema, &mapping) == -1)
		goto out;
	ref = json_string_value(json_object_get(body, "ref"));
	if (ref != NULL && (tr.p[1] == NULL || strcmp(ref, tr.p[1]) != 0)) {
		resp_error(r, 400, "invalid_field", "A trigger's ref cannot "
		    "change; create another trigger");
		goto out;
	}
	p[0] = tr.p[0];
	p[1] = tr.p[1];
	p[2] = json_string_value(json_object_get(body, "description"));
	p[3] = json_object_get(body, "payload_schema") != NULL ? "t" : "f";
	p[4] = schema;
	p[5] = json_object_get(body, "payload_mapping") != NULL ? "t" : "f";
	p[6] = mapping;
	v = json_object_get(body, "preset");
	p[7] = v != NULL ? "t" : "f";
	p[8] = json_string_value(v);
	if ((res = db_exec("trig_put", sql, 9, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (PQntuples(res) == 0)
		not_found(r);
	else
		answer_row(r, 200, PQgetvalue(res, 0, 0));
out:
	PQclear(res);
	json_decref(body);
	free(schema);
	free(mapping);
}

static void
trigger_get(struct req *r)
{
	static const char sql[] = "SELECT hookpost.trigger_json(t)::text"
	    " FROM hookpost.triggers t WHERE t.id = $1 OR t.ref = $2";
	struct tref	 tr;
	PGresult	*res;

	if (auth_require(r, AUTH_ADMIN) == -1 ||
	    tref_parse(r, r->params[0], &tr) == -1)
		return;
	if ((res = db_exec("trig_get", sql, 2, tr.p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if (PQntuples(res) == 0)
		not_found(r);
	else
		answer_row(r, 200, PQgetvalue(res, 0, 0));
	PQclear(res);
}

static void
trigger_list(struct req *r)
{
	static const char sql[] = "SELECT hookpost.trigger_json(t)::text,"
	    " t.id::text FROM hookpost.triggers t"
	    " WHERE ($1::bigint IS NULL OR t.id > $1::bigint)"
	    " ORDER BY t.id LIMIT $2";
	char		*ca = NULL, *cb = NULL, *cursor = NULL, lim[24];
	const char	*p[2];
	long long	 limit, id;
	PGresult	*res = NULL;
	json_t		*data = NULL, *row;
	int		 i, n;

	if (auth_require(r, AUTH_ADMIN) == -1 ||
	    page_args(r, 50, 200, &limit, &ca, &cb) == -1)
		goto out;
	if (ca != NULL && parse_int(ca, 1, (1LL << 62), &id) == -1) {
		resp_error(r, 400, "invalid_field", "cursor is not valid");
		goto out;
	}
	p[0] = ca;
	snprintf(lim, sizeof(lim), "%lld", limit + 1);
	p[1] = lim;
	if ((res = db_exec("trig_list", sql, 2, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	data = json_array();
	n = PQntuples(res);
	for (i = 0; i < n && i < limit; i++) {
		if ((row = row_present(r, PQgetvalue(res, i, 0))) == NULL)
			goto out;
		json_array_append_new(data, row);
	}
	if (n > limit)
		cursor = page_cursor_new(PQgetvalue(res, (int)limit - 1, 1),
		    NULL);
	resp_list(r, data, cursor);
	data = NULL;
out:
	json_decref(data);
	PQclear(res);
	free(ca);
	free(cb);
	free(cursor);
}

static void
trigger_delete(struct req *r)
{
	static const char sql[] = "DELETE FROM hookpost.triggers t"
	    " WHERE t.id = $1 OR t.ref = $2";
	struct tref	 tr;
	PGresult	*res;

	if (auth_require(r, AUTH_ADMIN) == -1 ||
	    tref_parse(r, r->params[0], &tr) == -1)
		return;
	if ((res = db_exec("trig_delete", sql, 2, tr.p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if (strcmp(PQcmdTuples(res), "0") == 0)
		not_found(r);
	else
		resp_send(r, 204, "application/json", NULL, "", 0);
	PQclear(res);
}

/* --- webhook management ---------------------------------------------------- */

/*
 * The trigger's id for a management route, or -1 after answering (404,
 * 503).  id: at least 24 bytes.  *preset, if asked for, is its preset.
 */
static int
trigger_resolve_preset(struct req *r, char *id, size_t idsz,
    enum provider *preset)
{
	static const char sql[] = "SELECT t.id, t.preset"
	    " FROM hookpost.triggers t WHERE t.id = $1 OR t.ref = $2";
	struct tref	 tr;
	PGresult	*res;
	int		 rc = -1;

	if (auth_require(r, AUTH_ADMIN) == -1 ||
	    tref_parse(r, r->params[0], &tr) == -1)
		return -1;
	if ((res = db_exec("trig_resolve", sql, 2, tr.p)) == NULL) {
		resp_db_error(r);
		return -1;
	}
	if (PQntuples(res) == 0)
		not_found(r);
	else {
		snprintf(id, idsz, "%s", PQgetvalue(res, 0, 0));
		if (preset != NULL && provider_parse(db_get(res, 0, 1),
		    preset) == -1)
			*preset = PROVIDER_NONE;
		rc = 0;
	}
	PQclear(res);
	return rc;
}

static int
trigger_resolve(struct req *r, char *id, size_t idsz)
{
	return trigger_resolve_preset(r, id, idsz, NULL);
}

/* Answers {"data": webhook info} for trigger id, with extra members. */
static void
answer_info(struct req *r, const char *id, json_t *extra)
{
	static const char sql[] =
	    "SELECT hookpost.trigger_webhook_info($1)::text";
	const char	*p[1] = { id };
	PGresult	*res;
	json_t		*j;

	if ((res = db_exec("trig_info", sql, 1, p)) == NULL) {
		json_decref(extra);
		resp_db_error(r);
		return;
	}
	if (PQgetisnull(res, 0, 0)) {
		json_decref(extra);
		not_found(r);
	} else if ((j = row_present(r, PQgetvalue(res, 0, 0))) != NULL) {
		if (extra != NULL)
			json_object_update(j, extra);
		resp_json(r, 200, json_pack("{s:o}", "data", j));
	}
	json_decref(extra);
	PQclear(res);
}

static void
webhook_info(struct req *r)
{
	char	 id[24];

	if (trigger_resolve(r, id, sizeof(id)) == 0)
		answer_info(r, id, NULL);
}

/* seed 002 "Enable Webhooks for Trigger": the first enable makes a key. */
static void
webhook_enable(struct req *r)
{
	static const char sql[] =
	    "SELECT hookpost.trigger_webhook_enable($1, $2, $3)";
	struct newkey	 k;
	const char	*p[3];
	char		 id[24];
	PGresult	*res;

	memset(&k, 0, sizeof(k));
	if (trigger_resolve(r, id, sizeof(id)) == -1 ||
	    newkey_make(r, &k) == -1)
		goto out;
	p[0] = id;
	p[1] = k.hash;
	p[2] = k.sealed;
	if ((res = db_exec("trig_enable", sql, 3, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	PQclear(res);
	answer_info(r, id, json_pack("{s:b}", "webhook_enabled", 1));
out:
	newkey_free(&k);
}

/* Disable keeps the keys but refuses them (403 webhook_disabled). */
static void
webhook_disable(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.triggers"
	    " SET webhook_enabled = false, updated_at = now() WHERE id = $1";
	const char	*p[1];
	char		 id[24];
	PGresult	*res;

	if (trigger_resolve(r, id, sizeof(id)) == -1)
		return;
	p[0] = id;
	if ((res = db_exec("trig_disable", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	PQclear(res);
	answer_info(r, id, json_pack("{s:b}", "webhook_enabled", 0));
}

static const struct vfield label_fields[] = {
	{ "label", V_STRING, 0, 1, 64, NULL, 0 },
};

/*
 * seed 002 "Regenerate Webhook Key": a new key; every key active before
 * stops working at once ("previous_key_revoked": true).
 */
static void
webhook_regenerate(struct req *r)
{
	static const char sql[] =
	    "SELECT hookpost.trigger_webhook_regenerate($1, $2, $3, $4)";
	struct newkey	 k;
	json_t		*body = NULL;
	const char	*p[4];
	char		 id[24];
	PGresult	*res = NULL;
	int		 revoked;

	memset(&k, 0, sizeof(k));
	if (trigger_resolve(r, id, sizeof(id)) == -1 ||
	    optional_body(r, &body) == -1)
		goto out;
	if (body != NULL && valid_object(r, body, label_fields, 1) == -1)
		goto out;
	p[1] = json_string_value(json_object_get(body, "label"));
	if (p[1] != NULL && !label_valid(p[1])) {
		resp_error(r, 400, "invalid_field", "Field 'label' must be 1-64 "
		    "of letters, digits, space, '.', '_', ':', '-'");
		goto out;
	}
	if (newkey_make(r, &k) == -1)
		goto out;
	p[0] = id;
	p[2] = k.hash;
	p[3] = k.sealed;
	if ((res = db_exec("trig_regenerate", sql, 4, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	revoked = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
	answer_info(r, id, json_pack("{s:b}", "previous_key_revoked",
	    revoked));
out:
	PQclear(res);
	json_decref(body);
	newkey_free(&k);
}

static void
key_list(struct req *r)
{
	static const char sql[] =
	    "SELECT hookpost.trigger_webhook_info($1)::text";
	const char	*p[1];
	char		 id[24];
	PGresult	*res;
	json_t		*j;

	if (trigger_resolve(r, id, sizeof(id)) == -1)
		return;
	p[0] = id;
	if ((res = db_exec("trig_info", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if ((j = row_present(r, PQgetvalue(res, 0, 0))) != NULL) {
		resp_list(r, json_incref(json_object_get(j, "keys")), NULL);
		json_decref(j);
	}
	PQclear(res);
}

/* Another active key with its label: rotation without downtime. */
static void
key_add(struct req *r)
{
	static const char sql[] =
	    "SELECT hookpost.trigger_key_add($1, $2, $3, $4)::text";
	struct newkey	 k;
	json_t		*body = NULL;
	const char	*p[4];
	char		 id[24];
	PGresult	*res = NULL;

	memset(&k, 0, sizeof(k));
	if (trigger_resolve(r, id, sizeof(id)) == -1 ||
	    (body = req_json_object(r)) == NULL ||
	    valid_object(r, body, label_fields, 1) == -1)
		goto out;
	p[1] = json_string_value(json_object_get(body, "label"));
	if (!label_valid(p[1])) {
		resp_error(r, 400, "invalid_field", "Field 'label' is required: "
		    "1-64 of letters, digits, space, '.', '_', ':', '-'");
		goto out;
	}
	if (newkey_make(r, &k) == -1)
		goto out;
	p[0] = id;
	p[2] = k.hash;
	p[3] = k.sealed;
	if ((res = db_exec("trig_key_add", sql, 4, p)) == NULL) {
		if (strcmp(db_last_sqlstate(), "23505") == 0)
			resp_error(r, 409, "conflict", "An active key labelled "
			    "'%s' exists", p[1]);
		else if (strcmp(db_last_sqlstate(), "P0001") == 0)
			resp_error(r, 409, "conflict", "A trigger has at most "
			    "10 active keys");
		else
			resp_db_error(r);
		goto out;
	}
	answer_row(r, 201, PQgetvalue(res, 0, 0));
out:
	PQclear(res);
	json_decref(body);
	newkey_free(&k);
}

static void
key_revoke(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.trigger_keys k"
	    " SET revoked_at = now() WHERE k.trigger_id = $1"
	    " AND k.id = $2::uuid AND k.revoked_at IS NULL";
	const char	*p[2];
	char		 id[24];
	PGresult	*res;

	if (trigger_resolve(r, id, sizeof(id)) == -1)
		return;
	if (!uuid_valid(r->params[1])) {
		resp_error(r, 404, "not_found", "No active key '%.64s' on this "
		    "trigger", r->params[1]);
		return;
	}
	p[0] = id;
	p[1] = r->params[1];
	if ((res = db_exec("trig_key_revoke", sql, 2, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if (strcmp(PQcmdTuples(res), "0") == 0)
		resp_error(r, 404, "not_found", "No active key '%.64s' on this "
		    "trigger", r->params[1]);
	else
		resp_send(r, 204, "application/json", NULL, "", 0);
	PQclear(res);
}

/* --- security configuration ----------------------------------------------- */

/*
 * Runs an UPDATE of hookpost.triggers t whose $1 is the trigger id and
 * which RETURNS hookpost.trigger_json(t)::text, then answers the row.
 */
static void
config_update(struct req *r, const char *name, const char *sql, int nparams,
    const char **p)
{
	PGresult	*res;

	if ((res = db_exec(name, sql, nparams, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if (PQntuples(res) == 0)
		not_found(r);
	else
		answer_row(r, 200, PQgetvalue(res, 0, 0));
	PQclear(res);
}

static const struct vfield hmac_fields[] = {
	{ "algorithm", V_ENUM, 0, 0, 0, provider_algorithms, 0 },
	{ "secret", V_STRING, 0, 8, 512, NULL, 0 },
};

/*
 * seed 002 phase 3 "enable_webhook_hmac(): Enable HMAC with secret
 * generation".  A given secret replaces the stored one; with none, a
 * trigger that has no secret gets a generated one (whsec_ + base64 of 24
 * random bytes, also a valid Standard Webhooks secret), shown once.
 */
static void
hmac_enable(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.triggers t SET"
	    " hmac_enabled = true,"
	    " hmac_algorithm = coalesce($2, t.hmac_algorithm),"
	    " hmac_secret_enc = CASE WHEN $3::text IS NOT NULL THEN $3"
	    "  WHEN t.hmac_secret_enc IS NULL THEN $4 ELSE t.hmac_secret_enc END,"
	    " updated_at = now()"
	    " WHERE t.id = $1"
	    " RETURNING hookpost.trigger_json(t)::text,"
	    " t.hmac_secret_enc = $4 AS generated";
	json_t		*body = NULL, *extra = NULL, *j;
	const char	*given, *p[4];
	char		*gen = NULL, *gen_sealed = NULL, *sealed = NULL, *b64;
	char		 id[24];
	unsigned char	 rnd[24], *raw;
	size_t		 rawlen;
	enum provider	 preset;
	PGresult	*res = NULL;

	if (trigger_resolve_preset(r, id, sizeof(id), &preset) == -1 ||
	    optional_body(r, &body) == -1)
		goto out;
	if (body != NULL && valid_object(r, body, hmac_fields,
	    sizeof(hmac_fields) / sizeof(hmac_fields[0])) == -1)
		goto out;
	given = json_string_value(json_object_get(body, "secret"));
	/* Standard Webhooks keys are whsec_<base64>: say so now, not at 401. */
	if (given != NULL && preset == PROVIDER_STANDARD) {
		raw = crypt_unb64_new(strncmp(given, "whsec_", 6) == 0 ?
		    given + 6 : given, &rawlen);
		free(raw);
		if (raw == NULL) {
			resp_error(r, 400, "invalid_field", "The standard preset "
			    "needs a secret of the form whsec_<base64>");
			goto out;
		}
	}
	if (given != NULL && (sealed = crypt_secret_seal(given)) == NULL)
		goto unavailable;
	if (crypt_random(rnd, sizeof(rnd)) == -1) {
		resp_error(r, 500, "internal", "No randomness");
		goto out;
	}
	b64 = crypt_b64_new(rnd, sizeof(rnd));
	gen = xasprintf("whsec_%s", b64);
	free(b64);
	if ((gen_sealed = crypt_secret_seal(gen)) == NULL)
		goto unavailable;
	p[0] = id;
	p[1] = json_string_value(json_object_get(body, "algorithm"));
	p[2] = sealed;
	p[3] = gen_sealed;
	if ((res = db_exec("trig_hmac_enable", sql, 4, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		extra = json_pack("{s:{s:s}}", "hmac", "secret", gen);
	if ((j = row_present(r, PQgetvalue(res, 0, 0))) != NULL) {
		if (extra != NULL)
			json_object_update_recursive(j, extra);
		resp_json(r, 200, json_pack("{s:o}", "data", j));
	}
	goto out;
unavailable:
	resp_error(r, 503, "unavailable", "Secret storage unavailable "
	    "(HOOKPOST_SECRET_KEY_FILE)");
out:
	PQclear(res);
	json_decref(body);
	json_decref(extra);
	if (gen != NULL) {
		explicit_bzero(gen, strlen(gen));
		free(gen);
	}
	free(gen_sealed);
	free(sealed);
}

/* The secret is kept: enabling again verifies with it. */
static void
hmac_disable(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.triggers t"
	    " SET hmac_enabled = false, updated_at = now() WHERE t.id = $1"
	    " RETURNING hookpost.trigger_json(t)::text";
	const char	*p[1];
	char		 id[24];

	if (trigger_resolve(r, id, sizeof(id)) == -1)
		return;
	p[0] = id;
	config_update(r, "trig_hmac_disable", sql, 1, p);
}

static const struct vfield rate_fields[] = {
	{ "requests", V_INT, 0, 1, 10000, NULL, 0 },
	{ "window_seconds", V_INT, 0, 1, 86400, NULL, 0 },
	{ "enabled", V_BOOL, 0, 0, 0, NULL, 0 },
};

static const char *
bool_param(const json_t *o, const char *k)
{
	json_t	*v;

	if ((v = json_object_get(o, k)) == NULL || json_is_null(v))
		return NULL;
	return json_is_true(v) ? "t" : "f";
}

static const char *
int_param(const json_t *o, const char *k, char *buf, size_t bufsz)
{
	json_t	*v;

	if ((v = json_object_get(o, k)) == NULL || !json_is_integer(v))
		return NULL;
	snprintf(buf, bufsz, "%lld", (long long)json_integer_value(v));
	return buf;
}

/* PUT .../rate-limit {"requests":100,"window_seconds":60,"enabled":true} */
static void
rate_limit_put(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.triggers t SET"
	    " rate_limit_requests = coalesce($2::integer, t.rate_limit_requests),"
	    " rate_limit_window_seconds = coalesce($3::integer,"
	    "  t.rate_limit_window_seconds),"
	    " rate_limit_enabled = coalesce($4::boolean, true),"
	    " updated_at = now() WHERE t.id = $1"
	    " RETURNING hookpost.trigger_json(t)::text";
	json_t		*body = NULL;
	const char	*p[4];
	char		 id[24], n1[24], n2[24];

	if (trigger_resolve(r, id, sizeof(id)) == -1 ||
	    (body = req_json_object(r)) == NULL ||
	    valid_object(r, body, rate_fields, sizeof(rate_fields) /
	    sizeof(rate_fields[0])) == -1)
		goto out;
	if (json_object_size(body) == 0) {
		resp_error(r, 400, "invalid_field", "Give requests, "
		    "window_seconds and/or enabled");
		goto out;
	}
	p[0] = id;
	p[1] = int_param(body, "requests", n1, sizeof(n1));
	p[2] = int_param(body, "window_seconds", n2, sizeof(n2));
	p[3] = bool_param(body, "enabled");
	config_update(r, "trig_rate", sql, 4, p);
out:
	json_decref(body);
}

static const struct vfield allowlist_fields[] = {
	{ "cidrs", V_ARRAY, 0, 0, ALLOWLIST_MAX, NULL, 0 },
	{ "enabled", V_BOOL, 0, 0, 0, NULL, 0 },
};

/*
 * PUT .../ip-allowlist {"cidrs":[...],"enabled":true}.  Giving cidrs
 * enables the list unless "enabled" says otherwise; enabled with no
 * CIDRs admits no one (fail closed).  Stored canonical.
 */
static void
ip_allowlist_put(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.triggers t SET"
	    " ip_allowlist = CASE WHEN $2::jsonb IS NULL THEN t.ip_allowlist"
	    "  ELSE ARRAY(SELECT jsonb_array_elements_text($2::jsonb)) END,"
	    " ip_allowlist_enabled = coalesce($3::boolean, $2 IS NOT NULL"
	    "  OR t.ip_allowlist_enabled),"
	    " updated_at = now() WHERE t.id = $1"
	    " RETURNING hookpost.trigger_json(t)::text";
	json_t		*body = NULL, *cidrs, *canon = NULL, *e;
	const char	*p[3], *s;
	char		 id[24], text[64], *list = NULL;
	struct cidr	 c;
	size_t		 i;

	if (trigger_resolve(r, id, sizeof(id)) == -1 ||
	    (body = req_json_object(r)) == NULL ||
	    valid_object(r, body, allowlist_fields, sizeof(allowlist_fields) /
	    sizeof(allowlist_fields[0])) == -1)
		goto out;
	if (json_object_size(body) == 0) {
		resp_error(r, 400, "invalid_field", "Give cidrs and/or enabled");
		goto out;
	}
	if ((cidrs = json_object_get(body, "cidrs")) != NULL) {
		canon = json_array();
		json_array_foreach(cidrs, i, e) {
			if ((s = json_string_value(e)) == NULL ||
			    cidr_parse(s, &c) == -1) {
				resp_error(r, 400, "invalid_field", "cidrs[%zu] "
				    "is not an IPv4 or IPv6 CIDR such as "
				    "192.30.252.0/22 or 2001:db8::/32", i);
				goto out;
			}
			json_array_append_new(canon, json_string(cidr_format(&c,
			    text, sizeof(text))));
		}
		list = json_dumps(canon, JSON_COMPACT);
	}
	p[0] = id;
	p[1] = list;
	p[2] = bool_param(body, "enabled");
	config_update(r, "trig_allowlist", sql, 3, p);
out:
	json_decref(body);
	json_decref(canon);
	free(list);
}

static const struct vfield payload_limit_fields[] = {
	{ "kb", V_INT, 1, 1, 65536, NULL, 0 },
};

/* PUT .../payload-limit {"kb":512}: at most HOOKPOST_MAX_BODY. */
static void
payload_limit_put(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.triggers t SET"
	    " payload_limit_kb = $2::integer, updated_at = now()"
	    " WHERE t.id = $1 RETURNING hookpost.trigger_json(t)::text";
	json_t		*body = NULL;
	const char	*p[2];
	char		 id[24], kb[24];

	if (trigger_resolve(r, id, sizeof(id)) == -1 ||
	    (body = req_json_object(r)) == NULL ||
	    valid_object(r, body, payload_limit_fields, 1) == -1)
		goto out;
	p[0] = id;
	p[1] = int_param(body, "kb", kb, sizeof(kb));
	if (json_integer_value(json_object_get(body, "kb")) * 1024 >
	    (json_int_t)cfg.max_body) {
		resp_error(r, 400, "invalid_field", "Field 'kb' must be at most "
		    "%zu: the server's limit (HOOKPOST_MAX_BODY) is %zu bytes",
		    cfg.max_body / 1024, cfg.max_body);
		goto out;
	}
	config_update(r, "trig_payload_limit", sql, 2, p);
out:
	json_decref(body);
}

/* --- stats and events ------------------------------------------------------ */

static void
stats(struct req *r)
{
	static const char sql[] = "SELECT row_to_json(s)::text"
	    " FROM hookpost.webhook_stats_detailed s WHERE s.trigger_id = $1";
	const char	*p[1];
	char		 id[24];
	PGresult	*res;

	if (trigger_resolve(r, id, sizeof(id)) == -1)
		return;
	p[0] = id;
	if ((res = db_exec("trig_stats", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if (PQntuples(res) == 0)
		not_found(r);
	else
		answer_row(r, 200, PQgetvalue(res, 0, 0));
	PQclear(res);
}

#define EVENT_JSON \
	"json_build_object('id', e.id, 'trigger_id', e.trigger_id," \
	" 'trigger_ref', e.trigger_ref, 'payload', e.payload," \
	" 'metadata', e.metadata, 'source', e.source," \
	" 'delivery_id', e.delivery_id, 'received_at', e.received_at)::text"

/* A timestamp query parameter, checked by PostgreSQL's own parser. */
static int
time_arg(struct req *r, const char *name, char *buf, size_t bufsz,
    const char **out)
{
	size_t	 i;

	*out = req_query(r, name, buf, bufsz);
	if (*out == NULL)
		return 0;
	for (i = 0; buf[i] != '\0'; i++)
		if (!isalnum((unsigned char)buf[i]) &&
		    strchr(":-+.TZ ", buf[i]) == NULL)
			goto bad;
	if (i > 0)
		return 0;
bad:
	resp_error(r, 400, "invalid_field", "%s must be an ISO 8601 time such "
	    "as 2024-01-20T12:00:00Z", name);
	return -1;
}

/* GET /api/v1/events?trigger=REF|ID&since=&until=&limit=&cursor= */
static void
event_list(struct req *r)
{
	static const char sql[] = "SELECT " EVENT_JSON ","
	    " e.received_at::text, e.id::text"
	    " FROM hookpost.trigger_events e"
	    " WHERE ($1::bigint IS NULL OR e.trigger_ref = (SELECT t.ref"
	    "  FROM hookpost.triggers t WHERE t.id = $1::bigint))"
	    " AND ($2::text IS NULL OR e.trigger_ref = $2)"
	    " AND ($3::timestamptz IS NULL OR e.received_at >= $3::timestamptz)"
	    " AND ($4::timestamptz IS NULL OR e.received_at < $4::timestamptz)"
	    " AND ($5::timestamptz IS NULL OR (e.received_at, e.id) <"
	    "  ($5::timestamptz, $6::uuid))"
	    " ORDER BY e.received_at DESC, e.id DESC LIMIT $7";
	struct tref	 tr = { { NULL, NULL }, "" };
	char		 trig[160], since[64], until[64], lim[24];
	char		*ca = NULL, *cb = NULL;
	const char	*p[7], *t;
	long long	 limit;
	PGresult	*res;

	if (auth_require(r, AUTH_ADMIN) == -1 ||
	    page_args(r, 50, 500, &limit, &ca, &cb) == -1)
		goto out;
	if ((t = req_query(r, "trigger", trig, sizeof(trig))) != NULL &&
	    tref_parse(r, t, &tr) == -1)
		goto out;
	if (time_arg(r, "since", since, sizeof(since), &p[2]) == -1 ||
	    time_arg(r, "until", until, sizeof(until), &p[3]) == -1)
		goto out;
	p[0] = tr.p[0];
	p[1] = tr.p[1];
	p[4] = ca;
	p[5] = cb;
	snprintf(lim, sizeof(lim), "%lld", limit + 1);
	p[6] = lim;
	if ((res = db_exec("trig_events", sql, 7, p)) == NULL) {
		resp_db_error(r);	/* class 22: since, until, cursor */
		goto out;
	}
	page_answer(r, res, limit);
	PQclear(res);
out:
	free(ca);
	free(cb);
}

static void
event_get(struct req *r)
{
	static const char sql[] = "SELECT " EVENT_JSON
	    " FROM hookpost.trigger_events e WHERE e.id = $1::uuid";
	const char	*p[1];
	PGresult	*res;
	json_t		*j;

	if (auth_require(r, AUTH_ADMIN) == -1)
		return;
	p[0] = r->params[0];
	if (!uuid_valid(p[0])) {
		resp_error(r, 404, "not_found", "Event '%.64s' does not exist",
		    p[0]);
		return;
	}
	if ((res = db_exec("trig_event_get", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if (PQntuples(res) == 0)
		resp_error(r, 404, "not_found", "Event '%.64s' does not exist",
		    p[0]);
	else if ((j = json_loads(PQgetvalue(res, 0, 0), 0, NULL)) != NULL)
		resp_json(r, 200, json_pack("{s:o}", "data", j));
	else
		resp_error(r, 500, "internal", "Malformed row");
	PQclear(res);
}

static void
dispatch(struct req *r, int route)
{
	switch ((enum route)route) {
	case ROUTE_RECEIVE:
		receive(r);
		break;
	case ROUTE_TRIGGER_LIST:
		trigger_list(r);
		break;
	case ROUTE_TRIGGER_CREATE:
		trigger_create(r);
		break;
	case ROUTE_TRIGGER_GET:
		trigger_get(r);
		break;
	case ROUTE_TRIGGER_PUT:
		trigger_put(r);
		break;
	case ROUTE_TRIGGER_DELETE:
		trigger_delete(r);
		break;
	case ROUTE_WEBHOOK_INFO:
		webhook_info(r);
		break;
	case ROUTE_WEBHOOK_ENABLE:
		webhook_enable(r);
		break;
	case ROUTE_WEBHOOK_DISABLE:
		webhook_disable(r);
		break;
	case ROUTE_WEBHOOK_REGENERATE:
		webhook_regenerate(r);
		break;
	case ROUTE_HMAC_ENABLE:
		hmac_enable(r);
		break;
	case ROUTE_HMAC_DISABLE:
		hmac_disable(r);
		break;
	case ROUTE_RATE_LIMIT:
		rate_limit_put(r);
		break;
	case ROUTE_IP_ALLOWLIST:
		ip_allowlist_put(r);
		break;
	case ROUTE_PAYLOAD_LIMIT:
		payload_limit_put(r);
		break;
	case ROUTE_KEY_LIST:
		key_list(r);
		break;
	case ROUTE_KEY_ADD:
		key_add(r);
		break;
	case ROUTE_KEY_REVOKE:
		key_revoke(r);
		break;
	case ROUTE_STATS:
		stats(r);
		break;
	case ROUTE_EVENT_LIST:
		event_list(r);
		break;
	case ROUTE_EVENT_GET:
		event_get(r);
		break;
	case ROUTE__MAX:
		break;
	}
}

int
main(int argc, char *argv[])
{
	return srv_main(argc, argv, routes, NROUTES, dispatch);
}
