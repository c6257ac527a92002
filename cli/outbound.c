/*
 * hookpost sub, deliveries, emit, quota and event-types: the outbound
 * side over the admin API (seed 000: subscriptions, deliveries, quotas;
 * issue 4: publishing and the event catalog).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util.h"
#include "valid.h"
#include "cli.h"

#define SUBS_PATH	"/admin/webhooks/subscriptions"
#define DELIVERIES_PATH	"/admin/webhooks/deliveries"
#define QUOTAS_PATH	"/admin/quotas/webhooks"
#define EVENT_TYPES_PATH "/api/event-types"

enum {
	OPT_URL = OPT_CMD,
	OPT_EVENTS,
	OPT_SECRET,
	OPT_THREAT_MODEL,
	OPT_NO_THREAT_MODEL,
	OPT_RETRY_SCHEDULE,
	OPT_DEFAULT_RETRY,
	OPT_MAX_CONCURRENCY,
	OPT_OWNER,
	OPT_NAME,
	OPT_STATUS,
	OPT_ROTATE_SECRET,
	OPT_GRACE,
	OPT_SUBSCRIPTION,
	OPT_EVENT_TYPE,
	OPT_OBJECT_TYPE,
	OPT_OBJECT_ID,
	OPT_DATA,
	OPT_DESCRIPTION,
	OPT_MAX_SUBS,
	OPT_MAX_EVENTS,
	OPT_MAX_RPM,
	OPT_MAX_RPD
};

#define COMMON_OPTIONS \
	"  --json                 print the server's JSON\n" \
	"  --config FILE          CLI config file (url=, token=)\n"

/* --- commands --------------------------------------------------------- */

static const struct cli_cmd cmd_sub_add = {
	"sub add",
	"usage: hookpost sub add NAME --url URL --events LIST [options]\n"
	"Creates an outbound subscription (seed 000).  It stays\n"
	"pending_verification until the endpoint answers the challenge.  The\n"
	"secret is printed now and never again.\n"
	"\n"
	"  --url URL              the endpoint: https (http only where the\n"
	"                         server allows it), a DNS name, not denied\n"
	"  --events LIST          event types, 'resource.*' or '*';\n"
	"                         comma-separated, repeatable\n"
	"  --secret S             HMAC secret, 8-512 bytes; '-' reads stdin\n"
	"                         (omit: the server generates whsec_...)\n"
	"  --threat-model ID      only events of this threat model\n"
	"  --retry-schedule LIST  retry delays in seconds, e.g. 0,60,300\n"
	"  --max-concurrency N    deliveries in flight to it at once (1-64)\n"
	"  --owner ID             (admin) the owner it belongs to\n"
	COMMON_OPTIONS
	"\n"
	"example: hookpost sub add \"My Integration\" \\\n"
	"           --url https://your-domain.com/webhooks/tmi \\\n"
	"           --events threat_model.created,threat_model.updated\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_sub_update = {
	"sub update",
	"usage: hookpost sub update ID [options]\n"
	"Changes the given settings only.  A new URL is verified again.\n"
	"\n"
	"  --name NAME            rename\n"
	"  --url URL              a new endpoint (verified again)\n"
	"  --events LIST          replace the event types (comma-separated,\n"
	"                         repeatable)\n"
	"  --threat-model ID      only events of this threat model\n"
	"  --no-threat-model      events of every threat model\n"
	"  --retry-schedule LIST  retry delays in seconds, e.g. 0,60,300\n"
	"  --default-retry-schedule  the server's default schedule\n"
	"  --max-concurrency N    deliveries in flight at once (1-64)\n"
	"  --status S             active or disabled (admin), or\n"
	"                         pending_verification to verify again\n"
	"  --rotate-secret        a new generated secret, printed once\n"
	"  --secret S             a new given secret ('-' reads stdin)\n"
	"  --grace SECONDS        how long the old secret still signs\n"
	"                         (default 86400, at most 604800)\n"
	COMMON_OPTIONS,
	1, 1, CMD_API
};

static const struct cli_cmd cmd_sub_list = {
	"sub list",
	"usage: hookpost sub list [--status S] [--owner ID] [--limit N]\n"
	"                         [--cursor C] [--all] [--json]\n"
	"                         [--config FILE]\n"
	"Lists subscriptions, newest first (a user token sees its own).\n"
	"\n"
	"  --status S   pending_verification, active, disabled or\n"
	"               pending_delete\n"
	"  --owner ID   (admin) only this owner's\n"
	"  --limit N    page size (default 50, at most 200)\n"
	"  --cursor C   the next page, as printed after the last one\n"
		"  --all        every page from there on (the server's Link\n"
	"               header), as one table or one JSON array\n",
	0, 0, CMD_API | CMD_ALL
};

