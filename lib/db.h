/*
 * db: one persistent PostgreSQL connection per process, opened lazily,
 * reset when it breaks, with statements prepared once per connection
 * (ARCHITECTURE.md §1).  SQL only with parameters (STYLE 12).
 */
#ifndef HOOKPOST_DB_H
#define HOOKPOST_DB_H

#include <libpq-fe.h>

/*
 * The connection, (re)connecting as needed: one that the server closed
 * while it was idle (a database restart) is replaced before anything is
 * sent on it, so no statement fails for it; a statement already sent is
 * never sent again (lib/db.c says why).  NULL if the database is
 * unreachable (logged), and once, with SQLSTATE 08006, when the
 * connection was lost inside a transaction block.
 */
PGconn		*db_conn(void);
void		 db_close(void);
/* The connection as it is, never (re)connecting: NULL if none. */
PGconn		*db_current(void);
/* Counts connections made: a new value means a new session (its LISTENs
 * and prepared statements gone). */
unsigned long	 db_generation(void);

/*
 * Runs the statement `sql` prepared under `name` on this connection with
 * text parameters (NULL is SQL NULL).  Returns the result, which the
 * caller frees with PQclear, when it is PGRES_TUPLES_OK or
 * PGRES_COMMAND_OK; otherwise NULL (logged, with the SQLSTATE kept for
 * db_last_sqlstate()).
 */
PGresult	*db_exec(const char *name, const char *sql, int nparams,
		    const char *const *params);
/*
 * db_exec for a statement that is a transaction of its own (never inside
 * the caller's transaction block), made together with those the
 * process's other threads make at the same moment: one pipeline, one
 * commit for all (lib/db.c, the group commit; lib/thr.h).  The result is
 * this statement's own, given back once the commit is known, with
 * db_last_sqlstate() set as db_exec sets it.  In a single-threaded
 * process, and inside a transaction block, it is db_exec.
 */
PGresult	*db_group(const char *name, const char *sql, int nparams,
		    const char *const *params);
/* Same, unprepared, for one-off and DDL statements. */
PGresult	*db_exec_once(const char *sql, int nparams,
		    const char *const *params);
/*
 * The same, without waiting: one statement in flight on the connection at
 * a time, for a process that has other work meanwhile (hookpost-deliver).
 * db_send starts the prepared statement: 0, or -1 (logged).  db_pending
 * reads what has arrived: 1 while the statement runs, 0 once its result
 * is ready, -1 if the connection broke.  db_receive returns that result
 * as db_exec would, waiting for it if need be.
 */
int		 db_send(const char *name, const char *sql, int nparams,
		    const char *const *params);
int		 db_pending(void);
PGresult	*db_receive(void);
/* Runs a statement and discards its result: 0 or -1. */
int		 db_command(const char *sql);
/*
 * One transaction of several statements on the connection.  db_tx_begin
 * rolls back what an earlier request left open, then begins: 0, or -1
 * (logged).  db_tx_commit: 0 or -1.  db_tx_abort rolls back a
 * transaction still open, so the connection can be reused; it does
 * nothing when none is.
 */
int		 db_tx_begin(void);
int		 db_tx_commit(void);
void		 db_tx_abort(void);
/* The SQLSTATE of the last failed db_exec, "" if none. */
const char	*db_last_sqlstate(void);

/*
 * Waits up to ms for a NOTIFY on the connection (after LISTEN), consuming
 * any that arrived.  Returns 1 when one did, else 0.
 */
int		 db_wait_notify(long ms);

/* Field accessors: NULL for SQL NULL. */
const char	*db_get(const PGresult *, int row, int col);
char		*db_dup(const PGresult *, int row, int col);	/* or NULL */

#endif
