/*
 * Unit tests of lib/db.c's connection rules (issue 8: a database restart
 * costs no failed request), against a small fake PostgreSQL server in a
 * child process speaking the v3 protocol on a Unix socket: enough of it
 * for libpq's PQprepare, PQexecPrepared and PQexecParams.  The server
 * counts connections and executions, so the cases see what reached it:
 *
 *   - a connection the server closed while idle is replaced before the
 *     statement is sent: no failure, its prepared statements prepared
 *     again on the new one (the fake server, like PostgreSQL, refuses a
 *     statement name its session does not know);
 *   - a statement whose connection breaks after it was sent is not sent
 *     again (the fake server counts one execution);
 *   - a PREPARE that finds the connection broken goes again on a new one;
 *   - a connection lost inside a transaction fails the next statement
 *     instead of running it outside the transaction.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "check.h"
#include "db.h"
#include "log.h"

#define FAKE_PORT	5999
#define FAKE_MAX_CONN	8
#define FAKE_MAX_STMT	32

/* The fake server's state: one process, poll(2) over everything. */
struct fake_conn {
	int	 fd;
	char	 tx;		/* 'I' idle, 'T' in a transaction block */
	int	 skip;		/* after an error: discard until Sync */
	char	*name[FAKE_MAX_STMT];
	char	*text[FAKE_MAX_STMT];
	char	*portal;	/* the text the last Bind chose */
};

struct fake {
	int			 lfd, ctl, ack;
	int			 conns, execs, die_execs, prepare_died;
	struct fake_conn	 c[FAKE_MAX_CONN];
};

