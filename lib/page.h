/*
 * page: opaque cursors for keyset pagination (ARCHITECTURE.md §3: a list is
 * {"data":[...],"next_cursor":...}, or for seed 000's /admin/ lists a bare
 * array with the next page in a Link header).  A cursor is the hex of the
 * last row's sort key, so it is URL-safe and never parsed as SQL.
 */
#ifndef HOOKPOST_PAGE_H
#define HOOKPOST_PAGE_H

#include <stddef.h>

#include <jansson.h>
#include "req.h"

/* What a list's cursor holds, checked before it reaches SQL. */
enum page_key {
	PAGE_KEY_TEXT,		/* $a: a text key (a name) */
	PAGE_KEY_ID,		/* $a: a bigint id, 1 or more */
	PAGE_KEY_ID0,		/* $a: a bigint id, 0 or more */
	PAGE_KEY_TIME_UUID,	/* $a, $b: a timestamp and a uuid */
	PAGE_KEY_PAIR,		/* $a, $b: unchecked; SQL refuses a bad one */
	/*
	 * $a: the cursor is the key itself, not hex: the sources list's
	 * format, older than this module and kept (a name; a cursor of
	 * PAGE_RAW_MAX bytes or more is ignored, as it always was).
	 */
	PAGE_KEY_RAW
};

#define PAGE_RAW_MAX		80

/* How a page is answered (ARCHITECTURE.md §3). */
enum page_form {
	/* {"data":[...],"next_cursor":"..."|null} */
	PAGE_FORM_ENVELOPE,
	/*
	 * [...], as seed 000's operations line reads it (jq '.[] | ...'),
	 * and, when a next page exists, an RFC 8288 header
	 * Link: <URL>; rel="next" (GitHub's form): the request's own URL
	 * under req_base_url_new(), every query parameter kept but cursor,
	 * which names the next page.
	 */
	PAGE_FORM_ARRAY
};

#define PAGE_FILTERS_MAX	8
/* In a struct page_list initializer: its filters from an array. */
#define PAGE_FILTERS(a)	.filters = (a), .nfilters = sizeof(a) / sizeof((a)[0])

/* A ?name= filter, passed to SQL as text (NULL when absent). */
struct page_filter {
	const char	*name;
	size_t		 size;	/* longest value + 1; a longer one is ignored */
};

/*
 * A list route (ARCHITECTURE.md §3): one statement whose parameters are the
 * caller's owner scope (if scoped), the filters in order, the cursor's
 * key ($a, and $b for two-part keys), then the limit; it returns rows of
 * (json text, key a, key b) ordered by the key (no key b for
 * PAGE_KEY_RAW).
 */
struct page_list {
	const char			*name;	/* prepared statement */
	const char			*sql;
	long long			 limit_default, limit_max;
	enum page_key			 key;
	enum page_form			 form;
	int				 scoped;	/* $1: auth_scope() */
	const struct page_filter	*filters;
	size_t				 nfilters;
	/*
	 * Optional: checks (and may clear) the filter parameters, p[0]
	 * being the first after the scope.  0, or -1 after answering.
	 */
	int				(*check)(struct req *, const char **p);
	/*
	 * Optional: a row's JSON text made presentable; a new reference,
	 * or NULL after answering (the list is then not sent).
	 */
	json_t				*(*row)(struct req *, const char *text);
	/*
	 * Optional, for a list whose answers predate this module and are
	 * kept: the message of its 400 for a bad ?limit=, and (when set)
	 * 503 for every failed statement instead of resp_db_error().
	 */
	const char			*limit_error;
	int				 db_error_503;
	/*
	 * Optional, PAGE_FORM_ENVELOPE: the rows' key when a seed names it
	 * (seed 003 {"deliveries": [...]}); NULL: "data".
	 */
	const char			*data_key;
};

/*
 * Answers GET of a list: ?limit= and ?cursor= (400 invalid_field), the
 * filters, the statement (resp_db_error), then the page in pl->form,
 * asking for one row more than the limit to know whether a next page is
 * due.
 */
void	 page_list(struct req *, const struct page_list *);
#endif
