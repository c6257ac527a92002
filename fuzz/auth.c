/*
 * fuzz/auth: the credentials a request carries, before any database
 * (lib/auth.c): an HS256 JWT (base64url parts, the header, the MAC, the
 * claims), and the session cookie in a Cookie header.  The JWT is
 * made of the input's header and claims and signed with the secret, so
 * that the claims are read, and the input's last field is tried as a
 * token of its own.  auth.c is included whole for its static readers.
 * A JWT taken has an owner of at most AUTH_OWNER_MAX bytes.
 *
 * Input: JWT header (JSON) \n claims (JSON) \n Cookie header \n token.
 */
#include "../lib/auth.c"

#include "fuzz.h"

/* The base64url of n bytes at s, without padding (RFC 7515 2). */
static char *
b64url_new(const char *s, size_t n)
{
	char	*b, *p;

	b = crypt_b64_new(s, n);
	for (p = b; *p != '\0'; p++)
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	b[strcspn(b, "=")] = '\0';
	return b;
}

static void
jwt_try(const char *tok)
{
	struct auth	 a;

	memset(&a, 0, sizeof(a));
	if (auth_jwt(tok, &a) == 0 && (a.owner_id == NULL ||
	    strlen(a.owner_id) > AUTH_OWNER_MAX))
		abort();
	free(a.owner_id);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in	 in = { data, size };
	struct req	 r;
	struct sig_part	 part;
	unsigned char	 mac[SIG_MAX_MAC];
	char		*hdr, *claims, *cookie, *raw, *h64, *c64, *s64, *tok;
	char		*env[2], buf[TOKEN_MAX + 1];
	size_t		 len, maclen;

	fuzz_setup();
	cfg.jwt_secret = "fuzz-jwt-secret-0123456789";
	hdr = fuzz_line(&in);
	claims = fuzz_line(&in);
	cookie = fuzz_line(&in);
	raw = fuzz_rest(&in, &len);

	h64 = b64url_new(hdr, strlen(hdr));
	c64 = b64url_new(claims, strlen(claims));
	tok = xasprintf("%s.%s", h64, c64);
	part.data = tok;
	part.len = strlen(tok);
	if (sig_hmac("SHA256", cfg.jwt_secret, strlen(cfg.jwt_secret), &part,
	    1, mac, &maclen) == 0) {
		s64 = b64url_new((const char *)mac, maclen);
		free(tok);
		tok = xasprintf("%s.%s.%s", h64, c64, s64);
		free(s64);
		jwt_try(tok);
	}
	jwt_try(raw);

	memset(&r, 0, sizeof(r));
	env[0] = xasprintf("HTTP_COOKIE=%s", cookie);
	env[1] = NULL;
	r.envp = env;
	(void)session_cookie(&r, buf, sizeof(buf));
	(void)session_cookie(&r, buf, 8);
	(void)auth_owner_valid(cookie);

	free(env[0]);
	free(tok);
	free(h64);
	free(c64);
	free(hdr);
	free(claims);
	free(cookie);
	free(raw);
	return 0;
}
