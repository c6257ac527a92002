#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <jansson.h>

#include "auth.h"
#include "cfg.h"
#include "crypt.h"
#include "db.h"
#include "log.h"
#include "sig.h"
#include "util.h"

#define TOKEN_MAX	512

/* Base64url (RFC 4648 §5) without padding into a new buffer, or NULL. */
static unsigned char *
b64url_decode(const char *s, size_t n, size_t *outlen)
{
	unsigned char	*out;
	char		*t;
	size_t		 i, padded;

	padded = (n + 3) / 4 * 4;
	t = xmalloc(padded + 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '-')
			t[i] = '+';
		else if (s[i] == '_')
			t[i] = '/';
		else if (s[i] == '+' || s[i] == '/' || s[i] == '=')
			break;
		else
			t[i] = s[i];
	}
	if (i != n) {
		free(t);
		return NULL;
	}
	for (; i < padded; i++)
		t[i] = '=';
	t[padded] = '\0';
	out = crypt_unb64_new(t, outlen);
	free(t);
	return out;
}

/*
 * HS256 JWT: verifies the signature in constant time, then exp/nbf.
 * Claims: "role" ("admin", "service" or anything else = user), "sub"
 * (the owner id) and "permissions" (an array; "manage_settings" in any
 * case grants seed 003's MANAGE_SETTINGS).  Returns 0 and fills auth, or
 * -1.
 */
static int
auth_jwt(const char *tok, struct auth *a)
{
	const char	*dot1, *dot2;
	unsigned char	*hdr = NULL, *pay = NULL, *sigb = NULL;
	unsigned char	 mac[SIG_MAX_MAC];
	size_t		 hlen, plen, slen, maclen;
	json_t		*h = NULL, *p = NULL;
	struct sig_part	 part;
	const char	*alg, *role, *sub, *perm;
	json_t		*v;
	json_int_t	 exp, nbf;
	size_t		 i;
	time_t		 now = time(NULL);
	int		 rc = -1;

	if ((dot1 = strchr(tok, '.')) == NULL ||
	    (dot2 = strchr(dot1 + 1, '.')) == NULL)
		goto out;
	if ((hdr = b64url_decode(tok, (size_t)(dot1 - tok), &hlen)) == NULL ||
	    (pay = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1),
	    &plen)) == NULL ||
	    (sigb = b64url_decode(dot2 + 1, strlen(dot2 + 1), &slen)) == NULL)
		goto out;
	if ((h = json_loadb((char *)hdr, hlen, 0, NULL)) == NULL ||
	    (alg = json_string_value(json_object_get(h, "alg"))) == NULL ||
	    strcmp(alg, "HS256") != 0)
		goto out;
	part.data = tok;
	part.len = (size_t)(dot2 - tok);
	if (sig_hmac("SHA256", cfg.jwt_secret, strlen(cfg.jwt_secret), &part,
	    1, mac, &maclen) == -1 || slen != maclen ||
	    CRYPTO_memcmp(mac, sigb, maclen) != 0)
		goto out;
	if ((p = json_loadb((char *)pay, plen, 0, NULL)) == NULL)
		goto out;
	exp = json_integer_value(json_object_get(p, "exp"));
	nbf = json_integer_value(json_object_get(p, "nbf"));
	if (exp == 0 || exp < now || nbf > now)
		goto out;
	role = json_string_value(json_object_get(p, "role"));
	sub = json_string_value(json_object_get(p, "sub"));
	if (sub == NULL || *sub == '\0' || strlen(sub) > 128)
		goto out;
	a->admin = role != NULL && strcmp(role, "admin") == 0;
	json_array_foreach(json_object_get(p, "permissions"), i, v)
		if ((perm = json_string_value(v)) != NULL &&
		    strcasecmp(perm, "manage_settings") == 0)
			a->manage_settings = 1;
	a->owner_id = xstrdup(sub);
	a->ok = 1;
	rc = 0;
out:
	json_decref(h);
	json_decref(p);
	free(hdr);
	free(pay);
	free(sigb);
	return rc;
}

/*
 * An API token "hp_..." or a JWT, as a Bearer credential or a sign-in
 * body carries it.  Returns 0 and fills r->auth, or -1 after answering
 * 401 unauthorized or 503 unavailable.
 */
