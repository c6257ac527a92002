/*
 * audit: the receivers' audit log, hookpost.webhook_requests (seed 004
 * "Monitoring Webhooks", seed 002 "webhook_stats_detailed"): one row per
 * request to a receiver, accepted or refused.  Accepted requests are
 * recorded by the receivers' one write (sql/functions/alerts.sql,
 * triggers.sql); refusals decided before it are recorded here, by both
 * receivers alike.
 */
#ifndef HOOKPOST_AUDIT_H
#define HOOKPOST_AUDIT_H

#include "req.h"

/* Who a receiver request was for, as far as it is known. */
struct audit {
	const char	*kind;		/* "source" or "trigger" */
	const char	*name;		/* source name or trigger ref; NULL */
	const char	*id;		/* source or key id; NULL: unknown */
	const char	*remote;	/* the client's address */
	const char	*body_sha;	/* SHA-256 hex of the body; NULL */
	const char	*body_size;	/* its length in bytes; NULL */
};

/*
 * Records a refusal of r (status, code) in one statement, the audit row,
 * and answers it with resp_error(status, code, msg).  The row is best
 * effort: if it cannot be written (logged by lib/db), the refusal is
 * answered all the same.
 */
void	audit_refuse(struct req *r, const struct audit *a, int status,
	    const char *code, const char *msg);

/*
 * Answers a receiver whose store failed: 503 unavailable, saying nothing
 * was accepted, so the sender retries (ARCHITECTURE.md §1).
 */
void	audit_store_failed(struct req *r);

#endif
