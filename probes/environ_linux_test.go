//go:build linux

package probes

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEnvNamesFixture(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "77")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Larger than the first buffer: the read grows.
	block := "API_KEY=" + strings.Repeat("s", 20000) + "\x00HOME=/root\x00"
	if err := os.WriteFile(filepath.Join(dir, "environ"), []byte(block), 0o600); err != nil {
		t.Fatal(err)
	}
	fs := FS{root: root}
	got, err := fs.EnvNames(77, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"API_KEY", "HOME"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := fs.EnvNames(78, nil); !errors.Is(err, ErrGone) {
		t.Errorf("missing process: %v, want ErrGone", err)
	}
}

func TestEnvNamesSelf(t *testing.T) {
	t.Setenv("RTAUDIT_ENV_PROBE_SELF", "value")
	fs, err := NewFS("")
	if err != nil {
		t.Fatal(err)
	}
	// The environ file shows the process's initial environment: the
	// variable set above is not in it, PATH (set by go test's parent) is.
	got, err := fs.EnvNames(os.Getpid(), func(n string) bool { return n == "PATH" || n == "RTAUDIT_ENV_PROBE_SELF" })
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("PATH") != "" && !cmp.Equal(got, []string{"PATH"}) {
		t.Errorf("got %v, want [PATH] (initial environment only)", got)
	}
}
