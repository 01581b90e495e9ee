package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kubectl runs the cluster's own kubectl (the cached build of Version)
// with the admin kubeconfig and returns its standard output. A failure
// carries the command and its standard error.
func (c *Cluster) Kubectl(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.bins.Kubectl, append([]string{"--kubeconfig", c.Kubeconfig()}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("cluster: kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// KubectlStdin is Kubectl with stdin as the command's standard input
// (kubectl apply -f -).
func (c *Cluster) KubectlStdin(ctx context.Context, stdin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.bins.Kubectl, append([]string{"--kubeconfig", c.Kubeconfig()}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("cluster: kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// WaitEphemeral waits until the ephemeral container name of pod
// namespace/name runs and returns the pod and the container's CRI ID. An
// ephemeral container is never restarted, so one that terminated or waits
// on an error retrying will not fix (CreateContainerConfigError, say)
// ends the wait with the kubelet's reason.
func (c *Cluster) WaitEphemeral(ctx context.Context, namespace, name, container string) (*corev1.Pod, string, error) {
	last := "no status yet"
	for {
		pod, err := c.client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			last = err.Error()
		} else {
			for _, st := range pod.Status.EphemeralContainerStatuses {
				if st.Name != container {
					continue
				}
				switch {
				case st.State.Running != nil && st.ContainerID != "":
					return pod, RuntimeID(st.ContainerID), nil
				case st.State.Terminated != nil:
					return pod, "", fmt.Errorf("cluster: ephemeral container %s/%s/%s terminated: %s (exit %d) %s", namespace, name, container,
						st.State.Terminated.Reason, st.State.Terminated.ExitCode, st.State.Terminated.Message)
				case st.State.Waiting != nil:
					last = st.State.Waiting.Reason + ": " + st.State.Waiting.Message
					switch st.State.Waiting.Reason {
					case "ErrImageNeverPull", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError":
						return pod, "", fmt.Errorf("cluster: ephemeral container %s/%s/%s cannot start: %s", namespace, name, container, last)
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil, "", errors.Join(fmt.Errorf("cluster: ephemeral container %s/%s/%s not running: %s", namespace, name, container, last), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
