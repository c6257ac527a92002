/*
 * fuzz/route: the route matcher (lib/srv.c route_match: ":name"
 * captures, "[text]" optional text), every pattern of fuzz/routes.h
 * against one path.  srv.c is included whole for its static matcher
 * (its objects are then not linked from the library).
 *
 * A capture is one whole segment: not empty, no "/".
 *
 * Input: the path.
 */
#include "../lib/srv.c"

#include "fuzz.h"
#include "routes.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*path, *caps[REQ_MAX_PARAMS];
	size_t	 i, k;

	fuzz_setup();
	path = xstrndup((const char *)data, size);
	for (i = 0; i < sizeof(fuzz_routes) / sizeof(fuzz_routes[0]); i++) {
		memset(caps, 0, sizeof(caps));
		if (!route_match(fuzz_routes[i].pattern, path, caps))
			continue;
		for (k = 0; k < REQ_MAX_PARAMS; k++) {
			if (caps[k] != NULL && (*caps[k] == '\0' ||
			    strchr(caps[k], '/') != NULL))
				abort();
			free(caps[k]);
		}
	}
	free(path);
	return 0;
}
