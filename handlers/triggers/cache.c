/*
 * The trigger receiver's copies of keys (seed 002), as the alert
 * receiver's of sources (handlers/sources/cache.c, which says why this
 * is safe): a key read once, with its trigger's whole configuration and
 * its opened HMAC secret, is kept between requests, so that a request
 * costs one round trip to the database, not two (issue 13).  A copy
 * decides nothing final: hookpost.trigger_receive stores nothing unless
 * the copy's version is still the key's and the trigger's
 * (hookpost.trigger_current; else the outcome is "stale"), and a refusal
 * decided on a copy is decided again from a fresh read (receive.c).  So
 * a revoked key, a disabled trigger, a new secret or limit take effect at
 * once.  The copies are kept by lib/copies.h, under the key's digest.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "copies.h"
#include "db.h"
#include "log.h"
#include "util.h"
#include "triggers.h"


/* The one read: the key joined with its trigger's whole configuration. */
static const char sql_read[] =
	"SELECT k.id, k.label, t.id, t.ref, t.webhook_enabled,"
	" t.payload_limit_kb, t.ip_allowlist_enabled,"
	" array_to_string(t.ip_allowlist, ','), t.rate_limit_enabled,"
	" t.rate_limit_requests, t.rate_limit_window_seconds,"
	" t.hmac_enabled, t.hmac_algorithm, t.hmac_secret_enc, t.preset,"
	" t.payload_mapping, t.payload_schema, t.hmac_scheme,"
	" t.hmac_dedupe, hookpost.trigger_version(t.xmin, k.xmin)"
	" FROM hookpost.trigger_keys k"
	" JOIN hookpost.triggers t ON t.id = k.trigger_id"
	" WHERE k.key_hash = $1 AND k.revoked_at IS NULL";

static void	 rtrig_free(void *);

COPIES(trig_cache, 16, 60, rtrig_free);

static void
rtrig_fill(const PGresult *res, struct rtrig *t)
{
	long long	 n;
	const char	*v;

	t->key_id = db_dup(res, 0, 0);
	t->label = db_dup(res, 0, 1);
	t->trigger_id = db_dup(res, 0, 2);
	t->ref = db_dup(res, 0, 3);
	t->enabled = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
	t->limit_kb = parse_int(PQgetvalue(res, 0, 5), 1, 65536, &n) == 0 ?
	    n : 1024;
	t->allowlist_enabled = strcmp(PQgetvalue(res, 0, 6), "t") == 0;
	t->allowlist = db_dup(res, 0, 7);
	t->rate_enabled = strcmp(PQgetvalue(res, 0, 8), "t") == 0;
	t->rate_requests = db_dup(res, 0, 9);
	t->rate_window = db_dup(res, 0, 10);
	t->hmac_enabled = strcmp(PQgetvalue(res, 0, 11), "t") == 0;
	t->algorithm = db_dup(res, 0, 12);
	t->secret_enc = db_dup(res, 0, 13);
	if (provider_parse(db_get(res, 0, 14), &t->preset) == -1)
		t->preset = PROVIDER_NONE;
	/* An unknown scheme (a newer database) is held to the strict one. */
	if (provider_hmac_parse(db_get(res, 0, 17), &t->hmac_scheme) == -1)
		t->hmac_scheme = PROVIDER_HMAC_TIMESTAMPED;
	/* Anything but an explicit 'id' keeps the guard. */
	v = db_get(res, 0, 18);
	t->dedupe_mac = v == NULL || strcmp(v, "id") != 0;
	t->version = db_dup(res, 0, 19);
	/* A schema that cannot be read must not mean "no schema". */
	if ((v = db_get(res, 0, 15)) != NULL &&
	    (t->mapping = json_loads(v, 0, NULL)) == NULL)
		t->unreadable = 1;
	if ((v = db_get(res, 0, 16)) != NULL &&
	    (t->schema = json_loads(v, 0, NULL)) == NULL)
		t->unreadable = 1;
	if (t->unreadable)
		log_error("trigger %s: stored payload_schema or payload_mapping "
		    "is not JSON", t->ref);
}

static void
rtrig_free(void *data)
{
	struct rtrig	*t = data;

	free(t->trigger_id);
	free(t->ref);
	free(t->key_id);
	free(t->label);
	free(t->algorithm);
	free(t->secret_enc);
	free(t->allowlist);
	free(t->rate_requests);
	free(t->rate_window);
	free(t->version);
	json_decref(t->mapping);
	json_decref(t->schema);
	free(t);
}

void
trig_copy_drop(struct copy *c)
{
	copy_drop(&trig_cache, c);
}

const char *
trig_copy_secret(struct copy *c)
{
	const struct rtrig	*t = c->data;

	return copy_secret(c, t->secret_enc);
}

struct copy *
trig_copy_get(const char *hash)
{
	return copy_get(&trig_cache, hash);
}

/*
 * Reads the key whose SHA-256 is hash and keeps it, in place of an older
 * copy of it or else the least recently used one.  Returns the copy;
 * NULL with *found 0 for no such key (or revoked), with *found -1 when
 * the database did not answer.
 */
struct copy *
trig_copy_read(const char *hash, int *found)
{
	struct rtrig	*t;
	PGresult	*res;
	const char	*p[1] = { hash };

	if ((res = db_exec("trig_read", sql_read, 1, p)) == NULL) {
		*found = -1;
		return NULL;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		*found = 0;
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	rtrig_fill(res, t);
	PQclear(res);
	*found = 1;
	return copy_put(&trig_cache, hash, t);
}
