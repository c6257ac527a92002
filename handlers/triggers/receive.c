/* triggers: the receiver, POST /api/v1/webhooks/:webhook_key. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "cfg.h"
#include "cidr.h"
#include "crypt.h"
#include "db.h"
#include "jsonpath.h"
#include "log.h"
#include "provider.h"
#include "req.h"
#include "schema.h"
#include "srv.h"
#include "util.h"
#include "valid.h"
#include "triggers.h"

/* What the receiver answers a request that passes its checks (seed 002). */
#define RECV_STATUS_OK	"200"

/*
 * seed 002 "Webhook Event Metadata" shows "webhook_key": "wh_abc123...";
 * the key is a bearer secret, so events carry this much of it: the
 * prefix, KEY_HINT random characters, "...".
 */
#define KEY_HINT	6

/* One receiver request, for the audit row. */
struct recv {
	struct req	*r;
	struct copy	*c;		/* the key's copy (cache.c) */
	const struct rtrig *t;		/* c->data */
	int		 found;
	int		 body_failed;	/* over cfg.max_body, drained */
	char		 key_hint[sizeof(KEY_PREFIX) + KEY_HINT + 3];
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
 * body, write the audit row (lib/audit, one statement), answer.
 */
static void
recv_refuse(struct recv *rv, int status, const char *code, const char *msg)
{
	struct audit	 a;

	srv_body_drain(rv->r);
	a.kind = "trigger";
	a.name = rv->found ? rv->t->ref : NULL;
	a.id = rv->found ? rv->t->key_id : NULL;
	a.remote = rv->ip;
	a.body_sha = rv->sha_p;
	a.body_size = rv->size_p;
	audit_refuse(rv->r, &a, status, code, msg);
}

/* Checks 5-6 and the event: a refusal, a handshake, or the payload. */
struct outcome {
	int		 status;	/* of a refusal; 0: none */
	const char	*code;		/* a refusal's error code */
	char		 status_s[8];
	json_t		*refusal;	/* its body, {"error": {...}} */
	json_t		*handshake, *payload, *metadata;
	const char	*delivery_id;
	json_t		*source;	/* the parsed body, owns delivery_id */
	char		 signature[2 * PROVIDER_MAC_MAX + 1]; /* hex; "" none */
};

/* A refusal at check 5 or 6, answered after trigger_receive records it. */
static void
refusal_set(struct outcome *o, int status, const char *code,
    const char *msg, const char *path)
{
	json_t	*err;

	err = json_pack("{s:s,s:s}", "code", code, "message", msg);
	if (path != NULL)
		json_object_set_new(err, "path", json_string(path));
	o->status = status;
	o->code = code;
	snprintf(o->status_s, sizeof(o->status_s), "%d", status);
	o->refusal = json_pack("{s:o}", "error", err);
}

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
	m = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s?,s:o}", "source", "webhook",
	    "webhook_key", rv->key_hint, "webhook_key_id", rv->t->key_id,
	    "webhook_key_label", rv->t->label, "source_ip", rv->ip,
	    "user_agent", rv->r->user_agent, "headers", h);
	if (m == NULL)
		return NULL;
	if (provider_name(rv->t->preset) != NULL)
		json_object_set_new(m, "preset",
		    json_string(provider_name(rv->t->preset)));
	if (delivery_id != NULL)
		json_object_set_new(m, "delivery_id", json_string(delivery_id));
	return m;
}

