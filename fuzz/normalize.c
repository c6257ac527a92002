/*
 * fuzz/normalize: the four alert normalizers (lib/normalize.c: generic,
 * Defender, CrowdStrike, Splunk), each run on the same payload (detected
 * and pinned), then the indicators extracted from the incident.  The
 * payload's "severity_mapping" member, when any, is the source's
 * mapping.
 *
 * What normalize.h promises of an incident is checked: a title of at
 * most NORMALIZE_TITLE_MAX bytes of UTF-8, a known severity, tags and
 * entity strings within their ceilings, a dedupe key within its own;
 * and "auto" gives what the detected format, pinned, gives.
 *
 * Input: the alert payload, JSON.
 */
#include "fuzz.h"
#include "indicator.h"
#include "normalize.h"

/* Every string of v (any depth): UTF-8, at most max bytes; arrays of
 * at most NORMALIZE_ARRAY_MAX items. */
static void
strings_check(const json_t *v, size_t max)
{
	const char	*k;
	json_t		*x;
	size_t		 i;

	if (json_is_string(v) && (json_string_length(v) > max ||
	    !fuzz_utf8_ok(json_string_value(v))))
		abort();
	if (json_is_array(v)) {
		if (json_array_size(v) > NORMALIZE_ARRAY_MAX)
			abort();
		json_array_foreach(v, i, x)
			strings_check(x, max);
	}
	if (json_is_object(v))
		json_object_foreach((json_t *)v, k, x)
			strings_check(x, max);
}

static void
incident_check(const struct incident *inc)
{
	if (inc->title == NULL || strlen(inc->title) > NORMALIZE_TITLE_MAX ||
	    !fuzz_utf8_ok(inc->title) || severity_rank(inc->severity) < 0 ||
	    !json_is_array(inc->tags) || !json_is_object(inc->entities) ||
	    (inc->dedupe_key != NULL &&
	    strlen(inc->dedupe_key) > NORMALIZE_KEY_MAX))
		abort();
	strings_check(inc->tags, NORMALIZE_STRING_MAX);
	strings_check(inc->entities, NORMALIZE_STRING_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct incident	 inc, pinned;
	json_t		*payload, *ind;
	const json_t	*mapping;
	char		 err[256];
	size_t		 i;

	fuzz_setup();
	if ((payload = json_loadb((const char *)data, size,
	    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL)) == NULL)
		return 0;
	mapping = json_object_get(payload, "severity_mapping");
	(void)severity_mapping_valid(mapping, err, sizeof(err));
	/* "auto" is the detected format pinned: the same incident. */
	memset(&inc, 0, sizeof(inc));
	memset(&pinned, 0, sizeof(pinned));
	if (normalize_alert(payload, "auto", mapping, &inc, err,
	    sizeof(err)) == 0 && (normalize_alert(payload,
	    normalize_detect(payload), mapping, &pinned, err,
	    sizeof(err)) == -1 || strcmp(inc.format, pinned.format) != 0 ||
	    strcmp(inc.title, pinned.title) != 0 ||
	    strcmp(inc.severity, pinned.severity) != 0 ||
	    !json_equal(inc.entities, pinned.entities)))
		abort();
	incident_free(&inc);
	incident_free(&pinned);
	for (i = 0; normalize_format_names[i] != NULL; i++) {
		memset(&inc, 0, sizeof(inc));
		if (normalize_alert(payload, normalize_format_names[i], mapping,
		    &inc, err, sizeof(err)) == -1)
			continue;
		incident_check(&inc);
		if ((ind = json_object()) != NULL) {
			indicator_extract(ind, ~0U, inc.entities, payload);
			json_decref(ind);
		}
		incident_free(&inc);
	}
	json_decref(payload);
	return 0;
}
