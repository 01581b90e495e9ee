package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/harness"
	"github.com/rtaudit/rtaudit/test/matrix"
)

// pluginSelector finds the plugin's short-lived pods (their component
// label, agent/plugin.Component: the test imports no product code).
const pluginSelector = "app.kubernetes.io/component=kubectl-rtaudit"

// TestKubectlPlugin runs the built kubectl-rtaudit binary against the real
// cluster: node finds a planted drift (a RuntimeClass whose base OCI spec
// adds CAP_SYS_ADMIN), pod explains that container, report prints the
// agent's Reports; the short-lived pod is gone after a success, after an
// error (an image that cannot be pulled) and after SIGINT mid-run.
func TestKubectlPlugin(t *testing.T) {
	c := cluster.Shared(t)
	ensureAgent(t, c)
	bin := buildPlugin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := c.Client().NodeV1().RuntimeClasses().Create(ctx,
		&nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "drift"}, Handler: harness.DriftHandler}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	drift := run(t, c, "plugin-drift", "  runtimeClassName: drift\n  containers:\n"+matrix.Sleeper)
	t.Cleanup(func() { _ = c.DeletePod(context.Background(), drift.Namespace, drift.Name) })

	// What this test cluster needs: the imported image, the private
	// containerd's socket, and the node's network (no service proxy).
	socket := strings.TrimPrefix(c.Containerd().Endpoint(), "unix://")
	podFlags := []string{"--kubeconfig", c.Kubeconfig(), "--image", agentImage, "--cri-socket", socket, "--host-network", "--timeout", "2m"}
	plugin := func(args ...string) (int, string, string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, bin, args...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := cmd.ProcessState.ExitCode()
		if err != nil && code < 0 {
			t.Fatalf("%v: %v", args, err)
		}
		t.Logf("$ kubectl rtaudit %s\n%s%s(exit %d)", strings.Join(redact(args, c), " "), out.String(), errOut.String(), code)
		return code, out.String(), errOut.String()
	}

	t.Run("node", func(t *testing.T) {
		code, out, errOut := plugin(append([]string{"node", c.NodeName(), "-o", "wide", "--fail-on", "critical"}, podFlags...)...)
		if code != 1 {
			t.Errorf("exit %d, want 1 (a critical finding); stderr %q", code, errOut)
		}
		// One line per finding, or, above the table's grouping threshold
		// (other labs' hidden processes on a busy host), the pod's header
		// line with the container's rows indented below it.
		want, pod := ns+"/plugin-drift/main", ns+"/plugin-drift"
		found, inPod := false, false
		for line := range strings.SplitSeq(out, "\n") {
			if !strings.HasPrefix(line, " ") {
				inPod = strings.HasPrefix(line, pod) && !strings.HasPrefix(line, want) && !strings.HasPrefix(line, pod+"/")
			}
			named := strings.Contains(line, want) || inPod && strings.HasPrefix(strings.TrimSpace(line), "main ")
			found = found || named && strings.Contains(line, "capabilities") && strings.Contains(line, "oci") && strings.Contains(line, "+CAP_SYS_ADMIN")
		}
		if !found {
			t.Errorf("no capabilities drift at oci for %s:\n%s", want, out)
		}
		if !strings.Contains(out, "on "+c.NodeName()+" (containerd") {
			t.Errorf("no summary line for node %s:\n%s", c.NodeName(), out)
		}
		waitNoPluginPods(t, c)
	})

	t.Run("pod", func(t *testing.T) {
		code, out, errOut := plugin(append([]string{"pod", ns + "/plugin-drift", "main"}, podFlags...)...)
		if code != 0 {
			t.Errorf("exit %d; stderr %q", code, errOut)
		}
		for _, want := range []string{
			"CONTAINER      " + ns + "/plugin-drift/main",
			"DECLARED FROM  kube-api",
			"◀ oci critical",
			"capabilities",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("explain lacks %q:\n%s", want, out)
			}
		}
		waitNoPluginPods(t, c)
	})

	t.Run("report", func(t *testing.T) {
		rc := reportsClient(t, c)
		waitReport(t, rc, drift, func(r *v1alpha1.Report) bool { return hasResult(r, "capabilities", "fail") })
		code, out, errOut := plugin("report", "-n", ns, "--kubeconfig", c.Kubeconfig())
		if code != 0 {
			t.Fatalf("exit %d; stderr %q", code, errOut)
		}
		if !strings.Contains(out, ns+"/plugin-drift/main") || !strings.Contains(out, "+CAP_SYS_ADMIN") || !strings.Contains(out, "on "+c.NodeName()+" (from ") {
			t.Errorf("report lacks the drift:\n%s", out)
		}
		code, out, _ = plugin("report", "-A", "-o", "json", "--kubeconfig", c.Kubeconfig())
		if code != 0 || !strings.Contains(out, `"kind": "ScanReport"`) || !strings.Contains(out, `"pod": "plugin-drift"`) {
			t.Errorf("report -A -o json: exit %d\n%s", code, out)
		}
	})

	t.Run("gone after an error", func(t *testing.T) {
		flags := append(slicesClone(podFlags), "--image", "rtaudit.local/absent:none")
		code, _, errOut := plugin(append([]string{"node", c.NodeName()}, flags...)...)
		if code != 2 || !strings.Contains(errOut, "cannot start") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("exit %d, stderr %q: want 2 and one line naming why the pod cannot start", code, errOut)
		}
		waitNoPluginPods(t, c)
	})

	t.Run("gone after SIGINT", func(t *testing.T) {
		// A socket path that is not there: the pod waits for its hostPath
		// volume (the kubelet retries), so the run is surely under way.
		flags := append(slicesClone(podFlags), "--cri-socket", "/run/rtaudit-e2e-absent.sock")
		cmd := exec.CommandContext(ctx, bin, append([]string{"node", c.NodeName()}, flags...)...)
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		name := waitPluginPod(t, c)
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.Contains(errOut.String(), "interrupted") {
			t.Errorf("after SIGINT: exit %d, stderr %q; want 130, interrupted", code, errOut.String())
		}
		if _, err := c.Client().CoreV1().Pods("rtaudit-system").Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("pod %s still there when the plugin exited: %v", name, err)
		}
		waitNoPluginPods(t, c)
	})
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// redact shortens the test's private paths in the logged command lines.
func redact(args []string, c *cluster.Cluster) []string {
	out := slicesClone(args)
	for i, a := range out {
		out[i] = strings.ReplaceAll(a, c.Dir(), "$CLUSTER")
	}
	return out
}

