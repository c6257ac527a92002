#include <pthread.h>

#include "thr.h"

static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static int		 on;

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

void
thr_leave(void)
{
	if (on)
		pthread_mutex_unlock(&lock);
}

void
thr_wait(pthread_cond_t *c)
{
	if (on)
		pthread_cond_wait(c, &lock);
}
