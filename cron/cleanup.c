/*
 * hookpost-cleanup: retention (ARCHITECTURE.md §1).  Deletes in bounded
 * batches so it never holds long locks: expired replay guards (older
 * than twice the timestamp window, after which the timestamp check
 * refuses a replay by itself: hookpost.alert_guards by the request's
 * timestamp, sql/029, and the replay_guard of before sql/007, drained),
 * processed queue rows;
 * the audit rows past retention by whole days, a partition drop each
 * (sql/029: hookpost.audit_partitions() makes the next days' partitions
 * and drops those past -a), and only once their counts are folded into
 * the metrics rollup (only folded rows go, so /metrics keeps them), the
 * default partition's rows by the same rule in batches;
 * and for outbound (seed 000 "Cleanup Worker"): terminal deliveries past
 * retention (-d, default 7 days), subscriptions marked for deletion or
 * never verified within a day, and subscriptions failing persistently
 * (10+ failures and no success for 7 days) disabled -- not deleted --
 * with a subscription.disabled event; the delivery attempts by whole
 * days, a partition drop each (sql/027: hookpost.attempts_partitions()
 * makes the next days' partitions and drops those past -d, the attempts
 * of deliveries still kept moved aside).  Trigger events (seed 002) past
 * retention (-t, default 90 days, as the audit log).
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
#include "worker.h"

#define BATCH	"5000"
/* Days of partitions made ahead of today (as migrate does,
 * sql/functions/partitions.sql): three days of failed runs pass before a
 * row finds no partition of its day (it would then be kept in the
 * default partition). */
#define DAYS_AHEAD	"3"

struct cleanup {
	long long	 audit_days;	/* -a */
	long long	 delivery_days;	/* -d */
	long long	 queue_days;	/* -q */
	long long	 trigger_days;	/* -t */
};

/* Runs a batched DELETE (its one parameter arg, or none if NULL) until
 * it deletes nothing; returns rows or -1. */
static long long
purge(const char *name, const char *sql, const char *arg)
{
	const char	*p[1];
	PGresult	*res;
	long long	 total = 0, n;

	p[0] = arg;
	do {
		if ((res = db_exec(name, sql, arg != NULL, p)) == NULL)
			return -1;
		if (parse_int(PQcmdTuples(res), 0, 1LL << 40, &n) == -1)
			n = 0;
		PQclear(res);
		total += n;
	} while (n > 0);
	return total;
}

/* Runs a table's partition upkeep (its one parameter arg, the retention)
 * and reads its one row of n counts into out (0 where unreadable);
 * returns 0 or -1. */
