/*
 * hookpost logs, incidents and playbook: read-mostly views of the admin
 * API (seed 004 "Monitoring Webhooks", incidents, auto-triage playbooks).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util.h"
#include "cli.h"

#define PLAYBOOK_MAX_FILE	(1024 * 1024)

enum {
	OPT_FILTER = OPT_CMD,
	OPT_TAIL,
	OPT_SOURCE,
	OPT_OUTCOME,
	OPT_SEVERITY,
	OPT_STATUS,
	OPT_LIMIT,
	OPT_CURSOR
};

static const struct cli_cmd logs_cmd = {
	"logs",
	"usage: hookpost logs [--filter webhook] [--tail N] [--source NAME]\n"
	"                     [--outcome O] [--json] [--config FILE]\n"
	"Prints the last N requests to the webhook receivers, oldest first:\n"
	"  time source remote-addr status outcome error-code duration body-sha256\n"
	"\n"
	"  --filter webhook  the only log there is (seed 004's tw-cli syntax)\n"
	"  --tail N          how many (default 100, at most 1000)\n"
	"  --source NAME     only requests to this source\n"
	"  --outcome O       only this outcome (accepted, queued, rejected, ...)\n",
	0, 0, CMD_API
};

static const struct cli_cmd cmd_inc_list = {
	"incidents list",
	"usage: hookpost incidents list [--source S] [--severity X] [--status X]\n"
	"                               [--limit N] [--cursor C] [--json]\n"
	"                               [--config FILE]\n"
	"Lists incidents, newest first.\n"
	"\n"
	"  --severity X   critical, high, medium, low or info\n"
	"  --status X     new, triaged, investigating, suppressed, resolved or\n"
	"                 closed\n"
	"  --limit N      page size (default 50, at most 500)\n"
	"  --cursor C     the next page, as printed after the last one\n",
	0, 0, CMD_API
};

static const struct cli_cmd cmd_inc_show = {
	"incidents show",
	"usage: hookpost incidents show ID [--json] [--config FILE]\n"
	"Shows one incident.\n",
	1, 1, CMD_API
};

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

static const char *const severities[] = {
	"critical", "high", "medium", "low", "info", NULL
};
/* The statuses of hookpost.incidents (sql/001_init.sql). */
static const char *const statuses[] = {
	"new", "triaged", "investigating", "suppressed", "resolved", "closed",
	NULL
};

static int
one_of(const char *const *values, const char *s)
{
	size_t	 i;

	for (i = 0; values[i] != NULL; i++)
		if (strcmp(values[i], s) == 0)
			return 1;
	return 0;
}

/* Filters and paging shared by the list commands. */
struct list_args {
	const struct cli_cmd	*cmd;
	long long		 max_limit;
	const char		*limit, *cursor;
	const char		*source, *outcome, *severity, *status;
	int			 filter_seen;
};

static int
list_opt(void *ctx, int ch, char *arg)
{
	struct list_args	*a = ctx;
	long long		 n;

	switch (ch) {
	case OPT_FILTER:
		/* seed 004: `tw-cli logs --filter webhook --tail 100`. */
		if (strcmp(arg, "webhook") != 0) {
			cli_usage_reason(a->cmd, "unknown filter '%s' (only "
			    "'webhook')", arg);
			return -1;
		}
		a->filter_seen = 1;
		return 0;
	case OPT_TAIL:
	case OPT_LIMIT:
		if (cli_parse_limit(a->cmd, arg, a->max_limit, &n) == -1)
			return -1;
		a->limit = arg;
		return 0;
	case OPT_CURSOR:
		a->cursor = arg;
		return 0;
	case OPT_SOURCE:
		if (*arg == '\0' || strlen(arg) > 128) {
			cli_usage_reason(a->cmd, "--source: 1 to 128 bytes");
			return -1;
		}
		a->source = arg;
		return 0;
	case OPT_OUTCOME:
		if (*arg == '\0' || strlen(arg) > 64) {
			cli_usage_reason(a->cmd, "--outcome: 1 to 64 bytes");
			return -1;
		}
		a->outcome = arg;
		return 0;
	case OPT_SEVERITY:
		if (!one_of(severities, arg)) {
			cli_usage_reason(a->cmd, "unknown severity '%s'", arg);
			return -1;
		}
		a->severity = arg;
		return 0;
	case OPT_STATUS:
		if (!one_of(statuses, arg)) {
			cli_usage_reason(a->cmd, "unknown status '%s'", arg);
			return -1;
		}
		a->status = arg;
		return 0;
	}
	return 1;
}

static void
next_page_hint(json_t *list, const char *cmd)
{
	const char	*next;

	if ((next = cli_json_str(list, "next_cursor")) == NULL)
		return;
	fprintf(stderr, "more: hookpost %s --cursor ", cmd);
	cli_fput_safe(stderr, next, 0);
	fputc('\n', stderr);
}

