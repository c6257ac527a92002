/*
 * hookpost webhook import FILE.yaml: seed 004 "Configuring Auto-Triage"
 * (webhook_config.yaml).  Every source becomes PUT /api/webhooks/NAME,
 * an upsert, so importing the same file again updates in place.
 *
 * A file that is not YAML, or not shaped as `sources: {NAME: {...}}`,
 * imports nothing.  A source with an error (unknown key, bad value, unset
 * ${VAR}) is reported with file:line and skipped; the others go ahead and
 * the exit status is 1.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "util.h"
#include "cli.h"

#define IMPORT_MAX_FILE		(1024 * 1024)
#define IMPORT_MAX_SOURCES	1000

enum { OPT_DRY_RUN = OPT_CMD };

static const struct cli_cmd cmd_import = {
	"webhook import",
	"usage: hookpost webhook import FILE.yaml [--config FILE]\n"
	"Creates or updates the sources described in FILE (seed 004\n"
	"webhook_config.yaml):\n"
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
	"NAME; an unset one is an error.  Booleans: true, false, yes, no.\n",
	1, 1, CMD_CONFIG
};

struct import_source {
	char	*name;
	json_t	*body;		/* NULL when it had an error */
};

struct import {
	const char		*file;
	yaml_document_t		*doc;
	struct import_source	*src;
	size_t			 nsrc;
	size_t			 ndropped; /* bad or repeated names */
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

/* One source's settings into a new body, or NULL after reporting why. */
static json_t *
import_source_new(struct import *im, const char *name, yaml_node_t *map)
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
 * NULL for sources with errors), or -1 when nothing can be imported.
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
			im->ndropped++;
			continue;
		}
		if (key_repeated(im->doc, sources, pair)) {
			cli_err("%s:%zu: source '%s' given twice", im->file,
			    node_line(k), ks);
			im->ndropped++;
			continue;
		}
		im->src[im->nsrc].name = xstrdup(ks);
		im->src[im->nsrc].body = import_source_new(im, ks, v);
		im->nsrc++;
	}
	return 0;
}

static int
import_opt(void *ctx, int ch, char *arg)
{
	int	*dry_run = ctx;

	if (ch != OPT_DRY_RUN)
		return 1;
	*dry_run = 1;
	return 0;
}

/*
 * PUT each good source.  --dry-run (not in the usage: for tests) prints
 * the requests instead and needs no server.
 */
static int
import_send(struct cli *cli, struct import *im, int dry_run)
{
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	struct buf	 path;
	const char	*secret;
	char		*text;
	size_t		 i;
	int		 rc = 0;

	for (i = 0; i < im->nsrc; i++) {
		if (im->src[i].body == NULL) {
			rc = -1;
			continue;
		}
		memset(&path, 0, sizeof(path));
		buf_append(&path, "/api/webhooks/", 14);
		cli_url_escape(&path, im->src[i].name);
		if (dry_run) {
			text = json_dumps(im->src[i].body, JSON_COMPACT);
			printf("PUT %s %s\n", path.data, text ? text : "?");
			free(text);
		} else if (cli_api(cli, "PUT", path.data, im->src[i].body,
		    im->src[i].name, &resp) == -1)
			rc = -1;
		else {
			printf("%s %s\n", resp.status == 201 ? "created" :
			    "updated", im->src[i].name);
			/* A new source without a secret got a generated one. */
			secret = cli_json_str(resp.json, "secret");
			if (secret != NULL) {
				printf("secret %s ", im->src[i].name);
				cli_fput_safe(stdout, secret, 0);
				fputc('\n', stdout);
				cli_warn("the secret of source '%s' is shown "
				    "only this once; store it now",
				    im->src[i].name);
			}
			cli_resp_free(&resp);
		}
		buf_free(&path);
	}
	return rc;
}

int
cmd_webhook_import(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ NULL, 0, NULL, 0 }
	};
	struct import	 im = { NULL, NULL, NULL, 0, 0 };
	yaml_document_t	 doc;
	char		**pos = NULL, *data = NULL;
	size_t		 len, i;
	int		 npos, dry_run = 0, loaded = 0, status = 1;

	if (cli_getopt(cli, &cmd_import, argc, argv, opts, import_opt,
	    &dry_run, &pos, &npos, &status) == -1)
		goto out;
	status = 1;
	im.file = pos[0];
	im.doc = &doc;
	if (!dry_run && cli_http_setup(cli) == -1)
		goto out;
	if (cli_read_file(im.file, IMPORT_MAX_FILE, &data, &len) == -1)
		goto out;
	if (cli_yaml_load(im.file, data, len, im.doc) == -1)
		goto out;
	loaded = 1;
	if (import_walk(&im) == -1)
		goto out;
	if (import_send(cli, &im, dry_run) == -1 || im.ndropped > 0)
		goto out;
	status = 0;
out:
	for (i = 0; i < im.nsrc; i++) {
		free(im.src[i].name);
		json_decref(im.src[i].body);
	}
	free(im.src);
	if (loaded)
		yaml_document_delete(&doc);
	free(data);
	free(pos);
	return status;
}
