/*
 * connector email: seed 003's email notifications, one message per event
 * to a list of recipients, sent over SMTP (RFC 5321) by libcurl through
 * the shared transfer (conn_request's mail fields, lib/connector.c).
 *
 * Settings: smtp_url (smtp://host[:port][/ehlo-name] or smtps://...; the
 * SSRF guard checks it when written and at every connection), tls
 * ("starttls", the default for smtp://: STARTTLS required, RFC 3207, and
 * never opportunistic -- a server that does not offer it gets nothing;
 * "implicit", the default for smtps://, RFC 8314; "none": in clear, and
 * then never with a username or password), username and password (AUTH,
 * RFC 4954; the password sealed at rest), from (the envelope sender and
 * the From address), to (1 to 50 recipients).  Addresses are ASCII
 * dot-atoms (RFC 5322 3.4.1: no quoted local parts, no SMTPUTF8; an IDN
 * domain in its xn-- form), at most 64 + 1 + 253 characters (RFC 5321
 * 4.5.3.1): nothing in them can end a header line or an SMTP command.
 *
 * The message (RFC 5322, CRLF lines; MIME, RFC 2045-2047): Date (the
 * send time), From, To, Message-ID (random, at the from domain, kept as
 * the delivery's external_ref), Subject "[CRITICAL] title" ("[RESOLVED]
 * [HIGH] title" for a resolution), MIME-Version, Auto-Submitted:
 * auto-generated (RFC 3834: no auto-replies), and multipart/alternative
 * with a text/plain and a text/html part, both UTF-8 in quoted-printable
 * (lines of at most 76 characters).  A header's text that is not plain
 * ASCII, or that holds "=?", is RFC 2047 encoded-words (UTF-8, B), whole
 * characters per word; every header line stays within 78 characters.
 * Event text is data, never markup: each value in the HTML part is
 * escaped (& < > " '), the link is an http(s) URL from conn_link().
 * Lines starting with "." are left to libcurl, which stuffs them (RFC
 * 5321 4.5.2).
 *
 * The answer is the last SMTP reply (libcurl stops at the first refusal;
 * all recipients are accepted or the message goes to none, so a retry
 * never sends it twice to some): 2xx (and a final 3xx) delivered; 4xx
 * retried on the schedule (RFC 5321 4.2.5: transient); 5xx failed for
 * good (a wrong password, 535, included); no reply (connection, TLS,
 * timeout) retried.  The reply's text is the reason, "SMTP 550 5.1.1
 * ...".  Test Connection sends the test event as a message.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "connector.h"
#include "crypt.h"
#include "util.h"

#define LOCAL_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define DOMAIN_MAX	253	/* a DNS name, within 4.5.3.1.2's 255 */
#define ADDR_MAX	(LOCAL_MAX + 1 + DOMAIN_MAX)
#define RCPT_MAX	50
#define CRED_MAX	256
#define EHLO_MAX	253

#define HEADER_LINE_MAX	78	/* RFC 5322 2.1.1 */
#define WORD_MAX	75	/* RFC 2047 2: an encoded-word */
#define QP_LINE_MAX	76	/* RFC 2045 6.7 (5) */

/* Ours: what one message holds at most, in characters. */
#define SUBJECT_CHARS	200
#define DESC_CHARS	10000
#define DATA_FIELDS	50
#define DATA_KEY_CHARS	100
#define DATA_VALUE_CHARS 2000
#define DATA_CHARS	20000
#define MESSAGE_MAX	(1024 * 1024)	/* bytes, after encoding */

static const char *const tls_modes[] = { "starttls", "implicit", "none",
    NULL };

static const struct vfield fields[] = {
	{ "smtp_url", V_STRING, 1, 1, 2048, NULL, 0 },
	{ "tls", V_ENUM, 0, 0, 0, tls_modes, 1 },
	{ "username", V_STRING, 0, 1, CRED_MAX, NULL, 1 },
	{ "password", V_STRING, 0, 1, CRED_MAX, NULL, 1 },
	{ "from", V_STRING, 1, 3, ADDR_MAX, NULL, 0 },
	{ "to", V_ARRAY, 1, 1, RCPT_MAX, NULL, 0 },
};

