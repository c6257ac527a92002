/*
 * ops: operations routes.
 *   GET /healthz       200 {"status":"ok"} when the database answers, else 503
 *   GET /metrics       Prometheus text exposition (version 0.0.4)
 *   GET /openapi.json  the OpenAPI 3.0 document of every route (docs/)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "log.h"
#include "openapi.h"
#include "refused.h"
#include "req.h"
#include "srv.h"
#include "util.h"

enum route {
	ROUTE_HEALTHZ,
	ROUTE_METRICS,
	ROUTE_OPENAPI,
	ROUTE__MAX
};

static const struct srv_route routes[ROUTE__MAX] = {
	{ ROUTE_HEALTHZ, "GET", "/healthz", 0, AUTH_NONE },
	{ ROUTE_METRICS, "GET", "/metrics", 0, AUTH_NONE },
	{ ROUTE_OPENAPI, "GET", "/openapi.json", 0, AUTH_NONE },
};

static void
healthz(struct req *r)
{
	PGresult	*res;

	if ((res = db_exec("healthz", "SELECT 1", 0, NULL)) == NULL) {
		resp_json(r, 503, json_pack("{s:s,s:s}", "status", "unavailable",
		    "database", "unreachable"));
		return;
	}
	PQclear(res);
	resp_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

struct metric_help {
	const char	*name, *type, *help;
};

static const struct metric_help helps[] = {
	{ "webhook_received_total", "counter",
	  "Requests to inbound webhook receivers, by source and outcome." },
	{ "webhook_errors_total", "counter",
	  "Refused inbound webhook requests, by source and error code." },
	{ "webhook_deliveries_expired_total", "counter",
	  "Async deliveries failed for want of their callback within "
	  "HOOKPOST_CALLBACK_TTL (sql/functions/deliveries.sql)." },
	{ "hookpost_requests_refused_total", "counter",
	  "Requests answered 503 because the database was unreachable, "
	  "counted once it is back (HOOKPOST_REFUSED_FILE, lib/refused.h)." },
};

/*
 * The counters come from the receivers' audit log (sql/007_fast_ingest.sql):
 * the rollup plus the rows not folded in yet, read in one snapshot, so
 * they are exact and monotonic across handler processes, restarts and
 * audit-log retention.  Each scrape first folds the new rows in, which
 * keeps the live part small; if that fails the answer is still exact.
 * It also folds in the refusals of a database outage, which the handlers
 * could only note in their spool file (lib/refused.h).
 */
static void
metrics(struct req *r)
{
	static const char sql_fold[] = "CALL hookpost.metrics_rollup()";
	static const char sql[] = "SELECT metric, labels, value"
	    " FROM hookpost.metric_values() ORDER BY metric, labels";
	struct buf	 b = { 0 };
	PGresult	*res;
	const char	*m;
	size_t		 h;
	int		 i, n, shown;

	(void)refused_fold();
	if ((res = db_exec("metrics_fold", sql_fold, 0, NULL)) != NULL)
		PQclear(res);
	if ((res = db_exec("metrics", sql, 0, NULL)) == NULL) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		return;
	}
	n = PQntuples(res);
	for (h = 0; h < sizeof(helps) / sizeof(helps[0]); h++) {
		buf_appendf(&b, "# HELP %s %s\n# TYPE %s %s\n", helps[h].name,
		    helps[h].help, helps[h].name, helps[h].type);
		for (i = shown = 0; i < n; i++) {
			m = PQgetvalue(res, i, 0);
			if (strcmp(m, helps[h].name) == 0 && ++shown)
				buf_appendf(&b, "%s{%s} %s\n", m,
				    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
		}
		/* From 0, so that an alert on its rate has a series. */
		if (!shown && strcmp(helps[h].name,
		    "hookpost_requests_refused_total") == 0)
			buf_appendf(&b, "%s{code=\"unavailable\"} 0\n",
			    helps[h].name);
	}
	PQclear(res);
	resp_send(r, 200, "text/plain; version=0.0.4; charset=utf-8", NULL,
	    b.data ? b.data : "", b.len);
	buf_free(&b);
}


static void
dispatch(struct req *r, int route)
{
	switch ((enum route)route) {
	case ROUTE_HEALTHZ:
		healthz(r);
		break;
	case ROUTE_METRICS:
		metrics(r);
		break;
	case ROUTE_OPENAPI:
		openapi_answer(r);
		break;
	case ROUTE__MAX:
		break;
	}
}

SRV_MAIN(routes, dispatch)
