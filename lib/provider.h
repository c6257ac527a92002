/*
 * provider: how a trigger's sender signs, identifies and greets (seed
 * 002 "Optional Signature Verification" and its phase-5 presets).
 *
 *   none      seed 002: X-Webhook-Signature, X-Hub-Signature-256 or
 *             X-Hub-Signature; "<algo>=<hex>" or bare hex of
 *             HMAC-<algo>(secret, body), algo sha256, sha512 or sha1
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

#define PROVIDER_TOLERANCE	300	/* seconds, every timestamped preset */
#define PROVIDER_ID_MAX		256	/* longer delivery ids are not kept */

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

/* Parses a preset name ("github"); NULL or "" is PROVIDER_NONE.  0 or -1. */
int		 provider_parse(const char *name, enum provider *out);
/* The preset's name, NULL for PROVIDER_NONE. */
const char	*provider_name(enum provider);

/*
 * Verifies m under p's scheme with secret (algorithm: sha256, sha512 or
 * sha1, for PROVIDER_NONE only).  Returns the verdict; *why is a human
 * sentence for a refusal (static).
 */
enum provider_verdict provider_verify(enum provider p, const char *algorithm,
		    const char *secret, const struct provider_msg *m,
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
 * Returns 0, or -1 when the secret is unusable.
 */
struct buf;
int		 provider_sign(enum provider p, const char *algorithm,
		    const char *secret, const char *body, size_t bodylen,
		    const char *id, long long ts, struct buf *out);

#endif
