/*
 * hookpost integration: seed 003's integrations over the admin API
 * (/api/integrations; integrations-contract "The HTTP API"): Slack,
 * Microsoft Teams, PagerDuty and custom webhooks, each a type with its
 * own settings (lib/connector_<type>.c).  The routes need an admin token
 * or one with the manage_settings permission.
 *
 * Settings are KEY=VALUE (a string) or KEY:=JSON (any JSON value; null
 * removes an optional setting), and a value may be read where no shell
 * history or process list sees it: KEY=@env:NAME from the environment,
 * KEY=@- from the first line of standard input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util.h"
#include "valid.h"
#include "cli.h"

#define INTEGRATIONS_PATH	"/api/integrations"

/* The API's ceilings (integrations-contract): checked here for usage. */
#define NAME_MAX_BYTES		256
#define DESCRIPTION_MAX_BYTES	1024
#define RETRY_COUNT_MAX		10
#define SETTING_KEY_MAX		64
#define SETTINGS_MAX		64		/* --config flags at most */
#define SETTINGS_FILE_MAX	(64 * 1024)
#define PAGE_MAX		200	/* the server's page ceilings */
#define DELIVERY_PAGE_MAX	500

enum {
	OPT_EVENTS = OPT_CMD,
	OPT_SETTING,		/* --config KEY=VALUE */
	OPT_SETTINGS_FILE,	/* --config-file FILE.json */
	OPT_SEVERITY,
	OPT_RETRY_COUNT,
	OPT_ENABLED,
	OPT_DISABLED,
	OPT_DESCRIPTION,
	OPT_NAME,
	OPT_TYPE,
	OPT_FILTER_ENABLED
};

#define SETTINGS_HELP \
	"  --config KEY=VALUE     a setting of the type, as a string;\n" \
	"                         repeatable\n" \
	"  --config KEY:=JSON     a setting as any JSON value, e.g.\n" \
	"                         headers:='{\"X-Env\":\"prod\"}'\n" \
	"  --config-file FILE     settings from a JSON object ('-': stdin);\n" \
	"                         --config flags win over its keys\n"

#define FIELDS_HELP \
	"  --events LIST          event types, 'resource.*' or '*';\n" \
	"                         comma-separated, repeatable\n" \
	"  --severity-threshold S only events at least this severe:\n" \
	"                         critical, high, medium, low, info, or\n" \
	"                         none (every event); '*.resolved' events\n" \
	"                         always pass\n" \
	"  --retry-count N        retries of a failed delivery, 0-10\n" \
	"                         (default 3): 30 s, 2 min, 10 min, then\n" \
	"                         5x the last, at most 24 h\n" \
	"  --description TEXT     what it is for (HTML tags are stripped)\n" \
	"  --disabled             created or set disabled: sent nothing\n"

#define SETTINGS_NOTES \
	"\n" \
	"A setting's value may be read rather than typed, which keeps a\n" \
	"secret (webhook URL, routing key) out of the shell history and\n" \
	"the process list:\n" \
	"  --config KEY=@env:NAME the value of environment variable NAME\n" \
	"  --config KEY=@-        the first line of standard input\n" \
	"A secret setting is never shown again: the API answers its hint,\n" \
	"'…' and its last 4 characters.  The CLI config file goes before\n" \
	"the command here: hookpost --config FILE integration ...\n"

static const struct cli_cmd cmd_add = {
	"integration add",
	"usage: hookpost integration add TYPE NAME --events LIST [options]\n"
	"Creates an integration (seed 003) of TYPE: webhook (a custom\n"
	"webhook), slack, teams or pagerduty.  It is active at once (no\n"
	"challenge) unless --disabled.\n"
	"\n"
	FIELDS_HELP
	SETTINGS_HELP
	"  --json                 print the server's JSON\n"
	SETTINGS_NOTES
	"\n"
	"Settings per type:\n"
	"  webhook    url (https), secret (signs X-TW-Signature: sha256=<hex\n"
	"             HMAC-SHA256 of the body>), headers (JSON object)\n"
	"  slack      webhook_url (the incoming webhook URL, a secret)\n"
	"  teams      webhook_url (the Workflows/incoming webhook URL, a\n"
	"             secret)\n"
	"  pagerduty  routing_key (the Events API v2 integration key, a\n"
	"             secret), events_url (default\n"
	"             https://events.pagerduty.com/v2/enqueue)\n"
	"\n"
	"example: hookpost integration add pagerduty \"On-call\" \\\n"
	"           --events 'finding.created,finding.resolved' \\\n"
	"           --severity-threshold critical \\\n"
	"           --config routing_key=@env:PD_ROUTING_KEY\n",
	2, 2, CMD_JSON
};

