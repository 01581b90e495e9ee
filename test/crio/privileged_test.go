package crio

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/test/harness"
	mx "github.com/rtaudit/rtaudit/test/matrix"
)

// capSets reads the five capability sets of pid from /proc/<pid>/status.
func capSets(t *testing.T, pid int) map[string]uint64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, line := range strings.Split(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.HasPrefix(k, "Cap") {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			out[k] = n
		}
	}
	return out
}

// TestCRIOPrivilegedCapabilities: CRI-O gives a privileged container
// every capability it can in all five sets — inheritable and ambient
// included, so a non-root user holds them in effect too (containerd
// leaves both empty) — and the audit, knowing the runtime, reports no
// capabilities or privileged drift at any layer, for root and non-root.
func TestCRIOPrivilegedCapabilities(t *testing.T) {
	lab := harness.SharedCRIOLab(t)
	all := capSets(t, lab.PID())["CapBnd"] // what CRI-O's runtime can grant
	for name, sc := range map[string]string{
		"root":     "{privileged: true}",
		"non-root": "{privileged: true, runAsUser: 1000, runAsGroup: 1000}",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			spec := "  containers:\n  - name: main\n    image: " + mx.Image + "\n    command: [sleep, \"3600\"]\n    securityContext: " + sc + "\n"
			l := launch(t, lab, podYAML("crio-priv-"+name, spec))
			got := capSets(t, l.pid)
			for _, set := range []string{"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"} {
				if got[set] != all {
					t.Errorf("%s = %016x, want every capability of CRI-O's bounding set %016x", set, got[set], all)
				}
			}
			r := scanOf(t, lab, l)
			logInfo(t, r)
			if d := drifts(r); len(d) != 0 {
				t.Errorf("findings %v, want none:%s", d, dump(r))
			}
			for _, f := range r.Findings {
				if slices.Contains([]checks.ID{checks.Capabilities, checks.Privileged}, f.Check) {
					t.Errorf("%s finding on a privileged container: %s", f.Check, f.Message)
				}
			}
		})
	}
}
