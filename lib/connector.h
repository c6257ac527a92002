/*
 * connector: what differs per integration type (ARCHITECTURE.md §6.4,
 * seed 003).  An integration is a subscription with a type; the emit
 * fan-out, the delivery rows, the worker (cron/deliver.c), its retries,
 * attempt log, SSRF guard and cleanup are one for all.  A connector turns
 * an event into a request (render) and an answer into an outcome
 * (classify), and declares its settings.  Adding one is adding a file
 * lib/connector_<type>.c and a row in connector.c's table.
 */
#ifndef HOOKPOST_CONNECTOR_H
#define HOOKPOST_CONNECTOR_H

#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>

#include "sig.h"
#include "util.h"
#include "valid.h"

#define CONN_BODY_KEEP	4096	/* the first bytes of an answer kept */
#define CONN_REASON_MAX	256
#define CONN_REF_MAX	256
#define CONN_STEPS_MAX	8	/* requests in one attempt, at most */
#define CONN_STEPS_STR	"8"

/* An event on its way to one integration: what render reads. */
struct conn_event {
	const char	*delivery_id;
	const char	*event_id;
	const char	*subscription_id;
	const char	*event_type;
	const char	*payload;	/* hookpost.events.payload, as stored */
	const json_t	*event;		/* the same, parsed (NULL if not JSON) */
	const json_t	*config;	/* settings, secret ones opened */
	const char	*url;		/* subscriptions.url */
	const char	*secret;	/* signing secret, or NULL */
	const char	*prev_secret;	/* NULL unless in rotation grace */
	long long	 ts;		/* now, seconds since the epoch */
	/*
	 * A multi-step connector's memory between the requests of one
	 * attempt (a ticket's search, then its create, comment or
	 * transition): an object, empty at the first request, that render
	 * and classify may change.  It lasts one attempt: a retry starts
	 * again from the search, so a ticket created by an attempt whose
	 * result was never recorded is found, not created twice.
	 */
	json_t		*state;
	int		 step;		/* 0 for an attempt's first request */
	/*
	 * The event's object as the delivery row keeps it (sql/019
	 * hookpost.object_key), NULL where there is no row (unit tests):
	 * conn_object_key() then computes the same rule.  For a connector
	 * with tickets, the ticket hookpost recorded for that object in this
	 * integration: its key or number, id and state, NULL when none (a
	 * connector looks it up directly before any search, which a
	 * service may answer late: Jira Cloud's is eventually consistent).
	 */
	const char	*object_key;
	const char	*ticket_ref;
	const char	*ticket_ref_id;
	const char	*ticket_state;
};

/* How an SMTP transfer protects its connection. */
enum conn_tls {
	CONN_TLS_STARTTLS,	/* smtp://, STARTTLS required (RFC 3207) */
	CONN_TLS_IMPLICIT,	/* smtps://, TLS from the first byte */
	CONN_TLS_NONE		/* smtp:// in clear: never with AUTH */
};

/* What render makes; conn_request_free() frees it. */
struct conn_request {
	char			*method;	/* NULL: POST */
	char			*url;		/* NULL: the event's url */
	struct curl_slist	*headers;
	char			*body;
	size_t			 bodylen;
	/*
	 * An SMTP transfer when mail_rcpt is set (the email connector):
	 * MAIL FROM:<mail_from>, RCPT TO: each of mail_rcpt (all must be
	 * accepted, or nothing is sent), then body as the message (RFC
	 * 5322, CRLF lines; libcurl stuffs the dots).  AUTH with username
	 * and password when given.  The answer's status is the last SMTP
	 * reply code, its body that reply's text.
	 */
	char			*mail_from;
	struct curl_slist	*mail_rcpt;
	char			*username;
	char			*password;
	enum conn_tls		 tls;
};

/* What came back from one attempt. */
struct conn_answer {
	long		 status;	/* HTTP status, 0 when none */
	const char	*error;		/* transport error, or NULL */
	const char	*body;		/* the first CONN_BODY_KEEP bytes */
	size_t		 bodylen;
	long		 retry_after;	/* Retry-After in seconds, -1: none */
	int		 async;		/* X-Webhook-Callback: async */
};