static int
read_full(int fd, void *buf, size_t len)
{
	char	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		if ((n = read(fd, p, len)) <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
put_msg(int fd, char type, const void *body, size_t len)
{
	char		 hdr[5];
	uint32_t	 n = htonl((uint32_t)len + 4);

	hdr[0] = type;
	memcpy(hdr + 1, &n, 4);
	if (write(fd, hdr, 5) != 5 || (len > 0 &&
	    write(fd, body, len) != (ssize_t)len))
		return;	/* the client went away; its close is seen later */
}

static void
put_error(int fd, const char *severity, const char *code, const char *msg)
{
	char	 b[512];
	int	 n;

	n = snprintf(b, sizeof(b), "S%s%cV%s%cC%s%cM%s%c", severity, 0,
	    severity, 0, code, 0, msg, 0);
	b[n++] = '\0';
	put_msg(fd, 'E', b, (size_t)n);
}

static void
fake_drop(struct fake_conn *c)
{
	size_t	 i;

	close(c->fd);
	c->fd = -1;
	for (i = 0; i < FAKE_MAX_STMT; i++) {
		free(c->name[i]);
		free(c->text[i]);
		c->name[i] = c->text[i] = NULL;
	}
	c->portal = NULL;
}

static void
fake_accept(struct fake *f)
{
	struct fake_conn	*c = NULL;
	char			 buf[1024], key[8];
	uint32_t		 len;
	size_t			 i;
	int			 fd;

	if ((fd = accept(f->lfd, NULL, NULL)) == -1)
		return;
	for (i = 0; i < FAKE_MAX_CONN; i++)
		if (f->c[i].fd == -1)
			c = &f->c[i];
	/* The startup packet: length, protocol 3.0, parameters. */
	if (c == NULL || read_full(fd, &len, 4) == -1 ||
	    (len = ntohl(len)) < 8 || len > sizeof(buf) ||
	    read_full(fd, buf, len - 4) == -1) {
		close(fd);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->tx = 'I';
	f->conns++;
	memset(key, 0, sizeof(key));
	put_msg(fd, 'R', key, 4);			/* AuthenticationOk */
	put_msg(fd, 'S', "server_version\0" "15.0", 20);
	put_msg(fd, 'S', "client_encoding\0" "UTF8", 21);
	put_msg(fd, 'S', "standard_conforming_strings\0" "on", 31);
	put_msg(fd, 'K', key, 8);			/* BackendKeyData */
	put_msg(fd, 'Z', "I", 1);
}

static char *
stmt_text(struct fake_conn *c, const char *name)
{
	size_t	 i;

	for (i = 0; i < FAKE_MAX_STMT; i++)
		if (c->name[i] != NULL && strcmp(c->name[i], name) == 0)
			return c->text[i];
	return NULL;
}

/* One message from c: 0, or -1 when the connection is to be dropped. */
static int
fake_message(struct fake *f, struct fake_conn *c)
{
	char		 type, *body = NULL, *text, tag[64];
	uint32_t	 len;
	size_t		 i;
	int		 rc = 0;

	if (read_full(c->fd, &type, 1) == -1 || read_full(c->fd, &len, 4) == -1 ||
	    (len = ntohl(len)) < 4 || len > 1 << 20)
		return -1;
	body = calloc(1, len - 4 + 1);
	if (body == NULL || read_full(c->fd, body, len - 4) == -1) {
		free(body);
		return -1;
	}
	if (type == 'X')
		rc = -1;
	else if (type == 'S') {
		c->skip = 0;
		put_msg(c->fd, 'Z', &c->tx, 1);
	} else if (c->skip)
		;
	else if (type == 'P') {		/* Parse: name, query */
		text = body + strlen(body) + 1;
		if (strcmp(text, "SELECT prepare_dies") == 0 &&
		    !f->prepare_died) {
			f->prepare_died = 1;
			rc = -1;
		} else {
			for (i = 0; i < FAKE_MAX_STMT; i++)
				if (c->name[i] != NULL && *body != '\0' &&
				    strcmp(c->name[i], body) == 0)
					break;
			if (i < FAKE_MAX_STMT) {
				put_error(c->fd, "ERROR", "42P05",
				    "prepared statement already exists");
				c->skip = 1;
			} else {
				for (i = 0; i < FAKE_MAX_STMT; i++)
					if (c->name[i] == NULL || (*body == '\0'
					    && *c->name[i] == '\0'))
						break;
				if (i < FAKE_MAX_STMT) {
					free(c->name[i]);
					free(c->text[i]);
					c->name[i] = strdup(body);
					c->text[i] = strdup(text);
				}
				put_msg(c->fd, '1', NULL, 0);
			}
		}
	} else if (type == 'B') {	/* Bind: portal, statement, ... */
		if ((c->portal = stmt_text(c, body + strlen(body) + 1)) ==
		    NULL) {
			put_error(c->fd, "ERROR", "26000",
			    "prepared statement does not exist");
			c->skip = 1;
		} else
			put_msg(c->fd, '2', NULL, 0);
	} else if (type == 'D')
		put_msg(c->fd, 'n', NULL, 0);		/* NoData */
	else if (type == 'E' && c->portal != NULL) {
		f->execs++;
		snprintf(tag, sizeof(tag), "SELECT 0");
		if (strcmp(c->portal, "SELECT die") == 0) {
			/* Received, maybe run: the answer never leaves. */
			f->die_execs++;
			rc = -1;
		} else if (strcmp(c->portal, "BEGIN") == 0) {
			c->tx = 'T';
			snprintf(tag, sizeof(tag), "BEGIN");
		} else if (strcmp(c->portal, "COMMIT") == 0 ||
		    strcmp(c->portal, "ROLLBACK") == 0) {
			c->tx = 'I';
			snprintf(tag, sizeof(tag), "%s", c->portal);
		} else if (strcmp(c->portal, "STATS") == 0)
			snprintf(tag, sizeof(tag), "STATS %d %d %d", f->conns,
			    f->execs, f->die_execs);
		if (rc == 0)
			put_msg(c->fd, 'C', tag, strlen(tag) + 1);
	}
	free(body);
	return rc;
}

/* The server until its control pipe closes.  'c': close every client
 * as a fast shutdown does (FATAL 57P01, then end of file), then ack. */
static void
fake_serve(struct fake *f)
{
	struct pollfd	 pfd[FAKE_MAX_CONN + 2];
	char		 cmd;
	size_t		 i;

	for (;;) {
		pfd[0].fd = f->lfd;
		pfd[1].fd = f->ctl;
		for (i = 0; i < FAKE_MAX_CONN; i++)
			pfd[2 + i].fd = f->c[i].fd;
		for (i = 0; i < FAKE_MAX_CONN + 2; i++) {
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, FAKE_MAX_CONN + 2, -1) == -1)
			continue;
		if (pfd[1].revents) {
			if (read(f->ctl, &cmd, 1) != 1)
				return;
			for (i = 0; i < FAKE_MAX_CONN; i++) {
				if (f->c[i].fd == -1)
					continue;
				put_error(f->c[i].fd, "FATAL", "57P01",
				    "terminating connection due to "
				    "administrator command");
				fake_drop(&f->c[i]);
			}
			if (write(f->ack, "k", 1) != 1)
				return;
			continue;
		}
		for (i = 0; i < FAKE_MAX_CONN; i++)
			if (f->c[i].fd != -1 && pfd[2 + i].revents &&
			    fake_message(f, &f->c[i]) == -1)
				fake_drop(&f->c[i]);
		if (pfd[0].revents)
			fake_accept(f);
	}
}

static int	 ctl_w = -1, ack_r = -1;

/* Has the fake server close every connection, as a restart does. */
static void
server_restart(void)
{
	char	 k;

	if (write(ctl_w, "c", 1) != 1 || read(ack_r, &k, 1) != 1)
		check(0, "the fake server closes its connections");
}

/* The server's counters: connections, executions, of them "SELECT die". */
static int
server_stats(int *conns, int *execs, int *die_execs)
{
	PGresult	*res;
	const char	*tag;
	char		*end;
	int		*out[3], i, rc = 0;

	if ((res = db_exec_once("STATS", 0, NULL)) == NULL)
		return -1;
	out[0] = conns;
	out[1] = execs;
	out[2] = die_execs;
	tag = PQcmdStatus(res);
	if (strncmp(tag, "STATS ", 6) != 0)
		rc = -1;
	for (i = 0, tag += 6; rc == 0 && i < 3; i++, tag = end)
		if ((*out[i] = (int)strtol(tag, &end, 10)) < 0 || end == tag)
			rc = -1;
	PQclear(res);
	return rc;
}

static int
ok_exec(const char *name, const char *sql)
{
	PGresult	*res;

	if ((res = db_exec(name, sql, 0, NULL)) == NULL)
		return 0;
	PQclear(res);
	return 1;
}

int
main(void)
{
	struct sockaddr_un	 sun;
	struct fake		 f;
	char			 dir[] = "/tmp/hookpost-test-db.XXXXXX";
	char			 url[256];
	int			 ctl[2], ack[2], conns, execs, die, c0, e0, d0, got;
	unsigned long		 gen;
	size_t			 i;
	pid_t			 pid;

	signal(SIGPIPE, SIG_IGN);
	log_set_level("error");	/* the cases make the warnings on purpose */
	if (mkdtemp(dir) == NULL || pipe(ctl) == -1 || pipe(ack) == -1) {
		check(0, "setup");
		return check_done();
	}
	memset(&f, 0, sizeof(f));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/.s.PGSQL.%d", dir,
	    FAKE_PORT);
	if ((f.lfd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(f.lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(f.lfd, 8) == -1) {
		check(0, "fake server socket");
		return check_done();
	}
	for (i = 0; i < FAKE_MAX_CONN; i++)
		f.c[i].fd = -1;
	if ((pid = fork()) == 0) {
		close(ctl[1]);
		close(ack[0]);
		f.ctl = ctl[0];
		f.ack = ack[1];
		fake_serve(&f);
		_exit(0);
	}
	close(f.lfd);
	close(ctl[0]);
	close(ack[1]);
	ctl_w = ctl[1];
	ack_r = ack[0];
	snprintf(url, sizeof(url), "host=%s port=%d dbname=t user=t "
	    "sslmode=disable gssencmode=disable", dir, FAKE_PORT);
	cfg.database_url = url;

	check(ok_exec("one", "SELECT 1"), "a prepared statement runs");
	gen = db_generation();

	/* A restart while idle: the next statements just work. */
	server_restart();
	check(ok_exec("one", "SELECT 1"), "after a restart, the next prepared "
	    "statement succeeds (prepared again on the new connection)");
	check(db_generation() == gen + 1, "the new connection is a new "
	    "generation (LISTENs, prepared statements gone)");
	server_restart();
	got = server_stats(&conns, &execs, &die);
	check(got == 0 && conns == 3, "after a restart, the next unprepared "
	    "statement succeeds (connection %d)", conns);

	/* Sent, then the connection broke: not sent again. */
	server_stats(&c0, &e0, &d0);
	check(!ok_exec("die", "SELECT die"), "a statement whose connection "
	    "breaks after it was sent fails");
	check(strcmp(db_last_sqlstate(), "08006") == 0, "... with SQLSTATE "
	    "08006 (got '%s')", db_last_sqlstate());
	got = server_stats(&conns, &execs, &die);
	check(got == 0 && die == d0 + 1, "... and reached the server once: "
	    "never retried (%d times)", die - d0);
	check(conns == c0 + 1, "the statement after it runs on a new "
	    "connection");

	/* PREPARE writes nothing: it may go again. */
	server_stats(&c0, &e0, &d0);
	check(ok_exec("pd", "SELECT prepare_dies"), "a PREPARE that finds the "
	    "connection broken goes again on a new one");
	got = server_stats(&conns, &execs, &die);
	check(got == 0 && conns == c0 + 1 && execs == e0 + 2, "... and the "
	    "statement runs once (%d new connections, %d executions)",
	    conns - c0, execs - e0 - 1);

	/* Inside a transaction block, a lost connection is an error. */
	check(db_tx_begin() == 0, "BEGIN");
	check(ok_exec("one", "SELECT 1"), "a statement in the transaction");
	server_restart();
	check(!ok_exec("one", "SELECT 1"), "after a restart inside a "
	    "transaction, the next statement fails (not run outside it)");
	check(strcmp(db_last_sqlstate(), "08006") == 0, "... with SQLSTATE "
	    "08006 (got '%s')", db_last_sqlstate());
	db_tx_abort();
	check(ok_exec("one", "SELECT 1"), "after the rollback, statements "
	    "run again");
	check(db_tx_begin() == 0 && ok_exec("one", "SELECT 1") &&
	    db_tx_commit() == 0, "a transaction on the new connection");

	/* The same when something else read the socket first and libpq
	 * already knows the connection is gone (hookpost-deliver polls it
	 * for NOTIFYs): no new session in the middle of a transaction. */
	check(db_tx_begin() == 0, "BEGIN again");
	server_restart();
	while (PQconsumeInput(db_current()) == 1)
		;
	check(!ok_exec("one", "SELECT 1"), "a connection known broken inside "
	    "a transaction is not replaced by the next statement");
	db_tx_abort();
	check(ok_exec("one", "SELECT 1"), "... but after the rollback");

	/* A transaction left open by an earlier request: db_tx_begin()
	 * abandons it, so its lost connection is simply replaced. */
	check(db_tx_begin() == 0, "a transaction left open");
	server_restart();
	check(db_tx_begin() == 0 && db_tx_commit() == 0, "db_tx_begin() "
	    "after a restart replaces a connection lost with an abandoned "
	    "transaction");

	db_close();
	close(ctl_w);
	close(ack_r);
	waitpid(pid, NULL, 0);
	unlink(sun.sun_path);
	rmdir(dir);
	return check_done();
}
