/*
 * normalize: one incident out of any of seed 004's four payload formats.
 * Everything copied out of a payload is bounded (STYLE 11): titles, entity
 * strings and arrays, dedupe keys.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>

#include "crypt.h"
#include "normalize.h"
#include "util.h"

#define NITEMS(a)		(sizeof(a) / sizeof((a)[0]))
#define ENTITY_DEPTH_MAX	4	/* nested objects kept in an entity */
#define ENTITY_KEY_MAX		256
#define MAPPING_MAX		100	/* severity_mapping entries */
#define SEVERITY_RAW_MAX	64	/* longer raw severities map nowhere */
#define EPOCH_MAX		253402300799LL	/* 9999-12-31T23:59:59Z */

static const char *const severity_names[] = {
	"info", "low", "medium", "high", "critical"
};

static const struct severity_alias {
	const char	*alias;
	int		 rank;
} severity_aliases[] = {
	{ "info", SEV_INFO },
	{ "informational", SEV_INFO },
	{ "information", SEV_INFO },
	{ "none", SEV_INFO },
	{ "low", SEV_LOW },
	{ "minor", SEV_LOW },
	{ "medium", SEV_MEDIUM },
	{ "med", SEV_MEDIUM },
	{ "moderate", SEV_MEDIUM },
	{ "high", SEV_HIGH },
	{ "major", SEV_HIGH },
	{ "severe", SEV_HIGH },
	{ "critical", SEV_CRITICAL },
	{ "crit", SEV_CRITICAL },
	{ "fatal", SEV_CRITICAL },
	{ "emergency", SEV_CRITICAL },
	/* seed 004: CrowdStrike Falcon's Severity is 1 (lowest) to 5. */
	{ "1", SEV_INFO },
	{ "2", SEV_LOW },
	{ "3", SEV_MEDIUM },
	{ "4", SEV_HIGH },
	{ "5", SEV_CRITICAL },
	/* Incident-management scales count the other way: 1 is the worst. */
	{ "sev1", SEV_CRITICAL },
	{ "sev2", SEV_HIGH },
	{ "sev3", SEV_MEDIUM },
	{ "sev4", SEV_LOW },
	{ "sev5", SEV_INFO },
	{ "p1", SEV_CRITICAL },
	{ "p2", SEV_HIGH },
	{ "p3", SEV_MEDIUM },
	{ "p4", SEV_LOW },
	{ "p5", SEV_INFO },
};

