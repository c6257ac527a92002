/*
 * Unit tests of lib/provider: every tests/data/triggers/providers/NAME.vec
 * (the providers' published examples, and cases around them) through
 * provider_verify(); then signing round trips, delivery ids, handshakes
 * and Slack's form bodies.  Run from the repository root.  One line per
 * case, "ok - name" or "not ok - name"; exits 0 only when all pass.
 *
 * A .vec file: "key: value" lines (provider, scheme (hmac_scheme with
 * provider none: timestamped, the default, or body), algorithm, secret,
 * now, header (repeatable, "Name: value"), expect: ok | bad_signature |
 * expired | no_secret, guard: yes when the MAC must be given back for
 * the replay guard), then "body:" and the body: the rest of the file
 * less its final newline.  '#' lines are comments.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "provider.h"
#include "util.h"
#include "check.h"

#define VEC_DIR		"tests/data/triggers/providers"
#define MAX_HEADERS	16

struct headers {
	char	*name[MAX_HEADERS];
	char	*value[MAX_HEADERS];
	size_t	 n;
};

static const char *
header_get(void *ctx, const char *name)
{
	struct headers	*h = ctx;
	size_t		 i;

	for (i = 0; i < h->n; i++)
		if (strcasecmp(h->name[i], name) == 0)
			return h->value[i];
	return NULL;
}

static void
headers_add(struct headers *h, const char *name, size_t nlen,
    const char *value)
{
	if (h->n == MAX_HEADERS)
		return;
	h->name[h->n] = xstrndup(name, nlen);
	h->value[h->n] = xstrdup(value);
	h->n++;
}

/* Parses "Name: value\r\n" lines, as provider_sign writes them. */
static void
headers_parse(struct headers *h, const char *text)
{
	const char	*p = text, *colon, *eol;
	char		*v;

	while (*p != '\0' && (eol = strstr(p, "\r\n")) != NULL) {
		if ((colon = memchr(p, ':', (size_t)(eol - p))) != NULL) {
			v = xstrndup(colon + 2, (size_t)(eol - colon - 2));
			headers_add(h, p, (size_t)(colon - p), v);
			free(v);
		}
		p = eol + 2;
	}
}

static void
headers_free(struct headers *h)
{
	size_t	 i;

	for (i = 0; i < h->n; i++) {
		free(h->name[i]);
		free(h->value[i]);
	}
	h->n = 0;
}

static const char *
verdict_name(enum provider_verdict v)
{
	switch (v) {
	case PROVIDER_OK:		return "ok";
	case PROVIDER_BAD_SIGNATURE:	return "bad_signature";
	case PROVIDER_EXPIRED:		return "expired";
	case PROVIDER_NO_SECRET:	return "no_secret";
	}
	return "?";
}

