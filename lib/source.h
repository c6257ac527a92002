/*
 * source: an inbound alert source (seed 004) as the receiver and the
 * ingest worker need it, and the alert -> incident path they share.
 */
#ifndef HOOKPOST_SOURCE_H
#define HOOKPOST_SOURCE_H

#include <jansson.h>
#include <libpq-fe.h>

#include "normalize.h"

struct source {
	char	*id;
	char	*name;
	char	*secret_enc;
	int	 auto_triage;
	int	 enabled;
	char	*format;	/* "auto" or pinned */
	char	*mode;		/* "sync" or "queue" */
	json_t	*severity_mapping;
	char	*playbook;	/* NULL when none */
	json_t	*steps;		/* the playbook's steps, NULL when none */
	char	*version;	/* SOURCE_VERSION */
};

/*
 * The version of a source as read: the transaction ids that wrote its row
 * and its playbook's row, so any write of either, by any writer, changes
 * it: hookpost.source_version() (sql/functions/sources.sql), which the
 * receiver's store checks a copy against (hookpost.source_current).
 */
#define SOURCE_VERSION "hookpost.source_version(s.xmin, p.xmin)"

/* The columns source_from_row() reads, for SELECT ... FROM sources s. */
#define SOURCE_COLUMNS \
	"s.id, s.name, s.secret_enc, s.auto_triage, s.enabled, s.format, " \
	"s.mode, s.severity_mapping, p.name, p.steps, " SOURCE_VERSION
#define SOURCE_FROM \
	"hookpost.sources s LEFT JOIN hookpost.playbooks p ON p.name = s.playbook"

/* Fills *out from row of res, whose SOURCE_COLUMNS start at column col.
 * The caller frees with source_free. */
void	source_from_row(const PGresult *res, int row, int col,
	    struct source *out);
void	source_free(struct source *);

/*
 * Normalizes payload for src and, with auto_triage, runs its playbook.
 * Fills *inc (caller frees with incident_free).  Returns 0, or -1 with a
 * reason in err when the payload can't be made an incident.
 */
int	source_alert_to_incident(const struct source *src,
	    const json_t *payload, struct incident *inc, char *err,
	    size_t errsz);

/*
 * The 7 incident parameters in the order hookpost.incident_create()
 * takes them after its source arguments (format .. triage), as strings
 * valid until incident_params_free().
 */
struct incident_params {
	const char	*v[12];
	char		*owned[5];
};
void	incident_params_fill(const struct incident *, struct incident_params *);
void	incident_params_free(struct incident_params *);

#endif
