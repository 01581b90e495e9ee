package checks

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// host-pid: spec.hostPID → CRI namespace_options.pid NODE (POD, CONTAINER
// and TARGET are all private) → no OCI pid namespace →
// /proc/<pid>/ns/pid inode equal to the host's.
func init() {
	h := hostNamespace{
		check: HostPID, severity: Critical, kind: probes.NSPID, ociType: specs.PIDNamespace, criField: "pid",
		declared: func(e *expect.Expectation) bool { return e.HostPID },
		cri:      func(ns *runtimeapi.NamespaceOption) bool { return ns.GetPid() == runtimeapi.NamespaceMode_NODE },
	}
	register(Check{
		ID:          HostPID,
		Severity:    Critical,
		Rationale:   "The host's PID namespace lets a process see, signal and ptrace every process on the node.",
		Remediation: "Remove hostPID: true, or find what moved the process into the host's PID namespace.",
		Evaluate:    h.evaluate,
	})
}
