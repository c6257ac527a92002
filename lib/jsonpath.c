#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "jsonpath.h"
#include "util.h"

/* One step of a path: a member name or an index. */
struct step {
	int		 is_index;
	long long	 index;
	char		 name[JSONPATH_MAX_LEN + 1];
};

/*
 * Reads the step at *pp into st and advances *pp.  Returns 1 for a step,
 * 0 at the end of the path, -1 when malformed (reason in err).
 */
static int
step_next(const char **pp, struct step *st, char *err, size_t errsz)
{
	const char	*p = *pp, *start = *pp;
	char		 q;
	size_t		 n = 0;
	long long	 v;
	int		 neg = 0, digits = 0;

	if (*p == '\0')
		return 0;
	st->is_index = 0;
	if (*p == '.') {
		p++;
		if (*p == '.') {
			snprintf(err, errsz, "recursive descent '..' is not "
			    "supported");
			return -1;
		}
		while (*p != '\0' && *p != '.' && *p != '[' && *p != ']' &&
		    *p != '\'' && *p != '"' && !isspace((unsigned char)*p))
			st->name[n++] = *p++;
		if (n == 0) {
			snprintf(err, errsz, "a member name is missing after "
			    "'.' at offset %zu", (size_t)(start - *pp) + 1);
			return -1;
		}
		if (n == 1 && st->name[0] == '*') {
			snprintf(err, errsz, "wildcards are not supported");
			return -1;
		}
		st->name[n] = '\0';
		*pp = p;
		return 1;
	}
	if (*p != '[') {
		snprintf(err, errsz, "expected '.' or '[' at '%.16s'", p);
		return -1;
	}
	p++;
	if (*p == '\'' || *p == '"') {
		q = *p++;
		while (*p != q) {
			if (*p == '\0') {
				snprintf(err, errsz, "unterminated quoted name");
				return -1;
			}
			if (*p == '\\') {
				p++;
				if (*p != '\\' && *p != '\'' && *p != '"') {
					snprintf(err, errsz, "unknown escape "
					    "in a quoted name");
					return -1;
				}
			}
			st->name[n++] = *p++;
		}
		p++;
		if (*p != ']') {
			snprintf(err, errsz, "expected ']' after a quoted "
			    "name");
			return -1;
		}
		st->name[n] = '\0';
		*pp = p + 1;
		return 1;
	}
	if (*p == '-') {
		neg = 1;
		p++;
	}
	for (v = 0; isdigit((unsigned char)*p); p++, digits++) {
		if (digits == 9) {
			snprintf(err, errsz, "index too large");
			return -1;
		}
		v = v * 10 + (*p - '0');
	}
	if (digits == 0 || *p != ']') {
		snprintf(err, errsz, "expected an index or a quoted name in "
		    "[...] at '%.16s'", *pp);
		return -1;
	}
	st->is_index = 1;
	st->index = neg ? -v : v;
	*pp = p + 1;
	return 1;
}

/* Walks path over doc (NULL doc: syntax only).  Returns 0 or -1. */
static int
walk(const json_t *doc, const char *path, json_t **out, char *err,
    size_t errsz)
{
	struct step	 st;
	const char	*p;
	json_t		*cur = (json_t *)doc;
	size_t		 size, nsteps = 0;
	int		 rc;

	if (path == NULL || path[0] != '$') {
		snprintf(err, errsz, "a path starts with '$'");
		return -1;
	}
	if (strlen(path) > JSONPATH_MAX_LEN) {
		snprintf(err, errsz, "a path is at most %d bytes",
		    JSONPATH_MAX_LEN);
		return -1;
	}
	p = path + 1;
	while ((rc = step_next(&p, &st, err, errsz)) == 1) {
		if (++nsteps > JSONPATH_MAX_STEPS) {
			snprintf(err, errsz, "a path has at most %d steps",
			    JSONPATH_MAX_STEPS);
			return -1;
		}
		if (cur == NULL)
			continue;
		if (st.is_index) {
			size = json_is_array(cur) ? json_array_size(cur) : 0;
			if (st.index < 0)
				st.index += (long long)size;
			cur = st.index >= 0 && (size_t)st.index < size ?
			    json_array_get(cur, (size_t)st.index) : NULL;
		} else
			cur = json_is_object(cur) ?
			    json_object_get(cur, st.name) : NULL;
		/* Absent: cur stays NULL; the syntax is still checked. */
	}
	if (rc == -1)
		return -1;
	if (out != NULL)
		*out = cur;
	return 0;
}

int
jsonpath_valid(const char *path, char *err, size_t errsz)
{
	return walk(NULL, path, NULL, err, errsz);
}

json_t *
jsonpath_get(const json_t *doc, const char *path)
{
	json_t	*v = NULL;
	char	 err[128];

	if (doc == NULL || walk(doc, path, &v, err, sizeof(err)) == -1)
		return NULL;
	return v;
}

static int
map_valid(const json_t *m, int depth, char *err, size_t errsz)
{
	const char	*k;
	json_t		*v;
	char		 why[160];

	if (!json_is_object(m)) {
		snprintf(err, errsz, "a mapping is an object of JSONPath "
		    "strings");
		return -1;
	}
	if (depth > JSONPATH_MAP_DEPTH) {
		snprintf(err, errsz, "a mapping nests at most %d levels",
		    JSONPATH_MAP_DEPTH);
		return -1;
	}
	if (json_object_size(m) > JSONPATH_MAP_MAX) {
		snprintf(err, errsz, "a mapping has at most %d keys",
		    JSONPATH_MAP_MAX);
		return -1;
	}
	json_object_foreach((json_t *)m, k, v) {
		if (json_is_object(v)) {
			if (map_valid(v, depth + 1, err, errsz) == -1)
				return -1;
			continue;
		}
		if (!json_is_string(v)) {
			snprintf(err, errsz, "'%.64s': expected a JSONPath "
			    "string such as \"$.head_commit.id\"", k);
			return -1;
		}
		if (jsonpath_valid(json_string_value(v), why,
		    sizeof(why)) == -1) {
			snprintf(err, errsz, "'%.64s': %s", k, why);
			return -1;
		}
	}
	return 0;
}

int
jsonpath_map_valid(const json_t *mapping, char *err, size_t errsz)
{
	return map_valid(mapping, 1, err, errsz);
}

json_t *
jsonpath_map_apply(const json_t *mapping, const json_t *doc)
{
	const char	*k;
	json_t		*v, *out, *got;

	out = json_object();
	json_object_foreach((json_t *)mapping, k, v) {
		if (json_is_object(v))
			got = jsonpath_map_apply(v, doc);
		else if ((got = jsonpath_get(doc, json_string_value(v))) !=
		    NULL)
			got = json_deep_copy(got);
		else
			got = json_null();
		json_object_set_new(out, k, got);
	}
	return out;
}
