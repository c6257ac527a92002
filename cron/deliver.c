/*
 * hookpost-deliver: sends due deliveries (seed 000 "Delivery Worker").
 *
 * Claims batches with FOR UPDATE SKIP LOCKED under a lease fenced by a
 * claim id (sql/006_delivery_worker.sql), sends them with the libcurl
 * multi interface, bounded overall (-c) and per subscription, and records
 * each batch of results in one statement.  A worker killed at any moment
 * loses nothing: its claims' leases expire and another worker takes them;
 * its late results, fenced by the claim id, change nothing.
 *
 * Success: a 2xx within the timeout (30 s, seed 000).  Retries (seed 000):
 * immediately, then after 1, 5, 15 and 30 minutes, then failed; or the
 * subscription's own schedule; each delay up to HOOKPOST_RETRY_JITTER
 * percent longer (20; 0 keeps the table exact), never shorter, to the
 * millisecond (lib/worker.h worker_retry_delay_ms); Retry-After honoured
 * within [1 s, 1 h], counted from the attempt's end.  410
 * Gone disables the subscription.  A 2xx carrying X-Webhook-Callback:
 * async (or seed 000's X-TMI-Callback: async) leaves the delivery
 * in_progress until the receiver calls back, for HOOKPOST_CALLBACK_TTL (4
 * hours) at most: each run fails the ones past it (expire_send).
 *
 * Every attempt is logged (issue 12, README "Attempts"): each try's row
 * says whether its request left (kind sent) or not (not_sent: refused by
 * the SSRF guard, no connection, subscription inactive); a request
 * libcurl sent again on a fresh connection after a reused one died adds
 * a cut_off row; a try whose worker died holding it is recorded cut_off
 * by the claim that takes it over (sql/functions/deliveries.sql).
 *
 * Its log lines are the ones seed 000's operators grep for: "delivering
 * webhook <id> to <host> (attempt N)", and each failure as "ERROR:
 * webhook delivery <id> failed: <why> (...)"; never a URL's path or a
 * secret.
 *
 * Runs up to -t seconds (cron starts it every minute), waking on NOTIFY
 * hookpost_delivery and its own 1 s timer.  A per-host advisory lock keeps
 * one instance per host (-n names the host for tests); a new instance
 * waits for the previous one to drain instead of leaving a gap.  The
 * options, signals, lock and LISTEN are lib/worker's; this file is the
 * state of a run (struct deliver) and its step.
 */
#include <sys/types.h>

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cfg.h"
#include "connector.h"
#include "crypt.h"
#include "db.h"
#include "log.h"
#include "sig.h"
#include "urlguard.h"
#include "util.h"
#include "worker.h"

#define MAX_SCHEDULE	20
#define FLUSH_RESULTS	200
#define FLUSH_MS	20.0
#define EXPIRE_BATCH	1000	/* expired deliveries failed per statement */
#define LEASE_MARGIN_MS	500.0	/* an attempt's requests end this early */
#define AHEAD_MAX	512	/* claimed ahead, waiting for a slot, at most */
#define RATE_MS		100.0	/* the window the worker's rate is counted in */

static const int default_schedule[] = { 60, 300, 900, 1800 };

/* A job's ids, as members of a JSON log record (lib/log.h log_ids). */
#define JOB_IDS(j)	((const char *const []){ "delivery_id", (j)->id, \
	"subscription_id", (j)->sub_id, "event_id", \
	(j)->event_id[0] != '\0' ? (j)->event_id : NULL, NULL })

struct job {
	char			 id[37];
	char			 claim_id[37];	/* the claim that leased it */
	int			 attempt;
	char			*event_type;
	char			 event_id[37];
	char			 sub_id[37];
	char			*payload;
	json_t			*event;		/* payload parsed, if needed */
	char			*url;
	char			*secret;
	char			*prev_secret;	/* NULL unless in rotation grace */
	const struct connector	*conn;		/* NULL: unknown type */
	json_t			*config;	/* NULL: could not be opened */
	json_t			*state;		/* a multi-step attempt's */
	int			 step;		/* its request, from 0 */
	int			 requests;	/* sent, all steps (t.requests) */
	int			 resends;	/* ... of them libcurl's re-sends */
	/* sql/019: the event's object, and its recorded ticket. */
	char			*object_key;
	char			*ticket_ref, *ticket_ref_id, *ticket_state;
	int			 schedule[MAX_SCHEDULE];
	int			 nschedule;
	int			 max_concurrency;
	int			 cancelled;	/* subscription no longer active */
	struct conn_transfer	 t;
	double			 started_ms;
	char			 started_at[40];
	time_t			 claimed_at;	/* its lease began about then */
	double			 claimed_ms;	/* the same, in ms (now_ms) */
	struct job		*next;		/* waiting queue */
};

struct sub_slot {
	char	 sub_id[37];
	int	 inflight;
};

/*
 * The worker's database work runs beside its transfers, on two
 * connections: the claims on lib/db's (which LISTENs), the batches of
 * results on one of its own (rconn), so that a claim never waits for a
 * batch of results to be written, nor a batch for a claim (issue 13: on
 * one connection, a statement was in flight 90% of the time and the
 * transfers ran out of claimed deliveries for almost half of it).  One
 * statement in flight on each.
 */
enum op { OP_NONE, OP_CLAIM, OP_EXPIRE };

