/*
 * bench-load: the load generator of `make bench` (bench/README.md).
 *
 * Closed loop: N keep-alive HTTP/1.1 connections, each with one request
 * in flight, driven by epoll on 1-8 threads.  Every request is a
 * seed-004 alert with a body unique to the run and the request (so the
 * receiver's replay guard never answers from its cache), signed as the
 * seed says: X-Webhook-Timestamp and X-Webhook-Signature: sha256=<hex
 * HMAC-SHA256(secret, "<timestamp>.<body>")>.  Requests run for the
 * warm-up and then for the measured seconds; only responses that end
 * inside the measured window count.  Prints one line:
 *
 *	req/s p50_ms p99_ms errors
 *
 * where req/s, p50 and p99 are over 2xx responses and errors counts
 * non-2xx responses and broken connections inside the window.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "crypt.h"
#include "sig.h"
#include "util.h"

#define LOAD_MAX_CONNS		4096
#define LOAD_MAX_THREADS	8
#define LOAD_REQ_MAX		4096	/* one request, headers and body */
#define LOAD_RESP_MAX		65536	/* one response; ours are < 1 KiB */
#define LOAD_ERRTEXT		200

struct target {
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	char			 hostport[300];	/* the Host header */
	char			 path[1024];
};

enum conn_state { CONN_CONNECTING, CONN_WRITING, CONN_READING };

struct conn {
	int		 fd;
	enum conn_state	 state;
	uint32_t	 events;	/* what epoll watches now */
	char		 out[LOAD_REQ_MAX];
	size_t		 outlen, outoff;
	char		 in[LOAD_RESP_MAX];
	size_t		 inlen;
	int64_t		 sent_ns;
};

struct lat {
	uint32_t	*us;
	size_t		 n, cap;
};

struct worker {
	pthread_t	 tid;
	int		 id;
	int		 epfd;
	struct conn	*conns;
	size_t		 nconns;
	unsigned long long counter;
	struct lat	 lat;		/* 2xx latencies in the window, us */
	unsigned long long errors;	/* in the window */
	unsigned long long warm_errors;	/* before it */
	int		 fatal;
	char		 first_error[LOAD_ERRTEXT];
};

/* Set before the threads start; read-only afterwards. */
static struct target	 target;
static const char	*secret = "bench-secret";
static int		 signed_mode = 1;
static char		 run_id[32];
static int64_t		 window_start_ns, window_end_ns;

static int64_t
mono_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Counts an error; the first one's text is kept for the report. */
static void
note_error(struct worker *w, int64_t now, const char *what, const char *detail)
{
	if (now >= window_start_ns && now < window_end_ns)
		w->errors++;
	else
		w->warm_errors++;
	if (w->first_error[0] == '\0')
		snprintf(w->first_error, sizeof(w->first_error), "%s%s%s",
		    what, detail[0] ? ": " : "", detail);
}

static void
lat_add(struct lat *l, uint32_t us)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 65536;
		l->us = xrealloc(l->us, l->cap * sizeof(l->us[0]));
	}
	l->us[l->n++] = us;
}

