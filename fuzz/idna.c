/*
 * fuzz/idna: a host name's IDNA conversion (lib/idna.c), as the URL
 * guard reads a URL's host: to Unicode and to its A-label form.
 *
 * Input: the host name.
 */
#include "fuzz.h"
#include "idna.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*name, u[1024], a[1024], su[16], sa[16];

	fuzz_setup();
	name = xstrndup((const char *)data, size);
	(void)idna_name_convert(name, u, sizeof(u), a, sizeof(a));
	/* Buffers too small for the answer must be refused, not overrun. */
	(void)idna_name_convert(name, su, sizeof(su), sa, sizeof(sa));
	free(name);
	return 0;
}
