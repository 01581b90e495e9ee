package integration

import (
	"slices"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/scan"
	"github.com/rtaudit/rtaudit/test/harness"
)

// TestHeldoutRootDaemonDropsPrivilege: an nginx-like container (root, no
// runAsUser, the runtime's default capabilities) whose master starts a
// worker under another user (start-stop-daemon -c nobody:nogroup does
// what nginx does: setgroups, setgid, setuid) is compliant: the worker
// has less privilege than declared, so its user, group and groups are
// info findings on the worker's PID and nothing else.
func TestHeldoutRootDaemonDropsPrivilege(t *testing.T) {
	lab := harness.SharedLab(t)
	a := launchDeclared(t, lab, podYAML("heldout-drop", `  containers:
  - name: main
    image: `+harness.BusyboxImage+`
    command: [sh, -c, 'start-stop-daemon -S -b -c nobody:nogroup -x /bin/sleep -- 3601; exec sleep 3600']
`))
	var r *scan.Report
	deadline := time.Now().Add(10 * time.Second)
	for {
		r = scanOf(t, lab, a)
		if len(r.Containers) == 1 && r.Containers[0].Processes == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker never showed up: %+v", r.Containers)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := drifts(r); len(got) != 0 {
		t.Fatalf("findings %v, want none:%s", got, dump(r))
	}
	var info []string
	for _, f := range r.Findings {
		if f.Severity == checks.Info && f.PID != r.Containers[0].PID {
			info = append(info, string(f.Check))
		}
	}
	slices.Sort(info)
	if want := []string{"run-as-group", "run-as-user", "supplemental-groups"}; !slices.Equal(info, want) {
		t.Errorf("the worker's info findings %v, want %v:%s", info, want, dump(r))
	}
}