static void
checks_after_limit(struct recv *rv, struct outcome *o)
{
	struct req		*r = rv->r;
	struct provider_msg	 m;
	struct provider_mac	 mac;
	enum provider_verdict	 v;
	const char		*why;
	char			 path[SCHEMA_PATH_MAX];
	char			 err[256], msg[640];
	json_t			*reply = NULL;
	int			 env;

	m.header = recv_header;
	m.ctx = r;
	m.body = r->body;
	m.bodylen = r->bodylen;
	m.now = (long long)time(NULL);
	m.tolerance = PROVIDER_TOLERANCE;

	/* 5. HMAC; a preset's scheme, or hookpost's own (hmac_scheme). */
	if (rv->t->hmac_enabled) {
		v = provider_verify(rv->t->preset, rv->t->hmac_scheme,
		    rv->t->algorithm, trig_copy_secret(rv->c), &m, &mac, &why);
		if (v != PROVIDER_OK) {
			refusal_set(o, 401, v == PROVIDER_EXPIRED ?
			    "timestamp_expired" : "invalid_signature", why,
			    NULL);
			return;
		}
		/*
		 * A timestamped signature is accepted once (trigger_receive):
		 * hookpost's own always, stripe's and slack's unless the
		 * trigger dedupes by the sender's id only (issue 12).
		 */
		if (mac.len > 0 && (rv->t->preset == PROVIDER_NONE ||
		    rv->t->dedupe_mac))
			crypt_hex(mac.b, mac.len, o->signature);
	}

	/* 6. JSON, then payload_schema. */
	o->source = provider_payload_new(rv->t->preset,
	    req_env(r, "CONTENT_TYPE"), r->body, r->bodylen);
	if (o->source == NULL) {
		refusal_set(o, 400, "invalid_json",
		    "Request body is not valid JSON", NULL);
		return;
	}
	if (!valid_depth(o->source, JSON_MAX_DEPTH)) {
		refusal_set(o, 400, "invalid_json", "Request body "
		    "nests deeper than 32 levels", NULL);
		return;
	}
	if (provider_handshake(rv->t->preset, &m, o->source, &reply, &env)) {
		o->handshake = env ? json_pack("{s:o}", "data", reply) : reply;
		return;
	}
	if (rv->t->schema != NULL && schema_validate(rv->t->schema, o->source,
	    path, sizeof(path), err, sizeof(err)) == -1) {
		snprintf(msg, sizeof(msg), "Payload does not match the "
		    "trigger's payload_schema at %s: %s", path, err);
		refusal_set(o, 400, "invalid_payload", msg, path);
		return;
	}

	/* seed 002 "Payload Transformation": pass-through or JSONPath. */
	o->payload = rv->t->mapping != NULL ?
	    jsonpath_map_apply(rv->t->mapping, o->source) :
	    json_incref(o->source);
	o->delivery_id = provider_delivery_id(rv->t->preset, &m, o->source);
	o->metadata = metadata_new(rv, o->delivery_id);
}

static char *
dumps_or_null(const json_t *j)
{
	return j != NULL ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) :
	    NULL;
}

/*
 * Sends body (a JSON object or array) with status, and with
 * retry_after > 0 a Retry-After header (RFC 9110 10.2.3 / RFC 6585 4:
 * when to come back).
 */
static void
recv_send(struct req *r, int status, const json_t *body, long retry_after)
{
	char	*text, hdr[64];

	if (body == NULL || (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		resp_error(r, 500, "internal", "Malformed result");
		return;
	}
	hdr[0] = '\0';
	if (retry_after > 0)
		snprintf(hdr, sizeof(hdr), "Retry-After: %ld\r\n", retry_after);
	resp_send(r, status, "application/json", hdr[0] ? hdr : NULL, text,
	    strlen(text));
	free(text);
}

/*
 * The 429 of a rate limit (seed 002 "Rate Limiting"), code as
 * trigger_key_limited() or trigger_flood() names the limit, with
 * Retry-After.
 */
static void
recv_limited(struct recv *rv, const char *code, long long wait)
{
	char	 msg[256];
	json_t	*body;

	if (strcmp(code, "ip_rate_limited") == 0)
		snprintf(msg, sizeof(msg), "Rate limit of %ld requests per "
		    "minute exceeded for this client address; retry in %lld s",
		    cfg.trigger_rate_per_ip, wait);
	else if (strcmp(code, "global_rate_limited") == 0)
		snprintf(msg, sizeof(msg), "Rate limit of %ld requests per "
		    "minute exceeded for all webhooks; retry in %lld s",
		    cfg.trigger_rate_global, wait);
	else
		snprintf(msg, sizeof(msg), "Rate limit of %s requests per %s s "
		    "exceeded for this webhook key; retry in %lld s",
		    rv->t->rate_requests, rv->t->rate_window, wait);
	body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message",
	    msg);
	recv_send(rv->r, 429, body, (long)wait);
	json_decref(body);
}

/*
 * Answers an outcome of trigger_receive() (sql/functions/triggers.sql):
 * rate_limited 429 with its code and wait; refused with the refusal of
 * checks 5-6; handshake 200 with the provider's reply; accepted or
 * duplicate 200 with the event.
 */
