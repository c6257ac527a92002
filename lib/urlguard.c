/*
 * urlguard: the SSRF guard for outbound webhooks (seed 000 "URL
 * requirements", ARCHITECTURE.md §3 HOOKPOST_ALLOW_PRIVATE_TARGETS).
 *
 * One strict URL parser serves both the subscription-time check and the
 * delivery-time pinning, so what was checked is what curl is given: the
 * URL handed to curl is rebuilt from the parsed parts (ASCII host), never
 * passed through as written.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <fnmatch.h>
#include <netdb.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "cfg.h"
#include "cidr.h"
#include "idna.h"
#include "urlguard.h"
#include "util.h"

#define URL_MAX		2048	/* seed 000 has none; ours (STYLE 11) */
#define HOST_ACE_MAX	253	/* RFC 1035 2.3.4, without the root dot */
#define HOST_UTF8_MAX	1024	/* 253 code points of at most 4 bytes */

/*
 * The schemes an outbound URL may have: the web's for webhooks and
 * services, mail's for the email connector (never one for the other).
 */
static const struct scheme {
	const char	*name;
	unsigned int	 port;		/* the default */
	int		 mail;
	int		 tls;		/* TLS from the first byte */
} schemes[] = {
	{ "https", 443, 0, 1 },
	{ "http", 80, 0, 0 },
	{ "smtps", 465, 1, 1 },		/* RFC 8314 implicit TLS */
	{ "smtp", 25, 1, 0 },		/* RFC 5321; STARTTLS is curl's */
};

struct url_parts {
	const struct scheme *scheme;
	unsigned int	 port;		/* given, or the scheme's default */
	int		 port_given;
	int		 family;	/* AF_INET/AF_INET6 literal, else 0 */
	unsigned char	 addr[16];	/* the literal's address bytes */
	int		 trailing_dot;	/* "example.com." (root-anchored) */
	const char	*rest;		/* path, query, fragment; into url */
	/* Lowercase, no brackets, no trailing dot.  For a DNS name: as
	 * written, with every label as U-label, with every label as A-label
	 * (RFC 5890 2.3.2.1); literals have all three the same. */
	char		 host[HOST_UTF8_MAX + 1];
	char		 host_u[HOST_UTF8_MAX + 1];
	char		 host_a[HOST_ACE_MAX + 1];
};

/* ---- addresses and the allow list ------------------------------------ */

/* 1 when the first bits of a and net agree. */
static int
prefix_match(const unsigned char *a, const unsigned char *net,
    unsigned int bits)
{
	unsigned int	 whole = bits / 8, rem = bits % 8;
	unsigned char	 mask;

	if (memcmp(a, net, whole) != 0)
		return 0;
	if (rem == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rem));
	return (a[whole] & mask) == (net[whole] & mask);
}

/*
 * 1 when the allow list covers the address (lib/cidr, in the guard's
 * strict reading: comma-separated, each block covering its own family
 * only).  A malformed entry covers nothing: the allow list only ever
 * grants, so ignoring a typo fails closed.
 */
static int
allow_covers(const char *allow, int family, const unsigned char *a)
{
	struct cidr_addr	 ca;

	cidr_addr_from(family, a, &ca);
	return cidr_list_match(allow, &ca, family == AF_INET,
	    CIDR_LIST_COMMAS | CIDR_LIST_FAMILY);
}

struct range {
	unsigned char	 net[16];
	unsigned int	 bits;
};

