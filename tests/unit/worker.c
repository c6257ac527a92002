/*
 * Unit tests of lib/worker: the common options and the worker's own as
 * the skeleton parses them (exit status 0 after -h, 1 on a bad option,
 * before any configuration or database work), and the deadline.  One
 * line per case, "ok - name" or "not ok - name"; exits 0 only when all
 * pass.  Usage texts go to stderr, as the workers write them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "util.h"
#include "worker.h"

struct opts {
	long long	 b;
	int		 calls;
};

static int
test_option(void *arg, int ch, const char *optarg)
{
	struct opts	*o = arg;

	o->calls++;
	if (ch == 't')		/* test-plain's own -t */
		return parse_int(optarg, 1, 36500, &o->b);
	if (ch != 'b')
		return -1;
	return parse_int(optarg, 1, 10, &o->b);
}

static int
test_step(void *arg, struct worker_run *run)
{
	check(0, "step() is never reached by these cases");
	return -1;
}

/* worker_main over the words of args (space-separated). */
static int
run(const struct worker *w, struct opts *o, const char *args)
{
	char	 buf[256], *argv[16], *p;
	int	 argc = 0;

	snprintf(buf, sizeof(buf), "%s", args);
	argv[argc++] = (char *)"test-worker";
	for (p = buf; *p != '\0' && argc < 15; ) {
		argv[argc++] = p;
		p += strcspn(p, " ");
		if (*p == ' ')
			*p++ = '\0';
	}
	argv[argc] = NULL;
	optind = 0;	/* glibc: a full reset between scans */
	memset(o, 0, sizeof(*o));
	return worker_main(w, o, argc, argv);
}

static void
test_options(void)
{
	static const struct worker w = {
		.name = "test-worker",
		.usage = "usage: test-worker [-1] [-b n] [-n lockname] "
		    "[-t seconds]\n",
		.optstring = "b:",
		.flags = WORKER_ONCE | WORKER_DEADLINE | WORKER_LOCKNAME,
		.option = test_option,
		.step = test_step,
	};
	static const struct worker plain = {
		.name = "test-plain",
		.usage = "usage: test-plain [-t days]\n",
		.optstring = "t:",
		.option = test_option,
		.step = test_step,
	};
	struct opts	 o;

	check(run(&w, &o, "-h") == 0 && o.calls == 0, "-h: usage, exit 0");
	check(run(&w, &o, "-x") == 1, "an unknown option: usage, exit 1");
	check(run(&w, &o, "-t") == 1, "-t without its argument: exit 1");
	check(run(&w, &o, "-t 0") == 1, "-t 0 is refused (1..3600)");
	check(run(&w, &o, "-t 3601") == 1, "-t 3601 is refused");
	check(run(&w, &o, "-t x") == 1, "-t x is refused");
	check(run(&w, &o, "-1 -t 3600 -n k -h") == 0 && o.calls == 0,
	    "-1, -t and -n are the skeleton's, not the worker's");
	check(run(&w, &o, "-b 5 -h") == 0 && o.calls == 1 && o.b == 5,
	    "the worker's own option reaches it with its argument");
	check(run(&w, &o, "-b 11") == 1 && o.calls == 1,
	    "the worker's refusal: usage, exit 1");
	check(run(&plain, &o, "-1") == 1,
	    "-1 is refused by a worker without WORKER_ONCE");
	check(run(&plain, &o, "-t 90 -h") == 0 && o.calls == 1 && o.b == 90,
	    "-t goes to a worker without WORKER_DEADLINE");
	check(run(&plain, &o, "-n k") == 1,
	    "-n is refused by a worker without WORKER_LOCKNAME");
}

static void
test_deadline(void)
{
	struct worker_run	 r;

	memset(&r, 0, sizeof(r));
	check(!worker_expired(&r), "no deadline never expires");
	r.deadline = time(NULL) + 60;
	check(!worker_expired(&r), "a deadline ahead has not expired");
	r.deadline = time(NULL) - 1;
	check(worker_expired(&r), "a deadline past has expired");
	check(!worker_stopping(), "not stopping without a signal");
}

