#include <stdio.h>

#include <libpq-fe.h>

#include "audit.h"
#include "db.h"
#include "req.h"

void
audit_refuse(struct req *r, const struct audit *a, int status,
    const char *code, const char *msg)
{
	static const char sql[] = "SELECT hookpost.request_log($1, $2, $3,"
	    " $4, $5, $6, 'rejected', $7, $8, $9, $10, NULL, NULL)";
	char		 st[8], ms[32];
	const char	*p[10];
	PGresult	*res;

	snprintf(st, sizeof(st), "%d", status);
	snprintf(ms, sizeof(ms), "%.3f", req_elapsed_ms(r));
	p[0] = a->kind;
	p[1] = a->name;
	p[2] = a->id;
	p[3] = a->remote;
	p[4] = r->user_agent;
	p[5] = st;
	p[6] = code;
	p[7] = ms;
	p[8] = a->body_sha;
	p[9] = a->body_size;
	if ((res = db_group("audit_refuse", sql, 10, p)) != NULL)
		PQclear(res);
	resp_error(r, status, code, "%s", msg);
}

void
audit_store_failed(struct req *r)
{
	resp_error(r, 503, "unavailable", "Database unavailable; the event "
	    "was not accepted, retry later");
}
