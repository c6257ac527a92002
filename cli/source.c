/*
 * hookpost webhook: inbound sources over the admin API (seed 004
 * "Registering Webhook Sources", "Testing Webhooks").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "sig.h"
#include "util.h"
#include "cli.h"

enum {
	OPT_SECRET = OPT_CMD,
	OPT_AUTO_TRIAGE,
	OPT_PLAYBOOK,
	OPT_NO_PLAYBOOK,
	OPT_FORMAT,
	OPT_MODE,
	OPT_ENABLED,
	OPT_SEVERITY_MAP,
	OPT_ROTATE_SECRET
};

#define SOURCE_OPTIONS \
	"  --secret S             HMAC secret; '-' reads it from stdin\n" \
	"                         (omit to have the server generate one)\n" \
	"  --auto-triage BOOL     true or false\n" \
	"  --playbook P           triage playbook to run\n" \
	"  --format F             auto, generic, defender, crowdstrike, splunk\n" \
	"  --mode M               sync (incident at once) or queue\n" \
	"  --enabled BOOL         accept events from this source\n" \
	"  --severity-map F=T ... map the tool's severity F to T (critical,\n" \
	"                         high, medium, low, info); repeatable, and\n" \
	"                         several pairs may follow one flag\n"

static const struct cli_cmd cmd_add = {
	"webhook add",
	"usage: hookpost webhook add NAME [options]\n"
	"Registers an inbound source; events arrive at POST /api/webhooks/NAME.\n"
	"\n"
	SOURCE_OPTIONS
	"  --json                 print the server's JSON\n"
	"  --config FILE          CLI config file (url=, token=)\n"
	"\n"
	"example: hookpost webhook add email-gateway --secret \"your-secret-key\" \\\n"
	"           --auto-triage true --playbook phishing_triage\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_update = {
	"webhook update",
	"usage: hookpost webhook update NAME [options]\n"
	"Changes the given settings only (a missing source is created).\n"
	"\n"
	SOURCE_OPTIONS
	"  --no-playbook          run no playbook\n"
	"  --rotate-secret        generate a new secret, shown once\n"
	"  --json                 print the server's JSON\n"
	"  --config FILE          CLI config file (url=, token=)\n"
	"\n"
	"--severity-map replaces the whole mapping.\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_list = {
	"webhook list",
	"usage: hookpost webhook list [--limit N] [--cursor C] [--json]\n"
	"                             [--config FILE]\n"
	"Lists the registered sources, one page at a time.\n"
	"\n"
	"  --limit N   page size (default 100, at most 200)\n"
	"  --cursor C  the next page, as printed after the last one\n",
	0, 0, CMD_API
};

static const struct cli_cmd cmd_show = {
	"webhook show",
	"usage: hookpost webhook show NAME [--json] [--config FILE]\n"
	"Shows one source's settings (never its secret).\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_rm = {
	"webhook rm",
	"usage: hookpost webhook rm NAME [--config FILE]\n"
	"Deletes a source; its events are refused from then on.\n",
	1, 1, CMD_CONFIG
};

static const struct cli_cmd cmd_test = {
	"webhook test",
	"usage: hookpost webhook test NAME [--secret S] [--json] [--config FILE]\n"
	"Sends a signed test event to POST /api/webhooks/NAME and prints the\n"
	"answer; exits 0 only if it was accepted (2xx).\n"
	"\n"
	"  --secret S   sign locally with S ('-': read from stdin); without it\n"
	"               the server signs with the stored secret\n"
	"  --json       print only the receiver's JSON answer\n",
	1, 1, CMD_API
};

/* The getopt entries of SOURCE_OPTIONS: `add` takes them, `update` too. */
#define SOURCE_LONGOPTS \
	{ "secret",	  required_argument, NULL, OPT_SECRET }, \
	{ "auto-triage",  required_argument, NULL, OPT_AUTO_TRIAGE }, \
	{ "playbook",	  required_argument, NULL, OPT_PLAYBOOK }, \
	{ "format",	  required_argument, NULL, OPT_FORMAT }, \
	{ "mode",	  required_argument, NULL, OPT_MODE }, \
	{ "enabled",	  required_argument, NULL, OPT_ENABLED }, \
	{ "severity-map", required_argument, NULL, OPT_SEVERITY_MAP }

