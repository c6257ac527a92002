/*
 * util: allocation that cannot return NULL (out of memory is fatal in a
 * short-lived request process), a bounded number parser, a growable buffer.
 */
#ifndef HOOKPOST_UTIL_H
#define HOOKPOST_UTIL_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* The one number parser (STYLE 10): whole string, base 10, in [min, max].
 * Returns 0 and writes *out, or -1. */
int	 parse_int(const char *, long long min, long long max, long long *out);

struct buf {
	char	*data;
	size_t	 len, cap;
};
void	 buf_append(struct buf *, const void *, size_t);
void	 buf_appendf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 buf_free(struct buf *);

/*
 * printf into a caller's error buffer err (errsz bytes), which may be
 * NULL or empty: then nothing is written.
 */
void	 errf(char *err, size_t errsz, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Monotonic milliseconds, for processing times. */
double	 now_ms(void);

/*
 * The length (1 to 4) of the well-formed UTF-8 sequence p[0..n) starts
 * with, or 0 when it starts none (a stray continuation byte, an overlong
 * form, a surrogate, beyond U+10FFFF, cut short) or n is 0.
 */
size_t	 utf8_seq_len(const unsigned char *p, size_t n);

/*
 * Makes s[0..n) valid UTF-8 text in place: NUL bytes and bytes that do not
 * start or continue a well-formed sequence become '?'.  For text that came
 * from the network and is kept or shown (response bodies).
 */
void	 utf8_sanitize(char *s, size_t n);

/*
 * The characters (code points) of UTF-8 text: the bytes that start a
 * sequence.  JSON Schema's string lengths and the CLI's column widths.
 */
size_t	 utf8_chars(const char *s);

/* 1 when s is a UUID in its canonical text form, else 0. */
int	 uuid_valid(const char *s);

/* A new random (version 4) UUID string into out[37]; 0 or -1. */
int	 uuid_new(char out[37]);
/* A time-ordered one (RFC 9562 version 7: Unix milliseconds, then
 * random), for keys written at a high rate: 0, or -1. */
int	 uuid_new_v7(char out[37]);

/* The directory of this executable (Linux /proc), new; NULL if unknown.
 * Installed data is found relative to it (hookpost.conf, sql/, docs/). */
char	*exe_dir(void);

/*
 * Reads fd to its end into a new NUL-terminated buffer (*out, *outlen
 * bytes without the NUL).  Returns 0, or -1 with errno set (EFBIG when
 * there is more than max bytes).
 */
int	 read_all(int fd, size_t max, char **out, size_t *outlen);

/*
 * s without its HTML tags, new (seed 003 stripHtmlTags: names and
 * descriptions are shown in pages): every "<...>" is removed, and a "<"
 * that opens a tag ("<a", "</", "<!", "<?") but is never closed takes
 * the rest of the text with it; a "<" that opens no tag ("a < b") stays.
 * Leading and trailing white space is trimmed from the result.
 */
char	*html_strip_new(const char *s);

/* Source, trigger and playbook names: [a-z0-9][a-z0-9._-]{0,63}. */
int	 name_valid(const char *);

#endif
