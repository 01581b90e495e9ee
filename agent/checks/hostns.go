package checks

import (
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// hostNamespace judges one of hostNetwork, hostPID, hostIPC, hostUsers:
// the declared flag → CRI namespace_options (NODE means the host's; the
// sandbox's options when the container config is not exposed) → OCI
// linux.namespaces (no entry of the type means the host's) → the inode of
// /proc/<pid>/ns/<kind> equal to the host's (PID 1's).
type hostNamespace struct {
	check    ID
	severity Severity // of a container that shares the host's namespace against the spec
	kind     probes.NSKind
	ociType  specs.LinuxNamespaceType
	criField string
	declared func(*expect.Expectation) bool
	cri      func(*runtimeapi.NamespaceOption) bool
}

func (h hostNamespace) evaluate(s *Subject) []Finding {
	fd := field[bool]{
		check: h.check, criField: "namespace_options." + h.criField, ociField: fmt.Sprintf("linux.namespaces[%s]", h.ociType),
		procField: "ns/" + string(h.kind), what: "host " + string(h.kind) + " namespace",
		equal: eq[bool], show: func(b bool) string { return map[bool]string{true: "host", false: "own"}[b] },
		severity: func(want, got bool) Severity {
			if got && !want {
				return h.severity
			}
			return Info
		},
	}
	var declared, cri opt[bool]
	if b := s.baseline(); b != nil {
		declared = some(h.declared(b))
	}
	if ns := s.criNamespaces(); ns != nil {
		cri = some(h.cri(ns))
	}
	return fd.run(s, declared, cri, ociHostNamespace(s.OCI, h.ociType), func(p *probes.Process) opt[bool] {
		return procHostNamespace(s, p, h.kind)
	})
}
