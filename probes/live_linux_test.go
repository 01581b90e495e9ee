//go:build linux

package probes

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/sys/capability"
)

// helperEnv makes the test binary, re-executed as an unprivileged user,
// probe the PID it names and report the error (see TestLivePermission).
const helperEnv = "PROBES_TEST_PERMISSION_PID"

func TestMain(m *testing.M) {
	if v := os.Getenv(helperEnv); v != "" {
		os.Exit(permissionHelper(v))
	}
	os.Exit(m.Run())
}

// permissionHelper probes pid with Probe, Namespaces and Session.Probe and
// prints "file capability pid" of each *PermissionError, one line each.
func permissionHelper(v string) int {
	pid, _ := strconv.Atoi(v)
	fs, err := NewFS("")
	if err != nil {
		fmt.Println(err)
		return 1
	}
	_, err1 := fs.Probe(pid)
	_, err2 := fs.Namespaces(pid)
	_, err3 := fs.NewSession().Probe(pid)
	for _, err := range []error{err1, err2, err3} {
		var perr *PermissionError
		if !errors.As(err, &perr) {
			fmt.Printf("want a *PermissionError, got %v\n", err)
			return 1
		}
		fmt.Printf("%s %s %d\n", perr.File, perr.Capability, perr.PID)
	}
	return 0
}

func liveFS(t *testing.T) FS {
	t.Helper()
	fs, err := NewFS("")
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func needRootAndTool(t *testing.T, tool string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to start processes with chosen credentials and namespaces")
	}
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("needs %s (util-linux)", tool)
	}
}

// start runs a command that ends in a long sleep and returns the PID of the
// process once it has exec'd sleep (so its credentials are final).
func start(t *testing.T, fs FS, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitComm(t, fs, cmd.Process.Pid, "sleep")
	return cmd
}

func waitComm(t *testing.T, fs FS, pid int, comm string) *Process {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p, err := fs.Probe(pid)
		if err == nil && p.Comm == comm {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d did not become %q: %v", pid, comm, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLiveSelf(t *testing.T) {
	fs := liveFS(t)
	p, err := fs.Probe(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if p.PID != os.Getpid() || p.PPID != os.Getppid() || p.StartTime == 0 {
		t.Errorf("identity: %d %d %d", p.PID, p.PPID, p.StartTime)
	}
	if want := filepath.Base(os.Args[0]); !strings.HasPrefix(want, p.Comm) {
		t.Errorf("comm %q is not a prefix of %q", p.Comm, want)
	}
	if p.UID[Real] != uint32(os.Getuid()) || p.UID[Effective] != uint32(os.Geteuid()) || p.GID[Real] != uint32(os.Getgid()) {
		t.Errorf("ids %v %v", p.UID, p.GID)
	}
	caps, err := capability.NewPid2(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := caps.Load(); err != nil {
		t.Fatal(err)
	}
	for _, c := range capability.ListKnown() {
		for which, set := range map[capability.CapType]CapSet{capability.EFFECTIVE: p.Caps.Effective, capability.PERMITTED: p.Caps.Permitted, capability.BOUNDING: p.Caps.Bounding, capability.AMBIENT: p.Caps.Ambient} {
			if set.Has(int(c)) != caps.Get(which, c) {
				t.Errorf("%s %s: probe %v, capget %v", which, CapName(int(c)), set.Has(int(c)), caps.Get(which, c))
			}
		}
	}
	for _, k := range NSKinds() {
		target, err := os.Readlink("/proc/self/ns/" + string(k))
		if err != nil {
			continue
		}
		if want := fmt.Sprintf("%s:[%d]", k, p.Namespaces[k]); target != want {
			t.Errorf("ns %s = %s, want %s", k, want, target)
		}
	}
	if p.Root.MountPoint != "/" || len(p.Mounts) == 0 || len(p.Cgroups) == 0 {
		t.Errorf("root %+v, %d mounts, %d cgroups", p.Root, len(p.Mounts), len(p.Cgroups))
	}
	if same, err := fs.StillSame(p.PID, p.StartTime); !same || err != nil {
		t.Errorf("StillSame(self) = %v, %v", same, err)
	}
	host, err := fs.HostNamespaces()
	if err != nil || len(host) == 0 {
		t.Fatalf("HostNamespaces() = %v, %v", host, err)
	}
}

func TestLiveSetpriv(t *testing.T) {
	needRootAndTool(t, "setpriv")
	fs := liveFS(t)
	const nbs = CapSet(1 << 10) // CAP_NET_BIND_SERVICE
	tests := []struct {
		name string
		args []string
		caps Capabilities
		nnp  bool
	}{
		{"no caps, bounding net_bind_service", []string{"--inh-caps=-all", "--bounding-set", "-all,+net_bind_service"}, Capabilities{Bounding: nbs}, false},
		{"ambient net_bind_service, no_new_privs", []string{"--inh-caps", "+net_bind_service", "--ambient-caps", "+net_bind_service", "--bounding-set", "-all,+net_bind_service", "--no-new-privs"}, Capabilities{nbs, nbs, nbs, nbs, nbs}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"setpriv", "--reuid", "1000", "--regid", "1001", "--groups", "5,6"}, tt.args...)
			cmd := start(t, fs, append(args, "sleep", "30")...)
			p, err := fs.Probe(cmd.Process.Pid)
			if err != nil {
				t.Fatal(err)
			}
			if p.UID != (IDs{1000, 1000, 1000, 1000}) || p.GID != (IDs{1001, 1001, 1001, 1001}) || !slices.Equal(p.Groups, []uint32{5, 6}) {
				t.Errorf("ids %v %v %v", p.UID, p.GID, p.Groups)
			}
			if p.Caps != tt.caps {
				t.Errorf("caps %+v, want %+v", p.Caps, tt.caps)
			}
			if p.NoNewPrivs != tt.nnp {
				t.Errorf("NoNewPrivs = %v", p.NoNewPrivs)
			}
		})
	}
}

