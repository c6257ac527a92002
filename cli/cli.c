/*
 * Shared by every command: option parsing, messages, files and output.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "util.h"
#include "cli.h"

/*
 * Output from the server may carry text an attacker chose (incident
 * titles come from alert payloads), so nothing reaches the terminal with
 * C0/C1 control characters in it: no escape sequences, no fake lines.
 * Returns the number of bytes of s consumed; writes the replacement (or
 * the bytes themselves) to `out`, `*outlen` bytes.
 */
static size_t
safe_char(const unsigned char *s, int keep_newlines, char out[2],
    size_t *outlen)
{
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
		out[0] = '?';
		*outlen = 1;
		return 2;
	}
	if ((s[0] < 0x20 && !(keep_newlines && (s[0] == '\n' ||
	    s[0] == '\t'))) || s[0] == 0x7f)
		out[0] = (s[0] == '\n' || s[0] == '\t') ? ' ' : '?';
	else
		out[0] = (char)s[0];
	*outlen = 1;
	return 1;
}

void
cli_fput_safe(FILE *f, const char *s, int keep_newlines)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			 c[2];
	size_t			 n;

	while (*p != '\0') {
		p += safe_char(p, keep_newlines, c, &n);
		fwrite(c, 1, n, f);
	}
}

char *
cli_safe_new(const char *s, size_t maxwidth)
{
	const unsigned char	*p = (const unsigned char *)s;
	struct buf		 b = { NULL, 0, 0 };
	char			 c[2];
	size_t			 n, w = 0;

	while (*p != '\0') {
		if (maxwidth > 3 && (*p & 0xc0) != 0x80 && w == maxwidth - 3 &&
		    utf8_chars((const char *)p) > 3) {
			buf_append(&b, "...", 3);
			break;
		}
		if ((*p & 0xc0) != 0x80)
			w++;
		p += safe_char(p, 0, c, &n);
		buf_append(&b, c, n);
	}
	if (b.data == NULL)
		return xstrdup("");
	return b.data;
}

/*
 * Formats, then folds the text onto one line: PQerrorMessage and server
 * messages may span several, and errors are one line on stderr.
 */
static void
cli_vmsg(const char *prefix, const char *fmt, va_list ap)
{
	char	*msg, *line, *p, *q;

	if (vasprintf(&msg, fmt, ap) == -1) {
		fprintf(stderr, "%sout of memory\n", prefix);
		return;
	}
	line = cli_safe_new(msg, 0);
	/* Collapse the runs of spaces that newlines and tabs became. */
	for (p = q = line; *p != '\0'; p++)
		if (!(*p == ' ' && (q == line || q[-1] == ' ')))
			*q++ = *p;
	while (q > line && q[-1] == ' ')
		q--;
	*q = '\0';
	fprintf(stderr, "%s%s\n", prefix, line);
	free(line);
	free(msg);
}

void
cli_err(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cli_vmsg("error: ", fmt, ap);
	va_end(ap);
}

void
cli_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	cli_vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void
cli_usage_reason(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s %s: ", CLI_NAME, cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "%s %s: ", CLI_NAME, cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(cmd->usage, stderr);
	return EXIT_USAGE;
}

/* The option getopt complained about, as the user typed it. */
static const char *
bad_option(char *argv[], char buf[3])
{
	if (optopt > 0 && optopt < 128 && optopt != '?') {
		buf[0] = '-';
		buf[1] = (char)optopt;
		buf[2] = '\0';
		return buf;
	}
	return argv[optind - 1];
}

int
cli_getopt(struct cli *cli, const struct cli_cmd *cmd, int argc,
    char *argv[], const struct option *opts, cli_opt_fn fn, void *ctx,
    char ***posv, int *posc, int *status)
{
	struct option	*all;
	char		**pos, sbuf[3];
	size_t		 nopts = 0, n = 0;
	int		 ch, r, npos = 0, rc = -1;

	while (opts != NULL && opts[nopts].name != NULL)
		nopts++;
	all = xcalloc(nopts + 5, sizeof(*all));
	all[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	if (cmd->flags & CMD_JSON)
		all[n++] = (struct option){ "json", no_argument, NULL,
		    OPT_JSON };
	if (cmd->flags & CMD_CONFIG)
		all[n++] = (struct option){ "config", required_argument, NULL,
		    OPT_CONFIG };
	if (cmd->flags & CMD_ALL)
		all[n++] = (struct option){ "all", no_argument, NULL, OPT_ALL };
	if (nopts > 0)
		memcpy(all + n, opts, nopts * sizeof(*all));
	pos = xcalloc((size_t)argc + 1, sizeof(*pos));

	/*
	 * "-": positionals come back in order as ch 1 whatever
	 * POSIXLY_CORRECT says, so NAME may precede the options (seed 004:
	 * `webhook add email-gateway --secret ...`) and a pair after
	 * --severity-map can belong to it.  ":": a missing value is ':'.
	 */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "-:h", all, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(cmd->usage, stdout);
			*status = 0;
			goto out;
		case OPT_JSON:
			cli->json = 1;
			continue;
		case OPT_CONFIG:
			cli->config_path = optarg;
			continue;
		case OPT_ALL:
			cli->all = 1;
			continue;
		case ':':
			*status = cli_usage_error(cmd,
			    "option %s needs a value", bad_option(argv, sbuf));
			goto out;
		case '?':
			*status = cli_usage_error(cmd, "unknown option %s",
			    bad_option(argv, sbuf));
			goto out;
		}
		r = fn != NULL ? fn(ctx, ch, optarg) : 1;
		if (r == -1) {
			fputs(cmd->usage, stderr);
			*status = EXIT_USAGE;
			goto out;
		}
		if (r == 1 && ch == 1)
			pos[npos++] = optarg;
		else if (r == 1) {
			*status = cli_usage_error(cmd, "unknown option %s",
			    argv[optind - 1]);
			goto out;
		}
	}
	/* Whatever follows "--" is positional. */
	while (optind < argc)
		pos[npos++] = argv[optind++];
	if (npos < cmd->min_args) {
		*status = cli_usage_error(cmd, "missing argument");
		goto out;
	}
	if (cmd->max_args >= 0 && npos > cmd->max_args) {
		*status = cli_usage_error(cmd, "unexpected argument '%s'",
		    pos[cmd->max_args]);
		goto out;
	}
	*posv = pos;
	pos = NULL;
	*posc = npos;
	rc = 0;
