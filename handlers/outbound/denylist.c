/* outbound: the URL deny list, /admin/webhooks/deny-list[/:id] (admin). */
#include <sys/types.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "page.h"
#include "req.h"
#include "util.h"
#include "valid.h"
#include "outbound.h"

#define DENY_JSON \
	"json_build_object('id', l.id, 'pattern', l.pattern," \
	" 'pattern_type', l.pattern_type, 'description', l.description," \
	" 'created_at', l.created_at)"

static const char *const pattern_types[] = { "glob", "regex", NULL };

static const struct vfield deny_fields[] = {
	{ "pattern", V_STRING, 1, 1, 512, NULL, 0 },
	{ "pattern_type", V_ENUM, 0, 0, 0, pattern_types, 0 },
	{ "description", V_STRING, 0, 0, 1024, NULL, 0 },
};

/* Its cursor has always taken id 0 ("from the start"). */
const struct page_list deny_list = {
	.name = "deny_list",
	.sql = "SELECT " DENY_JSON "::text, l.id::text, ''"
	    " FROM hookpost.webhook_url_deny_list l"
	    " WHERE ($1::bigint IS NULL OR l.id > $1::bigint)"
	    " ORDER BY l.id LIMIT $2",
	.limit_default = 100, .limit_max = 1000,
	.key = PAGE_KEY_ID0,
	.form = PAGE_FORM_ARRAY,	/* as every /admin/ list */
};

void
deny_create(struct req *r)
{
	static const char sql[] = "INSERT INTO hookpost.webhook_url_deny_list"
	    " AS l (pattern, pattern_type, description)"
	    " VALUES ($1, coalesce($2, 'glob'), coalesce($3, ''))"
	    " RETURNING " DENY_JSON "::text";
	json_t		*body = NULL;
	const char	*pattern, *type, *p[3];
	char		 err[128];
	PGresult	*res = NULL;
	regex_t		 re;
	int		 rc;

	if ((body = valid_body_new(r, VFIELDS(deny_fields))) == NULL)
		goto out;
	pattern = json_string_value(json_object_get(body, "pattern"));
	type = json_string_value(json_object_get(body, "pattern_type"));
	/* urlguard matches regex entries as POSIX ERE, case-insensitive. */
	if (type != NULL && strcmp(type, "regex") == 0) {
		if ((rc = regcomp(&re, pattern, REG_EXTENDED | REG_ICASE |
		    REG_NOSUB)) != 0) {
			regerror(rc, &re, err, sizeof(err));
			resp_error(r, 400, "invalid_field", "Field 'pattern' "
			    "is not a valid extended regular expression: %s",
			    err);
			goto out;
		}
		regfree(&re);
	}
	p[0] = pattern;
	p[1] = type;
	p[2] = json_string_value(json_object_get(body, "description"));
	if ((res = db_exec("deny_create", sql, 3, p)) == NULL) {
		resp_db_conflict(r, "That pattern is already on the deny "
		    "list");
		goto out;
	}
	resp_row(r, 201, res, "deny-list entry");
out:
	PQclear(res);
	json_decref(body);
}

void
deny_delete(struct req *r)
{
	static const char sql[] = "DELETE FROM hookpost.webhook_url_deny_list"
	    " WHERE id = $1::bigint";
	const char	*p[1];
	long long	 id;
	PGresult	*res;

	if (parse_int(r->params[0], 1, (1LL << 62), &id) == -1) {
		resp_error(r, 404, "not_found", "No such deny-list entry");
		return;
	}
	p[0] = r->params[0];
	if ((res = db_exec("deny_delete", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	resp_deleted(r, res, "deny-list entry");
	PQclear(res);
}