func TestLiveUnshare(t *testing.T) {
	needRootAndTool(t, "unshare")
	fs := liveFS(t)
	self, err := fs.Probe(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	cmd := start(t, fs, "unshare", "--net", "--uts", "--ipc", "sleep", "30")
	p, err := fs.Probe(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range NSKinds() {
		changed := k == NSNet || k == NSUTS || k == NSIPC
		if p.Namespaces.Same(self.Namespaces, k) == changed {
			t.Errorf("ns %s: same as the test process = %v, want %v", k, !changed, changed)
		}
	}
	host, err := fs.HostNamespaces()
	if err != nil {
		t.Fatal(err)
	}
	if self.IsHost(host, NSNet) && p.IsHost(host, NSNet) {
		t.Error("unshared process reported in the host network namespace")
	}
}

func TestLiveContainerPIDs(t *testing.T) {
	needRootAndTool(t, "nsenter")
	fs := liveFS(t)
	// unshare (old pid ns) forks B, pid 1 of a new pid ns: B starts C
	// (sleep 30) and becomes sleep 31.
	outer := exec.Command("unshare", "--pid", "--fork", "sh", "-c", "sleep 30 & exec sleep 31")
	if err := outer.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = outer.Process.Kill(); _ = outer.Wait() })
	b := waitChild(t, fs, outer.Process.Pid, "sleep")
	waitComm(t, fs, b, "sleep")
	c := waitChild(t, fs, b, "sleep")

	got, err := fs.ContainerPIDs(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := sorted(b, c); !slices.Equal(got, want) {
		t.Errorf("ContainerPIDs = %v, want %v", got, want)
	}

	// A process that joins later, as kubectl exec does.
	exe := exec.Command("nsenter", "--target", strconv.Itoa(b), "--pid", "--", "sleep", "32")
	if err := exe.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exe.Process.Kill(); _ = exe.Wait() })
	d := waitChild(t, fs, exe.Process.Pid, "sleep")
	got, err = fs.ContainerPIDs(c)
	if err != nil {
		t.Fatal(err)
	}
	if want := sorted(b, c, d); !slices.Equal(got, want) {
		t.Errorf("after exec: ContainerPIDs = %v, want %v", got, want)
	}
	if got, err = fs.NewSession().ContainerPIDs(c); err != nil || !slices.Equal(got, sorted(b, c, d)) {
		t.Errorf("Session.ContainerPIDs = %v, %v; want %v", got, err, sorted(b, c, d))
	}
}

func sorted(v ...int) []int { slices.Sort(v); return v }

// waitChild returns the PID of a child of ppid whose comm is comm.
func waitChild(t *testing.T, fs FS, ppid int, comm string) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		pids, err := fs.PIDs()
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range pids {
			if q <= ppid {
				continue
			}
			if p, err := fs.Probe(q); err == nil && p.PPID == ppid && p.Comm == comm {
				return q
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no %q child of %d", comm, ppid)
	return 0
}

func TestLiveGone(t *testing.T) {
	fs := liveFS(t)
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	p := waitComm(t, fs, pid, "sleep")
	_ = cmd.Process.Kill()
	time.Sleep(50 * time.Millisecond) // a zombie until reaped
	if _, err := fs.Probe(pid); !errors.Is(err, ErrGone) {
		t.Errorf("zombie: Probe = %v, want ErrGone", err)
	}
	_ = cmd.Wait()
	if _, err := fs.Probe(pid); !errors.Is(err, ErrGone) {
		t.Errorf("reaped: Probe = %v, want ErrGone", err)
	}
	if same, err := fs.StillSame(pid, p.StartTime); same || err != nil {
		t.Errorf("StillSame(reaped) = %v, %v", same, err)
	}
}

func TestLivePermission(t *testing.T) {
	needRootAndTool(t, "setpriv")
	fs := liveFS(t)
	target := start(t, fs, "sleep", "30")

	// Copy the test binary where an unprivileged user may run it.
	dir, err := os.MkdirTemp("", "probes-helper")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "probes.test")
	if err := copyFile(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("setpriv", "--reuid", "1000", "--regid", "1000", "--clear-groups", "--inh-caps=-all", bin)
	cmd.Env = append(os.Environ(), helperEnv+"="+strconv.Itoa(target.Process.Pid))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v: %s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 {
		t.Fatalf("helper reported %q, want 3 lines (Probe, Namespaces, Session.Probe)", out)
	}
	for _, line := range lines {
		fields := strings.Fields(line)
		if len(fields) != 3 || !strings.HasPrefix(fields[0], "ns/") || fields[1] != "CAP_SYS_PTRACE" || fields[2] != strconv.Itoa(target.Process.Pid) {
			t.Errorf("helper reported %q, want ns/<kind> CAP_SYS_PTRACE %d", line, target.Process.Pid)
		}
	}
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
