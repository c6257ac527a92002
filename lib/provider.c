#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <jansson.h>

#include "crypt.h"
#include "provider.h"
#include "req.h"
#include "sig.h"
#include "util.h"

_Static_assert(PROVIDER_MAC_MAX == SIG_MAX_MAC, "provider_mac holds any MAC");

#define MAX_V1		8	/* signatures looked at in one header */
#define FORM_MAX_FIELDS	256

const char *const provider_names[] = { "github", "stripe", "slack",
    "standard", NULL };
const char *const provider_algorithms[] = { "sha256", "sha512", "sha1",
    NULL };
const char *const provider_hmac_schemes[] = { "timestamped", "body", NULL };
const char *const provider_dedupe_modes[] = { "mac", "id", NULL };

/* Kept in an event's metadata: seed 002 "selected_headers" (its example
 * keeps X-GitHub-Event and X-GitHub-Delivery).  Never a signature. */
const char *const provider_kept_headers[] = {
	"Content-Type", "X-GitHub-Event", "X-GitHub-Delivery",
	"X-GitHub-Hook-ID", "X-GitHub-Hook-Installation-Target-Type",
	"X-GitHub-Hook-Installation-Target-ID", "webhook-id",
	"webhook-timestamp", "X-Slack-Request-Timestamp", "X-Slack-Retry-Num",
	"X-Slack-Retry-Reason", "X-Webhook-Event", "X-Webhook-Delivery-Id",
	"X-Webhook-Timestamp", "X-Request-Id", NULL
};

int
provider_parse(const char *name, enum provider *out)
{
	static const enum provider kinds[] = { PROVIDER_GITHUB,
	    PROVIDER_STRIPE, PROVIDER_SLACK, PROVIDER_STANDARD };
	size_t	 i;

	if (name == NULL || *name == '\0') {
		*out = PROVIDER_NONE;
		return 0;
	}
	for (i = 0; provider_names[i] != NULL; i++)
		if (strcmp(provider_names[i], name) == 0) {
			*out = kinds[i];
			return 0;
		}
	return -1;
}

const char *
provider_name(enum provider p)
{
	switch (p) {
	case PROVIDER_GITHUB:	return "github";
	case PROVIDER_STRIPE:	return "stripe";
	case PROVIDER_SLACK:	return "slack";
	case PROVIDER_STANDARD:	return "standard";
	case PROVIDER_NONE:	break;
	}
	return NULL;
}

int
provider_hmac_parse(const char *name, enum provider_hmac *out)
{
	if (name == NULL || strcmp(name, "timestamped") == 0)
		*out = PROVIDER_HMAC_TIMESTAMPED;
	else if (strcmp(name, "body") == 0)
		*out = PROVIDER_HMAC_BODY;
	else
		return -1;
	return 0;
}

/* Trims ASCII space at both ends of s[0..*n); returns the new start. */
static const char *
trim(const char *s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)*s)) {
		s++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)s[*n - 1]))
		(*n)--;
	return s;
}

/* 1 when hex s[0..n) decodes to exactly mac[0..maclen), in constant time. */
static int
hex_matches(const char *s, size_t n, const unsigned char *mac, size_t maclen)
{
	unsigned char	 got[SIG_MAX_MAC];

	s = trim(s, &n);
	if (maclen > sizeof(got) || crypt_unhex(s, n, got, maclen) == -1)
		return 0;
	return CRYPTO_memcmp(got, mac, maclen) == 0;
}

/* A decimal Unix timestamp: 0 and *out, or -1. */
static int
parse_ts(const char *s, size_t n, long long *out)
{
	char	 buf[24];

	s = trim(s, &n);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!isdigit((unsigned char)buf[0]))
		return -1;
	return parse_int(buf, 0, 99999999999LL, out);
}

static enum provider_verdict
check_ts(const struct provider_msg *m, long long ts, const char **why)
{
	if (llabs(m->now - ts) > m->tolerance) {
		*why = "Webhook timestamp is outside the 5 minute tolerance";
		return PROVIDER_EXPIRED;
	}
	return PROVIDER_OK;
}

/*
 * Whether header value h, "<algo>=<hex>" (the prefix naming this
 * trigger's algorithm) or bare hex, is HMAC-<algorithm>(secret, prefix
 * + body).  The MAC it matched goes to *mac.
 */
