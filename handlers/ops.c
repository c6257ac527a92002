/*
 * ops: operations routes.
 *   GET /healthz       200 {"status":"ok"} when the database answers, else 503
 *   GET /metrics       Prometheus text exposition (version 0.0.4)
 *   GET /openapi.json  the OpenAPI 3.0 document of every route (docs/)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "db.h"
#include "log.h"
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
};

/*
 * The counters come from the receivers' audit log (sql/007_fast_ingest.sql):
 * the rollup plus the rows not folded in yet, read in one snapshot, so
 * they are exact and monotonic across handler processes, restarts and
 * audit-log retention.  Each scrape first folds the new rows in, which
 * keeps the live part small; if that fails the answer is still exact.
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
	int		 i, n;

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
		for (i = 0; i < n; i++) {
			m = PQgetvalue(res, i, 0);
			if (strcmp(m, helps[h].name) == 0)
				buf_appendf(&b, "%s{%s} %s\n", m,
				    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
		}
	}
	PQclear(res);
	resp_send(r, 200, "text/plain; version=0.0.4; charset=utf-8", NULL,
	    b.data ? b.data : "", b.len);
	buf_free(&b);
}

/* STYLE 11: the document is ~160 KiB; a file past this is not ours. */
#define OPENAPI_MAX	(4 * 1024 * 1024)

/*
 * Where the document is installed, relative to this program's directory
 * (as cli/db_cmd.c finds sql/): beside it (shared hosting, as
 * hookpost.conf), the source tree's docs/ beside bin/, or
 * share/hookpost/ beside PREFIX/bin (make install).
 */
static const char *const openapi_places[] = {
	"openapi.json",
	"../docs/openapi.json",
	"../share/hookpost/openapi.json",
};

/*
 * The document, read on first use and kept for the life of the process.
 * Process-wide state beyond STYLE 9's list, and safe: it is installed
 * data, replaced only by an install, after which the handlers restart.
 */
static char	*openapi_doc;
static size_t	 openapi_len;

/*
 * Reads path into a new buffer (*out, NUL-terminated, *outlen bytes),
 * checking that it is a JSON object.  Returns 0; 1 when there is no such
 * file; -1 when it cannot be read or is not a JSON object (logged).
 */
static int
openapi_read(const char *path, char **out, size_t *outlen)
{
	json_error_t	 err;
	json_t		*j;
	char		*doc;
	size_t		 len;
	int		 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 1;
		log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	rc = read_all(fd, OPENAPI_MAX, &doc, &len);
	close(fd);
	if (rc == -1) {
		if (errno == EFBIG)
			log_error("%s: larger than %d bytes", path, OPENAPI_MAX);
		else
			log_error("%s: %s", path, strerror(errno));
		return -1;
	}
	j = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL || !json_is_object(j)) {
		log_error("%s: not a JSON object%s%s", path, j ? "" : ": ",
		    j ? "" : err.text);
		json_decref(j);
		free(doc);
		return -1;
	}
	json_decref(j);
	*out = doc;
	*outlen = len;
	return 0;
}

/* Finds and caches the document.  Returns 0, or -1 (logged). */
static int
openapi_load(void)
{
	char	*exe, *path;
	size_t	 i;
	int	 rc = 1;

	if (openapi_doc != NULL)
		return 0;
	if ((exe = exe_dir()) == NULL) {
		log_error("readlink /proc/self/exe: %s", strerror(errno));
		return -1;
	}
	for (i = 0; rc == 1 && i < sizeof(openapi_places) /
	    sizeof(openapi_places[0]); i++) {
		path = xasprintf("%s/%s", exe, openapi_places[i]);
		rc = openapi_read(path, &openapi_doc, &openapi_len);
		free(path);
	}
	if (rc == 1)
		log_error("openapi.json is not installed beside %s (openapi.json, "
		    "../docs/, ../share/hookpost/)", exe);
	free(exe);
	return rc == 0 ? 0 : -1;
}

static void
openapi(struct req *r)
{
	if (openapi_load() == -1) {
		resp_error(r, 500, "openapi_unavailable", "The OpenAPI document "
		    "is not installed (docs/openapi.json, or "
		    "share/hookpost/openapi.json after make install)");
		return;
	}
	resp_send(r, 200, "application/json", NULL, openapi_doc, openapi_len);
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
		openapi(r);
		break;
	case ROUTE__MAX:
		break;
	}
}

SRV_MAIN(routes, dispatch)
