#!/bin/sh
# Builds kube-router (its NetworkPolicy controller is the test cluster's
# real enforcer) from the Go module proxy into a cache outside the
# repository, once per machine, and prints its path. Only v2.10.0 and
# v2.1.0 of kube-router/v2 download here; v2.10.0's pinned
# github.com/vishvananda/netlink pseudo-version is not served, so it is
# replaced by the served v1.3.1 (../shared/FACTS.md). kube-router calls
# Debian's iptables and ipset programs at run time.
set -eu
version="${KUBE_ROUTER_VERSION:-v2.10.0}"
dir="${RTAUDIT_CACHE:-/var/cache/rtaudit}/kube-router-$version"
if [ ! -x "$dir/kube-router" ]; then
	sh "$(dirname "$0")/apt.sh" ipset iptables >&2
	mkdir -p "$dir"
	work=$(mktemp -d)
	trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
	cd "$work"
	src=$(GOFLAGS=-mod=mod go mod download -json "github.com/cloudnativelabs/kube-router/v2@$version" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	cp -R "$src" kr
	chmod -R u+w kr
	cd kr
	go mod edit -replace github.com/vishvananda/netlink=github.com/vishvananda/netlink@v1.3.1
	GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0 nice go build -trimpath -o "$dir/kube-router.tmp" ./cmd/kube-router >&2
	mv "$dir/kube-router.tmp" "$dir/kube-router"
fi
echo "$dir/kube-router"
