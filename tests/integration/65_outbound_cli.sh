#!/bin/sh
# The outbound CLI (hookpost sub, deliveries, emit, quota, event-types)
# against the running server.
. "$TOP/tests/lib.sh"
export HOOKPOST_URL=$BASE HOOKPOST_TOKEN=$TOKEN
HP=$TOP/bin/hookpost
URL=https://cli-$RUN.example.com/hook

# run NAME CMD...: the command must exit 0; its stdout is in OUT.
run() {
	_n=$1; shift
	OUT=$("$@" 2>"$T_ERR"); _rc=$?
	[ $_rc = 0 ] && ok "$_n" || fail "$_n" "rc=$_rc $OUT $(cat "$T_ERR")"
}
T_ERR=$(mktemp)
trap 'rm -f "$T_ERR"' EXIT

run "sub add with the seed's fields" $HP --json sub add "CLI $RUN" --url "$URL" \
    --events threat_model.created,threat_model.updated --events 'note.*' \
    --secret "cli-secret-$RUN" --retry-schedule 0,60,300 --max-concurrency 3
printf '%s' "$OUT" | jq -e ".status == \"pending_verification\" and .events == [\"threat_model.created\",\"threat_model.updated\",\"note.*\"] and .retry_schedule == [0,60,300] and .max_concurrency == 3 and .secret == \"cli-secret-$RUN\"" >/dev/null &&
    ok "sub add sends every option" || fail "sub add sends every option" "$OUT"
S=$(printf '%s' "$OUT" | jq -r .id)

OUT=$($HP sub add "gen $RUN" --url "$URL" --events '*' 2>&1)
if printf '%s\n' "$OUT" | grep -q '^secret: *whsec_' &&
    printf '%s\n' "$OUT" | grep -q 'shown only now'; then
	ok "sub add prints a generated secret and warns it is shown once"
else
	fail "sub add prints a generated secret and warns it is shown once" "$OUT"
fi
G=$(printf '%s' "$OUT" | sed -n 's/^id: *//p')

OUT=$($HP sub add "bad $RUN" --url http://localhost/x --events '*' 2>&1); rc=$?
[ $rc = 1 ] && ok "sub add with a refused URL exits 1" || fail "sub add with a refused URL exits 1" "rc=$rc $OUT"
case $OUT in *invalid_field*) ok "and prints the server's reason" ;; *) fail "and prints the server's reason" "$OUT" ;; esac
$HP sub add x --url "$URL" >/dev/null 2>&1
[ $? = 2 ] && ok "sub add without --events is a usage error (2)" || fail "sub add without --events is a usage error (2)"

run "sub list" $HP sub list --limit 200
case $OUT in *"$S"*"CLI $RUN"*) ok "sub list shows the subscription" ;; *) fail "sub list shows the subscription" "$OUT" ;; esac
run "sub show --json" $HP sub show "$S" --json
printf '%s' "$OUT" | jq -e ".id == \"$S\" and (has(\"secret\") | not)" >/dev/null &&
    ok "sub show has no secret" || fail "sub show has no secret" "$OUT"

run "sub update renames and rotates" $HP --json sub update "$S" --name "renamed $RUN" --rotate-secret --grace 120
printf '%s' "$OUT" | jq -e ".name == \"renamed $RUN\" and (.secret | startswith(\"whsec_\")) and .previous_secret_expires_at != null" >/dev/null &&
    ok "sub update --rotate-secret shows the new secret" || fail "sub update --rotate-secret shows the new secret" "$OUT"
run "sub update clears the threat model and retry schedule" $HP --json sub update "$S" --no-threat-model --default-retry-schedule
printf '%s' "$OUT" | jq -e '.threat_model_id == null and .retry_schedule == null' >/dev/null &&
    ok "--no-threat-model and --default-retry-schedule send null" || fail "--no-threat-model and --default-retry-schedule send null" "$OUT"
OUT=$(printf 'stdin-secret-%s\n' "$RUN" | $HP --json sub update "$S" --secret - 2>"$T_ERR")
printf '%s' "$OUT" | jq -e ".secret == \"stdin-secret-$RUN\"" >/dev/null &&
    ok "sub update --secret - reads stdin" || fail "sub update --secret - reads stdin" "$OUT"

psql_q "UPDATE hookpost.subscriptions SET status = 'active' WHERE id = '$S'" >/dev/null
run "sub test prints the delivery id" $HP sub test "$S"
D=$OUT
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries WHERE id = '$D' AND subscription_id = '$S' AND event_type = 'webhook.test'")
[ "$n" = 1 ] && ok "the test delivery exists" || fail "the test delivery exists" "$D $n"