/* Runs one .vec file. */
static void
run_vector(const char *dir, const char *file)
{
	struct headers		 h = { .n = 0 };
	struct provider_msg	 m;
	struct provider_mac	 mac;
	enum provider		 p = PROVIDER_NONE;
	enum provider_hmac	 scheme = PROVIDER_HMAC_TIMESTAMPED;
	enum provider_verdict	 v;
	FILE			*f = NULL;
	char			*text = NULL, *line, *next, *body = NULL;
	char			*path, *secret = NULL, *algorithm = NULL;
	char			*expect = NULL, *colon;
	const char		*why = NULL;
	int			 guard = 0;
	long long		 now = 0;
	size_t			 len = 0, cap = 0, got;
	char			 chunk[4096];

	path = xasprintf("%s/%s", dir, file);
	if ((f = fopen(path, "r")) == NULL) {
		check(0, "provider vector %s: cannot open", file);
		goto out;
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + got + 1 > cap) {
			cap = (len + got + 1) * 2;
			text = xrealloc(text, cap);
		}
		memcpy(text + len, chunk, got);
		len += got;
	}
	if (text == NULL) {
		check(0, "provider vector %s: empty", file);
		goto out;
	}
	text[len] = '\0';
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] == '#')
			continue;
		if (strcmp(line, "body:") == 0) {
			body = next != NULL ? next : line + strlen(line);
			break;
		}
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		colon++;
		while (*colon == ' ')
			colon++;
		if (strcmp(line, "provider") == 0) {
			if (strcmp(colon, "none") != 0 &&
			    provider_parse(colon, &p) == -1) {
				check(0, "provider vector %s: unknown provider "
				    "%s", file, colon);
				goto out;
			}
		} else if (strcmp(line, "scheme") == 0) {
			if (provider_hmac_parse(colon, &scheme) == -1) {
				check(0, "provider vector %s: unknown scheme "
				    "%s", file, colon);
				goto out;
			}
		} else if (strcmp(line, "guard") == 0)
			guard = strcmp(colon, "yes") == 0;
		else if (strcmp(line, "algorithm") == 0)
			algorithm = colon;
		else if (strcmp(line, "secret") == 0)
			secret = colon;
		else if (strcmp(line, "now") == 0)
			now = strtoll(colon, NULL, 10);
		else if (strcmp(line, "expect") == 0)
			expect = colon;
		else if (strcmp(line, "header") == 0) {
			char	*c2 = strchr(colon, ':');

			if (c2 == NULL)
				continue;
			headers_add(&h, colon, (size_t)(c2 - colon),
			    c2[1] == ' ' ? c2 + 2 : c2 + 1);
		}
	}
	if (body == NULL || expect == NULL || secret == NULL) {
		check(0, "provider vector %s: needs secret, expect and body",
		    file);
		goto out;
	}
	len = strlen(body);
	if (len > 0 && body[len - 1] == '\n')
		body[--len] = '\0';
	m.header = header_get;
	m.ctx = &h;
	m.body = body;
	m.bodylen = len;
	m.now = now;
	m.tolerance = PROVIDER_TOLERANCE;
	v = provider_verify(p, scheme, algorithm, secret, &m, &mac, &why);
	check(strcmp(verdict_name(v), expect) == 0, "provider vector %s: %s "
	    "(want %s)", file, verdict_name(v), expect);
	check((mac.len > 0) == guard, "provider vector %s: the MAC is %s for "
	    "the replay guard", file, guard ? "given" : "not given");
