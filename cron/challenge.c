/*
 * hookpost-challenge: verifies new subscriptions (seed 000 "challenge-
 * response").  POSTs {"type":"webhook.challenge","challenge":"<random>"};
 * only a 200 whose JSON body echoes the challenge within 10 s verifies,
 * and the subscription becomes active.  A failure is retried every 30 s;
 * after 3 failed attempts the subscription is marked for deletion
 * (pending_delete; hookpost-cleanup removes it).
 *
 * Claims are leased by pushing next_challenge_at forward under FOR UPDATE
 * SKIP LOCKED, so any number of instances may run.  Runs up to -t seconds,
 * waking on NOTIFY hookpost_challenge and a 1 s timer (lib/worker).
 *
 * Its log lines begin "challenge worker:", which seed 000's operators
 * grep for; a failed challenge is an "ERROR: ... webhook challenge"
 * line.  A URL is logged by its host alone (its path may hold a secret).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cfg.h"
#include "crypt.h"
#include "db.h"
#include "log.h"
#include "sig.h"
#include "urlguard.h"
#include "util.h"
#include "worker.h"

#define CHALLENGE_TIMEOUT_MS	10000	/* seed 000: 10 seconds */
#define CHALLENGE_TRIES		3	/* seed 000: at most 3 attempts */
#define BODY_MAX		4096

/* A subscription's id as a member of a JSON log record (log_ids). */
#define SUB_IDS(id)	((const char *const []){ "subscription_id", (id), NULL })

struct challenge {
	long	 interval_s;	/* a failed challenge is retried after */
};

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;
	size_t		 len = size * n;

	if (b->len + len > BODY_MAX)
		return 0;	/* larger than any echo: abort the transfer */
	buf_append(b, data, len);
	return len;
}

/*
 * Sends one challenge.  Returns 1 when verified, 0 when not (reason in
 * err), -1 on a local failure.
 */
static int
challenge_send(const char *url, const char *secret, char *err, size_t errsz)
{
	CURL			*h = NULL;
	struct curl_slist	*hdrs = NULL, *pinned = NULL;
	struct buf		 resp = { 0 };
	struct sig_request	 rq;
	struct sig_headers	 sh = { .n = 0 };
	json_t			*j = NULL;
	unsigned char		 rnd[24];
	char			 chal[49], *body = NULL;
	char			*hdr = NULL, ua[64], cerr[CURL_ERROR_SIZE] = "";
	const char		*echo;
	long			 status = 0;
	CURLcode		 cc;
	int			 rc = -1;

	if (crypt_random(rnd, sizeof(rnd)) == -1)
		goto out;
	crypt_hex(rnd, sizeof(rnd), chal);
	body = xasprintf("{\"type\":\"webhook.challenge\",\"challenge\":\"%s\"}",
	    chal);
	if ((h = curl_easy_init()) == NULL)
		goto out;
	if (urlguard_curl_prepare(h, url, 0, cfg.allow_private, &pinned, err,
	    errsz) == -1) {
		rc = 0;
		goto out;
	}
	/* Signed as a delivery is (seed 000): X-Webhook-Signature. */
	memset(&rq, 0, sizeof(rq));
	rq.scheme = SIG_HOOKPOST;
	rq.secrets[0] = secret;
	rq.ts = (long long)time(NULL);
	rq.body = body;
	rq.bodylen = strlen(body);
	if (sig_sign(&rq, &sh) == -1 || sh.n != 1)
		goto out;
	hdr = xasprintf("%s: %s", sh.h[0].name, sh.h[0].value);
	snprintf(ua, sizeof(ua), "User-Agent: hookpost/%s", HOOKPOST_VERSION);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "X-Webhook-Event: webhook.challenge");
	hdrs = curl_slist_append(hdrs, hdr);
	hdrs = curl_slist_append(hdrs, ua);
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)CHALLENGE_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	cc = curl_easy_perform(h);
	rc = 0;
	if (cc != CURLE_OK) {
		snprintf(err, errsz, "%s", cerr[0] ? cerr :
		    curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		/* seed 000: "The challenge requires exactly 200 OK." */
		snprintf(err, errsz, "answered HTTP %ld, not 200", status);
		goto out;
	}
	j = json_loadb(resp.data ? resp.data : "", resp.len, 0, NULL);
	echo = json_string_value(json_object_get(j, "challenge"));
	if (echo == NULL || strcmp(echo, chal) != 0) {
		snprintf(err, errsz, "the response does not echo the challenge");
		goto out;
	}
	rc = 1;
out:
	json_decref(j);
	sig_headers_free(&sh);
	buf_free(&resp);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(pinned);
	if (h != NULL)
		curl_easy_cleanup(h);
	free(hdr);
	free(body);
	return rc;
}

