/*
 * The inbound receiver's store (seed 004): the replay guard (the
 * incident the fast statement stores, else hookpost.alert_guards beside
 * the audit row: sql/025, sql/029), and the incident or the queued event,
 * in one statement and one commit.
 *
 * The rules live once each and are inlined where used: the source
 * version (sources.sql), the audit lock (audit.sql), the incident number
 * and INCIDENT_SUBSCRIBED (incidents.sql), the first answer to a request
 * (alert_prior below).  handlers/sources/receive.c's fast statement
 * stores the common case with them in one prepared statement, its
 * incident being its guard; these functions
 * take the rest: merges, replays, requests old enough for replay_guard,
 * and queued sources.
 *
 * They return facts, never HTTP: a row (outcome, prior, incident_id,
 * incident_number, queue_id), outcome one of
 *   accepted  an incident was made (incident_id, incident_number)
 *   merged    the alert joined an open incident (the same)
 *   queued    the raw event was queued for hookpost-ingest (queue_id)
 *   replay    the request was seen before: prior is what it was then
 *             (accepted, merged or queued), with its ids
 *   stale     p_version is no longer the source's: nothing was written
 * The handler maps outcomes to statuses and bodies, and passes the
 * status it will answer (p_http_status) for the audit row.
 */

/*
 * The first answer to a request (source, X-Webhook-Timestamp, hex HMAC):
 * its guard (sql/029: hookpost.alert_guards, written with the audit row
 * by alert_guard), or the incident the fast statement stored, which
 * guards it (sql/025: incidents_replay; answered 200 accepted, as the
 * view hookpost.requests says of it), or for requests of before sql/007,
 * only signed before its horizon, its replay_guard row.  No row: none.
 */
CREATE OR REPLACE FUNCTION hookpost.alert_prior(p_source_id uuid,
	p_signed_at bigint, p_signature text)
RETURNS TABLE (http_status integer, outcome text, incident_id uuid,
	incident_number text, queue_id uuid)
LANGUAGE sql STABLE AS $$
	SELECT g.http_status, CASE WHEN g.outcome = 'queued' THEN 'queued'
	    WHEN g.merged THEN 'merged' ELSE 'accepted' END, g.incident_id,
	    g.incident_number, g.queue_id
	FROM hookpost.alert_guards g
	WHERE g.signed_at = p_signed_at AND g.source_id = p_source_id
	  AND g.signature = decode(p_signature, 'hex')
	UNION ALL
	SELECT 200, 'accepted', i.id, i.number, NULL::uuid
	FROM hookpost.incidents i
	WHERE i.signed_at = p_signed_at AND i.source_id = p_source_id
	  AND i.signature = decode(p_signature, 'hex')
	UNION ALL
	SELECT g.http_status, CASE WHEN g.result->>'status' = 'queued'
	    THEN 'queued' WHEN (g.result->>'merged')::boolean THEN 'merged'
	    ELSE 'accepted' END, (g.result->>'incident_id')::uuid,
	    g.result->>'incident_number', (g.result->>'queue_id')::uuid
	FROM hookpost.replay_guard g
	WHERE p_signed_at <= hookpost.replay_guard_horizon()
	  AND g.source_id = p_source_id AND g.signature = p_signature
	LIMIT 1
$$;

/*
 * A replay: recorded as replayed (no signature of its own), with the
 * first answer's status and ids, and reported as outcome replay.  No row
 * when the request was not seen before.
 */
CREATE OR REPLACE FUNCTION hookpost.alert_replay(p_source text,
	p_source_id uuid, p_signed_at bigint, p_signature text,
	p_remote text, p_ua text, p_ms real, p_sha text, p_size bigint)