static const struct cli_cmd cmd_sub_show = {
	"sub show",
	"usage: hookpost sub show ID [--json] [--config FILE]\n"
	"Shows one subscription (never its secret).\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_sub_test = {
	"sub test",
	"usage: hookpost sub test ID [--json] [--config FILE]\n"
	"Queues a webhook.test event for this subscription alone and prints\n"
	"the delivery id (see: hookpost deliveries show ID).\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_sub_rm = {
	"sub rm",
	"usage: hookpost sub rm ID [--config FILE]\n"
	"Deletes a subscription and its deliveries.\n",
	1, 1, CMD_CONFIG
};

static const struct cli_cmd cmd_dlv_list = {
	"deliveries list",
	"usage: hookpost deliveries list [--subscription ID]\n"
	"                                [--integration ID] [--status S]\n"
	"                                [--event-type T] [--limit N]\n"
	"                                [--cursor C] [--all] [--json]\n"
	"                                [--config FILE]\n"
	"Lists deliveries, newest first: subscriptions' and integrations'\n"
	"(seed 003; TYPE and NAME say whose).\n"
	"\n"
	"  --subscription ID  only this subscription's\n"
	"  --integration ID   only this integration's (the same filter)\n"
	"  --status S         pending, sending, in_progress, delivered,\n"
	"                     failed or cancelled\n"
	"  --event-type T     only this event type\n"
	"  --limit N          page size (default 50, at most 500)\n"
	"  --cursor C         the next page, as printed after the last one\n"
		"  --all              every page from there on (the server's\n"
	"                     Link header), as one table or one JSON\n"
	"                     array\n",
	0, 0, CMD_API | CMD_ALL
};

static const struct cli_cmd cmd_dlv_show = {
	"deliveries show",
	"usage: hookpost deliveries show ID [--json] [--config FILE]\n"
	"Shows a delivery, the body it sends and every attempt.\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_dlv_retry = {
	"deliveries retry",
	"usage: hookpost deliveries retry ID [--json] [--config FILE]\n"
	"Sends a failed or cancelled delivery again, from its first attempt.\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_emit_usage = {
	"emit",
	"usage: hookpost emit EVENT_TYPE [--object-type T] [--object-id ID]\n"
	"                     [--threat-model ID] [--owner ID] [--data JSON]\n"
	"                     [--json] [--config FILE]\n"
	"Publishes an event (POST /api/events; an admin or service token):\n"
	"every matching active subscription gets a delivery.  Prints the\n"
	"event id.\n"
	"\n"
	"  --data JSON   the event's data object; '-' reads it from stdin\n"
	"\n"
	"example: hookpost emit threat_model.created \\\n"
	"           --object-type threat_model \\\n"
	"           --object-id 550e8400-e29b-41d4-a716-446655440000 \\\n"
	"           --data '{\"name\":\"Production API Threat Model\"}'\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_quota_list = {
	"quota list",
	"usage: hookpost quota list [--limit N] [--cursor C] [--all] [--json]\n"
	"                           [--config FILE]\n"
	"Lists the owners with custom quotas (admin).\n"
	"\n"
	"  --limit N    page size (default 100, at most 500)\n"
	"  --cursor C   the next page, as printed after the last one\n"
		"  --all        every page from there on (the server's Link\n"
	"               header), as one table or one JSON array\n",
	0, 0, CMD_API | CMD_ALL
};

static const struct cli_cmd cmd_quota_show = {
	"quota show",
	"usage: hookpost quota show OWNER [--json] [--config FILE]\n"
	"Shows an owner's effective quota: custom, or the defaults.\n",
	1, 1, CMD_API
};

static const struct cli_cmd cmd_quota_set = {
	"quota set",
	"usage: hookpost quota set OWNER [options]\n"
	"Sets an owner's quota (admin); a limit not given takes the default\n"
	"(seed 000: 10 subscriptions, 12 events, 10 requests per minute, 20\n"
	"per day).\n"
	"\n"
	"  --max-subscriptions N\n"
	"  --max-events-per-minute N\n"
	"  --max-requests-per-minute N   subscription create/update requests\n"
	"  --max-requests-per-day N\n"
	COMMON_OPTIONS,
	1, 1, CMD_API
};

static const struct cli_cmd cmd_quota_rm = {
	"quota rm",
	"usage: hookpost quota rm OWNER [--config FILE]\n"
	"Removes an owner's custom quota: the defaults apply again.\n",
	1, 1, CMD_CONFIG
};

