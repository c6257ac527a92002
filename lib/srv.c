#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "auth.h"
#include "cfg.h"
#include "copies.h"
#include "db.h"
#include "log.h"
#include "pool.h"
#include "refused.h"
#include "req.h"
#include "srv.h"
#include "thr.h"
#include "util.h"

extern char **environ;

/* Requests in hand (atomic: the threads change it, on_term reads it). */
static volatile sig_atomic_t	 in_request;
/* A thread's stack: the deepest handler path uses a few dozen KiB. */
#define SRV_STACK	(512 * 1024)
static volatile sig_atomic_t	 stop;
static char			 progname[32] = "hookpost"; /* "sources" */

static void
on_term(int sig)
{
	(void)sig;
	/* Idle in accept: leave now.  Busy: finish the request first. */
	if (!in_request)
		_exit(0);
	stop = 1;
}

static void
signals_setup(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);	/* mod_fcgid's graceful stop */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Matches one literal segment [s, se) against [p, pe), where "[text]"
 * is optional text: "webhook[s]" takes "webhook" and "webhooks", so one
 * row serves a route spelt two ways.  Returns 1 or 0.
 */
static int
segment_match(const char *p, const char *pe, const char *s, const char *se)
{
	const char	*close;
	size_t		 n;

	for (; p < pe; p++, s++) {
		if (*p == '[' && (close = memchr(p, ']', (size_t)(pe - p))) !=
		    NULL) {
			n = (size_t)(close - p - 1);
			if ((size_t)(se - s) >= n && strncmp(p + 1, s, n) == 0 &&
			    segment_match(close + 1, pe, s + n, se))
				return 1;
			return segment_match(close + 1, pe, s, se);
		}
		if (s == se || *p != *s)
			return 0;
	}
	return s == se;
}

/*
 * Matches path against pattern segment by segment; ":name" captures one
 * non-empty segment, "[text]" is optional text within a segment.
 * Returns 1 and fills captures, or 0.
 */
static int
route_match(const char *pattern, const char *path, char *caps[REQ_MAX_PARAMS])
{
	const char	*p = pattern, *s = path, *pe, *se;
	size_t		 ncap = 0, i;

	while (*p != '\0' && *s != '\0') {
		if (*p != '/' || *s != '/')
			goto fail;
		p++;
		s++;
		pe = strchrnul(p, '/');
		se = strchrnul(s, '/');
		if (*p == ':') {
			if (se == s || ncap == REQ_MAX_PARAMS)
				goto fail;
			caps[ncap++] = xstrndup(s, (size_t)(se - s));
		} else if (!segment_match(p, pe, s, se))
			goto fail;
		p = pe;
		s = se;
	}
	if (*p == '\0' && (*s == '\0' || strcmp(s, "/") == 0))
		return 1;
fail:
	for (i = 0; i < ncap; i++) {
		free(caps[i]);
		caps[i] = NULL;
	}
	return 0;
}

static size_t
req_read(struct req *r, char *buf, size_t n)
{
	int	 got;

	if (r->in != NULL) {
		/*
		 * What libfcgi holds already is taken under the process
		 * lock; waiting for more, a slow client holds its own thread
		 * only.
		 */
		if (r->in->rdNext < r->in->stop) {
			if (n > (size_t)(r->in->stop - r->in->rdNext))
				n = (size_t)(r->in->stop - r->in->rdNext);
			got = FCGX_GetStr(buf, (int)n, r->in);
		} else {
			thr_leave();
			got = FCGX_GetStr(buf, (int)n, r->in);
			thr_enter();
		}
		return got > 0 ? (size_t)got : 0;
	}
	return fread(buf, 1, n, stdin);
}

/* ARCHITECTURE.md §5: read what the client sent before answering early. */
static void
req_drain(struct req *r)
{
	char	 sink[16384];

	while (req_read(r, sink, sizeof(sink)) > 0)
		;
}

/* Reads at most max bytes of body; -1 when there is more than that. */
static int
req_read_body(struct req *r, size_t max)
{
	size_t	 cap, got;

	cap = r->content_length >= 0 ? (size_t)r->content_length : 65536;
	if (cap > max)
		cap = max;
	r->body = xmalloc(cap + 1);
	r->bodylen = 0;
	for (;;) {
		if (r->bodylen == cap) {
			if (cap >= max) {
				/* One byte more than allowed means too large. */
				char	 probe;

				if (req_read(r, &probe, 1) == 1)
					return -1;
				break;
			}
			cap = cap * 2 > max ? max : cap * 2;
			r->body = xrealloc(r->body, cap + 1);
		}
		got = req_read(r, r->body + r->bodylen, cap - r->bodylen);
		if (got == 0)
			break;
		r->bodylen += got;
	}
	r->body[r->bodylen] = '\0';
	return 0;
}

