/*
 * fuzz/cidr: CIDR lists and client addresses (lib/cidr.c): a CIDR and
 * an address parsed and formatted, a list validated and matched, and
 * the client found behind trusted proxies (X-Forwarded-For).
 *
 * Input: CIDR list \n address \n X-Forwarded-For.  A CIDR's canonical
 * text must parse back to the same block.
 */
#include "cidr.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in		 in = { data, size };
	struct cidr		 c, c2;
	struct cidr_addr	 a, client;
	char			*list, *addr, *xff, buf[64], buf2[64];
	size_t			 len;

	fuzz_setup();
	list = fuzz_line(&in);
	addr = fuzz_line(&in);
	xff = fuzz_rest(&in, &len);
	if (cidr_parse(list, &c) == 0) {
		/* The canonical text parses back to the same block. */
		if (cidr_parse(cidr_format(&c, buf, sizeof(buf)), &c2) == -1 ||
		    memcmp(&c, &c2, sizeof(c)) != 0 ||
		    strcmp(cidr_format(&c2, buf2, sizeof(buf2)), buf) != 0)
			abort();
		/* Too small a buffer is refused, not overrun. */
		(void)cidr_format(&c, buf, 8);
	}
	(void)cidr_list_valid(list);
	if (cidr_addr_parse(addr, &a) == 0) {
		(void)cidr_list_contains(list, &a);
		(void)cidr_list_match(list, &a, strchr(addr, ':') == NULL,
		    CIDR_LIST_COMMAS | CIDR_LIST_FAMILY);
		(void)cidr_list_match(list, &a, 0, 0);
		if (cidr_parse(list, &c) == 0)
			(void)cidr_contains(&c, &a);
	}
	(void)cidr_client_addr(addr, xff, list, &client, buf, sizeof(buf));
	(void)cidr_client_addr(addr, xff, list, &client, buf, 4);
	free(list);
	free(addr);
	free(xff);
	return 0;
}
