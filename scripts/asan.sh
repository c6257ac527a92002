#!/bin/sh
# The ASan+UBSan build, in one place: every handler (as NAME.cgi), the
# ingest worker and every unit test, compiled with the sanitizers into
# bin/asan/ beside a copy of docs/openapi.json (the programs find their
# document beside them, as on a shared host).  tests/cgi/run.sh and
# `make asan` use it; `make check` through them.  Errors on stderr; exits
# 0 only when everything built.
#
# A handler is handlers/NAME.c or a folder handlers/NAME/ of .c files.
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=$TOP/bin/asan
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
CFLAGS="-std=c11 -D_GNU_SOURCE -DHOOKPOST_VERSION=\"check\" -Wall -Wextra -Werror -Wno-unused-parameter -O1 -g -I$TOP/lib -I$(pg_config --includedir)"
LIBS="-lfcgi -lpq -ljansson -lcrypto -lcurl -lyaml -lm"
rc=0

mkdir -p "$OUT/lib" || exit 1
rm -f "$OUT"/lib/*.o "$OUT/libhookpost.a"
# lib/ once, into an archive the programs link against.
for c in "$TOP"/lib/*.c; do
	cc $CFLAGS $SAN -c -o "$OUT/lib/$(basename "$c" .c).o" "$c" || rc=1
done
[ "$rc" = 0 ] && ar rcs "$OUT/libhookpost.a" "$OUT"/lib/*.o || exit 1

# link NAME SOURCES...: one program against the sanitized lib/.
link() {
	_name=$1; shift
	cc $CFLAGS $SAN -o "$OUT/$_name" "$@" "$OUT/libhookpost.a" $LIBS || {
		echo "asan: $_name did not build" >&2
		rc=1
	}
}

for h in "$TOP"/handlers/*; do
	if [ -d "$h" ]; then
		link "$(basename "$h").cgi" -I"$h" "$h"/*.c
	else
		case $h in *.c) link "$(basename "$h" .c).cgi" "$h" ;; esac
	fi
done
link hookpost-ingest "$TOP/cron/ingest.c"
for t in "$TOP"/tests/unit/*.c; do
	link "test-$(basename "$t" .c)" "$t"
done
cp "$TOP/docs/openapi.json" "$OUT/openapi.json" || rc=1
chmod -R o+rx "$OUT" 2>/dev/null
exit $rc
