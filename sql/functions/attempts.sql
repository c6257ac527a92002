-- The partitions of hookpost.delivery_attempts (sql/027): one per UTC
-- day of started_at, made, found and named by the day partitions'
-- functions (partitions.sql); what of them may be dropped is here.

/*
 * Partition upkeep and retention of the attempts, run by hookpost-cleanup
 * (with its -d) and by migrate (p_keep_days NULL: makes, never drops).
 *
 * Makes the partitions of today (UTC) and the p_ahead_days after it
 * (day_partitions_make).
 *
 * Retention, with p_keep_days: a day's partition is dropped once the
 * whole day is older than p_keep_days days (and than an hour: the
 * writers' times are at most a lease old), so no attempt goes before
 * its day has been past retention; an attempt of a delivery gone
 * earlier (deleted, or its subscription deleted) stays until then.
 * The attempts in it whose delivery is still kept (a delivery retried by
 * hand, or still pending, can be older than retention) are not dropped:
 * they move to the default partition, and stay as long as their
 * delivery.  The default partition's attempts older than p_keep_days
 * days whose delivery is gone are deleted, rows there being few: the
 * attempts kept so, those from before sql/027 and any started_at outside
 * the days made.
 *
 * Locks: the days to drop are searched for attempts of kept deliveries
 * with no lock that stops a writer; then the table is locked (ACCESS
 * EXCLUSIVE, as the drop needs it anyway, and parent first, as every
 * writer takes them) and each day is counted again: a day a writer
 * added to meanwhile (a result for a send started that long ago) is
 * searched again under the lock, so none is lost.  The table stays
 * locked for the counts and drops only, until the caller's transaction
 * ends: hookpost-cleanup runs this as a statement of its own.
 *
 * Returns the partitions made and dropped, the attempts moved to the
 * default partition, and those deleted from it.  Runs one at a time
 * (day_partitions_make's lock): two runs at once take turns.
 */
CREATE OR REPLACE FUNCTION hookpost.attempts_partitions(p_keep_days integer,
	p_ahead_days integer,
	OUT created integer, OUT dropped integer, OUT kept bigint,
	OUT deleted bigint)
LANGUAGE plpgsql
-- The drop waits for the readers of the table, and those behind it for
-- the drop: better give up and drop at the next run.
SET lock_timeout = '10s'
AS $$
DECLARE
	cut	timestamptz;
	parts	text[];
	los	timestamptz[];
	his	timestamptz[];
	counts	bigint[];
	live	hookpost.delivery_attempts[] := '{}';
	found	hookpost.delivery_attempts[];
	n	bigint;
	search	constant text := 'SELECT count(*), array_agg(ROW(a.*)::'
	    'hookpost.delivery_attempts) FILTER (WHERE EXISTS (SELECT 1'
	    ' FROM hookpost.deliveries d WHERE d.id = a.delivery_id))'
	    ' FROM hookpost.%I a';
BEGIN
	created := hookpost.day_partitions_make('delivery_attempts',
	    'started_at', p_ahead_days);
	dropped := 0;
	kept := 0;
	deleted := 0;
	IF p_keep_days IS NULL THEN
		RETURN;
	END IF;
	cut := least(now() - make_interval(days => p_keep_days),
	    now() - interval '1 hour');

	DELETE FROM hookpost.delivery_attempts_default a
	WHERE a.started_at < cut
	  AND NOT EXISTS (SELECT 1 FROM hookpost.deliveries d
	      WHERE d.id = a.delivery_id);
	GET DIAGNOSTICS n = ROW_COUNT;
	deleted := n;

	SELECT array_agg(p.part ORDER BY p.lo), array_agg(p.lo ORDER BY p.lo),
	    array_agg(p.hi ORDER BY p.lo)
	INTO parts, los, his
	FROM hookpost.day_partitions_past('delivery_attempts', cut) p;
	IF parts IS NULL THEN
		RETURN;
	END IF;
	counts := array_fill(0::bigint, ARRAY[cardinality(parts)]);
	FOR i IN 1 .. cardinality(parts) LOOP
		EXECUTE format(search, parts[i]) INTO n, found;
		counts[i] := n;
		live := live || coalesce(found, '{}');
	END LOOP;

	LOCK TABLE hookpost.delivery_attempts IN ACCESS EXCLUSIVE MODE;
	FOR i IN 1 .. cardinality(parts) LOOP
		EXECUTE format('SELECT count(*) FROM hookpost.%I', parts[i])
		    INTO n;
		IF n <> counts[i] THEN
			-- Written to since the search: searched again, the
			-- rows found before replaced.
			live := ARRAY(SELECT x FROM unnest(live) x
			    WHERE x.started_at < los[i]
			      OR x.started_at >= his[i]);
			EXECUTE format(search, parts[i]) INTO n, found;
			live := live || coalesce(found, '{}');
		END IF;
		EXECUTE format('DROP TABLE hookpost.%I', parts[i]);
		dropped := dropped + 1;
	END LOOP;
	-- Their days' ranges are free now: they land in the default
	-- partition.
	INSERT INTO hookpost.delivery_attempts SELECT * FROM unnest(live);
	kept := cardinality(live);
END $$;
