/*
 * The admin API client: libcurl's easy interface, one request at a time.
 * Base URL and token come from HOOKPOST_URL / HOOKPOST_TOKEN (ARCHITECTURE.md
 * §3), else from the CLI config file; the environment wins.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <jansson.h>

#include "req.h"
#include "util.h"
#include "cli.h"

#define CLI_DEFAULT_URL		"http://127.0.0.1:8080"
#define CLI_TIMEOUT		30L	/* seconds, whole request */
#define CLI_CONNECT_TIMEOUT	10L
#define CLI_MAX_CONFIG		(64 * 1024)
#define CLI_MAX_PAGES		10000	/* --all: a server's pages end */

static char *
trim(char *s)
{
	char	*e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* The default file: $XDG_CONFIG_HOME or ~/.config, then hookpost/cli.conf. */
static char *
config_default_new(void)
{
	const char	*dir;

	if ((dir = getenv("XDG_CONFIG_HOME")) != NULL && *dir == '/')
		return xasprintf("%s/hookpost/cli.conf", dir);
	if ((dir = getenv("HOME")) != NULL && *dir != '\0')
		return xasprintf("%s/.config/hookpost/cli.conf", dir);
	return NULL;
}

/*
 * Reads `url=` and `token=` lines into *url and *token (new strings).
 * A missing default file is no error; a named one must exist.  Unknown
 * keys are errors: a misspelt "ulr=" would silently send the token to
 * the default URL instead.
 */
static int
config_read(const char *path, int must_exist, char **url, char **token)
{
	struct stat	 st;
	char		*data = NULL, *line, *next, *eq, *k, *v;
	size_t		 len, lineno = 0;
	int		 rc = -1;

	if (!must_exist && stat(path, &st) == -1 && errno == ENOENT)
		return 0;
	if (cli_read_file(path, CLI_MAX_CONFIG, &data, &len) == -1)
		goto out;
	if (memchr(data, '\0', len) != NULL) {
		cli_err("%s: not a text file", path);
		goto out;
	}
	for (line = data; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		if ((eq = strchr(k, '=')) == NULL) {
			cli_err("%s:%zu: expected key=value", path, lineno);
			goto out;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		if (strcmp(k, "url") == 0) {
			free(*url);
			*url = xstrdup(v);
		} else if (strcmp(k, "token") == 0) {
			free(*token);
			*token = xstrdup(v);
		} else {
			cli_err("%s:%zu: unknown key '%s' (expected url or "
			    "token)", path, lineno, k);
			goto out;
		}
	}
	if (*token != NULL && stat(path, &st) == 0 && (st.st_mode & 077) != 0)
		cli_warn("%s holds an API token but other users may read it "
		    "(chmod 600)", path);
	rc = 0;
out:
	free(data);
	return rc;
}

int
cli_http_setup(struct cli *cli)
{
	const char	*env, *path;
	char		*deflt = NULL, *url = NULL, *token = NULL;
	const unsigned char *p;
	size_t		 n;
	int		 rc = -1;

	if (cli->http_ready)
		return 0;
	path = cli->config_path;
	if (path == NULL && (env = getenv("HOOKPOST_CLI_CONFIG")) != NULL &&
	    *env != '\0')
		path = env;
	if (path != NULL) {
		if (config_read(path, 1, &url, &token) == -1)
			goto out;
	} else if ((deflt = config_default_new()) != NULL &&
	    config_read(deflt, 0, &url, &token) == -1)
		goto out;
	if ((env = getenv("HOOKPOST_URL")) != NULL && *env != '\0') {
		free(url);
		url = xstrdup(env);
	}
	if ((env = getenv("HOOKPOST_TOKEN")) != NULL && *env != '\0') {
		free(token);
		token = xstrdup(env);
	}
	if (url == NULL || *url == '\0') {
		free(url);
		url = xstrdup(CLI_DEFAULT_URL);
	}
	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		cli_err("HOOKPOST_URL must start with http:// or https://");
		goto out;
	}
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
	/* The token goes into a header: no CR/LF smuggling, no spaces. */
	for (p = (const unsigned char *)token; p != NULL && *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f) {
			cli_err("the API token contains invalid characters");
			goto out;
		}
	if (token != NULL && *token == '\0') {
		free(token);
		token = NULL;
	}
	cli->url = url;
	cli->token = token;
	url = token = NULL;
	cli->http_ready = 1;
	rc = 0;
out:
	free(token);
	free(url);
	free(deflt);
	return rc;
}

struct sink {
	struct buf	 b;
	int		 overflow;
	char		*next;		/* Link rel="next" */
};

/* Keeps at most CLI_MAX_READ bytes; returning short aborts the transfer. */
static size_t
sink_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sink	*s = arg;
	size_t		 n = size * nmemb;

	if (s->b.len + n > CLI_MAX_READ) {
		s->overflow = 1;
		return 0;
	}
	buf_append(&s->b, p, n);
	return n;
}

