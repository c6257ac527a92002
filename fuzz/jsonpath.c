/*
 * fuzz/jsonpath: a trigger's JSONPath (lib/jsonpath.c) validated and
 * read from a document, and the document taken as a mapping object too
 * (validated, and applied to itself).
 *
 * Input: path \n document (JSON).
 */
#include "fuzz.h"
#include "jsonpath.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in	 in = { data, size };
	json_t		*doc, *got;
	char		*path, *text, err[256];
	size_t		 len;

	fuzz_setup();
	path = fuzz_line(&in);
	text = fuzz_rest(&in, &len);
	(void)jsonpath_valid(path, err, sizeof(err));
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    NULL);
	if (doc != NULL) {
		/* jsonpath_get is for valid paths only, as triggers keep. */
		if (jsonpath_valid(path, err, sizeof(err)) == 0)
			(void)jsonpath_get(doc, path);	/* borrowed */
		/* A valid mapping always makes an object. */
		if (json_is_object(doc) &&
		    jsonpath_map_valid(doc, err, sizeof(err)) == 0) {
			got = jsonpath_map_apply(doc, doc);
			if (!json_is_object(got))	/* a macro: got once */
				abort();
			json_decref(got);
		}
		json_decref(doc);
	}
	free(path);
	free(text);
	return 0;
}
