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
dump "$old" --data-only -T hookpost.schema_migrations \
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
dump "$old" --data-only -T hookpost.schema_migrations \
    -T hookpost.schema_functions >"$tmp/data.after"
# The fixture's rows, in its tables and columns: later schema files add
# tables and columns (sql/016 triggers.owner_id), which the fixture's
# rows do not have.
fixture_rows() {	# BEFORE DUMP: DUMP's rows cut to BEFORE's tables and columns
	awk '
	function cols(line, out,   s) {
		s = substr(line, index(line, "(") + 1)
		s = substr(s, 1, index(s, ")") - 1)
		return split(s, out, ", ")
	}
	FNR == NR { if (/^COPY /) { split($0, w, " "); hdr[w[2]] = $0 } next }
	/^COPY / {
		split($0, w, " ")
		if (!(w[2] in hdr)) next
		na = cols($0, a); nb = cols(hdr[w[2]], b)
		for (j = 1; j <= nb; j++) {
			idx[j] = 0
			for (i = 1; i <= na; i++) if (a[i] == b[j]) idx[j] = i
		}
		print hdr[w[2]]; copying = 1; next
	}
	/^\\\.$/ { if (copying) print; copying = 0; next }
	copying {
		n = split($0, f, "\t"); out = ""
		for (j = 1; j <= nb; j++)
			out = out (j > 1 ? "\t" : "") (idx[j] ? f[idx[j]] : "(gone)")
		print out
	}' "$1" "$2"
}
fixture_rows "$tmp/data.before" "$tmp/data.before" >"$tmp/rows.before"
fixture_rows "$tmp/data.before" "$tmp/data.after" >"$tmp/rows.after"
if [ -s "$tmp/rows.before" ] && cmp -s "$tmp/rows.before" "$tmp/rows.after"; then
	ok "no row changed"
else
	fail "no row changed" "$(diff "$tmp/rows.before" "$tmp/rows.after" | head -20)"
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
