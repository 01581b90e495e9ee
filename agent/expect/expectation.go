package expect

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/rtaudit/rtaudit/probes"
)

// SeccompType is the kind of seccomp profile, as the pod spec and the CRI
// name it.
type SeccompType string

// Seccomp profile types.
const (
	SeccompRuntimeDefault SeccompType = "RuntimeDefault"
	SeccompLocalhost      SeccompType = "Localhost"
	SeccompUnconfined     SeccompType = "Unconfined"
)

// SeccompProfile is a resolved seccomp profile.
type SeccompProfile struct {
	Type      SeccompType
	Localhost string // the localhostProfile (pod spec) or LocalhostRef (CRI)
}

// GroupsPolicy is the pod's supplementalGroupsPolicy.
type GroupsPolicy string

// Supplemental groups policies. Merge (the default) lets the runtime add the
// groups the image's /etc/group gives the user; Strict allows only the
// declared ones and the primary group.
const (
	GroupsMerge  GroupsPolicy = "Merge"
	GroupsStrict GroupsPolicy = "Strict"
)

// Expectation is what the kernel should show for every process of one
// container. IDs are as seen inside the container's user namespace.
type Expectation struct {
	// Kind is the pod spec list the container comes from ("" when the
	// expectation was derived from a CRI config).
	Kind Kind
	// UID and GID are nil when nothing declares them: the image and the
	// runtime decide, so the checks follow the lower layers (CRI, then
	// OCI) for the value processes must have.
	UID *int64
	GID *int64
	// Username is a non-numeric user the kubelet passed on from the image
	// (CRI run_as_username); UID is then unknown.
	Username string
	// Groups are the declared supplementary groups (fsGroup, then
	// supplementalGroups), sorted and unique: every process must have all.
	Groups       []int64
	GroupsPolicy GroupsPolicy
	// VolumeGroups says the kubelet may add more groups than declared: a
	// persistent volume's pv.beta.kubernetes.io/gid annotation, which the
	// pod spec does not show.
	VolumeGroups bool
	// NonRoot is runAsNonRoot: UID 0 is forbidden.
	NonRoot    bool
	Privileged bool
	// Caps is the capability bounding set (and the permitted and
	// effective sets of a root process): the runtime's default set + add -
	// drop, or every capability when privileged.
	Caps probes.CapSet
	// Added are the capabilities the spec adds by name (or all, for ALL)
	// and still in Caps: for a non-root process they stay in the bounding
	// set only, which is worth telling (info), not a drift.
	Added probes.CapSet
	// NoNewPrivs is true when allowPrivilegeEscalation is false; nil means
	// not asserted (a process may always set it on itself).
	NoNewPrivs  *bool
	HostNetwork bool
	HostPID     bool
	HostIPC     bool
	// HostUsers is false for hostUsers: false (a user namespace of its own).
	HostUsers    bool
	ReadOnlyRoot bool
	Seccomp      SeccompProfile
	// ProcMount is the container's procMount (Default when unset).
	// MaskedPaths and ReadonlyPaths are what the kubelet sends for it
	// (FromPod: its default lists, none for Unmasked; FromCRI: the CRI
	// lists as received). They do not reflect privileged: the runtime
	// drops both lists for a privileged container.
	ProcMount     ProcMountType
	MaskedPaths   []string
	ReadonlyPaths []string
	// Mounts are the container's volume mounts (FromPod: its
	// volumeMounts, with the host path of hostPath volumes; FromCRI:
	// every CRI mount).
	Mounts []Mount
	// AppArmor is the container's appArmorProfile, else the pod's; nil
	// when neither sets one. SELinux is the effective seLinuxOptions
	// (container over pod), nil when unset. FromPod only.
	AppArmor *corev1.AppArmorProfile
	SELinux  *corev1.SELinuxOptions
	// Sysctls are the pod's securityContext.sysctls, name → value (FromPod
	// only: the CRI carries them in the sandbox config).
	Sysctls map[string]string
	// Secrets is how the pod spec hands secrets to the container, and
	// Ports what the pod's containers declare (FromPod only: nil from a
	// CRI config, whose environment carries secret values, never read).
	Secrets *SecretUse
	Ports   []Port
	// Problems lists what the spec declares that cannot hold (a
	// combination the API server rejects, an unknown capability): the
	// expectation keeps the kubelet's reading regardless.
	Problems []string
}

