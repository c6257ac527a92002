#include <stdlib.h>
#include <string.h>

#include "crypt.h"
#include "page.h"
#include "util.h"

char *
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

int
page_args(struct req *r, long long def, long long max, long long *limit,
    char **a, char **b)
{
	char		 lim[24], cur[512], raw[256], *bar;
	size_t		 n;

	*a = *b = NULL;
	*limit = def;
	if (req_query(r, "limit", lim, sizeof(lim)) != NULL &&
	    parse_int(lim, 1, max, limit) == -1) {
		resp_error(r, 400, "invalid_field", "limit must be an integer "
		    "from 1 to %lld", max);
		return -1;
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

void
page_answer(struct req *r, const PGresult *res, long long limit)
{
	json_t	*data, *row;
	char	*cursor = NULL;
	int	 i, n;

	data = json_array();
	n = PQntuples(res);
	for (i = 0; i < n && i < limit; i++) {
		if ((row = json_loads(PQgetvalue(res, i, 0), 0, NULL)) != NULL)
			json_array_append_new(data, row);
	}
	if (n > limit)
		cursor = page_cursor_new(PQgetvalue(res, (int)limit - 1, 1),
		    PQgetvalue(res, (int)limit - 1, 2));
	resp_list(r, data, cursor);
	free(cursor);
}
