/*
 * Unit tests of lib/connector_email.c: the settings it refuses (tls and
 * the URL's scheme, credentials in clear, addresses that could end a
 * header or an SMTP command); the message rendered for several events,
 * read back as a mail reader would (headers unfolded, RFC 2047 words and
 * quoted-printable decoded): Date, Message-ID, From, To, the subject with
 * the severity, non-ASCII and long subjects, both parts, HTML escaping,
 * CRLF everywhere and the line lengths of RFC 5322 and RFC 2045; the SMTP
 * request (envelope, AUTH, TLS); and the classification of SMTP replies.
 * One line per case, "ok - name" or "not ok - name"; exits 0 only when all
 * pass.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "connector.h"
#include "crypt.h"
#include "util.h"

#define CONFIG	"{\"smtp_url\":\"smtp://smtp.example.com:587\"," \
		"\"username\":\"alerts\",\"password\":\"pw-0123456789\"," \
		"\"from\":\"alerts@tw.example.com\"," \
		"\"to\":[\"secops@example.com\",\"oncall@example.org\"]}"

static const struct connector	*email;

/* A payload of one event of owner o1 at a fixed time. */
static char *
payload_new(const char *type, const char *otype, const char *oid,
    json_t *data)
{
	json_t	*p;
	char	*s;

	p = json_pack("{s:s,s:s?,s:s?,s:s,s:s,s:o}", "event_type", type,
	    "object_type", otype, "object_id", oid, "owner_id", "o1",
	    "timestamp", "2024-05-01T12:34:56.789Z", "data", data);
	s = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	return s;
}

/*
 * Renders payload with config: 0 and the request in rq (the caller frees
 * it with conn_request_free) and the state's Message-ID in mid, or -1
 * with err set.
 */
static int
render_event(const char *payload, const char *config,
    struct conn_request *rq, char *mid, size_t midsz, char *err,
    size_t errsz)
{
	struct conn_event	 ev;
	json_t			*event, *cfg, *state;
	int			 rc;

	memset(rq, 0, sizeof(*rq));
	event = json_loads(payload, 0, NULL);
	cfg = json_loads(config, 0, NULL);
	if (event == NULL || cfg == NULL) {
		snprintf(err, errsz, "bad test data");
		json_decref(event);
		json_decref(cfg);
		return -1;
	}
	state = json_object();
	memset(&ev, 0, sizeof(ev));
	ev.delivery_id = "0b9e4c1e-6b57-4f0c-9d59-5d1a0f0e7a11";
	ev.event_id = "2f1e4c1e-6b57-4f0c-9d59-5d1a0f0e7a22";
	ev.subscription_id = "3c1e4c1e-6b57-4f0c-9d59-5d1a0f0e7a33";
	ev.event_type = json_string_value(json_object_get(event,
	    "event_type"));
	ev.payload = payload;
	ev.event = event;
	ev.config = cfg;
	ev.ts = 1714566896;	/* Wed, 01 May 2024 12:34:56 +0000 */
	ev.state = state;
	err[0] = '\0';
	rc = email->render(&ev, rq, err, errsz);
	snprintf(mid, midsz, "%s", json_string_value(json_object_get(state,
	    "message_id")) != NULL ? json_string_value(json_object_get(state,
	    "message_id")) : "");
	json_decref(state);
	json_decref(event);
	json_decref(cfg);
	return rc;
}

/* --- reading a message back ---------------------------------------------- */

/* 1 when every line of s ends in CRLF: no bare CR, no bare LF. */
static int
crlf_only(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'))
			return 0;
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			return 0;
	}
	return n >= 2 && s[n - 2] == '\r' && s[n - 1] == '\n';
}

/* The longest line of s[0..n) (CRLF not counted). */
static size_t
longest_line(const char *s, size_t n)
{
	size_t	 i, len = 0, max = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n') {
			len = 0;
			continue;
		}
		if (++len > max)
			max = len;
	}
	return max;
}

/* Where the header section of msg ends (its blank line), or NULL. */
static const char *
header_end(const char *msg)
{
	return strstr(msg, "\r\n\r\n");
}

/*
 * The value of header name in the header section [msg, end), unfolded
 * (RFC 5322 2.2.3: CRLF before white space removed), new; NULL when it
 * is not there.
 */