static const struct cli_cmd cmd_update = {
	"integration update",
	"usage: hookpost integration update ID [options]\n"
	"Changes the given fields only.  Settings given replace theirs; a\n"
	"secret setting not given keeps its value; KEY:=null removes one.\n"
	"A new URL needs the secret settings given again (the server says\n"
	"secret_required): a secret never goes to a host it was not given\n"
	"for.\n"
	"\n"
	"  --name NAME            rename\n"
	FIELDS_HELP
	"  --enabled              enable it again\n"
	SETTINGS_HELP
	"  --json                 print the server's JSON\n"
	SETTINGS_NOTES
	"The settings of each type: hookpost integration add --help.\n",
	1, 1, CMD_JSON
};

static const struct cli_cmd cmd_list = {
	"integration list",
	"usage: hookpost integration list [--type T] [--enabled BOOL]\n"
	"                                 [--limit N] [--cursor C] [--all]\n"
	"                                 [--json] [--config FILE]\n"
	"Lists integrations, newest first (a user token sees its owner's).\n"
	"\n"
	"  --type T        only this type: webhook, slack, teams, pagerduty\n"
	"  --enabled BOOL  only enabled (true) or disabled (false) ones\n"
	"  --limit N       page size (default 50, at most 200)\n"
	"  --cursor C      the next page, as printed after the last one\n"
	"  --all           every page from there on, as one table or one\n"
	"                  JSON array\n",
	0, 0, CMD_API | CMD_ALL
};

static const struct cli_cmd cmd_show = {
	"integration show",
	"usage: hookpost integration show ID [--json] [--config FILE]\n"
	"Shows an integration; each secret setting as its hint only.\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_test = {
	"integration test",
	"usage: hookpost integration test ID [--json] [--config FILE]\n"
	"Test Connection (seed 003): sends an integration.test message\n"
	"through the integration now and prints the outcome, the status code,\n"
	"the response time and the error.  The attempt is in its delivery\n"
	"log.  Exits 0 only when the service took it (and, for PagerDuty,\n"
	"took the resolve of the test alert that follows).\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_rm = {
	"integration rm",
	"usage: hookpost integration rm ID [--config FILE]\n"
	"Deletes an integration and its deliveries.\n",
	1, 1, CMD_CONFIG
};

static const struct cli_cmd cmd_deliveries = {
	"integration deliveries",
	"usage: hookpost integration deliveries ID [--limit N] [--cursor C]\n"
	"                                       [--all] [--json]\n"
	"                                       [--config FILE]\n"
	"The delivery log of an integration, newest first: status, attempts,\n"
	"last status code and error (seed 003 \"Delivery Tracking\").  See\n"
	"one with 'hookpost deliveries show ID', send a failed one again with\n"
	"'hookpost deliveries retry ID'.\n"
	"\n"
	"  --limit N    page size (default 50, at most 500)\n"
	"  --cursor C   the next page, as printed after the last one\n"
	"  --all        every page from there on\n",
	1, 1, CMD_API | CMD_ALL
};

/* --- settings and fields --------------------------------------------- */

static const char *const severities[] = { "critical", "high", "medium",
    "low", "info", NULL };

/* What the flags of add and update build. */
struct int_args {
	const struct cli_cmd	*cmd;
	json_t			*body;		/* every field but config */
	json_t			*config;	/* --config, in order */
	json_t			*env;		/* key: NAME of KEY=@env:NAME */
	char			*stdin_key;	/* KEY of KEY=@- */
	const char		*config_file;
	int			 enabled, disabled;
	int			 nchanges;
};

/* Setting names as the connectors declare them: [A-Za-z0-9_-]{1,64}. */
static int
setting_key_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > SETTING_KEY_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-'))
			return 0;
	return 1;
}

