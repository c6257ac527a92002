/*
 * bench-sink: a small, fast HTTP/1.1 receiver for outbound deliveries:
 * the "real local receiver" of the delivery tests and the sink of the
 * delivery benchmark.  One thread, epoll, keep-alive.  What it answers
 * depends on the path:
 *   /ok                 200
 *   /status/NNN         NNN (500, 410, ...)
 *   /slow/MS            200 after MS milliseconds (timeouts)
 *   /async              200 with X-Webhook-Callback: async
 *   /tmi-async          200 with X-TMI-Callback: async (seed 000)
 *   /challenge          echoes a webhook.challenge, else 200
 *   /challenge-wrong    answers a wrong challenge
 *   /retry-after/N      503 with Retry-After: N
 *   /fail-first/N       500 for the first N attempts of a delivery id, then 200
 *   /pagerduty          202 with PagerDuty's Events API v2 success body
 *                       (the delivery bench's PagerDuty connector)
 * With -l FILE each request is appended as one JSON line (method, path,
 * lower-cased headers, body), for tests to inspect.
 *   bench-sink -p port [-l file]
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "util.h"

#define MAX_REQ		(2 * 1024 * 1024)
#define MAX_CONN	4096

struct conn {
	int		 fd;
	struct buf	 in;
	double		 due_ms;	/* > 0: a delayed response is waiting */
	struct buf	 pending;	/* that response */
};

struct tries {
	char	 id[64];
	int	 n;
};

static FILE		*reqlog;
static struct conn	*conns[MAX_CONN];
static struct tries	*tries;
static size_t		 ntries;

static void
conn_close(int ep, struct conn *c)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	conns[c->fd] = NULL;
	buf_free(&c->in);
	buf_free(&c->pending);
	free(c);
}

static void
send_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;	/* the peer went away; its loss */
		p += w;
		n -= (size_t)w;
	}
}

static int
attempts_of(const char *id)
{
	size_t	 i;

	for (i = 0; i < ntries; i++)
		if (strcmp(tries[i].id, id) == 0)
			return ++tries[i].n;
	tries = xrealloc(tries, (ntries + 1) * sizeof(*tries));
	snprintf(tries[ntries].id, sizeof(tries[ntries].id), "%s", id);
	tries[ntries].n = 1;
	return tries[ntries++].n;
}

