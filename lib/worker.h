/*
 * worker: the one skeleton of the cron workers (STYLE 4), as lib/srv is
 * the handlers'.  It parses the common options, catches SIGTERM and
 * SIGINT, loads the configuration, sets the deadline, takes the per-host
 * lock, LISTENs, and calls the worker's step() until there is nothing
 * left to do; a worker implements only its options and its step.
 *
 * Exit status (every worker): 0 when the run ended as it should (also
 * when another instance holds the host lock, or after -h); 1 on a bad
 * option, a configuration or database failure.
 */
#ifndef HOOKPOST_WORKER_H
#define HOOKPOST_WORKER_H

#include <stddef.h>
#include <time.h>

/* What a step() returns (or -1: a failure, the worker exits 1). */
#define WORKER_IDLE	0	/* nothing due: wait for a NOTIFY or 1 s */
#define WORKER_BUSY	1	/* more may be due: step again at once */
#define WORKER_DONE	2	/* finished: the worker exits 0 */

/* The common options a worker takes, and what the skeleton does. */
#define WORKER_ONCE	0x01	/* -1: do what is due now, then exit */
#define WORKER_DEADLINE	0x02	/* -t seconds (1..3600, default 55): run for
				 * at most this long; SIGTERM and SIGINT end
				 * the run after the step in hand */
#define WORKER_LOCKNAME	0x04	/* -n name: the host lock's name */
#define WORKER_DRAIN	0x08	/* step() runs on past SIGTERM and the
				 * deadline until it returns WORKER_DONE */
#define WORKER_CURL	0x10	/* libcurl initialised; SIGPIPE ignored */

enum worker_lock {
	WORKER_LOCK_NONE,	/* any number may run at once */
	WORKER_LOCK_TRY,	/* one per host: a second one exits 0 */
	WORKER_LOCK_WAIT	/* one per host: a second one waits up to
				 * -t less 5 s (not under -1) for the first
				 * to drain, so that cron leaves no gap */
};

/* The run, as the skeleton set it up; steps read it. */
struct worker_run {
	int		 once;		/* -1 */
	long long	 seconds;	/* -t */
	time_t		 deadline;	/* 0: none */
	const char	*lock_name;	/* -n, or the host name */
	const char	*channel;	/* LISTENed to, or NULL */
	unsigned long	 listening;	/* db_generation() of the LISTEN */
	char		 host[256];
};

struct worker {
	const char	*name;		/* "hookpost-deliver": lock, logs */
	const char	*usage;		/* the whole usage text */
	const char	*optstring;	/* the worker's own getopt letters */
	int		 flags;		/* WORKER_ONCE ... */
	enum worker_lock lock;
	const char	*listen;	/* the NOTIFY channel, or NULL */
	/* Its own option ch with its argument: 0, or -1 (usage, exit 1). */
	int		(*option)(void *ctx, int ch, const char *arg);
	/* Once config is loaded and the lock held: 0, or -1 (exit 1). */
	int		(*init)(void *ctx, struct worker_run *);
	int		(*step)(void *ctx, struct worker_run *);
	/*
	 * Last, whenever init succeeded; ok is 0 after a failure.  Frees
	 * the worker's state.  Returns 0, or -1 (exit 1).
	 */
	int		(*fini)(void *ctx, struct worker_run *, int ok);
};

/* Runs the worker over ctx.  Returns the process exit status. */
int	worker_main(const struct worker *, void *ctx, int argc, char *argv[]);


/*
 * Where a URL points, for a log line: its host and any explicit port
 * ("hooks.example.com", "[::1]:8443") into out, never its userinfo, path
 * or query, which may hold a secret (a Slack webhook's path does).
 * "(bad URL)" when it cannot be parsed.  Returns out.
 */
const char	*worker_url_host(const char *url, char *out, size_t outsz);
/* 1 once SIGTERM or SIGINT came: start nothing new. */
int	worker_stopping(void);
/* 1 once the run's deadline has passed. */
int	worker_expired(const struct worker_run *);
/*
 * LISTENs to the run's channel on the current connection unless already
 * done there (a reconnect loses LISTENs).  Returns 1 when it just did (a
 * NOTIFY may have been missed meanwhile: look for work), 0 when nothing
 * was needed, -1 when the statement failed (logged).
 */
int	worker_listen(struct worker_run *);

/*
 * The delay before a retry, in milliseconds: base_s (the schedule's step,
 * or the service's Retry-After when retry_after_s >= 0), raised to
 * min_delay_s (a connector's floor), then made up to jitter_pct percent
 * longer by r (uniform in [0, 1)), so that retries of many deliveries
 * don't come in step.  Never shorter than that base: the jitter only
 * adds, and nothing is rounded to whole seconds (issue 12: retries came
 * up to a second early; 1 s steps had no jitter).
 */
double	worker_retry_delay_ms(long step_s, long retry_after_s,
	    long min_delay_s, int jitter_pct, double r);

#endif