/* An environment variable's name, as POSIX spells portable ones. */
static int
env_name_valid(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	    *s == '_'))
		return 0;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/*
 * --config KEY=VALUE or KEY:=JSON.  A value read later (@env:, @-) holds
 * its key's place with null until it is read.  A key given twice is
 * refused: which one counts would be a guess.  The value is never
 * echoed in a message, since it may be a secret.
 */
static int
setting_add(struct int_args *a, const char *arg)
{
	json_error_t	 jerr;
	const char	*eq, *v;
	json_t		*value;
	char		*key;
	size_t		 klen;
	int		 is_json, rc = -1;

	if ((eq = strchr(arg, '=')) == NULL) {
		cli_usage_reason(a->cmd, "--config: expected KEY=VALUE or "
		    "KEY:=JSON");
		return -1;
	}
	klen = (size_t)(eq - arg);
	if ((is_json = klen > 0 && arg[klen - 1] == ':'))
		klen--;
	if (!setting_key_valid(arg, klen)) {
		cli_usage_reason(a->cmd, "--config: the key must be 1 to %d "
		    "letters, digits, '_' or '-'", SETTING_KEY_MAX);
		return -1;
	}
	key = xstrndup(arg, klen);
	v = eq + 1;
	if (json_object_get(a->config, key) != NULL) {
		cli_usage_reason(a->cmd, "--config: '%s' given twice", key);
		goto out;
	}
	if (json_object_size(a->config) == SETTINGS_MAX) {
		cli_usage_reason(a->cmd, "--config: at most %d settings",
		    SETTINGS_MAX);
		goto out;
	}
	if (is_json) {
		value = json_loads(v, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
		    &jerr);
		if (value == NULL) {
			/* Not jerr.text: it quotes the text, maybe a secret. */
			cli_usage_reason(a->cmd, "--config %s:=: not JSON (at "
			    "character %d)", key, jerr.position);
			goto out;
		}
	} else if (strcmp(v, "@-") == 0) {
		if (a->stdin_key != NULL) {
			cli_usage_reason(a->cmd, "--config: only one setting "
			    "can be read from stdin (%s and %s)",
			    a->stdin_key, key);
			goto out;
		}
		a->stdin_key = xstrdup(key);
		value = json_null();
	} else if (strncmp(v, "@env:", 5) == 0) {
		if (!env_name_valid(v + 5)) {
			cli_usage_reason(a->cmd, "--config %s=@env:NAME: '%s' "
			    "is not an environment variable name", key, v + 5);
			goto out;
		}
		json_object_set_new(a->env, key, json_string(v + 5));
		value = json_null();
	} else
		value = json_string(v);
	if (value == NULL) {
		/* json_string() refuses text that is not UTF-8. */
		cli_usage_reason(a->cmd, "--config %s: the value is not "
		    "UTF-8", key);
		goto out;
	}
	json_object_set_new(a->config, key, value);
	rc = 0;
out:
	free(key);
	return rc;
}

/* "a,b" appended to body[key]: 0, or -1 if a word is empty. */
static int
events_add(struct int_args *a, const char *s)
{
	const char	*comma;
	json_t		*arr, *word;

	if ((arr = json_object_get(a->body, "events")) == NULL) {
		arr = json_array();
		json_object_set_new(a->body, "events", arr);
	}
	for (;;) {
		comma = strchrnul(s, ',');
		if (comma == s) {
			cli_usage_reason(a->cmd, "--events: an empty event "
			    "type");
			return -1;
		}
		if ((word = json_stringn(s, (size_t)(comma - s))) == NULL) {
			cli_usage_reason(a->cmd, "--events: not UTF-8 text");
			return -1;
		}
		json_array_append_new(arr, word);
		if (*comma == '\0')
			return 0;
		s = comma + 1;
	}
}

/* body[key] = arg: 0, or -1 when arg is not UTF-8 (JSON text is). */
static int
text_set(struct int_args *a, const char *flag, const char *key,
    const char *arg)
{
	json_t	*v;

	if ((v = json_string(arg)) == NULL) {
		cli_usage_reason(a->cmd, "%s: not UTF-8 text", flag);
		return -1;
	}
	json_object_set_new(a->body, key, v);
	return 0;
}

