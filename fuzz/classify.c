/*
 * fuzz/classify: each connector's judgement of the service's answers
 * (lib/connector_*.c classify: status, headers, body), through the
 * steps of one attempt as connector_send() takes them: render, then
 * classify an answer, again while it says CONN_NEXT.  The header lines
 * go through the transfer's own reader (Retry-After, async).
 *
 * Input: connector type \n event type \n settings (JSON, one line) \n
 * event (JSON, one line) \n then the answers, one per request,
 * separated by lines "%%": each a status line (0: no answer, the body
 * being the transport error), header lines, an empty line, the body.
 * The body reaches classify as conn_transfer_answer() leaves it (UTF-8
 * made safe); the ticket reference classify writes must be UTF-8 (it is
 * kept as JSON; the reason may be cut anywhere: its users sanitize it).
 */
#include <curl/curl.h>

#include "connector.h"
#include "fuzz.h"
#include "util.h"

static const char sep[] = "\n%%\n";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in		 in = { data, size }, ans;
	const struct connector	*c;
	struct conn_event	 ev;
	struct conn_request	 rq;
	struct conn_result	 res;
	struct conn_answer	 a;
	struct conn_transfer	 t;
	json_t			*config = NULL, *event = NULL, *state = NULL;
	char			*type, *etype, *ctext, *etext, *rest, *p, *end;
	char			*status, *hline, *body, err[256];
	size_t			 restlen, blen;
	long long		 code;

	fuzz_setup();
	type = fuzz_line(&in);
	etype = fuzz_line(&in);
	ctext = fuzz_line(&in);
	etext = fuzz_line(&in);
	rest = fuzz_rest(&in, &restlen);
	if ((c = connector_find(type)) == NULL ||
	    (config = json_loads(ctext, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		goto out;
	event = json_loads(etext, JSON_REJECT_DUPLICATES, NULL);
	state = json_object();
	memset(&ev, 0, sizeof(ev));
	ev.delivery_id = "11111111-1111-4111-8111-111111111111";
	ev.event_id = "22222222-2222-4222-8222-222222222222";
	ev.subscription_id = "33333333-3333-4333-8333-333333333333";
	ev.event_type = etype;
	ev.payload = etext;
	ev.event = c->payload_only ? NULL : event;
	ev.config = config;
	ev.url = "https://receiver.example/hook";
	ev.secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
	ev.ts = 1714564800;
	ev.state = state;

	for (p = rest, end = rest + restlen; p < end &&
	    ev.step < CONN_STEPS_MAX; ev.step++) {
		memset(&rq, 0, sizeof(rq));
		if (c->render(&ev, &rq, err, sizeof(err)) == -1) {
			conn_request_free(&rq);
			break;
		}
		conn_request_free(&rq);
		/* This answer: up to the next "%%" line. */
		ans.p = (const uint8_t *)p;
		if ((p = memmem(p, (size_t)(end - p), sep, sizeof(sep) - 1)) ==
		    NULL)
			p = end;
		ans.n = (size_t)(p - (const char *)ans.p);
		if (p < end)
			p += sizeof(sep) - 1;

		memset(&t, 0, sizeof(t));
		t.retry_after = -1;
		status = fuzz_line(&ans);
		for (;;) {
			hline = fuzz_line(&ans);
			if (*hline == '\0' || *hline == '\r') {
				free(hline);
				break;
			}
			(void)conn_transfer_header(hline, 1, strlen(hline), &t);
			free(hline);
		}
		body = fuzz_rest(&ans, &blen);
		utf8_sanitize(body, blen);
		if (parse_int(status, 0, 999, &code) == -1)
			code = 200;
		memset(&a, 0, sizeof(a));
		a.status = (long)code;
		a.error = code == 0 ? body : NULL;
		a.body = body;
		a.bodylen = blen < CONN_BODY_KEEP ? blen : CONN_BODY_KEEP;
		a.retry_after = t.retry_after;
		a.async = t.async;
		memset(&res, 0, sizeof(res));
		c->classify(&ev, &a, &res);
		(void)connector_failed_step(c, &res);
		if (!fuzz_utf8_ok(res.ref) ||
		    !fuzz_utf8_ok(res.ref_id) || !fuzz_utf8_ok(res.ref_url) ||
		    !fuzz_utf8_ok(res.ref_state))
			abort();
		free(status);
		free(body);
		if (res.outcome != CONN_NEXT)
			break;
	}
out:
	json_decref(state);
	json_decref(event);
	json_decref(config);
	free(type);
	free(etype);
	free(ctext);
	free(etext);
	free(rest);
	return 0;
}
