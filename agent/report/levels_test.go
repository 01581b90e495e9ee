package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/agent/scan"
)

func TestTableLevels(t *testing.T) {
	r := &scan.Report{Node: "n", Pods: []scan.PodLevels{
		{Namespace: "demo", Pod: "exec-root", DeclaredLevel: "restricted", EffectiveLevel: "baseline"},
		{Namespace: "demo", Pod: "restricted", DeclaredLevel: "restricted", EffectiveLevel: "restricted", EnforceLevel: "restricted", EnforceVersion: "v1.30"},
		{Namespace: "demo", Pod: "old\x1b[2J", DeclaredLevel: "baseline", EffectiveLevel: "baseline", EnforceLevel: "restricted"},
	}}
	var b bytes.Buffer
	if err := Table(&b, r, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	want := `POD              DECLARED    EFFECTIVE   ENFORCE
demo/exec-root   restricted  baseline    -
demo/restricted  restricted  restricted  restricted@v1.30
demo/old\x1b[2J  baseline    baseline    restricted
0 finding(s) in 0 container(s) on n ( )
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	if err := Table(&b, r, TableOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), severityStyle["high"]+"baseline"+ansiReset); n != 2 {
		t.Errorf("%d effective levels painted, want 2 (below declared, below enforce):\n%q", n, b.String())
	}
}

func TestTableLevelsMany(t *testing.T) {
	r := &scan.Report{Node: "n"}
	for i := range 30 {
		r.Pods = append(r.Pods, scan.PodLevels{Namespace: "ns", Pod: fmt.Sprintf("p%02d", i), DeclaredLevel: "baseline", EffectiveLevel: "baseline"})
	}
	r.Pods[7].EffectiveLevel = "privileged"
	var b bytes.Buffer
	if err := Table(&b, r, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); !strings.Contains(got, "ns/p07") || strings.Contains(got, "ns/p08") || !strings.Contains(got, "29 more pod(s)") {
		t.Errorf("more pods than the table lists in full: want only the one that falls short and a count, got\n%s", got)
	}
	b.Reset()
	if err := Table(&b, r, TableOptions{Wide: true}); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); !strings.Contains(got, "ns/p29") || strings.Contains(got, "more pod(s)") {
		t.Errorf("wide lists every pod, got\n%s", got)
	}
}