static int
int_opt(void *ctx, int ch, char *arg)
{
	struct int_args	*a = ctx;
	long long	 n;

	if (ch == 1)
		return 1;
	a->nchanges++;
	switch (ch) {
	case OPT_EVENTS:
		return events_add(a, arg);
	case OPT_SETTING:
		return setting_add(a, arg);
	case OPT_SETTINGS_FILE:
		if (a->config_file != NULL) {
			cli_usage_reason(a->cmd, "--config-file given twice");
			return -1;
		}
		a->config_file = arg;
		return 0;
	case OPT_SEVERITY:
		if (strcmp(arg, "none") == 0) {
			json_object_set_new(a->body, "severity_threshold",
			    json_null());
			return 0;
		}
		if (!valid_enum(severities, arg)) {
			cli_usage_reason(a->cmd, "--severity-threshold: "
			    "critical, high, medium, low, info or none, not "
			    "'%s'", arg);
			return -1;
		}
		json_object_set_new(a->body, "severity_threshold",
		    json_string(arg));
		return 0;
	case OPT_RETRY_COUNT:
		if (parse_int(arg, 0, RETRY_COUNT_MAX, &n) == -1) {
			cli_usage_reason(a->cmd, "--retry-count: '%s' is not a "
			    "number from 0 to %d", arg, RETRY_COUNT_MAX);
			return -1;
		}
		json_object_set_new(a->body, "retry_count", json_integer(n));
		return 0;
	case OPT_ENABLED:
		a->enabled = 1;
		json_object_set_new(a->body, "enabled", json_true());
		return 0;
	case OPT_DISABLED:
		a->disabled = 1;
		json_object_set_new(a->body, "enabled", json_false());
		return 0;
	case OPT_DESCRIPTION:
		if (strlen(arg) > DESCRIPTION_MAX_BYTES) {
			cli_usage_reason(a->cmd, "--description: at most %d "
			    "bytes", DESCRIPTION_MAX_BYTES);
			return -1;
		}
		return text_set(a, "--description", "description", arg);
	case OPT_NAME:
		if (*arg == '\0' || strlen(arg) > NAME_MAX_BYTES) {
			cli_usage_reason(a->cmd, "--name: 1 to %d bytes",
			    NAME_MAX_BYTES);
			return -1;
		}
		return text_set(a, "--name", "name", arg);
	}
	return 1;
}

/* Usage checks once every flag is known: 0, or EXIT_USAGE (printed). */
static int
int_args_check(struct int_args *a)
{
	if (a->enabled && a->disabled)
		return cli_usage_error(a->cmd, "--enabled and --disabled "
		    "exclude each other");
	if (a->stdin_key != NULL && a->config_file != NULL &&
	    strcmp(a->config_file, "-") == 0)
		return cli_usage_error(a->cmd, "--config-file - and --config "
		    "%s=@- both read stdin", a->stdin_key);
	return 0;
}

/*
 * The settings object: --config-file's keys, then every --config, the
 * values to read (@env:, @-) read now.  Returns a new object, or NULL
 * after reporting why (the exit status is 1: the flags were good).
 */
static json_t *
settings_new(struct int_args *a)
{
	json_error_t	 jerr;
	const char	*key, *name, *v;
	json_t		*config = NULL, *file = NULL, *e;
	char		*text = NULL, *line = NULL;
	size_t		 len;

	if (a->config_file != NULL) {
		if (cli_read_file(a->config_file, SETTINGS_FILE_MAX, &text,
		    &len) == -1)
			goto out;
		file = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
		/* Where, not jerr.text: that quotes the file's secrets. */
		if (file == NULL) {
			cli_err("%s:%d:%d: not JSON", a->config_file,
			    jerr.line, jerr.column);
			goto out;
		}
		if (!json_is_object(file)) {
			cli_err("%s: not a JSON object", a->config_file);
			goto out;
		}
	}
	config = file != NULL ? json_incref(file) : json_object();
	json_object_update(config, a->config);
	json_object_foreach(a->env, key, e) {
		name = json_string_value(e);
		if ((v = getenv(name)) == NULL || *v == '\0') {
			cli_err("--config %s=@env:%s: %s is not set", key, name,
			    name);
			goto fail;
		}
		if ((e = json_string(v)) == NULL) {
			cli_err("--config %s=@env:%s: the value is not UTF-8",
			    key, name);
			goto fail;
		}
		json_object_set_new(config, key, e);
	}
	if (a->stdin_key != NULL) {
		if ((line = cli_secret_stdin_new()) == NULL)
			goto fail;
		if ((e = json_string(line)) == NULL) {
			cli_err("--config %s=@-: the value is not UTF-8",
			    a->stdin_key);
			goto fail;
		}
		json_object_set_new(config, a->stdin_key, e);
	}
	goto out;
fail:
	json_decref(config);
	config = NULL;
out:
	if (line != NULL)
		explicit_bzero(line, strlen(line));
	free(line);
	if (text != NULL)
		explicit_bzero(text, len);
	free(text);
	json_decref(file);
	return config;
}