static enum provider_verdict
own_mac_matches(const char *algorithm, const char *secret, const char *h,
    const char *prefix, const struct provider_msg *m, struct provider_mac *mac)
{
	struct sig_part	 parts[2];
	const char	*ossl, *eq;
	size_t		 want, alen;

	if (sig_digest(algorithm, &ossl, &want) == -1)
		return PROVIDER_NO_SECRET;
	if ((eq = strchr(h, '=')) != NULL) {
		/* "sha256=<hex>": the prefix must name this trigger's algorithm. */
		alen = (size_t)(eq - h);
		if (alen != strlen(algorithm) ||
		    strncasecmp(h, algorithm, alen) != 0)
			return PROVIDER_BAD_SIGNATURE;
		h = eq + 1;
	}
	parts[0] = (struct sig_part){ prefix, strlen(prefix) };
	parts[1] = (struct sig_part){ m->body, m->bodylen };
	if (sig_hmac(ossl, secret, strlen(secret), parts, 2, mac->b,
	    &mac->len) == -1 || mac->len != want)
		return PROVIDER_BAD_SIGNATURE;
	return hex_matches(h, strlen(h), mac->b, mac->len) ? PROVIDER_OK :
	    PROVIDER_BAD_SIGNATURE;
}

/* seed 002's own scheme: "<algo>=<hex>" or bare hex, body only. */
static enum provider_verdict
verify_plain(const char *algorithm, const char *secret,
    const struct provider_msg *m, const char **why)
{
	static const char *const headers[] = { "X-Webhook-Signature",
	    "X-Hub-Signature-256", "X-Hub-Signature", NULL };
	struct provider_mac	 mac;
	const char		*h = NULL;
	size_t			 i;
	enum provider_verdict	 v;

	for (i = 0; headers[i] != NULL && h == NULL; i++)
		h = m->header(m->ctx, headers[i]);
	*why = "Webhook signature verification failed";
	if (h == NULL)
		return PROVIDER_BAD_SIGNATURE;
	if ((v = own_mac_matches(algorithm, secret, h, "", m, &mac)) ==
	    PROVIDER_NO_SECRET)
		*why = "HMAC algorithm is not usable";
	return v;
}

/*
 * hookpost's timestamped scheme, seed 004's form with the trigger's
 * algorithm: X-Webhook-Signature over "<X-Webhook-Timestamp>.<body>".
 * An authentic signature outside the tolerance is PROVIDER_EXPIRED; one
 * inside it leaves its MAC in *mac for the replay guard.
 */
static enum provider_verdict
verify_timestamped(const char *algorithm, const char *secret,
    const struct provider_msg *m, struct provider_mac *mac, const char **why)
{
	struct provider_mac	 got;
	const char		*h, *tsh;
	char			 prefix[32];
	long long		 ts;
	enum provider_verdict	 v;

	*why = "Webhook signature verification failed";
	h = m->header(m->ctx, "X-Webhook-Signature");
	tsh = m->header(m->ctx, "X-Webhook-Timestamp");
	if (h == NULL || tsh == NULL || parse_ts(tsh, strlen(tsh), &ts) == -1)
		return PROVIDER_BAD_SIGNATURE;
	/* The timestamp as sent is what was signed (it is only digits). */
	snprintf(prefix, sizeof(prefix), "%s.", tsh);
	if ((v = own_mac_matches(algorithm, secret, h, prefix, m, &got)) !=
	    PROVIDER_OK) {
		if (v == PROVIDER_NO_SECRET)
			*why = "HMAC algorithm is not usable";
		return v;
	}
	if ((v = check_ts(m, ts, why)) == PROVIDER_OK)
		*mac = got;
	return v;
}

static enum provider_verdict
verify_github(const char *secret, const struct provider_msg *m,
    const char **why)
{
	struct sig_part	 part = { m->body, m->bodylen };
	unsigned char	 mac[SIG_MAX_MAC];
	const char	*h;
	size_t		 maclen;

	*why = "Webhook signature verification failed";
	h = m->header(m->ctx, "X-Hub-Signature-256");
	if (h == NULL || strncasecmp(h, "sha256=", 7) != 0)
		return PROVIDER_BAD_SIGNATURE;
	if (sig_hmac("SHA256", secret, strlen(secret), &part, 1, mac,
	    &maclen) == -1)
		return PROVIDER_BAD_SIGNATURE;
	return hex_matches(h + 7, strlen(h + 7), mac, maclen) ? PROVIDER_OK :
	    PROVIDER_BAD_SIGNATURE;
}

/*
 * Verdict v, and when it is PROVIDER_OK the MAC it accepted into *got,
 * for the replay guard of a preset whose provider sends some requests
 * with no id of their own (Stripe without an event id, Slack's slash
 * commands and interactivity): the MAC covers the timestamp and the
 * body, so the same MAC is the same request.
 */
