/*
 * hookpost trigger: webhook-enabled triggers over the admin API (seed
 * 002, issue 3): triggers, their keys, security settings, events, stats,
 * and `send` to fire one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "crypt.h"
#include "provider.h"
#include "util.h"
#include "cli.h"

enum {
	OPT_DESCRIPTION = OPT_CMD,
	OPT_SCHEMA,
	OPT_MAPPING,
	OPT_PRESET,
	OPT_ENABLE,
	OPT_DISABLE,
	OPT_LABEL,
	OPT_ALGORITHM,
	OPT_DEDUPE,
	OPT_SECRET,
	OPT_REQUESTS,
	OPT_WINDOW,
	OPT_ENABLED,
	OPT_TRIGGER,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_DATA,
	OPT_FILE,
	OPT_HEADER,
	OPT_OWNER
};

#define API_OPTIONS \
	"  --json           print the server's JSON\n" \
	"  --config FILE    CLI config file (url=, token=)\n"

#define TRIGGER_FIELDS \
	"  --description D  what the trigger means\n" \
	"  --schema FILE    payload_schema, a JSON Schema subset ('-': stdin;\n" \
	"                   'none' removes it)\n" \
	"  --mapping FILE   payload_mapping, {\"key\": \"$.json.path\"} ('none'\n" \
	"                   removes it)\n" \
	"  --preset P       github, stripe, slack, standard ('none' removes it);\n" \
	"                   a preset turns signature verification on\n" \
	"  --owner OWNER    whose trigger it is (admin; a user's are its own)\n"

static const struct cli_cmd cmd_create = {
	"trigger create",
	"usage: hookpost trigger create REF [options]\n"
	"Creates a trigger (REF such as github.push); --enable also enables\n"
	"webhooks and prints the key and URL.\n"
	"\n"
	TRIGGER_FIELDS
	"  --enable         enable webhooks at once\n"
	API_OPTIONS,
	1, 1, CMD_API
};

static const struct cli_cmd cmd_update = {
	"trigger update",
	"usage: hookpost trigger update REF [options]\n"
	"Changes the given settings only.\n"
	"\n"
	TRIGGER_FIELDS
	API_OPTIONS,
	1, 1, CMD_API
};

static const struct cli_cmd cmd_list = {
	"trigger list",
	"usage: hookpost trigger list [--owner OWNER] [--limit N] [--cursor C]\n"
	"                             [--json]\n"
	"Lists the triggers the token manages (an admin's: all), one page at\n"
	"a time.\n"
	"\n"
	"  --owner OWNER  only this owner's\n"
	"  --limit N      page size (default 50, at most 200)\n"
	"  --cursor C     the next page, as printed after the last one\n",
	0, 0, CMD_API
};

static const struct cli_cmd cmd_show = {
	"trigger show",
	"usage: hookpost trigger show REF [--json] [--config FILE]\n"
	"Shows a trigger (REF or its numeric id) with its webhook settings.\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_rm = {
	"trigger rm",
	"usage: hookpost trigger rm REF [--config FILE]\n"
	"Deletes a trigger and its keys; its events are kept.\n",
	1, 1, CMD_CONFIG
};

static const struct cli_cmd cmd_enable = {
	"trigger enable",
	"usage: hookpost trigger enable REF [--json] [--config FILE]\n"
	"Enables webhooks (the first time, makes a key) and prints the key\n"
	"and the URL to give the sender.\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_disable = {
	"trigger disable",
	"usage: hookpost trigger disable REF [--json] [--config FILE]\n"
	"Disables webhooks and removes every key: their URLs answer 404 as\n"
	"unknown keys.  'trigger enable' makes a new key.\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_regenerate = {
	"trigger regenerate",
	"usage: hookpost trigger regenerate REF [--label L] [--json]\n"
	"Makes a new key; every active key stops working at once.  To rotate\n"
	"without downtime use 'trigger key add' and 'trigger key rm'.\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_whinfo = {
	"trigger webhook",
	"usage: hookpost trigger webhook REF [--json] [--config FILE]\n"
	"Shows the webhook: enabled, key, URL, created, last used, total\n"
	"events, and every active key.\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_key_add = {
	"trigger key add",
	"usage: hookpost trigger key add REF --label L [--json]\n"
	"Adds another active key, so senders can move to it before the old\n"
	"one is removed.  At most 10 per trigger.\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_key_list = {
	"trigger key list",
	"usage: hookpost trigger key list REF [--json] [--config FILE]\n"
	"Lists the active keys with their labels and last use.\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_key_rm = {
	"trigger key rm",
	"usage: hookpost trigger key rm REF KEY_ID [--config FILE]\n"
	"Revokes one key at once.\n",
	2, 2, CMD_CONFIG
};

static const struct cli_cmd cmd_hmac = {
	"trigger hmac",
	"usage: hookpost trigger hmac REF --enable [--algorithm A] [--secret S]\n"
	"                                 [--dedupe mac|id]\n"
	"       hookpost trigger hmac REF --disable\n"
	"Turns signature verification on or off.  Without --secret a trigger\n"
	"that has none gets a generated one, printed once.\n"
	"\n"
	"  --algorithm A  sha256 (default), sha512 or sha1 (no preset only)\n"
	"  --secret S     the shared secret; '-' reads it from stdin\n"
	"  --dedupe D     stripe and slack presets: mac (default) answers a\n"
	"                 byte-identical signed request as the first; id\n"
	"                 de-duplicates on the provider's event id only\n"
	API_OPTIONS,
	1, 1, CMD_API
};

static const struct cli_cmd cmd_rate = {
	"trigger rate-limit",
	"usage: hookpost trigger rate-limit REF [--requests N] [--window S]\n"
	"                                   [--enabled BOOL]\n"
	"Requests per window per key (seed default 100 per 60 s); over it the\n"
	"receiver answers 429 with Retry-After.\n"
	"\n"
	"  --requests N   1-10000\n"
	"  --window S     seconds, 1-86400\n"
	"  --enabled BOOL true or false\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_allowlist = {
	"trigger ip-allowlist",
	"usage: hookpost trigger ip-allowlist REF [CIDR ...] [--enabled BOOL]\n"
	"Sets the IP allow list (IPv4 and IPv6 CIDRs); giving CIDRs enables\n"
	"it.  With --enabled false alone the list is kept but not applied.\n",
	1, -1, CMD_API
};

static const struct cli_cmd cmd_payload_limit = {
	"trigger payload-limit",
	"usage: hookpost trigger payload-limit REF KB [--json]\n"
	"Largest body this trigger takes, in KiB (default 1024); bigger\n"
	"bodies are refused with 413 before they are read.\n",
	2, 2, CMD_API
};

static const struct cli_cmd cmd_stats = {
	"trigger stats",
	"usage: hookpost trigger stats REF [--json] [--config FILE]\n"
	"Events and requests (total, last 24 h), refusals by reason, median\n"
	"processing time.\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_events = {
	"trigger events",
	"usage: hookpost trigger events [--trigger REF] [--since T] [--until T]\n"
	"                               [--limit N] [--cursor C] [--json]\n"
	"Lists trigger events, newest first.\n"
	"\n"
	"  --trigger REF  one trigger's events (ref or id)\n"
	"  --since T      at or after T (ISO 8601, 2024-01-20T12:00:00Z)\n"
	"  --until T      before T\n"
	"  --limit N      page size (default 50, at most 500)\n"
	"  --cursor C     the next page\n",
	0, 0, CMD_API
};

static const struct cli_cmd cmd_event = {
	"trigger event",
	"usage: hookpost trigger event ID [--json] [--config FILE]\n"
	"Shows one event: payload and metadata.\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_send = {
	"trigger send",
	"usage: hookpost trigger send REF [--data JSON | --file F] [--secret S]\n"
	"                             [--header 'Name: value'] [--json]\n"
	"POSTs a body to the trigger's webhook URL, signed with --secret the\n"
	"way its preset's sender would (seed 002's X-Webhook-Signature\n"
	"without one), and prints the answer; exits 0 only on 2xx.\n"
	"\n"
	"  --data JSON    the body (default: a small test event)\n"
	"  --file F       the body from a file ('-': stdin)\n"
	"  --secret S     the trigger's secret ('-': stdin)\n"
	"  --header H     an extra request header; repeatable (at most 8)\n",
	1, 1, CMD_API
};

/* --- shared ----------------------------------------------------------- */

