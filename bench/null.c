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
 */
#include <signal.h>
#include <stdio.h>

#include <fcgiapp.h>

int
main(void)
{
	static const char	 resp[] = "Status: 200 OK\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: 21\r\n"
	    "Cache-Control: no-store\r\n"
	    "\r\n"
	    "{\"status\":\"accepted\"}";
	FCGX_Request		 fr;
	char			 sink[16384];

	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0) {
		fprintf(stderr, "bench-null: FastCGI setup failed\n");
		return 1;
	}
	if (FCGX_IsCGI()) {
		fprintf(stderr, "bench-null: run me under a FastCGI server\n");
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
