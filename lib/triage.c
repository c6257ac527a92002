/*
 * triage: playbooks are data (sql/002_playbooks.sql, the admin API), so
 * every step is validated before any runs, and a step can only touch the
 * incident through the small set of actions below.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "indicator.h"
#include "normalize.h"
#include "triage.h"
#include "util.h"

#define NITEMS(a)		(sizeof(a) / sizeof((a)[0]))
#define WHERE_MAX		256	/* "steps[3].when.all[1].in" */
#define COND_DEPTH_MAX		8
#define COND_LIST_MAX		32	/* conditions in one all/any */
#define IN_LIST_MAX		100
#define STEP_TAGS_MAX		32
#define TAG_LEN_MAX		64
#define INCIDENT_TAGS_MAX	100
#define MERGE_FIELDS_MAX	8
#define MERGE_WINDOW_MAX	10080	/* minutes: one week */
#define PATH_LEN_MAX		256
#define REASON_LEN_MAX		256
#define MATCH_ITEMS_MAX		1000	/* array elements a condition looks at */

/* The statuses hookpost.incidents accepts (sql/001_init.sql). */
static const char *const statuses[] = {
	"new", "triaged", "investigating", "suppressed", "resolved", "closed"
};

/* Incident fields a condition or merge may name besides the dotted ones. */
static const char *const plain_fields[] = {
	"severity", "status", "title", "format", "queue", "tags", "dedupe_key"
};

enum op { OP_EQUALS, OP_IN, OP_CONTAINS, OP_EXISTS, OP_AT_LEAST };

static const char *const op_names[] = {
	"equals", "in", "contains", "exists", "at_least"
};

static int	valid_set_severity(const json_t *, const char *, char *,
		    size_t);
static int	valid_set_status(const json_t *, const char *, char *,
		    size_t);
static int	valid_set_queue(const json_t *, const char *, char *,
		    size_t);
static int	valid_add_tags(const json_t *, const char *, char *, size_t);
static int	valid_extract(const json_t *, const char *, char *, size_t);
static int	valid_merge(const json_t *, const char *, char *, size_t);
static int	valid_suppress(const json_t *, const char *, char *, size_t);
static int	apply_set_severity(const json_t *, const json_t *,
		    struct incident *);
static int	apply_set_status(const json_t *, const json_t *,
		    struct incident *);
static int	apply_set_queue(const json_t *, const json_t *,
		    struct incident *);
static int	apply_add_tags(const json_t *, const json_t *,
		    struct incident *);
static int	apply_extract(const json_t *, const json_t *,
		    struct incident *);
static int	apply_merge(const json_t *, const json_t *,
		    struct incident *);
static int	apply_suppress(const json_t *, const json_t *,
		    struct incident *);

/*
 * The step language.  keys: the step's own arguments; "action" and "when"
 * are allowed everywhere, anything else is a typo (STYLE 10).  apply
 * returns 1 to stop the playbook.
 */
static const struct action {
	const char	*name;
	const char	*keys[2];
	int		(*valid)(const json_t *, const char *, char *, size_t);
	int		(*apply)(const json_t *, const json_t *,
			    struct incident *);
} actions[] = {
	{ "set_severity", { "value" }, valid_set_severity,
	    apply_set_severity },
	{ "set_status", { "value" }, valid_set_status, apply_set_status },
	{ "set_queue", { "value" }, valid_set_queue, apply_set_queue },
	{ "add_tags", { "tags" }, valid_add_tags, apply_add_tags },
	{ "extract_indicators", { "kinds" }, valid_extract, apply_extract },
	{ "merge", { "fields", "window_minutes" }, valid_merge, apply_merge },
	{ "suppress", { "reason" }, valid_suppress, apply_suppress },
};

static const struct action *
action_find(const char *name)
{
	size_t	 i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < NITEMS(actions); i++)
		if (strcmp(name, actions[i].name) == 0)
			return &actions[i];
	return NULL;
}

static int
status_valid(const char *s)
{
	size_t	 i;

	for (i = 0; s != NULL && i < NITEMS(statuses); i++)
		if (strcmp(s, statuses[i]) == 0)
			return 1;
	return 0;
}

static int
tag_valid(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (i == TAG_LEN_MAX || (!isalnum((unsigned char)s[i]) &&
		    strchr("._:/-", s[i]) == NULL))
			return 0;
	return i > 0;
}

