#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "cfg.h"
#include "crypt.h"
#include "log.h"
#include "sig.h"
#include "util.h"

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

int
sig_ts_fresh(long long t)
{
	return llabs((long long)time(NULL) - t) <= cfg.ts_tolerance;
}

int
sig_digest(const char *algorithm, const char **ossl, size_t *maclen)
{
	if (algorithm == NULL || strcmp(algorithm, "sha256") == 0) {
		*ossl = "SHA256";
		*maclen = 32;
	} else if (strcmp(algorithm, "sha512") == 0) {
		*ossl = "SHA512";
		*maclen = 64;
	} else if (strcmp(algorithm, "sha1") == 0) {
		*ossl = "SHA1";
		*maclen = 20;
	} else
		return -1;
	return 0;
}

/*
 * The outbound header schemes.  Templates expand %t (the timestamp), %i
 * (the id), %a (the algorithm), %h (the MAC in hex) and %b (in base64).
 * A request sends the id header, the timestamp header, the signature,
 * then the previous secret's signature.  A new scheme is a new row.
 */
static const struct sig_scheme_row {
	const char	*signed_prefix;	/* the MAC is over prefix + body */
	const char	*id_header;	/* or NULL */
	const char	*ts_header;	/* or NULL */
	const char	*sig_header;
	const char	*sig_value;	/* one signature */
	const char	*prev_header;	/* the previous secret's own header */
	const char	*prev_sep;	/* or: joins it to sig_value */
	int		 any_algorithm;	/* else always sha256 */
	int		 standard_key;	/* the key is base64 after "whsec_" */
} sig_schemes[SIG_SCHEME__MAX] = {
	/* seed 000; the previous secret in a header of its own (issue 4). */
	[SIG_HOOKPOST] = { "", NULL, NULL, "X-Webhook-Signature", "%a=%h",
	    "X-Webhook-Signature-Previous", NULL, 1, 0 },
	[SIG_GITHUB] = { "", NULL, NULL, "X-Hub-Signature-256", "sha256=%h",
	    NULL, NULL, 0, 0 },
	[SIG_STRIPE] = { "%t.", NULL, NULL, "Stripe-Signature",
	    "t=%t,v1=%h", NULL, NULL, 0, 0 },
	[SIG_SLACK] = { "v0:%t:", NULL, "X-Slack-Request-Timestamp",
	    "X-Slack-Signature", "v0=%h", NULL, NULL, 0, 0 },
	/* Standard Webhooks: a space-delimited list of signatures. */
	[SIG_STANDARD] = { "%i.%t.", "webhook-id", "webhook-timestamp",
	    "webhook-signature", "v1,%b", NULL, " ", 0, 1 },
	/*
	 * Signed by the receiver of an async delivery when it calls back
	 * (handlers/outbound/callback.c): bound to that one delivery and to
	 * a time, so a captured callback completes no other delivery and
	 * goes stale (issue 8).  The body of a GET is empty.
	 */
	[SIG_CALLBACK] = { "%i.%t.", NULL, "X-Webhook-Timestamp",
	    "X-Webhook-Signature", "sha256=%h", NULL, NULL, 0, 0 },
	/* seed 004's form, a trigger's timestamped scheme (lib/provider). */
	[SIG_TIMESTAMPED] = { "%t.", NULL, "X-Webhook-Timestamp",
	    "X-Webhook-Signature", "%a=%h", NULL, NULL, 1, 0 },
	/* seed 003's custom webhooks; the previous secret as seed 000's. */
	[SIG_TW] = { "", NULL, NULL, "X-TW-Signature", "sha256=%h",
	    "X-TW-Signature-Previous", NULL, 0, 0 },
};

unsigned char *
sig_standard_key_new(const char *secret, size_t *keylen)
{
	if (strncmp(secret, "whsec_", 6) == 0)
		secret += 6;
	return crypt_unb64_new(secret, keylen);
}

struct sig_fields {
	const char	*id, *ts, *algorithm;
	const char	*hex, *b64;
};

