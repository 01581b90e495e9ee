//go:build linux

package probes

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Host namespace inodes of the fixture tree (PID 1).
var fixtureHost = Namespaces{
	NSCgroup: 4026531835, NSIPC: 4026531839, NSMnt: 4026531832, NSNet: 4026531833,
	NSPID: 4026531836, NSTime: 4026531834, NSUser: 4026531837, NSUTS: 4026531838,
}

// fixtureFS copies testdata/proc into a temporary directory and creates the
// ns/* links listed in testdata/ns.txt (kept out of git, which stores
// symlinks poorly).
func fixtureFS(t testing.TB) FS {
	t.Helper()
	root := filepath.Join(t.TempDir(), "proc")
	if err := os.CopyFS(root, os.DirFS("testdata/proc")); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("testdata/ns.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if len(fields) != 3 {
			t.Fatalf("ns.txt: bad line %q", sc.Text())
		}
		dir := filepath.Join(root, fields[0], "ns")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(fields[2], filepath.Join(dir, fields[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	// Processes with the same mountinfo share a root directory, others have
	// their own, as on a host (Session keys on the root).
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	roots := map[string]string{} // mountinfo content -> root directory
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		mi, _ := os.ReadFile(filepath.Join(root, e.Name(), "mountinfo"))
		dir, ok := roots[string(mi)]
		if !ok {
			dir = filepath.Join(filepath.Dir(root), "root-"+e.Name())
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			roots[string(mi)] = dir
		}
		if err := os.Symlink(dir, filepath.Join(root, e.Name(), "root")); err != nil {
			t.Fatal(err)
		}
	}
	fs, err := NewFS(root)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

const runtimeDefaultCaps CapSet = 0xa80425fb // containerd's default set for a root container

func TestProbeFixtures(t *testing.T) {
	fs := fixtureFS(t)
	tests := []struct {
		name string
		pid  int
		want func(*Process) string // "" when fine, else what is wrong
	}{
		{"host init", 1, func(p *Process) string {
			return expect(p.Comm == "systemd", "comm", p.Comm) + expect(p.PPID == 0 && p.StartTime == 10, "ppid/start", p.PPID, p.StartTime) +
				expect(cmp.Equal(p.Namespaces, fixtureHost), "namespaces", p.Namespaces) +
				expect(p.Root.FSType == "ext4" && p.Root.Source == "/dev/vda" && !p.Root.ReadOnly, "root", p.Root)
		}},
		{"root container", 100, func(p *Process) string {
			return expect(p.UID == IDs{} && p.GID == IDs{}, "ids", p.UID, p.GID) +
				expect(p.Caps.Effective == runtimeDefaultCaps && p.Caps.Bounding == runtimeDefaultCaps && p.Caps.Ambient == 0, "caps", p.Caps) +
				expect(p.Seccomp == SeccompFilter && p.SeccompFilters == 1 && !p.NoNewPrivs, "seccomp/nnp", p.Seccomp, p.SeccompFilters, p.NoNewPrivs) +
				expect(p.LSMLabel == "cri-containerd.apparmor.d (enforce)", "lsm", p.LSMLabel) +
				expect(cmp.Equal(p.NSpid, []int{100, 1}), "nspid", p.NSpid) +
				expect(!p.IsHost(fixtureHost, NSNet) && !p.IsHost(fixtureHost, NSPID) && p.IsHost(fixtureHost, NSUser) && p.IsHost(fixtureHost, NSCgroup), "ns", p.Namespaces) +
				expect(p.Root.FSType == "overlay" && p.Root.ID == 73 && !p.Root.ReadOnly && p.Root.HasOption("relatime"), "root", p.Root) +
				expect(mountAt(p, "/proc/sys").ReadOnly && mountAt(p, "/sys").ReadOnly && mountAt(p, "/sys").FSType == "sysfs", "sensitive mounts ro", mountAt(p, "/sys")) +
				expect(len(p.Mounts) == 17, "mount count", len(p.Mounts)) +
				expect(len(p.Cgroups) == 10 && p.Cgroups[0].Path == "/kubepods/besteffort/pod1111/c100" && cmp.Equal(p.Cgroups[0].Controllers, []string{"name=systemd"}) && p.Cgroups[9].HierarchyID == 0 && p.Cgroups[9].Controllers == nil, "cgroups", p.Cgroups) +
				expect(cmp.Equal(p.UIDMap, []IDMapping{{0, 0, 4294967295}}), "uid_map", p.UIDMap)
		}},
		{"non-root container, drop ALL, read-only root", 200, func(p *Process) string {
			return expect(p.UID == IDs{1000, 1000, 1000, 1000} && p.GID == IDs{} && cmp.Equal(p.Groups, []uint32{0}), "ids", p.UID, p.GID, p.Groups) +
				expect(p.Caps == Capabilities{}, "caps", p.Caps) +
				expect(p.NoNewPrivs && p.Seccomp == SeccompFilter, "nnp/seccomp", p.NoNewPrivs, p.Seccomp) +
				expect(p.Root.ReadOnly && p.Root.HasOption("ro"), "root ro", p.Root) +
				expect(p.LSMLabel == "", "lsm", p.LSMLabel)
		}},
		{"privileged", 300, func(p *Process) string {
			all := CapSetUpTo(40)
			return expect(p.Caps.Effective == all && p.Caps.Bounding == all && p.Caps.Permitted == all, "caps", p.Caps) +
				expect(p.Seccomp == SeccompDisabled && !p.NoNewPrivs, "seccomp", p.Seccomp) +
				expect(p.LSMLabel == "unconfined", "lsm", p.LSMLabel) +
				expect(!mountAt(p, "/sys").ReadOnly && mountAt(p, "/proc/sys").MountPoint == "", "writable /sys, no /proc/sys mask", mountAt(p, "/sys"))
		}},
		{"host namespaces", 400, func(p *Process) string {
			var shared []NSKind
			for _, k := range NSKinds() {
				if p.IsHost(fixtureHost, k) {
					shared = append(shared, k)
				}
			}
			return expect(cmp.Equal(shared, []NSKind{NSCgroup, NSIPC, NSNet, NSPID, NSTime, NSUser, NSUTS}), "host kinds", shared) +
				expect(cmp.Equal(p.NSpid, []int{400}), "nspid", p.NSpid) +
				expect(mountAt(p, "/host").Root == "/" && !mountAt(p, "/host").ReadOnly, "host / mount", mountAt(p, "/host")) +
				expect(mountAt(p, "/run/containerd/containerd.sock").Root == "/containerd/containerd.sock", "socket mount", mountAt(p, "/run/containerd/containerd.sock"))
		}},
		{"no_new_privs", 500, func(p *Process) string {
			return expect(p.NoNewPrivs && p.Seccomp == SeccompDisabled && p.Caps.Effective == runtimeDefaultCaps, "nnp", p.NoNewPrivs, p.Seccomp) +
				expect(p.Root.ReadOnly, "root ro", p.Root)
		}},
		{"ambient caps", 600, func(p *Process) string {
			nbs := CapSet(1 << 10)
			return expect(p.Caps == Capabilities{nbs, nbs, nbs, nbs, nbs}, "caps", p.Caps) +
				expect(p.Caps.Ambient.String() == "CAP_NET_BIND_SERVICE", "names", p.Caps.Ambient) +
				expect(p.UID == IDs{1000, 1000, 1000, 1000} && len(p.Groups) == 0, "ids", p.UID, p.Groups)
		}},
		{"user namespace", 700, func(p *Process) string {
			m := []IDMapping{{0, 196608, 65536}}
			return expect(cmp.Equal(p.UIDMap, m) && cmp.Equal(p.GIDMap, m), "maps", p.UIDMap, p.GIDMap) +
				expect(!p.IsHost(fixtureHost, NSUser) && p.IsHost(fixtureHost, NSNet), "ns", p.Namespaces)
		}},
		{"unknown capability bit", 810, func(p *Process) string {
			n := p.Caps.Effective.Names()
			return expect(p.Caps.Effective.Has(41) && n[len(n)-1] == "CAP_41" && n[len(n)-2] == "CAP_CHECKPOINT_RESTORE", "names", n)
		}},
		{"selinux label", 820, func(p *Process) string {
			return expect(p.LSMLabel == "system_u:system_r:container_t:s0:c1,c2", "lsm", p.LSMLabel) +
				expect(p.UIDMap == nil, "missing uid_map means none", p.UIDMap)
		}},
		{"escaped mount point, comm with parens", 830, func(p *Process) string {
			return expect(mountAt(p, "/mnt/my dir").Root == "/tmp/a b", "unescaped", mountAt(p, "/mnt/my dir")) +
				expect(p.Comm == "my (weird) name", "comm", p.Comm)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := fs.Probe(tt.pid)
			if err != nil {
				t.Fatal(err)
			}
			if p.PID != tt.pid || p.Comm == "" || p.StartTime == 0 || len(p.Mounts) == 0 || len(p.Namespaces) != 8 {
				t.Errorf("identity: pid %d comm %q start %d mounts %d ns %d", p.PID, p.Comm, p.StartTime, len(p.Mounts), len(p.Namespaces))
			}
			if msg := tt.want(p); msg != "" {
				t.Error(msg)
			}
		})
	}
}

func expect(ok bool, what string, got ...any) string {
	if ok {
		return ""
	}
	return "\nunexpected " + what + ": " + fmt.Sprint(got...)
}

func mountAt(p *Process, mp string) Mount {
	var found Mount
	for _, m := range p.Mounts {
		if m.MountPoint == mp {
			found = m
		}
	}
	return found
}

func TestProbeFixtureErrors(t *testing.T) {
	fs := fixtureFS(t)
	tests := []struct {
		name string
		pid  int
		is   error
		file string
	}{
		{"truncated status", 900, ErrMalformed, "status"},
		{"garbled stat", 901, ErrMalformed, "stat"},
		{"garbled mountinfo", 902, ErrMalformed, "mountinfo"},
		{"garbled cgroup", 903, ErrMalformed, "cgroup"},
		{"bad capability mask", 904, ErrMalformed, "status"},
		{"garbled uid_map", 905, ErrMalformed, "uid_map"},
		{"status vanished mid-probe", 906, ErrGone, "status"},
		{"garbled ns link", 907, ErrMalformed, "ns"},
		{"three uids", 908, ErrMalformed, "status"},
		{"empty stat", 909, ErrMalformed, "stat"},
		{"no such pid", 31337, ErrGone, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := fs.Probe(tt.pid)
			if p != nil {
				t.Errorf("got a record %+v with error %v", p, err)
			}
			if !errors.Is(err, tt.is) {
				t.Fatalf("error = %v, want %v", err, tt.is)
			}
			if tt.file != "" && !strings.Contains(err.Error(), " "+tt.file+":") {
				t.Errorf("error %q does not name %s", err, tt.file)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
		})
	}
	if _, err := fs.Probe(0); err == nil || errors.Is(err, ErrGone) {
		t.Errorf("Probe(0) = %v, want an invalid pid error", err)
	}
}

// Status and Cgroups read one file each: what Probe reads from it, with
// the same errors.
func TestFixtureStatusAndCgroups(t *testing.T) {
	fs := fixtureFS(t)
	for _, pid := range []int{1, 100, 101, 400, 700} {
		p, err := fs.Probe(pid)
		if err != nil {
			t.Fatal(err)
		}
		want := &Process{PID: pid, NSpid: p.NSpid, UID: p.UID, GID: p.GID, Groups: p.Groups,
			Caps: p.Caps, NoNewPrivs: p.NoNewPrivs, Seccomp: p.Seccomp, SeccompFilters: p.SeccompFilters}
		got, err := fs.Status(pid)
		if diff := cmp.Diff(want, got); err != nil || diff != "" {
			t.Errorf("Status(%d): %v (-want +got):\n%s", pid, err, diff)
		}
		cg, err := fs.Cgroups(pid)
		if err != nil || !cmp.Equal(cg, p.Cgroups) {
			t.Errorf("Cgroups(%d) = %v, %v; Probe has %v", pid, cg, err, p.Cgroups)
		}
	}
	if _, err := fs.Status(900); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), " status:") {
		t.Errorf("Status(truncated) = %v, want ErrMalformed naming status", err)
	}
	if _, err := fs.Cgroups(903); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), " cgroup:") {
		t.Errorf("Cgroups(garbled) = %v, want ErrMalformed naming cgroup", err)
	}
	for _, pid := range []int{31337, 0} {
		if _, err := fs.Status(pid); err == nil || (pid == 0) == errors.Is(err, ErrGone) {
			t.Errorf("Status(%d) = %v", pid, err)
		}
		if _, err := fs.Cgroups(pid); err == nil || (pid == 0) == errors.Is(err, ErrGone) {
			t.Errorf("Cgroups(%d) = %v", pid, err)
		}
	}
}