static enum provider_verdict
mac_give(enum provider_verdict v, const unsigned char *mac, size_t maclen,
    struct provider_mac *got)
{
	if (v == PROVIDER_OK && maclen <= sizeof(got->b)) {
		memcpy(got->b, mac, maclen);
		got->len = maclen;
	}
	return v;
}

/*
 * Stripe "Verify manually": the header is comma-separated k=v items; t
 * is the timestamp, every v1 a candidate (several during secret
 * rotation), v0 and unknown schemes are ignored.
 */
static enum provider_verdict
verify_stripe(const char *secret, const struct provider_msg *m,
    struct provider_mac *got, const char **why)
{
	struct sig_part	 parts[3];
	unsigned char	 mac[SIG_MAX_MAC];
	const char	*h, *p, *end, *v1[MAX_V1];
	size_t		 v1len[MAX_V1], nv1 = 0, maclen, i, n;
	long long	 ts = -1;
	char		 tsbuf[24];
	int		 match = 0;

	*why = "Webhook signature verification failed";
	if ((h = m->header(m->ctx, "Stripe-Signature")) == NULL)
		return PROVIDER_BAD_SIGNATURE;
	for (p = h; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		end = strchrnul(p, ',');
		n = (size_t)(end - p);
		p = trim(p, &n);
		if (n > 2 && strncmp(p, "t=", 2) == 0) {
			if (parse_ts(p + 2, n - 2, &ts) == -1)
				return PROVIDER_BAD_SIGNATURE;
		} else if (n > 3 && strncmp(p, "v1=", 3) == 0 && nv1 < MAX_V1) {
			v1[nv1] = p + 3;
			v1len[nv1++] = n - 3;
		}
	}
	if (ts < 0 || nv1 == 0)
		return PROVIDER_BAD_SIGNATURE;
	snprintf(tsbuf, sizeof(tsbuf), "%lld", ts);
	parts[0] = (struct sig_part){ tsbuf, strlen(tsbuf) };
	parts[1] = (struct sig_part){ ".", 1 };
	parts[2] = (struct sig_part){ m->body, m->bodylen };
	if (sig_hmac("SHA256", secret, strlen(secret), parts, 3, mac,
	    &maclen) == -1)
		return PROVIDER_BAD_SIGNATURE;
	/* Every candidate is compared: the time does not tell which matched. */
	for (i = 0; i < nv1; i++)
		match |= hex_matches(v1[i], v1len[i], mac, maclen);
	if (!match)
		return PROVIDER_BAD_SIGNATURE;
	return mac_give(check_ts(m, ts, why), mac, maclen, got);
}

/* Slack "Verifying requests from Slack": v0:<ts>:<body>. */
static enum provider_verdict
verify_slack(const char *secret, const struct provider_msg *m,
    struct provider_mac *got, const char **why)
{
	struct sig_part	 parts[4];
	unsigned char	 mac[SIG_MAX_MAC];
	const char	*h, *tsh;
	size_t		 maclen;
	long long	 ts;

	*why = "Webhook signature verification failed";
	h = m->header(m->ctx, "X-Slack-Signature");
	tsh = m->header(m->ctx, "X-Slack-Request-Timestamp");
	if (h == NULL || tsh == NULL || strncmp(h, "v0=", 3) != 0 ||
	    parse_ts(tsh, strlen(tsh), &ts) == -1)
		return PROVIDER_BAD_SIGNATURE;
	parts[0] = (struct sig_part){ "v0:", 3 };
	parts[1] = (struct sig_part){ tsh, strlen(tsh) };
	parts[2] = (struct sig_part){ ":", 1 };
	parts[3] = (struct sig_part){ m->body, m->bodylen };
	if (sig_hmac("SHA256", secret, strlen(secret), parts, 4, mac,
	    &maclen) == -1)
		return PROVIDER_BAD_SIGNATURE;
	if (!hex_matches(h + 3, strlen(h + 3), mac, maclen))
		return PROVIDER_BAD_SIGNATURE;
	return mac_give(check_ts(m, ts, why), mac, maclen, got);
}

/*
 * Standard Webhooks "Verifying webhooks": the signature header is a
 * space-delimited list of "<version>,<base64>"; any v1 may match (key
 * rotation); other versions (v1a, asymmetric) are skipped.
 */
