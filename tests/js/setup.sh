#!/bin/sh
# Installs tests/js's npm dependencies into $1/node_modules (once).  With
# npm: npm install.  Without (Debian's npm is large): the exact tarballs
# from the npm registry, which package.json pins.
set -eu
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
cp "$here/verify.mjs" "$dir/" 2>/dev/null || { mkdir -p "$dir"; cp "$here/verify.mjs" "$dir/"; }
[ -f "$dir/node_modules/standardwebhooks/package.json" ] && exit 0
mkdir -p "$dir"
cp "$here/package.json" "$dir/"
if command -v npm >/dev/null 2>&1 &&
    (cd "$dir" && npm install --no-audit --no-fund --silent >/dev/null 2>&1); then
	exit 0
fi
for spec in standardwebhooks@1.1.1 @stablelib/base64@1.0.1 fast-sha256@1.3.0; do
	name=${spec%@*}
	ver=${spec##*@}
	base=$(basename "$name")
	mkdir -p "$dir/node_modules/$name"
	curl -fsS "https://registry.npmjs.org/$name/-/$base-$ver.tgz" |
	    tar -xz -C "$dir/node_modules/$name" --strip-components=1
done
