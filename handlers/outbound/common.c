/* outbound: what the route files share. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "db.h"
#include "req.h"
#include "util.h"
#include "outbound.h"


/* 0 when the URL's :id is a UUID, else -1 after answering 404. */
int
id_check(struct req *r, const char *what)
{
	if (uuid_valid(r->params[0]))
		return 0;
	resp_error(r, 404, "not_found", "No such %s", what);
	return -1;
}

/*
 * Runs sql on the row the URL's :id names among those the caller may
 * see: $1 the id, $2 auth_scope().  Returns the result (the caller
 * frees it), or NULL after answering 404 "No such <what>" for an id
 * that is no UUID, or the database error.
 */
PGresult *
owned_exec(struct req *r, const char *what, const char *name,
    const char *sql)
{
	const char	*p[2];
	PGresult	*res;

	if (id_check(r, what) == -1)
		return NULL;
	p[0] = r->params[0];
	p[1] = auth_scope(r);
	if ((res = db_exec(name, sql, 2, p)) == NULL)
		resp_db_error(r);
	return res;
}

/* GET of an owned row: 200 {row}, or 404 "No such <what>". */
void
owned_answer(struct req *r, const char *what, const char *name,
    const char *sql)
{
	PGresult	*res;

	if ((res = owned_exec(r, what, name, sql)) == NULL)
		return;
	resp_row(r, 200, res, what);
	PQclear(res);
}

/* A JSON value as compact text for a query parameter; caller frees. */
char *
json_param_new(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return NULL;
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}
