package checks

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// host-ipc: spec.hostIPC → CRI namespace_options.ipc NODE → no OCI ipc
// namespace → /proc/<pid>/ns/ipc inode equal to the host's.
func init() {
	h := hostNamespace{
		check: HostIPC, severity: High, kind: probes.NSIPC, ociType: specs.IPCNamespace, criField: "ipc",
		declared: func(e *expect.Expectation) bool { return e.HostIPC },
		cri:      func(ns *runtimeapi.NamespaceOption) bool { return ns.GetIpc() == runtimeapi.NamespaceMode_NODE },
	}
	register(Check{
		ID:          HostIPC,
		Severity:    High,
		Rationale:   "The host's IPC namespace exposes the node's shared memory and message queues.",
		Remediation: "Remove hostIPC: true, or find what moved the process into the host's IPC namespace.",
		Evaluate:    h.evaluate,
	})
}
