package checks

import (
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/rtaudit/rtaudit/probes"
)

// Readers of the OCI runtime spec. Each returns ok false when the spec (or
// the part of it) is absent, so that layer is skipped.

func ociUser(s *specs.Spec) (specs.User, bool) {
	if s == nil || s.Process == nil {
		return specs.User{}, false
	}
	return s.Process.User, true
}

func ociUID(s *specs.Spec) opt[int64] {
	u, ok := ociUser(s)
	return opt[int64]{int64(u.UID), ok}
}

func ociGID(s *specs.Spec) opt[int64] {
	u, ok := ociUser(s)
	return opt[int64]{int64(u.GID), ok}
}

func ociCaps(s *specs.Spec) (bounding, ambient probes.CapSet, ok bool) {
	if s == nil || s.Process == nil {
		return 0, 0, false
	}
	c := s.Process.Capabilities
	if c == nil {
		return 0, 0, true // no capabilities at all
	}
	bounding, _ = probes.ParseCapNames(c.Bounding)
	ambient, _ = probes.ParseCapNames(c.Ambient)
	return bounding, ambient, true
}

func ociNoNewPrivs(s *specs.Spec) opt[bool] {
	if s == nil || s.Process == nil {
		return opt[bool]{}
	}
	return some(s.Process.NoNewPrivileges)
}

// ociSeccomp is the mode a process started from the spec gets: any
// linux.seccomp section installs a filter.
func ociSeccomp(s *specs.Spec) opt[probes.SeccompMode] {
	if s == nil || s.Linux == nil {
		return opt[probes.SeccompMode]{}
	}
	if s.Linux.Seccomp != nil {
		return some(probes.SeccompFilter)
	}
	return some(probes.SeccompDisabled)
}

func ociReadonlyRoot(s *specs.Spec) opt[bool] {
	if s == nil || s.Root == nil {
		return opt[bool]{}
	}
	return some(s.Root.Readonly)
}

// ociHostNamespace says whether the spec leaves the process in the host's
// namespace of type t: no linux.namespaces entry of that type means the
// runtime's own (the host's); an entry joining /proc/1/ns/* is the host's
// too.
func ociHostNamespace(s *specs.Spec, t specs.LinuxNamespaceType) opt[bool] {
	if s == nil || s.Linux == nil {
		return opt[bool]{}
	}
	for _, ns := range s.Linux.Namespaces {
		switch {
		case ns.Type != t:
		case ns.Path == "":
			return some(false) // a new namespace of its own
		case ns.Path == "/proc/1/ns/"+nsFile(t):
			return some(true)
		default:
			// Joins another process's namespace: containerd puts every
			// container into its sandbox's, which is the host's for a
			// hostNetwork pod. Unknown here; the processes tell.
			return opt[bool]{}
		}
	}
	return some(true)
}

func nsFile(t specs.LinuxNamespaceType) string {
	if t == specs.NetworkNamespace {
		return "net"
	}
	return string(t)
}

// ociPrivileged infers privileged mode, which the OCI spec has no field
// for, from what runtimes do for it (containerd oci.WithPrivileged, CRI-O
// likewise): every capability in the bounding set and /sys mounted
// writable. A container that adds ALL is not privileged: its /sys stays
// read-only.
func ociPrivileged(s *specs.Spec, all probes.CapSet) opt[bool] {
	bnd, _, ok := ociCaps(s)
	if !ok {
		return opt[bool]{}
	}
	if bnd&all != all {
		return some(false)
	}
	for _, m := range s.Mounts {
		if m.Destination == "/sys" {
			return some(!slices.Contains(m.Options, "ro"))
		}
	}
	return some(true)
}
