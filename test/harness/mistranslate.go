package harness

import (
	"fmt"
	"sort"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// A Mistranslation changes one field of the CRI configs the launcher sends,
// always toward more privilege, to simulate a faulty or compromised node
// component (kubelet, CRI shim). The pod manifest stays as declared, so the
// auditor should see a divergence between the manifest and the kernel.
type Mistranslation struct {
	Field       string
	Description string
	// NeedsUserNamespaces: the field only exists on a runtime that runs
	// user-namespaced pods (containerd 2, runc 1.2 or later).
	NeedsUserNamespaces bool
	apply               func(sb *runtimeapi.PodSandboxConfig, c *runtimeapi.ContainerConfig)
}

func nsOpts(sc **runtimeapi.NamespaceOption) *runtimeapi.NamespaceOption {
	if *sc == nil {
		*sc = &runtimeapi.NamespaceOption{Pid: runtimeapi.NamespaceMode_CONTAINER}
	}
	return *sc
}

func sandboxNS(sb *runtimeapi.PodSandboxConfig) *runtimeapi.NamespaceOption {
	return nsOpts(&sb.Linux.SecurityContext.NamespaceOptions)
}

var mistranslations = map[string]Mistranslation{
	"runAsUser": {Description: "container runs as UID 0 whatever runAsUser says",
		apply: func(_ *runtimeapi.PodSandboxConfig, c *runtimeapi.ContainerConfig) {
			sc := c.Linux.SecurityContext
			sc.RunAsUser, sc.RunAsUsername = &runtimeapi.Int64Value{Value: 0}, ""
		}},
	"runAsNonRoot": {Description: "the runAsNonRoot check is skipped and the container runs as UID 0",
		apply: func(_ *runtimeapi.PodSandboxConfig, c *runtimeapi.ContainerConfig) {
			sc := c.Linux.SecurityContext
			sc.RunAsUser, sc.RunAsUsername = &runtimeapi.Int64Value{Value: 0}, ""
		}},
	"runAsGroup": {Description: "container runs with GID 0 whatever runAsGroup says",
		apply: func(_ *runtimeapi.PodSandboxConfig, c *runtimeapi.ContainerConfig) {
			c.Linux.SecurityContext.RunAsGroup = &runtimeapi.Int64Value{Value: 0}
		}},
	"supplementalGroups": {Description: "group 0 (root) is added to the supplemental groups",
		apply: func(_ *runtimeapi.PodSandboxConfig, c *runtimeapi.ContainerConfig) {
			sc := c.Linux.SecurityContext
			sc.SupplementalGroups = append(sc.SupplementalGroups, 0)
		}},
	"capabilities": {Description: "SYS_ADMIN is added and nothing is dropped",
		apply: func(_ *runtimeapi.PodSandboxConfig, c *runtimeapi.ContainerConfig) {
			sc := c.Linux.SecurityContext
			var add []string
			if sc.Capabilities != nil {
				add = sc.Capabilities.AddCapabilities
			}
			sc.Capabilities = &runtimeapi.Capability{AddCapabilities: append(add, "SYS_ADMIN"), DropCapabilities: []string{}}
		}},
	"allowPrivilegeEscalation": {Description: "no_new_privs is not set",
		apply: func(_ *runtimeapi.PodSandboxConfig, c *runtimeapi.ContainerConfig) {
			c.Linux.SecurityContext.NoNewPrivs = false
		}},
	"privileged": {Description: "container and sandbox run privileged",
		apply: func(sb *runtimeapi.PodSandboxConfig, c *runtimeapi.ContainerConfig) {
			sb.Linux.SecurityContext.Privileged = true
			if c != nil {
				c.Linux.SecurityContext.Privileged = true
			}
		}},
	"readOnlyRootFilesystem": {Description: "root filesystem is mounted read-write",
		apply: func(_ *runtimeapi.PodSandboxConfig, c *runtimeapi.ContainerConfig) {
			c.Linux.SecurityContext.ReadonlyRootfs = false
		}},
	"hostNetwork": {Description: "pod joins the node's network namespace",
		apply: func(sb *runtimeapi.PodSandboxConfig, c *runtimeapi.ContainerConfig) {
			sandboxNS(sb).Network = runtimeapi.NamespaceMode_NODE
			sb.Hostname = "" // as for a real hostNetwork pod: the node's UTS namespace
			if c != nil {
				nsOpts(&c.Linux.SecurityContext.NamespaceOptions).Network = runtimeapi.NamespaceMode_NODE
			}
		}},
	"hostPID": {Description: "pod joins the node's PID namespace",
		apply: func(sb *runtimeapi.PodSandboxConfig, c *runtimeapi.ContainerConfig) {
			sandboxNS(sb).Pid = runtimeapi.NamespaceMode_NODE
			if c != nil {
				nsOpts(&c.Linux.SecurityContext.NamespaceOptions).Pid = runtimeapi.NamespaceMode_NODE
			}
		}},
	"hostIPC": {Description: "pod joins the node's IPC namespace",
		apply: func(sb *runtimeapi.PodSandboxConfig, c *runtimeapi.ContainerConfig) {
			sandboxNS(sb).Ipc = runtimeapi.NamespaceMode_NODE
			if c != nil {
				nsOpts(&c.Linux.SecurityContext.NamespaceOptions).Ipc = runtimeapi.NamespaceMode_NODE
			}
		}},
	"hostUsers": {Description: "pod shares the node's user namespace: root inside is root on the node",
		NeedsUserNamespaces: true,
		apply: func(sb *runtimeapi.PodSandboxConfig, c *runtimeapi.ContainerConfig) {
			sandboxNS(sb).UsernsOptions = &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_NODE}
			if c != nil {
				nsOpts(&c.Linux.SecurityContext.NamespaceOptions).UsernsOptions = &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_NODE}
				for _, m := range c.Mounts {
					m.UidMappings, m.GidMappings = nil, nil
				}
			}
		}},
	"seccomp": {Description: "container runs Unconfined instead of its seccomp profile",
		apply: func(_ *runtimeapi.PodSandboxConfig, c *runtimeapi.ContainerConfig) {
			c.Linux.SecurityContext.Seccomp = &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Unconfined}
		}},
	"procMount": {Description: "no /proc paths are masked or read-only",
		apply: func(_ *runtimeapi.PodSandboxConfig, c *runtimeapi.ContainerConfig) {
			c.Linux.SecurityContext.MaskedPaths = []string{}
			c.Linux.SecurityContext.ReadonlyPaths = []string{}
		}},
}

// sandboxLevel lists the fields whose mistranslation also changes the
// sandbox config.
var sandboxLevel = map[string]bool{"privileged": true, "hostNetwork": true, "hostPID": true, "hostIPC": true, "hostUsers": true}

// MistranslationFields lists the fields WithMistranslation accepts on any
// lab runtime, sorted; UsernsMistranslationFields lists the others.
func MistranslationFields() []string { return fieldsWhere(false) }

// UsernsMistranslationFields lists the fields that need a runtime with
// user namespaces (Mistranslation.NeedsUserNamespaces), sorted.
func UsernsMistranslationFields() []string { return fieldsWhere(true) }

func fieldsWhere(userns bool) []string {
	var out []string
	for k, m := range mistranslations {
		if m.NeedsUserNamespaces == userns {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// LookupMistranslation returns the named mistranslation or an error naming
// the valid fields.
func LookupMistranslation(field string) (Mistranslation, error) {
	m, ok := mistranslations[field]
	if !ok {
		return Mistranslation{}, fmt.Errorf("harness: unknown mistranslation field %q (want one of %s)", field, strings.Join(append(MistranslationFields(), UsernsMistranslationFields()...), ", "))
	}
	m.Field = field
	return m, nil
}
