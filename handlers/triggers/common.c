/* triggers: what the route files share (a trigger named in a URL, keys). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth.h"
#include "cfg.h"
#include "crypt.h"
#include "db.h"
#include "provider.h"
#include "req.h"
#include "util.h"
#include "triggers.h"

/* "github.push": the outbound event-type shape (sql/003_outbound.sql). */
int
ref_valid(const char *s)
{
	size_t	 i, seg = 0, dots = 0;

	if (s == NULL || strlen(s) > REF_MAX)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '.') {
			if (seg == 0)
				return 0;
			seg = 0;
			dots++;
		} else if ((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-')
			seg++;
		else
			return 0;
	}
	return dots > 0 && seg > 0;
}

int
tref_parse(struct req *r, const char *s, struct tref *t)
{
	long long	 id;

	t->p[0] = t->p[1] = NULL;
	t->p[2] = auth_scope(r);
	if (s != NULL && isdigit((unsigned char)s[0]) &&
	    parse_int(s, 1, (1LL << 62), &id) == 0) {
		snprintf(t->id, sizeof(t->id), "%lld", id);
		t->p[0] = t->id;
		return 0;
	}
	if (!ref_valid(s)) {
		resp_error(r, 404, "not_found", "Trigger '%.128s' does not "
		    "exist", s ? s : "");
		return -1;
	}
	t->p[1] = s;
	return 0;
}

void
not_found(struct req *r)
{
	resp_error(r, 404, "not_found", "Trigger '%.128s' does not exist",
	    r->params[0]);
}

/*
 * Replaces the sealed key at o[enc_name] by the key (o[key_name]) and its
 * webhook URL (o[url_name]); null when there is none.  0 or -1.
 */
static int
key_unseal(json_t *o, const char *enc_name, const char *key_name,
    const char *url_name, const char *base)
{
	const char	*enc;
	char		*key, *url;

	enc = json_string_value(json_object_get(o, enc_name));
	if (enc == NULL) {
		json_object_set_new(o, key_name, json_null());
		json_object_set_new(o, url_name, json_null());
		json_object_del(o, enc_name);
		return 0;
	}
	if ((key = crypt_secret_open(enc)) == NULL)
		return -1;
	url = xasprintf("%s/api/v1/webhooks/%s", base, key);
	json_object_set_new(o, key_name, json_string(key));
	json_object_set_new(o, url_name, json_string(url));
	json_object_del(o, enc_name);
	crypt_secret_free(key);
	free(url);
	return 0;
}

/*
 * A trigger, webhook-info or key row (sql/004_triggers.sql) made
 * presentable: sealed keys opened into webhook_key/webhook_url, key/url
 * and keys[].key/url.
 * Returns a new reference, or NULL after answering.
 */
json_t *
row_present(struct req *r, const char *text)
{
	json_t	*j, *k;
	char	*base;
	size_t	 i;
	int	 rc = 0;

	if ((j = json_loads(text, 0, NULL)) == NULL) {
		resp_error(r, 500, "internal", "Malformed row");
		return NULL;
	}
	base = req_base_url_new(r);	/* never a forged Host */
	if (json_object_get(j, "webhook_key_enc") != NULL)
		rc |= key_unseal(j, "webhook_key_enc", "webhook_key",
		    "webhook_url", base);
	if (json_object_get(j, "key_enc") != NULL)
		rc |= key_unseal(j, "key_enc", "key", "url", base);
	json_array_foreach(json_object_get(j, "keys"), i, k)
		rc |= key_unseal(k, "key_enc", "key", "url", base);
	free(base);
	if (rc != 0) {
		json_decref(j);
		resp_error(r, 503, "unavailable", "Key storage unavailable "
		    "(HOOKPOST_SECRET_KEY_FILE)");
		return NULL;
	}
	return j;
}

/* Answers {"data": row} with the keys opened. */
void
answer_row(struct req *r, int status, const char *text)
{
	json_t	*j;

	if ((j = row_present(r, text)) != NULL)
		resp_json(r, status, json_pack("{s:o}", "data", j));
}

/* Answers a trigger, webhook-info or stats row as {"data": row}, or 404
 * for the trigger named in the URL when there is none. */
static void
result_answer(struct req *r, const PGresult *res)
{
	if (PQntuples(res) == 0)
		not_found(r);
	else
		answer_row(r, 200, PQgetvalue(res, 0, 0));
}