static int
scalar_valid(const json_t *v)
{
	return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

/* Dotted segments: non-empty, no leading, trailing or doubled dots. */
static int
segments_valid(const char *s)
{
	size_t	 i;

	if (*s == '\0' || *s == '.')
		return 0;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] == '.' && (s[i + 1] == '.' || s[i + 1] == '\0'))
			return 0;
	return 1;
}

static int
path_valid(const char *path)
{
	size_t	 i;

	if (strlen(path) > PATH_LEN_MAX)
		return 0;
	for (i = 0; i < NITEMS(plain_fields); i++)
		if (strcmp(path, plain_fields[i]) == 0)
			return 1;
	if (strncmp(path, "indicators.", 11) == 0)
		return indicator_kind_find(path + 11) != -1;
	if (strncmp(path, "entities.", 9) == 0)
		return segments_valid(path + 9);
	if (strncmp(path, "payload.", 8) == 0)
		return segments_valid(path + 8);
	return 0;
}

static int
cond_valid(const json_t *cond, const char *where, int depth, char *err,
    size_t errsz)
{
	const json_t	*list, *field, *arg = NULL;
	const char	*key, *group;
	char		 sub[WHERE_MAX];
	json_t		*v;
	size_t		 i;
	int		 op = -1, j;

	if (!json_is_object(cond)) {
		errf(err, errsz, "%s: must be an object", where);
		return -1;
	}
	if (depth >= COND_DEPTH_MAX) {
		errf(err, errsz, "%s: conditions nested deeper than %d", where,
		    COND_DEPTH_MAX);
		return -1;
	}
	group = json_object_get(cond, "all") != NULL ? "all" :
	    json_object_get(cond, "any") != NULL ? "any" : NULL;
	if (group != NULL) {
		json_object_foreach((json_t *)cond, key, v)
			if (strcmp(key, group) != 0) {
				errf(err, errsz, "%s.%s: unknown field "
				    "(\"%s\" stands alone)", where, key, group);
				return -1;
			}
		list = json_object_get(cond, group);
		if (!json_is_array(list) || json_array_size(list) == 0 ||
		    json_array_size(list) > COND_LIST_MAX) {
			errf(err, errsz, "%s.%s: must be an array of 1 to %d "
			    "conditions", where, group, COND_LIST_MAX);
			return -1;
		}
		json_array_foreach(list, i, v) {
			snprintf(sub, sizeof(sub), "%s.%s[%zu]", where, group,
			    i);
			if (cond_valid(v, sub, depth + 1, err, errsz) == -1)
				return -1;
		}
		return 0;
	}
	json_object_foreach((json_t *)cond, key, v) {
		if (strcmp(key, "field") == 0)
			continue;
		for (j = 0; j < (int)NITEMS(op_names); j++)
			if (strcmp(key, op_names[j]) == 0)
				break;
		if (j == (int)NITEMS(op_names)) {
			errf(err, errsz, "%s.%s: unknown field", where, key);
			return -1;
		}
		if (op != -1) {
			errf(err, errsz, "%s.%s: one operator per condition "
			    "(already \"%s\")", where, key, op_names[op]);
			return -1;
		}
		op = j;
		arg = v;
	}
	field = json_object_get(cond, "field");
	if (!json_is_string(field)) {
		errf(err, errsz, "%s.field: must be a string", where);
		return -1;
	}
	if (!path_valid(json_string_value(field))) {
		errf(err, errsz, "%s.field: unknown field path \"%s\"", where,
		    json_string_value(field));
		return -1;
	}
	switch (op) {
	case OP_EQUALS:
		if (scalar_valid(arg))
			return 0;
		errf(err, errsz, "%s.equals: must be a string, number or "
		    "boolean", where);
		return -1;
	case OP_IN:
		if (json_is_array(arg) && json_array_size(arg) > 0 &&
		    json_array_size(arg) <= IN_LIST_MAX) {
			json_array_foreach(arg, i, v)
				if (!scalar_valid(v))
					break;
			if (i == json_array_size(arg))
				return 0;
		}
		errf(err, errsz, "%s.in: must be an array of 1 to %d strings, "
		    "numbers or booleans", where, IN_LIST_MAX);
		return -1;
	case OP_CONTAINS:
		if (json_is_string(arg) && json_string_length(arg) > 0)
			return 0;
		errf(err, errsz, "%s.contains: must be a non-empty string",
		    where);
		return -1;
	case OP_EXISTS:
		if (json_is_boolean(arg))
			return 0;
		errf(err, errsz, "%s.exists: must be true or false", where);
		return -1;
	case OP_AT_LEAST:
		if (json_is_string(arg) &&
		    severity_rank(json_string_value(arg)) != -1)
			return 0;
		errf(err, errsz, "%s.at_least: must be one of critical, high, "
		    "medium, low, info", where);
		return -1;
	default:
		errf(err, errsz, "%s: needs one of equals, in, contains, "
		    "exists, at_least", where);
		return -1;
	}
}

