/* triggers: a webhook's security settings: hmac, rate-limit, ip-allowlist,
 * payload-limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg.h"
#include "cidr.h"
#include "crypt.h"
#include "db.h"
#include "provider.h"
#include "req.h"
#include "util.h"
#include "valid.h"
#include "triggers.h"

static const struct vfield hmac_fields[] = {
	{ "algorithm", V_ENUM, 0, 0, 0, provider_algorithms, 0 },
	{ "secret", V_STRING, 0, 8, 512, NULL, 0 },
	/* Without a preset: "timestamped" (new triggers) or "body" (seed 002). */
	{ "scheme", V_ENUM, 0, 0, 0, provider_hmac_schemes, 0 },
};

/*
 * seed 002 phase 3 "enable_webhook_hmac(): Enable HMAC with secret
 * generation".  A given secret replaces the stored one; with none, a
 * trigger that has no secret gets a generated one (whsec_ + base64 of 24
 * random bytes, also a valid Standard Webhooks secret), shown once.
 */
void
hmac_enable(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.triggers t SET"
	    " hmac_enabled = true,"
	    " hmac_algorithm = coalesce($2, t.hmac_algorithm),"
	    " hmac_scheme = coalesce($5, t.hmac_scheme),"
	    " hmac_secret_enc = CASE WHEN $3::text IS NOT NULL THEN $3"
	    "  WHEN t.hmac_secret_enc IS NULL THEN $4 ELSE t.hmac_secret_enc END,"
	    " updated_at = now()"
	    " WHERE t.id = $1"
	    " RETURNING hookpost.trigger_json(t)::text,"
	    " t.hmac_secret_enc = $4 AS generated";
	json_t		*body = NULL, *extra = NULL, *j;
	const char	*given, *p[5];
	char		*gen = NULL, *gen_sealed = NULL, *sealed = NULL;
	char		 id[24];
	unsigned char	*raw;
	size_t		 rawlen;
	enum provider	 preset;
	PGresult	*res = NULL;

	if (trigger_resolve_preset(r, id, sizeof(id), &preset) == -1 ||
	    optional_body(r, VFIELDS(hmac_fields), &body) == -1)
		goto out;
	given = json_string_value(json_object_get(body, "secret"));
	if (preset != PROVIDER_NONE && json_object_get(body, "scheme")) {
		resp_error(r, 400, "invalid_field", "Field 'scheme' is for "
		    "triggers without a preset: the %s preset signs its own "
		    "way", provider_name(preset));
		goto out;
	}
	/* Standard Webhooks keys are whsec_<base64>: say so now, not at 401. */
	if (given != NULL && preset == PROVIDER_STANDARD) {
		raw = crypt_unb64_new(strncmp(given, "whsec_", 6) == 0 ?
		    given + 6 : given, &rawlen);
		free(raw);
		if (raw == NULL) {
			resp_error(r, 400, "invalid_field", "The standard preset "
			    "needs a secret of the form whsec_<base64>");
			goto out;
		}
	}
	if (given != NULL && (sealed = crypt_secret_seal(given)) == NULL)
		goto unavailable;
	if ((gen = crypt_whsec_new()) == NULL) {
		resp_error(r, 500, "internal", "No randomness");
		goto out;
	}
	if ((gen_sealed = crypt_secret_seal(gen)) == NULL)
		goto unavailable;
	p[0] = id;
	p[1] = json_string_value(json_object_get(body, "algorithm"));
	p[2] = sealed;
	p[3] = gen_sealed;
	p[4] = json_string_value(json_object_get(body, "scheme"));
	if ((res = db_exec("trig_hmac_enable", sql, 5, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		extra = json_pack("{s:{s:s}}", "hmac", "secret", gen);
	if ((j = row_present(r, PQgetvalue(res, 0, 0))) != NULL) {
		if (extra != NULL)
			json_object_update_recursive(j, extra);
		resp_json(r, 200, json_pack("{s:o}", "data", j));
	}
	goto out;
unavailable:
	resp_error(r, 503, "unavailable", "Secret storage unavailable "
	    "(HOOKPOST_SECRET_KEY_FILE)");
out:
	PQclear(res);
	json_decref(body);
	json_decref(extra);
	crypt_secret_free(gen);
	free(gen_sealed);
	free(sealed);
}

/* The secret is kept: enabling again verifies with it. */
void
hmac_disable(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.triggers t"
	    " SET hmac_enabled = false, updated_at = now() WHERE t.id = $1"
	    " RETURNING hookpost.trigger_json(t)::text";

	trigger_query_answer(r, "trig_hmac_disable", sql);
}

static const struct vfield rate_fields[] = {
	{ "requests", V_INT, 0, 1, 10000, NULL, 0 },
	{ "window_seconds", V_INT, 0, 1, 86400, NULL, 0 },
	{ "enabled", V_BOOL, 0, 0, 0, NULL, 0 },
};

/* PUT .../rate-limit {"requests":100,"window_seconds":60,"enabled":true} */
void
rate_limit_put(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.triggers t SET"
	    " rate_limit_requests = coalesce($2::integer, t.rate_limit_requests),"
	    " rate_limit_window_seconds = coalesce($3::integer,"
	    "  t.rate_limit_window_seconds),"
	    " rate_limit_enabled = coalesce($4::boolean, true),"
	    " updated_at = now() WHERE t.id = $1"
	    " RETURNING hookpost.trigger_json(t)::text";
	json_t		*body = NULL;
	const char	*p[4];
	char		 id[24], n1[24], n2[24];

	if (trigger_resolve(r, id, sizeof(id)) == -1 ||
	    (body = valid_body_new(r, VFIELDS(rate_fields))) == NULL)
		goto out;
	if (json_object_size(body) == 0) {
		resp_error(r, 400, "invalid_field", "Give requests, "
		    "window_seconds and/or enabled");
		goto out;
	}
	p[0] = id;
	p[1] = valid_int_param(body, "requests", n1, sizeof(n1));
	p[2] = valid_int_param(body, "window_seconds", n2, sizeof(n2));
	p[3] = valid_bool_param(body, "enabled");
	query_answer(r, "trig_rate", sql, 4, p);
out:
	json_decref(body);
}

static const struct vfield allowlist_fields[] = {
	{ "cidrs", V_ARRAY, 0, 0, ALLOWLIST_MAX, NULL, 0 },
	{ "enabled", V_BOOL, 0, 0, 0, NULL, 0 },
};

/*
 * PUT .../ip-allowlist {"cidrs":[...],"enabled":true}.  Giving cidrs
 * enables the list unless "enabled" says otherwise; enabled with no
 * CIDRs admits no one (fail closed).  Stored canonical.
 */
void
ip_allowlist_put(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.triggers t SET"
	    " ip_allowlist = CASE WHEN $2::jsonb IS NULL THEN t.ip_allowlist"
	    "  ELSE ARRAY(SELECT jsonb_array_elements_text($2::jsonb)) END,"
	    " ip_allowlist_enabled = coalesce($3::boolean, $2 IS NOT NULL"
	    "  OR t.ip_allowlist_enabled),"
	    " updated_at = now() WHERE t.id = $1"
	    " RETURNING hookpost.trigger_json(t)::text";
	json_t		*body = NULL, *cidrs, *canon = NULL, *e;
	const char	*p[3], *s;
	char		 id[24], text[64], *list = NULL;
	struct cidr	 c;
	size_t		 i;

	if (trigger_resolve(r, id, sizeof(id)) == -1 ||
	    (body = valid_body_new(r, VFIELDS(allowlist_fields))) == NULL)
		goto out;
	if (json_object_size(body) == 0) {
		resp_error(r, 400, "invalid_field", "Give cidrs and/or enabled");
		goto out;
	}
	if ((cidrs = json_object_get(body, "cidrs")) != NULL) {
		canon = json_array();
		json_array_foreach(cidrs, i, e) {
			if ((s = json_string_value(e)) == NULL ||
			    cidr_parse(s, &c) == -1) {
				resp_error(r, 400, "invalid_field", "cidrs[%zu] "
				    "is not an IPv4 or IPv6 CIDR such as "
				    "192.30.252.0/22 or 2001:db8::/32", i);
				goto out;
			}
			json_array_append_new(canon, json_string(cidr_format(&c,
			    text, sizeof(text))));
		}
		list = json_dumps(canon, JSON_COMPACT);
	}
	p[0] = id;
	p[1] = list;
	p[2] = valid_bool_param(body, "enabled");
	query_answer(r, "trig_allowlist", sql, 3, p);
out:
	json_decref(body);
	json_decref(canon);
	free(list);
}

static const struct vfield payload_limit_fields[] = {
	{ "kb", V_INT, 1, 1, 65536, NULL, 0 },
};

/* PUT .../payload-limit {"kb":512}: at most HOOKPOST_MAX_BODY. */
void
payload_limit_put(struct req *r)
{
	static const char sql[] = "UPDATE hookpost.triggers t SET"
	    " payload_limit_kb = $2::integer, updated_at = now()"
	    " WHERE t.id = $1 RETURNING hookpost.trigger_json(t)::text";
	json_t		*body = NULL;
	const char	*p[2];
	char		 id[24], kb[24];

	if (trigger_resolve(r, id, sizeof(id)) == -1 ||
	    (body = valid_body_new(r, VFIELDS(payload_limit_fields))) == NULL)
		goto out;
	p[0] = id;
	p[1] = valid_int_param(body, "kb", kb, sizeof(kb));
	if (json_integer_value(json_object_get(body, "kb")) * 1024 >
	    (json_int_t)cfg.max_body) {
		resp_error(r, 400, "invalid_field", "Field 'kb' must be at most "
		    "%zu: the server's limit (HOOKPOST_MAX_BODY) is %zu bytes",
		    cfg.max_body / 1024, cfg.max_body);
		goto out;
	}
	query_answer(r, "trig_payload_limit", sql, 2, p);
out:
	json_decref(body);
}
