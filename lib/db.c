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
#include "thr.h"
#include "util.h"

#define DB_MAX_PREPARED	128

static PGconn	*conn;
static char	*prepared[DB_MAX_PREPARED];
static size_t	 nprepared;
/* Per thread: each request's own statement's (lib/thr.h). */
static __thread char last_sqlstate[6];
static unsigned long generation;
/* The transaction state after the last statement that completed. */
static PGTransactionStatusType tx_seen = PQTRANS_IDLE;

/*
 * The group commit (db_group): the statements waiting, and whether a
 * thread has the connection for a group now (the others wait in
 * db_conn() until it is free again).
 */
struct db_item {
	const char		*name;
	const char		*sql;
	int			 nparams;
	const char *const	*params;
	PGresult		*res;
	char			 sqlstate[6];
	int			 ended;	/* the leader's: result final */
	int			 done;	/* under the lock: handed back */
	int			 tries;
	pthread_cond_t		*cond;	/* its thread's own (lib/thr.h) */
	struct db_item		*next;
};
static struct db_item	*group_head, **group_tail = &group_head;
static int		 group_busy;
static pthread_cond_t	 group_free = PTHREAD_COND_INITIALIZER;

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

	/* Another thread's group has the connection (db_group). */
	while (group_busy)
		thr_wait(&group_free);
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

/*
 * The group commit.  A statement that is a transaction of its own (the
 * receivers' one write) is queued; the first thread to find the
 * connection free takes what is queued (DB_GROUP_MAX at most) and runs
 * it as one pipeline, its statements followed by one Sync: one implicit
 * transaction, one round trip, one commit for all (pgbench, make bench's
 * server: eight alerts a commit write 3x the rows a second of one a
 * commit).  It lets go of the process lock meanwhile, so the other
 * threads read, verify and queue the next requests.  Each statement's
 * result is its own, given back only once the commit is known: a result
 * is never handed out from a transaction that did not commit.
 *
 * When a statement fails, PostgreSQL aborts the transaction: the failed
 * one gets its error, as db_exec would have given it, and the others
 * (rolled back or never run) go again without it.  A deadlock or
 * serialization failure (class 40) is the group's doing, not the
 * statement's: it goes again too, twice at most.  A connection lost
 * before the commit is known fails every statement of the group (08006):
 * like a lone statement in that case, whether it committed is unknown,
 * and it is not sent again (above).
 */
#define DB_GROUP_MAX	32
#define DB_GROUP_TRIES	3

/* An item's final result: res (NULL on failure) and the SQLSTATE. */
static void
db_item_end(struct db_item *it, PGresult *res)
{
	it->res = db_check(res);
	memcpy(it->sqlstate, last_sqlstate, sizeof(it->sqlstate));
	it->ended = 1;
}

static void
db_item_fail(struct db_item *it, const char *sqlstate)
{
	it->res = NULL;
	snprintf(it->sqlstate, sizeof(it->sqlstate), "%s", sqlstate);
	it->ended = 1;
}

static int
db_item_send(struct db_item *it)
{
	if (it->name == NULL)
		return PQsendQueryParams(conn, it->sql, it->nparams, NULL,
		    it->params, NULL, NULL, 0);
	return PQsendQueryPrepared(conn, it->name, it->nparams, it->params,
	    NULL, NULL, 0);
}

/*
 * One pipeline of the items of batch not done yet.  Returns the number
 * that are still not done (to go again), or -1 when the connection was
 * lost (the caller fails them).
 */
