/*
 * The settings of an inbound source (seed 004 "Registering Webhook
 * Sources"), validated once here for both the command-line flags and the
 * YAML import, and built into the JSON body of POST/PUT /api/webhooks.
 * The server validates again; checking here turns a typo into a usage
 * error before anything is sent.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "normalize.h"
#include "util.h"
#include "cli.h"

/* The server's bounds (handlers/sources/source.c), checked before sending. */
#define SOURCE_MIN_SECRET	8
#define SOURCE_MAX_SECRET	512
#define SOURCE_MAX_SEVERITY	64

enum source_kind {
	SOURCE_SECRET,
	SOURCE_BOOL,
	SOURCE_NAME,	/* name_valid(), or null to clear */
	SOURCE_ENUM
};

static const char *const source_modes[] = { "sync", "queue", NULL };
/* The severities of hookpost.incidents (sql/001_init.sql). */
static const char *const source_severities[] = {
	"critical", "high", "medium", "low", "info", NULL
};

static const struct source_field {
	const char		*key;	/* the JSON and the YAML key */
	enum source_kind	 kind;
	const char *const	*values;
} source_fields[] = {
	{ "secret",	 SOURCE_SECRET,	NULL },
	{ "auto_triage", SOURCE_BOOL,	NULL },
	{ "playbook",	 SOURCE_NAME,	NULL },
	{ "format",	 SOURCE_ENUM,	normalize_format_names },
	{ "mode",	 SOURCE_ENUM,	source_modes },
	{ "enabled",	 SOURCE_BOOL,	NULL },
};

static const struct source_field *
source_field_find(const char *key)
{
	size_t	 i;

	for (i = 0; i < sizeof(source_fields) / sizeof(source_fields[0]); i++)
		if (strcmp(source_fields[i].key, key) == 0)
			return &source_fields[i];
	return NULL;
}

int
source_field_known(const char *key)
{
	return source_field_find(key) != NULL;
}

static int
enum_find(const char *const *values, const char *s)
{
	size_t	 i;

	for (i = 0; values[i] != NULL; i++)
		if (strcmp(values[i], s) == 0)
			return 0;
	return -1;
}

static void
enum_list(const char *const *values, char *out, size_t outlen)
{
	size_t	 i, n = 0;

	out[0] = '\0';
	for (i = 0; values[i] != NULL && n < outlen; i++)
		n += (size_t)snprintf(out + n, outlen - n, "%s%s",
		    i ? ", " : "", values[i]);
}

/*
 * Sets `key` in body from its text form; NULL value means "none" and is
 * only valid for a playbook.  Returns 0, or -1 with the reason in why
 * (never echoing a secret).
 */
int
source_field_set(json_t *body, const char *key, const char *value, char *why,
    size_t whylen)
{
	const struct source_field	*f;
	char				 list[128];
	json_t				*v = NULL;
	int				 b;

	if ((f = source_field_find(key)) == NULL) {
		snprintf(why, whylen, "unknown setting '%s'", key);
		return -1;
	}
	if (value == NULL && f->kind != SOURCE_NAME) {
		snprintf(why, whylen, "%s: a value is required", key);
		return -1;
	}
	switch (f->kind) {
	case SOURCE_SECRET:
		if (strlen(value) < SOURCE_MIN_SECRET ||
		    strlen(value) > SOURCE_MAX_SECRET) {
			snprintf(why, whylen, "%s: must be %d to %d bytes",
			    key, SOURCE_MIN_SECRET, SOURCE_MAX_SECRET);
			return -1;
		}
		v = json_string(value);
		break;
	case SOURCE_BOOL:
		if (cli_parse_bool(value, &b) == -1) {
			snprintf(why, whylen, "%s: expected true or false, "
			    "not '%s'", key, value);
			return -1;
		}
		v = json_boolean(b);
		break;
	case SOURCE_NAME:
		if (value == NULL) {
			v = json_null();
			break;
		}
		if (!name_valid(value)) {
			snprintf(why, whylen, "%s: '%s' is not a valid name "
			    "(a-z, 0-9, '.', '_', '-'; at most 64)", key, value);
			return -1;
		}
		v = json_string(value);
		break;
	case SOURCE_ENUM:
		if (enum_find(f->values, value) == -1) {
			enum_list(f->values, list, sizeof(list));
			snprintf(why, whylen, "%s: '%s' is not one of %s", key,
			    value, list);
			return -1;
		}
		v = json_string(value);
		break;
	}
	if (v == NULL) {
		snprintf(why, whylen, "%s: not valid UTF-8", key);
		return -1;
	}
	json_object_set_new(body, key, v);
	return 0;
}

/*
 * Adds one severity_mapping entry: `from` is the tool's own word (any
 * text: "Phish", "4"), `to` one of ours.
 */
int
source_severity_add(json_t *body, const char *from, const char *to, char *why,
    size_t whylen)
{
	json_t	*map, *v;
	char	 list[128];

	if (*from == '\0' || strlen(from) > SOURCE_MAX_SEVERITY) {
		snprintf(why, whylen, "severity_mapping: a source severity "
		    "must be 1 to %d bytes", SOURCE_MAX_SEVERITY);
		return -1;
	}
	if (enum_find(source_severities, to) == -1) {
		enum_list(source_severities, list, sizeof(list));
		snprintf(why, whylen, "severity_mapping: '%s' is not one of %s",
		    to, list);
		return -1;
	}
	if ((map = json_object_get(body, "severity_mapping")) == NULL) {
		map = json_object();
		json_object_set_new(body, "severity_mapping", map);
	}
	if (json_object_get(map, from) != NULL) {
		snprintf(why, whylen, "severity_mapping: '%s' is mapped twice",
		    from);
		return -1;
	}
	if ((v = json_string(to)) == NULL ||
	    json_object_set_new(map, from, v) == -1) {
		snprintf(why, whylen, "severity_mapping: not valid UTF-8");
		return -1;
	}
	return 0;
}

/* The server returns a generated secret once; say so where it shows. */
void
source_secret_notice(json_t *src)
{
	if (cli_json_str(src, "secret") != NULL)
		cli_warn("the secret of source '%s' is shown only this once; "
		    "store it now", cli_json_str(src, "source") ?
		    cli_json_str(src, "source") : "?");
}