#define TRIGGERS_PATH	"/api/v1/triggers"

/* "/api/v1/triggers/REF" plus an optional suffix, REF escaped. */
static char *
trigger_path_new(const char *ref, const char *suffix)
{
	return cli_item_path_new(TRIGGERS_PATH, ref, suffix);
}

/* Prints data (or the raw body with --json); lists as "key: value". */
static void
print_data(struct cli *cli, const struct cli_resp *resp)
{
	json_t	*d;

	if (cli->json) {
		cli_resp_print_raw(resp);
		return;
	}
	d = json_object_get(resp->json, "data");
	if (json_is_object(d))
		cli_print_object(stdout, d);
}

/*
 * One admin call whose answer is printed: METHOD path [body].  Returns
 * the exit status.
 */
static int
call_print(struct cli *cli, const char *method, const char *path,
    json_t *body)
{
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	int		 status = 1;

	if (cli_api(cli, method, path, body, NULL, &resp) == -1)
		goto out;
	if (resp.status == 204)
		printf("done\n");
	else
		print_data(cli, &resp);
	status = 0;
out:
	cli_resp_free(&resp);
	return status;
}

/* call_print() of METHOD /api/v1/triggers/REF<suffix>: the exit status. */
static int
trigger_call(struct cli *cli, const char *method, const char *ref,
    const char *suffix, json_t *body)
{
	char	*path;
	int	 status;

	path = trigger_path_new(ref, suffix);
	status = call_print(cli, method, path, body);
	free(path);
	return status;
}

