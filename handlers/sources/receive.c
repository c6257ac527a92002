/*
 * POST /api/webhooks/:source (seed 004), the receiver: checks a request
 * against its source (a cached copy, cache.c), stores it in one
 * statement over the rules of sql/functions, which answers facts (an
 * outcome with ids), and maps those to HTTP here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "crypt.h"
#include "db.h"
#include "normalize.h"
#include "req.h"
#include "sig.h"
#include "source.h"
#include "util.h"
#include "valid.h"
#include "sources.h"

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
recv_check(struct recv *rv, struct copy *c)
{
	const struct source	*src = c->data;
	struct req	*r = rv->r;
	const char	*ts, *sighdr, *secret;
	unsigned char	 mac[32];
	long long	 t;
	int		 rc = -1;

	json_decref(rv->payload);
	rv->payload = NULL;
	if (!src->enabled) {
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
	if (!sig_ts_fresh(t)) {
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
#define RECV_STATUS_SYNC	200	/* also sql/025's, for the fast statement */
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
 * (audit_lock), the incident with its number (incident_number), which is
 * also the request's audit row and replay guard (sql/025: its
 * request_id, from the audit sequence, and incidents_replay), and
 * incident.created when someone subscribes (incident_subscribers,
 * incident_emit), in one commit.  Its first column is the outcome:
 * accepted; stale (the source changed or was deleted: nothing written);
 * replay or old (nothing written: a replay, of an incident or of a
 * request guarded in hookpost.alert_guards (sql/029), or a request old
 * enough for replay_guard's horizon), which hookpost.alert_accept then
 * takes.
 * Alerts that may merge into an open incident always go to alert_accept.
 */
static const char sql_fast[] =
	"WITH src AS ("
	"  SELECT id FROM hookpost.source_current($1::uuid, $3::text)"
	"), lk AS ("
	"  SELECT hookpost.audit_lock() FROM src"
	"  WHERE $4::bigint > hookpost.replay_guard_horizon()"
	"  AND NOT EXISTS (SELECT 1 FROM hookpost.alert_guards g"
	"   WHERE g.signed_at = $4::bigint AND g.source_id = $1::uuid"
	"   AND g.signature = decode($5::text, 'hex'))"
	"), num AS ("
	"  SELECT hookpost.incident_number(y.y, n.n) AS number"
	"  FROM lk, LATERAL (SELECT hookpost.incident_year() AS y) y,"
	"  LATERAL (SELECT nextval(hookpost.incident_seq(y.y)) AS n) n"
	"), i AS ("
	"  INSERT INTO hookpost.incidents (id, number, source_id, source, format,"
	"      title, severity, status, queue, tags, entities, indicators,"
	"      dedupe_key, triage, raw_payload, occurred_at, request_id,"
	"      remote_addr, user_agent, processing_ms, body_sha256, body_size,"
	"      signed_at, signature)"
	"  SELECT $23::uuid, num.number, $1::uuid, $2::text, $11::text,"
	"      $12::text, $13::text, $14::text, $15::text,"
	"      ARRAY(SELECT jsonb_array_elements_text($16::jsonb)),"
	"      $17::jsonb, $18::jsonb, $19::text, $20::jsonb, $21::text,"
	"      coalesce($22::timestamptz, now()),"
	"      nextval('hookpost.webhook_requests_id_seq'::regclass), $6::text,"
	"      left($7::text, 256), $8::real, $9::text, $10::bigint, $4::bigint,"
	"      decode($5::text, 'hex')"
	"  FROM num"
	"  ON CONFLICT (signed_at, source_id, signature)"
	"      WHERE signature IS NOT NULL DO NOTHING"
	"  RETURNING id, number, tags, occurred_at"
	")"
	" SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM src) THEN 'stale'"
	"     WHEN NOT EXISTS (SELECT 1 FROM lk) THEN 'old'"
	"     WHEN NOT EXISTS (SELECT 1 FROM i) THEN 'replay'"
	"     ELSE 'accepted' END,"
	"   (SELECT number FROM i),"
	"   (SELECT count(hookpost.incident_emit(i.id, i.number, $2::text,"
	"       $11::text, $12::text, $13::text, $14::text, $15::text, i.tags,"
	"       $17::jsonb, $20::jsonb, i.occurred_at)) FROM i"
	"    WHERE EXISTS (SELECT 1 FROM hookpost.incident_subscribers()))";

/*
 * sql_fast with p[0..10] as recv_store set them.  Returns 0 when answered,
 * 1 when src was stale, 2 when alert_accept must decide.
 */
static int
recv_store_fast(struct recv *rv, const char **p,
    const struct incident_params *ip)
{
	const char	*q[23];
	char		 iid[37];
	const char	*outcome;
	PGresult	*res;
	int		 rc = 2;

	if (uuid_new_v7(iid) == -1)
		return 2;
	/* p[10], the status, is the view's: the fast statement answers 200. */
	memcpy(q, p, 10 * sizeof(*q));
	q[10] = ip->v[0];	/* format, title, severity, status, queue */
	q[11] = ip->v[1];
	q[12] = ip->v[2];
	q[13] = ip->v[3];
	q[14] = ip->v[4];
	q[15] = ip->v[5];	/* tags, entities, indicators, dedupe_key */
	q[16] = ip->v[6];
	q[17] = ip->v[7];
	q[18] = ip->v[8];
	q[19] = ip->v[10];	/* triage */
	q[20] = rv->r->body;
	q[21] = ip->v[11];	/* occurred_at */
	q[22] = iid;
	if ((res = db_group("recv_fast", sql_fast, 23, q)) == NULL) {
		audit_store_failed(rv->r);
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
	char			 ms[32], st[8], err[256];
	/* $1..$11 of all three statements: the request's facts. */
	const char		*p[24] = { src->id, src->name, src->version,
	    rv->ts, rv->sighex, r->remote_addr, r->user_agent, ms,
	    rv->body_sha, rv->size, st };
	size_t			 i;
	int			 rc = 0;

	memset(&inc, 0, sizeof(inc));
	memset(&ip, 0, sizeof(ip));
	snprintf(ms, sizeof(ms), "%.3f", req_elapsed_ms(r));
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
			audit_store_failed(r);
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
void
receive(struct req *r)
{
	static const char sql_source[] = "SELECT " SOURCE_COLUMNS
	    " FROM " SOURCE_FROM " WHERE s.name = $1";
	struct recv		 rv;
	struct source		 fresh;
	struct copy		*c;
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
			/* A name_valid name always fits a key. */
			if ((c = source_cache_put(&fresh)) == NULL) {
				resp_error(r, 500, "internal",
				    "Source name too long");
				goto out;
			}
		}
		if ((rc = recv_check(&rv, c)) == 0 &&
		    (rc = recv_store(&rv, c->data)) == 0)
			goto out;
		if (rc == -1 && !cached) {
			recv_refuse(&rv, c->data);
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
