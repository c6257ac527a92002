/*
 * fuzz/sig: the signature headers hookpost reads (lib/sig.c): seed
 * 004's X-Webhook-Signature, and sig_verify() under every scheme (seed
 * 000 callbacks, GitHub, Slack, ...), which must also accept what
 * sig_sign() wrote for the same request.
 *
 * Input: header value \n secret \n algorithm \n id \n timestamp \n body.
 */
#include <stdlib.h>
#include <strings.h>

#include "fuzz.h"
#include "sig.h"

/* The header holding the signature itself, or NULL. */
static const char *
signature_of(const struct sig_headers *h)
{
	size_t	 i;

	for (i = 0; i < h->n; i++)
		if (strcasestr(h->h[i].name, "signature") != NULL &&
		    strcasestr(h->h[i].name, "previous") == NULL)
			return h->h[i].value;
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in		 in = { data, size };
	struct sig_request	 rq;
	struct sig_headers	 out;
	unsigned char		 mac[32], *key;
	char			*header, *secret, *algo, *id, *ts, *body;
	const char		*ossl, *sig;
	size_t			 bodylen, keylen, maclen;
	long long		 t;
	int			 scheme;

	fuzz_setup();
	header = fuzz_line(&in);
	secret = fuzz_line(&in);
	algo = fuzz_line(&in);
	id = fuzz_line(&in);
	ts = fuzz_line(&in);
	body = fuzz_rest(&in, &bodylen);

	(void)sig_verify_ts_sha256(secret, ts, body, bodylen, header);
	(void)sig_parse_sha256(header, mac);
	(void)sig_digest(algo, &ossl, &maclen);
	if ((key = sig_standard_key_new(header, &keylen)) != NULL)
		free(key);
	if (parse_int(ts, 0, 99999999999LL, &t) == -1)
		t = 0;

	for (scheme = 0; scheme < SIG_SCHEME__MAX; scheme++) {
		memset(&rq, 0, sizeof(rq));
		rq.scheme = (enum sig_scheme)scheme;
		rq.algorithm = *algo != '\0' ? algo : NULL;
		rq.secrets[0] = secret;
		rq.raw_key = 1;
		rq.id = id;
		rq.ts = t;
		rq.body = body;
		rq.bodylen = bodylen;
		(void)sig_verify(&rq, header);
		memset(&out, 0, sizeof(out));
		/* What hookpost signs, it verifies (one "<prefix><hex>"). */
		if (sig_sign(&rq, &out) == 0 && scheme != SIG_STRIPE &&
		    scheme != SIG_STANDARD && (sig = signature_of(&out)) != NULL &&
		    sig_verify(&rq, sig) != 0)
			abort();
		sig_headers_free(&out);
	}
	free(header);
	free(secret);
	free(algo);
	free(id);
	free(ts);
	free(body);
	return 0;
}
