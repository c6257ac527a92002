# tests/lib.sh: the integration harness, sourced by tests/integration/*.sh.
# Environment from scripts/check.sh:
#   BASE    http://127.0.0.1:PORT of the server under test
#   TOKEN   an admin API token
#   SERVER  lighttpd | apache | apache-cgi
#   RUN     a short id unique to this run, for names that must not collide
#   TOP     the repository
# Each assertion prints "ok - name" or "not ok - name"; scripts/check.sh
# counts them.

T_FILE=$(basename "$0" .sh)

ok()   { echo "ok - [$SERVER] $T_FILE: $1"; }
fail() { echo "not ok - [$SERVER] $T_FILE: $1"; [ -z "${2:-}" ] || printf '#   %s\n' "$2" | head -c 2000; echo; }

# req METHOD PATH [curl args...]: sets STATUS, BODY and HDRS.
req() {
	_m=$1; _p=$2; shift 2
	_out=$(mktemp); _hdr=$(mktemp)
	STATUS=$(curl -sS -o "$_out" -D "$_hdr" -w '%{http_code}' -X "$_m" \
	    --max-time 30 "$@" "$BASE$_p" 2>/dev/null) || STATUS=000
	BODY=$(cat "$_out"); HDRS=$(cat "$_hdr")
	rm -f "$_out" "$_hdr"
}

