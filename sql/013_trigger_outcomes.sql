-- hookpost schema, part 13 (issue 7): the trigger receiver's write returns
-- facts, an outcome with the event's id, and the handler alone makes HTTP
-- of them (sql/functions/triggers.sql, which makes it anew after this, in
-- the same transaction).  Its previous form answered with HTTP statuses
-- and bodies, and took the handler's refusal and handshake as bodies.
DROP FUNCTION IF EXISTS hookpost.trigger_receive(bigint, text, uuid, boolean,
    integer, integer, json, json, jsonb, jsonb, text, text, text, real, text,
    bigint);
