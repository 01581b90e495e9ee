#!/bin/sh
# Installs the Debian packages named as arguments that are not installed yet
# (idempotent; root). Progress goes to stderr so callers can print paths.
set -eu
missing=""
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "apt.sh: missing packages:$missing (run as root)" >&2
	exit 1
fi
echo "apt.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Several builds may install at once (make -j prebuild): wait for apt's
# locks rather than fail.
lock="-o DPkg::Lock::Timeout=900 -o Acquire::Lock::Timeout=900"
# shellcheck disable=SC2086
apt-get $lock update -qq >&2
# shellcheck disable=SC2086
apt-get $lock install -y -qq --no-install-recommends $missing >&2
