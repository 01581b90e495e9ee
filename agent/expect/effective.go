package expect

import (
	corev1 "k8s.io/api/core/v1"
)

// Kind says which list of the pod spec a container comes from.
type Kind string

// Container kinds. A restartable init container (a sidecar) is an Init
// container with restartPolicy Always; the kubelet builds its security
// context exactly like any other.
const (
	Regular   Kind = "container"
	Init      Kind = "initContainer"
	Ephemeral Kind = "ephemeralContainer"
)

// FindContainer looks a container up by name in spec.containers,
// spec.initContainers and spec.ephemeralContainers. An ephemeral container
// is returned as a *corev1.Container, as the kubelet itself converts it
// (kuberuntime_container.go: (*v1.Container)(&ec.EphemeralContainerCommon)),
// so the pod-level security context applies to it too.
func FindContainer(pod *corev1.Pod, name string) (*corev1.Container, Kind, bool) {
	if pod == nil {
		return nil, "", false
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i], Regular, true
		}
	}
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i], Init, true
		}
	}
	for i := range pod.Spec.EphemeralContainers {
		if pod.Spec.EphemeralContainers[i].Name == name {
			return (*corev1.Container)(&pod.Spec.EphemeralContainers[i].EphemeralContainerCommon), Ephemeral, true
		}
	}
	return nil, "", false
}

// Effective merges the pod's and the container's security contexts the way
// the kubelet does (pkg/securitycontext DetermineEffectiveSecurityContext):
// the pod contributes only runAsUser, runAsGroup, runAsNonRoot and
// seLinuxOptions; each of those the container sets wins, field by field.
// Capabilities, privileged, readOnlyRootFilesystem, allowPrivilegeEscalation
// and procMount exist only on the container. seccompProfile is resolved
// separately (see Seccomp). The result is a fresh copy, never nil.
func Effective(pod *corev1.Pod, c *corev1.Container) *corev1.SecurityContext {
	out := &corev1.SecurityContext{}
	if pod != nil && pod.Spec.SecurityContext != nil {
		psc := pod.Spec.SecurityContext
		out.RunAsUser = copyPtr(psc.RunAsUser)
		out.RunAsGroup = copyPtr(psc.RunAsGroup)
		out.RunAsNonRoot = copyPtr(psc.RunAsNonRoot)
		out.SELinuxOptions = copyPtr(psc.SELinuxOptions)
	}
	if c == nil || c.SecurityContext == nil {
		return out
	}
	csc := c.SecurityContext
	override(&out.RunAsUser, csc.RunAsUser)
	override(&out.RunAsGroup, csc.RunAsGroup)
	override(&out.RunAsNonRoot, csc.RunAsNonRoot)
	override(&out.SELinuxOptions, csc.SELinuxOptions)
	if csc.Capabilities != nil {
		caps := *csc.Capabilities
		caps.Add = append([]corev1.Capability(nil), caps.Add...)
		caps.Drop = append([]corev1.Capability(nil), caps.Drop...)
		out.Capabilities = &caps
	}
	out.Privileged = copyPtr(csc.Privileged)
	out.ReadOnlyRootFilesystem = copyPtr(csc.ReadOnlyRootFilesystem)
	out.AllowPrivilegeEscalation = copyPtr(csc.AllowPrivilegeEscalation)
	out.ProcMount = copyPtr(csc.ProcMount)
	out.SeccompProfile = copyPtr(csc.SeccompProfile)
	return out
}

// Seccomp resolves the profile the kubelet sends to the runtime
// (kuberuntime helpers.go getSeccompProfile): the container's
// seccompProfile, else the pod's, else RuntimeDefault when the kubelet runs
// with --seccomp-default, else Unconfined.
func Seccomp(pod *corev1.Pod, c *corev1.Container, seccompDefault bool) SeccompProfile {
	var p *corev1.SeccompProfile
	if c != nil && c.SecurityContext != nil && c.SecurityContext.SeccompProfile != nil {
		p = c.SecurityContext.SeccompProfile
	} else if pod != nil && pod.Spec.SecurityContext != nil && pod.Spec.SecurityContext.SeccompProfile != nil {
		p = pod.Spec.SecurityContext.SeccompProfile
	}
	if p == nil {
		if seccompDefault {
			return SeccompProfile{Type: SeccompRuntimeDefault}
		}
		return SeccompProfile{Type: SeccompUnconfined}
	}
	switch p.Type {
	case corev1.SeccompProfileTypeRuntimeDefault:
		return SeccompProfile{Type: SeccompRuntimeDefault}
	case corev1.SeccompProfileTypeLocalhost:
		sp := SeccompProfile{Type: SeccompLocalhost}
		if p.LocalhostProfile != nil {
			sp.Localhost = *p.LocalhostProfile
		}
		return sp
	}
	return SeccompProfile{Type: SeccompUnconfined}
}

func copyPtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func override[T any](dst **T, src *T) {
	if src != nil {
		*dst = copyPtr(src)
	}
}
