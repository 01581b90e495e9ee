package checks

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// host-users: spec.hostUsers (false: a user namespace of its own) → CRI
// namespace_options.userns_options.mode POD → an OCI user namespace →
// /proc/<pid>/ns/user inode different from the host's, and a
// /proc/<pid>/uid_map and gid_map that map no ID to the host's root (a
// namespace mapping host ID 0 gives the node's root files to the pod).
func init() {
	h := hostNamespace{
		check: HostUsers, severity: High, kind: probes.NSUser, ociType: specs.UserNamespace, criField: "userns_options",
		declared: func(e *expect.Expectation) bool { return e.HostUsers },
		cri: func(ns *runtimeapi.NamespaceOption) bool {
			return ns.GetUsernsOptions() == nil || ns.GetUsernsOptions().GetMode() == runtimeapi.NamespaceMode_NODE
		},
	}
	register(Check{
		ID:          HostUsers,
		Severity:    High,
		Rationale:   "Without its own user namespace, root in the container is root on the node.",
		Remediation: "Keep hostUsers: false and check the runtime supports user namespaces (containerd 2, runc 1.2+, idmap mounts).",
		Evaluate: func(s *Subject) []Finding {
			if fs := h.evaluate(s); len(fs) > 0 {
				return fs
			}
			return hostRootMapped(s)
		},
	})
}

// hostRootMapped finds processes that have a user namespace of their own
// whose uid_map or gid_map still reaches host ID 0, when the spec asks for
// hostUsers: false.
func hostRootMapped(s *Subject) []Finding {
	b := s.baseline()
	if b == nil || b.HostUsers {
		return nil
	}
	var fs []Finding
	for _, p := range s.Processes {
		if p == nil {
			continue
		}
		if host := procHostNamespace(s, p, probes.NSUser); !host.ok || host.v {
			continue // unknown, or already judged by the namespace rule
		}
		for _, m := range []struct {
			name string
			maps []probes.IDMapping
		}{{"uid_map", p.UIDMap}, {"gid_map", p.GIDMap}} {
			if in, ok := mapsHostRoot(m.maps); ok {
				fs = append(fs, s.finding(HostUsers, High, LayerProcess, p.PID, m.name, "no host ID 0", fmt.Sprintf("%d → host 0", in),
					fmt.Sprintf("%s has a user namespace whose %s maps ID %d to the host's root (ID 0): %s asks for hostUsers: false", where(LayerProcess, p), m.name, in, s.source())))
				break
			}
		}
	}
	return fs
}

// mapsHostRoot returns the ID inside that maps to host ID 0, if any.
func mapsHostRoot(maps []probes.IDMapping) (uint32, bool) {
	for _, m := range maps {
		if m.Outside == 0 && m.Length > 0 {
			return m.Inside, true
		}
	}
	return 0, false
}
