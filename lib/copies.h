/*
 * copies: a process's copies of database rows a receiver reads on every
 * request (a source, a trigger key), kept between requests so that a
 * request costs one round trip to the database, not two (issue 13).
 *
 * Process-wide state beyond STYLE 9's list, and safe because a copy
 * decides nothing final: the receiver's store takes the copy's version
 * and stores nothing if it is no longer the row's ("stale"), and a
 * refusal decided on a copy is decided again from a fresh read.  So a
 * rotated secret, a disabled or deleted row take effect at once, as if
 * every request read it.  The TTL only bounds how long a secret no
 * longer used stays in memory.  A fixed number of slots, least recently
 * used evicted; keys compared in constant time (a trigger's is the
 * digest of a key).
 */
#ifndef HOOKPOST_COPIES_H
#define HOOKPOST_COPIES_H

#include <stddef.h>
#include <time.h>

#define COPY_KEY_MAX	64

struct copy {
	char		 key[COPY_KEY_MAX + 1];	/* "": a free slot */
	void		*data;		/* the row as its owner read it */
	char		*secret;	/* opened once (copy_secret), wiped */
	time_t		 read_at;
	unsigned long	 used;		/* for LRU eviction */
};

struct copies {
	struct copy	*slot;
	size_t		 nslot;
	int		 ttl;		/* seconds */
	void		(*data_free)(void *);
	unsigned long	 clock;
};

/* A set of n copies, static in the file that keeps them. */
#define COPIES(name, n, ttl, data_free)					\
	static struct copy name##_slot[n];				\
	static struct copies name = { name##_slot, n, ttl, data_free, 0 }

/* The copy kept under key, or NULL (none, or older than the TTL). */
struct copy	*copy_get(struct copies *, const char *key);

/*
 * Keeps data (taken over: freed with data_free when the copy goes) under
 * key, in place of a copy of the same key or else the least recently
 * used one.  Returns the copy, valid until it is dropped or replaced;
 * NULL (data freed) for a key longer than COPY_KEY_MAX.
 */
struct copy	*copy_put(struct copies *, const char *key, void *data);

/* Empties a slot, wiping the secret. */
void		 copy_drop(struct copies *, struct copy *);

/*
 * The copy's secret, sealed as enc, opened once per copy (so the version
 * check covers it too).  NULL when enc is NULL or it does not open
 * (logged).
 */
const char	*copy_secret(struct copy *, const char *enc);

#endif
