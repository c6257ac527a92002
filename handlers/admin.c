/*
 * admin: the HTTP admin API beside the sources (ARCHITECTURE.md §3).
 *   GET  /api/incidents[/:id]           incidents and their triage outcome
 *   /api/playbooks[/:name]              triage playbooks (data)
 *   GET  /api/audit/webhooks            the receivers' audit log
 *   /api/tokens[/:id]                   API tokens
 *   /api/session                        the console's sign-in (issue 11)
 *   /api/sessions[/:id]                 console sessions, for the admin
 *   GET  /api/stats                     the console's health figures
 * Every route needs an admin token, but /api/session's (any credential)
 * and /api/stats' (an owner sees its own figures).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "auth.h"
#include "cfg.h"
#include "cidr.h"
#include "crypt.h"
#include "db.h"
#include "page.h"
#include "req.h"
#include "srv.h"
#include "triage.h"
#include "util.h"
#include "valid.h"

enum route {
	ROUTE_INCIDENT_LIST,
	ROUTE_INCIDENT_GET,
	ROUTE_PLAYBOOK_LIST,
	ROUTE_PLAYBOOK_CREATE,
	ROUTE_PLAYBOOK_GET,
	ROUTE_PLAYBOOK_PUT,
	ROUTE_PLAYBOOK_DELETE,
	ROUTE_AUDIT_LIST,
	ROUTE_TOKEN_LIST,
	ROUTE_TOKEN_CREATE,
	ROUTE_TOKEN_DELETE,
	ROUTE_SESSION_CREATE,
	ROUTE_SESSION_GET,
	ROUTE_SESSION_DELETE,
	ROUTE_SESSION_LIST,
	ROUTE_SESSION_REVOKE,
	ROUTE_STATS,
	ROUTE__MAX
};

#define PLAYBOOKS	"/api/playbooks"

static const struct srv_route routes[ROUTE__MAX] = {
	{ ROUTE_INCIDENT_LIST, "GET", "/api/incidents", 0, AUTH_ADMIN },
	{ ROUTE_INCIDENT_GET, "GET", "/api/incidents/:id", 0, AUTH_ADMIN },
	{ ROUTE_PLAYBOOK_LIST, "GET", PLAYBOOKS, 0, AUTH_ADMIN },
	{ ROUTE_PLAYBOOK_CREATE, "POST", PLAYBOOKS, SRV_BODY, AUTH_ADMIN },
	{ ROUTE_PLAYBOOK_GET, "GET", PLAYBOOKS "/:name", 0, AUTH_ADMIN },
	{ ROUTE_PLAYBOOK_PUT, "PUT", PLAYBOOKS "/:name", SRV_BODY, AUTH_ADMIN },
	{ ROUTE_PLAYBOOK_DELETE, "DELETE", PLAYBOOKS "/:name", 0, AUTH_ADMIN },
	{ ROUTE_AUDIT_LIST, "GET", "/api/audit/webhooks", 0, AUTH_ADMIN },
	{ ROUTE_TOKEN_LIST, "GET", "/api/tokens", 0, AUTH_ADMIN },
	{ ROUTE_TOKEN_CREATE, "POST", "/api/tokens", SRV_BODY, AUTH_ADMIN },
	{ ROUTE_TOKEN_DELETE, "DELETE", "/api/tokens/:id", 0, AUTH_ADMIN },
	/* Sign-in checks the token in its body itself. */
	{ ROUTE_SESSION_CREATE, "POST", "/api/session", SRV_BODY, AUTH_NONE },
	{ ROUTE_SESSION_GET, "GET", "/api/session", 0, AUTH_ANY },
	{ ROUTE_SESSION_DELETE, "DELETE", "/api/session", 0, AUTH_ANY },
	{ ROUTE_SESSION_LIST, "GET", "/api/sessions", 0, AUTH_ADMIN },
	{ ROUTE_SESSION_REVOKE, "DELETE", "/api/sessions/:id", 0, AUTH_ADMIN },
	{ ROUTE_STATS, "GET", "/api/stats", 0, AUTH_OWNER },
};

#define INCIDENT_JSON \
	"json_build_object('id', i.id, 'incident_number', i.number," \
	" 'source', i.source, 'format', i.format, 'title', i.title," \
	" 'severity', i.severity, 'status', i.status, 'queue', i.queue," \
	" 'tags', i.tags, 'entities', i.entities, 'indicators', i.indicators," \
	" 'dedupe_key', i.dedupe_key, 'occurrences', i.occurrences," \
	" 'triage', i.triage, 'occurred_at', i.occurred_at," \
	" 'created_at', i.created_at, 'updated_at', i.updated_at," \
	" 'last_seen_at', i.last_seen_at"

