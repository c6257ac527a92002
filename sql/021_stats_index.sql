-- hookpost schema, part 21 (issue 11): the console's health charts read
-- the last hours of delivery attempts (GET /api/stats, stats.sql).
-- Attempts are appended in time order and never updated, so a BRIN
-- index on started_at finds a time range for a few pages' cost, where a
-- B-tree would add a write to every attempt on the hot path; autosummarize
-- keeps new pages summarized without waiting for a vacuum.
CREATE INDEX delivery_attempts_started_brin ON hookpost.delivery_attempts
	USING brin (started_at) WITH (autosummarize = on);