int
auth_token_check(struct req *r, const char *tok)
{
	static const char sql[] =
	    "WITH t AS (SELECT id, role, owner_id, last_used_at,"
	    "  'manage_settings' = ANY (permissions) AS settings"
	    "  FROM hookpost.api_tokens"
	    "  WHERE token_hash = $1 AND revoked_at IS NULL),"
	    " u AS (UPDATE hookpost.api_tokens a SET last_used_at = now()"
	    "  FROM t WHERE a.id = t.id AND (t.last_used_at IS NULL OR"
	    "  t.last_used_at < now() - interval '1 minute'))"
	    " SELECT id, role, owner_id, settings FROM t";
	const char	*role;
	char		 hash[65];
	const char	*params[1];
	PGresult	*res;

	while (*tok == ' ')
		tok++;
	if (*tok == '\0' || strlen(tok) > TOKEN_MAX)
		goto bad;
	if (strncmp(tok, "hp_", 3) != 0) {
		if (cfg.jwt_secret == NULL || auth_jwt(tok, &r->auth) == -1)
			goto bad;
		return 0;
	}
	crypt_sha256_hex(tok, strlen(tok), hash);
	params[0] = hash;
	if ((res = db_exec("auth_token", sql, 1, params)) == NULL) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		return -1;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		goto bad;
	}
	role = PQgetvalue(res, 0, 1);
	r->auth.ok = 1;
	r->auth.token_id = xstrdup(PQgetvalue(res, 0, 0));
	r->auth.admin = strcmp(role, "admin") == 0;
	r->auth.service = strcmp(role, "service") == 0;
	r->auth.manage_settings = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
	if (!PQgetisnull(res, 0, 2))
		r->auth.owner_id = xstrdup(PQgetvalue(res, 0, 2));
	PQclear(res);
	return 0;
bad:
	resp_error(r, 401, "unauthorized", "Invalid or revoked token");
	return -1;
}

/*
 * The value of the session cookie in the Cookie header (RFC 6265 5.4:
 * "name=value" pairs separated by "; "), the first one if several, or
 * NULL.  Copied into buf; NULL when it does not fit.
 */
