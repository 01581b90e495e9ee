package groundtruth

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/matrix"
)

// usernsSupported tells whether the node's default runtime handler
// reports user-namespace support (node.status.runtimeHandlers, filled from
// the runtime's CRI RuntimeStatus; containerd 1.6 reports none).
func usernsSupported(ctx context.Context, c *cluster.Cluster) (bool, error) {
	node, err := c.Client().CoreV1().Nodes().Get(ctx, c.NodeName(), metav1.GetOptions{})
	if err != nil {
		return false, err
	}
	for _, h := range node.Status.RuntimeHandlers {
		if h.Name == "" && h.Features != nil && h.Features.UserNamespaces != nil {
			return *h.Features.UserNamespaces, nil
		}
	}
	return false, nil
}

// usernsPods are hostUsers: false pods: root inside the user namespace,
// and a non-root restricted one.
var usernsPods = []matrix.Case{
	{Name: "userns-root", Spec: "  hostUsers: false\n  containers:\n" + matrix.Sleeper},
	{Name: "userns-restricted", Spec: `  hostUsers: false
  securityContext: {runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: main
    image: ` + matrix.Image + `
    command: [sleep, "3600"]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`},
}

// TestHostUsersFalse: where the runtime supports user namespaces
// (containerd 2 with runc 1.2+), a hostUsers: false pod runs in a user
// namespace of its own whose IDs map to an unprivileged host range, and
// the audit gives no finding. Where it does not (containerd 1.6), the
// kubelet cannot create the sandbox: the pod stays Pending with a
// FailedCreatePodSandBox event, nothing runs, the audit sees nothing.
func TestHostUsersFalse(t *testing.T) {
	c := cluster.Shared(t)
	t.Parallel()
	const ns = "gt-userns"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	supported, err := usernsSupported(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if !supported {
		pod, err := clusterPod(c, ns, usernsPods[0].Name, usernsPods[0].Spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.EnsureNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Client().CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		defer func() { // the kubelet would retry the sandbox until the cluster stops
			if err := c.DeletePod(context.Background(), ns, pod.Name); err != nil {
				t.Error(err)
			}
		}()
		msg, err := waitEvent(ctx, c, ns, pod.Name, "FailedCreatePodSandBox")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(msg, "runtime does not support user namespaces") {
			t.Errorf("FailedCreatePodSandBox: %q, want the kubelet's 'runtime does not support user namespaces'", msg)
		}
		t.Logf("the kubelet refuses it: FailedCreatePodSandBox: %s", msg)
		got, err := c.Client().CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.Phase != corev1.PodPending {
			t.Errorf("phase %s, want Pending (the kubelet retries the sandbox)", got.Status.Phase)
		}
		r := scanNamespace(t, c, ns)
		if len(r.Containers) != 0 || len(r.Findings) != 0 {
			t.Errorf("audited %+v, findings:%s; want nothing", r.Containers, dump(r, pod.Name))
		}
		return
	}
	hostUser, err := os.Readlink("/proc/self/ns/user")
	if err != nil {
		t.Fatal(err)
	}
	pids := map[string]int{}
	for _, tc := range usernsPods {
		pod, err := clusterPod(c, ns, tc.Name, tc.Spec)
		if err != nil {
			t.Fatal(err)
		}
		kp, err := runPod(ctx, c, pod, "main")
		if err != nil {
			t.Fatalf("%v; events: %s", err, podEvents(c, ns, tc.Name))
		}
		pids[tc.Name] = kp.pid
		userNS, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", kp.pid))
		if err != nil {
			t.Fatal(err)
		}
		if userNS == hostUser {
			t.Errorf("%s: in the host's user namespace", tc.Name)
		}
		uidMap, err := os.ReadFile(fmt.Sprintf("/proc/%d/uid_map", kp.pid))
		if err != nil {
			t.Fatal(err)
		}
		// One range of 65536 IDs from container 0 to an unprivileged host
		// block.
		f := strings.Fields(string(uidMap))
		if len(f) != 3 || f[0] != "0" || f[1] == "0" || f[2] != "65536" {
			t.Errorf("%s: uid_map %q, want 0 <host base> 65536", tc.Name, strings.TrimSpace(string(uidMap)))
		}
		t.Logf("%s: pid %d user namespace %s uid_map %s", tc.Name, kp.pid, userNS, strings.Join(f, " "))
	}
	r := scanNamespace(t, c, ns)
	for _, tc := range usernsPods {
		if got := drifts(r, tc.Name); len(got) != 0 {
			t.Errorf("%s: findings %v, want none:%s", tc.Name, got, dump(r, tc.Name))
		}
		for _, f := range r.Findings {
			if f.Pod == tc.Name {
				t.Logf("%s: info %s %s pid=%d: %s", tc.Name, f.Check, f.Layer, f.PID, f.Message)
			}
		}
	}
	if len(r.Containers) != len(usernsPods) {
		t.Errorf("%d containers audited, want %d", len(r.Containers), len(usernsPods))
	}
}

// waitEvent waits for an event of reason about pod ns/name and returns its
// message.
func waitEvent(ctx context.Context, c *cluster.Cluster, ns, name, reason string) (string, error) {
	for {
		evs, err := c.Client().CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
		if err == nil {
			for _, e := range evs.Items {
				if e.Reason == reason {
					return e.Message, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no %s event for pod %s/%s: %w", reason, ns, name, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// podEvents summarises the events about pod ns/name, for failure messages.
func podEvents(c *cluster.Cluster, ns, name string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	evs, err := c.Client().CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + name})
	if err != nil {
		return err.Error()
	}
	var parts []string
	for _, e := range evs.Items {
		parts = append(parts, fmt.Sprintf("%s (x%d): %s", e.Reason, e.Count, e.Message))
	}
	return strings.Join(parts, "; ")
}
