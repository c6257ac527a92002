/*
 * triggers: trigger events, GET /api/v1/events[/:id]: an admin's are
 * every event, a user token's those of its owner's triggers (by the
 * trigger's id: an event outlives its trigger, and a ref may be taken
 * again by another owner).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
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

/* The events that auth_scope() parameter p may see. */
#define EVENT_SCOPE(p) \
	" (" p "::text IS NULL OR e.trigger_id IN (SELECT t.id" \
	"  FROM hookpost.triggers t WHERE t.owner_id = " p "))"

/*
 * A timestamp query parameter (NULL: absent): its characters here, its
 * value by PostgreSQL's own parser.  0, or -1 after answering 400.
 */
static int
time_valid(struct req *r, const char *name, const char *value)
{
	size_t	 i;

	if (value == NULL)
		return 0;
	for (i = 0; value[i] != '\0'; i++)
		if (!isalnum((unsigned char)value[i]) &&
		    strchr(":-+.TZ ", value[i]) == NULL)
			goto bad;
	if (i > 0)
		return 0;
bad:
	resp_error(r, 400, "invalid_field", "%s must be an ISO 8601 time such "
	    "as 2024-01-20T12:00:00Z", name);
	return -1;
}

/*
 * ?trigger= names a trigger by id or ref (else 404): p[0] keeps an id,
 * p[1] a ref.  ?since= and ?until= are times.
 */
static int
event_filters_check(struct req *r, const char **p)
{
	struct tref	 tr;

	if (p[0] != NULL) {
		if (tref_parse(r, p[0], &tr) == -1)
			return -1;
		if (tr.p[0] != NULL)
			p[1] = NULL;
		else
			p[0] = NULL;
	}
	if (time_valid(r, "since", p[2]) == -1 ||
	    time_valid(r, "until", p[3]) == -1)
		return -1;
	return 0;
}

/*
 * GET /api/v1/events?trigger=REF|ID&since=&until=&limit=&cursor=; a
 * malformed time or cursor is SQL's class 22 (resp_db_error).
 */
static const struct page_filter event_filters[] = {
	{ "trigger", 160 },
	{ "trigger", 160 },
	{ "since", 64 },
	{ "until", 64 },
};

const struct page_list event_list = {
	.name = "trig_events",
	.sql = "SELECT " EVENT_JSON ","
	    " e.received_at::text, e.id::text"
	    " FROM hookpost.trigger_events e"
	    " WHERE" EVENT_SCOPE("$1")
	    " AND ($2::bigint IS NULL OR e.trigger_ref = (SELECT t.ref"
	    "  FROM hookpost.triggers t WHERE t.id = $2::bigint))"
	    " AND ($3::text IS NULL OR e.trigger_ref = $3)"
	    " AND ($4::timestamptz IS NULL OR e.received_at >= $4::timestamptz)"
	    " AND ($5::timestamptz IS NULL OR e.received_at < $5::timestamptz)"
	    " AND ($6::timestamptz IS NULL OR (e.received_at, e.id) <"
	    "  ($6::timestamptz, $7::uuid))"
	    " ORDER BY e.received_at DESC, e.id DESC LIMIT $8",
	.limit_default = 50, .limit_max = 500,
	.key = PAGE_KEY_PAIR,
	.scoped = 1,
	PAGE_FILTERS(event_filters),
	.check = event_filters_check,
};

void
event_get(struct req *r)
{
	static const char sql[] = "SELECT " EVENT_JSON
	    " FROM hookpost.trigger_events e WHERE e.id = $1::uuid"
	    " AND" EVENT_SCOPE("$2");
	const char	*p[2];
	PGresult	*res;
	json_t		*j;

	p[0] = r->params[0];
	p[1] = auth_scope(r);
	if (!uuid_valid(p[0])) {
		resp_error(r, 404, "not_found", "Event '%.64s' does not exist",
		    p[0]);
		return;
	}
	if ((res = db_exec("trig_event_get", sql, 2, p)) == NULL) {
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
