#!/bin/sh
# GET /openapi.json (ARCHITECTURE.md §3 operations): public, JSON, OpenAPI 3,
# the bytes of docs/openapi.json, and documenting exactly the routes the
# handlers serve: a route added to a table without docs fails here.
. "$TOP/tests/lib.sh"

req GET /openapi.json
expect "openapi.json answers 200 without a token" 200 '.openapi | startswith("3.")'
case $HDRS in *"Content-Type: application/json"*) ok "openapi.json is JSON" ;;
*) fail "openapi.json is JSON" "$HDRS" ;; esac
if printf '%s\n' "$BODY" | cmp -s - "$TOP/docs/openapi.json"; then
	ok "openapi.json serves docs/openapi.json as it is"
else
	fail "openapi.json serves docs/openapi.json as it is" "$(printf '%s' "$BODY" | head -c 200)"
fi
DOC=$BODY

req POST /openapi.json -d ''
expect "POST /openapi.json is 405" 405 '.error.code == "method_not_allowed"'

# Every entry of every handler's route table, as "METHOD /path/{}/...":
# string literals and string macros (triggers' T and W) joined, ":name"
# captures made "{}", and a pattern's optional "[text]" (lib/srv.c)
# served both with and without its text.
routes() {
	for f in "$TOP"/handlers/*.c "$TOP"/handlers/*/main.c; do
		awk '
		function join(line,   p, v, id) {
			p = ""
			for (;;) {
				sub(/^[ \t]*/, "", line)
				if (line ~ /^"/) {
					line = substr(line, 2)
					v = line; sub(/".*/, "", v); p = p v
					sub(/^[^"]*"/, "", line)
				} else if (match(line, /^[A-Za-z_]+/)) {
					id = substr(line, 1, RLENGTH)
					if (!(id in def))
						break
					p = p def[id]
					line = substr(line, RLENGTH + 1)
				} else
					break
			}
			return p
		}
		function emit(m, p,   head, opt, tail) {
			if (match(p, /\[[a-z]*\]/)) {
				head = substr(p, 1, RSTART - 1)
				opt = substr(p, RSTART + 1, RLENGTH - 2)
				tail = substr(p, RSTART + RLENGTH)
				emit(m, head tail)
				emit(m, head opt tail)
			} else
				print m, p
		}
		/^#define[ \t]+[A-Za-z_]+[ \t]+[A-Za-z_"]/ {
			line = $0
			sub(/^#define[ \t]+[A-Za-z_]+[ \t]+/, "", line)
			v = join(line)
			if (v != "")
				def[$2] = v
		}
		/struct srv_route routes\[/ { on = 1; next }
		on && /^};/ { on = 0 }
		on && /\{ *ROUTE_/ {
			line = $0
			sub(/^[^"]*"/, "", line)
			m = line; sub(/".*/, "", m)
			sub(/^[^"]*"[ \t]*,[ \t]*/, "", line)
			p = join(line)
			gsub(/:[a-z_]+/, "{}", p)
			emit(m, p)
		}' "$f"
	done | sort -u
}

# The document's operations, the same way ("{name}" made "{}").
documented() {
	printf '%s' "$DOC" | jq -r '.paths | to_entries[] | .key as $p | .value |
	    keys[] | select(. != "parameters" and (startswith("x-") | not)) |
	    "\(ascii_upcase) \($p | gsub("\\{[^}]*\\}"; "{}"))"' | sort -u
}

served=$(mktemp); docd=$(mktemp)
routes >"$served"
documented >"$docd"
n=$(wc -l <"$served")
if [ "$n" -ge 70 ] && grep -qx 'GET /openapi.json' "$served" &&
    grep -qx 'GET /api/v1/triggers/{}/webhooks/stats' "$served"; then
	ok "the handlers' route tables read ($n routes)"
else
	fail "the handlers' route tables read ($n routes)" "$(cat "$served")"
fi
missing=$(comm -23 "$served" "$docd")
[ -z "$missing" ] && ok "every served route is documented with its method" ||
	fail "every served route is documented with its method" \
	    "$(printf '%s' "$missing" | tr '\n' ';')"
stale=$(comm -13 "$served" "$docd")
[ -z "$stale" ] && ok "every documented operation is served" ||
	fail "every documented operation is served" \
	    "$(printf '%s' "$stale" | tr '\n' ';')"
rm -f "$served" "$docd"

# Structure: what a client generator relies on.
BODY=$DOC
expect_json "every operation has responses and a unique operationId" '
    [.paths[][] | objects | select(has("responses"))] as $ops |
    ($ops | length) > 0 and all($ops[]; (.responses | length) > 0) and
    ([$ops[].operationId] | length) == ([$ops[].operationId] | unique | length)'
expect_json "every {param} in a path is declared in each of its operations" '
    [.paths | to_entries[] | .key as $p |
     ([$p | scan("\\{([^}]*)\\}")[]]) as $want | .value | to_entries[] |
     select(.key != "parameters") |
     ([.value.parameters[]? | select(.in == "path") | .name] | sort) ==
     ($want | sort)] | all'
expect_json "every \$ref resolves" '
    . as $doc | [.. | objects | select(has("$ref")) | ."$ref"] | unique |
    all(ltrimstr("#/") | split("/") as $k | $doc | getpath($k) != null)'
expect_json "the error shape is resp_error's" '
    .components.schemas.Error.properties.error.required == ["code", "message"]'
expect_json "operations routes are public, admin routes need a token" '
    .paths["/openapi.json"].get.security == [] and
    .paths["/healthz"].get.security == [] and
    .security == [{"bearerAuth": []}] and
    (.paths["/api/tokens"].post | has("security") | not)'
expect_json "receivers document their signature headers" '
    (.paths["/api/webhooks/{source}"].post.security[0] | keys) ==
    ["sourceSignature", "sourceTimestamp"] and
    .components.securitySchemes.sourceSignature.name == "X-Webhook-Signature" and
    .components.securitySchemes.sourceTimestamp.name == "X-Webhook-Timestamp" and
    ([.paths["/api/v1/webhooks/{webhook_key}"].post.parameters[].name] |
     index("X-Hub-Signature-256") != null)'
