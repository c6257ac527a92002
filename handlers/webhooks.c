/*
 * webhooks: inbound alert sources (seed 004).
 *   POST /api/webhooks/:source    the receiver: verify, audit, incident
 *   /api/webhooks[/:source]       source management (admin)
 *   POST /api/webhooks/:source/sign  sign a test event (admin; CLI test)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "auth.h"
#include "cfg.h"
#include "crypt.h"
#include "db.h"
#include "log.h"
#include "normalize.h"
#include "req.h"
#include "sig.h"
#include "source.h"
#include "srv.h"
#include "util.h"
#include "valid.h"

enum route {
	ROUTE_RECEIVE,
	ROUTE_SOURCE_LIST,
	ROUTE_SOURCE_CREATE,
	ROUTE_SOURCE_GET,
	ROUTE_SOURCE_PUT,
	ROUTE_SOURCE_DELETE,
	ROUTE_SOURCE_SIGN,
	ROUTE__MAX
};

#define SOURCE	"/api/webhooks/:source"

static const struct srv_route routes[ROUTE__MAX] = {
	{ ROUTE_RECEIVE, "POST", SOURCE, SRV_RAW, AUTH_NONE },
	{ ROUTE_SOURCE_LIST, "GET", "/api/webhooks", 0, AUTH_ADMIN },
	{ ROUTE_SOURCE_CREATE, "POST", "/api/webhooks", SRV_BODY, AUTH_ADMIN },
	{ ROUTE_SOURCE_GET, "GET", SOURCE, 0, AUTH_ADMIN },
	{ ROUTE_SOURCE_PUT, "PUT", SOURCE, SRV_BODY, AUTH_ADMIN },
	{ ROUTE_SOURCE_DELETE, "DELETE", SOURCE, 0, AUTH_ADMIN },
	{ ROUTE_SOURCE_SIGN, "POST", SOURCE "/sign", SRV_BODY, AUTH_ADMIN },
};

/*
 * Sources the receiver has read, kept between requests so that an alert
 * costs one round trip to the database, not two.  Process-wide state
 * beyond STYLE 9's list, and safe: a cached copy decides nothing final.
 * An acceptance is stored only if the store finds the copy's version
 * still the source's (hookpost.source_current; else its outcome is
 * "stale" and it stores nothing), and a refusal is decided again from a
 * fresh read.  So a rotated secret, a disabled or deleted source and an
 * edited playbook take effect at once, as if every request read the
 * source.  The TTL only bounds how long a secret no longer used stays in
 * memory.
 */
#define SOURCE_CACHE_MAX	16
#define SOURCE_CACHE_TTL	60	/* seconds */

struct source_copy {
	struct source	 src;		/* src.name NULL: a free slot */
	char		*secret;	/* src.secret_enc opened, or NULL */
	time_t		 read_at;
	unsigned long	 used;		/* for LRU eviction; 0 when free */
};
static struct source_copy	 source_cache[SOURCE_CACHE_MAX];
static unsigned long		 source_cache_clock;

/* Empties a slot, wiping the secret. */
static void
source_copy_clear(struct source_copy *c)
{
	if (c->secret != NULL) {
		explicit_bzero(c->secret, strlen(c->secret));
		free(c->secret);
	}
	source_free(&c->src);
	memset(c, 0, sizeof(*c));
}

/*
 * The copy's signing secret, opened once per copy (so the version check
 * covers it too).  NULL if it does not open (logged).
 */
static const char *
source_copy_secret(struct source_copy *c)
{
	if (c->secret == NULL)
		c->secret = crypt_secret_open(c->src.secret_enc);
	return c->secret;
}

/* The cached copy of source name, or NULL. */
static struct source_copy *
source_cache_get(const char *name)
{
	struct source_copy	*c;
	time_t			 now = time(NULL);
	size_t			 i;

	for (i = 0; i < SOURCE_CACHE_MAX; i++) {
		c = &source_cache[i];
		if (c->src.name == NULL || strcmp(c->src.name, name) != 0)
			continue;
		if (now < c->read_at || now - c->read_at > SOURCE_CACHE_TTL) {
			source_copy_clear(c);
			return NULL;
		}
		c->used = ++source_cache_clock;
		return c;
	}
	return NULL;
}

