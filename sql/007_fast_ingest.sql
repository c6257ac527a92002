-- hookpost schema, part 7: the inbound receiver's fast path (seed 004).
-- Per accepted alert the receiver now runs one plpgsql function with a
-- handful of statements and writes two rows: the audit row, which is
-- also the replay guard, and the incident.  Counters are derived from the
-- audit log instead of a counter row updated per request; an incident's
-- outbound events are written only when a subscription will receive them.
-- Applied by `hookpost db migrate` in one transaction, after
-- 003_outbound.sql (hookpost.emit) and 004_triggers.sql (request_log
-- callers).  001-006 are applied migrations: never edited, only replaced
-- here with CREATE OR REPLACE.

-- First, so that no receiver writes the audit log while the counters
-- change hands (metrics below): ALTER TABLE waits for every transaction
-- that wrote an audit row, and their counter increments, to finish, and
-- holds the others off until this migration commits.
--
-- The replay guard moves into the audit row of the accepted request
-- (webhook_requests_replay below); the replayed request's own row has no
-- signature.  signed_at is the request's X-Webhook-Timestamp: it leads
-- the unique key so that new entries land at the index's right edge, as
-- the signature is random and the audit log is kept for 90 days.  Equal
-- signatures have equal timestamps, which the signature covers, so the
-- key is as unique as (source_id, signature).  incident_number and merged
-- let a replay answer exactly what the first request was answered.
ALTER TABLE hookpost.webhook_requests
	ADD COLUMN signed_at bigint,
	ADD COLUMN signature bytea,
	ADD COLUMN incident_number text,
	ADD COLUMN merged boolean;
CREATE UNIQUE INDEX webhook_requests_replay ON hookpost.webhook_requests
	(signed_at, source_id, signature) WHERE signature IS NOT NULL;

-- 001's lpad(n, 4, '0') truncates: from the 10,000th incident of a year
-- every number repeated an earlier one, incidents_number_key refused the
-- INSERT and the receiver answered 503 to every alert.  Wider numbers
-- simply grow (INC-2026-10000).
CREATE OR REPLACE FUNCTION hookpost.incident_number_next() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	y	integer := extract(year FROM now() AT TIME ZONE 'UTC');
	seq	text := 'hookpost.incident_seq_' || y;
	n	bigint;
BEGIN
	IF to_regclass(seq) IS NULL THEN
		BEGIN
			EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %s', seq);
		EXCEPTION WHEN duplicate_table OR unique_violation THEN
			NULL;	-- another backend created it first
		END;
	END IF;
	n := nextval(seq);
	RETURN format('INC-%s-%s', y, lpad(n::text,
	    greatest(4, length(n::text)), '0'));
END $$;

