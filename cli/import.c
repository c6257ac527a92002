/*
 * hookpost webhook import [--sync] [--dry-run | --check] FILE.yaml: seed
 * 004 "Configuring Auto-Triage" (webhook_config.yaml), so that the file
 * can be the configuration.
 *
 * All or nothing (issue 8).  The whole file is read and validated first:
 * any error (not YAML, not `sources: {NAME: {...}}`, an unknown key, a
 * bad value, an unset ${VAR}) is reported with file:line and nothing is
 * changed.  Then, straight to PostgreSQL like `hookpost db migrate`, one
 * transaction (lib/db.c db_tx_begin): the sources table is locked against
 * other writers, the playbooks named and the stored secrets compared are
 * checked, and only then is anything written; any failure rolls all of
 * it back.
 *
 * Without --sync the file's sources are created or updated and the
 * settings it leaves out are kept (the API's PUT).  With --sync the
 * registered sources become exactly the file's: settings left out take
 * their defaults, and sources it does not name are removed.  A secret is
 * compared with the stored one (opened, constant time) and sealed again
 * only when it differs, so importing the same file twice changes nothing,
 * not even secret_rotated_at; no secret is ever printed, except the one
 * generated for a new source that names none, shown once.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <yaml.h>

#include "cfg.h"
#include "crypt.h"
#include "db.h"
#include "util.h"
#include "cli.h"

#define IMPORT_MAX_FILE		(1024 * 1024)
#define IMPORT_MAX_SOURCES	1000

enum { OPT_SYNC = OPT_CMD, OPT_DRY_RUN, OPT_CHECK };

static const struct cli_cmd cmd_import = {
	"webhook import",
	"usage: hookpost webhook import [--sync] [--dry-run | --check] FILE.yaml\n"
	"Creates or updates the sources described in FILE (seed 004\n"
	"webhook_config.yaml), all or nothing:\n"
	"\n"
	"  sources:\n"
	"    email-gateway:\n"
	"      secret: \"${EMAIL_GATEWAY_SECRET}\"\n"
	"      auto_triage: true\n"
	"      playbook: phishing_triage\n"
	"      severity_mapping:\n"
	"        critical: critical\n"
	"\n"
	"Keys: secret, auto_triage, playbook, severity_mapping, format, mode,\n"
	"enabled.  ${NAME} in a value is replaced by the environment variable\n"
	"NAME; an unset one is an error.  Booleans: true, false, yes, no.\n"
	"Prints one line per source: created, updated (and what), unchanged\n"
	"or removed.  Any error changes nothing.\n"
	"\n"
	"  --sync      make the registered sources exactly the file's: remove\n"
	"              those it does not name, reset settings it leaves out\n"
	"              to their defaults (without it, they are kept)\n"
	"  --dry-run   print what would change, change nothing\n"
	"  --check     only read and validate FILE (no database); print the\n"
	"              sources as read, secrets hidden\n"
	"\n"
	"It writes to the database directly, as `hookpost db migrate` does:\n"
	"HOOKPOST_DATABASE_URL and HOOKPOST_SECRET_KEY_FILE (or the file named\n"
	"by HOOKPOST_CONFIG) must be the servers'.\n",
	1, 1, 0
};

enum import_act {
	IMPORT_UNCHANGED,
	IMPORT_CREATE,
	IMPORT_UPDATE
};

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
	char		*name;
	size_t		 line;		/* of its name */
	size_t		 playbook_line;
	json_t		*body;		/* NULL when it had an error */
	/* The plan, against the sources as they are. */
	enum import_act	 act;
	char		 changed[128];	/* the settings an update changes */
	const char	*p[COL__MAX];	/* the row as it will be */
	char		*sealed;
	char		*generated;	/* a new source's generated secret */
	char		*mapping;
};

struct import {
	const char		*file;
	yaml_document_t		*doc;
	struct import_source	*src;
	size_t			 nsrc;
	size_t			 nbad;	/* names dropped, sources with errors */
	PGresult		*cur;	/* the sources as they are */
	const char		**removed;	/* --sync: names in cur */
	size_t			 nremoved;
};

static size_t
node_line(const yaml_node_t *n)
{
	return n->start_mark.line + 1;
}

