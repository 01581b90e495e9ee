package e2e

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openreports/reports-api/apis/openreports.io/v1alpha1"
	"github.com/openreports/reports-api/pkg/client/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rtaudit/rtaudit/test/cluster"
	"github.com/rtaudit/rtaudit/test/harness"
)

// checkAPIOutage stops the API server under the running agent: audits go on
// (the runtime and /proc need no API) against the last known pod specs, so
// a root exec made meanwhile in the compliant pod shows on /metrics at
// once; rtaudit_api_up drops to 0; the agent neither restarts nor turns
// unready; no write succeeds and none piles up. Once the API server is back
// the finding reaches the pod's Report within a few audits, with a handful
// of writes (the reports that changed), not one per audit missed.
func checkAPIOutage(t *testing.T, c *cluster.Cluster, a *agent, rc versioned.Interface, pod *corev1.Pod) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rt, err := c.Containerd().RuntimeService()
	if err != nil {
		t.Fatal(err)
	}
	agentID := containerIDOf(a.pod, "agent")
	agentPID, err := harness.ContainerPID(ctx, rt, agentID)
	if err != nil {
		t.Fatal(err)
	}
	writes := counter(t, a, "rtaudit_report_writes_total")
	apiErrors := counter(t, a, "rtaudit_api_errors_total")
	rootFindings := series(t, a, "rtaudit_findings", `check="run-as-non-root"`)

	down := time.Now()
	c.StopAPIServer()
	up := false
	defer func() {
		if !up {
			if err := c.StartAPIServer(context.Background()); err != nil {
				t.Errorf("restarting the API server: %v", err)
			}
		}
	}()
	waitMetrics(t, a, "rtaudit_api_up 0", 60*time.Second, func(m string) bool { return strings.Contains(m, "\nrtaudit_api_up 0\n") })
	noticed := time.Since(down)

	l, err := harness.NewLauncher(c.Containerd())
	if err != nil {
		t.Fatal(err)
	}
	pid, err := l.ExecAs(ctx, containerID(pod), 0, 0, "sleep", "3600")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Kill(pid, syscall.SIGKILL) }()
	execAt := time.Now()
	waitMetrics(t, a, "a new run-as-non-root finding", 60*time.Second, func(string) bool {
		return series(t, a, "rtaudit_findings", `check="run-as-non-root"`) > rootFindings
	})
	seen := time.Since(execAt)
	time.Sleep(10 * time.Second) // two resyncs with the API down
	if got, err := harness.ContainerPID(ctx, rt, agentID); err != nil || got != agentPID {
		t.Errorf("the agent restarted during the outage: pid %d → %d (%v)", agentPID, got, err)
	}
	if code := httpStatus(a.metrics + "/readyz"); code != http.StatusOK {
		t.Errorf("/readyz during the API outage = %d, want 200 (the node is still audited)", code)
	}
	if w := counter(t, a, "rtaudit_report_writes_total"); w != writes {
		t.Errorf("report writes during the outage: %v → %v", writes, w)
	}
	failed := counter(t, a, "rtaudit_api_errors_total") - apiErrors

	if err := c.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	up = true
	back, scansBack := time.Now(), counter(t, a, "rtaudit_scans_total")
	waitReport(t, rc, pod, func(r *v1alpha1.Report) bool { return hasResult(r, "run-as-non-root", "fail") })
	caughtUp := time.Since(back)
	waitMetrics(t, a, "rtaudit_api_up 1", 60*time.Second, func(m string) bool { return strings.Contains(m, "\nrtaudit_api_up 1\n") })
	time.Sleep(10 * time.Second) // two resyncs: nothing more to write
	catchUp := counter(t, a, "rtaudit_report_writes_total") - writes
	audits := counter(t, a, "rtaudit_scans_total") - scansBack
	// A catch-up, not one write per report for each audit missed: at most
	// one write per report the agent keeps, plus one per audit since the
	// API came back for the node's report, which other tests' labs change
	// meanwhile (their processes are hidden ones to this node's agent).
	nReports := countReports(t, rc)
	if limit := float64(nReports) + audits; catchUp < 1 || catchUp > limit {
		t.Errorf("%v report writes after the outage, want 1 to %v (one per report, and one per audit since for the node's)", catchUp, limit)
	}
	t.Logf("API outage of %v: noticed in %v, a root exec on /metrics %v after it, %v failed API calls, the Report updated %v after the API server was back, %v writes in all for %d reports and %v audits",
		back.Sub(down).Round(time.Second), noticed.Round(100*time.Millisecond), seen.Round(100*time.Millisecond), failed, caughtUp.Round(100*time.Millisecond), catchUp, nReports, audits)

	_ = syscall.Kill(pid, syscall.SIGKILL)
	waitReport(t, rc, pod, func(r *v1alpha1.Report) bool { return !hasResult(r, "run-as-non-root", "fail") })
}

// countReports counts the Reports and ClusterReports in the cluster.
func countReports(t *testing.T, rc versioned.Interface) int {
	t.Helper()
	rs, err := rc.OpenreportsV1alpha1().Reports("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	crs, err := rc.OpenreportsV1alpha1().ClusterReports().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return len(rs.Items) + len(crs.Items)
}

// containerIDOf is the runtime's ID of the named container of pod.
func containerIDOf(p *corev1.Pod, name string) string {
	for _, st := range p.Status.ContainerStatuses {
		if st.Name == name {
			return strings.TrimPrefix(st.ContainerID, "containerd://")
		}
	}
	return ""
}

// series sums the series of a metric whose labels contain match (every
// series with match "").
func series(t *testing.T, a *agent, name, match string) float64 {
	t.Helper()
	sum := 0.0
	for _, line := range strings.Split(metrics(t, a.metrics), "\n") {
		labelled := strings.HasPrefix(line, name+"{") && strings.Contains(line, match)
		if !labelled && (match != "" || !strings.HasPrefix(line, name+" ")) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		sum += v
	}
	return sum
}

// waitMetrics polls /metrics until ok holds.
func waitMetrics(t *testing.T, a *agent, what string, within time.Duration, ok func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if ok("\n" + metrics(t, a.metrics)) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("/metrics: %s not seen within %v", what, within)
}

func httpStatus(url string) int {
	resp, err := http.Get(url)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
