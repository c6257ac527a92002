/*
 * Unit tests of lib/urlguard (seed 000 "URL requirements",
 * ARCHITECTURE.md §3): the URL and address tables in tests/data/urlguard/ (run from the
 * repository root), then urlguard_curl_prepare against a listener on
 * 127.0.0.1.  One line per case, "ok - name" or "not ok - name"; exits 0
 * only when all pass.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <curl/curl.h>

#include "urlguard.h"
#include "check.h"

#define FIELDS_MAX	16
#define LINE_MAX_LEN	4096

/* ---- the data files ---------------------------------------------------- */

/* Undoes \xHH and \\ in place; "''" becomes the empty string. */
static int
unescape(char *s)
{
	char	*in = s, *out = s, hex[3] = { 0 };

	if (strcmp(s, "''") == 0) {
		*s = '\0';
		return 0;
	}
	while (*in != '\0') {
		if (in[0] != '\\') {
			*out++ = *in++;
			continue;
		}
		if (in[1] == '\\') {
			*out++ = '\\';
			in += 2;
			continue;
		}
		if (in[1] != 'x' || in[2] == '\0' || in[3] == '\0')
			return -1;
		hex[0] = in[2];
		hex[1] = in[3];
		if (strspn(hex, "0123456789abcdefABCDEF") != 2)
			return -1;
		*out++ = (char)strtol(hex, NULL, 16);
		in += 4;
	}
	*out = '\0';
	return 0;
}

/*
 * Splits a line into tab-separated fields (escaped as above); runs of tabs
 * count as one, so columns may be aligned.
 * Returns the number of fields, 0 for a blank or comment line, -1 if bad.
 */
static int
split(char *line, char *field[], size_t max)
{
	char	*p = line;
	size_t	 n = 0;

	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '#')
		return 0;
	for (;;) {
		p += strspn(p, "\t");
		if (*p == '\0')
			break;
		if (n == max)
			return -1;
		field[n++] = p;
		p += strcspn(p, "\t");
		if (*p != '\0')
			*p++ = '\0';
	}
	return (int)n;
}

/* Prints a field with bytes outside printable ASCII escaped again. */
static const char *
shown(const char *s, char *buf, size_t sz)
{
	size_t	 o = 0;

	for (; *s != '\0' && o + 5 < sz; s++) {
		if ((unsigned char)*s < 0x21 || (unsigned char)*s == 0x7f)
			o += (size_t)snprintf(buf + o, sz - o, "\\x%02x",
			    (unsigned char)*s);
		else
			buf[o++] = *s;
	}
	buf[o] = '\0';
	return buf;
}

