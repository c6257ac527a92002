#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "log.h"
#include "util.h"

static void
oom(void)
{
	log_error("out of memory");
	abort();
}

void *
xmalloc(size_t n)
{
	void	*p;

	if ((p = malloc(n ? n : 1)) == NULL)
		oom();
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void	*p;

	if ((p = calloc(n ? n : 1, sz ? sz : 1)) == NULL)
		oom();
	return p;
}

void *
xrealloc(void *o, size_t n)
{
	void	*p;

	if ((p = realloc(o, n ? n : 1)) == NULL)
		oom();
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) == -1)
		oom();
	va_end(ap);
	return p;
}

int
parse_int(const char *s, long long min, long long max, long long *out)
{
	char		*end;
	long long	 v;

	if (s == NULL || *s == '\0')
		return -1;
	/* An optional '-' and digits: strtoll alone takes " 6" and "+6". */
	if (!(*s >= '0' && *s <= '9') && !(*s == '-' && s[1] >= '0' &&
	    s[1] <= '9'))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void
buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->data = xrealloc(b->data, b->cap);
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_appendf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n == -1)
		oom();
	buf_append(b, s, (size_t)n);
	free(s);
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
errf(char *err, size_t errsz, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

int
name_valid(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i == 64)
			return 0;
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (i > 0 && (s[i] == '.' || s[i] == '_' || s[i] == '-'))
			continue;
		return 0;
	}
	return i > 0;
}

size_t
utf8_chars(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

size_t
utf8_seq_len(const unsigned char *p, size_t n)
{
	size_t	 len, k;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	for (k = 1; k < len; k++)
		if (k >= n || (p[k] & 0xc0) != 0x80)
			return 0;
	/* Overlong 3/4-byte forms, surrogates and > U+10FFFF. */
	if (len == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) ||
	    (p[0] == 0xed && p[1] >= 0xa0)))
		return 0;
	if (len == 4 && ((p[0] == 0xf0 && p[1] < 0x90) ||
	    (p[0] == 0xf4 && p[1] >= 0x90)))
		return 0;
	return len;
}

void
utf8_sanitize(char *s, size_t n)
{
	unsigned char	*p = (unsigned char *)s;
	size_t		 i = 0, len;

	while (i < n) {
		if (p[i] == 0 || (len = utf8_seq_len(p + i, n - i)) == 0) {
			p[i++] = '?';
			continue;
		}
		i += len;
	}
}

/* The canonical text of b, with its version and variant set. */
static int
uuid_format(unsigned char b[16], char out[37])
{
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);	/* RFC 9562 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
	    b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

int
uuid_new(char out[37])
{
	unsigned char	 b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);	/* RFC 9562 v4 */
	return uuid_format(b, out);
}

int
uuid_new_v7(char out[37])
{
	unsigned char	 b[16];
	struct timespec	 ts;
	unsigned long long ms;
	int		 i;

	if (RAND_bytes(b, sizeof(b)) != 1 ||
	    clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	ms = (unsigned long long)ts.tv_sec * 1000 +
	    (unsigned long long)ts.tv_nsec / 1000000;
	for (i = 5; i >= 0; i--, ms >>= 8)
		b[i] = (unsigned char)(ms & 0xff);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x70);	/* RFC 9562 v7 */
	return uuid_format(b, out);
}

int
uuid_valid(const char *s)
{
	static const char tmpl[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t	 i;

	if (s == NULL || strlen(s) != sizeof(tmpl) - 1)
		return 0;
	for (i = 0; tmpl[i] != '\0'; i++) {
		if (tmpl[i] == '-' ? s[i] != '-' :
		    strchr("0123456789abcdefABCDEF", s[i]) == NULL)
			return 0;
	}
	return 1;
}

char *
exe_dir(void)
{
	char	 path[PATH_MAX];
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", path, sizeof(path) - 1)) <= 0)
		return NULL;
	path[n] = '\0';
	return xstrdup(dirname(path));
}

int
read_all(int fd, size_t max, char **out, size_t *outlen)
{
	struct buf	 b = { NULL, 0, 0 };
	char		 chunk[8192];
	ssize_t		 n;

	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			buf_free(&b);
			return -1;
		}
		if (n == 0)
			break;
		if (b.len + (size_t)n > max) {
			buf_free(&b);
			errno = EFBIG;
			return -1;
		}
		buf_append(&b, chunk, (size_t)n);
	}
	buf_append(&b, "", 1);		/* the NUL, not counted */
	*out = b.data;
	*outlen = b.len - 1;
	return 0;
}

/* One pass of html_strip_new() over s, into out (as long as s). */
static void
html_strip_pass(const char *s, char *out)
{
	const char	*close;
	char		*o = out;
	unsigned char	 next;

	while (*s != '\0') {
		if (*s != '<') {
			*o++ = *s++;
			continue;
		}
		next = (unsigned char)s[1];
		if (!((next >= 'a' && next <= 'z') || (next >= 'A' &&
		    next <= 'Z') || next == '/' || next == '!' ||
		    next == '?')) {
			*o++ = *s++;	/* "a < b": no tag */
			continue;
		}
		if ((close = strchr(s, '>')) == NULL)
			break;	/* an unclosed tag: drop the rest */
		s = close + 1;
	}
	*o = '\0';
}

char *
html_strip_new(const char *s)
{
	char	*out, *prev, *o, *e;

	/*
	 * Again until nothing changes: what one pass leaves may form a tag
	 * ("<<b>script>" is "<script>" once "<b>" is gone).
	 */
	out = xstrdup(s);
	prev = xmalloc(strlen(s) + 1);
	do {
		memcpy(prev, out, strlen(out) + 1);
		html_strip_pass(prev, out);
	} while (strcmp(prev, out) != 0);
	free(prev);
	for (e = out + strlen(out); e > out && (e[-1] == ' ' ||
	    e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'); e--)
		e[-1] = '\0';
	for (o = out; *o == ' ' || *o == '\t' || *o == '\n' || *o == '\r'; o++)
		;
	if (o != out)
		memmove(out, o, strlen(o) + 1);
	return out;
}
