#!/bin/sh
# A minimal cron for the local stack (`make run`), where no system cron
# daemon may be running or writable: at the start of every minute it runs
# each crontab line whose minute and hour fields match ("*", "*/N" or a
# number), as cron would, in the background.  Deployments use the real
# crontab (cron/crontab); `make check` also tests it under real cron.
#   cronloop.sh CRONTAB ROOT
set -u
tab=$1
root=$2

field_ok() {	# field value
	case $1 in
	'*') return 0 ;;
	'*/'*) [ $(( $2 % ${1#*/} )) -eq 0 ] ;;
	*) [ "$1" -eq "$2" ] 2>/dev/null ;;
	esac
}

while :; do
	min=$(date +%M); min=${min#0}
	hour=$(date +%H); hour=${hour#0}
	grep -v '^[[:space:]]*#' "$tab" | grep -v '^[[:space:]]*$' |
	    grep -v '^[A-Z_]*=' | while read -r m h dom mon dow cmd; do
		field_ok "$m" "$min" && field_ok "$h" "$hour" || continue
		cmd=$(printf '%s' "$cmd" | sed "s|@ROOT@|$root|g")
		sh -c "$cmd" &
	done
	sleep $((60 - $(date +%S | sed 's/^0//')))
done