static void
test_check_url_file(const char *path)
{
	FILE			*f;
	struct urlguard_deny	 deny[FIELDS_MAX];
	char			 line[LINE_MAX_LEN], show[LINE_MAX_LEN];
	char			 err[256];
	char			*field[FIELDS_MAX], *want_err;
	const char		*allow;
	size_t			 ndeny;
	int			 lineno = 0, n, i, rc, ok, bad;

	if ((f = fopen(path, "r")) == NULL) {
		check(0, "check_url: open %s: %s", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((n = split(line, field, NITEMS(field))) == 0)
			continue;
		bad = n < 4 || (strcmp(field[0], "ok") != 0 &&
		    strcmp(field[0], "no") != 0);
		ndeny = 0;
		want_err = NULL;
		for (i = 0; !bad && i < n; i++) {
			if (unescape(field[i]) == -1)
				bad = 1;
			if (i < 4)
				continue;
			if (strncmp(field[i], "g:", 2) == 0 ||
			    strncmp(field[i], "r:", 2) == 0) {
				deny[ndeny].pattern = field[i] + 2;
				deny[ndeny++].is_regex = field[i][0] == 'r';
			} else if (strcmp(field[i], "n:") == 0) {
				deny[ndeny].pattern = NULL;
				deny[ndeny++].is_regex = 0;
			} else if (strncmp(field[i], "e:", 2) == 0)
				want_err = field[i] + 2;
			else
				bad = 1;
		}
		if (bad) {
			check(0, "check_url %s:%d: malformed case", path,
			    lineno);
			continue;
		}
		allow = strcmp(field[2], "-") == 0 ? NULL : field[2];
		err[0] = '\0';
		rc = urlguard_check_url(field[3], field[1][0] == '1' ?
		    URLGUARD_HTTP : field[1][0] == 'm' ? URLGUARD_MAIL : 0,
		    allow,
		    ndeny > 0 ? deny : NULL, ndeny, err, sizeof(err));
		ok = field[0][0] == 'o' ? rc == 0 : rc == -1 && err[0] != '\0';
		if (ok && want_err != NULL)
			ok = strstr(err, want_err) != NULL;
		/* The name shows the last deny entry, the one that decides. */
		check(ok, "check_url line %d: %s %s%s%s%s%s%s", lineno,
		    field[0], shown(field[3], show, sizeof(show)),
		    ndeny > 0 ? " deny " : "",
		    ndeny > 0 ? (deny[ndeny - 1].is_regex ? "r:" : "g:") : "",
		    ndeny == 0 ? "" : deny[ndeny - 1].pattern != NULL ?
		    deny[ndeny - 1].pattern : "(null)",
		    rc == -1 ? " -- " : "", rc == -1 ? err : "");
	}
	fclose(f);
}

/* Fills ss from a numeric address; returns its length or 0. */
static socklen_t
sockaddr_from(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return sizeof(*sin6);
	}
	return 0;
}

static void
test_addr_file(const char *path)
{
	FILE			*f;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	char			 line[LINE_MAX_LEN], show[LINE_MAX_LEN];
	char			*field[FIELDS_MAX];
	const char		*allow;
	int			 lineno = 0, n, got;

	if ((f = fopen(path, "r")) == NULL) {
		check(0, "addr_allowed: open %s: %s", path, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((n = split(line, field, NITEMS(field))) == 0)
			continue;
		if (n != 3 || unescape(field[1]) == -1 ||
		    (len = sockaddr_from(field[2], &ss)) == 0 ||
		    (strcmp(field[0], "ok") != 0 &&
		    strcmp(field[0], "no") != 0)) {
			check(0, "addr_allowed %s:%d: malformed case", path,
			    lineno);
			continue;
		}
		allow = strcmp(field[1], "-") == 0 ? NULL : field[1];
		got = urlguard_addr_allowed((struct sockaddr *)&ss, len, allow);
		check(got == (field[0][0] == 'o'),
		    "addr_allowed line %d: %s %s (allow %s)", lineno, field[0],
		    field[2], allow == NULL ? "NULL" :
		    shown(allow, show, sizeof(show)));
	}
	fclose(f);
}

/* ---- cases that need code ---------------------------------------------- */

static void
test_addr_edges(void)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_un	 sun;
	socklen_t		 len;

	check(urlguard_addr_allowed(NULL, 0, NULL) == 0,
	    "addr_allowed: NULL address refused");
	len = sockaddr_from("8.8.8.8", &ss);
	check(urlguard_addr_allowed((struct sockaddr *)&ss, len, NULL) == 1,
	    "addr_allowed: 8.8.8.8 with its full length");
	check(urlguard_addr_allowed((struct sockaddr *)&ss, len - 1, NULL) == 0,
	    "addr_allowed: short sockaddr_in refused");
	len = sockaddr_from("2001:4860:4860::8888", &ss);
	check(urlguard_addr_allowed((struct sockaddr *)&ss, len - 1, NULL) ==
	    0, "addr_allowed: short sockaddr_in6 refused");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	check(urlguard_addr_allowed((struct sockaddr *)&sun, sizeof(sun),
	    "0.0.0.0/0,::/0") == 0, "addr_allowed: AF_UNIX refused");
}

