/*
 * Unit tests of lib/sig's outbound signer, sig_sign(): every scheme
 * against a published vector (RFC 4231, the GitHub, Slack and Stripe
 * docs, the Standard Webhooks specification) or one computed with
 * another HMAC (Python's hmac module), the rotation forms, the
 * subscription key rule (raw_key) and the refusals.  One line per case,
 * "ok - name" or "not ok - name"; exits 0 only when all pass.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "sig.h"

/* "Name: value" lines of the signed headers, "\n"-separated. */
static void
headers_text(const struct sig_headers *sh, char *out, size_t outsz)
{
	size_t	 i, len = 0;

	out[0] = '\0';
	for (i = 0; i < sh->n && len < outsz; i++)
		len += (size_t)snprintf(out + len, outsz - len, "%s%s: %s",
		    i ? "\n" : "", sh->h[i].name, sh->h[i].value);
}

/* One request to sign, and the headers it must give (NULL: refused). */
struct sig_case {
	const char	*name;
	enum sig_scheme	 scheme;
	const char	*algorithm, *secret, *prev, *id;
	int		 raw_key;
	long long	 ts;
	const char	*body, *want;
};

/* sig_sign() of the case's request: its return; sh as sig_sign sets it. */
static int
sign_case(const struct sig_case *c, struct sig_headers *sh)
{
	struct sig_request	 rq;

	memset(&rq, 0, sizeof(rq));
	rq.scheme = c->scheme;
	rq.algorithm = c->algorithm;
	rq.secrets[0] = c->secret;
	rq.secrets[1] = c->prev;
	rq.raw_key = c->raw_key;
	rq.id = c->id;
	rq.ts = c->ts;
	rq.body = c->body;
	rq.bodylen = strlen(c->body);
	return sig_sign(&rq, sh);
}

