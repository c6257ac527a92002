/*
 * The refusal spool (lib/refused.h).  One line per refusal, "<unix time>
 * <program>\n", appended under an exclusive flock(2) by whichever handler
 * process refused; GET /metrics takes the same lock, adds the number of
 * lines to the counter in one statement, and empties the file only if
 * that statement committed.  A fold that dies between the two counts
 * those lines again at the next scrape: the one window where the counter
 * can run ahead, never behind.
 *
 * Bounded: past REFUSED_MAX bytes, and when the lock stays taken for
 * 100 ms (a fold waiting on a hung database), a refusal is not written
 * (logged), so a handler never grows the file without end nor waits on
 * it.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "refused.h"

static const char *
spool_path(void)
{
	const char	*p;

	p = cfg_get("HOOKPOST_REFUSED_FILE");
	return p != NULL && *p != '\0' ? p : NULL;
}

/* An exclusive lock within about 100 ms: 0, or -1. */
static int
spool_lock(int fd)
{
	int	 i;

	for (i = 0; i < 50; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		usleep(2000);
	}
	return -1;
}

void
refused_note(const char *prog)
{
	const char	*path;
	char		 line[128];
	struct stat	 st;
	int		 fd = -1, n;

	if ((path = spool_path()) == NULL)
		goto out;
	n = snprintf(line, sizeof(line), "%lld %s\n", (long long)time(NULL),
	    prog);
	if (n < 0 || (size_t)n >= sizeof(line))
		goto out;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		log_warn("%s: %s: refusal not counted", path, strerror(errno));
	else if (spool_lock(fd) == -1)
		log_warn("%s: locked: refusal not counted", path);
	else if (fstat(fd, &st) == -1 || st.st_size + n > REFUSED_MAX)
		log_warn("%s: full: refusal not counted", path);
	else if (write(fd, line, (size_t)n) != n)
		log_warn("%s: %s: refusal not counted", path, strerror(errno));
out:
	if (fd != -1)
		close(fd);	/* and the lock with it */
}

long
refused_fold(void)
{
	static const char sql[] = "INSERT INTO hookpost.metric_counters AS c"
	    " (metric, labels, shard, value) VALUES"
	    " ('hookpost_requests_refused_total', 'code=\"unavailable\"', 0,"
	    " $1::bigint) ON CONFLICT (metric, labels, shard)"
	    " DO UPDATE SET value = c.value + excluded.value";
	const char	*path, *p[1];
	char		 buf[8192], num[24];
	PGresult	*res;
	ssize_t		 got, i;
	long		 lines = 0, rc = -1;
	int		 fd = -1;

	if ((path = spool_path()) == NULL) {
		rc = 0;
		goto out;
	}
	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			rc = 0;
		else
			log_warn("%s: %s", path, strerror(errno));
		goto out;
	}
	if (spool_lock(fd) == -1)
		goto out;
	while ((got = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < got; i++)
			if (buf[i] == '\n')
				lines++;
	if (lines == 0) {
		rc = 0;
		goto out;
	}
	snprintf(num, sizeof(num), "%ld", lines);
	p[0] = num;
	if ((res = db_exec("refused_fold", sql, 1, p)) == NULL)
		goto out;	/* kept for the next scrape */
	PQclear(res);
	if (ftruncate(fd, 0) == -1)
		log_warn("%s: %s: folded refusals not removed (counted "
		    "again next time)", path, strerror(errno));
	log_info("%ld requests refused while the database was unreachable "
	    "(%s) folded into hookpost_requests_refused_total", lines, path);
	rc = lines;
out:
	if (fd != -1)
		close(fd);	/* and the lock with it */
	return rc;
}