/* A JSON document from a file ('-': stdin), or JSON null for "none". */
static json_t *
json_file_new(const struct cli_cmd *cmd, const char *opt, const char *path)
{
	json_error_t	 err;
	json_t		*j;
	char		*text = NULL;
	size_t		 len;

	if (strcmp(path, "none") == 0)
		return json_null();
	if (cli_read_file(path, CLI_MAX_READ, &text, &len) == -1)
		return NULL;
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	free(text);
	if (j == NULL)
		cli_usage_reason(cmd, "%s %s: not JSON: %s (line %d)", opt, path,
		    err.text, err.line);
	return j;
}

/* --- create / update ---------------------------------------------------- */

struct trigger_args {
	const struct cli_cmd	*cmd;
	json_t			*body;
	int			 enable;
	int			 nchanges;
};

static int
trigger_opt(void *ctx, int ch, char *arg)
{
	struct trigger_args	*a = ctx;
	json_t			*j;

	if (ch != 1)
		a->nchanges++;
	switch (ch) {
	case OPT_DESCRIPTION:
		json_object_set_new(a->body, "description", json_string(arg));
		return 0;
	case OPT_SCHEMA:
	case OPT_MAPPING:
		if ((j = json_file_new(a->cmd, ch == OPT_SCHEMA ? "--schema" :
		    "--mapping", arg)) == NULL)
			return -1;
		json_object_set_new(a->body, ch == OPT_SCHEMA ?
		    "payload_schema" : "payload_mapping", j);
		return 0;
	case OPT_PRESET:
		json_object_set_new(a->body, "preset", strcmp(arg, "none") == 0 ?
		    json_null() : json_string(arg));
		return 0;
	case OPT_ENABLE:
		a->enable = 1;
		return 0;
	case OPT_OWNER:
		json_object_set_new(a->body, "owner_id", strcmp(arg, "none") ==
		    0 ? json_null() : json_string(arg));
		return 0;
	}
	return 1;
}

static const struct option trigger_opts[] = {
	{ "description", required_argument, NULL, OPT_DESCRIPTION },
	{ "schema",	 required_argument, NULL, OPT_SCHEMA },
	{ "mapping",	 required_argument, NULL, OPT_MAPPING },
	{ "preset",	 required_argument, NULL, OPT_PRESET },
	{ "owner",	 required_argument, NULL, OPT_OWNER },
	{ "enable",	 no_argument,	    NULL, OPT_ENABLE },
	{ NULL, 0, NULL, 0 }
};

static int
trigger_create(struct cli *cli, int argc, char *argv[])
{
	struct trigger_args	 a = { &cmd_create, NULL, 0, 0 };
	struct cli_resp		 resp = { 0, NULL, 0, NULL };
	json_t			*req = NULL;
	char			**pos = NULL, *path = NULL;
	int			 npos, status = 1;

	a.body = json_object();
	if (cli_getopt(cli, &cmd_create, argc, argv, trigger_opts, trigger_opt,
	    &a, &pos, &npos, &status) == -1)
		goto out;
	status = 1;
	req = json_pack("{s:s}", "ref", pos[0]);
	json_object_update(req, a.body);
	if (cli_api(cli, "POST", "/api/v1/triggers", req, NULL, &resp) == -1)
		goto out;
	if (a.enable) {
		cli_resp_free(&resp);
		path = trigger_path_new(pos[0], "/webhooks/enable");
		if (cli_api(cli, "POST", path, NULL, NULL, &resp) == -1)
			goto out;
	}
	print_data(cli, &resp);
	status = 0;
out:
	cli_resp_free(&resp);
	json_decref(req);
	json_decref(a.body);
	free(path);
	free(pos);
	return status;
}