static const struct cli_cmd cmd_et_list = {
	"event-types list",
	"usage: hookpost event-types list [--limit N] [--cursor C] [--json]\n"
	"                                 [--config FILE]\n"
	"Lists the event catalog: the types a subscription may name.\n",
	0, 0, CMD_API
};

static const struct cli_cmd cmd_et_add = {
	"event-types add",
	"usage: hookpost event-types add NAME [--description D] [--json]\n"
	"                                [--config FILE]\n"
	"Adds an event type {resource}.{action} to the catalog (admin).\n",
	1, 1, CMD_API
};

/* --- shared ----------------------------------------------------------- */

static const char *const sub_statuses[] = { "pending_verification",
    "active", "disabled", "pending_delete", NULL };
static const char *const delivery_statuses[] = { "pending", "sending",
    "in_progress", "delivered", "failed", "cancelled", NULL };

/* Appends the comma-separated words of s to arr: 0, or -1 if one is empty. */
static int
list_append(json_t *arr, const char *s)
{
	const char	*comma;

	for (;;) {
		comma = strchrnul(s, ',');
		if (comma == s)
			return -1;
		json_array_append_new(arr, json_stringn(s,
		    (size_t)(comma - s)));
		if (*comma == '\0')
			return 0;
		s = comma + 1;
	}
}

/* "0,60,300" as a JSON array of integers in [min, max]: 0 or -1. */
static int
int_list_parse(const char *s, long long min, long long max, json_t **out)
{
	json_t		*arr, *words, *w;
	long long	 n;
	size_t		 i;

	arr = json_array();
	words = json_array();
	if (list_append(words, s) == -1)
		goto bad;
	json_array_foreach(words, i, w) {
		if (parse_int(json_string_value(w), min, max, &n) == -1)
			goto bad;
		json_array_append_new(arr, json_integer(n));
	}
	json_decref(words);
	*out = arr;
	return 0;
bad:
	json_decref(words);
	json_decref(arr);
	return -1;
}

/* A number option into body[key]: 0, or -1 after a reason. */
static int
int_field_set(const struct cli_cmd *cmd, json_t *body, const char *key,
    const char *opt, const char *arg, long long min, long long max)
{
	long long	 n;

	if (parse_int(arg, min, max, &n) == -1) {
		cli_usage_reason(cmd, "%s: '%s' is not a number from %lld to "
		    "%lld", opt, arg, min, max);
		return -1;
	}
	json_object_set_new(body, key, json_integer(n));
	return 0;
}

/* Prints a single object (or --json), then warns about a secret. */
static void
object_output(struct cli *cli, const struct cli_resp *resp)
{
	if (cli->json)
		cli_resp_print_raw(resp);
	else if (json_is_object(resp->json))
		cli_print_object(stdout, resp->json);
	/* seed 000: the secret is shown once, on creation and rotation. */
	if (cli_json_str(resp->json, "secret") != NULL)
		cli_warn("the secret is shown only now: store it to verify "
		    "X-Webhook-Signature");
}

/* Paging and filters of the list commands. */
struct list_args {
	struct cli_page		 page;
	const char		*status, *owner, *subscription, *event_type;
};

static int
list_opt(void *ctx, int ch, char *arg)
{
	struct list_args	*a = ctx;

	switch (ch) {
	case OPT_STATUS:
		if (!valid_enum(a->page.cmd == &cmd_sub_list ? sub_statuses :
		    delivery_statuses, arg)) {
			cli_usage_reason(a->page.cmd, "unknown status '%s'",
			    arg);
			return -1;
		}
		a->status = arg;
		return 0;
	case OPT_OWNER:
		a->owner = arg;
		return 0;
	case OPT_SUBSCRIPTION:
		a->subscription = arg;
		return 0;
	case OPT_EVENT_TYPE:
		a->event_type = arg;
		return 0;
	}
	return cli_page_opt(&a->page, ch, arg);
}

/* A list with a.* as query parameters: the exit status. */
static int
list_run(struct cli *cli, const struct cli_list *l, int argc, char *argv[],
    struct list_args *a)
{
	const struct cli_param	 q[] = { { "limit", &a->page.limit },
		{ "cursor", &a->page.cursor }, { "status", &a->status },
		{ "owner_id", &a->owner },
		{ "subscription_id", &a->subscription },
		{ "event_type", &a->event_type }, { NULL, NULL } };

	return cli_list_run(cli, l, argc, argv, list_opt, a, q);
}

/* --- sub -------------------------------------------------------------- */

/* What the subscription flags build: the body of POST or PUT. */
struct sub_args {
	const struct cli_cmd	*cmd;
	json_t			*body;
	int			 secret_stdin;	/* --secret - */
	int			 nchanges;
};

