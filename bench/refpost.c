/*
 * bench-refpost: the "delivery limit" reference of `make bench`
 * (bench/README.md, outbound part).
 *
 * Sends count signed deliveries to one URL with the libcurl multi
 * interface at most conns at a time, the way hookpost-deliver sends them
 * but with no database: no claim, no result, no secret to open, no SSRF
 * check.  Every request carries the body in the file given, byte for
 * byte, and the headers hookpost sends (ARCHITECTURE.md §3): Content-Type,
 * User-Agent, X-Webhook-Event, a fresh X-Webhook-Delivery-Id,
 * X-Webhook-Subscription-Id, X-Webhook-Signature: sha256=<hex
 * HMAC-SHA256(secret, body)>, and the Standard Webhooks webhook-id,
 * webhook-timestamp and webhook-signature: v1,<base64 HMAC-SHA256(key,
 * "<id>.<ts>.<body>")>, where the key is the base64 part of a whsec_
 * secret.  Both signatures are computed per request with the worker's
 * own sig_hmac().  Easy handles are reused, so connections stay alive
 * (hookpost-deliver keeps them alive through the multi handle's cache).
 *
 * Prints one line:
 *
 *	req/s p50_ms p99_ms errors
 *
 * req/s is 2xx responses over the time from the first request to the
 * last response; p50 and p99 are per request, from signing to the end
 * of the response (as delivery_attempts.response_ms, which runs from
 * building the request to recording its result); errors are non-2xx
 * responses and failed transfers, the first one described on stderr.
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "crypt.h"
#include "sig.h"
#include "util.h"
#include "connector.h"
#include "worker.h"

#define REF_MAX_BODY	(1024 * 1024)
#define REF_MAX_CONNS	1024

struct xfer {
	CURL			*h;
	struct curl_slist	*headers;
	double			 started_ms;
	char			 errbuf[CURL_ERROR_SIZE];
};

/* Set once in main; read-only afterwards. */
static const char	*secret;
static unsigned char	*sw_key;	/* the Standard Webhooks key */
static size_t		 sw_keylen;
static char		*body;
static size_t		 bodylen;
static const char	*event_type = "threat_model.created";
static char		 sub_id[37];

static double		*lat_ms;	/* per-request times, 2xx only */
static size_t		 nlat;

static int
usage(void)
{
	fprintf(stderr, "usage: bench-refpost -u url -b body-file -s secret "
	    "[-n count] [-c conns] [-e event-type]\n");
	return 1;
}

