/*
 * hookpost db and hookpost token: straight to PostgreSQL through
 * HOOKPOST_DATABASE_URL (cfg_load()), so they work before any server
 * runs: `make run` migrates and mints its admin token with them.
 *
 * The CLI keeps its own connection rather than lib/db.c's, whose
 * failures log multi-line libpq text: here every error is one line.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "cfg.h"
#include "crypt.h"
#include "util.h"
#include "cli.h"

#define MIGRATE_MAX_FILES	10000
#define TOKEN_RANDOM_LEN	40

enum {
	OPT_DIR = OPT_CMD,
	OPT_ROLE,
	OPT_OWNER,
	OPT_NAME,
	OPT_LIMIT,
	OPT_PERMISSION
};

static const struct cli_cmd cmd_migrate = {
	"db migrate",
	"usage: hookpost db migrate [--dir DIR]\n"
	"Applies the schema changes sql/NNN_*.sql not yet applied, in order,\n"
	"then every sql/functions/*.sql (CREATE OR REPLACE), all in one\n"
	"transaction, recording each function file's SHA-256.  Safe to run\n"
	"again, and twice at once.\n"
	"\n"
	"  --dir DIR   the migrations (default: $HOOKPOST_SQL_DIR, else\n"
	"              ../sql or ../share/hookpost/sql beside the executable)\n"
	"\n"
	"The database is HOOKPOST_DATABASE_URL (libpq conninfo).\n",
	0, 0, 0
};

static const struct cli_cmd cmd_status = {
	"db status",
	"usage: hookpost db status [--dir DIR]\n"
	"Lists the migrations, applied and pending, and the function files,\n"
	"current or changed since last applied.\n",
	0, 0, 0
};

static const struct cli_cmd cmd_tok_create = {
	"token create",
	"usage: hookpost token create --role admin|user|service [--owner ID]\n"
	"                             [--name NAME] [--permission P]\n"
	"Mints an API token and prints it (only it) on stdout, once; the\n"
	"database keeps only its SHA-256:  TOKEN=$(hookpost token create --role admin)\n"
	"\n"
	"  --role R     admin (everything), user (its own owner's objects) or\n"
	"               service\n"
	"  --owner ID   the owner scope; required for role user\n"
	"  --name NAME  a label for token list\n"
	"  --permission manage_settings\n"
	"               beyond the role: manage integrations (seed 003)\n",
	0, 0, 0
};

static const struct cli_cmd cmd_tok_list = {
	"token list",
	"usage: hookpost token list [--limit N] [--json]\n"
	"Lists API tokens (never the tokens themselves).\n",
	0, 0, CMD_JSON
};

static const struct cli_cmd cmd_tok_revoke = {
	"token revoke",
	"usage: hookpost token revoke ID\n"
	"Revokes a token at once; its requests answer 401 from then on.\n",
	1, 1, 0
};

/* Server notices ("schema already exists, skipping") are noise here. */
static void
notice_receiver(void *arg, const PGresult *res)
{
	const char	*sev, *msg;

	sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (sev != NULL && strcmp(sev, "WARNING") == 0 && msg != NULL)
		cli_warn("database: %s", msg);
}

