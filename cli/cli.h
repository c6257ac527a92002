/*
 * cli: the hookpost command-line tool (DESIGN.md §2).  One binary with
 * subcommands.  Every command answers -h/--help on stdout with status 0;
 * bad usage prints the usage on stderr with status 2; any other failure
 * prints one line on stderr with status 1.  Declarations shared by the cli/ files.
 */
#ifndef HOOKPOST_CLI_H
#define HOOKPOST_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <getopt.h>
#include <jansson.h>

#include "util.h"

#ifndef HOOKPOST_VERSION
#define HOOKPOST_VERSION	"unknown"
#endif

#define EXIT_USAGE	2

/* seed 004 names the tool tw-cli; ours is hookpost. */
#define CLI_NAME	"hookpost"
/* The ceiling on anything read into memory: responses, files, YAML. */
#define CLI_MAX_READ	(16 * 1024 * 1024)

/* Long-only options every command may share; ids above any char. */
enum cli_optid {
	OPT_JSON = 256,
	OPT_CONFIG,
	OPT_CMD			/* first id free for a command's own options */
};

/* Process-wide settings of one invocation. */
struct cli {
	const char	*config_path;	/* --config FILE */
	int		 json;		/* --json: print raw response bodies */
	/* Loaded on first use by cli_http_setup(). */
	int		 http_ready;
	char		*url;		/* base URL, no trailing slash */
	char		*token;		/* NULL if none configured */
};

/* Which common options a command takes besides -h/--help. */
#define CMD_CONFIG	0x01	/* --config FILE: it talks to the API */
#define CMD_JSON	0x02	/* --json */
#define CMD_API		(CMD_CONFIG | CMD_JSON)

/* One command: its name for messages and its --help text. */
struct cli_cmd {
	const char	*name;		/* "webhook add" */
	const char	*usage;		/* synopsis and options */
	int		 min_args;	/* positional arguments */
	int		 max_args;	/* -1: unbounded */
	unsigned	 flags;		/* CMD_* */
};

/*
 * A command's own options: called for every option getopt returns that
 * is not a common one, and with ch 1 for each positional argument.
 * Returns 0 when consumed, 1 when not (a positional is then collected),
 * or -1 after printing a reason with cli_usage_reason().
 */
typedef int	(*cli_opt_fn)(void *ctx, int ch, char *arg);

/* cli.c: options, messages, output. */
int		 cli_getopt(struct cli *, const struct cli_cmd *, int argc,
		    char *argv[], const struct option *opts, cli_opt_fn fn,
		    void *ctx, char ***posv, int *posc, int *status);
void		 cli_usage_reason(const struct cli_cmd *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
int		 cli_usage_error(const struct cli_cmd *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
void		 cli_err(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
void		 cli_warn(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
int		 cli_parse_bool(const char *, int *out);
int		 cli_read_file(const char *path, size_t max, char **out,
		    size_t *outlen);
char		*cli_read_secret_stdin(void);
void		 cli_fput_safe(FILE *, const char *s, int keep_newlines);
char		*cli_safe_new(const char *s, size_t maxwidth);
const char	*cli_json_str(json_t *obj, const char *key);
char		*cli_json_text_new(json_t *v);
void		 cli_print_object(FILE *, json_t *obj);
int		 cli_parse_limit(const struct cli_cmd *, const char *arg,
		    long long max, long long *out);

/* A text table: rows of cells printed with aligned columns. */
struct cli_table {
	size_t		 ncols, nrows;
	size_t		*maxw;		/* per column, 0: unbounded */
	char		**cells;	/* nrows * ncols, owned */
};
struct cli_table *cli_table_new(size_t ncols, const char *const *headers);
void		 cli_table_max(struct cli_table *, size_t col, size_t width);
void		 cli_table_add(struct cli_table *, const char *const *row);
void		 cli_table_add_json(struct cli_table *, json_t *obj,
		    const char *const *keys);
void		 cli_table_print(FILE *, const struct cli_table *);
void		 cli_table_free(struct cli_table *);

/* http.c: the admin API over libcurl. */
struct cli_resp {
	long		 status;
	char		*body;		/* NUL-terminated, owned */
	size_t		 len;
	json_t		*json;		/* parsed body, NULL if empty */
};
int		 cli_http_setup(struct cli *);
int		 cli_http(struct cli *, const char *method, const char *path,
		    const char *body, size_t bodylen, const char *const *headers,
		    int with_token, struct cli_resp *out);
int		 cli_api(struct cli *, const char *method, const char *path,
		    json_t *body, const char *what, struct cli_resp *out);
void		 cli_api_error(const struct cli_resp *, const char *what);
void		 cli_resp_free(struct cli_resp *);
void		 cli_resp_print_raw(const struct cli_resp *);
void		 cli_url_escape(struct buf *, const char *);
void		 cli_query_add(struct buf *, const char *key,
		    const char *value);

/* source.c: the fields of an inbound source (seed 004). */
int		 source_field_set(json_t *body, const char *key,
		    const char *value, char *why, size_t whylen);
int		 source_field_known(const char *key);
int		 source_severity_add(json_t *body, const char *from,
		    const char *to, char *why, size_t whylen);
void		 source_secret_notice(json_t *src);

/* Commands: each returns the process exit status. */
int		 cmd_db(struct cli *, int argc, char *argv[]);
int		 cmd_token(struct cli *, int argc, char *argv[]);
int		 cmd_webhook(struct cli *, int argc, char *argv[]);
int		 cmd_webhook_import(struct cli *, int argc, char *argv[]);
int		 cmd_logs(struct cli *, int argc, char *argv[]);
int		 cmd_incidents(struct cli *, int argc, char *argv[]);
int		 cmd_playbook(struct cli *, int argc, char *argv[]);

/* main.c: a command group's dispatch over its subcommands. */
struct cli_sub {
	const char	*name;
	int		(*fn)(struct cli *, int, char **);
	const char	*summary;	/* one line for the group's help */
};
int		 cli_dispatch(struct cli *, const char *group,
		    const struct cli_sub *subs, int argc, char *argv[]);

#endif
