package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sample() *scan.Report {
	return &scan.Report{
		APIVersion: scan.APIVersion, Kind: scan.KindReport, Node: "node-1",
		Runtime: scan.RuntimeInfo{Name: "containerd", Version: "1.6.20"},
		Containers: []scan.ContainerSummary{
			{ID: "aaaa", Namespace: "demo", Pod: "web", PodUID: "u1", Container: "app", State: "running", PID: 100, Processes: 2, DeclaredFrom: "manifest"},
		},
		Findings: []checks.Finding{
			{Check: "run-as-user", Severity: checks.Critical, Layer: checks.LayerProcess, Namespace: "demo", Pod: "web", Container: "app",
				ContainerID: "aaaa", PID: 101, Field: "Uid", Expected: "1000", Actual: "0", Message: "process sh (101) runs as 0"},
			{Check: "capabilities", Severity: checks.Info, Layer: checks.LayerOCI, Namespace: "demo", Pod: "web", Container: "app",
				ContainerID: "aaaa", Field: "CapBnd", Expected: "NET_ADMIN", Actual: "", Message: "less privilege"},
		},
		Gone:   []scan.ContainerRef{{ID: "bbbb", Namespace: "demo", Pod: "old", Container: "app"}},
		Errors: []scan.ContainerError{{ContainerRef: scan.ContainerRef{ID: "cccccccccccccccccc", Namespace: "demo", Pod: "x", Container: "y"}, Error: "permission denied"}},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, d)
	}
}

func TestTable(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    TableOptions
	}{{"table.golden", TableOptions{}}, {"table-info-wide.golden", TableOptions{ShowInfo: true, Wide: true}}} {
		var b bytes.Buffer
		if err := Table(&b, sample(), tc.o); err != nil {
			t.Fatal(err)
		}
		golden(t, tc.name, b.Bytes())
	}
}

func TestTableClean(t *testing.T) {
	r := sample()
	r.Findings, r.Gone, r.Errors = nil, nil, nil
	var b bytes.Buffer
	if err := Table(&b, r, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if want := "0 finding(s) in 1 container(s) on node-1 (containerd 1.6.20)\n"; b.String() != want {
		t.Errorf("clean table = %q, want %q", b.String(), want)
	}
}

// TestJSONContract pins the key names of the JSON contract.
func TestJSONContract(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json.golden", b.Bytes())
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"apiVersion", "kind", "node", "runtime", "containers", "findings"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report has no %q key", k)
		}
	}
	f := m["findings"].([]any)[0].(map[string]any)
	for _, k := range []string{"check", "severity", "layer", "namespace", "pod", "container", "containerID", "pid", "field", "expected", "actual", "message"} {
		if _, ok := f[k]; !ok {
			t.Errorf("finding has no %q key", k)
		}
	}
	c := m["containers"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "namespace", "pod", "podUID", "container", "pid", "processes", "declaredFrom"} {
		if _, ok := c[k]; !ok {
			t.Errorf("container has no %q key", k)
		}
	}
}
