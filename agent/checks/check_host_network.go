package checks

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// host-network: spec.hostNetwork → CRI namespace_options.network NODE →
// no OCI network namespace → /proc/<pid>/ns/net inode equal to the host's.
func init() {
	h := hostNamespace{
		check: HostNetwork, severity: Critical, kind: probes.NSNet, ociType: specs.NetworkNamespace, criField: "network",
		declared: func(e *expect.Expectation) bool { return e.HostNetwork },
		cri:      func(ns *runtimeapi.NamespaceOption) bool { return ns.GetNetwork() == runtimeapi.NamespaceMode_NODE },
	}
	register(Check{
		ID:          HostNetwork,
		Severity:    Critical,
		Rationale:   "The host's network namespace exposes node-local services and lets a process sniff or spoof node traffic.",
		Remediation: "Remove hostNetwork: true, or find what moved the process into the host's network namespace (runtime, nsenter, setns).",
		Evaluate:    h.evaluate,
	})
}
