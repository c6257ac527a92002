/*
 * bench-null: the transport limit of `make bench` (bench/README.md).
 *
 * A FastCGI responder that does nothing a handler could do less of: it
 * accepts a request on the socket the web server passed as fd 0, drains
 * the body (ARCHITECTURE.md §5: answering before the body is read may reset
 * the client), and answers 200 with a small JSON body shaped like
 * hookpost's.  No database, no parsing, no signature.  Whatever rate
 * lighttpd reaches with it is the most any handler can reach behind the
 * same server on the same machine.
 *
 *   bench-null [-s socket] [-n processes]
 * as the handlers and bench-ideal: on fd 0 or its own socket, one
 * process or a pool of -n (lib/pool.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "pool.h"
#include "util.h"

int
main(int argc, char *argv[])
{
	static const char	 resp[] = "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 21\r\n"
	    "Cache-Control: no-store\r\n"
	    "\r\n"
	    "{\"status\":\"accepted\"}";
	FCGX_Request		 fr;
	char			 sink[16384];
	const char		*sockpath = NULL, *why;
	long long		 nproc = 0;
	int			 sock;

	if (pool_options(argc, argv, &sockpath, &nproc, NULL) == -1) {
		fprintf(stderr, "usage: bench-null [-s socket] [-n processes]\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	if ((sock = pool_listen(sockpath, nproc, &why)) < 0) {
		if (sock == -1)
			fprintf(stderr, "bench-null: %s\n", why);
		return sock == -1;
	}
	if (FCGX_InitRequest(&fr, sock, 0) != 0) {
		fprintf(stderr, "bench-null: FastCGI setup failed\n");
		return 1;
	}
	while (FCGX_Accept_r(&fr) >= 0) {
		while (FCGX_GetStr(sink, sizeof(sink), fr.in) > 0)
			;
		FCGX_PutStr(resp, sizeof(resp) - 1, fr.out);
		FCGX_Finish_r(&fr);
	}
	return 0;
}