# as TOKEN METHOD PATH [json]: a request with that bearer token.
as() {
	_t=$1 _m=$2 _p=$3
	if [ $# -ge 4 ]; then
		req "$_m" "$_p" -H "Authorization: Bearer $_t" \
		    -H 'Content-Type: application/json' --data-binary "$4"
	else
		req "$_m" "$_p" -H "Authorization: Bearer $_t"
	fi
}

# admin METHOD PATH [json]: an authenticated admin request.
admin() { as "$TOKEN" "$@"; }

# expect_status NAME WANT: the last request's status.
expect_status() {
	if [ "$STATUS" = "$2" ]; then ok "$1"; else fail "$1" "status $STATUS, want $2: $BODY"; fi
}

# expect_json NAME JQ-EXPR: the expression holds on the last body.
expect_json() {
	if printf '%s' "$BODY" | jq -e "$2" >/dev/null 2>&1; then ok "$1"
	else fail "$1" "jq '$2' failed on: $BODY"; fi
}

# expect NAME STATUS JQ: both at once.
expect() {
	if [ "$STATUS" = "$2" ] && printf '%s' "$BODY" | jq -e "$3" >/dev/null 2>&1; then
		ok "$1"
	else
		fail "$1" "status $STATUS (want $2), jq '$3' on: $BODY"
	fi
}

jget() { printf '%s' "$BODY" | jq -r "$1"; }

# link_next: the target of the last answer's Link: <...>; rel="next"
# (RFC 8288; seed 000's /admin/ lists), or nothing on the last page.
link_next() {
	printf '%s\n' "$HDRS" | tr -d '\r' |
	    sed -n 's/^[Ll]ink: *<\([^>]*\)> *; *rel="next".*$/\1/p' | head -n 1
}

# link_walk PATH: the rows of every page from admin GET PATH on,
# following Link rel="next" (which must be under $BASE), as one JSON
# array; nothing, and status 1, if a page is not a 200 array.
link_walk() {
	_lw_p=$1 _lw_all='[]' _lw_n=0
	while [ -n "$_lw_p" ] && [ $_lw_n -lt 100 ]; do
		admin GET "$_lw_p"
		[ "$STATUS" = 200 ] && printf '%s' "$BODY" | jq -e 'type == "array"' >/dev/null || return 1
		_lw_all=$(printf '%s\n%s' "$_lw_all" "$BODY" | jq -sc add)
		_lw_p=$(link_next)
		case $_lw_p in "$BASE"/*) _lw_p=${_lw_p#"$BASE"} ;; '') ;; *) return 1 ;; esac
		_lw_n=$((_lw_n + 1))
	done
	[ -z "$_lw_p" ] || return 1
	printf '%s\n' "$_lw_all"
}

# sign SECRET TIMESTAMP BODY: seed 004's recipe, hex only.
sign() { hmac sha256 "$1" "$2.$3"; }

# hmac ALGO SECRET DATA: lower-case hex HMAC (sha256, sha512, sha1).
hmac() { printf '%s' "$3" | openssl dgst "-$1" -hmac "$2" | sed 's/^.*= //'; }

# jwt PAYLOAD SECRET: an HS256 JSON Web Token (RFC 7519) of PAYLOAD.
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
jwt() {
	_h=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
	_p=$(printf '%s' "$1" | b64url)
	_s=$(printf '%s' "$_h.$_p" | openssl dgst -sha256 -hmac "$2" -binary | b64url)
	echo "$_h.$_p.$_s"
}

# hook SOURCE SECRET BODY [TIMESTAMP]: a correctly signed delivery.
hook() {
	_ts=${4:-$(date +%s)}
	_sig=$(sign "$2" "$_ts" "$3")
	req POST "/api/webhooks/$1" -H 'Content-Type: application/json' \
	    -H "X-Webhook-Signature: sha256=$_sig" -H "X-Webhook-Timestamp: $_ts" \
	    --data-binary "$3"
}

# psql_q SQL: a query against the test database.
psql_q() { $PSQL -qAtc "$1"; }

# readme_walkthrough MARKER WHAT TAIL WANT...: pastes the README's sh
# block after "<!-- MARKER" into a fresh folder whose var/env points at
# the server under test and runs it as a user would ($RUNAS_WALK, when
# set, prefixes the command); then checks that the output shows each
# WANT (a failure prints its last TAIL lines).
readme_walkthrough() {
	_mark=$1 _what=$2 _tail=$3
	shift 3
	_dir=$(mktemp -d)
	mkdir -p "$_dir/var"
	cat >"$_dir/var/env" <<ENV
export HOOKPOST_URL=$BASE
export HOOKPOST_TOKEN=$TOKEN
export HOOKPOST_CONFIG=$HOOKPOST_CONFIG
export PATH="$TOP/bin:\$PATH"
ENV
	awk -v mark="<!-- $_mark" 'index($0, mark) { on = 1; next } on && /^```sh/ { grab = 1; next } grab && /^```/ { exit } grab { print }' \
	    "$TOP/README.md" >"$_dir/walk.sh"
	[ -s "$_dir/walk.sh" ] && ok "the README has a $_what" || fail "the README has a $_what"
	_out=$(cd "$_dir" && $RUNAS_WALK bash walk.sh 2>&1)
	_rc=$?
	[ $_rc = 0 ] && ok "the $_what runs to the end" || fail "the $_what runs to the end" "rc=$_rc $_out"
	for _want in "$@"; do
		case $_out in *"$_want"*) ok "$_what output shows $_want" ;; *) fail "$_what output shows $_want" "$(printf '%s' "$_out" | tail -"$_tail")" ;; esac
	done
	rm -rf "$_dir"
}

# start_sink LOGFILE: starts bin/bench-sink on a free port (several check
# runs may share a machine); sets SINK (pid) and PORT.
start_sink() {
	PORT=$((19200 + $$ % 600))
	for _try in 1 2 3 4 5 6 7 8 9 10; do
		"$TOP/bin/bench-sink" -p $PORT -l "$1" 2>/dev/null &
		SINK=$!
		sleep 0.3
		kill -0 $SINK 2>/dev/null && return 0
		PORT=$((PORT + 7))
	done
	return 1
}

# start_emu VENDOR LOGFILE: starts the vendor emulator tests/emu/VENDOR.py
# (Python standard library, Debian's /usr/bin/python3) on a free port;
# sets EMU (pid) and EMU_PORT.  Its control routes are under /_emu/.
start_emu() {
	EMU_PORT=$((19900 + $$ % 500))
	for _try in $(seq 30); do
		# Never a port an earlier emulator of this run had: a delivery
		# still being retried to it would reach this one.
		if grep -qx "$EMU_PORT" "$HOOKPOST_VAR/emu-ports" 2>/dev/null; then
			EMU_PORT=$((EMU_PORT + 11))
			continue
		fi
		/usr/bin/python3 "$TOP/tests/emu/$1.py" -p $EMU_PORT -l "$2" 2>/dev/null &
		EMU=$!
		for _w in 1 2 3 4 5 6 7 8 9 10; do
			if curl -fsS "http://127.0.0.1:$EMU_PORT/_emu/state" >/dev/null 2>&1; then
				echo "$EMU_PORT" >>"$HOOKPOST_VAR/emu-ports"
				return 0
			fi
			kill -0 $EMU 2>/dev/null || break
			sleep 0.1
		done
		kill $EMU 2>/dev/null
		EMU_PORT=$((EMU_PORT + 11))
	done
	return 1
}
