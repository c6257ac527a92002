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
/* The most copies one request holds (copy_get, copy_put) at once. */
#define COPY_HELD_MAX	8

/*
 * A copy lives as long as it is in its slot or a request holds it: a
 * request that got it (copy_get, copy_put) holds it until copy_release()
 * at its end, so a copy replaced, dropped or expired meanwhile (by
 * another thread of the process while this one waits for the database,
 * lib/thr.h) is freed only then: its data and secret never change under
 * a request that uses them.
 */
struct copy {
	char		 key[COPY_KEY_MAX + 1];
	void		*data;		/* the row as its owner read it */
	char		*secret;	/* opened once (copy_secret), wiped */
	time_t		 read_at;
	unsigned long	 used;		/* for LRU eviction */
	int		 refs;		/* its slot's, and each holder's */
	void		(*data_free)(void *);
};

struct copies {
	struct copy	**slot;
	size_t		 nslot;
	int		 ttl;		/* seconds */
	void		(*data_free)(void *);
	unsigned long	 clock;
};

/* A set of n copies, static in the file that keeps them. */
#define COPIES(name, n, ttl, data_free)					\
	static struct copy *name##_slot[n];				\
	static struct copies name = { name##_slot, n, ttl, data_free, 0 }

/* The copy kept under key, held, or NULL (none, or older than the TTL). */
struct copy	*copy_get(struct copies *, const char *key);

/*
 * Keeps data (taken over: freed with data_free when the copy goes) under
 * key, in place of a copy of the same key or else the least recently
 * used one.  Returns the copy, held; NULL (data freed) for a key longer
 * than COPY_KEY_MAX.
 */
struct copy	*copy_put(struct copies *, const char *key, void *data);

/* Takes the copy out of its slot (found no more); holders keep it. */
void		 copy_drop(struct copies *, struct copy *);

/* The end of a request: the copies it held are let go (lib/srv.c). */
void		 copy_release(void);

/*
 * The copy's secret, sealed as enc, opened once per copy (so the version
 * check covers it too).  NULL when enc is NULL or it does not open
 * (logged).
 */
const char	*copy_secret(struct copy *, const char *enc);

#endif
