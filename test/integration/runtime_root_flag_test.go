package integration

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/agent/cli"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/harness"
)

// TestRuntimeRootFlag: `rtaudit scan --runtime-root GLOB` points the
// hidden-process search at a runc root no default covers. A container
// started there with runc directly (no CRI record) is named by its
// state.json through the flag; with the defaults it stays anonymous.
func TestRuntimeRootFlag(t *testing.T) {
	lab := harness.SharedLab(t)
	base := t.TempDir()
	root := filepath.Join(base, "elsewhere-runc")
	b, err := harness.RunBare(lab.Options().Runc, root, "rtaudit-root-flag", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Stop)
	scanCLI := func(extra ...string) *scan.Report {
		t.Helper()
		var out, errOut bytes.Buffer
		args := append([]string{"scan", "--runtime-endpoint", lab.Endpoint(), "-o", "json"}, extra...)
		if code := cli.Main(args, cli.Streams{In: os.Stdin, Out: &out, Err: &errOut}); code != cli.ExitClean {
			t.Fatalf("rtaudit %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
		}
		var r scan.Report
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("%v:\n%s", err, out.String())
		}
		return &r
	}
	r := scanCLI("--runtime-root", "/nonexistent/runc", "--runtime-root", filepath.Join(base, "*-runc"))
	f, ok := undeclaredAt(r, b.PID)
	if !ok {
		t.Fatalf("no undeclared-container finding on pid %d:%s", b.PID, dump(r))
	}
	for _, want := range []string{`container "rtaudit-root-flag" of runc at "` + root + `"`, `bundle "` + b.Bundle + `"`, "from its state.json"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q lacks %q", f.Message, want)
		}
	}
	if f.ContainerID != b.ID {
		t.Errorf("container ID %q, want %q", f.ContainerID, b.ID)
	}
	if f, ok := undeclaredAt(scanCLI(), b.PID); !ok || f.ContainerID != "" || !strings.Contains(f.Message, "belong to no container the CRI knows") {
		t.Errorf("with the default roots: %+v, %v; want the anonymous form", f, ok)
	}
}