static void
test_check_url_edges(void)
{
	struct urlguard_deny	 deny = { "*.internal", 0 };
	char			 url[2100], err[128];
	size_t			 n;

	err[0] = '\0';
	check(urlguard_check_url(NULL, 0, NULL, NULL, 0, err, sizeof(err)) ==
	    -1 && err[0] != '\0', "check_url: NULL URL refused");
	check(urlguard_check_url("https://example.com/", 0, NULL, NULL, 1,
	    err, sizeof(err)) == -1 && strstr(err, "deny list") != NULL,
	    "check_url: deny list that failed to load (NULL, n>0) refuses");
	check(urlguard_check_url("https://example.com/", 0, NULL, &deny, 1,
	    NULL, 0) == 0, "check_url: NULL err buffer, accepted");
	check(urlguard_check_url("https://a.internal/", 0, NULL, &deny, 1,
	    NULL, 0) == -1, "check_url: NULL err buffer, refused");
	check(urlguard_check_url("https://a.internal/", 0, NULL, &deny, 1,
	    err, 1) == -1 && err[0] == '\0',
	    "check_url: one-byte err buffer stays terminated");

	/* The ceiling is 2048 bytes, inclusive. */
	n = (size_t)snprintf(url, sizeof(url), "https://example.com/");
	memset(url + n, 'a', 2048 - n);
	url[2048] = '\0';
	check(urlguard_check_url(url, 0, NULL, NULL, 0, err, sizeof(err)) == 0,
	    "check_url: 2048-byte URL accepted");
	url[2048] = 'a';
	url[2049] = '\0';
	check(urlguard_check_url(url, 0, NULL, NULL, 0, err, sizeof(err)) ==
	    -1 && strstr(err, "2048") != NULL,
	    "check_url: 2049-byte URL refused");
}

/* ---- urlguard_curl_prepare --------------------------------------------- */

/* A non-blocking listener on 127.0.0.1; the kernel completes handshakes
 * without accept(), which is enough for CURLOPT_CONNECT_ONLY. */
static int
listener_open(unsigned int *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 16) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static void
listener_drain(int lfd)
{
	int	 fd;

	while ((fd = accept(lfd, NULL, NULL)) != -1)
		close(fd);
}

static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	return sz * n;
}

/*
 * Prepares a fresh handle; returns it (caller cleans up) with rc, err and
 * the pinned list, or NULL if curl_easy_init failed.
 */
static CURL *
prepare(const char *url, int flags, const char *allow, int *rc,
    struct curl_slist **pin, char *err, size_t errsz)
{
	CURL	*h;

	*pin = NULL;
	err[0] = '\0';
	if ((h = curl_easy_init()) == NULL)
		return NULL;
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	*rc = urlguard_curl_prepare(h, url, flags, allow, pin, err, errsz);
	return h;
}

/* CURLOPT_CONNECT_ONLY transfer; CURLE_OK means a socket was connected. */
static CURLcode
connect_only(CURL *h, char *ip, size_t ipsz)
{
	CURLcode	 cc;
	char		*primary = NULL;

	curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
	cc = curl_easy_perform(h);
	ip[0] = '\0';
	if (cc == CURLE_OK &&
	    curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &primary) == CURLE_OK &&
	    primary != NULL)
		snprintf(ip, ipsz, "%s", primary);
	return cc;
}

/*
 * A whole HTTP exchange on one thread: curl's multi interface drives the
 * client while this loop plays a server that answers one request.
 */