static const char *const secrets[] = { "password", NULL };

/* For people (GET /api/integrations/types). */
static const struct conn_setting_doc docs[] = {
	{ "smtp_url", "SMTP server", "smtp://host[:port] (STARTTLS) or "
	    "smtps://host[:port].", NULL, NULL, NULL },
	{ "tls", "TLS", "starttls for smtp://, implicit for smtps://; none "
	    "only without a username.", NULL, NULL, NULL },
	{ "username", "Username", "SMTP AUTH, with the password.", NULL, NULL,
	    NULL },
	{ "password", "Password", NULL, NULL, NULL, NULL },
	{ "from", "From", "The sender's address.", NULL, NULL, NULL },
	{ "to", "To", "1 to 50 addresses, comma separated.", NULL, NULL,
	    "list" },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

/* Shown elsewhere in the message, so not repeated as details. */
static const char *const shown[] = { "title", "severity", "url", "link",
    "description", "message", NULL };

/* --- settings ----------------------------------------------------------- */

/* ASCII letters and digits, whatever the locale. */
static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* RFC 5322 3.2.3 atext. */
static int
is_atext(int c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~",
	    c) != NULL);
}

/*
 * An address as hookpost sends to it: local@domain, a dot-atom local
 * part and a DNS name.  0, or -1 with why in err (field names the
 * setting).
 */
static int
addr_check(const char *field, const char *a, char *err, size_t errsz)
{
	const char	*at, *p, *label;
	size_t		 n, i;

	n = strlen(a);
	for (i = 0; i < n; i++)
		if ((unsigned char)a[i] <= 0x20 ||
		    (unsigned char)a[i] >= 0x7f) {
			errf(err, errsz, "'%s': an address takes no space, "
			    "control or non-ASCII character (an IDN domain "
			    "goes in its xn-- form)", field);
			return -1;
		}
	if ((at = strchr(a, '@')) == NULL || strchr(at + 1, '@') != NULL) {
		errf(err, errsz, "'%s': '%.320s' is not one local@domain "
		    "address", field, a);
		return -1;
	}
	if (at == a || (size_t)(at - a) > LOCAL_MAX || n - (size_t)(at - a) -
	    1 > DOMAIN_MAX || at[1] == '\0') {
		errf(err, errsz, "'%s': '%.320s': the part before @ takes 1 "
		    "to %d characters, the domain 1 to %d", field, a,
		    LOCAL_MAX, DOMAIN_MAX);
		return -1;
	}
	for (p = a; p < at; p++)
		if (!(is_atext((unsigned char)*p) || (*p == '.' && p > a &&
		    p[1] != '@' && p[-1] != '.'))) {
			errf(err, errsz, "'%s': '%.320s': the part before @ "
			    "takes letters, digits, dots (not first, last or "
			    "twice) and !#$%%&'*+-/=?^_`{|}~", field, a);
			return -1;
		}
	for (label = p = at + 1; ; p++) {
		if (*p == '.' || *p == '\0') {
			n = (size_t)(p - label);
			if (n == 0 || n > 63 || *label == '-' ||
			    p[-1] == '-') {
				errf(err, errsz, "'%s': '%.320s': the domain "
				    "is not a DNS name", field, a);
				return -1;
			}
			if (*p == '\0')
				break;
			label = p + 1;
		} else if (!is_alnum((unsigned char)*p) && *p != '-') {
			errf(err, errsz, "'%s': '%.320s': the domain is not "
			    "a DNS name", field, a);
			return -1;
		}
	}
	return 0;
}

/* The TLS mode of the settings: tls, else by the URL's scheme. */
static enum conn_tls
tls_mode(const json_t *config)
{
	const char	*t, *url;

	t = json_string_value(json_object_get(config, "tls"));
	if (t != NULL && strcmp(t, "none") == 0)
		return CONN_TLS_NONE;
	if (t != NULL && strcmp(t, "implicit") == 0)
		return CONN_TLS_IMPLICIT;
	if (t != NULL)
		return CONN_TLS_STARTTLS;
	url = json_string_value(json_object_get(config, "smtp_url"));
	return url != NULL && strncasecmp(url, "smtps://", 8) == 0 ?
	    CONN_TLS_IMPLICIT : CONN_TLS_STARTTLS;
}