static const char *
session_cookie(const struct req *r, char *buf, size_t bufsz)
{
	static const char	 name[] = AUTH_SESSION_COOKIE "=";
	const char		*c, *end;
	size_t			 n;

	if ((c = req_header(r, "Cookie")) == NULL)
		return NULL;
	while (*c != '\0') {
		c += strspn(c, "; \t");
		end = c + strcspn(c, ";");
		if (strncmp(c, name, sizeof(name) - 1) == 0) {
			c += sizeof(name) - 1;
			while (end > c && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			if ((n = (size_t)(end - c)) == 0 || n >= bufsz)
				return NULL;
			memcpy(buf, c, n);
			buf[n] = '\0';
			return buf;
		}
		c = end;
	}
	return NULL;
}

/*
 * A console session by its cookie: not revoked, not expired, and its API
 * token (when it came from one) not revoked.  Fills r->auth with the
 * identity it carries.  Returns 0, or -1 after answering 401 or 503.
 */
static int
auth_session(struct req *r, const char *secret)
{
	static const char sql[] =
	    "WITH s AS (SELECT s.id, s.role, s.owner_id, s.api_token_id,"
	    "  s.last_seen_at, 'manage_settings' = ANY (s.permissions) AS"
	    "  settings FROM hookpost.console_sessions s"
	    "  LEFT JOIN hookpost.api_tokens t ON t.id = s.api_token_id"
	    "  WHERE s.session_hash = $1 AND s.revoked_at IS NULL"
	    "  AND s.expires_at > now() AND (s.api_token_id IS NULL OR"
	    "  (t.id IS NOT NULL AND t.revoked_at IS NULL))),"
	    " u AS (UPDATE hookpost.console_sessions c"
	    "  SET last_seen_at = now() FROM s WHERE c.id = s.id"
	    "  AND s.last_seen_at < now() - interval '1 minute')"
	    " SELECT id, role, owner_id, settings, api_token_id FROM s";
	const char	*role, *params[1];
	char		 hash[65];
	const char	*p;
	PGresult	*res;

	/* Ours are "hps_" and alphanumerics: anything else is not one. */
	for (p = secret; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			goto bad;
	crypt_sha256_hex(secret, strlen(secret), hash);
	params[0] = hash;
	if ((res = db_exec("auth_session", sql, 1, params)) == NULL) {
		resp_error(r, 503, "unavailable", "Database unavailable");
		return -1;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		goto bad;
	}
	role = PQgetvalue(res, 0, 1);
	r->auth.ok = 1;
	r->auth.session_id = xstrdup(PQgetvalue(res, 0, 0));
	r->auth.admin = strcmp(role, "admin") == 0;
	r->auth.service = strcmp(role, "service") == 0;
	r->auth.manage_settings = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
	if (!PQgetisnull(res, 0, 2))
		r->auth.owner_id = xstrdup(PQgetvalue(res, 0, 2));
	if (!PQgetisnull(res, 0, 4))
		r->auth.token_id = xstrdup(PQgetvalue(res, 0, 4));
	PQclear(res);
	return 0;
bad:
	resp_error(r, 401, "unauthorized",
	    "Invalid, expired or revoked console session");
	return -1;
}

int
auth_origin_check(struct req *r)
{
	const char	*origin;
	char		*base, *p;
	int		 rc = -1;

	if ((origin = req_header(r, "Origin")) == NULL)
		return 0;
	/* Our own origin: scheme://host[:port] of the base URL. */
	base = req_base_url_new(r);
	if ((p = strstr(base, "://")) != NULL) {
		p += 3;
		p[strcspn(p, "/")] = '\0';
		if (strcasecmp(origin, base) == 0)
			rc = 0;
	}
	if (rc == -1)
		resp_error(r, 403, "csrf_refused",
		    "Origin is not this site's own");
	free(base);
	return rc;
}

/*
 * A browser sends the cookie with any request to this site, whoever
 * made the page that sends it: a write on a cookie must prove it comes
 * from the console.  A cross-site page cannot set a custom header
 * without a CORS preflight (which nothing here grants), and a browser's
 * Origin names the page that sent it.  Returns 0, or -1 after answering
 * 403 csrf_refused.
 */
static int
auth_csrf_check(struct req *r)
{
	const char	*h;

	if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)
		return 0;
	h = req_header(r, AUTH_CONSOLE_HEADER);
	if (h == NULL || strcmp(h, "1") != 0) {
		resp_error(r, 403, "csrf_refused", "A write with a session "
		    "cookie needs the header " AUTH_CONSOLE_HEADER ": 1");
		return -1;
	}
	return auth_origin_check(r);
}

int
auth_require(struct req *r, enum auth_need need)
{
	const char	*h, *secret;
	char		 buf[TOKEN_MAX + 1];

	h = req_header(r, "Authorization");
	if (h == NULL && (secret = session_cookie(r, buf, sizeof(buf))) !=
	    NULL) {
		if (auth_session(r, secret) == -1 || auth_csrf_check(r) == -1)
			return -1;
		goto check;
	}
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		resp_error(r, 401, "unauthorized",
		    "Missing bearer token (Authorization: Bearer <token>)");
		return -1;
	}
	if (auth_token_check(r, h + 7) == -1)
		return -1;
check:
	if (need == AUTH_ADMIN && !r->auth.admin) {
		resp_error(r, 403, "forbidden", "This route needs an admin token");
		return -1;
	}
	if (need == AUTH_SERVICE && !r->auth.admin && !r->auth.service) {
		resp_error(r, 403, "forbidden",
		    "This route needs an admin or service token");
		return -1;
	}
	if (need == AUTH_SETTINGS && !r->auth.admin &&
	    !r->auth.manage_settings) {
		resp_error(r, 403, "forbidden", "This route needs an admin "
		    "token or the manage_settings permission");
		return -1;
	}
	/* A bare service token sees no one's rows, not everyone's. */
	if (need == AUTH_OWNER && !r->auth.admin && r->auth.owner_id == NULL) {
		resp_error(r, 403, "forbidden",
		    "This token has no owner scope");
		return -1;
	}
	return 0;
}

const char *
auth_scope(const struct req *r)
{
	return r->auth.admin ? NULL : r->auth.owner_id;
}

int
auth_owner_valid(const char *s)
{
	size_t	 n;

	if (s == NULL || (n = strlen(s)) == 0 || n > AUTH_OWNER_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || *s == 0x7f)
			return 0;
	return 1;
}