run "emit publishes an event" $HP emit note.created --object-type note --object-id "n-$RUN" --owner "o-$RUN" --data '{"title":"hello"}'
EV=$OUT
n=$(psql_q "SELECT count(*) FROM hookpost.deliveries WHERE event_id = '$EV' AND subscription_id = '$S'")
[ "$n" = 1 ] && ok "emit reaches the matching subscription" || fail "emit reaches the matching subscription" "$EV $n"
OUT=$(printf '{"via":"stdin"}' | $HP emit note.updated --data - 2>&1)
n=$(psql_q "SELECT payload::jsonb->'data'->>'via' FROM hookpost.events WHERE id = '$OUT'")
[ "$n" = stdin ] && ok "emit --data - reads stdin" || fail "emit --data - reads stdin" "$OUT $n"
OUT=$($HP emit threat_model.exploded 2>&1); rc=$?
[ $rc = 1 ] && ok "emit of an unknown type exits 1" || fail "emit of an unknown type exits 1" "rc=$rc $OUT"

run "deliveries list --subscription" $HP deliveries list --subscription "$S"
case $OUT in *"$D"*webhook.test*) ok "deliveries list shows the test delivery" ;; *) fail "deliveries list shows the test delivery" "$OUT" ;; esac
run "deliveries list --json with filters" $HP --json deliveries list --subscription "$S" --event-type note.created --status pending
printf '%s' "$OUT" | jq -e 'length == 1 and .[0].event_type == "note.created"' >/dev/null &&
    ok "deliveries list filters (--json: the server's array)" || fail "deliveries list filters (--json: the server's array)" "$OUT"

# Paging: the server's Link header (seed 000's lists) becomes the same
# "more:" hint as before, and --all follows it to the last page.
run "deliveries list --json, one page" $HP --json deliveries list --subscription "$S"
ALL=$(printf '%s' "$OUT" | jq -c 'map(.id)')
[ "$(printf '%s' "$ALL" | jq length)" -ge 3 ] && ok "the subscription has 3 deliveries to page through" ||
    fail "the subscription has 3 deliveries to page through" "$ALL"
run "deliveries list --limit 1" $HP deliveries list --subscription "$S" --limit 1
C=$(sed -n 's/^more: hookpost deliveries list --cursor \([0-9a-f]*\)$/\1/p' "$T_ERR")
[ -n "$C" ] && [ "$(printf '%s\n' "$OUT" | wc -l)" = 2 ] && ok "a page of one row, and the next page's cursor on stderr" ||
    fail "a page of one row, and the next page's cursor on stderr" "$OUT $(cat "$T_ERR")"
run "deliveries list --cursor" $HP --json deliveries list --subscription "$S" --limit 1 --cursor "$C"
[ "$(printf '%s' "$OUT" | jq -c 'map(.id)')" = "$(printf '%s' "$ALL" | jq -c '.[1:2]')" ] &&
    ok "--cursor gives the next row" || fail "--cursor gives the next row" "$OUT vs $ALL"
grep -q '^more: hookpost deliveries list --cursor [0-9a-f]*$' "$T_ERR" &&
    ok "--json prints the hint too (an array cannot carry the cursor)" || fail "--json prints the hint too" "$(cat "$T_ERR")"
run "deliveries list --all" $HP --json deliveries list --subscription "$S" --limit 1 --all
[ "$(printf '%s' "$OUT" | jq -c 'map(.id)')" = "$ALL" ] && [ ! -s "$T_ERR" ] &&
    ok "--all follows every Link: each row once, in order, as one array" || fail "--all follows every Link" "$OUT vs $ALL $(cat "$T_ERR")"
run "deliveries list --all as a table" $HP deliveries list --subscription "$S" --limit 1 --all
[ "$(printf '%s\n' "$OUT" | wc -l)" = $(( $(printf '%s' "$ALL" | jq length) + 1 )) ] && [ ! -s "$T_ERR" ] &&
    ok "--all prints one table, no hint" || fail "--all prints one table, no hint" "$OUT $(cat "$T_ERR")"
OUT=$($HP deliveries list --subscription "$S" --cursor zz 2>&1); rc=$?
[ $rc = 1 ] && case $OUT in *invalid_field*) true ;; *) false ;; esac &&
    ok "a bad cursor exits 1 with the server's 400" || fail "a bad cursor exits 1 with the server's 400" "rc=$rc $OUT"
