#!/bin/sh
# hookpost db migrate (issue 7): the schema changes sql/NNN_*.sql applied
# once, then every sql/functions/*.sql.  A database built by the
# migrations of before that layout (tests/data/migrate/main.sql.gz, made
# by make-fixture.sh) migrates with no data change to the schema of a
# fresh database; a second run changes nothing; a changed function file
# is applied again; a failing one changes nothing.  Needs no server: runs
# once per check, under whichever server comes first.
. "$TOP/tests/lib.sh"
[ -e "$HOOKPOST_VAR/08_migrate.done" ] && exit 0
touch "$HOOKPOST_VAR/08_migrate.done"

pgc="-h $HOOKPOST_VAR/run -p $HOOKPOST_PGPORT"
pg() { $RUNAS psql -X -q -v ON_ERROR_STOP=1 $pgc "$@"; }
dump() {	# DB [pg_dump options]: the dump, without the fixture's incident
	# numbers (made per year, on demand) and pg_dump's random \restrict key
	_db=$1; shift
	$RUNAS pg_dump $pgc --no-owner --no-privileges \
	    -T 'hookpost.incident_seq_*' "$@" "$_db" |
	    sed '/^\\\(un\)\{0,1\}restrict /d'
}
migrate() {	# DB [options]: hookpost db migrate against DB
	_db=$1; shift
	$RUNAS env HOOKPOST_CONFIG="$HOOKPOST_CONFIG" \
	    HOOKPOST_DATABASE_URL="host=$HOOKPOST_VAR/run port=$HOOKPOST_PGPORT dbname=$_db" \
	    "$TOP/bin/hookpost" db migrate "$@"
}
# rows BEFORE DUMP: DUMP's rows (COPY blocks) and sequence values, cut to
# the tables and columns of the data dump BEFORE: a migration may add
# tables and columns, but no row or value that was there may change.
rows() {
	awk '
	function table(l,  a) { split(l, a, " "); return a[2] }
	function cols(l) { sub(/^COPY [^ ]+ \(/, "", l); sub(/\) FROM stdin;$/, "", l); return l }
	NR == FNR { if ($0 ~ /^COPY /) want[table($0)] = cols($0); next }
	/^COPY / {
		t = table($0); copying = 1; keep = t in want
		if (!keep) next
		n = split(cols($0), have, ", "); m = split(want[t], w, ", ")
		for (i = 1; i <= m; i++) { at[i] = 0; for (j = 1; j <= n; j++) if (have[j] == w[i]) at[i] = j }
		print "COPY " t " (" want[t] ") FROM stdin;"; next
	}
	copying && $0 == "\\." { copying = 0; if (keep) print; next }
	copying && keep {
		split($0, f, "\t"); l = f[at[1]]
		for (i = 2; i <= m; i++) l = l "\t" f[at[i]]
		print l; next
	}
	/^SELECT pg_catalog\.setval/ { print }' "$1" "$2"
}
old=hp_migrate_old new=hp_migrate_new
tmp=$(mktemp -d)
chmod 755 "$tmp"
cleanup() {
	rm -rf "$tmp"
	$RUNAS dropdb $pgc --if-exists "$old" 2>/dev/null
	$RUNAS dropdb $pgc --if-exists "$new" 2>/dev/null
}
trap cleanup EXIT
cleanup
mkdir -p "$tmp"
chmod 755 "$tmp"
$RUNAS createdb $pgc "$old" && $RUNAS createdb $pgc "$new" ||
    fail "databases for the migration test"

# The fixture as a database made by today's main holds it.
if gzip -dc "$TOP/tests/data/migrate/main.sql.gz" | pg -d "$old" >/dev/null 2>"$tmp/err"; then
	ok "the fixture of a pre-layout database restores"
else
	fail "the fixture restores" "$(cat "$tmp/err")"
fi
# Rows by table, whatever partition holds them (sql/027).
dump "$old" --data-only --load-via-partition-root \
    -T hookpost.schema_migrations \
    -T hookpost.schema_functions >"$tmp/data.before"
n=$(grep -c '^[0-9a-f]\{8\}-' "$tmp/data.before")
[ "$n" -gt 20 ] && ok "the fixture has rows ($n uuid-keyed)" ||
    fail "the fixture has rows" "$n"

# Migrated: 011 and every function file, in one run.
out=$(migrate "$old" 2>&1)
if [ $? = 0 ] && printf '%s\n' "$out" | grep -qx 'applied 011_functions_apart' &&
    printf '%s\n' "$out" | grep -qx 'applied functions/alerts'; then
	ok "db migrate takes the old database to the new layout"
else
	fail "db migrate of the old database" "$out"
fi
dump "$old" --data-only --load-via-partition-root \
    -T hookpost.schema_migrations \
    -T hookpost.schema_functions >"$tmp/data.after"
rows "$tmp/data.before" "$tmp/data.before" >"$tmp/rows.before"
rows "$tmp/data.before" "$tmp/data.after" >"$tmp/rows.after"
# Every row that was there is there unchanged; a migration may add rows
# (018: seed 003's event types join the catalog).
sort "$tmp/rows.before" >"$tmp/rows.before.s"
sort "$tmp/rows.after" >"$tmp/rows.after.s"
if [ -s "$tmp/rows.before" ] &&
    [ -z "$(comm -23 "$tmp/rows.before.s" "$tmp/rows.after.s")" ]; then
	ok "no row changed"
