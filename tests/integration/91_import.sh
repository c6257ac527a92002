#!/bin/sh
# hookpost webhook import (seed 004 webhook_config.yaml) is all or nothing,
# and --sync makes the registered sources exactly the file's (issue 8).
# The import is one request to the servers (POST /api/webhooks/_import),
# so it works on the servers' database, and --sync removes every source
# the file does not name, those of the other tests too.  This file saves
# the sources (and the rows that point at them) before it starts and puts
# them back when it ends, whatever happens (trap): simpler than a second
# stack of its own, and the other files (run one after another) find
# their sources as they left them.  90_cli.sh imports without --sync and
# sends signed events to what it imported.
. "$TOP/tests/lib.sh"
export HOOKPOST_URL=$BASE HOOKPOST_TOKEN=$TOKEN
HP=$TOP/bin/hookpost
q() { psql_q "$1"; }
SAVED=import_saved_$RUN
# Every column of every source, xmin (which write made the row) included.
state() { q "SELECT coalesce(string_agg(s::text || ' ' || s.xmin, ';' ORDER BY name), '') FROM hookpost.sources s"; }
restore() {
	q "DROP TRIGGER IF EXISTS refuse ON hookpost.sources;
	    DROP FUNCTION IF EXISTS public.refuse();
	    BEGIN;
	    DELETE FROM hookpost.sources;
	    INSERT INTO hookpost.sources SELECT * FROM public.${SAVED}_sources;
	    INSERT INTO hookpost.inbound_queue SELECT * FROM public.${SAVED}_queue
	     ON CONFLICT DO NOTHING;
	    INSERT INTO hookpost.replay_guard SELECT * FROM public.${SAVED}_replay
	     ON CONFLICT DO NOTHING;
	    UPDATE hookpost.incidents i SET source_id = x.source_id
	     FROM public.${SAVED}_incidents x WHERE i.id = x.id;
	    COMMIT;
	    DROP TABLE public.${SAVED}_sources, public.${SAVED}_queue,
	     public.${SAVED}_replay, public.${SAVED}_incidents" >/dev/null
}
# Every column of every source, as it is to be put back.
rows() { q "SELECT coalesce(string_agg(s::text, ';' ORDER BY name), '') FROM hookpost.sources s"; }
before_all=$(rows)
q "CREATE TABLE public.${SAVED}_sources AS SELECT * FROM hookpost.sources;
    CREATE TABLE public.${SAVED}_queue AS SELECT * FROM hookpost.inbound_queue;
    CREATE TABLE public.${SAVED}_replay AS SELECT * FROM hookpost.replay_guard;
    CREATE TABLE public.${SAVED}_incidents AS SELECT id, source_id
     FROM hookpost.incidents WHERE source_id IS NOT NULL" >/dev/null &&
    ok "the sources saved, to be put back at the end" ||
    fail "the sources saved, to be put back at the end"
trap 'restore; rm -rf "$dir"' EXIT
# This file's sources: none left from a run before (another server's).
q "DELETE FROM hookpost.sources WHERE name IN ('first', 'second', 'alpha', 'beta', 'gamma', 'delta')" >/dev/null
n() { q "SELECT count(*) FROM hookpost.sources WHERE name IN ('first', 'second')"; }
dir=$(mktemp -d)
y=$dir/webhook_config.yaml
# Every secret a file here holds: none may ever be printed.
secrets="first-secret second-secret alpha-secret-1 alpha-secret-2 beta-secret-0 delta-secret-0"

# import [ARGS...]: runs the import of $y; sets out and rc.
import() {
	out=$($HP webhook import "$@" "$y" 2>&1)
	rc=$?
	printf '%s\n' "$out" >>"$dir/outputs"
}
# has NAME TEXT: the last output shows TEXT.
has() {
	case $out in *"$2"*) ok "$1" ;; *) fail "$1" "rc=$rc: $out" ;; esac
}

# All or nothing: a bad second source, whether the file or the database
# finds it, leaves the first one uncreated.
cat >"$y" <<'YAML'
sources:
  first:
    secret: "first-secret"
    auto_triage: true
  second:
    secret: "second-secret"
    playbook: no_such_playbook
YAML
import
[ $rc = 1 ] && ok "a second source naming a missing playbook fails the import" ||
    fail "a second source naming a missing playbook fails the import" "rc=$rc: $out"
has "... saying which" "sources.second.playbook': playbook 'no_such_playbook' does not exist"
has "... and that nothing was imported" "webhook_config.yaml: nothing was imported"
[ "$(n)" = 0 ] &&
    ok "a bad second source (database) leaves the first one uncreated" ||
    fail "a bad second source (database) leaves the first one uncreated" "$(state)"
sed -i 's/playbook: no_such_playbook/mode: later/' "$y"
import
[ $rc = 1 ] && [ "$(n)" = 0 ] &&
    ok "a bad second source (file) leaves the first one uncreated" ||
    fail "a bad second source (file) leaves the first one uncreated" "rc=$rc: $out"

# Create; a source without a secret gets one, shown once.
cat >"$y" <<'YAML'
sources:
  alpha:
    secret: "${ALPHA_SECRET}"
    auto_triage: true
    playbook: phishing_triage
    severity_mapping:
      Phish: high
  beta:
    secret: beta-secret-0
    mode: queue
