//go:build linux

package probes

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// sameArray reports whether two non-empty slices share their first element.
func sameArray[T any](a, b []T) bool { return len(a) > 0 && len(b) > 0 && &a[0] == &b[0] }

func TestSessionMatchesProbe(t *testing.T) {
	fs := fixtureFS(t)
	pids, err := fs.PIDs()
	if err != nil {
		t.Fatal(err)
	}
	shared := fs.NewSession()
	for _, pid := range pids {
		want, werr := fs.Probe(pid)
		got, gerr := fs.NewSession().Probe(pid)
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Errorf("pid %d: Session.Probe error %v, FS.Probe error %v", pid, gerr, werr)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("pid %d: Session.Probe (-FS.Probe +Session.Probe):\n%s", pid, diff)
		}
		if pid >= 900 {
			continue // broken files: not consistent with their namespaces
		}
		got, gerr = shared.Probe(pid)
		if diff := cmp.Diff(want, got); gerr != nil || diff != "" {
			t.Errorf("pid %d: shared Session.Probe: %v (-FS.Probe +Session.Probe):\n%s", pid, gerr, diff)
		}
	}
}

func TestSessionSharesMountView(t *testing.T) {
	fs := fixtureFS(t)
	s := fs.NewSession()
	a, err := s.Probe(100)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Probe(101) // same container: same mnt and user ns, same root
	if err != nil {
		t.Fatal(err)
	}
	if !sameArray(a.Mounts, b.Mounts) || !sameArray(a.Root.Options, b.Root.Options) || !sameArray(a.UIDMap, b.UIDMap) || !sameArray(a.GIDMap, b.GIDMap) {
		t.Error("processes of one container do not share mounts and ID maps")
	}
	if s.mountReads != 1 {
		t.Errorf("mountinfo parsed %d times, want 1", s.mountReads)
	}
	if c, err := s.Probe(200); err != nil || sameArray(a.Mounts, c.Mounts) || len(c.Mounts) == 0 {
		t.Errorf("another mount namespace shares the mounts: %v", err)
	}
	if s.mountReads != 2 {
		t.Errorf("mountinfo parsed %d times, want 2", s.mountReads)
	}
	// FS.Probe never shares.
	if c, err := fs.Probe(101); err != nil || sameArray(a.Mounts, c.Mounts) || !cmp.Equal(a.Mounts, c.Mounts) {
		t.Errorf("FS.Probe shares the session's mounts or differs: %v", err)
	}
}

func TestSessionDifferentRoot(t *testing.T) {
	fs := fixtureFS(t)
	// 101 shares 100's mount namespace but is chrooted elsewhere.
	link := filepath.Join(fs.Root(), "101", "root")
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(t.TempDir(), link); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(fs.Root(), "101", "mountinfo"), []byte("90 80 0:50 /x / rw - tmpfs tmpfs rw\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := fs.NewSession()
	a, err := s.Probe(100)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Probe(101)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Namespaces.Same(b.Namespaces, NSMnt) {
		t.Fatal("fixture: 100 and 101 must share a mount namespace")
	}
	if sameArray(a.Mounts, b.Mounts) || len(b.Mounts) != 1 || b.Root.ID != 90 || a.Root.ID != 73 {
		t.Errorf("a different root shares the mount view: %d mounts, root %d", len(b.Mounts), b.Root.ID)
	}
}

func TestSessionDoesNotLeak(t *testing.T) {
	fs := fixtureFS(t)
	s1 := fs.NewSession()
	before, err := s1.Probe(100)
	if err != nil {
		t.Fatal(err)
	}
	// A mount appears in the container's namespace after s1 read it.
	path := filepath.Join(fs.Root(), "100", "mountinfo")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, "99 73 0:60 / /new rw - tmpfs tmpfs rw\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := s1.Probe(100)
	if err != nil {
		t.Fatal(err)
	}
	if !sameArray(before.Mounts, again.Mounts) {
		t.Error("a session re-read a mount view it had")
	}
	s2 := fs.NewSession()
	after, err := s2.Probe(100)
	if err != nil {
		t.Fatal(err)
	}
	if sameArray(before.Mounts, after.Mounts) || len(after.Mounts) != len(before.Mounts)+1 || mountAt(after, "/new").ID != 99 {
		t.Errorf("a new session sees %d mounts, want %d with /new", len(after.Mounts), len(before.Mounts)+1)
	}
	if p, err := fs.Probe(100); err != nil || len(p.Mounts) != len(after.Mounts) {
		t.Errorf("FS.Probe: %v", err)
	}
}

// TestLiveSession probes, in one session, the test process, two sleeps of
// its mount namespace, and two processes of a new mount namespace: A at its
// root and B chrooted into a bind mount of "/" — same directory (device
// and inode) as A's root, another mount, so another view.
func TestLiveSession(t *testing.T) {
	needRootAndTool(t, "unshare")
	fs := liveFS(t)
	dir := t.TempDir()
	outer := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
		"mount --bind / "+dir+" && chroot "+dir+" sleep 30 & exec sleep 31")
	if err := outer.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = outer.Process.Kill(); _ = outer.Wait() })
	a := outer.Process.Pid
	waitComm(t, fs, a, "sleep")
	b := waitChild(t, fs, a, "sleep")
	s1 := start(t, fs, "sleep", "30").Process.Pid
	s2 := start(t, fs, "sleep", "30").Process.Pid

	s := fs.NewSession()
	got := map[int]*Process{}
	for _, pid := range []int{os.Getpid(), s1, s2, a, b} {
		p, err := s.Probe(pid)
		if err != nil {
			t.Fatal(err)
		}
		want, err := fs.Probe(pid)
		if err != nil {
			t.Fatal(err)
		}
		// The host's mount table changes under other tests (labs, the
		// cluster): mounts are compared only in the private namespace.
		opts := []cmp.Option{}
		if pid != a && pid != b {
			opts = append(opts, cmpopts.IgnoreFields(Process{}, "Mounts"))
		}
		if diff := cmp.Diff(want, p, opts...); diff != "" {
			t.Errorf("pid %d: Session.Probe (-FS.Probe +Session.Probe):\n%s", pid, diff)
		}
		got[pid] = p
	}
	self := got[os.Getpid()]
	if !sameArray(self.Mounts, got[s1].Mounts) || !sameArray(self.Mounts, got[s2].Mounts) || !sameArray(self.UIDMap, got[s2].UIDMap) {
		t.Error("processes of one mount namespace and root do not share mounts and ID maps")
	}
	if sameArray(self.Mounts, got[a].Mounts) || !got[a].Namespaces.Same(got[b].Namespaces, NSMnt) || sameArray(got[a].Mounts, got[b].Mounts) {
		t.Error("a new mount namespace, or a chroot into a bind mount of its root, shares a mount view")
	}
	_, devA, inoA, errA := statRoot(fs.pidDir(a) + "root")
	_, devB, inoB, errB := statRoot(fs.pidDir(b) + "root")
	if errA != nil || errB != nil || devA != devB || inoA != inoB {
		t.Errorf("A and B roots: %d:%d, %d:%d (%v, %v); want the same directory", devA, inoA, devB, inoB, errA, errB)
	}
	if s.mountReads != 3 {
		t.Errorf("mountinfo parsed %d times, want 3", s.mountReads)
	}
	if n := len(got[b].Mounts); n == 0 || n >= len(got[a].Mounts) || got[b].Root.MountPoint != "/" {
		t.Errorf("chrooted B: %d mounts (A %d), root %+v", n, len(got[a].Mounts), got[b].Root)
	}
	if self.LSMLabel != got[a].LSMLabel {
		t.Errorf("LSM labels %q and %q", self.LSMLabel, got[a].LSMLabel)
	}
}