/* Not reachable on purpose: RFC 6890 special-purpose IPv4 registry. */
static const struct range v4_refused[] = {
	{ { 0, 0, 0, 0 }, 8 },		/* "this network", RFC 791 */
	{ { 10, 0, 0, 0 }, 8 },		/* private, RFC 1918 */
	{ { 100, 64, 0, 0 }, 10 },	/* CGNAT shared, RFC 6598 */
	{ { 127, 0, 0, 0 }, 8 },	/* loopback, RFC 1122 */
	{ { 169, 254, 0, 0 }, 16 },	/* link-local and cloud metadata */
	{ { 172, 16, 0, 0 }, 12 },	/* private, RFC 1918 */
	{ { 192, 0, 0, 0 }, 24 },	/* IETF protocol assignments */
	{ { 192, 0, 2, 0 }, 24 },	/* TEST-NET-1, RFC 5737 */
	{ { 192, 88, 99, 0 }, 24 },	/* 6to4 relay anycast, RFC 7526 */
	{ { 192, 168, 0, 0 }, 16 },	/* private, RFC 1918 */
	{ { 198, 18, 0, 0 }, 15 },	/* benchmarking, RFC 2544 */
	{ { 198, 51, 100, 0 }, 24 },	/* TEST-NET-2, RFC 5737 */
	{ { 203, 0, 113, 0 }, 24 },	/* TEST-NET-3, RFC 5737 */
	{ { 224, 0, 0, 0 }, 4 },	/* multicast, RFC 5771 */
	{ { 240, 0, 0, 0 }, 4 },	/* reserved, RFC 1112 */
	{ { 255, 255, 255, 255 }, 32 },	/* limited broadcast, RFC 919 */
};

/* RFC 6890 special-purpose IPv6 registry; refused outright. */
static const struct range v6_refused[] = {
	{ { 0 }, 128 },					/* unspecified */
	{ { [15] = 1 }, 128 },				/* loopback */
	{ { 0x01, 0x00 }, 64 },				/* discard, RFC 6666 */
	{ { 0x20, 0x01, 0x00, 0x00 }, 32 },		/* Teredo, RFC 4380 */
	{ { 0x20, 0x01, 0x0d, 0xb8 }, 32 },		/* documentation */
	{ { 0xfc }, 7 },				/* unique-local */
	{ { 0xfe, 0x80 }, 10 },				/* link-local */
	{ { 0xfe, 0xc0 }, 10 },				/* site-local */
	{ { 0xff }, 8 },				/* multicast */
	/* AWS instance metadata over IPv6; inside fc00::/7 already, named
	 * so that it stays refused if that line ever changes. */
	{ { 0xfd, 0x00, 0x0e, 0xc2, [15] = 0x54, [14] = 0x02 }, 128 },
};

/*
 * IPv6 forms that carry an IPv4 address (RFC 4291 2.5.5, RFC 6052, RFC
 * 3056, RFC 2765).  Each candidate says where the four IPv4 bytes sit and
 * from which byte on the rest must be zero (16: nothing after).
 *
 * The local-use NAT64 /48 (RFC 8215) may be used with any RFC 6052 prefix
 * length from /48 to /96; an address there is read in every format whose
 * u-octet (byte 8) and suffix are zero, and all of those readings must
 * pass.  One that fits no format is refused: no translator would take it.
 */
struct v4_at {
	unsigned char	 at[4];
	unsigned char	 zero_from;
};