static void
test_vectors(void)
{
	static const char slack_body[] = "token=xyzz0WbapA4vBCDEFasx0q6G&"
	    "team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
	    "channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&"
	    "command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2F"
	    "hooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmi"
	    "bIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887"
	    "a14d10d2c447fce8b6703c";
	static const struct sig_case	 cases[] = {
		{ "hookpost: RFC 4231 case 2", SIG_HOOKPOST, NULL, "Jefe",
		    NULL, NULL, 0, 0, "what do ya want for nothing?",
		    "X-Webhook-Signature: sha256=5bdcc146bf60754e6a042426089575"
		    "c75a003f089d2739839dec58b964ec3843" },
		{ "hookpost: sha1", SIG_HOOKPOST, "sha1", "Jefe", NULL, NULL,
		    0, 0, "what do ya want for nothing?",
		    "X-Webhook-Signature: sha1=effcdf6ae5eb2fa2d27416d5f184df9c"
		    "259a7c79" },
		{ "hookpost: sha512 (seed 002)", SIG_HOOKPOST, "sha512",
		    "seed-002-secret", NULL, NULL, 0, 0,
		    "{\"ref\":\"refs/heads/main\",\"commits\":[]}",
		    "X-Webhook-Signature: sha512=3ec39f88469b73d2578270a3353bea"
		    "9fd20a853f0ef40d8a43fdb41c3da2f9ebd5aa9feb044b4f05d646e80c1b"
		    "6ede7d1a30e8232c7394a7c96a8452b0b98e5b" },
		{ "hookpost: rotation adds -Previous", SIG_HOOKPOST, NULL,
		    "a-secret-of-my-own", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		    "del_1", 1, 1700000000, "{\"event\":\"ping\"}",
		    "X-Webhook-Signature: sha256=08bb5d2bf1587d83d24566b1c72246"
		    "93d9f280d9860a9b4f41f4bb45acb6dbdb\n"
		    "X-Webhook-Signature-Previous: sha256=b1eeef651ab334a180d49"
		    "9908c6ed2b84d92ddf12581797a7e3b1a641640f0df" },
		{ "timestamped (seed 004's form): HMAC(\"<ts>.<body>\")",
		    SIG_TIMESTAMPED, NULL, "seed-002-secret", NULL, NULL, 0,
		    1700000000, "{\"ref\":\"refs/heads/main\",\"commits\":[]}",
		    "X-Webhook-Timestamp: 1700000000\n"
		    "X-Webhook-Signature: sha256=b457c5ef9c19d5e58e83eab44f7e07"
		    "10cba9a76006b5e6b4f1b7f05685ea3d6e" },
		{ "timestamped: the trigger's algorithm", SIG_TIMESTAMPED,
		    "sha512", "seed-002-secret", NULL, NULL, 0, 1700000000,
		    "{\"ref\":\"refs/heads/main\",\"commits\":[]}",
		    "X-Webhook-Timestamp: 1700000000\n"
		    "X-Webhook-Signature: sha512=7435d528e2b5dfecc529ce79829ce95e3649c227586ac06896e6bb55"
		    "2f99a1e582f2201aef7f878ca76895e6eb62968408b23460f8e33634"
		    "f65622d761a80cfe" },
		{ "github: docs example", SIG_GITHUB, "sha1",
		    "It's a Secret to Everybody", NULL, NULL, 0, 0,
		    "Hello, World!",
		    "X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b"
		    "8a37570b6d7586c22c46f4379c8b043e17" },
		{ "stripe: signed payload t.body", SIG_STRIPE, NULL,
		    "whsec_test_secret", NULL, NULL, 0, 1492774577,
		    "{\"id\":\"evt_test_webhook\",\"object\":\"event\"}",
		    "Stripe-Signature: t=1492774577,v1=88a022085c6bdb887b02cb26f"
		    "f76dd681234d9675c0f22844059f55552a8883a" },
		{ "slack: docs example", SIG_SLACK, NULL,
		    "8f742231b10e8888abcd99yyyzzz85a5", NULL, NULL, 0,
		    1531420618, slack_body,
		    "X-Slack-Request-Timestamp: 1531420618\n"
		    "X-Slack-Signature: v0=a2114d57b48eac39b9ad189dd8316235a7b4a"
		    "8d21a10bd27519666489c69b503" },
		{ "standard: specification vector", SIG_STANDARD, NULL,
		    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL,
		    "msg_p5jXN8AQM9LWM0D4loKWxJek", 0, 1614265330,
		    "{\"test\": 2432232314}",
		    "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek\n"
		    "webhook-timestamp: 1614265330\n"
		    "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlN"
		    "IOLJ1OE=" },
		{ "standard: prefix optional", SIG_STANDARD, NULL,
		    "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL,
		    "msg_p5jXN8AQM9LWM0D4loKWxJek", 0, 1614265330,
		    "{\"test\": 2432232314}",
		    "webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek\n"
		    "webhook-timestamp: 1614265330\n"
		    "webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlN"
		    "IOLJ1OE=" },
		{ "standard raw_key: whsec_ secret decoded", SIG_STANDARD,
		    NULL, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL,
		    "del_1", 1, 1700000000, "{\"event\":\"ping\"}",
		    "webhook-id: del_1\nwebhook-timestamp: 1700000000\n"
		    "webhook-signature: v1,9eTF+/H3ORhTNNoSSnzI0OY/fo7cELlL3UEX"
		    "nhFsg+c=" },
		{ "standard raw_key: own secret as its bytes", SIG_STANDARD,
		    NULL, "a-secret-of-my-own", NULL, "del_1", 1, 1700000000,
		    "{\"event\":\"ping\"}",
		    "webhook-id: del_1\nwebhook-timestamp: 1700000000\n"
		    "webhook-signature: v1,Axgp9DuvHgB8Bht0hyDi0TQATYX4ZqSqcDt1"
		    "LeeUkPY=" },
		{ "standard raw_key: bad base64 after whsec_ as its bytes",
		    SIG_STANDARD, NULL, "whsec_!!notbase64", NULL, "del_1", 1,
		    1700000000, "{\"event\":\"ping\"}",
		    "webhook-id: del_1\nwebhook-timestamp: 1700000000\n"
		    "webhook-signature: v1,sqgZUuBC9/OGRlDRJ8ciLGzqLMv+PAc4a34c"
		    "zg8/FTc=" },
		{ "standard: rotation lists both signatures", SIG_STANDARD,
		    NULL, "a-secret-of-my-own",
		    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "del_1", 1,
		    1700000000, "{\"event\":\"ping\"}",
		    "webhook-id: del_1\nwebhook-timestamp: 1700000000\n"
		    "webhook-signature: v1,Axgp9DuvHgB8Bht0hyDi0TQATYX4ZqSqcDt1"
		    "LeeUkPY= v1,9eTF+/H3ORhTNNoSSnzI0OY/fo7cELlL3UEXnhFsg+c=" },
		{ "callback: id.ts.body (Python's hmac)", SIG_CALLBACK, NULL,
		    "your-shared-secret-for-hmac", NULL,
		    "7fa85f64-5717-4562-b3fc-2c963f66afa6", 0, 1700000000,
		    "{\"status\":\"completed\",\"message\":\"done\"}",
		    "X-Webhook-Timestamp: 1700000000\n"
		    "X-Webhook-Signature: sha256=1504df0d7263af826e96291b146107f"
		    "6a0ce5a4427fa5016a386ea31ca505bc3" },
		{ "callback: a GET signs the empty body", SIG_CALLBACK, NULL,
		    "your-shared-secret-for-hmac", NULL,
		    "7fa85f64-5717-4562-b3fc-2c963f66afa6", 0, 1700000000, "",
		    "X-Webhook-Timestamp: 1700000000\n"
		    "X-Webhook-Signature: sha256=35d000c6339f8ac2193bedf6c46ad74"
		    "cb46b3ad17cf88b9ede8e1998516a74f9" },
	};
	struct sig_headers	 sh;
	char			 got[1024];
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = sign_case(&cases[i], &sh);
		headers_text(&sh, got, sizeof(got));
		check(rc == 0 && strcmp(got, cases[i].want) == 0, "%s",
		    cases[i].name);
		if (rc != 0 || strcmp(got, cases[i].want) != 0)
			printf("# got: %s\n", got);
		sig_headers_free(&sh);
	}
}

