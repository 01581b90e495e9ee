package daemon

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
)

// merge replaces what the last full audit said of the re-audited
// containers (summaries, findings, gone, errors), drops those no longer
// running, and keeps the rest, node-level findings included.
func TestMerge(t *testing.T) {
	last := &scan.Report{
		Containers: []scan.ContainerSummary{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "f"}},
		Findings: []checks.Finding{
			{Check: checks.RunAsUser, Severity: checks.Critical, ContainerID: "a", Waiver: "ns/w"},
			{Check: checks.Capabilities, Severity: checks.High, ContainerID: "b"},
			{Check: checks.Capabilities, Severity: checks.High, ContainerID: "f"},
			{Check: checks.UndeclaredContainer, Severity: checks.High, PID: 42},
		},
		Gone:   []scan.ContainerRef{{ID: "d"}},
		Errors: []scan.ContainerError{{ContainerRef: scan.ContainerRef{ID: "c"}, Error: "status failed"}},
		Notes:  []string{"old note"},
	}
	part := &scan.Report{ // b re-audited and clean now, c readable, d and e gone for good
		Containers: []scan.ContainerSummary{{ID: "b"}, {ID: "c"}},
		Findings:   []checks.Finding{{Check: checks.Privileged, Severity: checks.Critical, ContainerID: "c"}},
		Notes:      []string{"new note"},
	}
	// f stopped meanwhile: no longer listed running, so dropped although
	// its event has not come yet.
	got := merge(last, part, []string{"b", "c", "d", "e"}, map[string]bool{"a": true, "b": true, "c": true})
	want := &scan.Report{
		Containers: []scan.ContainerSummary{{ID: "a"}, {ID: "b"}, {ID: "c"}},
		Findings: []checks.Finding{
			{Check: checks.RunAsUser, Severity: checks.Critical, ContainerID: "a", Waiver: "ns/w"},
			{Check: checks.Privileged, Severity: checks.Critical, ContainerID: "c"},
			{Check: checks.UndeclaredContainer, Severity: checks.High, PID: 42},
		},
		Gone:   []scan.ContainerRef{},
		Errors: []scan.ContainerError{},
		Notes:  []string{"new note"},
	}
	checks.Sort(want.Findings)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merge (-want +got):\n%s", diff)
	}
	if len(last.Findings) != 4 || last.Findings[1].ContainerID != "b" {
		t.Errorf("merge changed the last report: %+v", last.Findings)
	}
}
