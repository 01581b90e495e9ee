package crio

import (
	"strconv"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/agent/checks"
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