static const struct {
	struct range	 r;
	struct v4_at	 cand[4];
	size_t		 ncand;
	int		 u_octet;	/* byte 8 must be zero */
} v6_embedded[] = {
	{ { { [10] = 0xff, [11] = 0xff }, 96 },		/* ::ffff:0:0/96 */
	  { { { 12, 13, 14, 15 }, 16 } }, 1, 0 },
	{ { { 0 }, 96 },				/* ::/96 compat */
	  { { { 12, 13, 14, 15 }, 16 } }, 1, 0 },
	{ { { [8] = 0xff, [9] = 0xff }, 96 },		/* ::ffff:0:0:0/96 */
	  { { { 12, 13, 14, 15 }, 16 } }, 1, 0 },
	{ { { 0x00, 0x64, 0xff, 0x9b }, 96 },		/* 64:ff9b::/96 */
	  { { { 12, 13, 14, 15 }, 16 } }, 1, 0 },
	{ { { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 }, 48 }, /* 64:ff9b:1::/48 */
	  { { { 6, 7, 9, 10 }, 11 }, { { 7, 9, 10, 11 }, 12 },
	    { { 9, 10, 11, 12 }, 13 }, { { 12, 13, 14, 15 }, 16 } }, 4, 1 },
	{ { { 0x20, 0x02 }, 16 },			/* 6to4 2002::/16 */
	  { { { 2, 3, 4, 5 }, 16 } }, 1, 0 },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static int
v4_allowed(const unsigned char a[4], const char *allow)
{
	size_t	 i;

	for (i = 0; i < NITEMS(v4_refused); i++)
		if (prefix_match(a, v4_refused[i].net, v4_refused[i].bits))
			return allow_covers(allow, AF_INET, a);
	return 1;
}

/* 1 when bytes from..15 of a are zero. */
static int
zero_from(const unsigned char a[16], size_t from)
{
	for (; from < 16; from++)
		if (a[from] != 0)
			return 0;
	return 1;
}

/*
 * The IPv4 addresses embedded in a.  Returns how many (0: a is no
 * embedding form), or -1 when a is in an embedding prefix but fits none of
 * its formats.
 */
static int
v6_embedded_v4(const unsigned char a[16], unsigned char v4[][4],
    size_t max)
{
	const struct v4_at	*c;
	size_t			 i, j, k, n = 0, fits;

	for (i = 0; i < NITEMS(v6_embedded); i++) {
		if (!prefix_match(a, v6_embedded[i].r.net,
		    v6_embedded[i].r.bits))
			continue;
		if (v6_embedded[i].u_octet && a[8] != 0)
			return -1;
		for (j = 0, fits = 0; j < v6_embedded[i].ncand; j++) {
			c = &v6_embedded[i].cand[j];
			if (!zero_from(a, c->zero_from))
				continue;
			if (n == max)
				return -1;
			for (k = 0; k < 4; k++)
				v4[n][k] = a[c->at[k]];
			n++;
			fits++;
		}
		if (fits == 0)
			return -1;
	}
	return (int)n;
}

static int
v6_allowed(const unsigned char a[16], const char *allow)
{
	unsigned char	 v4[8][4];
	size_t		 i;
	int		 n;

	if (allow_covers(allow, AF_INET6, a))
		return 1;
	for (i = 0; i < NITEMS(v6_refused); i++)
		if (prefix_match(a, v6_refused[i].net, v6_refused[i].bits))
			return 0;
	/* Covering the embedded IPv4 is as good as covering a itself. */
	if ((n = v6_embedded_v4(a, v4, NITEMS(v4))) == -1)
		return 0;
	for (i = 0; i < (size_t)n; i++)
		if (!v4_allowed(v4[i], allow))
			return 0;
	return 1;
}

int
urlguard_addr_allowed(const struct sockaddr *sa, socklen_t len,
    const char *allow_private)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(*sin)) {
		sin = (const struct sockaddr_in *)sa;
		return v4_allowed((const unsigned char *)&sin->sin_addr,
		    allow_private);
	}
	if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(*sin6)) {
		sin6 = (const struct sockaddr_in6 *)sa;
		return v6_allowed(sin6->sin6_addr.s6_addr, allow_private);
	}
	return 0;
}

/*
 * 1 when allow covers an IP-literal host: the address itself, or, for an
 * IPv6 form embedding IPv4, every embedded address.
 */
static int
allow_covers_literal(const char *allow, int family, const unsigned char *a)
{
	unsigned char	 v4[8][4];
	size_t		 i;
	int		 n;

	if (allow_covers(allow, family, a))
		return 1;
	if (family != AF_INET6)
		return 0;
	/*
	 * As v6_allowed: :: and ::1 lie in ::/96 but carry no IPv4 (RFC
	 * 4291 2.5.5.1); 0.0.0.0/0 let "[::1]" through (found by fuzz/).
	 */
	for (i = 0; i < NITEMS(v6_refused); i++)
		if (prefix_match(a, v6_refused[i].net, v6_refused[i].bits))
			return 0;
	if ((n = v6_embedded_v4(a, v4, NITEMS(v4))) <= 0)
		return 0;
	for (i = 0; i < (size_t)n; i++)
		if (!allow_covers(allow, AF_INET, v4[i]))
			return 0;
	return 1;
}

/* ---- host names -------------------------------------------------------- */

/*
 * 1 when the last label is a number (decimal, or 0x hex): then inet_aton
 * and getaddrinfo would read the host as an IPv4 address, whatever the
 * other labels ("2130706433", "0x7f.1", "127.1", "0177.0.0.1").  WHATWG
 * URL "ends in a number" is the same rule.
 */
