/*
 * bench-emitlat: the event source of the outbound latency figure of
 * `make bench` (bench/README.md, outbound part).
 *
 * Emits events at a steady rate, each in its own transaction, the way a
 * host application does (ARCHITECTURE.md §1): one autocommit
 *
 *	SELECT hookpost.emit(type, 'threat_model', '<prefix>-<n>', NULL,
 *	    owner, data)
 *
 * per event over one persistent connection, event n due at n / rate
 * seconds after the start (an open loop: a slow emit delays the next one
 * but the schedule does not drift).  The delivery worker, running
 * beside it, sends each event as it commits; bench.sh then reads
 * delivery_attempts.started_at - events.created_at for the events whose
 * object_id starts with the prefix.
 *
 * events.created_at is the emitting transaction's start; with -w FILE
 * the moment each commit returned (wall clock, as the worker's
 * started_at) is written there too, one "<object_id>\t<epoch seconds>"
 * line per event, so that the latency can be taken from the commit.
 *
 * The database as for every hookpost program: HOOKPOST_DATABASE_URL or
 * the HOOKPOST_CONFIG file (lib/cfg).  Prints one line:
 *
 *	events events/s emit_p50_ms emit_p99_ms emit_max_ms errors
 *
 * where the emit times are how long each emitting transaction took.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cfg.h"
#include "util.h"

static const char sql_emit[] = "SELECT hookpost.emit($1, 'threat_model',"
    " $2, NULL, $3, $4::jsonb)";

static volatile sig_atomic_t	 stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int
usage(void)
{
	fprintf(stderr, "usage: bench-emitlat -p prefix [-r events/s] "
	    "[-d seconds] [-e event-type] [-o owner] [-w commit-log]\n");
	return 1;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
percentile(const double *v, size_t n, double p)
{
	size_t	 i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static double
wall_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps until ms on the monotonic clock of now_ms(). */
static void
sleep_until_ms(double ms)
{
	struct timespec	 ts;
	double		 wait;

	while (!stop && (wait = ms - now_ms()) > 0) {
		ts.tv_sec = (time_t)(wait / 1000.0);
		ts.tv_nsec = (long)((wait - (double)ts.tv_sec * 1000.0) * 1e6);
		if (nanosleep(&ts, NULL) == 0)
			break;
		if (errno != EINTR)
			break;
	}
}

int
main(int argc, char *argv[])
{
	PGconn		*conn = NULL;
	PGresult	*res;
	const char	*prefix = NULL, *event_type = "threat_model.created";
	const char	*owner = "bench", *p[4], *commit_log = NULL;
	FILE		*clog = NULL;
	double		*commit_s = NULL;
	long long	*commit_n = NULL;
	size_t		 k;
	char		 object_id[128], data[160];
	double		*emit_ms = NULL, t0, t, elapsed;
	long long	 rate = 200, seconds = 10, total, i, errors = 0;
	size_t		 n = 0;
	int		 ch, rc = 1;

	while ((ch = getopt(argc, argv, "d:e:o:p:r:w:")) != -1) {
		switch (ch) {
		case 'd':
			if (parse_int(optarg, 1, 3600, &seconds) == -1)
				return usage();
			break;
		case 'e':
			event_type = optarg;
			break;
		case 'o':
			owner = optarg;
			break;
		case 'p':
			prefix = optarg;
			break;
		case 'r':
			if (parse_int(optarg, 1, 100000, &rate) == -1)
				return usage();
			break;
		case 'w':
			commit_log = optarg;
			break;
		default:
			return usage();
		}
	}
	if (prefix == NULL || strlen(prefix) > 64)
		return usage();
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	if (cfg_load() == -1)
		return 1;
	conn = PQconnectdb(cfg.database_url);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "bench-emitlat: %s", PQerrorMessage(conn));
		goto out;
	}
	res = PQprepare(conn, "emit", sql_emit, 4, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "bench-emitlat: prepare: %s",
		    PQerrorMessage(conn));
		PQclear(res);
		goto out;
	}
	PQclear(res);

	total = rate * seconds;
	emit_ms = xcalloc((size_t)total, sizeof(emit_ms[0]));
	commit_s = xcalloc((size_t)total, sizeof(commit_s[0]));
	commit_n = xcalloc((size_t)total, sizeof(commit_n[0]));
	p[0] = event_type;
	p[1] = object_id;
	p[2] = owner;
	p[3] = data;
	t0 = now_ms();
	for (i = 0; i < total && !stop; i++) {
		sleep_until_ms(t0 + (double)i * 1000.0 / (double)rate);
		snprintf(object_id, sizeof(object_id), "%s-%lld", prefix, i);
		snprintf(data, sizeof(data), "{\"name\":\"Latency probe %lld\","
		    "\"description\":\"bench-emitlat\"}", i);
		t = now_ms();
		res = PQexecPrepared(conn, "emit", 4, p, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			if (errors++ == 0)
				fprintf(stderr, "bench-emitlat: emit: %s",
				    PQerrorMessage(conn));
		} else {
			commit_s[n] = wall_s();
			commit_n[n] = i;
			emit_ms[n++] = now_ms() - t;
		}
		PQclear(res);
	}
	elapsed = (now_ms() - t0) / 1000.0;
	if (commit_log != NULL) {
		if ((clog = fopen(commit_log, "w")) == NULL) {
			fprintf(stderr, "bench-emitlat: %s: %s\n", commit_log,
			    strerror(errno));
			goto out;
		}
		for (k = 0; k < n; k++)
			fprintf(clog, "%s-%lld\t%.6f\n", prefix, commit_n[k],
			    commit_s[k]);
		if (fclose(clog) != 0) {
			fprintf(stderr, "bench-emitlat: %s: %s\n", commit_log,
			    strerror(errno));
			goto out;
		}
	}
	qsort(emit_ms, n, sizeof(emit_ms[0]), cmp_double);
	printf("%zu %.1f %.2f %.2f %.2f %lld\n", n, elapsed > 0 ?
	    (double)n / elapsed : 0.0, percentile(emit_ms, n, 0.50),
	    percentile(emit_ms, n, 0.99), n > 0 ? emit_ms[n - 1] : 0.0, errors);
	rc = errors == 0 && !stop ? 0 : 1;
out:
	free(commit_s);
	free(commit_n);
	free(emit_ms);
	PQfinish(conn);
	return rc;
}
