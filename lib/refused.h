/*
 * refused: requests refused 503 because the database was unreachable
 * (issue 12).  They cannot be counted where every other refusal is, in
 * the audit log, while the database is down; so each is appended as one
 * line to a spool file (HOOKPOST_REFUSED_FILE, unset: not counted) that
 * GET /metrics folds into hookpost_requests_refused_total once the
 * database is back.
 */
#ifndef HOOKPOST_REFUSED_H
#define HOOKPOST_REFUSED_H

/* The spool holds at most this many bytes (~40 bytes a refusal). */
#define REFUSED_MAX	(1024 * 1024)

/* Appends one refusal by program prog; never fails the request. */
void	refused_note(const char *prog);
/*
 * Adds the refusals in the spool to the counter in the database and
 * empties it: the number folded, 0 when none, -1 on failure (the spool
 * is then kept for the next time).
 */
long	refused_fold(void);

#endif
