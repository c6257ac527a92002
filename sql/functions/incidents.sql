-- Incidents (seed 004): their numbers and ids, creation, merging of
-- alerts, incident.* events, and the source reference that replaces a
-- foreign key (sql/007_fast_ingest.sql).

/*
 * Incident numbers, INC-YYYY-NNNN: the year (UTC) and the next value of
 * that year's sequence, made by the year's first incident.  Unique and
 * never a locked row; wider numbers simply grow (INC-2026-10000).  The
 * receiver's fast statement (handlers/sources/receive.c) and the functions
 * below take numbers only through these.
 */
CREATE OR REPLACE FUNCTION hookpost.incident_year() RETURNS integer
LANGUAGE sql STABLE AS $$
	SELECT extract(year FROM now() AT TIME ZONE 'UTC')::integer
$$;

CREATE OR REPLACE FUNCTION hookpost.incident_seq_name(p_year integer)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT 'hookpost.incident_seq_' || p_year::text
$$;

-- The year's sequence; NULL until the year's first incident made it.
CREATE OR REPLACE FUNCTION hookpost.incident_seq(p_year integer)
RETURNS regclass LANGUAGE sql STABLE AS $$
	SELECT to_regclass(hookpost.incident_seq_name(p_year))
$$;

-- The next number of the year, making the year's sequence if need be.
CREATE OR REPLACE FUNCTION hookpost.incident_number_next() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	y	integer := hookpost.incident_year();
BEGIN
	IF hookpost.incident_seq(y) IS NULL THEN
		BEGIN
			EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %s',
			    hookpost.incident_seq_name(y));
		EXCEPTION WHEN duplicate_table OR unique_violation THEN
			NULL;	-- another backend created it first
		END;
	END IF;
	RETURN hookpost.incident_number(y, nextval(hookpost.incident_seq(y)));
END $$;

/*
 * The p_n-th number of p_year, where p_n is nextval() of the year's
 * sequence, NULL when there is none yet: then incident_number_next()
 * makes it.  Inlined where called, so p_n must be a column or variable,
 * not nextval() itself.
 */
CREATE OR REPLACE FUNCTION hookpost.incident_number(p_year integer,
	p_n bigint)
RETURNS text LANGUAGE sql VOLATILE AS $$
	SELECT CASE WHEN p_n IS NULL THEN hookpost.incident_number_next()
	    ELSE format('INC-%s-%s', p_year, lpad(p_n::text,
	        greatest(4, length(p_n::text)), '0')) END
$$;