/* A scalar's text, or NULL for a mapping, a sequence or an embedded NUL. */
static const char *
node_scalar(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE ||
	    strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return NULL;
	return (const char *)n->data.scalar.value;
}

/* YAML's null: an empty or ~ or null plain scalar. */
static int
node_is_null(const yaml_node_t *n)
{
	const char	*s;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	s = (const char *)n->data.scalar.value;
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/*
 * libyaml keeps duplicate keys; a second "secret:" silently winning is
 * the kind of typo STYLE 11 refuses.  Returns 1 if pair i repeats a key.
 */
static int
key_repeated(yaml_document_t *doc, yaml_node_t *map, yaml_node_pair_t *pair)
{
	yaml_node_pair_t	*p;
	const char		*k, *pk;

	k = node_scalar(yaml_document_get_node(doc, pair->key));
	for (p = map->data.mapping.pairs.start; p < pair; p++) {
		pk = node_scalar(yaml_document_get_node(doc, p->key));
		if (k != NULL && pk != NULL && strcmp(k, pk) == 0)
			return 1;
	}
	return 0;
}

/*
 * seed 004's "${EMAIL_GATEWAY_SECRET}": ${NAME} becomes the value of the
 * environment variable NAME.  Returns a new string, or NULL after
 * reporting an unset variable or a malformed reference.
 */
static char *
expand_new(const struct import *im, const yaml_node_t *n, const char *src,
    const char *s)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*p, *end, *val;
	char		*var;

	for (p = s; *p != '\0'; p++) {
		if (p[0] != '$' || p[1] != '{') {
			buf_append(&b, p, 1);
			continue;
		}
		end = p + 2;
		while (*end == '_' || isalnum((unsigned char)*end))
			end++;
		if (*end != '}' || end == p + 2 ||
		    isdigit((unsigned char)p[2])) {
			cli_err("%s:%zu: source '%s': bad variable reference "
			    "(write ${NAME})", im->file, node_line(n), src);
			goto fail;
		}
		var = xstrndup(p + 2, (size_t)(end - p - 2));
		if ((val = getenv(var)) == NULL) {
			cli_err("%s:%zu: source '%s': environment variable %s "
			    "is not set", im->file, node_line(n), src, var);
			free(var);
			goto fail;
		}
		free(var);
		buf_append(&b, val, strlen(val));
		p = end;
	}
	if (b.data == NULL)
		buf_append(&b, "", 0);
	return b.data;
fail:
	buf_free(&b);
	return NULL;
}

static int
import_severity(struct import *im, const char *src, yaml_node_t *map,
    json_t *body)
{
	yaml_node_pair_t	*pair;
	yaml_node_t		*k, *v;
	const char		*ks, *vs;
	char			*from = NULL, *to = NULL, why[256];
	int			 rc = 0;

	if (map->type != YAML_MAPPING_NODE) {
		cli_err("%s:%zu: source '%s': severity_mapping must map source "
		    "severities to ours", im->file, node_line(map), src);
		return -1;
	}
	/* An explicit empty mapping clears it. */
	json_object_set_new(body, "severity_mapping", json_object());
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(im->doc, pair->key);
		v = yaml_document_get_node(im->doc, pair->value);
		if ((ks = node_scalar(k)) == NULL ||
		    (vs = node_scalar(v)) == NULL) {
			cli_err("%s:%zu: source '%s': severity_mapping entries "
			    "are `from: to` words", im->file, node_line(k), src);
			rc = -1;
			continue;
		}
		if ((from = expand_new(im, k, src, ks)) == NULL ||
		    (to = expand_new(im, v, src, vs)) == NULL)
			rc = -1;
		else if (source_severity_add(body, from, to, why,
		    sizeof(why)) == -1) {
			cli_err("%s:%zu: source '%s': %s", im->file,
			    node_line(k), src, why);
			rc = -1;
		}
		free(from);
		free(to);
		from = to = NULL;
	}
	return rc;
}

/*
 * One source's settings into a new body, or NULL after reporting why;
 * the line of its playbook, if any, in *playbook_line.
 */
