package integration

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/rtaudit/rtaudit/agent/checks"
	"github.com/rtaudit/rtaudit/test/harness"
)

// TestSysctls: safe sysctls declared on the pod reach the kernel of its
// namespaces (read there, not on the host) and give no finding; one
// changed behind the pod's back (nsenter into its IPC namespace from the
// host) is a finding on the container's init; an unsafe one declared is
// low.
func TestSysctls(t *testing.T) {
	lab := harness.SharedLab(t)
	a := launchDeclared(t, lab, podYAML("sysctl-safe", `  securityContext:
    sysctls: [{name: net.ipv4.ip_local_port_range, value: "40000 40100"}, {name: kernel.shm_rmid_forced, value: "1"}]
  containers:
`+sleeper))
	r := scanOf(t, lab, a)
	if got := drifts(r); len(got) != 0 {
		t.Fatalf("findings %v, want none:%s", got, dump(r))
	}
	pid, err := a.pod.PID(context.Background(), "main")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("nsenter", "--ipc", "--target", fmt.Sprint(pid), "sh", "-c", "echo 0 > /proc/sys/kernel/shm_rmid_forced").CombinedOutput(); err != nil {
		t.Fatalf("nsenter: %v: %s", err, out)
	}
	r = scanOf(t, lab, a)
	if got, want := drifts(r), []string{fmt.Sprintf("sysctls/process/%d", pid)}; !slices.Equal(got, want) {
		t.Fatalf("findings %v, want %v:%s", got, want, dump(r))
	}
	if f, _ := findingOf(r, a.manifest.Name, checks.Sysctls); f.Expected != "1" || f.Actual != "0" || !strings.Contains(f.Message, "kernel.shm_rmid_forced") {
		t.Errorf("finding %+v", f)
	}

	u := launchDeclared(t, lab, podYAML("sysctl-unsafe", `  securityContext:
    sysctls: [{name: net.core.somaxconn, value: "1000"}]
  containers:
`+sleeper))
	r = scanOf(t, lab, u)
	if got, want := drifts(r), []string{"sysctls/cri/0"}; !slices.Equal(got, want) {
		t.Fatalf("findings %v, want %v:%s", got, want, dump(r))
	}
	if f, _ := findingOf(r, u.manifest.Name, checks.Sysctls); f.Severity != checks.Low || !strings.Contains(f.Message, "outside the kubelet's safe set") {
		t.Errorf("finding %+v", f)
	}
}