/* One run of the worker: all its state. */
struct deliver {
	long long	 concurrency;	/* -c: transfers in flight at most */
	long		 timeout_ms;	/* HOOKPOST_DELIVERY_TIMEOUT_MS */
	long		 lease_s;	/* HOOKPOST_DELIVERY_LEASE */
	CURLM		*multi;
	struct job	*queue;		/* claimed, waiting for a slot */
	int		 inflight;	/* transfers */
	int		 peak;		/* ... at most at once, this run */
	struct sub_slot	*slots;		/* transfers per subscription */
	size_t		 nslots, capslots;
	enum op		 op;		/* the statement in flight */
	char		 claim_id[37];	/* the last claim's */
	time_t		 claim_sent_at;
	double		 claim_sent_ms;
	time_t		 last_claim;
	int		 wake;		/* more may be due: claim again */
	int		 expiring;	/* deliveries_expire still to run */
	json_t		*results;	/* pending batch of results */
	json_t		*finishing;	/* the batch of results in flight */
	PGconn		*rconn;		/* ... on this connection */
	double		 rconn_retry_ms; /* no batch before */
	int		 n_released;	/* "released" results pending */
	int		 n_releasing;	/* ... and in flight */
	int		 rewake;	/* released ones written: claim again */
	double		 last_flush_ms;
	double		 db_retry_ms;	/* no statement before */
	long long	 n_sent, n_ok;
	double		 rate_ms;	/* the RATE_MS window being counted */
	int		 rate_n;	/* attempts ended in it so far */
	int		 rate;		/* ... in the window before it */
};

static struct sub_slot *
slot_get(struct deliver *d, const char *sub_id)
{
	size_t	 i;

	for (i = 0; i < d->nslots; i++)
		if (strcmp(d->slots[i].sub_id, sub_id) == 0)
			return &d->slots[i];
	if (d->nslots == d->capslots) {
		d->capslots = d->capslots ? d->capslots * 2 : 16;
		d->slots = xrealloc(d->slots, d->capslots * sizeof(*d->slots));
	}
	memset(&d->slots[d->nslots], 0, sizeof(d->slots[d->nslots]));
	snprintf(d->slots[d->nslots].sub_id,
	    sizeof(d->slots[d->nslots].sub_id), "%s", sub_id);
	return &d->slots[d->nslots++];
}

static void
job_free(struct deliver *d, struct job *j)
{
	if (j == NULL)
		return;
	if (j->t.h != NULL)
		curl_multi_remove_handle(d->multi, j->t.h);
	conn_transfer_free(&j->t);
	free(j->event_type);
	free(j->payload);
	json_decref(j->event);
	json_decref(j->state);
	conn_config_free(j->config);
	free(j->object_key);
	free(j->ticket_ref);
	free(j->ticket_ref_id);
	free(j->ticket_state);
	free(j->url);
	if (j->secret != NULL) {
		explicit_bzero(j->secret, strlen(j->secret));
		free(j->secret);
	}
	if (j->prev_secret != NULL) {
		explicit_bzero(j->prev_secret, strlen(j->prev_secret));
		free(j->prev_secret);
	}
	free(j);
}

/* "{60,300}" (a PostgreSQL integer[]) into the job's schedule. */
static void
parse_schedule(struct job *j, const char *arr)
{
	const char	*p;
	char		*end;
	long		 v;

	j->nschedule = 0;
	if (arr != NULL && arr[0] == '{') {
		for (p = arr + 1; *p != '\0' && *p != '}' &&
		    j->nschedule < MAX_SCHEDULE; p = end) {
			errno = 0;
			v = strtol(p, &end, 10);
			if (end == p || errno != 0 || v < 0 || v > 86400)
				break;
			j->schedule[j->nschedule++] = (int)v;
			if (*end == ',')
				end++;
		}
		if (j->nschedule > 0 || strcmp(arr, "{}") == 0)
			return;	/* "{}": no retries (seed 003 retryCount 0) */
	}
	memcpy(j->schedule, default_schedule, sizeof(default_schedule));
	j->nschedule = sizeof(default_schedule) / sizeof(default_schedule[0]);
}

/* The event as the job's connector reads it. */
static void
job_event(const struct job *j, struct conn_event *ev, time_t now)
{
	memset(ev, 0, sizeof(*ev));
	ev->delivery_id = j->id;
	ev->event_id = j->event_id[0] != '\0' ? j->event_id : NULL;
	ev->subscription_id = j->sub_id;
	ev->event_type = j->event_type;
	ev->payload = j->payload;
	ev->event = j->event;
	ev->config = j->config;
	ev->url = j->url;
	ev->secret = j->secret;
	ev->prev_secret = j->prev_secret;
	ev->ts = (long long)now;
	ev->state = j->state;
	ev->step = j->step;
	ev->object_key = j->object_key;
	ev->ticket_ref = j->ticket_ref;
	ev->ticket_ref_id = j->ticket_ref_id;
	ev->ticket_state = j->ticket_state;
}

/*
 * Builds the transfer: the connector's request, under the SSRF guard.
 * Returns 0, or -1 with why in err.
 */
