/*
 * outbound: subscriptions, /admin/webhooks/subscriptions[/:id[/test]]:
 * seed 000's rows (type 'hookpost'); the other types are integrations
 * (integration.c), which these routes neither show nor change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "crypt.h"
#include "db.h"
#include "page.h"
#include "req.h"
#include "util.h"
#include "valid.h"
#include "outbound.h"

/* issue 4: an old secret keeps signing for 24 h after a rotation. */
#define GRACE_DEFAULT		86400
#define GRACE_MAX		604800

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
	/* []: no retries, the first failure is final (as seed 003's
	 * retryCount 0); null: the seed's default schedule. */
	{ "retry_schedule", V_ARRAY, 0, 0, 20, NULL, 1 },
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
	{ "retry_schedule", V_ARRAY, 0, 0, 20, NULL, 1 },
	{ "max_concurrency", V_INT, 0, 1, 64, NULL, 0 },
	{ "status", V_ENUM, 0, 0, 0, sub_statuses, 0 },
	{ "rotate_secret", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "secret", V_STRING, 0, 8, 512, NULL, 0 },
	{ "grace_seconds", V_INT, 0, 0, GRACE_MAX, NULL, 0 },
};

/* A subscription's checked inputs as statement parameters (NULL: none). */
struct sub_input {
	char		*events;	/* JSON array text */
	char		*rs;		/* retry_schedule, JSON array text */
	char		*secret;	/* the signing secret, shown once */
	char		*sealed;	/* the same, sealed for the database */
	const char	*mc;		/* max_concurrency */
	char		 mcbuf[24];
};

/*
 * Checks the events, retry_schedule and url of a create or update body,
 * in that order, and takes its secret, or makes one when new_secret.
 * Returns 0, or -1 after answering; sub_input_free() frees in either way.
 */
static int
sub_input_read(struct req *r, const json_t *body, int new_secret,
    struct sub_input *in)
{
	const char	*given, *url;
	json_t		*v;

	if ((v = json_object_get(body, "events")) != NULL) {
		in->events = json_param_new(v);
		if (events_check(r, v, in->events) == -1)
			return -1;
	}
	if ((v = json_object_get(body, "retry_schedule")) != NULL &&
	    !json_is_null(v)) {
		if (retry_schedule_check(r, v) == -1)
			return -1;
		in->rs = json_param_new(v);
	}
	if ((url = json_string_value(json_object_get(body, "url"))) != NULL &&
	    url_check(r, "url", url) == -1)
		return -1;
	given = json_string_value(json_object_get(body, "secret"));
	if (given != NULL)
		in->secret = xstrdup(given);
	else if (new_secret && (in->secret = crypt_whsec_new()) == NULL) {
		resp_error(r, 500, "internal", "No randomness");
		return -1;
	}
	if (in->secret != NULL &&
	    (in->sealed = crypt_secret_seal(in->secret)) == NULL) {
		resp_error(r, 503, "unavailable", "Secret storage unavailable "
		    "(HOOKPOST_SECRET_KEY_FILE)");
		return -1;
	}
	in->mc = valid_int_param(body, "max_concurrency", in->mcbuf,
	    sizeof(in->mcbuf));
	return 0;
}

static void
sub_input_free(struct sub_input *in)
{
	free(in->events);
	free(in->rs);
	free(in->sealed);
	crypt_secret_free(in->secret);
	memset(in, 0, sizeof(*in));
}

/*
 * Commits a create or update and answers its row.  0, or -1 after
 * answering 503 with the transaction left for the caller to abort.
 */
static int
sub_commit_answer(struct req *r, int status, const PGresult *res,
    const char *secret)
{
	if (db_tx_commit() == -1) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		return -1;
	}
	resp_row_secret(r, status, PQgetvalue(res, 0, 0), secret);
	return 0;
}

static const struct page_filter sub_filters[] = {
	{ "owner_id", OWNER_MAX + 1 },
	{ "status", 32 },
};

const struct page_list sub_list = {
	.name = "sub_list",
	.sql = "SELECT " SUB_JSON "::text,"
	    " s.created_at::text, s.id::text FROM hookpost.subscriptions s"
	    " WHERE ($1::text IS NULL OR s.owner_id = $1)"
	    " AND s.type = 'hookpost'"
	    " AND ($2::text IS NULL OR s.owner_id = $2)"
	    " AND ($3::text IS NULL OR s.status = $3)"
	    " AND ($4::timestamptz IS NULL OR"
	    "  (s.created_at, s.id) < ($4::timestamptz, $5::uuid))"
	    " ORDER BY s.created_at DESC, s.id DESC LIMIT $6",
	.limit_default = 50, .limit_max = 200,
	.key = PAGE_KEY_TIME_UUID,
	.form = PAGE_FORM_ARRAY,	/* seed 000's jq '.[] | ...' */
	.scoped = 1,
	PAGE_FILTERS(sub_filters),
};

void
sub_get(struct req *r)
{
	static const char sql[] = "SELECT " SUB_JSON "::text"
	    " FROM hookpost.subscriptions s"
	    " WHERE s.id = $1::uuid AND ($2::text IS NULL OR s.owner_id = $2)"
	    " AND s.type = 'hookpost'";

	owned_answer(r, "subscription", "sub_get", sql);
}

