#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

/* A JSON record: the message (1 KiB) escaped at worst 6 bytes a byte. */
#define LOG_JSON_MAX	8192
/* What a record's end needs: '"', '}', newline, NUL. */
#define LOG_JSON_TAIL	4

static enum log_level	 log_level = LOG_LVL_INFO;
static const char	*log_ident = "hookpost";
static int		 log_fd = STDERR_FILENO;
static enum log_format	 log_format = LOG_FMT_TEXT;
static const char	*const log_names[] = { "ERROR", "WARN", "INFO",
    "DEBUG" };
/* JSON's level names: lower case, as log shippers expect them. */
static const char	*const log_json_names[] = { "error", "warn", "info",
    "debug" };

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

int
log_set_format(const char *name)
{
	if (name == NULL || *name == '\0')
		return 0;
	if (strcasecmp(name, "json") == 0) {
		log_format = LOG_FMT_JSON;
		return 0;
	}
	log_format = LOG_FMT_TEXT;
	if (strcasecmp(name, "text") == 0)
		return 0;
	log_warn("config HOOKPOST_LOG_FORMAT: unknown format; using text");
	return -1;
}

/* Appends to b[*len..sz) what fits, keeping b NUL-terminated. */
static void
put(char *b, size_t *len, size_t sz, const char *s, size_t n)
{
	if (*len + n >= sz)
		n = sz - 1 - *len;
	memcpy(b + *len, s, n);
	*len += n;
	b[*len] = '\0';
}

/*
 * s as a JSON string, quotes included (RFC 8259 7): '"', '\\' and
 * every control character escaped, DEL too; a byte that starts no
 * well-formed UTF-8 sequence becomes U+FFFD.  What would not fit before
 * the record's end (LOG_JSON_TAIL) is left out.
 */
static void
put_json_string(char *b, size_t *len, size_t sz, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = strlen(s), i = 0, k;
	char			 esc[8];
	const char		*e;

	put(b, len, sz, "\"", 1);
	while (i < n && *len + 6 + LOG_JSON_TAIL < sz) {
		e = NULL;
		switch (p[i]) {
		case '"':	e = "\\\""; break;
		case '\\':	e = "\\\\"; break;
		case '\n':	e = "\\n"; break;
		case '\r':	e = "\\r"; break;
		case '\t':	e = "\\t"; break;
		}
		if (e != NULL) {
			put(b, len, sz, e, 2);
			i++;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", p[i]);
			put(b, len, sz, esc, 6);
			i++;
		} else if ((k = utf8_seq_len(p + i, n - i)) == 0) {
			put(b, len, sz, "\\ufffd", 6);
			i++;
		} else {
			put(b, len, sz, (const char *)p + i, k);
			i += k;
		}
	}
	put(b, len, sz, "\"", 1);
}

/* Writes one JSON record (issue 12) of the message line. */
static void
log_json(enum log_level level, const char *const *ids, const char *when,
    const char *line)
{
	char	 rec[LOG_JSON_MAX], num[48];
	size_t	 len = 0;
	ssize_t	 written;

	put(rec, &len, sizeof(rec), "{\"time\":\"", 9);
	put(rec, &len, sizeof(rec), when, strlen(when));
	put(rec, &len, sizeof(rec), "\",\"level\":\"", 11);
	put(rec, &len, sizeof(rec), log_json_names[level],
	    strlen(log_json_names[level]));
	put(rec, &len, sizeof(rec), "\",\"program\":", 12);
	put_json_string(rec, &len, sizeof(rec), log_ident);
	snprintf(num, sizeof(num), ",\"pid\":%d,\"message\":", (int)getpid());
	put(rec, &len, sizeof(rec), num, strlen(num));
	put_json_string(rec, &len, sizeof(rec), line);
	for (; ids != NULL && ids[0] != NULL; ids += 2) {
		/* Whole or not at all: the record stays valid. */
		if (ids[1] == NULL || len + 6 * (strlen(ids[0]) +
		    strlen(ids[1])) + 8 + LOG_JSON_TAIL >= sizeof(rec))
			continue;
		put(rec, &len, sizeof(rec), ",", 1);
		put_json_string(rec, &len, sizeof(rec), ids[0]);
		put(rec, &len, sizeof(rec), ":", 1);
		put_json_string(rec, &len, sizeof(rec), ids[1]);
	}
	/* Room for the end is kept (LOG_JSON_TAIL). */
	put(rec, &len, sizeof(rec), "}\n", 2);
	/*
	 * One write(2): records of concurrent processes don't mix; a failed
	 * one has nowhere left to be said.
	 */
	written = write(log_fd, rec, len);
	(void)written;
}

static void
log_vwrite(enum log_level level, const char *const *ids, const char *fmt,
    va_list ap)
{
	char		 line[1024], when[40], rec[1200], *p;
	struct timespec	 ts;
	struct tm	 tm;
	ssize_t		 written;
	int		 len;

	if (level > log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03ldZ",
	    ts.tv_nsec / 1000000);
	if (log_format == LOG_FMT_JSON) {
		/* Escaped, not blanked: the record keeps the message's bytes. */
		log_json(level, ids, when, line);
	} else {
		/* One message, one line: a remote's text forges no other. */
		for (p = line; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
		/*
		 * One write(2) per line (O_APPEND for a file), so that the
		 * lines of concurrent processes don't mix.  A file has no one
		 * else to stamp its lines; stderr's reader (cron, the web
		 * server) does.  Formatted here, written whole: dprintf(3)
		 * costs a stream per call (issue 13: a tenth of
		 * hookpost-deliver's CPU at one line per delivery).
		 */
		len = snprintf(rec, sizeof(rec), "%s%s%s[%d]: %s: %s\n",
		    log_fd != STDERR_FILENO ? when : "",
		    log_fd != STDERR_FILENO ? " " : "", log_ident,
		    (int)getpid(), log_names[level], line);
		if (len < 0)
			return;
		if ((size_t)len >= sizeof(rec)) {
			len = sizeof(rec) - 1;
			rec[len - 1] = '\n';
		}
		written = write(log_fd, rec, (size_t)len);
		(void)written;
	}
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(level, NULL, fmt, ap);
	va_end(ap);
}

void
log_ids(enum log_level level, const char *const *ids, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(level, ids, fmt, ap);
	va_end(ap);
}