static int
sub_opt(void *ctx, int ch, char *arg)
{
	struct sub_args	*a = ctx;
	json_t		*arr;

	if (ch == 1)
		return 1;
	a->nchanges++;
	switch (ch) {
	case OPT_URL:
		json_object_set_new(a->body, "url", json_string(arg));
		return 0;
	case OPT_NAME:
		json_object_set_new(a->body, "name", json_string(arg));
		return 0;
	case OPT_EVENTS:
		if ((arr = json_object_get(a->body, "events")) == NULL) {
			arr = json_array();
			json_object_set_new(a->body, "events", arr);
		}
		if (list_append(arr, arg) == -1) {
			cli_usage_reason(a->cmd, "--events: an empty event "
			    "type in '%s'", arg);
			return -1;
		}
		return 0;
	case OPT_SECRET:
		/* Read after parsing: a failed read is an error, not usage. */
		if ((a->secret_stdin = strcmp(arg, "-") == 0))
			return 0;
		json_object_set_new(a->body, "secret", json_string(arg));
		return 0;
	case OPT_THREAT_MODEL:
		json_object_set_new(a->body, "threat_model_id",
		    json_string(arg));
		return 0;
	case OPT_NO_THREAT_MODEL:
		json_object_set_new(a->body, "threat_model_id", json_null());
		return 0;
	case OPT_RETRY_SCHEDULE:
		if (int_list_parse(arg, 0, 86400, &arr) == -1) {
			cli_usage_reason(a->cmd, "--retry-schedule: expected "
			    "seconds from 0 to 86400 separated by commas, not "
			    "'%s'", arg);
			return -1;
		}
		json_object_set_new(a->body, "retry_schedule", arr);
		return 0;
	case OPT_DEFAULT_RETRY:
		json_object_set_new(a->body, "retry_schedule", json_null());
		return 0;
	case OPT_MAX_CONCURRENCY:
		return int_field_set(a->cmd, a->body, "max_concurrency",
		    "--max-concurrency", arg, 1, 64);
	case OPT_OWNER:
		json_object_set_new(a->body, "owner_id", json_string(arg));
		return 0;
	case OPT_STATUS:
		if (!valid_enum(sub_statuses, arg) ||
		    strcmp(arg, "pending_delete") == 0) {
			cli_usage_reason(a->cmd, "--status: active, disabled "
			    "or pending_verification, not '%s'", arg);
			return -1;
		}
		json_object_set_new(a->body, "status", json_string(arg));
		return 0;
	case OPT_ROTATE_SECRET:
		json_object_set_new(a->body, "rotate_secret", json_true());
		return 0;
	case OPT_GRACE:
		return int_field_set(a->cmd, a->body, "grace_seconds",
		    "--grace", arg, 0, 604800);
	}
	return 1;
}

/* `--secret -`: the secret from stdin, once the flags are known good. */
static int
sub_secret_stdin(struct sub_args *a)
{
	char	*s;

	if (!a->secret_stdin)
		return 0;
	if ((s = cli_secret_stdin_new()) == NULL)
		return -1;
	json_object_set_new(a->body, "secret", json_string(s));
	explicit_bzero(s, strlen(s));
	free(s);
	return 0;
}

static int
sub_add(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "url", required_argument, NULL, OPT_URL },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "secret", required_argument, NULL, OPT_SECRET },
		{ "threat-model", required_argument, NULL, OPT_THREAT_MODEL },
		{ "retry-schedule", required_argument, NULL,
		  OPT_RETRY_SCHEDULE },
		{ "max-concurrency", required_argument, NULL,
		  OPT_MAX_CONCURRENCY },
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ NULL, 0, NULL, 0 }
	};
	struct sub_args	 a = { &cmd_sub_add, NULL, 0, 0 };
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	json_t		*body = NULL;
	char		**pos = NULL;
	int		 npos, status = 1;

	a.body = json_object();
	if (cli_getopt(cli, &cmd_sub_add, argc, argv, opts, sub_opt, &a, &pos,
	    &npos, &status) == -1)
		goto out;
	if (*pos[0] == '\0') {
		status = cli_usage_error(&cmd_sub_add, "the name is empty");
		goto out;
	}
	if (json_object_get(a.body, "url") == NULL ||
	    json_object_get(a.body, "events") == NULL) {
		status = cli_usage_error(&cmd_sub_add, "--url and --events are "
		    "required");
		goto out;
	}
	status = 1;
	if (sub_secret_stdin(&a) == -1)
		goto out;
	/* "name" first, as in the seed's curl example. */
	body = json_pack("{s:s}", "name", pos[0]);
	json_object_update(body, a.body);
	if (cli_api(cli, "POST", SUBS_PATH, body, NULL, &resp) == -1)
		goto out;
	object_output(cli, &resp);
	status = 0;
