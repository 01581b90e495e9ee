//go:build linux

package probes

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestSysctlsLive reads the namespaced sysctls of a process in its own
// network namespace (unshare -n), set to a value the host does not have,
// and of this process: each sees its own.
func TestSysctlsLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("setns needs root (CAP_SYS_ADMIN)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("util-linux unshare is not installed")
	}
	fs, err := NewFS("/proc")
	if err != nil {
		t.Fatal(err)
	}
	hostNet, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	self, err := fs.Sysctls(os.Getpid(), []string{"net.ipv4.ip_local_port_range", "kernel.shm_rmid_forced", "net.ipv4.not_a_sysctl"})
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if len(self) != 2 || self["net.ipv4.ip_local_port_range"] != NormalizeSysctl(string(host)) {
		t.Fatalf("own sysctls %v, host port range %q", self, host)
	}
	cmd := exec.Command("unshare", "-n", "-i", "sh", "-c", "echo '40000 40100' > /proc/sys/net/ipv4/ip_local_port_range && echo 1 > /proc/sys/kernel/shm_rmid_forced && echo ready && exec sleep 60")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	b := make([]byte, 6)
	if _, err := out.Read(b); err != nil || !strings.HasPrefix(string(b), "ready") {
		t.Fatalf("child: %q %v", b, err)
	}
	got, err := fs.Sysctls(cmd.Process.Pid, []string{"net.ipv4.ip_local_port_range", "kernel.shm_rmid_forced"})
	if err != nil {
		t.Fatal(err)
	}
	if got["net.ipv4.ip_local_port_range"] != "40000 40100" || got["kernel.shm_rmid_forced"] != "1" {
		t.Errorf("child's sysctls %v, want its own namespaces' values", got)
	}
	// Every thread of this process is back in its own namespaces, the
	// main thread included (whose links are /proc/<pid>/ns/*), however
	// often the reads ran and on whichever threads.
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() { _, _ = fs.Sysctls(cmd.Process.Pid, []string{"net.ipv4.ip_local_port_range"}) })
	}
	wg.Wait()
	tasks, _ := filepath.Glob("/proc/self/task/*/ns/net")
	for _, task := range append(tasks, "/proc/self/ns/net") {
		if l, err := os.Readlink(task); err == nil && l != hostNet {
			t.Errorf("%s is %s, not the host's %s: a thread was left in the child's namespace", task, l, hostNet)
		}
	}
	if again, _ := fs.Sysctls(os.Getpid(), []string{"net.ipv4.ip_local_port_range"}); again["net.ipv4.ip_local_port_range"] != self["net.ipv4.ip_local_port_range"] {
		t.Errorf("after reading the child's, own value %v: the calling thread left its namespaces", again)
	}
	if _, err := fs.Sysctls(1<<22, []string{"net.ipv4.ip_local_port_range"}); !errors.Is(err, ErrGone) {
		t.Errorf("no such process: %v, want ErrGone", err)
	}
	if _, err := fs.Sysctls(os.Getpid(), []string{"../../etc/shadow"}); !errors.Is(err, ErrSysctlName) {
		t.Errorf("escape: %v, want ErrSysctlName", err)
	}
}
