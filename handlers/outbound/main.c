/*
 * outbound: the seed-000 outbound API (ARCHITECTURE.md §3 route map).
 *   /admin/webhooks/subscriptions[/:id[/test]]   subscriptions
 *   /admin/webhooks/deliveries[/:id[/retry]]     deliveries and attempts
 *   /webhook-deliveries/:id[/status]             async completion (seed
 *                                                "X-TMI-Callback")
 *   /admin/quotas/webhooks[/:user_id]            per-owner quotas
 *   /admin/webhooks/deny-list[/:id]              the URL deny list
 *   POST /api/events, /api/event-types           publishing, the catalog
 *   /api/integrations[/:id[/test|/deliveries|/tickets]] seed 003 integrations
 *   /api/integrations/webhooks[/:id]             seed 003 custom webhooks
 *   /api/integrations/webhooks/deliveries[/:id/retry], .../docs/openapi
 *
 * Subscriptions and deliveries take any token: an admin sees and changes
 * all, a user token only rows of its own owner_id (others answer 404, so
 * ids do not leak).  Quotas, the deny list and new event types need an
 * admin; publishing needs an admin or service token.  The integrations
 * (seed 003) need the connectors module (HOOKPOST_MODULES) and an admin
 * or a token with the manage_settings permission; owners as above.  The
 * /admin/ lists answer a bare array, the next page in a Link header
 * (ARCHITECTURE.md §3, lib/page.c PAGE_FORM_ARRAY).
 */
#include "srv.h"
#include "outbound.h"

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
	ROUTE_WEBHOOK_LIST,
	ROUTE_WEBHOOK_CREATE,
	ROUTE_WEBHOOK_DELIVERY_LIST,
	ROUTE_WEBHOOK_DELIVERY_RETRY,
	ROUTE_WEBHOOK_GET,
	ROUTE_WEBHOOK_PUT,
	ROUTE_WEBHOOK_DELETE,
	ROUTE_INTEG_OPENAPI,
	ROUTE_INTEG_TYPES,
	ROUTE_INTEG_LIST,
	ROUTE_INTEG_CREATE,
	ROUTE_INTEG_GET,
	ROUTE_INTEG_PUT,
	ROUTE_INTEG_DELETE,
	ROUTE_INTEG_TEST,
	ROUTE_INTEG_DELIVERIES,
	ROUTE_INTEG_TICKETS,
	ROUTE__MAX
};

#define SUBS		"/admin/webhooks/subscriptions"
#define DELIVERIES	"/admin/webhooks/deliveries"
#define CALLBACK	"/webhook-deliveries/:id"
#define QUOTAS		"/admin/quotas/webhooks"
#define DENY		"/admin/webhooks/deny-list"
#define INTEG		"/api/integrations"
#define WEBHOOKS	"/api/integrations/webhooks"
#define WH_DELIVERIES	"/api/integrations/webhooks/deliveries"
/* seed 003: every integration route, behind its module and permission */
#define CONN		SRV_CONNECTORS
#define CONN_BODY	(SRV_CONNECTORS | SRV_BODY)

/*
 * AUTH_OWNER routes see the caller's own rows, an admin's every row;
 * the callbacks take a token or a signature (callback.c).
 */