static int
job_prepare(struct deliver *d, struct job *j, char *err, size_t errsz)
{
	struct conn_event	 ev;
	struct timespec		 rt;
	struct tm		 tm;
	char			 sec[24];

	clock_gettime(CLOCK_REALTIME, &rt);
	gmtime_r(&rt.tv_sec, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(j->started_at, sizeof(j->started_at), "%s.%06dZ", sec,
	    (int)(rt.tv_nsec / 1000) % 1000000);
	j->started_ms = now_ms();
	if (j->conn == NULL) {
		errf(err, errsz, "no connector for this integration's type");
		return -1;
	}
	if (j->config == NULL) {
		errf(err, errsz, "integration settings unavailable "
		    "(HOOKPOST_SECRET_KEY_FILE)");
		return -1;
	}
	if (!j->conn->payload_only && j->event == NULL &&
	    (j->event = json_loads(j->payload, 0, NULL)) == NULL) {
		errf(err, errsz, "the event is not JSON");
		return -1;
	}
	if (!j->conn->payload_only && j->state == NULL)
		j->state = json_object();
	job_event(j, &ev, rt.tv_sec);
	if (j->conn->render(&ev, &j->t.rq, err, errsz) == -1)
		return -1;
	if (conn_transfer_prepare(&j->t, j->t.rq.url != NULL ? j->t.rq.url :
	    j->url, cfg.allow_private, d->timeout_ms) == -1) {
		errf(err, errsz, "%s", j->t.errbuf);
		return -1;
	}
	curl_easy_setopt(j->t.h, CURLOPT_PRIVATE, j);
	return 0;
}

/* A ticket's reference, state and link, and the object it is for. */
static void
ticket_add(const struct job *j, json_t *r, const struct conn_result *cr)
{
	struct conn_event	 ev;
	char			 key[CONN_REF_MAX];

	job_event(j, &ev, time(NULL));
	json_object_set_new(r, "object_key", json_string(conn_object_key(&ev,
	    key, sizeof(key))));
	if (cr->ref_id[0] != '\0')
		json_object_set_new(r, "ref_id", json_string(cr->ref_id));
	if (cr->ref_url[0] != '\0')
		json_object_set_new(r, "ref_url", json_string(cr->ref_url));
	json_object_set_new(r, "ref_state", json_string(cr->ref_state[0] !=
	    '\0' ? cr->ref_state : "open"));
}

/*
 * Queues one result for the next batch write.  Its kind: sent when a
 * request of the try left on a connection, else not_sent; resends: how
 * many of them were libcurl's re-sends (each recorded cut_off).
 */
static void
result_add(struct deliver *d, struct job *j, long status, const char *error,
    const char *outcome, double delay_ms, const struct conn_result *cr)
{
	json_t		*r;

	r = json_pack("{s:s,s:s,s:i,s:f,s:s,s:s}", "id", j->id, "claim_id",
	    j->claim_id, "attempt", j->attempt, "response_ms", j->started_ms > 0 ?
	    now_ms() - j->started_ms : 0.0, "outcome", outcome, "kind",
	    j->requests > 0 ? "sent" : "not_sent");
	if (j->resends > 0)
		json_object_set_new(r, "resends", json_integer(j->resends));
	if (j->started_at[0] != '\0')
		json_object_set_new(r, "started_at", json_string(j->started_at));
	if (status > 0)
		json_object_set_new(r, "status_code", json_integer(status));
	/* What a service echoes of a secret is stored without it. */
	if (error != NULL && *error != '\0') {
		char	*e = conn_redact_new(j->conn, j->config, error);

		utf8_sanitize(e, strlen(e));
		json_object_set_new(r, "error", json_string(e));
		free(e);
	}
	if (j->t.resp.len > 0) {
		char	*b, *e;

		utf8_sanitize(j->t.resp.data, j->t.resp.len);
		b = xstrndup(j->t.resp.data, j->t.resp.len);
		e = conn_redact_new(j->conn, j->config, b);
		json_object_set_new(r, "body", json_string(e));
		free(e);
		free(b);
	}
	if (cr != NULL && cr->ref[0] != '\0') {
		json_object_set_new(r, "ref", json_string(cr->ref));
		/* One ticket per object: recorded under its key. */
		if (j->conn != NULL && j->conn->tickets)
			ticket_add(j, r, cr);
	}
	/*
	 * Due retry_in seconds (to the microsecond) after the result is
	 * written, so after the attempt ended: never early.
	 */
	if (strcmp(outcome, "retry") == 0)
		json_object_set_new(r, "retry_in", json_real(delay_ms / 1000.0));
	json_array_append_new(d->results, r);
}

/* The results connection broke or could not be made: closed, tried
 * again in a second. */
static void
rconn_failed(struct deliver *d, const char *why)
{
	log_error("database (results): %.*s", (int)strcspn(why, "\n"), why);
	PQfinish(d->rconn);
	d->rconn = NULL;
	d->rconn_retry_ms = now_ms() + 1000.0;
}

/*
 * The results connection, made as lib/db makes its own, LISTENing so
 * that a batch's own NOTIFY (it made more due at once) arrives with its
 * result.  NULL when it cannot be made (logged).
 */
static PGconn *
rconn_get(struct deliver *d)
{
	PGresult	*res;

	if (d->rconn != NULL)
		return d->rconn;
	d->rconn = PQconnectdb(cfg.database_url);
	if (PQstatus(d->rconn) != CONNECTION_OK) {
		rconn_failed(d, PQerrorMessage(d->rconn));
		return NULL;
	}
	res = PQexec(d->rconn, "LISTEN hookpost_delivery");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		rconn_failed(d, PQerrorMessage(d->rconn));
		return NULL;
	}
	PQclear(res);
	return d->rconn;
}

/*
 * Starts writing the pending results on the results connection: 0, or
 * -1 (they stay pending; the next try in a second).
 */
static int
finish_send(struct deliver *d)
{
	static const char sql[] = "SELECT hookpost.deliveries_finish($1)";
	const char	*p[1];
	char		*s;
	int		 rc;

	d->last_flush_ms = now_ms();
	if (rconn_get(d) == NULL)
		return -1;
	s = json_dumps(d->results, JSON_COMPACT);
	p[0] = s;
	rc = PQsendQueryParams(d->rconn, sql, 1, NULL, p, NULL, NULL, 0);
	free(s);
	if (!rc) {
		rconn_failed(d, PQerrorMessage(d->rconn));
		return -1;
	}
	d->finishing = d->results;
	d->results = json_array();
	d->n_releasing = d->n_released;
	d->n_released = 0;
	return 0;
}

