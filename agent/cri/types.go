package cri

import (
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Info names the runtime that answered and where.
type Info struct {
	Name       string // "containerd", "cri-o"
	Version    string
	APIVersion string
	Endpoint   string // the endpoint that answered, e.g. unix:///run/containerd/containerd.sock
	Socket     string // the socket file dialled: Endpoint's path under the host root
}

// PodRef is the pod identity the kubelet writes into labels.
type PodRef struct {
	Name      string // io.kubernetes.pod.name
	Namespace string // io.kubernetes.pod.namespace
	UID       string // io.kubernetes.pod.uid
}

// Sandbox is one pod sandbox.
type Sandbox struct {
	ID             string
	Pod            PodRef
	State          string // "ready" or "notready"
	CreatedAt      time.Time
	RuntimeHandler string
	Labels         map[string]string
	Annotations    map[string]string
	// NamespaceOptions as the runtime reports them (PodSandboxStatus.Linux.Namespaces.Options).
	NamespaceOptions *runtimeapi.NamespaceOption
	PID              int                          // the sandbox (pause) process, 0 when unknown
	Config           *runtimeapi.PodSandboxConfig // from verbose info when the runtime exposes it
	Spec             *SandboxSpec                 // from verbose info when the runtime exposes it
	// StatusError is set when the verbose status could not be read or
	// parsed; the fields above then hold what the listing gave.
	StatusError error
}

// SandboxSpec is what the scan reads of the OCI runtime spec a runtime
// generated for a sandbox ("runtimeSpec" of its verbose status): its
// sysctls, in the spec's own shape. The rest of it (the pause process, its
// mounts) is not decoded: nothing judges it, and decoding it was about
// half of a sandbox status's cost (go test -bench ParseSandboxInfo
// ./agent/cri).
type SandboxSpec struct {
	Linux *SandboxLinux `json:"linux"` // nil when the spec has no linux section
}

// SandboxLinux is the part of a sandbox spec's linux section read.
type SandboxLinux struct {
	Sysctl map[string]string `json:"sysctl"`
}

// Container is one container with everything discovery could learn of it.
type Container struct {
	ID             string
	Name           string // io.kubernetes.container.name, else the CRI metadata name
	Attempt        uint32
	SandboxID      string
	Pod            PodRef
	Image          string
	ImageRef       string
	State          string // "running", "exited", "created", "unknown"
	CreatedAt      time.Time
	PID            int // the container's init process on the host, 0 when not running
	RuntimeHandler string
	Labels         map[string]string
	Annotations    map[string]string
	// Config is the CRI container config the runtime received (containerd's
	// verbose info "config"); nil when the runtime does not expose it (CRI-O).
	Config *runtimeapi.ContainerConfig
	// Spec is the OCI runtime spec the runtime generated ("runtimeSpec").
	Spec *specs.Spec
	// Privileged as the runtime reports it (CRI-O's verbose "privileged").
	Privileged *bool
	// StatusError is set when the verbose status could not be read or
	// parsed; the fields above then hold what the listing and the parsable
	// part of the status gave. The scan reports the container as not audited.
	StatusError error
}

// ListOptions selects what Snapshot lists.
type ListOptions struct {
	// All includes exited containers and not-ready sandboxes; by default
	// only running containers and ready sandboxes are listed.
	All bool
}

// EventType is what happened to a container.
type EventType string

// The event types, named after the CRI ContainerEventType values.
const (
	ContainerCreated EventType = "created"
	ContainerStarted EventType = "started"
	ContainerStopped EventType = "stopped"
	ContainerDeleted EventType = "deleted"
	// RuntimeUnreachable: the watch lost the runtime (a listing failed, or
	// the event stream broke). The watch goes on, re-opening and
	// re-listing, but whoever relies on the runtime should know now, not
	// at its next call.
	RuntimeUnreachable EventType = "runtime-unreachable"
)

// Event is one container lifecycle change. Events are hints delivered at
// least once: re-read the container with ContainerByID before acting.
type Event struct {
	Type         EventType
	ContainerID  string
	PodSandboxID string // empty when the runtime did not say
	// Time is the runtime's time for a streamed event, the time the change
	// was noticed for a polled one.
	Time time.Time
}

// IsSandbox reports whether the event is about a pod sandbox itself
// (containerd sends sandbox lifecycle events with the sandbox ID as the
// container ID).
func (e Event) IsSandbox() bool {
	return e.ContainerID != "" && e.ContainerID == e.PodSandboxID
}

// Snapshot is one consistent listing of a runtime.
type Snapshot struct {
	Runtime    Info
	Sandboxes  []Sandbox
	Containers []Container
	// Others are the IDs of the sandboxes and containers the runtime
	// listed but the snapshot leaves out (not ready, not running): created
	// and not started yet, or stopping. Their processes are the runtime's.
	Others []string
}
