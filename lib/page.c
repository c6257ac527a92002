#include <ctype.h>
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
 * What stands as it is in the URL of a Link header (RFC 3986 2.2, 2.3,
 * 3.3, 3.4); any other byte is escaped, a "%" too unless it begins an
 * escape.  So what the client sent raw (a space, '"', '<', '>', ',',
 * non-ASCII) can end neither the <...> nor the header.
 */
#define URL_UNRESERVED	"-._~"
#define URL_QUERY	URL_UNRESERVED "!$&'()*+=:@/?"	/* path and query */
#define URL_BASE	URL_QUERY ",;[]"	/* the configured base */

/* Appends s[0..n) to b, escaping the bytes not in keep (nor alphanumeric). */
static void
url_append(struct buf *b, const char *s, size_t n, const char *keep)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p = (const unsigned char *)s;
	char			 enc[3];
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (p[i] != '\0' && (isalnum(p[i]) ||
		    strchr(keep, p[i]) != NULL || (p[i] == '%' && i + 2 < n &&
		    isxdigit(p[i + 1]) && isxdigit(p[i + 2])))) {
			buf_append(b, &p[i], 1);
			continue;
		}
		enc[0] = '%';
		enc[1] = hex[p[i] >> 4];
		enc[2] = hex[p[i] & 0xf];
		buf_append(b, enc, 3);
	}
}

/*
 * The URL of the next page (PAGE_FORM_ARRAY): this request's, every
 * query parameter kept in its order but ?cursor=, which is the new
 * cursor, last.  A new string.
 */
static char *
page_next_url_new(const struct req *r, const char *cursor)
{
	struct buf	 b = { NULL, 0, 0 };
	const char	*p, *amp;
	char		*base;
	size_t		 n;

	base = req_base_url_new(r);
	url_append(&b, base, strlen(base), URL_BASE);
	url_append(&b, r->path, strlen(r->path), URL_QUERY);
	buf_append(&b, "?", 1);
	for (p = r->query; *p != '\0'; p = amp != NULL ? amp + 1 : p + n) {
		amp = strchr(p, '&');
		n = amp != NULL ? (size_t)(amp - p) : strlen(p);
		if (n == 0 || (n >= 6 && strncmp(p, "cursor", 6) == 0 &&
		    (n == 6 || p[6] == '=')))
			continue;
		url_append(&b, p, n, URL_QUERY);
		buf_append(&b, "&", 1);
	}
	buf_append(&b, "cursor=", 7);
	url_append(&b, cursor, strlen(cursor), URL_UNRESERVED);
	free(base);
	return b.data;
}

/* A page as a bare array, and the Link to the next one if any. */
static void
answer_array(struct req *r, json_t *data, const char *cursor)
{
	char	*body, *url = NULL, *link = NULL;

	body = json_dumps(data, JSON_COMPACT);
	json_decref(data);
	if (body == NULL) {
		resp_error(r, 500, "internal", "Internal error");
		return;
	}
	if (cursor != NULL) {
		url = page_next_url_new(r, cursor);
		link = xasprintf("Link: <%s>; rel=\"next\"\r\n", url);
	}
	resp_send(r, 200, "application/json", link, body, strlen(body));
	free(link);
	free(url);
	free(body);
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
	if (pl->form == PAGE_FORM_ARRAY)
		answer_array(r, data, cursor);
	else if (pl->data_key != NULL)
		resp_json(r, 200, json_pack("{s:o,s:s?}", pl->data_key, data,
		    "next_cursor", cursor));
	else
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
