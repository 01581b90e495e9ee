package groundtruth

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/matrix"
)

// restrictedSpec passes the Pod Security Standards' restricted level.
var restrictedSpec = `  securityContext: {runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: main
    image: ` + matrix.Image + `
    command: [sleep, "3600"]
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`

// labelNamespace creates ns (with what pods need) and sets its labels.
func labelNamespace(ctx context.Context, t *testing.T, c *cluster.Cluster, ns string, labels map[string]string) {
	t.Helper()
	if err := c.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	n, err := c.Client().CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n.Labels == nil {
		n.Labels = map[string]string{}
	}
	for k, v := range labels {
		n.Labels[k] = v
	}
	if _, err := c.Client().CoreV1().Namespaces().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func levelsOf(r *scan.Report, pod string) scan.PodLevels {
	for _, p := range r.Pods {
		if p.Pod == pod {
			return p
		}
	}
	return scan.PodLevels{}
}

// TestPSSAdmittedRestrictedRunsBaseline: the API server's own Pod Security
// Admission admits a restricted pod into a namespace enforcing restricted
// (and refuses a baseline one: the plugin is on); rtaudit gives it the
// same level, then baseline once a root process runs in it behind the
// kubelet's back: one pss-level finding on that process, naming the
// namespace's enforce level.
func TestPSSAdmittedRestrictedRunsBaseline(t *testing.T) {
	c := cluster.Shared(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const ns = "gt-pss"
	labelNamespace(ctx, t, c, ns, map[string]string{"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.37"})
	refused, err := clusterPod(c, ns, "baseline", "  containers:\n"+matrix.Sleeper)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Client().CoreV1().Pods(ns).Create(ctx, refused, metav1.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "PodSecurity") {
		t.Fatalf("a baseline pod in a restricted namespace: %v, want Pod Security Admission's refusal", err)
	}
	kp := runIn(t, c, ns, "admitted", restrictedSpec, "main")
	r := scanNamespace(t, c, ns)
	want := scan.PodLevels{Namespace: ns, Pod: "admitted", PodUID: string(kp.pod.UID), DeclaredLevel: "restricted", EffectiveLevel: "restricted", EnforceLevel: "restricted", EnforceVersion: "v1.37"}
	if got := levelsOf(r, "admitted"); got != want {
		t.Fatalf("levels %+v, want %+v", got, want)
	}
	if got := drifts(r, "admitted"); len(got) != 0 {
		t.Fatalf("before the exec: findings %v, want none:%s", got, dump(r, "admitted"))
	}
	pid, err := c.Runtime().ExecAs(ctx, kp.id, 0, 0, "sleep", "3600")
	if err != nil {
		t.Fatal(err)
	}
	r = scanNamespace(t, c, ns)
	wantDrifts := []string{fmt.Sprintf("pss-level/process/%d", pid), fmt.Sprintf("run-as-group/process/%d", pid), fmt.Sprintf("run-as-non-root/process/%d", pid)}
	if got := drifts(r, "admitted"); !slices.Equal(got, wantDrifts) {
		t.Fatalf("findings %v, want %v:%s", got, wantDrifts, dump(r, "admitted"))
	}
	want.EffectiveLevel = "baseline"
	if got := levelsOf(r, "admitted"); got != want {
		t.Errorf("levels %+v, want %+v", got, want)
	}
	for _, f := range r.Findings {
		if f.Check == checks.PSSLevel && (f.Expected != "restricted" || f.Actual != "baseline" || !strings.Contains(f.Message, "enforce level restricted at v1.37")) {
			t.Errorf("pss-level finding %+v", f)
		}
	}
}

// TestPSSNamespaceLabelledLater: admission judges a pod once; a namespace
// labelled enforce=restricted after a baseline pod started keeps it
// running (the API server only warns). rtaudit reports the pod below the
// enforce level, at the cri layer: nothing drifted, the spec itself is
// below.
func TestPSSNamespaceLabelledLater(t *testing.T) {
	c := cluster.Shared(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const ns = "gt-pss-late"
	runIn(t, c, ns, "older", "  containers:\n"+matrix.Sleeper, "main")
	labelNamespace(ctx, t, c, ns, map[string]string{"pod-security.kubernetes.io/enforce": "restricted"})
	r := scanNamespace(t, c, ns)
	if got, want := drifts(r, "older"), []string{"pss-level/cri/0"}; !slices.Equal(got, want) {
		t.Fatalf("findings %v, want %v:%s", got, want, dump(r, "older"))
	}
	if got := levelsOf(r, "older"); got.DeclaredLevel != "baseline" || got.EffectiveLevel != "baseline" || got.EnforceLevel != "restricted" || got.EnforceVersion != "" {
		t.Errorf("levels %+v", got)
	}
}
