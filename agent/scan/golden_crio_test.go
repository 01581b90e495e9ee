//go:build linux

package scan_test

import (
	"testing"

	"github.com/rtaudit/rtaudit/agent/expect"
)

// TestGoldenCRIO: matrix pods and a privileged non-root pod captured from
// a live CRI-O 1.34 (crun; test/crio TestCRIOCaptureGolden) give no
// finding above info: CRI-O's 9 default capabilities, its privileged
// containers' full inheritable and ambient sets, no CRI config in its
// verbose status, no infra container.
func TestGoldenCRIO(t *testing.T) {
	c := load(t, "crio")
	r := c.scan(t, c.pods)
	if len(r.Gone) != 0 || len(r.Errors) != 0 || len(r.Containers) != len(c.snap.Containers) || len(r.Containers) != 6 {
		t.Errorf("gone %v, errors %v, %d of %d containers: want all 6 audited", r.Gone, r.Errors, len(r.Containers), len(c.snap.Containers))
	}
	for _, s := range r.Containers {
		if s.DeclaredFrom != expect.OriginManifest {
			t.Errorf("%s/%s declared from %s", s.Pod, s.Container, s.DeclaredFrom)
		}
	}
	if r.Runtime.Name != "cri-o" {
		t.Errorf("runtime %+v, want cri-o", r.Runtime)
	}
	wantDrifts(t, r)
	golden(t, c, "report", r)
}
