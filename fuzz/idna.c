/*
 * fuzz/idna: a host name's IDNA conversion (lib/idna.c), as the URL
 * guard reads a URL's host: to Unicode and to its A-label form.
 *
 * Input: the host name.  The A-label form of a name it takes must give
 * back the same two forms.
 */
#include "fuzz.h"
#include "idna.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*name, u[1024], a[1024], u2[1024], a2[1024], su[16], sa[16];

	fuzz_setup();
	name = xstrndup((const char *)data, size);
	/* Either form of a name converts to the same two forms. */
	if (idna_name_convert(name, u, sizeof(u), a, sizeof(a)) == 0 &&
	    (idna_name_convert(a, u2, sizeof(u2), a2, sizeof(a2)) == -1 ||
	    strcmp(u, u2) != 0 || strcmp(a, a2) != 0))
		abort();
	/* Buffers too small for the answer must be refused, not overrun. */
	(void)idna_name_convert(name, su, sizeof(su), sa, sizeof(sa));
	free(name);
	return 0;
}
