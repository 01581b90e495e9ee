package integration

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/harness"
)

// TestNestedNamespaces: a non-root container's process that makes its own
// user namespace (unshare -r: root with every capability, inside it only)
// and one that also makes a pid namespace are the container's and no
// privilege drift: no high or critical finding, no hidden or entered
// process, the nesting reported low. A host-root process in a nested pid
// namespace is still a critical finding on its PID.
func TestNestedNamespaces(t *testing.T) {
	lab := harness.SharedLab(t)
	if b, err := os.ReadFile("/proc/sys/user/max_user_namespaces"); err == nil && strings.TrimSpace(string(b)) == "0" {
		t.Fatal("this kernel allows no user namespaces (user.max_user_namespaces = 0)")
	}
	a := launchDeclared(t, lab, podYAML("nested", "  securityContext: {runAsUser: 1000, runAsGroup: 1000}\n  containers:\n"+sleeper))
	ctx := t.Context()
	if _, err := a.pod.ExecAs(ctx, "main", 1000, 1000, "unshare", "-r", "sleep", "3600"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.pod.ExecAs(ctx, "main", 1000, 1000, "unshare", "-r", "-p", "-f", "sleep", "3600"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // let unshare fork its child into the new pid namespace
	r := runScan(t, lab, scan.Options{})
	var nested int
	for _, f := range r.Findings {
		if f.Pod != "nested" {
			continue
		}
		switch {
		case f.Check == checks.NestedNamespaces:
			nested++
		case f.Severity.AtLeast(checks.Medium):
			t.Errorf("%s %s %s pid %d: %s", f.Check, f.Severity, f.Layer, f.PID, f.Message)
		}
	}
	if nested < 2 {
		t.Errorf("%d nested-namespaces findings, want one per nested set (2):%s", nested, dump(r))
	}
	for _, c := range r.Containers {
		if c.Pod == "nested" && c.Processes < 4 {
			t.Errorf("the container counts %d processes, want init, the unshare -r'd sleep, and unshare -p with its child", c.Processes)
		}
	}

	// As root: a user namespace mapping root to the host's root (no
	// CAP_SYS_ADMIN needed) and a pid namespace below it.
	pid, err := a.pod.ExecAs(ctx, "main", 0, 0, "unshare", "-r", "-p", "-f", "sleep", "3600")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	r = runScan(t, lab, scan.Options{})
	caught := false
	for _, f := range r.Findings {
		if f.Pod == "nested" && f.Check == checks.RunAsUser && f.Severity == checks.Critical && f.PID != pid && f.Actual == "0" {
			caught = true // the child in the nested pid namespace (the unshare itself, pid, is caught too)
		}
	}
	if !caught {
		t.Errorf("a host-root process in a nested pid namespace is not a critical run-as-user finding:%s", dump(r))
	}
}