/*
 * Caches *src, which it takes over (leaving *src zeroed), in place of a
 * copy of the same name or else the least recently used one.  Returns the
 * copy, valid until it is cleared or replaced.
 */
static struct source_copy *
source_cache_put(struct source *src)
{
	struct source_copy	*c = &source_cache[0];
	size_t			 i;

	for (i = 0; i < SOURCE_CACHE_MAX; i++) {
		if (source_cache[i].src.name != NULL &&
		    strcmp(source_cache[i].src.name, src->name) == 0) {
			c = &source_cache[i];
			break;
		}
		if (source_cache[i].used < c->used)
			c = &source_cache[i];
	}
	source_copy_clear(c);
	c->src = *src;
	memset(src, 0, sizeof(*src));
	c->read_at = time(NULL);
	c->used = ++source_cache_clock;
	return c;
}

/* The receiver's state for one request. */
struct recv {
	struct req	*r;
	const char	*name;
	char		 body_sha[65];
	char		 size[24];
	/* A refusal, as recv_check() or recv_store() decided it. */
	int		 status;
	const char	*code;
	char		 msg[320];
	int		 audit;		/* 0: answered without an audit row */
	/* What recv_check() verified, for recv_store(). */
	char		 ts[24];
	char		 sighex[65];
	json_t		*payload;
};

/* Records a refusal in rv for the caller; returns -1. */
static int
recv_refusal(struct recv *rv, int status, const char *code, const char *msg)
{
	rv->status = status;
	rv->code = code;
	rv->audit = status != 500;
	snprintf(rv->msg, sizeof(rv->msg), "%s", msg);
	return -1;
}

/*
 * Answers the refusal in rv and records it, lib/audit's one statement
 * (seed 004 "Error Handling": the messages of invalid_signature,
 * unknown_source and timestamp_expired are the seed's own).  src: the
 * source, or NULL when the name is not registered.
 */
static void
recv_refuse(struct recv *rv, const struct source *src)
{
	struct audit	 a;

	if (!rv->audit) {
		resp_error(rv->r, rv->status, rv->code, "%s", rv->msg);
		return;
	}
	a.kind = "source";
	a.name = rv->name;
	a.id = src != NULL ? src->id : NULL;
	a.remote = rv->r->remote_addr;
	a.body_sha = rv->body_sha;
	a.body_size = rv->size;
	audit_refuse(rv->r, &a, rv->status, rv->code, rv->msg);
}

/*
 * Checks a request against a copy of its source, in seed 004's order:
 * enabled, signature headers, timestamp (5 minutes either way),
 * signature, JSON.  Returns 0 with rv's ts, sighex and payload set, or -1
 * with a refusal in rv.
 */
static int
recv_check(struct recv *rv, struct source_copy *c)
{
	struct req	*r = rv->r;
	const char	*ts, *sighdr, *secret;
	unsigned char	 mac[32];
	long long	 t;
	int		 rc = -1;

	json_decref(rv->payload);
	rv->payload = NULL;
	if (!c->src.enabled) {
		recv_refusal(rv, 403, "webhook_disabled",
		    "Webhook source is disabled");
		goto out;
	}
	ts = req_header(r, "X-Webhook-Timestamp");
	sighdr = req_header(r, "X-Webhook-Signature");
	if (ts == NULL || sighdr == NULL ||
	    parse_int(ts, 0, 99999999999LL, &t) == -1 ||
	    sig_parse_sha256(sighdr, mac) == -1) {
		recv_refusal(rv, 401, "invalid_signature",
		    "Webhook signature verification failed");
		goto out;
	}
	if (llabs((long long)time(NULL) - t) > cfg.ts_tolerance) {
		recv_refusal(rv, 401, "timestamp_expired",
		    "Webhook timestamp is too old (>5 minutes)");
		goto out;
	}
	if ((secret = source_copy_secret(c)) == NULL) {
		recv_refusal(rv, 500, "internal", "Source secret unavailable");
		goto out;
	}
	if (sig_verify_ts_sha256(secret, ts, r->body, r->bodylen,
	    sighdr) == -1) {
		recv_refusal(rv, 401, "invalid_signature",
		    "Webhook signature verification failed");
		goto out;
	}
	crypt_hex(mac, sizeof(mac), rv->sighex);
	snprintf(rv->ts, sizeof(rv->ts), "%lld", t);

	/* Verified; now the body may be read as JSON. */
	rv->payload = json_loadb(r->body, r->bodylen, JSON_REJECT_DUPLICATES,
	    NULL);
	if (rv->payload == NULL || !json_is_object(rv->payload)) {
		recv_refusal(rv, 400, "invalid_json",
		    "Request body must be a JSON object");
		goto out;
	}
	if (!valid_depth(rv->payload, JSON_MAX_DEPTH)) {
		recv_refusal(rv, 400, "invalid_json", "Request body nests "
		    "deeper than 32 levels");
		goto out;
	}
	rc = 0;
out:
	return rc;
}

