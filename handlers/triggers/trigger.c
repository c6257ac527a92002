/* triggers: the triggers themselves, /api/v1/triggers[/:ref] (admin). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "jsonpath.h"
#include "page.h"
#include "provider.h"
#include "req.h"
#include "schema.h"
#include "util.h"
#include "valid.h"
#include "triggers.h"

static const struct vfield trigger_fields[] = {
	{ "ref", V_STRING, 0, 3, REF_MAX, NULL, 0 },
	{ "description", V_STRING, 0, 0, 1024, NULL, 0 },
	{ "payload_schema", V_OBJECT, 0, 0, 0, NULL, 1 },
	{ "payload_mapping", V_OBJECT, 0, 0, 0, NULL, 1 },
	{ "preset", V_ENUM, 0, 0, 0, provider_names, 1 },
};

/*
 * body[name], when given and not null, passed by check and kept in *text
 * as JSON (a new string).  0, or -1 after answering 400 with check's
 * reason.
 */
static int
member_check(struct req *r, const json_t *body, const char *name,
    int (*check)(const json_t *, char *, size_t), char **text)
{
	json_t	*v;
	char	 err[512];

	if ((v = json_object_get(body, name)) == NULL || json_is_null(v))
		return 0;
	if (check(v, err, sizeof(err)) == -1) {
		resp_error(r, 400, "invalid_field", "%s: %s", name, err);
		return -1;
	}
	*text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	return 0;
}

/*
 * Checks what a create or update may set beyond its types: the ref's
 * shape, the schema (lib/schema subset), the mapping (JSONPath).  Fills
 * the JSON texts (new strings, or NULL).  Returns 0, or -1 after
 * answering 400.
 */
static int
trigger_body_check(struct req *r, json_t *body, char **schema,
    char **mapping)
{
	const char	*ref;

	*schema = *mapping = NULL;
	if (valid_object(r, body, VFIELDS(trigger_fields)) == -1)
		return -1;
	ref = json_string_value(json_object_get(body, "ref"));
	if (ref != NULL && !ref_valid(ref)) {
		resp_error(r, 400, "invalid_field", "Field 'ref' must look like "
		    "github.push: lower-case words of [a-z0-9_-] joined by dots");
		return -1;
	}
	if (member_check(r, body, "payload_schema", schema_check,
	    schema) == -1)
		return -1;
	if (member_check(r, body, "payload_mapping", jsonpath_map_valid,
	    mapping) == -1) {
		free(*schema);
		*schema = NULL;
		return -1;
	}
	return 0;
}

void
trigger_create(struct req *r)
{
	static const char sql[] = "SELECT hookpost.trigger_json(t)::text"
	    " FROM hookpost.trigger_create($1, $2, $3::json, $4::json, $5) t";
	json_t		*body = NULL;
	char		*schema = NULL, *mapping = NULL;
	const char	*p[5];
	PGresult	*res = NULL;

	if ((body = req_json_object(r)) == NULL ||
	    trigger_body_check(r, body, &schema, &mapping) == -1)
		goto out;
	if ((p[0] = json_string_value(json_object_get(body, "ref"))) == NULL) {
		resp_error(r, 400, "invalid_field", "Field 'ref' is required");
		goto out;
	}
	p[1] = json_string_value(json_object_get(body, "description"));
	p[2] = schema;
	p[3] = mapping;
	p[4] = json_string_value(json_object_get(body, "preset"));
	if ((res = db_exec("trig_create", sql, 5, p)) == NULL) {
		resp_db_conflict(r, "Trigger '%s' already exists", p[0]);
		goto out;
	}
	answer_row(r, 201, PQgetvalue(res, 0, 0));
out:
	PQclear(res);
	json_decref(body);
	free(schema);
	free(mapping);
}

/* PUT: changes the fields given; null clears schema, mapping, preset. */
void
trigger_put(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.triggers t SET"
	    " description = coalesce($3, t.description),"
	    " payload_schema = CASE WHEN $4 THEN $5::json"
	    "  ELSE t.payload_schema END,"
	    " payload_mapping = CASE WHEN $6 THEN $7::json"
	    "  ELSE t.payload_mapping END,"
	    " preset = CASE WHEN $8 THEN $9 ELSE t.preset END,"
	    " hmac_enabled = t.hmac_enabled OR ($8 AND $9 IS NOT NULL),"
	    " updated_at = now()"
	    " WHERE t.id = $1 OR t.ref = $2"
	    " RETURNING hookpost.trigger_json(t)::text";
	struct tref	 tr;
	json_t		*body = NULL, *v;
	char		*schema = NULL, *mapping = NULL;
	const char	*p[9], *ref;

	if (tref_parse(r, r->params[0], &tr) == -1 ||
	    (body = req_json_object(r)) == NULL ||
	    trigger_body_check(r, body, &schema, &mapping) == -1)
		goto out;
	ref = json_string_value(json_object_get(body, "ref"));
	if (ref != NULL && (tr.p[1] == NULL || strcmp(ref, tr.p[1]) != 0)) {
		resp_error(r, 400, "invalid_field", "A trigger's ref cannot "
		    "change; create another trigger");
		goto out;
	}
	p[0] = tr.p[0];
	p[1] = tr.p[1];
	p[2] = json_string_value(json_object_get(body, "description"));
	p[3] = json_object_get(body, "payload_schema") != NULL ? "t" : "f";
	p[4] = schema;
	p[5] = json_object_get(body, "payload_mapping") != NULL ? "t" : "f";
	p[6] = mapping;
	v = json_object_get(body, "preset");
	p[7] = v != NULL ? "t" : "f";
	p[8] = json_string_value(v);
	query_answer(r, "trig_put", sql, 9, p);
out:
	json_decref(body);
	free(schema);
	free(mapping);
}

void
trigger_get(struct req *r)
{
	static const char sql[] = "SELECT hookpost.trigger_json(t)::text"
	    " FROM hookpost.triggers t WHERE t.id = $1 OR t.ref = $2";
	struct tref	 tr;

	if (tref_parse(r, r->params[0], &tr) == -1)
		return;
	query_answer(r, "trig_get", sql, 2, tr.p);
}

const struct page_list trigger_list = {
	.name = "trig_list",
	.sql = "SELECT hookpost.trigger_json(t)::text,"
	    " t.id::text, '' FROM hookpost.triggers t"
	    " WHERE ($1::bigint IS NULL OR t.id > $1::bigint)"
	    " ORDER BY t.id LIMIT $2",
	.limit_default = 50, .limit_max = 200,
	.key = PAGE_KEY_ID,
	.row = row_present,
};

void
trigger_delete(struct req *r)
{
	static const char sql[] = "DELETE FROM hookpost.triggers t"
	    " WHERE t.id = $1 OR t.ref = $2";
	struct tref	 tr;
	PGresult	*res;

	if (tref_parse(r, r->params[0], &tr) == -1)
		return;
	if ((res = db_exec("trig_delete", sql, 2, tr.p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if (strcmp(PQcmdTuples(res), "0") == 0)
		not_found(r);
	else
		resp_send(r, 204, "application/json", NULL, "", 0);
	PQclear(res);
}