static int
host_looks_numeric(const char *host)
{
	const char	*last, *p;

	last = strrchr(host, '.');
	last = last != NULL ? last + 1 : host;
	if (last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
		for (p = last + 2; *p != '\0'; p++)
			if (strchr("0123456789abcdefABCDEF", *p) == NULL)
				return 0;
		return 1;
	}
	if (*last == '\0')
		return 0;
	for (p = last; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return 0;
	return 1;
}

/* 1 for the one unambiguous spelling: four decimal parts 0-255, no
 * leading zeros (a leading zero means octal to inet_aton). */
static int
ipv4_dotted_quad(const char *s)
{
	int	 parts = 0, digits, value;

	for (;;) {
		for (digits = 0, value = 0; *s >= '0' && *s <= '9'; s++) {
			if (digits > 0 && value == 0)
				return 0;
			value = value * 10 + (*s - '0');
			if (++digits > 3 || value > 255)
				return 0;
		}
		if (digits == 0 || ++parts > 4)
			return 0;
		if (*s == '\0')
			return parts == 4;
		if (*s++ != '.')
			return 0;
	}
}

/*
 * The host as written (without brackets), host_len bytes: lowercased
 * (ASCII, and Latin-1 À-Þ so that "BÜCHER" and "bücher" agree) into
 * u->host, classified as IPv4 literal or DNS name.  Returns 0 or -1.
 */
static int
host_parse(const char *s, size_t n, struct url_parts *u, char *err,
    size_t errsz)
{
	unsigned char	 c;
	size_t		 i;

	if (n > 0 && s[n - 1] == '.') {
		u->trailing_dot = 1;
		n--;
	}
	if (n == 0 || n > HOST_UTF8_MAX) {
		errf(err, errsz, "URL host is not a valid DNS name");
		return -1;
	}
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		else if (i > 0 && (unsigned char)s[i - 1] == 0xc3 &&
		    c >= 0x80 && c <= 0x9e && c != 0x97)
			c += 0x20;
		u->host[i] = (char)c;
	}
	u->host[n] = '\0';
	if (host_looks_numeric(u->host)) {
		if (!ipv4_dotted_quad(u->host) ||
		    inet_pton(AF_INET, u->host, u->addr) != 1) {
			errf(err, errsz,
			    "IP address hosts are not allowed; use a DNS name");
			return -1;
		}
		u->family = AF_INET;
		u->trailing_dot = 0;
		memcpy(u->host_u, u->host, n + 1);
		memcpy(u->host_a, u->host, n + 1);
		return 0;
	}
	if (idna_name_convert(u->host, u->host_u, sizeof(u->host_u),
	    u->host_a, sizeof(u->host_a)) == -1) {
		errf(err, errsz, "URL host is not a valid DNS name");
		return -1;
	}
	return 0;
}

/*
 * The one URL parser: scheme "://" host [":" port] [path-query-fragment].
 * flags: URLGUARD_MAIL takes smtp and smtps, else http and https
 * (URLGUARD_HTTP only words the error).  Returns 0 and fills u, or -1
 * with a reason in err.
 */
