/*
 * outbound: the seed-000 outbound API (ARCHITECTURE.md §3 route map).
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
 * admin; publishing needs an admin or service token.  The /admin/ lists
 * answer a bare array, the next page in a Link header (ARCHITECTURE.md
 * §3, lib/page.c PAGE_FORM_ARRAY).
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
	ROUTE__MAX
};

#define SUBS		"/admin/webhooks/subscriptions"
#define DELIVERIES	"/admin/webhooks/deliveries"
#define CALLBACK	"/webhook-deliveries/:id"
#define QUOTAS		"/admin/quotas/webhooks"
#define DENY		"/admin/webhooks/deny-list"

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
	case ROUTE__MAX:
		break;
	}
}

SRV_MAIN(routes, dispatch)