-- A time-ordered UUID (RFC 9562 version 7: 48 bits of Unix milliseconds,
-- then random), for primary keys written at a high rate: consecutive rows
-- land on the same index page instead of a random one, which saves page
-- splits, cache misses and full-page images in the WAL.
CREATE FUNCTION hookpost.uuid_time_ordered() RETURNS uuid
LANGUAGE sql VOLATILE AS $$
	SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
	    PLACING substring(int8send((extract(epoch FROM clock_timestamp())
	    * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
$$;

/*
 * incidents.source_id keeps 001's meaning (the source, or NULL once the
 * source is deleted) without its foreign key.  The key's check locked the
 * source row FOR KEY SHARE in every alert's transaction, and as all of a
 * source's alerts lock the same row, concurrent ones shared it through a
 * new MultiXact each time: two more WAL records per alert and a hot
 * buffer lock, the single costliest part of storing an alert.
 *
 * What the key guaranteed is kept by a lock protocol instead.  Writers of
 * incidents insert only if the source exists, tested in the INSERT itself
 * (hookpost.alert_accept, incident_create), and raise 23503 as the key did
 * if it does not.  Deleting a source takes SHARE ROW EXCLUSIVE on
 * incidents, which waits for the writers in flight and holds new ones off
 * until the deletion commits; as an INSERT takes its lock before its
 * snapshot, a writer either commits first, and its incident is detached
 * below, or sees the source gone.  ON DELETE SET NULL becomes this
 * trigger; like the key's action it scans incidents (no index leads with
 * source_id), which is fine for a rare admin action.
 */
ALTER TABLE hookpost.incidents DROP CONSTRAINT incidents_source_id_fkey;

CREATE FUNCTION hookpost.source_detach_incidents() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	LOCK TABLE hookpost.incidents IN SHARE ROW EXCLUSIVE MODE;
	UPDATE hookpost.incidents SET source_id = NULL
	WHERE source_id = OLD.id;
	RETURN NULL;
END $$;
CREATE TRIGGER sources_detach_incidents AFTER DELETE ON hookpost.sources
	FOR EACH ROW EXECUTE FUNCTION hookpost.source_detach_incidents();

/*
 * Counters (seed 004 "Monitoring Webhooks") come from the audit log, which
 * has one row per receiver request anyway, instead of a counter row that
 * every request updates: those rows were the receiver's hottest lock.
 *
 *   value = metric_counters (the rollup) + the audit rows above
 *           metric_rollup_state.last_request_id (live)
 *
 * hookpost.metrics_rollup() folds the live rows into metric_counters and
 * moves the watermark in one transaction, so every scrape sees each
 * request exactly once: counted live or folded, never both, never
 * neither.  hookpost-cleanup folds before it deletes audit rows past
 * retention, and deletes only folded ones, so totals survive retention;
 * they live in the database, so they survive restarts of anything else.
 *
 * A watermark over a sequence is only safe if no transaction still holds
 * an id below it.  Every writer of audit rows therefore holds the shared
 * advisory lock (1752133483, 1), "the audit lock", from before it takes
 * an id until it commits (request_log, alert_accept, alert_queue; any new
 * writer must do the same).  The rollup takes it exclusively for a
 * moment, which waits out the transactions in flight, and reads the
 * highest id then: everything up to it is committed or never will be.
 *
 * The rows of shards 0-15 written by 001's per-request increments hold the
 * counts of every audit row up to the watermark this migration sets; they
 * are summed into shard 0, where the rollup adds from now on.
 */
CREATE TABLE hookpost.metric_rollup_state (
	singleton	boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	last_request_id	bigint NOT NULL,
	folded_at	timestamptz NOT NULL DEFAULT now()
);
INSERT INTO hookpost.metric_rollup_state (last_request_id)
SELECT coalesce(max(id), 0) FROM hookpost.webhook_requests;

CREATE TEMPORARY TABLE metric_counters_001 ON COMMIT DROP AS
SELECT metric, labels, sum(value)::bigint AS value
FROM hookpost.metric_counters GROUP BY metric, labels;
DELETE FROM hookpost.metric_counters;
INSERT INTO hookpost.metric_counters (metric, labels, shard, value)
SELECT metric, labels, 0, value FROM metric_counters_001;

-- The counters of audit rows after p_after up to p_upto (NULL: all), as
-- 001's request_log counted them: unregistered names as "unknown", so
-- that a scanner cannot grow the label set without bound.
CREATE FUNCTION hookpost.metric_rows(p_after bigint, p_upto bigint)
RETURNS TABLE (metric text, labels text, value bigint)
LANGUAGE sql STABLE AS $$
	WITH g AS (
		SELECT CASE WHEN w.source_id IS NULL THEN 'unknown'
		    ELSE hookpost.prom_label(w.source) END AS lbl,
		    w.outcome, w.error_code, count(*) AS n
		FROM hookpost.webhook_requests w
		WHERE w.id > p_after AND (p_upto IS NULL OR w.id <= p_upto)
		GROUP BY 1, 2, 3)
	SELECT 'webhook_received_total', format('source="%s",status="%s"',
	    g.lbl, g.outcome), sum(g.n)::bigint
	FROM g GROUP BY 2
	UNION ALL
	SELECT 'webhook_errors_total', format('source="%s",code="%s"',
	    g.lbl, g.error_code), sum(g.n)::bigint
	FROM g WHERE g.error_code IS NOT NULL GROUP BY 2
$$;

-- What GET /metrics shows: the rollup plus the live rows, one snapshot.
CREATE FUNCTION hookpost.metric_values()
RETURNS TABLE (metric text, labels text, value bigint)
LANGUAGE sql STABLE AS $$
	SELECT t.metric, t.labels, sum(t.value)::bigint
	FROM (SELECT c.metric, c.labels, c.value
	      FROM hookpost.metric_counters c
	      UNION ALL
	      SELECT r.metric, r.labels, r.value
	      FROM hookpost.metric_rollup_state s,
	          hookpost.metric_rows(s.last_request_id, NULL) r) t
	GROUP BY t.metric, t.labels
$$;

/*
 * Folds the live audit rows into the rollup.  A procedure, as the barrier
 * must commit, releasing the audit lock, before the fold, which may read
 * many rows, starts: CALL it outside a transaction block.  Called by GET
 * /metrics, hookpost-cleanup and hookpost-ingest; any number at once.
 *
 * While the barrier waits for the audit lock, new writers queue behind
 * it, so it waits 50 ms at most: writers hold the lock for one short
 * transaction, and one that holds it longer (a session idle in a
 * transaction after request_log) must not stall the receivers.  It then
 * folds nothing this time, which changes no value shown.
 */
CREATE PROCEDURE hookpost.metrics_rollup()
LANGUAGE plpgsql AS $$
DECLARE
	upto	bigint;
	after	bigint;
BEGIN
	BEGIN
		PERFORM set_config('lock_timeout', '50ms', true);
		PERFORM pg_advisory_xact_lock(1752133483, 1);
		SELECT coalesce(max(w.id), 0) INTO upto
		FROM hookpost.webhook_requests w;
	EXCEPTION WHEN lock_not_available THEN
		RETURN;
	END;
	COMMIT;
	-- One fold at a time; a later one finds less or nothing to do.
	SELECT s.last_request_id INTO after
	FROM hookpost.metric_rollup_state s FOR UPDATE;
	IF upto > after THEN
		INSERT INTO hookpost.metric_counters AS c (metric, labels, shard,
		    value)
		SELECT r.metric, r.labels, 0, r.value
		FROM hookpost.metric_rows(after, upto) r
		ON CONFLICT (metric, labels, shard)
		DO UPDATE SET value = c.value + excluded.value;
		UPDATE hookpost.metric_rollup_state SET last_request_id = upto,
		    folded_at = now();
	END IF;
	COMMIT;
END $$;

-- 001's per-request counter.  The two receiver metrics now come from the
-- audit log, so for them this does nothing (a caller still running 001's
-- request_log must not count a request twice); other metrics still count.
CREATE OR REPLACE FUNCTION hookpost.metric_inc(p_metric text, p_labels text)
RETURNS void LANGUAGE sql AS $$
	INSERT INTO hookpost.metric_counters (metric, labels, shard, value)
	SELECT p_metric, p_labels, (pg_backend_pid() % 16)::smallint, 1
	WHERE p_metric NOT IN ('webhook_received_total', 'webhook_errors_total')
	ON CONFLICT (metric, labels, shard)
	DO UPDATE SET value = hookpost.metric_counters.value + 1
$$;

-- One audit row (refusals, and 004's trigger receiver).  Same arguments
-- as 001's; the counters follow from the row itself.
CREATE OR REPLACE FUNCTION hookpost.request_log(
	p_kind text, p_source text, p_source_id uuid, p_remote text,
	p_ua text, p_status integer, p_outcome text, p_code text,
	p_ms real, p_sha text, p_size bigint, p_incident uuid, p_queue uuid)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	-- The audit lock (metrics above); trying first keeps the common,
	-- uncontended case a simple expression.
	IF NOT pg_try_advisory_xact_lock_shared(1752133483, 1) THEN
		PERFORM pg_advisory_xact_lock_shared(1752133483, 1);
	END IF;
	INSERT INTO hookpost.webhook_requests (kind, source, source_id,
	    remote_addr, user_agent, http_status, outcome, error_code,
	    processing_ms, body_sha256, body_size, incident_id, queue_id)
	VALUES (p_kind, left(p_source, 128), p_source_id, p_remote,
	    left(p_ua, 256), p_status, p_outcome, p_code, p_ms, p_sha, p_size,
	    p_incident, p_queue);
END $$;

/*
 * incident.created, and incident.triaged when a playbook ran (003), for an
 * incident just created -- only if some subscription will receive them.
 * hookpost.emit() itself stays as 003 wrote it (its event row is written
 * whoever subscribes, and the trigger receiver and the cleanup worker
 * rely on that), but an alert's incident is its own record, and for each
 * alert nobody subscribes to, the outbox row and its fan-out query cost
 * about as much as the incident row itself.  The test below,
 * INCIDENT_SUBSCRIBED, is emit()'s own match for an event without owner
 * or threat model: active all_owners subscriptions without a threat model
 * filter whose patterns name the type, "incident.*" or "*".
 * hookpost.alert_accept() makes the same test inline, in its first
 * statement.
 */
CREATE FUNCTION hookpost.incident_emit(p_id uuid, p_number text,
	p_source text, p_format text, p_title text, p_severity text,
	p_status text, p_queue text, p_tags text[], p_entities jsonb,
	p_triage jsonb, p_occurred_at timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	summary	jsonb;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM hookpost.subscriptions s
	    WHERE s.status = 'active' AND s.events &&
	        '{incident.created,incident.triaged,incident.*,*}'
	      AND s.threat_model_id IS NULL AND s.all_owners) THEN
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
CREATE FUNCTION hookpost.incident_merge(p_id uuid, p_tags text[],
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
CREATE FUNCTION hookpost.source_gone(p_source_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
	    MESSAGE = 'insert or update on table "incidents" violates its '
	        || 'source reference',
	    DETAIL = format('Key (source_id)=(%s) is not present in table '
	        || '"sources".', p_source_id);
END $$;

-- 003's incident_create (hookpost-ingest's queued path), same arguments
-- and result: merge decided first, then a time-ordered id, and the outbox
-- written only for subscribers.
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

/*
 * Until this migration, accepted requests were guarded in replay_guard.
 * A replay of one of those carries a timestamp no later than the last
 * guard plus the largest tolerance (HOOKPOST_TIMESTAMP_TOLERANCE, at most
 * a day), so only requests signed before that horizon look there too; on
 * a fresh database the horizon is 0 and nothing ever does.
 */
DO $$
BEGIN
	EXECUTE format('CREATE FUNCTION hookpost.replay_guard_horizon()'
	    ' RETURNS bigint LANGUAGE sql IMMUTABLE AS %L',
	    format('SELECT %s::bigint', (SELECT coalesce(extract(epoch FROM
	    max(g.created_at))::bigint + 2 * 86400, 0)
	    FROM hookpost.replay_guard g)));
END $$;

-- A replay: the request is recorded as replayed (no signature of its own)
-- and answered as the first one was.
CREATE FUNCTION hookpost.alert_replay(p_source text, p_source_id uuid,
	p_remote text, p_ua text, p_ms real, p_sha text, p_size bigint,
	p_status integer, p_body jsonb)
RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
	PERFORM hookpost.request_log('source', p_source, p_source_id, p_remote,
	    p_ua, p_status, 'replayed', NULL, p_ms, p_sha, p_size,
	    (p_body->>'incident_id')::uuid, (p_body->>'queue_id')::uuid);
	RETURN jsonb_build_object('http_status', p_status, 'body', p_body,
	    'replayed', true);
END $$;

-- The answer a first request got, from its audit row.
CREATE FUNCTION hookpost.alert_result(w hookpost.webhook_requests)
RETURNS jsonb LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN w.outcome = 'queued' THEN jsonb_build_object(
	    'status', 'queued', 'queue_id', w.queue_id,
	    'message', 'Event queued for processing')
	ELSE jsonb_build_object('status', 'accepted', 'incident_id',
	    w.incident_id, 'incident_number', w.incident_number) ||
	    CASE WHEN w.merged THEN '{"merged": true}'::jsonb
	    ELSE '{}'::jsonb END END
$$;

-- An earlier answer to this request, from the audit row that guards it
-- (or, for requests of before this migration, from replay_guard); NULL.
CREATE FUNCTION hookpost.alert_prior(p_source_id uuid, p_signed_at bigint,
	p_signature text, OUT http_status integer, OUT body jsonb)
LANGUAGE plpgsql AS $$
BEGIN
	SELECT w.http_status, hookpost.alert_result(w) INTO http_status, body
	FROM hookpost.webhook_requests w
	WHERE w.signed_at = p_signed_at AND w.source_id = p_source_id
	  AND w.signature = decode(p_signature, 'hex')
	  AND w.signature IS NOT NULL;
	IF NOT FOUND AND p_signed_at <= hookpost.replay_guard_horizon() THEN
		SELECT g.http_status, g.result INTO http_status, body
		FROM hookpost.replay_guard g
		WHERE g.source_id = p_source_id AND g.signature = p_signature;
	END IF;
END $$;

/*
 * The receiver's one write for a sync source (seed 004), after its
 * checks: audit row, replay guard, incident (or merge), in one statement
 * and one commit.  Returns {"http_status":..,"body":{..}} ("replayed":
 * true for a replay), or {"stale": true} and writes nothing when
 * p_version, the source version the handler worked from (lib/source.h
 * SOURCE_VERSION; NULL: unchecked), is no longer the source's: the
 * handler then reads the source again and decides afresh, so a rotated
 * secret or a disabled source takes effect at once.
 *
 * p_signed_at and p_signature: the request's X-Webhook-Timestamp and the
 * hex HMAC it carried.  p_tags: a JSON array of strings.
 *
 * The hot path is a handful of statements, none a nested function call:
 * one read (version, and whether anyone subscribes to incident events),
 * the audit row, the incident.  The incident's id and number are made
 * before the audit row, which names them, and a merge is decided first.
 */
CREATE FUNCTION hookpost.alert_accept(
	p_source_id uuid, p_source text, p_version text, p_signed_at bigint,
	p_signature text, p_remote text, p_ua text, p_ms real, p_sha text,
	p_size bigint, p_format text, p_title text, p_severity text,
	p_status text, p_queue text, p_tags jsonb, p_entities jsonb,
	p_indicators jsonb, p_dedupe_key text, p_merge_window integer,
	p_triage jsonb, p_raw text, p_occurred_at timestamptz)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	version		text;
	subscribed	boolean;
	iid		uuid;
	num		text;
	merged		boolean := false;
	tags		text[] := '{}';
	prior		record;
	y		integer;
	n		bigint;
BEGIN
	-- The version, and INCIDENT_SUBSCRIBED (incident_emit above).
	SELECT (SELECT s.xmin::text || '/' || coalesce(p.xmin::text, '')
	        FROM hookpost.sources s
	        LEFT JOIN hookpost.playbooks p ON p.name = s.playbook
	        WHERE s.id = p_source_id),
	    EXISTS (SELECT 1 FROM hookpost.subscriptions s
	        WHERE s.status = 'active' AND s.events &&
	            '{incident.created,incident.triaged,incident.*,*}'
	          AND s.threat_model_id IS NULL AND s.all_owners)
	INTO version, subscribed;
	IF p_version IS DISTINCT FROM version AND p_version IS NOT NULL THEN
		RETURN '{"stale": true}';
	END IF;
	IF p_tags IS NOT NULL AND p_tags <> '[]' THEN
		tags := ARRAY(SELECT jsonb_array_elements_text(p_tags));
	END IF;

	IF p_merge_window > 0 AND p_dedupe_key IS NOT NULL THEN
		-- Serialize alerts of one key only, so two can't both create.
		PERFORM pg_advisory_xact_lock(hashtextextended(
		    p_source_id::text || '/' || p_dedupe_key, 0));
		SELECT i.id, i.number INTO iid, num FROM hookpost.incidents i
		WHERE i.source_id = p_source_id AND i.dedupe_key = p_dedupe_key
		  AND i.status NOT IN ('suppressed', 'resolved', 'closed')
		  AND i.created_at > now() - make_interval(secs => p_merge_window)
		ORDER BY i.created_at DESC LIMIT 1 FOR UPDATE;
		merged := FOUND;
	END IF;
	IF NOT merged THEN
		-- hookpost.incident_number_next(), inline; NULL until the
		-- year's first incident has made the year's sequence.
		y := extract(year FROM now() AT TIME ZONE 'UTC');
		n := nextval(to_regclass('hookpost.incident_seq_' || y));
		IF n IS NULL THEN
			num := hookpost.incident_number_next();
		ELSE
			num := format('INC-%s-%s', y, lpad(n::text,
			    greatest(4, length(n::text)), '0'));
		END IF;
		iid := hookpost.uuid_time_ordered();
	END IF;

	IF p_signed_at <= hookpost.replay_guard_horizon() THEN
		prior := hookpost.alert_prior(p_source_id, p_signed_at,
		    p_signature);
		IF prior.http_status IS NOT NULL THEN
			RETURN hookpost.alert_replay(p_source, p_source_id,
			    p_remote, p_ua, p_ms, p_sha, p_size,
			    prior.http_status, prior.body);
		END IF;
	END IF;
	-- The audit lock (metrics above).  The audit row is the replay
	-- guard: a conflict is a replay.
	IF NOT pg_try_advisory_xact_lock_shared(1752133483, 1) THEN
		PERFORM pg_advisory_xact_lock_shared(1752133483, 1);
	END IF;
	INSERT INTO hookpost.webhook_requests (kind, source, source_id,
	    remote_addr, user_agent, http_status, outcome, processing_ms,
	    body_sha256, body_size, incident_id, incident_number, merged,
	    signed_at, signature)
	VALUES ('source', p_source, p_source_id, p_remote, left(p_ua, 256),
	    200, 'accepted', p_ms, p_sha, p_size, iid, num, merged OR NULL,
	    p_signed_at, decode(p_signature, 'hex'))
	ON CONFLICT (signed_at, source_id, signature)
	    WHERE signature IS NOT NULL DO NOTHING;
	IF NOT FOUND THEN
		prior := hookpost.alert_prior(p_source_id, p_signed_at,
		    p_signature);
		RETURN hookpost.alert_replay(p_source, p_source_id, p_remote,
		    p_ua, p_ms, p_sha, p_size, prior.http_status, prior.body);
	END IF;

	IF merged THEN
		PERFORM hookpost.incident_merge(iid, tags, p_raw);
		RETURN jsonb_build_object('http_status', 200, 'body',
		    jsonb_build_object('status', 'accepted', 'incident_id', iid,
		    'incident_number', num, 'merged', true));
	END IF;
	INSERT INTO hookpost.incidents (id, number, source_id, source, format,
	    title, severity, status, queue, tags, entities, indicators,
	    dedupe_key, triage, raw_payload, occurred_at)
	SELECT iid, num, p_source_id, p_source, p_format, p_title, p_severity,
	    p_status, p_queue, tags, p_entities, p_indicators, p_dedupe_key,
	    p_triage, p_raw, coalesce(p_occurred_at, now())
	WHERE EXISTS (SELECT 1 FROM hookpost.sources s
	    WHERE s.id = p_source_id);
	IF NOT FOUND THEN
		PERFORM hookpost.source_gone(p_source_id);
	END IF;
	IF subscribed THEN
		PERFORM hookpost.incident_emit(iid, num, p_source, p_format,
		    p_title, p_severity, p_status, p_queue, tags, p_entities,
		    p_triage, coalesce(p_occurred_at, now()));
	END IF;
	RETURN jsonb_build_object('http_status', 200, 'body',
	    jsonb_build_object('status', 'accepted', 'incident_id', iid,
	    'incident_number', num));
END $$;

-- 001's signature (NULL version: no staleness check; no timestamp: 0).
CREATE OR REPLACE FUNCTION hookpost.alert_accept(
	p_source_id uuid, p_source text, p_signature text, p_remote text,
	p_ua text, p_ms real, p_sha text, p_size bigint,
	p_format text, p_title text, p_severity text, p_status text,
	p_queue text, p_tags text[], p_entities jsonb, p_indicators jsonb,
	p_dedupe_key text, p_merge_window integer, p_triage jsonb, p_raw text,
	p_occurred_at timestamptz)
RETURNS jsonb LANGUAGE sql AS $$
	SELECT hookpost.alert_accept(p_source_id, p_source, NULL::text, 0::bigint,
	    p_signature, p_remote, p_ua, p_ms, p_sha, p_size, p_format,
	    p_title, p_severity, p_status, p_queue, to_jsonb(p_tags),
	    p_entities, p_indicators, p_dedupe_key, p_merge_window, p_triage,
	    p_raw, p_occurred_at)
$$;

-- Queued mode (001), the same way: store the verified raw event;
-- bin/hookpost-ingest makes the incident later.
CREATE FUNCTION hookpost.alert_queue(
	p_source_id uuid, p_source text, p_version text, p_signed_at bigint,
	p_signature text, p_remote text, p_ua text, p_ms real, p_sha text,
	p_size bigint, p_raw text)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
	qid	uuid := hookpost.uuid_time_ordered();
	prior	record;
	body	jsonb;
BEGIN
	IF p_version IS NOT NULL AND p_version IS DISTINCT FROM (SELECT
	    s.xmin::text || '/' || coalesce(p.xmin::text, '')
	    FROM hookpost.sources s
	    LEFT JOIN hookpost.playbooks p ON p.name = s.playbook
	    WHERE s.id = p_source_id) THEN
		RETURN '{"stale": true}';
	END IF;
	IF p_signed_at <= hookpost.replay_guard_horizon() THEN
		prior := hookpost.alert_prior(p_source_id, p_signed_at,
		    p_signature);
		IF prior.http_status IS NOT NULL THEN
			RETURN hookpost.alert_replay(p_source, p_source_id,
			    p_remote, p_ua, p_ms, p_sha, p_size,
			    prior.http_status, prior.body);
		END IF;
	END IF;
	IF NOT pg_try_advisory_xact_lock_shared(1752133483, 1) THEN
		PERFORM pg_advisory_xact_lock_shared(1752133483, 1);
	END IF;
	INSERT INTO hookpost.webhook_requests (kind, source, source_id,
	    remote_addr, user_agent, http_status, outcome, processing_ms,
	    body_sha256, body_size, queue_id, signed_at, signature)
	VALUES ('source', p_source, p_source_id, p_remote, left(p_ua, 256),
	    202, 'queued', p_ms, p_sha, p_size, qid, p_signed_at,
	    decode(p_signature, 'hex'))
	ON CONFLICT (signed_at, source_id, signature)
	    WHERE signature IS NOT NULL DO NOTHING;
	IF NOT FOUND THEN
		prior := hookpost.alert_prior(p_source_id, p_signed_at,
		    p_signature);
		RETURN hookpost.alert_replay(p_source, p_source_id, p_remote,
		    p_ua, p_ms, p_sha, p_size, prior.http_status, prior.body);
	END IF;
	INSERT INTO hookpost.inbound_queue (id, source_id, raw_payload)
	VALUES (qid, p_source_id, p_raw);
	body := jsonb_build_object('status', 'queued', 'queue_id', qid,
	    'message', 'Event queued for processing');
	PERFORM pg_notify('hookpost_inbound', '');	-- wakes hookpost-ingest
	RETURN jsonb_build_object('http_status', 202, 'body', body);
END $$;

CREATE OR REPLACE FUNCTION hookpost.alert_queue(
	p_source_id uuid, p_source text, p_signature text, p_remote text,
	p_ua text, p_ms real, p_sha text, p_size bigint, p_raw text)
RETURNS jsonb LANGUAGE sql AS $$
	SELECT hookpost.alert_queue(p_source_id, p_source, NULL::text, 0::bigint,
	    p_signature, p_remote, p_ua, p_ms, p_sha, p_size, p_raw)
$$;
