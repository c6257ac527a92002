#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "schema.h"
#include "util.h"
#include "valid.h"

static const char *const type_names[] = { "object", "array", "string",
    "integer", "number", "boolean", "null", NULL };

static const char *const annotations[] = { "title", "description",
    "default", "examples", "format", "$schema", "$id", "$comment",
    "readOnly", "writeOnly", "deprecated", NULL };

/* A location, "$.commits[0].id", built as the walk descends. */
struct where {
	char	 s[SCHEMA_PATH_MAX];
	size_t	 len;
};

static int
ident_like(const char *k)
{
	if (!isalpha((unsigned char)*k) && *k != '_')
		return 0;
	for (k++; *k != '\0'; k++)
		if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-')
			return 0;
	return 1;
}

/* Appends ".key" (or "['key']" when it is no identifier); returns the
 * length to restore. */
static size_t
where_key(struct where *w, const char *k)
{
	size_t	 old = w->len, room;
	int	 n;

	room = sizeof(w->s) - w->len;
	if (ident_like(k))
		n = snprintf(w->s + w->len, room, ".%s", k);
	else {
		char	 q[SCHEMA_PATH_MAX];
		size_t	 i, o = 0;

		for (i = 0; k[i] != '\0' && o + 2 < sizeof(q); i++) {
			if (k[i] == '\'' || k[i] == '\\')
				q[o++] = '\\';
			q[o++] = k[i];
		}
		q[o] = '\0';
		n = snprintf(w->s + w->len, room, "['%s']", q);
	}
	if (n > 0)
		w->len += (size_t)n < room ? (size_t)n : room - 1;
	return old;
}

static size_t
where_index(struct where *w, size_t i)
{
	size_t	 old = w->len, room;
	int	 n;

	room = sizeof(w->s) - w->len;
	n = snprintf(w->s + w->len, room, "[%zu]", i);
	if (n > 0)
		w->len += (size_t)n < room ? (size_t)n : room - 1;
	return old;
}

static void
where_restore(struct where *w, size_t len)
{
	w->len = len;
	w->s[len] = '\0';
}

/* --- checking a schema ------------------------------------------------ */

static int	check(const json_t *, struct where *, char *, size_t);

static int
check_nonneg_int(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0;
}

static int
check_keyword(const char *k, const json_t *v, struct where *w, char *err,
    size_t errsz)
{
	const char	*pk;
	json_t		*e;
	size_t		 i, old;

	if (strcmp(k, "type") == 0) {
		if (json_is_string(v) && valid_enum(type_names,
		    json_string_value(v)))
			return 0;
		if (json_is_array(v) && json_array_size(v) > 0) {
			json_array_foreach(v, i, e)
				if (!json_is_string(e) || !valid_enum(type_names,
				    json_string_value(e)))
					goto bad_type;
			return 0;
		}
bad_type:
		snprintf(err, errsz, "%s: 'type' must be one of object, "
		    "array, string, integer, number, boolean, null (or an "
		    "array of them)", w->s);
		return -1;
	}
	if (strcmp(k, "properties") == 0) {
		if (!json_is_object(v)) {
			snprintf(err, errsz, "%s: 'properties' must be an "
			    "object of schemas", w->s);
			return -1;
		}
		json_object_foreach((json_t *)v, pk, e) {
			old = where_key(w, pk);
			if (check(e, w, err, errsz) == -1)
				return -1;
			where_restore(w, old);
		}
		return 0;
	}
	if (strcmp(k, "required") == 0) {
		if (!json_is_array(v))
			goto bad_required;
		json_array_foreach(v, i, e)
			if (!json_is_string(e))
				goto bad_required;
		return 0;
bad_required:
		snprintf(err, errsz, "%s: 'required' must be an array of "
		    "property names", w->s);
		return -1;
	}
	if (strcmp(k, "additionalProperties") == 0) {
		if (json_is_boolean(v))
			return 0;
		return check(v, w, err, errsz);
	}
	if (strcmp(k, "items") == 0)
		return check(v, w, err, errsz);
	if (strcmp(k, "enum") == 0) {
		if (json_is_array(v) && json_array_size(v) > 0)
			return 0;
		snprintf(err, errsz, "%s: 'enum' must be a non-empty array",
		    w->s);
		return -1;
	}
	if (strcmp(k, "const") == 0)
		return 0;
	if (strcmp(k, "minLength") == 0 || strcmp(k, "maxLength") == 0 ||
	    strcmp(k, "minItems") == 0 || strcmp(k, "maxItems") == 0) {
		if (check_nonneg_int(v))
			return 0;
		snprintf(err, errsz, "%s: '%s' must be a non-negative "
		    "integer", w->s, k);
		return -1;
	}
	if (strcmp(k, "minimum") == 0 || strcmp(k, "maximum") == 0 ||
	    strcmp(k, "exclusiveMinimum") == 0 ||
	    strcmp(k, "exclusiveMaximum") == 0) {
		if (json_is_number(v))
			return 0;
		snprintf(err, errsz, "%s: '%s' must be a number", w->s, k);
		return -1;
	}
	if (valid_enum(annotations, k))
		return 0;
	snprintf(err, errsz, "%s: keyword '%.64s' is not supported (type, "
	    "properties, required, additionalProperties, items, minItems, "
	    "maxItems, enum, const, minLength, maxLength, minimum, maximum, "
	    "exclusiveMinimum, exclusiveMaximum)", w->s, k);
	return -1;
}