out:
	headers_free(&h);
	if (f != NULL)
		fclose(f);
	free(text);
	free(path);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_vectors(void)
{
	DIR		*d;
	struct dirent	*e;
	char		*names[256];
	size_t		 n = 0, i, len;
	const char	*dir;

	if ((dir = getenv("HOOKPOST_TEST_DATA")) == NULL)
		dir = VEC_DIR;
	if ((d = opendir(dir)) == NULL) {
		check(0, "provider vectors: cannot open %s", dir);
		return;
	}
	while ((e = readdir(d)) != NULL && n < 256) {
		len = strlen(e->d_name);
		if (len > 4 && strcmp(e->d_name + len - 4, ".vec") == 0)
			names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	check(n >= 30, "provider vectors: %zu files", n);
	for (i = 0; i < n; i++) {
		run_vector(dir, names[i]);
		free(names[i]);
	}
}

/* Each scheme verifies what its own signer wrote, and nothing else. */
static void
test_round_trip(void)
{
	static const struct {
		enum provider	 p;
		enum provider_hmac scheme;
		const char	*algorithm, *secret;
	} cases[] = {
		{ PROVIDER_NONE, PROVIDER_HMAC_TIMESTAMPED, "sha256",
		    "plain-secret" },
		{ PROVIDER_NONE, PROVIDER_HMAC_TIMESTAMPED, "sha512",
		    "plain-secret" },
		{ PROVIDER_NONE, PROVIDER_HMAC_TIMESTAMPED, "sha1",
		    "plain-secret" },
		/* What `hookpost trigger send` signs suits the body scheme too. */
		{ PROVIDER_NONE, PROVIDER_HMAC_BODY, "sha256", "plain-secret" },
		{ PROVIDER_GITHUB, 0, NULL, "gh-secret" },
		{ PROVIDER_STRIPE, 0, NULL, "whsec_stripe" },
		{ PROVIDER_SLACK, 0, NULL, "slack-signing-secret" },
		{ PROVIDER_STANDARD, 0, NULL,
		    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" },
	};
	static const char body[] = "{\"event\":\"round trip\"}";
	struct headers		 h = { .n = 0 };
	struct provider_msg	 m;
	struct provider_mac	 mac;
	struct buf		 b = { NULL, 0, 0 };
	const char		*why, *name;
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		name = provider_name(cases[i].p);
		if (name == NULL)
			name = cases[i].algorithm;
		rc = provider_sign(cases[i].p, cases[i].algorithm,
		    cases[i].secret, body, strlen(body), "msg_1", 1700000000,
		    &b);
		check(rc == 0, "sign %s", name);
		headers_parse(&h, b.data ? b.data : "");
		m.header = header_get;
		m.ctx = &h;
		m.body = body;
		m.bodylen = strlen(body);
		m.now = 1700000010;
		m.tolerance = PROVIDER_TOLERANCE;
		check(provider_verify(cases[i].p, cases[i].scheme,
		    cases[i].algorithm, cases[i].secret, &m, &mac, &why) ==
		    PROVIDER_OK, "%s verifies its own signature", name);
		check((mac.len > 0) == (cases[i].p == PROVIDER_NONE ||
		    cases[i].p == PROVIDER_STRIPE ||
		    cases[i].p == PROVIDER_SLACK),
		    "%s: a MAC for the replay guard exactly for hookpost's "
		    "own timestamped scheme, stripe and slack", name);
		m.bodylen--;
		check(provider_verify(cases[i].p, cases[i].scheme,
		    cases[i].algorithm, cases[i].secret, &m, &mac, &why) ==
		    PROVIDER_BAD_SIGNATURE && mac.len == 0,
		    "%s refuses a truncated body", name);
		headers_free(&h);
		buf_free(&b);
	}
	check(provider_sign(PROVIDER_STANDARD, NULL, "whsec_!!", body,
	    strlen(body), "msg_1", 1, &b) == -1, "sign refuses an unusable "
	    "standard secret");
	buf_free(&b);
}

static void
test_ids_and_handshakes(void)
{
	struct headers		 h = { .n = 0 };
	struct provider_msg	 m = { header_get, &h, "", 0, 0, 300 };
	json_t			*payload, *reply = NULL;
	const char		*id;
	char			 longid[PROVIDER_ID_MAX + 2];
	int			 env = -1;

	headers_add(&h, "X-GitHub-Delivery", 17,
	    "72d3162e-cc78-11e3-81ab-4c9367dc0958");
	headers_add(&h, "X-GitHub-Event", 14, "ping");
	headers_add(&h, "webhook-id", 10, "msg_p5jXN8AQM9LWM0D4loKWxJek");
	payload = json_pack("{s:s,s:i,s:s}", "id", "evt_1", "hook_id", 42,
	    "event_id", "Ev0PV52K21");
	id = provider_delivery_id(PROVIDER_GITHUB, &m, payload);
	check(id != NULL && strcmp(id, "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	    == 0, "github delivery id is X-GitHub-Delivery");
	id = provider_delivery_id(PROVIDER_STANDARD, &m, payload);
	check(id != NULL && strcmp(id, "msg_p5jXN8AQM9LWM0D4loKWxJek") == 0,
	    "standard delivery id is webhook-id");
	id = provider_delivery_id(PROVIDER_STRIPE, &m, payload);
	check(id != NULL && strcmp(id, "evt_1") == 0,
	    "stripe delivery id is the event's $.id");
	id = provider_delivery_id(PROVIDER_SLACK, &m, payload);
	check(id != NULL && strcmp(id, "Ev0PV52K21") == 0,
	    "slack delivery id is $.event_id");
	id = provider_delivery_id(PROVIDER_NONE, &m, payload);
	check(id != NULL && strcmp(id, "msg_p5jXN8AQM9LWM0D4loKWxJek") == 0,
	    "without a preset webhook-id is a delivery id");
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	headers_add(&h, "X-Webhook-Delivery-Id", 21, longid);
	id = provider_delivery_id(PROVIDER_NONE, &m, payload);
	check(id != NULL && strcmp(id, "msg_p5jXN8AQM9LWM0D4loKWxJek") == 0,
	    "an over-long delivery id is not used");

	check(provider_handshake(PROVIDER_GITHUB, &m, payload, &reply,
	    &env) == 1 && env == 1 && json_integer_value(json_object_get(
	    reply, "hook_id")) == 42, "github ping is answered with pong");
	json_decref(reply);
	reply = NULL;
	check(provider_handshake(PROVIDER_STRIPE, &m, payload, &reply,
	    &env) == 0 && reply == NULL, "stripe has no handshake");
	json_decref(payload);

	payload = json_pack("{s:s,s:s,s:s}", "token",
	    "Jhj5dZrVaK7ZwHHjRyZWjbDl", "challenge",
	    "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
	    "type", "url_verification");
	check(provider_handshake(PROVIDER_SLACK, &m, payload, &reply,
	    &env) == 1 && env == 0 && strcmp(json_string_value(
	    json_object_get(reply, "challenge")),
	    "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P") == 0,
	    "slack url_verification echoes the challenge, unwrapped");
	json_decref(reply);
	reply = NULL;
	check(provider_handshake(PROVIDER_GITHUB, &m, payload, &reply,
	    &env) == 1, "the ping handshake needs the ping event only");
	json_decref(reply);
	json_decref(payload);
	headers_free(&h);
}

static void
test_payloads(void)
{
	static const char form[] = "token=xyzz0WbapA4vBCDEFasx0q6G&"
	    "command=%2Fwebhook-collect&text=&user_name=road+runner";
	static const char interactive[] = "payload=%7B%22type%22%3A%22"
	    "block_actions%22%7D";
	const char	*ct = "application/x-www-form-urlencoded";
	json_t		*j;

	j = provider_payload_new(PROVIDER_SLACK, ct, form, strlen(form));
	check(j != NULL && strcmp(json_string_value(json_object_get(j,
	    "command")), "/webhook-collect") == 0 &&
	    strcmp(json_string_value(json_object_get(j, "user_name")),
	    "road runner") == 0 && strcmp(json_string_value(
	    json_object_get(j, "text")), "") == 0,
	    "a slack slash command form becomes an object");
	json_decref(j);
	j = provider_payload_new(PROVIDER_SLACK, ct, interactive,
	    strlen(interactive));
	check(j != NULL && strcmp(json_string_value(json_object_get(j,
	    "type")), "block_actions") == 0,
	    "slack interactivity's payload= is the JSON inside");
	json_decref(j);
	j = provider_payload_new(PROVIDER_NONE, ct, form, strlen(form));
	check(j == NULL, "a form body is not JSON without the slack preset");
	j = provider_payload_new(PROVIDER_NONE, ct, "{\"a\":1}", 7);
	check(j != NULL, "JSON sent as a form type (curl -d) is JSON");
	json_decref(j);
	j = provider_payload_new(PROVIDER_NONE, NULL, "{\"a\":1,\"a\":2}", 13);
	check(j == NULL, "duplicate keys are refused");
	j = provider_payload_new(PROVIDER_SLACK, ct, "a=%zz", 5);
	check(j == NULL, "a malformed form is refused");
}

int
main(void)
{
	enum provider	 p;

	check(provider_parse("github", &p) == 0 && p == PROVIDER_GITHUB,
	    "parse github");
	check(provider_parse("", &p) == 0 && p == PROVIDER_NONE,
	    "an empty preset is none");
	check(provider_parse("gitlab", &p) == -1, "unknown presets refused");
	test_vectors();
	test_round_trip();
	test_ids_and_handshakes();
	test_payloads();
	return check_done();
}