/* After a failed statement the database is left alone for a second. */
static void
db_failed(struct deliver *d)
{
	d->db_retry_ms = now_ms() + 1000.0;
}

/* A batch written, or not: then it goes back to the pending results. */
static void
finish_done(struct deliver *d, PGresult *res)
{
	PGnotify	*nt;
	PGconn		*pc;

	if (res == NULL) {
		json_array_extend(d->results, d->finishing);
		d->n_released += d->n_releasing;
		d->rconn_retry_ms = now_ms() + 1000.0;
	} else if (d->n_releasing > 0)
		d->rewake = 1;
	else if (res != NULL && (pc = d->rconn) != NULL)
		while ((nt = PQnotifies(pc)) != NULL) {
			/*
			 * The batch made more due at once (sql/019: an
			 * object's next event, held back until this one was
			 * done), NOTIFY said so as it committed: claim again,
			 * even in a -1 run.
			 */
			PQfreemem(nt);
			d->rewake = 1;
		}
	d->n_releasing = 0;
	PQclear(res);
	json_decref(d->finishing);
	d->finishing = NULL;
}

/* Counts an attempt that ended, for claim_ahead(). */
static void
rate_count(struct deliver *d)
{
	double	 now = now_ms();

	if (now >= d->rate_ms + RATE_MS) {
		d->rate = now < d->rate_ms + 2 * RATE_MS ? d->rate_n : 0;
		d->rate_ms = now;
		d->rate_n = 0;
	}
	d->rate_n++;
}

/*
 * How many claimed deliveries to keep waiting for a slot, besides those
 * in flight: the concurrency, or what the worker sends in half a second
 * (by its rate over the last RATE_MS) if that is more, AHEAD_MAX at
 * most.  Claims are then large where deliveries are fast (issue 13: at
 * -c 16, claims of 30 cost the database twice as much per delivery as
 * claims of 200, and the transfers ran out of claimed deliveries while
 * a claim ran), and no bigger than -c where they are slow, so that
 * nothing waits in the queue near the end of its lease.
 */
static int
claim_ahead(const struct deliver *d)
{
	int	 ahead = now_ms() < d->rate_ms + 2 * RATE_MS ?
	    d->rate * (int)(500.0 / RATE_MS) : 0;

	if (ahead > AHEAD_MAX)
		ahead = AHEAD_MAX;
	return ahead > d->concurrency ? ahead : (int)d->concurrency;
}

/*
 * Records the outcome of an attempt, as its connector classified it (or
 * a refusal before sending: retried on the schedule).  The schedule,
 * its jitter and giving up are the worker's, whatever the connector.
 */
static void
job_done(struct deliver *d, struct job *j, long status,
    const struct conn_result *res)
{
	char		 err[CONN_REASON_MAX], *e;
	double		 delay_ms;

	/* A reason may quote what the service echoed: never a secret. */
	e = conn_redact_new(j->conn, j->config, res->reason);
	snprintf(err, sizeof(err), "%s", e);
	free(e);

	d->n_sent++;
	rate_count(d);
	switch (res->outcome) {
	case CONN_DELIVERED:
	case CONN_ASYNC:
		d->n_ok++;
		if (res->outcome == CONN_ASYNC)
			log_ids(LOG_LVL_INFO, JOB_IDS(j),
			    "webhook delivery %s accepted (HTTP %ld); "
			    "waiting for its callback", j->id, status);
		else
			log_ids(LOG_LVL_DEBUG, JOB_IDS(j),
			    "webhook delivery %s delivered (HTTP %ld)",
			    j->id, status);
		result_add(d, j, status, NULL, res->outcome == CONN_ASYNC ?
		    "async" : "delivered", 0, res);
		return;
	case CONN_GONE:
		log_ids(LOG_LVL_ERROR, JOB_IDS(j),
		    "webhook delivery %s failed: %s (Gone: subscription "
		    "%s disabled)", j->id, err, j->sub_id);
		result_add(d, j, status, err, "gone", 0, res);
		return;
	case CONN_FAILED:
		log_ids(LOG_LVL_ERROR, JOB_IDS(j),
		    "webhook delivery %s failed: %s (attempt %d; not "
		    "retried)", j->id, err, j->attempt);
		result_add(d, j, status, err, "failed", 0, res);
		return;
	case CONN_RETRY:
	case CONN_NEXT:		/* (job_finished sends the next request) */
		break;
	}
	if (j->attempt > j->nschedule) {
		log_ids(LOG_LVL_ERROR, JOB_IDS(j),
		    "webhook delivery %s failed: %s (attempt %d of %d; "
		    "giving up)", j->id, err, j->attempt, j->nschedule + 1);
		result_add(d, j, status, err, "failed", 0, res);
		return;
	}
	/*
	 * The step, or the service's Retry-After, or the connector's floor,
	 * made up to HOOKPOST_RETRY_JITTER percent longer so that a
	 * recovering endpoint isn't hit by every retry in step.
	 */
	delay_ms = worker_retry_delay_ms(j->schedule[j->attempt - 1],
	    res->delay, res->min_delay, cfg.retry_jitter,
	    (double)random() / ((double)RAND_MAX + 1.0));
	log_ids(LOG_LVL_ERROR, JOB_IDS(j),
	    "webhook delivery %s failed: %s (attempt %d of %d; next in "
	    "%.3f s)", j->id, err, j->attempt, j->nschedule + 1,
	    delay_ms / 1000.0);
	result_add(d, j, status, err, "retry", delay_ms, res);
}

