package checks

import (
	"fmt"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// readonly-volumes: volumeMounts[].readOnly and recursiveReadOnly → CRI
// mounts[].readonly and recursive_read_only → OCI mounts[].options "rro"
// (containerd 2 with a runtime that supports recursive read-only mounts;
// "ro" otherwise) → the submounts of the mount point in
// /proc/<pid>/mountinfo. readOnly alone makes only the top mount read-only:
// the runtime binds the volume recursively (rbind), so every mount below
// the volume's source (a host root's /sys, /proc, /dev, a tmpfs) stays as
// writable as on the host. A read-only volume with writable submounts is
// reported once per volume, naming every writable submount and the layer
// where the recursion was lost: the spec (readOnly without
// recursiveReadOnly: Enabled), the CRI config, the OCI spec, or the kernel
// (a submount that arrived after the container started). IfPossible on a
// runtime that cannot do it is info. The top mount being read-write is
// host-mounts' finding; a writable sysfs below a read-only volume is this
// check's, not host-mounts'.
func init() {
	register(Check{
		ID:          ReadonlyVolumes,
		Severity:    High,
		Rationale:   "readOnly is not recursive: below a read-only volume every submount (a host root's /sys, /proc, a tmpfs) stays writable, which the spec's reader does not expect.",
		Remediation: "Set recursiveReadOnly: Enabled on the volumeMount (Kubernetes 1.30+; containerd 2 with runc 1.1+ or crun 1.8.6+), or mount the submounts you need one by one.",
		Evaluate:    evalReadonlyVolumes,
	})
}

func evalReadonlyVolumes(s *Subject) []Finding {
	b := s.baseline()
	init := s.init()
	if b == nil || init == nil || len(init.Mounts) == 0 {
		return nil // no mount table: nothing to say about submounts
	}
	vis := s.visibleMountsOf(init.Mounts)
	var fs []Finding
	for _, m := range b.Mounts {
		if !m.ReadOnly || m.ContainerPath == "/" {
			continue
		}
		at := m.ContainerPath
		writable := writableBelow(s, vis, at)
		cri, criKnown := criRecursive(s, at)
		oci, ociKnown := ociRecursive(s, at)
		asked := m.Recursive == corev1.RecursiveReadOnlyEnabled || m.Recursive == corev1.RecursiveReadOnlyIfPossible && criKnown && cri
		field := "mounts[" + at + "]"
		list := strings.Join(writable, ", ")
		switch {
		case asked && m.Recursive == corev1.RecursiveReadOnlyEnabled && s.criView() != nil && criKnown && !cri:
			fs = append(fs, s.finding(ReadonlyVolumes, High, LayerCRI, 0, field+".recursive_read_only", "true", "false",
				fmt.Sprintf("the CRI config mounts %s read-only but not recursively although %s sets recursiveReadOnly: Enabled%s", at, s.source(), writableNote(list))))
		case asked && ociKnown && !oci:
			fs = append(fs, s.finding(ReadonlyVolumes, High, LayerOCI, 0, field+".options", "rro", "ro",
				fmt.Sprintf("the OCI spec mounts %s with \"ro\", not \"rro\": the runtime dropped the recursive read-only mount asked for%s", at, writableNote(list))))
		case asked && len(writable) > 0:
			fs = append(fs, s.finding(ReadonlyVolumes, High, LayerProcess, init.PID, "mountinfo:"+at, "read-only submounts", list,
				fmt.Sprintf("%s has writable submounts below %s although the mount is recursively read-only (mounted after the container started, through propagation, or a runtime that ignored \"rro\"): %s", where(LayerProcess, init), at, list)))
		case !asked && len(writable) > 0 && m.Recursive == corev1.RecursiveReadOnlyIfPossible:
			fs = append(fs, s.finding(ReadonlyVolumes, Info, LayerCRI, 0, field+".recursive_read_only", "true", "false",
				fmt.Sprintf("%s is read-only only at its top (recursiveReadOnly: IfPossible, and the runtime cannot mount it recursively); writable below it: %s", at, list)))
		case !asked && len(writable) > 0:
			sev := Medium
			if sensitiveBelow(s, vis, at) {
				sev = High
			}
			fs = append(fs, s.finding(ReadonlyVolumes, sev, LayerCRI, 0, field+".recursive_read_only", "true", "false",
				fmt.Sprintf("%s is read-only only at its top: %s sets readOnly without recursiveReadOnly: Enabled, so the kubelet asks a non-recursive read-only bind and every submount stays writable: %s (set recursiveReadOnly: Enabled; Kubernetes 1.30+, containerd 2 with runc 1.1+)", at, s.source(), list)))
		}
	}
	return fs
}

// writableBelow lists the visible read-write mounts strictly below at,
// sorted, each with its filesystem type ("/host/sys (sysfs)"); a mount the
// expectation declares read-write at its own path is the spec's choice and
// left out.
func writableBelow(s *Subject, vis map[string]probes.Mount, at string) []string {
	var out []string
	for mp, m := range vis {
		if m.ReadOnly || !strings.HasPrefix(mp, at+"/") {
			continue
		}
		if d, ok := s.baseline().MountAt(mp); ok && !d.ReadOnly {
			continue
		}
		out = append(out, fmt.Sprintf("%s (%s)", mp, m.FSType))
	}
	slices.Sort(out)
	return out
}

// sensitiveBelow reports whether a writable submount below at hands over
// part of the node: sysfs, procfs, cgroups, or a control directory of the
// host's root filesystem.
func sensitiveBelow(s *Subject, vis map[string]probes.Mount, at string) bool {
	for mp, m := range vis {
		if m.ReadOnly || !strings.HasPrefix(mp, at+"/") {
			continue
		}
		switch m.FSType {
		case "sysfs", "proc", "cgroup", "cgroup2", "devtmpfs":
			return true
		}
		if mountKind(s, m) != "" {
			return true
		}
	}
	return false
}

// belowReadonlyVolume reports whether a path lies strictly below a mount
// the expectation declares read-only (readonly-volumes judges it).
func belowReadonlyVolume(mounts []expect.Mount, p string) bool {
	for _, m := range mounts {
		if m.ReadOnly && m.ContainerPath != "/" && strings.HasPrefix(path.Clean(p), m.ContainerPath+"/") {
			return true
		}
	}
	return false
}

// criRecursive is the CRI config's recursive_read_only of the mount at.
func criRecursive(s *Subject, at string) (rec, ok bool) {
	if s.CRI == nil {
		return false, false
	}
	for _, m := range slices.Backward(s.CRI.GetMounts()) {
		if path.Clean(m.GetContainerPath()) == at {
			return m.GetRecursiveReadOnly(), true
		}
	}
	return false, false
}

// ociRecursive says whether the OCI spec mounts at with "rro".
func ociRecursive(s *Subject, at string) (rec, ok bool) {
	if s.OCI == nil {
		return false, false
	}
	for _, m := range slices.Backward(s.OCI.Mounts) {
		if path.Clean(m.Destination) == at {
			return slices.Contains(m.Options, "rro"), true
		}
	}
	return false, false
}

func writableNote(list string) string {
	if list == "" {
		return ""
	}
	return "; writable below it: " + list
}
