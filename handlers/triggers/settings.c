/*
 * triggers: a trigger's settings as the API takes them, the one home of
 * every body that sets them: POST and PUT /api/v1/triggers[/:ref], the
 * settings routes .../webhook[s]/hmac/enable, hmac/disable, rate-limit,
 * ip-allowlist, payload-limit, and each trigger of a pack (pack.c).  The
 * rules themselves are hookpost.trigger_configure's
 * (sql/functions/triggers.sql); here, the checks SQL cannot make and the
 * secrets only C may see.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "cfg.h"
#include "cidr.h"
#include "crypt.h"
#include "db.h"
#include "jsonpath.h"
#include "provider.h"
#include "req.h"
#include "schema.h"
#include "util.h"
#include "valid.h"
#include "triggers.h"

#define DESCRIPTION_MAX	1024
#define LIMIT_KB_MAX	65536

static const struct vfield hmac_fields[] = {
	{ "enabled", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "algorithm", V_ENUM, 0, 0, 0, provider_algorithms, 0 },
	{ "secret", V_STRING, 0, 8, 512, NULL, 0 },
	/* Without a preset: "timestamped" (new triggers) or "body" (seed 002). */
	{ "scheme", V_ENUM, 0, 0, 0, provider_hmac_schemes, 0 },
	/* stripe and slack: "mac" (default) or "id" only (issue 12). */
	{ "dedupe", V_ENUM, 0, 0, 0, provider_dedupe_modes, 0 },
};

/* seed 002 "Rate Limiting: per webhook key: 100 requests per minute". */
static const struct vfield rate_fields[] = {
	{ "enabled", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "requests", V_INT, 0, 1, 10000, NULL, 0 },
	{ "window_seconds", V_INT, 0, 1, 86400, NULL, 0 },
};

/* Stored canonical; enabled with no CIDRs admits no one (fail closed). */
static const struct vfield allowlist_fields[] = {
	{ "enabled", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "cidrs", V_ARRAY, 0, 0, ALLOWLIST_MAX, NULL, 0 },
};

/* seed 002 "Maximum payload size: 1 MB", per trigger, in KiB. */
static const struct vfield payload_limit_fields[] = {
	{ "kb", V_INT, 1, 1, LIMIT_KB_MAX, NULL, 0 },
};

/*
 * The settings groups of seed 002 phase 3.  In a trigger body a group is
 * the member of its name ({"rate_limit": {"requests": 50}}), or for a
 * group of one field a plain member (top: "payload_limit_kb"); its own
 * route (group_put) takes the group's fields as the whole body.
 */
struct group {
	const char		*name;
	const char		*top;
	const struct vfield	*fields;
	size_t			 nfields;
	const char		*hint;	/* the answer to an empty one */
};

static const struct group groups[] = {
	{ "hmac", NULL, VFIELDS(hmac_fields),
	  "Give enabled, algorithm, scheme, dedupe and/or secret" },
	{ "rate_limit", NULL, VFIELDS(rate_fields),
	  "Give requests, window_seconds and/or enabled" },
	{ "ip_allowlist", NULL, VFIELDS(allowlist_fields),
	  "Give cidrs and/or enabled" },
	{ "payload_limit", "payload_limit_kb", VFIELDS(payload_limit_fields),
	  "Give kb" },
};
#define NGROUPS		(sizeof(groups) / sizeof(groups[0]))

/*
 * seed 002's names for our settings (its "Database Schema Extensions",
 * "IP Whitelisting" and "Payload Transformation"; webhook_secret is its
 * phase 1 column), accepted wherever the setting is: in a trigger body
 * as group.field (or the plain member), in the group's own route as
 * field.  Answers use our names only (README "Seed 002's field names").
 */
static const struct alias {
	const char	*seed;
	const char	*group;		/* NULL: a plain member */
	const char	*field;		/* ours, in the group */
} aliases[] = {
	{ "webhook_payload_mapping", NULL, "payload_mapping" },
	{ "webhook_payload_size_limit_kb", "payload_limit", "kb" },
	{ "webhook_ip_whitelist", "ip_allowlist", "cidrs" },
	{ "webhook_ip_whitelist_enabled", "ip_allowlist", "enabled" },
	{ "webhook_rate_limit_enabled", "rate_limit", "enabled" },
	{ "webhook_rate_limit_requests", "rate_limit", "requests" },
	{ "webhook_rate_limit_window_seconds", "rate_limit", "window_seconds" },
	{ "webhook_hmac_enabled", "hmac", "enabled" },
	{ "webhook_hmac_secret", "hmac", "secret" },
	{ "webhook_hmac_algorithm", "hmac", "algorithm" },
	{ "webhook_hmac_scheme", "hmac", "scheme" },
	{ "webhook_secret", "hmac", "secret" },
};
#define NALIASES	(sizeof(aliases) / sizeof(aliases[0]))

