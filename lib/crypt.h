/*
 * crypt: randomness, digests, base64 and secrets at rest (AES-256-GCM
 * under the key in HOOKPOST_SECRET_KEY_FILE).  All from OpenSSL.
 */
#ifndef HOOKPOST_CRYPT_H
#define HOOKPOST_CRYPT_H

#include <stddef.h>

/* Fills buf from OpenSSL's CSPRNG: 0 or -1. */
int	 crypt_random(void *buf, size_t n);
/* A new string: prefix + n random alphanumerics; caller frees. */
char	*crypt_token_new(const char *prefix, size_t n);
/*
 * A generated signing secret (ARCHITECTURE.md §3): "whsec_" + base64 of
 * 24 random bytes, which
 * is also a Standard Webhooks key.  A new string the caller frees with
 * crypt_secret_free(), or NULL when there is no randomness.
 */
char	*crypt_whsec_new(void);
/* Wipes and frees a secret; NULL is allowed. */
void	 crypt_secret_free(char *s);
/* Lower-case hex SHA-256 of data into out[65]. */
void	 crypt_sha256_hex(const void *data, size_t n, char out[65]);
/* Lower-case hex into out (2n+1 bytes). */
void	 crypt_hex(const unsigned char *in, size_t n, char *out);
/* Decodes exactly outlen bytes of hex: 0 or -1. */
int	 crypt_unhex(const char *hex, size_t hexlen, unsigned char *out,
	    size_t outlen);
/* Standard base64 of data; a new string the caller frees. */
char	*crypt_b64_new(const void *data, size_t n);
/* Decodes standard base64: a new buffer the caller frees, or NULL. */
unsigned char *crypt_unb64_new(const char *s, size_t *outlen);

/*
 * Seals a secret for storage: "v1:" + base64(nonce | ciphertext | tag).
 * Returns a new string the caller frees, or NULL (logged) when no key is
 * configured or encryption fails.
 */
char	*crypt_secret_seal(const char *plain);
/* Opens a sealed secret: a new string the caller frees with
 * crypt_secret_free(), or NULL (logged). */
char	*crypt_secret_open(const char *sealed);

#endif
