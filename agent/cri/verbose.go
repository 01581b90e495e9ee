package cri

import (
	"encoding/json"
	"fmt"

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
	Spec   *specs.Spec
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
	spec, err := parseSpec(si.RuntimeSpec)
	if err != nil {
		errs = append(errs, fmt.Errorf("verbose sandbox info \"runtimeSpec\": %w", err))
	}
	out.Spec = spec
	return out, joinErrors(errs)
}

// parseSpec decodes an OCI runtime spec; absent, null or {} give nil (CRI-O
// marshals an empty spec.Spec for a sandbox without infra container).
func parseSpec(raw json.RawMessage) (*specs.Spec, error) {
	if !isSet(raw) {
		return nil, nil
	}
	spec := &specs.Spec{}
	if err := json.Unmarshal(raw, spec); err != nil {
		return nil, err
	}
	if spec.Process == nil && spec.Root == nil && spec.Linux == nil && len(spec.Mounts) == 0 {
		return nil, nil
	}
	return spec, nil
}

// isSet reports whether raw holds a value other than null.
func isSet(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}