/*
 * seed 004's answers: an alert stored as an incident (or merged into
 * one) is 200, a queued one 202.  The audit row records the same status,
 * passed to the store, which returns facts only.
 */
#define RECV_STATUS_SYNC	200
#define RECV_STATUS_QUEUE	202

/*
 * Answers an outcome of the store (sql/functions/alerts.sql): accepted,
 * merged or queued, with its ids; a replay as its first request (prior)
 * was answered.  Returns 1 and answers nothing for stale.  The bodies
 * keep the key order the receiver has always answered with.
 */
static int
recv_answer(struct recv *rv, const char *outcome, const char *prior,
    const char *iid, const char *num, const char *qid)
{
	const char	*what = outcome;
	json_t		*body = NULL;
	int		 status = RECV_STATUS_SYNC;

	if (strcmp(outcome, "stale") == 0)
		return 1;
	if (strcmp(outcome, "replay") == 0 && prior != NULL)
		what = prior;
	if (strcmp(what, "accepted") == 0 && iid != NULL && num != NULL)
		body = json_pack("{s:s,s:s,s:s}", "status", "accepted",
		    "incident_id", iid, "incident_number", num);
	else if (strcmp(what, "merged") == 0 && iid != NULL && num != NULL)
		body = json_pack("{s:b,s:s,s:s,s:s}", "merged", 1, "status",
		    "accepted", "incident_id", iid, "incident_number", num);
	else if (strcmp(what, "queued") == 0 && qid != NULL) {
		body = json_pack("{s:s,s:s,s:s}", "status", "queued",
		    "message", "Event queued for processing", "queue_id", qid);
		status = RECV_STATUS_QUEUE;
	}
	if (body == NULL)
		resp_error(rv->r, 500, "internal", "Malformed result");
	else
		resp_json(rv->r, status, body);
	return 0;
}

/*
 * The common case of a sync source in one prepared statement, without
 * plpgsql, through the rules of sql/functions (inlined: one plan, one
 * round trip): the source version check (source_current), the audit lock
 * (audit_lock), the audit row that is the replay guard, the incident with
 * its number (incident_number), and incident.created when someone
 * subscribes (incident_subscribers, incident_emit), in one commit.  Its
 * first column is the outcome: accepted; stale (the source changed or
 * was deleted: nothing written); replay or old (nothing written: a
 * replay, or a request old enough for replay_guard's horizon), which
 * hookpost.alert_accept then takes.  Alerts that may merge into an open
 * incident always go to alert_accept.
 */
