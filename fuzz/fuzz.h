/*
 * fuzz: what the libFuzzer harnesses (fuzz/<name>.c) share.
 *
 * The input scheme of a harness that takes several strings: its first
 * fields are the input's first lines (up to each "\n", which is not
 * part of the field) and its last field, the body, is all the rest,
 * newlines and NULs included.  A field read past the end is "".  Every
 * field is a new NUL-terminated copy, so that ASan sees a read past its
 * end; the harness frees it.
 */
#ifndef HOOKPOST_FUZZ_H
#define HOOKPOST_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "log.h"
#include "util.h"

struct fuzz_in {
	const uint8_t	*p;
	size_t		 n;
};

/* The next line of in, without its "\n". */
static inline char *
fuzz_line(struct fuzz_in *in)
{
	const uint8_t	*nl;
	size_t		 len;
	char		*s;

	nl = memchr(in->p, '\n', in->n);
	len = nl != NULL ? (size_t)(nl - in->p) : in->n;
	s = xstrndup((const char *)in->p, len);
	in->p += nl != NULL ? len + 1 : len;
	in->n -= nl != NULL ? len + 1 : len;
	return s;
}

/* The rest of in (its length in *len: it may hold NULs). */
static inline char *
fuzz_rest(struct fuzz_in *in, size_t *len)
{
	char	*s;

	s = xmalloc(in->n + 1);
	memcpy(s, in->p, in->n);
	s[in->n] = '\0';
	*len = in->n;
	in->p += in->n;
	in->n = 0;
	return s;
}

/* 1 when s is well-formed UTF-8 (what jansson and PostgreSQL take). */
static inline int
fuzz_utf8_ok(const char *s)
{
	size_t	 n = strlen(s), k;

	for (; n > 0; s += k, n -= k)
		if ((k = utf8_seq_len((const unsigned char *)s, n)) == 0)
			return 0;
	return 1;
}

/* The configuration's defaults, and the log sent nowhere: once. */
static inline void
fuzz_setup(void)
{
	static int	 done;

	if (done)
		return;
	done = 1;
	setenv("HOOKPOST_CONFIG", "/dev/null", 1);
	cfg_load();
	log_set_file("/dev/null");
}

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