static int
valid_set_severity(const json_t *step, const char *where, char *err,
    size_t errsz)
{
	const json_t	*v = json_object_get(step, "value");

	if (json_is_string(v) && severity_rank(json_string_value(v)) != -1)
		return 0;
	errf(err, errsz, "%s.value: must be one of critical, high, medium, "
	    "low, info", where);
	return -1;
}

static int
valid_set_status(const json_t *step, const char *where, char *err,
    size_t errsz)
{
	const json_t	*v = json_object_get(step, "value");

	if (json_is_string(v) && status_valid(json_string_value(v)))
		return 0;
	errf(err, errsz, "%s.value: must be one of new, triaged, "
	    "investigating, suppressed, resolved, closed", where);
	return -1;
}

static int
valid_set_queue(const json_t *step, const char *where, char *err,
    size_t errsz)
{
	const json_t	*v = json_object_get(step, "value");

	if (json_is_string(v) && name_valid(json_string_value(v)))
		return 0;
	errf(err, errsz, "%s.value: must be a queue name "
	    "([a-z0-9][a-z0-9._-]*, at most 64)", where);
	return -1;
}

static int
valid_add_tags(const json_t *step, const char *where, char *err,
    size_t errsz)
{
	const json_t	*tags = json_object_get(step, "tags");
	json_t		*v;
	size_t		 i;

	if (!json_is_array(tags) || json_array_size(tags) == 0 ||
	    json_array_size(tags) > STEP_TAGS_MAX) {
		errf(err, errsz, "%s.tags: must be an array of 1 to %d tags",
		    where, STEP_TAGS_MAX);
		return -1;
	}
	json_array_foreach(tags, i, v)
		if (!json_is_string(v) || !tag_valid(json_string_value(v))) {
			errf(err, errsz, "%s.tags[%zu]: must be 1 to %d of "
			    "A-Z a-z 0-9 . _ : / -", where, i, TAG_LEN_MAX);
			return -1;
		}
	return 0;
}

static int
valid_extract(const json_t *step, const char *where, char *err,
    size_t errsz)
{
	const json_t	*kinds = json_object_get(step, "kinds");
	json_t		*v;
	size_t		 i;

	if (!json_is_array(kinds) || json_array_size(kinds) == 0 ||
	    json_array_size(kinds) > INDICATOR__MAX) {
		errf(err, errsz, "%s.kinds: must be an array of 1 to %d kinds",
		    where, INDICATOR__MAX);
		return -1;
	}
	json_array_foreach(kinds, i, v)
		if (indicator_kind_find(json_string_value(v)) == -1) {
			errf(err, errsz, "%s.kinds[%zu]: must be one of "
			    "sender_domain, email, url, domain, ip, hash, host",
			    where, i);
			return -1;
		}
	return 0;
}

static int
valid_merge(const json_t *step, const char *where, char *err, size_t errsz)
{
	const json_t	*fields = json_object_get(step, "fields");
	const json_t	*window = json_object_get(step, "window_minutes");
	json_t		*v;
	size_t		 i;

	if (!json_is_array(fields) || json_array_size(fields) == 0 ||
	    json_array_size(fields) > MERGE_FIELDS_MAX) {
		errf(err, errsz, "%s.fields: must be an array of 1 to %d field "
		    "paths", where, MERGE_FIELDS_MAX);
		return -1;
	}
	json_array_foreach(fields, i, v)
		if (!json_is_string(v) || !path_valid(json_string_value(v))) {
			errf(err, errsz, "%s.fields[%zu]: unknown field path",
			    where, i);
			return -1;
		}
	if (!json_is_integer(window) || json_integer_value(window) < 1 ||
	    json_integer_value(window) > MERGE_WINDOW_MAX) {
		errf(err, errsz, "%s.window_minutes: must be an integer from 1 "
		    "to %d", where, MERGE_WINDOW_MAX);
		return -1;
	}
	return 0;
}

