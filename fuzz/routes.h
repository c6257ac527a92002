/*
 * fuzz/routes.h: a route table in the handlers' forms (":name"
 * captures, "[text]" optional text, nested resources), for fuzz/route.c
 * and fuzz/request.c.  Every route is AUTH_NONE: no database.
 */
#ifndef HOOKPOST_FUZZ_ROUTES_H
#define HOOKPOST_FUZZ_ROUTES_H

static const struct srv_route fuzz_routes[] = {
	{ 0, "GET", "/healthz", 0, AUTH_NONE },
	{ 1, "GET", "/api/incidents/:id", 0, AUTH_NONE },
	{ 2, "POST", "/api/playbooks", SRV_BODY, AUTH_NONE },
	{ 3, "PUT", "/api/playbooks/:name", SRV_BODY, AUTH_NONE },
	{ 4, "POST", "/api/webhooks/:source", SRV_RAW, AUTH_NONE },
	{ 5, "POST", "/api/v1/webhooks/:key", SRV_LAZY, AUTH_NONE },
	{ 6, "GET", "/api/integration[s]/webhook[s]/deliveries", 0,
	    AUTH_NONE },
	{ 7, "POST", "/api/integrations/webhooks/:id/test", 0, AUTH_NONE },
	{ 8, "GET", "/api/v1/triggers/:ref/keys/:id", 0, AUTH_NONE },
	{ 9, "DELETE", "/api/v1/triggers/:ref/keys/:id", 0, AUTH_NONE },
	{ 10, "GET", "/admin/webhooks/deny-list", 0, AUTH_NONE },
	{ 11, "POST", "/webhook[s]/:a/:b/:c/:d", SRV_BODY, AUTH_NONE },
	{ 12, "GET", "/[x][y]/:id[s]", 0, AUTH_NONE },
};

#endif