static const char sql_fast[] =
	"WITH src AS ("
	"  SELECT id FROM hookpost.source_current($1::uuid, $3::text)"
	"), lk AS ("
	"  SELECT hookpost.audit_lock() FROM src"
	"  WHERE $4::bigint > hookpost.replay_guard_horizon()"
	"), num AS ("
	"  SELECT hookpost.incident_number(y.y, n.n) AS number"
	"  FROM lk, LATERAL (SELECT hookpost.incident_year() AS y) y,"
	"  LATERAL (SELECT nextval(hookpost.incident_seq(y.y)) AS n) n"
	"), a AS ("
	"  INSERT INTO hookpost.webhook_requests (kind, source, source_id,"
	"      remote_addr, user_agent, http_status, outcome, processing_ms,"
	"      body_sha256, body_size, incident_id, incident_number, signed_at,"
	"      signature)"
	"  SELECT 'source', $2::text, $1::uuid, $6::text, left($7::text, 256),"
	"      $11::integer, 'accepted', $8::real, $9::text, $10::bigint,"
	"      $24::uuid, num.number, $4::bigint, decode($5::text, 'hex')"
	"  FROM num"
	"  ON CONFLICT (signed_at, source_id, signature)"
	"      WHERE signature IS NOT NULL DO NOTHING"
	"  RETURNING incident_number"
	"), i AS ("
	"  INSERT INTO hookpost.incidents (id, number, source_id, source, format,"
	"      title, severity, status, queue, tags, entities, indicators,"
	"      dedupe_key, triage, raw_payload, occurred_at)"
	"  SELECT $24::uuid, a.incident_number, $1::uuid, $2::text, $12::text,"
	"      $13::text, $14::text, $15::text, $16::text,"
	"      ARRAY(SELECT jsonb_array_elements_text($17::jsonb)),"
	"      $18::jsonb, $19::jsonb, $20::text, $21::jsonb, $22::text,"
	"      coalesce($23::timestamptz, now()) FROM a"
	"  RETURNING id, number, tags, occurred_at"
	")"
	" SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM src) THEN 'stale'"
	"     WHEN NOT EXISTS (SELECT 1 FROM lk) THEN 'old'"
	"     WHEN NOT EXISTS (SELECT 1 FROM i) THEN 'replay'"
	"     ELSE 'accepted' END,"
	"   (SELECT number FROM i),"
	"   (SELECT count(hookpost.incident_emit(i.id, i.number, $2::text,"
	"       $12::text, $13::text, $14::text, $15::text, $16::text, i.tags,"
	"       $18::jsonb, $21::jsonb, i.occurred_at)) FROM i"
	"    WHERE EXISTS (SELECT 1 FROM hookpost.incident_subscribers()))";

/*
 * sql_fast with p[0..10] as recv_store set them.  Returns 0 when answered,
 * 1 when src was stale, 2 when alert_accept must decide.
 */
static int
recv_store_fast(struct recv *rv, const char **p,
    const struct incident_params *ip)
{
	const char	*q[24];
	char		 iid[37];
	const char	*outcome;
	PGresult	*res;
	int		 rc = 2;

	if (uuid_new_v7(iid) == -1)
		return 2;
	memcpy(q, p, 11 * sizeof(*q));
	q[11] = ip->v[0];	/* format, title, severity, status, queue */
	q[12] = ip->v[1];
	q[13] = ip->v[2];
	q[14] = ip->v[3];
	q[15] = ip->v[4];
	q[16] = ip->v[5];	/* tags, entities, indicators, dedupe_key */
	q[17] = ip->v[6];
	q[18] = ip->v[7];
	q[19] = ip->v[8];
	q[20] = ip->v[10];	/* triage */
	q[21] = rv->r->body;
	q[22] = ip->v[11];	/* occurred_at */
	q[23] = iid;
	if ((res = db_exec("recv_fast", sql_fast, 24, q)) == NULL) {
		resp_error(rv->r, 503, "unavailable", "Database unavailable; "
		    "the event was not accepted, retry later");
		return 0;
	}
	outcome = PQgetvalue(res, 0, 0);
	if (strcmp(outcome, "stale") == 0 || strcmp(outcome, "accepted") == 0)
		rc = recv_answer(rv, outcome, NULL, iid, PQgetvalue(res, 0, 1),
		    NULL);
	PQclear(res);
	return rc;
}

/*
 * Stores a checked request: one statement, which guards against replays,
 * writes the audit row and the incident (sync) or queues the raw event
 * (queue) in one commit.  Returns 0 when answered, 1 when src was stale
 * or deleted meanwhile (nothing stored or answered), -1 with a refusal
 * in rv.
 */