static int
trigger_update(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "description", required_argument, NULL, OPT_DESCRIPTION },
		{ "schema",	 required_argument, NULL, OPT_SCHEMA },
		{ "mapping",	 required_argument, NULL, OPT_MAPPING },
		{ "preset",	 required_argument, NULL, OPT_PRESET },
		{ "owner",	 required_argument, NULL, OPT_OWNER },
		{ NULL, 0, NULL, 0 }
	};
	struct trigger_args	 a = { &cmd_update, NULL, 0, 0 };
	char			**pos = NULL;
	int			 npos, status = 1;

	a.body = json_object();
	if (cli_getopt(cli, &cmd_update, argc, argv, opts, trigger_opt, &a,
	    &pos, &npos, &status) == -1)
		goto out;
	if (a.nchanges == 0) {
		status = cli_usage_error(&cmd_update, "nothing to change");
		goto out;
	}
	status = trigger_call(cli, "PUT", pos[0], NULL, a.body);
out:
	json_decref(a.body);
	free(pos);
	return status;
}

/* --- simple one-call commands -------------------------------------------- */

/* REF [more positionals]: METHOD /api/v1/triggers/REF<suffix>, printed. */
static int
simple(struct cli *cli, const struct cli_cmd *cmd, int argc, char *argv[],
    const char *method, const char *suffix)
{
	char	**pos = NULL;
	int	 npos, status = 1;

	if (cli_getopt(cli, cmd, argc, argv, NULL, NULL, NULL, &pos, &npos,
	    &status) == -1)
		goto out;
	status = trigger_call(cli, method, pos[0], suffix, NULL);
out:
	free(pos);
	return status;
}

static int
trigger_show(struct cli *cli, int argc, char *argv[])
{
	return simple(cli, &cmd_show, argc, argv, "GET", NULL);
}

static int
trigger_rm(struct cli *cli, int argc, char *argv[])
{
	return simple(cli, &cmd_rm, argc, argv, "DELETE", NULL);
}

static int
trigger_enable(struct cli *cli, int argc, char *argv[])
{
	return simple(cli, &cmd_enable, argc, argv, "POST",
	    "/webhooks/enable");
}

static int
trigger_disable(struct cli *cli, int argc, char *argv[])
{
	return simple(cli, &cmd_disable, argc, argv, "POST",
	    "/webhooks/disable");
}

static int
trigger_webhook(struct cli *cli, int argc, char *argv[])
{
	return simple(cli, &cmd_whinfo, argc, argv, "GET", "/webhook");
}

static int
trigger_stats(struct cli *cli, int argc, char *argv[])
{
	return simple(cli, &cmd_stats, argc, argv, "GET", "/stats");
}

/*
 * POSTs {"label": L} of --label L to the trigger's suffix (without
 * --label: no body, or a usage error when required): `trigger
 * regenerate` and `trigger key add`.
 */
static int
label_post(struct cli *cli, const struct cli_cmd *cmd, int argc,
    char *argv[], const char *suffix, int required)
{
	static const struct option	 opts[] = {
		{ "label", required_argument, NULL, OPT_LABEL },
		{ NULL, 0, NULL, 0 }
	};
	const char	*label = NULL;
	char		**pos = NULL;
	json_t		*body = NULL;
	int		 npos, status = 1;

	if (cli_getopt(cli, cmd, argc, argv, opts, cli_opt_one, &label, &pos,
	    &npos, &status) == -1)
		goto out;
	if (label == NULL && required) {
		status = cli_usage_error(cmd, "--label is required");
		goto out;
	}
	if (label != NULL)
		body = json_pack("{s:s}", "label", label);
	status = trigger_call(cli, "POST", pos[0], suffix, body);
out:
	json_decref(body);
	free(pos);
	return status;
}

static int
trigger_regenerate(struct cli *cli, int argc, char *argv[])
{
	return label_post(cli, &cmd_regenerate, argc, argv,
	    "/webhooks/regenerate", 0);
}

/* --- keys ---------------------------------------------------------------- */

static int
key_add(struct cli *cli, int argc, char *argv[])
{
	return label_post(cli, &cmd_key_add, argc, argv, "/webhooks/keys", 1);
}

static int
key_list(struct cli *cli, int argc, char *argv[])
{
	static const char *const	 heads[] = { "ID", "LABEL", "KEY",
		"CREATED", "LAST_USED" };
	static const char *const	 keys[] = { "id", "label", "key",
		"created_at", "last_used_at" };
	static const struct cli_list	 list = { &cmd_key_list, NULL, NULL,
		5, heads, keys, 0, 0 };
	char				**pos = NULL, *path = NULL;
	int				 npos, status = 1;

	if (cli_getopt(cli, &cmd_key_list, argc, argv, NULL, NULL, NULL, &pos,
	    &npos, &status) == -1)
		goto out;
	path = trigger_path_new(pos[0], "/webhooks/keys");
	status = cli_list_get(cli, path, &list);
out:
	free(path);
	free(pos);
	return status;
}

