/*
 * hookpost pack import FILE.yaml...: the triggers packs declare (seed 002
 * "Pack Definition") through POST /api/v1/packs/import, all files in one
 * request, so all or nothing: one bad trigger and none is loaded.
 *
 * A file is a trigger, as the seed's packs/github/triggers/push.yaml:
 *
 *   name: push
 *   ref: github.push
 *   description: "Triggered when code is pushed to a repository"
 *   type: webhook
 *   payload_schema: {...}
 *
 * or a pack of them: `ref` (or `name`: the pack's, github), `label`,
 * `description`, `version`, `author`, and `triggers:`, a list of such
 * triggers, where a trigger without a ref gets PACK.NAME.  Reading the
 * YAML and the file's shape is done here; what a trigger may say is the
 * server's to check (handlers/triggers/settings.c), and its errors name
 * the trigger, which this maps back to FILE:LINE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "util.h"
#include "cli.h"

#define PACK_MAX_FILE		(1024 * 1024)
#define PACK_MAX_TRIGGERS	200	/* the server's (handlers/triggers/pack.c) */
#define PACK_PATH		"/api/v1/packs/import"

enum { OPT_OWNER = OPT_CMD, OPT_DRY_RUN };

static const struct cli_cmd cmd_import = {
	"pack import",
	"usage: hookpost pack import FILE.yaml... [--owner OWNER] [--json]\n"
	"                            [--config FILE]\n"
	"Creates or updates the triggers the files declare (seed 002 \"Pack\n"
	"Definition\"), all in one transaction: if any trigger is wrong, none\n"
	"is loaded.  Importing the same files again changes nothing, and says\n"
	"so; a trigger already there takes what its file gives (description,\n"
	"payload_schema, payload_mapping, preset) and keeps the rest, its\n"
	"webhook and key included.\n"
	"\n"
	"A file is one trigger:\n"
	"\n"
	"  name: push\n"
	"  ref: github.push\n"
	"  description: \"Triggered when code is pushed to a repository\"\n"
	"  type: webhook\n"
	"  payload_schema:\n"
	"    type: object\n"
	"\n"
	"or a pack: ref: github (the pack), label, description, version,\n"
	"author, and triggers: a list of triggers; one without a ref gets\n"
	"PACK.NAME (github.push).\n"
	"\n"
	"  --owner OWNER  who owns the triggers it creates (admin; a user's\n"
	"                 are its own)\n"
	"  --json         print the server's JSON\n"
	"  --config FILE  CLI config file (url=, token=)\n",
	1, -1, CMD_API
};

/* Where each trigger came from, to name it in the server's errors. */
struct origin {
	const char	*file;
	size_t		 line;
};

struct pack_args {
	const char	*owner;
	int		 dry_run;
};

struct pack_load {
	json_t		*triggers;	/* the request's list */
	struct origin	*from;		/* one per trigger */
	size_t		 nfrom;
};

static const char *const pack_keys[] = { "ref", "name", "label",
	"description", "version", "author", "triggers", NULL };

/*
 * Appends trigger node n (pack: the pack's name, or NULL) to pl.  0, or
 * -1 (reported).
 */
static int
trigger_add(struct pack_load *pl, const char *file, yaml_document_t *doc,
    yaml_node_t *n, const char *pack)
{
	json_t		*t;
	const char	*name;
	char		*ref;

	if (n->type != YAML_MAPPING_NODE) {
		cli_err("%s:%zu: a trigger is a mapping (name:, ref:, "
		    "description:, type:, payload_schema:)", file,
		    n->start_mark.line + 1);
		return -1;
	}
	if (pl->nfrom == PACK_MAX_TRIGGERS) {
		cli_err("%s:%zu: more than %d triggers in one import", file,
		    n->start_mark.line + 1, PACK_MAX_TRIGGERS);
		return -1;
	}
	if ((t = cli_yaml_json_new(file, doc, n)) == NULL)
		return -1;
	name = json_string_value(json_object_get(t, "name"));
	if (json_object_get(t, "ref") == NULL && pack != NULL && name != NULL) {
		ref = xasprintf("%s.%s", pack, name);
		json_object_set_new(t, "ref", json_string(ref));
		free(ref);
	}
	json_array_append_new(pl->triggers, t);
	pl->from = xrealloc(pl->from, (pl->nfrom + 1) * sizeof(*pl->from));
	pl->from[pl->nfrom].file = file;
	pl->from[pl->nfrom].line = n->start_mark.line + 1;
	pl->nfrom++;
	return 0;
}

