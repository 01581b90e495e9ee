package checks

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// host-users: spec.hostUsers (false: a user namespace of its own) → CRI
// namespace_options.userns_options.mode POD → an OCI user namespace →
// /proc/<pid>/ns/user inode different from the host's.
func init() {
	h := hostNamespace{
		check: "host-users", severity: High, kind: probes.NSUser, ociType: specs.UserNamespace, criField: "userns_options",
		declared: func(e *expect.Expectation) bool { return e.HostUsers },
		cri: func(ns *runtimeapi.NamespaceOption) bool {
			return ns.GetUsernsOptions() == nil || ns.GetUsernsOptions().GetMode() == runtimeapi.NamespaceMode_NODE
		},
	}
	register(Check{
		ID:          "host-users",
		Severity:    High,
		Rationale:   "Without its own user namespace, root in the container is root on the node.",
		Remediation: "Keep hostUsers: false and check the runtime supports user namespaces (containerd 2, runc 1.2+, idmap mounts).",
		Evaluate:    h.evaluate,
	})
}
