/*
 * outbound: seed 003's custom webhook API, field names as the seed
 * writes them ("API Reference"):
 *   /api/integrations/webhooks[/:id]                  webhooks
 *   /api/integrations/webhooks/deliveries[/:id/retry] delivery logs
 *   /api/integrations/docs/openapi                    the OpenAPI document
 * A webhook is an integration of type 'webhook' (connector_webhook.c):
 * these routes read and write it through integration.c's core, so the
 * rules are those of /api/integrations.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "db.h"
#include "openapi.h"
#include "page.h"
#include "req.h"
#include "util.h"
#include "valid.h"
#include "outbound.h"

/* seed 003 webhook JSON; the custom headers' values as hints. */
#define WEBHOOK_JSON \
	"json_build_object('id', s.id, 'name', s.name," \
	" 'url', s.config->>'url', 'events', s.events," \
	" 'headers', coalesce(s.config_hints->'headers', '{}'::jsonb)," \
	" 'hasSecret', s.config_hints ? 'secret'," \
	" 'retryCount', coalesce(cardinality(s.retry_schedule), 0)," \
	" 'enabled', s.status = 'active', 'status', s.status," \
	" 'createdAt', s.created_at, 'updatedAt', s.modified_at)"

/* GET .../webhooks is one answer, without pages */
#define WEBHOOKS_MAX	500

static const struct vfield webhook_create_fields[] = {
	{ "name", V_STRING, 1, 1, 8192, NULL, 0 },
	{ "url", V_STRING, 1, 1, 2048, NULL, 0 },
	{ "events", V_ARRAY, 1, 1, 100, NULL, 0 },
	{ "secret", V_STRING, 0, 8, 512, NULL, 1 },
	{ "headers", V_OBJECT, 0, 0, 0, NULL, 1 },
	{ "retryCount", V_INT, 0, 0, 10, NULL, 0 },
	{ "enabled", V_BOOL, 0, 0, 0, NULL, 0 },
};

static const struct vfield webhook_update_fields[] = {
	{ "name", V_STRING, 0, 1, 8192, NULL, 0 },
	{ "url", V_STRING, 0, 1, 2048, NULL, 0 },
	{ "events", V_ARRAY, 0, 1, 100, NULL, 0 },
	{ "secret", V_STRING, 0, 8, 512, NULL, 1 },
	{ "headers", V_OBJECT, 0, 0, 0, NULL, 1 },
	{ "retryCount", V_INT, 0, 0, 10, NULL, 0 },
	{ "enabled", V_BOOL, 0, 0, 0, NULL, 0 },
};

/*
 * A seed 003 body as the core's input: url, secret and headers are the
 * webhook connector's settings ("secret": null removes it).
 */
static void
webhook_input_read(const json_t *body, struct integ_input *in)
{
	static const char *const keys[] = { "url", "secret", "headers" };
	json_t	*v;
	size_t	 i;

	memset(in, 0, sizeof(*in));
	in->type = "webhook";
	in->name = json_object_get(body, "name");
	in->events = json_object_get(body, "events");
	in->enabled = (v = json_object_get(body, "enabled")) == NULL ? -1 :
	    json_is_true(v);
	in->retry_count = (v = json_object_get(body, "retryCount")) == NULL ?
	    -1 : (int)json_integer_value(v);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((v = json_object_get(body, keys[i])) == NULL)
			continue;
		if (in->config == NULL)
			in->config = json_object();
		json_object_set(in->config, keys[i], v);
	}
}

/* Answers webhook id in the seed's shape. */
static void
webhook_answer(struct req *r, int status, const char *id)
{
	static const char sql[] = "SELECT " WEBHOOK_JSON "::text"
	    " FROM hookpost.subscriptions s WHERE s.id = $1::uuid";
	const char	*p[1];
	PGresult	*res;

	p[0] = id;
	if ((res = db_exec("webhook_answer", sql, 1, p)) == NULL) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		return;
	}
	resp_row(r, status, res, "webhook");
	PQclear(res);
}

/*
 * GET /api/integrations/webhooks: {"webhooks": [...], "total": n,
 * "availableEvents": [{"type", "description"}...]}, the catalog the events
 * are chosen from.  One answer, as the seed lists it: the newest
 * WEBHOOKS_MAX webhooks, and total says how many there are (past that,
 * GET /api/integrations?type=webhook pages through them all).
 */