/* Media types a JSON route takes: JSON, and what `curl -d` sends. */
static int
ctype_ok(const char *ct)
{
	static const char *const ok[] = { "application/json",
	    "application/x-www-form-urlencoded", "text/plain" };
	size_t	 i, n;

	if (ct == NULL || *ct == '\0')
		return 1;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		n = strlen(ok[i]);
		if (strncasecmp(ct, ok[i], n) == 0 &&
		    (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' '))
			return 1;
	}
	/* The structured-syntax suffix +json (RFC 6839). */
	if (strncasecmp(ct, "application/", 12) == 0 &&
	    strcasestr(ct, "+json") != NULL)
		return 1;
	return 0;
}

static void
req_free(struct req *r)
{
	size_t	 i;

	free(r->path);
	for (i = 0; i < REQ_MAX_PARAMS; i++)
		free(r->params[i]);
	free(r->body);
	free(r->auth.token_id);
	free(r->auth.owner_id);
	free(r->auth.session_id);
	memset(r, 0, sizeof(*r));
}

/*
 * Fault injection for tests (tests/integration/07_server_errors.sh): with
 * HOOKPOST_TEST_FAULTS=1 in the configuration, a request with the header
 * "X-Hookpost-Test-Fault: die" is handled in full (stored, if it is an
 * alert) and the process then dies before its answer leaves: the client
 * sees what the web server makes of a handler that died mid-request.
 * Returns 1 for such a request.  Never set it in production.
 */
static int
test_die(struct req *r)
{
	const char	*v, *h;
	int		 fd;

	if ((v = cfg_get("HOOKPOST_TEST_FAULTS")) == NULL ||
	    strcmp(v, "1") != 0 ||
	    (h = req_env(r, "HTTP_X_HOOKPOST_TEST_FAULT")) == NULL ||
	    strcmp(h, "die") != 0)
		return 0;
	/* Plain CGI writes each answer out at once: to nowhere, then. */
	if (r->out == NULL && (fd = open("/dev/null", O_WRONLY)) != -1)
		dup2(fd, STDOUT_FILENO);
	return 1;
}

/*
 * A 503 because the database could not be reached (SQLSTATE class 08,
 * connection exceptions, or 57P, the server shutting down or starting):
 * counted in the refusal spool (lib/refused.h), since the audit log is
 * out of reach.
 */
static void
note_refusal(const struct req *r)
{
	const char	*st = db_last_sqlstate();

	if (r->status == 503 && (strncmp(st, "08", 2) == 0 ||
	    strncmp(st, "57P", 3) == 0))
		refused_note(progname);
}