static int
check(const json_t *schema, struct where *w, char *err, size_t errsz)
{
	const char	*k;
	json_t		*v;

	/* true/false are schemas too (accept all, accept none). */
	if (json_is_boolean(schema))
		return 0;
	if (!json_is_object(schema)) {
		snprintf(err, errsz, "%s: a schema must be an object", w->s);
		return -1;
	}
	json_object_foreach((json_t *)schema, k, v)
		if (check_keyword(k, v, w, err, errsz) == -1)
			return -1;
	return 0;
}

int
schema_check(const json_t *schema, char *err, size_t errsz)
{
	struct where	 w = { "$", 1 };

	if (!valid_depth(schema, JSON_MAX_DEPTH)) {
		snprintf(err, errsz, "the schema nests deeper than %d levels",
		    JSON_MAX_DEPTH);
		return -1;
	}
	return check(schema, &w, err, errsz);
}

/* --- validating an instance ------------------------------------------- */

static const char *
type_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:	return "object";
	case JSON_ARRAY:	return "array";
	case JSON_STRING:	return "string";
	case JSON_INTEGER:	return "integer";
	case JSON_REAL:		return "number";
	case JSON_TRUE:
	case JSON_FALSE:	return "boolean";
	case JSON_NULL:		return "null";
	}
	return "unknown";
}

/* JSON Schema: 1.0 is an integer; every integer is a number. */
static int
type_is(const json_t *v, const char *t)
{
	double	 d;

	if (strcmp(t, "integer") == 0) {
		if (json_is_integer(v))
			return 1;
		if (json_is_real(v)) {
			d = json_real_value(v);
			return isfinite(d) && floor(d) == d;
		}
		return 0;
	}
	if (strcmp(t, "number") == 0)
		return json_is_number(v);
	return strcmp(type_of(v), t) == 0;
}

static int	validate(const json_t *, const json_t *, struct where *, char *,
		    size_t);

static int
validate_type(const json_t *t, const json_t *inst, struct where *w, char *err,
    size_t errsz)
{
	json_t	*e;
	size_t	 i;

	if (json_is_string(t)) {
		if (type_is(inst, json_string_value(t)))
			return 0;
		snprintf(err, errsz, "expected %s, got %s",
		    json_string_value(t), type_of(inst));
		return -1;
	}
	json_array_foreach(t, i, e)
		if (type_is(inst, json_string_value(e)))
			return 0;
	snprintf(err, errsz, "expected one of the listed types, got %s",
	    type_of(inst));
	return -1;
}

static int
validate_object(const json_t *schema, const json_t *inst, struct where *w,
    char *err, size_t errsz)
{
	const json_t	*props, *addl, *sub;
	const char	*k;
	json_t		*v, *e;
	size_t		 i, old;

	json_array_foreach(json_object_get(schema, "required"), i, e) {
		if (json_object_get(inst, json_string_value(e)) != NULL)
			continue;
		where_key(w, json_string_value(e));
		snprintf(err, errsz, "required property is missing");
		return -1;
	}
	props = json_object_get(schema, "properties");
	addl = json_object_get(schema, "additionalProperties");
	json_object_foreach((json_t *)inst, k, v) {
		sub = props != NULL ? json_object_get(props, k) : NULL;
		if (sub == NULL)
			sub = addl;
		if (sub == NULL)
			continue;
		old = where_key(w, k);
		if (json_is_false(sub)) {
			snprintf(err, errsz, "property is not allowed "
			    "(additionalProperties is false)");
			return -1;
		}
		if (validate(sub, v, w, err, errsz) == -1)
			return -1;
		where_restore(w, old);
	}
	return 0;
}

