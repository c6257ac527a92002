-- hookpost schema, part 27 (issue 13): delivery_attempts partitioned by
-- day, so that its retention is a partition drop instead of a DELETE.
--
-- Attempts are appended in time order and never read but by delivery or
-- by time.  Their retention was a row DELETE: the deletion trigger on
-- deliveries removed a delivery's attempts with it, one index probe and
-- one dead row each, and hookpost-cleanup scanned the whole table for
-- attempts whose delivery was gone.  Now the table is range-partitioned
-- on started_at, one partition per UTC day (delivery_attempts_pYYYYMMDD),
-- and hookpost-cleanup drops a day's partition once the whole day is
-- older than its -d retention (hookpost.attempts_partitions(),
-- sql/functions/attempts.sql, says exactly when, and what becomes of the
-- attempts of a delivery still kept).
--
-- Daily, not monthly: retention is set in days (-d, default 7), so a day
-- is the finest step a drop can keep; a monthly partition would keep up
-- to a month of attempts past a 7-day retention.  The count stays
-- bounded: the retention's days, today, the days made ahead (3) and the
-- DEFAULT partition, about a dozen at the default -d 7.  A query by time
-- (GET /api/stats) reads only the partitions of its window; one by
-- delivery (the listings) probes each partition's small index.
--
-- The DEFAULT partition takes any row no day's partition covers, so an
-- insert never fails for a missing partition: here, every attempt
-- already on record; later, a started_at outside the days made ahead, or
-- the attempts of a delivery still kept when their day is dropped.
-- hookpost.attempts_partitions() moves the rows of a day into that day's
-- partition when it makes it (migrate makes today's, so today's rows
-- move at once), and removes the default partition's rows past retention
-- whose delivery is gone.
--
-- The primary key must hold the partition key: (id, started_at).  id is
-- still drawn from the same sequence, so it stays unique by itself; no
-- statement looks an attempt up by id alone (hookpost-cleanup's orphan
-- DELETE ... WHERE id IN (...) was the only one, and is gone).
--
-- The copy holds the table locked: the workers' results wait for it (a
-- about 5 s per million attempts, measured on a 2-core machine); readers
-- wait too.
LOCK TABLE hookpost.delivery_attempts IN ACCESS EXCLUSIVE MODE;

ALTER TABLE hookpost.delivery_attempts
	RENAME TO delivery_attempts_unpartitioned;
ALTER INDEX hookpost.delivery_attempts_pkey
	RENAME TO delivery_attempts_unpartitioned_pkey;
ALTER INDEX hookpost.delivery_attempts_delivery
	RENAME TO delivery_attempts_unpartitioned_delivery;
ALTER INDEX hookpost.delivery_attempts_started_brin
	RENAME TO delivery_attempts_unpartitioned_started_brin;
-- The ids go on from where they were.
ALTER SEQUENCE hookpost.delivery_attempts_id_seq OWNED BY NONE;

-- The columns in the same order as before (sql/003, 022): a row's text
-- form and SELECT * stay as they were.  kind's constraint is now
-- validated: every row has the default or a value it allowed.
CREATE TABLE hookpost.delivery_attempts (
	id		bigint NOT NULL
			DEFAULT nextval('hookpost.delivery_attempts_id_seq'),
	delivery_id	uuid NOT NULL,
	attempt		integer NOT NULL,
	started_at	timestamptz NOT NULL DEFAULT now(),
	status_code	integer,
	response_ms	real,
	error		text,
	response_body	text CHECK (length(response_body) <= 4096),
	claim_id	uuid,
	kind		text NOT NULL DEFAULT 'sent'
			CONSTRAINT delivery_attempts_kind
			CHECK (kind IN ('sent', 'cut_off', 'not_sent')),
	PRIMARY KEY (id, started_at)
) PARTITION BY RANGE (started_at);
ALTER SEQUENCE hookpost.delivery_attempts_id_seq
	OWNED BY hookpost.delivery_attempts.id;
CREATE TABLE hookpost.delivery_attempts_default
	PARTITION OF hookpost.delivery_attempts DEFAULT;

INSERT INTO hookpost.delivery_attempts (id, delivery_id, attempt,
    started_at, status_code, response_ms, error, response_body, claim_id,
    kind)
SELECT id, delivery_id, attempt, started_at, status_code, response_ms,
    error, response_body, claim_id, kind
FROM hookpost.delivery_attempts_unpartitioned;
DROP TABLE hookpost.delivery_attempts_unpartitioned;

-- The indexes, on every partition (made after the copy: cheaper than
-- kept during it).  The queries each one serves:
--   delivery_attempts_pkey (id, started_at): none; a row's identity
--     (the key a partitioned table can have).
--   delivery_attempts_delivery (delivery_id, attempt): a delivery's
--     attempts (GET .../deliveries/:id, the webhook integration's list),
--     the finish's completion of a cut_off try, GET /api/stats for an
--     owner.
--   delivery_attempts_started_brin (started_at): GET /api/stats for an
--     admin (sql/021), within the partitions of its window; the move of
--     a day's rows out of the default partition.
CREATE INDEX delivery_attempts_delivery ON hookpost.delivery_attempts
	(delivery_id, attempt);
CREATE INDEX delivery_attempts_started_brin ON hookpost.delivery_attempts
	USING brin (started_at) WITH (autosummarize = on);

-- Each day's partition is made by hookpost.attempts_partitions()
-- (sql/functions/attempts.sql), which migrate runs after this file: today
-- and 3 days ahead.
