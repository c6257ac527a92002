/*
 * indicator: the indicator scanner of triage's extract_indicators step
 * (seed 004): e-mail addresses, http(s) URLs and their host names, IPv4
 * addresses, MD5/SHA-1/SHA-256 hashes found in any string of an alert,
 * and the sender's domain and hosts from the normalized entities.  Every
 * scan is bounded (strings, bytes, depth, indicators per kind).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "indicator.h"
#include "normalize.h"
#include "util.h"

#define INDICATORS_MAX		100	/* per kind */
#define SCAN_DEPTH_MAX		16
#define SCAN_STRINGS_MAX	10000
#define SCAN_BYTES_MAX		(1024 * 1024)
#define URL_LEN_MAX		2048
#define EMAIL_LOCAL_MAX		64	/* RFC 5321 4.5.3.1.1 */
#define DOMAIN_LEN_MAX		253	/* RFC 1035 2.3.4, without the root dot */
#define LABEL_LEN_MAX		63

static const char *const indicator_kind_names[INDICATOR__MAX] = {
	"sender_domain", "email", "url", "domain", "ip", "hash", "host"
};

struct scan {
	unsigned	 want;		/* 1 << enum indicator_kind */
	json_t		*indicators;
	size_t		 strings, bytes; /* budget spent */
};

int
indicator_kind_find(const char *name)
{
	int	 k;

	if (name == NULL)
		return -1;
	for (k = 0; k < INDICATOR__MAX; k++)
		if (strcmp(name, indicator_kind_names[k]) == 0)
			return k;
	return -1;
}

/* Adds s[0..len), its first lower_len bytes lower-cased, to
 * indicators[kind] unless already there. */
static void
indicator_add(struct scan *sc, enum indicator_kind kind, const char *s, size_t len,
    size_t lower_len)
{
	json_t	*arr;
	char	*v;
	size_t	 i;

	if ((sc->want & (1u << kind)) == 0 || len == 0)
		return;
	if ((arr = json_object_get(sc->indicators, indicator_kind_names[kind])) ==
	    NULL) {
		arr = json_array();
		if (json_object_set_new(sc->indicators, indicator_kind_names[kind],
		    arr) == -1)
			return;
	}
	if (!json_is_array(arr) || json_array_size(arr) >= INDICATORS_MAX)
		return;
	v = xstrndup(s, len);
	for (i = 0; i < lower_len && i < len; i++)
		v[i] = (char)tolower((unsigned char)v[i]);
	if (!normalize_strarray_has(arr, v))
		json_array_append_new(arr, json_string(v));
	free(v);
}

/* RFC 1035 2.3.1 names with an alphabetic top-level label (so no IPs). */
static int
domain_valid(const char *s, size_t len)
{
	size_t	 i, label = 0, labels = 1, tld_alpha = 1;

	if (len == 0 || len > DOMAIN_LEN_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			labels++;
			tld_alpha = 1;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
		if ((label == 0 && s[i] == '-') || ++label > LABEL_LEN_MAX)
			return 0;
		if (!isalpha((unsigned char)s[i]))
			tld_alpha = 0;
	}
	return labels >= 2 && label >= 2 && tld_alpha && s[len - 1] != '-';
}

static int
email_local_char(int c)
{
	return isalnum(c) || (c != '\0' && strchr("._%+-", c) != NULL);
}

/*
 * The next e-mail address in s[*pos..len): its start, its '@' and its end.
 * Returns 1, or 0 when there are no more.
 */
