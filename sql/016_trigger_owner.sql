-- hookpost schema, part 16 (issue 8, seed 002): triggers have owners, and
-- disabling a trigger's webhooks removes its keys.
--
-- seed 002 "Multi-Tenancy Ready: Webhook keys can be scoped to
-- identities/organizations": a trigger, and so its keys and events,
-- belongs to an owner (api_tokens.owner_id, as outbound subscriptions
-- do).  A user token manages its owner's triggers only; NULL is no
-- owner: only admins manage it, as every trigger was managed before.
ALTER TABLE hookpost.triggers ADD COLUMN owner_id text
	CHECK (owner_id IS NULL OR length(owner_id) BETWEEN 1 AND 128);
CREATE INDEX triggers_owner ON hookpost.triggers (owner_id, id)
	WHERE owner_id IS NOT NULL;

-- seed 002 "Disable webhooks -> verify key removed": from now on a
-- disabled trigger has no active key (sql/functions/triggers.sql,
-- trigger_webhook_disable), so the keys of triggers disabled before go
-- the same way.  The rows stay, revoked, for the audit trail.
UPDATE hookpost.trigger_keys k SET revoked_at = now()
FROM hookpost.triggers t
WHERE t.id = k.trigger_id AND NOT t.webhook_enabled AND k.revoked_at IS NULL;

-- Functions whose arguments or result change; sql/functions/triggers.sql
-- makes their new forms after this, in the same transaction.
DROP FUNCTION IF EXISTS hookpost.trigger_create(text, text, json, json, text);
DROP FUNCTION IF EXISTS hookpost.trigger_webhook_enable(bigint, text, text);