static int
valid_suppress(const json_t *step, const char *where, char *err,
    size_t errsz)
{
	const json_t	*reason = json_object_get(step, "reason");

	if (reason == NULL || (json_is_string(reason) &&
	    json_string_length(reason) <= REASON_LEN_MAX))
		return 0;
	errf(err, errsz, "%s.reason: must be a string of at most %d bytes",
	    where, REASON_LEN_MAX);
	return -1;
}

int
triage_steps_valid(const json_t *steps, char *err, size_t errsz)
{
	const struct action	*act;
	const char		*key;
	char			 where[32], sub[WHERE_MAX];
	json_t			*step, *v, *when;
	size_t			 i, k;

	if (!json_is_array(steps) || json_array_size(steps) == 0 ||
	    json_array_size(steps) > TRIAGE_STEPS_MAX) {
		errf(err, errsz, "steps: must be an array of 1 to %d steps",
		    TRIAGE_STEPS_MAX);
		return -1;
	}
	json_array_foreach(steps, i, step) {
		snprintf(where, sizeof(where), "steps[%zu]", i);
		if (!json_is_object(step)) {
			errf(err, errsz, "%s: must be an object", where);
			return -1;
		}
		v = json_object_get(step, "action");
		if (!json_is_string(v)) {
			errf(err, errsz, "%s.action: must be a string", where);
			return -1;
		}
		if ((act = action_find(json_string_value(v))) == NULL) {
			errf(err, errsz, "%s.action: unknown action \"%s\"",
			    where, json_string_value(v));
			return -1;
		}
		json_object_foreach(step, key, v) {
			if (strcmp(key, "action") == 0 ||
			    strcmp(key, "when") == 0)
				continue;
			for (k = 0; k < NITEMS(act->keys); k++)
				if (act->keys[k] != NULL &&
				    strcmp(key, act->keys[k]) == 0)
					break;
			if (k == NITEMS(act->keys)) {
				errf(err, errsz, "%s.%s: unknown field for %s",
				    where, key, act->name);
				return -1;
			}
		}
		if ((when = json_object_get(step, "when")) != NULL) {
			snprintf(sub, sizeof(sub), "%s.when", where);
			if (cond_valid(when, sub, 0, err, errsz) == -1)
				return -1;
		}
		if (act->valid(step, where, err, errsz) == -1)
			return -1;
	}
	return 0;
}

/* The value at a dotted path under root (array elements by index), as a
 * new reference, or NULL when absent or null. */
static json_t *
walk(const json_t *root, const char *path)
{
	const json_t	*cur = root;
	const char	*dot;
	char		 seg[PATH_LEN_MAX + 1];
	long long	 idx;
	size_t		 len;

	while (cur != NULL && *path != '\0') {
		dot = strchr(path, '.');
		len = dot != NULL ? (size_t)(dot - path) : strlen(path);
		if (len > PATH_LEN_MAX)
			return NULL;
		memcpy(seg, path, len);
		seg[len] = '\0';
		if (json_is_object(cur))
			cur = json_object_get(cur, seg);
		else if (json_is_array(cur) && isdigit((unsigned char)*seg) &&
		    json_array_size(cur) > 0 && parse_int(seg, 0,
		    (long long)json_array_size(cur) - 1, &idx) == 0)
			cur = json_array_get(cur, (size_t)idx);
		else
			cur = NULL;
		path += dot != NULL ? len + 1 : len;
	}
	if (cur == NULL || json_is_null(cur))
		return NULL;
	return json_incref((json_t *)cur);
}

static json_t *
string_or_null(const char *s)
{
	return s != NULL ? json_string(s) : NULL;
}

/* A field path's value for inc (a new reference), or NULL when absent. */
static json_t *
field_resolve(const char *path, const json_t *payload,
    const struct incident *inc)
{
	if (strcmp(path, "severity") == 0)
		return json_string(inc->severity);
	if (strcmp(path, "status") == 0)
		return json_string(inc->status);
	if (strcmp(path, "title") == 0)
		return string_or_null(inc->title);
	if (strcmp(path, "format") == 0)
		return string_or_null(inc->format);
	if (strcmp(path, "queue") == 0)
		return string_or_null(inc->queue);
	if (strcmp(path, "dedupe_key") == 0)
		return string_or_null(inc->dedupe_key);
	if (strcmp(path, "tags") == 0)
		return inc->tags != NULL ? json_incref(inc->tags) : NULL;
	if (strncmp(path, "entities.", 9) == 0)
		return walk(inc->entities, path + 9);
	if (strncmp(path, "indicators.", 11) == 0)
		return walk(inc->indicators, path + 11);
	if (strncmp(path, "payload.", 8) == 0)
		return walk(payload, path + 8);
	return NULL;
}