static int
email_next(const char *s, size_t len, size_t *pos, size_t *start,
    size_t *at, size_t *end)
{
	size_t	 i, b, e;

	for (i = *pos; i < len; i++) {
		if (s[i] != '@')
			continue;
		for (b = i; b > 0 && i - b < EMAIL_LOCAL_MAX &&
		    email_local_char((unsigned char)s[b - 1]); b--)
			continue;
		while (b < i && s[b] == '.')
			b++;
		for (e = i + 1; e < len && e - i - 1 < DOMAIN_LEN_MAX &&
		    (isalnum((unsigned char)s[e]) || s[e] == '.' ||
		    s[e] == '-'); e++)
			continue;
		while (e > i + 1 && (s[e - 1] == '.' || s[e - 1] == '-'))
			e--;
		if (b < i && domain_valid(s + i + 1, e - i - 1)) {
			*start = b;
			*at = i;
			*end = e;
			*pos = e;
			return 1;
		}
	}
	*pos = len;
	return 0;
}

static void
scan_emails(struct scan *sc, const char *s, size_t len)
{
	size_t	 pos = 0, start, at, end;

	while (email_next(s, len, &pos, &start, &at, &end))
		indicator_add(sc, INDICATOR_EMAIL, s + start, end - start, SIZE_MAX);
}

static int
url_end_char(int c)
{
	return c <= ' ' || c == 0x7f || strchr("\"'<>`{}|\\^", c) != NULL;
}

/* http(s) URLs; their host names are the "domain" kind. */
static void
scan_urls(struct scan *sc, const char *s, size_t len)
{
	size_t	 i, scheme, e, auth, auth_end, host, host_end, k;

	for (i = 0; i + 8 <= len; i++) {
		if (strncasecmp(s + i, "http://", 7) == 0)
			scheme = 7;
		else if (strncasecmp(s + i, "https://", 8) == 0)
			scheme = 8;
		else
			continue;
		if (i > 0 && isalnum((unsigned char)s[i - 1]))
			continue;
		auth = i + scheme;
		for (e = auth; e < len && !url_end_char((unsigned char)s[e]);
		    e++)
			continue;
		/* Sentence punctuation after a URL is not part of it. */
		while (e > auth && strchr(".,;:!?)]}", s[e - 1]) != NULL)
			e--;
		for (auth_end = auth; auth_end < e && s[auth_end] != '/' &&
		    s[auth_end] != '?' && s[auth_end] != '#'; auth_end++)
			continue;
		host = auth;
		for (k = auth; k < auth_end; k++)
			if (s[k] == '@')
				host = k + 1;
		for (host_end = host; host_end < auth_end &&
		    s[host_end] != ':'; host_end++)
			continue;
		/* Scheme and host are case-insensitive (RFC 3986 6.2.2.1),
		 * the path is not.  An IPv6 literal host is no domain. */
		if (host_end > host && e - i <= URL_LEN_MAX)
			indicator_add(sc, INDICATOR_URL, s + i, e - i, auth_end - i);
		if (host_end > host && s[host] != '[' &&
		    domain_valid(s + host, host_end - host))
			indicator_add(sc, INDICATOR_DOMAIN, s + host,
			    host_end - host, SIZE_MAX);
		i = e > i ? e - 1 : i;
	}
}

static void
scan_ips(struct scan *sc, const char *s, size_t len)
{
	struct in_addr	 addr;
	char		 ip[16];
	size_t		 i = 0, j, e;

	while (i < len) {
		if (!isdigit((unsigned char)s[i]) || (i > 0 &&
		    (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '.'))) {
			i++;
			continue;
		}
		for (j = i; j < len && (isdigit((unsigned char)s[j]) ||
		    s[j] == '.'); j++)
			continue;
		for (e = j; e > i && s[e - 1] == '.'; e--)
			continue;
		if ((j == len || !isalnum((unsigned char)s[j])) &&
		    e - i >= 7 && e - i < sizeof(ip)) {
			memcpy(ip, s + i, e - i);
			ip[e - i] = '\0';
			if (inet_pton(AF_INET, ip, &addr) == 1)
				indicator_add(sc, INDICATOR_IP, ip, e - i, 0);
		}
		i = j;
	}
}

