/*
 * hookpost logs: the receivers' recent requests from the audit log
 * (seed 004 "Monitoring Webhooks").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util.h"
#include "cli.h"

enum {
	OPT_FILTER = OPT_CMD,
	OPT_TAIL,
	OPT_SOURCE,
	OPT_OUTCOME
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

struct logs_args {
	struct cli_page	 page;		/* --tail is its limit */
	const char	*source, *outcome;
};

static int
logs_opt(void *ctx, int ch, char *arg)
{
	struct logs_args	*a = ctx;

	switch (ch) {
	case OPT_FILTER:
		/* seed 004: `tw-cli logs --filter webhook --tail 100`. */
		if (strcmp(arg, "webhook") != 0) {
			cli_usage_reason(&logs_cmd, "unknown filter '%s' (only "
			    "'webhook')", arg);
			return -1;
		}
		return 0;
	case OPT_TAIL:
		return cli_page_opt(&a->page, OPT_PAGE_LIMIT, arg);
	case OPT_SOURCE:
		return cli_parse_text(&logs_cmd, "--source", arg, 128,
		    &a->source);
	case OPT_OUTCOME:
		return cli_parse_text(&logs_cmd, "--outcome", arg, 64,
		    &a->outcome);
	}
	return 1;
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
	struct logs_args	 a = { { &logs_cmd, 1000, "100", NULL }, NULL,
		NULL };
	struct cli_resp		 resp = { 0, NULL, 0, NULL };
	struct buf		 path = { NULL, 0, 0 };
	char			**pos = NULL;
	json_t			*data;
	size_t			 i;
	int			 npos, status = 1;

	if (cli_getopt(cli, &logs_cmd, argc, argv, opts, logs_opt, &a, &pos,
	    &npos, &status) == -1)
		goto out;
	status = 1;
	buf_append(&path, "/api/audit/webhooks", 19);
	cli_query_add(&path, "limit", a.page.limit);
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
