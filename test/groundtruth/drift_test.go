package groundtruth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/declared"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/harness"
	"github.com/rtaudit/rtaudit/test/matrix"
)

// runIn applies a pod built from a matrix-style spec body in namespace ns
// and waits for its container "main" (or the named one).
func runIn(t *testing.T, c *cluster.Cluster, ns, name, spec, container string) *kubeletPod {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pod, err := clusterPod(c, ns, name, spec)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := runPod(ctx, c, pod, container)
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// TestDriftRuntimeClassAddsCapability: a RuntimeClass whose handler's base
// OCI spec adds CAP_SYS_ADMIN (harness.DriftHandler) gives a capabilities
// finding at the oci layer: the kubelet's CRI config was right.
func TestDriftRuntimeClassAddsCapability(t *testing.T) {
	c := cluster.Shared(t)
	containerdOnly(t, c, "the drift handler is a containerd runtime whose base_runtime_spec adds the capability; CRI-O has no per-handler base spec, so its own spec cannot depart from the CRI config that way (test/crio covers CRI-O's oci-layer mistranslations)")
	t.Parallel()
	ctx := context.Background()
	rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "drift"}, Handler: harness.DriftHandler}
	if _, err := c.Client().NodeV1().RuntimeClasses().Create(ctx, rc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	const ns = "gt-runtimeclass"
	runIn(t, c, ns, "drift-handler", `  runtimeClassName: drift
  containers:
  - name: main
    image: `+matrix.Image+`
    command: [sleep, "3600"]
    securityContext: {capabilities: {drop: [NET_RAW]}}
`, "main")
	r := scanNamespace(t, c, ns)
	// The pod declares baseline; CAP_SYS_ADMIN makes it privileged.
	if got, want := drifts(r, "drift-handler"), []string{"capabilities/oci/0", "pss-level/oci/0"}; !slices.Equal(got, want) {
		t.Fatalf("findings %v, want %v:%s", got, want, dump(r, "drift-handler"))
	}
	for _, f := range r.Findings {
		if f.Check == checks.Capabilities && !strings.Contains(f.Message, harness.DriftCapability) {
			t.Errorf("message %q does not name %s", f.Message, harness.DriftCapability)
		}
	}
}

// TestDriftRootExec: a root process started behind the kubelet's back (the
// containerd client's task exec, as `ctr -n k8s.io task exec --user 0`; on
// CRI-O the OCI runtime's own `exec --user 0:0` in CRI-O's runtime root) in
// a runAsUser/runAsGroup 1000 container is a finding on that process only.
func TestDriftRootExec(t *testing.T) {
	c := cluster.Shared(t)
	t.Parallel()
	const ns = "gt-exec"
	kp := runIn(t, c, ns, "exec-root", `  securityContext: {runAsUser: 1000, runAsGroup: 1000}
  containers:
`+matrix.Sleeper, "main")
	if got := drifts(scanNamespace(t, c, ns), "exec-root"); len(got) != 0 {
		t.Fatalf("before the exec: findings %v, want none", got)
	}
	pid, err := c.Runtime().ExecAs(context.Background(), kp.id, 0, 0, "sleep", "3600")
	if err != nil {
		t.Fatal(err)
	}
	r := scanNamespace(t, c, ns)
	want := []string{fmt.Sprintf("run-as-group/process/%d", pid), fmt.Sprintf("run-as-user/process/%d", pid)}
	if got := drifts(r, "exec-root"); !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v:%s", got, want, dump(r, "exec-root"))
	}
	if len(r.Containers) != 1 || r.Containers[0].Processes != 2 {
		t.Errorf("containers %+v, want one with 2 processes (init and the exec)", r.Containers)
	}
}