static const struct option source_opts[] = {
	SOURCE_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static const struct option update_opts[] = {
	SOURCE_LONGOPTS,
	{ "no-playbook",   no_argument, NULL, OPT_NO_PLAYBOOK },
	{ "rotate-secret", no_argument, NULL, OPT_ROTATE_SECRET },
	{ NULL, 0, NULL, 0 }
};

/* What the source flags build: the JSON body of POST or PUT. */
struct source_args {
	const struct cli_cmd	*cmd;
	json_t			*body;
	char			*stdin_secret;
	int			 secret_stdin;	/* --secret - */
	int			 in_map;   /* last flag was --severity-map */
	int			 nchanges;
};

static int
source_map_pair(struct source_args *a, const char *pair)
{
	char	 why[256], *from;
	const char *eq;
	int	 rc;

	if ((eq = strchr(pair, '=')) == NULL) {
		cli_usage_reason(a->cmd, "--severity-map: expected FROM=TO, "
		    "not '%s'", pair);
		return -1;
	}
	from = xstrndup(pair, (size_t)(eq - pair));
	rc = source_severity_add(a->body, from, eq + 1, why, sizeof(why));
	free(from);
	if (rc == -1)
		cli_usage_reason(a->cmd, "%s", why);
	return rc;
}

static int
source_set(struct source_args *a, const char *key, const char *value)
{
	char	 why[256];

	if (source_field_set(a->body, key, value, why, sizeof(why)) == -1) {
		cli_usage_reason(a->cmd, "%s", why);
		return -1;
	}
	return 0;
}

static int
source_opt(void *ctx, int ch, char *arg)
{
	struct source_args	*a = ctx;
	int			 was_map = a->in_map;

	a->in_map = 0;
	if (ch != 1)
		a->nchanges++;
	switch (ch) {
	case 1:
		/* seed-style `--severity-map critical=high high=medium`. */
		if (was_map && strchr(arg, '=') != NULL) {
			a->in_map = 1;
			return source_map_pair(a, arg);
		}
		return 1;
	case OPT_SECRET:
		/* Read after parsing: a failed read is an error, not usage. */
		a->secret_stdin = strcmp(arg, "-") == 0;
		if (a->secret_stdin) {
			json_object_del(a->body, "secret");
			return 0;
		}
		return source_set(a, "secret", arg);
	case OPT_AUTO_TRIAGE:
		return source_set(a, "auto_triage", arg);
	case OPT_PLAYBOOK:
		return source_set(a, "playbook", arg);
	case OPT_NO_PLAYBOOK:
		return source_set(a, "playbook", NULL);
	case OPT_FORMAT:
		return source_set(a, "format", arg);
	case OPT_MODE:
		return source_set(a, "mode", arg);
	case OPT_ENABLED:
		return source_set(a, "enabled", arg);
	case OPT_SEVERITY_MAP:
		if (source_map_pair(a, arg) == -1)
			return -1;
		a->in_map = 1;
		return 0;
	case OPT_ROTATE_SECRET:
		json_object_set_new(a->body, "rotate_secret", json_true());
		return 0;
	}
	return 1;
}

/* `--secret -`: the secret from stdin, once the flags are known good. */
static int
source_secret_stdin(struct source_args *a)
{
	char	 why[256];

	if (!a->secret_stdin)
		return 0;
	if ((a->stdin_secret = cli_secret_stdin_new()) == NULL)
		return -1;
	if (source_field_set(a->body, "secret", a->stdin_secret, why,
	    sizeof(why)) == -1) {
		cli_err("%s", why);
		return -1;
	}
	return 0;
}

static int
name_check(const struct cli_cmd *cmd, const char *name)
{
	if (name_valid(name))
		return 0;
	cli_usage_error(cmd, "'%s' is not a valid source name (a-z, 0-9, "
	    "'.', '_', '-'; starts with a letter or digit; at most 64)", name);
	return -1;
}

static void
source_output(struct cli *cli, const struct cli_resp *resp)
{
	if (cli->json)
		cli_resp_print_raw(resp);
	else if (json_is_object(resp->json))
		cli_print_object(stdout, resp->json);
	if (json_is_object(resp->json))
		source_secret_notice(resp->json);
}

static int
webhook_add(struct cli *cli, int argc, char *argv[])
{
	struct source_args	 a = { &cmd_add, NULL, NULL, 0, 0, 0 };
	struct cli_resp		 resp = { 0, NULL, 0, NULL };
	json_t			*req = NULL;
	char			**pos = NULL;
	int			 npos, status = 1;

	a.body = json_object();
	if (cli_getopt(cli, &cmd_add, argc, argv, source_opts, source_opt, &a,
	    &pos, &npos, &status) == -1)
		goto out;
	if (name_check(&cmd_add, pos[0]) == -1) {
		status = EXIT_USAGE;
		goto out;
	}
	status = 1;
	if (source_secret_stdin(&a) == -1)
		goto out;
	/* "source" first, as in seed 004's curl example. */
	req = json_pack("{s:s}", "source", pos[0]);
	json_object_update(req, a.body);
	if (cli_api(cli, "POST", "/api/webhooks", req, NULL, &resp) == -1)
		goto out;
	source_output(cli, &resp);
	status = 0;
out:
	cli_resp_free(&resp);
	json_decref(req);
	json_decref(a.body);
	free(a.stdin_secret);
	free(pos);
	return status;
}

static int
webhook_update(struct cli *cli, int argc, char *argv[])
{
	struct source_args	 a = { &cmd_update, NULL, NULL, 0, 0, 0 };
	struct cli_resp		 resp = { 0, NULL, 0, NULL };
	char			**pos = NULL, *path = NULL;
	int			 npos, status = 1;

	a.body = json_object();
	if (cli_getopt(cli, &cmd_update, argc, argv, update_opts, source_opt,
	    &a, &pos, &npos, &status) == -1)
		goto out;
	if (name_check(&cmd_update, pos[0]) == -1) {
		status = EXIT_USAGE;
		goto out;
	}
	if (a.nchanges == 0) {
		status = cli_usage_error(&cmd_update, "nothing to change");
		goto out;
	}
	if ((json_object_get(a.body, "secret") != NULL || a.secret_stdin) &&
	    json_object_get(a.body, "rotate_secret") != NULL) {
		status = cli_usage_error(&cmd_update, "--secret and "
		    "--rotate-secret exclude each other");
		goto out;
	}
	status = 1;
	if (source_secret_stdin(&a) == -1)
		goto out;
	path = cli_item_path_new("/api/webhooks", pos[0], NULL);
	if (cli_api(cli, "PUT", path, a.body, NULL, &resp) == -1)
		goto out;
	if (resp.status == 201)
		cli_warn("source '%s' did not exist; it was created", pos[0]);
	source_output(cli, &resp);
	status = 0;
out:
	cli_resp_free(&resp);
	json_decref(a.body);
	free(a.stdin_secret);
	free(path);
	free(pos);
	return status;
}

static int
webhook_list(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		CLI_PAGE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const	 heads[] = { "SOURCE", "ENABLED",
		"FORMAT", "MODE", "AUTO_TRIAGE", "PLAYBOOK", "UPDATED" };
	static const char *const	 keys[] = { "source", "enabled",
		"format", "mode", "auto_triage", "playbook", "updated_at" };
	static const struct cli_list	 list = { &cmd_list, opts,
		"/api/webhooks", 7, heads, keys, 0, 0 };
	/* The server's page ceiling (handlers/sources/source.c). */
	struct cli_page			 page = { &cmd_list, 200, "100", NULL };
	const struct cli_param		 q[] = { { "limit", &page.limit },
		{ "cursor", &page.cursor }, { NULL, NULL } };

	return cli_list_run(cli, &list, argc, argv, NULL, &page, q);
}

static int
webhook_show(struct cli *cli, int argc, char *argv[])
{
	return cli_item_run(cli, &cmd_show, argc, argv, "GET",
	    "/api/webhooks", NULL, name_check, source_output);
}

static int
webhook_rm(struct cli *cli, int argc, char *argv[])
{
	return cli_item_run(cli, &cmd_rm, argc, argv, "DELETE",
	    "/api/webhooks", NULL, name_check, NULL);
}

/* A header value from the server must not smuggle in another header. */
static int
header_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/*
 * seed 004 "Send Test Event": sign "<timestamp>.<body>" and POST it to
 * the receiver with X-Webhook-Timestamp and X-Webhook-Signature.
 */
static int
webhook_test(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "secret", required_argument, NULL, OPT_SECRET },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_resp	 signed_resp = { 0, NULL, 0, NULL };
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	const char	*secret = NULL, *ts, *sig, *body, *hdrs[3] = { NULL };
	char		**pos = NULL, *path = NULL, *stdin_secret = NULL;
	char		*text = NULL, *hdr_ts = NULL, *hdr_sig = NULL;
	char		 now[32], iso[32], hex[65];
	json_t		*event = NULL;
	struct tm	 tm;
	time_t		 t;
	int		 npos, status = 1;

	if (cli_getopt(cli, &cmd_test, argc, argv, opts, cli_opt_one, &secret,
	    &pos, &npos, &status) == -1)
		goto out;
	if (name_check(&cmd_test, pos[0]) == -1) {
		status = EXIT_USAGE;
		goto out;
	}
	status = 1;
	if (secret != NULL && strcmp(secret, "-") == 0) {
		if ((stdin_secret = cli_secret_stdin_new()) == NULL)
			goto out;
		secret = stdin_secret;
	}
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(now, sizeof(now), "%lld", (long long)t);
	event = json_pack("{s:s, s:s, s:s, s:{s:s}}", "event_type", "test",
	    "timestamp", iso, "source", pos[0], "data", "message",
	    "hookpost webhook test");
	if (event == NULL) {
		cli_err("out of memory");
		goto out;
	}
	if (secret != NULL) {
		if ((text = json_dumps(event, JSON_COMPACT)) == NULL ||
		    sig_hmac_sha256_ts_hex(secret, now, text, strlen(text),
		    hex) == -1) {
			cli_err("cannot sign the test event");
			goto out;
		}
		hdr_ts = xasprintf("X-Webhook-Timestamp: %s", now);
		hdr_sig = xasprintf("X-Webhook-Signature: sha256=%s", hex);
		body = text;
	} else {
		/* The CLI never sees the stored secret: the server signs. */
		path = cli_item_path_new("/api/webhooks", pos[0], "/sign");
		if (cli_api(cli, "POST", path, event, NULL,
		    &signed_resp) == -1)
			goto out;
		ts = cli_json_str(signed_resp.json, "timestamp");
		sig = cli_json_str(signed_resp.json, "signature");
		body = cli_json_str(signed_resp.json, "body");
		if (ts == NULL || sig == NULL || body == NULL ||
		    !header_safe(ts) || !header_safe(sig)) {
			cli_err("%s: the sign response lacks timestamp, "
			    "signature or body", pos[0]);
			goto out;
		}
		hdr_ts = xasprintf("X-Webhook-Timestamp: %s", ts);
		hdr_sig = xasprintf("X-Webhook-Signature: %s", sig);
		free(path);
	}
	path = cli_item_path_new("/api/webhooks", pos[0], NULL);
	hdrs[0] = hdr_ts;
	hdrs[1] = hdr_sig;
	if (cli_http(cli, "POST", path, body, strlen(body), hdrs, 0,
	    &resp) == -1)
		goto out;
	if (cli_answer_print(cli, &resp) == -1)
		goto out;
	status = 0;
out:
	cli_resp_free(&resp);
	cli_resp_free(&signed_resp);
	json_decref(event);
	free(hdr_sig);
	free(hdr_ts);
	free(text);
	free(stdin_secret);
	free(path);
	free(pos);
	return status;
}

/* `hookpost webhook COMMAND`: main.c's command table runs it. */
const struct cli_sub webhook_cmds[] = {
	{ "add",    webhook_add,    "register a source" },
	{ "list",   webhook_list,   "list sources" },
	{ "show",   webhook_show,   "show a source" },
	{ "update", webhook_update, "change a source, or rotate its "
	    "secret" },
	{ "rm",	    webhook_rm,	    "delete a source" },
	{ "test",   webhook_test,   "send a signed test event" },
	{ "import", cmd_webhook_import, "sources from YAML, all or nothing "
	    "(--sync: exactly)" },
	{ NULL, NULL, NULL }
};
