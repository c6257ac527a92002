/* triggers: a trigger's webhook, .../webhook[s] info, enable, disable, stats. */
#include <string.h>

#include <jansson.h>

#include "db.h"
#include "req.h"
#include "util.h"
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

void
stats(struct req *r)
{
	static const char sql[] = "SELECT row_to_json(s)::text"
	    " FROM hookpost.webhook_stats_detailed s WHERE s.trigger_id = $1";

	trigger_query_answer(r, "trig_stats", sql);
}
