/*
 * The receiver's copies of sources (seed 004), kept by lib/copies.h,
 * which says why that is safe: looked up by name, fenced by version
 * (hookpost.source_current).
 */
#include <stdlib.h>
#include <string.h>

#include "copies.h"
#include "source.h"
#include "sources.h"
#include "util.h"

static void	 source_data_free(void *);

COPIES(source_cache, 16, 60, source_data_free);

static void
source_data_free(void *data)
{
	source_free(data);
	free(data);
}

void
source_copy_clear(struct copy *c)
{
	copy_drop(&source_cache, c);
}

const char *
source_copy_secret(struct copy *c)
{
	const struct source	*src = c->data;

	return copy_secret(c, src->secret_enc);
}

struct copy *
source_cache_get(const char *name)
{
	return copy_get(&source_cache, name);
}

struct copy *
source_cache_put(struct source *src)
{
	struct source	*s = xmalloc(sizeof(*s));

	*s = *src;
	memset(src, 0, sizeof(*src));
	return copy_put(&source_cache, s->name, s);
}