else
	fail "no row changed" "$(comm -23 "$tmp/rows.before.s" "$tmp/rows.after.s" | head -20)"
fi

# The same schema, functions included, as a database built fresh.
out=$(migrate "$new" 2>&1) || fail "db migrate of a fresh database" "$out"
dump "$old" --schema-only >"$tmp/schema.old"
dump "$new" --schema-only >"$tmp/schema.new"
if cmp -s "$tmp/schema.old" "$tmp/schema.new"; then
	ok "migrated and fresh databases have the same schema and functions"
else
	fail "same schema as a fresh database" "$(diff "$tmp/schema.old" "$tmp/schema.new" | head -30)"
fi
n=$(pg -d "$new" -At -c "SELECT count(*) FROM hookpost.schema_functions WHERE sha256 ~ '^[0-9a-f]{64}\$'")
want=$(ls "$TOP"/sql/functions/*.sql | wc -l)
[ "$n" = "$want" ] && ok "each function file's checksum is recorded ($n)" ||
    fail "function checksums recorded" "$n, want $want"

# Every function lives in one function file; the schema defines none but
# its data-derived constant and the placeholders its triggers attach to.
dups=$(cat "$TOP"/sql/functions/*.sql | grep -oiE '^create or replace (function|procedure) hookpost\.[a-z_0-9]+' |
    awk '{print tolower($NF)}' | sort | uniq -d)
[ -z "$dups" ] && ok "no function is defined in two function files" ||
    fail "functions defined twice" "$dups"
missing=
for f in $(pg -d "$new" -At -c "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'hookpost' AND p.proname <> 'replay_guard_horizon'"); do
	grep -qiE "^create or replace (function|procedure) hookpost\.$f\(" "$TOP"/sql/functions/*.sql ||
	    missing="$missing $f"
done
[ -z "$missing" ] && ok "every function of the database has its file" ||
    fail "functions without a file" "$missing"
n=$(grep -iE '^create (or replace )?(function|procedure)' "$TOP"/sql/[0-9]*.sql |
    grep -vciE 'source_detach_incidents|deliveries_queue_(ins|upd|del|truncate)\(')
[ "$n" = 0 ] && ok "schema files define no function bodies" ||
    fail "schema files define no function bodies" "$n"

# Twice is a no-op.
dump "$old" >"$tmp/all.before"
out=$(migrate "$old" 2>&1)
dump "$old" >"$tmp/all.after"
if [ "$out" = "up to date" ] && cmp -s "$tmp/all.before" "$tmp/all.after"; then
	ok "a second db migrate changes nothing and says so"
else
	fail "a second db migrate is a no-op" "$out $(diff "$tmp/all.before" "$tmp/all.after" | head)"
fi

# A changed function file is applied again, and its checksum follows.
cp -R "$TOP/sql" "$tmp/sql"
chmod -R a+rX "$tmp/sql"
sha() { pg -d "$old" -At -c "SELECT sha256 || ' ' || applied_at FROM hookpost.schema_functions WHERE name = '$1'"; }
audit0=$(sha audit) emit0=$(sha emit)
sed -i 's/^-- One audit row (refusals, and the trigger receiver)\./&  Edited./' "$tmp/sql/functions/audit.sql"
sed -i "s/^	INSERT INTO hookpost.webhook_requests (kind, source, source_id,\$/	PERFORM 'edited'; &/" "$tmp/sql/functions/audit.sql"
out=$(migrate "$old" --dir "$tmp/sql" 2>&1)
body=$(pg -d "$old" -At -c "SELECT prosrc LIKE '%PERFORM ''edited''%' FROM pg_proc WHERE proname = 'request_log'")
if [ "$out" = "applied functions/audit" ] && [ "$body" = t ] &&
    [ "$(sha audit)" != "$audit0" ] && [ "$(sha emit)" = "$emit0" ]; then
	ok "a changed function file is applied again; only its checksum changes"
else
	fail "a changed function file is applied again" "$out / $body"
fi

# A failing function file leaves the database as it was.
audit1=$(sha audit)
printf 'CREATE OR REPLACE FUNCTION hookpost.emit() RETURNS int LANGUAGE sql AS $$ SELECT nope $$;\n' \
    >>"$tmp/sql/functions/emit.sql"
sed -i "s/PERFORM 'edited'; //" "$tmp/sql/functions/audit.sql"
out=$(migrate "$old" --dir "$tmp/sql" 2>&1)
rc=$?
body=$(pg -d "$old" -At -c "SELECT prosrc LIKE '%PERFORM ''edited''%' FROM pg_proc WHERE proname = 'request_log'")
if [ "$rc" != 0 ] && printf '%s' "$out" | grep -q 'functions/emit.sql:' &&
    [ "$body" = t ] && [ "$(sha audit)" = "$audit1" ]; then
	ok "a failing function file: exit 1, its line named, nothing applied"
else
	fail "a failing function file rolls back" "rc $rc: $out / $body"
fi

# The settings hookpost ships (sql/postgresql.conf) are the cluster's.
n=$(psql_q "SELECT current_setting('jit') || ' ' || current_setting('max_wal_size') || ' ' || current_setting('checkpoint_timeout') || ' ' || current_setting('idle_in_transaction_session_timeout')")
[ "$n" = "off 2GB 15min 1min" ] && ok "the cluster runs with sql/postgresql.conf" || fail "the cluster runs with sql/postgresql.conf" "$n"