/* Appends tmpl with its % fields expanded. */
static void
sig_expand(struct buf *b, const char *tmpl, const struct sig_fields *f)
{
	const char	*p, *v;

	for (p = tmpl; *p != '\0'; p++) {
		if (*p != '%' || p[1] == '\0') {
			buf_append(b, p, 1);
			continue;
		}
		switch (*++p) {
		case 't':
			v = f->ts;
			break;
		case 'i':
			v = f->id;
			break;
		case 'a':
			v = f->algorithm;
			break;
		case 'h':
			v = f->hex;
			break;
		case 'b':
			v = f->b64;
			break;
		default:
			v = "";
			break;
		}
		buf_append(b, v, strlen(v));
	}
}

/*
 * The HMAC key of one secret: a new buffer the caller frees, or NULL.
 * Standard Webhooks keys are the base64 after an optional "whsec_" (the
 * reference library's reading); with raw_key, only "whsec_<base64>" is
 * decoded and any other secret is its own bytes.
 */
static unsigned char *
sig_key_new(const struct sig_scheme_row *s, const struct sig_request *rq,
    const char *secret, size_t *keylen)
{
	unsigned char	*k;
	int		 whsec = strncmp(secret, "whsec_", 6) == 0;

	if (s->standard_key && !rq->raw_key)
		return sig_standard_key_new(secret, keylen);
	if (s->standard_key && whsec &&
	    (k = crypt_unb64_new(secret + 6, keylen)) != NULL)
		return k;
	*keylen = strlen(secret);
	k = xmalloc(*keylen + 1);
	memcpy(k, secret, *keylen);
	return k;
}

/* The MAC of one secret over the row's prefix and the body: 0 or -1. */
static int
sig_mac(const struct sig_scheme_row *s, const struct sig_request *rq,
    const char *secret, const char *ossl, const struct sig_fields *f,
    unsigned char mac[SIG_MAX_MAC], size_t *maclen)
{
	struct buf	 prefix = { NULL, 0, 0 };
	struct sig_part	 parts[2];
	unsigned char	*key = NULL;
	size_t		 keylen = 0;
	int		 rc = -1;

	if (secret == NULL || *secret == '\0' ||
	    (key = sig_key_new(s, rq, secret, &keylen)) == NULL)
		goto out;
	sig_expand(&prefix, s->signed_prefix, f);
	parts[0].data = prefix.data ? prefix.data : "";
	parts[0].len = prefix.len;
	parts[1].data = rq->body;
	parts[1].len = rq->bodylen;
	if (sig_hmac(ossl, key, keylen, parts, 2, mac, maclen) == -1)
		goto out;
	rc = 0;
out:
	buf_free(&prefix);
	if (key != NULL) {
		explicit_bzero(key, keylen);
		free(key);
	}
	return rc;
}

/* Appends one signature by secret to *b: 0 or -1. */
static int
sig_one(const struct sig_scheme_row *s, const struct sig_request *rq,
    const char *secret, const char *ossl, struct sig_fields *f,
    struct buf *b)
{
	unsigned char	 mac[SIG_MAX_MAC];
	char		 hex[2 * SIG_MAX_MAC + 1], *b64 = NULL;
	size_t		 maclen;

	if (sig_mac(s, rq, secret, ossl, f, mac, &maclen) == -1)
		return -1;
	crypt_hex(mac, maclen, hex);
	f->hex = hex;
	if (strstr(s->sig_value, "%b") != NULL)
		b64 = crypt_b64_new(mac, maclen);
	f->b64 = b64 ? b64 : "";
	sig_expand(b, s->sig_value, f);
	f->hex = f->b64 = NULL;
	free(b64);
	return 0;
}

static void
sig_header_add(struct sig_headers *out, const char *name, struct buf *value)
{
	out->h[out->n].name = name;
	out->h[out->n].value = value->data ? value->data : xstrdup("");
	out->n++;
	value->data = NULL;
	value->len = value->cap = 0;
}

/*
 * The row of rq's scheme and the fields its templates expand (ts is the
 * caller's buffer for the timestamp), the OpenSSL digest and the MAC
 * length.  Returns the row, or NULL when the scheme, the algorithm or a
 * needed id is missing or unknown.
 */