/* A pack: its keys checked, its triggers added.  0, or -1 (reported). */
static int
pack_add(struct pack_load *pl, const char *file, yaml_document_t *doc,
    yaml_node_t *root)
{
	yaml_node_pair_t	*pair;
	yaml_node_t		*k, *v, *list = NULL;
	yaml_node_item_t	*it;
	const char		*ks, *pack = NULL;
	size_t			 i;

	for (pair = root->data.mapping.pairs.start;
	    pair < root->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(doc, pair->key);
		v = yaml_document_get_node(doc, pair->value);
		ks = cli_yaml_scalar(k);
		for (i = 0; ks != NULL && pack_keys[i] != NULL; i++)
			if (strcmp(ks, pack_keys[i]) == 0)
				break;
		if (ks == NULL || pack_keys[i] == NULL) {
			cli_err("%s:%zu: unknown key '%s' in a pack (expected "
			    "ref, name, label, description, version, author, "
			    "triggers)", file, k->start_mark.line + 1,
			    ks != NULL ? ks : "?");
			return -1;
		}
		if (strcmp(ks, "triggers") == 0)
			list = v;
		else if ((strcmp(ks, "ref") == 0 || (strcmp(ks, "name") == 0 &&
		    pack == NULL)) && (pack = cli_yaml_scalar(v)) == NULL) {
			cli_err("%s:%zu: the pack's %s is a word, as github",
			    file, v->start_mark.line + 1, ks);
			return -1;
		}
	}
	if (list == NULL || list->type != YAML_SEQUENCE_NODE ||
	    list->data.sequence.items.start == list->data.sequence.items.top) {
		cli_err("%s:%zu: `triggers:` must list at least one trigger",
		    file, (list != NULL ? list : root)->start_mark.line + 1);
		return -1;
	}
	for (it = list->data.sequence.items.start;
	    it < list->data.sequence.items.top; it++)
		if (trigger_add(pl, file, doc, yaml_document_get_node(doc, *it),
		    pack) == -1)
			return -1;
	return 0;
}

/* One file's triggers into pl.  0, or -1 (reported). */
static int
file_add(struct pack_load *pl, const char *file)
{
	yaml_document_t		 doc;
	yaml_node_t		*root;
	yaml_node_pair_t	*pair;
	const char		*ks;
	char			*data = NULL;
	size_t			 len;
	int			 rc = -1, loaded = 0, is_pack = 0;

	if (cli_read_file(file, PACK_MAX_FILE, &data, &len) == -1 ||
	    cli_yaml_load(file, data, len, &doc) == -1)
		goto out;
	loaded = 1;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || (root->type == YAML_SCALAR_NODE &&
	    root->data.scalar.length == 0)) {
		cli_err("%s: empty file; expected a trigger (ref: ...) or a "
		    "pack (triggers: ...)", file);
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		cli_err("%s:%zu: expected a trigger (ref: ...) or a pack "
		    "(triggers: ...) at the top", file,
		    root->start_mark.line + 1);
		goto out;
	}
	for (pair = root->data.mapping.pairs.start;
	    pair < root->data.mapping.pairs.top; pair++) {
		ks = cli_yaml_scalar(yaml_document_get_node(&doc, pair->key));
		if (ks != NULL && strcmp(ks, "triggers") == 0)
			is_pack = 1;
	}
	rc = is_pack ? pack_add(pl, file, &doc, root) :
	    trigger_add(pl, file, &doc, root, NULL);
out:
	if (loaded)
		yaml_document_delete(&doc);
	/* The origins keep file, argv's; the document's text is copied. */
	free(data);
	return rc;
}

/*
 * The server's error, with FILE:LINE of the trigger it names
 * ("triggers[2] (github.push): ...") in front.
 */