static const char *
skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* 1 when the relation types in v[0..end) (RFC 8288 3.3) include next. */
static int
rel_has_next(const char *v, const char *end)
{
	const char	*w;

	for (v = skip_ws(v, end); v < end; v = skip_ws(w, end)) {
		for (w = v; w < end && *w != ' ' && *w != '\t'; w++)
			continue;
		if (w - v == 4 && strncasecmp(v, "next", 4) == 0)
			return 1;
	}
	return 0;
}

/*
 * A Link header's value s[0..end) (RFC 8288 3: link-values separated by
 * commas, each <URI-Reference> and ;-parameters, a value a token or a
 * quoted string): the target of the first whose rel names next.  A new
 * string, or NULL.
 */
static char *
link_next_new(const char *s, const char *end)
{
	const char	*uri, *uend, *name, *v, *vend;
	size_t		 nlen;

	for (;;) {
		while (s < end && (*s == ' ' || *s == '\t' || *s == ','))
			s++;
		if (s == end || *s != '<' ||
		    (uend = memchr(s, '>', (size_t)(end - s))) == NULL)
			return NULL;
		uri = s + 1;
		for (s = skip_ws(uend + 1, end); s < end && *s == ';';
		    s = skip_ws(s, end)) {
			name = s = skip_ws(s + 1, end);
			while (s < end && strchr("=;, \t", *s) == NULL)
				s++;
			nlen = (size_t)(s - name);
			v = vend = s = skip_ws(s, end);
			if (s < end && *s == '=') {
				s = skip_ws(s + 1, end);
				if (s < end && *s == '"') {
					v = ++s;
					while (s < end && *s != '"')
						s++;
					vend = s;
					if (s < end)
						s++;
				} else {
					for (v = s; s < end &&
					    strchr(";, \t", *s) == NULL; s++)
						continue;
					vend = s;
				}
			}
			if (nlen == 3 && strncasecmp(name, "rel", 3) == 0 &&
			    rel_has_next(v, vend))
				return xstrndup(uri, (size_t)(uend - uri));
		}
		while (s < end && *s != ',')
			s++;
	}
}

/* Keeps the Link rel="next" of the final answer's headers. */
static size_t
sink_header(char *p, size_t size, size_t nitems, void *arg)
{
	struct sink	*s = arg;
	size_t		 n = size * nitems;
	const char	*end = p + n;

	/* A status line begins an answer (after a 1xx): forget the last. */
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		free(s->next);
		s->next = NULL;
	}
	while (end > p && (end[-1] == '\r' || end[-1] == '\n'))
		end--;
	if (s->next == NULL && n > 5 && strncasecmp(p, "Link:", 5) == 0)
		s->next = link_next_new(p + 5, end);
	return n;
}

/* curl_slist_append returns NULL and keeps the list when out of memory. */
static int
slist_add(struct curl_slist **list, const char *s)
{
	struct curl_slist	*l;

	if ((l = curl_slist_append(*list, s)) == NULL)
		return -1;
	*list = l;
	return 0;
}

static int
is_2xx(long status)
{
	return status >= 200 && status <= 299;
}

