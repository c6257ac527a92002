/*
 * triggers: a trigger's webhook, .../webhook[s] info, enable, disable,
 * sign, stats.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "crypt.h"
#include "db.h"
#include "provider.h"
#include "req.h"
#include "util.h"
#include "valid.h"
#include "triggers.h"

/* Answers {"data": webhook info} for trigger id, with extra members. */
void
answer_info(struct req *r, const char *id, json_t *extra)
{
	static const char sql[] =
	    "SELECT hookpost.trigger_webhook_info($1)::text";
	const char	*p[1] = { id };
	PGresult	*res;
	json_t		*j;

	if ((res = db_exec("trig_info", sql, 1, p)) == NULL) {
		json_decref(extra);
		resp_db_error(r);
		return;
	}
	if (PQgetisnull(res, 0, 0)) {
		json_decref(extra);
		not_found(r);
	} else if ((j = row_present(r, PQgetvalue(res, 0, 0))) != NULL) {
		if (extra != NULL)
			json_object_update(j, extra);
		resp_json(r, 200, json_pack("{s:o}", "data", j));
	}
	json_decref(extra);
	PQclear(res);
}

void
webhook_info(struct req *r)
{
	char	 id[24];

	if (trigger_resolve(r, id, sizeof(id)) == 0)
		answer_info(r, id, NULL);
}

/*
 * seed 002 "Enable Webhooks for Trigger": a trigger without a key (the
 * first enable, and every one after a disable) gets a new one.
 */
void
webhook_enable(struct req *r)
{
	static const char sql[] =
	    "SELECT hookpost.trigger_webhook_enable($1, $2, $3)";
	struct newkey	 k;
	const char	*p[3];
	char		 id[24];
	PGresult	*res;

	memset(&k, 0, sizeof(k));
	if (trigger_resolve(r, id, sizeof(id)) == -1 ||
	    newkey_make(r, &k) == -1)
		goto out;
	p[0] = id;
	p[1] = k.hash;
	p[2] = k.sealed;
	if ((res = db_exec("trig_enable", sql, 3, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	PQclear(res);
	answer_info(r, id, json_pack("{s:b}", "webhook_enabled", 1));
out:
	newkey_free(&k);
}

/*
 * seed 002 "Disable webhooks -> verify key removed": every key is
 * revoked at once (the old URLs answer 404, an unknown key) and the
 * answer shows none; enabling again makes a new key.
 */
void
webhook_disable(struct req *r)
{
	static const char sql[] =
	    "SELECT hookpost.trigger_webhook_disable($1)";
	char		 id[24];
	PGresult	*res;
	long long	 n = 0;

	if ((res = trigger_exec(r, id, sizeof(id), "trig_disable", sql)) ==
	    NULL)
		return;
	if (parse_int(PQgetvalue(res, 0, 0), 0, 1000000, &n) == -1)
		n = 0;
	PQclear(res);
	answer_info(r, id, json_pack("{s:b,s:I}", "webhook_enabled", 0,
	    "keys_revoked", (json_int_t)n));
}

/* What .../sign signs: the request body, byte for byte. */
#define SIGN_BODY_MAX	(1 << 20)	/* seed 002 "Maximum payload size: 1 MB" */

static const struct vfield sign_fields[] = {
	{ "body", V_STRING, 1, 0, SIGN_BODY_MAX, NULL, 0 },
};

/*
 * The console's test webhook tool (seed 002 phase 4 "Real-time webhook
 * testing tool"): the headers that sign body as the trigger's sender
 * would, made here with the stored secret so that no secret reaches the
 * browser; {"data": {"headers": {...}, "scheme", "timestamp"}}.  The
 * caller already manages the trigger (it could set the secret itself),
 * so a signature gives it nothing more.  409 when verification is off.
 */
void
webhook_sign(struct req *r)
{
	static const char sql[] = "SELECT t.hmac_enabled, t.hmac_algorithm,"
	    " t.hmac_secret_enc, t.preset"
	    " FROM hookpost.triggers t WHERE t.id = $1";
	struct buf	 sig = { NULL, 0, 0 };
	enum provider	 preset;
	const char	*p[1], *body, *scheme;
	char		 id[24], *secret = NULL, *msgid = NULL, *line, *eol;
	char		*colon;
	json_t		*in = NULL, *headers = NULL;
	PGresult	*res = NULL;
	long long	 ts;

	if (trigger_resolve(r, id, sizeof(id)) == -1 ||
	    (in = valid_body_new(r, VFIELDS(sign_fields))) == NULL)
		goto out;
	p[0] = id;
	if ((res = db_exec("trig_sign", sql, 1, p)) == NULL) {
		resp_db_error(r);
		goto out;
	}
	if (PQntuples(res) == 0) {
		not_found(r);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		resp_error(r, 409, "conflict", "Signature verification is "
		    "off for this trigger: send the body unsigned");
		goto out;
	}
	if (provider_parse(db_get(res, 0, 3), &preset) == -1)
		preset = PROVIDER_NONE;
	if (db_get(res, 0, 2) == NULL ||
	    (secret = crypt_secret_open(db_get(res, 0, 2))) == NULL) {
		resp_error(r, 503, "unavailable", "The trigger's secret "
		    "cannot be read (HOOKPOST_SECRET_KEY_FILE)");
		goto out;
	}
	body = json_string_value(json_object_get(in, "body"));
	ts = (long long)time(NULL);
	/* The standard preset signs a message id, webhook-id. */
	if ((msgid = crypt_token_new("msg_", 24)) == NULL) {
		resp_error(r, 500, "internal", "No randomness");
		goto out;
	}
	if (provider_sign(preset, db_get(res, 0, 1), secret, body,
	    json_string_length(json_object_get(in, "body")), msgid, ts,
	    &sig) == -1) {
		resp_error(r, 409, "conflict", "The trigger's secret cannot "
		    "sign under its scheme (the standard preset needs "
		    "whsec_<base64>)");
		goto out;
	}
	/* provider_sign's "Name: value\r\n" lines become one object. */
	headers = json_object();
	for (line = sig.data; line != NULL && *line != '\0'; line = eol + 2) {
		if ((eol = strstr(line, "\r\n")) == NULL)
			break;
		*eol = '\0';
		if ((colon = strstr(line, ": ")) == NULL)
			continue;
		*colon = '\0';
		json_object_set_new(headers, line, json_string(colon + 2));
	}
	/* Without a preset: timestamped, which both hmac_schemes accept. */
	scheme = preset != PROVIDER_NONE ? provider_name(preset) :
	    "timestamped";
	resp_json(r, 200, json_pack("{s:{s:o,s:s,s:I}}", "data", "headers",
	    headers, "scheme", scheme, "timestamp", (json_int_t)ts));
	headers = NULL;
out:
	if (sig.data != NULL)
		explicit_bzero(sig.data, sig.len);
	buf_free(&sig);
	crypt_secret_free(secret);
	free(msgid);
	json_decref(headers);
	json_decref(in);
	PQclear(res);
}

void
stats(struct req *r)
{
	static const char sql[] = "SELECT row_to_json(s)::text"
	    " FROM hookpost.webhook_stats_detailed s WHERE s.trigger_id = $1";

	trigger_query_answer(r, "trig_stats", sql);
}