static void
log_request(const char *method, const char *path, json_t *hdrs,
    const char *body, size_t blen)
{
	json_t	*j;
	char	*s;
	struct timespec ts;

	if (reqlog == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	j = json_pack("{s:f,s:s,s:s,s:O,s:s%}", "t", ts.tv_sec +
	    ts.tv_nsec / 1e9, "method", method, "path", path, "headers", hdrs,
	    "body", body, blen);
	if (j == NULL)
		j = json_pack("{s:s,s:s,s:s}", "method", method, "path", path,
		    "body", "(not UTF-8)");
	s = json_dumps(j, JSON_COMPACT);
	fprintf(reqlog, "%s\n", s);
	fflush(reqlog);
	free(s);
	json_decref(j);
}

/* Handles one complete request; returns the bytes it used. */
static void
respond(struct conn *c, const char *method, const char *path, json_t *hdrs,
    const char *body, size_t blen)
{
	struct buf	 out = { 0 };
	const char	*extra = "", *id;
	char		 rbody[256] = "ok", hx[64] = "";
	int		 status = 200, delay = 0, n;
	json_t		*j;

	log_request(method, path, hdrs, body, blen);
	if (strncmp(path, "/status/", 8) == 0)
		status = (int)strtol(path + 8, NULL, 10);
	else if (strncmp(path, "/slow/", 6) == 0)
		delay = (int)strtol(path + 6, NULL, 10);
	else if (strcmp(path, "/async") == 0)
		extra = "X-Webhook-Callback: async\r\n";
	else if (strcmp(path, "/tmi-async") == 0)
		extra = "X-TMI-Callback: async\r\n";
	else if (strncmp(path, "/retry-after/", 13) == 0) {
		status = 503;
		snprintf(hx, sizeof(hx), "Retry-After: %ld\r\n",
		    strtol(path + 13, NULL, 10));
		extra = hx;
	} else if (strncmp(path, "/fail-first/", 12) == 0) {
		id = json_string_value(json_object_get(hdrs,
		    "x-webhook-delivery-id"));
		n = (int)strtol(path + 12, NULL, 10);
		if (id != NULL && attempts_of(id) <= n)
			status = 500;
	} else if (strcmp(path, "/pagerduty") == 0) {
		status = 202;
		snprintf(rbody, sizeof(rbody), "{\"status\":\"success\","
		    "\"message\":\"Event processed\",\"dedup_key\":"
		    "\"bench\"}");
	} else if (strncmp(path, "/challenge", 10) == 0) {
		j = json_loadb(body, blen, 0, NULL);
		if (j != NULL && json_is_string(json_object_get(j, "challenge")))
			snprintf(rbody, sizeof(rbody), "{\"challenge\":\"%s\"}",
			    strcmp(path, "/challenge-wrong") == 0 ? "nope" :
			    json_string_value(json_object_get(j, "challenge")));
		json_decref(j);
	}
	if (status < 100 || status > 599)
		status = 400;
	buf_appendf(&out, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n%s\r\n%s", status, strlen(rbody), extra,
	    rbody);
	if (delay > 0) {
		c->due_ms = now_ms() + delay;
		buf_append(&c->pending, out.data, out.len);
	} else
		send_all(c->fd, out.data, out.len);
	buf_free(&out);
}

/* Parses and answers every complete request in c->in.  -1: close. */
static int
conn_process(struct conn *c)
{
	char		*end, *line, *next, *sp, *colon, method[16], path[512];
	size_t		 hlen, clen, used;
	json_t		*hdrs;
	char		*v;

	while (c->due_ms == 0 && c->in.len > 0) {
		if ((end = memmem(c->in.data, c->in.len, "\r\n\r\n", 4)) == NULL)
			return c->in.len > 65536 ? -1 : 0;
		hlen = (size_t)(end - c->in.data) + 4;
		*end = '\0';
		clen = 0;
		hdrs = json_object();
		line = c->in.data;
		next = strstr(line, "\r\n");
		if (next != NULL)
			*next = '\0';
		if ((sp = strchr(line, ' ')) == NULL ||
		    (size_t)(sp - line) >= sizeof(method)) {
			json_decref(hdrs);
			return -1;
		}
		memcpy(method, line, (size_t)(sp - line));
		method[sp - line] = '\0';
		snprintf(path, sizeof(path), "%s", sp + 1);
		if ((sp = strchr(path, ' ')) != NULL)
			*sp = '\0';
		for (line = next ? next + 2 : NULL; line != NULL && *line;
		    line = next ? next + 2 : NULL) {
			if ((next = strstr(line, "\r\n")) != NULL)
				*next = '\0';
			if ((colon = strchr(line, ':')) == NULL)
				continue;
			*colon = '\0';
			for (v = line; *v; v++)
				*v = (char)tolower((unsigned char)*v);
			v = colon + 1;
			while (*v == ' ')
				v++;
			if (strcmp(line, "content-length") == 0)
				clen = strtoul(v, NULL, 10);
			json_object_set_new(hdrs, line, json_string(v));
		}
		if (clen > MAX_REQ) {
			json_decref(hdrs);
			return -1;
		}
		if (c->in.len < hlen + clen) {
			/* Body incomplete: restore the header end and wait. */
			*end = '\r';
			json_decref(hdrs);
			return 0;
		}
		respond(c, method, path, hdrs, c->in.data + hlen, clen);
		json_decref(hdrs);
		used = hlen + clen;
		memmove(c->in.data, c->in.data + used, c->in.len - used);
		c->in.len -= used;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sa;
	struct epoll_event	 ev, evs[256];
	struct conn		*c;
	char			 rbuf[65536];
	long long		 port = 0;
	double			 now, next_due;
	ssize_t			 r;
	int			 ch, lfd, ep, fd, i, n, one = 1, timeout;

	while ((ch = getopt(argc, argv, "l:p:")) != -1) {
		switch (ch) {
		case 'l':
			if ((reqlog = fopen(optarg, "a")) == NULL) {
				perror(optarg);
				return 1;
			}
			break;
		case 'p':
			if (parse_int(optarg, 1, 65535, &port) == -1)
				return 1;
			break;
		default:
			fprintf(stderr, "usage: bench-sink -p port [-l file]\n");
			return 1;
		}
	}
	if (port == 0) {
		fprintf(stderr, "usage: bench-sink -p port [-l file]\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(lfd, 1024) == -1) {
		perror("bench-sink: listen");
		return 1;
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		/* The nearest delayed response sets the wait. */
		now = now_ms();
		next_due = 0;
		for (fd = 0; fd < MAX_CONN; fd++) {
			if ((c = conns[fd]) == NULL || c->due_ms == 0)
				continue;
			if (c->due_ms <= now) {
				send_all(c->fd, c->pending.data, c->pending.len);
				c->pending.len = 0;
				c->due_ms = 0;
				if (conn_process(c) == -1)
					conn_close(ep, c);
			} else if (next_due == 0 || c->due_ms < next_due)
				next_due = c->due_ms;
		}
		timeout = next_due > 0 ? (int)(next_due - now) + 1 : 1000;
		n = epoll_wait(ep, evs, 256, timeout);
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == lfd) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) >= 0) {
					if (fd >= MAX_CONN) {
						close(fd);
						continue;
					}
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
					    &one, sizeof(one));
					c = xcalloc(1, sizeof(*c));
					c->fd = fd;
					conns[fd] = c;
					ev.events = EPOLLIN;
					ev.data.fd = fd;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			if ((c = conns[evs[i].data.fd]) == NULL)
				continue;
			for (;;) {
				r = read(c->fd, rbuf, sizeof(rbuf));
				if (r > 0) {
					buf_append(&c->in, rbuf, (size_t)r);
					continue;
				}
				if (r < 0 && (errno == EAGAIN ||
				    errno == EWOULDBLOCK))
					break;
				conn_close(ep, c);
				c = NULL;
				break;
			}
			if (c != NULL && conn_process(c) == -1)
				conn_close(ep, c);
		}
	}
}
