package groundtruth

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/harness"
	"github.com/rtaudit/rtaudit/test/matrix"
)

// matrixNamespace holds the matrix pods; other tests use their own
// namespaces, so a scan filtered on one sees only its pods.
const matrixNamespace = "gt"

// kubeletPod is a pod the kubelet runs: the API object once Running, and
// the CRI ID and host PID of its "main" container.
type kubeletPod struct {
	pod *corev1.Pod
	id  string
	pid int
}

// clusterPod is the matrix manifest as a user would apply it to a real
// cluster: in namespace ns, bound to the node (there is no scheduler), the
// imported image never pulled. Everything else, the service-account token
// included, is left to the API server's and the kubelet's defaults.
func clusterPod(c *cluster.Cluster, ns, name, spec string) (*corev1.Pod, error) {
	pod, err := matrix.Pod(name, spec)
	if err != nil {
		return nil, err
	}
	pod.Namespace = ns
	pod.Spec.NodeName = c.NodeName()
	for i := range pod.Spec.InitContainers {
		pod.Spec.InitContainers[i].ImagePullPolicy = corev1.PullNever
	}
	for i := range pod.Spec.Containers {
		pod.Spec.Containers[i].ImagePullPolicy = corev1.PullNever
	}
	return pod, nil
}

// runPod applies pod and waits until it is Running and the process of
// container has exec'd its command.
func runPod(ctx context.Context, c *cluster.Cluster, pod *corev1.Pod, container string) (*kubeletPod, error) {
	got, err := c.RunPod(ctx, pod)
	if err != nil {
		return nil, err
	}
	return kubeletContainer(ctx, c, got, container)
}

// kubeletContainer finds the CRI ID and PID of a running container of pod.
func kubeletContainer(ctx context.Context, c *cluster.Cluster, pod *corev1.Pod, container string) (*kubeletPod, error) {
	var id string
	for _, st := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		if st.Name == container {
			id = cluster.RuntimeID(st.ContainerID)
		}
	}
	if id == "" {
		return nil, fmt.Errorf("pod %s/%s: no status for container %q", pod.Namespace, pod.Name, container)
	}
	rt, err := c.Runtime().RuntimeService()
	if err != nil {
		return nil, err
	}
	pid, err := harness.ContainerPID(ctx, rt, id)
	if err != nil {
		return nil, err
	}
	if err := waitExec(ctx, pid); err != nil {
		return nil, err
	}
	return &kubeletPod{pod: pod, id: id, pid: pid}, nil
}

// waitExec waits until pid has left the OCI runtime's init stage: a
// Running pod's process may still be runc:[2:INIT] (or crun) before the
// execve of its command, and a setuid command or a non-root user changes
// its credentials only then.
func waitExec(ctx context.Context, pid int) error {
	for {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		// runc's init renames itself "runc:[2:INIT]"; crun's keeps
		// crun's name until it runs the command.
		if c := strings.TrimSpace(string(comm)); err != nil || !strings.HasPrefix(c, "runc:") && c != "crun" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pid %d is still %q: %w", pid, strings.TrimSpace(string(comm)), ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// matrixRun is the matrix applied once to the shared cluster, for every
// test that needs it.
var matrixRun struct {
	once sync.Once
	pods map[string]*kubeletPod
	errs map[string]error
	took time.Duration
}

// kubeletMatrix applies every matrix pod (concurrently, as a user applying
// a directory would) and returns them Running; a pod that failed to start
// is in errs, so each test reports it.
func kubeletMatrix(t *testing.T) (map[string]*kubeletPod, map[string]error) {
	t.Helper()
	c := cluster.Shared(t)
	matrixRun.once.Do(func() {
		start := time.Now()
		matrixRun.pods, matrixRun.errs = runMatrixOn(t, c, matrixNamespace)
		matrixRun.took = time.Since(start)
	})
	t.Logf("%d matrix pods Running through the kubelet in %s", len(matrixRun.pods), matrixRun.took.Round(time.Millisecond))
	return matrixRun.pods, matrixRun.errs
}