out:
	free(pos);
	free(all);
	return rc;
}

int
cli_parse_limit(const struct cli_cmd *cmd, const char *arg, long long max,
    long long *out)
{
	if (parse_int(arg, 1, max, out) == -1) {
		cli_usage_reason(cmd, "'%s' is not a number from 1 to %lld",
		    arg, max);
		return -1;
	}
	return 0;
}

int
cli_parse_text(const struct cli_cmd *cmd, const char *flag, const char *arg,
    size_t max, const char **out)
{
	if (*arg == '\0' || strlen(arg) > max) {
		cli_usage_reason(cmd, "%s: 1 to %zu bytes", flag, max);
		return -1;
	}
	*out = arg;
	return 0;
}

/* seed 004 writes booleans as true/false; YAML users write yes/no too. */
int
cli_parse_bool(const char *s, int *out)
{
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0) {
		*out = 1;
		return 0;
	}
	if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0) {
		*out = 0;
		return 0;
	}
	return -1;
}

int
cli_read_file(const char *path, size_t max, char **out, size_t *outlen)
{
	int	 fd, rc;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		cli_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if ((rc = read_all(fd, max, out, outlen)) == -1) {
		if (errno == EFBIG)
			cli_err("%s: larger than %zu bytes", path, max);
		else
			cli_err("%s: %s", path, strerror(errno));
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

/*
 * `--secret -`: the secret from the first line of stdin, so it stays out
 * of the process list and the shell history.
 */
char *
cli_secret_stdin_new(void)
{
	char	 line[4096];
	size_t	 n;

	if (fgets(line, sizeof(line), stdin) == NULL) {
		cli_err("no secret on standard input");
		return NULL;
	}
	n = strlen(line);
	if (n == sizeof(line) - 1 && line[n - 1] != '\n') {
		cli_err("secret on standard input is too long");
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0) {
		cli_err("empty secret on standard input");
		return NULL;
	}
	return xstrdup(line);
}

const char *
cli_json_str(json_t *obj, const char *key)
{
	json_t	*v;

	if ((v = json_object_get(obj, key)) == NULL || !json_is_string(v))
		return NULL;
	return json_string_value(v);
}

/* A flat object of strings reads better as "k=v, k=v". */
static int
json_is_flat(json_t *obj)
{
	const char	*k;
	json_t		*v;

	json_object_foreach(obj, k, v)
		if (!json_is_string(v))
			return 0;
	return 1;
}

char *
cli_json_text_new(json_t *v)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*k;
	json_t		*e;
	char		*s;

	if (v == NULL || json_is_null(v))
		return xstrdup("-");
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	if (json_is_real(v))
		return xasprintf("%.1f", json_real_value(v));
	if (json_is_boolean(v))
		return xstrdup(json_is_true(v) ? "true" : "false");
	if (json_is_object(v) && json_object_size(v) == 0)
		return xstrdup("-");
	if (json_is_object(v) && json_is_flat(v)) {
		json_object_foreach(v, k, e)
			buf_appendf(&b, "%s%s=%s", b.len ? ", " : "", k,
			    json_string_value(e));
		return b.data;
	}
	if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) == NULL)
		return xstrdup("?");
	return s;
}

void
cli_print_object(FILE *f, json_t *obj)
{
	const char	*k;
	json_t		*v;
	size_t		 w = 0;
	char		*text, *safe;

	json_object_foreach(obj, k, v)
		if (strlen(k) > w)
			w = strlen(k);
	json_object_foreach(obj, k, v) {
		text = cli_json_text_new(v);
		safe = cli_safe_new(text, 0);
		cli_fput_safe(f, k, 0);
		fprintf(f, ":%*s %s\n", (int)(w - strlen(k)), "", safe);
		free(safe);
		free(text);
	}
}