/*
 * POST /admin/webhooks/subscriptions (seed 000 "Create a subscription"):
 * validated, quota-checked and inserted pending_verification in one
 * transaction that also wakes the challenge worker.
 */
void
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
	struct sub_input in;
	json_t		*body = NULL;
	const char	*owner, *p[9];
	PGresult	*res = NULL;
	int		 all_owners = 0, in_tx = 0;

	memset(&in, 0, sizeof(in));

	if ((body = valid_body_new(r, VFIELDS(sub_create_fields))) == NULL)
		goto out;

	/* Whose: admin may name any owner; a user only itself. */
	owner = json_string_value(json_object_get(body, "owner_id"));
	if (owner != NULL) {
		if (!auth_owner_valid(owner)) {
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

	if (sub_input_read(r, body, 1, &in) == -1)
		goto out;

	if (db_tx_begin() == -1) {
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
	p[4] = in.events;
	p[5] = json_string_value(json_object_get(body, "threat_model_id"));
	p[6] = in.sealed;
	p[7] = in.rs;
	p[8] = in.mc;
	if ((res = db_exec("sub_create", sql, 9, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (sub_commit_answer(r, 201, res, in.secret) == 0)
		in_tx = 0;
out:
	if (in_tx)
		db_tx_abort();
	PQclear(res);
	json_decref(body);
	sub_input_free(&in);
}

/*
 * PUT /admin/webhooks/subscriptions/:id: changes the fields given.  A
 * changed URL is verified again (pending_verification, challenge count
 * reset).  "rotate_secret": true or "secret" replace the signing secret,
 * shown once; the old one keeps signing beside it for grace_seconds
 * (issue 4: default 24 h).  Status: an admin may set any; a user may
 * only ask a disabled subscription to be verified again.
 */
void
sub_update(struct req *r)
{
	static const char sql_cur[] = "SELECT s.url, s.status, s.owner_id"
	    " FROM hookpost.subscriptions s WHERE s.id = $1::uuid"
	    " AND ($2::text IS NULL OR s.owner_id = $2)"
	    " AND s.type = 'hookpost' FOR UPDATE";
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
	    " AND s.type = 'hookpost'"
	    " RETURNING " SUB_JSON "::text,"
	    " CASE WHEN $12::boolean THEN pg_notify('hookpost_challenge', '')"
	    " END";
	struct sub_input in;
	json_t		*body = NULL, *v;
	const char	*scope, *url, *status, *cur_status, *given, *p[14];
	char		 grace[24];
	PGresult	*cur = NULL, *res = NULL;
	int		 in_tx = 0, reverify = 0, rotate;

	memset(&in, 0, sizeof(in));

	scope = auth_scope(r);
	if (id_check(r, "subscription") == -1)
		goto out;
	if ((body = valid_body_new(r, VFIELDS(sub_update_fields))) == NULL)
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
	if (sub_input_read(r, body, rotate, &in) == -1)
		goto out;
	url = json_string_value(json_object_get(body, "url"));

	if (db_tx_begin() == -1) {
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
	p[4] = in.events;
	v = json_object_get(body, "threat_model_id");
	p[5] = v != NULL ? "t" : "f";
	p[6] = json_string_value(v);
	p[7] = json_object_get(body, "retry_schedule") != NULL ? "t" : "f";
	p[8] = in.rs;
	p[9] = in.mc;
	p[10] = status;
	p[11] = reverify ? "t" : "f";
	p[12] = in.sealed;
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
	if (sub_commit_answer(r, 200, res, in.secret) == 0)
		in_tx = 0;
out:
	if (in_tx)
		db_tx_abort();
	PQclear(cur);
	PQclear(res);
	json_decref(body);
	sub_input_free(&in);
}

void
sub_delete(struct req *r)
{
	static const char sql[] = "DELETE FROM hookpost.subscriptions s"
	    " WHERE s.id = $1::uuid AND ($2::text IS NULL OR s.owner_id = $2)"
	    " AND s.type = 'hookpost'";
	PGresult	*res;

	if ((res = owned_exec(r, "subscription", "sub_delete", sql)) == NULL)
		return;
	resp_deleted(r, res, "subscription");
	PQclear(res);
}

/* POST .../:id/test: a webhook.test event to this subscription alone. */
void
sub_test(struct req *r)
{
	static const char sql[] = "SELECT hookpost.emit_to(s.id,"
	    " 'webhook.test', '{\"message\":\"hookpost test delivery\"}'::jsonb"
	    ")::text, s.status"
	    " FROM hookpost.subscriptions s"
	    " WHERE s.id = $1::uuid AND ($2::text IS NULL OR s.owner_id = $2)"
	    " AND s.type = 'hookpost'";
	PGresult	*res;

	if ((res = owned_exec(r, "subscription", "sub_test", sql)) == NULL)
		return;
	if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0))
		resp_error(r, 404, "not_found", "No such subscription");
	else
		resp_json(r, 202, json_pack("{s:s,s:s,s:s,s:s}", "delivery_id",
		    PQgetvalue(res, 0, 0), "subscription_id", r->params[0],
		    "event_type", "webhook.test", "subscription_status",
		    PQgetvalue(res, 0, 1)));
	PQclear(res);
}