YAML
export ALPHA_SECRET=alpha-secret-1
import
[ $rc = 0 ] && ok "import creates the file's sources" || fail "import creates the file's sources" "rc=$rc: $out"
has "... and says so" "created alpha
created beta"
[ "$(q "SELECT concat_ws(' ', name, auto_triage, coalesce(playbook, '-'), severity_mapping, format, mode, enabled) FROM hookpost.sources WHERE name IN ('alpha', 'beta') ORDER BY name")" = "alpha t phishing_triage {\"Phish\": \"high\"} auto sync t
beta f - {} auto queue t" ] && ok "the rows hold the file's settings, defaults elsewhere" ||
    fail "the rows hold the file's settings, defaults elsewhere" "$(state)"
printf 'sources:\n  gamma:\n    auto_triage: true\n' >"$dir/gamma.yaml"
out=$($HP webhook import "$dir/gamma.yaml" 2>&1)
case $out in *"created gamma"*"secret gamma whsec_"*) ok "a new source without a secret gets one, shown once" ;;
*) fail "a new source without a secret gets one, shown once" "$out" ;; esac
[ "$(q "SELECT count(*) FROM hookpost.sources WHERE name IN ('alpha', 'beta', 'gamma')")" = 3 ] &&
    ok "without --sync, the sources a file does not name stay" ||
    fail "without --sync, the sources a file does not name stay" "$(state)"

# --sync --dry-run says what would change, and changes nothing.
before=$(state)
import --sync --dry-run
has "--sync --dry-run lists what --sync would do" "unchanged alpha
unchanged beta"
has "... removing what the file does not name" "removed gamma"
has "... and says that it changed nothing" "dry run: nothing was changed"
[ "$(state)" = "$before" ] && ok "--dry-run changes nothing" || fail "--dry-run changes nothing" "$(state)"

# --sync removes the source the file no longer names.
import --sync
[ $rc = 0 ] && has "--sync removes a source the file does not name" "removed gamma" ||
    fail "--sync removes a source the file does not name" "rc=$rc: $out"
[ "$(q "SELECT string_agg(name, ',' ORDER BY name) FROM hookpost.sources")" = "alpha,beta" ] &&
    ok "... and only that one" || fail "... and only that one" "$(state)"

# Twice is idempotent: nothing written, not even a secret sealed again.
before=$(state)
import --sync
[ $rc = 0 ] && has "--sync twice: everything unchanged" "unchanged alpha
unchanged beta" || fail "--sync twice: everything unchanged" "rc=$rc: $out"
case $out in *created*|*updated*|*removed*) fail "... and nothing else" "$out" ;; *) ok "... and nothing else" ;; esac
[ "$(state)" = "$before" ] && ok "--sync twice writes no row (the same secret is not sealed again)" ||
    fail "--sync twice writes no row (the same secret is not sealed again)" "$before / $(state)"

# A changed ${ENV} secret is sealed again, and only that.
sealed=$(q "SELECT secret_enc FROM hookpost.sources WHERE name = 'beta'")
export ALPHA_SECRET=alpha-secret-2
import --sync
has "a changed \${ENV} secret is an update of the secret alone" "updated alpha (secret)
unchanged beta"
[ "$(q "SELECT secret_rotated_at IS NOT NULL FROM hookpost.sources WHERE name = 'alpha'")" = t ] &&
    [ "$(q "SELECT secret_enc FROM hookpost.sources WHERE name = 'beta'")" = "$sealed" ] &&
    ok "... which records its rotation and leaves the others' alone" ||
    fail "... which records its rotation and leaves the others' alone" "$(state)"

# A setting left out: kept without --sync, its default with --sync.
sed -i '/playbook: phishing_triage/d' "$y"
import
has "without --sync, a setting the file leaves out is kept" "unchanged alpha"
import --sync
has "with --sync, it takes its default" "updated alpha (playbook)"
[ "$(q "SELECT playbook IS NULL FROM hookpost.sources WHERE name = 'alpha'")" = t ] &&
    ok "... in the row" || fail "... in the row" "$(state)"

# A failure while --sync writes (here a trigger refusing beta's removal,
# after alpha's update and delta's creation) leaves everything as before.
q "CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql AS
    \$\$BEGIN RAISE EXCEPTION 'refused by the test'; END\$\$;
    CREATE TRIGGER refuse BEFORE DELETE ON hookpost.sources FOR EACH ROW
    WHEN (OLD.name = 'beta') EXECUTE FUNCTION public.refuse()" >/dev/null
cat >"$y" <<'YAML'
sources:
  alpha:
    secret: "${ALPHA_SECRET}"
    auto_triage: false
  delta:
    secret: delta-secret-0
YAML
before=$(state)
import --sync
[ $rc = 1 ] && has "a failure during --sync fails the import" "nothing was imported" ||
    fail "a failure during --sync fails the import" "rc=$rc: $out"
[ "$(state)" = "$before" ] && ok "... and leaves every source as it was" ||
    fail "... and leaves every source as it was" "$before / $(state)"
case $out in *created*|*updated*|*removed*) fail "... and reports nothing as done" "$out" ;;
*) ok "... and reports nothing as done" ;; esac

# No secret from a file was ever printed.
import --sync --dry-run
leaked=
for s in $secrets; do
	grep -qF -- "$s" "$dir/outputs" && leaked="$leaked $s"
done
[ -z "$leaked" ] && ok "no output shows a secret from the file" ||
    fail "no output shows a secret from the file" "$leaked"

trap - EXIT
restore
rm -rf "$dir"
[ "$(rows)" = "$before_all" ] && ok "the sources of the other tests are back as they were" ||
    fail "the sources of the other tests are back as they were" "$before_all / $(rows)"
