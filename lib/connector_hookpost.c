/*
 * connector hookpost: seed 000's subscriptions.  The body is the event as
 * stored; X-Webhook-Event, -Delivery-Id, -Subscription-Id; seed 000's
 * X-Webhook-Signature, then Standard Webhooks' (webhook-id stays the same
 * across retries).  In a rotation grace period the previous secret signs
 * too, so receivers not yet updated keep verifying.  Its settings are
 * subscriptions' own columns (handlers/outbound/subscription.c), and its
 * URL is verified by the challenge worker before anything is sent.
 */
#include <string.h>

#include "connector.h"
#include "sig.h"
#include "util.h"

static int
render(const struct conn_event *ev, struct conn_request *out, char *err,
    size_t errsz)
{
	struct sig_request	 rq;

	if (ev->secret == NULL) {
		errf(err, errsz, "subscription secret unavailable");
		return -1;
	}
	out->body = xstrdup(ev->payload);
	out->bodylen = strlen(ev->payload);
	out->headers = conn_header_add(out->headers, "Content-Type",
	    "application/json");
	out->headers = conn_header_add(out->headers, "X-Webhook-Event",
	    ev->event_type);
	out->headers = conn_header_add(out->headers, "X-Webhook-Delivery-Id",
	    ev->delivery_id);
	out->headers = conn_header_add(out->headers,
	    "X-Webhook-Subscription-Id", ev->subscription_id);
	memset(&rq, 0, sizeof(rq));
	rq.secrets[0] = ev->secret;
	rq.secrets[1] = ev->prev_secret;
	rq.raw_key = 1;
	rq.id = ev->delivery_id;
	rq.ts = ev->ts;
	rq.body = out->body;
	rq.bodylen = out->bodylen;
	if (conn_sign(out, &rq, SIG_HOOKPOST, err, errsz) == -1 ||
	    conn_sign(out, &rq, SIG_STANDARD, err, errsz) == -1)
		return -1;
	return 0;
}

const struct connector connector_hookpost = {
	.type = "hookpost",
	.internal = 1,
	.title = "hookpost webhook (seed 000)",
	.url_key = "url",
	.payload_only = 1,
	.render = render,
	.classify = conn_classify_http,
};
