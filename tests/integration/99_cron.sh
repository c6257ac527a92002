#!/bin/sh
# The real cron daemon runs cron/crontab (ARCHITECTURE.md §1: cron is the only
# scheduler): it verifies a new subscription (hookpost-challenge) and
# delivers an event to it (hookpost-deliver).  Needs root to run cron for
# the stack's user; runs once, under lighttpd.
. "$TOP/tests/lib.sh"
[ "$SERVER" = lighttpd ] || exit 0
if [ "$(id -u)" != 0 ]; then
	echo "# 99_cron: skipped (cron needs root)"
	exit 0
fi

LOG=$(mktemp)
chmod 644 "$LOG"
start_sink "$LOG" || fail "the test receiver starts"
TAB=$(mktemp)
started_cron=0
cleanup() {
	crontab -u hookpost -r 2>/dev/null
	[ $started_cron = 1 ] && pkill -x cron
	# Jobs cron started outlive it (each runs up to -t seconds): stop
	# them, or they would work the next suite's queue behind its back.
	pkill -u hookpost -f "^$TOP/bin/hookpost-" 2>/dev/null
	_i=0
	while pgrep -u hookpost -f "^$TOP/bin/hookpost-" >/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	kill $SINK 2>/dev/null
	rm -f "$LOG" "$TAB"
}
trap cleanup EXIT

# The shipped crontab, with the install root and a shorter run.
{
	echo "HOOKPOST_CONFIG=$HOOKPOST_CONFIG"
	sed -e "s|@ROOT@|$TOP|g" -e 's/-t 55/-t 25/' "$TOP/cron/crontab"
} >"$TAB"
crontab -u hookpost "$TAB" && ok "crontab installs cron/crontab" || fail "crontab installs cron/crontab"
if ! pgrep -x cron >/dev/null; then
	/usr/sbin/cron && started_cron=1
fi
pgrep -x cron >/dev/null && ok "the cron daemon runs" || fail "the cron daemon runs"

admin POST /admin/webhooks/subscriptions "{\"name\":\"cron $RUN\",\"url\":\"http://127.0.0.1:$PORT/challenge\",\"events\":[\"repository.created\"]}"
expect_status "a subscription waits for cron's challenge worker" 201
SUB=$(jget .id)
i=0
while [ $i -lt 80 ]; do
	admin GET "/admin/webhooks/subscriptions/$SUB"
	[ "$(jget .status)" = active ] && break
	sleep 1
	i=$((i + 1))
done
[ "$(jget .status)" = active ] && ok "cron's hookpost-challenge verified it (${i}s)" || fail "cron's hookpost-challenge verified it" "$BODY"

psql_q "SELECT hookpost.emit('repository.created', 'repository', 'repo-$RUN', NULL, 'admin', '{}')" >/dev/null
i=0
while [ $i -lt 80 ]; do
	n=$(psql_q "SELECT count(*) FROM hookpost.deliveries WHERE subscription_id = '$SUB' AND status = 'delivered'")
	[ "$n" = 1 ] && break
	sleep 1
	i=$((i + 1))
done
[ "$n" = 1 ] && ok "cron's hookpost-deliver delivered the event (${i}s)" || fail "cron's hookpost-deliver delivered the event" "$n"
grep -q "repo-$RUN" "$LOG" && ok "the receiver got it" || fail "the receiver got it"