static void
int_args_free(struct int_args *a)
{
	json_decref(a->body);
	json_decref(a->config);
	json_decref(a->env);
	free(a->stdin_key);
}

/* The options of add; update takes them and --name, --enabled. */
#define INT_LONGOPTS \
	{ "events",	 required_argument, NULL, OPT_EVENTS }, \
	{ "config",	 required_argument, NULL, OPT_SETTING }, \
	{ "config-file", required_argument, NULL, OPT_SETTINGS_FILE }, \
	{ "severity-threshold", required_argument, NULL, OPT_SEVERITY }, \
	{ "retry-count", required_argument, NULL, OPT_RETRY_COUNT }, \
	{ "description", required_argument, NULL, OPT_DESCRIPTION }, \
	{ "disabled",	 no_argument, NULL, OPT_DISABLED }

/* An integration id is a UUID: a typo is a usage error, not a 404. */
static int
id_check(const struct cli_cmd *cmd, const char *id)
{
	if (!uuid_valid(id)) {
		cli_usage_error(cmd, "'%s' is not an integration id (see "
		    "hookpost integration list)", id);
		return -1;
	}
	return 0;
}

/*
 * --json: the body as received.  Else "key: value" lines, each setting
 * on its own line as config.KEY (a secret one as its hint), which reads
 * better than the settings object on one line.
 */
static void
integration_print(struct cli *cli, const struct cli_resp *resp)
{
	const char	*k, *ck;
	json_t		*flat, *v, *cv;
	char		*name;

	if (cli->json || !json_is_object(resp->json)) {
		cli_object_print(cli, resp);
		return;
	}
	flat = json_object();
	json_object_foreach(resp->json, k, v) {
		if (strcmp(k, "config") != 0 || !json_is_object(v) ||
		    json_object_size(v) == 0) {
			json_object_set(flat, k, v);
			continue;
		}
		json_object_foreach(v, ck, cv) {
			name = xasprintf("config.%s", ck);
			json_object_set(flat, name, cv);
			free(name);
		}
	}
	cli_print_object(stdout, flat);
	json_decref(flat);
}

/* --- commands --------------------------------------------------------- */

static int
integration_add(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		INT_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct int_args	 a = { &cmd_add, NULL, NULL, NULL, NULL, NULL, 0, 0,
	    0 };
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	json_t		*body = NULL, *config = NULL;
	char		**pos = NULL;
	int		 npos, status = 1;

	a.body = json_object();
	a.config = json_object();
	a.env = json_object();
	if (cli_getopt(cli, &cmd_add, argc, argv, opts, int_opt, &a, &pos,
	    &npos, &status) == -1)
		goto out;
	if ((status = int_args_check(&a)) != 0)
		goto out;
	if (*pos[0] == '\0') {
		status = cli_usage_error(&cmd_add, "the type is empty");
		goto out;
	}
	if (*pos[1] == '\0' || strlen(pos[1]) > NAME_MAX_BYTES) {
		status = cli_usage_error(&cmd_add, "the name must be 1 to %d "
		    "bytes", NAME_MAX_BYTES);
		goto out;
	}
	if (json_object_get(a.body, "events") == NULL) {
		status = cli_usage_error(&cmd_add, "--events is required");
		goto out;
	}
	status = 1;
	if ((config = settings_new(&a)) == NULL)
		goto out;
	/* The contract's field order, which --json echoes back. */
	body = json_pack("{s:s,s:s}", "type", pos[0], "name", pos[1]);
	if (body == NULL) {
		cli_err("the type or the name is not UTF-8");
		goto out;
	}
	json_object_update(body, a.body);
	json_object_set(body, "config", config);
	if (cli_api(cli, "POST", INTEGRATIONS_PATH, body, NULL, &resp) == -1)
		goto out;
	integration_print(cli, &resp);
	status = 0;
out:
	cli_resp_free(&resp);
	json_decref(config);
	json_decref(body);
	int_args_free(&a);
	free(pos);
	return status;
}

