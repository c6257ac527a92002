/*
 * worker: the cron workers' skeleton.  The order of a run: options,
 * signals, configuration, deadline, libcurl, host lock, the worker's
 * init, LISTEN, then step() until it is done, the deadline passes or a
 * signal comes (a WORKER_DRAIN worker decides that itself), then fini.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "util.h"
#include "worker.h"

#define WORKER_SECONDS	55	/* cron starts each worker every minute */
#define WORKER_WAIT_MS	1000	/* an idle worker looks again after 1 s */

static volatile sig_atomic_t	 stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int
worker_stopping(void)
{
	return stop != 0;
}

int
worker_expired(const struct worker_run *r)
{
	return r->deadline != 0 && time(NULL) >= r->deadline;
}

int
worker_listen(struct worker_run *r)
{
	char	*sql;
	int	 rc;

	if (r->channel == NULL ||
	    (r->listening != 0 && db_generation() == r->listening))
		return 0;
	sql = xasprintf("LISTEN %s", r->channel);
	rc = db_command(sql);
	free(sql);
	if (rc == -1)
		return -1;
	r->listening = db_generation();
	return 1;
}

double
worker_retry_delay_ms(long step_s, long retry_after_s, long min_delay_s,
    int jitter_pct, double r)
{
	double	 base_ms;

	base_ms = 1000.0 * (double)(retry_after_s >= 0 ? retry_after_s :
	    step_s);
	if (base_ms < 1000.0 * (double)min_delay_s)
		base_ms = 1000.0 * (double)min_delay_s;
	if (base_ms < 0.0)
		base_ms = 0.0;
	if (jitter_pct <= 0 || !(r > 0.0))	/* also a NaN */
		return base_ms;
	if (r >= 1.0)
		r = 1.0;
	return base_ms + base_ms * (double)jitter_pct / 100.0 * r;
}

/*
 * The per-host lock: a session advisory lock on "<worker>/<name>".
 * Returns 1 when held, 0 when another instance holds it, -1.
 */
static int
worker_lock_host(const struct worker *w, struct worker_run *r)
{
	static const char sql[] = "SELECT pg_try_advisory_lock("
	    "hashtextextended($1::text || '/' || $2::text, 0))";
	const char	*p[2];
	PGresult	*res;
	time_t		 until;
	int		 got;

	p[0] = w->name;
	p[1] = r->lock_name;
	until = time(NULL);
	if (w->lock == WORKER_LOCK_WAIT && !r->once)
		until += r->seconds - 5;
	for (;;) {
		if ((res = db_exec("worker_lock", sql, 2, p)) == NULL)
			return -1;
		got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		PQclear(res);
		if (got)
			return 1;
		/* The previous run is draining: wait for it, leave no gap. */
		if (w->lock == WORKER_LOCK_TRY || time(NULL) >= until || stop)
			return 0;
		sleep(1);
	}
}

/* Parses the options into r: 0, 1 after -h, or -1 (usage given). */
static int
worker_options(const struct worker *w, void *ctx, struct worker_run *r,
    int argc, char *argv[])
{
	char		 opts[64];
	long long	 seconds;
	int		 ch;

	snprintf(opts, sizeof(opts), "%s%s%sh%s",
	    w->flags & WORKER_ONCE ? "1" : "",
	    w->flags & WORKER_DEADLINE ? "t:" : "",
	    w->flags & WORKER_LOCKNAME ? "n:" : "",
	    w->optstring != NULL ? w->optstring : "");
	while ((ch = getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case '1':
			if (w->flags & WORKER_ONCE) {
				r->once = 1;
				continue;
			}
			break;
		case 't':
			if (w->flags & WORKER_DEADLINE) {
				if (parse_int(optarg, 1, 3600, &seconds) == -1)
					goto usage;
				r->seconds = seconds;
				continue;
			}
			break;
		case 'n':
			if (w->flags & WORKER_LOCKNAME) {
				r->lock_name = optarg;
				continue;
			}
			break;
		case 'h':
			fputs(w->usage, stderr);
			return 1;
		case '?':
			goto usage;
		}
		if (w->option == NULL || w->option(ctx, ch, optarg) == -1)
			goto usage;
	}
	return 0;
usage:
	fputs(w->usage, stderr);
	return -1;
}

int
worker_main(const struct worker *w, void *ctx, int argc, char *argv[])
{
	struct worker_run	 r;
	int			 rc = 1, got, curl = 0, inited = 0, ok = 0;

	memset(&r, 0, sizeof(r));
	r.seconds = WORKER_SECONDS;
	/* Its lines say which worker wrote them: "hookpost-deliver[pid]". */
	log_set_ident(w->name);
	if ((got = worker_options(w, ctx, &r, argc, argv)) != 0) {
		rc = got == 1 ? 0 : 1;
		goto out;
	}
	if (w->flags & WORKER_DEADLINE) {
		signal(SIGTERM, on_term);
		signal(SIGINT, on_term);
	}
	if (w->flags & WORKER_CURL)
		signal(SIGPIPE, SIG_IGN);
	if (cfg_load() == -1)
		goto out;
	if (w->flags & WORKER_DEADLINE)
		r.deadline = time(NULL) + r.seconds;
	if (w->flags & WORKER_CURL) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
			log_error("libcurl initialisation failed");
			goto out;
		}
		curl = 1;
	}
	if (w->lock != WORKER_LOCK_NONE) {
		if (r.lock_name == NULL) {
			if (gethostname(r.host, sizeof(r.host)) == -1)
				snprintf(r.host, sizeof(r.host), "localhost");
			r.lock_name = r.host;
		}
		if ((got = worker_lock_host(w, &r)) <= 0) {
			if (got == 0) {
				log_info("another %s holds the lock for %s; "
				    "exiting", w->name, r.lock_name);
				rc = 0;
			}
			goto out;
		}
	}
	if (w->init != NULL && w->init(ctx, &r) == -1)
		goto out;
	inited = 1;
	r.channel = w->listen;
	if (worker_listen(&r) == -1)
		goto out;
	for (;;) {
		if (!(w->flags & WORKER_DRAIN) &&
		    (stop || worker_expired(&r)))
			break;
		if ((got = w->step(ctx, &r)) == -1)
			goto out;
		if (got == WORKER_DONE || (got == WORKER_IDLE && r.once))
			break;
		if (got == WORKER_IDLE && !stop && !worker_expired(&r))
			db_wait_notify(WORKER_WAIT_MS);
	}
	ok = 1;
	rc = 0;
out:
	if (inited && w->fini != NULL && w->fini(ctx, &r, ok) == -1)
		rc = 1;
	if (curl)
		curl_global_cleanup();
	db_close();
	return rc;
}

const char *
worker_url_host(const char *url, char *out, size_t outsz)
{
	CURLU	*u;
	char	*host = NULL, *port = NULL;

	snprintf(out, outsz, "(bad URL)");
	if ((u = curl_url()) == NULL)
		return out;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
			snprintf(out, outsz, "%s:%s", host, port);
		else
			snprintf(out, outsz, "%s", host);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}
