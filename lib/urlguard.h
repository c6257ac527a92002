/*
 * urlguard: where outbound requests may go (seed 000 "URL requirements",
 * ARCHITECTURE.md §3 SSRF guard).  At subscription time a URL must be https
 * (http only with HOOKPOST_ALLOW_HTTP_WEBHOOKS; an email integration's
 * smtp or smtps, and nothing else), name a valid DNS host
 * (RFC 1123; IDN per RFC 5890), not match the admin deny list (glob or
 * regex; fail closed), and not be an IP literal unless the operator's
 * allow list (HOOKPOST_ALLOW_PRIVATE_TARGETS) covers it.  At delivery time
 * every address the name resolves to is checked and the connection is
 * pinned to the checked addresses, so DNS rebinding cannot slip past.
 */
#ifndef HOOKPOST_URLGUARD_H
#define HOOKPOST_URLGUARD_H

#include <sys/socket.h>

#include <stddef.h>

#include <curl/curl.h>

/*
 * Which URLs a caller takes (flags).  0: https only; URLGUARD_HTTP: http
 * too (HOOKPOST_ALLOW_HTTP_WEBHOOKS); URLGUARD_MAIL: smtp and smtps only,
 * for the email connector (never http, and no web URL ever smtp).
 */
#define URLGUARD_HTTP	0x1
#define URLGUARD_MAIL	0x2

struct urlguard_deny {
	const char	*pattern;
	int		 is_regex;	/* POSIX ERE, case-insensitive; else glob */
};

/*
 * Checks url for a subscription or an integration, flags as above.
 * allow_private: comma-separated CIDRs (may be NULL).  deny: the deny
 * list; pass ndeny = 0 and deny = NULL only when the list is known
 * empty, never when it failed to load.
 * Returns 0, or -1 with a human reason in err.
 */
int	urlguard_check_url(const char *url, int flags,
	    const char *allow_private, const struct urlguard_deny *deny,
	    size_t ndeny, char *err, size_t errsz);

/*
 * 1 when an outbound connection to sa may be made: not loopback, private,
 * link-local, CGNAT, 0.0.0.0/8, multicast, broadcast, reserved, documentation,
 * unique-local, IPv4-mapped/compatible/NAT64/6to4/Teredo embedding a refused
 * IPv4, or a cloud metadata address -- unless allow_private covers it.
 * The allow list covers exactly the address connected to: an IPv6 form
 * only by an IPv6 block, never through the IPv4 address it embeds, except
 * ::ffff:a.b.c.d, which a dual-stack socket connects to as a.b.c.d.
 */
int	urlguard_addr_allowed(const struct sockaddr *sa, socklen_t len,
	    const char *allow_private);

/*
 * Prepares an easy handle for a delivery to url: resolves the host, refuses
 * (-1, reason in err) if any address is not allowed, pins curl to exactly
 * those addresses (CURLOPT_RESOLVE), re-checks the address of every socket
 * curl opens, restricts protocols to http/https (smtp/smtps with
 * URLGUARD_MAIL in flags, which then takes no other URL), never follows
 * redirects, and trusts HOOKPOST_CA_BUNDLE's authorities when it is set.
 * *pinned receives a list the caller frees with curl_slist_free_all after
 * the transfer.  Returns 0 or -1.
 */
int	urlguard_curl_prepare(CURL *h, const char *url, int flags,
	    const char *allow_private, struct curl_slist **pinned, char *err,
	    size_t errsz);

#endif