/* One audit row as a line; absent and null fields print as "-". */
static void
logs_line(json_t *row)
{
	static const char *const keys[] = { "received_at", "source",
		"remote_addr", "http_status", "outcome", "error_code" };
	const char	*sha;
	json_t		*ms;
	char		*text;
	size_t		 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		text = cli_json_text_new(json_object_get(row, keys[i]));
		if (*text == '\0') {
			free(text);
			text = xstrdup("-");
		}
		cli_fput_safe(stdout, text, 0);
		fputc(' ', stdout);
		free(text);
	}
	if (json_is_number(ms = json_object_get(row, "processing_ms")))
		printf("%.1fms ", json_number_value(ms));
	else
		fputs("-ms ", stdout);
	if ((sha = cli_json_str(row, "body_sha256")) != NULL && *sha != '\0')
		printf("%.12s\n", sha);
	else
		fputs("-\n", stdout);
}

int
cmd_logs(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "filter",  required_argument, NULL, OPT_FILTER },
		{ "tail",    required_argument, NULL, OPT_TAIL },
		{ "source",  required_argument, NULL, OPT_SOURCE },
		{ "outcome", required_argument, NULL, OPT_OUTCOME },
		{ NULL, 0, NULL, 0 }
	};
	struct list_args	 a = { &logs_cmd, 1000, "100", NULL, NULL,
		NULL, NULL, NULL, 0 };
	struct cli_resp		 resp = { 0, NULL, 0, NULL };
	struct buf		 path = { NULL, 0, 0 };
	char			**pos = NULL;
	json_t			*data;
	size_t			 i;
	int			 npos, status = 1;

	if (cli_getopt(cli, &logs_cmd, argc, argv, opts, list_opt, &a, &pos,
	    &npos, &status) == -1)
		goto out;
	status = 1;
	buf_append(&path, "/api/audit/webhooks", 19);
	cli_query_add(&path, "limit", a.limit);
	cli_query_add(&path, "source", a.source);
	cli_query_add(&path, "outcome", a.outcome);
	if (cli_api(cli, "GET", path.data, NULL, NULL, &resp) == -1)
		goto out;
	if (cli->json) {
		cli_resp_print_raw(&resp);
		status = 0;
		goto out;
	}
	/* The API answers newest first; a tail reads oldest to newest. */
	data = json_object_get(resp.json, "data");
	for (i = json_array_size(data); i > 0; i--)
		logs_line(json_array_get(data, i - 1));
	status = 0;
out:
	cli_resp_free(&resp);
	buf_free(&path);
	free(pos);
	return status;
}

static int
incidents_list(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "source",   required_argument, NULL, OPT_SOURCE },
		{ "severity", required_argument, NULL, OPT_SEVERITY },
		{ "status",   required_argument, NULL, OPT_STATUS },
		{ "limit",    required_argument, NULL, OPT_LIMIT },
		{ "cursor",   required_argument, NULL, OPT_CURSOR },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const	 heads[] = { "NUMBER", "SEVERITY",
		"STATUS", "SOURCE", "CREATED", "ID", "TITLE" };
	static const char *const	 keys[] = { "incident_number",
		"severity", "status", "source", "created_at", "id", "title" };
	/* Page ceilings are the server's (handlers/admin.c). */
	struct list_args	 a = { &cmd_inc_list, 500, "50", NULL, NULL,
		NULL, NULL, NULL, 0 };
	struct cli_resp		 resp = { 0, NULL, 0, NULL };
	struct cli_table	*t = NULL;
	struct buf		 path = { NULL, 0, 0 };
	char			**pos = NULL;
	json_t			*e;
	size_t			 i;
	int			 npos, status = 1;

	if (cli_getopt(cli, &cmd_inc_list, argc, argv, opts, list_opt, &a,
	    &pos, &npos, &status) == -1)
		goto out;
	status = 1;
	buf_append(&path, "/api/incidents", 14);
	cli_query_add(&path, "source", a.source);
	cli_query_add(&path, "severity", a.severity);
	cli_query_add(&path, "status", a.status);
	cli_query_add(&path, "limit", a.limit);
	cli_query_add(&path, "cursor", a.cursor);
	if (cli_api(cli, "GET", path.data, NULL, NULL, &resp) == -1)
		goto out;
	if (cli->json) {
		cli_resp_print_raw(&resp);
		status = 0;
		goto out;
	}
	t = cli_table_new(7, heads);
	/* Titles come from alert payloads: bounded, like every cell, safe. */
	cli_table_max(t, 6, 60);
	json_array_foreach(json_object_get(resp.json, "data"), i, e)
		cli_table_add_json(t, e, keys);
	cli_table_print(stdout, t);
	next_page_hint(resp.json, "incidents list");
	status = 0;
