/*
 * indicator: extracts indicators of compromise from an alert for triage's
 * extract_indicators step (seed 004 phishing_triage, malware_triage).
 */
#ifndef HOOKPOST_INDICATOR_H
#define HOOKPOST_INDICATOR_H

#include <jansson.h>

enum indicator_kind {
	INDICATOR_SENDER_DOMAIN,	/* the domain of entities.sender */
	INDICATOR_EMAIL,
	INDICATOR_URL,			/* http(s); scheme, host lowercased */
	INDICATOR_DOMAIN,		/* host names of those URLs */
	INDICATOR_IP,			/* IPv4, dotted quad */
	INDICATOR_HASH,			/* 32, 40 or 64 hex digits */
	INDICATOR_HOST,			/* entities.host and .hostname */
	INDICATOR__MAX
};

/* The kind a playbook names ("sender_domain", "email", ...), or -1. */
int	indicator_kind_find(const char *name);

/*
 * Adds the indicators of the kinds in want (a mask of 1 << kind) found
 * in entities (the normalized incident's) and then payload to the
 * object indicators ({"<kind>": [strings]}), each once, at most 100 per
 * kind; the scan stops after 10,000 strings or 1 MiB.
 */
void	indicator_extract(json_t *indicators, unsigned want,
	    const json_t *entities, const json_t *payload);

#endif
