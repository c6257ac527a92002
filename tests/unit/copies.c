/*
 * Unit tests of lib/copies: a copy found by its key and not by another
 * of the same prefix, the same key replaced in place, the least recently
 * used evicted, the TTL, a key too long, drop, and every data freed once.
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
	check(c == a && c->data == d && freed == 1,
	    "the same key replaces its copy in place, the old data freed");
	copy_get(&cs, "beta");
	c = copy_put(&cs, "gamma", datum());
	check(c == a && copy_get(&cs, "alpha") == NULL &&
	    copy_get(&cs, "beta") == b && freed == 2,
	    "a new key takes the least recently used slot");
	b->read_at = time(NULL) - 61;
	check(copy_get(&cs, "beta") == NULL && freed == 3 &&
	    b->key[0] == '\0', "a copy older than the TTL is dropped");
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	check(copy_put(&cs, key, datum()) == NULL && freed == 4,
	    "a key longer than COPY_KEY_MAX is not kept, its data freed");
	check(copy_secret(c, NULL) == NULL, "no sealed secret, no secret");
	copy_drop(&cs, c);
	check(c->data == NULL && copy_get(&cs, "gamma") == NULL && freed == 5,
	    "drop empties the slot and frees its data");
	return check_done();
}