// TestSidecarAndInitContainers: a pod with an init container that ran to
// completion and a restartable init container (a sidecar,
// restartPolicy: Always) is judged like any other: a compliant one gives
// no finding, and the sidecar is audited against its initContainers entry.
func TestSidecarAndInitContainers(t *testing.T) {
	c := cluster.Shared(t)
	t.Parallel()
	const ns = "gt-sidecar"
	kp := runIn(t, c, ns, "sidecar", `  securityContext: {runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: {type: RuntimeDefault}}
  initContainers:
  - name: prepare
    image: `+matrix.Image+`
    command: ["true"]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
  - name: proxy
    image: `+matrix.Image+`
    command: [sleep, "3600"]
    restartPolicy: Always
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}
  containers:
  - name: main
    image: `+matrix.Image+`
    command: [sleep, "3600"]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`, "proxy")
	r := scanNamespace(t, c, ns)
	running := map[string]int{}
	for _, ctr := range r.Containers {
		running[ctr.Container] = ctr.PID
	}
	if _, ok := running["prepare"]; ok || running["proxy"] != kp.pid || running["main"] == 0 {
		t.Errorf("audited %v, want the sidecar proxy (pid %d) and main, not the finished init container", running, kp.pid)
	}
	if got := drifts(r, "sidecar"); len(got) != 0 {
		t.Errorf("findings %v, want none:%s", got, dump(r, "sidecar"))
	}
}

// TestSeccompDefaultIsUnconfined: with the kubelet's default (seccompDefault
// off), a container that sets no profile runs Unconfined, and the audit
// agrees; told the kubelet runs with seccompDefault: true, the audit
// reports that same process.
func TestSeccompDefaultIsUnconfined(t *testing.T) {
	c := cluster.Shared(t)
	pods, errs := kubeletMatrix(t)
	if err := errs["defaults"]; err != nil {
		t.Fatal(err)
	}
	kp := pods["defaults"]
	k, err := readKernel(kp.pid, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if got := k["status.Seccomp"]; got != "0" {
		t.Fatalf("the kubelet's container with no profile has Seccomp %s, want 0 (Unconfined)", got)
	}
	if got := drifts(scanNamespace(t, c, matrixNamespace), "defaults"); len(got) != 0 {
		t.Errorf("findings %v with the kubelet's default, want none", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	src, err := declared.LoadKubeAPI(ctx, declared.KubeAPIOptions{Kubeconfig: c.Kubeconfig(), Node: c.NodeName()})
	if err != nil {
		t.Fatal(err)
	}
	r, err := scan.Run(ctx, scan.Options{
		Runtime: runtimeOptions(c), Declared: src, Node: c.NodeName(), SeccompDefault: true,
		Filter: scan.Filter{Namespace: matrixNamespace, Pod: "defaults"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The seccomp drift also lowers the pod's effective Pod Security
	// Standards level (Unconfined is not baseline): pss-level says so.
	l := kubeletLayer(c)
	if got, want := drifts(r, "defaults"), []string{"pss-level/" + l + "/0", "seccomp/" + l + "/0"}; !slices.Equal(got, want) {
		t.Errorf("with seccompDefault: findings %v, want %v:%s", got, want, dump(r, "defaults"))
	}
}

// TestDriftPodDeletedContainerRuns: a pod deleted from the API while its
// container still runs (the kubelet hung, so nobody stopped it) is unknown
// to the kube-api source: an undeclared-container finding, judged against
// its own CRI config otherwise. Not parallel: the kubelet is paused.
func TestDriftPodDeletedContainerRuns(t *testing.T) {
	c := cluster.Shared(t)
	const ns = "gt-deleted"
	kp := runIn(t, c, ns, "orphan", "  containers:\n"+matrix.Sleeper, "main")
	resume, err := c.PauseKubelet()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := resume(); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.DeletePod(ctx, ns, "orphan"); err != nil {
		t.Fatal(err)
	}
	r := scanNamespace(t, c, ns)
	if got, want := drifts(r, "orphan"), []string{"undeclared-container/cri/0"}; !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v:%s", got, want, dump(r, "orphan"))
	}
	// declaredFrom stays the configured source ("kube-api") although the
	// API no longer knows the pod: the finding is what says so.
	if len(r.Containers) != 1 || r.Containers[0].PID != kp.pid {
		t.Errorf("containers %+v, want the orphan (pid %d)", r.Containers, kp.pid)
	}
}
