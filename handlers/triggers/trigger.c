/*
 * triggers: the triggers themselves, /api/v1/triggers[/:ref]; an admin
 * manages all, a user token its owner's (main.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "db.h"
#include "page.h"
#include "provider.h"
#include "req.h"
#include "util.h"
#include "triggers.h"

/*
 * POST /api/v1/triggers: a trigger with any of its settings
 * (settings.c), owned by the owner_id given (a user: only its own), else
 * by the caller's owner scope; an admin's with none has no owner.
 */
void
trigger_create(struct req *r)
{
	static const char sql[] = "SELECT c.trigger::text, c.generated"
	    " FROM hookpost.trigger_create($1, $2, $3::json, $4, $5, $6, $7) c";
	struct tset	 ts;
	json_t		*body = NULL, *owner;
	const char	*p[7];
	PGresult	*res = NULL;

	memset(&ts, 0, sizeof(ts));
	if ((body = req_json_object(r)) == NULL ||
	    tset_read(r, body, TSET_TRIGGER, PROVIDER_NONE, &ts) == -1)
		goto out;
	if ((p[0] = json_string_value(json_object_get(body, "ref"))) == NULL) {
		resp_error(r, 400, "invalid_field", "Field 'ref' is required");
		goto out;
	}
	owner = json_object_get(body, "owner_id");
	p[1] = owner != NULL ? json_string_value(owner) : r->auth.owner_id;
	p[2] = ts.set;
	p[3] = ts.secret_sealed;
	p[4] = ts.gen_sealed;
	p[5] = ts.k.key != NULL ? ts.k.hash : NULL;
	p[6] = ts.k.sealed;
	if ((res = db_exec("trig_create", sql, 7, p)) == NULL) {
		resp_db_conflict(r, "Trigger '%s' already exists", p[0]);
		goto out;
	}
	trigger_answer(r, 201, PQgetvalue(res, 0, 0),
	    strcmp(PQgetvalue(res, 0, 1), "t") == 0, &ts);
out:
	PQclear(res);
	json_decref(body);
	tset_free(&ts);
}

/*
 * PUT: changes the settings given (settings.c); null clears the schema,
 * the mapping, the preset, the owner (an admin's).
 */
void
trigger_put(struct req *r)
{
	struct tset	 ts;
	enum provider	 preset;
	json_t		*body = NULL;
	const char	*ref;
	char		 id[24];

	memset(&ts, 0, sizeof(ts));
	if (trigger_resolve_preset(r, id, sizeof(id), &preset) == -1 ||
	    (body = req_json_object(r)) == NULL)
		goto out;
	ref = json_string_value(json_object_get(body, "ref"));
	if (ref != NULL && strcmp(ref, r->params[0]) != 0) {
		resp_error(r, 400, "invalid_field", "A trigger's ref cannot "
		    "change; create another trigger");
		goto out;
	}
	if (tset_read(r, body, TSET_TRIGGER, preset, &ts) == 0)
		configure_answer(r, id, &ts);
out:
	json_decref(body);
	tset_free(&ts);
}

void
trigger_get(struct req *r)
{
	static const char sql[] = "SELECT hookpost.trigger_json(t)::text"
	    " FROM hookpost.triggers t WHERE" TREF_WHERE;
	struct tref	 tr;

	if (tref_parse(r, r->params[0], &tr) == -1)
		return;
	query_answer(r, "trig_get", sql, 3, tr.p);
}

/* GET /api/v1/triggers[?owner_id=]: the caller's, or (admin) anyone's. */
static const struct page_filter trigger_filters[] = {
	{ "owner_id", AUTH_OWNER_MAX + 1 },
};

const struct page_list trigger_list = {
	.name = "trig_list",
	.sql = "SELECT hookpost.trigger_json(t)::text,"
	    " t.id::text, '' FROM hookpost.triggers t"
	    " WHERE ($1::text IS NULL OR t.owner_id = $1)"
	    " AND ($2::text IS NULL OR t.owner_id = $2)"
	    " AND ($3::bigint IS NULL OR t.id > $3::bigint)"
	    " ORDER BY t.id LIMIT $4",
	.limit_default = 50, .limit_max = 200,
	.key = PAGE_KEY_ID,
	.scoped = 1,
	PAGE_FILTERS(trigger_filters),
	.row = row_present,
};

void
trigger_delete(struct req *r)
{
	static const char sql[] = "DELETE FROM hookpost.triggers t"
	    " WHERE" TREF_WHERE;
	struct tref	 tr;
	PGresult	*res;

	if (tref_parse(r, r->params[0], &tr) == -1)
		return;
	if ((res = db_exec("trig_delete", sql, 3, tr.p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if (strcmp(PQcmdTuples(res), "0") == 0)
		not_found(r);
	else
		resp_send(r, 204, "application/json", NULL, "", 0);
	PQclear(res);
}
