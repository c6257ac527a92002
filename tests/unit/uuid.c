/*
 * Unit tests of lib/util's UUIDs: uuid_new (version 4) and uuid_new_v7
 * (time-ordered, the receiver's incident ids): canonical form, version
 * and variant, the v7 timestamp, and order across milliseconds.
 * "ok - name" / "not ok - name"; exits 0 only when all pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "check.h"

/* Version nibble and RFC 9562 variant of a canonical UUID string. */
static int
version_of(const char *u)
{
	return u[14] - '0';
}

static int
variant_ok(const char *u)
{
	return strchr("89ab", u[19]) != NULL;
}

static unsigned long long
v7_ms(const char *u)
{
	char	 hex[13];

	memcpy(hex, u, 8);
	memcpy(hex + 8, u + 9, 4);
	hex[12] = '\0';
	return strtoull(hex, NULL, 16);
}

static unsigned long long
wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000 +
	    (unsigned long long)ts.tv_nsec / 1000000;
}

int
main(void)
{
	char			 a[37], b[37];
	unsigned long long	 t0, t1;
	struct timespec		 ms = { 0, 2 * 1000 * 1000 };

	check(uuid_new(a) == 0 && uuid_valid(a) && version_of(a) == 4 &&
	    variant_ok(a), "uuid_new: canonical version 4 (%s)", a);
	uuid_new(b);
	check(strcmp(a, b) != 0, "uuid_new: two differ");

	t0 = wall_ms();
	check(uuid_new_v7(a) == 0 && uuid_valid(a) && version_of(a) == 7 &&
	    variant_ok(a), "uuid_new_v7: canonical version 7 (%s)", a);
	t1 = wall_ms();
	check(v7_ms(a) >= t0 && v7_ms(a) <= t1,
	    "uuid_new_v7: leads with the Unix milliseconds (%llu in [%llu, %llu])",
	    v7_ms(a), t0, t1);
	nanosleep(&ms, NULL);
	uuid_new_v7(b);
	check(strcmp(a, b) < 0, "uuid_new_v7: a later one sorts after (%s < %s)",
	    a, b);
	uuid_new_v7(b);
	check(strcmp(a + 14, b + 14) != 0, "uuid_new_v7: random after the time");
	return check_done();
}