/* "http://host[:port]/path" into target; 0 or -1. */
static int
target_parse(const char *url)
{
	struct addrinfo	 hints, *ai = NULL;
	const char	*h, *slash, *colon;
	char		 host[256], port[8] = "80";
	size_t		 hl;
	int		 rc;

	if (strncmp(url, "http://", 7) != 0) {
		fprintf(stderr, "bench-load: only http:// URLs\n");
		return -1;
	}
	h = url + 7;
	slash = strchr(h, '/');
	if (slash == NULL)
		slash = h + strlen(h);
	hl = (size_t)(slash - h);
	if (hl == 0 || hl >= sizeof(target.hostport)) {
		fprintf(stderr, "bench-load: bad host in %s\n", url);
		return -1;
	}
	memcpy(target.hostport, h, hl);
	target.hostport[hl] = '\0';
	snprintf(target.path, sizeof(target.path), "%s", *slash ? slash : "/");
	colon = memchr(h, ':', hl);
	if (colon != NULL) {
		if ((size_t)(slash - colon - 1) >= sizeof(port) ||
		    slash == colon + 1) {
			fprintf(stderr, "bench-load: bad port in %s\n", url);
			return -1;
		}
		memcpy(port, colon + 1, (size_t)(slash - colon - 1));
		port[slash - colon - 1] = '\0';
		hl = (size_t)(colon - h);
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		fprintf(stderr, "bench-load: %s: %s\n", host, gai_strerror(rc));
		return -1;
	}
	memcpy(&target.addr, ai->ai_addr, ai->ai_addrlen);
	target.addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/*
 * Writes the next request of worker w into c->out.  The alert id makes
 * each body, and so each signature, unique to the run and the request.
 */
static int
request_build(struct worker *w, struct conn *c)
{
	char		 body[512], ts[24], iso[32], hex[65], sighdr[200];
	struct tm	 tm;
	time_t		 now;
	int		 blen, n;

	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(ts, sizeof(ts), "%lld", (long long)now);
	blen = snprintf(body, sizeof(body), "{\"event_type\":\"security_alert\","
	    "\"timestamp\":\"%s\",\"data\":{\"alert_id\":\"bench-%s-%d-%llu\","
	    "\"severity\":\"high\"}}", iso, run_id, w->id, ++w->counter);
	if (blen < 0 || (size_t)blen >= sizeof(body))
		return -1;
	sighdr[0] = '\0';
	if (signed_mode == 1) {
		if (sig_hmac_sha256_ts_hex(secret, ts, body, (size_t)blen,
		    hex) == -1)
			return -1;
		snprintf(sighdr, sizeof(sighdr), "X-Webhook-Timestamp: %s\r\n"
		    "X-Webhook-Signature: sha256=%s\r\n", ts, hex);
	} else if (signed_mode == 2) {
		/* seed 002 triggers: HMAC-SHA256 over the body alone. */
		struct sig_part	 part = { body, (size_t)blen };
		unsigned char	 mac[SIG_MAX_MAC];
		size_t		 maclen;

		if (sig_hmac("SHA256", secret, strlen(secret), &part, 1, mac,
		    &maclen) == -1)
			return -1;
		crypt_hex(mac, maclen, hex);
		snprintf(sighdr, sizeof(sighdr),
		    "X-Webhook-Signature: sha256=%s\r\n", hex);
	}
	n = snprintf(c->out, sizeof(c->out), "POST %s HTTP/1.1\r\n"
	    "Host: %s\r\n"
	    "User-Agent: hookpost-bench-load/1\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %d\r\n"
	    "%s"
	    "\r\n"
	    "%s", target.path, target.hostport, blen, sighdr, body);
	if (n < 0 || (size_t)n >= sizeof(c->out))
		return -1;
	c->outlen = (size_t)n;
	c->outoff = 0;
	c->inlen = 0;
	return 0;
}

/* Parses a non-negative decimal of at most 18 digits: 0 or -1. */
static int
parse_len(const char *s, const char *end, int base, size_t *out)
{
	size_t	 v = 0, digits = 0;
	int	 d;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	for (; s < end; s++) {
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (++digits > 15)
			return -1;
		v = v * (size_t)base + (size_t)d;
	}
	if (digits == 0)
		return -1;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	/* A chunk size may carry extensions after ';' (RFC 9112 7.1.1). */
	if (s < end && !(base == 16 && *s == ';'))
		return -1;
	*out = v;
	return 0;
}

/*
 * The end of a chunked body starting at p: 1 and *used, 0 when more
 * bytes are needed, -1 when malformed.
 */
static int
chunked_end(const char *p, size_t len, size_t *used)
{
	const char	*eol;
	size_t		 off = 0, size;

	for (;;) {
		eol = memmem(p + off, len - off, "\r\n", 2);
		if (eol == NULL)
			return 0;
		if (parse_len(p + off, eol, 16, &size) == -1)
			return -1;
		off = (size_t)(eol - p) + 2;
		if (size == 0)
			break;
		if (len - off < size + 2)
			return 0;
		if (memcmp(p + off + size, "\r\n", 2) != 0)
			return -1;
		off += size + 2;
	}
	/* Trailer fields, then an empty line. */
	for (;;) {
		eol = memmem(p + off, len - off, "\r\n", 2);
		if (eol == NULL)
			return 0;
		if (eol == p + off) {
			*used = off + 2;
			return 1;
		}
		off = (size_t)(eol - p) + 2;
	}
}

/*
 * Finds the end of the response in buf: 1 with *status, *total (bytes
 * of the whole response) and *close, 0 when more bytes are needed, -1
 * when it isn't a response we understand.
 */
static int
response_parse(const char *buf, size_t len, int *status, size_t *total,
    int *close_after)
{
	const char	*hend, *line, *eol, *colon;
	size_t		 hlen, clen = 0, used;
	int		 have_len = 0, chunked = 0, keep = 1, st, rc;

	if ((hend = memmem(buf, len, "\r\n\r\n", 4)) == NULL)
		return len >= LOAD_RESP_MAX ? -1 : 0;
	hlen = (size_t)(hend - buf) + 4;
	if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' ||
	    buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' ||
	    buf[11] < '0' || buf[11] > '9')
		return -1;
	st = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (buf[7] == '0')
		keep = 0;	/* HTTP/1.0 closes unless told otherwise */
	line = memmem(buf, hlen, "\r\n", 2) + 2;
	while (line < hend) {
		eol = memmem(line, (size_t)(hend + 2 - line), "\r\n", 2);
		colon = memchr(line, ':', (size_t)(eol - line));
		if (colon != NULL) {
			size_t	 nl = (size_t)(colon - line);
			char	 v[64];
			size_t	 vl = (size_t)(eol - colon - 1);

			if (vl >= sizeof(v))
				vl = sizeof(v) - 1;
			memcpy(v, colon + 1, vl);
			v[vl] = '\0';
			if (nl == 14 && strncasecmp(line, "Content-Length",
			    14) == 0) {
				if (parse_len(colon + 1, eol, 10, &clen) == -1)
					return -1;
				have_len = 1;
			} else if (nl == 17 && strncasecmp(line,
			    "Transfer-Encoding", 17) == 0 &&
			    strcasestr(v, "chunked") != NULL)
				chunked = 1;
			else if (nl == 10 && strncasecmp(line, "Connection",
			    10) == 0) {
				if (strcasestr(v, "close") != NULL)
					keep = 0;
				else if (strcasestr(v, "keep-alive") != NULL)
					keep = 1;
			}
		}
		line = eol + 2;
	}
	if (chunked) {
		if ((rc = chunked_end(buf + hlen, len - hlen, &used)) != 1)
			return rc;
		*total = hlen + used;
	} else if (have_len) {
		if (len - hlen < clen)
			return hlen + clen > LOAD_RESP_MAX ? -1 : 0;
		*total = hlen + clen;
	} else if (st == 204 || st == 304 || st < 200)
		*total = hlen;
	else
		return -1;	/* a body delimited by close: not from lighttpd */
	*status = st;
	*close_after = !keep;
	return 1;
}