out:
	cli_resp_free(&resp);
	json_decref(body);
	json_decref(a.body);
	free(pos);
	return status;
}

static int
sub_update(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "name", required_argument, NULL, OPT_NAME },
		{ "url", required_argument, NULL, OPT_URL },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "threat-model", required_argument, NULL, OPT_THREAT_MODEL },
		{ "no-threat-model", no_argument, NULL, OPT_NO_THREAT_MODEL },
		{ "retry-schedule", required_argument, NULL,
		  OPT_RETRY_SCHEDULE },
		{ "default-retry-schedule", no_argument, NULL,
		  OPT_DEFAULT_RETRY },
		{ "max-concurrency", required_argument, NULL,
		  OPT_MAX_CONCURRENCY },
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "rotate-secret", no_argument, NULL, OPT_ROTATE_SECRET },
		{ "secret", required_argument, NULL, OPT_SECRET },
		{ "grace", required_argument, NULL, OPT_GRACE },
		{ NULL, 0, NULL, 0 }
	};
	struct sub_args	 a = { &cmd_sub_update, NULL, 0, 0 };
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	char		**pos = NULL, *path = NULL;
	int		 npos, status = 1, secret;

	a.body = json_object();
	if (cli_getopt(cli, &cmd_sub_update, argc, argv, opts, sub_opt, &a,
	    &pos, &npos, &status) == -1)
		goto out;
	if (a.nchanges == 0) {
		status = cli_usage_error(&cmd_sub_update, "nothing to change");
		goto out;
	}
	secret = json_object_get(a.body, "secret") != NULL || a.secret_stdin;
	if (secret && json_object_get(a.body, "rotate_secret") != NULL) {
		status = cli_usage_error(&cmd_sub_update, "--secret and "
		    "--rotate-secret exclude each other");
		goto out;
	}
	if (!secret && json_object_get(a.body, "rotate_secret") == NULL &&
	    json_object_get(a.body, "grace_seconds") != NULL) {
		status = cli_usage_error(&cmd_sub_update, "--grace goes with "
		    "--rotate-secret or --secret");
		goto out;
	}
	status = 1;
	if (sub_secret_stdin(&a) == -1)
		goto out;
	path = cli_item_path_new(SUBS_PATH, pos[0], NULL);
	if (cli_api(cli, "PUT", path, a.body, NULL, &resp) == -1)
		goto out;
	object_output(cli, &resp);
	status = 0;
out:
	cli_resp_free(&resp);
	json_decref(a.body);
	free(path);
	free(pos);
	return status;
}

static int
sub_list(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "owner",  required_argument, NULL, OPT_OWNER },
		CLI_PAGE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const	 heads[] = { "ID", "STATUS", "NAME",
		"OWNER", "EVENTS", "URL", "FAILURES", "LAST_SUCCESS" };
	static const char *const	 keys[] = { "id", "status", "name",
		"owner_id", "events", "url", "publication_failures",
		"last_successful_use" };
	static const struct cli_list	 list = { &cmd_sub_list, opts,
		SUBS_PATH, 8, heads, keys, 0, 0 };
	/* Page ceilings are the server's (handlers/outbound.c). */
	struct list_args	 a = { { &cmd_sub_list, 200, NULL, NULL },
		NULL, NULL, NULL, NULL };

	return list_run(cli, &list, argc, argv, &a);
}

static int
sub_show(struct cli *cli, int argc, char *argv[])
{
	return cli_item_run(cli, &cmd_sub_show, argc, argv, "GET",
	    SUBS_PATH, NULL, NULL, object_output);
}

static int
sub_test(struct cli *cli, int argc, char *argv[])
{
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	const char	*id, *st;
	char		**pos = NULL, *path = NULL;
	int		 npos, status = 1;

	if (cli_getopt(cli, &cmd_sub_test, argc, argv, NULL, NULL, NULL, &pos,
	    &npos, &status) == -1)
		goto out;
	status = 1;
	path = cli_item_path_new(SUBS_PATH, pos[0], "/test");
	if (cli_api(cli, "POST", path, NULL, NULL, &resp) == -1)
		goto out;
	if (cli->json)
		cli_resp_print_raw(&resp);
	else if ((id = cli_json_str(resp.json, "delivery_id")) != NULL) {
		cli_fput_safe(stdout, id, 0);
		fputc('\n', stdout);
		st = cli_json_str(resp.json, "subscription_status");
		if (st != NULL && strcmp(st, "active") != 0)
			cli_warn("the subscription is %s, not active: the "
			    "delivery worker will cancel this delivery", st);
	}
	status = 0;
out:
	cli_resp_free(&resp);
	free(path);
	free(pos);
	return status;
}

