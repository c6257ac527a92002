-- hookpost schema, part 11: functions live apart from the schema.  The
-- numbered files are the tables, indexes and data moves, applied once;
-- every function is defined once, in sql/functions/<noun>.sql, which
-- `hookpost db migrate` applies after them on every run (CREATE OR
-- REPLACE, checksums in hookpost.schema_functions).  A database migrated
-- before this layout keeps the bodies its migrations left; the function
-- files replace them.  Left over are the shims that no caller uses: 001's
-- signatures of alert_accept and alert_queue, which 007 kept as wrappers,
-- and 001's per-request counter, idle since 007 derives the counters from
-- the audit log.
DROP FUNCTION IF EXISTS hookpost.alert_accept(uuid, text, text, text, text,
    real, text, bigint, text, text, text, text, text, text[], jsonb, jsonb,
    text, integer, jsonb, text, timestamptz);
DROP FUNCTION IF EXISTS hookpost.alert_queue(uuid, text, text, text, text,
    real, text, bigint, text);
DROP FUNCTION IF EXISTS hookpost.metric_inc(text, text);
