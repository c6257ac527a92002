/* outbound: what the route files share. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypt.h"
#include "db.h"
#include "req.h"
#include "util.h"
#include "outbound.h"

/* Owner ids are opaque, but printable and bounded: they reach URLs and logs. */
int
owner_valid(const char *s)
{
	size_t	 n;

	if (s == NULL || (n = strlen(s)) == 0 || n > OWNER_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || *s == 0x7f)
			return 0;
	return 1;
}


/* Answers the JSON text in column 0 of row 0, or 404 naming `what`. */
void
answer_row(struct req *r, int status, const PGresult *res, const char *what)
{
	json_t	*j;

	if (PQntuples(res) == 0) {
		resp_error(r, 404, "not_found", "No such %s", what);
		return;
	}
	if ((j = json_loads(PQgetvalue(res, 0, 0), 0, NULL)) == NULL) {
		resp_error(r, 500, "internal", "Malformed row");
		return;
	}
	resp_json(r, status, j);
}

void
answer_deleted(struct req *r, PGresult *res, const char *what)
{
	if (strcmp(PQcmdTuples(res), "0") == 0)
		resp_error(r, 404, "not_found", "No such %s", what);
	else
		resp_send(r, 204, "application/json", NULL, "", 0);
}

/* A JSON value as compact text for a query parameter; caller frees. */
char *
json_param_new(const json_t *v)
{
	if (v == NULL || json_is_null(v))
		return NULL;
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* A transaction on this process's connection (several statements). */
int
tx_begin(void)
{
	PGconn	*c;

	if ((c = db_conn()) == NULL)
		return -1;
	if (PQtransactionStatus(c) != PQTRANS_IDLE)
		(void)db_command("ROLLBACK");
	return db_command("BEGIN");
}

/* Ends a transaction that is still open: the connection is reused. */
void
tx_abort(void)
{
	PGconn	*c;

	if ((c = db_conn()) != NULL && PQtransactionStatus(c) != PQTRANS_IDLE)
		(void)db_command("ROLLBACK");
}

/* A generated signing secret (DESIGN.md §3): whsec_ + base64(24 bytes). */
char *
secret_generate_new(void)
{
	unsigned char	 rnd[24];
	char		*b64, *s;

	if (crypt_random(rnd, sizeof(rnd)) == -1)
		return NULL;
	b64 = crypt_b64_new(rnd, sizeof(rnd));
	explicit_bzero(rnd, sizeof(rnd));
	s = xasprintf("whsec_%s", b64);
	explicit_bzero(b64, strlen(b64));
	free(b64);
	return s;
}

void
secret_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}
