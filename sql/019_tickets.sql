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