/* An attempt that was not sent: retried on the schedule. */
static void
job_refused(struct deliver *d, struct job *j, const char *why)
{
	struct conn_result	 res;

	memset(&res, 0, sizeof(res));
	res.outcome = CONN_RETRY;
	res.delay = -1;
	snprintf(res.reason, sizeof(res.reason), "%s", why);
	job_done(d, j, 0, &res);
}

/*
 * A finished transfer, classified by its connector.  Returns 1 when the
 * connector asked for another request of the same attempt and it is on
 * its way (the job stays in flight), else 0 (the outcome is recorded).
 */
static int
job_finished(struct deliver *d, struct job *j, CURLcode cc)
{
	struct conn_event	 ev;
	struct conn_answer	 a;
	struct conn_result	 res;
	char			 err[CONN_REASON_MAX];
	long			 status;
	double			 left_ms;

	conn_transfer_answer(&j->t, cc, &a);
	status = a.status;
	j->requests += j->t.requests;
	if (j->t.requests > 1)
		j->resends += j->t.requests - 1;
	job_event(j, &ev, time(NULL));
	j->conn->classify(&ev, &a, &res);
	if (res.outcome != CONN_NEXT) {
		job_done(d, j, status, &res);
		return 0;
	}
	curl_multi_remove_handle(d->multi, j->t.h);
	conn_transfer_free(&j->t);
	if (++j->step >= CONN_STEPS_MAX) {
		job_refused(d, j, "more than " CONN_STEPS_STR " requests in one "
		    "attempt");
		return 0;
	}
	/*
	 * The next request must be over before the lease is: past it
	 * another worker may take the delivery over and run the same steps
	 * beside this one (a search finding nothing in both, two tickets).
	 * What is left of the lease, less a margin, bounds its timeout;
	 * with too little left, the attempt is retried instead.
	 */
	left_ms = (double)d->lease_s * 1000.0 - (now_ms() - j->claimed_ms) -
	    LEASE_MARGIN_MS;
	if (left_ms < LEASE_MARGIN_MS) {
		job_refused(d, j, "the lease would end before the attempt's "
		    "next request");
		return 0;
	}
	job_event(j, &ev, time(NULL));
	err[0] = '\0';
	if (j->conn->render(&ev, &j->t.rq, err, sizeof(err)) == -1 ||
	    conn_transfer_prepare(&j->t, j->t.rq.url != NULL ? j->t.rq.url :
	    j->url, cfg.allow_private, left_ms < (double)d->timeout_ms ?
	    (long)left_ms : d->timeout_ms) == -1) {
		job_refused(d, j, err[0] != '\0' ? err : j->t.errbuf);
		return 0;
	}
	curl_easy_setopt(j->t.h, CURLOPT_PRIVATE, j);
	curl_multi_add_handle(d->multi, j->t.h);
	return 1;
}


/* Starts claiming up to n due deliveries: 0 or -1. */
static int
claim_send(struct deliver *d, int n)
{
	static const char sql[] = "SELECT * FROM hookpost.deliveries_claim($1,"
	    " $2, $3)";
	const char	*p[3];
	char		 lim[16], lease[16];

	if (uuid_new(d->claim_id) == -1)
		return -1;
	snprintf(lim, sizeof(lim), "%d", n);
	snprintf(lease, sizeof(lease), "%ld", d->lease_s);
	p[0] = d->claim_id;
	p[1] = lim;
	p[2] = lease;
	if (db_send("deliveries_claim", sql, 3, p) == -1)
		return -1;
	d->claim_sent_at = time(NULL);
	d->claim_sent_ms = now_ms();
	d->op = OP_CLAIM;
	return 0;
}

/* The claimed deliveries into the wait queue: how many, or -1. */
static int
claim_done(struct deliver *d, PGresult *res)
{
	struct job	*j;
	int		 i, rows;

	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	for (i = 0; i < rows; i++) {
		j = xcalloc(1, sizeof(*j));
		snprintf(j->id, sizeof(j->id), "%s", PQgetvalue(res, i, 0));
		memcpy(j->claim_id, d->claim_id, sizeof(j->claim_id));
		j->claimed_at = d->claim_sent_at;
		j->claimed_ms = d->claim_sent_ms;
		j->attempt = (int)strtol(PQgetvalue(res, i, 1), NULL, 10);
		j->event_type = xstrdup(PQgetvalue(res, i, 2));
		snprintf(j->sub_id, sizeof(j->sub_id), "%s",
		    PQgetvalue(res, i, 3));
		j->payload = xstrdup(PQgetvalue(res, i, 4));
		j->url = xstrdup(PQgetvalue(res, i, 5));
		snprintf(j->event_id, sizeof(j->event_id), "%s",
		    PQgetvalue(res, i, 11));
		j->conn = connector_find(PQgetvalue(res, i, 12));
		/* A claim's rows are mostly one subscription's: its secrets
		 * and settings are opened once per claim, not once per
		 * delivery. */
		if (i > 0 && strcmp(j->sub_id, d->queue->sub_id) == 0) {
			j->secret = d->queue->secret ?
			    xstrdup(d->queue->secret) : NULL;
			j->prev_secret = d->queue->prev_secret ?
			    xstrdup(d->queue->prev_secret) : NULL;
			j->config = json_incref(d->queue->config);
		} else {
			if (!PQgetisnull(res, i, 6))
				j->secret = crypt_secret_open(
				    PQgetvalue(res, i, 6));
			if (!PQgetisnull(res, i, 7))
				j->prev_secret = crypt_secret_open(
				    PQgetvalue(res, i, 7));
			j->config = conn_config_open_new(PQgetvalue(res, i, 13),
			    db_get(res, i, 14));
		}
		parse_schedule(j, db_get(res, i, 8));
		j->object_key = db_dup(res, i, 15);
		j->ticket_ref = db_dup(res, i, 16);
		j->ticket_ref_id = db_dup(res, i, 17);
		j->ticket_state = db_dup(res, i, 18);
		j->max_concurrency = (int)strtol(PQgetvalue(res, i, 9), NULL, 10);
		if (j->max_concurrency < 1)
			j->max_concurrency = 1;
		j->cancelled = strcmp(PQgetvalue(res, i, 10), "active") != 0;
		j->next = d->queue;
		d->queue = j;
	}
	PQclear(res);
	return rows;
}