/* cli_http(), and the answer's Link rel="next" target into *next. */
static int
http_request(struct cli *cli, const char *method, const char *path,
    const char *body, size_t bodylen, const char *const *headers,
    int with_token, struct cli_resp *out, char **next)
{
	CURL			*curl = NULL;
	struct curl_slist	*hdrs = NULL;
	struct sink		 sink = { { NULL, 0, 0 }, 0, NULL };
	char			 errbuf[CURL_ERROR_SIZE] = "";
	char			*url = NULL, *auth = NULL;
	const char		*fixed[] = {
		"Content-Type: application/json",
		"Accept: application/json",
		"Expect:",	/* no 100-continue round trip */
		NULL
	};
	CURLcode		 cc;
	long			 status = 0;
	size_t			 i;
	int			 rc = -1;

	if (cli_http_setup(cli) == -1)
		goto out;
	if (with_token && cli->token == NULL) {
		cli_err("no API token: set HOOKPOST_TOKEN, or token= in the "
		    "CLI config file (see hookpost --help)");
		goto out;
	}
	url = xasprintf("%s%s", cli->url, path);
	if (with_token)
		auth = xasprintf("Authorization: Bearer %s", cli->token);
	for (i = 0; fixed[i] != NULL; i++)
		if (slist_add(&hdrs, fixed[i]) == -1)
			goto oom;
	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		if (slist_add(&hdrs, headers[i]) == -1)
			goto oom;
	if (auth != NULL && slist_add(&hdrs, auth) == -1)
		goto oom;
	if ((curl = curl_easy_init()) == NULL)
		goto oom;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_USERAGENT,
	    "hookpost-cli/" HOOKPOST_VERSION);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, CLI_TIMEOUT);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, CLI_CONNECT_TIMEOUT);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	/*
	 * Never follow redirects (the default): a Location elsewhere must
	 * not receive the bearer token.  Only HTTP(S), even for a
	 * mistyped URL.
	 */
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, sink_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &sink);
	if (strcmp(method, "GET") == 0)
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	else {
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
		if (body != NULL || strcmp(method, "POST") == 0) {
			curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
			    body != NULL ? body : "");
			curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)(body != NULL ? bodylen : 0));
		}
	}
	if ((cc = curl_easy_perform(curl)) != CURLE_OK) {
		if (sink.overflow)
			cli_err("%s %s: response larger than %d bytes", method,
			    url, CLI_MAX_READ);
		else
			cli_err("%s %s: %s", method, url, errbuf[0] != '\0' ?
			    errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (sink.b.data == NULL)
		buf_append(&sink.b, "", 0);
	out->status = status;
	out->body = sink.b.data;
	out->len = sink.b.len;
	out->json = NULL;
	sink.b.data = NULL;
	if (next != NULL) {
		*next = sink.next;
		sink.next = NULL;
	}
	rc = 0;
	goto out;
oom:
	cli_err("out of memory");
out:
	curl_easy_cleanup(curl);
	curl_slist_free_all(hdrs);
	buf_free(&sink.b);
	free(sink.next);
	if (auth != NULL)
		explicit_bzero(auth, strlen(auth));
	free(auth);
	free(url);
	return rc;
}

int
cli_http(struct cli *cli, const char *method, const char *path,
    const char *body, size_t bodylen, const char *const *headers,
    int with_token, struct cli_resp *out)
{
	return http_request(cli, method, path, body, bodylen, headers,
	    with_token, out, NULL);
}

void
cli_api_error(const struct cli_resp *resp, const char *what)
{
	json_t		*root, *err;
	const char	*code = NULL, *msg = NULL;
	char		*snippet;

	root = json_loadb(resp->body, resp->len, 0, NULL);
	if ((err = json_object_get(root, "error")) != NULL) {
		code = cli_json_str(err, "code");
		msg = cli_json_str(err, "message");
	}
	if (code != NULL)
		cli_err("%s%s%s: %s", what ? what : "", what ? ": " : "", code,
		    msg != NULL ? msg : "");
	else if (resp->len > 0) {
		/* Not our error shape (a proxy's HTML page?): an excerpt. */
		snippet = cli_safe_new(resp->body, 120);
		cli_err("%s%sHTTP %ld: %s", what ? what : "", what ? ": " : "",
		    resp->status, snippet);
		free(snippet);
	} else
		cli_err("%s%sHTTP %ld", what ? what : "", what ? ": " : "",
		    resp->status);
	json_decref(root);
}

/* cli_api(), and the answer's Link rel="next" target into *next. */
static int
api_request(struct cli *cli, const char *method, const char *path,
    json_t *body, const char *what, struct cli_resp *out, char **next)
{
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	json_error_t	 jerr;
	char		*text = NULL, *link = NULL;
	int		 rc = -1;

	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		cli_err("out of memory");
		goto out;
	}
	if (http_request(cli, method, path, text, text ? strlen(text) : 0,
	    NULL, 1, &resp, &link) == -1)
		goto out;
	if (!is_2xx(resp.status)) {
		cli_api_error(&resp, what);
		goto out;
	}
	if (resp.len > 0 && (resp.json = json_loadb(resp.body, resp.len,
	    JSON_REJECT_DUPLICATES, &jerr)) == NULL) {
		cli_err("%s %s: the response is not JSON: %s", method, path,
		    jerr.text);
		goto out;
	}
	*out = resp;
	memset(&resp, 0, sizeof(resp));
	if (next != NULL) {
		*next = link;
		link = NULL;
	}
	rc = 0;
out:
	cli_resp_free(&resp);
	free(link);
	free(text);
	return rc;
}