enum conn_outcome {
	CONN_DELIVERED,
	CONN_ASYNC,	/* accepted; the receiver calls back (seed 000) */
	CONN_RETRY,	/* on the schedule, or after delay */
	CONN_FAILED,	/* for good: not retried */
	CONN_GONE,	/* for good, and the integration is disabled */
	/*
	 * Another request in the same attempt: render is called again with
	 * ev->state as classify left it (CONN_STEPS_MAX requests at most).
	 */
	CONN_NEXT
};

struct conn_result {
	enum conn_outcome outcome;
	long		 delay;		/* CONN_RETRY: seconds, or -1: the
					 * schedule's next step */
	long		 min_delay;	/* CONN_RETRY: and not sooner than
					 * this (0: no floor) */
	char		 reason[CONN_REASON_MAX];	/* why not delivered */
	char		 ref[CONN_REF_MAX];	/* the service's reference */
	/*
	 * For a connector with tickets: the ticket's id at the service
	 * (Jira's issue id, ServiceNow's sys_id), a link to it for people,
	 * and its state ("open", "resolved"); kept with ref under the
	 * event's object key (hookpost.integration_tickets).
	 */
	char		 ref_id[CONN_REF_MAX];
	char		 ref_url[1024];
	char		 ref_state[32];
	/*
	 * A failed Test Connection's step: 1 + its index in the
	 * connector's test_steps, set by classify where that step's answer
	 * is judged, and only for a failure that is not retried (a refusal,
	 * a wrong answer); 0 when none is to blame (a transport error, a
	 * 5xx or 429: the service did not answer).
	 */
	int		 step;
};

/*
 * What a person is told of one setting (GET /api/integrations/types, the
 * console's forms); the rule itself stays in the connector's fields.
 * label: "Webhook URL"; hint: one sentence or NULL; defval: the default
 * as JSON text, or NULL; group: the step of a setup it belongs to
 * ("connection"), or NULL; widget: how an object or list setting is
 * edited ("severity_map", "field_map", "headers", "list"), or NULL.
 */
struct conn_setting_doc {
	const char	*name;
	const char	*label;
	const char	*hint;
	const char	*defval;
	const char	*group;
	const char	*widget;
};

/*
 * A step of a connector's Test Connection: its name ("authentication")
 * and the group of settings (conn_setting_doc.group) where what it
 * checks is set, or NULL.
 */
struct conn_test_step {
	const char	*name;
	const char	*group;
};

/* A group of settings, in the order a setup shows them. */
struct conn_group {
	const char	*name;		/* "connection" */
	const char	*title;		/* "Connection" */
	const char	*hint;		/* one sentence, or NULL */
};

struct connector {
	const char		*type;		/* subscriptions.type */
	const char		*title;		/* "Slack" */
	/*
	 * Not an integration: seed 000's own subscriptions ('hookpost'),
	 * which the integrations API neither lists nor makes.  (SQL says
	 * the same as s.type <> 'hookpost'.)
	 */
	int			 internal;
	/*
	 * config: the settings it takes (lib/valid.h), checked on every
	 * write; secrets: the ones sealed at rest and never shown
	 * (NULL-terminated).  url_key: the setting holding the URL it
	 * sends to (checked by the SSRF guard when written and again when
	 * connected to), and url_default when it may be left out.
	 */
	const struct vfield	*fields;
	size_t			 nfields;
	const char *const	*secrets;
	const char		*url_key;
	const char		*url_default;
	/*
	 * The settings described for people, ended by a NULL name: one row
	 * for every field (the unit test checks it).
	 */
	const struct conn_setting_doc	*docs;
	/* The groups docs name, in order, ended by a NULL name (or NULL). */
	const struct conn_group		*groups;
	/*
	 * The steps of its Test Connection, in order, ended by a NULL name
	 * (or NULL): classify names a failed one in conn_result.step.
	 */
	const struct conn_test_step	*test_steps;
	/*
	 * Optional: defaults that live in a connector's own tables (Jira's
	 * severity mapping) set into settings, the array describe made:
	 * 0, or -1 (out of memory).
	 */
	int	(*describe)(json_t *settings);
	/* render reads only the stored payload: no parsed event */
	int			 payload_only;
	/*
	 * The API's test leaves state behind unless resolved (PagerDuty's
	 * incident): it sends integration.test.resolved right after.
	 */
	int			 test_resolves;
	/*
	 * One ticket per object (Jira, ServiceNow): a result's ref is
	 * recorded under the event's object key (conn_object_key) in
	 * hookpost.integration_tickets, which the API shows.  The connector
	 * itself finds the ticket at the service (by a label or correlation
	 * id it put there), so a crash between creating a ticket and
	 * recording it never opens a second one.
	 */
	int			 tickets;
	/*
	 * url_key is an smtp:// or smtps:// URL, checked as one at write
	 * (URLGUARD_MAIL); render makes SMTP requests (mail_rcpt).
	 */
	int			 smtp;
	/*
	 * Optional further checks of a settings object already valid
	 * against fields (e.g. header names): 0, or -1 with err set.
	 */
	int	(*check)(const json_t *config, char *err, size_t errsz);
	/* The request for one event: 0, or -1 with err set (not sent). */
	int	(*render)(const struct conn_event *, struct conn_request *,
		    char *err, size_t errsz);
	/* The outcome of one answer (or transport error). */
	void	(*classify)(const struct conn_event *,
		    const struct conn_answer *, struct conn_result *);
};

