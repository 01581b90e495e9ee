#!/bin/sh
# Builds CRI-O and its pinns helper from the Go module proxy into a cache
# outside the repository (once per machine) and prints the crio path. The
# CRI-O tier runs the integration tests against it (RTAUDIT_RUNTIME=crio,
# RTAUDIT_CRIO=<path>). conmon and skopeo come from Debian; cgo and
# libseccomp are needed. The build tags leave out the storage drivers and
# image signature back ends that need C libraries not packaged here.
set -eu
version="${CRIO_VERSION:-v1.34.0}"
dir="${RTAUDIT_CACHE:-/var/cache/rtaudit}/crio-$version"
sh "$(dirname "$0")/apt.sh" conmon skopeo jq gcc make libseccomp-dev pkg-config
if [ ! -x "$dir/crio" ] || [ ! -x "$dir/pinns" ]; then
	mkdir -p "$dir"
	src=$(cd /tmp && GOFLAGS= GOWORK=off go mod download -json "github.com/cri-o/cri-o@$version" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$src" ] || { echo "crio.sh: module github.com/cri-o/cri-o@$version not downloaded" >&2; exit 1; }
	work=$(mktemp -d /tmp/crio-build.XXXXXX)
	trap 'rm -rf "$work"' EXIT
	cp -r "$src/." "$work"
	chmod -R u+w "$work"
	cd "$work"
	GOFLAGS=-buildvcs=false GOWORK=off CGO_ENABLED=1 nice go build -trimpath \
		-tags "containers_image_ostree_stub containers_image_openpgp exclude_graphdriver_btrfs btrfs_noversion exclude_graphdriver_devicemapper seccomp" \
		-o "$dir/crio.tmp" ./cmd/crio >&2
	nice make -C pinns >&2
	cp bin/pinns "$dir/pinns"
	mv "$dir/crio.tmp" "$dir/crio"
fi
echo "$dir/crio"
