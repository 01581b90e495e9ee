#!/bin/sh
# Installs what test/cluster needs on top of test/setup.sh (idempotent):
# etcd (Debian etcd-server 3.4) and openssl. Run as root. The Kubernetes
# binaries themselves are built by `make cluster-build`.
set -eu

sh "$(dirname "$0")/../setup.sh"
pkgs="etcd-server openssl"
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "cluster/setup.sh: missing packages:$missing (run as root)" >&2
		exit 1
	fi
	echo "cluster/setup.sh: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi
command -v etcd >/dev/null || { echo "cluster/setup.sh: etcd still missing" >&2; exit 1; }
echo "cluster/setup.sh: ok (etcd $(etcd --version | awk '/etcd Version/ {print $3}'))"
