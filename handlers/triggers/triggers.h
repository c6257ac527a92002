/*
 * triggers: what the files of bin/triggers.fcgi share.  main.c holds the
 * route table and dispatch; one file per resource holds its routes.
 */
#ifndef HOOKPOST_HANDLERS_TRIGGERS_H
#define HOOKPOST_HANDLERS_TRIGGERS_H

#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "page.h"
#include "provider.h"
#include "req.h"
#include "valid.h"

#define KEY_PREFIX	"wh_"
#define KEY_RANDOM	32	/* seed 002: wh_ + 32 random alphanumerics */
#define KEY_LEN		(sizeof(KEY_PREFIX) - 1 + KEY_RANDOM)
#define REF_MAX		128
#define ALLOWLIST_MAX	256

/*
 * A trigger named in a URL, by ref or (seed 002's spelling) numeric id:
 * p[0] is the id or NULL, p[1] the ref or NULL, for
 * "WHERE t.id = $1 OR t.ref = $2".
 */
struct tref {
	const char	*p[2];
	char		 id[24];
};

/* A new key: its text, SHA-256 hex for lookup, sealed copy. */
struct newkey {
	char	*key;
	char	 hash[65];
	char	*sealed;
};

/* common.c */
int	 ref_valid(const char *);
int	 tref_parse(struct req *, const char *, struct tref *);
void	 not_found(struct req *);
json_t	*row_present(struct req *, const char *);
void	 answer_row(struct req *, int, const char *);
void	 query_answer(struct req *, const char *, const char *, int,
	    const char **);
PGresult *trigger_exec(struct req *, char *, size_t, const char *,
	    const char *);
void	 trigger_query_answer(struct req *, const char *, const char *);
int	 newkey_make(struct req *, struct newkey *);
void	 newkey_free(struct newkey *);
int	 label_valid(const char *);
int	 optional_body(struct req *, const struct vfield *, size_t,
	    json_t **);
int	 trigger_resolve_preset(struct req *, char *, size_t,
	    enum provider *);
int	 trigger_resolve(struct req *, char *, size_t);

/* receive.c */
void	 receive(struct req *);

/* trigger.c */
void	 trigger_create(struct req *);
void	 trigger_put(struct req *);
void	 trigger_get(struct req *);
extern const struct page_list trigger_list;
void	 trigger_delete(struct req *);

/* webhook.c */
void	 answer_info(struct req *, const char *, json_t *);
void	 webhook_info(struct req *);
void	 webhook_enable(struct req *);
void	 webhook_disable(struct req *);
void	 stats(struct req *);

/* key.c */
void	 webhook_regenerate(struct req *);
void	 key_list(struct req *);
void	 key_add(struct req *);
void	 key_revoke(struct req *);

/* security.c */
void	 hmac_enable(struct req *);
void	 hmac_disable(struct req *);
void	 rate_limit_put(struct req *);
void	 ip_allowlist_put(struct req *);
void	 payload_limit_put(struct req *);

/* event.c */
extern const struct page_list event_list;
void	 event_get(struct req *);

#endif