/* The connector of a type, or NULL. */
const struct connector	*connector_find(const char *type);
/* Every connector, in table order, NULL-terminated. */
extern const struct connector *const connectors[];

/*
 * What GET /api/integrations/types shows of c: a new object {type, title,
 * tickets, groups: [{name, title, hint}], test_steps: [{name, group}],
 * settings: [{name, type, required, nullable, secret, min, max, enum,
 * label, hint, default, group, widget}]} drawn from its fields, secrets,
 * docs, groups and test steps, or NULL when out of memory or when a
 * setting has no name.  The caller json_decrefs it.
 */
json_t	*connector_describe_new(const struct connector *c);

/*
 * The step of c's Test Connection that res names (res->step), or NULL:
 * none when the outcome is not a failure for good.
 */
const char *connector_failed_step(const struct connector *c,
	    const struct conn_result *res);

/* The severities an event may have, most severe first, NULL-ended. */
extern const char *const conn_severities[];

/* 1 when key is one of c's secret settings. */
int	 connector_is_secret(const struct connector *c, const char *key);

void	 conn_request_free(struct conn_request *);

/*
 * The rules every connector shares, in one place:
 * conn_classify_http: 2xx delivered (async when the receiver said so);
 * 410 gone; 429 and 503 retried after Retry-After (within [1 s, 1 h])
 * or on the schedule; any other answer or transport error retried on
 * the schedule.  conn_classify_vendor: the same, except that a 4xx other
 * than 408 and 429 is a failure for good (a service refused the
 * request; sending it again changes nothing).  Both write the reason.
 */
void	 conn_classify_http(const struct conn_event *,
	    const struct conn_answer *, struct conn_result *);
void	 conn_classify_vendor(const struct conn_event *,
	    const struct conn_answer *, struct conn_result *);

/*
 * Adds the headers of one signature scheme (lib/sig.c) over rq to out:
 * 0, or -1 with err set.
 */
int	 conn_sign(struct conn_request *out, struct sig_request *rq,
	    enum sig_scheme scheme, char *err, size_t errsz);

/* Appends "name: value" to l. */
struct curl_slist *conn_header_add(struct curl_slist *l, const char *name,
	    const char *value);

/*
 * What a connector reads of an event (seed 003): data.severity as one
 * of critical, high, medium, low, info ("info" when absent or another
 * word); data.title, else the event type; the event's data object (an
 * empty one when absent); a key stable per object ("<resource>/<id>"
 * from object_type/object_id, else data.id or data.<resource>_id, else
 * the event id) written into buf; a link to the object (data.url or
 * data.link when http(s)), or NULL; the timestamp.
 */
const char	*conn_severity(const struct conn_event *);
const char	*conn_title(const struct conn_event *);
const json_t	*conn_data(const struct conn_event *);
const char	*conn_object_key(const struct conn_event *, char *buf,
		    size_t bufsz);
const char	*conn_link(const struct conn_event *);
const char	*conn_timestamp(const struct conn_event *);
/* 1 when the event says its object is over (type "*.resolved", or
 * data.status "resolved"/"closed"; emit's hookpost.severity_passes lets
 * the same events past a severity threshold). */
