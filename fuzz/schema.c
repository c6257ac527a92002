/*
 * fuzz/schema: a trigger's payload schema (lib/schema.c): the schema
 * checked, and when it passes, an instance validated against it.
 *
 * A refusal names where: a path from "$".
 *
 * Input: JSON, either [schema, instance] or a schema that is its own
 * instance.
 */
#include "fuzz.h"
#include "schema.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t		*doc;
	const json_t	*schema, *instance;
	char		 path[SCHEMA_PATH_MAX], err[256];

	fuzz_setup();
	if ((doc = json_loadb((const char *)data, size,
	    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL)) == NULL)
		return 0;
	schema = instance = doc;
	if (json_is_array(doc) && json_array_size(doc) == 2) {
		schema = json_array_get(doc, 0);
		instance = json_array_get(doc, 1);
	}
	/* schema_validate is for schemas that passed schema_check only. */
	if (schema_check(schema, err, sizeof(err)) == 0 &&
	    schema_validate(schema, instance, path, sizeof(path), err,
	    sizeof(err)) == -1 && (path[0] != '$' || err[0] == '\0' ||
	    !fuzz_utf8_ok(path)))
		abort();
	json_decref(doc);
	return 0;
}
