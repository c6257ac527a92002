/*
 * normalize: turns a parsed alert payload (seed 004 "Payload Formats":
 * generic, Microsoft Defender for Office 365, CrowdStrike Falcon, Splunk)
 * into one normalized incident that triage playbooks and the database use.
 */
#ifndef HOOKPOST_NORMALIZE_H
#define HOOKPOST_NORMALIZE_H

#include <stddef.h>

#include <jansson.h>

enum { SEV_INFO, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };

/* Ceilings (STYLE 11) for everything copied out of a payload. */
#define NORMALIZE_TITLE_MAX	512	/* bytes, cut on a UTF-8 boundary */
#define NORMALIZE_STRING_MAX	1024	/* bytes per entity string */
#define NORMALIZE_ARRAY_MAX	100	/* items per entity array */
#define NORMALIZE_KEY_MAX	1024	/* longer dedupe keys are hashed */

struct incident {
	const char	*format;	/* static: "generic","defender","crowdstrike","splunk" */
	char		*title;		/* never NULL after normalize; max 512 bytes, cut on a UTF-8 boundary */
	char		 severity[16];	/* "critical","high","medium","low","info" */
	char		 status[16];	/* "new" initially */
	char		*queue;		/* NULL unless triage sets it */
	json_t		*tags;		/* array of strings, no duplicates */
	json_t		*entities;	/* object: key entities */
	json_t		*indicators;	/* object: kind -> array of unique strings; {} until extracted */
	char		*dedupe_key;	/* NULL if none; vendor alert id, may be replaced by triage merge */
	long		 merge_window_s; /* 0 = no merge; set by triage merge step */
	char		 occurred_at[40]; /* "2024-01-15T10:00:00Z" (UTC), or "" when the payload has no usable time */
	json_t		*triage;	/* NULL, or the record triage_run() leaves */
};

/*
 * The names a source's format may take ("auto" and every format), NULL
 * terminated, for validator tables; whether name is a format of the
 * table (1) or not (0); and how many the table has.  Adding a format is a row in normalize.c's table
 * and its name here.
 */
extern const char *const normalize_format_names[];
int		 normalize_format_known(const char *name);
size_t		 normalize_format_count(void);	/* rows of the table */

/* The format name detected for payload, never NULL ("generic" fallback). */
const char	*normalize_detect(const json_t *payload);

/*
 * Normalizes payload into *out.  pinned: NULL or "auto" to detect, else
 * one of the four format names.  severity_mapping: NULL or an object
 * {from: to} (see severity_mapping_valid()).  Returns 0 and fills *out,
 * which the caller frees with incident_free(); or -1 with a reason in err
 * (payload not an object, unknown or unfitting pinned format, invalid
 * mapping) and *out untouched.
 */
int		 normalize_alert(const json_t *payload, const char *pinned,
		    const json_t *severity_mapping, struct incident *out,
		    char *err, size_t errsz);

/* Frees the members and zeroes the struct; accepts a zeroed struct. */
void		 incident_free(struct incident *);

/*
 * "High", "4" (CrowdStrike 1-5 scale), "informational", "sev1", ... to
 * the normalized name (a static string), or NULL when unknown.
 */
const char	*severity_normalize(const char *raw);

/* 0 (info) .. 4 (critical) for a normalized name, -1 when unknown. */
int		 severity_rank(const char *name);

/*
 * Validates a severity_mapping object: keys any string, values one of the
 * five normalized names.  NULL is an empty mapping.  0, or -1 with err.
 */
int		 severity_mapping_valid(const json_t *mapping, char *err,
		    size_t errsz);

/*
 * Helpers shared with triage.
 * normalize_utf8_cut: the length of the longest prefix of s no longer than
 * max bytes that does not split a UTF-8 sequence.
 * normalize_scalar_new: the string form of a string, number or boolean
 * (4 -> "4", 4.0 -> "4", true -> "true"); a new string the caller frees,
 * or NULL for anything else (null, arrays, objects).
 * normalize_key_new: a dedupe key from s, hashed to "sha256:<hex>" when
 * longer than NORMALIZE_KEY_MAX; a new string the caller frees.
 * normalize_strarray_has: 1 when the JSON array holds the string s, else 0
 * (the incident's tags and indicators are sets kept as arrays).
 */
size_t		 normalize_utf8_cut(const char *s, size_t max);
char		*normalize_scalar_new(const json_t *);
char		*normalize_key_new(const char *s);
int		 normalize_strarray_has(const json_t *arr, const char *s);

#endif