static PGconn *
pg_connect(void)
{
	const char *const kw[] = {
		"dbname", "fallback_application_name", NULL
	};
	const char	*val[] = { NULL, "hookpost-cli", NULL };
	PGconn		*conn;

	if (cfg_load() == -1)
		return NULL;
	val[0] = cfg.database_url;
	/* expand_dbname: HOOKPOST_DATABASE_URL is a whole conninfo. */
	conn = PQconnectdbParams(kw, val, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK) {
		cli_err("database: %s", conn != NULL ? PQerrorMessage(conn) :
		    "out of memory");
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeReceiver(conn, notice_receiver, NULL);
	return conn;
}

/*
 * A result that must be `want`; otherwise reports `what` with the
 * server's primary message, clears it and returns NULL.
 */
static PGresult *
pg_check(PGconn *conn, PGresult *res, ExecStatusType want, const char *what)
{
	const char	*msg = NULL, *state = NULL, *hint = "";

	if (res != NULL && PQresultStatus(res) == want)
		return res;
	if (res != NULL) {
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	}
	/* undefined_table, invalid_schema_name: a database never migrated. */
	if (state != NULL && (strcmp(state, "42P01") == 0 ||
	    strcmp(state, "3F000") == 0))
		hint = " (run hookpost db migrate)";
	cli_err("%s: %s%s", what, msg != NULL ? msg : PQerrorMessage(conn),
	    hint);
	PQclear(res);
	return NULL;
}

static int
pg_command(PGconn *conn, const char *sql, const char *what)
{
	PGresult	*res;

	if ((res = pg_check(conn, PQexec(conn, sql), PGRES_COMMAND_OK,
	    what)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static int
is_dir(const char *path)
{
	struct stat	 st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * --dir, else $HOOKPOST_SQL_DIR, else the source tree's sql/ beside
 * bin/, else an installed share/hookpost/sql (make install).
 */
static char *
migrate_dir_new(const char *opt_dir)
{
	const char	*env;
	char		*exe = NULL, *dir = NULL;

	if (opt_dir != NULL || (env = cfg_get("HOOKPOST_SQL_DIR")) != NULL) {
		dir = xstrdup(opt_dir != NULL ? opt_dir : env);
		if (!is_dir(dir)) {
			cli_err("%s: not a directory", dir);
			free(dir);
			dir = NULL;
		}
		return dir;
	}
	if ((exe = exe_dir()) != NULL) {
		dir = xasprintf("%s/../sql", exe);
		if (!is_dir(dir)) {
			free(dir);
			dir = xasprintf("%s/../share/hookpost/sql", exe);
			if (!is_dir(dir)) {
				free(dir);
				dir = NULL;
			}
		}
	}
	if (dir == NULL)
		cli_err("no migrations found beside the executable; use --dir "
		    "or HOOKPOST_SQL_DIR");
	free(exe);
	return dir;
}

/*
 * A schema change, "NNN_name.sql": digits, an underscore, anything,
 * ".sql"; or, with !numbered, a function file "name.sql".
 */
static int
migration_name(const char *s, int numbered)
{
	size_t	 n, i;

	n = strlen(s);
	if (n < 5 || strcmp(s + n - 4, ".sql") != 0 || s[0] == '.')
		return 0;
	if (!numbered)
		return 1;
	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
		;
	return n >= 6 && i > 0 && s[i] == '_';
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
strv_free(char **v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * The versions (file names less ".sql") of the schema changes in dir, or
 * with !numbered of the function files, sorted by byte value, not locale,
 * so that 001 < 002 < 010 on every machine.  A function directory that
 * does not exist holds none.  Returns 0 with a new array, or -1.
 */
static int
migrate_files(const char *dir, int numbered, char ***out, size_t *outn)
{
	DIR		*d;
	struct dirent	*de;
	char		**v = NULL;
	size_t		 n = 0;
	int		 rc = -1;

	if ((d = opendir(dir)) == NULL) {
		if (!numbered && errno == ENOENT) {
			*out = NULL;
			*outn = 0;
			return 0;
		}
		cli_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!migration_name(de->d_name, numbered))
			continue;
		if (n == MIGRATE_MAX_FILES) {
			cli_err("%s: more than %d migrations", dir,
			    MIGRATE_MAX_FILES);
			goto out;
		}
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = xstrndup(de->d_name, strlen(de->d_name) - 4);
	}
	qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	*outn = n;
	v = NULL;
	n = 0;
	rc = 0;
out:
	strv_free(v, n);
	closedir(d);
	return rc;
}

/*
 * What hookpost.schema_migrations (functions 0) or schema_functions
 * (functions 1) records: names sorted by byte value, the UTC time each
 * was applied and, for function files, the SHA-256 applied.  Returns 0
 * with new arrays of n + 1 entries each, or -1.
 */
static int
migrate_applied(PGconn *conn, int functions, char ***out, char ***at,
    char ***sha, size_t *outn)
{
	static const char *const sql[] = {
		"SELECT version, to_char(applied_at AT TIME ZONE 'UTC', "
		"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '' FROM "
		"hookpost.schema_migrations ORDER BY version COLLATE \"C\"",
		"SELECT name, to_char(applied_at AT TIME ZONE 'UTC', "
		"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), sha256 FROM "
		"hookpost.schema_functions ORDER BY name COLLATE \"C\""
	};
	PGresult	*res;
	char		**v, **a, **h;
	size_t		 n, i;

	res = PQexec(conn, sql[functions != 0]);
	if ((res = pg_check(conn, res, PGRES_TUPLES_OK, functions ?
	    "hookpost.schema_functions" : "hookpost.schema_migrations")) ==
	    NULL)
		return -1;
	n = (size_t)PQntuples(res);
	v = xcalloc(n + 1, sizeof(*v));
	a = xcalloc(n + 1, sizeof(*a));
	h = xcalloc(n + 1, sizeof(*h));
	for (i = 0; i < n; i++) {
		v[i] = xstrdup(PQgetvalue(res, (int)i, 0));
		a[i] = xstrdup(PQgetvalue(res, (int)i, 1));
		h[i] = xstrdup(PQgetvalue(res, (int)i, 2));
	}
	PQclear(res);
	*out = v;
	*at = a;
	*sha = h;
	*outn = n;
	return 0;
}

/* Index of version in the sorted applied list, or -1. */
static long
applied_find(char **applied, size_t n, const char *version)
{
	char	**hit;

	hit = bsearch(&version, applied, n, sizeof(*applied), cmp_str);
	return hit != NULL ? (long)(hit - applied) : -1;
}

/* The 1-based line of a character offset (PostgreSQL counts characters). */
static size_t
sql_line(const char *sql, long pos)
{
	size_t	 line = 1;
	long	 chars = 0;

	for (; *sql != '\0' && chars < pos - 1; sql++) {
		if (((unsigned char)*sql & 0xc0) == 0x80)
			continue;
		if (*sql == '\n')
			line++;
		chars++;
	}
	return line;
}

/*
 * dir/version.sql, read whole; with sha, also its SHA-256 in hex.
 * Returns a new string, or NULL (reported).
 */
static char *
migrate_read_new(const char *dir, const char *version, char sha[65])
{
	char	*path, *sql = NULL;
	size_t	 len;

	path = xasprintf("%s/%s.sql", dir, version);
	if (cli_read_file(path, CLI_MAX_READ, &sql, &len) == -1)
		goto out;
	/* PQexec would stop at a NUL and apply half the file silently. */
	if (memchr(sql, '\0', len) != NULL) {
		cli_err("%s: contains a NUL byte", path);
		free(sql);
		sql = NULL;
		goto out;
	}
	if (sha != NULL)
		crypt_sha256_hex(sql, len, sha);
out:
	free(path);
	return sql;
}

/*
 * Runs one file's statements inside the caller's transaction.  Trusted
 * SQL shipped with the product, many statements: PQexec.  A file of only
 * comments is empty, and fine.  Reports the failing line; returns 0 or
 * -1.
 */
static int
migrate_exec(PGconn *conn, const char *dir, const char *version,
    const char *sql)
{
	PGresult	*res;
	const char	*pos, *msg, *detail;
	long long	 at;
	int		 rc = 0;

	res = PQexec(conn, sql);
	if (res == NULL || (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_EMPTY_QUERY)) {
		msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
		    NULL;
		detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) :
		    NULL;
		pos = res ? PQresultErrorField(res,
		    PG_DIAG_STATEMENT_POSITION) : NULL;
		if (pos != NULL && parse_int(pos, 1, LONG_MAX, &at) == 0)
			cli_err("%s/%s.sql:%zu: %s%s%s%s", dir, version,
			    sql_line(sql, (long)at), msg ? msg :
			    PQerrorMessage(conn), detail ? " (" : "",
			    detail ? detail : "", detail ? ")" : "");
		else
			cli_err("%s/%s.sql: %s%s%s%s", dir, version, msg ? msg :
			    PQerrorMessage(conn), detail ? " (" : "",
			    detail ? detail : "", detail ? ")" : "");
		rc = -1;
	}
	PQclear(res);
	return rc;
}

/* Runs sql with parameters p0 and p1 (NULL: one); returns the rows it
 * changed, or -1 (reported as what). */
static int
migrate_record(PGconn *conn, const char *sql, const char *p0,
    const char *p1, const char *what)
{
	const char	*params[2];
	PGresult	*res;
	long long	 n;

	params[0] = p0;
	params[1] = p1;
	res = PQexecParams(conn, sql, p1 != NULL ? 2 : 1, NULL, params, NULL,
	    NULL, 0);
	if ((res = pg_check(conn, res, PGRES_COMMAND_OK, what)) == NULL)
		return -1;
	if (parse_int(PQcmdTuples(res), 0, INT_MAX, &n) == -1)
		n = 0;
	PQclear(res);
	return (int)n;
}

static const struct option dir_opts[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ NULL, 0, NULL, 0 }
};

/* The schema changes and function files of dir: 0, or -1 (reported). */
struct migrate_set {
	char		*dir, *fdir;
	char		**files, **funcs;
	size_t		 nfiles, nfuncs;
};

static int
migrate_set_load(struct migrate_set *m, const char *opt_dir)
{
	memset(m, 0, sizeof(*m));
	if ((m->dir = migrate_dir_new(opt_dir)) == NULL)
		return -1;
	m->fdir = xasprintf("%s/functions", m->dir);
	if (migrate_files(m->dir, 1, &m->files, &m->nfiles) == -1 ||
	    migrate_files(m->fdir, 0, &m->funcs, &m->nfuncs) == -1)
		return -1;
	return 0;
}

static void
migrate_set_clear(struct migrate_set *m)
{
	strv_free(m->files, m->nfiles);
	strv_free(m->funcs, m->nfuncs);
	free(m->fdir);
	free(m->dir);
}

/*
 * One transaction: the schema changes not yet applied, in order, each
 * recorded; then every function file, as the schema it was written for
 * now stands, its checksum recorded.  A failure leaves neither trace nor
 * record, and the database as it was.  Prints what changed after the
 * commit.  Returns 0 or -1.
 */
static int
migrate_run(PGconn *conn, struct migrate_set *m)
{
	char		**applied = NULL, **at = NULL, **sha = NULL;
	char		*sql = NULL, *done = NULL, hex[65];
	size_t		 napplied = 0, i, nnew = 0;
	int		 n, begun = 0, rc = -1;

	if (migrate_applied(conn, 0, &applied, &at, &sha, &napplied) == -1)
		goto out;
	done = xcalloc(m->nfiles + m->nfuncs + 1, 1);
	if (pg_command(conn, "BEGIN", "db migrate") == -1)
		goto out;
	begun = 1;
	for (i = 0; i < m->nfiles; i++) {
		if (applied_find(applied, napplied, m->files[i]) != -1)
			continue;
		if ((sql = migrate_read_new(m->dir, m->files[i], NULL)) ==
		    NULL || migrate_exec(conn, m->dir, m->files[i], sql) == -1 ||
		    migrate_record(conn, "INSERT INTO hookpost.schema_migrations"
		    " (version) VALUES ($1)", m->files[i], NULL,
		    m->files[i]) == -1)
			goto out;
		free(sql);
		sql = NULL;
		done[i] = 1;
	}
	for (i = 0; i < m->nfuncs; i++) {
		if ((sql = migrate_read_new(m->fdir, m->funcs[i], hex)) ==
		    NULL || migrate_exec(conn, m->fdir, m->funcs[i], sql) == -1)
			goto out;
		/* A new or changed body: recorded, and reported. */
		if ((n = migrate_record(conn, "INSERT INTO "
		    "hookpost.schema_functions AS f (name, sha256) VALUES "
		    "($1, $2) ON CONFLICT (name) DO UPDATE SET sha256 = "
		    "excluded.sha256, applied_at = now() WHERE f.sha256 <> "
		    "excluded.sha256", m->funcs[i], hex, m->funcs[i])) == -1)
			goto out;
		free(sql);
		sql = NULL;
		done[m->nfiles + i] = n > 0;
	}
	begun = 0;	/* a failed COMMIT ends the transaction too */
	if (pg_command(conn, "COMMIT", "db migrate") == -1)
		goto out;
	for (i = 0; i < m->nfiles + m->nfuncs; i++) {
		if (!done[i])
			continue;
		if (i < m->nfiles)
			printf("applied %s\n", m->files[i]);
		else
			printf("applied functions/%s\n", m->funcs[i - m->nfiles]);
		nnew++;
	}
	if (nnew == 0)
		printf("up to date\n");
	fflush(stdout);
	rc = 0;
out:
	if (begun)
		PQclear(PQexec(conn, "ROLLBACK"));
	free(sql);
	free(done);
	strv_free(sha, napplied);
	strv_free(at, napplied);
	strv_free(applied, napplied);
	return rc;
}

/*
 * What `db migrate` and `db status` start with: their options, the
 * migration set of --dir (m, cleared by the caller with
 * migrate_set_clear) and a connection.  Returns 0, or -1 with *status
 * set as cli_getopt() sets it, or 1.
 */
static int
migrate_begin(struct cli *cli, const struct cli_cmd *cmd, int argc,
    char *argv[], struct migrate_set *m, char ***pos, PGconn **conn,
    int *status)
{
	const char	*opt_dir = NULL;
	int		 npos;

	memset(m, 0, sizeof(*m));
	if (cli_getopt(cli, cmd, argc, argv, dir_opts, cli_opt_one, &opt_dir,
	    pos, &npos, status) == -1)
		return -1;
	*status = 1;
	if (migrate_set_load(m, opt_dir) == -1 ||
	    (*conn = pg_connect()) == NULL)
		return -1;
	return 0;
}

static int
db_migrate(struct cli *cli, int argc, char *argv[])
{
	struct migrate_set	 m;
	PGconn			*conn = NULL;
	PGresult		*res;
	char			**pos = NULL;
	int			 status = 1;

	if (migrate_begin(cli, &cmd_migrate, argc, argv, &m, &pos, &conn,
	    &status) == -1)
		goto out;
	/* Concurrent runs (two hosts deploying) take turns here. */
	res = PQexec(conn,
	    "SELECT pg_advisory_lock(hashtext('hookpost.migrate'))");
	if ((res = pg_check(conn, res, PGRES_TUPLES_OK, "migration lock")) ==
	    NULL)
		goto out;
	PQclear(res);
	if (pg_command(conn, "CREATE SCHEMA IF NOT EXISTS hookpost",
	    "schema hookpost") == -1 ||
	    pg_command(conn, "CREATE TABLE IF NOT EXISTS "
	    "hookpost.schema_migrations (version text PRIMARY KEY, "
	    "applied_at timestamptz NOT NULL DEFAULT now())",
	    "hookpost.schema_migrations") == -1 ||
	    pg_command(conn, "CREATE TABLE IF NOT EXISTS "
	    "hookpost.schema_functions (name text PRIMARY KEY, "
	    "sha256 text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now())",
	    "hookpost.schema_functions") == -1)
		goto out;
	if (migrate_run(conn, &m) == -1)
		goto out;
	status = 0;
out:
	/* Ending the session releases the advisory lock too. */
	PQfinish(conn);
	migrate_set_clear(&m);
	free(pos);
	return status;
}

static int
db_status(struct cli *cli, int argc, char *argv[])
{
	static const char *const heads[] = { "STATE", "VERSION", "APPLIED" };
	struct migrate_set	 m;
	struct cli_table	*t = NULL;
	PGconn			*conn = NULL;
	PGresult		*res;
	const char		*row[3];
	char			**pos = NULL, *sql, hex[65], *name = NULL;
	char			**applied = NULL, **at = NULL, **sha = NULL;
	char			**fapplied = NULL, **fat = NULL, **fsha = NULL;
	char			*seen = NULL;
	size_t			 napplied = 0, nfapplied = 0, i;
	size_t			 npending = 0, nchanged = 0;
	long			 k;
	int			 exists = 0, fexists = 0, status = 1;

	if (migrate_begin(cli, &cmd_status, argc, argv, &m, &pos, &conn,
	    &status) == -1)
		goto out;
	/* Read-only: a database never migrated has no tables yet. */
	res = PQexec(conn, "SELECT to_regclass('hookpost.schema_migrations') "
	    "IS NOT NULL, to_regclass('hookpost.schema_functions') IS NOT NULL");
	if ((res = pg_check(conn, res, PGRES_TUPLES_OK, "db status")) == NULL)
		goto out;
	exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	fexists = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	if (exists && migrate_applied(conn, 0, &applied, &at, &sha,
	    &napplied) == -1)
		goto out;
	if (fexists && migrate_applied(conn, 1, &fapplied, &fat, &fsha,
	    &nfapplied) == -1)
		goto out;
	seen = xcalloc(napplied + 1, 1);
	t = cli_table_new(3, heads);
	for (i = 0; i < m.nfiles; i++) {
		k = applied_find(applied, napplied, m.files[i]);
		row[0] = k != -1 ? "applied" : "pending";
		row[1] = m.files[i];
		row[2] = k != -1 ? at[k] : "-";
		if (k != -1)
			seen[k] = 1;
		else
			npending++;
		cli_table_add(t, row);
	}
	/* Recorded, but its file is gone: worth seeing. */
	for (i = 0; i < napplied; i++) {
		if (seen[i])
			continue;
		row[0] = "applied (no file)";
		row[1] = applied[i];
		row[2] = at[i];
		cli_table_add(t, row);
	}
	/* Function files: the body live is the file's, or it changed. */
	for (i = 0; i < m.nfuncs; i++) {
		if ((sql = migrate_read_new(m.fdir, m.funcs[i], hex)) == NULL)
			goto out;
		free(sql);
		k = applied_find(fapplied, nfapplied, m.funcs[i]);
		row[0] = k == -1 ? "pending" : strcmp(fsha[k], hex) == 0 ?
		    "current" : "changed";
		free(name);
		name = xasprintf("functions/%s", m.funcs[i]);
		row[1] = name;
		row[2] = k != -1 ? fat[k] : "-";
		if (k == -1 || strcmp(fsha[k], hex) != 0)
			nchanged++;
		cli_table_add(t, row);
	}
	cli_table_print(stdout, t);
	printf("%zu applied, %zu pending\n", napplied, npending);
	if (nchanged > 0)
		printf("%zu function files to apply\n", nchanged);
	status = 0;
out:
	cli_table_free(t);
	PQfinish(conn);
	free(name);
	free(seen);
	strv_free(fsha, nfapplied);
	strv_free(fat, nfapplied);
	strv_free(fapplied, nfapplied);
	strv_free(sha, napplied);
	strv_free(at, napplied);
	strv_free(applied, napplied);
	migrate_set_clear(&m);
	free(pos);
	return status;
}

int
cmd_db(struct cli *cli, int argc, char *argv[])
{
	static const struct cli_sub	 subs[] = {
		{ "migrate", db_migrate, "apply pending SQL migrations" },
		{ "status",  db_status,	 "list applied and pending "
		    "migrations" },
		{ NULL, NULL, NULL }
	};

	return cli_dispatch(cli, "db", subs, argc, argv);
}

struct token_args {
	const struct cli_cmd	*cmd;
	const char		*role, *owner, *name, *limit, *permission;
};

/* A label or owner: printable text, bounded (STYLE 10). */
static int
text_valid(const char *s, size_t max)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return n > 0 && n <= max;
}

/* Sets *out to the value of the text option flag: 0, or -1 (usage). */
static int
text_arg(const struct cli_cmd *cmd, const char *flag, const char *arg,
    size_t max, const char **out)
{
	if (!text_valid(arg, max)) {
		cli_usage_reason(cmd, "%s: 1 to %zu printable bytes", flag,
		    max);
		return -1;
	}
	*out = arg;
	return 0;
}

static int
token_opt(void *ctx, int ch, char *arg)
{
	struct token_args	*a = ctx;
	long long		 n;

	switch (ch) {
	case OPT_ROLE:
		if (strcmp(arg, "admin") != 0 && strcmp(arg, "user") != 0 &&
		    strcmp(arg, "service") != 0) {
			cli_usage_reason(a->cmd, "role must be admin, user or "
			    "service, not '%s'", arg);
			return -1;
		}
		a->role = arg;
		return 0;
	case OPT_OWNER:
		return text_arg(a->cmd, "--owner", arg, 256, &a->owner);
	case OPT_NAME:
		return text_arg(a->cmd, "--name", arg, 128, &a->name);
	case OPT_LIMIT:
		if (cli_parse_limit(a->cmd, arg, 10000, &n) == -1)
			return -1;
		a->limit = arg;
		return 0;
	case OPT_PERMISSION:
		/* sql/018: the one permission beyond the roles */
		if (strcmp(arg, "manage_settings") != 0) {
			cli_usage_reason(a->cmd, "permission must be "
			    "manage_settings, not '%s'", arg);
			return -1;
		}
		a->permission = arg;
		return 0;
	}
	return 1;
}

static int
token_create(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "role",  required_argument, NULL, OPT_ROLE },
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ "name",  required_argument, NULL, OPT_NAME },
		{ "permission", required_argument, NULL, OPT_PERMISSION },
		{ NULL, 0, NULL, 0 }
	};
	struct token_args	 a = { &cmd_tok_create, NULL, NULL, NULL,
		NULL, NULL };
	PGconn			*conn = NULL;
	PGresult		*res = NULL;
	const char		*params[5];
	char			**pos = NULL, *token = NULL, hash[65];
	int			 npos, status = 1;

	if (cli_getopt(cli, &cmd_tok_create, argc, argv, opts, token_opt, &a,
	    &pos, &npos, &status) == -1)
		goto out;
	if (a.role == NULL) {
		status = cli_usage_error(&cmd_tok_create, "--role is required");
		goto out;
	}
	/* ARCHITECTURE.md §3: a user token is scoped to its owner. */
	if (strcmp(a.role, "user") == 0 && a.owner == NULL) {
		status = cli_usage_error(&cmd_tok_create, "role user needs "
		    "--owner");
		goto out;
	}
	/* "admin" owns admin-made subscriptions that see every owner. */
	if (a.owner != NULL && strcmp(a.role, "admin") != 0 &&
	    strcmp(a.owner, "admin") == 0) {
		status = cli_usage_error(&cmd_tok_create, "owner 'admin' is "
		    "reserved");
		goto out;
	}
	status = 1;
	if ((conn = pg_connect()) == NULL)
		goto out;
	if ((token = crypt_token_new("hp_", TOKEN_RANDOM_LEN)) == NULL) {
		cli_err("no randomness for a token");
		goto out;
	}
	/* Only the SHA-256 is stored; the token exists only on stdout. */
	crypt_sha256_hex(token, strlen(token), hash);
	params[0] = a.name != NULL ? a.name : "";
	params[1] = hash;
	params[2] = a.role;
	params[3] = a.owner;
	params[4] = a.permission;
	res = PQexecParams(conn, "INSERT INTO hookpost.api_tokens (name, "
	    "token_hash, role, owner_id, permissions) VALUES ($1, $2, $3, $4,"
	    " array_remove(ARRAY[$5::text], NULL)) RETURNING id",
	    5, NULL, params, NULL, NULL, 0);
	if ((res = pg_check(conn, res, PGRES_TUPLES_OK, "token create")) ==
	    NULL)
		goto out;
	printf("%s\n", token);
	/* Captured by $(...): stdout is the token alone.  At a terminal, say
	 * which row it is. */
	if (isatty(STDOUT_FILENO))
		fprintf(stderr, "token %s (role %s); it is not shown again\n",
		    PQgetvalue(res, 0, 0), a.role);
	status = 0;
out:
	if (token != NULL)
		explicit_bzero(token, strlen(token));
	free(token);
	PQclear(res);
	PQfinish(conn);
	free(pos);
	return status;
}

