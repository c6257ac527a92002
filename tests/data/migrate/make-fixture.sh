#!/bin/sh
# Remakes main.sql.gz: a database built by the numbered migrations of
# commit $1 (default: the commit before sql/functions/ existed), rows
# written by populate.sql, dumped in plain SQL.  08_migrate.sh restores
# it and migrates it with today's sql/.  Needs a running PostgreSQL:
#   PGHOST=var/check/run PGPORT=54329 PGUSER=hookpost \
#       tests/data/migrate/make-fixture.sh [COMMIT]
set -eu
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
commit=${1:-db78989}	# main before sql/functions/
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; dropdb --if-exists hookpost_fixture 2>/dev/null || true' EXIT
git -C "$TOP" archive "$commit" sql | tar -x -C "$tmp"
chmod -R a+rX "$tmp"
dropdb --if-exists hookpost_fixture
createdb hookpost_fixture
HOOKPOST_CONFIG=/dev/null \
HOOKPOST_DATABASE_URL="dbname=hookpost_fixture" \
    "$TOP/bin/hookpost" db migrate --dir "$tmp/sql" >/dev/null
psql -q -X -d hookpost_fixture -f "$TOP/tests/data/migrate/populate.sql" \
    >/dev/null
pg_dump --no-owner --no-privileges -d hookpost_fixture |
    gzip -n -9 >"$TOP/tests/data/migrate/main.sql.gz"