out:
	cli_table_free(t);
	cli_resp_free(&resp);
	buf_free(&path);
	free(pos);
	return status;
}

/* "/api/PREFIX/ID" with ID escaped. */
static char *
item_path_new(const char *prefix, const char *id)
{
	struct buf	 b = { NULL, 0, 0 };

	buf_append(&b, prefix, strlen(prefix));
	buf_append(&b, "/", 1);
	cli_url_escape(&b, id);
	return b.data;
}

static int
incidents_show(struct cli *cli, int argc, char *argv[])
{
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	char		**pos = NULL, *path = NULL;
	int		 npos, status = 1;

	if (cli_getopt(cli, &cmd_inc_show, argc, argv, NULL, NULL, NULL, &pos,
	    &npos, &status) == -1)
		goto out;
	if (*pos[0] == '\0' || strlen(pos[0]) > 64) {
		status = cli_usage_error(&cmd_inc_show, "bad incident id");
		goto out;
	}
	status = 1;
	path = item_path_new("/api/incidents", pos[0]);
	if (cli_api(cli, "GET", path, NULL, NULL, &resp) == -1)
		goto out;
	if (cli->json)
		cli_resp_print_raw(&resp);
	else if (json_is_object(resp.json))
		cli_print_object(stdout, resp.json);
	status = 0;
out:
	cli_resp_free(&resp);
	free(path);
	free(pos);
	return status;
}

int
cmd_incidents(struct cli *cli, int argc, char *argv[])
{
	static const struct cli_sub	 subs[] = {
		{ "list", incidents_list, "list incidents" },
		{ "show", incidents_show, "show one incident" },
		{ NULL, NULL, NULL }
	};

	return cli_dispatch(cli, "incidents", subs, argc, argv);
}

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
		{ "limit",  required_argument, NULL, OPT_LIMIT },
		{ "cursor", required_argument, NULL, OPT_CURSOR },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const	 heads[] = { "NAME", "BUILTIN",
		"UPDATED", "DESCRIPTION" };
	static const char *const	 keys[] = { "name", "builtin",
		"updated_at", "description" };
	struct list_args	 a = { &cmd_pb_list, 200, NULL, NULL, NULL,
		NULL, NULL, NULL, 0 };
	struct cli_resp		 resp = { 0, NULL, 0, NULL };
	struct cli_table	*t = NULL;
	struct buf		 path = { NULL, 0, 0 };
	char			**pos = NULL;
	json_t			*e;
	size_t			 i;
	int			 npos, status = 1;

	if (cli_getopt(cli, &cmd_pb_list, argc, argv, opts, list_opt, &a,
	    &pos, &npos, &status) == -1)
		goto out;
	status = 1;
	buf_append(&path, "/api/playbooks", 14);
	cli_query_add(&path, "limit", a.limit);
	cli_query_add(&path, "cursor", a.cursor);
	if (cli_api(cli, "GET", path.data, NULL, NULL, &resp) == -1)
		goto out;
	if (cli->json) {
		cli_resp_print_raw(&resp);
		status = 0;
		goto out;
	}
	t = cli_table_new(4, heads);
	cli_table_max(t, 3, 60);
	json_array_foreach(json_object_get(resp.json, "data"), i, e)
		cli_table_add_json(t, e, keys);
	cli_table_print(stdout, t);
	next_page_hint(resp.json, "playbook list");
	status = 0;
out:
	cli_table_free(t);
	cli_resp_free(&resp);
	buf_free(&path);
	free(pos);
	return status;
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
	path = item_path_new("/api/playbooks", pos[0]);
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
	path = item_path_new("/api/playbooks", pos[0]);
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
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	char		**pos = NULL, *path = NULL;
	int		 npos, status = 1;

	if (cli_getopt(cli, &cmd_pb_rm, argc, argv, NULL, NULL, NULL, &pos,
	    &npos, &status) == -1)
		goto out;
	if (playbook_name_check(&cmd_pb_rm, pos[0]) == -1) {
		status = EXIT_USAGE;
		goto out;
	}
	status = 1;
	path = item_path_new("/api/playbooks", pos[0]);
	if (cli_api(cli, "DELETE", path, NULL, NULL, &resp) == -1)
		goto out;
	printf("removed %s\n", pos[0]);
	status = 0;
out:
	cli_resp_free(&resp);
	free(path);
	free(pos);
	return status;
}

int
cmd_playbook(struct cli *cli, int argc, char *argv[])
{
	static const struct cli_sub	 subs[] = {
		{ "list", playbook_list, "list playbooks" },
		{ "show", playbook_show, "show a playbook and its steps" },
		{ "put",  playbook_put,  "create or replace a playbook from "
		    "JSON" },
		{ "rm",	  playbook_rm,	 "delete a playbook" },
		{ NULL, NULL, NULL }
	};

	return cli_dispatch(cli, "playbook", subs, argc, argv);
}
