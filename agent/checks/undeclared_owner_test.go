package checks

import (
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/probes"
)

// TestUndeclaredGroupMadeBy: a hidden group the node attributes to a
// runtime container is named by it; an entered CRI container still wins.
func TestUndeclaredGroupMadeBy(t *testing.T) {
	procs := []*probes.Process{{PID: 20, Comm: "sleep"}}
	made := &RuntimeOwner{Runtime: "runc", Instance: "/run/containerd/runc/k8s.io", ID: "hid\x1b[31m", Bundle: "/tmp/b", Created: "2026-12-03T12:07:25Z", Evidence: "state.json"}
	f := UndeclaredGroup(HiddenGroup{Namespaces: []string{"net:50", "pid:60"}, Processes: procs, Made: made})
	for _, want := range []string{`container "hid\x1b[31m" of runc at "/run/containerd/runc/k8s.io"`, `bundle "/tmp/b"`, "created 2026-12-03T12:07:25Z", "from its state.json", "sleep(20) in pid:60"} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q lacks %q", f.Message, want)
		}
	}
	if f.ContainerID != made.ID || f.PID != 20 {
		t.Errorf("finding %+v: want the container ID and the oldest PID", f)
	}
	shim := &RuntimeOwner{Runtime: "containerd", Instance: "/run/other.sock", Namespace: "k8s.io", ID: "5ad", Evidence: "shim containerd-shim-runc-v2"}
	f = UndeclaredGroup(HiddenGroup{Namespaces: []string{"pid:60"}, Processes: procs, Made: shim})
	if !strings.Contains(f.Message, `container "5ad" of containerd at "/run/other.sock" (namespace "k8s.io")`) {
		t.Errorf("shim message %q", f.Message)
	}
	f = UndeclaredGroup(HiddenGroup{Namespaces: []string{"pid:60"}, Processes: procs, Made: shim, Entered: &Owner{ID: "c1"}})
	if f.ContainerID != "c1" || !strings.Contains(f.Message, "nsenter") {
		t.Errorf("entered and made: %+v", f)
	}
}