// SeccompMode is the Seccomp field of /proc/<pid>/status the profile leads
// to. Runtimes apply no seccomp filter to a privileged container, whatever
// the kubelet asked for (containerd sputil.GenerateSeccompSpecOpts).
func (e *Expectation) SeccompMode() probes.SeccompMode {
	if e.Privileged || e.Seccomp.Type == SeccompUnconfined || e.Seccomp.Type == "" {
		return probes.SeccompDisabled
	}
	return probes.SeccompFilter
}

// ProcessCaps are the capability sets a process should have.
type ProcessCaps struct {
	Bounding, Permitted, Effective, Ambient, Inheritable probes.CapSet
}

// ProcessCapsOf returns the capability sets of a process of a container
// whose capability set is set (Expectation.Caps, or what a lower layer
// decided), for a process whose effective UID inside the container is root
// or not. Both runtimes clear the ambient set
// (Kubernetes is not ambient-aware), so a non-root process keeps the
// capabilities only in its bounding set: execve as a non-root user empties
// the permitted and effective sets. Runtimes fixed for CVE-2022-24769 leave
// the inheritable set empty too.
func ProcessCapsOf(set probes.CapSet, root bool) ProcessCaps {
	pc := ProcessCaps{Bounding: set}
	if root {
		pc.Permitted, pc.Effective = set, set
	}
	return pc
}

// FromPod derives the expectation of one container of a declared pod (a
// regular, init or ephemeral container) with the kubelet's rules.
func FromPod(pod *corev1.Pod, container string, d RuntimeDefaults) (*Expectation, error) {
	c, kind, ok := FindContainer(pod, container)
	if !ok {
		return nil, fmt.Errorf("pod %s/%s declares no container %q", podNamespace(pod), podName(pod), container)
	}
	sc := Effective(pod, c)
	e := &Expectation{
		Kind:         kind,
		UID:          copyPtr(sc.RunAsUser),
		GID:          copyPtr(sc.RunAsGroup),
		NonRoot:      sc.RunAsNonRoot != nil && *sc.RunAsNonRoot,
		Privileged:   sc.Privileged != nil && *sc.Privileged,
		ReadOnlyRoot: sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem,
		HostNetwork:  pod.Spec.HostNetwork,
		HostPID:      pod.Spec.HostPID,
		HostIPC:      pod.Spec.HostIPC,
		HostUsers:    pod.Spec.HostUsers == nil || *pod.Spec.HostUsers,
		GroupsPolicy: GroupsMerge,
		Seccomp:      Seccomp(pod, c, d.SeccompDefault),
		ProcMount:    ProcMountDefault,
		Mounts:       podMounts(pod, c),
		Secrets:      podSecrets(pod, c),
		Ports:        podPorts(pod),
	}
	if sc.ProcMount != nil && *sc.ProcMount == corev1.UnmaskedProcMount {
		e.ProcMount = ProcMountUnmasked
		if e.HostUsers {
			e.Problems = append(e.Problems, "procMount: Unmasked needs hostUsers: false")
		}
	}
	e.MaskedPaths, e.ReadonlyPaths = procPaths(e.ProcMount)
	e.SELinux = copyPtr(sc.SELinuxOptions)
	if c.SecurityContext != nil && c.SecurityContext.AppArmorProfile != nil {
		e.AppArmor = copyPtr(c.SecurityContext.AppArmorProfile)
	} else if psc := pod.Spec.SecurityContext; psc != nil && psc.AppArmorProfile != nil {
		e.AppArmor = copyPtr(psc.AppArmorProfile)
	}
	if psc := pod.Spec.SecurityContext; psc != nil {
		// The kubelet sends fsGroup then supplementalGroups
		// (determineEffectiveSecurityContext); volume GIDs it adds
		// are not in the spec and may only appear as extras.
		if psc.FSGroup != nil {
			e.Groups = append(e.Groups, *psc.FSGroup)
		}
		e.Groups = append(e.Groups, psc.SupplementalGroups...)
		for _, sc := range psc.Sysctls {
			if e.Sysctls == nil {
				e.Sysctls = map[string]string{}
			}
			e.Sysctls[sc.Name] = sc.Value
		}
		if psc.SupplementalGroupsPolicy != nil && *psc.SupplementalGroupsPolicy == corev1.SupplementalGroupsPolicyStrict {
			e.GroupsPolicy = GroupsStrict
		}
	}
	e.Groups = uniqueSorted(e.Groups)
	for _, v := range pod.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			e.VolumeGroups = true // pv.beta.kubernetes.io/gid of the bound PV
		}
	}

	var add, drop []string
	if sc.Capabilities != nil {
		for _, c := range sc.Capabilities.Add {
			add = append(add, string(c))
		}
		for _, c := range sc.Capabilities.Drop {
			drop = append(drop, string(c))
		}
	}
	var unknown []string
	e.Caps, unknown = ResolveCaps(d, add, drop, e.Privileged)
	e.Added = added(d, add) & e.Caps
	e.problem(unknown)

	// AddNoNewPrivileges: only an explicit allowPrivilegeEscalation:
	// false sets no_new_privs.
	if ape := sc.AllowPrivilegeEscalation; ape != nil && !*ape {
		t := true
		e.NoNewPrivs = &t
		if e.Privileged {
			e.Problems = append(e.Problems, "allowPrivilegeEscalation: false cannot be set with privileged: true")
		}
		if slices.ContainsFunc(add, func(c string) bool { return probes.NormalizeCapName(c) == "CAP_SYS_ADMIN" }) {
			e.Problems = append(e.Problems, "allowPrivilegeEscalation: false cannot be set with CAP_SYS_ADMIN added")
		}
	}
	if e.Seccomp.Type == SeccompLocalhost && e.Seccomp.Localhost == "" {
		e.Problems = append(e.Problems, "seccompProfile type Localhost needs localhostProfile")
	}
	if e.NonRoot && e.UID != nil && *e.UID == 0 {
		e.Problems = append(e.Problems, "runAsNonRoot: true with runAsUser: 0 (the kubelet refuses to start it)")
	}
	return e, nil
}