static int
sub_rm(struct cli *cli, int argc, char *argv[])
{
	return cli_item_run(cli, &cmd_sub_rm, argc, argv, "DELETE",
	    SUBS_PATH, NULL, NULL, object_output);
}

/* `hookpost sub COMMAND`: main.c's command table runs it. */
const struct cli_sub sub_cmds[] = {
	{ "add",    sub_add,    "create a subscription" },
	{ "list",   sub_list,   "list subscriptions" },
	{ "show",   sub_show,   "show a subscription" },
	{ "update", sub_update, "change a subscription, or rotate its "
	    "secret" },
	{ "test",   sub_test,   "queue a webhook.test delivery" },
	{ "rm",	    sub_rm,	"delete a subscription" },
	{ NULL, NULL, NULL }
};

/* --- deliveries ------------------------------------------------------- */

static int
dlv_list(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "subscription", required_argument, NULL, OPT_SUBSCRIPTION },
		/* an integration is a subscription with a type (sql/018) */
		{ "integration", required_argument, NULL, OPT_SUBSCRIPTION },
		{ "status",	  required_argument, NULL, OPT_STATUS },
		{ "event-type", required_argument, NULL, OPT_EVENT_TYPE },
		CLI_PAGE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	/* TYPE: hookpost (seed 000), or an integration's (seed 003). */
	static const char *const	 heads[] = { "ID", "STATUS", "EVENT",
		"ATTEMPTS", "CODE", "SUBSCRIPTION", "TYPE", "NAME",
		"CREATED" };
	static const char *const	 keys[] = { "id", "status",
		"event_type", "attempt_count", "last_status_code",
		"subscription_id", "subscription_type", "subscription_name",
		"created_at" };
	static const struct cli_list	 list = { &cmd_dlv_list, opts,
		DELIVERIES_PATH, 9, heads, keys, 7, 30 };
	struct list_args	 a = { { &cmd_dlv_list, 500, NULL, NULL },
		NULL, NULL, NULL, NULL };

	return list_run(cli, &list, argc, argv, &a);
}

static int
dlv_show(struct cli *cli, int argc, char *argv[])
{
	static const char *const	 heads[] = { "ATTEMPT", "STARTED",
		"STATUS_CODE", "MS", "ERROR" };
	static const char *const	 keys[] = { "attempt", "started_at",
		"status_code", "response_ms", "error" };
	struct cli_resp		 resp = { 0, NULL, 0, NULL };
	struct cli_table	*t = NULL;
	json_t			*obj, *attempts, *e;
	char			**pos = NULL, *path = NULL, *payload = NULL;
	size_t			 i;
	int			 npos, status = 1;

	if (cli_getopt(cli, &cmd_dlv_show, argc, argv, NULL, NULL, NULL, &pos,
	    &npos, &status) == -1)
		goto out;
	status = 1;
	path = cli_item_path_new(DELIVERIES_PATH, pos[0], NULL);
	if (cli_api(cli, "GET", path, NULL, NULL, &resp) == -1)
		goto out;
	if (cli->json || !json_is_object(resp.json)) {
		cli_resp_print_raw(&resp);
		status = 0;
		goto out;
	}
	obj = resp.json;
	attempts = json_incref(json_object_get(obj, "attempts"));
	if (json_object_get(obj, "payload") != NULL)
		payload = json_dumps(json_object_get(obj, "payload"),
		    JSON_COMPACT | JSON_ENCODE_ANY);
	json_object_del(obj, "attempts");
	json_object_del(obj, "payload");
	cli_print_object(stdout, obj);
	if (payload != NULL) {
		fputs("\npayload:\n", stdout);
		cli_fput_safe(stdout, payload, 0);
		fputc('\n', stdout);
	}
	fputs("\nattempts:\n", stdout);
	t = cli_table_new(5, heads);
	cli_table_max(t, 4, 80);
	json_array_foreach(attempts, i, e)
		cli_table_add_json(t, e, keys);
	cli_table_print(stdout, t);
	json_decref(attempts);
	status = 0;
out:
	cli_table_free(t);
	cli_resp_free(&resp);
	free(payload);
	free(path);
	free(pos);
	return status;
}

