#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "util.h"

#define CFG_MAX_KEYS	64

struct cfg cfg;

static char	*file_keys[CFG_MAX_KEYS];
static char	*file_vals[CFG_MAX_KEYS];
static size_t	 file_n;

static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
cfg_read_file(const char *path)
{
	FILE	*f;
	char	 line[2048], *k, *v, *eq;
	size_t	 len;
	int	 rc = -1;

	if ((f = fopen(path, "r")) == NULL) {
		log_error("config %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		if (strncmp(k, "export ", 7) == 0)
			k = trim(k + 7);
		if ((eq = strchr(k, '=')) == NULL)
			continue;
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		len = strlen(v);
		/* Shell-style quoting, so one file serves `. file` too. */
		if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
			v[len - 1] = '\0';
			v++;
		}
		if (file_n == CFG_MAX_KEYS) {
			log_error("config %s: too many keys", path);
			goto out;
		}
		file_keys[file_n] = xstrdup(k);
		file_vals[file_n] = xstrdup(v);
		file_n++;
	}
	rc = 0;
out:
	fclose(f);
	return rc;
}

const char *
cfg_get(const char *name)
{
	const char	*v;
	size_t		 i;

	if ((v = getenv(name)) != NULL && *v != '\0')
		return v;
	for (i = file_n; i > 0; i--)
		if (strcmp(file_keys[i - 1], name) == 0)
			return file_vals[i - 1];
	return NULL;
}

static long
cfg_num(const char *name, long def, long min, long max)
{
	const char	*v;
	long long	 n;

	if ((v = cfg_get(name)) == NULL)
		return def;
	if (parse_int(v, min, max, &n) == -1) {
		log_warn("config %s=%s: not a number in [%ld, %ld]; using %ld",
		    name, v, min, max, def);
		return def;
	}
	return (long)n;
}

int
cfg_load(void)
{
	const char	*path;

	char		*exe, *beside;
	int		 rc = 0;

	if ((path = getenv("HOOKPOST_CONFIG")) != NULL && *path != '\0') {
		if (cfg_read_file(path) == -1)
			return -1;
	} else if ((exe = exe_dir()) != NULL) {
		/*
		 * Shared hosting: without HOOKPOST_CONFIG (mod_fcgid passes no
		 * SetEnv to a process's environment), a hookpost.conf beside
		 * the program is the configuration.
		 */
		beside = xasprintf("%s/hookpost.conf", exe);
		if (access(beside, R_OK) == 0 && cfg_read_file(beside) == -1)
			rc = -1;
		free(beside);
		free(exe);
		if (rc == -1)
			return -1;
	}
	log_set_level(cfg_get("HOOKPOST_LOG_LEVEL"));
	if ((cfg.log_file = cfg_get("HOOKPOST_LOG_FILE")) != NULL)
		log_set_file(cfg.log_file);
	/* issue 12: "json" for log shippers; text stays the default. */
	log_set_format(cfg_get("HOOKPOST_LOG_FORMAT"));
	cfg.database_url = cfg_get("HOOKPOST_DATABASE_URL");
	if (cfg.database_url == NULL)
		cfg.database_url = "dbname=hookpost";
	cfg.secret_key_file = cfg_get("HOOKPOST_SECRET_KEY_FILE");
	cfg.public_url = cfg_get("HOOKPOST_PUBLIC_URL");
	cfg.allow_private = cfg_get("HOOKPOST_ALLOW_PRIVATE_TARGETS");
	/*
	 * A PEM file of the certificate authorities outbound TLS trusts
	 * (webhooks, services, SMTP) instead of libcurl's default bundle.
	 */
	cfg.ca_bundle = cfg_get("HOOKPOST_CA_BUNDLE");
	cfg.trusted_proxies = cfg_get("HOOKPOST_TRUSTED_PROXIES");
	cfg.jwt_secret = cfg_get("HOOKPOST_JWT_SECRET");
	cfg.base_path = cfg_get("HOOKPOST_BASE_PATH");
	cfg.max_body = (size_t)cfg_num("HOOKPOST_MAX_BODY", 1024 * 1024, 1024,
	    64L * 1024 * 1024);
	cfg.allow_http = cfg_num("HOOKPOST_ALLOW_HTTP_WEBHOOKS", 0, 0, 1) == 1;
	/* seed 004: timestamps older than 5 minutes are refused. */
	cfg.ts_tolerance = cfg_num("HOOKPOST_TIMESTAMP_TOLERANCE", 300, 1, 86400);
	/*
	 * seed 000's retry table is exact (1, 5, 15, 30 minutes); the
	 * jitter spreads a recovering endpoint's retries and 0 turns it off.
	 */
	cfg.retry_jitter = (int)cfg_num("HOOKPOST_RETRY_JITTER", 20, 0, 50);
	/* seed 000: an active (in_progress) record expires after 4 hours. */
	cfg.callback_ttl = cfg_num("HOOKPOST_CALLBACK_TTL", 4 * 3600, 60,
	    30L * 86400);
	/* issue 11: a console session lasts 8 hours from sign-in. */
	cfg.session_ttl = cfg_num("HOOKPOST_SESSION_TTL", 8 * 3600, 60,
	    30L * 86400);
	/* seed 002 "Rate Limiting": per IP 1,000 and global 10,000 a minute. */
	cfg.trigger_rate_per_ip = cfg_num("HOOKPOST_TRIGGER_RATE_PER_IP", 1000, 0,
	    100000000);
	cfg.trigger_rate_global = cfg_num("HOOKPOST_TRIGGER_RATE_GLOBAL", 10000,
	    0, 100000000);
	if ((cfg.modules = cfg_get("HOOKPOST_MODULES")) == NULL)
		cfg.modules = "connectors";
	return 0;
}

int
cfg_module_enabled(const char *name)
{
	const char	*s = cfg.modules != NULL ? cfg.modules : "connectors";
	size_t		 n = strlen(name), len;

	while (*s != '\0') {
		s += strspn(s, ", \t");
		len = strcspn(s, ", \t");
		if (len == n && strncmp(s, name, n) == 0)
			return 1;
		s += len;
	}
	return 0;
}
