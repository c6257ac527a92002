#!/bin/sh
# Per-owner quotas (seed 000 "Rate Limits"): concurrent creates and the
# owner's quota lock.  The request / answer cases of /admin/quotas/webhooks
# and their enforcement are tests/data/http/62_quotas.cases.
. "$TOP/tests/lib.sh"
SUBS=/admin/webhooks/subscriptions
Q=/admin/quotas/webhooks

mktoken() {
	admin POST /api/tokens "{\"name\":\"$1\",\"role\":\"user\",\"owner_id\":\"$1\"}"
	jget .token
}
newsub() {	# newsub TOKEN NAME
	as "$1" POST $SUBS "{\"name\":\"$2\",\"url\":\"https://q-$RUN.example.com/$2\",\"events\":[\"threat.created\"]}"
}

# Concurrent creates cannot both take the last slot (per-owner lock).
CO=conc-$RUN
CT=$(mktoken "$CO")
admin PUT "$Q/$CO" '{"max_subscriptions":2,"max_subscription_requests_per_minute":100}'
dir=$(mktemp -d)
for i in 1 2 3 4 5 6; do
	curl -s -o /dev/null -w '%{http_code}\n' -X POST "$BASE$SUBS" \
	    -H "Authorization: Bearer $CT" -H 'Content-Type: application/json' \
	    --data-binary "{\"name\":\"c$i\",\"url\":\"https://q-$RUN.example.com/c$i\",\"events\":[\"*\"]}" \
	    >"$dir/$i" 2>/dev/null &
done
wait
codes=$(cat "$dir"/* | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')
rm -rf "$dir"
n=$(psql_q "SELECT count(*) FROM hookpost.subscriptions WHERE owner_id = '$CO'")
[ "$n" = 2 ] && [ "$codes" = "201:2 429:4 " ] && ok "six concurrent creates under a quota of 2: two 201, four 429" ||
    fail "six concurrent creates under a quota of 2: two 201, four 429" "rows=$n codes=$codes"
# The race above is narrow with two handler processes, so prove the lock
# directly: while another session holds the owner's quota lock, a create
# waits for it (the key is handlers/outbound/subscription_check.c
# quota_take()'s).
admin PUT "$Q/$CO" '{"max_subscriptions":50,"max_subscription_requests_per_minute":100}'
key="hashtextextended('hookpost.subscription_quota/$CO', 0)"
psql_q "SELECT pg_advisory_lock($key); SELECT pg_sleep(0.9); SELECT pg_advisory_unlock($key)" >/dev/null &
sleep 0.2
t0=$(date +%s%N)
newsub "$CT" locked
t1=$(date +%s%N)
wait
ms=$(( (t1 - t0) / 1000000 ))
[ "$STATUS" = 201 ] && [ "$ms" -ge 500 ] && ok "a create waits for the owner's quota lock" ||
    fail "a create waits for the owner's quota lock" "status $STATUS after ${ms} ms"
admin DELETE "$Q/$CO"

psql_q "DELETE FROM hookpost.subscriptions WHERE owner_id = '$CO'" >/dev/null
