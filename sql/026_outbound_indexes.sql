-- hookpost schema, part 26 (issue 13): the index diet of the outbound
-- hot tables.  Every index on deliveries, delivery_attempts,
-- delivery_queue and events is kept only for a query that runs; each one
-- is listed below with the query that uses it.
--
-- deliveries' updates are HOT again.  sql/010 kept on deliveries only
-- indexes of columns that never change, so that a claim and a result
-- (which change status, attempts, lease_until, updated_at...) write no
-- index entry; sql/015's deliveries_in_progress, (updated_at) WHERE
-- status = 'in_progress', undid that: every update of a delivery changed
-- a column it covers, so none was HOT and each claim and each result
-- wrote a new entry into all six indexes of the table.  Measured on the
-- claim + finish of 20,000 deliveries: about 25 us of PostgreSQL CPU per
-- delivery of the 95 spent.  The only reader of that index,
-- hookpost.deliveries_expire, now finds the deliveries waiting for a
-- callback in hookpost.delivery_callback_waits below, which holds one
-- row per in_progress delivery and is written only when a delivery
-- enters or leaves that state.

-- No delivery may change between the fill below and the triggers that
-- keep the new table (sql/functions/deliveries.sql): writers of
-- deliveries wait for this migration (readers don't).
LOCK TABLE hookpost.deliveries IN EXCLUSIVE MODE;

-- One row per delivery in_progress (an async answer, waiting for its
-- receiver's callback): since is the delivery's updated_at, the time of
-- the receiver's last word.  Kept exact by the triggers and statements
-- that keep delivery_queue (sql/functions/deliveries.sql).
CREATE TABLE hookpost.delivery_callback_waits (
	-- Used by the triggers and deliveries_finish (by delivery).
	delivery_id	uuid PRIMARY KEY,
	since		timestamptz NOT NULL
);
-- deliveries_expire: the oldest waits first, those past the TTL only.
CREATE INDEX delivery_callback_waits_since
	ON hookpost.delivery_callback_waits (since);
INSERT INTO hookpost.delivery_callback_waits (delivery_id, since)
SELECT id, updated_at FROM hookpost.deliveries
WHERE status = 'in_progress';

DROP INDEX hookpost.deliveries_in_progress;

-- events.created_at is read by one statement only: hookpost-cleanup's
-- deletion of events past their retention (cron/cleanup.c sql_events,
-- created_at < now() - N days).  Events are appended in time order and
-- never updated, so a BRIN index finds that range for a few pages'
-- cost, where the B-tree added a write to every emit.
DROP INDEX hookpost.events_time;
CREATE INDEX events_created_brin ON hookpost.events
	USING brin (created_at) WITH (autosummarize = on);

-- What stays, and the query each index is for:
--
-- deliveries
--   deliveries_pkey (id): every statement by delivery (claim, finish,
--     expire, the delivery routes and the callback route).
--   deliveries_page (created_at DESC, id DESC): the delivery lists
--     (GET /admin/webhooks/deliveries, /api/integrations/webhooks/
--     deliveries; handlers/outbound/delivery.c delivery_list), newest
--     first with a cursor; and hookpost-cleanup's deletion of old
--     deliveries (created_at < now() - N days).
--   deliveries_subscription (subscription_id, created_at DESC): the same
--     lists filtered by subscription, and an integration's deliveries
--     (handlers/outbound/integration.c integ_delivery_list).
--   deliveries_owner_recent (owner_id, created_at): hookpost.emit's
--     per-owner quota (the owner's deliveries of the last minute), the
--     owner-scoped lists, and GET /api/stats for an owner (stats.sql).
--   deliveries_object (subscription_id, object_key, created_at, id)
--     WHERE object_key IS NOT NULL: the claim's "an older delivery of the
--     same object is not done" test and the finish's wake-up of the
--     object's next delivery (sql/019, deliveries.sql).
-- All of them cover columns set at insert and never changed: a claim's
-- and a result's update stays HOT (fillfactor 70, sql/010).
--
-- delivery_queue
--   delivery_queue_due (due_at): the claim (due_at <= now() ORDER BY
--     due_at LIMIT n).
--   delivery_queue_pkey (delivery_id): the claim's lease, the finish's
--     requeue and removal, the triggers.
--
-- delivery_attempts
--   delivery_attempts_delivery (delivery_id, attempt): a delivery's
--     attempts (GET .../deliveries/:id, the webhook integration's list),
--     the finish's completion of a cut_off try, the deletion trigger,
--     GET /api/stats for an owner.
--   delivery_attempts_started_brin (started_at): GET /api/stats for an
--     admin (sql/021).
--   delivery_attempts_pkey (id): hookpost-cleanup's deletion of orphaned
--     attempts (DELETE ... WHERE id IN (...)).
--
-- events
--   events_pkey (id): the claim's join to the payload, GET
--     .../deliveries/:id.
--   events_created_brin (created_at): hookpost-cleanup, above.
