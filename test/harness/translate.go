package harness

// The kubelet's Pod → CRI translation, re-implemented from reading
// k8s.io/kubernetes v1.37.2 (never copied). Each function names the kubelet
// code it follows.

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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

// verifyRunAsNonRoot refuses a container the kubelet would refuse
// (kuberuntime/security_context_others.go verifyRunAsNonRoot).
func verifyRunAsNonRoot(eff *corev1.SecurityContext, img ImageUser) error {
	if eff.RunAsNonRoot == nil || !*eff.RunAsNonRoot {
		return nil
	}
	if eff.RunAsUser != nil {
		if *eff.RunAsUser == 0 {
			return errors.New("container's runAsUser breaks non-root policy")
		}
		return nil
	}
	switch {
	case img.UID == nil && img.Username != "":
		return fmt.Errorf("container has runAsNonRoot and image has non-numeric user (%s), cannot verify user is non-root", img.Username)
	case img.UID != nil && *img.UID == 0:
		return errors.New("container has runAsNonRoot and image will run as root")
	}
	return nil
}

// seccompProfile: the container's seccompProfile, else the pod's, else
// RuntimeDefault with --seccomp-default or Unconfined without
// (kuberuntime/helpers.go getSeccompProfile, fieldSeccompProfile).
func seccompProfile(pod *corev1.Pod, c *corev1.Container, node Node) (*runtimeapi.SecurityProfile, error) {
	var p *corev1.SeccompProfile
	if c.SecurityContext != nil && c.SecurityContext.SeccompProfile != nil {
		p = c.SecurityContext.SeccompProfile
	} else if pod.Spec.SecurityContext != nil && pod.Spec.SecurityContext.SeccompProfile != nil {
		p = pod.Spec.SecurityContext.SeccompProfile
	}
	if p == nil {
		if node.SeccompDefault {
			return &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault}, nil
		}
		return &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Unconfined}, nil
	}
	switch p.Type {
	case corev1.SeccompProfileTypeRuntimeDefault:
		return &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault}, nil
	case corev1.SeccompProfileTypeLocalhost:
		if p.LocalhostProfile == nil || *p.LocalhostProfile == "" {
			return nil, errors.New("localhostProfile must be set if seccompProfile type is Localhost")
		}
		root := node.SeccompProfileRoot
		if root == "" {
			root = "/var/lib/kubelet/seccomp"
		}
		return &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Localhost, LocalhostRef: filepath.Join(root, *p.LocalhostProfile)}, nil
	}
	return &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Unconfined}, nil
}

// appArmorProfile: container field, else pod field (kuberuntime/helpers.go
// getAppArmorProfile; the annotation form is not supported here).
func appArmorProfile(pod *corev1.Pod, c *corev1.Container) (*runtimeapi.SecurityProfile, string) {
	var p *corev1.AppArmorProfile
	if c.SecurityContext != nil && c.SecurityContext.AppArmorProfile != nil {
		p = c.SecurityContext.AppArmorProfile
	} else if pod.Spec.SecurityContext != nil && pod.Spec.SecurityContext.AppArmorProfile != nil {
		p = pod.Spec.SecurityContext.AppArmorProfile
	}
	if p == nil {
		return nil, ""
	}
	switch p.Type {
	case corev1.AppArmorProfileTypeRuntimeDefault:
		return &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault}, corev1.DeprecatedAppArmorBetaProfileRuntimeDefault
	case corev1.AppArmorProfileTypeLocalhost:
		name := ""
		if p.LocalhostProfile != nil {
			name = *p.LocalhostProfile
		}
		return &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Localhost, LocalhostRef: name}, corev1.DeprecatedAppArmorBetaProfileNamePrefix + name
	}
	return &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_Unconfined}, corev1.DeprecatedAppArmorBetaProfileNameUnconfined
}

// defaultReadonlyPaths and maskedPaths follow pkg/securitycontext/util.go:
// with procMount Unmasked both lists are empty, otherwise the defaults.
var defaultReadonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}

func maskedPaths(pm *corev1.ProcMountType) []string {
	if pm != nil && *pm == corev1.UnmaskedProcMount {
		return []string{}
	}
	paths := []string{"/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		"/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"}
	for _, cpu := range possibleCPUs() {
		p := fmt.Sprintf("/sys/devices/system/cpu/cpu%d/thermal_throttle", cpu)
		if _, err := os.Stat(p); err == nil {
			paths = append(paths, p)
		}
	}
	return paths
}

func readonlyPaths(pm *corev1.ProcMountType) []string {
	if pm != nil && *pm == corev1.UnmaskedProcMount {
		return []string{}
	}
	return append([]string(nil), defaultReadonlyPaths...)
}

// possibleCPUs parses /sys/devices/system/cpu/possible ("0-3,5").
func possibleCPUs() []int {
	data, err := os.ReadFile("/sys/devices/system/cpu/possible")
	if err != nil {
		return nil
	}
	var cpus []int
	for _, part := range strings.Split(strings.TrimSpace(string(data)), ",") {
		lo, hi, found := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			continue
		}
		b := a
		if found {
			if b, err = strconv.Atoi(hi); err != nil {
				continue
			}
		}
		for i := a; i <= b; i++ {
			cpus = append(cpus, i)
		}
	}
	return cpus
}

