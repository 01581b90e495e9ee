#!/bin/sh
# Installs what the test lab needs (idempotent): containerd 1.6 with its CRI
# plugin, runc, crun (the lab's second OCI runtime, its "crun" runtime
# handler), the CNI plugins, busybox-static (the test image's userland)
# and the tools the harness uses for clean-up. Run as root.
set -eu

sh "$(dirname "$0")/apt.sh" containerd runc crun containernetworking-plugins busybox-static iproute2 util-linux iptables
# The Debian package starts a system containerd; the lab never uses it.
for b in containerd containerd-shim-runc-v2 runc crun ip; do
	command -v "$b" >/dev/null || { echo "setup.sh: $b still missing" >&2; exit 1; }
done
for p in bridge host-local loopback; do
	[ -x "/usr/lib/cni/$p" ] || { echo "setup.sh: /usr/lib/cni/$p missing" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "setup.sh: /bin/busybox missing" >&2; exit 1; }
echo "setup.sh: ok ($(containerd --version | awk '{print $3}'), $(runc --version | head -1), $(crun --version | head -1))"
