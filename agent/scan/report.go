package scan

import (
	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/expect"
)

// Report is the result of one scan. Its JSON form is a contract: fields are
// added, never renamed.
type Report struct {
	APIVersion string             `json:"apiVersion"`
	Kind       string             `json:"kind"`
	Node       string             `json:"node"`
	Runtime    RuntimeInfo        `json:"runtime"`
	Containers []ContainerSummary `json:"containers"`
	Findings   []checks.Finding   `json:"findings"`
	// Pods are the Pod Security Standards levels of the pods with a
	// declared spec (none when judged against CRI configs only).
	Pods []PodLevels `json:"pods,omitempty"`
	// Gone are containers that exited between discovery and probing: not
	// audited, and not findings.
	Gone []ContainerRef `json:"gone,omitempty"`
	// Errors are containers that could not be audited (the audit is
	// incomplete for them); never silently dropped.
	Errors []ContainerError `json:"errors,omitempty"`
	// Notes are what a reader must know to trust the report (an expired
	// waiver, declared specs that may be stale): one line each.
	Notes []string `json:"notes,omitempty"`
}

// Report identity.
const (
	APIVersion = "rtaudit.dev/v1alpha1"
	KindReport = "ScanReport"
)

// RuntimeInfo names the container runtime that answered.
type RuntimeInfo struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Endpoint string `json:"endpoint,omitempty"`
}

// ContainerRef names a container.
type ContainerRef struct {
	ID        string `json:"id"`
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Container string `json:"container"`
}

// ContainerSummary is one audited container.
type ContainerSummary struct {
	ID        string `json:"id"`
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	PodUID    string `json:"podUID"`
	Container string `json:"container"`
	// Image is the image as the pod spec names it (the kubelet's
	// user_specified_image), else as the runtime reports it; ImageRef is
	// the image's digest or ID. Waivers match them: a container name
	// alone is spoofable.
	Image     string `json:"image,omitempty"`
	ImageRef  string `json:"imageRef,omitempty"`
	State     string `json:"state"`
	PID       int    `json:"pid"`
	Processes int    `json:"processes"`
	// DeclaredFrom is where the expectation came from: "cri" for a
	// container no configured source declares (an undeclared-container
	// finding says so) as for one judged against its CRI config by choice.
	DeclaredFrom expect.Origin `json:"declaredFrom"`
	// Problems are what the declared spec asks that the kernel cannot
	// honour (an unknown capability name, a combination the API server
	// rejects): the container is judged by the kubelet's reading of it.
	Problems []string `json:"problems,omitempty"`
}

// ContainerError is a container the scan could not audit, and why.
type ContainerError struct {
	ContainerRef
	Error string `json:"error"`
}

// Count returns how many findings no waiver accepts are at least as severe
// as min (what --fail-on counts).
func (r *Report) Count(min checks.Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Waiver == "" && f.Severity.AtLeast(min) {
			n++
		}
	}
	return n
}
