#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "crypt.h"
#include "db.h"
#include "page.h"
#include "util.h"

/* A new cursor for (a, b); caller frees. */
static char *
page_cursor_new(const char *a, const char *b)
{
	char	*raw, *hex;
	size_t	 n;

	raw = xasprintf("%s|%s", a, b ? b : "");
	n = strlen(raw);
	hex = xmalloc(2 * n + 1);
	crypt_hex((unsigned char *)raw, n, hex);
	free(raw);
	return hex;
}

/*
 * Reads ?cursor= into *a and *b (new strings the caller frees; both NULL
 * when absent, *b NULL for PAGE_KEY_RAW) and ?limit= into *limit.
 * Returns 0, or -1 after answering 400 invalid_field.
 */
static int
page_args(struct req *r, const struct page_list *pl, long long *limit,
    char **a, char **b)
{
	char		 lim[24], cur[512], raw[256], *bar;
	size_t		 n;

	*a = *b = NULL;
	*limit = pl->limit_default;
	if (req_query(r, "limit", lim, sizeof(lim)) != NULL &&
	    parse_int(lim, 1, pl->limit_max, limit) == -1) {
		if (pl->limit_error != NULL)
			resp_error(r, 400, "invalid_field", "%s",
			    pl->limit_error);
		else
			resp_error(r, 400, "invalid_field", "limit must be an "
			    "integer from 1 to %lld", pl->limit_max);
		return -1;
	}
	if (pl->key == PAGE_KEY_RAW) {
		if (req_query(r, "cursor", cur, PAGE_RAW_MAX) != NULL)
			*a = xstrdup(cur);
		return 0;
	}
	if (req_query(r, "cursor", cur, sizeof(cur)) == NULL)
		return 0;
	n = strlen(cur) / 2;
	if (n == 0 || n >= sizeof(raw) ||
	    crypt_unhex(cur, strlen(cur), (unsigned char *)raw, n) == -1 ||
	    memchr(raw, '\0', n) != NULL) {
		resp_error(r, 400, "invalid_field", "cursor is not valid");
		return -1;
	}
	raw[n] = '\0';
	if ((bar = strchr(raw, '|')) == NULL) {
		resp_error(r, 400, "invalid_field", "cursor is not valid");
		return -1;
	}
	*bar = '\0';
	*a = xstrdup(raw);
	*b = xstrdup(bar + 1);
	return 0;
}

/*
 * Answers a list from res, whose rows are (json text, key a, key b) and
 * which was asked for limit + 1 rows: the extra row means a next page.
 * Rows are made presentable by pl->row() when it is given.
 */
static void
answer(struct req *r, const PGresult *res, long long limit,
    const struct page_list *pl)
{
	json_t	*data, *j;
	char	*cursor = NULL;
	int	 i, n;

	data = json_array();
	n = PQntuples(res);
	for (i = 0; i < n && i < limit; i++) {
		if (pl->row != NULL) {
			if ((j = pl->row(r, PQgetvalue(res, i, 0))) == NULL) {
				json_decref(data);
				return;
			}
		} else if ((j = json_loads(PQgetvalue(res, i, 0), 0,
		    NULL)) == NULL)
			continue;
		json_array_append_new(data, j);
	}
	if (n > limit && pl->key == PAGE_KEY_RAW)
		cursor = xstrdup(PQgetvalue(res, (int)limit - 1, 1));
	else if (n > limit)
		cursor = page_cursor_new(PQgetvalue(res, (int)limit - 1, 1),
		    PQgetvalue(res, (int)limit - 1, 2));
	resp_list(r, data, cursor);
	free(cursor);
}

/* 1 when the cursor's parts fit the key's kind (absent parts do). */
static int
key_valid(enum page_key key, const char *a, const char *b)
{
	long long	 id;

	switch (key) {
	case PAGE_KEY_ID:
		return a == NULL || parse_int(a, 1, (1LL << 62), &id) == 0;
	case PAGE_KEY_ID0:
		return a == NULL || parse_int(a, 0, (1LL << 62), &id) == 0;
	case PAGE_KEY_TIME_UUID:
		return b == NULL || uuid_valid(b);
	case PAGE_KEY_TEXT:
	case PAGE_KEY_PAIR:
	case PAGE_KEY_RAW:
		break;
	}
	return 1;
}

void
page_list(struct req *r, const struct page_list *pl)
{
	char		 vals[PAGE_FILTERS_MAX][256], lim[24];
	char		*ca = NULL, *cb = NULL;
	const char	*p[PAGE_FILTERS_MAX + 4];
	long long	 limit;
	size_t		 i, n = 0;
	PGresult	*res = NULL;

	if (page_args(r, pl, &limit, &ca, &cb) == -1)
		goto out;
	if (!key_valid(pl->key, ca, cb)) {
		resp_error(r, 400, "invalid_field", "cursor is not valid");
		goto out;
	}
	if (pl->scoped)
		p[n++] = auth_scope(r);
	for (i = 0; i < pl->nfilters && i < PAGE_FILTERS_MAX; i++)
		p[n++] = req_query(r, pl->filters[i].name, vals[i],
		    pl->filters[i].size < sizeof(vals[i]) ?
		    pl->filters[i].size : sizeof(vals[i]));
	if (pl->check != NULL && pl->check(r, p + (pl->scoped ? 1 : 0)) == -1)
		goto out;
	p[n++] = ca;
	if (pl->key == PAGE_KEY_TIME_UUID || pl->key == PAGE_KEY_PAIR)
		p[n++] = cb;
	snprintf(lim, sizeof(lim), "%lld", limit + 1);
	p[n++] = lim;
	if ((res = db_exec(pl->name, pl->sql, (int)n, p)) == NULL) {
		if (pl->db_error_503)
			resp_error(r, 503, "unavailable", "Database unavailable");
		else
			resp_db_error(r);
		goto out;
	}
	answer(r, res, limit, pl);
out:
	PQclear(res);
	free(ca);
	free(cb);
}