static void
test_refusals(void)
{
	static const struct sig_case	 cases[] = {
		{ "no secret", SIG_HOOKPOST, NULL, NULL, NULL, NULL, 0, 0,
		    "{}", NULL },
		{ "an empty secret", SIG_HOOKPOST, NULL, "", NULL, NULL, 0, 0,
		    "{}", NULL },
		{ "an empty previous secret", SIG_HOOKPOST, NULL, "s", "",
		    NULL, 0, 0, "{}", NULL },
		{ "an unknown algorithm", SIG_HOOKPOST, "md5", "s", NULL,
		    NULL, 0, 0, "{}", NULL },
		{ "standard without an id", SIG_STANDARD, NULL,
		    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL, NULL, 0, 0,
		    "{}", NULL },
		{ "standard with a secret that is not base64", SIG_STANDARD,
		    NULL, "whsec_!!", NULL, "msg_1", 0, 0, "{}", NULL },
		{ "github has no form for a second signature", SIG_GITHUB,
		    NULL, "s", "t", NULL, 0, 0, "{}", NULL },
		{ "an unknown scheme", SIG_SCHEME__MAX, NULL, "s", NULL,
		    NULL, 0, 0, "{}", NULL },
		{ "callback without a delivery id", SIG_CALLBACK, NULL, "s",
		    NULL, NULL, 0, 1700000000, "{}", NULL },
		{ "callback has no form for a second signature", SIG_CALLBACK,
		    NULL, "s", "t", "d", 0, 1700000000, "{}", NULL },
	};
	struct sig_headers	 sh;
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = sign_case(&cases[i], &sh);
		check(rc == -1, "refused: %s", cases[i].name);
		sig_headers_free(&sh);
	}
	sig_headers_free(NULL);
	check(1, "sig_headers_free(NULL)");
}

/*
 * sig_verify(): the callback's signature binds the delivery id, the
 * timestamp and the body; either secret of a rotation verifies; the
 * body-only form and anything malformed does not.
 */
