/*
 * The receiver's copies of sources (seed 004).
 *
 * Sources the receiver has read, kept between requests so that an alert
 * costs one round trip to the database, not two.  Process-wide state
 * beyond STYLE 9's list, and safe: a cached copy decides nothing final.
 * An acceptance is stored only if the store finds the copy's version
 * still the source's (hookpost.source_current; else its outcome is
 * "stale" and it stores nothing), and a refusal is decided again from a
 * fresh read.  So a rotated secret, a disabled or deleted source and an
 * edited playbook take effect at once, as if every request read the
 * source.  The TTL only bounds how long a secret no longer used stays in
 * memory.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypt.h"
#include "source.h"
#include "sources.h"

#define SOURCE_CACHE_MAX	16
#define SOURCE_CACHE_TTL	60	/* seconds */

static struct source_copy	 source_cache[SOURCE_CACHE_MAX];
static unsigned long		 source_cache_clock;

/* Empties a slot, wiping the secret. */
void
source_copy_clear(struct source_copy *c)
{
	crypt_secret_free(c->secret);
	source_free(&c->src);
	memset(c, 0, sizeof(*c));
}

/*
 * The copy's signing secret, opened once per copy (so the version check
 * covers it too).  NULL if it does not open (logged).
 */
const char *
source_copy_secret(struct source_copy *c)
{
	if (c->secret == NULL)
		c->secret = crypt_secret_open(c->src.secret_enc);
	return c->secret;
}

/* The cached copy of source name, or NULL. */
struct source_copy *
source_cache_get(const char *name)
{
	struct source_copy	*c;
	time_t			 now = time(NULL);
	size_t			 i;

	for (i = 0; i < SOURCE_CACHE_MAX; i++) {
		c = &source_cache[i];
		if (c->src.name == NULL || strcmp(c->src.name, name) != 0)
			continue;
		if (now < c->read_at || now - c->read_at > SOURCE_CACHE_TTL) {
			source_copy_clear(c);
			return NULL;
		}
		c->used = ++source_cache_clock;
		return c;
	}
	return NULL;
}

/*
 * Caches *src, which it takes over (leaving *src zeroed), in place of a
 * copy of the same name or else the least recently used one.  Returns the
 * copy, valid until it is cleared or replaced.
 */
struct source_copy *
source_cache_put(struct source *src)
{
	struct source_copy	*c = &source_cache[0];
	size_t			 i;

	for (i = 0; i < SOURCE_CACHE_MAX; i++) {
		if (source_cache[i].src.name != NULL &&
		    strcmp(source_cache[i].src.name, src->name) == 0) {
			c = &source_cache[i];
			break;
		}
		if (source_cache[i].used < c->used)
			c = &source_cache[i];
	}
	source_copy_clear(c);
	c->src = *src;
	memset(src, 0, sizeof(*src));
	c->read_at = time(NULL);
	c->used = ++source_cache_clock;
	return c;
}
