package checks

import (
	"fmt"
	"slices"
	"strings"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// id-mappings: for a pod in a user namespace of its own (hostUsers:
// false), the ID ranges the kubelet allocated, as the CRI
// namespace_options.userns_options uids/gids carry them (the container's,
// else the sandbox's) → the OCI linux.uidMappings/gidMappings → the
// kernel's /proc/<pid>/uid_map and gid_map of each process in the
// container's user namespace. The kubelet gives each pod a range of host
// IDs no other pod has; a layer that maps other host IDs may share files
// and processes with another pod or the node. Host root itself mapped is
// host-users' finding.
func init() {
	register(Check{
		ID:          IDMappings,
		Severity:    High,
		Rationale:   "A user-namespaced pod is isolated by its own range of host IDs; a runtime or process that maps other IDs shares them with another pod or the node.",
		Remediation: "Find the layer that changed the mappings (runtime config, an OCI hook, an NRI plugin); recreate the pod so the kubelet allocates its range again.",
		Evaluate:    evalIDMappings,
	})
}

// idRange is one mapping line: inside ID, host ID, length.
type idRange struct{ inside, host, length uint32 }

func (r idRange) String() string { return fmt.Sprintf("%d %d %d", r.inside, r.host, r.length) }

func showRanges(rs []idRange) string {
	if len(rs) == 0 {
		return "none"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	return strings.Join(parts, "; ")
}

func sortRanges(rs []idRange) []idRange {
	slices.SortFunc(rs, func(a, b idRange) int { return int(int64(a.inside) - int64(b.inside)) })
	return rs
}

func evalIDMappings(s *Subject) []Finding {
	b := s.baseline()
	if b == nil || b.HostUsers {
		return nil
	}
	u := expect.CRINamespaces(s.CRI, s.SandboxNamespaces).GetUsernsOptions()
	if u == nil || len(u.GetUids()) == 0 {
		return nil // the CRI layer carries no ranges (CRI-O's verbose status): nothing to start from
	}
	var fs []Finding
	for _, kind := range []struct {
		name, ociField, file string
		cri, oci             []idRange
		proc                 func(*probes.Process) []probes.IDMapping
	}{
		{"uid", "linux.uidMappings", "uid_map", criRanges(u.GetUids()), ociRanges(s, true), func(p *probes.Process) []probes.IDMapping { return p.UIDMap }},
		{"gid", "linux.gidMappings", "gid_map", criRanges(u.GetGids()), ociRanges(s, false), func(p *probes.Process) []probes.IDMapping { return p.GIDMap }},
	} {
		want := kind.cri
		if kind.oci != nil && !slices.Equal(kind.oci, want) {
			fs = append(fs, s.finding(IDMappings, High, LayerOCI, 0, kind.ociField, showRanges(want), showRanges(kind.oci),
				fmt.Sprintf("the OCI spec maps %ss %s where the CRI userns_options allocate %s (inside host length)", kind.name, showRanges(kind.oci), showRanges(want))))
			continue
		}
		for _, p := range s.Processes {
			if p == nil || s.inNestedUserNS(p) || len(kind.proc(p)) == 0 {
				continue
			}
			got := procRanges(kind.proc(p))
			if !slices.Equal(got, want) {
				fs = append(fs, s.finding(IDMappings, High, LayerProcess, p.PID, kind.file, showRanges(want), showRanges(got),
					fmt.Sprintf("%s has %s %s where the CRI userns_options allocate %s (inside host length)", where(LayerProcess, p), kind.file, showRanges(got), showRanges(want))))
			}
		}
	}
	return fs
}

func criRanges[M interface {
	GetContainerId() uint32
	GetHostId() uint32
	GetLength() uint32
}](ms []M) []idRange {
	out := make([]idRange, 0, len(ms))
	for _, m := range ms {
		out = append(out, idRange{m.GetContainerId(), m.GetHostId(), m.GetLength()})
	}
	return sortRanges(out)
}

// ociRanges are the OCI spec's mappings; nil when the spec has no user
// namespace mappings to compare.
func ociRanges(s *Subject, uid bool) []idRange {
	if s.OCI == nil || s.OCI.Linux == nil {
		return nil
	}
	ms := s.OCI.Linux.GIDMappings
	if uid {
		ms = s.OCI.Linux.UIDMappings
	}
	if len(ms) == 0 {
		return nil
	}
	out := make([]idRange, 0, len(ms))
	for _, m := range ms {
		out = append(out, idRange{m.ContainerID, m.HostID, m.Size})
	}
	return sortRanges(out)
}

func procRanges(ms []probes.IDMapping) []idRange {
	out := make([]idRange, 0, len(ms))
	for _, m := range ms {
		out = append(out, idRange{m.Inside, m.Outside, m.Length})
	}
	return sortRanges(out)
}