static const struct sig_scheme_row *
sig_row(const struct sig_request *rq, struct sig_fields *f, char ts[24],
    const char **ossl, size_t *maclen)
{
	const struct sig_scheme_row	*s;

	if ((unsigned)rq->scheme >= SIG_SCHEME__MAX)
		return NULL;
	s = &sig_schemes[rq->scheme];
	snprintf(ts, 24, "%lld", rq->ts);
	memset(f, 0, sizeof(*f));
	f->ts = ts;
	f->id = rq->id ? rq->id : "";
	f->algorithm = s->any_algorithm && rq->algorithm ? rq->algorithm :
	    "sha256";
	if (sig_digest(f->algorithm, ossl, maclen) == -1)
		return NULL;
	if ((s->id_header != NULL || strstr(s->signed_prefix, "%i")) &&
	    rq->id == NULL)
		return NULL;
	return s;
}

int
sig_sign(const struct sig_request *rq, struct sig_headers *out)
{
	const struct sig_scheme_row	*s;
	struct sig_fields		 f;
	struct buf			 v = { NULL, 0, 0 };
	const char			*ossl;
	char				 ts[24];
	size_t				 maclen;
	int				 rc = -1;

	memset(out, 0, sizeof(*out));
	if ((s = sig_row(rq, &f, ts, &ossl, &maclen)) == NULL)
		goto out;
	/* A second signature needs a place to go. */
	if (rq->secrets[1] != NULL && s->prev_header == NULL &&
	    s->prev_sep == NULL)
		goto out;
	if (s->id_header != NULL) {
		buf_append(&v, rq->id, strlen(rq->id));
		sig_header_add(out, s->id_header, &v);
	}
	if (s->ts_header != NULL) {
		buf_append(&v, ts, strlen(ts));
		sig_header_add(out, s->ts_header, &v);
	}
	if (sig_one(s, rq, rq->secrets[0], ossl, &f, &v) == -1)
		goto out;
	if (rq->secrets[1] != NULL && s->prev_sep != NULL) {
		buf_append(&v, s->prev_sep, strlen(s->prev_sep));
		if (sig_one(s, rq, rq->secrets[1], ossl, &f, &v) == -1)
			goto out;
	}
	sig_header_add(out, s->sig_header, &v);
	if (rq->secrets[1] != NULL && s->prev_header != NULL) {
		if (sig_one(s, rq, rq->secrets[1], ossl, &f, &v) == -1)
			goto out;
		sig_header_add(out, s->prev_header, &v);
	}
	rc = 0;
out:
	buf_free(&v);
	return rc;
}

void
sig_headers_free(struct sig_headers *hs)
{
	size_t	 i;

	if (hs == NULL)
		return;
	for (i = 0; i < hs->n; i++)
		free(hs->h[i].value);
	hs->n = 0;
}

int
sig_verify(const struct sig_request *rq, const char *value)
{
	const struct sig_scheme_row	*s;
	struct sig_fields		 f;
	struct buf			 lead = { NULL, 0, 0 };
	unsigned char			 got[SIG_MAX_MAC], mac[SIG_MAX_MAC];
	const char			*ossl, *h, *p;
	char				 ts[24], tmpl[32];
	size_t				 maclen, n, i, len;
	int				 rc = -1;

	if (value == NULL || (s = sig_row(rq, &f, ts, &ossl, &maclen)) == NULL)
		goto out;
	/* "<prefix>%h" only: the prefix expanded, then the MAC in hex. */
	if ((h = strstr(s->sig_value, "%h")) == NULL || h[2] != '\0' ||
	    (size_t)(h - s->sig_value) >= sizeof(tmpl))
		goto out;
	memcpy(tmpl, s->sig_value, (size_t)(h - s->sig_value));
	tmpl[h - s->sig_value] = '\0';
	sig_expand(&lead, tmpl, &f);
	if (lead.len > 0 && strncasecmp(value, lead.data, lead.len) != 0)
		goto out;
	p = value + lead.len;
	n = strlen(p);
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	if (crypt_unhex(p, n, got, maclen) == -1)
		goto out;
	for (i = 0; i < SIG_SECRETS_MAX; i++) {
		if (rq->secrets[i] == NULL ||
		    sig_mac(s, rq, rq->secrets[i], ossl, &f, mac, &len) == -1 ||
		    len != maclen)
			continue;
		if (CRYPTO_memcmp(mac, got, maclen) == 0)
			rc = 0;
	}
out:
	buf_free(&lead);
	return rc;
}
