/*
 * triggers: POST /api/v1/packs/import, the triggers a pack declares
 * (seed 002 "Pack Definition"; `hookpost pack import`, cli/pack.c):
 *
 *   {"triggers": [{"name": "push", "ref": "github.push",
 *     "description": "...", "type": "webhook", "payload_schema": {...}},
 *     ...], "owner_id": "..."}
 *
 * All or nothing: every trigger is checked first (settings.c, TSET_PACK),
 * then all are applied in one transaction.  A new ref is created for
 * owner_id (a user's own, as POST /api/v1/triggers takes it); a known one
 * is changed by what the pack gives, and what it leaves out is left as it
 * is, so importing a pack again changes nothing.  The answer says what
 * happened to each: created, updated or unchanged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "db.h"
#include "provider.h"
#include "req.h"
#include "util.h"
#include "valid.h"
#include "triggers.h"

#define PACK_MAX	200

static const struct vfield pack_body_fields[] = {
	{ "triggers", V_ARRAY, 1, 1, PACK_MAX, NULL, 0 },
	{ "owner_id", V_STRING, 0, 1, AUTH_OWNER_MAX, NULL, 1 },
};

/* One checked trigger of the pack. */
struct pack_item {
	const char	*ref;		/* borrowed from the body */
	char		*set;		/* its settings, trigger_configure's */
	char		 context[REF_MAX + 32];	/* "triggers[2] (github.push)" */
};

/*
 * Checks every trigger of list into items (n of them).  0, or -1 after
 * answering 400 or 403 naming the trigger.
 */
static int
pack_check(struct req *r, json_t *list, struct pack_item *items, size_t n)
{
	struct tset	 ts;
	json_t		*e;
	const char	*ref;
	size_t		 i, j;
	int		 rc;

	for (i = 0; i < n; i++) {
		e = json_array_get(list, i);
		ref = json_string_value(json_object_get(e, "ref"));
		snprintf(items[i].context, sizeof(items[i].context),
		    "triggers[%zu]%s%.*s%s", i, ref != NULL ? " (" : "",
		    REF_MAX, ref != NULL ? ref : "", ref != NULL ? ")" : "");
		r->error_context = items[i].context;
		if (!json_is_object(e)) {
			resp_error(r, 400, "invalid_field", "A trigger is an "
			    "object: name, ref, description, type, "
			    "payload_schema");
			return -1;
		}
		rc = tset_read(r, e, TSET_PACK, PROVIDER_NONE, &ts);
		items[i].set = ts.set;
		ts.set = NULL;
		tset_free(&ts);
		if (rc == -1)
			return -1;
		items[i].ref = json_string_value(json_object_get(e, "ref"));
		for (j = 0; j < i; j++)
			if (strcmp(items[j].ref, items[i].ref) == 0) {
				resp_error(r, 400, "invalid_field", "ref '%s' "
				    "is also triggers[%zu]'s", items[i].ref, j);
				return -1;
			}
	}
	r->error_context = NULL;
	return 0;
}

/*
 * Applies the checked items in the transaction the caller opened; rows
 * gets {ref, id, action} for each, counts the actions.  0, or -1 after
 * answering (the caller rolls back).
 */
static int
pack_apply(struct req *r, const char *owner, struct pack_item *items,
    size_t n, json_t *rows, json_int_t counts[3])
{
	static const char sql[] = "SELECT a.action, a.id"
	    " FROM hookpost.trigger_pack_apply($1, $2, $3, $4::json) a";
	static const char *const actions[] = { "created", "updated",
		"unchanged" };
	const char	*p[4], *action;
	PGresult	*res;
	long long	 id;
	size_t		 i, k;

	for (i = 0; i < n; i++) {
		r->error_context = items[i].context;
		p[0] = auth_scope(r);
		p[1] = owner;
		p[2] = items[i].ref;
		p[3] = items[i].set;
		if ((res = db_exec("pack_apply", sql, 4, p)) == NULL) {
			resp_db_conflict(r, "Trigger '%s' already exists",
			    items[i].ref);
			return -1;
		}
		action = PQgetvalue(res, 0, 0);
		for (k = 0; k < 3; k++)
			if (strcmp(action, actions[k]) == 0)
				break;
		if (k == 3 || parse_int(PQgetvalue(res, 0, 1), 1,
		    (1LL << 62), &id) == -1) {
			/* conflict: another owner's; say no more than POST. */
			resp_error(r, 409, "conflict", "Trigger '%s' already "
			    "exists", items[i].ref);
			PQclear(res);
			return -1;
		}
		counts[k]++;
		json_array_append_new(rows, json_pack("{s:s,s:I,s:s}", "ref",
		    items[i].ref, "id", (json_int_t)id, "action", actions[k]));
		PQclear(res);
	}
	r->error_context = NULL;
	return 0;
}

void
pack_import(struct req *r)
{
	struct pack_item	*items = NULL;
	json_t			*body = NULL, *list, *owner, *rows = NULL;
	json_int_t		 counts[3] = { 0, 0, 0 };
	size_t			 i, n = 0;

	if ((body = valid_body_new(r, VFIELDS(pack_body_fields))) == NULL ||
	    owner_check(r, body) == -1)
		goto out;
	list = json_object_get(body, "triggers");
	n = json_array_size(list);
	items = xcalloc(n, sizeof(*items));
	if (pack_check(r, list, items, n) == -1)
		goto out;
	if (db_tx_begin() == -1) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		goto out;
	}
	owner = json_object_get(body, "owner_id");
	rows = json_array();
	if (pack_apply(r, owner != NULL ? json_string_value(owner) :
	    r->auth.owner_id, items, n, rows, counts) == -1) {
		db_tx_abort();
		goto out;
	}
	if (db_tx_commit() == -1) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		goto out;
	}
	resp_json(r, 200, json_pack("{s:{s:I,s:I,s:I,s:O}}", "data",
	    "created", counts[0], "updated", counts[1], "unchanged", counts[2],
	    "triggers", rows));
out:
	r->error_context = NULL;
	for (i = 0; i < n; i++)
		free(items[i].set);
	free(items);
	json_decref(rows);
	json_decref(body);
}
