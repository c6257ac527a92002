/*
 * Unit tests of lib/jsonpath: the cases in tests/data/triggers/
 * jsonpath.json (seed 002 "Payload Transformation": member names, [n]
 * indices, quoted names, and mappings built from them).  Run from the
 * repository root.  "ok - name" / "not ok - name"; exits 0 only when all
 * pass.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "jsonpath.h"
#include "check.h"

#define CASES	"tests/data/triggers/jsonpath.json"

static void
test_get(json_t *doc, json_t *cases)
{
	json_t		*e, *want, *got;
	const char	*path, *ws;
	char		 err[160];
	size_t		 i;

	json_array_foreach(cases, i, e) {
		path = json_string_value(json_array_get(e, 0));
		want = json_array_get(e, 1);
		ws = json_string_value(want);
		got = jsonpath_get(doc, path);
		check(jsonpath_valid(path, err, sizeof(err)) == 0,
		    "'%s' is well formed", path);
		if (ws != NULL && strcmp(ws, "<absent>") == 0)
			check(got == NULL, "'%s' selects nothing", path);
		else if (ws != NULL && strcmp(ws, "<doc>") == 0)
			check(got == doc, "'%s' is the document", path);
		else
			check(got != NULL && json_equal(got, want), "'%s' "
			    "selects the expected value", path);
	}
}

static void
test_invalid(json_t *doc, json_t *cases)
{
	json_t		*e;
	const char	*path;
	char		 err[160];
	size_t		 i;

	json_array_foreach(cases, i, e) {
		path = json_string_value(e);
		err[0] = '\0';
		check(jsonpath_valid(path, err, sizeof(err)) == -1 &&
		    err[0] != '\0' && jsonpath_get(doc, path) == NULL,
		    "'%s' is refused (%s)", path, err);
	}
	check(jsonpath_valid(NULL, err, sizeof(err)) == -1, "NULL is refused");
}

static void
test_map(json_t *doc, json_t *cases, json_t *invalid)
{
	json_t		*e, *got;
	const char	*want;
	char		 err[200];
	size_t		 i;

	json_array_foreach(cases, i, e) {
		check(jsonpath_map_valid(json_array_get(e, 0), err,
		    sizeof(err)) == 0, "mapping %zu is valid", i);
		got = jsonpath_map_apply(json_array_get(e, 0), doc);
		check(json_equal(got, json_array_get(e, 1)), "mapping %zu "
		    "builds the expected payload", i);
		json_decref(got);
	}
	json_array_foreach(invalid, i, e) {
		want = json_string_value(json_array_get(e, 1));
		err[0] = '\0';
		check(jsonpath_map_valid(json_array_get(e, 0), err,
		    sizeof(err)) == -1 && strstr(err, want) != NULL,
		    "bad mapping %zu refused: %s", i, err);
	}
}

static void
test_limits(void)
{
	char	 path[JSONPATH_MAX_LEN + 16], err[160];
	size_t	 i, n = 0;
	json_t	*m;

	path[n++] = '$';
	for (i = 0; i < JSONPATH_MAX_STEPS + 1; i++) {
		path[n++] = '.';
		path[n++] = 'a';
	}
	path[n] = '\0';
	check(jsonpath_valid(path, err, sizeof(err)) == -1,
	    "more than %d steps are refused", JSONPATH_MAX_STEPS);
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '$';
	path[1] = '.';
	path[sizeof(path) - 1] = '\0';
	check(jsonpath_valid(path, err, sizeof(err)) == -1,
	    "a path over %d bytes is refused", JSONPATH_MAX_LEN);
	m = json_object();
	for (i = 0; i <= JSONPATH_MAP_MAX; i++) {
		snprintf(err, sizeof(err), "k%zu", i);
		json_object_set_new(m, err, json_string("$.a"));
	}
	check(jsonpath_map_valid(m, err, sizeof(err)) == -1,
	    "a mapping over %d keys is refused", JSONPATH_MAP_MAX);
	json_decref(m);
}

int
main(void)
{
	json_t		*all, *doc;

	if ((all = check_json_new(CASES)) == NULL)
		return 1;
	doc = json_object_get(all, "doc");
	test_get(doc, json_object_get(all, "get"));
	test_invalid(doc, json_object_get(all, "invalid"));
	test_map(doc, json_object_get(all, "map"),
	    json_object_get(all, "map_invalid"));
	test_limits();
	json_decref(all);
	return check_done();
}
