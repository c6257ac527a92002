/*
 * cli: the hookpost command-line tool (ARCHITECTURE.md §2).  One binary with
 * subcommands.  Every command answers -h/--help on stdout with status 0;
 * bad usage prints the usage on stderr with status 2; any other failure
 * prints one line on stderr with status 1.  Declarations shared by the
 * cli/ files.
 */
#ifndef HOOKPOST_CLI_H
#define HOOKPOST_CLI_H

#include <stddef.h>
#include <stdio.h>

#include <getopt.h>
#include <jansson.h>
#include <yaml.h>

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
	OPT_PAGE_LIMIT,	/* --limit N of the list commands */
	OPT_PAGE_CURSOR,	/* --cursor C */
	OPT_ALL,	/* --all: every page of a list (CMD_ALL) */
	OPT_CMD		/* the first id of a command's own options */
};

/* The --limit and --cursor entries of a list command's options. */
#define CLI_PAGE_OPTIONS \
	{ "limit",  required_argument, NULL, OPT_PAGE_LIMIT }, \
	{ "cursor", required_argument, NULL, OPT_PAGE_CURSOR }

/* Process-wide settings of one invocation. */
struct cli {
	const char	*config_path;	/* --config FILE */
	int		 json;		/* --json: raw bodies */
	int		 all;		/* --all: every page of a list */
	/* Loaded on first use by cli_http_setup(). */
	int		 http_ready;
	char		*url;		/* base, no trailing slash */
	char		*token;		/* NULL if none configured */
};

/* Which common options a command takes besides -h/--help. */
#define CMD_CONFIG	0x01	/* --config FILE: it talks to the API */
#define CMD_JSON	0x02	/* --json */
#define CMD_API		(CMD_CONFIG | CMD_JSON)
#define CMD_ALL		0x04	/* --all: a list command follows every page */

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

/*
 * cli.c: options, messages, output.
 *
 * Parses argv (argv[0] is the command word) with the common options and
 * `opts`.  Returns 0 with *posv (a new array the caller frees; its
 * strings are argv's) and *posc; or -1 with *status set: 0 after
 * --help, EXIT_USAGE after printing the reason and the usage.
 */
int		 cli_getopt(struct cli *, const struct cli_cmd *, int argc,
		    char *argv[], const struct option *opts, cli_opt_fn fn,
		    void *ctx, char ***posv, int *posc, int *status);
/* "hookpost CMD: reason" on stderr (usage follows from the caller). */
void		 cli_usage_reason(const struct cli_cmd *, const char *fmt,
		    ...) __attribute__((format(printf, 2, 3)));
/* The reason and the usage on stderr; returns EXIT_USAGE. */
int		 cli_usage_error(const struct cli_cmd *, const char *fmt,
		    ...) __attribute__((format(printf, 2, 3)));