/* The members of a trigger body (POST, PUT), after the aliases. */
static const struct vfield trigger_fields[] = {
	{ "ref", V_STRING, 0, 3, REF_MAX, NULL, 0 },
	{ "owner_id", V_STRING, 0, 1, AUTH_OWNER_MAX, NULL, 1 },
	{ "description", V_STRING, 0, 0, DESCRIPTION_MAX, NULL, 0 },
	{ "payload_schema", V_OBJECT, 0, 0, 0, NULL, 1 },
	{ "payload_mapping", V_OBJECT, 0, 0, 0, NULL, 1 },
	{ "preset", V_ENUM, 0, 0, 0, provider_names, 1 },
	{ "webhook_enabled", V_BOOL, 0, 0, 0, NULL, 0 },
	{ "hmac", V_OBJECT, 0, 0, 0, NULL, 0 },
	{ "rate_limit", V_OBJECT, 0, 0, 0, NULL, 0 },
	{ "ip_allowlist", V_OBJECT, 0, 0, 0, NULL, 0 },
	{ "payload_limit_kb", V_INT, 0, 1, LIMIT_KB_MAX, NULL, 0 },
};

/*
 * A trigger of a pack: what seed 002's "Pack Definition" declares (name,
 * ref, description, type: webhook, payload_schema) and the payload
 * handling; the webhook itself is each deployment's (the API, the CLI).
 */
static const char *const pack_types[] = { "webhook", NULL };

static const struct vfield pack_fields[] = {
	{ "name", V_STRING, 0, 1, REF_MAX, NULL, 0 },
	{ "ref", V_STRING, 1, 3, REF_MAX, NULL, 0 },
	{ "type", V_ENUM, 0, 0, 0, pack_types, 0 },
	{ "description", V_STRING, 0, 0, DESCRIPTION_MAX, NULL, 0 },
	{ "payload_schema", V_OBJECT, 0, 0, 0, NULL, 1 },
	{ "payload_mapping", V_OBJECT, 0, 0, 0, NULL, 1 },
	{ "preset", V_ENUM, 0, 0, 0, provider_names, 1 },
};

static const struct group *
group_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NGROUPS; i++)
		if (strcmp(groups[i].name, name) == 0)
			return &groups[i];
	return NULL;
}

/*
 * Renames seed 002's names in body to ours: a trigger body's (route
 * NULL), or the body of route's group (the aliases of other groups are
 * left, to be refused as unknown).  0, or -1 after answering 400.
 */
static int
alias_apply(struct req *r, json_t *body, const struct group *route)
{
	const struct alias	*a;
	const struct group	*g;
	json_t			*v, *dst;
	const char		*name;
	char			 ours[96];
	size_t			 i;

	for (i = 0; i < NALIASES; i++) {
		a = &aliases[i];
		if ((v = json_object_get(body, a->seed)) == NULL)
			continue;
		g = a->group != NULL ? group_find(a->group) : NULL;
		dst = body;
		name = a->field;
		if (route != NULL) {
			if (g != route)
				continue;
		} else if (g != NULL && g->top != NULL)
			name = g->top;
		else if (g != NULL) {
			if ((dst = json_object_get(body, g->name)) == NULL) {
				dst = json_object();
				json_object_set_new(body, g->name, dst);
			} else if (!json_is_object(dst)) {
				resp_error(r, 400, "invalid_field", "Field '%s' "
				    "must be an object", g->name);
				return -1;
			}
		}
		snprintf(ours, sizeof(ours), "%s%s%s", dst != body ? g->name :
		    "", dst != body ? "." : "", name);
		if (json_object_get(dst, name) != NULL) {
			resp_error(r, 400, "invalid_field", "Give '%s' or "
			    "'%s' (seed 002's name for it), not both", ours,
			    a->seed);
			return -1;
		}
		json_object_set(dst, name, v);
		json_object_del(body, a->seed);
	}
	return 0;
}

