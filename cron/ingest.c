/*
 * hookpost-ingest: turns queued inbound events (sources in queue mode)
 * into incidents, running their triage playbooks (ARCHITECTURE.md §1).
 *
 * Each event is claimed with FOR UPDATE SKIP LOCKED and processed in its
 * own transaction that also marks it done, so a crash at any point loses
 * nothing (the lock dies with the session, the row is claimed again) and
 * duplicates nothing (the incident and the mark commit together).  Any
 * number of instances may run at once; a per-host advisory lock keeps
 * one per host.  Runs for -t seconds, waking on NOTIFY hookpost_inbound
 * (lib/worker).
 * Each run also folds the receivers' new audit rows into the metrics
 * rollup (sql/007_fast_ingest.sql), so GET /metrics stays cheap even when
 * nothing scrapes it for a while.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "db.h"
#include "log.h"
#include "normalize.h"
#include "source.h"
#include "util.h"
#include "worker.h"

struct ingest {
	long long	 batch;		/* -b: events per wake-up */
	long long	 crash_after;	/* fault injection, tests; -1: none */
	long long	 done;		/* events processed */
};

static int
rollback(void)
{
	return db_command("ROLLBACK");
}

/*
 * Claims and processes one event.  Returns 1 when one was processed, 0
 * when the queue is empty, -1 on a database error.
 */
static int
ingest_one(struct ingest *g)
{
	static const char sql_claim[] = "SELECT q.id, q.raw_payload, "
	    SOURCE_COLUMNS " FROM hookpost.inbound_queue q"
	    " JOIN hookpost.sources s ON s.id = q.source_id"
	    " LEFT JOIN hookpost.playbooks p ON p.name = s.playbook"
	    " WHERE q.processed_at IS NULL ORDER BY q.received_at"
	    " LIMIT 1 FOR UPDATE OF q SKIP LOCKED";
	static const char sql_create[] = "SELECT id, number FROM"
	    " hookpost.incident_create($1, $2, $3, $4, $5, $6, $7,"
	    " ARRAY(SELECT jsonb_array_elements_text($8::jsonb)), $9, $10,"
	    " $11, $12, $13, $14, coalesce($15::timestamptz, now()))";
	static const char sql_done[] = "UPDATE hookpost.inbound_queue SET"
	    " processed_at = now(), attempts = attempts + 1, incident_id = $2,"
	    " last_error = $3 WHERE id = $1";
	struct source		 src;
	struct incident		 inc;
	struct incident_params	 ip;
	PGresult		*res = NULL, *res2 = NULL;
	const char		*p[15];
	char			*qid = NULL, *incident_id = NULL, err[256] = "";
	json_t			*payload = NULL;
	int			 rc = -1;
	size_t			 i;

	memset(&src, 0, sizeof(src));
	memset(&inc, 0, sizeof(inc));
	memset(&ip, 0, sizeof(ip));
	if (db_command("BEGIN") == -1)
		return -1;
	if ((res = db_exec("ingest_claim", sql_claim, 0, NULL)) == NULL)
		goto fail;
	if (PQntuples(res) == 0) {
		rc = 0;
		goto fail;	/* nothing to do: just end the transaction */
	}
	qid = xstrdup(PQgetvalue(res, 0, 0));
	payload = json_loads(PQgetvalue(res, 0, 1), JSON_REJECT_DUPLICATES, NULL);
	source_from_row(res, 0, 2, &src);	/* after q.id, q.raw_payload */
	p[0] = qid;
	p[1] = NULL;
	if (payload == NULL || source_alert_to_incident(&src, payload, &inc,
	    err, sizeof(err)) == -1) {
		/* Permanent: the event can never become an incident. */
		if (err[0] == '\0')
			snprintf(err, sizeof(err), "payload is not a JSON object");
		log_ids(LOG_LVL_WARN, (const char *const []){ "queue_id", qid,
		    NULL }, "queued event %s: %s", qid, err);
		p[2] = err;
		if ((res2 = db_exec("ingest_done", sql_done, 3, p)) == NULL)
			goto fail;
	} else {
		incident_params_fill(&inc, &ip);
		p[0] = src.id;
		p[1] = src.name;
		for (i = 0; i < 11; i++)
			p[2 + i] = ip.v[i];
		p[13] = PQgetvalue(res, 0, 1);
		p[14] = ip.v[11];
		if ((res2 = db_exec("ingest_create", sql_create, 15, p)) == NULL)
			goto fail;
		if (g->crash_after >= 0 && g->done >= g->crash_after) {
			/* Fault injection: die with the incident uncommitted. */
			log_warn("HOOKPOST_TEST_CRASH_AFTER: crashing");
			_exit(9);
		}
		incident_id = xstrdup(PQgetvalue(res2, 0, 0));
		PQclear(res2);
		p[0] = qid;
		p[1] = incident_id;
		p[2] = NULL;
		if ((res2 = db_exec("ingest_done", sql_done, 3, p)) == NULL)
			goto fail;
	}
	if (db_command("COMMIT") == -1)
		goto out;
	g->done++;
	rc = 1;
	goto out;
fail:
	rollback();
out:
	PQclear(res);
	PQclear(res2);
	incident_params_free(&ip);
	incident_free(&inc);
	source_free(&src);
	json_decref(payload);
	free(qid);
	free(incident_id);
	return rc;
}


static int
ingest_option(void *arg, int ch, const char *optarg)
{
	struct ingest	*g = arg;

	if (ch != 'b')
		return -1;
	return parse_int(optarg, 1, 10000, &g->batch);
}

static int
ingest_init(void *arg, struct worker_run *run)
{
	struct ingest	*g = arg;
	const char	*v;
	PGresult	*res;

	if ((v = getenv("HOOKPOST_TEST_CRASH_AFTER")) != NULL &&
	    parse_int(v, 0, 1000000, &g->crash_after) == -1)
		g->crash_after = -1;
	if ((res = db_exec("metrics_fold", "CALL hookpost.metrics_rollup()", 0,
	    NULL)) != NULL)
		PQclear(res);	/* not this worker's job to fail over */
	return 0;
}

/* Up to a batch of events: busy when the batch was full. */
static int
ingest_step(void *arg, struct worker_run *run)
{
	struct ingest	*g = arg;
	long long	 n;
	int		 rc;

	for (n = 0; n < g->batch && !worker_stopping(); n++) {
		if ((rc = ingest_one(g)) == -1)
			return -1;
		if (rc == 0)
			break;
	}
	return n < g->batch ? WORKER_IDLE : WORKER_BUSY;
}

int
main(int argc, char *argv[])
{
	static const struct worker w = {
		.name = "hookpost-ingest",
		.usage = "usage: hookpost-ingest [-1] [-b batch] [-t seconds]\n"
		    "  -1  process what is queued now, then exit\n"
		    "  -b  events per wake-up (default 100)\n"
		    "  -t  run for at most this long (default 55, for cron "
		    "each minute)\n",
		.optstring = "b:",
		.flags = WORKER_ONCE | WORKER_DEADLINE,
		.lock = WORKER_LOCK_TRY,
		.listen = "hookpost_inbound",
		.option = ingest_option,
		.init = ingest_init,
		.step = ingest_step,
	};
	struct ingest	 g = { .batch = 100, .crash_after = -1 };

	return worker_main(&w, &g, argc, argv);
}