static int
key_rm(struct cli *cli, int argc, char *argv[])
{
	struct buf	 b = { NULL, 0, 0 };
	char		**pos = NULL;
	int		 npos, status = 1;

	if (cli_getopt(cli, &cmd_key_rm, argc, argv, NULL, NULL, NULL, &pos,
	    &npos, &status) == -1)
		goto out;
	buf_append(&b, "/webhooks/keys/", 15);
	cli_url_escape(&b, pos[1]);
	status = trigger_call(cli, "DELETE", pos[0], b.data, NULL);
out:
	buf_free(&b);
	free(pos);
	return status;
}

static int
trigger_key(struct cli *cli, int argc, char *argv[])
{
	static const struct cli_sub	 subs[] = {
		{ "add",  key_add,  "add another active key" },
		{ "list", key_list, "list the active keys" },
		{ "rm",   key_rm,   "revoke one key" },
		{ NULL, NULL, NULL }
	};

	return cli_dispatch(cli, "trigger key", subs, argc, argv);
}

/* --- security settings ----------------------------------------------------- */

struct hmac_args {
	int		 enable, disable;
	const char	*algorithm, *secret, *dedupe;
};

static int
hmac_opt(void *ctx, int ch, char *arg)
{
	struct hmac_args	*a = ctx;

	switch (ch) {
	case OPT_ENABLE:
		a->enable = 1;
		return 0;
	case OPT_DISABLE:
		a->disable = 1;
		return 0;
	case OPT_ALGORITHM:
		a->algorithm = arg;
		return 0;
	case OPT_SECRET:
		a->secret = arg;
		return 0;
	case OPT_DEDUPE:
		a->dedupe = arg;
		return 0;
	}
	return 1;
}

static int
trigger_hmac(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "enable",    no_argument,	  NULL, OPT_ENABLE },
		{ "disable",   no_argument,	  NULL, OPT_DISABLE },
		{ "algorithm", required_argument, NULL, OPT_ALGORITHM },
		{ "secret",    required_argument, NULL, OPT_SECRET },
		{ "dedupe",    required_argument, NULL, OPT_DEDUPE },
		{ NULL, 0, NULL, 0 }
	};
	struct hmac_args	 a = { 0, 0, NULL, NULL, NULL };
	struct cli_resp		 resp = { 0, NULL, 0, NULL };
	char			**pos = NULL, *path = NULL, *stdin_secret = NULL;
	json_t			*body = NULL;
	int			 npos, status = 1;

	if (cli_getopt(cli, &cmd_hmac, argc, argv, opts, hmac_opt, &a, &pos,
	    &npos, &status) == -1)
		goto out;
	if (a.enable == a.disable) {
		status = cli_usage_error(&cmd_hmac, "give --enable or "
		    "--disable");
		goto out;
	}
	if (a.disable && (a.algorithm != NULL || a.secret != NULL ||
	    a.dedupe != NULL)) {
		status = cli_usage_error(&cmd_hmac, "--disable takes no "
		    "--algorithm, --secret or --dedupe");
		goto out;
	}
	status = 1;
	if (a.secret != NULL && strcmp(a.secret, "-") == 0) {
		if ((stdin_secret = cli_secret_stdin_new()) == NULL)
			goto out;
		a.secret = stdin_secret;
	}
	if (a.enable) {
		body = json_object();
		if (a.algorithm != NULL)
			json_object_set_new(body, "algorithm",
			    json_string(a.algorithm));
		if (a.secret != NULL)
			json_object_set_new(body, "secret",
			    json_string(a.secret));
		if (a.dedupe != NULL)
			json_object_set_new(body, "dedupe",
			    json_string(a.dedupe));
	}
	path = trigger_path_new(pos[0], a.enable ? "/webhooks/hmac/enable" :
	    "/webhooks/hmac/disable");
	if (cli_api(cli, "POST", path, body, NULL, &resp) == -1)
		goto out;
	print_data(cli, &resp);
	if (json_object_get(json_object_get(json_object_get(resp.json,
	    "data"), "hmac"), "secret") != NULL)
		cli_warn("the HMAC secret is shown only this once; store it "
		    "now");
	status = 0;
out:
	cli_resp_free(&resp);
	json_decref(body);
	if (stdin_secret != NULL) {
		explicit_bzero(stdin_secret, strlen(stdin_secret));
		free(stdin_secret);
	}
	free(path);
	free(pos);
	return status;
}

/* A number option into body[key]: 0, or -1 after a reason. */
static int
int_field(const struct cli_cmd *cmd, json_t *body, const char *key,
    const char *arg, long long min, long long max)
{
	long long	 n;

	if (parse_int(arg, min, max, &n) == -1) {
		cli_usage_reason(cmd, "%s: expected a number from %lld to %lld, "
		    "not '%s'", key, min, max, arg);
		return -1;
	}
	json_object_set_new(body, key, json_integer(n));
	return 0;
}

