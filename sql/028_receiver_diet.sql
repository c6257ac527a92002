-- hookpost schema, part 28 (issue 13): the receivers' PostgreSQL work per
-- accepted request, cut down.  sql/functions/*.sql make the functions
-- anew after this, in the same transaction.

-- The trigger limiter is two functions now, each run only when its limit
-- is on (trigger_key_limited, trigger_flood: triggers.sql).
DROP FUNCTION IF EXISTS hookpost.trigger_rate_limited(text, uuid, boolean,
	integer, integer, text, integer, integer);

-- The count is taken with the check (trigger_flood, triggers.sql).
DROP FUNCTION IF EXISTS hookpost.trigger_rate_count(text, boolean, boolean);

/*
 * CHECK constraints become domains on the tables every accepted request
 * writes.  PostgreSQL reads a table's CHECK expressions from the catalog
 * and plans them again in every statement that writes a row (stringToNode
 * and expression_planner per constraint): about 50,000 instructions a
 * constraint, a seventh of the alert receiver's whole statement.  A
 * domain's check is planned once per connection (the type cache) and only
 * evaluated per row.  The same values are refused, by the domain's
 * constraint instead of the table's.
 */
CREATE DOMAIN hookpost.severity AS text
	CONSTRAINT severity_check
	CHECK (VALUE IN ('critical', 'high', 'medium', 'low', 'info'));
CREATE DOMAIN hookpost.incident_status AS text
	CONSTRAINT incident_status_check
	CHECK (VALUE IN ('new', 'triaged', 'investigating', 'suppressed',
	    'resolved', 'closed'));
CREATE DOMAIN hookpost.delivery_ref AS text
	CONSTRAINT delivery_ref_check CHECK (length(VALUE) <= 256);

ALTER TABLE hookpost.incidents
	DROP CONSTRAINT incidents_severity_check,
	DROP CONSTRAINT incidents_status_check,
	ALTER COLUMN severity TYPE hookpost.severity,
	ALTER COLUMN status TYPE hookpost.incident_status;
ALTER TABLE hookpost.trigger_events
	DROP CONSTRAINT trigger_events_delivery_id_check,
	ALTER COLUMN delivery_id TYPE hookpost.delivery_ref;
-- Written by trigger_receive alone, with the two scopes it names.
ALTER TABLE hookpost.trigger_rate_counts
	DROP CONSTRAINT trigger_rate_counts_scope_check;
