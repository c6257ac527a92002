/*
 * Unit tests of lib/log: the text line and the JSON record
 * (HOOKPOST_LOG_FORMAT=json, issue 12) as a log shipper reads them back:
 * one line per record, valid JSON whatever the message's bytes (quotes,
 * backslashes, control characters, invalid UTF-8), the time in RFC 3339
 * UTC with milliseconds, the ids of log_ids(), and an unknown format
 * falling back to text with one warning.  The lines go to a temporary
 * HOOKPOST_LOG_FILE, read back after each case.
 */
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "log.h"

static char	 path[] = "/tmp/hookpost-test-log.XXXXXX";

/* What was logged since the last call, NUL-terminated, into out. */
static size_t
logged(char *out, size_t outsz)
{
	ssize_t	 n;
	int	 fd;

	out[0] = '\0';
	if ((fd = open(path, O_RDWR)) == -1)
		return 0;
	n = read(fd, out, outsz - 1);
	out[n > 0 ? n : 0] = '\0';
	if (ftruncate(fd, 0) == -1)
		n = 0;
	close(fd);
	return n > 0 ? (size_t)n : 0;
}

static int
lines(const char *s)
{
	int	 n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static int
matches(const char *re, const char *s)
{
	regex_t	 r;
	int	 ok;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	ok = regexec(&r, s, 0, NULL, 0) == 0;
	regfree(&r);
	return ok;
}

/*
 * The one record in buf, parsed (duplicate keys refused), or NULL when
 * buf is not exactly one line of one JSON object.  Freed by json_decref.
 */
static json_t *
record(const char *buf)
{
	json_error_t	 e;
	json_t		*o;

	if (lines(buf) != 1 || buf[strlen(buf) - 1] != '\n')
		return NULL;
	o = json_loads(buf, JSON_REJECT_DUPLICATES, &e);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

static const char *
member(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The message a record carries for msg, logged at ERROR. */
static int
round_trip(const char *msg, const char *want)
{
	char	 buf[16384];
	json_t	*o;
	int	 ok;

	log_error("%s", msg);
	logged(buf, sizeof(buf));
	if ((o = record(buf)) == NULL)
		return 0;
	ok = str_eq(member(o, "message"), want);
	json_decref(o);
	return ok;
}

int
main(void)
{
	char		 buf[16384], big[2000], pid[32];
	const char	*ids[] = { "delivery_id", "d-1", "subscription_id", NULL,
	    "event_id", "e-\"1", NULL };
	json_t		*o;
	int		 fd;

	if ((fd = mkstemp(path)) == -1) {
		check(0, "a temporary log file");
		return check_done();
	}
	close(fd);
	log_set_ident("test-log");
	check(log_set_file(path) == 0, "HOOKPOST_LOG_FILE opens");
	snprintf(pid, sizeof(pid), "[%d]", (int)getpid());

	/* The text format, the default. */
	log_error("a\nforged line\tand \"quotes\"");
	logged(buf, sizeof(buf));
	check(lines(buf) == 1 && matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"
	    "[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z test-log\\[[0-9]+\\]: "
	    "ERROR: a forged line and \"quotes\"\n$", buf) &&
	    strstr(buf, pid) != NULL,
	    "text: '<time> <program>[pid]: ERROR: message', controls blanked");
	log_ids(LOG_LVL_WARN, ids, "delivery %s", "d-1");
	logged(buf, sizeof(buf));
	check(matches(": WARN: delivery d-1\n$", buf) &&
	    strstr(buf, "e-") == NULL, "text: log_ids shows the message only");
	log_debug("not shown");
	check(logged(buf, sizeof(buf)) == 0, "text: below the level, nothing");

	/* An unknown format: text, and one warning. */
	check(log_set_format("xml") == -1, "an unknown format is refused");
	logged(buf, sizeof(buf));
	check(lines(buf) == 1 && strstr(buf, ": WARN: config "
	    "HOOKPOST_LOG_FORMAT: unknown format; using text") != NULL,
	    "and said once, as a text WARN line");
	check(log_set_format("text") == 0 && log_set_format(NULL) == 0 &&
	    log_set_format("") == 0, "text, unset and empty are accepted");
	log_info("still text");
	logged(buf, sizeof(buf));
	check(matches("test-log\\[[0-9]+\\]: INFO: still text\n$", buf),
	    "and the lines stay text");

	/* JSON. */
	check(log_set_format("JSON") == 0, "json is accepted, in any case");
	log_error("delivery %s failed", "x");
	logged(buf, sizeof(buf));
	o = record(buf);
	check(o != NULL, "json: one line, one JSON object");
	check(o != NULL && matches("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:"
	    "[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$", member(o, "time") != NULL ?
	    member(o, "time") : ""), "json: time is RFC 3339 UTC with ms");
	check(o != NULL && str_eq(member(o, "level"), "error") &&
	    str_eq(member(o, "program"), "test-log") &&
	    json_integer_value(json_object_get(o, "pid")) == getpid() &&
	    str_eq(member(o, "message"), "delivery x failed") &&
	    json_object_size(o) == 5,
	    "json: level, program, pid, message and nothing else");
	json_decref(o);
	check(strncmp(buf, "{\"time\":", 8) == 0,
	    "json: time first, for a reader of raw lines");

	log_ids(LOG_LVL_INFO, ids, "delivery %s", "d-1");
	logged(buf, sizeof(buf));
	o = record(buf);
	check(o != NULL && str_eq(member(o, "level"), "info") &&
	    str_eq(member(o, "delivery_id"), "d-1") &&
	    str_eq(member(o, "event_id"), "e-\"1") &&
	    json_object_get(o, "subscription_id") == NULL,
	    "json: log_ids' ids are members; a NULL id is left out");
	json_decref(o);
	log_warn("w");
	logged(buf, sizeof(buf));
	o = record(buf);
	check(o != NULL && str_eq(member(o, "level"), "warn"), "json: warn");
	json_decref(o);
	log_debug("not shown");
	check(logged(buf, sizeof(buf)) == 0, "json: below the level, nothing");

	/* Escaping: any byte, and the message read back is the message. */
	check(round_trip("q\" b\\ n\n r\r t\t", "q\" b\\ n\n r\r t\t"),
	    "json: quote, backslash, \\n, \\r, \\t round-trip");
	check(round_trip("\x01\x02\x1f\x7f|", "\x01\x02\x1f\x7f|"),
	    "json: other controls and DEL round-trip (\\u00XX)");
	log_error("\x01\x1f\x7f");
	logged(buf, sizeof(buf));
	check(strstr(buf, "\"\\u0001\\u001f\\u007f\"") != NULL,
	    "json: controls written as \\u0001, \\u001f, \\u007f");
	check(round_trip("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",
	    "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80"),
	    "json: valid UTF-8 (2, 3, 4 bytes) is kept as it is");
	check(round_trip("a\xff" "b", "a\xef\xbf\xbd" "b"),
	    "json: an invalid byte becomes U+FFFD");
	check(round_trip("\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x9c",
	    "\xef\xbf\xbd\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|"
	    "\xef\xbf\xbd\xef\xbf\xbd"),
	    "json: overlong, surrogate, > U+10FFFF and cut-short sequences "
	    "become U+FFFD a byte");
	log_error("\xff");
	logged(buf, sizeof(buf));
	check(strstr(buf, "\"\\ufffd\"") != NULL,
	    "json: written as \\ufffd");
	memset(big, 0x01, sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_ids(LOG_LVL_ERROR, ids, "%s", big);
	logged(buf, sizeof(buf));
	o = record(buf);
	check(o != NULL && member(o, "message") != NULL &&
	    strlen(member(o, "message")) == 1023 &&
	    str_eq(member(o, "delivery_id"), "d-1"),
	    "json: a long message of controls is cut at 1 KiB, still one "
	    "valid line with its ids");
	json_decref(o);

	unlink(path);
	return check_done();
}
