package scan

import (
	"log/slog"
	"os"
	"testing"

	"github.com/rtaudit/rtaudit/agent/cri"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/probes"
)

func testPass(t *testing.T) *pass {
	t.Helper()
	fs, err := probes.NewFS("/proc")
	if err != nil {
		t.Fatal(err)
	}
	s := &Scanner{fs: fs, log: slog.New(slog.DiscardHandler)}
	return &pass{Scanner: s, sess: fs.NewSession(), r: &Report{}, k: newKnown(), defaults: expect.DefaultsFor("containerd", "1.6.20")}
}

// A container whose process exited between discovery and the probe is
// gone: listed as such, never a finding, never an error.
func TestAuditGoneContainer(t *testing.T) {
	p := testPass(t)
	c := &cri.Container{ID: "exited", Name: "app", State: "running", PID: 1 << 22} // above pid_max: no such process
	if procs := p.audit(c, nil); procs != nil {
		t.Errorf("processes %v, want none", procs)
	}
	if len(p.r.Gone) != 1 || len(p.r.Findings) != 0 || len(p.r.Errors) != 0 || len(p.r.Containers) != 0 {
		t.Errorf("report %+v, want one gone container and nothing else", p.r)
	}
}

// A PID that now belongs to a process outside the container's cgroup (PID
// reuse) is the container gone, not the other process judged.
func TestAuditReusedPID(t *testing.T) {
	p := testPass(t)
	c := &cri.Container{ID: "0123456789abcdef-not-in-any-cgroup", Name: "app", State: "running", PID: os.Getpid()}
	p.audit(c, nil)
	if len(p.r.Gone) != 1 || len(p.r.Findings) != 0 {
		t.Errorf("report %+v, want the container gone (its PID is this test's)", p.r)
	}
}

// A container the runtime could not describe is not audited, and says so.
func TestAuditStatusError(t *testing.T) {
	p := testPass(t)
	c := &cri.Container{ID: "broken", State: "running", PID: os.Getpid(), StatusError: os.ErrPermission}
	p.audit(c, nil)
	if len(p.r.Errors) != 1 || len(p.r.Findings) != 0 {
		t.Errorf("report %+v, want one error", p.r)
	}
}

func TestFilter(t *testing.T) {
	c := &cri.Container{Name: "app", Pod: cri.PodRef{Namespace: "ns", Name: "web"}}
	for _, tc := range []struct {
		f    Filter
		keep bool
	}{
		{Filter{}, true},
		{Filter{Namespace: "ns"}, true},
		{Filter{Namespace: "other"}, false},
		{Filter{Pod: "web", Container: "app"}, true},
		{Filter{Container: "sidecar"}, false},
	} {
		if got := tc.f.keep(c); got != tc.keep {
			t.Errorf("%+v.keep = %v, want %v", tc.f, got, tc.keep)
		}
	}
}

func TestInContainerCgroup(t *testing.T) {
	id := "4f1c2e"
	for _, tc := range []struct {
		cgroups []probes.Cgroup
		want    bool
	}{
		{nil, true}, // no cgroup information: benefit of the doubt
		{[]probes.Cgroup{{Path: "/k8s.io/4f1c2e"}}, true},
		{[]probes.Cgroup{{Path: "/kubepods.slice/cri-containerd-4f1c2e.scope"}}, true},
		{[]probes.Cgroup{{Path: "/user.slice/session-1.scope"}}, false},
	} {
		if got := inContainerCgroup(&probes.Process{Cgroups: tc.cgroups}, id); got != tc.want {
			t.Errorf("cgroups %v: %v, want %v", tc.cgroups, got, tc.want)
		}
	}
}
