#!/bin/sh
# Builds containerd v2 and its runc shim from the Go module proxy into a
# cache outside the repository (once per machine) and prints the containerd
# path. The integration tests run against it with RTAUDIT_CONTAINERD.
set -eu
version="${CONTAINERD_V2_VERSION:-v2.4.2}"
dir="${RTAUDIT_CACHE:-/var/cache/rtaudit}/containerd-$version"
if [ ! -x "$dir/containerd" ] || [ ! -x "$dir/containerd-shim-runc-v2" ]; then
	mkdir -p "$dir"
	cd /tmp
	GOBIN="$dir" GOFLAGS=-buildvcs=false go install \
		"github.com/containerd/containerd/v2/cmd/containerd@$version" \
		"github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2@$version" >&2
fi
echo "$dir/containerd"
