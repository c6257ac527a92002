/*
 * page: opaque cursors for keyset pagination (DESIGN.md §3: a list is
 * {"data":[...],"next_cursor":...}).  A cursor is the hex of the last
 * row's sort key, so it is URL-safe and never parsed as SQL.
 */
#ifndef HOOKPOST_PAGE_H
#define HOOKPOST_PAGE_H

#include <stddef.h>

#include <libpq-fe.h>

#include "req.h"

/* A new cursor for (a, b); caller frees. */
char	*page_cursor_new(const char *a, const char *b);
/*
 * Reads ?cursor= into *a and *b (new strings the caller frees; both NULL
 * when absent) and ?limit= into *limit (default def, at most max).
 * Returns 0, or -1 after answering 400 invalid_field.
 */
int	 page_args(struct req *, long long def, long long max,
	    long long *limit, char **a, char **b);



/*
 * Answers a list from res, whose rows are (json text, key a, key b) and
 * which was asked for limit + 1 rows: the extra row means a next page.
 */
void	 page_answer(struct req *, const PGresult *res, long long limit);
#endif
