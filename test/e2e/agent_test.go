package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"github.com/openreports/reports-api/pkg/client/clientset/versioned"
	openreportsv1alpha1 "github.com/openreports/reports-api/pkg/client/clientset/versioned/typed/openreports.io/v1alpha1"
	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/harness"
	"github.com/rtaudit/rtaudit/test/matrix"
)

const ns = "e2e"

// TestAgentUnderKubelet: the agent deployed from deploy/ runs under the
// real kubelet with its least-privilege securityContext, reports drift at
// the right layer and PID in OpenReports objects, honours a Waiver from the
// API, removes a deleted pod's report, serves its metrics, and passes its
// own audit.
func TestAgentUnderKubelet(t *testing.T) {
	c := cluster.Shared(t)
	buildImage(t, c)
	a := deploy(t, c, 5*time.Second)
	rc := reportsClient(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	if _, err := c.Client().NodeV1().RuntimeClasses().Create(ctx,
		&nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "drift"}, Handler: harness.DriftHandler}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	applyWaiver(t, c)
	clean := run(t, c, "clean", `  securityContext: {runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: main
    image: `+matrix.Image+`
    command: [sleep, "3600"]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}
`)
	drift := run(t, c, "drift", "  runtimeClassName: drift\n  containers:\n"+matrix.Sleeper)
	waived := run(t, c, "waived", "  runtimeClassName: drift\n  containers:\n"+matrix.Sleeper)
	execd := run(t, c, "exec-root", "  securityContext: {runAsUser: 1000, runAsGroup: 1000}\n  containers:\n"+matrix.Sleeper)
	l, err := harness.NewLauncher(c.Containerd()) // only its ExecAs: never Run on the kubelet's containerd
	if err != nil {
		t.Fatal(err)
	}
	pid, err := l.ExecAs(ctx, containerID(execd), 0, 0, "sleep", "3600")
	if err != nil {
		t.Fatal(err)
	}

	got := waitReport(t, rc, drift, func(r *v1alpha1.Report) bool { return hasResult(r, "capabilities", "fail") })
	if res := result(got, "capabilities"); res.Properties["layer"] != "oci" || res.Properties["container"] != "main" {
		t.Errorf("drift: %+v, want layer oci on container main", res)
	}
	got = waitReport(t, rc, execd, func(r *v1alpha1.Report) bool { return hasResult(r, "run-as-user", "fail") })
	if res := result(got, "run-as-user"); res.Properties["layer"] != "process" || res.Properties["pid"] != strconv.Itoa(pid) {
		t.Errorf("exec: %+v, want layer process on pid %d", res, pid)
	}
	got = waitReport(t, rc, waived, func(r *v1alpha1.Report) bool { return hasResult(r, "capabilities", "skip") })
	if res := result(got, "capabilities"); res.Properties["waiver"] != ns+"/runtime-class-drift" {
		t.Errorf("waived: %+v, want properties.waiver %s/runtime-class-drift", res, ns)
	}
	got = waitReport(t, rc, clean, func(r *v1alpha1.Report) bool { return r.Summary.Pass > 0 })
	if got.Summary.Fail != 0 || got.Summary.Warn != 0 {
		t.Errorf("clean pod: summary %+v, results %+v", got.Summary, got.Results)
	}
	own := waitReport(t, rc, a.pod, func(r *v1alpha1.Report) bool { return r.Summary.Pass > 0 })
	if own.Summary.Fail != 0 || own.Summary.Warn != 0 || own.Summary.Error != 0 {
		t.Errorf("the agent does not pass its own audit: %+v %+v", own.Summary, own.Results)
	}
	for _, r := range []*v1alpha1.Report{got, own} {
		if r.Labels["rtaudit.dev/node"] != c.NodeName() || len(r.OwnerReferences) != 1 || r.OwnerReferences[0].Kind != "Pod" {
			t.Errorf("report %s: labels %v owners %+v", r.Name, r.Labels, r.OwnerReferences)
		}
	}

	if out, err := c.Kubectl(ctx, "get", "reports", "-A"); err == nil {
		t.Logf("kubectl get reports -A:\n%s", out)
	}
	if out, err := c.Kubectl(ctx, "get", "waivers", "-n", ns); err == nil {
		t.Logf("kubectl get waivers -n %s:\n%s", ns, out)
	}
	m := metrics(t, a.metrics)
	for _, want := range []string{
		`rtaudit_findings{check="capabilities",namespace="e2e",severity="critical"} 1`,
		`rtaudit_findings_waived{check="capabilities",namespace="e2e"} 1`,
		`rtaudit_declared_from_api 1`, `rtaudit_api_up 1`, `rtaudit_cri_up 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	checkAgentReach(t, c, a.pod)
	checkNodeBoundWrites(t, c, a.pod)
	checkSteadyWrites(t, c, a)
	checkAPIOutage(t, c, a, rc, clean)

	if err := c.DeletePod(ctx, ns, drift.Name); err != nil {
		t.Fatal(err)
	}
	waitGone(t, rc, drift)
}

func reportsClient(t *testing.T, c *cluster.Cluster) versioned.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	cs, err := versioned.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// applyWaiver accepts the drift RuntimeClass's capability on pods labelled
// waive=yes running the test image, and nothing else.
func applyWaiver(t *testing.T, c *cluster.Cluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	w := fmt.Sprintf(`apiVersion: rtaudit.dev/v1alpha1
kind: Waiver
metadata: {name: runtime-class-drift, namespace: %s}
spec:
  podSelector: {matchLabels: {waive: "yes"}}
  containers: [{name: main, image: %q}]
  checks: [capabilities]
  allow: {capabilities: [CAP_SYS_ADMIN]}
  reason: the drift RuntimeClass adds CAP_SYS_ADMIN on purpose in this test
`, ns, matrix.Image)
	if out, err := c.KubectlStdin(ctx, w, "apply", "-f", "-"); err != nil {
		t.Fatalf("waiver: %v\n%s", err, out)
	}
}

// run creates a pod of ns from a matrix-style spec body and waits for it.
func run(t *testing.T, c *cluster.Cluster, name, spec string) *corev1.Pod {
	t.Helper()
	var labels map[string]string
	if name == "waived" {
		labels = map[string]string{"waive": "yes"}
	}
	return runIn(t, c, ns, name, spec, labels)
}

// runIn creates a pod of namespace with labels from a matrix-style spec
// body (images never pulled: they were imported) and waits for it to run.
func runIn(t *testing.T, c *cluster.Cluster, namespace, name, spec string, labels map[string]string) *corev1.Pod {
	t.Helper()
	pod, err := matrix.Pod(name, spec)
	if err != nil {
		t.Fatal(err)
	}
	pod.Namespace = namespace
	if labels != nil {
		pod.Labels = labels
	}
	for i := range pod.Spec.Containers {
		pod.Spec.Containers[i].ImagePullPolicy = corev1.PullNever
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	got, err := c.RunPod(ctx, pod)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func containerID(p *corev1.Pod) string {
	for _, st := range p.Status.ContainerStatuses {
		if st.Name == "main" {
			return strings.TrimPrefix(st.ContainerID, "containerd://")
		}
	}
	return ""
}

// waitReport waits for the report of pod (named after its UID) to satisfy ok.
func waitReport(t *testing.T, rc versioned.Interface, pod *corev1.Pod, ok func(*v1alpha1.Report) bool) *v1alpha1.Report {
	t.Helper()
	name := "rtaudit-" + string(pod.UID)
	deadline := time.Now().Add(90 * time.Second)
	var last *v1alpha1.Report
	for time.Now().Before(deadline) {
		r, err := rc.OpenreportsV1alpha1().Reports(pod.Namespace).Get(context.Background(), name, metav1.GetOptions{})
		if err == nil {
			last = r
			if ok(r) {
				return r
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("report %s/%s of pod %s: condition not met within 90s; last: %+v", pod.Namespace, name, pod.Name, last)
	return nil
}

func waitGone(t *testing.T, rc versioned.Interface, pod *corev1.Pod) {
	t.Helper()
	name := "rtaudit-" + string(pod.UID)
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		_, err := rc.OpenreportsV1alpha1().Reports(pod.Namespace).Get(context.Background(), name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("report %s/%s of deleted pod %s still there after 90s", pod.Namespace, name, pod.Name)
}

func hasResult(r *v1alpha1.Report, rule string, res v1alpha1.Result) bool {
	for _, x := range r.Results {
		if x.Rule == rule && x.Result == res {
			return true
		}
	}
	return false
}

func result(r *v1alpha1.Report, rule string) v1alpha1.ReportResult {
	for _, x := range r.Results {
		if x.Rule == rule {
			return x
		}
	}
	return v1alpha1.ReportResult{}
}

func metrics(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkAgentReach: the agent container holds no runtime socket; what it
// can reach, the filter's socket in its emptyDir, refuses every call that
// could start or change a container.
func checkAgentReach(t *testing.T, c *cluster.Cluster, pod *corev1.Pod) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var id string
	for _, st := range pod.Status.ContainerStatuses {
		if st.Name == "agent" {
			id = strings.TrimPrefix(st.ContainerID, "containerd://")
		}
	}
	rt, err := c.Containerd().RuntimeService()
	if err != nil {
		t.Fatal(err)
	}
	pid, err := harness.ContainerPID(ctx, rt, id)
	if err != nil {
		t.Fatal(err)
	}
	mi, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
	if err != nil {
		t.Fatal(err)
	}
	socket := strings.TrimPrefix(c.Containerd().Endpoint(), "unix://")
	for _, line := range strings.Split(string(mi), "\n") {
		if strings.Contains(line, filepath.Base(socket)) || strings.Contains(line, "/host/") {
			t.Errorf("the agent container mounts %q", line)
		}
	}
	conn, err := grpc.NewClient(fmt.Sprintf("unix:///proc/%d/root/run/rtaudit/cri.sock", pid), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rs := runtimeapi.NewRuntimeServiceClient(conn)
	if _, err := rs.Version(ctx, &runtimeapi.VersionRequest{}); err != nil {
		t.Fatalf("Version through the agent's socket: %v", err)
	}
	for name, call := range map[string]func() error{
		"RunPodSandbox": func() error {
			_, err := rs.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: &runtimeapi.PodSandboxConfig{Metadata: &runtimeapi.PodSandboxMetadata{Name: "evil", Namespace: "default", Uid: "evil"}}})
			return err
		},
		"CreateContainer": func() error {
			_, err := rs.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{PodSandboxId: "x"})
			return err
		},
		"Exec": func() error {
			_, err := rs.Exec(ctx, &runtimeapi.ExecRequest{ContainerId: id, Cmd: []string{"id"}})
			return err
		},
		"ExecSync": func() error {
			_, err := rs.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: id, Cmd: []string{"id"}})
			return err
		},
	} {
		if err := call(); status.Code(err) != codes.PermissionDenied {
			t.Errorf("%s through the agent's socket: %v, want PermissionDenied", name, err)
		}
	}
}

// checkNodeBoundWrites: with the agent's own pod-bound token, a report of
// this node can be written and deleted; one annotated for another node can
// be neither created, changed nor deleted (deploy/'s admission policy).
func checkNodeBoundWrites(t *testing.T, c *cluster.Cluster, pod *corev1.Pod) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tok, err := c.Client().CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, pod.Spec.ServiceAccountName, &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{BoundObjectRef: &authv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	cfg := rest.AnonymousClientConfig(admin)
	cfg.BearerToken = tok.Status.Token
	as, err := versioned.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reports := func(cs versioned.Interface) func() openreportsv1alpha1.ReportInterface {
		return func() openreportsv1alpha1.ReportInterface { return cs.OpenreportsV1alpha1().Reports(ns) }
	}
	agentReports, adminReports := reports(as), reports(reportsClient(t, c))
	report := func(name, node string) *v1alpha1.Report {
		return &v1alpha1.Report{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns,
			Annotations: map[string]string{"rtaudit.dev/node": node}}}
	}
	if _, err := agentReports().Create(ctx, report("vap-own", c.NodeName()), metav1.CreateOptions{}); err != nil {
		t.Errorf("the agent creating its own node's report: %v", err)
	} else if err := agentReports().Delete(ctx, "vap-own", metav1.DeleteOptions{}); err != nil {
		t.Errorf("the agent deleting its own node's report: %v", err)
	}
	if _, err := agentReports().Create(ctx, report("vap-forged", "other-node"), metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "rtaudit: an agent on node") {
		t.Errorf("the agent creating another node's report: %v, want a denial", err)
	}
	foreign, err := adminReports().Create(ctx, report("vap-foreign", "other-node"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer adminReports().Delete(context.Background(), foreign.Name, metav1.DeleteOptions{})
	changed := foreign.DeepCopy()
	changed.Summary.Pass = 99
	if _, err := agentReports().Update(ctx, changed, metav1.UpdateOptions{}); err == nil {
		t.Error("the agent rewrote another node's report")
	}
	changed.Annotations["rtaudit.dev/node"] = c.NodeName()
	if _, err := agentReports().Update(ctx, changed, metav1.UpdateOptions{}); err == nil {
		t.Error("the agent took over another node's report by re-annotating it")
	}
	if err := agentReports().Delete(ctx, foreign.Name, metav1.DeleteOptions{}); err == nil {
		t.Error("the agent deleted another node's report")
	}
}

// checkSteadyWrites: at rest (nothing changes in the pods), three resyncs
// rewrite no pod's report: writes follow change, not time. (The node's
// ClusterReport is left out: other test packages run containers on this
// host meanwhile, hidden ones to this node's agent, and that is change.)
func checkSteadyWrites(t *testing.T, c *cluster.Cluster, a *agent) {
	t.Helper()
	rc := reportsClient(t, c)
	versions := func() map[string]string {
		out := map[string]string{}
		for _, n := range []string{ns, a.pod.Namespace} {
			list, err := rc.OpenreportsV1alpha1().Reports(n).List(context.Background(), metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range list.Items {
				out[r.Namespace+"/"+r.Name] = r.ResourceVersion
			}
		}
		return out
	}
	scans := counter(t, a, "rtaudit_scans_total")
	before := versions()
	time.Sleep(16 * time.Second) // three resyncs of 5s
	after, scansAfter := versions(), counter(t, a, "rtaudit_scans_total")
	// At least two: a full audit may take seconds while other tests' labs
	// start pods on this host (the hidden-process search lists the runtime
	// again for their young pause processes), and the ticker drops ticks.
	if scansAfter-scans < 2 {
		t.Errorf("%v audits in 16s, want at least 2 resyncs", scansAfter-scans)
	}
	rewritten := 0
	for k, v := range before {
		if after[k] != v {
			rewritten++
			t.Errorf("report %s rewritten at rest (resourceVersion %s → %s)", k, v, after[k])
		}
	}
	t.Logf("at rest: %v audits, %d of %d pod reports rewritten in 16s", scansAfter-scans, rewritten, len(before))
}

// counter sums every series of a counter in /metrics.
func counter(t *testing.T, a *agent, name string) float64 { return series(t, a, name, "") }
