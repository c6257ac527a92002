/*
 * The unit tests' one harness (STYLE 17, 18): check() prints "ok - name"
 * or "not ok - name" for one case and counts failures; check_done() ends
 * a test program, with "# N failed" when any did, and gives its exit
 * status (0 only when every case passed).  Included once, by the single
 * source file of each bin/test-*, so everything here is static.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static int	 check_failures;

static inline void	 check(int, const char *, ...)
			    __attribute__((format(printf, 2, 3)));

static inline void
check(int ok, const char *fmt, ...)
{
	va_list	 ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		check_failures++;
}

/* The exit status of a test program; says how many cases failed. */
static inline int
check_done(void)
{
	if (check_failures > 0)
		printf("# %d failed\n", check_failures);
	return check_failures > 0 ? 1 : 0;
}

/* Two C strings, either possibly NULL, are equal. */
static inline int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * A test data file (duplicate keys refused), or NULL after a failed
 * "load" case.  The caller frees it with json_decref().
 */
static inline json_t *
check_json_new(const char *path)
{
	json_error_t	 err;
	json_t		*v;

	if ((v = json_load_file(path, JSON_REJECT_DUPLICATES, &err)) == NULL)
		check(0, "load %s: %s (line %d)", path, err.text, err.line);
	return v;
}

#endif /* CHECK_H */
