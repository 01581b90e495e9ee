#!/bin/sh
# Builds runc v1.5.2 (user-namespaced pods need runc >= 1.2) from the Go
# module proxy into a cache outside the repository (once per machine) and
# prints its path. The integration tests run against it with RTAUDIT_RUNC.
# cgo and libseccomp are needed; the libpathrs tag is left out (its Rust
# library is not packaged: runc falls back to its Go code).
set -eu
version="${RUNC_VERSION:-v1.5.2}"
dir="${RTAUDIT_CACHE:-/var/cache/rtaudit}/runc-$version"
if [ ! -x "$dir/runc" ]; then
	sh "$(dirname "$0")/apt.sh" gcc libseccomp-dev pkg-config
	mkdir -p "$dir"
	cd /tmp
	GOBIN="$dir" GOFLAGS=-buildvcs=false CGO_ENABLED=1 nice go install \
		-tags "seccomp urfave_cli_no_docs" -ldflags "-X main.gitCommit=$version" \
		"github.com/opencontainers/runc@$version" >&2
fi
echo "$dir/runc"
