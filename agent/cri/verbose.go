package cri

import (
	"encoding/json"
	"fmt"

	jsoniter "github.com/json-iterator/go"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// infoKey is the key of the verbose status map under which containerd and
// CRI-O both put their JSON document.
const infoKey = "info"

// containerInfo is the union of the verbose container documents:
//
//	containerd 1.6 and 2.x: sandboxID, pid, removing, snapshotKey, snapshotter,
//	  runtimeType, runtimeOptions, config (CRI ContainerConfig), runtimeSpec
//	CRI-O: sandboxID, pid, runtimeSpec, privileged (+ checkpointedAt, restored)
type containerInfo struct {
	SandboxID   string          `json:"sandboxID"`
	PID         int             `json:"pid"`
	Privileged  *bool           `json:"privileged"`
	Config      json.RawMessage `json:"config"`
	RuntimeSpec json.RawMessage `json:"runtimeSpec"`
}

// sandboxInfo is the union of the verbose sandbox documents:
//
//	containerd: pid, processStatus, netNamespaceClosed, image, snapshotKey,
//	  snapshotter, runtimeHandler, runtimeType, runtimeOptions,
//	  config (CRI PodSandboxConfig), runtimeSpec, cniResult, sandboxMetadata
//	CRI-O: image, pid, runtimeSpec; only runtimeSpec without an infra
//	  container (drop_infra_ctr)
type sandboxInfo struct {
	PID         int             `json:"pid"`
	Config      json.RawMessage `json:"config"`
	RuntimeSpec json.RawMessage `json:"runtimeSpec"`
}

// containerDoc and sandboxDoc decode a whole document in one pass, the
// common case; containerInfo and sandboxInfo decode it part by part when
// that fails, to keep what can be read. The runtimes marshal the CRI config
// Go structs with encoding/json, so their snake_case struct tags, not
// protojson's camelCase, are the format.
type containerDoc struct {
	SandboxID   string                      `json:"sandboxID"`
	PID         int                         `json:"pid"`
	Privileged  *bool                       `json:"privileged"`
	Config      *runtimeapi.ContainerConfig `json:"config"`
	RuntimeSpec *specDoc                    `json:"runtimeSpec"`
}

type sandboxDoc struct {
	PID         int                          `json:"pid"`
	Config      *runtimeapi.PodSandboxConfig `json:"config"`
	RuntimeSpec *sandboxSpecDoc              `json:"runtimeSpec"`
}

// sandboxSpecDoc decodes the SandboxSpec of a sandbox's runtime spec, and
// only tells whether the parts that make a spec non-empty (as parseSpec
// judges it) are there.
type sandboxSpecDoc struct {
	SandboxSpec
	Process json.RawMessage   `json:"process"`
	Root    json.RawMessage   `json:"root"`
	Mounts  []json.RawMessage `json:"mounts"`
}

// spec is the decoded SandboxSpec; nil for an absent or empty spec.
func (d *sandboxSpecDoc) spec() *SandboxSpec {
	if d == nil {
		return nil
	}
	if !isSet(d.Process) && !isSet(d.Root) && d.Linux == nil && len(d.Mounts) == 0 {
		return nil
	}
	return &d.SandboxSpec
}

// parseSandboxSpec decodes a sandbox's runtime spec; absent, null or {}
// give nil.
func parseSandboxSpec(raw json.RawMessage) (*SandboxSpec, error) {
	if !isSet(raw) {
		return nil, nil
	}
	doc := &sandboxSpecDoc{}
	if err := json.Unmarshal(raw, doc); err != nil {
		return nil, err
	}
	return doc.spec(), nil
}

// fastJSON decodes the one-pass documents: json-iterator in its
// standard-library mode is about 3 times cheaper in CPU than
// encoding/json on a container's status (290 -> 100 us: CPU time of
// go test -bench ParseContainerInfo ./agent/cri), the largest decoding of
// a scan (one per container and sandbox). The runtimes' documents are
// their own encoding/json output; anything it rejects is decoded again
// part by part with encoding/json, which also names the bad part.
// TestParseInfoOnePassMatchesPartByPart holds the two decodings equal.
var fastJSON = jsoniter.ConfigCompatibleWithStandardLibrary

// verboseContainer is what the verbose container status adds.
type verboseContainer struct {
	SandboxID  string
	PID        int
	Privileged *bool
	Config     *runtimeapi.ContainerConfig
	Spec       *specs.Spec
}

// verboseSandbox is what the verbose sandbox status adds.
type verboseSandbox struct {
	PID    int
	Config *runtimeapi.PodSandboxConfig
	Spec   *SandboxSpec
}

// parseContainerInfo reads the verbose info map of a ContainerStatus. A map
// without the info document yields a zero result; a document that does not
// parse yields what could be read and an error naming the bad part.
func parseContainerInfo(info map[string]string) (verboseContainer, error) {
	var out verboseContainer
	doc, ok := info[infoKey]
	if !ok || doc == "" {
		return out, nil
	}
	var fast containerDoc
	if fastJSON.UnmarshalFromString(doc, &fast) == nil {
		out.SandboxID, out.PID, out.Privileged = fast.SandboxID, fast.PID, fast.Privileged
		out.Config, out.Spec = fast.Config, fast.RuntimeSpec.spec()
		return out, nil
	}
	// Something does not parse: decode part by part to keep what can be
	// read and to name the bad part.
	var ci containerInfo
	if err := json.Unmarshal([]byte(doc), &ci); err != nil {
		return out, fmt.Errorf("verbose container info: %w", err)
	}
	out.SandboxID, out.PID, out.Privileged = ci.SandboxID, ci.PID, ci.Privileged
	var errs []error
	if isSet(ci.Config) {
		// The runtimes marshal the Go struct with encoding/json, so its
		// snake_case struct tags, not protojson's camelCase, are the format.
		cfg := &runtimeapi.ContainerConfig{}
		if err := json.Unmarshal(ci.Config, cfg); err != nil {
			errs = append(errs, fmt.Errorf("verbose container info \"config\": %w", err))
		} else {
			out.Config = cfg
		}
	}
	spec, err := parseSpec(ci.RuntimeSpec)
	if err != nil {
		errs = append(errs, fmt.Errorf("verbose container info \"runtimeSpec\": %w", err))
	}
	out.Spec = spec
	return out, joinErrors(errs)
}

// parseSandboxInfo reads the verbose info map of a PodSandboxStatus.
func parseSandboxInfo(info map[string]string) (verboseSandbox, error) {
	var out verboseSandbox
	doc, ok := info[infoKey]
	if !ok || doc == "" {
		return out, nil
	}
	var fast sandboxDoc
	if fastJSON.UnmarshalFromString(doc, &fast) == nil {
		out.PID, out.Config, out.Spec = fast.PID, fast.Config, fast.RuntimeSpec.spec()
		return out, nil
	}
	var si sandboxInfo
	if err := json.Unmarshal([]byte(doc), &si); err != nil {
		return out, fmt.Errorf("verbose sandbox info: %w", err)
	}
	out.PID = si.PID
	var errs []error
	if isSet(si.Config) {
		cfg := &runtimeapi.PodSandboxConfig{}
		if err := json.Unmarshal(si.Config, cfg); err != nil {
			errs = append(errs, fmt.Errorf("verbose sandbox info \"config\": %w", err))
		} else {
			out.Config = cfg
		}
	}
	spec, err := parseSandboxSpec(si.RuntimeSpec)
	if err != nil {
		errs = append(errs, fmt.Errorf("verbose sandbox info \"runtimeSpec\": %w", err))
	}
	out.Spec = spec
	return out, joinErrors(errs)
}

// parseSpec decodes an OCI runtime spec; absent, null or {} give nil (CRI-O
// marshals an empty spec.Spec for a sandbox without infra container).
//
// The syscall names of the seccomp rules are skipped: they are more than
// half of a runtime's document, and nothing judges them (the kernel's
// Seccomp mode and filter count are the truth); skipping them makes the
// whole verbose status about 2.5 times cheaper to decode. Every other field,
// the rules' actions and arguments included, is kept.
func parseSpec(raw json.RawMessage) (*specs.Spec, error) {
	if !isSet(raw) {
		return nil, nil
	}
	doc := &specDoc{}
	if err := json.Unmarshal(raw, doc); err != nil {
		return nil, err
	}
	return doc.spec(), nil
}

// spec is the decoded spec; nil for an absent or empty one.
func (d *specDoc) spec() *specs.Spec {
	if d == nil {
		return nil
	}
	spec := &d.Spec
	if d.Linux != nil {
		spec.Linux = &d.Linux.Linux
		spec.Linux.Seccomp = d.Linux.Seccomp.spec()
	}
	if spec.Process == nil && spec.Root == nil && spec.Linux == nil && len(spec.Mounts) == 0 {
		return nil
	}
	return spec
}

// specDoc is specs.Spec with linux.seccomp decoded without syscall names
// (the outer fields shadow the embedded ones of the same JSON name).
type specDoc struct {
	specs.Spec
	Linux *linuxDoc `json:"linux"`
}

type linuxDoc struct {
	specs.Linux
	Seccomp *seccompDoc `json:"seccomp"`
}

type seccompDoc struct {
	DefaultAction    specs.LinuxSeccompAction `json:"defaultAction"`
	DefaultErrnoRet  *uint                    `json:"defaultErrnoRet"`
	Architectures    []specs.Arch             `json:"architectures"`
	Flags            []specs.LinuxSeccompFlag `json:"flags"`
	ListenerPath     string                   `json:"listenerPath"`
	ListenerMetadata string                   `json:"listenerMetadata"`
	Syscalls         []syscallDoc             `json:"syscalls"`
}

// syscallDoc is a seccomp rule without its names.
type syscallDoc struct {
	Action   specs.LinuxSeccompAction `json:"action"`
	ErrnoRet *uint                    `json:"errnoRet"`
	Args     []specs.LinuxSeccompArg  `json:"args"`
}

func (d *seccompDoc) spec() *specs.LinuxSeccomp {
	if d == nil {
		return nil
	}
	sc := &specs.LinuxSeccomp{
		DefaultAction: d.DefaultAction, DefaultErrnoRet: d.DefaultErrnoRet,
		Architectures: d.Architectures, Flags: d.Flags,
		ListenerPath: d.ListenerPath, ListenerMetadata: d.ListenerMetadata,
	}
	if d.Syscalls != nil {
		sc.Syscalls = make([]specs.LinuxSyscall, len(d.Syscalls))
		for i, r := range d.Syscalls {
			sc.Syscalls[i] = specs.LinuxSyscall{Action: r.Action, ErrnoRet: r.ErrnoRet, Args: r.Args}
		}
	}
	return sc
}

// isSet reports whether raw holds a value other than null.
func isSet(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}