static int
set_events(struct worker *w, struct conn *c, uint32_t events)
{
	struct epoll_event	 ev;

	if (c->events == events)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = c;
	if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		return -1;
	c->events = events;
	return 0;
}

static int
conn_open(struct worker *w, struct conn *c)
{
	struct epoll_event	 ev;
	int			 one = 1;

	c->fd = socket(target.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&target.addr,
	    target.addrlen) == -1 && errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	c->state = CONN_CONNECTING;
	c->events = EPOLLOUT;
	memset(&ev, 0, sizeof(ev));
	ev.events = c->events;
	ev.data.ptr = c;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
}

/* Sends what is left of c->out; -1 when the connection broke. */
static int
conn_write(struct worker *w, struct conn *c)
{
	ssize_t	 n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				c->state = CONN_WRITING;
				return set_events(w, c, EPOLLOUT);
			}
			return -1;
		}
		c->outoff += (size_t)n;
	}
	c->state = CONN_READING;
	return set_events(w, c, EPOLLIN);
}

static int
request_send(struct worker *w, struct conn *c)
{
	if (request_build(w, c) == -1) {
		snprintf(w->first_error, sizeof(w->first_error),
		    "cannot build a request: signing failed");
		w->fatal = 1;
		return -1;
	}
	c->sent_ns = mono_ns();
	return conn_write(w, c);
}

/* Replaces a broken or closed connection and sends on it. */
static int
conn_reopen(struct worker *w, struct conn *c)
{
	conn_close(c);
	if (conn_open(w, c) == -1) {
		snprintf(w->first_error, sizeof(w->first_error),
		    "cannot connect: %s", strerror(errno));
		w->fatal = 1;
		return -1;
	}
	return 0;
}

static void
on_response(struct worker *w, struct conn *c, int status, int64_t now)
{
	const char	*b;
	char		 what[16], detail[LOAD_ERRTEXT];

	if (status >= 200 && status < 300) {
		if (now >= window_start_ns && now < window_end_ns)
			lat_add(&w->lat, (uint32_t)((now - c->sent_ns + 500) /
			    1000));
		return;
	}
	snprintf(what, sizeof(what), "HTTP %d", status);
	detail[0] = '\0';
	if ((b = memmem(c->in, c->inlen, "\r\n\r\n", 4)) != NULL)
		snprintf(detail, sizeof(detail), "%.*s",
		    (int)(c->inlen - (size_t)(b + 4 - c->in)), b + 4);
	note_error(w, now, what, detail);
}