static int
has_control(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/*
 * What fields cannot say: the URL's scheme against tls, its path (the
 * EHLO name: libcurl's "smtp://host/name"), credentials in pairs and
 * never in clear, the addresses.
 */
static int
check(const json_t *config, char *err, size_t errsz)
{
	const json_t	*to, *v;
	const char	*url, *rest, *user, *pass, *from, *a, *b;
	enum conn_tls	 tls;
	size_t		 i, k, n;
	int		 smtps;

	url = json_string_value(json_object_get(config, "smtp_url"));
	if (url == NULL)
		return 0;	/* required: the fields' message */
	smtps = strncasecmp(url, "smtps://", 8) == 0;
	if (!smtps && strncasecmp(url, "smtp://", 7) != 0) {
		errf(err, errsz, "'smtp_url' must be smtp://host[:port] or "
		    "smtps://host[:port]");
		return -1;
	}
	rest = url + (smtps ? 8 : 7);
	rest += strcspn(rest, "/?#");
	if (*rest == '/')
		rest++;
	if ((n = strlen(rest)) > EHLO_MAX || strspn(rest,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
	    != n) {
		errf(err, errsz, "'smtp_url' takes no query or fragment, and "
		    "its path only the name hookpost gives in EHLO");
		return -1;
	}
	tls = tls_mode(config);
	if (tls == CONN_TLS_IMPLICIT && !smtps) {
		errf(err, errsz, "'tls' implicit needs an smtps:// URL");
		return -1;
	}
	if (tls != CONN_TLS_IMPLICIT && smtps) {
		errf(err, errsz, "an smtps:// URL is implicit TLS: 'tls' "
		    "must be implicit or left out");
		return -1;
	}
	user = json_string_value(json_object_get(config, "username"));
	pass = json_string_value(json_object_get(config, "password"));
	if (tls == CONN_TLS_NONE && (user != NULL || pass != NULL)) {
		errf(err, errsz, "'tls' none would send the username and "
		    "password in clear: use starttls or implicit");
		return -1;
	}
	if ((user == NULL) != (pass == NULL)) {
		errf(err, errsz, "'username' and 'password' go together");
		return -1;
	}
	if ((user != NULL && has_control(user)) ||
	    (pass != NULL && has_control(pass))) {
		errf(err, errsz, "'username' and 'password' take no control "
		    "characters");
		return -1;
	}
	from = json_string_value(json_object_get(config, "from"));
	if (from != NULL && addr_check("from", from, err, errsz) == -1)
		return -1;
	to = json_object_get(config, "to");
	if (to == NULL)
		return 0;
	if (!json_is_array(to) || json_array_size(to) < 1 ||
	    json_array_size(to) > RCPT_MAX) {
		errf(err, errsz, "'to' must be a list of 1 to %d addresses",
		    RCPT_MAX);
		return -1;
	}
	json_array_foreach(to, i, v) {
		if ((a = json_string_value(v)) == NULL) {
			errf(err, errsz, "'to' entry %zu is not a string", i);
			return -1;
		}
		if (addr_check("to", a, err, errsz) == -1)
			return -1;
		for (k = 0; k < i; k++) {
			b = json_string_value(json_array_get(to, k));
			if (strcasecmp(a, b) == 0) {
				errf(err, errsz, "'to' lists '%s' twice", a);
				return -1;
			}
		}
	}
	return 0;
}

/* --- text ----------------------------------------------------------------- */

/* Appends the string s. */
static void
put(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

/*
 * s as message text, new: CRLF and CR as LF, other controls (but tab) as
 * spaces; one_line: LF and tab as spaces too, runs of spaces as one, no
 * space at either end.
 */
static char *
clean_new(const char *s, int one_line)
{
	struct buf	 b = { 0 };
	char		 c;

	put(&b, "");
	for (; *s != '\0'; s++) {
		c = *s;
		if (c == '\r') {
			if (s[1] == '\n')
				continue;
			c = '\n';
		}
		if (((unsigned char)c < 0x20 && c != '\n' && c != '\t') ||
		    c == 0x7f)
			c = ' ';
		if (one_line && (c == '\n' || c == '\t'))
			c = ' ';
		if (one_line && c == ' ' && (b.len == 0 ||
		    b.data[b.len - 1] == ' '))
			continue;
		buf_append(&b, &c, 1);
	}
	while (one_line && b.len > 0 && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	return b.data;
}

/* s cleaned and cut to max characters ("…" at the cut), new. */
static char *
text_new(const char *s, size_t max, int one_line)
{
	char	*c, *t;

	c = clean_new(s, one_line);
	t = conn_truncate_new(c, max);
	free(c);
	return t;
}

/* Appends s with & < > " ' as HTML entities. */
static void
html_append(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			put(b, "&amp;");
			break;
		case '<':
			put(b, "&lt;");
			break;
		case '>':
			put(b, "&gt;");
			break;
		case '"':
			put(b, "&quot;");
			break;
		case '\'':
			put(b, "&#39;");
			break;
		case '\n':
			put(b, "<br>\n");
			break;
		default:
			buf_append(b, s, 1);
		}
}

/*
 * Appends text (lines ending in LF) as quoted-printable (RFC 2045 6.7):
 * printable ASCII but "=" as it is, a space or tab too unless it ends a
 * line, every other byte =XX; a soft break "=" keeps each line within
 * QP_LINE_MAX; lines end in CRLF.  The output never holds "=_", so the
 * boundary (which starts so) cannot occur in it.
 */
static void
qp_append(struct buf *b, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char	*p = (const unsigned char *)text;
	char			 tok[3];
	size_t			 col = 0, n;

	for (; *p != '\0'; p++) {
		if (*p == '\n') {
			put(b, "\r\n");
			col = 0;
			continue;
		}
		if ((*p > 0x20 && *p < 0x7f && *p != '=') ||
		    ((*p == ' ' || *p == '\t') && p[1] != '\n' &&
		    p[1] != '\0')) {
			tok[0] = (char)*p;
			n = 1;
		} else {
			tok[0] = '=';
			tok[1] = hex[*p >> 4];
			tok[2] = hex[*p & 0x0f];
			n = 3;
		}
		/* Room for the token, and for "=" if a soft break follows. */
		if (col + n > QP_LINE_MAX - 1 && !(col + n <= QP_LINE_MAX &&
		    (p[1] == '\n' || p[1] == '\0'))) {
			put(b, "=\r\n");
			col = 0;
		}
		buf_append(b, tok, n);
		col += n;
	}
	if (col > 0)
		put(b, "\r\n");
}

/* 1 when s can stand in a header as it is: printable ASCII, no "=?". */
static int
header_plain(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ||
		    (s[0] == '=' && s[1] == '?'))
			return 0;
	return 1;
}

/*
 * Appends "Name: text\r\n" for unstructured text (one line, cleaned):
 * folded before spaces when it is plain ASCII and every word fits a
 * line; else as RFC 2047 encoded-words, "=?UTF-8?B?...?=", each at most
 * WORD_MAX characters and whole characters, one per line, so that no
 * line is longer than HEADER_LINE_MAX.
 */
static void
header_text(struct buf *b, const char *name, const char *text)
{
	const unsigned char	*s = (const unsigned char *)text;
	const char		*w, *e;
	char			*b64;
	size_t			 col, n, room, i, len = strlen(text);
	int			 fits = 1;

	if (header_plain(text)) {
		for (w = text; *w != '\0'; w = e + strspn(e, " ")) {
			e = w + strcspn(w, " ");
			if ((size_t)(e - w) + 1 > HEADER_LINE_MAX - 1 ||
			    (w == text && strlen(name) + 2 + (size_t)(e - w) >
			    HEADER_LINE_MAX))
				fits = 0;
		}
	} else
		fits = 0;
	buf_appendf(b, "%s:", name);
	col = strlen(name) + 1;
	if (fits) {
		for (w = text; *w != '\0'; w = e) {
			w += strspn(w, " ");
			e = w + strcspn(w, " ");
			if (w == e)
				break;
			n = (size_t)(e - w);
			if (col + 1 + n > HEADER_LINE_MAX) {
				put(b, "\r\n");
				col = 0;
			}
			put(b, " ");
			buf_append(b, w, n);
			col += 1 + n;
		}
		put(b, "\r\n");
		return;
	}
	for (i = 0; i < len || i == 0; i += n) {
		/*
		 * "=?UTF-8?B?" and "?=" around the base64 of n bytes (4 per
		 * 3): within WORD_MAX, and within the line after " " (and
		 * after the name on the first line).
		 */
		room = HEADER_LINE_MAX - (i == 0 ? col : 0) - 1 - 12;
		if (room > WORD_MAX - 12)
			room = WORD_MAX - 12;
		n = room / 4 * 3;
		if (n > len - i)
			n = len - i;
		/* Back to the start of a character (RFC 2047 5 (3)). */
		while (i + n < len && n > 0 && (s[i + n] & 0xc0) == 0x80)
			n--;
		b64 = crypt_b64_new(s + i, n);
		buf_appendf(b, "%s =?UTF-8?B?%s?=", i == 0 ? "" : "\r\n",
		    b64);
		free(b64);
		if (n == 0)
			break;
	}
	put(b, "\r\n");
}

/*
 * Appends "To: a, b, ...\r\n", folded after a comma before a line would
 * pass HEADER_LINE_MAX.
 */
static void
header_addrs(struct buf *b, const char *name, const json_t *to)
{
	const json_t	*v;
	const char	*a;
	size_t		 i, col, n;

	buf_appendf(b, "%s:", name);
	col = strlen(name) + 1;
	json_array_foreach(to, i, v) {
		a = json_string_value(v);
		n = strlen(a) + (i + 1 < json_array_size(to) ? 1 : 0);
		if (i > 0 && col + 1 + n > HEADER_LINE_MAX) {
			put(b, "\r\n");
			col = 0;
		}
		buf_appendf(b, " %s%s", a, i + 1 < json_array_size(to) ? "," :
		    "");
		col += 1 + n;
	}
	put(b, "\r\n");
}

/* RFC 5322 3.3 date-time in UTC. */
static void
header_date(struct buf *b, long long ts)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
	    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
	    "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm	 tm;
	time_t		 t = (time_t)ts;

	gmtime_r(&t, &tm);
	buf_appendf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* --- the message ---------------------------------------------------------- */

static int
is_shown(const char *key)
{
	size_t	 i;

	for (i = 0; shown[i] != NULL; i++)
		if (strcmp(shown[i], key) == 0)
			return 1;
	return 0;
}

static const char *
data_text(const struct conn_event *ev, const char *key)
{
	const char	*s;

	s = json_string_value(json_object_get(conn_data(ev), key));
	return s != NULL && *s != '\0' ? s : NULL;
}

/* A data value as text: strings as they are, anything else as JSON. */
static char *
value_text_new(const json_t *v)
{
	char	*s;

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if ((s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
	    JSON_REAL_PRECISION(15))) == NULL)
		return xstrdup("?");
	return s;
}

/* The two parts' text, built side by side. */
struct parts {
	struct buf	 text;
	struct buf	 html;
};

/* A "Label: value" line of the text part and a row of the HTML table. */
static void
row_add(struct parts *p, const char *label, const char *value)
{
	buf_appendf(&p->text, "%-10s%s\n", label, value);
	put(&p->html, "<tr><th align=\"left\" valign=\"top\">");
	html_append(&p->html, label);
	put(&p->html, "</th><td>");
	html_append(&p->html, value);
	put(&p->html, "</td></tr>\n");
}

/*
 * The event's other data as details, up to DATA_FIELDS fields and
 * DATA_CHARS characters of values; how many were left out.
 */
static size_t
details_add(const struct conn_event *ev, struct parts *p)
{
	const char	*key;
	json_t		*v;
	char		*k, *raw, *val;
	size_t		 nfields = 0, chars = 0, left = 0, max;

	json_object_foreach((json_t *)conn_data(ev), key, v) {
		if (*key == '\0' || is_shown(key) || json_is_null(v))
			continue;
		if (nfields == DATA_FIELDS || chars >= DATA_CHARS) {
			left++;
			continue;
		}
		if (nfields == 0) {
			put(&p->text, "\nDetails\n");
			put(&p->html, "<h3>Details</h3>\n<table>\n");
		}
		k = text_new(key, DATA_KEY_CHARS, 1);
		raw = value_text_new(v);
		max = DATA_CHARS - chars < DATA_VALUE_CHARS ? DATA_CHARS -
		    chars : DATA_VALUE_CHARS;
		val = text_new(raw, max, 0);
		chars += utf8_chars(val);
		buf_appendf(&p->text, "  %s: %s\n", k, val);
		put(&p->html, "<tr><th align=\"left\" valign=\"top\">");
		html_append(&p->html, k);
		put(&p->html, "</th><td>");
		html_append(&p->html, val);
		put(&p->html, "</td></tr>\n");
		nfields++;
		free(val);
		free(raw);
		free(k);
	}
	if (nfields > 0)
		put(&p->html, "</table>\n");
	return left;
}

/* The severity's label: "Critical", "High", ... */
static const char *
severity_label(const char *sev)
{
	static const char *const map[][2] = {
		{ "critical", "Critical" }, { "high", "High" },
		{ "medium", "Medium" }, { "low", "Low" }, { "info", "Info" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(sev, map[i][0]) == 0)
			return map[i][1];
	return "Info";
}

/* 1 when s may stand in a header as an X- value: short, [!-~]. */
static int
token_ok(const char *s)
{
	size_t	 n = s != NULL ? strlen(s) : 0;

	return n > 0 && n <= 64 && header_plain(s) && strchr(s, ' ') == NULL;
}

/*
 * The message for an event into b (headers, then the two parts); its
 * Message-ID into mid.  0, or -1 with err set.
 */
static int
message_build(const struct conn_event *ev, const char *from,
    const json_t *to, struct buf *b, char *mid, size_t midsz, char *err,
    size_t errsz)
{
	struct parts	 p;
	unsigned char	 rnd[16];
	char		 hex[33], bnd[48], key[256];
	char		*title, *subject, *sev_upper, *desc, *s;
	const char	*sev, *label, *link, *d;
	size_t		 left;
	int		 resolved, rc = -1;

	memset(&p, 0, sizeof(p));
	if (crypt_random(rnd, sizeof(rnd)) == -1) {
		errf(err, errsz, "no randomness for the Message-ID");
		return -1;
	}
	crypt_hex(rnd, sizeof(rnd), hex);
	snprintf(mid, midsz, "%s@%s", hex, strchr(from, '@') + 1);
	if (crypt_random(rnd, 12) == -1) {
		errf(err, errsz, "no randomness for the MIME boundary");
		return -1;
	}
	crypt_hex(rnd, 12, hex);
	/* "=_" never occurs in quoted-printable text (qp_append). */
	snprintf(bnd, sizeof(bnd), "=_hookpost_%s", hex);

	sev = conn_severity(ev);
	label = severity_label(sev);
	resolved = conn_is_resolution(ev);
	title = text_new(conn_title(ev), SUBJECT_CHARS, 1);
	if (*title == '\0') {
		free(title);
		title = text_new(ev->event_type, SUBJECT_CHARS, 1);
	}
	sev_upper = xstrdup(sev);
	for (s = sev_upper; *s != '\0'; s++)
		*s = (char)toupper((unsigned char)*s);
	subject = xasprintf("%s[%s] %s", resolved ? "[RESOLVED] " : "",
	    sev_upper, title);
	conn_object_key(ev, key, sizeof(key));

	/* The parts: a title, the facts, the description, the details. */
	put(&p.text, "");
	buf_appendf(&p.text, "%s\n\n", subject);
	put(&p.html, "<!DOCTYPE html>\n<html><head>"
	    "<meta charset=\"utf-8\"><title>");
	html_append(&p.html, subject);
	put(&p.html, "</title></head>\n<body style=\"font-family: "
	    "sans-serif\">\n<h2>");
	html_append(&p.html, subject);
	put(&p.html, "</h2>\n<table>\n");
	row_add(&p, "Severity:", resolved ? "Resolved" : label);
	if (resolved)
		row_add(&p, "Was:", label);
	s = text_new(key, 200, 1);
	row_add(&p, "Resource:", s);
	free(s);
	s = text_new(ev->event_type, 200, 1);
	row_add(&p, "Event:", s);
	free(s);
	s = text_new(*conn_timestamp(ev) != '\0' ? conn_timestamp(ev) : "-",
	    64, 1);
	row_add(&p, "Time:", s);
	free(s);
	if ((link = conn_link(ev)) != NULL) {
		/* conn_link: http(s), no space, quote or angle bracket. */
		buf_appendf(&p.text, "%-10s%s\n", "Link:", link);
		put(&p.html, "<tr><th align=\"left\">Link:</th><td>"
		    "<a href=\"");
		html_append(&p.html, link);
		put(&p.html, "\">");
		html_append(&p.html, link);
		put(&p.html, "</a></td></tr>\n");
	}
	put(&p.html, "</table>\n");
	if ((d = data_text(ev, "description")) != NULL ||
	    (d = data_text(ev, "message")) != NULL) {
		desc = text_new(d, DESC_CHARS, 0);
		buf_appendf(&p.text, "\n%s\n", desc);
		put(&p.html, "<p>");
		html_append(&p.html, desc);
		put(&p.html, "</p>\n");
		free(desc);
	}
	left = details_add(ev, &p);
	s = text_new(ev->delivery_id != NULL ? ev->delivery_id : "-", 64, 1);
	if (left > 0)
		buf_appendf(&p.text, "  (%zu more field%s not shown)\n", left,
		    left == 1 ? "" : "s");
	buf_appendf(&p.text, "\n-- \nhookpost \xc2\xb7 delivery %s\n", s);
	put(&p.html, "<p style=\"color: #666666\">");
	if (left > 0)
		buf_appendf(&p.html, "%zu more field%s not shown.<br>\n",
		    left, left == 1 ? "" : "s");
	put(&p.html, "hookpost \xc2\xb7 delivery ");
	html_append(&p.html, s);
	put(&p.html, "</p>\n</body></html>\n");
	free(s);

	/* The headers (RFC 5322 3.6), then the MIME parts. */
	header_date(b, ev->ts);
	buf_appendf(b, "From: hookpost <%s>\r\n", from);
	header_addrs(b, "To", to);
	buf_appendf(b, "Message-ID: <%s>\r\n", mid);
	header_text(b, "Subject", subject);
	put(b, "MIME-Version: 1.0\r\n");
	buf_appendf(b, "Content-Type: multipart/alternative;\r\n"
	    " boundary=\"%s\"\r\n", bnd);
	put(b, "Auto-Submitted: auto-generated\r\n");
	if (token_ok(ev->event_type))
		buf_appendf(b, "X-Hookpost-Event: %s\r\n", ev->event_type);
	if (token_ok(ev->delivery_id))
		buf_appendf(b, "X-Hookpost-Delivery: %s\r\n",
		    ev->delivery_id);
	buf_appendf(b, "\r\nThis is a MIME message: a text and an HTML "
	    "part.\r\n\r\n--%s\r\n", bnd);
	put(b, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	qp_append(b, p.text.data);
	buf_appendf(b, "--%s\r\n", bnd);
	put(b, "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	qp_append(b, p.html.data);
	buf_appendf(b, "--%s--\r\n", bnd);
	if (b->len > MESSAGE_MAX)
		errf(err, errsz, "the event cannot be written as a message "
		    "of at most %d bytes", MESSAGE_MAX);
	else
		rc = 0;
	free(subject);
	free(sev_upper);
	free(title);
	buf_free(&p.text);
	buf_free(&p.html);
	return rc;
}

static int
render(const struct conn_event *ev, struct conn_request *out, char *err,
    size_t errsz)
{
	struct buf	 b = { 0 };
	const json_t	*to, *v;
	const char	*url, *from, *user, *pass;
	char		 mid[CONN_REF_MAX + 64], *rcpt;
	size_t		 i;

	/* Checked when written; again, as what goes into SMTP commands. */
	url = conn_config_str(ev, "smtp_url");
	from = conn_config_str(ev, "from");
	to = json_object_get(ev->config, "to");
	if (url == NULL || from == NULL || to == NULL) {
		errf(err, errsz, "the integration has no smtp_url, from or "
		    "to");
		return -1;
	}
	if (check(ev->config, err, errsz) == -1)
		return -1;
	if (message_build(ev, from, to, &b, mid, sizeof(mid), err,
	    errsz) == -1) {
		buf_free(&b);
		return -1;
	}
	out->body = b.data;
	out->bodylen = b.len;
	out->url = xstrdup(url);
	out->mail_from = xstrdup(from);
	json_array_foreach(to, i, v) {
		rcpt = xasprintf("<%s>", json_string_value(v));
		out->mail_rcpt = curl_slist_append(out->mail_rcpt, rcpt);
		free(rcpt);
	}
	out->tls = tls_mode(ev->config);
	if ((user = conn_config_str(ev, "username")) != NULL &&
	    (pass = conn_config_str(ev, "password")) != NULL) {
		out->username = xstrdup(user);
		out->password = xstrdup(pass);
	}
	/* The Message-ID is the delivery's reference (classify). */
	if (ev->state != NULL)
		json_object_set_new(ev->state, "message_id", json_string(mid));
	return 0;
}

/*
 * The reply's text on one line: "451 4.3.0 Try again later"; a
 * multiline reply's further lines without their code.
 */
static void
reply_line(const struct conn_answer *a, char *out, size_t outsz)
{
	struct buf	 b = { 0 };
	const char	*s, *e;

	put(&b, "");
	for (s = a->body != NULL ? a->body : ""; *s != '\0'; s = e) {
		e = s + strcspn(s, "\n");
		if (b.len > 0 && e - s > 4 && isdigit((unsigned char)s[0]))
			s += 4;
		if (b.len > 0)
			put(&b, " ");
		buf_append(&b, s, (size_t)(e - s));
		if (*e == '\n')
			e++;
	}
	if (b.len == 0)
		snprintf(out, outsz, "%ld", a->status);
	else
		snprintf(out, outsz, "%s", b.data);
	buf_free(&b);
}

static void
classify(const struct conn_event *ev, const struct conn_answer *a,
    struct conn_result *res)
{
	const char	*mid;
	char		 line[CONN_REASON_MAX - 5];

	memset(res, 0, sizeof(*res));
	res->delay = -1;
	if (a->error != NULL) {
		res->outcome = CONN_RETRY;
		snprintf(res->reason, sizeof(res->reason), "%s", a->error);
		return;
	}
	reply_line(a, line, sizeof(line));
	if (a->status >= 200 && a->status <= 399) {
		res->outcome = CONN_DELIVERED;
		mid = json_string_value(json_object_get(ev->state,
		    "message_id"));
		if (mid != NULL && strlen(mid) < sizeof(res->ref))
			snprintf(res->ref, sizeof(res->ref), "%s", mid);
		return;
	}
	snprintf(res->reason, sizeof(res->reason), "SMTP %s", line);
	res->outcome = a->status >= 500 && a->status <= 599 ? CONN_FAILED :
	    CONN_RETRY;
}

const struct connector connector_email = {
	.type = "email",
	.title = "Email (SMTP)",
	.fields = fields,
	.nfields = sizeof(fields) / sizeof(fields[0]),
	.secrets = secrets,
	.docs = docs,
	.url_key = "smtp_url",
	.smtp = 1,
	.check = check,
	.render = render,
	.classify = classify,
};
