/*
 * Unit tests of lib/schema: the cases in tests/data/triggers/schema.json
 * (seed 002's payload_schema examples for github.push,
 * stripe.payment_succeeded and myapp.deployment_complete, and the rest of
 * the subset), each failure reported at its path ("$.commits[1].id").
 * Run from the repository root.  "ok - name" / "not ok - name"; exits 0
 * only when all pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "schema.h"
#include "check.h"

#define CASES	"tests/data/triggers/schema.json"

static void
test_schemas(json_t *schemas)
{
	const char	*name;
	json_t		*s;
	char		 err[512];

	json_object_foreach(schemas, name, s)
		check(schema_check(s, err, sizeof(err)) == 0, "schema %s is "
		    "usable", name);
}

static void
test_validate(json_t *schemas, json_t *cases)
{
	json_t		*e, *schema;
	const char	*name, *want;
	char		*inst, path[SCHEMA_PATH_MAX], err[256];
	size_t		 i;
	int		 rc;

	json_array_foreach(cases, i, e) {
		name = json_string_value(json_array_get(e, 0));
		schema = json_object_get(schemas, name);
		want = json_string_value(json_array_get(e, 2));
		inst = json_dumps(json_array_get(e, 1), JSON_COMPACT |
		    JSON_ENCODE_ANY);
		path[0] = err[0] = '\0';
		rc = schema_validate(schema, json_array_get(e, 1), path,
		    sizeof(path), err, sizeof(err));
		if (want == NULL)
			check(rc == 0, "%s accepts %s%s%s", name, inst,
			    rc ? ": " : "", rc ? err : "");
		else
			check(rc == -1 && strcmp(path, want) == 0 &&
			    err[0] != '\0', "%s refuses %s at %s (got %s: %s)",
			    name, inst, want, path, err);
		free(inst);
	}
}

static void
test_bad(json_t *cases)
{
	json_t		*e;
	const char	*want;
	char		*text, err[512];
	size_t		 i;

	json_array_foreach(cases, i, e) {
		want = json_string_value(json_array_get(e, 1));
		text = json_dumps(json_array_get(e, 0), JSON_COMPACT |
		    JSON_ENCODE_ANY);
		err[0] = '\0';
		check(schema_check(json_array_get(e, 0), err, sizeof(err)) ==
		    -1 && strstr(err, want) != NULL, "schema %s is refused "
		    "(%s)", text, err);
		free(text);
	}
}

static void
test_depth(void)
{
	json_t	*s, *inner;
	char	 err[256];
	int	 i;

	s = json_object();
	inner = s;
	for (i = 0; i < 40; i++) {
		json_t	*next = json_object();

		json_object_set_new(inner, "items", next);
		inner = next;
	}
	check(schema_check(s, err, sizeof(err)) == -1,
	    "a schema nested 40 deep is refused");
	json_decref(s);
}

int
main(void)
{
	json_t		*all;

	if ((all = check_json_new(CASES)) == NULL)
		return 1;
	test_schemas(json_object_get(all, "schemas"));
	test_validate(json_object_get(all, "schemas"),
	    json_object_get(all, "validate"));
	test_bad(json_object_get(all, "bad_schemas"));
	test_depth();
	json_decref(all);
	return check_done();
}