static int
token_list(struct cli *cli, int argc, char *argv[])
{
	static const struct option	 opts[] = {
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const heads[] = { "ID", "NAME", "ROLE", "OWNER",
		"CREATED", "LAST_USED", "REVOKED", "PERMISSIONS" };
	static const char *const keys[] = { "id", "name", "role", "owner_id",
		"created_at", "last_used_at", "revoked_at", "permissions" };
	struct token_args	 a = { &cmd_tok_list, NULL, NULL, NULL,
		"1000", NULL };
	struct cli_table	*t = NULL;
	PGconn			*conn = NULL;
	PGresult		*res = NULL;
	json_t			*arr = NULL, *o;
	const char		*params[1], *row[8];
	char			**pos = NULL, *text;
	int			 npos, r, c, status = 1;

	if (cli_getopt(cli, &cmd_tok_list, argc, argv, opts, token_opt, &a,
	    &pos, &npos, &status) == -1)
		goto out;
	status = 1;
	if ((conn = pg_connect()) == NULL)
		goto out;
	params[0] = a.limit;
#define TS(c) "to_char(" c " AT TIME ZONE 'UTC', " \
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	res = PQexecParams(conn, "SELECT id, name, role, owner_id, "
	    TS("created_at") ", " TS("last_used_at") ", " TS("revoked_at")
	    ", nullif(array_to_string(permissions, ','), '')"
	    " FROM hookpost.api_tokens ORDER BY created_at, id LIMIT $1",
	    1, NULL, params, NULL, NULL, 0);
#undef TS
	if ((res = pg_check(conn, res, PGRES_TUPLES_OK, "token list")) == NULL)
		goto out;
	if (cli->json) {
		arr = json_array();
		for (r = 0; r < PQntuples(res); r++) {
			o = json_object();
			for (c = 0; c < 7; c++)
				json_object_set_new(o, keys[c],
				    PQgetisnull(res, r, c) ? json_null() :
				    json_string(PQgetvalue(res, r, c)));
			/* sql/018 has one permission: nothing to split. */
			json_object_set_new(o, keys[7], PQgetisnull(res, r, 7) ?
			    json_array() : json_pack("[s]", PQgetvalue(res, r,
			    7)));
			json_array_append_new(arr, o);
		}
		o = json_pack("{s:o}", "data", arr);
		arr = o;
		if ((text = json_dumps(arr, JSON_COMPACT)) != NULL)
			printf("%s\n", text);
		free(text);
		status = 0;
		goto out;
	}
	t = cli_table_new(8, heads);
	cli_table_max(t, 1, 40);
	for (r = 0; r < PQntuples(res); r++) {
		for (c = 0; c < 8; c++)
			row[c] = PQgetisnull(res, r, c) ? "-" :
			    PQgetvalue(res, r, c);
		if (*row[1] == '\0')
			row[1] = "-";
		cli_table_add(t, row);
	}
	cli_table_print(stdout, t);
	status = 0;
out:
	json_decref(arr);
	cli_table_free(t);
	PQclear(res);
	PQfinish(conn);
	free(pos);
	return status;
}

static int
token_revoke(struct cli *cli, int argc, char *argv[])
{
	PGconn		*conn = NULL;
	PGresult	*res = NULL;
	const char	*params[1];
	char		**pos = NULL;
	int		 npos, status = 1;

	if (cli_getopt(cli, &cmd_tok_revoke, argc, argv, NULL, NULL, NULL,
	    &pos, &npos, &status) == -1)
		goto out;
	if (!uuid_valid(pos[0])) {
		status = cli_usage_error(&cmd_tok_revoke, "'%s' is not a token "
		    "id (see hookpost token list)", pos[0]);
		goto out;
	}
	status = 1;
	if ((conn = pg_connect()) == NULL)
		goto out;
	params[0] = pos[0];
	/* Revoking twice keeps the first time. */
	res = PQexecParams(conn, "UPDATE hookpost.api_tokens SET revoked_at = "
	    "coalesce(revoked_at, now()) WHERE id = $1 RETURNING id", 1, NULL,
	    params, NULL, NULL, 0);
	if ((res = pg_check(conn, res, PGRES_TUPLES_OK, "token revoke")) ==
	    NULL)
		goto out;
	if (PQntuples(res) == 0) {
		cli_err("token %s not found", pos[0]);
		goto out;
	}
	printf("revoked %s\n", PQgetvalue(res, 0, 0));
	status = 0;
out:
	PQclear(res);
	PQfinish(conn);
	free(pos);
	return status;
}

int
cmd_token(struct cli *cli, int argc, char *argv[])
{
	static const struct cli_sub	 subs[] = {
		{ "create", token_create, "mint an API token (printed once)" },
		{ "list",   token_list,	  "list API tokens" },
		{ "revoke", token_revoke, "revoke an API token" },
		{ NULL, NULL, NULL }
	};

	return cli_dispatch(cli, "token", subs, argc, argv);
}
