//go:build linux

package probes

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestTokenAt: a fixture proc root whose 42/root is a container's root
// directory. Links resolve inside it, never in the reader's root.
func TestTokenAt(t *testing.T) {
	tmp := t.TempDir()
	ctr := filepath.Join(tmp, "ctr")
	sa := filepath.Join(ctr, "var/run/secrets/sa")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(sa, "..data"), 0o755))
	must(os.WriteFile(filepath.Join(sa, "..data/token"), jwt(`{"sub":"x"}`), 0o600))
	must(os.Symlink("..data/token", filepath.Join(sa, "token"))) // the kubelet's atomic writer layout
	// A token outside the container, and a link in the container that
	// names its absolute path.
	outside := filepath.Join(tmp, "outside.jwt")
	must(os.WriteFile(outside, jwt(`{"exp":7}`), 0o600))
	must(os.Symlink(outside, filepath.Join(ctr, "escape")))
	must(syscall.Mkfifo(filepath.Join(ctr, "fifo"), 0o600))
	proc := filepath.Join(tmp, "proc")
	must(os.MkdirAll(filepath.Join(proc, "42"), 0o755))
	must(os.Symlink(ctr, filepath.Join(proc, "42", "root")))
	fsys := FS{root: proc}

	got, err := fsys.TokenAt(42, "/var/run/secrets/sa/token")
	if err != nil || got != (Token{JWT: true}) {
		t.Errorf("legacy token through the atomic writer's link: %+v, %v", got, err)
	}
	if _, err := fsys.TokenAt(42, "/escape"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("absolute link out of the container's root: %v, want not found inside the root", err)
	}
	if _, err := fsys.TokenAt(42, "/fifo"); !errors.Is(err, ErrNotToken) {
		t.Errorf("a FIFO: %v, want ErrNotToken", err)
	}
	if _, err := fsys.TokenAt(42, "/var/run/secrets/none/token"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing: %v", err)
	}
	if _, err := fsys.TokenAt(43, "/token"); !errors.Is(err, ErrGone) {
		t.Errorf("no such process: %v, want ErrGone", err)
	}
}
