package harness

// The container security context, as the kubelet builds it (see
// translate.go).

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

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
	//lint:ignore SA1019 the kubelet still sends the deprecated field beside the new one
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
