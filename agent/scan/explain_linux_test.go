//go:build linux

package scan_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rtaudit/rtaudit/agent/scan"
)

// TestExplainFacts: Explain of one pod returns the filtered scan's report
// and, for its container, the very subject the checks judged (processes,
// declared expectation, the host's root mount) and the declaring pod.
func TestExplainFacts(t *testing.T) {
	c := load(t, "process-drift")
	execRoot := c.container(t, "exec-root")
	s := scan.NewScanner(runtimeOf(c.cri), c.fs, scan.Options{Node: goldenNode, Declared: c.pods})
	f := scan.Filter{Namespace: execRoot.Pod.Namespace, Pod: "exec-root"}
	r, facts, err := s.Explain(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Containers) != 1 || len(facts) != 1 {
		t.Fatalf("%d containers, %d facts, want the pod's one", len(r.Containers), len(facts))
	}
	fc, ok := facts[execRoot.ID]
	if !ok {
		t.Fatalf("no facts for %s: %v", execRoot.ID, facts)
	}
	subj := fc.Subject
	if fc.Pod == nil || fc.Pod.Name != "exec-root" || subj.Declared == nil {
		t.Errorf("declaring pod %v, declared %v", fc.Pod, subj.Declared)
	}
	if len(subj.Processes) != 2 || subj.InitPID != execRoot.PID || subj.HostRoot.MountPoint == "" {
		t.Errorf("subject: %d processes, init %d (want 2, %d), host root %+v", len(subj.Processes), subj.InitPID, execRoot.PID, subj.HostRoot)
	}

	// The same findings as a scan filtered alike.
	whole := scan.NewScanner(runtimeOf(c.cri), c.fs, scan.Options{Node: goldenNode, Declared: c.pods, Filter: f})
	want, err := whole.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, r); d != "" {
		t.Errorf("Explain's report differs from Scan's (-scan +explain):\n%s", d)
	}

	// Undeclared: no pod, and no facts for what is not audited.
	r, facts, err = scan.NewScanner(runtimeOf(c.cri), c.fs, scan.Options{Node: goldenNode}).Explain(context.Background(), scan.Filter{Pod: "nope"})
	if err != nil || len(r.Containers) != 0 || len(facts) != 0 {
		t.Errorf("unknown pod: %v, %d containers, %d facts", err, len(r.Containers), len(facts))
	}
}
