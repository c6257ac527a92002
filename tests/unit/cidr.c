/*
 * Unit tests of lib/cidr: the cases in tests/data/triggers/cidr.json
 * (parse and canonical form, containment across IPv4, IPv6 and
 * IPv4-mapped, the client address behind trusted proxies).  Run from
 * the repository root.  "ok - name" / "not ok - name"; exits 0 only when
 * all pass.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cidr.h"
#include "check.h"

#define CASES	"tests/data/triggers/cidr.json"

static void
test_parse(json_t *cases)
{
	struct cidr	 c;
	json_t		*e;
	const char	*in, *want;
	char		 out[64];
	size_t		 i;
	int		 rc;

	json_array_foreach(cases, i, e) {
		in = json_string_value(json_array_get(e, 0));
		want = json_string_value(json_array_get(e, 1));
		rc = cidr_parse(in, &c);
		if (want == NULL)
			check(rc == -1, "cidr_parse refuses '%s'", in);
		else
			check(rc == 0 && strcmp(cidr_format(&c, out,
			    sizeof(out)), want) == 0, "cidr_parse '%s' is %s "
			    "(got %s)", in, want, rc == 0 ? out : "error");
	}
}

static void
test_contains(json_t *cases)
{
	struct cidr		 c;
	struct cidr_addr	 a;
	json_t			*e;
	const char		*net, *addr;
	size_t			 i;
	int			 want, got;

	json_array_foreach(cases, i, e) {
		net = json_string_value(json_array_get(e, 0));
		addr = json_string_value(json_array_get(e, 1));
		want = json_is_true(json_array_get(e, 2));
		got = cidr_parse(net, &c) == 0 &&
		    cidr_addr_parse(addr, &a) == 0 && cidr_contains(&c, &a);
		check(got == want, "%s %s %s", net, want ? "contains" :
		    "does not contain", addr);
		if (cidr_addr_parse(addr, &a) == 0)
			check(cidr_list_contains(net, &a) == want,
			    "the list \"%s\" agrees on %s", net, addr);
	}
}

static void
test_client(json_t *cases)
{
	struct cidr_addr	 a;
	json_t			*e;
	const char		*remote, *xff, *trusted, *want;
	char			 out[64];
	size_t			 i;
	int			 rc;

	json_array_foreach(cases, i, e) {
		remote = json_string_value(json_array_get(e, 0));
		xff = json_string_value(json_array_get(e, 1));
		trusted = json_string_value(json_array_get(e, 2));
		want = json_string_value(json_array_get(e, 3));
		rc = cidr_client_addr(remote, xff, trusted, &a, out,
		    sizeof(out));
		if (want == NULL)
			check(rc == -1, "client of peer %s, X-Forwarded-For "
			    "'%s', trusted '%s': undetermined (fail closed)",
			    remote ? remote : "(none)", xff ? xff : "",
			    trusted ? trusted : "");
		else
			check(rc == 0 && strcmp(out, want) == 0, "client of "
			    "peer %s, X-Forwarded-For '%s', trusted '%s' is %s "
			    "(got %s)", remote, xff ? xff : "", trusted ?
			    trusted : "", want, rc == 0 ? out : "error");
	}
}

static void
test_list_valid(json_t *cases)
{
	json_t		*e;
	const char	*list;
	size_t		 i;
	int		 want;

	json_array_foreach(cases, i, e) {
		list = json_string_value(json_array_get(e, 0));
		want = json_is_true(json_array_get(e, 1));
		check((cidr_list_valid(list) == 0) == want, "list '%s' is %s",
		    list, want ? "valid" : "refused");
	}
}

/* cidr_list_match: the SSRF guard's strict reading beside the plain one. */
static void
test_list_match(json_t *cases)
{
	struct cidr_addr	 a;
	json_t			*e;
	const char		*list, *addr, *fl;
	size_t			 i;
	int			 flags, want, v4;

	json_array_foreach(cases, i, e) {
		list = json_string_value(json_array_get(e, 0));
		addr = json_string_value(json_array_get(e, 1));
		fl = json_string_value(json_array_get(e, 2));
		want = json_is_true(json_array_get(e, 3));
		flags = (strstr(fl, "commas") ? CIDR_LIST_COMMAS : 0) |
		    (strstr(fl, "family") ? CIDR_LIST_FAMILY : 0);
		v4 = strchr(addr, ':') == NULL;
		check(cidr_addr_parse(addr, &a) == 0 &&
		    cidr_list_match(list, &a, v4, flags) == want,
		    "list '%s' [%s] %s %s", list, fl, want ? "covers" :
		    "does not cover", addr);
	}
}

/* cidr_addr_from: IPv4 bytes become their IPv4-mapped form. */
static void
test_addr_from(void)
{
	static const unsigned char	 v4[4] = { 192, 0, 2, 1 };
	static const unsigned char	 v6[16] = { 0x20, 0x01, 0x0d, 0xb8,
	    [15] = 1 };
	struct cidr_addr		 a, b;

	cidr_addr_from(AF_INET, v4, &a);
	check(cidr_addr_parse("::ffff:192.0.2.1", &b) == 0 &&
	    memcmp(a.b, b.b, 16) == 0, "cidr_addr_from AF_INET maps 192.0.2.1");
	cidr_addr_from(AF_INET6, v6, &a);
	check(cidr_addr_parse("2001:db8::1", &b) == 0 &&
	    memcmp(a.b, b.b, 16) == 0, "cidr_addr_from AF_INET6 copies");
}

int
main(void)
{
	json_t		*all;

	if ((all = check_json_new(CASES)) == NULL)
		return 1;
	test_parse(json_object_get(all, "parse"));
	test_contains(json_object_get(all, "contains"));
	test_client(json_object_get(all, "client"));
	test_list_valid(json_object_get(all, "list_valid"));
	test_list_match(json_object_get(all, "list_match"));
	test_addr_from();
	json_decref(all);
	return check_done();
}