RETURNS TABLE (outcome text, prior text, incident_id uuid,
	incident_number text, queue_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
	seen	record;
BEGIN
	SELECT * INTO seen FROM hookpost.alert_prior(p_source_id, p_signed_at,
	    p_signature) f;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	PERFORM hookpost.request_log('source', p_source, p_source_id, p_remote,
	    p_ua, seen.http_status, 'replayed', NULL, p_ms, p_sha, p_size,
	    seen.incident_id, seen.queue_id);
	RETURN QUERY SELECT 'replay'::text, seen.outcome, seen.incident_id,
	    seen.incident_number, seen.queue_id;
END $$;

/*
 * The replay guard: the guard row of the first request (sql/029:
 * hookpost.alert_guards, unique on (signed_at, source_id, signature)),
 * with what it was answered (p_outcome accepted or queued, p_merged, the
 * ids), and its audit row, written together in one statement under the
 * audit lock.  A request seen before (alert_prior: also an incident the
 * fast statement stored, whose own index guards it there, or for a
 * request signed before replay_guard's horizon, a replay of then) is a
 * replay; of two at once, the second waits on the guard's key for the
 * first to commit, and is one.  Returns false, writing nothing, for a
 * replay.
 */
CREATE OR REPLACE FUNCTION hookpost.alert_guard(p_source text,
	p_source_id uuid, p_signed_at bigint, p_signature text,
	p_remote text, p_ua text, p_ms real, p_sha text, p_size bigint,
	p_http_status integer, p_outcome text, p_incident uuid,
	p_number text, p_merged boolean, p_queue uuid)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	locked	boolean;
BEGIN
	IF EXISTS (SELECT 1
	    FROM hookpost.alert_prior(p_source_id, p_signed_at, p_signature))
	THEN
		RETURN false;
	END IF;
	locked := hookpost.audit_lock();
	WITH g AS (
		INSERT INTO hookpost.alert_guards (signed_at, source_id,
		    signature, http_status, outcome, merged, incident_id,
		    incident_number, queue_id)
		VALUES (p_signed_at, p_source_id, decode(p_signature, 'hex'),
		    p_http_status, p_outcome, p_merged OR NULL, p_incident,
		    p_number, p_queue)
		ON CONFLICT (signed_at, source_id, signature) DO NOTHING
		RETURNING 1)
	INSERT INTO hookpost.webhook_requests (kind, source, source_id,
	    remote_addr, user_agent, http_status, outcome, processing_ms,
	    body_sha256, body_size, incident_id, incident_number, merged,
	    queue_id, signed_at, signature)
	SELECT 'source', p_source, p_source_id, p_remote, left(p_ua, 256),
	    p_http_status, p_outcome, p_ms, p_sha, p_size, p_incident, p_number,
	    p_merged OR NULL, p_queue, p_signed_at, decode(p_signature, 'hex')
	FROM g;
	RETURN FOUND;
END $$;

/*
 * The store of a sync source, after the handler's checks: audit row,
 * replay guard, incident (or merge), in one statement and one commit.
 * p_version: the source version the handler worked from (lib/source.h
 * SOURCE_VERSION; NULL: unchecked); when it is no longer the source's,
 * outcome stale, and the handler reads the source again and decides
 * afresh, so a rotated secret or a disabled source takes effect at once.
 * p_signed_at and p_signature: the request's X-Webhook-Timestamp and the
 * hex HMAC it carried.  p_tags: a JSON array of strings.
 *
 * A merge is decided seen, under a lock on its dedupe key; the
 * incident's id and number are made before the audit row, which names
 * them.
 */
CREATE OR REPLACE FUNCTION hookpost.alert_accept(
	p_source_id uuid, p_source text, p_version text, p_signed_at bigint,
	p_signature text, p_remote text, p_ua text, p_ms real, p_sha text,
	p_size bigint, p_http_status integer, p_format text, p_title text,
	p_severity text, p_status text, p_queue text, p_tags jsonb,
	p_entities jsonb, p_indicators jsonb, p_dedupe_key text,
	p_merge_window integer, p_triage jsonb, p_raw text,
	p_occurred_at timestamptz)
RETURNS TABLE (outcome text, prior text, incident_id uuid,
	incident_number text, queue_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
	iid		uuid;
	num		text;
	merged		boolean := false;
	tags		text[] := '{}';
	y		integer;
	n		bigint;
BEGIN
	IF p_version IS NOT NULL AND NOT EXISTS (SELECT 1
	    FROM hookpost.source_current(p_source_id, p_version)) THEN
		RETURN QUERY SELECT 'stale'::text, NULL::text, NULL::uuid,
		    NULL::text, NULL::uuid;
		RETURN;
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
		y := hookpost.incident_year();
		n := nextval(hookpost.incident_seq(y));
		num := hookpost.incident_number(y, n);
		iid := hookpost.uuid_time_ordered();
	END IF;

	IF NOT hookpost.alert_guard(p_source, p_source_id, p_signed_at,
	    p_signature, p_remote, p_ua, p_ms, p_sha, p_size, p_http_status,
	    'accepted', iid, num, merged, NULL) THEN
		RETURN QUERY SELECT * FROM hookpost.alert_replay(p_source,
		    p_source_id, p_signed_at, p_signature, p_remote, p_ua, p_ms,
		    p_sha, p_size);
		RETURN;
	END IF;

	IF merged THEN
		PERFORM hookpost.incident_merge(iid, tags, p_raw);
		RETURN QUERY SELECT 'merged'::text, NULL::text, iid, num,
		    NULL::uuid;
		RETURN;
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
	PERFORM hookpost.incident_emit(iid, num, p_source, p_format, p_title,
	    p_severity, p_status, p_queue, tags, p_entities, p_triage,
	    coalesce(p_occurred_at, now()));
	RETURN QUERY SELECT 'accepted'::text, NULL::text, iid, num, NULL::uuid;
END $$;

/*
 * The store of a queued source, the same way: the verified raw event is
 * queued, and bin/hookpost-ingest makes the incident later.
 */
CREATE OR REPLACE FUNCTION hookpost.alert_queue(
	p_source_id uuid, p_source text, p_version text, p_signed_at bigint,
	p_signature text, p_remote text, p_ua text, p_ms real, p_sha text,
	p_size bigint, p_http_status integer, p_raw text)
RETURNS TABLE (outcome text, prior text, incident_id uuid,
	incident_number text, queue_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
	qid	uuid := hookpost.uuid_time_ordered();
BEGIN
	IF p_version IS NOT NULL AND NOT EXISTS (SELECT 1
	    FROM hookpost.source_current(p_source_id, p_version)) THEN
		RETURN QUERY SELECT 'stale'::text, NULL::text, NULL::uuid,
		    NULL::text, NULL::uuid;
		RETURN;
	END IF;
	IF NOT hookpost.alert_guard(p_source, p_source_id, p_signed_at,
	    p_signature, p_remote, p_ua, p_ms, p_sha, p_size, p_http_status,
	    'queued', NULL, NULL, false, qid) THEN
		RETURN QUERY SELECT * FROM hookpost.alert_replay(p_source,
		    p_source_id, p_signed_at, p_signature, p_remote, p_ua, p_ms,
		    p_sha, p_size);
		RETURN;
	END IF;
	INSERT INTO hookpost.inbound_queue (id, source_id, raw_payload)
	VALUES (qid, p_source_id, p_raw);
	PERFORM pg_notify('hookpost_inbound', '');	-- wakes hookpost-ingest
	RETURN QUERY SELECT 'queued'::text, NULL::text, NULL::uuid, NULL::text,
	    qid;
END $$;
