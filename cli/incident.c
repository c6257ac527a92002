/*
 * hookpost incidents: list and show the incidents the receivers made
 * (seed 004).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util.h"
#include "valid.h"
#include "cli.h"

enum {
	OPT_SOURCE = OPT_CMD,
	OPT_SEVERITY,
	OPT_STATUS
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

static const char *const severities[] = {
	"critical", "high", "medium", "low", "info", NULL
};
/* The statuses of hookpost.incidents (sql/001_init.sql). */
static const char *const statuses[] = {
	"new", "triaged", "investigating", "suppressed", "resolved", "closed",
	NULL
};

struct incidents_args {
	struct cli_page	 page;
	const char	*source, *severity, *status;
};

static int
incidents_opt(void *ctx, int ch, char *arg)
{
	struct incidents_args	*a = ctx;

	switch (ch) {
	case OPT_SOURCE:
		return cli_parse_text(a->page.cmd, "--source", arg, 128,
		    &a->source);
	case OPT_SEVERITY:
		if (!valid_enum(severities, arg)) {
			cli_usage_reason(a->page.cmd, "unknown severity '%s'",
			    arg);
			return -1;
		}
		a->severity = arg;
		return 0;
	case OPT_STATUS:
		if (!valid_enum(statuses, arg)) {
			cli_usage_reason(a->page.cmd, "unknown status '%s'",
			    arg);
			return -1;
		}
		a->status = arg;
		return 0;
	}
	return cli_page_opt(&a->page, ch, arg);
}

static int
incidents_list(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "source",   required_argument, NULL, OPT_SOURCE },
		{ "severity", required_argument, NULL, OPT_SEVERITY },
		{ "status",   required_argument, NULL, OPT_STATUS },
		CLI_PAGE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const	 heads[] = { "NUMBER", "SEVERITY",
		"STATUS", "SOURCE", "CREATED", "ID", "TITLE" };
	static const char *const	 keys[] = { "incident_number",
		"severity", "status", "source", "created_at", "id", "title" };
	/* Titles come from alert payloads: bounded, like every cell, safe. */
	static const struct cli_list	 list = { &cmd_inc_list, opts,
		"/api/incidents", 7, heads, keys, 6, 60 };
	/* Page ceilings are the server's (handlers/admin.c). */
	struct incidents_args		 a = { { &cmd_inc_list, 500, "50",
		NULL }, NULL, NULL, NULL };
	const struct cli_param		 q[] = { { "source", &a.source },
		{ "severity", &a.severity }, { "status", &a.status },
		{ "limit", &a.page.limit }, { "cursor", &a.page.cursor },
		{ NULL, NULL } };

	return cli_list_run(cli, &list, argc, argv, incidents_opt, &a, q);
}

static int
incident_id_check(const struct cli_cmd *cmd, const char *id)
{
	if (*id != '\0' && strlen(id) <= 64)
		return 0;
	cli_usage_error(cmd, "bad incident id");
	return -1;
}

static int
incidents_show(struct cli *cli, int argc, char *argv[])
{
	return cli_item_run(cli, &cmd_inc_show, argc, argv, "GET",
	    "/api/incidents", NULL, incident_id_check, NULL);
}

/* `hookpost incidents COMMAND`: main.c's command table runs it. */
const struct cli_sub incidents_cmds[] = {
	{ "list", incidents_list, "list incidents" },
	{ "show", incidents_show, "show one incident" },
	{ NULL, NULL, NULL }
};