/* The whole file as a new NUL-terminated string: 0 or -1. */
static int
body_load(const char *path)
{
	FILE		*f;
	struct stat	 st;
	int		 rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "bench-refpost: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) == -1 || st.st_size <= 0 ||
	    st.st_size > REF_MAX_BODY) {
		fprintf(stderr, "bench-refpost: %s: empty or too large\n", path);
		goto out;
	}
	body = xmalloc((size_t)st.st_size + 1);
	bodylen = fread(body, 1, (size_t)st.st_size, f);
	body[bodylen] = '\0';
	/* A trailing newline from psql is not part of the payload. */
	while (bodylen > 0 && body[bodylen - 1] == '\n')
		body[--bodylen] = '\0';
	if (bodylen == 0 || strlen(body) != bodylen) {
		fprintf(stderr, "bench-refpost: %s: not a text body\n", path);
		goto out;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

/* Signs a new delivery and queues it on x's easy handle: 0 or -1. */
static int
xfer_start(CURLM *multi, struct xfer *x)
{
	struct sig_part	 seed_part = { body, bodylen };
	struct sig_part	 sw_parts[5];
	unsigned char	 mac[SIG_MAX_MAC];
	char		 id[37], ts[24], hex[2 * SIG_MAX_MAC + 1], *b64, *v;
	size_t		 maclen;
	struct curl_slist *l = NULL;

	x->started_ms = now_ms();
	if (uuid_new(id) == -1)
		return -1;
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	l = conn_header_add(l, "Content-Type", "application/json");
	l = conn_header_add(l, "User-Agent",
	    "hookpost/" HOOKPOST_VERSION);
	l = conn_header_add(l, "X-Webhook-Event", event_type);
	l = conn_header_add(l, "X-Webhook-Delivery-Id", id);
	l = conn_header_add(l, "X-Webhook-Subscription-Id",
	    sub_id);
	/* seed 000: sha256=<hex HMAC-SHA256(secret, body)> */
	if (sig_hmac("SHA256", secret, strlen(secret), &seed_part, 1, mac,
	    &maclen) == -1)
		goto fail;
	crypt_hex(mac, maclen, hex);
	v = xasprintf("sha256=%s", hex);
	l = conn_header_add(l, "X-Webhook-Signature", v);
	free(v);
	/* Standard Webhooks: v1,<base64 HMAC-SHA256(key, id.ts.body)> */
	sw_parts[0] = (struct sig_part){ id, strlen(id) };
	sw_parts[1] = (struct sig_part){ ".", 1 };
	sw_parts[2] = (struct sig_part){ ts, strlen(ts) };
	sw_parts[3] = (struct sig_part){ ".", 1 };
	sw_parts[4] = (struct sig_part){ body, bodylen };
	if (sig_hmac("SHA256", sw_key, sw_keylen, sw_parts, 5, mac,
	    &maclen) == -1)
		goto fail;
	b64 = crypt_b64_new(mac, maclen);
	v = xasprintf("v1,%s", b64);
	free(b64);
	l = conn_header_add(l, "webhook-id", id);
	l = conn_header_add(l, "webhook-timestamp", ts);
	l = conn_header_add(l, "webhook-signature", v);
	free(v);
	l = curl_slist_append(l, "Expect:");
	if (l == NULL)
		goto fail;
	curl_slist_free_all(x->headers);
	x->headers = l;
	x->errbuf[0] = '\0';
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->headers);
	if (curl_multi_add_handle(multi, x->h) != CURLM_OK)
		return -1;
	return 0;
fail:
	curl_slist_free_all(l);
	return -1;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;	/* read and dropped, as the worker keeps 4 KiB */
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
percentile(double p)
{
	size_t	 i;

	if (nlat == 0)
		return 0;
	i = (size_t)(p * (double)(nlat - 1) + 0.5);
	return lat_ms[i < nlat ? i : nlat - 1];
}

int
main(int argc, char *argv[])
{
	struct xfer	*xs = NULL, *x;
	CURLM		*multi = NULL;
	CURLMsg		*msg;
	const char	*url = NULL, *bodyfile = NULL;
	long long	 count = 10000, conns = 64;
	long long	 started = 0, done = 0, errors = 0;
	long		 status;
	double		 t0, elapsed;
	int		 ch, i, running, left, rc = 1;
	char		 first_error[CURL_ERROR_SIZE + 64] = "";

	while ((ch = getopt(argc, argv, "b:c:e:n:s:u:")) != -1) {
		switch (ch) {
		case 'b':
			bodyfile = optarg;
			break;
		case 'c':
			if (parse_int(optarg, 1, REF_MAX_CONNS, &conns) == -1)
				return usage();
			break;
		case 'e':
			event_type = optarg;
			break;
		case 'n':
			if (parse_int(optarg, 1, 100000000, &count) == -1)
				return usage();
			break;
		case 's':
			secret = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		default:
			return usage();
		}
	}
	if (url == NULL || bodyfile == NULL || secret == NULL || *secret == '\0')
		return usage();
	signal(SIGPIPE, SIG_IGN);
	if (body_load(bodyfile) == -1)
		return 1;
	/* As the worker: a whsec_ secret's key is its base64 part. */
	if (strncmp(secret, "whsec_", 6) != 0 ||
	    (sw_key = crypt_unb64_new(secret + 6, &sw_keylen)) == NULL) {
		sw_keylen = strlen(secret);
		sw_key = (unsigned char *)xstrdup(secret);
	}
	if (uuid_new(sub_id) == -1)
		return 1;
	lat_ms = xcalloc((size_t)count, sizeof(lat_ms[0]));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (multi = curl_multi_init()) == NULL) {
		fprintf(stderr, "bench-refpost: libcurl initialisation failed\n");
		goto out;
	}
	curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)conns);
	xs = xcalloc((size_t)conns, sizeof(*xs));
	for (i = 0; i < conns; i++) {
		x = &xs[i];
		if ((x->h = curl_easy_init()) == NULL)
			goto out;
		curl_easy_setopt(x->h, CURLOPT_URL, url);
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE, (long)bodylen);
		curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, 30000L);
		curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
		curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	}

	t0 = now_ms();
	for (i = 0; i < conns && started < count; i++, started++)
		if (xfer_start(multi, &xs[i]) == -1)
			goto out;
	while (done < count) {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			goto out;
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&x);
			status = 0;
			curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
			if (msg->data.result == CURLE_OK && status >= 200 &&
			    status <= 299)
				lat_ms[nlat++] = now_ms() - x->started_ms;
			else {
				errors++;
				if (first_error[0] == '\0')
					snprintf(first_error, sizeof(first_error),
					    "%s", msg->data.result != CURLE_OK ?
					    (x->errbuf[0] ? x->errbuf :
					    curl_easy_strerror(msg->data.result)) :
					    "non-2xx response");
			}
			done++;
			curl_multi_remove_handle(multi, x->h);
			if (started < count) {
				if (xfer_start(multi, x) == -1)
					goto out;
				started++;
			}
		}
		if (done < count &&
		    curl_multi_poll(multi, NULL, 0, 1000, NULL) != CURLM_OK)
			goto out;
	}
	elapsed = (now_ms() - t0) / 1000.0;
	qsort(lat_ms, nlat, sizeof(lat_ms[0]), cmp_double);
	if (errors > 0)
		fprintf(stderr, "bench-refpost: %lld errors; the first: %s\n",
		    errors, first_error);
	printf("%.1f %.2f %.2f %lld\n", elapsed > 0 ? (double)nlat / elapsed :
	    0.0, percentile(0.50), percentile(0.99), errors);
	rc = 0;
out:
	if (xs != NULL)
		for (i = 0; i < conns; i++) {
			if (xs[i].h != NULL) {
				curl_multi_remove_handle(multi, xs[i].h);
				curl_easy_cleanup(xs[i].h);
			}
			curl_slist_free_all(xs[i].headers);
		}
	free(xs);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	free(lat_ms);
	free(body);
	free(sw_key);
	return rc;
}
