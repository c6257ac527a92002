#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "util.h"

#define CIDR_TEXT_MAX	64	/* an IPv6 address, "/128", and slack */

static const unsigned char v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

static int
is_v4mapped(const struct cidr_addr *a)
{
	return memcmp(a->b, v4mapped, sizeof(v4mapped)) == 0;
}

int
cidr_addr_parse(const char *s, struct cidr_addr *out)
{
	struct in_addr	 v4;
	struct in6_addr	 v6;

	if (s == NULL || strlen(s) >= CIDR_TEXT_MAX)
		return -1;
	/* inet_pton(3) takes only dotted-quad decimal: no octal, no "1.2". */
	if (inet_pton(AF_INET, s, &v4) == 1) {
		memcpy(out->b, v4mapped, sizeof(v4mapped));
		memcpy(out->b + 12, &v4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &v6) == 1) {
		memcpy(out->b, &v6, 16);
		return 0;
	}
	return -1;
}

void
cidr_addr_from(int family, const void *bytes, struct cidr_addr *out)
{
	if (family == AF_INET) {
		memcpy(out->b, v4mapped, sizeof(v4mapped));
		memcpy(out->b + 12, bytes, 4);
	} else
		memcpy(out->b, bytes, 16);
}

static void
clear_host_bits(struct cidr_addr *a, int prefix)
{
	int	 i;

	for (i = 0; i < 16; i++) {
		if (prefix >= (i + 1) * 8)
			continue;
		if (prefix <= i * 8)
			a->b[i] = 0;
		else
			a->b[i] &= (unsigned char)(0xff << (8 - (prefix - i * 8)));
	}
}

int
cidr_parse(const char *s, struct cidr *out)
{
	char		 text[CIDR_TEXT_MAX];
	const char	*slash;
	struct cidr	 c;
	long long	 len;
	size_t		 n;
	int		 v4;

	if (s == NULL || (n = strlen(s)) == 0 || n >= sizeof(text))
		return -1;
	memcpy(text, s, n + 1);
	if ((slash = strchr(text, '/')) != NULL)
		text[slash - text] = '\0';
	v4 = strchr(text, ':') == NULL;
	if (cidr_addr_parse(text, &c.addr) == -1)
		return -1;
	if (slash == NULL)
		c.prefix = 128;
	else {
		/* Digits only: parse_int would take "+8" and " 8". */
		if (!isdigit((unsigned char)s[slash - text + 1]) ||
		    parse_int(s + (slash - text) + 1, 0, v4 ? 32 : 128,
		    &len) == -1)
			return -1;
		c.prefix = (int)len + (v4 ? 96 : 0);
	}
	clear_host_bits(&c.addr, c.prefix);
	*out = c;
	return 0;
}

int
cidr_contains(const struct cidr *c, const struct cidr_addr *a)
{
	struct cidr_addr	 m = *a;

	clear_host_bits(&m, c->prefix);
	return memcmp(m.b, c->addr.b, 16) == 0;
}

static void
addr_format(const struct cidr_addr *a, char *buf, size_t bufsz)
{
	if (is_v4mapped(a))
		inet_ntop(AF_INET, a->b + 12, buf, (socklen_t)bufsz);
	else
		inet_ntop(AF_INET6, a->b, buf, (socklen_t)bufsz);
}

char *
cidr_format(const struct cidr *c, char *buf, size_t bufsz)
{
	char	 a[INET6_ADDRSTRLEN];

	addr_format(&c->addr, a, sizeof(a));
	if (is_v4mapped(&c->addr) && c->prefix >= 96)
		snprintf(buf, bufsz, "%s/%d", a, c->prefix - 96);
	else
		snprintf(buf, bufsz, "%s/%d", a, c->prefix);
	return buf;
}

/*
 * The next entry of a list into buf: returns a pointer past it, or NULL
 * at the end.  Entries are separated by commas and white space, or with
 * CIDR_LIST_COMMAS by commas only (blanks around an entry trimmed; an
 * entry may then come back empty).  An entry too long for buf comes back
 * empty, so that it fails to parse.
 */
static const char *
list_next(const char *p, char *buf, size_t bufsz, int flags)
{
	const char	*end;
	size_t		 n = 0;
	int		 toolong = 0;

	if (flags & CIDR_LIST_COMMAS) {
		if (*p == '\0')
			return NULL;
		end = p + strcspn(p, ",");
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		n = (size_t)(end - p);
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n >= bufsz)
			n = 0;
		memcpy(buf, p, n);
		buf[n] = '\0';
		return *end == ',' ? end + 1 : end;
	}
	while (*p == ',' || isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return NULL;
	for (; *p != '\0' && *p != ',' && !isspace((unsigned char)*p); p++) {
		if (n + 1 < bufsz)
			buf[n++] = *p;
		else
			toolong = 1;
	}
	buf[toolong ? 0 : n] = '\0';
	return p;
}

int
cidr_list_match(const char *list, const struct cidr_addr *a, int a_v4,
    int flags)
{
	char		 e[CIDR_TEXT_MAX];
	struct cidr	 c;
	const char	*p = list, *slash;

	if (list == NULL)
		return 0;
	while ((p = list_next(p, e, sizeof(e), flags)) != NULL) {
		if ((flags & CIDR_LIST_FAMILY) &&
		    (strchr(e, ':') == NULL) != (a_v4 != 0))
			continue;
		/*
		 * The guard read at most three digits after the slash
		 * ("/0008" covered nothing); cidr_parse takes leading zeros.
		 */
		if ((flags & CIDR_LIST_COMMAS) && (slash = strchr(e, '/')) !=
		    NULL && strlen(slash + 1) > 3)
			continue;
		if (cidr_parse(e, &c) == 0 && cidr_contains(&c, a))
			return 1;
	}
	return 0;
}

int
cidr_list_contains(const char *list, const struct cidr_addr *a)
{
	return cidr_list_match(list, a, is_v4mapped(a), 0);
}

int
cidr_list_valid(const char *list)
{
	char		 e[CIDR_TEXT_MAX];
	struct cidr	 c;
	const char	*p = list;

	if (list == NULL)
		return 0;
	while ((p = list_next(p, e, sizeof(e), 0)) != NULL)
		if (cidr_parse(e, &c) == -1)
			return -1;
	return 0;
}

int
cidr_client_addr(const char *remote, const char *xff, const char *trusted,
    struct cidr_addr *out, char *buf, size_t bufsz)
{
	struct cidr_addr	 a;
	char			 hop[CIDR_TEXT_MAX];
	const char		*end, *start;
	size_t			 n;

	if (cidr_addr_parse(remote, &a) == -1)
		return -1;
	if (xff != NULL && trusted != NULL && cidr_list_contains(trusted, &a)) {
		/* Right to left: each hop was appended by the one after it. */
		end = xff + strlen(xff);
		while (end > xff) {
			while (end > xff && (end[-1] == ',' ||
			    isspace((unsigned char)end[-1])))
				end--;
			if (end == xff)
				break;
			start = end;
			while (start > xff && start[-1] != ',' &&
			    !isspace((unsigned char)start[-1]))
				start--;
			n = (size_t)(end - start);
			if (n >= sizeof(hop))
				return -1;
			memcpy(hop, start, n);
			hop[n] = '\0';
			if (cidr_addr_parse(hop, &a) == -1)
				return -1;
			if (!cidr_list_contains(trusted, &a))
				break;
			end = start;
		}
	}
	*out = a;
	addr_format(&a, buf, bufsz);
	return 0;
}
