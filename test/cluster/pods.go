package cluster

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RunPod creates pod (namespace "default" when empty) and waits until it is
// Running with every container ready to run. There is no scheduler: an
// empty spec.nodeName is set to the node, as kubectl debug node/... does.
// On timeout the error carries the pod's last status.
func (c *Cluster) RunPod(ctx context.Context, pod *corev1.Pod) (*corev1.Pod, error) {
	pod = pod.DeepCopy()
	if pod.Namespace == "" {
		pod.Namespace = metav1.NamespaceDefault
	}
	if pod.Spec.NodeName == "" {
		pod.Spec.NodeName = c.NodeName()
	}
	if err := c.EnsureNamespace(ctx, pod.Namespace); err != nil {
		return nil, err
	}
	if _, err := c.client.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("cluster: create pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	return c.WaitRunning(ctx, pod.Namespace, pod.Name)
}

// WaitRunning waits for pod namespace/name to reach phase Running. A pod
// that fails (phase Failed, or a container stuck waiting on an error the
// kubelet will not retry past, such as ErrImageNeverPull) ends the wait.
func (c *Cluster) WaitRunning(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	var last string
	for {
		pod, err := c.client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			if pod.Status.Phase == corev1.PodRunning {
				return pod, nil
			}
			last = describe(pod)
			if pod.Status.Phase == corev1.PodFailed || pod.Status.Phase == corev1.PodSucceeded {
				return pod, fmt.Errorf("cluster: pod %s/%s ended: %s", namespace, name, last)
			}
			if reason := fatalWaiting(pod); reason != "" {
				return pod, fmt.Errorf("cluster: pod %s/%s cannot start: %s", namespace, name, last)
			}
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("cluster: pod %s/%s not Running: %s: %w", namespace, name, last, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// fatalWaiting returns the reason of a container waiting on an error that
// retrying will not fix.
func fatalWaiting(pod *corev1.Pod) string {
	for _, st := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		if w := st.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImageNeverPull", "InvalidImageName", "CreateContainerConfigError":
				return w.Reason
			}
		}
	}
	return ""
}

// describe summarises a pod's phase, conditions and container states.
func describe(pod *corev1.Pod) string {
	parts := []string{"phase " + string(pod.Status.Phase)}
	if pod.Status.Reason != "" {
		parts = append(parts, pod.Status.Reason+": "+pod.Status.Message)
	}
	for _, st := range pod.Status.ContainerStatuses {
		switch {
		case st.State.Waiting != nil:
			parts = append(parts, fmt.Sprintf("%s waiting %s %s", st.Name, st.State.Waiting.Reason, st.State.Waiting.Message))
		case st.State.Terminated != nil:
			parts = append(parts, fmt.Sprintf("%s terminated %s (exit %d)", st.Name, st.State.Terminated.Reason, st.State.Terminated.ExitCode))
		}
	}
	return strings.Join(parts, "; ")
}

// DeletePod deletes a pod immediately (grace period 0) and waits until the
// API no longer has it.
func (c *Cluster) DeletePod(ctx context.Context, namespace, name string) error {
	zero := int64(0)
	if err := c.client.CoreV1().Pods(namespace).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		return fmt.Errorf("cluster: delete pod %s/%s: %w", namespace, name, err)
	}
	for {
		_, err := c.client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster: pod %s/%s still present: %w", namespace, name, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// RuntimeID is the CRI container ID of a container status's ContainerID,
// which the kubelet prefixes with the runtime's name ("containerd://",
// "cri-o://").
func RuntimeID(containerID string) string {
	if _, id, ok := strings.Cut(containerID, "://"); ok {
		return id
	}
	return containerID
}
