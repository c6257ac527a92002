-- hookpost schema, part 19 (issue 10, seed 003): one ticket per object.
-- A ticketing integration (Jira, ServiceNow) keeps one ticket per object
-- (a finding, an incident): its first event opens it, later ones comment
-- on it, a resolution resolves it and a recurrence reopens it.  The
-- connector finds the ticket at the service itself, by a label or a
-- correlation id it put there, so a worker killed between creating a
-- ticket and recording it never opens a second one; this table is the
-- record of what it found or made, shown by the API
-- (GET /api/integrations/:id/tickets), written by
-- hookpost.deliveries_finish from each result that names a ticket.
CREATE TABLE hookpost.integration_tickets (
	subscription_id	uuid NOT NULL REFERENCES hookpost.subscriptions (id)
			ON DELETE CASCADE,
	object_key	text NOT NULL CHECK (length(object_key) <= 256),
	ref		text NOT NULL CHECK (length(ref) <= 256),
	ref_id		text CHECK (length(ref_id) <= 256),
	url		text CHECK (length(url) <= 1024),
	state		text NOT NULL DEFAULT 'open'
			CHECK (state ~ '^[a-z_]{1,32}$'),
	last_delivery_id uuid,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (subscription_id, object_key)
);
CREATE INDEX integration_tickets_page ON hookpost.integration_tickets
	(subscription_id, updated_at DESC);

/*
 * One delivery per object at a time, oldest first, for a ticketing
 * integration (its connector's .tickets; serial_objects is set by the API
 * from it): two events of one object sent at once, by one worker or by
 * workers on two hosts, would each find no ticket and each open one, and
 * a resolution could overtake the create it resolves while that waits
 * for a retry.  deliveries_claim leaves a delivery while an older one of
 * its integration and object is pending or sending.
 * deliveries.object_key: the event's object (hookpost.object_key()),
 * kept for integrations' deliveries (NULL for seed 000's), the key of
 * that rule and of integration_tickets.
 */
ALTER TABLE hookpost.subscriptions ADD COLUMN serial_objects boolean
	NOT NULL DEFAULT false;
ALTER TABLE hookpost.deliveries ADD COLUMN object_key text;
ALTER TABLE hookpost.deliveries ADD CONSTRAINT deliveries_object_key_length
	CHECK (length(object_key) <= 256) NOT VALID;
-- Columns that never change: the deliveries' updates stay HOT (sql/010).
CREATE INDEX deliveries_object ON hookpost.deliveries
	(subscription_id, object_key, created_at, id)
	WHERE object_key IS NOT NULL;
-- The claim's result gains columns (made anew by deliveries.sql).
DROP FUNCTION IF EXISTS hookpost.deliveries_claim(uuid, integer, integer);
