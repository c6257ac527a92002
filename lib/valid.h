/*
 * valid: declared inputs (STYLE 10).  A handler lists the fields a JSON
 * body may hold; unknown keys, wrong types and out-of-range values are
 * answered 400 invalid_field, naming the field.
 */
#ifndef HOOKPOST_VALID_H
#define HOOKPOST_VALID_H

#include <jansson.h>

#include "req.h"

enum vtype {
	V_STRING,	/* min..max bytes */
	V_NAME,		/* name_valid() */
	V_BOOL,
	V_INT,		/* min..max */
	V_ENUM,		/* one of enums[] */
	V_OBJECT,
	V_ARRAY,	/* min..max items */
	V_ANY
};

struct vfield {
	const char		*name;
	enum vtype		 type;
	int			 required;
	long long		 min, max;
	const char *const	*enums;	/* NULL-terminated, for V_ENUM */
	int			 nullable; /* JSON null accepted */
};

#define JSON_MAX_DEPTH	32	/* STYLE 11: every input has a ceiling */

/* 1 when s is one of the NULL-terminated e, else 0. */
int	valid_enum(const char *const *e, const char *s);
/* 1 when j nests at most max levels of arrays and objects, else 0. */
int	valid_depth(const json_t *j, int max);

/*
 * Checks obj against fields.  Returns 0, or -1 after answering 400
 * invalid_field.
 */
int	valid_object(struct req *, const json_t *obj,
	    const struct vfield *fields, size_t nfields);
/* valid_object() of a nested object: its messages name a field at+name
 * (at e.g. "sources.edr.", "" at the top). */
int	valid_object_at(struct req *, const char *at, const json_t *obj,
	    const struct vfield *fields, size_t nfields);

/*
 * The request body as a JSON object checked against fields: a new
 * reference the caller json_decrefs, or NULL after answering 400
 * (invalid_json, invalid_field).
 */
json_t	*valid_body_new(struct req *, const struct vfield *fields,
	    size_t nfields);

/*
 * A checked body member as statement text: "t", "f", or NULL when o[k]
 * is absent or null (for coalesce($n::boolean, ...): left as it is); for
 * the int, NULL when not an integer, else buf holding its digits.
 */
const char *valid_bool_param(const json_t *o, const char *k);
const char *valid_int_param(const json_t *o, const char *k, char *buf,
	    size_t bufsz);

/* fields and their count, for valid_object() and valid_body_new(). */
#define VFIELDS(a)	(a), (sizeof(a) / sizeof((a)[0]))

#endif
