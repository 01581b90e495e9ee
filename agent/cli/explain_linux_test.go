//go:build linux

package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/report"
)

// TestExplainCommandOnCapture runs `rtaudit explain` end to end on the
// process-drift capture: a root sleep exec'd into deploy/examples'
// exec-root.
func TestExplainCommandOnCapture(t *testing.T) {
	endpoint, procRoot, pods := serveCapture(t, "process-drift")
	flags := []string{"--runtime-endpoint", endpoint, "--proc-root", procRoot, "--pods", pods}

	code, out, errOut := run(append([]string{"explain", "default/exec-root"}, flags...)...)
	if code != ExitClean {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"CONTAINER      default/exec-root/main",
		"DECLARED FROM  manifest",
		"1000 (spec.securityContext.runAsUser)",
		"none (spec.containers[0].securityContext.capabilities)",
		"◀ process critical",
		"sleep: 0 !",
		"run-as-non-root  critical  process",
		"eff none, bnd none", // drop ALL
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = run(append([]string{"explain", "-o", "json", "default/exec-root/main"}, flags...)...)
	if code != ExitClean {
		t.Fatalf("-o json: exit %d, stderr %q", code, errOut)
	}
	var e report.Explanation
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	drift := map[string]checks.Layer{}
	for _, r := range e.Rows {
		if r.Drift != nil {
			drift[r.Field] = r.Drift.Layer
		}
	}
	if drift["user"] != checks.LayerProcess || drift["group"] != checks.LayerProcess || drift["run as non-root"] != checks.LayerProcess || len(drift) != 3 {
		t.Errorf("drifting rows %v, want user, group and run as non-root at process", drift)
	}
	if len(e.Processes) != 2 || e.DeclaredFrom != "manifest" {
		t.Errorf("processes %v, declared from %q", e.Processes, e.DeclaredFrom)
	}

	code, _, errOut = run(append([]string{"explain", "default/nope"}, flags...)...)
	if code != ExitError || !strings.Contains(errOut, "no pod default/nope on this node") {
		t.Errorf("unknown pod: exit %d, %q", code, errOut)
	}
}
