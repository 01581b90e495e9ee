package integration

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/harness"
)

// undeclaredAt returns the undeclared-container finding on pid, if any.
func undeclaredAt(r *scan.Report, pid int) (checks.Finding, bool) {
	for _, f := range r.Findings {
		if f.Check == "undeclared-container" && f.PID == pid {
			return f, true
		}
	}
	return checks.Finding{}, false
}

// startHideout starts a background command and stops it at cleanup.
func startHideout(t *testing.T, name string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	time.Sleep(200 * time.Millisecond) // let unshare/nsenter set up and exec
	return cmd
}

// TestAuditUnshareHideout: processes in a pid and network namespace of
// their own, outside any container, are one undeclared-container finding
// on the oldest of them.
func TestAuditUnshareHideout(t *testing.T) {
	lab := harness.SharedLab(t)
	cmd := startHideout(t, "unshare", "--pid", "--net", "--fork", "--kill-child", "sleep", "3600")
	r := runScan(t, lab, scan.Options{})
	f, ok := undeclaredAt(r, cmd.Process.Pid)
	if !ok {
		t.Fatalf("no undeclared-container finding on unshare (pid %d):%s", cmd.Process.Pid, dump(r))
	}
	if f.Layer != checks.LayerProcess || !strings.Contains(f.Message, "sleep(") {
		t.Errorf("finding %+v: want the process layer and the forked sleep named in the message", f)
	}
	n := 0
	for _, f := range r.Findings {
		if f.Check == "undeclared-container" && strings.Contains(f.Message, "unshare("+strconv.Itoa(cmd.Process.Pid)+")") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the hideout is in %d findings, want 1 (unshare and its sleep share a network namespace)", n)
	}
}

// TestAuditNsenterHideout: a process that enters a container's namespaces
// but not its cgroup is attributed to that container.
func TestAuditNsenterHideout(t *testing.T) {
	lab := harness.SharedLab(t)
	a := launchDeclared(t, lab, podYAML("nsenter-target", "  containers:\n"+sleeper))
	pid, err := a.pod.PID(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	cmd := startHideout(t, "nsenter", "-t", strconv.Itoa(pid), "-p", "-n", "-m", "--", "sleep", "3600")
	r := runScan(t, lab, scan.Options{})
	var hit *checks.Finding
	for i, f := range r.Findings {
		if f.Check == "undeclared-container" && f.Pod == "nsenter-target" {
			hit = &r.Findings[i]
		}
	}
	if hit == nil {
		t.Fatalf("no undeclared-container finding naming pod nsenter-target (nsenter pid %d):%s", cmd.Process.Pid, dump(r))
	}
	if !strings.Contains(hit.Message, "not its cgroup") {
		t.Errorf("message %q does not say the process entered the container's namespaces", hit.Message)
	}
}

// TestAuditForeignContainerdNamespace: a container run in another
// containerd namespace (ctr -n other run) is invisible to the CRI and the
// kubelet; the audit finds it through containerd's own API.
func TestAuditForeignContainerdNamespace(t *testing.T) {
	lab := harness.SharedLab(t)
	archives, err := harness.BuildImages(harness.DefaultCacheDir())
	if err != nil {
		t.Fatal(err)
	}
	ctr := func(args ...string) {
		t.Helper()
		all := append([]string{"-a", lab.Address(), "-n", "rtaudit-hidden"}, args...)
		if out, err := exec.Command("ctr", all...).CombinedOutput(); err != nil {
			t.Fatalf("ctr %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	ctr("images", "import", archives.Busybox)
	ctr("run", "-d", harness.BusyboxImage, "hidden-1", "sleep", "3600")
	t.Cleanup(func() {
		for _, args := range [][]string{{"task", "kill", "-s", "KILL", "hidden-1"}, {"task", "rm", "-f", "hidden-1"}, {"container", "rm", "hidden-1"}} {
			_ = exec.Command("ctr", append([]string{"-a", lab.Address(), "-n", "rtaudit-hidden"}, args...)...).Run()
		}
	})
	r := runScan(t, lab, scan.Options{})
	for _, f := range r.Findings {
		if f.Check == "undeclared-container" && f.ContainerID == "hidden-1" {
			if f.Namespace != "containerd:rtaudit-hidden" || f.PID == 0 {
				t.Errorf("finding %+v: want namespace containerd:rtaudit-hidden and the task's PID", f)
			}
			return
		}
	}
	t.Fatalf("no undeclared-container finding for containerd container hidden-1:%s", dump(r))
}
