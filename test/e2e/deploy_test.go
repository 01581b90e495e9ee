package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/image"
)

// Image is the agent's image as the test imports it.
const agentImage = "rtaudit.local/rtaudit:test"

// repoRoot is the module's root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// buildImage builds the static binary and its image as an OCI archive (no
// Docker engine), and imports it into the node's containerd.
func buildImage(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	if imageIn == c.Dir() {
		return // an earlier test of the package imported it into this cluster
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "rtaudit")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/rtaudit")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	archive := filepath.Join(dir, "rtaudit.tar")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	if err := image.Build(bin, agentImage, f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Containerd().ImportImages(ctx, archive); err != nil {
		t.Fatal(err)
	}
	imageIn = c.Dir()
}

// imageIn is the directory of the cluster the agent's image was imported
// into (the package's tests run one after another).
var imageIn string

// agent is the deployed agent: its pod and where its metrics are.
type agent struct {
	pod     *corev1.Pod
	metrics string
}

// deploy applies deploy/ with kubectl (CRDs, namespace, RBAC, DaemonSet,
// Service) and runs the agent's pod from the DaemonSet's template, as the
// DaemonSet controller would, with only what this test cluster needs
// changed: the image imported above, the private containerd's socket and
// runc state root, a
// short resync, and the API server's loopback address (no kube-proxy here,
// so the pod shares the node's network to reach it).
func deploy(t *testing.T, c *cluster.Cluster, resync time.Duration) *agent {
	t.Helper()
	return deployFrom(t, c, resync, filepath.Join(repoRoot(t), "deploy"))
}

// deployFrom is deploy from the kustomization in dir, with extra appended
// to the agent's arguments.
func deployFrom(t *testing.T, c *cluster.Cluster, resync time.Duration, dir string, extra ...string) *agent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if out, err := c.Kubectl(ctx, "apply", "-k", dir); err != nil {
		t.Fatalf("kubectl apply -k %s: %v\n%s", dir, err, out)
	}
	if out, err := c.Kubectl(ctx, "wait", "--for=condition=established", "--timeout=60s",
		"crd/reports.openreports.io", "crd/clusterreports.openreports.io", "crd/waivers.rtaudit.dev", "crd/clusterwaivers.rtaudit.dev"); err != nil {
		t.Fatalf("CRDs not established: %v\n%s", err, out)
	}
	const ns = "rtaudit-system"
	if err := c.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	ds, err := c.Client().AppsV1().DaemonSets(ns).Get(ctx, "rtaudit", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "rtaudit-" + c.NodeName(), Namespace: ns, Labels: ds.Spec.Template.Labels},
		Spec:       *ds.Spec.Template.Spec.DeepCopy(),
	}
	pod.Spec.NodeName = c.NodeName()
	pod.Spec.HostNetwork = true
	socket := strings.TrimPrefix(c.Containerd().Endpoint(), "unix://")
	for i := range pod.Spec.Containers {
		ctr := &pod.Spec.Containers[i]
		ctr.Image, ctr.ImagePullPolicy = agentImage, corev1.PullNever
		for j, a := range ctr.Args {
			if strings.HasPrefix(a, "--resync=") {
				ctr.Args[j] = "--resync=" + resync.String()
			}
		}
		for j := range ctr.Env {
			if ctr.Env[j].Name == "CRI_SOCKET" {
				ctr.Env[j].Value = socket
			}
		}
		for j := range ctr.VolumeMounts {
			if ctr.VolumeMounts[j].Name == "cri-socket" {
				ctr.VolumeMounts[j].MountPath = "/host" + socket
			}
		}
		if ctr.Name == "agent" {
			ctr.Args = append(ctr.Args, extra...)
			for _, a := range extra { // another metrics port: on the host's network, the probes' too
				if v, ok := strings.CutPrefix(a, "--metrics-addr=:"); ok {
					n, err := strconv.Atoi(v)
					if err != nil {
						t.Fatal(err)
					}
					for j := range ctr.Ports {
						if ctr.Ports[j].Name == "metrics" {
							ctr.Ports[j].ContainerPort = int32(n)
						}
					}
				}
			}
			ctr.Env = append(ctr.Env,
				corev1.EnvVar{Name: "KUBERNETES_SERVICE_HOST", Value: "127.0.0.1"},
				corev1.EnvVar{Name: "KUBERNETES_SERVICE_PORT", Value: strconv.Itoa(c.APIPort())})
		}
	}
	for i := range pod.Spec.Volumes {
		switch pod.Spec.Volumes[i].Name {
		case "cri-socket":
			pod.Spec.Volumes[i].HostPath.Path = socket
		case "runc-state": // the private containerd's runc root, at the path the agent reads
			pod.Spec.Volumes[i].HostPath.Path = c.Containerd().RuncRoot()
		}
	}
	ctr := &pod.Spec.Containers[0]
	created, err := c.RunPod(ctx, pod)
	if err != nil {
		t.Fatalf("the agent's pod: %v\n%s", err, logsOf(c, ns, pod.Name))
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("agent log:\n%s", logsOf(c, ns, pod.Name))
		}
	})
	port := "9808"
	for _, a := range ctr.Args {
		if v, ok := strings.CutPrefix(a, "--metrics-addr=:"); ok {
			port = v
		}
	}
	a := &agent{pod: created, metrics: "http://127.0.0.1:" + port}
	waitReady(t, c, ns, pod.Name)
	return a
}