func TestSessionConcurrent(t *testing.T) {
	fs := fixtureFS(t)
	s := fs.NewSession()
	pids := []int{1, 100, 101, 200, 300, 400, 700}
	errs := make(chan error, 4*len(pids))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, pid := range pids {
				if _, err := s.Probe(pid); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if s.mountReads < 6 || s.mountReads > 6*4 {
		t.Errorf("mountinfo parsed %d times", s.mountReads)
	}
	a, _ := s.Probe(100)
	b, _ := s.Probe(101)
	if !sameArray(a.Mounts, b.Mounts) {
		t.Error("after concurrent probes, 100 and 101 do not share mounts")
	}
}

// The listing holds every process of the proc root with its pid and net
// namespaces, read once: a process that appears later is not in it.
func TestSessionListing(t *testing.T) {
	fs := fixtureFS(t)
	s := fs.NewSession()
	listing, err := s.Listing()
	if err != nil {
		t.Fatal(err)
	}
	pids, err := fs.PIDs()
	if err != nil {
		t.Fatal(err)
	}
	if len(listing) != len(pids) {
		t.Fatalf("listing has %d processes, PIDs %d", len(listing), len(pids))
	}
	for i, l := range listing {
		if l.PID != pids[i] {
			t.Fatalf("listing[%d] is pid %d, want %d (sorted as PIDs)", i, l.PID, pids[i])
		}
		want, err := fs.NamespacesOf(l.PID, NSPID, NSNet)
		if err != nil {
			want = nil // unreadable or garbled: no namespaces in the listing
		}
		if !cmp.Equal(l.Namespaces, want) {
			t.Errorf("pid %d: listed namespaces %v, want %v", l.PID, l.Namespaces, want)
		}
	}
	if err := os.CopyFS(filepath.Join(fs.Root(), "4242"), os.DirFS(filepath.Join(fs.Root(), "200"))); err != nil {
		t.Fatal(err)
	}
	again, err := s.Listing()
	if err != nil || len(again) != len(listing) {
		t.Errorf("a new process entered the session's listing: %d processes, %v", len(again), err)
	}
	if got, err := fs.NewSession().Listing(); err != nil || len(got) != len(listing)+1 {
		t.Errorf("a new session does not see the new process: %d processes, %v", len(got), err)
	}
}

// ContainerPIDsOf agrees with ContainerPIDs, from the probed process.
func TestSessionContainerPIDsOf(t *testing.T) {
	fs := fixtureFS(t)
	s := fs.NewSession()
	for _, pid := range []int{100, 101, 150, 200} {
		want, err := s.ContainerPIDs(pid)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.Probe(pid)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ContainerPIDsOf(p)
		if err != nil || !cmp.Equal(got, want) {
			t.Errorf("ContainerPIDsOf(%d) = %v, %v; ContainerPIDs gives %v", pid, got, err, want)
		}
	}
	if _, err := s.ContainerPIDsOf(&Process{PID: 100, Namespaces: Namespaces{NSPID: 1}}); !errors.Is(err, ErrMalformed) {
		t.Errorf("ContainerPIDsOf(no cgroup) = %v, want ErrMalformed", err)
	}
}