static enum provider_verdict
verify_standard(const char *secret, const struct provider_msg *m,
    const char **why)
{
	struct sig_part	 parts[5];
	unsigned char	 mac[SIG_MAX_MAC], *key = NULL, *got;
	const char	*id, *tsh, *h, *p, *end;
	char		 b64[128];
	size_t		 keylen, maclen, n, gotlen;
	long long	 ts;
	int		 match = 0, seen = 0;
	enum provider_verdict v = PROVIDER_BAD_SIGNATURE;

	*why = "Webhook signature verification failed";
	if ((key = sig_standard_key_new(secret, &keylen)) == NULL) {
		*why = "The trigger's secret is not a Standard Webhooks "
		    "secret (whsec_ + base64)";
		return PROVIDER_NO_SECRET;
	}
	id = m->header(m->ctx, "webhook-id");
	tsh = m->header(m->ctx, "webhook-timestamp");
	h = m->header(m->ctx, "webhook-signature");
	if (id == NULL || tsh == NULL || h == NULL ||
	    parse_ts(tsh, strlen(tsh), &ts) == -1)
		goto out;
	parts[0] = (struct sig_part){ id, strlen(id) };
	parts[1] = (struct sig_part){ ".", 1 };
	parts[2] = (struct sig_part){ tsh, strlen(tsh) };
	parts[3] = (struct sig_part){ ".", 1 };
	parts[4] = (struct sig_part){ m->body, m->bodylen };
	if (sig_hmac("SHA256", key, keylen, parts, 5, mac, &maclen) == -1)
		goto out;
	for (p = h; *p != '\0' && seen < MAX_V1; p = end) {
		while (*p == ' ')
			p++;
		end = strchrnul(p, ' ');
		n = (size_t)(end - p);
		if (n < 4 || strncmp(p, "v1,", 3) != 0)
			continue;
		seen++;
		if (n - 3 >= sizeof(b64))
			continue;
		memcpy(b64, p + 3, n - 3);
		b64[n - 3] = '\0';
		if ((got = crypt_unb64_new(b64, &gotlen)) == NULL)
			continue;
		if (gotlen == maclen)
			match |= CRYPTO_memcmp(got, mac, maclen) == 0;
		free(got);
	}
	if (match)
		v = check_ts(m, ts, why);
out:
	explicit_bzero(key, keylen);
	free(key);
	return v;
}

enum provider_verdict
provider_verify(enum provider p, enum provider_hmac hmac,
    const char *algorithm, const char *secret, const struct provider_msg *m,
    struct provider_mac *mac, const char **why)
{
	enum provider_verdict	 v;

	mac->len = 0;
	if (secret == NULL || *secret == '\0') {
		*why = "HMAC verification is enabled but the trigger has no "
		    "usable secret";
		return PROVIDER_NO_SECRET;
	}
	switch (p) {
	case PROVIDER_GITHUB:
		return verify_github(secret, m, why);
	case PROVIDER_STRIPE:
		return verify_stripe(secret, m, mac, why);
	case PROVIDER_SLACK:
		return verify_slack(secret, m, mac, why);
	case PROVIDER_STANDARD:
		return verify_standard(secret, m, why);
	case PROVIDER_NONE:
		break;
	}
	if (algorithm == NULL)
		algorithm = "sha256";
	if (hmac == PROVIDER_HMAC_TIMESTAMPED)
		return verify_timestamped(algorithm, secret, m, mac, why);
	/*
	 * The body scheme takes a timestamped signature too, with its window
	 * and guard: a sender moves to it first, the trigger after.
	 */
	if (m->header(m->ctx, "X-Webhook-Timestamp") != NULL &&
	    (v = verify_timestamped(algorithm, secret, m, mac, why)) !=
	    PROVIDER_BAD_SIGNATURE)
		return v;
	return verify_plain(algorithm, secret, m, why);
}

/* application/x-www-form-urlencoded to an object of strings. */
static json_t *
form_decode_new(const char *body, size_t len)
{
	json_t		*o;
	const char	*p = body, *end = body + len, *amp, *eq;
	char		*k = NULL, *v = NULL;
	size_t		 nfields = 0;

	o = json_object();
	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp > p) {
			if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
				eq = amp;
			k = xmalloc((size_t)(eq - p) + 1);
			v = xmalloc((size_t)(amp - eq) + 1);
			if (++nfields > FORM_MAX_FIELDS ||
			    req_url_decode(p, (size_t)(eq - p), k,
			    (size_t)(eq - p) + 1) == -1 ||
			    req_url_decode(eq < amp ? eq + 1 : amp,
			    eq < amp ? (size_t)(amp - eq - 1) : 0, v,
			    (size_t)(amp - eq) + 1) == -1 ||
			    json_object_set_new(o, k, json_string(v)) == -1) {
				json_decref(o);
				o = NULL;
			}
			free(k);
			free(v);
			if (o == NULL)
				return NULL;
		}
		p = amp + 1;
	}
	return o;
}