int
cli_api(struct cli *cli, const char *method, const char *path, json_t *body,
    const char *what, struct cli_resp *out)
{
	return api_request(cli, method, path, body, what, out, NULL);
}

void
cli_resp_free(struct cli_resp *resp)
{
	free(resp->body);
	json_decref(resp->json);
	resp->body = NULL;
	resp->json = NULL;
}

/* --json: the body as the server sent it, newline-terminated. */
void
cli_resp_print_raw(const struct cli_resp *resp)
{
	if (resp->len == 0)
		return;
	fwrite(resp->body, 1, resp->len, stdout);
	if (resp->body[resp->len - 1] != '\n')
		fputc('\n', stdout);
}

/* RFC 3986 2.3: everything but the unreserved characters is encoded. */
void
cli_url_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char		 enc[3];

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~') {
			buf_append(b, p, 1);
			continue;
		}
		enc[0] = '%';
		enc[1] = hex[*p >> 4];
		enc[2] = hex[*p & 0xf];
		buf_append(b, enc, 3);
	}
}

void
cli_query_add(struct buf *b, const char *key, const char *value)
{
	if (value == NULL)
		return;
	buf_append(b, b->data != NULL && strchr(b->data, '?') ? "&" : "?", 1);
	cli_url_escape(b, key);
	buf_append(b, "=", 1);
	cli_url_escape(b, value);
}

json_t *
cli_page_rows(const struct cli_resp *resp)
{
	if (json_is_array(resp->json))
		return resp->json;
	return json_object_get(resp->json, "data");
}

/* The decoded ?cursor= of a URL: a new string, or NULL. */
static char *
url_cursor_new(const char *url)
{
	const char	*q, *amp;
	char		*c;
	size_t		 n;

	if ((q = strchr(url, '?')) == NULL)
		return NULL;
	for (q++; *q != '\0'; q = amp != NULL ? amp + 1 : q + n) {
		amp = strchr(q, '&');
		n = amp != NULL ? (size_t)(amp - q) : strlen(q);
		if (n <= 7 || strncmp(q, "cursor=", 7) != 0)
			continue;
		c = xmalloc(n);
		if (req_url_decode(q + 7, n - 7, c, n) == 0)
			return c;
		free(c);
		return NULL;
	}
	return NULL;
}

/*
 * GET of a list page into *out, and in *next the cursor of the page
 * after it (a new string, NULL on the last page): next_cursor, or the
 * ?cursor= of the Link rel="next" URL.  That URL is not requested as it
 * is: it is built on the server's public URL, which need not be the one
 * this CLI talks to (behind a proxy), and the bearer token must go to no
 * other origin.  Returns 0, or -1 (reported).
 */
static int
page_get(struct cli *cli, const char *path, struct cli_resp *out,
    char **next)
{
	const char	*c;
	char		*link = NULL;

	*next = NULL;
	if (api_request(cli, "GET", path, NULL, NULL, out, &link) == -1)
		return -1;
	if (json_is_array(out->json) && link != NULL)
		*next = url_cursor_new(link);
	else if ((c = cli_json_str(out->json, "next_cursor")) != NULL)
		*next = xstrdup(c);
	free(link);
	return 0;
}

int
cli_list_get(struct cli *cli, const char *path, const struct cli_list *l)
{
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	char		*next = NULL;
	int		 status = 1;

	if (page_get(cli, path, &resp, &next) == -1)
		goto out;
	cli_list_print(cli, &resp, next, l);
	status = 0;
out:
	cli_resp_free(&resp);
	free(next);
	return status;
}

