/*
 * auth: admin API credentials (ARCHITECTURE.md §3).  API tokens "hp_..." are
 * looked up by their SHA-256; a JWT (HS256) is accepted when
 * HOOKPOST_JWT_SECRET is set; a console session's cookie (issue 11,
 * sql/020) stands for the token it was made from.
 */
#ifndef HOOKPOST_AUTH_H
#define HOOKPOST_AUTH_H

#include "req.h"

/*
 * Who may call a route (struct srv_route's need).  AUTH_NONE: anyone, or
 * the route checks a credential of its own (receivers, callbacks).
 */
enum auth_need {
	AUTH_NONE,
	AUTH_ANY,	/* every valid credential */
	AUTH_OWNER,	/* an admin, or a credential with an owner scope */
	AUTH_SERVICE,	/* admins and service tokens */
	AUTH_ADMIN,	/* admins only */
	/*
	 * seed 003 MANAGE_SETTINGS (integrations): an admin, or a token
	 * whose permissions hold manage_settings (user or service; a JWT's
	 * "permissions" claim).
	 */
	AUTH_SETTINGS
};

/*
 * Checks the credential against need and fills r->auth.  The credential
 * is the Bearer one or, without an Authorization header, a console
 * session's cookie (issue 11): then a request other than GET or HEAD
 * must carry AUTH_CONSOLE_HEADER: 1 and, if it has an Origin, our own
 * (else 403 csrf_refused).  Returns 0, or -1 after answering 401
 * unauthorized, 403 forbidden or csrf_refused, or 503 unavailable.
 */
int		 auth_require(struct req *, enum auth_need);
/*
 * Checks an API token or a JWT as auth_require checks a Bearer one (a
 * console sign-in's body holds one) and fills r->auth.  Returns 0, or -1
 * after answering 401 unauthorized or 503 unavailable.
 */
int		 auth_token_check(struct req *, const char *token);
/*
 * 0 when the request has no Origin header or this site's own
 * (HOOKPOST_PUBLIC_URL, else the request's scheme and Host), else -1
 * after answering 403 csrf_refused.
 */
int		 auth_origin_check(struct req *);
/* The console session's cookie and the header a write on it carries. */
#define AUTH_SESSION_COOKIE	"hookpost_session"
#define AUTH_CONSOLE_HEADER	"X-Hookpost-Console"
/*
 * The rows a caller that passed AUTH_OWNER may see: NULL for an admin
 * (every owner), else its owner_id (owned by r).
 */
const char	*auth_scope(const struct req *);
/*
 * An owner id (api_tokens.owner_id) as the API takes it: opaque, but
 * printable and at most AUTH_OWNER_MAX bytes, for they reach URLs and
 * logs.  1 or 0.
 */
#define AUTH_OWNER_MAX	128
int		 auth_owner_valid(const char *);

#endif
