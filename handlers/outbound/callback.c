/* outbound: async completion, /webhook-deliveries/:id[/status]. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "auth.h"
#include "cfg.h"
#include "crypt.h"
#include "db.h"
#include "req.h"
#include "sig.h"
#include "util.h"
#include "valid.h"
#include "outbound.h"

#define CALLBACK_MESSAGE_MAX	1024

/*
 * /webhook-deliveries/:id[/status] (seed 000 "X-TMI-Callback"): the
 * receiver of an async delivery authenticates with a bearer token
 * (scoped as everywhere) or with a signature bound to this delivery and
 * to a time (lib/sig.c SIG_CALLBACK, issue 8):
 *
 *   X-Webhook-Timestamp: <Unix seconds>
 *   X-Webhook-Signature: sha256=<hex HMAC-SHA256(subscription secret,
 *       "<delivery id>.<timestamp>.<raw body>")>
 *
 * the body of a GET being empty, the previous secret counting while its
 * grace lasts, and the timestamp within HOOKPOST_TIMESTAMP_TOLERANCE (5
 * minutes either way, as the inbound receivers').  So a captured callback
 * completes no other delivery (not even of the same subscription) and
 * goes stale in 5 minutes; one that completed or failed its delivery
 * cannot be replayed on it either, the delivery having left in_progress.
 * The body-only form (HMAC of the body alone) is refused: seed 000 gives
 * the callback no signature form of its own, and that one is replayable.
 * Returns 0 with *scope (NULL: any owner), or -1 after answering.
 */