static int
url_parse(const char *url, int flags, struct url_parts *u, char *err,
    size_t errsz)
{
	const char	*auth = NULL, *end, *host, *host_end, *p;
	char		 text[INET6_ADDRSTRLEN];
	long long	 port;
	size_t		 len, i, n;
	int		 mail = (flags & URLGUARD_MAIL) != 0;

	memset(u, 0, sizeof(*u));
	if (url == NULL || *url == '\0') {
		errf(err, errsz, "URL is required");
		return -1;
	}
	if ((len = strnlen(url, URL_MAX + 1)) > URL_MAX) {
		errf(err, errsz, "URL is longer than %d characters", URL_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f) {
			errf(err, errsz,
			    "URL contains whitespace or control characters");
			return -1;
		}
	}
	/* Schemes are case-insensitive, RFC 3986 3.1. */
	for (i = 0; i < NITEMS(schemes) && auth == NULL; i++) {
		n = strlen(schemes[i].name);
		if (schemes[i].mail == mail &&
		    strncasecmp(url, schemes[i].name, n) == 0 &&
		    strncmp(url + n, "://", 3) == 0) {
			u->scheme = &schemes[i];
			u->port = schemes[i].port;
			auth = url + n + 3;
		}
	}
	if (auth == NULL) {
		errf(err, errsz, "URL scheme must be %s", mail ?
		    "smtp or smtps" : (flags & URLGUARD_HTTP) ?
		    "http or https" : "https");
		return -1;
	}
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL) {
		errf(err, errsz, "URL must not contain credentials "
		    "(user:password@)");
		return -1;
	}
	/* Raw bytes beyond the host would go on the wire unencoded. */
	for (p = end; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x80) {
			errf(err, errsz, "URL path and query must be "
			    "percent-encoded ASCII");
			return -1;
		}
	}
	u->rest = end;
	if (*auth == '[') {
		host = auth + 1;
		host_end = memchr(host, ']', (size_t)(end - host));
		n = host_end != NULL ? (size_t)(host_end - host) : 0;
		/* Only hex, colons and dots: no zone ID, no IPvFuture. */
		if (n == 0 || n >= sizeof(text) ||
		    strspn(host, "0123456789abcdefABCDEF:.") != n) {
			errf(err, errsz, "URL host is not a valid IPv6 "
			    "address");
			return -1;
		}
		memcpy(text, host, n);
		text[n] = '\0';
		if (inet_pton(AF_INET6, text, u->addr) != 1 ||
		    inet_ntop(AF_INET6, u->addr, u->host,
		    sizeof(u->host)) == NULL) {
			errf(err, errsz, "URL host is not a valid IPv6 "
			    "address");
			return -1;
		}
		u->family = AF_INET6;
		memcpy(u->host_u, u->host, strlen(u->host) + 1);
		memcpy(u->host_a, u->host, strlen(u->host) + 1);
		p = host_end + 1;
	} else {
		host = auth;
		host_end = memchr(auth, ':', (size_t)(end - auth));
		if (host_end == NULL)
			host_end = end;
		if (host_end == host) {
			errf(err, errsz, "URL has no host");
			return -1;
		}
		if (host_parse(host, (size_t)(host_end - host), u, err,
		    errsz) == -1)
			return -1;
		p = host_end;
	}
	if (p == end)
		return 0;
	n = (size_t)(end - p) - 1;
	if (*p != ':' || n == 0 || n > 5 ||
	    strspn(p + 1, "0123456789") < n) {
		errf(err, errsz, "URL port must be a number from 1 to 65535");
		return -1;
	}
	memcpy(text, p + 1, n);
	text[n] = '\0';
	if (parse_int(text, 1, 65535, &port) == -1) {
		errf(err, errsz, "URL port must be a number from 1 to 65535");
		return -1;
	}
	u->port = (unsigned int)port;
	u->port_given = 1;
	return 0;
}

/* ---- deny list -------------------------------------------------------- */

/*
 * 0 when no entry matches any spelling of the host; -1 with a reason when
 * one does or when an entry cannot be evaluated (seed 000: fail closed).
 */
static int
deny_check(const struct urlguard_deny *deny, size_t ndeny,
    const struct url_parts *u, char *err, size_t errsz)
{
	const char	*names[3] = { u->host, u->host_u, u->host_a };
	regex_t		 re;
	size_t		 i, j;
	int		 r, hit;

	if (deny == NULL && ndeny > 0) {
		errf(err, errsz, "URL deny list is not available");
		return -1;
	}
	for (i = 0; i < ndeny; i++) {
		if (deny[i].pattern == NULL || deny[i].pattern[0] == '\0') {
			errf(err, errsz, "URL deny list entry %zu is empty",
			    i + 1);
			return -1;
		}
		hit = 0;
		if (deny[i].is_regex) {
			if (regcomp(&re, deny[i].pattern,
			    REG_EXTENDED | REG_ICASE | REG_NOSUB) != 0) {
				errf(err, errsz, "URL deny list entry %zu "
				    "is not a valid regular expression", i + 1);
				return -1;
			}
			for (j = 0; j < NITEMS(names) && !hit; j++) {
				r = regexec(&re, names[j], 0, NULL, 0);
				hit = r != REG_NOMATCH;
			}
			regfree(&re);
		} else {
			for (j = 0; j < NITEMS(names) && !hit; j++) {
				r = fnmatch(deny[i].pattern, names[j],
				    FNM_CASEFOLD);
				hit = r != FNM_NOMATCH;
			}
		}
		if (hit) {
			errf(err, errsz, "URL host is on the deny list");
			return -1;
		}
	}
	return 0;
}

