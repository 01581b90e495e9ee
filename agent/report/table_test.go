package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
)

func TestCapsCells(t *testing.T) {
	for _, tc := range []struct {
		name             string
		f                checks.Finding
		expected, actual string
		ok               bool
	}{
		{"added", checks.Finding{Check: checks.Capabilities, Expected: "00000000a80405fb", Actual: "00000000a82405fb"}, "13 caps", "+CAP_SYS_ADMIN", true},
		{"added and lacking", checks.Finding{Check: checks.Capabilities, Expected: "00000000a80425fb", Actual: "00000000a82405fb"}, "14 caps", "+CAP_SYS_ADMIN -CAP_NET_RAW", true},
		{"small set named", checks.Finding{Check: checks.Capabilities, Expected: "0000000000000400", Actual: "0000000000001400"}, "CAP_NET_BIND_SERVICE", "+CAP_NET_ADMIN", true},
		{"empty expected", checks.Finding{Check: checks.Capabilities, Expected: "0000000000000000", Actual: "0000000000001000"}, "none", "+CAP_NET_ADMIN", true},
		{"many cut", checks.Finding{Check: checks.Capabilities, Expected: "0000000000000000", Actual: "000001ffffffffff"}, "none",
			"+CAP_CHOWN +CAP_DAC_OVERRIDE +CAP_DAC_READ_SEARCH +CAP_FOWNER +37 more", true},
		{"privileged masks", checks.Finding{Check: checks.Privileged, Expected: "00000000a80425fb", Actual: "000001ffffffffff"}, "14 caps",
			"+CAP_DAC_READ_SEARCH +CAP_LINUX_IMMUTABLE +CAP_NET_BROADCAST +CAP_NET_ADMIN +23 more", true},
		{"privileged booleans", checks.Finding{Check: checks.Privileged, Expected: "false", Actual: "true"}, "", "", false},
		{"not hex", checks.Finding{Check: checks.Capabilities, Expected: "NET_ADMIN", Actual: ""}, "", "", false},
		{"other check", checks.Finding{Check: checks.RunAsUser, Expected: "0000000000000000", Actual: "0000000000000001"}, "", "", false},
	} {
		e, a, ok := capsCells(tc.f)
		if e != tc.expected || a != tc.actual || ok != tc.ok {
			t.Errorf("%s: capsCells = %q, %q, %v; want %q, %q, %v", tc.name, e, a, ok, tc.expected, tc.actual, tc.ok)
		}
	}
}

// manyReport has 23 findings over three pods, one of them a hideout with
// no pod.
func manyReport() *scan.Report {
	r := &scan.Report{
		APIVersion: scan.APIVersion, Kind: scan.KindReport, Node: "node-1",
		Runtime: scan.RuntimeInfo{Name: "containerd", Version: "2.4.2"},
	}
	sevs := []checks.Severity{checks.Critical, checks.High, checks.Medium, checks.Low}
	for i := range 22 {
		pod := fmt.Sprintf("web-%d", i/8)
		r.Containers = append(r.Containers, scan.ContainerSummary{ID: fmt.Sprintf("c%02d", i), Namespace: "prod", Pod: pod, Container: fmt.Sprintf("app%d", i%3)})
		r.Findings = append(r.Findings, checks.Finding{
			Check: checks.RunAsUser, Severity: sevs[i%4], Layer: checks.LayerProcess, Namespace: "prod", Pod: pod,
			Container: fmt.Sprintf("app%d", i%3), ContainerID: fmt.Sprintf("c%02d", i), PID: 1000 + i, Field: "Uid",
			Expected: "1000", Actual: "0", Message: fmt.Sprintf("process %d (sh) runs as 0", 1000+i),
		})
	}
	r.Findings = append(r.Findings, checks.Finding{Check: checks.UndeclaredContainer, Severity: checks.High, Layer: checks.LayerProcess,
		PID: 4242, Field: "ns/pid", Expected: "none", Actual: "own", Message: "hideout"})
	checks.Sort(r.Findings)
	return r
}

func TestTableGroupsByPod(t *testing.T) {
	var b bytes.Buffer
	if err := Table(&b, manyReport(), TableOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "table-grouped.golden", b.Bytes())
	out := b.String()
	for _, want := range []string{"  CONTAINER       CHECK", "prod/web-0: 8 finding(s), 2 critical, 2 high, 2 medium, 2 low\n  app0", "(no pod): 1 finding(s), 1 high\n  (no container)"} {
		if !strings.Contains(out, want) {
			t.Errorf("grouped table lacks %q:\n%s", want, out)
		}
	}
	r := manyReport()
	r.Findings = r.Findings[:20]
	b.Reset()
	if err := Table(&b, r, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "finding(s), ") && strings.Contains(b.String(), "\n  ") {
		t.Errorf("20 findings are grouped:\n%s", b.String())
	}
	b.Reset()
	if err := Table(&b, manyReport(), TableOptions{GroupAbove: -1}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "NAMESPACE/POD/CONTAINER") {
		t.Errorf("GroupAbove -1 still grouped:\n%s", b.String())
	}
}

func TestTableColor(t *testing.T) {
	var b bytes.Buffer
	if err := Table(&b, waivedSample(), TableOptions{Color: true, ShowInfo: true, ShowWaived: true}); err != nil {
		t.Fatal(err)
	}
	golden(t, "table-color.golden", b.Bytes())
	out := b.String()
	if !strings.Contains(out, "\x1b[1;31mcritical\x1b[0m") || !strings.Contains(out, "\x1b[2minfo\x1b[0m") {
		t.Errorf("severities are not coloured:\n%q", out)
	}
	// Colour codes do not count toward the width: without them the
	// table is the plain one.
	var plainOut bytes.Buffer
	if err := Table(&plainOut, waivedSample(), TableOptions{ShowInfo: true, ShowWaived: true}); err != nil {
		t.Fatal(err)
	}
	if got := sgr.ReplaceAllString(out, ""); got != plainOut.String() {
		t.Errorf("coloured table without its codes differs from the plain one:\n%s\n---\n%s", got, plainOut.String())
	}
	if strings.Contains(plainOut.String(), "\x1b") {
		t.Errorf("plain table has escape codes:\n%q", plainOut.String())
	}
}
