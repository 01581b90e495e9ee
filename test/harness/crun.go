package harness

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// CrunHandler is a runtime handler (use it as a pod's runtimeClassName)
// that runs containers with crun instead of runc: containerd's runc shim
// with crun as its binary and a state root of its own. The lab has it only
// when crun was found at start (Options.Crun).
const CrunHandler = "crun"

func (l layout) crunRoot() string         { return filepath.Join(l.dir, "crun") }
func (l layout) crunWrapper() string      { return filepath.Join(l.dir, "crun-lab") }
func (l layout) emptyControllers() string { return filepath.Join(l.dir, "crun-no-controllers") }

// CrunRoot is the crun handler's state root: the shim runs crun with
// --root CrunRoot/<containerd namespace>, where crun keeps one directory
// per container (its "status" file holds the init PID and start time).
func (c *Containerd) CrunRoot() string { return c.lay.crunRoot() }

// unifiedControllers is where a cgroup v1 "hybrid" host mounts the cgroup2
// hierarchy's controller list.
const unifiedControllers = "/sys/fs/cgroup/unified/cgroup.controllers"

// crunHybridRefused tells whether crun would refuse every container here:
// crun (1.8.1 and later) does not support hybrid mode and fails "cgroups in
// hybrid mode not supported, drop all controllers from cgroupv2" when the
// cgroup2 hierarchy has any controller at all (on these hosts hugetlb, the
// one controller no v1 hierarchy binds). runc does not care.
func crunHybridRefused() bool {
	data, err := os.ReadFile(unifiedControllers)
	return err == nil && len(bytes.TrimSpace(data)) > 0
}

var crunVersionRE = regexp.MustCompile(`crun version (\d+)\.(\d+)(?:\.(\d+))?`)

// crunChecksSpecVersion tells whether this crun refuses an OCI spec whose
// ociVersion does not contain "1.0" ("unknown version specified"): every
// crun before 1.14.3, Debian 12's 1.8.1 among them. containerd 1.6 writes
// "1.0.2-dev", containerd 2.4 "1.3.0".
func crunChecksSpecVersion(crun string) (bool, error) {
	out, err := exec.Command(crun, "--version").Output()
	if err != nil {
		return false, fmt.Errorf("%s --version: %w", crun, err)
	}
	m := crunVersionRE.FindSubmatch(out)
	if m == nil {
		return false, fmt.Errorf("%s --version: no version in %q", crun, out)
	}
	v := [3]int{}
	for i := range v {
		v[i], _ = strconv.Atoi(string(m[i+1]))
	}
	return v[0] < 1 || (v[0] == 1 && (v[1] < 14 || (v[1] == 14 && v[2] < 3))), nil
}

// crunBinary is the BinaryName of the crun handler: crun itself, or a
// wrapper around it that works around what would make crun refuse every
// container of this lab, and changes nothing else:
//
//   - on a cgroup hybrid host that crun refuses (crunHybridRefused), it
//     runs crun in a mount namespace of its own (a slave of the host's, so
//     host mounts still propagate in and nothing propagates out) with an
//     empty file bind-mounted over the cgroup2 controller list. crun then
//     takes the host for the hybrid one it supports (cgroup v1
//     controllers, the process also placed in the unified hierarchy, as
//     runc does); the container's own namespaces are made from that mount
//     namespace as they would be from the host's. The host is not touched.
//   - with a crun that checks the spec version (crunChecksSpecVersion), it
//     rewrites a bundle's ociVersion that crun would refuse to "1.0.2-dev"
//     before create, as crun 1.14.3 and later simply stopped checking it.
//     crun parses the rest of the spec as it would anyway: a field it does
//     not know is ignored, and the audit sees what that does.
func crunBinary(l layout, o Options) (string, error) {
	hybrid := crunHybridRefused()
	version, err := crunChecksSpecVersion(o.Crun)
	if err != nil {
		return "", err
	}
	if !hybrid && !version {
		return o.Crun, nil
	}
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	var b strings.Builder
	b.WriteString(`#!/bin/sh
# crun for the rtaudit lab: see crunBinary in test/harness/crun.go.
set -eu
`)
	if version {
		b.WriteString(`bundle="" prev=""
for a in "$@"; do
	case $prev in --bundle | -b) bundle=$a ;; esac
	case $a in --bundle=*) bundle=${a#--bundle=} ;; esac
	prev=$a
done
if [ -n "$bundle" ] && ! grep -q '"ociVersion": *"[^"]*1\.0' "$bundle/config.json"; then
	sed -i -E '0,/"ociVersion": *"[^"]*"/s//"ociVersion":"1.0.2-dev"/' "$bundle/config.json"
fi
`)
	}
	if hybrid {
		if err := os.WriteFile(l.emptyControllers(), nil, 0o444); err != nil {
			return "", err
		}
		fmt.Fprintf(&b, `exec unshare --mount --propagation slave -- /bin/sh -c 'mount --bind "$0" %s && exec "$@"' %s %s "$@"
`, unifiedControllers, q(l.emptyControllers()), q(o.Crun))
	} else {
		fmt.Fprintf(&b, "exec %s \"$@\"\n", q(o.Crun))
	}
	if err := os.WriteFile(l.crunWrapper(), []byte(b.String()), 0o755); err != nil {
		return "", err
	}
	return l.crunWrapper(), nil
}

// crunRuntimes is the containerd config of the crun handler, "" when
// there is no crun binary.
func crunRuntimes(l layout, o Options, q func(string) string) (string, error) {
	if o.Crun == "" {
		return "", nil
	}
	bin, err := crunBinary(l, o)
	if err != nil {
		return "", fmt.Errorf("crun handler: %w", err)
	}
	prefix := `    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.` + CrunHandler + `]`
	return fmt.Sprintf(`%s
      runtime_type = "io.containerd.runc.v2"
%s.options]
        SystemdCgroup = false
        BinaryName = %s
        Root = %s
`, prefix, strings.TrimSuffix(prefix, "]"), q(bin), q(l.crunRoot())), nil
}
