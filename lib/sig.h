/*
 * sig: HMAC signatures, verified in constant time, and the one outbound
 * signer: every signature hookpost sends (deliveries, challenges, the
 * CLI's test posts) is written by sig_sign() from one row of a table of
 * header schemes, and a signature made to one of those schemes (the async
 * receivers' callbacks, SIG_CALLBACK) is checked by sig_verify() from the
 * same row.
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

/*
 * Whether Unix time t is within HOOKPOST_TIMESTAMP_TOLERANCE of now,
 * either way (seed 004: 5 minutes): the window of every timestamped
 * signature hookpost checks.  1 or 0.
 */
int	 sig_ts_fresh(long long t);

/* Extracts the 32-byte MAC from such a header value: 0 or -1. */
int	 sig_parse_sha256(const char *header, unsigned char mac[32]);

/*
 * Maps an algorithm name as the API spells it ("sha256", the default for
 * NULL; "sha512"; "sha1") to OpenSSL's digest name and the MAC length.
 * Returns 0, or -1 for any other name.
 */
int	 sig_digest(const char *algorithm, const char **ossl, size_t *maclen);

/*
 * The HMAC key of a Standard Webhooks secret: the base64 after an
 * optional "whsec_", as the reference library reads it.  Returns a new
 * buffer the caller frees, or NULL when the secret is not base64.
 */
unsigned char	*sig_standard_key_new(const char *secret, size_t *keylen);

/*
 * The outbound header schemes: one row each in sig.c's table.  A new
 * scheme (an integration's header) is a value here and a row there: what
 * comes before the body in the MAC, the headers and their templates.
 */
enum sig_scheme {
	SIG_HOOKPOST,	/* seed 000 X-Webhook-Signature: <alg>=<hex HMAC> */
	SIG_GITHUB,	/* X-Hub-Signature-256: sha256=<hex HMAC(body)> */
	SIG_STRIPE,	/* Stripe-Signature: t=<ts>,v1=<hex HMAC(ts.body)> */
	SIG_SLACK,	/* X-Slack-Signature: v0=<hex HMAC(v0:ts:body)> */
	SIG_STANDARD,	/* webhook-signature: v1,<base64 HMAC(id.ts.body)> */
	SIG_CALLBACK,	/* an async receiver's status callback to us:
			 * X-Webhook-Timestamp and X-Webhook-Signature:
			 * sha256=<hex HMAC(delivery id.ts.body)> */
	SIG_TIMESTAMPED,	/* seed 004 X-Webhook-Timestamp, X-Webhook-Signature:
			   <alg>=<hex HMAC(ts.body)> */
	SIG_TW,		/* seed 003 X-TW-Signature: sha256=<hex HMAC(body)> */
	SIG_SCHEME__MAX
};

#define SIG_SECRETS_MAX	2	/* the current secret and the previous one */
#define SIG_HEADERS_MAX	4

/* What sig_sign() signs. */
struct sig_request {
	enum sig_scheme	 scheme;
	/* SIG_HOOKPOST, SIG_TIMESTAMPED: "sha256" (or NULL), "sha512", "sha1". */
	const char	*algorithm;
	/*
	 * secrets[0] signs; secrets[1], when not NULL, is the previous
	 * secret during a rotation grace period (issue 4) and signs too, so
	 * receivers not yet updated keep verifying.  Only SIG_HOOKPOST and
	 * SIG_STANDARD have a form for two signatures.
	 */
	const char	*secrets[SIG_SECRETS_MAX];
	/*
	 * SIG_STANDARD's key is the base64 after "whsec_" (the prefix is
	 * optional), as the reference library reads it; a secret that is not
	 * base64 is refused.  raw_key: a secret that is not "whsec_<base64>"
	 * is used as its bytes instead (a subscription's secret may be any
	 * string the user chose, seed 000).
	 */
	int		 raw_key;
	const char	*id;		/* SIG_STANDARD: webhook-id;
					 * SIG_CALLBACK: the delivery id */
	long long	 ts;		/* seconds since the epoch */
	const void	*body;
	size_t		 bodylen;
};

struct sig_header {
	const char	*name;		/* static */
	char		*value;
};

struct sig_headers {
	struct sig_header	 h[SIG_HEADERS_MAX];
	size_t			 n;
};

/*
 * Writes the headers that carry the request's signature, in the order a
 * request sends them, into *out (which the caller frees with
 * sig_headers_free, on failure too).  Returns 0, or -1 when a secret,
 * the algorithm or the id is missing or unusable.
 */
int	 sig_sign(const struct sig_request *, struct sig_headers *out);
void	 sig_headers_free(struct sig_headers *);

/*
 * Verifies value, the signature header a request carried, against rq as
 * sig_sign() would have signed it (scheme, algorithm, id, ts, body) by
 * any of rq->secrets (the previous secret counts during a rotation's
 * grace), in constant time.  Only for schemes whose signature is one
 * "<prefix><hex MAC>" (SIG_HOOKPOST, SIG_GITHUB, SIG_SLACK, SIG_CALLBACK);
 * the prefix is matched case-insensitively.  The timestamp's window is
 * the caller's.  Returns 0 when it matches, -1 otherwise.
 */
int	 sig_verify(const struct sig_request *, const char *value);

#endif
