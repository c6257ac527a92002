#include <sys/types.h>
#include <sys/wait.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "pool.h"
#include "thr.h"
#include "util.h"

static pid_t	 supervisor;

static void
on_pool_term(int sig)
{
	signal(SIGTERM, SIG_IGN);
	kill(0, SIGTERM);
	_exit(sig == SIGTERM ? 0 : 1);
}

/*
 * One process of the pool: 0 in it, with the handlers it had before
 * pool_start() and the signals unblocked; its pid in the supervisor, -1
 * if fork failed.  SIGTERM and SIGINT stay blocked across fork, so that
 * neither reaches a new process while it still has the supervisor's
 * handler (which would end the whole pool).
 */
static pid_t
pool_fork(const struct sigaction *old_term, const struct sigaction *old_int,
    const sigset_t *old_mask)
{
	sigset_t	 block;
	pid_t		 pid;
	int		 saved;

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	if ((pid = fork()) == 0) {
		sigaction(SIGTERM, old_term, NULL);
		sigaction(SIGINT, old_int, NULL);
#ifdef __linux__
		/*
		 * A supervisor killed outright (SIGKILL) cannot end its pool,
		 * and a process left behind keeps the listening socket: when
		 * lighttpd starts the program again it first connects to the
		 * socket, finds it answered and spawns nothing, taking it for
		 * a server someone else runs, and the group stays down once
		 * those processes are gone.  They are killed with it (SIGKILL:
		 * a SIGTERM waits in accept until the next request comes).
		 */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != supervisor)
			raise(SIGKILL);
#endif
	}
	saved = errno;
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	errno = saved;
	return pid;
}

int
pool_start(int nproc)
{
	struct sigaction	 sa, old_term, old_int;
	sigset_t		 old_mask;
	pid_t			 pid;
	time_t			 window = 0, now;
	int			 i, started = 0, status, forked = 0;

	/*
	 * A web server that starts us (lighttpd's bin-path) leaves us in
	 * its own process group: kill(0, ...) must not reach it.
	 */
	if (getpgrp() != getpid() && setpgid(0, 0) == -1)
		return -1;
	supervisor = getpid();
	sigprocmask(SIG_SETMASK, NULL, &old_mask);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_pool_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGINT, &sa, &old_int);
	for (i = 0; i < nproc; i++) {
		if ((pid = pool_fork(&old_term, &old_int, &old_mask)) == 0)
			return 0;
		if (pid > 0)
			started++;
	}
	if (started == 0)
		return -1;
	for (;;) {
		if (wait(&status) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		/*
		 * At most a pool's worth of new processes a second: a pool
		 * killed at once is replaced at once, one whose processes
		 * die as they start is not replaced in a spin.
		 */
		if ((now = time(NULL)) != window) {
			window = now;
			forked = 0;
		}
		if (++forked > nproc)
			sleep(1);
		if (pool_fork(&old_term, &old_int, &old_mask) == 0)
			return 0;
	}
	return 1;
}

int
pool_options(int argc, char *argv[], const char **sockpath, long long *nproc,
    long long *nthreads)
{
	int	 ch;

	while ((ch = getopt(argc, argv, nthreads != NULL ? "n:s:t:" :
	    "n:s:")) != -1) {
		switch (ch) {
		case 's':
			*sockpath = optarg;
			break;
		case 'n':
			if (parse_int(optarg, 1, POOL_MAX, nproc) == -1)
				return -1;
			break;
		case 't':
			if (parse_int(optarg, 1, THR_MAX, nthreads) == -1)
				return -1;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

int
pool_listen(const char *sockpath, long long nproc, const char **why)
{
	int	 sock = 0;

	if (FCGX_Init() != 0) {
		*why = "FastCGI setup failed";
		return -1;
	}
	if (sockpath != NULL && (sock = FCGX_OpenSocket(sockpath, 1024)) < 0) {
		*why = "cannot listen on the socket";
		return -1;
	}
	if (sockpath == NULL && FCGX_IsCGI()) {
		*why = "run me under a FastCGI server";
		return -1;
	}
	if (nproc > 0) {
		switch (pool_start((int)nproc)) {
		case 0:
			break;
		case -1:
			*why = "cannot start the pool";
			return -1;
		default:
			return -2;
		}
	}
	return sock;
}
