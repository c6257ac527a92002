#include <ctype.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "crypt.h"
#include "log.h"
#include "sig.h"

int
sig_hmac(const char *digest, const void *key, size_t keylen,
    const struct sig_part *parts, size_t nparts, unsigned char *mac,
    size_t *maclen)
{
	static EVP_MAC	*hmac;	/* fetched once per process */
	EVP_MAC_CTX	*ctx = NULL;
	OSSL_PARAM	 params[2];
	size_t		 i, outl = 0;
	int		 rc = -1;

	if (hmac == NULL && (hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		goto out;
	if ((ctx = EVP_MAC_CTX_new(hmac)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *)digest,
	    0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, keylen, params) != 1)
		goto out;
	for (i = 0; i < nparts; i++)
		if (EVP_MAC_update(ctx, parts[i].data, parts[i].len) != 1)
			goto out;
	if (EVP_MAC_final(ctx, mac, &outl, SIG_MAX_MAC) != 1)
		goto out;
	*maclen = outl;
	rc = 0;
out:
	if (rc == -1)
		log_error("HMAC-%s failed", digest);
	EVP_MAC_CTX_free(ctx);
	return rc;
}

static int
sig_hmac_sha256_ts(const char *secret, const char *timestamp,
    const char *body, size_t bodylen, unsigned char mac[32])
{
	struct sig_part	 parts[3] = {
		{ timestamp, strlen(timestamp) }, { ".", 1 }, { body, bodylen }
	};
	unsigned char	 out[SIG_MAX_MAC];
	size_t		 n;

	if (sig_hmac("SHA256", secret, strlen(secret), parts, 3, out, &n) == -1
	    || n != 32)
		return -1;
	memcpy(mac, out, 32);
	return 0;
}

int
sig_hmac_sha256_ts_hex(const char *secret, const char *timestamp,
    const char *body, size_t bodylen, char out[65])
{
	unsigned char	 mac[32];

	if (sig_hmac_sha256_ts(secret, timestamp, body, bodylen, mac) == -1)
		return -1;
	crypt_hex(mac, sizeof(mac), out);
	return 0;
}

int
sig_parse_sha256(const char *header, unsigned char mac[32])
{
	const char	*p, *last;
	size_t		 n;

	if (header == NULL)
		return -1;
	p = header;
	if (strncasecmp(p, "sha256=", 7) == 0)
		p += 7;
	/*
	 * seed 004's recipe puts openssl's whole output line in the header:
	 * "SHA2-256(stdin)= <hex>" (OpenSSL 3) or "(stdin)= <hex>" (1.1).
	 * The MAC is the last space-separated word.
	 */
	if ((last = strrchr(p, ' ')) != NULL) {
		if (strstr(p, ")= ") == NULL)
			return -1;
		p = last + 1;
	}
	n = strlen(p);
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	return crypt_unhex(p, n, mac, 32);
}

int
sig_verify_ts_sha256(const char *secret, const char *timestamp,
    const char *body, size_t bodylen, const char *header)
{
	unsigned char	 want[32], got[32];

	if (secret == NULL || *secret == '\0' || timestamp == NULL ||
	    sig_parse_sha256(header, got) == -1)
		return -1;
	if (sig_hmac_sha256_ts(secret, timestamp, body, bodylen, want) == -1)
		return -1;
	return CRYPTO_memcmp(want, got, sizeof(want)) == 0 ? 0 : -1;
}
