#!/bin/sh
# make lint (STYLE 13): banned calls, and == / memcmp on secrets.
# Prints "ok - lint: ..." / "not ok - lint: ..." lines like the tests.
cd "$(dirname "$0")/.." || exit 1
SRC=$(ls lib/*.c lib/*.h handlers/*.c handlers/*/*.c handlers/*/*.h cron/*.c cli/*.c cli/*.h bench/*.c 2>/dev/null)
rc=0
for fn in sprintf vsprintf strcpy strcat strtok gets atoi atol sscanf system popen; do
	hits=$(grep -nE "(^|[^_a-zA-Z0-9.>])$fn[[:space:]]*\(" $SRC | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/\*|\*)')
	if [ -n "$hits" ]; then
		echo "not ok - lint: $fn is banned"
		printf '#   %s\n' $hits | head -5
		rc=1
	else
		echo "ok - lint: no $fn"
	fi
done
# Secrets, signatures, MACs and token hashes: CRYPTO_memcmp only.
hits=$(grep -nE '(^|[^_])(memcmp|strcmp|strncmp|bcmp)\([^;]*(secret|sig|mac|token|hash|digest)[a-z_]*[,)]' $SRC |
    grep -vE 'strn?cmp\([^,]*, *"[^"]*"')
if [ -n "$hits" ]; then
	echo "not ok - lint: secrets compared without CRYPTO_memcmp"
	printf '#   %s\n' "$hits" | head -5
	rc=1
else
	echo "ok - lint: secrets compared in constant time"
fi
exit $rc
