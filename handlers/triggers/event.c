/* triggers: trigger events, GET /api/v1/events[/:id]. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "page.h"
#include "req.h"
#include "util.h"
#include "valid.h"
#include "triggers.h"

#define EVENT_JSON \
	"json_build_object('id', e.id, 'trigger_id', e.trigger_id," \
	" 'trigger_ref', e.trigger_ref, 'payload', e.payload," \
	" 'metadata', e.metadata, 'source', e.source," \
	" 'delivery_id', e.delivery_id, 'received_at', e.received_at)::text"

/* A timestamp query parameter, checked by PostgreSQL's own parser. */
static int
time_arg(struct req *r, const char *name, char *buf, size_t bufsz,
    const char **out)
{
	size_t	 i;

	*out = req_query(r, name, buf, bufsz);
	if (*out == NULL)
		return 0;
	for (i = 0; buf[i] != '\0'; i++)
		if (!isalnum((unsigned char)buf[i]) &&
		    strchr(":-+.TZ ", buf[i]) == NULL)
			goto bad;
	if (i > 0)
		return 0;
bad:
	resp_error(r, 400, "invalid_field", "%s must be an ISO 8601 time such "
	    "as 2024-01-20T12:00:00Z", name);
	return -1;
}

/* GET /api/v1/events?trigger=REF|ID&since=&until=&limit=&cursor= */
void
event_list(struct req *r)
{
	static const char sql[] = "SELECT " EVENT_JSON ","
	    " e.received_at::text, e.id::text"
	    " FROM hookpost.trigger_events e"
	    " WHERE ($1::bigint IS NULL OR e.trigger_ref = (SELECT t.ref"
	    "  FROM hookpost.triggers t WHERE t.id = $1::bigint))"
	    " AND ($2::text IS NULL OR e.trigger_ref = $2)"
	    " AND ($3::timestamptz IS NULL OR e.received_at >= $3::timestamptz)"
	    " AND ($4::timestamptz IS NULL OR e.received_at < $4::timestamptz)"
	    " AND ($5::timestamptz IS NULL OR (e.received_at, e.id) <"
	    "  ($5::timestamptz, $6::uuid))"
	    " ORDER BY e.received_at DESC, e.id DESC LIMIT $7";
	struct tref	 tr = { { NULL, NULL }, "" };
	char		 trig[160], since[64], until[64], lim[24];
	char		*ca = NULL, *cb = NULL;
	const char	*p[7], *t;
	long long	 limit;
	PGresult	*res;

	if (page_args(r, 50, 500, &limit, &ca, &cb) == -1)
		goto out;
	if ((t = req_query(r, "trigger", trig, sizeof(trig))) != NULL &&
	    tref_parse(r, t, &tr) == -1)
		goto out;
	if (time_arg(r, "since", since, sizeof(since), &p[2]) == -1 ||
	    time_arg(r, "until", until, sizeof(until), &p[3]) == -1)
		goto out;
	p[0] = tr.p[0];
	p[1] = tr.p[1];
	p[4] = ca;
	p[5] = cb;
	snprintf(lim, sizeof(lim), "%lld", limit + 1);
	p[6] = lim;
	if ((res = db_exec("trig_events", sql, 7, p)) == NULL) {
		resp_db_error(r);	/* class 22: since, until, cursor */
		goto out;
	}
	page_answer(r, res, limit);
	PQclear(res);
out:
	free(ca);
	free(cb);
}

void
event_get(struct req *r)
{
	static const char sql[] = "SELECT " EVENT_JSON
	    " FROM hookpost.trigger_events e WHERE e.id = $1::uuid";
	const char	*p[1];
	PGresult	*res;
	json_t		*j;

	p[0] = r->params[0];
	if (!uuid_valid(p[0])) {
		resp_error(r, 404, "not_found", "Event '%.64s' does not exist",
		    p[0]);
		return;
	}
	if ((res = db_exec("trig_event_get", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if (PQntuples(res) == 0)
		resp_error(r, 404, "not_found", "Event '%.64s' does not exist",
		    p[0]);
	else if ((j = json_loads(PQgetvalue(res, 0, 0), 0, NULL)) != NULL)
		resp_json(r, 200, json_pack("{s:o}", "data", j));
	else
		resp_error(r, 500, "internal", "Malformed row");
	PQclear(res);
}