static void
recv_answer(struct recv *rv, const struct outcome *o, const PGresult *res)
{
	const char	*outcome, *code, *wait_s, *eid, *at;
	json_t		*body;
	long long	 wait = 0;
	int		 dup;

	outcome = PQgetvalue(res, 0, 0);
	code = db_get(res, 0, 1);
	wait_s = db_get(res, 0, 2);
	eid = db_get(res, 0, 3);
	at = db_get(res, 0, 4);
	dup = strcmp(outcome, "duplicate") == 0;
	if (strcmp(outcome, "rate_limited") == 0 && code != NULL &&
	    wait_s != NULL && parse_int(wait_s, 1, INT_MAX, &wait) == 0)
		recv_limited(rv, code, wait);
	else if (strcmp(outcome, "refused") == 0 && o->refusal != NULL)
		recv_send(rv->r, o->status, o->refusal, 0);
	else if (strcmp(outcome, "handshake") == 0 && o->handshake != NULL)
		recv_send(rv->r, 200, o->handshake, 0);
	else if ((dup || strcmp(outcome, "accepted") == 0) && eid != NULL &&
	    at != NULL) {
		body = json_pack("{s:{s:s,s:s,s:s}}", "data", "event_id", eid,
		    "trigger_ref", rv->t->ref, "received_at", at);
		if (dup && body != NULL)
			json_object_set_new(json_object_get(body, "data"),
			    "duplicate", json_true());
		recv_send(rv->r, 200, body, 0);
		json_decref(body);
	} else
		resp_error(rv->r, 500, "internal", "Malformed result");
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
 * Checks 1-3 and the write, on the copy rv->c (cached: read earlier, and
 * decided again from a fresh read before anything is refused on it).
 * Returns 0 when answered, 1 when the copy may be old: a refusal at 1-3
 * decided on a cached copy, or the write's outcome stale (nothing was
 * written, nothing answered; the caller reads the key again).
 */
static int
recv_one(struct recv *rv, const struct cidr_addr *addr, int cached)
{
	static const char sql_write[] = "SELECT outcome, code, retry_after,"
	    " event_id, received_at FROM hookpost.trigger_receive($1, $2, $3,"
	    " $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,"
	    " $18, $19, $20, $21, $22)";
	struct req	*r = rv->r;
	struct outcome	 o;
	PGresult	*res = NULL;
	const char	*p[22];
	char		 ms[32], per_ip[24], global[24], msg[96];
	char		*payload = NULL, *metadata = NULL;
	size_t		 limit;
	int		 rc = 0;

	memset(&o, 0, sizeof(o));
	/* 1. Whether the key's trigger takes webhooks. */
	if (!rv->t->enabled) {
		if (cached)
			return 1;
		recv_refuse(rv, 403, "webhook_disabled",
		    "Webhooks are disabled for this trigger");
		return 0;
	}
	if (rv->t->unreadable) {
		if (cached)
			return 1;
		srv_body_drain(r);
		resp_error(r, 500, "internal", "The trigger's configuration "
		    "cannot be read");
		return 0;
	}

	/*
	 * 2. Size: from Content-Length before reading, else while reading.
	 * On a cached copy the body is read up to the server's limit, so
	 * that a fresh read may still decide with the trigger's own.
	 */
	limit = (size_t)rv->t->limit_kb * 1024;
	if (limit > cfg.max_body)
		limit = cfg.max_body;
	snprintf(msg, sizeof(msg), "Request body exceeds this trigger's %zu "
	    "byte limit", limit);
	if (rv->body_failed) {
		recv_refuse(rv, 413, "payload_too_large", msg);
		return 0;
	}
	if (r->body == NULL) {
		if (cached && r->content_length > (long long)limit)
			return 1;
		if (srv_body_read(r, cached ? cfg.max_body : limit) == -1) {
			rv->body_failed = 1;
			if (cached)
				return 1;
			recv_refuse(rv, 413, "payload_too_large", msg);
			return 0;
		}
	}
	if (r->bodylen > limit) {
		if (cached)
			return 1;
		/* Audited by its length, as a body refused unread. */
		rv->sha_p = NULL;
		recv_refuse(rv, 413, "payload_too_large", msg);
		return 0;
	}
	if (rv->sha_p == NULL) {
		crypt_sha256_hex(r->body, r->bodylen, rv->sha);
		rv->sha_p = rv->sha;
		snprintf(rv->size, sizeof(rv->size), "%zu", r->bodylen);
		rv->size_p = rv->size;
	}

	/* 3. IP allow list; an address we cannot tell is refused. */
	if (rv->t->allowlist_enabled && (!rv->ip_ok ||
	    !cidr_list_contains(rv->t->allowlist, addr))) {
		if (cached)
			return 1;
		recv_refuse(rv, 403, "ip_not_allowed", !rv->ip_ok ?
		    "The client address could not be determined" :
		    "The client address is not in this trigger's IP allow list");
		return 0;
	}

	/* 5-6 here; 4 and the rest in the one write. */
	checks_after_limit(rv, &o);
	payload = dumps_or_null(o.payload);
	metadata = dumps_or_null(o.metadata);
	snprintf(ms, sizeof(ms), "%.3f", req_elapsed_ms(r));
	p[0] = rv->t->trigger_id;
	p[1] = rv->t->ref;
	p[2] = rv->t->key_id;
	p[3] = rv->t->rate_enabled ? "t" : "f";
	p[4] = rv->t->rate_requests;
	p[5] = rv->t->rate_window;
	snprintf(per_ip, sizeof(per_ip), "%ld", cfg.trigger_rate_per_ip);
	snprintf(global, sizeof(global), "%ld", cfg.trigger_rate_global);
	p[6] = per_ip;
	p[7] = global;
	p[8] = o.refusal != NULL ? o.status_s : NULL;
	p[9] = o.refusal != NULL ? o.code : NULL;
	p[10] = o.handshake != NULL ? "t" : "f";
	p[11] = payload;
	p[12] = metadata;
	p[13] = o.delivery_id;
	p[14] = o.signature[0] != '\0' ? o.signature : NULL;
	p[15] = rv->ip;
	p[16] = r->user_agent;
	p[17] = ms;
	p[18] = rv->sha_p;
	p[19] = rv->size_p;
	p[20] = RECV_STATUS_OK;
	p[21] = rv->t->version;
	if (o.refusal == NULL && o.handshake == NULL &&
	    (payload == NULL || metadata == NULL)) {
		resp_error(r, 500, "internal", "Cannot build the event");
		goto out;
	}
	if ((res = db_group("trig_write", sql_write, 22, p)) == NULL) {
		audit_store_failed(r);
		goto out;
	}
	if (PQntuples(res) != 1) {
		resp_error(r, 500, "internal", "Malformed result");
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "stale") == 0)
		rc = 1;
	else
		recv_answer(rv, &o, res);