/* body[name], when given and not null, passed by check.  0, or -1. */
static int
member_check(struct req *r, const json_t *body, const char *name,
    int (*check)(const json_t *, char *, size_t))
{
	json_t	*v;
	char	 err[512];

	if ((v = json_object_get(body, name)) == NULL || json_is_null(v))
		return 0;
	if (check(v, err, sizeof(err)) == -1) {
		resp_error(r, 400, "invalid_field", "%s: %s", name, err);
		return -1;
	}
	return 0;
}

/*
 * body's owner_id, if given: a user gives only its own (seed 002 "keys
 * scoped to identities/organizations"), an admin any, or null for none.
 * 0, or -1 after answering 400 or 403.
 */
int
owner_check(struct req *r, const json_t *body)
{
	const char	*owner;
	json_t		*v;

	if ((v = json_object_get(body, "owner_id")) == NULL)
		return 0;
	owner = json_string_value(v);
	if (!r->auth.admin && (owner == NULL || r->auth.owner_id == NULL ||
	    strcmp(owner, r->auth.owner_id) != 0)) {
		resp_error(r, 403, "forbidden", "Only an admin may give a "
		    "trigger to another owner");
		return -1;
	}
	if (owner != NULL && !auth_owner_valid(owner)) {
		resp_error(r, 400, "invalid_field", "Field 'owner_id' must be 1 "
		    "to %d printable characters", AUTH_OWNER_MAX);
		return -1;
	}
	return 0;
}

/*
 * What a body may set beyond its types: the ref's shape (and a pack
 * trigger's name, its last part), the schema (lib/schema subset), the
 * mapping (JSONPath), the owner.  0, or -1 after answering 400 or 403.
 */
static int
plain_check(struct req *r, const json_t *body)
{
	const char	*ref, *name;
	size_t		 rn, nn;

	ref = json_string_value(json_object_get(body, "ref"));
	if (ref != NULL && !ref_valid(ref)) {
		resp_error(r, 400, "invalid_field", "Field 'ref' must look like "
		    "github.push: lower-case words of [a-z0-9_-] joined by dots");
		return -1;
	}
	name = json_string_value(json_object_get(body, "name"));
	if (name != NULL && ref != NULL && ((rn = strlen(ref)) <=
	    (nn = strlen(name)) || ref[rn - nn - 1] != '.' ||
	    strcmp(ref + rn - nn, name) != 0)) {
		resp_error(r, 400, "invalid_field", "Field 'name' (%s) must be "
		    "the last part of ref (%s), as push is of github.push",
		    name, ref);
		return -1;
	}
	if (member_check(r, body, "payload_schema", schema_check) == -1 ||
	    member_check(r, body, "payload_mapping", jsonpath_map_valid) == -1)
		return -1;
	return owner_check(r, body);
}

/* cidrs made canonical (lib/cidr) in place.  0, or -1 after answering. */
static int
cidrs_canonical(struct req *r, json_t *group)
{
	json_t		*cidrs, *canon, *e;
	const char	*s;
	char		 text[64];
	struct cidr	 c;
	size_t		 i;

	if ((cidrs = json_object_get(group, "cidrs")) == NULL)
		return 0;
	canon = json_array();
	json_array_foreach(cidrs, i, e) {
		if ((s = json_string_value(e)) == NULL ||
		    cidr_parse(s, &c) == -1) {
			json_decref(canon);
			resp_error(r, 400, "invalid_field", "cidrs[%zu] is not an "
			    "IPv4 or IPv6 CIDR such as 192.30.252.0/22 or "
			    "2001:db8::/32", i);
			return -1;
		}
		json_array_append_new(canon, json_string(cidr_format(&c, text,
		    sizeof(text))));
	}
	json_object_set_new(group, "cidrs", canon);
	return 0;
}

/*
 * seed 002 phase 3 "enable_webhook_hmac(): Enable HMAC with secret
 * generation".  A given secret is sealed and taken out of the body; for
 * HMAC turned on, a generated one (whsec_ + base64 of 24 random bytes,
 * also a valid Standard Webhooks secret) is made, which SQL uses only
 * when the trigger ends without a secret.  0, or -1 after answering.
 */
static int
hmac_secrets(struct req *r, json_t *group, enum provider preset,
    struct tset *ts)
{
	const char	*given;
	unsigned char	*raw;
	size_t		 rawlen;

