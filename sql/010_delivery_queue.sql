-- hookpost schema, part 10: the delivery worker's queue leaves the
-- deliveries table.
--
-- Every delivery is updated at least twice (claimed, then finished), and
-- each update changed a column that an index of deliveries covers:
-- status (in the predicates of deliveries_due, _lease and _terminal),
-- next_attempt_at, lease_until, completed_at.  So no update could be HOT
-- and each wrote a new entry into all seven indexes, and each attempt's
-- foreign key locked its delivery once more: measured, two thirds of the
-- database's work per delivery.
--
-- Now the work to do lives in hookpost.delivery_queue, one small row per
-- delivery still pending or sending: due_at is next_attempt_at while
-- pending and lease_until while sending, so an expired lease is simply
-- due again.  Triggers on deliveries keep it exact whoever writes
-- deliveries (emit, the worker, the retry and callback routes, cleanup,
-- an operator's UPDATE), and deliveries keeps only indexes on columns
-- that never change: its updates are HOT.  delivery_attempts loses its
-- foreign key the same way 007 took incidents' (the deletion trigger
-- below removes a delivery's attempts, as ON DELETE CASCADE did).

-- No delivery may change between the queue's fill below and the
-- triggers that keep it: writers of deliveries wait for this migration
-- (readers don't).
LOCK TABLE hookpost.deliveries IN EXCLUSIVE MODE;

CREATE TABLE hookpost.delivery_queue (
	delivery_id	uuid PRIMARY KEY,
	due_at		timestamptz NOT NULL
) WITH (fillfactor = 70);
CREATE INDEX delivery_queue_due ON hookpost.delivery_queue (due_at);

-- The data move: each pending or sending delivery's queue row, due as
-- hookpost.delivery_due() (sql/functions/deliveries.sql) says.
INSERT INTO hookpost.delivery_queue (delivery_id, due_at)
SELECT id, CASE status WHEN 'pending' THEN next_attempt_at
    ELSE coalesce(lease_until, next_attempt_at) END
FROM hookpost.deliveries WHERE status IN ('pending', 'sending');

-- Triggers on deliveries keep the queue exact from here on; they are
-- attached beside their functions, in sql/functions/deliveries.sql.

ALTER TABLE hookpost.delivery_attempts
	DROP CONSTRAINT delivery_attempts_delivery_id_fkey;
DROP INDEX hookpost.deliveries_due;
DROP INDEX hookpost.deliveries_lease;
DROP INDEX hookpost.deliveries_terminal;
-- Made by 006 as it was first written; unused, and without
-- deliveries_due a scan of every delivery.
DROP FUNCTION IF EXISTS hookpost.deliveries_next_due();
-- Room on each page for the new versions of its rows (HOT).
ALTER TABLE hookpost.deliveries SET (fillfactor = 70);