static int
scalar_equals(const char *s, const json_t *want)
{
	char	*w;
	int	 eq;

	/* Compared as text, so 4625 matches "4625" and true "true". */
	if ((w = normalize_scalar_new(want)) == NULL)
		return 0;
	eq = strcmp(s, w) == 0;
	free(w);
	return eq;
}

static int
scalar_matches(const json_t *v, enum op op, const json_t *arg)
{
	const char	*name;
	json_t		*item;
	char		*s;
	size_t		 i;
	int		 r = 0;

	if ((s = normalize_scalar_new(v)) == NULL)
		return 0;
	switch (op) {
	case OP_EQUALS:
		r = scalar_equals(s, arg);
		break;
	case OP_IN:
		json_array_foreach(arg, i, item)
			if ((r = scalar_equals(s, item)) != 0)
				break;
		break;
	case OP_CONTAINS:
		r = strcasestr(s, json_string_value(arg)) != NULL;
		break;
	case OP_AT_LEAST:
		r = (name = severity_normalize(s)) != NULL &&
		    severity_rank(name) >=
		    severity_rank(json_string_value(arg));
		break;
	default:
		break;
	}
	free(s);
	return r;
}

/* An array matches when any of its elements does. */
static int
value_matches(const json_t *v, enum op op, const json_t *arg)
{
	size_t	 i;

	if (!json_is_array(v))
		return scalar_matches(v, op, arg);
	for (i = 0; i < json_array_size(v) && i < MATCH_ITEMS_MAX; i++)
		if (scalar_matches(json_array_get(v, i), op, arg))
			return 1;
	return 0;
}

/* Conditions were validated: each is a group or one field and operator. */
static int
cond_eval(const json_t *cond, const json_t *payload,
    const struct incident *inc)
{
	const json_t	*list, *arg;
	json_t		*v, *item;
	size_t		 i;
	int		 op, r = 0;

	if ((list = json_object_get(cond, "all")) != NULL) {
		json_array_foreach(list, i, item)
			if (!cond_eval(item, payload, inc))
				return 0;
		return 1;
	}
	if ((list = json_object_get(cond, "any")) != NULL) {
		json_array_foreach(list, i, item)
			if (cond_eval(item, payload, inc))
				return 1;
		return 0;
	}
	for (op = 0; op < (int)NITEMS(op_names); op++)
		if ((arg = json_object_get(cond, op_names[op])) != NULL)
			break;
	if (op == (int)NITEMS(op_names))
		return 0;
	v = field_resolve(json_string_value(json_object_get(cond, "field")),
	    payload, inc);
	if (op == OP_EXISTS)
		r = (v != NULL) == json_is_true(arg);
	else if (v != NULL)
		r = value_matches(v, (enum op)op, arg);
	json_decref(v);
	return r;
}

static void
tag_add(struct incident *inc, const char *tag, size_t max)
{
	if (inc->tags == NULL)
		inc->tags = json_array();
	if (json_array_size(inc->tags) >= max || normalize_strarray_has(inc->tags, tag))
		return;
	json_array_append_new(inc->tags, json_string(tag));
}

static int
apply_set_severity(const json_t *step, const json_t *payload,
    struct incident *inc)
{
	snprintf(inc->severity, sizeof(inc->severity), "%s",
	    json_string_value(json_object_get(step, "value")));
	return 0;
}

static int
apply_set_status(const json_t *step, const json_t *payload,
    struct incident *inc)
{
	snprintf(inc->status, sizeof(inc->status), "%s",
	    json_string_value(json_object_get(step, "value")));
	return 0;
}

static int
apply_set_queue(const json_t *step, const json_t *payload,
    struct incident *inc)
{
	free(inc->queue);
	inc->queue = xstrdup(json_string_value(json_object_get(step,
	    "value")));
	return 0;
}

