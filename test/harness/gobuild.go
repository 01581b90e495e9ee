package harness

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed images/pause/main.go images/escalate/main.go
var helperSources embed.FS

// buildHelper builds images/<name>/main.go as a static linux binary, cached
// under cacheDir by a hash of the source and the Go version.
func buildHelper(name, cacheDir string) (string, error) {
	src, err := helperSources.ReadFile("images/" + name + "/main.go")
	if err != nil {
		return "", fmt.Errorf("harness: helper %q: %w", name, err)
	}
	goVersion, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return "", fmt.Errorf("harness: go env GOVERSION: %w", err)
	}
	h := sha256.New()
	h.Write(src)
	h.Write(goVersion)
	key := hex.EncodeToString(h.Sum(nil))[:16]
	out := filepath.Join(cacheDir, "bin", name+"-"+key)
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	work, err := os.MkdirTemp(cacheDir, "build-"+name+"-")
	if err != nil {
		return "", fmt.Errorf("harness: %w", err)
	}
	defer os.RemoveAll(work)
	if err := os.WriteFile(filepath.Join(work, "main.go"), src, 0o644); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(work, "go.mod"), []byte("module "+name+"\n\ngo 1.22\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", err
	}
	tmp := out + ".tmp"
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", tmp, ".")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOWORK=off", "GOFLAGS=-mod=mod")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("harness: build %s: %v: %s", name, err, strings.TrimSpace(string(msg)))
	}
	return out, os.Rename(tmp, out)
}
