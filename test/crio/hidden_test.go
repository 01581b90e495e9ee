package crio

import (
	"strconv"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/cri"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/harness"
	mx "github.com/rtaudit/rtaudit/test/matrix"
)

// TestCRIOHiddenContainerNamed: a container made with CRI-O's own OCI
// runtime directly, in CRI-O's runtime_root (invisible to the CRI), is
// named from the runtime's state file. The scan is given no root: it
// learns CRI-O's from the conmon of a container the CRI knows.
func TestCRIOHiddenContainerNamed(t *testing.T) {
	lab := harness.SharedCRIOLab(t)
	launch(t, lab, podYAML("crio-known", "  containers:\n"+mx.Sleeper))
	handler := lab.Options().DefaultRuntime
	root := lab.RuntimeRoot(handler)
	b, err := harness.RunBare(lab.RuntimeWrapper(handler), root, "rtaudit-bare-"+handler, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	r := runScan(t, lab, scan.Options{})
	var f *checks.Finding
	for i := range r.Findings {
		if r.Findings[i].Check == checks.UndeclaredContainer && r.Findings[i].PID == b.PID {
			f = &r.Findings[i]
		}
	}
	if f == nil {
		t.Fatalf("no undeclared-container finding on pid %d:%s", b.PID, dump(r))
	}
	for _, want := range []string{`container "` + b.ID + `" of ` + handler + ` at "` + root + `"`, `bundle "` + b.Bundle + `"`, "busybox(" + strconv.Itoa(b.PID) + ")"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q lacks %q", f.Message, want)
		}
	}
}

// TestCRIOPodHiddenFromContainerdNamed: on a node that also runs a
// containerd, CRI-O's pods are invisible to containerd's CRI; a scan of
// containerd names each of them by its conmon: CRI-O, the container ID,
// its bundle and the OCI runtime's root.
func TestCRIOPodHiddenFromContainerdNamed(t *testing.T) {
	lab := harness.SharedCRIOLab(t)
	l := launch(t, lab, podYAML("crio-beside-containerd", "  containers:\n"+mx.Sleeper))
	id, err := l.pod.ContainerID("main")
	if err != nil {
		t.Fatal(err)
	}
	other := harness.NewTestLab(t)
	r, err := scan.Run(t.Context(), scan.Options{Runtime: cri.DialOptions{Endpoint: other.Endpoint()}})
	if err != nil {
		t.Fatal(err)
	}
	var f *checks.Finding
	for i := range r.Findings {
		if r.Findings[i].Check == checks.UndeclaredContainer && r.Findings[i].PID == l.pid {
			f = &r.Findings[i]
		}
	}
	if f == nil {
		t.Fatalf("no undeclared-container finding on the CRI-O container's pid %d:%s", l.pid, dump(r))
	}
	handler := lab.Options().DefaultRuntime
	for _, want := range []string{`container "` + id + `" of cri-o (` + handler + `-crio-lab) at "` + lab.RuntimeRoot(handler) + `"`, "from its conmon"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q lacks %q", f.Message, want)
		}
	}
}