psql_q "INSERT INTO hookpost.delivery_attempts (delivery_id, attempt, status_code, response_ms, error) VALUES ('$D', 1, 503, 40, 'HTTP 503')" >/dev/null
run "deliveries show" $HP deliveries show "$D"
case $OUT in *"status:"*"payload:"*"hookpost test delivery"*"attempts:"*503*"HTTP 503"*) ok "deliveries show prints the payload and attempts" ;;
*) fail "deliveries show prints the payload and attempts" "$OUT" ;; esac
OUT=$($HP deliveries retry "$D" 2>&1); rc=$?
[ $rc = 1 ] && case $OUT in *conflict*) true ;; *) false ;; esac &&
    ok "deliveries retry of a pending delivery exits 1 with conflict" || fail "deliveries retry of a pending delivery exits 1 with conflict" "rc=$rc $OUT"
psql_q "UPDATE hookpost.deliveries SET status = 'failed' WHERE id = '$D'" >/dev/null
run "deliveries retry of a failed delivery" $HP --json deliveries retry "$D"
printf '%s' "$OUT" | jq -e '.status == "pending" and .attempt_count == 0' >/dev/null &&
    ok "the delivery is pending again" || fail "the delivery is pending again" "$OUT"

QO=cliq-$RUN
run "quota set" $HP --json quota set "$QO" --max-subscriptions 4 --max-requests-per-day 50
printf '%s' "$OUT" | jq -e '.max_subscriptions == 4 and .max_subscription_requests_per_day == 50 and .max_events_per_minute == 12 and .custom' >/dev/null &&
    ok "quota set sends the limits, the rest default" || fail "quota set sends the limits, the rest default" "$OUT"
run "quota list" $HP quota list
case $OUT in *"$QO"*) ok "quota list shows it" ;; *) fail "quota list shows it" "$OUT" ;; esac
$HP quota set "$QO-b" --max-subscriptions 5 >/dev/null 2>&1
run "quota list --all" $HP --json quota list --limit 1 --all
ONE=$($HP --json quota list --limit 500 2>/dev/null)
[ "$OUT" = "$(printf '%s' "$ONE" | jq -c .)" ] && [ "$(printf '%s' "$OUT" | jq length)" -ge 2 ] &&
    ok "quota list --all --limit 1 is the one page of --limit 500" || fail "quota list --all --limit 1 is the one page of --limit 500" "$OUT vs $ONE"
$HP quota rm "$QO-b" >/dev/null 2>&1
run "sub list --all" $HP sub list --all --limit 2 --status pending_verification
case $OUT in *"gen $RUN"*) ok "sub list --all reaches every page" ;; *) fail "sub list --all reaches every page" "$OUT" ;; esac
run "quota show" $HP quota show "$QO"
case $OUT in *"max_subscriptions:"*4*) ok "quota show prints it" ;; *) fail "quota show prints it" "$OUT" ;; esac
run "quota rm" $HP quota rm "$QO"
OUT=$($HP --json quota show "$QO" 2>&1)
printf '%s' "$OUT" | jq -e '.custom == false and .max_subscriptions == 10' >/dev/null &&
    ok "after quota rm the defaults apply" || fail "after quota rm the defaults apply" "$OUT"

ET=cli$(echo "$RUN" | tr -dc 'a-z0-9').done
run "event-types add" $HP event-types add "$ET" --description "CLI test"
run "event-types list" $HP event-types list
if printf '%s\n' "$OUT" | grep -q "^threat_model.created  *true" &&
    printf '%s\n' "$OUT" | grep -q "^$ET  *false  *CLI test"; then
	ok "event-types list shows builtins and the new type"
else
	fail "event-types list shows builtins and the new type" "$OUT"
fi

run "sub rm" $HP sub rm "$S"
case $OUT in "removed $S") ok "sub rm prints what it removed" ;; *) fail "sub rm prints what it removed" "$OUT" ;; esac
OUT=$($HP sub show "$S" 2>&1); rc=$?
[ $rc = 1 ] && case $OUT in *not_found*) true ;; *) false ;; esac &&
    ok "sub show of a removed subscription exits 1 with not_found" || fail "sub show of a removed subscription exits 1 with not_found" "rc=$rc $OUT"
[ -n "$G" ] && $HP sub rm "$G" >/dev/null 2>&1
for c in "sub" "sub add" "sub list" "sub update" "sub test" "deliveries show" "emit" "quota set" "event-types add"; do
	$HP $c --help >/dev/null 2>&1 || { fail "--help on $c"; continue; }
done
ok "--help works on every outbound command"
