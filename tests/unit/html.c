/*
 * Unit tests of lib/util's html_strip_new (seed 003 stripHtmlTags: names
 * and descriptions of integrations lose their HTML tags when written).
 * One case per row: input, then what is kept.
 * "ok - name" / "not ok - name"; exits 0 only when all pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "check.h"

static const struct {
	const char	*in, *want;
} cases[] = {
	{ "plain name", "plain name" },
	{ "", "" },
	{ "<b>Ops</b> hook", "Ops hook" },
	{ "a<br/>b", "ab" },
	{ "x<img src=x onerror=alert(1)>y", "xy" },
	{ "<script>alert(1)</script>", "alert(1)" },
	{ "<!-- note -->kept", "kept" },
	{ "<?xml version=\"1.0\"?>kept", "kept" },
	{ "</i>closing", "closing" },
	/* An unclosed tag takes the rest: no half tag reaches a page. */
	{ "name<img src=x onerror=alert(1)", "name" },
	/* A "<" that opens no tag is text. */
	{ "a < b", "a < b" },
	{ "1<2 and 3>2", "1<2 and 3>2" },
	{ "<<b>>", "<>" },
	/* What one pass leaves may form a tag: stripped again. */
	{ "<<b>script>alert(1)<</b>/script>", "alert(1)" },
	{ "<<<i>b>i>x", "x" },
	{ "  <b> </b> padded  ", "padded" },
	{ "<B>UPPER</B>", "UPPER" },
	{ "caf\xc3\xa9 <i>cr\xc3\xa8me</i>", "caf\xc3\xa9 cr\xc3\xa8me" },
	{ "<b></b>", "" },
};

int
main(void)
{
	char	*got;
	size_t	 i;

	for (i = 0; i < NITEMS(cases); i++) {
		got = html_strip_new(cases[i].in);
		check(strcmp(got, cases[i].want) == 0, "html_strip_new(\"%s\") "
		    "is \"%s\" (got \"%s\")", cases[i].in, cases[i].want, got);
		free(got);
	}
	return check_done();
}
