package pss

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/probes"
)

// Container is one audited container of a pod: what the checks judged and
// what they found.
type Container struct {
	Subject  *checks.Subject
	Findings []checks.Finding
}

// Observed returns a copy of the declared pod in which every field the
// kernel (or a layer below the spec) shows more privileged than declared is
// replaced by what it shows. A field is replaced only on a drift toward
// more privilege (a finding above info): less privilege than declared never
// raises the level, and a pod without such drifts gets its declared spec
// back, so its levels are equal by construction. It also returns the
// findings that changed the spec. Containers the declared pod does not
// name (undeclared) are left out: they have no declared spec to start from.
func Observed(pod *corev1.Pod, ctrs []Container) (*corev1.Pod, []checks.Finding) {
	out := pod.DeepCopy()
	var used []checks.Finding
	for _, c := range ctrs {
		if c.Subject == nil {
			continue
		}
		sc := securityContext(out, c.Subject.Container)
		if sc == nil {
			continue
		}
		for _, f := range c.Findings {
			if f.Severity == checks.Info {
				continue
			}
			apply, ok := appliers[f.Check]
			if ok && apply(out, sc, c.Subject, f) {
				used = append(used, f)
			}
		}
	}
	return out, used
}

// securityContext is the named container's security context in pod,
// created when unset; nil when the pod has no such container.
func securityContext(pod *corev1.Pod, name string) *corev1.SecurityContext {
	find := func(cs []corev1.Container) *corev1.SecurityContext {
		for i := range cs {
			if cs[i].Name == name {
				if cs[i].SecurityContext == nil {
					cs[i].SecurityContext = &corev1.SecurityContext{}
				}
				return cs[i].SecurityContext
			}
		}
		return nil
	}
	if sc := find(pod.Spec.Containers); sc != nil {
		return sc
	}
	if sc := find(pod.Spec.InitContainers); sc != nil {
		return sc
	}
	for i := range pod.Spec.EphemeralContainers {
		if c := &pod.Spec.EphemeralContainers[i]; c.Name == name {
			if c.SecurityContext == nil {
				c.SecurityContext = &corev1.SecurityContext{}
			}
			return c.SecurityContext
		}
	}
	return nil
}

// applier writes into the observed pod what a finding of one check says
// the container really has; false when the finding changes nothing the
// policy reads.
type applier func(pod *corev1.Pod, sc *corev1.SecurityContext, s *checks.Subject, f checks.Finding) bool

// appliers map each check to the pod spec field the policy judges. The
// checks left out judge nothing the Pod Security Standards read (groups,
// a read-only root filesystem, an undeclared container, nesting).
var appliers = map[checks.ID]applier{
	checks.Privileged: func(_ *corev1.Pod, sc *corev1.SecurityContext, _ *checks.Subject, _ checks.Finding) bool {
		sc.Privileged = ptr(true)
		return true
	},
	checks.Capabilities: applyCaps,
	checks.HostNetwork: func(pod *corev1.Pod, _ *corev1.SecurityContext, _ *checks.Subject, _ checks.Finding) bool {
		pod.Spec.HostNetwork = true
		return true
	},
	checks.HostPID: func(pod *corev1.Pod, _ *corev1.SecurityContext, _ *checks.Subject, _ checks.Finding) bool {
		pod.Spec.HostPID = true
		return true
	},
	checks.HostIPC: func(pod *corev1.Pod, _ *corev1.SecurityContext, _ *checks.Subject, _ checks.Finding) bool {
		pod.Spec.HostIPC = true
		return true
	},
	checks.HostUsers: func(pod *corev1.Pod, _ *corev1.SecurityContext, _ *checks.Subject, _ checks.Finding) bool {
		pod.Spec.HostUsers = ptr(true)
		return true
	},
	checks.NoNewPrivs: func(_ *corev1.Pod, sc *corev1.SecurityContext, _ *checks.Subject, _ checks.Finding) bool {
		sc.AllowPrivilegeEscalation = ptr(true)
		return true
	},
	checks.Seccomp: func(_ *corev1.Pod, sc *corev1.SecurityContext, _ *checks.Subject, _ checks.Finding) bool {
		sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		return true
	},
	checks.ProcMount: func(_ *corev1.Pod, sc *corev1.SecurityContext, _ *checks.Subject, _ checks.Finding) bool {
		sc.ProcMount = ptr(corev1.UnmaskedProcMount)
		return true
	},
	checks.RunAsUser:    applyRoot,
	checks.RunAsNonRoot: applyRoot,
	checks.HostMounts:   applyHostMount,
	checks.Sysctls:      applySysctl,
	checks.AppArmor: func(_ *corev1.Pod, sc *corev1.SecurityContext, _ *checks.Subject, f checks.Finding) bool {
		if !strings.HasPrefix(f.Actual, "unconfined") {
			return false // another profile, or complain mode: the policy reads only Unconfined
		}
		sc.AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
		return true
	},
	checks.SELinux: func(_ *corev1.Pod, sc *corev1.SecurityContext, _ *checks.Subject, f checks.Finding) bool {
		parts := strings.SplitN(f.Actual, ":", 4)
		if len(parts) < 3 {
			return false
		}
		if sc.SELinuxOptions == nil {
			sc.SELinuxOptions = &corev1.SELinuxOptions{}
		}
		sc.SELinuxOptions.User, sc.SELinuxOptions.Role, sc.SELinuxOptions.Type = parts[0], parts[1], parts[2]
		return true
	},
}

