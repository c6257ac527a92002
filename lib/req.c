#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "cidr.h"
#include "db.h"
#include "log.h"
#include "req.h"
#include "util.h"
#include "valid.h"


const char *
req_env(const struct req *r, const char *name)
{
	return FCGX_GetParam(name, r->envp);
}

const char *
req_header(const struct req *r, const char *name)
{
	char	 var[128];
	size_t	 i, n;

	n = strlen(name);
	if (n + 6 > sizeof(var))
		return NULL;
	memcpy(var, "HTTP_", 5);
	for (i = 0; i < n; i++)
		var[5 + i] = name[i] == '-' ? '_' :
		    (char)toupper((unsigned char)name[i]);
	var[5 + n] = '\0';
	/* RFC 3875 4.1.2, 4.1.3: the body's type and length are not HTTP_. */
	if (strcmp(var, "HTTP_CONTENT_TYPE") == 0)
		return req_env(r, "CONTENT_TYPE");
	if (strcmp(var, "HTTP_CONTENT_LENGTH") == 0)
		return req_env(r, "CONTENT_LENGTH");
	return req_env(r, var);
}

static int
unhex1(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into buf; -1 if it does not fit or is bad. */
static int
url_decode(const char *s, size_t n, char *buf, size_t bufsz)
{
	size_t	 i, o = 0;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		if (o + 1 >= bufsz)
			return -1;
		if (s[i] == '+')
			buf[o++] = ' ';
		else if (s[i] == '%') {
			if (i + 2 >= n)
				return -1;
			hi = unhex1((unsigned char)s[i + 1]);
			lo = unhex1((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -1;
			buf[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			buf[o++] = s[i];
	}
	buf[o] = '\0';
	return 0;
}

int
req_url_decode(const char *s, size_t n, char *buf, size_t bufsz)
{
	return url_decode(s, n, buf, bufsz);
}

/*
 * The first parameter named key in query: its raw (still encoded) value
 * in *val and *vlen, *val NULL for a bare "key" without "=".  Returns 1
 * when the key is there, else 0.
 */
static int
query_find(const char *query, const char *key, const char **val,
    size_t *vlen)
{
	const char	*p, *amp, *eq;
	size_t		 klen, n;

	klen = strlen(key);
	for (p = query; p != NULL && *p != '\0'; p = amp ? amp + 1 : NULL) {
		amp = strchr(p, '&');
		n = amp ? (size_t)(amp - p) : strlen(p);
		eq = memchr(p, '=', n);
		if ((size_t)((eq ? eq : p + n) - p) != klen ||
		    strncmp(p, key, klen) != 0)
			continue;
		*val = eq ? eq + 1 : NULL;
		*vlen = eq ? n - klen - 1 : 0;
		return 1;
	}
	return 0;
}

const char *
req_query(const struct req *r, const char *key, char *buf, size_t bufsz)
{
	const char	*val;
	size_t		 vlen;

	if (!query_find(r->query, key, &val, &vlen) || val == NULL ||
	    url_decode(val, vlen, buf, bufsz) == -1)
		return NULL;
	return buf;
}

int
req_query_uint(const struct req *r, const char *key, long long min,
    long long max, long long *out)
{
	const char	*val, *c;
	char		 buf[24];
	size_t		 vlen;

	if (!query_find(r->query, key, &val, &vlen))
		return 0;
	if (val == NULL || url_decode(val, vlen, buf, sizeof(buf)) == -1 ||
	    buf[0] == '\0')
		return -1;
	/* Digits only: strtoll alone takes " 6", "+6" and "-0". */
	for (c = buf; *c != '\0'; c++)
		if (*c < '0' || *c > '9')
			return -1;
	return parse_int(buf, min, max, out);
}

json_t *
req_json_object(struct req *r)
{
	json_error_t	 err;
	json_t		*j;

	j = json_loadb(r->body ? r->body : "", r->bodylen,
	    JSON_REJECT_DUPLICATES, &err);
	if (j == NULL) {
		resp_error(r, 400, "invalid_json", "Request body is not valid "
		    "JSON: %s (line %d, column %d)", err.text, err.line,
		    err.column);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		resp_error(r, 400, "invalid_json",
		    "Request body must be a JSON object");
		return NULL;
	}
	if (!valid_depth(j, JSON_MAX_DEPTH)) {
		json_decref(j);
		resp_error(r, 400, "invalid_json",
		    "Request body nests deeper than %d levels", JSON_MAX_DEPTH);
		return NULL;
	}
	return j;
}

double
req_elapsed_ms(const struct req *r)
{
	return now_ms() - r->started_ms;
}

/* 1 when a Host header is a plain host[:port] (RFC 3986 3.2.2, 3.2.3). */
static int
host_plain(const char *host)
{
	const char	*p;

	if (*host == '\0' || strlen(host) > 255)
		return 0;
	for (p = host; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && strchr(".-:[]", *p) == NULL)
			return 0;
	return 1;
}

int
req_https(const struct req *r)
{
	const char		*https, *proto, *peer;
	struct cidr_addr	 a;

	https = req_env(r, "HTTPS");
	if (https != NULL && strcasecmp(https, "on") == 0)
		return 1;
	/* A proxy that ends TLS says so; only a trusted one is believed. */
	proto = req_header(r, "X-Forwarded-Proto");
	peer = req_env(r, "REMOTE_ADDR");
	return proto != NULL && strcasecmp(proto, "https") == 0 &&
	    cfg.trusted_proxies != NULL && peer != NULL &&
	    cidr_addr_parse(peer, &a) == 0 &&
	    cidr_list_contains(cfg.trusted_proxies, &a);
}

char *
req_base_url_new(const struct req *r)
{
	const char	*host, *base;
	char		*b;
	size_t		 n;

	base = cfg.base_path != NULL ? cfg.base_path : "";
	host = req_header(r, "Host");
	if (cfg.public_url != NULL && *cfg.public_url != '\0')
		b = xstrdup(cfg.public_url);
	else if (host != NULL && host_plain(host))
		b = xasprintf("%s://%s%s", req_https(r) ? "https" : "http",
		    host, base);
	else
		b = xstrdup(base);
	n = strlen(b);
	while (n > 0 && b[n - 1] == '/')
		b[--n] = '\0';
	return b;
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

void
resp_send(struct req *r, int status, const char *ctype,
    const char *extra_headers, const char *body, size_t len)
{
	char	 head[512];
	int	 n;

	if (r->status != 0) {
		log_error("response written twice (%d then %d)", r->status,
		    status);
		return;
	}
	r->status = status;
	/* ARCHITECTURE.md §5: FCGX_FPrintF knows no %zu; format here first. */
	n = snprintf(head, sizeof(head), "Status: %d %s\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
	    status, status_text(status), ctype, len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return;
	if (r->out != NULL) {
		FCGX_PutStr(head, n, r->out);
		if (extra_headers != NULL)
			FCGX_PutS(extra_headers, r->out);
		FCGX_PutS("\r\n", r->out);
		if (len > 0 && strcmp(r->method, "HEAD") != 0)
			FCGX_PutStr(body, (int)len, r->out);
	} else {
		fwrite(head, 1, (size_t)n, stdout);
		if (extra_headers != NULL)
			fputs(extra_headers, stdout);
		fputs("\r\n", stdout);
		if (len > 0 && strcmp(r->method, "HEAD") != 0)
			fwrite(body, 1, len, stdout);
		fflush(stdout);
	}
}

void
resp_json(struct req *r, int status, json_t *body)
{
	char	*s;

	s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (s == NULL) {
		resp_send(r, 500, "application/json", NULL,
		    "{\"error\":{\"code\":\"internal\",\"message\":"
		    "\"Internal error\"}}", 55);
		return;
	}
	resp_send(r, status, "application/json", NULL, s, strlen(s));
	free(s);
}

void
resp_error(struct req *r, int status, const char *code, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;
	size_t	 n = 0;

	if (r->error_context != NULL)
		n = (size_t)snprintf(msg, sizeof(msg) / 2, "%s: ",
		    r->error_context);
	if (n >= sizeof(msg) / 2)
		n = sizeof(msg) / 2 - 1;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - n, fmt, ap);
	va_end(ap);
	resp_json(r, status, json_pack("{s:{s:s,s:s}}", "error", "code", code,
	    "message", msg));
}

void
resp_list(struct req *r, json_t *data, const char *next_cursor)
{
	resp_json(r, 200, json_pack("{s:o,s:s?}", "data", data, "next_cursor",
	    next_cursor));
}

void
resp_db_error(struct req *r)
{
	if (strncmp(db_last_sqlstate(), "22", 2) == 0)
		resp_error(r, 400, "invalid_field", "A parameter has an "
		    "invalid value");
	else
		resp_error(r, 503, "unavailable", "Database unavailable");
}

void
resp_db_conflict(struct req *r, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	if (strcmp(db_last_sqlstate(), "23505") != 0) {
		resp_db_error(r);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	resp_error(r, 409, "conflict", "%s", msg);
}

void
resp_row(struct req *r, int status, const PGresult *res, const char *what)
{
	json_t	*j;

	if (PQntuples(res) == 0)
		resp_error(r, 404, "not_found", "No such %s", what);
	else if ((j = json_loads(PQgetvalue(res, 0, 0), 0, NULL)) == NULL)
		resp_error(r, 500, "internal", "Malformed row");
	else
		resp_json(r, status, j);
}

void
resp_row_secret(struct req *r, int status, const char *json,
    const char *secret)
{
	json_t	*j;

	if ((j = json_loads(json, 0, NULL)) == NULL) {
		resp_error(r, 500, "internal", "Malformed row");
		return;
	}
	if (secret != NULL)
		json_object_set_new(j, "secret", json_string(secret));
	resp_json(r, status, j);
}

void
resp_deleted(struct req *r, PGresult *res, const char *what)
{
	if (strcmp(PQcmdTuples(res), "0") == 0)
		resp_error(r, 404, "not_found", "No such %s", what);
	else
		resp_send(r, 204, "application/json", NULL, "", 0);
}