static int
db_pipeline(struct db_item *batch)
{
	struct db_item	*it, *failed = NULL;
	PGresult	*res, *more;
	ExecStatusType	 st;
	const char	*state;
	int		 left = 0;

	if (!PQenterPipelineMode(conn))
		return -1;
	for (it = batch; it != NULL; it = it->next)
		if (!it->ended && !db_item_send(it))
			goto lost;
	if (!PQpipelineSync(conn))
		goto lost;
	for (it = batch; it != NULL; it = it->next) {
		if (it->ended)
			continue;
		if ((res = PQgetResult(conn)) == NULL)
			goto lost;
		while ((more = PQgetResult(conn)) != NULL)
			PQclear(more);
		st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			it->res = res;		/* until the commit is known */
			continue;
		}
		if (st == PGRES_PIPELINE_ABORTED) {
			PQclear(res);
			continue;
		}
		if (PQstatus(conn) != CONNECTION_OK) {
			PQclear(res);
			goto lost;
		}
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state != NULL && strncmp(state, "40", 2) == 0 &&
		    ++it->tries < DB_GROUP_TRIES) {
			db_log(LOG_LVL_WARN, "group: going again: ",
			    PQresultErrorMessage(res));
			PQclear(res);
		} else
			db_item_end(it, res);
		failed = it;
	}
	/* The Sync's answer: the commit, or the error that ended it. */
	while ((res = PQgetResult(conn)) != NULL &&
	    (st = PQresultStatus(res)) != PGRES_PIPELINE_SYNC) {
		if (st == PGRES_FATAL_ERROR && failed == NULL) {
			/* The commit failed: nothing of the group holds. */
			state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			db_log(LOG_LVL_ERROR, "group commit: ",
			    PQresultErrorMessage(res));
			for (it = batch; it != NULL; it = it->next)
				if (!it->ended) {
					PQclear(it->res);
					db_item_fail(it, state != NULL ?
					    state : "XX000");
				}
		}
		PQclear(res);
	}
	if (res == NULL)
		goto lost;
	PQclear(res);
	if (!PQexitPipelineMode(conn))
		goto lost;
	tx_seen = PQtransactionStatus(conn);
	for (it = batch; it != NULL; it = it->next) {
		if (it->ended)
			continue;
		if (failed == NULL)
			db_item_end(it, it->res);
		else {
			/* Rolled back with the failed one: again. */
			PQclear(it->res);
			it->res = NULL;
			left++;
		}
	}
	return left;
lost:
	db_log(LOG_LVL_ERROR, "group: ", PQerrorMessage(conn));
	for (it = batch; it != NULL; it = it->next)
		if (!it->ended) {
			PQclear(it->res);
			it->res = NULL;
		}
	/*
	 * Never reused half-way through a pipeline; an implicit
	 * transaction, so no caller's transaction block is lost with it.
	 */
	db_close();
	return -1;
}

/*
 * Takes the queue's first DB_GROUP_MAX items and runs them; the caller
 * holds the process lock and the connection is free.
 */
static void
db_group_lead(const pthread_cond_t *self)
{
	struct db_item	*batch = group_head, *it, *last = NULL;
	int		 n = 0, left;

	for (it = batch; it != NULL && n < DB_GROUP_MAX; it = it->next, n++)
		last = it;
	group_head = last->next;
	last->next = NULL;
	if (group_head == NULL)
		group_tail = &group_head;
	for (it = batch; it != NULL; it = it->next)
		switch (db_prepare(it->name, it->sql, it->nparams)) {
		case -1:
			db_item_fail(it, last_sqlstate);
			break;
		case 0:
			it->name = NULL;	/* the table is full: unprepared */
			break;
		}

	group_busy = 1;
	thr_leave();
	for (;;) {
		for (n = 0, it = batch; it != NULL; it = it->next)
			n += !it->ended;
		if (n == 0)
			break;
		if (n == 1) {
			/* One alone needs no pipeline. */
			for (it = batch; it->ended; it = it->next)
				;
			db_item_end(it, it->name != NULL ?
			    PQexecPrepared(conn, it->name, it->nparams,
			    it->params, NULL, NULL, 0) : PQexecParams(conn,
			    it->sql, it->nparams, NULL, it->params, NULL, NULL,
			    0));
			continue;
		}
		if ((left = db_pipeline(batch)) == -1) {
			for (it = batch; it != NULL; it = it->next)
				if (!it->ended)
					db_item_fail(it, "08006");
			break;
		}
	}
	thr_enter();
	group_busy = 0;

	/* Each woken in turn, as the lock is let go; the leader goes on. */
	for (it = batch; it != NULL; it = it->next) {
		it->done = 1;
		if (it->cond != self)
			thr_pass(it->cond);
	}
	/* The next group's first at once, and anyone waiting to run alone. */
	if (group_head != NULL)
		pthread_cond_signal(group_head->cond);
	pthread_cond_broadcast(&group_free);
}

PGresult *
db_group(const char *name, const char *sql, int nparams,
    const char *const *params)
{
	/* Each thread's own, for ever (lib/thr.h thr_pass). */
	static __thread pthread_cond_t	 cond = PTHREAD_COND_INITIALIZER;
	struct db_item			 it;

	/* One thread, or inside the caller's own transaction: at once. */
	if (!thr_on() || tx_seen != PQTRANS_IDLE)
		return db_exec(name, sql, nparams, params);
	memset(&it, 0, sizeof(it));
	it.name = name;
	it.sql = sql;
	it.nparams = nparams;
	it.params = params;
	it.cond = &cond;
	*group_tail = &it;
	group_tail = &it.next;
	while (!it.done) {
		if (!group_busy)
			db_group_lead(&cond);
		else
			thr_wait(&cond);
	}
	thr_unpass(&cond);
	memcpy(last_sqlstate, it.sqlstate, sizeof(last_sqlstate));
	return it.res;
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
