/*
 * auth: admin API credentials (DESIGN.md §3).  API tokens "hp_..." are
 * looked up by their SHA-256; a JWT (HS256) is accepted when
 * HOOKPOST_JWT_SECRET is set.
 */
#ifndef HOOKPOST_AUTH_H
#define HOOKPOST_AUTH_H

#include "req.h"

enum auth_need { AUTH_ANY, AUTH_ADMIN, AUTH_SERVICE };

/*
 * Checks the Bearer credential and fills r->auth.  AUTH_ADMIN admits
 * only admins; AUTH_SERVICE admins and service tokens; AUTH_ANY every
 * valid credential.  Returns 0, or -1 after answering 401 unauthorized,
 * 403 forbidden or 503 unavailable.
 */
int	auth_require(struct req *, enum auth_need);

#endif