static int
apply_add_tags(const json_t *step, const json_t *payload,
    struct incident *inc)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(json_object_get(step, "tags"), i, v)
		tag_add(inc, json_string_value(v), INCIDENT_TAGS_MAX);
	return 0;
}

static int
apply_extract(const json_t *step, const json_t *payload,
    struct incident *inc)
{
	json_t		*v;
	size_t		 i;
	unsigned	 want = 0;

	json_array_foreach(json_object_get(step, "kinds"), i, v)
		want |= 1u << indicator_kind_find(json_string_value(v));
	if (inc->indicators == NULL)
		inc->indicators = json_object();
	indicator_extract(inc->indicators, want, inc->entities, payload);
	return 0;
}

/* '|' joins fields and ',' array elements: escape both in values so
 * ("a|b", "c") and ("a", "b|c") stay different keys. */
static void
key_append(struct buf *key, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '|' || *s == ',')
			buf_append(key, "\\", 1);
		buf_append(key, s, 1);
	}
}

/* Appends v's text form; 0, or -1 when v gives none (absent, empty). */
static int
key_append_value(struct buf *key, const json_t *v)
{
	char	*s;
	size_t	 i, n = 0;

	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v) && i < MATCH_ITEMS_MAX;
		    i++) {
			if ((s = normalize_scalar_new(json_array_get(v, i))) ==
			    NULL)
				continue;
			if (*s != '\0') {
				if (n++ > 0)
					buf_append(key, ",", 1);
				key_append(key, s);
			}
			free(s);
		}
		return n > 0 ? 0 : -1;
	}
	if ((s = normalize_scalar_new(v)) == NULL)
		return -1;
	if (*s != '\0') {
		key_append(key, s);
		n = 1;
	}
	free(s);
	return n > 0 ? 0 : -1;
}

static int
apply_merge(const json_t *step, const json_t *payload, struct incident *inc)
{
	struct buf	 key;
	json_t		*field, *v;
	size_t		 i;
	int		 missing = 0;

	memset(&key, 0, sizeof(key));
	json_array_foreach(json_object_get(step, "fields"), i, field) {
		if (i > 0)
			buf_append(&key, "|", 1);
		v = field_resolve(json_string_value(field), payload, inc);
		if (v == NULL || key_append_value(&key, v) == -1)
			missing = 1;
		json_decref(v);
		if (missing)
			break;
	}
	/* seed 004 merge: without all its fields, the vendor's own alert id
	 * (set by normalize) is still the better key. */
	if (!missing) {
		free(inc->dedupe_key);
		inc->dedupe_key = normalize_key_new(key.data);
	}
	buf_free(&key);
	inc->merge_window_s = (long)json_integer_value(json_object_get(step,
	    "window_minutes")) * 60;
	return 0;
}

static int
apply_suppress(const json_t *step, const json_t *payload,
    struct incident *inc)
{
	snprintf(inc->status, sizeof(inc->status), "suppressed");
	tag_add(inc, "suppressed", SIZE_MAX);
	return 1;
}

int
triage_run(const char *playbook, const json_t *steps, const json_t *payload,
    struct incident *inc, char *err, size_t errsz)
{
	const struct action	*act;
	const json_t		*when, *reason = NULL;
	json_t			*record = NULL, *done, *step;
	size_t			 i;
	int			 applied, rc = -1;

	if (inc == NULL) {
		errf(err, errsz, "no incident");
		goto out;
	}
	/* All steps are checked before any runs: a bad step found halfway
	 * would leave a half-triaged incident. */
	if (triage_steps_valid(steps, err, errsz) == -1)
		goto out;
	done = json_array();
	json_array_foreach(steps, i, step) {
		act = action_find(json_string_value(json_object_get(step,
		    "action")));
		when = json_object_get(step, "when");
		applied = when == NULL || cond_eval(when, payload, inc);
		json_array_append_new(done, json_pack("{s:s, s:b}",
		    "action", act->name, "applied", applied));
		if (applied && act->apply(step, payload, inc) == 1) {
			reason = json_object_get(step, "reason");
			break;
		}
	}
	record = json_pack("{s:o, s:o, s:s}", "playbook", playbook != NULL ?
	    json_string(playbook) : json_null(), "steps", done,
	    "outcome", inc->status);
	if (reason != NULL)
		json_object_set(record, "reason", (json_t *)reason);
	json_decref(inc->triage);
	inc->triage = record;
	record = NULL;
	rc = 0;
out:
	json_decref(record);
	return rc;
}
