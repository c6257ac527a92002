/*
 * hookpost: the command-line tool (ARCHITECTURE.md §2).  Dispatch, global
 * options and help; the commands live in their own files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "util.h"
#include "cli.h"

static const char usage_text[] =
    "usage: hookpost [--config FILE] [--json] COMMAND [ARGS]\n"
    "\n"
    "Database (HOOKPOST_DATABASE_URL; no server needed):\n"
    "  db migrate|status                  apply or list SQL migrations\n"
    "  token create|list|revoke           manage API tokens\n"
    "  webhook import FILE.yaml [--sync]  sources from YAML, all or nothing\n"
    "\n"
    "Admin API (HOOKPOST_URL, HOOKPOST_TOKEN):\n"
    "  webhook add|list|show|update|rm    manage inbound webhook sources\n"
    "  webhook test NAME                  send a signed test event\n"
    "  logs [--filter webhook] [--tail N] recent webhook requests\n"
    "  incidents list|show                browse incidents\n"
    "  playbook list|show|put|rm          manage triage playbooks\n"
    "  trigger create|list|show|update|rm webhook-enabled triggers (seed 002)\n"
    "  trigger enable|disable|regenerate  a trigger's webhook and keys\n"
    "  trigger key|hmac|rate-limit|...    keys, security settings\n"
    "  trigger events|event|stats|send    events, statistics, fire one\n"
    "  pack import FILE.yaml...           load the triggers packs declare\n"
    "\n"
    "Outbound (seed 000):\n"
    "  sub add|list|show|update|test|rm   manage outbound subscriptions\n"
    "  deliveries list|show|retry         browse and retry deliveries\n"
    "  emit EVENT_TYPE [--data JSON]      publish an event\n"
    "  quota list|show|set|rm             per-owner quotas (admin)\n"
    "  event-types list|add               the event catalog\n"
    "\n"
    "Integrations (seed 003; admin or manage_settings token):\n"
    "  integration add TYPE NAME ...      webhook, slack, teams, pagerduty\n"
    "  integration list|show|update|rm    manage integrations\n"
    "  integration test ID                send a test message now\n"
    "  integration deliveries ID          an integration's delivery log\n"
    "\n"
    "  version                            print the version\n"
    "  help [COMMAND [SUBCOMMAND]]        this text, or a command's\n"
    "\n"
    "Every command takes --help.  Exit status: 0 done, 1 failed, 2 bad usage.\n"
    "\n"
    "Options:\n"
    "  --config FILE  CLI config with url= and token= lines (default:\n"
    "                 $HOOKPOST_CLI_CONFIG, else ~/.config/hookpost/cli.conf);\n"
    "                 HOOKPOST_URL and HOOKPOST_TOKEN override it\n"
    "  --json         print the server's JSON instead of tables\n"
    "  --version      print the version\n"
    "\n"
    "Environment: HOOKPOST_URL (default http://127.0.0.1:8080), HOOKPOST_TOKEN,\n"
    "HOOKPOST_CLI_CONFIG, HOOKPOST_DATABASE_URL, HOOKPOST_CONFIG,\n"
    "HOOKPOST_SQL_DIR.\n";

static int	cmd_version(struct cli *, int, char **);
static int	cmd_help(struct cli *, int, char **);

/* A word of the command line: one command, or a group of them. */
struct command {
	const char		*word;
	const char		*group;	/* the group's name in messages */
	const struct cli_sub	*subs;	/* the group; NULL: fn */
	int			(*fn)(struct cli *, int, char **);
};

/* Singular and plural both work: `incident show`, `playbooks list`. */
static const struct command commands[] = {
	{ "db",		NULL,	NULL,	cmd_db },
	{ "token",	NULL,	NULL,	cmd_token },
	{ "tokens",	NULL,	NULL,	cmd_token },
	{ "webhook",	"webhook", webhook_cmds, NULL },
	{ "webhooks",	"webhook", webhook_cmds, NULL },
	{ "logs",	NULL,	NULL,	cmd_logs },
	{ "log",	NULL,	NULL,	cmd_logs },
	{ "incidents",	"incidents", incidents_cmds, NULL },
	{ "incident",	"incidents", incidents_cmds, NULL },
	{ "playbook",	"playbook", playbook_cmds, NULL },
	{ "playbooks",	"playbook", playbook_cmds, NULL },
	{ "trigger",	"trigger", trigger_cmds, NULL },
	{ "triggers",	"trigger", trigger_cmds, NULL },
	{ "pack",	"pack",	pack_cmds, NULL },
	{ "packs",	"pack",	pack_cmds, NULL },
	{ "sub",	"sub",	sub_cmds, NULL },
	{ "subs",	"sub",	sub_cmds, NULL },
	{ "subscription", "sub", sub_cmds, NULL },
	{ "subscriptions", "sub", sub_cmds, NULL },
	{ "deliveries",	"deliveries", deliveries_cmds, NULL },
	{ "delivery",	"deliveries", deliveries_cmds, NULL },
	{ "emit",	NULL,	NULL,	cmd_emit },
	{ "quota",	"quota", quota_cmds, NULL },
	{ "quotas",	"quota", quota_cmds, NULL },
	{ "event-types", "event-types", event_types_cmds, NULL },
	{ "event-type",	"event-types", event_types_cmds, NULL },
	{ "integration", "integration", integration_cmds, NULL },
	{ "integrations", "integration", integration_cmds, NULL },
	{ "version",	NULL,	NULL,	cmd_version },
	{ "help",	NULL,	NULL,	cmd_help },
	{ NULL, NULL, NULL, NULL }
};