json_t *
provider_payload_new(enum provider p, const char *ctype, const char *body,
    size_t bodylen)
{
	json_t		*j, *inner;
	const char	*s;

	j = json_loadb(body, bodylen, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, NULL);
	if (j != NULL || p != PROVIDER_SLACK || ctype == NULL ||
	    strncasecmp(ctype, "application/x-www-form-urlencoded", 33) != 0)
		return j;
	/* Slack slash commands and interactivity post forms. */
	if ((j = form_decode_new(body, bodylen)) == NULL)
		return NULL;
	if (json_object_size(j) == 1 &&
	    (s = json_string_value(json_object_get(j, "payload"))) != NULL &&
	    (inner = json_loads(s, JSON_REJECT_DUPLICATES, NULL)) != NULL) {
		json_decref(j);
		return inner;
	}
	return j;
}

static const char *
id_ok(const char *s)
{
	return s != NULL && *s != '\0' && strlen(s) <= PROVIDER_ID_MAX ?
	    s : NULL;
}

const char *
provider_delivery_id(enum provider p, const struct provider_msg *m,
    const json_t *payload)
{
	const char	*s;

	switch (p) {
	case PROVIDER_GITHUB:
		return id_ok(m->header(m->ctx, "X-GitHub-Delivery"));
	case PROVIDER_STANDARD:
		return id_ok(m->header(m->ctx, "webhook-id"));
	case PROVIDER_STRIPE:
		return id_ok(json_string_value(json_object_get(payload, "id")));
	case PROVIDER_SLACK:
		return id_ok(json_string_value(json_object_get(payload,
		    "event_id")));
	case PROVIDER_NONE:
		break;
	}
	/* hookpost's own outbound headers (ARCHITECTURE.md §3), then Standard's. */
	if ((s = id_ok(m->header(m->ctx, "X-Webhook-Delivery-Id"))) != NULL)
		return s;
	return id_ok(m->header(m->ctx, "webhook-id"));
}

int
provider_handshake(enum provider p, const struct provider_msg *m,
    const json_t *payload, json_t **reply, int *enveloped)
{
	const char	*ev, *challenge;

	if (p == PROVIDER_GITHUB) {
		ev = m->header(m->ctx, "X-GitHub-Event");
		if (ev == NULL || strcmp(ev, "ping") != 0)
			return 0;
		/* GitHub wants a 2xx; the hook id helps whoever reads logs. */
		*reply = json_pack("{s:s,s:O?}", "message", "pong", "hook_id",
		    json_object_get(payload, "hook_id"));
		*enveloped = 1;
		return *reply != NULL;
	}
	if (p == PROVIDER_SLACK) {
		ev = json_string_value(json_object_get(payload, "type"));
		challenge = json_string_value(json_object_get(payload,
		    "challenge"));
		if (ev == NULL || strcmp(ev, "url_verification") != 0 ||
		    challenge == NULL)
			return 0;
		/* Slack reads {"challenge": ...} itself: no envelope. */
		*reply = json_pack("{s:s}", "challenge", challenge);
		*enveloped = 0;
		return *reply != NULL;
	}
	return 0;
}

int
provider_sign(enum provider p, const char *algorithm, const char *secret,
    const char *body, size_t bodylen, const char *id, long long ts,
    struct buf *out)
{
	static const enum sig_scheme	 scheme[] = {
		[PROVIDER_NONE] = SIG_TIMESTAMPED,
		[PROVIDER_GITHUB] = SIG_GITHUB,
		[PROVIDER_STRIPE] = SIG_STRIPE,
		[PROVIDER_SLACK] = SIG_SLACK,
		[PROVIDER_STANDARD] = SIG_STANDARD,
	};
	struct sig_request		 rq;
	struct sig_headers		 sh;
	size_t				 i;
	int				 rc;

	memset(&rq, 0, sizeof(rq));
	rq.scheme = scheme[p];
	rq.algorithm = algorithm;
	rq.secrets[0] = secret;
	rq.id = id;
	rq.ts = ts;
	rq.body = body;
	rq.bodylen = bodylen;
	if ((rc = sig_sign(&rq, &sh)) == 0)
		for (i = 0; i < sh.n; i++)
			buf_appendf(out, "%s: %s\r\n", sh.h[i].name,
			    sh.h[i].value);
	sig_headers_free(&sh);
	return rc;
}
