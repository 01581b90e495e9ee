package scan

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/probes"
)

var hostNS = probes.Namespaces{probes.NSPID: 1, probes.NSNet: 2, probes.NSMnt: 3}

func proc(pid int, start uint64, pidNS, netNS uint64, cgroup string) *probes.Process {
	return &probes.Process{
		PID: pid, Comm: "p", StartTime: start,
		Namespaces: probes.Namespaces{probes.NSPID: pidNS, probes.NSNet: netNS, probes.NSMnt: 99},
		Cgroups:    []probes.Cgroup{{Path: cgroup}},
	}
}

func TestGroupHideouts(t *testing.T) {
	got := groupHideouts([]*probes.Process{
		proc(10, 5, 1, 2, "/user.slice/session-1.scope"),   // the host's: not a hideout (a private mnt ns alone is not)
		proc(20, 7, 1, 50, "/user.slice/session-1.scope"),  // unshare --net: parent in host pid ns...
		proc(21, 8, 60, 50, "/user.slice/session-1.scope"), // ...its child in a new pid ns, same net ns: one hideout
		proc(22, 9, 60, 50, "/user.slice/session-1.scope"),
		proc(30, 3, 1, 70, "/system.slice/chronyd.service"), // PrivateNetwork= service: ignored
		proc(31, 4, 80, 2, "/system.slice/odd.service"),     // a pid ns of its own: reported even in a service
	}, hostNS)
	var labels []string
	for _, h := range got {
		pids := make([]string, len(h.procs))
		for i, p := range h.procs {
			pids[i] = strconv.Itoa(p.PID)
		}
		labels = append(labels, strings.Join(h.keys, "+")+"="+strings.Join(pids, ","))
	}
	want := []string{"net:50+pid:60=20,21,22", "pid:80=31"}
	slices.Sort(labels)
	if !slices.Equal(labels, want) {
		t.Errorf("hideouts %v, want %v", labels, want)
	}
	if len(got) == 2 && got[0].procs[0].PID != 20 {
		t.Errorf("the first hideout's oldest process is %d, want 20 (the finding's PID)", got[0].procs[0].PID)
	}
}
