/*
 * triage: runs a playbook over a normalized incident.  A playbook is data
 * (hookpost.playbooks.steps): a JSON array of at most 64 steps, each an
 * object with an "action", its arguments and an optional "when" condition;
 * any other key is invalid.
 *
 *   {"action":"set_severity","value":"high"}
 *   {"action":"set_status","value":"triaged"}	new triaged investigating
 *						suppressed resolved closed
 *   {"action":"set_queue","value":"email-security"}
 *   {"action":"add_tags","tags":["phishing","email"]}
 *   {"action":"extract_indicators","kinds":[...]}	sender_domain email url
 *						domain ip hash host
 *   {"action":"merge","fields":["entities.sender","title"],
 *    "window_minutes":60}			1..10080
 *   {"action":"suppress","reason":"..."}	stops the playbook
 *
 * Conditions: {"field":F,"equals":x} {"field":F,"in":[x,...]}
 * {"field":F,"contains":"s"} (case-insensitive) {"field":F,"exists":bool}
 * {"field":F,"at_least":"high"} {"all":[...]} {"any":[...]}.  F is one of
 * severity status title format queue tags dedupe_key, entities.<name>,
 * indicators.<kind>, payload.<dotted.path> (array elements by index).  An
 * array value matches when any element does; values compare as text.
 */
#ifndef HOOKPOST_TRIAGE_H
#define HOOKPOST_TRIAGE_H

#include <stddef.h>

#include <jansson.h>

#include "normalize.h"

#define TRIAGE_STEPS_MAX	64

/*
 * Validates a playbook steps array (the admin API uses it): 0, or -1 with
 * a message naming the failing step index and field, e.g.
 * "steps[2].when.field: unknown field path \"severty\"".
 */
int	triage_steps_valid(const json_t *steps, char *err, size_t errsz);

/*
 * Runs steps in order over inc; payload is the original alert.  Sets
 * inc->triage to {"playbook", "steps": [{"action", "applied"}...],
 * "outcome"} (outcome is the final status; "reason" when suppressed).
 * Returns 0, or -1 with err when the steps are invalid, inc untouched.
 */
int	triage_run(const char *playbook, const json_t *steps,
	    const json_t *payload, struct incident *inc, char *err,
	    size_t errsz);

#endif