size_t
normalize_utf8_cut(const char *s, size_t max)
{
	size_t	 len;

	len = strlen(s);
	if (len <= max)
		return len;
	/* s[max] is the first byte left out: if it continues a sequence,
	 * leave out that sequence's lead byte and the rest of it too. */
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

char *
normalize_scalar_new(const json_t *v)
{
	double	 d;

	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	if (json_is_real(v)) {
		d = json_real_value(v);
		if (d == floor(d) && fabs(d) < 1e15)
			return xasprintf("%.0f", d);
		return xasprintf("%.15g", d);
	}
	if (json_is_true(v))
		return xstrdup("true");
	if (json_is_false(v))
		return xstrdup("false");
	return NULL;
}

int
normalize_strarray_has(const json_t *arr, const char *s)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

char *
normalize_key_new(const char *s)
{
	char	 hex[65];

	/* The key is indexed and compared per alert: a vendor field of any
	 * size must not make it unbounded, and a prefix could collide. */
	if (strlen(s) <= NORMALIZE_KEY_MAX)
		return xstrdup(s);
	crypt_sha256_hex(s, strlen(s), hex);
	return xasprintf("sha256:%s", hex);
}

/* Lower-cased, trimmed copy into out: 0, or -1 when empty or too long. */
static int
lower_trimmed(const char *s, char *out, size_t outsz)
{
	size_t	 len, i;

	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0 || len >= outsz)
		return -1;
	for (i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[len] = '\0';
	return 0;
}

const char *
severity_normalize(const char *raw)
{
	char	 lower[32];
	size_t	 i;

	if (raw == NULL || lower_trimmed(raw, lower, sizeof(lower)) == -1)
		return NULL;
	for (i = 0; i < NITEMS(severity_aliases); i++)
		if (strcmp(lower, severity_aliases[i].alias) == 0)
			return severity_names[severity_aliases[i].rank];
	return NULL;
}

int
severity_rank(const char *name)
{
	size_t	 i;

	if (name == NULL)
		return -1;
	for (i = 0; i < NITEMS(severity_names); i++)
		if (strcmp(name, severity_names[i]) == 0)
			return (int)i;
	return -1;
}

int
severity_mapping_valid(const json_t *mapping, char *err, size_t errsz)
{
	const char	*key;
	json_t		*value;

	if (mapping == NULL)
		return 0;
	if (!json_is_object(mapping)) {
		errf(err, errsz, "severity_mapping: must be an object");
		return -1;
	}
	if (json_object_size(mapping) > MAPPING_MAX) {
		errf(err, errsz, "severity_mapping: more than %d entries",
		    MAPPING_MAX);
		return -1;
	}
	json_object_foreach((json_t *)mapping, key, value) {
		if (!json_is_string(value) ||
		    severity_rank(json_string_value(value)) == -1) {
			errf(err, errsz, "severity_mapping.%s: must be one of "
			    "critical, high, medium, low, info", key);
			return -1;
		}
	}
	return 0;
}

/* The mapped name for key (compared case-insensitively), or NULL. */
static const char *
mapping_lookup(const json_t *mapping, const char *key)
{
	const char	*k;
	json_t		*v, *found;
	int		 rank;

	if (mapping == NULL || key == NULL)
		return NULL;
	if ((found = json_object_get(mapping, key)) == NULL) {
		json_object_foreach((json_t *)mapping, k, v)
			if (found == NULL && strcasecmp(k, key) == 0)
				found = v;
	}
	v = found;
	if (v == NULL || !json_is_string(v) ||
	    (rank = severity_rank(json_string_value(v))) == -1)
		return NULL;
	return severity_names[rank];
}

/*
 * seed 004: the raw vendor severity is the first candidate present; it
 * normalizes to its name, else a later candidate's, else "medium".  The
 * source's severity_mapping is asked for the raw value (lower-cased), then
 * for the normalized name.
 */
static void
severity_pick(const json_t *const *cands, size_t ncands,
    const json_t *mapping, char *out, size_t outsz)
{
	char		*raw = NULL, *s;
	char		 lower[SEVERITY_RAW_MAX];
	const char	*norm = NULL, *mapped = NULL;
	size_t		 i;

	for (i = 0; i < ncands && norm == NULL; i++) {
		if ((s = normalize_scalar_new(cands[i])) == NULL)
			continue;
		if (*s == '\0') {
			free(s);
			continue;
		}
		norm = severity_normalize(s);
		if (raw == NULL)
			raw = s;
		else
			free(s);
	}
	if (norm == NULL)
		norm = "medium";
	if (raw != NULL && lower_trimmed(raw, lower, sizeof(lower)) == 0)
		mapped = mapping_lookup(mapping, lower);
	if (mapped == NULL)
		mapped = mapping_lookup(mapping, norm);
	snprintf(out, outsz, "%s", mapped != NULL ? mapped : norm);
	free(raw);
}

/* Digits only, exactly n of them. */
static int
parse_digits(const char *s, int n, int *out)
{
	int	 i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
days_in_month(int y, int m)
{
	static const int	 days[] = { 31, 28, 31, 30, 31, 30, 31, 31,
				    30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return days[m - 1];
}

/*
 * RFC 3339 5.6 date-time: "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)",
 * 'T' and 'Z' in either case, or a space for 'T' (RFC 3339 5.6 NOTE).
 * A time without a zone is local to someone unknown: rejected.
 */
static int
rfc3339_epoch(const char *s, long long *out)
{
	int		 y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	long long	 secs;

	if (strlen(s) < 20 ||
	    parse_digits(s, 4, &y) == -1 || s[4] != '-' ||
	    parse_digits(s + 5, 2, &mo) == -1 || s[7] != '-' ||
	    parse_digits(s + 8, 2, &d) == -1 ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    parse_digits(s + 11, 2, &h) == -1 || s[13] != ':' ||
	    parse_digits(s + 14, 2, &mi) == -1 || s[16] != ':' ||
	    parse_digits(s + 17, 2, &sec) == -1)
		return -1;
	s += 19;
	if (*s == '.') {
		if (!isdigit((unsigned char)s[1]))
			return -1;
		for (s++; isdigit((unsigned char)*s); s++)
			continue;
	}
	if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0')
		sign = 0;
	else if ((s[0] == '+' || s[0] == '-') &&
	    parse_digits(s + 1, 2, &oh) == 0 && s[3] == ':' &&
	    parse_digits(s + 4, 2, &om) == 0 && s[6] == '\0')
		sign = s[0] == '+' ? 1 : -1;
	else
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
		return -1;
	secs = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL +
	    sec;
	*out = secs - sign * (oh * 3600LL + om * 60LL);
	return 0;
}

/*
 * Seconds since the epoch from a number or numeric string in units of
 * 1/divisor seconds (1000: milliseconds), or from an RFC 3339 string.
 */
static int
value_epoch(const json_t *v, long long divisor, long long *out)
{
	const char	*s;
	char		*end;
	long long	 n;
	double		 d;

	if (json_is_integer(v)) {
		n = json_integer_value(v);
		if (n < 0)
			return -1;
		*out = n / divisor;
		return 0;
	}
	if (json_is_real(v))
		d = json_real_value(v);
	else if (json_is_string(v)) {
		s = json_string_value(v);
		if (rfc3339_epoch(s, out) == 0)
			return 0;
		/* Plain decimal only: strtoll and strtod would also take
		 * leading blanks, "0x1p4" and "nan". */
		if (!isdigit((unsigned char)*s) ||
		    strspn(s, "0123456789.eE+-") != strlen(s))
			return -1;
		if (parse_int(s, 0, LLONG_MAX, &n) == 0) {
			*out = n / divisor;
			return 0;
		}
		d = strtod(s, &end);
		if (*end != '\0')
			return -1;
	} else
		return -1;
	if (!isfinite(d) || d < 0 || d / divisor > 1e15)
		return -1;
	*out = (long long)floor(d / divisor);
	return 0;
}

/* seed 004: occurred_at is UTC ISO 8601, or "" for an absurd time. */
static void
occurred_at_set(struct incident *inc, const json_t *v, long long divisor)
{
	struct tm	 tm;
	long long	 secs;
	time_t		 t;

	inc->occurred_at[0] = '\0';
	if (v == NULL || value_epoch(v, divisor, &secs) == -1 ||
	    secs < 0 || secs > EPOCH_MAX)
		return;
	t = (time_t)secs;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(inc->occurred_at, sizeof(inc->occurred_at),
	    "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		inc->occurred_at[0] = '\0';
}

static const json_t *
obj_get(const json_t *o, const char *key)
{
	json_t	*v;

	if (!json_is_object(o) || (v = json_object_get(o, key)) == NULL ||
	    json_is_null(v))
		return NULL;
	return v;
}

/* A non-empty string member, or NULL. */
static const char *
obj_str(const json_t *o, const char *key)
{
	const json_t	*v;

	if ((v = obj_get(o, key)) == NULL || !json_is_string(v) ||
	    json_string_value(v)[0] == '\0')
		return NULL;
	return json_string_value(v);
}

/* The first of keys that is present, or NULL. */
static const json_t *
obj_get_first(const json_t *o, const char *const *keys, size_t nkeys)
{
	const json_t	*v;
	size_t		 i;

	for (i = 0; i < nkeys; i++)
		if ((v = obj_get(o, keys[i])) != NULL)
			return v;
	return NULL;
}

static const json_t *
obj_get_ci(const json_t *o, const char *key)
{
	const char	*k;
	json_t		*v;

	if (!json_is_object(o))
		return NULL;
	json_object_foreach((json_t *)o, k, v)
		if (strcasecmp(k, key) == 0 && !json_is_null(v))
			return v;
	return NULL;
}

/* A bounded copy of v: strings cut, arrays and objects capped. */
static json_t *
bounded_copy(const json_t *v, int depth)
{
	const char	*s, *key;
	json_t		*copy, *item, *c;
	size_t		 i;

	if (json_is_string(v)) {
		s = json_string_value(v);
		return json_stringn(s, normalize_utf8_cut(s,
		    NORMALIZE_STRING_MAX));
	}
	if (json_is_number(v) || json_is_boolean(v))
		return json_copy((json_t *)v);
	if (depth >= ENTITY_DEPTH_MAX)
		return NULL;
	if (json_is_array(v)) {
		copy = json_array();
		for (i = 0; i < json_array_size(v) &&
		    i < NORMALIZE_ARRAY_MAX; i++)
			if ((c = bounded_copy(json_array_get(v, i),
			    depth + 1)) != NULL)
				json_array_append_new(copy, c);
		return copy;
	}
	if (json_is_object(v)) {
		copy = json_object();
		i = 0;
		json_object_foreach((json_t *)v, key, item) {
			if (i++ == NORMALIZE_ARRAY_MAX)
				break;
			if (strlen(key) > ENTITY_KEY_MAX)
				continue;
			if ((c = bounded_copy(item, depth + 1)) != NULL)
				json_object_set_new(copy, key, c);
		}
		return copy;
	}
	return NULL;
}

/* Copies v under name; absent, null and empty values are left out. */
static void
entity_put(json_t *entities, const char *name, const json_t *v)
{
	json_t	*c;

	if (v == NULL || (c = bounded_copy(v, 0)) == NULL)
		return;
	if ((json_is_string(c) && json_string_length(c) == 0) ||
	    (json_is_array(c) && json_array_size(c) == 0)) {
		json_decref(c);
		return;
	}
	json_object_set_new(entities, name, c);
}

static void
title_set(struct incident *inc, const char *s)
{
	free(inc->title);
	inc->title = xstrndup(s, normalize_utf8_cut(s, NORMALIZE_TITLE_MAX));
}

static void
dedupe_set(struct incident *inc, const json_t *v)
{
	char	*s;

	free(inc->dedupe_key);
	inc->dedupe_key = NULL;
	if ((s = normalize_scalar_new(v)) == NULL)
		return;
	if (*s != '\0')
		inc->dedupe_key = normalize_key_new(s);
	free(s);
}

static int
fits_crowdstrike(const json_t *p)
{
	return json_is_object(json_object_get(p, "metadata")) &&
	    json_object_get(json_object_get(p, "metadata"), "eventType") !=
	    NULL && json_is_object(json_object_get(p, "event"));
}

static int
fits_splunk(const json_t *p)
{
	return json_object_get(p, "search_name") != NULL &&
	    json_is_object(json_object_get(p, "result"));
}

static int
fits_defender(const json_t *p)
{
	return json_object_get(p, "eventType") != NULL &&
	    (json_object_get(p, "creationTime") != NULL ||
	    json_object_get(p, "entityType") != NULL ||
	    json_object_get(p, "category") != NULL);
}

static int
fits_generic(const json_t *p)
{
	return json_is_object(p);
}

static void
fill_generic(const json_t *p, const json_t *mapping, struct incident *inc)
{
	static const char *const copied[] = { "sender", "recipients",
	    "subject", "host", "hostname", "user", "url", "urls", "ip",
	    "src_ip", "dest_ip", "hash", "sha256", "md5", "file_name" };
	const json_t	*data, *sev[2];
	const char	*title;
	size_t		 i;

	data = obj_get(p, "data");
	if ((title = obj_str(data, "title")) == NULL &&
	    (title = obj_str(data, "description")) == NULL &&
	    (title = obj_str(data, "alert_name")) == NULL &&
	    (title = obj_str(p, "event_type")) == NULL)
		title = "Alert";
	title_set(inc, title);
	sev[0] = obj_get(data, "severity");
	sev[1] = obj_get(p, "severity");
	severity_pick(sev, 2, mapping, inc->severity, sizeof(inc->severity));
	occurred_at_set(inc, obj_get(p, "timestamp"), 1);
	dedupe_set(inc, obj_get(data, "alert_id"));
	entity_put(inc->entities, "alert_id", obj_get(data, "alert_id"));
	entity_put(inc->entities, "event_type", obj_get(p, "event_type"));
	for (i = 0; i < NITEMS(copied); i++)
		entity_put(inc->entities, copied[i], obj_get(data, copied[i]));
}

/* Defender lists attachments with their hashes: keep those as entities. */
static void
defender_attachments(const json_t *attachments, json_t *entities)
{
	static const char *const name_keys[] = { "fileName", "file_name",
	    "name" };
	static const char *const hash_keys[] = { "sha256", "sha1", "md5" };
	const json_t	*a, *v;
	json_t		*names, *hashes[NITEMS(hash_keys)];
	size_t		 i, k;

	names = json_array();
	for (k = 0; k < NITEMS(hash_keys); k++)
		hashes[k] = json_array();
	for (i = 0; i < json_array_size(attachments) &&
	    i < NORMALIZE_ARRAY_MAX; i++) {
		a = json_array_get(attachments, i);
		for (k = 0; k < NITEMS(hash_keys); k++)
			if ((v = obj_get_ci(a, hash_keys[k])) != NULL &&
			    json_is_string(v))
				json_array_append_new(hashes[k],
				    bounded_copy(v, 0));
		v = obj_get_first(a, name_keys, NITEMS(name_keys));
		if (v != NULL && json_is_string(v))
			json_array_append_new(names, bounded_copy(v, 0));
	}
	entity_put(entities, "file_name", names);
	json_decref(names);
	for (k = 0; k < NITEMS(hash_keys); k++) {
		entity_put(entities, hash_keys[k], hashes[k]);
		json_decref(hashes[k]);
	}
}

static void
fill_defender(const json_t *p, const json_t *mapping, struct incident *inc)
{
	const json_t	*data, *sev[1];
	const char	*event_type, *subject;
	char		*title;

	data = obj_get(p, "data");
	if ((event_type = obj_str(p, "eventType")) == NULL)
		event_type = "Alert";
	if ((subject = obj_str(data, "subject")) != NULL) {
		title = xasprintf("%s: %s", event_type, subject);
		title_set(inc, title);
		free(title);
	} else
		title_set(inc, event_type);
	sev[0] = obj_get(p, "severity");
	severity_pick(sev, 1, mapping, inc->severity, sizeof(inc->severity));
	occurred_at_set(inc, obj_get(p, "creationTime"), 1);
	dedupe_set(inc, obj_get(p, "id"));
	entity_put(inc->entities, "alert_id", obj_get(p, "id"));
	entity_put(inc->entities, "category", obj_get(p, "category"));
	entity_put(inc->entities, "entity_type", obj_get(p, "entityType"));
	entity_put(inc->entities, "sender", obj_get(data, "sender"));
	entity_put(inc->entities, "recipients", obj_get(data, "recipients"));
	entity_put(inc->entities, "subject", obj_get(data, "subject"));
	entity_put(inc->entities, "urls", obj_get(data, "urls"));
	entity_put(inc->entities, "url", obj_get(data, "url"));
	if (json_is_array(obj_get(data, "attachments")))
		defender_attachments(obj_get(data, "attachments"),
		    inc->entities);
}

static void
fill_crowdstrike(const json_t *p, const json_t *mapping,
    struct incident *inc)
{
	static const char *const host_keys[] = { "HostnameField", "Hostname",
	    "ComputerName" };
	static const struct {
		const char	*entity, *field;
	} copied[] = {
		{ "detect_id", "DetectId" },
		{ "detection", "DetectName" },
		{ "user", "UserName" },
		{ "file_name", "FileName" },
		{ "sha256", "SHA256String" },
		{ "md5", "MD5String" },
		{ "command_line", "CommandLine" },
		{ "ip", "LocalIP" },
	};
	const json_t	*meta, *event, *sev[2];
	const char	*title;
	size_t		 i;

	meta = obj_get(p, "metadata");
	event = obj_get(p, "event");
	if ((title = obj_str(event, "DetectName")) == NULL &&
	    (title = obj_str(meta, "eventType")) == NULL)
		title = "Alert";
	title_set(inc, title);
	sev[0] = obj_get(event, "Severity");
	sev[1] = obj_get(event, "SeverityName");
	severity_pick(sev, 2, mapping, inc->severity, sizeof(inc->severity));
	occurred_at_set(inc, obj_get(meta, "eventCreationTime"), 1000);
	dedupe_set(inc, obj_get(event, "DetectId"));
	entity_put(inc->entities, "host",
	    obj_get_first(event, host_keys, NITEMS(host_keys)));
	for (i = 0; i < NITEMS(copied); i++)
		entity_put(inc->entities, copied[i].entity,
		    obj_get(event, copied[i].field));
}

static void
fill_splunk(const json_t *p, const json_t *mapping, struct incident *inc)
{
	static const struct {
		const char	*entity, *field;
	} copied[] = {
		{ "host", "host" },
		{ "log_source", "source" },
		{ "sourcetype", "sourcetype" },
		{ "event_code", "EventCode" },
		{ "user", "user" },
		{ "src_ip", "src_ip" },
		{ "dest_ip", "dest_ip" },
	};
	const json_t	*result, *sev[2];
	const char	*title;
	char		*name, *host, *key;
	size_t		 i;

	result = obj_get(p, "result");
	if ((title = obj_str(p, "search_name")) == NULL)
		title = "Alert";
	title_set(inc, title);
	sev[0] = obj_get(result, "severity");
	sev[1] = obj_get(result, "urgency");
	severity_pick(sev, 2, mapping, inc->severity, sizeof(inc->severity));
	occurred_at_set(inc, obj_get(p, "trigger_time"), 1);
	/* seed 004 Splunk alerts carry no id: one search on one host is
	 * one recurring alert. */
	if ((name = normalize_scalar_new(obj_get(p, "search_name"))) != NULL &&
	    *name != '\0') {
		if ((host = normalize_scalar_new(obj_get(result, "host"))) ==
		    NULL)
			host = xstrdup("");
		key = xasprintf("%s|%s", name, host);
		inc->dedupe_key = normalize_key_new(key);
		free(key);
		free(host);
	}
	free(name);
	entity_put(inc->entities, "search_name", obj_get(p, "search_name"));
	for (i = 0; i < NITEMS(copied); i++)
		entity_put(inc->entities, copied[i].entity,
		    obj_get(result, copied[i].field));
}

/* In detection order (seed 004): the most specific shapes first. */
static const struct format {
	const char	*name;
	const char	*shape;
	int		(*fits)(const json_t *);
	void		(*fill)(const json_t *, const json_t *,
			    struct incident *);
} formats[] = {
	{ "crowdstrike", "object \"metadata\" with \"eventType\" and object "
	    "\"event\"", fits_crowdstrike, fill_crowdstrike },
	{ "splunk", "\"search_name\" and object \"result\"", fits_splunk,
	    fill_splunk },
	{ "defender", "\"eventType\" and one of \"creationTime\", "
	    "\"entityType\", \"category\"", fits_defender, fill_defender },
	{ "generic", "an object", fits_generic, fill_generic },
};

/*
 * What a source's "format" may be, as the API and the CLI list it: "auto"
 * (detect), then the table's names.  Kept beside the table, and checked
 * against it by tests/unit/normalize.c.
 */
const char *const normalize_format_names[] = { "auto", "generic",
    "defender", "crowdstrike", "splunk", NULL };

size_t
normalize_format_count(void)
{
	return NITEMS(formats);
}

int
normalize_format_known(const char *name)
{
	size_t	 i;

	for (i = 0; i < NITEMS(formats); i++)
		if (strcmp(name, formats[i].name) == 0)
			return 1;
	return 0;
}

const char *
normalize_detect(const json_t *payload)
{
	size_t	 i;

	if (!json_is_object(payload))
		return "generic";
	for (i = 0; i < NITEMS(formats); i++)
		if (formats[i].fits(payload))
			return formats[i].name;
	return "generic";
}

int
normalize_alert(const json_t *payload, const char *pinned,
    const json_t *severity_mapping, struct incident *out, char *err,
    size_t errsz)
{
	struct incident		 inc;
	const struct format	*fmt = NULL;
	const char		*name;
	size_t			 i;
	int			 rc = -1;

	memset(&inc, 0, sizeof(inc));
	if (!json_is_object(payload)) {
		errf(err, errsz, "payload: must be a JSON object");
		goto out;
	}
	if (severity_mapping_valid(severity_mapping, err, errsz) == -1)
		goto out;
	name = pinned == NULL || strcmp(pinned, "auto") == 0 ?
	    normalize_detect(payload) : pinned;
	for (i = 0; i < NITEMS(formats); i++)
		if (strcmp(name, formats[i].name) == 0)
			fmt = &formats[i];
	if (fmt == NULL) {
		errf(err, errsz, "format: unknown format \"%s\"", name);
		goto out;
	}
	if (!fmt->fits(payload)) {
		errf(err, errsz, "payload: not in %s format (needs %s)",
		    fmt->name, fmt->shape);
		goto out;
	}
	inc.format = fmt->name;
	snprintf(inc.status, sizeof(inc.status), "new");
	inc.tags = json_array();
	inc.entities = json_object();
	inc.indicators = json_object();
	if (inc.tags == NULL || inc.entities == NULL ||
	    inc.indicators == NULL) {
		errf(err, errsz, "out of memory");
		goto out;
	}
	fmt->fill(payload, severity_mapping, &inc);
	*out = inc;
	memset(&inc, 0, sizeof(inc));
	rc = 0;
out:
	incident_free(&inc);
	return rc;
}

void
incident_free(struct incident *inc)
{
	if (inc == NULL)
		return;
	free(inc->title);
	free(inc->queue);
	free(inc->dedupe_key);
	json_decref(inc->tags);
	json_decref(inc->entities);
	json_decref(inc->indicators);
	json_decref(inc->triage);
	memset(inc, 0, sizeof(*inc));
}