int		 conn_is_resolution(const struct conn_event *);
/* A string setting, or NULL. */
const char	*conn_config_str(const struct conn_event *, const char *key);

/*
 * Appends the n bytes at s to b as the inside of a JSON string (no
 * quotes), byte for byte as jansson's json_dumps writes one: '"', '\\'
 * and control characters escaped (\n, \u001F...), '/' and non-ASCII as
 * they are.  Connectors write their bodies with it rather than building
 * a json_t to dump: the same text, without an object per value.
 * Returns 0, or -1 when s is not UTF-8 (jansson refuses such a string
 * too); b may then hold a part.
 */
int	 conn_json_esc(struct buf *b, const char *s, size_t n);

/*
 * Copies at most max characters (not bytes) of s into a new string,
 * ending with "…" when cut: the vendors count characters.
 */
char	*conn_truncate_new(const char *s, size_t max);

/*
 * A transfer of one request: the easy handle set up with the SSRF guard
 * (every resolved address checked, the connection pinned), the request,
 * timeouts, and the answer's first bytes, Retry-After and async flag
 * collected into t; an SMTP request (mail_rcpt set) goes to an smtp://
 * or smtps:// URL only, its answer the last reply's code and text.
 * conn_transfer_prepare: 0, or -1 with t->errbuf set.
 * conn_transfer_answer fills a conn_answer from the finished transfer.
 */
struct conn_transfer {
	CURL			*h;
	struct conn_request	 rq;
	struct curl_slist	*pinned;
	struct buf		 resp;
	long			 retry_after;
	int			 async;
	char			 errbuf[CURL_ERROR_SIZE];
	/* SMTP: the message sent so far; the last two replies' text. */
	size_t			 uploaded;
	struct buf		 reply, prev_reply;
	int			 reply_open;	/* "250-" seen, not "250 " */
	/*
	 * Requests that left on a connection (CURLOPT_PREREQFUNCTION: once
	 * connected, before the request is written): 0 when none did (no
	 * connection, TLS refused); 2 or more when libcurl sent it again
	 * on a fresh connection, as it does when a reused connection died
	 * before any answer (README "Attempts").
	 */
	int			 requests;
};

int	 conn_transfer_prepare(struct conn_transfer *, const char *url,
	    const char *allow_private, long timeout_ms);
void	 conn_transfer_answer(struct conn_transfer *, CURLcode,
	    struct conn_answer *);
void	 conn_transfer_free(struct conn_transfer *);
/*
 * CURLOPT_HEADERFUNCTION of an HTTP transfer: one header line of the
 * answer (arg: the conn_transfer), read for Retry-After and the async
 * flag.  Returns size * n.  Public for fuzz/classify.c.
 */
size_t	 conn_transfer_header(char *data, size_t size, size_t n, void *arg);

/*
 * The settings of an integration for a connector: config (JSON text,
 * secrets left out) and secret_enc (the sealed JSON object of secret
 * settings, or NULL) merged into a new object, or NULL when the sealed
 * part cannot be opened.
 */
json_t	*conn_config_open_new(const char *config, const char *secret_enc);

/*
 * Frees settings opened by conn_config_open_new(), their strings zeroed
 * first when this is the last reference (they hold secrets).
 */
void	 conn_config_free(json_t *config);

/*
 * A copy of s (an answer's body, a reason) with every secret setting of
 * c in config (a string, or each string of an object such as custom
 * headers; 6 bytes at least) replaced by "[redacted]": what a service
 * echoes back is stored and logged without it.  The caller frees.
 */
char	*conn_redact_new(const struct connector *c, const json_t *config,
	    const char *s);

/*
 * Sends one event synchronously (the API's "Test Connection"): render,
 * transfer, classify, again while classify answers CONN_NEXT (ev->state
 * made for the attempt when the caller gave none), all its requests
 * within timeout_ms.  Fills res and, when answered, status and
 * response_ms.  Returns 0 when it was sent, -1 when it could not be
 * (res->reason says why).
 */
int	 connector_send(const struct connector *, struct conn_event *,
	    const char *allow_private, long timeout_ms, struct conn_result *res,
	    long *status, double *response_ms);

#endif