static CURLcode
exchange(CURL *h, int lfd, const char *response, char *req, size_t reqsz)
{
	CURLM		*m;
	CURLMsg		*msg;
	CURLcode	 cc = CURLE_OPERATION_TIMEDOUT;
	ssize_t		 n;
	size_t		 got = 0;
	int		 i, running = 1, left, cfd = -1, answered = 0;

	req[0] = '\0';
	if ((m = curl_multi_init()) == NULL)
		return CURLE_OUT_OF_MEMORY;
	curl_multi_add_handle(m, h);
	for (i = 0; i < 500 && running; i++) {
		curl_multi_perform(m, &running);
		if (cfd == -1)
			cfd = accept(lfd, NULL, NULL);
		if (cfd != -1 && !answered && got + 1 < reqsz &&
		    (n = recv(cfd, req + got, reqsz - got - 1,
		    MSG_DONTWAIT)) > 0) {
			got += (size_t)n;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL) {
				if (send(cfd, response, strlen(response), 0) ==
				    -1)
					break;
				shutdown(cfd, SHUT_WR);
				answered = 1;
			}
		}
		curl_multi_poll(m, NULL, 0, 10, NULL);
	}
	while ((msg = curl_multi_info_read(m, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE)
			cc = msg->data.result;
	curl_multi_remove_handle(m, h);
	curl_multi_cleanup(m);
	if (cfd != -1)
		close(cfd);
	return cc;
}

static void
test_prepare_refusals(unsigned int port)
{
	static const struct {
		const char	*pre, *post;	/* the URL around the port */
		const char	*allow;
		const char	*err;	/* expected in the reason */
		int		 flags;	/* urlguard's schemes */
	} cases[] = {
		{ "http://127.0.0.1:", "/", NULL, "127.0.0.1", 0 },
		{ "http://127.0.0.1:", "/", "", "127.0.0.1", 0 },
		{ "http://127.0.0.1:", "/", "10.0.0.0/8,::1/128", "127.0.0.1",
		    0 },
		{ "http://127.0.0.2:", "/", "127.0.0.1/32", "127.0.0.2", 0 },
		{ "http://localhost:", "/", NULL, "resolves to", 0 },
		{ "http://[::1]:", "/", NULL, "::1", 0 },
		{ "http://[::ffff:127.0.0.1]:", "/", NULL, "127.0.0.1", 0 },
		{ "http://0177.0.0.1:", "/", "127.0.0.0/8", "IP address", 0 },
		{ "http://2130706433:", "/", "127.0.0.0/8", "IP address", 0 },
		{ "http://127.1:", "/", "127.0.0.0/8", "IP address", 0 },
		{ "http://user:pw@127.0.0.1:", "/", "127.0.0.0/8",
		    "credentials", 0 },
		{ "ftp://127.0.0.1:", "/", "127.0.0.0/8", "scheme", 0 },
		{ "file:///etc/passwd#", "", "127.0.0.0/8", "scheme", 0 },
		{ "http://127.0.0.1:", "0000/", "127.0.0.0/8", "port", 0 },
		{ "http://no-such-host.invalid:", "/", NULL, "resolve", 0 },
		{ "http://exa_mple.com:", "/", NULL, "DNS name", 0 },
		{ "http://169.254.169.254:", "/latest/meta-data/", NULL,
		    "169.254.169.254", 0 },
		{ "http://[fd00:ec2::254]:", "/", NULL, "fd00:ec2::254", 0 },
		/* The allow list covers exactly the address connected to:
		 * these are IPv6 addresses, not the 127.0.0.1 they embed
		 * (issue 12). */
		{ "http://[::127.0.0.1]:", "/", "127.0.0.0/8",
		    "not an allowed destination", 0 },
		{ "http://[::ffff:0:127.0.0.1]:", "/", "127.0.0.0/8",
		    "not an allowed destination", 0 },
		{ "http://[64:ff9b::7f00:1]:", "/", "127.0.0.0/8",
		    "not an allowed destination", 0 },
		{ "http://[64:ff9b:1::127.0.0.1]:", "/", "127.0.0.0/8",
		    "not an allowed destination", 0 },
		{ "http://[2002:7f00:1::1]:", "/", "127.0.0.0/8",
		    "not an allowed destination", 0 },
		{ "http://[::ffff:127.0.0.1]:", "/", "127.0.0.2/32",
		    "127.0.0.1", 0 },
		/* Mail only where asked, and then nothing else. */
		{ "smtp://127.0.0.1:", "", "127.0.0.0/8", "scheme", 0 },
		{ "smtps://127.0.0.1:", "", "127.0.0.0/8", "scheme", 0 },
		{ "http://127.0.0.1:", "/", "127.0.0.0/8", "smtp or smtps",
		    URLGUARD_MAIL },
		{ "smtp://127.0.0.1:", "", NULL, "127.0.0.1", URLGUARD_MAIL },
		{ "smtp://localhost:", "", NULL, "resolves to",
		    URLGUARD_MAIL },
	};
	struct curl_slist	*pin;
	CURL			*h;
	char			 url[256], err[256];
	size_t			 i;
	int			 rc;

	for (i = 0; i < NITEMS(cases); i++) {
		snprintf(url, sizeof(url), "%s%u%s", cases[i].pre, port,
		    cases[i].post);
		if ((h = prepare(url, cases[i].flags, cases[i].allow, &rc,
		    &pin, err, sizeof(err))) == NULL) {
			check(0, "curl_prepare: curl_easy_init");
			return;
		}
		check(rc == -1 && pin == NULL &&
		    strstr(err, cases[i].err) != NULL,
		    "curl_prepare refuses %s (allow %s) -- %s", url,
		    cases[i].allow == NULL ? "NULL" : cases[i].allow, err);
		curl_easy_cleanup(h);
	}
	rc = urlguard_curl_prepare(NULL, "http://example.com/", 0, NULL, &pin,
	    err, sizeof(err));
	check(rc == -1, "curl_prepare: NULL handle refused");
}

static void
test_prepare_connect(int lfd, unsigned int port)
{
	struct curl_slist	*pin;
	CURL			*h;
	CURLcode		 cc;
	char			 url[128], err[256], ip[64], want[128];
	char			 allow[] = "127.0.0.0/8,::1/128";
	char			*eff = NULL, *primary = NULL;
	int			 rc;

	/* IP literal covered by the allow list: no DNS, still pinned. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook", port);
	h = prepare(url, 0, allow, &rc, &pin, err, sizeof(err));
	snprintf(want, sizeof(want), "127.0.0.1:%u:127.0.0.1", port);
	check(h != NULL && rc == 0 && pin != NULL && pin->next == NULL &&
	    strcmp(pin->data, want) == 0, "curl_prepare: %s allowed, pinned "
	    "as %s -- %s", url, pin != NULL ? pin->data : "(none)", err);
	if (h != NULL) {
		cc = connect_only(h, ip, sizeof(ip));
		check(cc == CURLE_OK && strcmp(ip, "127.0.0.1") == 0,
		    "curl_prepare: %s connects to %s (%s)", url, ip,
		    curl_easy_strerror(cc));
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(pin);
	listener_drain(lfd);

	/* A name: every address checked, all of them pinned, and the URL
	 * curl is given is the checked one, rebuilt in lower case. */
	snprintf(url, sizeof(url), "HTTP://LocalHost:%u/a?b=C#frag", port);
	h = prepare(url, 0, allow, &rc, &pin, err, sizeof(err));
	snprintf(want, sizeof(want), "localhost:%u:", port);
	check(h != NULL && rc == 0 && pin != NULL &&
	    strncmp(pin->data, want, strlen(want)) == 0 &&
	    (strstr(pin->data, "127.0.0.1") != NULL ||
	    strstr(pin->data, "[::1]") != NULL),
	    "curl_prepare: %s allowed, pinned as %s -- %s", url,
	    pin != NULL ? pin->data : "(none)", err);
	if (h != NULL) {
		cc = connect_only(h, ip, sizeof(ip));
		curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
		snprintf(want, sizeof(want), "http://localhost:%u/a?b=C", port);
		check(cc == CURLE_OK && strcmp(ip, "127.0.0.1") == 0,
		    "curl_prepare: localhost connects to %s (%s)", ip,
		    curl_easy_strerror(cc));
		check(eff != NULL && strncmp(eff, want, strlen(want)) == 0,
		    "curl_prepare: curl is given %s", eff != NULL ? eff :
		    "(none)");
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(pin);
	listener_drain(lfd);

	/* Root-anchored name: both cache keys pinned. */
	snprintf(url, sizeof(url), "http://localhost.:%u/", port);
	h = prepare(url, 0, allow, &rc, &pin, err, sizeof(err));
	snprintf(want, sizeof(want), "localhost.:%u:", port);
	check(h != NULL && rc == 0 && pin != NULL && pin->next != NULL &&
	    strncmp(pin->next->data, want, strlen(want)) == 0,
	    "curl_prepare: %s pins both spellings -- %s", url, err);
	if (h != NULL) {
		cc = connect_only(h, ip, sizeof(ip));
		check(cc == CURLE_OK, "curl_prepare: %s connects (%s)", url,
		    curl_easy_strerror(cc));
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(pin);
	listener_drain(lfd);

	/* Mail: smtp pinned and connected as http is; curl is given smtp. */
	snprintf(url, sizeof(url), "SMTP://127.0.0.1:%u", port);
	h = prepare(url, URLGUARD_MAIL, allow, &rc, &pin, err, sizeof(err));
	snprintf(want, sizeof(want), "127.0.0.1:%u:127.0.0.1", port);
	check(h != NULL && rc == 0 && pin != NULL &&
	    strcmp(pin->data, want) == 0, "curl_prepare: %s allowed with "
	    "URLGUARD_MAIL, pinned -- %s", url, err);
	if (h != NULL) {
		/* The listener never greets: connected is enough. */
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 300L);
		(void)connect_only(h, ip, sizeof(ip));
		curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &primary);
		curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
		snprintf(want, sizeof(want), "smtp://127.0.0.1:%u", port);
		check(primary != NULL && strcmp(primary, "127.0.0.1") == 0 &&
		    eff != NULL && strncmp(eff, want, strlen(want)) == 0,
		    "curl_prepare: %s connects to %s as %s", url,
		    primary != NULL ? primary : "(none)", eff != NULL ? eff :
		    "(none)");
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(pin);
	listener_drain(lfd);

	/* An IPv4-mapped literal is its IPv4 address (issue 12): allowed
	 * by the IPv4 block, and the socket reaches 127.0.0.1 itself. */
	snprintf(url, sizeof(url), "http://[::ffff:127.0.0.1]:%u/", port);
	h = prepare(url, 0, "127.0.0.1/32", &rc, &pin, err, sizeof(err));
	check(h != NULL && rc == 0 && pin == NULL,
	    "curl_prepare: %s allowed by 127.0.0.1/32 -- %s", url, err);
	if (h != NULL && rc == 0) {
		cc = connect_only(h, ip, sizeof(ip));
		check(cc == CURLE_OK && strstr(ip, "127.0.0.1") != NULL,
		    "curl_prepare: %s connects to %s (%s)", url, ip,
		    curl_easy_strerror(cc));
	}
	curl_easy_cleanup(h);
	listener_drain(lfd);

	/* IPv6 literal: curl 7.88 cannot pin it, and need not. */
	snprintf(url, sizeof(url), "http://[::1]:%u/", port);
	h = prepare(url, 0, allow, &rc, &pin, err, sizeof(err));
	check(h != NULL && rc == 0 && pin == NULL,
	    "curl_prepare: %s allowed, nothing to pin -- %s", url, err);
	curl_easy_cleanup(h);

	/* The socket check is the last word: the same allow string, emptied
	 * after the DNS check, makes curl refuse the connection (what a
	 * rebinding resolver answering curl itself would meet). */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	h = prepare(url, 0, allow, &rc, &pin, err, sizeof(err));
	check(h != NULL && rc == 0, "curl_prepare: %s allowed -- %s", url,
	    err);
	if (h != NULL) {
		allow[0] = '\0';
		cc = connect_only(h, ip, sizeof(ip));
		check(cc == CURLE_COULDNT_CONNECT,
		    "curl_prepare: opensocket refuses 127.0.0.1 once the "
		    "allow list no longer covers it (%s)",
		    curl_easy_strerror(cc));
		memcpy(allow, "127.0.0.0/8,::1/128", sizeof(allow));
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(pin);
	listener_drain(lfd);

	/* A proxy from the environment must not carry the request. */
	setenv("http_proxy", "http://192.0.2.1:3128", 1);
	setenv("HTTP_PROXY", "http://192.0.2.1:3128", 1);
	setenv("all_proxy", "http://192.0.2.1:3128", 1);
	h = prepare(url, 0, allow, &rc, &pin, err, sizeof(err));
	if (h != NULL && rc == 0) {
		cc = connect_only(h, ip, sizeof(ip));
		check(cc == CURLE_OK && strcmp(ip, "127.0.0.1") == 0,
		    "curl_prepare: http_proxy ignored, direct to %s (%s)", ip,
		    curl_easy_strerror(cc));
	} else
		check(0, "curl_prepare: with http_proxy set -- %s", err);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("all_proxy");
	curl_easy_cleanup(h);
	curl_slist_free_all(pin);
	listener_drain(lfd);
}

static void
test_prepare_exchange(int lfd, unsigned int port)
{
	struct curl_slist	*pin;
	CURL			*h;
	CURLcode		 cc;
	char			 url[128], err[256], req[4096], want[256];
	char			 resp[256];
	long			 code = 0, redirects = -1;
	int			 rc;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook?x=1", port);
	snprintf(resp, sizeof(resp), "HTTP/1.1 302 Found\r\n"
	    "Location: http://127.0.0.1:%u/elsewhere\r\n"
	    "Content-Length: 0\r\nConnection: close\r\n\r\n", port);
	h = prepare(url, 0, "127.0.0.0/8,::1/128", &rc, &pin, err,
	    sizeof(err));
	if (h == NULL || rc == -1) {
		check(0, "curl_prepare: exchange setup -- %s", err);
		goto out;
	}
	cc = exchange(h, lfd, resp, req, sizeof(req));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &redirects);
	snprintf(want, sizeof(want), "GET /hook?x=1 HTTP/1.1\r\n"
	    "Host: 127.0.0.1:%u\r\n", port);
	check(cc == CURLE_OK && strncmp(req, want, strlen(want)) == 0,
	    "curl_prepare: GET reaches the listener (%s)",
	    curl_easy_strerror(cc));
	check(code == 302 && redirects == 0,
	    "curl_prepare: a redirect is not followed (HTTP %ld, %ld "
	    "redirects)", code, redirects);
out:
	curl_easy_cleanup(h);
	curl_slist_free_all(pin);
	listener_drain(lfd);
}

int
main(void)
{
	unsigned int	 port = 0;
	int		 lfd;

	test_check_url_file("tests/data/urlguard/check_url.txt");
	test_check_url_edges();
	test_addr_file("tests/data/urlguard/addr.txt");
	test_addr_edges();

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		check(0, "curl_global_init");
		return 1;
	}
	if ((lfd = listener_open(&port)) == -1)
		check(0, "listener on 127.0.0.1: %s", strerror(errno));
	else {
		test_prepare_refusals(port);
		test_prepare_connect(lfd, port);
		test_prepare_exchange(lfd, port);
		close(lfd);
	}
	curl_global_cleanup();
	return check_done();
}
