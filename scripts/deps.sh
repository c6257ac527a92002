#!/bin/sh
# Installs every Debian package hookpost needs to build, run and test.
# --if-missing: do nothing when all are present (so `make run` and
# `make check` stay fast on a machine that has them).
set -eu

PKGS="gcc make pkg-config libfcgi-dev libfcgi-bin libpq-dev libjansson-dev
libssl-dev libcurl4-openssl-dev libyaml-dev postgresql postgresql-contrib
lighttpd apache2 libapache2-mod-fcgid cron curl openssl wrk valgrind
procps psmisc jq python3 python3-aiosmtpd chromium chromium-driver mandoc
clang libclang-rt-14-dev"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# python3 runs the vendor emulators (tests/emu, standard library only);
# python3-aiosmtpd is the real SMTP server of the email tests (smtpd.py).
# clang and its runtime (libFuzzer, ASan, UBSan) build the fuzzers (fuzz/).
# mandoc lints the man pages (scripts/lint.sh: mandoc -Tlint).
# chromium and chromium-driver: the console's browser test, headless, driven
# over WebDriver by tests/browser/webdriver.py (86_console).
# Node.js runs the receivers' reference libraries in tests (tests/js).
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
if [ "${1:-}" = "--if-missing" ] && [ -z "$missing" ]; then
	exit 0
fi
[ -n "$missing" ] || { echo "deps: all installed"; exit 0; }
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "deps: missing:$missing; run 'make deps' as root" >&2
		exit 1
	fi
else
	SUDO=
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Packaged services must not start on install: hookpost runs its own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
	$SUDO chmod +x /usr/sbin/policy-rc.d
	trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