static void
serve_one(struct req *r, const struct srv_route *routes, size_t nroutes,
    srv_dispatch_fn dispatch)
{
	const struct srv_route	*rt = NULL;
	const char		*uri, *q, *cl;
	char			 allow[128] = "", hdr[160];
	size_t			 i, blen, ulen;
	long long		 n;
	int			 die;

	r->started_ms = now_ms();
	r->method = req_env(r, "REQUEST_METHOD");
	if (r->method == NULL)
		r->method = "GET";
	r->remote_addr = req_env(r, "REMOTE_ADDR");
	r->user_agent = req_env(r, "HTTP_USER_AGENT");
	r->content_length = -1;
	if ((cl = req_env(r, "CONTENT_LENGTH")) != NULL && *cl != '\0') {
		if (parse_int(cl, 0, (long long)1 << 40, &n) == -1) {
			resp_error(r, 400, "invalid_request",
			    "Content-Length is not a number");
			return;
		}
		r->content_length = n;
	}

	/* Route on REQUEST_URI: it is the same under every server and CGI. */
	uri = req_env(r, "REQUEST_URI");
	if (uri == NULL)
		uri = req_env(r, "SCRIPT_NAME");
	if (uri == NULL)
		uri = "/";
	q = strchr(uri, '?');
	ulen = q ? (size_t)(q - uri) : strlen(uri);
	r->query = q ? q + 1 : req_env(r, "QUERY_STRING");
	if (r->query == NULL)
		r->query = "";
	if (cfg.base_path != NULL && (blen = strlen(cfg.base_path)) > 0 &&
	    cfg.base_path[blen - 1] == '/')
		blen--;
	else
		blen = cfg.base_path ? strlen(cfg.base_path) : 0;
	if (blen > 0 && ulen >= blen && strncmp(uri, cfg.base_path, blen) == 0) {
		uri += blen;
		ulen -= blen;
	}
	r->path = xstrndup(uri, ulen);

	for (i = 0; i < nroutes; i++) {
		if (!route_match(routes[i].pattern, r->path, r->params))
			continue;
		if (strcmp(routes[i].method, r->method) == 0 ||
		    (strcmp(r->method, "HEAD") == 0 &&
		    strcmp(routes[i].method, "GET") == 0)) {
			rt = &routes[i];
			break;
		}
		if (strstr(allow, routes[i].method) == NULL) {
			blen = strlen(allow);
			snprintf(allow + blen, sizeof(allow) - blen, "%s%s",
			    blen ? ", " : "", routes[i].method);
		}
		for (size_t k = 0; k < REQ_MAX_PARAMS; k++) {
			free(r->params[k]);
			r->params[k] = NULL;
		}
	}
	if (rt == NULL) {
		req_drain(r);
		if (allow[0] != '\0') {
			static const char body[] = "{\"error\":{\"code\":"
			    "\"method_not_allowed\",\"message\":\"Method not "
			    "allowed on this resource\"}}";

			snprintf(hdr, sizeof(hdr), "Allow: %s\r\n", allow);
			resp_send(r, 405, "application/json", hdr, body,
			    sizeof(body) - 1);
		} else
			resp_error(r, 404, "not_found", "No such resource");
		return;
	}
	if (rt->flags & SRV_LAZY) {
		/* The handler decides; what it leaves is drained below. */
	} else if (rt->flags & (SRV_BODY | SRV_RAW)) {
		if (r->content_length > (long long)cfg.max_body) {
			req_drain(r);
			resp_error(r, 413, "payload_too_large", "Request body "
			    "exceeds the %zu byte limit", cfg.max_body);
			return;
		}
		if (!(rt->flags & SRV_RAW) &&
		    !ctype_ok(req_env(r, "CONTENT_TYPE"))) {
			req_drain(r);
			resp_error(r, 415, "unsupported_media_type",
			    "Request body must be application/json");
			return;
		}
		if (req_read_body(r, cfg.max_body) == -1) {
			req_drain(r);
			resp_error(r, 413, "payload_too_large", "Request body "
			    "exceeds the %zu byte limit", cfg.max_body);
			return;
		}
	} else
		req_drain(r);
	/* After the body is read: a refused client has sent it all. */
	if ((rt->flags & SRV_CONNECTORS) &&
	    !cfg_module_enabled("connectors")) {
		resp_error(r, 403, "module_disabled", "The connectors module "
		    "is not enabled (HOOKPOST_MODULES)");
	} else if (rt->need == AUTH_NONE || auth_require(r, rt->need) == 0) {
		die = test_die(r);
		dispatch(r, rt->id);
		if (die) {
			log_warn("HOOKPOST_TEST_FAULTS: dying before the answer "
			    "(status %d) is sent", r->status);
			_exit(70);
		}
	}
	if (rt->flags & SRV_LAZY)
		req_drain(r);
	if (r->status == 0)
		resp_error(r, 500, "internal", "The handler gave no response");
}

int
srv_body_read(struct req *r, size_t max)
{
	if (max > cfg.max_body)
		max = cfg.max_body;
	if (r->body != NULL)
		return r->bodylen > max ? -1 : 0;
	if (r->content_length > (long long)max ||
	    req_read_body(r, max) == -1) {
		req_drain(r);
		return -1;
	}
	return 0;
}

void
srv_body_drain(struct req *r)
{
	req_drain(r);
}

static int
usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-s socket|:port] [-n processes] "
	    "[-t threads]\n"
	    "  Without -s: a FastCGI program started by the web server, on "
	    "fd 0 (with -n, a pool\n  of that many on it), or plain CGI.  "
	    "-t: threads per process, whose\n  requests' writes are made "
	    "in one commit (lib/thr.h).\n", prog);
	return 1;
}

/*
 * The FastCGI loop, in each thread of a process (-t): a request is
 * accepted (accept(2) on Linux takes concurrent callers, one connection
 * each: libfcgi's example lock is for other systems) and handled under
 * the process lock (lib/thr.h), which a thread lets go of while it waits
 * for its client or the database; its answer is sent without it.
 */