static int
recv_store(struct recv *rv, const struct source *src)
{
	static const char sql_accept[] = "SELECT outcome, prior, incident_id,"
	    " incident_number, queue_id FROM hookpost.alert_accept($1, $2, $3,"
	    " $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,"
	    " $18, $19, $20, $21, $22, $23, $24)";
	static const char sql_queue[] = "SELECT outcome, prior, incident_id,"
	    " incident_number, queue_id FROM hookpost.alert_queue($1, $2, $3,"
	    " $4, $5, $6, $7, $8, $9, $10, $11, $12)";
	struct req		*r = rv->r;
	struct incident		 inc;
	struct incident_params	 ip;
	PGresult		*res = NULL;
	const char		*p[24];
	char			 ms[32], st[8], err[256];
	size_t			 i;
	int			 rc = 0;

	memset(&inc, 0, sizeof(inc));
	memset(&ip, 0, sizeof(ip));
	snprintf(ms, sizeof(ms), "%.3f", req_elapsed_ms(r));
	p[0] = src->id;
	p[1] = src->name;
	p[2] = src->version;
	p[3] = rv->ts;
	p[4] = rv->sighex;
	p[5] = r->remote_addr;
	p[6] = r->user_agent;
	p[7] = ms;
	p[8] = rv->body_sha;
	p[9] = rv->size;
	p[10] = st;
	if (strcmp(src->mode, "queue") == 0) {
		snprintf(st, sizeof(st), "%d", RECV_STATUS_QUEUE);
		p[11] = r->body;
		res = db_exec("recv_queue", sql_queue, 12, p);
	} else {
		snprintf(st, sizeof(st), "%d", RECV_STATUS_SYNC);
		if (source_alert_to_incident(src, rv->payload, &inc, err,
		    sizeof(err)) == -1) {
			rc = recv_refusal(rv, 400, "invalid_payload", err);
			goto out;
		}
		incident_params_fill(&inc, &ip);
		if (inc.dedupe_key == NULL || inc.merge_window_s <= 0) {
			if ((rc = recv_store_fast(rv, p, &ip)) != 2)
				goto out;
			rc = 0;		/* a replay, or an old request */
		}
		for (i = 0; i < 11; i++)
			p[11 + i] = ip.v[i];
		p[22] = r->body;
		p[23] = ip.v[11];
		res = db_exec("recv_accept", sql_accept, 24, p);
	}
	if (res == NULL) {
		/* The source was deleted while this request was stored. */
		if (strcmp(db_last_sqlstate(), "23503") == 0)
			rc = 1;
		else
			resp_error(r, 503, "unavailable", "Database unavailable; "
			    "the event was not accepted, retry later");
		goto out;
	}
	if (PQntuples(res) != 1) {
		resp_error(r, 500, "internal", "Malformed result");
		goto out;
	}
	rc = recv_answer(rv, PQgetvalue(res, 0, 0), db_get(res, 0, 1),
	    db_get(res, 0, 2), db_get(res, 0, 3), db_get(res, 0, 4));
out:
	PQclear(res);
	incident_params_free(&ip);
	incident_free(&inc);
	return rc;
}

/*
 * POST /api/webhooks/:source (seed 004).  Usually one round trip: the
 * store, with the source from the cache.  A source not cached, a refusal
 * decided on a cached copy, or a copy found stale costs a read first.
 */
static void
receive(struct req *r)
{
	static const char sql_source[] = "SELECT " SOURCE_COLUMNS
	    " FROM " SOURCE_FROM " WHERE s.name = $1";
	struct recv		 rv;
	struct source		 fresh;
	struct source_copy	*c;
	PGresult		*res;
	const char		*p[1];
	char			 msg[160];
	int			 cached, tries, rc;

	memset(&rv, 0, sizeof(rv));
	rv.r = r;
	rv.name = r->params[0];
	crypt_sha256_hex(r->body, r->bodylen, rv.body_sha);
	snprintf(rv.size, sizeof(rv.size), "%zu", r->bodylen);

	if (!name_valid(rv.name)) {
		snprintf(msg, sizeof(msg), "Webhook source '%.64s' is not "
		    "registered", rv.name);
		recv_refusal(&rv, 404, "unknown_source", msg);
		recv_refuse(&rv, NULL);
		goto out;
	}
	c = source_cache_get(rv.name);
	for (tries = 0; tries < 3; tries++) {
		if ((cached = c != NULL) == 0) {
			p[0] = rv.name;
			if ((res = db_exec("recv_source", sql_source, 1,
			    p)) == NULL) {
				resp_error(r, 503, "unavailable",
				    "Database unavailable");
				goto out;
			}
			if (PQntuples(res) == 0) {
				PQclear(res);
				snprintf(msg, sizeof(msg), "Webhook source '%s' "
				    "is not registered", rv.name);
				recv_refusal(&rv, 404, "unknown_source", msg);
				recv_refuse(&rv, NULL);
				goto out;
			}
			source_from_row(res, 0, 0, &fresh);
			PQclear(res);
			c = source_cache_put(&fresh);
		}
		if ((rc = recv_check(&rv, c)) == 0 &&
		    (rc = recv_store(&rv, &c->src)) == 0)
			goto out;
		if (rc == -1 && !cached) {
			recv_refuse(&rv, &c->src);
			goto out;
		}
		/* Decided on a copy that may be old: read the source again. */
		source_copy_clear(c);
		c = NULL;
	}
	resp_error(r, 503, "unavailable", "Webhook source changed during the "
	    "request; retry");
out:
	json_decref(rv.payload);
}

