#!/bin/sh
# The CLI (seed 004 grammar) against the running server.
. "$TOP/tests/lib.sh"
export HOOKPOST_URL=$BASE HOOKPOST_TOKEN=$TOKEN
HP=$TOP/bin/hookpost
S=cli-$RUN

out=$($HP webhook add "$S" --secret "your-secret-key" --auto-triage true --playbook phishing_triage 2>&1)
[ $? = 0 ] && ok "webhook add with the seed's grammar" || fail "webhook add with the seed's grammar" "$out"
admin GET "/api/webhooks/$S"
expect "the added source is registered as asked" 200 '.auto_triage == true and .playbook == "phishing_triage"'

out=$($HP webhook list 2>&1)
case $out in *"$S"*) ok "webhook list shows it" ;; *) fail "webhook list shows it" "$out" ;; esac
out=$($HP webhook show "$S" --json 2>&1)
printf '%s' "$out" | jq -e ".source == \"$S\" and (has(\"secret\") | not)" >/dev/null && ok "webhook show --json, no secret" || fail "webhook show --json, no secret" "$out"

out=$($HP webhook test "$S" 2>&1)
rc=$?
case $out in *accepted*INC-*) [ $rc = 0 ] && ok "webhook test sends a signed event and prints the answer" || fail "webhook test exit status" "$rc $out" ;;
*) fail "webhook test sends a signed event and prints the answer" "$out" ;; esac
out=$($HP webhook test "$S" --secret wrong-secret 2>&1)
[ $? != 0 ] && ok "webhook test with a wrong secret fails" || fail "webhook test with a wrong secret fails" "$out"
case $out in *invalid_signature*) ok "webhook test prints the refusal" ;; *) fail "webhook test prints the refusal" "$out" ;; esac

out=$($HP webhook add "Bad Name" --secret x 2>&1)
[ $? != 0 ] && ok "webhook add refuses a bad name" || fail "webhook add refuses a bad name" "$out"
$HP webhook --help >/dev/null 2>&1 && $HP webhook add --help >/dev/null 2>&1 && $HP logs --help >/dev/null 2>&1 &&
    ok "--help works on commands" || fail "--help works on commands"

# The seed's YAML, with ${ENV} expansion; importing again updates.
y=$(mktemp --suffix=.yaml)
cat >"$y" <<YAML
# webhook_config.yaml
sources:
  yeg-$RUN:
    secret: "\${EMAIL_GATEWAY_SECRET}"
    auto_triage: true
    playbook: phishing_triage
    severity_mapping:
      critical: critical
      high: high
      medium: medium
      low: low

  edr-y-$RUN:
    secret: "\${EDR_SECRET}"
    auto_triage: true
    playbook: malware_triage
YAML
out=$(EMAIL_GATEWAY_SECRET=eg-secret-1 EDR_SECRET=edr-secret-1 $HP webhook import "$y" 2>&1)
case $out in *"created yeg-$RUN"*"created edr-y-$RUN"*) ok "import creates the seed's sources" ;; *) fail "import creates the seed's sources" "$out" ;; esac
hook "yeg-$RUN" eg-secret-1 '{"event_type":"test","data":{}}'
expect_status "an imported source verifies with the expanded secret" 200
admin GET "/api/webhooks/edr-y-$RUN"
expect "the import sets playbook and auto_triage" 200 '.playbook == "malware_triage" and .auto_triage == true'
admin GET "/api/webhooks/yeg-$RUN"
expect_json "the import sets severity_mapping" '.severity_mapping.high == "high"'
sed -i 's/playbook: malware_triage/playbook: phishing_triage/' "$y"
out=$(EMAIL_GATEWAY_SECRET=eg-secret-2 EDR_SECRET=edr-secret-1 $HP webhook import "$y" 2>&1)
case $out in *"updated yeg-$RUN"*"updated edr-y-$RUN"*) ok "importing again updates in place" ;; *) fail "importing again updates in place" "$out" ;; esac
admin GET "/api/webhooks/edr-y-$RUN"
expect_json "the second import changed the playbook" '.playbook == "phishing_triage"'
hook "yeg-$RUN" eg-secret-2 '{"event_type":"test","data":{"n":2}}'
expect_status "the second import changed the secret" 200
out=$(env -u EDR_SECRET EMAIL_GATEWAY_SECRET=x $HP webhook import "$y" 2>&1)
[ $? != 0 ] && case $out in *EDR_SECRET*) true ;; *) false ;; esac && ok "an unset \${VAR} is an error naming it" || fail "an unset \${VAR} is an error naming it" "$out"
printf 'sources:\n  x-%s:\n    secret: s3cret-s3cret\n    colour: red\n' "$RUN" >"$y"
out=$($HP webhook import "$y" 2>&1)
[ $? != 0 ] && ok "an unknown YAML key is an error" || fail "an unknown YAML key is an error" "$out"
rm -f "$y"

out=$($HP logs --filter webhook --tail 100 2>&1)
n=$(printf '%s\n' "$out" | grep -c .)
[ "$n" -ge 5 ] && [ "$n" -le 100 ] && ok "logs --filter webhook --tail 100 prints the audit log" || fail "logs --filter webhook --tail 100 prints the audit log" "$n lines: $(printf '%s' "$out" | head -3)"
case $out in *"yeg-$RUN"*) ok "logs show recent receiver requests" ;; *) fail "logs show recent receiver requests" "$(printf '%s' "$out" | tail -3)" ;; esac

out=$($HP webhook rm "$S" 2>&1)
[ $? = 0 ] && ok "webhook rm" || fail "webhook rm" "$out"
admin GET "/api/webhooks/$S"
expect_status "a removed source is gone" 404

out=$(HOOKPOST_TOKEN=hp_bad $HP webhook list 2>&1)
[ $? = 1 ] && case $out in *unauthorized*) true ;; *) false ;; esac && ok "the CLI reports a server error" || fail "the CLI reports a server error" "$out"
