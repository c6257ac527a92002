/* outbound: the checks of a subscription's inputs, and its quota. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cfg.h"
#include "db.h"
#include "req.h"
#include "urlguard.h"
#include "util.h"
#include "outbound.h"

/*
 * seed 000 "URL requirements": checked by lib/urlguard.c against the
 * admin deny list.  If the list cannot be loaded the URL is refused (fail
 * closed).  field names the URL in the answer; flags are urlguard's
 * schemes.  Returns 0, or -1 after answering 400 or 503.
 */
static int
url_check_as(struct req *r, const char *field, const char *url, int flags)
{
	static const char sql[] = "SELECT pattern, pattern_type = 'regex'"
	    " FROM hookpost.webhook_url_deny_list ORDER BY id LIMIT 10000";
	struct urlguard_deny	*deny = NULL;
	PGresult		*res;
	char			 err[256];
	size_t			 i, n;
	int			 rc = -1;

	if ((res = db_exec("deny_load", sql, 0, NULL)) == NULL) {
		resp_error(r, 503, "unavailable", "The URL deny list cannot be "
		    "loaded; no URL is accepted until it can");
		return -1;
	}
	n = (size_t)PQntuples(res);
	if (n > 0)
		deny = xcalloc(n, sizeof(*deny));
	for (i = 0; i < n; i++) {
		deny[i].pattern = PQgetvalue(res, (int)i, 0);
		deny[i].is_regex = strcmp(PQgetvalue(res, (int)i, 1), "t") == 0;
	}
	err[0] = '\0';
	if (urlguard_check_url(url, flags, cfg.allow_private, deny, n, err,
	    sizeof(err)) == -1) {
		resp_error(r, 400, "invalid_field", "Field '%s': %s", field,
		    err[0] != '\0' ? err : "not allowed");
		goto out;
	}
	rc = 0;
out:
	free(deny);
	PQclear(res);
	return rc;
}

int
url_check(struct req *r, const char *field, const char *url)
{
	return url_check_as(r, field, url, cfg.allow_http ? URLGUARD_HTTP : 0);
}

int
url_check_mail(struct req *r, const char *field, const char *url)
{
	return url_check_as(r, field, url, URLGUARD_MAIL);
}

/* A subscription pattern's shape: "*", "a.b" or "a.*" ([a-z0-9_-] words). */
int
event_pattern_valid(const char *p)
{
	size_t	 n, i;
	int	 dot = 0;

	if (strcmp(p, "*") == 0)
		return 1;
	if ((n = strlen(p)) < 3 || n > EVENT_TYPE_MAX)
		return 0;
	if (p[n - 1] == '*') {
		if (p[n - 2] != '.')
			return 0;
		n -= 2;
		dot = 1;
	}
	for (i = 0; i < n; i++) {
		if (p[i] == '.') {
			if (i == 0 || i == n - 1 || p[i - 1] == '.')
				return 0;
			dot = 1;
		} else if (strchr("abcdefghijklmnopqrstuvwxyz0123456789_-",
		    p[i]) == NULL)
			return 0;
	}
	return dot;
}

/*
 * The "events" of a subscription: 1-100 distinct entries, each a type in
 * the catalog (hookpost.event_types), "resource.*" for a resource that
 * has types, or "*".  Returns 0, or -1 after answering.
 */
int
events_check(struct req *r, const json_t *events, const char *events_json)
{
	static const char sql[] = "SELECT p"
	    " FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY x(p, i)"
	    " WHERE p <> '*' AND NOT EXISTS (SELECT 1"
	    "  FROM hookpost.event_types t WHERE t.name = p"
	    "  OR (right(p, 2) = '.*' AND"
	    "  left(t.name, length(p) - 1) = left(p, length(p) - 1)))"
	    " ORDER BY i LIMIT 1";
	const char	*p[1], *s, *o;
	PGresult	*res;
	size_t		 i, k;
	int		 rc = -1;

	for (i = 0; i < json_array_size(events); i++) {
		s = json_string_value(json_array_get(events, i));
		if (s == NULL || !event_pattern_valid(s)) {
			resp_error(r, 400, "invalid_field", "Field 'events': "
			    "entry %zu is not an event type, 'resource.*' or "
			    "'*'", i);
			return -1;
		}
		for (k = 0; k < i; k++) {
			o = json_string_value(json_array_get(events, k));
			if (strcmp(o, s) == 0) {
				resp_error(r, 400, "invalid_field", "Field "
				    "'events': '%s' is listed twice", s);
				return -1;
			}
		}
	}
	p[0] = events_json;
	if ((res = db_exec("events_check", sql, 1, p)) == NULL) {
		resp_db_error(r);
		return -1;
	}
	if (PQntuples(res) > 0)
		resp_error(r, 400, "invalid_field", "Field 'events': unknown "
		    "event type '%s' (see GET /api/event-types)",
		    PQgetvalue(res, 0, 0));
	else
		rc = 0;
	PQclear(res);
	return rc;
}