static int
partitions(const char *name, const char *sql, const char *arg,
    long long *out, int n)
{
	const char	*p[1];
	PGresult	*res;
	int		 i;

	p[0] = arg;
	if ((res = db_exec(name, sql, 1, p)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (PQntuples(res) != 1 || parse_int(PQgetvalue(res, 0, i), 0,
		    1LL << 40, &out[i]) == -1)
			out[i] = 0;
	PQclear(res);
	return 0;
}

static int
cleanup_option(void *arg, int ch, const char *optarg)
{
	struct cleanup	*c = arg;

	switch (ch) {
	case 'a':
		return parse_int(optarg, 1, 36500, &c->audit_days);
	case 'd':
		return parse_int(optarg, 0, 36500, &c->delivery_days);
	case 'q':
		return parse_int(optarg, 0, 36500, &c->queue_days);
	case 't':
		return parse_int(optarg, 1, 36500, &c->trigger_days);
	}
	return -1;
}

/* One pass over every retention rule: done, or -1. */
static int
cleanup_step(void *arg, struct worker_run *run)
{
	static const char sql_replay[] = "DELETE FROM hookpost.replay_guard"
	    " WHERE ctid = ANY (ARRAY(SELECT ctid FROM hookpost.replay_guard"
	    " WHERE created_at < now() - make_interval(secs => $1::int * 2)"
	    " LIMIT " BATCH "))";
	/* By signed_at, which leads the guards' key, a batch as above. */
	static const char sql_guards[] = "DELETE FROM hookpost.alert_guards"
	    " WHERE ctid = ANY (ARRAY(SELECT ctid FROM hookpost.alert_guards"
	    " WHERE signed_at < extract(epoch FROM now())::bigint - $1::int * 2"
	    " LIMIT " BATCH "))";
	static const char sql_queue[] = "DELETE FROM hookpost.inbound_queue"
	    " WHERE id IN (SELECT id FROM hookpost.inbound_queue"
	    " WHERE processed_at < now() - make_interval(days => $1::int)"
	    " LIMIT " BATCH ")";
	static const char sql_deliveries[] = "DELETE FROM hookpost.deliveries"
	    " WHERE id IN (SELECT id FROM hookpost.deliveries"
	    " WHERE created_at < now() - make_interval(days => $1::int)"
	    " AND status IN ('delivered', 'failed', 'cancelled')"
	    " AND completed_at < now() - make_interval(days => $1::int)"
	    " LIMIT " BATCH ")";
	static const char sql_events[] = "DELETE FROM hookpost.events e"
	    " WHERE e.id IN (SELECT e2.id FROM hookpost.events e2"
	    " WHERE e2.created_at < now() - make_interval(days => $1::int)"
	    " AND NOT EXISTS (SELECT 1 FROM hookpost.deliveries d"
	    "  WHERE d.event_id = e2.id) LIMIT " BATCH ")";
	static const char sql_abandoned[] = "DELETE FROM hookpost.subscriptions"
	    " WHERE id IN (SELECT id FROM hookpost.subscriptions"
	    " WHERE status = 'pending_delete' OR (status ="
	    " 'pending_verification' AND created_at < now() -"
	    " make_interval(hours => $1::int)) LIMIT " BATCH ")";
	static const char sql_failing[] = "WITH d AS ("
	    " UPDATE hookpost.subscriptions s SET status = 'disabled',"
	    "  disabled_reason = 'persistent delivery failures',"
	    "  modified_at = now()"
	    " WHERE s.id IN (SELECT id FROM hookpost.subscriptions"
	    "  WHERE status = 'active' AND publication_failures >= 10"
	    "  AND coalesce(last_successful_use, created_at) <"
	    "   now() - make_interval(days => $1::int) LIMIT " BATCH ")"
	    " RETURNING s.id, s.owner_id, s.publication_failures)"
	    " SELECT hookpost.emit('subscription.disabled', 'subscription',"
	    "  d.id::text, NULL, d.owner_id, jsonb_build_object("
	    "  'subscription_id', d.id, 'reason', 'persistent delivery failures',"
	    "  'publication_failures', d.publication_failures)) FROM d";
	static const char sql_requests[] = "DELETE FROM"
	    " hookpost.subscription_requests WHERE id IN (SELECT id FROM"
	    " hookpost.subscription_requests WHERE requested_at < now() -"
	    " make_interval(hours => $1::int) LIMIT " BATCH ")";
	/* Run after the deliveries' purge: a delivery it deleted no longer
	 * holds its old attempts back from their day's drop. */
	static const char sql_attempts[] = "SELECT created, dropped, kept,"
	    " deleted FROM hookpost.attempts_partitions($1::int, "
	    DAYS_AHEAD ")";
	/* Run after the fold, as sql_audit: it drops folded days only. */
	static const char sql_audit_days[] = "SELECT created, dropped, held"
	    " FROM hookpost.audit_partitions($1::int, " DAYS_AHEAD ")";
	/* An event is its request's audit row (sql/025): folded first. */
	static const char sql_trigger_events[] = "DELETE FROM"
	    " hookpost.trigger_events WHERE id IN (SELECT id FROM"
	    " hookpost.trigger_events WHERE received_at < now() -"
	    " make_interval(days => $1::int)"
	    " AND coalesce(request_id, 0) <= (SELECT last_request_id"
	    "  FROM hookpost.metric_rollup_state)"
	    " LIMIT " BATCH ")";
	static const char sql_fold[] = "CALL hookpost.metrics_rollup()";
	/* The default partition's: the days' partitions go whole. */
	static const char sql_audit[] = "DELETE FROM"
	    " hookpost.webhook_requests_default WHERE id IN (SELECT id FROM"
	    " hookpost.webhook_requests_default"
	    " WHERE received_at < now() - make_interval(days => $1::int)"
	    " AND id <= (SELECT last_request_id"
	    "  FROM hookpost.metric_rollup_state)"
	    " LIMIT " BATCH ")";
	struct cleanup	*c = arg;
	long long	 n1, n2, n3, n4, n5, n6, n7, n8, n9;
	long long	 att[4], aud[3];
	char		 a[24], q[24], tol[24], dd[24], td[24];
	PGresult	*res;

	snprintf(a, sizeof(a), "%lld", c->audit_days);
	snprintf(q, sizeof(q), "%lld", c->queue_days);
	snprintf(tol, sizeof(tol), "%ld", cfg.ts_tolerance);
	snprintf(dd, sizeof(dd), "%lld", c->delivery_days);
	snprintf(td, sizeof(td), "%lld", c->trigger_days);
	if ((res = db_exec("metrics_fold", sql_fold, 0, NULL)) == NULL)
		return -1;
	PQclear(res);
	if ((n1 = purge("purge_replay", sql_replay, tol)) == -1 ||
	    (n8 = purge("purge_guards", sql_guards, tol)) == -1 ||
	    (n2 = purge("purge_queue", sql_queue, q)) == -1 ||
	    (n3 = purge("purge_audit", sql_audit, a)) == -1 ||
	    (n4 = purge("purge_deliveries", sql_deliveries, dd)) == -1 ||
	    (n5 = purge("purge_events", sql_events, dd)) == -1 ||
	    (n6 = purge("purge_abandoned", sql_abandoned, "24")) == -1 ||
	    (n9 = purge("purge_trigger_events", sql_trigger_events,
	    td)) == -1 ||
	    /* The per-day quota looks back 24 hours; older rows are spent. */
	    purge("purge_sub_requests", sql_requests, "25") == -1)
		return -1;
	{
		const char	*p[1] = { "7" };	/* seed: no success for 7 days */

		if ((res = db_exec("disable_failing", sql_failing, 1, p)) == NULL)
			return -1;
		n7 = PQntuples(res);
		PQclear(res);
	}
	if (partitions("attempt_partitions", sql_attempts, dd, att, 4) == -1 ||
	    partitions("audit_partitions", sql_audit_days, a, aud, 3) == -1)
		return -1;
	log_info("cleanup: %lld replay guards, %lld queued events, "
	    "%lld audit rows, %lld deliveries, %lld events, %lld abandoned "
	    "subscriptions, %lld trigger events removed; %lld failing "
	    "subscriptions disabled; attempt partitions: %lld made, %lld "
	    "dropped (%lld attempts of kept deliveries moved to the default "
	    "partition, %lld removed from it); audit partitions: %lld made, "
	    "%lld dropped (%lld past retention held for rows not yet folded)",
	    n1 + n8, n2, n3, n4, n5, n6, n9, n7, att[0], att[1], att[2],
	    att[3], aud[0], aud[1], aud[2]);
	return WORKER_DONE;
}

int
main(int argc, char *argv[])
{
	static const struct worker w = {
		.name = "hookpost-cleanup",
		.usage = "usage: hookpost-cleanup [-a audit_days] "
		    "[-d delivery_days] [-q queue_days]\n"
		    "                        [-t trigger_event_days]\n"
		    "  -a  keep the receivers' audit log this many days "
		    "(default 90)\n"
		    "  -d  keep finished deliveries this many days (default 7)\n"
		    "  -q  keep processed queued events this many days "
		    "(default 7)\n"
		    "  -t  keep trigger events this many days (default 90)\n",
		.optstring = "a:d:q:t:",
		.option = cleanup_option,
		.step = cleanup_step,
	};
	struct cleanup	 c = { .audit_days = 90, .delivery_days = 7,
	    .queue_days = 7, .trigger_days = 90 };

	return worker_main(&w, &c, argc, argv);
}
