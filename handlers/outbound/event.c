/* outbound: publishing and the catalog, POST /api/events, /api/event-types. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "page.h"
#include "req.h"
#include "util.h"
#include "valid.h"
#include "outbound.h"

static const struct vfield event_fields[] = {
	{ "event_type", V_STRING, 1, 1, EVENT_TYPE_MAX, NULL, 0 },
	{ "object_type", V_STRING, 0, 1, 128, NULL, 1 },
	{ "object_id", V_STRING, 0, 1, 256, NULL, 1 },
	{ "threat_model_id", V_STRING, 0, 1, 256, NULL, 1 },
	{ "owner_id", V_STRING, 0, 1, OWNER_MAX, NULL, 1 },
	{ "data", V_OBJECT, 0, 0, 0, NULL, 1 },
};

/*
 * POST /api/events: hookpost.emit over HTTP.  The event and its fan-out
 * commit together; 202 means every matching subscription has its
 * delivery row.  The owner defaults to the caller's.
 */
void
event_publish(struct req *r)
{
	static const char sql[] = "SELECT hookpost.emit($1, $2, $3, $4, $5,"
	    " $6::jsonb)::text WHERE EXISTS (SELECT 1 FROM hookpost.event_types"
	    " WHERE name = $1)";
	json_t		*body = NULL;
	const char	*owner, *p[6];
	char		*data = NULL;
	PGresult	*res = NULL;

	if ((body = valid_body_new(r, VFIELDS(event_fields))) == NULL)
		goto out;
	if ((owner = json_string_value(json_object_get(body, "owner_id"))) ==
	    NULL && json_object_get(body, "owner_id") == NULL)
		owner = r->auth.owner_id;
	p[0] = json_string_value(json_object_get(body, "event_type"));
	p[1] = json_string_value(json_object_get(body, "object_type"));
	p[2] = json_string_value(json_object_get(body, "object_id"));
	p[3] = json_string_value(json_object_get(body, "threat_model_id"));
	p[4] = owner;
	data = json_param_new(json_object_get(body, "data"));
	p[5] = data;
	if ((res = db_exec("event_publish", sql, 6, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (PQntuples(res) == 0) {
		resp_error(r, 400, "invalid_field", "Field 'event_type': "
		    "unknown event type '%s' (see GET /api/event-types)", p[0]);
		goto out;
	}
	resp_json(r, 202, json_pack("{s:s,s:s}", "event_id",
	    PQgetvalue(res, 0, 0), "event_type", p[0]));
out:
	PQclear(res);
	json_decref(body);
	free(data);
}

#define EVENT_TYPE_JSON \
	"json_build_object('name', t.name, 'description', t.description," \
	" 'builtin', t.builtin, 'created_at', t.created_at)"

const struct page_list event_type_list = {
	.name = "event_type_list",
	.sql = "SELECT " EVENT_TYPE_JSON "::text, t.name, ''"
	    " FROM hookpost.event_types t"
	    " WHERE ($1::text IS NULL OR t.name > $1)"
	    " ORDER BY t.name LIMIT $2",
	.limit_default = 200, .limit_max = 1000,
	.key = PAGE_KEY_TEXT,
};

static const struct vfield event_type_fields[] = {
	{ "name", V_STRING, 1, 3, EVENT_TYPE_MAX, NULL, 0 },
	{ "description", V_STRING, 0, 0, 1024, NULL, 0 },
};

void
event_type_create(struct req *r)
{
	static const char sql[] = "INSERT INTO hookpost.event_types AS t"
	    " (name, description) VALUES ($1, coalesce($2, ''))"
	    " ON CONFLICT (name) DO NOTHING"
	    " RETURNING " EVENT_TYPE_JSON "::text";
	json_t		*body = NULL;
	const char	*name, *p[2];
	PGresult	*res = NULL;

	if ((body = valid_body_new(r, VFIELDS(event_type_fields))) == NULL)
		goto out;
	name = json_string_value(json_object_get(body, "name"));
	/* seed 000: {resource}.{action}; no "*", which patterns use. */
	if (strchr(name, '*') != NULL || !event_pattern_valid(name)) {
		resp_error(r, 400, "invalid_field", "Field 'name' must be "
		    "{resource}.{action}: words of a-z, 0-9, '_' and '-' "
		    "joined by '.'");
		goto out;
	}
	p[0] = name;
	p[1] = json_string_value(json_object_get(body, "description"));
	if ((res = db_exec("event_type_create", sql, 2, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (PQntuples(res) == 0)
		resp_error(r, 409, "conflict", "Event type '%s' already exists",
		    name);
	else
		resp_row(r, 201, res, "event type");
out:
	PQclear(res);
	json_decref(body);
}
