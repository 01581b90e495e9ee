package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
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

// waivedSample is sample with a second critical finding a waiver accepts
// and a note of an expired one.
func waivedSample() *scan.Report {
	r := sample()
	r.Findings = append(r.Findings, checks.Finding{Check: "capabilities", Severity: checks.Critical, Layer: checks.LayerOCI,
		Namespace: "demo", Pod: "web", Container: "app", ContainerID: "aaaa", Field: "process.capabilities.bounding",
		Expected: "00000000a80425fb", Actual: "00000000a80435fb", Message: "adds CAP_NET_ADMIN", Waiver: "demo/istio-init"})
	r.Notes = []string{"waiver old expired at 2026-01-01T00:00:00Z: 1 finding(s) no longer waived"}
	return r
}

func TestTableWaived(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    TableOptions
	}{
		{"table-waived.golden", TableOptions{}},
		{"table-show-waived.golden", TableOptions{ShowWaived: true}},
		{"table-show-waived-info-wide.golden", TableOptions{ShowWaived: true, ShowInfo: true, Wide: true}},
	} {
		var b bytes.Buffer
		if err := Table(&b, waivedSample(), tc.o); err != nil {
			t.Fatal(err)
		}
		golden(t, tc.name, b.Bytes())
	}
}

func TestTableWaivedAssertions(t *testing.T) {
	render := func(o TableOptions) string {
		var b bytes.Buffer
		if err := Table(&b, waivedSample(), o); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	hidden := render(TableOptions{})
	for _, want := range []string{"1 finding(s)", ": 1 critical;", "; 1 waived (--show-waived)", "note: waiver old expired"} {
		if !strings.Contains(hidden, want) {
			t.Errorf("table without --show-waived lacks %q:\n%s", want, hidden)
		}
	}
	if strings.Contains(hidden, "WAIVER") || strings.Contains(hidden, "demo/istio-init") {
		t.Errorf("table without --show-waived shows the waived finding:\n%s", hidden)
	}
	shown := render(TableOptions{ShowWaived: true})
	for _, want := range []string{"WAIVER", "demo/istio-init", "2 finding(s)", ": 1 critical;", "; 1 waived;"} {
		if !strings.Contains(shown, want) {
			t.Errorf("table with --show-waived lacks %q:\n%s", want, shown)
		}
	}
	if strings.Contains(render(TableOptions{ShowWaived: true, ShowInfo: true}), "--show-waived") {
		t.Error("with --show-waived the summary still points at the flag")
	}
	r := sample()
	var b bytes.Buffer
	if err := Table(&b, r, TableOptions{ShowWaived: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "WAIVER") || strings.Contains(b.String(), "waived") {
		t.Errorf("a report with nothing waived grew a WAIVER column or count:\n%s", b.String())
	}
}

func TestJSONKeepsWaivedFindings(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, waivedSample()); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Findings []map[string]any `json:"findings"`
		Notes    []string         `json:"notes"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Findings) != 3 || got.Findings[2]["waiver"] != "demo/istio-init" {
		t.Errorf("findings = %v, want the waived one with its waiver", got.Findings)
	}
	if _, ok := got.Findings[0]["waiver"]; ok {
		t.Error("an unwaived finding has a waiver key")
	}
	if len(got.Notes) != 1 {
		t.Errorf("notes = %q", got.Notes)
	}
}
