/*
 * cfg: runtime configuration (ARCHITECTURE.md §3).  A file named by
 * HOOKPOST_CONFIG holds KEY=value lines; the environment overrides it.
 * Loaded once per process; the only process-wide state besides the
 * database connection.
 */
#ifndef HOOKPOST_CFG_H
#define HOOKPOST_CFG_H

#include <stddef.h>

struct cfg {
	const char	*database_url;	/* HOOKPOST_DATABASE_URL, libpq conninfo */
	const char	*secret_key_file; /* HOOKPOST_SECRET_KEY_FILE */
	const char	*public_url;	/* HOOKPOST_PUBLIC_URL */
	const char	*allow_private;	/* HOOKPOST_ALLOW_PRIVATE_TARGETS */
	const char	*ca_bundle;	/* HOOKPOST_CA_BUNDLE, or NULL */
	const char	*trusted_proxies; /* HOOKPOST_TRUSTED_PROXIES */
	const char	*jwt_secret;	/* HOOKPOST_JWT_SECRET */
	const char	*base_path;	/* HOOKPOST_BASE_PATH, URL prefix to strip */
	size_t		 max_body;	/* HOOKPOST_MAX_BODY, bytes */
	int		 allow_http;	/* HOOKPOST_ALLOW_HTTP_WEBHOOKS */
	long		 ts_tolerance;	/* HOOKPOST_TIMESTAMP_TOLERANCE, seconds */
	int		 retry_jitter;	/* HOOKPOST_RETRY_JITTER, +-percent */
	long		 callback_ttl;	/* HOOKPOST_CALLBACK_TTL, seconds */
	long		 session_ttl;	/* HOOKPOST_SESSION_TTL, seconds */
	const char	*log_file;	/* HOOKPOST_LOG_FILE, or NULL: stderr */
	/* seed 002 trigger requests a minute; 0: no such limit */
	long		 trigger_rate_per_ip;	/* HOOKPOST_TRIGGER_RATE_PER_IP */
	long		 trigger_rate_global;	/* HOOKPOST_TRIGGER_RATE_GLOBAL */
	/* seed 003 license modules, comma or space separated */
	const char	*modules;		/* HOOKPOST_MODULES */
};

extern struct cfg cfg;

/* Loads the file (if any) and the environment.  Returns 0, or -1 (logged). */
int		 cfg_load(void);
/* A config value by its full name (file or environment); NULL if unset. */
const char	*cfg_get(const char *name);
/*
 * 1 when HOOKPOST_MODULES (default "connectors") names the module, else
 * 0.  seed 003: "All integration routes are gated behind the connectors
 * license module".
 */
int		 cfg_module_enabled(const char *name);

#endif
