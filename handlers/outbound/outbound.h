/*
 * outbound: what the files of bin/outbound.fcgi share.  main.c holds the
 * route table and dispatch; one file per resource holds its routes.
 */
#ifndef HOOKPOST_HANDLERS_OUTBOUND_H
#define HOOKPOST_HANDLERS_OUTBOUND_H

#include <jansson.h>
#include <libpq-fe.h>

#include "auth.h"
#include "page.h"
#include "req.h"

/* api_tokens.owner_id, as the API takes it */
#define OWNER_MAX		AUTH_OWNER_MAX
#define EVENT_TYPE_MAX		128

/* A delivery as the API shows it (delivery.c, callback.c). */
#define DELIVERY_FIELDS \
	"'id', d.id, 'event_id', d.event_id," \
	" 'subscription_id', d.subscription_id, 'owner_id', d.owner_id," \
	" 'event_type', d.event_type, 'status', d.status," \
	" 'attempt_count', coalesce(d.sends, d.attempts)," \
	" 'next_attempt_at', d.next_attempt_at," \
	" 'last_status_code', d.last_status_code, 'last_error', d.last_error," \
	" 'callback_status', d.callback_status," \
	" 'callback_message', d.callback_message," \
	" 'created_at', d.created_at, 'updated_at', d.updated_at," \
	" 'completed_at', d.completed_at"
#define DELIVERY_JSON	"json_build_object(" DELIVERY_FIELDS ")"

/*
 * seed 000's delivery and callback routes show an integration's
 * deliveries (seed 003) to admins only: others reach them through
 * /api/integrations, which needs manage_settings.  scope: the statement's
 * parameter holding the caller's owner scope (NULL for an admin).
 */
#define HOOKPOST_TYPE_ONLY(scope) \
	" AND (" scope "::text IS NULL OR EXISTS (SELECT 1" \
	"  FROM hookpost.subscriptions t WHERE t.id = d.subscription_id" \
	"  AND t.type = 'hookpost'))"

/* common.c */
int	 id_check(struct req *, const char *);
PGresult *owned_exec(struct req *, const char *, const char *,
	    const char *);
void	 owned_answer(struct req *, const char *, const char *,
	    const char *);
char	*json_param_new(const json_t *);

/* subscription_check.c */
int	 url_check(struct req *, const char *, const char *);
/* url_check() of an smtp:// or smtps:// URL (the email connector). */
int	 url_check_mail(struct req *, const char *, const char *);
int	 event_pattern_valid(const char *);
int	 events_check(struct req *, const json_t *, const char *);
int	 retry_schedule_check(struct req *, const json_t *);
int	 quota_take(struct req *, const char *, int);

/* subscription.c */
extern const struct page_list sub_list;
void	 sub_get(struct req *);
void	 sub_create(struct req *);
void	 sub_update(struct req *);
void	 sub_delete(struct req *);
void	 sub_test(struct req *);

/* integration.c: typed integrations, and the core both APIs share */
struct integ_input {
	/* create: the type; update: the type it must have, or NULL */
	const char	*type;
	/* NULL: not given */
	const json_t	*name, *description, *events;
	int		 enabled;	/* 1, 0, or -1: not given */
	int		 severity_given;
	const char	*severity;	/* NULL: none */
	int		 retry_count;	/* 0..10, or -1: not given */
	json_t		*config;	/* owned: as given, or NULL */
};
void	 integ_input_free(struct integ_input *);
void	 integ_retry_schedule(int, char *, size_t);
char	*integ_write(struct req *, const char *,
	    const struct integ_input *);
extern const struct page_list integ_list;
extern const struct page_list integ_delivery_list;
extern const struct page_list integ_ticket_list;
void	 integ_create(struct req *);
void	 integ_types(struct req *);
void	 integ_get(struct req *);
void	 integ_update(struct req *);
void	 integ_delete(struct req *);
void	 integ_remove(struct req *, const char *);
void	 integ_test(struct req *);

/* integration_webhook.c: seed 003's /api/integrations/webhooks */
void	 webhook_list(struct req *);
void	 webhook_create(struct req *);
void	 webhook_get(struct req *);
void	 webhook_update(struct req *);
void	 webhook_delete(struct req *);
extern const struct page_list webhook_delivery_list;
void	 webhook_delivery_retry(struct req *);
void	 integ_openapi(struct req *);

/* delivery.c */
char	*delivery_status_new(const char *, const char *, int);
extern const struct page_list delivery_list;
void	 delivery_get(struct req *);
void	 delivery_retry(struct req *);
void	 delivery_retry_as(struct req *, int);

/* callback.c */
void	 callback_get(struct req *);
void	 callback_status(struct req *);

/* quota.c */
extern const struct page_list quota_list;
void	 quota_get(struct req *);
void	 quota_put(struct req *);
void	 quota_delete(struct req *);

/* denylist.c */
extern const struct page_list deny_list;
void	 deny_create(struct req *);
void	 deny_delete(struct req *);

/* event.c */
void	 event_publish(struct req *);
extern const struct page_list event_type_list;
void	 event_type_create(struct req *);

#endif