static int
dlv_retry(struct cli *cli, int argc, char *argv[])
{
	return cli_item_run(cli, &cmd_dlv_retry, argc, argv, "POST",
	    DELIVERIES_PATH, "/retry", NULL, object_output);
}

/* `hookpost deliveries COMMAND`: main.c's command table runs it. */
const struct cli_sub deliveries_cmds[] = {
	{ "list",  dlv_list,  "list deliveries" },
	{ "show",  dlv_show,  "show a delivery and its attempts" },
	{ "retry", dlv_retry, "send a failed delivery again" },
	{ NULL, NULL, NULL }
};

/* --- emit ------------------------------------------------------------- */

struct emit_args {
	json_t	*body;
	char	*data;		/* --data, "-" for stdin */
};

static int
emit_opt(void *ctx, int ch, char *arg)
{
	struct emit_args	*a = ctx;
	const char		*key = NULL;

	switch (ch) {
	case OPT_OBJECT_TYPE:
		key = "object_type";
		break;
	case OPT_OBJECT_ID:
		key = "object_id";
		break;
	case OPT_THREAT_MODEL:
		key = "threat_model_id";
		break;
	case OPT_OWNER:
		key = "owner_id";
		break;
	case OPT_DATA:
		a->data = arg;
		return 0;
	default:
		return 1;
	}
	json_object_set_new(a->body, key, json_string(arg));
	return 0;
}

int
cmd_emit(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "object-type",  required_argument, NULL, OPT_OBJECT_TYPE },
		{ "object-id", required_argument, NULL, OPT_OBJECT_ID },
		{ "threat-model", required_argument, NULL, OPT_THREAT_MODEL },
		{ "owner",	  required_argument, NULL, OPT_OWNER },
		{ "data",	  required_argument, NULL, OPT_DATA },
		{ NULL, 0, NULL, 0 }
	};
	struct emit_args	 a = { NULL, NULL };
	struct cli_resp		 resp = { 0, NULL, 0, NULL };
	json_error_t		 jerr;
	json_t			*body = NULL, *data = NULL;
	const char		*id;
	char			**pos = NULL, *text = NULL;
	size_t			 len;
	int			 npos, status = 1;

	a.body = json_object();
	if (cli_getopt(cli, &cmd_emit_usage, argc, argv, opts, emit_opt, &a,
	    &pos, &npos, &status) == -1)
		goto out;
	if (a.data != NULL && strcmp(a.data, "-") != 0) {
		data = json_loads(a.data, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(data)) {
			status = cli_usage_error(&cmd_emit_usage, "--data: a "
			    "JSON object is needed%s%s", data == NULL ? ": " :
			    "", data == NULL ? jerr.text : "");
			goto out;
		}
	}
	status = 1;
	if (a.data != NULL && strcmp(a.data, "-") == 0) {
		if (cli_read_file("-", CLI_MAX_READ, &text, &len) == -1)
			goto out;
		data = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(data)) {
			cli_err("--data -: standard input is not a JSON "
			    "object%s%s", data == NULL ? ": " : "",
			    data == NULL ? jerr.text : "");
			goto out;
		}
	}
	body = json_pack("{s:s}", "event_type", pos[0]);
	json_object_update(body, a.body);
	if (data != NULL)
		json_object_set(body, "data", data);
	if (cli_api(cli, "POST", "/api/events", body, NULL, &resp) == -1)
		goto out;
	if (cli->json)
		cli_resp_print_raw(&resp);
	else if ((id = cli_json_str(resp.json, "event_id")) != NULL) {
		cli_fput_safe(stdout, id, 0);
		fputc('\n', stdout);
	}
	status = 0;
out:
	cli_resp_free(&resp);
	json_decref(body);
	json_decref(data);
	json_decref(a.body);
	free(text);
	free(pos);
	return status;
}

/* --- quota ------------------------------------------------------------ */

static int
quota_list(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		CLI_PAGE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const	 heads[] = { "OWNER", "SUBSCRIPTIONS",
		"EVENTS/MIN", "REQUESTS/MIN", "REQUESTS/DAY", "UPDATED" };
	static const char *const	 keys[] = { "owner_id",
		"max_subscriptions", "max_events_per_minute",
		"max_subscription_requests_per_minute",
		"max_subscription_requests_per_day", "updated_at" };
	static const struct cli_list	 list = { &cmd_quota_list, opts,
		QUOTAS_PATH, 6, heads, keys, 0, 0 };
	struct list_args	 a = { { &cmd_quota_list, 500, NULL, NULL },
		NULL, NULL, NULL, NULL };

	return list_run(cli, &list, argc, argv, &a);
}