static int
integration_update(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		INT_LONGOPTS,
		{ "enabled", no_argument, NULL, OPT_ENABLED },
		{ "name", required_argument, NULL, OPT_NAME },
		{ NULL, 0, NULL, 0 }
	};
	struct int_args	 a = { &cmd_update, NULL, NULL, NULL, NULL, NULL, 0,
	    0, 0 };
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	json_t		*config = NULL;
	char		**pos = NULL, *path = NULL;
	int		 npos, status = 1;

	a.body = json_object();
	a.config = json_object();
	a.env = json_object();
	if (cli_getopt(cli, &cmd_update, argc, argv, opts, int_opt, &a, &pos,
	    &npos, &status) == -1)
		goto out;
	if (id_check(&cmd_update, pos[0]) == -1) {
		status = EXIT_USAGE;
		goto out;
	}
	if (a.nchanges == 0) {
		status = cli_usage_error(&cmd_update, "nothing to change");
		goto out;
	}
	if ((status = int_args_check(&a)) != 0)
		goto out;
	status = 1;
	/* Settings go only when given: the others keep their values. */
	if (json_object_size(a.config) > 0 || a.config_file != NULL) {
		if ((config = settings_new(&a)) == NULL)
			goto out;
		json_object_set(a.body, "config", config);
	}
	path = cli_item_path_new(INTEGRATIONS_PATH, pos[0], NULL);
	if (cli_api(cli, "PUT", path, a.body, NULL, &resp) == -1)
		goto out;
	integration_print(cli, &resp);
	status = 0;
out:
	cli_resp_free(&resp);
	json_decref(config);
	int_args_free(&a);
	free(path);
	free(pos);
	return status;
}

/* The filters and page of list. */
struct list_args {
	struct cli_page	 page;
	const char	*type, *enabled;
};

static int
list_opt(void *ctx, int ch, char *arg)
{
	struct list_args	*a = ctx;
	int			 b;

	switch (ch) {
	case OPT_TYPE:
		if (!setting_key_valid(arg, strlen(arg))) {
			cli_usage_reason(a->page.cmd, "--type: '%s' is not a "
			    "type", arg);
			return -1;
		}
		a->type = arg;
		return 0;
	case OPT_FILTER_ENABLED:
		if (cli_parse_bool(arg, &b) == -1) {
			cli_usage_reason(a->page.cmd, "--enabled: true or "
			    "false, not '%s'", arg);
			return -1;
		}
		a->enabled = b ? "true" : "false";
		return 0;
	}
	return cli_page_opt(&a->page, ch, arg);
}

static int
integration_list(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "enabled", required_argument, NULL, OPT_FILTER_ENABLED },
		CLI_PAGE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const	 heads[] = { "ID", "TYPE", "NAME",
		"STATUS", "EVENTS", "SEVERITY", "RETRIES", "FAILURES",
		"LAST_SUCCESS" };
	static const char *const	 keys[] = { "id", "type", "name",
		"status", "events", "severity_threshold", "retry_count",
		"publication_failures", "last_successful_use" };
	/* Names are the user's text: cut, so a row stays one line. */
	static const struct cli_list	 list = { &cmd_list, opts,
		INTEGRATIONS_PATH, 9, heads, keys, 2, 40 };
	struct list_args	 a = { { &cmd_list, PAGE_MAX, NULL, NULL },
		NULL, NULL };
	const struct cli_param	 q[] = { { "type", &a.type },
		{ "enabled", &a.enabled }, { "limit", &a.page.limit },
		{ "cursor", &a.page.cursor }, { NULL, NULL } };

	return cli_list_run(cli, &list, argc, argv, list_opt, &a, q);
}

static int
integration_show(struct cli *cli, int argc, char *argv[])
{
	return cli_item_run(cli, &cmd_show, argc, argv, "GET",
	    INTEGRATIONS_PATH, NULL, id_check, integration_print);
}

