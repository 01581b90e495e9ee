package harness

import (
	"context"
	"fmt"
	"path"

	corev1 "k8s.io/api/core/v1"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// setRecursiveReadOnly asks recursive_read_only on the CRI mounts of c's
// volumeMounts as the kubelet does (pkg/kubelet/kubelet_pods.go
// resolveRecursiveReadOnly, v1.37): Disabled or unset never; IfPossible
// when the pod's runtime handler reports the RecursiveReadOnlyMounts
// feature in CRI Status; Enabled then, and an error otherwise (the kubelet
// refuses the pod); either only on a read-only mount without propagation.
func (l *Launcher) setRecursiveReadOnly(ctx context.Context, pod *corev1.Pod, c *corev1.Container, mounts []*runtimeapi.Mount) error {
	supported, known := false, false
	for _, vm := range c.VolumeMounts {
		if vm.RecursiveReadOnly == nil || *vm.RecursiveReadOnly == corev1.RecursiveReadOnlyDisabled {
			continue
		}
		if !vm.ReadOnly {
			return fmt.Errorf("volume %q requested recursive read-only mode, but it is not read-only", vm.Name)
		}
		if vm.MountPropagation != nil && *vm.MountPropagation != corev1.MountPropagationNone {
			return fmt.Errorf("volume %q requested recursive read-only mode, but it is not compatible with propagation %q", vm.Name, *vm.MountPropagation)
		}
		if !known {
			var err error
			if supported, err = l.handlerSupportsRRO(ctx, pod); err != nil {
				return err
			}
			known = true
		}
		rro := supported
		if *vm.RecursiveReadOnly == corev1.RecursiveReadOnlyEnabled && !supported {
			return fmt.Errorf("volume %q requested recursive read-only mode, but it is not supported by the runtime", vm.Name)
		}
		for _, m := range mounts {
			if path.Clean(m.ContainerPath) == path.Clean(vm.MountPath) {
				m.RecursiveReadOnly = rro
			}
		}
	}
	return nil
}

// handlerSupportsRRO asks CRI Status whether the pod's runtime handler can
// make recursive read-only mounts; a runtime that lists no handlers
// (containerd 1.6) cannot.
func (l *Launcher) handlerSupportsRRO(ctx context.Context, pod *corev1.Pod) (bool, error) {
	handler := ""
	if pod.Spec.RuntimeClassName != nil {
		handler = *pod.Spec.RuntimeClassName
	}
	st, err := l.rt.Status(ctx, &runtimeapi.StatusRequest{})
	if err != nil {
		return false, fmt.Errorf("runtime status: %w", err)
	}
	for _, h := range st.GetRuntimeHandlers() {
		if h.GetName() == handler {
			return h.GetFeatures().GetRecursiveReadOnlyMounts(), nil
		}
	}
	return false, nil
}
