/*
 * triggers: webhook-enabled triggers (seed 002, issue 3), everything
 * under /api/v1/.
 *   POST /api/v1/webhooks/:webhook_key        the receiver
 *   /api/v1/triggers[/:ref]                   triggers; :ref may be the
 *                                             numeric id too
 *   /api/v1/triggers/:ref/webhook[s]/...      enable, disable, regenerate,
 *                                             keys, hmac, rate-limit,
 *                                             ip-allowlist, payload-limit
 *   GET /api/v1/triggers/:ref/stats           webhook_stats_detailed
 *   GET /api/v1/events[/:id]                  trigger events
 *   POST /api/v1/packs/import                 a pack's triggers (seed 002
 *                                             "Pack Definition")
 * Answers in seed 002's {"data": ...} envelope; errors in the shared
 * {"error":{"code","message"}} shape.
 *
 * Triggers are owned (seed 002 "Webhook keys can be scoped to
 * identities/organizations"): an admin manages every trigger, a user
 * token only its owner's, with their keys and events; others answer 404,
 * so ids do not leak (ARCHITECTURE.md §4, AUTH_OWNER).
 */
#include "srv.h"
#include "triggers.h"

enum route {
	ROUTE_RECEIVE,
	ROUTE_TRIGGER_LIST,
	ROUTE_TRIGGER_CREATE,
	ROUTE_TRIGGER_GET,
	ROUTE_TRIGGER_PUT,
	ROUTE_TRIGGER_DELETE,
	ROUTE_WEBHOOK_INFO,
	ROUTE_WEBHOOK_ENABLE,
	ROUTE_WEBHOOK_DISABLE,
	ROUTE_WEBHOOK_REGENERATE,
	ROUTE_HMAC_ENABLE,
	ROUTE_HMAC_DISABLE,
	ROUTE_WEBHOOK_SIGN,
	ROUTE_RATE_LIMIT,
	ROUTE_IP_ALLOWLIST,
	ROUTE_PAYLOAD_LIMIT,
	ROUTE_KEY_LIST,
	ROUTE_KEY_ADD,
	ROUTE_KEY_REVOKE,
	ROUTE_STATS,
	ROUTE_EVENT_LIST,
	ROUTE_EVENT_GET,
	ROUTE_PACK_IMPORT,
	ROUTE__MAX
};

#define T	"/api/v1/triggers/:ref"
#define W	T "/webhook[s]"

/*
 * Seed 002 spells the management routes both ways: ".../webhook/enable"
 * (its API section, with an :id) and ".../webhooks/enable" (its phase 2
 * list, with a :ref).  W's "[s]" serves both with one row (lib/srv.c).
 */
