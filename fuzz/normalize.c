/*
 * fuzz/normalize: the four alert normalizers (lib/normalize.c: generic,
 * Defender, CrowdStrike, Splunk), each run on the same payload (detected
 * and pinned), then the indicators extracted from the incident.  The
 * payload's "severity_mapping" member, when any, is the source's
 * mapping.
 *
 * Input: the alert payload, JSON.
 */
#include "fuzz.h"
#include "indicator.h"
#include "normalize.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct incident	 inc;
	json_t		*payload, *ind;
	const json_t	*mapping;
	char		 err[256];
	size_t		 i;

	fuzz_setup();
	if ((payload = json_loadb((const char *)data, size,
	    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL)) == NULL)
		return 0;
	(void)normalize_detect(payload);
	mapping = json_object_get(payload, "severity_mapping");
	(void)severity_mapping_valid(mapping, err, sizeof(err));
	for (i = 0; normalize_format_names[i] != NULL; i++) {
		memset(&inc, 0, sizeof(inc));
		if (normalize_alert(payload, normalize_format_names[i], mapping,
		    &inc, err, sizeof(err)) == -1)
			continue;
		if ((ind = json_object()) != NULL) {
			indicator_extract(ind, ~0U, inc.entities, payload);
			json_decref(ind);
		}
		incident_free(&inc);
	}
	json_decref(payload);
	return 0;
}
