-- hookpost schema, part 20 (issue 11): console sessions.  The console
-- signs in with an API token (or a JWT) once and then holds a cookie,
-- so no token lives in the browser's storage.  The cookie carries a
-- random secret; only its SHA-256 is kept here, as api_tokens keeps
-- tokens.  A session carries the identity of the credential it came
-- from (role, owner_id, permissions); one made from an API token ends
-- with it: lib/auth.c joins api_tokens at every use, so a revoked token
-- ends its sessions, and a deleted one takes them along.  expires_at is
-- absolute (HOOKPOST_SESSION_TTL after sign-in); sign-out and an
-- admin's DELETE /api/sessions/:id set revoked_at.
CREATE TABLE hookpost.console_sessions (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	session_hash	text NOT NULL UNIQUE
			CHECK (session_hash ~ '^[0-9a-f]{64}$'),
	api_token_id	uuid REFERENCES hookpost.api_tokens (id)
			ON DELETE CASCADE,	/* NULL: from a JWT */
	role		text NOT NULL CHECK (role IN ('admin', 'user', 'service')),
	owner_id	text CHECK (length(owner_id) <= 128),
	permissions	text[] NOT NULL DEFAULT '{}',
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	last_seen_at	timestamptz NOT NULL DEFAULT now(),
	revoked_at	timestamptz,
	/* What the admin's list shows of where a session is used. */
	user_agent	text CHECK (length(user_agent) <= 512),
	client_addr	text CHECK (length(client_addr) <= 64),
	CHECK (role <> 'user' OR owner_id IS NOT NULL)
);
CREATE INDEX console_sessions_page ON hookpost.console_sessions
	(created_at DESC, id DESC);
CREATE INDEX console_sessions_token ON hookpost.console_sessions
	(api_token_id) WHERE api_token_id IS NOT NULL;
