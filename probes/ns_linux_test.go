//go:build linux

package probes

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFixtureNamespaces(t *testing.T) {
	fs := fixtureFS(t)
	for _, pid := range []int{1, 100, 400, 700} {
		p, err := fs.Probe(pid)
		if err != nil {
			t.Fatal(err)
		}
		ns, err := fs.Namespaces(pid)
		if err != nil || !cmp.Equal(ns, p.Namespaces) {
			t.Errorf("Namespaces(%d) = %v, %v; Probe has %v", pid, ns, err, p.Namespaces)
		}
	}
	if _, err := fs.Namespaces(907); !errors.Is(err, ErrMalformed) {
		t.Errorf("Namespaces(garbled link) = %v, want ErrMalformed", err)
	}
	if _, err := fs.Namespaces(31337); !errors.Is(err, ErrGone) {
		t.Errorf("Namespaces(missing) = %v, want ErrGone", err)
	}
	if _, err := fs.Namespaces(0); err == nil || errors.Is(err, ErrGone) {
		t.Errorf("Namespaces(0) = %v, want an invalid pid error", err)
	}
	// A kernel without time namespaces (before 5.6) has no ns/time entry.
	if err := os.Remove(filepath.Join(fs.Root(), "100", "ns", "time")); err != nil {
		t.Fatal(err)
	}
	ns, err := fs.Namespaces(100)
	if _, has := ns[NSTime]; err != nil || has || len(ns) != 7 {
		t.Errorf("without ns/time: %v, %v", ns, err)
	}
	// A dangling link: the entry exists but does not resolve, as for a
	// process that is exiting.
	if err := os.Symlink("/nonexistent", filepath.Join(fs.Root(), "100", "ns", "time")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(fs.Root(), "100", "ns", "net")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../nowhere/net", filepath.Join(fs.Root(), "100", "ns", "net")); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Namespaces(100); !errors.Is(err, ErrMalformed) {
		t.Errorf("link to a path: %v, want ErrMalformed", err)
	}
}

// NamespacesOf reads the kinds asked for, the same inodes as Namespaces,
// with the same errors.
func TestFixtureNamespacesOf(t *testing.T) {
	fs := fixtureFS(t)
	for _, pid := range []int{1, 100, 400, 700} {
		all, err := fs.Namespaces(pid)
		if err != nil {
			t.Fatal(err)
		}
		got, err := fs.NamespacesOf(pid, NSPID, NSNet)
		want := Namespaces{NSPID: all[NSPID], NSNet: all[NSNet]}
		if err != nil || !cmp.Equal(got, want) {
			t.Errorf("NamespacesOf(%d, pid, net) = %v, %v; want %v", pid, got, err, want)
		}
	}
	if _, err := fs.NamespacesOf(907, NSPID, NSNet, NSMnt, NSUser, NSUTS, NSIPC, NSCgroup, NSTime); !errors.Is(err, ErrMalformed) {
		t.Errorf("NamespacesOf(garbled link) = %v, want ErrMalformed", err)
	}
	if _, err := fs.NamespacesOf(31337, NSPID); !errors.Is(err, ErrGone) {
		t.Errorf("NamespacesOf(missing) = %v, want ErrGone", err)
	}
	if _, err := fs.NamespacesOf(0, NSPID); err == nil || errors.Is(err, ErrGone) {
		t.Errorf("NamespacesOf(0) = %v, want an invalid pid error", err)
	}
	if _, err := fs.NamespacesOf(100, "pid_for_children"); err == nil || errors.Is(err, ErrGone) {
		t.Errorf("NamespacesOf(unknown kind) = %v, want an error", err)
	}
	// A kind the kernel lacks is absent, not an error.
	if err := os.Remove(filepath.Join(fs.Root(), "100", "ns", "time")); err != nil {
		t.Fatal(err)
	}
	ns, err := fs.NamespacesOf(100, NSTime, NSPID)
	if _, has := ns[NSTime]; err != nil || has || len(ns) != 1 {
		t.Errorf("without ns/time: %v, %v", ns, err)
	}
}

func TestLiveNamespaces(t *testing.T) {
	needRootAndTool(t, "unshare")
	fs := liveFS(t)
	self, err := fs.Probe(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if ns, err := fs.Namespaces(os.Getpid()); err != nil || !cmp.Equal(ns, self.Namespaces) {
		t.Errorf("Namespaces(self) = %v, %v; Probe has %v", ns, err, self.Namespaces)
	}
	cmd := start(t, fs, "unshare", "--net", "sleep", "30")
	ns, err := fs.Namespaces(cmd.Process.Pid)
	if err != nil || ns.Same(self.Namespaces, NSNet) || !ns.Same(self.Namespaces, NSMnt) || len(ns) != len(self.Namespaces) {
		t.Errorf("Namespaces(unshared net) = %v, %v", ns, err)
	}
	_ = cmd.Process.Kill()
	for range 100 { // a zombie until reaped
		if st, err := fs.stat(cmd.Process.Pid); err == nil && st.state == 'Z' {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := fs.Namespaces(cmd.Process.Pid); !errors.Is(err, ErrGone) {
		t.Errorf("zombie: Namespaces = %v, want ErrGone", err)
	}
	_ = cmd.Wait()
	if _, err := fs.Namespaces(cmd.Process.Pid); !errors.Is(err, ErrGone) {
		t.Errorf("reaped: Namespaces = %v, want ErrGone", err)
	}
}