// applyRoot: a process of the container is root inside it although the
// spec says otherwise.
func applyRoot(_ *corev1.Pod, sc *corev1.SecurityContext, s *checks.Subject, _ checks.Finding) bool {
	if !s.RunsAsRoot() {
		return false // another non-root user: nothing the policy reads
	}
	sc.RunAsUser, sc.RunAsNonRoot = ptr[int64](0), ptr(false)
	return true
}

// applyCaps writes the capabilities the container's processes hold as add
// and drop against the runtime's default set, the way a pod spec expresses
// them: drop ALL when nothing beyond NET_BIND_SERVICE is held.
func applyCaps(_ *corev1.Pod, sc *corev1.SecurityContext, s *checks.Subject, _ checks.Finding) bool {
	held, ok := s.HeldCaps()
	if !ok {
		return false
	}
	def, _ := s.Defaults.DefaultCaps()
	netBind, _ := probes.ParseCapNames([]string{"CAP_NET_BIND_SERVICE"})
	caps := &corev1.Capabilities{}
	if held&^netBind == 0 {
		caps.Drop = []corev1.Capability{"ALL"}
		caps.Add = capNames(held)
	} else {
		caps.Add, caps.Drop = capNames(held&^def), capNames(def&^held)
	}
	sc.Capabilities = caps
	return true
}

// applyHostMount: an undeclared host path (the host's root, a runtime
// socket, a writable sysfs) in the container is a hostPath volume to the
// policy.
func applyHostMount(pod *corev1.Pod, _ *corev1.SecurityContext, s *checks.Subject, f checks.Finding) bool {
	name := fmt.Sprintf("rtaudit-observed-%d", len(pod.Spec.Volumes))
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
		HostPath: &corev1.HostPathVolumeSource{Path: f.Actual},
	}})
	return true
}

// applySysctl: a sysctl a layer set that the spec does not declare is in
// effect in the pod's namespaces: the policy reads its name.
func applySysctl(pod *corev1.Pod, _ *corev1.SecurityContext, _ *checks.Subject, f checks.Finding) bool {
	name, ok := strings.CutPrefix(f.Field, "sysctls[")
	name = strings.TrimSuffix(name, "]")
	if !ok || f.Expected != "unset" {
		return false // a declared one with another value: the policy reads names only
	}
	if pod.Spec.SecurityContext == nil {
		pod.Spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	pod.Spec.SecurityContext.Sysctls = append(pod.Spec.SecurityContext.Sysctls, corev1.Sysctl{Name: name, Value: f.Actual})
	return true
}

// capNames are the capabilities of set as a pod spec names them (no CAP_).
func capNames(set probes.CapSet) []corev1.Capability {
	var out []corev1.Capability
	for _, n := range set.Names() {
		out = append(out, corev1.Capability(strings.TrimPrefix(n, "CAP_")))
	}
	return out
}

func ptr[T any](v T) *T { return &v }
