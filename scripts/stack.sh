#!/bin/sh
# The local stack: a private PostgreSQL cluster, Apache (or lighttpd)
# serving the handlers, and the cron workers on their schedule.
#
#   stack.sh start|stop|stop-http|handler-env|pools
# (handler-env prints the environment every handler process gets, as
# name=value words: the pools here take it, make bench's references too;
# pools prints apache.conf's pools, "GROUP PROCESSES THREADS" a line.)
# Environment:
#   HOOKPOST_VAR     state dir (default <repo>/var)
#   HOOKPOST_PORT    HTTP port (default 8080)
#   HOOKPOST_PGPORT  PostgreSQL port, Unix socket only (default 54320)
#   HOOKPOST_SERVER  apache (default): worker MPM, mod_proxy_fcgi to the
#                    handler pools this script starts first (the sizes in
#                    httpd-conf/apache.conf), so they are warm;
#                    lighttpd: mod_fastcgi, which spawns its own pools;
#                    lighttpd 1.4.69 refuses a POST without a body and
#                    without Content-Length (411) before any handler runs,
#                    so such curl lines need -d '' there (README);
#                    apache-cgi: plain CGI from an .htaccess (shared
#                    hosting); none: no web server
#   HOOKPOST_HTTPD_CONF  the server's config file (default
#                    httpd-conf/<server>.conf; make bench passes its
#                    *-bench.conf, which include the shipped ones)
#   HOOKPOST_CRON    1 (default) runs the workers on the crontab schedule
#   HOOKPOST_PG_FAST 1 turns fsync off (tests only)
#   HOOKPOST_TEST_FAULTS 1 arms the handlers' fault injection (tests
#                    only; lib/srv.c)
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
VAR=${HOOKPOST_VAR:-$TOP/var}
PORT=${HOOKPOST_PORT:-8080}
PGPORT=${HOOKPOST_PGPORT:-54320}
SERVER=${HOOKPOST_SERVER:-apache}
HTTPD_CONF=${HOOKPOST_HTTPD_CONF:-$TOP/httpd-conf/$SERVER.conf}
CRON=${HOOKPOST_CRON:-1}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)

# ARCHITECTURE.md §5: PostgreSQL refuses to run as root, and Apache refuses to
# serve as root; as root the stack runs as the system user "hookpost".
if [ "$(id -u)" = 0 ]; then
	RUNUSER=hookpost
	as_user() { runuser -u "$RUNUSER" -- "$@"; }
else
	RUNUSER=$(id -un)
	as_user() { "$@"; }
fi

log() { printf '%s\n' "$*" >&2; }
die() { log "stack: $*"; exit 1; }

# The handlers' environment beyond HOOKPOST_CONFIG, the same as the
# shipped configs give them (lighttpd.conf's bin-environment, the pool
# command in apache.conf, htaccess-cgi): GnuTLS, which libpq loads
# through libldap, not initialized at load (issue 13: 0.8 MiB less in
# each process; libldap initializes it when it uses it).
HANDLER_ENV=GNUTLS_NO_IMPLICIT_INIT=1

prepare_user() {
	[ "$(id -u)" = 0 ] || return 0
	id "$RUNUSER" >/dev/null 2>&1 ||
		useradd --system --no-create-home --home-dir /nonexistent \
		    --shell /usr/sbin/nologin "$RUNUSER"
	# The run user must reach bin/ and sql/ through every parent dir.
	d=$TOP
	while [ "$d" != / ]; do
		as_user test -x "$d" 2>/dev/null || {
			log "stack: granting search permission on $d to $RUNUSER"
			chmod o+x "$d"
		}
		d=$(dirname "$d")
	done
}

dburl() {
	echo "host=$VAR/run port=$PGPORT dbname=hookpost user=$RUNUSER"
}

