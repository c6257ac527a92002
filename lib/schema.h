/*
 * schema: the JSON Schema subset a trigger's payload_schema may use
 * (seed 002 "Pack Definition": type, properties, enum, description).
 * Keywords (draft 2020-12 meaning): type (a name or an array of names),
 * properties, required, additionalProperties (false or a schema), items,
 * minItems, maxItems, enum, const, minLength, maxLength (in characters),
 * minimum, maximum, exclusiveMinimum, exclusiveMaximum.  Annotations
 * (title, description, default, examples, format, $schema, $id,
 * $comment, readOnly, writeOnly, deprecated) are accepted and ignored.
 * Any other keyword is refused when the schema is stored, so a schema
 * never silently checks less than its author meant.
 */
#ifndef HOOKPOST_SCHEMA_H
#define HOOKPOST_SCHEMA_H

#include <stddef.h>

#include <jansson.h>

#define SCHEMA_PATH_MAX	256

/*
 * 0 if schema is a schema of this subset, else -1 with the reason and
 * where in the schema in err.
 */
int	schema_check(const json_t *schema, char *err, size_t errsz);

/*
 * Validates instance against schema (which passed schema_check).
 * Returns 0, or -1 with the failing location ("$.commits[0].id") in path
 * and what failed ("expected string, got integer") in err.  The first
 * failure in document order is reported.
 */
int	schema_validate(const json_t *schema, const json_t *instance,
	    char *path, size_t pathsz, char *err, size_t errsz);

#endif