	if (preset != PROVIDER_NONE && json_object_get(group, "scheme")) {
		resp_error(r, 400, "invalid_field", "Field 'scheme' is for "
		    "triggers without a preset: the %s preset signs its own "
		    "way", provider_name(preset));
		return -1;
	}
	/* The other schemes dedupe as they must (README "Signatures"). */
	if (preset != PROVIDER_STRIPE && preset != PROVIDER_SLACK &&
	    json_object_get(group, "dedupe")) {
		resp_error(r, 400, "invalid_field", "Field 'dedupe' is for the "
		    "stripe and slack presets, whose providers send some "
		    "requests without an id");
		return -1;
	}
	given = json_string_value(json_object_get(group, "secret"));
	/* Standard Webhooks keys are whsec_<base64>: say so now, not at 401. */
	if (given != NULL && preset == PROVIDER_STANDARD) {
		raw = crypt_unb64_new(strncmp(given, "whsec_", 6) == 0 ?
		    given + 6 : given, &rawlen);
		free(raw);
		if (raw == NULL) {
			resp_error(r, 400, "invalid_field", "The standard preset "
			    "needs a secret of the form whsec_<base64>");
			return -1;
		}
	}
	if (given != NULL && (ts->secret_sealed = crypt_secret_seal(given)) ==
	    NULL)
		goto unavailable;
	json_object_del(group, "secret");
	if (json_is_false(json_object_get(group, "enabled")))
		return 0;
	if ((ts->gen = crypt_whsec_new()) == NULL) {
		resp_error(r, 500, "internal", "No randomness");
		return -1;
	}
	if ((ts->gen_sealed = crypt_secret_seal(ts->gen)) == NULL)
		goto unavailable;
	return 0;
unavailable:
	resp_error(r, 503, "unavailable", "Secret storage unavailable "
	    "(HOOKPOST_SECRET_KEY_FILE)");
	return -1;
}

/*
 * The settings groups of a trigger body: each checked against its fields
 * and not empty, the CIDRs canonical, the secrets apart, the payload
 * limit within the server's.  `route`: the body came from that group's
 * route, whose messages name the fields as it takes them.  0, or -1
 * after answering.
 */
static int
groups_check(struct req *r, json_t *body, enum provider preset,
    const struct group *route, struct tset *ts)
{
	const struct group	*g;
	const char		*ctx = r->error_context;
	json_t			*v;
	size_t			 i;
	int			 rc = -1;

	if ((v = json_object_get(body, "payload_limit_kb")) != NULL &&
	    json_integer_value(v) * 1024 > (json_int_t)cfg.max_body) {
		resp_error(r, 400, "invalid_field", "Field '%s' must be at most "
		    "%zu: the server's limit (HOOKPOST_MAX_BODY) is %zu bytes",
		    route != NULL ? "kb" : "payload_limit_kb",
		    cfg.max_body / 1024, cfg.max_body);
		return -1;
	}
	for (i = 0; i < NGROUPS; i++) {
		g = &groups[i];
		if (g->top != NULL ||
		    (v = json_object_get(body, g->name)) == NULL)
			continue;
		/* "rate_limit: Field 'requests' must be ..." */
		if (route == NULL && ctx == NULL)
			r->error_context = g->name;
		if (valid_object(r, v, g->fields, g->nfields) == -1)
			goto out;
		if (json_object_size(v) == 0) {
			resp_error(r, 400, "invalid_field", "%s", g->hint);
			goto out;
		}
		if (strcmp(g->name, "ip_allowlist") == 0 &&
		    cidrs_canonical(r, v) == -1)
			goto out;
		if (strcmp(g->name, "hmac") == 0 &&
		    hmac_secrets(r, v, preset, ts) == -1)
			goto out;
		r->error_context = ctx;
	}
	rc = 0;
out:
	r->error_context = ctx;
	return rc;
}

static int
tset_read_group(struct req *r, json_t *body, enum tset_kind kind,
    enum provider preset, const struct group *route, struct tset *ts)
{
	json_t	*v;

