#include <stdio.h>
#include <sys/select.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "util.h"

#define DB_MAX_PREPARED	128

static PGconn	*conn;
static char	*prepared[DB_MAX_PREPARED];
static size_t	 nprepared;
static char	 last_sqlstate[6];
static unsigned long generation;

static void
db_forget_prepared(void)
{
	size_t	 i;

	for (i = 0; i < nprepared; i++)
		free(prepared[i]);
	nprepared = 0;
}

void
db_close(void)
{
	if (conn != NULL)
		PQfinish(conn);
	conn = NULL;
	db_forget_prepared();
}

PGconn *
db_conn(void)
{
	if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
		return conn;
	db_close();
	conn = PQconnectdb(cfg.database_url);
	if (PQstatus(conn) != CONNECTION_OK) {
		log_error("database: %s", PQerrorMessage(conn));
		db_close();
		return NULL;
	}
	generation++;
	return conn;
}

PGconn *
db_current(void)
{
	return conn;
}

unsigned long
db_generation(void)
{
	return generation;
}

static PGresult *
db_check(PGresult *res)
{
	ExecStatusType	 st;
	const char	*state;

	st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		last_sqlstate[0] = '\0';
		return res;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	strncpy(last_sqlstate, state ? state : "", sizeof(last_sqlstate) - 1);
	last_sqlstate[sizeof(last_sqlstate) - 1] = '\0';
	/* 23505 and P0001 are expected outcomes the caller maps; keep them quiet. */
	if (state == NULL || (strcmp(state, "23505") != 0 &&
	    strcmp(state, "P0001") != 0))
		log_error("database: %s", conn ? PQerrorMessage(conn) :
		    PQresultErrorMessage(res));
	PQclear(res);
	return NULL;
}

static int
db_is_prepared(const char *name)
{
	size_t	 i;

	for (i = 0; i < nprepared; i++)
		if (strcmp(prepared[i], name) == 0)
			return 1;
	return 0;
}

/*
 * Connects and prepares `sql` as `name` unless done on this connection:
 * 1 when prepared, 0 when the table of names is full (run it unprepared),
 * -1 on failure.
 */
static int
db_prepare(const char *name, const char *sql, int nparams)
{
	PGresult	*res;

	if (db_conn() == NULL) {
		snprintf(last_sqlstate, sizeof(last_sqlstate), "08006");
		return -1;
	}
	if (db_is_prepared(name))
		return 1;
	if (nprepared == DB_MAX_PREPARED)
		return 0;
	res = PQprepare(conn, name, sql, nparams, NULL);
	if ((res = db_check(res)) == NULL)
		return -1;
	PQclear(res);
	prepared[nprepared++] = xstrdup(name);
	return 1;
}

PGresult *
db_exec(const char *name, const char *sql, int nparams,
    const char *const *params)
{
	switch (db_prepare(name, sql, nparams)) {
	case -1:
		return NULL;
	case 0:
		return db_exec_once(sql, nparams, params);
	}
	return db_check(PQexecPrepared(conn, name, nparams, params, NULL,
	    NULL, 0));
}

int
db_send(const char *name, const char *sql, int nparams,
    const char *const *params)
{
	int	 ok;

	switch (db_prepare(name, sql, nparams)) {
	case -1:
		return -1;
	case 0:
		ok = PQsendQueryParams(conn, sql, nparams, NULL, params, NULL,
		    NULL, 0);
		break;
	default:
		ok = PQsendQueryPrepared(conn, name, nparams, params, NULL,
		    NULL, 0);
	}
	if (!ok) {
		snprintf(last_sqlstate, sizeof(last_sqlstate), "08006");
		log_error("database: %s", PQerrorMessage(conn));
		return -1;
	}
	return 0;
}

int
db_pending(void)
{
	if (conn == NULL || !PQconsumeInput(conn))
		return -1;
	return PQisBusy(conn) ? 1 : 0;
}

PGresult *
db_receive(void)
{
	PGresult	*res, *more;

	if (conn == NULL)
		return NULL;
	if ((res = PQgetResult(conn)) == NULL) {
		log_error("database: no statement in flight");
		return NULL;
	}
	while ((more = PQgetResult(conn)) != NULL)
		PQclear(more);
	return db_check(res);
}

PGresult *
db_exec_once(const char *sql, int nparams, const char *const *params)
{
	if (db_conn() == NULL) {
		snprintf(last_sqlstate, sizeof(last_sqlstate), "08006");
		return NULL;
	}
	return db_check(PQexecParams(conn, sql, nparams, NULL, params, NULL,
	    NULL, 0));
}

int
db_command(const char *sql)
{
	PGresult	*res;

	if ((res = db_exec_once(sql, 0, NULL)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int
db_tx_begin(void)
{
	PGconn	*c;

	if ((c = db_conn()) == NULL)
		return -1;
	/* A request that failed half-way must not leave its work open. */
	if (PQtransactionStatus(c) != PQTRANS_IDLE)
		(void)db_command("ROLLBACK");
	return db_command("BEGIN");
}

int
db_tx_commit(void)
{
	return db_command("COMMIT");
}

void
db_tx_abort(void)
{
	PGconn	*c;

	if ((c = db_conn()) != NULL && PQtransactionStatus(c) != PQTRANS_IDLE)
		(void)db_command("ROLLBACK");
}

const char *
db_last_sqlstate(void)
{
	return last_sqlstate;
}

const char *
db_get(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

int
db_wait_notify(long ms)
{
	PGconn		*c;
	PGnotify	*n;
	struct timeval	 tv;
	fd_set		 fds;
	int		 fd, got = 0;

	if ((c = db_conn()) == NULL || (fd = PQsocket(c)) < 0) {
		usleep((useconds_t)ms * 1000);
		return 0;
	}
	FD_ZERO(&fds);
	FD_SET(fd, &fds);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (select(fd + 1, &fds, NULL, NULL, &tv) > 0)
		PQconsumeInput(c);
	while ((n = PQnotifies(c)) != NULL) {
		got = 1;
		PQfreemem(n);
	}
	return got;
}