static json_t *
import_source_new(struct import *im, const char *name, yaml_node_t *map,
    size_t *playbook_line)
{
	yaml_node_pair_t	*pair;
	yaml_node_t		*k, *v;
	const char		*ks, *vs;
	char			*val, why[256];
	json_t			*body;
	int			 ok = 1;

	body = json_object();
	if (node_is_null(map))
		return body;	/* `edr:` alone: every setting defaults */
	if (map->type != YAML_MAPPING_NODE) {
		cli_err("%s:%zu: source '%s': expected its settings (key: "
		    "value lines)", im->file, node_line(map), name);
		goto fail;
	}
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(im->doc, pair->key);
		v = yaml_document_get_node(im->doc, pair->value);
		if ((ks = node_scalar(k)) == NULL) {
			cli_err("%s:%zu: source '%s': a key must be a word",
			    im->file, node_line(k), name);
			ok = 0;
			continue;
		}
		if (key_repeated(im->doc, map, pair)) {
			cli_err("%s:%zu: source '%s': key '%s' given twice",
			    im->file, node_line(k), name, ks);
			ok = 0;
			continue;
		}
		if (strcmp(ks, "severity_mapping") == 0) {
			if (import_severity(im, name, v, body) == -1)
				ok = 0;
			continue;
		}
		if (strcmp(ks, "playbook") == 0)
			*playbook_line = node_line(v);
		if (!source_field_known(ks)) {
			cli_err("%s:%zu: source '%s': unknown key '%s' "
			    "(expected secret, auto_triage, playbook, "
			    "severity_mapping, format, mode or enabled)",
			    im->file, node_line(k), name, ks);
			ok = 0;
			continue;
		}
		if (node_is_null(v))
			val = NULL;
		else if ((vs = node_scalar(v)) == NULL) {
			cli_err("%s:%zu: source '%s': %s takes a single value",
			    im->file, node_line(v), name, ks);
			ok = 0;
			continue;
		} else if ((val = expand_new(im, v, name, vs)) == NULL) {
			ok = 0;
			continue;
		}
		if (source_field_set(body, ks, val, why, sizeof(why)) == -1) {
			cli_err("%s:%zu: source '%s': %s", im->file,
			    node_line(v), name, why);
			ok = 0;
		}
		free(val);
	}
	if (ok)
		return body;
fail:
	json_decref(body);
	return NULL;
}

/*
 * The shape around the sources.  Returns 0 with im->src filled (bodies
 * NULL for sources with errors, counted in im->nbad), or -1.
 */
static int
import_walk(struct import *im)
{
	yaml_node_t		*root, *sources = NULL, *k, *v;
	yaml_node_pair_t	*pair;
	const char		*ks;
	size_t			 n;

	if ((root = yaml_document_get_root_node(im->doc)) == NULL ||
	    node_is_null(root)) {
		cli_err("%s: empty file; expected `sources:`", im->file);
		return -1;
	}
	if (root->type != YAML_MAPPING_NODE) {
		cli_err("%s:%zu: expected `sources:` at the top", im->file,
		    node_line(root));
		return -1;
	}
	for (pair = root->data.mapping.pairs.start;
	    pair < root->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(im->doc, pair->key);
		ks = node_scalar(k);
		if (ks == NULL || strcmp(ks, "sources") != 0) {
			cli_err("%s:%zu: unknown key '%s' (expected sources)",
			    im->file, node_line(k), ks != NULL ? ks : "?");
			return -1;
		}
		if (sources != NULL) {
			cli_err("%s:%zu: key 'sources' given twice", im->file,
			    node_line(k));
			return -1;
		}
		sources = yaml_document_get_node(im->doc, pair->value);
	}
	if (sources == NULL || sources->type != YAML_MAPPING_NODE ||
	    sources->data.mapping.pairs.top ==
	    sources->data.mapping.pairs.start) {
		cli_err("%s:%zu: `sources:` must list at least one source",
		    im->file, sources != NULL ? node_line(sources) :
		    node_line(root));
		return -1;
	}
	n = (size_t)(sources->data.mapping.pairs.top -
	    sources->data.mapping.pairs.start);
	if (n > IMPORT_MAX_SOURCES) {
		cli_err("%s: more than %d sources", im->file,
		    IMPORT_MAX_SOURCES);
		return -1;
	}
	im->src = xcalloc(n, sizeof(*im->src));
	for (pair = sources->data.mapping.pairs.start;
	    pair < sources->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(im->doc, pair->key);
		v = yaml_document_get_node(im->doc, pair->value);
		ks = node_scalar(k);
		if (ks == NULL || !name_valid(ks)) {
			cli_err("%s:%zu: '%s' is not a valid source name (a-z, "
			    "0-9, '.', '_', '-'; at most 64)", im->file,
			    node_line(k), ks != NULL ? ks : "?");
			im->nbad++;
			continue;
		}
		if (key_repeated(im->doc, sources, pair)) {
			cli_err("%s:%zu: source '%s' given twice", im->file,
			    node_line(k), ks);
			im->nbad++;
			continue;
		}
		im->src[im->nsrc].name = xstrdup(ks);
		im->src[im->nsrc].line = node_line(k);
		if ((im->src[im->nsrc].body = import_source_new(im, ks, v,
		    &im->src[im->nsrc].playbook_line)) == NULL)
			im->nbad++;
		im->nsrc++;
	}
	return 0;
}

