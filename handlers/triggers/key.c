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
 * A new key for the trigger named in the URL, and the parameters of the
 * statement that stores it: $1 trigger id, $2 label, $3 key hash, $4
 * sealed key.
 */
struct keyreq {
	char		 id[24];
	json_t		*body;
	struct newkey	 k;
	const char	*p[4];
};

/*
 * Fills kr from the URL and the body, whose label is required or not.
 * 0, or -1 after answering; either way the caller keyreq_frees kr.
 */
static int
key_prepare(struct req *r, int required, struct keyreq *kr)
{
	memset(kr, 0, sizeof(*kr));
	if (trigger_resolve(r, kr->id, sizeof(kr->id)) == -1)
		return -1;
	if (required ? (kr->body = valid_body_new(r,
	    VFIELDS(label_fields))) == NULL :
	    optional_body(r, VFIELDS(label_fields), &kr->body) == -1)
		return -1;
	kr->p[1] = json_string_value(json_object_get(kr->body, "label"));
	if ((required || kr->p[1] != NULL) && !label_valid(kr->p[1])) {
		resp_error(r, 400, "invalid_field", "Field 'label' %s 1-64 of "
		    "letters, digits, space, '.', '_', ':', '-'", required ?
		    "is required:" : "must be");
		return -1;
	}
	if (newkey_make(r, &kr->k) == -1)
		return -1;
	kr->p[0] = kr->id;
	kr->p[2] = kr->k.hash;
	kr->p[3] = kr->k.sealed;
	return 0;
}

/* A disabled trigger has no key, and gets none but by enabling. */
static void
disabled(struct req *r)
{
	resp_error(r, 409, "conflict", "Webhooks are disabled for this "
	    "trigger: enable them, which makes a new key");
}

static void
keyreq_free(struct keyreq *kr)
{
	json_decref(kr->body);
	newkey_free(&kr->k);
}

/*
 * seed 002 "Regenerate Webhook Key": a new key; every key active before
 * stops working at once ("previous_key_revoked": true).
 */
void
webhook_regenerate(struct req *r)
{
	static const char sql[] =
	    "SELECT hookpost.trigger_webhook_regenerate($1, $2, $3, $4)";
	struct keyreq	 kr;
	PGresult	*res = NULL;
	int		 revoked;

	if (key_prepare(r, 0, &kr) == -1)
		goto out;
	if ((res = db_exec("trig_regenerate", sql, 4, kr.p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (PQgetisnull(res, 0, 0)) {
		disabled(r);
		goto out;
	}
	revoked = strcmp(PQgetvalue(res, 0, 0), "0") != 0;
	answer_info(r, kr.id, json_pack("{s:b}", "previous_key_revoked",
	    revoked));
out:
	PQclear(res);
	keyreq_free(&kr);
}

void
key_list(struct req *r)
{
	static const char sql[] =
	    "SELECT hookpost.trigger_webhook_info($1)::text";
	char		 id[24];
	PGresult	*res;
	json_t		*j;

	if ((res = trigger_exec(r, id, sizeof(id), "trig_info", sql)) == NULL)
		return;
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
	struct keyreq	 kr;
	PGresult	*res = NULL;

	if (key_prepare(r, 1, &kr) == -1)
		goto out;
	if ((res = db_exec("trig_key_add", sql, 4, kr.p)) == NULL) {
		if (strcmp(db_last_sqlstate(), "P0001") == 0)
			resp_error(r, 409, "conflict", "A trigger has at most "
			    "10 active keys");
		else
			resp_db_conflict(r, "An active key labelled '%s' "
			    "exists", kr.p[1]);
		goto out;
	}
	if (PQgetisnull(res, 0, 0))
		disabled(r);
	else
		answer_row(r, 201, PQgetvalue(res, 0, 0));
out:
	PQclear(res);
	keyreq_free(&kr);
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