struct cli_table *
cli_table_new(size_t ncols, const char *const *headers)
{
	struct cli_table	*t;

	t = xcalloc(1, sizeof(*t));
	t->ncols = ncols;
	t->maxw = xcalloc(ncols, sizeof(*t->maxw));
	cli_table_add(t, headers);
	return t;
}

void
cli_table_max(struct cli_table *t, size_t col, size_t width)
{
	t->maxw[col] = width;
}

void
cli_table_add(struct cli_table *t, const char *const *row)
{
	size_t	 i;

	t->cells = xrealloc(t->cells, (t->nrows + 1) * t->ncols *
	    sizeof(*t->cells));
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = cli_safe_new(
		    row[i] != NULL ? row[i] : "-", t->maxw[i]);
	t->nrows++;
}

/* obj's member at key, where "a.b" is member b of member a; or NULL. */
static json_t *
json_member(json_t *obj, const char *key)
{
	const char	*dot;
	char		 first[64];

	while ((dot = strchr(key, '.')) != NULL &&
	    (size_t)(dot - key) < sizeof(first)) {
		memcpy(first, key, (size_t)(dot - key));
		first[dot - key] = '\0';
		obj = json_object_get(obj, first);
		key = dot + 1;
	}
	return json_object_get(obj, key);
}

void
cli_table_add_json(struct cli_table *t, json_t *obj, const char *const *keys)
{
	char	**row;
	size_t	 i;

	row = xcalloc(t->ncols, sizeof(*row));
	for (i = 0; i < t->ncols; i++)
		row[i] = cli_json_text_new(json_member(obj, keys[i]));
	cli_table_add(t, (const char *const *)row);
	for (i = 0; i < t->ncols; i++)
		free(row[i]);
	free(row);
}

void
cli_table_print(FILE *f, const struct cli_table *t)
{
	size_t		*w, r, c, cw;
	const char	*cell;

	w = xcalloc(t->ncols, sizeof(*w));
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			cw = utf8_chars(t->cells[r * t->ncols + c]);
			if (cw > w[c])
				w[c] = cw;
		}
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			cell = t->cells[r * t->ncols + c];
			fputs(cell, f);
			if (c + 1 < t->ncols)
				fprintf(f, "%*s",
				    (int)(w[c] - utf8_chars(cell) + 2), "");
		}
		fputc('\n', f);
	}
	free(w);
}

void
cli_table_free(struct cli_table *t)
{
	size_t	 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->maxw);
	free(t);
}

int
cli_page_opt(void *page, int ch, char *arg)
{
	struct cli_page	*p = page;
	long long	 n;

	switch (ch) {
	case OPT_PAGE_LIMIT:
		if (cli_parse_limit(p->cmd, arg, p->max, &n) == -1)
			return -1;
		p->limit = arg;
		return 0;
	case OPT_PAGE_CURSOR:
		p->cursor = arg;
		return 0;
	}
	return 1;
}

int
cli_opt_one(void *ctx, int ch, char *arg)
{
	const char	**value = ctx;

	if (ch == 1)
		return 1;
	*value = arg;
	return 0;
}

char *
cli_item_path_new(const char *prefix, const char *id, const char *suffix)
{
	struct buf	 b = { NULL, 0, 0 };

	buf_append(&b, prefix, strlen(prefix));
	buf_append(&b, "/", 1);
	cli_url_escape(&b, id);
	if (suffix != NULL)
		buf_append(&b, suffix, strlen(suffix));
	return b.data;
}

void
cli_more_hint(const char *next, const char *cmd)
{
	if (next == NULL)
		return;
	fprintf(stderr, "more: %s %s --cursor ", CLI_NAME, cmd);
	cli_fput_safe(stderr, next, 0);
	fputc('\n', stderr);
}

void
cli_list_rows_print(struct cli *cli, const struct cli_list *l, json_t *rows)
{
	struct cli_table	*t;
	json_t			*e;
	size_t			 i;

	if (cli->json) {
		json_dumpf(rows, stdout, JSON_COMPACT);
		fputc('\n', stdout);
		return;
	}
	t = cli_table_new(l->ncols, l->heads);
	/* Text from payloads (titles, descriptions) is bounded, and safe. */
	if (l->cut_width > 0)
		cli_table_max(t, l->cut_col, l->cut_width);
	json_array_foreach(rows, i, e)
		cli_table_add_json(t, e, l->keys);
	cli_table_print(stdout, t);
	cli_table_free(t);
}

void
cli_list_print(struct cli *cli, const struct cli_resp *resp,
    const char *next, const struct cli_list *l)
{
	if (cli->json)
		cli_resp_print_raw(resp);
	else
		cli_list_rows_print(cli, l, cli_page_rows(resp));
	if (!cli->json || json_is_array(resp->json))
		cli_more_hint(next, l->cmd->name);
}

void
cli_object_print(struct cli *cli, const struct cli_resp *resp)
{
	if (cli->json)
		cli_resp_print_raw(resp);
	else if (json_is_object(resp->json))
		cli_print_object(stdout, resp->json);
}
