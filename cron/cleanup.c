/*
 * hookpost-cleanup: retention (DESIGN.md §1).  Deletes in bounded batches
 * so it never holds long locks: expired replay-guard rows (older than
 * twice the timestamp window, after which the timestamp check refuses a
 * replay by itself), processed queue rows and audit rows past retention.
 * Safe to run at any time and twice at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "util.h"

#define BATCH	"5000"

static void
usage(void)
{
	fprintf(stderr, "usage: hookpost-cleanup [-a audit_days] [-q queue_days]\n"
	    "  -a  keep the receivers' audit log this many days (default 90)\n"
	    "  -q  keep processed queued events this many days (default 7)\n");
}

/* Runs a batched DELETE until it deletes nothing; returns rows or -1. */
static long long
purge(const char *name, const char *sql, const char *arg)
{
	const char	*p[1];
	PGresult	*res;
	long long	 total = 0, n;

	p[0] = arg;
	do {
		if ((res = db_exec(name, sql, 1, p)) == NULL)
			return -1;
		if (parse_int(PQcmdTuples(res), 0, 1LL << 40, &n) == -1)
			n = 0;
		PQclear(res);
		total += n;
	} while (n > 0);
	return total;
}

int
main(int argc, char *argv[])
{
	static const char sql_replay[] = "DELETE FROM hookpost.replay_guard"
	    " WHERE ctid = ANY (ARRAY(SELECT ctid FROM hookpost.replay_guard"
	    " WHERE created_at < now() - make_interval(secs => $1::int * 2)"
	    " LIMIT " BATCH "))";
	static const char sql_queue[] = "DELETE FROM hookpost.inbound_queue"
	    " WHERE id IN (SELECT id FROM hookpost.inbound_queue"
	    " WHERE processed_at < now() - make_interval(days => $1::int)"
	    " LIMIT " BATCH ")";
	static const char sql_audit[] = "DELETE FROM hookpost.webhook_requests"
	    " WHERE id IN (SELECT id FROM hookpost.webhook_requests"
	    " WHERE received_at < now() - make_interval(days => $1::int)"
	    " LIMIT " BATCH ")";
	long long	 audit_days = 90, queue_days = 7, n1, n2, n3;
	char		 a[24], q[24], tol[24];
	int		 ch;

	while ((ch = getopt(argc, argv, "a:hq:")) != -1) {
		switch (ch) {
		case 'a':
			if (parse_int(optarg, 1, 36500, &audit_days) == -1) {
				usage();
				return 1;
			}
			break;
		case 'q':
			if (parse_int(optarg, 0, 36500, &queue_days) == -1) {
				usage();
				return 1;
			}
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 1;
		}
	}
	if (cfg_load() == -1)
		return 1;
	snprintf(a, sizeof(a), "%lld", audit_days);
	snprintf(q, sizeof(q), "%lld", queue_days);
	snprintf(tol, sizeof(tol), "%ld", cfg.ts_tolerance);
	if ((n1 = purge("purge_replay", sql_replay, tol)) == -1 ||
	    (n2 = purge("purge_queue", sql_queue, q)) == -1 ||
	    (n3 = purge("purge_audit", sql_audit, a)) == -1)
		return 1;
	log_info("cleanup: %lld replay guards, %lld queued events, "
	    "%lld audit rows removed", n1, n2, n3);
	db_close();
	return 0;
}