static int
callback_auth(struct req *r, const char **scope)
{
	static const char sql[] = "SELECT d.id::text, s.secret_enc, CASE WHEN"
	    " s.previous_secret_expires_at > now() THEN s.previous_secret_enc"
	    " END FROM hookpost.deliveries d JOIN hookpost.subscriptions s"
	    " ON s.id = d.subscription_id WHERE d.id = $1::uuid";
	struct sig_request	 rq;
	const char		*hdr, *ts, *p[1];
	char			*secrets[SIG_SECRETS_MAX] = { NULL, NULL };
	PGresult		*res = NULL;
	long long		 t;
	int			 i, rc = -1;

	if (req_header(r, "Authorization") != NULL) {
		if (auth_require(r, AUTH_OWNER) == -1)
			return -1;
		*scope = auth_scope(r);
		return 0;
	}
	if ((hdr = req_header(r, "X-Webhook-Signature")) == NULL) {
		resp_error(r, 401, "unauthorized", "Send a bearer token, or "
		    "X-Webhook-Timestamp and an X-Webhook-Signature made with "
		    "the subscription's secret");
		return -1;
	}
	if ((ts = req_header(r, "X-Webhook-Timestamp")) == NULL ||
	    parse_int(ts, 0, 99999999999LL, &t) == -1) {
		resp_error(r, 401, "invalid_signature", "Send X-Webhook-"
		    "Timestamp (Unix seconds) and X-Webhook-Signature: sha256="
		    "<hex HMAC-SHA256 of \"<delivery id>.<timestamp>.<body>\">");
		return -1;
	}
	if (!sig_ts_fresh(t)) {
		resp_error(r, 401, "timestamp_expired", "Webhook timestamp is "
		    "more than %ld seconds away from now", cfg.ts_tolerance);
		return -1;
	}
	if (id_check(r, "delivery") == -1)
		return -1;
	p[0] = r->params[0];
	if ((res = db_exec("callback_secrets", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return -1;
	}
	if (PQntuples(res) == 0) {
		resp_error(r, 404, "not_found", "No such delivery");
		goto out;
	}
	for (i = 0; i < SIG_SECRETS_MAX; i++)
		if (!PQgetisnull(res, 0, i + 1))
			secrets[i] = crypt_secret_open(PQgetvalue(res, 0, i + 1));
	memset(&rq, 0, sizeof(rq));
	rq.scheme = SIG_CALLBACK;
	rq.secrets[0] = secrets[0];
	rq.secrets[1] = secrets[1];
	rq.id = PQgetvalue(res, 0, 0);	/* canonical: as X-Webhook-Delivery-Id */
	rq.ts = t;
	rq.body = r->body != NULL ? r->body : "";
	rq.bodylen = r->bodylen;
	if (sig_verify(&rq, hdr) == 0) {
		*scope = NULL;
		rc = 0;
	} else
		resp_error(r, 401, "invalid_signature",
		    "Webhook signature verification failed");
out:
	for (i = 0; i < SIG_SECRETS_MAX; i++)
		crypt_secret_free(secrets[i]);
	PQclear(res);
	return rc;
}

void
callback_get(struct req *r)
{
	static const char sql[] = "SELECT " DELIVERY_JSON "::text"
	    " FROM hookpost.deliveries d"
	    " WHERE d.id = $1::uuid AND ($2::text IS NULL OR d.owner_id = $2)"
	    HOOKPOST_TYPE_ONLY("$2");
	const char	*scope, *p[2];
	PGresult	*res;

	if (callback_auth(r, &scope) == -1)
		return;
	if (id_check(r, "delivery") == -1)
		return;
	p[0] = r->params[0];
	p[1] = scope;
	if ((res = db_exec("callback_get", sql, 2, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	resp_row(r, 200, res, "delivery");
	PQclear(res);
}

static const char *const callback_statuses[] = { "completed", "failed",
    "in_progress", NULL };

static const struct vfield callback_fields[] = {
	{ "status", V_ENUM, 1, 0, 0, callback_statuses, 0 },
	{ "message", V_STRING, 0, 0, CALLBACK_MESSAGE_MAX, NULL, 1 },
};

/*
 * POST /webhook-deliveries/:id/status: only while the delivery is
 * in_progress.  completed: delivered, and the subscription's
 * last_successful_use; failed: failed, and one more publication failure;
 * in_progress: a progress message.  One statement.
 */
void
callback_status(struct req *r)
{
	static const char sql[] = "WITH d AS (UPDATE hookpost.deliveries d SET"
	    " status = CASE $3 WHEN 'completed' THEN 'delivered'"
	    "  WHEN 'failed' THEN 'failed' ELSE d.status END,"
	    " completed_at = CASE WHEN $3 = 'in_progress' THEN d.completed_at"
	    "  ELSE now() END,"
	    " callback_status = $3, callback_message = $4, updated_at = now()"
	    " WHERE d.id = $1::uuid AND ($2::text IS NULL OR d.owner_id = $2)"
	    HOOKPOST_TYPE_ONLY("$2")
	    " AND d.status = 'in_progress' RETURNING d.*),"
	    " s AS (UPDATE hookpost.subscriptions s SET"
	    " last_successful_use = CASE WHEN $3 = 'completed' THEN now()"
	    "  ELSE s.last_successful_use END,"
	    " publication_failures = s.publication_failures +"
	    "  CASE WHEN $3 = 'failed' THEN 1 ELSE 0 END"
	    " FROM d WHERE s.id = d.subscription_id AND $3 <> 'in_progress')"
	    " SELECT " DELIVERY_JSON "::text FROM d";
	json_t		*body = NULL;
	const char	*scope, *p[4];
	char		*st;
	PGresult	*res = NULL;

	/* Verified before the body is read as JSON. */
	if (callback_auth(r, &scope) == -1)
		goto out;
	if (id_check(r, "delivery") == -1)
		goto out;
	if ((body = valid_body_new(r, VFIELDS(callback_fields))) == NULL)
		goto out;
	p[0] = r->params[0];
	p[1] = scope;
	p[2] = json_string_value(json_object_get(body, "status"));
	p[3] = json_string_value(json_object_get(body, "message"));
	if ((res = db_exec("callback_status", sql, 4, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (PQntuples(res) == 1)
		resp_row(r, 200, res, "delivery");
	else if ((st = delivery_status_new(p[0], scope, 0)) == NULL)
		resp_error(r, 404, "not_found", "No such delivery");
	else {
		resp_error(r, 409, "conflict", "Delivery is %s; a status "
		    "callback is taken only while it is in_progress", st);
		free(st);
	}
out:
	PQclear(res);
	json_decref(body);
}
