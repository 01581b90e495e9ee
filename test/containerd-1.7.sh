#!/bin/sh
# Builds containerd 1.7 and its runc shim from the Go module proxy into a
# cache outside the repository (once per machine) and prints the containerd
# path (RTAUDIT_CONTAINERD17 for the discovery smoke test). Its go.mod has
# exclude directives, so `go install pkg@version` refuses it: the module
# directory is copied and built in place, without btrfs (no cgo).
set -eu
version="${CONTAINERD_17_VERSION:-v1.7.35}"
dir="${RTAUDIT_CACHE:-/var/cache/rtaudit}/containerd-$version"
if [ ! -x "$dir/containerd" ] || [ ! -x "$dir/containerd-shim-runc-v2" ]; then
	mkdir -p "$dir"
	src=$(cd /tmp && GOFLAGS= GOWORK=off go mod download -json "github.com/containerd/containerd@$version" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$src" ] || { echo "containerd-1.7.sh: module github.com/containerd/containerd@$version not downloaded" >&2; exit 1; }
	work=$(mktemp -d /tmp/containerd17-build.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	cp -r "$src/." "$work"
	chmod -R u+w "$work"
	cd "$work"
	GOFLAGS="-buildvcs=false -mod=mod" GOWORK=off CGO_ENABLED=0 nice go build -trimpath -tags no_btrfs \
		-ldflags "-X github.com/containerd/containerd/version.Version=$version" \
		-o "$dir/" ./cmd/containerd ./cmd/containerd-shim-runc-v2 >&2
fi
echo "$dir/containerd"