static int
bool_field(const struct cli_cmd *cmd, json_t *body, const char *arg)
{
	int	 b;

	if (cli_parse_bool(arg, &b) == -1) {
		cli_usage_reason(cmd, "enabled: expected true or false, not "
		    "'%s'", arg);
		return -1;
	}
	json_object_set_new(body, "enabled", json_boolean(b));
	return 0;
}

static int
rate_opt(void *ctx, int ch, char *arg)
{
	json_t	*body = ctx;

	switch (ch) {
	case OPT_REQUESTS:
		return int_field(&cmd_rate, body, "requests", arg, 1, 10000);
	case OPT_WINDOW:
		return int_field(&cmd_rate, body, "window_seconds", arg, 1,
		    86400);
	case OPT_ENABLED:
		return bool_field(&cmd_rate, body, arg);
	}
	return 1;
}

static int
trigger_rate(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "requests", required_argument, NULL, OPT_REQUESTS },
		{ "window",   required_argument, NULL, OPT_WINDOW },
		{ "enabled",  required_argument, NULL, OPT_ENABLED },
		{ NULL, 0, NULL, 0 }
	};
	json_t	*body;
	char	**pos = NULL;
	int	 npos, status = 1;

	body = json_object();
	if (cli_getopt(cli, &cmd_rate, argc, argv, opts, rate_opt, body, &pos,
	    &npos, &status) == -1)
		goto out;
	if (json_object_size(body) == 0) {
		status = cli_usage_error(&cmd_rate, "nothing to change");
		goto out;
	}
	status = trigger_call(cli, "PUT", pos[0], "/webhooks/rate-limit",
	    body);
out:
	json_decref(body);
	free(pos);
	return status;
}

static int
allowlist_opt(void *ctx, int ch, char *arg)
{
	if (ch != OPT_ENABLED)
		return 1;
	return bool_field(&cmd_allowlist, ctx, arg);
}

static int
trigger_allowlist(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "enabled", required_argument, NULL, OPT_ENABLED },
		{ NULL, 0, NULL, 0 }
	};
	json_t	*body, *cidrs;
	char	**pos = NULL;
	int	 npos, i, status = 1;

	body = json_object();
	if (cli_getopt(cli, &cmd_allowlist, argc, argv, opts, allowlist_opt,
	    body, &pos, &npos, &status) == -1)
		goto out;
	if (npos > 1) {
		cidrs = json_array();
		for (i = 1; i < npos; i++)
			json_array_append_new(cidrs, json_string(pos[i]));
		json_object_set_new(body, "cidrs", cidrs);
	}
	if (json_object_size(body) == 0) {
		status = cli_usage_error(&cmd_allowlist, "give CIDRs and/or "
		    "--enabled");
		goto out;
	}
	status = trigger_call(cli, "PUT", pos[0], "/webhooks/ip-allowlist",
	    body);
out:
	json_decref(body);
	free(pos);
	return status;
}

static int
trigger_payload_limit(struct cli *cli, int argc, char *argv[])
{
	json_t	*body;
	char	**pos = NULL;
	int	 npos, status = 1;

	body = json_object();
	if (cli_getopt(cli, &cmd_payload_limit, argc, argv, NULL, NULL, NULL,
	    &pos, &npos, &status) == -1)
		goto out;
	if (int_field(&cmd_payload_limit, body, "kb", pos[1], 1, 65536) == -1) {
		fputs(cmd_payload_limit.usage, stderr);
		status = EXIT_USAGE;
		goto out;
	}
	status = trigger_call(cli, "PUT", pos[0], "/webhooks/payload-limit",
	    body);
out:
	json_decref(body);
	free(pos);
	return status;
}

/* --- lists ------------------------------------------------------------------ */

/* trigger list: the page and its filter. */
struct list_args {
	struct cli_page	 page;
	const char	*owner;
};

static int
list_opt(void *ctx, int ch, char *arg)
{
	struct list_args	*a = ctx;

	if (ch == OPT_OWNER) {
		a->owner = arg;
		return 0;
	}
	return cli_page_opt(&a->page, ch, arg);
}

/* trigger events: the page and its filters. */
struct events_args {
	struct cli_page	 page;
	const char	*trigger, *since, *until;
};

static int
events_opt(void *ctx, int ch, char *arg)
{
	struct events_args	*a = ctx;

	switch (ch) {
	case OPT_TRIGGER:
		a->trigger = arg;
		return 0;
	case OPT_SINCE:
		a->since = arg;
		return 0;
	case OPT_UNTIL:
		a->until = arg;
		return 0;
	}
	return cli_page_opt(&a->page, ch, arg);
}

