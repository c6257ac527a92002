/*
 * sources: what the files of bin/sources.fcgi share.  main.c holds the
 * route table and dispatch; receive.c the receiver, cache.c its copies
 * of sources, source.c the admin routes.
 */
#ifndef HOOKPOST_HANDLERS_SOURCES_H
#define HOOKPOST_HANDLERS_SOURCES_H

#include <time.h>

#include <jansson.h>

#include "copies.h"
#include "page.h"
#include "req.h"
#include "source.h"

/*
 * cache.c: the receiver's copies of sources (lib/copies.h), each copy's
 * data a struct source; source_cache_put takes *src over (leaving it
 * zeroed) and returns NULL only for a name longer than a key.
 */
void			 source_copy_clear(struct copy *);
const char		*source_copy_secret(struct copy *);
struct copy		*source_cache_get(const char *);
struct copy		*source_cache_put(struct source *);

/* receive.c */
void			 receive(struct req *);

/* source.c */
extern const struct page_list source_list;
void			 source_write(struct req *, int is_put);
void			 source_get(struct req *);
void			 source_delete(struct req *);
void			 source_sign(struct req *);
/*
 * obj as a source's settings (secret, auto_triage, playbook,
 * severity_mapping, format, mode, enabled), checked as register and PUT
 * check them: 0, or -1 after answering 400 naming the field at+key.
 */
int			 source_settings_valid(struct req *, const char *at,
			    const json_t *obj);

/* import.c */
void			 source_import(struct req *);

#endif
