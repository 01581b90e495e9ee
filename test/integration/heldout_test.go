package integration

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
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

// TestHeldoutCapPrefixedNames: containerd writes "CAP_" + the name into the
// OCI spec, so capabilities spelt with the prefix become CAP_CAP_NET_ADMIN
// and CAP_CAP_NET_RAW, which runc ignores: the kernel shows NET_RAW kept and
// NET_ADMIN not granted. That is the runtime's semantics, not a drift: no
// finding, and the container's problems name both spellings.
func TestHeldoutCapPrefixedNames(t *testing.T) {
	lab := harness.SharedLab(t)
	a := launchDeclared(t, lab, podYAML("heldout-capnames", `  containers:
  - name: main
    image: `+harness.BusyboxImage+`
    command: [sleep, "3600"]
    securityContext: {capabilities: {add: [CAP_NET_ADMIN], drop: [CAP_NET_RAW]}}
`))
	r := scanOf(t, lab, a)
	if len(r.Containers) != 1 {
		t.Fatalf("containers %+v", r.Containers)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", r.Containers[0].PID))
	if err != nil {
		t.Fatal(err)
	}
	var eff uint64
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:\t"); ok {
			eff, _ = strconv.ParseUint(v, 16, 64)
		}
	}
	const netAdmin, netRaw = 1 << 12, 1 << 13
	if eff&netRaw == 0 || eff&netAdmin != 0 {
		t.Fatalf("kernel CapEff %#x: want NET_RAW kept and NET_ADMIN not granted (containerd's CAP_CAP_ names)", eff)
	}
	if got := drifts(r); len(got) != 0 {
		t.Errorf("findings %v, want none:%s", got, dump(r))
	}
	if p := r.Containers[0].Problems; len(p) != 1 || !strings.Contains(p[0], "CAP_CAP_NET_ADMIN") || !strings.Contains(p[0], "CAP_CAP_NET_RAW") {
		t.Errorf("problems %q, want both CAP_-prefixed names", p)
	}
}
