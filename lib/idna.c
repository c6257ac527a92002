/*
 * idna: internationalised domain names (RFC 5890/5891, Punycode RFC
 * 3492), as the SSRF guard (urlguard) reads a URL's host: every label an
 * LDH label (RFC 1123 2.1), an "xn--" A-label that decodes to a U-label
 * and encodes back to it (RFC 5891 5.4), or a UTF-8 U-label; without the
 * RFC 5892 tables, code points are checked by an approximation that errs
 * on refusing.
 */
#include <stdint.h>
#include <string.h>

#include "idna.h"

#define LABEL_MAX	63	/* RFC 1035 2.3.4 */
#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Punycode parameters, RFC 3492 5. */
#define PUNY_BASE	36
#define PUNY_TMIN	1
#define PUNY_TMAX	26
#define PUNY_SKEW	38
#define PUNY_DAMP	700
#define PUNY_BIAS	72
#define PUNY_N		128

/* RFC 3492 6.1. */
static uint32_t
puny_adapt(uint32_t delta, uint32_t numpoints, int firsttime)
{
	uint32_t	 k = 0;

	delta = firsttime ? delta / PUNY_DAMP : delta / 2;
	delta += delta / numpoints;
	while (delta > ((PUNY_BASE - PUNY_TMIN) * PUNY_TMAX) / 2) {
		delta /= PUNY_BASE - PUNY_TMIN;
		k += PUNY_BASE;
	}
	return k + (PUNY_BASE - PUNY_TMIN + 1) * delta / (delta + PUNY_SKEW);
}

static uint32_t
puny_threshold(uint32_t k, uint32_t bias)
{
	if (k <= bias)
		return PUNY_TMIN;
	if (k >= bias + PUNY_TMAX)
		return PUNY_TMAX;
	return k - bias;
}

static char
puny_digit(uint32_t d)
{
	return (char)(d < 26 ? 'a' + d : '0' + d - 26);
}

/* RFC 3492 6.3.  Returns the output length, or 0 when it does not fit. */
static size_t
puny_encode(const uint32_t *cp, size_t n, char *out, size_t outsz)
{
	uint32_t	 code = PUNY_N, delta = 0, bias = PUNY_BIAS, m, q, k, t;
	size_t		 h, b, j, o = 0;

	for (j = 0; j < n; j++) {
		if (cp[j] >= 0x80)
			continue;
		if (o >= outsz)
			return 0;
		out[o++] = (char)cp[j];
	}
	h = b = o;
	if (b > 0) {
		if (o >= outsz)
			return 0;
		out[o++] = '-';
	}
	while (h < n) {
		m = UINT32_MAX;
		for (j = 0; j < n; j++)
			if (cp[j] >= code && cp[j] < m)
				m = cp[j];
		if (m - code > (UINT32_MAX - delta) / (h + 1))
			return 0;
		delta += (m - code) * (uint32_t)(h + 1);
		code = m;
		for (j = 0; j < n; j++) {
			if (cp[j] < code && ++delta == 0)
				return 0;
			if (cp[j] != code)
				continue;
			for (q = delta, k = PUNY_BASE;; k += PUNY_BASE) {
				t = puny_threshold(k, bias);
				if (q < t)
					break;
				if (o >= outsz)
					return 0;
				out[o++] = puny_digit(t + (q - t) %
				    (PUNY_BASE - t));
				q = (q - t) / (PUNY_BASE - t);
			}
			if (o >= outsz)
				return 0;
			out[o++] = puny_digit(q);
			bias = puny_adapt(delta, (uint32_t)(h + 1), h == b);
			delta = 0;
			h++;
		}
		delta++;
		code++;
	}
	return o;
}