static const struct command *
command_find(const char *word)
{
	const struct command	*c;

	for (c = commands; c->word != NULL; c++)
		if (strcmp(c->word, word) == 0)
			return c;
	return NULL;
}

/* argv[0] is the command's word. */
static int
command_run(struct cli *cli, const struct command *c, int argc,
    char *argv[])
{
	if (c->subs != NULL)
		return cli_dispatch(cli, c->group, c->subs, argc, argv);
	return c->fn(cli, argc, argv);
}

static const struct cli_sub *
sub_find(const struct cli_sub *subs, const char *name)
{
	for (; subs->name != NULL; subs++)
		if (strcmp(subs->name, name) == 0)
			return subs;
	return NULL;
}

static void
group_usage(FILE *f, const char *group, const struct cli_sub *subs)
{
	fprintf(f, "usage: hookpost %s COMMAND [ARGS]\n\nCommands:\n", group);
	for (; subs->name != NULL; subs++)
		fprintf(f, "  %-8s %s\n", subs->name, subs->summary);
	fprintf(f, "\nRun 'hookpost %s COMMAND --help' for details.\n", group);
}

int
cli_dispatch(struct cli *cli, const char *group, const struct cli_sub *subs,
    int argc, char *argv[])
{
	const struct cli_sub	*sub;

	if (argc < 2) {
		fprintf(stderr, "hookpost %s: missing command\n", group);
		group_usage(stderr, group, subs);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		group_usage(stdout, group, subs);
		return 0;
	}
	if ((sub = sub_find(subs, argv[1])) == NULL) {
		fprintf(stderr, "hookpost %s: unknown command '%s'\n", group,
		    argv[1]);
		group_usage(stderr, group, subs);
		return EXIT_USAGE;
	}
	return sub->fn(cli, argc - 1, argv + 1);
}

static int
cmd_version(struct cli *cli, int argc, char *argv[])
{
	if (argc > 1 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		fputs("usage: hookpost version\nPrints the version.\n", stdout);
		return 0;
	}
	if (argc > 1) {
		fputs("usage: hookpost version\n", stderr);
		return EXIT_USAGE;
	}
	printf("hookpost %s\n", HOOKPOST_VERSION);
	return 0;
}

/* `help webhook add` is `webhook add --help`. */
static int
cmd_help(struct cli *cli, int argc, char *argv[])
{
	const struct command	*cmd;
	char			*v[4];
	int			 n = 0;

	/* `help webhook add --help` asks the same thing. */
	if (argc > 1 && (strcmp(argv[argc - 1], "-h") == 0 ||
	    strcmp(argv[argc - 1], "--help") == 0))
		argc--;
	if (argc < 2) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc > 3 || (cmd = command_find(argv[1])) == NULL) {
		fprintf(stderr, "hookpost help: unknown command '%s'\n",
		    argv[1]);
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	v[n++] = argv[1];
	if (argc == 3)
		v[n++] = argv[2];
	v[n++] = "--help";
	v[n] = NULL;
	return command_run(cli, cmd, n, v);
}

int
main(int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "help",    no_argument,	NULL, 'h' },
		{ "version", no_argument,	NULL, 'V' },
		{ "json",    no_argument,	NULL, OPT_JSON },
		{ "config",  required_argument, NULL, OPT_CONFIG },
		{ NULL, 0, NULL, 0 }
	};
	struct cli		 cli;
	const struct command	*cmd;
	int			 ch, status;

	memset(&cli, 0, sizeof(cli));
	/* "+": stop at the command word; its options are its own. */
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("hookpost %s\n", HOOKPOST_VERSION);
			return 0;
		case OPT_JSON:
			cli.json = 1;
			break;
		case OPT_CONFIG:
			cli.config_path = optarg;
			break;
		case ':':
			fprintf(stderr, "hookpost: option %s needs a value\n",
			    argv[optind - 1]);
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "hookpost: unknown option %s\n",
			    argv[optind - 1]);
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if ((cmd = command_find(argv[optind])) == NULL) {
		fprintf(stderr, "hookpost: unknown command '%s'\n",
		    argv[optind]);
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "error: libcurl initialisation failed\n");
		return 1;
	}
	status = command_run(&cli, cmd, argc - optind, argv + optind);
	curl_global_cleanup();
	free(cli.url);
	if (cli.token != NULL)
		explicit_bzero(cli.token, strlen(cli.token));
	free(cli.token);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		/* `hookpost token create > full-disk` must not look fine. */
		fprintf(stderr, "error: writing standard output failed\n");
		status = 1;
	}
	return status;
}
