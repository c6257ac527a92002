/*
 * pool: a fixed pool of FastCGI processes on one listening socket, and
 * its supervisor.  The supervisor starts them after the program's own
 * start-up (libraries loaded and relocated, configuration read), so
 * every process of the pool shares those pages with it instead of
 * making its own copy: a process started this way maps ~6 MiB, one that
 * the web server executes itself ~9 MiB (issue 13, bench/README.md).
 * Used by lib/srv.c for every handler and by bench/ for the references,
 * so that both run in the same kind of pool.
 */
#ifndef HOOKPOST_POOL_H
#define HOOKPOST_POOL_H

/* The largest pool a command line may ask for (-n). */
#define POOL_MAX	256

/*
 * Forks nproc processes (1 to POOL_MAX) that go on from this call to
 * serve the listening socket they inherit, and supervises them: one that
 * exits is replaced; SIGTERM or SIGINT to the supervisor ends them all
 * (it makes itself the leader of a process group of its own first, so
 * that this reaches the pool and nothing the web server runs beside
 * it).  Returns 0 in each process of the pool, with the signal handlers
 * it had before; in the supervisor, 1 once no process is left to wait
 * for, or -1 (errno set) when not even the first could be started.
 *
 * A pool process killed is replaced at once (a pool's worth a second at
 * most).  A supervisor killed outright (SIGKILL) takes its processes with
 * it (PR_SET_PDEATHSIG), so none is left holding the socket; lighttpd
 * 1.4.69 then does not always start the program again (when the
 * supervisor is reaped before the requests it had in flight end, its
 * backend state loses the pid), and the group answers 503 until the
 * server restarts: a known limit (issue 13's note).
 */
int	pool_start(int nproc);

/*
 * The options of a pooled program: -s SOCKET (a listening socket of its
 * own), -n PROCESSES (1 to POOL_MAX) and, if nthreads is not NULL,
 * -t THREADS per process (1 to THR_MAX, lib/thr.h).  Returns 0, or -1 on
 * a bad or unknown option (the caller prints its usage).
 */
int	pool_options(int argc, char *argv[], const char **sockpath,
	    long long *nproc, long long *nthreads);

/*
 * FastCGI on sockpath (NULL: the web server's socket, fd 0) and, if
 * nproc, the pool started: the socket each serving process goes on
 * with; -2 in a supervisor whose pool has ended; -1 with *why set when
 * it cannot (the caller says so and exits).
 */
int	pool_listen(const char *sockpath, long long nproc, const char **why);

#endif
