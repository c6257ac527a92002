#!/bin/sh
# tests/data/http/run.sh FILE.cases: the HTTP cases of one group against
# the server under test, as tests/integration/*.sh run (scripts/check.sh
# runs both, in file-name order; the environment of tests/lib.sh).  Each
# check prints "ok - [SERVER] GROUP: name" or "not ok - ...".
#
# A .cases file is a list of blocks separated by blank lines; a block is
# lines run in order:
#   # a comment
#   let NAME = value          sets $NAME for the lines after it
#   server: lighttpd ...      the rest of the block only behind these servers
#   if-set: VAR               the rest of the block only when $VAR is set
#   request: METHOD PATH      a request; then, optionally:
#     token: value              Authorization: Bearer value (and a JSON
#                               Content-Type when there is a body)
#     header: Name: value       (repeatable)
#     body: text                (repeatable: one line each; "body:" alone
#                               is an empty body)
#   admin: METHOD PATH        a request with token: $TOKEN
#   hook: SOURCE SECRET [TS]  a signed inbound delivery (seed 004) of body:
#   check: name               one assertion over the last answer; it holds
#     status: 201               when every condition under it holds
#     jq: .error.code == "x"    (jq -e on the body)
#     header-has: text          (the response headers contain text)
#     body-has: text
#     sql: SELECT ...           with is: VALUE, the query's output
#     is: value
#     value: text               with is: or is-not:, a value of its own
#     is-not: value
#   sql: statement            outside a check: run for its effect
# Values expand $NAME, ${NAME} and $(command) (the helpers of tests/lib.sh
# such as jget and psql_q); \$ is a dollar sign; other characters, quotes
# and backslashes included, are taken as they are.
set -u
FILE=$1
. "$TOP/tests/lib.sh"
T_FILE=$(basename "$FILE" .cases)

# expand TEXT: sets V to TEXT with its variables and commands expanded.
expand() {
	_x=$(printf '%s\n' "$1" | sed 's/\\/\\\\/g; s/\\\\\$/\\$/g')
	eval "V=\$(cat <<__CASE_TEXT__
$_x
__CASE_TEXT__
)"
}

r_kind= r_method= r_path= r_token= r_headers= r_body= r_hasbody=0 r_hook=
c_name= c_why= sql_out= skip=0

request_send() {
	[ -n "$r_kind" ] || return 0
	set --
	if [ -n "$r_token" ]; then
		set -- "$@" -H "Authorization: Bearer $r_token"
		[ "$r_hasbody" = 0 ] || set -- "$@" -H 'Content-Type: application/json'
	fi
	_ifs=$IFS
	IFS='
'
	for _h in $r_headers; do set -- "$@" -H "$_h"; done
	IFS=$_ifs
	[ "$r_hasbody" = 0 ] || set -- "$@" --data-binary "$r_body"
	if [ "$r_kind" = hook ]; then
		# SOURCE SECRET [TIMESTAMP], split on spaces.
		set -- $r_hook
		hook "$1" "$2" "$r_body" ${3:+"$3"}
	else
		req "$r_method" "$r_path" "$@"
	fi
	r_kind= r_method= r_path= r_token= r_headers= r_body= r_hasbody=0 r_hook=
}

check_end() {
	[ -n "$c_name" ] || return 0
	if [ -z "$c_why" ]; then ok "$c_name"; else fail "$c_name" "$c_why"; fi
	c_name= c_why=
}

why() { c_why="$c_why${c_why:+; }$1"; }

line_no=0
while IFS= read -r line <&3 || [ -n "$line" ]; do
	line_no=$((line_no + 1))
	case $line in
	'#'*) continue ;;
	'') request_send; check_end; skip=0; continue ;;
	esac
	[ "$skip" = 1 ] && continue
	key=${line%%:*}
	val=${line#*:}; val=${val# }
	case $line in
	'let '*)
		key=let
		_n=${line#let }; _n=${_n%% *}
		val=${line#let "$_n" = } ;;
	*:*) ;;
	*) key=bad ;;
	esac
	# A request's attributes follow it; anything else sends it, and
	# anything but a condition ends the check before it.
	case $key in
	token|header|body) ;;
	*) request_send ;;
	esac
	case $key in
	status|jq|header-has|body-has|is|is-not|value) ;;
	sql) [ -n "$c_name" ] || check_end ;;
	*) check_end ;;
	esac
	expand "$val"
	case $key in
	let)		eval "$_n=\$V" ;;
	server)		case " $V " in *" $SERVER "*) ;; *) skip=1 ;; esac ;;
	if-set)		eval "[ -n \"\${$V:-}\" ]" || skip=1 ;;
	request|admin)	r_kind=$key r_method=${V%% *} r_path=${V#* }
			[ "$key" = request ] || r_token=$TOKEN ;;
	hook)		r_kind=hook r_hook=$V ;;
	token)		r_token=$V ;;
	header)		r_headers="$r_headers${r_headers:+
}$V" ;;
	body)		if [ "$r_hasbody" = 1 ]; then r_body="$r_body
$V"; else r_body=$V; fi
			r_hasbody=1 ;;
	check)		c_name=$V ;;
	status)		[ "$STATUS" = "$V" ] || why "status $STATUS, want $V: $BODY" ;;
	jq)		printf '%s' "$BODY" | jq -e "$V" >/dev/null 2>&1 ||
			    why "jq '$V' failed on: $BODY" ;;
	header-has)	case $HDRS in *"$V"*) ;; *) why "headers lack '$V': $HDRS" ;; esac ;;
	body-has)	case $BODY in *"$V"*) ;; *) why "body lacks '$V': $BODY" ;; esac ;;
	sql)		if [ -n "$c_name" ]; then sql_out=$(psql_q "$V")
			else psql_q "$V" >/dev/null; fi ;;
	value)		sql_out=$V ;;
	is)		[ "$sql_out" = "$V" ] || why "got '$sql_out', want '$V'" ;;
	is-not)		[ "$sql_out" != "$V" ] || why "got '$sql_out', want another" ;;
	*)		fail "$FILE:$line_no: cannot read '$line'" ;;
	esac
done 3<"$FILE"
request_send
check_end
