#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_level	 log_level = LOG_LVL_INFO;
static const char	*log_ident = "hookpost";
static int		 log_fd = STDERR_FILENO;
static const char	*const log_names[] = { "ERROR", "WARN", "INFO",
    "DEBUG" };

void
log_set_level(const char *name)
{
	size_t	 i;

	if (name == NULL)
		return;
	for (i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
		if (strcasecmp(name, log_names[i]) == 0)
			log_level = (enum log_level)i;
}

void
log_set_ident(const char *ident)
{
	if (ident != NULL && *ident != '\0')
		log_ident = ident;
}

int
log_set_file(const char *path)
{
	int	 fd;

	if (path == NULL || *path == '\0')
		return 0;
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) == -1) {
		log_error("log file %s: %s", path, strerror(errno));
		return -1;
	}
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = fd;
	return 0;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	char		 line[1024], when[32], *p;
	struct timespec	 ts;
	struct tm	 tm;
	va_list		 ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One message, one line: what a remote sent cannot forge another. */
	for (p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	when[0] = '\0';
	if (log_fd != STDERR_FILENO) {
		/* A file has no one else to stamp its lines. */
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(when + strlen(when), sizeof(when) - strlen(when),
		    ".%03ldZ ", ts.tv_nsec / 1000000);
	}
	/*
	 * One write(2) per line (O_APPEND for a file), so that the lines
	 * of concurrent processes don't mix.
	 */
	dprintf(log_fd, "%s%s[%d]: %s: %s\n", when, log_ident, (int)getpid(),
	    log_names[level], line);
}
