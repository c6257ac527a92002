/*
 * sig: HMAC signatures, verified in constant time.
 */
#ifndef HOOKPOST_SIG_H
#define HOOKPOST_SIG_H

#include <stddef.h>

#define SIG_MAX_MAC	64

struct sig_part {
	const void	*data;
	size_t		 len;
};

/*
 * HMAC with the named digest ("SHA256", "SHA512", "SHA1") over the
 * concatenated parts.  Writes the MAC (up to SIG_MAX_MAC bytes) and its
 * length; returns 0 or -1 (logged).
 */
int	 sig_hmac(const char *digest, const void *key, size_t keylen,
	    const struct sig_part *parts, size_t nparts, unsigned char *mac,
	    size_t *maclen);

/*
 * HMAC-SHA256 over "<timestamp>.<body>" (seed 004), hex into out[65].
 * Returns 0 or -1.
 */
int	 sig_hmac_sha256_ts_hex(const char *secret, const char *timestamp,
	    const char *body, size_t bodylen, char out[65]);

/*
 * Verifies header value `header` against HMAC-SHA256(secret,
 * "<timestamp>.<body>").  Accepts "sha256=<hex>", bare "<hex>", and the
 * output of seed 004's own recipe, `openssl dgst -sha256 -hmac` piped
 * into the header ("sha256=SHA2-256(stdin)= <hex>").  Returns 0 when it
 * matches, -1 otherwise.  The comparison is constant-time.
 */
int	 sig_verify_ts_sha256(const char *secret, const char *timestamp,
	    const char *body, size_t bodylen, const char *header);

/* Extracts the 32-byte MAC from such a header value: 0 or -1. */
int	 sig_parse_sha256(const char *header, unsigned char mac[32]);

#endif