/* --- source management (admin) ------------------------------------ */

static const char *const formats[] = { "auto", "generic", "defender",
    "crowdstrike", "splunk", NULL };
static const char *const modes[] = { "sync", "queue", NULL };

static const struct vfield source_fields[] = {
	{ "source", V_NAME, 0, 0, 0, NULL, 0 },
	{ "secret", V_STRING, 0, 8, 512, NULL, 0 },
	{ "auto_triage", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "playbook", V_NAME, 0, 0, 0, NULL, 1 },
	{ "severity_mapping", V_OBJECT, 0, 0, 0, NULL, 0 },
	{ "format", V_ENUM, 0, 0, 0, formats, 0 },
	{ "mode", V_ENUM, 0, 0, 0, modes, 0 },
	{ "enabled", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "rotate_secret", V_BOOL, 0, 0, 0, NULL, 0 },
};

#define SOURCE_JSON \
	"json_build_object('source', s.name, 'auto_triage', s.auto_triage," \
	" 'playbook', s.playbook, 'severity_mapping', s.severity_mapping," \
	" 'format', s.format, 'mode', s.mode, 'enabled', s.enabled," \
	" 'secret_rotated_at', s.secret_rotated_at," \
	" 'created_at', s.created_at, 'updated_at', s.updated_at)"

static const char *
bool_param(const json_t *o, const char *k)
{
	json_t	*v;

	if ((v = json_object_get(o, k)) == NULL || json_is_null(v))
		return NULL;
	return json_is_true(v) ? "t" : "f";
}

/* Answers one row's JSON column, adding the secret when one was made. */
static void
answer_source(struct req *r, int status, const char *js, const char *secret)
{
	json_t	*j;

	if ((j = json_loads(js, 0, NULL)) == NULL) {
		resp_error(r, 500, "internal", "Malformed row");
		return;
	}
	if (secret != NULL)
		json_object_set_new(j, "secret", json_string(secret));
	resp_json(r, status, j);
}

/*
 * POST /api/webhooks (create) and PUT /api/webhooks/:source (upsert: the
 * YAML import's "importing again updates in place").  One statement.
 */