int
cli_item_call(struct cli *cli, const char *method, const char *path,
    const char *id, void (*print)(struct cli *, const struct cli_resp *))
{
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	int		 status = 1;

	if (cli_api(cli, method, path, NULL, NULL, &resp) == -1)
		goto out;
	if (strcmp(method, "DELETE") == 0)
		printf("removed %s\n", id);
	else if (print != NULL)
		print(cli, &resp);
	else
		cli_object_print(cli, &resp);
	status = 0;
out:
	cli_resp_free(&resp);
	return status;
}

int
cli_item_run(struct cli *cli, const struct cli_cmd *cmd, int argc,
    char *argv[], const char *method, const char *prefix, const char *suffix,
    int (*check)(const struct cli_cmd *, const char *),
    void (*print)(struct cli *, const struct cli_resp *))
{
	char	**pos = NULL, *path = NULL;
	int	 npos, status = 1;

	if (cli_getopt(cli, cmd, argc, argv, NULL, NULL, NULL, &pos, &npos,
	    &status) == -1)
		goto out;
	if (check == NULL && *pos[0] == '\0') {
		status = cli_usage_error(cmd, "empty argument");
		goto out;
	}
	if (check != NULL && check(cmd, pos[0]) == -1) {
		status = EXIT_USAGE;
		goto out;
	}
	path = cli_item_path_new(prefix, pos[0], suffix);
	status = cli_item_call(cli, method, path, pos[0], print);
out:
	free(path);
	free(pos);
	return status;
}

/* l->path with params as its query; cursor, unless NULL, for ?cursor=. */
static char *
list_path_new(const struct cli_list *l, const struct cli_param *params,
    const char *cursor)
{
	struct buf	 path = { NULL, 0, 0 };

	buf_append(&path, l->path, strlen(l->path));
	for (; params != NULL && params->name != NULL; params++)
		if (cursor == NULL || strcmp(params->name, "cursor") != 0)
			cli_query_add(&path, params->name, *params->value);
	cli_query_add(&path, "cursor", cursor);
	return path.data;
}

/* --all: the pages from the one params name to the last, as one list. */
static int
list_all(struct cli *cli, const struct cli_list *l,
    const struct cli_param *params)
{
	struct cli_resp	 resp = { 0, NULL, 0, NULL };
	json_t		*rows;
	char		*path = NULL, *cursor = NULL, *next = NULL;
	size_t		 pages;
	int		 status = 1;

	rows = json_array();
	for (pages = 1;; pages++) {
		path = list_path_new(l, params, cursor);
		if (page_get(cli, path, &resp, &next) == -1)
			goto out;
		if (json_is_array(cli_page_rows(&resp)))
			json_array_extend(rows, cli_page_rows(&resp));
		cli_resp_free(&resp);
		free(path);
		path = NULL;
		if (next == NULL)
			break;
		if (pages == CLI_MAX_PAGES ||
		    (cursor != NULL && strcmp(next, cursor) == 0)) {
			cli_err("%s: the server's pages do not end (%zu pages)",
			    l->cmd->name, pages);
			goto out;
		}
		free(cursor);
		cursor = next;
		next = NULL;
	}
	cli_list_rows_print(cli, l, rows);
	status = 0;
out:
	cli_resp_free(&resp);
	json_decref(rows);
	free(next);
	free(cursor);
	free(path);
	return status;
}

int
cli_list_run(struct cli *cli, const struct cli_list *l, int argc,
    char *argv[], cli_opt_fn fn, void *ctx, const struct cli_param *params)
{
	char		*path = NULL, **pos = NULL;
	int		 npos, status = 1;

	if (cli_getopt(cli, l->cmd, argc, argv, l->opts,
	    fn != NULL ? fn : cli_page_opt, ctx, &pos, &npos, &status) == -1)
		goto out;
	if (cli->all)
		status = list_all(cli, l, params);
	else {
		path = list_path_new(l, params, NULL);
		status = cli_list_get(cli, path, l);
	}
out:
	free(path);
	free(pos);
	return status;
}

int
cli_answer_print(struct cli *cli, const struct cli_resp *resp)
{
	if (cli->json)
		cli_resp_print_raw(resp);
	else {
		printf("HTTP %ld\n", resp->status);
		cli_fput_safe(stdout, resp->body, 1);
		if (resp->len > 0 && resp->body[resp->len - 1] != '\n')
			fputc('\n', stdout);
	}
	if (!is_2xx(resp->status)) {
		cli_api_error(resp, NULL);
		return -1;
	}
	return 0;
}