/* Claims and challenges due subscriptions; returns how many, or -1. */
static int
challenge_due(struct challenge *c)
{
	static const char sql_claim[] = "UPDATE hookpost.subscriptions s"
	    " SET next_challenge_at = now() + interval '60 seconds'"
	    " WHERE s.id IN (SELECT id FROM hookpost.subscriptions"
	    "  WHERE status = 'pending_verification'"
	    "  AND next_challenge_at <= now() ORDER BY next_challenge_at"
	    "  LIMIT 20 FOR UPDATE SKIP LOCKED)"
	    " RETURNING s.id, s.url, s.secret_enc, s.challenge_attempts";
	static const char sql_result[] = "UPDATE hookpost.subscriptions SET"
	    " status = CASE WHEN $2 THEN 'active'"
	    "  WHEN challenge_attempts + 1 >= $5 THEN 'pending_delete'"
	    "  ELSE status END,"
	    " challenge_attempts = CASE WHEN $2 THEN challenge_attempts"
	    "  ELSE challenge_attempts + 1 END,"
	    " next_challenge_at = now() + make_interval(secs => $3::int),"
	    " last_challenge_error = $4, modified_at = now()"
	    " WHERE id = $1 AND status = 'pending_verification'";
	PGresult	*res, *r2;
	const char	*p[5];
	char		*secret, err[512], iv[16], tries[8], host[300];
	const char	*id;
	int		 i, n, ok, attempt;

	if ((res = db_exec("challenge_claim", sql_claim, 0, NULL)) == NULL)
		return -1;
	n = PQntuples(res);
	snprintf(iv, sizeof(iv), "%ld", c->interval_s);
	snprintf(tries, sizeof(tries), "%d", CHALLENGE_TRIES);
	for (i = 0; i < n && !worker_stopping(); i++) {
		err[0] = '\0';
		id = PQgetvalue(res, i, 0);
		attempt = (int)strtol(PQgetvalue(res, i, 3), NULL, 10) + 1;
		log_ids(LOG_LVL_INFO, SUB_IDS(id),
		    "challenge worker: verifying subscription %s at %s "
		    "(attempt %d of %d)", id, worker_url_host(PQgetvalue(res,
		    i, 1), host, sizeof(host)), attempt, CHALLENGE_TRIES);
		secret = crypt_secret_open(PQgetvalue(res, i, 2));
		if (secret == NULL) {
			snprintf(err, sizeof(err), "secret unavailable");
			ok = 0;
		} else {
			ok = challenge_send(PQgetvalue(res, i, 1), secret, err,
			    sizeof(err));
			explicit_bzero(secret, strlen(secret));
			free(secret);
		}
		if (ok == -1) {
			/* Local trouble: the lease retries it, uncounted. */
			log_ids(LOG_LVL_ERROR, SUB_IDS(id),
			    "challenge worker: webhook challenge to "
			    "subscription %s not sent (a local failure); "
			    "retried in a minute", id);
			continue;
		}
		utf8_sanitize(err, strlen(err));
		if (ok)
			log_ids(LOG_LVL_INFO, SUB_IDS(id),
			    "challenge worker: subscription %s verified: "
			    "active", id);
		else
			log_ids(LOG_LVL_ERROR, SUB_IDS(id),
			    "challenge worker: webhook challenge to "
			    "subscription %s failed: %s (attempt %d of %d%s)", id,
			    err, attempt, CHALLENGE_TRIES,
			    attempt >= CHALLENGE_TRIES ?
			    "; marked for deletion" : "");
		p[0] = id;
		p[1] = ok ? "t" : "f";
		p[2] = iv;
		p[3] = ok ? NULL : err;
		p[4] = tries;
		if ((r2 = db_exec("challenge_result", sql_result, 5, p)) == NULL) {
			PQclear(res);
			return -1;
		}
		PQclear(r2);
	}
	PQclear(res);
	return n;
}

static int
challenge_init(void *arg, struct worker_run *run)
{
	struct challenge	*c = arg;
	const char		*v;
	long long		 n;

	if ((v = cfg_get("HOOKPOST_CHALLENGE_INTERVAL")) != NULL &&
	    parse_int(v, 1, 3600, &n) == 0)
		c->interval_s = (long)n;
	return 0;
}

static int
challenge_step(void *arg, struct worker_run *run)
{
	int	 n;

	if ((n = challenge_due(arg)) == -1)
		return -1;
	return n > 0 ? WORKER_BUSY : WORKER_IDLE;
}

int
main(int argc, char *argv[])
{
	static const struct worker w = {
		.name = "hookpost-challenge",
		.usage = "usage: hookpost-challenge [-1] [-t seconds]\n"
		    "  -1  challenge what is due now, then exit\n"
		    "  -t  run for at most this long (default 55, for cron)\n",
		.flags = WORKER_ONCE | WORKER_DEADLINE | WORKER_CURL,
		.listen = "hookpost_challenge",
		.init = challenge_init,
		.step = challenge_step,
	};
	struct challenge	 c = { .interval_s = 30 };

	return worker_main(&w, &c, argc, argv);
}
