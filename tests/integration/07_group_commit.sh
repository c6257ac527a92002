#!/bin/sh
# The receivers' group commit (issue 13; lib/db.c db_group, lib/thr.h):
# lib/db.c's cases against this suite's PostgreSQL (bin/dbtest-group:
# a group is one transaction, a failed statement takes only itself, a
# connection lost mid-group fails all and commits none), then the
# receivers themselves: alerts and trigger events sent all at once are
# each answered with their own id, stored once, and (behind a server
# that keeps threaded pools) share commits: rows of one group have one
# xmin.
. "$TOP/tests/lib.sh"

"$TOP/bin/dbtest-group" 2>&1 | sed "s/^\(ok\|not ok\) - /\1 - [$SERVER] $T_FILE: /"

S=group-$RUN
SECRET=group-secret-$RUN
# Plain CGI starts a process a request and groups nothing: fewer there.
N=64
[ "$SERVER" != apache-cgi ] || N=16
admin POST /api/webhooks "{\"source\":\"$S\",\"secret\":\"$SECRET\"}"
expect_status "setup: source" 201

# One curl, N requests at once, each its own body, signature and output:
# alerts TS writes its config for N alerts signed at TS; at_once sends
# what the config holds and prints "COUNT STATUS;" for each status.
dir=$(mktemp -d)
cfg_end() {	# I: request I's body, output and status line
	printf 'data-binary = "@%s/body.%s"\noutput = "%s/out.%s"\nwrite-out = "%%{http_code}\\n"\n' \
	    "$dir" "$1" "$dir" "$1" >>"$dir/curl.cfg"
}
alerts() {
	: >"$dir/curl.cfg"
	i=0
	while [ $i -lt $N ]; do
		body="{\"event_type\":\"group\",\"data\":{\"alert_id\":\"g-$RUN-$i\"}}"
		printf '%s' "$body" >"$dir/body.$i"
		[ $i = 0 ] || echo next >>"$dir/curl.cfg"
		cat >>"$dir/curl.cfg" <<CFG
url = "$BASE/api/webhooks/$S"
header = "Content-Type: application/json"
header = "X-Webhook-Timestamp: $1"
header = "X-Webhook-Signature: sha256=$(sign "$SECRET" "$1" "$body")"
CFG
		cfg_end $i
		i=$((i + 1))
	done
}
at_once() {
	curl -sS --parallel --parallel-immediate --parallel-max $N \
	    --max-time 30 -K "$dir/curl.cfg" 2>"$dir/err" |
	    sort | uniq -c | tr -s ' ' | tr '\n' ';'
}
# commits WHAT TABLE WHERE ROWS: the rows were written in fewer commits
# than rows (a group's rows share their xmin), behind a threaded pool.
commits() {
	_x=$(psql_q "SELECT count(DISTINCT xmin::text) FROM $2 WHERE $3")
	if [ "$SERVER" = apache-cgi ]; then
		ok "skipped: plain CGI, a process and a commit a request ($_x commits)"
	else
		[ "$_x" -lt "$4" ] &&
		    ok "$1 at once: $_x commits (group commit)" ||
		    fail "$1 at once: fewer commits than rows" "$_x commits"
	fi
}
ts=$(date +%s)
alerts "$ts"
codes=$(at_once)
[ "$codes" = " $N 200;" ] && ok "$N alerts at once: all 200" ||
	fail "$N alerts at once: all 200" "$codes $(head -c 300 "$dir/err")"
n=$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = '$S'")
numbers() { grep -ho '"incident_number":"[^"]*"' "$dir"/out.* | cut -d'"' -f4; }
u=$(numbers | sort -u | wc -l)
[ "$n" = $N ] && [ "$u" = $N ] &&
    ok "$N alerts at once: $N incidents, each answered with its own number" ||
    fail "$N alerts at once: $N incidents, each answered with its own number" \
	"$n stored, $u distinct numbers answered"