static int
import_opt(void *ctx, int ch, char *arg)
{
	int	*flags = ctx;

	switch (ch) {
	case OPT_SYNC:
	case OPT_DRY_RUN:
	case OPT_CHECK:
		flags[ch - OPT_SYNC] = 1;
		return 0;
	}
	return 1;
}

/* --check: the sources as read, a secret only said to be there. */
static void
import_print_check(const struct import *im)
{
	json_t	*shown;
	char	*text;
	size_t	 i;

	for (i = 0; i < im->nsrc; i++) {
		shown = json_deep_copy(im->src[i].body);
		if (json_object_get(shown, "secret") != NULL)
			json_object_set_new(shown, "secret",
			    json_string("(hidden)"));
		text = json_dumps(shown, JSON_COMPACT);
		printf("%s %s\n", im->src[i].name, text != NULL ? text : "?");
		free(text);
		json_decref(shown);
	}
}

#define IMPORT_SQL_SOURCES \
	"SELECT name, secret_enc, auto_triage, playbook," \
	" severity_mapping::text, format, mode, enabled" \
	" FROM hookpost.sources ORDER BY name"

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

/* Notes that the update changes setting key (for its line of output). */
static void
import_changed(struct import_source *s, const char *key)
{
	size_t	 n;

	n = strlen(s->changed);
	snprintf(s->changed + n, sizeof(s->changed) - n, "%s%s",
	    n > 0 ? ", " : "", key);
}

/*
 * A setting as it will be: the file's value ("t"/"f" for a boolean, NULL
 * for null), else the default dflt (a new source, or --sync), else the
 * value the row has.  Notes in s->changed a value that differs from the
 * row's.
 */
static void
import_setting(struct import *im, struct import_source *s, int row, int sync,
    enum import_col col, const char *key, const char *dflt)
{
	json_t		*v;
	const char	*want, *have;

	v = json_object_get(s->body, key);
	if (json_is_boolean(v))
		want = json_is_true(v) ? "t" : "f";
	else if (v != NULL)
		want = json_string_value(v);	/* NULL for null */
	else if (row == -1 || sync)
		want = dflt;
	else
		want = db_get(im->cur, row, col);
	s->p[col] = want;
	if (row == -1)
		return;
	have = db_get(im->cur, row, col);
	if (!str_same(want, have))
		import_changed(s, key);
}

/* The severity mapping as it will be, compared as JSON (jsonb has its own
 * key order). */
static void
import_mapping(struct import *im, struct import_source *s, int row, int sync)
{
	json_t	*v, *have;

	v = json_object_get(s->body, "severity_mapping");
	if (v != NULL)
		s->mapping = json_dumps(v, JSON_COMPACT);
	else if (row == -1 || sync)
		s->mapping = xstrdup("{}");
	else
		s->mapping = xstrdup(PQgetvalue(im->cur, row, COL_MAPPING));
	s->p[COL_MAPPING] = s->mapping;
	if (row == -1)
		return;
	v = json_loads(s->mapping, 0, NULL);
	have = json_loads(PQgetvalue(im->cur, row, COL_MAPPING), 0, NULL);
	if (!json_equal(v, have))
		import_changed(s, "severity_mapping");
	json_decref(v);
	json_decref(have);
}