// FromCRI derives the expectation from the CRI config the runtime received,
// for a container no other source declares (declaredFrom "cri"), and to
// judge that config against the pod spec. sandboxNS, the sandbox's
// namespace options, stands in when the container config carries none.
// RunAsNonRoot has no CRI field (the kubelet enforces it before creating the
// container), so it is never set here.
func FromCRI(cfg *runtimeapi.ContainerConfig, sandboxNS *runtimeapi.NamespaceOption, d RuntimeDefaults) *Expectation {
	sc := cfg.GetLinux().GetSecurityContext()
	e := &Expectation{
		Username:     sc.GetRunAsUsername(),
		Privileged:   sc.GetPrivileged(),
		ReadOnlyRoot: sc.GetReadonlyRootfs(),
		GroupsPolicy: GroupsMerge,
		Groups:       uniqueSorted(sc.GetSupplementalGroups()),
		Seccomp:      criSeccomp(sc),
		ProcMount:    ProcMountDefault,
		// The kubelet sends no list at all only for Unmasked.
		MaskedPaths:   slices.Clone(sc.GetMaskedPaths()),
		ReadonlyPaths: slices.Clone(sc.GetReadonlyPaths()),
		Mounts:        criMounts(cfg),
	}
	if len(e.MaskedPaths) == 0 && len(e.ReadonlyPaths) == 0 {
		e.ProcMount = ProcMountUnmasked
	}
	if u := sc.GetRunAsUser(); u != nil {
		e.UID = &u.Value
	}
	if g := sc.GetRunAsGroup(); g != nil {
		e.GID = &g.Value
	}
	if sc.GetSupplementalGroupsPolicy() == runtimeapi.SupplementalGroupsPolicy_Strict {
		e.GroupsPolicy = GroupsStrict
	}
	var unknown []string
	add := sc.GetCapabilities().GetAddCapabilities()
	e.Caps, unknown = ResolveCaps(d, add, sc.GetCapabilities().GetDropCapabilities(), e.Privileged)
	e.Added = added(d, add) & e.Caps
	e.problem(unknown)
	if sc.GetNoNewPrivs() {
		t := true
		e.NoNewPrivs = &t
	}
	ns := CRINamespaces(cfg, sandboxNS)
	e.HostNetwork = ns.GetNetwork() == runtimeapi.NamespaceMode_NODE
	e.HostPID = ns.GetPid() == runtimeapi.NamespaceMode_NODE
	e.HostIPC = ns.GetIpc() == runtimeapi.NamespaceMode_NODE
	e.HostUsers = ns.GetUsernsOptions() == nil || ns.GetUsernsOptions().GetMode() == runtimeapi.NamespaceMode_NODE
	return e
}

// CRINamespaces are the namespace options a container was created with:
// its own CRI config's, else its sandbox's (the kubelet sends both; an
// older runtime reports only the sandbox's).
func CRINamespaces(cfg *runtimeapi.ContainerConfig, sandboxNS *runtimeapi.NamespaceOption) *runtimeapi.NamespaceOption {
	if ns := cfg.GetLinux().GetSecurityContext().GetNamespaceOptions(); ns != nil {
		return ns
	}
	return sandboxNS
}