static void
on_event(struct worker *w, struct conn *c)
{
	const char	*why = "";
	ssize_t		 n;
	size_t		 total;
	socklen_t	 sl;
	int		 err = 0, status, close_after, rc;

	switch (c->state) {
	case CONN_CONNECTING:
		sl = sizeof(err);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
		    err != 0) {
			snprintf(w->first_error, sizeof(w->first_error),
			    "cannot connect: %s", strerror(err ? err : errno));
			w->fatal = 1;
			return;
		}
		if (request_send(w, c) == -1)
			goto broken;
		return;
	case CONN_WRITING:
		if (conn_write(w, c) == -1)
			goto broken;
		return;
	case CONN_READING:
		break;
	}
	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n == 0) {
		why = "closed by the server";
		goto broken;
	}
	if (n == -1)
		goto broken;
	c->inlen += (size_t)n;
	rc = response_parse(c->in, c->inlen, &status, &total, &close_after);
	if (rc == 0)
		return;
	if (rc == -1 || total != c->inlen) {
		note_error(w, mono_ns(), "malformed response", "");
		goto reopen;
	}
	on_response(w, c, status, mono_ns());
	if (close_after)
		goto reopen;
	if (request_send(w, c) == -1)
		goto broken;
	return;
broken:
	if (w->fatal)
		return;
	note_error(w, mono_ns(), "connection broken", why[0] ? why :
	    strerror(errno));
reopen:
	conn_reopen(w, c);
}

static void *
worker_run(void *arg)
{
	struct worker		*w = arg;
	struct epoll_event	 evs[256];
	int64_t			 now;
	size_t			 i;
	int			 n, k;

	for (i = 0; i < w->nconns; i++) {
		w->conns[i].fd = -1;
		if (conn_open(w, &w->conns[i]) == -1) {
			snprintf(w->first_error, sizeof(w->first_error),
			    "cannot connect: %s", strerror(errno));
			w->fatal = 1;
			goto out;
		}
	}
	while (!w->fatal && (now = mono_ns()) < window_end_ns) {
		n = epoll_wait(w->epfd, evs, 256, 10);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(w->first_error, sizeof(w->first_error),
			    "epoll_wait: %s", strerror(errno));
			w->fatal = 1;
			break;
		}
		for (k = 0; k < n && !w->fatal; k++)
			on_event(w, evs[k].data.ptr);
	}
out:
	/* Requests still in flight are abandoned: they end outside the window. */
	for (i = 0; i < w->nconns; i++)
		conn_close(&w->conns[i]);
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	 x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v, in ms. */
static double
percentile_ms(const uint32_t *v, size_t n, double p)
{
	size_t	 rank;

	if (n == 0)
		return 0;
	rank = (size_t)(p * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1] / 1000.0;
}

/* -1: one request on one connection; prints the response, 0 if 2xx. */
static int
run_once(void)
{
	struct worker	 w;
	struct conn	*c;
	size_t		 total;
	ssize_t		 n;
	int		 status = 0, close_after, rc = 1;

	memset(&w, 0, sizeof(w));
	c = xcalloc(1, sizeof(*c));
	c->fd = socket(target.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd == -1 || connect(c->fd, (struct sockaddr *)&target.addr,
	    target.addrlen) == -1) {
		fprintf(stderr, "bench-load: connect: %s\n", strerror(errno));
		goto out;
	}
	if (request_build(&w, c) == -1) {
		fprintf(stderr, "bench-load: cannot build the request\n");
		goto out;
	}
	while (c->outoff < c->outlen) {
		if ((n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		    MSG_NOSIGNAL)) <= 0) {
			fprintf(stderr, "bench-load: send: %s\n",
			    strerror(errno));
			goto out;
		}
		c->outoff += (size_t)n;
	}
	for (;;) {
		if ((n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - 1 -
		    c->inlen, 0)) <= 0) {
			fprintf(stderr, "bench-load: connection closed before "
			    "a whole response\n");
			goto out;
		}
		c->inlen += (size_t)n;
		if ((rc = response_parse(c->in, c->inlen, &status, &total,
		    &close_after)) == -1) {
			fprintf(stderr, "bench-load: malformed response\n");
			rc = 1;
			goto out;
		}
		if (rc == 1)
			break;
	}
	fwrite(c->in, 1, c->inlen, stdout);
	fputc('\n', stdout);
	rc = status >= 200 && status < 300 ? 0 : 1;
out:
	if (c->fd != -1)
		close(c->fd);
	free(c);
	return rc;
}