static int
quota_show(struct cli *cli, int argc, char *argv[])
{
	return cli_item_run(cli, &cmd_quota_show, argc, argv, "GET",
	    QUOTAS_PATH, NULL, NULL, object_output);
}

static int
quota_opt(void *ctx, int ch, char *arg)
{
	json_t	*body = ctx;

	switch (ch) {
	case OPT_MAX_SUBS:
		return int_field_set(&cmd_quota_set, body, "max_subscriptions",
		    "--max-subscriptions", arg, 0, 100000);
	case OPT_MAX_EVENTS:
		return int_field_set(&cmd_quota_set, body,
		    "max_events_per_minute", "--max-events-per-minute", arg, 1,
		    1000000000);
	case OPT_MAX_RPM:
		return int_field_set(&cmd_quota_set, body,
		    "max_subscription_requests_per_minute",
		    "--max-requests-per-minute", arg, 1, 1000000000);
	case OPT_MAX_RPD:
		return int_field_set(&cmd_quota_set, body,
		    "max_subscription_requests_per_day",
		    "--max-requests-per-day", arg, 1, 1000000000);
	}
	return 1;
}

static int
quota_set(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "max-subscriptions",	     required_argument, NULL,
		  OPT_MAX_SUBS },
		{ "max-events-per-minute",   required_argument, NULL,
		  OPT_MAX_EVENTS },
		{ "max-requests-per-minute", required_argument, NULL,
		  OPT_MAX_RPM },
		{ "max-requests-per-day",    required_argument, NULL,
		  OPT_MAX_RPD },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	json_t		*body;
	char		**pos = NULL, *path = NULL;
	int		 npos, status = 1;

	body = json_object();
	if (cli_getopt(cli, &cmd_quota_set, argc, argv, opts, quota_opt, body,
	    &pos, &npos, &status) == -1)
		goto out;
	if (json_object_size(body) == 0) {
		status = cli_usage_error(&cmd_quota_set, "give at least one "
		    "limit");
		goto out;
	}
	status = 1;
	path = cli_item_path_new(QUOTAS_PATH, pos[0], NULL);
	if (cli_api(cli, "PUT", path, body, NULL, &resp) == -1)
		goto out;
	object_output(cli, &resp);
	status = 0;
out:
	cli_resp_free(&resp);
	json_decref(body);
	free(path);
	free(pos);
	return status;
}

static int
quota_rm(struct cli *cli, int argc, char *argv[])
{
	return cli_item_run(cli, &cmd_quota_rm, argc, argv, "DELETE",
	    QUOTAS_PATH, NULL, NULL, object_output);
}

/* `hookpost quota COMMAND`: main.c's command table runs it. */
const struct cli_sub quota_cmds[] = {
	{ "list", quota_list, "list custom quotas" },
	{ "show", quota_show, "show an owner's effective quota" },
	{ "set",  quota_set,  "set an owner's quota" },
	{ "rm",	  quota_rm,   "back to the default quota" },
	{ NULL, NULL, NULL }
};

/* --- event-types ------------------------------------------------------ */

static int
et_list(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		CLI_PAGE_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	static const char *const	 heads[] = { "NAME", "BUILTIN",
		"DESCRIPTION" };
	static const char *const	 keys[] = { "name", "builtin",
		"description" };
	static const struct cli_list	 list = { &cmd_et_list, opts,
		EVENT_TYPES_PATH, 3, heads, keys, 0, 0 };
	struct list_args	 a = { { &cmd_et_list, 1000, "1000", NULL },
		NULL, NULL, NULL, NULL };

	return list_run(cli, &list, argc, argv, &a);
}

static int
et_add(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "description", required_argument, NULL, OPT_DESCRIPTION },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	const char	*desc = NULL;
	json_t		*body = NULL;
	char		**pos = NULL;
	int		 npos, status = 1;

	if (cli_getopt(cli, &cmd_et_add, argc, argv, opts, cli_opt_one, &desc,
	    &pos, &npos, &status) == -1)
		goto out;
	status = 1;
	body = json_pack("{s:s}", "name", pos[0]);
	if (desc != NULL)
		json_object_set_new(body, "description", json_string(desc));
	if (cli_api(cli, "POST", EVENT_TYPES_PATH, body, NULL, &resp) == -1)
		goto out;
	object_output(cli, &resp);
	status = 0;
out:
	cli_resp_free(&resp);
	json_decref(body);
	free(pos);
	return status;
}

/* `hookpost event-types COMMAND`: main.c's command table runs it. */
const struct cli_sub event_types_cmds[] = {
	{ "list", et_list, "list the event catalog" },
	{ "add",  et_add,  "add an event type" },
	{ NULL, NULL, NULL }
};
