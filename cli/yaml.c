/*
 * cli: YAML files read as JSON (`hookpost pack import`): one document,
 * plain scalars typed by the YAML 1.2 core schema, every other scalar a
 * string, with the ceilings of STYLE 11 (depth, size, duplicate keys).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <yaml.h>

#include "util.h"
#include "cli.h"

#define YAML_MAX_DEPTH	32
/* Aliases may repeat a node many times over: a ceiling on the copies. */
#define YAML_MAX_NODES	100000

int
cli_yaml_load(const char *file, const char *data, size_t len,
    yaml_document_t *doc)
{
	yaml_parser_t	 parser;
	yaml_document_t	 extra;
	yaml_node_t	*root;
	int		 rc = -1, loaded = 0;

	if (!yaml_parser_initialize(&parser)) {
		cli_err("out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, doc))
		goto bad;
	loaded = 1;
	if (!yaml_parser_load(&parser, &extra))
		goto bad;
	if ((root = yaml_document_get_root_node(&extra)) != NULL) {
		cli_err("%s:%zu: only one YAML document is supported", file,
		    root->start_mark.line + 1);
		yaml_document_delete(&extra);
		goto out;
	}
	yaml_document_delete(&extra);
	rc = 0;
	goto out;
bad:
	cli_err("%s:%zu: %s%s%s", file, parser.problem_mark.line + 1,
	    parser.problem != NULL ? parser.problem : "invalid YAML",
	    parser.context != NULL ? " " : "",
	    parser.context != NULL ? parser.context : "");
out:
	if (rc == -1 && loaded)
		yaml_document_delete(doc);
	yaml_parser_delete(&parser);
	return rc;
}

/* A node's text when it is a scalar without an embedded NUL, else NULL. */
const char *
cli_yaml_scalar(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE ||
	    strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return NULL;
	return (const char *)n->data.scalar.value;
}

static int
is_digits(const char *s, const char *set)
{
	if (*s == '\0')
		return 0;
	return strspn(s, set) == strlen(s);
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int
is_float(const char *s)
{
	size_t	 ip, fp = 0;

	if (*s == '-' || *s == '+')
		s++;
	ip = strspn(s, "0123456789");
	s += ip;
	if (*s == '.') {
		fp = strspn(s + 1, "0123456789");
		s += 1 + fp;
	}
	if (ip == 0 && fp == 0)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!is_digits(s, "0123456789"))
			return 0;
		return 1;
	}
	return *s == '\0';
}

/*
 * A plain scalar as the YAML 1.2 core schema reads it: null, a boolean,
 * an integer (decimal, 0o octal, 0x hex), a float, else a string.  NULL
 * (with *why) for what JSON cannot hold: .inf, .nan, integers past 64
 * bits.
 */
static json_t *
plain_new(const char *s, const char **why)
{
	long long	 ll;
	double		 d;
	char		*end;
	int		 base = 10;
	const char	*digits = s;

	if (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0)
		return json_null();
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0)
		return json_true();
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0)
		return json_false();
	if (strncmp(s, "0o", 2) == 0 && is_digits(s + 2, "01234567")) {
		base = 8;
		digits = s + 2;
	} else if (strncmp(s, "0x", 2) == 0 &&
	    is_digits(s + 2, "0123456789abcdefABCDEF")) {
		base = 16;
		digits = s + 2;
	} else if (!is_digits(s + (*s == '-' || *s == '+'), "0123456789"))
		base = 0;
	if (base != 0) {
		errno = 0;
		ll = strtoll(digits, &end, base);
		if (errno == ERANGE || *end != '\0') {
			*why = "an integer out of range";
			return NULL;
		}
		return json_integer(ll);
	}
	if (is_float(s)) {
		d = strtod(s, &end);
		if (*end != '\0' || d > 1e308 || d < -1e308) {
			*why = "a number out of range";
			return NULL;
		}
		return json_real(d);
	}
	if (strcasecmp(s, ".inf") == 0 || strcasecmp(s, "+.inf") == 0 ||
	    strcasecmp(s, "-.inf") == 0 || strcasecmp(s, ".nan") == 0) {
		*why = "a number JSON cannot hold";
		return NULL;
	}
	return json_string(s);
}

struct conv {
	const char	*file;
	yaml_document_t	*doc;
	size_t		 nodes;
};

static json_t *
node_json_new(struct conv *c, yaml_node_t *n, int depth)
{
	yaml_node_item_t	*it;
	yaml_node_pair_t	*pair;
	yaml_node_t		*k;
	const char		*s = NULL, *why = NULL;
	json_t			*j = NULL, *v;

	if (++c->nodes > YAML_MAX_NODES) {
		cli_err("%s: more than %d values (aliases repeating a node?)",
		    c->file, YAML_MAX_NODES);
		return NULL;
	}
	if (depth > YAML_MAX_DEPTH) {
		cli_err("%s:%zu: nested deeper than %d levels", c->file,
		    n->start_mark.line + 1, YAML_MAX_DEPTH);
		return NULL;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE:
		if ((s = cli_yaml_scalar(n)) == NULL)
			why = "a value with a NUL character";
		else if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
			j = json_string(s);
		else
			j = plain_new(s, &why);
		if (j == NULL && why == NULL)
			why = "text that is not UTF-8";
		break;
	case YAML_SEQUENCE_NODE:
		j = json_array();
		for (it = n->data.sequence.items.start;
		    it < n->data.sequence.items.top; it++) {
			if ((v = node_json_new(c, yaml_document_get_node(c->doc,
			    *it), depth + 1)) == NULL)
				goto fail;
			json_array_append_new(j, v);
		}
		return j;
	case YAML_MAPPING_NODE:
		j = json_object();
		for (pair = n->data.mapping.pairs.start;
		    pair < n->data.mapping.pairs.top; pair++) {
			k = yaml_document_get_node(c->doc, pair->key);
			if ((s = cli_yaml_scalar(k)) == NULL) {
				cli_err("%s:%zu: a key must be a word", c->file,
				    k->start_mark.line + 1);
				goto fail;
			}
			/* libyaml keeps a repeated key; the second must not win. */
			if (json_object_get(j, s) != NULL) {
				cli_err("%s:%zu: key '%s' given twice", c->file,
				    k->start_mark.line + 1, s);
				goto fail;
			}
			if ((v = node_json_new(c, yaml_document_get_node(c->doc,
			    pair->value), depth + 1)) == NULL)
				goto fail;
			if (json_object_set_new(j, s, v) == -1) {
				cli_err("%s:%zu: key '%s' is not UTF-8", c->file,
				    k->start_mark.line + 1, s);
				goto fail;
			}
		}
		return j;
	default:
		why = "an empty node";
		break;
	}
	if (j == NULL && s != NULL)
		cli_err("%s:%zu: '%s' is %s", c->file, n->start_mark.line + 1,
		    s, why);
	else if (j == NULL)
		cli_err("%s:%zu: %s", c->file, n->start_mark.line + 1, why);
	return j;
fail:
	json_decref(j);
	return NULL;
}

json_t *
cli_yaml_json_new(const char *file, yaml_document_t *doc, yaml_node_t *n)
{
	struct conv	 c = { file, doc, 0 };

	return node_json_new(&c, n, 0);
}
