/*
 * POST /api/webhooks/_import (admin, issue 8): many sources at once, all
 * or nothing, for `hookpost webhook import` (seed 004 webhook_config.yaml)
 * and any other client.  The path cannot be a source's receiver URL: a
 * source name never starts with '_'.
 *
 *   {"sources": {NAME: {settings as register takes them}, ...},
 *    "sync": false, "dry_run": false}
 *
 * Every source is checked first, by the rules of register and PUT
 * (source.c source_settings_valid); any error answers 400 naming the
 * source and the field, and nothing is changed.  Then one transaction
 * (lib/db.c db_tx_begin): the sources table is locked against other
 * writers, the current sources read, the plan made (the playbooks named
 * checked, each stored secret opened and compared in constant time),
 * and only then written; any failure rolls all of it back, and dry_run
 * rolls back what it wrote.
 *
 * Without sync the body's sources are created or updated and the
 * settings they leave out are kept (PUT's rule).  With sync the sources
 * become exactly the body's: settings left out take their defaults, and
 * sources it does not name are removed.  A secret is sealed again only
 * when it differs from the stored one, so the same import twice writes
 * nothing.  The answer is one result a source: created, updated (with
 * what changed), unchanged or removed; a secret generated for a new
 * source that names none is shown once, in its result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "crypt.h"
#include "db.h"
#include "req.h"
#include "util.h"
#include "valid.h"
#include "sources.h"

#define IMPORT_MAX_SOURCES	1000

static const struct vfield import_fields[] = {
	{ "sources", V_OBJECT, 1, 0, 0, NULL, 0 },
	{ "sync", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "dry_run", V_BOOL, 0, 0, 0, NULL, 0 },
};

enum import_act {
	IMPORT_UNCHANGED,
	IMPORT_CREATE,
	IMPORT_UPDATE
};

static const char *const import_acts[] = { "unchanged", "created", "updated" };

/* The columns the plan fills for a write, in the statements' order. */
enum import_col {
	COL_NAME,
	COL_SECRET,	/* a new secret_enc; NULL: keep */
	COL_AUTO_TRIAGE,
	COL_PLAYBOOK,
	COL_MAPPING,
	COL_FORMAT,
	COL_MODE,
	COL_ENABLED,
	COL__MAX
};

struct import_source {
	const char	*name;
	const json_t	*body;		/* borrowed from the request */
	/* The plan, against the sources as they are. */
	enum import_act	 act;
	json_t		*changed;	/* the settings an update changes */
	const char	*p[COL__MAX];	/* the row as it will be */
	char		*sealed;
	char		*generated;	/* a new source's generated secret */
	char		*mapping;
};

struct import {
	struct req		*r;
	const json_t		*sources;	/* the body's */
	struct import_source	*src;
	size_t			 nsrc;
	int			 sync, dry_run;
	PGresult		*cur;	/* the sources as they are */
	const char		**removed;	/* sync: names in cur */
	size_t			 nremoved;
};

/*
 * The body checked, im->src filled: 0, or -1 after answering 400.
 */
static int
import_check(struct import *im, const json_t *body)
{
	const json_t	*sources, *v;
	const char	*name;
	char		 at[96];

	im->sources = sources = json_object_get(body, "sources");
	if (json_object_size(sources) == 0 ||
	    json_object_size(sources) > IMPORT_MAX_SOURCES) {
		resp_error(im->r, 400, "invalid_field", "Field 'sources' must "
		    "name 1 to %d sources", IMPORT_MAX_SOURCES);
		return -1;
	}
	im->sync = json_is_true(json_object_get(body, "sync"));
	im->dry_run = json_is_true(json_object_get(body, "dry_run"));
	im->src = xcalloc(json_object_size(sources), sizeof(*im->src));
	json_object_foreach((json_t *)sources, name, v) {
		if (!name_valid(name)) {
			resp_error(im->r, 400, "invalid_field", "Source name "
			    "'%.64s' must match [a-z0-9][a-z0-9._-]{0,63}", name);
			return -1;
		}
		snprintf(at, sizeof(at), "sources.%s.", name);
		if (!json_is_object(v)) {
			resp_error(im->r, 400, "invalid_field", "Field "
			    "'sources.%s' must be an object of its settings",
			    name);
			return -1;
		}
		if (source_settings_valid(im->r, at, v) == -1)
			return -1;
		im->src[im->nsrc].name = name;
		im->src[im->nsrc].body = v;
		im->src[im->nsrc].changed = json_array();
		im->nsrc++;
	}
	return 0;
}

