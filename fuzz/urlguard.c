/*
 * fuzz/urlguard: the SSRF guard's checks of a URL (lib/urlguard.c:
 * scheme, userinfo, host in every address form, IDNA, port, the deny
 * list) and of an address, without the network (no name is resolved).
 *
 * Input: allow_private (comma-separated CIDRs) \n URL.  When the URL is
 * an address instead, the URL made of it ("https://[addr]/") must not
 * pass where the address itself is refused.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>

#include "fuzz.h"
#include "urlguard.h"

static const struct urlguard_deny deny[] = {
	{ "*.internal.example", 0 },
	{ "^https?://([a-z0-9-]+\\.)*evil\\.example(:[0-9]+)?/", 1 },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in		 in = { data, size };
	struct sockaddr_in	 s4;
	struct sockaddr_in6	 s6;
	char			*allow, *url, lit[128], err[256];
	size_t			 len;

	fuzz_setup();
	allow = fuzz_line(&in);
	url = fuzz_rest(&in, &len);
	(void)urlguard_check_url(url, URLGUARD_HTTP, allow, deny, 2, err,
	    sizeof(err));
	(void)urlguard_check_url(url, 0, *allow ? allow : NULL, NULL, 0, err,
	    sizeof(err));
	(void)urlguard_check_url(url, URLGUARD_MAIL, allow, deny, 2, err,
	    sizeof(err));
	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	s4.sin_family = AF_INET;
	s6.sin6_family = AF_INET6;
	if (len < 64 && inet_pton(AF_INET, url, &s4.sin_addr) == 1) {
		snprintf(lit, sizeof(lit), "https://%s/", url);
		if (!urlguard_addr_allowed((struct sockaddr *)&s4, sizeof(s4),
		    allow) && urlguard_check_url(lit, 0, allow, NULL, 0, err,
		    sizeof(err)) == 0)
			abort();
	}
	if (len < 64 && inet_pton(AF_INET6, url, &s6.sin6_addr) == 1) {
		snprintf(lit, sizeof(lit), "https://[%s]/", url);
		if (!urlguard_addr_allowed((struct sockaddr *)&s6, sizeof(s6),
		    allow) && urlguard_check_url(lit, 0, allow, NULL, 0, err,
		    sizeof(err)) == 0)
			abort();
	}
	free(allow);
	free(url);
	return 0;
}