/* Runs a statement that returns such a row and answers it. */
void
query_answer(struct req *r, const char *name, const char *sql, int nparams,
    const char **p)
{
	PGresult	*res;

	if ((res = db_exec(name, sql, nparams, p)) == NULL) {
		resp_db_error(r);
		return;
	}
	result_answer(r, res);
	PQclear(res);
}

/*
 * Runs sql with $1 the id of the trigger named in the URL, written to id
 * (at least 24 bytes).  Returns the result, which the caller PQclears, or
 * NULL after answering 404 or the database error.
 */
PGresult *
trigger_exec(struct req *r, char *id, size_t idsz, const char *name,
    const char *sql)
{
	const char	*p[1];
	PGresult	*res;

	if (trigger_resolve(r, id, idsz) == -1)
		return NULL;
	p[0] = id;
	if ((res = db_exec(name, sql, 1, p)) == NULL)
		resp_db_error(r);
	return res;
}

/* query_answer() for a statement whose only parameter is the trigger. */
void
trigger_query_answer(struct req *r, const char *name, const char *sql)
{
	PGresult	*res;
	char		 id[24];

	if ((res = trigger_exec(r, id, sizeof(id), name, sql)) == NULL)
		return;
	result_answer(r, res);
	PQclear(res);
}

/* A new key: its text, SHA-256 hex for lookup, sealed copy.  0 or -1. */
int
newkey_make(struct req *r, struct newkey *k)
{
	memset(k, 0, sizeof(*k));
	if ((k->key = crypt_token_new(KEY_PREFIX, KEY_RANDOM)) == NULL) {
		resp_error(r, 500, "internal", "No randomness");
		return -1;
	}
	crypt_sha256_hex(k->key, strlen(k->key), k->hash);
	if ((k->sealed = crypt_secret_seal(k->key)) == NULL) {
		resp_error(r, 503, "unavailable", "Key storage unavailable "
		    "(HOOKPOST_SECRET_KEY_FILE)");
		return -1;
	}
	return 0;
}

void
newkey_free(struct newkey *k)
{
	crypt_secret_free(k->key);
	free(k->sealed);
	memset(k, 0, sizeof(*k));
}

/* Key labels: [A-Za-z0-9][A-Za-z0-9 ._:-]{0,63}. */
int
label_valid(const char *s)
{
	size_t	 i;

	if (s == NULL || !isalnum((unsigned char)s[0]))
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (i == 64)
			return 0;
		if (!isalnum((unsigned char)s[i]) && strchr(" ._:-", s[i]) ==
		    NULL)
			return 0;
	}
	return 1;
}

/*
 * The JSON body checked against fields (NULL: only parsed) when there
 * may be none: *out is NULL, and nothing answered, for an empty body.
 * 0, or -1 after answering 400.
 */
int
optional_body(struct req *r, const struct vfield *fields, size_t nfields,
    json_t **out)
{
	size_t	 i;

	*out = NULL;
	for (i = 0; i < r->bodylen; i++)
		if (!isspace((unsigned char)r->body[i]))
			break;
	if (i == r->bodylen)
		return 0;
	*out = fields != NULL ? valid_body_new(r, fields, nfields) :
	    req_json_object(r);
	return *out == NULL ? -1 : 0;
}

/*
 * The trigger's id for a management route, or -1 after answering (404,
 * 503).  id: at least 24 bytes.  *preset, if asked for, is its preset.
 */
int
trigger_resolve_preset(struct req *r, char *id, size_t idsz,
    enum provider *preset)
{
	static const char sql[] = "SELECT t.id, t.preset"
	    " FROM hookpost.triggers t WHERE" TREF_WHERE;
	struct tref	 tr;
	PGresult	*res;
	int		 rc = -1;

	if (tref_parse(r, r->params[0], &tr) == -1)
		return -1;
	if ((res = db_exec("trig_resolve", sql, 3, tr.p)) == NULL) {
		resp_db_error(r);
		return -1;
	}
	if (PQntuples(res) == 0)
		not_found(r);
	else {
		snprintf(id, idsz, "%s", PQgetvalue(res, 0, 0));
		if (preset != NULL && provider_parse(db_get(res, 0, 1),
		    preset) == -1)
			*preset = PROVIDER_NONE;
		rc = 0;
	}
	PQclear(res);
	return rc;
}

int
trigger_resolve(struct req *r, char *id, size_t idsz)
{
	return trigger_resolve_preset(r, id, idsz, NULL);
}