/* The row of the current sources named name, or -1. */
static int
import_row(const struct import *im, const char *name)
{
	int	 row;

	for (row = 0; row < PQntuples(im->cur); row++)
		if (strcmp(PQgetvalue(im->cur, row, 0), name) == 0)
			return row;
	return -1;
}

static int
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* 1 when the update changes setting key. */
static int
import_changes(const struct import_source *s, const char *key)
{
	size_t	 i;
	json_t	*v;

	json_array_foreach(s->changed, i, v)
		if (strcmp(json_string_value(v), key) == 0)
			return 1;
	return 0;
}

/*
 * A setting as it will be: the body's value ("t"/"f" for a boolean, NULL
 * for null), else the default dflt (a new source, or sync), else the
 * value the row has.  Notes in s->changed a value that differs from the
 * row's.
 */
static void
import_setting(struct import *im, struct import_source *s, int row,
    enum import_col col, const char *key, const char *dflt)
{
	json_t		*v;
	const char	*want;

	v = json_object_get(s->body, key);
	if (json_is_boolean(v))
		want = json_is_true(v) ? "t" : "f";
	else if (v != NULL)
		want = json_string_value(v);	/* NULL for null */
	else if (row == -1 || im->sync)
		want = dflt;
	else
		want = db_get(im->cur, row, col);
	s->p[col] = want;
	if (row != -1 && !str_same(want, db_get(im->cur, row, col)))
		json_array_append_new(s->changed, json_string(key));
}

/* The severity mapping as it will be, compared as JSON (jsonb has its own
 * key order). */
static void
import_mapping(struct import *im, struct import_source *s, int row)
{
	json_t	*v, *have;

	v = json_object_get(s->body, "severity_mapping");
	if (v != NULL)
		s->mapping = json_dumps(v, JSON_COMPACT);
	else if (row == -1 || im->sync)
		s->mapping = xstrdup("{}");
	else
		s->mapping = xstrdup(PQgetvalue(im->cur, row, COL_MAPPING));
	s->p[COL_MAPPING] = s->mapping;
	if (row == -1)
		return;
	v = json_loads(s->mapping, 0, NULL);
	have = json_loads(PQgetvalue(im->cur, row, COL_MAPPING), 0, NULL);
	if (!json_equal(v, have))
		json_array_append_new(s->changed, json_string("severity_mapping"));
	json_decref(v);
	json_decref(have);
}

/*
 * The secret as it will be: a new source's (the body's, or a generated
 * one), or the body's when it differs from the one stored, sealed; NULL
 * keeps the stored one.  The stored one is opened to compare in
 * constant time, never shown.  Returns 0, or -1 after answering.
 */
