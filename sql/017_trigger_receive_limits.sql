-- hookpost schema, part 17 (issue 8): the trigger receiver's per-IP and
-- global rate limits, hookpost's own timestamped signature scheme for
-- triggers, and its replay guard.  sql/functions/triggers.sql makes the
-- receiver's functions anew after this, in the same transaction.

/*
 * seed 002 "Rate Limiting": per IP address 1,000 requests per minute,
 * global 10,000 per minute (HOOKPOST_TRIGGER_RATE_PER_IP,
 * HOOKPOST_TRIGGER_RATE_GLOBAL).  A count per clock minute, not a scan of
 * the audit log: at 10,000 a minute that scan would read up to 10,000
 * index entries per request.
 *
 * Each handler process's connection counts in rows of its own (backend:
 * its pg_backend_pid()), so no two requests ever wait on one counter row
 * (one hot row per minute would serialize every trigger request of the
 * host); the limit reads the sum of a minute's rows, one per process.
 * Past minutes are deleted by the receiver itself (trigger_rate_count).
 *
 * UNLOGGED: the counts are worth a minute; losing them in a crash only
 * starts the current minute afresh, and they cost no WAL per request.
 */
CREATE UNLOGGED TABLE hookpost.trigger_rate_counts (
	minute		bigint NOT NULL,	-- Unix time / 60, rounded down
	scope		text NOT NULL CHECK (scope IN ('ip', 'global')),
	subject		text NOT NULL,		-- the client address; '' global
	backend		integer NOT NULL,	-- the writer's pg_backend_pid()
	n		integer NOT NULL,
	PRIMARY KEY (minute, scope, subject, backend)
);

/*
 * The signature scheme of a trigger without a preset: 'timestamped'
 * (X-Webhook-Timestamp inside the MAC, 5 minutes, each signature accepted
 * once: seed 004's form) or 'body' (seed 002's HMAC of the body alone,
 * which a captured request replays).  Triggers made before this keep the
 * body scheme their senders sign with; new ones are timestamped.
 */
ALTER TABLE hookpost.triggers ADD COLUMN hmac_scheme text NOT NULL
	DEFAULT 'body' CHECK (hmac_scheme IN ('timestamped', 'body'));
ALTER TABLE hookpost.triggers ALTER COLUMN hmac_scheme
	SET DEFAULT 'timestamped';

/*
 * The replay guard of timestamped signatures: the MAC an event was
 * accepted with, unique per trigger, so a captured request sent again
 * inside its 5 minutes (with any unsigned header changed, a delivery id
 * too) finds the first event instead of making another.  Equal MACs have
 * equal timestamps, which the MAC covers.
 */
ALTER TABLE hookpost.trigger_events ADD COLUMN signature bytea;
CREATE UNIQUE INDEX trigger_events_signature ON hookpost.trigger_events
	(trigger_id, signature) WHERE signature IS NOT NULL;

-- The receiver's write and its limiter take the new limits and the
-- signature: their previous forms go (a function's arguments cannot be
-- changed in place).
DROP FUNCTION IF EXISTS hookpost.trigger_receive(bigint, text, uuid, boolean,
    integer, integer, integer, text, boolean, jsonb, jsonb, text, text, text,
    real, text, bigint, integer);
DROP FUNCTION IF EXISTS hookpost.trigger_rate_limited(uuid, integer, integer);