static int
integration_rm(struct cli *cli, int argc, char *argv[])
{
	return cli_item_run(cli, &cmd_rm, argc, argv, "DELETE",
	    INTEGRATIONS_PATH, NULL, id_check, NULL);
}

/*
 * Test Connection: {"ok", "outcome", "status_code", "response_ms",
 * "error", "delivery_id"}, and "resolve", the same of the second send,
 * when a connector that resolves its test (PagerDuty) failed to.  A test
 * the service did not take, or did not resolve, is exit status 1, so
 * scripts can check a connection.
 */
static int
integration_test(struct cli *cli, int argc, char *argv[])
{
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	const char	*outcome;
	json_t		*second;
	char		**pos = NULL, *path = NULL;
	int		 npos, status = 1;

	if (cli_getopt(cli, &cmd_test, argc, argv, NULL, NULL, NULL, &pos,
	    &npos, &status) == -1)
		goto out;
	if (id_check(&cmd_test, pos[0]) == -1) {
		status = EXIT_USAGE;
		goto out;
	}
	status = 1;
	path = cli_item_path_new(INTEGRATIONS_PATH, pos[0], "/test");
	if (cli_api(cli, "POST", path, NULL, NULL, &resp) == -1)
		goto out;
	cli_object_print(cli, &resp);
	if (!json_is_object(resp.json)) {
		cli_err("the test's answer is not an object");
		goto out;
	}
	if (!json_is_true(json_object_get(resp.json, "ok"))) {
		outcome = cli_json_str(resp.json, "outcome");
		cli_err("the test was not delivered (%s)", outcome != NULL ?
		    outcome : "no outcome");
		goto out;
	}
	/* PagerDuty's test alert, left open when its resolve failed. */
	if ((second = json_object_get(resp.json, "resolve")) != NULL &&
	    !json_is_true(json_object_get(second, "ok"))) {
		cli_err("the test was delivered, but resolving it was not: "
		    "the test message may still be open in the service");
		goto out;
	}
	status = 0;
out:
	cli_resp_free(&resp);
	free(path);
	free(pos);
	return status;
}

static int
integration_deliveries(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		CLI_PAGE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	/* REF: what the service returned, e.g. a PagerDuty dedup_key. */
	static const char *const	 heads[] = { "ID", "STATUS", "EVENT",
		"ATTEMPTS", "CODE", "REF", "ERROR", "CREATED" };
	static const char *const	 keys[] = { "id", "status",
		"event_type", "attempt_count", "last_status_code",
		"external_ref", "last_error", "created_at" };
	struct cli_list		 list = { &cmd_deliveries, opts, NULL, 8,
		heads, keys, 6, 60 };
	struct cli_page		 page = { &cmd_deliveries, DELIVERY_PAGE_MAX,
		NULL, NULL };
	const struct cli_param	 q[] = { { "limit", &page.limit },
		{ "cursor", &page.cursor }, { NULL, NULL } };
	char			**pos = NULL, *path = NULL;
	int			 npos, status = 1;

	/*
	 * The path holds the ID, so the arguments are read once for it;
	 * cli_list_run() reads them again, the same way, for the rest.
	 */
	if (cli_getopt(cli, &cmd_deliveries, argc, argv, opts, cli_page_opt,
	    &page, &pos, &npos, &status) == -1)
		goto out;
	if (id_check(&cmd_deliveries, pos[0]) == -1) {
		status = EXIT_USAGE;
		goto out;
	}
	path = cli_item_path_new(INTEGRATIONS_PATH, pos[0], "/deliveries");
	list.path = path;
	status = cli_list_run(cli, &list, argc, argv, NULL, &page, q);
out:
	free(path);
	free(pos);
	return status;
}

/* `hookpost integration COMMAND`: main.c's command table runs it. */
const struct cli_sub integration_cmds[] = {
	{ "add",	integration_add,	"create an integration" },
	{ "list",	integration_list,	"list integrations" },
	{ "show",	integration_show,	"show an integration" },
	{ "update",	integration_update,	"change an integration" },
	{ "test",	integration_test,	"send a test message now" },
	{ "rm",		integration_rm,		"delete an integration" },
	{ "deliveries",	integration_deliveries,	"an integration's delivery "
	    "log" },
	{ NULL, NULL, NULL }
};
