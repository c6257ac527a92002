#include <pthread.h>

#include "thr.h"

static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static int		 on;
/* Threads to wake one at a time, as the lock is let go (thr_pass). */
static pthread_cond_t	*passing[THR_MAX];
static int		 npassing;

void
thr_init(void)
{
	on = 1;
}

int
thr_on(void)
{
	return on;
}

void
thr_enter(void)
{
	if (on)
		pthread_mutex_lock(&lock);
}

/* The next thread to wake, or NULL; the caller holds the lock. */
static pthread_cond_t *
thr_next(void)
{
	pthread_cond_t	*c;
	int		 i;

	if (npassing == 0)
		return NULL;
	c = passing[0];
	for (i = 1; i < npassing; i++)
		passing[i - 1] = passing[i];
	npassing--;
	return c;
}

void
thr_leave(void)
{
	pthread_cond_t	*c;

	if (!on)
		return;
	c = thr_next();
	pthread_mutex_unlock(&lock);
	if (c != NULL)
		pthread_cond_signal(c);
}

void
thr_wait(pthread_cond_t *c)
{
	pthread_cond_t	*next;

	if (!on)
		return;
	if ((next = thr_next()) != NULL)
		pthread_cond_signal(next);
	pthread_cond_wait(c, &lock);
}

void
thr_pass(pthread_cond_t *c)
{
	if (!on)
		return;
	if (npassing == THR_MAX) {
		pthread_cond_signal(c);
		return;
	}
	passing[npassing++] = c;
}

void
thr_unpass(pthread_cond_t *c)
{
	int	 i, j;

	for (i = j = 0; i < npassing; i++)
		if (passing[i] != c)
			passing[j++] = passing[i];
	npassing = j;
}