out:
	PQclear(res);
	free(payload);
	free(metadata);
	outcome_free(&o);
	return rc;
}

/*
 * POST /api/v1/webhooks/:webhook_key.  Issue 3's checks, in order: 1 key
 * unknown 404 / trigger disabled 403; 2 size 413, from the length before
 * the body is read; 3 IP allow list 403; 4 rate limits 429 (the key's,
 * the client address's, everyone's); 5 HMAC 401; 6 JSON and
 * payload_schema 400.  Usually one round trip: the write, with the key
 * from the cache (cache.c); a key not cached, a refusal decided on a
 * cached copy, or a copy found stale costs a read first.
 * hookpost.trigger_receive applies 4, then the outcome of 5-6 computed
 * here, and makes the event.  The refusals of 1-3 are not counted by the
 * limiters (hookpost.trigger_rate_counted).
 */
void
receive(struct req *r)
{
	struct recv		 rv;
	struct cidr_addr	 addr;
	struct copy		*c;
	const char		*key;
	char			 hash[65];
	int			 cached, tries, found;

	memset(&rv, 0, sizeof(rv));
	rv.r = r;
	key = r->params[0];
	snprintf(rv.key_hint, sizeof(rv.key_hint), "%.*s...",
	    (int)(sizeof(KEY_PREFIX) - 1 + KEY_HINT), key);
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

	/* 1. The key. */
	if (!key_shape_ok(key)) {
		recv_refuse(&rv, 404, "not_found", "Unknown webhook key");
		return;
	}
	crypt_sha256_hex(key, strlen(key), hash);
	c = trig_copy_get(hash);
	for (tries = 0; tries < 3; tries++) {
		if ((cached = c != NULL) == 0 &&
		    (c = trig_copy_read(hash, &found)) == NULL) {
			if (found == -1) {
				srv_body_drain(r);
				resp_db_error(r);
			} else
				recv_refuse(&rv, 404, "not_found",
				    "Unknown webhook key");
			return;
		}
		rv.c = c;
		rv.t = c->data;
		rv.found = 1;
		if (recv_one(&rv, &addr, cached) == 0)
			return;
		/* Decided on a copy that may be old: read the key again. */
		trig_copy_drop(c);
		c = NULL;
		rv.c = NULL;
		rv.t = NULL;
		rv.found = 0;
	}
	srv_body_drain(r);
	resp_error(r, 503, "unavailable", "The webhook's settings changed "
	    "during the request; retry");
}
