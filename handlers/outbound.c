/*
 * outbound: the seed-000 outbound API (DESIGN.md §3 route map).
 *   /admin/webhooks/subscriptions[/:id[/test]]   subscriptions
 *   /admin/webhooks/deliveries[/:id[/retry]]     deliveries and attempts
 *   /webhook-deliveries/:id[/status]             async completion (seed
 *                                                "X-TMI-Callback")
 *   /admin/quotas/webhooks[/:user_id]            per-owner quotas
 *   /admin/webhooks/deny-list[/:id]              the URL deny list
 *   POST /api/events, /api/event-types           publishing, the catalog
 *
 * Subscriptions and deliveries take any token: an admin sees and changes
 * all, a user token only rows of its own owner_id (others answer 404, so
 * ids do not leak).  Quotas, the deny list and new event types need an
 * admin; publishing needs an admin or service token.
 */
#include <sys/types.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <jansson.h>

#include "auth.h"
#include "cfg.h"
#include "crypt.h"
#include "db.h"
#include "log.h"
#include "page.h"
#include "req.h"
#include "sig.h"
#include "srv.h"
#include "urlguard.h"
#include "util.h"
#include "valid.h"

enum route {
	ROUTE_SUB_LIST,
	ROUTE_SUB_CREATE,
	ROUTE_SUB_GET,
	ROUTE_SUB_PUT,
	ROUTE_SUB_DELETE,
	ROUTE_SUB_TEST,
	ROUTE_DELIVERY_LIST,
	ROUTE_DELIVERY_GET,
	ROUTE_DELIVERY_RETRY,
	ROUTE_CALLBACK_GET,
	ROUTE_CALLBACK_STATUS,
	ROUTE_QUOTA_LIST,
	ROUTE_QUOTA_GET,
	ROUTE_QUOTA_PUT,
	ROUTE_QUOTA_DELETE,
	ROUTE_DENY_LIST,
	ROUTE_DENY_CREATE,
	ROUTE_DENY_DELETE,
	ROUTE_EVENT_PUBLISH,
	ROUTE_EVENT_TYPE_LIST,
	ROUTE_EVENT_TYPE_CREATE,
	ROUTE__MAX
};

static const struct srv_route routes[ROUTE__MAX] = {
	{ ROUTE_SUB_LIST, "GET", "/admin/webhooks/subscriptions", 0 },
	{ ROUTE_SUB_CREATE, "POST", "/admin/webhooks/subscriptions", SRV_BODY },
	{ ROUTE_SUB_GET, "GET", "/admin/webhooks/subscriptions/:id", 0 },
	{ ROUTE_SUB_PUT, "PUT", "/admin/webhooks/subscriptions/:id", SRV_BODY },
	{ ROUTE_SUB_DELETE, "DELETE", "/admin/webhooks/subscriptions/:id", 0 },
	{ ROUTE_SUB_TEST, "POST", "/admin/webhooks/subscriptions/:id/test", 0 },
	{ ROUTE_DELIVERY_LIST, "GET", "/admin/webhooks/deliveries", 0 },
	{ ROUTE_DELIVERY_GET, "GET", "/admin/webhooks/deliveries/:id", 0 },
	{ ROUTE_DELIVERY_RETRY, "POST", "/admin/webhooks/deliveries/:id/retry",
	  0 },
	{ ROUTE_CALLBACK_GET, "GET", "/webhook-deliveries/:id", 0 },
	{ ROUTE_CALLBACK_STATUS, "POST", "/webhook-deliveries/:id/status",
	  SRV_BODY },
	{ ROUTE_QUOTA_LIST, "GET", "/admin/quotas/webhooks", 0 },
	{ ROUTE_QUOTA_GET, "GET", "/admin/quotas/webhooks/:user_id", 0 },
	{ ROUTE_QUOTA_PUT, "PUT", "/admin/quotas/webhooks/:user_id", SRV_BODY },
	{ ROUTE_QUOTA_DELETE, "DELETE", "/admin/quotas/webhooks/:user_id", 0 },
	{ ROUTE_DENY_LIST, "GET", "/admin/webhooks/deny-list", 0 },
	{ ROUTE_DENY_CREATE, "POST", "/admin/webhooks/deny-list", SRV_BODY },
	{ ROUTE_DENY_DELETE, "DELETE", "/admin/webhooks/deny-list/:id", 0 },
	{ ROUTE_EVENT_PUBLISH, "POST", "/api/events", SRV_BODY },
	{ ROUTE_EVENT_TYPE_LIST, "GET", "/api/event-types", 0 },
	{ ROUTE_EVENT_TYPE_CREATE, "POST", "/api/event-types", SRV_BODY },
};

/* api_tokens.owner_id, as the API takes it */
#define OWNER_MAX		128
#define EVENT_TYPE_MAX		128
/* issue 4: an old secret keeps signing for 24 h after a rotation. */
#define GRACE_DEFAULT		86400
#define GRACE_MAX		604800
#define CALLBACK_MESSAGE_MAX	1024

/* --- helpers ---------------------------------------------------------- */


/* Owner ids are opaque, but printable and bounded: they reach URLs and logs. */
static int
owner_valid(const char *s)
{
	size_t	 n;

	if (s == NULL || (n = strlen(s)) == 0 || n > OWNER_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || *s == 0x7f)
			return 0;
	return 1;
}


/* Answers the JSON text in column 0 of row 0, or 404 naming `what`. */
static void
answer_row(struct req *r, int status, const PGresult *res, const char *what)
{
	json_t	*j;

	if (PQntuples(res) == 0) {
		resp_error(r, 404, "not_found", "No such %s", what);
		return;
	}
	if ((j = json_loads(PQgetvalue(res, 0, 0), 0, NULL)) == NULL) {
		resp_error(r, 500, "internal", "Malformed row");
		return;
	}
	resp_json(r, status, j);
}

static void
answer_deleted(struct req *r, PGresult *res, const char *what)
{
	if (strcmp(PQcmdTuples(res), "0") == 0)
		resp_error(r, 404, "not_found", "No such %s", what);
	else
		resp_send(r, 204, "application/json", NULL, "", 0);
}

/*
 * The owner restriction of the caller: NULL for an admin (everything),
 * else the token's owner_id.  Returns 0, or -1 after answering 403 for a
 * non-admin credential without an owner (a bare service token).
 */
static int
scope_get(struct req *r, const char **scope)
{
	if (r->auth.admin) {
		*scope = NULL;
		return 0;
	}
	if (r->auth.owner_id == NULL) {
		resp_error(r, 403, "forbidden",
		    "This token has no owner scope");
		return -1;
	}
	*scope = r->auth.owner_id;
	return 0;
}