static char *
header_new(const char *msg, const char *end, const char *name)
{
	const char	*p, *e;
	struct buf	 b = { 0 };
	size_t		 n = strlen(name);

	for (p = msg; p < end; p = e + 2) {
		if ((e = strstr(p, "\r\n")) == NULL)
			return NULL;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			break;
	}
	if (p >= end)
		return NULL;
	p += n + 1;
	while (*p == ' ')
		p++;
	buf_append(&b, "", 0);
	for (;;) {
		e = strstr(p, "\r\n");
		buf_append(&b, p, (size_t)(e - p));
		if (e[2] != ' ' && e[2] != '\t')
			break;
		p = e + 2;
	}
	return b.data;
}

/*
 * An unstructured header's text (RFC 2047 6): encoded-words
 * "=?UTF-8?B?...?=" decoded, the white space between two of them
 * dropped, new; NULL when a word is malformed.
 */
static char *
words_decode_new(const char *v)
{
	struct buf	 b = { 0 };
	const char	*p = v, *q, *end;
	unsigned char	*dec;
	char		*b64;
	size_t		 n;
	int		 prev_word = 0;

	buf_append(&b, "", 0);
	while (*p != '\0') {
		q = p + strspn(p, " \t");
		if (strncasecmp(q, "=?UTF-8?B?", 10) == 0 &&
		    (end = strstr(q + 10, "?=")) != NULL) {
			if (!prev_word)
				buf_append(&b, p, (size_t)(q - p));
			b64 = xstrndup(q + 10, (size_t)(end - q - 10));
			dec = crypt_unb64_new(b64, &n);
			free(b64);
			if (dec == NULL) {
				buf_free(&b);
				return NULL;
			}
			buf_append(&b, dec, n);
			free(dec);
			p = end + 2;
			prev_word = 1;
			continue;
		}
		buf_append(&b, p, (size_t)(q - p));
		p = q;
		q = p + strcspn(p, " \t");
		buf_append(&b, p, (size_t)(q - p));
		p = q;
		prev_word = 0;
	}
	return b.data;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Quoted-printable s[0..n) decoded (RFC 2045 6.7), CRLF as LF, new; NULL
 * when it breaks the rules (a lower-case or bad =XX, a line over 76).
 */
static char *
qp_decode_new(const char *s, size_t n)
{
	struct buf	 b = { 0 };
	size_t		 i;
	int		 hi, lo;

	if (longest_line(s, n) > 76)
		return NULL;
	buf_append(&b, "", 0);
	for (i = 0; i < n; i++) {
		if (s[i] == '=' && i + 2 < n && s[i + 1] == '\r' &&
		    s[i + 2] == '\n') {
			i += 2;		/* soft line break */
			continue;
		}
		if (s[i] == '=') {
			if (i + 2 >= n || (hi = hexval(s[i + 1])) == -1 ||
			    (lo = hexval(s[i + 2])) == -1) {
				buf_free(&b);
				return NULL;
			}
			buf_append(&b, &(char){ (char)(hi * 16 + lo) }, 1);
			i += 2;
			continue;
		}
		if (s[i] == '\r')
			continue;
		buf_append(&b, &s[i], 1);
	}
	return b.data;
}

/*
 * The decoded body of the part of msg whose Content-Type starts with
 * ctype, as the boundary of the top Content-Type delimits it, new; NULL
 * when there is none or it is not quoted-printable.
 */
static char *
part_new(const char *msg, const char *ctype)
{
	const char	*end, *p, *next, *body;
	char		*top, *bnd, *delim, *ct, *cte, *out = NULL;

	if ((end = header_end(msg)) == NULL ||
	    (top = header_new(msg, end, "Content-Type")) == NULL)
		return NULL;
	if ((p = strstr(top, "boundary=\"")) == NULL) {
		free(top);
		return NULL;
	}
	bnd = xstrndup(p + 10, strcspn(p + 10, "\""));
	delim = xasprintf("\r\n--%s", bnd);
	for (p = strstr(end, delim); p != NULL && out == NULL; p = next) {
		p += strlen(delim);
		if (strncmp(p, "--", 2) == 0)
			break;
		p += 2;		/* CRLF after the delimiter */
		next = strstr(p, delim);
		if ((body = strstr(p, "\r\n\r\n")) == NULL || next == NULL)
			break;
		ct = header_new(p, body + 2, "Content-Type");
		cte = header_new(p, body + 2, "Content-Transfer-Encoding");
		if (ct != NULL && cte != NULL &&
		    strncmp(ct, ctype, strlen(ctype)) == 0 &&
		    strcmp(cte, "quoted-printable") == 0)
			out = qp_decode_new(body + 4, (size_t)(next + 2 -
			    (body + 4)));
		free(ct);
		free(cte);
	}
	free(delim);
	free(bnd);
	free(top);
	return out;
}

/* --- settings ------------------------------------------------------------ */

static void
test_check(void)
{
	static const struct {
		const char	*config;
		int		 ok;
		const char	*err;	/* in the reason */
	} c[] = {
		{ CONFIG, 1, "" },
		{ "{\"smtp_url\":\"smtps://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[\"c@d.example\"]}", 1, "" },
		{ "{\"smtp_url\":\"smtps://smtp.example.com\",\"tls\":"
		    "\"implicit\",\"from\":\"a@b.example\",\"to\":"
		    "[\"c@d.example\"],\"username\":\"u\",\"password\":\"p\"}",
		    1, "" },
		{ "{\"smtp_url\":\"smtp://relay.internal:25\",\"tls\":\"none\","
		    "\"from\":\"a@b.example\",\"to\":[\"c@d.example\"]}", 1,
		    "" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com/client.example\","
		    "\"from\":\"a@b.example\",\"to\":[\"c@d.example\"]}", 1,
		    "" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"tls\":\"none\","
		    "\"username\":\"u\",\"password\":\"p\",\"from\":"
		    "\"a@b.example\",\"to\":[\"c@d.example\"]}", 0,
		    "in clear" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"tls\":\"none\","
		    "\"password\":\"p\",\"from\":\"a@b.example\",\"to\":"
		    "[\"c@d.example\"]}", 0, "in clear" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"tls\":"
		    "\"implicit\",\"from\":\"a@b.example\",\"to\":"
		    "[\"c@d.example\"]}", 0, "smtps://" },
		{ "{\"smtp_url\":\"smtps://smtp.example.com\",\"tls\":"
		    "\"starttls\",\"from\":\"a@b.example\",\"to\":"
		    "[\"c@d.example\"]}", 0, "implicit" },
		{ "{\"smtp_url\":\"https://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[\"c@d.example\"]}", 0, "smtp://" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com/?x=1\",\"from\":"
		    "\"a@b.example\",\"to\":[\"c@d.example\"]}", 0, "query" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"username\":"
		    "\"u\",\"from\":\"a@b.example\",\"to\":[\"c@d.example\"]}",
		    0, "go together" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"username\":"
		    "\"u\\r\\nRSET\",\"password\":\"p\",\"from\":"
		    "\"a@b.example\",\"to\":[\"c@d.example\"]}", 0,
		    "control" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"from\":"
		    "\"a@b.example\\r\\nBcc: x@evil.example\",\"to\":"
		    "[\"c@d.example\"]}", 0, "'from'" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[\"c@d.example\\nRCPT TO:<x@y>\"]}",
		    0, "'to'" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[\"c@d@example\"]}", 0,
		    "one local@domain" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[\"cd.example\"]}", 0,
		    "one local@domain" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[\"John Doe <c@d.example>\"]}", 0,
		    "space" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[\"c,e@d.example\"]}", 0,
		    "before @" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[\".c@d.example\"]}", 0,
		    "before @" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[\"c..e@d.example\"]}", 0,
		    "before @" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[\"c@-d.example\"]}", 0,
		    "DNS name" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[\"c@d..example\"]}", 0,
		    "DNS name" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[\"c@\"]}", 0, "1 to" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[\"j\\u00fcrgen@d.example\"]}", 0,
		    "non-ASCII" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[\"c@d.example\",\"C@D.example\"]}",
		    0, "twice" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[]}", 0, "1 to 50" },
		{ "{\"smtp_url\":\"smtp://smtp.example.com\",\"from\":"
		    "\"a@b.example\",\"to\":[42]}", 0, "not a string" },
	};
	json_t	*cfg;
	char	 err[CONN_REASON_MAX];
	size_t	 i;
	int	 rc;

	for (i = 0; i < NITEMS(c); i++) {
		cfg = json_loads(c[i].config, 0, NULL);
		err[0] = '\0';
		rc = cfg != NULL ? email->check(cfg, err, sizeof(err)) : -2;
		check(c[i].ok ? rc == 0 : rc == -1 && strstr(err,
		    c[i].err) != NULL, "check %zu: %s%s%s", i,
		    c[i].ok ? "accepted" : "refused", rc == -1 ? " -- " : "",
		    err);
		json_decref(cfg);
	}

	/* 64 characters before the @ are allowed, 65 not; 50 recipients. */
	{
		struct buf	 b = { 0 };
		char		 local[66];

		memset(local, 'x', 65);
		local[65] = '\0';
		buf_appendf(&b, "{\"smtp_url\":\"smtp://s.example\",\"from\":"
		    "\"%s@b.example\",\"to\":[", local + 1);
		for (i = 0; i < 50; i++)
			buf_appendf(&b, "%s\"r%zu@d.example\"", i ? "," : "",
			    i);
		buf_appendf(&b, "]}");
		cfg = json_loads(b.data, 0, NULL);
		check(cfg != NULL && email->check(cfg, err, sizeof(err)) == 0,
		    "check: 64 characters before the @, 50 recipients");
		json_decref(cfg);
		buf_free(&b);
		b = (struct buf){ 0 };
		buf_appendf(&b, "{\"smtp_url\":\"smtp://s.example\",\"from\":"
		    "\"%s@b.example\",\"to\":[\"c@d.example\"]}", local);
		cfg = json_loads(b.data, 0, NULL);
		check(cfg != NULL && email->check(cfg, err, sizeof(err)) ==
		    -1 && strstr(err, "1 to 64") != NULL,
		    "check: 65 characters before the @ refused -- %s", err);
		json_decref(cfg);
		buf_free(&b);
	}
}

/* --- the message --------------------------------------------------------- */

/* The whole message's checks: CRLF, header and body line lengths. */
static void
check_shape(const char *name, const struct conn_request *rq)
{
	const char	*end;

	end = header_end(rq->body);
	check(rq->body != NULL && strlen(rq->body) == rq->bodylen &&
	    crlf_only(rq->body, rq->bodylen), "%s: every line ends in CRLF, "
	    "no bare CR or LF, no NUL", name);
	check(end != NULL && longest_line(rq->body, (size_t)(end -
	    rq->body)) <= 78, "%s: header lines within 78 characters "
	    "(longest %zu)", name, end != NULL ? longest_line(rq->body,
	    (size_t)(end - rq->body)) : 0);
	check(end != NULL && longest_line(end, rq->bodylen - (size_t)(end -
	    rq->body)) <= 76, "%s: body lines within 76 characters "
	    "(quoted-printable)", name);
}

static void
test_message(void)
{
	struct conn_request	 rq;
	struct curl_slist	*l;
	const char		*end;
	char			*payload, *v, *subject, *text, *html;
	char			 err[CONN_REASON_MAX], mid[512], want[520];
	int			 rc;

	payload = payload_new("finding.created", "finding", "F-1042",
	    json_pack("{s:s,s:s,s:s,s:s,s:f,s:s,s:s}", "title",
	    "SQL injection in /login <script>alert(1)</script>", "severity",
	    "Critical", "url", "https://tw.example.com/findings/1?a=1&b=2",
	    "description", "Line one & <b>bold</b>\r\n.\nA line after a "
	    "lone dot\n.leading dot", "cvss", 9.8, "asset",
	    "api.example.com", "note", "\"quoted\" 'single' =?utf-8?q?x?="));
	rc = render_event(payload, CONFIG, &rq, mid, sizeof(mid), err,
	    sizeof(err));
	free(payload);
	check(rc == 0, "render a critical finding -- %s", err);
	if (rc != 0)
		return;
	check_shape("critical finding", &rq);
	end = header_end(rq.body);

	/* The SMTP request. */
	check(str_eq(rq.url, "smtp://smtp.example.com:587") &&
	    str_eq(rq.mail_from, "alerts@tw.example.com") &&
	    rq.tls == CONN_TLS_STARTTLS && str_eq(rq.username, "alerts") &&
	    str_eq(rq.password, "pw-0123456789"), "request: the URL, "
	    "MAIL FROM, STARTTLS required, AUTH user and password");
	l = rq.mail_rcpt;
	check(l != NULL && str_eq(l->data, "<secops@example.com>") &&
	    l->next != NULL && str_eq(l->next->data, "<oncall@example.org>")
	    && l->next->next == NULL, "request: RCPT TO each recipient");
	check(rq.headers == NULL && rq.method == NULL,
	    "request: no HTTP headers, no method");

	/* The headers. */
	v = header_new(rq.body, end, "Date");
	check(str_eq(v, "Wed, 01 May 2024 12:34:56 +0000"),
	    "Date: RFC 5322 date-time in UTC (%s)", v);
	free(v);
	v = header_new(rq.body, end, "From");
	check(str_eq(v, "hookpost <alerts@tw.example.com>"), "From: %s", v);
	free(v);
	v = header_new(rq.body, end, "To");
	check(str_eq(v, "secops@example.com, oncall@example.org"),
	    "To: every recipient (%s)", v);
	free(v);
	v = header_new(rq.body, end, "Message-ID");
	snprintf(want, sizeof(want), "<%s>", mid);
	check(v != NULL && str_eq(v, want) && strlen(mid) == 32 + 1 +
	    strlen("tw.example.com") && strspn(mid,
	    "0123456789abcdef") == 32 && strcmp(mid + 32,
	    "@tw.example.com") == 0, "Message-ID: random hex at the from "
	    "domain, and the state keeps it (%s)", v);
	free(v);
	v = header_new(rq.body, end, "Subject");
	subject = v != NULL ? words_decode_new(v) : NULL;
	check(str_eq(subject, "[CRITICAL] SQL injection in /login "
	    "<script>alert(1)</script>"), "Subject: the severity, then the "
	    "title (%s)", subject);
	free(subject);
	free(v);
	v = header_new(rq.body, end, "MIME-Version");
	check(str_eq(v, "1.0"), "MIME-Version: 1.0");
	free(v);
	v = header_new(rq.body, end, "Content-Type");
	check(v != NULL && strncmp(v, "multipart/alternative; boundary=\"=_",
	    35) == 0, "Content-Type: multipart/alternative with a quoted "
	    "boundary (%s)", v);
	free(v);
	v = header_new(rq.body, end, "Auto-Submitted");
	check(str_eq(v, "auto-generated"), "Auto-Submitted: auto-generated");
	free(v);
	v = header_new(rq.body, end, "X-Hookpost-Event");
	check(str_eq(v, "finding.created"), "X-Hookpost-Event");
	free(v);
	check(header_new(rq.body, end, "Bcc") == NULL &&
	    header_new(rq.body, end, "Cc") == NULL, "no Bcc, no Cc");

	/* The parts. */
	text = part_new(rq.body, "text/plain; charset=utf-8");
	html = part_new(rq.body, "text/html; charset=utf-8");
	check(text != NULL && html != NULL, "both parts, quoted-printable, "
	    "decode");
	check(text != NULL && strstr(text, "[CRITICAL] SQL injection in "
	    "/login <script>alert(1)</script>\n") != NULL &&
	    strstr(text, "Severity: Critical\n") != NULL &&
	    strstr(text, "Resource: finding/F-1042\n") != NULL &&
	    strstr(text, "Event:    finding.created\n") != NULL &&
	    strstr(text, "Time:     2024-05-01T12:34:56.789Z\n") != NULL &&
	    strstr(text, "Link:     https://tw.example.com/findings/1?a=1&b=2"
	    "\n") != NULL, "text part: title, severity, resource, event, "
	    "time, link");
	check(text != NULL && strstr(text, "Line one & <b>bold</b>\n.\nA "
	    "line after a lone dot\n.leading dot\n") != NULL,
	    "text part: the description as written, CRLF made one line "
	    "break");
	check(text != NULL && strstr(text, "  cvss: 9.8\n") != NULL &&
	    strstr(text, "  asset: api.example.com\n") != NULL &&
	    strstr(text, "  note: \"quoted\" 'single' =?utf-8?q?x?=\n") !=
	    NULL, "text part: the other data as details");
	check(strstr(rq.body, "\r\n.\r\n") != NULL &&
	    strstr(rq.body, "\r\n.leading dot\r\n") != NULL,
	    "lines starting with a dot are not stuffed here (libcurl does)");
	check(html != NULL && strstr(html, "<script>") == NULL &&
	    strstr(html, "<b>") == NULL &&
	    strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL &&
	    strstr(html, "Line one &amp; &lt;b&gt;bold&lt;/b&gt;<br>") !=
	    NULL && strstr(html, "&quot;quoted&quot; &#39;single&#39;") !=
	    NULL, "HTML part: every value escaped, nothing from the event "
	    "is markup");
	check(html != NULL && strstr(html, "<a href=\"https://tw.example.com/"
	    "findings/1?a=1&amp;b=2\">") != NULL, "HTML part: the link, its "
	    "& escaped");
	check(html != NULL && strstr(html, "<h2>[CRITICAL] SQL injection") !=
	    NULL && strstr(html, "<th align=\"left\" valign=\"top\">cvss"
	    "</th><td>9.8</td>") != NULL, "HTML part: the title and the "
	    "details table");
	free(text);
	free(html);
	conn_request_free(&rq);
}

static void
test_subjects(void)
{
	static const struct {
		const char	*title;
		const char	*severity;
		const char	*type;
		const char	*want;		/* the decoded subject */
		int		 encoded;	/* "=?UTF-8?B?" expected */
	} c[] = {
		{ "Weak TLS", "high", "finding.created", "[HIGH] Weak TLS", 0 },
		{ "\xc3\x9c" "berpr\xc3\xbc" "fung fehlgeschlagen: "
		    "Zertifikat l\xc3\xa4uft ab \xe2\x80\x94 "
		    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae"
		    "\xe3\x82\xbf\xe3\x82\xa4\xe3\x83\x88\xe3\x83\xab "
		    "\xf0\x9f\x94\xa5 mit sehr langem Text, der gefaltet "
		    "werden muss", "medium", "finding.created",
		    "[MEDIUM] \xc3\x9c" "berpr\xc3\xbc" "fung fehlgeschlagen: "
		    "Zertifikat l\xc3\xa4uft ab \xe2\x80\x94 "
		    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae"
		    "\xe3\x82\xbf\xe3\x82\xa4\xe3\x83\x88\xe3\x83\xab "
		    "\xf0\x9f\x94\xa5 mit sehr langem Text, der gefaltet "
		    "werden muss", 1 },
		{ "A plain ASCII title that is much longer than one header "
		    "line may be, so it is folded before a space and read "
		    "back whole", "low", "scan.completed", "[LOW] A plain "
		    "ASCII title that is much longer than one header line may "
		    "be, so it is folded before a space and read back whole",
		    0 },
		{ "An ASCII title with =?utf-8?q?encoded_word?= syntax", "info",
		    "scan.completed", "[INFO] An ASCII title with "
		    "=?utf-8?q?encoded_word?= syntax", 1 },
		{ "Line\r\nbreaks\tand  runs   of spaces ", "critical",
		    "finding.created", "[CRITICAL] Line breaks and runs of "
		    "spaces", 0 },
		{ "Averyveryveryveryveryveryveryveryveryveryveryveryveryvery"
		    "veryverylongwordthatcannotbefolded", "high",
		    "finding.created", "[HIGH] Averyveryveryveryveryveryvery"
		    "veryveryveryveryveryveryveryveryverylongwordthatcannotbe"
		    "folded", 1 },
		{ "SQL injection fixed", "high", "finding.resolved",
		    "[RESOLVED] [HIGH] SQL injection fixed", 0 },
		{ NULL, NULL, "scan.failed", "[INFO] scan.failed", 0 },
	};
	struct conn_request	 rq;
	const char		*end;
	char			*payload, *v, *subject;
	char			 err[CONN_REASON_MAX], mid[512];
	size_t			 i;
	json_t			*data;

	for (i = 0; i < NITEMS(c); i++) {
		data = json_object();
		if (c[i].title != NULL)
			json_object_set_new(data, "title",
			    json_string(c[i].title));
		if (c[i].severity != NULL)
			json_object_set_new(data, "severity",
			    json_string(c[i].severity));
		payload = payload_new(c[i].type, "finding", "F-7", data);
		if (render_event(payload, CONFIG, &rq, mid, sizeof(mid), err,
		    sizeof(err)) == -1) {
			check(0, "subject %zu: render -- %s", i, err);
			free(payload);
			continue;
		}
		free(payload);
		end = header_end(rq.body);
		v = header_new(rq.body, end, "Subject");
		subject = v != NULL ? words_decode_new(v) : NULL;
		check(str_eq(subject, c[i].want) && (strstr(v,
		    "=?UTF-8?B?") != NULL) == c[i].encoded,
		    "subject %zu: %s \"%s\"", i, c[i].encoded ? "RFC 2047 "
		    "B-encoded UTF-8, read back as" : "plain, read back as",
		    subject);
		check(end != NULL && longest_line(rq.body, (size_t)(end -
		    rq.body)) <= 78, "subject %zu: folded within 78 "
		    "characters a line", i);
		free(subject);
		free(v);
		conn_request_free(&rq);
	}
}

static void
test_limits(void)
{
	struct conn_request	 rq;
	json_t			*data;
	struct buf		 big = { 0 };
	char			*payload, *text, key[16], err[CONN_REASON_MAX];
	char			 mid[512];
	size_t			 i;

	/* 80 fields of 3000 characters: 50 at most, 20000 characters. */
	for (i = 0; i < 3000; i++)
		buf_append(&big, i % 100 == 99 ? "\n" : "\xc3\xa9", i % 100 ==
		    99 ? 1 : 2);
	data = json_pack("{s:s,s:s}", "title", "Many fields", "severity",
	    "low");
	for (i = 0; i < 80; i++) {
		snprintf(key, sizeof(key), "f%02zu", i);
		json_object_set_new(data, key, json_string(big.data));
	}
	payload = payload_new("scan.completed", "scan", "S-1", data);
	if (render_event(payload, CONFIG, &rq, mid, sizeof(mid), err,
	    sizeof(err)) == -1) {
		check(0, "limits: render -- %s", err);
		free(payload);
		buf_free(&big);
		return;
	}
	check_shape("80 long fields", &rq);
	text = part_new(rq.body, "text/plain");
	check(text != NULL && utf8_chars(text) < 30000 &&
	    strstr(text, "more fields not shown") != NULL,
	    "limits: the details stop at 20000 characters and say how many "
	    "fields were left out");
	check(rq.bodylen < 1024 * 1024, "limits: the message is %zu bytes",
	    rq.bodylen);
	free(text);
	conn_request_free(&rq);
	free(payload);
	buf_free(&big);
}

static void
test_render_refusals(void)
{
	struct conn_request	 rq;
	char			*payload, err[CONN_REASON_MAX], mid[512];

	payload = payload_new("finding.created", "finding", "F-9",
	    json_pack("{s:s}", "title", "t"));
	check(render_event(payload, "{\"smtp_url\":\"smtp://s.example\","
	    "\"from\":\"a@b.example\",\"to\":[\"c@d.example\\r\\nDATA\"]}", &rq,
	    mid, sizeof(mid), err, sizeof(err)) == -1 && rq.body == NULL &&
	    strstr(err, "'to'") != NULL, "render refuses a stored recipient "
	    "with CRLF -- %s", err);
	conn_request_free(&rq);
	check(render_event(payload, "{\"smtp_url\":\"smtp://s.example\","
	    "\"tls\":\"none\",\"username\":\"u\",\"password\":\"p\",\"from\":"
	    "\"a@b.example\",\"to\":[\"c@d.example\"]}", &rq, mid,
	    sizeof(mid), err, sizeof(err)) == -1 && rq.password == NULL,
	    "render refuses a password without TLS -- %s", err);
	conn_request_free(&rq);
	check(render_event(payload, "{\"smtp_url\":\"smtps://s.example\","
	    "\"from\":\"a@b.example\",\"to\":[\"c@d.example\"]}", &rq, mid,
	    sizeof(mid), err, sizeof(err)) == 0 && rq.tls ==
	    CONN_TLS_IMPLICIT && rq.username == NULL && rq.password == NULL,
	    "smtps:// without tls: implicit TLS, no AUTH -- %s", err);
	conn_request_free(&rq);
	free(payload);
}

/* --- answers -------------------------------------------------------------- */

struct cls_case {
	long			 status;
	const char		*body;
	const char		*error;
	enum conn_outcome	 want;
	const char		*reason;
};

static const char *
outcome_name(enum conn_outcome o)
{
	switch (o) {
	case CONN_DELIVERED:
		return "delivered";
	case CONN_ASYNC:
		return "async";
	case CONN_RETRY:
		return "retry";
	case CONN_FAILED:
		return "failed";
	case CONN_GONE:
		return "gone";
	case CONN_NEXT:
		return "next";
	}
	return "?";
}

static void
test_classify(void)
{
	static const struct cls_case c[] = {
		{ 250, "250 2.0.0 OK: queued as H1", NULL, CONN_DELIVERED, "" },
		{ 251, "251 User not local; will forward", NULL,
		    CONN_DELIVERED, "" },
		{ 421, "421 4.3.2 Service shutting down", NULL, CONN_RETRY,
		    "SMTP 421 4.3.2 Service shutting down" },
		{ 451, "451 4.3.0 Try again later", NULL, CONN_RETRY,
		    "SMTP 451 4.3.0 Try again later" },
		{ 452, "452-4.2.2 Mailbox full\n452 4.2.2 try tomorrow", NULL,
		    CONN_RETRY, "SMTP 452-4.2.2 Mailbox full 4.2.2 try "
		    "tomorrow" },
		{ 454, "", NULL, CONN_RETRY, "SMTP 454" },
		{ 535, "535 5.7.8 Authentication credentials invalid", NULL,
		    CONN_FAILED, "SMTP 535 5.7.8 Authentication credentials "
		    "invalid" },
		{ 550, "550 5.1.1 No such user", NULL, CONN_FAILED,
		    "SMTP 550 5.1.1 No such user" },
		{ 554, "554 5.7.1 Relay access denied", NULL, CONN_FAILED,
		    "SMTP 554 5.7.1 Relay access denied" },
		{ 530, "530 5.7.0 Authentication required", NULL, CONN_FAILED,
		    "SMTP 530 5.7.0 Authentication required" },
		{ 0, NULL, "STARTTLS not supported.", CONN_RETRY,
		    "STARTTLS not supported." },
		{ 0, NULL, "Failed to connect to 127.0.0.1 port 25",
		    CONN_RETRY, "Failed to connect to 127.0.0.1 port 25" },
		{ 0, "", NULL, CONN_RETRY, "SMTP 0" },
	};
	struct conn_event	 ev;
	struct conn_answer	 a;
	struct conn_result	 res;
	json_t			*state;
	size_t			 i;

	state = json_pack("{s:s}", "message_id", "0123abcd@tw.example.com");
	memset(&ev, 0, sizeof(ev));
	ev.event_type = "finding.created";
	ev.state = state;
	for (i = 0; i < NITEMS(c); i++) {
		memset(&a, 0, sizeof(a));
		a.status = c[i].status;
		a.body = c[i].body;
		a.bodylen = c[i].body != NULL ? strlen(c[i].body) : 0;
		a.error = c[i].error;
		a.retry_after = -1;
		email->classify(&ev, &a, &res);
		check(res.outcome == c[i].want && res.delay == -1 &&
		    strcmp(res.reason, c[i].reason) == 0 &&
		    (c[i].want != CONN_DELIVERED || strcmp(res.ref,
		    "0123abcd@tw.example.com") == 0),
		    "classify %ld %s: %s \"%s\" (got %s \"%s\")",
		    c[i].status, c[i].error != NULL ? "(no reply)" : "",
		    outcome_name(c[i].want), c[i].reason,
		    outcome_name(res.outcome), res.reason);
	}
	json_decref(state);
}

int
main(void)
{
	email = connector_find("email");
	check(email != NULL, "the email connector is in the table");
	if (email == NULL)
		return check_done();
	check(connector_is_secret(email, "password") &&
	    !connector_is_secret(email, "username") &&
	    str_eq(email->url_key, "smtp_url") && email->smtp &&
	    email->url_default == NULL && email->check != NULL,
	    "settings: the password is the secret, smtp_url the URL (SMTP)");
	test_check();
	test_message();
	test_subjects();
	test_limits();
	test_render_refusals();
	test_classify();
	return check_done();
}
