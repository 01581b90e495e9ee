package harness

import (
	"context"
	"fmt"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// SplitPodRef splits "namespace/name" (namespace defaults to "default").
func SplitPodRef(ref string) (namespace, name string, err error) {
	ns, n, found := strings.Cut(ref, "/")
	if !found {
		ns, n = "default", ref
	}
	if ns == "" || n == "" || strings.Contains(n, "/") {
		return "", "", fmt.Errorf("harness: pod reference %q: want NAMESPACE/NAME", ref)
	}
	return ns, n, nil
}

// FindSandbox returns the ID of the ready sandbox of pod namespace/name.
func (l *Launcher) FindSandbox(ctx context.Context, namespace, name string) (string, error) {
	resp, err := l.rt.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{Filter: &runtimeapi.PodSandboxFilter{
		State:         &runtimeapi.PodSandboxStateValue{State: runtimeapi.PodSandboxState_SANDBOX_READY},
		LabelSelector: map[string]string{LabelPodName: name, LabelPodNamespace: namespace},
	}})
	if err != nil {
		return "", fmt.Errorf("harness: list sandboxes: %w", err)
	}
	if len(resp.Items) == 0 {
		return "", fmt.Errorf("harness: no running pod %s/%s", namespace, name)
	}
	return resp.Items[0].Id, nil
}

// FindContainer returns the ID of container in pod namespace/name.
func (l *Launcher) FindContainer(ctx context.Context, namespace, name, container string) (string, error) {
	sb, err := l.FindSandbox(ctx, namespace, name)
	if err != nil {
		return "", err
	}
	resp, err := l.rt.ListContainers(ctx, &runtimeapi.ListContainersRequest{Filter: &runtimeapi.ContainerFilter{
		PodSandboxId:  sb,
		LabelSelector: map[string]string{LabelContainerName: container},
	}})
	if err != nil {
		return "", fmt.Errorf("harness: list containers: %w", err)
	}
	for _, c := range resp.Containers {
		if c.State == runtimeapi.ContainerState_CONTAINER_RUNNING {
			return c.Id, nil
		}
	}
	return "", fmt.Errorf("harness: pod %s/%s has no running container %q", namespace, name, container)
}

// DeleteSandbox stops and removes a sandbox by ID, freeing its user
// namespace IDs.
func (l *Launcher) DeleteSandbox(ctx context.Context, id string) error {
	if st, err := l.rt.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: id}); err == nil && l.userns != nil {
		defer l.userns.release(st.GetStatus().GetMetadata().GetUid())
	}
	if _, err := l.rt.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: id}); err != nil {
		return fmt.Errorf("harness: stop sandbox %s: %w", id, err)
	}
	if _, err := l.rt.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: id}); err != nil {
		return fmt.Errorf("harness: remove sandbox %s: %w", id, err)
	}
	return nil
}
