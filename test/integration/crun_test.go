package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/agent/expect"
	"github.com/rtaudit/rtaudit/test/harness"
)

// crun as a second OCI runtime: the lab's "crun" runtime handler
// (harness.CrunHandler) is containerd's runc shim with crun as its binary.
// The kubelet's semantics do not depend on the OCI runtime, so the matrix
// must audit clean under crun exactly as under runc.

// crunLab is the shared lab, skipping the test (failing it under
// RTAUDIT_REQUIRE_LAB=1) when the lab has no crun handler.
func crunLab(t *testing.T) *harness.Lab {
	t.Helper()
	lab := harness.SharedLab(t)
	if lab.Options().Crun == "" {
		msg := "the lab has no crun handler: crun not found (install it: run test/setup.sh)"
		if os.Getenv(harness.RequireEnv) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return lab
}

// withRuntimeClass puts runtimeClassName: handler into a spec body.
func withRuntimeClass(handler, spec string) string {
	return "  runtimeClassName: " + handler + "\n" + spec
}

// waitCrunExec waits until crun's container init has exec'd the command.
// Until then its comm is "crun" (runc's is "runc:[2:INIT]", which
// waitExec knows), and it still applies the seccomp filter of a
// NoNewPrivs container after StartContainer has returned.
func waitCrunExec(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(comm)) != "crun" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d is still crun's init after 10s", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// crunStatus is the part of crun's state file (<root>/<id>/status) read here.
type crunStatus struct {
	PID       int    `json:"pid"`
	StartTime uint64 `json:"process-start-time"`
}

// ranUnderCrun checks that crun, not runc, made the container: crun's
// state for it sits under the crun handler's root and names this very
// process (PID and start time in /proc/<pid>/stat, so a reused PID does
// not pass).
func ranUnderCrun(t *testing.T, lab *harness.Lab, id string, pid int) {
	t.Helper()
	path := filepath.Join(lab.CrunRoot(), harness.CRINamespace, id, "status")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no crun state for container %s: %v", id, err)
	}
	var st crunStatus
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	start, err := startTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	if st.PID != pid || st.StartTime != start {
		t.Errorf("crun state %s: pid %d started at %d, want pid %d started at %d", path, st.PID, st.StartTime, pid, start)
	}
}

// startTime is field 22 of /proc/<pid>/stat (clock ticks since boot).
func startTime(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the parenthesised comm, from field 3 on
	// (the last ')': a comm may hold one).
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, data)
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, data)
	}
	return strconv.ParseUint(fields[19], 10, 64)
}

// TestAuditCompliantMatrixCrun: every pod of the launcher matrix, run with
// runtimeClassName: crun, really runs under crun, shows the kernel state
// the runc matrix asserts (launcher_test.go), and gives the audit no
// finding, except the matrix pods that are real drift, which give exactly
// their check — as TestAuditCompliantMatrix does under runc.
func TestAuditCompliantMatrixCrun(t *testing.T) {
	lab := crunLab(t)
	for _, tc := range matrix(t, nodeState(t, lab)) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := launchDeclared(t, lab, podYAML("crun-"+tc.name, withRuntimeClass(harness.CrunHandler, tc.spec)))
			id, err := a.pod.ContainerID("main")
			if err != nil {
				t.Fatal(err)
			}
			pid, err := a.pod.PID(context.Background(), "main")
			if err != nil {
				t.Fatal(err)
			}
			waitCrunExec(t, pid)
			ranUnderCrun(t, lab, id, pid)
			ranUnderCrun(t, lab, a.pod.SandboxID, sandboxPID(t, a.pod))
			tc.check(t, readState(t, pid))

			r := scanOf(t, lab, a)
			if len(r.Containers) != 1 || r.Containers[0].DeclaredFrom != expect.OriginManifest {
				t.Fatalf("containers = %+v, want the pod's one container declared from the manifest", r.Containers)
			}
			for _, f := range r.Findings {
				if f.Severity == checks.Info {
					t.Logf("info: %s %s pid=%d: %s", f.Check, f.Layer, f.PID, f.Message)
				}
			}
			var want []string
			if check, ok := matrixDrift[tc.name]; ok {
				want = []string{fmt.Sprintf("%s/process/%d", check, pid)}
			}
			if got := drifts(r); !slices.Equal(got, want) {
				t.Errorf("findings %v, want %v:%s", got, want, dump(r))
			}
		})
	}
}

func sandboxPID(t *testing.T, p *harness.Pod) int {
	t.Helper()
	pid, err := p.SandboxPID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return pid
}
