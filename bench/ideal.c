/*
 * bench-ideal: the "ideal handler" reference of `make bench`
 * (bench/README.md).
 *
 * The least a durable, verifying receiver must do per request, written
 * with no layers: read the body, check X-Webhook-Timestamp (seed 004:
 * 5 minutes either way), verify X-Webhook-Signature against HMAC-SHA256
 * (BENCH_SECRET, "<timestamp>.<body>") in constant time, and make the
 * event durable with one prepared INSERT ... RETURNING over a persistent
 * connection: one round trip and one commit.  Then answer 200 JSON.
 *
 * Environment: BENCH_SECRET (required); the database as for the
 * handlers, HOOKPOST_DATABASE_URL or the HOOKPOST_CONFIG file (lib/cfg).
 *
 *   bench-ideal [-s socket] [-n processes]
 * as the handlers (lib/srv.h): on fd 0, or on a socket of its own with
 * -s, served by one process or, with -n, by a pool of that many forked
 * after start-up (lib/pool.h), the way every handler pool runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <libpq-fe.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "cfg.h"
#include "crypt.h"
#include "pool.h"
#include "util.h"

#define IDEAL_MAX_BODY		(1024 * 1024)
#define IDEAL_TS_TOLERANCE	300

/* Created once per connection; the advisory lock lets a whole pool of
 * processes start at once without racing on CREATE ... IF NOT EXISTS. */
static const char sql_schema[] =
    "BEGIN;"
    "SELECT pg_advisory_xact_lock(7365827);"
    "CREATE SCHEMA IF NOT EXISTS hookpost_bench;"
    "CREATE TABLE IF NOT EXISTS hookpost_bench.ideal_events ("
    " id bigserial PRIMARY KEY,"
    " received_at timestamptz DEFAULT now(),"
    " signature text,"
    " body text);"
    "COMMIT";
static const char sql_insert[] = "INSERT INTO hookpost_bench.ideal_events"
    " (signature, body) VALUES ($1, $2) RETURNING id";

static PGconn		*conn;
static EVP_MAC_CTX	*mac_keyed;	/* HMAC-SHA256 with the key set */

/* The connection, with the statement prepared; NULL (logged) if down. */
static PGconn *
ideal_conn(void)
{
	PGresult	*res;

	if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
		return conn;
	PQfinish(conn);
	conn = PQconnectdb(cfg.database_url);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "bench-ideal: %s", PQerrorMessage(conn));
		goto fail;
	}
	res = PQexec(conn, sql_schema);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "bench-ideal: schema: %s",
		    PQerrorMessage(conn));
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	res = PQprepare(conn, "ideal_insert", sql_insert, 2, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "bench-ideal: prepare: %s",
		    PQerrorMessage(conn));
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	return conn;
fail:
	PQfinish(conn);
	conn = NULL;
	return NULL;
}

static int
mac_setup(const char *secret)
{
	OSSL_PARAM	 params[2];
	EVP_MAC		*mac;
	int		 rc = -1;

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return -1;
	if ((mac_keyed = EVP_MAC_CTX_new(mac)) == NULL)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(mac_keyed, (const unsigned char *)secret,
	    strlen(secret), params) != 1)
		goto out;
	rc = 0;
out:
	EVP_MAC_free(mac);
	return rc;
}

/* 0 when header is "sha256=<hex>" of HMAC(key, ts "." body); else -1. */
static int
signature_ok(const char *ts, const char *header, const char *body,
    size_t bodylen)
{
	EVP_MAC_CTX	*ctx;
	unsigned char	 want[32], got[32];
	size_t		 n = 0;
	int		 rc = -1;

	if (strncasecmp(header, "sha256=", 7) != 0 ||
	    crypt_unhex(header + 7, strlen(header + 7), got, sizeof(got)) == -1)
		return -1;
	if ((ctx = EVP_MAC_CTX_dup(mac_keyed)) == NULL)
		return -1;
	if (EVP_MAC_update(ctx, (const unsigned char *)ts, strlen(ts)) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)".", 1) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)body, bodylen) == 1 &&
	    EVP_MAC_final(ctx, want, &n, sizeof(want)) == 1 && n == 32 &&
	    CRYPTO_memcmp(want, got, sizeof(want)) == 0)
		rc = 0;
	EVP_MAC_CTX_free(ctx);
	return rc;
}

static void
answer(FCGX_Request *fr, int status, const char *reason, const char *json)
{
	char	 head[256];
	int	 n;

	/* ARCHITECTURE.md §5: format with snprintf, never FCGX_FPrintF. */
	n = snprintf(head, sizeof(head), "Status: %d %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Content-Length: %zu\r\n"
	    "Cache-Control: no-store\r\n\r\n", status, reason, strlen(json));
	if (n > 0 && (size_t)n < sizeof(head)) {
		FCGX_PutStr(head, n, fr->out);
		FCGX_PutS(json, fr->out);
	}
}