/* Whole words of 32, 40 or 64 hex digits: MD5, SHA-1, SHA-256. */
static void
scan_hashes(struct scan *sc, const char *s, size_t len)
{
	size_t	 i = 0, j;
	int	 hex;

	while (i < len) {
		if (!isalnum((unsigned char)s[i])) {
			i++;
			continue;
		}
		hex = 1;
		for (j = i; j < len && isalnum((unsigned char)s[j]); j++)
			if (!isxdigit((unsigned char)s[j]))
				hex = 0;
		if (hex && (j - i == 32 || j - i == 40 || j - i == 64))
			indicator_add(sc, INDICATOR_HASH, s + i, j - i, SIZE_MAX);
		i = j;
	}
}

static void
scan_string(struct scan *sc, const char *s)
{
	size_t	 len;

	if (sc->strings >= SCAN_STRINGS_MAX || sc->bytes >= SCAN_BYTES_MAX)
		return;
	sc->strings++;
	len = strlen(s);
	if (len > SCAN_BYTES_MAX - sc->bytes)
		len = SCAN_BYTES_MAX - sc->bytes;
	sc->bytes += len;
	if (sc->want & (1u << INDICATOR_EMAIL))
		scan_emails(sc, s, len);
	if (sc->want & (1u << INDICATOR_URL | 1u << INDICATOR_DOMAIN))
		scan_urls(sc, s, len);
	if (sc->want & (1u << INDICATOR_IP))
		scan_ips(sc, s, len);
	if (sc->want & (1u << INDICATOR_HASH))
		scan_hashes(sc, s, len);
}

static void
scan_value(struct scan *sc, const json_t *v, int depth)
{
	const char	*key;
	json_t		*item;
	size_t		 i;

	if (depth > SCAN_DEPTH_MAX)
		return;
	if (json_is_string(v))
		scan_string(sc, json_string_value(v));
	else if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			scan_value(sc, item, depth + 1);
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, item)
			scan_value(sc, item, depth + 1);
	}
}

/* seed 004 phishing_triage: the sender's domain, from entities.sender. */
static void
sender_domain_indicators(struct scan *sc, const json_t *sender)
{
	const char	*s;
	size_t		 i, n, pos, start, at, end;

	n = json_is_array(sender) ? json_array_size(sender) : 1;
	for (i = 0; i < n && i < NORMALIZE_ARRAY_MAX; i++) {
		s = json_string_value(json_is_array(sender) ?
		    json_array_get(sender, i) : sender);
		if (s == NULL)
			continue;
		pos = 0;
		while (email_next(s, strlen(s), &pos, &start, &at, &end))
			indicator_add(sc, INDICATOR_SENDER_DOMAIN, s + at + 1,
			    end - at - 1, SIZE_MAX);
	}
}

/* seed 004 malware_triage: hosts are entities.host and .hostname. */
static void
host_indicators(struct scan *sc, const json_t *host)
{
	const char	*s;
	size_t		 i, n, k;

	n = json_is_array(host) ? json_array_size(host) : 1;
	for (i = 0; i < n && i < NORMALIZE_ARRAY_MAX; i++) {
		s = json_string_value(json_is_array(host) ?
		    json_array_get(host, i) : host);
		if (s == NULL)
			continue;
		for (k = 0; s[k] != '\0' && k <= DOMAIN_LEN_MAX; k++)
			if (!isalnum((unsigned char)s[k]) &&
			    strchr(".-_", s[k]) == NULL)
				break;
		if (k > 0 && s[k] == '\0')
			indicator_add(sc, INDICATOR_HOST, s, k, SIZE_MAX);
	}
}

void
indicator_extract(json_t *indicators, unsigned want, const json_t *entities,
    const json_t *payload)
{
	struct scan	 sc;

	memset(&sc, 0, sizeof(sc));
	sc.want = want;
	sc.indicators = indicators;
	sender_domain_indicators(&sc, json_object_get(entities, "sender"));
	host_indicators(&sc, json_object_get(entities, "host"));
	host_indicators(&sc, json_object_get(entities, "hostname"));
	/* Entities first: their indicators lead each list. */
	scan_value(&sc, entities, 0);
	scan_value(&sc, payload, 0);
}