static void
error_print(const struct pack_load *pl, const struct cli_resp *resp)
{
	json_t		*root;
	const char	*msg;
	char		 where[512];
	unsigned long	 i;

	root = json_loadb(resp->body, resp->len, 0, NULL);
	msg = json_string_value(json_object_get(json_object_get(root,
	    "error"), "message"));
	if (msg != NULL && strncmp(msg, "triggers[", 9) == 0 &&
	    (i = strtoul(msg + 9, NULL, 10)) < pl->nfrom) {
		snprintf(where, sizeof(where), "%s:%zu", pl->from[i].file,
		    pl->from[i].line);
		cli_api_error(resp, where);
	} else
		cli_api_error(resp, NULL);
	json_decref(root);
}

/* "created github.push" for each, then what changed in all. */
static void
result_print(json_t *data)
{
	json_t		*t;
	size_t		 i;
	json_int_t	 created, updated, unchanged;

	json_array_foreach(json_object_get(data, "triggers"), i, t) {
		cli_fput_safe(stdout, cli_json_str(t, "action"), 0);
		fputc(' ', stdout);
		cli_fput_safe(stdout, cli_json_str(t, "ref"), 0);
		fputc('\n', stdout);
	}
	created = json_integer_value(json_object_get(data, "created"));
	updated = json_integer_value(json_object_get(data, "updated"));
	unchanged = json_integer_value(json_object_get(data, "unchanged"));
	if (created + updated == 0)
		printf("nothing changed: %lld trigger%s already as "
		    "declared\n", (long long)unchanged, unchanged == 1 ? "" :
		    "s");
	else
		printf("%lld created, %lld updated, %lld unchanged\n",
		    (long long)created, (long long)updated,
		    (long long)unchanged);
}

static int
import_opt(void *ctx, int ch, char *arg)
{
	struct pack_args	*a = ctx;

	switch (ch) {
	case OPT_OWNER:
		a->owner = arg;
		return 0;
	case OPT_DRY_RUN:
		a->dry_run = 1;
		return 0;
	}
	return 1;
}

/*
 * --dry-run (not in the usage: for tests) prints the request instead and
 * needs no server.
 */
static int
pack_import(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "owner",   required_argument, NULL, OPT_OWNER },
		{ "dry-run", no_argument,	NULL, OPT_DRY_RUN },
		{ NULL, 0, NULL, 0 }
	};
	struct pack_args	 a = { NULL, 0 };
	struct pack_load	 pl = { NULL, NULL, 0 };
	struct cli_resp		 resp = { 0, NULL, 0, NULL };
	json_t			*body = NULL, *j = NULL;
	char			**pos = NULL, *text = NULL;
	int			 npos, i, status = 1;

	if (cli_getopt(cli, &cmd_import, argc, argv, opts, import_opt, &a,
	    &pos, &npos, &status) == -1)
		goto out;
	status = 1;
	if (!a.dry_run && cli_http_setup(cli) == -1)
		goto out;
	pl.triggers = json_array();
	for (i = 0; i < npos; i++)
		if (file_add(&pl, pos[i]) == -1)
			goto out;
	body = json_pack("{s:O}", "triggers", pl.triggers);
	if (a.owner != NULL)
		json_object_set_new(body, "owner_id", json_string(a.owner));
	if ((text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL) {
		cli_err("out of memory");
		goto out;
	}
	if (a.dry_run) {
		printf("POST %s %s\n", PACK_PATH, text);
		status = 0;
		goto out;
	}
	if (cli_http(cli, "POST", PACK_PATH, text, strlen(text), NULL, 1,
	    &resp) == -1)
		goto out;
	if (resp.status != 200) {
		error_print(&pl, &resp);
		goto out;
	}
	if (cli->json)
		cli_resp_print_raw(&resp);
	else if ((j = json_loadb(resp.body, resp.len, 0, NULL)) != NULL)
		result_print(json_object_get(j, "data"));
	else {
		cli_err("POST %s: the response is not JSON", PACK_PATH);
		goto out;
	}
	status = 0;
out:
	cli_resp_free(&resp);
	json_decref(j);
	json_decref(body);
	json_decref(pl.triggers);
	free(pl.from);
	free(text);
	free(pos);
	return status;
}

const struct cli_sub pack_cmds[] = {
	{ "import", pack_import, "load the triggers packs declare" },
	{ NULL, NULL, NULL }
};
