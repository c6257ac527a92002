#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "source.h"
#include "triage.h"
#include "util.h"

void
source_from_row(const PGresult *res, int row, int c, struct source *out)
{
	const char	*v;

	memset(out, 0, sizeof(*out));
	out->id = db_dup(res, row, c);
	out->name = db_dup(res, row, c + 1);
	out->secret_enc = db_dup(res, row, c + 2);
	out->auto_triage = strcmp(PQgetvalue(res, row, c + 3), "t") == 0;
	out->enabled = strcmp(PQgetvalue(res, row, c + 4), "t") == 0;
	out->format = db_dup(res, row, c + 5);
	out->mode = db_dup(res, row, c + 6);
	if ((v = db_get(res, row, c + 7)) != NULL)
		out->severity_mapping = json_loads(v, 0, NULL);
	out->playbook = db_dup(res, row, c + 8);
	if ((v = db_get(res, row, c + 9)) != NULL)
		out->steps = json_loads(v, 0, NULL);
	out->version = db_dup(res, row, c + 10);
}

void
source_free(struct source *s)
{
	if (s == NULL)
		return;
	free(s->id);
	free(s->name);
	free(s->secret_enc);
	free(s->format);
	free(s->mode);
	json_decref(s->severity_mapping);
	free(s->playbook);
	json_decref(s->steps);
	free(s->version);
	memset(s, 0, sizeof(*s));
}

int
source_alert_to_incident(const struct source *src, const json_t *payload,
    struct incident *inc, char *err, size_t errsz)
{
	if (normalize_alert(payload, src->format, src->severity_mapping, inc,
	    err, errsz) == -1)
		return -1;
	if (src->auto_triage && src->steps != NULL &&
	    triage_run(src->playbook, src->steps, payload, inc, err,
	    errsz) == -1) {
		/* A broken playbook must not lose the alert: keep it untriaged. */
		log_warn("source %s: playbook %s: %s", src->name, src->playbook,
		    err);
		json_decref(inc->triage);
		inc->triage = json_pack("{s:s,s:s}", "playbook", src->playbook,
		    "error", err);
	}
	return 0;
}

void
incident_params_fill(const struct incident *inc, struct incident_params *p)
{
	memset(p, 0, sizeof(*p));
	p->v[0] = inc->format;
	p->v[1] = inc->title;
	p->v[2] = inc->severity;
	p->v[3] = inc->status;
	p->v[4] = inc->queue;
	p->v[5] = p->owned[0] = inc->tags ? json_dumps(inc->tags,
	    JSON_COMPACT) : xstrdup("[]");
	p->v[6] = p->owned[1] = inc->entities ? json_dumps(inc->entities,
	    JSON_COMPACT) : xstrdup("{}");
	p->v[7] = p->owned[2] = inc->indicators ? json_dumps(inc->indicators,
	    JSON_COMPACT) : xstrdup("{}");
	p->v[8] = inc->dedupe_key;
	p->v[9] = p->owned[3] = xasprintf("%ld", inc->merge_window_s);
	p->v[10] = p->owned[4] = inc->triage ? json_dumps(inc->triage,
	    JSON_COMPACT) : NULL;
	p->v[11] = inc->occurred_at[0] ? inc->occurred_at : NULL;
}

void
incident_params_free(struct incident_params *p)
{
	size_t	 i;

	for (i = 0; i < sizeof(p->owned) / sizeof(p->owned[0]); i++)
		free(p->owned[i]);
}
