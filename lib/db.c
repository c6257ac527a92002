/*
 * One connection per process (ARCHITECTURE.md §1).
 *
 * A connection can die while the process has nothing to do: a database
 * restart, a failover, an idle timeout.  libpq only notices when it next
 * reads, so the first statement afterwards would fail although the
 * database is healthy again.  db_conn() therefore looks at an idle
 * connection before every statement (db_idle_alive(): a closed socket is
 * readable) and reconnects when it is gone.  That is the only place a
 * statement is "retried": it was never sent.  Once a statement has been
 * handed to libpq it is never sent again, whatever happens: libpq may have
 * written some or all of it before the connection broke, and the server
 * may have run it (a non-idempotent write would then happen twice).  The
 * one exception is PREPARE, which changes no data: a connection found
 * broken by it is replaced and the statement, not yet sent, goes to the
 * new one.  A connection lost inside a transaction block is never
 * replaced silently: the statements before it are gone, so the statement
 * that finds it fails, and the caller's rollback ends the transaction.
 */
#include <poll.h>
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
/* The transaction state after the last statement that completed. */
static PGTransactionStatusType tx_seen = PQTRANS_IDLE;

/*
 * libpq's messages end in a newline and may hold several lines (DETAIL,
 * HINT): log them as one line (lib/log.h).
 */
static void
db_log(enum log_level level, const char *what, const char *msg)
{
	char	 line[768];
	size_t	 i, n;

	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	for (i = 0; i < n; i++)
		line[i] = msg[i] == '\n' || msg[i] == '\t' ? ' ' : msg[i];
	line[n] = '\0';
	log_msg(level, "database: %s%s", what, line);
}

static void
db_set_lost(void)
{
	snprintf(last_sqlstate, sizeof(last_sqlstate), "08006");
}

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
	tx_seen = PQTRANS_IDLE;
	db_forget_prepared();
}

/*
 * An idle connection (no statement in flight) is still open: 1, or 0 when
 * the server closed it meanwhile.  A closed socket polls readable (the
 * server's last message, "terminating connection due to administrator
 * command", then end of file), and PQconsumeInput() then marks the
 * connection bad.  Anything else readable (a NOTIFY) stays queued in
 * libpq for PQnotifies().  One poll(2) with no wait: cheap beside a
 * round trip.
 */
static int
db_idle_alive(void)
{
	struct pollfd	 pfd;
	int		 i;

	memset(&pfd, 0, sizeof(pfd));
	if ((pfd.fd = PQsocket(conn)) < 0)
		return 0;
	pfd.events = POLLIN;
	/* Bounded: a stream of NOTIFYs must not keep us here. */
	for (i = 0; i < 8 && poll(&pfd, 1, 0) > 0; i++)
		if (!PQconsumeInput(conn) || PQstatus(conn) != CONNECTION_OK)
			return 0;
	return PQstatus(conn) == CONNECTION_OK;
}

PGconn *
db_conn(void)
{
	PGTransactionStatusType	 was;
	const char		*msg;

	if (conn != NULL) {
		/* A statement in flight (db_send) is not ours to judge. */
		if (PQtransactionStatus(conn) == PQTRANS_ACTIVE)
			return conn;
		if (PQstatus(conn) == CONNECTION_OK) {
			if (db_idle_alive())
				return conn;
			if (*(msg = PQerrorMessage(conn)) == '\0')
				msg = "end of file";
			log_warn("database: connection closed while idle (%.*s)",
			    (int)strcspn(msg, "\n"), msg);
		}
		/* Else the statement that broke it said so already. */
		was = tx_seen;
		db_close();
		if (was != PQTRANS_IDLE) {
			/* Its transaction is gone: fail, never go on in a
			 * new session as if the earlier statements held. */
			log_error("database: the connection was lost inside "
			    "a transaction");
			db_set_lost();
			return NULL;
		}
	}
	conn = PQconnectdb(cfg.database_url);
	if (PQstatus(conn) != CONNECTION_OK) {
		db_log(LOG_LVL_ERROR, "", PQerrorMessage(conn));
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

	if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
		tx_seen = PQtransactionStatus(conn);
	st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		last_sqlstate[0] = '\0';
		return res;
	}
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	strncpy(last_sqlstate, state ? state : "", sizeof(last_sqlstate) - 1);
	last_sqlstate[sizeof(last_sqlstate) - 1] = '\0';
	if (state == NULL && conn != NULL && PQstatus(conn) != CONNECTION_OK)
		db_set_lost();
	/* 23505 and P0001 are expected outcomes the caller maps; keep them quiet. */
	if (state == NULL || (strcmp(state, "23505") != 0 &&
	    strcmp(state, "P0001") != 0))
		db_log(LOG_LVL_ERROR, "", PQresultErrorMessage(res));
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
	int		 tries;

	for (tries = 0; tries < 2; tries++) {
		if (db_conn() == NULL) {
			db_set_lost();
			return -1;
		}
		if (db_is_prepared(name))
			return 1;
		if (nprepared == DB_MAX_PREPARED)
			return 0;
		res = PQprepare(conn, name, sql, nparams, NULL);
		/*
		 * PREPARE writes nothing: when it finds the connection
		 * broken (outside a transaction block), db_conn() makes a
		 * new one and it goes again, the statement still unsent.
		 */
		if (tries == 0 && tx_seen == PQTRANS_IDLE &&
		    PQstatus(conn) != CONNECTION_OK) {
			PQclear(res);
			continue;
		}
		if ((res = db_check(res)) == NULL)
			return -1;
		PQclear(res);
		prepared[nprepared++] = xstrdup(name);
		return 1;
	}
	return -1;
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
		db_set_lost();
		db_log(LOG_LVL_ERROR, "", PQerrorMessage(conn));
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
		db_set_lost();
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

	/*
	 * Whatever an earlier request left open is abandoned here anyway,
	 * so a connection lost with it may be replaced.
	 */
	tx_seen = PQTRANS_IDLE;
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
	/* A broken connection took its transaction with it. */
	if (conn != NULL && PQstatus(conn) == CONNECTION_OK &&
	    PQtransactionStatus(conn) != PQTRANS_IDLE)
		(void)db_command("ROLLBACK");
	else if (conn != NULL && PQstatus(conn) != CONNECTION_OK)
		db_close();
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

char *
db_dup(const PGresult *res, int row, int col)
{
	const char	*v = db_get(res, row, col);

	return v != NULL ? xstrdup(v) : NULL;
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
	/* db_conn() may have read one already (db_idle_alive()). */
	while ((n = PQnotifies(c)) != NULL) {
		got = 1;
		PQfreemem(n);
	}
	if (got)
		return 1;
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
