/*
 * lib/db.c's group commit (db_group) against the real PostgreSQL of the
 * integration suite (tests/integration/07_group_commit.sh runs it with
 * HOOKPOST_CONFIG set): threads of one process under lib/thr.h's lock, as
 * lib/srv.c runs them.  A first statement (pg_sleep) holds the connection
 * so that the others queue behind it and go as one group:
 *
 *   - every statement gets its own result, and a group is one
 *     transaction (the rows share their xmin);
 *   - a statement that fails gets its own error; the others of its group
 *     are committed, once each;
 *   - a connection lost in the middle of a group fails every statement of
 *     it and commits none: 08006, or the server's own error for the one
 *     it was running (57P01, terminated); the next statement runs on a
 *     new connection;
 *   - a plain db_exec waits for a group in flight and then runs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "check.h"
#include "db.h"
#include "log.h"
#include "thr.h"

#define N	12

static const char sql_ins[] = "INSERT INTO public.hookpost_test_group"
    " (batch, n, v) VALUES ($1, $2::integer, 100 / $3::integer)"
    " RETURNING n, xmin::text";

struct job {
	pthread_t	 t;
	const char	*name;
	const char	*sql;
	int		 plain;		/* db_exec, not db_group */
	const char	*p[3];
	char		 n[16];
	/* What came back. */
	int		 ok;
	char		 back[16];
	char		 xmin[16];
	char		 state[6];
};

static void *
run(void *arg)
{
	struct job	*j = arg;
	PGresult	*res;
	int		 np = j->sql == sql_ins ? 3 : 0;

	thr_enter();
	res = j->plain ? db_exec(j->name, j->sql, np, j->p) :
	    db_group(j->name, j->sql, np, j->p);
	j->ok = res != NULL;
	if (res != NULL && PQntuples(res) == 1 && PQnfields(res) == 2) {
		snprintf(j->back, sizeof(j->back), "%s", PQgetvalue(res, 0, 0));
		snprintf(j->xmin, sizeof(j->xmin), "%s", PQgetvalue(res, 0, 1));
	}
	snprintf(j->state, sizeof(j->state), "%s", db_last_sqlstate());
	PQclear(res);
	thr_leave();
	return NULL;
}

static void
start(struct job *j)
{
	if (pthread_create(&j->t, NULL, run, j) != 0) {
		fprintf(stderr, "pthread_create failed\n");
		exit(1);
	}
}

/* A statement that holds the connection, then jobs[] queued behind it. */
static void
group(const char *hold, struct job *jobs, int n)
{
	struct job	 first;
	int		 i;

	memset(&first, 0, sizeof(first));
	first.sql = hold;
	first.name = hold;	/* each hold statement prepared as itself */
	start(&first);
	usleep(100 * 1000);
	for (i = 0; i < n; i++)
		start(&jobs[i]);
	pthread_join(first.t, NULL);
	for (i = 0; i < n; i++)
		pthread_join(jobs[i].t, NULL);
}

static void
jobs_init(struct job *jobs, int n, const char *batch, int zero_at)
{
	int	 i;

	memset(jobs, 0, sizeof(*jobs) * (size_t)n);
	for (i = 0; i < n; i++) {
		jobs[i].name = "group_ins";
		jobs[i].sql = sql_ins;
		snprintf(jobs[i].n, sizeof(jobs[i].n), "%d", i);
		jobs[i].p[0] = batch;
		jobs[i].p[1] = jobs[i].n;
		jobs[i].p[2] = i == zero_at ? "0" : "1";
	}
}