/*
 * The secret as it will be: a new source's (the file's, or a generated
 * one), or the file's when it differs from the one stored, sealed; NULL
 * keeps the stored one.  The stored one is opened to compare in
 * constant time, never printed.  Returns 0, or -1 after saying why.
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
			cli_err("no randomness for a generated secret");
			goto out;
		}
	} else if (given != NULL) {
		if ((stored = crypt_secret_open(PQgetvalue(im->cur, row,
		    COL_SECRET))) == NULL) {
			cli_err("%s:%zu: source '%s': its stored secret does "
			    "not open with this HOOKPOST_SECRET_KEY_FILE (is it "
			    "the servers'?)", im->file, s->line, s->name);
			goto out;
		}
		same = strlen(stored) == strlen(given) &&
		    CRYPTO_memcmp(stored, given, strlen(given)) == 0;
		if (same)
			given = NULL;
		else
			import_changed(s, "secret");
	}
	if (given != NULL && (s->sealed = crypt_secret_seal(given)) == NULL) {
		cli_err("secrets cannot be sealed: HOOKPOST_SECRET_KEY_FILE");
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
 * commit (FOR KEY SHARE).  Returns 0, -1 after saying why, or -2 when
 * the database failed (logged).
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
	    strstr(s->changed, "playbook") == NULL))
		return 0;
	if ((res = db_exec("import_playbook", sql, 1,
	    &s->p[COL_PLAYBOOK])) == NULL)
		return -2;
	found = PQntuples(res) == 1;
	PQclear(res);
	if (!found)
		cli_err("%s:%zu: source '%s': playbook '%s' does not exist",
		    im->file, s->playbook_line, s->name, s->p[COL_PLAYBOOK]);
	return found ? 0 : -1;
}

/*
 * Decides what each source becomes, and with --sync which go, before
 * anything is written.  Returns 0, or -1 after reporting every reason.
 */
static int
import_plan(struct import *im, int sync)
{
	struct import_source	*s;
	const char		*name;
	size_t			 i;
	int			 row, rc = 0;

	for (i = 0; i < im->nsrc; i++) {
		s = &im->src[i];
		row = import_row(im, s->name);
		s->p[COL_NAME] = s->name;
		/* The defaults of hookpost.sources (sql/001_init.sql). */
		import_setting(im, s, row, sync, COL_AUTO_TRIAGE, "auto_triage",
		    "f");
		import_setting(im, s, row, sync, COL_PLAYBOOK, "playbook", NULL);
		import_mapping(im, s, row, sync);
		import_setting(im, s, row, sync, COL_FORMAT, "format", "auto");
		import_setting(im, s, row, sync, COL_MODE, "mode", "sync");
		import_setting(im, s, row, sync, COL_ENABLED, "enabled", "t");
		if (import_secret(im, s, row) == -1) {
			rc = -1;
			continue;
		}
		s->act = row == -1 ? IMPORT_CREATE : s->changed[0] != '\0' ?
		    IMPORT_UPDATE : IMPORT_UNCHANGED;
		switch (import_playbook(im, s)) {
		case -2:
			return -1;
		case -1:
			rc = -1;
		}
	}
	if (!sync)
		return rc;
	im->removed = xcalloc((size_t)PQntuples(im->cur) + 1,
	    sizeof(*im->removed));
	for (row = 0; row < PQntuples(im->cur); row++) {
		name = PQgetvalue(im->cur, row, 0);
		for (i = 0; i < im->nsrc; i++)
			if (strcmp(im->src[i].name, name) == 0)
				break;
		if (i == im->nsrc)
			im->removed[im->nremoved++] = name;
	}
	return rc;
}

/* Writes the plan: 0, or -1 (the database said why). */
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
			return -1;
		PQclear(res);
	}
	for (i = 0; i < im->nremoved; i++) {
		if ((res = db_exec("import_remove", sql_remove, 1,
		    &im->removed[i])) == NULL)
			return -1;
		PQclear(res);
	}
	return 0;
}

/*
 * One transaction: lock, read, plan, write, commit (or roll back for
 * --dry-run).  Returns 0; -1 with nothing changed; or -2 when the
 * connection broke during the COMMIT, which may or may not have
 * happened.
 */