static int
trigger_list(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		CLI_PAGE_OPTIONS,
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const	 heads[] = { "ID", "REF", "OWNER",
		"ENABLED", "PRESET", "HMAC", "DESCRIPTION" };
	static const char *const	 keys[] = { "id", "ref", "owner_id",
		"webhook_enabled", "preset", "hmac.enabled", "description" };
	static const struct cli_list	 list = { &cmd_list, opts,
		TRIGGERS_PATH, 7, heads, keys, 6, 40 };
	/* Its --limit is refused in the words of `trigger events`. */
	struct list_args		 a = { { &cmd_events, 500, NULL, NULL },
		NULL };
	const struct cli_param		 q[] = { { "limit", &a.page.limit },
		{ "cursor", &a.page.cursor }, { "owner_id", &a.owner },
		{ NULL, NULL } };

	return cli_list_run(cli, &list, argc, argv, list_opt, &a, q);
}

static int
trigger_events(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		CLI_PAGE_OPTIONS,
		{ "trigger", required_argument, NULL, OPT_TRIGGER },
		{ "since",   required_argument, NULL, OPT_SINCE },
		{ "until",   required_argument, NULL, OPT_UNTIL },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const	 heads[] = { "ID", "TRIGGER",
		"RECEIVED", "KEY", "PAYLOAD" };
	static const char *const	 keys[] = { "id", "trigger_ref",
		"received_at", "metadata.webhook_key_label", "payload" };
	static const struct cli_list	 list = { &cmd_events, opts,
		"/api/v1/events", 5, heads, keys, 4, 60 };
	struct events_args		 a = { { &cmd_events, 500, NULL, NULL },
		NULL, NULL, NULL };
	const struct cli_param		 q[] = { { "limit", &a.page.limit },
		{ "cursor", &a.page.cursor }, { "trigger", &a.trigger },
		{ "since", &a.since }, { "until", &a.until }, { NULL, NULL } };

	return cli_list_run(cli, &list, argc, argv, events_opt, &a, q);
}

static int
trigger_event(struct cli *cli, int argc, char *argv[])
{
	char		**pos = NULL, *path = NULL;
	int		 npos, status = 1;

	if (cli_getopt(cli, &cmd_event, argc, argv, NULL, NULL, NULL, &pos,
	    &npos, &status) == -1)
		goto out;
	path = cli_item_path_new("/api/v1/events", pos[0], NULL);
	status = call_print(cli, "GET", path, NULL);
out:
	free(path);
	free(pos);
	return status;
}

/* --- send ------------------------------------------------------------------- */

#define SEND_MAX_HEADERS	8

struct send_args {
	const char	*data, *file, *secret;
	const char	*headers[SEND_MAX_HEADERS + 1];
	size_t		 nheaders;
};

static int
send_opt(void *ctx, int ch, char *arg)
{
	struct send_args	*a = ctx;

	switch (ch) {
	case OPT_DATA:
		a->data = arg;
		return 0;
	case OPT_FILE:
		a->file = arg;
		return 0;
	case OPT_SECRET:
		a->secret = arg;
		return 0;
	case OPT_HEADER:
		if (a->nheaders == SEND_MAX_HEADERS ||
		    strchr(arg, ':') == NULL || strpbrk(arg, "\r\n") != NULL) {
			cli_usage_reason(&cmd_send, "--header: 'Name: value', "
			    "at most %d", SEND_MAX_HEADERS);
			return -1;
		}
		a->headers[a->nheaders++] = arg;
		return 0;
	}
	return 1;
}

/*
 * Fires the trigger as its sender would: the key and preset from the
 * admin API, the body signed locally with --secret by the preset's
 * scheme (lib/provider), POSTed to the receiver.
 */
