/*
 * log: one line per message, "<ident>[<pid>]: <LEVEL>: <message>", on
 * stderr (which the web server, cron's mail or `make run`'s
 * var/log/cron.log keeps) or, when HOOKPOST_LOG_FILE names one, appended
 * to that file with a UTC time in front.  The level is upper case, so the
 * seed 000 operators' `grep "ERROR.*webhook"` finds the errors.  Log
 * once, where the cause is known (STYLE 7); never a secret, nor a URL
 * beyond its host.
 */
#ifndef HOOKPOST_LOG_H
#define HOOKPOST_LOG_H

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void	log_set_level(const char *name);
/* The program's name in each line ("hookpost" until set); kept, not copied. */
void	log_set_ident(const char *ident);
/*
 * Appends the lines to path from now on.  Returns 0, or -1 when it
 * cannot be opened (said on stderr, where the lines keep going).
 */
int	log_set_file(const char *path);
void	log_msg(enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_error(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
