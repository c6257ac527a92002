#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "copies.h"
#include "crypt.h"
#include "log.h"
#include "util.h"

/* The copies this thread's request holds (copy_release lets them go). */
static __thread struct copy	*held[COPY_HELD_MAX];
static __thread int		 nheld;

static void
copy_unref(struct copy *c)
{
	if (--c->refs > 0)
		return;
	crypt_secret_free(c->secret);
	if (c->data != NULL)
		c->data_free(c->data);
	free(c);
}

/* Held by this request until copy_release(). */
static struct copy *
copy_hold(struct copy *c)
{
	if (nheld == COPY_HELD_MAX) {
		/* More than a request can use: never freed under it. */
		log_warn("copies: more than %d held by one request",
		    COPY_HELD_MAX);
		c->refs++;
		return c;
	}
	c->refs++;
	held[nheld++] = c;
	return c;
}

void
copy_release(void)
{
	while (nheld > 0)
		copy_unref(held[--nheld]);
}

/* Whether slot c holds key, comparing in constant time. */
static int
copy_is(const struct copy *c, const char *key, size_t len)
{
	return c != NULL && strlen(c->key) == len &&
	    CRYPTO_memcmp(c->key, key, len) == 0;
}

/* Empties slot i, letting go of its copy. */
static void
copy_unslot(struct copies *cs, size_t i)
{
	struct copy	*c = cs->slot[i];

	if (c == NULL)
		return;
	cs->slot[i] = NULL;
	c->key[0] = '\0';
	copy_unref(c);
}

struct copy *
copy_get(struct copies *cs, const char *key)
{
	struct copy	*c;
	time_t		 now = time(NULL);
	size_t		 i, len = strlen(key);

	for (i = 0; i < cs->nslot; i++) {
		c = cs->slot[i];
		if (!copy_is(c, key, len))
			continue;
		if (now < c->read_at || now - c->read_at > cs->ttl) {
			copy_unslot(cs, i);
			return NULL;
		}
		c->used = ++cs->clock;
		return copy_hold(c);
	}
	return NULL;
}

struct copy *
copy_put(struct copies *cs, const char *key, void *data)
{
	struct copy	*c;
	size_t		 i, at = 0, len = strlen(key);

	if (len > COPY_KEY_MAX) {
		cs->data_free(data);
		return NULL;
	}
	for (i = 0; i < cs->nslot; i++) {
		if (copy_is(cs->slot[i], key, len)) {
			at = i;
			break;
		}
		if (cs->slot[at] != NULL && (cs->slot[i] == NULL ||
		    cs->slot[i]->used < cs->slot[at]->used))
			at = i;
	}
	copy_unslot(cs, at);
	c = xcalloc(1, sizeof(*c));
	memcpy(c->key, key, len + 1);
	c->data = data;
	c->data_free = cs->data_free;
	c->read_at = time(NULL);
	c->used = ++cs->clock;
	c->refs = 1;
	cs->slot[at] = c;
	return copy_hold(c);
}

void
copy_drop(struct copies *cs, struct copy *c)
{
	size_t	 i;

	for (i = 0; i < cs->nslot; i++)
		if (cs->slot[i] == c)
			copy_unslot(cs, i);
}

const char *
copy_secret(struct copy *c, const char *enc)
{
	if (c->secret == NULL && enc != NULL)
		c->secret = crypt_secret_open(enc);
	return c->secret;
}
