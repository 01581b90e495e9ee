package probes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenLiveWantsProcfs(t *testing.T) {
	if _, err := OpenLive("/proc"); err != nil {
		t.Fatalf("/proc: %v", err)
	}
	dir := t.TempDir()
	_, err := OpenLive(dir)
	if err == nil || !strings.Contains(err.Error(), "not a proc filesystem") || strings.Contains(err.Error(), "\n") {
		t.Errorf("a plain directory: %v, want one line saying it is not a proc filesystem", err)
	}
	if err := os.WriteFile(filepath.Join(dir, FixtureMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLive(dir); err != nil {
		t.Errorf("a fixture tree: %v", err)
	}
	if _, err := NewFS(dir); err != nil {
		t.Errorf("NewFS (fixture trees) must still accept a plain directory: %v", err)
	}
}
