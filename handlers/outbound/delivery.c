/* outbound: deliveries, /admin/webhooks/deliveries[/:id[/retry]]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "db.h"
#include "page.h"
#include "req.h"
#include "util.h"
#include "valid.h"
#include "outbound.h"

static const char *const delivery_statuses[] = { "pending", "sending",
    "in_progress", "delivered", "failed", "cancelled", NULL };

/* ?subscription_id= must be a UUID, ?status= a delivery status. */
static int
delivery_filters_check(struct req *r, const char **p)
{
	if (p[0] != NULL && !uuid_valid(p[0])) {
		resp_error(r, 400, "invalid_field", "subscription_id must be "
		    "a UUID");
		return -1;
	}
	if (p[1] != NULL && !valid_enum(delivery_statuses, p[1])) {
		resp_error(r, 400, "invalid_field", "status must be one of: "
		    "pending, sending, in_progress, delivered, failed, "
		    "cancelled");
		return -1;
	}
	return 0;
}

static const struct page_filter delivery_filters[] = {
	{ "subscription_id", 64 },
	{ "status", 32 },
	{ "event_type", EVENT_TYPE_MAX + 1 },
};

/*
 * Whose delivery it is, for the admin views: seed 000's subscriptions
 * (type hookpost) and seed 003's integrations share this list.
 */
#define DELIVERY_OWNER_FIELDS \
	", 'subscription_type', (SELECT s.type FROM hookpost.subscriptions s" \
	"  WHERE s.id = d.subscription_id)," \
	" 'subscription_name', (SELECT s.name FROM hookpost.subscriptions s" \
	"  WHERE s.id = d.subscription_id)"

const struct page_list delivery_list = {
	.name = "delivery_list",
	.sql = "SELECT json_build_object(" DELIVERY_FIELDS
	    DELIVERY_OWNER_FIELDS ")::text,"
	    " d.created_at::text, d.id::text FROM hookpost.deliveries d"
	    " WHERE ($1::text IS NULL OR d.owner_id = $1)" HOOKPOST_TYPE_ONLY("$1")
	    " AND ($2::uuid IS NULL OR d.subscription_id = $2::uuid)"
	    " AND ($3::text IS NULL OR d.status = $3)"
	    " AND ($4::text IS NULL OR d.event_type = $4)"
	    " AND ($5::timestamptz IS NULL OR"
	    "  (d.created_at, d.id) < ($5::timestamptz, $6::uuid))"
	    " ORDER BY d.created_at DESC, d.id DESC LIMIT $7",
	.limit_default = 50, .limit_max = 500,
	.key = PAGE_KEY_TIME_UUID,
	.form = PAGE_FORM_ARRAY,	/* seed 000's jq '.[] | ...' */
	.scoped = 1,
	PAGE_FILTERS(delivery_filters),
	.check = delivery_filters_check,
};

/* One delivery, its event's payload (the signed body) and its attempts. */
void
delivery_get(struct req *r)
{
	static const char sql[] = "SELECT json_build_object(" DELIVERY_FIELDS
	    DELIVERY_OWNER_FIELDS
	    ", 'payload', e.payload::json, 'attempts', (SELECT"
	    "  coalesce(json_agg(json_build_object('attempt', a.attempt,"
	    "  'started_at', a.started_at, 'status_code', a.status_code,"
	    "  'response_ms', a.response_ms, 'error', a.error,"
	    "  'response_body', a.response_body, 'kind', a.kind)"
	    "  ORDER BY a.attempt, a.id),"
	    "  '[]') FROM (SELECT * FROM hookpost.delivery_attempts"
	    "  WHERE delivery_id = d.id ORDER BY attempt, id LIMIT 100) a)"
	    ")::text"
	    " FROM hookpost.deliveries d JOIN hookpost.events e"
	    "  ON e.id = d.event_id"
	    " WHERE d.id = $1::uuid AND ($2::text IS NULL OR d.owner_id = $2)"
	    HOOKPOST_TYPE_ONLY("$2");

	owned_answer(r, "delivery", "delivery_get", sql);
}

/*
 * The status of a delivery the caller may see, or NULL; caller frees.
 * any_type: an integration's too, whoever asks (its route checked).
 */
char *
delivery_status_new(const char *id, const char *scope, int any_type)
{
	static const char *const sql[2] = {
	    "SELECT d.status FROM hookpost.deliveries d"
	    " WHERE d.id = $1::uuid AND ($2::text IS NULL OR d.owner_id = $2)"
	    HOOKPOST_TYPE_ONLY("$2"),
	    "SELECT d.status FROM hookpost.deliveries d"
	    " WHERE d.id = $1::uuid AND ($2::text IS NULL OR d.owner_id = $2)"
	};
	const char	*p[2];
	PGresult	*res;
	char		*st = NULL;

	p[0] = id;
	p[1] = scope;
	if ((res = db_exec(any_type ? "delivery_status_any" :
	    "delivery_status", sql[any_type != 0], 2, p)) == NULL)
		return NULL;
	if (PQntuples(res) == 1)
		st = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return st;
}

#define RETRY_SET \
	"WITH d AS (UPDATE hookpost.deliveries d SET" \
	" status = 'pending', attempts = 0, sends = 0," \
	" next_attempt_at = now()," \
	" completed_at = NULL, claim_id = NULL, lease_until = NULL," \
	" updated_at = now()" \
	" WHERE d.id = $1::uuid AND ($2::text IS NULL OR d.owner_id = $2)"
#define RETRY_RETURN \
	" AND d.status IN ('failed', 'cancelled') RETURNING d.*)" \
	" SELECT " DELIVERY_JSON "::text," \
	" pg_notify('hookpost_delivery', '') FROM d"

/*
 * A failed or cancelled delivery starts over; any_type as in
 * delivery_status_new().
 */
void
delivery_retry_as(struct req *r, int any_type)
{
	static const char *const sql[2] = {
	    RETRY_SET HOOKPOST_TYPE_ONLY("$2") RETRY_RETURN,
	    RETRY_SET RETRY_RETURN
	};
	char		*st;
	PGresult	*res;

	if ((res = owned_exec(r, "delivery", any_type ? "delivery_retry_any" :
	    "delivery_retry", sql[any_type != 0])) == NULL)
		return;
	if (PQntuples(res) == 1)
		resp_row(r, 202, res, "delivery");
	else if ((st = delivery_status_new(r->params[0], auth_scope(r),
	    any_type)) == NULL)
		resp_error(r, 404, "not_found", "No such delivery");
	else {
		resp_error(r, 409, "conflict", "Delivery is %s; only a failed "
		    "or cancelled delivery can be retried", st);
		free(st);
	}
	PQclear(res);
}

/* POST /admin/webhooks/deliveries/:id/retry (seed 000). */
void
delivery_retry(struct req *r)
{
	delivery_retry_as(r, 0);
}
