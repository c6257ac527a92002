#include <stdio.h>
#include <string.h>

#include "util.h"
#include "valid.h"

int
valid_enum(const char *const *e, const char *s)
{
	for (; *e != NULL; e++)
		if (strcmp(*e, s) == 0)
			return 1;
	return 0;
}

int
valid_object(struct req *r, const json_t *obj, const struct vfield *fields,
    size_t nfields)
{
	return valid_object_at(r, "", obj, fields, nfields);
}

int
valid_object_at(struct req *r, const char *at, const json_t *obj,
    const struct vfield *fields, size_t nfields)
{
	const char	*key, *s;
	json_t		*v;
	size_t		 i, len;

	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; i < nfields; i++)
			if (strcmp(fields[i].name, key) == 0)
				break;
		if (i == nfields) {
			resp_error(r, 400, "invalid_field",
			    "Unknown field '%s%.64s'", at, key);
			return -1;
		}
	}
	for (i = 0; i < nfields; i++) {
		const struct vfield *f = &fields[i];

		v = json_object_get(obj, f->name);
		if (v == NULL) {
			if (f->required) {
				resp_error(r, 400, "invalid_field",
				    "Field '%s%s' is required", at, f->name);
				return -1;
			}
			continue;
		}
		if (json_is_null(v)) {
			if (f->nullable && !f->required)
				continue;
			goto bad;
		}
		switch (f->type) {
		case V_STRING:
			if ((s = json_string_value(v)) == NULL)
				goto bad;
			len = strlen(s);
			if ((long long)len < f->min || (long long)len > f->max)
				goto bad;
			break;
		case V_NAME:
			if (!name_valid(json_string_value(v)))
				goto bad;
			break;
		case V_BOOL:
			if (!json_is_boolean(v))
				goto bad;
			break;
		case V_INT:
			if (!json_is_integer(v) ||
			    json_integer_value(v) < f->min ||
			    json_integer_value(v) > f->max)
				goto bad;
			break;
		case V_ENUM:
			if ((s = json_string_value(v)) == NULL ||
			    !valid_enum(f->enums, s))
				goto bad;
			break;
		case V_OBJECT:
			if (!json_is_object(v))
				goto bad;
			break;
		case V_ARRAY:
			if (!json_is_array(v) ||
			    (long long)json_array_size(v) < f->min ||
			    (long long)json_array_size(v) > f->max)
				goto bad;
			break;
		case V_ANY:
			break;
		}
	}
	return 0;
bad:
	switch (fields[i].type) {
	case V_NAME:
		resp_error(r, 400, "invalid_field", "Field '%s%s' must "
		    "match [a-z0-9][a-z0-9._-]{0,63}", at, fields[i].name);
		break;
	case V_ENUM: {
		struct buf	 b = { 0 };
		const char *const *e;

		for (e = fields[i].enums; *e != NULL; e++)
			buf_appendf(&b, "%s%s", e == fields[i].enums ? "" :
			    ", ", *e);
		resp_error(r, 400, "invalid_field", "Field '%s%s' must be "
		    "one of: %s", at, fields[i].name, b.data);
		buf_free(&b);
		break;
	}
	case V_STRING:
		resp_error(r, 400, "invalid_field", "Field '%s%s' must be "
		    "a string of %lld to %lld bytes", at, fields[i].name,
		    fields[i].min, fields[i].max);
		break;
	case V_INT:
		resp_error(r, 400, "invalid_field", "Field '%s%s' must be "
		    "an integer in [%lld, %lld]", at, fields[i].name, fields[i].min,
		    fields[i].max);
		break;
	default:
		resp_error(r, 400, "invalid_field", "Field '%s%s' has the "
		    "wrong type", at, fields[i].name);
		break;
	}
	return -1;
}

int
valid_depth(const json_t *j, int max)
{
	const char	*k;
	json_t		*v;
	size_t		 i;

	if (max < 0)
		return 0;
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v)
			if (!valid_depth(v, max - 1))
				return 0;
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if (!valid_depth(v, max - 1))
				return 0;
	}
	return 1;
}

json_t *
valid_body_new(struct req *r, const struct vfield *fields, size_t nfields)
{
	json_t	*body;

	if ((body = req_json_object(r)) == NULL)
		return NULL;
	if (valid_object(r, body, fields, nfields) == -1) {
		json_decref(body);
		return NULL;
	}
	return body;
}

const char *
valid_bool_param(const json_t *o, const char *k)
{
	json_t	*v;

	if ((v = json_object_get(o, k)) == NULL || json_is_null(v))
		return NULL;
	return json_is_true(v) ? "t" : "f";
}

const char *
valid_int_param(const json_t *o, const char *k, char *buf, size_t bufsz)
{
	json_t	*v;

	if ((v = json_object_get(o, k)) == NULL || !json_is_integer(v))
		return NULL;
	snprintf(buf, bufsz, "%lld", (long long)json_integer_value(v));
	return buf;
}