write_config() {
	[ -s "$VAR/secret.key" ] || {
		umask 077
		openssl rand -hex 32 >"$VAR/secret.key"
		umask 022
	}
	cat >"$VAR/hookpost.conf" <<CONF
# Written by scripts/stack.sh for the local stack.  Keys as ARCHITECTURE.md §3.
HOOKPOST_DATABASE_URL=$(dburl)
HOOKPOST_SECRET_KEY_FILE=$VAR/secret.key
HOOKPOST_PUBLIC_URL=http://127.0.0.1:$PORT
HOOKPOST_SQL_DIR=$TOP/sql
HOOKPOST_ALLOW_PRIVATE_TARGETS=${HOOKPOST_ALLOW_PRIVATE_TARGETS:-127.0.0.0/8,::1/128}
HOOKPOST_ALLOW_HTTP_WEBHOOKS=${HOOKPOST_ALLOW_HTTP_WEBHOOKS:-1}
HOOKPOST_MAX_BODY=${HOOKPOST_MAX_BODY:-1048576}
HOOKPOST_LOG_LEVEL=${HOOKPOST_LOG_LEVEL:-info}
HOOKPOST_REFUSED_FILE=$VAR/run/refused
CONF
	[ -z "${HOOKPOST_TRUSTED_PROXIES:-}" ] ||
		echo "HOOKPOST_TRUSTED_PROXIES=$HOOKPOST_TRUSTED_PROXIES" >>"$VAR/hookpost.conf"
	[ -z "${HOOKPOST_CA_BUNDLE:-}" ] ||
		echo "HOOKPOST_CA_BUNDLE=$HOOKPOST_CA_BUNDLE" >>"$VAR/hookpost.conf"
	[ -z "${HOOKPOST_JWT_SECRET:-}" ] ||
		echo "HOOKPOST_JWT_SECRET=$HOOKPOST_JWT_SECRET" >>"$VAR/hookpost.conf"
	[ -z "${HOOKPOST_TRIGGER_RATE_PER_IP:-}" ] ||
		echo "HOOKPOST_TRIGGER_RATE_PER_IP=$HOOKPOST_TRIGGER_RATE_PER_IP" >>"$VAR/hookpost.conf"
	[ -z "${HOOKPOST_TRIGGER_RATE_GLOBAL:-}" ] ||
		echo "HOOKPOST_TRIGGER_RATE_GLOBAL=$HOOKPOST_TRIGGER_RATE_GLOBAL" >>"$VAR/hookpost.conf"
	# Tests only (scripts/check.sh): lib/srv.c's fault injection.
	[ -z "${HOOKPOST_TEST_FAULTS:-}" ] ||
		echo "HOOKPOST_TEST_FAULTS=$HOOKPOST_TEST_FAULTS" >>"$VAR/hookpost.conf"
}

pg_start() {
	if [ ! -s "$VAR/pg/PG_VERSION" ]; then
		as_user "$PGBIN/initdb" -D "$VAR/pg" -A trust -U "$RUNUSER" \
		    -E UTF8 --locale=C.UTF-8 >"$VAR/log/initdb.log" 2>&1 ||
			die "initdb failed: see $VAR/log/initdb.log"
	fi
	# The settings hookpost ships (sql/postgresql.conf), in every cluster.
	grep -q "^include_if_exists '$TOP/sql/postgresql.conf'" \
	    "$VAR/pg/postgresql.conf" ||
		echo "include_if_exists '$TOP/sql/postgresql.conf'" >>"$VAR/pg/postgresql.conf"
	if ! as_user "$PGBIN/pg_ctl" -D "$VAR/pg" status >/dev/null 2>&1; then
		opts="-p $PGPORT -k $VAR/run -c listen_addresses= -c unix_socket_permissions=0700 -c max_connections=200 -c shared_buffers=128MB"
		[ "${HOOKPOST_PG_FAST:-0}" = 1 ] &&
			opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
		as_user "$PGBIN/pg_ctl" -D "$VAR/pg" -o "$opts" \
		    -l "$VAR/log/postgresql.log" -w -t 60 start >/dev/null ||
			die "PostgreSQL did not start: see $VAR/log/postgresql.log"
	fi
	as_user "$PGBIN/psql" -h "$VAR/run" -p "$PGPORT" -d postgres -qAtc \
	    "SELECT 1 FROM pg_database WHERE datname = 'hookpost'" | grep -q 1 ||
		as_user "$PGBIN/createdb" -h "$VAR/run" -p "$PGPORT" hookpost
	as_user env HOOKPOST_CONFIG="$VAR/hookpost.conf" "$TOP/bin/hookpost" \
	    db migrate >"$VAR/log/migrate.log" 2>&1 ||
		die "migrations failed: $(cat "$VAR/log/migrate.log")"
}

pg_stop() {
	[ -s "$VAR/pg/PG_VERSION" ] || return 0
	as_user "$PGBIN/pg_ctl" -D "$VAR/pg" -m fast -w stop >/dev/null 2>&1 || true
}