/* A JSON value as compact text for a query parameter; caller frees. */
static char *
json_param_new(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return NULL;
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* A transaction on this process's connection (several statements). */
static int
tx_begin(void)
{
	PGconn	*c;

	if ((c = db_conn()) == NULL)
		return -1;
	if (PQtransactionStatus(c) != PQTRANS_IDLE)
		(void)db_command("ROLLBACK");
	return db_command("BEGIN");
}

/* Ends a transaction that is still open: the connection is reused. */
static void
tx_abort(void)
{
	PGconn	*c;

	if ((c = db_conn()) != NULL && PQtransactionStatus(c) != PQTRANS_IDLE)
		(void)db_command("ROLLBACK");
}

/* A generated signing secret (DESIGN.md §3): whsec_ + base64(24 bytes). */
static char *
secret_generate_new(void)
{
	unsigned char	 rnd[24];
	char		*b64, *s;

	if (crypt_random(rnd, sizeof(rnd)) == -1)
		return NULL;
	b64 = crypt_b64_new(rnd, sizeof(rnd));
	explicit_bzero(rnd, sizeof(rnd));
	s = xasprintf("whsec_%s", b64);
	explicit_bzero(b64, strlen(b64));
	free(b64);
	return s;
}

static void
secret_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* --- subscription inputs -------------------------------------------- */

/*
 * seed 000 "URL requirements": checked by lib/urlguard.c against the
 * admin deny list.  If the list cannot be loaded the URL is refused (fail
 * closed).  Returns 0, or -1 after answering 400 or 503.
 */
static int
url_check(struct req *r, const char *url)
{
	static const char sql[] = "SELECT pattern, pattern_type = 'regex'"
	    " FROM hookpost.webhook_url_deny_list ORDER BY id LIMIT 10000";
	struct urlguard_deny	*deny = NULL;
	PGresult		*res;
	char			 err[256];
	size_t			 i, n;
	int			 rc = -1;

	if ((res = db_exec("deny_load", sql, 0, NULL)) == NULL) {
		resp_error(r, 503, "unavailable", "The URL deny list cannot be "
		    "loaded; no URL is accepted until it can");
		return -1;
	}
	n = (size_t)PQntuples(res);
	if (n > 0)
		deny = xcalloc(n, sizeof(*deny));
	for (i = 0; i < n; i++) {
		deny[i].pattern = PQgetvalue(res, (int)i, 0);
		deny[i].is_regex = strcmp(PQgetvalue(res, (int)i, 1), "t") == 0;
	}
	err[0] = '\0';
	if (urlguard_check_url(url, cfg.allow_http, cfg.allow_private, deny,
	    n, err, sizeof(err)) == -1) {
		resp_error(r, 400, "invalid_field", "Field 'url': %s",
		    err[0] != '\0' ? err : "not allowed");
		goto out;
	}
	rc = 0;
out:
	free(deny);
	PQclear(res);
	return rc;
}

/* A subscription pattern's shape: "*", "a.b" or "a.*" ([a-z0-9_-] words). */
static int
event_pattern_valid(const char *p)
{
	size_t	 n, i;
	int	 dot = 0;

	if (strcmp(p, "*") == 0)
		return 1;
	if ((n = strlen(p)) < 3 || n > EVENT_TYPE_MAX)
		return 0;
	if (p[n - 1] == '*') {
		if (p[n - 2] != '.')
			return 0;
		n -= 2;
		dot = 1;
	}
	for (i = 0; i < n; i++) {
		if (p[i] == '.') {
			if (i == 0 || i == n - 1 || p[i - 1] == '.')
				return 0;
			dot = 1;
		} else if (strchr("abcdefghijklmnopqrstuvwxyz0123456789_-",
		    p[i]) == NULL)
			return 0;
	}
	return dot;
}

/*
 * The "events" of a subscription: 1-100 distinct entries, each a type in
 * the catalog (hookpost.event_types), "resource.*" for a resource that
 * has types, or "*".  Returns 0, or -1 after answering.
 */
static int
events_check(struct req *r, const json_t *events, const char *events_json)
{
	static const char sql[] = "SELECT p"
	    " FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY x(p, i)"
	    " WHERE p <> '*' AND NOT EXISTS (SELECT 1"
	    "  FROM hookpost.event_types t WHERE t.name = p"
	    "  OR (right(p, 2) = '.*' AND"
	    "  left(t.name, length(p) - 1) = left(p, length(p) - 1)))"
	    " ORDER BY i LIMIT 1";
	const char	*p[1], *s, *o;
	PGresult	*res;
	size_t		 i, k;
	int		 rc = -1;

	for (i = 0; i < json_array_size(events); i++) {
		s = json_string_value(json_array_get(events, i));
		if (s == NULL || !event_pattern_valid(s)) {
			resp_error(r, 400, "invalid_field", "Field 'events': "
			    "entry %zu is not an event type, 'resource.*' or "
			    "'*'", i);
			return -1;
		}
		for (k = 0; k < i; k++) {
			o = json_string_value(json_array_get(events, k));
			if (strcmp(o, s) == 0) {
				resp_error(r, 400, "invalid_field", "Field "
				    "'events': '%s' is listed twice", s);
				return -1;
			}
		}
	}
	p[0] = events_json;
	if ((res = db_exec("events_check", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return -1;
	}
	if (PQntuples(res) > 0)
		resp_error(r, 400, "invalid_field", "Field 'events': unknown "
		    "event type '%s' (see GET /api/event-types)",
		    PQgetvalue(res, 0, 0));
	else
		rc = 0;
	PQclear(res);
	return rc;
}

/* issue 4: a per-subscription retry schedule, 1-20 delays of 0-86400 s. */
static int
retry_schedule_check(struct req *r, const json_t *rs)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(rs, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 86400) {
			resp_error(r, 400, "invalid_field", "Field "
			    "'retry_schedule': each delay must be an integer "
			    "number of seconds from 0 to 86400");
			return -1;
		}
	}
	return 0;
}

/*
 * seed 000 "Rate Limits", inside the caller's transaction: the owner's
 * subscription create/update requests per minute and per day and, on
 * create, its number of subscriptions.  A per-owner advisory lock makes
 * concurrent requests of one owner queue, so two cannot both take the
 * last slot; the counting statement runs after the lock, with a fresh
 * snapshot.  Admins are the operators who set quotas: their requests are
 * neither limited nor counted.  Returns 0 (the request recorded), or -1
 * after answering 429 quota_exceeded or 503.
 */
static int
quota_take(struct req *r, const char *owner, int creating)
{
	static const char sql_lock[] = "SELECT pg_advisory_xact_lock("
	    "hashtextextended('hookpost.subscription_quota/' || $1, 0))";
	static const char sql_count[] = "SELECT q.max_subscriptions,"
	    " q.max_subscription_requests_per_minute,"
	    " q.max_subscription_requests_per_day,"
	    " (SELECT count(*) FROM hookpost.subscriptions"
	    "  WHERE owner_id = $1) >= q.max_subscriptions,"
	    " (SELECT count(*) FROM hookpost.subscription_requests"
	    "  WHERE owner_id = $1 AND requested_at > now() - interval"
	    "  '1 minute') >= q.max_subscription_requests_per_minute,"
	    " (SELECT count(*) FROM hookpost.subscription_requests"
	    "  WHERE owner_id = $1 AND requested_at > now() - interval"
	    "  '1 day') >= q.max_subscription_requests_per_day"
	    " FROM hookpost.quota_for($1) q";
	static const char sql_record[] = "INSERT INTO"
	    " hookpost.subscription_requests (owner_id) VALUES ($1)";
	const char	*p[1];
	PGresult	*res = NULL;
	int		 rc = -1;

	if (r->auth.admin)
		return 0;
	p[0] = owner;
	if ((res = db_exec("quota_lock", sql_lock, 1, p)) == NULL)
		goto unavailable;
	PQclear(res);
	if ((res = db_exec("quota_count", sql_count, 1, p)) == NULL)
		goto unavailable;
	if (creating && strcmp(PQgetvalue(res, 0, 3), "t") == 0)
		resp_error(r, 429, "quota_exceeded", "Subscription quota "
		    "exceeded: at most %s subscriptions per owner",
		    PQgetvalue(res, 0, 0));
	else if (strcmp(PQgetvalue(res, 0, 4), "t") == 0)
		resp_error(r, 429, "quota_exceeded", "Subscription request "
		    "quota exceeded: at most %s subscription requests per "
		    "minute", PQgetvalue(res, 0, 1));
	else if (strcmp(PQgetvalue(res, 0, 5), "t") == 0)
		resp_error(r, 429, "quota_exceeded", "Subscription request "
		    "quota exceeded: at most %s subscription requests per day",
		    PQgetvalue(res, 0, 2));
	else
		rc = 0;
	PQclear(res);
	if (rc == -1)
		return -1;
	if ((res = db_exec("quota_record", sql_record, 1, p)) == NULL)
		goto unavailable;
	PQclear(res);
	return 0;
unavailable:
	resp_error(r, 503, "unavailable", "Database unavailable");
	return -1;
}

/* --- subscriptions ---------------------------------------------------- */

#define SUB_JSON \
	"json_build_object('id', s.id, 'owner_id', s.owner_id," \
	" 'status', s.status, 'name', s.name, 'url', s.url," \
	" 'events', s.events, 'threat_model_id', s.threat_model_id," \
	" 'created_at', s.created_at, 'modified_at', s.modified_at," \
	" 'publication_failures', s.publication_failures," \
	" 'last_successful_use', s.last_successful_use," \
	" 'retry_schedule', s.retry_schedule," \
	" 'max_concurrency', s.max_concurrency, 'all_owners', s.all_owners," \
	" 'challenge_attempts', s.challenge_attempts," \
	" 'last_challenge_error', s.last_challenge_error," \
	" 'disabled_reason', s.disabled_reason," \
	" 'previous_secret_expires_at', CASE WHEN s.previous_secret_enc" \
	"  IS NOT NULL AND s.previous_secret_expires_at > now()" \
	"  THEN s.previous_secret_expires_at END)"

/* An ordered text[] / integer[] from a JSON array parameter. */
#define TEXT_ARRAY(p) \
	"ARRAY(SELECT x.v FROM jsonb_array_elements_text(" p "::jsonb)" \
	" WITH ORDINALITY x(v, i) ORDER BY x.i)"
#define INT_ARRAY(p) \
	"ARRAY(SELECT x.v::integer FROM jsonb_array_elements_text(" p \
	"::jsonb) WITH ORDINALITY x(v, i) ORDER BY x.i)"

static const struct vfield sub_create_fields[] = {
	{ "name", V_STRING, 1, 1, 256, NULL, 0 },
	{ "url", V_STRING, 1, 1, 2048, NULL, 0 },
	{ "events", V_ARRAY, 1, 1, 100, NULL, 0 },
	{ "secret", V_STRING, 0, 8, 512, NULL, 0 },
	{ "threat_model_id", V_STRING, 0, 1, 256, NULL, 1 },
	{ "retry_schedule", V_ARRAY, 0, 1, 20, NULL, 1 },
	{ "max_concurrency", V_INT, 0, 1, 64, NULL, 0 },
	{ "owner_id", V_STRING, 0, 1, OWNER_MAX, NULL, 0 },
};

static const char *const sub_statuses[] = { "pending_verification",
    "active", "disabled", NULL };

static const struct vfield sub_update_fields[] = {
	{ "name", V_STRING, 0, 1, 256, NULL, 0 },
	{ "url", V_STRING, 0, 1, 2048, NULL, 0 },
	{ "events", V_ARRAY, 0, 1, 100, NULL, 0 },
	{ "threat_model_id", V_STRING, 0, 1, 256, NULL, 1 },
	{ "retry_schedule", V_ARRAY, 0, 1, 20, NULL, 1 },
	{ "max_concurrency", V_INT, 0, 1, 64, NULL, 0 },
	{ "status", V_ENUM, 0, 0, 0, sub_statuses, 0 },
	{ "rotate_secret", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "secret", V_STRING, 0, 8, 512, NULL, 0 },
	{ "grace_seconds", V_INT, 0, 0, GRACE_MAX, NULL, 0 },
};

/* Answers a subscription row, with its secret when one was just made. */
static void
answer_sub(struct req *r, int status, const char *js, const char *secret)
{
	json_t	*j;

	if ((j = json_loads(js, 0, NULL)) == NULL) {
		resp_error(r, 500, "internal", "Malformed row");
		return;
	}
	/* seed 000: the secret is shown here, and never again. */
	if (secret != NULL)
		json_object_set_new(j, "secret", json_string(secret));
	resp_json(r, status, j);
}

static void
sub_list(struct req *r)
{
	static const char sql[] = "SELECT " SUB_JSON "::text,"
	    " s.created_at::text, s.id::text FROM hookpost.subscriptions s"
	    " WHERE ($1::text IS NULL OR s.owner_id = $1)"
	    " AND ($2::text IS NULL OR s.owner_id = $2)"
	    " AND ($3::text IS NULL OR s.status = $3)"
	    " AND ($4::timestamptz IS NULL OR"
	    "  (s.created_at, s.id) < ($4::timestamptz, $5::uuid))"
	    " ORDER BY s.created_at DESC, s.id DESC LIMIT $6";
	char		 owner[OWNER_MAX + 1], st[32], lim[24];
	char		*ca = NULL, *cb = NULL;
	const char	*scope, *p[6];
	long long	 limit;
	PGresult	*res;

	if (auth_require(r, AUTH_ANY) == -1 || scope_get(r, &scope) == -1 ||
	    page_args(r, 50, 200, &limit, &ca, &cb) == -1)
		goto out;
	if (cb != NULL && !uuid_valid(cb)) {
		resp_error(r, 400, "invalid_field", "cursor is not valid");
		goto out;
	}
	p[0] = scope;
	p[1] = req_query(r, "owner_id", owner, sizeof(owner));
	p[2] = req_query(r, "status", st, sizeof(st));
	p[3] = ca;
	p[4] = cb;
	snprintf(lim, sizeof(lim), "%lld", limit + 1);
	p[5] = lim;
	if ((res = db_exec("sub_list", sql, 6, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	page_answer(r, res, limit);
	PQclear(res);
out:
	free(ca);
	free(cb);
}

static void
sub_get(struct req *r)
{
	static const char sql[] = "SELECT " SUB_JSON "::text"
	    " FROM hookpost.subscriptions s"
	    " WHERE s.id = $1::uuid AND ($2::text IS NULL OR s.owner_id = $2)";
	const char	*scope, *p[2];
	PGresult	*res;

	if (auth_require(r, AUTH_ANY) == -1 || scope_get(r, &scope) == -1)
		return;
	if (!uuid_valid(r->params[0])) {
		resp_error(r, 404, "not_found", "No such subscription");
		return;
	}
	p[0] = r->params[0];
	p[1] = scope;
	if ((res = db_exec("sub_get", sql, 2, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	answer_row(r, 200, res, "subscription");
	PQclear(res);
}

/*
 * POST /admin/webhooks/subscriptions (seed 000 "Create a subscription"):
 * validated, quota-checked and inserted pending_verification in one
 * transaction that also wakes the challenge worker.
 */
static void
sub_create(struct req *r)
{
	static const char sql[] = "WITH s AS (INSERT INTO"
	    " hookpost.subscriptions (owner_id, all_owners, name, url, events,"
	    "  threat_model_id, secret_enc, retry_schedule, max_concurrency)"
	    " VALUES ($1, $2::boolean, $3, $4, " TEXT_ARRAY("$5") ", $6, $7,"
	    "  CASE WHEN $8::jsonb IS NULL THEN NULL ELSE " INT_ARRAY("$8")
	    "  END, coalesce($9::integer, 4))"
	    " RETURNING *)"
	    " SELECT " SUB_JSON "::text, pg_notify('hookpost_challenge', '')"
	    " FROM s";
	json_t		*body = NULL, *v;
	const char	*owner, *given, *p[9];
	char		*events = NULL, *rs = NULL, *secret = NULL;
	char		*sealed = NULL, mc[24];
	PGresult	*res = NULL;
	int		 all_owners = 0, in_tx = 0;

	if (auth_require(r, AUTH_ANY) == -1 ||
	    (body = req_json_object(r)) == NULL ||
	    valid_object(r, body, sub_create_fields, sizeof(sub_create_fields) /
	    sizeof(sub_create_fields[0])) == -1)
		goto out;

	/* Whose: admin may name any owner; a user only itself. */
	owner = json_string_value(json_object_get(body, "owner_id"));
	if (owner != NULL) {
		if (!owner_valid(owner)) {
			resp_error(r, 400, "invalid_field", "Field 'owner_id' "
			    "must be 1 to 128 printable characters");
			goto out;
		}
		if (!r->auth.admin && (r->auth.owner_id == NULL ||
		    strcmp(owner, r->auth.owner_id) != 0)) {
			resp_error(r, 403, "forbidden", "Only an admin may "
			    "create a subscription for another owner");
			goto out;
		}
	} else if (r->auth.owner_id != NULL)
		owner = r->auth.owner_id;
	else if (r->auth.admin) {
		/* An admin's own subscription receives every owner's events. */
		owner = "admin";
		all_owners = 1;
	} else {
		resp_error(r, 403, "forbidden",
		    "This token has no owner scope");
		goto out;
	}

	events = json_param_new(json_object_get(body, "events"));
	if (events_check(r, json_object_get(body, "events"), events) == -1)
		goto out;
	v = json_object_get(body, "retry_schedule");
	if (v != NULL && retry_schedule_check(r, v) == -1)
		goto out;
	rs = json_param_new(v);
	if (url_check(r, json_string_value(json_object_get(body, "url"))) == -1)
		goto out;

	given = json_string_value(json_object_get(body, "secret"));
	if (given != NULL)
		secret = xstrdup(given);
	else if ((secret = secret_generate_new()) == NULL) {
		resp_error(r, 500, "internal", "No randomness");
		goto out;
	}
	if ((sealed = crypt_secret_seal(secret)) == NULL) {
		resp_error(r, 503, "unavailable", "Secret storage unavailable "
		    "(HOOKPOST_SECRET_KEY_FILE)");
		goto out;
	}

	if (tx_begin() == -1) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		goto out;
	}
	in_tx = 1;
	if (quota_take(r, owner, 1) == -1)
		goto out;
	p[0] = owner;
	p[1] = all_owners ? "t" : "f";
	p[2] = json_string_value(json_object_get(body, "name"));
	p[3] = json_string_value(json_object_get(body, "url"));
	p[4] = events;
	p[5] = json_string_value(json_object_get(body, "threat_model_id"));
	p[6] = sealed;
	p[7] = rs;
	p[8] = NULL;
	if ((v = json_object_get(body, "max_concurrency")) != NULL) {
		snprintf(mc, sizeof(mc), "%lld",
		    (long long)json_integer_value(v));
		p[8] = mc;
	}
	if ((res = db_exec("sub_create", sql, 9, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (db_command("COMMIT") == -1) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		goto out;
	}
	in_tx = 0;
	answer_sub(r, 201, PQgetvalue(res, 0, 0), secret);
out:
	if (in_tx)
		tx_abort();
	PQclear(res);
	json_decref(body);
	free(events);
	free(rs);
	free(sealed);
	secret_free(secret);
}

/*
 * PUT /admin/webhooks/subscriptions/:id: changes the fields given.  A
 * changed URL is verified again (pending_verification, challenge count
 * reset).  "rotate_secret": true or "secret" replace the signing secret,
 * shown once; the old one keeps signing beside it for grace_seconds
 * (issue 4: default 24 h).  Status: an admin may set any; a user may
 * only ask a disabled subscription to be verified again.
 */
static void
sub_update(struct req *r)
{
	static const char sql_cur[] = "SELECT s.url, s.status, s.owner_id"
	    " FROM hookpost.subscriptions s WHERE s.id = $1::uuid"
	    " AND ($2::text IS NULL OR s.owner_id = $2) FOR UPDATE";
	static const char sql[] = "UPDATE hookpost.subscriptions s SET"
	    " name = coalesce($3, s.name), url = coalesce($4, s.url),"
	    " events = CASE WHEN $5::jsonb IS NULL THEN s.events"
	    "  ELSE " TEXT_ARRAY("$5") " END,"
	    " threat_model_id = CASE WHEN $6::boolean THEN $7"
	    "  ELSE s.threat_model_id END,"
	    " retry_schedule = CASE WHEN NOT $8::boolean THEN s.retry_schedule"
	    "  WHEN $9::jsonb IS NULL THEN NULL ELSE " INT_ARRAY("$9") " END,"
	    " max_concurrency = coalesce($10::integer, s.max_concurrency),"
	    " status = coalesce($11, s.status),"
	    " disabled_reason = CASE WHEN $11 IS NULL OR $11 = s.status"
	    "  THEN s.disabled_reason WHEN $11 = 'disabled'"
	    "  THEN 'disabled through the API' END,"
	    " challenge_attempts = CASE WHEN $12::boolean THEN 0"
	    "  ELSE s.challenge_attempts END,"
	    " next_challenge_at = CASE WHEN $12::boolean THEN now()"
	    "  ELSE s.next_challenge_at END,"
	    " last_challenge_error = CASE WHEN $12::boolean THEN NULL"
	    "  ELSE s.last_challenge_error END,"
	    " previous_secret_enc = CASE WHEN $13::text IS NULL"
	    "  THEN s.previous_secret_enc WHEN $14::integer = 0 THEN NULL"
	    "  ELSE s.secret_enc END,"
	    " previous_secret_expires_at = CASE WHEN $13::text IS NULL"
	    "  THEN s.previous_secret_expires_at WHEN $14::integer = 0"
	    "  THEN NULL ELSE now() + make_interval(secs => $14::integer) END,"
	    " secret_enc = coalesce($13, s.secret_enc), modified_at = now()"
	    " WHERE s.id = $1::uuid AND ($2::text IS NULL OR s.owner_id = $2)"
	    " RETURNING " SUB_JSON "::text,"
	    " CASE WHEN $12::boolean THEN pg_notify('hookpost_challenge', '')"
	    " END";
	json_t		*body = NULL, *v;
	const char	*scope, *url, *status, *cur_status, *given, *p[14];
	char		*events = NULL, *rs = NULL, *secret = NULL;
	char		*sealed = NULL, mc[24], grace[24];
	PGresult	*cur = NULL, *res = NULL;
	int		 in_tx = 0, reverify = 0, rotate;

	if (auth_require(r, AUTH_ANY) == -1 || scope_get(r, &scope) == -1)
		goto out;
	if (!uuid_valid(r->params[0])) {
		resp_error(r, 404, "not_found", "No such subscription");
		goto out;
	}
	if ((body = req_json_object(r)) == NULL ||
	    valid_object(r, body, sub_update_fields, sizeof(sub_update_fields) /
	    sizeof(sub_update_fields[0])) == -1)
		goto out;
	if (json_object_size(body) == 0) {
		resp_error(r, 400, "invalid_field", "Nothing to change");
		goto out;
	}
	given = json_string_value(json_object_get(body, "secret"));
	rotate = json_is_true(json_object_get(body, "rotate_secret"));
	if (given != NULL && rotate) {
		resp_error(r, 400, "invalid_field",
		    "Give 'secret' or 'rotate_secret', not both");
		goto out;
	}
	if (json_object_get(body, "grace_seconds") != NULL && given == NULL &&
	    !rotate) {
		resp_error(r, 400, "invalid_field", "Field 'grace_seconds' "
		    "goes with 'rotate_secret' or 'secret'");
		goto out;
	}
	if ((v = json_object_get(body, "events")) != NULL) {
		events = json_param_new(v);
		if (events_check(r, v, events) == -1)
			goto out;
	}
	if ((v = json_object_get(body, "retry_schedule")) != NULL &&
	    !json_is_null(v)) {
		if (retry_schedule_check(r, v) == -1)
			goto out;
		rs = json_param_new(v);
	}
	if ((url = json_string_value(json_object_get(body, "url"))) != NULL &&
	    url_check(r, url) == -1)
		goto out;
	if (given != NULL)
		secret = xstrdup(given);
	else if (rotate && (secret = secret_generate_new()) == NULL) {
		resp_error(r, 500, "internal", "No randomness");
		goto out;
	}
	if (secret != NULL && (sealed = crypt_secret_seal(secret)) == NULL) {
		resp_error(r, 503, "unavailable", "Secret storage unavailable "
		    "(HOOKPOST_SECRET_KEY_FILE)");
		goto out;
	}

	if (tx_begin() == -1) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		goto out;
	}
	in_tx = 1;
	p[0] = r->params[0];
	p[1] = scope;
	if ((cur = db_exec("sub_current", sql_cur, 2, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (PQntuples(cur) == 0) {
		resp_error(r, 404, "not_found", "No such subscription");
		goto out;
	}
	cur_status = PQgetvalue(cur, 0, 1);
	status = json_string_value(json_object_get(body, "status"));
	if (status != NULL && !r->auth.admin &&
	    strcmp(status, cur_status) != 0 &&
	    !(strcmp(status, "pending_verification") == 0 &&
	    strcmp(cur_status, "disabled") == 0)) {
		resp_error(r, 403, "forbidden", "Only an admin may set status "
		    "'%s'; a disabled subscription may ask for "
		    "'pending_verification'", status);
		goto out;
	}
	/* A new address has not proved it wants our events (seed 000). */
	if (url != NULL && strcmp(url, PQgetvalue(cur, 0, 0)) != 0) {
		reverify = 1;
		if (status == NULL || strcmp(status, "disabled") != 0)
			status = "pending_verification";
	}
	if (status != NULL && strcmp(status, "pending_verification") == 0 &&
	    strcmp(cur_status, "pending_verification") != 0)
		reverify = 1;
	if (quota_take(r, PQgetvalue(cur, 0, 2), 0) == -1)
		goto out;

	p[2] = json_string_value(json_object_get(body, "name"));
	p[3] = url;
	p[4] = events;
	v = json_object_get(body, "threat_model_id");
	p[5] = v != NULL ? "t" : "f";
	p[6] = json_string_value(v);
	p[7] = json_object_get(body, "retry_schedule") != NULL ? "t" : "f";
	p[8] = rs;
	p[9] = NULL;
	if ((v = json_object_get(body, "max_concurrency")) != NULL) {
		snprintf(mc, sizeof(mc), "%lld",
		    (long long)json_integer_value(v));
		p[9] = mc;
	}
	p[10] = status;
	p[11] = reverify ? "t" : "f";
	p[12] = sealed;
	snprintf(grace, sizeof(grace), "%lld", (v = json_object_get(body,
	    "grace_seconds")) != NULL ? (long long)json_integer_value(v) :
	    (long long)GRACE_DEFAULT);
	p[13] = grace;
	if ((res = db_exec("sub_update", sql, 14, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (PQntuples(res) == 0) {
		resp_error(r, 404, "not_found", "No such subscription");
		goto out;
	}
	if (db_command("COMMIT") == -1) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		goto out;
	}
	in_tx = 0;
	answer_sub(r, 200, PQgetvalue(res, 0, 0), secret);
out:
	if (in_tx)
		tx_abort();
	PQclear(cur);
	PQclear(res);
	json_decref(body);
	free(events);
	free(rs);
	free(sealed);
	secret_free(secret);
}

static void
sub_delete(struct req *r)
{
	static const char sql[] = "DELETE FROM hookpost.subscriptions s"
	    " WHERE s.id = $1::uuid AND ($2::text IS NULL OR s.owner_id = $2)";
	const char	*scope, *p[2];
	PGresult	*res;

	if (auth_require(r, AUTH_ANY) == -1 || scope_get(r, &scope) == -1)
		return;
	if (!uuid_valid(r->params[0])) {
		resp_error(r, 404, "not_found", "No such subscription");
		return;
	}
	p[0] = r->params[0];
	p[1] = scope;
	if ((res = db_exec("sub_delete", sql, 2, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	answer_deleted(r, res, "subscription");
	PQclear(res);
}

/* POST .../:id/test: a webhook.test event to this subscription alone. */
static void
sub_test(struct req *r)
{
	static const char sql[] = "SELECT hookpost.emit_to(s.id,"
	    " 'webhook.test', '{\"message\":\"hookpost test delivery\"}'::jsonb"
	    ")::text, s.status"
	    " FROM hookpost.subscriptions s"
	    " WHERE s.id = $1::uuid AND ($2::text IS NULL OR s.owner_id = $2)";
	const char	*scope, *p[2];
	PGresult	*res;

	if (auth_require(r, AUTH_ANY) == -1 || scope_get(r, &scope) == -1)
		return;
	if (!uuid_valid(r->params[0])) {
		resp_error(r, 404, "not_found", "No such subscription");
		return;
	}
	p[0] = r->params[0];
	p[1] = scope;
	if ((res = db_exec("sub_test", sql, 2, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0))
		resp_error(r, 404, "not_found", "No such subscription");
	else
		resp_json(r, 202, json_pack("{s:s,s:s,s:s,s:s}", "delivery_id",
		    PQgetvalue(res, 0, 0), "subscription_id", r->params[0],
		    "event_type", "webhook.test", "subscription_status",
		    PQgetvalue(res, 0, 1)));
	PQclear(res);
}

/* --- deliveries ------------------------------------------------------- */

#define DELIVERY_FIELDS \
	"'id', d.id, 'event_id', d.event_id," \
	" 'subscription_id', d.subscription_id, 'owner_id', d.owner_id," \
	" 'event_type', d.event_type, 'status', d.status," \
	" 'attempt_count', d.attempts, 'next_attempt_at', d.next_attempt_at," \
	" 'last_status_code', d.last_status_code, 'last_error', d.last_error," \
	" 'callback_status', d.callback_status," \
	" 'callback_message', d.callback_message," \
	" 'created_at', d.created_at, 'updated_at', d.updated_at," \
	" 'completed_at', d.completed_at"
#define DELIVERY_JSON	"json_build_object(" DELIVERY_FIELDS ")"

static const char *const delivery_statuses[] = { "pending", "sending",
    "in_progress", "delivered", "failed", "cancelled", NULL };

static int
one_of(const char *const *values, const char *s)
{
	for (; *values != NULL; values++)
		if (strcmp(*values, s) == 0)
			return 1;
	return 0;
}

static void
delivery_list(struct req *r)
{
	static const char sql[] = "SELECT " DELIVERY_JSON "::text,"
	    " d.created_at::text, d.id::text FROM hookpost.deliveries d"
	    " WHERE ($1::text IS NULL OR d.owner_id = $1)"
	    " AND ($2::uuid IS NULL OR d.subscription_id = $2::uuid)"
	    " AND ($3::text IS NULL OR d.status = $3)"
	    " AND ($4::text IS NULL OR d.event_type = $4)"
	    " AND ($5::timestamptz IS NULL OR"
	    "  (d.created_at, d.id) < ($5::timestamptz, $6::uuid))"
	    " ORDER BY d.created_at DESC, d.id DESC LIMIT $7";
	char		 sub[64], st[32], et[EVENT_TYPE_MAX + 1], lim[24];
	char		*ca = NULL, *cb = NULL;
	const char	*scope, *p[7];
	long long	 limit;
	PGresult	*res;

	if (auth_require(r, AUTH_ANY) == -1 || scope_get(r, &scope) == -1 ||
	    page_args(r, 50, 500, &limit, &ca, &cb) == -1)
		goto out;
	if (cb != NULL && !uuid_valid(cb)) {
		resp_error(r, 400, "invalid_field", "cursor is not valid");
		goto out;
	}
	p[0] = scope;
	p[1] = req_query(r, "subscription_id", sub, sizeof(sub));
	p[2] = req_query(r, "status", st, sizeof(st));
	p[3] = req_query(r, "event_type", et, sizeof(et));
	if (p[1] != NULL && !uuid_valid(p[1])) {
		resp_error(r, 400, "invalid_field", "subscription_id must be "
		    "a UUID");
		goto out;
	}
	if (p[2] != NULL && !one_of(delivery_statuses, p[2])) {
		resp_error(r, 400, "invalid_field", "status must be one of: "
		    "pending, sending, in_progress, delivered, failed, "
		    "cancelled");
		goto out;
	}
	p[4] = ca;
	p[5] = cb;
	snprintf(lim, sizeof(lim), "%lld", limit + 1);
	p[6] = lim;
	if ((res = db_exec("delivery_list", sql, 7, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	page_answer(r, res, limit);
	PQclear(res);
out:
	free(ca);
	free(cb);
}

/* One delivery, its event's payload (the signed body) and its attempts. */
static void
delivery_get(struct req *r)
{
	static const char sql[] = "SELECT json_build_object(" DELIVERY_FIELDS
	    ", 'payload', e.payload::json, 'attempts', (SELECT"
	    "  coalesce(json_agg(json_build_object('attempt', a.attempt,"
	    "  'started_at', a.started_at, 'status_code', a.status_code,"
	    "  'response_ms', a.response_ms, 'error', a.error,"
	    "  'response_body', a.response_body) ORDER BY a.attempt, a.id),"
	    "  '[]') FROM (SELECT * FROM hookpost.delivery_attempts"
	    "  WHERE delivery_id = d.id ORDER BY attempt, id LIMIT 100) a)"
	    ")::text"
	    " FROM hookpost.deliveries d JOIN hookpost.events e"
	    "  ON e.id = d.event_id"
	    " WHERE d.id = $1::uuid AND ($2::text IS NULL OR d.owner_id = $2)";
	const char	*scope, *p[2];
	PGresult	*res;

	if (auth_require(r, AUTH_ANY) == -1 || scope_get(r, &scope) == -1)
		return;
	if (!uuid_valid(r->params[0])) {
		resp_error(r, 404, "not_found", "No such delivery");
		return;
	}
	p[0] = r->params[0];
	p[1] = scope;
	if ((res = db_exec("delivery_get", sql, 2, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	answer_row(r, 200, res, "delivery");
	PQclear(res);
}

/* The status of a delivery the caller may see, or NULL; caller frees. */
static char *
delivery_status_new(const char *id, const char *scope)
{
	static const char sql[] = "SELECT d.status FROM hookpost.deliveries d"
	    " WHERE d.id = $1::uuid AND ($2::text IS NULL OR d.owner_id = $2)";
	const char	*p[2];
	PGresult	*res;
	char		*st = NULL;

	p[0] = id;
	p[1] = scope;
	if ((res = db_exec("delivery_status", sql, 2, p)) == NULL)
		return NULL;
	if (PQntuples(res) == 1)
		st = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return st;
}

/* POST .../:id/retry: a failed or cancelled delivery starts over. */
static void
delivery_retry(struct req *r)
{
	static const char sql[] = "WITH d AS (UPDATE hookpost.deliveries d SET"
	    " status = 'pending', attempts = 0, next_attempt_at = now(),"
	    " completed_at = NULL, claim_id = NULL, lease_until = NULL,"
	    " updated_at = now()"
	    " WHERE d.id = $1::uuid AND ($2::text IS NULL OR d.owner_id = $2)"
	    " AND d.status IN ('failed', 'cancelled') RETURNING d.*)"
	    " SELECT " DELIVERY_JSON "::text,"
	    " pg_notify('hookpost_delivery', '') FROM d";
	const char	*scope, *p[2];
	char		*st;
	PGresult	*res;

	if (auth_require(r, AUTH_ANY) == -1 || scope_get(r, &scope) == -1)
		return;
	if (!uuid_valid(r->params[0])) {
		resp_error(r, 404, "not_found", "No such delivery");
		return;
	}
	p[0] = r->params[0];
	p[1] = scope;
	if ((res = db_exec("delivery_retry", sql, 2, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if (PQntuples(res) == 1)
		answer_row(r, 202, res, "delivery");
	else if ((st = delivery_status_new(p[0], scope)) == NULL)
		resp_error(r, 404, "not_found", "No such delivery");
	else {
		resp_error(r, 409, "conflict", "Delivery is %s; only a failed "
		    "or cancelled delivery can be retried", st);
		free(st);
	}
	PQclear(res);
}

/*
 * /webhook-deliveries/:id[/status] (seed 000 "X-TMI-Callback"): the
 * receiver of an async delivery authenticates with a bearer token
 * (scoped as everywhere) or with X-Webhook-Signature: sha256=<hex
 * HMAC-SHA256 of the raw body (empty for GET) under the subscription's
 * secret>, the previous secret counting while its grace lasts.  Returns 0
 * with *scope (NULL: any owner), or -1 after answering.
 */
static int
callback_auth(struct req *r, const char **scope)
{
	static const char sql[] = "SELECT s.secret_enc, CASE WHEN"
	    " s.previous_secret_expires_at > now() THEN s.previous_secret_enc"
	    " END FROM hookpost.deliveries d JOIN hookpost.subscriptions s"
	    " ON s.id = d.subscription_id WHERE d.id = $1::uuid";
	const char	*hdr, *p[1];
	unsigned char	 want[32], mac[SIG_MAX_MAC];
	struct sig_part	 part;
	PGresult	*res = NULL;
	char		*secret;
	size_t		 maclen;
	int		 col, rc = -1;

	if (req_header(r, "Authorization") != NULL)
		return auth_require(r, AUTH_ANY) == -1 ||
		    scope_get(r, scope) == -1 ? -1 : 0;
	if ((hdr = req_header(r, "X-Webhook-Signature")) == NULL) {
		resp_error(r, 401, "unauthorized", "Send a bearer token or an "
		    "X-Webhook-Signature made with the subscription's secret");
		return -1;
	}
	if (!uuid_valid(r->params[0])) {
		resp_error(r, 404, "not_found", "No such delivery");
		return -1;
	}
	p[0] = r->params[0];
	if ((res = db_exec("callback_secrets", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return -1;
	}
	if (PQntuples(res) == 0) {
		resp_error(r, 404, "not_found", "No such delivery");
		goto out;
	}
	if (sig_parse_sha256(hdr, want) == -1)
		goto bad;
	part.data = r->body != NULL ? r->body : "";
	part.len = r->bodylen;
	for (col = 0; col < 2 && rc == -1; col++) {
		if (PQgetisnull(res, 0, col))
			continue;
		secret = crypt_secret_open(PQgetvalue(res, 0, col));
		if (secret == NULL)
			continue;
		if (sig_hmac("SHA256", secret, strlen(secret), &part, 1, mac,
		    &maclen) == 0 && maclen == sizeof(want) &&
		    CRYPTO_memcmp(mac, want, sizeof(want)) == 0)
			rc = 0;
		secret_free(secret);
	}
	if (rc == 0) {
		*scope = NULL;
		goto out;
	}
bad:
	resp_error(r, 401, "invalid_signature",
	    "Webhook signature verification failed");
out:
	PQclear(res);
	return rc;
}

static void
callback_get(struct req *r)
{
	static const char sql[] = "SELECT " DELIVERY_JSON "::text"
	    " FROM hookpost.deliveries d"
	    " WHERE d.id = $1::uuid AND ($2::text IS NULL OR d.owner_id = $2)";
	const char	*scope, *p[2];
	PGresult	*res;

	if (callback_auth(r, &scope) == -1)
		return;
	if (!uuid_valid(r->params[0])) {
		resp_error(r, 404, "not_found", "No such delivery");
		return;
	}
	p[0] = r->params[0];
	p[1] = scope;
	if ((res = db_exec("callback_get", sql, 2, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	answer_row(r, 200, res, "delivery");
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
static void
callback_status(struct req *r)
{
	static const char sql[] = "WITH d AS (UPDATE hookpost.deliveries d SET"
	    " status = CASE $3 WHEN 'completed' THEN 'delivered'"
	    "  WHEN 'failed' THEN 'failed' ELSE d.status END,"
	    " completed_at = CASE WHEN $3 = 'in_progress' THEN d.completed_at"
	    "  ELSE now() END,"
	    " callback_status = $3, callback_message = $4, updated_at = now()"
	    " WHERE d.id = $1::uuid AND ($2::text IS NULL OR d.owner_id = $2)"
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
	if (!uuid_valid(r->params[0])) {
		resp_error(r, 404, "not_found", "No such delivery");
		goto out;
	}
	if ((body = req_json_object(r)) == NULL ||
	    valid_object(r, body, callback_fields, sizeof(callback_fields) /
	    sizeof(callback_fields[0])) == -1)
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
		answer_row(r, 200, res, "delivery");
	else if ((st = delivery_status_new(p[0], scope)) == NULL)
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

/* --- quotas (admin) --------------------------------------------------- */

#define QUOTA_COLUMNS \
	"'max_subscriptions', q.max_subscriptions," \
	" 'max_events_per_minute', q.max_events_per_minute," \
	" 'max_subscription_requests_per_minute'," \
	"  q.max_subscription_requests_per_minute," \
	" 'max_subscription_requests_per_day'," \
	"  q.max_subscription_requests_per_day"

static const struct vfield quota_fields[] = {
	{ "max_subscriptions", V_INT, 0, 0, 100000, NULL, 0 },
	{ "max_events_per_minute", V_INT, 0, 1, 1000000000, NULL, 0 },
	{ "max_subscription_requests_per_minute", V_INT, 0, 1, 1000000000,
	  NULL, 0 },
	{ "max_subscription_requests_per_day", V_INT, 0, 1, 1000000000,
	  NULL, 0 },
	/* Echoed back by clients that PUT what they GOT. */
	{ "owner_id", V_STRING, 0, 1, OWNER_MAX, NULL, 0 },
	{ "user_id", V_STRING, 0, 1, OWNER_MAX, NULL, 0 },
	{ "custom", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "created_at", V_STRING, 0, 0, 64, NULL, 1 },
	{ "updated_at", V_STRING, 0, 0, 64, NULL, 1 },
};

static void
quota_list(struct req *r)
{
	static const char sql[] = "SELECT json_build_object('owner_id',"
	    " q.owner_id, " QUOTA_COLUMNS ", 'custom', true,"
	    " 'created_at', q.created_at, 'updated_at', q.updated_at)::text,"
	    " q.owner_id, '' FROM hookpost.quotas q"
	    " WHERE ($1::text IS NULL OR q.owner_id > $1)"
	    " ORDER BY q.owner_id LIMIT $2";
	char		 lim[24], *ca = NULL, *cb = NULL;
	const char	*p[2];
	long long	 limit;
	PGresult	*res;

	if (auth_require(r, AUTH_ADMIN) == -1 ||
	    page_args(r, 100, 500, &limit, &ca, &cb) == -1)
		goto out;
	p[0] = ca;
	snprintf(lim, sizeof(lim), "%lld", limit + 1);
	p[1] = lim;
	if ((res = db_exec("quota_list", sql, 2, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	page_answer(r, res, limit);
	PQclear(res);
out:
	free(ca);
	free(cb);
}

/* The effective quota: the owner's own, or the seed's defaults. */
static void
quota_get(struct req *r)
{
	static const char sql[] = "SELECT json_build_object('owner_id',"
	    " $1::text, " QUOTA_COLUMNS ", 'custom', c.owner_id IS NOT NULL,"
	    " 'created_at', c.created_at, 'updated_at', c.updated_at)::text"
	    " FROM hookpost.quota_for($1) q"
	    " LEFT JOIN hookpost.quotas c ON c.owner_id = $1";
	const char	*p[1];
	PGresult	*res;

	if (auth_require(r, AUTH_ADMIN) == -1)
		return;
	if (!owner_valid(r->params[0])) {
		resp_error(r, 400, "invalid_field", "user_id must be 1 to 128 "
		    "printable characters");
		return;
	}
	p[0] = r->params[0];
	if ((res = db_exec("quota_get", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	answer_row(r, 200, res, "quota");
	PQclear(res);
}

/* PUT: the owner's quota; a limit left out takes the seed's default. */
static void
quota_put(struct req *r)
{
	static const char sql[] = "INSERT INTO hookpost.quotas AS c (owner_id,"
	    " max_subscriptions, max_events_per_minute,"
	    " max_subscription_requests_per_minute,"
	    " max_subscription_requests_per_day)"
	    " SELECT $1, coalesce($2::integer, d.max_subscriptions),"
	    " coalesce($3::integer, d.max_events_per_minute),"
	    " coalesce($4::integer, d.max_subscription_requests_per_minute),"
	    " coalesce($5::integer, d.max_subscription_requests_per_day)"
	    " FROM hookpost.quota_for(NULL) d"
	    " ON CONFLICT (owner_id) DO UPDATE SET"
	    " max_subscriptions = EXCLUDED.max_subscriptions,"
	    " max_events_per_minute = EXCLUDED.max_events_per_minute,"
	    " max_subscription_requests_per_minute ="
	    "  EXCLUDED.max_subscription_requests_per_minute,"
	    " max_subscription_requests_per_day ="
	    "  EXCLUDED.max_subscription_requests_per_day, updated_at = now()"
	    " RETURNING json_build_object('owner_id', c.owner_id,"
	    " 'max_subscriptions', c.max_subscriptions,"
	    " 'max_events_per_minute', c.max_events_per_minute,"
	    " 'max_subscription_requests_per_minute',"
	    "  c.max_subscription_requests_per_minute,"
	    " 'max_subscription_requests_per_day',"
	    "  c.max_subscription_requests_per_day, 'custom', true,"
	    " 'created_at', c.created_at, 'updated_at', c.updated_at)::text,"
	    " (xmax = 0)";
	static const char *const keys[] = { "max_subscriptions",
	    "max_events_per_minute", "max_subscription_requests_per_minute",
	    "max_subscription_requests_per_day" };
	json_t		*body = NULL, *v;
	const char	*p[5], *echo;
	char		 num[4][24];
	PGresult	*res = NULL;
	size_t		 i;

	if (auth_require(r, AUTH_ADMIN) == -1)
		goto out;
	if (!owner_valid(r->params[0])) {
		resp_error(r, 400, "invalid_field", "user_id must be 1 to 128 "
		    "printable characters");
		goto out;
	}
	if ((body = req_json_object(r)) == NULL ||
	    valid_object(r, body, quota_fields, sizeof(quota_fields) /
	    sizeof(quota_fields[0])) == -1)
		goto out;
	if (((echo = json_string_value(json_object_get(body, "owner_id"))) !=
	    NULL && strcmp(echo, r->params[0]) != 0) ||
	    ((echo = json_string_value(json_object_get(body, "user_id"))) !=
	    NULL && strcmp(echo, r->params[0]) != 0)) {
		resp_error(r, 400, "invalid_field", "The owner in the body "
		    "differs from the one in the URL");
		goto out;
	}
	p[0] = r->params[0];
	for (i = 0; i < 4; i++) {
		p[i + 1] = NULL;
		if ((v = json_object_get(body, keys[i])) != NULL) {
			snprintf(num[i], sizeof(num[i]), "%lld",
			    (long long)json_integer_value(v));
			p[i + 1] = num[i];
		}
	}
	if ((res = db_exec("quota_put", sql, 5, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	answer_row(r, strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? 201 : 200,
	    res, "quota");
out:
	PQclear(res);
	json_decref(body);
}

static void
quota_delete(struct req *r)
{
	static const char sql[] = "DELETE FROM hookpost.quotas"
	    " WHERE owner_id = $1";
	const char	*p[1];
	PGresult	*res;

	if (auth_require(r, AUTH_ADMIN) == -1)
		return;
	p[0] = r->params[0];
	if ((res = db_exec("quota_delete", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	answer_deleted(r, res, "custom quota");
	PQclear(res);
}

/* --- URL deny list (admin) -------------------------------------------- */

#define DENY_JSON \
	"json_build_object('id', l.id, 'pattern', l.pattern," \
	" 'pattern_type', l.pattern_type, 'description', l.description," \
	" 'created_at', l.created_at)"

static const char *const pattern_types[] = { "glob", "regex", NULL };

static const struct vfield deny_fields[] = {
	{ "pattern", V_STRING, 1, 1, 512, NULL, 0 },
	{ "pattern_type", V_ENUM, 0, 0, 0, pattern_types, 0 },
	{ "description", V_STRING, 0, 0, 1024, NULL, 0 },
};

static void
deny_list(struct req *r)
{
	static const char sql[] = "SELECT " DENY_JSON "::text, l.id::text, ''"
	    " FROM hookpost.webhook_url_deny_list l"
	    " WHERE ($1::bigint IS NULL OR l.id > $1::bigint)"
	    " ORDER BY l.id LIMIT $2";
	char		 lim[24], *ca = NULL, *cb = NULL;
	const char	*p[2];
	long long	 limit, id;
	PGresult	*res;

	if (auth_require(r, AUTH_ADMIN) == -1 ||
	    page_args(r, 100, 1000, &limit, &ca, &cb) == -1)
		goto out;
	if (ca != NULL && parse_int(ca, 0, (1LL << 62), &id) == -1) {
		resp_error(r, 400, "invalid_field", "cursor is not valid");
		goto out;
	}
	p[0] = ca;
	snprintf(lim, sizeof(lim), "%lld", limit + 1);
	p[1] = lim;
	if ((res = db_exec("deny_list", sql, 2, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	page_answer(r, res, limit);
	PQclear(res);
out:
	free(ca);
	free(cb);
}

static void
deny_create(struct req *r)
{
	static const char sql[] = "INSERT INTO hookpost.webhook_url_deny_list"
	    " AS l (pattern, pattern_type, description)"
	    " VALUES ($1, coalesce($2, 'glob'), coalesce($3, ''))"
	    " RETURNING " DENY_JSON "::text";
	json_t		*body = NULL;
	const char	*pattern, *type, *p[3];
	char		 err[128];
	PGresult	*res = NULL;
	regex_t		 re;
	int		 rc;

	if (auth_require(r, AUTH_ADMIN) == -1 ||
	    (body = req_json_object(r)) == NULL ||
	    valid_object(r, body, deny_fields, sizeof(deny_fields) /
	    sizeof(deny_fields[0])) == -1)
		goto out;
	pattern = json_string_value(json_object_get(body, "pattern"));
	type = json_string_value(json_object_get(body, "pattern_type"));
	/* urlguard matches regex entries as POSIX ERE, case-insensitive. */
	if (type != NULL && strcmp(type, "regex") == 0) {
		if ((rc = regcomp(&re, pattern, REG_EXTENDED | REG_ICASE |
		    REG_NOSUB)) != 0) {
			regerror(rc, &re, err, sizeof(err));
			resp_error(r, 400, "invalid_field", "Field 'pattern' "
			    "is not a valid extended regular expression: %s",
			    err);
			goto out;
		}
		regfree(&re);
	}
	p[0] = pattern;
	p[1] = type;
	p[2] = json_string_value(json_object_get(body, "description"));
	if ((res = db_exec("deny_create", sql, 3, p)) == NULL) {
		if (strcmp(db_last_sqlstate(), "23505") == 0)
			resp_error(r, 409, "conflict", "That pattern is "
			    "already on the deny list");
		else
			resp_db_error(r);
		goto out;
	}
	answer_row(r, 201, res, "deny-list entry");
out:
	PQclear(res);
	json_decref(body);
}

static void
deny_delete(struct req *r)
{
	static const char sql[] = "DELETE FROM hookpost.webhook_url_deny_list"
	    " WHERE id = $1::bigint";
	const char	*p[1];
	long long	 id;
	PGresult	*res;

	if (auth_require(r, AUTH_ADMIN) == -1)
		return;
	if (parse_int(r->params[0], 1, (1LL << 62), &id) == -1) {
		resp_error(r, 404, "not_found", "No such deny-list entry");
		return;
	}
	p[0] = r->params[0];
	if ((res = db_exec("deny_delete", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	answer_deleted(r, res, "deny-list entry");
	PQclear(res);
}

/* --- events and the catalog ------------------------------------------ */

static const struct vfield event_fields[] = {
	{ "event_type", V_STRING, 1, 1, EVENT_TYPE_MAX, NULL, 0 },
	{ "object_type", V_STRING, 0, 1, 128, NULL, 1 },
	{ "object_id", V_STRING, 0, 1, 256, NULL, 1 },
	{ "threat_model_id", V_STRING, 0, 1, 256, NULL, 1 },
	{ "owner_id", V_STRING, 0, 1, OWNER_MAX, NULL, 1 },
	{ "data", V_OBJECT, 0, 0, 0, NULL, 1 },
};

/*
 * POST /api/events: hookpost.emit over HTTP.  The event and its fan-out
 * commit together; 202 means every matching subscription has its
 * delivery row.  The owner defaults to the caller's.
 */
static void
event_publish(struct req *r)
{
	static const char sql[] = "SELECT hookpost.emit($1, $2, $3, $4, $5,"
	    " $6::jsonb)::text WHERE EXISTS (SELECT 1 FROM hookpost.event_types"
	    " WHERE name = $1)";
	json_t		*body = NULL;
	const char	*owner, *p[6];
	char		*data = NULL;
	PGresult	*res = NULL;

	if (auth_require(r, AUTH_SERVICE) == -1 ||
	    (body = req_json_object(r)) == NULL ||
	    valid_object(r, body, event_fields, sizeof(event_fields) /
	    sizeof(event_fields[0])) == -1)
		goto out;
	if ((owner = json_string_value(json_object_get(body, "owner_id"))) ==
	    NULL && json_object_get(body, "owner_id") == NULL)
		owner = r->auth.owner_id;
	p[0] = json_string_value(json_object_get(body, "event_type"));
	p[1] = json_string_value(json_object_get(body, "object_type"));
	p[2] = json_string_value(json_object_get(body, "object_id"));
	p[3] = json_string_value(json_object_get(body, "threat_model_id"));
	p[4] = owner;
	data = json_param_new(json_object_get(body, "data"));
	p[5] = data;
	if ((res = db_exec("event_publish", sql, 6, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (PQntuples(res) == 0) {
		resp_error(r, 400, "invalid_field", "Field 'event_type': "
		    "unknown event type '%s' (see GET /api/event-types)", p[0]);
		goto out;
	}
	resp_json(r, 202, json_pack("{s:s,s:s}", "event_id",
	    PQgetvalue(res, 0, 0), "event_type", p[0]));
out:
	PQclear(res);
	json_decref(body);
	free(data);
}

#define EVENT_TYPE_JSON \
	"json_build_object('name', t.name, 'description', t.description," \
	" 'builtin', t.builtin, 'created_at', t.created_at)"

static void
event_type_list(struct req *r)
{
	static const char sql[] = "SELECT " EVENT_TYPE_JSON "::text, t.name, ''"
	    " FROM hookpost.event_types t"
	    " WHERE ($1::text IS NULL OR t.name > $1)"
	    " ORDER BY t.name LIMIT $2";
	char		 lim[24], *ca = NULL, *cb = NULL;
	const char	*p[2];
	long long	 limit;
	PGresult	*res;

	if (auth_require(r, AUTH_ANY) == -1 ||
	    page_args(r, 200, 1000, &limit, &ca, &cb) == -1)
		goto out;
	p[0] = ca;
	snprintf(lim, sizeof(lim), "%lld", limit + 1);
	p[1] = lim;
	if ((res = db_exec("event_type_list", sql, 2, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	page_answer(r, res, limit);
	PQclear(res);
out:
	free(ca);
	free(cb);
}

static const struct vfield event_type_fields[] = {
	{ "name", V_STRING, 1, 3, EVENT_TYPE_MAX, NULL, 0 },
	{ "description", V_STRING, 0, 0, 1024, NULL, 0 },
};

static void
event_type_create(struct req *r)
{
	static const char sql[] = "INSERT INTO hookpost.event_types AS t"
	    " (name, description) VALUES ($1, coalesce($2, ''))"
	    " ON CONFLICT (name) DO NOTHING"
	    " RETURNING " EVENT_TYPE_JSON "::text";
	json_t		*body = NULL;
	const char	*name, *p[2];
	PGresult	*res = NULL;

	if (auth_require(r, AUTH_ADMIN) == -1 ||
	    (body = req_json_object(r)) == NULL ||
	    valid_object(r, body, event_type_fields, sizeof(event_type_fields) /
	    sizeof(event_type_fields[0])) == -1)
		goto out;
	name = json_string_value(json_object_get(body, "name"));
	/* seed 000: {resource}.{action}; no "*", which patterns use. */
	if (strchr(name, '*') != NULL || !event_pattern_valid(name)) {
		resp_error(r, 400, "invalid_field", "Field 'name' must be "
		    "{resource}.{action}: words of a-z, 0-9, '_' and '-' "
		    "joined by '.'");
		goto out;
	}
	p[0] = name;
	p[1] = json_string_value(json_object_get(body, "description"));
	if ((res = db_exec("event_type_create", sql, 2, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (PQntuples(res) == 0)
		resp_error(r, 409, "conflict", "Event type '%s' already exists",
		    name);
	else
		answer_row(r, 201, res, "event type");
out:
	PQclear(res);
	json_decref(body);
}

static void
dispatch(struct req *r, int route)
{
	switch ((enum route)route) {
	case ROUTE_SUB_LIST:
		sub_list(r);
		break;
	case ROUTE_SUB_CREATE:
		sub_create(r);
		break;
	case ROUTE_SUB_GET:
		sub_get(r);
		break;
	case ROUTE_SUB_PUT:
		sub_update(r);
		break;
	case ROUTE_SUB_DELETE:
		sub_delete(r);
		break;
	case ROUTE_SUB_TEST:
		sub_test(r);
		break;
	case ROUTE_DELIVERY_LIST:
		delivery_list(r);
		break;
	case ROUTE_DELIVERY_GET:
		delivery_get(r);
		break;
	case ROUTE_DELIVERY_RETRY:
		delivery_retry(r);
		break;
	case ROUTE_CALLBACK_GET:
		callback_get(r);
		break;
	case ROUTE_CALLBACK_STATUS:
		callback_status(r);
		break;
	case ROUTE_QUOTA_LIST:
		quota_list(r);
		break;
	case ROUTE_QUOTA_GET:
		quota_get(r);
		break;
	case ROUTE_QUOTA_PUT:
		quota_put(r);
		break;
	case ROUTE_QUOTA_DELETE:
		quota_delete(r);
		break;
	case ROUTE_DENY_LIST:
		deny_list(r);
		break;
	case ROUTE_DENY_CREATE:
		deny_create(r);
		break;
	case ROUTE_DENY_DELETE:
		deny_delete(r);
		break;
	case ROUTE_EVENT_PUBLISH:
		event_publish(r);
		break;
	case ROUTE_EVENT_TYPE_LIST:
		event_type_list(r);
		break;
	case ROUTE_EVENT_TYPE_CREATE:
		event_type_create(r);
		break;
	case ROUTE__MAX:
		break;
	}
}

int
main(int argc, char *argv[])
{
	return srv_main(argc, argv, routes, ROUTE__MAX, dispatch);
}
