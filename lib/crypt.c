#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "cfg.h"
#include "crypt.h"
#include "log.h"
#include "util.h"

#define GCM_NONCE	12
#define GCM_TAG		16

static unsigned char	 master_key[32];
static int		 master_loaded;

int
crypt_random(void *buf, size_t n)
{
	if (RAND_bytes(buf, (int)n) != 1) {
		log_error("RAND_bytes failed");
		return -1;
	}
	return 0;
}

char *
crypt_token_new(const char *prefix, size_t n)
{
	static const char alnum[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char	 r;
	size_t		 plen, i;
	char		*s;

	plen = strlen(prefix);
	s = xmalloc(plen + n + 1);
	memcpy(s, prefix, plen);
	for (i = 0; i < n; ) {
		if (crypt_random(&r, 1) == -1) {
			free(s);
			return NULL;
		}
		/* Rejection sampling keeps the 62 symbols uniform. */
		if (r >= 248)
			continue;
		s[plen + i++] = alnum[r % 62];
	}
	s[plen + n] = '\0';
	return s;
}

char *
crypt_whsec_new(void)
{
	unsigned char	 rnd[24];
	char		*b64, *s;

	if (crypt_random(rnd, sizeof(rnd)) == -1)
		return NULL;
	b64 = crypt_b64_new(rnd, sizeof(rnd));
	explicit_bzero(rnd, sizeof(rnd));
	s = xasprintf("whsec_%s", b64);
	explicit_bzero(b64, strlen(b64));
	free(b64);
	return s;
}

void
crypt_secret_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
crypt_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
crypt_unhex(const char *hex, size_t hexlen, unsigned char *out, size_t outlen)
{
	size_t	 i;
	int	 hi, lo;

	if (hexlen != 2 * outlen)
		return -1;
	for (i = 0; i < outlen; i++) {
		hi = hexval((unsigned char)hex[2 * i]);
		lo = hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void
crypt_sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char	 md[SHA256_DIGEST_LENGTH];

	SHA256(data, n, md);
	crypt_hex(md, sizeof(md), out);
}

char *
crypt_b64_new(const void *data, size_t n)
{
	char	*s;

	s = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)s, data, (int)n);
	return s;
}

unsigned char *
crypt_unb64_new(const char *s, size_t *outlen)
{
	unsigned char	*out;
	size_t		 len, pad = 0;
	int		 n;

	len = strlen(s);
	if (len == 0 || len % 4 != 0)
		return NULL;
	out = xmalloc(len / 4 * 3 + 1);
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len)) < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts padding as zero bytes. */
	if (s[len - 1] == '=')
		pad++;
	if (s[len - 2] == '=')
		pad++;
	*outlen = (size_t)n - pad;
	return out;
}

/*
 * The key file holds 32 raw bytes or 64 hex digits.  A missing key is an
 * error, never a silent plaintext fallback.
 */
static int
crypt_load_key(void)
{
	FILE		*f;
	unsigned char	 raw[80];
	size_t		 n;

	if (master_loaded)
		return 0;
	if (cfg.secret_key_file == NULL) {
		log_error("HOOKPOST_SECRET_KEY_FILE is not set; "
		    "secrets cannot be stored or read");
		return -1;
	}
	if ((f = fopen(cfg.secret_key_file, "rb")) == NULL) {
		log_error("%s: %s", cfg.secret_key_file, strerror(errno));
		return -1;
	}
	n = fread(raw, 1, sizeof(raw), f);
	fclose(f);
	while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == '\r'))
		n--;
	if (n == 64 && crypt_unhex((char *)raw, 64, master_key, 32) == 0)
		master_loaded = 1;
	else if (n == 32) {
		memcpy(master_key, raw, 32);
		master_loaded = 1;
	}
	if (!master_loaded) {
		log_error("%s: expected 32 bytes or 64 hex digits",
		    cfg.secret_key_file);
		return -1;
	}
	return 0;
}

char *
crypt_secret_seal(const char *plain)
{
	EVP_CIPHER_CTX	*ctx = NULL;
	unsigned char	*blob = NULL;
	char		*b64 = NULL, *out = NULL;
	size_t		 plen;
	int		 len;

	if (crypt_load_key() == -1)
		return NULL;
	plen = strlen(plain);
	blob = xmalloc(GCM_NONCE + plen + GCM_TAG);
	if (crypt_random(blob, GCM_NONCE) == -1)
		goto out;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, master_key,
	    blob) != 1 ||
	    EVP_EncryptUpdate(ctx, blob + GCM_NONCE, &len,
	    (const unsigned char *)plain, (int)plen) != 1 ||
	    EVP_EncryptFinal_ex(ctx, blob + GCM_NONCE + len, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG,
	    blob + GCM_NONCE + plen) != 1) {
		log_error("secret encryption failed");
		goto out;
	}
	b64 = crypt_b64_new(blob, GCM_NONCE + plen + GCM_TAG);
	out = xasprintf("v1:%s", b64);
out:
	free(b64);
	free(blob);
	EVP_CIPHER_CTX_free(ctx);
	return out;
}

char *
crypt_secret_open(const char *sealed)
{
	EVP_CIPHER_CTX	*ctx = NULL;
	unsigned char	*blob = NULL;
	char		*plain = NULL, *out = NULL;
	size_t		 n, clen;
	int		 len;

	if (crypt_load_key() == -1)
		return NULL;
	if (strncmp(sealed, "v1:", 3) != 0 ||
	    (blob = crypt_unb64_new(sealed + 3, &n)) == NULL ||
	    n < GCM_NONCE + GCM_TAG) {
		log_error("sealed secret is malformed");
		goto out;
	}
	clen = n - GCM_NONCE - GCM_TAG;
	plain = xmalloc(clen + 1);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, master_key,
	    blob) != 1 ||
	    EVP_DecryptUpdate(ctx, (unsigned char *)plain, &len,
	    blob + GCM_NONCE, (int)clen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG,
	    blob + GCM_NONCE + clen) != 1 ||
	    EVP_DecryptFinal_ex(ctx, (unsigned char *)plain + len, &len) != 1) {
		log_error("sealed secret does not open under this key");
		goto out;
	}
	plain[clen] = '\0';
	out = plain;
	plain = NULL;
out:
	free(plain);
	free(blob);
	EVP_CIPHER_CTX_free(ctx);
	return out;
}