/* "error: ..." / "warning: ..." on stderr, folded onto one safe line. */
void		 cli_err(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
void		 cli_warn(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
/* true/false/yes/no, any case: 0 and *out, or -1. */
int		 cli_parse_bool(const char *, int *out);
/* --limit/--tail in [1, max]: 0 and *out, or -1 after a reason. */
int		 cli_parse_limit(const struct cli_cmd *, const char *arg,
		    long long max, long long *out);
/* The value of flag, 1 to max bytes: 0 and *out, or -1 after a reason. */
int		 cli_parse_text(const struct cli_cmd *, const char *flag,
		    const char *arg, size_t max, const char **out);
/*
 * A whole file ("-": stdin) of at most max bytes.  Returns 0 with a new
 * NUL-terminated *out the caller frees, or -1 (reported).
 */
int		 cli_read_file(const char *path, size_t max, char **out,
		    size_t *outlen);
/* The first line of stdin: a new string (caller frees), or NULL. */
char		*cli_secret_stdin_new(void);
/* Writes s with control characters replaced (keeping \n, \t if asked). */
void		 cli_fput_safe(FILE *, const char *s, int keep_newlines);
/* A new one-line safe copy of s, cut to maxwidth (0: whole) with "...". */
char		*cli_safe_new(const char *s, size_t maxwidth);
/* obj[key] if it is a string (borrowed), else NULL. */
const char	*cli_json_str(json_t *obj, const char *key);
/* Any JSON value as display text ("-" for null): a new string. */
char		*cli_json_text_new(json_t *v);
/* "key: value" lines, aligned. */
void		 cli_print_object(FILE *, json_t *obj);

/* A text table: rows of cells printed with aligned columns. */
struct cli_table {
	size_t		 ncols, nrows;
	size_t		*maxw;		/* per column; 0: none */
	char		**cells;	/* nrows * ncols, owned */
};
/* A new table with its header row; free with cli_table_free(). */
struct cli_table *cli_table_new(size_t ncols, const char *const *headers);
/* Cuts the cells of col added from now on to width. */
void		 cli_table_max(struct cli_table *, size_t col,
		    size_t width);
/* Copies a row of ncols strings (NULL prints "-"), made safe. */
void		 cli_table_add(struct cli_table *, const char *const *row);
/* A row of obj's values at keys. */
void		 cli_table_add_json(struct cli_table *, json_t *obj,
		    const char *const *keys);
void		 cli_table_print(FILE *, const struct cli_table *);
/* Accepts NULL. */
void		 cli_table_free(struct cli_table *);

struct cli_resp;

/*
 * A list command's page: --limit N in [1, max] (the server's ceiling)
 * and --cursor C, kept as typed for the query.
 */
struct cli_page {
	const struct cli_cmd	*cmd;
	long long		 max;
	const char		*limit;	/* NULL: the server's */
	const char		*cursor;
};
/*
 * A cli_opt_fn over a struct cli_page: 0 when ch was --limit or --cursor
 * (stored), 1 when it was neither, -1 after a reason.
 */
int		 cli_page_opt(void *page, int ch, char *arg);
/*
 * The cli_opt_fn of a command whose only option of its own takes a value:
 * stores the value in *(const char **)ctx and returns 0 (1 for a
 * positional argument).
 */
int		 cli_opt_one(void *ctx, int ch, char *arg);

/* PREFIX + "/" + ID escaped + SUFFIX (NULL: none): a new string. */
char		*cli_item_path_new(const char *prefix, const char *id,
		    const char *suffix);

/*
 * A list command (an admin list answers {"data": [...], "next_cursor":
 * ...}, or seed 000's /admin/ lists a bare array and the next page in a
 * Link header; ARCHITECTURE.md §3): its options, its path, the table of
 * a page.
 */
struct cli_list {
	const struct cli_cmd	*cmd;	/* its name is in the next-page hint */
	const struct option	*opts;	/* CLI_PAGE_OPTIONS and filters */
	const char		*path;	/* without the query */
	size_t			 ncols;
	const char *const	*heads;
	const char *const	*keys;	/* "a.b" reaches into a */
	size_t			 cut_col;	/* this column's cells */
	size_t			 cut_width;	/* are cut; 0: none */
};
/* A query parameter: name=*value, left out while *value is NULL. */
struct cli_param {
	const char		*name;
	const char *const	*value;
};
/*
 * --json: the body as received; else the table of its rows.  Then the
 * hint to the next page, next (NULL: none), after --json too when the
 * body, a bare array, cannot carry it.
 */
void		 cli_list_print(struct cli *, const struct cli_resp *,
		    const char *next, const struct cli_list *);
/* --json: rows as one JSON array; else their table. */
void		 cli_list_rows_print(struct cli *, const struct cli_list *,
		    json_t *rows);
/* "more: hookpost CMD --cursor C" on stderr; nothing when next is NULL. */
void		 cli_more_hint(const char *next, const char *cmd);
/* --json: the body as received; else an object as "key: value" lines. */
void		 cli_object_print(struct cli *, const struct cli_resp *);

/* http.c: the admin API over libcurl. */
struct cli_resp {
	long		 status;
	char		*body;		/* NUL-terminated, owned */
	size_t		 len;
	json_t		*json;		/* parsed; NULL if empty */
};
/* Loads the base URL and token once: 0, or -1 (reported). */
int		 cli_http_setup(struct cli *);
/*
 * One request to base URL + path; headers is NULL-terminated extras;
 * with_token adds the bearer token (an error if there is none).  Returns
 * 0 with *out filled whatever the status (free with cli_resp_free()), or
 * -1 (reported) when no answer came.
 */
int		 cli_http(struct cli *, const char *method, const char *path,
		    const char *body, size_t bodylen,
		    const char *const *headers, int with_token,
		    struct cli_resp *out);
/*
 * An admin call with `body` (borrowed, may be NULL) as JSON.  Returns 0
 * with a 2xx answer in *out, its JSON parsed; or -1 after reporting a
 * transport failure or the server's error, prefixed "what: " if given.
 */
int		 cli_api(struct cli *, const char *method, const char *path,
		    json_t *body, const char *what, struct cli_resp *out);
/* "error: [what: ]code: message" from the seed-004 error shape. */
void		 cli_api_error(const struct cli_resp *, const char *what);
/* A list page's rows: the body if it is an array, else its data[]. */
json_t		*cli_page_rows(const struct cli_resp *);
/* GET path and cli_list_print() the page: the exit status, 0 or 1. */
int		 cli_list_get(struct cli *, const char *path,
		    const struct cli_list *);
/*
 * A list command: cli_getopt() with the list's options and fn over ctx
 * (fn NULL: cli_page_opt, ctx a struct cli_page), then cli_list_get() of
 * its path with params (up to a NULL name) as the query; with --all every
 * page from there on, printed as one list.  Returns the exit status.
 */
int		 cli_list_run(struct cli *, const struct cli_list *, int argc,
		    char *argv[], cli_opt_fn fn, void *ctx,
		    const struct cli_param *params);
/*
 * METHOD path of one item (id as the user named it), printed: "removed
 * ID" after a DELETE, else by print (NULL: cli_object_print).  Returns
 * the exit status, 0 or 1.
 */
int		 cli_item_call(struct cli *, const char *method,
		    const char *path, const char *id,
		    void (*print)(struct cli *, const struct cli_resp *));
/*
 * A command on the one item its only argument names, with no options of
 * its own: getopt, then check (NULL: the ID must not be empty), which
 * says why it refuses the ID with cli_usage_error() and returns -1; then
 * cli_item_call() of METHOD PREFIX/ID[SUFFIX].  Returns the exit status.
 */
int		 cli_item_run(struct cli *, const struct cli_cmd *, int argc,
		    char *argv[], const char *method, const char *prefix,
		    const char *suffix,
		    int (*check)(const struct cli_cmd *, const char *),
		    void (*print)(struct cli *, const struct cli_resp *));
/*
 * A receiver's answer to a test event: --json the body, else "HTTP nnn"
 * and the body.  Returns 0 for a 2xx, else -1 after the server's error.
 */
int		 cli_answer_print(struct cli *, const struct cli_resp *);
/* Frees the members; accepts a zeroed or already freed one. */
void		 cli_resp_free(struct cli_resp *);
/* --json: the body on stdout as received. */
void		 cli_resp_print_raw(const struct cli_resp *);
/* Percent-encodes s (RFC 3986 unreserved kept) onto b. */
void		 cli_url_escape(struct buf *, const char *);
/* Appends ?key=value or &key=value, encoded; a NULL value adds nothing. */
void		 cli_query_add(struct buf *, const char *key,
		    const char *value);

/*
 * source_field.c: the fields of an inbound source (seed 004).  The setters
 * return 0, or -1 with a reason in why (a secret is never echoed).
 */
int		 source_field_set(json_t *body, const char *key,
		    const char *value, char *why, size_t whylen);
/* 1 if key is a settable field other than severity_mapping. */
int		 source_field_known(const char *key);
int		 source_severity_add(json_t *body, const char *from,
		    const char *to, char *why, size_t whylen);
/* Warns on stderr if src carries a generated secret, shown once. */
void		 source_secret_notice(json_t *src);

/*
 * yaml.c: YAML files read as JSON.  cli_yaml_load parses data (named file
 * in messages) into doc, which must hold one document: 0, or -1
 * (reported); on success the caller yaml_document_deletes doc.
 * cli_yaml_scalar: a scalar node's text, NULL for any other node or an
 * embedded NUL.  cli_yaml_json_new: node n of doc as JSON (plain scalars
 * by the YAML 1.2 core schema: null, booleans, numbers; every other
 * scalar a string; duplicate keys refused), a new reference, or NULL
 * (reported with file:line).
 */
int		 cli_yaml_load(const char *file, const char *data, size_t len,
		    yaml_document_t *doc);
const char	*cli_yaml_scalar(const yaml_node_t *n);
json_t		*cli_yaml_json_new(const char *file, yaml_document_t *doc,
		    yaml_node_t *n);

/* Commands: each returns the process exit status. */
int		 cmd_db(struct cli *, int argc, char *argv[]);
int		 cmd_token(struct cli *, int argc, char *argv[]);
int		 cmd_webhook_import(struct cli *, int argc, char *argv[]);
int		 cmd_logs(struct cli *, int argc, char *argv[]);
/* outbound.c: publishing (issue 4). */
int		 cmd_emit(struct cli *, int argc, char *argv[]);

/* main.c: a command group's dispatch over its subcommands. */
struct cli_sub {
	const char	*name;
	int		(*fn)(struct cli *, int, char **);
	const char	*summary;	/* one line for the group's help */
};
int		 cli_dispatch(struct cli *, const char *group,
		    const struct cli_sub *subs, int argc, char *argv[]);

/* The command groups, each a table ending in a NULL name. */
extern const struct cli_sub	 webhook_cmds[];	/* source.c */
extern const struct cli_sub	 incidents_cmds[];	/* incident.c */
extern const struct cli_sub	 playbook_cmds[];	/* playbook.c */
extern const struct cli_sub	 trigger_cmds[];	/* trigger.c */
extern const struct cli_sub	 pack_cmds[];		/* pack.c */
/* outbound.c: seed 000 subscriptions, deliveries, quotas; the catalog. */
extern const struct cli_sub	 sub_cmds[];
extern const struct cli_sub	 deliveries_cmds[];
extern const struct cli_sub	 quota_cmds[];
extern const struct cli_sub	 event_types_cmds[];
/* integration.c: seed 003 integrations (/api/integrations). */
extern const struct cli_sub	 integration_cmds[];

#endif
