-- hookpost schema, part 15 (issue 8): an async delivery waits for its
-- receiver's callback at most HOOKPOST_CALLBACK_TTL (seed 000: "active
-- records expire after 4 hours"); hookpost.deliveries_expire
-- (sql/functions/deliveries.sql) fails the ones past it.  Its scan reads
-- only the in_progress rows, oldest word first.
CREATE INDEX deliveries_in_progress ON hookpost.deliveries (updated_at)
	WHERE status = 'in_progress';

-- The counter of expired deliveries is shown from the start (0), so an
-- alert on its rate has a series before the first expiry.
INSERT INTO hookpost.metric_counters (metric, labels, shard, value)
VALUES ('webhook_deliveries_expired_total', 'reason="callback_timeout"', 0, 0)
ON CONFLICT DO NOTHING;