m=$(psql_q "SELECT count(*) FROM hookpost.incidents i WHERE source = '$S'
    AND i.number = ANY (string_to_array('$(numbers | tr '\n' ',')', ','))")
[ "$m" = $N ] && ok "$N alerts at once: every number answered is stored" ||
	fail "$N alerts at once: every number answered is stored" "$m of $N"
commits "$N alerts" hookpost.incidents "source = '$S'" $N
# The same alerts again: replays, each answered as its first was.
codes=$(at_once)
n=$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = '$S'")
[ "$codes" = " $N 200;" ] && [ "$n" = $N ] &&
    ok "$N replays at once: 200, nothing stored twice" ||
    fail "$N replays at once: 200, nothing stored twice" "$codes $n rows"
# The same alerts once more as new requests (another timestamp), while
# the source is written again and again: each edit makes every copy in
# the processes stale, dropped while other requests of its group still
# use it (lib/copies.h: held until they end); every alert is stored once
# and answered.
ts2=$((ts + 1))
alerts "$ts2"
( for k in 1 2 3 4 5 6; do
	admin PUT "/api/webhooks/$S" "{\"secret\":\"$SECRET\"}"
	sleep 0.05
  done ) &
codes=$(at_once)
wait
n=$(psql_q "SELECT count(*) FROM hookpost.incidents WHERE source = '$S' AND signed_at = $ts2")
[ "$codes" = " $N 200;" ] && [ "$n" = $N ] &&
    ok "$N alerts at once while the source is edited: all 200, each stored once" ||
    fail "$N alerts at once while the source is edited: all 200, each stored once" \
	"$codes $n stored $(head -c 300 "$dir/err")"
rm -rf "$dir"
admin DELETE "/api/webhooks/$S"

# Trigger events at once, each pair with one delivery id (dedupe) and a
# subscriber (each event emitted): 32 events, each answered to both of its
# requests (the second as a duplicate), stored once, emitted once.
. "$TOP/tests/data/triggers/helpers.sh"
trigger_new "group.$RUN"
sub=$(psql_q "INSERT INTO hookpost.subscriptions (owner_id, name, url, events, secret_enc, status, all_owners) VALUES ('group-$RUN', 'group $RUN', 'https://example.com/h', '{group.$RUN}', 'unused', 'active', true) RETURNING id")
dir=$(mktemp -d)
i=0
while [ $i -lt $N ]; do
	printf '{"n":%d,"s":"q\\"uote\\\\"}' $i >"$dir/body.$i"
	[ $i = 0 ] || echo next >>"$dir/curl.cfg"
	cat >>"$dir/curl.cfg" <<CFG
url = "$BASE/api/v1/webhooks/$KEY"
header = "Content-Type: application/json"
header = "X-Webhook-Delivery-Id: g-$RUN-$((i % (N / 2)))"
CFG
	cfg_end $i
	i=$((i + 1))
done
codes=$(at_once)
[ "$codes" = " $N 200;" ] && ok "$N trigger requests at once: all 200" ||
	fail "$N trigger requests at once: all 200" "$codes $(head -c 300 "$dir/err")"
H=$((N / 2))
ids=$(grep -ho '"event_id":"[^"]*"' "$dir"/out.* | cut -d'"' -f4 | sort -u)
d=$(grep -l '"duplicate":true' "$dir"/out.* | wc -l)
n=$(psql_q "SELECT count(*) FROM hookpost.trigger_events WHERE trigger_ref = 'group.$RUN'")
m=$(psql_q "SELECT count(*) FROM hookpost.trigger_events WHERE trigger_ref = 'group.$RUN'
    AND id::text = ANY (string_to_array('$(echo $ids | tr ' ' ',')', ','))")
p=$(psql_q "SELECT count(DISTINCT payload->>'n') FROM hookpost.trigger_events
    WHERE trigger_ref = 'group.$RUN' AND payload->>'s' = 'q\"uote\\'")
e=$(psql_q "SELECT count(*) FROM hookpost.events WHERE event_type = 'group.$RUN'")
[ "$n" = $H ] && [ "$m" = $H ] && [ "$p" = $H ] && [ "$d" = $H ] && [ "$e" = $H ] &&
    ok "$N trigger requests at once, $H delivery ids: $H events, each answered to both (one as a duplicate), payloads intact, each emitted once" ||
    fail "$N trigger requests at once, $H delivery ids: $H events, each answered to both, emitted once" \
	"$n stored, $m of the answered ids, $p payloads intact, $d duplicates answered, $e emitted"
commits "$H trigger events" hookpost.trigger_events "trigger_ref = 'group.$RUN'" $H
psql_q "DELETE FROM hookpost.subscriptions WHERE id = '$sub'" >/dev/null
rm -rf "$dir"
admin DELETE "/api/v1/triggers/group.$RUN"