static long
count(const char *sql, const char *batch)
{
	PGresult	*res;
	const char	*p[1] = { batch };
	long		 n = -1;

	thr_enter();
	if ((res = db_exec_once(sql, 1, p)) != NULL) {
		n = atol(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	thr_leave();
	return n;
}

/* Ends this process's connection from another one, after ms. */
static void *
terminate(void *arg)
{
	PGconn		*c;
	PGresult	*res;
	char		 sql[128];

	usleep(300 * 1000);
	c = PQconnectdb(cfg.database_url);
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(pid) FROM "
	    "pg_stat_activity WHERE query LIKE '%%pg_sleep(1.5)%%' AND pid <> "
	    "pg_backend_pid()");
	res = PQexec(c, sql);
	*(int *)arg = PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1;
	PQclear(res);
	PQfinish(c);
	return NULL;
}

int
main(void)
{
	struct job	 jobs[N], plain;
	pthread_t	 killer;
	int		 i, all, each, killed = 0;
	char		 msg[64];

	log_set_level("error");	/* the cases make errors on purpose */
	if (cfg_load() == -1 || db_command("CREATE TABLE IF NOT EXISTS "
	    "public.hookpost_test_group (batch text, n integer, v integer)") ==
	    -1 || db_command("TRUNCATE public.hookpost_test_group") == -1) {
		check(0, "setup: the database");
		return check_done();
	}
	thr_init();

	/* 1. N statements behind one: one group, one transaction. */
	jobs_init(jobs, N, "a", -1);
	group("SELECT pg_sleep(0.4)", jobs, N);
	for (all = 1, each = 1, i = 0; i < N; i++) {
		all &= jobs[i].ok;
		each &= strcmp(jobs[i].back, jobs[i].n) == 0;
	}
	check(all && each, "group: %d statements, each its own result", N);
	for (all = 1, i = 1; i < N; i++)
		all &= strcmp(jobs[i].xmin, jobs[0].xmin) == 0;
	check(all, "group: the %d queued together are one transaction "
	    "(one xmin)", N);
	check(count("SELECT count(*) FROM public.hookpost_test_group "
	    "WHERE batch = $1", "a") == N, "group: %d rows", N);

	/* 2. One fails (division by zero): its error; the rest commit. */
	jobs_init(jobs, N, "b", 4);
	group("SELECT pg_sleep(0.4)", jobs, N);
	check(!jobs[4].ok && strcmp(jobs[4].state, "22012") == 0,
	    "failure: the failed statement gets its own error (%s)",
	    jobs[4].state);
	for (all = 1, i = 0; i < N; i++)
		if (i != 4)
			all &= jobs[i].ok && jobs[i].state[0] == '\0' &&
			    strcmp(jobs[i].back, jobs[i].n) == 0;
	check(all, "failure: the %d others of its group succeed", N - 1);
	check(count("SELECT count(*) FROM public.hookpost_test_group "
	    "WHERE batch = $1", "b") == N - 1 && count("SELECT "
	    "count(DISTINCT n) FROM public.hookpost_test_group WHERE "
	    "batch = $1", "b") == N - 1, "failure: their %d rows, once each",
	    N - 1);

	/* 3. The connection lost during a group: all fail, none commit. */
	jobs_init(jobs, N, "c", -1);
	jobs[N - 1].name = "group_sleep";
	jobs[N - 1].sql = "SELECT pg_sleep(1.5)";
	pthread_create(&killer, NULL, terminate, &killed);
	group("SELECT pg_sleep(0.2)", jobs, N);
	pthread_join(killer, NULL);
	for (all = 1, i = 0; i < N; i++)
		all &= !jobs[i].ok && (strcmp(jobs[i].state, "08006") == 0 ||
		    strcmp(jobs[i].state, "57P01") == 0);
	check(killed && all, "lost: the backend ended mid-group, every "
	    "statement of it fails (08006, 57P01)");
	check(count("SELECT count(*) FROM public.hookpost_test_group "
	    "WHERE batch = $1", "c") == 0, "lost: none of them committed");
	jobs_init(jobs, 1, "d", -1);
	start(&jobs[0]);
	pthread_join(jobs[0].t, NULL);
	check(jobs[0].ok, "lost: the next statement runs on a new connection");

	/* 4. A plain statement waits for the group in flight. */
	jobs_init(jobs, N, "e", -1);
	memset(&plain, 0, sizeof(plain));
	plain.name = "group_plain";
	plain.sql = sql_ins;
	plain.plain = 1;
	plain.p[0] = "e";
	plain.p[1] = "99";
	plain.p[2] = "1";
	snprintf(plain.n, sizeof(plain.n), "99");
	jobs[N - 1] = plain;
	group("SELECT pg_sleep(0.3)", jobs, N);
	for (all = 1, i = 0; i < N; i++)
		all &= jobs[i].ok;
	snprintf(msg, sizeof(msg), "%ld", count("SELECT count(*) FROM "
	    "public.hookpost_test_group WHERE batch = $1", "e"));
	check(all && strcmp(msg, "12") == 0, "plain: db_exec beside groups "
	    "runs once the connection is free (%s rows)", msg);

	thr_enter();
	db_command("DROP TABLE public.hookpost_test_group");
	db_close();
	thr_leave();
	return check_done();
}
