#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "copies.h"
#include "crypt.h"

/* Whether slot c holds key, comparing in constant time. */
static int
copy_is(const struct copy *c, const char *key, size_t len)
{
	return c->key[0] != '\0' && strlen(c->key) == len &&
	    CRYPTO_memcmp(c->key, key, len) == 0;
}

struct copy *
copy_get(struct copies *cs, const char *key)
{
	struct copy	*c;
	time_t		 now = time(NULL);
	size_t		 i, len = strlen(key);

	for (i = 0; i < cs->nslot; i++) {
		c = &cs->slot[i];
		if (!copy_is(c, key, len))
			continue;
		if (now < c->read_at || now - c->read_at > cs->ttl) {
			copy_drop(cs, c);
			return NULL;
		}
		c->used = ++cs->clock;
		return c;
	}
	return NULL;
}

struct copy *
copy_put(struct copies *cs, const char *key, void *data)
{
	struct copy	*c = &cs->slot[0];
	size_t		 i, len = strlen(key);

	if (len > COPY_KEY_MAX) {
		cs->data_free(data);
		return NULL;
	}
	for (i = 0; i < cs->nslot; i++) {
		if (copy_is(&cs->slot[i], key, len)) {
			c = &cs->slot[i];
			break;
		}
		if (cs->slot[i].used < c->used)
			c = &cs->slot[i];
	}
	copy_drop(cs, c);
	memcpy(c->key, key, len + 1);
	c->data = data;
	c->read_at = time(NULL);
	c->used = ++cs->clock;
	return c;
}

void
copy_drop(struct copies *cs, struct copy *c)
{
	crypt_secret_free(c->secret);
	if (c->data != NULL)
		cs->data_free(c->data);
	memset(c, 0, sizeof(*c));
}

const char *
copy_secret(struct copy *c, const char *enc)
{
	if (c->secret == NULL && enc != NULL)
		c->secret = crypt_secret_open(enc);
	return c->secret;
}