static const struct page_filter incident_filters[] = {
	{ "source", 80 },
	{ "severity", 16 },
	{ "status", 16 },
	{ "since", 64 },
	{ "until", 64 },
	{ "tag", 80 },
};

static const struct page_list incident_list = {
	.name = "incident_list",
	.sql = "SELECT " INCIDENT_JSON ")::text,"
	    " i.created_at::text, i.id::text FROM hookpost.incidents i"
	    " WHERE ($1::text IS NULL OR i.source = $1)"
	    " AND ($2::text IS NULL OR i.severity = $2)"
	    " AND ($3::text IS NULL OR i.status = $3)"
	    " AND ($4::timestamptz IS NULL OR i.created_at >= $4)"
	    " AND ($5::timestamptz IS NULL OR i.created_at < $5)"
	    " AND ($6::text IS NULL OR $6 = ANY (i.tags))"
	    " AND ($7::timestamptz IS NULL OR"
	    "  (i.created_at, i.id) < ($7::timestamptz, $8::uuid))"
	    " ORDER BY i.created_at DESC, i.id DESC LIMIT $9",
	.limit_default = 50, .limit_max = 500,
	.key = PAGE_KEY_TIME_UUID,
	PAGE_FILTERS(incident_filters),
};

static void
incident_get(struct req *r)
{
	static const char sql[] = "SELECT (" INCIDENT_JSON ")::jsonb ||"
	    " jsonb_build_object('raw_payload', i.raw_payload,"
	    "  'merged_alerts', (SELECT coalesce(jsonb_agg(jsonb_build_object("
	    "   'received_at', a.received_at, 'raw_payload', a.raw_payload)"
	    "   ORDER BY a.id), '[]') FROM (SELECT * FROM"
	    "   hookpost.incident_alerts WHERE incident_id = i.id"
	    "   ORDER BY id LIMIT 100) a)))::text"
	    " FROM hookpost.incidents i"
	    " WHERE i.id = CASE WHEN $1 ~ '^[0-9a-fA-F-]{36}$' THEN $1::uuid END"
	    " OR i.number = $1";
	const char	*p[1];
	PGresult	*res;

	p[0] = r->params[0];
	if ((res = db_exec("incident_get", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	resp_row(r, 200, res, "incident");
	PQclear(res);
}

/* --- playbooks ------------------------------------------------------ */

#define PLAYBOOK_JSON \
	"json_build_object('name', p.name, 'description', p.description," \
	" 'steps', p.steps, 'builtin', p.builtin, 'created_at', p.created_at," \
	" 'updated_at', p.updated_at)::text"

static const struct vfield playbook_fields[] = {
	{ "name", V_NAME, 0, 0, 0, NULL, 0 },
	{ "description", V_STRING, 0, 0, 1024, NULL, 0 },
	{ "steps", V_ARRAY, 0, 1, 100, NULL, 0 },
};

static const struct page_list playbook_list = {
	.name = "playbook_list",
	.sql = "SELECT " PLAYBOOK_JSON ", p.name, ''"
	    " FROM hookpost.playbooks p WHERE ($1::text IS NULL OR p.name > $1)"
	    " ORDER BY p.name LIMIT $2",
	.limit_default = 50, .limit_max = 200,
	.key = PAGE_KEY_TEXT,
};

static void
playbook_get(struct req *r)
{
	static const char sql[] = "SELECT " PLAYBOOK_JSON
	    " FROM hookpost.playbooks p WHERE p.name = $1";
	const char	*p[1];
	PGresult	*res;

	p[0] = r->params[0];
	if ((res = db_exec("playbook_get", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	resp_row(r, 200, res, "playbook");
	PQclear(res);
}

/* POST creates (409 if the name is taken); PUT creates or replaces. */
static void
playbook_write(struct req *r, int is_put)
{
	static const char sql[] = "INSERT INTO hookpost.playbooks AS p"
	    " (name, description, steps) VALUES ($1, coalesce($2, ''), $3)"
	    " ON CONFLICT (name) DO UPDATE SET"
	    "  description = coalesce($2, p.description), steps = $3,"
	    "  updated_at = now() WHERE $4"
	    " RETURNING " PLAYBOOK_JSON ", (xmax = 0)";
	json_t		*body = NULL, *steps;
	const char	*name, *p[4];
	char		*steps_s = NULL, err[256];
	PGresult	*res = NULL;

	if ((body = valid_body_new(r, VFIELDS(playbook_fields))) == NULL)
		goto out;
	name = is_put ? r->params[0] :
	    json_string_value(json_object_get(body, "name"));
	if (!name_valid(name)) {
		resp_error(r, 400, "invalid_field", "Playbook name must match "
		    "[a-z0-9][a-z0-9._-]{0,63}");
		goto out;
	}
	if ((steps = json_object_get(body, "steps")) == NULL) {
		resp_error(r, 400, "invalid_field", "Field 'steps' is required");
		goto out;
	}
	if (triage_steps_valid(steps, err, sizeof(err)) == -1) {
		resp_error(r, 400, "invalid_field", "steps: %s", err);
		goto out;
	}
	steps_s = json_dumps(steps, JSON_COMPACT | JSON_PRESERVE_ORDER);
	p[0] = name;
	p[1] = json_string_value(json_object_get(body, "description"));
	p[2] = steps_s;
	p[3] = is_put ? "t" : "f";
	if ((res = db_exec("playbook_write", sql, 4, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (PQntuples(res) == 0) {
		resp_error(r, 409, "conflict", "Playbook '%s' already exists",
		    name);
		goto out;
	}
	resp_json(r, strcmp(PQgetvalue(res, 0, 1), "t") == 0 ? 201 : 200,
	    json_loads(PQgetvalue(res, 0, 0), 0, NULL));
out:
	PQclear(res);
	json_decref(body);
	free(steps_s);
}

static void
playbook_delete(struct req *r)
{
	static const char sql[] = "DELETE FROM hookpost.playbooks"
	    " WHERE name = $1";
	const char	*p[1];
	PGresult	*res;

	p[0] = r->params[0];
	if ((res = db_exec("playbook_delete", sql, 1, p)) == NULL) {
		if (strcmp(db_last_sqlstate(), "23503") == 0)
			resp_error(r, 409, "conflict", "Playbook '%.64s' is used "
			    "by a webhook source", p[0]);
		else
			resp_db_error(r);
		return;
	}
	resp_deleted(r, res, "playbook");
	PQclear(res);
}

/* --- audit ------------------------------------------------------------ */

static const struct page_filter audit_filters[] = {
	{ "source", 80 },
	{ "outcome", 24 },
	{ "status", 8 },
	{ "code", 48 },
};

static const struct page_list audit_list = {
	.name = "audit_list",
	.sql = "SELECT json_build_object('id', w.id,"
	    " 'received_at', w.received_at, 'kind', w.kind, 'source', w.source,"
	    " 'remote_addr', w.remote_addr, 'user_agent', w.user_agent,"
	    " 'http_status', w.http_status, 'outcome', w.outcome,"
	    " 'error_code', w.error_code, 'processing_ms', w.processing_ms,"
	    " 'body_sha256', w.body_sha256, 'body_size', w.body_size,"
	    " 'incident_id', w.incident_id, 'queue_id', w.queue_id)::text,"
	    " w.id::text, ''"
	    " FROM hookpost.requests w"
	    " WHERE ($1::text IS NULL OR w.source = $1)"
	    " AND ($2::text IS NULL OR w.outcome = $2)"
	    " AND ($3::int IS NULL OR w.http_status = $3)"
	    " AND ($4::text IS NULL OR w.error_code = $4)"
	    " AND ($5::bigint IS NULL OR w.id < $5)"
	    " ORDER BY w.id DESC LIMIT $6",
	.limit_default = 100, .limit_max = 1000,
	.key = PAGE_KEY_ID,
	PAGE_FILTERS(audit_filters),
};

/* --- tokens ------------------------------------------------------------ */

static const char *const roles[] = { "admin", "user", "service", NULL };

static const struct vfield token_fields[] = {
	{ "name", V_STRING, 0, 0, 128, NULL, 0 },
	{ "role", V_ENUM, 1, 0, 0, roles, 0 },
	{ "owner_id", V_STRING, 0, 1, 128, NULL, 1 },
	{ "permissions", V_ARRAY, 0, 0, 8, NULL, 0 },
};

/* Permissions beyond a role (sql/018): seed 003's MANAGE_SETTINGS. */
static const char *const permissions[] = { "manage_settings", NULL };

#define TOKEN_JSON \
	"json_build_object('id', t.id, 'name', t.name, 'role', t.role," \
	" 'owner_id', t.owner_id, 'permissions', t.permissions," \
	" 'created_at', t.created_at," \
	" 'last_used_at', t.last_used_at, 'revoked_at', t.revoked_at)"

static const struct page_list token_list = {
	.name = "token_list",
	.sql = "SELECT " TOKEN_JSON "::text,"
	    " t.created_at::text, t.id::text FROM hookpost.api_tokens t"
	    " WHERE ($1::timestamptz IS NULL OR"
	    "  (t.created_at, t.id) < ($1::timestamptz, $2::uuid))"
	    " ORDER BY t.created_at DESC, t.id DESC LIMIT $3",
	.limit_default = 50, .limit_max = 200,
	.key = PAGE_KEY_TIME_UUID,
};

static void
token_create(struct req *r)
{
	static const char sql[] = "INSERT INTO hookpost.api_tokens AS t"
	    " (name, token_hash, role, owner_id, permissions)"
	    " VALUES (coalesce($1, ''), $2, $3, $4, ARRAY(SELECT DISTINCT"
	    "  lower(x) FROM jsonb_array_elements_text(coalesce($5::jsonb,"
	    "  '[]')) x ORDER BY 1)) RETURNING " TOKEN_JSON "::text";
	json_t		*body = NULL, *j, *v;
	const char	*role, *owner, *perm, *p[5];
	char		*token = NULL, *perms = NULL, hash[65];
	PGresult	*res = NULL;
	size_t		 i;

	if ((body = valid_body_new(r, VFIELDS(token_fields))) == NULL)
		goto out;
	json_array_foreach(json_object_get(body, "permissions"), i, v) {
		if ((perm = json_string_value(v)) == NULL ||
		    !valid_enum(permissions, perm)) {
			resp_error(r, 400, "invalid_field", "Field "
			    "'permissions': entry %zu must be one of: "
			    "manage_settings", i);
			goto out;
		}
	}
	perms = json_object_get(body, "permissions") != NULL ?
	    json_dumps(json_object_get(body, "permissions"), JSON_COMPACT) :
	    NULL;
	role = json_string_value(json_object_get(body, "role"));
	owner = json_string_value(json_object_get(body, "owner_id"));
	if (strcmp(role, "user") == 0 && owner == NULL) {
		resp_error(r, 400, "invalid_field",
		    "A user token needs 'owner_id'");
		goto out;
	}
	/* "admin" owns admin-made subscriptions that see every owner. */
	if (owner != NULL && strcmp(role, "admin") != 0 &&
	    strcmp(owner, "admin") == 0) {
		resp_error(r, 400, "invalid_field",
		    "owner_id 'admin' is reserved");
		goto out;
	}
	if ((token = crypt_token_new("hp_", 40)) == NULL) {
		resp_error(r, 500, "internal", "No randomness");
		goto out;
	}
	crypt_sha256_hex(token, strlen(token), hash);
	p[0] = json_string_value(json_object_get(body, "name"));
	p[1] = hash;
	p[2] = role;
	p[3] = owner;
	p[4] = perms;
	if ((res = db_exec("token_create", sql, 5, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	j = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	/* Shown once: only its hash is kept. */
	json_object_set_new(j, "token", json_string(token));
	resp_json(r, 201, j);
out:
	PQclear(res);
	json_decref(body);
	free(perms);
	if (token != NULL) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
}

static void
token_delete(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.api_tokens"
	    " SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL";
	const char	*p[1];
	PGresult	*res;

	if (!uuid_valid(r->params[0])) {
		resp_error(r, 404, "not_found", "No such token");
		return;
	}
	p[0] = r->params[0];
	if ((res = db_exec("token_delete", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	resp_deleted(r, res, "token");
	PQclear(res);
}

/* --- console sessions (issue 11, sql/020) ------------------------------ */

/* What a session shows: never its secret, which is not kept. */
#define SESSION_JSON \
	"json_build_object('id', s.id, 'token_id', s.api_token_id," \
	" 'role', s.role, 'owner_id', s.owner_id," \
	" 'permissions', s.permissions, 'created_at', s.created_at," \
	" 'expires_at', s.expires_at, 'last_seen_at', s.last_seen_at," \
	" 'revoked_at', s.revoked_at, 'active', s.revoked_at IS NULL AND" \
	" s.expires_at > now() AND (s.api_token_id IS NULL OR" \
	" (SELECT t.revoked_at IS NULL FROM hookpost.api_tokens t" \
	"  WHERE t.id = s.api_token_id))," \
	" 'user_agent', s.user_agent, 'client_addr', s.client_addr)"

static const struct vfield session_fields[] = {
	{ "token", V_STRING, 1, 1, 512, NULL, 0 },
};

static const struct page_list session_list = {
	.name = "session_list",
	.sql = "SELECT " SESSION_JSON "::text,"
	    " s.created_at::text, s.id::text FROM hookpost.console_sessions s"
	    " WHERE ($1::timestamptz IS NULL OR"
	    "  (s.created_at, s.id) < ($1::timestamptz, $2::uuid))"
	    " ORDER BY s.created_at DESC, s.id DESC LIMIT $3",
	.limit_default = 50, .limit_max = 200,
	.key = PAGE_KEY_TIME_UUID,
};

/*
 * The Set-Cookie header of a session's secret, or of its removal (secret
 * NULL: Max-Age=0).  HttpOnly: no script reads it; SameSite=Strict: no
 * other site's page sends it; Secure whenever the client came over
 * HTTPS, so that it never travels in clear.  A new string.
 */
static char *
session_cookie_new(const struct req *r, const char *secret)
{
	return xasprintf("Set-Cookie: " AUTH_SESSION_COOKIE "=%s; Path=/;"
	    " HttpOnly; SameSite=Strict; Max-Age=%ld%s\r\n",
	    secret != NULL ? secret : "", secret != NULL ? cfg.session_ttl : 0,
	    req_https(r) ? "; Secure" : "");
}

/*
 * POST /api/session: an API token (body {"token"} or the Authorization
 * header) for a session cookie.  The secret goes to the browser only;
 * the database keeps its SHA-256.
 */
static void
session_create(struct req *r)
{
	static const char sql[] = "INSERT INTO hookpost.console_sessions AS s"
	    " (session_hash, api_token_id, role, owner_id, permissions,"
	    "  expires_at, user_agent, client_addr)"
	    " VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN"
	    "  '{manage_settings}'::text[] ELSE '{}' END,"
	    "  now() + $6::bigint * interval '1 second', left($7, 512), $8)"
	    " RETURNING json_build_object('id', s.id, 'role', s.role,"
	    "  'owner_id', s.owner_id, 'permissions', s.permissions,"
	    "  'expires_at', s.expires_at)::text";
	json_t			*body = NULL;
	const char		*h, *tok, *p[8];
	char			*secret = NULL, *cookie = NULL, *out = NULL;
	char			 hash[65], ttl[32], addr[64];
	struct cidr_addr	 a;
	PGresult		*res = NULL;

	/*
	 * Another site's page must not sign this browser in, least of all
	 * with the other site's token (login CSRF).
	 */
	if (auth_origin_check(r) == -1)
		goto out;
	if ((h = req_header(r, "Authorization")) != NULL) {
		if (strncasecmp(h, "Bearer ", 7) != 0) {
			resp_error(r, 401, "unauthorized", "Missing bearer "
			    "token (Authorization: Bearer <token>)");
			goto out;
		}
		tok = h + 7;
	} else {
		if ((body = valid_body_new(r, VFIELDS(session_fields))) ==
		    NULL)
			goto out;
		tok = json_string_value(json_object_get(body, "token"));
	}
	if (auth_token_check(r, tok) == -1)
		goto out;
	if ((secret = crypt_token_new("hps_", 43)) == NULL) {
		resp_error(r, 500, "internal", "No randomness");
		goto out;
	}
	crypt_sha256_hex(secret, strlen(secret), hash);
	snprintf(ttl, sizeof(ttl), "%ld", cfg.session_ttl);
	p[0] = hash;
	p[1] = r->auth.token_id;	/* NULL for a JWT */
	p[2] = r->auth.admin ? "admin" : r->auth.service ? "service" : "user";
	p[3] = r->auth.owner_id;
	p[4] = r->auth.manage_settings ? "t" : "f";
	p[5] = ttl;
	p[6] = r->user_agent;
	p[7] = cidr_client_addr(r->remote_addr,
	    req_header(r, "X-Forwarded-For"), cfg.trusted_proxies, &a, addr,
	    sizeof(addr)) == 0 ? addr : NULL;
	if ((res = db_exec("session_create", sql, 8, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	out = PQgetvalue(res, 0, 0);
	cookie = session_cookie_new(r, secret);
	resp_send(r, 201, "application/json", cookie, out, strlen(out));
out:
	PQclear(res);
	json_decref(body);
	free(cookie);
	if (secret != NULL) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}

/* The session this request's cookie is, or 401: a Bearer one has none. */
static int
session_need(struct req *r)
{
	if (r->auth.session_id != NULL)
		return 0;
	resp_error(r, 401, "unauthorized", "This request carries no console "
	    "session (the " AUTH_SESSION_COOKIE " cookie)");
	return -1;
}

static void
session_get(struct req *r, const char *id)
{
	static const char sql[] = "SELECT " SESSION_JSON "::text"
	    " FROM hookpost.console_sessions s WHERE s.id = $1";
	const char	*p[1];
	PGresult	*res;

	p[0] = id;
	if ((res = db_exec("session_get", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	resp_row(r, 200, res, "session");
	PQclear(res);
}

/*
 * Revokes a session: sign-out (mine: the cookie is cleared too) or an
 * admin's DELETE /api/sessions/:id.  204, or 404 when id is no active
 * session.
 */
static void
session_revoke(struct req *r, const char *id, int mine)
{
	static const char sql[] = "UPDATE hookpost.console_sessions"
	    " SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL";
	const char	*p[1];
	char		*cookie;
	PGresult	*res;

	if (!uuid_valid(id)) {
		resp_error(r, 404, "not_found", "No such session");
		return;
	}
	p[0] = id;
	if ((res = db_exec("session_revoke", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if (mine) {
		cookie = session_cookie_new(r, NULL);
		resp_send(r, 204, "application/json", cookie, "", 0);
		free(cookie);
	} else
		resp_deleted(r, res, "session");
	PQclear(res);
}

/* --- health figures (issue 11, sql/functions/stats.sql) --------------- */

/* GET /api/stats?hours=N: N from 1 to a week, 24 when absent. */
#define STATS_HOURS_DEFAULT	24
#define STATS_HOURS_MAX		168

static void
stats_get(struct req *r)
{
	static const char sql[] = "SELECT hookpost.stats($1::integer, $2)";
	const char	*p[2];
	char		 hours[24];
	long long	 n;
	PGresult	*res;

	n = STATS_HOURS_DEFAULT;
	if (req_query_uint(r, "hours", 1, STATS_HOURS_MAX, &n) == -1) {
		resp_error(r, 400, "invalid_field", "hours must be an integer "
		    "from 1 to %d", STATS_HOURS_MAX);
		return;
	}
	snprintf(hours, sizeof(hours), "%lld", n);
	p[0] = hours;
	p[1] = auth_scope(r);	/* NULL: an admin sees every owner */
	if ((res = db_exec("stats_get", sql, 2, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	resp_row(r, 200, res, "stats");
	PQclear(res);
}

static void
dispatch(struct req *r, int route)
{
	switch ((enum route)route) {
	case ROUTE_INCIDENT_LIST:
		page_list(r, &incident_list);
		break;
	case ROUTE_INCIDENT_GET:
		incident_get(r);
		break;
	case ROUTE_PLAYBOOK_LIST:
		page_list(r, &playbook_list);
		break;
	case ROUTE_PLAYBOOK_CREATE:
		playbook_write(r, 0);
		break;
	case ROUTE_PLAYBOOK_GET:
		playbook_get(r);
		break;
	case ROUTE_PLAYBOOK_PUT:
		playbook_write(r, 1);
		break;
	case ROUTE_PLAYBOOK_DELETE:
		playbook_delete(r);
		break;
	case ROUTE_AUDIT_LIST:
		page_list(r, &audit_list);
		break;
	case ROUTE_TOKEN_LIST:
		page_list(r, &token_list);
		break;
	case ROUTE_TOKEN_CREATE:
		token_create(r);
		break;
	case ROUTE_TOKEN_DELETE:
		token_delete(r);
		break;
	case ROUTE_SESSION_CREATE:
		session_create(r);
		break;
	case ROUTE_SESSION_GET:
		if (session_need(r) == 0)
			session_get(r, r->auth.session_id);
		break;
	case ROUTE_SESSION_DELETE:
		if (session_need(r) == 0)
			session_revoke(r, r->auth.session_id, 1);
		break;
	case ROUTE_SESSION_LIST:
		page_list(r, &session_list);
		break;
	case ROUTE_SESSION_REVOKE:
		session_revoke(r, r->params[0], 0);
		break;
	case ROUTE_STATS:
		stats_get(r);
		break;
	case ROUTE__MAX:
		break;
	}
}

SRV_MAIN(routes, dispatch)
