/*
 * sources: inbound alert sources (seed 004), bin/sources.fcgi.
 *   POST /api/webhooks/:source    the receiver: verify, audit, incident
 *                                 (receive.c, its source copies cache.c)
 *   /api/webhooks[/:source]       source management (admin; source.c)
 *   POST /api/webhooks/:source/sign  sign a test event (admin; CLI test)
 *   POST /api/webhooks/_import    many sources, all or nothing (admin;
 *                                 import.c; no source is named "_...")
 * The URLs keep seed 004's word "webhooks"; the program and its files
 * are named after their noun.
 */
#include "srv.h"
#include "sources.h"

enum route {
	ROUTE_RECEIVE,
	ROUTE_SOURCE_LIST,
	ROUTE_SOURCE_CREATE,
	ROUTE_SOURCE_GET,
	ROUTE_SOURCE_PUT,
	ROUTE_SOURCE_DELETE,
	ROUTE_SOURCE_SIGN,
	ROUTE_SOURCE_IMPORT,
	ROUTE__MAX
};

#define SOURCE	"/api/webhooks/:source"

static const struct srv_route routes[ROUTE__MAX] = {
	/* Before the receiver, whose :source pattern matches it too. */
	{ ROUTE_SOURCE_IMPORT, "POST", "/api/webhooks/_import", SRV_BODY,
	    AUTH_ADMIN },
	{ ROUTE_RECEIVE, "POST", SOURCE, SRV_RAW, AUTH_NONE },
	{ ROUTE_SOURCE_LIST, "GET", "/api/webhooks", 0, AUTH_ADMIN },
	{ ROUTE_SOURCE_CREATE, "POST", "/api/webhooks", SRV_BODY, AUTH_ADMIN },
	{ ROUTE_SOURCE_GET, "GET", SOURCE, 0, AUTH_ADMIN },
	{ ROUTE_SOURCE_PUT, "PUT", SOURCE, SRV_BODY, AUTH_ADMIN },
	{ ROUTE_SOURCE_DELETE, "DELETE", SOURCE, 0, AUTH_ADMIN },
	{ ROUTE_SOURCE_SIGN, "POST", SOURCE "/sign", SRV_BODY, AUTH_ADMIN },
};

static void
dispatch(struct req *r, int route)
{
	switch ((enum route)route) {
	case ROUTE_RECEIVE:
		receive(r);
		break;
	case ROUTE_SOURCE_LIST:
		page_list(r, &source_list);
		break;
	case ROUTE_SOURCE_CREATE:
		source_write(r, 0);
		break;
	case ROUTE_SOURCE_GET:
		source_get(r);
		break;
	case ROUTE_SOURCE_PUT:
		source_write(r, 1);
		break;
	case ROUTE_SOURCE_DELETE:
		source_delete(r);
		break;
	case ROUTE_SOURCE_SIGN:
		source_sign(r);
		break;
	case ROUTE_SOURCE_IMPORT:
		source_import(r);
		break;
	case ROUTE__MAX:
		break;
	}
}


SRV_MAIN(routes, dispatch)