static void
test_verify(void)
{
	static const char body[] = "{\"status\":\"completed\",\"message\":"
	    "\"done\"}";
	static const char good[] = "sha256=1504df0d7263af826e96291b146107f6"
	    "a0ce5a4427fa5016a386ea31ca505bc3";
	static const struct {
		const char	*name, *secret, *prev, *id, *body, *value;
		enum sig_scheme	 scheme;
		long long	 ts;
		int		 want;
	} cases[] = {
		{ "the signed callback", "your-shared-secret-for-hmac", NULL,
		    "7fa85f64-5717-4562-b3fc-2c963f66afa6", body, good,
		    SIG_CALLBACK, 1700000000, 0 },
		{ "the prefix in upper case, hex in upper case",
		    "your-shared-secret-for-hmac", NULL,
		    "7fa85f64-5717-4562-b3fc-2c963f66afa6", body,
		    "SHA256=1504DF0D7263AF826E96291B146107F6A0CE5A4427FA5016A386E"
		    "A31CA505BC3", SIG_CALLBACK, 1700000000, 0 },
		{ "the previous secret of a rotation", "a-new-secret",
		    "your-shared-secret-for-hmac",
		    "7fa85f64-5717-4562-b3fc-2c963f66afa6", body, good,
		    SIG_CALLBACK, 1700000000, 0 },
		{ "another delivery's id", "your-shared-secret-for-hmac", NULL,
		    "7fa85f64-5717-4562-b3fc-2c963f66afa7", body, good,
		    SIG_CALLBACK, 1700000000, -1 },
		{ "another timestamp", "your-shared-secret-for-hmac", NULL,
		    "7fa85f64-5717-4562-b3fc-2c963f66afa6", body, good,
		    SIG_CALLBACK, 1700000001, -1 },
		{ "another body", "your-shared-secret-for-hmac", NULL,
		    "7fa85f64-5717-4562-b3fc-2c963f66afa6",
		    "{\"status\":\"failed\"}", good, SIG_CALLBACK, 1700000000,
		    -1 },
		{ "another secret", "not-the-secret", NULL,
		    "7fa85f64-5717-4562-b3fc-2c963f66afa6", body, good,
		    SIG_CALLBACK, 1700000000, -1 },
		{ "the body-only form", "your-shared-secret-for-hmac", NULL,
		    "7fa85f64-5717-4562-b3fc-2c963f66afa6", body,
		    "sha256=f8293e51d522eac6a9dd2513e9f3f1653269fbd4717847f984f12"
		    "ef642509fc7", SIG_CALLBACK, 1700000000, -1 },
		{ "no sha256= prefix", "your-shared-secret-for-hmac", NULL,
		    "7fa85f64-5717-4562-b3fc-2c963f66afa6", body, good + 7,
		    SIG_CALLBACK, 1700000000, -1 },
		{ "a truncated MAC", "your-shared-secret-for-hmac", NULL,
		    "7fa85f64-5717-4562-b3fc-2c963f66afa6", body,
		    "sha256=1504df0d", SIG_CALLBACK, 1700000000, -1 },
		{ "not hex", "your-shared-secret-for-hmac", NULL,
		    "7fa85f64-5717-4562-b3fc-2c963f66afa6", body,
		    "sha256=zz04df0d7263af826e96291b146107f6a0ce5a4427fa5016a386e"
		    "a31ca505bc3", SIG_CALLBACK, 1700000000, -1 },
		{ "no secret", NULL, NULL,
		    "7fa85f64-5717-4562-b3fc-2c963f66afa6", body, good,
		    SIG_CALLBACK, 1700000000, -1 },
		{ "no value", "your-shared-secret-for-hmac", NULL,
		    "7fa85f64-5717-4562-b3fc-2c963f66afa6", body, NULL,
		    SIG_CALLBACK, 1700000000, -1 },
		{ "hookpost: RFC 4231 case 2", "Jefe", NULL, NULL,
		    "what do ya want for nothing?", "sha256=5bdcc146bf60754e6a04"
		    "2426089575c75a003f089d2739839dec58b964ec3843", SIG_HOOKPOST,
		    0, 0 },
		{ "standard: a base64 form is not verified here",
		    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", NULL,
		    "msg_p5jXN8AQM9LWM0D4loKWxJek", "{\"test\": 2432232314}",
		    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		    SIG_STANDARD, 1614265330, -1 },
	};
	struct sig_request	 rq;
	size_t			 i;

	for (i = 0; i < NITEMS(cases); i++) {
		memset(&rq, 0, sizeof(rq));
		rq.scheme = cases[i].scheme;
		rq.secrets[0] = cases[i].secret;
		rq.secrets[1] = cases[i].prev;
		rq.id = cases[i].id;
		rq.ts = cases[i].ts;
		rq.body = cases[i].body;
		rq.bodylen = strlen(cases[i].body);
		check(sig_verify(&rq, cases[i].value) == cases[i].want,
		    "verify: %s %s", cases[i].name,
		    cases[i].want == 0 ? "verifies" : "is refused");
	}
}

int
main(void)
{
	test_vectors();
	test_refusals();
	test_verify();
	return check_done();
}