// waitReady waits for the kubelet's readiness probe (/readyz: the first
// audit done, the runtime reachable) to pass.
func waitReady(t *testing.T, c *cluster.Cluster, ns, name string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		p, err := c.Client().CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err == nil {
			for _, cond := range p.Status.Conditions {
				if cond.Type == corev1.PodReady && cond.Status == corev1.ConditionTrue {
					return
				}
			}
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("the agent's pod is not Ready after 90s\n%s", logsOf(c, ns, name))
}

// logsOf is the agent container's log as the kubelet wrote it (read from
// the node's disk: it holds even when the API server cannot reach the kubelet).
func logsOf(c *cluster.Cluster, ns, name string) string {
	p, err := c.Client().CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return err.Error()
	}
	dir := filepath.Join(c.Dir(), "pod-logs", fmt.Sprintf("%s_%s_%s", ns, name, p.UID), "agent")
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(files) == 0 {
		return "(no log in " + dir + ")"
	}
	b, err := os.ReadFile(files[len(files)-1])
	if err != nil {
		return err.Error()
	}
	if len(b) > 20000 {
		b = b[len(b)-20000:]
	}
	return string(b)
}

// TestHelmChartServerDryRun: the chart, rendered with its defaults, is
// accepted by the real API server (server-side dry run: admission and
// schema validation, nothing created).
func TestHelmChartServerDryRun(t *testing.T) {
	c := cluster.Shared(t)
	helm := os.Getenv("RTAUDIT_HELM")
	if helm == "" {
		helm = "/var/cache/rtaudit/helm-v4.3.2/helm"
	}
	if _, err := os.Stat(helm); err != nil {
		if os.Getenv(cluster.RequireEnv) == "1" {
			t.Fatalf("no helm at %s (make helm builds it)", helm)
		}
		t.Skipf("no helm at %s (make helm builds it)", helm)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A release of its own, so the dry run never meets the kustomize
	// deployment's objects (a DaemonSet selector is immutable).
	const release, namespace = "helmcheck", "rtaudit-helm"
	out, err := exec.CommandContext(ctx, helm, "template", release, filepath.Join(repoRoot(t), "deploy", "helm", "rtaudit"),
		"--namespace", namespace, "--set", "crds.install=true").Output()
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	if err := c.EnsureNamespace(ctx, namespace); err != nil {
		t.Fatal(err)
	}
	res, err := c.KubectlStdin(ctx, string(out), "apply", "--dry-run=server", "-f", "-")
	if err != nil {
		t.Fatalf("server dry run of the chart: %v\n%s", err, res)
	}
	for _, kind := range []string{"daemonset.apps/", "clusterrole.rbac.authorization.k8s.io/", "serviceaccount/", "customresourcedefinition.apiextensions.k8s.io/"} {
		if !strings.Contains(res, kind) {
			t.Errorf("the dry run did not include a %s:\n%s", kind, res)
		}
	}
}
