-- hookpost schema, part 12 (issue 7): the receiver's store returns facts,
-- an outcome with its ids, and the handler alone makes HTTP of them
-- (sql/functions/alerts.sql).  The functions whose results change are
-- dropped here and made anew by alerts.sql, after this, in the same
-- transaction: their previous forms answered with HTTP statuses and
-- bodies.
DROP FUNCTION IF EXISTS hookpost.alert_accept(uuid, text, text, bigint,
    text, text, text, real, text, bigint, text, text, text, text, text,
    jsonb, jsonb, jsonb, text, integer, jsonb, text, timestamptz);
DROP FUNCTION IF EXISTS hookpost.alert_queue(uuid, text, text, bigint,
    text, text, text, real, text, bigint, text);
DROP FUNCTION IF EXISTS hookpost.alert_replay(text, uuid, text, text, real,
    text, bigint, integer, jsonb);
DROP FUNCTION IF EXISTS hookpost.alert_result(hookpost.webhook_requests);
DROP FUNCTION IF EXISTS hookpost.alert_prior(uuid, bigint, text);
