package checks

import (
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

// Subject is one container with everything known about it at every layer.
type Subject struct {
	Namespace, Pod, Container, ContainerID string

	// DeclaredFrom names the declared source: "kube-api", "manifest" or
	// "cri". Declared is the expectation derived from that source
	// (expect.FromPod). With "cri", leave Declared nil: the container's
	// CRI config is the declaration and the cri layer is not judged. With
	// another source, Declared nil means the source does not know the
	// container: undeclared-container fires and the rest is judged
	// against the CRI config.
	DeclaredFrom expect.Origin
	Declared     *expect.Expectation

	// CRI is the container config the runtime received; nil when the
	// runtime does not expose it (CRI-O): the cri layer is then skipped,
	// except for the namespace checks, which use SandboxNamespaces.
	CRI *runtimeapi.ContainerConfig
	// SandboxNamespaces are the pod sandbox's namespace options
	// (PodSandboxStatus); may be nil.
	SandboxNamespaces *runtimeapi.NamespaceOption
	// OCI is the runtime spec the runtime generated; may be nil.
	OCI *specs.Spec
	// Processes are every live process of the container; InitPID is the
	// container's init among them (the runtime's PID): its user
	// namespace is the container's, by which every process's IDs and
	// capabilities are judged.
	Processes []*probes.Process
	InitPID   int
	// Host are the host's namespace inodes (those of PID 1), the
	// reference for host-network, host-pid, host-ipc and host-users.
	Host probes.Namespaces
	// Defaults are the runtime's documented defaults; set AllCaps to the
	// host kernel's full set.
	Defaults expect.RuntimeDefaults
	// HostRoot is the mount the host sees at "/" (PID 1's Root); zero
	// when unknown. host-mounts uses it to recognise the host's root
	// filesystem bound into a container; unknown, that rule is skipped.
	HostRoot probes.Mount
	// HostPaths says which of MaskedPathCandidates exist on the host
	// (stat of <proc root>/1/root/<path>). runc masks only paths that
	// exist, so proc-mount judges a masked path with no mount in a
	// process's mountinfo only when HostPaths says it exists; nil: never.
	HostPaths map[string]bool
	// Sysctls are the pod's sysctls at the CRI, OCI and kernel layers;
	// nil when the scan did not look (no sysctl declared or sent).
	Sysctls *SysctlView
	// PodSecurity, set on a pod's subject (no container) only, is the
	// pod's Pod Security Standards levels: pss-level judges them.
	PodSecurity *PodSecurity
	// Exposure is how the container's secrets and sockets reach others
	// (environ readers, token files, host listeners); nil when not
	// collected.
	Exposure *Exposure

	// visible memoises visibleMounts during Evaluate (mounts.go).
	visible map[mountTable]map[string]probes.Mount
	// fromCRI memoises expect.FromCRI during Evaluate: baseline and
	// criView ask for it in most of the checks.
	fromCRI *expect.Expectation
}

// MaskedPathCandidates are the paths whose existence the scan should
// record in HostPaths: the kubelet's default masked and read-only paths
// and those the OCI spec lists, sorted and unique.
func (s *Subject) MaskedPathCandidates() []string {
	out := append(expect.DefaultMaskedPaths(), expect.DefaultReadonlyPaths()...)
	if s != nil && s.OCI != nil && s.OCI.Linux != nil {
		out = append(append(out, s.OCI.Linux.MaskedPaths...), s.OCI.Linux.ReadonlyPaths...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// undeclared reports whether a declared source is configured but does not
// know the container.
func (s *Subject) undeclared() bool {
	return s.Declared == nil && s.DeclaredFrom != expect.OriginCRI
}

// baseline is the expectation every layer is judged against: the declared
// one, else the CRI config's own; nil when neither is known (an undeclared
// CRI-O container: only the OCI spec and processes are compared).
func (s *Subject) baseline() *expect.Expectation {
	if s.Declared != nil {
		return s.Declared
	}
	if s.CRI != nil {
		return s.criExpectation()
	}
	return nil
}

// criView is what the CRI config says, when the cri layer is judged: the
// container has a declaration other than its own CRI config, and the
// runtime exposed that config.
func (s *Subject) criView() *expect.Expectation {
	if s.Declared == nil || s.DeclaredFrom == expect.OriginCRI || s.CRI == nil {
		return nil
	}
	return s.criExpectation()
}

// criExpectation is what the CRI config asks for, computed once per
// Evaluate (outside one, every time: the Subject may change between).
func (s *Subject) criExpectation() *expect.Expectation {
	if s.fromCRI != nil {
		return s.fromCRI
	}
	e := expect.FromCRI(s.CRI, s.SandboxNamespaces, s.Defaults)
	if s.visible != nil { // within Evaluate
		s.fromCRI = e
	}
	return e
}

// criNamespaces are the namespace options the runtime received: the
// container's, else the sandbox's. Nil when the cri layer is not judged.
func (s *Subject) criNamespaces() *runtimeapi.NamespaceOption {
	if s.Declared == nil || s.DeclaredFrom == expect.OriginCRI {
		return nil
	}
	return expect.CRINamespaces(s.CRI, s.SandboxNamespaces)
}

// finding fills in the container's identity.
func (s *Subject) finding(check ID, sev Severity, layer Layer, pid int, field, expected, actual, msg string) Finding {
	return Finding{
		Check: check, Severity: sev, Layer: layer,
		Namespace: s.Namespace, Pod: s.Pod, Container: s.Container, ContainerID: s.ContainerID,
		PID: pid, Field: field, Expected: expected, Actual: actual, Message: msg,
	}
}

// source names where the expectation came from, for messages.
func (s *Subject) source() string {
	switch {
	case s.undeclared():
		return "the CRI config (no declared spec)"
	case s.DeclaredFrom == "":
		return "the declared spec"
	}
	return "the " + string(s.DeclaredFrom) + " spec"
}

// where describes a layer in a message.
func where(layer Layer, p *probes.Process) string {
	switch layer {
	case LayerCRI:
		return "the CRI config"
	case LayerOCI:
		return "the OCI spec"
	}
	if p == nil {
		return "a process"
	}
	return fmt.Sprintf("process %d (%s)", p.PID, p.Comm)
}
