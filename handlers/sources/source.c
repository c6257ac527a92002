/*
 * Source management (admin, seed 004): /api/webhooks[/:source] and
 * POST /api/webhooks/:source/sign.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "crypt.h"
#include "db.h"
#include "normalize.h"
#include "page.h"
#include "req.h"
#include "sig.h"
#include "util.h"
#include "valid.h"
#include "sources.h"

static const char *const modes[] = { "sync", "queue", NULL };

/*
 * A source's settings, then the two keys only register and PUT take:
 * the import (import.c) checks the first SOURCE_NSETTINGS.
 */
#define SOURCE_NSETTINGS	7
static const struct vfield source_fields[] = {
	{ "secret", V_STRING, 0, 8, 512, NULL, 0 },
	{ "auto_triage", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "playbook", V_NAME, 0, 0, 0, NULL, 1 },
	{ "severity_mapping", V_OBJECT, 0, 0, 0, NULL, 0 },
	{ "format", V_ENUM, 0, 0, 0, normalize_format_names, 0 },
	{ "mode", V_ENUM, 0, 0, 0, modes, 0 },
	{ "enabled", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "source", V_NAME, 0, 0, 0, NULL, 0 },
	{ "rotate_secret", V_BOOL, 0, 0, 0, NULL, 0 },
};

/* The severity mapping of a checked body, if any: 0, or -1 after 400. */
static int
source_mapping_valid(struct req *r, const char *at, const json_t *body)
{
	const json_t	*v;
	char		 err[256];

	v = json_object_get(body, "severity_mapping");
	if (v != NULL && severity_mapping_valid(v, err, sizeof(err)) == -1) {
		resp_error(r, 400, "invalid_field", "%sseverity_mapping: %s",
		    at, err);
		return -1;
	}
	return 0;
}

int
source_settings_valid(struct req *r, const char *at, const json_t *obj)
{
	if (valid_object_at(r, at, obj, source_fields, SOURCE_NSETTINGS) == -1)
		return -1;
	return source_mapping_valid(r, at, obj);
}

#define SOURCE_JSON \
	"json_build_object('source', s.name, 'auto_triage', s.auto_triage," \
	" 'playbook', s.playbook, 'severity_mapping', s.severity_mapping," \
	" 'format', s.format, 'mode', s.mode, 'enabled', s.enabled," \
	" 'secret_rotated_at', s.secret_rotated_at," \
	" 'created_at', s.created_at, 'updated_at', s.updated_at)"

/*
 * POST /api/webhooks (create) and PUT /api/webhooks/:source (upsert: the
 * YAML import's "importing again updates in place").  One statement.
 */
void
source_write(struct req *r, int is_put)
{
	static const char sql[] =
	    "INSERT INTO hookpost.sources AS s (name, secret_enc, auto_triage,"
	    "  playbook, severity_mapping, format, mode, enabled)"
	    " VALUES ($1, $2, coalesce($3::boolean, false), $4,"
	    "  coalesce($5::jsonb, '{}'), coalesce($6, 'auto'),"
	    "  coalesce($7, 'sync'), coalesce($8::boolean, true))"
	    " ON CONFLICT (name) DO UPDATE SET"
	    "  secret_enc = coalesce($9, s.secret_enc),"
	    "  secret_rotated_at = CASE WHEN $9 IS NULL THEN s.secret_rotated_at"
	    "   ELSE now() END,"
	    "  auto_triage = coalesce($3::boolean, s.auto_triage),"
	    "  playbook = CASE WHEN $10 THEN $4 ELSE s.playbook END,"
	    "  severity_mapping = coalesce($5::jsonb, s.severity_mapping),"
	    "  format = coalesce($6, s.format), mode = coalesce($7, s.mode),"
	    "  enabled = coalesce($8::boolean, s.enabled), updated_at = now()"
	    " WHERE $11"
	    " RETURNING " SOURCE_JSON ", (xmax = 0) AS inserted";
	json_t		*body = NULL, *v;
	const char	*name, *given, *p[11];
	char		*secret = NULL, *sealed = NULL, *mapping = NULL;
	PGresult	*res = NULL;
	int		 generated, rotate, inserted;

	if ((body = valid_body_new(r, VFIELDS(source_fields))) == NULL)
		goto out;
	if (is_put) {
		name = r->params[0];
		if (!name_valid(name)) {
			resp_error(r, 400, "invalid_field", "Source name must "
			    "match [a-z0-9][a-z0-9._-]{0,63}");
			goto out;
		}
		v = json_object_get(body, "source");
		if (v != NULL && strcmp(json_string_value(v), name) != 0) {
			resp_error(r, 400, "invalid_field", "Field 'source' "
			    "differs from the name in the URL");
			goto out;
		}
	} else if ((name = json_string_value(json_object_get(body,
	    "source"))) == NULL) {
		resp_error(r, 400, "invalid_field", "Field 'source' is required");
		goto out;
	}
	if (source_mapping_valid(r, "", body) == -1)
		goto out;
	if ((v = json_object_get(body, "severity_mapping")) != NULL)
		mapping = json_dumps(v, JSON_COMPACT);
	given = json_string_value(json_object_get(body, "secret"));
	rotate = json_is_true(json_object_get(body, "rotate_secret"));
	if (given != NULL && rotate) {
		resp_error(r, 400, "invalid_field",
		    "Give 'secret' or 'rotate_secret', not both");
		goto out;
	}
	generated = given == NULL;
	secret = generated ? crypt_whsec_new() : xstrdup(given);
	if (secret == NULL) {
		resp_error(r, 500, "internal", "No randomness");
		goto out;
	}
	if ((sealed = crypt_secret_seal(secret)) == NULL) {
		resp_error(r, 503, "unavailable", "Secret storage unavailable "
		    "(HOOKPOST_SECRET_KEY_FILE)");
		goto out;
	}
	p[0] = name;
	p[1] = sealed;
	p[2] = valid_bool_param(body, "auto_triage");
	p[3] = json_string_value(json_object_get(body, "playbook"));
	p[4] = mapping;
	p[5] = json_string_value(json_object_get(body, "format"));
	p[6] = json_string_value(json_object_get(body, "mode"));
	p[7] = valid_bool_param(body, "enabled");
	p[8] = (given != NULL || rotate) ? sealed : NULL;
	p[9] = json_object_get(body, "playbook") != NULL ? "t" : "f";
	p[10] = is_put ? "t" : "f";
	if ((res = db_exec("source_write", sql, 11, p)) == NULL) {
		if (strcmp(db_last_sqlstate(), "23503") == 0)
			resp_error(r, 400, "invalid_field", "Playbook '%s' does "
			    "not exist", p[3] ? p[3] : "");
		else
			resp_error(r, 503, "unavailable", "Database unavailable");
		goto out;
	}
	if (PQntuples(res) == 0) {
		/* POST on an existing name: the WHERE $11 refused the update. */
		resp_error(r, 409, "conflict", "Webhook source '%s' already "
		    "exists", name);
		goto out;
	}
	inserted = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	resp_row_secret(r, inserted ? 201 : 200, PQgetvalue(res, 0, 0),
	    (inserted && generated) || (!inserted && rotate) ? secret : NULL);
out:
	PQclear(res);
	json_decref(body);
	free(mapping);
	free(sealed);
	crypt_secret_free(secret);
}

