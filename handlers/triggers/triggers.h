/*
 * triggers: what the files of bin/triggers.fcgi share.  main.c holds the
 * route table and dispatch; one file per resource holds its routes.
 */
#ifndef HOOKPOST_HANDLERS_TRIGGERS_H
#define HOOKPOST_HANDLERS_TRIGGERS_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "auth.h"
#include "copies.h"
#include "page.h"
#include "provider.h"
#include "req.h"
#include "valid.h"

#define KEY_PREFIX	"wh_"
#define KEY_RANDOM	32	/* seed 002: wh_ + 32 random alphanumerics */
#define KEY_LEN		(sizeof(KEY_PREFIX) - 1 + KEY_RANDOM)
#define REF_MAX		128
#define ALLOWLIST_MAX	256

/* A new key: its text, SHA-256 hex for lookup, sealed copy. */
struct newkey {
	char	*key;
	char	 hash[65];
	char	*sealed;
};

/*
 * A trigger named in a URL, by ref or (seed 002's spelling) numeric id,
 * among those the caller may manage (seed 002 "keys scoped to
 * identities/organizations"): p[0] is the id or NULL, p[1] the ref or
 * NULL, p[2] auth_scope(), for TREF_WHERE.
 */
struct tref {
	const char	*p[3];
	char		 id[24];
};
#define TREF_WHERE \
	" (t.id = $1 OR t.ref = $2) AND ($3::text IS NULL OR t.owner_id = $3)"

/*
 * A trigger body or one settings group's body, read into what
 * hookpost.trigger_configure takes (settings.c).
 */
struct tset {
	char		*set;		/* p_set, the canonical body as JSON */
	char		*secret_sealed;	/* a given HMAC secret */
	char		*gen, *gen_sealed; /* a generated one, shown once */
	struct newkey	 k;		/* for webhook_enabled true */
};

/* What a body is: which fields it takes. */
enum tset_kind {
	TSET_TRIGGER,	/* POST, PUT /api/v1/triggers, the settings routes */
	TSET_PACK	/* one trigger of a pack (seed 002 "Pack Definition") */
};

/*
 * What the receiver knows of a key and its trigger: a copy read once
 * (cache.c), fenced by version (hookpost.trigger_current).
 */
struct rtrig {
	char		*trigger_id, *ref, *key_id;
	char		*label, *algorithm, *secret_enc, *allowlist;
	char		*rate_requests, *rate_window;
	char		*version;	/* hookpost.trigger_version() */
	int		 enabled, hmac_enabled, allowlist_enabled;
	int		 rate_enabled;
	int		 dedupe_mac;	/* hmac_dedupe 'mac' (stripe, slack) */
	int		 unreadable;	/* a stored schema or mapping */
	long long	 limit_kb;
	enum provider	 preset;
	enum provider_hmac hmac_scheme;	/* with no preset */
	json_t		*mapping, *schema;
};

/*
 * cache.c: the receiver's copies of keys (lib/copies.h), under the key's
 * SHA-256 hex, each copy's data a struct rtrig.
 */
void		 trig_copy_drop(struct copy *);
const char	*trig_copy_secret(struct copy *);
struct copy	*trig_copy_get(const char *);
struct copy	*trig_copy_read(const char *, int *);

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

/* settings.c */
int	 owner_check(struct req *, const json_t *);
int	 tset_read(struct req *, json_t *, enum tset_kind, enum provider,
	    struct tset *);
void	 tset_free(struct tset *);
void	 trigger_answer(struct req *, int, const char *, int,
	    const struct tset *);
void	 configure_answer(struct req *, const char *, const struct tset *);
void	 group_put(struct req *, const char *, int);

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
void	 webhook_sign(struct req *);
void	 stats(struct req *);

/* key.c */
void	 webhook_regenerate(struct req *);
void	 key_list(struct req *);
void	 key_add(struct req *);
void	 key_revoke(struct req *);

/* pack.c */
void	 pack_import(struct req *);

/* event.c */
extern const struct page_list event_list;
void	 event_get(struct req *);

#endif
