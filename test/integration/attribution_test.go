package integration

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/harness"
	mx "github.com/rtaudit/rtaudit/test/matrix"
)

// Hidden-process attribution: a hidden group is named by the runtime
// that made it whenever the node says so (agent/scan/hidden_owner.go),
// and stays anonymous otherwise.

// TestHiddenRuncContainerNamed: a container started with runc directly in
// the CRI's own runc root (no CRI or containerd record) is reported on its
// init with runc's ID, root and bundle from its state.json.
func TestHiddenRuncContainerNamed(t *testing.T) {
	lab := harness.SharedLab(t)
	root := filepath.Join(lab.RuncRoot(), harness.CRINamespace)
	b, err := harness.RunBare(lab.Options().Runc, root, "rtaudit-bare-runc", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	r := runScan(t, lab, scan.Options{RuntimeRoots: []string{filepath.Join(lab.RuncRoot(), "*")}})
	f, ok := undeclaredAt(r, b.PID)
	if !ok {
		t.Fatalf("no undeclared-container finding on pid %d:%s", b.PID, dump(r))
	}
	for _, want := range []string{`container "rtaudit-bare-runc" of runc at "` + root + `"`, `bundle "` + b.Bundle + `"`, "from its state.json", "busybox(" + strconv.Itoa(b.PID) + ")"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q lacks %q", f.Message, want)
		}
	}
	if f.ContainerID != b.ID {
		t.Errorf("container ID %q, want %q", f.ContainerID, b.ID)
	}
	// Roots not searched: the group is still found, named by nothing
	// (runc run -d leaves no runtime process above it).
	r = runScan(t, lab, scan.Options{RuntimeRoots: []string{}})
	if f, ok := undeclaredAt(r, b.PID); !ok || f.ContainerID != "" || !strings.Contains(f.Message, "belong to no container the CRI knows") {
		t.Errorf("without the runc root: %+v, %v; want the anonymous form", f, ok)
	}
}

// TestHiddenSecondContainerdPodNamed: a pod of a second containerd on the
// same host is invisible to the first one's CRI; its processes are named
// by their shim: that containerd's socket, namespace and the pod's
// sandbox ID (the shim serves the pod).
func TestHiddenSecondContainerdPodNamed(t *testing.T) {
	lab := harness.SharedLab(t)
	other := harness.NewTestLab(t)
	manifest, err := harness.ParsePod([]byte(podYAML("second-instance", "  containers:\n"+mx.Sleeper)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := other.Launcher.Run(ctx, manifest)
	if err != nil {
		t.Fatal(err)
	}
	pause := sandboxPID(t, p)
	main, err := p.PID(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	r := runScan(t, lab, scan.Options{})
	f, ok := undeclaredAt(r, pause)
	if !ok {
		t.Fatalf("no undeclared-container finding on the other instance's pause %d:%s", pause, dump(r))
	}
	for _, want := range []string{`container "` + p.SandboxID + `" of containerd at "` + other.Address() + `" (namespace "k8s.io")`, "from its shim containerd-shim-runc-v2", "(" + strconv.Itoa(main) + ")"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q lacks %q", f.Message, want)
		}
	}
}

// TestHiddenUnshareStaysAnonymous: a plain unshare group has no runtime
// above it and no state anywhere: it keeps the anonymous form.
func TestHiddenUnshareStaysAnonymous(t *testing.T) {
	lab := harness.SharedLab(t)
	cmd := startHideout(t, "unshare", "--pid", "--net", "--fork", "--kill-child", "sleep", "3600")
	r := runScan(t, lab, scan.Options{})
	f, ok := undeclaredAt(r, cmd.Process.Pid)
	if !ok {
		t.Fatalf("no undeclared-container finding on unshare %d:%s", cmd.Process.Pid, dump(r))
	}
	if f.ContainerID != "" || !strings.Contains(f.Message, "belong to no container the CRI knows") {
		t.Errorf("unshare group named: %+v", f)
	}
}
