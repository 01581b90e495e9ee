package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// sampleExplanation is hand-built: a root exec behind the kubelet's back
// (process drift of user and run-as-non-root) and a runtime that adds
// CAP_SYS_ADMIN (oci drift, waived).
func sampleExplanation() *Explanation {
	procs := []ExplainProcess{{PID: 15400, Comm: "sleep"}, {PID: 15406, Comm: "sh"}}
	kernel := func(v1, v2 string, differs2 bool) []ProcessValue {
		return []ProcessValue{{PID: 15400, Comm: "sleep", Value: v1}, {PID: 15406, Comm: "sh", Value: v2, Differs: differs2}}
	}
	return &Explanation{
		APIVersion: scan.APIVersion, Kind: KindExplanation, Node: "vm",
		Runtime:   scan.RuntimeInfo{Name: "containerd", Version: "2.4.2"},
		Namespace: "demo", Pod: "exec-root", Container: "app", ContainerID: "0123456789abcdef0123", Image: "busybox:1.36", State: "running",
		DeclaredFrom: "manifest", Processes: procs,
		Rows: []ExplainRow{
			{Field: "user", Check: checks.RunAsUser,
				Declared: LayerValue{Value: "1000", Source: "spec.securityContext.runAsUser"},
				CRI:      LayerValue{Value: "1000", Source: "run_as_user"}, OCI: LayerValue{Value: "1000", Source: "process.user.uid"},
				Kernel: kernel("1000", "0", true),
				Drift:  &Drift{Layer: checks.LayerProcess, Severity: checks.Critical, Owner: LayerOwner(checks.LayerProcess)}},
			{Field: "run-as-non-root", Check: checks.RunAsNonRoot,
				Declared: LayerValue{Value: "true", Source: "spec.containers[0].securityContext.runAsNonRoot"},
				CRI:      LayerValue{Value: "non-root (1000)"}, OCI: LayerValue{Value: "non-root (1000)"},
				Kernel: kernel("non-root", "root", true),
				Drift:  &Drift{Layer: checks.LayerProcess, Severity: checks.Critical, Owner: LayerOwner(checks.LayerProcess)}},
			{Field: "capabilities", Check: checks.Capabilities,
				Declared: LayerValue{Value: "runtime default -CAP_NET_RAW", Source: "spec.containers[0].securityContext.capabilities"},
				CRI:      LayerValue{Value: "= declared"}, OCI: LayerValue{Value: "+CAP_SYS_ADMIN", Differs: true},
				Kernel: kernel("eff none, bnd +CAP_SYS_ADMIN", "eff +CAP_SYS_ADMIN, bnd +CAP_SYS_ADMIN", false),
				Drift:  &Drift{Layer: checks.LayerOCI, Severity: checks.Critical, Owner: LayerOwner(checks.LayerOCI), Waiver: "demo/istio"}},
			{Field: "seccomp", Check: checks.Seccomp,
				Declared: LayerValue{Value: "unset → Unconfined"},
				CRI:      LayerValue{Value: "Unconfined"}, OCI: LayerValue{Value: "none"},
				Kernel: kernel("0 (none)", "0 (none)", false)},
			{Field: "host network", Check: checks.HostNetwork,
				Declared: LayerValue{Value: "false", Source: "spec.hostNetwork"},
				CRI:      LayerValue{}, OCI: LayerValue{Value: "joins /proc/15390/ns/net"},
				Kernel: kernel("own", "own", false)},
		},
		Findings: []checks.Finding{
			{Check: checks.Capabilities, Severity: checks.Critical, Layer: checks.LayerOCI, Namespace: "demo", Pod: "exec-root", Container: "app",
				Field: "process.capabilities.bounding", Expected: "00000000a80405fb", Actual: "00000000a82405fb",
				Message: "the OCI spec process.capabilities.bounding adds CAP_SYS_ADMIN compared with the manifest spec", Waiver: "demo/istio"},
			{Check: checks.RunAsNonRoot, Severity: checks.Critical, Layer: checks.LayerProcess, Namespace: "demo", Pod: "exec-root", Container: "app",
				PID: 15406, Field: "Uid", Expected: "non-root", Actual: "0", Message: "process 15406 (sh) runs as root, uid 0, although the manifest spec sets runAsNonRoot"},
			{Check: checks.RunAsUser, Severity: checks.Critical, Layer: checks.LayerProcess, Namespace: "demo", Pod: "exec-root", Container: "app",
				PID: 15406, Field: "Uid", Expected: "1000", Actual: "0", Message: "process 15406 (sh) has user 0 where the manifest spec expects 1000"},
		},
		Notes: []string{"the kernel values were read after the findings: a process may have come or gone in between"},
	}
}

func TestExplainGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Explain(&b, sampleExplanation(), ExplainOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "explain.golden", b.Bytes())
	out := b.String()
	for _, want := range []string{
		"sh: 0 !", "◀ process critical: the process itself (an exec", "+CAP_SYS_ADMIN !", "◀ oci critical: the runtime (its config", "waived by demo/istio",
		"unset → Unconfined", "1000 (spec.securityContext.runAsUser)", "3 of 5 field(s) drift; 3 finding(s): 2 critical; 1 waived",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explanation lacks %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimRight(line, " ") != line {
			t.Errorf("trailing blanks: %q", line)
		}
	}

	b.Reset()
	if err := Explain(&b, sampleExplanation(), ExplainOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "explain-color.golden", b.Bytes())
	var plainOut bytes.Buffer
	_ = Explain(&plainOut, sampleExplanation(), ExplainOptions{})
	if got := sgr.ReplaceAllString(b.String(), ""); got != plainOut.String() {
		t.Errorf("coloured explanation without its codes differs from the plain one:\n%s", got)
	}
}

func TestExplainJSON(t *testing.T) {
	var b bytes.Buffer
	if err := ExplainJSON(&b, sampleExplanation()); err != nil {
		t.Fatal(err)
	}
	golden(t, "explain.json.golden", b.Bytes())
	var got Explanation
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Kind != KindExplanation || len(got.Rows) != 5 || got.Rows[2].Drift.Layer != checks.LayerOCI || !got.Rows[0].Kernel[1].Differs {
		t.Errorf("explanation did not survive JSON: %+v", got)
	}
}

func TestExplainHostileStringsAreInert(t *testing.T) {
	e := sampleExplanation()
	e.Container, e.Image = "c"+hostile, "img"+hostile
	e.Processes[1].Comm = hostile
	e.Rows[0].Kernel[1].Comm = hostile
	e.Rows[0].Declared.Source = "spec.containers[" + hostile + "]"
	e.Rows[4].OCI.Value = "joins " + hostile
	e.Findings[1].Message = "process 15406 (" + hostile + ") runs as root"
	e.Problems = []string{"unknown capabilities: " + hostile}
	e.Notes = append(e.Notes, hostile)
	for _, color := range []bool{false, true} {
		var b bytes.Buffer
		if err := Explain(&b, e, ExplainOptions{Color: color}); err != nil {
			t.Fatal(err)
		}
		assertTerminalSafe(t, "explain", b.Bytes(), color)
		if n, want := strings.Count(b.String(), "\n"), strings.Count(plainExplain(t), "\n")+2; n != want {
			t.Errorf("%d lines, want %d: a hostile newline split a line?\n%s", n, want, b.String())
		}
	}
	var b bytes.Buffer
	if err := ExplainJSON(&b, e); err != nil {
		t.Fatal(err)
	}
	if !json.Valid(b.Bytes()) {
		t.Fatalf("invalid JSON:\n%s", b.String())
	}
	assertTerminalSafe(t, "explain json", b.Bytes(), false)
}

// plainExplain is the sample rendered (for its line count).
func plainExplain(t *testing.T) string {
	var b bytes.Buffer
	if err := Explain(&b, sampleExplanation(), ExplainOptions{}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