static int
usage(void)
{
	fprintf(stderr, "usage: bench-load [-1] [-c connections] [-d seconds] "
	    "[-w warmup] [-t threads]\n"
	    "                  [-m signed|body|plain] [-s secret] -u "
	    "http://host:port/path\n");
	return 2;
}

int
main(int argc, char *argv[])
{
	struct worker		*ws = NULL;
	struct lat		 all;
	const char		*url = NULL;
	long long		 nconns = 16, seconds = 10, warmup = 3,
				 nthreads = 1;
	unsigned long long	 errors = 0, warm_errors = 0;
	const char		*first_error = NULL;
	size_t			 i, k, per;
	int			 ch, once = 0, fatal = 0, rc = 1;

	while ((ch = getopt(argc, argv, "1c:d:m:s:t:u:w:")) != -1) {
		switch (ch) {
		case '1':
			once = 1;
			break;
		case 'c':
			if (parse_int(optarg, 1, LOAD_MAX_CONNS, &nconns) == -1)
				return usage();
			break;
		case 'd':
			if (parse_int(optarg, 1, 3600, &seconds) == -1)
				return usage();
			break;
		case 'm':
			if (strcmp(optarg, "signed") == 0)
				signed_mode = 1;
			else if (strcmp(optarg, "plain") == 0)
				signed_mode = 0;
			else if (strcmp(optarg, "body") == 0)
				signed_mode = 2;
			else
				return usage();
			break;
		case 's':
			secret = optarg;
			break;
		case 't':
			if (parse_int(optarg, 1, LOAD_MAX_THREADS, &nthreads) == -1)
				return usage();
			break;
		case 'u':
			url = optarg;
			break;
		case 'w':
			if (parse_int(optarg, 0, 3600, &warmup) == -1)
				return usage();
			break;
		default:
			return usage();
		}
	}
	if (url == NULL || optind != argc)
		return usage();
	if (target_parse(url) == -1)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	/* Unique across runs too: a rerun within the replay window signs
	 * different bodies. */
	snprintf(run_id, sizeof(run_id), "%lx%lx", (unsigned long)time(NULL),
	    (unsigned long)getpid());
	if (once)
		return run_once();

	if (nthreads > nconns)
		nthreads = nconns;
	window_start_ns = mono_ns() + warmup * 1000000000LL;
	window_end_ns = window_start_ns + seconds * 1000000000LL;
	ws = xcalloc((size_t)nthreads, sizeof(*ws));
	per = (size_t)(nconns / nthreads);
	for (i = 0; i < (size_t)nthreads; i++) {
		ws[i].id = (int)i;
		ws[i].nconns = per + (i < (size_t)(nconns % nthreads) ? 1 : 0);
		ws[i].conns = xcalloc(ws[i].nconns, sizeof(struct conn));
		if ((ws[i].epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
			fprintf(stderr, "bench-load: epoll_create1: %s\n",
			    strerror(errno));
			goto out;
		}
	}
	for (i = 0; i < (size_t)nthreads; i++)
		if (pthread_create(&ws[i].tid, NULL, worker_run, &ws[i]) != 0) {
			fprintf(stderr, "bench-load: cannot start a thread\n");
			exit(1);
		}
	for (i = 0; i < (size_t)nthreads; i++)
		pthread_join(ws[i].tid, NULL);

	memset(&all, 0, sizeof(all));
	for (i = 0; i < (size_t)nthreads; i++) {
		for (k = 0; k < ws[i].lat.n; k++)
			lat_add(&all, ws[i].lat.us[k]);
		errors += ws[i].errors;
		warm_errors += ws[i].warm_errors;
		fatal |= ws[i].fatal;
		if (first_error == NULL && ws[i].first_error[0] != '\0')
			first_error = ws[i].first_error;
	}
	if (first_error != NULL)
		fprintf(stderr, "bench-load: %llu errors in the window, %llu "
		    "in the warm-up; first: %s\n", errors, warm_errors,
		    first_error);
	if (fatal) {
		free(all.us);
		goto out;
	}
	qsort(all.us, all.n, sizeof(all.us[0]), cmp_u32);
	printf("%.1f %.2f %.2f %llu\n", (double)all.n / (double)seconds,
	    percentile_ms(all.us, all.n, 0.50),
	    percentile_ms(all.us, all.n, 0.99), errors);
	free(all.us);
	rc = 0;
out:
	for (i = 0; ws != NULL && i < (size_t)nthreads; i++) {
		if (ws[i].epfd > 0)
			close(ws[i].epfd);
		free(ws[i].conns);
		free(ws[i].lat.us);
	}
	free(ws);
	return rc;
}