// ContainerSecurityContext builds the LinuxContainerSecurityContext the
// kubelet would send (kuberuntime/security_context.go
// determineEffectiveSecurityContext):
//   - capabilities are passed through verbatim (no CAP_ prefix handling,
//     no upper-casing: the runtime normalises), privileged and
//     readonlyRootfs from the merged context;
//   - runAsUser/runAsGroup from the merged context; with no runAsUser the
//     image's UID (0 when the image names none) or its user name;
//   - supplemental groups: pod fsGroup, then pod supplementalGroups, and
//     the pod's supplementalGroupsPolicy;
//   - no_new_privs = !allowPrivilegeEscalation when that is set, else false;
//   - masked and readonly /proc paths: defaults unless procMount Unmasked;
//   - seccomp: container, then pod, then the node default;
//   - namespace options as for the sandbox.
func ContainerSecurityContext(pod *corev1.Pod, c *corev1.Container, img ImageUser, node Node) (*runtimeapi.LinuxContainerSecurityContext, error) {
	eff := effectiveSecurityContext(pod, c)
	if err := verifyRunAsNonRoot(eff, img); err != nil {
		return nil, err
	}
	sc := &runtimeapi.LinuxContainerSecurityContext{}
	if caps := eff.Capabilities; caps != nil {
		sc.Capabilities = &runtimeapi.Capability{AddCapabilities: []string{}, DropCapabilities: []string{}}
		for _, v := range caps.Add {
			sc.Capabilities.AddCapabilities = append(sc.Capabilities.AddCapabilities, string(v))
		}
		for _, v := range caps.Drop {
			sc.Capabilities.DropCapabilities = append(sc.Capabilities.DropCapabilities, string(v))
		}
	}
	if o := eff.SELinuxOptions; o != nil {
		sc.SelinuxOptions = &runtimeapi.SELinuxOption{User: o.User, Role: o.Role, Type: o.Type, Level: o.Level}
	}
	if eff.RunAsUser != nil {
		sc.RunAsUser = &runtimeapi.Int64Value{Value: *eff.RunAsUser}
	}
	if eff.RunAsGroup != nil {
		sc.RunAsGroup = &runtimeapi.Int64Value{Value: *eff.RunAsGroup}
	}
	if eff.Privileged != nil {
		sc.Privileged = *eff.Privileged
	}
	if eff.ReadOnlyRootFilesystem != nil {
		sc.ReadonlyRootfs = *eff.ReadOnlyRootFilesystem
	}
	var err error
	if sc.Seccomp, err = seccompProfile(pod, c, node); err != nil {
		return nil, err
	}
	sc.Apparmor, sc.ApparmorProfile = appArmorProfile(pod, c)
	if sc.RunAsUser == nil {
		if img.UID != nil {
			sc.RunAsUser = &runtimeapi.Int64Value{Value: *img.UID}
		}
		sc.RunAsUsername = img.Username
	}
	if sc.NamespaceOptions, err = namespaceOptions(pod, node); err != nil {
		return nil, err
	}
	if sc.SupplementalGroups, sc.SupplementalGroupsPolicy, err = podSupplementalGroups(pod.Spec.SecurityContext); err != nil {
		return nil, err
	}
	sc.NoNewPrivs = eff.AllowPrivilegeEscalation != nil && !*eff.AllowPrivilegeEscalation
	sc.MaskedPaths = maskedPaths(eff.ProcMount)
	sc.ReadonlyPaths = readonlyPaths(eff.ProcMount)
	return sc, nil
}

// ContainerConfig builds the whole ContainerConfig
// (kuberuntime/kuberuntime_container.go generateContainerConfig,
// kuberuntime_container_linux.go generateLinuxContainerConfig, labels.go).
// imageRef is the resolved image (its ID); mounts are the volume mounts the
// launcher prepared.
func ContainerConfig(pod *corev1.Pod, c *corev1.Container, imageRef string, img ImageUser, node Node, mounts []*runtimeapi.Mount) (*runtimeapi.ContainerConfig, error) {
	sc, err := ContainerSecurityContext(pod, c, img, node)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	var envs []*runtimeapi.KeyValue
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			return nil, fmt.Errorf("container %s: env %s: valueFrom is not supported by the harness", c.Name, e.Name)
		}
		v := expand(e.Value, env)
		env[e.Name] = v
		envs = append(envs, &runtimeapi.KeyValue{Key: e.Name, Value: []byte(v)})
	}
	cfg := &runtimeapi.ContainerConfig{
		Metadata:    &runtimeapi.ContainerMetadata{Name: c.Name},
		Image:       &runtimeapi.ImageSpec{Image: imageRef, UserSpecifiedImage: c.Image},
		Command:     expandAll(c.Command, env),
		Args:        expandAll(c.Args, env),
		WorkingDir:  c.WorkingDir,
		Labels:      containerLabels(pod, c),
		Annotations: containerAnnotations(pod, c),
		Mounts:      mounts,
		LogPath:     filepath.Join(c.Name, "0.log"),
		Stdin:       c.Stdin,
		StdinOnce:   c.StdinOnce,
		Tty:         c.TTY,
		Envs:        envs,
		Linux: &runtimeapi.LinuxContainerConfig{
			Resources:       containerResources(pod, c, node),
			SecurityContext: sc,
		},
	}
	idmapMounts(cfg.Mounts, sc.NamespaceOptions)
	return cfg, nil
}

