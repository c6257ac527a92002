/*
 * hookpost playbook: the triage playbooks (seed 004 "Configuring
 * Auto-Triage") are data, listed, shown, put and removed over the admin
 * API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util.h"
#include "cli.h"

#define PLAYBOOK_MAX_FILE	(1024 * 1024)

static const struct cli_cmd cmd_pb_list = {
	"playbook list",
	"usage: hookpost playbook list [--limit N] [--cursor C] [--json]\n"
	"                              [--config FILE]\n"
	"Lists the triage playbooks.\n"
	"\n"
	"  --limit N   page size (default 50, at most 200)\n"
	"  --cursor C  the next page, as printed after the last one\n",
	0, 0, CMD_API
};

static const struct cli_cmd cmd_pb_show = {
	"playbook show",
	"usage: hookpost playbook show NAME [--json] [--config FILE]\n"
	"Shows a playbook and its steps.\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_pb_put = {
	"playbook put",
	"usage: hookpost playbook put NAME FILE.json [--json] [--config FILE]\n"
	"Creates or replaces a playbook from FILE ('-' reads stdin):\n"
	"  {\"description\": \"...\", \"steps\": [ ... ]}\n",
	2, 2, CMD_API
};

static const struct cli_cmd cmd_pb_rm = {
	"playbook rm",
	"usage: hookpost playbook rm NAME [--config FILE]\n"
	"Deletes a playbook (refused while a source uses it).\n",
	1, 1, CMD_CONFIG
};

static int
playbook_name_check(const struct cli_cmd *cmd, const char *name)
{
	if (name_valid(name))
		return 0;
	cli_usage_error(cmd, "'%s' is not a valid playbook name (a-z, 0-9, "
	    "'.', '_', '-'; at most 64)", name);
	return -1;
}

static int
playbook_list(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		CLI_PAGE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const	 heads[] = { "NAME", "BUILTIN",
		"UPDATED", "DESCRIPTION" };
	static const char *const	 keys[] = { "name", "builtin",
		"updated_at", "description" };
	static const struct cli_list	 list = { &cmd_pb_list, opts,
		"/api/playbooks", 4, heads, keys, 3, 60 };
	struct cli_page			 page = { &cmd_pb_list, 200, NULL,
		NULL };
	const struct cli_param		 q[] = { { "limit", &page.limit },
		{ "cursor", &page.cursor }, { NULL, NULL } };

	return cli_list_run(cli, &list, argc, argv, NULL, &page, q);
}

static int
playbook_show(struct cli *cli, int argc, char *argv[])
{
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	char		**pos = NULL, *path = NULL, *steps_text = NULL;
	json_t		*copy = NULL, *steps;
	int		 npos, status = 1;

	if (cli_getopt(cli, &cmd_pb_show, argc, argv, NULL, NULL, NULL, &pos,
	    &npos, &status) == -1)
		goto out;
	if (playbook_name_check(&cmd_pb_show, pos[0]) == -1) {
		status = EXIT_USAGE;
		goto out;
	}
	status = 1;
	path = cli_item_path_new("/api/playbooks", pos[0], NULL);
	if (cli_api(cli, "GET", path, NULL, NULL, &resp) == -1)
		goto out;
	if (cli->json || !json_is_object(resp.json)) {
		cli_resp_print_raw(&resp);
		status = 0;
		goto out;
	}
	/* The steps read better indented, below the one-line fields. */
	copy = json_copy(resp.json);
	steps = json_object_get(resp.json, "steps");
	json_object_del(copy, "steps");
	cli_print_object(stdout, copy);
	if (steps != NULL &&
	    (steps_text = json_dumps(steps, JSON_INDENT(2))) != NULL) {
		fputs("steps:\n", stdout);
		cli_fput_safe(stdout, steps_text, 1);
		fputc('\n', stdout);
	}
	status = 0;
out:
	free(steps_text);
	json_decref(copy);
	cli_resp_free(&resp);
	free(path);
	free(pos);
	return status;
}

static int
playbook_put(struct cli *cli, int argc, char *argv[])
{
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	json_error_t	 jerr;
	json_t		*body = NULL;
	char		**pos = NULL, *path = NULL, *data = NULL;
	size_t		 len;
	int		 npos, status = 1;

	if (cli_getopt(cli, &cmd_pb_put, argc, argv, NULL, NULL, NULL, &pos,
	    &npos, &status) == -1)
		goto out;
	if (playbook_name_check(&cmd_pb_put, pos[0]) == -1) {
		status = EXIT_USAGE;
		goto out;
	}
	status = 1;
	if (cli_read_file(pos[1], PLAYBOOK_MAX_FILE, &data, &len) == -1)
		goto out;
	if ((body = json_loadb(data, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		cli_err("%s:%d: %s", pos[1], jerr.line, jerr.text);
		goto out;
	}
	if (!json_is_object(body) ||
	    !json_is_array(json_object_get(body, "steps"))) {
		cli_err("%s: expected an object with a \"steps\" array",
		    pos[1]);
		goto out;
	}
	path = cli_item_path_new("/api/playbooks", pos[0], NULL);
	if (cli_api(cli, "PUT", path, body, NULL, &resp) == -1)
		goto out;
	if (cli->json)
		cli_resp_print_raw(&resp);
	else
		printf("%s %s\n", resp.status == 201 ? "created" : "updated",
		    pos[0]);
	status = 0;
out:
	cli_resp_free(&resp);
	json_decref(body);
	free(data);
	free(path);
	free(pos);
	return status;
}

static int
playbook_rm(struct cli *cli, int argc, char *argv[])
{
	return cli_item_run(cli, &cmd_pb_rm, argc, argv, "DELETE",
	    "/api/playbooks", NULL, playbook_name_check, NULL);
}

/* `hookpost playbook COMMAND`: main.c's command table runs it. */
const struct cli_sub playbook_cmds[] = {
	{ "list", playbook_list, "list playbooks" },
	{ "show", playbook_show, "show a playbook and its steps" },
	{ "put",  playbook_put,  "create or replace a playbook from "
	    "JSON" },
	{ "rm",	  playbook_rm,	 "delete a playbook" },
	{ NULL, NULL, NULL }
};
