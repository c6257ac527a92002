/*
 * thr: the threads of one handler process take turns.  One at a time
 * runs handler code, holding the process lock; a thread lets go of it
 * only to wait: for a request (lib/srv.c), for its client, for the
 * database (lib/db.c's group commit).  So the code written for one
 * request at a time (the caches, the connection, lib/'s state) stays as
 * it is, and the threads serve one purpose: several requests in hand at
 * once, whose writes db_group() then makes in one pipeline and one
 * commit (issue 13).  The processes of a pool, not its threads, are what
 * runs on several cores.
 *
 * Until thr_init() the calls below do nothing: a single-threaded program
 * (the workers, plain CGI, a pool of -t 1) never takes the lock.
 */
#ifndef HOOKPOST_THR_H
#define HOOKPOST_THR_H

#include <pthread.h>

/* The most threads a process may run (-t). */
#define THR_MAX		64

/* From now on the lock is taken: before the first thread is made. */
void	thr_init(void);
/* 1 once thr_init() ran. */
int	thr_on(void);
void	thr_enter(void);
void	thr_leave(void);
/* pthread_cond_wait on the process lock (which the caller holds). */
void	thr_wait(pthread_cond_t *);
/*
 * Wakes the thread waiting on c once the lock is let go (thr_leave,
 * thr_wait), one such thread at each letting go, in order: woken all at
 * once, they would each wake only to wait for the lock again (a context
 * switch and two futex calls more apiece).  A waiter's c must outlive the
 * process (a thread's own), and it must wait in a loop on its condition:
 * a signal may come after it went on by itself.  thr_unpass: c's thread
 * went on by itself, so is no longer to wake.  The caller holds the lock.
 */
void	thr_pass(pthread_cond_t *c);
void	thr_unpass(pthread_cond_t *c);

#endif
