/*
 * fuzz/provider: a trigger's signature verification under every preset
 * (lib/provider.c: hookpost's own timestamped and body schemes, GitHub,
 * Stripe, Slack, Standard Webhooks), then what is read of the payload
 * (the body as JSON or Slack's form, the delivery id, the handshakes).
 *
 * Input: the test vectors' form (the .vec files of tests/data/triggers/providers):
 * lines "provider: <name>", "scheme: <hmac scheme>", "algorithm: <a>",
 * "secret: <s>", "now: <unix seconds>", "header: <Name>: <value>" (any
 * number), then a line "body:" and the body, all the rest.
 */
#include <stdlib.h>
#include <strings.h>

#include "fuzz.h"
#include "provider.h"

#define HEADERS_MAX	16

struct msg {
	char	*name[HEADERS_MAX];
	char	*value[HEADERS_MAX];
	size_t	 n;
};

static const char *
header(void *ctx, const char *name)
{
	struct msg	*m = ctx;
	size_t		 i;

	for (i = 0; i < m->n; i++)
		if (strcasecmp(m->name[i], name) == 0)
			return m->value[i];
	return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in		 in = { data, size };
	struct msg		 hm = { { NULL }, { NULL }, 0 };
	struct provider_msg	 m;
	struct provider_mac	 mac;
	enum provider		 p = PROVIDER_NONE;
	enum provider_hmac	 hmac = PROVIDER_HMAC_TIMESTAMPED;
	char			*lines[32], *body = NULL, *v, *c;
	const char		*algo = NULL, *secret = "", *why, *ctype;
	json_t			*payload, *reply;
	size_t			 nlines = 0, bodylen = 0, i;
	long long		 now = 0;
	int			 enveloped;

	fuzz_setup();
	while (in.n > 0 && nlines < sizeof(lines) / sizeof(lines[0])) {
		v = lines[nlines++] = fuzz_line(&in);
		if (strcmp(v, "body:") == 0)
			break;
		if ((c = strchr(v, ':')) == NULL)
			continue;
		*c++ = '\0';
		c += strspn(c, " ");
		if (strcmp(v, "provider") == 0)
			(void)provider_parse(strcmp(c, "none") ? c : NULL, &p);
		else if (strcmp(v, "scheme") == 0)
			(void)provider_hmac_parse(c, &hmac);
		else if (strcmp(v, "algorithm") == 0)
			algo = c;
		else if (strcmp(v, "secret") == 0)
			secret = c;
		else if (strcmp(v, "now") == 0)
			(void)parse_int(c, 0, 99999999999LL, &now);
		else if (strcmp(v, "header") == 0 && hm.n < HEADERS_MAX &&
		    (v = strchr(c, ':')) != NULL) {
			*v++ = '\0';
			hm.name[hm.n] = c;
			hm.value[hm.n++] = v + strspn(v, " ");
		}
	}
	body = fuzz_rest(&in, &bodylen);

	memset(&m, 0, sizeof(m));
	m.header = header;
	m.ctx = &hm;
	m.body = body;
	m.bodylen = bodylen;
	m.now = now;
	m.tolerance = PROVIDER_TOLERANCE;
	(void)provider_verify(p, hmac, algo, secret, &m, &mac, &why);
	if ((ctype = header(&hm, "Content-Type")) == NULL)
		ctype = "application/json";
	if ((payload = provider_payload_new(p, ctype, body, bodylen)) != NULL) {
		(void)provider_delivery_id(p, &m, payload);
		if (provider_handshake(p, &m, payload, &reply, &enveloped))
			json_decref(reply);
		json_decref(payload);
	}
	for (i = 0; i < nlines; i++)
		free(lines[i]);
	free(body);
	return 0;
}