/*
 * GET /api/webhooks: by name, 50 a page, at most 200.  Its cursor is the
 * last name itself and its limit message its own, as they always were.
 */
const struct page_list source_list = {
	.name = "source_list",
	.sql = "SELECT " SOURCE_JSON ", s.name"
	    " FROM hookpost.sources s WHERE ($1::text IS NULL OR s.name > $1)"
	    " ORDER BY s.name LIMIT $2",
	.limit_default = 50,
	.limit_max = 200,
	.key = PAGE_KEY_RAW,
	.limit_error = "limit must be 1-200",
	.db_error_503 = 1,
};

/*
 * Runs sql, a statement over the name in the URL ($1).  Returns its
 * result, or NULL after answering 503, or 404 when it read (or deleted)
 * no row.
 */
static PGresult *
source_exec(struct req *r, const char *stmt, const char *sql)
{
	const char	*p[1];
	PGresult	*res;

	p[0] = r->params[0];
	if ((res = db_exec(stmt, sql, 1, p)) == NULL) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		return NULL;
	}
	if (strcmp(PQcmdTuples(res), "0") == 0) {
		resp_error(r, 404, "not_found", "Webhook source '%.64s' is not "
		    "registered", p[0]);
		PQclear(res);
		return NULL;
	}
	return res;
}

void
source_get(struct req *r)
{
	static const char sql[] = "SELECT " SOURCE_JSON
	    " FROM hookpost.sources s WHERE s.name = $1";
	PGresult	*res;

	if ((res = source_exec(r, "source_get", sql)) == NULL)
		return;
	resp_row_secret(r, 200, PQgetvalue(res, 0, 0), NULL);
	PQclear(res);
}

void
source_delete(struct req *r)
{
	static const char sql[] = "DELETE FROM hookpost.sources"
	    " WHERE name = $1";
	PGresult	*res;

	if ((res = source_exec(r, "source_delete", sql)) == NULL)
		return;
	resp_send(r, 204, "application/json", NULL, "", 0);
	PQclear(res);
}

/*
 * Signs a body with the stored secret so `hookpost webhook test` can send
 * a correctly signed event without the secret leaving the server.
 */
void
source_sign(struct req *r)
{
	static const char sql[] = "SELECT secret_enc FROM hookpost.sources"
	    " WHERE name = $1";
	PGresult	*res = NULL;
	json_t		*body = NULL;
	char		*secret = NULL, *compact = NULL, ts[24], hex[65];
	char		 sig[80];

	if ((body = req_json_object(r)) == NULL)
		goto out;
	if ((res = source_exec(r, "source_secret", sql)) == NULL)
		goto out;
	if ((secret = crypt_secret_open(PQgetvalue(res, 0, 0))) == NULL) {
		resp_error(r, 500, "internal", "Source secret unavailable");
		goto out;
	}
	compact = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	if (sig_hmac_sha256_ts_hex(secret, ts, compact, strlen(compact),
	    hex) == -1) {
		resp_error(r, 500, "internal", "Signing failed");
		goto out;
	}
	snprintf(sig, sizeof(sig), "sha256=%s", hex);
	resp_json(r, 200, json_pack("{s:s,s:s,s:s}", "timestamp", ts,
	    "signature", sig, "body", compact));
out:
	PQclear(res);
	json_decref(body);
	free(compact);
	crypt_secret_free(secret);
}