int
urlguard_check_url(const char *url, int flags, const char *allow_private,
    const struct urlguard_deny *deny, size_t ndeny, char *err, size_t errsz)
{
	struct url_parts	 u;

	if (url_parse(url, flags, &u, err, errsz) == -1)
		return -1;
	/*
	 * seed 000: "HTTP is allowed only when ... allowHTTPWebhooks".  A
	 * mail URL's protection is its connector's setting (STARTTLS).
	 */
	if (!u.scheme->mail && !u.scheme->tls && !(flags & URLGUARD_HTTP)) {
		errf(err, errsz, "URL scheme must be https");
		return -1;
	}
	if (u.family != 0) {
		if (!allow_covers_literal(allow_private, u.family, u.addr)) {
			errf(err, errsz,
			    "IP address hosts are not allowed; use a DNS name");
			return -1;
		}
		/*
		 * The operator's allow list names this very address: that
		 * explicit decision outranks the deny list's generic
		 * private-range entries (tests deliver to 127.0.0.1).
		 */
		return 0;
	}
	return deny_check(deny, ndeny, &u, err, errsz);
}

/* ---- delivery: resolve, check, pin ------------------------------------ */

/*
 * CURLOPT_OPENSOCKETFUNCTION: the last word on every connection curl
 * makes, whatever resolved the name.  clientp is the allow list.
 */
static curl_socket_t
urlguard_opensocket(void *clientp, curlsocktype purpose,
    struct curl_sockaddr *address)
{
	const char	*allow = clientp;

	if (!urlguard_addr_allowed(&address->addr, address->addrlen, allow))
		return CURL_SOCKET_BAD;
	return socket(address->family, address->socktype | SOCK_CLOEXEC,
	    address->protocol);
}

/* 1 when ai's address already occurs earlier in the list from head. */
static int
addr_seen(const struct addrinfo *head, const struct addrinfo *ai)
{
	for (; head != ai; head = head->ai_next)
		if (head->ai_family == ai->ai_family &&
		    head->ai_addrlen == ai->ai_addrlen &&
		    memcmp(head->ai_addr, ai->ai_addr, ai->ai_addrlen) == 0)
			return 1;
	return 0;
}

/*
 * Note for callers: the opensocket callback keeps the allow_private
 * pointer, so the string must stay alive and unchanged until the
 * transfer is done (the process-wide config string is).
 */
