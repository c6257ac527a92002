/* triggers: a trigger's webhook keys, .../webhook[s]/regenerate and keys. */
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "req.h"
#include "util.h"
#include "valid.h"
#include "triggers.h"

static const struct vfield label_fields[] = {
	{ "label", V_STRING, 0, 1, 64, NULL, 0 },
};

/*
 * seed 002 "Regenerate Webhook Key": a new key; every key active before
 * stops working at once ("previous_key_revoked": true).
 */
void
webhook_regenerate(struct req *r)
{
	static const char sql[] =
	    "SELECT hookpost.trigger_webhook_regenerate($1, $2, $3, $4)";
	struct newkey	 k;
	json_t		*body = NULL;
	const char	*p[4];
	char		 id[24];
	PGresult	*res = NULL;
	int		 revoked;

	memset(&k, 0, sizeof(k));
	if (trigger_resolve(r, id, sizeof(id)) == -1 ||
	    optional_body(r, &body) == -1)
		goto out;
	if (body != NULL && valid_object(r, body, label_fields, 1) == -1)
		goto out;
	p[1] = json_string_value(json_object_get(body, "label"));
	if (p[1] != NULL && !label_valid(p[1])) {
		resp_error(r, 400, "invalid_field", "Field 'label' must be 1-64 "
		    "of letters, digits, space, '.', '_', ':', '-'");
		goto out;
	}
	if (newkey_make(r, &k) == -1)
		goto out;
	p[0] = id;
	p[2] = k.hash;
	p[3] = k.sealed;
	if ((res = db_exec("trig_regenerate", sql, 4, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	revoked = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
	answer_info(r, id, json_pack("{s:b}", "previous_key_revoked",
	    revoked));
out:
	PQclear(res);
	json_decref(body);
	newkey_free(&k);
}

void
key_list(struct req *r)
{
	static const char sql[] =
	    "SELECT hookpost.trigger_webhook_info($1)::text";
	const char	*p[1];
	char		 id[24];
	PGresult	*res;
	json_t		*j;

	if (trigger_resolve(r, id, sizeof(id)) == -1)
		return;
	p[0] = id;
	if ((res = db_exec("trig_info", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if ((j = row_present(r, PQgetvalue(res, 0, 0))) != NULL) {
		resp_list(r, json_incref(json_object_get(j, "keys")), NULL);
		json_decref(j);
	}
	PQclear(res);
}

/* Another active key with its label: rotation without downtime. */
void
key_add(struct req *r)
{
	static const char sql[] =
	    "SELECT hookpost.trigger_key_add($1, $2, $3, $4)::text";
	struct newkey	 k;
	json_t		*body = NULL;
	const char	*p[4];
	char		 id[24];
	PGresult	*res = NULL;

	memset(&k, 0, sizeof(k));
	if (trigger_resolve(r, id, sizeof(id)) == -1 ||
	    (body = req_json_object(r)) == NULL ||
	    valid_object(r, body, label_fields, 1) == -1)
		goto out;
	p[1] = json_string_value(json_object_get(body, "label"));
	if (!label_valid(p[1])) {
		resp_error(r, 400, "invalid_field", "Field 'label' is required: "
		    "1-64 of letters, digits, space, '.', '_', ':', '-'");
		goto out;
	}
	if (newkey_make(r, &k) == -1)
		goto out;
	p[0] = id;
	p[2] = k.hash;
	p[3] = k.sealed;
	if ((res = db_exec("trig_key_add", sql, 4, p)) == NULL) {
		if (strcmp(db_last_sqlstate(), "23505") == 0)
			resp_error(r, 409, "conflict", "An active key labelled "
			    "'%s' exists", p[1]);
		else if (strcmp(db_last_sqlstate(), "P0001") == 0)
			resp_error(r, 409, "conflict", "A trigger has at most "
			    "10 active keys");
		else
			resp_db_error(r);
		goto out;
	}
	answer_row(r, 201, PQgetvalue(res, 0, 0));
out:
	PQclear(res);
	json_decref(body);
	newkey_free(&k);
}

void
key_revoke(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.trigger_keys k"
	    " SET revoked_at = now() WHERE k.trigger_id = $1"
	    " AND k.id = $2::uuid AND k.revoked_at IS NULL";
	const char	*p[2];
	char		 id[24];
	PGresult	*res;

	if (trigger_resolve(r, id, sizeof(id)) == -1)
		return;
	if (!uuid_valid(r->params[1])) {
		resp_error(r, 404, "not_found", "No active key '%.64s' on this "
		    "trigger", r->params[1]);
		return;
	}
	p[0] = id;
	p[1] = r->params[1];
	if ((res = db_exec("trig_key_revoke", sql, 2, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if (strcmp(PQcmdTuples(res), "0") == 0)
		resp_error(r, 404, "not_found", "No active key '%.64s' on this "
		    "trigger", r->params[1]);
	else
		resp_send(r, 204, "application/json", NULL, "", 0);
	PQclear(res);
}
