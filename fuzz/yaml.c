/*
 * fuzz/yaml: a YAML file read as JSON (cli/yaml.c: `hookpost pack
 * import`, `hookpost webhook import`): one document, typed scalars,
 * ceilings on depth, aliases and duplicate keys.
 *
 * Input: the YAML file.
 */
#include <stdarg.h>
#include <stdio.h>

#include <yaml.h>

#include "cli.h"
#include "fuzz.h"

/* The CLI's error line (cli/cli.c): formatted, then dropped. */
void
cli_err(const char *fmt, ...)
{
	va_list	 ap;
	char	 line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	yaml_document_t	 doc;
	yaml_node_t	*root;
	json_t		*j;

	fuzz_setup();
	if (cli_yaml_load("fuzz.yaml", (const char *)data, size, &doc) == -1)
		return 0;
	/* An empty document has no root: the callers refuse it first. */
	if ((root = yaml_document_get_root_node(&doc)) != NULL &&
	    (j = cli_yaml_json_new("fuzz.yaml", &doc, root)) != NULL)
		json_decref(j);
	yaml_document_delete(&doc);
	return 0;
}
