//go:build linux

package scan_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/agent/checks"
)

// TestHiddenInSomeCgroupsOfAContainer: a process a host root put in the
// namespaces of a container and in only some of its cgroups (its v1
// controllers, not the unified hierarchy: what a loop over the controllers
// of /proc/<pid>/cgroup does) is neither one of the container's processes
// (not within all its cgroups) nor the runtime's: it is reported as having
// entered the container, not dropped as a container created meanwhile.
func TestHiddenInSomeCgroupsOfAContainer(t *testing.T) {
	c := load(t, "hidden")
	target := c.container(t, "nsenter-target")
	ref, err := os.ReadFile(filepath.Join(c.procDir(target.PID), "cgroup"))
	if err != nil {
		t.Fatal(err)
	}
	var partial []string
	for _, line := range strings.Split(strings.TrimSpace(string(ref)), "\n") {
		if strings.HasPrefix(line, "0::") {
			line = "0::/"
		}
		partial = append(partial, line)
	}
	nsenter := c.byComm(t, "nsenter")
	if len(nsenter) != 1 {
		t.Fatalf("nsenter %v: want one in the capture", nsenter)
	}
	pids := []int{nsenter[0], nsenter[0] + 1} // nsenter and its sleep
	for _, pid := range pids {
		if err := os.WriteFile(filepath.Join(c.procDir(pid), "cgroup"), []byte(strings.Join(partial, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := c.scan(t, c.pods)
	for _, f := range r.Findings {
		if f.Check == checks.UndeclaredContainer && f.PID == pids[0] {
			if f.ContainerID != target.ID {
				t.Errorf("the group is attributed to %q, want the container it entered %s", f.ContainerID, target.ID)
			}
			return
		}
	}
	t.Errorf("no undeclared-container finding for nsenter(%d) in some of %s's cgroups:%v", pids[0], target.ID, r.Findings)
}
