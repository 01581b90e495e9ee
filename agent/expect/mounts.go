package expect

import (
	"path"
	"slices"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// ProcMountType is the container's procMount.
type ProcMountType string

// procMount values. Default masks and write-protects parts of /proc and /sys;
// Unmasked leaves them alone (the API server accepts it only with hostUsers:
// false).
const (
	ProcMountDefault  ProcMountType = "Default"
	ProcMountUnmasked ProcMountType = "Unmasked"
)

// defaultMaskedPaths are the paths the kubelet asks the runtime to mask for
// procMount Default (k8s.io/kubernetes v1.37.2 pkg/securitycontext/util.go
// defaultMaskedPaths, kept in sync with moby). The kubelet also appends
// /sys/devices/system/cpu/cpu<N>/thermal_throttle for each CPU where that
// path exists on its host; those depend on the node and are not listed.
var defaultMaskedPaths = []string{
	"/proc/asound",
	"/proc/acpi",
	"/proc/interrupts",
	"/proc/kcore",
	"/proc/keys",
	"/proc/latency_stats",
	"/proc/timer_list",
	"/proc/timer_stats",
	"/proc/sched_debug",
	"/proc/scsi",
	"/sys/firmware",
	"/sys/devices/virtual/powercap",
}

// defaultReadonlyPaths are the paths the kubelet asks the runtime to make
// read-only for procMount Default (the same file, defaultReadonlyPaths).
var defaultReadonlyPaths = []string{
	"/proc/bus",
	"/proc/fs",
	"/proc/irq",
	"/proc/sys",
	"/proc/sysrq-trigger",
}

// DefaultMaskedPaths returns the kubelet's masked paths for procMount
// Default (a fresh copy).
func DefaultMaskedPaths() []string { return slices.Clone(defaultMaskedPaths) }

// DefaultReadonlyPaths returns the kubelet's read-only paths for procMount
// Default (a fresh copy).
func DefaultReadonlyPaths() []string { return slices.Clone(defaultReadonlyPaths) }

// procPaths is the kubelet's ConvertToRuntimeMaskedPaths and
// ConvertToRuntimeReadonlyPaths: empty lists for Unmasked, the defaults
// otherwise. Privileged does not change what the kubelet sends; the
// runtime drops both lists for a privileged container.
func procPaths(t ProcMountType) (masked, readonly []string) {
	if t == ProcMountUnmasked {
		return nil, nil
	}
	return DefaultMaskedPaths(), DefaultReadonlyPaths()
}

// Mount is one volume mount of the container.
type Mount struct {
	// ContainerPath is where it is mounted in the container.
	ContainerPath string
	// HostPath is the host path bound there: a hostPath volume's path
	// joined with the mount's subPath (FromPod), or the CRI mount's
	// host_path (FromCRI, every mount). "" for a declared volume of
	// another kind: the kubelet chooses its host directory.
	HostPath string
	ReadOnly bool
	// Recursive is the mount's recursiveReadOnly ("" when unset; FromCRI:
	// Enabled when the CRI mount asks recursive_read_only, else "").
	Recursive corev1.RecursiveReadOnlyMode
}

// podMounts joins the container's volumeMounts with the pod's volumes.
// subPathExpr is kept unexpanded.
func podMounts(pod *corev1.Pod, c *corev1.Container) []Mount {
	var out []Mount
	for _, vm := range c.VolumeMounts {
		m := Mount{ContainerPath: path.Clean(vm.MountPath), ReadOnly: vm.ReadOnly}
		if vm.RecursiveReadOnly != nil {
			m.Recursive = *vm.RecursiveReadOnly
		}
		for _, v := range pod.Spec.Volumes {
			if v.Name == vm.Name && v.HostPath != nil {
				sub := vm.SubPath
				if sub == "" {
					sub = vm.SubPathExpr
				}
				m.HostPath = path.Join(v.HostPath.Path, sub)
				break
			}
		}
		out = append(out, m)
	}
	return out
}

// criMounts reads the CRI config's mounts.
func criMounts(cfg *runtimeapi.ContainerConfig) []Mount {
	var out []Mount
	for _, m := range cfg.GetMounts() {
		hp := m.GetHostPath()
		if hp != "" {
			hp = path.Clean(hp)
		}
		var rec corev1.RecursiveReadOnlyMode
		if m.GetRecursiveReadOnly() {
			rec = corev1.RecursiveReadOnlyEnabled
		}
		out = append(out, Mount{ContainerPath: path.Clean(m.GetContainerPath()), HostPath: hp, ReadOnly: m.GetReadonly(), Recursive: rec})
	}
	return out
}

// MountAt returns the mount at a container path (cleaned), the last one
// when several are declared there.
func (e *Expectation) MountAt(containerPath string) (Mount, bool) {
	p := path.Clean(containerPath)
	for i := len(e.Mounts) - 1; i >= 0; i-- {
		if e.Mounts[i].ContainerPath == p {
			return e.Mounts[i], true
		}
	}
	return Mount{}, false
}
