/*
 * srv: the one FastCGI skeleton for every handler (STYLE 3).  Signals
 * first; then plain CGI (one request over stdio, for shared hosting), or
 * the FCGX_Accept_r loop on the socket the web server passed as fd 0, or
 * with -s a socket of our own (for mod_proxy_fcgi).  With -n either
 * socket is served by a fixed pool of that many processes forked after
 * start-up (lib/pool.h; lighttpd then runs one program with -n, not
 * max-procs programs: issue 13's memory).  Single-threaded; SIGTERM
 * finishes the request in hand and exits.
 *
 * Before a handler's dispatch runs, the skeleton has answered 404 (no
 * route), 405 (wrong method, with Allow), 413 (body over the limit, from
 * its declared length, body drained) and 415 (not JSON) itself, then
 * read the body and checked the credential the route needs (401, 403).
 */
#ifndef HOOKPOST_SRV_H
#define HOOKPOST_SRV_H

#include "auth.h"
#include "req.h"

#define SRV_BODY	0x01	/* the route takes a JSON body */
#define SRV_RAW		0x02	/* keep the body even if it isn't JSON-typed */
/*
 * The handler reads the body itself with srv_body_read(), after work of
 * its own (seed 002: a trigger's key is checked before its size limit).
 * The skeleton then neither reads nor limits it, and drains what is left.
 */
#define SRV_LAZY	0x04
/*
 * The route belongs to the connectors module (seed 003 integrations):
 * without "connectors" in HOOKPOST_MODULES it answers 403
 * module_disabled, before any credential is looked at.
 */
#define SRV_CONNECTORS	0x08

struct srv_route {
	int		 id;
	const char	*method;
	const char	*pattern;	/* "/api/webhooks/:source", "/a/b[s]" */
	unsigned	 flags;
	enum auth_need	 need;		/* who may call it (lib/auth.h) */
};

typedef void	(*srv_dispatch_fn)(struct req *, int route);

/*
 * For SRV_LAZY routes: reads the body, at most max bytes (and never more
 * than HOOKPOST_MAX_BODY).  Returns 0, or -1 when it is larger, decided
 * from Content-Length when there is one; the rest is then drained.
 */
int	srv_body_read(struct req *, size_t max);
/* Discards a body not read yet (ARCHITECTURE.md §5: read before answering). */
void	srv_body_drain(struct req *);

/* Runs the handler until told to stop.  Returns the process exit status. */
int	srv_main(int argc, char *argv[], const struct srv_route *routes,
	    size_t nroutes, srv_dispatch_fn dispatch);

/*
 * A handler's main(): srv_main() over its route table (an array, so that
 * its length is known here) and its dispatch.  Each handler ends with it.
 */
#define SRV_MAIN(routes, dispatch)					\
int									\
main(int argc, char *argv[])						\
{									\
	return srv_main(argc, argv, (routes),				\
	    sizeof(routes) / sizeof((routes)[0]), (dispatch));		\
}

#endif
