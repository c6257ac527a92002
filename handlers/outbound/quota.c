/* outbound: per-owner quotas, /admin/quotas/webhooks[/:user_id] (admin). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "page.h"
#include "req.h"
#include "util.h"
#include "valid.h"
#include "outbound.h"

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

const struct page_list quota_list = {
	.name = "quota_list",
	.sql = "SELECT json_build_object('owner_id',"
	    " q.owner_id, " QUOTA_COLUMNS ", 'custom', true,"
	    " 'created_at', q.created_at, 'updated_at', q.updated_at)::text,"
	    " q.owner_id, '' FROM hookpost.quotas q"
	    " WHERE ($1::text IS NULL OR q.owner_id > $1)"
	    " ORDER BY q.owner_id LIMIT $2",
	.limit_default = 100, .limit_max = 500,
	.key = PAGE_KEY_TEXT,
	.form = PAGE_FORM_ARRAY,	/* seed 000's jq '.[] | ...' */
};

/* 0 when the URL's :user_id is an owner id, else -1 after answering 400. */
static int
user_check(struct req *r)
{
	if (auth_owner_valid(r->params[0]))
		return 0;
	resp_error(r, 400, "invalid_field", "user_id must be 1 to 128 "
	    "printable characters");
	return -1;
}

/* The effective quota: the owner's own, or the seed's defaults. */
void
quota_get(struct req *r)
{
	static const char sql[] = "SELECT json_build_object('owner_id',"
	    " $1::text, " QUOTA_COLUMNS ", 'custom', c.owner_id IS NOT NULL,"
	    " 'created_at', c.created_at, 'updated_at', c.updated_at)::text"
	    " FROM hookpost.quota_for($1) q"
	    " LEFT JOIN hookpost.quotas c ON c.owner_id = $1";
	const char	*p[1];
	PGresult	*res;

	if (user_check(r) == -1)
		return;
	p[0] = r->params[0];
	if ((res = db_exec("quota_get", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	resp_row(r, 200, res, "quota");
	PQclear(res);
}

/* PUT: the owner's quota; a limit left out takes the seed's default. */
void
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
	json_t		*body = NULL;
	const char	*p[5], *echo;
	char		 num[4][24];
	PGresult	*res = NULL;
	size_t		 i;

	if (user_check(r) == -1)
		goto out;
	if ((body = valid_body_new(r, VFIELDS(quota_fields))) == NULL)
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
	for (i = 0; i < 4; i++)
		p[i + 1] = valid_int_param(body, keys[i], num[i],
		    sizeof(num[i]));
	if ((res = db_exec("quota_put", sql, 5, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	resp_row(r, strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? 201 : 200,
	    res, "quota");
out:
	PQclear(res);
	json_decref(body);
}

void
quota_delete(struct req *r)
{
	static const char sql[] = "DELETE FROM hookpost.quotas"
	    " WHERE owner_id = $1";
	const char	*p[1];
	PGresult	*res;

	p[0] = r->params[0];
	if ((res = db_exec("quota_delete", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	resp_deleted(r, res, "custom quota");
	PQclear(res);
}