static int
import_secret(struct import *im, struct import_source *s, int row)
{
	const char	*given;
	char		*stored = NULL;
	int		 same, rc = -1;

	given = json_string_value(json_object_get(s->body, "secret"));
	if (row == -1) {
		if (given == NULL && (given = s->generated =
		    crypt_whsec_new()) == NULL) {
			resp_error(im->r, 500, "internal", "No randomness");
			goto out;
		}
	} else if (given != NULL) {
		if ((stored = crypt_secret_open(PQgetvalue(im->cur, row,
		    COL_SECRET))) == NULL) {
			resp_error(im->r, 500, "internal", "Source '%s': its "
			    "stored secret is unavailable", s->name);
			goto out;
		}
		same = strlen(stored) == strlen(given) &&
		    CRYPTO_memcmp(stored, given, strlen(given)) == 0;
		if (same)
			given = NULL;
		else
			json_array_append_new(s->changed, json_string("secret"));
	}
	if (given != NULL && (s->sealed = crypt_secret_seal(given)) == NULL) {
		resp_error(im->r, 503, "unavailable", "Secret storage "
		    "unavailable (HOOKPOST_SECRET_KEY_FILE)");
		goto out;
	}
	s->p[COL_SECRET] = s->sealed;
	rc = 0;
out:
	crypt_secret_free(stored);
	return rc;
}

/*
 * A playbook the import writes must exist, and keep existing until the
 * commit (FOR KEY SHARE).  Returns 0, or -1 after answering.
 */
static int
import_playbook(struct import *im, struct import_source *s)
{
	static const char sql[] = "SELECT 1 FROM hookpost.playbooks"
	    " WHERE name = $1 FOR KEY SHARE";
	PGresult	*res;
	int		 found;

	/* A row's own playbook exists: the foreign key says so. */
	if (s->p[COL_PLAYBOOK] == NULL || (s->act != IMPORT_CREATE &&
	    !import_changes(s, "playbook")))
		return 0;
	if ((res = db_exec("import_playbook", sql, 1,
	    &s->p[COL_PLAYBOOK])) == NULL) {
		resp_error(im->r, 503, "unavailable", "Database unavailable");
		return -1;
	}
	found = PQntuples(res) == 1;
	PQclear(res);
	if (!found)
		resp_error(im->r, 400, "invalid_field", "Field "
		    "'sources.%s.playbook': playbook '%s' does not exist",
		    s->name, s->p[COL_PLAYBOOK]);
	return found ? 0 : -1;
}

/*
 * Decides what each source becomes, and with sync which go, before
 * anything is written.  Returns 0, or -1 after answering.
 */
static int
import_plan(struct import *im)
{
	struct import_source	*s;
	const char		*name;
	size_t			 i;
	int			 row;

	for (i = 0; i < im->nsrc; i++) {
		s = &im->src[i];
		row = import_row(im, s->name);
		s->p[COL_NAME] = s->name;
		/* The defaults of hookpost.sources (sql/001_init.sql). */
		import_setting(im, s, row, COL_AUTO_TRIAGE, "auto_triage", "f");
		import_setting(im, s, row, COL_PLAYBOOK, "playbook", NULL);
		import_mapping(im, s, row);
		import_setting(im, s, row, COL_FORMAT, "format", "auto");
		import_setting(im, s, row, COL_MODE, "mode", "sync");
		import_setting(im, s, row, COL_ENABLED, "enabled", "t");
		if (import_secret(im, s, row) == -1)
			return -1;
		s->act = row == -1 ? IMPORT_CREATE :
		    json_array_size(s->changed) > 0 ? IMPORT_UPDATE :
		    IMPORT_UNCHANGED;
		if (import_playbook(im, s) == -1)
			return -1;
	}
	if (!im->sync)
		return 0;
	im->removed = xcalloc((size_t)PQntuples(im->cur) + 1,
	    sizeof(*im->removed));
	for (row = 0; row < PQntuples(im->cur); row++) {
		name = PQgetvalue(im->cur, row, 0);
		if (json_object_get(im->sources, name) == NULL)
			im->removed[im->nremoved++] = name;
	}
	return 0;
}