// ensureAgent deploys the agent (and its image) unless an earlier test of
// the package has.
func ensureAgent(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	p, err := c.Client().CoreV1().Pods("rtaudit-system").Get(context.Background(), "rtaudit-"+c.NodeName(), metav1.GetOptions{})
	if err == nil && p.Status.Phase == corev1.PodRunning {
		return
	}
	buildImage(t, c)
	deploy(t, c, 5*time.Second)
}

// buildPlugin builds cmd/kubectl-rtaudit as users get it.
func buildPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kubectl-rtaudit")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/kubectl-rtaudit")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func pluginPods(t *testing.T, c *cluster.Cluster) []corev1.Pod {
	t.Helper()
	list, err := c.Client().CoreV1().Pods("rtaudit-system").List(context.Background(), metav1.ListOptions{LabelSelector: pluginSelector})
	if err != nil {
		t.Fatal(err)
	}
	return list.Items
}

// waitNoPluginPods: the plugin deletes its pod before it exits; the API
// may still list it while the kubelet stops it, never for long.
func waitNoPluginPods(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		pods := pluginPods(t, c)
		if len(pods) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the plugin's pod %s is still there 30s after the plugin exited", pods[0].Name)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitPluginPod waits for the plugin's pod to exist and returns its name.
func waitPluginPod(t *testing.T, c *cluster.Cluster) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if pods := pluginPods(t, c); len(pods) > 0 {
			return pods[0].Name
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the plugin created no pod within 60s")
	return ""
}