/*
 * seed 000: an async delivery waits for its receiver's callback
 * HOOKPOST_CALLBACK_TTL (4 hours) at most.  Each run fails the ones past
 * it, a batch at a time (sql/functions/deliveries.sql deliveries_expire,
 * which counts them), on the claims' connection once the first claim is
 * answered, so that the transfers don't wait for it.  Here rather than in
 * hookpost-cleanup, which runs hourly: this worker starts every minute,
 * so the deadline holds to the minute.  0, or -1 (logged).
 */
static int
expire_send(struct deliver *d)
{
	static const char sql[] = "SELECT id, subscription_id, error"
	    " FROM hookpost.deliveries_expire($1, $2)";
	const char	*p[2];
	char		 ttl[24], lim[16];

	snprintf(ttl, sizeof(ttl), "%ld", cfg.callback_ttl);
	snprintf(lim, sizeof(lim), "%d", EXPIRE_BATCH);
	p[0] = ttl;
	p[1] = lim;
	if (db_send("deliveries_expire", sql, 2, p) == -1)
		return -1;
	d->op = OP_EXPIRE;
	return 0;
}

/* Logs the deliveries a batch failed; a full batch asks for another.  A
 * failure is logged and left to the next run. */
static void
expire_done(struct deliver *d, PGresult *res)
{
	int	 i, n;

	d->expiring = 0;
	if (res == NULL)
		return;
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		log_ids(LOG_LVL_ERROR, (const char *const []){
		    "delivery_id", PQgetvalue(res, i, 0),
		    "subscription_id", PQgetvalue(res, i, 1), NULL },
		    "webhook delivery %s failed: %s (subscription %s)",
		    PQgetvalue(res, i, 0), PQgetvalue(res, i, 2),
		    PQgetvalue(res, i, 1));
	PQclear(res);
	if (n == EXPIRE_BATCH)
		d->expiring = 1;
}

/*
 * Takes the result of the statement in flight if it is there (wait: or
 * waits for it).  Returns 1 when a claim brought deliveries, 0, or -1
 * when a claim failed.
 */
static int
op_poll(struct deliver *d, int wait)
{
	enum op	 done = d->op;
	int	 got = 0;

	if (d->op == OP_NONE || (!wait && db_pending() == 1))
		return 0;
	d->op = OP_NONE;
	if (done == OP_EXPIRE)
		expire_done(d, db_receive());
	else if ((got = claim_done(d, db_receive())) > 0)
		got = 1;
	else if (got < 0)
		db_failed(d);
	return got;
}

/*
 * Takes the result of the batch of results in flight if it is there
 * (wait: or waits for it), and any NOTIFY that came on its connection
 * meanwhile (d->wake).
 */
static void
finish_poll(struct deliver *d, int wait)
{
	PGresult	*res, *more;
	PGnotify	*nt;

	if (d->rconn == NULL)
		return;
	if (!PQconsumeInput(d->rconn)) {
		rconn_failed(d, PQerrorMessage(d->rconn));
		if (d->finishing != NULL)
			finish_done(d, NULL);
		return;
	}
	if (d->finishing == NULL || (!wait && PQisBusy(d->rconn))) {
		while ((nt = PQnotifies(d->rconn)) != NULL) {
			d->wake = 1;
			PQfreemem(nt);
		}
		return;
	}
	res = PQgetResult(d->rconn);
	while ((more = PQgetResult(d->rconn)) != NULL)
		PQclear(more);
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		if (PQstatus(d->rconn) != CONNECTION_OK)
			rconn_failed(d, PQerrorMessage(d->rconn));
		else
			log_error("database (results): %.*s", (int)strcspn(
			    PQresultErrorMessage(res), "\n"),
			    PQresultErrorMessage(res));
		PQclear(res);
		res = NULL;
	}
	finish_done(d, res);
}

/*
 * Writes every pending result before the worker exits, trying for up to
 * ten seconds: a result not written leaves its delivery to be sent again
 * when its lease ends.  0 or -1.
 */
static int
finish_all(struct deliver *d)
{
	int	 tries;

	op_poll(d, 1);
	finish_poll(d, 1);
	for (tries = 0; json_array_size(d->results) > 0 && tries < 10;
	    tries++) {
		if (tries > 0) {
			sleep(1);
			d->rconn_retry_ms = 0;
		}
		if (finish_send(d) == 0)
			finish_poll(d, 1);
	}
	return json_array_size(d->results) == 0 ? 0 : -1;
}

