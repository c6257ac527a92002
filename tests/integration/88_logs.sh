#!/bin/sh
# Structured logs (issue 12): with HOOKPOST_LOG_FORMAT=json the workers
# write one JSON object a line (time, level, program, pid, message and the
# ids the line is about), to HOOKPOST_LOG_FILE or stderr, that jq parses
# line by line; no secret in them; an unknown format is text with one
# warning.  Workers don't depend on the web server: once, under lighttpd.
. "$TOP/tests/lib.sh"
# A connector's (or the workers') behaviour does not depend on the web
# server: it runs once, under lighttpd; 78_integrations_api checks the
# routes behind every server.
[ "$SERVER" = lighttpd ] || exit 0
[ "$SERVER" = lighttpd ] || exit 0

SINKLOG=$(mktemp)
ERR=$(mktemp)
LOGF=$(mktemp)
chmod 666 "$LOGF"	# the workers may run as another user ($RUNAS)
start_sink "$SINKLOG" || fail "the test receiver starts"
trap 'kill $SINK 2>/dev/null; rm -f "$SINKLOG" "$ERR" "$LOGF"' EXIT
R=http://127.0.0.1:$PORT
W="$RUNAS env HOOKPOST_CONFIG=$HOOKPOST_CONFIG HOOKPOST_DELIVERY_TIMEOUT_MS=1500 HOOKPOST_CHALLENGE_INTERVAL=1"
deliver() { $W "$@" "$TOP/bin/hookpost-deliver" -1 -n "lg-$RUN" 2>"$ERR"; }
# every FILE: each line alone is a JSON object with the five members.
every() {
	[ -s "$1" ] && jq -e -R -s 'split("\n") | .[-1] == "" and (.[:-1] | all(
	    fromjson | type == "object"
	    and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"))
	    and (.level | IN("error", "warn", "info", "debug"))
	    and (.program | startswith("hookpost-")) and (.pid | type == "number")
	    and (.message | type == "string")))' "$1" >/dev/null
}
# some FILE COND [jq options]: a record of FILE meets COND (jq 1.6's -e
# looks at the last output alone: hence -s and any).
some() { _f=$1 _c=$2; shift 2; jq -e -s "$@" "any(.[]; $_c)" "$_f" >/dev/null; }

# A subscription whose URL's query holds a secret, answering 500.
admin POST /admin/webhooks/subscriptions "{\"name\":\"logs $RUN\",\"url\":\"$R/status/500?token=url-secret-$RUN\",\"events\":[\"repository.created\"]}"
SUB=$(jget .id) SECRET=$(jget .secret)
psql_q "UPDATE hookpost.subscriptions SET status = 'active' WHERE id = '$SUB'" >/dev/null
psql_q "SELECT hookpost.emit('repository.created', 'repository', 'lg-$RUN', NULL, 'lg1', '{}')" >/dev/null
DID=$(psql_q "SELECT id FROM hookpost.deliveries WHERE subscription_id = '$SUB'")
EID=$(psql_q "SELECT event_id FROM hookpost.deliveries WHERE id = '$DID'")

: >"$LOGF"
deliver HOOKPOST_LOG_FORMAT=json HOOKPOST_LOG_FILE="$LOGF"
every "$LOGF" && ok "json: every line of the delivery worker is a JSON object jq parses (time, level, program, pid, message)" ||
    fail "json log lines" "$(head -5 "$LOGF")"
some "$LOGF" '.level == "error" and .delivery_id == $d
    and .subscription_id == $s and .event_id == $e and .program == "hookpost-deliver"
    and (.message | startswith("webhook delivery " + $d + " failed: HTTP 500 (attempt 1 of 5; next in"))' \
    --arg d "$DID" --arg s "$SUB" --arg e "$EID" &&
    ok "json: the failed attempt is an error record with its delivery, subscription and event ids" ||
    fail "json failure record" "$(cat "$LOGF")"
some "$LOGF" '.level == "info" and .delivery_id == $d and (.message | test("^delivering webhook .* to 127\\.0\\.0\\.1:[0-9]+ \\(attempt 1\\)$"))' --arg d "$DID" &&
    ok "json: the attempt is an info record, the URL by its host only" || fail "json attempt record" "$(cat "$LOGF")"
! grep -qF -e "url-secret-$RUN" -e "$SECRET" "$LOGF" && ok "json: no secret in the records" ||
    fail "a secret in the json log" "$(grep -F -e "url-secret-$RUN" -e "$SECRET" "$LOGF")"
[ ! -s "$ERR" ] && ok "json: HOOKPOST_LOG_FILE takes the records from stderr" || fail "json records on stderr" "$(cat "$ERR")"

# On stderr, without a file: the same records.
psql_q "UPDATE hookpost.deliveries SET next_attempt_at = now() WHERE id = '$DID'" >/dev/null
deliver HOOKPOST_LOG_FORMAT=json
every "$ERR" && some "$ERR" '.delivery_id == $d and .level == "error"' --arg d "$DID" &&
    ok "json: on stderr too, one object a line" || fail "json on stderr" "$(head -5 "$ERR")"

# The challenge worker: its records name the subscription.
admin POST /admin/webhooks/subscriptions "{\"name\":\"logs ch $RUN\",\"url\":\"$R/challenge\",\"events\":[\"repository.updated\"]}"
CSUB=$(jget .id)
: >"$LOGF"
$W HOOKPOST_LOG_FORMAT=json HOOKPOST_LOG_FILE="$LOGF" "$TOP/bin/hookpost-challenge" -1 2>/dev/null
every "$LOGF" && some "$LOGF" '.program == "hookpost-challenge" and .subscription_id == $s and (.message | contains("verified"))' --arg s "$CSUB" &&
    ok "json: the challenge worker's records, with the subscription id" || fail "json challenge records" "$(cat "$LOGF")"

# The default is text, and an unknown format is text with one warning.
psql_q "UPDATE hookpost.deliveries SET next_attempt_at = now() WHERE id = '$DID'" >/dev/null
deliver HOOKPOST_LOG_FORMAT=xml
n=$(grep -c 'WARN: config HOOKPOST_LOG_FORMAT: unknown format; using text' "$ERR")
[ "$n" = 1 ] && grep -q "^hookpost-deliver\[[0-9]*\]: ERROR: webhook delivery $DID failed" "$ERR" &&
    ok "an unknown HOOKPOST_LOG_FORMAT: one warning, then text lines" || fail "unknown format" "$(cat "$ERR")"
psql_q "UPDATE hookpost.deliveries SET next_attempt_at = now() WHERE id = '$DID'" >/dev/null
deliver
grep -q "^hookpost-deliver\[[0-9]*\]: ERROR: webhook delivery $DID failed" "$ERR" && ! grep -q '^{' "$ERR" &&
    ok "unset: the text format, as before" || fail "text by default" "$(cat "$ERR")"