static struct {
	int			 sock;
	const struct srv_route	*routes;
	size_t			 nroutes;
	srv_dispatch_fn		 dispatch;
} serving;

static void *
serve_loop(void *arg)
{
	FCGX_Request	 fr;
	struct req	 r;

	(void)arg;
	if (FCGX_InitRequest(&fr, serving.sock, 0) != 0) {
		log_error("FCGX_InitRequest failed");
		return NULL;
	}
	while (!stop) {
		if (FCGX_Accept_r(&fr) < 0)
			break;
		__atomic_add_fetch(&in_request, 1, __ATOMIC_SEQ_CST);
		thr_enter();
		memset(&r, 0, sizeof(r));
		r.in = fr.in;
		r.out = fr.out;
		r.envp = fr.envp;
		serve_one(&r, serving.routes, serving.nroutes,
		    serving.dispatch);
		note_refusal(&r);
		req_free(&r);
		copy_release();
		thr_leave();
		FCGX_Finish_r(&fr);
		/* Asked to stop: the last request in hand ends the process. */
		if (__atomic_sub_fetch(&in_request, 1, __ATOMIC_SEQ_CST) == 0 &&
		    stop && thr_on())
			_exit(0);
	}
	/*
	 * Stopping, with threads: this one takes no more requests (under
	 * a steady stream, threads that went on accepting would keep the
	 * count above 0 for ever); the others end theirs, the last ends
	 * the process.  The main thread too must not return from main
	 * while another is mid-request.
	 */
	if (thr_on()) {
		if (__atomic_load_n(&in_request, __ATOMIC_SEQ_CST) == 0)
			_exit(0);
		pthread_exit(NULL);
	}
	return NULL;
}

static int
serve_fcgi(int sock, long long nthreads, const struct srv_route *routes,
    size_t nroutes, srv_dispatch_fn dispatch)
{
	pthread_attr_t	 attr;
	pthread_t	 t;
	long long	 i;

	serving.sock = sock;
	serving.routes = routes;
	serving.nroutes = nroutes;
	serving.dispatch = dispatch;
	if (nthreads > 1) {
		/* One thread runs at a time: one malloc arena will do. */
		mallopt(M_ARENA_MAX, 1);
		thr_init();
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, SRV_STACK);
		for (i = 1; i < nthreads; i++)
			if (pthread_create(&t, &attr, serve_loop, NULL) != 0) {
				log_error("cannot start thread %lld of %lld",
				    i + 1, nthreads);
				break;
			}
		pthread_attr_destroy(&attr);
	}
	serve_loop(NULL);
	db_close();
	return 0;
}

int
srv_main(int argc, char *argv[], const struct srv_route *routes,
    size_t nroutes, srv_dispatch_fn dispatch)
{
	struct req	 r;
	const char	*sockpath = NULL, *base, *why;
	long long	 nproc = 0, nthreads = 1;
	int		 sock;

	signals_setup();
	if ((base = strrchr(argv[0], '/')) != NULL)
		base++;
	else
		base = argv[0];
	snprintf(progname, sizeof(progname), "%.*s", (int)strcspn(base, "."),
	    base);
	if (pool_options(argc, argv, &sockpath, &nproc, &nthreads) == -1)
		return usage(argv[0]);
	if (cfg_load() == -1)
		return 1;
	if (sockpath == NULL && FCGX_IsCGI()) {
		if (nproc != 0 || nthreads != 1)
			return usage(argv[0]);
		sock = -1;
	} else {
		/* Our own socket (mod_proxy_fcgi): a pool, 4 by default. */
		if (sockpath != NULL && nproc == 0)
			nproc = 4;
		if ((sock = pool_listen(sockpath, nproc, &why)) == -2)
			return 0;
		if (sock == -1) {
			log_error("%s: %s", sockpath != NULL ? sockpath :
			    "FastCGI", why);
			return 1;
		}
	}
	if (sock != -1)
		return serve_fcgi(sock, nthreads, routes, nroutes, dispatch);

	/* Plain CGI (RFC 3875): one request over stdio. */
	in_request = 1;
	memset(&r, 0, sizeof(r));
	r.envp = environ;
	serve_one(&r, routes, nroutes, dispatch);
	note_refusal(&r);
	req_free(&r);
	copy_release();
	db_close();
	return 0;
}