static const struct srv_route routes[ROUTE__MAX] = {
	{ ROUTE_SUB_LIST, "GET", SUBS, 0, AUTH_OWNER },
	{ ROUTE_SUB_CREATE, "POST", SUBS, SRV_BODY, AUTH_ANY },
	{ ROUTE_SUB_GET, "GET", SUBS "/:id", 0, AUTH_OWNER },
	{ ROUTE_SUB_PUT, "PUT", SUBS "/:id", SRV_BODY, AUTH_OWNER },
	{ ROUTE_SUB_DELETE, "DELETE", SUBS "/:id", 0, AUTH_OWNER },
	{ ROUTE_SUB_TEST, "POST", SUBS "/:id/test", 0, AUTH_OWNER },
	{ ROUTE_DELIVERY_LIST, "GET", DELIVERIES, 0, AUTH_OWNER },
	{ ROUTE_DELIVERY_GET, "GET", DELIVERIES "/:id", 0, AUTH_OWNER },
	{ ROUTE_DELIVERY_RETRY, "POST", DELIVERIES "/:id/retry", 0,
	  AUTH_OWNER },
	{ ROUTE_CALLBACK_GET, "GET", CALLBACK, 0, AUTH_NONE },
	{ ROUTE_CALLBACK_STATUS, "POST", CALLBACK "/status", SRV_BODY,
	  AUTH_NONE },
	{ ROUTE_QUOTA_LIST, "GET", QUOTAS, 0, AUTH_ADMIN },
	{ ROUTE_QUOTA_GET, "GET", QUOTAS "/:user_id", 0, AUTH_ADMIN },
	{ ROUTE_QUOTA_PUT, "PUT", QUOTAS "/:user_id", SRV_BODY, AUTH_ADMIN },
	{ ROUTE_QUOTA_DELETE, "DELETE", QUOTAS "/:user_id", 0, AUTH_ADMIN },
	{ ROUTE_DENY_LIST, "GET", DENY, 0, AUTH_ADMIN },
	{ ROUTE_DENY_CREATE, "POST", DENY, SRV_BODY, AUTH_ADMIN },
	{ ROUTE_DENY_DELETE, "DELETE", DENY "/:id", 0, AUTH_ADMIN },
	{ ROUTE_EVENT_PUBLISH, "POST", "/api/events", SRV_BODY, AUTH_SERVICE },
	{ ROUTE_EVENT_TYPE_LIST, "GET", "/api/event-types", 0, AUTH_ANY },
	{ ROUTE_EVENT_TYPE_CREATE, "POST", "/api/event-types", SRV_BODY,
	  AUTH_ADMIN },
	/* The seed's literal paths first: they would match INTEG "/:id". */
	{ ROUTE_WEBHOOK_LIST, "GET", WEBHOOKS, CONN, AUTH_SETTINGS },
	{ ROUTE_WEBHOOK_CREATE, "POST", WEBHOOKS, CONN_BODY, AUTH_SETTINGS },
	{ ROUTE_WEBHOOK_DELIVERY_LIST, "GET", WH_DELIVERIES, CONN,
	  AUTH_SETTINGS },
	{ ROUTE_WEBHOOK_DELIVERY_RETRY, "POST", WH_DELIVERIES "/:id/retry",
	  CONN, AUTH_SETTINGS },
	{ ROUTE_WEBHOOK_GET, "GET", WEBHOOKS "/:id", CONN, AUTH_SETTINGS },
	{ ROUTE_WEBHOOK_PUT, "PUT", WEBHOOKS "/:id", CONN_BODY, AUTH_SETTINGS },
	{ ROUTE_WEBHOOK_DELETE, "DELETE", WEBHOOKS "/:id", CONN,
	  AUTH_SETTINGS },
	{ ROUTE_INTEG_OPENAPI, "GET", INTEG "/docs/openapi", CONN,
	  AUTH_SETTINGS },
	{ ROUTE_INTEG_TYPES, "GET", INTEG "/types", CONN, AUTH_SETTINGS },
	{ ROUTE_INTEG_LIST, "GET", INTEG, CONN, AUTH_SETTINGS },
	{ ROUTE_INTEG_CREATE, "POST", INTEG, CONN_BODY, AUTH_SETTINGS },
	{ ROUTE_INTEG_GET, "GET", INTEG "/:id", CONN, AUTH_SETTINGS },
	{ ROUTE_INTEG_PUT, "PUT", INTEG "/:id", CONN_BODY, AUTH_SETTINGS },
	{ ROUTE_INTEG_DELETE, "DELETE", INTEG "/:id", CONN, AUTH_SETTINGS },
	{ ROUTE_INTEG_TEST, "POST", INTEG "/:id/test", CONN, AUTH_SETTINGS },
	{ ROUTE_INTEG_DELIVERIES, "GET", INTEG "/:id/deliveries", CONN,
	  AUTH_SETTINGS },
	{ ROUTE_INTEG_TICKETS, "GET", INTEG "/:id/tickets", CONN,
	  AUTH_SETTINGS },
};

static void
dispatch(struct req *r, int route)
{
	switch ((enum route)route) {
	case ROUTE_SUB_LIST:
		page_list(r, &sub_list);
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
		page_list(r, &delivery_list);
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
		page_list(r, &quota_list);
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
		page_list(r, &deny_list);
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
		page_list(r, &event_type_list);
		break;
	case ROUTE_EVENT_TYPE_CREATE:
		event_type_create(r);
		break;
	case ROUTE_WEBHOOK_LIST:
		webhook_list(r);
		break;
	case ROUTE_WEBHOOK_CREATE:
		webhook_create(r);
		break;
	case ROUTE_WEBHOOK_DELIVERY_LIST:
		page_list(r, &webhook_delivery_list);
		break;
	case ROUTE_WEBHOOK_DELIVERY_RETRY:
		webhook_delivery_retry(r);
		break;
	case ROUTE_WEBHOOK_GET:
		webhook_get(r);
		break;
	case ROUTE_WEBHOOK_PUT:
		webhook_update(r);
		break;
	case ROUTE_WEBHOOK_DELETE:
		webhook_delete(r);
		break;
	case ROUTE_INTEG_OPENAPI:
		integ_openapi(r);
		break;
	case ROUTE_INTEG_TYPES:
		integ_types(r);
		break;
	case ROUTE_INTEG_LIST:
		page_list(r, &integ_list);
		break;
	case ROUTE_INTEG_CREATE:
		integ_create(r);
		break;
	case ROUTE_INTEG_GET:
		integ_get(r);
		break;
	case ROUTE_INTEG_PUT:
		integ_update(r);
		break;
	case ROUTE_INTEG_DELETE:
		integ_delete(r);
		break;
	case ROUTE_INTEG_TEST:
		integ_test(r);
		break;
	case ROUTE_INTEG_DELIVERIES:
		page_list(r, &integ_delivery_list);
		break;
	case ROUTE_INTEG_TICKETS:
		page_list(r, &integ_ticket_list);
		break;
	case ROUTE__MAX:
		break;
	}
}

SRV_MAIN(routes, dispatch)
