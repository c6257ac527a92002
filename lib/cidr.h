/*
 * cidr: IPv4 and IPv6 addresses and CIDR blocks (seed 002 "IP
 * Whitelisting": "CIDR notation support for IP whitelists (IPv4 and
 * IPv6)"), and the client address behind trusted proxies.
 *
 * Every address is held as 16 bytes: an IPv4 address is its IPv4-mapped
 * IPv6 form ::ffff:a.b.c.d (RFC 4291 2.5.5.2) and an IPv4 block a.b.c.d/n
 * is ::ffff:a.b.c.d/(96+n).  So "::ffff:192.0.2.1", which a dual-stack
 * socket reports for an IPv4 peer, matches 192.0.2.0/24, and one
 * comparison serves both families.
 */
#ifndef HOOKPOST_CIDR_H
#define HOOKPOST_CIDR_H

#include <stddef.h>

struct cidr_addr {
	unsigned char	 b[16];
};

struct cidr {
	struct cidr_addr addr;		/* host bits cleared */
	int		 prefix;	/* 0..128, in the 16-byte form */
};

/* Parses a textual IPv4 or IPv6 address (no zone, no brackets): 0 or -1. */
int	cidr_addr_parse(const char *s, struct cidr_addr *out);
/* The address of family AF_INET (4 bytes) or AF_INET6 (16) at bytes. */
void	cidr_addr_from(int family, const void *bytes, struct cidr_addr *out);
/*
 * Parses "addr/len" or a bare address (a /32 or /128).  Host bits set
 * below the prefix are cleared ("192.30.252.1/22" is 192.30.252.0/22).
 * Returns 0 or -1.
 */
int	cidr_parse(const char *s, struct cidr *out);
/* 1 if a lies in c, else 0. */
int	cidr_contains(const struct cidr *c, const struct cidr_addr *a);
/*
 * The canonical text of c into buf ("192.30.252.0/22", "2001:db8::/32"):
 * IPv4 blocks in dotted form.  Returns buf.
 */
char	*cidr_format(const struct cidr *c, char *buf, size_t bufsz);

/*
 * 1 if a lies in any block of list, a string of CIDRs separated by
 * commas and/or white space; 0 if in none.  A malformed entry matches
 * nothing (and is reported by cidr_list_valid).
 */
int	cidr_list_contains(const char *list, const struct cidr_addr *a);
/* 0 if every entry of a comma/space separated list parses, else -1. */
int	cidr_list_valid(const char *list);

/*
 * cidr_list_contains with the SSRF guard's stricter reading of a list
 * (urlguard, HOOKPOST_ALLOW_PRIVATE_TARGETS), which only ever grants, so
 * that anything doubtful covers nothing:
 *   CIDR_LIST_COMMAS  entries are separated by commas only; blanks
 *                     (space, tab) around an entry are trimmed, any other
 *                     white space makes it malformed, as does a prefix
 *                     length of more than three digits ("/0008");
 *   CIDR_LIST_FAMILY  a block covers only addresses of the family it is
 *                     written in: "::/0" no IPv4 address, and 10.0.0.0/8
 *                     not ::ffff:10.0.0.1 given as IPv6 (whoever calls
 *                     reads the IPv4 embedded in IPv6 forms itself).
 * a_v4: a was given as an IPv4 address.  1 if covered, else 0.
 */
#define CIDR_LIST_COMMAS	0x01
#define CIDR_LIST_FAMILY	0x02
int	cidr_list_match(const char *list, const struct cidr_addr *a, int a_v4,
	    int flags);

/*
 * The client's address (seed 002: allow lists; ARCHITECTURE.md §3
 * HOOKPOST_TRUSTED_PROXIES).  remote is the peer (REMOTE_ADDR).  Only
 * when the peer lies in trusted is X-Forwarded-For believed: it is read
 * right to left, skipping trusted hops, and the first address that is
 * not a trusted proxy is the client.  Writes its canonical text to buf
 * and the address to *out; returns 0, or -1 when the address cannot be
 * determined (no peer, or an unparseable peer or hop): the caller then
 * fails closed.
 */
int	cidr_client_addr(const char *remote, const char *xff,
	    const char *trusted, struct cidr_addr *out, char *buf,
	    size_t bufsz);

#endif
