package integration

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/daemon"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/harness"
)

// runningAgent is `rtaudit agent` in CRI-only mode on the lab's runtime.
type runningAgent struct {
	url     string
	reports chan *scan.Report
	stop    func() time.Duration // cancels and returns how long Run took to return
}

func startAgent(t *testing.T, lab *harness.Lab, resync time.Duration) *runningAgent {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &runningAgent{url: "http://" + ln.Addr().String(), reports: make(chan *scan.Report, 64)}
	o := daemon.Options{Resync: resync, Listener: ln, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnAudit: func(r *scan.Report) {
			select {
			case a.reports <- r:
			default: // the test reads the latest; drop when it is behind
			}
		}}
	o.Scan.Runtime.Endpoint = lab.Endpoint()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := daemon.Run(ctx, o); err != nil {
			t.Errorf("agent: %v", err)
		}
	}()
	var once sync.Once
	var took time.Duration
	a.stop = func() time.Duration {
		once.Do(func() {
			begin := time.Now()
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Error("the agent did not stop within 30s of its context ending")
			}
			took = time.Since(begin)
		})
		return took
	}
	t.Cleanup(func() { a.stop() })
	waitReady(t, a.url)
	return a
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent not ready within 30s (last: %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitFor returns the first report after since for which ok holds.
func (a *runningAgent) waitFor(t *testing.T, within time.Duration, ok func(*scan.Report) bool) *scan.Report {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case r := <-a.reports:
			if ok(r) {
				return r
			}
		case <-deadline:
			t.Fatalf("no audit satisfied the condition within %v", within)
			return nil
		}
	}
}

func findingOf(r *scan.Report, pod string, check checks.ID) (checks.Finding, bool) {
	for _, f := range r.Findings {
		if f.Pod == pod && f.Check == check {
			return f, true
		}
	}
	return checks.Finding{}, false
}

func metricsText(t *testing.T, url string) string {
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

// TestAgentAuditsOnStart: with no resync in sight, a drifting container is
// judged because it started (CRI events, or polling on containerd 1.6),
// the finding reaches /metrics, and it is resolved once the pod is gone.
func TestAgentAuditsOnStart(t *testing.T) {
	lab := harness.SharedLab(t)
	a := startAgent(t, lab, time.Hour)
	pod, err := harness.ParsePod([]byte(podYAML("agent-drift", "  runtimeClassName: "+harness.DriftHandler+"\n  containers:\n"+sleeper)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := lab.Launcher.Run(ctx, pod)
	if err != nil {
		t.Fatal(err)
	}
	started := time.Now()
	deleted := false
	defer func() {
		if !deleted {
			_ = p.Delete(context.Background())
		}
	}()
	r := a.waitFor(t, 20*time.Second, func(r *scan.Report) bool { _, ok := findingOf(r, "agent-drift", checks.Capabilities); return ok })
	t.Logf("start to finding: %v (CRI-only, %s %s)", time.Since(started).Round(time.Millisecond), r.Runtime.Name, r.Runtime.Version)
	if f, _ := findingOf(r, "agent-drift", checks.Capabilities); f.Layer != checks.LayerOCI {
		t.Errorf("finding at layer %s, want oci: %+v", f.Layer, f)
	}
	m := metricsText(t, a.url)
	for _, want := range []string{`rtaudit_findings{check="capabilities",namespace="default",severity="critical"}`, "rtaudit_containers_audited ", "rtaudit_cri_up 1", `rtaudit_scans_total{trigger="event"}`, "rtaudit_event_to_audit_seconds_count"} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if err := p.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	deleted = true
	// Deletion sends no start event: the next resync or another pod's
	// start audits again; force one with a pod of our own.
	clean, _ := launch(t, lab, podYAML("agent-clean", "  containers:\n"+sleeper))
	_ = clean
	a.waitFor(t, 20*time.Second, func(r *scan.Report) bool {
		_, drift := findingOf(r, "agent-drift", checks.Capabilities)
		for _, c := range r.Containers {
			if c.Pod == "agent-clean" {
				return !drift
			}
		}
		return false
	})
	if took := a.stop(); took > 10*time.Second {
		t.Errorf("graceful stop took %v", took)
	}
}

// TestAgentResyncCatchesExec: a root process exec'd into a non-root
// container makes no CRI event; the resync finds it.
func TestAgentResyncCatchesExec(t *testing.T) {
	lab := harness.SharedLab(t)
	a := startAgent(t, lab, time.Second)
	p, _ := launch(t, lab, podYAML("agent-exec", "  securityContext: {runAsUser: 1000, runAsGroup: 1000}\n  containers:\n"+sleeper))
	pid, err := p.ExecAs(context.Background(), "main", 0, 0, "sleep", "3600")
	if err != nil {
		t.Fatal(err)
	}
	r := a.waitFor(t, 20*time.Second, func(r *scan.Report) bool { _, ok := findingOf(r, "agent-exec", checks.RunAsUser); return ok })
	if f, _ := findingOf(r, "agent-exec", checks.RunAsUser); f.PID != pid || f.Layer != checks.LayerProcess {
		t.Errorf("finding %+v, want layer process on pid %d", f, pid)
	}
}
