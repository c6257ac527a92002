-- Inbound sources (seed 004): the version a receiver's copy is checked
-- against.

/*
 * The version of a source as read: the transaction ids that wrote its row
 * and its playbook's, so that an edit of either changes it (lib/source.h
 * SOURCE_VERSION reads it with the source).  Inlined where called.
 */
CREATE OR REPLACE FUNCTION hookpost.source_version(p_source_xmin xid,
	p_playbook_xmin xid)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT p_source_xmin::text || '/' || coalesce(p_playbook_xmin::text, '')
$$;

/*
 * The source p_id if it is still at version p_version (a receiver's copy
 * is current), else no row: it changed or was deleted.  Used as EXISTS
 * (SELECT 1 FROM hookpost.source_current(...)) or in FROM, inlined.
 */
CREATE OR REPLACE FUNCTION hookpost.source_current(p_id uuid,
	p_version text)
RETURNS TABLE (id uuid) LANGUAGE sql STABLE AS $$
	SELECT s.id FROM hookpost.sources s
	LEFT JOIN hookpost.playbooks p ON p.name = s.playbook
	WHERE s.id = p_id AND hookpost.source_version(s.xmin, p.xmin) = p_version
$$;