static int
validate(const json_t *schema, const json_t *inst, struct where *w,
    char *err, size_t errsz)
{
	const json_t	*t, *k;
	json_t		*e;
	size_t		 i, old, n;
	double		 d;

	if (json_is_true(schema))
		return 0;
	if (json_is_false(schema)) {
		snprintf(err, errsz, "no value is allowed here");
		return -1;
	}
	if ((t = json_object_get(schema, "type")) != NULL &&
	    validate_type(t, inst, w, err, errsz) == -1)
		return -1;
	if ((k = json_object_get(schema, "enum")) != NULL) {
		json_array_foreach(k, i, e)
			if (json_equal(e, (json_t *)inst))
				break;
		if (i == json_array_size(k)) {
			snprintf(err, errsz, "value is not one of the enum");
			return -1;
		}
	}
	if ((k = json_object_get(schema, "const")) != NULL &&
	    !json_equal((json_t *)k, (json_t *)inst)) {
		snprintf(err, errsz, "value is not the const");
		return -1;
	}
	if (json_is_string(inst)) {
		n = utf8_chars(json_string_value(inst));
		if ((k = json_object_get(schema, "minLength")) != NULL &&
		    n < (size_t)json_integer_value(k)) {
			snprintf(err, errsz, "shorter than minLength %lld",
			    (long long)json_integer_value(k));
			return -1;
		}
		if ((k = json_object_get(schema, "maxLength")) != NULL &&
		    n > (size_t)json_integer_value(k)) {
			snprintf(err, errsz, "longer than maxLength %lld",
			    (long long)json_integer_value(k));
			return -1;
		}
	}
	if (json_is_number(inst)) {
		d = json_number_value(inst);
		if ((k = json_object_get(schema, "minimum")) != NULL &&
		    d < json_number_value(k)) {
			snprintf(err, errsz, "less than minimum %g",
			    json_number_value(k));
			return -1;
		}
		if ((k = json_object_get(schema, "maximum")) != NULL &&
		    d > json_number_value(k)) {
			snprintf(err, errsz, "greater than maximum %g",
			    json_number_value(k));
			return -1;
		}
		if ((k = json_object_get(schema, "exclusiveMinimum")) != NULL
		    && d <= json_number_value(k)) {
			snprintf(err, errsz, "not greater than "
			    "exclusiveMinimum %g", json_number_value(k));
			return -1;
		}
		if ((k = json_object_get(schema, "exclusiveMaximum")) != NULL
		    && d >= json_number_value(k)) {
			snprintf(err, errsz, "not less than exclusiveMaximum %g",
			    json_number_value(k));
			return -1;
		}
	}
	if (json_is_array(inst)) {
		n = json_array_size(inst);
		if ((k = json_object_get(schema, "minItems")) != NULL &&
		    n < (size_t)json_integer_value(k)) {
			snprintf(err, errsz, "fewer than minItems %lld",
			    (long long)json_integer_value(k));
			return -1;
		}
		if ((k = json_object_get(schema, "maxItems")) != NULL &&
		    n > (size_t)json_integer_value(k)) {
			snprintf(err, errsz, "more than maxItems %lld",
			    (long long)json_integer_value(k));
			return -1;
		}
		if ((k = json_object_get(schema, "items")) != NULL) {
			json_array_foreach(inst, i, e) {
				old = where_index(w, i);
				if (validate(k, e, w, err, errsz) == -1)
					return -1;
				where_restore(w, old);
			}
		}
	}
	if (json_is_object(inst))
		return validate_object(schema, inst, w, err, errsz);
	return 0;
}

int
schema_validate(const json_t *schema, const json_t *instance, char *path,
    size_t pathsz, char *err, size_t errsz)
{
	struct where	 w = { "$", 1 };

	if (validate(schema, instance, &w, err, errsz) == 0)
		return 0;
	snprintf(path, pathsz, "%s", w.s);
	return -1;
}