static const struct srv_route routes[] = {
	{ ROUTE_RECEIVE, "POST", "/api/v1/webhooks/:key", SRV_LAZY, AUTH_NONE },
	{ ROUTE_TRIGGER_LIST, "GET", "/api/v1/triggers", 0, AUTH_OWNER },
	{ ROUTE_TRIGGER_CREATE, "POST", "/api/v1/triggers", SRV_BODY,
	  AUTH_OWNER },
	{ ROUTE_TRIGGER_GET, "GET", T, 0, AUTH_OWNER },
	{ ROUTE_TRIGGER_PUT, "PUT", T, SRV_BODY, AUTH_OWNER },
	{ ROUTE_TRIGGER_DELETE, "DELETE", T, 0, AUTH_OWNER },
	{ ROUTE_WEBHOOK_INFO, "GET", W, 0, AUTH_OWNER },
	{ ROUTE_WEBHOOK_ENABLE, "POST", W "/enable", 0, AUTH_OWNER },
	{ ROUTE_WEBHOOK_DISABLE, "POST", W "/disable", 0, AUTH_OWNER },
	{ ROUTE_WEBHOOK_REGENERATE, "POST", W "/regenerate", SRV_BODY,
	  AUTH_OWNER },
	{ ROUTE_HMAC_ENABLE, "POST", W "/hmac/enable", SRV_BODY, AUTH_OWNER },
	{ ROUTE_HMAC_DISABLE, "POST", W "/hmac/disable", 0, AUTH_OWNER },
	{ ROUTE_WEBHOOK_SIGN, "POST", W "/sign", SRV_BODY, AUTH_OWNER },
	{ ROUTE_RATE_LIMIT, "PUT", W "/rate-limit", SRV_BODY, AUTH_OWNER },
	{ ROUTE_IP_ALLOWLIST, "PUT", W "/ip-allowlist", SRV_BODY, AUTH_OWNER },
	{ ROUTE_PAYLOAD_LIMIT, "PUT", W "/payload-limit", SRV_BODY,
	  AUTH_OWNER },
	{ ROUTE_KEY_LIST, "GET", W "/keys", 0, AUTH_OWNER },
	{ ROUTE_KEY_ADD, "POST", W "/keys", SRV_BODY, AUTH_OWNER },
	{ ROUTE_KEY_REVOKE, "DELETE", W "/keys/:id", 0, AUTH_OWNER },
	{ ROUTE_STATS, "GET", T "/stats", 0, AUTH_OWNER },
	{ ROUTE_STATS, "GET", T "/webhooks/stats", 0, AUTH_OWNER },
	{ ROUTE_EVENT_LIST, "GET", "/api/v1/events", 0, AUTH_OWNER },
	{ ROUTE_EVENT_GET, "GET", "/api/v1/events/:id", 0, AUTH_OWNER },
	{ ROUTE_PACK_IMPORT, "POST", "/api/v1/packs/import", SRV_BODY,
	  AUTH_OWNER },
};

static void
dispatch(struct req *r, int route)
{
	switch ((enum route)route) {
	case ROUTE_RECEIVE:
		receive(r);
		break;
	case ROUTE_TRIGGER_LIST:
		page_list(r, &trigger_list);
		break;
	case ROUTE_TRIGGER_CREATE:
		trigger_create(r);
		break;
	case ROUTE_TRIGGER_GET:
		trigger_get(r);
		break;
	case ROUTE_TRIGGER_PUT:
		trigger_put(r);
		break;
	case ROUTE_TRIGGER_DELETE:
		trigger_delete(r);
		break;
	case ROUTE_WEBHOOK_INFO:
		webhook_info(r);
		break;
	case ROUTE_WEBHOOK_ENABLE:
		webhook_enable(r);
		break;
	case ROUTE_WEBHOOK_DISABLE:
		webhook_disable(r);
		break;
	case ROUTE_WEBHOOK_REGENERATE:
		webhook_regenerate(r);
		break;
	case ROUTE_HMAC_ENABLE:
		group_put(r, "hmac", 1);
		break;
	case ROUTE_HMAC_DISABLE:
		group_put(r, "hmac", 0);
		break;
	case ROUTE_WEBHOOK_SIGN:
		webhook_sign(r);
		break;
	case ROUTE_RATE_LIMIT:
		group_put(r, "rate_limit", -1);
		break;
	case ROUTE_IP_ALLOWLIST:
		group_put(r, "ip_allowlist", -1);
		break;
	case ROUTE_PAYLOAD_LIMIT:
		group_put(r, "payload_limit", -1);
		break;
	case ROUTE_KEY_LIST:
		key_list(r);
		break;
	case ROUTE_KEY_ADD:
		key_add(r);
		break;
	case ROUTE_KEY_REVOKE:
		key_revoke(r);
		break;
	case ROUTE_STATS:
		stats(r);
		break;
	case ROUTE_EVENT_LIST:
		page_list(r, &event_list);
		break;
	case ROUTE_EVENT_GET:
		event_get(r);
		break;
	case ROUTE_PACK_IMPORT:
		pack_import(r);
		break;
	case ROUTE__MAX:
		break;
	}
}

SRV_MAIN(routes, dispatch)
