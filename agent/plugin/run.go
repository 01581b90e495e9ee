package plugin

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"

	"github.com/rtaudit/rtaudit/agent/internal/kube"
	"github.com/rtaudit/rtaudit/agent/report"
)

// runPod creates the pod p on its node, streams its agent container's
// output to out, and returns the container's exit code. The pod is deleted
// whatever happens: done, failed, timed out or interrupted (ctx
// cancelled). notify, when set, hears the pod's name once it exists.
func runPod(ctx context.Context, cs kube.Interface, p *corev1.Pod, timeout time.Duration, out, errOut io.Writer, notify func(string)) (int, error) {
	// The name is chosen here, not by the API server (generateName), so a
	// pod whose creation a signal interrupts can still be deleted.
	p = p.DeepCopy()
	p.Name, p.GenerateName = p.GenerateName+rand.String(6), ""
	name := p.Name
	defer func() {
		// A fresh context: the run's may be cancelled already.
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := cs.Pods(p.Namespace).Delete(dctx, name, metav1.DeleteOptions{GracePeriodSeconds: new(int64(0))})
		if err != nil && !apierrors.IsNotFound(err) {
			fmt.Fprintf(errOut, "kubectl rtaudit: deleting pod %s/%s: %v (delete it by hand)\n", p.Namespace, name, err)
		}
	}()
	if _, err := cs.Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{}); err != nil {
		if ctx.Err() != nil {
			return ExitInterrupted, errInterrupted
		}
		return ExitError, fmt.Errorf("creating the pod in %s: %w", p.Namespace, err)
	}
	if notify != nil {
		notify(name)
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	code, err := follow(rctx, cs, p.Namespace, name, out)
	if err != nil && ctx.Err() != nil {
		return ExitInterrupted, errInterrupted
	}
	if err != nil && rctx.Err() != nil {
		return ExitError, fmt.Errorf("pod %s/%s: no result within --timeout %s%s", p.Namespace, name, timeout, lastState(cs, p.Namespace, name))
	}
	return code, err
}

// follow waits for the agent container to start, streams its log and
// returns its exit code.
func follow(ctx context.Context, cs kube.Interface, ns, name string, out io.Writer) (int, error) {
	pods := cs.Pods(ns)
	if _, err := waitPod(ctx, pods, name, func(st *corev1.ContainerStatus) bool { return st.State.Running != nil || st.State.Terminated != nil }); err != nil {
		return ExitError, err
	}
	stream, err := pods.GetLogs(name, &corev1.PodLogOptions{Container: agentContainer, Follow: true}).Stream(ctx)
	if err != nil {
		return ExitError, fmt.Errorf("pod %s/%s: reading its output: %w", ns, name, err)
	}
	_, err = io.Copy(out, stream)
	stream.Close()
	if err != nil {
		return ExitError, fmt.Errorf("pod %s/%s: reading its output: %w", ns, name, err)
	}
	st, err := waitPod(ctx, pods, name, func(st *corev1.ContainerStatus) bool { return st.State.Terminated != nil })
	if err != nil {
		return ExitError, err
	}
	return int(st.State.Terminated.ExitCode), nil
}

// waitPod watches the pod until its agent container's status satisfies
// done, and fails early on what will never start (unschedulable, image not
// pullable, the pod gone or failed before the container ran).
func waitPod(ctx context.Context, pods podsAPI, name string, done func(*corev1.ContainerStatus) bool) (*corev1.ContainerStatus, error) {
	sel := fields.OneTermEqualSelector("metadata.name", name).String()
	for {
		list, err := pods.List(ctx, metav1.ListOptions{FieldSelector: sel})
		if err != nil {
			return nil, err
		}
		if len(list.Items) == 0 {
			return nil, fmt.Errorf("pod %s was deleted", name)
		}
		if st, err := podState(&list.Items[0], done); st != nil || err != nil {
			return st, err
		}
		w, err := pods.Watch(ctx, metav1.ListOptions{FieldSelector: sel, ResourceVersion: list.ResourceVersion})
		if err != nil {
			return nil, err
		}
		st, err := watchPod(ctx, w, name, done)
		w.Stop()
		if st != nil || err != nil {
			return st, err
		}
		// The watch closed: list again.
	}
}

type podsAPI interface {
	List(ctx context.Context, opts metav1.ListOptions) (*corev1.PodList, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

func watchPod(ctx context.Context, w watch.Interface, name string, done func(*corev1.ContainerStatus) bool) (*corev1.ContainerStatus, error) {
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil, nil
			}
			switch ev.Type {
			case watch.Deleted:
				return nil, fmt.Errorf("pod %s was deleted", name)
			case watch.Error:
				return nil, nil // list again
			}
			if p, ok := ev.Object.(*corev1.Pod); ok {
				if st, err := podState(p, done); st != nil || err != nil {
					return st, err
				}
			}
		}
	}
}

// podState returns the agent container's status when done says so, or an
// error when the pod cannot get there.
func podState(p *corev1.Pod, done func(*corev1.ContainerStatus) bool) (*corev1.ContainerStatus, error) {
	for i := range p.Status.ContainerStatuses {
		st := &p.Status.ContainerStatuses[i]
		if st.Name != agentContainer {
			continue
		}
		if done(st) {
			return st, nil
		}
		if w := st.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError", "RunContainerError":
				return nil, fmt.Errorf("pod %s: container %s cannot start: %s: %s", p.Name, st.Name, report.Inert(w.Reason), report.Inert(w.Message))
			}
		}
	}
	for i := range p.Status.InitContainerStatuses {
		st := &p.Status.InitContainerStatuses[i]
		if w := st.State.Waiting; w != nil {
			switch w.Reason {
			case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError", "RunContainerError":
				return nil, fmt.Errorf("pod %s: container %s cannot start: %s: %s", p.Name, st.Name, report.Inert(w.Reason), report.Inert(w.Message))
			}
		}
	}
	if p.Status.Phase == corev1.PodFailed && len(p.Status.ContainerStatuses) == 0 {
		return nil, fmt.Errorf("pod %s failed: %s %s", p.Name, report.Inert(p.Status.Reason), report.Inert(p.Status.Message))
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return nil, fmt.Errorf("pod %s cannot run on its node: %s", p.Name, report.Inert(c.Message))
		}
	}
	return nil, nil
}

// apiAddress is the host and port of the API server cfg talks to, for a
// pod in the node's network (--host-network).
func apiAddress(cfg *rest.Config) (string, string, error) {
	u, err := url.Parse(cfg.Host)
	if err != nil || u.Host == "" {
		return "", "", fmt.Errorf("--host-network: the kubeconfig's server %q is not a URL", cfg.Host)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
	}
	return host, port, nil
}

// lastState says, for a timeout's message, what the pod was waiting for.
func lastState(cs kube.Interface, ns, name string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := cs.Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	var waiting []string
	for _, st := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
		if w := st.State.Waiting; w != nil && w.Reason != "" {
			waiting = append(waiting, st.Name+" "+report.Inert(w.Reason))
		}
	}
	if len(waiting) == 0 {
		return fmt.Sprintf(" (phase %s)", cmp.Or(string(p.Status.Phase), "unknown"))
	}
	return fmt.Sprintf(" (phase %s; waiting: %s)", cmp.Or(string(p.Status.Phase), "unknown"), strings.Join(waiting, ", "))
}
