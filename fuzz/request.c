/*
 * fuzz/request: one request read and routed as a handler reads it in
 * CGI mode (lib/srv.c serve_one, lib/req.c): Content-Length, the
 * request URI and query string, the route table of fuzz/routes.h,
 * method, content type and size checks, the body from stdin; then what
 * a handler reads of it (query values, headers, the JSON body, the
 * base URL, a list's ?limit= and ?cursor=, the next page's URL).
 * srv.c and page.c are included whole for their static functions.
 * The next page's URL goes in a Link header: nothing of the request
 * may end it (a space, '"', '<', '>', ',', a control character).
 *
 * Input: CGI variables, one "NAME=value" a line, an empty line, then
 * the body (the handler's stdin).
 */
#include "../lib/page.c"
#include "../lib/srv.c"

#include "fuzz.h"
#include "routes.h"

#define ENV_MAX	32

static const struct page_list lists[] = {
	{ .key = PAGE_KEY_TIME_UUID, .limit_default = 50, .limit_max = 100 },
	{ .key = PAGE_KEY_RAW, .limit_default = 20, .limit_max = 1000 },
};

/* A list's arguments, and the URL of its next page. */
static void
paging(struct req *r)
{
	char		*a, *b, *url, *p;
	long long	 limit;
	size_t		 i;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		if (page_args(r, &lists[i], &limit, &a, &b) == 0) {
			free(a);
			free(b);
		}
		r->status = 0;	/* each list may answer */
	}
	url = page_next_url_new(r, "2024-05-01T12:00:00Z|a b\"<>");
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '"' ||
		    *p == '<' || *p == '>' || *p == ',')
			abort();
	free(url);
}

static void
dispatch(struct req *r, int route)
{
	char		 buf[256], *base;
	long long	 n;
	json_t		*j;

	paging(r);
	(void)req_query(r, "limit", buf, sizeof(buf));
	(void)req_query(r, "cursor", buf, 8);
	(void)req_query_uint(r, "limit", 1, 100, &n);
	(void)req_header(r, "Authorization");
	(void)req_header(r, "X-Forwarded-Proto");
	(void)req_header(r, "a-very-long-header-name-that-does-not-fit-the-"
	    "buffer-of-the-cgi-variable-name-built-from-it-0123456789");
	(void)req_https(r);
	if ((base = req_base_url_new(r)) != NULL)
		free(base);
	if (route == 5 && srv_body_read(r, 4096) == -1) {
		resp_error(r, 413, "payload_too_large", "too large");
		return;
	}
	if (r->body != NULL && (j = req_json_object(r)) != NULL) {
		resp_json(r, 200, j);
		return;
	}
	if (r->status == 0)
		resp_error(r, 404, "not_found", "route %d, %s", route,
		    r->params[0] != NULL ? r->params[0] : "-");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 once;
	struct fuzz_in	 in = { data, size };
	struct req	 r;
	char		*env[ENV_MAX + 1], *body;
	FILE		*saved, *f;
	size_t		 n = 0, len;

	fuzz_setup();
	if (!once) {
		once = 1;
		if (freopen("/dev/null", "w", stdout) == NULL)
			abort();
		cfg.max_body = 65536;
		cfg.base_path = "/hookpost/";
		cfg.trusted_proxies = "10.0.0.0/8,::1";
	}
	while (in.n > 0 && n < ENV_MAX) {
		env[n] = fuzz_line(&in);
		if (*env[n] == '\0') {
			free(env[n]);
			break;
		}
		n++;
	}
	env[n] = NULL;
	body = fuzz_rest(&in, &len);
	/* The body is the handler's stdin, as in CGI mode. */
	f = len > 0 ? fmemopen(body, len, "r") : fopen("/dev/null", "r");
	if (f == NULL)
		abort();
	saved = stdin;
	stdin = f;
	memset(&r, 0, sizeof(r));
	r.envp = env;
	serve_one(&r, fuzz_routes, sizeof(fuzz_routes) /
	    sizeof(fuzz_routes[0]), dispatch);
	/* Every request is answered once, with a status of HTTP's. */
	if (r.status < 200 || r.status > 599)
		abort();
	req_free(&r);
	stdin = saved;
	fclose(f);
	while (n > 0)
		free(env[--n]);
	free(body);
	return 0;
}