int
urlguard_curl_prepare(CURL *h, const char *url, int flags,
    const char *allow_private, struct curl_slist **pinned, char *err,
    size_t errsz)
{
	struct url_parts	 u;
	struct addrinfo		 hints, *res = NULL, *ai;
	struct curl_slist	*list = NULL, *tmp;
	struct buf		 addrs = { 0 }, line = { 0 }, target = { 0 };
	const void		*a;
	char			 port[8], text[INET6_ADDRSTRLEN];
	CURLcode		 cc = CURLE_OK;
	int			 gai, rc = -1, resolve_set = 0;

	if (h == NULL || pinned == NULL) {
		errf(err, errsz, "no curl handle");
		goto out;
	}
	if (url_parse(url, URLGUARD_HTTP | (flags & URLGUARD_MAIL), &u, err,
	    errsz) == -1)
		goto out;
	snprintf(port, sizeof(port), "%u", u.port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (u.family != 0)
		hints.ai_flags = AI_NUMERICHOST;
	if ((gai = getaddrinfo(u.host_a, port, &hints, &res)) != 0) {
		errf(err, errsz, "cannot resolve %s: %s", u.host_a,
		    gai_strerror(gai));
		goto out;
	}
	/* Every address must pass, not just the first: curl may try any. */
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			a = &((struct sockaddr_in *)ai->ai_addr)->sin_addr;
		else if (ai->ai_family == AF_INET6)
			a = &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		else
			continue;
		if (inet_ntop(ai->ai_family, a, text, sizeof(text)) == NULL) {
			errf(err, errsz, "cannot format an address of %s",
			    u.host_a);
			goto out;
		}
		if (!urlguard_addr_allowed(ai->ai_addr, ai->ai_addrlen,
		    allow_private)) {
			if (u.family != 0)
				errf(err, errsz, "%s is not an allowed "
				    "destination", text);
			else
				errf(err, errsz, "%s resolves to %s, which "
				    "is not an allowed destination", u.host_a,
				    text);
			goto out;
		}
		if (addr_seen(res, ai))
			continue;
		buf_appendf(&addrs, "%s%s%s%s", addrs.len > 0 ? "," : "",
		    ai->ai_family == AF_INET6 ? "[" : "", text,
		    ai->ai_family == AF_INET6 ? "]" : "");
	}
	if (addrs.len == 0) {
		errf(err, errsz, "%s has no IPv4 or IPv6 address", u.host_a);
		goto out;
	}
	/*
	 * CURLOPT_RESOLVE "host:port:addr,...": curl then connects to what
	 * was checked here, not to what DNS says a moment later.  Both
	 * spellings of a root-anchored name are pinned, as curl versions
	 * differ on whether the cache key keeps the dot.  curl 7.88 cannot
	 * parse an IPv6 host in an entry; an IPv6 literal is never resolved
	 * anyway and the opensocket check still applies.
	 */
	if (u.family != AF_INET6) {
		buf_appendf(&line, "%s:%s:%s", u.host_a, port, addrs.data);
		if ((tmp = curl_slist_append(list, line.data)) == NULL)
			goto oom;
		list = tmp;
		if (u.trailing_dot) {
			buf_free(&line);
			buf_appendf(&line, "%s.:%s:%s", u.host_a, port,
			    addrs.data);
			if ((tmp = curl_slist_append(list, line.data)) == NULL)
				goto oom;
			list = tmp;
		}
	}
	buf_appendf(&target, "%s://%s%s%s%s", u.scheme->name,
	    u.family == AF_INET6 ? "[" : "", u.host_a,
	    u.family == AF_INET6 ? "]" : "", u.trailing_dot ? "." : "");
	if (u.port_given)
		buf_appendf(&target, ":%s", port);
	buf_append(&target, u.rest, strlen(u.rest));

	/*
	 * The socket check first, so a handle left half-set by a failure
	 * below still refuses.  NOPROXY "*": a proxy from the environment
	 * would connect on our behalf and bypass both checks.  Redirects are
	 * never followed (the target would not have been checked); libcurl
	 * rejects an empty REDIR_PROTOCOLS_STR, so it names the narrowest.
	 */
	if ((cc = curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION,
	    urlguard_opensocket)) != CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA,
	    (void *)allow_private)) != CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_NOPROXY, "*")) != CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, u.scheme->mail ?
	    "smtp,smtps" : "http,https")) != CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https")) !=
	    CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L)) != CURLE_OK)
		goto curlerr;
	/*
	 * HOOKPOST_CA_BUNDLE: the certificate authorities every outbound
	 * TLS connection trusts, and only they: libcurl's default file AND
	 * its CA directory (Debian's /etc/ssl/certs, which CAINFO alone
	 * leaves trusted) give way to it, so it means the same on every
	 * platform (a private CA; the tests' own; add the public CAs to the
	 * file to keep them).
	 */
	if (cfg.ca_bundle != NULL && ((cc = curl_easy_setopt(h,
	    CURLOPT_CAINFO, cfg.ca_bundle)) != CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_CAPATH, NULL)) != CURLE_OK))
		goto curlerr;
	resolve_set = 1;
	if ((cc = curl_easy_setopt(h, CURLOPT_RESOLVE, list)) != CURLE_OK ||
	    (cc = curl_easy_setopt(h, CURLOPT_URL, target.data)) != CURLE_OK)
		goto curlerr;
	*pinned = list;
	list = NULL;
	rc = 0;
	goto out;
oom:
	errf(err, errsz, "out of memory");
	goto out;
curlerr:
	errf(err, errsz, "curl: %s", curl_easy_strerror(cc));
out:
	/* The handle must not keep a pointer to the list freed below. */
	if (resolve_set && rc == -1)
		curl_easy_setopt(h, CURLOPT_RESOLVE, NULL);
	curl_slist_free_all(list);
	buf_free(&target);
	buf_free(&line);
	buf_free(&addrs);
	if (res != NULL)
		freeaddrinfo(res);
	return rc;
}