/*
 * worker_url_host(): a log line names where a URL points and nothing
 * that may be a secret (userinfo, path, query).
 */
static void
test_url_host(void)
{
	static const struct {
		const char	*url, *want;
	} cases[] = {
		{ "https://hooks.example.com/services/T000/B000/XXXXSECRET",
		    "hooks.example.com" },
		{ "https://user:pass@example.com/h?token=secret", "example.com" },
		{ "http://127.0.0.1:8443/path", "127.0.0.1:8443" },
		{ "https://[2001:db8::1]:9000/x", "[2001:db8::1]:9000" },
		{ "not a url", "(bad URL)" },
	};
	char	 out[64];
	size_t	 i;

	for (i = 0; i < NITEMS(cases); i++)
		check(strcmp(worker_url_host(cases[i].url, out, sizeof(out)),
		    cases[i].want) == 0, "url host for a log line: %s "
		    "(got %s)", cases[i].want, out);
}

/*
 * worker_retry_delay_ms(): the retry delay in milliseconds, never
 * shorter than the step or Retry-After, its jitter only added and never
 * rounded to whole seconds (issue 12).
 */
static void
test_retry_delay(void)
{
	double	 d, lo = 1e9, hi = 0, r;
	int	 i, under = 0, whole = 0;

	check(worker_retry_delay_ms(60, -1, 0, 0, 0.7) == 60000.0,
	    "jitter 0: exactly the schedule's step");
	check(worker_retry_delay_ms(60, -1, 0, 20, 0.0) == 60000.0,
	    "r 0: the step itself");
	check(worker_retry_delay_ms(60, -1, 0, 20, 0.5) == 66000.0,
	    "jitter 20%%, r 0.5: 10%% later (66 s)");
	check(worker_retry_delay_ms(1, -1, 0, 20, 0.25) == 1050.0,
	    "a 1 s step takes its jitter too (1.05 s, not rounded to 1 s)");
	check(worker_retry_delay_ms(60, 2, 0, 0, 0.9) == 2000.0,
	    "Retry-After 2 replaces the step: 2.000 s");
	check(worker_retry_delay_ms(60, 2, 0, 20, 0.999) > 2000.0 &&
	    worker_retry_delay_ms(60, 2, 0, 20, 0.999) < 2400.0,
	    "Retry-After 2 with jitter: in (2.0, 2.4) s");
	check(worker_retry_delay_ms(60, 0, 0, 0, 0.5) == 0.0,
	    "Retry-After 0 (a connector's own): at once");
	check(worker_retry_delay_ms(1, -1, 60, 0, 0.5) == 60000.0,
	    "a connector's floor raises the step");
	check(worker_retry_delay_ms(1, 2, 60, 10, 0.5) == 63000.0,
	    "a connector's floor raises Retry-After, then the jitter adds");
	check(worker_retry_delay_ms(0, -1, 0, 20, 0.5) == 0.0,
	    "a 0 s step stays immediate");
	check(worker_retry_delay_ms(5, -1, 0, 20, 1.5) == 6000.0 &&
	    worker_retry_delay_ms(5, -1, 0, 20, -1) == 5000.0,
	    "r out of [0, 1) is clamped");
	/* The case: Retry-After 2 with the default jitter, 10,000
	 * draws: none under 2 s, spread over (2, 2.4) s, not whole. */
	srandom(12);
	for (i = 0; i < 10000; i++) {
		r = (double)random() / ((double)RAND_MAX + 1.0);
		d = worker_retry_delay_ms(30, 2, 0, 20, r);
		if (d < 2000.0)
			under++;
		if (d == 2000.0 || d == 3000.0)
			whole++;
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	check(under == 0 && lo >= 2000.0 && lo < 2010.0 && hi > 2390.0 &&
	    hi < 2400.0 && whole < 10, "Retry-After 2, jitter 20%%, 10000 "
	    "draws: none under 2 s, spread %.1f..%.1f ms", lo, hi);
}

int
main(void)
{
	test_options();
	test_deadline();
	test_url_host();
	test_retry_delay();
	return check_done();
}
