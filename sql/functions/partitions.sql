-- Day partitions (issue 13): an append-only table range-partitioned by
-- UTC day on a timestamptz column, so that its retention is a partition
-- drop instead of a row DELETE.  Used by hookpost.delivery_attempts
-- (sql/027, on started_at: attempts.sql) and hookpost.webhook_requests
-- (sql/029, on received_at: audit.sql).  Each day's partition is named
-- <table>_pYYYYMMDD, beside the DEFAULT partition <table>_default, which
-- takes any row no day's partition covers, so an insert never fails for
-- a missing partition.  Partitions of other names are an operator's, and
-- left alone.
--
-- These are the mechanics both tables share: making a day, making the
-- days ahead, finding the days past a cut.  What may be dropped is each
-- table's own rule, in its own file.  p_table is a table of schema
-- hookpost, p_column its partition key.

/*
 * Makes day p_day's partition of p_table unless it exists: true if made.
 * The default partition's rows of that day move into it first (attaching
 * a range the default partition holds rows of would fail).
 */
CREATE OR REPLACE FUNCTION hookpost.day_partition_add(p_table text,
	p_column text, p_day date)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	part	text := p_table || '_p' || to_char(p_day, 'YYYYMMDD');
	lo	timestamptz := p_day::timestamp AT TIME ZONE 'UTC';
	hi	timestamptz := (p_day + 1)::timestamp AT TIME ZONE 'UTC';
BEGIN
	IF to_regclass(format('hookpost.%I', part)) IS NOT NULL THEN
		RETURN false;
	END IF;
	-- Made apart, then attached: ATTACH locks the parent in SHARE
	-- UPDATE EXCLUSIVE mode only, so the writers go on while it checks
	-- the default partition (CREATE ... PARTITION OF would lock them
	-- out).  The parent's indexes follow on ATTACH.
	EXECUTE format('CREATE TABLE hookpost.%I (LIKE hookpost.%I'
	    ' INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part, p_table);
	EXECUTE format('WITH moved AS (DELETE FROM hookpost.%I'
	    ' WHERE %I >= $1 AND %I < $2 RETURNING *)'
	    ' INSERT INTO hookpost.%I SELECT * FROM moved',
	    p_table || '_default', p_column, p_column, part) USING lo, hi;
	EXECUTE format('ALTER TABLE hookpost.%I ATTACH PARTITION hookpost.%I'
	    ' FOR VALUES FROM (%L) TO (%L)', p_table, part, lo, hi);
	RETURN true;
END $$;

/*
 * The partitions of today (UTC) and the p_ahead days after it, made
 * where missing: returns how many were made.  Takes p_table's partition
 * lock, an advisory lock held until the transaction ends, so that the
 * upkeep of one table runs one at a time: two runs at once take turns.
 */
CREATE OR REPLACE FUNCTION hookpost.day_partitions_make(p_table text,
	p_column text, p_ahead integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
	today	date := (now() AT TIME ZONE 'UTC')::date;
	made	integer := 0;
BEGIN
	PERFORM pg_advisory_xact_lock(hashtext('hookpost.' || p_table ||
	    '_partitions'));
	FOR i IN 0 .. greatest(p_ahead, 0) LOOP
		IF hookpost.day_partition_add(p_table, p_column, today + i) THEN
			made := made + 1;
		END IF;
	END LOOP;
	RETURN made;
END $$;

/*
 * The day partitions of p_table whose whole day ended at or before
 * p_cut, oldest first, with their day's range [lo, hi): the ones a
 * retention may drop.
 */
CREATE OR REPLACE FUNCTION hookpost.day_partitions_past(p_table text,
	p_cut timestamptz)
RETURNS TABLE (part text, lo timestamptz, hi timestamptz)
LANGUAGE sql STABLE AS $$
	SELECT d.relname, d.day::timestamp AT TIME ZONE 'UTC',
	    (d.day + 1)::timestamp AT TIME ZONE 'UTC'
	FROM (SELECT c.relname::text AS relname,
	          to_date(right(c.relname, 8), 'YYYYMMDD') AS day
	      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
	      WHERE i.inhparent = format('hookpost.%I', p_table)::regclass
	        AND c.relname ~ ('^' || p_table || '_p[0-9]{8}$')) d
	WHERE (d.day + 1)::timestamp AT TIME ZONE 'UTC' <= p_cut
	ORDER BY d.day
$$;

-- The partitions of every day-partitioned table, today's and the next 3
-- days' (as hookpost-cleanup makes them), on every migrate: a fresh
-- install has them before its first row.  Here, after attempts.sql and
-- audit.sql, whose functions these are.
SELECT hookpost.attempts_partitions(NULL, 3);
SELECT hookpost.audit_partitions(NULL, 3);
