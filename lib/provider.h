/*
 * provider: how a trigger's sender signs, identifies and greets (seed
 * 002 "Optional Signature Verification" and its phase-5 presets).
 *
 *   none      hookpost's own, by the trigger's hmac_scheme:
 *             timestamped  X-Webhook-Timestamp and X-Webhook-Signature:
 *                          "<algo>=<hex>" or bare hex of HMAC-<algo>(secret,
 *                          "<ts>.<body>") (seed 004's form); the MAC is
 *                          given back for the replay guard
 *             body         seed 002: X-Webhook-Signature,
 *                          X-Hub-Signature-256 or X-Hub-Signature;
 *                          "<algo>=<hex>" or bare hex of HMAC-<algo>(
 *                          secret, body); a timestamped signature is
 *                          accepted too (senders move over first)
 *             algo sha256, sha512 or sha1
 *   github    X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>;
 *             delivery id X-GitHub-Delivery; X-GitHub-Event: ping answered
 *   stripe    Stripe-Signature: t=<ts>,v1=<hex>[,v1=...]: HMAC-SHA256(
 *             secret, "<ts>.<body>"), any v1 may match; event id $.id
 *   slack     X-Slack-Signature: v0=<hex HMAC-SHA256(secret,
 *             "v0:<ts>:<body>")>, X-Slack-Request-Timestamp;
 *             url_verification's challenge answered; event id $.event_id
 *   standard  Standard Webhooks: webhook-signature: v1,<base64> [v1,...]
 *             of HMAC-SHA256(base64-decoded secret less "whsec_",
 *             "<webhook-id>.<webhook-timestamp>.<body>"); id webhook-id
 *
 * Timestamped schemes refuse a timestamp more than the tolerance (5
 * minutes) either way.  Every comparison is constant-time.
 */
#ifndef HOOKPOST_PROVIDER_H
#define HOOKPOST_PROVIDER_H

#include <stddef.h>

#include <jansson.h>

enum provider {
	PROVIDER_NONE,
	PROVIDER_GITHUB,
	PROVIDER_STRIPE,
	PROVIDER_SLACK,
	PROVIDER_STANDARD
};

/* hookpost's own schemes, for a trigger with no preset (hmac_scheme). */
enum provider_hmac {
	PROVIDER_HMAC_TIMESTAMPED,	/* the default of new triggers */
	PROVIDER_HMAC_BODY		/* replayable: the body alone */
};

#define PROVIDER_TOLERANCE	300	/* seconds, every timestamped preset */
#define PROVIDER_ID_MAX		256	/* longer delivery ids are not kept */
#define PROVIDER_MAC_MAX	64	/* SIG_MAX_MAC */

/*
 * The MAC a verification accepted under a timestamped scheme of
 * hookpost's own, or of the stripe and slack presets (whose providers
 * send some requests with no id: Stripe bodies without "id", Slack's
 * slash commands and interactivity), for the replay guard: a signature
 * is accepted once (for those presets unless the trigger's dedupe is
 * "id").  len 0: none (a scheme without a timestamp, or standard's,
 * whose signed webhook-id dedupes).
 */
struct provider_mac {
	unsigned char	 b[PROVIDER_MAC_MAX];
	size_t		 len;
};

/* A request header by name (case-insensitive), or NULL. */
typedef const char *(*provider_header_fn)(void *ctx, const char *name);

/* What a verification sees of a request. */
struct provider_msg {
	provider_header_fn	 header;
	void			*ctx;
	const char		*body;
	size_t			 bodylen;
	long long		 now;		/* Unix seconds */
	long			 tolerance;	/* seconds */
};

enum provider_verdict {
	PROVIDER_OK = 0,
	PROVIDER_BAD_SIGNATURE,	/* missing, malformed or wrong */
	PROVIDER_EXPIRED,	/* authentic, but outside the tolerance */
	PROVIDER_NO_SECRET	/* no usable secret: refuse, never skip */
};

/* The names, and NULL-terminated for validator tables. */
extern const char *const provider_names[];	/* "github", ... */
extern const char *const provider_algorithms[];	/* "sha256", ... */
extern const char *const provider_hmac_schemes[];	/* "timestamped", "body" */
/* A stripe or slack trigger's dedupe: "mac" (default) or "id" only. */
extern const char *const provider_dedupe_modes[];

/* Parses a preset name ("github"); NULL or "" is PROVIDER_NONE.  0 or -1. */
int		 provider_parse(const char *name, enum provider *out);
/* The preset's name, NULL for PROVIDER_NONE. */
const char	*provider_name(enum provider);
/* Parses an hmac_scheme ("timestamped", "body"; NULL: timestamped).  0 or -1. */
int		 provider_hmac_parse(const char *name, enum provider_hmac *out);

/*
 * Verifies m under p's scheme with secret (hmac and algorithm: sha256,
 * sha512 or sha1, for PROVIDER_NONE only).  Returns the verdict; *why is
 * a human sentence for a refusal (static); *mac (len 0 unless
 * PROVIDER_OK) the MAC to guard against a replay, when the scheme needs
 * one.
 */
enum provider_verdict provider_verify(enum provider p, enum provider_hmac hmac,
		    const char *algorithm, const char *secret,
		    const struct provider_msg *m, struct provider_mac *mac,
		    const char **why);

/*
 * The request body as the event's source document: any JSON value
 * (duplicate keys refused); for Slack, a form-encoded body (slash
 * commands; interactivity's payload=<json>) decoded to an object.
 * Returns a new reference, or NULL when it is not JSON.
 */
json_t		*provider_payload_new(enum provider p, const char *ctype,
		    const char *body, size_t bodylen);

/*
 * The sender's delivery id for dedupe (X-GitHub-Delivery, webhook-id,
 * Stripe's $.id, Slack's $.event_id; with no preset X-Webhook-Delivery-Id
 * or webhook-id), borrowed from m or payload; NULL if none or longer
 * than PROVIDER_ID_MAX.
 */
const char	*provider_delivery_id(enum provider p,
		    const struct provider_msg *m, const json_t *payload);

/*
 * A handshake the preset answers instead of making an event (GitHub's
 * ping, Slack's url_verification).  Returns 1 with the answer's JSON
 * body in *reply (a new reference) and whether it takes seed 002's
 * {"data":...} envelope in *enveloped, or 0.
 */
int		 provider_handshake(enum provider p,
		    const struct provider_msg *m, const json_t *payload,
		    json_t **reply, int *enveloped);

/* The request headers an event keeps in its metadata (no signatures). */
extern const char *const provider_kept_headers[];

/*
 * Signs body as p's sender would (for tests and `hookpost trigger
 * send`): appends "Name: value\r\n" header lines to out.  id and ts are
 * the delivery id and timestamp the scheme needs (ignored otherwise).
 * PROVIDER_NONE signs timestamped, which both of its schemes accept.
 * Returns 0, or -1 when the secret is unusable.
 */
struct buf;
int		 provider_sign(enum provider p, const char *algorithm,
		    const char *secret, const char *body, size_t bodylen,
		    const char *id, long long ts, struct buf *out);

#endif