static void
drain(FCGX_Request *fr)
{
	char	 sink[16384];

	while (FCGX_GetStr(sink, sizeof(sink), fr->in) > 0)
		;
}

static void
ideal_serve(FCGX_Request *fr)
{
	const char	*cl, *ts, *sighdr, *p[2];
	char		*body = NULL, json[96];
	size_t		 cap, len = 0;
	long long	 n, t;
	int		 got;
	PGresult	*res = NULL;

	cap = 65536;
	if ((cl = FCGX_GetParam("CONTENT_LENGTH", fr->envp)) != NULL &&
	    *cl != '\0') {
		if (parse_int(cl, 0, IDEAL_MAX_BODY, &n) == -1) {
			drain(fr);
			answer(fr, 413, "Payload Too Large", "{\"error\":{"
			    "\"code\":\"payload_too_large\",\"message\":"
			    "\"Request body too large\"}}");
			goto out;
		}
		cap = (size_t)n;
	}
	body = xmalloc(cap + 1);
	while (len < cap && (got = FCGX_GetStr(body + len, (int)(cap - len),
	    fr->in)) > 0)
		len += (size_t)got;
	body[len] = '\0';
	drain(fr);

	ts = FCGX_GetParam("HTTP_X_WEBHOOK_TIMESTAMP", fr->envp);
	sighdr = FCGX_GetParam("HTTP_X_WEBHOOK_SIGNATURE", fr->envp);
	if (ts == NULL || sighdr == NULL ||
	    parse_int(ts, 0, 99999999999LL, &t) == -1 ||
	    llabs((long long)time(NULL) - t) > IDEAL_TS_TOLERANCE ||
	    signature_ok(ts, sighdr, body, len) == -1) {
		answer(fr, 401, "Unauthorized", "{\"error\":{\"code\":"
		    "\"invalid_signature\",\"message\":\"Webhook signature "
		    "verification failed\"}}");
		goto out;
	}
	if (ideal_conn() == NULL)
		goto unavailable;
	p[0] = sighdr + 7;
	p[1] = body;
	res = PQexecPrepared(conn, "ideal_insert", 2, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		fprintf(stderr, "bench-ideal: insert: %s",
		    PQerrorMessage(conn));
		goto unavailable;
	}
	snprintf(json, sizeof(json), "{\"status\":\"accepted\",\"id\":%s}",
	    PQgetvalue(res, 0, 0));
	answer(fr, 200, "OK", json);
	goto out;
unavailable:
	answer(fr, 503, "Service Unavailable", "{\"error\":{\"code\":"
	    "\"unavailable\",\"message\":\"Database unavailable\"}}");
out:
	PQclear(res);
	free(body);
}

int
main(int argc, char *argv[])
{
	FCGX_Request	 fr;
	const char	*secret, *sockpath = NULL, *why;
	long long	 nproc = 0;
	int		 fd, sock;

	if (pool_options(argc, argv, &sockpath, &nproc, NULL) == -1) {
		fprintf(stderr, "usage: bench-ideal [-s socket] [-n processes]\n");
		return 1;
	}
	/*
	 * A launcher that closes stdout and stderr (cgi-fcgi -start does):
	 * the database socket would then take one of them, and libpq's
	 * notices, written to stderr, would go into it.
	 */
	for (fd = STDOUT_FILENO; fd <= STDERR_FILENO; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF &&
		    open("/dev/null", O_WRONLY) != fd)
			return 1;
	signal(SIGPIPE, SIG_IGN);
	if (cfg_load() == -1)
		return 1;
	if ((secret = getenv("BENCH_SECRET")) == NULL || *secret == '\0') {
		fprintf(stderr, "bench-ideal: BENCH_SECRET is not set\n");
		return 1;
	}
	if ((sock = pool_listen(sockpath, nproc, &why)) < 0) {
		if (sock == -1)
			fprintf(stderr, "bench-ideal: %s\n", why);
		return sock == -1;
	}
	/*
	 * OpenSSL's first use (its providers, the HMAC fetched) in each
	 * process of the pool, as the handlers', whose supervisor never
	 * touches it: the same pages counted in each (issue 13's table).
	 */
	if (mac_setup(secret) == -1) {
		fprintf(stderr, "bench-ideal: HMAC setup failed\n");
		return 1;
	}
	if (FCGX_InitRequest(&fr, sock, 0) != 0) {
		fprintf(stderr, "bench-ideal: FastCGI setup failed\n");
		return 1;
	}
	while (FCGX_Accept_r(&fr) >= 0) {
		ideal_serve(&fr);
		FCGX_Finish_r(&fr);
	}
	PQfinish(conn);
	EVP_MAC_CTX_free(mac_keyed);
	return 0;
}
