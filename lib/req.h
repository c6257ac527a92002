/*
 * req: one HTTP request and its response.  The struct owns all request
 * memory and is freed at the end of each request (STYLE 9).  It is the
 * same under FastCGI and plain CGI (RFC 3875).
 */
#ifndef HOOKPOST_REQ_H
#define HOOKPOST_REQ_H

#include <stddef.h>

#include <fcgiapp.h>
#include <jansson.h>
#include <libpq-fe.h>

#define REQ_MAX_PARAMS	4

struct auth {
	int		 ok;		/* a valid credential was presented */
	int		 admin;		/* role admin */
	char		*token_id;	/* uuid of the API token, NULL for JWT */
	char		*owner_id;	/* the user's owner scope */
	char		*session_id;	/* console session (a cookie), or NULL */
	int		 service;	/* role service */
	/* permissions beyond the role (api_tokens.permissions, JWT claim) */
	int		 manage_settings;	/* seed 003 MANAGE_SETTINGS */
};

struct req {
	/* Transport: FastCGI streams, or NULL in CGI mode (stdio). */
	FCGX_Stream	*in, *out;
	char		**envp;

	const char	*method;
	char		*path;		/* owned; no query, base path stripped */
	const char	*query;		/* raw query string, may be "" */
	char		*params[REQ_MAX_PARAMS]; /* route captures, owned */
	const char	*remote_addr;
	const char	*user_agent;
	long long	 content_length; /* -1 when absent */
	char		*body;		/* owned, NUL-terminated */
	size_t		 bodylen;
	double		 started_ms;
	int		 status;	/* 0 until a response is written */
	/*
	 * Set by a route that checks many items of one body: resp_error
	 * starts its message with it ("triggers[2] (github.push): ").
	 */
	const char	*error_context;
	struct auth	 auth;
};

/* A CGI variable (RFC 3875 4.1), NULL if unset. */
const char	*req_env(const struct req *, const char *name);
/* A request header by its HTTP name ("X-Webhook-Signature"), or NULL. */
const char	*req_header(const struct req *, const char *name);
/*
 * A decoded query parameter copied into buf (at most bufsz - 1 bytes).
 * Returns buf, or NULL if absent or too long.
 */
const char	*req_query(const struct req *, const char *key, char *buf,
		    size_t bufsz);
/*
 * A query parameter that is a whole number from min to max, written in
 * decimal digits only (no sign, no space; percent-decoded first).
 * Returns 0 with *out set, 0 with *out untouched when the key is absent
 * (the caller's default stays), or -1 when it is there but anything else
 * ("?n", "?n=", "?n=+6", "?n=%206", out of range, too long).
 */
int		 req_query_uint(const struct req *, const char *key,
		    long long min, long long max, long long *out);
/*
 * Percent-decodes s[0..n) ("+" is a space; %00 is refused) into buf.
 * Returns 0, or -1 when it does not fit or is malformed.
 */
int		 req_url_decode(const char *s, size_t n, char *buf,
		    size_t bufsz);
/*
 * Parses the body as a JSON object (duplicate keys rejected, depth
 * bounded).  Returns a new reference, or NULL after answering 400
 * invalid_json.
 */
json_t		*req_json_object(struct req *);
/* Milliseconds since the request began. */
double		 req_elapsed_ms(const struct req *);
/*
 * 1 when the client reached us over HTTPS: the server's HTTPS=on, or
 * X-Forwarded-Proto: https from a HOOKPOST_TRUSTED_PROXIES peer; else 0.
 */
int		 req_https(const struct req *);
/*
 * The base of the URLs this deployment hands out, without a trailing
 * slash: HOOKPOST_PUBLIC_URL when set, else this request's scheme, Host
 * (req_https) and HOOKPOST_BASE_PATH.  A Host that is not a plain host[:port] is
 * never echoed (it is the client's word): the base is then the base path
 * alone, a reference relative to the request's own host.  A new string.
 */
char		*req_base_url_new(const struct req *);

/* Responses.  Each writes the whole response once. */
void		 resp_send(struct req *, int status, const char *ctype,
		    const char *extra_headers, const char *body, size_t len);
/* Answers with `body` as JSON; steals the reference. */
void		 resp_json(struct req *, int status, json_t *body);
/* seed 000 / ARCHITECTURE.md §3 error shape: {"error":{"code","message"}}. */
void		 resp_error(struct req *, int status, const char *code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Answers a failed query: an invalid input value (SQLSTATE class 22) is
 * 400 invalid_field, anything else 503 unavailable. */
void		 resp_db_error(struct req *);
/* resp_db_error(), except that a unique violation (23505) is 409
 * conflict with the message fmt. */
void		 resp_db_conflict(struct req *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* A list: {"data":[...],"next_cursor":...}; steals `data`. */
void		 resp_list(struct req *, json_t *data, const char *next_cursor);
/*
 * Answers the JSON text of column 0, row 0 of res with status, or 404
 * not_found "No such <what>" when res has no row.
 */
void		 resp_row(struct req *, int status, const PGresult *res,
		    const char *what);
/* Answers a row's JSON text, adding "secret" when one was just made
 * (seed 000: shown here, and never again); 500 for a malformed row. */
void		 resp_row_secret(struct req *, int status, const char *json,
		    const char *secret);
/* Answers a DELETE: 204, or 404 "No such <what>" when it removed none. */
void		 resp_deleted(struct req *, PGresult *res,
		    const char *what);

#endif
