/*
 * Unit tests of lib/copies: a copy found by its key and not by another
 * of the same prefix, the same key replaced, the least recently used
 * evicted, the TTL, a key too long, drop, and every data freed once:
 * when it has left its slot and the request that held it has ended
 * (copy_release), never under it.
 * "ok - name" / "not ok - name"; exits 0 only when all pass.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "copies.h"
#include "util.h"
#include "check.h"

static int	 freed;

static void
data_free(void *data)
{
	freed++;
	free(data);
}

COPIES(cs, 2, 60, data_free);

static void *
datum(void)
{
	return xmalloc(1);
}

int
main(void)
{
	char		 key[COPY_KEY_MAX + 2];
	struct copy	*a, *b, *c;
	void		*d;

	a = copy_put(&cs, "alpha", d = datum());
	check(a != NULL && a->data == d && copy_get(&cs, "alpha") == a,
	    "a copy is found by its key");
	check(copy_get(&cs, "alph") == NULL && copy_get(&cs, "alphab") == NULL,
	    "not by a prefix of it or a longer key");
	b = copy_put(&cs, "beta", datum());
	c = copy_put(&cs, "alpha", d = datum());
	check(c != a && c->data == d && copy_get(&cs, "alpha") == c &&
	    freed == 0, "the same key replaces its copy; the old one, held, "
	    "is not freed");
	copy_release();
	check(freed == 1, "... until the request that held it ends");
	copy_get(&cs, "beta");
	a = copy_put(&cs, "gamma", datum());
	check(copy_get(&cs, "alpha") == NULL && copy_get(&cs, "beta") == b &&
	    copy_get(&cs, "gamma") == a, "a new key takes the least recently "
	    "used slot");
	copy_release();
	check(freed == 2, "... and the copy it evicted is freed");
	b->read_at = time(NULL) - 61;
	check(copy_get(&cs, "beta") == NULL && freed == 3,
	    "a copy older than the TTL is dropped and, unheld, freed");
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	check(copy_put(&cs, key, datum()) == NULL && freed == 4,
	    "a key longer than COPY_KEY_MAX is not kept, its data freed");
	c = copy_get(&cs, "gamma");
	check(copy_secret(c, NULL) == NULL, "no sealed secret, no secret");
	copy_drop(&cs, c);
	check(c->data != NULL && copy_get(&cs, "gamma") == NULL && freed == 4,
	    "drop takes a held copy out of its slot, its data kept");
	copy_release();
	check(freed == 5, "... until its request ends");
	return check_done();
}
