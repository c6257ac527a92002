/*
 * fuzz/triage: a playbook (lib/triage.c): its steps validated, and when
 * valid run on the incident normalized from a payload.
 *
 * Input: steps (a JSON array, one line) \n alert payload (JSON).
 */
#include "fuzz.h"
#include "normalize.h"
#include "triage.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in	 in = { data, size };
	struct incident	 inc;
	json_t		*steps = NULL, *payload = NULL;
	char		*line, *rest, err[256];
	size_t		 len;

	fuzz_setup();
	line = fuzz_line(&in);
	rest = fuzz_rest(&in, &len);
	if ((steps = json_loads(line, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, NULL)) == NULL ||
	    triage_steps_valid(steps, err, sizeof(err)) == -1)
		goto out;
	if ((payload = json_loadb(rest, len, JSON_REJECT_DUPLICATES, NULL)) ==
	    NULL)
		goto out;
	memset(&inc, 0, sizeof(inc));
	if (normalize_alert(payload, NULL, NULL, &inc, err, sizeof(err)) == 0) {
		(void)triage_run("fuzz", steps, payload, &inc, err, sizeof(err));
		incident_free(&inc);
	}
out:
	json_decref(payload);
	json_decref(steps);
	free(line);
	free(rest);
	return 0;
}
