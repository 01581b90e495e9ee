//go:build linux

package probetest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rtaudit/rtaudit/probes"
)

// TestCaptureLive: the test process captured from /proc and materialised
// probes the same as live (and so does PID 1 as root, with a host path).
func TestCaptureLive(t *testing.T) {
	self := os.Getpid()
	pids, hostPaths := []int{self}, []string(nil)
	if os.Geteuid() == 0 {
		pids = append(pids, 1)
		hostPaths = []string{"/proc/self/status", "/proc", "/no/such/path"}
	}
	dst := t.TempDir()
	if err := Capture("", pids, dst, hostPaths...); err != nil {
		t.Fatal(err)
	}
	live, err := probes.NewFS("")
	if err != nil {
		t.Fatal(err)
	}
	fx := Materialise(t, dst)
	for _, pid := range pids {
		want, err := live.Probe(pid)
		var perr *probes.PermissionError
		if pid == 1 && errors.As(err, &perr) {
			// An init that refuses ptrace even to root: captured with the
			// host namespaces HostNamespaces falls back to.
			host, err := live.HostNamespaces()
			if err != nil {
				t.Fatal(err)
			}
			if got, err := fx.Namespaces(1); err != nil || !cmp.Equal(got, host) {
				t.Errorf("pid 1 namespaces = %v, %v; want the host's %v", got, err, host)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := fx.Probe(pid)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("pid %d: materialised differs from live (-live +materialised):\n%s", pid, diff)
		}
	}
	if got, err := fx.PIDs(); err != nil || !cmp.Equal(len(got), len(pids)) {
		t.Errorf("PIDs = %v, %v; want %v", got, err, pids)
	}
	wantCaps, _ := live.AllCaps()
	if got, err := fx.AllCaps(); err != nil || got != wantCaps {
		t.Errorf("AllCaps = %v, %v; want %v", got, err, wantCaps)
	}
	if os.Geteuid() == 0 {
		hp := filepath.Join(fx.Root(), "1", "root")
		if fi, err := os.Lstat(filepath.Join(hp, "proc", "self", "status")); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("host path /proc/self/status: %v, %v", fi, err)
		}
		if _, err := os.Lstat(filepath.Join(hp, "no")); err == nil {
			t.Error("a host path that does not exist was recreated")
		}
	}
}

// TestBuild: ns links from ns.txt, one root directory per distinct
// mountinfo, host paths under PID 1's root, a missing process gone.
func TestBuild(t *testing.T) {
	src := t.TempDir()
	host := "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
	ctr := "900 800 0:50 / / rw - overlay overlay rw\n"
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(src, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	proc := func(pid int, comm, mountinfo string) {
		d := "proc/" + strconv.Itoa(pid) + "/"
		write(d+"stat", strconv.Itoa(pid)+" ("+comm+") S 0 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 "+strconv.Itoa(100+pid)+" 0 0\n")
		write(d+"status", "Name:\t"+comm+"\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t\nNSpid:\t"+strconv.Itoa(pid)+
			"\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n")
		write(d+"cgroup", "0::/\n")
		write(d+"mountinfo", mountinfo)
		write(d+"uid_map", "0 0 4294967295\n")
		write(d+"gid_map", "0 0 4294967295\n")
	}
	proc(1, "init", host)
	proc(5, "sshd", host)
	proc(7, "sleep", ctr)
	write("proc/sys/kernel/cap_last_cap", "40\n")
	write("ns.txt", "# comment\n1 pid pid:[4026531836]\n1 net net:[4026531840]\n5 pid pid:[4026531836]\n5 net net:[4026531840]\n7 pid pid:[4026532001]\n7 net net:[4026532002]\n")
	write("hostpaths.txt", "d /proc/acpi\nf /proc/kcore\n")
	fs := Materialise(t, src)

	host1, err := fs.Probe(1)
	if err != nil {
		t.Fatal(err)
	}
	if host1.Namespaces[probes.NSPID] != 4026531836 || host1.Root.FSType != "ext4" {
		t.Errorf("pid 1: namespaces %v, root %+v", host1.Namespaces, host1.Root)
	}
	link := func(pid int) string {
		t.Helper()
		l, err := os.Readlink(filepath.Join(fs.Root(), strconv.Itoa(pid), "root"))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	if link(1) != link(5) || link(1) == link(7) {
		t.Errorf("root links %s %s %s: want 1 and 5 shared, 7 its own", link(1), link(5), link(7))
	}
	if fi, err := os.Stat(filepath.Join(link(1), "proc", "acpi")); err != nil || !fi.IsDir() {
		t.Errorf("/proc/acpi under PID 1's root: %v", err)
	}
	if fi, err := os.Stat(filepath.Join(link(1), "proc", "kcore")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("/proc/kcore under PID 1's root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(link(7), "proc")); err == nil {
		t.Error("host paths were made under a container's root")
	}
	sess := fs.NewSession()
	if pids, err := sess.ContainerPIDs(7); err != nil || !cmp.Equal(pids, []int{7}) {
		t.Errorf("ContainerPIDs(7) = %v, %v", pids, err)
	}
	if err := os.RemoveAll(filepath.Join(fs.Root(), "7")); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Probe(7); !strings.Contains(err.Error(), "gone") {
		t.Errorf("probe of a deleted process: %v, want gone", err)
	}
}

func TestBuildRejectsBadLines(t *testing.T) {
	src := t.TempDir()
	if err := os.MkdirAll(filepath.Join(src, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "ns.txt"), []byte("1 pid\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(src, t.TempDir()); err == nil || !strings.Contains(err.Error(), "ns.txt:1") {
		t.Errorf("Build with a short ns.txt line: %v", err)
	}
}