func containerLabels(pod *corev1.Pod, c *corev1.Container) map[string]string {
	return map[string]string{
		LabelPodName:       pod.Name,
		LabelPodNamespace:  pod.Namespace,
		LabelPodUID:        string(pod.UID),
		LabelContainerName: c.Name,
	}
}

// containerAnnotations carries the annotations of kuberuntime/labels.go
// newContainerAnnotations. The hash is fnv32a over the container's JSON,
// close to (not byte-equal with) kubecontainer.HashContainer.
func containerAnnotations(pod *corev1.Pod, c *corev1.Container) map[string]string {
	h := fnv.New32a()
	data, _ := json.Marshal(c)
	h.Write(data)
	path := c.TerminationMessagePath
	if path == "" {
		path = corev1.TerminationMessagePathDefault
	}
	policy := c.TerminationMessagePolicy
	if policy == "" {
		policy = corev1.TerminationMessageReadFile
	}
	a := map[string]string{
		"io.kubernetes.container.hash":                     strconv.FormatUint(uint64(h.Sum32()), 16),
		"io.kubernetes.container.restartCount":             "0",
		"io.kubernetes.container.terminationMessagePath":   path,
		"io.kubernetes.container.terminationMessagePolicy": string(policy),
	}
	grace := int64(corev1.DefaultTerminationGracePeriodSeconds)
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		grace = *pod.Spec.TerminationGracePeriodSeconds
	}
	a["io.kubernetes.pod.terminationGracePeriod"] = strconv.FormatInt(grace, 10)
	if len(c.Ports) > 0 {
		if p, err := json.Marshal(c.Ports); err == nil {
			a["io.kubernetes.container.ports"] = string(p)
		}
	}
	return a
}

// expand replaces $(VAR) with earlier-defined values and $$ with $, the
// kubelet's dependent-variable expansion for literal env values.
func expand(s string, env map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+end+1])
			}
			i += end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

func expandAll(in []string, env map[string]string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = expand(s, env)
	}
	return out
}

// qosClass is v1qos.GetPodQOS reduced to cpu and memory.
func qosClass(pod *corev1.Pod) corev1.PodQOSClass {
	requests, limits := false, false
	guaranteed := true
	all := append(append([]corev1.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...)
	for _, c := range all {
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			req, hasReq := c.Resources.Requests[r]
			lim, hasLim := c.Resources.Limits[r]
			requests = requests || hasReq
			limits = limits || hasLim
			if !hasLim || (hasReq && req.Cmp(lim) != 0) {
				guaranteed = false
			}
		}
	}
	switch {
	case !requests && !limits:
		return corev1.PodQOSBestEffort
	case guaranteed:
		return corev1.PodQOSGuaranteed
	}
	return corev1.PodQOSBurstable
}

// containerResources follows calculateLinuxResources and
// qos.GetContainerOOMScoreAdjust for cpu, memory and oom_score_adj.
func containerResources(pod *corev1.Pod, c *corev1.Container, node Node) *runtimeapi.LinuxContainerResources {
	r := &runtimeapi.LinuxContainerResources{CpuShares: 2}
	cpuReq, hasCPUReq := c.Resources.Requests[corev1.ResourceCPU]
	cpuLim, hasCPULim := c.Resources.Limits[corev1.ResourceCPU]
	if !hasCPUReq && hasCPULim {
		cpuReq, hasCPUReq = cpuLim, true
	}
	if hasCPUReq {
		if s := cpuReq.MilliValue() * 1024 / 1000; s > 2 {
			r.CpuShares = s
		}
	}
	if hasCPULim {
		r.CpuPeriod = 100000
		q := cpuLim.MilliValue() * 100000 / 1000
		if q < 1000 {
			q = 1000
		}
		r.CpuQuota = q
	}
	if m, ok := c.Resources.Limits[corev1.ResourceMemory]; ok {
		r.MemoryLimitInBytes = m.Value()
	}
	switch qosClass(pod) {
	case corev1.PodQOSGuaranteed:
		r.OomScoreAdj = -997
	case corev1.PodQOSBestEffort:
		r.OomScoreAdj = 1000
	default:
		capacity := node.MemoryCapacity
		if capacity <= 0 {
			capacity = 1 << 34
		}
		req := c.Resources.Requests.Memory().Value()
		adj := 1000 - 1000*req/capacity
		if adj < 3 {
			adj = 3
		}
		if adj > 999 {
			adj = 999
		}
		r.OomScoreAdj = adj
	}
	return r
}