static int
trigger_send(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "data",   required_argument, NULL, OPT_DATA },
		{ "file",   required_argument, NULL, OPT_FILE },
		{ "secret", required_argument, NULL, OPT_SECRET },
		{ "header", required_argument, NULL, OPT_HEADER },
		{ NULL, 0, NULL, 0 }
	};
	static const char default_body[] = "{\"event_type\":\"test\","
	    "\"message\":\"hookpost trigger send\"}";
	struct send_args	 a;
	struct cli_resp		 trig = { 0, NULL, 0, NULL };
	struct cli_resp		 resp = { 0, NULL, 0, NULL };
	struct buf		 sig = { NULL, 0, 0 }, rpath = { NULL, 0, 0 };
	const char		*key, *hdrs[SEND_MAX_HEADERS + 8];
	char			**pos = NULL, *path = NULL, *text = NULL;
	char			*stdin_secret = NULL, *msgid = NULL, *line, *eol;
	json_t			*d;
	enum provider		 preset;
	size_t			 len, n = 0, i;
	int			 npos, status = 1;

	memset(&a, 0, sizeof(a));
	if (cli_getopt(cli, &cmd_send, argc, argv, opts, send_opt, &a, &pos,
	    &npos, &status) == -1)
		goto out;
	if (a.data != NULL && a.file != NULL) {
		status = cli_usage_error(&cmd_send, "--data and --file exclude "
		    "each other");
		goto out;
	}
	status = 1;
	if (a.file != NULL) {
		if (cli_read_file(a.file, CLI_MAX_READ, &text, &len) == -1)
			goto out;
	} else {
		text = xstrdup(a.data != NULL ? a.data : default_body);
		len = strlen(text);
	}
	if (a.secret != NULL && strcmp(a.secret, "-") == 0) {
		if ((stdin_secret = cli_secret_stdin_new()) == NULL)
			goto out;
		a.secret = stdin_secret;
	}
	path = trigger_path_new(pos[0], NULL);
	if (cli_api(cli, "GET", path, NULL, NULL, &trig) == -1)
		goto out;
	d = json_object_get(trig.json, "data");
	if ((key = cli_json_str(d, "webhook_key")) == NULL) {
		cli_err("trigger %s has no webhook key: run 'hookpost trigger "
		    "enable %s' first", pos[0], pos[0]);
		goto out;
	}
	if (provider_parse(cli_json_str(d, "preset"), &preset) == -1)
		preset = PROVIDER_NONE;
	if (a.secret != NULL) {
		if ((msgid = crypt_token_new("msg_", 24)) == NULL ||
		    provider_sign(preset, cli_json_str(json_object_get(d,
		    "hmac"), "algorithm"), a.secret, text, len, msgid,
		    (long long)time(NULL), &sig) == -1) {
			cli_err("cannot sign with this secret (the standard "
			    "preset needs whsec_<base64>)");
			goto out;
		}
	} else if (json_is_true(json_object_get(json_object_get(d, "hmac"),
	    "enabled")))
		cli_warn("trigger %s verifies signatures; without --secret "
		    "the request is unsigned", pos[0]);
	/* provider_sign's "Name: value\r\n" lines become curl headers. */
	for (line = sig.data; line != NULL && *line != '\0'; line = eol + 2) {
		if ((eol = strstr(line, "\r\n")) == NULL)
			break;
		*eol = '\0';
		hdrs[n++] = line;
	}
	for (i = 0; i < a.nheaders; i++)
		hdrs[n++] = a.headers[i];
	hdrs[n] = NULL;
	buf_append(&rpath, "/api/v1/webhooks/", 17);
	cli_url_escape(&rpath, key);
	if (cli_http(cli, "POST", rpath.data, text, len, hdrs, 0, &resp) == -1)
		goto out;
	if (cli_answer_print(cli, &resp) == -1)
		goto out;
	status = 0;
out:
	cli_resp_free(&trig);
	cli_resp_free(&resp);
	buf_free(&sig);
	buf_free(&rpath);
	if (stdin_secret != NULL) {
		explicit_bzero(stdin_secret, strlen(stdin_secret));
		free(stdin_secret);
	}
	free(msgid);
	free(text);
	free(path);
	free(pos);
	return status;
}

/* `hookpost trigger COMMAND`: main.c's command table runs it. */
const struct cli_sub trigger_cmds[] = {
	{ "create",	   trigger_create,	  "create a trigger" },
	{ "list",	   trigger_list,	  "list triggers" },
	{ "show",	   trigger_show,	  "show a trigger" },
	{ "update",	   trigger_update,	  "change a trigger" },
	{ "rm",		   trigger_rm,		  "delete a trigger" },
	{ "enable",	   trigger_enable,	  "enable webhooks; print "
	    "the key and URL" },
	{ "disable",	   trigger_disable,	  "disable webhooks" },
	{ "regenerate",	   trigger_regenerate,	  "replace every key by "
	    "a new one" },
	{ "webhook",	   trigger_webhook,	  "show the webhook info" },
	{ "key",	   trigger_key,		  "add, list, rm keys "
	    "(rotation)" },
	{ "hmac",	   trigger_hmac,	  "signature verification "
	    "on or off" },
	{ "rate-limit",	   trigger_rate,	  "requests per window "
	    "per key" },
	{ "ip-allowlist",  trigger_allowlist,	  "the IP allow list" },
	{ "payload-limit", trigger_payload_limit, "the body size limit" },
	{ "stats",	   trigger_stats,	  "webhook statistics" },
	{ "events",	   trigger_events,	  "list events" },
	{ "event",	   trigger_event,	  "show one event" },
	{ "send",	   trigger_send,	  "fire the trigger's "
	    "webhook" },
	{ NULL, NULL, NULL }
};