void
webhook_list(struct req *r)
{
	static const char sql[] = "SELECT json_build_object("
	    " 'webhooks', coalesce((SELECT json_agg(w.j ORDER BY w.created_at"
	    "  DESC, w.id DESC) FROM (SELECT " WEBHOOK_JSON " AS j,"
	    "  s.created_at, s.id FROM hookpost.subscriptions s"
	    "  WHERE s.type = 'webhook'"
	    "  AND ($1::text IS NULL OR s.owner_id = $1)"
	    "  ORDER BY s.created_at DESC, s.id DESC LIMIT $2) w), '[]'),"
	    " 'total', (SELECT count(*) FROM hookpost.subscriptions s"
	    "  WHERE s.type = 'webhook'"
	    "  AND ($1::text IS NULL OR s.owner_id = $1)),"
	    " 'availableEvents', coalesce((SELECT json_agg(json_build_object("
	    "  'type', t.name, 'description', t.description) ORDER BY t.name)"
	    "  FROM hookpost.event_types t), '[]'))::text";
	const char	*p[2];
	char		 lim[16];
	PGresult	*res;

	p[0] = auth_scope(r);
	snprintf(lim, sizeof(lim), "%d", WEBHOOKS_MAX);
	p[1] = lim;
	if ((res = db_exec("webhook_list", sql, 2, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	resp_row(r, 200, res, "webhook");
	PQclear(res);
}

void
webhook_create(struct req *r)
{
	struct integ_input	 in;
	json_t			*body;
	char			*id;

	if ((body = valid_body_new(r, VFIELDS(webhook_create_fields))) == NULL)
		return;
	webhook_input_read(body, &in);
	if ((id = integ_write(r, NULL, &in)) != NULL)
		webhook_answer(r, 201, id);
	free(id);
	integ_input_free(&in);
	json_decref(body);
}

void
webhook_get(struct req *r)
{
	static const char sql[] = "SELECT " WEBHOOK_JSON "::text"
	    " FROM hookpost.subscriptions s"
	    " WHERE s.id = $1::uuid AND ($2::text IS NULL OR s.owner_id = $2)"
	    " AND s.type = 'webhook'";

	owned_answer(r, "webhook", "webhook_get", sql);
}

void
webhook_update(struct req *r)
{
	struct integ_input	 in;
	json_t			*body;
	char			*id = NULL;

	memset(&in, 0, sizeof(in));
	if (id_check(r, "webhook") == -1)
		return;
	if ((body = valid_body_new(r, VFIELDS(webhook_update_fields))) == NULL)
		return;
	if (json_object_size(body) == 0)
		resp_error(r, 400, "invalid_field", "Nothing to change");
	else {
		webhook_input_read(body, &in);
		if ((id = integ_write(r, r->params[0], &in)) != NULL)
			webhook_answer(r, 200, id);
	}
	free(id);
	integ_input_free(&in);
	json_decref(body);
}

void
webhook_delete(struct req *r)
{
	if (id_check(r, "webhook") == -1)
		return;
	integ_remove(r, "webhook");
}

static const char *const delivery_statuses[] = { "pending", "sending",
    "in_progress", "delivered", "failed", "cancelled", NULL };

/* ?webhookId= must be a UUID, ?status= a delivery status. */
static int
webhook_delivery_filters_check(struct req *r, const char **p)
{
	if (p[0] != NULL && !uuid_valid(p[0])) {
		resp_error(r, 400, "invalid_field", "webhookId must be a UUID");
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

static const struct page_filter webhook_delivery_filters[] = {
	{ "webhookId", 64 },
	{ "status", 32 },
};

/*
 * GET /api/integrations/webhooks/deliveries (seed 003 "Delivery
 * Tracking"): each delivery's status code, response time (its last
 * attempt's), success and error, newest first; attempts counts the
 * requests sent (attempt_count of the admin API: sql/022).
 */
const struct page_list webhook_delivery_list = {
	.name = "webhook_delivery_list",
	.sql = "SELECT json_build_object('id', d.id,"
	    " 'webhookId', d.subscription_id, 'event', d.event_type,"
	    " 'status', d.status, 'success', d.status = 'delivered',"
	    " 'statusCode', d.last_status_code,"
	    " 'responseTimeMs', (SELECT a.response_ms"
	    "  FROM hookpost.delivery_attempts a WHERE a.delivery_id = d.id"
	    "  ORDER BY a.attempt DESC, a.id DESC LIMIT 1),"
	    " 'error', d.last_error, 'attempts', coalesce(d.sends, d.attempts),"
	    " 'createdAt', d.created_at, 'completedAt', d.completed_at,"
	    " 'nextAttemptAt', CASE WHEN d.status = 'pending'"
	    "  THEN d.next_attempt_at END)::text,"
	    " d.created_at::text, d.id::text FROM hookpost.deliveries d"
	    " JOIN hookpost.subscriptions s ON s.id = d.subscription_id"
	    " WHERE ($1::text IS NULL OR d.owner_id = $1)"
	    " AND s.type = 'webhook'"
	    " AND ($2::uuid IS NULL OR d.subscription_id = $2::uuid)"
	    " AND ($3::text IS NULL OR d.status = $3)"
	    " AND ($4::timestamptz IS NULL OR"
	    "  (d.created_at, d.id) < ($4::timestamptz, $5::uuid))"
	    " ORDER BY d.created_at DESC, d.id DESC LIMIT $6",
	.limit_default = 50, .limit_max = 500,
	.key = PAGE_KEY_TIME_UUID,
	.scoped = 1,
	PAGE_FILTERS(webhook_delivery_filters),
	.check = webhook_delivery_filters_check,
	.data_key = "deliveries",
};

/*
 * POST /api/integrations/webhooks/deliveries/:id/retry: seed 000's manual
 * retry (delivery.c), for a delivery of a webhook.
 */
void
webhook_delivery_retry(struct req *r)
{
	static const char sql[] = "SELECT 1 FROM hookpost.deliveries d"
	    " JOIN hookpost.subscriptions s ON s.id = d.subscription_id"
	    " WHERE d.id = $1::uuid AND ($2::text IS NULL OR d.owner_id = $2)"
	    " AND s.type = 'webhook'";
	PGresult	*res;
	int		 found;

	if ((res = owned_exec(r, "delivery", "webhook_delivery", sql)) == NULL)
		return;
	found = PQntuples(res) == 1;
	PQclear(res);
	if (!found)
		resp_error(r, 404, "not_found", "No such delivery");
	else
		delivery_retry_as(r, 1);
}

/* GET /api/integrations/docs/openapi: the document of every route. */
void
integ_openapi(struct req *r)
{
	openapi_answer(r);
}
