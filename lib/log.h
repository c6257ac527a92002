/*
 * log: one line per message, "<ident>[<pid>]: <LEVEL>: <message>", on
 * stderr (which the web server, cron's mail or `make run`'s
 * var/log/cron.log keeps) or, when HOOKPOST_LOG_FILE names one, appended
 * to that file with a UTC time in front.  The level is upper case, so the
 * seed 000 operators' `grep "ERROR.*webhook"` finds the errors.  Log
 * once, where the cause is known (STYLE 7); never a secret, nor a URL
 * beyond its host.
 *
 * HOOKPOST_LOG_FORMAT=json (issue 12, for log shippers) makes each line
 * one JSON object instead, wherever it goes:
 *   {"time":"2026-01-02T03:04:05.678Z","level":"error",
 *    "program":"hookpost-deliver","pid":42,"message":"...",
 *    "delivery_id":"..."}
 * time is RFC 3339 UTC with milliseconds; the ids are those a log_ids()
 * call names.  Any byte is escaped (controls as \n or \u00XX, invalid
 * UTF-8 as \ufffd), so a record is always one line of valid JSON.
 */
#ifndef HOOKPOST_LOG_H
#define HOOKPOST_LOG_H

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
enum log_format { LOG_FMT_TEXT, LOG_FMT_JSON };

void	log_set_level(const char *name);
/* The program's name in each line ("hookpost" until set); kept, not copied. */
void	log_set_ident(const char *ident);
/*
 * Appends the lines to path from now on.  Returns 0, or -1 when it
 * cannot be opened (said on stderr, where the lines keep going).
 */
int	log_set_file(const char *path);
/*
 * "text" (the default) or "json", in any case; NULL or "" leaves it.
 * Returns 0, or -1 for any other name: the format becomes text and one
 * WARN line says so.
 */
int	log_set_format(const char *name);
void	log_msg(enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * log_msg with ids: ids is NULL or a NULL-terminated list of key, value
 * pairs ("delivery_id", id, ..., NULL), each a member of the JSON record
 * (a NULL value leaves its pair out).  The text format does not show
 * them: there the message names them as before.  Only ids, never a
 * secret.
 */
void	log_ids(enum log_level, const char *const *ids, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#define log_error(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
