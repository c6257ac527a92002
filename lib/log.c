#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

static enum log_level	 log_level = LOG_LVL_INFO;
static const char	*const log_names[] = { "error", "warn", "info", "debug" };

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
log_msg(enum log_level level, const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write(2) per line so lines of concurrent processes don't mix. */
	dprintf(STDERR_FILENO, "hookpost[%d]: %s: %s\n", (int)getpid(),
	    log_names[level], line);
}
