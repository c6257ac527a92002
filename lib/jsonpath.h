/*
 * jsonpath: the JSONPath subset of seed 002 "Payload Transformation"
 * ("commit_sha": "$.head_commit.id"): the root "$", member names
 * (".name"), array indices ("[0]"; "[-1]" counts from the end) and
 * quoted names ("['a b']", "[\"a.b\"]", with \\ \' \" escapes).  No
 * wildcards, filters or recursive descent: a mapping picks values, it
 * does not search.
 */
#ifndef HOOKPOST_JSONPATH_H
#define HOOKPOST_JSONPATH_H

#include <stddef.h>

#include <jansson.h>

#define JSONPATH_MAX_LEN	512	/* bytes of one path */
#define JSONPATH_MAX_STEPS	32
#define JSONPATH_MAP_MAX	64	/* entries of one mapping object */
#define JSONPATH_MAP_DEPTH	8	/* nested mapping objects */

/* 0 if path is well formed, else -1 with the reason in err. */
int	 jsonpath_valid(const char *path, char *err, size_t errsz);
/*
 * The value path selects in doc (a borrowed reference), or NULL when it
 * selects nothing or is not well formed.
 */
json_t	*jsonpath_get(const json_t *doc, const char *path);

/*
 * A payload mapping: an object whose values are paths or, nested,
 * mappings again.  Returns 0, or -1 with the reason (naming the key) in
 * err.
 */
int	 jsonpath_map_valid(const json_t *mapping, char *err, size_t errsz);
/*
 * Builds the object mapping describes from doc; a path that selects
 * nothing gives null.  Returns a new reference the caller decrefs.
 */
json_t	*jsonpath_map_apply(const json_t *mapping, const json_t *doc);

#endif
