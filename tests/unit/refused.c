/*
 * Unit tests of lib/refused's writer (issue 12): each refusal of a
 * database outage is one line "<unix time> <program>" appended to
 * HOOKPOST_REFUSED_FILE, created mode 0600; nothing is written when the
 * setting is unset, when the file would pass REFUSED_MAX, or when it is
 * a symbolic link.  The fold (GET /metrics) needs the database:
 * tests/faults/40_pg_outage.sh.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "check.h"
#include "log.h"
#include "refused.h"

static char	 dir[] = "/tmp/hookpost-test-refused.XXXXXX";

/* The file's bytes, NUL-terminated, into out; its length, -1 if none. */
static long
slurp(const char *path, char *out, size_t outsz)
{
	ssize_t	 n;
	int	 fd;

	out[0] = '\0';
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, out, outsz - 1);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
	return n;
}

int
main(void)
{
	char		 path[128], link[128], got[256], want[256];
	struct stat	 st;
	long long	 t;
	int		 fd, ok;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/refused", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	setenv("HOOKPOST_LOG_FILE", "/dev/null", 1);

	unsetenv("HOOKPOST_REFUSED_FILE");
	cfg_load();
	refused_note("sources");
	check(slurp(path, got, sizeof(got)) == -1,
	    "unset: nothing is written");

	setenv("HOOKPOST_REFUSED_FILE", path, 1);
	cfg_load();
	t = (long long)time(NULL);
	refused_note("sources");
	refused_note("triggers");
	slurp(path, got, sizeof(got));
	snprintf(want, sizeof(want), "%lld sources\n%lld triggers\n", t, t);
	ok = strcmp(got, want) == 0;
	if (!ok) {	/* the second may have turned */
		snprintf(want, sizeof(want), "%lld sources\n%lld triggers\n",
		    t, t + 1);
		ok = strcmp(got, want) == 0;
	}
	check(ok, "one line \"<time> <program>\" per refusal, appended");
	check(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "the spool is created mode 0600");

	/* Full: a refusal that would pass REFUSED_MAX is not written. */
	if ((fd = open(path, O_WRONLY | O_TRUNC)) != -1) {
		if (ftruncate(fd, REFUSED_MAX - 4) == -1)
			return 1;
		close(fd);
	}
	refused_note("sources");
	check(stat(path, &st) == 0 && st.st_size == REFUSED_MAX - 4,
	    "a full spool (REFUSED_MAX) takes no more lines");

	/* A symbolic link in its place is not followed. */
	unlink(path);
	if (symlink(path, link) == -1)
		return 1;
	setenv("HOOKPOST_REFUSED_FILE", link, 1);
	cfg_load();
	refused_note("sources");
	check(slurp(path, got, sizeof(got)) == -1,
	    "a symbolic link is not followed");

	unlink(link);
	rmdir(dir);
	return check_done();
}