static void
source_write(struct req *r, int is_put)
{
	static const char sql[] =
	    "INSERT INTO hookpost.sources AS s (name, secret_enc, auto_triage,"
	    "  playbook, severity_mapping, format, mode, enabled)"
	    " VALUES ($1, $2, coalesce($3::boolean, false), $4,"
	    "  coalesce($5::jsonb, '{}'), coalesce($6, 'auto'),"
	    "  coalesce($7, 'sync'), coalesce($8::boolean, true))"
	    " ON CONFLICT (name) DO UPDATE SET"
	    "  secret_enc = coalesce($9, s.secret_enc),"
	    "  secret_rotated_at = CASE WHEN $9 IS NULL THEN s.secret_rotated_at"
	    "   ELSE now() END,"
	    "  auto_triage = coalesce($3::boolean, s.auto_triage),"
	    "  playbook = CASE WHEN $10 THEN $4 ELSE s.playbook END,"
	    "  severity_mapping = coalesce($5::jsonb, s.severity_mapping),"
	    "  format = coalesce($6, s.format), mode = coalesce($7, s.mode),"
	    "  enabled = coalesce($8::boolean, s.enabled), updated_at = now()"
	    " WHERE $11"
	    " RETURNING " SOURCE_JSON ", (xmax = 0) AS inserted";
	json_t		*body = NULL, *v;
	const char	*name, *given, *p[11];
	char		*secret = NULL, *sealed = NULL, *mapping = NULL;
	char		 err[256];
	PGresult	*res = NULL;
	int		 generated = 0, rotate, inserted;

	if ((body = req_json_object(r)) == NULL)
		goto out;
	if (valid_object(r, body, source_fields, sizeof(source_fields) /
	    sizeof(source_fields[0])) == -1)
		goto out;
	if (is_put) {
		name = r->params[0];
		if (!name_valid(name)) {
			resp_error(r, 400, "invalid_field", "Source name must "
			    "match [a-z0-9][a-z0-9._-]{0,63}");
			goto out;
		}
		v = json_object_get(body, "source");
		if (v != NULL && strcmp(json_string_value(v), name) != 0) {
			resp_error(r, 400, "invalid_field", "Field 'source' "
			    "differs from the name in the URL");
			goto out;
		}
	} else if ((name = json_string_value(json_object_get(body,
	    "source"))) == NULL) {
		resp_error(r, 400, "invalid_field", "Field 'source' is required");
		goto out;
	}
	v = json_object_get(body, "severity_mapping");
	if (v != NULL) {
		if (severity_mapping_valid(v, err, sizeof(err)) == -1) {
			resp_error(r, 400, "invalid_field", "severity_mapping: %s",
			    err);
			goto out;
		}
		mapping = json_dumps(v, JSON_COMPACT);
	}
	given = json_string_value(json_object_get(body, "secret"));
	rotate = json_is_true(json_object_get(body, "rotate_secret"));
	if (given != NULL && rotate) {
		resp_error(r, 400, "invalid_field",
		    "Give 'secret' or 'rotate_secret', not both");
		goto out;
	}
	if (given != NULL)
		secret = xstrdup(given);
	else {
		/* Generated secrets: whsec_ + base64 of 24 random bytes. */
		unsigned char	 rnd[24];
		char		*b64;

		if (crypt_random(rnd, sizeof(rnd)) == -1) {
			resp_error(r, 500, "internal", "No randomness");
			goto out;
		}
		b64 = crypt_b64_new(rnd, sizeof(rnd));
		secret = xasprintf("whsec_%s", b64);
		free(b64);
		generated = 1;
	}
	if ((sealed = crypt_secret_seal(secret)) == NULL) {
		resp_error(r, 503, "unavailable", "Secret storage unavailable "
		    "(HOOKPOST_SECRET_KEY_FILE)");
		goto out;
	}
	p[0] = name;
	p[1] = sealed;
	p[2] = bool_param(body, "auto_triage");
	p[3] = json_string_value(json_object_get(body, "playbook"));
	p[4] = mapping;
	p[5] = json_string_value(json_object_get(body, "format"));
	p[6] = json_string_value(json_object_get(body, "mode"));
	p[7] = bool_param(body, "enabled");
	p[8] = (given != NULL || rotate) ? sealed : NULL;
	p[9] = json_object_get(body, "playbook") != NULL ? "t" : "f";
	p[10] = is_put ? "t" : "f";
	if ((res = db_exec("source_write", sql, 11, p)) == NULL) {
		if (strcmp(db_last_sqlstate(), "23503") == 0)
			resp_error(r, 400, "invalid_field", "Playbook '%s' does "
			    "not exist", p[3] ? p[3] : "");
		else
			resp_error(r, 503, "unavailable", "Database unavailable");
		goto out;
	}
	if (PQntuples(res) == 0) {
		/* POST on an existing name: the WHERE $11 refused the update. */
		resp_error(r, 409, "conflict", "Webhook source '%s' already "
		    "exists", name);
		goto out;
	}
	inserted = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	answer_source(r, inserted ? 201 : 200, PQgetvalue(res, 0, 0),
	    (inserted && generated) || (!inserted && rotate) ? secret : NULL);
out:
	PQclear(res);
	json_decref(body);
	free(mapping);
	free(sealed);
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}