# The handler pools a config names in its "#   pool GROUP N [T]" lines
# (httpd-conf/apache.conf): each is `bin/GROUP.fcgi -s SOCKET -n N -t T`,
# a supervisor that keeps N processes of T threads (1 if not given) on
# its socket (lib/srv.c), started before the server so that the first
# requests find them warm.
pools() {	# config -> "GROUP N T" lines (stack.sh pools: tests read them)
	sed -n 's/^#[[:space:]]*pool[[:space:]]\{1,\}\([a-z]\{1,\}\)[[:space:]]\{1,\}\([0-9]\{1,\}\)[[:space:]]*\([0-9]*\)[[:space:]]*$/\1 \2 \3/p' "$1" |
	    awk '{ print $1, $2, ($3 == "" ? 1 : $3) }'
}
pools_start() {	# config
	if [ "$(id -u)" = 0 ]; then chuid="--chuid $RUNUSER"; else chuid=; fi
	set -- $(pools "$1")
	[ $# -gt 0 ] || die "no pools named in $1"
	while [ $# -ge 3 ]; do
		group=$1 n=$2 t=$3
		shift 3
		[ -x "$TOP/bin/$group.fcgi" ] || die "bin/$group.fcgi is not built"
		rm -f "$VAR/run/$group.sock"
		env $HANDLER_ENV HOOKPOST_CONFIG="$VAR/hookpost.conf" \
		    /sbin/start-stop-daemon \
		    --start --background --make-pidfile \
		    --pidfile "$VAR/pool-$group.pid" $chuid \
		    --output "$VAR/log/pool-$group.log" \
		    --exec "$TOP/bin/$group.fcgi" -- -s "$VAR/run/$group.sock" \
		    -n "$n" -t "$t"
		i=0
		until [ -S "$VAR/run/$group.sock" ]; do
			i=$((i + 1))
			[ $i -lt 100 ] ||
				die "pool $group did not start: see $VAR/log/pool-$group.log"
			sleep 0.05
		done
	done
}

pools_stop() {
	for f in "$VAR"/pool-*.pid; do
		[ -s "$f" ] || continue
		# SIGTERM to the supervisor ends its whole pool (lib/srv.c).
		kill "$(cat "$f")" 2>/dev/null || true
		rm -f "$f"
	done
}

httpd_start() {
	env_common="HOOKPOST_ROOT=$TOP HOOKPOST_VAR=$VAR HOOKPOST_PORT=$PORT"
	case $SERVER in
	lighttpd)
		as_user env $env_common /usr/sbin/lighttpd -f "$HTTPD_CONF" ||
			die "lighttpd did not start: see $VAR/log/lighttpd-error.log"
		;;
	apache)
		pools_start "$TOP/httpd-conf/apache.conf"
		as_user env $env_common /usr/sbin/apache2 -f "$HTTPD_CONF" -k start ||
			die "apache did not start: see $VAR/log/apache-error.log"
		;;
	apache-cgi)
		# Shared hosting: plain CGI programs and an .htaccess, nothing
		# else, in a directory of their own (htdocs, the other servers'
		# document root, stays empty: nothing there is ever served).
		mkdir -p "$VAR/shared-host"
		for f in "$TOP"/bin/*.fcgi; do
			cp "$f" "$VAR/shared-host/$(basename "$f" .fcgi).cgi"
		done
		cp "$TOP/httpd-conf/htaccess-cgi" "$VAR/shared-host/.htaccess"
		cp "$VAR/hookpost.conf" "$VAR/shared-host/hookpost.conf"
		cp "$TOP/docs/openapi.json" "$VAR/shared-host/openapi.json"
		rm -rf "$VAR/shared-host/console"
		cp -R "$TOP/console" "$VAR/shared-host/console"
		cp "$TOP/httpd-conf/htaccess-console" "$VAR/shared-host/console/.htaccess"
		chown -R "$RUNUSER" "$VAR/shared-host" 2>/dev/null || true
		as_user env $env_common /usr/sbin/apache2 -f "$HTTPD_CONF" -k start ||
			die "apache did not start: see $VAR/log/apache-cgi-error.log"
		;;
	none)
		return 0
		;;
	*)
		die "unknown HOOKPOST_SERVER=$SERVER"
		;;
	esac
}

httpd_stop() {
	if [ -s "$VAR/lighttpd.pid" ]; then
		kill "$(cat "$VAR/lighttpd.pid")" 2>/dev/null || true
		rm -f "$VAR/lighttpd.pid"
	fi
	if [ -s "$VAR/apache.pid" ]; then
		kill "$(cat "$VAR/apache.pid")" 2>/dev/null || true
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			[ -e "$VAR/apache.pid" ] || break
			sleep 0.2
		done
		rm -f "$VAR/apache.pid"
	fi
	pools_stop
	# The pools lighttpd spawned end with it.
}

cron_start() {
	[ "$CRON" = 1 ] || return 0
	# A daemon with no inherited descriptors, so that `make run | tee`
	# ends when make does.
	if [ "$(id -u)" = 0 ]; then chuid="--chuid $RUNUSER"; else chuid=; fi
	HOOKPOST_CONFIG="$VAR/hookpost.conf" /sbin/start-stop-daemon --start \
	    --background --make-pidfile --pidfile "$VAR/cron.pid" $chuid \
	    --output "$VAR/log/cron.log" --exec /bin/sh -- \
	    "$TOP/scripts/cronloop.sh" "$TOP/cron/crontab" "$TOP"
}

cron_stop() {
	if [ -s "$VAR/cron.pid" ]; then
		kill "$(cat "$VAR/cron.pid")" 2>/dev/null || true
		rm -f "$VAR/cron.pid"
	fi
	# Workers already started finish their run (at most ~55 s) by themselves.
}

wait_healthy() {
	i=0
	while [ $i -lt 100 ]; do
		code=$(curl -s -o /dev/null -w '%{http_code}' \
		    "http://127.0.0.1:$PORT/healthz" 2>/dev/null || true)
		[ "$code" = 200 ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	die "GET /healthz did not answer 200 (last: $code); logs in $VAR/log"
}

start() {
	[ -x "$TOP/bin/hookpost" ] || die "not built: run make"
	prepare_user
	mkdir -p "$VAR/log" "$VAR/run" "$VAR/htdocs"
	# What an older stack.sh put there for apache-cgi (now shared-host/).
	rm -f "$VAR"/htdocs/*.cgi "$VAR/htdocs/.htaccess" \
	    "$VAR/htdocs/hookpost.conf" "$VAR/htdocs/openapi.json"
	# The console (issue 11): static files the web server serves from its
	# document root under /console/ (a fresh copy, so an edit shows).
	rm -rf "$VAR/htdocs/console"
	cp -R "$TOP/console" "$VAR/htdocs/console"
	[ "$(id -u)" = 0 ] && chown -R "$RUNUSER" "$VAR"
	chmod 700 "$VAR"
	write_config
	[ "$(id -u)" = 0 ] && chown "$RUNUSER" "$VAR/hookpost.conf" "$VAR/secret.key"
	pg_start
	if [ ! -s "$VAR/admin.token" ]; then
		as_user env HOOKPOST_CONFIG="$VAR/hookpost.conf" \
		    "$TOP/bin/hookpost" token create --role admin --name local-admin \
		    >"$VAR/admin.token.new" && mv "$VAR/admin.token.new" "$VAR/admin.token"
		chmod 600 "$VAR/admin.token"
	fi
	cat >"$VAR/env" <<ENV
# . var/env: drive the running stack with the CLI, curl and psql.
export HOOKPOST_URL=http://127.0.0.1:$PORT
export HOOKPOST_TOKEN=$(cat "$VAR/admin.token")
export HOOKPOST_DATABASE_URL="$(dburl)"
export HOOKPOST_CONFIG=$VAR/hookpost.conf
export PATH="$TOP/bin:\$PATH"
ENV
	httpd_stop
	httpd_start
	cron_stop
	cron_start
	[ "$SERVER" = none ] || wait_healthy
	[ "${HOOKPOST_QUIET:-0}" = 1 ] || cat <<MSG

hookpost is running at http://127.0.0.1:$PORT ($SERVER, PostgreSQL on $VAR/run)
  admin token:  $VAR/admin.token
  environment:  . $VAR/env    (HOOKPOST_URL, HOOKPOST_TOKEN, HOOKPOST_DATABASE_URL)
  try:          curl -H "Authorization: Bearer \$(cat $VAR/admin.token)" http://127.0.0.1:$PORT/api/webhooks
  stop:         make stop
MSG
}

stop() {
	cron_stop
	httpd_stop
	pg_stop
}

case ${1:-} in
start)	start ;;
stop)	stop ;;
stop-http) httpd_stop ;;
handler-env) echo $HANDLER_ENV ;;
pools)	pools "$TOP/httpd-conf/apache.conf" ;;
*)	echo "usage: stack.sh start|stop|stop-http|handler-env|pools" >&2; exit 2 ;;
esac