/* RFC 3492 6.2.  Returns the number of code points, or 0 on bad input. */
static size_t
puny_decode(const char *in, size_t inlen, uint32_t *out, size_t outmax)
{
	uint32_t	 code = PUNY_N, i = 0, bias = PUNY_BIAS;
	uint32_t	 oldi, w, k, t, digit;
	size_t		 b = 0, j, pos, o = 0;
	char		 c;

	for (j = 0; j < inlen; j++)
		if (in[j] == '-')
			b = j;
	for (j = 0; j < b; j++) {
		if (o >= outmax)
			return 0;
		out[o++] = (unsigned char)in[j];
	}
	for (pos = b > 0 ? b + 1 : 0; pos < inlen; o++) {
		for (oldi = i, w = 1, k = PUNY_BASE;; k += PUNY_BASE) {
			if (pos >= inlen)
				return 0;
			c = in[pos++];
			if (c >= 'a' && c <= 'z')
				digit = (uint32_t)(c - 'a');
			else if (c >= '0' && c <= '9')
				digit = (uint32_t)(c - '0' + 26);
			else
				return 0;
			if (digit > (UINT32_MAX - i) / w)
				return 0;
			i += digit * w;
			t = puny_threshold(k, bias);
			if (digit < t)
				break;
			if (w > UINT32_MAX / (PUNY_BASE - t))
				return 0;
			w *= PUNY_BASE - t;
		}
		bias = puny_adapt(i - oldi, (uint32_t)(o + 1), oldi == 0);
		if (i / (o + 1) > UINT32_MAX - code)
			return 0;
		code += i / (uint32_t)(o + 1);
		i %= (uint32_t)(o + 1);
		if (o >= outmax)
			return 0;
		memmove(out + i + 1, out + i, (o - i) * sizeof(*out));
		out[i++] = code;
	}
	return o;
}

/* Decodes one UTF-8 sequence; returns its length, 0 if invalid (overlong,
 * surrogate, beyond U+10FFFF, truncated). */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t		 len, i;
	uint32_t	 c;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

static size_t
utf8_encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * 1 when a code point may appear in a U-label.  Without the RFC 5892
 * tables this is an approximation that errs on refusing: controls,
 * spaces, punctuation, symbols, emoji, compatibility and private-use
 * forms are refused, which also stops look-alike dots (U+3002, U+FF0E,
 * U+FF61) and invisible characters.  Case and NFC are not checked.
 */
static int
cp_label_ok(uint32_t c)
{
	static const struct {
		uint32_t	 lo, hi;
	} refused[] = {
		{ 0x0080, 0x00bf },	/* C1 controls, Latin-1 punctuation */
		{ 0x00d7, 0x00d7 },	/* multiplication sign */
		{ 0x00f7, 0x00f7 },	/* division sign */
		{ 0x034f, 0x034f },	/* combining grapheme joiner */
		{ 0x061c, 0x061c },	/* Arabic letter mark */
		{ 0x1680, 0x1680 },	/* Ogham space */
		{ 0x180e, 0x180e },	/* Mongolian vowel separator */
		{ 0x2000, 0x2bff },	/* punctuation, symbols, arrows... */
		{ 0x2e00, 0x2fff },	/* supplemental punct., radicals */
		{ 0x3000, 0x3004 },	/* ideographic space, full stop */
		{ 0x3008, 0x3020 },	/* CJK brackets and marks */
		{ 0x3030, 0x3030 },
		{ 0x303d, 0x303f },
		{ 0xd800, 0xf8ff },	/* surrogates, private use */
		{ 0xfdd0, 0xfdef },	/* noncharacters */
		{ 0xfe00, 0xfe6f },	/* variation selectors, CJK forms */
		{ 0xfeff, 0xfeff },	/* byte order mark */
		{ 0xff00, 0xffff },	/* half/fullwidth forms, specials */
		{ 0x1f000, 0x1faff },	/* emoji and other symbols */
		{ 0xe0000, 0x10ffff },	/* tags, selectors, private use */
	};
	size_t	 i;

	if (c < 0x80)
		return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-';
	if ((c & 0xfffe) == 0xfffe)
		return 0;
	for (i = 0; i < NITEMS(refused); i++)
		if (c >= refused[i].lo && c <= refused[i].hi)
			return 0;
	return 1;
}