static void
source_list(struct req *r)
{
	static const char sql[] = "SELECT " SOURCE_JSON ", s.name"
	    " FROM hookpost.sources s WHERE ($1::text IS NULL OR s.name > $1)"
	    " ORDER BY s.name LIMIT $2";
	char		 cur[80], lim[24];
	const char	*p[2];
	long long	 limit = 50;
	PGresult	*res;
	json_t		*data;
	int		 i, n;

	if (req_query(r, "limit", lim, sizeof(lim)) != NULL &&
	    parse_int(lim, 1, 200, &limit) == -1) {
		resp_error(r, 400, "invalid_field", "limit must be 1-200");
		return;
	}
	p[0] = req_query(r, "cursor", cur, sizeof(cur));
	snprintf(lim, sizeof(lim), "%lld", limit + 1);
	p[1] = lim;
	if ((res = db_exec("source_list", sql, 2, p)) == NULL) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		return;
	}
	data = json_array();
	n = PQntuples(res);
	for (i = 0; i < n && i < limit; i++)
		json_array_append_new(data, json_loads(PQgetvalue(res, i, 0), 0,
		    NULL));
	resp_list(r, data, n > limit ? PQgetvalue(res, (int)limit - 1, 1) :
	    NULL);
	PQclear(res);
}

static void
source_get(struct req *r)
{
	static const char sql[] = "SELECT " SOURCE_JSON
	    " FROM hookpost.sources s WHERE s.name = $1";
	const char	*p[1];
	PGresult	*res;

	p[0] = r->params[0];
	if ((res = db_exec("source_get", sql, 1, p)) == NULL) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		return;
	}
	if (PQntuples(res) == 0)
		resp_error(r, 404, "not_found", "Webhook source '%.64s' is not "
		    "registered", p[0]);
	else
		answer_source(r, 200, PQgetvalue(res, 0, 0), NULL);
	PQclear(res);
}

static void
source_delete(struct req *r)
{
	static const char sql[] = "DELETE FROM hookpost.sources"
	    " WHERE name = $1";
	const char	*p[1];
	PGresult	*res;

	p[0] = r->params[0];
	if ((res = db_exec("source_delete", sql, 1, p)) == NULL) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		return;
	}
	if (strcmp(PQcmdTuples(res), "0") == 0)
		resp_error(r, 404, "not_found", "Webhook source '%.64s' is not "
		    "registered", p[0]);
	else
		resp_send(r, 204, "application/json", NULL, "", 0);
	PQclear(res);
}

/*
 * Signs a body with the stored secret so `hookpost webhook test` can send
 * a correctly signed event without the secret leaving the server.
 */
static void
source_sign(struct req *r)
{
	static const char sql[] = "SELECT secret_enc FROM hookpost.sources"
	    " WHERE name = $1";
	const char	*p[1];
	PGresult	*res = NULL;
	json_t		*body = NULL;
	char		*secret = NULL, *compact = NULL, ts[24], hex[65];
	char		 sig[80];

	if ((body = req_json_object(r)) == NULL)
		goto out;
	p[0] = r->params[0];
	if ((res = db_exec("source_secret", sql, 1, p)) == NULL) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		goto out;
	}
	if (PQntuples(res) == 0) {
		resp_error(r, 404, "not_found", "Webhook source '%.64s' is not "
		    "registered", p[0]);
		goto out;
	}
	if ((secret = crypt_secret_open(PQgetvalue(res, 0, 0))) == NULL) {
		resp_error(r, 500, "internal", "Source secret unavailable");
		goto out;
	}
	compact = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	if (sig_hmac_sha256_ts_hex(secret, ts, compact, strlen(compact),
	    hex) == -1) {
		resp_error(r, 500, "internal", "Signing failed");
		goto out;
	}
	snprintf(sig, sizeof(sig), "sha256=%s", hex);
	resp_json(r, 200, json_pack("{s:s,s:s,s:s}", "timestamp", ts,
	    "signature", sig, "body", compact));
out:
	PQclear(res);
	json_decref(body);
	free(compact);
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}

static void
dispatch(struct req *r, int route)
{
	switch ((enum route)route) {
	case ROUTE_RECEIVE:
		receive(r);
		break;
	case ROUTE_SOURCE_LIST:
		source_list(r);
		break;
	case ROUTE_SOURCE_CREATE:
		source_write(r, 0);
		break;
	case ROUTE_SOURCE_GET:
		source_get(r);
		break;
	case ROUTE_SOURCE_PUT:
		source_write(r, 1);
		break;
	case ROUTE_SOURCE_DELETE:
		source_delete(r);
		break;
	case ROUTE_SOURCE_SIGN:
		source_sign(r);
		break;
	case ROUTE__MAX:
		break;
	}
}

SRV_MAIN(routes, dispatch)