	memset(ts, 0, sizeof(*ts));
	if (alias_apply(r, body, NULL) == -1 ||
	    (kind == TSET_PACK ? valid_object(r, body, VFIELDS(pack_fields)) :
	    valid_object(r, body, VFIELDS(trigger_fields))) == -1 ||
	    plain_check(r, body) == -1)
		return -1;
	/* The preset the trigger will have decides the secret's form. */
	if ((v = json_object_get(body, "preset")) != NULL &&
	    provider_parse(json_string_value(v), &preset) == -1)
		preset = PROVIDER_NONE;
	if (groups_check(r, body, preset, route, ts) == -1)
		return -1;
	if (json_is_true(json_object_get(body, "webhook_enabled")) &&
	    newkey_make(r, &ts->k) == -1)
		return -1;
	if ((ts->set = json_dumps(body, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL) {
		resp_error(r, 500, "internal", "Cannot encode the settings");
		return -1;
	}
	return 0;
}

/*
 * A trigger body of kind (aliases renamed, checked) into ts; preset: the
 * trigger's, for an update that gives none.  0, or -1 after answering;
 * either way the caller tset_frees ts.
 */
int
tset_read(struct req *r, json_t *body, enum tset_kind kind,
    enum provider preset, struct tset *ts)
{
	return tset_read_group(r, body, kind, preset, NULL, ts);
}

void
tset_free(struct tset *ts)
{
	free(ts->set);
	free(ts->secret_sealed);
	crypt_secret_free(ts->gen);
	free(ts->gen_sealed);
	newkey_free(&ts->k);
	memset(ts, 0, sizeof(*ts));
}

/*
 * Answers {"data": trigger} from its row's text with status; when SQL
 * used the generated HMAC secret, it is shown in hmac.secret, this once.
 */
void
trigger_answer(struct req *r, int status, const char *text, int generated,
    const struct tset *ts)
{
	json_t	*j;

	if ((j = row_present(r, text)) == NULL)
		return;
	if (generated && ts->gen != NULL)
		json_object_set_new(json_object_get(j, "hmac"), "secret",
		    json_string(ts->gen));
	resp_json(r, status, json_pack("{s:o}", "data", j));
}

/* Applies ts to trigger id (hookpost.trigger_configure) and answers it. */
void
configure_answer(struct req *r, const char *id, const struct tset *ts)
{
	static const char sql[] = "SELECT c.trigger::text, c.generated"
	    " FROM hookpost.trigger_configure($1, $2::json, $3, $4, $5, $6) c";
	const char	*p[6];
	PGresult	*res;

	p[0] = id;
	p[1] = ts->set;
	p[2] = ts->secret_sealed;
	p[3] = ts->gen_sealed;
	p[4] = ts->k.key != NULL ? ts->k.hash : NULL;
	p[5] = ts->k.sealed;
	if ((res = db_exec("trig_configure", sql, 6, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	if (db_get(res, 0, 0) == NULL)
		not_found(r);
	else
		trigger_answer(r, 200, PQgetvalue(res, 0, 0),
		    strcmp(PQgetvalue(res, 0, 1), "t") == 0, ts);
	PQclear(res);
}

/*
 * A settings route: PUT .../rate-limit, .../ip-allowlist and
 * .../payload-limit take their group's fields (seed 002's names too) and
 * turn the group on unless told otherwise; POST .../hmac/enable (an
 * optional body) and .../hmac/disable (none) say "enabled" by their path
 * (on: 1 or 0; -1 for the others).  The body is then the trigger body
 * {group: body}, applied as a PUT of it would be.
 */
void
group_put(struct req *r, const char *name, int on)
{
	const struct group	*g;
	struct tset		 ts;
	enum provider		 preset;
	json_t			*body = NULL, *wrapped = NULL;
	char			 id[24];

	memset(&ts, 0, sizeof(ts));
	if ((g = group_find(name)) == NULL) {
		resp_error(r, 500, "internal", "No settings group %s", name);
		goto out;
	}
	if (trigger_resolve_preset(r, id, sizeof(id), &preset) == -1)
		goto out;
	if (on == 0)
		body = json_object();
	else if (on == 1) {
		if (optional_body(r, NULL, 0, &body) == -1)
			goto out;
		if (body == NULL)
			body = json_object();
	} else if ((body = req_json_object(r)) == NULL)
		goto out;
	if (alias_apply(r, body, g) == -1 ||
	    valid_object(r, body, g->fields, g->nfields) == -1)
		goto out;
	if (on != -1 && json_object_get(body, "enabled") != NULL) {
		resp_error(r, 400, "invalid_field", "The path says whether "
		    "HMAC is on: .../hmac/enable or .../hmac/disable");
		goto out;
	}
	if (on == -1 && json_object_size(body) == 0) {
		resp_error(r, 400, "invalid_field", "%s", g->hint);
		goto out;
	}
	if (on != -1)
		json_object_set_new(body, "enabled", json_boolean(on));
	wrapped = g->top != NULL ? json_pack("{s:O}", g->top,
	    json_object_get(body, g->fields[0].name)) :
	    json_pack("{s:O}", g->name, body);
	if (tset_read_group(r, wrapped, TSET_TRIGGER, preset, g, &ts) == 0)
		configure_answer(r, id, &ts);
out:
	tset_free(&ts);
	json_decref(body);
	json_decref(wrapped);
}