static int
import_apply(struct import *im, int sync, int dry_run)
{
	int	 rc = -1;

	if (cfg_load() == -1 || db_tx_begin() == -1)
		goto out;
	/*
	 * Against other imports and the API's writes, until the commit;
	 * the receivers only read, and SHARE ROW EXCLUSIVE lets them.
	 */
	if (db_command("LOCK TABLE hookpost.sources IN SHARE ROW EXCLUSIVE "
	    "MODE") == -1)
		goto out;
	if ((im->cur = db_exec("import_sources", IMPORT_SQL_SOURCES, 0,
	    NULL)) == NULL)
		goto out;
	if (import_plan(im, sync) == -1 || import_write(im) == -1)
		goto out;
	if (dry_run)
		db_tx_abort();
	else if (db_tx_commit() == -1) {
		/* A COMMIT refused leaves the connection as it was. */
		if (db_current() == NULL ||
		    PQstatus(db_current()) != CONNECTION_OK)
			rc = -2;
		goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		db_tx_abort();
	db_close();
	return rc;
}

/* What was done, one line a source; a generated secret shown once. */
static void
import_report(const struct import *im, int dry_run)
{
	const struct import_source	*s;
	size_t				 i;

	for (i = 0; i < im->nsrc; i++) {
		s = &im->src[i];
		if (s->act == IMPORT_CREATE)
			printf("created %s\n", s->name);
		else if (s->act == IMPORT_UPDATE)
			printf("updated %s (%s)\n", s->name, s->changed);
		else
			printf("unchanged %s\n", s->name);
	}
	for (i = 0; i < im->nremoved; i++)
		printf("removed %s\n", im->removed[i]);
	if (dry_run) {
		fprintf(stderr, "dry run: nothing was changed\n");
		return;
	}
	for (i = 0; i < im->nsrc; i++) {
		s = &im->src[i];
		if (s->generated == NULL)
			continue;
		printf("secret %s ", s->name);
		cli_fput_safe(stdout, s->generated, 0);
		fputc('\n', stdout);
		cli_warn("the secret of source '%s' is shown only this once; "
		    "store it now", s->name);
	}
}

int
cmd_webhook_import(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "sync", no_argument, NULL, OPT_SYNC },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ NULL, 0, NULL, 0 }
	};
	struct import	 im;
	yaml_document_t	 doc;
	char		**pos = NULL, *data = NULL;
	size_t		 len, i;
	/* --sync, --dry-run, --check */
	int		 flags[3] = { 0, 0, 0 };
	int		 npos, loaded = 0, status = 1;

	memset(&im, 0, sizeof(im));
	if (cli_getopt(cli, &cmd_import, argc, argv, opts, import_opt,
	    flags, &pos, &npos, &status) == -1)
		goto out;
	if (flags[2] && (flags[0] || flags[1])) {
		status = cli_usage_error(&cmd_import, "--check reads only the "
		    "file: it takes neither --sync nor --dry-run");
		goto out;
	}
	status = 1;
	im.file = pos[0];
	im.doc = &doc;
	if (cli_read_file(im.file, IMPORT_MAX_FILE, &data, &len) == -1)
		goto out;
	if (cli_yaml_load(im.file, data, len, im.doc) == -1)
		goto fail;
	loaded = 1;
	if (import_walk(&im) == -1 || im.nbad > 0)
		goto fail;
	if (flags[2]) {
		import_print_check(&im);
		status = 0;
		goto out;
	}
	switch (import_apply(&im, flags[0], flags[1])) {
	case -1:
		goto fail;
	case -2:
		cli_err("%s: the connection broke during the commit, which "
		    "may or may not have happened: import again to see",
		    im.file);
		goto out;
	}
	import_report(&im, flags[1]);
	status = 0;
	goto out;
fail:
	cli_err("%s: nothing was imported", im.file);
out:
	for (i = 0; i < im.nsrc; i++) {
		free(im.src[i].name);
		json_decref(im.src[i].body);
		free(im.src[i].sealed);
		free(im.src[i].mapping);
		crypt_secret_free(im.src[i].generated);
	}
	free(im.src);
	free(im.removed);
	PQclear(im.cur);
	if (loaded)
		yaml_document_delete(&doc);
	free(data);
	free(pos);
	return status;
}