// ResolveCaps computes a container's capability set as both CRI runtimes
// do (containerd internal/cri/opts WithCapabilities, CRI-O
// setupCapabilities): start from the default set; "ALL" in add makes it
// every capability, "ALL" in drop makes it empty (drop wins over add); then
// the named adds, then the named drops. Privileged means every capability
// whatever add and drop say. Names are matched without case; CRI-O also
// accepts the CAP_ prefix, containerd does not (runtimeCapNames). Unknown
// names are returned.
func ResolveCaps(d RuntimeDefaults, add, drop []string, privileged bool) (probes.CapSet, []string) {
	all := d.All()
	set, unknown := d.DefaultCaps()
	if privileged {
		return all, unknown
	}
	if slices.ContainsFunc(add, isAll) {
		set = all
	}
	if slices.ContainsFunc(drop, isAll) {
		set = 0
	}
	addNames, i1 := runtimeCapNames(d, add)
	dropNames, i2 := runtimeCapNames(d, drop)
	added, u1 := probes.ParseCapNames(addNames)
	dropped, u2 := probes.ParseCapNames(dropNames)
	return (set | added) &^ dropped, slices.Concat(unknown, i1, u1, i2, u2)
}

// runtimeCapNames are the names of an add or drop list that name a
// capability to the runtime, "ALL" left out, and those it ignores.
// containerd writes "CAP_" + the upper-cased name into the OCI spec
// whatever the name holds, so "CAP_NET_RAW" becomes CAP_CAP_NET_RAW, which
// runc ignores as unknown: such a drop keeps the capability and such an
// add grants nothing (seen in /proc/<pid>/status on containerd 1.6.20 and
// 2.4.2). CRI-O adds the prefix only when it is missing.
func runtimeCapNames(d RuntimeDefaults, names []string) (named, ignored []string) {
	for _, n := range names {
		switch {
		case isAll(n):
		case !d.IsCRIO() && strings.HasPrefix(strings.ToUpper(strings.TrimSpace(n)), "CAP_"):
			ignored = append(ignored, fmt.Sprintf("%s (containerd reads CAP_%s)", n, strings.ToUpper(strings.TrimSpace(n))))
		default:
			named = append(named, n)
		}
	}
	return named, ignored
}

// added is the set an add list names, ALL being every capability.
func added(d RuntimeDefaults, add []string) probes.CapSet {
	if slices.ContainsFunc(add, isAll) {
		return d.All()
	}
	names, _ := runtimeCapNames(d, add)
	set, _ := probes.ParseCapNames(names)
	return set
}

func isAll(c string) bool { return strings.EqualFold(strings.TrimSpace(c), "ALL") }

// criSeccomp reads the CRI profile, falling back to the deprecated
// seccomp_profile_path ("runtime/default", "docker/default",
// "localhost/<path>", "unconfined" or empty).
func criSeccomp(sc *runtimeapi.LinuxContainerSecurityContext) SeccompProfile {
	if p := sc.GetSeccomp(); p != nil {
		switch p.GetProfileType() {
		case runtimeapi.SecurityProfile_RuntimeDefault:
			return SeccompProfile{Type: SeccompRuntimeDefault}
		case runtimeapi.SecurityProfile_Localhost:
			return SeccompProfile{Type: SeccompLocalhost, Localhost: p.GetLocalhostRef()}
		}
		return SeccompProfile{Type: SeccompUnconfined}
	}
	//lint:ignore SA1019 older kubelets send only the deprecated path
	path := sc.GetSeccompProfilePath()
	switch {
	case path == "runtime/default" || path == "docker/default":
		return SeccompProfile{Type: SeccompRuntimeDefault}
	case strings.HasPrefix(path, "localhost/"):
		return SeccompProfile{Type: SeccompLocalhost, Localhost: strings.TrimPrefix(path, "localhost/")}
	}
	return SeccompProfile{Type: SeccompUnconfined}
}

func (e *Expectation) problem(unknownCaps []string) {
	if len(unknownCaps) > 0 {
		e.Problems = append(e.Problems, "unknown capabilities: "+strings.Join(unknownCaps, ", "))
	}
}

func uniqueSorted(in []int64) []int64 {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

func podName(p *corev1.Pod) string {
	if p == nil {
		return ""
	}
	return p.Name
}

func podNamespace(p *corev1.Pod) string {
	if p == nil || p.Namespace == "" {
		return "default"
	}
	return p.Namespace
}