/* issue 4: a per-subscription retry schedule, 1-20 delays of 0-86400 s. */
int
retry_schedule_check(struct req *r, const json_t *rs)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(rs, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 86400) {
			resp_error(r, 400, "invalid_field", "Field "
			    "'retry_schedule': each delay must be an integer "
			    "number of seconds from 0 to 86400");
			return -1;
		}
	}
	return 0;
}

/*
 * seed 000 "Rate Limits", inside the caller's transaction: the owner's
 * subscription create/update requests per minute and per day and, on
 * create, its number of subscriptions.  A per-owner advisory lock makes
 * concurrent requests of one owner queue, so two cannot both take the
 * last slot; the counting statement runs after the lock, with a fresh
 * snapshot.  Admins are the operators who set quotas: their requests are
 * neither limited nor counted.  Returns 0 (the request recorded), or -1
 * after answering 429 quota_exceeded or 503.
 */
int
quota_take(struct req *r, const char *owner, int creating)
{
	static const char sql_lock[] = "SELECT pg_advisory_xact_lock("
	    "hashtextextended('hookpost.subscription_quota/' || $1, 0))";
	static const char sql_count[] = "SELECT q.max_subscriptions,"
	    " q.max_subscription_requests_per_minute,"
	    " q.max_subscription_requests_per_day,"
	    " (SELECT count(*) FROM hookpost.subscriptions"
	    "  WHERE owner_id = $1) >= q.max_subscriptions,"
	    " (SELECT count(*) FROM hookpost.subscription_requests"
	    "  WHERE owner_id = $1 AND requested_at > now() - interval"
	    "  '1 minute') >= q.max_subscription_requests_per_minute,"
	    " (SELECT count(*) FROM hookpost.subscription_requests"
	    "  WHERE owner_id = $1 AND requested_at > now() - interval"
	    "  '1 day') >= q.max_subscription_requests_per_day"
	    " FROM hookpost.quota_for($1) q";
	static const char sql_record[] = "INSERT INTO"
	    " hookpost.subscription_requests (owner_id) VALUES ($1)";
	const char	*p[1];
	PGresult	*res = NULL;
	int		 rc = -1;

	if (r->auth.admin)
		return 0;
	p[0] = owner;
	if ((res = db_exec("quota_lock", sql_lock, 1, p)) == NULL)
		goto unavailable;
	PQclear(res);
	if ((res = db_exec("quota_count", sql_count, 1, p)) == NULL)
		goto unavailable;
	if (creating && strcmp(PQgetvalue(res, 0, 3), "t") == 0)
		resp_error(r, 429, "quota_exceeded", "Subscription quota "
		    "exceeded: at most %s subscriptions per owner",
		    PQgetvalue(res, 0, 0));
	else if (strcmp(PQgetvalue(res, 0, 4), "t") == 0)
		resp_error(r, 429, "quota_exceeded", "Subscription request "
		    "quota exceeded: at most %s subscription requests per "
		    "minute", PQgetvalue(res, 0, 1));
	else if (strcmp(PQgetvalue(res, 0, 5), "t") == 0)
		resp_error(r, 429, "quota_exceeded", "Subscription request "
		    "quota exceeded: at most %s subscription requests per day",
		    PQgetvalue(res, 0, 2));
	else
		rc = 0;
	PQclear(res);
	if (rc == -1)
		return -1;
	if ((res = db_exec("quota_record", sql_record, 1, p)) == NULL)
		goto unavailable;
	PQclear(res);
	return 0;
unavailable:
	resp_error(r, 503, "unavailable", "Database unavailable");
	return -1;
}
