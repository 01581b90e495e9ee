#!/bin/sh
# Installs what test/cluster needs on top of test/setup.sh (idempotent):
# etcd (Debian etcd-server 3.4) and openssl. Run as root. The Kubernetes
# binaries themselves are built by `make cluster-build`.
set -eu

sh "$(dirname "$0")/../setup.sh"
sh "$(dirname "$0")/../apt.sh" etcd-server openssl
command -v etcd >/dev/null || { echo "cluster/setup.sh: etcd still missing" >&2; exit 1; }
echo "cluster/setup.sh: ok (etcd $(etcd --version | awk '/etcd Version/ {print $3}'))"