func TestFixtureContainerPIDs(t *testing.T) {
	fs := fixtureFS(t)
	tests := []struct {
		pid  int
		want []int
	}{
		{100, []int{100, 101}}, // 150 shares the pid ns (shareProcessNamespace) but not the cgroup
		{101, []int{100, 101}},
		{150, []int{150}},
		{200, []int{200}},
	}
	sess := fs.NewSession()
	for _, tt := range tests {
		got, err := fs.ContainerPIDs(tt.pid)
		if err != nil {
			t.Fatalf("ContainerPIDs(%d): %v", tt.pid, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ContainerPIDs(%d) (-want +got):\n%s", tt.pid, diff)
		}
		// The session's indexed walk agrees with the plain one.
		got, err = sess.ContainerPIDs(tt.pid)
		if err != nil {
			t.Fatalf("Session.ContainerPIDs(%d): %v", tt.pid, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Session.ContainerPIDs(%d) (-want +got):\n%s", tt.pid, diff)
		}
	}
	if _, err := fs.ContainerPIDs(31337); !errors.Is(err, ErrGone) {
		t.Errorf("ContainerPIDs(missing) = %v, want ErrGone", err)
	}
	if _, err := sess.ContainerPIDs(31337); !errors.Is(err, ErrGone) {
		t.Errorf("Session.ContainerPIDs(missing) = %v, want ErrGone", err)
	}

	got, err := fs.PIDsInCgroup("/kubepods/besteffort/pod1111")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < 5 || got[0] != 100 || got[1] != 101 || got[2] != 150 {
		t.Errorf("PIDsInCgroup(pod) = %v", got)
	}
	got, err = fs.PIDsInCgroup("/kubepods/besteffort/pod1111/c100/")
	if err != nil || !cmp.Equal(got, []int{100, 101}) {
		t.Errorf("PIDsInCgroup(c100) = %v, %v; want [100 101]", got, err)
	}
	if _, err := fs.PIDsInCgroup("kubepods"); err == nil {
		t.Error("PIDsInCgroup(relative) must fail")
	}
}

func TestFixtureHostAndCaps(t *testing.T) {
	fs := fixtureFS(t)
	host, err := fs.HostNamespaces()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fixtureHost, host); diff != "" {
		t.Errorf("HostNamespaces (-want +got):\n%s", diff)
	}
	if p, err := fs.Host(); err != nil || p.PID != 1 {
		t.Errorf("Host() = %v, %v", p, err)
	}
	last, err := fs.LastCap()
	if err != nil || last != 40 {
		t.Errorf("LastCap() = %d, %v; want 40", last, err)
	}
	if all, err := fs.AllCaps(); err != nil || all != 0x1ffffffffff {
		t.Errorf("AllCaps() = %#x, %v", uint64(all), err)
	}
	pids, err := fs.PIDs()
	if err != nil || pids[0] != 1 || len(pids) != 23 {
		t.Errorf("PIDs() = %v, %v", pids, err)
	}
	if same, err := fs.StillSame(100, 5000); !same || err != nil {
		t.Errorf("StillSame(100, 5000) = %v, %v", same, err)
	}
	if same, err := fs.StillSame(100, 5001); same || err != nil {
		t.Errorf("StillSame(100, 5001) = %v, %v; want false (PID reused)", same, err)
	}
	if same, err := fs.StillSame(31337, 1); same || err != nil {
		t.Errorf("StillSame(missing) = %v, %v; want false, nil", same, err)
	}
	if _, err := NewFS(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("NewFS(missing dir) must fail")
	}
}