-- A time-ordered UUID (RFC 9562 version 7: 48 bits of Unix milliseconds,
-- then random), for primary keys written at a high rate: consecutive rows
-- land on the same index page instead of a random one, which saves page
-- splits, cache misses and full-page images in the WAL.
CREATE OR REPLACE FUNCTION hookpost.uuid_time_ordered() RETURNS uuid
LANGUAGE sql VOLATILE AS $$
	SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
	    PLACING substring(int8send((extract(epoch FROM clock_timestamp())
	    * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;

-- Deleting a source detaches its incidents, as the foreign key's ON
-- DELETE SET NULL did, under the lock protocol of sql/007_fast_ingest.sql.
CREATE OR REPLACE FUNCTION hookpost.source_detach_incidents() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	LOCK TABLE hookpost.incidents IN SHARE ROW EXCLUSIVE MODE;
	UPDATE hookpost.incidents SET source_id = NULL
	WHERE source_id = OLD.id;
	RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER sources_detach_incidents AFTER DELETE
	ON hookpost.sources
	FOR EACH ROW EXECUTE FUNCTION hookpost.source_detach_incidents();

/*
 * INCIDENT_SUBSCRIBED: the subscriptions that will receive an incident's
 * events: emit()'s own match for an event without owner or threat model,
 * that is active all_owners subscriptions without a threat model filter
 * whose patterns name the type, "incident.*" or "*".  Used as EXISTS
 * (SELECT 1 FROM hookpost.incident_subscribers()), inlined.
 */
CREATE OR REPLACE FUNCTION hookpost.incident_subscribers()
RETURNS TABLE (id uuid) LANGUAGE sql STABLE AS $$
	SELECT s.id FROM hookpost.subscriptions s
	WHERE s.status = 'active'
	  AND s.events && '{incident.created,incident.triaged,incident.*,*}'
	  AND s.threat_model_id IS NULL AND s.all_owners
$$;

/*
 * incident.created, and incident.triaged when a playbook ran, for an
 * incident just created -- only if some subscription will receive them
 * (incident_subscribers), checked here before the summary is built:
 * for each alert nobody subscribes to, building it and calling emit
 * (which would write nothing either, emit.sql) cost about as much as the
 * incident row itself.
 */
CREATE OR REPLACE FUNCTION hookpost.incident_emit(p_id uuid, p_number text,
	p_source text, p_format text, p_title text, p_severity text,
	p_status text, p_queue text, p_tags text[], p_entities jsonb,
	p_triage jsonb, p_occurred_at timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	summary	jsonb;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM hookpost.incident_subscribers()) THEN
		RETURN;
	END IF;
	summary := jsonb_build_object('incident_id', p_id, 'incident_number',
	    p_number, 'source', p_source, 'format', p_format, 'title', p_title,
	    'severity', p_severity, 'status', p_status, 'queue', p_queue,
	    'tags', to_jsonb(coalesce(p_tags, '{}')), 'entities', p_entities,
	    'occurred_at', p_occurred_at);
	PERFORM hookpost.emit('incident.created', 'incident', p_id::text, NULL,
	    NULL, summary);
	IF p_triage IS NOT NULL THEN
		PERFORM hookpost.emit('incident.triaged', 'incident', p_id::text,
		    NULL, NULL, summary || jsonb_build_object('triage', p_triage));
	END IF;
END $$;

-- One more alert into an open incident (the caller holds its row lock).
CREATE OR REPLACE FUNCTION hookpost.incident_merge(p_id uuid, p_tags text[],
	p_raw text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	UPDATE hookpost.incidents i SET occurrences = i.occurrences + 1,
	    last_seen_at = now(), updated_at = now(),
	    tags = ARRAY(SELECT DISTINCT unnest(i.tags || p_tags)),
	    triage = coalesce(i.triage, '{}'::jsonb) ||
	        jsonb_build_object('merged_alerts',
	        coalesce((i.triage->>'merged_alerts')::int, 0) + 1)
	WHERE i.id = p_id;
	INSERT INTO hookpost.incident_alerts (incident_id, raw_payload)
	VALUES (p_id, p_raw);
END $$;

-- An incident's source was deleted while it was being written: the error
-- the foreign key raised (see source_detach_incidents above).
CREATE OR REPLACE FUNCTION hookpost.source_gone(p_source_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
	    MESSAGE = 'insert or update on table "incidents" violates its '
	        || 'source reference',
	    DETAIL = format('Key (source_id)=(%s) is not present in table '
	        || '"sources".', p_source_id);
END $$;

-- Creates an incident (hookpost-ingest's queued path), or merges the
-- alert into an open incident of the same source with the same dedupe
-- key created inside the merge window: merge decided first, then a
-- time-ordered id, and the outbox written only for subscribers.
CREATE OR REPLACE FUNCTION hookpost.incident_create(
	p_source_id uuid, p_source text, p_format text, p_title text,
	p_severity text, p_status text, p_queue text, p_tags text[],
	p_entities jsonb, p_indicators jsonb, p_dedupe_key text,
	p_merge_window integer, p_triage jsonb, p_raw text,
	p_occurred_at timestamptz,
	OUT id uuid, OUT number text, OUT merged boolean)
LANGUAGE plpgsql AS $$
BEGIN
	merged := false;
	IF p_merge_window > 0 AND p_dedupe_key IS NOT NULL THEN
		-- Serialize alerts of one key only, so two can't both create.
		PERFORM pg_advisory_xact_lock(hashtextextended(
		    p_source_id::text || '/' || p_dedupe_key, 0));
		SELECT i.id, i.number INTO id, number FROM hookpost.incidents i
		WHERE i.source_id = p_source_id AND i.dedupe_key = p_dedupe_key
		  AND i.status NOT IN ('suppressed', 'resolved', 'closed')
		  AND i.created_at > now() - make_interval(secs => p_merge_window)
		ORDER BY i.created_at DESC LIMIT 1 FOR UPDATE;
		IF FOUND THEN
			PERFORM hookpost.incident_merge(id, p_tags, p_raw);
			merged := true;
			RETURN;
		END IF;
	END IF;
	id := hookpost.uuid_time_ordered();
	number := hookpost.incident_number_next();
	INSERT INTO hookpost.incidents (id, number, source_id, source, format,
	    title, severity, status, queue, tags, entities, indicators,
	    dedupe_key, triage, raw_payload, occurred_at)
	SELECT id, number, p_source_id, p_source, p_format, p_title,
	    p_severity, p_status, p_queue, coalesce(p_tags, '{}'), p_entities,
	    p_indicators, p_dedupe_key, p_triage, p_raw, p_occurred_at
	WHERE p_source_id IS NULL OR EXISTS (SELECT 1 FROM hookpost.sources s
	    WHERE s.id = p_source_id);
	IF NOT FOUND THEN
		PERFORM hookpost.source_gone(p_source_id);
	END IF;
	PERFORM hookpost.incident_emit(id, number, p_source, p_format, p_title,
	    p_severity, p_status, p_queue, p_tags, p_entities, p_triage,
	    p_occurred_at);
END $$;