/* Starts queued jobs whose subscription has a free slot. */
static int
start_jobs(struct deliver *d)
{
	struct job	**pp, *j;
	struct sub_slot	*s;
	char		 host[300], err[CONN_REASON_MAX];

	for (pp = &d->queue; *pp != NULL && d->inflight < d->concurrency; ) {
		j = *pp;
		if (time(NULL) - j->claimed_at >= d->lease_s - d->lease_s / 4) {
			/* Held back so long (max_concurrency) that its lease
			 * may end while it is sent: given back, uncounted,
			 * for the next claim. */
			*pp = j->next;
			result_add(d, j, 0, NULL, "released", 0, NULL);
			d->n_released++;
			job_free(d, j);
			continue;
		}
		if (j->cancelled) {
			*pp = j->next;
			log_ids(LOG_LVL_WARN, JOB_IDS(j),
			    "webhook delivery %s cancelled: subscription "
			    "%s is not active", j->id, j->sub_id);
			result_add(d, j, 0, "subscription is not active",
			    "cancelled", 0, NULL);
			job_free(d, j);
			continue;
		}
		s = slot_get(d, j->sub_id);
		if (s->inflight >= j->max_concurrency) {
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		log_ids(LOG_LVL_INFO, JOB_IDS(j),
		    "delivering webhook %s to %s (attempt %d)", j->id,
		    worker_url_host(j->url, host, sizeof(host)), j->attempt);
		if (job_prepare(d, j, err, sizeof(err)) == -1) {
			/* Refused by the SSRF guard or unbuildable: a failed
			 * attempt (logged by job_done), retried on the
			 * schedule. */
			job_refused(d, j, err);
			job_free(d, j);
			continue;
		}
		s->inflight++;
		if (++d->inflight > d->peak)
			d->peak = d->inflight;
		curl_multi_add_handle(d->multi, j->t.h);
	}
	return 0;
}

static int
queue_len(const struct job *q)
{
	int	 n = 0;

	for (; q != NULL; q = q->next)
		n++;
	return n;
}

static int
deliver_option(void *arg, int ch, const char *optarg)
{
	struct deliver	*d = arg;

	if (ch != 'c')
		return -1;
	return parse_int(optarg, 1, 4096, &d->concurrency);
}



static int
deliver_init(void *arg, struct worker_run *run)
{
	struct deliver	*d = arg;
	const char	*v;
	long long	 n;

	if ((v = cfg_get("HOOKPOST_DELIVERY_TIMEOUT_MS")) != NULL &&
	    parse_int(v, 100, 300000, &n) == 0)
		d->timeout_ms = (long)n;
	if ((v = cfg_get("HOOKPOST_DELIVERY_LEASE")) != NULL &&
	    parse_int(v, 1, 3600, &n) == 0)
		d->lease_s = (long)n;
#ifdef M_TRIM_THRESHOLD
	/*
	 * Every delivery allocates and frees its request, answer and result;
	 * glibc gave the freed top of the heap back to the kernel and took
	 * it again within milliseconds (brk and page faults, a tenth of the
	 * worker's system time at -c 16).  Kept instead, up to 16 MiB: the
	 * peak is the same, and what the worker holds at 256 in flight stays
	 * well under it (bench/README.md, worker RSS).
	 */
	mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
	mallopt(M_TOP_PAD, 1024 * 1024);
#endif
	d->expiring = 1;
	srandom((unsigned)(time(NULL) ^ getpid()));
	if ((d->multi = curl_multi_init()) == NULL) {
		log_error("libcurl initialisation failed");
		return -1;
	}
	curl_multi_setopt(d->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
	    (long)d->concurrency);
	d->results = json_array();
	d->wake = 1;
	d->last_flush_ms = now_ms();
	return 0;
}

/*
 * One turn of the worker: the statement in flight looked at, a claim or
 * a batch of results started, transfers moved and started, then a sleep
 * until something moves.  Runs on past SIGTERM and the deadline until
 * the transfers in hand are done (WORKER_DONE).
 */
static int
deliver_step(void *arg, struct worker_run *run)
{
	struct deliver		*d = arg;
	struct curl_waitfd	 wfd[2];
	struct job		*j;
	CURLMsg			*msg;
	PGnotify		*nt;
	PGconn			*pc;
	int			 got, running, left, db_ok, ahead;
	int			 need_claim, need_flush, nfd, ready;

	finish_poll(d, 0);
	if ((got = op_poll(d, 0)) > 0 || d->rewake)
		d->wake = 1;	/* more may be due: claim again */
	d->rewake = 0;
	db_ok = d->op == OP_NONE && now_ms() >= d->db_retry_ms;
	/* LISTEN again on a new connection (a reconnect loses it). */
	if (db_ok) {
		if ((got = worker_listen(run)) == 1)
			d->wake = 1;	/* what was missed meanwhile */
		else if (got == -1) {
			db_failed(d);
			db_ok = 0;
		}
	}
	left = queue_len(d->queue);
	ahead = claim_ahead(d);
	/*
	 * Claim ahead: keep up to concurrency + ahead leased, refilling
	 * when the waiting queue falls to half of ahead, so transfers
	 * never wait on a claim round trip.  Results are written in
	 * batches on their own connection; both run while the
	 * transfers go on.
	 */
	need_claim = !worker_stopping() && !worker_expired(run) &&
	    (d->wake || time(NULL) != d->last_claim) &&
	    left <= ahead / 2 &&
	    d->inflight + left < d->concurrency + ahead;
	need_flush = json_array_size(d->results) >= FLUSH_RESULTS ||
	    d->n_released > 0 ||
	    (json_array_size(d->results) > 0 &&
	    (now_ms() - d->last_flush_ms >= FLUSH_MS || d->inflight == 0));
	if (db_ok && need_claim && d->n_released == 0) {
		d->last_claim = time(NULL);
		d->wake = 0;
		if (claim_send(d, (int)d->concurrency + ahead - d->inflight -
		    left) == -1)
			db_failed(d);
	}
	/* Once the first claim is answered (or none will be), between
	 * claims. */
	if (db_ok && d->op == OP_NONE && d->expiring && (d->last_claim != 0 ||
	    worker_stopping() || worker_expired(run)) && expire_send(d) == -1) {
		d->expiring = 0;	/* logged; the next run tries again */
		db_failed(d);
	}
	if (need_flush && d->finishing == NULL &&
	    now_ms() >= d->rconn_retry_ms)
		finish_send(d);	/* kept if it fails: written next time */
	if (!worker_stopping())
		start_jobs(d);
	curl_multi_perform(d->multi, &running);
	while ((msg = curl_multi_info_read(d->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&j);
		if (job_finished(d, j, msg->data.result))
			continue;	/* its next request is on its way */
		slot_get(d, j->sub_id)->inflight--;
		d->inflight--;
		job_free(d, j);
	}
	/* Freed slots take the next waiting jobs at once. */
	if (!worker_stopping())
		start_jobs(d);
	/*
	 * A -1 run writes its results before it decides it is done: the
	 * batch may make more due at once (sql/019: an object's next event,
	 * held back until this one was done).
	 */
	if (d->inflight == 0 && d->queue == NULL && d->op == OP_NONE &&
	    d->finishing == NULL && !d->expiring &&
	    (worker_stopping() || worker_expired(run) ||
	    (run->once && !d->wake && json_array_size(d->results) == 0)))
		return WORKER_DONE;
	if (d->inflight == 0 && d->queue != NULL && worker_stopping()) {
		/* Claimed but unstarted: given back as they were, written
		 * by fini, due again at once and never mistaken for sends
		 * cut off (as their expired leases would be). */
		while ((j = d->queue) != NULL) {
			d->queue = j->next;
			result_add(d, j, 0, NULL, "released", 0, NULL);
			job_free(d, j);
		}
		return WORKER_DONE;
	}
	/*
	 * A NOTIFY read along with a query result waits in libpq:
	 * take it before sleeping.  The connection as it is: never
	 * a reconnect here, which would drop a statement in flight.
	 */
	pc = db_current();
	while (pc != NULL && (nt = PQnotifies(pc)) != NULL) {
		d->wake = 1;
		PQfreemem(nt);
	}
	/* Sleep until a transfer moves, the database answers, a
	 * NOTIFY arrives or 1 s, unless there is work now. */
	need_claim = !worker_stopping() && !worker_expired(run) && d->wake &&
	    queue_len(d->queue) <= ahead / 2;
	ready = (d->op != OP_NONE ? db_pending() != 1 :
	    now_ms() >= d->db_retry_ms && need_claim) ||
	    (d->finishing == NULL ? json_array_size(d->results) >=
	    FLUSH_RESULTS && now_ms() >= d->rconn_retry_ms :
	    PQconsumeInput(d->rconn) == 0 || !PQisBusy(d->rconn));
	if (!ready) {
		memset(wfd, 0, sizeof(wfd));
		nfd = 0;
		if (pc != NULL && PQsocket(pc) >= 0) {
			wfd[nfd].fd = PQsocket(pc);
			wfd[nfd++].events = CURL_WAIT_POLLIN;
		}
		if (d->rconn != NULL && PQsocket(d->rconn) >= 0) {
			wfd[nfd].fd = PQsocket(d->rconn);
			wfd[nfd++].events = CURL_WAIT_POLLIN;
		}
		curl_multi_poll(d->multi, wfd, nfd,
		    d->inflight > 0 || json_array_size(d->results) > 0 ?
		    (int)FLUSH_MS : 1000, NULL);
	}
	if (d->op == OP_NONE && pc != NULL && PQconsumeInput(pc) == 1)
		while ((nt = PQnotifies(pc)) != NULL) {
			d->wake = 1;
			PQfreemem(nt);
		}
	return WORKER_BUSY;
}

/* Writes what is pending (when the run ended as it should), then frees. */
static int
deliver_fini(void *arg, struct worker_run *run, int ok)
{
	struct deliver	*d = arg;
	struct job	*j;
	int		 rc = -1;

	if (ok) {
		if ((rc = finish_all(d)) == 0)
			log_info("deliver: %lld attempts, %lld succeeded, "
			    "%d in flight at most", d->n_sent, d->n_ok,
			    d->peak);
	}
	while ((j = d->queue) != NULL) {
		d->queue = j->next;
		job_free(d, j);
	}
	json_decref(d->results);
	json_decref(d->finishing);
	PQfinish(d->rconn);
	free(d->slots);
	curl_multi_cleanup(d->multi);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct worker w = {
		.name = "hookpost-deliver",
		.usage = "usage: hookpost-deliver [-1] [-c concurrency] "
		    "[-n lockname] [-t seconds]\n"
		    "  -1  deliver what is due now, then exit\n"
		    "  -c  transfers in flight at most (default 64)\n"
		    "  -n  name of the per-host lock (default: the host name)\n"
		    "  -t  claim for at most this long (default 55, for "
		    "cron)\n",
		.optstring = "c:",
		.flags = WORKER_ONCE | WORKER_DEADLINE | WORKER_LOCKNAME |
		    WORKER_DRAIN | WORKER_CURL,
		.lock = WORKER_LOCK_WAIT,
		.listen = "hookpost_delivery",
		.option = deliver_option,
		.init = deliver_init,
		.step = deliver_step,
		.fini = deliver_fini,
	};
	struct deliver	 d = { .concurrency = 64, .timeout_ms = 30000,
	    .lease_s = 120 };

	return worker_main(&w, &d, argc, argv);
}
