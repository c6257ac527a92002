-- hookpost schema, part 15 (issue 8): an async delivery waits for its
-- receiver's callback at most HOOKPOST_CALLBACK_TTL (seed 000: "active
-- records expire after 4 hours"); hookpost.deliveries_expire
-- (sql/functions/deliveries.sql) fails the ones past it.  Its scan reads
-- only the in_progress rows, oldest word first.
CREATE INDEX deliveries_in_progress ON hookpost.deliveries (updated_at)
	WHERE status = 'in_progress';

