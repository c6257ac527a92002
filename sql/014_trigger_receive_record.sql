-- hookpost schema, part 14 (issue 7): the trigger receiver's write answers
-- one record of OUT parameters instead of a set (RETURNS TABLE), which
-- cost a tuplestore and a RETURN QUERY per request.  A function's result
-- type cannot be replaced in place: the set-returning form made by 013's
-- functions goes, and sql/functions/triggers.sql makes the new one after
-- this, in the same transaction.
DROP FUNCTION IF EXISTS hookpost.trigger_receive(bigint, text, uuid, boolean,
    integer, integer, integer, text, boolean, jsonb, jsonb, text, text, text,
    real, text, bigint, integer);