/* Appends n bytes to out (capacity sz, NUL kept); -1 if it does not fit. */
static int
append(char *out, size_t sz, size_t *len, const char *s, size_t n)
{
	if (*len + n >= sz)
		return -1;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = '\0';
	return 0;
}

/*
 * One label of a DNS name, lowercased: an LDH label (RFC 1123 2.1; an
 * "xn--" A-label must decode to a U-label that encodes back to it, RFC
 * 5891 5.4) or a UTF-8 U-label.  Appends both forms.  Returns 0 or -1.
 */
static int
label_convert(const char *s, size_t n, char *uo, size_t usz, size_t *ulen,
    char *ao, size_t asz, size_t *alen)
{
	uint32_t	 cp[LABEL_MAX + 1];
	char		 ace[LABEL_MAX + 1], enc[4];
	size_t		 i, k, ncp = 0, acelen;
	int		 ascii = 1, nonascii = 0;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			ascii = 0;
	if (ascii) {
		if (n > LABEL_MAX || s[0] == '-' || s[n - 1] == '-')
			return -1;
		for (i = 0; i < n; i++)
			if (!cp_label_ok((unsigned char)s[i]))
				return -1;
		if (append(ao, asz, alen, s, n) == -1)
			return -1;
		if (n < 4 || strncmp(s, "xn--", 4) != 0)
			return append(uo, usz, ulen, s, n);
		if ((ncp = puny_decode(s + 4, n - 4, cp, LABEL_MAX)) == 0)
			return -1;
		acelen = puny_encode(cp, ncp, ace, sizeof(ace));
		if (acelen != n - 4 || memcmp(ace, s + 4, acelen) != 0)
			return -1;
	} else {
		for (i = 0; i < n; i += k) {
			if (ncp == LABEL_MAX ||
			    (k = utf8_decode((const unsigned char *)s + i,
			    n - i, &cp[ncp++])) == 0)
				return -1;
		}
		if ((acelen = puny_encode(cp, ncp, ace, sizeof(ace))) == 0 ||
		    acelen + 4 > LABEL_MAX ||
		    append(ao, asz, alen, "xn--", 4) ==
		    -1 ||
		    append(ao, asz, alen, ace, acelen) ==
		    -1)
			return -1;
	}
	/* The U-label: no refused code point, no hyphen at either end, and
	 * (for a decoded A-label) at least one non-ASCII code point.  The
	 * middle dot is allowed between two l's, as in Catalan "l·l" (RFC
	 * 5892 A.3). */
	if (cp[0] == '-' || cp[ncp - 1] == '-')
		return -1;
	for (i = 0; i < ncp; i++) {
		if (!cp_label_ok(cp[i]) && !(cp[i] == 0xb7 && i > 0 &&
		    i + 1 < ncp && cp[i - 1] == 'l' && cp[i + 1] == 'l'))
			return -1;
		if (cp[i] >= 0x80)
			nonascii = 1;
		k = utf8_encode(cp[i], enc);
		if (append(uo, usz, ulen, enc, k) == -1)
			return -1;
	}
	return nonascii ? 0 : -1;
}

int
idna_name_convert(const char *name, char *uo, size_t usz, char *ao,
    size_t asz)
{
	const char	*p, *dot;
	size_t		 ulen = 0, alen = 0;

	if (usz == 0 || asz == 0)
		return -1;
	uo[0] = ao[0] = '\0';
	for (p = name;; p = dot + 1) {
		dot = strchr(p, '.');
		if (dot == NULL)
			dot = p + strlen(p);
		if (dot == p || label_convert(p, (size_t)(dot - p), uo, usz,
		    &ulen, ao, asz, &alen) == -1)
			return -1;
		if (*dot == '\0')
			break;
		if (append(uo, usz, &ulen, ".", 1) == -1 ||
		    append(ao, asz, &alen, ".", 1) == -1)
			return -1;
	}
	return 0;
}
