package harness

// The kubelet's Pod → CRI translation, re-implemented from reading
// k8s.io/kubernetes v1.37.2 (never copied). Each function names the kubelet
// code it follows. This file: the node, the pod-level merge, namespaces,
// groups and the sandbox config.

import (
	"fmt"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// Labels the kubelet writes on sandboxes and containers
// (k8s.io/kubelet/pkg/types/labels.go).
const (
	LabelPodName       = "io.kubernetes.pod.name"
	LabelPodNamespace  = "io.kubernetes.pod.namespace"
	LabelPodUID        = "io.kubernetes.pod.uid"
	LabelContainerName = "io.kubernetes.container.name"
)

// Node describes the kubelet settings that shape the translation.
type Node struct {
	// CgroupParent is the cgroupfs parent under which pod cgroups go
	// ("<parent>/pod<uid>", as the kubelet's cgroupfs driver names them).
	CgroupParent string
	// PodLogsDir replaces /var/log/pods.
	PodLogsDir string
	// SeccompDefault is the kubelet's --seccomp-default: RuntimeDefault when a
	// pod sets no profile. Off by default, as in the kubelet.
	SeccompDefault bool
	// SeccompProfileRoot replaces /var/lib/kubelet/seccomp for Localhost profiles.
	SeccompProfileRoot string
	// MemoryCapacity in bytes, for the burstable oom_score_adj heuristic.
	MemoryCapacity int64
	// UserNamespace is the kubelet's GetOrCreateUserNamespaceMappings for
	// a pod with hostUsers: false: its ID mappings in mode POD, or the
	// reason the runtime cannot run it. Nil: hostUsers: false is refused
	// (a runtime without user namespaces, such as containerd 1.6).
	UserNamespace func(pod *corev1.Pod) (*runtimeapi.UserNamespace, error)
}

// ImageUser is what CRI ImageStatus reports as the image's user
// (kuberuntime/helpers.go getImageUser): a numeric UID, a name, or neither
// (then the kubelet assumes root).
type ImageUser struct {
	UID      *int64
	Username string
}

// effectiveSecurityContext merges the pod security context into the
// container's, field by field, container winning
// (pkg/securitycontext/util.go DetermineEffectiveSecurityContext). Only
// seLinuxOptions, windowsOptions, runAsUser, runAsGroup and runAsNonRoot are
// inherited from the pod; capabilities, privileged, readOnlyRootFilesystem,
// allowPrivilegeEscalation and procMount come from the container only.
// seccompProfile and appArmorProfile are resolved separately.
func effectiveSecurityContext(pod *corev1.Pod, c *corev1.Container) *corev1.SecurityContext {
	var eff *corev1.SecurityContext
	if psc := pod.Spec.SecurityContext; psc != nil {
		eff = &corev1.SecurityContext{
			SELinuxOptions: psc.SELinuxOptions.DeepCopy(),
			WindowsOptions: psc.WindowsOptions.DeepCopy(),
			RunAsUser:      cloneInt64(psc.RunAsUser),
			RunAsGroup:     cloneInt64(psc.RunAsGroup),
			RunAsNonRoot:   cloneBool(psc.RunAsNonRoot),
		}
	}
	csc := c.SecurityContext
	switch {
	case eff == nil && csc == nil:
		return &corev1.SecurityContext{}
	case csc == nil:
		return eff
	case eff == nil:
		return csc.DeepCopy()
	}
	if csc.SELinuxOptions != nil {
		eff.SELinuxOptions = csc.SELinuxOptions.DeepCopy()
	}
	if csc.Capabilities != nil {
		eff.Capabilities = csc.Capabilities.DeepCopy()
	}
	if csc.Privileged != nil {
		eff.Privileged = cloneBool(csc.Privileged)
	}
	if csc.RunAsUser != nil {
		eff.RunAsUser = cloneInt64(csc.RunAsUser)
	}
	if csc.RunAsGroup != nil {
		eff.RunAsGroup = cloneInt64(csc.RunAsGroup)
	}
	if csc.RunAsNonRoot != nil {
		eff.RunAsNonRoot = cloneBool(csc.RunAsNonRoot)
	}
	if csc.ReadOnlyRootFilesystem != nil {
		eff.ReadOnlyRootFilesystem = cloneBool(csc.ReadOnlyRootFilesystem)
	}
	if csc.AllowPrivilegeEscalation != nil {
		eff.AllowPrivilegeEscalation = cloneBool(csc.AllowPrivilegeEscalation)
	}
	if csc.ProcMount != nil {
		pm := *csc.ProcMount
		eff.ProcMount = &pm
	}
	return eff
}

func cloneInt64(p *int64) *int64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneBool(p *bool) *bool {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// namespaceOptions follows kuberuntime/util/util.go NamespacesForPod: IPC and
// network are NODE for hostIPC/hostNetwork else POD; PID is NODE for hostPID,
// POD for shareProcessNamespace, else CONTAINER. With UserNamespacesSupport
// (GA) and hostUsers unset or true, the user namespace mode is NODE; with
// hostUsers: false it is POD with the pod's ID mappings (node.UserNamespace),
// and the API server's validateHostUsers forbids the host namespaces.
func namespaceOptions(pod *corev1.Pod, node Node) (*runtimeapi.NamespaceOption, error) {
	userns := &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_NODE}
	if wantsUserNamespace(pod) {
		for _, f := range []struct {
			name string
			set  bool
		}{{"hostNetwork", pod.Spec.HostNetwork}, {"hostPID", pod.Spec.HostPID}, {"hostIPC", pod.Spec.HostIPC}} {
			if f.set {
				return nil, fmt.Errorf("spec.%s: Forbidden: when `hostUsers` is false", f.name)
			}
		}
		if node.UserNamespace == nil {
			return nil, fmt.Errorf("%w (containerd 1.6 has none: use containerd 2 and runc 1.2 or later)", ErrNoUserNamespaces)
		}
		var err error
		if userns, err = node.UserNamespace(pod); err != nil {
			return nil, err
		}
	}
	ns := &runtimeapi.NamespaceOption{
		Network:       runtimeapi.NamespaceMode_POD,
		Pid:           runtimeapi.NamespaceMode_CONTAINER,
		Ipc:           runtimeapi.NamespaceMode_POD,
		UsernsOptions: userns,
	}
	if pod.Spec.HostNetwork {
		ns.Network = runtimeapi.NamespaceMode_NODE
	}
	if pod.Spec.HostIPC {
		ns.Ipc = runtimeapi.NamespaceMode_NODE
	}
	if pod.Spec.HostPID {
		ns.Pid = runtimeapi.NamespaceMode_NODE
	} else if pod.Spec.ShareProcessNamespace != nil && *pod.Spec.ShareProcessNamespace {
		ns.Pid = runtimeapi.NamespaceMode_POD
	}
	return ns, nil
}

// podSupplementalGroups: fsGroup first, then supplementalGroups
// (kuberuntime/security_context.go and kuberuntime_sandbox.go). Groups from
// volume GID annotations (GetExtraSupplementalGroupsForPod) never apply here:
// the harness has no persistent volumes.
func podSupplementalGroups(psc *corev1.PodSecurityContext) ([]int64, runtimeapi.SupplementalGroupsPolicy, error) {
	if psc == nil {
		return nil, runtimeapi.SupplementalGroupsPolicy_Merge, nil
	}
	var groups []int64
	if psc.FSGroup != nil {
		groups = append(groups, *psc.FSGroup)
	}
	groups = append(groups, psc.SupplementalGroups...)
	policy := runtimeapi.SupplementalGroupsPolicy_Merge
	if psc.SupplementalGroupsPolicy != nil {
		v, ok := runtimeapi.SupplementalGroupsPolicy_value[string(*psc.SupplementalGroupsPolicy)]
		if !ok {
			return nil, 0, fmt.Errorf("unsupported supplementalGroupsPolicy: %s", *psc.SupplementalGroupsPolicy)
		}
		policy = runtimeapi.SupplementalGroupsPolicy(v)
	}
	return groups, policy, nil
}

// hasPrivilegedContainer: any init, regular or ephemeral container with
// privileged: true makes the sandbox privileged (kubelet/container/helpers.go).
func hasPrivilegedContainer(pod *corev1.Pod) bool {
	priv := func(sc *corev1.SecurityContext) bool {
		return sc != nil && sc.Privileged != nil && *sc.Privileged
	}
	for _, c := range pod.Spec.InitContainers {
		if priv(c.SecurityContext) {
			return true
		}
	}
	for _, c := range pod.Spec.Containers {
		if priv(c.SecurityContext) {
			return true
		}
	}
	for _, c := range pod.Spec.EphemeralContainers {
		if priv(c.SecurityContext) {
			return true
		}
	}
	return false
}

// SandboxConfig builds the PodSandboxConfig the kubelet would send
// (kuberuntime/kuberuntime_sandbox.go generatePodSandboxConfig and
// generatePodSandboxLinuxConfig). pod must have its namespace and UID set.
func SandboxConfig(pod *corev1.Pod, node Node) (*runtimeapi.PodSandboxConfig, error) {
	uid := string(pod.UID)
	cfg := &runtimeapi.PodSandboxConfig{
		Metadata:     &runtimeapi.PodSandboxMetadata{Name: pod.Name, Namespace: pod.Namespace, Uid: uid},
		Labels:       podLabels(pod),
		Annotations:  copyMap(pod.Annotations),
		DnsConfig:    &runtimeapi.DNSConfig{},
		LogDirectory: filepath.Join(node.PodLogsDir, pod.Namespace+"_"+pod.Name+"_"+uid),
	}
	if !pod.Spec.HostNetwork {
		cfg.Hostname = podHostname(pod)
	}
	for _, c := range pod.Spec.Containers {
		for _, p := range c.Ports {
			cfg.PortMappings = append(cfg.PortMappings, &runtimeapi.PortMapping{
				Protocol:      protocol(p.Protocol),
				ContainerPort: p.ContainerPort,
				HostPort:      p.HostPort,
				HostIp:        p.HostIP,
			})
		}
	}
	lsc := &runtimeapi.LinuxSandboxSecurityContext{
		Privileged: hasPrivilegedContainer(pod),
		// The kubelet always runs the sandbox under runtime/default.
		Seccomp: &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault},
	}
	lc := &runtimeapi.LinuxPodSandboxConfig{
		CgroupParent:    podCgroupParent(node, uid),
		SecurityContext: lsc,
		Sysctls:         map[string]string{},
	}
	if psc := pod.Spec.SecurityContext; psc != nil {
		for _, s := range psc.Sysctls {
			lc.Sysctls[s.Name] = s.Value
		}
		if psc.RunAsUser != nil {
			lsc.RunAsUser = &runtimeapi.Int64Value{Value: *psc.RunAsUser}
		}
		if psc.RunAsGroup != nil {
			lsc.RunAsGroup = &runtimeapi.Int64Value{Value: *psc.RunAsGroup}
		}
		ns, err := namespaceOptions(pod, node)
		if err != nil {
			return nil, err
		}
		lsc.NamespaceOptions = ns
		groups, policy, err := podSupplementalGroups(psc)
		if err != nil {
			return nil, err
		}
		lsc.SupplementalGroups = groups
		lsc.SupplementalGroupsPolicy = policy
		if o := psc.SELinuxOptions; o != nil {
			lsc.SelinuxOptions = &runtimeapi.SELinuxOption{User: o.User, Role: o.Role, Type: o.Type, Level: o.Level}
		}
	}
	cfg.Linux = lc
	return cfg, nil
}

func podCgroupParent(node Node, uid string) string {
	if node.CgroupParent == "" {
		return ""
	}
	return node.CgroupParent + "/pod" + uid
}

func protocol(p corev1.Protocol) runtimeapi.Protocol {
	switch p {
	case corev1.ProtocolUDP:
		return runtimeapi.Protocol_UDP
	case corev1.ProtocolSCTP:
		return runtimeapi.Protocol_SCTP
	}
	return runtimeapi.Protocol_TCP
}

func podLabels(pod *corev1.Pod) map[string]string {
	l := copyMap(pod.Labels)
	if l == nil {
		l = map[string]string{}
	}
	l[LabelPodName] = pod.Name
	l[LabelPodNamespace] = pod.Namespace
	l[LabelPodUID] = string(pod.UID)
	return l
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
