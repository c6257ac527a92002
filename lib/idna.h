/*
 * idna: internationalised domain names (RFC 5890/5891, Punycode RFC 3492)
 * for the SSRF guard's host check (lib/urlguard).
 */
#ifndef HOOKPOST_IDNA_H
#define HOOKPOST_IDNA_H

#include <stddef.h>

/*
 * Converts a lowercased DNS name (labels separated by dots, no trailing
 * dot) label by label into its U-label form (UTF-8, into u, usz bytes
 * with the NUL) and its A-label form (ASCII "xn--", into a, asz bytes).
 * An LDH label stays as it is; an A-label must round-trip; a U-label
 * must hold only code points allowed in a label.  Returns 0, or -1 when
 * name is no valid name or a form does not fit.
 */
int	idna_name_convert(const char *name, char *u, size_t usz, char *a,
	    size_t asz);

#endif