/* Writes the plan: 0, or -1 after answering. */
static int
import_write(struct import *im)
{
	static const char sql_create[] =
	    "INSERT INTO hookpost.sources (name, secret_enc, auto_triage,"
	    " playbook, severity_mapping, format, mode, enabled)"
	    " VALUES ($1, $2, $3::boolean, $4, $5::jsonb, $6, $7, $8::boolean)";
	static const char sql_update[] =
	    "UPDATE hookpost.sources SET"
	    " secret_enc = coalesce($2, secret_enc),"
	    " secret_rotated_at = CASE WHEN $2 IS NULL THEN secret_rotated_at"
	    "  ELSE now() END,"
	    " auto_triage = $3::boolean, playbook = $4,"
	    " severity_mapping = $5::jsonb, format = $6, mode = $7,"
	    " enabled = $8::boolean, updated_at = now()"
	    " WHERE name = $1";
	static const char sql_remove[] =
	    "DELETE FROM hookpost.sources WHERE name = $1";
	PGresult	*res;
	size_t		 i;

	for (i = 0; i < im->nsrc; i++) {
		if (im->src[i].act == IMPORT_UNCHANGED)
			continue;
		res = im->src[i].act == IMPORT_CREATE ?
		    db_exec("import_create", sql_create, COL__MAX,
		    im->src[i].p) :
		    db_exec("import_update", sql_update, COL__MAX,
		    im->src[i].p);
		if (res == NULL)
			goto fail;
		PQclear(res);
	}
	for (i = 0; i < im->nremoved; i++) {
		if ((res = db_exec("import_remove", sql_remove, 1,
		    &im->removed[i])) == NULL)
			goto fail;
		PQclear(res);
	}
	return 0;
fail:
	resp_db_error(im->r);
	return -1;
}

/* The answer: one result a source; a generated secret shown once. */
static void
import_answer(struct import *im)
{
	const struct import_source	*s;
	json_t				*results, *o;
	size_t				 i;

	results = json_array();
	for (i = 0; i < im->nsrc; i++) {
		s = &im->src[i];
		o = json_pack("{s:s,s:s,s:O}", "source", s->name, "action",
		    import_acts[s->act], "changed", s->changed);
		if (s->generated != NULL && !im->dry_run)
			json_object_set_new(o, "secret",
			    json_string(s->generated));
		json_array_append_new(results, o);
	}
	for (i = 0; i < im->nremoved; i++)
		json_array_append_new(results, json_pack("{s:s,s:s,s:[]}",
		    "source", im->removed[i], "action", "removed", "changed"));
	resp_json(im->r, 200, json_pack("{s:o,s:b}", "results", results,
	    "dry_run", im->dry_run));
}

void
source_import(struct req *r)
{
	struct import	 im;
	json_t		*body;
	size_t		 i;

	memset(&im, 0, sizeof(im));
	im.r = r;
	if ((body = valid_body_new(r, VFIELDS(import_fields))) == NULL)
		return;
	if (import_check(&im, body) == -1)
		goto out;
	if (db_tx_begin() == -1) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		goto out;
	}
	/*
	 * Against other imports and the API's writes, until the commit;
	 * the receivers only read, and SHARE ROW EXCLUSIVE lets them.
	 */
	if (db_command("LOCK TABLE hookpost.sources IN SHARE ROW EXCLUSIVE "
	    "MODE") == -1 || (im.cur = db_exec("import_sources",
	    "SELECT name, secret_enc, auto_triage, playbook,"
	    " severity_mapping::text, format, mode, enabled"
	    " FROM hookpost.sources ORDER BY name", 0, NULL)) == NULL) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		goto abort;
	}
	if (import_plan(&im) == -1 || import_write(&im) == -1)
		goto abort;
	if (im.dry_run)
		db_tx_abort();
	else if (db_tx_commit() == -1) {
		resp_error(r, 503, "unavailable", "Database unavailable while "
		    "committing: import again to see what is stored");
		goto abort;
	}
	import_answer(&im);
	goto out;
abort:
	db_tx_abort();
out:
	for (i = 0; i < im.nsrc; i++) {
		json_decref(im.src[i].changed);
		free(im.src[i].sealed);
		free(im.src[i].mapping);
		crypt_secret_free(im.src[i].generated);
	}
	free(im.src);
	free(im.removed);
	PQclear(im.cur);
	json_decref(body);
}
